#include "esc.h"

size_t esc_utf8_len(const unsigned char *s)
{
    unsigned c = s[0];
    size_t n;
    unsigned long cp;

    if (c >= 0xC2 && c <= 0xDF)
        n = 2, cp = c & 0x1Fu;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, cp = c & 0x0Fu;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, cp = c & 0x07u;
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0u) != 0x80u)
            return 0; /* also stops at the terminating NUL */
        cp = cp << 6 | (s[i] & 0x3Fu);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0; /* overlong, past Unicode, or a surrogate */
    return n;
}

int esc_is_control(const unsigned char *s, size_t n)
{
    if (n == 1)
        return s[0] < 0x20 || s[0] == 0x7F;
    return n == 2 && s[0] == 0xC2 && s[1] < 0xA0; /* U+0080-U+009F */
}

void esc_text(FILE *f, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;

    while (*s) {
        size_t n = *s < 0x80 ? 1 : esc_utf8_len(s);
        if (n == 0) {
            fprintf(f, "\\x%02x", *s++);
        } else if (esc_is_control(s, n) && *s != '\n' && *s != '\t') {
            for (size_t i = 0; i < n; i++)
                fprintf(f, "\\x%02x", s[i]);
            s += n;
        } else {
            fwrite(s, 1, n, f);
            s += n;
        }
    }
}
