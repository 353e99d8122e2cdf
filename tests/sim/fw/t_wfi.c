/* WFI with PRIMASK set and an interrupt pending does not sleep (ARMv6-M ARM B1.5.19: a
 * pending interrupt that PRIMASK masks still wakes WFI), so a loop around it spins; WFE may
 * complete at once too. f0sim must run such loops at full speed: after a few identical
 * iterations it moves virtual time to the next event, as for any idle polling.
 * After "ALL PASS", a byte on USART1 starts a bare spin with a SysTick interrupt pending and
 * masked: 'i' `cpsid i; for (;;) wfi;` (an application that never enabled interrupts after
 * the bootloader's jump), 'e' `for (;;) wfe;`. The run tests check the summary: a second of
 * virtual time in few instructions (each spin executed would be ~1.3 M per second). */
#include "fw.h"

static volatile uint32_t taken;
void SysTick_Handler(void) { taken++; }

static uint32_t wait_wraps(uint32_t n, int use_wfe)
{
    uint32_t wraps = 0, spins = 0;
    while (wraps < n) {
        if (use_wfe)
            __asm volatile("wfe");
        else
            __asm volatile("wfi");
        spins++;
        if (SYST_CSR & SYST_CSR_COUNTFLAG)
            wraps++;
    }
    return spins;
}

int main(void)
{
    uart_init(0x45);
    disable_irq();
    SYST_RVR = 8000u - 1u; /* 1 ms at the 8 MHz HSI */
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_TICKINT | SYST_CSR_ENABLE;
    while (!(SYST_CSR & SYST_CSR_COUNTFLAG))
        ;
    CHECK(SCB_ICSR & SCB_ICSR_PENDSTSET, "SysTick pending, masked by PRIMASK", SCB_ICSR);
    uint32_t s1 = wait_wraps(200, 0);
    CHECK(s1 >= 200u, "WFI loop ran", s1);
    CHECK(taken == 0u, "PRIMASK kept SysTick out", taken);
    uint32_t s2 = wait_wraps(200, 1);
    CHECK(s2 >= 200u, "WFE loop ran", s2);
    enable_irq();
    __asm volatile("dsb\n isb" ::: "memory");
    CHECK(taken == 1u, "the pending SysTick taken once at cpsie", taken);
    finish_no_stop();

    while (!(USART1_ISR & USART_ISR_RXNE))
        ;
    int spin_wfe = USART1_RDR == 'e';
    disable_irq();
    SCB_ICSR = SCB_ICSR_PENDSTSET;
    if (spin_wfe)
        for (;;)
            __asm volatile("wfe");
    for (;;)
        __asm volatile("wfi");
}
