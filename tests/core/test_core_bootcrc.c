/* The F0B_BOOT_CRC build option: f0b_app_state() re-checks the whole payload at boot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core_util.h"
#include "fake_flash.h"
#include "f0boot/layout.h"

static void test_payload_flip_is_bad(void **state)
{
    (void)state;
    struct f0b_layout l;
    struct test_img img;
    assert_int_equal(f0b_layout_init(&l, 4), F0B_ST_OK);
    fake_flash_init(&l);
    test_img_make(&img, &l, 7000, 21);
    assert_int_equal(test_update_all(&l, &img, 1024), F0B_ST_OK);
    assert_int_equal(f0b_app_state(&l), F0B_APP_VALID);
    /* One bit deep inside the payload, far from the vectors the default build checks. */
    fake_flash_flip(l.app_start + 6999, 0x80);
    assert_int_equal(f0b_app_state(&l), F0B_APP_BAD);
    fake_flash_flip(l.app_start + 6999, 0x80);
    assert_int_equal(f0b_app_state(&l), F0B_APP_VALID);
    test_img_free(&img);
    fake_flash_free();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_payload_flip_is_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
