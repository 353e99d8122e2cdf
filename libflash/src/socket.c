/*
 * Raw TCP (socket://HOST:PORT), as ser2net serves a remote board's UART and f0sim serves
 * the virtual one; also the socket helpers the RFC 2217 transport shares (transport.h).
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
#include "transport.h"

struct tcp {
    int fd;
};

int f0b_fd_read(int fd, uint8_t *buf, size_t max, int ms)
{
    struct pollfd pfd = {fd, POLLIN, 0};
    int r;

    do
        r = poll(&pfd, 1, ms);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return F0B_E_IO;
    if (r == 0)
        return 0;
    ssize_t n = recv(fd, buf, max, 0);
    if (n <= 0)
        return F0B_E_IO; /* 0: the far end closed the connection */
    return (int)n;
}

static int tcp_read(void *ctx, uint8_t *buf, size_t max, int timeout_ms)
{
    struct tcp *t = ctx;
    return f0b_fd_read(t->fd, buf, max, timeout_ms);
}

int f0b_send_all(int fd, const uint8_t *buf, size_t len)
{
    while (len) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return F0B_E_IO;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static int tcp_write(void *ctx, const uint8_t *buf, size_t len)
{
    struct tcp *t = ctx;

    return f0b_send_all(t->fd, buf, len);
}

static int tcp_set_baud(void *ctx, uint32_t baud)
{
    (void)ctx;
    (void)baud; /* the far end's UART follows the device, not us */
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
    tcp_read, tcp_write, tcp_set_baud, tcp_drain, tcp_flush, tcp_close, NULL, NULL, NULL,
};

uint64_t f0b_mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int f0b_tcp_connect(const char *scheme, const char *hostport, int timeout_ms, char *err,
                    size_t errlen)
{
    char host[256];
    const char *colon = strrchr(hostport, ':');
    struct addrinfo hints, *ai = NULL;
    uint64_t end = f0b_mono_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
    int fd = -1, rc, one = 1, last_errno = 0;

    if (!colon || colon == hostport || !colon[1] || (size_t)(colon - hostport) >= sizeof host) {
        snprintf(err, errlen, "%s%s: expected %sHOST:PORT", scheme, hostport, scheme);
        return F0B_E_ARG;
    }
    memcpy(host, hostport, (size_t)(colon - hostport));
    host[colon - hostport] = 0;
    if (host[0] == '[' && host[strlen(host) - 1] == ']') { /* [::1]:port */
        memmove(host, host + 1, strlen(host));
        host[strlen(host) - 1] = 0;
    }
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(host, colon + 1, &hints, &ai);
    if (rc != 0) {
        snprintf(err, errlen, "%s%s: %s", scheme, hostport, gai_strerror(rc));
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
        if (fd >= 0 || f0b_mono_ms() >= end)
            break;
        usleep(100 * 1000);
    }
    freeaddrinfo(ai);
    if (fd < 0) {
        snprintf(err, errlen, "%s%s: cannot connect: %s (is the board server running?)", scheme,
                 hostport, strerror(last_errno));
        return F0B_E_PORT;
    }
    /* Frames are written whole; do not let Nagle hold back a small request. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

int f0b_socket_open(struct f0b_port *p, const char *hostport, int timeout_ms, char *err,
                    size_t errlen)
{
    int fd = f0b_tcp_connect("socket://", hostport, timeout_ms, err, errlen);
    struct tcp *t;

    if (fd < 0)
        return fd;
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
