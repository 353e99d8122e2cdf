/* The update engine and the boot decision against the strict fake flash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>

#include "core_util.h"
#include "fake_flash.h"
#include "f0boot/layout.h"
#include "f0boot/le.h"

static struct f0b_layout L;

static int setup(void **state)
{
    (void)state;
    assert_int_equal(f0b_layout_init(&L, 4), F0B_ST_OK);
    fake_flash_init(&L);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(fake_flash_violations(), 0);
    assert_true(fake_flash_boot_intact());
    fake_flash_free();
    return 0;
}

static const uint8_t *flash_at(uint32_t addr) { return fake_flash_mem() + (addr - F0B_FLASH_BASE); }

static void test_blank_device(void **state)
{
    (void)state;
    assert_int_equal(f0b_app_state(&L), F0B_APP_NONE);
}

static void test_full_update(void **state)
{
    (void)state;
    struct test_img img;
    test_img_make(&img, &L, 2 * 2048 + 777, 1); /* 2.4 pages, odd length */
    assert_int_equal(test_update_all(&L, &img, 1024), F0B_ST_OK);
    assert_int_equal(f0b_app_state(&L), F0B_APP_VALID);
    assert_memory_equal(flash_at(L.app_start), img.payload, img.size);
    /* The odd last byte is padded with the erased value. */
    assert_int_equal(*flash_at(L.app_start + img.size), 0xFF);
    assert_memory_equal(flash_at(L.record_addr), img.hdr, F0B_IMG_HDR_SIZE);
    assert_int_equal(f0b_get_le32(flash_at(L.record_addr + F0B_RECORD_COMMIT_OFF)),
                     F0B_COMMIT_MAGIC);
    /* Only the pages needed: 3 application pages and the record page, once each. */
    assert_int_equal(fake_flash_erases(), 4);
    assert_int_equal(fake_flash_page_erases(L.app_start + 3 * 2048u), 0);
    assert_int_equal(fake_flash_page_erases(L.record_addr), 1);
    test_img_free(&img);
}

static void test_states(void **state)
{
    (void)state;
    struct test_img img;
    struct f0b_update u;
    uint32_t crc;
    test_img_make(&img, &L, 3000, 2);
    f0b_update_init(&u, &L);
    assert_int_equal(f0b_update_begin(&u, img.hdr), F0B_ST_OK);
    assert_int_equal(f0b_app_state(&L), F0B_APP_UNCOMMITTED);
    assert_int_equal(f0b_update_write(&u, 0, img.payload, img.size, 0), F0B_ST_OK);
    assert_int_equal(f0b_app_state(&L), F0B_APP_UNCOMMITTED);
    assert_int_equal(f0b_update_end(&u, &crc), F0B_ST_OK);
    assert_int_equal(crc, crc32(0L, img.payload, img.size));
    assert_int_equal(f0b_app_state(&L), F0B_APP_VALID);
    /* Repeating END after the commit answers OK again and programs nothing. */
    uint64_t ops = fake_flash_ops();
    assert_int_equal(f0b_update_end(&u, &crc), F0B_ST_OK);
    assert_int_equal(fake_flash_ops(), ops);

    /* Committed, but word 0 of the payload no longer matches the header's init_sp. */
    fake_flash_flip(L.app_start, 0x04);
    assert_int_equal(f0b_app_state(&L), F0B_APP_BAD);
    fake_flash_flip(L.app_start, 0x04);
    /* ... reset vector */
    fake_flash_flip(L.app_start + 5, 0x01);
    assert_int_equal(f0b_app_state(&L), F0B_APP_BAD);
    fake_flash_flip(L.app_start + 5, 0x01);
    /* ... the record's header */
    fake_flash_flip(L.record_addr + 20, 0x01);
    assert_int_equal(f0b_app_state(&L), F0B_APP_BAD);
    fake_flash_flip(L.record_addr + 20, 0x01);
    /* ... commit word one bit off */
    fake_flash_flip(L.record_addr + F0B_RECORD_COMMIT_OFF, 0x01);
    assert_int_equal(f0b_app_state(&L), F0B_APP_UNCOMMITTED);
    fake_flash_flip(L.record_addr + F0B_RECORD_COMMIT_OFF, 0x01);
    assert_int_equal(f0b_app_state(&L), F0B_APP_VALID);
    /* Without F0B_BOOT_CRC a payload byte past the vectors is not checked at boot. */
    fake_flash_flip(L.app_start + 2000, 0x01);
    assert_int_equal(f0b_app_state(&L), F0B_APP_VALID);
    test_img_free(&img);
}

static void test_verify_fails(void **state)
{
    (void)state;
    struct test_img img;
    struct f0b_update u;
    uint32_t crc;
    test_img_make(&img, &L, 3000, 3);
    /* The header promises a payload other than the one sent. */
    f0b_update_init(&u, &L);
    assert_int_equal(f0b_update_begin(&u, img.hdr), F0B_ST_OK);
    img.payload[1500] ^= 0x10;
    assert_int_equal(f0b_update_write(&u, 0, img.payload, img.size, 0), F0B_ST_OK);
    assert_int_equal(f0b_update_end(&u, &crc), F0B_ST_VERIFY);
    assert_int_equal(crc, crc32(0L, img.payload, img.size));
    assert_int_equal(f0b_app_state(&L), F0B_APP_UNCOMMITTED);
    img.payload[1500] ^= 0x10;

    /* Consistent crc, but the header's init_sp is not payload word 0. */
    uint8_t h[F0B_IMG_HDR_SIZE];
    memcpy(h, img.hdr, sizeof h);
    f0b_put_le32(h + F0B_IMG_OFF_INIT_SP, f0b_get_le32(img.payload) - 4);
    test_hdr_fix_crc(h);
    f0b_update_init(&u, &L);
    assert_int_equal(f0b_update_begin(&u, h), F0B_ST_OK);
    assert_int_equal(f0b_update_write(&u, 0, img.payload, img.size, 0), F0B_ST_OK);
    assert_int_equal(f0b_update_end(&u, &crc), F0B_ST_VERIFY);
    assert_int_equal(f0b_app_state(&L), F0B_APP_UNCOMMITTED);
    /* ... and reset_vec */
    memcpy(h, img.hdr, sizeof h);
    f0b_put_le32(h + F0B_IMG_OFF_RESET_VEC, f0b_get_le32(img.payload + 4) + 2);
    test_hdr_fix_crc(h);
    f0b_update_init(&u, &L);
    assert_int_equal(f0b_update_begin(&u, h), F0B_ST_OK);
    assert_int_equal(f0b_update_write(&u, 0, img.payload, img.size, 0), F0B_ST_OK);
    assert_int_equal(f0b_update_end(&u, &crc), F0B_ST_VERIFY);
    assert_int_equal(f0b_app_state(&L), F0B_APP_UNCOMMITTED);
    test_img_free(&img);
}

static void test_write_rules(void **state)
{
    (void)state;
    struct test_img img;
    struct f0b_update u;
    uint32_t crc;
    test_img_make(&img, &L, 3 * 2048 + 100, 4);
    f0b_update_init(&u, &L);
    assert_int_equal(f0b_update_write(&u, 0, img.payload, 2, 0), F0B_ST_BAD_STATE);
    assert_int_equal(f0b_update_begin(&u, img.hdr), F0B_ST_OK);
    /* A repeated BEGIN with the same header touches nothing. */
    uint64_t ops = fake_flash_ops();
    assert_int_equal(f0b_update_begin(&u, img.hdr), F0B_ST_OK);
    assert_int_equal(fake_flash_ops(), ops);

    assert_int_equal(f0b_update_write(&u, 0, img.payload, 1024, 0), F0B_ST_OK);
    assert_int_equal(u.next, 1024);
    /* Beyond next without SEEK: out of order, nothing written. */
    ops = fake_flash_ops();
    assert_int_equal(f0b_update_write(&u, 2048, img.payload + 2048, 1024, 0), F0B_ST_OUT_OF_ORDER);
    /* SEEK must land on a page boundary. */
    assert_int_equal(f0b_update_write(&u, 1536, img.payload + 1536, 512, 1), F0B_ST_OUT_OF_ORDER);
    assert_int_equal(fake_flash_ops(), ops);
    /* A repeat of an answered frame: OK, nothing written. */
    assert_int_equal(f0b_update_write(&u, 0, img.payload, 1024, 0), F0B_ST_OK);
    assert_int_equal(fake_flash_ops(), ops);
    /* Odd length before the end of the payload. */
    assert_int_equal(f0b_update_write(&u, 1024, img.payload + 1024, 101, 0), F0B_ST_BAD_LEN);
    /* Past the payload; zero length; offset arithmetic that would wrap. */
    assert_int_equal(f0b_update_write(&u, img.size - 2, img.payload, 4, 0), F0B_ST_BAD_LEN);
    assert_int_equal(f0b_update_write(&u, 1024, img.payload, 0, 0), F0B_ST_BAD_LEN);
    assert_int_equal(f0b_update_write(&u, 0xFFFFFFFEu, img.payload, 4, 0), F0B_ST_BAD_LEN);
    assert_int_equal(fake_flash_ops(), ops);
    /* Overlapping frame: only the new part is programmed. */
    assert_int_equal(f0b_update_write(&u, 512, img.payload + 512, 1536, 0), F0B_ST_OK);
    assert_int_equal(u.next, 2048);
    /* Seek over page 1 (it stays as whatever is there) to page 2. */
    assert_int_equal(f0b_update_write(&u, 4096, img.payload + 4096, img.size - 4096, 1), F0B_ST_OK);
    assert_int_equal(fake_flash_page_erases(L.app_start + 2048u), 0);
    assert_int_equal(fake_flash_page_erases(L.app_start + 4096u), 1);
    assert_int_equal(fake_flash_page_erases(L.app_start + 6144u), 1);
    /* The page kept as-is holds no payload (still erased): END must see the mismatch. */
    assert_int_equal(f0b_update_end(&u, &crc), F0B_ST_VERIFY);
    test_img_free(&img);
}

/* Resume: the pages of an interrupted update that the host proved intact are skipped with
 * SEEK; END's read-back crc over the whole payload accepts them. */
static void test_seek_resume(void **state)
{
    (void)state;
    struct test_img img;
    struct f0b_update u;
    uint32_t crc;
    test_img_make(&img, &L, 4 * 2048, 5);
    f0b_update_init(&u, &L);
    assert_int_equal(f0b_update_begin(&u, img.hdr), F0B_ST_OK);
    assert_int_equal(f0b_update_write(&u, 0, img.payload, 3 * 2048, 0), F0B_ST_OK);
    /* "Power cut": a new session, the host skips the first three pages. */
    f0b_update_init(&u, &L);
    assert_int_equal(f0b_update_begin(&u, img.hdr), F0B_ST_OK);
    assert_int_equal(f0b_update_write(&u, 3 * 2048, img.payload + 3 * 2048, 2048, 1), F0B_ST_OK);
    assert_int_equal(f0b_update_end(&u, &crc), F0B_ST_OK);
    assert_int_equal(f0b_app_state(&L), F0B_APP_VALID);
    assert_int_equal(fake_flash_page_erases(L.app_start), 1);
    assert_int_equal(fake_flash_page_erases(L.app_start + 3 * 2048u), 1);
    test_img_free(&img);
}

/* A second image replaces the first; a BEGIN with another header restarts the session. */
static void test_second_version(void **state)
{
    (void)state;
    struct test_img a, b;
    struct f0b_update u;
    test_img_make(&a, &L, 5000, 6);
    test_img_make(&b, &L, 9000, 7);
    assert_int_equal(test_update_all(&L, &a, 1024), F0B_ST_OK);
    f0b_update_init(&u, &L);
    assert_int_equal(f0b_update_begin(&u, a.hdr), F0B_ST_OK);
    assert_int_equal(f0b_update_write(&u, 0, a.payload, 2048, 0), F0B_ST_OK);
    assert_int_equal(f0b_update_begin(&u, b.hdr), F0B_ST_OK);
    assert_int_equal(u.next, 0);
    assert_int_equal(test_update_all(&L, &b, 1000), F0B_ST_OK);
    assert_int_equal(f0b_app_state(&L), F0B_APP_VALID);
    assert_memory_equal(flash_at(L.app_start), b.payload, b.size);
    assert_memory_equal(flash_at(L.record_addr), b.hdr, F0B_IMG_HDR_SIZE);
    test_img_free(&a);
    test_img_free(&b);
}

/* The largest image the region holds, on the small F030x8 (1 KB pages) too. */
static void test_full_region(void **state)
{
    (void)state;
    struct f0b_layout l8;
    struct test_img img;
    assert_int_equal(f0b_layout_init(&l8, 3), F0B_ST_OK);
    fake_flash_init(&l8);
    test_img_make(&img, &l8, l8.app_size, 8);
    assert_int_equal(test_update_all(&l8, &img, 1024), F0B_ST_OK);
    assert_int_equal(f0b_app_state(&l8), F0B_APP_VALID);
    assert_int_equal(fake_flash_erases(), l8.app_size / 1024 + 1);
    assert_int_equal(fake_flash_violations(), 0);
    assert_true(fake_flash_boot_intact());
    test_img_free(&img);
    fake_flash_init(&L);
}

/* A flash error closes the session: DATA is refused until a new BEGIN. */
static void test_flash_error_closes(void **state)
{
    (void)state;
    struct test_img img;
    struct f0b_update u;
    test_img_make(&img, &L, 4096, 9);
    f0b_update_init(&u, &L);
    assert_int_equal(f0b_update_begin(&u, img.hdr), F0B_ST_OK);
    assert_int_equal(f0b_update_write(&u, 0, img.payload, 1024, 0), F0B_ST_OK);
    /* Somebody else programmed a cell the session has not reached yet. */
    fake_flash_mem()[L.app_start - F0B_FLASH_BASE + 1024] = 0x00;
    assert_int_equal(f0b_update_write(&u, 1024, img.payload + 1024, 1024, 0), F0B_ST_FLASH_PROGRAM);
    assert_int_equal(fake_flash_violations(), 1);
    assert_int_equal(f0b_update_write(&u, 1024, img.payload + 1024, 1024, 0), F0B_ST_BAD_STATE);
    /* Starting again erases the page afresh and succeeds. */
    assert_int_equal(test_update_all(&L, &img, 1024), F0B_ST_OK);
    assert_int_equal(f0b_app_state(&L), F0B_APP_VALID);
    test_img_free(&img);
    fake_flash_init(&L); /* the deliberate violation is not the teardown's concern */
}

/* Issue 13 defect 1: after END found a mismatch, flashing the same image again must rewrite
 * it. The BEGIN that follows starts over (record erased again, next = 0), so the DATA frames
 * are programmed rather than taken for repeats, and the update is cured. */
static void test_begin_after_failed_end(void **state)
{
    (void)state;
    struct test_img img;
    struct f0b_update u;
    uint32_t crc;
    test_img_make(&img, &L, 2 * 2048 + 300, 10);
    f0b_update_init(&u, &L);
    assert_int_equal(f0b_update_begin(&u, img.hdr), F0B_ST_OK);
    assert_int_equal(f0b_update_write(&u, 0, img.payload, img.size, 0), F0B_ST_OK);
    fake_flash_flip(L.app_start + 3000, 0x08); /* a cell that did not hold */
    assert_int_equal(f0b_update_end(&u, &crc), F0B_ST_VERIFY);

    uint64_t rec = fake_flash_page_erases(L.record_addr);
    assert_int_equal(f0b_update_begin(&u, img.hdr), F0B_ST_OK);
    assert_int_equal(fake_flash_page_erases(L.record_addr), rec + 1);
    assert_int_equal(u.next, 0);
    for (uint32_t off = 0; off < img.size; off += 1024) {
        uint32_t n = img.size - off < 1024 ? img.size - off : 1024;
        assert_int_equal(f0b_update_write(&u, off, img.payload + off, n, 0), F0B_ST_OK);
    }
    assert_int_equal(fake_flash_page_erases(L.app_start + 2048u), 2); /* rewritten */
    assert_int_equal(f0b_update_end(&u, &crc), F0B_ST_OK);
    assert_int_equal(f0b_app_state(&L), F0B_APP_VALID);
    assert_memory_equal(flash_at(L.app_start), img.payload, img.size);
    test_img_free(&img);
}

/* Only a resend of BEGIN (nothing in between) keeps the session; after DATA the same BEGIN
 * starts over: the host restarted the whole transfer and must get every page rewritten. */
static void test_begin_after_data_starts_over(void **state)
{
    (void)state;
    struct test_img img;
    struct f0b_update u;
    test_img_make(&img, &L, 3 * 2048, 11);
    f0b_update_init(&u, &L);
    assert_int_equal(f0b_update_begin(&u, img.hdr), F0B_ST_OK);
    assert_int_equal(f0b_update_write(&u, 0, img.payload, 2048, 0), F0B_ST_OK);
    assert_int_equal(f0b_update_begin(&u, img.hdr), F0B_ST_OK);
    assert_int_equal(u.next, 0);
    assert_int_equal(fake_flash_page_erases(L.record_addr), 2);
    /* A refused DATA counts as something in between as well. */
    assert_int_equal(f0b_update_write(&u, 4096, img.payload, 2, 0), F0B_ST_OUT_OF_ORDER);
    assert_int_equal(f0b_update_begin(&u, img.hdr), F0B_ST_OK);
    assert_int_equal(fake_flash_page_erases(L.record_addr), 3);
    assert_int_equal(f0b_update_write(&u, 0, img.payload, img.size, 0), F0B_ST_OK);
    assert_int_equal(fake_flash_page_erases(L.app_start), 2);
    test_img_free(&img);
}

/* Issue 13 defect 2: an update that skipped its last pages with SEEK and committed leaves
 * next short of the payload. Flashing again in the same bootloader session (f0boot flash
 * --skip-unchanged --no-boot, then f0boot flash) must start over and succeed, not refuse the
 * first new write because the old session was committed. */
static void test_flash_again_after_commit(void **state)
{
    (void)state;
    struct test_img img;
    struct f0b_update u;
    uint32_t crc;
    test_img_make(&img, &L, 4 * 2048, 12);
    assert_int_equal(test_update_all(&L, &img, 1024), F0B_ST_OK);
    /* --skip-unchanged: only page 1 differed; pages 2 and 3 are kept. */
    f0b_update_init(&u, &L);
    assert_int_equal(f0b_update_begin(&u, img.hdr), F0B_ST_OK);
    assert_int_equal(f0b_update_write(&u, 2048, img.payload + 2048, 2048, 1), F0B_ST_OK);
    assert_int_equal(f0b_update_end(&u, &crc), F0B_ST_OK);
    assert_int_equal(u.next, 4096);
    /* --no-boot kept the bootloader and this session: a plain flash of the same image. */
    assert_int_equal(f0b_update_begin(&u, img.hdr), F0B_ST_OK);
    assert_int_equal(f0b_app_state(&L), F0B_APP_UNCOMMITTED);
    for (uint32_t off = 0; off < img.size; off += 1024)
        assert_int_equal(f0b_update_write(&u, off, img.payload + off, 1024, 0), F0B_ST_OK);
    assert_int_equal(f0b_update_end(&u, &crc), F0B_ST_OK);
    assert_int_equal(f0b_app_state(&L), F0B_APP_VALID);
    assert_int_equal(fake_flash_page_erases(L.app_start + 3 * 2048u), 2);
    test_img_free(&img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_blank_device, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_states, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seek_resume, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_region, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flash_error_closes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_begin_after_failed_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_begin_after_data_starts_over, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flash_again_after_commit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
