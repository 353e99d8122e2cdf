/* Host fake of the UART, clock and system half of f0b_hal.h; see fake_board.h. */
#include <stdlib.h>
#include <string.h>
#include "fake_board.h"
#include "f0b_hal.h"
#include "f0boot/protocol.h"

#ifndef F0B_RX_RING_SIZE
#error "F0B_RX_RING_SIZE must be defined"
#endif

#define TX_MAX (1u << 16)

static struct {
    uint8_t ring[F0B_RX_RING_SIZE];
    size_t head, count;
    unsigned overflows;
    int hold;
    int (*gate)(void);
    uint8_t tx[TX_MAX];
    uint32_t tx_baud[TX_MAX];
    size_t tx_n;
    unsigned flushes;
    uint32_t ms, tick;
    uint32_t baud, max_baud;
    uint16_t chip_id;
    int update_req;
    jmp_buf *env;
    uint32_t started;
    unsigned resets;
} B;

void fake_board_init(uint32_t baud, uint16_t chip_id)
{
    memset(&B, 0, sizeof B);
    B.baud = baud;
    B.chip_id = chip_id;
}

int fake_board_rx_push(uint8_t c)
{
    if (B.count == F0B_RX_RING_SIZE) {
        B.overflows++;
        return 0;
    }
    B.ring[(B.head + B.count) % F0B_RX_RING_SIZE] = c;
    B.count++;
    return 1;
}

size_t fake_board_rx_level(void) { return B.count; }
unsigned fake_board_rx_overflows(void) { return B.overflows; }
void fake_board_rx_hold(int hold) { B.hold = hold; }
void fake_board_rx_gate(int (*gate)(void)) { B.gate = gate; }

size_t fake_board_tx_take(uint8_t *dst, uint32_t *baud, size_t max)
{
    size_t n = B.tx_n < max ? B.tx_n : max;

    memcpy(dst, B.tx, n);
    memcpy(baud, B.tx_baud, n * sizeof *baud);
    memmove(B.tx, B.tx + n, B.tx_n - n);
    memmove(B.tx_baud, B.tx_baud + n, (B.tx_n - n) * sizeof *baud);
    B.tx_n -= n;
    return n;
}

unsigned fake_board_tx_flushes(void) { return B.flushes; }
void fake_board_set_millis(uint32_t ms) { B.ms = ms; }
void fake_board_auto_tick(uint32_t step) { B.tick = step; }
uint32_t fake_board_baud(void) { return B.baud; }
void fake_board_max_baud(uint32_t max) { B.max_baud = max; }
void fake_board_set_update_request(int req) { B.update_req = req; }
void fake_board_exit_env(jmp_buf *env) { B.env = env; }
uint32_t fake_board_started_app(void) { return B.started; }
unsigned fake_board_resets(void) { return B.resets; }

/* ---- f0b_hal.h ------------------------------------------------------------------------ */

uint32_t f0b_hal_millis(void)
{
    B.ms += B.tick;
    return B.ms;
}

uint32_t f0b_hal_rx_peek(const uint8_t **p)
{
    *p = B.ring + B.head;
    if (B.hold || (B.gate && !B.gate()))
        return 0;
    return B.count < F0B_RX_RING_SIZE - B.head ? (uint32_t)B.count
                                               : (uint32_t)(F0B_RX_RING_SIZE - B.head);
}

void f0b_hal_rx_drop(uint32_t n)
{
    if (n > B.count || B.head + n > F0B_RX_RING_SIZE)
        abort(); /* more than the last peek returned */
    B.head = (B.head + n) % F0B_RX_RING_SIZE;
    B.count -= n;
}

void f0b_hal_tx(const uint8_t *src, uint32_t len)
{
    if (B.tx_n + len > TX_MAX)
        abort(); /* a test that never drains the line */
    for (uint32_t i = 0; i < len; i++) {
        B.tx[B.tx_n] = src[i];
        B.tx_baud[B.tx_n++] = B.baud;
    }
}

void f0b_hal_tx_flush(void) { B.flushes++; }

int f0b_hal_set_baud(uint32_t baud)
{
    if (baud == 0 || (B.max_baud && baud > B.max_baud))
        return F0B_ST_BAD_ARG;
    B.baud = baud;
    return 0;
}

uint32_t f0b_hal_get_baud(void) { return B.baud; }
uint16_t f0b_hal_chip_id(void) { return B.chip_id; }

int f0b_hal_take_update_request(void)
{
    int r = B.update_req;

    B.update_req = 0;
    return r;
}

_Noreturn void f0b_hal_reset(void)
{
    B.resets++;
    if (B.env)
        longjmp(*B.env, FAKE_EXIT_RESET);
    abort();
}

_Noreturn void f0b_hal_start_app(uint32_t app_start)
{
    B.started = app_start;
    if (B.env)
        longjmp(*B.env, FAKE_EXIT_START_APP);
    abort();
}
