/* The timers CubeMX uses as a HAL time base (dev/tim.c): TIM6, TIM14, TIM16, TIM17, their
 * time base only. One model, four instances. */
#ifndef F0SIM_DEV_TIM_H
#define F0SIM_DEV_TIM_H

#include <stdint.h>

struct chip;

enum { TIM_6, TIM_14, TIM_16, TIM_17, TIM_COUNT };

struct tim {
    uint32_t cr1, cr2, dier, sr, psc, arr, rcr;
    uint32_t psc_act, arr_act, rcr_act; /* the values in use (PSC, RCR, ARPE: preloaded) */
    uint32_t rep_left;                  /* overflows before the next update event (RCR) */
    uint32_t cnt0;                      /* the counter at t0 */
    uint64_t t0;                        /* start of a counter tick (valid while CEN) */
    uint64_t next_uev; /* the next update event that changes anything, or T_NEVER */
};

struct tim_state {
    struct tim t[TIM_COUNT];
};

/* Before a clock change: bring every running counter up to c->now on the old clock. */
void tim_clock_sync(struct chip *c);
/* After a clock change: time the next update events on the new clock. */
void tim_clock_changed(struct chip *c);
/* After an RCC enable register changed: a running timer whose clock went off is reported. */
void tim_gate_check(struct chip *c);
/* RCC_APBxRSTR: reset timer i (TIM_6 ...). */
void tim_peripheral_reset(struct chip *c, int i);

#endif
