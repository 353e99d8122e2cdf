/*
 * An application that does not use USART1 itself (tests/apps/README.md): only the
 * application library's ready-made listener is on it, so f0boot's request sequence still
 * gets the board into its bootloader. It counts SysTicks and sleeps; it prints nothing.
 */
#include <stdint.h>

#include "apps.h"
#include "f0_clock.h"
#include "f0boot_app.h"
#include "stm32f0_regs.h"

static volatile uint32_t ticks;

void SysTick_Handler(void) { ticks++; }

void USART1_IRQHandler(void) { f0boot_app_usart1_irq(); }

int main(void)
{
    f0_clock_48mhz();
    f0boot_app_usart1_listen(F0_SYSCLK_HZ, 115200u);
    SYST_RVR = F0_SYSCLK_HZ / 1000u - 1u;
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_TICKINT | SYST_CSR_ENABLE;
    __asm__ volatile("cpsie i" ::: "memory"); /* the bootloader left PRIMASK set */
    for (;;)
        __asm__ volatile("wfi");
}
