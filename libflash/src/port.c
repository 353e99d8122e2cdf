/*
 * Transports for libflash: serial ports (tty.c: termios on POSIX; libserialport on
 * Windows), raw TCP (socket://HOST:PORT,
 * as ser2net serves a remote board's UART and f0sim serves the virtual one), telnet with
 * RFC 2217 COM-PORT-CONTROL (rfc2217://HOST:PORT, ser2net's mode that also carries the
 * line rate), and an in-process loopback for tests.
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
#include "tty.h"

#if defined(_WIN32)
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
    ser_read, ser_write, ser_set_baud, ser_drain, ser_flush, ser_close, NULL, NULL, NULL,
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
#endif

/* ---- raw TCP --------------------------------------------------------------------------- */

struct tcp {
    int fd;
};

/* Wait up to ms for data on a socket and take what is there: the byte count, 0 on
 * timeout, F0B_E_IO on an error or when the far end closed the connection. */
static int fd_read(int fd, uint8_t *buf, size_t max, int ms)
{
    struct pollfd pfd = { fd, POLLIN, 0 };
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
        return F0B_E_IO;        /* 0: the far end closed the connection */
    return (int)n;
}

static int tcp_read(void *ctx, uint8_t *buf, size_t max, int timeout_ms)
{
    struct tcp *t = ctx;
    return fd_read(t->fd, buf, max, timeout_ms);
}

static int send_all(int fd, const uint8_t *buf, size_t len)
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

    return send_all(t->fd, buf, len);
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
    tcp_read, tcp_write, tcp_set_baud, tcp_drain, tcp_flush, tcp_close, NULL, NULL, NULL,
};

static uint64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Connect to HOST:PORT (scheme names the URL in messages). Returns the socket, or
 * F0B_E_ARG / F0B_E_PORT with the reason in err. */
static int tcp_connect(const char *scheme, const char *hostport, int timeout_ms, char *err,
                       size_t errlen)
{
    char host[256];
    const char *colon = strrchr(hostport, ':');
    struct addrinfo hints, *ai = NULL;
    uint64_t end = mono_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
    int fd = -1, rc, one = 1, last_errno = 0;

    if (!colon || colon == hostport || !colon[1] || (size_t)(colon - hostport) >= sizeof host) {
        snprintf(err, errlen, "%s%s: expected %sHOST:PORT", scheme, hostport, scheme);
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
        if (fd >= 0 || mono_ms() >= end)
            break;
        usleep(100 * 1000);
    }
    freeaddrinfo(ai);
    if (fd < 0) {
        snprintf(err, errlen, "%s%s: cannot connect: %s (is the board server running?)",
                 scheme, hostport, strerror(last_errno));
        return F0B_E_PORT;
    }
    /* Frames are written whole; do not let Nagle hold back a small request. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static int open_tcp(struct f0b_port *p, const char *hostport, int timeout_ms, char *err,
                    size_t errlen)
{
    int fd = tcp_connect("socket://", hostport, timeout_ms, err, errlen);
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

/* ---- RFC 2217: telnet with COM-PORT-CONTROL --------------------------------------------- */

/* ser2net in RFC 2217 mode serves the UART over telnet (RFC 854). Data bytes pass as they
 * are except 0xFF (IAC), which is doubled; IAC introduces a command, an option negotiation
 * (RFC 855: WILL/WONT/DO/DONT option) or a subnegotiation (IAC SB option ... IAC SE). The
 * COM-PORT-OPTION (44) subnegotiations set the far UART: the client sends code n, the
 * server answers code 100 + n with the value it actually set. */
enum {
    TN_SE = 240, TN_SB = 250, TN_WILL = 251, TN_WONT = 252, TN_DO = 253, TN_DONT = 254,
    TN_IAC = 255,
    TN_OPT_BINARY = 0, TN_OPT_SGA = 3, TN_OPT_COMPORT = 44,
};

enum {
    CPC_SET_BAUDRATE = 1, CPC_SET_DATASIZE = 2, CPC_SET_PARITY = 3, CPC_SET_STOPSIZE = 4,
    CPC_SET_CONTROL = 5,
    CPC_SERVER = 100,           /* added to the code in the server's answers */
    CPC_PARITY_NONE = 1, CPC_STOPSIZE_1 = 1, CPC_CONTROL_NONE = 1,
};

/* Option states after RFC 1143 (the Q method, without the queue bit): answer a request only
 * when it changes the state, so two ends never loop on each other's answers. */
enum { Q_NO, Q_WANT, Q_YES };

enum tn_state { TS_DATA, TS_IAC, TS_VERB, TS_SB_OPT, TS_SB, TS_SB_IAC };

struct rfc {
    int fd;
    const char *hostport;       /* for messages while opening */
    enum tn_state st;
    uint8_t verb;               /* WILL/WONT/DO/DONT waiting for its option byte */
    uint8_t sb_opt;
    uint8_t sb[16];             /* longer subnegotiations are cut (none we read is longer) */
    size_t sb_n;
    uint8_t us[256], him[256];  /* Q_* per option: what we do, what the server does */
    int refused;                /* the server said no to COM-PORT-OPTION */
    int failed;                 /* an answer to the server could not be sent */
    unsigned acked;             /* bit n: answer 100 + n seen since the request was sent */
    uint32_t ack_val[CPC_SET_CONTROL + 1];
    int ack_ms;                 /* how long to wait for the server's answers */
    uint8_t *q;                 /* data that arrived while waiting for an answer */
    size_t qn, qcap;
};

static void tn_send(struct rfc *r, const uint8_t *p, size_t n)
{
    if (send_all(r->fd, p, n) < 0)
        r->failed = 1;
}

static void tn_reply(struct rfc *r, uint8_t verb, uint8_t opt)
{
    uint8_t m[3] = { TN_IAC, verb, opt };

    tn_send(r, m, sizeof m);
}

/* IAC SB COM-PORT-OPTION code value IAC SE, with 0xFF in the value doubled. */
static void cpc_send(struct rfc *r, uint8_t code, const uint8_t *val, size_t n)
{
    uint8_t m[4 + 2 * 4 + 2];
    size_t k = 0;

    m[k++] = TN_IAC;
    m[k++] = TN_SB;
    m[k++] = TN_OPT_COMPORT;
    m[k++] = code;
    for (size_t i = 0; i < n; i++) {
        m[k++] = val[i];
        if (val[i] == TN_IAC)
            m[k++] = TN_IAC;
    }
    m[k++] = TN_IAC;
    m[k++] = TN_SE;
    tn_send(r, m, k);
}

static void cpc_send_baud(struct rfc *r, uint32_t baud)
{
    uint8_t v[4] = { (uint8_t)(baud >> 24), (uint8_t)(baud >> 16), (uint8_t)(baud >> 8),
                     (uint8_t)baud };

    r->acked &= ~(1u << CPC_SET_BAUDRATE);
    cpc_send(r, CPC_SET_BAUDRATE, v, 4);    /* network byte order (RFC 2217) */
}

/* The server's WILL/WONT (about itself) or DO/DONT (about us) for option opt. */
static void tn_option(struct rfc *r, uint8_t verb, uint8_t opt)
{
    int about_us = verb == TN_DO || verb == TN_DONT;
    int yes = verb == TN_DO || verb == TN_WILL;
    uint8_t *q = about_us ? &r->us[opt] : &r->him[opt];
    /* Binary both ways so CR and NUL pass untouched, no go-ahead, and on our side the
     * COM-PORT-OPTION; everything else (ECHO above all: an echoed frame is garbage) no. */
    int ok = opt == TN_OPT_BINARY || opt == TN_OPT_SGA || (about_us && opt == TN_OPT_COMPORT);

    if (opt == TN_OPT_COMPORT && !yes && (about_us || r->us[opt] != Q_YES))
        r->refused = 1;
    if (yes) {
        if (*q == Q_NO) {
            if (ok)
                *q = Q_YES;
            tn_reply(r, ok ? (about_us ? TN_WILL : TN_DO) : (about_us ? TN_WONT : TN_DONT), opt);
        } else {
            *q = Q_YES;
        }
    } else if (*q != Q_NO) {
        if (*q == Q_YES)
            tn_reply(r, about_us ? TN_WONT : TN_DONT, opt);
        *q = Q_NO;
    }
}

static void tn_sb_end(struct rfc *r)
{
    uint32_t v = 0;
    unsigned code;

    if (r->sb_opt != TN_OPT_COMPORT || r->sb_n < 1 || r->sb[0] < CPC_SERVER)
        return;
    code = r->sb[0] - CPC_SERVER;
    if (code < CPC_SET_BAUDRATE || code > CPC_SET_CONTROL)
        return;                 /* notifications (line/modem state, flow control): no use */
    for (size_t i = 1; i < r->sb_n && i <= 4; i++)
        v = v << 8 | r->sb[i];
    r->ack_val[code] = v;
    r->acked |= 1u << code;
}

/* The byte after an IAC. */
static void tn_command(struct rfc *r, uint8_t c)
{
    if (c >= TN_WILL && c <= TN_DONT) {
        r->verb = c;
        r->st = TS_VERB;
    } else if (c == TN_SB) {
        r->st = TS_SB_OPT;
    } else {
        r->st = TS_DATA;        /* NOP, GA, DM, BRK...: nothing for a byte stream */
    }
}

/* Run n received bytes through the telnet state machine; data bytes go to out (room for n
 * bytes: every data byte costs at least one received byte). Any split of a sequence across
 * calls is fine: all state is in r. Returns the number of data bytes. */
static size_t tn_feed(struct rfc *r, const uint8_t *in, size_t n, uint8_t *out)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        uint8_t c = in[i];
        switch (r->st) {
        case TS_DATA:
            if (c == TN_IAC)
                r->st = TS_IAC;
            else
                out[k++] = c;
            break;
        case TS_IAC:
            if (c == TN_IAC) {
                out[k++] = c;
                r->st = TS_DATA;
            } else {
                tn_command(r, c);
            }
            break;
        case TS_VERB:
            tn_option(r, r->verb, c);
            r->st = TS_DATA;
            break;
        case TS_SB_OPT:
            r->sb_opt = c;
            r->sb_n = 0;
            r->st = TS_SB;
            break;
        case TS_SB:
            if (c == TN_IAC)
                r->st = TS_SB_IAC;
            else if (r->sb_n < sizeof r->sb)
                r->sb[r->sb_n++] = c;
            break;
        case TS_SB_IAC:
            if (c == TN_IAC) {
                if (r->sb_n < sizeof r->sb)
                    r->sb[r->sb_n++] = c;
                r->st = TS_SB;
            } else if (c == TN_SE) {
                tn_sb_end(r);
                r->st = TS_DATA;
            } else {
                tn_command(r, c);   /* an unterminated subnegotiation: drop it */
            }
            break;
        }
    }
    return k;
}

/* Wait up to ms for bytes and feed them: the data count (may be 0), 0 on timeout too, or
 * F0B_E_IO. At most max bytes are read, so out needs room for max. */
static int rfc_recv(struct rfc *r, uint8_t *out, size_t max, int ms)
{
    uint8_t raw[512];
    int n = fd_read(r->fd, raw, max < sizeof raw ? max : sizeof raw, ms);

    if (n <= 0)
        return n;
    size_t k = tn_feed(r, raw, (size_t)n, out);
    return r->failed ? F0B_E_IO : (int)k;
}

/* Until the answers in mask (bits 1 << CPC_*) have all arrived, or with mask 0 until the
 * COM-PORT-OPTION is agreed or refused: 1 when there, 0 after ms, or F0B_E_IO. Data that
 * arrives meanwhile is kept for rfc_read. */
static int rfc_wait(struct rfc *r, unsigned mask, int ms)
{
    uint64_t end = mono_ms() + (uint64_t)(ms > 0 ? ms : 0);
    uint8_t data[512];

    for (;;) {
        if (r->refused)
            return 0;
        if (mask ? (r->acked & mask) == mask : r->us[TN_OPT_COMPORT] == Q_YES)
            return 1;
        uint64_t t = mono_ms();
        if (t >= end)
            return 0;
        int n = rfc_recv(r, data, sizeof data, (int)(end - t));
        if (n <= 0) {
            if (n < 0)
                return n;
            continue;
        }
        if ((size_t)n > r->qcap - r->qn) {
            size_t cap = r->qcap ? r->qcap * 2 : 1024;
            while (cap - r->qn < (size_t)n)
                cap *= 2;
            uint8_t *q = realloc(r->q, cap);
            if (!q)
                return F0B_E_IO;
            r->q = q;
            r->qcap = cap;
        }
        memcpy(r->q + r->qn, data, (size_t)n);
        r->qn += (size_t)n;
    }
}

static int rfc_read(void *ctx, uint8_t *buf, size_t max, int timeout_ms)
{
    struct rfc *r = ctx;
    uint64_t end = mono_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);

    if (r->qn) {
        size_t n = r->qn < max ? r->qn : max;
        memcpy(buf, r->q, n);
        memmove(r->q, r->q + n, r->qn - n);
        r->qn -= n;
        return (int)n;
    }
    /* Commands alone yield no data: keep reading until data or the deadline. */
    for (;;) {
        uint64_t t = mono_ms();
        int n = rfc_recv(r, buf, max, t < end ? (int)(end - t) : 0);
        if (n != 0 || t >= end)
            return n;
    }
}

static int rfc_write(void *ctx, const uint8_t *buf, size_t len)
{
    struct rfc *r = ctx;
    uint8_t out[1024];
    size_t k = 0;

    for (size_t i = 0; i < len; i++) {
        out[k++] = buf[i];
        if (buf[i] == TN_IAC)
            out[k++] = TN_IAC;
        if (k >= sizeof out - 1 || i + 1 == len) {
            if (send_all(r->fd, out, k) < 0)
                return F0B_E_IO;
            k = 0;
        }
    }
    return 0;
}

/* The far UART changes rate only once the server says so: wait for its answer. */
static int rfc_set_baud(void *ctx, uint32_t baud)
{
    struct rfc *r = ctx;
    int rc;

    if (r->us[TN_OPT_COMPORT] != Q_YES)
        return F0B_E_IO;
    cpc_send_baud(r, baud);
    rc = rfc_wait(r, 1u << CPC_SET_BAUDRATE, r->ack_ms);
    if (rc < 0 || r->failed)
        return F0B_E_IO;
    return rc == 1 && r->ack_val[CPC_SET_BAUDRATE] == baud ? 0 : F0B_E_IO;
}

static int rfc_drain(void *ctx)
{
    (void)ctx;                  /* the server's UART sends in its own time */
    return 0;
}

/* Discard data waiting, but still act on the commands among it. */
static int rfc_flush(void *ctx)
{
    struct rfc *r = ctx;
    uint8_t raw[512], junk[512];
    ssize_t n;

    r->qn = 0;
    while ((n = recv(r->fd, raw, sizeof raw, MSG_DONTWAIT)) > 0)
        tn_feed(r, raw, (size_t)n, junk);
    return 0;
}

static void rfc_close(void *ctx)
{
    struct rfc *r = ctx;

    close(r->fd);
    free(r->q);
    free(r);
}

static const struct f0b_port_ops rfc_ops = {
    rfc_read, rfc_write, rfc_set_baud, rfc_drain, rfc_flush, rfc_close, NULL, NULL, NULL,
};

/* Negotiate COM-PORT-OPTION and set the far UART to 8N1 at baud, no flow control. */
static int rfc_configure(struct rfc *r, uint32_t baud, char *err, size_t errlen)
{
    static const uint8_t hello[] = {
        TN_IAC, TN_WILL, TN_OPT_BINARY, TN_IAC, TN_DO, TN_OPT_BINARY,
        TN_IAC, TN_WILL, TN_OPT_SGA, TN_IAC, TN_DO, TN_OPT_SGA,
        TN_IAC, TN_WILL, TN_OPT_COMPORT,
    };
    const uint8_t b8 = 8, none = CPC_PARITY_NONE, one = CPC_STOPSIZE_1,
                  noflow = CPC_CONTROL_NONE;
    const unsigned all = 1u << CPC_SET_BAUDRATE | 1u << CPC_SET_DATASIZE |
                         1u << CPC_SET_PARITY | 1u << CPC_SET_STOPSIZE | 1u << CPC_SET_CONTROL;
    int rc;

    r->us[TN_OPT_BINARY] = r->him[TN_OPT_BINARY] = Q_WANT;
    r->us[TN_OPT_SGA] = r->him[TN_OPT_SGA] = Q_WANT;
    r->us[TN_OPT_COMPORT] = Q_WANT;
    tn_send(r, hello, sizeof hello);
    rc = r->failed ? F0B_E_IO : rfc_wait(r, 0, r->ack_ms);
    if (rc < 0) {
        snprintf(err, errlen, "rfc2217://%s: the connection broke during telnet negotiation",
                 r->hostport);
        return F0B_E_PORT;
    }
    if (r->refused) {
        snprintf(err, errlen, "rfc2217://%s: the server refuses COM-PORT-CONTROL (RFC 2217): "
                 "turn it on (ser2net: a telnet(rfc2217) accepter) or use socket://%s for raw "
                 "TCP", r->hostport, r->hostport);
        return F0B_E_PORT;
    }
    if (rc == 0) {
        snprintf(err, errlen, "rfc2217://%s: no telnet answer to COM-PORT-CONTROL in %d ms: "
                 "is this an RFC 2217 port? (for raw TCP use socket://%s)", r->hostport,
                 r->ack_ms, r->hostport);
        return F0B_E_PORT;
    }
    /* In the order RFC 2217 recommends (rate, size, parity, stop bits), then flow control. */
    r->acked = 0;
    cpc_send_baud(r, baud);
    cpc_send(r, CPC_SET_DATASIZE, &b8, 1);
    cpc_send(r, CPC_SET_PARITY, &none, 1);
    cpc_send(r, CPC_SET_STOPSIZE, &one, 1);
    cpc_send(r, CPC_SET_CONTROL, &noflow, 1);
    rc = r->failed ? F0B_E_IO : rfc_wait(r, all, r->ack_ms);
    if (rc != 1 || r->refused) {
        snprintf(err, errlen, "rfc2217://%s: the server did not confirm the port settings "
                 "(%s)", r->hostport, rc < 0 ? "connection broke" : r->refused ?
                 "COM-PORT-CONTROL withdrawn" : "no answer in time");
        return F0B_E_PORT;
    }
    if (r->ack_val[CPC_SET_BAUDRATE] != baud) {
        snprintf(err, errlen, "rfc2217://%s: the server set %u baud instead of %u (a rate its "
                 "UART cannot do?)", r->hostport, r->ack_val[CPC_SET_BAUDRATE], baud);
        return F0B_E_PORT;
    }
    if (r->ack_val[CPC_SET_DATASIZE] != b8 || r->ack_val[CPC_SET_PARITY] != none ||
        r->ack_val[CPC_SET_STOPSIZE] != one) {
        snprintf(err, errlen, "rfc2217://%s: the server cannot set 8N1 (it answered data size "
                 "%u, parity %u, stop size %u)", r->hostport, r->ack_val[CPC_SET_DATASIZE],
                 r->ack_val[CPC_SET_PARITY], r->ack_val[CPC_SET_STOPSIZE]);
        return F0B_E_PORT;
    }
    return 0;
}

static int open_rfc2217(struct f0b_port *p, const char *hostport, uint32_t baud,
                        int timeout_ms, char *err, size_t errlen)
{
    struct rfc *r = NULL;
    int fd, rc;

    fd = tcp_connect("rfc2217://", hostport, timeout_ms, err, errlen);
    if (fd < 0)
        return fd;
    r = calloc(1, sizeof *r);
    if (!r) {
        rc = F0B_E_NOMEM;
        goto done;
    }
    r->fd = fd;
    r->hostport = hostport;
    r->ack_ms = timeout_ms > 0 ? timeout_ms : 1000;
    rc = rfc_configure(r, baud, err, errlen);
    if (rc == 0) {
        r->hostport = NULL;     /* the caller's string: not kept beyond open */
        p->ops = &rfc_ops;
        p->ctx = r;
        p->is_socket = 0;       /* set_baud does change the far UART */
    }
done:
    if (rc != 0) {
        if (r)
            free(r->q);
        free(r);
        close(fd);
    }
    return rc;
}

int f0b_port_open(struct f0b_port *p, const char *spec, uint32_t baud, int timeout_ms,
                  char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    if (strncmp(spec, "socket://", 9) == 0)
        return open_tcp(p, spec + 9, timeout_ms, err, errlen);
    if (strncmp(spec, "rfc2217://", 10) == 0)
        return open_rfc2217(p, spec + 10, baud, timeout_ms, err, errlen);
    if (strstr(spec, "://")) {
        snprintf(err, errlen, "%s: unsupported port scheme (use socket://HOST:PORT, "
                 "rfc2217://HOST:PORT or a serial device name)", spec);
        return F0B_E_ARG;
    }
#if defined(_WIN32)
    return open_serial(p, spec, baud, err, errlen);
#else
    return f0b_tty_open(p, spec, baud, err, errlen);
#endif
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
    loop_read, loop_write, loop_set_baud, loop_nop, loop_nop, loop_close, loop_now, NULL, NULL,
};

void f0b_port_loop(struct f0b_port *p, const struct f0b_loop_peer *peer)
{
    memset(p, 0, sizeof *p);
    p->ops = &loop_ops;
    p->ctx = (void *)peer;
}
