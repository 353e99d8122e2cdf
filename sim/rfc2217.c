/*
 * Telnet (RFC 854/855) with COM-PORT-CONTROL (RFC 2217) on the server side, for f0sim's
 * --uart rfc2217:PORT (rfc2217.h). Written from the RFCs. Agreed: BINARY and
 * SUPPRESS-GO-AHEAD both ways and COM-PORT-OPTION from the client; anything else refused.
 * COM-PORT commands are answered (code + 100) with the value in force: the line settings
 * are taken as asked (the virtual line carries the device's rate, whatever it is),
 * SET-CONTROL's DTR and RTS values set the lines, and the one wired to NRST resets the chip
 * while asserted (pace.c holds it).
 */
#include "rfc2217.h"

#include <string.h>

enum {
    SE = 240,
    SB = 250,
    WILL = 251,
    WONT = 252,
    DO = 253,
    DONT = 254,
    IAC = 255,
    OPT_BINARY = 0,
    OPT_SGA = 3,
    OPT_COMPORT = 44,
    CPC_SET_CONTROL = 5,
    CPC_SERVER = 100,
    CTL_FLOW_REQ = 0,
    CTL_NO_FLOW = 1,
    CTL_DTR_REQ = 7,
    CTL_DTR_ON = 8,
    CTL_DTR_OFF = 9,
    CTL_RTS_REQ = 10,
    CTL_RTS_ON = 11,
    CTL_RTS_OFF = 12,
};

enum { S_DATA, S_IAC, S_VERB, S_SB_OPT, S_SB, S_SB_IAC };

static void put3(struct ring *r, uint8_t a, uint8_t b, uint8_t c)
{
    if (ring_space(r) >= 3) {
        ring_put(r, a);
        ring_put(r, b);
        ring_put(r, c);
    }
}

void tnsrv_init(struct tnsrv *t, int nrst_rts)
{
    memset(t, 0, sizeof *t);
    t->nrst_rts = nrst_rts;
}

int tnsrv_nrst_low(const struct tnsrv *t) { return t->nrst_rts ? t->rts : t->dtr; }

/* WILL/WONT (about the client) or DO/DONT (about us) for opt: answer only a change of
 * state (RFC 1143), so the two ends never loop. */
static void option(struct tnsrv *t, uint8_t verb, uint8_t opt, struct ring *reply)
{
    int about_us = verb == DO || verb == DONT, yes = verb == WILL || verb == DO;
    uint8_t *q = about_us ? &t->us[opt] : &t->him[opt];
    int ok = opt == OPT_BINARY || opt == OPT_SGA || (!about_us && opt == OPT_COMPORT);

    if (yes && !*q) {
        *q = (uint8_t)ok;
        put3(reply, IAC, ok ? (about_us ? WILL : DO) : (about_us ? WONT : DONT), opt);
    } else if (!yes && *q) {
        *q = 0;
        put3(reply, IAC, about_us ? WONT : DONT, opt);
    }
}

/* SET-CONTROL value v: the value now in force. */
static uint8_t set_control(struct tnsrv *t, uint8_t v)
{
    switch (v) {
    case CTL_DTR_ON:
    case CTL_DTR_OFF: t->dtr = v == CTL_DTR_ON; return v;
    case CTL_RTS_ON:
    case CTL_RTS_OFF: t->rts = v == CTL_RTS_ON; return v;
    case CTL_DTR_REQ: return t->dtr ? CTL_DTR_ON : CTL_DTR_OFF;
    case CTL_RTS_REQ: return t->rts ? CTL_RTS_ON : CTL_RTS_OFF;
    case CTL_FLOW_REQ: return CTL_NO_FLOW;
    default: return v;
    }
}

/* The end of a subnegotiation: a COM-PORT command is answered with code + 100. */
static void sb_end(struct tnsrv *t, struct ring *reply)
{
    if (t->sb_opt != OPT_COMPORT || t->sb_n < 1 || t->sb[0] >= CPC_SERVER)
        return;
    if (t->sb[0] == CPC_SET_CONTROL && t->sb_n >= 2)
        t->sb[1] = set_control(t, t->sb[1]);
    if (ring_space(reply) < 4 + 2 * t->sb_n + 2)
        return;
    ring_put(reply, IAC);
    ring_put(reply, SB);
    ring_put(reply, OPT_COMPORT);
    ring_put(reply, (uint8_t)(t->sb[0] + CPC_SERVER));
    for (size_t i = 1; i < t->sb_n; i++) {
        ring_put(reply, t->sb[i]);
        if (t->sb[i] == IAC)
            ring_put(reply, IAC);
    }
    ring_put(reply, IAC);
    ring_put(reply, SE);
}

static void after_iac(struct tnsrv *t, uint8_t c, struct ring *data)
{
    if (c == IAC) {
        if (ring_space(data))
            ring_put(data, c);
        t->st = S_DATA;
    } else if (c >= WILL && c <= DONT) {
        t->verb = c;
        t->st = S_VERB;
    } else {
        t->st = c == SB ? S_SB_OPT : S_DATA; /* NOP, BRK, ...: nothing for a UART */
    }
}

void tnsrv_feed(struct tnsrv *t, const uint8_t *in, size_t n, struct ring *data, struct ring *reply)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = in[i];
        switch (t->st) {
        case S_DATA:
            if (c == IAC)
                t->st = S_IAC;
            else if (ring_space(data))
                ring_put(data, c);
            break;
        case S_IAC: after_iac(t, c, data); break;
        case S_VERB:
            option(t, t->verb, c, reply);
            t->st = S_DATA;
            break;
        case S_SB_OPT:
            t->sb_opt = c;
            t->sb_n = 0;
            t->st = S_SB;
            break;
        case S_SB:
            if (c == IAC)
                t->st = S_SB_IAC;
            else if (t->sb_n < sizeof t->sb)
                t->sb[t->sb_n++] = c;
            break;
        default: /* S_SB_IAC */
            if (c == IAC && t->sb_n < sizeof t->sb)
                t->sb[t->sb_n++] = c;
            if (c == SE)
                sb_end(t, reply);
            t->st = c == IAC ? S_SB : S_DATA;
            break;
        }
    }
}
