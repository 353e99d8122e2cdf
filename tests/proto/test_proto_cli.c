/*
 * The f0boot binary itself (flash, probe, boot) against the real device engine served over
 * TCP by a thread of this test (tcpdev.c), the way f0sim and ser2net serve a UART: exit
 * codes, JSON output, what ends up in flash.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include <zlib.h>

#include "core_util.h"
#include "fake_flash.h"
#include "f0boot/layout.h"
#include "f0boot/le.h"
#include "frame.h"
#include "proto.h"
#include "tcpdev.h"

static struct f0b_layout L;
static struct tcpdev D;

struct out {
    int fd;
};

static void sink(void *ctx, const uint8_t *p, uint32_t n)
{
    if (n && send(((struct out *)ctx)->fd, p, n, MSG_NOSIGNAL) < 0)
        return;
}

/* A bootloader that never answers. */
static size_t silent_rx(void *ctx, int fd, const uint8_t *in, size_t n, uint8_t *out)
{
    (void)ctx;
    (void)fd;
    (void)in;
    (void)n;
    (void)out;
    return 0;
}

/* A bootloader of protocol 3.1 answering the greeting. */
static size_t major2_rx(void *ctx, int fd, const uint8_t *in, size_t n, uint8_t *out)
{
    static struct f0b_rx rx;
    (void)ctx;
    (void)out;

    for (size_t i = 0; i < n; i++) {
        if (f0b_rx_byte(&rx, in[i]) > 0) {
            uint8_t r[12] = {F0B_CMD_INFO | F0B_RESP, rx.buf[1], F0B_ST_VERSION, 3, 1};
            struct out o = {fd};
            f0b_put_le32(r + 5, (uint32_t)crc32(0L, r, 5));
            f0b_cobs_encode(r, 9, sink, &o);
        }
    }
    return 0;
}

static const struct tcpdev_filter dev_silent = {NULL, silent_rx, NULL, 1, NULL};
static const struct tcpdev_filter dev_major2 = {NULL, major2_rx, NULL, 1, NULL};

static int setup(void **state)
{
    (void)state;

    tcpdev_init(&D, &L);
    return 0;
}

static int teardown(void **state)
{
    (void)state;

    return tcpdev_free(&D);
}

static void write_img(const char *name, struct test_img *img, const char *part_name)
{
    tcpdev_write_img(&D, name, img, part_name);
}

static int flash_equals(const uint8_t *p, uint32_t n) { return tcpdev_flash_equals(&D, p, n); }

static void test_cli_flash(void **state)
{
    static char out[65536];
    struct test_img img;
    (void)state;

    test_img_make(&img, &L, 12 * 1024, 21);
    write_img("app.img", &img, "stm32f030xc");

    tcpdev_start(&D, NULL);
    assert_int_equal(tcpdev_run(&D, out, sizeof out,
                                "flash socket://127.0.0.1:%d %s/app.img --json", D.port, D.dir),
                     0);
    tcpdev_join(&D);
    assert_true(flash_equals(img.payload, img.size));
    assert_int_equal(f0b_app_state(&L), F0B_APP_VALID);
    assert_true(D.booted);
    /* --json: nothing but JSON objects, one per line, the last one the result */
    char *last = NULL;
    for (char *l = strtok(out, "\n"); l; l = strtok(NULL, "\n")) {
        assert_int_equal(l[0], '{');
        assert_int_equal(l[strlen(l) - 1], '}');
        last = l;
    }
    assert_non_null(last);
    assert_non_null(strstr(last, "\"event\":\"result\",\"ok\":true"));
    assert_non_null(strstr(last, "\"bytes\":12288"));
    assert_non_null(strstr(last, "\"retries\":0"));

    /* the same image again, --skip-unchanged: nothing written */
    uint64_t ops = fake_flash_ops();
    tcpdev_start(&D, NULL);
    assert_int_equal(tcpdev_run(&D, out, sizeof out,
                                "flash socket://127.0.0.1:%d %s/app.img "
                                "--skip-unchanged --no-boot",
                                D.port, D.dir),
                     0);
    tcpdev_join(&D);
    assert_non_null(strstr(out, "unchanged"));
    assert_int_equal(fake_flash_ops(), ops);
    assert_false(D.booted);

    /* probe and boot */
    tcpdev_start(&D, NULL);
    assert_int_equal(tcpdev_run(&D, out, sizeof out, "probe socket://127.0.0.1:%d --json", D.port),
                     0);
    tcpdev_join(&D);
    assert_non_null(strstr(out, "\"chip_id\":\"0x442\""));
    assert_non_null(strstr(out, "\"app_state\":\"valid\""));
    assert_non_null(strstr(out, "\"window\":3"));
    tcpdev_start(&D, NULL);
    assert_int_equal(tcpdev_run(&D, out, sizeof out, "probe socket://127.0.0.1:%d", D.port), 0);
    tcpdev_join(&D);
    assert_non_null(strstr(out, "part 4 (stm32f030xc)"));
    tcpdev_start(&D, NULL);
    assert_int_equal(tcpdev_run(&D, out, sizeof out, "boot socket://127.0.0.1:%d", D.port), 0);
    tcpdev_join(&D);
    assert_true(D.booted);
    test_img_free(&img);
}

static void test_cli_hex_on_the_fly(void **state)
{
    static char out[65536];
    struct test_img img;
    char path[128];
    FILE *f;
    (void)state;

    /* an Intel HEX of the payload at the application start, packed by f0boot flash */
    test_img_make(&img, &L, 4096, 33);
    snprintf(path, sizeof path, "%s/app.hex", D.dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, ":02000004%04X%02X\n", L.app_start >> 16,
            (unsigned)((0x100 -
                        ((2 + 4 + (L.app_start >> 24) + ((L.app_start >> 16) & 0xFF)) & 0xFF)) &
                       0xFF));
    for (uint32_t o = 0; o < img.size; o += 16) {
        uint32_t a = (L.app_start + o) & 0xFFFF;
        unsigned sum = 16 + (a >> 8) + (a & 0xFF);
        fprintf(f, ":10%04X00", a);
        for (int i = 0; i < 16; i++) {
            fprintf(f, "%02X", img.payload[o + i]);
            sum += img.payload[o + i];
        }
        fprintf(f, "%02X\n", (0x100 - (sum & 0xFF)) & 0xFF);
    }
    fprintf(f, ":00000001FF\n");
    fclose(f);
    tcpdev_start(&D, NULL);
    assert_int_equal(tcpdev_run(&D, out, sizeof out, "flash socket://127.0.0.1:%d %s --no-boot -q",
                                D.port, path),
                     0);
    tcpdev_join(&D);
    assert_true(flash_equals(img.payload, img.size));
    assert_int_equal(f0b_app_state(&L), F0B_APP_VALID);
    assert_non_null(strstr(out, "4096 bytes verified"));
    test_img_free(&img);
}

static void test_cli_exit_codes(void **state)
{
    static char out[65536];
    struct test_img img;
    (void)state;

    test_img_make(&img, &L, 4096, 5);
    f0b_put_le16(img.hdr + F0B_IMG_OFF_PART, 3); /* built for stm32f030x8 */
    write_img("other.img", &img, "stm32f030x8");

    assert_int_equal(tcpdev_run(&D, out, sizeof out, "flash"), 2);
    assert_int_equal(tcpdev_run(&D, out, sizeof out, "flash socket://127.0.0.1:1 %s/none.img",
                                D.dir),
                     3);
    assert_int_equal(tcpdev_run(&D, out, sizeof out,
                                "flash socket://127.0.0.1:%d %s/other.img --baud x", D.port, D.dir),
                     2);
    tcpdev_start(&D, NULL);
    assert_int_equal(tcpdev_run(&D, out, sizeof out, "flash socket://127.0.0.1:%d %s/other.img",
                                D.port, D.dir),
                     14);
    tcpdev_join(&D);
    tcpdev_start(&D, &dev_silent);
    assert_int_equal(tcpdev_run(&D, out, sizeof out, "probe socket://127.0.0.1:%d --wait 300",
                                D.port),
                     11);
    tcpdev_join(&D);
    tcpdev_start(&D, &dev_major2);
    assert_int_equal(tcpdev_run(&D, out, sizeof out, "probe socket://127.0.0.1:%d --json", D.port),
                     12);
    tcpdev_join(&D);
    assert_non_null(strstr(out, "\"exit\":12"));

    /* nobody listening: a port we had and closed */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t al = sizeof a;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(s, (struct sockaddr *)&a, sizeof a);
    getsockname(s, (struct sockaddr *)&a, &al);
    close(s);
    assert_int_equal(tcpdev_run(&D, out, sizeof out, "probe socket://127.0.0.1:%d --wait 200",
                                ntohs(a.sin_port)),
                     10);
    assert_int_equal(tcpdev_run(&D, out, sizeof out, "probe /dev/does-not-exist"), 10);
    test_img_free(&img);
}

/* Issue 13 item 11: the board server goes away with the power right after the commit word
 * is programmed (END's answer lost, the connection closed). f0boot reconnects, asks again,
 * finds this image committed: success with a warning, not exit 13. */
static void test_cli_cut_after_commit(void **state)
{
    static char out[65536];
    struct test_img img;
    (void)state;

    test_img_make(&img, &L, 12 * 1024, 29);
    write_img("app.img", &img, "stm32f030xc");
    D.cut_after_commit = 1;
    tcpdev_start(&D, NULL);
    assert_int_equal(tcpdev_run(&D, out, sizeof out,
                                "flash socket://127.0.0.1:%d %s/app.img "
                                "--json",
                                D.port, D.dir),
                     0);
    tcpdev_join(&D);
    D.cut_after_commit = 0;
    assert_true(D.cut_done);
    assert_true(flash_equals(img.payload, img.size));
    assert_int_equal(f0b_app_state(&L), F0B_APP_VALID);
    assert_true(D.booted);
    assert_non_null(strstr(out, "\"event\":\"warn\",\"phase\":\"verify\",\"msg\":\"the port "
                                "failed after END"));
    assert_non_null(strstr(out, "the link was lost after END; asked again, the device has "
                                "this image committed"));
    assert_non_null(strstr(out, "\"event\":\"result\",\"ok\":true"));
    test_img_free(&img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_flash),
        cmocka_unit_test(test_cli_hex_on_the_fly),
        cmocka_unit_test(test_cli_exit_codes),
        cmocka_unit_test(test_cli_cut_after_commit),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
