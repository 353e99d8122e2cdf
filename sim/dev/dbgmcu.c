/*
 * DBGMCU (RM0360 section 24.9): IDCODE (DEV_ID of the part, REV_ID 0x1000) and the freeze
 * registers, stored.
 */
#include "../machine.h"
#include "dev.h"
#include "regs/dbgmcu.h"

static uint64_t dbgmcu_read(struct chip *c, uint32_t r)
{
    switch (r) {
    case DBGMCU_IDCODE_OFF: return ((uint32_t)0x1000u << 16) | c->o.part->chip_id;
    case DBGMCU_CR_OFF: return c->dbg.cr;
    case DBGMCU_APB1FZ_OFF: return c->dbg.apb1;
    case DBGMCU_APB2FZ_OFF: return c->dbg.apb2;
    default: return DEV_NONE;
    }
}

static void dbgmcu_write(struct chip *c, uint32_t off, uint32_t v, unsigned size)
{
    (void)size;
    switch (off & ~3u) {
    case DBGMCU_CR_OFF: c->dbg.cr = v; break;
    case DBGMCU_APB1FZ_OFF: c->dbg.apb1 = v; break;
    case DBGMCU_APB2FZ_OFF: c->dbg.apb2 = v; break;
    default: chip_unmodelled(c, DBGMCU_BASE_R + off, 1, v); break;
    }
}

static void dbgmcu_reset(struct chip *c) { c->dbg.cr = c->dbg.apb1 = c->dbg.apb2 = 0; }

const struct dev_ops dev_dbgmcu = {
    .name = "DBGMCU",
    .base = DBGMCU_BASE_R,
    .size = 0x400u,
    .read = dbgmcu_read,
    .write = dbgmcu_write,
    .reset = dbgmcu_reset,
};
