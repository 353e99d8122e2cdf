/*
 * STM32F0 registers beyond target/common/stm32f0_regs.h, named as RM0360 names them (core
 * registers as the Cortex-M0 Devices Generic User Guide, ARM DUI 0497A, names them): the
 * reset flags the update request relies on, and what the application library and the user
 * application test firmwares (tests/apps/) touch: the HSE and PREDIV clock paths, the
 * basic timers TIM6 and TIM14, and the system handler priorities. To be folded into the
 * per-peripheral headers by whoever splits stm32f0_regs.h.
 */
#ifndef F0B_REGS_EXTRA_H
#define F0B_REGS_EXTRA_H

#include "stm32f0_regs.h"

/* --- RCC (Reset and clock control) ------------------------------------------------- */
#define RCC_CR_HSEON           (1u << 16)
#define RCC_CR_HSERDY          (1u << 17)
#define RCC_CFGR_PLLSRC_MASK   (3u << 15)
#define RCC_CFGR_PLLSRC_HSI_DIV2    (0u << 15)
#define RCC_CFGR_PLLSRC_HSI_PREDIV  (1u << 15)
#define RCC_CFGR_PLLSRC_HSE_PREDIV  (2u << 15)
#define RCC_CFGR_PLLMUL_MASK   (0xFu << 18)
#define RCC_CFGR_PLLMUL(n)     ((uint32_t)((n) - 2u) << 18)   /* n = 2..16 */
#define RCC_APB1ENR            (F0_RCC->APB1ENR)
#define RCC_APB1ENR_TIM6EN     (1u << 4)
#define RCC_APB1ENR_TIM14EN    (1u << 8)
#define RCC_CSR                (F0_RCC->CSR)
#define RCC_CSR_RMVF           (1u << 24)    /* write 1: clear every reset flag */
#define RCC_CSR_OBLRSTF        (1u << 25)
#define RCC_CSR_PINRSTF        (1u << 26)    /* also set by every internal reset (NRST pulse) */
#define RCC_CSR_PORRSTF        (1u << 27)
#define RCC_CSR_SFTRSTF        (1u << 28)
#define RCC_CSR_IWDGRSTF       (1u << 29)
#define RCC_CSR_WWDGRSTF       (1u << 30)
#define RCC_CSR_LPWRRSTF       (1u << 31)
#define RCC_CFGR2              (F0_RCC->CFGR2)
#define RCC_CFGR2_PREDIV(n)    ((uint32_t)((n) - 1u))        /* n = 1..16 */

/* --- Basic timers TIM6 and TIM14 (their update interrupt only) ---------------------- */
#define TIM6_BASE_R            0x40001000u
#define TIM14_BASE_R           0x40002000u
#define TIMx_CR1(b)            F0_REG((b) + 0x00u)
#define TIM_CR1_CEN            (1u << 0)
#define TIM_CR1_URS            (1u << 2)   /* only an overflow raises the update interrupt */
#define TIMx_DIER(b)           F0_REG((b) + 0x0Cu)
#define TIM_DIER_UIE           (1u << 0)
#define TIMx_SR(b)             F0_REG((b) + 0x10u)
#define TIM_SR_UIF             (1u << 0)
#define TIMx_EGR(b)            F0_REG((b) + 0x14u)
#define TIM_EGR_UG             (1u << 0)
#define TIMx_CNT(b)            F0_REG((b) + 0x24u)
#define TIMx_PSC(b)            F0_REG((b) + 0x28u)
#define TIMx_ARR(b)            F0_REG((b) + 0x2Cu)
#define TIM6_IRQn              17u
#define TIM14_IRQn             19u

/* --- Cortex-M0 system control block --------------------------------------------------- */
#define SCB_ICSR_PENDSVSET     (1u << 28)
#define SCB_SHPR3_PRI_14(p)    ((uint32_t)(p) << 16)   /* PendSV */
#define SCB_SHPR3_PRI_15(p)    ((uint32_t)(p) << 24)   /* SysTick */

#endif
