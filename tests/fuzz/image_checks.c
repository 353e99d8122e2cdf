/* Checks shared by the libimage fuzz targets; see image_checks.h. */
#include "image_checks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "f0b_hal.h"

static void breach(const char *what)
{
    fprintf(stderr, "fuzz: INVARIANT BROKEN: %s\n", what);
    abort();
}

/* The container check may apply the bootloader core's header rules (boot.c compiled for the
 * host), whose file also holds the boot-record readers. Nothing in libimage may read device
 * flash: normal builds drop those readers (--gc-sections), but the fuzzer's coverage tables
 * keep every function, so this stands in for the port and fails loudly if one is called. */
const uint8_t *f0b_hal_flash_ptr(uint32_t addr)
{
    (void)addr;
    breach("libimage read device flash (f0b_hal_flash_ptr)");
    return NULL;
}

void fuzz_check_read(int rc, const struct f0b_image *img, const struct f0b_img_error *err)
{
    if (rc != F0B_IMG_OK) {
        if (rc > 0 || err->code != rc)
            breach("error code returned and reported differ");
        if (memchr(err->detail, '\0', sizeof err->detail) == NULL || err->detail[0] == '\0')
            breach("error without a message");
        return;
    }
    for (size_t i = 0; i < img->nseg; i++) {
        const struct f0b_seg *s = &img->segs[i];
        if (s->len == 0 || s->len > s->cap)
            breach("empty segment or length over capacity");
        if ((uint64_t)s->addr + s->len > 0x100000000ull)
            breach("segment wraps past 0xFFFFFFFF");
        if (i > 0 && (uint64_t)img->segs[i - 1].addr + img->segs[i - 1].len >= s->addr)
            breach("segments unsorted, overlapping or touching");
    }
}

void fuzz_pack_steps(const struct f0b_image *img)
{
    const struct f0b_part *part = f0b_part_by_code(4);
    struct f0b_img_error err;
    struct f0b_lint lint;
    uint8_t *flat = NULL, *out = NULL;
    uint32_t flat_len = 0;
    size_t out_len = 0;

    if (f0b_image_flatten(img, &flat, &flat_len, &err) == F0B_IMG_OK &&
        flat_len != f0b_image_end(img) - f0b_image_start(img))
        breach("flattened length differs from the image's span");
    free(flat);
    f0b_lint_run(img, part, &lint);
    if (lint.n < 0 || lint.n > F0B_LINT_MAX || lint.errors + lint.warnings != lint.n)
        breach("lint counts inconsistent");
    struct f0b_pack_opts o = {.part = part,
                              .version = {1, 2, 3, 4},
                              .vt_len = lint.vt_len,
                              .flags = lint.flags};
    if (f0b_container_build(img, &o, &out, &out_len, NULL, &err) == F0B_IMG_OK) {
        struct f0b_img_hdr h;
        struct f0b_container_check chk;
        f0b_container_verify(out, out_len, &h, &chk, &err);
        if (!chk.have_hdr || !chk.hdr_crc_ok || !chk.payload_crc_ok)
            breach("a container just built fails its own header or CRC checks");
    }
    free(out);
}
