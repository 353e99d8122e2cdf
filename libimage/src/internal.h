/* libimage private helpers. */
#ifndef F0B_IMAGE_INTERNAL_H
#define F0B_IMAGE_INTERNAL_H

#include "f0boot/image.h"

/* Fill err (if not NULL): code, line, offset and a printf-style message. Returns code. */
int f0b_err_set(struct f0b_img_error *err, int code, long line, long offset, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Prefix err->detail with a printf-style string (used to add "line N: "). */
void f0b_err_prefix(struct f0b_img_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Bytes from the first to the last byte of img: F0B_IMG_ENODATA, F0B_IMG_ETOO_BIG or OK. */
int f0b_image_span(const struct f0b_image *img, uint32_t *span, struct f0b_img_error *err);

/* Write the flat image (gaps 0xFF) into dst, which holds span bytes from f0b_image_span(). */
void f0b_image_copy_flat(const struct f0b_image *img, uint8_t *dst, uint32_t span);

/* Readers collect pieces of data in input order, then build the image in one pass: sort,
 * refuse overlaps naming both pieces, merge touching pieces. O(n log n + bytes) whatever the
 * order of the input (f0b_image_add() keeps the image sorted at every call instead). */
struct f0b_piece {
    uint32_t addr;
    uint32_t len;
    size_t off; /* offset of the bytes in the reader's base buffer */
    long tag;   /* what the reader names it by: HEX line, ELF section index, ... */
};

struct f0b_pieces {
    struct f0b_piece *v;
    size_t n, cap;
};

/* Names a piece's tag for messages ("line 12", "section .data"). */
typedef void (*f0b_tag_name_fn)(void *ctx, long tag, char *buf, size_t n);

/* Room for need elements of elem bytes in the array v of capacity *cap (doubling from
 * first): returns v itself or its reallocated copy (*cap updated), or NULL when out of
 * memory (v and *cap unchanged). */
void *f0b_grow(void *v, size_t *cap, size_t need, size_t elem, size_t first);

/* Add a piece (len 0 ignored). A piece that continues the previous one in both address and
 * base offset extends it. F0B_IMG_EWRAP past 0xFFFFFFFF, F0B_IMG_ENOMEM. */
int f0b_pieces_push(struct f0b_pieces *ps, uint32_t addr, uint32_t len, size_t off, long tag,
                    struct f0b_img_error *err);
void f0b_pieces_free(struct f0b_pieces *ps);

/* Build img (empty on entry) from the pieces, whose bytes are at base + off. */
int f0b_image_from_pieces(struct f0b_image *img, struct f0b_pieces *ps, const uint8_t *base,
                          f0b_tag_name_fn name, void *ctx, struct f0b_img_error *err);

/* The bootloader's header rules (f0b_hdr_validate() of the core) on raw, whose decoded
 * fields are h, for the part named part: F0B_IMG_OK, or F0B_IMG_ECNT_FIELD with a message that
 * names the rule and the fix, *st set to the rule's F0B_ST_HDR_* code (boot_rules.c). */
int f0b_container_boot_rules(const uint8_t raw[F0B_IMG_HDR_SIZE], const struct f0b_img_hdr *h,
                             const char *part, int *st, struct f0b_img_error *err);

#endif
