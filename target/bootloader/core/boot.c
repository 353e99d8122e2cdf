/*
 * Boot decision and header validation: the part of the core that reads but never writes.
 * No registers here: flash is read through f0b_hal_flash_ptr() and checksummed through
 * f0b_hal_crc32(), so the same code runs on the STM32F0 and on the host against tests/fakes.
 *
 * Build option F0B_BOOT_CRC (default 0): when 1, f0b_app_state() also recomputes the
 * payload's crc32 and reports F0B_APP_BAD on a mismatch, so every boot re-checks the whole
 * image (estimated 8 cycles per word: about 65 ms for a full 250 KB image at the 8 MHz reset
 * clock the boot decision runs at, proportionally less for smaller images) instead of only the
 * header, the commit word and the first two vectors.
 */
#include "f0b_core.h"
#include "f0b_hal.h"
#include "f0boot/layout.h"
#include "f0boot/le.h"

#ifndef F0B_BOOT_CRC
#define F0B_BOOT_CRC 0
#endif
/* Header versions this build understands: 1 (plain) always; 2 (encrypted, format v2) too
 * when F0B_HDR_V2 is 1, as in the secure bootloader and the host tools. The plain bootloader
 * answers a v2 header with F0B_ST_HDR_VERSION: it has no key to decrypt it. */
#ifndef F0B_HDR_V2
#define F0B_HDR_V2 0
#endif

/* The host keeps every part of parts.def; the firmware (built with F0B_PART_CODE) keeps only
 * its own, as a constant layout computed at compile time, to save flash. */
#ifdef F0B_PART_CODE
#include "f0_part.h" /* this part's row of parts.def, as constants */

int f0b_layout_init(struct f0b_layout *l, uint16_t part)
{
    static const struct f0b_layout this_part = {
        .part = F0B_PART_CODE,
        .page_size = F0_PART_PAGE,
        .flash_size = F0_PART_FLASH_KB * 1024u,
        .app_start = F0B_APP_START,
        .app_size = F0B_APP_SIZE(F0_PART_FLASH_KB, F0_PART_PAGE),
        .record_addr = F0B_RECORD_ADDR(F0_PART_FLASH_KB, F0_PART_PAGE),
        .sram_start = F0B_SRAM_BASE,
        .sram_size = F0_PART_SRAM_KB * 1024u,
    };
    if (part != F0B_PART_CODE)
        return F0B_ST_HDR_PART;
    *l = this_part;
    return F0B_ST_OK;
}
#else
struct f0b_part_row {
    uint16_t code;
    uint16_t page;
    uint16_t flash_kb;
    uint16_t sram_kb;
};

#define F0B_PART(code, name, id, flash_kb, page, sram_kb, vt) {code, page, flash_kb, sram_kb},
static const struct f0b_part_row f0b_parts[] = {
#include "f0boot/parts.def"
};
#undef F0B_PART

int f0b_layout_init(struct f0b_layout *l, uint16_t part)
{
    for (unsigned i = 0; i < sizeof f0b_parts / sizeof f0b_parts[0]; i++) {
        const struct f0b_part_row *r = &f0b_parts[i];
        if (part == 0 || r->code != part)
            continue;
        l->part = part;
        l->page_size = r->page;
        l->flash_size = (uint32_t)r->flash_kb * 1024u;
        l->app_start = F0B_APP_START;
        l->record_addr = F0B_RECORD_ADDR(r->flash_kb, r->page);
        l->app_size = F0B_APP_SIZE(r->flash_kb, r->page);
        l->sram_start = F0B_SRAM_BASE;
        l->sram_size = (uint32_t)r->sram_kb * 1024u;
        return F0B_ST_OK;
    }
    return F0B_ST_HDR_PART;
}
#endif

/* Rules in the order a hostile header meets them; each has a test in tests/core. Fields
 * are read straight from the raw bytes (no struct on the stack: the F0 stack is small). */
int f0b_hdr_validate(const struct f0b_layout *l, const uint8_t raw[F0B_IMG_HDR_SIZE])
{
    if (f0b_get_le32(raw + F0B_IMG_OFF_MAGIC) != F0B_IMG_MAGIC)
        return F0B_ST_HDR_MAGIC;
    uint32_t hv = f0b_get_le16(raw + F0B_IMG_OFF_HDR_VERSION);
    if ((hv != F0B_IMG_HDR_VERSION && !(F0B_HDR_V2 && hv == F0B_IMG_HDR_VERSION_ENC)) ||
        f0b_get_le16(raw + F0B_IMG_OFF_HDR_SIZE) != F0B_IMG_HDR_SIZE)
        return F0B_ST_HDR_VERSION;
    if (f0b_hal_crc32(raw, F0B_IMG_OFF_HDR_CRC) != f0b_get_le32(raw + F0B_IMG_OFF_HDR_CRC))
        return F0B_ST_HDR_CRC;

    uint32_t load = f0b_get_le32(raw + F0B_IMG_OFF_LOAD_ADDR);
    uint32_t size = f0b_get_le32(raw + F0B_IMG_OFF_PAYLOAD_SIZE);
    uint32_t vt_len = f0b_get_le16(raw + F0B_IMG_OFF_VT_LEN);
    uint32_t sp = f0b_get_le32(raw + F0B_IMG_OFF_INIT_SP);
    uint32_t rv = f0b_get_le32(raw + F0B_IMG_OFF_RESET_VEC);

    if (load != l->app_start)
        return F0B_ST_HDR_ADDR;
    /* The payload must at least hold the two words the jump reads. */
    if (size < 8u || size > l->app_size)
        return F0B_ST_HDR_SIZE;
    if ((vt_len & 3u) != 0 || vt_len < 8u || vt_len > F0B_VT_MAX || vt_len > size)
        return F0B_ST_HDR_VT_LEN;
    if (f0b_get_le16(raw + F0B_IMG_OFF_PART) != l->part)
        return F0B_ST_HDR_PART;
    /* Full-descending stack: the first push lands below init_sp, so init_sp may equal the
     * end of SRAM but must be above the 192 bytes the remapped vector table occupies. */
    if ((sp & 3u) != 0 || sp <= l->sram_start + F0B_VT_MAX || sp > l->sram_start + l->sram_size)
        return F0B_ST_HDR_SP;
    /* Cortex-M0 executes Thumb only: bit 0 clear would HardFault on the first instruction. */
    if ((rv & 1u) == 0 || (rv & ~1u) < load + 8u || (rv & ~1u) >= load + size)
        return F0B_ST_HDR_RESET;
    return F0B_ST_OK;
}

int f0b_app_state(const struct f0b_layout *l)
{
    const uint8_t *rec = f0b_hal_flash_ptr(l->record_addr);
    const uint8_t *hdr = rec + F0B_RECORD_HDR_OFF;
    int hdr_ok = f0b_hdr_validate(l, hdr) == F0B_ST_OK;

    if (f0b_get_le32(rec + F0B_RECORD_COMMIT_OFF) != F0B_COMMIT_MAGIC)
        return hdr_ok ? F0B_APP_UNCOMMITTED : F0B_APP_NONE;
    if (!hdr_ok)
        return F0B_APP_BAD;

    /* The header is only a promise about the payload: check the two words the jump uses. */
    if (!f0b_app_vectors_ok(l, hdr))
        return F0B_APP_BAD;
#if F0B_BOOT_CRC
    if (f0b_hal_crc32(f0b_hal_flash_ptr(l->app_start),
                      f0b_get_le32(hdr + F0B_IMG_OFF_PAYLOAD_SIZE)) !=
        f0b_get_le32(hdr + F0B_IMG_OFF_PAYLOAD_CRC))
        return F0B_APP_BAD;
#endif
    return F0B_APP_VALID;
}

int f0b_app_vectors_ok(const struct f0b_layout *l, const uint8_t hdr[F0B_IMG_HDR_SIZE])
{
    const uint8_t *app = f0b_hal_flash_ptr(l->app_start);
    return f0b_get_le32(app) == f0b_get_le32(hdr + F0B_IMG_OFF_INIT_SP) &&
           f0b_get_le32(app + 4) == f0b_get_le32(hdr + F0B_IMG_OFF_RESET_VEC);
}

int f0b_boot_decide(const struct f0b_layout *l, int update_request, uint32_t window_ms,
                    uint8_t *reason)
{
    if (update_request) {
        *reason = F0B_STAY_REQUEST;
        return F0B_BOOT_STAY;
    }
    if (f0b_app_state(l) != F0B_APP_VALID) {
        *reason = F0B_STAY_NO_APP;
        return F0B_BOOT_STAY;
    }
    *reason = F0B_STAY_GREETING;
    return window_ms ? F0B_BOOT_WINDOW : F0B_BOOT_START;
}
