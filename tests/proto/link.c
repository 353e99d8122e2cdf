#include <stdlib.h>
#include <string.h>
#include "f0boot/layout.h"
#include "link.h"
#include "fake_board.h"
#include "fake_flash.h"

static uint64_t gate_ops; /* flash ops when the current poll started */

static void lq_init(struct lq *q)
{
    q->cap = 1u << 16; /* far more than window + 1 frames in flight */
    q->t = malloc(q->cap * sizeof *q->t);
    q->c = malloc(q->cap);
    q->baud = malloc(q->cap * sizeof *q->baud);
    q->head = q->n = 0;
    if (!q->t || !q->c || !q->baud)
        abort();
}

static void lq_free(struct lq *q)
{
    free(q->t);
    free(q->c);
    free(q->baud);
}

static void lq_push(struct lq *q, uint64_t t, uint8_t c, uint32_t baud)
{
    size_t i;

    if (q->n == q->cap)
        abort();
    i = (q->head + q->n++) % q->cap;
    q->t[i] = t;
    q->c[i] = c;
    q->baud[i] = baud;
}

static double rnd(struct link *k)
{
    k->rng ^= k->rng << 13;
    k->rng ^= k->rng >> 7;
    k->rng ^= k->rng << 17;
    return (double)(k->rng >> 11) / 9007199254740992.0;
}

/* Put bytes on a line: each takes 10 bit times; noise as configured. */
static void line_send(struct link *k, struct lq *q, uint64_t *line_free, uint64_t start,
                      const uint8_t *p, size_t n, const uint32_t *bauds, uint32_t baud)
{
    uint64_t t = *line_free > start ? *line_free : start;

    for (size_t i = 0; i < n; i++) {
        uint32_t b = bauds ? bauds[i] : baud;
        uint8_t c = p[i];
        t += 10000000u / b;
        if (k->cfg.p_delay > 0 && rnd(k) < k->cfg.p_delay) {
            t += (uint64_t)(rnd(k) * k->cfg.delay_max_ms * 1000.0);
            k->noise_events++;
        }
        if (k->cfg.p_drop > 0 && rnd(k) < k->cfg.p_drop) {
            k->noise_events++;
            continue;
        }
        if (k->cfg.p_flip > 0 && rnd(k) < k->cfg.p_flip) {
            c ^= (uint8_t)(1u << (int)(rnd(k) * 8));
            k->noise_events++;
        }
        lq_push(q, t, c, b);
        if (k->cfg.p_dup > 0 && rnd(k) < k->cfg.p_dup) {
            lq_push(q, t, c, b);
            k->noise_events++;
        }
    }
    *line_free = t;
}

/* A byte sent at one rate and sampled at another (or at a rate the line cannot carry)
 * arrives as garbage. */
static uint8_t sample(struct link *k, uint8_t c, uint32_t sent, uint32_t rx)
{
    if (sent == rx && sent != k->cfg.broken_baud)
        return c;
    return (uint8_t)(rnd(k) * 256);
}

static int gate(void) { return fake_flash_ops() == gate_ops; }

/* Power on after a cut: the boot decision of stm32f0/main.c (no update request here). */
static void power_on(struct link *k)
{
    int valid = f0b_app_state(k->l) == F0B_APP_VALID;

    fake_board_init(k->cfg.baud, 0x442);
    fake_board_rx_gate(gate);
    f0b_proto_init(&k->dev, k->l, valid ? F0B_STAY_GREETING : F0B_STAY_NO_APP);
    k->window_end = valid ? k->now_us + (uint64_t)k->cfg.window_ms * 1000u : 0;
    k->off_until = 0;
}

static void run_device(struct link *k)
{
    int was_valid = k->cfg.cut_after_commit && !k->cut_done && f0b_app_state(k->l) == F0B_APP_VALID;
    uint8_t tx[4096];
    uint32_t bauds[4096];
    uint64_t ops0 = fake_flash_ops(), er0 = fake_flash_erases(), busy;
    size_t n;
    int act;

    fake_board_set_millis((uint32_t)(k->now_us / 1000u));
    gate_ops = ops0;
    act = f0b_proto_poll(&k->dev);
    uint64_t erases = fake_flash_erases() - er0;
    uint64_t halfwords = fake_flash_ops() - ops0 - erases;
    busy = erases * k->cfg.erase_us + halfwords * k->cfg.halfword_us_x10 / 10u;
    k->busy_until = k->now_us + busy;
    if (k->cfg.cut_after_commit && !k->cut_done && !was_valid &&
        f0b_app_state(k->l) == F0B_APP_VALID) {
        /* The commit word is in flash; the power goes before the answer does. */
        k->cut_done = 1;
        k->off_until = k->busy_until + (uint64_t)k->cfg.cut_off_ms * 1000u;
        while (fake_board_tx_take(tx, bauds, sizeof tx) > 0)
            ;
        return;
    }
    if (k->window_end && !k->dev.greeted && k->now_us >= k->window_end) {
        k->booted = 1; /* nobody greeted in the window: the application runs */
        return;
    }
    while ((n = fake_board_tx_take(tx, bauds, sizeof tx)) > 0)
        if (act != F0B_PROTO_BOOT || !k->cfg.lose_boot_answer)
            line_send(k, &k->d2h, &k->d2h_free, k->busy_until, tx, n, bauds, 0);
    if (act == F0B_PROTO_BOOT)
        k->booted = 1;
    if (act == F0B_PROTO_RESET) {
        k->resets++;
        f0b_proto_init(&k->dev, k->l, F0B_STAY_NO_APP);
    }
}

/* The running application (cfg.app_listens) hears byte c sent at rate sent. */
static void app_hears(struct link *k, uint8_t c, uint32_t sent)
{
    const uint8_t *req = (const uint8_t *)F0B_APP_REQUEST;
    uint32_t rate = k->cfg.app_baud ? k->cfg.app_baud : k->cfg.baud;

    if (!k->cfg.app_listens || k->app_reset_at)
        return;
    c = sample(k, c, sent, rate);
    if (c == req[k->app_match])
        k->app_match++;
    else
        k->app_match = c == req[0] ? 1 : 0;
    if (k->app_match == F0B_APP_REQUEST_LEN)
        k->app_reset_at = k->now_us + (uint64_t)k->cfg.app_reset_ms * 1000u + 1u;
}

/* The application's request done: a software reset into the bootloader, which stays. */
static void app_to_bootloader(struct link *k)
{
    fake_board_init(k->cfg.baud, 0x442);
    fake_board_rx_gate(gate);
    f0b_proto_init(&k->dev, k->l, F0B_STAY_REQUEST);
    k->booted = 0;
    k->app_reset_at = 0;
    k->app_match = 0;
    k->resets++;
}

static void advance(void *ctx, uint32_t ms)
{
    struct link *k = ctx;
    uint64_t end = k->now_us + (uint64_t)ms * 1000u;

    while (k->now_us < end) {
        k->now_us += 250; /* quarter-millisecond steps */
        if (k->off_until && k->now_us >= k->off_until)
            power_on(k);
        while (k->h2d.n && k->h2d.t[k->h2d.head] <= k->now_us) {
            size_t i = k->h2d.head;
            if (k->booted)
                app_hears(k, k->h2d.c[i], k->h2d.baud[i]);
            else if (!k->off_until) /* a device without power hears nothing */
                fake_board_rx_push(sample(k, k->h2d.c[i], k->h2d.baud[i], fake_board_baud()));
            k->h2d.head = (i + 1) % k->h2d.cap;
            k->h2d.n--;
        }
        if (k->app_reset_at && k->now_us >= k->app_reset_at)
            app_to_bootloader(k);
        if (k->cfg.restart_at_ms && k->now_us >= (uint64_t)k->cfg.restart_at_ms * 1000u) {
            k->cfg.restart_at_ms = 0;
            k->booted = 0;
            k->resets++;
            power_on(k);
        }
        if (!k->booted && !k->off_until && k->now_us >= k->busy_until)
            run_device(k);
    }
}

static void h2d(void *ctx, const uint8_t *p, size_t n)
{
    struct link *k = ctx;

    line_send(k, &k->h2d, &k->h2d_free, k->now_us, p, n, NULL, k->host_baud);
}

static size_t d2h(void *ctx, uint8_t *p, size_t max)
{
    struct link *k = ctx;
    uint64_t lat = (uint64_t)k->cfg.latency_ms * 1000u;
    size_t n = 0;

    while (n < max && k->d2h.n && k->d2h.t[k->d2h.head] + lat <= k->now_us) {
        size_t i = k->d2h.head;
        p[n++] = sample(k, k->d2h.c[i], k->d2h.baud[i], k->host_baud);
        k->d2h.head = (i + 1) % k->d2h.cap;
        k->d2h.n--;
    }
    return n;
}

static void set_baud(void *ctx, uint32_t baud) { ((struct link *)ctx)->host_baud = baud; }

static uint64_t now_ms(void *ctx) { return ((struct link *)ctx)->now_us / 1000u; }

void link_init(struct link *k, const struct link_cfg *c, const struct f0b_layout *l)
{
    memset(k, 0, sizeof *k);
    k->cfg = *c;
    k->l = l;
    k->host_baud = c->baud;
    k->rng = 0x9E3779B97F4A7C15ull ^ ((uint64_t)c->seed * 0xD1B54A32D192ED03ull);
    if (!k->rng)
        k->rng = 1;
    lq_init(&k->h2d);
    lq_init(&k->d2h);
    fake_board_init(c->baud, 0x442);
    fake_board_rx_gate(gate);
    f0b_proto_init(&k->dev, l, F0B_STAY_NO_APP);
    k->booted = c->start_app;
    k->peer = (struct f0b_loop_peer){h2d, d2h, advance, set_baud, now_ms, k};
    f0b_port_loop(&k->port, &k->peer);
}

void link_free(struct link *k)
{
    lq_free(&k->h2d);
    lq_free(&k->d2h);
    fake_board_rx_gate(NULL);
}

void link_set_noise(struct link *k, double p_drop, double p_flip, double p_dup, double p_delay)
{
    k->cfg.p_drop = p_drop;
    k->cfg.p_flip = p_flip;
    k->cfg.p_dup = p_dup;
    k->cfg.p_delay = p_delay;
}
