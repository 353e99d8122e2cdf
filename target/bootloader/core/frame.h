/*
 * f0boot wire framing (f0boot/protocol.h): COBS with a 0x00 delimiter, used by the
 * bootloader and by the host library alike. No allocation, no division, no tables: the
 * bootloader has 4 KB in total. The frame check is computed by the caller (the F0's CRC
 * unit on the device, f0b_frame_crc() on the host); f0b_frame_crc_ok() compares it.
 */
#ifndef F0B_FRAME_H
#define F0B_FRAME_H

#include <stdint.h>
#include "f0boot/protocol.h"

/* Where encoded bytes go: the device queues them on the UART, the host into a buffer. */
typedef void (*f0b_sink_fn)(void *ctx, const uint8_t *p, uint32_t n);

/* COBS-encode len bytes and emit them to out, followed by the 0x00 delimiter. At most
 * len + len / 254 + 2 bytes are emitted (F0B_MAX_ENCODED for a maximal frame). */
void f0b_cobs_encode(const uint8_t *src, uint32_t len, f0b_sink_fn out, void *ctx);

/* Incremental decoder: feed it received bytes as they come, in runs of any length. */
struct f0b_rx {
    uint16_t len;    /* decoded bytes so far */
    uint8_t left;    /* data bytes still to come in the current COBS block */
    uint8_t zero;    /* the current block stands for a trailing 0x00 */
    uint8_t bad;     /* malformed or too long: discard up to the delimiter */
    uint8_t started; /* a byte other than the delimiter arrived */
    uint8_t buf[F0B_MAX_FRAME];
};

void f0b_rx_reset(struct f0b_rx *r);

/* Decode received bytes from p[0..n): stops after the delimiter that ends a frame and
 * sets *used to the bytes consumed (all n when no frame ended). Returns 0 when no frame
 * ended (empty frames between delimiters are skipped), the decoded length len
 * (F0B_FRAME_OVERHEAD <= len <= F0B_MAX_FRAME, crc included, in r->buf) for a
 * well-formed frame, or -1 for a malformed one (COBS error, too short, too long). The
 * CRC is not checked here: see f0b_frame_crc_ok(). The next byte starts a new frame, so
 * r->buf must be consumed before feeding again. Runs of data bytes are copied in one
 * loop: the device decodes a frame in a few cycles per byte. */
int f0b_rx_feed(struct f0b_rx *r, const uint8_t *p, uint32_t n, uint32_t *used);

/* The same for one byte. */
static inline int f0b_rx_byte(struct f0b_rx *r, uint8_t c)
{
    uint32_t used;
    return f0b_rx_feed(r, &c, 1, &used);
}

/* 1 if the last 4 bytes of an n-byte decoded frame are crc (LE), computed by the caller
 * over the first n - 4 bytes. */
int f0b_frame_crc_ok(const uint8_t *f, uint32_t n, uint32_t crc);

/* Host side (software, two 16-entry tables; the bootloader uses its CRC unit instead and
 * never links these). */

/* CRC-32/MPEG-2 of n bytes: polynomial 0x04C11DB7, init 0xFFFFFFFF, not reflected, no
 * final XOR ("123456789" -> 0x0376E6E7). */
uint32_t f0b_crc32_mpeg2(const uint8_t *p, uint32_t n);

/* zlib's crc32() of n bytes ("123456789" -> 0xCBF43926). */
uint32_t f0b_crc32_zlib(const uint8_t *p, uint32_t n);

/* The check a frame carries, over its first n bytes (type, seq, payload): zlib crc32 for
 * INFO, CRC-32/MPEG-2 for every other type (F0B_FRAME_CRC_IS_ZLIB). n >= 1. */
uint32_t f0b_frame_crc(const uint8_t *f, uint32_t n);

#endif
