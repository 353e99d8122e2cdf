/*
 * AES-CMAC as a stream (cmac.h). The last block of a message is treated differently (XORed
 * with a subkey before its encryption), so a full pending block is encrypted only once a
 * further byte shows it was not the last.
 */
#include <string.h>
#include "cmac.h"

void f0b_cmac_init(struct f0b_cmac *c, const struct f0b_aes *aes)
{
    memset(c, 0, sizeof *c);
    c->aes = aes;
}

typedef uint16_t __attribute__((may_alias)) f0b_cmac_u16;

F0B_RAMFUNC void f0b_cmac_update(struct f0b_cmac *c, const uint8_t *p, uint32_t len)
{
    while (len) {
        if (c->n == F0B_AES_BLOCK) {
            f0b_aes_encrypt(c->aes, c->u.x, c->u.x);
            c->n = 0;
        }
        if (c->n == 0 && len >= F0B_AES_BLOCK && ((uintptr_t)p & 1u) == 0) {
            /* a whole block by half-words (DATA's bytes sit at an even address); it is
             * encrypted only once more data follows */
            const f0b_cmac_u16 *h = (const f0b_cmac_u16 *)p;
            for (unsigned k = 0; k < 8; k++)
                c->u.h[k] ^= h[k];
            c->n = F0B_AES_BLOCK;
            p += F0B_AES_BLOCK;
            len -= F0B_AES_BLOCK;
            continue;
        }
        c->u.x[c->n++] ^= *p++;
        len--;
    }
}

/* k = k * x in GF(2^128) (SP 800-38B section 6.1: a left shift, Rb = 0x87 on a carry). */
static void dbl(uint8_t k[F0B_AES_BLOCK])
{
    uint8_t carry = (uint8_t)(k[0] >> 7);
    for (unsigned i = 0; i < F0B_AES_BLOCK - 1u; i++)
        k[i] = (uint8_t)(k[i] << 1 | k[i + 1] >> 7);
    k[F0B_AES_BLOCK - 1u] = (uint8_t)(k[F0B_AES_BLOCK - 1u] << 1 ^ (carry ? 0x87u : 0u));
}

void f0b_cmac_final(struct f0b_cmac *c, uint8_t tag[F0B_AES_BLOCK])
{
    union {
        uint8_t b[F0B_AES_BLOCK];
        uint32_t w[4];
    } k;

    /* Subkeys: L = E(0), K1 = 2L for a complete last block, K2 = 4L for a padded one. */
    memset(&k, 0, sizeof k);
    f0b_aes_encrypt(c->aes, k.b, k.b);
    dbl(k.b);
    if (c->n < F0B_AES_BLOCK) {
        c->u.x[c->n] ^= 0x80u; /* padding 10...0 (the rest XORs zeros) */
        dbl(k.b);
    }
    for (unsigned i = 0; i < F0B_AES_BLOCK; i++)
        c->u.x[i] ^= k.b[i];
    f0b_aes_encrypt(c->aes, c->u.x, c->u.x);
    memcpy(tag, c->u.x, F0B_AES_BLOCK);
}

int f0b_ct_equal(const uint8_t *a, const uint8_t *b, uint32_t n)
{
    uint8_t d = 0;
    while (n--)
        d |= *a++ ^ *b++;
    return d == 0;
}
