/*
 * RCC (RM0360 section 7): HSI always on, the PLL from HSI/2 (no crystal on the virtual board:
 * HSE is reported as unmodelled), SW/SWS, the AHB/APB prescalers and USART1SW, the enable
 * and reset registers, and the reset flags in RCC_CSR. A clock change reaches the CPU and
 * SysTick through chip_set_hclk().
 */
#include "../machine.h"
#include "dev.h"
#include "regs/flash.h"
#include "regs/rcc.h"

#define HSI_HZ 8000000u
#define R(c, off) ((c)->rcc.r[(off) / 4u])

static uint32_t rcc_sysclk(const struct chip *c)
{
    uint32_t sws = (R(c, RCC_CFGR_OFF) & RCC_CFGR_SWS_MASK) >> RCC_CFGR_SWS_SHIFT;
    if (sws == 2u) {
        uint32_t mul = ((R(c, RCC_CFGR_OFF) >> RCC_CFGR_PLLMUL_SHIFT) & 0xFu) + 2u;
        if (mul > 16u)
            mul = 16u;
        /* PLLSRC = HSI/2 (the only source modelled: no crystal on the virtual board) */
        return HSI_HZ / 2u * mul;
    }
    return HSI_HZ;
}

static uint32_t rcc_hclk_of(const struct chip *c)
{
    static const uint16_t hpre[8] = { 2, 4, 8, 16, 64, 128, 256, 512 };
    uint32_t h = (R(c, RCC_CFGR_OFF) >> RCC_CFGR_HPRE_SHIFT) & 0xFu;
    return rcc_sysclk(c) / ((h & 8u) ? hpre[h & 7u] : 1u);
}

uint32_t rcc_pclk(const struct chip *c)
{
    uint32_t p = (R(c, RCC_CFGR_OFF) >> RCC_CFGR_PPRE_SHIFT) & 7u;
    uint32_t pclk = c->hclk / ((p & 4u) ? (2u << (p & 3u)) : 1u);
    switch (R(c, RCC_CFGR3_OFF) & RCC_CFGR3_USART1SW_MASK) {
    case 1: return rcc_sysclk(c);
    case 3: return HSI_HZ;
    default: return pclk;
    }
}

int rcc_enabled(const struct chip *c, uint32_t enr_off, uint32_t bit)
{
    return (R(c, enr_off) & bit) != 0;
}

static void rcc_update_clock(struct chip *c)
{
    uint32_t sw = R(c, RCC_CFGR_OFF) & RCC_CFGR_SW_MASK;
    uint32_t sws = 0;
    if (sw == RCC_CFGR_SW_PLL && (R(c, RCC_CR_OFF) & RCC_CR_PLLRDY))
        sws = 2u;
    else if (sw == RCC_CFGR_SW_HSE)
        chip_unmodelled(c, RCC_BASE_R + RCC_CFGR_OFF, 1, R(c, RCC_CFGR_OFF));   /* no crystal */
    R(c, RCC_CFGR_OFF) = (R(c, RCC_CFGR_OFF) & ~RCC_CFGR_SWS_MASK) | (sws << RCC_CFGR_SWS_SHIFT);
    uint32_t h = rcc_hclk_of(c);
    if (h > 24000000u && !(c->fl.acr & FLASH_ACR_LATENCY)) {
        static int warned;
        if (!warned++)
            chip_logf(c, "HCLK %u Hz above 24 MHz with FLASH_ACR.LATENCY = 0: a real chip misreads flash",
                      h);
    }
    chip_set_hclk(c, h);
}

static void rcc_write_cr(struct chip *c, uint32_t v)
{
    /* HSI stays on; HSIRDY and PLLRDY are read-only */
    uint32_t cr = (R(c, RCC_CR_OFF) & 0x02020002u) | (v & 0x010D00F9u) | RCC_CR_HSION;
    if ((v & RCC_CR_PLLON) == 0 && (R(c, RCC_CFGR_OFF) & RCC_CFGR_SWS_MASK) == RCC_CFGR_SWS_PLL)
        cr |= RCC_CR_PLLON;                          /* PLL cannot stop while it is SYSCLK */
    cr = (cr & ~RCC_CR_PLLRDY) | ((cr & RCC_CR_PLLON) << 1);   /* PLLRDY follows PLLON */
    if (v & RCC_CR_HSEON)
        chip_unmodelled(c, RCC_BASE_R + RCC_CR_OFF, 1, v);     /* no crystal, never ready */
    R(c, RCC_CR_OFF) = cr | RCC_CR_HSIRDY;
    rcc_update_clock(c);
}

static void rcc_write(struct chip *c, uint32_t off, uint32_t v, unsigned size)
{
    uint32_t r = off & ~3u;
    (void)size;
    switch (r) {
    case RCC_CR_OFF:
        rcc_write_cr(c, v);
        break;
    case RCC_CFGR_OFF:
        R(c, r) = (v & ~RCC_CFGR_SWS_MASK) | (R(c, r) & RCC_CFGR_SWS_MASK);
        rcc_update_clock(c);
        break;
    case RCC_APB2RSTR_OFF:
        R(c, r) = v;
        if (v & RCC_APB2RSTR_SYSCFGRST) syscfg_peripheral_reset(c);
        if (v & RCC_APB2RSTR_USART1RST) usart_reset(c);
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
            R(c, r) &= ~RCC_CSR_RSTF_MASK;           /* RMVF clears the reset flags */
        break;
    case RCC_CIR_OFF: case RCC_APB1RSTR_OFF: case RCC_AHBENR_OFF: case RCC_APB2ENR_OFF:
    case RCC_APB1ENR_OFF: case RCC_BDCR_OFF: case RCC_CFGR2_OFF: case RCC_CFGR3_OFF:
    case RCC_CR2_OFF:
        R(c, r) = v;
        if (r == RCC_AHBENR_OFF) R(c, r) |= RCC_AHBENR_RESET & v;
        break;
    default:
        chip_unmodelled(c, RCC_BASE_R + off, 1, v);
        break;
    }
}

static uint64_t rcc_read(struct chip *c, uint32_t r)
{
    return r <= RCC_CR2_OFF ? R(c, r) : DEV_NONE;
}

static void rcc_reset(struct chip *c)
{
    uint32_t csr_flags = R(c, RCC_CSR_OFF) & RCC_CSR_RSTF_MASK;
    for (unsigned i = 0; i < sizeof c->rcc.r / sizeof c->rcc.r[0]; i++)
        c->rcc.r[i] = 0;
    R(c, RCC_CR_OFF) = RCC_CR_HSITRIM_RESET | RCC_CR_HSIRDY | RCC_CR_HSION;   /* 0x83 */
    R(c, RCC_AHBENR_OFF) = RCC_AHBENR_RESET;
    R(c, RCC_CSR_OFF) = csr_flags | c->reset_flags;
    c->reset_flags = 0;
}

const struct dev_ops dev_rcc = {
    .name = "RCC", .base = RCC_BASE_R, .size = 0x400u,
    .read = rcc_read, .write = rcc_write, .reset = rcc_reset,
};
