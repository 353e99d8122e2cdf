/*
 * The first step of an update, the plan (libflash/src/plan.c), without a device: chunk
 * size from the device's geometry, chunks inside pages, SEEK exactly where a chunk does
 * not follow the one before, only the pages still needed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "update.h"

static struct f0b_dev_info dev(uint16_t page, uint16_t max_data)
{
    struct f0b_dev_info d;

    memset(&d, 0, sizeof d);
    d.page_size = page;
    d.max_data = max_data;
    d.window = 3;
    return d;
}

static void test_plan_geometry(void **state)
{
    struct f0b_dev_info d = dev(2048, 1024);
    struct f0b_plan p;
    (void)state;

    assert_int_equal(f0b_plan_init(&p, &d, 5000, 0x1234), 0);
    assert_int_equal(p.chunk, 1024);
    assert_int_equal(p.npages, 3);
    f0b_plan_chunks(&p);
    assert_int_equal(p.nch, 5);
    assert_int_equal(p.wbytes, 5000);
    for (uint32_t i = 0; i < p.nch; i++) {
        assert_int_equal(p.ch[i].off, i * 1024);
        assert_false(p.ch[i].seek);
    }
    assert_int_equal(p.ch[4].len, 5000 - 4096);
    f0b_plan_free(&p);

    /* a max_data that does not divide the page: chunks shrink until they do */
    d = dev(1024, 1000);
    assert_int_equal(f0b_plan_init(&p, &d, 3000, 0), 0);
    assert_int_equal(1024 % p.chunk, 0);
    assert_int_equal(p.chunk, 512);
    f0b_plan_free(&p);

    /* a max_data larger than the page: one chunk per page */
    d = dev(1024, 1024);
    assert_int_equal(f0b_plan_init(&p, &d, 1024, 0), 0);
    assert_int_equal(p.chunk, 1024);
    f0b_plan_free(&p);

    /* nothing to send */
    assert_int_equal(f0b_plan_init(&p, &d, 0, 0), F0B_E_ARG);
    f0b_plan_free(&p);
}

static void test_plan_skipped_pages(void **state)
{
    struct f0b_dev_info d = dev(2048, 1024);
    struct f0b_plan p;
    (void)state;

    assert_int_equal(f0b_plan_init(&p, &d, 5 * 2048 + 10, 0), 0);
    assert_int_equal(p.npages, 6);
    p.need[0] = 0; /* intact on the device */
    p.need[2] = 0;
    p.need[3] = 0;
    f0b_plan_chunks(&p);
    /* pages 1, 4 and 5: two chunks, two chunks, one short chunk */
    assert_int_equal(p.nch, 5);
    assert_int_equal(p.ch[0].off, 2048);
    assert_true(p.ch[0].seek); /* does not start at 0 */
    assert_int_equal(p.ch[1].off, 3072);
    assert_false(p.ch[1].seek);
    assert_int_equal(p.ch[2].off, 4 * 2048);
    assert_true(p.ch[2].seek); /* pages 2 and 3 skipped */
    assert_false(p.ch[3].seek);
    assert_int_equal(p.ch[4].off, 5 * 2048);
    assert_false(p.ch[4].seek); /* page 5 follows page 4 */
    assert_int_equal(p.ch[4].len, 10);
    assert_int_equal(p.wbytes, 2048 + 2048 + 10);
    f0b_plan_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_geometry),
        cmocka_unit_test(test_plan_skipped_pages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
