/* --boot rom: the AN3155 ROM bootloader model on USART1 (dev/rom.c). */
#ifndef F0SIM_DEV_ROM_H
#define F0SIM_DEV_ROM_H

#include <stdint.h>

#include "../an3155.h"
#include "../ring.h"

struct chip;

struct rom_state {
    struct an3155 m;
    int running;
    uint64_t tx_at;  /* next byte of out may start at this time */
    struct ring out; /* bytes the ROM model answers, sent at line rate */
    uint64_t rx_free, rx_done;
    int busy, pending_go;
    int pending_reset; /* Readout Unprotect done: reset once its ACK has left */
    uint8_t rx_byte;
    uint32_t go_addr;
};

/* The chip boots into its ROM: the model takes the line. */
void rom_start(struct chip *c);

#endif
