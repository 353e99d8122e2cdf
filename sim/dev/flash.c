/*
 * The FLASH interface (RM0360 section 3): unlock sequence, half-word programming, page and
 * mass erase with their busy times, PGERR/WRPRTERR/EOP, the CPU stalling on flash while BSY,
 * and power cuts that tear the running operation. The flash array itself is c->flash.
 */
#include <string.h>

#include "../machine.h"
#include "dev.h"
#include "regs/flash.h"
#include "regs/rcc.h"
#include "regs/scs.h"
#include "../watch.h"

static void flash_irq(struct chip *c)
{
    struct flash_ctl *f = &c->fl;
    if (((f->cr & FLASH_CR_EOPIE) && (f->sr & FLASH_SR_EOP)) ||
        ((f->cr & FLASH_CR_ERRIE) && (f->sr & (FLASH_SR_PGERR | FLASH_SR_WRPRTERR))))
        chip_irq(c, FLASH_IRQn);
}

static void flash_read_hook(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value,
                            void *ud)
{
    (void)uc;
    (void)type;
    (void)addr;
    (void)size;
    (void)value;
    struct chip *c = ud;
    if (c->fl.busy)
        flash_stall(c);
}

static void flash_read_hook_install(struct chip *c)
{
    struct flash_ctl *f = &c->fl;
    /* Data reads of flash wait while BSY. The read hook is installed once, at the first
     * operation, and stays: adding or deleting a hook makes Unicorn 2.0.1 flush every
     * translated block, which cost ~2 ms per half-word programmed (the bootloader ran at
     * 0.14x real time). The hook returns at once while the flash is idle. */
    if (!f->read_hook_on) {
        uc_hook_add(c->uc, &f->read_hook, UC_HOOK_MEM_READ, (void *)flash_read_hook, c, FLASH_BASE,
                    FLASH_BASE + c->o.part->flash_size - 1u);
        f->read_hook_on = 1;
    }
}

/* Start an operation; returns 1 if the power is cut at this one (the caller tears it). */
static int flash_op_start(struct chip *c, int kind, uint32_t off, uint64_t dur)
{
    struct flash_ctl *f = &c->fl;
    /* a loop that programs flash is working, not idle, however alike its status polls */
    chip_write_note(c, FLASH_BASE + off, 0);
    watch_on_flash_op(c, kind, off);
    c->flash_ops++;
    f->busy = 1;
    f->sr |= FLASH_SR_BSY;
    f->op_kind = kind;
    f->op_addr = off;
    f->op_start = c->now;
    f->busy_until = c->now + dur;
    flash_read_hook_install(c);
    chip_reschedule(c);
    return c->o.power_cut_op && c->flash_ops == c->o.power_cut_op;
}

/* Tear the running operation at fraction frac (0..1) of its duration and stop the chip.
 * Program: a seeded subset of the bits that were to go 1->0 is programmed.
 * Erase: the first frac of the page (whole 32-bit words) reads 0xFF, the rest is untouched. */
static void flash_tear(struct chip *c, double frac)
{
    struct flash_ctl *f = &c->fl;
    uint32_t psz = c->o.part->page_size;
    if (f->op_kind == 1) {
        uint16_t old, nv = f->op_value;
        memcpy(&old, c->flash + f->op_addr, 2);
        uint16_t clear = (uint16_t)(old & ~nv);
        uint16_t keep = (uint16_t)chip_rand(c);
        if ((clear & ~keep) == 0 && clear) /* make sure the result is really torn */
            keep = (uint16_t)(keep & ~(clear & (uint16_t)-clear));
        uint16_t res = (uint16_t)(old & ~(clear & keep));
        memcpy(c->flash + f->op_addr, &res, 2);
        chip_logf(c, "power cut during program of 0x%08x: wrote 0x%04x, cell holds 0x%04x",
                  FLASH_BASE + f->op_addr, nv, res);
    } else {
        uint32_t start = f->op_kind == 2 ? f->op_addr : 0;
        uint32_t len = f->op_kind == 2 ? psz : c->o.part->flash_size;
        uint32_t done = (uint32_t)(frac * (double)len) & ~3u;
        if (done == 0)
            done = 4;
        memset(c->flash + start, 0xFF, done);
        chip_invalidate_code(c, FLASH_BASE + start, len);
        chip_logf(c, "power cut during erase of 0x%08x: first %u of %u bytes erased",
                  FLASH_BASE + start, done, len);
    }
    c->power_cut_done = 1;
    if (c->o.power_cut_ps) {
        c->now = c->o.power_cut_ps;
        chip_stop(c, STOP_POWER_CUT,
                  "power cut at %.3f ms (during flash operation %llu, %s of 0x%08x)",
                  (double)c->now / PS_PER_MS, (unsigned long long)c->flash_ops,
                  f->op_kind == 1 ? "program" : "erase", FLASH_BASE + f->op_addr);
    } else {
        chip_stop(c, STOP_POWER_CUT, "power cut at flash operation %llu (%s of 0x%08x)",
                  (unsigned long long)c->flash_ops, f->op_kind == 1 ? "program" : "erase",
                  FLASH_BASE + f->op_addr);
    }
}

/* --power-cut-ms reached: tear the operation in progress, if any. Returns 1 if it did
 * (and stopped the chip). */
int flash_power_cut(struct chip *c)
{
    struct flash_ctl *f = &c->fl;
    /* an option-byte operation (kind 4) is not torn: not modelled, its change is done */
    if (!f->busy || f->op_kind == 4 || c->o.power_cut_ps < f->op_start)
        return 0;
    double frac = (double)(c->o.power_cut_ps - f->op_start) / (double)(f->busy_until - f->op_start);
    flash_tear(c, frac > 1.0 ? 1.0 : frac);
    return 1;
}

static void flash_finish(struct chip *c)
{
    struct flash_ctl *f = &c->fl;
    if (!f->busy || c->now < f->busy_until)
        return;
    if (c->o.power_cut_ps && !c->power_cut_done && c->o.power_cut_ps <= f->busy_until &&
        flash_power_cut(c))
        return;
    if (f->op_kind == 2) {
        memset(c->flash + f->op_addr, 0xFF, c->o.part->page_size);
        chip_invalidate_code(c, FLASH_BASE + f->op_addr, c->o.part->page_size);
    } else if (f->op_kind == 3) {
        memset(c->flash, 0xFF, c->o.part->flash_size);
        chip_invalidate_code(c, FLASH_BASE, c->o.part->flash_size);
    }
    f->busy = 0;
    f->sr = (f->sr & ~FLASH_SR_BSY) | FLASH_SR_EOP;
    flash_irq(c);
}

void flash_stall(struct chip *c)
{
    struct flash_ctl *f = &c->fl;
    if (!f->busy || c->stop != STOP_NONE)
        return;
    if (f->busy_until > c->now) {
        uint64_t dt = f->busy_until - c->now;
        c->st.cycles += dt / c->ps_per_cycle;
        if (c->prof_last)
            c->prof_last->stall += dt / c->ps_per_cycle;
        c->now = f->busy_until;
    }
    chip_reschedule(c);
    chip_service(c);
}

void flash_apply_fixups(struct chip *c)
{
    struct flash_ctl *f = &c->fl;
    for (int i = 0; i < f->fix_n; i++)
        c->flash[f->fix_off[i]] = f->fix_val[i];
    f->fix_n = 0;
    ob_apply_fixups(c);
}

static void fixup(struct chip *c, uint32_t off, const uint8_t *final, int n)
{
    struct flash_ctl *f = &c->fl;
    for (int i = 0; i < n && f->fix_n < 4; i++) {
        f->fix_off[f->fix_n] = off + (uint32_t)i;
        f->fix_val[f->fix_n] = final[i];
        f->fix_n++;
    }
}

/* Code running from flash cannot fetch its next instruction while BSY: it waits for the
 * whole operation right after starting it. Code in SRAM goes on. */
static void stall_if_flash_code(struct chip *c)
{
    uint32_t pc = 0, off;
    uc_reg_read(c->uc, UC_ARM_REG_PC, &pc);
    if (chip_flash_off(c, pc, &off))
        flash_stall(c);
}

void flash_ob_busy(struct chip *c, uint64_t dur)
{
    struct flash_ctl *f = &c->fl;
    f->busy = 1;
    f->sr |= FLASH_SR_BSY;
    f->op_kind = 4;
    f->op_start = c->now;
    f->busy_until = c->now + dur;
    flash_read_hook_install(c);
    chip_reschedule(c);
    stall_if_flash_code(c);
}

bool flash_store_hook(struct chip *c, uint32_t off, int size, uint32_t value)
{
    struct flash_ctl *f = &c->fl;
    uint8_t old[4];
    memcpy(old, c->flash + off, (size_t)size);
    if (!(f->cr & FLASH_CR_PG)) {
        c->fault_reason = "store to flash without FLASH_CR.PG (bus error)";
        c->fault_addr = FLASH_BASE + off;
        c->fault_pin = 1;
        return false;
    }
    if (size != 2 || (off & 1u)) {
        /* RM0360: only half-word writes program; other widths are a bus error */
        c->fault_reason = size != 2 ? "8/32-bit store to flash with FLASH_CR.PG (bus error)"
                                    : "unaligned half-word store to flash";
        c->fault_addr = FLASH_BASE + off;
        c->fault_pin = 1;
        return false;
    }
    if (f->busy)
        flash_stall(c); /* a second write waits for the first to finish */
    uint16_t cell, nv = (uint16_t)value;
    memcpy(&cell, c->flash + off, 2);
    /* the store goes through Unicorn after this hook; the fixup puts the real cell back */
    if (cell != 0xFFFFu && nv != 0x0000u) {
        f->sr |= FLASH_SR_PGERR;
        c->st.prog_errors++;
        fixup(c, off, old, 2);
        flash_irq(c);
        return true;
    }
    c->st.prog_ops++;
    f->op_value = nv;
    memcpy(c->flash + off, &nv, 2);
    uint8_t fin[2];
    memcpy(fin, &nv, 2);
    fixup(c, off, fin, 2);
    /* no translated code can exist in an erased cell: nothing to invalidate */
    if (flash_op_start(c, 1, off, c->o.prog_ps)) {
        memcpy(c->flash + off, old, 2);
        flash_tear(c, 0.5);
        memcpy(fin, c->flash + off, 2);
        f->fix_n = 0;
        fixup(c, off, fin, 2);
        return true;
    }
    stall_if_flash_code(c);
    return true;
}

static uint64_t flash_read(struct chip *c, uint32_t r)
{
    struct flash_ctl *f = &c->fl;
    switch (r) {
    case FLASH_ACR_OFF: /* PRFTBS follows PRFTBE */
        return (f->acr & 0x17u) | ((f->acr & FLASH_ACR_PRFTBE) ? FLASH_ACR_PRFTBS : 0u);
    case FLASH_SR_OFF: return f->sr;
    case FLASH_CR_OFF: return f->cr;
    case FLASH_AR_OFF: return f->ar;
    case FLASH_OBR_OFF: return f->obr;
    case FLASH_WRPR_OFF: return f->wrpr;
    case FLASH_KEYR_OFF:
    case FLASH_OPTKEYR_OFF: return 0;
    default: return DEV_NONE;
    }
}

/* KEYR: KEY1 then KEY2 unlocks FLASH_CR; anything else locks it until reset. */
static void flash_write_keyr(struct chip *c, uint32_t v)
{
    struct flash_ctl *f = &c->fl;
    if (f->key_dead || !(f->cr & FLASH_CR_LOCK))
        return;
    if (f->key_stage == 0 && v == FLASH_KEY1) {
        f->key_stage = 1;
    } else if (f->key_stage == 1 && v == FLASH_KEY2) {
        f->key_stage = 0;
        f->cr &= ~FLASH_CR_LOCK;
    } else {
        f->key_stage = 0;
        f->key_dead = 1;
        chip_logf(c, "FLASH_KEYR: wrong key sequence (0x%08x): FLASH_CR locked until reset", v);
    }
}

static void flash_write_optkeyr(struct chip *c, uint32_t v)
{
    struct flash_ctl *f = &c->fl;
    if (f->opt_key_stage == 0 && v == FLASH_KEY1) {
        f->opt_key_stage = 1;
    } else if (f->opt_key_stage == 1 && v == FLASH_KEY2) {
        f->opt_key_stage = 0;
        f->cr |= FLASH_CR_OPTWRE;
    } else {
        f->opt_key_stage = 0;
    }
}

/* FLASH_CR.STRT: a mass erase (MER), a page erase (PER) of the page FLASH_AR is in, or the
 * option bytes (OPTER, with OPTWRE). */
static void flash_start_erase(struct chip *c, uint32_t v)
{
    struct flash_ctl *f = &c->fl;
    if (v & FLASH_CR_OPTER) {
        if (f->cr & FLASH_CR_OPTWRE) {
            ob_erase(c);
            flash_ob_busy(c, c->o.erase_ps);
        } else {
            f->sr |= FLASH_SR_WRPRTERR;
            c->st.wrprt_errors++;
            flash_irq(c);
        }
    } else if (v & FLASH_CR_MER) {
        c->st.mass_erases++;
        if (flash_op_start(c, 3, 0, c->o.mass_erase_ps))
            flash_tear(c, 0.5);
        else
            stall_if_flash_code(c);
    } else if (v & FLASH_CR_PER) {
        uint32_t a = f->ar;
        if (a >= FLASH_BASE && a < FLASH_BASE + c->o.part->flash_size) {
            uint32_t off = (a - FLASH_BASE) & ~(c->o.part->page_size - 1u);
            c->st.page_erases++;
            if (flash_op_start(c, 2, off, c->o.erase_ps))
                flash_tear(c, 0.5);
            else
                stall_if_flash_code(c);
        } else {
            chip_logf(c, "FLASH page erase with FLASH_AR 0x%08x outside main flash: nothing erased",
                      a);
            f->sr |= FLASH_SR_WRPRTERR;
            c->st.wrprt_errors++;
            flash_irq(c);
        }
    }
}

static void flash_write_cr(struct chip *c, uint32_t v)
{
    struct flash_ctl *f = &c->fl;
    if (f->cr & FLASH_CR_LOCK) {
        chip_logf(c, "FLASH_CR write 0x%08x while locked: ignored", v);
        return;
    }
    f->cr = (v & (FLASH_CR_PG | FLASH_CR_PER | FLASH_CR_MER | FLASH_CR_OPTPG | FLASH_CR_OPTER |
                  FLASH_CR_LOCK | FLASH_CR_ERRIE | FLASH_CR_EOPIE)) |
            (f->cr & v & FLASH_CR_OPTWRE); /* OPTWRE: only cleared by writing 0 */
    if (v & FLASH_CR_LOCK)
        f->cr &= ~FLASH_CR_OPTWRE;
    if ((v & FLASH_CR_STRT) && !f->busy)
        flash_start_erase(c, v);
    if (v & FLASH_CR_OBL_LAUNCH) {
        /* reload the option bytes: a system reset (RM0360 section 3.5.5) */
        c->reset_req = 1;
        c->reset_flags = RCC_CSR_OBLRSTF;
        uc_emu_stop(c->uc);
    }
}

static void flash_write(struct chip *c, uint32_t off, uint32_t v, unsigned size)
{
    struct flash_ctl *f = &c->fl;
    (void)size;
    switch (off & ~3u) {
    case FLASH_ACR_OFF: f->acr = v & 0x17u; break;
    case FLASH_KEYR_OFF: flash_write_keyr(c, v); break;
    case FLASH_OPTKEYR_OFF: flash_write_optkeyr(c, v); break;
    case FLASH_SR_OFF: /* PGERR, WRPRTERR, EOP clear by writing 1 */
        f->sr &= ~(v & (FLASH_SR_PGERR | FLASH_SR_WRPRTERR | FLASH_SR_EOP));
        break;
    case FLASH_CR_OFF: flash_write_cr(c, v); break;
    case FLASH_AR_OFF: f->ar = v; break;
    default: chip_unmodelled(c, FLASH_BASE_R + off, 1, v); break;
    }
}


static void flash_reset(struct chip *c)
{
    /* a reset in the middle of a flash operation leaves it as far as it got */
    struct flash_ctl *f = &c->fl;
    flash_apply_fixups(c);
    uc_hook read_hook = f->read_hook; /* the installed read hook outlives resets */
    int read_hook_on = f->read_hook_on;
    memset(f, 0, sizeof *f);
    f->read_hook = read_hook;
    f->read_hook_on = read_hook_on;
    f->cr = FLASH_CR_LOCK;
    ob_load(c); /* FLASH_OBR, FLASH_WRPR from the option bytes */
}

static uint64_t flash_next_event(struct chip *c) { return c->fl.busy ? c->fl.busy_until : T_NEVER; }

const struct dev_ops dev_flash = {
    .name = "FLASH",
    .base = FLASH_BASE_R,
    .size = 0x400u,
    .read = flash_read,
    .write = flash_write,
    .reset = flash_reset,
    .next_event = flash_next_event,
    .service = flash_finish,
    .levels = flash_irq,
};

int64_t flash_rom_erase_page(struct chip *c, uint32_t page)
{
    uint32_t off = page * c->o.part->page_size;
    if (off >= c->o.part->flash_size)
        return -1;
    c->st.page_erases++;
    c->flash_ops++;
    if (c->o.power_cut_op && c->flash_ops == c->o.power_cut_op) {
        c->fl.op_kind = 2;
        c->fl.op_addr = off;
        flash_tear(c, 0.5);
        return -1;
    }
    memset(c->flash + off, 0xFF, c->o.part->page_size);
    chip_invalidate_code(c, FLASH_BASE + off, c->o.part->page_size);
    return (int64_t)(c->o.erase_ps / 1000u);
}

int64_t flash_rom_mass_erase(struct chip *c)
{
    c->st.mass_erases++;
    c->flash_ops++;
    if (c->o.power_cut_op && c->flash_ops == c->o.power_cut_op) {
        c->fl.op_kind = 3;
        c->fl.op_addr = 0;
        flash_tear(c, 0.5);
        return -1;
    }
    memset(c->flash, 0xFF, c->o.part->flash_size);
    chip_invalidate_code(c, FLASH_BASE, c->o.part->flash_size);
    return (int64_t)(c->o.mass_erase_ps / 1000u);
}

int64_t flash_rom_program(struct chip *c, uint32_t addr, const uint8_t *d, uint32_t len)
{
    if (addr >= SRAM_BASE && addr + len <= SRAM_BASE + c->o.part->sram_size) {
        memcpy(c->sram + (addr - SRAM_BASE), d, len);
        return 0;
    }
    if (addr < FLASH_BASE || addr + len > FLASH_BASE + c->o.part->flash_size)
        return -1;
    uint32_t off = addr - FLASH_BASE;
    int64_t ns = 0;
    /* the ROM programs half-words; an odd tail is padded with 0xFF */
    for (uint32_t i = 0; i < len; i += 2) {
        uint16_t nv = (uint16_t)(d[i] | (i + 1 < len ? d[i + 1] : 0xFFu) << 8), cell;
        memcpy(&cell, c->flash + off + i, 2);
        if (cell != 0xFFFFu && nv != 0x0000u) {
            c->st.prog_errors++;
            return -1;
        }
        if (nv == 0xFFFFu)
            continue; /* the ROM skips erased half-words (nothing to program) */
        c->st.prog_ops++;
        c->flash_ops++;
        if (c->o.power_cut_op && c->flash_ops == c->o.power_cut_op) {
            c->fl.op_kind = 1;
            c->fl.op_addr = off + i;
            c->fl.op_value = nv;
            flash_tear(c, 0.5);
            return -1;
        }
        memcpy(c->flash + off + i, &nv, 2);
        ns += (int64_t)(c->o.prog_ps / 1000u);
    }
    chip_invalidate_code(c, addr, len);
    return ns;
}
