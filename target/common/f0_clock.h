/* The clock tree steps shared by the bootloader and the application template. */
#ifndef F0B_F0_CLOCK_H
#define F0B_F0_CLOCK_H

#include "stm32f0_regs.h"

/* SYSCLK 48 MHz from the PLL fed by HSI/2 (x12); AHB and APB undivided. */
static inline void f0_clock_48mhz(void)
{
    /* Flash reads need one wait state above 24 MHz: set it before the clock goes up. */
    FLASH_ACR = FLASH_ACR_PRFTBE | FLASH_ACR_LATENCY;
    /* PLLMUL may only change while the PLL is off (it is, after reset). */
    RCC_CFGR = (RCC_CFGR & ~(0xFu << 18)) | RCC_CFGR_PLLMUL12;
    RCC_CR |= RCC_CR_PLLON;
    while ((RCC_CR & RCC_CR_PLLRDY) == 0)
        ;
    RCC_CFGR = (RCC_CFGR & ~RCC_CFGR_SW_MASK) | RCC_CFGR_SW_PLL;
    while ((RCC_CFGR & RCC_CFGR_SWS_MASK) != RCC_CFGR_SWS_PLL)
        ;
}

/* Back to the reset clock: SYSCLK = HSI 8 MHz, PLL off, zero wait states. */
static inline void f0_clock_reset(void)
{
    RCC_CR |= RCC_CR_HSION;
    RCC_CFGR &= ~RCC_CFGR_SW_MASK;
    while ((RCC_CFGR & RCC_CFGR_SWS_MASK) != 0)
        ;
    /* PLLON can only be cleared once the PLL no longer drives SYSCLK. */
    RCC_CR &= ~RCC_CR_PLLON;
    while (RCC_CR & RCC_CR_PLLRDY)
        ;
    RCC_CFGR = 0;
    /* Latency may drop only after the clock has: reset value is PRFTBE, 0 wait states. */
    FLASH_ACR = FLASH_ACR_PRFTBE;
}

#endif
