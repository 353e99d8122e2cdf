/* The SYSCFG model (dev/syscfg.c): MEM_MODE (what address 0 aliases), DMA remaps. */
#ifndef F0SIM_DEV_SYSCFG_H
#define F0SIM_DEV_SYSCFG_H

#include <stdint.h>

struct chip;

struct syscfg_state {
    uint32_t cfgr1, regs[8];
};

/* Set SYSCFG_CFGR1.MEM_MODE and map that memory at address 0. */
void syscfg_mem_mode(struct chip *c, uint32_t mode);
/* RCC_APB2RSTR.SYSCFGRST: MEM_MODE back to what the BOOT pins select. */
void syscfg_peripheral_reset(struct chip *c);

#endif
