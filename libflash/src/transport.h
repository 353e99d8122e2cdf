/*
 * Private to libflash: the transports behind struct f0b_port_ops, one file each, and the
 * socket helpers socket.c shares with rfc2217.c. port.c parses a PORT spec and calls one
 * of the *_open functions. Each returns 0 with p->ops and p->ctx set, or F0B_E_PORT /
 * F0B_E_ARG / F0B_E_NOMEM with the reason in err (never printed).
 */
#ifndef F0B_LIBFLASH_TRANSPORT_H
#define F0B_LIBFLASH_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include "f0boot/flash.h"

/* serial.c: a serial device by name, 8N1 at baud, no flow control. */
int f0b_serial_open(struct f0b_port *p, const char *name, uint32_t baud, char *err, size_t errlen);
/* socket.c: raw TCP to HOST:PORT; connection refused is retried for timeout_ms. */
int f0b_socket_open(struct f0b_port *p, const char *hostport, int timeout_ms, char *err,
                    size_t errlen);
/* rfc2217.c: telnet with COM-PORT-CONTROL to HOST:PORT, far UART set to 8N1 at baud. */
int f0b_rfc2217_open(struct f0b_port *p, const char *hostport, uint32_t baud, int timeout_ms,
                     char *err, size_t errlen);

/* ---- socket helpers (socket.c) --------------------------------------------------------- */

/* Milliseconds on CLOCK_MONOTONIC. */
uint64_t f0b_mono_ms(void);
/* Wait up to ms for data on fd and take what is there: the byte count, 0 on timeout,
 * F0B_E_IO on an error or when the far end closed the connection. */
int f0b_fd_read(int fd, uint8_t *buf, size_t max, int ms);
/* Send all len bytes: 0 or F0B_E_IO. */
int f0b_send_all(int fd, const uint8_t *buf, size_t len);
/* Connect to HOST:PORT (scheme names the URL in messages), retrying a refused connection
 * for timeout_ms. Returns the socket, or F0B_E_ARG / F0B_E_PORT with the reason in err. */
int f0b_tcp_connect(const char *scheme, const char *hostport, int timeout_ms, char *err,
                    size_t errlen);

#endif
