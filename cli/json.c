#include "json.h"

static void key(struct json *j, const char *k)
{
    if (j->n++)
        fputc(',', j->f);
    fprintf(j->f, "\"%s\":", k);
}

static void str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
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
    fprintf(j->f, "%.6g", v);
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
