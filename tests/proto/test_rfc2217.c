/*
 * rfc2217:// (libflash/src/port.c) against an RFC 2217 server run by a thread of this test
 * (tcpdev.c) and written here from RFC 854, 855 and 2217, independently of the client. It
 * logs what the client negotiates, the port settings and the data it receives. Checked:
 * the negotiation and the 8N1/no-flow settings at open, baud changes and the server's
 * answer to them (also a server that sets another rate or never answers), 0xFF both ways,
 * the server's own requests and notifications kept out of the data, every byte of the
 * server's output in its own send(), servers that refuse COM-PORT-CONTROL or do not speak
 * telnet; and f0boot flash/probe/boot through the server to the real device engine, the
 * server's UART garbling every byte while its rate differs from the device's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "core_util.h"
#include "f0boot/flash.h"
#include "f0boot/layout.h"
#include "fake_board.h"
#include "fake_flash.h"
#include "tcpdev.h"

/* RFC 854 commands, RFC 856/858/857/1091 and RFC 2217 option numbers. */
#define T_SE       240
#define T_NOP      241
#define T_SB       250
#define T_WILL     251
#define T_WONT     252
#define T_DO       253
#define T_DONT     254
#define T_IAC      255
#define OPT_BINARY 0
#define OPT_ECHO   1
#define OPT_SGA    3
#define OPT_TTYPE  24
#define OPT_COM    44

/* ---- the server ------------------------------------------------------------------------ */

enum { P_DATA, P_IAC, P_NEG, P_SB_OPT, P_SB, P_SB_IAC };
enum { OFF, ASKED, ON };

struct srv {
    /* behaviour */
    int refuse;         /* 0, or T_WONT / T_DONT: the answer to WILL COM-PORT-OPTION */
    int mute;           /* no telnet at all: a raw TCP port */
    int split;          /* every output byte in a send() of its own */
    int chatter;        /* own requests (WILL ECHO, DO TTYPE), NOPs, notifications */
    int echo;           /* data goes back to the client; otherwise to the device */
    uint32_t baud_cap;  /* SET-BAUDRATE sets at most this (0: any) */
    unsigned baud_acks; /* answer only the first n SET-BAUDRATEs (0: all) */
    int baud_lies;      /* after the first, answer SET-BAUDRATE but leave the UART */
    /* parser */
    int st;
    uint8_t verb, sb_opt, sb[32];
    size_t sb_n;
    uint8_t my[256], his[256]; /* OFF/ASKED/ON: options at the server, at the client */
    /* what arrived, and the UART */
    uint8_t neg[64][2];
    size_t n_neg;
    uint8_t cpc_code[64];
    uint32_t cpc_val[64];
    size_t n_cpc;
    unsigned n_baud;
    uint8_t data[16384];
    size_t n_data;
    size_t iac_pairs; /* doubled 0xFF in the data */
    uint32_t baud;
};

static struct srv S;
static struct f0b_layout L;
static struct tcpdev D;

static void srv_reset(void)
{
    memset(&S, 0, sizeof S);
    S.baud = 9600; /* as ser2net may have the port configured: open must set it */
}

static void srv_out(int fd, const uint8_t *p, size_t n)
{
    if (!S.split) {
        if (n && send(fd, p, n, MSG_NOSIGNAL) < 0)
            return;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (send(fd, p + i, 1, MSG_NOSIGNAL) < 0)
            return;
        usleep(200); /* so the client's reads see one byte at a time */
    }
}

static void srv_cmd(int fd, uint8_t verb, uint8_t opt)
{
    uint8_t m[3] = {T_IAC, verb, opt};

    srv_out(fd, m, 3);
}

/* Appends IAC SB COM-PORT-OPTION code value IAC SE to m (0xFF in the value doubled). */
static size_t put_cpc(uint8_t *m, uint8_t code, uint32_t val, int len)
{
    size_t k = 0;

    m[k++] = T_IAC;
    m[k++] = T_SB;
    m[k++] = OPT_COM;
    m[k++] = code;
    for (int i = len - 1; i >= 0; i--) {
        uint8_t b = (uint8_t)(val >> (8 * i));
        m[k++] = b;
        if (b == T_IAC)
            m[k++] = T_IAC;
    }
    m[k++] = T_IAC;
    m[k++] = T_SE;
    return k;
}

/* Noise a client must not take for data: NOP, a modem-state notification, a line-state
 * notification whose value is 0xFF (doubled inside the subnegotiation). */
static size_t put_chatter(uint8_t *m)
{
    size_t k = 0;

    m[k++] = T_IAC;
    m[k++] = T_NOP;
    k += put_cpc(m + k, 107, 0x30, 1);
    k += put_cpc(m + k, 106, 0xFF, 1);
    return k;
}

static void srv_accepted(void *ctx, int fd)
{
    static const uint8_t hello[] = {
        T_IAC, T_WILL, OPT_ECHO, T_IAC, T_DO, OPT_TTYPE, T_IAC, T_NOP, T_IAC, T_WILL, OPT_SGA,
    };
    (void)ctx;

    if (!S.chatter || S.mute)
        return;
    S.my[OPT_ECHO] = S.my[OPT_SGA] = ASKED;
    S.his[OPT_TTYPE] = ASKED;
    srv_out(fd, hello, sizeof hello);
}

/* The client's WILL/WONT/DO/DONT opt (RFC 855; answers only on a change of state). */
static void srv_neg(int fd, uint8_t verb, uint8_t opt)
{
    int client_side = verb == T_WILL || verb == T_WONT;
    uint8_t *st = client_side ? &S.his[opt] : &S.my[opt];
    int ok = client_side ? (opt == OPT_BINARY || opt == OPT_SGA || opt == OPT_COM)
                         : (opt == OPT_BINARY || opt == OPT_SGA || opt == OPT_ECHO);

    if (S.n_neg < 64) {
        S.neg[S.n_neg][0] = verb;
        S.neg[S.n_neg++][1] = opt;
    }
    if (verb == T_WILL && opt == OPT_COM && S.refuse) {
        srv_cmd(fd, (uint8_t)S.refuse, opt);
        return;
    }
    if (verb == T_WILL || verb == T_DO) {
        if (*st == OFF)
            srv_cmd(fd, ok ? (client_side ? T_DO : T_WILL) : (client_side ? T_DONT : T_WONT), opt);
        if (ok)
            *st = ON;
    } else {
        if (*st == ON)
            srv_cmd(fd, client_side ? T_DONT : T_WONT, opt);
        *st = OFF;
    }
}

/* IAC SB COM-PORT-OPTION code value IAC SE from the client: log, set, answer 100 + code. */
static void srv_cpc(int fd)
{
    uint8_t m[32];
    uint8_t code;
    uint32_t v = 0;

    if (S.sb_opt != OPT_COM || S.sb_n < 1)
        return;
    code = S.sb[0];
    for (size_t i = 1; i < S.sb_n; i++)
        v = v << 8 | S.sb[i];
    if (S.n_cpc < 64) {
        S.cpc_code[S.n_cpc] = code;
        S.cpc_val[S.n_cpc++] = v;
    }
    if (code == 1) {
        S.n_baud++;
        if (v && !(S.baud_lies && S.n_baud > 1))
            S.baud = S.baud_cap && v > S.baud_cap ? S.baud_cap : v;
        if (!S.baud_acks || S.n_baud <= S.baud_acks)
            srv_out(fd, m, put_cpc(m, 101, S.baud_lies ? v : S.baud, 4));
    } else if (code >= 2 && code <= 5) {
        static const uint8_t current[6] = {0, 0, 8, 1, 1, 1};
        srv_out(fd, m, put_cpc(m, (uint8_t)(100 + code), v ? v : current[code], 1));
    }
}

/* A byte at the UART's rate when the far end sends at another arrives as garbage. */
static uint8_t uart(uint8_t c, uint32_t sent, uint32_t rx)
{
    return sent == rx ? c : (uint8_t)(c ^ 0xA5);
}

static size_t srv_rx(void *ctx, int fd, const uint8_t *in, size_t n, uint8_t *out)
{
    uint8_t echo[4 * 4096 + 64];
    size_t k = 0, e = 0;
    (void)ctx;

    if (S.mute)
        return 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = in[i];
        int data = -1;
        switch (S.st) {
        case P_DATA:
            if (c == T_IAC)
                S.st = P_IAC;
            else
                data = c;
            break;
        case P_IAC:
            S.st = P_DATA;
            if (c == T_IAC) {
                data = c;
                S.iac_pairs++;
            } else if (c >= T_WILL) {
                S.verb = c;
                S.st = P_NEG;
            } else if (c == T_SB) {
                S.st = P_SB_OPT;
            }
            break;
        case P_NEG:
            srv_neg(fd, S.verb, c);
            S.st = P_DATA;
            break;
        case P_SB_OPT:
            S.sb_opt = c;
            S.sb_n = 0;
            S.st = P_SB;
            break;
        case P_SB:
            if (c == T_IAC)
                S.st = P_SB_IAC;
            else if (S.sb_n < sizeof S.sb)
                S.sb[S.sb_n++] = c;
            break;
        case P_SB_IAC:
            if (c == T_SE) {
                srv_cpc(fd);
                S.st = P_DATA;
            } else {
                if (S.sb_n < sizeof S.sb)
                    S.sb[S.sb_n++] = c;
                S.st = P_SB;
            }
            break;
        }
        if (data < 0)
            continue;
        if (S.n_data < sizeof S.data)
            S.data[S.n_data++] = (uint8_t)data;
        if (!S.echo) {
            out[k++] = uart((uint8_t)data, S.baud, fake_board_baud());
            continue;
        }
        echo[e++] = (uint8_t)data;
        if (data == T_IAC)
            echo[e++] = T_IAC;
        if (S.chatter && S.n_data % 50 == 0)
            e += put_chatter(echo + e);
        if (e > sizeof echo - 64) {
            srv_out(fd, echo, e);
            e = 0;
        }
    }
    if (e && S.chatter)
        e += put_chatter(echo + e);
    srv_out(fd, echo, e);
    return k;
}

/* The device's output onto the TCP stream, through the server's UART. */
static void srv_tx(void *ctx, int fd, const uint8_t *p, const uint32_t *baud, size_t n)
{
    uint8_t m[2 * 4096 + 64];
    size_t k = 0;
    (void)ctx;

    if (S.chatter)
        k += put_chatter(m);
    for (size_t i = 0; i < n && i < 4096; i++) {
        m[k] = uart(p[i], baud[i], S.baud);
        if (m[k++] == T_IAC)
            m[k++] = T_IAC;
    }
    srv_out(fd, m, k);
}

static const struct tcpdev_filter echo_server = {srv_accepted, srv_rx, srv_tx, 1, NULL};
static const struct tcpdev_filter bridge_server = {srv_accepted, srv_rx, srv_tx, 0, NULL};

/* ---- helpers --------------------------------------------------------------------------- */

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int open_port(struct f0b_port *p, int timeout_ms, char *err, size_t errlen)
{
    char spec[64];

    snprintf(spec, sizeof spec, "rfc2217://127.0.0.1:%d", D.port);
    err[0] = 0;
    int rc = f0b_port_open(p, spec, 115200, timeout_ms, err, errlen);
    if (rc)
        print_message("open: %d %s\n", rc, err);
    return rc;
}

/* Read until n bytes arrived or ms passed: the count. */
static size_t read_n(struct f0b_port *p, uint8_t *buf, size_t n, int ms)
{
    uint64_t end = now_ms() + (uint64_t)ms;
    size_t got = 0;

    while (got < n && now_ms() < end) {
        int r = p->ops->read(p->ctx, buf + got, n - got, (int)(end - now_ms()));
        assert_true(r >= 0);
        got += (size_t)r;
    }
    return got;
}

static int negotiated(uint8_t verb, uint8_t opt)
{
    int n = 0;

    for (size_t i = 0; i < S.n_neg; i++)
        n += S.neg[i][0] == verb && S.neg[i][1] == opt;
    return n;
}

/* Payload with every byte value, runs of 0xFF and 0xFF before each telnet command byte. */
static size_t make_data(uint8_t *d, size_t max)
{
    static const uint8_t tricky[] = {0xFF, 0xFF, 0xFF, 0xF0, 0xFF, 0xFA, 0x2C, 0xFF, 0xFB,
                                     0xFF, 0xFD, 0xFF, 0xFE, 0xFF, 0xF1, 0xFF, 0x00, 0xFF};
    size_t n = 0;
    uint32_t x = 12345;

    for (int i = 0; i < 256; i++)
        d[n++] = (uint8_t)i;
    memcpy(d + n, tricky, sizeof tricky);
    n += sizeof tricky;
    memset(d + n, 0xFF, 40);
    n += 40;
    while (n < max) {
        x = x * 1103515245u + 12345u;
        d[n++] = (uint8_t)(x >> 16);
    }
    return n;
}

static size_t count_ff(const uint8_t *d, size_t n)
{
    size_t c = 0;

    for (size_t i = 0; i < n; i++)
        c += d[i] == 0xFF;
    return c;
}

/* ---- tests: the transport -------------------------------------------------------------- */

static void test_negotiation(void **state)
{
    struct f0b_port p;
    char err[300];
    (void)state;

    srv_reset();
    S.chatter = S.echo = 1;
    tcpdev_start(&D, &echo_server);
    assert_int_equal(open_port(&p, 2000, err, sizeof err), 0);
    assert_int_equal(p.is_socket, 0);
    f0b_port_close(&p);
    tcpdev_join(&D);

    /* WILL COM-PORT-OPTION, binary both ways, no go-ahead, each asked once */
    assert_int_equal(negotiated(T_WILL, OPT_COM), 1);
    assert_int_equal(negotiated(T_WILL, OPT_BINARY), 1);
    assert_int_equal(negotiated(T_DO, OPT_BINARY), 1);
    assert_int_equal(negotiated(T_WILL, OPT_SGA), 1);
    assert_int_equal(negotiated(T_DO, OPT_SGA), 1);
    /* the server's own requests: no echo (it would garble frames), no terminal type */
    assert_int_equal(negotiated(T_DONT, OPT_ECHO), 1);
    assert_int_equal(negotiated(T_WONT, OPT_TTYPE), 1);
    /* and nothing else: answers that agree are not answered again (no loop) */
    assert_int_equal(S.n_neg, 7);
    /* the port set to 115200 8N1, no flow control, in RFC 2217's recommended order */
    assert_int_equal(S.n_cpc, 5);
    assert_int_equal(S.cpc_code[0], 1);
    assert_int_equal(S.cpc_val[0], 115200);
    assert_int_equal(S.cpc_code[1], 2);
    assert_int_equal(S.cpc_val[1], 8);
    assert_int_equal(S.cpc_code[2], 3);
    assert_int_equal(S.cpc_val[2], 1);
    assert_int_equal(S.cpc_code[3], 4);
    assert_int_equal(S.cpc_val[3], 1);
    assert_int_equal(S.cpc_code[4], 5);
    assert_int_equal(S.cpc_val[4], 1);
    assert_int_equal(S.baud, 115200);
    /* no telnet byte of the client reached the server's data stream */
    assert_int_equal(S.n_data, 0);
}

/* DTR/RTS through SET-CONTROL (a reset sequence): each line set, in order, each answered
 * before the next (RFC 2217: 8/9 DTR on/off, 11/12 RTS on/off). */
static void test_set_lines(void **state)
{
    struct f0b_port p;
    struct f0b_reset_seq seq;
    char err[300];
    (void)state;

    srv_reset();
    S.echo = 1;
    tcpdev_start(&D, &echo_server);
    assert_int_equal(open_port(&p, 2000, err, sizeof err), 0);
    size_t n0 = S.n_cpc;
    assert_int_equal(f0b_reset_parse("D1,W20,R1,D0", &seq, err, sizeof err), 0);
    assert_int_equal(f0b_reset_run(&p, &seq, NULL), 0);
    f0b_port_close(&p);
    tcpdev_join(&D);
    static const uint32_t want[] = {8, 12, 8, 11, 9, 11};
    assert_int_equal(S.n_cpc - n0, 6);
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(S.cpc_code[n0 + i], 5);
        assert_int_equal(S.cpc_val[n0 + i], want[i]);
    }
    assert_int_equal(S.n_data, 0);
}

static void test_set_baud(void **state)
{
    struct f0b_port p;
    char err[300];
    (void)state;

    srv_reset();
    S.chatter = S.echo = 1;
    tcpdev_start(&D, &echo_server);
    assert_int_equal(open_port(&p, 2000, err, sizeof err), 0);
    assert_int_equal(p.ops->set_baud(p.ctx, 921600), 0);
    assert_int_equal(S.baud, 921600); /* answered, so already set at the server */
    assert_int_equal(p.ops->set_baud(p.ctx, 57600), 0);
    f0b_port_close(&p);
    tcpdev_join(&D);
    assert_int_equal(S.n_cpc, 7);
    assert_int_equal(S.cpc_code[5], 1);
    assert_int_equal(S.cpc_val[5], 921600);
    assert_int_equal(S.cpc_code[6], 1);
    assert_int_equal(S.cpc_val[6], 57600);
    assert_int_equal(S.baud, 57600);

    /* a server whose UART cannot do the rate answers with what it set: an error */
    srv_reset();
    S.baud_cap = 460800;
    S.echo = 1;
    tcpdev_start(&D, &echo_server);
    assert_int_equal(open_port(&p, 2000, err, sizeof err), 0);
    assert_int_equal(p.ops->set_baud(p.ctx, 921600), F0B_E_IO);
    assert_int_equal(p.ops->set_baud(p.ctx, 230400), 0);
    f0b_port_close(&p);
    tcpdev_join(&D);
    assert_int_equal(S.baud, 230400);

    /* a server that never answers: an error once the timeout has passed, not before */
    srv_reset();
    S.baud_acks = 1;
    S.echo = 1;
    tcpdev_start(&D, &echo_server);
    assert_int_equal(open_port(&p, 400, err, sizeof err), 0);
    uint64_t t0 = now_ms();
    assert_int_equal(p.ops->set_baud(p.ctx, 921600), F0B_E_IO);
    uint64_t dt = now_ms() - t0;
    print_message("unanswered SET-BAUDRATE gave up after %llu ms\n", (unsigned long long)dt);
    assert_true(dt >= 390 && dt < 1500);
    f0b_port_close(&p);
    tcpdev_join(&D);
}

/* Data with 0xFF out and back through an echoing server that puts NOPs and notifications
 * between the bytes. */
static void data_round_trip(int split)
{
    static uint8_t tx[3000], rx[3000];
    struct f0b_port p;
    char err[300];
    size_t n = make_data(tx, split ? 600 : sizeof tx);

    srv_reset();
    S.chatter = S.echo = 1;
    S.split = split;
    tcpdev_start(&D, &echo_server);
    assert_int_equal(open_port(&p, 2000, err, sizeof err), 0);
    if (split)
        assert_int_equal(p.ops->set_baud(p.ctx, 921600), 0);
    assert_int_equal(p.ops->write(p.ctx, tx, 100), 0);
    assert_int_equal(p.ops->write(p.ctx, tx + 100, n - 100), 0);
    assert_int_equal(read_n(&p, rx, n, 5000), n);
    assert_memory_equal(rx, tx, n);
    /* the notifications after the last byte are not data either */
    assert_int_equal(p.ops->read(p.ctx, rx, sizeof rx, 200), 0);
    f0b_port_close(&p);
    tcpdev_join(&D);
    assert_int_equal(S.n_data, n);
    assert_memory_equal(S.data, tx, n);
    assert_int_equal(S.iac_pairs, count_ff(tx, n)); /* doubled on the wire */
    assert_true(S.iac_pairs >= 50);
    if (split)
        assert_int_equal(S.baud, 921600);
}

static void test_data_ff(void **state)
{
    (void)state;
    data_round_trip(0);
}

/* Every byte the server sends (option answers, port-setting answers, data, notifications)
 * in a send() of its own. */
static void test_split(void **state)
{
    (void)state;
    data_round_trip(1);
}

static void test_refused(void **state)
{
    static const int answers[] = {T_WONT, T_DONT};
    struct f0b_port p;
    char err[300];
    (void)state;

    for (int i = 0; i < 2; i++) {
        srv_reset();
        S.refuse = answers[i];
        S.echo = 1;
        tcpdev_start(&D, &echo_server);
        assert_int_equal(open_port(&p, 2000, err, sizeof err), F0B_E_PORT);
        tcpdev_join(&D);
        assert_non_null(strstr(err, "refuses COM-PORT-CONTROL (RFC 2217)"));
        assert_non_null(strstr(err, "socket://127.0.0.1:"));
        assert_null(p.ops);
        assert_int_equal(S.n_cpc, 0); /* no settings sent to a refusing server */
    }

    /* a raw TCP port: no telnet answer at all */
    srv_reset();
    S.mute = 1;
    tcpdev_start(&D, &echo_server);
    uint64_t t0 = now_ms();
    assert_int_equal(open_port(&p, 300, err, sizeof err), F0B_E_PORT);
    assert_true(now_ms() - t0 < 1500);
    tcpdev_join(&D);
    assert_non_null(strstr(err, "no telnet answer to COM-PORT-CONTROL in 300 ms"));

    /* a malformed spec */
    assert_int_equal(f0b_port_open(&p, "rfc2217://nohost", 115200, 100, err, sizeof err),
                     F0B_E_ARG);
    assert_non_null(strstr(err, "expected rfc2217://HOST:PORT"));
}

/* ---- tests: f0boot through the server to the device ------------------------------------ */

static char *last_line(char *out)
{
    char *last = NULL;

    for (char *l = strtok(out, "\n"); l; l = strtok(NULL, "\n"))
        last = l;
    assert_non_null(last);
    return last;
}

static void test_cli_flash(void **state)
{
    static char out[65536];
    struct test_img img;
    (void)state;

    /* at 115200 */
    test_img_make(&img, &L, 12 * 1024, 41);
    tcpdev_write_img(&D, "app.img", &img, "stm32f030xc");
    srv_reset();
    S.chatter = 1;
    tcpdev_start(&D, &bridge_server);
    assert_int_equal(tcpdev_run(&D, out, sizeof out,
                                "flash rfc2217://127.0.0.1:%d %s/app.img "
                                "--json",
                                D.port, D.dir),
                     0);
    tcpdev_join(&D);
    assert_true(tcpdev_flash_equals(&D, img.payload, img.size));
    assert_int_equal(f0b_app_state(&L), F0B_APP_VALID);
    assert_true(D.booted);
    assert_non_null(strstr(last_line(out), "\"event\":\"result\",\"ok\":true"));
    assert_int_equal(S.cpc_val[0], 115200);
    assert_int_equal(S.n_baud, 1);
    assert_true(S.iac_pairs > 0); /* the image's 0xFF bytes went through doubled */
    test_img_free(&img);

    /* switched to 921600 for the data: the server's UART follows */
    test_img_make(&img, &L, 16 * 1024, 42);
    tcpdev_write_img(&D, "app2.img", &img, "stm32f030xc");
    srv_reset();
    tcpdev_start(&D, &bridge_server);
    assert_int_equal(tcpdev_run(&D, out, sizeof out,
                                "flash rfc2217://127.0.0.1:%d %s/app2.img "
                                "--fast-baud 921600 --json",
                                D.port, D.dir),
                     0);
    tcpdev_join(&D);
    assert_true(tcpdev_flash_equals(&D, img.payload, img.size));
    assert_null(strstr(out, "\"warn\""));
    assert_non_null(strstr(out, "\"baud\":921600"));
    assert_int_equal(S.n_baud, 2);
    assert_int_equal(S.baud, 921600);
    assert_int_equal(fake_board_baud(), 921600);

    /* control: a server that confirms SET-BAUDRATE but leaves its UART at 115200 garbles
     * every byte at 921600, so the switch falls back (the fast run above needed the rate
     * to reach the server's UART) */
    srv_reset();
    S.baud_lies = 1;
    tcpdev_start(&D, &bridge_server);
    assert_int_equal(tcpdev_run(&D, out, sizeof out,
                                "flash rfc2217://127.0.0.1:%d %s/app2.img "
                                "--fast-baud 921600 --no-boot",
                                D.port, D.dir),
                     0);
    tcpdev_join(&D);
    assert_non_null(strstr(out, "at 115200 baud"));
    assert_int_equal(S.n_baud, 3); /* 115200 at open, 921600, back to 115200 */
    assert_int_equal(S.baud, 115200);

    /* a server whose UART cannot do 921600: set_baud fails, fall back to 115200 */
    srv_reset();
    S.baud_cap = 460800;
    tcpdev_start(&D, &bridge_server);
    assert_int_equal(tcpdev_run(&D, out, sizeof out,
                                "flash rfc2217://127.0.0.1:%d %s/app2.img "
                                "--fast-baud 921600 --no-boot --json",
                                D.port, D.dir),
                     0);
    tcpdev_join(&D);
    assert_non_null(strstr(out, "921600 baud did not come up: fell back to 115200"));
    assert_non_null(strstr(last_line(out), "\"baud\":115200"));
    assert_true(tcpdev_flash_equals(&D, img.payload, img.size));
    test_img_free(&img);
}

static void test_cli_probe_boot(void **state)
{
    static char out[65536];
    (void)state;

    srv_reset();
    S.chatter = 1;
    tcpdev_start(&D, &bridge_server);
    assert_int_equal(tcpdev_run(&D, out, sizeof out, "probe rfc2217://127.0.0.1:%d --json", D.port),
                     0);
    tcpdev_join(&D);
    assert_non_null(strstr(out, "\"chip_id\":\"0x442\""));
    srv_reset();
    tcpdev_start(&D, &bridge_server);
    assert_int_equal(tcpdev_run(&D, out, sizeof out, "boot rfc2217://127.0.0.1:%d", D.port), 0);
    tcpdev_join(&D);
    assert_true(D.booted);

    /* refused COM-PORT-CONTROL: exit 10 (port cannot be opened), the reason on stderr */
    srv_reset();
    S.refuse = T_DONT;
    tcpdev_start(&D, &bridge_server);
    assert_int_equal(tcpdev_run(&D, out, sizeof out, "probe rfc2217://127.0.0.1:%d --json", D.port),
                     10);
    tcpdev_join(&D);
    assert_non_null(strstr(out, "refuses COM-PORT-CONTROL"));
}

static int setup(void **state)
{
    (void)state;

    tcpdev_init(&D, &L);
    return 0;
}

static int teardown(void **state)
{
    (void)state;

    return tcpdev_free(&D);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_negotiation), cmocka_unit_test(test_set_lines),
        cmocka_unit_test(test_set_baud),    cmocka_unit_test(test_data_ff),
        cmocka_unit_test(test_split),       cmocka_unit_test(test_refused),
        cmocka_unit_test(test_cli_flash),   cmocka_unit_test(test_cli_probe_boot),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
