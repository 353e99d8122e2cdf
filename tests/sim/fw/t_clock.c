/* The clock tree (RM0360 section 7.2, figure 9; DS9773 for the HSE): HSE on and ready after
 * its start-up time, SYSCLK from HSE, the PLL from HSE/PREDIV, HSI/PREDIV and HSI/2 with
 * RCC_CFGR2.PREDIV and PLLMUL, HPRE, a switch that waits for an unready source, and HCLK as
 * SysTick counts it against USART1 characters clocked from the HSI (USART1SW = 11), which
 * no SYSCLK change touches. Run with --hse-hz 12000000: prints "HSE ok, ALL PASS"; with
 * --hse-hz 0 (no crystal): HSERDY never sets and nothing switches to it, "no HSE, ALL PASS".
 * 100 ms after that, it changes PLLMUL while the PLL runs (RM0360: not allowed, so f0sim
 * reports it: --strict stops). */
#include "fw.h"

#define HSE_HZ 12000000u

static void usart_from_hsi(void)
{
    USART1_CR1 = 0;
    RCC_CFGR3 = (RCC_CFGR3 & ~RCC_CFGR3_USART1SW_MASK) | 3u; /* USART1SW = HSI */
    USART1_BRR = 0x45u;                                      /* 115942 baud at 8 MHz */
    USART1_CR1 = USART_CR1_UE | USART_CR1_RE | USART_CR1_TE;
}

/* HCLK in kHz: SysTick (processor clock, free running) over 20 characters of 10 bits at
 * 8 MHz / 0x45 (1725 us). */
static uint32_t hclk_khz(void)
{
    uart_flush();
    SYST_RVR = 0xFFFFFFu;
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_ENABLE;
    uint32_t t0 = SYST_CVR;
    for (int i = 0; i < 20; i++)
        putch('U');
    uart_flush();
    uint32_t t1 = SYST_CVR;
    SYST_CSR = 0;
    /* the first character starts at once (empty shift register), the flush waits for all */
    return (uint32_t)(((uint64_t)(t0 - t1) * 1000u) / 1725u);
}

static int near(uint32_t khz, uint32_t want_khz)
{
    return khz * 100u >= want_khz * 98u && khz * 100u <= want_khz * 102u;
}

/* cycles of the 8 MHz SysTick until (*reg & mask) is set, or 0 after limit cycles */
static uint32_t wait_bit(volatile uint32_t *reg, uint32_t mask, uint32_t limit)
{
    SYST_RVR = 0xFFFFFFu;
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_ENABLE;
    uint32_t t0 = SYST_CVR, dt = 0;
    while (!(*reg & mask) && (dt = t0 - SYST_CVR) < limit)
        ;
    SYST_CSR = 0;
    return (*reg & mask) ? (dt ? dt : 1u) : 0u;
}

static void pll_off(void)
{
    RCC_CFGR &= ~RCC_CFGR_SW_MASK; /* back to HSI first */
    while (RCC_CFGR & RCC_CFGR_SWS_MASK)
        ;
    RCC_CR &= ~RCC_CR_PLLON;
    while (RCC_CR & RCC_CR_PLLRDY)
        ;
}

/* PLL from src with PREDIV prediv and PLLMUL mul, SYSCLK = PLL; HCLK in kHz */
static uint32_t run_pll(uint32_t src, uint32_t prediv, uint32_t mul)
{
    pll_off();
    RCC_CFGR2 = RCC_CFGR2_PREDIV(prediv);
    RCC_CFGR = (RCC_CFGR & ~(RCC_CFGR_PLLSRC_MASK | RCC_CFGR_PLLMUL_MASK)) | src |
               RCC_CFGR_PLLMUL(mul);
    RCC_CR |= RCC_CR_PLLON;
    if (!wait_bit(&RCC_CR, RCC_CR_PLLRDY, 100000u))
        return 0;
    RCC_CFGR = (RCC_CFGR & ~RCC_CFGR_SW_MASK) | RCC_CFGR_SW_PLL;
    if ((RCC_CFGR & RCC_CFGR_SWS_MASK) != RCC_CFGR_SWS_PLL)
        return 0;
    return hclk_khz();
}

static void with_hse(void)
{
    SYST_CSR = 0;
    uint32_t t = wait_bit(&RCC_CR, RCC_CR_HSERDY, 800000u);
    /* DS9773 tSU(HSE) 2 ms: 16000 cycles of the 8 MHz HSI */
    CHECK(t >= 15900u && t <= 16100u, "HSERDY 2 ms after HSEON", t);
    RCC_CFGR = (RCC_CFGR & ~RCC_CFGR_SW_MASK) | RCC_CFGR_SW_HSE;
    CHECK((RCC_CFGR & RCC_CFGR_SWS_MASK) == RCC_CFGR_SWS_HSE, "SWS = HSE", RCC_CFGR);
    uint32_t k = hclk_khz();
    CHECK(near(k, HSE_HZ / 1000u), "SYSCLK = HSE 12 MHz", k);
    RCC_CR &= ~RCC_CR_HSEON;
    CHECK(RCC_CR & RCC_CR_HSEON, "HSEON stays while HSE is SYSCLK", RCC_CR);
    RCC_CFGR3 &= ~RCC_CFGR3_USART1SW_MASK; /* USART1 from PCLK = HSE 12 MHz: BRR 104 */
    USART1_CR1 = 0;
    USART1_BRR = 104u;
    USART1_CR1 = USART_CR1_UE | USART_CR1_RE | USART_CR1_TE;
    RCC_CR &= ~RCC_CR_HSION;
    CHECK(!(RCC_CR & (RCC_CR_HSION | RCC_CR_HSIRDY)), "HSI off while SYSCLK = HSE", RCC_CR);
    RCC_CFGR &= ~RCC_CFGR_SW_MASK;
    CHECK((RCC_CFGR & RCC_CFGR_SWS_MASK) == RCC_CFGR_SWS_HSE, "no switch to a stopped HSI",
          RCC_CFGR);
    RCC_CR |= RCC_CR_HSION;
    CHECK((RCC_CFGR & RCC_CFGR_SWS_MASK) == 0u, "the switch happens when HSIRDY sets", RCC_CFGR);
    usart_from_hsi();
    RCC_CFGR = (RCC_CFGR & ~RCC_CFGR_SW_MASK) | RCC_CFGR_SW_HSE;

    k = run_pll(RCC_CFGR_PLLSRC_HSE_PREDIV, 3u, 12u); /* 12 / 3 x 12 = 48 MHz */
    CHECK(near(k, 48000u), "PLL HSE/3 x12 = 48 MHz", k);
    CHECK(!(RCC_CFGR & RCC_CFGR_PLLXTPRE), "PLLXTPRE = PREDIV bit 0 (/3: 0)", RCC_CFGR);
    k = run_pll(RCC_CFGR_PLLSRC_HSE_PREDIV, 2u, 6u); /* 12 / 2 x 6 = 36 MHz */
    CHECK(near(k, 36000u), "PLL HSE/2 x6 = 36 MHz", k);
    CHECK(RCC_CFGR & RCC_CFGR_PLLXTPRE, "PLLXTPRE = PREDIV bit 0 (/2: 1)", RCC_CFGR);
    pll_off();
    RCC_CR &= ~RCC_CR_HSEON;
    CHECK(!(RCC_CR & (RCC_CR_HSEON | RCC_CR_HSERDY)), "HSE off: HSERDY clear", RCC_CR);
    puts_("HSE ok, ");
}

static void without_hse(void)
{
    puts_("no HSE, ");
    RCC_CFGR = (RCC_CFGR & ~RCC_CFGR_SW_MASK) | RCC_CFGR_SW_HSE;
    CHECK((RCC_CFGR & RCC_CFGR_SWS_MASK) == 0u, "no switch to an HSE that is not ready", RCC_CFGR);
    RCC_CFGR &= ~RCC_CFGR_SW_MASK;
    RCC_CFGR2 = RCC_CFGR2_PREDIV(1);
    RCC_CFGR = (RCC_CFGR & ~(RCC_CFGR_PLLSRC_MASK | RCC_CFGR_PLLMUL_MASK)) |
               RCC_CFGR_PLLSRC_HSE_PREDIV | RCC_CFGR_PLLMUL(6);
    RCC_CR |= RCC_CR_PLLON;
    CHECK(!wait_bit(&RCC_CR, RCC_CR_PLLRDY, 80000u), "PLL from a dead HSE never locks", RCC_CR);
    RCC_CR &= ~(RCC_CR_PLLON | RCC_CR_HSEON);
}

int main(void)
{
    uart_init(0x45);
    usart_from_hsi();
    CHECK(RCC_CR == (RCC_CR_HSITRIM_RESET | RCC_CR_HSIRDY | RCC_CR_HSION), "RCC_CR reset", RCC_CR);
    uint32_t k = hclk_khz();
    CHECK(near(k, 8000u), "HSI 8 MHz", k);

    RCC_CR |= RCC_CR_HSEON;
    CHECK(!(RCC_CR & RCC_CR_HSERDY), "HSERDY not at once", RCC_CR);
    if (wait_bit(&RCC_CR, RCC_CR_HSERDY, 80000u)) { /* 10 ms */
        RCC_CR &= ~RCC_CR_HSEON;
        RCC_CR |= RCC_CR_HSEON;
        with_hse();
    } else {
        without_hse();
    }

    FLASH_ACR = FLASH_ACR_PRFTBE | FLASH_ACR_LATENCY;
    k = run_pll(RCC_CFGR_PLLSRC_HSI_PREDIV, 1u, 6u); /* 8 / 1 x 6 = 48 MHz */
    CHECK(near(k, 48000u), "PLL HSI/1 x6 = 48 MHz (not HSI/2)", k);
    k = run_pll(RCC_CFGR_PLLSRC_HSI_PREDIV, 4u, 12u); /* 8 / 4 x 12 = 24 MHz */
    CHECK(near(k, 24000u), "PLL HSI/4 x12 = 24 MHz", k);
    k = run_pll(RCC_CFGR_PLLSRC_HSI_DIV2, 4u, 12u); /* HSI/2 ignores PREDIV: 48 */
    CHECK(near(k, 48000u), "PLL HSI/2 x12 = 48 MHz", k);
    RCC_CFGR |= 8u << RCC_CFGR_HPRE_SHIFT; /* HCLK = SYSCLK / 2 */
    k = hclk_khz();
    CHECK(near(k, 24000u), "HPRE /2: HCLK 24 MHz", k);
    RCC_CFGR &= ~(0xFu << RCC_CFGR_HPRE_SHIFT);
    /* the HSI stops when SYSCLK does not need it, not while it feeds the PLL in use */
    RCC_CR &= ~RCC_CR_HSION;
    CHECK((RCC_CR & (RCC_CR_HSION | RCC_CR_HSIRDY)) == (RCC_CR_HSION | RCC_CR_HSIRDY),
          "HSION stays while HSI/2 feeds the PLL that is SYSCLK", RCC_CR);

    /* USART1 from PCLK at 48 MHz follows the clock: BRR 417 -> 115108 baud */
    USART1_CR1 = 0;
    RCC_CFGR3 &= ~RCC_CFGR3_USART1SW_MASK;
    USART1_BRR = 417u;
    USART1_CR1 = USART_CR1_UE | USART_CR1_RE | USART_CR1_TE;
    k = hclk_khz(); /* 20 characters of 10 x 417 / 48 MHz = 1737.5 us, not 1725 */
    CHECK(near(k, 48348u), "USART1 at PCLK 48 MHz follows the clock", k);
    usart_from_hsi();
    finish_no_stop();

    wait_bit(&RCC_CIR, 1u << 31, 4800000u); /* 100 ms at 48 MHz (a bit that never sets) */
    RCC_CFGR = (RCC_CFGR & ~RCC_CFGR_PLLMUL_MASK) | RCC_CFGR_PLLMUL(6); /* PLL running */
    puts_("PLLMUL changed\n");
    for (;;)
        __asm volatile("wfi");
}
