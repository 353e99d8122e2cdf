/*
 * The device protocol engine (proto.c) as a pollable state machine. f0b_proto_run() in
 * f0b_core.h is init + a poll loop; host tests drive f0b_proto_poll() directly so one
 * thread can run the host client and the device with a virtual clock.
 */
#ifndef F0B_PROTO_H
#define F0B_PROTO_H

#include <stdint.h>
#include "f0b_core.h"
#include "frame.h"

/* Size of the port's DMA receive ring (compile definition from the port). */
#ifndef F0B_RX_RING_SIZE
#error "F0B_RX_RING_SIZE must be defined by the port (bytes in the UART receive ring)"
#endif

/* DATA frames the host may have unanswered: as many maximal encoded frames as the ring
 * holds. While the device programs one frame (pulled out of the ring already) the ring
 * holds at most the others, so it cannot overflow whatever the flash is doing. */
#define F0B_PROTO_WINDOW_RAW (F0B_RX_RING_SIZE / F0B_MAX_ENCODED)
#if F0B_PROTO_WINDOW_RAW < 1
#error "F0B_RX_RING_SIZE cannot hold one maximal frame"
#endif
#define F0B_PROTO_WINDOW (F0B_PROTO_WINDOW_RAW > 16 ? 16 : F0B_PROTO_WINDOW_RAW)

/* Highest rate BAUD accepts (the port may still refuse a rate it cannot reach). */
#ifndef F0B_MAX_BAUD
#define F0B_MAX_BAUD 3000000u
#endif
/* Never stranded (issue 12): after this many ms without a valid frame, a served session
 * starts a valid committed application (an update in progress keeps the bootloader). Build
 * option; reported in INFO; 0 disables it (a greeted bootloader then waits for the host). */
#ifndef F0B_IDLE_TIMEOUT_MS
#define F0B_IDLE_TIMEOUT_MS 5000u
#endif
#if F0B_IDLE_TIMEOUT_MS > 0xFFFFu
#error "F0B_IDLE_TIMEOUT_MS must fit INFO's u16 field (at most 65535 ms)"
#endif

#ifndef F0B_BL_VERSION_MAJOR
#define F0B_BL_VERSION_MAJOR 0u
#define F0B_BL_VERSION_MINOR 1u
#define F0B_BL_VERSION_PATCH 0u
#endif

enum f0b_proto_action {
    F0B_PROTO_IDLE = 0,    /* keep polling */
    F0B_PROTO_BOOT = 1,    /* BOOT answered: start the application */
    F0B_PROTO_RESET = 2,   /* RESET answered: reset the system */
    F0B_PROTO_LOAD_OB = 3, /* PROTECT answered (secure build): load the option bytes */
};

/* Small fields first: Thumb-1 loads and stores reach them with an immediate offset. */
struct f0b_proto {
    const struct f0b_layout *l;
    uint32_t baud_old; /* rate to return to if BAUD is not confirmed */
    uint32_t baud_t0;  /* millis() when the new rate was set */
    uint32_t heard;    /* millis() of the last valid frame (or of init) */
    uint32_t wait_ms;  /* silence that starts a valid app before a greeting */
    uint8_t baud_pending;
    uint8_t greeted; /* a valid INFO arrived */
    uint8_t gap;     /* a NAK for the current gap in DATA was sent */
    uint8_t stay_reason;
    struct f0b_update u;
    struct f0b_rx rx; /* rx.buf also holds the response being built */
};

/* Ready to serve, the idle clock started; before a greeting the silence limit is
 * F0B_IDLE_TIMEOUT_MS (f0b_proto_run() sets p->wait_ms to the boot window). */
void f0b_proto_init(struct f0b_proto *p, const struct f0b_layout *l, uint8_t stay_reason);

/* Process every byte the HAL has received. Returns enum f0b_proto_action; the response
 * of a BOOT/RESET has left the line when it returns. The idle policy: once no valid frame
 * has arrived for p->wait_ms (before a greeting) or F0B_IDLE_TIMEOUT_MS (after it), the
 * boot record is checked: a valid committed application gives F0B_PROTO_BOOT, anything
 * else (no application, an update in progress) keeps serving and the clock starts again. */
int f0b_proto_poll(struct f0b_proto *p);

#endif
