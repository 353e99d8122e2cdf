/*
 * How the machine reaches the host side of USART1 (TCP, pty or stdio, the USB adapter's
 * latency model and the pacing of virtual time to the wall clock). main passes a struct
 * sim_link in; the machine and its devices only ever call through it, never into main.
 */
#ifndef F0SIM_LINK_H
#define F0SIM_LINK_H

#include <stdint.h>

#include "ring.h"

struct chip;

struct sim_link {
    void *ctx;
    /* A host I/O slice (about every 100 us of virtual time): pace to the wall clock,
     * read host input, flush output. May stop the chip (a signal). */
    void (*poll)(void *ctx, struct chip *c);
    /* The CPU only waits: virtual time may move to target. Returns the time it may move
     * to (at most target; less when the host sent something first). */
    uint64_t (*idle)(void *ctx, struct chip *c, uint64_t target);
    /* A byte left the device's line at virtual time t (after line noise). */
    void (*tx)(void *ctx, uint8_t b, uint64_t t);
    /* Virtual time of the host side's next event (the USB packet timer), or T_NEVER. */
    uint64_t (*next_event)(void *ctx);
    void (*service)(void *ctx, uint64_t now);
    /* The bytes the host sent that the line has not taken yet. */
    struct ring *(*input)(void *ctx);
};

#endif
