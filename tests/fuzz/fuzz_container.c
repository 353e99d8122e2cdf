/*
 * libFuzzer target: the container check (f0b_container_verify), which `f0boot info` and
 * `f0boot flash` run on a file before trusting a byte of it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "f0boot/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void breach(const char *what)
{
    fprintf(stderr, "fuzz_container: INVARIANT BROKEN: %s\n", what);
    abort();
}

/* Verify one buffer and check what an acceptance promises. */
static void check(const uint8_t *data, size_t size)
{
    struct f0b_img_hdr h;
    struct f0b_container_check chk;
    struct f0b_img_error err;

    memset(&chk, 0xA5, sizeof chk); /* what the check does not fill stays visible */
    int rc = f0b_container_verify(data, size, &h, &chk, &err);
    if (rc != F0B_IMG_OK && (err.code != rc || memchr(err.detail, '\0', sizeof err.detail) == NULL))
        breach("error code returned and reported differ, or the message is not terminated");
    if (rc != F0B_IMG_OK)
        return;
    /* Accepted: it is a whole container whose CRCs hold, as computed here. An encrypted one
     * (format v2) ends in a 16-byte tag, and its payload CRC needs the key: not checked. */
    int enc = h.hdr_version == F0B_IMG_HDR_VERSION_ENC;
    if (size < F0B_IMG_HDR_SIZE || !chk.have_hdr || !chk.hdr_crc_ok ||
        (!enc && !chk.payload_crc_ok) || enc != chk.encrypted)
        breach("accepted without a header or with a CRC flagged wrong");
    if (size - F0B_IMG_HDR_SIZE != (uint64_t)h.payload_size + (enc ? F0B_IMG_TAG_LEN : 0u))
        breach("accepted with a length that differs from payload_size");
    if ((uint32_t)crc32(0L, data, F0B_IMG_OFF_HDR_CRC) != h.hdr_crc ||
        (!enc &&
         (uint32_t)crc32(0L, data + F0B_IMG_HDR_SIZE, (uInt)h.payload_size) != h.payload_crc))
        breach("accepted although a CRC does not match");
}

/* The input as it is, then (when it has a header) with payload_size, payload_crc and hdr_crc
 * made consistent, so mutations reach the field checks behind the CRCs. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check(data, size);
    if (size < F0B_IMG_HDR_SIZE || size - F0B_IMG_HDR_SIZE > 1u << 20)
        return 0;
    uint8_t *fixed = malloc(size);
    if (fixed == NULL)
        return 0;
    memcpy(fixed, data, size);
    uint32_t plen = (uint32_t)(size - F0B_IMG_HDR_SIZE);
    f0b_put_le32(fixed + F0B_IMG_OFF_PAYLOAD_SIZE, plen);
    f0b_put_le32(fixed + F0B_IMG_OFF_PAYLOAD_CRC,
                 (uint32_t)crc32(0L, fixed + F0B_IMG_HDR_SIZE, (uInt)plen));
    f0b_put_le32(fixed + F0B_IMG_OFF_HDR_CRC, (uint32_t)crc32(0L, fixed, F0B_IMG_OFF_HDR_CRC));
    check(fixed, size);
    free(fixed);
    return 0;
}
