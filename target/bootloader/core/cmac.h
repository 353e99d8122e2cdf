/*
 * AES-CMAC (SP 800-38B, RFC 4493) over the forward cipher of aes.h, computed as a stream:
 * the secure bootloader feeds the container header and then each piece of ciphertext as it
 * arrives, and never holds the whole message. Portable C, host-tested against the SP 800-38B
 * vectors and OpenSSL's libcrypto.
 */
#ifndef F0B_CMAC_H
#define F0B_CMAC_H

#include <stdint.h>
#include "aes.h"

struct f0b_cmac {
    const struct f0b_aes *aes;
    union {
        uint8_t x[F0B_AES_BLOCK]; /* chaining value XOR the bytes of the pending block */
        uint16_t h[8];            /* the same, by half-words for whole blocks */
        uint32_t w[4];            /* (and word-aligned for the cipher) */
    } u;
    uint8_t n; /* bytes in the pending block (0..16) */
};

/* Start a MAC under the expanded key aes (kept by pointer: it must outlive c). */
void f0b_cmac_init(struct f0b_cmac *c, const struct f0b_aes *aes);

/* Append len bytes of message (any length, any number of calls). */
F0B_RAMFUNC void f0b_cmac_update(struct f0b_cmac *c, const uint8_t *p, uint32_t len);

/* The 16-byte tag of everything appended since f0b_cmac_init(); c must be initialised
 * again before reuse. */
void f0b_cmac_final(struct f0b_cmac *c, uint8_t tag[F0B_AES_BLOCK]);

/* 1 if the first n bytes of a and b are equal, in a time that does not depend on where
 * they differ (a tag comparison must not tell an attacker how many bytes were right). */
int f0b_ct_equal(const uint8_t *a, const uint8_t *b, uint32_t n);

#endif
