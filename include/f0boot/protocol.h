/*
 * The f0boot wire protocol, version 2.0: one definition for host and bootloader.
 * Byte-by-byte description and rationale: docs/protocol.md.
 *
 * Line: 8N1, starts at 115200 baud; BAUD switches it.
 *
 * Framing: every frame is COBS-encoded and followed by one 0x00 delimiter, so 0x00 never
 * occurs inside a frame and a receiver resynchronises after garbage by discarding up to
 * the next 0x00. The decoded frame is
 *
 *     type u8 | seq u8 | payload (0..F0B_MAX_PAYLOAD) | crc u32 LE
 *
 * where crc is the frame check over type, seq and payload: CRC-32/MPEG-2 (polynomial
 * 0x04C11DB7, init 0xFFFFFFFF, bits not reflected, no final XOR; the F0 CRC unit with
 * REV_IN = REV_OUT = 0), except for INFO requests and responses (types 0x01 and 0x81), which
 * keep zlib crc32() for all versions so that any host and any device can tell each other
 * their versions (F0B_FRAME_CRC_IS_ZLIB). Payload and header checks (END, CRC, the
 * container) are zlib crc32(): a different function, so damage that one check cannot see
 * the other does (see docs/protocol.md, "What the checks guarantee").
 * A decoded frame shorter than 6 bytes, longer than F0B_MAX_FRAME, or with a wrong crc is
 * dropped; the device answers it with a NAK frame carrying F0B_ST_BAD_FRAME, except while
 * a gap in DATA is already reported (one NAK per gap, see DATA).
 *
 * Requests (host -> device) use the types below. Every request gets exactly one response
 * (device -> host) of type (request | F0B_RESP), the same seq, and payload
 *     status u8 | result...
 * except that a device never answers a DATA frame that arrives after it has reported a gap
 * until the gap is filled (see DATA). INFO comes first: until a valid INFO of the device's
 * major has arrived, every other request is answered F0B_ST_BAD_STATE.
 *
 * Versioning: the framing of INFO (COBS, zlib crc32) and the first two bytes of INFO
 * request and INFO response (protocol major, minor) are frozen for all versions. A peer whose major differs must
 * stop and say so; a newer minor only adds commands, INFO fields at the end, and feature
 * bits. An unknown request type is answered with F0B_ST_UNKNOWN_CMD; a frame whose type
 * has bit 7 set (a response type, 0x80..0xFF) is no request and is answered UNKNOWN_CMD
 * with type 0x80, so no response is ever of type 0xFF (F0B_T_NAK).
 */
#ifndef F0BOOT_PROTOCOL_H
#define F0BOOT_PROTOCOL_H

#include <stdint.h>

/* 2.0: frames other than INFO carry CRC-32/MPEG-2 (1.x: zlib crc32); INFO reports the idle
 * timeout. 2.1: ERASE (the boot record) and F0B_FEAT_ERASE. 2.2: the secure bootloader
 * (encrypted images): feature bits F0B_FEAT_ENCRYPTED, _PLAIN_OK, _DOWNGRADE, _PROTECT, END
 * carries the tag of an encrypted image, PROTECT, statuses F0B_ST_DENIED, F0B_ST_HDR_MAC,
 * _HDR_PLAIN, _ROLLBACK and F0B_ST_MAC. */
#define F0B_PROTO_MAJOR 2u
#define F0B_PROTO_MINOR 2u

#define F0B_FRAME_DELIM    0x00u
#define F0B_FRAME_OVERHEAD 6u    /* type, seq, crc32 */
#define F0B_DATA_MAX       1024u /* largest data chunk in one DATA frame */
#define F0B_DATA_HDR       6u    /* DATA payload: offset u32, flags u8, reserved u8 */
#define F0B_MAX_PAYLOAD    (F0B_DATA_HDR + F0B_DATA_MAX)
#define F0B_MAX_FRAME      (F0B_FRAME_OVERHEAD + F0B_MAX_PAYLOAD)
/* COBS adds one byte per 254 (and one at the start); plus the delimiter. */
#define F0B_MAX_ENCODED (F0B_MAX_FRAME + (F0B_MAX_FRAME / 254u) + 2u)

#define F0B_RESP 0x80u /* response type = request type | F0B_RESP */

/* 1 if a frame of this type (request or response) carries zlib crc32 (INFO, frozen), 0 if
 * CRC-32/MPEG-2 (every other frame, NAK included). */
#define F0B_FRAME_CRC_IS_ZLIB(type) (((type)&0x7Fu) == 0x01u)

/* Request types. Payload layouts (after type and seq) are given for request -> response. */
enum f0b_cmd {
    /* INFO: host_major u8, host_minor u8 -> status, struct described at F0B_INFO_*.
     * Also the greeting that keeps a device in the bootloader during its boot window. */
    F0B_CMD_INFO = 0x01,
    /* BEGIN: container header (64 bytes), exactly as in the image -> status.
     * Validates the header (see F0B_ST_HDR_*), invalidates the boot record (erases the
     * record page) and writes the new header into it, uncommitted. Application pages are
     * not erased here: each is erased when DATA first writes into it. A BEGIN with the open
     * session's header right after its BEGIN (nothing in between: a resend) is answered OK
     * again without touching the flash; any other BEGIN starts over (record erased, next 0,
     * pages erased again on first touch). */
    F0B_CMD_BEGIN = 0x02,
    /* DATA: offset u32 (into the payload), flags u8 (F0B_DATA_SEEK), reserved u8 (0),
     * data (1..max_data bytes, even length unless it ends the payload)
     * -> status, next u32 (the payload offset the device expects next).
     * offset == next: erase the page(s) first touched, program, answer OK.
     * offset <  next: a repeat; answer OK without writing.
     * offset >  next: with F0B_DATA_SEEK and a page-aligned flash address, the bytes in
     *   between are kept as they are (the host checked them with CRC); otherwise answer
     *   F0B_ST_OUT_OF_ORDER once and drop further DATA silently until offset == next.
     *   A NAK for a damaged frame during a session reports a gap the same way: after
     *   either, damaged frames and DATA beyond next are dropped without an answer.
     * The answer is sent only after the data is programmed, so an answered frame is in
     * flash and its buffer space is free again. */
    F0B_CMD_DATA = 0x03,
    /* END: (empty) -> status, crc u32 (read back from flash through the CRC unit).
     * Compares the read-back CRC of the payload range with the header's payload_crc and
     * the first two payload words with init_sp/reset_vec; only if they match programs the
     * commit word. Repeating END after a commit answers OK again.
     * Encrypted image (secure bootloader): END carries the 16-byte tag of the container;
     * all of the ciphertext must have arrived (else F0B_ST_OUT_OF_ORDER), the tag must equal
     * the CMAC the device computed over header and ciphertext (else F0B_ST_MAC, session
     * closed, nothing committed), and the read-back CRC must equal the decrypted
     * payload_crc. The crc answered is the header's payload_crc field as sent (encrypted):
     * the plaintext's CRC never goes on the line. */
    F0B_CMD_END = 0x04,
    /* BOOT: (empty) -> status. OK: the device starts the committed application once the
     * response has left the line. F0B_ST_NO_APP if there is none. */
    F0B_CMD_BOOT = 0x05,
    /* CRC: addr u32, len u32, chunk u32 -> status, crc u32 * n. The secure bootloader
     * answers F0B_ST_DENIED (CRCs of short ranges would read the flash out).
     * chunk 0: one crc32 of [addr, addr+len). Otherwise one crc32 per chunk (the last
     * may be shorter); n <= F0B_CRC_MAX_CHUNKS. The range must lie in flash. */
    F0B_CMD_CRC = 0x06,
    /* BAUD: baud u32 -> status. After the OK has left the line the device switches and
     * waits F0B_BAUD_CONFIRM_MS for any valid frame at the new rate (the host sends INFO);
     * if none arrives it returns to the old rate. The host does the same on its side. */
    F0B_CMD_BAUD = 0x07,
    /* RESET: (empty) -> status, then a system reset once the response has left. */
    F0B_CMD_RESET = 0x08,
    /* ERASE (2.1, F0B_FEAT_ERASE): (empty) -> status. Erases the boot record page: the
     * application is invalidated (INFO app_state none) and the device stays in its
     * bootloader at every reset until an update commits a new one. Application pages are
     * left as they are. Closes an open update session. */
    F0B_CMD_ERASE = 0x09,
    /* PROTECT (2.2): level u8 (1) -> status. Secure bootloader only (F0B_FEAT_PROTECT; others answer
     * F0B_ST_UNKNOWN_CMD): sets read-out protection level 1 in the option bytes (the user and
     * write-protection bytes kept) and, once the OK has left, loads them (OBL_LAUNCH: a
     * system reset). Already at level 1: OK, nothing changed, no reset. Level 2 is never
     * set (F0B_ST_BAD_ARG): it is irreversible. */
    F0B_CMD_PROTECT = 0x0A,
};

#define F0B_T_NAK 0xFFu /* unsolicited: status u8, next u32; seq 0 */

#define F0B_DATA_SEEK 0x01u /* DATA flags */

#define F0B_CRC_MAX_CHUNKS  256u
#define F0B_BAUD_CONFIRM_MS 500u

/* Status codes (first payload byte of every response). */
enum f0b_status {
    F0B_ST_OK = 0x00,
    F0B_ST_BAD_FRAME = 0x01, /* crc, length or COBS error */
    F0B_ST_UNKNOWN_CMD = 0x02,
    F0B_ST_BAD_LEN = 0x03,      /* payload length wrong for the command */
    F0B_ST_BAD_STATE = 0x04,    /* DATA/END without an open session */
    F0B_ST_OUT_OF_ORDER = 0x05, /* DATA beyond `next` without SEEK */
    F0B_ST_NO_APP = 0x06,       /* BOOT with no committed, valid application */
    F0B_ST_BAD_ARG = 0x07,      /* CRC range outside flash, unsupported baud, ... */
    F0B_ST_VERSION = 0x08,      /* host protocol major not supported */
    F0B_ST_DENIED = 0x09,       /* secure bootloader: request not served (CRC reads) */

    F0B_ST_HDR_MAGIC = 0x10,   /* not an f0boot container */
    F0B_ST_HDR_VERSION = 0x11, /* hdr_version or hdr_size not understood */
    F0B_ST_HDR_CRC = 0x12,     /* header crc wrong */
    F0B_ST_HDR_ADDR = 0x13,    /* load_addr is not the application region start */
    F0B_ST_HDR_SIZE = 0x14,    /* payload empty or larger than the region */
    F0B_ST_HDR_VT_LEN = 0x15,  /* vt_len not a multiple of 4, < 8 or > 192 */
    F0B_ST_HDR_PART = 0x16,    /* built for another part */
    F0B_ST_HDR_SP = 0x17,      /* initial SP not in SRAM or not 4-aligned */
    F0B_ST_HDR_RESET = 0x18,   /* reset vector without Thumb bit or outside payload */
    F0B_ST_HDR_MAC = 0x19,     /* encrypted image whose header MAC does not verify under
                                     * the device's key: another product's key, or altered */
    F0B_ST_HDR_PLAIN = 0x1A,   /* plain image refused by a secure bootloader */
    F0B_ST_ROLLBACK = 0x1B,    /* image version lower than the installed one */

    F0B_ST_FLASH_ERASE = 0x20,     /* PGERR during erase, or erased page not blank */
    F0B_ST_FLASH_PROGRAM = 0x21,   /* PGERR, or read-back differs after programming */
    F0B_ST_FLASH_PROTECTED = 0x22, /* WRPRTERR */
    F0B_ST_FLASH_TIMEOUT = 0x23,   /* BSY did not clear in time */
    F0B_ST_VERIFY = 0x24,          /* read-back crc differs from payload_crc */
    F0B_ST_MAC = 0x25,             /* tag over header and ciphertext wrong: not committed */
};

/* INFO response, after the status byte. All little-endian. */
#define F0B_INFO_PROTO_MAJOR 0u  /* u8 */
#define F0B_INFO_PROTO_MINOR 1u  /* u8 */
#define F0B_INFO_BL_MAJOR    2u  /* u8  bootloader version */
#define F0B_INFO_BL_MINOR    3u  /* u8 */
#define F0B_INFO_BL_PATCH    4u  /* u16 */
#define F0B_INFO_CHIP_ID     6u  /* u16 DBGMCU_IDCODE.DEV_ID */
#define F0B_INFO_PART        8u  /* u16 part code (parts.def) */
#define F0B_INFO_PAGE_SIZE   10u /* u16 */
#define F0B_INFO_FLASH_SIZE  12u /* u32 bytes */
#define F0B_INFO_APP_START   16u /* u32 */
#define F0B_INFO_APP_SIZE    20u /* u32 bytes available to the payload */
#define F0B_INFO_MAX_DATA    24u /* u16 data bytes per DATA frame */
#define F0B_INFO_WINDOW      26u /* u8  DATA frames the host may have unanswered */
#define F0B_INFO_APP_STATE   27u /* u8  enum f0b_app_state */
#define F0B_INFO_FEATURES    28u /* u32 F0B_FEAT_* */
#define F0B_INFO_MAX_BAUD    32u /* u32 */
#define F0B_INFO_STAY_REASON 36u /* u8  enum f0b_stay_reason: why the bootloader runs */
#define F0B_INFO_RESERVED    37u /* 1 byte, 0 */
#define F0B_INFO_IDLE_MS \
    38u                     /* u16 ms of silence after which a greeted bootloader
                                     * starts a valid committed application (0: never) */
#define F0B_INFO_RECORD 40u /* 64 bytes: header in the boot record (0xFF if none) */
#define F0B_INFO_SIZE   104u

#define F0B_FEAT_BAUD      (1u << 0)
#define F0B_FEAT_CRC       (1u << 1)
#define F0B_FEAT_SEEK      (1u << 2)
#define F0B_FEAT_RESET     (1u << 3)
#define F0B_FEAT_ERASE     (1u << 7) /* ERASE (2.1) */
#define F0B_FEAT_ENCRYPTED (1u << 4) /* secure build: takes encrypted images (format v2) */
#define F0B_FEAT_PLAIN_OK  (1u << 5) /* secure build that also takes plain images */
#define F0B_FEAT_DOWNGRADE (1u << 6) /* secure build that takes older versions */
#define F0B_FEAT_PROTECT   (1u << 8) /* PROTECT: read-out protection level 1 on request */

enum f0b_app_state {
    F0B_APP_NONE = 0,        /* boot record erased or unreadable */
    F0B_APP_UNCOMMITTED = 1, /* header written, commit word missing: update cut short */
    F0B_APP_VALID = 2,       /* committed and its vectors check out */
    F0B_APP_BAD = 3,         /* committed, but header or vectors fail the checks */
};

enum f0b_stay_reason {
    F0B_STAY_NO_APP = 0,   /* no valid committed application */
    F0B_STAY_REQUEST = 1,  /* the application asked for an update */
    F0B_STAY_GREETING = 2, /* a host greeted during the boot window */
};

#endif
