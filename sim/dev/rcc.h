/* The RCC model (dev/rcc.c): the clock tree (HSI, HSE of --hse-hz, the PLL from HSI/2,
 * HSI/PREDIV or HSE/PREDIV), enables, resets, flags. */
#ifndef F0SIM_DEV_RCC_H
#define F0SIM_DEV_RCC_H

#include <stdint.h>

struct chip;

struct rcc_state {
    uint32_t r[16];        /* by offset / 4 */
    uint64_t hse_ready_at; /* virtual time HSERDY sets, T_NEVER when not starting */
    uint32_t warned;       /* out-of-spec warnings given since reset, one bit each */
};

/* USART1's kernel clock (RCC_CFGR3.USART1SW) in Hz. */
uint32_t rcc_pclk(const struct chip *c);
/* PCLK, the APB clock, in Hz. */
uint32_t rcc_apb_clk(const struct chip *c);
/* The timers' clock (TIMxCLK): PCLK, or 2 x PCLK when the APB prescaler divides. */
uint32_t rcc_timclk(const struct chip *c);
/* 1 when bit is set in the RCC enable register at offset enr_off (RCC_AHBENR_OFF, ...). */
int rcc_enabled(const struct chip *c, uint32_t enr_off, uint32_t bit);

#endif
