/*
 * The host side of USART1 (host.c): a TCP listener, a pseudo-terminal or stdio, and the
 * USB-serial adapter's packet timer (--usb-latency-ms). Knows nothing of the chip.
 */
#ifndef F0SIM_HOST_H
#define F0SIM_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "ring.h"

struct host;

/* Open spec (stdio, tcp:PORT, rfc2217:PORT[,nrst=dtr|rts], pty:PATH). NULL with a message
 * in err on failure. */
struct host *host_open(const char *spec, uint32_t usb_latency_ms, char *err, size_t errlen);
void host_close(struct host *h);
int host_connected(const struct host *h);
int host_is_stdio(const struct host *h);
/* 1 once a host is on the line: a TCP client has connected, a pty host has sent a byte;
 * always 1 for stdio. */
int host_present(const struct host *h);
/* Poll host input into *in (waits up to timeout_us); flush pending output. */
void host_poll(struct host *h, struct ring *in, int timeout_us);
/* Write the device's pending output to the host now (no wait, no syscall when none). */
void host_flush(struct host *h);
/* A byte the device sent, completed at virtual time t (ps). */
void host_tx(struct host *h, uint8_t b, uint64_t t);
/* Virtual time at which the USB packet timer fires (UINT64_MAX if none). */
uint64_t host_next_event(const struct host *h);
void host_service(struct host *h, uint64_t now);
/* fn sees each byte as it leaves for the host (after the packet timer). */
void host_set_deliver(struct host *h, void (*fn)(void *ctx, uint8_t b), void *ctx);
int host_eof(const struct host *h);
int host_port(const struct host *h);
struct ring *host_input(struct host *h);
/* rfc2217: 1 while the client asserts the modem line wired to NRST (DTR#, or RTS# with
 * nrst=rts): the chip is held in reset. 0 otherwise, and for the other kinds. */
int host_nrst_low(const struct host *h);

#endif
