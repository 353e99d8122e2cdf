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
static uint32_t frame_crc(const uint8_t *f, uint32_t n)
{
    return (uint32_t)crc32(0L, f, n);
}

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
    const uint8_t pl[2] = { F0B_PROTO_MAJOR, F0B_PROTO_MINOR };

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_response_types_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
