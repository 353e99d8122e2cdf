/* Container header fields as f0boot shows them (pack, info, probe). */
#ifndef F0B_FORMAT_H
#define F0B_FORMAT_H

#include <stddef.h>
#include <stdint.h>

struct f0b_img_hdr;

/* "1.2.3", or "1.2.3+45" when the build number is not 0. */
void fmt_version(char *b, size_t n, const struct f0b_img_hdr *h);

/* The names of the set header flags, each after a space (" VT_LEN_GUESSED LINT_FORCED"),
 * and " (unknown bits)" if others are set; "" for none. */
void fmt_flags(char *b, size_t n, uint32_t flags);

#endif
