/*
 * The memory map of the F030: flash (read-only to stores: a store reaches the flash model
 * through the WRITE_PROT hook), SRAM, system memory with the flash-size register, UID and
 * option bytes; the alias at address 0 that SYSCFG MEM_MODE switches; and the bookkeeping
 * that drops translated code when flash it came from changes. MMIO is mapped by bus_map()
 * (machine.c).
 */
#include <string.h>

#include "machine.h"

void alias_target(const struct chip *c, uint8_t **buf, uint32_t *len)
{
    switch (c->alias_mode) {
    case 3:
        *buf = c->sram;
        *len = c->o.part->sram_size;
        return;
    case 1:
        *buf = c->sysmem + (SYSMEM_BASE - SYSMEM_MAP);
        *len = SYSMEM_LEN - (SYSMEM_BASE - SYSMEM_MAP);
        return;
    default:
        *buf = c->flash;
        *len = c->o.part->flash_size;
        return;
    }
}

uc_err mem_map(struct chip *c)
{
    uc_err e;
    if ((e = uc_mem_map_ptr(c->uc, FLASH_BASE, c->o.part->flash_size, UC_PROT_READ | UC_PROT_EXEC,
                            c->flash)) != UC_ERR_OK)
        return e;
    if ((e = uc_mem_map_ptr(c->uc, SRAM_BASE, c->sram_map, UC_PROT_ALL, c->sram)) != UC_ERR_OK)
        return e;
    return uc_mem_map_ptr(c->uc, SYSMEM_MAP, SYSMEM_LEN, UC_PROT_READ | UC_PROT_EXEC, c->sysmem);
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
void chip_note_code_pages(struct chip *c, uint64_t addr, uint32_t size)
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
        return 1; /* not flash: be safe */
    for (uint64_t p = (addr - FLASH_BASE) >> 10;
         p <= ((uint64_t)addr + len - 1u - FLASH_BASE) >> 10; p++)
        if (p >= sizeof c->code_pages * 8u || (c->code_pages[p >> 3] & (1u << (p & 7u))))
            return 1;
    return 0;
}

/* Translated code for changed flash is dropped outside the CPU loop: removing it from
 * inside a memory hook crashes Unicorn 2.0.1, and stopping the CPU from an MMIO callback
 * restarts the current block (the erase would run again). So the range is noted, and the
 * block hook leaves the CPU loop before any block in it runs. */
void chip_invalidate_code(struct chip *c, uint32_t addr, uint32_t len)
{
    if (!has_run_code(c, addr, len))
        return; /* nothing translated from there: no stale code to drop */
    if (!c->inval_len) {
        c->inval_lo = addr;
        c->inval_len = len;
    } else {
        uint64_t lo = addr < c->inval_lo ? addr : c->inval_lo;
        uint64_t hi = (uint64_t)addr + len > (uint64_t)c->inval_lo + c->inval_len
                          ? (uint64_t)addr + len
                          : (uint64_t)c->inval_lo + c->inval_len;
        c->inval_lo = (uint32_t)lo;
        c->inval_len = (uint32_t)(hi - lo);
    }
    c->bc_gen++;
}

int chip_in_inval(const struct chip *c, uint64_t addr)
{
    uint64_t a = flash_abs(c, addr);
    return a >= c->inval_lo && a < (uint64_t)c->inval_lo + c->inval_len;
}

void chip_flush_invalidations(struct chip *c)
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
        mode = 0; /* MEM_MODE 10 = main flash as well (RM0360 SYSCFG_CFGR1) */
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

void fill_sysmem(struct chip *c)
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
    static const uint8_t uid[12] = {0x30, 0x00, 0x21, 0x00, 0x0D, 0x47,
                                    0x4D, 0x30, 0x39, 0x31, 0x38, 0x20};
    memcpy(s + (UID_ADDR - SYSMEM_MAP), uid, sizeof uid);
    /* option bytes: RDP level 0 (0xAA / complement 0x55), user and WRP bytes erased */
    static const uint8_t ob[16] = {0xAA, 0x55, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00,
                                   0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00};
    memcpy(s + (OPTB_ADDR - SYSMEM_MAP), ob, sizeof ob);
}

void mem_sram_power_on(struct chip *c)
{
    if (c->o.sram_random) {
        /* its own stream of the seed, so the noise and torn writes stay as they were */
        uint64_t keep = c->rng;
        c->rng = c->o.seed ^ 0x5EED5A11C0FFEEull;
        for (uint32_t i = 0; i < c->sram_map; i += 8u) {
            uint64_t r = chip_rand(c);
            memcpy(c->sram + i, &r, 8);
        }
        c->rng = keep;
    }
    for (int i = 0; i < c->o.nsram_words; i++)
        memcpy(c->sram + (c->o.sram_words[i].addr - SRAM_BASE), &c->o.sram_words[i].val, 4);
}
