/* The container, format v1 (include/f0boot/container.h, docs/container.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "f0boot/layout.h"
#include "f0boot/le.h"
#include "internal.h"

#define KNOWN_FLAGS (F0B_FLAG_VT_LEN_GUESSED | F0B_FLAG_LINT_FORCED)

static uint32_t crc(const uint8_t *p, size_t n)
{
    uLong c = crc32(0L, Z_NULL, 0);

    /* crc32() takes a uInt length; feed large buffers in pieces. */
    while (n) {
        uInt k = n > 0x40000000u ? 0x40000000u : (uInt)n;
        c = crc32(c, p, k);
        p += k;
        n -= k;
    }
    return (uint32_t)c;
}

/* Decimal field, no sign, no leading '+', value <= max. */
static int num(const char **s, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long v;

    if (**s < '0' || **s > '9')
        return -1;
    errno = 0;
    v = strtoul(*s, &end, 10);
    if (errno || v > max)
        return -1;
    *s = end;
    *out = v;
    return 0;
}

int f0b_version_parse(const char *s, struct f0b_version *v, struct f0b_img_error *err)
{
    const char *p = s;
    unsigned long a, b, c, d = 0;

    if (!s || num(&p, 255, &a) || *p++ != '.' || num(&p, 255, &b) || *p++ != '.' ||
        num(&p, 65535, &c) || (*p == '+' && (p++, num(&p, 0xFFFFFFFFul, &d))) || *p)
        return f0b_err_set(err, F0B_IMG_EVERSION, 0, -1,
                           "version \"%s\" is not X.Y.Z or X.Y.Z+B (decimal, X and Y up to 255, "
                           "Z up to 65535, B up to 4294967295), e.g. 1.2.3+45",
                           s ? s : "");
    v->major = (uint8_t)a;
    v->minor = (uint8_t)b;
    v->patch = (uint16_t)c;
    v->build = (uint32_t)d;
    return F0B_IMG_OK;
}

uint32_t f0b_hdr_encode(const struct f0b_img_hdr *h, uint8_t raw[F0B_IMG_HDR_SIZE])
{
    uint32_t c;
    size_t n = strnlen(h->part_name, F0B_IMG_PART_NAME_LEN);

    memset(raw, 0, F0B_IMG_HDR_SIZE);
    f0b_put_le32(raw + F0B_IMG_OFF_MAGIC, h->magic);
    f0b_put_le16(raw + F0B_IMG_OFF_HDR_VERSION, h->hdr_version);
    f0b_put_le16(raw + F0B_IMG_OFF_HDR_SIZE, h->hdr_size);
    f0b_put_le32(raw + F0B_IMG_OFF_FLAGS, h->flags);
    f0b_put_le32(raw + F0B_IMG_OFF_LOAD_ADDR, h->load_addr);
    f0b_put_le32(raw + F0B_IMG_OFF_PAYLOAD_SIZE, h->payload_size);
    f0b_put_le32(raw + F0B_IMG_OFF_PAYLOAD_CRC, h->payload_crc);
    f0b_put_le16(raw + F0B_IMG_OFF_VT_LEN, h->vt_len);
    f0b_put_le16(raw + F0B_IMG_OFF_PART, h->part);
    raw[F0B_IMG_OFF_VER_MAJOR] = h->ver_major;
    raw[F0B_IMG_OFF_VER_MINOR] = h->ver_minor;
    f0b_put_le16(raw + F0B_IMG_OFF_VER_PATCH, h->ver_patch);
    f0b_put_le32(raw + F0B_IMG_OFF_VER_BUILD, h->ver_build);
    memcpy(raw + F0B_IMG_OFF_PART_NAME, h->part_name, n); /* rest stays NUL */
    f0b_put_le32(raw + F0B_IMG_OFF_INIT_SP, h->init_sp);
    f0b_put_le32(raw + F0B_IMG_OFF_RESET_VEC, h->reset_vec);
    c = crc(raw, F0B_IMG_OFF_HDR_CRC);
    f0b_put_le32(raw + F0B_IMG_OFF_HDR_CRC, c);
    return c;
}

int f0b_container_build(const struct f0b_image *img, const struct f0b_pack_opts *o, uint8_t **out,
                        size_t *out_len, struct f0b_img_hdr *hdr, struct f0b_img_error *err)
{
    struct f0b_img_hdr h;
    uint8_t *buf = NULL;
    uint32_t span = 0;
    int rc;

    *out = NULL;
    *out_len = 0;
    if (!o || !o->part)
        return f0b_err_set(err, F0B_IMG_EARG, 0, -1, "no part given");
    rc = f0b_image_span(img, &span, err);
    if (rc)
        return rc;
    if (span < 8)
        return f0b_err_set(err, F0B_IMG_ENODATA, 0, -1,
                           "the image is %u bytes, too short to hold a vector table",
                           (unsigned)span);
    buf = malloc((size_t)F0B_IMG_HDR_SIZE + span);
    if (!buf)
        return f0b_err_set(err, F0B_IMG_ENOMEM, 0, -1, "out of memory (%u bytes)", (unsigned)span);
    f0b_image_copy_flat(img, buf + F0B_IMG_HDR_SIZE, span);

    memset(&h, 0, sizeof h);
    h.magic = F0B_IMG_MAGIC;
    h.hdr_version = F0B_IMG_HDR_VERSION;
    h.hdr_size = F0B_IMG_HDR_SIZE;
    h.flags = o->flags;
    h.load_addr = img->segs[0].addr;
    h.payload_size = span;
    h.payload_crc = crc(buf + F0B_IMG_HDR_SIZE, span);
    h.vt_len = o->vt_len;
    h.part = o->part->code;
    h.ver_major = o->version.major;
    h.ver_minor = o->version.minor;
    h.ver_patch = o->version.patch;
    h.ver_build = o->version.build;
    snprintf(h.part_name, sizeof h.part_name, "%s", o->part->name);
    /* The bootloader checks these against the flashed payload before it trusts the image. */
    h.init_sp = f0b_get_le32(buf + F0B_IMG_HDR_SIZE);
    h.reset_vec = f0b_get_le32(buf + F0B_IMG_HDR_SIZE + 4);
    h.hdr_crc = f0b_hdr_encode(&h, buf);

    if (hdr)
        *hdr = h;
    *out = buf;
    *out_len = (size_t)F0B_IMG_HDR_SIZE + span;
    return F0B_IMG_OK;
}

/* The field checks after the structure: flags, part (and its name in v1), the bootloader's
 * own header rules, and (v1) init_sp/reset_vec against payload words 0/1. */
static int check_fields(const uint8_t *buf, const struct f0b_img_hdr *h,
                        struct f0b_container_check *chk, struct f0b_img_error *err)
{
    const uint8_t *pl = buf + F0B_IMG_HDR_SIZE;
    const struct f0b_part *part;
    int rc = F0B_IMG_OK;

    if (h->flags & ~KNOWN_FLAGS)
        rc = f0b_err_set(err, F0B_IMG_ECNT_FIELD, 0, F0B_IMG_OFF_FLAGS, "unknown flag bits 0x%08x",
                         (unsigned)(h->flags & ~KNOWN_FLAGS));
    else if (!(part = f0b_part_by_code(h->part)))
        rc = f0b_err_set(err, F0B_IMG_ECNT_FIELD, 0, F0B_IMG_OFF_PART, "unknown part code %u",
                         (unsigned)h->part);
    else if (!chk->encrypted && strcmp(h->part_name, part->name) != 0)
        rc = f0b_err_set(err, F0B_IMG_ECNT_FIELD, 0, F0B_IMG_OFF_PART_NAME,
                         "part name \"%s\" does not match part code %u (%s)", h->part_name,
                         (unsigned)h->part, part->name);
    else if ((rc = f0b_container_boot_rules(buf, h, part->name, &chk->boot_rule, err)))
        ; /* the bootloader's own rules: load address, sizes, vt_len, SP, reset vector */
    else if (!chk->encrypted &&
             (h->init_sp != f0b_get_le32(pl) || h->reset_vec != f0b_get_le32(pl + 4)))
        rc = f0b_err_set(err, F0B_IMG_ECNT_FIELD, 0, F0B_IMG_OFF_INIT_SP,
                         "init_sp/reset_vec 0x%08x/0x%08x differ from payload words 0/1 "
                         "0x%08x/0x%08x",
                         (unsigned)h->init_sp, (unsigned)h->reset_vec, (unsigned)f0b_get_le32(pl),
                         (unsigned)f0b_get_le32(pl + 4));
    return rc;
}

int f0b_container_verify(const uint8_t *buf, size_t len, struct f0b_img_hdr *hdr,
                         struct f0b_container_check *chk, struct f0b_img_error *err)
{
    struct f0b_img_hdr h;
    const uint8_t *pl = buf + F0B_IMG_HDR_SIZE;
    uint64_t present, want;

    memset(chk, 0, sizeof *chk);
    memset(hdr, 0, sizeof *hdr);
    if (len < F0B_IMG_HDR_SIZE)
        return f0b_err_set(err, len == 0 ? F0B_IMG_EEMPTY : F0B_IMG_ECNT_SHORT, 0, (long)len,
                           "the file is %zu bytes, shorter than the %u-byte container header; "
                           "it is not a complete f0boot container, pack it again",
                           len, F0B_IMG_HDR_SIZE);
    f0b_hdr_decode(buf, &h);
    *hdr = h;
    chk->have_hdr = 1;
    chk->encrypted = h.hdr_version == F0B_IMG_HDR_VERSION_ENC;
    present = len - F0B_IMG_HDR_SIZE;
    chk->payload_present = present;
    want = (uint64_t)h.payload_size + (chk->encrypted ? F0B_IMG_TAG_LEN : 0u);
    chk->hdr_crc_calc = crc(buf, F0B_IMG_OFF_HDR_CRC);
    chk->hdr_crc_ok = chk->hdr_crc_calc == h.hdr_crc;
    if (!chk->encrypted) {
        chk->payload_crc_calc =
            crc(pl, present < h.payload_size ? (size_t)present : h.payload_size);
        chk->payload_crc_ok = present >= h.payload_size && chk->payload_crc_calc == h.payload_crc;
    }

    if (h.magic != F0B_IMG_MAGIC)
        return f0b_err_set(err, F0B_IMG_ECNT_MAGIC, 0, 0,
                           "no \"F0IM\" magic at offset 0: not an f0boot container (make one "
                           "with `f0boot pack`)");
    if ((h.hdr_version != F0B_IMG_HDR_VERSION && !chk->encrypted) || h.hdr_size != F0B_IMG_HDR_SIZE)
        return f0b_err_set(err, F0B_IMG_ECNT_VERSION, 0, F0B_IMG_OFF_HDR_VERSION,
                           "header version %u, size %u: this f0boot understands versions %u "
                           "and %u (encrypted), size %u; use a matching f0boot",
                           h.hdr_version, h.hdr_size, F0B_IMG_HDR_VERSION, F0B_IMG_HDR_VERSION_ENC,
                           F0B_IMG_HDR_SIZE);
    if (!chk->hdr_crc_ok)
        return f0b_err_set(err, F0B_IMG_ECNT_HDR_CRC, 0, F0B_IMG_OFF_HDR_CRC,
                           "header CRC is 0x%08x but bytes 0-59 give 0x%08x: the header is "
                           "corrupt, pack the image again",
                           (unsigned)h.hdr_crc, (unsigned)chk->hdr_crc_calc);
    if (present != want)
        return f0b_err_set(err, F0B_IMG_ECNT_SIZE, 0, (long)len,
                           "the header announces %u payload bytes%s but the file holds %llu "
                           "after the header: the file is %s, copy or pack it again",
                           (unsigned)h.payload_size, chk->encrypted ? " and a 16-byte tag" : "",
                           (unsigned long long)present,
                           present < want ? "truncated" : "followed by extra bytes");
    if (!chk->encrypted && !chk->payload_crc_ok)
        return f0b_err_set(err, F0B_IMG_ECNT_PAYLOAD_CRC, 0, F0B_IMG_HDR_SIZE,
                           "payload CRC is 0x%08x but the payload gives 0x%08x: the payload is "
                           "corrupt, pack the image again",
                           (unsigned)h.payload_crc, (unsigned)chk->payload_crc_calc);
    return check_fields(buf, &h, chk, err);
}
