/*
 * Application startup behind the f0boot bootloader (Cortex-M0: no VTOR).
 *
 * The core takes every exception through the table at address 0. After the bootloader's
 * jump, address 0 still shows the bootloader's flash, whose table has no entries for this
 * application's handlers. So before anything can take an interrupt, Reset_Handler:
 *   1. masks interrupts (cpsid i): an application may also be started by a debugger or by
 *      a bootloader that left them enabled;
 *   2-4. f0boot_app_remap() (the f0boot application library, target/f0boot_app/): copies
 *      this application's vector table to the start of SRAM, which app.ld keeps out of the
 *      application's RAM (0x20000000-0xBF); enables the SYSCFG clock
 *      (RCC_APB2ENR.SYSCFGEN: without it the write to SYSCFG is silently ignored); sets
 *      SYSCFG_CFGR1.MEM_MODE = 11: SRAM now appears at address 0, so the core fetches
 *      vectors from the copy;
 *   5. initialises .data and .bss, sets the clock to 48 MHz;
 *   6. only then enables interrupts (cpsie i). The f0boot bootloader jumps with interrupts
 *      masked (PRIMASK = 1); an application that forgets this step never sees one. An RTOS
 *      that starts its tick before step 4 takes its first tick through the wrong table.
 * The bootloader jumps from thread mode, never from a handler: a jump from inside an
 * interrupt leaves the core in handler mode, and lower-priority interrupts then never run.
 */
#include <stdint.h>

#include "f0_clock.h"
#include "f0_part.h"
#include "f0boot_app.h"
#include "stm32f0_regs.h"

extern uint32_t _sidata[], _sdata[], _edata[], _sbss[], _ebss[], _estack[];
int main(void);
void Reset_Handler(void);

void Default_Handler(void);
void Default_Handler(void)
{
    for (;;)
        ;
}

/* Handlers an application defines to override (weak aliases of Default_Handler). Names as
 * in the STM32F030xC vector table (RM0360); lines a smaller part lacks stay unused. */
#define WEAK_HANDLER(name) void name(void) __attribute__((weak, alias("Default_Handler")))
WEAK_HANDLER(NMI_Handler);
WEAK_HANDLER(HardFault_Handler);
WEAK_HANDLER(SVC_Handler);
WEAK_HANDLER(PendSV_Handler);
WEAK_HANDLER(SysTick_Handler);
WEAK_HANDLER(WWDG_IRQHandler);
WEAK_HANDLER(RTC_IRQHandler);
WEAK_HANDLER(FLASH_IRQHandler);
WEAK_HANDLER(RCC_IRQHandler);
WEAK_HANDLER(EXTI0_1_IRQHandler);
WEAK_HANDLER(EXTI2_3_IRQHandler);
WEAK_HANDLER(EXTI4_15_IRQHandler);
WEAK_HANDLER(DMA1_Channel1_IRQHandler);
WEAK_HANDLER(DMA1_Channel2_3_IRQHandler);
WEAK_HANDLER(DMA1_Channel4_5_IRQHandler);
WEAK_HANDLER(ADC1_IRQHandler);
WEAK_HANDLER(TIM1_BRK_UP_TRG_COM_IRQHandler);
WEAK_HANDLER(TIM1_CC_IRQHandler);
WEAK_HANDLER(TIM3_IRQHandler);
WEAK_HANDLER(TIM6_IRQHandler);
WEAK_HANDLER(TIM14_IRQHandler);
WEAK_HANDLER(TIM15_IRQHandler);
WEAK_HANDLER(TIM16_IRQHandler);
WEAK_HANDLER(TIM17_IRQHandler);
WEAK_HANDLER(I2C1_IRQHandler);
WEAK_HANDLER(I2C2_IRQHandler);
WEAK_HANDLER(SPI1_IRQHandler);
WEAK_HANDLER(SPI2_IRQHandler);
WEAK_HANDLER(USART1_IRQHandler);
WEAK_HANDLER(USART2_IRQHandler);
WEAK_HANDLER(USART3_6_IRQHandler);

typedef void (*f0b_vector)(void);
#define VT_WORDS (F0_PART_VT_BYTES / 4)
#define IRQ(n)   (16 + (n))

/* As long as the part's table (parts.def vt_bytes); f0boot pack records the length.
 * Entries left out are reserved by the core or absent on the part: 0. */
__attribute__((section(".isr_vector"), used)) static const f0b_vector vectors[VT_WORDS] = {
    [0] = (f0b_vector)(uintptr_t)_estack,
    [1] = Reset_Handler,
    [2] = NMI_Handler,
    [3] = HardFault_Handler,
    [11] = SVC_Handler,
    [14] = PendSV_Handler,
    [15] = SysTick_Handler,
    [IRQ(0)] = WWDG_IRQHandler,
    [IRQ(2)] = RTC_IRQHandler,
    [IRQ(3)] = FLASH_IRQHandler,
    [IRQ(4)] = RCC_IRQHandler,
    [IRQ(5)] = EXTI0_1_IRQHandler,
    [IRQ(6)] = EXTI2_3_IRQHandler,
    [IRQ(7)] = EXTI4_15_IRQHandler,
    [IRQ(9)] = DMA1_Channel1_IRQHandler,
    [IRQ(10)] = DMA1_Channel2_3_IRQHandler,
    [IRQ(11)] = DMA1_Channel4_5_IRQHandler,
    [IRQ(12)] = ADC1_IRQHandler,
    [IRQ(13)] = TIM1_BRK_UP_TRG_COM_IRQHandler,
    [IRQ(14)] = TIM1_CC_IRQHandler,
    [IRQ(16)] = TIM3_IRQHandler,
    [IRQ(17)] = TIM6_IRQHandler,
    [IRQ(19)] = TIM14_IRQHandler,
    [IRQ(20)] = TIM15_IRQHandler,
    [IRQ(21)] = TIM16_IRQHandler,
    [IRQ(22)] = TIM17_IRQHandler,
    [IRQ(23)] = I2C1_IRQHandler,
    [IRQ(24)] = I2C2_IRQHandler,
    [IRQ(25)] = SPI1_IRQHandler,
    [IRQ(26)] = SPI2_IRQHandler,
    [IRQ(27)] = USART1_IRQHandler,
    [IRQ(28)] = USART2_IRQHandler,
#if F0B_PART_CODE == 4 || F0B_PART_CODE == 8
    [IRQ(29)] = USART3_6_IRQHandler,
#endif
};
_Static_assert(IRQ(28) < VT_WORDS, "the part's vector table reaches USART2");

void Reset_Handler(void)
{
    /* 1 */
    __asm__ volatile("cpsid i" ::: "memory");
    /* 2-4 (the F0B_BROKEN_* builds are f0boot check's test cases: tests/check/) */
#if !defined(F0B_BROKEN_NO_REMAP) && !defined(F0B_BROKEN_LATE_REMAP)
    f0boot_app_remap();
#endif
    /* 5 */
    uint32_t *s = _sidata, *d = _sdata;
    while (d < _edata)
        *d++ = *s++;
    for (d = _sbss; d < _ebss;)
        *d++ = 0;
    f0_clock_48mhz();
    /* 6 */
#ifndef F0B_BROKEN_NO_IRQ_ENABLE
    __asm__ volatile("cpsie i" ::: "memory");
#endif
    main();
    for (;;)
        ;
}
