/*
 * COBS framing (Cheshire and Baker, "Consistent Overhead Byte Stuffing", 1999): each block
 * is a code byte c followed by c - 1 non-zero bytes; a block with c < 0xFF stands for its
 * bytes plus one 0x00, except the last block of a frame. Written from the paper's
 * description for f0boot.
 */
#include "frame.h"
#include "f0boot/le.h"

void f0b_cobs_encode(const uint8_t *s, uint32_t len, f0b_sink_fn out, void *ctx)
{
    uint8_t code;

    for (;;) {
        uint32_t n = 0;
        while (n < len && n < 254u && s[n] != 0)
            n++;
        code = (uint8_t)(n + 1u);
        out(ctx, &code, 1);
        out(ctx, s, n);
        s += n;
        len -= n;
        if (len == 0)
            break;
        if (n < 254u) {         /* this block stood for the zero at s[0] */
            s++;
            len--;
            if (len == 0) {     /* a trailing zero needs an empty final block */
                code = 1;
                out(ctx, &code, 1);
                break;
            }
        }
    }
    code = F0B_FRAME_DELIM;
    out(ctx, &code, 1);
}

void f0b_rx_reset(struct f0b_rx *r)
{
    r->len = 0;
    r->left = 0;
    r->zero = 0;
    r->bad = 0;
    r->started = 0;
}

static void put(struct f0b_rx *r, uint8_t c)
{
    if (r->len >= F0B_MAX_FRAME)
        r->bad = 1;
    else
        r->buf[r->len++] = c;
}

int f0b_rx_byte(struct f0b_rx *r, uint8_t c)
{
    if (c == F0B_FRAME_DELIM) {
        int n = r->len;
        int ok = !r->bad && r->left == 0 && n >= (int)F0B_FRAME_OVERHEAD;
        int started = r->started;
        f0b_rx_reset(r);
        if (!started)
            return 0;
        return ok ? n : -1;
    }
    r->started = 1;
    if (r->bad)
        return 0;
    if (r->left == 0) {
        if (r->zero)
            put(r, 0);
        r->left = (uint8_t)(c - 1u);
        r->zero = c != 0xFFu;
    } else {
        put(r, c);
        r->left--;
    }
    return 0;
}

int f0b_frame_crc_ok(const uint8_t *f, uint32_t n, uint32_t crc)
{
    return f0b_get_le32(f + n - 4u) == crc;
}
