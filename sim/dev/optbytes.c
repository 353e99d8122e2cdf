/*
 * The option bytes (RM0360 section 4): 16 bytes at 0x1FFFF800, each followed by its
 * complement, erased and programmed through the FLASH interface (OPTKEYR unlocks OPTWRE,
 * OPTER + STRT erases them all, OPTPG makes a half-word store program one byte), loaded into
 * FLASH_OBR at a reset or by OBL_LAUNCH. Read-out protection: RDP 0xAA is level 0, 0xCC
 * level 2, any other value (0xFF after an erase) level 1. At level 1 the model closes what a
 * debugger or the ROM bootloader would reach (the ROM answers NACK to Read/Write Memory and
 * Go, f0sim refuses --load, the debugger's way into flash); Readout Unprotect regresses to
 * level 0 by erasing the whole flash. The bytes persist beside the flash file (FLASH.ob).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../machine.h"
#include "regs/flash.h"

static const uint8_t factory[OB_SIZE] = {0xAA, 0x55, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00,
                                         0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00};

int ob_open(struct ob_state *ob, const char *path, char *err, size_t errlen)
{
    memset(ob, 0, sizeof *ob);
    memcpy(ob->b, factory, OB_SIZE);
    ob->path = path;
    if (!path)
        return 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? 0 : (snprintf(err, errlen, "%s: %s", path, strerror(errno)), -1);
    size_t n = fread(ob->b, 1, OB_SIZE, f);
    int extra = fgetc(f) != EOF;
    fclose(f);
    if (n != OB_SIZE || extra) {
        snprintf(err, errlen,
                 "%s: not the %u option bytes an earlier run saved; remove it to "
                 "start from the factory option bytes",
                 path, OB_SIZE);
        return -1;
    }
    ob->level = ob_rdp_level(ob);
    return 0;
}

int ob_rdp_level(const struct ob_state *ob)
{
    return ob->b[0] == 0xAAu ? 0 : ob->b[0] == 0xCCu ? 2 : 1;
}

static void ob_save(struct chip *c)
{
    struct ob_state *ob = &c->ob;
    memcpy(c->sysmem + (OPTB_ADDR - SYSMEM_MAP), ob->b, OB_SIZE);
    if (!ob->path)
        return;
    FILE *f = fopen(ob->path, "wb");
    if (!f || fwrite(ob->b, 1, OB_SIZE, f) != OB_SIZE)
        chip_logf(c, "option bytes: cannot save %s: %s", ob->path, strerror(errno));
    if (f)
        fclose(f);
}

void ob_load(struct chip *c)
{
    struct ob_state *ob = &c->ob;
    ob->level = ob_rdp_level(ob);
    /* FLASH_OBR: RDPRT[1:0] at bits 2:1 (00 level 0, 01 level 1, 11 level 2), the USER byte
     * at 15:8 and DATA0/DATA1 at 23:16 and 31:24 (RM0360 section 3.5.7). */
    c->fl.obr = (uint32_t)(ob->level == 0   ? 0u
                           : ob->level == 1 ? 1u
                                            : 3u)
                    << 1 |
                (uint32_t)ob->b[2] << 8 | (uint32_t)ob->b[4] << 16 | (uint32_t)ob->b[6] << 24;
    c->fl.wrpr = (uint32_t)ob->b[8] | (uint32_t)ob->b[10] << 8 | (uint32_t)ob->b[12] << 16 |
                 (uint32_t)ob->b[14] << 24;
    memcpy(c->sysmem + (OPTB_ADDR - SYSMEM_MAP), ob->b, OB_SIZE);
}

void ob_erase(struct chip *c)
{
    memset(c->ob.b, 0xFF, OB_SIZE);
    c->st.ob_erases++;
    ob_save(c);
    chip_logf(c, "option bytes erased: RDP 0xFF (read-out protection level 1 from the next "
                 "option-byte load)");
}

bool ob_store(struct chip *c, uint32_t addr, int size, uint32_t value)
{
    struct ob_state *ob = &c->ob;
    uint32_t off = addr - OPTB_ADDR;
    memcpy(ob->fix_val, c->sysmem + (OPTB_ADDR - SYSMEM_MAP) + (off & ~1u), 2);
    if (!(c->fl.cr & FLASH_CR_OPTPG) || !(c->fl.cr & FLASH_CR_OPTWRE) || size != 2 || (off & 1u)) {
        c->fault_reason = "store to the option bytes without OPTPG/OPTWRE, or not a "
                          "half-word (bus error)";
        c->fault_addr = addr;
        c->fault_pin = 1;
        return false;
    }
    /* the store goes through Unicorn after this hook; the fixup puts the real cells back */
    ob->fix = 1;
    ob->fix_off = off;
    if (ob->b[off] != 0xFFu || ob->b[off + 1] != 0xFFu) {
        c->fl.sr |= FLASH_SR_PGERR; /* only an erased byte programs */
        return true;
    }
    ob->b[off] = (uint8_t)value;
    ob->b[off + 1] = (uint8_t)~value; /* the complement is written by the hardware */
    memcpy(ob->fix_val, ob->b + off, 2);
    c->st.ob_programs++;
    ob_save(c);
    return true;
}

void ob_apply_fixups(struct chip *c)
{
    struct ob_state *ob = &c->ob;
    if (ob->fix) {
        memcpy(c->sysmem + (OPTB_ADDR - SYSMEM_MAP) + ob->fix_off, ob->fix_val, 2);
        ob->fix = 0;
    }
}

void ob_regress(struct chip *c)
{
    memset(c->flash, 0xFF, c->o.part->flash_size);
    chip_invalidate_code(c, FLASH_BASE, c->o.part->flash_size);
    c->st.mass_erases++;
    memset(c->ob.b, 0xFF, OB_SIZE);
    c->ob.b[0] = 0xAA;
    c->ob.b[1] = 0x55;
    ob_save(c);
    chip_logf(c, "read-out protection level 1 -> 0: flash mass-erased, RDP 0xAA");
}
