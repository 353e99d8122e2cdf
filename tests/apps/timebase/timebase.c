/*
 * A CubeMX project with an RTOS (tests/apps/README.md): SysTick belongs to the RTOS tick,
 * so the HAL time base is a basic timer, TIM6 at 1 kHz, with TIM14 as a second, slower
 * timer (100 Hz), each on its update interrupt. 48 MHz from HSI/2 x12.
 * Prints, once TIM6 has counted 1000 updates (1 s):
 *          timebase: tim6=1000 tim14=100 systick=1000
 *          timebase ok          (or "timebase MISMATCH": the three counts disagree by more
 *                                than one tick of the slower timer)
 */
#include <stdint.h>

#include "apps.h"
#include "f0_clock.h"
#include "stm32f0_regs.h"

static volatile uint32_t tim6_ticks, tim14_ticks, systicks;

void SysTick_Handler(void) { systicks++; }

void TIM6_IRQHandler(void)
{
    TIMx_SR(TIM6_BASE_R) = 0; /* rc_w0: clear UIF, or the interrupt repeats */
    tim6_ticks++;
}

void TIM14_IRQHandler(void)
{
    TIMx_SR(TIM14_BASE_R) = 0;
    tim14_ticks++;
}

void con_rx(uint8_t c) { (void)c; }

/* Update interrupt every (psc + 1) * (arr + 1) cycles of the 48 MHz timer clock. */
static void timer_start(uint32_t base, uint32_t psc, uint32_t arr, uint32_t irqn)
{
    TIMx_PSC(base) = psc;
    TIMx_ARR(base) = arr;
    TIMx_CR1(base) = TIM_CR1_URS;
    TIMx_EGR(base) = TIM_EGR_UG; /* load PSC now (it is buffered until an update) */
    TIMx_SR(base) = 0;
    TIMx_DIER(base) = TIM_DIER_UIE;
    NVIC_ISER = 1u << irqn;
    TIMx_CR1(base) = TIM_CR1_URS | TIM_CR1_CEN;
}

static uint32_t absdiff(uint32_t a, uint32_t b) { return a > b ? a - b : b - a; }

int main(void)
{
    f0_clock_48mhz();
    con_init(F0_SYSCLK_HZ);
    RCC_APB1ENR |= RCC_APB1ENR_TIM6EN | RCC_APB1ENR_TIM14EN;
    (void)RCC_APB1ENR;
    /* HAL_InitTick() on TIM6: 1 MHz count, 1 ms period; TIM14: 10 kHz count, 10 ms. */
    timer_start(TIM6_BASE_R, 47u, 999u, TIM6_IRQn);
    timer_start(TIM14_BASE_R, 4799u, 99u, TIM14_IRQn);
    /* The RTOS tick on SysTick, 1 ms. */
    SYST_RVR = F0_SYSCLK_HZ / 1000u - 1u;
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_TICKINT | SYST_CSR_ENABLE;
    __asm__ volatile("cpsie i" ::: "memory");

    while (tim6_ticks < 1000u)
        __asm__ volatile("wfi");
    uint32_t t6 = tim6_ticks, t14 = tim14_ticks, st = systicks;
    con_puts("timebase: tim6=");
    con_putu(t6);
    con_puts(" tim14=");
    con_putu(t14);
    con_puts(" systick=");
    con_putu(st);
    con_puts(absdiff(t6, st) <= 10u && absdiff(t6, t14 * 10u) <= 10u ? "\r\ntimebase ok\r\n"
                                                                     : "\r\ntimebase MISMATCH\r\n");
    for (;;)
        __asm__ volatile("wfi");
}
