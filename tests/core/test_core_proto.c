/*
 * The device protocol engine (proto.c) over the fakes, request by request: the boot decision
 * and the idle policy (issue 10, issue 12 "never stranded"), requests of a response type
 * (issue 13 defect 10), and the frame check against the 5-byte forgery (issue 13 defect 3).
 * Time is fake_board's millisecond clock, set by the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>

#include "core_util.h"
#include "fake_board.h"
#include "fake_flash.h"
#include "f0b_hal.h"
#include "frame.h"
#include "proto.h"
#include "f0boot/layout.h"
#include "f0boot/le.h"

static struct f0b_layout L;
static struct f0b_proto P;
static struct f0b_rx RX;

static int setup(void **state)
{
    (void)state;
    assert_int_equal(f0b_layout_init(&L, 4), F0B_ST_OK);
    fake_flash_init(&L);
    fake_board_init(115200, 0x442);
    f0b_rx_reset(&RX);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(fake_flash_violations(), 0);
    assert_true(fake_flash_boot_intact());
    fake_flash_free();
    return 0;
}

static void push_sink(void *ctx, const uint8_t *p, uint32_t n)
{
    (void)ctx;
    for (uint32_t i = 0; i < n; i++)
        assert_true(fake_board_rx_push(p[i]));
}

/* The check value of a frame's first n bytes, as a host computes it. */
static uint32_t frame_crc(const uint8_t *f, uint32_t n) { return f0b_frame_crc(f, n); }

/* Put a request in the device's receive ring. */
static void send_req(uint8_t type, uint8_t seq, const uint8_t *pl, uint32_t n)
{
    uint8_t f[F0B_MAX_FRAME];

    f[0] = type;
    f[1] = seq;
    if (n)
        memcpy(f + 2, pl, n);
    f0b_put_le32(f + 2 + n, frame_crc(f, 2 + n));
    f0b_cobs_encode(f, n + F0B_FRAME_OVERHEAD, push_sink, NULL);
}

/* The next frame the device sent with a good check (in RX.buf): its length, or 0. */
static int recv_resp(void)
{
    uint8_t c;
    uint32_t baud;

    while (fake_board_tx_take(&c, &baud, 1) == 1) {
        int n = f0b_rx_byte(&RX, c);
        if (n > 0 && f0b_frame_crc_ok(RX.buf, (uint32_t)n, frame_crc(RX.buf, (uint32_t)n - 4)))
            return n;
    }
    return 0;
}

static void greet(uint8_t seq)
{
    const uint8_t pl[2] = {F0B_PROTO_MAJOR, F0B_PROTO_MINOR};

    send_req(F0B_CMD_INFO, seq, pl, 2);
    assert_int_equal(f0b_proto_poll(&P), F0B_PROTO_IDLE);
    assert_int_equal(recv_resp(), 7 + F0B_INFO_SIZE);
    assert_int_equal(RX.buf[2], F0B_ST_OK);
}

/* Issue 13 defect 10: a request of a response type is answered UNKNOWN_CMD, never with a
 * frame of type 0xFF (which is how the device NAKs a damaged frame). */
static void test_response_types_refused(void **state)
{
    (void)state;
    f0b_proto_init(&P, &L, F0B_STAY_NO_APP);
    greet(1);
    for (unsigned t = 0x80; t <= 0xFF; t += 0x7F) {
        send_req((uint8_t)t, 2, NULL, 0);
        assert_int_equal(f0b_proto_poll(&P), F0B_PROTO_IDLE);
        assert_int_equal(recv_resp(), 7);
        assert_int_equal(RX.buf[0], F0B_RESP);
        assert_int_not_equal(RX.buf[0], F0B_T_NAK);
        assert_int_equal(RX.buf[1], 2);
        assert_int_equal(RX.buf[2], F0B_ST_UNKNOWN_CMD);
    }
    /* an unknown request type keeps its own answer type */
    send_req(0x42, 3, NULL, 0);
    f0b_proto_poll(&P);
    assert_int_equal(recv_resp(), 7);
    assert_int_equal(RX.buf[0], 0x42 | F0B_RESP);
    assert_int_equal(RX.buf[2], F0B_ST_UNKNOWN_CMD);
}

static void send_header(uint8_t seq, const struct test_img *img, int expect);
static void send_data(uint8_t seq, const struct test_img *img, uint32_t off, uint32_t n);
static void make_state(int state, struct test_img *img);

/* ERASE (2.1): INFO announces it; only after INFO; it erases the record page alone (the
 * application's pages keep their bytes), the application is gone (boot refused), and an
 * update open at the time is closed (its DATA refused, nothing programmed). */
static void test_erase(void **state)
{
    (void)state;
    struct test_img img;
    uint8_t page0[2048];

    make_state(F0B_APP_VALID, &img);
    f0b_proto_init(&P, &L, F0B_STAY_REQUEST);
    send_req(F0B_CMD_ERASE, 1, NULL, 0);
    f0b_proto_poll(&P);
    assert_int_equal(recv_resp(), 7);
    assert_int_equal(RX.buf[2], F0B_ST_BAD_STATE);
    assert_int_equal(f0b_app_state(&L), F0B_APP_VALID);
    greet(2);
    assert_true(f0b_get_le32(RX.buf + 3 + F0B_INFO_FEATURES) & F0B_FEAT_ERASE);
    memcpy(page0, fake_flash_mem() + (L.app_start - F0B_FLASH_BASE), sizeof page0);
    uint64_t erases = fake_flash_erases();
    send_header(3, &img, F0B_ST_OK); /* an update open at the time */
    send_data(4, &img, 0, 1024);
    send_req(F0B_CMD_ERASE, 5, NULL, 0);
    assert_int_equal(f0b_proto_poll(&P), F0B_PROTO_IDLE);
    assert_int_equal(recv_resp(), 7);
    assert_int_equal(RX.buf[0], F0B_CMD_ERASE | F0B_RESP);
    assert_int_equal(RX.buf[2], F0B_ST_OK);
    assert_int_equal(f0b_app_state(&L), F0B_APP_NONE);
    /* BEGIN erased the record and page 0 (rewritten by DATA), ERASE the record again */
    assert_int_equal(fake_flash_erases(), erases + 3);
    assert_memory_equal(fake_flash_mem() + (L.app_start - F0B_FLASH_BASE), page0, 1024);
    uint8_t pl[F0B_DATA_HDR + 2] = {0, 4, 0, 0, 0, 0, 1, 2};
    send_req(F0B_CMD_DATA, 6, pl, sizeof pl);
    f0b_proto_poll(&P);
    assert_int_equal(recv_resp(), 11);
    assert_int_equal(RX.buf[2], F0B_ST_BAD_STATE);
    send_req(F0B_CMD_BOOT, 7, NULL, 0);
    assert_int_equal(f0b_proto_poll(&P), F0B_PROTO_IDLE);
    assert_int_equal(recv_resp(), 7);
    assert_int_equal(RX.buf[2], F0B_ST_NO_APP);
    test_img_free(&img);
}

/* ---- the boot decision (issue 10): every combination ----------------------------------- */

/* Leave the boot record in the given state. */
static void make_state(int state, struct test_img *img)
{
    struct f0b_update u;

    fake_flash_init(&L);
    test_img_make(img, &L, 4096, 21);
    if (state == F0B_APP_NONE)
        return;
    f0b_update_init(&u, &L);
    assert_int_equal(f0b_update_begin(&u, img->hdr), F0B_ST_OK);
    if (state == F0B_APP_UNCOMMITTED)
        return;
    assert_int_equal(test_update_all(&L, img, 1024), F0B_ST_OK);
    if (state == F0B_APP_BAD)
        fake_flash_flip(L.app_start, 0x04); /* word 0 no longer the header's SP */
}

static void test_boot_decide(void **state)
{
    (void)state;
    static const int states[] = {F0B_APP_NONE, F0B_APP_UNCOMMITTED, F0B_APP_VALID, F0B_APP_BAD};
    for (unsigned s = 0; s < 4; s++) {
        struct test_img img;
        make_state(states[s], &img);
        assert_int_equal(f0b_app_state(&L), states[s]);
        for (int req = 0; req <= 1; req++) {
            for (uint32_t window = 0; window <= 50; window += 50) {
                uint8_t reason = 0xEE;
                int act = f0b_boot_decide(&L, req, window, &reason);
                if (req) {
                    assert_int_equal(act, F0B_BOOT_STAY);
                    assert_int_equal(reason, F0B_STAY_REQUEST);
                } else if (states[s] != F0B_APP_VALID) {
                    assert_int_equal(act, F0B_BOOT_STAY);
                    assert_int_equal(reason, F0B_STAY_NO_APP);
                } else {
                    assert_int_equal(act, window ? F0B_BOOT_WINDOW : F0B_BOOT_START);
                    assert_int_equal(reason, F0B_STAY_GREETING);
                }
            }
        }
        /* The decision only reads. */
        assert_int_equal(fake_flash_violations(), 0);
        test_img_free(&img);
    }
}

/* ---- never stranded (issue 12): the idle policy ---------------------------------------- */

#define IDLE F0B_IDLE_TIMEOUT_MS

/* Poll at time ms (nothing received). */
static int poll_at(uint32_t ms)
{
    fake_board_set_millis(ms);
    return f0b_proto_poll(&P);
}

static void send_header(uint8_t seq, const struct test_img *img, int expect)
{
    send_req(F0B_CMD_BEGIN, seq, img->hdr, F0B_IMG_HDR_SIZE);
    assert_int_equal(f0b_proto_poll(&P), F0B_PROTO_IDLE);
    assert_int_equal(recv_resp(), 7);
    assert_int_equal(RX.buf[2], expect);
}

static void send_data(uint8_t seq, const struct test_img *img, uint32_t off, uint32_t n)
{
    uint8_t pl[F0B_MAX_PAYLOAD];

    f0b_put_le32(pl, off);
    pl[4] = pl[5] = 0;
    memcpy(pl + F0B_DATA_HDR, img->payload + off, n);
    send_req(F0B_CMD_DATA, seq, pl, F0B_DATA_HDR + n);
    assert_int_equal(f0b_proto_poll(&P), F0B_PROTO_IDLE);
    assert_int_equal(recv_resp(), 11);
    assert_int_equal(RX.buf[2], F0B_ST_OK);
}

/* A host greets a board with a good application, then dies: the application is started
 * after F0B_IDLE_TIMEOUT_MS of silence, not a millisecond earlier. INFO says how long. */
static void test_idle_starts_valid_app(void **state)
{
    (void)state;
    struct test_img img;
    make_state(F0B_APP_VALID, &img);
    fake_board_set_millis(1000);
    f0b_proto_init(&P, &L, F0B_STAY_GREETING);
    P.wait_ms = 50; /* as f0b_proto_run with a window */
    fake_board_set_millis(1030);
    greet(1);
    assert_int_equal(f0b_get_le16(RX.buf + 3 + F0B_INFO_IDLE_MS), IDLE);
    assert_int_equal(RX.buf[3 + F0B_INFO_STAY_REASON], F0B_STAY_GREETING);
    /* greeted: the window no longer applies, the idle timeout does */
    assert_int_equal(poll_at(1030 + 50), F0B_PROTO_IDLE);
    assert_int_equal(poll_at(1030 + IDLE - 1), F0B_PROTO_IDLE);
    assert_int_equal(poll_at(1030 + IDLE), F0B_PROTO_BOOT);
    test_img_free(&img);
}

/* Every valid frame restarts the idle clock: a slow host is not cut off. */
static void test_idle_frames_keep_session(void **state)
{
    (void)state;
    struct test_img img;
    make_state(F0B_APP_VALID, &img);
    fake_board_set_millis(0);
    f0b_proto_init(&P, &L, F0B_STAY_REQUEST);
    greet(1);
    uint32_t t = 0;
    for (uint8_t i = 2; i < 8; i++) {
        t += IDLE - 1;
        assert_int_equal(poll_at(t), F0B_PROTO_IDLE);
        greet(i);
    }
    /* noise is not a host: damaged frames do not keep the board */
    const uint8_t junk[] = {0x03, 0x99, 0x98, 0x00};
    t += IDLE / 2;
    fake_board_set_millis(t);
    for (unsigned i = 0; i < sizeof junk; i++)
        fake_board_rx_push(junk[i]);
    assert_int_equal(f0b_proto_poll(&P), F0B_PROTO_IDLE);
    assert_int_equal(recv_resp(), 11); /* the NAK */
    assert_int_equal(RX.buf[0], F0B_T_NAK);
    assert_int_equal(poll_at(t - IDLE / 2 + IDLE), F0B_PROTO_BOOT);
    test_img_free(&img);
}

/* An update in progress stays in the bootloader however long the host is silent: after
 * BEGIN (record rewritten, uncommitted) and after some DATA. Once the update is committed
 * the new application is started. */
static void test_idle_update_in_progress_stays(void **state)
{
    (void)state;
    struct test_img img, v2;
    make_state(F0B_APP_VALID, &img);
    test_img_make(&v2, &L, 3 * 2048, 22);
    fake_board_set_millis(0);
    f0b_proto_init(&P, &L, F0B_STAY_REQUEST);
    greet(1);
    send_header(2, &v2, F0B_ST_OK);
    assert_int_equal(f0b_app_state(&L), F0B_APP_UNCOMMITTED);
    for (uint32_t t = IDLE; t <= 10u * IDLE; t += IDLE)
        assert_int_equal(poll_at(t), F0B_PROTO_IDLE);
    fake_board_set_millis(10u * IDLE + 1);
    send_data(3, &v2, 0, 1024);
    for (uint32_t t = 11u * IDLE; t <= 20u * IDLE; t += IDLE)
        assert_int_equal(poll_at(t), F0B_PROTO_IDLE);
    /* the host comes back and finishes: committed, then silence starts it */
    uint32_t t = 20u * IDLE + 5;
    fake_board_set_millis(t);
    for (uint32_t off = 1024; off < v2.size; off += 1024)
        send_data((uint8_t)(3 + off / 1024), &v2, off, 1024);
    send_req(F0B_CMD_END, 20, NULL, 0);
    assert_int_equal(f0b_proto_poll(&P), F0B_PROTO_IDLE);
    assert_int_equal(recv_resp(), 11);
    assert_int_equal(RX.buf[2], F0B_ST_OK);
    assert_int_equal(poll_at(t + IDLE - 1), F0B_PROTO_IDLE);
    assert_int_equal(poll_at(t + IDLE), F0B_PROTO_BOOT);
    test_img_free(&v2);
    test_img_free(&img);
}

/* At reset with no valid application (none, cut short, bad): greeted or not, silence never
 * starts anything; the bootloader keeps answering. */
static void test_idle_no_app_stays(void **state)
{
    (void)state;
    static const int states[] = {F0B_APP_NONE, F0B_APP_UNCOMMITTED, F0B_APP_BAD};
    for (unsigned s = 0; s < 3; s++) {
        struct test_img img;
        make_state(states[s], &img);
        fake_board_init(115200, 0x442);
        fake_board_set_millis(0);
        f0b_proto_init(&P, &L, F0B_STAY_NO_APP);
        for (uint32_t t = 0; t <= 3u * IDLE; t += IDLE / 2)
            assert_int_equal(poll_at(t), F0B_PROTO_IDLE);
        greet(1);
        for (uint32_t t = 3u * IDLE; t <= 6u * IDLE; t += IDLE / 2)
            assert_int_equal(poll_at(t), F0B_PROTO_IDLE);
        greet(2);
        test_img_free(&img);
    }
}

/* The whole served session as the port runs it (f0b_proto_run, fake clock ticking 1 ms per
 * reading): the application asked to stay and nobody came, or a host greeted in the boot
 * window and went silent -> the application is started after the idle timeout. */
static void test_run_request_then_silence(void **state)
{
    (void)state;
    static jmp_buf env;
    struct test_img img;
    uint8_t reason;
    make_state(F0B_APP_VALID, &img);

    assert_int_equal(f0b_boot_decide(&L, 1, 50, &reason), F0B_BOOT_STAY);
    fake_board_init(115200, 0x442);
    fake_board_auto_tick(1);
    fake_board_exit_env(&env);
    if (setjmp(env) == 0) {
        f0b_proto_run(&L, 0, reason);
        fail_msg("f0b_proto_run returned");
    }
    assert_int_equal(fake_board_started_app(), L.app_start);
    assert_true(f0b_hal_millis() >= IDLE && f0b_hal_millis() < IDLE + 10);

    /* greeted within the window, then silence */
    const uint8_t pl[2] = {F0B_PROTO_MAJOR, F0B_PROTO_MINOR};
    assert_int_equal(f0b_boot_decide(&L, 0, 50, &reason), F0B_BOOT_WINDOW);
    fake_board_init(115200, 0x442);
    fake_board_auto_tick(1);
    fake_board_exit_env(&env);
    send_req(F0B_CMD_INFO, 1, pl, 2);
    if (setjmp(env) == 0) {
        f0b_proto_run(&L, 50, reason);
        fail_msg("f0b_proto_run returned");
    }
    assert_int_equal(fake_board_started_app(), L.app_start);
    assert_true(f0b_hal_millis() >= IDLE && f0b_hal_millis() < IDLE + 10);
    assert_int_equal(recv_resp(), 7 + F0B_INFO_SIZE);
    assert_int_equal(RX.buf[3 + F0B_INFO_STAY_REASON], F0B_STAY_GREETING);
    fake_board_exit_env(NULL);
    fake_board_auto_tick(0);
    test_img_free(&img);
}

/* ---- the frame check against the 5-byte forgery (issue 13 defect 3) -------------------- */

/* XOR this into any 5 consecutive bytes and zlib's crc32 does not change: it is the CRC-32
 * polynomial itself, bit-reflected (0x1DB710641 as a 40-bit little-endian number). */
static const uint8_t FORGERY[5] = {0x41, 0x06, 0x71, 0xdb, 0x01};

static void test_crc_functions(void **state)
{
    (void)state;
    uint8_t buf[300];
    const uint8_t *check = (const uint8_t *)"123456789";

    assert_int_equal(f0b_crc32_zlib(check, 9), 0xCBF43926u);
    assert_int_equal(f0b_crc32_mpeg2(check, 9), 0x0376E6E7u);
    assert_int_equal(f0b_hal_crc_frame(check, 9), 0x0376E6E7u); /* the fake HAL's unit */
    for (uint32_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(i * 37u + 11u);
    for (uint32_t n = 0; n <= sizeof buf; n += 7) {
        assert_int_equal(f0b_crc32_zlib(buf, n), (uint32_t)crc32(0L, buf, n));
        assert_int_equal(f0b_crc32_mpeg2(buf, n), f0b_hal_crc_frame(buf, n));
    }
    /* INFO keeps zlib crc32 (frozen), every other frame, both directions, MPEG-2 */
    for (unsigned t = 0; t < 256; t++) {
        buf[0] = (uint8_t)t;
        uint32_t want = (t & 0x7Fu) == F0B_CMD_INFO ? (uint32_t)crc32(0L, buf, 40)
                                                    : f0b_crc32_mpeg2(buf, 40);
        assert_int_equal(f0b_frame_crc(buf, 40), want);
    }
}

/* Carry-less product: the error patterns zlib's crc32 cannot see are the multiples of its
 * polynomial (bit-reflected, LSB first). */
static uint64_t clmul(uint64_t a, uint64_t b)
{
    uint64_t r = 0;
    for (; a; a >>= 1, b <<= 1)
        if (a & 1u)
            r ^= b;
    return r;
}

/* Every error confined to 6 consecutive bytes that leaves zlib's crc32 unchanged (2^16 - 1
 * patterns, the forgery among them) changes the frame check. Errors are position-free
 * for a CRC, so one position stands for all. */
static void test_frame_check_sees_zlib_blind_patterns(void **state)
{
    (void)state;
    uint8_t a[32], b[32];
    unsigned seen_forgery = 0;

    for (uint32_t i = 0; i < sizeof a; i++)
        a[i] = (uint8_t)(i * 91u + 7u);
    uint32_t za = (uint32_t)crc32(0L, a, sizeof a), ma = f0b_crc32_mpeg2(a, sizeof a);
    for (uint64_t q = 1; q < (1u << 16); q++) {
        uint64_t e = clmul(q, 0x1DB710641ull); /* at most 48 bits */
        memcpy(b, a, sizeof b);
        for (int k = 0; k < 6; k++)
            b[9 + k] ^= (uint8_t)(e >> (8 * k));
        if (q == 1) {
            for (int k = 0; k < 5; k++)
                assert_int_equal(a[9 + k] ^ b[9 + k], FORGERY[k]);
            seen_forgery = 1;
        }
        assert_int_equal((uint32_t)crc32(0L, b, sizeof b), za); /* zlib blind */
        assert_int_not_equal(f0b_crc32_mpeg2(b, sizeof b), ma); /* frame check sees it */
    }
    assert_true(seen_forgery);
}

/* On the device: an update whose DATA frame is forged on the line (the 5-byte pattern XORed
 * into its data, the check left as the sender computed it) is never committed with the
 * forged bytes. Before protocol 2.0 (frames checked with zlib crc32 too) the frame passed,
 * END's read-back crc matched the header and the damaged image was committed. */
static void test_forged_frame_not_committed(void **state)
{
    (void)state;
    struct test_img img;
    uint8_t f[F0B_MAX_FRAME];

    test_img_make(&img, &L, 2048, 23);
    fake_board_set_millis(0);
    f0b_proto_init(&P, &L, F0B_STAY_NO_APP);
    greet(1);
    send_header(2, &img, F0B_ST_OK);
    send_data(3, &img, 0, 1024);
    /* frame 2 as the host seals it, then damaged on the line */
    f[0] = F0B_CMD_DATA;
    f[1] = 4;
    f0b_put_le32(f + 2, 1024);
    f[6] = f[7] = 0;
    memcpy(f + 2 + F0B_DATA_HDR, img.payload + 1024, 1024);
    uint32_t n = 2 + F0B_DATA_HDR + 1024;
    f0b_put_le32(f + n, frame_crc(f, n));
    uint32_t zlib_before = (uint32_t)crc32(0L, f, n);
    for (int k = 0; k < 5; k++)
        f[2 + F0B_DATA_HDR + 500 + k] ^= FORGERY[k];
    assert_int_equal((uint32_t)crc32(0L, f, n), zlib_before); /* a 1.x frame passes */
    f0b_cobs_encode(f, n + 4, push_sink, NULL);
    assert_int_equal(f0b_proto_poll(&P), F0B_PROTO_IDLE);
    assert_int_equal(recv_resp(), 11);
    assert_int_equal(RX.buf[0], F0B_T_NAK); /* refused: the sender resends */
    assert_int_equal(f0b_get_le32(RX.buf + 3), 1024);
    send_req(F0B_CMD_END, 5, NULL, 0);
    f0b_proto_poll(&P);
    assert_int_equal(recv_resp(), 11);
    assert_int_equal(RX.buf[2], F0B_ST_VERIFY);
    assert_int_not_equal(f0b_app_state(&L), F0B_APP_VALID);
    /* the resend is taken */
    send_data(6, &img, 1024, 1024);
    send_req(F0B_CMD_END, 7, NULL, 0);
    f0b_proto_poll(&P);
    assert_int_equal(recv_resp(), 11);
    assert_int_equal(RX.buf[2], F0B_ST_OK);
    assert_memory_equal(fake_flash_mem() + (L.app_start - F0B_FLASH_BASE), img.payload, img.size);
    test_img_free(&img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_response_types_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_boot_decide, setup, teardown),
        cmocka_unit_test_setup_teardown(test_erase, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idle_starts_valid_app, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idle_frames_keep_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idle_update_in_progress_stays, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idle_no_app_stays, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_request_then_silence, setup, teardown),
        cmocka_unit_test(test_crc_functions),
        cmocka_unit_test(test_frame_check_sees_zlib_blind_patterns),
        cmocka_unit_test_setup_teardown(test_forged_frame_not_committed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
