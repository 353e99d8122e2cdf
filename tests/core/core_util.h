/* Helpers shared by the core tests: build images and headers the way `f0boot pack` does. */
#ifndef F0B_TEST_CORE_UTIL_H
#define F0B_TEST_CORE_UTIL_H

#include <stdint.h>
#include "f0b_core.h"

struct test_img {
    uint8_t hdr[F0B_IMG_HDR_SIZE];
    uint8_t *payload;
    uint32_t size;
};

/* A payload of size bytes (>= 192) for layout l: word 0 = top of SRAM, word 1 = a Thumb
 * reset vector inside the payload, the rest pseudo-random from seed; and its valid header. */
void test_img_make(struct test_img *img, const struct f0b_layout *l, uint32_t size, uint32_t seed);
void test_img_free(struct test_img *img);

/* Recompute the header crc after a test changed a field. */
void test_hdr_fix_crc(uint8_t hdr[F0B_IMG_HDR_SIZE]);

/* Run a whole update (BEGIN, DATA in chunk-byte frames, END); returns the first non-OK
 * status, or F0B_ST_OK. */
int test_update_all(const struct f0b_layout *l, const struct test_img *img, uint32_t chunk);

#endif
