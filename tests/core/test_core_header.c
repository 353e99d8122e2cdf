/* Layout and header validation: every rule of f0b_hdr_validate() meets a hostile header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core_util.h"
#include "fake_flash.h"
#include "f0boot/layout.h"
#include "f0boot/le.h"

#define PART_F030XC 4

static struct f0b_layout L;
static struct test_img IMG;

static int setup(void **state)
{
    (void)state;
    assert_int_equal(f0b_layout_init(&L, PART_F030XC), F0B_ST_OK);
    fake_flash_init(&L);
    test_img_make(&IMG, &L, 5000, 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    test_img_free(&IMG);
    fake_flash_free();
    return 0;
}

/* Copy of the good header with one 32-bit / 16-bit field changed and the crc redone. */
static int with32(unsigned off, uint32_t v)
{
    uint8_t h[F0B_IMG_HDR_SIZE];
    memcpy(h, IMG.hdr, sizeof h);
    f0b_put_le32(h + off, v);
    test_hdr_fix_crc(h);
    return f0b_hdr_validate(&L, h);
}

static int with16(unsigned off, uint16_t v)
{
    uint8_t h[F0B_IMG_HDR_SIZE];
    memcpy(h, IMG.hdr, sizeof h);
    f0b_put_le16(h + off, v);
    test_hdr_fix_crc(h);
    return f0b_hdr_validate(&L, h);
}

static void test_layout_parts(void **state)
{
    (void)state;
    struct f0b_layout l;
    /* Figures from the reference sheet's memory map, independent of parts.def. */
    assert_int_equal(f0b_layout_init(&l, 4), F0B_ST_OK);
    assert_int_equal(l.flash_size, 256u * 1024u);
    assert_int_equal(l.page_size, 2048);
    assert_int_equal(l.app_start, 0x08001000u);
    assert_int_equal(l.record_addr, 0x0803F800u);
    assert_int_equal(l.app_size, 0x0803F800u - 0x08001000u);
    assert_int_equal(l.sram_start, 0x20000000u);
    assert_int_equal(l.sram_size, 32u * 1024u);
    assert_int_equal(f0b_layout_init(&l, 3), F0B_ST_OK); /* F030x8 */
    assert_int_equal(l.record_addr, 0x0800FC00u);
    assert_int_equal(l.page_size, 1024);
    assert_int_equal(l.sram_size, 8u * 1024u);
    assert_int_equal(f0b_layout_init(&l, 7), F0B_ST_OK); /* F072xB */
    assert_int_equal(l.record_addr, 0x0801F800u);
    assert_int_equal(l.sram_size, 16u * 1024u);
    assert_int_equal(f0b_layout_init(&l, 0), F0B_ST_HDR_PART);
    assert_int_equal(f0b_layout_init(&l, 99), F0B_ST_HDR_PART);
}

static void test_parse(void **state)
{
    (void)state;
    struct f0b_img_hdr h;
    f0b_hdr_decode(IMG.hdr, &h);
    assert_int_equal(h.magic, F0B_IMG_MAGIC);
    assert_int_equal(h.load_addr, L.app_start);
    assert_int_equal(h.payload_size, 5000);
    assert_int_equal(h.vt_len, 188);
    assert_int_equal(h.part, PART_F030XC);
    assert_int_equal(h.init_sp, f0b_get_le32(IMG.payload));
    assert_int_equal(h.reset_vec, f0b_get_le32(IMG.payload + 4));
    assert_string_equal(h.part_name, "test");
    /* A part name that fills all 16 bytes still comes out NUL-terminated. */
    uint8_t raw[F0B_IMG_HDR_SIZE];
    memcpy(raw, IMG.hdr, sizeof raw);
    memset(raw + F0B_IMG_OFF_PART_NAME, 'x', F0B_IMG_PART_NAME_LEN);
    f0b_hdr_decode(raw, &h);
    assert_int_equal(strlen(h.part_name), F0B_IMG_PART_NAME_LEN);
}

static void test_good(void **state)
{
    (void)state;
    assert_int_equal(f0b_hdr_validate(&L, IMG.hdr), F0B_ST_OK);
}

static void test_magic(void **state)
{
    (void)state;
    assert_int_equal(with32(F0B_IMG_OFF_MAGIC, 0x4D49304Eu), F0B_ST_HDR_MAGIC);
    assert_int_equal(with32(F0B_IMG_OFF_MAGIC, 0xFFFFFFFFu), F0B_ST_HDR_MAGIC);
}

static void test_version(void **state)
{
    (void)state;
    assert_int_equal(with16(F0B_IMG_OFF_HDR_VERSION, 2), F0B_ST_HDR_VERSION);
    assert_int_equal(with16(F0B_IMG_OFF_HDR_VERSION, 0), F0B_ST_HDR_VERSION);
    assert_int_equal(with16(F0B_IMG_OFF_HDR_SIZE, 65), F0B_ST_HDR_VERSION);
    assert_int_equal(with16(F0B_IMG_OFF_HDR_SIZE, 60), F0B_ST_HDR_VERSION);
}

static void test_crc(void **state)
{
    (void)state;
    uint8_t h[F0B_IMG_HDR_SIZE];
    /* Any single changed bit anywhere in the covered bytes, and in the crc itself. */
    for (unsigned bit = 0; bit < F0B_IMG_HDR_SIZE * 8; bit++) {
        if (bit / 8 < F0B_IMG_OFF_HDR_SIZE + 2)
            continue; /* magic/version/size have their own codes */
        memcpy(h, IMG.hdr, sizeof h);
        h[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        assert_int_equal(f0b_hdr_validate(&L, h), F0B_ST_HDR_CRC);
    }
}

static void test_addr(void **state)
{
    (void)state;
    assert_int_equal(with32(F0B_IMG_OFF_LOAD_ADDR, F0B_FLASH_BASE), F0B_ST_HDR_ADDR);
    assert_int_equal(with32(F0B_IMG_OFF_LOAD_ADDR, L.app_start + 4), F0B_ST_HDR_ADDR);
    assert_int_equal(with32(F0B_IMG_OFF_LOAD_ADDR, L.app_start - L.page_size), F0B_ST_HDR_ADDR);
    assert_int_equal(with32(F0B_IMG_OFF_LOAD_ADDR, 0x20000000u), F0B_ST_HDR_ADDR);
}

static void test_size(void **state)
{
    (void)state;
    assert_int_equal(with32(F0B_IMG_OFF_PAYLOAD_SIZE, 0), F0B_ST_HDR_SIZE);
    assert_int_equal(with32(F0B_IMG_OFF_PAYLOAD_SIZE, 7), F0B_ST_HDR_SIZE);
    /* Exactly the region is fine; one byte more would reach the record page. */
    assert_int_equal(with32(F0B_IMG_OFF_PAYLOAD_SIZE, L.app_size), F0B_ST_OK);
    assert_int_equal(with32(F0B_IMG_OFF_PAYLOAD_SIZE, L.app_size + 1), F0B_ST_HDR_SIZE);
    /* A size that wraps 32-bit address arithmetic. */
    assert_int_equal(with32(F0B_IMG_OFF_PAYLOAD_SIZE, 0xFFFFFFF0u), F0B_ST_HDR_SIZE);
}

static void test_vt_len(void **state)
{
    (void)state;
    assert_int_equal(with16(F0B_IMG_OFF_VT_LEN, 0), F0B_ST_HDR_VT_LEN);
    assert_int_equal(with16(F0B_IMG_OFF_VT_LEN, 4), F0B_ST_HDR_VT_LEN);
    assert_int_equal(with16(F0B_IMG_OFF_VT_LEN, 8), F0B_ST_OK);
    assert_int_equal(with16(F0B_IMG_OFF_VT_LEN, 190), F0B_ST_HDR_VT_LEN);
    assert_int_equal(with16(F0B_IMG_OFF_VT_LEN, 192), F0B_ST_OK);
    assert_int_equal(with16(F0B_IMG_OFF_VT_LEN, 196), F0B_ST_HDR_VT_LEN);
    assert_int_equal(with16(F0B_IMG_OFF_VT_LEN, 0xFFFC), F0B_ST_HDR_VT_LEN);
}

static void test_vt_len_past_payload(void **state)
{
    (void)state;
    uint8_t h[F0B_IMG_HDR_SIZE];
    memcpy(h, IMG.hdr, sizeof h);
    f0b_put_le32(h + F0B_IMG_OFF_PAYLOAD_SIZE, 64);
    f0b_put_le32(h + F0B_IMG_OFF_RESET_VEC, (L.app_start + 0x20u) | 1u);
    test_hdr_fix_crc(h);
    assert_int_equal(f0b_hdr_validate(&L, h), F0B_ST_HDR_VT_LEN); /* vt_len 188 > 64 */
}

static void test_part(void **state)
{
    (void)state;
    assert_int_equal(with16(F0B_IMG_OFF_PART, 3), F0B_ST_HDR_PART);
    assert_int_equal(with16(F0B_IMG_OFF_PART, 8), F0B_ST_HDR_PART); /* same chip id 0x442 */
    assert_int_equal(with16(F0B_IMG_OFF_PART, 0), F0B_ST_HDR_PART);
}

static void test_sp(void **state)
{
    (void)state;
    uint32_t end = L.sram_start + L.sram_size;
    assert_int_equal(with32(F0B_IMG_OFF_INIT_SP, end), F0B_ST_OK);
    assert_int_equal(with32(F0B_IMG_OFF_INIT_SP, end + 4), F0B_ST_HDR_SP);
    assert_int_equal(with32(F0B_IMG_OFF_INIT_SP, end - 2), F0B_ST_HDR_SP);
    assert_int_equal(with32(F0B_IMG_OFF_INIT_SP, L.sram_start + F0B_VT_MAX), F0B_ST_HDR_SP);
    assert_int_equal(with32(F0B_IMG_OFF_INIT_SP, L.sram_start + F0B_VT_MAX + 4), F0B_ST_OK);
    assert_int_equal(with32(F0B_IMG_OFF_INIT_SP, L.app_start + 0x100u), F0B_ST_HDR_SP);
    assert_int_equal(with32(F0B_IMG_OFF_INIT_SP, 0), F0B_ST_HDR_SP);
    assert_int_equal(with32(F0B_IMG_OFF_INIT_SP, 0xFFFFFFFCu), F0B_ST_HDR_SP);
}

static void test_reset(void **state)
{
    (void)state;
    uint32_t a = L.app_start;
    assert_int_equal(with32(F0B_IMG_OFF_RESET_VEC, a + 0xC0u), F0B_ST_HDR_RESET); /* no Thumb */
    assert_int_equal(with32(F0B_IMG_OFF_RESET_VEC, (a + 4u) | 1u), F0B_ST_HDR_RESET);
    assert_int_equal(with32(F0B_IMG_OFF_RESET_VEC, (a + 8u) | 1u), F0B_ST_OK);
    assert_int_equal(with32(F0B_IMG_OFF_RESET_VEC, (a + 4998u) | 1u), F0B_ST_OK);
    assert_int_equal(with32(F0B_IMG_OFF_RESET_VEC, (a + 5000u) | 1u), F0B_ST_HDR_RESET);
    assert_int_equal(with32(F0B_IMG_OFF_RESET_VEC, 0x08000101u), F0B_ST_HDR_RESET); /* bootloader */
    assert_int_equal(with32(F0B_IMG_OFF_RESET_VEC, 0x20000101u), F0B_ST_HDR_RESET); /* SRAM */
    assert_int_equal(with32(F0B_IMG_OFF_RESET_VEC, 0xFFFFFFFFu), F0B_ST_HDR_RESET);
}

/* Each rule holds on the other parts too: a header built for F030xC fails on F030x8 by part,
 * and a header built for F030x8 validates there. */
static void test_other_part(void **state)
{
    (void)state;
    struct f0b_layout l8;
    struct test_img img8;
    assert_int_equal(f0b_layout_init(&l8, 3), F0B_ST_OK);
    assert_int_equal(f0b_hdr_validate(&l8, IMG.hdr), F0B_ST_HDR_PART);
    test_img_make(&img8, &l8, 3000, 2);
    assert_int_equal(f0b_hdr_validate(&l8, img8.hdr), F0B_ST_OK);
    /* F030xC's stack top (32 KB) is outside the F030x8's 8 KB of SRAM. */
    uint8_t h[F0B_IMG_HDR_SIZE];
    memcpy(h, img8.hdr, sizeof h);
    f0b_put_le32(h + F0B_IMG_OFF_INIT_SP, 0x20008000u);
    test_hdr_fix_crc(h);
    assert_int_equal(f0b_hdr_validate(&l8, h), F0B_ST_HDR_SP);
    test_img_free(&img8);
}

/* A hostile header is refused by BEGIN before a single flash operation. */
static void test_begin_touches_nothing(void **state)
{
    (void)state;
    struct f0b_update u;
    uint8_t h[F0B_IMG_HDR_SIZE];
    uint64_t ops = fake_flash_ops();
    f0b_update_init(&u, &L);
    memcpy(h, IMG.hdr, sizeof h);
    f0b_put_le32(h + F0B_IMG_OFF_LOAD_ADDR, F0B_FLASH_BASE); /* aim at the bootloader */
    test_hdr_fix_crc(h);
    assert_int_equal(f0b_update_begin(&u, h), F0B_ST_HDR_ADDR);
    assert_int_equal(f0b_update_write(&u, 0, IMG.payload, 64, 0), F0B_ST_BAD_STATE);
    uint32_t crc;
    assert_int_equal(f0b_update_end(&u, &crc), F0B_ST_BAD_STATE);
    assert_int_equal(fake_flash_ops(), ops);
    assert_true(fake_flash_boot_intact());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_parts),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_magic),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_crc),
        cmocka_unit_test(test_addr),
        cmocka_unit_test(test_size),
        cmocka_unit_test(test_vt_len),
        cmocka_unit_test(test_vt_len_past_payload),
        cmocka_unit_test(test_part),
        cmocka_unit_test(test_sp),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_other_part),
        cmocka_unit_test(test_begin_touches_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
