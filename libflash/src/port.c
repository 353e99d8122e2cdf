/*
 * The PORT spec, parsed once: socket://, rfc2217:// or a serial port (tty.c: termios on
 * POSIX, with the names f0boot/ports.h accepts; serial.c: libserialport on Windows), each
 * handed to its transport (transport.h); and closing and reopening a port by the same spec.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "transport.h"
#include "tty.h"

static int open_spec(struct f0b_port *p, const char *spec, uint32_t baud, int timeout_ms, char *err,
                     size_t errlen)
{
    if (strncmp(spec, "socket://", 9) == 0)
        return f0b_socket_open(p, spec + 9, timeout_ms, err, errlen);
    if (strncmp(spec, "rfc2217://", 10) == 0)
        return f0b_rfc2217_open(p, spec + 10, baud, timeout_ms, err, errlen);
    if (strstr(spec, "://")) {
        snprintf(err, errlen,
                 "%s: unsupported port scheme (use socket://HOST:PORT, "
                 "rfc2217://HOST:PORT or a serial device name)",
                 spec);
        return F0B_E_ARG;
    }
#if defined(_WIN32)
    return f0b_serial_open(p, spec, baud, err, errlen);
#else
    return f0b_tty_open(p, spec, baud, err, errlen);
#endif
}

int f0b_port_open(struct f0b_port *p, const char *spec, uint32_t baud, int timeout_ms, char *err,
                  size_t errlen)
{
    int rc;

    memset(p, 0, sizeof *p);
    rc = open_spec(p, spec, baud, timeout_ms, err, errlen);
    if (rc != 0)
        return rc;
    p->spec = strdup(spec);
    if (!p->spec) {
        f0b_port_close(p);
        return F0B_E_NOMEM;
    }
    p->open_baud = baud;
    p->open_timeout_ms = timeout_ms;
    return 0;
}

int f0b_port_reopen(struct f0b_port *p, char *err, size_t errlen)
{
    int rc;

    if (!p->spec) {
        snprintf(err, errlen, "this port cannot be reopened");
        return F0B_E_ARG;
    }
    if (p->ops && p->ops->close)
        p->ops->close(p->ctx);
    p->ops = NULL;
    p->ctx = NULL;
    rc = open_spec(p, p->spec, p->open_baud, p->open_timeout_ms, err, errlen);
    if (rc != 0) {
        p->ops = NULL;
        p->ctx = NULL;
    }
    return rc;
}

void f0b_port_close(struct f0b_port *p)
{
    if (p->ops && p->ops->close)
        p->ops->close(p->ctx);
    p->ops = NULL;
    p->ctx = NULL;
    free(p->spec);
    p->spec = NULL;
}
