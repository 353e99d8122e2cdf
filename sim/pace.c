/*
 * Realtime pacing and the host I/O of the machine (see pace.h). In realtime mode virtual
 * time follows the wall clock: the machine waits when it is ahead, and runs unpaced to
 * catch up when it fell behind (descheduled by a loaded host, an oversleep), so that lags
 * do not add up and do not eat into the host's answer timeouts. Lags beyond PACE_MAX_LAG_S
 * (stopped, or slower than real time for long) are given up rather than raced through.
 */
#include "pace.h"

#include <string.h>

#include "host.h"
#include "machine.h"
#include "regs/rcc.h"

#define PACE_MAX_LAG_S 0.5
/* How far virtual time may run ahead of the wall clock before the machine waits for it.
 * Idle skips take the same steps as in --fast mode (the firmware sees one timeline in both
 * modes) and do not each wait on the wall clock: a waiting board skips 1 ms at a time, a
 * board taking bytes at 115200 skips to each character, 11500 times a second, and a
 * wall-clock wait per skip cost a quarter of a core. The machine waits only once it is this
 * far ahead, and then until the wall clock has caught up with it or the host sends. */
#define PACE_AHEAD_S 0.004
/* Between waits, host input is looked for (a syscall) at most this often in wall-clock
 * time, however often the machine's I/O slices come (every 100 us of virtual time, which
 * runs ahead of the wall clock by up to PACE_AHEAD_S). */
#define PACE_POLL_S 0.0001

static double since_s(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) * 1e-9;
}

static double virt_s(const struct pace *p, uint64_t t) { return (double)(t - p->virt0) * 1e-12; }

static void wall0_forward(struct pace *p, double s)
{
    p->wall0.tv_nsec += (long)(s * 1e9);
    while (p->wall0.tv_nsec >= 1000000000L) {
        p->wall0.tv_nsec -= 1000000000L;
        p->wall0.tv_sec++;
    }
}

/* NRST held low by the host (--uart rfc2217: a reset on DTR/RTS): nothing runs and the
 * chip receives nothing until it is released, then it starts from a pin reset (RCC_CSR
 * PINRSTF). Virtual time stands still meanwhile, so the boot window after the release is
 * paced in real time like any other (not raced through to catch up). */
static void hold_in_reset(struct pace *p, struct chip *c)
{
    struct timespec t0;
    struct ring *in = host_input(p->h);

    chip_logf(c, "NRST held low by the host's modem line: in reset");
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (host_nrst_low(p->h) && !*p->signal) {
        host_poll(p->h, in, 1000);
        in->tail = in->head;
    }
    if (p->realtime)
        wall0_forward(p, since_s(&t0));
    c->reset_req = 1;
    c->reset_flags = RCC_CSR_PINRSTF;
    chip_logf(c, "NRST released: pin reset");
}

static void link_poll(void *ctx, struct chip *c)
{
    struct pace *p = ctx;
    if (*p->signal) {
        chip_stop(c, STOP_SIGNAL, "signal %d", (int)*p->signal);
        return;
    }
    int wait_us = 0;
    if (p->realtime) {
        double ahead = virt_s(p, c->now) - since_s(&p->wall0), t = since_s(&p->start);
        if (ahead > PACE_AHEAD_S) {
            wait_us = (int)(ahead * 1e6);
        } else if (t - p->polled_s < PACE_POLL_S) {
            host_flush(p->h); /* nothing new can be there yet: no syscall */
            return;
        } else if (ahead < -PACE_MAX_LAG_S) {
            wall0_forward(p, -ahead - PACE_MAX_LAG_S);
        }
    }
    struct ring *in = host_input(p->h);
    int was_empty = ring_count(in) == 0;
    host_poll(p->h, in, wait_us);
    p->polled_s = since_s(&p->start); /* the wait may have ended early, on input */
    if (host_nrst_low(p->h))
        hold_in_reset(p, c);
    if (was_empty && ring_count(in))
        c->line_avail = c->now; /* on the host's side of the line from now on */
}

/* Idle polling wants virtual time to move to target. In realtime mode, when that puts the
 * machine more than PACE_AHEAD_S ahead of the wall clock, wait for the wall clock (the
 * device's output leaves first); host input that arrives meanwhile ends the wait, and time
 * moves only to the moment it arrived. Otherwise (or behind the wall clock) no wait. */
static uint64_t link_idle(void *ctx, struct chip *c, uint64_t target)
{
    struct pace *p = ctx;
    if (!p->realtime || *p->signal)
        return target;
    double ahead = virt_s(p, target) - since_s(&p->wall0);
    if (ahead <= PACE_AHEAD_S)
        return target;
    struct ring *in = host_input(p->h);
    int was_empty = ring_count(in) == 0;
    host_poll(p->h, in, (int)(ahead * 1e6));
    p->polled_s = since_s(&p->start);
    if (!was_empty || ring_count(in) == 0)
        return target;
    double w = since_s(&p->wall0);
    uint64_t v = p->virt0 + (uint64_t)(w > 0 ? w * 1e12 : 0);
    v = v < c->now ? c->now : (v > target ? target : v);
    c->line_avail = v; /* on the host's side of the line from then on */
    return v;
}

static void link_tx(void *ctx, uint8_t b, uint64_t t)
{
    struct pace *p = ctx;
    host_tx(p->h, b, t);
}

static uint64_t link_next_event(void *ctx)
{
    const struct pace *p = ctx;
    return host_next_event(p->h);
}

static void link_service(void *ctx, uint64_t now)
{
    struct pace *p = ctx;
    host_service(p->h, now);
}

static struct ring *link_input(void *ctx)
{
    struct pace *p = ctx;
    return host_input(p->h);
}

/* --until-uart watches the bytes as the host receives them (after noise and the USB
 * adapter's packet timer). */
static void watch_uart(void *ctx, uint8_t b)
{
    struct chip *c = ctx;
    const char *pat = c->o.until_uart;
    if (pat && *pat) {
        size_t n = strlen(pat);
        /* naive restart is enough for the short patterns this is used with */
        if ((uint8_t)pat[c->uart_match] == b) {
            if (++c->uart_match == n)
                chip_stop(c, STOP_UART, "saw \"%s\" on the UART", pat);
        } else {
            c->uart_match = (uint8_t)pat[0] == b ? 1u : 0u;
        }
    }
}

void pace_init(struct pace *p, struct chip *c, struct host *h, int realtime,
               volatile sig_atomic_t *signal_flag)
{
    memset(p, 0, sizeof *p);
    p->h = h;
    p->c = c;
    p->realtime = realtime;
    p->signal = signal_flag;
    p->link = (struct sim_link){
        .ctx = p,
        .poll = link_poll,
        .idle = link_idle,
        .tx = link_tx,
        .next_event = link_next_event,
        .service = link_service,
        .input = link_input,
    };
    host_set_deliver(h, watch_uart, c);
}

void pace_start(struct pace *p)
{
    clock_gettime(CLOCK_MONOTONIC, &p->wall0);
    p->start = p->wall0;
    p->virt0 = p->c->now;
}

double pace_host_seconds(const struct pace *p) { return since_s(&p->start); }
