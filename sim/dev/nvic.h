/* The Cortex-M0 System Control Space (dev/nvic.c): NVIC, SysTick and the SCB registers. */
#ifndef F0SIM_DEV_NVIC_H
#define F0SIM_DEV_NVIC_H

#include <stdint.h>

struct chip;

#define EXC_COUNT 48

struct nvic_state {
    uint8_t prio[EXC_COUNT]; /* 0,64,128,192 */
    uint8_t pending[EXC_COUNT], active[EXC_COUNT];
    uint32_t iser;
    uint32_t scr, shpr2, shpr3;
    uint32_t st_csr, st_rvr;
    uint64_t st_zero; /* time the counter next reaches 0 (T_NEVER if disabled) */
    uint64_t st_tick_ps;
};

/* SysTick's current value (CVR). */
uint32_t systick_current(const struct chip *c);
/* HCLK changed (c->ps_per_cycle is new): rebase the counter, which held cur. */
void systick_rebase(struct chip *c, uint32_t cur);
/* Power-on / system reset of the NVIC, SysTick and SCB. */
void nvic_reset(struct chip *c);

#endif
