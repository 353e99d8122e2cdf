/* The option bytes (dev/optbytes.c): their 16 bytes at 0x1FFFF800, erase and program through
 * the FLASH interface, the load into FLASH_OBR, and what read-out protection closes. */
#ifndef F0SIM_DEV_OPTBYTES_H
#define F0SIM_DEV_OPTBYTES_H

#include <stdbool.h>
#include <stdint.h>

struct chip;

#define OB_SIZE 16u

struct ob_state {
    uint8_t b[OB_SIZE]; /* RDP nRDP USER nUSER DATA0 nDATA0 DATA1 nDATA1 WRP0..3 + n */
    const char *path;   /* where they persist between runs (FLASH.ob), NULL: nowhere */
    int level;          /* RDP level loaded at the last reset / OBL_LAUNCH: 0, 1, 2 */
    int fix;            /* a store let through the WRITE_PROT hook: put back fix_val */
    uint32_t fix_off;
    uint8_t fix_val[2];
};

/* The factory state (RDP level 0: 0xAA/0x55, everything else erased with its complement),
 * or the 16 bytes saved beside the flash file in path ("FLASH.ob") by an earlier run.
 * 0, or -1 with a message in err (a file of another size, unreadable). */
int ob_open(struct ob_state *ob, const char *path, char *err, size_t errlen);
/* The RDP level the bytes give (RM0360 section 4.1: 0xAA level 0, 0xCC level 2, anything
 * else level 1). */
int ob_rdp_level(const struct ob_state *ob);
/* At a reset or OBL_LAUNCH: the level and FLASH_OBR from the bytes, and their view at
 * 0x1FFFF800 in system memory. */
void ob_load(struct chip *c);
/* OPTER + STRT: all 16 bytes erased (0xFF). */
void ob_erase(struct chip *c);
/* A CPU store into the option bytes (the WRITE_PROT hook): with OPTPG and OPTWRE a
 * half-word programs one byte, the hardware writing its complement beside it; otherwise
 * a bus error. */
bool ob_store(struct chip *c, uint32_t addr, int size, uint32_t value);
/* Put back the cells a store let through the hook overwrote. */
void ob_apply_fixups(struct chip *c);
/* RDP level 1 -> 0, as the ROM's Readout Unprotect does it: the whole flash mass-erased,
 * the option bytes erased and RDP = 0xAA. */
void ob_regress(struct chip *c);

#endif
