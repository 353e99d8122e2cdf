/* The segment model: sorted, non-overlapping runs of bytes at load addresses. */
#include <stdlib.h>
#include <string.h>

#include "f0boot/le.h"
#include "internal.h"

void *f0b_grow(void *v, size_t *cap, size_t need, size_t elem, size_t first)
{
    size_t ncap = *cap ? *cap : first;

    if (need <= *cap)
        return v;
    while (ncap < need)
        ncap *= 2;
    if ((v = realloc(v, ncap * elem)) != NULL)
        *cap = ncap;
    return v;
}

void f0b_image_init(struct f0b_image *img) { memset(img, 0, sizeof *img); }

void f0b_image_free(struct f0b_image *img)
{
    for (size_t i = 0; i < img->nseg; i++)
        free(img->segs[i].data);
    free(img->segs);
    free(img->ram);
    f0b_image_init(img);
}

static uint64_t seg_end(const struct f0b_seg *s) { return (uint64_t)s->addr + s->len; }

/* Make room for need bytes in s (amortised doubling: a HEX file arrives 16 bytes at a time). */
static int seg_reserve(struct f0b_seg *s, uint64_t need)
{
    uint64_t cap = s->cap ? s->cap : 256;
    uint8_t *p;

    if (need <= s->cap)
        return F0B_IMG_OK;
    while (cap < need)
        cap *= 2;
    if (cap > 0xFFFFFFFFu)
        cap = need;
    p = realloc(s->data, (size_t)cap);
    if (!p)
        return F0B_IMG_ENOMEM;
    s->data = p;
    s->cap = (uint32_t)cap;
    return F0B_IMG_OK;
}

/* Append b (which starts where a ends) to a and drop b from the array. */
static int seg_merge_next(struct f0b_image *img, size_t i)
{
    struct f0b_seg *a = &img->segs[i], *b = &img->segs[i + 1];
    int rc = seg_reserve(a, (uint64_t)a->len + b->len);

    if (rc)
        return rc;
    memcpy(a->data + a->len, b->data, b->len);
    a->len += b->len;
    free(b->data);
    memmove(b, b + 1, (img->nseg - i - 2) * sizeof *b);
    img->nseg--;
    return F0B_IMG_OK;
}

int f0b_image_add(struct f0b_image *img, uint32_t addr, const uint8_t *data, uint32_t len,
                  struct f0b_img_error *err)
{
    uint64_t end = (uint64_t)addr + len;
    size_t lo = 0, hi = img->nseg, idx;
    struct f0b_seg *pred, *succ;
    int rc;

    if (len == 0)
        return F0B_IMG_OK;
    if (!data)
        return f0b_err_set(err, F0B_IMG_EARG, 0, -1, "no data pointer");
    if (end > 0x100000000ull)
        return f0b_err_set(err, F0B_IMG_EWRAP, 0, -1,
                           "%u bytes at 0x%08x run past 0xFFFFFFFF (addresses wrap past 4 GiB)",
                           (unsigned)len, (unsigned)addr);

    /* idx = first segment starting above addr; most inputs arrive in order, so try the end. */
    if (img->nseg && img->segs[img->nseg - 1].addr <= addr) {
        idx = img->nseg;
    } else {
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (img->segs[mid].addr <= addr)
                lo = mid + 1;
            else
                hi = mid;
        }
        idx = lo;
    }
    pred = idx > 0 ? &img->segs[idx - 1] : NULL;
    succ = idx < img->nseg ? &img->segs[idx] : NULL;

    if (pred && seg_end(pred) > addr)
        return f0b_err_set(err, F0B_IMG_EOVERLAP, 0, -1,
                           "data at 0x%08x-0x%08x overlaps data already at 0x%08x-0x%08x",
                           (unsigned)addr, (unsigned)(end - 1), (unsigned)pred->addr,
                           (unsigned)(seg_end(pred) - 1));
    if (succ && end > succ->addr)
        return f0b_err_set(err, F0B_IMG_EOVERLAP, 0, -1,
                           "data at 0x%08x-0x%08x overlaps data already at 0x%08x-0x%08x",
                           (unsigned)addr, (unsigned)(end - 1), (unsigned)succ->addr,
                           (unsigned)(seg_end(succ) - 1));

    if (pred && seg_end(pred) == addr) {
        rc = seg_reserve(pred, (uint64_t)pred->len + len);
        if (rc)
            return f0b_err_set(err, rc, 0, -1, "out of memory");
        memcpy(pred->data + pred->len, data, len);
        pred->len += len;
        if (succ && end == succ->addr) {
            rc = seg_merge_next(img, idx - 1);
            if (rc)
                return f0b_err_set(err, rc, 0, -1, "out of memory");
        }
        return F0B_IMG_OK;
    }

    struct f0b_seg *segs = f0b_grow(img->segs, &img->seg_cap, img->nseg + 1, sizeof *segs, 8);
    if (!segs)
        return f0b_err_set(err, F0B_IMG_ENOMEM, 0, -1, "out of memory");
    img->segs = segs;
    memmove(&img->segs[idx + 1], &img->segs[idx], (img->nseg - idx) * sizeof *img->segs);
    img->nseg++;
    memset(&img->segs[idx], 0, sizeof img->segs[idx]);
    img->segs[idx].addr = addr;
    rc = seg_reserve(&img->segs[idx], len);
    if (rc) {
        memmove(&img->segs[idx], &img->segs[idx + 1], (img->nseg - idx - 1) * sizeof *img->segs);
        img->nseg--;
        return f0b_err_set(err, rc, 0, -1, "out of memory");
    }
    memcpy(img->segs[idx].data, data, len);
    img->segs[idx].len = len;
    if (idx + 1 < img->nseg && end == img->segs[idx + 1].addr) {
        rc = seg_merge_next(img, idx);
        if (rc)
            return f0b_err_set(err, rc, 0, -1, "out of memory");
    }
    return F0B_IMG_OK;
}

uint32_t f0b_image_start(const struct f0b_image *img) { return img->nseg ? img->segs[0].addr : 0; }

uint64_t f0b_image_end(const struct f0b_image *img)
{
    return img->nseg ? seg_end(&img->segs[img->nseg - 1]) : 0;
}

static uint8_t image_byte(const struct f0b_image *img, uint32_t addr)
{
    size_t lo = 0, hi = img->nseg;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct f0b_seg *s = &img->segs[mid];
        if (addr < s->addr)
            hi = mid;
        else if ((uint64_t)addr >= seg_end(s))
            lo = mid + 1;
        else
            return s->data[addr - s->addr];
    }
    return 0xFF; /* erased flash */
}

uint32_t f0b_image_word(const struct f0b_image *img, uint32_t addr)
{
    uint8_t b[4];

    for (unsigned i = 0; i < 4; i++)
        b[i] = image_byte(img, addr + i);
    return f0b_get_le32(b);
}

int f0b_image_span(const struct f0b_image *img, uint32_t *span, struct f0b_img_error *err)
{
    uint64_t n;

    if (!img->nseg)
        return f0b_err_set(err, F0B_IMG_ENODATA, 0, -1,
                           "the input holds no bytes to program (no data records or loadable "
                           "sections)");
    n = f0b_image_end(img) - img->segs[0].addr;
    if (n > F0B_IMG_SPAN_MAX)
        return f0b_err_set(err, F0B_IMG_ETOO_BIG, 0, -1,
                           "image spans 0x%08x-0x%08x (%llu bytes, more than %u MiB): data far "
                           "from flash, e.g. a RAM section placed by its run address; check the "
                           "linker script's AT> / LMA for every section",
                           (unsigned)img->segs[0].addr, (unsigned)(f0b_image_end(img) - 1),
                           (unsigned long long)n, F0B_IMG_SPAN_MAX >> 20);
    *span = (uint32_t)n;
    return F0B_IMG_OK;
}

void f0b_image_copy_flat(const struct f0b_image *img, uint8_t *dst, uint32_t span)
{
    uint32_t base = img->segs[0].addr;

    memset(dst, 0xFF, span); /* gaps are erased flash */
    for (size_t i = 0; i < img->nseg; i++)
        memcpy(dst + (img->segs[i].addr - base), img->segs[i].data, img->segs[i].len);
}

int f0b_image_flatten(const struct f0b_image *img, uint8_t **out, uint32_t *len,
                      struct f0b_img_error *err)
{
    uint32_t span = 0;
    int rc = f0b_image_span(img, &span, err);

    if (rc)
        return rc;
    *out = malloc(span);
    if (!*out)
        return f0b_err_set(err, F0B_IMG_ENOMEM, 0, -1, "out of memory (%u bytes)", (unsigned)span);
    f0b_image_copy_flat(img, *out, span);
    *len = span;
    return F0B_IMG_OK;
}

/* ---- pieces: batch construction for the readers ------------------------------------ */

int f0b_pieces_push(struct f0b_pieces *ps, uint32_t addr, uint32_t len, size_t off, long tag,
                    struct f0b_img_error *err)
{
    struct f0b_piece *last = ps->n ? &ps->v[ps->n - 1] : NULL;

    if (len == 0)
        return F0B_IMG_OK;
    if ((uint64_t)addr + len > 0x100000000ull)
        return f0b_err_set(err, F0B_IMG_EWRAP, 0, -1,
                           "%u bytes at 0x%08x run past 0xFFFFFFFF (addresses wrap past 4 GiB)",
                           (unsigned)len, (unsigned)addr);
    if (last && (uint64_t)last->addr + last->len == addr && last->off + last->len == off &&
        (uint64_t)last->len + len <= 0xFFFFFFFFu) {
        last->len += len;
        return F0B_IMG_OK;
    }
    struct f0b_piece *v = f0b_grow(ps->v, &ps->cap, ps->n + 1, sizeof *v, 16);
    if (!v)
        return f0b_err_set(err, F0B_IMG_ENOMEM, 0, -1, "out of memory");
    ps->v = v;
    ps->v[ps->n++] = (struct f0b_piece){addr, len, off, tag};
    return F0B_IMG_OK;
}

void f0b_pieces_free(struct f0b_pieces *ps)
{
    free(ps->v);
    memset(ps, 0, sizeof *ps);
}

static int piece_cmp(const void *a, const void *b)
{
    const struct f0b_piece *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    return (x->tag > y->tag) - (x->tag < y->tag);
}

int f0b_image_from_pieces(struct f0b_image *img, struct f0b_pieces *ps, const uint8_t *base,
                          f0b_tag_name_fn name, void *ctx, struct f0b_img_error *err)
{
    size_t i = 0, far = 0; /* far: the piece reaching highest so far */

    if (!ps->n)
        return F0B_IMG_OK;
    qsort(ps->v, ps->n, sizeof *ps->v, piece_cmp);
    for (size_t k = 1; k < ps->n; k++) {
        const struct f0b_piece *a = &ps->v[far], *b = &ps->v[k];
        uint64_t a_end = (uint64_t)a->addr + a->len;
        if (b->addr < a_end) {
            /* Name the piece that comes later in the input first. */
            const struct f0b_piece *late = b->tag >= a->tag ? b : a, *early = late == b ? a : b;
            char n1[64], n2[64];
            name(ctx, late->tag, n1, sizeof n1);
            name(ctx, early->tag, n2, sizeof n2);
            return f0b_err_set(err, F0B_IMG_EOVERLAP, late->tag, -1,
                               "%s: data at 0x%08x-0x%08x overlaps data at 0x%08x-0x%08x (%s)", n1,
                               (unsigned)late->addr,
                               (unsigned)((uint64_t)late->addr + late->len - 1),
                               (unsigned)early->addr,
                               (unsigned)((uint64_t)early->addr + early->len - 1), n2);
        }
        if ((uint64_t)b->addr + b->len > a_end)
            far = k;
    }
    img->segs = calloc(ps->n, sizeof *img->segs);
    if (!img->segs)
        return f0b_err_set(err, F0B_IMG_ENOMEM, 0, -1, "out of memory");
    img->seg_cap = ps->n;
    /* One allocation per run of touching pieces. */
    while (i < ps->n) {
        size_t j = i + 1;
        uint64_t total = ps->v[i].len;
        struct f0b_seg *s = &img->segs[img->nseg];
        while (j < ps->n && (uint64_t)ps->v[j - 1].addr + ps->v[j - 1].len == ps->v[j].addr) {
            total += ps->v[j].len;
            j++;
        }
        if (total > 0xFFFFFFFFu)
            return f0b_err_set(err, F0B_IMG_ETOO_BIG, 0, -1, "more than 4 GiB of data");
        s->data = malloc((size_t)total);
        if (!s->data)
            return f0b_err_set(err, F0B_IMG_ENOMEM, 0, -1, "out of memory (%llu bytes)",
                               (unsigned long long)total);
        s->addr = ps->v[i].addr;
        s->cap = (uint32_t)total;
        img->nseg++;
        for (; i < j; i++) {
            memcpy(s->data + s->len, base + ps->v[i].off, ps->v[i].len);
            s->len += ps->v[i].len;
        }
    }
    return F0B_IMG_OK;
}
