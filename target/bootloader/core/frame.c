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
        if (n < 254u) { /* this block stood for the zero at s[0] */
            s++;
            len--;
            if (len == 0) { /* a trailing zero needs an empty final block */
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

int f0b_rx_feed(struct f0b_rx *r, const uint8_t *p, uint32_t n, uint32_t *used)
{
    const uint8_t *s = p, *end = p + n;

    while (s < end) {
        uint8_t c = *s;
        if (c == F0B_FRAME_DELIM) {
            uint32_t len = r->len;
            int ok = !r->bad && r->left == 0 && len >= F0B_FRAME_OVERHEAD;
            int started = r->started;
            s++;
            f0b_rx_reset(r);
            if (!started)
                continue; /* empty frame: delimiters back to back */
            *used = (uint32_t)(s - p);
            return ok ? (int)len : -1;
        }
        r->started = 1;
        if (r->bad) {
            s++;                   /* discard up to the delimiter */
        } else if (r->left == 0) { /* a code byte: c - 1 data bytes follow */
            s++;
            if (r->zero) {
                if (r->len >= F0B_MAX_FRAME)
                    r->bad = 1;
                else
                    r->buf[r->len++] = 0;
            }
            r->left = (uint8_t)(c - 1u);
            r->zero = c != 0xFFu;
        } else {
            /* The bulk of a frame: copy the block's data bytes in one tight loop, up to
             * the end of the block or of the input, or a delimiter (a malformed frame). */
            uint32_t k = r->left, i = 0;
            uint8_t *d = r->buf + r->len;
            if (k > (uint32_t)(end - s))
                k = (uint32_t)(end - s);
            if (k > F0B_MAX_FRAME - (uint32_t)r->len) {
                r->bad = 1; /* too long: whatever follows, the frame is lost */
                continue;
            }
            while (i < k && s[i] != F0B_FRAME_DELIM) {
                d[i] = s[i];
                i++;
            }
            s += i;
            r->len = (uint16_t)(r->len + i);
            r->left = (uint8_t)(r->left - i);
        }
    }
    *used = n;
    return 0;
}

int f0b_frame_crc_ok(const uint8_t *f, uint32_t n, uint32_t crc)
{
    return f0b_get_le32(f + n - 4u) == crc;
}

/* --- host-side frame check ------------------------------------------------------------ */

#define CRC_POLY           0x04C11DB7u
#define CRC_POLY_REFLECTED 0xEDB88320u
/* One bit of each CRC, and a nibble as four of them: the tables below are computed by the
 * compiler from the polynomial, not typed in. The polynomial is multiplied by the bit shifted
 * out rather than chosen by ?: : a conditional names its operand three times, so four nested
 * steps made 81 copies and 40 nested conditionals per entry (clang-tidy's cognitive
 * complexity 2273 for the functions that hold the tables). */
#define MSB1(c) (((c) << 1) ^ ((c) >> 31) * CRC_POLY)
#define LSB1(c) (((c) >> 1) ^ ((c)&1u) * CRC_POLY_REFLECTED)
#define MSB4(i) MSB1(MSB1(MSB1(MSB1((uint32_t)(i) << 28))))
#define LSB4(i) LSB1(LSB1(LSB1(LSB1((uint32_t)(i)))))
#define ROW16(f)                                                                                \
    {                                                                                           \
        f(0), f(1), f(2), f(3), f(4), f(5), f(6), f(7), f(8), f(9), f(10), f(11), f(12), f(13), \
            f(14), f(15)                                                                        \
    }

uint32_t f0b_crc32_mpeg2(const uint8_t *p, uint32_t n)
{
    static const uint32_t t[16] = ROW16(MSB4);
    uint32_t crc = 0xFFFFFFFFu;

    while (n--) {
        crc = (crc << 4) ^ t[(crc >> 28) ^ (*p >> 4)];
        crc = (crc << 4) ^ t[(crc >> 28) ^ (*p++ & 15u)];
    }
    return crc;
}

uint32_t f0b_crc32_zlib(const uint8_t *p, uint32_t n)
{
    static const uint32_t t[16] = ROW16(LSB4);
    uint32_t crc = 0xFFFFFFFFu;

    while (n--) {
        crc ^= *p++;
        crc = (crc >> 4) ^ t[crc & 15u];
        crc = (crc >> 4) ^ t[crc & 15u];
    }
    return ~crc;
}

uint32_t f0b_frame_crc(const uint8_t *f, uint32_t n)
{
    return F0B_FRAME_CRC_IS_ZLIB(f[0]) ? f0b_crc32_zlib(f, n) : f0b_crc32_mpeg2(f, n);
}
