/*
 * The machine's link to the host side (struct sim_link over host.c): pacing virtual time to
 * the wall clock in realtime mode, host I/O slices, signals, and --until-uart watching the
 * bytes the host receives.
 */
#ifndef F0SIM_PACE_H
#define F0SIM_PACE_H

#include <signal.h>
#include <stdint.h>
#include <time.h>

#include "link.h"

struct host;
struct chip;

struct pace {
    struct host *h;
    struct chip *c;
    int realtime;
    volatile sig_atomic_t *signal; /* set by a signal handler: stop the chip */
    struct timespec wall0;         /* wall clock of virtual time virt0 (moves on a rebase) */
    struct timespec start;         /* wall clock at the start, for the host time figure */
    uint64_t virt0;
    double polled_s; /* wall clock (since start) of the last look at the host */
    struct sim_link link;
};

/* Connect chip c to host h: fills p->link (pass &p->link to the chip) and watches the
 * bytes the host receives for c->o.until_uart. */
void pace_init(struct pace *p, struct chip *c, struct host *h, int realtime,
               volatile sig_atomic_t *signal_flag);
/* Virtual time starts now (after any --wait-host). */
void pace_start(struct pace *p);
/* Wall-clock seconds since pace_start. */
double pace_host_seconds(const struct pace *p);

#endif
