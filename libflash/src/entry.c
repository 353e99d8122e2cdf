/*
 * Into the bootloader without a button (docs/protocol.md, "Getting into the bootloader"):
 * the request sequence to a running application, reset sequences on DTR/RTS, and greeting
 * through the boot window of a reset or power cycle from outside; f0b_sess_enter() tries
 * them in that order.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "f0boot/layout.h"
#include "session.h"

#define FIRST_MS 60 /* a running bootloader answers INFO well within this */
#define ENTRY_GREET_MS \
    15                     /* greetings while waiting for a bootloader to start: a 50 ms
                             * boot window sees at least three */
#define MIN_PHASE_MS   100 /* each way tried is given at least this, whatever --wait says */
#define RESET_TRIES    3   /* reset sequences tried while the connect time lasts */
#define SLEEP_SLICE_MS 10

const char *f0b_entry_str(enum f0b_entry_how how)
{
    switch (how) {
    case F0B_ENTRY_RUNNING: return "running";
    case F0B_ENTRY_REQUEST: return "request";
    case F0B_ENTRY_RESET: return "reset";
    case F0B_ENTRY_WAIT: return "wait";
    default: return "unknown";
    }
}

/* The named sequences (docs/protocol.md says which wiring each is for). Asserting a line
 * drives the adapter's pin low: DTR# or RTS# wired to NRST resets the chip while asserted;
 * wired to BOOT0 it holds BOOT0 low, so the chip starts from flash (this bootloader) and
 * not from ST's ROM. */
static const struct {
    const char *name, *seq;
} presets[] = {
    {"none", ""},
    {"dtr", "D1,W50,D0"},        /* NRST on DTR# */
    {"rts", "R1,W50,R0"},        /* NRST on RTS# */
    {"dtr-rts", "R1,D1,W50,D0"}, /* NRST on DTR#, BOOT0 on RTS# */
    {"rts-dtr", "D1,R1,W50,R0"}, /* NRST on RTS#, BOOT0 on DTR# */
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const seq_help =
    "a sequence is a name (none, dtr, rts, dtr-rts, "
    "rts-dtr) or steps separated by commas: D1/D0 assert/negate DTR, R1/R0 the same for "
    "RTS, Wms waits (e.g. D1,R0,W100,D0)";

/* One step "D1", "R0", "W100" (len bytes at t) into st: 0, or F0B_E_ARG with err set. */
static int parse_step(const char *t, size_t len, struct f0b_reset_step *st, char *err,
                      size_t errlen)
{
    char c = (char)toupper((unsigned char)t[0]);
    unsigned long v = 0;
    size_t i = 1;

    for (; i < len && isdigit((unsigned char)t[i]) && v <= F0B_RESET_MAX_WAIT_MS; i++)
        v = v * 10 + (unsigned long)(t[i] - '0');
    if (len < 2 || i != len || (c != 'D' && c != 'R' && c != 'W') ||
        ((c == 'D' || c == 'R') && v > 1)) {
        snprintf(err, errlen, "'%.*s' is not a reset step: %s", (int)len, t, seq_help);
        return F0B_E_ARG;
    }
    if (c == 'W' && v > F0B_RESET_MAX_WAIT_MS) {
        snprintf(err, errlen, "'%.*s': a wait is at most W%u (ms)", (int)len, t,
                 F0B_RESET_MAX_WAIT_MS);
        return F0B_E_ARG;
    }
    st->what = c;
    st->val = (uint32_t)v;
    return 0;
}

int f0b_reset_parse(const char *text, struct f0b_reset_seq *seq, char *err, size_t errlen)
{
    const char *t = text;

    memset(seq, 0, sizeof *seq);
    for (size_t k = 0; k < COUNT(presets); k++)
        if (strcasecmp(text, presets[k].name) == 0)
            t = presets[k].seq;
    if (t == text && !*t) {
        snprintf(err, errlen, "empty reset sequence: %s", seq_help);
        return F0B_E_ARG;
    }
    while (*t) {
        size_t len = strcspn(t, ",");
        if (seq->n == F0B_RESET_MAX_STEPS) {
            snprintf(err, errlen, "a reset sequence has at most %u steps", F0B_RESET_MAX_STEPS);
            return F0B_E_ARG;
        }
        if (parse_step(t, len, &seq->step[seq->n], err, errlen) < 0)
            return F0B_E_ARG;
        seq->n++;
        t += len;
        if (*t == ',' && !*++t) {
            snprintf(err, errlen, "'%s' ends with a comma: %s", text, seq_help);
            return F0B_E_ARG;
        }
    }
    return 0;
}

int f0b_port_set_lines(struct f0b_port *p, int dtr, int rts)
{
    if (!p->ops || !p->ops->set_lines)
        return p->ops ? F0B_E_NO_LINES : F0B_E_IO;
    return p->ops->set_lines(p->ctx, dtr, rts);
}

/* Sleep ms of wall time, watching stop. */
static int sleep_ms(uint32_t ms, const volatile sig_atomic_t *stop)
{
    while (ms) {
        uint32_t d = ms < SLEEP_SLICE_MS ? ms : SLEEP_SLICE_MS;
        struct timespec ts = {0, (long)d * 1000000L};
        if (stop && *stop)
            return F0B_E_ABORTED;
        nanosleep(&ts, NULL);
        ms -= d;
    }
    return stop && *stop ? F0B_E_ABORTED : 0;
}

int f0b_reset_run(struct f0b_port *p, const struct f0b_reset_seq *seq,
                  const volatile sig_atomic_t *stop)
{
    int dtr = 0, rts = 0, rc = 0;

    for (unsigned i = 0; i < seq->n && rc == 0; i++) {
        const struct f0b_reset_step *st = &seq->step[i];
        if (st->what == 'W') {
            rc = sleep_ms(st->val, stop);
            continue;
        }
        if (st->what == 'D')
            dtr = st->val != 0;
        else
            rts = st->val != 0;
        rc = f0b_port_set_lines(p, dtr, rts);
    }
    return rc;
}

int f0b_app_ask(struct f0b_port *p, uint32_t app_baud, uint32_t baud)
{
    int other = app_baud && app_baud != baud, rc;

    if (!p->ops)
        return F0B_E_IO;
    if (other && (rc = p->ops->set_baud(p->ctx, app_baud)) < 0)
        return rc;
    rc = p->ops->write(p->ctx, (const uint8_t *)F0B_APP_REQUEST, F0B_APP_REQUEST_LEN);
    if (other) {
        int back;
        if (rc == 0)
            rc = p->ops->drain(p->ctx);
        back = p->ops->set_baud(p->ctx, baud);
        if (rc == 0)
            rc = back;
    }
    return rc;
}

void f0b_entry_opts_default(struct f0b_entry_opts *e)
{
    memset(e, 0, sizeof *e);
    e->ask = 1;
    e->ask_ms = 500;
    e->reset_ms = 1000;
}

/* Greet for up to want ms, but no longer than until end once MIN_PHASE_MS have passed. */
static int greet_phase(struct f0b_session *s, int want, uint64_t end)
{
    uint64_t t = sess_now(s);
    uint64_t left = end > t ? end - t : 0;
    uint64_t ms = (uint64_t)(want > 0 ? want : 0);

    if (ms > left)
        ms = left > MIN_PHASE_MS ? left : MIN_PHASE_MS;
    return sess_greet(s, (uint32_t)ms, ENTRY_GREET_MS);
}

static void format_seq(const struct f0b_reset_seq *seq, char *out, size_t n)
{
    size_t k = 0;

    out[0] = 0;
    for (unsigned i = 0; i < seq->n && k + 12 < n; i++)
        k += (size_t)snprintf(out + k, n - k, "%s%c%u", i ? "," : "", seq->step[i].what,
                              seq->step[i].val);
}

/* The ways after the first greeting, in order, each only when the ones before failed. */
static int try_ways(struct f0b_session *s, const struct f0b_entry_opts *e, uint64_t end,
                    enum f0b_entry_how *h)
{
    uint32_t app_baud = e->app_baud ? e->app_baud : s->baud;
    char msg[400], seq[F0B_RESET_MAX_STEPS * 8];
    int rc = F0B_E_NO_ANSWER;

    if (e->ask) {
        *h = F0B_ENTRY_REQUEST;
        snprintf(msg, sizeof msg,
                 "no bootloader answered: asking the application (request "
                 "sequence at %u baud)",
                 app_baud);
        sess_event(s, F0B_EV_PHASE, "enter", msg, 0, 0);
        rc = f0b_app_ask(s->port, app_baud, s->baud);
        if (rc == 0)
            rc = greet_phase(s, e->ask_ms, end);
    }
    /* A greeting that missed the boot window after a reset (the host descheduled, a slow
     * USB adapter) gets another reset while time is left, as esptool retries its own. */
    for (unsigned tries = 0; rc == F0B_E_NO_ANSWER && e->reset && e->reset->n &&
                             tries < RESET_TRIES && (tries == 0 || sess_now(s) < end);
         tries++) {
        *h = F0B_ENTRY_RESET;
        format_seq(e->reset, seq, sizeof seq);
        snprintf(msg, sizeof msg, "resetting the board on DTR/RTS (%s)%s", seq,
                 tries ? ", again" : "");
        sess_event(s, F0B_EV_PHASE, "enter", msg, 0, 0);
        sess_flush_input(s);
        rc = f0b_reset_run(s->port, e->reset, s->o.stop);
        if (rc == 0)
            rc = greet_phase(s, e->reset_ms, end);
    }
    if (rc == F0B_E_NO_ANSWER && sess_now(s) < end) {
        *h = F0B_ENTRY_WAIT;
        sess_event(s, F0B_EV_PHASE, "enter",
                   "greeting until a bootloader answers (reset or "
                   "power-cycle the board now)",
                   0, 0);
        rc = sess_greet(s, (uint32_t)(end - sess_now(s)), ENTRY_GREET_MS);
    }
    return rc;
}

int f0b_sess_enter(struct f0b_session *s, const struct f0b_entry_opts *e, enum f0b_entry_how *how)
{
    uint64_t t0 = sess_now(s), end = t0 + (uint64_t)(s->o.connect_ms > 0 ? s->o.connect_ms : 1);
    enum f0b_entry_how h = F0B_ENTRY_RUNNING;
    unsigned retries = s->retries;
    char msg[320];
    int rc;

    sess_event(s, F0B_EV_PHASE, "connect", "waiting for the bootloader", 0, 0);
    sess_flush_input(s);
    rc = sess_greet(s, FIRST_MS, FIRST_MS);
    if (rc == F0B_E_NO_ANSWER)
        rc = try_ways(s, e, end, &h);
    s->retries = retries; /* greetings while entering are no retries of a failure */
    if (how)
        *how = h;
    if (rc != 0)
        return rc;
    snprintf(msg, sizeof msg, "%s: bootloader answered after %u ms", f0b_entry_str(h),
             (unsigned)(sess_now(s) - t0));
    sess_event(s, F0B_EV_PHASE, "enter", msg, 0, 0);
    snprintf(msg, sizeof msg, "bootloader %u.%u.%u, protocol %u.%u, part %u, chip id 0x%03x",
             s->info.bl_major, s->info.bl_minor, s->info.bl_patch, s->info.proto_major,
             s->info.proto_minor, s->info.part, s->info.chip_id);
    sess_event(s, F0B_EV_PHASE, "connect", msg, 0, 0);
    return 0;
}
