/*
 * TIM6, TIM14, TIM16 and TIM17 (RM0360 sections 17, 18, 19): the time base CubeMX uses for
 * the HAL tick beside an RTOS. One model, instantiated four times (their time-base registers
 * share offsets): an up-counter clocked by TIMxCLK / (PSC + 1), wrapping after ARR; an
 * update event (UEV) at the overflow (every RCR + 1 overflows on TIM16/17) or on EGR.UG
 * loads the preloaded PSC, ARR (with ARPE; at once without) and RCR, and sets SR.UIF
 * unless CR1.UDIS (or, for UG, CR1.URS); CR1.OPM stops the counter at the update; UIF with
 * DIER.UIE drives the timer's interrupt line (level: it stays pending until SR.UIF is
 * written 0). The counter is computed from virtual time, not ticked; only update events
 * that change something are scheduled. Capture/compare, slave mode, DMA, master output and
 * the break input are reported as unmodelled.
 */
#include "../machine.h"
#include "dev.h"
#include "regs/rcc.h"
#include "regs/scs.h"
#include "regs/tim.h"

static const struct {
    const char *name;
    uint32_t base, irq, enr_off, en_bit;
} tims[TIM_COUNT] = {
    [TIM_6] = {"TIM6", TIM6_BASE_R, TIM6_IRQn, RCC_APB1ENR_OFF, RCC_APB1ENR_TIM6EN},
    [TIM_14] = {"TIM14", TIM14_BASE_R, TIM14_IRQn, RCC_APB1ENR_OFF, RCC_APB1ENR_TIM14EN},
    [TIM_16] = {"TIM16", TIM16_BASE_R, TIM16_IRQn, RCC_APB2ENR_OFF, RCC_APB2ENR_TIM16EN},
    [TIM_17] = {"TIM17", TIM17_BASE_R, TIM17_IRQn, RCC_APB2ENR_OFF, RCC_APB2ENR_TIM17EN},
};

#define CR1_MODELLED                                                         \
    (TIM_CR1_CEN | TIM_CR1_UDIS | TIM_CR1_URS | TIM_CR1_OPM | TIM_CR1_ARPE | \
     (3u << TIM_CR1_CKD_SHIFT) | TIM_CR1_UIFREMAP)

static int running(const struct tim *t) { return (t->cr1 & TIM_CR1_CEN) != 0; }

static uint64_t tick_ps(const struct chip *c, const struct tim *t)
{
    return (uint64_t)(t->psc_act + 1u) * 1000000000000ull / rcc_timclk(c);
}

/* Bring the counter up to c->now: only overflows that change nothing lie in between. */
static void catch_up(struct chip *c, struct tim *t)
{
    if (!running(t) || c->now <= t->t0)
        return;
    uint64_t tick = tick_ps(c, t);
    uint64_t k = (c->now - t->t0) / tick;
    if (t->cnt0 > t->arr_act) {
        /* CNT above ARR (written so, or ARR lowered without ARPE): it counts on to 0xFFFF
         * and rolls over to 0 without an update event */
        uint64_t to_wrap = 0x10000u - t->cnt0;
        if (k < to_wrap) {
            t->cnt0 += (uint32_t)k;
            t->t0 += k * tick;
            return;
        }
        k -= to_wrap;
        t->cnt0 = 0;
        t->t0 += to_wrap * tick;
    }
    uint64_t total = t->cnt0 + k, period = (uint64_t)t->arr_act + 1u;
    uint64_t n = total / period, reps = (uint64_t)t->rcr_act + 1u;
    t->cnt0 = (uint32_t)(total % period);
    t->t0 += k * tick;
    t->rep_left = (uint32_t)(((uint64_t)t->rep_left + reps - n % reps) % reps);
}

/* Time the next update event, if it would change anything (set UIF, load a new preload
 * value, stop a one-pulse counter). */
static void schedule(struct chip *c, struct tim *t)
{
    t->next_uev = T_NEVER;
    int effect = !(t->sr & TIM_SR_UIF) || t->psc != t->psc_act || t->arr != t->arr_act ||
                 t->rcr != t->rcr_act || (t->cr1 & TIM_CR1_OPM);
    if (running(t) && !(t->cr1 & TIM_CR1_UDIS) && effect) {
        uint64_t period = (uint64_t)t->arr_act + 1u;
        uint64_t ticks = (uint64_t)t->rep_left * period + t->arr_act + 1u;
        ticks = t->cnt0 > t->arr_act ? ticks + 0x10000u - t->cnt0 : ticks - t->cnt0;
        t->next_uev = t->t0 + ticks * tick_ps(c, t);
    }
    chip_reschedule(c);
}

static void set_uif(struct chip *c, int i)
{
    struct tim *t = &c->tim.t[i];
    t->sr |= TIM_SR_UIF;
    if (t->dier & TIM_DIER_UIE)
        chip_irq(c, (int)tims[i].irq);
}

/* An update event: preloaded values in use, counter and repetition counter restart. */
static void update_event(struct tim *t)
{
    t->psc_act = t->psc;
    t->arr_act = t->arr;
    t->rcr_act = t->rcr;
    t->rep_left = t->rcr_act;
    t->cnt0 = 0;
}

static void tim_service_one(struct chip *c, int i)
{
    struct tim *t = &c->tim.t[i];
    if (c->now < t->next_uev)
        return;
    t->t0 = t->next_uev;
    update_event(t);
    set_uif(c, i);
    if (t->cr1 & TIM_CR1_OPM)
        t->cr1 &= ~TIM_CR1_CEN; /* one-pulse mode: the counter stops at the update */
    catch_up(c, t);             /* a late service: the rest changes nothing */
    schedule(c, t);
}

static uint64_t tim_read_one(struct chip *c, int i, uint32_t r)
{
    struct tim *t = &c->tim.t[i];
    switch (r) {
    case TIM_CR1_OFF: return t->cr1;
    case TIM_CR2_OFF: return t->cr2;
    case TIM_DIER_OFF: return t->dier;
    case TIM_SR_OFF: return t->sr;
    case TIM_EGR_OFF: return 0;
    case TIM_CNT_OFF:
        catch_up(c, t);
        return t->cnt0 |
               ((t->cr1 & TIM_CR1_UIFREMAP) && (t->sr & TIM_SR_UIF) ? TIM_CNT_UIFCPY : 0u);
    case TIM_PSC_OFF: return t->psc;
    case TIM_ARR_OFF: return t->arr;
    case TIM_RCR_OFF: return i >= TIM_16 ? t->rcr : DEV_NONE;
    default: return DEV_NONE;
    }
}

static void write_cr1(struct chip *c, struct tim *t, uint32_t v)
{
    if (!running(t) && (v & TIM_CR1_CEN))
        t->t0 = c->now; /* counting starts now from CNT */
    t->cr1 = v & CR1_MODELLED;
}

static void write_egr(struct chip *c, int i, uint32_t v)
{
    struct tim *t = &c->tim.t[i];
    if (v & ~TIM_EGR_UG)
        chip_unmodelled(c, tims[i].base + TIM_EGR_OFF, 1, v); /* capture/compare events */
    if (!(v & TIM_EGR_UG))
        return;
    /* UG: counter and prescaler restart, preloads load; UIF unless URS (or UDIS) */
    update_event(t);
    t->t0 = c->now;
    if (!(t->cr1 & (TIM_CR1_URS | TIM_CR1_UDIS)))
        set_uif(c, i);
}

static void tim_write_one(struct chip *c, int i, uint32_t off, uint32_t v)
{
    struct tim *t = &c->tim.t[i];
    uint32_t r = off & ~3u;
    catch_up(c, t);
    switch (r) {
    case TIM_CR1_OFF:
        if (v & ~CR1_MODELLED)
            chip_unmodelled(c, tims[i].base + off, 1, v);
        write_cr1(c, t, v);
        break;
    case TIM_CR2_OFF:
    case TIM_DIER_OFF:
        /* CR2: master mode / trigger output; DIER: only UIE (no DMA, no capture/compare) */
        if (r == TIM_CR2_OFF ? v != 0 : (v & ~TIM_DIER_UIE) != 0)
            chip_unmodelled(c, tims[i].base + off, 1, v);
        if (r == TIM_CR2_OFF)
            t->cr2 = v;
        else
            t->dier = v & TIM_DIER_UIE;
        break;
    case TIM_SR_OFF: t->sr &= v & TIM_SR_UIF; break; /* rc_w0 */
    case TIM_EGR_OFF: write_egr(c, i, v); break;
    case TIM_CNT_OFF:
        t->cnt0 = v & 0xFFFFu;
        t->t0 = c->now;
        break;
    case TIM_PSC_OFF: t->psc = v & 0xFFFFu; break; /* in use from the next update */
    case TIM_ARR_OFF:
        t->arr = v & 0xFFFFu;
        if (!(t->cr1 & TIM_CR1_ARPE))
            t->arr_act = t->arr; /* no preload: at once */
        break;
    case TIM_RCR_OFF:
        if (i >= TIM_16) {
            t->rcr = v & 0xFFu;
            break;
        }
        chip_unmodelled(c, tims[i].base + off, 1, v); /* TIM6 and TIM14 have no RCR */
        return;
    default: chip_unmodelled(c, tims[i].base + off, 1, v); return;
    }
    if ((t->dier & TIM_DIER_UIE) && (t->sr & TIM_SR_UIF))
        chip_irq(c, (int)tims[i].irq);
    schedule(c, t);
}

static void tim_reset_one(struct chip *c, int i)
{
    struct tim *t = &c->tim.t[i];
    *t = (struct tim){.arr = 0xFFFFu, .arr_act = 0xFFFFu, .next_uev = T_NEVER};
}

void tim_peripheral_reset(struct chip *c, int i)
{
    tim_reset_one(c, i);
    chip_reschedule(c);
}

void tim_gate_check(struct chip *c)
{
    for (int i = 0; i < TIM_COUNT; i++)
        if (running(&c->tim.t[i]) && !rcc_enabled(c, tims[i].enr_off, tims[i].en_bit)) {
            /* a counter whose clock RCC stops: it would freeze; not modelled */
            chip_logf(
                c, "%s: its RCC clock enable cleared while CEN = 1 (counter freeze not modelled)",
                tims[i].name);
            chip_unmodelled(c, RCC_BASE_R + tims[i].enr_off, 1, 0);
        }
}

void tim_clock_sync(struct chip *c)
{
    for (int i = 0; i < TIM_COUNT; i++)
        catch_up(c, &c->tim.t[i]);
}

void tim_clock_changed(struct chip *c)
{
    for (int i = 0; i < TIM_COUNT; i++) {
        struct tim *t = &c->tim.t[i];
        if (running(t))
            t->t0 = c->now; /* the tick in progress restarts on the new clock */
        schedule(c, t);
    }
}

/* One dev_ops per instance: the bus table has one row each. */
#define TIM_DEV(var, idx, base_r, label)                                                           \
    static uint64_t var##_read(struct chip *c, uint32_t off) { return tim_read_one(c, idx, off); } \
    static void var##_write(struct chip *c, uint32_t off, uint32_t v, unsigned size)               \
    {                                                                                              \
        (void)size;                                                                                \
        tim_write_one(c, idx, off, v);                                                             \
    }                                                                                              \
    static void var##_reset(struct chip *c) { tim_reset_one(c, idx); }                             \
    static uint64_t var##_next(struct chip *c) { return c->tim.t[idx].next_uev; }                  \
    static void var##_service(struct chip *c) { tim_service_one(c, idx); }                         \
    static void var##_levels(struct chip *c)                                                       \
    {                                                                                              \
        if ((c->tim.t[idx].dier & TIM_DIER_UIE) && (c->tim.t[idx].sr & TIM_SR_UIF))                \
            chip_irq(c, (int)tims[idx].irq);                                                       \
    }                                                                                              \
    static int var##_clocked(const struct chip *c, uint32_t off)                                   \
    {                                                                                              \
        (void)off;                                                                                 \
        return rcc_enabled(c, tims[idx].enr_off, tims[idx].en_bit);                                \
    }                                                                                              \
    const struct dev_ops dev_##var = {                                                             \
        .name = (label),                                                                           \
        .base = (base_r),                                                                          \
        .size = TIM_SIZE,                                                                          \
        .clocked = var##_clocked,                                                                  \
        .is_counter = tim_is_counter,                                                              \
        .read = var##_read,                                                                        \
        .write = var##_write,                                                                      \
        .reset = var##_reset,                                                                      \
        .next_event = var##_next,                                                                  \
        .service = var##_service,                                                                  \
        .levels = var##_levels,                                                                    \
    }

/* CNT counts time: reading it twice alike is not idle polling */
static int tim_is_counter(uint32_t off) { return (off & ~3u) == TIM_CNT_OFF; }

TIM_DEV(tim6, TIM_6, TIM6_BASE_R, "TIM6");
TIM_DEV(tim14, TIM_14, TIM14_BASE_R, "TIM14");
TIM_DEV(tim16, TIM_16, TIM16_BASE_R, "TIM16");
TIM_DEV(tim17, TIM_17, TIM17_BASE_R, "TIM17");
