#include "json.h"

#include <math.h>

#include "esc.h"

/* A JSON string: always valid UTF-8 whatever s holds. Control characters (C0, DEL, C1)
 * become \u00XX; a byte that is not part of valid UTF-8 becomes the text \xNN (a visible
 * backslash: "\\xNN" in the JSON), as f0boot's text output shows it. */
static void str(FILE *f, const char *text)
{
    const unsigned char *s = (const unsigned char *)text;

    fputc('"', f);
    while (*s) {
        size_t n = *s < 0x80 ? 1 : esc_utf8_len(s);
        if (n == 0) {
            fprintf(f, "\\\\x%02x", *s++);
        } else if (*s == '"' || *s == '\\') {
            fprintf(f, "\\%c", *s++);
        } else if (esc_is_control(s, n)) {
            fprintf(f, "\\u%04x", n == 1 ? *s : s[1]); /* C1: U+0080-U+009F is C2 80-9F */
            s += n;
        } else {
            fwrite(s, 1, n, f);
            s += n;
        }
    }
    fputc('"', f);
}

static void key(struct json *j, const char *k)
{
    if (j->n++)
        fputc(',', j->f);
    str(j->f, k);
    fputc(':', j->f);
}

void json_begin(struct json *j, FILE *f)
{
    j->f = f;
    j->n = 0;
    fputc('{', f);
}

void json_str(struct json *j, const char *k, const char *v)
{
    key(j, k);
    str(j->f, v ? v : "");
}

void json_u64(struct json *j, const char *k, uint64_t v)
{
    key(j, k);
    fprintf(j->f, "%llu", (unsigned long long)v);
}

void json_i64(struct json *j, const char *k, int64_t v)
{
    key(j, k);
    fprintf(j->f, "%lld", (long long)v);
}

void json_dbl(struct json *j, const char *k, double v)
{
    key(j, k);
    if (isfinite(v))
        fprintf(j->f, "%.6g", v);
    else
        fputs("null", j->f);
}

void json_bool(struct json *j, const char *k, int v)
{
    key(j, k);
    fputs(v ? "true" : "false", j->f);
}

void json_hex32(struct json *j, const char *k, uint32_t v)
{
    key(j, k);
    fprintf(j->f, "\"0x%08x\"", (unsigned)v);
}

void json_obj(struct json *j, const char *k)
{
    key(j, k);
    fputc('{', j->f);
    j->n = 0;
}

void json_close(struct json *j)
{
    fputc('}', j->f);
    j->n = 1; /* the enclosing object now has at least this member */
}

void json_end(struct json *j)
{
    fputs("}\n", j->f);
    fflush(j->f);
}
