/* f0boot check's reading of f0sim's events and its findings (cli/check_events.c,
 * cli/check_find.c), on event lines written here: the cases the broken example variants do
 * not reach (tests/check/check_test.py runs those end to end). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"
#include "f0boot/layout.h"

static uint8_t app[256];

static struct chk_ctx ctx(void)
{
    struct chk_ctx x;
    memset(&x, 0, sizeof x);
    for (unsigned i = 0; i < sizeof app; i++)
        app[i] = (uint8_t)(i * 7u + 1u);
    x.app_start = F0B_APP_START;
    x.app_end = F0B_APP_START + sizeof app;
    x.app = app;
    x.reset_pc = 0x080010c0u;
    x.main_pc = 0x08001200u;
    x.have_main = x.have_elf = 1;
    x.boot_start = F0B_FLASH_BASE;
    x.boot_end = F0B_APP_START;
    x.rec_start = 0x0803f800u;
    x.rec_end = 0x08040000u;
    x.vt_start = F0B_SRAM_BASE;
    x.vt_end = F0B_SRAM_BASE + F0B_VT_MAX;
    x.ms = 300;
    return x;
}

#define START "{\"ev\":\"pc\",\"t_us\":51000,\"addr\":\"0x080010c0\",\"index\":0}\n"
#define MAIN  "{\"ev\":\"pc\",\"t_us\":51100,\"addr\":\"0x08001200\",\"index\":1}\n"
#define REMAP "{\"ev\":\"mem_mode\",\"t_us\":51050,\"pc\":\"0x08001470\",\"from\":0,\"to\":3}\n"
#define END                                                                                \
    "{\"ev\":\"end\",\"t_us\":300000,\"stop\":\"time\",\"detail\":\"time limit\","         \
    "\"stop_pc\":\"0x08001300\",\"exceptions\":{\"15\":248},\"exceptions_boot_table\":{}," \
    "\"wfi_masked\":0,\"dropped\":0}\n"

/* Parse text, find; the findings in r. */
static void find(const char *text, struct chk_result *r)
{
    struct chk_events ev;
    char err[200];
    struct chk_ctx x = ctx();
    assert_int_equal(chk_events_parse(text, strlen(text), &ev, err, sizeof err), 0);
    chk_find(&x, &ev, r);
    chk_events_free(&ev);
}

static const struct chk_finding *has(const struct chk_result *r, const char *id)
{
    for (int i = 0; i < r->n; i++)
        if (strcmp(r->f[i].id, id) == 0)
            return &r->f[i];
    return NULL;
}

static void clean_run_is_ok(void **s)
{
    static struct chk_result r;
    (void)s;
    find(START REMAP MAIN END, &r);
    assert_int_equal(r.pitfalls, 0);
    assert_int_equal(r.sim_problems, 0);
    assert_true(r.started && r.reached_main && r.remapped);
    assert_int_equal(r.remap_pc, 0x08001470u);
}

static void never_started(void **s)
{
    static struct chk_result r;
    (void)s;
    find(END, &r);
    assert_non_null(has(&r, "not-started"));
    assert_int_equal(r.pitfalls, 1);
}

static void no_main(void **s)
{
    static struct chk_result r;
    (void)s;
    find(START REMAP END, &r);
    assert_non_null(has(&r, "no-main"));
}

static void vector_copy_and_request_are_fine(void **s)
{
    static struct chk_result r;
    char text[2048];
    uint32_t w4;
    memcpy(&w4, app + 4, 4);
    (void)s;
    /* the copy of word 1, the request (magic, complement), a bootloader write to word 0 */
    snprintf(text, sizeof text,
             START "{\"ev\":\"write\",\"t_us\":51010,\"pc\":\"0x08001468\",\"addr\":\"0x20000004\","
                   "\"size\":4,\"value\":\"0x%08x\"}\n"
                   "{\"ev\":\"write\",\"t_us\":51011,\"pc\":\"0x08001500\",\"addr\":\"0x20000000\","
                   "\"size\":4,\"value\":\"0xb007f00d\"}\n"
                   "{\"ev\":\"write\",\"t_us\":51012,\"pc\":\"0x08001500\",\"addr\":\"0x20000004\","
                   "\"size\":4,\"value\":\"0x4ff80ff2\"}\n"
                   "{\"ev\":\"write\",\"t_us\":51013,\"pc\":\"0x080005d0\",\"addr\":\"0x20000000\","
                   "\"size\":4,\"value\":\"0x00000000\"}\n" REMAP MAIN END,
             w4);
    find(text, &r);
    assert_null(has(&r, "vector-area-write"));
    /* one byte that is not the copy's */
    snprintf(text, sizeof text,
             START "{\"ev\":\"write\",\"t_us\":51010,\"pc\":\"0x08001468\",\"addr\":\"0x20000041\","
                   "\"size\":1,\"value\":\"0x%02x\"}\n" REMAP MAIN END,
             (unsigned)(uint8_t)~app[0x41]);
    find(text, &r);
    assert_non_null(has(&r, "vector-area-write"));
    assert_int_equal(r.pitfalls, 1);
    /* DMA1 writing there (a receive buffer address gone wrong): no CPU PC to show */
    find(START REMAP MAIN "{\"ev\":\"write\",\"t_us\":60000,\"pc\":\"0x00000000\",\"addr\":"
                          "\"0x20000010\",\"size\":1,\"value\":\"0x00000041\",\"dma\":true}\n" END,
         &r);
    const struct chk_finding *f = has(&r, "vector-area-write");
    assert_non_null(f);
    assert_false(f->has_pc);
    assert_non_null(strstr(f->what, "DMA1"));
}

static void record_and_bootloader_flash(void **s)
{
    static struct chk_result r;
    (void)s;
    find(START REMAP MAIN "{\"ev\":\"flash_op\",\"t_us\":60000,\"pc\":\"0x08001600\",\"op\":"
                          "\"page_erase\",\"addr\":\"0x0803f800\"}\n" END,
         &r);
    const struct chk_finding *f = has(&r, "record-write");
    assert_non_null(f);
    assert_true(f->has_pc && f->pc_block && f->pc == 0x08001600u);
    find(START REMAP MAIN "{\"ev\":\"flash_op\",\"t_us\":60000,\"pc\":\"0x08001600\",\"op\":"
                          "\"program\",\"addr\":\"0x08000100\"}\n" END,
         &r);
    assert_non_null(has(&r, "bootloader-write"));
    /* the bootloader's own flash work (PC in its 4 KB) is not the application's */
    find(START REMAP MAIN "{\"ev\":\"flash_op\",\"t_us\":60000,\"pc\":\"0x08000600\",\"op\":"
                          "\"program\",\"addr\":\"0x0803f800\"}\n" END,
         &r);
    assert_int_equal(r.pitfalls, 0);
}

#define BOOT_EXC(t)                                                                            \
    "{\"ev\":\"exception\",\"t_us\":" #t ",\"exc\":15,\"vector_addr\":\"0x0000003c\",\"map\":" \
    "\"flash\",\"from\":\"0x0800003c\",\"vector\":\"0xd5030612\",\"pc\":\"0x08001300\","       \
    "\"primask\":0}\n"
#define ENABLE \
    "{\"ev\":\"int_enable\",\"t_us\":51020,\"pc\":\"0x08001250\",\"exc\":15,\"primask\":0}\n"

static void boot_table_three_ways(void **s)
{
    static struct chk_result r;
    (void)s;
    /* no remap in the run: a second run must tell */
    find(START MAIN ENABLE BOOT_EXC(52000) END, &r);
    const struct chk_finding *f = has(&r, "boot-table-no-remap");
    assert_non_null(f);
    assert_true(r.need_hold_run && f->pc == 0x08001250u);
    /* the remap came after the interrupt */
    find(START MAIN ENABLE BOOT_EXC(51030) REMAP END, &r);
    assert_non_null(has(&r, "boot-table-late-remap"));
    assert_false(r.need_hold_run);
    /* remapped, then MEM_MODE back to flash */
    find(
        START REMAP MAIN ENABLE
        "{\"ev\":\"mem_mode\",\"t_us\":51500,\"pc\":\"0x08001280\",\"from\":3,\"to\":0}\n" BOOT_EXC(
            52000) END,
        &r);
    f = has(&r, "boot-table-mem-mode");
    assert_non_null(f);
    assert_int_equal(f->pc, 0x08001280u);
    assert_int_equal(r.pitfalls, 1);
}

static void hold_run_decides(void **s)
{
    static struct chk_result r;
    struct chk_events hold;
    struct chk_ctx x = ctx();
    char err[200];
    const char *later = START MAIN
        "{\"ev\":\"mem_mode\",\"t_us\":53000,\"pc\":\"0x08001480\",\"from\":0,\"to\":3}\n" END;
    (void)s;
    find(START MAIN ENABLE BOOT_EXC(52000) END, &r);
    assert_int_equal(chk_events_parse(later, strlen(later), &hold, err, sizeof err), 0);
    chk_find_hold(&x, &hold, &r);
    chk_events_free(&hold);
    const struct chk_finding *f = has(&r, "boot-table-late-remap");
    assert_non_null(f);
    assert_non_null(strstr(f->what, "0x08001480"));
    assert_null(has(&r, "boot-table-no-remap"));
}

static void masked_and_faults(void **s)
{
    static struct chk_result r;
    (void)s;
    const char *masked =
        "{\"ev\":\"masked\",\"t_us\":62000,\"pc\":\"0x08001300\",\"exc\":15,\"since_us\":52000}\n";
    char text[2048];
    snprintf(text, sizeof text, "%s%s%s%s%s", START, REMAP, MAIN, masked, END);
    find(text, &r); /* SysTick ran 248 times before: masked later, not never enabled */
    assert_non_null(has(&r, "irq-masked"));
    assert_null(has(&r, "irq-never-enabled"));
    find(START REMAP MAIN "{\"ev\":\"fault\",\"t_us\":60000,\"pc\":\"0x080013b2\",\"why\":"
                          "\"write to an unmapped address\",\"addr\":\"0x20010000\",\"lockup\":"
                          "false}\n" END,
         &r);
    const struct chk_finding *f = has(&r, "hardfault");
    assert_non_null(f);
    assert_false(f->pc_block);
    find(START REMAP MAIN "{\"ev\":\"fault\",\"t_us\":60000,\"pc\":\"0xfffffffd\",\"why\":"
                          "\"EXC_RETURN value not modelled (PSP or invalid)\",\"addr\":"
                          "\"0xfffffffd\",\"lockup\":true}\n" END,
         &r);
    assert_non_null(has(&r, "sim-cannot-run"));
    assert_int_equal(r.pitfalls, 0);
    assert_int_equal(r.sim_problems, 1);
    find(START REMAP MAIN "{\"ev\":\"unmodelled\",\"t_us\":51200,\"pc\":\"0x08001210\","
                          "\"addr\":\"0x40001000\",\"write\":true}\n" END,
         &r);
    assert_non_null(has(&r, "sim-unmodelled"));
    assert_int_equal(r.sim_problems, 1);
}

static void bad_lines_refused(void **s)
{
    struct chk_events ev;
    char err[200];
    (void)s;
    const char *bad = START "{\"ev\":\"pc\",\"t_us\":1,\"addr\":}\n" END;
    assert_int_equal(chk_events_parse(bad, strlen(bad), &ev, err, sizeof err), -1);
    assert_non_null(strstr(err, "line 2"));
    chk_events_free(&ev);
    const char *cut = START; /* no end line: parsed, end.seen says the run did not finish */
    assert_int_equal(chk_events_parse(cut, strlen(cut), &ev, err, sizeof err), 0);
    assert_false(ev.end.seen);
    assert_int_equal(ev.n, 1);
    chk_events_free(&ev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(clean_run_is_ok),
        cmocka_unit_test(never_started),
        cmocka_unit_test(no_main),
        cmocka_unit_test(vector_copy_and_request_are_fine),
        cmocka_unit_test(record_and_bootloader_flash),
        cmocka_unit_test(boot_table_three_ways),
        cmocka_unit_test(hold_run_decides),
        cmocka_unit_test(masked_and_faults),
        cmocka_unit_test(bad_lines_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
