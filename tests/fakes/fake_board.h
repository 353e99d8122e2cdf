/*
 * Host fake of the non-flash half of f0b_hal.h (the flash half is fake_flash.c): the UART
 * as a receive ring of F0B_RX_RING_SIZE bytes (what the port's DMA fills) and a transmit
 * log, a settable millisecond clock, the line rate, chip id, update request, reset and
 * application start. Tests move bytes between a host client and this board.
 */
#ifndef F0B_FAKE_BOARD_H
#define F0B_FAKE_BOARD_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

enum fake_board_exit { FAKE_EXIT_RESET = 1, FAKE_EXIT_START_APP = 2 };

void fake_board_init(uint32_t baud, uint16_t chip_id);

/* Receive ring: push one byte as the DMA would. Returns 0 and counts an overflow when the
 * ring is full (the byte is lost, as a circular DMA would overwrite unread data). */
int fake_board_rx_push(uint8_t c);
size_t fake_board_rx_level(void);
unsigned fake_board_rx_overflows(void);
/* While set, f0b_hal_rx_peek() returns nothing (the CPU is stalled on flash). */
void fake_board_rx_hold(int hold);
/* While gate() returns 0, f0b_hal_rx_peek() returns nothing (tests stop the device after a
 * frame that did flash work, to charge its time before it reads on). */
void fake_board_rx_gate(int (*gate)(void));

/* Bytes the device transmitted, each with the rate it was sent at. */
size_t fake_board_tx_take(uint8_t *dst, uint32_t *baud, size_t max);
unsigned fake_board_tx_flushes(void);

void fake_board_set_millis(uint32_t ms);
/* Advance the clock by step ms on every f0b_hal_millis() call (for f0b_proto_run). */
void fake_board_auto_tick(uint32_t step);

uint32_t fake_board_baud(void);
/* Rates above this make f0b_hal_set_baud() fail (0: any). */
void fake_board_max_baud(uint32_t max);

void fake_board_set_update_request(int req);

/* f0b_hal_reset() and f0b_hal_start_app() longjmp(*env, FAKE_EXIT_*) when env is set,
 * abort() otherwise. */
void fake_board_exit_env(jmp_buf *env);
uint32_t fake_board_started_app(void); /* app_start given to f0b_hal_start_app */
unsigned fake_board_resets(void);

#endif
