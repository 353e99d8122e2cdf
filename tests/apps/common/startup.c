/*
 * A vendor-like startup for the user application test firmwares (tests/apps/), in the
 * order ST's startup_stm32f030xc.s uses: SystemInit() first, then .data and .bss, then
 * main(). Nothing f0boot-specific here: the application's one f0boot edit is the
 * f0boot_app_remap() call at the top of SystemInit() (system.c), as the article asks.
 * Written for these tests; no vendor code.
 */
#include <stdint.h>

#include "apps.h"

extern uint32_t _sidata[], _sdata[], _edata[], _sbss[], _ebss[], _estack[];
int main(void);
void Reset_Handler(void);
void Default_Handler(void);

void Default_Handler(void)
{
    for (;;)
        ;
}

#define WEAK_HANDLER(name) void name(void) __attribute__((weak, alias("Default_Handler")))
WEAK_HANDLER(NMI_Handler);
WEAK_HANDLER(HardFault_Handler);
WEAK_HANDLER(SVC_Handler);
WEAK_HANDLER(PendSV_Handler);
WEAK_HANDLER(SysTick_Handler);
WEAK_HANDLER(TIM6_IRQHandler);
WEAK_HANDLER(TIM14_IRQHandler);
WEAK_HANDLER(USART1_IRQHandler);

typedef void (*vector)(void);
#define IRQ(n) (16 + (n))

/* STM32F030xC: 16 system words and IRQ 0-29 (USART3_6 last), 184 bytes, as ST's table;
 * only the handlers these tests use are named, the other entries are 0. */
__attribute__((section(".isr_vector"), used)) static const vector g_pfnVectors[IRQ(30)] = {
    [0] = (vector)(uintptr_t)_estack, [1] = Reset_Handler,         [2] = NMI_Handler,
    [3] = HardFault_Handler,          [11] = SVC_Handler,          [14] = PendSV_Handler,
    [15] = SysTick_Handler,           [IRQ(17)] = TIM6_IRQHandler, [IRQ(19)] = TIM14_IRQHandler,
    [IRQ(27)] = USART1_IRQHandler,
};

void Reset_Handler(void)
{
    SystemInit();
    uint32_t *s = _sidata, *d = _sdata;
    while (d < _edata)
        *d++ = *s++;
    for (d = _sbss; d < _ebss;)
        *d++ = 0;
    main();
    for (;;)
        ;
}
