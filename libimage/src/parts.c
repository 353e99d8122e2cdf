/* The part table, from include/f0boot/parts.def, and the layout derived from it. */
#include <strings.h>

#include "f0boot/image.h"
#include "f0boot/layout.h"

static const struct f0b_part parts[] = {
#define F0B_PART(code, name, chip, flash_kb, page, sram_kb, vt) \
    {code, name, chip, flash_kb, page, sram_kb, vt},
#include "f0boot/parts.def"
#undef F0B_PART
};

#define NPARTS (sizeof parts / sizeof parts[0])

const struct f0b_part *f0b_part_by_name(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < NPARTS; i++)
        if (strcasecmp(parts[i].name, name) == 0)
            return &parts[i];
    return NULL;
}

const struct f0b_part *f0b_part_by_code(uint16_t code)
{
    for (size_t i = 0; i < NPARTS; i++)
        if (parts[i].code == code)
            return &parts[i];
    return NULL;
}

size_t f0b_part_count(void) { return NPARTS; }

const struct f0b_part *f0b_part_at(size_t i) { return i < NPARTS ? &parts[i] : NULL; }

uint32_t f0b_part_app_start(const struct f0b_part *p)
{
    (void)p;
    return F0B_APP_START;
}

uint32_t f0b_part_app_size(const struct f0b_part *p) { return F0B_APP_SIZE(p->flash_kb, p->page); }

uint32_t f0b_part_record_addr(const struct f0b_part *p)
{
    return F0B_RECORD_ADDR(p->flash_kb, p->page);
}

uint32_t f0b_part_sram_end(const struct f0b_part *p) { return F0B_SRAM_END(p->sram_kb); }

int f0b_is_app_start(uint32_t addr)
{
    uint32_t off = addr - F0B_FLASH_BASE;
    return addr > F0B_FLASH_BASE && off >= F0B_BOOT_SIZE_MIN && off <= F0B_BOOT_SIZE_MAX &&
           off % F0B_BOOT_SIZE_STEP == 0;
}
