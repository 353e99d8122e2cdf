/* libimage unit tests on literal buffers: HEX records and their errors, the segment model,
 * container encode/verify, version strings, parts and lint. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "f0boot/image.h"
#include "f0boot/layout.h"
#include "f0boot/le.h"

/* Bitwise CRC-32 (reflected 0xEDB88320), written from the definition: an oracle that does
 * not share code with zlib. */
static uint32_t ref_crc32(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

static int read_hex(const char *text, struct f0b_image *img, struct f0b_img_error *err)
{
    f0b_image_init(img);
    memset(err, 0, sizeof *err);
    return f0b_read_hex((const uint8_t *)text, strlen(text), img, err);
}

static void hex_basic(void **state)
{
    struct f0b_image img;
    struct f0b_img_error err;
    /* ELA 0x0800, two contiguous data records at 0x1000 and 0x1004, start linear, EOF. */
    const char *t = ":020000040800F2\n"
                    ":04100000008000204C\n"
                    ":04100400C11000080F\n"
                    ":0400000508001000DF\n"
                    ":00000001FF\n";
    (void)state;
    assert_int_equal(read_hex(t, &img, &err), F0B_IMG_OK);
    assert_int_equal(img.nseg, 1);
    assert_int_equal(img.segs[0].addr, 0x08001000u);
    assert_int_equal(img.segs[0].len, 8);
    assert_int_equal(f0b_image_word(&img, 0x08001000u), 0x20008000u);
    assert_int_equal(f0b_image_word(&img, 0x08001004u), 0x080010C1u);
    assert_int_equal(img.has_entry, 1);
    assert_int_equal(img.entry, 0x08001000u);
    assert_int_equal(img.format, F0B_FMT_HEX);
    assert_int_equal(img.vt_len, 0);
    f0b_image_free(&img);
}

static void hex_segment_address_crlf_blank(void **state)
{
    struct f0b_image img;
    struct f0b_img_error err;
    /* ESA 0x1000 -> base 0x10000; CRLF endings, a blank line, lower-case digits; SSA. */
    const char *t = ":020000021000EC\r\n"
                    "\r\n"
                    ":0300100001020 3E7\r\n";
    const char *ok = ":020000021000ec\r\n"
                     "\r\n"
                     ":03001000010203E7\r\n"
                     ":0400000312345678E5\r\n"
                     ":00000001FF  \r\n";
    (void)state;
    /* A space inside a record is an error that names line 3 and the column. */
    assert_int_equal(read_hex(t, &img, &err), F0B_IMG_EHEX_SYNTAX);
    assert_int_equal(err.line, 3);
    assert_non_null(strstr(err.detail, "line 3, column 15"));
    assert_int_equal(read_hex(ok, &img, &err), F0B_IMG_OK);
    assert_int_equal(img.nseg, 1);
    assert_int_equal(img.segs[0].addr, 0x10010u);
    assert_memory_equal(img.segs[0].data, "\x01\x02\x03", 3);
    assert_int_equal(img.entry, 0x12340u + 0x5678u);
    f0b_image_free(&img);
}

struct hex_bad {
    const char *text;
    int code;
    long line;
    const char *needle;
};

static void hex_errors_name_line(void **state)
{
    static const struct hex_bad cases[] = {
        {":0400000000800020CC\n", F0B_IMG_EHEX_CHECKSUM, 1, "checksum is 0xCC"},
        {":00000001FF\n:0400000000800020AC\n", F0B_IMG_EHEX_AFTER_EOF, 2, "line 1"},
        {":04000000008000205C\n", F0B_IMG_EHEX_NO_EOF, 1, "end-of-file record"},
        {":040000060080002056\n:00000001FF\n", F0B_IMG_EHEX_TYPE, 1, "type 06"},
        {":04000000008000\n:00000001FF\n", F0B_IMG_EHEX_SYNTAX, 1, "length byte says 4"},
        {"\n\n0400000000800020AC\n", F0B_IMG_EHEX_SYNTAX, 3, "expected ':'"},
        {":0400000000800020A\n", F0B_IMG_EHEX_SYNTAX, 1, "odd number"},
        {":00000001\n", F0B_IMG_EHEX_SYNTAX, 1, "too short"},
        {":0300000402000CEB\n:00000001FF\n", F0B_IMG_EHEX_RECORD, 1, "must hold 2"},
        {":01000001AA54\n", F0B_IMG_EHEX_RECORD, 1, "must hold 0"},
        {":04000000008000205C\n:040002001122334450\n:00000001FF\n", F0B_IMG_EOVERLAP, 2,
         "0x00000000-0x00000003"},
        {":02000004FFFFFC\n:10FFF800000102030405060708090A0B0C0D0E0F81\n:00000001FF\n",
         F0B_IMG_EWRAP, 2, "past 0xFFFFFFFF"},
        {":00000001FF\n", F0B_IMG_ENODATA, 0, "no data records"},
        {"", F0B_IMG_EEMPTY, 0, "empty"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct f0b_image img;
        struct f0b_img_error err;
        int rc = read_hex(cases[i].text, &img, &err);
        if (rc != cases[i].code || err.line != cases[i].line ||
            !strstr(err.detail, cases[i].needle))
            fail_msg("case %zu: rc %d line %ld \"%s\"", i, rc, err.line, err.detail);
        if (cases[i].line)
            assert_non_null(strstr(err.detail, "line"));
        assert_int_equal(img.nseg, 0); /* nothing kept on error */
        assert_string_not_equal(f0b_image_strerror(rc), "unknown error");
    }
}

/* Append one record (with its checksum) to a text buffer. */
static size_t put_rec(char *t, unsigned type, unsigned addr, const uint8_t *d, unsigned n)
{
    unsigned sum = n + (addr >> 8) + (addr & 0xFF) + type;
    size_t k = (size_t)sprintf(t, ":%02X%04X%02X", n, addr & 0xFFFF, type);
    for (unsigned i = 0; i < n; i++) {
        k += (size_t)sprintf(t + k, "%02X", d[i]);
        sum += d[i];
    }
    return k + (size_t)sprintf(t + k, "%02X\n", (-sum) & 0xFF);
}

/* Records in descending address order, contiguous or with gaps: the reader sorts them once
 * (a sorted insert per record would be quadratic in the record count). */
static void hex_descending_records(void **state)
{
    enum { N = 20000 };
    char *t = malloc((size_t)N * 64 + 64);
    (void)state;
    assert_non_null(t);
    for (int gap = 0; gap <= 1; gap++) {
        struct f0b_image img;
        struct f0b_img_error err;
        size_t k = 0;
        unsigned step = gap ? 32 : 16;
        for (int i = N - 1; i >= 0; i--) {
            uint32_t a = 0x08001000u + (uint32_t)i * step;
            uint8_t ela[2] = {(uint8_t)(a >> 24), (uint8_t)(a >> 16)}, d[16];
            for (int b = 0; b < 16; b++)
                d[b] = (uint8_t)(i + b);
            k += put_rec(t + k, 4, 0, ela, 2);
            k += put_rec(t + k, 0, a & 0xFFFF, d, 16);
        }
        k += (size_t)sprintf(t + k, ":00000001FF\n");
        f0b_image_init(&img);
        assert_int_equal(f0b_read_hex((uint8_t *)t, k, &img, &err), 0);
        assert_int_equal(img.nseg, gap ? N : 1);
        assert_int_equal(f0b_image_start(&img), 0x08001000u);
        assert_int_equal(f0b_image_end(&img), 0x08001000u + (uint64_t)(N - 1) * step + 16);
        for (int i = 0; i < N; i += 997)
            assert_int_equal(f0b_image_word(&img, 0x08001000u + (uint32_t)i * step + 4),
                             (uint32_t)((i + 4) & 0xFF) | (uint32_t)((i + 5) & 0xFF) << 8 |
                                 (uint32_t)((i + 6) & 0xFF) << 16 |
                                 (uint32_t)((i + 7) & 0xFF) << 24);
        if (gap)
            assert_int_equal(f0b_image_word(&img, 0x08001000u + 16), 0xFFFFFFFFu);
        f0b_image_free(&img);
    }
    free(t);
}

static void seg_merge_order_and_gaps(void **state)
{
    struct f0b_image img;
    struct f0b_img_error err;
    uint8_t a[16], b[16], c[16], *flat = NULL;
    uint32_t n = 0;
    (void)state;
    memset(a, 0xA1, sizeof a);
    memset(b, 0xB2, sizeof b);
    memset(c, 0xC3, sizeof c);
    f0b_image_init(&img);
    assert_int_equal(f0b_image_add(&img, 0x1010, b, 16, &err), 0);
    assert_int_equal(f0b_image_add(&img, 0x1040, c, 16, &err), 0);
    assert_int_equal(f0b_image_add(&img, 0x1000, a, 16, &err), 0); /* before, touching */
    assert_int_equal(img.nseg, 2);
    assert_int_equal(img.segs[0].addr, 0x1000);
    assert_int_equal(img.segs[0].len, 32);
    assert_int_equal(f0b_image_add(&img, 0x1020, c, 16, &err), 0); /* bridges nothing yet */
    assert_int_equal(img.nseg, 2);
    assert_int_equal(f0b_image_add(&img, 0x1030, a, 16, &err), 0); /* joins both */
    assert_int_equal(img.nseg, 1);
    assert_int_equal(f0b_image_add(&img, 0x1060, b, 4, &err), 0); /* gap 0x1050-0x105F */
    assert_int_equal(f0b_image_flatten(&img, &flat, &n, &err), 0);
    assert_int_equal(n, 0x64);
    assert_int_equal(flat[0x0F], 0xA1);
    assert_int_equal(flat[0x10], 0xB2);
    assert_int_equal(flat[0x50], 0xFF);
    assert_int_equal(flat[0x5F], 0xFF);
    assert_int_equal(flat[0x60], 0xB2);
    assert_int_equal(f0b_image_word(&img, 0x1058), 0xFFFFFFFFu);
    free(flat);
    f0b_image_free(&img);
}

static void seg_overlap_names_both_ranges(void **state)
{
    struct f0b_image img;
    struct f0b_img_error err;
    uint8_t d[32] = {0};
    (void)state;
    f0b_image_init(&img);
    assert_int_equal(f0b_image_add(&img, 0x08001000, d, 32, &err), 0);
    assert_int_equal(f0b_image_add(&img, 0x08000FF0, d, 17, &err), F0B_IMG_EOVERLAP);
    assert_non_null(strstr(err.detail, "0x08000ff0-0x08001000"));
    assert_non_null(strstr(err.detail, "0x08001000-0x0800101f"));
    assert_int_equal(f0b_image_add(&img, 0x0800101F, d, 1, &err), F0B_IMG_EOVERLAP);
    assert_int_equal(f0b_image_add(&img, 0xFFFFFFF0, d, 17, &err), F0B_IMG_EWRAP);
    assert_int_equal(f0b_image_add(&img, 0xFFFFFFF0, d, 16, &err), 0); /* ends at 4 GiB */
    /* 0x08001000 .. 0xFFFFFFFF cannot be flattened. */
    {
        uint8_t *flat = NULL;
        uint32_t n;
        assert_int_equal(f0b_image_flatten(&img, &flat, &n, &err), F0B_IMG_ETOO_BIG);
        assert_null(flat);
    }
    f0b_image_free(&img);
}

static void bin_and_sniff(void **state)
{
    struct f0b_image img;
    struct f0b_img_error err;
    uint8_t d[64] = {0};
    (void)state;
    assert_int_equal(f0b_sniff((const uint8_t *)"\x7f"
                                                "ELF\x01",
                               5),
                     F0B_FMT_ELF);
    assert_int_equal(f0b_sniff((const uint8_t *)"F0IM", 4), F0B_FMT_CONTAINER);
    assert_int_equal(f0b_sniff((const uint8_t *)"\r\n  :00", 7), F0B_FMT_HEX);
    assert_int_equal(f0b_sniff(d, sizeof d), F0B_FMT_BIN);
    f0b_image_init(&img);
    assert_int_equal(f0b_image_read(d, sizeof d, 0, 0, &img, &err), F0B_IMG_EFORMAT);
    assert_non_null(strstr(err.detail, "--addr"));
    assert_int_equal(f0b_image_read(d, sizeof d, 1, 0xFFFFFFF0u, &img, &err), F0B_IMG_EWRAP);
    assert_int_equal(f0b_image_read(d, sizeof d, 1, 0x08001000u, &img, &err), 0);
    assert_int_equal(img.format, F0B_FMT_BIN);
    assert_int_equal(f0b_image_start(&img), 0x08001000u);
    assert_int_equal(f0b_image_end(&img), 0x08001040u);
    f0b_image_free(&img);
    assert_int_equal(f0b_image_read((const uint8_t *)"F0IM....", 8, 1, 0, &img, &err),
                     F0B_IMG_EFORMAT);
    assert_non_null(strstr(err.detail, "already an f0boot container"));
}

static void version_strings(void **state)
{
    struct f0b_version v;
    struct f0b_img_error err;
    static const char *bad[] = {"",         "1",         "1.2",    "1.2.3.4",          "256.0.0",
                                "0.256.0",  "0.0.65536", "1.2.3+", "1.2.3+4294967296", "-1.2.3",
                                "1.2.3+-1", "a.b.c",     "1.2.3 ", "+1.2.3",           "1..3"};
    (void)state;
    assert_int_equal(f0b_version_parse("1.2.3", &v, &err), 0);
    assert_int_equal(v.major, 1);
    assert_int_equal(v.minor, 2);
    assert_int_equal(v.patch, 3);
    assert_int_equal(v.build, 0);
    assert_int_equal(f0b_version_parse("255.255.65535+4294967295", &v, &err), 0);
    assert_int_equal(v.patch, 65535);
    assert_int_equal(v.build, 4294967295u);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (f0b_version_parse(bad[i], &v, &err) != F0B_IMG_EVERSION)
            fail_msg("accepted \"%s\"", bad[i]);
        assert_non_null(strstr(err.detail, "X.Y.Z"));
    }
}

static void parts_and_layout(void **state)
{
    const struct f0b_part *p = f0b_part_by_name("STM32F030xC");
    (void)state;
    assert_non_null(p);
    assert_int_equal(p->code, 4);
    assert_ptr_equal(f0b_part_by_code(4), p);
    assert_int_equal(f0b_part_app_start(p), 0x08001000u);
    assert_int_equal(f0b_part_record_addr(p), 0x0803F800u);
    assert_int_equal(f0b_part_app_size(p), 0x0803F800u - 0x08001000u);
    assert_int_equal(f0b_part_sram_end(p), 0x20008000u);
    assert_int_equal(p->vt_bytes, 188);
    p = f0b_part_by_name("stm32f030x4");
    assert_non_null(p);
    assert_int_equal(f0b_part_record_addr(p), 0x08003C00u);
    assert_null(f0b_part_by_name("stm32f103c8"));
    assert_null(f0b_part_by_code(0));
    assert_int_equal(f0b_part_count(), 8);
    for (size_t i = 0; i < f0b_part_count(); i++)
        assert_ptr_equal(f0b_part_by_code(f0b_part_at(i)->code), f0b_part_at(i));
}

/* A plausible application: SP, Thumb reset vector inside, n bytes at addr. */
static void make_app(struct f0b_image *img, uint32_t addr, uint32_t n, uint32_t sp, uint32_t rv)
{
    uint8_t *d = malloc(n);
    struct f0b_img_error err;
    assert_non_null(d);
    for (uint32_t i = 0; i < n; i++)
        d[i] = (uint8_t)(i * 7u + 1u);
    f0b_put_le32(d, sp);
    f0b_put_le32(d + 4, rv);
    f0b_image_init(img);
    assert_int_equal(f0b_image_add(img, addr, d, n, &err), 0);
    img->format = F0B_FMT_BIN;
    free(d);
}

static int has(const struct f0b_lint *l, const char *id, enum f0b_lint_sev sev)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->f[i].id, id) == 0 && l->f[i].sev == sev)
            return 1;
    return 0;
}

static void lint_rules(void **state)
{
    const struct f0b_part *p = f0b_part_by_name("stm32f030xc");
    struct f0b_image img;
    struct f0b_lint l;
    (void)state;

    make_app(&img, 0x08001000, 1024, 0x20007FF0, 0x08001101);
    f0b_lint_run(&img, p, &l);
    assert_int_equal(l.errors, 0);
    assert_int_equal(l.warnings, 1);
    assert_true(has(&l, "vt-guessed", F0B_LINT_WARNING));
    assert_int_equal(l.vt_len, 188);
    assert_int_equal(l.flags, F0B_FLAG_VT_LEN_GUESSED);
    /* Known vector table: no warning, its length is used. */
    img.vt_len = 188;
    img.vt_addr = 0x08001000;
    f0b_lint_run(&img, p, &l);
    assert_int_equal(l.n, 0);
    assert_int_equal(l.flags, 0);
    img.vt_len = 200;
    f0b_lint_run(&img, p, &l);
    assert_true(has(&l, "vt-len", F0B_LINT_ERROR));
    assert_non_null(strstr(l.f[0].msg, "192"));
    img.vt_len = 188;
    img.vt_addr = 0x08001100;
    f0b_lint_run(&img, p, &l);
    assert_true(has(&l, "vt-place", F0B_LINT_ERROR));
    img.vt_addr = 0x08001000;

    /* ELF RAM over the remapped vector table, and past the end of SRAM. */
    img.ram = calloc(2, sizeof *img.ram);
    assert_non_null(img.ram);
    img.nram = 2;
    img.ram[0] = (struct f0b_ram_range){0x200000B0, 0x20000100, ".data"};
    img.ram[1] = (struct f0b_ram_range){0x20007000, 0x20008004, ".stack"};
    f0b_lint_run(&img, p, &l);
    assert_true(has(&l, "ram-vt", F0B_LINT_ERROR));
    assert_true(has(&l, "ram-size", F0B_LINT_ERROR));
    assert_non_null(strstr(l.f[0].msg, "RAM ORIGIN = 0x200000C0, LENGTH = 32576"));
    /* The vendors' layout: RAM from 0x200000C0 to the very end of SRAM. */
    img.ram[0].start = 0x200000C0;
    img.ram[1].end = 0x20008000;
    f0b_lint_run(&img, p, &l);
    assert_int_equal(l.errors, 0);
    f0b_image_free(&img);

    make_app(&img, 0x08000000, 1024, 0x20007FF0, 0x08000101);
    f0b_lint_run(&img, p, &l);
    assert_true(has(&l, "load-addr", F0B_LINT_ERROR));
    assert_non_null(strstr(l.f[0].msg, "0x08001000"));
    f0b_image_free(&img);

    make_app(&img, 0x08001000, 0x3F000, 0x20007FF0, 0x08001101); /* past the record page */
    f0b_lint_run(&img, p, &l);
    assert_true(has(&l, "size", F0B_LINT_ERROR));
    assert_false(has(&l, "size", F0B_LINT_ERROR) && has(&l, "load-addr", F0B_LINT_ERROR));
    f0b_image_free(&img);

    make_app(&img, 0x08001000, 1024, 0x20007FF2, 0x08001101);
    f0b_lint_run(&img, p, &l);
    assert_true(has(&l, "sp-align", F0B_LINT_ERROR));
    f0b_image_free(&img);
    make_app(&img, 0x08001000, 1024, 0x08004000, 0x08001101);
    f0b_lint_run(&img, p, &l);
    assert_true(has(&l, "sp-sram", F0B_LINT_ERROR));
    f0b_image_free(&img);
    make_app(&img, 0x08001000, 1024, 0x20000080, 0x08001101);
    f0b_lint_run(&img, p, &l);
    assert_true(has(&l, "sp-sram", F0B_LINT_ERROR));
    f0b_image_free(&img);
    /* _estack = end of SRAM (ST's startup, CubeMX, libopencm3): no error. */
    make_app(&img, 0x08001000, 1024, 0x20008000, 0x08001101);
    f0b_lint_run(&img, p, &l);
    assert_int_equal(l.errors, 0);
    f0b_image_free(&img);
    make_app(&img, 0x08001000, 1024, 0x20008008, 0x08001101);
    f0b_lint_run(&img, p, &l);
    assert_true(has(&l, "sp-sram", F0B_LINT_ERROR));
    assert_non_null(strstr(l.f[0].msg, "set _estack = 0x20008000"));
    f0b_image_free(&img);
    make_app(&img, 0x08001000, 1024, 0x20007FF0, 0x08001100);
    f0b_lint_run(&img, p, &l);
    assert_true(has(&l, "reset-thumb", F0B_LINT_ERROR));
    assert_false(has(&l, "reset-range", F0B_LINT_ERROR));
    f0b_image_free(&img);
    make_app(&img, 0x08001000, 1024, 0x20007FF0, 0x08001401);
    f0b_lint_run(&img, p, &l);
    assert_true(has(&l, "reset-range", F0B_LINT_ERROR));
    f0b_image_free(&img);
    make_app(&img, 0x08001000, 1024, 0x20007FF0, 0x08001005); /* into SP/reset words */
    f0b_lint_run(&img, p, &l);
    assert_true(has(&l, "reset-range", F0B_LINT_ERROR));
    f0b_image_free(&img);
    /* The same image is fine on a part with a smaller SRAM only if SP fits: 4 KB here. */
    make_app(&img, 0x08001000, 1024, 0x20007FF0, 0x08001101);
    f0b_lint_run(&img, f0b_part_by_name("stm32f030x4"), &l);
    assert_true(has(&l, "sp-sram", F0B_LINT_ERROR));
    f0b_image_free(&img);
}

static void container_encode_offsets(void **state)
{
    struct f0b_img_hdr h, d;
    uint8_t raw[F0B_IMG_HDR_SIZE];
    uint32_t c;
    (void)state;
    memset(&h, 0, sizeof h);
    h.magic = F0B_IMG_MAGIC;
    h.hdr_version = 1;
    h.hdr_size = 64;
    h.flags = 0x03;
    h.load_addr = 0x08001000;
    h.payload_size = 0x11223344;
    h.payload_crc = 0xA5A55A5A;
    h.vt_len = 188;
    h.part = 4;
    h.ver_major = 9;
    h.ver_minor = 8;
    h.ver_patch = 0x1234;
    h.ver_build = 0xDEADBEEF;
    strcpy(h.part_name, "stm32f030xc");
    h.init_sp = 0x20007FF0;
    h.reset_vec = 0x080010C1;
    c = f0b_hdr_encode(&h, raw);
    assert_memory_equal(raw, "F0IM", 4);
    assert_int_equal(raw[4], 1);
    assert_int_equal(raw[6], 64);
    assert_int_equal(raw[8], 3);
    assert_memory_equal(raw + 12, "\x00\x10\x00\x08", 4);
    assert_memory_equal(raw + 16, "\x44\x33\x22\x11", 4);
    assert_memory_equal(raw + 20, "\x5a\x5a\xa5\xa5", 4);
    assert_memory_equal(raw + 24, "\xbc\x00\x04\x00\x09\x08\x34\x12\xef\xbe\xad\xde", 12);
    assert_memory_equal(raw + 36, "stm32f030xc\0\0\0\0\0", 16);
    assert_memory_equal(raw + 52, "\xf0\x7f\x00\x20\xc1\x10\x00\x08", 8);
    assert_int_equal(c, ref_crc32(raw, 60));
    assert_int_equal(f0b_get_le32(raw + 60), c);
    memset(&d, 0, sizeof d); /* padding too: the structs are compared byte for byte */
    f0b_hdr_decode(raw, &d);
    h.hdr_crc = c;
    assert_memory_equal(&d, &h, sizeof d);
}

/* Each header field set wrong in m (a copy of the n-byte container c) under a correct
 * header CRC: refused as F0B_IMG_ECNT_FIELD with the message that names it. */
static void field_corruptions(const uint8_t *c, size_t n, uint8_t *m)
{
    static const struct {
        unsigned off;
        uint8_t val;
        const char *needle;
    } f[] = {
        {F0B_IMG_OFF_FLAGS, 0x80, "flag"},
        {F0B_IMG_OFF_VT_LEN, 190, "vector-table length"},
        {F0B_IMG_OFF_VT_LEN, 196, "vector-table length"},
        {F0B_IMG_OFF_PART, 99, "part code"},
        {F0B_IMG_OFF_PART, 3, "does not match"},
        {F0B_IMG_OFF_INIT_SP, 0xF4, "payload words"},
        {F0B_IMG_OFF_RESET_VEC, 0x03, "payload words"},
        {F0B_IMG_OFF_LOAD_ADDR, 0x02, "aligned"},
        /* The bootloader's own rules (f0b_hdr_validate), under valid CRCs. */
        {F0B_IMG_OFF_LOAD_ADDR + 1, 0x00, "not the application start 0x08001000"},
        {F0B_IMG_OFF_INIT_SP + 3, 0x10, "initial stack pointer 0x10007ff0"},
        {F0B_IMG_OFF_INIT_SP, 0xF2, "initial stack pointer 0x20007ff2"},
        {F0B_IMG_OFF_RESET_VEC, 0x00, "not a Thumb address"},
    };
    struct f0b_img_hdr v;
    struct f0b_container_check chk;
    struct f0b_img_error err;

    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        memcpy(m, c, n);
        m[f[i].off] = f[i].val;
        f0b_put_le32(m + 60, ref_crc32(m, 60));
        if (f0b_container_verify(m, n, &v, &chk, &err) != F0B_IMG_ECNT_FIELD ||
            !strstr(err.detail, f[i].needle))
            fail_msg("field case %zu: %s", i, err.detail);
        assert_true(chk.hdr_crc_ok);
    }
}

static void container_build_verify(void **state)
{
    const struct f0b_part *p = f0b_part_by_name("stm32f030xc");
    struct f0b_image img;
    struct f0b_pack_opts o = {p, {1, 2, 3, 4}, 188, F0B_FLAG_VT_LEN_GUESSED};
    struct f0b_img_error err;
    struct f0b_img_hdr h, v;
    struct f0b_container_check chk;
    uint8_t *c = NULL, *m;
    size_t n = 0;
    (void)state;

    make_app(&img, 0x08001000, 300, 0x20007FF0, 0x08001101);
    { /* a gap, so the payload has 0xFF in it */
        uint8_t tail[8] = {1, 2, 3, 4, 5, 6, 7, 8};
        assert_int_equal(f0b_image_add(&img, 0x08001200, tail, 8, &err), 0);
    }
    assert_int_equal(f0b_container_build(&img, &o, &c, &n, &h, &err), 0);
    assert_int_equal(n, 64 + 0x208);
    assert_int_equal(h.payload_size, 0x208);
    assert_int_equal(h.load_addr, 0x08001000);
    assert_int_equal(h.payload_crc, ref_crc32(c + 64, 0x208));
    assert_int_equal(h.hdr_crc, ref_crc32(c, 60));
    assert_int_equal(c[64 + 300], 0xFF);
    assert_int_equal(h.init_sp, 0x20007FF0);
    assert_int_equal(h.reset_vec, 0x08001101);
    assert_int_equal(f0b_container_verify(c, n, &v, &chk, &err), 0);
    assert_true(chk.hdr_crc_ok && chk.payload_crc_ok);
    assert_int_equal(v.ver_build, 4);
    assert_int_equal(v.flags, F0B_FLAG_VT_LEN_GUESSED);
    assert_string_equal(v.part_name, "stm32f030xc");

    m = malloc(n + 1);
    assert_non_null(m);
    /* Each corruption is caught, with the right code. */
    memcpy(m, c, n);
    m[64 + 100] ^= 1;
    assert_int_equal(f0b_container_verify(m, n, &v, &chk, &err), F0B_IMG_ECNT_PAYLOAD_CRC);
    assert_false(chk.payload_crc_ok);
    memcpy(m, c, n);
    m[F0B_IMG_OFF_VER_BUILD] ^= 1;
    assert_int_equal(f0b_container_verify(m, n, &v, &chk, &err), F0B_IMG_ECNT_HDR_CRC);
    assert_false(chk.hdr_crc_ok);
    memcpy(m, c, n);
    assert_int_equal(f0b_container_verify(m, n - 1, &v, &chk, &err), F0B_IMG_ECNT_SIZE);
    assert_non_null(strstr(err.detail, "truncated"));
    m[n] = 0;
    assert_int_equal(f0b_container_verify(m, n + 1, &v, &chk, &err), F0B_IMG_ECNT_SIZE);
    assert_non_null(strstr(err.detail, "extra"));
    assert_int_equal(f0b_container_verify(m, 63, &v, &chk, &err), F0B_IMG_ECNT_SHORT);
    m[0] = 'X';
    assert_int_equal(f0b_container_verify(m, n, &v, &chk, &err), F0B_IMG_ECNT_MAGIC);
    memcpy(m, c, n);
    m[F0B_IMG_OFF_HDR_VERSION] = 3; /* 2 is the encrypted format (test_image_crypt) */
    assert_int_equal(f0b_container_verify(m, n, &v, &chk, &err), F0B_IMG_ECNT_VERSION);
    /* Fields that are wrong under a correct header CRC. */
    field_corruptions(c, n, m);
    free(m);
    free(c);
    f0b_image_free(&img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hex_basic),
        cmocka_unit_test(hex_segment_address_crlf_blank),
        cmocka_unit_test(hex_errors_name_line),
        cmocka_unit_test(hex_descending_records),
        cmocka_unit_test(seg_merge_order_and_gaps),
        cmocka_unit_test(seg_overlap_names_both_ranges),
        cmocka_unit_test(bin_and_sniff),
        cmocka_unit_test(version_strings),
        cmocka_unit_test(parts_and_layout),
        cmocka_unit_test(lint_rules),
        cmocka_unit_test(container_encode_offsets),
        cmocka_unit_test(container_build_verify),
    };
    return cmocka_run_group_tests_name("image_lib", tests, NULL, NULL);
}
