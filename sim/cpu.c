/*
 * The CPU glue: the Cortex-M0 on Unicorn (cpu model, hooks), the run loop with its faults,
 * WFI and resets, and the reset sequence of the whole machine. Time advances per translated
 * block in the block hook (profile.c gives the block's cycles); exceptions are taken at
 * block boundaries (exc.c).
 */
#include <stdlib.h>
#include <string.h>

#include "dev/dev.h"
#include "machine.h"
#include "regs/rcc.h"
#include "watch.h"

#define BC_BITS 16u

static void hook_block(uc_engine *uc, uint64_t addr, uint32_t size, void *ud)
{
    struct chip *c = ud;
    (void)uc;
    if (c->stepping)
        return;
    if (c->inval_len && chip_in_inval(c, addr)) {
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
        chip_note_code_pages(c, addr, size);
    }
    if (c->fl.fix_n)
        flash_apply_fixups(c);
    if (c->prof)
        profile_hit(c, (uint32_t)addr, b->ninsn, b->cyc);
    uint32_t off;
    if (c->fl.busy && chip_flash_off(c, addr, &off))
        flash_stall(c); /* instruction fetch from flash waits for the operation */
    c->st.insns += b->ninsn;
    c->st.cycles += b->cyc;
    c->now += (uint64_t)b->cyc * c->ps_per_cycle;
    if (c->now >= c->next_event)
        chip_service(c);
    if (c->idle_skip && c->stop == STOP_NONE)
        chip_idle_skip(c);
    if (c->reset_req && c->stop == STOP_NONE) {
        uc_emu_stop(uc);
        return;
    }
    if (c->pend_check && c->stop == STOP_NONE)
        exc_try(c, (uint32_t)addr);
}

static void hook_intr(uc_engine *uc, uint32_t intno, void *ud)
{
    struct chip *c = ud;
    uint32_t pc = 0;
    uc_reg_read(uc, UC_ARM_REG_PC, &pc);
    switch (intno) {
    case 8: /* EXCP_EXCEPTION_EXIT */ exc_return(c, pc | 1u); break;
    case 2: { /* SVC: PC is already past the instruction */
        if (exc_prio(c, EXC_SVC) < exc_exec_prio(c))
            exc_enter(c, EXC_SVC, pc);
        else
            exc_fault(c, pc - 2u, "SVC with priority not above the current level", pc - 2u);
        break;
    }
    case 7: exc_fault(c, pc, "BKPT without a debugger", pc); break;
    case 1: exc_fault(c, pc, "undefined instruction", pc); break;
    default: exc_fault(c, pc, "CPU exception (Unicorn intno)", intno); break;
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
        if (addr >= OPTB_ADDR && addr < OPTB_ADDR + OB_SIZE)
            return ob_store(c, (uint32_t)addr, size, (uint32_t)value);
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

static void hook_break(uc_engine *uc, uint64_t addr, uint32_t size, void *ud)
{
    (void)uc;
    (void)size;
    struct chip *c = ud;
    chip_stop(c, STOP_BREAK, "breakpoint at 0x%08x", (uint32_t)addr);
    c->stop_pc = (uint32_t)addr;
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
    mem_sram_power_on(c);
    fill_sysmem(c);
    if ((e = uc_open(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS, &c->uc)) != UC_ERR_OK)
        goto fail;
    /* the CPU model must be chosen before any memory is mapped */
    if ((e = uc_ctl_set_cpu_model(c->uc, UC_CPU_ARM_CORTEX_M0)) != UC_ERR_OK)
        goto fail;
    if ((e = mem_map(c)) != UC_ERR_OK || (e = bus_map(c)) != UC_ERR_OK)
        goto fail;
    uc_hook h;
    if ((e = uc_hook_add(c->uc, &h, UC_HOOK_BLOCK, (void *)hook_block, c, 1, 0)) != UC_ERR_OK)
        goto fail;
    if ((e = uc_hook_add(c->uc, &h, UC_HOOK_INTR, (void *)hook_intr, c, 1, 0)) != UC_ERR_OK)
        goto fail;
    if ((e = uc_hook_add(c->uc, &h, UC_HOOK_MEM_INVALID, (void *)hook_invalid, c, 1, 0)) !=
        UC_ERR_OK)
        goto fail;
    for (int i = 0; i < c->o.nbreak; i++) {
        if ((e = uc_hook_add(c->uc, &h, UC_HOOK_CODE, (void *)hook_break, c, c->o.breaks[i],
                             c->o.breaks[i])) != UC_ERR_OK)
            goto fail;
    }
    c->reset_flags = RCC_CSR_PORRSTF | RCC_CSR_PINRSTF;
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
    watch_on_reset(c);
    nvic_reset(c);
    c->in_wfi = 0;
    c->reset_req = 0;
    c->hclk = 0;
    chip_set_hclk(c, 8000000u); /* HSI after reset */
    /* F030xC empty check: an erased first flash word boots the ROM even with BOOT0 = 0 */
    uint32_t w0;
    memcpy(&w0, c->flash, 4);
    c->boot_rom_now = c->o.boot_rom || w0 == 0xFFFFFFFFu;
    if (c->boot_rom_now && !c->o.boot_rom)
        chip_logf(
            c,
            "flash word 0x08000000 is erased: the F030xC boots its ROM bootloader (empty check)");
    devices_reset(c); /* also sets SYSCFG MEM_MODE from BOOT0 */
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
    alias_target(c, &buf, &len);
    memcpy(&msp, buf, 4);
    memcpy(&rv, buf + 4, 4);
    msp &= ~3u;
    uc_reg_write(c->uc, UC_ARM_REG_MSP, &msp);
    uc_reg_write(c->uc, UC_ARM_REG_SP, &msp);
    uint32_t pc = rv & ~1u;
    {
        uint32_t pct = pc | 1u; /* Unicorn takes bit 0 as the Thumb state */
        uc_reg_write(c->uc, UC_ARM_REG_PC, &pct);
    }
    if (!(rv & 1u) && !c->boot_rom_now) {
        c->fault_reason = "reset vector without Thumb bit (erased flash?)";
        c->fault_addr = rv;
    }
    c->pend_check = 0;
    c->rom.running = 0;
    if (c->boot_rom_now)
        rom_start(c);
    chip_reschedule(c);
}

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
        uint8_t h[2] = {0, 0};
        uc_mem_read(c->uc, pc, h, 2);
        uint32_t len = (h[1] >> 3) >= 0x1Du ? 4u : 2u; /* 32-bit Thumb-2 encodings */
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

static uint32_t half_at(struct chip *c, uint32_t addr)
{
    uint8_t b[2];
    if (uc_mem_read(c->uc, addr, b, 2) != UC_ERR_OK)
        return 0;
    return (uint32_t)b[0] | ((uint32_t)b[1] << 8);
}

#define T_WFI   0xBF30u
#define T_WFE   0xBF20u
#define T_YIELD 0xBF10u

/* Unicorn stops after WFE and YIELD (QEMU yields to its main loop) with "invalid
 * instruction", PC past the hint. Told apart from a real undefined instruction at PC (which
 * stops with PC on it) by the hint before PC and no UDF at PC. */
static int is_hint_stop(struct chip *c, uint32_t pc)
{
    uint32_t h = half_at(c, pc - 2u);
    return (h == T_WFE || h == T_YIELD) && (half_at(c, pc) & 0xFF00u) != 0xDE00u;
}

/* A WFI that did not sleep (an interrupt pending that PRIMASK or the priority keeps out:
 * it wakes WFI but is not taken), a WFE or YIELD (which may complete at once: with no
 * other core, nothing else signals an event): the loop around it spins as on the chip.
 * Each is noted as an idle poll of its own address, so a loop doing nothing else moves time
 * to the next event after a few turns (machine.c, idle polling), as fast as a sleep. */
static void spin_note(struct chip *c, uint32_t pc)
{
    chip_read_note(c, pc, 0);
    if (c->idle_skip && c->stop == STOP_NONE)
        chip_idle_skip(c);
}

/* CPU asleep (WFI): move virtual time to the next event that could wake it. */
static void sleep_until_event(struct chip *c)
{
    for (;;) {
        if (c->stop != STOP_NONE || c->reset_req)
            return;
        /* any pending exception wakes WFI, even if PRIMASK masks it */
        for (int e = 2; e < EXC_COUNT; e++)
            if ((e < EXC_IRQ0 || (c->nv.iser & (1u << (e - EXC_IRQ0)))) && c->nv.pending[e] &&
                !watch_holds(c, e))
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

/* WFI: sleep until an event that can wake the CPU; one that cannot sleep spins. */
static void wfi(struct chip *c, uint32_t pc)
{
    uint64_t t0 = c->now;
    c->in_wfi = 1;
    sleep_until_event(c);
    c->in_wfi = 0;
    if (c->now == t0)
        spin_note(c, pc); /* did not sleep: something pending it cannot take */
}

/* Why uc_emu_start returned (e, PC pc): a hint (WFE, YIELD), a fault, WFI, a branch to 0. */
static void after_stop(struct chip *c, uc_err e, uint32_t pc)
{
    if (e == UC_ERR_INSN_INVALID && !c->fault_reason && is_hint_stop(c, pc)) {
        spin_note(c, pc);
        return;
    }
    if (e != UC_ERR_OK) {
        if (!c->fault_reason) {
            c->fault_reason = uc_strerror(e);
            c->fault_addr = pc;
        }
        return;
    }
    if (c->reset_req || c->fault_reason)
        return;
    if (half_at(c, pc - 2u) == T_WFI) {
        watch_on_wfi(c, pc - 2u);
        wfi(c, pc);
        return;
    }
    if (pc == 0) {
        c->fault_reason = "branch to address 0";
        c->fault_addr = 0;
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
            exc_fault(c, pc, why, c->fault_addr);
            continue;
        }
        if (c->rom.running) {
            /* the ROM model runs on the host: only time and the line move */
            chip_reschedule(c);
            if (c->next_event > c->now)
                c->now = c->next_event;
            chip_service(c);
            continue;
        }
        chip_flush_invalidations(c);
        uint32_t pc = 0;
        uc_reg_read(c->uc, UC_ARM_REG_PC, &pc);
        if (c->pend_check) {
            exc_try(c, pc);
            uc_reg_read(c->uc, UC_ARM_REG_PC, &pc);
            if (c->stop != STOP_NONE)
                break;
        }
        uc_err e = uc_emu_start(c->uc, pc | 1u, 0, 0, 0);
        flash_apply_fixups(c); /* a store let through by the WRITE_PROT hook */
        if (c->stop != STOP_NONE)
            break;
        uc_reg_read(c->uc, UC_ARM_REG_PC, &pc);
        after_stop(c, e, pc);
    }
    return 0;
}
