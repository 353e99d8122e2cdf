/* TIM6, TIM14, TIM16, TIM17 time base (RM0360 sections 17-19): update period from PSC and
 * ARR against SysTick (both from HCLK), EGR.UG with and without URS, SR.UIF rc_w0, the CNT
 * count, ARPE preload, one-pulse mode, the TIM16 repetition counter, the update interrupt
 * on each timer's IRQ line (17, 19, 21, 22), TIMxCLK = 2 x PCLK with an APB prescaler, and
 * a running timer following a SYSCLK change. */
#include "fw.h"

static volatile uint32_t hits[4];
void TIM6_IRQHandler(void)
{
    TIMx_SR(TIM6_BASE_R) = 0;
    hits[0]++;
}
void TIM14_IRQHandler(void)
{
    TIMx_SR(TIM14_BASE_R) = 0;
    hits[1]++;
}
void TIM16_IRQHandler(void)
{
    TIMx_SR(TIM16_BASE_R) = 0;
    hits[2]++;
}
void TIM17_IRQHandler(void)
{
    TIMx_SR(TIM17_BASE_R) = 0;
    hits[3]++;
}

static void cyc_start(void)
{
    SYST_RVR = 0xFFFFFFu;
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_ENABLE;
}

static void wait_uif(uint32_t b)
{
    while (!(TIMx_SR(b) & TIM_SR_UIF))
        ;
    TIMx_SR(b) = 0;
}

/* HCLK cycles between two update events of the timer at b */
static uint32_t period(uint32_t b)
{
    cyc_start();
    wait_uif(b);
    uint32_t t0 = SYST_CVR;
    wait_uif(b);
    return t0 - SYST_CVR;
}

static void start(uint32_t b, uint32_t psc, uint32_t arr, uint32_t cr1)
{
    TIMx_CR1(b) = 0;
    TIMx_PSC(b) = psc;
    TIMx_ARR(b) = arr;
    TIMx_CR1(b) = TIM_CR1_URS | cr1;
    TIMx_EGR(b) = TIM_EGR_UG;
    TIMx_SR(b) = 0;
    TIMx_CR1(b) = TIM_CR1_URS | TIM_CR1_CEN | cr1;
}

static int within(uint32_t v, uint32_t want, uint32_t tol)
{
    return v + tol >= want && v <= want + tol;
}

static void basics(void)
{
    uint32_t b = TIM6_BASE_R;
    CHECK(TIMx_ARR(b) == 0xFFFFu && TIMx_CNT(b) == 0u, "TIM6 reset values", TIMx_ARR(b));
    TIMx_PSC(b) = 7u;
    TIMx_EGR(b) = TIM_EGR_UG; /* URS = 0: UG sets UIF */
    CHECK(TIMx_SR(b) == TIM_SR_UIF, "UG sets UIF (URS = 0)", TIMx_SR(b));
    TIMx_SR(b) = TIM_SR_UIF; /* rc_w0: writing 1 keeps it */
    CHECK(TIMx_SR(b) == TIM_SR_UIF, "SR.UIF rc_w0: 1 keeps", TIMx_SR(b));
    TIMx_SR(b) = 0;
    CHECK(TIMx_SR(b) == 0u, "SR.UIF rc_w0: 0 clears", TIMx_SR(b));
    TIMx_CR1(b) = TIM_CR1_URS;
    TIMx_EGR(b) = TIM_EGR_UG;
    CHECK(TIMx_SR(b) == 0u, "UG with URS: no UIF", TIMx_SR(b));

    /* CNT counts at 8 MHz / 8 = 1 MHz: 8 HCLK cycles per count */
    TIMx_CR1(b) = TIM_CR1_URS | TIM_CR1_CEN;
    cyc_start();
    uint32_t c0 = TIMx_CNT(b), s0 = SYST_CVR;
    for (volatile int i = 0; i < 200; i++)
        ;
    uint32_t c1 = TIMx_CNT(b), s1 = SYST_CVR;
    uint32_t counts = c1 - c0, cycles = s0 - s1;
    CHECK(within(counts * 8u, cycles, 16u), "CNT at 1 MHz (8 cycles per count)", counts);

    start(b, 7u, 999u, 0); /* 1 ms */
    CHECK(within(period(b), 8000u, 8u), "TIM6 PSC 7 ARR 999: 8000 cycles", period(b));
    /* ARPE: a new ARR waits for the next update */
    TIMx_CR1(b) |= TIM_CR1_ARPE;
    wait_uif(b);
    TIMx_ARR(b) = 499u;
    CHECK(TIMx_ARR(b) == 499u, "ARR reads the preload", TIMx_ARR(b));
    cyc_start();
    uint32_t t0 = SYST_CVR;
    wait_uif(b); /* the old period finishes */
    uint32_t first = t0 - SYST_CVR;
    CHECK(first > 7000u, "ARPE: the running period keeps ARR 999", first);
    CHECK(within(period(b), 4000u, 8u), "then ARR 499: 4000 cycles", period(b));
    /* CNT written above ARR: it counts on to 0xFFFF, rolls over without an update, and
     * updates at ARR: (0x10000 - 0xFF00) + 100 counts = 356 us at 1 MHz */
    start(b, 7u, 99u, 0);
    TIMx_CNT(b) = 0xFF00u;
    TIMx_SR(b) = 0;
    cyc_start();
    t0 = SYST_CVR;
    wait_uif(b);
    uint32_t above = t0 - SYST_CVR;
    CHECK(within(above, 356u * 8u, 16u), "CNT above ARR: on to 0xFFFF, then ARR", above);
    /* one-pulse: CEN clears at the update */
    start(b, 7u, 99u, TIM_CR1_OPM);
    wait_uif(b);
    CHECK(!(TIMx_CR1(b) & TIM_CR1_CEN), "OPM: CEN clear after the update", TIMx_CR1(b));
    TIMx_CR1(b) = 0;
}

static void interrupts(void)
{
    static const uint32_t bases[4] = {TIM6_BASE_R, TIM14_BASE_R, TIM16_BASE_R, TIM17_BASE_R};
    static const uint32_t irqs[4] = {TIM6_IRQn, TIM14_IRQn, TIM16_IRQn, TIM17_IRQn};
    /* 1 ms, 2 ms, 5 x 1 ms (RCR 4), 4 ms at 1 MHz */
    static const uint32_t arr[4] = {999u, 1999u, 999u, 3999u};
    static const uint32_t want[4] = {100u, 50u, 20u, 25u};
    TIMx_RCR(TIM16_BASE_R) = 4u;
    for (int i = 0; i < 4; i++) {
        hits[i] = 0;
        start(bases[i], 7u, arr[i], 0);
        TIMx_DIER(bases[i]) = TIM_DIER_UIE;
        NVIC_ISER = 1u << irqs[i];
    }
    /* 100 ms of SysTick wraps */
    SYST_RVR = 8000u - 1u;
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_ENABLE;
    for (int ms = 0; ms < 100; ms++)
        while (!(SYST_CSR & SYST_CSR_COUNTFLAG))
            ;
    uint32_t got[4];
    for (int i = 0; i < 4; i++) {
        TIMx_CR1(bases[i]) = 0;
        TIMx_DIER(bases[i]) = 0;
        got[i] = hits[i];
    }
    for (int i = 0; i < 4; i++)
        CHECK(within(got[i], want[i], 1u), "update interrupts in 100 ms",
              (uint32_t)i << 16 | got[i]);
    NVIC_ICER = 0xFFFFFFFFu;
}

static void clocks(void)
{
    uint32_t b = TIM14_BASE_R;
    /* APB /4: PCLK 2 MHz, TIMxCLK 4 MHz: PSC 7 ARR 999 -> 2 ms = 16000 HCLK cycles */
    RCC_CFGR = (RCC_CFGR & ~(7u << RCC_CFGR_PPRE_SHIFT)) | (5u << RCC_CFGR_PPRE_SHIFT);
    start(b, 7u, 999u, 0);
    CHECK(within(period(b), 16000u, 16u), "APB /4: TIMxCLK = 2 x PCLK", period(b));
    RCC_CFGR &= ~(7u << RCC_CFGR_PPRE_SHIFT);
    /* SYSCLK to 48 MHz (HSI/2 x12) while it runs: 1 ms at 8 MHz becomes 1/6 ms */
    start(b, 7u, 999u, 0);
    wait_uif(b);
    FLASH_ACR = FLASH_ACR_PRFTBE | FLASH_ACR_LATENCY;
    RCC_CFGR = (RCC_CFGR & ~RCC_CFGR_PLLMUL_MASK) | RCC_CFGR_PLLMUL(12);
    RCC_CR |= RCC_CR_PLLON;
    while (!(RCC_CR & RCC_CR_PLLRDY))
        ;
    RCC_CFGR |= RCC_CFGR_SW_PLL;
    wait_uif(b);
    CHECK(within(period(b), 8000u, 8u), "48 MHz: 1/6 ms = 8000 HCLK cycles", period(b));
    TIMx_CR1(b) = 0;
}

int main(void)
{
    uart_init(0x45);
    RCC_APB1ENR |= RCC_APB1ENR_TIM6EN | RCC_APB1ENR_TIM14EN;
    RCC_APB2ENR |= RCC_APB2ENR_TIM16EN | RCC_APB2ENR_TIM17EN;
    basics();
    enable_irq();
    interrupts();
    clocks();
    return 0;
}
