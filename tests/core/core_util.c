#include "core_util.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "f0boot/layout.h"
#include "f0boot/le.h"

void test_hdr_fix_crc(uint8_t hdr[F0B_IMG_HDR_SIZE])
{
    f0b_put_le32(hdr + F0B_IMG_OFF_HDR_CRC, (uint32_t)crc32(0L, hdr, F0B_IMG_OFF_HDR_CRC));
}

void test_img_make(struct test_img *img, const struct f0b_layout *l, uint32_t size, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 1u;

    img->size = size;
    img->payload = malloc(size);
    if (img->payload == NULL)
        abort();
    for (uint32_t i = 0; i < size; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        img->payload[i] = (uint8_t)x;
    }
    uint32_t sp = l->sram_start + l->sram_size;
    uint32_t rv = (l->app_start + 0xC0u) | 1u;
    f0b_put_le32(img->payload, sp);
    f0b_put_le32(img->payload + 4, rv);

    uint8_t *h = img->hdr;
    memset(h, 0, F0B_IMG_HDR_SIZE);
    f0b_put_le32(h + F0B_IMG_OFF_MAGIC, F0B_IMG_MAGIC);
    f0b_put_le16(h + F0B_IMG_OFF_HDR_VERSION, F0B_IMG_HDR_VERSION);
    f0b_put_le16(h + F0B_IMG_OFF_HDR_SIZE, F0B_IMG_HDR_SIZE);
    f0b_put_le32(h + F0B_IMG_OFF_LOAD_ADDR, l->app_start);
    f0b_put_le32(h + F0B_IMG_OFF_PAYLOAD_SIZE, size);
    f0b_put_le32(h + F0B_IMG_OFF_PAYLOAD_CRC, (uint32_t)crc32(0L, img->payload, size));
    f0b_put_le16(h + F0B_IMG_OFF_VT_LEN, 188);
    f0b_put_le16(h + F0B_IMG_OFF_PART, l->part);
    h[F0B_IMG_OFF_VER_MAJOR] = (uint8_t)seed;
    memcpy(h + F0B_IMG_OFF_PART_NAME, "test", 4);
    f0b_put_le32(h + F0B_IMG_OFF_INIT_SP, sp);
    f0b_put_le32(h + F0B_IMG_OFF_RESET_VEC, rv);
    test_hdr_fix_crc(h);
}

void test_img_free(struct test_img *img)
{
    free(img->payload);
    img->payload = NULL;
}

int test_update_all(const struct f0b_layout *l, const struct test_img *img, uint32_t chunk)
{
    struct f0b_update u;
    uint32_t crc = 0;
    int st;

    f0b_update_init(&u, l);
    st = f0b_update_begin(&u, img->hdr);
    for (uint32_t off = 0; st == F0B_ST_OK && off < img->size; off += chunk) {
        uint32_t n = img->size - off < chunk ? img->size - off : chunk;
        st = f0b_update_write(&u, off, img->payload + off, n, 0);
    }
    if (st == F0B_ST_OK)
        st = f0b_update_end(&u, &crc);
    return st;
}
