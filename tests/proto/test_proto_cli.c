/*
 * The f0boot binary itself (flash, probe, boot) against the real device engine served over
 * TCP by a thread of this test, the way f0sim and ser2net serve a UART: exit codes, JSON
 * output, what ends up in flash.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <zlib.h>

#include "core_util.h"
#include "fake_board.h"
#include "fake_flash.h"
#include "f0boot/layout.h"
#include "f0boot/le.h"
#include "frame.h"
#include "proto.h"

#ifndef F0B_CLI
#error "F0B_CLI must name the f0boot binary"
#endif

enum mode { DEV_NORMAL, DEV_SILENT, DEV_MAJOR2 };

static struct f0b_layout L;
static int lfd = -1;
static int port_no;
static pthread_t thr;
static enum mode mode;
static int booted;
static char dir[64];

static uint32_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)(ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

struct out {
    int fd;
};

static void sink(void *ctx, const uint8_t *p, uint32_t n)
{
    if (n && send(((struct out *)ctx)->fd, p, n, MSG_NOSIGNAL) < 0)
        return;
}

/* Serve one connection until the client closes it. */
static void *serve(void *arg)
{
    static struct f0b_proto dev;
    static struct f0b_rx rx;
    int fd = accept(lfd, NULL, NULL);
    uint8_t buf[4096];
    uint32_t bauds[4096];
    (void)arg;

    if (fd < 0)
        return NULL;
    fake_board_init(115200, 0x442);
    f0b_proto_init(&dev, &L, F0B_STAY_NO_APP);
    f0b_rx_reset(&rx);
    for (;;) {
        struct pollfd p = { fd, POLLIN, 0 };
        if (poll(&p, 1, 1) > 0) {
            ssize_t n = recv(fd, buf, sizeof buf, 0);
            if (n <= 0)
                break;
            for (ssize_t i = 0; i < n; i++) {
                if (mode == DEV_NORMAL) {
                    fake_board_rx_push(buf[i]);
                } else if (mode == DEV_MAJOR2 && f0b_rx_byte(&rx, buf[i]) > 0) {
                    /* a bootloader of protocol 2.1 answering the greeting */
                    uint8_t r[12] = { F0B_CMD_INFO | F0B_RESP, rx.buf[1], F0B_ST_VERSION, 2, 1 };
                    struct out o = { fd };
                    f0b_put_le32(r + 5, (uint32_t)crc32(0L, r, 5));
                    f0b_cobs_encode(r, 9, sink, &o);
                }
            }
        }
        if (mode != DEV_NORMAL || booted)
            continue;
        fake_board_set_millis(mono_ms());
        int act = f0b_proto_poll(&dev);
        size_t n;
        while ((n = fake_board_tx_take(buf, bauds, sizeof buf)) > 0)
            if (send(fd, buf, n, MSG_NOSIGNAL) < 0)
                break;
        if (act == F0B_PROTO_BOOT)
            booted = 1;
    }
    close(fd);
    return NULL;
}

static void start(enum mode m)
{
    mode = m;
    booted = 0;
    assert_int_equal(pthread_create(&thr, NULL, serve, NULL), 0);
}

static int setup(void **state)
{
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    (void)state;

    assert_int_equal(f0b_layout_init(&L, 4), F0B_ST_OK);
    fake_flash_init(&L);
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(lfd, 4), 0);
    getsockname(lfd, (struct sockaddr *)&a, &al);
    port_no = ntohs(a.sin_port);
    snprintf(dir, sizeof dir, "/tmp/f0b_cli_XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    (void)state;

    close(lfd);
    fake_flash_free();
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Run f0boot with args (a format); stdout and stderr captured. Returns the exit code. */
__attribute__((format(printf, 3, 4)))
static int run(char *out, size_t outlen, const char *fmt, ...)
{
    char args[512], cmd[1024];
    va_list ap;
    FILE *f;
    size_t n;

    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "%s %s >%s/out 2>%s/err", F0B_CLI, args, dir, dir);
    int st = system(cmd);
    snprintf(cmd, sizeof cmd, "%s/out", dir);
    f = fopen(cmd, "r");
    n = f ? fread(out, 1, outlen - 1, f) : 0;
    out[n] = 0;
    if (f)
        fclose(f);
    snprintf(cmd, sizeof cmd, "%s/err", dir);
    f = fopen(cmd, "r");
    if (f) {
        char e[2048];
        size_t m = fread(e, 1, sizeof e - 1, f);
        e[m] = 0;
        fclose(f);
        print_message("$ f0boot %s -> %d\n%s%s", args, WEXITSTATUS(st), out, e);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* As `f0boot pack` writes it: the part name matches the part code. */
static void write_img(const char *name, struct test_img *img, const char *part_name)
{
    char path[128];
    FILE *f;

    memset(img->hdr + F0B_IMG_OFF_PART_NAME, 0, F0B_IMG_PART_NAME_LEN);
    memcpy(img->hdr + F0B_IMG_OFF_PART_NAME, part_name, strlen(part_name));
    test_hdr_fix_crc(img->hdr);

    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(img->hdr, 1, F0B_IMG_HDR_SIZE, f);
    fwrite(img->payload, 1, img->size, f);
    fclose(f);
}

static int flash_equals(const uint8_t *p, uint32_t n)
{
    return memcmp(fake_flash_mem() + (L.app_start - F0B_FLASH_BASE), p, n) == 0;
}

static void test_cli_flash(void **state)
{
    static char out[65536];
    struct test_img img;
    (void)state;

    test_img_make(&img, &L, 12 * 1024, 21);
    write_img("app.img", &img, "stm32f030xc");

    start(DEV_NORMAL);
    assert_int_equal(run(out, sizeof out, "flash socket://127.0.0.1:%d %s/app.img --json",
                         port_no, dir), 0);
    pthread_join(thr, NULL);
    assert_true(flash_equals(img.payload, img.size));
    assert_int_equal(f0b_app_state(&L), F0B_APP_VALID);
    assert_true(booted);
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
    start(DEV_NORMAL);
    assert_int_equal(run(out, sizeof out, "flash socket://127.0.0.1:%d %s/app.img "
                         "--skip-unchanged --no-boot", port_no, dir), 0);
    pthread_join(thr, NULL);
    assert_non_null(strstr(out, "unchanged"));
    assert_int_equal(fake_flash_ops(), ops);
    assert_false(booted);

    /* probe and boot */
    start(DEV_NORMAL);
    assert_int_equal(run(out, sizeof out, "probe socket://127.0.0.1:%d --json", port_no), 0);
    pthread_join(thr, NULL);
    assert_non_null(strstr(out, "\"chip_id\":\"0x442\""));
    assert_non_null(strstr(out, "\"app_state\":\"valid\""));
    assert_non_null(strstr(out, "\"window\":3"));
    start(DEV_NORMAL);
    assert_int_equal(run(out, sizeof out, "probe socket://127.0.0.1:%d", port_no), 0);
    pthread_join(thr, NULL);
    assert_non_null(strstr(out, "part 4 (stm32f030xc)"));
    start(DEV_NORMAL);
    assert_int_equal(run(out, sizeof out, "boot socket://127.0.0.1:%d", port_no), 0);
    pthread_join(thr, NULL);
    assert_true(booted);
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
    snprintf(path, sizeof path, "%s/app.hex", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, ":02000004%04X%02X\n", L.app_start >> 16,
            (unsigned)((0x100 - ((2 + 4 + (L.app_start >> 24) + ((L.app_start >> 16) & 0xFF)) & 0xFF)) & 0xFF));
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
    start(DEV_NORMAL);
    assert_int_equal(run(out, sizeof out, "flash socket://127.0.0.1:%d %s --no-boot -q", port_no,
                         path), 0);
    pthread_join(thr, NULL);
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
    f0b_put_le16(img.hdr + F0B_IMG_OFF_PART, 3);            /* built for stm32f030x8 */
    write_img("other.img", &img, "stm32f030x8");

    assert_int_equal(run(out, sizeof out, "flash"), 2);
    assert_int_equal(run(out, sizeof out, "flash socket://127.0.0.1:1 %s/none.img", dir), 3);
    assert_int_equal(run(out, sizeof out, "flash socket://127.0.0.1:%d %s/other.img --baud x",
                         port_no, dir), 2);
    start(DEV_NORMAL);
    assert_int_equal(run(out, sizeof out, "flash socket://127.0.0.1:%d %s/other.img", port_no,
                         dir), 14);
    pthread_join(thr, NULL);
    start(DEV_SILENT);
    assert_int_equal(run(out, sizeof out, "probe socket://127.0.0.1:%d --wait 300", port_no), 11);
    pthread_join(thr, NULL);
    start(DEV_MAJOR2);
    assert_int_equal(run(out, sizeof out, "probe socket://127.0.0.1:%d --json", port_no), 12);
    pthread_join(thr, NULL);
    assert_non_null(strstr(out, "\"exit\":12"));

    /* nobody listening: a port we had and closed */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET };
    socklen_t al = sizeof a;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(s, (struct sockaddr *)&a, sizeof a);
    getsockname(s, (struct sockaddr *)&a, &al);
    close(s);
    assert_int_equal(run(out, sizeof out, "probe socket://127.0.0.1:%d --wait 200",
                         ntohs(a.sin_port)), 10);
    assert_int_equal(run(out, sizeof out, "probe /dev/does-not-exist"), 10);
    test_img_free(&img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_flash),
        cmocka_unit_test(test_cli_hex_on_the_fly),
        cmocka_unit_test(test_cli_exit_codes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
