/*
 * An in-process loopback whose far end is the caller (tests): f0b_port_loop() in
 * f0boot/flash.h. The port runs on the peer's virtual clock.
 */
#include <string.h>
#include "f0boot/flash.h"

static int loop_read(void *ctx, uint8_t *buf, size_t max, int timeout_ms)
{
    const struct f0b_loop_peer *pe = ctx;
    uint64_t end = pe->now_ms(pe->ctx) + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);

    for (;;) {
        size_t n = pe->d2h(pe->ctx, buf, max);
        if (n)
            return (int)n;
        if (pe->now_ms(pe->ctx) >= end)
            return 0;
        pe->advance(pe->ctx, 1);
    }
}

static int loop_write(void *ctx, const uint8_t *buf, size_t len)
{
    const struct f0b_loop_peer *pe = ctx;

    pe->h2d(pe->ctx, buf, len);
    return 0;
}

static int loop_set_baud(void *ctx, uint32_t baud)
{
    const struct f0b_loop_peer *pe = ctx;

    if (pe->set_baud)
        pe->set_baud(pe->ctx, baud);
    return 0;
}

static int loop_nop(void *ctx)
{
    (void)ctx;
    return 0;
}

static void loop_close(void *ctx) { (void)ctx; }

static uint64_t loop_now(void *ctx)
{
    const struct f0b_loop_peer *pe = ctx;

    return pe->now_ms(pe->ctx);
}

static const struct f0b_port_ops loop_ops = {
    loop_read, loop_write, loop_set_baud, loop_nop, loop_nop, loop_close, loop_now, NULL, NULL,
};

void f0b_port_loop(struct f0b_port *p, const struct f0b_loop_peer *peer)
{
    memset(p, 0, sizeof *p);
    p->ops = &loop_ops;
    p->ctx = (void *)peer;
}
