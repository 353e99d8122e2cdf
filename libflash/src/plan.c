/*
 * Step one of an update: what to send. The chunk size divides the page so a SEEK always
 * lands on a page start; with skip-unchanged the device's page crcs decide which pages go.
 */
#include <stdlib.h>
#include <string.h>
#include "update.h"

int f0b_plan_init(struct f0b_plan *p, const struct f0b_dev_info *d, uint32_t size, uint32_t crc)
{
    memset(p, 0, sizeof *p);
    if (size == 0 || d->page_size < 2 || d->max_data < 2)
        return F0B_E_ARG;
    p->size = size;
    p->crc = crc;
    p->page = d->page_size;
    p->chunk = d->max_data < F0B_DATA_MAX ? d->max_data : F0B_DATA_MAX;
    if (p->chunk > p->page)
        p->chunk = p->page;
    while (p->page % p->chunk) /* keep chunks inside pages so a SEEK lands on a page */
        p->chunk -= 2;
    p->npages = (size + p->page - 1) / p->page;
    p->need = malloc(p->npages);
    p->ch = malloc(sizeof *p->ch * ((size + p->chunk - 1) / p->chunk));
    if (!p->need || !p->ch)
        return F0B_E_NOMEM;
    memset(p->need, 1, p->npages);
    return 0;
}

void f0b_plan_free(struct f0b_plan *p)
{
    free(p->need);
    free(p->ch);
    p->need = NULL;
    p->ch = NULL;
}

void f0b_plan_chunks(struct f0b_plan *p)
{
    uint32_t prev_end = 0;

    p->nch = 0;
    p->wbytes = 0;
    for (uint32_t off = 0; off < p->size; off += p->chunk) {
        struct f0b_chunk *c = &p->ch[p->nch];
        if (!p->need[off / p->page])
            continue;
        c->off = off;
        c->len = p->size - off < p->chunk ? p->size - off : p->chunk;
        c->seek = off != prev_end;
        prev_end = off + c->len;
        p->wbytes += c->len;
        p->nch++;
    }
}

struct skipped {
    struct f0b_plan *p;
    struct f0b_flash_result *res;
};

/* A page whose crc matches need not be sent. */
static void note_same(void *ctx, uint32_t page, int same)
{
    struct skipped *k = ctx;

    if (same) {
        k->p->need[page] = 0;
        k->res->pages_skipped++;
    }
}

int f0b_plan_skip_unchanged(struct f0b_session *s, struct f0b_plan *p, const uint8_t *hdr,
                            const uint8_t *payload, struct f0b_flash_result *res)
{
    const struct f0b_dev_info *d = &s->info;
    uint32_t dcrc = 0;
    int rc;

    if (s->o.skip_unchanged && p->tag && d->app_state == F0B_APP_VALID &&
        memcmp(d->record, hdr, F0B_IMG_HDR_SIZE) == 0) {
        /* Encrypted: the committed header is this one, nonce and MACs included, so the
         * device holds this very image (it committed it only after its tag verified). No
         * page comparison: that would need CRCs of the plaintext (docs/security.md). */
        res->unchanged = 1;
        res->pages_skipped = p->npages;
        res->crc = p->crc;
        return 1;
    }
    if (!s->o.skip_unchanged || p->tag || !(d->features & F0B_FEAT_CRC))
        return 0;
    sess_event(s, F0B_EV_PHASE, "check", "comparing the image with the device's flash", 0, p->size);
    if (memcmp(d->record, hdr, F0B_IMG_HDR_SIZE) == 0 && d->app_state == F0B_APP_VALID) {
        rc = f0b_sess_crc(s, d->app_start, p->size, 0, &dcrc, 1);
        if (rc < 0)
            return rc;
        if (dcrc == p->crc) {
            res->unchanged = 1;
            res->pages_skipped = p->npages;
            res->crc = dcrc;
            return 1;
        }
    }
    if (!(d->features & F0B_FEAT_SEEK))
        return 0;
    struct skipped k = {p, res};
    return sess_pages_match(s, payload, p->size, note_same, &k);
}
