/*
 * AES-128 encryption for the Cortex-M0 (aes.h). Bytes of the state are kept in four column
 * words, row r of a column in bits 8r..8r+7, so that ShiftRows is a choice of which column
 * each byte is taken from and MixColumns works on a whole column with shifts and XORs.
 */
#include "aes.h"
#include "f0boot/le.h"

/* The AES S-box (FIPS-197 figure 7): the multiplicative inverse in GF(2^8) followed by the
 * affine transformation; generated from that definition. */
static F0B_RAMCONST uint8_t sbox[256] F0B_RAMDATA = {
    0x63, 0x7c, 0x77, 0x7b, 0xf2, 0x6b, 0x6f, 0xc5, 0x30, 0x01, 0x67, 0x2b, 0xfe, 0xd7, 0xab, 0x76,
    0xca, 0x82, 0xc9, 0x7d, 0xfa, 0x59, 0x47, 0xf0, 0xad, 0xd4, 0xa2, 0xaf, 0x9c, 0xa4, 0x72, 0xc0,
    0xb7, 0xfd, 0x93, 0x26, 0x36, 0x3f, 0xf7, 0xcc, 0x34, 0xa5, 0xe5, 0xf1, 0x71, 0xd8, 0x31, 0x15,
    0x04, 0xc7, 0x23, 0xc3, 0x18, 0x96, 0x05, 0x9a, 0x07, 0x12, 0x80, 0xe2, 0xeb, 0x27, 0xb2, 0x75,
    0x09, 0x83, 0x2c, 0x1a, 0x1b, 0x6e, 0x5a, 0xa0, 0x52, 0x3b, 0xd6, 0xb3, 0x29, 0xe3, 0x2f, 0x84,
    0x53, 0xd1, 0x00, 0xed, 0x20, 0xfc, 0xb1, 0x5b, 0x6a, 0xcb, 0xbe, 0x39, 0x4a, 0x4c, 0x58, 0xcf,
    0xd0, 0xef, 0xaa, 0xfb, 0x43, 0x4d, 0x33, 0x85, 0x45, 0xf9, 0x02, 0x7f, 0x50, 0x3c, 0x9f, 0xa8,
    0x51, 0xa3, 0x40, 0x8f, 0x92, 0x9d, 0x38, 0xf5, 0xbc, 0xb6, 0xda, 0x21, 0x10, 0xff, 0xf3, 0xd2,
    0xcd, 0x0c, 0x13, 0xec, 0x5f, 0x97, 0x44, 0x17, 0xc4, 0xa7, 0x7e, 0x3d, 0x64, 0x5d, 0x19, 0x73,
    0x60, 0x81, 0x4f, 0xdc, 0x22, 0x2a, 0x90, 0x88, 0x46, 0xee, 0xb8, 0x14, 0xde, 0x5e, 0x0b, 0xdb,
    0xe0, 0x32, 0x3a, 0x0a, 0x49, 0x06, 0x24, 0x5c, 0xc2, 0xd3, 0xac, 0x62, 0x91, 0x95, 0xe4, 0x79,
    0xe7, 0xc8, 0x37, 0x6d, 0x8d, 0xd5, 0x4e, 0xa9, 0x6c, 0x56, 0xf4, 0xea, 0x65, 0x7a, 0xae, 0x08,
    0xba, 0x78, 0x25, 0x2e, 0x1c, 0xa6, 0xb4, 0xc6, 0xe8, 0xdd, 0x74, 0x1f, 0x4b, 0xbd, 0x8b, 0x8a,
    0x70, 0x3e, 0xb5, 0x66, 0x48, 0x03, 0xf6, 0x0e, 0x61, 0x35, 0x57, 0xb9, 0x86, 0xc1, 0x1d, 0x9e,
    0xe1, 0xf8, 0x98, 0x11, 0x69, 0xd9, 0x8e, 0x94, 0x9b, 0x1e, 0x87, 0xe9, 0xce, 0x55, 0x28, 0xdf,
    0x8c, 0xa1, 0x89, 0x0d, 0xbf, 0xe6, 0x42, 0x68, 0x41, 0x99, 0x2d, 0x0f, 0xb0, 0x54, 0xbb, 0x16,
};

/* Byte `sh / 8` of w through the S-box, put back at the same place. */
static inline __attribute__((always_inline)) uint32_t sub(uint32_t w, unsigned sh)
{
    return (uint32_t)sbox[(w >> sh) & 0xFFu] << sh;
}

/* SubBytes and ShiftRows for one output column: row i comes from the i-th word given. A
 * function of its own (called 4 times a round): inlined, the cipher would not fit the 6 KB
 * secure bootloader. */
static F0B_RAMFUNC uint32_t subshift(uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
    return sub(a, 0) | sub(b, 8) | sub(c, 16) | sub(d, 24);
}

static inline __attribute__((always_inline)) uint32_t ror(uint32_t w, unsigned n)
{
    return (w >> n) | (w << (32u - n));
}

/* Multiply each of the four bytes of x by x (i.e. 2) in GF(2^8), modulo x^8+x^4+x^3+x+1. */
static inline __attribute__((always_inline)) uint32_t xtime4(uint32_t x)
{
    return ((x & 0x7F7F7F7Fu) << 1) ^ (((x >> 7) & 0x01010101u) * 0x1Bu);
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "aes.c reads blocks as little-endian words"
#endif

/* MixColumns of one column: b_i = 2 a_i + 3 a_(i+1) + a_(i+2) + a_(i+3)
 *                              = 2 (a_i + a_(i+1)) + a_(i+1) + (a_(i+2) + a_(i+3)). */
static inline __attribute__((always_inline)) uint32_t mix(uint32_t a)
{
    uint32_t r8 = ror(a, 8), x = a ^ r8;
    return xtime4(x) ^ r8 ^ ror(x, 16);
}

void f0b_aes_init(struct f0b_aes *a, const uint8_t key[F0B_AES_KEY])
{
    uint32_t *rk = a->rk;
    uint32_t rcon = 1;

    for (unsigned i = 0; i < 4; i++)
        rk[i] = f0b_get_le32(key + 4u * i);
    for (unsigned i = 4; i < 44; i++) {
        uint32_t t = rk[i - 1];
        if ((i & 3u) == 0) {
            /* RotWord (bytes a1 a2 a3 a0 = a right rotation in this byte order), SubWord,
             * Rcon in the first byte. */
            t = ror(t, 8);
            t = (sub(t, 0) | sub(t, 8) | sub(t, 16) | sub(t, 24)) ^ rcon;
            rcon = xtime4(rcon);
        }
        rk[i] = rk[i - 4] ^ t;
    }
}

F0B_RAMFUNC void f0b_aes_encrypt(const struct f0b_aes *a, const uint8_t in[F0B_AES_BLOCK],
                                 uint8_t out[F0B_AES_BLOCK])
{
    const uint32_t *rk = a->rk;
    const uint32_t *wi = __builtin_assume_aligned(in, 4);
    uint32_t *wo = __builtin_assume_aligned(out, 4);
    uint32_t s0 = wi[0] ^ rk[0], s1 = wi[1] ^ rk[1], s2 = wi[2] ^ rk[2], s3 = wi[3] ^ rk[3];
    uint32_t t0, t1, t2, t3;

    /* The state in four locals, the columns written out: the M0 keeps most of it in
     * registers (measured on f0sim: docs/benchmarks.md). */
    for (unsigned r = 1;; r++) {
        rk += 4;
        t0 = subshift(s0, s1, s2, s3);
        t1 = subshift(s1, s2, s3, s0);
        t2 = subshift(s2, s3, s0, s1);
        t3 = subshift(s3, s0, s1, s2);
        if (r == 10)
            break;
        s0 = mix(t0) ^ rk[0];
        s1 = mix(t1) ^ rk[1];
        s2 = mix(t2) ^ rk[2];
        s3 = mix(t3) ^ rk[3];
    }
    wo[0] = t0 ^ rk[0];
    wo[1] = t1 ^ rk[1];
    wo[2] = t2 ^ rk[2];
    wo[3] = t3 ^ rk[3];
}


F0B_RAMFUNC void f0b_aes_ctr(const struct f0b_aes *a, const uint8_t ctr0[F0B_AES_BLOCK],
                             uint32_t pos, uint8_t *data, uint32_t len)
{
    union {
        uint8_t b[F0B_AES_BLOCK];
        uint32_t w[4];
    } ks;
    uint32_t base =
        ((uint32_t)ctr0[12] << 24 | (uint32_t)ctr0[13] << 16 | (uint32_t)ctr0[14] << 8 | ctr0[15]);

    while (len) {
        uint32_t off = pos & 15u, n = F0B_AES_BLOCK - off, blk = base + (pos >> 4);
        if (n > len)
            n = len;
        for (unsigned k = 0; k < 12; k++)
            ks.b[k] = ctr0[k];
        ks.b[12] = (uint8_t)(blk >> 24);
        ks.b[13] = (uint8_t)(blk >> 16);
        ks.b[14] = (uint8_t)(blk >> 8);
        ks.b[15] = (uint8_t)blk;
        f0b_aes_encrypt(a, ks.b, ks.b);
        /* byte by byte: in the secure bootloader this runs while a page erases (secure.c) */
        for (uint32_t k = 0; k < n; k++)
            data[k] ^= ks.b[off + k];
        data += n;
        pos += n;
        len -= n;
    }
}
