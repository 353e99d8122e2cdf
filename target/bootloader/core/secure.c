/*
 * Encrypted, authenticated updates (secure.h). The key is the build's F0B_PRODUCT_KEY
 * (f0b_key.h, generated from F0B_KEY_FILE into the build directory: never in the tree).
 */
#include <string.h>
#include "secure.h"
#include "f0b_hal.h"
#include "f0b_key.h"
#include "f0boot/layout.h"
#include "f0boot/le.h"

#if F0B_BOOT_CRC
#error "F0B_BOOT_CRC checks the header's payload_crc, which is encrypted in a secure build"
#endif

static const uint8_t product_key[F0B_AES_KEY] = F0B_PRODUCT_KEY;

/* X.Y.Z+B as one number ordered as versions are. */
static uint64_t version_of(const uint8_t *h)
{
    return (uint64_t)h[F0B_IMG_OFF_VER_MAJOR] << 56 | (uint64_t)h[F0B_IMG_OFF_VER_MINOR] << 48 |
           (uint64_t)f0b_get_le16(h + F0B_IMG_OFF_VER_PATCH) << 32 |
           f0b_get_le32(h + F0B_IMG_OFF_VER_BUILD);
}

/* The floor is the header in the boot record whenever it passes the rules, committed or
 * not: an update of a newer image that was cut short keeps its version as the floor. */
static int version_ok(const struct f0b_layout *l, const uint8_t *raw)
{
    const uint8_t *rec = f0b_hal_flash_ptr(l->record_addr + F0B_RECORD_HDR_OFF);

    if (F0B_ALLOW_DOWNGRADE || f0b_hdr_validate(l, rec) != F0B_ST_OK)
        return 1;
    return version_of(raw) >= version_of(rec);
}

int f0b_sec_begin(struct f0b_update *u, const uint8_t raw[F0B_IMG_HDR_SIZE])
{
    uint8_t mac[F0B_AES_BLOCK];

    u->enc = f0b_get_le16(raw + F0B_IMG_OFF_HDR_VERSION) == F0B_IMG_HDR_VERSION_ENC;
    if (!u->enc && !F0B_ACCEPT_PLAIN)
        return F0B_ST_HDR_PLAIN;
    if (u->enc) {
        /* The header MAC first: nothing about an image is believed, and nothing is erased,
         * before it is known to come from the key holder. */
        f0b_aes_init(&u->aes, product_key);
        f0b_cmac_init(&u->mac, &u->aes);
        f0b_cmac_update(&u->mac, raw, F0B_IMG_OFF_HDR_MAC);
        f0b_cmac_update(&u->mac, raw + F0B_IMG_OFF_INIT_SP,
                        F0B_IMG_OFF_HDR_CRC - F0B_IMG_OFF_INIT_SP);
        f0b_cmac_final(&u->mac, mac);
        if (!f0b_ct_equal(mac, raw + F0B_IMG_OFF_HDR_MAC, F0B_IMG_HDR_MAC_LEN))
            return F0B_ST_HDR_MAC;
    }
    if (!version_ok(u->l, raw))
        return F0B_ST_ROLLBACK;
    if (u->enc) {
        uint8_t c[4];
        memset(&u->ctr0, 0, sizeof u->ctr0);
        memcpy(u->ctr0.b, raw + F0B_IMG_OFF_NONCE, F0B_IMG_NONCE_LEN);
        memcpy(c, raw + F0B_IMG_OFF_PAYLOAD_CRC, 4);
        f0b_aes_ctr(&u->aes, u->ctr0.b, 0, c, 4);
        u->plain_crc = f0b_get_le32(c);
        f0b_cmac_init(&u->mac, &u->aes);
        f0b_cmac_update(&u->mac, raw, F0B_IMG_HDR_SIZE);
        u->mac_done = 0;
        u->ks_len = 0;
    }
    return F0B_ST_OK;
}

F0B_RAMFUNC void f0b_sec_data_job(void *ctx)
{
    struct f0b_sec_job *j = ctx;
    struct f0b_update *u = j->u;

    f0b_sec_data(u, j->offset, j->data, j->len);
    /* The page is still erasing (30 ms; this frame's crypto took about 9): compute the key
     * stream of the next frame's bytes as well, so that frame is left with its CMAC only.
     * Counter blocks nonce || 0^4 || i, i big-endian; frames start on blocks. Nothing here
     * may call into flash. */
    uint32_t pos = j->offset + j->len, blk = (F0B_IMG_CTR_PAYLOAD + pos) >> 4, *w = u->ks;
    if (!u->enc || (pos & 15u))
        return;
    for (; w < u->ks + F0B_DATA_MAX / 4; w += 4, blk++) {
        w[0] = u->ctr0.w[0];
        w[1] = u->ctr0.w[1];
        w[2] = 0;
        w[3] = __builtin_bswap32(blk);
        f0b_aes_encrypt(&u->aes, (uint8_t *)w, (uint8_t *)w);
    }
    u->ks_pos = pos;
    u->ks_len = sizeof u->ks;
}

F0B_RAMFUNC void f0b_sec_data(struct f0b_update *u, uint32_t offset, uint8_t *data, uint32_t len)
{
    if (!u->enc)
        return;
    f0b_cmac_update(&u->mac, data, len); /* encrypt-then-MAC: the MAC is over ciphertext */
    if (offset == u->ks_pos && len <= u->ks_len) {
        const uint8_t *ks = (const uint8_t *)u->ks; /* computed during the last erase */
        for (uint32_t i = 0; i < len; i++)
            data[i] ^= ks[i];
    } else {
        f0b_aes_ctr(&u->aes, u->ctr0.b, F0B_IMG_CTR_PAYLOAD + offset, data, len);
    }
}

uint32_t f0b_sec_expected_crc(const struct f0b_update *u)
{
    return u->enc ? u->plain_crc : f0b_get_le32(u->raw + F0B_IMG_OFF_PAYLOAD_CRC);
}

int f0b_sec_protect(const uint8_t *req, uint32_t n, int *load)
{
    int st;

    *load = 0;
    if (n != 1)
        return F0B_ST_BAD_LEN;
    if (req[0] != 1u)
        return F0B_ST_BAD_ARG;
    if (f0b_hal_rdp_level() >= 1u)
        return F0B_ST_OK;
    st = f0b_hal_rdp_set_level1();
    *load = st == F0B_ST_OK;
    return st;
}

int f0b_sec_end(struct f0b_update *u, const uint8_t *req, uint32_t n, uint32_t *crc)
{
    int st;

    if (u->open && u->enc) {
        u->fresh = 0;
        if (n != F0B_IMG_TAG_LEN)
            return F0B_ST_BAD_LEN;
        if (u->next != f0b_get_le32(u->raw + F0B_IMG_OFF_PAYLOAD_SIZE))
            return F0B_ST_OUT_OF_ORDER;
        if (!u->mac_done) {
            f0b_cmac_final(&u->mac, u->tag);
            u->mac_done = 1;
        }
        if (!f0b_ct_equal(u->tag, req, F0B_IMG_TAG_LEN)) {
            u->open = 0; /* forged or damaged: never committed */
            return F0B_ST_MAC;
        }
    }
    st = f0b_update_end(u, crc);
    if (u->enc)
        *crc = f0b_get_le32(u->raw + F0B_IMG_OFF_PAYLOAD_CRC);
    return st;
}
