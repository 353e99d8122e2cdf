/*
 * The port interface of the bootloader core (link-time seam, as MCUboot's flash_area_*).
 * Implemented by the STM32F0 port (target/bootloader/stm32f0/) and by the host fakes in
 * tests/. The core never touches a register; the port never makes a decision.
 *
 * Status returns use enum f0b_status from f0boot/protocol.h (F0B_ST_OK = 0).
 */
#ifndef F0B_HAL_H
#define F0B_HAL_H

#include <stdint.h>

/* Erase the flash page that starts at page_addr. F0B_ST_OK or F0B_ST_FLASH_*. */
int f0b_hal_flash_erase(uint32_t page_addr);

/* Program len bytes (len even, addr even) as 16-bit half-words, each target erased.
 * Returns F0B_ST_OK or F0B_ST_FLASH_*. The port must refuse any address inside the
 * bootloader's own pages. */
int f0b_hal_flash_program(uint32_t addr, const uint8_t *src, uint32_t len);

/* A readable view of flash at addr (on the target: the address itself). */
const uint8_t *f0b_hal_flash_ptr(uint32_t addr);

/* zlib-compatible crc32 of len bytes at p (flash or RAM), from the reset value: headers,
 * payload read-back, CRC queries, INFO frames. */
uint32_t f0b_hal_crc32(const uint8_t *p, uint32_t len);

/* CRC-32/MPEG-2 of len bytes at p (polynomial 0x04C11DB7, init 0xFFFFFFFF, not reflected,
 * no final XOR): the check of every frame but INFO, a function other than the payload's. */
uint32_t f0b_hal_crc_frame(const uint8_t *p, uint32_t len);

/* Milliseconds since start, free-running, wraps. */
uint32_t f0b_hal_millis(void);

/* Received bytes not consumed yet, without blocking or copying: sets *p to the oldest and
 * returns how many follow it contiguously (0: none; a ring that wraps gives the rest on
 * the next call). They stay valid until f0b_hal_rx_drop() releases them. */
uint32_t f0b_hal_rx_peek(const uint8_t **p);

/* Release the first n bytes of the run f0b_hal_rx_peek() returned. */
void f0b_hal_rx_drop(uint32_t n);

/* Queue len bytes for transmission (may block while the line drains). */
void f0b_hal_tx(const uint8_t *src, uint32_t len);

/* Block until every queued byte has left the line (USART TC). */
void f0b_hal_tx_flush(void);

/* Switch the line rate. F0B_ST_OK, or F0B_ST_BAD_ARG when the rate is not reachable. */
int f0b_hal_set_baud(uint32_t baud);
uint32_t f0b_hal_get_baud(void);

/* DBGMCU_IDCODE.DEV_ID. */
uint16_t f0b_hal_chip_id(void);

/* Read and clear the update request the application leaves before a software reset (the
 * port decides where: SRAM words 0-1 and RCC_CSR on the STM32F0). 1: stay for an update. */
int f0b_hal_take_update_request(void);

/* System reset (SCB AIRCR.SYSRESETREQ). */
_Noreturn void f0b_hal_reset(void);

/* Return the hardware to reset state and start the application whose vector table is at
 * app_start (mask interrupts, MSP from vector 0, branch to vector 1). */
_Noreturn void f0b_hal_start_app(uint32_t app_start);

#endif
