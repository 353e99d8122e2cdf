/*
 * Encrypted and authenticated containers, format v2 (include/f0boot/container.h,
 * docs/container.md): AES-128-CTR and AES-CMAC from OpenSSL's libcrypto, the same
 * constructions the secure bootloader computes with its own AES (target/bootloader/core).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <zlib.h>
#include <openssl/evp.h>

#include "f0boot/le.h"
#include "internal.h"

/* The value of hex digit c, or -1. */
static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int f0b_key_parse(const uint8_t *buf, size_t len, uint8_t key[F0B_KEY_LEN],
                  struct f0b_img_error *err)
{
    size_t n = len;

    if (n && buf[n - 1] == '\n')
        n--;
    if (n && buf[n - 1] == '\r')
        n--;
    if (n != 2u * F0B_KEY_LEN)
        goto bad;
    for (size_t i = 0; i < n; i++) {
        int d = hexval(buf[i]);
        if (d < 0)
            goto bad;
        if (i % 2 == 0)
            key[i / 2] = (uint8_t)(d << 4);
        else
            key[i / 2] |= (uint8_t)d;
    }
    return F0B_IMG_OK;
bad:
    memset(key, 0, F0B_KEY_LEN);
    return f0b_err_set(err, F0B_IMG_EKEY, 0, -1,
                       "not an f0boot key file: it must hold exactly 32 hex digits (a 128-bit "
                       "key) and a newline; make one with `f0boot keygen -o product.key`");
}

void f0b_key_format(const uint8_t key[F0B_KEY_LEN], char out[F0B_KEY_TEXT_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < F0B_KEY_LEN; i++) {
        out[2 * i] = digits[key[i] >> 4];
        out[2 * i + 1] = digits[key[i] & 15u];
    }
    out[2 * F0B_KEY_LEN] = '\n';
    out[2 * F0B_KEY_LEN + 1] = '\0';
}

int f0b_random(uint8_t *p, size_t n, struct f0b_img_error *err)
{
    while (n) {
        ssize_t r = getrandom(p, n, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return f0b_err_set(err, F0B_IMG_ERANDOM, 0, -1,
                               "getrandom() failed (%s): no "
                               "random numbers for the key or nonce; nothing was written",
                               strerror(errno));
        p += r;
        n -= (size_t)r;
    }
    return F0B_IMG_OK;
}

/* The counter block of key-stream block `block`: nonce || 0^4 || block (big-endian). */
static void ctr_block(uint8_t iv[16], const uint8_t *nonce, uint32_t block)
{
    memcpy(iv, nonce, F0B_IMG_NONCE_LEN);
    memset(iv + F0B_IMG_NONCE_LEN, 0, 4);
    iv[12] = (uint8_t)(block >> 24);
    iv[13] = (uint8_t)(block >> 16);
    iv[14] = (uint8_t)(block >> 8);
    iv[15] = (uint8_t)block;
}

/* XOR n bytes in place with the key stream from block `block` on. 0, or -1 on failure. */
static int ctr_xor(const uint8_t key[F0B_KEY_LEN], const uint8_t *nonce, uint32_t block, uint8_t *p,
                   size_t n)
{
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    uint8_t iv[16];
    int ok = x != NULL, l = 0;

    ctr_block(iv, nonce, block);
    ok = ok && EVP_EncryptInit_ex(x, EVP_aes_128_ctr(), NULL, key, iv) == 1;
    while (ok && n) {
        int k = n > 0x40000000u ? 0x40000000 : (int)n;
        ok = EVP_EncryptUpdate(x, p, &l, p, k) == 1 && l == k;
        p += k;
        n -= (size_t)k;
    }
    EVP_CIPHER_CTX_free(x);
    return ok ? 0 : -1;
}

/* AES-CMAC of up to three pieces (a NULL piece is skipped). 0, or -1 on failure. */
static int cmac3(const uint8_t key[F0B_KEY_LEN], const uint8_t *a, size_t na, const uint8_t *b,
                 size_t nb, const uint8_t *c, size_t nc, uint8_t tag[16])
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
    EVP_MAC_CTX *x = mac ? EVP_MAC_CTX_new(mac) : NULL;
    OSSL_PARAM prm[] = {OSSL_PARAM_construct_utf8_string("cipher", (char *)"AES-128-CBC", 0),
                        OSSL_PARAM_construct_end()};
    size_t tl = 0;
    int ok = x && EVP_MAC_init(x, key, F0B_KEY_LEN, prm) == 1 &&
             (!a || EVP_MAC_update(x, a, na) == 1) && (!b || EVP_MAC_update(x, b, nb) == 1) &&
             (!c || EVP_MAC_update(x, c, nc) == 1) && EVP_MAC_final(x, tag, &tl, 16) == 1 &&
             tl == 16;
    EVP_MAC_CTX_free(x);
    EVP_MAC_free(mac);
    return ok ? 0 : -1;
}

/* hdr_mac of a v2 header: CMAC over bytes 0..43 and 52..59 (all but itself and hdr_crc). */
static int hdr_mac(const uint8_t key[F0B_KEY_LEN], const uint8_t *raw, uint8_t tag[16])
{
    return cmac3(key, raw, F0B_IMG_OFF_HDR_MAC, raw + F0B_IMG_OFF_INIT_SP,
                 F0B_IMG_OFF_HDR_CRC - F0B_IMG_OFF_INIT_SP, NULL, 0, tag);
}

static int crypto_fail(struct f0b_img_error *err)
{
    return f0b_err_set(err, F0B_IMG_ENOMEM, 0, -1, "libcrypto failed (out of memory?)");
}

int f0b_container_encrypt(const uint8_t *cnt, size_t len, const uint8_t key[F0B_KEY_LEN],
                          const uint8_t nonce[F0B_IMG_NONCE_LEN], uint8_t **out, size_t *out_len,
                          struct f0b_img_hdr *hdr, struct f0b_img_error *err)
{
    struct f0b_img_hdr h;
    struct f0b_container_check chk;
    uint8_t *b, *raw, mac[16];
    int rc;

    *out = NULL;
    *out_len = 0;
    rc = f0b_container_verify(cnt, len, &h, &chk, err);
    if (rc)
        return rc;
    if (chk.encrypted)
        return f0b_err_set(err, F0B_IMG_EARG, 0, -1, "the container is encrypted already");
    b = malloc(len + F0B_IMG_TAG_LEN);
    if (!b)
        return f0b_err_set(err, F0B_IMG_ENOMEM, 0, -1, "out of memory (%zu bytes)", len);
    memcpy(b, cnt, len);
    raw = b;
    f0b_put_le16(raw + F0B_IMG_OFF_HDR_VERSION, F0B_IMG_HDR_VERSION_ENC);
    memcpy(raw + F0B_IMG_OFF_NONCE, nonce, F0B_IMG_NONCE_LEN);
    /* payload_crc: key-stream bytes 0..3 (block 0); the payload: from block 1 on. */
    if (ctr_xor(key, nonce, 0, raw + F0B_IMG_OFF_PAYLOAD_CRC, 4) ||
        ctr_xor(key, nonce, F0B_IMG_CTR_PAYLOAD / 16u, b + F0B_IMG_HDR_SIZE, h.payload_size) ||
        hdr_mac(key, raw, mac))
        goto fail;
    memcpy(raw + F0B_IMG_OFF_HDR_MAC, mac, F0B_IMG_HDR_MAC_LEN);
    f0b_put_le32(raw + F0B_IMG_OFF_HDR_CRC, (uint32_t)crc32(0L, raw, F0B_IMG_OFF_HDR_CRC));
    if (cmac3(key, b, len, NULL, 0, NULL, 0, b + len))
        goto fail;
    if (hdr)
        f0b_hdr_decode(raw, hdr);
    *out = b;
    *out_len = len + F0B_IMG_TAG_LEN;
    return F0B_IMG_OK;
fail:
    free(b);
    return crypto_fail(err);
}

/* The MACs of a structurally valid v2 container: chk->hdr_mac_ok and tag_ok. */
static int check_macs(const uint8_t *buf, size_t len, const uint8_t key[F0B_KEY_LEN],
                      struct f0b_container_check *chk)
{
    uint8_t mac[16], tag[16];
    size_t body = len - F0B_IMG_TAG_LEN;

    if (hdr_mac(key, buf, mac) || cmac3(key, buf, body, NULL, 0, NULL, 0, tag))
        return -1;
    chk->mac_checked = 1;
    chk->hdr_mac_ok = CRYPTO_memcmp(mac, buf + F0B_IMG_OFF_HDR_MAC, F0B_IMG_HDR_MAC_LEN) == 0;
    chk->tag_ok = CRYPTO_memcmp(tag, buf + body, F0B_IMG_TAG_LEN) == 0;
    return 0;
}

int f0b_container_decrypt(const uint8_t *buf, size_t len, const uint8_t key[F0B_KEY_LEN],
                          uint8_t **plain, struct f0b_container_check *chk,
                          struct f0b_img_error *err)
{
    struct f0b_img_hdr h;
    uint8_t *p = NULL, crcb[4];
    int rc = f0b_container_verify(buf, len, &h, chk, err);

    if (plain)
        *plain = NULL;
    if (rc && !(chk->encrypted && rc == F0B_IMG_ECNT_FIELD))
        return rc;
    if (!chk->encrypted)
        return f0b_err_set(err, F0B_IMG_EARG, 0, -1, "the container is not encrypted");
    if (check_macs(buf, len, key, chk))
        return crypto_fail(err);
    if (!chk->hdr_mac_ok || !chk->tag_ok)
        return f0b_err_set(err, F0B_IMG_ECNT_MAC, 0,
                           chk->hdr_mac_ok ? (long)(len - 16) : F0B_IMG_OFF_HDR_MAC,
                           "the %s does not verify under this key: the image was packed with "
                           "another key, or altered after packing; use the product's key, or "
                           "pack the image again",
                           chk->hdr_mac_ok ? "tag over header and "
                                             "ciphertext"
                                           : "header MAC");
    p = malloc(h.payload_size >= 8u ? h.payload_size : 8u);
    if (!p)
        return f0b_err_set(err, F0B_IMG_ENOMEM, 0, -1, "out of memory");
    memset(p, 0, 8); /* a payload too short for the vectors: rules refuse it */
    memcpy(p, buf + F0B_IMG_HDR_SIZE, h.payload_size);
    f0b_put_le32(crcb, h.payload_crc);
    if (ctr_xor(key, h.nonce, 0, crcb, 4) ||
        ctr_xor(key, h.nonce, F0B_IMG_CTR_PAYLOAD / 16u, p, h.payload_size)) {
        free(p);
        return crypto_fail(err);
    }
    chk->payload_crc_calc = (uint32_t)crc32(0L, p, h.payload_size);
    chk->payload_crc_ok = chk->payload_crc_calc == f0b_get_le32(crcb);
    if (!chk->payload_crc_ok)
        rc = f0b_err_set(err, F0B_IMG_ECNT_PAYLOAD_CRC, 0, F0B_IMG_OFF_PAYLOAD_CRC,
                         "the decrypted payload CRC 0x%08x differs from the header's "
                         "0x%08x although the MACs verify: the packer is broken",
                         (unsigned)chk->payload_crc_calc, (unsigned)f0b_get_le32(crcb));
    else if (h.init_sp != f0b_get_le32(p) || h.reset_vec != f0b_get_le32(p + 4))
        rc = f0b_err_set(err, F0B_IMG_ECNT_FIELD, 0, F0B_IMG_OFF_INIT_SP,
                         "init_sp/reset_vec 0x%08x/0x%08x differ from the decrypted payload "
                         "words 0/1",
                         (unsigned)h.init_sp, (unsigned)h.reset_vec);
    if (rc || !plain)
        free(p);
    else
        *plain = p;
    return rc;
}
