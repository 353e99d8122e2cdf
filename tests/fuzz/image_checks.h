/*
 * Checks shared by the libimage fuzz targets: what a reader's result must satisfy whatever
 * the input was (image.h promises), and the steps `f0boot pack` runs on it afterwards.
 */
#ifndef F0B_FUZZ_IMAGE_CHECKS_H
#define F0B_FUZZ_IMAGE_CHECKS_H

#include "f0boot/image.h"

/* abort() with a message unless rc and err agree (code set, detail a non-empty NUL-terminated
 * message on failure) and, on success, img's segments are sorted, non-empty, neither overlapping nor
 * touching. */
void fuzz_check_read(int rc, const struct f0b_image *img, const struct f0b_img_error *err);

/* Run what pack does after reading: flatten, lint for a part, build the container, and
 * verify the container built (it must at least pass the header and CRC checks). */
void fuzz_pack_steps(const struct f0b_image *img);

#endif
