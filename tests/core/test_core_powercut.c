/*
 * Power cuts at every flash operation of a full update, before and in the middle of the
 * operation (torn half-word, partly erased page). After each cut the next boot decision
 * must never report VALID for anything but a complete, correct image (the old one, whose
 * pages are untouched until the record is invalidated, or the new one once committed),
 * and a fresh update must then succeed.
 */
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
static jmp_buf power;

/* What a booting device would start, checked independently of f0b_app_state(). */
static void check_boot_decision(const struct test_img *old, const struct test_img *new_img,
                                uint64_t cut, int kind)
{
    const uint8_t *mem = fake_flash_mem();
    const uint8_t *rec = mem + (L.record_addr - F0B_FLASH_BASE);
    const uint8_t *app = mem + (L.app_start - F0B_FLASH_BASE);
    int st = f0b_app_state(&L);

    if (st != F0B_APP_VALID)
        return;
    /* VALID: the record holds one of the two headers, and the whole payload it describes is
     * in flash, byte for byte. */
    const struct test_img *which = NULL;
    if (old != NULL && memcmp(rec, old->hdr, F0B_IMG_HDR_SIZE) == 0)
        which = old;
    else if (memcmp(rec, new_img->hdr, F0B_IMG_HDR_SIZE) == 0)
        which = new_img;
    if (which == NULL)
        fail_msg("cut %llu kind %d: VALID with a header that is neither image's",
                 (unsigned long long)cut, kind);
    if (memcmp(app, which->payload, which->size) != 0)
        fail_msg("cut %llu kind %d: VALID but the %s image is not intact in flash",
                 (unsigned long long)cut, kind, which == old ? "old" : "new");
}

static uint64_t count_ops(const struct test_img *img)
{
    uint64_t before = fake_flash_ops();
    assert_int_equal(test_update_all(&L, img, 1024), F0B_ST_OK);
    return fake_flash_ops() - before;
}

/* old == NULL: a blank device; otherwise old is committed before each run. */
static void cut_everywhere(const struct test_img *old, const struct test_img *img)
{
    uint64_t total;
    /* volatile: modified between setjmp and longjmp */
    volatile unsigned valid_old = 0, valid_new = 0, stayed = 0;

    fake_flash_init(&L);
    if (old != NULL)
        count_ops(old);
    total = count_ops(img);
    assert_true(total > img->size / 2);

    for (int kind = FAKE_CUT_BEFORE; kind <= FAKE_CUT_TORN; kind++) {
        for (volatile uint64_t n = 0; n < total; n++) {
            fake_flash_init(&L);
            if (old != NULL)
                count_ops(old);
            if (setjmp(power) == 0) {
                fake_flash_arm_cut(n, (enum fake_cut)kind, &power, (uint32_t)n * 31u + 7u);
                test_update_all(&L, img, 1024);
                fail_msg("cut %llu did not fire", (unsigned long long)n);
            }
            assert_true(fake_flash_cut_fired());
            /* Power back on: the boot decision. */
            check_boot_decision(old, img, n, kind);
            int st = f0b_app_state(&L);
            if (st == F0B_APP_VALID) {
                if (old != NULL && memcmp(fake_flash_mem() + (L.record_addr - F0B_FLASH_BASE),
                                          old->hdr, F0B_IMG_HDR_SIZE) == 0)
                    valid_old++;
                else
                    valid_new++;
            } else {
                stayed++;
            }
            /* The device stays in the bootloader (or runs a complete image) and takes a
             * fresh update. */
            assert_int_equal(test_update_all(&L, img, 1024), F0B_ST_OK);
            assert_int_equal(f0b_app_state(&L), F0B_APP_VALID);
            assert_memory_equal(fake_flash_mem() + (L.app_start - F0B_FLASH_BASE), img->payload,
                                img->size);
            assert_int_equal(fake_flash_violations(), 0);
            assert_true(fake_flash_boot_intact());
        }
    }
    /* Sanity of the sweep itself: some cuts kept the old image, the last ones (the commit
     * word's second half-word done) only the new one can be VALID, most stayed. */
    if (old != NULL)
        assert_true(valid_old > 0);
    else
        assert_int_equal(valid_old, 0);
    assert_true(stayed > total);
    print_message("%llu ops x 2 kinds: %u stayed in the bootloader, %u ran the old image, "
                  "%u the new\n",
                  (unsigned long long)total, stayed, valid_old, valid_new);
    fake_flash_free();
}

static void test_cut_blank_device(void **state)
{
    (void)state;
    struct test_img img;
    test_img_make(&img, &L, 2 * 2048 + 301, 11);
    cut_everywhere(NULL, &img);
    test_img_free(&img);
}

static void test_cut_over_old_image(void **state)
{
    (void)state;
    struct test_img old, img;
    test_img_make(&old, &L, 3 * 2048 + 10, 12);
    test_img_make(&img, &L, 2 * 2048 + 301, 13);
    cut_everywhere(&old, &img);
    test_img_free(&old);
    test_img_free(&img);
}

/* Same header again (the host repeats an identical image): a cut must not leave the old,
 * identical-looking record VALID over pages that are being rewritten. */
static void test_cut_same_image(void **state)
{
    (void)state;
    struct test_img img;
    test_img_make(&img, &L, 2048 + 64, 14);
    cut_everywhere(&img, &img);
    test_img_free(&img);
}

/* Cuts on the 1 KB-page F030x8. */
static void test_cut_f030x8(void **state)
{
    (void)state;
    struct test_img old, img;
    assert_int_equal(f0b_layout_init(&L, 3), F0B_ST_OK);
    test_img_make(&old, &L, 1500, 15);
    test_img_make(&img, &L, 2 * 1024 + 9, 16);
    cut_everywhere(&old, &img);
    test_img_free(&old);
    test_img_free(&img);
    assert_int_equal(f0b_layout_init(&L, 4), F0B_ST_OK);
}

int main(void)
{
    assert_int_equal(f0b_layout_init(&L, 4), F0B_ST_OK);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cut_blank_device),
        cmocka_unit_test(test_cut_over_old_image),
        cmocka_unit_test(test_cut_same_image),
        cmocka_unit_test(test_cut_f030x8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
