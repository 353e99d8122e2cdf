/*
 * The secure bootloader's part of the update engine (build option F0B_SECURE, with the
 * product key compiled in from F0B_KEY_FILE): encrypted images (container format v2,
 * include/f0boot/container.h) are authenticated and decrypted as they are written, and
 * committed only when the CMAC over header and ciphertext verifies (docs/security.md).
 * Called by update.c and proto.c at BEGIN, DATA and END; nothing here touches the flash.
 *
 * Build options (0/1): F0B_ACCEPT_PLAIN also takes plain (v1) images; F0B_ALLOW_DOWNGRADE
 * takes an image whose version is lower than the installed one.
 */
#ifndef F0B_SECURE_H
#define F0B_SECURE_H

#include <stdint.h>
#include "f0b_core.h"

#ifndef F0B_ACCEPT_PLAIN
#define F0B_ACCEPT_PLAIN 0
#endif
#ifndef F0B_ALLOW_DOWNGRADE
#define F0B_ALLOW_DOWNGRADE 0
#endif

/* At BEGIN, after the header rules passed and before anything is erased: a plain image is
 * refused (F0B_ST_HDR_PLAIN) unless F0B_ACCEPT_PLAIN; an encrypted one must carry a header
 * MAC that verifies under the product key (F0B_ST_HDR_MAC); either must not be older than
 * the version in the boot record (F0B_ST_ROLLBACK, unless F0B_ALLOW_DOWNGRADE). On F0B_ST_OK
 * the session is keyed: the payload CRC decrypted, the CMAC started over the header. */
int f0b_sec_begin(struct f0b_update *u, const uint8_t raw[F0B_IMG_HDR_SIZE]);

/* At DATA, for the len new bytes at payload offset offset (in order, each byte once):
 * append the ciphertext to the CMAC, then decrypt it in place. Nothing for a plain image. */
F0B_RAMFUNC void f0b_sec_data(struct f0b_update *u, uint32_t offset, uint8_t *data, uint32_t len);

/* f0b_sec_data() as a job for f0b_hal_flash_erase_with(): ctx is a struct f0b_sec_job. */
struct f0b_sec_job {
    struct f0b_update *u;
    uint32_t offset, len;
    uint8_t *data;
};
F0B_RAMFUNC void f0b_sec_data_job(void *ctx);

/* The CRC the payload in flash must have: the decrypted payload_crc of an encrypted image,
 * the header's of a plain one. */
uint32_t f0b_sec_expected_crc(const struct f0b_update *u);

/* END with request payload req (n bytes): an encrypted image needs all of its ciphertext
 * (else F0B_ST_OUT_OF_ORDER) and req = the 16-byte tag (else F0B_ST_BAD_LEN); a tag that
 * differs from the CMAC computed over header and ciphertext closes the session with
 * F0B_ST_MAC and nothing committed. Then f0b_update_end(): read-back CRC, vectors, commit.
 * *crc is the header's (encrypted) payload_crc for an encrypted image: the CRC of the
 * plaintext in flash never goes on the line. */
int f0b_sec_end(struct f0b_update *u, const uint8_t *req, uint32_t n, uint32_t *crc);

/* PROTECT with request payload req (n bytes): level 1 only (F0B_ST_BAD_LEN, F0B_ST_BAD_ARG:
 * level 2 is irreversible and never set). Already protected: F0B_ST_OK, *load 0. Otherwise
 * the port programs level 1 and *load is 1: the option bytes are to be loaded (a reset)
 * once the answer has left. */
int f0b_sec_protect(const uint8_t *req, uint32_t n, int *load);

#endif
