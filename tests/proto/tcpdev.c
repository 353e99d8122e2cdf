#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
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

#include "tcpdev.h"
#include "fake_board.h"
#include "fake_flash.h"
#include "f0boot/layout.h"
#include "proto.h"

#ifndef F0B_CLI
#error "F0B_CLI must name the f0boot binary"
#endif

static uint32_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)(ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* The commit word was programmed in this poll (with cut_after_commit, once). */
static int power_cut_now(struct tcpdev *d, int was_valid)
{
    if (!d->cut_after_commit || d->cut_done || was_valid || f0b_app_state(d->l) != F0B_APP_VALID)
        return 0;
    d->cut_done = 1;
    return 1;
}

/* Serve one connection until the client closes it: 0, or 1 when the power was cut. */
/* What the host sent, through the filter if any, to the board's receiver. Returns 0, or
 * -1 when the host closed the connection. */
static int conn_rx(const struct tcpdev_filter *f, int fd)
{
    uint8_t buf[4096], data[4096];
    struct pollfd p = {fd, POLLIN, 0};

    if (poll(&p, 1, 1) <= 0)
        return 0;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0)
        return -1;
    if (!f) {
        for (ssize_t i = 0; i < n; i++)
            fake_board_rx_push(buf[i]);
    } else {
        size_t k = f->rx(f->ctx, fd, buf, (size_t)n, data);
        for (size_t i = 0; i < k && !f->no_device; i++)
            fake_board_rx_push(data[i]);
    }
    return 0;
}

/* What the board sent, through the filter if any, to the host. */
static void conn_tx(const struct tcpdev_filter *f, int fd)
{
    uint8_t buf[4096];
    uint32_t bauds[4096];
    size_t n;

    while ((n = fake_board_tx_take(buf, bauds, sizeof buf)) > 0) {
        if (f && f->tx)
            f->tx(f->ctx, fd, buf, bauds, n);
        else if (send(fd, buf, n, MSG_NOSIGNAL) < 0)
            break;
    }
}

static int serve_conn(struct tcpdev *d, int fd)
{
    static struct f0b_proto dev;
    const struct tcpdev_filter *f = d->filter;

    fake_board_init(115200, 0x442);
    fake_board_set_millis(mono_ms()); /* one clock from the start: the idle timer uses it */
    f0b_proto_init(&dev, d->l, F0B_STAY_NO_APP);
    if (f && f->accepted)
        f->accepted(f->ctx, fd);
    for (;;) {
        if (conn_rx(f, fd) < 0)
            return 0;
        if ((f && f->no_device) || d->booted)
            continue;
        fake_board_set_millis(mono_ms());
        int was_valid = f0b_app_state(d->l) == F0B_APP_VALID;
        int act = f0b_proto_poll(&dev);
        if (power_cut_now(d, was_valid))
            return 1;
        conn_tx(f, fd);
        if (act == F0B_PROTO_BOOT)
            d->booted = 1;
    }
}

/* Serve connections until a client closes one (after a power cut, the next one too). */
static void *serve(void *arg)
{
    struct tcpdev *d = arg;
    int cut;

    do {
        int fd = accept(d->lfd, NULL, NULL);
        if (fd < 0)
            return NULL;
        cut = serve_conn(d, fd);
        close(fd);
    } while (cut);
    return NULL;
}

void tcpdev_init(struct tcpdev *d, struct f0b_layout *l)
{
    struct sockaddr_in a;
    socklen_t al = sizeof a;

    assert_int_equal(f0b_layout_init(l, 4), F0B_ST_OK);
    fake_flash_init(l);
    memset(d, 0, sizeof *d);
    d->l = l;
    d->lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(d->lfd >= 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(d->lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(d->lfd, 4), 0);
    getsockname(d->lfd, (struct sockaddr *)&a, &al);
    d->port = ntohs(a.sin_port);
    snprintf(d->dir, sizeof d->dir, "/tmp/f0b_cli_XXXXXX");
    assert_non_null(mkdtemp(d->dir));
}

int tcpdev_free(struct tcpdev *d)
{
    char cmd[128];

    fake_flash_free();
    close(d->lfd);
    snprintf(cmd, sizeof cmd, "rm -rf %s", d->dir);
    return system(cmd) == 0 ? 0 : -1;
}

void tcpdev_start(struct tcpdev *d, const struct tcpdev_filter *filter)
{
    d->filter = filter;
    d->booted = 0;
    assert_int_equal(pthread_create(&d->thr, NULL, serve, d), 0);
}

void tcpdev_join(struct tcpdev *d) { pthread_join(d->thr, NULL); }

int tcpdev_run(struct tcpdev *d, char *out, size_t outlen, const char *fmt, ...)
{
    char args[512], cmd[1024];
    va_list ap;
    FILE *f;
    size_t n;

    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "%s %s >%s/out 2>%s/err", F0B_CLI, args, d->dir, d->dir);
    int st = system(cmd);
    snprintf(cmd, sizeof cmd, "%s/out", d->dir);
    f = fopen(cmd, "r");
    n = f ? fread(out, 1, outlen - 1, f) : 0;
    out[n] = 0;
    if (f)
        fclose(f);
    snprintf(cmd, sizeof cmd, "%s/err", d->dir);
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

void tcpdev_write_img(struct tcpdev *d, const char *name, struct test_img *img,
                      const char *part_name)
{
    char path[128];
    FILE *f;

    memset(img->hdr + F0B_IMG_OFF_PART_NAME, 0, F0B_IMG_PART_NAME_LEN);
    memcpy(img->hdr + F0B_IMG_OFF_PART_NAME, part_name, strlen(part_name));
    test_hdr_fix_crc(img->hdr);

    snprintf(path, sizeof path, "%s/%s", d->dir, name);
    f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(img->hdr, 1, F0B_IMG_HDR_SIZE, f);
    fwrite(img->payload, 1, img->size, f);
    fclose(f);
}

int tcpdev_flash_equals(const struct tcpdev *d, const uint8_t *p, uint32_t n)
{
    return memcmp(fake_flash_mem() + (d->l->app_start - F0B_FLASH_BASE), p, n) == 0;
}
