/* libimage private helpers. */
#ifndef F0B_IMAGE_INTERNAL_H
#define F0B_IMAGE_INTERNAL_H

#include "f0boot/image.h"

/* Fill err (if not NULL): code, line, offset and a printf-style message. Returns code. */
int f0b_err_set(struct f0b_img_error *err, int code, long line, long offset, const char *fmt,
                ...) __attribute__((format(printf, 5, 6)));

/* Prefix err->detail with a printf-style string (used to add "line N: "). */
void f0b_err_prefix(struct f0b_img_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Bytes from the first to the last byte of img: F0B_IMG_ENODATA, F0B_IMG_ETOO_BIG or OK. */
int f0b_image_span(const struct f0b_image *img, uint32_t *span, struct f0b_img_error *err);

/* Write the flat image (gaps 0xFF) into dst, which holds span bytes from f0b_image_span(). */
void f0b_image_copy_flat(const struct f0b_image *img, uint8_t *dst, uint32_t span);

#endif
