/*
 * Transports for libflash: serial ports through libserialport, raw TCP (socket://HOST:PORT,
 * as ser2net serves a remote board's UART and f0sim serves the virtual one), and an
 * in-process loopback for tests.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <libserialport.h>
#include "f0boot/flash.h"

/* ---- serial (libserialport) ------------------------------------------------------------ */

static int ser_read(void *ctx, uint8_t *buf, size_t max, int timeout_ms)
{
    enum sp_return r = sp_blocking_read_next(ctx, buf, max, timeout_ms > 0 ? (unsigned)timeout_ms : 1u);
    return r < 0 ? F0B_E_IO : (int)r;
}

static int ser_write(void *ctx, const uint8_t *buf, size_t len)
{
    /* Generous: len bytes at 1200 baud, plus a second. */
    unsigned tmo = (unsigned)(len * 10u * 1000u / 1200u) + 1000u;
    enum sp_return r = sp_blocking_write(ctx, buf, len, tmo);
    return r == (enum sp_return)len ? 0 : F0B_E_IO;
}

static int ser_set_baud(void *ctx, uint32_t baud)
{
    return sp_set_baudrate(ctx, (int)baud) == SP_OK ? 0 : F0B_E_IO;
}

static int ser_drain(void *ctx)
{
    return sp_drain(ctx) == SP_OK ? 0 : F0B_E_IO;
}

static int ser_flush(void *ctx)
{
    return sp_flush(ctx, SP_BUF_INPUT) == SP_OK ? 0 : F0B_E_IO;
}

static void ser_close(void *ctx)
{
    sp_close(ctx);
    sp_free_port(ctx);
}

static const struct f0b_port_ops ser_ops = {
    ser_read, ser_write, ser_set_baud, ser_drain, ser_flush, ser_close, NULL,
};

static int open_serial(struct f0b_port *p, const char *name, uint32_t baud, char *err, size_t errlen)
{
    struct sp_port *sp = NULL;
    char *m;

    if (sp_get_port_by_name(name, &sp) != SP_OK) {
        snprintf(err, errlen, "%s: no such serial port (for a TCP bridge write socket://HOST:PORT)",
                 name);
        return F0B_E_PORT;
    }
    if (sp_open(sp, SP_MODE_READ_WRITE) != SP_OK) {
        m = sp_last_error_message();
        snprintf(err, errlen, "%s: cannot open: %s (is another program using it? permission "
                 "to the dialout group?)", name, m ? m : "unknown error");
        sp_free_error_message(m);
        sp_free_port(sp);
        return F0B_E_PORT;
    }
    if (sp_set_baudrate(sp, (int)baud) != SP_OK || sp_set_bits(sp, 8) != SP_OK ||
        sp_set_parity(sp, SP_PARITY_NONE) != SP_OK || sp_set_stopbits(sp, 1) != SP_OK ||
        sp_set_flowcontrol(sp, SP_FLOWCONTROL_NONE) != SP_OK) {
        m = sp_last_error_message();
        snprintf(err, errlen, "%s: cannot set 8N1 at %u baud: %s", name, baud, m ? m : "");
        sp_free_error_message(m);
        ser_close(sp);
        return F0B_E_PORT;
    }
    p->ops = &ser_ops;
    p->ctx = sp;
    p->is_socket = 0;
    return 0;
}

/* ---- raw TCP --------------------------------------------------------------------------- */

struct tcp {
    int fd;
};

static int tcp_read(void *ctx, uint8_t *buf, size_t max, int timeout_ms)
{
    struct tcp *t = ctx;
    struct pollfd pfd = { t->fd, POLLIN, 0 };
    int r;

    do
        r = poll(&pfd, 1, timeout_ms);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return F0B_E_IO;
    if (r == 0)
        return 0;
    ssize_t n = recv(t->fd, buf, max, 0);
    if (n <= 0)
        return F0B_E_IO;        /* 0: the far end closed the connection */
    return (int)n;
}

static int tcp_write(void *ctx, const uint8_t *buf, size_t len)
{
    struct tcp *t = ctx;

    while (len) {
        ssize_t n = send(t->fd, buf, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return F0B_E_IO;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static int tcp_set_baud(void *ctx, uint32_t baud)
{
    (void)ctx;
    (void)baud;                 /* the far end's UART follows the device, not us */
    return 0;
}

static int tcp_drain(void *ctx)
{
    (void)ctx;
    return 0;
}

static int tcp_flush(void *ctx)
{
    struct tcp *t = ctx;
    uint8_t junk[256];

    while (recv(t->fd, junk, sizeof junk, MSG_DONTWAIT) > 0)
        ;
    return 0;
}

static void tcp_close(void *ctx)
{
    struct tcp *t = ctx;

    close(t->fd);
    free(t);
}

static const struct f0b_port_ops tcp_ops = {
    tcp_read, tcp_write, tcp_set_baud, tcp_drain, tcp_flush, tcp_close, NULL,
};

static uint64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int open_tcp(struct f0b_port *p, const char *hostport, int timeout_ms, char *err,
                    size_t errlen)
{
    char host[256];
    const char *colon = strrchr(hostport, ':');
    struct addrinfo hints, *ai = NULL;
    uint64_t end = mono_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
    int fd = -1, rc, one = 1, last_errno = 0;
    struct tcp *t;

    if (!colon || colon == hostport || !colon[1] || (size_t)(colon - hostport) >= sizeof host) {
        snprintf(err, errlen, "socket://%s: expected socket://HOST:PORT", hostport);
        return F0B_E_ARG;
    }
    memcpy(host, hostport, (size_t)(colon - hostport));
    host[colon - hostport] = 0;
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {  /* [::1]:port */
        memmove(host, host + 1, strlen(host));
        host[strlen(host) - 1] = 0;
    }
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(host, colon + 1, &hints, &ai);
    if (rc != 0) {
        snprintf(err, errlen, "socket://%s: %s", hostport, gai_strerror(rc));
        return F0B_E_PORT;
    }
    /* A board server that is just starting refuses connections for a moment: retry. */
    for (;;) {
        for (struct addrinfo *a = ai; a; a = a->ai_next) {
            fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
            if (fd < 0)
                continue;
            if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
                break;
            last_errno = errno;
            close(fd);
            fd = -1;
        }
        if (fd >= 0 || mono_ms() >= end)
            break;
        usleep(100 * 1000);
    }
    freeaddrinfo(ai);
    if (fd < 0) {
        snprintf(err, errlen, "socket://%s: cannot connect: %s (is the board server running?)",
                 hostport, strerror(last_errno));
        return F0B_E_PORT;
    }
    /* Frames are written whole; do not let Nagle hold back a small request. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    t = malloc(sizeof *t);
    if (!t) {
        close(fd);
        return F0B_E_NOMEM;
    }
    t->fd = fd;
    p->ops = &tcp_ops;
    p->ctx = t;
    p->is_socket = 1;
    return 0;
}

int f0b_port_open(struct f0b_port *p, const char *spec, uint32_t baud, int timeout_ms,
                  char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    if (strncmp(spec, "socket://", 9) == 0)
        return open_tcp(p, spec + 9, timeout_ms, err, errlen);
    if (strstr(spec, "://")) {
        snprintf(err, errlen, "%s: unsupported port scheme (use socket://HOST:PORT or a serial "
                 "device name)", spec);
        return F0B_E_ARG;
    }
    return open_serial(p, spec, baud, err, errlen);
}

void f0b_port_close(struct f0b_port *p)
{
    if (p->ops && p->ops->close)
        p->ops->close(p->ctx);
    p->ops = NULL;
    p->ctx = NULL;
}

/* ---- in-process loopback --------------------------------------------------------------- */

static int loop_read(void *ctx, uint8_t *buf, size_t max, int timeout_ms)
{
    const struct f0b_loop_peer *pe = ctx;
    uint64_t end = pe->now_ms(pe->ctx) + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);

    for (;;) {
        size_t n = pe->d2h(pe->ctx, buf, max);
        if (n)
            return (int)n;
        if (pe->now_ms(pe->ctx) >= end)
            return 0;
        pe->advance(pe->ctx, 1);
    }
}

static int loop_write(void *ctx, const uint8_t *buf, size_t len)
{
    const struct f0b_loop_peer *pe = ctx;

    pe->h2d(pe->ctx, buf, len);
    return 0;
}

static int loop_set_baud(void *ctx, uint32_t baud)
{
    const struct f0b_loop_peer *pe = ctx;

    if (pe->set_baud)
        pe->set_baud(pe->ctx, baud);
    return 0;
}

static int loop_nop(void *ctx)
{
    (void)ctx;
    return 0;
}

static void loop_close(void *ctx)
{
    (void)ctx;
}

static uint64_t loop_now(void *ctx)
{
    const struct f0b_loop_peer *pe = ctx;

    return pe->now_ms(pe->ctx);
}

static const struct f0b_port_ops loop_ops = {
    loop_read, loop_write, loop_set_baud, loop_nop, loop_nop, loop_close, loop_now,
};

void f0b_port_loop(struct f0b_port *p, const struct f0b_loop_peer *peer)
{
    memset(p, 0, sizeof *p);
    p->ops = &loop_ops;
    p->ctx = (void *)peer;
}
