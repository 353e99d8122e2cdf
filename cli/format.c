#include "format.h"

#include <stdio.h>

#include "f0boot/container.h"

void fmt_version(char *b, size_t n, const struct f0b_img_hdr *h)
{
    if (h->ver_build)
        snprintf(b, n, "%u.%u.%u+%lu", h->ver_major, h->ver_minor, h->ver_patch,
                 (unsigned long)h->ver_build);
    else
        snprintf(b, n, "%u.%u.%u", h->ver_major, h->ver_minor, h->ver_patch);
}

void fmt_flags(char *b, size_t n, uint32_t flags)
{
    snprintf(b, n, "%s%s%s", flags & F0B_FLAG_VT_LEN_GUESSED ? " VT_LEN_GUESSED" : "",
             flags & F0B_FLAG_LINT_FORCED ? " LINT_FORCED" : "",
             flags & ~(F0B_FLAG_VT_LEN_GUESSED | F0B_FLAG_LINT_FORCED) ? " (unknown bits)" : "");
}
