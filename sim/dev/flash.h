/* The FLASH interface model (dev/flash.c): programming, erase, timing, power cuts. */
#ifndef F0SIM_DEV_FLASH_H
#define F0SIM_DEV_FLASH_H

#include <stdbool.h>
#include <stdint.h>
#include <unicorn/unicorn.h>

struct chip;

struct flash_ctl {
    uint32_t acr, sr, cr, ar, obr, wrpr;
    int key_stage; /* 0: nothing, 1: KEY1 seen */
    int key_dead;  /* wrong sequence: CR locked until reset */
    int opt_key_stage;
    int busy; /* operation in progress */
    uint64_t busy_until;
    int op_kind;      /* 1 program, 2 page erase, 3 mass erase */
    uint32_t op_addr; /* program: flash offset; erase: page offset */
    uint16_t op_value;
    uint64_t op_start;
    /* pending restore of a store that the WRITE_PROT hook let through */
    int fix_n;
    uint32_t fix_off[4];
    uint8_t fix_val[4];
    uc_hook read_hook;
    int read_hook_on;
};

/* A CPU store to flash (the WRITE_PROT hook): programs a half-word, or faults. */
bool flash_store_hook(struct chip *c, uint32_t off, int size, uint32_t value);
/* Put back the cells a store let through by the hook overwrote. */
void flash_apply_fixups(struct chip *c);
/* A CPU read or fetch of flash: wait until the running operation has finished. */
void flash_stall(struct chip *c);
/* --power-cut-ms reached: tear the running operation. 1 if it did (and stopped the chip). */
int flash_power_cut(struct chip *c);
/* Flash work of the ROM model (immediate content change): busy time in ns, -1 on failure. */
int64_t flash_rom_erase_page(struct chip *c, uint32_t page);
int64_t flash_rom_mass_erase(struct chip *c);
int64_t flash_rom_program(struct chip *c, uint32_t addr, const uint8_t *d, uint32_t len);
/* An option-byte erase or program (dev/optbytes.c) keeps the interface busy for dur ps. */
void flash_ob_busy(struct chip *c, uint64_t dur);

#endif
