/*
 * SYSCFG (RM0360 section 9): CFGR1 with MEM_MODE (what address 0 aliases, switched at once)
 * and the USART1 DMA remap bits; EXTICR1-4 and CFGR2 are stored.
 */
#include <string.h>

#include "../machine.h"
#include "dev.h"
#include "regs/rcc.h"
#include "regs/syscfg.h"
#include "../watch.h"

void syscfg_mem_mode(struct chip *c, uint32_t mode)
{
    c->syscfg.cfgr1 = (c->syscfg.cfgr1 & ~SYSCFG_CFGR1_MEM_MODE_MASK) | mode;
    chip_remap(c, mode);
}

void syscfg_peripheral_reset(struct chip *c)
{
    syscfg_mem_mode(c, c->boot_rom_now ? SYSCFG_CFGR1_MEM_MODE_SYSMEM : 0u);
}

static uint64_t syscfg_read(struct chip *c, uint32_t r)
{
    if (r == SYSCFG_CFGR1_OFF)
        return c->syscfg.cfgr1;
    if (r >= SYSCFG_EXTICR1_OFF && r <= SYSCFG_CFGR2_OFF)
        return c->syscfg.regs[(r - SYSCFG_EXTICR1_OFF) / 4u];
    return DEV_NONE;
}

static void syscfg_write(struct chip *c, uint32_t off, uint32_t v, unsigned size)
{
    uint32_t r = off & ~3u;
    (void)size;
    if (r == SYSCFG_CFGR1_OFF) {
        watch_on_cfgr1(c, v);
        c->syscfg.cfgr1 = v & SYSCFG_CFGR1_WRITABLE;
        /* MEM_MODE switches what address 0 aliases, at once */
        chip_remap(c, v & SYSCFG_CFGR1_MEM_MODE_MASK);
    } else if (r >= SYSCFG_EXTICR1_OFF && r <= SYSCFG_CFGR2_OFF) {
        c->syscfg.regs[(r - SYSCFG_EXTICR1_OFF) / 4u] = v;
    } else {
        chip_unmodelled(c, SYSCFG_BASE_R + off, 1, v);
    }
}

static void syscfg_reset(struct chip *c)
{
    /* MEM_MODE from the BOOT pins; cpu.c maps address 0 to match after the reset */
    c->syscfg.cfgr1 = c->boot_rom_now ? SYSCFG_CFGR1_MEM_MODE_SYSMEM : 0u;
    memset(c->syscfg.regs, 0, sizeof c->syscfg.regs);
}

static int syscfg_clocked(const struct chip *c, uint32_t off)
{
    (void)off;
    return rcc_enabled(c, RCC_APB2ENR_OFF, RCC_APB2ENR_SYSCFGEN);
}

const struct dev_ops dev_syscfg = {
    .name = "SYSCFG",
    .base = SYSCFG_BASE_R,
    .size = 0x400u,
    .clocked = syscfg_clocked,
    .read = syscfg_read,
    .write = syscfg_write,
    .reset = syscfg_reset,
};
