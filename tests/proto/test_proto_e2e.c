/*
 * End to end in one process: libflash's session over the loopback port, through a
 * simulated line (link.c), to the real device engine (proto.c, update.c, boot.c) on the
 * strict fake flash. Virtual time, so runs are fast and every seed reproduces exactly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>

#include "core_util.h"
#include "fake_board.h"
#include "fake_flash.h"
#include "f0boot/flash.h"
#include "f0boot/layout.h"
#include "f0boot/le.h"
#include "frame.h"
#include "f0b_hal.h"
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

static struct link_cfg cfg(uint32_t baud, uint32_t latency_ms)
{
    struct link_cfg c;

    memset(&c, 0, sizeof c);
    c.baud = baud;
    c.latency_ms = latency_ms;
    c.erase_us = 30000;      /* DS9773 typical page erase */
    c.halfword_us_x10 = 535; /* and 16-bit programming */
    c.delay_max_ms = 30;
    return c;
}

struct evlog {
    int warns;
    char last_warn[200];
};

static void on_event(void *ctx, const struct f0b_event *ev)
{
    struct evlog *e = ctx;

    if (e && ev->kind == F0B_EV_WARN) {
        e->warns++;
        snprintf(e->last_warn, sizeof e->last_warn, "%s", ev->msg);
    }
}

struct run {
    int rc;
    int last_status;
    struct f0b_flash_result res;
    struct evlog ev;
};

/* connect, optional baud switch, flash. */
static void flash(struct link *k, const struct test_img *img, struct f0b_flash_opts *o,
                  struct run *r)
{
    struct f0b_session *s;

    memset(r, 0, sizeof *r);
    o->baud = k->cfg.baud;
    o->event = on_event;
    o->event_ctx = &r->ev;
    assert_int_equal(f0b_sess_create(&s, &k->port, o), 0);
    r->rc = f0b_sess_connect(s);
    if (r->rc == 0)
        r->rc = f0b_sess_fast_baud(s);
    if (r->rc == 0)
        r->rc = f0b_sess_flash(s, img->hdr, img->payload, img->size, &r->res);
    r->last_status = f0b_sess_last_status(s);
    f0b_sess_free(s);
}

static int flash_equals(const struct test_img *img)
{
    return memcmp(fake_flash_mem() + (L.app_start - F0B_FLASH_BASE), img->payload, img->size) == 0;
}

static double flash_ms(uint64_t erases, uint64_t halfwords)
{
    return (double)erases * 30.0 + (double)halfwords * 0.0535;
}

/* ---- framing ------------------------------------------------------------------------ */

struct buf {
    uint8_t b[4096];
    uint32_t n;
};

static void buf_sink(void *ctx, const uint8_t *p, uint32_t n)
{
    struct buf *b = ctx;

    assert_true(b->n + n <= sizeof b->b);
    memcpy(b->b + b->n, p, n);
    b->n += n;
}

static void test_cobs_roundtrip(void **state)
{
    static struct f0b_rx rx;
    uint8_t src[F0B_MAX_FRAME + 300];
    uint32_t x = 1;
    (void)state;

    /* every length around the 254-byte block boundaries, and random ones, at several zero
     * densities (none, some, all) */
    for (int it = 0; it < 3000; it++) {
        uint32_t len = it < 1100 ? (uint32_t)it : (x % (F0B_MAX_FRAME + 200));
        int density = it % 4;
        for (uint32_t i = 0; i < len; i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            src[i] = density == 0                         ? (uint8_t)(x | 1)
                     : density == 3                       ? 0
                     : (x % (density == 1 ? 50 : 3)) == 0 ? 0
                                                          : (uint8_t)x;
        }
        struct buf b = {.n = 0};
        f0b_cobs_encode(src, len, buf_sink, &b);
        assert_true(b.n <= len + len / 254 + 2);
        assert_int_equal(b.b[b.n - 1], 0);
        for (uint32_t i = 0; i + 1 < b.n; i++)
            assert_int_not_equal(b.b[i], 0);
        f0b_rx_reset(&rx);
        int n = 0;
        for (uint32_t i = 0; i < b.n; i++) {
            n = f0b_rx_byte(&rx, b.b[i]);
            if (i + 1 < b.n)
                assert_int_equal(n, 0);
        }
        if (len < F0B_FRAME_OVERHEAD || len > F0B_MAX_FRAME) {
            assert_int_equal(n, -1);
        } else {
            assert_int_equal(n, (int)len);
            assert_memory_equal(rx.buf, src, len);
        }
    }
}

static void test_frame_resync(void **state)
{
    static struct f0b_rx rx;
    uint8_t f[16] = {1, 2, 0, 3, 4, 5, 6, 7, 0, 9};
    const uint8_t garbage[] = {0x05, 0x11, 0x22}; /* code promises 4 bytes, gets 2 */
    struct buf b = {.n = 0};
    (void)state;

    f0b_rx_reset(&rx);
    for (size_t i = 0; i < sizeof garbage; i++)
        assert_int_equal(f0b_rx_byte(&rx, garbage[i]), 0);
    assert_int_equal(f0b_rx_byte(&rx, 0), -1); /* malformed: reported once */
    assert_int_equal(f0b_rx_byte(&rx, 0), 0);  /* empty frames are ignored */
    f0b_cobs_encode(f, 10, buf_sink, &b);
    int n = 0;
    for (uint32_t i = 0; i < b.n; i++)
        n = f0b_rx_byte(&rx, b.b[i]);
    assert_int_equal(n, 10);
    assert_memory_equal(rx.buf, f, 10);
    /* a frame that never ends is cut at F0B_MAX_FRAME and reported at its delimiter */
    for (int i = 0; i < 3000; i++)
        f0b_rx_byte(&rx, 0x42);
    assert_int_equal(f0b_rx_byte(&rx, 0), -1);
    assert_true(f0b_frame_crc_ok((const uint8_t *)"\x01\x02\x78\x56\x34\x12", 6, 0x12345678));
}

/* Reference decoder for one delimited segment (without its 0x00), written straight from
 * the COBS rules: the oracle for f0b_rx_feed(). Returns the decoded length or -1. */
static int cobs_ref(const uint8_t *in, uint32_t n, uint8_t *out)
{
    uint32_t i = 0, len = 0;
    while (i < n) {
        uint32_t code = in[i++];
        if (code == 0 || i + code - 1u > n)
            return -1;
        for (uint32_t k = 1; k < code; k++) {
            if (len == F0B_MAX_FRAME)
                return -1;
            out[len++] = in[i++];
        }
        if (code != 0xFF && i < n) {
            if (len == F0B_MAX_FRAME)
                return -1;
            out[len++] = 0;
        }
    }
    return len >= F0B_FRAME_OVERHEAD ? (int)len : -1;
}

/* Streams of good frames, damaged frames, garbage and stray delimiters, fed in random
 * runs (as the device gets them from its DMA ring), decode exactly as the reference
 * decoder says, frame by frame. */
static void test_frame_feed_chunks(void **state)
{
    static uint8_t stream[64 * 1024], ref[F0B_MAX_FRAME], src[F0B_MAX_FRAME + 300];
    static struct f0b_rx rx;
    uint32_t x = 12345u;
    (void)state;

    for (int round = 0; round < 300; round++) {
        struct buf b = {.n = 0};
        uint32_t sn = 0;
        while (sn < sizeof stream - 2 * F0B_MAX_ENCODED) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            uint32_t len = x % 8 == 0 ? x % (F0B_MAX_FRAME + 200) : x % 64;
            for (uint32_t i = 0; i < len; i++) {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                src[i] = (x & 7) == 0 ? 0 : (uint8_t)(x >> 8);
            }
            b.n = 0;
            f0b_cobs_encode(src, len, buf_sink, &b);
            if (x % 5 == 0 && b.n > 2) /* damage it: a flipped or lost byte */
                b.b[x % (b.n - 1)] ^= (uint8_t)(1u << (x % 8));
            if (x % 7 == 0 && b.n > 2)
                b.b[(x >> 3) % (b.n - 1)] = 0; /* a delimiter in the middle */
            memcpy(stream + sn, b.b, b.n);
            sn += b.n;
            if (x % 11 == 0)
                stream[sn++] = 0; /* an empty frame */
        }
        stream[sn++] = 0;

        /* what the reference says, segment by segment: the stream split at every 0x00 */
        static int want[64 * 1024];
        static uint32_t want_from[64 * 1024], want_at[64 * 1024];
        uint32_t nwant = 0, seg = 0;
        for (uint32_t i = 0; i < sn; i++) {
            if (stream[i] != 0)
                continue;
            if (i > seg) {
                want_from[nwant] = seg;
                want_at[nwant] = i;
                want[nwant++] = cobs_ref(stream + seg, i - seg, ref);
            }
            seg = i + 1;
        }

        f0b_rx_reset(&rx);
        uint32_t pos = 0, got = 0;
        while (pos < sn) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            uint32_t chunk = 1u + x % (x & 1 ? 2000u : 7u), used = 0;
            if (chunk > sn - pos)
                chunk = sn - pos;
            int n = f0b_rx_feed(&rx, stream + pos, chunk, &used);
            assert_true(used >= 1 && used <= chunk);
            pos += used;
            if (n == 0) {
                assert_int_equal(used, chunk);
                continue;
            }
            assert_true(got < nwant);
            assert_int_equal(pos - 1, want_at[got]); /* it stopped right after the 0x00 */
            assert_int_equal(n, want[got]);
            if (n > 0) {
                cobs_ref(stream + want_from[got], want_at[got] - want_from[got], ref);
                assert_memory_equal(rx.buf, ref, (size_t)n);
            }
            got++;
        }
        assert_int_equal(got, nwant);
    }
}

/* ---- updates over a clean line -------------------------------------------------------- */

static void test_full_update_115200(void **state)
{
    struct test_img img;
    struct f0b_flash_opts o;
    struct link k;
    struct run r;
    (void)state;

    test_img_make(&img, &L, 64 * 1024, 7);
    link_init(&k, &(struct link_cfg){0}, &L);
    link_free(&k);
    struct link_cfg c = cfg(115200, 1);
    link_init(&k, &c, &L);
    f0b_flash_opts_default(&o);
    flash(&k, &img, &o, &r);
    assert_int_equal(r.rc, 0);
    assert_true(flash_equals(&img));
    assert_int_equal(f0b_app_state(&L), F0B_APP_VALID);
    assert_int_equal(r.res.crc, f0b_get_le32(img.hdr + F0B_IMG_OFF_PAYLOAD_CRC));
    assert_true(k.booted);
    assert_true(r.res.booted);
    assert_int_equal(fake_board_rx_overflows(), 0);
    assert_int_equal(r.res.retries, 0);
    double rate = img.size / (r.res.ms / 1000.0);
    print_message("115200 baud, 1 ms latency: 64 KiB in %llu ms = %.0f B/s (line 11520 B/s)\n",
                  (unsigned long long)r.res.ms, rate);
    assert_true(rate >= 10500.0);
    link_free(&k);
    test_img_free(&img);
}

/* The answer to BOOT is lost (the device is gone right after sending it): the update is
 * verified and committed, so it succeeds with a warning instead of failing. */
static void test_boot_answer_lost(void **state)
{
    struct test_img img;
    struct f0b_flash_opts o;
    struct link k;
    struct run r;
    struct link_cfg c = cfg(115200, 1);
    (void)state;

    c.lose_boot_answer = 1;
    test_img_make(&img, &L, 4096, 17);
    link_init(&k, &c, &L);
    f0b_flash_opts_default(&o);
    flash(&k, &img, &o, &r);
    assert_int_equal(r.rc, 0);
    assert_true(k.booted);
    assert_false(r.res.booted);
    assert_true(r.res.boot_unconfirmed);
    assert_int_equal(r.ev.warns, 1);
    print_message("%s\n", r.ev.last_warn);
    assert_true(flash_equals(&img));
    assert_int_equal(f0b_app_state(&L), F0B_APP_VALID);
    link_free(&k);
    test_img_free(&img);
}

/* ---- a power cut right after the commit (issue 13 item 11) -------------------------- */

/* The device programs the commit word and loses power before END's answer leaves; it comes
 * back after off_ms with the new image committed and a 50 ms boot window. */
static void cut_after_commit(uint32_t off_ms, uint32_t fast, int no_boot, struct run *r,
                             struct link *k)
{
    struct test_img img;
    struct f0b_flash_opts o;
    struct link_cfg c = cfg(115200, 1);

    c.cut_after_commit = 1;
    c.cut_off_ms = off_ms;
    c.window_ms = 50;
    test_img_make(&img, &L, 20000, 23);
    link_init(k, &c, &L);
    f0b_flash_opts_default(&o);
    o.fast_baud = fast;
    o.no_boot = no_boot;
    flash(k, &img, &o, r);
    assert_true(k->cut_done);
    assert_true(flash_equals(&img));
    assert_int_equal(f0b_app_state(&L), F0B_APP_VALID);
    print_message("cut, off %u ms, fast %u: rc %d, %d warnings, last: %s\n", off_ms, fast, r->rc,
                  r->ev.warns, r->ev.last_warn);
    test_img_free(&img);
}

static void test_cut_after_commit(void **state)
{
    static const struct {
        uint32_t off_ms, fast;
        int no_boot;
    } cases[] = {
        {2000, 0, 0},      /* back after END's timeout: greeted in its window */
        {300, 0, 1},       /* back while END is still awaited */
        {2000, 921600, 0}, /* the device comes back at the starting rate */
    };
    (void)state;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct link k;
        struct run r;
        fake_flash_init(&L);
        cut_after_commit(cases[i].off_ms, cases[i].fast, cases[i].no_boot, &r, &k);
        assert_int_equal(r.rc, 0);
        assert_true(r.res.relinked);
        assert_int_equal(r.res.crc,
                         (uint32_t)crc32(0L, fake_flash_mem() + (L.app_start - F0B_FLASH_BASE),
                                         r.res.bytes));
        assert_int_equal(r.ev.warns, 2); /* no answer after END; committed after all */
        assert_non_null(strstr(r.ev.last_warn, "the link was lost after END"));
        assert_int_equal(k.dev.stay_reason, F0B_STAY_GREETING); /* held in its window */
        assert_int_equal(k.booted, !cases[i].no_boot);
        assert_int_equal(r.res.booted, !cases[i].no_boot);
        link_free(&k);
        fake_flash_free();
    }
}

/* Power that does not come back within --wait: a clear transfer failure, not a success. */
static void test_cut_after_commit_no_power(void **state)
{
    struct link k;
    struct run r;
    (void)state;

    cut_after_commit(60000, 0, 0, &r, &k);
    assert_int_equal(r.rc, F0B_E_TRANSFER);
    assert_false(r.res.relinked);
    assert_non_null(strstr(r.ev.last_warn, "may or may not be committed"));
    link_free(&k);
}

static double rate_at(uint32_t baud, uint32_t latency, uint32_t fast, uint64_t *ms,
                      uint64_t *erases, uint64_t *ops)
{
    struct test_img img;
    struct f0b_flash_opts o;
    struct link k;
    struct run r;
    struct link_cfg c = cfg(baud, latency);

    fake_flash_free();
    fake_flash_init(&L);
    test_img_make(&img, &L, 64 * 1024, 11);
    link_init(&k, &c, &L);
    f0b_flash_opts_default(&o);
    o.fast_baud = fast;
    o.no_boot = 1;
    flash(&k, &img, &o, &r);
    assert_int_equal(r.rc, 0);
    assert_true(flash_equals(&img));
    assert_int_equal(fake_board_rx_overflows(), 0);
    *ms = r.res.ms;
    *erases = fake_flash_erases();
    *ops = fake_flash_ops();
    link_free(&k);
    test_img_free(&img);
    return 64.0 * 1024 / (r.res.ms / 1000.0);
}

static void test_latency_16ms(void **state)
{
    uint64_t ms1, ms16, e, o;
    (void)state;

    double r1 = rate_at(115200, 1, 0, &ms1, &e, &o);
    double r16 = rate_at(115200, 16, 0, &ms16, &e, &o);
    print_message("115200: %.0f B/s at 1 ms latency, %.0f B/s at 16 ms (%.1f%% slower)\n", r1, r16,
                  100.0 * (r1 - r16) / r1);
    assert_true(r16 >= 0.95 * r1);
}

static void test_921600_flash_bound(void **state)
{
    uint64_t ms, erases, ops;
    (void)state;

    rate_at(115200, 16, 921600, &ms, &erases, &ops);
    double fms = flash_ms(erases, ops - erases);
    print_message("921600 (16 ms latency): update %llu ms, flash alone %.0f ms (+%.1f%%)\n",
                  (unsigned long long)ms, fms, 100.0 * ((double)ms - fms) / fms);
    assert_true((double)ms <= 1.10 * fms);
}

/* ---- refusals --------------------------------------------------------------------------- */

static void test_header_refusals(void **state)
{
    static const struct {
        int status;
        int field;
        uint32_t value;
        int width;
    } cases[] = {
        {F0B_ST_HDR_MAGIC, F0B_IMG_OFF_MAGIC, 0x4D49304E, 4},
        {F0B_ST_HDR_VERSION, F0B_IMG_OFF_HDR_VERSION, 2, 2},
        {F0B_ST_HDR_CRC, -1, 0, 0},
        {F0B_ST_HDR_ADDR, F0B_IMG_OFF_LOAD_ADDR, F0B_APP_START + 0x800, 4},
        {F0B_ST_HDR_SIZE, -2, 0, 0},
        {F0B_ST_HDR_VT_LEN, F0B_IMG_OFF_VT_LEN, 6, 2},
        {F0B_ST_HDR_PART, F0B_IMG_OFF_PART, 3, 2},
        {F0B_ST_HDR_SP, F0B_IMG_OFF_INIT_SP, 0x10000000, 4},
        {F0B_ST_HDR_RESET, F0B_IMG_OFF_RESET_VEC, F0B_APP_START + 0xC0, 4},
    };
    struct test_img good, bad;
    struct f0b_flash_opts o;
    struct run r;
    (void)state;

    test_img_make(&good, &L, 8 * 1024, 3);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct link k;
        struct link_cfg c = cfg(115200, 1);
        link_init(&k, &c, &L);
        if (cases[i].field == -2) {
            test_img_make(&bad, &L, L.app_size + 4, 3);
        } else {
            test_img_make(&bad, &L, 8 * 1024, 3);
            if (cases[i].field == -1) {
                bad.hdr[F0B_IMG_OFF_HDR_CRC] ^= 1;
            } else {
                if (cases[i].width == 4)
                    f0b_put_le32(bad.hdr + cases[i].field, cases[i].value);
                else
                    f0b_put_le16(bad.hdr + cases[i].field, (uint16_t)cases[i].value);
                test_hdr_fix_crc(bad.hdr);
            }
        }
        uint64_t ops = fake_flash_ops();
        f0b_flash_opts_default(&o);
        o.no_boot = 1;
        flash(&k, &bad, &o, &r);
        assert_int_equal(r.rc, F0B_E_REFUSED);
        assert_int_equal(r.last_status, cases[i].status);
        assert_int_equal(fake_flash_ops(), ops); /* refused before any erase */
        print_message("refused 0x%02x: %s\n", r.last_status, f0b_status_str(r.last_status));
        assert_string_not_equal(f0b_status_str(r.last_status), "unknown device status");
        /* the device still takes a good image */
        flash(&k, &good, &o, &r);
        assert_int_equal(r.rc, 0);
        assert_true(flash_equals(&good));
        link_free(&k);
        test_img_free(&bad);
    }
    test_img_free(&good);
}

/* ---- a bad line -------------------------------------------------------------------------- */

static void noisy(double p, int seeds, uint32_t size, int *ok, int *failed, unsigned *events)
{
    struct test_img img;
    struct f0b_flash_opts o;
    struct run r;

    for (int seed = 1; seed <= seeds; seed++) {
        struct link k;
        struct link_cfg c = cfg(115200, 4);
        fake_flash_free();
        fake_flash_init(&L);
        test_img_make(&img, &L, size, (uint32_t)seed);
        c.seed = (uint32_t)seed;
        c.p_drop = c.p_flip = c.p_dup = c.p_delay = p;

        link_init(&k, &c, &L);
        f0b_flash_opts_default(&o);
        o.no_boot = 1;
        o.retries = 8;
        flash(&k, &img, &o, &r);
        *events += k.noise_events;
        if (r.rc == 0) {
            /* never a success with wrong flash */
            assert_true(flash_equals(&img));
            assert_int_equal(f0b_app_state(&L), F0B_APP_VALID);
            (*ok)++;
        } else {
            assert_true(r.rc == F0B_E_TRANSFER || r.rc == F0B_E_NO_ANSWER || r.rc == F0B_E_VERIFY);
            /* a failure after the commit is possible (an answer lost for good), but a
             * committed record never stands for wrong flash */
            if (f0b_app_state(&L) == F0B_APP_VALID)
                assert_true(flash_equals(&img));
            (*failed)++;
            if (getenv("F0B_TEST_VERBOSE"))
                print_message("seed %d: %s (%d warnings, last: %s)\n", seed,
                              f0b_flash_strerror(r.rc), r.ev.warns, r.ev.last_warn);
            /* a clean line: the same device takes the update */
            link_set_noise(&k, 0, 0, 0, 0);
            flash(&k, &img, &o, &r);
            assert_int_equal(r.rc, 0);
            assert_true(flash_equals(&img));
            assert_int_equal(f0b_app_state(&L), F0B_APP_VALID);
        }
        link_free(&k);
        test_img_free(&img);
    }
}

static void test_noisy_moderate(void **state)
{
    int ok = 0, failed = 0;
    unsigned ev = 0;
    (void)state;

    noisy(5e-5, 100, 16 * 1024, &ok, &failed, &ev);
    print_message("noise 5e-5 per byte x4 kinds, 100 seeds: %d ok, %d failed cleanly, %u events\n",
                  ok, failed, ev);
    assert_true(ev > 100);
    assert_true(ok >= 99);
}

static void test_noisy_light(void **state)
{
    int ok = 0, failed = 0;
    unsigned ev = 0;
    (void)state;

    noisy(2e-4, 60, 16 * 1024, &ok, &failed, &ev);
    print_message("noise 2e-4 per byte x4 kinds, 60 seeds: %d ok, %d failed cleanly, %u events\n",
                  ok, failed, ev);
    assert_true(ok >= 55);
}

static void test_noisy_heavy(void **state)
{
    int ok = 0, failed = 0;
    unsigned ev = 0;
    (void)state;

    noisy(2e-3, 40, 16 * 1024, &ok, &failed, &ev);
    print_message("noise 2e-3 per byte x4 kinds, 40 seeds: %d ok, %d failed cleanly, %u events\n",
                  ok, failed, ev);
    assert_true(ev > 40 * 50);
    assert_int_equal(ok + failed, 40);
}

/* A device 20 times slower than the host's timeout assumes (a loaded simulator, say):
 * timeouts fire, the host probes with one frame instead of resending a whole window, and
 * the update completes without ever overflowing the device's receive ring. */
static void test_slow_device(void **state)
{
    struct test_img img;
    struct f0b_flash_opts o;
    struct link k;
    struct run r;
    struct link_cfg c = cfg(115200, 16);
    (void)state;

    c.erase_us *= 20;
    c.halfword_us_x10 *= 20;
    test_img_make(&img, &L, 16 * 1024, 12);
    link_init(&k, &c, &L);
    f0b_flash_opts_default(&o);
    o.no_boot = 1;
    flash(&k, &img, &o, &r);
    print_message("20x slower flash: %s after %u retries, %llu ms, ring overflows %u\n",
                  r.rc ? f0b_flash_strerror(r.rc) : "ok", r.res.retries,
                  (unsigned long long)r.res.ms, fake_board_rx_overflows());
    assert_int_equal(r.rc, 0);
    assert_true(r.res.retries > 0);
    assert_int_equal(fake_board_rx_overflows(), 0);
    assert_true(flash_equals(&img));
    link_free(&k);
    test_img_free(&img);
}

/* ---- baud switch ------------------------------------------------------------------------ */

static void test_baud_switch(void **state)
{
    struct test_img img;
    struct f0b_flash_opts o;
    struct link k;
    struct run r;
    struct link_cfg c = cfg(115200, 2);
    (void)state;

    test_img_make(&img, &L, 32 * 1024, 5);
    link_init(&k, &c, &L);
    f0b_flash_opts_default(&o);
    o.fast_baud = 921600;
    o.no_boot = 1;
    flash(&k, &img, &o, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.res.baud, 921600);
    assert_int_equal(fake_board_baud(), 921600);
    assert_int_equal(r.ev.warns, 0);
    assert_true(flash_equals(&img));
    link_free(&k);

    /* the line cannot carry 921600: both ends come back to 115200 and finish there */
    fake_flash_free();
    fake_flash_init(&L);
    c.broken_baud = 921600;
    link_init(&k, &c, &L);
    flash(&k, &img, &o, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.res.baud, 115200);
    assert_int_equal(fake_board_baud(), 115200);
    assert_int_equal(r.ev.warns, 1);
    print_message("fallback: %s\n", r.ev.last_warn);
    assert_true(flash_equals(&img));
    link_free(&k);

    /* a rate the port cannot set: the device stays, the host falls back */
    fake_flash_free();
    fake_flash_init(&L);
    c.broken_baud = 0;
    link_init(&k, &c, &L);
    fake_board_max_baud(460800);
    flash(&k, &img, &o, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.res.baud, 115200);
    assert_true(flash_equals(&img));
    link_free(&k);
    test_img_free(&img);
}

/* ---- skip-unchanged ------------------------------------------------------------------- */

static void test_skip_unchanged(void **state)
{
    struct test_img img;
    struct f0b_flash_opts o;
    struct link k;
    struct run r;
    struct link_cfg c = cfg(115200, 1);
    uint32_t npages = 20 * 1024 / L.page_size, er[16];
    (void)state;

    test_img_make(&img, &L, 20 * 1024, 9);
    link_init(&k, &c, &L);
    f0b_flash_opts_default(&o);
    o.no_boot = 1;
    o.skip_unchanged = 1;
    flash(&k, &img, &o, &r); /* first time: everything differs */
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.res.pages_skipped, 0);
    assert_true(flash_equals(&img));

    uint64_t ops = fake_flash_ops();
    flash(&k, &img, &o, &r); /* same image: nothing written at all */
    assert_int_equal(r.rc, 0);
    assert_true(r.res.unchanged);
    assert_int_equal(fake_flash_ops(), ops);
    assert_int_equal(r.res.written, 0);

    /* one byte changed in page 5: only page 5 (and the record page) are erased */
    img.payload[5 * L.page_size + 100] ^= 0x5A;
    f0b_put_le32(img.hdr + F0B_IMG_OFF_PAYLOAD_CRC, (uint32_t)crc32(0L, img.payload, img.size));
    test_hdr_fix_crc(img.hdr);
    for (uint32_t p = 0; p < npages; p++)
        er[p] = fake_flash_page_erases(L.app_start + p * L.page_size);
    uint32_t rec = fake_flash_page_erases(L.record_addr);
    flash(&k, &img, &o, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.res.pages_skipped, npages - 1);
    assert_int_equal(r.res.written, L.page_size);
    for (uint32_t p = 0; p < npages; p++)
        assert_int_equal(fake_flash_page_erases(L.app_start + p * L.page_size), er[p] + (p == 5));
    assert_int_equal(fake_flash_page_erases(L.record_addr), rec + 1);
    assert_true(flash_equals(&img));
    assert_int_equal(f0b_app_state(&L), F0B_APP_VALID);

    /* first and last pages changed: SEEK from 0 is not needed, SEEK to the last is */
    img.payload[0 + 200] ^= 1;
    img.payload[img.size - 1] ^= 1;
    f0b_put_le32(img.hdr + F0B_IMG_OFF_PAYLOAD_CRC, (uint32_t)crc32(0L, img.payload, img.size));
    test_hdr_fix_crc(img.hdr);
    flash(&k, &img, &o, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.res.pages_skipped, npages - 2);
    assert_true(flash_equals(&img));
    link_free(&k);
    test_img_free(&img);
}

/* Issue 13 defect 2: after `flash --skip-unchanged --no-boot` committed an update that sent
 * only page 5, a plain flash of the same image in the same bootloader session succeeds and
 * rewrites every page (before: exit 14, "no update session open", because the committed
 * session was kept with next short of the payload). */
static void test_flash_again_after_skip(void **state)
{
    struct test_img img;
    struct f0b_flash_opts o;
    struct link k;
    struct run r;
    struct link_cfg c = cfg(115200, 1);
    (void)state;

    test_img_make(&img, &L, 20 * 1024, 19);
    link_init(&k, &c, &L);
    f0b_flash_opts_default(&o);
    o.no_boot = 1;
    o.skip_unchanged = 1;
    flash(&k, &img, &o, &r);
    assert_int_equal(r.rc, 0);
    img.payload[5 * L.page_size + 100] ^= 0x5A;
    f0b_put_le32(img.hdr + F0B_IMG_OFF_PAYLOAD_CRC, (uint32_t)crc32(0L, img.payload, img.size));
    test_hdr_fix_crc(img.hdr);
    flash(&k, &img, &o, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.res.written, L.page_size);
    uint32_t er0 = fake_flash_page_erases(L.app_start);
    o.skip_unchanged = 0;
    flash(&k, &img, &o, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.res.written, img.size);
    assert_int_equal(fake_flash_page_erases(L.app_start), er0 + 1);
    assert_true(flash_equals(&img));
    assert_int_equal(f0b_app_state(&L), F0B_APP_VALID);
    link_free(&k);
    test_img_free(&img);
}

/* ---- raw frames against the device --------------------------------------------------- */

static void raw_send(struct link *k, uint8_t type, uint8_t seq, const uint8_t *pl, uint32_t n)
{
    uint8_t f[F0B_MAX_FRAME];
    struct buf b = {.n = 0};

    f[0] = type;
    f[1] = seq;
    memcpy(f + 2, pl, n);
    f0b_put_le32(f + 2 + n, f0b_frame_crc(f, 2 + n));
    f0b_cobs_encode(f, n + 6, buf_sink, &b);
    k->port.ops->write(k->port.ctx, b.b, b.n);
}

/* Next frame within ms: its length (rx->buf), or 0. */
static int raw_recv(struct link *k, struct f0b_rx *rx, int ms)
{
    uint8_t c;
    uint64_t end = k->port.ops->now_ms(k->port.ctx) + (uint64_t)ms;

    while (k->port.ops->now_ms(k->port.ctx) < end) {
        if (k->port.ops->read(k->port.ctx, &c, 1, 1) != 1)
            continue;
        int n = f0b_rx_byte(rx, c);
        if (n > 0 &&
            f0b_frame_crc_ok(rx->buf, (uint32_t)n, f0b_frame_crc(rx->buf, (uint32_t)n - 4)))
            return n;
    }
    return 0;
}

static void test_device_raw(void **state)
{
    static struct f0b_rx rx;
    struct test_img img;
    struct link k;
    struct link_cfg c = cfg(115200, 1);
    uint8_t pl[F0B_MAX_PAYLOAD];
    int n;
    (void)state;

    test_img_make(&img, &L, 8 * 1024, 4);
    link_init(&k, &c, &L);
    f0b_rx_reset(&rx);

    /* before INFO everything else is refused: INFO is the version check */
    raw_send(&k, F0B_CMD_BEGIN, 1, img.hdr, 64);
    n = raw_recv(&k, &rx, 200);
    assert_int_equal(n, 7);
    assert_int_equal(rx.buf[0], F0B_CMD_BEGIN | F0B_RESP);
    assert_int_equal(rx.buf[2], F0B_ST_BAD_STATE);

    /* a host speaking the next major: VERSION, with the frozen first bytes saying ours */
    pl[0] = F0B_PROTO_MAJOR + 1;
    pl[1] = 0;
    raw_send(&k, F0B_CMD_INFO, 2, pl, 2);
    n = raw_recv(&k, &rx, 200);
    assert_int_equal(n, 7 + F0B_INFO_SIZE);
    assert_int_equal(rx.buf[1], 2);
    assert_int_equal(rx.buf[2], F0B_ST_VERSION);
    assert_int_equal(rx.buf[3 + F0B_INFO_PROTO_MAJOR], F0B_PROTO_MAJOR);
    raw_send(&k, F0B_CMD_BEGIN, 3, img.hdr, 64);
    n = raw_recv(&k, &rx, 200);
    assert_int_equal(rx.buf[2], F0B_ST_BAD_STATE);

    /* our major: INFO fields as the layout says */
    pl[0] = F0B_PROTO_MAJOR;
    raw_send(&k, F0B_CMD_INFO, 4, pl, 2);
    n = raw_recv(&k, &rx, 200);
    assert_int_equal(rx.buf[2], F0B_ST_OK);
    const uint8_t *in = rx.buf + 3;
    assert_int_equal(f0b_get_le16(in + F0B_INFO_CHIP_ID), 0x442);
    assert_int_equal(f0b_get_le16(in + F0B_INFO_PAGE_SIZE), 2048);
    assert_int_equal(f0b_get_le32(in + F0B_INFO_APP_START), F0B_APP_START);
    assert_int_equal(in[F0B_INFO_WINDOW], 3); /* 4096-byte ring / 1042 */
    assert_int_equal(in[F0B_INFO_APP_STATE], F0B_APP_NONE);

    /* unknown command, bad lengths */
    raw_send(&k, 0x42, 5, pl, 0);
    n = raw_recv(&k, &rx, 200);
    assert_int_equal(rx.buf[0], 0x42 | F0B_RESP);
    assert_int_equal(rx.buf[2], F0B_ST_UNKNOWN_CMD);
    raw_send(&k, F0B_CMD_CRC, 6, pl, 3);
    raw_recv(&k, &rx, 200);
    assert_int_equal(rx.buf[2], F0B_ST_BAD_LEN);
    f0b_put_le32(pl, F0B_FLASH_BASE + L.flash_size - 4);
    f0b_put_le32(pl + 4, 8);
    f0b_put_le32(pl + 8, 0);
    raw_send(&k, F0B_CMD_CRC, 7, pl, 12);
    raw_recv(&k, &rx, 200);
    assert_int_equal(rx.buf[2], F0B_ST_BAD_ARG); /* runs past the flash */
    raw_send(&k, F0B_CMD_DATA, 8, pl, 10);
    raw_recv(&k, &rx, 200);
    assert_int_equal(rx.buf[2], F0B_ST_BAD_STATE); /* no session */

    /* a corrupt frame: NAK with next */
    const uint8_t junk[] = {0x03, 0x99, 0x98, 0x00};
    k.port.ops->write(k.port.ctx, junk, sizeof junk);
    n = raw_recv(&k, &rx, 200);
    assert_int_equal(n, 11);
    assert_int_equal(rx.buf[0], F0B_T_NAK);
    assert_int_equal(rx.buf[2], F0B_ST_BAD_FRAME);

    /* gap handling: one OUT_OF_ORDER per gap, later frames dropped silently */
    raw_send(&k, F0B_CMD_BEGIN, 9, img.hdr, 64);
    raw_recv(&k, &rx, 200);
    assert_int_equal(rx.buf[2], F0B_ST_OK);
    for (int i = 0; i < 3; i++) {
        uint32_t off = 1024u * (uint32_t)(i + 1);
        f0b_put_le32(pl, off);
        pl[4] = pl[5] = 0;
        memcpy(pl + 6, img.payload + off, 1024);
        raw_send(&k, F0B_CMD_DATA, (uint8_t)(10 + i), pl, 1030);
    }
    n = raw_recv(&k, &rx, 500);
    assert_int_equal(n, 11);
    assert_int_equal(rx.buf[1], 10);
    assert_int_equal(rx.buf[2], F0B_ST_OUT_OF_ORDER);
    assert_int_equal(f0b_get_le32(rx.buf + 3), 0);
    assert_int_equal(raw_recv(&k, &rx, 500), 0); /* 11 and 12: silence */
    f0b_put_le32(pl, 0);
    memcpy(pl + 6, img.payload, 1024);
    raw_send(&k, F0B_CMD_DATA, 13, pl, 1030);
    raw_recv(&k, &rx, 500);
    assert_int_equal(rx.buf[1], 13);
    assert_int_equal(rx.buf[2], F0B_ST_OK);
    assert_int_equal(f0b_get_le32(rx.buf + 3), 1024);
    raw_send(&k, F0B_CMD_DATA, 14, pl, 1030); /* a repeat: OK, nothing written */
    raw_recv(&k, &rx, 500);
    assert_int_equal(rx.buf[2], F0B_ST_OK);
    assert_int_equal(f0b_get_le32(rx.buf + 3), 1024);
    /* END before all data: read-back differs, nothing committed */
    raw_send(&k, F0B_CMD_END, 15, pl, 0);
    raw_recv(&k, &rx, 500);
    assert_int_equal(rx.buf[2], F0B_ST_VERIFY);
    assert_int_not_equal(f0b_app_state(&L), F0B_APP_VALID);
    /* BOOT without an application */
    raw_send(&k, F0B_CMD_BOOT, 16, pl, 0);
    raw_recv(&k, &rx, 500);
    assert_int_equal(rx.buf[2], F0B_ST_NO_APP);
    assert_false(k.booted);
    /* RESET answers, then resets */
    raw_send(&k, F0B_CMD_RESET, 17, pl, 0);
    raw_recv(&k, &rx, 500);
    assert_int_equal(rx.buf[2], F0B_ST_OK);
    assert_int_equal(k.resets, 1);
    link_free(&k);
    test_img_free(&img);
}

/* ---- host against peers that are not our bootloader ------------------------------------ */

struct fakepeer {
    uint64_t now;
    int major; /* answer INFO with this major; 0: never answer */
    struct f0b_rx rx;
    struct buf out;
    size_t pos;
};

static void fp_h2d(void *ctx, const uint8_t *p, size_t n)
{
    struct fakepeer *f = ctx;

    for (size_t i = 0; i < n; i++) {
        int len = f0b_rx_byte(&f->rx, p[i]);
        if (len > 0 && f->major == F0B_PROTO_MAJOR && f->rx.buf[0] == F0B_CMD_INFO) {
            /* a bootloader of our major, minor 5: six more INFO bytes at the end, a feature
             * bit we do not know */
            uint8_t r[3 + F0B_INFO_SIZE + 6 + 4];
            uint8_t *in = r + 3;
            memset(r, 0, sizeof r);
            r[0] = F0B_CMD_INFO | F0B_RESP;
            r[1] = f->rx.buf[1];
            in[F0B_INFO_PROTO_MAJOR] = F0B_PROTO_MAJOR;
            in[F0B_INFO_PROTO_MINOR] = 5;
            f0b_put_le16(in + F0B_INFO_PAGE_SIZE, 2048);
            f0b_put_le16(in + F0B_INFO_MAX_DATA, 1024);
            in[F0B_INFO_WINDOW] = 3;
            f0b_put_le32(in + F0B_INFO_FEATURES, F0B_FEAT_CRC | (1u << 9));
            f0b_put_le32(r + sizeof r - 4, (uint32_t)crc32(0L, r, sizeof r - 4));
            f0b_cobs_encode(r, sizeof r, buf_sink, &f->out);
        } else if (len > 0 && f->major && f->rx.buf[0] == F0B_CMD_INFO) {
            /* a bootloader of another major: answers with its version and VERSION */
            uint8_t r[16] = {F0B_CMD_INFO | F0B_RESP, f->rx.buf[1], F0B_ST_VERSION,
                             (uint8_t)f->major, 3};
            f0b_put_le32(r + 5, (uint32_t)crc32(0L, r, 5));
            f0b_cobs_encode(r, 9, buf_sink, &f->out);
        }
    }
}

static size_t fp_d2h(void *ctx, uint8_t *p, size_t max)
{
    struct fakepeer *f = ctx;
    size_t n = f->out.n - f->pos < max ? f->out.n - f->pos : max;

    memcpy(p, f->out.b + f->pos, n);
    f->pos += n;
    return n;
}

static void fp_advance(void *ctx, uint32_t ms) { ((struct fakepeer *)ctx)->now += ms; }
static uint64_t fp_now(void *ctx) { return ((struct fakepeer *)ctx)->now; }

static void test_host_version_and_silence(void **state)
{
    static struct fakepeer f;
    struct f0b_loop_peer pe = {fp_h2d, fp_d2h, fp_advance, NULL, fp_now, &f};
    struct f0b_port port;
    struct f0b_session *s;
    struct f0b_flash_opts o;
    (void)state;

    memset(&f, 0, sizeof f);
    f.major = F0B_PROTO_MAJOR + 1;
    f0b_port_loop(&port, &pe);
    f0b_flash_opts_default(&o);
    assert_int_equal(f0b_sess_create(&s, &port, &o), 0);
    assert_int_equal(f0b_sess_connect(s), F0B_E_VERSION);
    assert_int_equal(f0b_sess_info(s)->proto_major, F0B_PROTO_MAJOR + 1);
    assert_int_equal(f0b_sess_info(s)->proto_minor, 3);
    assert_true(f.now < 200); /* at once, not after a timeout */
    f0b_sess_free(s);

    memset(&f, 0, sizeof f); /* a newer minor of our major: fine */
    f.major = F0B_PROTO_MAJOR;
    assert_int_equal(f0b_sess_create(&s, &port, &o), 0);
    assert_int_equal(f0b_sess_connect(s), 0);
    assert_int_equal(f0b_sess_info(s)->proto_minor, 5);
    assert_int_equal(f0b_sess_info(s)->window, 3);
    f0b_sess_free(s);

    memset(&f, 0, sizeof f); /* nobody there */
    o.connect_ms = 700;
    assert_int_equal(f0b_sess_create(&s, &port, &o), 0);
    assert_int_equal(f0b_sess_connect(s), F0B_E_NO_ANSWER);
    assert_true(f.now >= 700 && f.now < 900);
    f0b_sess_free(s);
}

/* ---- the boot window of f0b_proto_run ---------------------------------------------------- */

static void test_proto_run_window(void **state)
{
    static jmp_buf env;
    struct test_img img;
    struct buf b = {.n = 0};
    uint8_t f[16];
    (void)state;

    /* a committed application and nobody greets: started when the window ends */
    test_img_make(&img, &L, 4096, 8);
    assert_int_equal(test_update_all(&L, &img, 1024), F0B_ST_OK);
    fake_board_init(115200, 0x442);
    fake_board_auto_tick(1);
    fake_board_exit_env(&env);
    if (setjmp(env) == 0) {
        f0b_proto_run(&L, 100, F0B_STAY_NO_APP);
        fail_msg("f0b_proto_run returned");
    }
    assert_int_equal(fake_board_started_app(), L.app_start);
    assert_true(f0b_hal_millis() >= 100 && f0b_hal_millis() < 110);

    /* a greeting and BOOT in the ring: the app is started */
    fake_board_init(115200, 0x442);
    fake_board_auto_tick(1);
    f[0] = F0B_CMD_INFO;
    f[1] = 1;
    f[2] = F0B_PROTO_MAJOR;
    f[3] = 0;
    f0b_put_le32(f + 4, (uint32_t)crc32(0L, f, 4));
    f0b_cobs_encode(f, 8, buf_sink, &b);
    f[0] = F0B_CMD_BOOT;
    f[1] = 2;
    f0b_put_le32(f + 2, f0b_frame_crc(f, 2));
    f0b_cobs_encode(f, 6, buf_sink, &b);
    for (uint32_t i = 0; i < b.n; i++)
        fake_board_rx_push(b.b[i]);
    fake_board_exit_env(&env);
    if (setjmp(env) == 0) {
        f0b_proto_run(&L, 100, F0B_STAY_NO_APP);
        fail_msg("f0b_proto_run returned after BOOT");
    }
    assert_int_equal(fake_board_started_app(), L.app_start);
    assert_true(fake_board_tx_flushes() >= 1);
    fake_board_exit_env(NULL);
    test_img_free(&img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cobs_roundtrip),
        cmocka_unit_test(test_frame_resync),
        cmocka_unit_test(test_frame_feed_chunks),
        cmocka_unit_test_setup_teardown(test_full_update_115200, setup, teardown),
        cmocka_unit_test_setup_teardown(test_boot_answer_lost, setup, teardown),
        cmocka_unit_test(test_cut_after_commit),
        cmocka_unit_test_setup_teardown(test_cut_after_commit_no_power, setup, teardown),
        cmocka_unit_test_setup_teardown(test_latency_16ms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_921600_flash_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_noisy_moderate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_noisy_light, setup, teardown),
        cmocka_unit_test_setup_teardown(test_noisy_heavy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slow_device, setup, teardown),
        cmocka_unit_test_setup_teardown(test_baud_switch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_skip_unchanged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flash_again_after_skip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_device_raw, setup, teardown),
        cmocka_unit_test(test_host_version_and_silence),
        cmocka_unit_test_setup_teardown(test_proto_run_window, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
