/*
 * Telnet with RFC 2217 COM-PORT-CONTROL (rfc2217://HOST:PORT): ser2net's mode that also
 * carries the line rate to the far UART.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "transport.h"


/* ser2net in RFC 2217 mode serves the UART over telnet (RFC 854). Data bytes pass as they
 * are except 0xFF (IAC), which is doubled; IAC introduces a command, an option negotiation
 * (RFC 855: WILL/WONT/DO/DONT option) or a subnegotiation (IAC SB option ... IAC SE). The
 * COM-PORT-OPTION (44) subnegotiations set the far UART: the client sends code n, the
 * server answers code 100 + n with the value it actually set. */
enum {
    TN_SE = 240,
    TN_SB = 250,
    TN_WILL = 251,
    TN_WONT = 252,
    TN_DO = 253,
    TN_DONT = 254,
    TN_IAC = 255,
    TN_OPT_BINARY = 0,
    TN_OPT_SGA = 3,
    TN_OPT_COMPORT = 44,
};

enum {
    CPC_SET_BAUDRATE = 1,
    CPC_SET_DATASIZE = 2,
    CPC_SET_PARITY = 3,
    CPC_SET_STOPSIZE = 4,
    CPC_SET_CONTROL = 5,
    CPC_SERVER = 100, /* added to the code in the server's answers */
    CPC_PARITY_NONE = 1,
    CPC_STOPSIZE_1 = 1,
    CPC_CONTROL_NONE = 1,
    /* SET-CONTROL values for the modem lines (RFC 2217: "ON" asserts the line) */
    CPC_DTR_ON = 8,
    CPC_DTR_OFF = 9,
    CPC_RTS_ON = 11,
    CPC_RTS_OFF = 12,
};

/* Option states after RFC 1143 (the Q method, without the queue bit): answer a request only
 * when it changes the state, so two ends never loop on each other's answers. */
enum { Q_NO, Q_WANT, Q_YES };

enum tn_state { TS_DATA, TS_IAC, TS_VERB, TS_SB_OPT, TS_SB, TS_SB_IAC };

struct rfc {
    int fd;
    const char *hostport; /* for messages while opening */
    enum tn_state st;
    uint8_t verb; /* WILL/WONT/DO/DONT waiting for its option byte */
    uint8_t sb_opt;
    uint8_t sb[16]; /* longer subnegotiations are cut (none we read is longer) */
    size_t sb_n;
    uint8_t us[256], him[256]; /* Q_* per option: what we do, what the server does */
    int refused;               /* the server said no to COM-PORT-OPTION */
    int failed;                /* an answer to the server could not be sent */
    unsigned acked;            /* bit n: answer 100 + n seen since the request was sent */
    uint32_t ack_val[CPC_SET_CONTROL + 1];
    int ack_ms; /* how long to wait for the server's answers */
    uint8_t *q; /* data that arrived while waiting for an answer */
    size_t qn, qcap;
};

static void tn_send(struct rfc *r, const uint8_t *p, size_t n)
{
    if (f0b_send_all(r->fd, p, n) < 0)
        r->failed = 1;
}

static void tn_reply(struct rfc *r, uint8_t verb, uint8_t opt)
{
    uint8_t m[3] = {TN_IAC, verb, opt};

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
    uint8_t v[4] = {(uint8_t)(baud >> 24), (uint8_t)(baud >> 16), (uint8_t)(baud >> 8),
                    (uint8_t)baud};

    r->acked &= ~(1u << CPC_SET_BAUDRATE);
    cpc_send(r, CPC_SET_BAUDRATE, v, 4); /* network byte order (RFC 2217) */
}

/* Our answer to a request to enable (yes) or disable an option whose state is *q: the verb
 * to send, or 0 for none (RFC 1143: answer only what changes the state). */
static uint8_t tn_answer(uint8_t *q, int yes, int ok, int about_us)
{
    if (yes) {
        if (*q != Q_NO) {
            *q = Q_YES;
            return 0;
        }
        if (ok)
            *q = Q_YES;
        if (about_us)
            return ok ? TN_WILL : TN_WONT;
        return ok ? TN_DO : TN_DONT;
    }
    if (*q == Q_NO)
        return 0;
    uint8_t verb = *q == Q_YES ? (about_us ? TN_WONT : TN_DONT) : 0;
    *q = Q_NO;
    return verb;
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
    uint8_t reply = tn_answer(q, yes, ok, about_us);
    if (reply)
        tn_reply(r, reply, opt);
}

static void tn_sb_end(struct rfc *r)
{
    uint32_t v = 0;
    unsigned code;

    if (r->sb_opt != TN_OPT_COMPORT || r->sb_n < 1 || r->sb[0] < CPC_SERVER)
        return;
    code = r->sb[0] - CPC_SERVER;
    if (code < CPC_SET_BAUDRATE || code > CPC_SET_CONTROL)
        return; /* notifications (line/modem state, flow control): no use */
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
        r->st = TS_DATA; /* NOP, GA, DM, BRK...: nothing for a byte stream */
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
                tn_command(r, c); /* an unterminated subnegotiation: drop it */
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
    int n = f0b_fd_read(r->fd, raw, max < sizeof raw ? max : sizeof raw, ms);

    if (n <= 0)
        return n;
    size_t k = tn_feed(r, raw, (size_t)n, out);
    return r->failed ? F0B_E_IO : (int)k;
}

/* Keep n data bytes for rfc_read: 0, or -1 out of memory. */
static int rfc_keep(struct rfc *r, const uint8_t *data, size_t n)
{
    if (n > r->qcap - r->qn) {
        size_t cap = r->qcap ? r->qcap * 2 : 1024;
        while (cap - r->qn < n)
            cap *= 2;
        uint8_t *q = realloc(r->q, cap);
        if (!q)
            return -1;
        r->q = q;
        r->qcap = cap;
    }
    memcpy(r->q + r->qn, data, n);
    r->qn += n;
    return 0;
}

/* Until the answers in mask (bits 1 << CPC_*) have all arrived, or with mask 0 until the
 * COM-PORT-OPTION is agreed or refused: 1 when there, 0 after ms, or F0B_E_IO. Data that
 * arrives meanwhile is kept for rfc_read. */
static int rfc_wait(struct rfc *r, unsigned mask, int ms)
{
    uint64_t end = f0b_mono_ms() + (uint64_t)(ms > 0 ? ms : 0);
    uint8_t data[512];

    for (;;) {
        if (r->refused)
            return 0;
        if (mask ? (r->acked & mask) == mask : r->us[TN_OPT_COMPORT] == Q_YES)
            return 1;
        uint64_t t = f0b_mono_ms();
        if (t >= end)
            return 0;
        int n = rfc_recv(r, data, sizeof data, (int)(end - t));
        if (n <= 0) {
            if (n < 0)
                return n;
            continue;
        }
        if (rfc_keep(r, data, (size_t)n) < 0)
            return F0B_E_IO;
    }
}

static int rfc_read(void *ctx, uint8_t *buf, size_t max, int timeout_ms)
{
    struct rfc *r = ctx;
    uint64_t end = f0b_mono_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);

    if (r->qn) {
        size_t n = r->qn < max ? r->qn : max;
        memcpy(buf, r->q, n);
        memmove(r->q, r->q + n, r->qn - n);
        r->qn -= n;
        return (int)n;
    }
    /* Commands alone yield no data: keep reading until data or the deadline. */
    for (;;) {
        uint64_t t = f0b_mono_ms();
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
            if (f0b_send_all(r->fd, out, k) < 0)
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

/* DTR and RTS through SET-CONTROL, one line at a time, each confirmed by the server (its
 * answer 105 carries the value it set). ser2net drives the real port's lines. */
static int rfc_set_lines(void *ctx, int dtr, int rts)
{
    struct rfc *r = ctx;
    const uint8_t v[2] = {dtr ? CPC_DTR_ON : CPC_DTR_OFF, rts ? CPC_RTS_ON : CPC_RTS_OFF};

    if (r->us[TN_OPT_COMPORT] != Q_YES)
        return F0B_E_IO;
    for (int i = 0; i < 2; i++) {
        r->acked &= ~(1u << CPC_SET_CONTROL);
        cpc_send(r, CPC_SET_CONTROL, &v[i], 1);
        int rc = r->failed ? F0B_E_IO : rfc_wait(r, 1u << CPC_SET_CONTROL, r->ack_ms);
        if (rc != 1 || r->ack_val[CPC_SET_CONTROL] != v[i])
            return F0B_E_IO;
    }
    return 0;
}

static int rfc_drain(void *ctx)
{
    (void)ctx; /* the server's UART sends in its own time */
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
    rfc_read, rfc_write, rfc_set_baud, rfc_drain, rfc_flush, rfc_close, NULL, rfc_set_lines, NULL,
};

/* Negotiate COM-PORT-OPTION and set the far UART to 8N1 at baud, no flow control. */
static int rfc_configure(struct rfc *r, uint32_t baud, char *err, size_t errlen)
{
    static const uint8_t hello[] = {
        TN_IAC,        TN_WILL,    TN_OPT_BINARY, TN_IAC,     TN_DO,
        TN_OPT_BINARY, TN_IAC,     TN_WILL,       TN_OPT_SGA, TN_IAC,
        TN_DO,         TN_OPT_SGA, TN_IAC,        TN_WILL,    TN_OPT_COMPORT,
    };
    const uint8_t b8 = 8, none = CPC_PARITY_NONE, one = CPC_STOPSIZE_1, noflow = CPC_CONTROL_NONE;
    const unsigned all = 1u << CPC_SET_BAUDRATE | 1u << CPC_SET_DATASIZE | 1u << CPC_SET_PARITY |
                         1u << CPC_SET_STOPSIZE | 1u << CPC_SET_CONTROL;
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
        snprintf(err, errlen,
                 "rfc2217://%s: the server refuses COM-PORT-CONTROL (RFC 2217): "
                 "turn it on (ser2net: a telnet(rfc2217) accepter) or use socket://%s for raw "
                 "TCP",
                 r->hostport, r->hostport);
        return F0B_E_PORT;
    }
    if (rc == 0) {
        snprintf(err, errlen,
                 "rfc2217://%s: no telnet answer to COM-PORT-CONTROL in %d ms: "
                 "is this an RFC 2217 port? (for raw TCP use socket://%s)",
                 r->hostport, r->ack_ms, r->hostport);
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
        snprintf(err, errlen,
                 "rfc2217://%s: the server did not confirm the port settings "
                 "(%s)",
                 r->hostport,
                 rc < 0       ? "connection broke"
                 : r->refused ? "COM-PORT-CONTROL withdrawn"
                              : "no answer in time");
        return F0B_E_PORT;
    }
    if (r->ack_val[CPC_SET_BAUDRATE] != baud) {
        snprintf(err, errlen,
                 "rfc2217://%s: the server set %u baud instead of %u (a rate its "
                 "UART cannot do?)",
                 r->hostport, r->ack_val[CPC_SET_BAUDRATE], baud);
        return F0B_E_PORT;
    }
    if (r->ack_val[CPC_SET_DATASIZE] != b8 || r->ack_val[CPC_SET_PARITY] != none ||
        r->ack_val[CPC_SET_STOPSIZE] != one) {
        snprintf(err, errlen,
                 "rfc2217://%s: the server cannot set 8N1 (it answered data size "
                 "%u, parity %u, stop size %u)",
                 r->hostport, r->ack_val[CPC_SET_DATASIZE], r->ack_val[CPC_SET_PARITY],
                 r->ack_val[CPC_SET_STOPSIZE]);
        return F0B_E_PORT;
    }
    return 0;
}

int f0b_rfc2217_open(struct f0b_port *p, const char *hostport, uint32_t baud, int timeout_ms,
                     char *err, size_t errlen)
{
    struct rfc *r = NULL;
    int fd, rc;

    fd = f0b_tcp_connect("rfc2217://", hostport, timeout_ms, err, errlen);
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
        r->hostport = NULL; /* the caller's string: not kept beyond open */
        p->ops = &rfc_ops;
        p->ctx = r;
        p->is_socket = 0; /* set_baud does change the far UART */
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
