/*
 * The independent watchdog (RM0360 section 19): KR keys, PR and RLR behind the access key,
 * the LSI at 40 kHz; a timeout resets the chip with IWDGRSTF.
 */
#include "../machine.h"
#include "dev.h"
#include "regs/iwdg.h"
#include "regs/rcc.h"

static uint64_t iwdg_timeout(const struct chip *c)
{
    /* LSI 40 kHz (25 us), prescaler 4 << PR (max /256), 12-bit reload */
    uint32_t div = 4u << (c->iwdg.pr > 6u ? 6u : c->iwdg.pr);
    return (uint64_t)(c->iwdg.rlr + 1u) * div * 25ull * PS_PER_US;
}

static uint64_t iwdg_read(struct chip *c, uint32_t r)
{
    switch (r) {
    case IWDG_PR_OFF: return c->iwdg.pr;
    case IWDG_RLR_OFF: return c->iwdg.rlr;
    case IWDG_SR_OFF: return 0; /* PVU/RVU: updates complete at once */
    default: return DEV_NONE;
    }
}

static void iwdg_write(struct chip *c, uint32_t off, uint32_t v, unsigned size)
{
    (void)size;
    switch (off & ~3u) {
    case IWDG_KR_OFF:
        v &= 0xFFFFu;
        if (v == IWDG_KR_START) {
            c->iwdg.on = 1;
            c->iwdg.deadline = c->now + iwdg_timeout(c);
        } else if (v == IWDG_KR_RELOAD) {
            if (c->iwdg.on)
                c->iwdg.deadline = c->now + iwdg_timeout(c);
        } else
            c->iwdg.unlocked = v == IWDG_KR_ACCESS;
        chip_reschedule(c);
        break;
    case IWDG_PR_OFF:
        if (c->iwdg.unlocked)
            c->iwdg.pr = v & 7u;
        break;
    case IWDG_RLR_OFF:
        if (c->iwdg.unlocked)
            c->iwdg.rlr = v & 0xFFFu;
        break;
    default: chip_unmodelled(c, IWDG_BASE_R + off, 1, v); break;
    }
}

static void iwdg_reset(struct chip *c)
{
    c->iwdg.pr = 0;
    c->iwdg.rlr = 0xFFFu;
    c->iwdg.on = 0;
    c->iwdg.unlocked = 0;
    c->iwdg.deadline = T_NEVER;
}

static uint64_t iwdg_next_event(struct chip *c) { return c->iwdg.on ? c->iwdg.deadline : T_NEVER; }

static void iwdg_service(struct chip *c)
{
    if (!c->iwdg.on || c->now < c->iwdg.deadline)
        return;
    chip_logf(c, "IWDG timeout: reset");
    c->iwdg.on = 0;
    c->iwdg.deadline = T_NEVER;
    c->reset_req = 1;
    c->reset_flags = RCC_CSR_IWDGRSTF | RCC_CSR_PINRSTF;
    uc_emu_stop(c->uc);
}

const struct dev_ops dev_iwdg = {
    .name = "IWDG",
    .base = IWDG_BASE_R,
    .size = 0x400u,
    .read = iwdg_read,
    .write = iwdg_write,
    .reset = iwdg_reset,
    .next_event = iwdg_next_event,
    .service = iwdg_service,
};
