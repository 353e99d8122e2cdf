/*
 * The Cortex-M0 System Control Space (ARM DUI 0497A section 4): the NVIC (enable, pending,
 * priority registers of the 32 IRQ lines), SysTick (counting HCLK or HCLK/8, in virtual
 * time: the counter is computed, not ticked) and the SCB registers the firmware uses (CPUID,
 * ICSR, AIRCR with SYSRESETREQ, SCR, CCR read-only, SHPR2/3). VTOR does not exist on the M0:
 * its word reads 0 and ignores writes (RAZ/WI, not reported: startup code of libopencm3 and
 * others reads it and writes CCR on every core), as does a write to the read-only CCR.
 * Taking and returning from exceptions is the CPU's part (exc.c).
 */
#include <string.h>

#include "../machine.h"
#include "dev.h"
#include "regs/rcc.h"
#include "regs/scs.h"
#include "../watch.h"

static uint64_t st_tick(const struct chip *c)
{
    /* SysTick counts HCLK (CLKSOURCE = 1) or HCLK/8 (the STM32 external reference) */
    return (uint64_t)c->ps_per_cycle * ((c->nv.st_csr & SYST_CSR_CLKSOURCE) ? 1u : 8u);
}

uint32_t systick_current(const struct chip *c)
{
    if (c->nv.st_zero == T_NEVER || c->now >= c->nv.st_zero)
        return 0;
    uint64_t ticks = (c->nv.st_zero - c->now + c->nv.st_tick_ps - 1) / c->nv.st_tick_ps;
    return ticks > c->nv.st_rvr ? c->nv.st_rvr : (uint32_t)ticks;
}

static void systick_service(struct chip *c)
{
    if (c->nv.st_zero == T_NEVER || c->now < c->nv.st_zero)
        return;
    uint64_t period = (uint64_t)(c->nv.st_rvr + 1u) * c->nv.st_tick_ps;
    if (c->nv.st_rvr == 0) {
        /* RVR = 0: the counter stops at 0 after the next wrap */
        c->nv.st_zero = T_NEVER;
    } else {
        uint64_t n = (c->now - c->nv.st_zero) / period + 1u;
        c->nv.st_zero += n * period;
    }
    c->nv.st_csr |= SYST_CSR_COUNTFLAG;
    if (c->nv.st_csr & SYST_CSR_TICKINT)
        chip_set_pending(c, EXC_SYSTICK);
}

static uint32_t icsr_read(struct chip *c)
{
    uint32_t xpsr = 0, v;
    uc_reg_read(c->uc, UC_ARM_REG_XPSR, &xpsr);
    v = xpsr & SCB_ICSR_VECTACTIVE_MASK;
    int p = exc_pending(c);
    v |= (uint32_t)p << SCB_ICSR_VECTPENDING_SHIFT;
    for (int e = EXC_IRQ0; e < EXC_COUNT; e++)
        if (c->nv.pending[e])
            v |= SCB_ICSR_ISRPENDING;
    if (c->nv.pending[EXC_PENDSV])
        v |= SCB_ICSR_PENDSVSET;
    if (c->nv.pending[EXC_SYSTICK])
        v |= SCB_ICSR_PENDSTSET;
    return v;
}

static uint64_t nvic_read(struct chip *c, uint32_t w)
{
    uint32_t v = 0;
    switch (w) {
    case SYST_CSR_OFF:
        v = c->nv.st_csr;
        c->nv.st_csr &= ~SYST_CSR_COUNTFLAG;
        break; /* clears on read */
    case SYST_RVR_OFF: v = c->nv.st_rvr; break;
    case SYST_CVR_OFF: v = systick_current(c); break;
    case SYST_CALIB_OFF: v = SYST_CALIB_NOREF | (c->hclk / 8u / 100u); break; /* TENMS */
    case NVIC_ISER_OFF:
    case NVIC_ICER_OFF: v = c->nv.iser; break; /* both read the enables */
    case NVIC_ISPR_OFF:
    case NVIC_ICPR_OFF:
        for (int i = 0; i < 32; i++)
            if (c->nv.pending[EXC_IRQ0 + i])
                v |= 1u << i;
        break;
    case SCB_CPUID_OFF: v = SCB_CPUID_M0_R0P0; break;
    case SCB_ICSR_OFF: v = icsr_read(c); break;
    case SCB_AIRCR_OFF: v = SCB_AIRCR_VECTKEYSTAT; break; /* little-endian */
    case SCB_SCR_OFF: v = c->nv.scr; break;
    case SCB_CCR_OFF: v = SCB_CCR_M0; break;
    case SCB_VTOR_OFF: v = 0; break; /* no VTOR on the Cortex-M0: RAZ/WI */
    case SCB_SHPR2_OFF: v = c->nv.shpr2; break;
    case SCB_SHPR3_OFF: v = c->nv.shpr3; break;
    default:
        if (w >= NVIC_IPR_OFF(0) && w < NVIC_IPR_END_OFF) {
            for (int i = 0; i < 4; i++)
                v |= (uint32_t)c->nv.prio[EXC_IRQ0 + (w - NVIC_IPR_OFF(0)) + i] << (8 * i);
            break;
        }
        return DEV_NONE;
    }
    return v;
}

/* SysTick CVR is a clock: reading it twice alike is not idle polling */
static int nvic_is_counter(uint32_t off) { return (off & ~3u) == SYST_CVR_OFF; }

static void st_restart(struct chip *c)
{
    c->nv.st_tick_ps = st_tick(c);
    if (!(c->nv.st_csr & SYST_CSR_ENABLE)) {
        c->nv.st_zero = T_NEVER;
    } else {
        /* CVR is 0 after a write: it reloads from RVR on the next tick */
        c->nv.st_zero = c->now + (uint64_t)(c->nv.st_rvr + 1u) * c->nv.st_tick_ps;
    }
    chip_reschedule(c);
}

static void systick_csr_write(struct chip *c, uint32_t v)
{
    uint32_t was = c->nv.st_csr & SYST_CSR_ENABLE;
    watch_on_systick_csr(c, v);
    c->nv.st_csr = (c->nv.st_csr & SYST_CSR_COUNTFLAG) | (v & 7u);
    if ((v & SYST_CSR_ENABLE) && !was) {
        uint32_t cur = 0;
        c->nv.st_tick_ps = st_tick(c);
        /* counting starts from the current CVR value (0 after a CVR write) */
        c->nv.st_zero = c->now + (uint64_t)(cur ? cur : c->nv.st_rvr + 1u) * c->nv.st_tick_ps;
        chip_reschedule(c);
    } else if (!(v & SYST_CSR_ENABLE)) {
        c->nv.st_zero = T_NEVER;
    } else {
        c->nv.st_tick_ps = st_tick(c);
    }
}

static void scb_icsr_write(struct chip *c, uint32_t v)
{
    if (v & SCB_ICSR_NMIPENDSET)
        chip_set_pending(c, EXC_NMI);
    if (v & SCB_ICSR_PENDSVSET)
        chip_set_pending(c, EXC_PENDSV);
    if (v & SCB_ICSR_PENDSVCLR)
        c->nv.pending[EXC_PENDSV] = 0;
    if (v & SCB_ICSR_PENDSTSET)
        chip_set_pending(c, EXC_SYSTICK);
    if (v & SCB_ICSR_PENDSTCLR)
        c->nv.pending[EXC_SYSTICK] = 0;
}

/* A byte or half-word write (v already in its lane) merged into the word old. */
static uint32_t lane_merge(uint32_t old, uint32_t off, uint32_t v, unsigned size)
{
    if (size >= 4)
        return v;
    uint32_t m = ((1u << (8u * size)) - 1u) << (8u * (off & 3u));
    return (old & ~m) | (v & m);
}

static void nvic_write(struct chip *c, uint32_t off, uint32_t v, unsigned size)
{
    uint32_t w = off & ~3u;
    switch (w) {
    case SYST_CSR_OFF: systick_csr_write(c, v); break;
    case SYST_RVR_OFF: c->nv.st_rvr = v & SYST_RVR_MASK; break;
    case SYST_CVR_OFF:
        c->nv.st_csr &= ~SYST_CSR_COUNTFLAG;
        st_restart(c);
        break;
    case NVIC_ISER_OFF:
        watch_on_iser(c, v);
        c->nv.iser |= v;
        c->pend_check = 1;
        break;
    case NVIC_ICER_OFF: c->nv.iser &= ~v; break;
    case NVIC_ISPR_OFF:
        for (int i = 0; i < 32; i++)
            if (v & (1u << i))
                chip_irq(c, i);
        break;
    case NVIC_ICPR_OFF:
        for (int i = 0; i < 32; i++)
            if (v & (1u << i))
                c->nv.pending[EXC_IRQ0 + i] = 0;
        break;
    case SCB_ICSR_OFF: scb_icsr_write(c, v); break;
    case SCB_AIRCR_OFF:
        if ((v >> 16) == SCB_AIRCR_VECTKEY && (v & SCB_AIRCR_SYSRESETREQ)) {
            /* SYSRESETREQ: a system reset of the whole chip; SRAM keeps its content */
            c->reset_req = 1;
            c->reset_flags = RCC_CSR_SFTRSTF | RCC_CSR_PINRSTF;
            uc_emu_stop(c->uc);
        }
        break;
    case SCB_SCR_OFF: c->nv.scr = v & SCB_SCR_WRITABLE; break;
    case SCB_CCR_OFF:
    case SCB_VTOR_OFF:
    case SCB_CPUID_OFF: break; /* read-only (CCR, CPUID) or absent (VTOR): ignored */
    case SCB_SHPR2_OFF:
        c->nv.shpr2 = lane_merge(c->nv.shpr2, off, v, size) & 0xC0000000u;
        c->nv.prio[EXC_SVC] = (uint8_t)(c->nv.shpr2 >> 24);
        break;
    case SCB_SHPR3_OFF:
        c->nv.shpr3 = lane_merge(c->nv.shpr3, off, v, size) & 0xC0C00000u;
        c->nv.prio[EXC_PENDSV] = (uint8_t)(c->nv.shpr3 >> 16);
        c->nv.prio[EXC_SYSTICK] = (uint8_t)(c->nv.shpr3 >> 24);
        break;
    default:
        if (w >= NVIC_IPR_OFF(0) && w < NVIC_IPR_END_OFF) {
            /* IPR: only bits 7:6 of each byte exist on the M0 */
            for (int i = 0; i < 4; i++)
                if (size >= 4 || (unsigned)i == (off & 3u))
                    c->nv.prio[EXC_IRQ0 + (w - NVIC_IPR_OFF(0)) + i] =
                        (uint8_t)((v >> (8 * i)) & 0xC0u);
            break;
        }
        chip_unmodelled(c, SCS_BASE_R + off, 1, v);
        return;
    }
    c->pend_check = 1;
}

void systick_rebase(struct chip *c, uint32_t cur)
{
    /* rebase the SysTick counter on the new clock */
    c->nv.st_tick_ps = st_tick(c);
    if (c->nv.st_zero != T_NEVER)
        c->nv.st_zero = c->now + (uint64_t)(cur ? cur : c->nv.st_rvr + 1u) * c->nv.st_tick_ps;
}

void nvic_reset(struct chip *c)
{
    memset(&c->nv, 0, sizeof c->nv); /* nothing pending, active or enabled; priorities 0 */
    c->nv.st_zero = T_NEVER;
}

static uint64_t nvic_next_event(struct chip *c) { return c->nv.st_zero; }

/* The System Control Space sits on the CPU's private bus: not gated by RCC. */
const struct dev_ops dev_nvic = {
    .name = "SCS",
    .base = SCS_BASE_R,
    .size = 0x1000u,
    .is_counter = nvic_is_counter,
    .read = nvic_read,
    .write = nvic_write,
    .next_event = nvic_next_event,
    .service = systick_service,
};
