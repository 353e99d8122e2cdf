/*
 * STM32F0 registers for firmware, named as RM0360 (STM32F030/F070 reference manual) names
 * them: PERIPH_REG for a register (an lvalue here), PERIPH_REG_BIT for a bit. The names,
 * base addresses, offsets (PERIPH_REG_OFF) and bits live in regs/<peripheral>.h, one header
 * per peripheral, shared with f0sim's device models; this umbrella adds the firmware-side
 * accessors. Core registers are from the Cortex-M0 Devices Generic User Guide (ARM DUI 0497A).
 */
#ifndef F0B_STM32F0_REGS_H
#define F0B_STM32F0_REGS_H

#include <stddef.h>
#include <stdint.h>

#include "regs/crc.h"
#include "regs/dbgmcu.h"
#include "regs/dma.h"
#include "regs/flash.h"
#include "regs/gpio.h"
#include "regs/iwdg.h"
#include "regs/rcc.h"
#include "regs/scs.h"
#include "regs/syscfg.h"
#include "regs/tim.h"
#include "regs/usart.h"

#define F0_REG(addr)  (*(volatile uint32_t *)(addr))
#define F0_REG8(addr) (*(volatile uint8_t *)(addr))

/* Register blocks as structs: the compiler then loads a peripheral's base address once and
 * reaches its registers by offset, which saves a literal per access (the bootloader has to
 * fit 4 KB). The RM0360 names below are what the code uses. */
typedef volatile uint32_t f0_reg;
struct f0_flash {
    f0_reg ACR, KEYR, OPTKEYR, SR, CR, AR, RES, OBR, WRPR;
};
struct f0_rcc {
    f0_reg CR, CFGR, CIR, APB2RSTR, APB1RSTR, AHBENR, APB2ENR, APB1ENR, BDCR, CSR, AHBRSTR, CFGR2,
        CFGR3, CR2;
};
struct f0_gpio {
    f0_reg MODER, OTYPER, OSPEEDR, PUPDR, IDR, ODR, BSRR, LCKR, AFRL, AFRH, BRR;
};
struct f0_dma_ch {
    f0_reg CCR, CNDTR, CPAR, CMAR, RES;
};
struct f0_dma {
    f0_reg ISR, IFCR;
    struct f0_dma_ch CH[7];
};
struct f0_crc {
    f0_reg DR, IDR, CR, RES, INIT;
};
struct f0_usart {
    f0_reg CR1, CR2, CR3, BRR, GTPR, RTOR, RQR, ISR, ICR, RDR, TDR;
};
struct f0_syst {
    f0_reg CSR, RVR, CVR, CALIB;
};
struct f0_scb {
    f0_reg CPUID, ICSR, RES, AIRCR, SCR, CCR;
};

#define F0_FLASH  ((struct f0_flash *)FLASH_BASE_R)
#define F0_RCC    ((struct f0_rcc *)RCC_BASE_R)
#define F0_GPIOA  ((struct f0_gpio *)GPIOA_BASE_R)
#define F0_SYSCFG ((volatile uint32_t *)SYSCFG_BASE_R)
#define F0_DMA1   ((struct f0_dma *)DMA1_BASE_R)
#define F0_CRC    ((struct f0_crc *)CRC_BASE_R)
#define F0_USART1 ((struct f0_usart *)USART1_BASE_R)
#define F0_SYST   ((struct f0_syst *)(SCS_BASE_R + SYST_CSR_OFF))
#define F0_SCB    ((struct f0_scb *)(SCS_BASE_R + SCB_CPUID_OFF))

/* The structs agree with the offsets of regs/<peripheral>.h (RM0360's register maps). */
_Static_assert(offsetof(struct f0_flash, SR) == FLASH_SR_OFF, "FLASH_SR");
_Static_assert(offsetof(struct f0_flash, AR) == FLASH_AR_OFF, "FLASH_AR");
_Static_assert(offsetof(struct f0_flash, WRPR) == FLASH_WRPR_OFF, "FLASH_WRPR");
_Static_assert(offsetof(struct f0_rcc, CSR) == RCC_CSR_OFF, "RCC_CSR");
_Static_assert(offsetof(struct f0_rcc, AHBRSTR) == RCC_AHBRSTR_OFF, "RCC_AHBRSTR");
_Static_assert(offsetof(struct f0_rcc, CR2) == RCC_CR2_OFF, "RCC_CR2");
_Static_assert(offsetof(struct f0_rcc, CFGR2) == RCC_CFGR2_OFF, "RCC_CFGR2");
_Static_assert(offsetof(struct f0_rcc, APB1ENR) == RCC_APB1ENR_OFF, "RCC_APB1ENR");
_Static_assert(offsetof(struct f0_gpio, AFRH) == GPIO_AFRH_OFF, "GPIOx_AFRH");
_Static_assert(offsetof(struct f0_gpio, BRR) == GPIO_BRR_OFF, "GPIOx_BRR");
_Static_assert(offsetof(struct f0_dma, CH[2].CCR) == DMA_CCR_OFF(3), "DMA_CCR3");
_Static_assert(offsetof(struct f0_dma, CH[2].CMAR) == DMA_CMAR_OFF(3), "DMA_CMAR3");
_Static_assert(offsetof(struct f0_crc, CR) == CRC_CR_OFF, "CRC_CR");
_Static_assert(offsetof(struct f0_crc, INIT) == CRC_INIT_OFF, "CRC_INIT");
_Static_assert(offsetof(struct f0_usart, ISR) == USART_ISR_OFF, "USART_ISR");
_Static_assert(offsetof(struct f0_usart, TDR) == USART_TDR_OFF, "USART_TDR");
_Static_assert(offsetof(struct f0_syst, CVR) == SYST_CVR_OFF - SYST_CSR_OFF, "SYST_CVR");
_Static_assert(offsetof(struct f0_scb, AIRCR) == SCB_AIRCR_OFF - SCB_CPUID_OFF, "SCB_AIRCR");
_Static_assert(offsetof(struct f0_scb, CCR) == SCB_CCR_OFF - SCB_CPUID_OFF, "SCB_CCR");

/* --- Accessors: the register as an lvalue, under its RM0360 name ------------------ */
#define FLASH_ACR     (F0_FLASH->ACR)
#define FLASH_KEYR    (F0_FLASH->KEYR)
#define FLASH_SR      (F0_FLASH->SR)
#define FLASH_CR      (F0_FLASH->CR)
#define FLASH_AR      (F0_FLASH->AR)
#define FLASH_OPTKEYR (F0_FLASH->OPTKEYR)
#define FLASH_OBR     (F0_FLASH->OBR)

#define RCC_CR       (F0_RCC->CR)
#define RCC_CFGR     (F0_RCC->CFGR)
#define RCC_CIR      (F0_RCC->CIR)
#define RCC_APB2RSTR (F0_RCC->APB2RSTR)
#define RCC_AHBENR   (F0_RCC->AHBENR)
#define RCC_APB2ENR  (F0_RCC->APB2ENR)
#define RCC_APB1ENR  (F0_RCC->APB1ENR)
#define RCC_CSR      (F0_RCC->CSR)
#define RCC_AHBRSTR  (F0_RCC->AHBRSTR)
#define RCC_CFGR2    (F0_RCC->CFGR2)
#define RCC_CFGR3    (F0_RCC->CFGR3)

#define GPIOA_MODER (F0_GPIOA->MODER)
#define GPIOA_PUPDR (F0_GPIOA->PUPDR)
#define GPIOA_AFRH  (F0_GPIOA->AFRH)

#define SYSCFG_CFGR1 (F0_SYSCFG[0])

/* DMA: USART1_RX is a request of channel 3 */
#define DMA1_ISR    (F0_DMA1->ISR)
#define DMA1_IFCR   (F0_DMA1->IFCR)
#define DMA1_CCR3   (F0_DMA1->CH[2].CCR)
#define DMA1_CNDTR3 (F0_DMA1->CH[2].CNDTR)
#define DMA1_CPAR3  (F0_DMA1->CH[2].CPAR)
#define DMA1_CMAR3  (F0_DMA1->CH[2].CMAR)

#define CRC_DR   (F0_CRC->DR)
#define CRC_DR8  F0_REG8(CRC_BASE_R + CRC_DR_OFF)
#define CRC_IDR  (F0_CRC->IDR)
#define CRC_CR   (F0_CRC->CR)
#define CRC_INIT (F0_CRC->INIT)

#define USART1_CR1 (F0_USART1->CR1)
#define USART1_CR3 (F0_USART1->CR3)
#define USART1_BRR (F0_USART1->BRR)
#define USART1_ISR (F0_USART1->ISR)
#define USART1_ICR (F0_USART1->ICR)
#define USART1_RDR (F0_USART1->RDR)
#define USART1_TDR (F0_USART1->TDR)

#define IWDG_KR  F0_REG(IWDG_BASE_R + IWDG_KR_OFF)
#define IWDG_PR  F0_REG(IWDG_BASE_R + IWDG_PR_OFF)
#define IWDG_RLR F0_REG(IWDG_BASE_R + IWDG_RLR_OFF)

#define DBGMCU_IDCODE F0_REG(DBGMCU_BASE_R + DBGMCU_IDCODE_OFF)

#define SYST_CSR    (F0_SYST->CSR)
#define SYST_RVR    (F0_SYST->RVR)
#define SYST_CVR    (F0_SYST->CVR)
#define NVIC_ISER   F0_REG(SCS_BASE_R + NVIC_ISER_OFF)
#define NVIC_ICER   F0_REG(SCS_BASE_R + NVIC_ICER_OFF)
#define NVIC_ISPR   F0_REG(SCS_BASE_R + NVIC_ISPR_OFF)
#define NVIC_ICPR   F0_REG(SCS_BASE_R + NVIC_ICPR_OFF)
#define NVIC_IPR(n) F0_REG(SCS_BASE_R + NVIC_IPR_OFF(n))
#define SCB_ICSR    (F0_SCB->ICSR)
#define SCB_AIRCR   (F0_SCB->AIRCR)
#define SCB_SHPR2   F0_REG(SCS_BASE_R + SCB_SHPR2_OFF)
#define SCB_SHPR3   F0_REG(SCS_BASE_R + SCB_SHPR3_OFF)

/* Timers: TIMx_REG(base) for any of TIM6_BASE_R, TIM14_BASE_R, TIM16_BASE_R, TIM17_BASE_R */
#define TIMx_CR1(b)  F0_REG((b) + TIM_CR1_OFF)
#define TIMx_DIER(b) F0_REG((b) + TIM_DIER_OFF)
#define TIMx_SR(b)   F0_REG((b) + TIM_SR_OFF)
#define TIMx_EGR(b)  F0_REG((b) + TIM_EGR_OFF)
#define TIMx_CNT(b)  F0_REG((b) + TIM_CNT_OFF)
#define TIMx_PSC(b)  F0_REG((b) + TIM_PSC_OFF)
#define TIMx_ARR(b)  F0_REG((b) + TIM_ARR_OFF)
#define TIMx_RCR(b)  F0_REG((b) + TIM_RCR_OFF) /* TIM16, TIM17 */

/* Clock figures the firmware is built for. */
#define F0_HSI_HZ    8000000u
#define F0_SYSCLK_HZ 48000000u

static inline void f0_dsb(void) { __asm__ volatile("dsb" ::: "memory"); }

#endif
