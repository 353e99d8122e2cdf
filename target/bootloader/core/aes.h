/*
 * AES-128, forward cipher only (FIPS-197), and CTR mode (SP 800-38A) on top of it: what the
 * secure bootloader needs to decrypt (CTR never runs the inverse cipher) and to authenticate
 * (CMAC, cmac.h). Written for the Cortex-M0: the state is four 32-bit column words, one
 * 256-byte S-box table, MixColumns on whole columns (no T-tables), the key schedule expanded
 * once. Portable C with no platform code: compiled for the host in tests/crypto and checked
 * against the FIPS-197 and SP 800-38A vectors and against OpenSSL's libcrypto.
 */
#ifndef F0B_AES_H
#define F0B_AES_H

#include <stdint.h>

#define F0B_AES_BLOCK 16u
#define F0B_AES_KEY   16u

/* The secure bootloader runs its crypto from SRAM (startup copies .data there), so that it
 * can decrypt and MAC a frame while the flash erases a page (the CPU stalls on every fetch
 * from flash meanwhile: f0b_hal_flash_erase_with()). Nothing on the host. */
#if defined(__arm__) && defined(F0B_SECURE) && F0B_SECURE
#define F0B_RAMFUNC __attribute__((section(".data.ramfunc"), noinline, long_call))
#define F0B_RAMDATA __attribute__((section(".data.ramdata")))
#define F0B_RAMCONST
#else
#define F0B_RAMFUNC
#define F0B_RAMDATA
#define F0B_RAMCONST const
#endif

/* The expanded key: 11 round keys of four little-endian column words. */
struct f0b_aes {
    uint32_t rk[44];
};

/* Expand a 128-bit key (FIPS-197 section 5.2) into a. */
void f0b_aes_init(struct f0b_aes *a, const uint8_t key[F0B_AES_KEY]);

/* Encrypt one block; in and out may be the same buffer. Both must be 4-byte aligned (the
 * block is read and written as four little-endian words). */
F0B_RAMFUNC void f0b_aes_encrypt(const struct f0b_aes *a, const uint8_t in[F0B_AES_BLOCK],
                                 uint8_t out[F0B_AES_BLOCK]);

/* CTR mode (SP 800-38A section 6.5): XOR len bytes of data, in place, with the key stream
 * from byte pos on. Key-stream block j is E(ctr0 + j), where + adds j to the last four bytes
 * of ctr0 read big-endian, modulo 2^32 (the standard incrementing function with m = 32,
 * SP 800-38A appendix B.1). Any pos and len: a call may start and end inside a block, so a
 * stream can be processed in pieces of any size. Encryption and decryption are the same. */
F0B_RAMFUNC void f0b_aes_ctr(const struct f0b_aes *a, const uint8_t ctr0[F0B_AES_BLOCK],
                             uint32_t pos, uint8_t *data, uint32_t len);

#endif
