/*
 * f0sim core: the Cortex-M0 on Unicorn, the memory map, the address-0 alias, the
 * exception model (NVIC, SysTick, SCB) and virtual time.
 *
 * Unicorn has no NVIC: exceptions are taken by hand at block boundaries (the block hook
 * pushes the 8-word frame and writes PC) and returned from in the interrupt hook (an
 * EXC_RETURN branch arrives there as EXCP_EXCEPTION_EXIT, intno 8). See
 * /work/shared/docs/emulation-notes.md for the measured facts this relies on.
 */
#include "sim.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define SCS_BASE 0xE000E000u
#define BC_BITS  16u

static int in_inval(const struct chip *c, uint64_t addr);

static const char *const stop_names[] = {
    "none", "time", "uart", "resets", "break", "hardfault", "lockup", "power-cut",
    "sleep-forever", "signal", "host-eof", "error"
};

const char *stop_reason_name(enum stop_reason r)
{
    return (unsigned)r < sizeof stop_names / sizeof stop_names[0] ? stop_names[r] : "?";
}

void chip_logf(struct chip *c, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->log)
        c->log(c, msg);
}

void chip_stop(struct chip *c, enum stop_reason r, const char *fmt, ...)
{
    if (c->stop != STOP_NONE)
        return;
    c->stop = r;
    uint32_t pc = 0;
    uc_reg_read(c->uc, UC_ARM_REG_PC, &pc);
    c->stop_pc = pc;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->stop_detail, sizeof c->stop_detail, fmt, ap);
    va_end(ap);
    uc_emu_stop(c->uc);
}

uint64_t chip_rand(struct chip *c)
{
    /* splitmix64: deterministic for a given --seed */
    uint64_t z = (c->rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

int chip_line_noise(struct chip *c, uint8_t *b)
{
    /* a uniform draw in [0, 1) from the top 53 bits */
    if (c->o.noise_rate <= 0.0 ||
        (double)(chip_rand(c) >> 11) * (1.0 / 9007199254740992.0) >= c->o.noise_rate)
        return 0;
    if (chip_rand(c) & 1u) {
        c->st.noise_drops++;
        return -1;
    }
    *b ^= (uint8_t)(1u << (chip_rand(c) & 7u));
    c->st.noise_flips++;
    return 1;
}

/* ---- time ---------------------------------------------------------------------------- */

void chip_reschedule(struct chip *c)
{
    uint64_t t = c->next_poll;
    uint64_t p = periph_next_event(c);
    if (p < t)
        t = p;
    if (c->st_zero < t)
        t = c->st_zero;
    if (c->host) {
        uint64_t h = host_next_event(c->host);
        if (h < t)
            t = h;
    }
    if (c->o.until_ps && c->o.until_ps < t)
        t = c->o.until_ps;
    if (c->o.power_cut_ps && !c->power_cut_done && c->o.power_cut_ps < t)
        t = c->o.power_cut_ps;
    c->next_event = t;
}

static uint64_t st_tick(const struct chip *c)
{
    /* SysTick counts HCLK (CLKSOURCE = 1) or HCLK/8 (the STM32 external reference) */
    return (uint64_t)c->ps_per_cycle * ((c->st_csr & 4u) ? 1u : 8u);
}

static uint32_t st_current(const struct chip *c)
{
    if (c->st_zero == T_NEVER || c->now >= c->st_zero)
        return 0;
    uint64_t ticks = (c->st_zero - c->now + c->st_tick_ps - 1) / c->st_tick_ps;
    return ticks > c->st_rvr ? c->st_rvr : (uint32_t)ticks;
}

void chip_set_hclk(struct chip *c, uint32_t hz)
{
    if (hz == c->hclk)
        return;
    uint32_t cur = st_current(c);
    c->hclk = hz;
    c->ps_per_cycle = (uint32_t)((1000000000000ull + hz / 2) / hz);
    /* rebase the SysTick counter on the new clock */
    c->st_tick_ps = st_tick(c);
    if (c->st_zero != T_NEVER)
        c->st_zero = c->now + (uint64_t)(cur ? cur : c->st_rvr + 1u) * c->st_tick_ps;
    chip_reschedule(c);
}

static void systick_service(struct chip *c)
{
    if (c->st_zero == T_NEVER || c->now < c->st_zero)
        return;
    uint64_t period = (uint64_t)(c->st_rvr + 1u) * c->st_tick_ps;
    if (c->st_rvr == 0) {
        /* RVR = 0: the counter stops at 0 after the next wrap */
        c->st_zero = T_NEVER;
    } else {
        uint64_t n = (c->now - c->st_zero) / period + 1u;
        c->st_zero += n * period;
    }
    c->st_csr |= 1u << 16;                 /* COUNTFLAG */
    if (c->st_csr & 2u)                    /* TICKINT */
        chip_set_pending(c, EXC_SYSTICK);
}

void chip_service(struct chip *c)
{
    for (int guard = 0; guard < 64 && c->now >= c->next_event && c->stop == STOP_NONE; guard++) {
        if (c->o.power_cut_ps && !c->power_cut_done && c->now >= c->o.power_cut_ps) {
            if (flash_power_cut(c))
                return;
            c->power_cut_done = 1;
            c->now = c->o.power_cut_ps;   /* a block or a stall may have run past it */
            chip_stop(c, STOP_POWER_CUT, "power cut at %.3f ms", (double)c->now / PS_PER_MS);
            return;
        }
        periph_service(c);
        systick_service(c);
        if (c->host && c->now >= host_next_event(c->host))
            host_service(c->host, c->now);
        if (c->now >= c->next_poll) {
            extern void main_poll(struct chip *c);
            main_poll(c);
            c->next_poll = c->now + c->poll_step;
        }
        if (c->o.until_ps && c->now >= c->o.until_ps) {
            chip_stop(c, STOP_TIME, "time limit %.3f ms reached", (double)c->o.until_ps / PS_PER_MS);
            return;
        }
        chip_reschedule(c);
    }
}

/* ---- idle polling --------------------------------------------------------------------- */

#define IDLE_POLLS 8u               /* identical polls before time may skip */

static void idle_reset(struct chip *c)
{
    c->idle_n = 0;
    c->idle_reads = 0;
}

void chip_read_note(struct chip *c, uint32_t addr, uint32_t v)
{
    for (int i = 0; i < c->idle_n; i++) {
        if (c->idle_addr[i] == addr) {
            if (c->idle_val[i] != v) {
                idle_reset(c);
                return;
            }
            if (++c->idle_reads >= (int)IDLE_POLLS && !c->o.no_idle_skip)
                c->idle_skip = 1;
            return;
        }
    }
    if (c->idle_n == 4) {
        idle_reset(c);
        return;
    }
    c->idle_addr[c->idle_n] = addr;
    c->idle_val[c->idle_n++] = v;
}

void chip_write_note(struct chip *c, uint32_t addr, uint32_t v)
{
    /* an IWDG reload changes nothing the loop could be waiting for */
    if (addr == 0x40003000u && (v & 0xFFFFu) == 0xAAAAu)
        return;
    idle_reset(c);
}

/* The CPU has polled the same registers with the same results IDLE_POLLS times: nothing
 * it can see changes before the next event, so time moves there at once (at most 1 ms;
 * paced to the wall clock in realtime mode, where host input ends the wait). */
static void idle_skip(struct chip *c)
{
    extern uint64_t main_idle(struct chip *c, uint64_t target);
    c->idle_skip = 0;
    idle_reset(c);
    uint64_t t = c->now + c->idle_max_ps, p = periph_next_event(c);
    if (p < t) t = p;
    if (c->st_zero < t) t = c->st_zero;
    if (c->host && host_next_event(c->host) < t) t = host_next_event(c->host);
    if (c->o.until_ps && c->o.until_ps < t) t = c->o.until_ps;
    if (c->o.power_cut_ps && !c->power_cut_done && c->o.power_cut_ps < t) t = c->o.power_cut_ps;
    if (t <= c->now)
        return;
    t = main_idle(c, t);
    if (t <= c->now)
        return;
    c->st.cycles += (t - c->now) / c->ps_per_cycle;
    c->idle_skipped_ps += t - c->now;
    c->now = t;
    chip_reschedule(c);
    chip_service(c);
}

/* ---- exceptions ---------------------------------------------------------------------- */

static int exc_prio(const struct chip *c, int exc)
{
    if (exc == EXC_RESET) return -3;
    if (exc == EXC_NMI) return -2;
    if (exc == EXC_HARDFAULT) return -1;
    return c->prio[exc];
}

static int exec_prio(struct chip *c)
{
    int p = 256;
    for (int e = 2; e < EXC_COUNT; e++)
        if (c->active[e] && exc_prio(c, e) < p)
            p = exc_prio(c, e);
    uint32_t primask = 0;
    uc_reg_read(c->uc, UC_ARM_REG_PRIMASK, &primask);
    if ((primask & 1u) && p > 0)
        p = 0;
    return p;
}

/* Highest-priority pending exception that is enabled, or 0. */
static int pending_exc(const struct chip *c)
{
    int best = 0, bp = 1000;
    for (int e = 2; e < EXC_COUNT; e++) {
        if (!c->pending[e])
            continue;
        if (e >= EXC_IRQ0 && !(c->iser & (1u << (e - EXC_IRQ0))))
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
    c->pending[exc] = 1;
    c->pend_check = 1;
}

void chip_irq(struct chip *c, int irq)
{
    chip_set_pending(c, EXC_IRQ0 + irq);
}

static uint32_t alias_target(const struct chip *c, uint32_t addr, uint8_t **buf, uint32_t *len)
{
    switch (c->alias_mode) {
    case 3: *buf = c->sram; *len = c->o.part->sram_size; return addr;
    case 1: *buf = c->sysmem + (SYSMEM_BASE - SYSMEM_MAP); *len = SYSMEM_LEN - (SYSMEM_BASE - SYSMEM_MAP); return addr;
    default: *buf = c->flash; *len = c->o.part->flash_size; return addr;
    }
}

static int read_vector(struct chip *c, int exc, uint32_t *v)
{
    uint8_t *buf;
    uint32_t len;
    uint32_t off = alias_target(c, (uint32_t)exc * 4u, &buf, &len);
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
static int exc_enter(struct chip *c, int exc, uint32_t ret_pc)
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
    c->pending[exc] = 0;
    c->active[exc] = 1;
    idle_reset(c);
    c->st.irqs_taken++;
    c->st.cycles += 16;
    c->now += 16ull * c->ps_per_cycle;
    if (!(v & 1u)) {
        /* a vector without the Thumb bit faults on the first fetch */
        c->active[exc] = 0;
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

/* A fault at pc: report it; stop, or take HardFault (escalating to lockup). */
static void chip_fault(struct chip *c, uint32_t pc, const char *why, uint32_t addr)
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

static void try_exceptions(struct chip *c, uint32_t pc)
{
    int e = pending_exc(c);
    if (!e) {
        c->pend_check = 0;
        return;
    }
    if (exc_prio(c, e) < exec_prio(c))
        exc_enter(c, e, pc);
}

static void exc_return(struct chip *c, uint32_t exc_ret)
{
    uint32_t xpsr, sp;
    uc_reg_read(c->uc, UC_ARM_REG_XPSR, &xpsr);
    int cur = (int)(xpsr & 0x3Fu);
    if (cur == 0) {
        chip_fault(c, exc_ret, "EXC_RETURN branch in thread mode", exc_ret);
        return;
    }
    if ((exc_ret & 0xFu) == 0xCu || ((exc_ret | 1u) != 0xFFFFFFF1u && (exc_ret | 1u) != 0xFFFFFFF9u)) {
        chip_fault(c, exc_ret, "EXC_RETURN value not modelled (PSP or invalid)", exc_ret);
        return;
    }
    uc_reg_read(c->uc, UC_ARM_REG_SP, &sp);
    if (!stack_ok(c, sp, 32u)) {
        lockup(c, exc_ret, "exception return frame outside SRAM");
        return;
    }
    uint32_t frame[8];
    memcpy(frame, c->sram + (sp - SRAM_BASE), 32);
    c->active[cur] = 0;
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
    idle_reset(c);
    periph_levels(c);    /* level-sensitive lines still asserted pend again */
}

/* ---- hooks --------------------------------------------------------------------------- */

static uint32_t block_cycles(const uint8_t *code, uint32_t size, uint32_t *ninsn)
{
    uint32_t cyc = 0, n = 0;
    for (uint32_t i = 0; i + 1 < size + 1 && i < size; i += 2) {
        uint16_t h = (uint16_t)(code[i] | code[i + 1] << 8);
        n++;
        if ((h >> 11) >= 0x1Du) {            /* 32-bit: BL, MSR, MRS, barriers */
            cyc += 4;
            i += 2;
        } else if ((h >> 12) >= 5u && (h >> 12) <= 9u) {
            cyc += 2;                        /* load/store */
        } else if ((h >> 11) == 9u) {
            cyc += 2;                        /* LDR literal */
        } else if ((h & 0xF600u) == 0xB400u) {
            cyc += 1u + (uint32_t)__builtin_popcount(h & 0x1FFu) + ((h & 0x0100u) && (h & 0x0800u) ? 2u : 0u);
        } else if ((h >> 12) == 0xCu) {
            cyc += 1u + (uint32_t)__builtin_popcount(h & 0xFFu);
        } else if ((h >> 11) == 0x1Cu || (h & 0xFF00u) == 0x4700u) {
            cyc += 3;                        /* B, BX, BLX */
        } else if ((h >> 12) == 0xDu && (h >> 8) != 0xDFu) {
            cyc += 2;                        /* conditional branch: average of taken/not */
        } else {
            cyc += 1;
        }
    }
    *ninsn = n;
    return cyc;
}

int chip_flash_off(const struct chip *c, uint64_t addr, uint32_t *off)
{
    uint32_t size = c->o.part->flash_size;
    if (addr >= FLASH_BASE && addr < FLASH_BASE + size)
        *off = (uint32_t)(addr - FLASH_BASE);
    else if (c->alias_mode == 0 && addr < size)
        *off = (uint32_t)addr;
    else
        return 0;
    return 1;
}

/* A code address as its flash address when address 0 aliases the flash. */
static uint64_t flash_abs(const struct chip *c, uint64_t addr)
{
    uint32_t off;
    return chip_flash_off(c, addr, &off) ? FLASH_BASE + (uint64_t)off : addr;
}

/* Remember which flash pages hold code that has run (directly or through the alias). */
static void note_code_pages(struct chip *c, uint64_t addr, uint32_t size)
{
    uint32_t off;
    if (!chip_flash_off(c, addr, &off))
        return;
    for (uint64_t p = off >> 10; p <= ((uint64_t)off + size - 1u) >> 10; p++)
        if (p < sizeof c->code_pages * 8u)
            c->code_pages[p >> 3] |= (uint8_t)(1u << (p & 7u));
}

static int has_run_code(const struct chip *c, uint32_t addr, uint32_t len)
{
    if (addr < FLASH_BASE || len == 0)
        return 1;   /* not flash: be safe */
    for (uint64_t p = (addr - FLASH_BASE) >> 10; p <= ((uint64_t)addr + len - 1u - FLASH_BASE) >> 10; p++)
        if (p >= sizeof c->code_pages * 8u || (c->code_pages[p >> 3] & (1u << (p & 7u))))
            return 1;
    return 0;
}

/* ---- --profile ------------------------------------------------------------------------ */

#define PROF_SLOTS (1u << 16)

static void profile_hit(struct chip *c, uint32_t addr, uint32_t ninsn, uint32_t cyc)
{
    uint32_t i = (addr * 2654435761u) >> 16;
    for (uint32_t n = 0; n < PROF_SLOTS; n++, i = (i + 1u) & (PROF_SLOTS - 1u)) {
        struct prof_ent *e = &c->prof[i];
        if (e->runs && e->addr != addr)
            continue;
        e->addr = addr;
        e->ninsn = ninsn;
        e->runs++;
        e->insns += ninsn;
        e->cycles += cyc;
        c->prof_last = e;
        return;
    }
    c->prof_last = NULL;   /* table full: more distinct blocks than any F0 image has */
}

int chip_profile_enable(struct chip *c)
{
    c->prof = calloc(PROF_SLOTS, sizeof *c->prof);
    return c->prof ? 0 : -1;
}

static int prof_by_cost(const void *a, const void *b)
{
    const struct prof_ent *x = a, *y = b;
    uint64_t cx = x->cycles + x->stall, cy = y->cycles + y->stall;
    return cx < cy ? 1 : cx > cy ? -1 : (x->addr > y->addr) - (x->addr < y->addr);
}

/* One line per block, most expensive first: where the virtual time of a run went. */
int chip_profile_write(const struct chip *c, FILE *f)
{
    size_t n = 0;
    struct prof_ent *v = malloc(PROF_SLOTS * sizeof *v);
    if (!v)
        return -1;
    uint64_t total = 0, stall = 0;
    for (uint32_t i = 0; i < PROF_SLOTS; i++)
        if (c->prof[i].runs) {
            v[n++] = c->prof[i];
            total += c->prof[i].cycles;
            stall += c->prof[i].stall;
        }
    qsort(v, n, sizeof *v, prof_by_cost);
    fprintf(f, "# f0sim profile: %zu blocks, %llu cycles executing, %llu cycles stalled on flash, "
            "%llu cycles skipped idle (%u Hz)\n", n, (unsigned long long)total,
            (unsigned long long)stall,
            (unsigned long long)(c->idle_skipped_ps / (c->ps_per_cycle ? c->ps_per_cycle : 1u)),
            c->hclk);
    fprintf(f, "# block       runs        insns       cycles  flash-stall   share\n");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "0x%08x %10llu %12llu %12llu %12llu  %5.1f%%\n", v[i].addr,
                (unsigned long long)v[i].runs, (unsigned long long)v[i].insns,
                (unsigned long long)v[i].cycles, (unsigned long long)v[i].stall,
                total + stall ? 100.0 * (double)(v[i].cycles + v[i].stall) / (double)(total + stall) : 0.0);
    free(v);
    return ferror(f) ? -1 : 0;
}

static void hook_block(uc_engine *uc, uint64_t addr, uint32_t size, void *ud)
{
    struct chip *c = ud;
    (void)uc;
    if (c->stepping)
        return;
    if (c->inval_len && in_inval(c, addr)) {
        /* stale translation of changed flash: leave before the block runs (PC is then
         * this block; writing PC here would cancel the stop), drop it, come back */
        uc_emu_stop(uc);
        return;
    }
    struct bcost *b = &c->bc[(addr >> 1) & ((1u << BC_BITS) - 1u)];
    if (b->addr != (uint32_t)addr || b->size != size || b->gen != c->bc_gen) {
        uint8_t code[1024];
        uint32_t n = size < sizeof code ? size : (uint32_t)sizeof code, ni;
        if (uc_mem_read(c->uc, addr, code, n) != UC_ERR_OK)
            memset(code, 0, n);
        b->cyc = block_cycles(code, n, &ni);
        b->ninsn = (uint16_t)ni;
        b->addr = (uint32_t)addr;
        b->size = (uint16_t)size;
        b->gen = c->bc_gen;
        note_code_pages(c, addr, size);
    }
    if (c->fl.fix_n)
        flash_apply_fixups(c);
    if (c->prof)
        profile_hit(c, (uint32_t)addr, b->ninsn, b->cyc);
    uint32_t off;
    if (c->fl.busy && chip_flash_off(c, addr, &off))
        flash_stall(c);      /* instruction fetch from flash waits for the operation */
    c->st.insns += b->ninsn;
    c->st.cycles += b->cyc;
    c->now += (uint64_t)b->cyc * c->ps_per_cycle;
    if (c->now >= c->next_event)
        chip_service(c);
    if (c->idle_skip && c->stop == STOP_NONE)
        idle_skip(c);
    if (c->reset_req && c->stop == STOP_NONE) {
        uc_emu_stop(uc);
        return;
    }
    if (c->pend_check && c->stop == STOP_NONE)
        try_exceptions(c, (uint32_t)addr);
}

static void hook_intr(uc_engine *uc, uint32_t intno, void *ud)
{
    struct chip *c = ud;
    uint32_t pc = 0;
    uc_reg_read(uc, UC_ARM_REG_PC, &pc);
    switch (intno) {
    case 8:     /* EXCP_EXCEPTION_EXIT */
        exc_return(c, pc | 1u);
        break;
    case 2: {   /* SVC: PC is already past the instruction */
        if (exc_prio(c, EXC_SVC) < exec_prio(c))
            exc_enter(c, EXC_SVC, pc);
        else
            chip_fault(c, pc - 2u, "SVC with priority not above the current level", pc - 2u);
        break;
    }
    case 7:
        chip_fault(c, pc, "BKPT without a debugger", pc);
        break;
    case 1:
        chip_fault(c, pc, "undefined instruction", pc);
        break;
    default:
        chip_fault(c, pc, "CPU exception (Unicorn intno)", intno);
        break;
    }
}

static bool hook_invalid(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value,
                         void *ud)
{
    struct chip *c = ud;
    if (type == UC_MEM_WRITE_PROT) {
        uint32_t off;
        if (chip_flash_off(c, addr, &off))
            return flash_store_hook(c, off, size, (uint32_t)value);
        c->fault_reason = "write to read-only memory";
    } else if (type == UC_MEM_FETCH_UNMAPPED || type == UC_MEM_FETCH_PROT) {
        c->fault_reason = "instruction fetch from a non-executable address";
    } else if (type == UC_MEM_READ_UNMAPPED) {
        c->fault_reason = "read of an unmapped address";
    } else if (type == UC_MEM_WRITE_UNMAPPED) {
        c->fault_reason = "write to an unmapped address";
    } else {
        c->fault_reason = "memory access fault";
    }
    c->fault_addr = (uint32_t)addr;
    (void)uc;
    c->fault_pin = 1;
    return false;
}

/* ---- System Control Space ------------------------------------------------------------ */

static uint32_t icsr_read(struct chip *c)
{
    uint32_t xpsr = 0, v;
    uc_reg_read(c->uc, UC_ARM_REG_XPSR, &xpsr);
    v = xpsr & 0x3Fu;
    int p = pending_exc(c);
    v |= (uint32_t)p << 12;
    for (int e = EXC_IRQ0; e < EXC_COUNT; e++)
        if (c->pending[e])
            v |= 1u << 22;                   /* ISRPENDING */
    if (c->pending[EXC_PENDSV]) v |= 1u << 28;
    if (c->pending[EXC_SYSTICK]) v |= 1u << 26;
    return v;
}

static uint64_t scs_read(uc_engine *uc, uint64_t off, unsigned size, void *ud)
{
    struct chip *c = ud;
    (void)uc;
    uint32_t v = 0, w = (uint32_t)off & ~3u;
    switch (w) {
    case 0x010: v = c->st_csr; c->st_csr &= ~(1u << 16); break;   /* COUNTFLAG clears on read */
    case 0x014: v = c->st_rvr; break;
    case 0x018: v = st_current(c); break;
    case 0x01C: v = 0x80000000u | (c->hclk / 8u / 100u); break;  /* NOREF=... TENMS */
    case 0x100: v = c->iser; break;
    case 0x180: v = c->iser; break;
    case 0x200: case 0x280:
        for (int i = 0; i < 32; i++)
            if (c->pending[EXC_IRQ0 + i]) v |= 1u << i;
        break;
    case 0xD00: v = 0x410CC200u; break;       /* CPUID: Cortex-M0 r0p0 */
    case 0xD04: v = icsr_read(c); break;
    case 0xD0C: v = 0xFA050000u; break;       /* AIRCR: VECTKEYSTAT, little-endian */
    case 0xD10: v = c->scr; break;
    case 0xD14: v = 0x208u; break;            /* CCR: STKALIGN, UNALIGN_TRP (fixed on M0) */
    case 0xD1C: v = c->shpr2; break;
    case 0xD20: v = c->shpr3; break;
    default:
        if (w >= 0x400 && w < 0x420) {
            for (int i = 0; i < 4; i++)
                v |= (uint32_t)c->prio[EXC_IRQ0 + (w - 0x400) + i] << (8 * i);
            break;
        }
        chip_unmodelled(c, SCS_BASE + (uint32_t)off, 0, 0);
        return 0;
    }
    v = (v >> (8 * (off & 3u))) & (size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1u);
    if (w != 0x018)           /* SysTick CVR is a clock: reading it is not a change */
        chip_read_note(c, SCS_BASE + (uint32_t)off, v);
    return v;
}

static void st_restart(struct chip *c)
{
    c->st_tick_ps = st_tick(c);
    if (!(c->st_csr & 1u)) {
        c->st_zero = T_NEVER;
    } else {
        /* CVR is 0 after a write: it reloads from RVR on the next tick */
        c->st_zero = c->now + (uint64_t)(c->st_rvr + 1u) * c->st_tick_ps;
    }
    chip_reschedule(c);
}

static void scs_write(uc_engine *uc, uint64_t off, unsigned size, uint64_t val64, void *ud)
{
    struct chip *c = ud;
    (void)uc;
    uint32_t w = (uint32_t)off & ~3u;
    uint32_t v = (uint32_t)val64 << (8 * (off & 3u));
    (void)size;
    chip_write_note(c, SCS_BASE + (uint32_t)off, v);
    switch (w) {
    case 0x010: {
        uint32_t was = c->st_csr & 1u;
        c->st_csr = (c->st_csr & (1u << 16)) | (v & 7u);
        if ((v & 1u) && !was) {
            uint32_t cur = 0;
            c->st_tick_ps = st_tick(c);
            /* counting starts from the current CVR value (0 after a CVR write) */
            c->st_zero = c->now + (uint64_t)(cur ? cur : c->st_rvr + 1u) * c->st_tick_ps;
            chip_reschedule(c);
        } else if (!(v & 1u)) {
            c->st_zero = T_NEVER;
        } else {
            c->st_tick_ps = st_tick(c);
        }
        break;
    }
    case 0x014: c->st_rvr = v & 0xFFFFFFu; break;
    case 0x018: c->st_csr &= ~(1u << 16); st_restart(c); break;
    case 0x100: c->iser |= v; c->pend_check = 1; break;
    case 0x180: c->iser &= ~v; break;
    case 0x200:
        for (int i = 0; i < 32; i++)
            if (v & (1u << i)) chip_irq(c, i);
        break;
    case 0x280:
        for (int i = 0; i < 32; i++)
            if (v & (1u << i)) c->pending[EXC_IRQ0 + i] = 0;
        break;
    case 0xD04:
        if (v & (1u << 31)) chip_set_pending(c, EXC_NMI);
        if (v & (1u << 28)) chip_set_pending(c, EXC_PENDSV);
        if (v & (1u << 27)) c->pending[EXC_PENDSV] = 0;
        if (v & (1u << 26)) chip_set_pending(c, EXC_SYSTICK);
        if (v & (1u << 25)) c->pending[EXC_SYSTICK] = 0;
        break;
    case 0xD0C:
        if ((v >> 16) == 0x05FAu && (v & 4u)) {
            /* SYSRESETREQ: a system reset of the whole chip; SRAM keeps its content */
            c->reset_req = 1;
            c->reset_flags = (1u << 28) | (1u << 26);   /* SFTRSTF | PINRSTF */
            uc_emu_stop(c->uc);
        }
        break;
    case 0xD10: c->scr = v & 0x16u; break;
    case 0xD1C: c->shpr2 = v & 0xC0000000u; c->prio[EXC_SVC] = (uint8_t)(c->shpr2 >> 24); break;
    case 0xD20:
        c->shpr3 = v & 0xC0C00000u;
        c->prio[EXC_PENDSV] = (uint8_t)(c->shpr3 >> 16);
        c->prio[EXC_SYSTICK] = (uint8_t)(c->shpr3 >> 24);
        break;
    default:
        if (w >= 0x400 && w < 0x420) {
            /* IPR: only bits 7:6 of each byte exist on the M0 */
            for (int i = 0; i < 4; i++)
                if (size >= 4 || (unsigned)i == (off & 3u))
                    c->prio[EXC_IRQ0 + (w - 0x400) + i] = (uint8_t)((v >> (8 * i)) & 0xC0u);
            break;
        }
        chip_unmodelled(c, SCS_BASE + (uint32_t)off, 1, v);
        return;
    }
    c->pend_check = 1;
}

void chip_unmodelled(struct chip *c, uint32_t addr, int write, uint32_t val)
{
    c->st.unmodelled++;
    for (int i = 0; i < c->nseen; i++)
        if (c->seen[i] == addr)
            return;
    if (c->nseen < (int)(sizeof c->seen / sizeof c->seen[0]))
        c->seen[c->nseen++] = addr;
    uint32_t pc = 0;
    uc_reg_read(c->uc, UC_ARM_REG_PC, &pc);
    if (write)
        chip_logf(c, "unmodelled register write 0x%08x <- 0x%08x (PC 0x%08x); ignored, logged once",
                  addr, val, pc);
    else
        chip_logf(c, "unmodelled register read 0x%08x (PC 0x%08x); reads 0, logged once", addr, pc);
    if (c->o.trace_unmodelled_stop)
        chip_stop(c, STOP_ERROR, "unmodelled register access 0x%08x (--strict)", addr);
}

/* ---- memory map ---------------------------------------------------------------------- */

/* Translated code for changed flash is dropped outside the CPU loop: removing it from
 * inside a memory hook crashes Unicorn 2.0.1, and stopping the CPU from an MMIO callback
 * restarts the current block (the erase would run again). So the range is noted, and the
 * block hook leaves the CPU loop before any block in it runs. */
void chip_invalidate_code(struct chip *c, uint32_t addr, uint32_t len)
{
    if (!has_run_code(c, addr, len))
        return;     /* nothing translated from there: no stale code to drop */
    if (!c->inval_len) {
        c->inval_lo = addr;
        c->inval_len = len;
    } else {
        uint64_t lo = addr < c->inval_lo ? addr : c->inval_lo;
        uint64_t hi = (uint64_t)addr + len > (uint64_t)c->inval_lo + c->inval_len
                      ? (uint64_t)addr + len : (uint64_t)c->inval_lo + c->inval_len;
        c->inval_lo = (uint32_t)lo;
        c->inval_len = (uint32_t)(hi - lo);
    }
    c->bc_gen++;
}

static int in_inval(const struct chip *c, uint64_t addr)
{
    uint64_t a = flash_abs(c, addr);
    return a >= c->inval_lo && a < (uint64_t)c->inval_lo + c->inval_len;
}

static void flush_invalidations(struct chip *c)
{
    if (!c->inval_len)
        return;
    uint32_t addr = c->inval_lo, len = c->inval_len;
    uc_ctl_remove_cache(c->uc, addr, (uint64_t)addr + len);
    if (addr >= FLASH_BASE && addr < FLASH_BASE + c->o.part->flash_size)
        uc_ctl_remove_cache(c->uc, addr - FLASH_BASE, (uint64_t)(addr - FLASH_BASE) + len);
    c->inval_len = 0;
}

void chip_remap(struct chip *c, uint32_t mode)
{
    if (mode == 2)
        mode = 0;     /* MEM_MODE 10 = main flash as well (RM0360 SYSCFG_CFGR1) */
    if (c->alias_size && mode == c->alias_mode)
        return;
    if (c->alias_size) {
        uc_mem_unmap(c->uc, 0, c->alias_size);
        uc_ctl_remove_cache(c->uc, 0, c->alias_size);
    }
    uc_err e;
    if (mode == 3) {
        c->alias_size = c->sram_map;
        e = uc_mem_map_ptr(c->uc, 0, c->alias_size, UC_PROT_ALL, c->sram);
    } else if (mode == 1) {
        /* system memory at 0: the 4 KB-aligned window holds ROM from 0x800 on */
        c->alias_size = 0x2000u;
        e = uc_mem_map_ptr(c->uc, 0, c->alias_size, UC_PROT_READ | UC_PROT_EXEC,
                           c->sysmem + (SYSMEM_BASE - SYSMEM_MAP));
    } else {
        c->alias_size = c->o.part->flash_size;
        e = uc_mem_map_ptr(c->uc, 0, c->alias_size, UC_PROT_READ | UC_PROT_EXEC, c->flash);
    }
    if (e != UC_ERR_OK)
        chip_logf(c, "remap of address 0 failed: %s", uc_strerror(e));
    c->alias_mode = mode;
    c->bc_gen++;
}

static void fill_sysmem(struct chip *c)
{
    uint8_t *s = c->sysmem;
    memset(s, 0xFF, SYSMEM_LEN);
    uint8_t *rom = s + (SYSMEM_BASE - SYSMEM_MAP);
    /* A placeholder ROM: vector table (MSP, reset) and `b .`; --boot rom runs the
     * AN3155 model on the host instead of code here. */
    uint32_t msp = SRAM_BASE + 0x1000u, rst = SYSMEM_BASE + 0x101u;
    memcpy(rom, &msp, 4);
    memcpy(rom + 4, &rst, 4);
    rom[0x100] = 0xFE;
    rom[0x101] = 0xE7;
    uint16_t fsize = (uint16_t)(c->o.part->flash_size / 1024u);
    memcpy(s + (FSIZE_ADDR - SYSMEM_MAP), &fsize, 2);
    static const uint8_t uid[12] = { 0x30, 0x00, 0x21, 0x00, 0x0D, 0x47, 0x4D, 0x30,
                                     0x39, 0x31, 0x38, 0x20 };
    memcpy(s + (UID_ADDR - SYSMEM_MAP), uid, sizeof uid);
    /* option bytes: RDP level 0 (0xAA / complement 0x55), user and WRP bytes erased */
    static const uint8_t ob[16] = { 0xAA, 0x55, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00,
                                    0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00 };
    memcpy(s + (OPTB_ADDR - SYSMEM_MAP), ob, sizeof ob);
}

int chip_init(struct chip *c, uint8_t *flash_buf)
{
    uc_err e;
    c->flash = flash_buf;
    /* Unicorn maps in 4 KB units: a 6 KB SRAM (F070x6) is mapped as 8 KB */
    c->sram_map = (c->o.part->sram_size + 0xFFFu) & ~0xFFFu;
    c->sram = calloc(1, c->sram_map);
    c->sysmem = malloc(SYSMEM_LEN);
    c->bc = calloc(1u << BC_BITS, sizeof *c->bc);
    if (!c->sram || !c->sysmem || !c->bc)
        return -1;
    c->bc_gen = 1;
    c->rng = c->o.seed;
    fill_sysmem(c);
    if ((e = uc_open(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS, &c->uc)) != UC_ERR_OK)
        goto fail;
    /* the CPU model must be chosen before any memory is mapped */
    if ((e = uc_ctl_set_cpu_model(c->uc, UC_CPU_ARM_CORTEX_M0)) != UC_ERR_OK)
        goto fail;
    if ((e = uc_mem_map_ptr(c->uc, FLASH_BASE, c->o.part->flash_size,
                            UC_PROT_READ | UC_PROT_EXEC, c->flash)) != UC_ERR_OK)
        goto fail;
    if ((e = uc_mem_map_ptr(c->uc, SRAM_BASE, c->sram_map, UC_PROT_ALL, c->sram)) != UC_ERR_OK)
        goto fail;
    if ((e = uc_mem_map_ptr(c->uc, SYSMEM_MAP, SYSMEM_LEN, UC_PROT_READ | UC_PROT_EXEC, c->sysmem)) != UC_ERR_OK)
        goto fail;
    if ((e = uc_mmio_map(c->uc, 0x40000000u, 0x30000u, periph_read, c, periph_write, c)) != UC_ERR_OK)
        goto fail;
    if ((e = uc_mmio_map(c->uc, 0x48000000u, 0x2000u, gpio_read, c, gpio_write, c)) != UC_ERR_OK)
        goto fail;
    if ((e = uc_mmio_map(c->uc, SCS_BASE, 0x1000u, scs_read, c, scs_write, c)) != UC_ERR_OK)
        goto fail;
    uc_hook h;
    if ((e = uc_hook_add(c->uc, &h, UC_HOOK_BLOCK, (void *)hook_block, c, 1, 0)) != UC_ERR_OK)
        goto fail;
    if ((e = uc_hook_add(c->uc, &h, UC_HOOK_INTR, (void *)hook_intr, c, 1, 0)) != UC_ERR_OK)
        goto fail;
    if ((e = uc_hook_add(c->uc, &h, UC_HOOK_MEM_INVALID, (void *)hook_invalid, c, 1, 0)) != UC_ERR_OK)
        goto fail;
    for (int i = 0; i < c->o.nbreak; i++) {
        extern void main_break_hook(uc_engine *uc, uint64_t addr, uint32_t size, void *ud);
        if ((e = uc_hook_add(c->uc, &h, UC_HOOK_CODE, (void *)main_break_hook, c,
                             c->o.breaks[i], c->o.breaks[i])) != UC_ERR_OK)
            goto fail;
    }
    c->reset_flags = (1u << 27) | (1u << 26);   /* PORRSTF | PINRSTF */
    chip_reset(c);
    c->st.resets = 0;
    return 0;
fail:
    chip_logf(c, "Unicorn setup failed: %s", uc_strerror(e));
    return -1;
}

void chip_free(struct chip *c)
{
    if (c->uc)
        uc_close(c->uc);
    free(c->sram);
    free(c->sysmem);
    free(c->bc);
    free(c->prof);
    c->prof = NULL;
    c->uc = NULL;
    c->sram = c->sysmem = NULL;
    c->bc = NULL;
}

void chip_reset(struct chip *c)
{
    c->st.resets++;
    memset(c->pending, 0, sizeof c->pending);
    memset(c->active, 0, sizeof c->active);
    memset(c->prio, 0, sizeof c->prio);
    c->iser = 0;
    c->scr = c->shpr2 = c->shpr3 = 0;
    c->st_csr = 0;
    c->st_rvr = 0;
    c->st_zero = T_NEVER;
    c->in_wfi = 0;
    c->reset_req = 0;
    c->hclk = 0;
    chip_set_hclk(c, 8000000u);       /* HSI after reset */
    /* F030xC empty check: an erased first flash word boots the ROM even with BOOT0 = 0 */
    uint32_t w0;
    memcpy(&w0, c->flash, 4);
    c->boot_rom_now = c->o.boot_rom || w0 == 0xFFFFFFFFu;
    if (c->boot_rom_now && !c->o.boot_rom)
        chip_logf(c, "flash word 0x08000000 is erased: the F030xC boots its ROM bootloader (empty check)");
    periph_reset(c);                  /* also sets SYSCFG MEM_MODE from BOOT0 */
    chip_remap(c, c->boot_rom_now ? 1u : 0u);

    uint32_t regs0 = 0, lr = 0xFFFFFFFFu, xpsr = 1u << 24, msp, rv;
    for (int r = UC_ARM_REG_R0; r <= UC_ARM_REG_R12; r++)
        uc_reg_write(c->uc, r, &regs0);
    uc_reg_write(c->uc, UC_ARM_REG_PRIMASK, &regs0);
    uc_reg_write(c->uc, UC_ARM_REG_CONTROL, &regs0);
    uc_reg_write(c->uc, UC_ARM_REG_XPSR, &xpsr);
    uc_reg_write(c->uc, UC_ARM_REG_LR, &lr);
    /* MSP and PC come from the first two words at address 0, through the alias */
    uint8_t *buf;
    uint32_t len;
    alias_target(c, 0, &buf, &len);
    memcpy(&msp, buf, 4);
    memcpy(&rv, buf + 4, 4);
    msp &= ~3u;
    uc_reg_write(c->uc, UC_ARM_REG_MSP, &msp);
    uc_reg_write(c->uc, UC_ARM_REG_SP, &msp);
    uint32_t pc = rv & ~1u;
    {
        uint32_t pct = pc | 1u;   /* Unicorn takes bit 0 as the Thumb state */
        uc_reg_write(c->uc, UC_ARM_REG_PC, &pct);
    }
    if (!(rv & 1u) && !c->boot_rom_now) {
        c->fault_reason = "reset vector without Thumb bit (erased flash?)";
        c->fault_addr = rv;
    }
    c->pend_check = 0;
    c->rom_running = 0;
    if (c->boot_rom_now)
        rom_start(c);
    chip_reschedule(c);
}

/* ---- run loop ------------------------------------------------------------------------ */

/* Unicorn 2.0.1 reports a memory fault with PC (and registers) rewound to the start of the
 * translated block. Step from there one instruction at a time until the fault comes back:
 * then PC is the faulting instruction and the registers are those it saw. The instructions
 * before it in the block run a second time (their stores repeat with the same values). */
static uint32_t pin_fault(struct chip *c, uint32_t pc)
{
    const char *why = c->fault_reason;
    uint32_t addr = c->fault_addr;
    c->stepping = 1;
    for (int i = 0; i < 256; i++) {
        c->fault_reason = NULL;
        c->fault_pin = 0;
        uint8_t h[2] = { 0, 0 };
        uc_mem_read(c->uc, pc, h, 2);
        uint32_t len = (h[1] >> 3) >= 0x1Du ? 4u : 2u;    /* 32-bit Thumb-2 encodings */
        /* a cached block would run past `until`: translate this instruction afresh */
        uc_ctl_remove_cache(c->uc, pc, pc + len);
        uc_err e = uc_emu_start(c->uc, pc | 1u, pc + len, 0, 0);
        uint32_t npc = 0;
        uc_reg_read(c->uc, UC_ARM_REG_PC, &npc);
        if (c->fault_reason || e != UC_ERR_OK) {
            pc = npc;
            break;
        }
        pc = npc;
    }
    c->stepping = 0;
    c->fault_pin = 0;
    c->fault_reason = why;
    c->fault_addr = addr;
    return pc;
}

static int is_wfi_at(struct chip *c, uint32_t pc)
{
    uint8_t b[2];
    if (uc_mem_read(c->uc, pc - 2u, b, 2) != UC_ERR_OK)
        return 0;
    return b[0] == 0x30 && b[1] == 0xBF;
}

/* CPU asleep (WFI): move virtual time to the next event that could wake it. */
static void sleep_until_event(struct chip *c)
{
    for (;;) {
        if (c->stop != STOP_NONE || c->reset_req)
            return;
        /* any pending exception wakes WFI, even if PRIMASK masks it */
        for (int e = 2; e < EXC_COUNT; e++)
            if (c->pending[e] && (e < EXC_IRQ0 || (c->iser & (1u << (e - EXC_IRQ0)))))
                return;
        chip_reschedule(c);
        if (c->next_event == T_NEVER) {
            chip_stop(c, STOP_SLEEP_FOREVER, "WFI with nothing left that could wake the CPU");
            return;
        }
        if (c->next_event > c->now) {
            uint64_t dt = c->next_event - c->now;
            c->st.cycles += dt / c->ps_per_cycle;
            c->now = c->next_event;
        }
        chip_service(c);
    }
}

int chip_run(struct chip *c)
{
    while (c->stop == STOP_NONE) {
        if (c->reset_req) {
            uint32_t flags = c->reset_flags;
            c->reset_flags = flags;
            chip_reset(c);
            if (c->o.until_resets && c->st.resets >= c->o.until_resets) {
                chip_stop(c, STOP_RESETS, "%llu resets", (unsigned long long)c->st.resets);
                break;
            }
        }
        if (c->fault_reason) {
            uint32_t pc = 0;
            uc_reg_read(c->uc, UC_ARM_REG_PC, &pc);
            if (c->fault_pin)
                pc = pin_fault(c, pc);
            const char *why = c->fault_reason;
            c->fault_reason = NULL;
            chip_fault(c, pc, why, c->fault_addr);
            continue;
        }
        if (c->rom_running) {
            /* the ROM model runs on the host: only time and the line move */
            chip_reschedule(c);
            if (c->next_event > c->now)
                c->now = c->next_event;
            chip_service(c);
            continue;
        }
        flush_invalidations(c);
        uint32_t pc = 0;
        uc_reg_read(c->uc, UC_ARM_REG_PC, &pc);
        if (c->pend_check) {
            try_exceptions(c, pc);
            uc_reg_read(c->uc, UC_ARM_REG_PC, &pc);
            if (c->stop != STOP_NONE)
                break;
        }
        uc_err e = uc_emu_start(c->uc, pc | 1u, 0, 0, 0);
        flash_apply_fixups(c);   /* a store let through by the WRITE_PROT hook */
        if (c->stop != STOP_NONE)
            break;
        uc_reg_read(c->uc, UC_ARM_REG_PC, &pc);
        if (e != UC_ERR_OK) {
            if (!c->fault_reason) {
                c->fault_reason = uc_strerror(e);
                c->fault_addr = pc;
            }
            continue;
        }
        if (c->reset_req || c->fault_reason)
            continue;
        if (is_wfi_at(c, pc)) {
            c->in_wfi = 1;
            sleep_until_event(c);
            c->in_wfi = 0;
            continue;
        }
        if (pc == 0) {
            c->fault_reason = "branch to address 0";
            c->fault_addr = 0;
        }
    }
    return 0;
}
