/*
 * The update engine: BEGIN / DATA / END as f0b_core.h and f0boot/protocol.h describe them.
 *
 * Order of flash operations, chosen so that a power cut at any point leaves a device that
 * stays in the bootloader (or, before the first erase completes, still runs the old image
 * untouched):
 *   BEGIN  erase the record page (the old commit word goes first, with the old header),
 *          program the new header: the record now reads F0B_APP_UNCOMMITTED.
 *   DATA   erase each application page the first time a write touches it, program.
 *   END    read the payload back through the CRC unit, compare crc and words 0/1 with the
 *          header, and only then program the commit word.
 * Application pages are never erased before the record is invalidated, the record page is
 * the only one outside the payload that is erased, and nothing below app_start is ever
 * addressed (the port refuses it as well).
 *
 * Semantics the protocol engine relies on:
 *   - DATA with offset < next: the bytes below next are already in flash and are not written
 *     again; only the part at or above next (if any) is programmed (a repeated frame is OK).
 *   - A flash error closes the session: the host must BEGIN again (the pages of this session
 *     are re-erased on first touch, so a retry starts from clean cells).
 *   - BEGIN with the open session's header is a resend only while nothing else came after
 *     the first one; otherwise (DATA, END, a failed read-back, a commit) it starts over:
 *     record erased, next = 0, every page erased again on first touch.
 *   - END does not require next == payload_size: with SEEK, pages the host proved intact are
 *     kept, and the read-back crc over the whole payload is what decides.
 */
#include <string.h>
#include "f0b_core.h"
#include "f0b_hal.h"
#include "f0boot/layout.h"
#include "f0boot/le.h"

#if F0B_SECURE
#include "secure.h"
#define EXPECTED_CRC(u) f0b_sec_expected_crc(u)
#else
#define EXPECTED_CRC(u) f0b_get_le32((u)->raw + F0B_IMG_OFF_PAYLOAD_CRC)
#endif

void f0b_update_init(struct f0b_update *u, const struct f0b_layout *l)
{
    memset(u, 0, sizeof *u);
    u->l = l;
}

int f0b_update_begin(struct f0b_update *u, const uint8_t raw[F0B_IMG_HDR_SIZE])
{
    const struct f0b_layout *l = u->l;
    int st;

    /* A pure resend (the host lost our answer: nothing came between the two BEGINs) is
     * answered again without touching the flash. Any other BEGIN starts over, even with the
     * same header: after DATA, a failed END or a commit, the host flashes again because it
     * wants every page rewritten, and keeping `next` would take its frames for repeats. */
    if (u->fresh && memcmp(u->raw, raw, F0B_IMG_HDR_SIZE) == 0)
        return F0B_ST_OK;
    u->open = 0;
    u->fresh = 0;
    u->committed = 0;
    st = f0b_hdr_validate(l, raw);
#if F0B_SECURE
    if (st == F0B_ST_OK)
        st = f0b_sec_begin(u, raw); /* plain or not, header MAC, rollback */
#endif
    if (st != F0B_ST_OK)
        return st;
    st = f0b_hal_flash_erase(l->record_addr);
    if (st == F0B_ST_OK)
        st = f0b_hal_flash_program(l->record_addr + F0B_RECORD_HDR_OFF, raw, F0B_IMG_HDR_SIZE);
    if (st != F0B_ST_OK)
        return st;
    memcpy(u->raw, raw, F0B_IMG_HDR_SIZE);
    u->next = 0;
    u->erased_end = l->app_start;
    u->open = 1;
    u->fresh = 1;
    return F0B_ST_OK;
}

int f0b_update_write(struct f0b_update *u, uint32_t offset, uint8_t *data, uint32_t len, int seek)
{
    const struct f0b_layout *l = u->l;
    uint32_t size = f0b_get_le32(u->raw + F0B_IMG_OFF_PAYLOAD_SIZE);
    int st;

    u->fresh = 0;
    if (!u->open)
        return F0B_ST_BAD_STATE;
    if (len == 0 || offset > size || len > size - offset)
        return F0B_ST_BAD_LEN;
    if (offset < u->next) {
        uint32_t skip = u->next - offset;
        if (len <= skip)
            return F0B_ST_OK; /* a repeat: already in flash */
        data += skip;
        len -= skip;
        offset = u->next;
    } else if (offset > u->next) {
        /* A seek may only start a fresh page: the page it lands on is erased on first touch
         * and the pages skipped are kept as they are. */
        if (!seek || F0B_SECURE || ((l->app_start + offset) & (l->page_size - 1u)) != 0)
            return F0B_ST_OUT_OF_ORDER;
        u->next = offset;
        u->erased_end = l->app_start + offset;
    }
    /* The flash takes half-words: only the chunk that ends the payload may be odd. */
    if ((len & 1u) != 0 && offset + len != size)
        return F0B_ST_BAD_LEN;
    if (u->committed)
        return F0B_ST_BAD_STATE;

    uint32_t addr = l->app_start + offset;
#if F0B_SECURE
    /* MAC the ciphertext and decrypt it in place; when a page is to be erased first, while
     * it erases (the crypto runs from SRAM): half the frames hide their crypto in an erase. */
    struct f0b_sec_job job = {u, offset, len, data};
    if (u->erased_end < addr + len) {
        st = f0b_hal_flash_erase_with(u->erased_end, f0b_sec_data_job, &job);
        if (st != F0B_ST_OK)
            goto fail;
        u->erased_end += l->page_size;
    } else {
        f0b_sec_data(u, offset, data, len);
    }
#endif
    while (u->erased_end < addr + len) {
        st = f0b_hal_flash_erase(u->erased_end);
        if (st != F0B_ST_OK)
            goto fail;
        u->erased_end += l->page_size;
    }
    st = f0b_hal_flash_program(addr, data, len & ~1u);
    if (st == F0B_ST_OK && (len & 1u) != 0) {
        /* Pad the last odd byte with the erased value: the crc covers payload_size only. */
        uint8_t pad[2] = {data[len - 1u], 0xFFu};
        st = f0b_hal_flash_program(addr + len - 1u, pad, 2);
    }
    if (st != F0B_ST_OK)
        goto fail;
    u->next = offset + len;
    return F0B_ST_OK;
fail:
    u->open = 0;
    return st;
}

int f0b_update_end(struct f0b_update *u, uint32_t *crc)
{
    const struct f0b_layout *l = u->l;
    int st;

    u->fresh = 0;
    if (!u->open)
        return F0B_ST_BAD_STATE;
    /* Read back what is really in flash, not what we meant to write. */
    *crc = f0b_hal_crc32(f0b_hal_flash_ptr(l->app_start),
                         f0b_get_le32(u->raw + F0B_IMG_OFF_PAYLOAD_SIZE));
    if (*crc != EXPECTED_CRC(u) || !f0b_app_vectors_ok(l, u->raw))
        return F0B_ST_VERIFY;
    if (u->committed)
        return F0B_ST_OK;

    uint8_t word[4];
    f0b_put_le32(word, F0B_COMMIT_MAGIC);
    st = f0b_hal_flash_program(l->record_addr + F0B_RECORD_COMMIT_OFF, word, sizeof word);
    if (st != F0B_ST_OK) {
        u->open = 0;
        return st;
    }
    u->committed = 1;
    return F0B_ST_OK;
}
