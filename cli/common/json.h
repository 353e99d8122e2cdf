/* A minimal JSON object writer for --json output (f0boot) and summaries (f0sim): one object
 * per line. Keys and string values may hold any bytes: they come out as valid JSON and
 * valid UTF-8 (control characters as \u00XX, bytes that are not UTF-8 as the text \xNN). */
#ifndef F0B_JSON_H
#define F0B_JSON_H

#include <stdint.h>
#include <stdio.h>

struct json {
    FILE *f;
    int n; /* members written at the current level */
};

void json_begin(struct json *j, FILE *f); /* "{" */
void json_str(struct json *j, const char *key, const char *val);
void json_u64(struct json *j, const char *key, uint64_t val);
void json_i64(struct json *j, const char *key, int64_t val);
void json_dbl(struct json *j, const char *key, double val); /* null if not finite */
void json_bool(struct json *j, const char *key, int val);
void json_hex32(struct json *j, const char *key, uint32_t val); /* "0x08001000" as a string */
void json_obj(struct json *j, const char *key); /* nested "key":{ ; close with json_close */
void json_close(struct json *j);                /* "}" of a nested object */
void json_end(struct json *j);                  /* "}\n" and flush */

#endif
