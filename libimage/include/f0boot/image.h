/*
 * libimage (link target `f0image`): firmware images for f0boot.
 *
 *   input buffer --f0b_image_read()--> struct f0b_image (sorted, non-overlapping segments)
 *                --f0b_lint_run()----> findings (ids, severity, the fix)
 *                --f0b_container_build()--> 64-byte header + flat payload (gaps = 0xFF)
 *   container    --f0b_container_verify()--> header fields, both CRCs checked
 *
 * Conventions
 * - Every function that can fail returns an enum f0b_img_err: F0B_IMG_OK (0) or a negative
 *   code. f0b_image_strerror() gives the generic text for a code; when the caller passes a
 *   struct f0b_img_error, it also gets the line / byte offset and a message that says what
 *   is wrong and what to do. Pass NULL if not interested.
 * - Nothing here prints, reads files or exits: parsers take buffers. Memory that a function
 *   returns is owned by the caller (free() or f0b_image_free()).
 * - Addresses are 32-bit; a range is written [start, end) in the code and "start-last"
 *   (inclusive) in messages.
 */
#ifndef F0BOOT_IMAGE_H
#define F0BOOT_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "f0boot/container.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ----------------------------------------------------------------------- */

enum f0b_img_err {
    F0B_IMG_OK = 0,
    F0B_IMG_ENOMEM = -1,            /* out of memory */
    F0B_IMG_EARG = -2,              /* bad argument from the caller (a bug) */
    F0B_IMG_EEMPTY = -3,            /* input is empty */
    F0B_IMG_EFORMAT = -4,           /* not ELF, Intel HEX, or (with an address) raw binary */
    F0B_IMG_ENODATA = -5,           /* valid input but no bytes to program */
    F0B_IMG_EWRAP = -6,             /* addresses run past 0xFFFFFFFF */
    F0B_IMG_EOVERLAP = -7,          /* two pieces of data claim the same address */
    F0B_IMG_ETOO_BIG = -8,          /* flattened image larger than F0B_IMG_SPAN_MAX */
    F0B_IMG_EHEX_SYNTAX = -10,      /* not a well-formed record (':', hex digits, length) */
    F0B_IMG_EHEX_CHECKSUM = -11,    /* record checksum wrong */
    F0B_IMG_EHEX_TYPE = -12,        /* record type not 00-05 */
    F0B_IMG_EHEX_RECORD = -13,      /* record of a known type with a wrong length */
    F0B_IMG_EHEX_NO_EOF = -14,      /* no end-of-file record (type 01) */
    F0B_IMG_EHEX_AFTER_EOF = -15,   /* records after the end-of-file record */
    F0B_IMG_EELF = -20,             /* malformed or truncated ELF */
    F0B_IMG_EELF_CLASS = -21,       /* 64-bit ELF */
    F0B_IMG_EELF_ENDIAN = -22,      /* big-endian ELF */
    F0B_IMG_EELF_MACHINE = -23,     /* not an ARM ELF */
    F0B_IMG_EELF_TYPE = -24,        /* not an executable (e.g. an object file) */
    F0B_IMG_ECNT_SHORT = -30,       /* container shorter than its header */
    F0B_IMG_ECNT_MAGIC = -31,       /* not a container (magic) */
    F0B_IMG_ECNT_VERSION = -32,     /* header version / size not understood */
    F0B_IMG_ECNT_HDR_CRC = -33,     /* header CRC mismatch */
    F0B_IMG_ECNT_SIZE = -34,        /* file length does not match payload_size */
    F0B_IMG_ECNT_PAYLOAD_CRC = -35, /* payload CRC mismatch */
    F0B_IMG_ECNT_FIELD = -36,       /* a header field is invalid or inconsistent */
    F0B_IMG_ECNT_MAC = -37,         /* v2: header MAC or tag wrong (another key, or altered) */
    F0B_IMG_EPART = -40,            /* unknown part */
    F0B_IMG_EVERSION = -41,         /* version string not X.Y.Z[+B] */
    F0B_IMG_EKEY = -42,             /* key file is not 32 hex digits */
    F0B_IMG_ERANDOM = -43,          /* the system's random source failed */
};

/* Caller-owned error report. */
struct f0b_img_error {
    int code;         /* enum f0b_img_err */
    long line;        /* 1-based Intel HEX line, 0 if not applicable */
    long offset;      /* byte offset in the input, -1 if not applicable */
    char detail[320]; /* full message: where, what is wrong, what to do */
};

/* Generic text for a code ("record checksum wrong"); never NULL. */
const char *f0b_image_strerror(int code);

/* ---- parts (include/f0boot/parts.def) ----------------------------------------------- */

struct f0b_part {
    uint16_t code;    /* container `part` field */
    const char *name; /* "stm32f030xc" */
    uint16_t chip_id; /* DBGMCU_IDCODE.DEV_ID */
    uint16_t flash_kb;
    uint16_t page; /* flash page size in bytes */
    uint16_t sram_kb;
    uint16_t vt_bytes; /* vector-table length of the part */
};

/* NULL if unknown. Name comparison ignores case. */
const struct f0b_part *f0b_part_by_name(const char *name);
const struct f0b_part *f0b_part_by_code(uint16_t code);
/* Table access for listings: i = 0..f0b_part_count()-1. */
size_t f0b_part_count(void);
const struct f0b_part *f0b_part_at(size_t i);

/* Derived layout (include/f0boot/layout.h). */
uint32_t f0b_part_app_start(const struct f0b_part *p);   /* 0x08001000 */
uint32_t f0b_part_app_size(const struct f0b_part *p);    /* up to the boot-record page */
uint32_t f0b_part_record_addr(const struct f0b_part *p); /* last flash page */
uint32_t f0b_part_sram_end(const struct f0b_part *p);
/* 1 if addr is where an application starts behind some build of the bootloader: flash base
 * + a multiple of F0B_BOOT_SIZE_STEP from F0B_BOOT_SIZE_MIN to _MAX (f0boot/layout.h; 4 KB
 * for the plain bootloader, 6 KB for the secure one by default). Lint and the container
 * check accept any of them; the device checks its own (INFO app_start). */
int f0b_is_app_start(uint32_t addr);

/* ---- the segment model -------------------------------------------------------------- */

/* Largest flattened image (first byte to last byte) that will be built. */
#define F0B_IMG_SPAN_MAX (16u * 1024u * 1024u)

enum f0b_img_format { F0B_FMT_AUTO = 0, F0B_FMT_HEX, F0B_FMT_ELF, F0B_FMT_BIN, F0B_FMT_CONTAINER };

struct f0b_seg {
    uint32_t addr; /* load (flash) address of data[0] */
    uint32_t len;
    uint8_t *data;
    uint32_t cap; /* allocated bytes of data */
};

/* A RAM range the image uses at run time (from ELF sections/segments whose run-time
 * address is in SRAM): .data, .bss, stack and heap sections. */
struct f0b_ram_range {
    uint32_t start;
    uint32_t end;  /* exclusive */
    char name[24]; /* section name, or "PT_LOAD[i]" */
};

struct f0b_image {
    struct f0b_seg *segs; /* sorted by addr, never overlapping or touching */
    size_t nseg;
    size_t seg_cap;
    enum f0b_img_format format; /* what the input was */
    uint32_t entry;             /* ELF e_entry or HEX start address (0 if none) */
    int has_entry;
    uint32_t vt_len;           /* vector-table length in bytes from the input, 0 = unknown */
    uint32_t vt_addr;          /* its load address when known */
    char vt_source[40];        /* e.g. "section .isr_vector", "symbol g_pfnVectors" */
    struct f0b_ram_range *ram; /* ELF only */
    size_t nram;
};

void f0b_image_init(struct f0b_image *img);
void f0b_image_free(struct f0b_image *img); /* frees contents; img may be reused after init */

/* Add bytes at addr. Refuses (F0B_IMG_EOVERLAP, naming both ranges) data overlapping what
 * is already there and (F0B_IMG_EWRAP) ranges running past 0xFFFFFFFF. Adjacent pieces are
 * merged. len 0 is a no-op. Appending in address order is O(1); an insert before the end is
 * O(segments). (The readers below collect pieces and sort once, so any input order costs
 * O(n log n).) */
int f0b_image_add(struct f0b_image *img, uint32_t addr, const uint8_t *data, uint32_t len,
                  struct f0b_img_error *err);

/* First address and one past the last byte; 0/0 for an empty image. */
uint32_t f0b_image_start(const struct f0b_image *img);
uint64_t f0b_image_end(const struct f0b_image *img);

/* Read a little-endian word at addr; bytes in gaps read as 0xFF. */
uint32_t f0b_image_word(const struct f0b_image *img, uint32_t addr);

/* Flatten into a new buffer from f0b_image_start(), gaps filled with 0xFF.
 * F0B_IMG_ENODATA for an empty image, F0B_IMG_ETOO_BIG above F0B_IMG_SPAN_MAX. */
int f0b_image_flatten(const struct f0b_image *img, uint8_t **out, uint32_t *len,
                      struct f0b_img_error *err);

/* ---- readers ------------------------------------------------------------------------ */

/* Intel HEX, record types 00-05; every checksum verified, an end-of-file record required
 * and nothing after it. Type 02 sets base = value * 16, type 04 base = value << 16; data
 * addresses are base + offset, taken linearly. Errors carry the 1-based line number (an
 * overlap names the later line and the line where the other data run starts). */
int f0b_read_hex(const uint8_t *buf, size_t len, struct f0b_image *img, struct f0b_img_error *err);

/* ELF32 little-endian ARM executable. The content of every PT_LOAD segment that file
 * sections cover (SHF_ALLOC, not NOBITS) is placed at its physical (load) address, so
 * initialised data that runs from RAM is packed at its flash address, exactly where
 * `objcopy -O binary` puts it. Also fills img->ram (allocated sections/segments whose
 * run-time address is in 0x20000000-0x3FFFFFFF) and img->vt_len when a `.isr_vector` /
 * `.vectors` section or a sized `g_pfnVectors` / `__vector_table` / `__isr_vector` /
 * `vector_table` symbol says it. */
int f0b_read_elf(const uint8_t *buf, size_t len, struct f0b_image *img, struct f0b_img_error *err);

/* Raw binary placed at addr. */
int f0b_read_bin(const uint8_t *buf, size_t len, uint32_t addr, struct f0b_image *img,
                 struct f0b_img_error *err);

/* What the buffer looks like: F0B_FMT_ELF ("\x7fELF"), F0B_FMT_CONTAINER ("F0IM"),
 * F0B_FMT_HEX (first non-blank byte ':'), else F0B_FMT_BIN (could be anything). */
enum f0b_img_format f0b_sniff(const uint8_t *buf, size_t len);

/* Sniff and read. A buffer that is not ELF or HEX is read as raw binary at bin_addr if
 * have_bin_addr, otherwise refused with F0B_IMG_EFORMAT; a container is refused too.
 * img must have been f0b_image_init()ed; on error it is left empty. */
int f0b_image_read(const uint8_t *buf, size_t len, int have_bin_addr, uint32_t bin_addr,
                   struct f0b_image *img, struct f0b_img_error *err);

const char *f0b_format_name(enum f0b_img_format f); /* "hex", "elf", "bin", "container" */

/* ---- lint --------------------------------------------------------------------------- */

enum f0b_lint_sev { F0B_LINT_WARNING = 1, F0B_LINT_ERROR = 2 };

struct f0b_lint_finding {
    const char *id; /* stable id, e.g. "load-addr" (docs/container.md) */
    enum f0b_lint_sev sev;
    char msg[300]; /* what is wrong and the fix */
};

#define F0B_LINT_MAX 16

struct f0b_lint {
    struct f0b_lint_finding f[F0B_LINT_MAX];
    int n;
    int errors;
    int warnings;
    uint16_t vt_len; /* vector-table length to put in the header */
    uint32_t flags;  /* F0B_FLAG_VT_LEN_GUESSED when vt_len is the part's default */
};

/* Check that the image would boot behind the bootloader on part: load address at the
 * part's application start, size within the application region, initial SP in
 * application SRAM and 4-aligned, reset vector Thumb and inside the image, ELF RAM clear of
 * the remapped vector table (0x20000000-0x200000BF) and inside SRAM, vector table
 * <= 192 bytes; warns when the vector-table length had to be guessed. Never fails. */
void f0b_lint_run(const struct f0b_image *img, const struct f0b_part *part, struct f0b_lint *out);

/* ---- container ---------------------------------------------------------------------- */

struct f0b_version {
    uint8_t major;
    uint8_t minor;
    uint16_t patch;
    uint32_t build;
};

/* "X.Y.Z" or "X.Y.Z+B" (decimal; X,Y <= 255, Z <= 65535, B <= 4294967295). */
int f0b_version_parse(const char *s, struct f0b_version *v, struct f0b_img_error *err);

/* Encode all fields of h field by field, compute the header CRC over bytes 0..59, store it
 * at 60 and return it (h->hdr_crc is ignored). part_name is NUL-padded. */
uint32_t f0b_hdr_encode(const struct f0b_img_hdr *h, uint8_t raw[F0B_IMG_HDR_SIZE]);
/* Decoding without checks: f0b_hdr_decode() in f0boot/container.h. */

struct f0b_pack_opts {
    const struct f0b_part *part;
    struct f0b_version version;
    uint16_t vt_len; /* usually from f0b_lint_run() */
    uint32_t flags;  /* F0B_FLAG_* */
};

/* Flatten img and build the container (header + payload) in one new buffer.
 * hdr (optional) gets the header as written. */
int f0b_container_build(const struct f0b_image *img, const struct f0b_pack_opts *o, uint8_t **out,
                        size_t *out_len, struct f0b_img_hdr *hdr, struct f0b_img_error *err);

/* Result of a container check; valid fields are filled even when the check fails. */
struct f0b_container_check {
    int have_hdr; /* at least 64 bytes: hdr was decoded */
    int hdr_crc_ok;
    uint32_t hdr_crc_calc;
    int payload_crc_ok;
    uint32_t payload_crc_calc; /* over the payload bytes present */
    uint64_t payload_present;  /* bytes after the header in the buffer */
    int boot_rule;             /* F0B_ST_HDR_* of the bootloader's header rule that refuses
                                  this header (f0b_hdr_validate()), 0 when they all pass */
    int encrypted;             /* format v2: payload_crc and the payload need the key */
    int mac_checked;           /* f0b_container_decrypt() ran: the two fields below hold */
    int hdr_mac_ok;            /* v2 hdr_mac verifies under the key */
    int tag_ok;                /* v2 tag over header and ciphertext verifies */
};

/* Decode and check everything: magic, header version and size, header CRC, file length
 * against payload_size, payload CRC, then each field: flags, part code and name, the
 * bootloader's own header rules for that part (f0b_hdr_validate() of the bootloader core,
 * compiled for the host: load address, payload size, vt_len, initial SP, reset vector; on
 * failure chk->boot_rule says which), init_sp/reset_vec against payload words 0/1.
 * Returns the first failure: F0B_IMG_EEMPTY, F0B_IMG_ECNT_SHORT, _MAGIC, _VERSION, _HDR_CRC,
 * _SIZE, _PAYLOAD_CRC or _FIELD, with a message naming the fix; hdr and chk are filled as
 * far as the buffer allows. */
int f0b_container_verify(const uint8_t *buf, size_t len, struct f0b_img_hdr *hdr,
                         struct f0b_container_check *chk, struct f0b_img_error *err);
/* For a v2 container (encrypted) f0b_container_verify() checks the same structure except
 * what needs the key: the file is 64 + payload_size + 16 bytes, payload_crc and
 * init_sp/reset_vec against the payload are left to f0b_container_decrypt(); chk->encrypted
 * is set and payload_crc_ok is 0. */

/* ---- encrypted containers (format v2; docs/container.md, docs/security.md) ----------- */

#define F0B_KEY_LEN      16u
#define F0B_KEY_TEXT_LEN 33u /* a key file: 32 lowercase hex digits and a newline */

/* Parse a key file's contents: 32 hex digits, optionally followed by a newline (nothing
 * else). F0B_IMG_EKEY with the fix otherwise. */
int f0b_key_parse(const uint8_t *buf, size_t len, uint8_t key[F0B_KEY_LEN],
                  struct f0b_img_error *err);

/* The key file text of key: 32 lowercase hex digits, a newline, a NUL. */
void f0b_key_format(const uint8_t key[F0B_KEY_LEN], char out[F0B_KEY_TEXT_LEN + 1]);

/* n bytes from the system's CSPRNG (getrandom(), blocking until it is seeded).
 * F0B_IMG_ERANDOM when it fails. */
int f0b_random(uint8_t *p, size_t n, struct f0b_img_error *err);

/* Turn a checked plain (v1) container into a v2 one under key with the given nonce (fresh
 * from f0b_random() for every image: a nonce used twice under one key gives away the XOR
 * of two payloads): payload_crc encrypted, nonce and hdr_mac in place of part_name, header
 * CRC redone, payload AES-128-CTR encrypted, the CMAC tag of header and ciphertext
 * appended. *out (malloc'ed) is 64 + payload_size + 16 bytes; hdr (optional) gets the new
 * header. F0B_IMG_ECNT_* if cnt is not a valid v1 container, F0B_IMG_ENOMEM, F0B_IMG_EARG. */
int f0b_container_encrypt(const uint8_t *cnt, size_t len, const uint8_t key[F0B_KEY_LEN],
                          const uint8_t nonce[F0B_IMG_NONCE_LEN], uint8_t **out, size_t *out_len,
                          struct f0b_img_hdr *hdr, struct f0b_img_error *err);

/* Check a v2 container under key, as the secure bootloader will: hdr_mac, the tag, and
 * (decrypted) the payload CRC and init_sp/reset_vec against payload words 0/1. Fills
 * chk->mac_checked, hdr_mac_ok, tag_ok, payload_crc_ok and payload_crc_calc (of the
 * plaintext). With plain non-NULL and on success, *plain gets the decrypted payload
 * (malloc'ed, payload_size bytes). F0B_IMG_ECNT_MAC (made with another key, or altered),
 * F0B_IMG_ECNT_PAYLOAD_CRC, F0B_IMG_ECNT_FIELD, F0B_IMG_ENOMEM; a buffer that is not a
 * structurally valid v2 container gets f0b_container_verify()'s code. */
int f0b_container_decrypt(const uint8_t *buf, size_t len, const uint8_t key[F0B_KEY_LEN],
                          uint8_t **plain, struct f0b_container_check *chk,
                          struct f0b_img_error *err);

#ifdef __cplusplus
}
#endif

#endif
