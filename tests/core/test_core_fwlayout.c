/*
 * The linker layout of the firmware (f0b_layout.ld, computed by the ARM compiler from
 * layout.h at configure time) and the core's f0b_layout_init() (computed on the host from
 * parts.def) must describe the same memory: a bootloader built from one and an update engine
 * working from the other would otherwise disagree about where the application and the record
 * are. argv: the firmware build directory, then part code and part name pairs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "f0b_core.h"
#include "f0boot/layout.h"

static const char *fw_dir;
static char **pairs;
static int npairs;

/* Find "NAME (..) : ORIGIN = x, LENGTH = y" in the file text. */
static void region(const char *text, const char *name, uint32_t *origin, uint32_t *length)
{
    char key[32];
    snprintf(key, sizeof key, "    %s (", name);
    const char *p = strstr(text, key);
    assert_non_null(p);
    p = strstr(p, "ORIGIN = ");
    assert_non_null(p);
    *origin = (uint32_t)strtoul(p + 9, NULL, 0);
    p = strstr(p, "LENGTH = ");
    assert_non_null(p);
    *length = (uint32_t)strtoul(p + 9, NULL, 0);
}

static void check_part(uint16_t code, const char *name)
{
    char path[1024], text[8192];
    snprintf(path, sizeof path, "%s/parts/%s/f0b_layout.ld", fw_dir, name);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(path, sizeof path, "%s/bootloader/f0b_layout.ld", fw_dir);
        f = fopen(path, "r");
    }
    assert_non_null(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    assert_non_null(strstr(text, name)); /* the file says which part it is for */

    struct f0b_layout l;
    assert_int_equal(f0b_layout_init(&l, code), F0B_ST_OK);
    uint32_t o, len;
    region(text, "BOOTLOADER", &o, &len);
    assert_int_equal(o, F0B_FLASH_BASE);
    assert_int_equal(o + len, l.app_start);
    region(text, "FIRMWARE", &o, &len);
    assert_int_equal(o, l.app_start);
    assert_int_equal(len, l.app_size);
    region(text, "RECORD", &o, &len);
    assert_int_equal(o, l.record_addr);
    assert_int_equal(len, l.page_size);
    assert_int_equal(o + len, F0B_FLASH_BASE + l.flash_size);
    region(text, "VTRAM", &o, &len);
    assert_int_equal(o, l.sram_start);
    assert_int_equal(len, F0B_VT_MAX);
    region(text, "RAM", &o, &len);
    assert_int_equal(o, l.sram_start + F0B_VT_MAX);
    assert_int_equal(o + len, l.sram_start + l.sram_size); /* _estack = end of SRAM */
    assert_null(strstr(text, "SHARED")); /* no words reserved at the end of SRAM */
}

static void test_layouts_agree(void **state)
{
    (void)state;
    assert_true(npairs > 0);
    for (int i = 0; i < npairs; i++)
        check_part((uint16_t)atoi(pairs[2 * i]), pairs[2 * i + 1]);
}

int main(int argc, char **argv)
{
    if (argc < 4 || (argc - 2) % 2 != 0) {
        fprintf(stderr, "usage: %s FW_DIR CODE NAME [CODE NAME...]\n", argv[0]);
        return 2;
    }
    fw_dir = argv[1];
    pairs = argv + 2;
    npairs = (argc - 2) / 2;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layouts_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
