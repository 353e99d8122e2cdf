/*
 * Exceptions of the Cortex-M0 (ARMv6-M): priorities, preemption, entry (the 8-word frame
 * pushed, the vector fetched through the address-0 alias) and return (EXC_RETURN), faults
 * and lockup. Unicorn has no NVIC: exceptions are taken by hand at block boundaries (the
 * block hook pushes the frame and writes PC) and returned from in the interrupt hook (an
 * EXC_RETURN branch arrives there as EXCP_EXCEPTION_EXIT, intno 8). See
 * /work/shared/docs/emulation-notes.md for the measured facts this relies on.
 *
 * Stacks (ARMv6-M ARM B1.5.6-B1.5.8): thread mode runs on MSP or, with CONTROL.SPSEL = 1,
 * on PSP; handler mode always on MSP. Unicorn's M-class model (QEMU's v7m code) banks the
 * two stack pointers itself: r13 is the one in use, MRS/MSR MSP/PSP/CONTROL work as the
 * architecture says (an SPSEL write in thread mode swaps the banked SP; in handler mode it is
 * ignored), and IPSR decides which is in use. So entry pushes the frame on the SP in use,
 * then (from thread mode on PSP) clears SPSEL while still in thread mode, which moves r13 to
 * MSP, and only then sets IPSR; return does the reverse. EXC_RETURN 0xFFFFFFF1 (handler,
 * MSP), 0xFFFFFFF9 (thread, MSP) and 0xFFFFFFFD (thread, PSP) are honoured when the nesting
 * allows them; any other value, or a return to thread mode with other exceptions still
 * active (or to handler mode with none), is a HardFault: ARMv6-M leaves them UNPREDICTABLE
 * and its only fault is HardFault.
 */
#include <stdio.h>
#include <string.h>

#include "machine.h"
#include "watch.h"

int exc_prio(const struct chip *c, int exc)
{
    if (exc == EXC_RESET)
        return -3;
    if (exc == EXC_NMI)
        return -2;
    if (exc == EXC_HARDFAULT)
        return -1;
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

void chip_irq(struct chip *c, int irq) { chip_set_pending(c, EXC_IRQ0 + irq); }

static int read_vector(struct chip *c, int exc, uint32_t *v)
{
    uint8_t *buf;
    uint32_t len;
    uint32_t off = (uint32_t)exc * 4u;
    alias_target(c, &buf, &len);
    if (off + 4u > len)
        return -1;
    if (c->alias_mode == 0)
        flash_stall(c); /* the vector fetch is a flash read: it waits for BSY */
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
    watch_on_fault(c, pc, why, pc, 1);
    chip_stop(c, STOP_LOCKUP, "lockup at PC 0x%08x: %s", pc, why);
    c->stop_pc = pc;
}

/* Push the 8-word frame at the SP in use: *sp_out is the new SP, *xpsr_io gets bit 9. */
static int push_frame(struct chip *c, uint32_t sp, uint32_t frame[8], uint32_t *sp_out)
{
    uint32_t nsp = sp - 32u;
    if (nsp & 4u) {
        /* 8-byte stack alignment on entry; xPSR bit 9 records the padding */
        nsp -= 4u;
        frame[7] |= 1u << 9;
    } else {
        frame[7] &= ~(1u << 9);
    }
    if (!stack_ok(c, nsp, 32u))
        return -1;
    memcpy(c->sram + (nsp - SRAM_BASE), frame, 32);
    *sp_out = nsp;
    return 0;
}

static void set_pc(struct chip *c, uint32_t pc)
{
    uint32_t pct = pc | 1u; /* Unicorn takes bit 0 as the Thumb state */
    uc_reg_write(c->uc, UC_ARM_REG_PC, &pct);
}

/* Take exception exc with return address ret_pc. Returns 0, or -1 on lockup. It calls
 * itself one level deep at most: a vector without the Thumb bit escalates to HardFault, and
 * a HardFault vector without it locks up instead. */
/* NOLINTNEXTLINE(misc-no-recursion): bounded at one level, see above */
int exc_enter(struct chip *c, int exc, uint32_t ret_pc)
{
    static const int regs[6] = {UC_ARM_REG_R0, UC_ARM_REG_R1,  UC_ARM_REG_R2,
                                UC_ARM_REG_R3, UC_ARM_REG_R12, UC_ARM_REG_LR};
    uint32_t frame[8], sp, xpsr, control = 0;
    for (int i = 0; i < 6; i++)
        uc_reg_read(c->uc, regs[i], &frame[i]);
    uc_reg_read(c->uc, UC_ARM_REG_XPSR, &xpsr);
    uc_reg_read(c->uc, UC_ARM_REG_CONTROL, &control);
    uc_reg_read(c->uc, UC_ARM_REG_SP, &sp); /* the SP in use: PSP in thread mode with SPSEL */
    uint32_t ipsr = xpsr & 0x3Fu;
    int on_psp = ipsr == 0 && (control & 2u);
    frame[6] = ret_pc & ~1u;
    frame[7] = xpsr | (1u << 24);
    uint32_t nsp;
    if (push_frame(c, sp, frame, &nsp) < 0) {
        lockup(c, ret_pc,
               on_psp ? "exception stack push outside SRAM (bad PSP)"
                      : "exception stack push outside SRAM (bad MSP)");
        return -1;
    }
    uint32_t v;
    if (read_vector(c, exc, &v) < 0) {
        lockup(c, ret_pc, "vector fetch outside the memory at address 0");
        return -1;
    }
    watch_on_exception(c, exc, v);
    uint32_t exc_ret = ipsr     ? EXC_RETURN_HANDLER
                       : on_psp ? EXC_RETURN_THREAD_PSP
                                : EXC_RETURN_THREAD_MSP;
    uint32_t nx = (xpsr & 0xF0000000u) | (1u << 24) | (uint32_t)exc;
    uc_reg_write(c->uc, UC_ARM_REG_SP, &nsp);
    if (on_psp) {
        /* still in thread mode: clearing SPSEL banks PSP and puts MSP in r13 */
        uint32_t ctl = control & ~2u;
        uc_reg_write(c->uc, UC_ARM_REG_CONTROL, &ctl);
    }
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
    set_pc(c, v & ~1u);
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
    watch_on_fault(c, pc, why, addr, 0);
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
    if (watch_holds(c, e))
        return;
    if (exc_prio(c, e) < exc_exec_prio(c))
        exc_enter(c, e, pc);
}

static int active_count(const struct chip *c)
{
    int n = 0;
    for (int e = 2; e < EXC_COUNT; e++)
        n += c->nv.active[e] != 0;
    return n;
}

/* Why exc_ret may not return from exception cur now, or NULL (ARMv6-M ExceptionReturn()). */
static const char *exc_return_invalid(const struct chip *c, int cur, uint32_t exc_ret)
{
    if ((exc_ret & 0x0FFFFFF0u) != 0x0FFFFFF0u)
        return "invalid EXC_RETURN (bits 27:4 not all ones)";
    if (!c->nv.active[cur])
        return "exception return from an exception that is not active";
    int nested = active_count(c);
    switch (exc_ret & 0xFu) {
    case 0x1u:
        return nested > 1 ? NULL : "EXC_RETURN to handler mode with no other exception active";
    case 0x9u:
    case 0xDu:
        return nested == 1 ? NULL : "EXC_RETURN to thread mode with another exception active";
    default: return "invalid EXC_RETURN (bits 3:0 not 0001, 1001 or 1101)";
    }
}

void exc_return(struct chip *c, uint32_t exc_ret)
{
    uint32_t xpsr, sp;
    uc_reg_read(c->uc, UC_ARM_REG_XPSR, &xpsr);
    int cur = (int)(xpsr & 0x3Fu);
    if (cur == 0) {
        /* in thread mode 0xFxxxxxxx is an address, and execute-never */
        exc_fault(c, exc_ret, "EXC_RETURN branch in thread mode", exc_ret);
        return;
    }
    const char *bad = exc_return_invalid(c, cur, exc_ret);
    if (bad) {
        char why[160];
        snprintf(why, sizeof why, "%s, returning from exception %d", bad, cur);
        exc_fault(c, exc_ret, why, exc_ret);
        return;
    }
    int to_psp = (exc_ret & 0xFu) == 0xDu;
    uc_reg_read(c->uc, to_psp ? UC_ARM_REG_PSP : UC_ARM_REG_MSP, &sp);
    if (!stack_ok(c, sp, 32u)) {
        lockup(c, exc_ret,
               to_psp ? "exception return frame outside SRAM (bad PSP)"
                      : "exception return frame outside SRAM (bad MSP)");
        return;
    }
    uint32_t frame[8];
    memcpy(frame, c->sram + (sp - SRAM_BASE), 32);
    c->nv.active[cur] = 0;
    static const int regs[6] = {UC_ARM_REG_R0, UC_ARM_REG_R1,  UC_ARM_REG_R2,
                                UC_ARM_REG_R3, UC_ARM_REG_R12, UC_ARM_REG_LR};
    for (int i = 0; i < 6; i++)
        uc_reg_write(c->uc, regs[i], &frame[i]);
    sp += 32u + ((frame[7] & (1u << 9)) ? 4u : 0u);
    uint32_t nx = frame[7] & ~(1u << 9);
    if ((exc_ret & 0xFu) != 0x1u)
        nx &= ~0x3Fu; /* thread mode: IPSR 0 whatever the frame says */
    uc_reg_write(c->uc, UC_ARM_REG_XPSR, &nx);
    if (to_psp) {
        /* now in thread mode: setting SPSEL banks MSP and puts PSP in r13 */
        uint32_t ctl = 0;
        uc_reg_read(c->uc, UC_ARM_REG_CONTROL, &ctl);
        ctl |= 2u;
        uc_reg_write(c->uc, UC_ARM_REG_CONTROL, &ctl);
    }
    uc_reg_write(c->uc, UC_ARM_REG_SP, &sp);
    set_pc(c, frame[6] & ~1u);
    c->st.cycles += 16;
    c->now += 16ull * c->ps_per_cycle;
    c->pend_check = 1; /* tail-chaining: a pending exception may now run */
    chip_idle_reset(c);
    devices_levels(c); /* level-sensitive lines still asserted pend again */
    if (!(frame[7] & (1u << 24))) {
        /* EPSR.T clear in the frame: the first instruction after the return faults */
        c->fault_reason = "exception return to a frame with xPSR.T clear (INVSTATE)";
        c->fault_addr = frame[6];
    }
}
