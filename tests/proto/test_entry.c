/*
 * Hands-free entry and the rig commands' requests (libflash/src/entry.c, compare.c,
 * session.c's ERASE) over the simulated line (link.c) to the real device engine, on its
 * virtual clock: a running application that takes the request sequence (or does not, or
 * listens at another rate), reset sequences parsed and refused on a port without lines,
 * the stop flag, page-by-page comparison and the erased boot record.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core_util.h"
#include "fake_flash.h"
#include "f0boot/flash.h"
#include "f0boot/layout.h"
#include "link.h"

static struct f0b_layout L;

static int setup(void **state)
{
    (void)state;
    assert_int_equal(f0b_layout_init(&L, 4), F0B_ST_OK); /* stm32f030xc */
    fake_flash_init(&L);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(fake_flash_violations(), 0);
    fake_flash_free();
    return 0;
}

static struct link_cfg app_cfg(int listens, uint32_t app_baud)
{
    struct link_cfg c;

    memset(&c, 0, sizeof c);
    c.baud = 115200;
    c.latency_ms = 1;
    c.start_app = 1;
    c.app_listens = listens;
    c.app_baud = app_baud;
    c.app_reset_ms = 2;
    return c;
}

/* Phase events, for what f0b_sess_enter() says it did. */
struct evlog {
    char enter[4][200];
    int n;
};

static void on_event(void *ctx, const struct f0b_event *ev)
{
    struct evlog *e = ctx;

    if (ev->kind == F0B_EV_PHASE && strcmp(ev->phase, "enter") == 0 && e->n < 4)
        snprintf(e->enter[e->n++], sizeof e->enter[0], "%s", ev->msg);
}

struct entry_run {
    int rc;
    enum f0b_entry_how how;
    uint64_t ms; /* virtual time from the call to the answer */
    uint8_t stay;
    struct evlog ev;
};

static void enter(struct link *k, const struct f0b_entry_opts *e, int connect_ms,
                  const volatile sig_atomic_t *stop, struct entry_run *r)
{
    struct f0b_flash_opts o;
    struct f0b_session *s;

    memset(r, 0, sizeof *r);
    f0b_flash_opts_default(&o);
    o.connect_ms = connect_ms;
    o.event = on_event;
    o.event_ctx = &r->ev;
    o.stop = stop;
    assert_int_equal(f0b_sess_create(&s, &k->port, &o), 0);
    uint64_t t0 = k->now_us;
    r->rc = f0b_sess_enter(s, e, &r->how);
    r->ms = (k->now_us - t0) / 1000u;
    r->stay = f0b_sess_info(s)->stay_reason;
    f0b_sess_free(s);
}

/* A bootloader that runs already answers the first greeting: nothing else is tried. */
static void test_running(void **state)
{
    struct link k;
    struct link_cfg c = app_cfg(1, 0);
    struct f0b_entry_opts e;
    struct entry_run r;

    (void)state;
    c.start_app = 0;
    link_init(&k, &c, &L);
    f0b_entry_opts_default(&e);
    enter(&k, &e, 3000, NULL, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.how, F0B_ENTRY_RUNNING);
    assert_int_equal(k.resets, 0);
    assert_int_equal(r.ev.n, 1);
    assert_non_null(strstr(r.ev.enter[0], "running: "));
    link_free(&k);
}

/* The application takes the request: the bootloader answers within 150 ms of the call
 * (virtual time: the first greeting's 60 ms, the request, the reset, a greeting). */
static void test_request(void **state)
{
    struct link k;
    struct link_cfg c = app_cfg(1, 0);
    struct f0b_entry_opts e;
    struct entry_run r;

    (void)state;
    link_init(&k, &c, &L);
    f0b_entry_opts_default(&e);
    enter(&k, &e, 3000, NULL, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.how, F0B_ENTRY_REQUEST);
    assert_int_equal(r.stay, F0B_STAY_REQUEST);
    assert_int_equal(k.resets, 1);
    assert_true(r.ms < 150);
    assert_non_null(strstr(r.ev.enter[0], "asking the application"));
    assert_non_null(strstr(r.ev.enter[r.ev.n - 1], "request: "));
    link_free(&k);
}

/* Without the request (ask off), or to an application that does not listen, nobody
 * answers: the request is what gets the bootloader. */
static void test_no_request(void **state)
{
    struct link k;
    struct link_cfg c = app_cfg(1, 0);
    struct f0b_entry_opts e;
    struct entry_run r;

    (void)state;
    link_init(&k, &c, &L);
    f0b_entry_opts_default(&e);
    e.ask = 0;
    enter(&k, &e, 800, NULL, &r);
    assert_int_equal(r.rc, F0B_E_NO_ANSWER);
    assert_int_equal(r.how, F0B_ENTRY_WAIT);
    assert_true(r.ms >= 800);
    assert_int_equal(k.resets, 0);
    link_free(&k);

    c = app_cfg(0, 0);
    link_init(&k, &c, &L);
    f0b_entry_opts_default(&e);
    enter(&k, &e, 800, NULL, &r);
    assert_int_equal(r.rc, F0B_E_NO_ANSWER);
    link_free(&k);
}

/* An application at 9600 baud hears the request only at its rate (--app-baud); the
 * bootloader is then greeted at 115200 again. */
static void test_app_baud(void **state)
{
    struct link k;
    struct link_cfg c = app_cfg(1, 9600);
    struct f0b_entry_opts e;
    struct entry_run r;

    (void)state;
    link_init(&k, &c, &L);
    f0b_entry_opts_default(&e);
    enter(&k, &e, 800, NULL, &r);
    assert_int_equal(r.rc, F0B_E_NO_ANSWER);
    link_free(&k);

    link_init(&k, &c, &L);
    f0b_entry_opts_default(&e);
    e.app_baud = 9600;
    enter(&k, &e, 3000, NULL, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.how, F0B_ENTRY_REQUEST);
    assert_int_equal(k.host_baud, 115200);
    link_free(&k);
}

/* Waiting: an application that ignores the request, a board the rig power-cycles 700 ms
 * into the greetings; the greetings, every 15 ms, land in its 50 ms boot window, and it
 * stays (stay reason: greeted). */
static void test_wait_power_cycle(void **state)
{
    struct test_img img;
    struct link k;
    struct link_cfg c = app_cfg(0, 0);
    struct f0b_entry_opts e;
    struct entry_run r;

    (void)state;
    test_img_make(&img, &L, 3000, 11);
    assert_int_equal(test_update_all(&L, &img, 1024), F0B_ST_OK);
    c.restart_at_ms = 700;
    c.window_ms = 50;
    link_init(&k, &c, &L);
    f0b_entry_opts_default(&e);
    enter(&k, &e, 3000, NULL, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.how, F0B_ENTRY_WAIT);
    assert_int_equal(r.stay, F0B_STAY_GREETING);
    assert_true(r.ms >= 700 && r.ms < 750);
    assert_non_null(strstr(r.ev.enter[r.ev.n - 1], "wait: "));
    link_free(&k);
    test_img_free(&img);
}

/* A reset asked for on a port without DTR/RTS is an error, not silently skipped; a raised
 * stop flag ends the entry at once. */
static void test_no_lines_and_stop(void **state)
{
    struct link k;
    struct link_cfg c = app_cfg(0, 0);
    struct f0b_entry_opts e;
    struct f0b_reset_seq seq;
    struct entry_run r;
    char err[200];
    volatile sig_atomic_t stop = 0;

    (void)state;
    assert_int_equal(f0b_reset_parse("dtr", &seq, err, sizeof err), 0);
    link_init(&k, &c, &L);
    f0b_entry_opts_default(&e);
    e.ask = 0;
    e.reset = &seq;
    enter(&k, &e, 3000, &stop, &r);
    assert_int_equal(r.rc, F0B_E_NO_LINES);
    assert_int_equal(r.how, F0B_ENTRY_RESET);
    stop = 1;
    enter(&k, &e, 3000, &stop, &r);
    assert_int_equal(r.rc, F0B_E_ABORTED);
    assert_true(r.ms < 100);
    link_free(&k);
}

static void test_reset_parse(void **state)
{
    struct f0b_reset_seq s;
    char err[300];

    (void)state;
    assert_int_equal(f0b_reset_parse("none", &s, err, sizeof err), 0);
    assert_int_equal(s.n, 0);
    assert_int_equal(f0b_reset_parse("DTR", &s, err, sizeof err), 0);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.step[0].what, 'D');
    assert_int_equal(s.step[0].val, 1);
    assert_int_equal(s.step[1].what, 'W');
    assert_int_equal(s.step[1].val, 50);
    assert_int_equal(f0b_reset_parse("dtr-rts", &s, err, sizeof err), 0);
    assert_int_equal(s.step[0].what, 'R'); /* BOOT0 held low before the reset */
    assert_int_equal(f0b_reset_parse("D1,r0,W100,d0", &s, err, sizeof err), 0);
    assert_int_equal(s.n, 4);
    assert_int_equal(s.step[1].what, 'R');
    assert_int_equal(s.step[1].val, 0);
    assert_int_equal(s.step[3].val, 0);
    const char *bad[] = {"",       "D2",     "X1",           "D",      "W",      "D1,", ",D1",
                         "D1,,D0", "W10001", "W99999999999", "D1 ,D0", "dtr,rts"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = 0;
        assert_int_equal(f0b_reset_parse(bad[i], &s, err, sizeof err), F0B_E_ARG);
        assert_true(err[0] != 0);
    }
    f0b_reset_parse("X1", &s, err, sizeof err);
    assert_non_null(strstr(err, "'X1' is not a reset step"));
    char many[200];
    size_t k = 0;
    for (unsigned i = 0; i < F0B_RESET_MAX_STEPS + 1; i++)
        k += (size_t)snprintf(many + k, sizeof many - k, "%sD1", i ? "," : "");
    assert_int_equal(f0b_reset_parse(many, &s, err, sizeof err), F0B_E_ARG);
}

/* A session on a board that runs the bootloader, with img committed (or not). */
static struct f0b_session *bootloader_with(struct link *k, const struct test_img *img)
{
    struct link_cfg c = app_cfg(0, 0);
    struct f0b_flash_opts o;
    struct f0b_session *s;

    c.start_app = 0;
    if (img)
        assert_int_equal(test_update_all(&L, img, 1024), F0B_ST_OK);
    link_init(k, &c, &L);
    f0b_flash_opts_default(&o);
    assert_int_equal(f0b_sess_create(&s, &k->port, &o), 0);
    assert_int_equal(f0b_sess_connect(s), 0);
    return s;
}

/* verify's comparison: equal; one byte off in page 3; another header; nothing written. */
static void test_compare(void **state)
{
    struct test_img img, other;
    struct f0b_compare r;
    struct link k;
    struct f0b_session *s;

    (void)state;
    test_img_make(&img, &L, 5 * 2048 + 100, 7);
    s = bootloader_with(&k, &img);
    uint64_t ops = fake_flash_ops();
    assert_int_equal(f0b_sess_compare(s, img.hdr, img.payload, img.size, &r), 0);
    assert_true(r.record_match);
    assert_int_equal(r.pages, 6);
    assert_int_equal(r.bad_pages, 0);
    assert_int_equal(r.first_bad, -1);
    img.payload[3 * 2048 + 5] ^= 0x40;
    assert_int_equal(f0b_sess_compare(s, img.hdr, img.payload, img.size, &r), F0B_E_VERIFY);
    assert_true(r.record_match);
    assert_int_equal(r.bad_pages, 1);
    assert_int_equal(r.first_bad, 3);
    assert_int_equal(r.first_bad_addr, L.app_start + 3 * 2048);
    img.payload[3 * 2048 + 5] ^= 0x40;
    test_img_make(&other, &L, 5 * 2048 + 100, 8);
    assert_int_equal(f0b_sess_compare(s, other.hdr, other.payload, other.size, &r), F0B_E_VERIFY);
    assert_false(r.record_match);
    assert_int_equal(r.first_bad, 0);
    assert_int_equal(fake_flash_ops(), ops);
    assert_int_equal(f0b_sess_compare(s, img.hdr, img.payload, img.size - 1, &r), F0B_E_ARG);
    f0b_sess_free(s);
    link_free(&k);
    test_img_free(&img);
    test_img_free(&other);
}

/* ERASE: the record page erased (app state none), the application's pages untouched, and
 * an open update closed. */
static void test_erase(void **state)
{
    struct test_img img;
    struct link k;
    struct f0b_session *s;
    uint8_t before[2048];

    (void)state;
    test_img_make(&img, &L, 3000, 9);
    s = bootloader_with(&k, &img);
    assert_int_equal(f0b_sess_info(s)->app_state, F0B_APP_VALID);
    assert_true(f0b_sess_info(s)->features & F0B_FEAT_ERASE);
    memcpy(before, fake_flash_mem() + (L.app_start - F0B_FLASH_BASE), sizeof before);
    uint64_t erases = fake_flash_erases();
    assert_int_equal(f0b_sess_erase(s), 0);
    assert_int_equal(fake_flash_erases(), erases + 1);
    assert_memory_equal(fake_flash_mem() + (L.app_start - F0B_FLASH_BASE), before, sizeof before);
    assert_int_equal(f0b_app_state(&L), F0B_APP_NONE);
    assert_int_equal(f0b_sess_connect(s), 0);
    assert_int_equal(f0b_sess_info(s)->app_state, F0B_APP_NONE);
    assert_int_equal(f0b_sess_boot(s), F0B_E_REFUSED);
    assert_int_equal(f0b_sess_last_status(s), F0B_ST_NO_APP);
    f0b_sess_free(s);
    link_free(&k);
    test_img_free(&img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reset_parse),
        cmocka_unit_test_setup_teardown(test_running, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_app_baud, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_power_cycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_lines_and_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compare, setup, teardown),
        cmocka_unit_test_setup_teardown(test_erase, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
