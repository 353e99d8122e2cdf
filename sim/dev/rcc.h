/* The RCC model (dev/rcc.c): clock tree (HSI, PLL from HSI/2), enables, resets, flags. */
#ifndef F0SIM_DEV_RCC_H
#define F0SIM_DEV_RCC_H

#include <stdint.h>

struct chip;

struct rcc_state {
    uint32_t r[16];          /* by offset / 4 */
};

/* USART1's kernel clock (RCC_CFGR3.USART1SW) in Hz. */
uint32_t rcc_pclk(const struct chip *c);
/* 1 when bit is set in the RCC enable register at offset enr_off (RCC_AHBENR_OFF, ...). */
int rcc_enabled(const struct chip *c, uint32_t enr_off, uint32_t bit);

#endif
