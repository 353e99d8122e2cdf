/*
 * A behavioural model of ST's system-memory (ROM) bootloader on USART1, as AN3155
 * describes it, so the virtual board can serve stm32flash the way a real STM32F030 with
 * BOOT0 high does. Pure protocol logic: the simulator supplies the line and the flash
 * (with its timing) through the ops below, and calls an3155_rx() for every byte that
 * arrives on USART1.
 *
 * Commands: Get 0x00, Get Version 0x01, Get ID 0x02, Read Memory 0x11, Go 0x21,
 * Write Memory 0x31, Extended Erase 0x44 (Erase 0x43 is not offered on the F030, whose
 * ROM bootloader v3.1 uses Extended Erase), Write Unprotect 0x73 / Readout Unprotect 0x92
 * answered with NACK. 0x7F before anything else: autobaud, answered ACK.
 */
#ifndef F0SIM_AN3155_H
#define F0SIM_AN3155_H

#include <stdint.h>

#define AN3155_ACK  0x79u
#define AN3155_NACK 0x1Fu

struct an3155_ops {
    /* Send bytes to the host after delay_ns of virtual time from now (the time the
     * device was busy, for example programming flash before its ACK). */
    void (*tx)(void *ctx, const uint8_t *bytes, uint32_t n, uint64_t delay_ns);
    /* Flash access through the simulator's flash model. Return the busy time in ns the
     * operation takes on the chip (erase ~30 ms per page, 53.5 us per half-word), or a
     * negative value if the operation failed (the model answers NACK). */
    int64_t (*erase_page)(void *ctx, uint32_t page_index);
    int64_t (*mass_erase)(void *ctx);
    int64_t (*program)(void *ctx, uint32_t addr, const uint8_t *data, uint32_t len);
    /* Read memory as the ROM would (flash, SRAM, system memory, option bytes); returns 0
     * on success, -1 if the range is not readable (answered NACK). */
    int (*read)(void *ctx, uint32_t addr, uint8_t *dst, uint32_t len);
    /* Go: leave the ROM bootloader and run code at addr (vector table there). */
    void (*go)(void *ctx, uint32_t addr);
};

struct an3155 {
    const struct an3155_ops *ops;
    void *ctx;
    uint16_t chip_id;          /* answered by Get ID (0x442 for the F030xC) */
    uint8_t version;           /* answered by Get / Get Version (0x31 = v3.1) */
    /* private parser state */
    int state;
    uint8_t cmd;
    uint32_t addr;
    uint32_t need;             /* bytes still expected in the current phase */
    uint32_t got;
    uint8_t buf[260];
    uint8_t synced;
};

void an3155_init(struct an3155 *m, const struct an3155_ops *ops, void *ctx, uint16_t chip_id);

/* One byte received on the line. */
void an3155_rx(struct an3155 *m, uint8_t byte);

#endif
