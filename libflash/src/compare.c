/*
 * f0b_sess_compare(): the device against an image without writing anything (f0boot
 * verify): the boot record against the image's header, then one crc32 per page.
 */
#include <string.h>
#include <zlib.h>
#include "f0boot/le.h"
#include "session.h"

int sess_pages_match(struct f0b_session *s, const uint8_t *payload, uint32_t size,
                     void (*each)(void *ctx, uint32_t page, int same), void *ctx)
{
    uint32_t pcrc[F0B_CRC_MAX_CHUNKS], page = s->info.page_size;
    uint32_t npages = (size + page - 1) / page;

    for (uint32_t p0 = 0; p0 < npages; p0 += F0B_CRC_MAX_CHUNKS) {
        uint32_t cnt = npages - p0 < F0B_CRC_MAX_CHUNKS ? npages - p0 : F0B_CRC_MAX_CHUNKS;
        uint32_t off = p0 * page, len = size - off < cnt * page ? size - off : cnt * page;
        int rc = f0b_sess_crc(s, s->info.app_start + off, len, page, pcrc, cnt);
        if (rc < 0)
            return rc;
        for (uint32_t i = 0; i < cnt; i++) {
            uint32_t o = off + i * page, l = size - o < page ? size - o : page;
            each(ctx, p0 + i, pcrc[i] == (uint32_t)crc32(0L, payload + o, l));
        }
    }
    return 0;
}

struct bad_pages {
    struct f0b_compare *r;
    uint32_t app_start, page;
};

static void note_bad(void *ctx, uint32_t page, int same)
{
    struct bad_pages *b = ctx;

    if (same)
        return;
    if (b->r->first_bad < 0) {
        b->r->first_bad = (int32_t)page;
        b->r->first_bad_addr = b->app_start + page * b->page;
    }
    b->r->bad_pages++;
}

int f0b_sess_compare(struct f0b_session *s, const uint8_t *hdr, const uint8_t *payload,
                     uint32_t size, struct f0b_compare *r)
{
    const struct f0b_dev_info *d = &s->info;
    int rc;

    memset(r, 0, sizeof *r);
    r->first_bad = -1;
    if (!s->have_info || size == 0 || f0b_get_le32(hdr + F0B_IMG_OFF_PAYLOAD_SIZE) != size)
        return F0B_E_ARG;
    sess_event(s, F0B_EV_PHASE, "check", "comparing the image with the device's flash", 0, size);
    r->record_match = memcmp(d->record, hdr, F0B_IMG_HDR_SIZE) == 0;
    r->app_state = d->app_state;
    r->pages = (size + d->page_size - 1) / d->page_size;
    struct bad_pages b = {r, d->app_start, d->page_size};
    rc = f0b_sess_crc(s, d->app_start, size, 0, &r->crc, 1);
    if (rc == 0)
        rc = sess_pages_match(s, payload, size, note_bad, &b);
    if (rc < 0)
        return rc;
    return r->record_match && r->app_state == F0B_APP_VALID && r->bad_pages == 0 &&
                   r->crc == (uint32_t)crc32(0L, payload, size)
               ? 0
               : F0B_E_VERIFY;
}
