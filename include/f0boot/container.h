/*
 * The f0boot image container, format v1: a 64-byte header followed by the payload.
 * Byte-by-byte description: docs/container.md. Shared by host (libimage) and firmware
 * (bootloader core). All fields little-endian; serialise field by field with f0boot/le.h,
 * never by memcpy of the struct.
 *
 *  off size field
 *    0    4 magic          "F0IM" (0x46 0x30 0x49 0x4D)
 *    4    2 hdr_version    1
 *    6    2 hdr_size       64
 *    8    4 flags          F0B_FLAG_*
 *   12    4 load_addr      flash address of payload byte 0 (application region start)
 *   16    4 payload_size   bytes of payload following the header
 *   20    4 payload_crc    zlib crc32() of the payload
 *   24    2 vt_len         vector-table length in bytes (multiple of 4, <= 192)
 *   26    2 part           part code from parts.def (4 = stm32f030xc)
 *   28    1 ver_major
 *   29    1 ver_minor
 *   30    2 ver_patch
 *   32    4 ver_build
 *   36   16 part_name      NUL-padded ASCII, informational ("stm32f030xc")
 *   52    4 init_sp        copy of payload word 0 (initial MSP), checked at BEGIN and END
 *   56    4 reset_vec      copy of payload word 1 (Reset_Handler | 1)
 *   60    4 hdr_crc        zlib crc32() of bytes 0..59
 *
 * Format v2 (hdr_version 2): the same header, encrypted and authenticated with a 128-bit
 * product key K (docs/container.md, docs/security.md). Differences from v1:
 *   20    4 payload_crc    crc32() of the *plaintext* payload, encrypted: XORed with key-stream
 *                          bytes 0..3 (AES-128-CTR, counter block nonce || 0^8, block 0)
 *   36    8 nonce          random per image (from the packer's CSPRNG)
 *   44    8 hdr_mac        the first 8 bytes of AES-CMAC_K(bytes 0..43 || bytes 52..59)
 *                          (no part_name in v2: the part code says it)
 * and the file is header || ciphertext || tag: payload byte i encrypted with key-stream byte
 * 16 + i (blocks 1, 2, ...), tag = AES-CMAC_K(header || ciphertext) (16 bytes, encrypt then
 * MAC). The bootloader checks hdr_mac before it erases anything and the tag (sent with END)
 * before it commits.
 */
#ifndef F0BOOT_CONTAINER_H
#define F0BOOT_CONTAINER_H

#include <stdint.h>
#include "f0boot/le.h"

#define F0B_IMG_MAGIC           0x4D493046u /* bytes "F0IM" (0x46 0x30 0x49 0x4D) read little-endian */
#define F0B_IMG_HDR_VERSION     1u          /* plain */
#define F0B_IMG_HDR_VERSION_ENC 2u          /* encrypted and authenticated (format v2) */
#define F0B_IMG_HDR_SIZE        64u

#define F0B_IMG_OFF_MAGIC        0u
#define F0B_IMG_OFF_HDR_VERSION  4u
#define F0B_IMG_OFF_HDR_SIZE     6u
#define F0B_IMG_OFF_FLAGS        8u
#define F0B_IMG_OFF_LOAD_ADDR    12u
#define F0B_IMG_OFF_PAYLOAD_SIZE 16u
#define F0B_IMG_OFF_PAYLOAD_CRC  20u
#define F0B_IMG_OFF_VT_LEN       24u
#define F0B_IMG_OFF_PART         26u
#define F0B_IMG_OFF_VER_MAJOR    28u
#define F0B_IMG_OFF_VER_MINOR    29u
#define F0B_IMG_OFF_VER_PATCH    30u
#define F0B_IMG_OFF_VER_BUILD    32u
#define F0B_IMG_OFF_PART_NAME    36u
#define F0B_IMG_PART_NAME_LEN    16u
#define F0B_IMG_OFF_INIT_SP      52u
#define F0B_IMG_OFF_RESET_VEC    56u
#define F0B_IMG_OFF_HDR_CRC      60u
/* v2 only (in place of part_name) */
#define F0B_IMG_OFF_NONCE   36u
#define F0B_IMG_NONCE_LEN   8u
#define F0B_IMG_OFF_HDR_MAC 44u
#define F0B_IMG_HDR_MAC_LEN 8u
#define F0B_IMG_TAG_LEN     16u /* v2: the CMAC tag after the ciphertext */
#define F0B_IMG_CTR_PAYLOAD 16u /* v2: key-stream offset of payload byte 0 */

/* flags */
#define F0B_FLAG_VT_LEN_GUESSED (1u << 0) /* input did not say; vt_len is the part's maximum */
#define F0B_FLAG_LINT_FORCED    (1u << 1) /* packed with --force over a lint error */

/* Parsed, host-order view of a header. */
struct f0b_img_hdr {
    uint32_t magic;
    uint16_t hdr_version;
    uint16_t hdr_size;
    uint32_t flags;
    uint32_t load_addr;
    uint32_t payload_size;
    uint32_t payload_crc;
    uint16_t vt_len;
    uint16_t part;
    uint8_t ver_major;
    uint8_t ver_minor;
    uint16_t ver_patch;
    uint32_t ver_build;
    char part_name[F0B_IMG_PART_NAME_LEN + 1]; /* always NUL-terminated; "" in v2 */
    uint8_t nonce[F0B_IMG_NONCE_LEN];          /* v2 */
    uint8_t hdr_mac[F0B_IMG_HDR_MAC_LEN];      /* v2 */
    uint32_t init_sp;
    uint32_t reset_vec;
    uint32_t hdr_crc;
};

_Static_assert(F0B_IMG_OFF_HDR_CRC + 4 == F0B_IMG_HDR_SIZE, "container header is 64 bytes");
_Static_assert(F0B_IMG_OFF_NONCE + F0B_IMG_NONCE_LEN == F0B_IMG_OFF_HDR_MAC &&
                   F0B_IMG_OFF_HDR_MAC + F0B_IMG_HDR_MAC_LEN == F0B_IMG_OFF_INIT_SP,
               "v2: nonce and hdr_mac take part_name's place");
_Static_assert(F0B_IMG_OFF_PART_NAME + F0B_IMG_PART_NAME_LEN == F0B_IMG_OFF_INIT_SP,
               "part_name ends where init_sp starts");

/* Decode a raw header into its host-order view, field by field (no checks). The one decoder
 * for host tools, tests and the core's host builds. */
static inline void f0b_hdr_decode(const uint8_t raw[F0B_IMG_HDR_SIZE], struct f0b_img_hdr *h)
{
    h->magic = f0b_get_le32(raw + F0B_IMG_OFF_MAGIC);
    h->hdr_version = f0b_get_le16(raw + F0B_IMG_OFF_HDR_VERSION);
    h->hdr_size = f0b_get_le16(raw + F0B_IMG_OFF_HDR_SIZE);
    h->flags = f0b_get_le32(raw + F0B_IMG_OFF_FLAGS);
    h->load_addr = f0b_get_le32(raw + F0B_IMG_OFF_LOAD_ADDR);
    h->payload_size = f0b_get_le32(raw + F0B_IMG_OFF_PAYLOAD_SIZE);
    h->payload_crc = f0b_get_le32(raw + F0B_IMG_OFF_PAYLOAD_CRC);
    h->vt_len = f0b_get_le16(raw + F0B_IMG_OFF_VT_LEN);
    h->part = f0b_get_le16(raw + F0B_IMG_OFF_PART);
    h->ver_major = raw[F0B_IMG_OFF_VER_MAJOR];
    h->ver_minor = raw[F0B_IMG_OFF_VER_MINOR];
    h->ver_patch = f0b_get_le16(raw + F0B_IMG_OFF_VER_PATCH);
    h->ver_build = f0b_get_le32(raw + F0B_IMG_OFF_VER_BUILD);
    for (unsigned i = 0; i < F0B_IMG_PART_NAME_LEN; i++)
        h->part_name[i] =
            h->hdr_version == F0B_IMG_HDR_VERSION_ENC ? '\0' : (char)raw[F0B_IMG_OFF_PART_NAME + i];
    h->part_name[F0B_IMG_PART_NAME_LEN] = '\0';
    for (unsigned i = 0; i < F0B_IMG_NONCE_LEN; i++) {
        int enc = h->hdr_version == F0B_IMG_HDR_VERSION_ENC;
        h->nonce[i] = enc ? raw[F0B_IMG_OFF_NONCE + i] : 0u;
        h->hdr_mac[i] = enc ? raw[F0B_IMG_OFF_HDR_MAC + i] : 0u;
    }
    h->init_sp = f0b_get_le32(raw + F0B_IMG_OFF_INIT_SP);
    h->reset_vec = f0b_get_le32(raw + F0B_IMG_OFF_RESET_VEC);
    h->hdr_crc = f0b_get_le32(raw + F0B_IMG_OFF_HDR_CRC);
}

#endif
