/*
 * The real device protocol engine (proto.c over fake_flash and fake_board) served over TCP
 * by a thread of the test, the way f0sim and ser2net serve a UART, and the f0boot binary
 * (F0B_CLI) run against it. A filter can sit between the socket and the device's UART
 * (test_rfc2217 puts an RFC 2217 server there) or stand in for the device altogether (a
 * silent bootloader, one of another protocol version).
 */
#ifndef F0B_TEST_TCPDEV_H
#define F0B_TEST_TCPDEV_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include "core_util.h"

struct tcpdev_filter {
    /* A client connected (optional). */
    void (*accepted)(void *ctx, int fd);
    /* n bytes from the client: put the bytes for the device's UART in out (room for n) and
     * return their count; may answer the client on fd. */
    size_t (*rx)(void *ctx, int fd, const uint8_t *in, size_t n, uint8_t *out);
    /* n bytes the device sent, each with the rate it was sent at: write them to fd
     * (optional: NULL sends them as they are). */
    void (*tx)(void *ctx, int fd, const uint8_t *p, const uint32_t *baud, size_t n);
    int no_device; /* the device engine does not run (rx stands in for it) */
    void *ctx;
};

struct tcpdev {
    const struct f0b_layout *l;
    int lfd;
    int port; /* the listening TCP port on 127.0.0.1 */
    pthread_t thr;
    const struct tcpdev_filter *filter; /* NULL: raw TCP */
    int booted;                         /* the device acknowledged BOOT (read after tcpdev_join) */
    /* Power cut in the poll that programs the commit word: its answer is lost and the
     * connection closed (a power cut that resets the board server); the next connection is
     * served by a device that starts afresh. Set before tcpdev_start; cut_done after. */
    int cut_after_commit;
    int cut_done;
    char dir[64]; /* scratch directory for images and f0boot's output */
};

/* Fill l for the stm32f030xc, give it an erased fake_flash, listen on an ephemeral port of
 * 127.0.0.1 and make the scratch directory. */
void tcpdev_init(struct tcpdev *d, struct f0b_layout *l);
/* Free the fake flash, close the listener, remove the scratch directory: 0, or -1 if that
 * failed. */
int tcpdev_free(struct tcpdev *d);
/* Serve the next connection in a thread until the client closes it (fake_board and the
 * device engine start afresh; the flash keeps its content). */
void tcpdev_start(struct tcpdev *d, const struct tcpdev_filter *filter);
void tcpdev_join(struct tcpdev *d);

/* Run f0boot with args (a format); stdout in out, both streams in the test's log. Returns
 * the exit code. */
__attribute__((format(printf, 4, 5))) int tcpdev_run(struct tcpdev *d, char *out, size_t outlen,
                                                     const char *fmt, ...);
/* Write img to the scratch directory as `f0boot pack` does (part name set, header crc
 * fixed). */
void tcpdev_write_img(struct tcpdev *d, const char *name, struct test_img *img,
                      const char *part_name);
/* The application area of the fake flash starts with p[0..n). */
int tcpdev_flash_equals(const struct tcpdev *d, const uint8_t *p, uint32_t n);

#endif
