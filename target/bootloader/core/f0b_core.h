/*
 * The portable bootloader core: boot decision, header validation and the update engine
 * (boot.c, update.c), and the protocol engine that drives them over the line (proto.c,
 * frame.c). Compiled for the STM32F0 and, in tests, for the host against a fake flash.
 */
#ifndef F0B_CORE_H
#define F0B_CORE_H

#include <stdint.h>
#include "f0boot/container.h"
#include "f0boot/protocol.h"

/* Build option: the secure bootloader (secure.h), 0 for the plain one. */
#ifndef F0B_SECURE
#define F0B_SECURE 0
#endif
#if F0B_SECURE
#include "aes.h"
#include "cmac.h"
#endif

/* Where things are on this device; filled from parts.def by f0b_layout_init(). */
struct f0b_layout {
    uint16_t part; /* part code */
    uint16_t page_size;
    uint32_t flash_size;
    uint32_t app_start;   /* F0B_APP_START */
    uint32_t app_size;    /* up to the record page */
    uint32_t record_addr; /* last flash page */
    uint32_t sram_start;
    uint32_t sram_size;
};

/* F0B_ST_OK, or F0B_ST_HDR_PART for an unknown part code. */
int f0b_layout_init(struct f0b_layout *l, uint16_t part);

/* --- boot.c ---------------------------------------------------------------------- */

/* (Decoding a raw header into struct f0b_img_hdr: f0b_hdr_decode() in f0boot/container.h.) */

/* Every rule a header must pass before a single byte is erased: F0B_ST_OK or the
 * F0B_ST_HDR_* code of the first rule that fails. */
int f0b_hdr_validate(const struct f0b_layout *l, const uint8_t raw[F0B_IMG_HDR_SIZE]);

/* State of the boot record (enum f0b_app_state). F0B_APP_VALID only if the record's
 * header validates, the commit word is F0B_COMMIT_MAGIC and the payload's first two
 * words equal init_sp/reset_vec. */
int f0b_app_state(const struct f0b_layout *l);

/* 1 if the payload in flash starts with the init_sp and reset vector hdr promises: the two
 * words the jump to the application reads. */
int f0b_app_vectors_ok(const struct f0b_layout *l, const uint8_t hdr[F0B_IMG_HDR_SIZE]);

/* What to do at reset (f0b_boot_decide()). */
enum f0b_boot_action {
    F0B_BOOT_START = 0,  /* start the application at once */
    F0B_BOOT_WINDOW = 1, /* serve; start the application unless a host greets in the window */
    F0B_BOOT_STAY = 2,   /* serve: no valid application, or the application asked to stay */
};

/* The boot decision, made once at reset: the application asked for an update (the port's
 * f0b_hal_take_update_request()) -> F0B_BOOT_STAY, reason F0B_STAY_REQUEST; no valid
 * committed application -> F0B_BOOT_STAY, F0B_STAY_NO_APP; otherwise F0B_BOOT_WINDOW with
 * a boot window (window_ms > 0) or F0B_BOOT_START without, reason F0B_STAY_GREETING (what
 * INFO says if a host greets in the window). *reason is set in every case. What happens
 * while serving (window, idle timeout) is f0b_proto_run()'s. */
int f0b_boot_decide(const struct f0b_layout *l, int update_request, uint32_t window_ms,
                    uint8_t *reason);

/* --- update.c -------------------------------------------------------------------- */

struct f0b_update {
    const struct f0b_layout *l;
    uint8_t raw[F0B_IMG_HDR_SIZE]; /* header of the open session (fields read from it) */
    uint32_t next;                 /* payload offset expected next */
    uint32_t erased_end;           /* flash address below which this session erased */
    uint8_t open;                  /* a BEGIN was accepted */
    uint8_t committed;             /* END succeeded */
    uint8_t fresh;                 /* nothing but BEGIN yet: a same BEGIN is a resend */
#if F0B_SECURE
    uint8_t enc;        /* the session's image is encrypted (format v2) */
    uint8_t mac_done;   /* the tag over header and ciphertext is computed */
    uint32_t plain_crc; /* payload_crc, decrypted */
    union {
        uint8_t b[F0B_AES_BLOCK]; /* counter block 0: nonce || 0 */
        uint32_t w[4];
    } ctr0;
    uint8_t tag[F0B_AES_BLOCK];
    struct f0b_cmac mac;           /* over header and ciphertext, as it arrives */
    struct f0b_aes aes;            /* the product key, expanded */
    uint32_t ks_pos, ks_len;       /* ks: key stream for payload bytes [ks_pos, +ks_len) */
    uint32_t ks[F0B_DATA_MAX / 4]; /* computed while a page erased (secure.c) */
#endif
};

void f0b_update_init(struct f0b_update *u, const struct f0b_layout *l);

/* Validate, invalidate the old record (erase the record page), write the new header
 * uncommitted, next = 0. A resend (the same header, with no DATA or END since the BEGIN that
 * opened the session): F0B_ST_OK, nothing touched. Any other BEGIN starts over. Returns
 * F0B_ST_OK, the F0B_ST_HDR_* of f0b_hdr_validate() (nothing erased) or a flash status. */
int f0b_update_begin(struct f0b_update *u, const uint8_t raw[F0B_IMG_HDR_SIZE]);

/* Write payload bytes at offset: offset must equal u->next, or with seek be greater and
 * land on a page boundary (never in the secure build: the MAC needs every byte). Erases each
 * page on first touch. F0B_ST_OUT_OF_ORDER, F0B_ST_BAD_STATE, F0B_ST_BAD_LEN (past the
 * payload), or a flash status. The secure build decrypts the new bytes in place in data. */
int f0b_update_write(struct f0b_update *u, uint32_t offset, uint8_t *data, uint32_t len, int seek);

/* Read back the payload through the CRC unit; on a match with the header (and the
 * first two words with init_sp/reset_vec), program the commit word. *crc gets the
 * computed value. F0B_ST_VERIFY on a mismatch. */
int f0b_update_end(struct f0b_update *u, uint32_t *crc);

/* --- proto.c --------------------------------------------------------------------- */

/* Serve the protocol until the host says BOOT (the application is started) or RESET, or the
 * line falls silent: with window_ms > 0 (the boot window, F0B_BOOT_WINDOW) a valid committed
 * application is started if no host greets within window_ms; once greeted, or from the start
 * with window_ms == 0, it is started after F0B_IDLE_TIMEOUT_MS without a valid frame (see
 * proto.h). Without a valid committed application (none, or an update in progress) the
 * bootloader keeps serving. stay_reason is reported in INFO (F0B_STAY_GREETING with a
 * window). Never returns. */
_Noreturn void f0b_proto_run(const struct f0b_layout *l, uint32_t window_ms, uint8_t stay_reason);

#endif
