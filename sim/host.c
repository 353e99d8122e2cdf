/*
 * The host side of USART1: a TCP listener (one client at a time, reconnects allowed), a
 * pseudo-terminal with a symlink, or stdio; plus the USB-serial adapter model
 * (--usb-latency-ms: device->host bytes wait in a 62-byte packet that leaves when it is
 * full or when the latency timer expires, as an FTDI chip does).
 *
 * Host reads never happen in the CPU's hot path: the link (pace.c) calls host_poll() between
 * time slices (every ~100 us of virtual time) and when the CPU sleeps.
 */
#define _GNU_SOURCE 1 /* ppoll */
#include "host.h"
#include "rfc2217.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define USB_PACKET 62u
#define PS_PER_MS  1000000000ull
#define T_NEVER    UINT64_MAX

enum host_kind { HOST_STDIO, HOST_TCP, HOST_PTY };

struct host {
    enum host_kind kind;
    int lfd;      /* TCP listener */
    int fd;       /* connected client / pty master / stdin (-1: none) */
    int out_fd;   /* stdout for stdio, else fd */
    int slave_fd; /* pty: kept open so the master never sees a hang-up */
    int port;
    char link[512];
    int eof;
    struct ring in;
    struct ring out;
    uint32_t latency_ms;
    uint8_t pkt[USB_PACKET];
    uint32_t pkt_n;
    uint64_t pkt_due;
    void (*deliver)(void *ctx, uint8_t b); /* sees each byte as it leaves for the host */
    void *deliver_ctx;
    struct tnsrv *tn; /* rfc2217:PORT: telnet with COM-PORT-CONTROL on the TCP side */
    int nrst_rts;     /* rfc2217: NRST wired to RTS# instead of DTR# */
};

void host_set_deliver(struct host *h, void (*fn)(void *ctx, uint8_t b), void *ctx)
{
    h->deliver = fn;
    h->deliver_ctx = ctx;
}

static void out_put(struct host *h, uint8_t b)
{
    if (h->tn && b == 0xFF && ring_space(&h->out) >= 2)
        ring_put(&h->out, b); /* telnet: IAC doubled */
    if (ring_space(&h->out))
        ring_put(&h->out, b);
    if (h->deliver)
        h->deliver(h->deliver_ctx, b);
}

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* rfc2217:PORT[,nrst=dtr|rts]: the telnet server, and "tcp:PORT" into tcp for the listener. */
static int rfc2217_spec(struct host *h, const char *spec, char *tcp, size_t n, char *err,
                        size_t errlen)
{
    const char *port = spec + 8, *comma = strchr(port, ',');

    if (comma && strcmp(comma, ",nrst=rts") != 0 && strcmp(comma, ",nrst=dtr") != 0) {
        snprintf(err, errlen, "--uart %s: expected rfc2217:PORT[,nrst=dtr|rts]", spec);
        return -1;
    }
    h->nrst_rts = comma && strcmp(comma, ",nrst=rts") == 0;
    h->tn = calloc(1, sizeof *h->tn);
    if (!h->tn) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    tnsrv_init(h->tn, h->nrst_rts);
    snprintf(tcp, n, "tcp:%.*s", (int)(comma ? (size_t)(comma - port) : strlen(port)), port);
    return 0;
}

int host_nrst_low(const struct host *h) { return h->tn && h->fd >= 0 && tnsrv_nrst_low(h->tn); }

struct host *host_open(const char *spec, uint32_t usb_latency_ms, char *err, size_t errlen)
{
    struct host *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    h->lfd = h->fd = h->out_fd = h->slave_fd = -1;
    h->latency_ms = usb_latency_ms;
    h->pkt_due = T_NEVER;
    signal(SIGPIPE, SIG_IGN);
    if (strcmp(spec, "stdio") == 0) {
        h->kind = HOST_STDIO;
        h->fd = 0;
        h->out_fd = 1;
        /* stdin stays blocking (it may be the user's terminal): it is only read after
         * poll() says it has data */
        return h;
    }
    char tcp[64];
    if (strncmp(spec, "rfc2217:", 8) == 0) {
        if (rfc2217_spec(h, spec, tcp, sizeof tcp, err, errlen) != 0)
            goto fail;
        spec = tcp;
    }
    if (strncmp(spec, "tcp:", 4) == 0) {
        char *end;
        long port = strtol(spec + 4, &end, 10);
        if (*end || port < 0 || port > 65535 || end == spec + 4) {
            snprintf(err, errlen,
                     "--uart %s: expected tcp:PORT with PORT 0-65535 (0 picks a free port)", spec);
            goto fail;
        }
        h->kind = HOST_TCP;
        h->lfd = socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        setsockopt(h->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        if (h->lfd < 0 || bind(h->lfd, (struct sockaddr *)&a, sizeof a) < 0 ||
            listen(h->lfd, 1) < 0) {
            snprintf(err, errlen,
                     "--uart %s: cannot listen on 127.0.0.1:%ld: %s (pick another port, or 0)",
                     spec, port, strerror(errno));
            goto fail;
        }
        socklen_t al = sizeof a;
        getsockname(h->lfd, (struct sockaddr *)&a, &al);
        h->port = ntohs(a.sin_port);
        set_nonblock(h->lfd);
        return h;
    }
    if (strncmp(spec, "pty:", 4) == 0 && spec[4]) {
        h->kind = HOST_PTY;
        char name[256];
        if (openpty(&h->fd, &h->slave_fd, name, NULL, NULL) < 0) {
            snprintf(err, errlen, "--uart %s: openpty failed: %s", spec, strerror(errno));
            goto fail;
        }
        struct termios t;
        tcgetattr(h->slave_fd, &t);
        cfmakeraw(&t);
        tcsetattr(h->slave_fd, TCSANOW, &t);
        snprintf(h->link, sizeof h->link, "%s", spec + 4);
        unlink(h->link);
        if (symlink(name, h->link) < 0) {
            snprintf(err, errlen, "--uart %s: cannot create the symlink %s -> %s: %s", spec,
                     h->link, name, strerror(errno));
            h->link[0] = 0;
            goto fail;
        }
        set_nonblock(h->fd);
        h->out_fd = h->fd;
        return h;
    }
    snprintf(err, errlen, "--uart %s: expected stdio, tcp:PORT, rfc2217:PORT or pty:PATH", spec);
fail:
    host_close(h);
    return NULL;
}

void host_close(struct host *h)
{
    if (!h)
        return;
    host_poll(h, &h->in, 0);
    if (h->kind == HOST_PTY) {
        /* closing the master drops what the client has not read yet: give it 0.5 s */
        for (int i = 0, quiet = 0; i < 50 && quiet < 10; i++) {
            int pending = 0;
            if (ioctl(h->slave_fd, FIONREAD, &pending) != 0)
                break;
            quiet = pending > 0 ? 0 : quiet + 1;
            struct timespec ts = {0, 10000000L};
            nanosleep(&ts, NULL);
        }
    }
    if (h->kind != HOST_STDIO && h->fd >= 0)
        close(h->fd);
    if (h->lfd >= 0)
        close(h->lfd);
    if (h->slave_fd >= 0)
        close(h->slave_fd);
    if (h->link[0])
        unlink(h->link);
    free(h->tn);
    free(h);
}

int host_connected(const struct host *h) { return h->fd >= 0; }

int host_present(const struct host *h)
{
    switch (h->kind) {
    case HOST_TCP: return h->fd >= 0;             /* a client has connected */
    case HOST_PTY: return ring_count(&h->in) > 0; /* the host has sent its first byte */
    default: return 1;                            /* stdio is there from the start */
    }
}
int host_is_stdio(const struct host *h) { return h->kind == HOST_STDIO; }
int host_eof(const struct host *h) { return h->eof; }
int host_port(const struct host *h) { return h->port; }
struct ring *host_input(struct host *h) { return &h->in; }

static void flush_out(struct host *h)
{
    while (ring_count(&h->out)) {
        if (h->out_fd < 0) {
            h->out.tail = h->out.head; /* no client: the bytes fall on the floor */
            return;
        }
        uint32_t t = h->out.tail % sizeof h->out.buf;
        uint32_t n = ring_count(&h->out);
        if (n > sizeof h->out.buf - t)
            n = (uint32_t)sizeof h->out.buf - t;
        ssize_t w = write(h->out_fd, h->out.buf + t, n);
        if (w <= 0) {
            if (w < 0 && errno == EAGAIN)
                return;
            if (h->kind == HOST_TCP) {
                close(h->fd);
                h->fd = h->out_fd = -1;
            }
            h->out.tail = h->out.head;
            return;
        }
        h->out.tail += (uint32_t)w;
    }
}

void host_flush(struct host *h)
{
    if (ring_count(&h->out))
        flush_out(h);
}

/* Bytes from the host: data into in (through the telnet server with rfc2217, whose answers
 * go out with the data). */
static void take_input(struct host *h, struct ring *in, const uint8_t *buf, size_t n)
{
    if (h->tn) {
        tnsrv_feed(h->tn, buf, n, in, &h->out);
        return;
    }
    for (size_t k = 0; k < n; k++)
        ring_put(in, buf[k]);
}

/* A TCP client knocks: it becomes the link (one at a time). */
static void host_accept(struct host *h)
{
    int cfd = accept(h->lfd, NULL, NULL);
    if (cfd >= 0) {
        int one = 1;
        setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        set_nonblock(cfd);
        h->fd = h->out_fd = cfd;
        if (h->tn)
            tnsrv_init(h->tn, h->nrst_rts); /* a new client: lines negated */
    }
}

/* What fd has for the device, into in; the end of the input closes a TCP client (the next
 * one may come) or ends stdio. */
static void host_read(struct host *h, struct ring *in, int fd)
{
    uint8_t buf[4096];
    uint32_t room = ring_space(in) < sizeof buf ? ring_space(in) : (uint32_t)sizeof buf;
    ssize_t got = read(fd, buf, room);
    if (got > 0) {
        take_input(h, in, buf, (size_t)got);
    } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
        if (h->kind == HOST_TCP) {
            close(h->fd); /* the client left; wait for the next one */
            h->fd = h->out_fd = -1;
        } else if (h->kind == HOST_STDIO) {
            h->eof = 1;
        }
    }
}

void host_poll(struct host *h, struct ring *in, int timeout_us)
{
    struct pollfd p[2];
    if (timeout_us > 0)
        host_flush(h); /* what the device sent must not wait out the wait */
    int n = 0, want_in = ring_space(in) > 4096u && !h->eof;
    if (h->kind == HOST_TCP && h->fd < 0) {
        p[n].fd = h->lfd;
        p[n].events = POLLIN;
        n++;
    }
    if (h->fd >= 0 && want_in) {
        p[n].fd = h->fd;
        p[n].events = POLLIN;
        n++;
    }
    struct timespec ts = {timeout_us / 1000000, (long)(timeout_us % 1000000) * 1000L};
    int r = n ? ppoll(p, (nfds_t)n, &ts, NULL) : (timeout_us > 0 ? nanosleep(&ts, NULL), 0 : 0);
    for (int i = 0; r > 0 && i < n; i++) {
        if (!p[i].revents)
            continue;
        if (p[i].fd == h->lfd)
            host_accept(h);
        else
            host_read(h, in, p[i].fd);
    }
    flush_out(h);
}

static void pkt_send(struct host *h)
{
    for (uint32_t i = 0; i < h->pkt_n; i++)
        out_put(h, h->pkt[i]);
    h->pkt_n = 0;
    h->pkt_due = T_NEVER;
}

void host_tx(struct host *h, uint8_t b, uint64_t t)
{
    if (!h->latency_ms) {
        out_put(h, b);
        return;
    }
    if (h->pkt_n == 0)
        h->pkt_due = t + (uint64_t)h->latency_ms * PS_PER_MS;
    h->pkt[h->pkt_n++] = b;
    if (h->pkt_n == USB_PACKET)
        pkt_send(h); /* a full packet leaves at once */
}

uint64_t host_next_event(const struct host *h) { return h->pkt_due; }

void host_service(struct host *h, uint64_t now)
{
    if (h->pkt_n && now >= h->pkt_due)
        pkt_send(h);
}
