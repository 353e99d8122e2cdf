/*
 * RCC (RM0360 section 7): the clock tree as RM0360 draws it (figure 9): HSI 8 MHz (HSION:
 * it stops only when SYSCLK does not depend on it; HSIRDY follows at once);
 * HSE from a crystal or an external clock (HSEBYP) of --hse-hz (0 = none: HSERDY never sets),
 * ready 2 ms after HSEON (DS9773 tSU(HSE)) or at once in bypass; the PLL from HSI/2,
 * HSI/PREDIV or HSE/PREDIV (RCC_CFGR2.PREDIV) times PLLMUL, locked as soon as it is on and
 * its input runs; SW/SWS (a switch waits for its source to be ready); HPRE/PPRE; USART1SW;
 * the enable and reset registers and the reset flags in RCC_CSR. A clock change reaches the
 * CPU and SysTick through chip_set_hclk(); the USART and the timers ask for their kernel
 * clocks when they time something. What the tree could do and this model does not (LSE,
 * HSI14, HSI48, MCO, the ready interrupts, PLL factors changed while the PLL runs) is
 * reported with chip_unmodelled(), never silently wrong.
 */
#include "../machine.h"
#include "dev.h"
#include "regs/flash.h"
#include "regs/rcc.h"

#define HSI_HZ         8000000u
#define HSE_STARTUP_PS (2ull * PS_PER_MS) /* DS9773 tSU(HSE), typical */
#define R(c, off)      ((c)->rcc.r[(off) / 4u])
#define CR_RO          (RCC_CR_HSIRDY | RCC_CR_HSERDY | RCC_CR_PLLRDY | 0xFF00u) /* + HSICAL */
/* HSION, HSITRIM, HSEON, HSEBYP, CSSON (the virtual crystal never fails), PLLON */
#define CR_WR            (RCC_CR_HSION | 0xF8u | RCC_CR_HSEON | RCC_CR_HSEBYP | RCC_CR_CSSON | RCC_CR_PLLON)
#define CFGR_PLL_FACTORS (RCC_CFGR_PLLSRC_MASK | RCC_CFGR_PLLXTPRE | RCC_CFGR_PLLMUL_MASK)
#define CIR_IE_MASK      0x00001F00u /* LSI/LSE/HSI/HSE/PLL ready interrupt enables */

static void rcc_warn_once(struct chip *c, unsigned bit, const char *fmt, uint32_t v)
{
    if (c->rcc.warned & (1u << bit))
        return;
    c->rcc.warned |= 1u << bit;
    chip_logf(c, fmt, v);
}

/* The PLL input, 0 when its source does not run (or is not modelled). */
static uint32_t pll_in(const struct chip *c)
{
    uint32_t prediv = (R(c, RCC_CFGR2_OFF) & RCC_CFGR2_PREDIV_MASK) + 1u;
    uint32_t hsi = (R(c, RCC_CR_OFF) & RCC_CR_HSIRDY) ? HSI_HZ : 0u;
    switch ((R(c, RCC_CFGR_OFF) & RCC_CFGR_PLLSRC_MASK) >> RCC_CFGR_PLLSRC_SHIFT) {
    case 0: return hsi / 2u;
    case 1: return hsi / prediv;
    case 2: return (R(c, RCC_CR_OFF) & RCC_CR_HSERDY) ? c->o.hse_hz / prediv : 0u;
    default: return 0u; /* HSI48/PREDIV: no HSI48 on the STM32F030 */
    }
}

static uint32_t pll_out(const struct chip *c)
{
    uint32_t mul = ((R(c, RCC_CFGR_OFF) & RCC_CFGR_PLLMUL_MASK) >> RCC_CFGR_PLLMUL_SHIFT) + 2u;
    return pll_in(c) * (mul > 16u ? 16u : mul);
}

static uint32_t rcc_sysclk(const struct chip *c)
{
    switch ((R(c, RCC_CFGR_OFF) & RCC_CFGR_SWS_MASK) >> RCC_CFGR_SWS_SHIFT) {
    case 1: return c->o.hse_hz;
    case 2: return pll_out(c);
    default: return HSI_HZ;
    }
}

static uint32_t rcc_hclk_of(const struct chip *c)
{
    static const uint16_t hpre[8] = {2, 4, 8, 16, 64, 128, 256, 512};
    uint32_t h = (R(c, RCC_CFGR_OFF) >> RCC_CFGR_HPRE_SHIFT) & 0xFu;
    return rcc_sysclk(c) / ((h & 8u) ? hpre[h & 7u] : 1u);
}

static uint32_t ppre_div(const struct chip *c)
{
    uint32_t p = (R(c, RCC_CFGR_OFF) >> RCC_CFGR_PPRE_SHIFT) & 7u;
    return (p & 4u) ? (2u << (p & 3u)) : 1u;
}

uint32_t rcc_apb_clk(const struct chip *c) { return c->hclk / ppre_div(c); }

uint32_t rcc_timclk(const struct chip *c)
{
    /* RM0360 figure 9: the timers run at PCLK x2 when the APB prescaler divides */
    return ppre_div(c) == 1u ? c->hclk : 2u * rcc_apb_clk(c);
}

uint32_t rcc_pclk(const struct chip *c)
{
    switch (R(c, RCC_CFGR3_OFF) & RCC_CFGR3_USART1SW_MASK) {
    case 1: return rcc_sysclk(c);
    case 3: return HSI_HZ;
    default: return rcc_apb_clk(c); /* LSE (10) is reported when selected */
    }
}

int rcc_enabled(const struct chip *c, uint32_t enr_off, uint32_t bit)
{
    return (R(c, enr_off) & bit) != 0;
}

/* PLLRDY follows PLLON once the PLL's input runs (lock time not modelled). */
static void pll_lock(struct chip *c)
{
    uint32_t cr = R(c, RCC_CR_OFF) & ~RCC_CR_PLLRDY;
    if ((cr & RCC_CR_PLLON) && pll_in(c))
        cr |= RCC_CR_PLLRDY;
    R(c, RCC_CR_OFF) = cr;
}

static void rcc_update_clock(struct chip *c)
{
    pll_lock(c);
    uint32_t cr = R(c, RCC_CR_OFF), cfgr = R(c, RCC_CFGR_OFF);
    uint32_t sw = cfgr & RCC_CFGR_SW_MASK;
    uint32_t sws = (cfgr & RCC_CFGR_SWS_MASK) >> RCC_CFGR_SWS_SHIFT;
    /* the switch happens once the new source is ready; until then SWS keeps the old one */
    if ((sw == 0u && (cr & RCC_CR_HSIRDY)) || (sw == 1u && (cr & RCC_CR_HSERDY)) ||
        (sw == 2u && (cr & RCC_CR_PLLRDY)))
        sws = sw;
    else if (sw == 3u)
        chip_unmodelled(c, RCC_BASE_R + RCC_CFGR_OFF, 1, cfgr); /* HSI48: not on the F030 */
    R(c, RCC_CFGR_OFF) = (cfgr & ~RCC_CFGR_SWS_MASK) | (sws << RCC_CFGR_SWS_SHIFT);
    uint32_t s = rcc_sysclk(c), h = rcc_hclk_of(c);
    if (sws == 2u && (s < 16000000u || s > 48000000u))
        rcc_warn_once(c, 0,
                      "PLL output %u Hz outside 16-48 MHz (DS9773): a real chip is out of spec", s);
    if (h > 24000000u && !(c->fl.acr & FLASH_ACR_LATENCY))
        rcc_warn_once(
            c, 1, "HCLK %u Hz above 24 MHz with FLASH_ACR.LATENCY = 0: a real chip misreads flash",
            h);
    chip_set_hclk(c, h);
}

/* Whether the HSE (hse = 1) or the HSI (hse = 0) feeds SYSCLK, directly or through the PLL. */
static int osc_in_use(const struct chip *c, int hse)
{
    uint32_t cfgr = R(c, RCC_CFGR_OFF);
    uint32_t sws = (cfgr & RCC_CFGR_SWS_MASK) >> RCC_CFGR_SWS_SHIFT;
    int pll_hse = (cfgr & RCC_CFGR_PLLSRC_MASK) == RCC_CFGR_PLLSRC_HSE_PREDIV;
    return sws == (hse ? 1u : 0u) || (sws == 2u && pll_hse == hse);
}

static void rcc_write_cr(struct chip *c, uint32_t v)
{
    uint32_t old = R(c, RCC_CR_OFF);
    /* ready bits read-only; HSIRDY follows HSION (its 6-cycle start not modelled) */
    uint32_t cr = (old & CR_RO) | (v & CR_WR);
    if (!(v & RCC_CR_HSION) && osc_in_use(c, 0))
        cr |= RCC_CR_HSION; /* HSI cannot stop while SYSCLK depends on it */
    if (!(v & RCC_CR_PLLON) && (R(c, RCC_CFGR_OFF) & RCC_CFGR_SWS_MASK) == RCC_CFGR_SWS_PLL)
        cr |= RCC_CR_PLLON; /* PLL cannot stop while it is SYSCLK */
    if (!(v & RCC_CR_HSEON) && osc_in_use(c, 1))
        cr |= RCC_CR_HSEON; /* nor the HSE while SYSCLK depends on it */
    if (old & RCC_CR_HSEON)
        cr = (cr & ~RCC_CR_HSEBYP) | (old & RCC_CR_HSEBYP); /* HSEBYP: only with HSE off */
    if (!(cr & RCC_CR_HSEON)) {
        cr &= ~RCC_CR_HSERDY;
        c->rcc.hse_ready_at = T_NEVER;
    } else if (!(old & RCC_CR_HSEON) && c->o.hse_hz) {
        /* a crystal starts in tSU(HSE); an external clock (HSEBYP) is there at once */
        c->rcc.hse_ready_at = c->now + ((cr & RCC_CR_HSEBYP) ? 0u : HSE_STARTUP_PS);
        chip_reschedule(c);
    }
    cr = (cr & ~RCC_CR_HSIRDY) | ((cr & RCC_CR_HSION) ? RCC_CR_HSIRDY : 0u);
    if (!(cr & RCC_CR_HSION) && (R(c, RCC_CFGR3_OFF) & RCC_CFGR3_USART1SW_MASK) == 3u)
        chip_unmodelled(c, RCC_BASE_R + RCC_CR_OFF, 1, v); /* USART1's HSI kernel clock off */
    R(c, RCC_CR_OFF) = cr;
    rcc_update_clock(c);
}

static void rcc_write_cfgr(struct chip *c, uint32_t v)
{
    uint32_t old = R(c, RCC_CFGR_OFF);
    if ((R(c, RCC_CR_OFF) & RCC_CR_PLLON) && ((v ^ old) & CFGR_PLL_FACTORS)) {
        /* RM0360 7.4.2: PLLSRC/PLLMUL only while the PLL is off; the chip's output then is
         * not defined: reported, and the PLL keeps its old factors */
        chip_logf(c, "RCC_CFGR: PLLSRC/PLLMUL changed while the PLL is on (RM0360 7.4.2: "
                     "only with PLLON = 0); the PLL keeps its factors");
        chip_unmodelled(c, RCC_BASE_R + RCC_CFGR_OFF, 1, v);
        v = (v & ~CFGR_PLL_FACTORS) | (old & CFGR_PLL_FACTORS);
    }
    if (v >> RCC_CFGR_MCO_SHIFT)
        chip_unmodelled(c, RCC_BASE_R + RCC_CFGR_OFF, 1, v); /* MCO: no clock output pin */
    /* PLLXTPRE is PREDIV bit 0 (RM0360 7.4.2) */
    R(c, RCC_CFGR2_OFF) = (R(c, RCC_CFGR2_OFF) & ~1u) | ((v & RCC_CFGR_PLLXTPRE) ? 1u : 0u);
    R(c, RCC_CFGR_OFF) = (v & ~RCC_CFGR_SWS_MASK) | (old & RCC_CFGR_SWS_MASK);
    rcc_update_clock(c);
}

static void rcc_write_cfgr2(struct chip *c, uint32_t v)
{
    if ((R(c, RCC_CR_OFF) & RCC_CR_PLLON) && ((v ^ R(c, RCC_CFGR2_OFF)) & RCC_CFGR2_PREDIV_MASK)) {
        chip_logf(c, "RCC_CFGR2: PREDIV changed while the PLL is on (RM0360 7.4.12: only with "
                     "PLLON = 0); the PLL keeps its factors");
        chip_unmodelled(c, RCC_BASE_R + RCC_CFGR2_OFF, 1, v);
        return;
    }
    R(c, RCC_CFGR2_OFF) = v & RCC_CFGR2_PREDIV_MASK;
    R(c, RCC_CFGR_OFF) = (R(c, RCC_CFGR_OFF) & ~RCC_CFGR_PLLXTPRE) |
                         ((v & 1u) ? RCC_CFGR_PLLXTPRE : 0u);
    rcc_update_clock(c);
}

/* Registers stored as written, with what in them is not modelled reported. */
static void rcc_write_plain(struct chip *c, uint32_t r, uint32_t v)
{
    int unmodelled = (r == RCC_CIR_OFF && (v & CIR_IE_MASK)) || /* ready interrupts */
                     (r == RCC_BDCR_OFF && (v & 1u)) ||         /* LSEON: no LSE */
                     (r == RCC_CR2_OFF && (v & 1u)) ||          /* HSI14ON (ADC clock) */
                     (r == RCC_CFGR3_OFF && (v & RCC_CFGR3_USART1SW_MASK) == 2u); /* LSE */
    if (unmodelled)
        chip_unmodelled(c, RCC_BASE_R + r, 1, v);
    R(c, r) = v;
    if (r == RCC_AHBENR_OFF)
        R(c, r) |= RCC_AHBENR_RESET & v;
}

static void timer_resets(struct chip *c, uint32_t r, uint32_t v)
{
    static const struct {
        uint32_t off, bit;
        int tim;
    } rst[] = {
        {RCC_APB1RSTR_OFF, RCC_APB1ENR_TIM6EN, TIM_6},
        {RCC_APB1RSTR_OFF, RCC_APB1ENR_TIM14EN, TIM_14},
        {RCC_APB2RSTR_OFF, RCC_APB2ENR_TIM16EN, TIM_16},
        {RCC_APB2RSTR_OFF, RCC_APB2ENR_TIM17EN, TIM_17},
    }; /* the reset bits sit where the enable bits do */
    for (unsigned i = 0; i < sizeof rst / sizeof rst[0]; i++)
        if (rst[i].off == r && (v & rst[i].bit))
            tim_peripheral_reset(c, rst[i].tim);
}

static void rcc_write_reg(struct chip *c, uint32_t off, uint32_t v)
{
    uint32_t r = off & ~3u;
    switch (r) {
    case RCC_CR_OFF: rcc_write_cr(c, v); break;
    case RCC_CFGR_OFF: rcc_write_cfgr(c, v); break;
    case RCC_CFGR2_OFF: rcc_write_cfgr2(c, v); break;
    case RCC_APB2RSTR_OFF:
        R(c, r) = v;
        if (v & RCC_APB2RSTR_SYSCFGRST)
            syscfg_peripheral_reset(c);
        if (v & RCC_APB2RSTR_USART1RST)
            usart_reset(c);
        timer_resets(c, r, v);
        break;
    case RCC_APB1RSTR_OFF:
        R(c, r) = v;
        timer_resets(c, r, v);
        break;
    case RCC_AHBRSTR_OFF:
        R(c, r) = v;
        for (int p = 0; p < 6; p++)
            if (v & (RCC_AHBRSTR_IOPARST << p))
                gpio_port_reset(c, p);
        break;
    case RCC_CSR_OFF:
        R(c, r) = (R(c, r) & RCC_CSR_RSTF_MASK) | (v & RCC_CSR_LSION) | ((v & RCC_CSR_LSION) << 1);
        if (v & RCC_CSR_RMVF)
            R(c, r) &= ~RCC_CSR_RSTF_MASK; /* RMVF clears the reset flags */
        break;
    case RCC_CIR_OFF:
    case RCC_AHBENR_OFF:
    case RCC_APB2ENR_OFF:
    case RCC_APB1ENR_OFF:
    case RCC_BDCR_OFF:
    case RCC_CFGR3_OFF:
    case RCC_CR2_OFF:
        rcc_write_plain(c, r, v);
        if (r == RCC_APB1ENR_OFF || r == RCC_APB2ENR_OFF)
            tim_gate_check(c);
        break;
    default: chip_unmodelled(c, RCC_BASE_R + off, 1, v); break;
    }
}

/* The timers count on the clock they had until now; if this write changes TIMxCLK they
 * go on at the new rate from here. */
static void rcc_write(struct chip *c, uint32_t off, uint32_t v, unsigned size)
{
    (void)size;
    uint32_t tclk = rcc_timclk(c);
    tim_clock_sync(c);
    rcc_write_reg(c, off, v);
    if (rcc_timclk(c) != tclk)
        tim_clock_changed(c);
}

static uint64_t rcc_read(struct chip *c, uint32_t r)
{
    return r <= RCC_CR2_OFF ? R(c, r) : DEV_NONE;
}

static uint64_t rcc_next_event(struct chip *c) { return c->rcc.hse_ready_at; }

static void rcc_service(struct chip *c)
{
    if (c->now < c->rcc.hse_ready_at)
        return;
    c->rcc.hse_ready_at = T_NEVER;
    R(c, RCC_CR_OFF) |= RCC_CR_HSERDY;
    uint32_t tclk = rcc_timclk(c);
    tim_clock_sync(c);
    rcc_update_clock(c); /* a switch to the HSE (or its PLL) waiting for it happens now */
    if (rcc_timclk(c) != tclk)
        tim_clock_changed(c);
}

static void rcc_reset(struct chip *c)
{
    uint32_t csr_flags = R(c, RCC_CSR_OFF) & RCC_CSR_RSTF_MASK;
    for (unsigned i = 0; i < sizeof c->rcc.r / sizeof c->rcc.r[0]; i++)
        c->rcc.r[i] = 0;
    R(c, RCC_CR_OFF) = RCC_CR_HSITRIM_RESET | RCC_CR_HSIRDY | RCC_CR_HSION; /* 0x83 */
    R(c, RCC_AHBENR_OFF) = RCC_AHBENR_RESET;
    R(c, RCC_CSR_OFF) = csr_flags | c->reset_flags;
    c->reset_flags = 0;
    c->rcc.hse_ready_at = T_NEVER;
    c->rcc.warned = 0;
}

const struct dev_ops dev_rcc = {
    .name = "RCC",
    .base = RCC_BASE_R,
    .size = 0x400u,
    .read = rcc_read,
    .write = rcc_write,
    .reset = rcc_reset,
    .next_event = rcc_next_event,
    .service = rcc_service,
};
