/* The firmware's AES-128, CTR and CMAC (target/bootloader/core/aes.c, cmac.c) on the host:
 * the published vectors, then thousands of random cases against OpenSSL's libcrypto. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/evp.h>

#include "aes.h"
#include "cmac.h"

static unsigned nib(char c)
{
    return c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
}

static void hex(const char *s, uint8_t *out, size_t n)
{
    assert_true(strlen(s) >= 2 * n);
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(nib(s[2 * i]) << 4 | nib(s[2 * i + 1]));
}

/* Reproducible test data (xorshift32): the same cases on every run. */
static uint32_t rng = 1;

static void seed(uint32_t s) { rng = s ? s : 1; }

static uint32_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

/* SP 800-38A / 38B example key, and the four plaintext blocks of their examples. */
#define K_NIST "2b7e151628aed2a6abf7158809cf4f3c"
#define P_NIST                                                         \
    "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51" \
    "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710"

/* FIPS-197 appendix C.1 (AES-128) and appendix B (the cipher example). */
static void t_fips197(void **state)
{
    static const char *v[][3] = {
        {"000102030405060708090a0b0c0d0e0f", "00112233445566778899aabbccddeeff",
         "69c4e0d86a7b0430d8cdb78070b4c55a"},
        {K_NIST, "3243f6a8885a308d313198a2e0370734", "3925841d02dc09fbdc118597196a0b32"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        _Alignas(4) uint8_t k[16], p[16], c[16], out[16]; /* blocks: word-aligned */
        struct f0b_aes a = {0};
        hex(v[i][0], k, 16);
        hex(v[i][1], p, 16);
        hex(v[i][2], c, 16);
        f0b_aes_init(&a, k);
        f0b_aes_encrypt(&a, p, out);
        assert_memory_equal(out, c, 16);
        f0b_aes_encrypt(&a, p, p); /* in place */
        assert_memory_equal(p, c, 16);
    }
}

/* FIPS-197 appendix A.1: the last round key of the expansion of 2b7e1516... */
static void t_key_expansion(void **state)
{
    uint8_t k[16];
    struct f0b_aes a = {0};
    (void)state;
    hex(K_NIST, k, 16);
    f0b_aes_init(&a, k);
    /* w40..w43 = d014f9a8 c9ee2589 e13f0cc8 b6630ca6 (bytes in order: a8f914d0 as LE) */
    assert_int_equal(a.rk[40], 0xa8f914d0u);
    assert_int_equal(a.rk[41], 0x8925eec9u);
    assert_int_equal(a.rk[42], 0xc80c3fe1u);
    assert_int_equal(a.rk[43], 0xa60c63b6u);
}

/* SP 800-38A F.5.1 CTR-AES128.Encrypt (and F.5.2, the same operation), whole and in pieces
 * that start and end inside blocks. */
static void t_sp800_38a_ctr(void **state)
{
    uint8_t k[16], ctr[16], p[64], c[64], buf[64];
    struct f0b_aes a = {0};
    (void)state;
    hex(K_NIST, k, 16);
    hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", ctr, 16);
    hex(P_NIST, p, 64);
    hex("874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff"
        "5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee",
        c, 64);
    f0b_aes_init(&a, k);
    memcpy(buf, p, 64);
    f0b_aes_ctr(&a, ctr, 0, buf, 64);
    assert_memory_equal(buf, c, 64);
    f0b_aes_ctr(&a, ctr, 0, buf, 64); /* decryption is the same operation */
    assert_memory_equal(buf, p, 64);
    static const uint32_t cuts[] = {0, 1, 7, 16, 17, 31, 50, 64};
    memcpy(buf, p, 64);
    for (size_t i = 0; i + 1 < sizeof cuts / sizeof cuts[0]; i++)
        f0b_aes_ctr(&a, ctr, cuts[i], buf + cuts[i], cuts[i + 1] - cuts[i]);
    assert_memory_equal(buf, c, 64);
}

/* SP 800-38B D.1 (= RFC 4493 section 4): messages of 0, 16, 40 and 64 bytes. */
static void t_sp800_38b_cmac(void **state)
{
    static const struct {
        unsigned len;
        const char *tag;
    } v[] = {
        {0, "bb1d6929e95937287fa37d129b756746"},
        {16, "070a16b46b4d4144f79bdd9dd04a287c"},
        {40, "dfa66747de9ae63030ca32611497c827"},
        {64, "51f0bebf7e3b9d92fc49741779363cfe"},
    };
    uint8_t k[16], m[64], want[16], tag[16];
    struct f0b_aes a = {0};
    struct f0b_cmac c;
    (void)state;
    hex(K_NIST, k, 16);
    hex(P_NIST, m, 64);
    f0b_aes_init(&a, k);
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        hex(v[i].tag, want, 16);
        f0b_cmac_init(&c, &a);
        f0b_cmac_update(&c, m, v[i].len);
        f0b_cmac_final(&c, tag);
        assert_memory_equal(tag, want, 16);
        /* one byte at a time */
        f0b_cmac_init(&c, &a);
        for (unsigned j = 0; j < v[i].len; j++)
            f0b_cmac_update(&c, m + j, 1);
        f0b_cmac_final(&c, tag);
        assert_memory_equal(tag, want, 16);
    }
}

static void t_ct_equal(void **state)
{
    uint8_t a[16] = {0}, b[16] = {0};
    (void)state;
    assert_true(f0b_ct_equal(a, b, 16));
    for (unsigned i = 0; i < 16; i++) {
        b[i] = 0x80;
        assert_false(f0b_ct_equal(a, b, 16));
        b[i] = 0;
    }
    assert_true(f0b_ct_equal(a, b, 0));
}

static void rnd(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(next() >> 7);
}

static void ossl_ecb(const uint8_t k[16], const uint8_t *in, uint8_t *out, int n)
{
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    int l1 = 0, l2 = 0;
    assert_non_null(x);
    assert_int_equal(EVP_EncryptInit_ex(x, EVP_aes_128_ecb(), NULL, k, NULL), 1);
    EVP_CIPHER_CTX_set_padding(x, 0);
    assert_int_equal(EVP_EncryptUpdate(x, out, &l1, in, n), 1);
    assert_int_equal(EVP_EncryptFinal_ex(x, out + l1, &l2), 1);
    assert_int_equal(l1 + l2, n);
    EVP_CIPHER_CTX_free(x);
}

static void ossl_ctr(const uint8_t k[16], const uint8_t iv[16], uint8_t *buf, int n)
{
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    int l1 = 0, l2 = 0;
    assert_non_null(x);
    assert_int_equal(EVP_EncryptInit_ex(x, EVP_aes_128_ctr(), NULL, k, iv), 1);
    assert_int_equal(EVP_EncryptUpdate(x, buf, &l1, buf, n), 1);
    assert_int_equal(EVP_EncryptFinal_ex(x, buf + l1, &l2), 1);
    assert_int_equal(l1 + l2, n);
    EVP_CIPHER_CTX_free(x);
}

static void ossl_cmac(const uint8_t k[16], const uint8_t *m, size_t n, uint8_t tag[16])
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
    EVP_MAC_CTX *x = mac ? EVP_MAC_CTX_new(mac) : NULL;
    OSSL_PARAM prm[] = {OSSL_PARAM_construct_utf8_string("cipher", (char *)"AES-128-CBC", 0),
                        OSSL_PARAM_construct_end()};
    size_t tl = 0;
    assert_non_null(x);
    assert_int_equal(EVP_MAC_init(x, k, 16, prm), 1);
    assert_int_equal(EVP_MAC_update(x, m, n), 1);
    assert_int_equal(EVP_MAC_final(x, tag, &tl, 16), 1);
    assert_int_equal(tl, 16);
    EVP_MAC_CTX_free(x);
    EVP_MAC_free(mac);
}

/* Random keys and blocks: 2000 keys, 8 blocks each, against AES-128-ECB. */
static void t_random_blocks(void **state)
{
    (void)state;
    seed(14);
    for (int i = 0; i < 2000; i++) {
        _Alignas(4) uint8_t k[16], in[128], want[128], got[128];
        struct f0b_aes a = {0};
        rnd(k, 16);
        rnd(in, sizeof in);
        ossl_ecb(k, in, want, sizeof in);
        f0b_aes_init(&a, k);
        for (unsigned b = 0; b < sizeof in; b += 16)
            f0b_aes_encrypt(&a, in + b, got + b);
        assert_memory_equal(got, want, sizeof in);
    }
}

/* Random key, counter block, length and cut points, against AES-128-CTR (whose counter is
 * 128 bits: the low word is kept far from its wrap so both count alike). */
static void t_random_ctr(void **state)
{
    (void)state;
    seed(38);
    for (int i = 0; i < 500; i++) {
        uint8_t k[16], ctr[16], want[700], got[700];
        uint32_t n = (uint32_t)next() % sizeof want, pos = 0;
        struct f0b_aes a = {0};
        rnd(k, 16);
        rnd(ctr, 16);
        ctr[12] &= 0x7F;
        rnd(want, n);
        memcpy(got, want, n);
        ossl_ctr(k, ctr, want, (int)n);
        f0b_aes_init(&a, k);
        while (pos < n) {
            uint32_t step = 1u + (uint32_t)next() % 90u;
            if (step > n - pos)
                step = n - pos;
            f0b_aes_ctr(&a, ctr, pos, got + pos, step);
            pos += step;
        }
        assert_memory_equal(got, want, n);
    }
}

/* The counter's low 32 bits wrap without a carry into byte 11 (m = 32). */
static void t_ctr_wrap(void **state)
{
    _Alignas(4) uint8_t k[16], ctr[16], blk[16], buf[32] = {0};
    struct f0b_aes a = {0};
    (void)state;
    rnd(k, 16);
    memset(ctr, 0x5A, 12);
    memset(ctr + 12, 0xFF, 4);
    f0b_aes_init(&a, k);
    f0b_aes_ctr(&a, ctr, 0, buf, 32);
    memcpy(blk, ctr, 16);
    f0b_aes_encrypt(&a, blk, blk);
    assert_memory_equal(buf, blk, 16);
    memcpy(blk, ctr, 12);
    memset(blk + 12, 0, 4); /* 0x5A...5A 00000000, byte 11 unchanged */
    f0b_aes_encrypt(&a, blk, blk);
    assert_memory_equal(buf + 16, blk, 16);
}

/* Random keys, messages of 0..300 bytes fed in random pieces, against OpenSSL's CMAC. */
static void t_random_cmac(void **state)
{
    (void)state;
    seed(42);
    for (int i = 0; i < 2000; i++) {
        uint8_t k[16], m[300], want[16], got[16];
        uint32_t n = i < 300 ? (uint32_t)i : next() % 300u, pos = 0;
        struct f0b_aes a = {0};
        struct f0b_cmac c;
        rnd(k, 16);
        rnd(m, n);
        ossl_cmac(k, m, n, want);
        f0b_aes_init(&a, k);
        f0b_cmac_init(&c, &a);
        while (pos < n) {
            uint32_t step = (uint32_t)next() % 40u;
            if (step > n - pos)
                step = n - pos;
            f0b_cmac_update(&c, m + pos, step);
            pos += step;
        }
        f0b_cmac_final(&c, got);
        assert_memory_equal(got, want, 16);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_fips197),       cmocka_unit_test(t_key_expansion),
        cmocka_unit_test(t_sp800_38a_ctr), cmocka_unit_test(t_sp800_38b_cmac),
        cmocka_unit_test(t_ct_equal),      cmocka_unit_test(t_random_blocks),
        cmocka_unit_test(t_random_ctr),    cmocka_unit_test(t_ctr_wrap),
        cmocka_unit_test(t_random_cmac),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
