/*
 * Exceptions of the Cortex-M0 (ARMv6-M): priorities, preemption, entry (the 8-word frame
 * pushed, the vector fetched through the address-0 alias) and return (EXC_RETURN), faults
 * and lockup. Unicorn has no NVIC: exceptions are taken by hand at block boundaries (the
 * block hook pushes the frame and writes PC) and returned from in the interrupt hook (an
 * EXC_RETURN branch arrives there as EXCP_EXCEPTION_EXIT, intno 8). See
 * /work/shared/docs/emulation-notes.md for the measured facts this relies on.
 *
 * Stacks: only the main stack (MSP) is modelled; an exception from thread mode on PSP locks
 * up with a message, as does an EXC_RETURN to PSP (the later PSP work adds them here).
 */
#include <string.h>

#include "machine.h"

int exc_prio(const struct chip *c, int exc)
{
    if (exc == EXC_RESET) return -3;
    if (exc == EXC_NMI) return -2;
    if (exc == EXC_HARDFAULT) return -1;
    return c->nv.prio[exc];
}

int exc_exec_prio(struct chip *c)
{
    int p = 256;
    for (int e = 2; e < EXC_COUNT; e++)
        if (c->nv.active[e] && exc_prio(c, e) < p)
            p = exc_prio(c, e);
    uint32_t primask = 0;
    uc_reg_read(c->uc, UC_ARM_REG_PRIMASK, &primask);
    if ((primask & 1u) && p > 0)
        p = 0;
    return p;
}

/* Highest-priority pending exception that is enabled, or 0. */
int exc_pending(const struct chip *c)
{
    int best = 0, bp = 1000;
    for (int e = 2; e < EXC_COUNT; e++) {
        if (!c->nv.pending[e])
            continue;
        if (e >= EXC_IRQ0 && !(c->nv.iser & (1u << (e - EXC_IRQ0))))
            continue;
        if (exc_prio(c, e) < bp) {
            bp = exc_prio(c, e);
            best = e;
        }
    }
    return best;
}

void chip_set_pending(struct chip *c, int exc)
{
    c->nv.pending[exc] = 1;
    c->pend_check = 1;
}

void chip_irq(struct chip *c, int irq)
{
    chip_set_pending(c, EXC_IRQ0 + irq);
}

static int read_vector(struct chip *c, int exc, uint32_t *v)
{
    uint8_t *buf;
    uint32_t len;
    uint32_t off = (uint32_t)exc * 4u;
    alias_target(c, &buf, &len);
    if (off + 4u > len)
        return -1;
    if (c->alias_mode == 0)
        flash_stall(c);   /* the vector fetch is a flash read: it waits for BSY */
    memcpy(v, buf + off, 4);
    return 0;
}

static int stack_ok(const struct chip *c, uint32_t sp, uint32_t n)
{
    return sp >= SRAM_BASE && sp - SRAM_BASE + n <= c->o.part->sram_size && sp >= SRAM_BASE + 0u;
}

static void lockup(struct chip *c, uint32_t pc, const char *why)
{
    c->st.faults++;
    chip_stop(c, STOP_LOCKUP, "lockup at PC 0x%08x: %s", pc, why);
    c->stop_pc = pc;
}

/* Take exception exc with return address ret_pc. Returns 0, or -1 on lockup. */
int exc_enter(struct chip *c, int exc, uint32_t ret_pc)
{
    static const int regs[6] = { UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3,
                                 UC_ARM_REG_R12, UC_ARM_REG_LR };
    uint32_t frame[8], sp, xpsr, control = 0;
    for (int i = 0; i < 6; i++)
        uc_reg_read(c->uc, regs[i], &frame[i]);
    uc_reg_read(c->uc, UC_ARM_REG_XPSR, &xpsr);
    uc_reg_read(c->uc, UC_ARM_REG_CONTROL, &control);
    uc_reg_read(c->uc, UC_ARM_REG_SP, &sp);
    uint32_t ipsr = xpsr & 0x3Fu;
    if (ipsr == 0 && (control & 2u)) {
        lockup(c, ret_pc, "exception from thread mode on PSP (CONTROL.SPSEL=1) is not modelled");
        return -1;
    }
    frame[6] = ret_pc & ~1u;
    frame[7] = xpsr | (1u << 24);
    uint32_t nsp = sp - 32u;
    if (nsp & 4u) {
        /* 8-byte stack alignment on entry; xPSR bit 9 records the padding */
        nsp -= 4u;
        frame[7] |= 1u << 9;
    } else {
        frame[7] &= ~(1u << 9);
    }
    if (!stack_ok(c, nsp, 32u)) {
        lockup(c, ret_pc, "exception stack push outside SRAM (bad MSP)");
        return -1;
    }
    memcpy(c->sram + (nsp - SRAM_BASE), frame, 32);
    uint32_t v;
    if (read_vector(c, exc, &v) < 0) {
        lockup(c, ret_pc, "vector fetch outside the memory at address 0");
        return -1;
    }
    uint32_t exc_ret = ipsr ? 0xFFFFFFF1u : 0xFFFFFFF9u;
    uint32_t nx = (xpsr & 0xF0000000u) | (1u << 24) | (uint32_t)exc;
    uc_reg_write(c->uc, UC_ARM_REG_SP, &nsp);
    uc_reg_write(c->uc, UC_ARM_REG_LR, &exc_ret);
    uc_reg_write(c->uc, UC_ARM_REG_XPSR, &nx);
    c->nv.pending[exc] = 0;
    c->nv.active[exc] = 1;
    chip_idle_reset(c);
    c->st.irqs_taken++;
    c->st.cycles += 16;
    c->now += 16ull * c->ps_per_cycle;
    if (!(v & 1u)) {
        /* a vector without the Thumb bit faults on the first fetch */
        c->nv.active[exc] = 0;
        if (exc == EXC_HARDFAULT || exc == EXC_NMI) {
            lockup(c, v, "HardFault vector has no Thumb bit");
            return -1;
        }
        c->fault_reason = "vector without Thumb bit (INVSTATE)";
        c->fault_addr = v;
        return exc_enter(c, EXC_HARDFAULT, v);
    }
    uint32_t pc = v & ~1u;
    {
        uint32_t pct = pc | 1u;   /* Unicorn takes bit 0 as the Thumb state */
        uc_reg_write(c->uc, UC_ARM_REG_PC, &pct);
    }
    return 0;
}

void exc_fault(struct chip *c, uint32_t pc, const char *why, uint32_t addr)
{
    c->st.faults++;
    uint32_t xpsr = 0;
    uc_reg_read(c->uc, UC_ARM_REG_XPSR, &xpsr);
    int ipsr = (int)(xpsr & 0x3Fu);
    if (ipsr == EXC_HARDFAULT || ipsr == EXC_NMI) {
        lockup(c, pc, why);
        return;
    }
    chip_logf(c, "HardFault at PC 0x%08x: %s (address 0x%08x)", pc, why, addr);
    if (!c->o.fault_continue) {
        chip_stop(c, STOP_HARDFAULT, "HardFault at PC 0x%08x: %s (address 0x%08x)", pc, why, addr);
        c->stop_pc = pc;
        return;
    }
    exc_enter(c, EXC_HARDFAULT, pc);
}

void exc_try(struct chip *c, uint32_t pc)
{
    int e = exc_pending(c);
    if (!e) {
        c->pend_check = 0;
        return;
    }
    if (exc_prio(c, e) < exc_exec_prio(c))
        exc_enter(c, e, pc);
}

void exc_return(struct chip *c, uint32_t exc_ret)
{
    uint32_t xpsr, sp;
    uc_reg_read(c->uc, UC_ARM_REG_XPSR, &xpsr);
    int cur = (int)(xpsr & 0x3Fu);
    if (cur == 0) {
        exc_fault(c, exc_ret, "EXC_RETURN branch in thread mode", exc_ret);
        return;
    }
    if ((exc_ret & 0xFu) == 0xCu || ((exc_ret | 1u) != 0xFFFFFFF1u && (exc_ret | 1u) != 0xFFFFFFF9u)) {
        exc_fault(c, exc_ret, "EXC_RETURN value not modelled (PSP or invalid)", exc_ret);
        return;
    }
    uc_reg_read(c->uc, UC_ARM_REG_SP, &sp);
    if (!stack_ok(c, sp, 32u)) {
        lockup(c, exc_ret, "exception return frame outside SRAM");
        return;
    }
    uint32_t frame[8];
    memcpy(frame, c->sram + (sp - SRAM_BASE), 32);
    c->nv.active[cur] = 0;
    static const int regs[6] = { UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3,
                                 UC_ARM_REG_R12, UC_ARM_REG_LR };
    for (int i = 0; i < 6; i++)
        uc_reg_write(c->uc, regs[i], &frame[i]);
    sp += 32u + ((frame[7] & (1u << 9)) ? 4u : 0u);
    uint32_t nx = frame[7] & ~(1u << 9);
    uint32_t pc = frame[6] & ~1u;
    uc_reg_write(c->uc, UC_ARM_REG_XPSR, &nx);
    uc_reg_write(c->uc, UC_ARM_REG_SP, &sp);
    {
        uint32_t pct = pc | 1u;   /* Unicorn takes bit 0 as the Thumb state */
        uc_reg_write(c->uc, UC_ARM_REG_PC, &pct);
    }
    c->st.cycles += 16;
    c->now += 16ull * c->ps_per_cycle;
    c->pend_check = 1;   /* tail-chaining: a pending exception may now run */
    chip_idle_reset(c);
    devices_levels(c);   /* level-sensitive lines still asserted pend again */
}
