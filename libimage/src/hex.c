/* Intel HEX reader: record types 00-05, every checksum verified, errors by line number. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum { REC_DATA = 0, REC_EOF = 1, REC_ESA = 2, REC_SSA = 3, REC_ELA = 4, REC_SLA = 5 };

#define REC_MAX (1 + 2 + 1 + 255 + 1) /* length, address, type, data, checksum */

/* Digit value + 1 for every byte (0: not a hex digit); a table because every byte of the
 * file goes through it. */
#define D(c, v) [c] = (v) + 1
static const unsigned char hex_digit[256] = {
    D('0', 0),  D('1', 1),  D('2', 2),  D('3', 3),  D('4', 4),  D('5', 5),  D('6', 6),  D('7', 7),
    D('8', 8),  D('9', 9),  D('a', 10), D('b', 11), D('c', 12), D('d', 13), D('e', 14), D('f', 15),
    D('A', 10), D('B', 11), D('C', 12), D('D', 13), D('E', 14), D('F', 15),
};
#undef D

static int hexval(uint8_t c) { return (int)hex_digit[c] - 1; }

static int is_blank(uint8_t c) { return c == ' ' || c == '\t'; }

static const char *type_name(unsigned t)
{
    static const char *n[] = {"data",
                              "end-of-file",
                              "extended segment address",
                              "start segment address",
                              "extended linear address",
                              "start linear address"};
    return t < 6 ? n[t] : "unknown";
}

/* One record, already stripped of its line ending and trailing blanks. */
static int parse_record(const uint8_t *s, size_t n, long line, long off, uint8_t *rec, size_t *nrec,
                        struct f0b_img_error *err)
{
    size_t digits, i;
    unsigned sum = 0;

    if (s[0] != ':') {
        if (isprint(s[0]))
            return f0b_err_set(err, F0B_IMG_EHEX_SYNTAX, line, off,
                               "line %ld: expected ':' at the start of a record, found '%c'; "
                               "is this really an Intel HEX file?",
                               line, s[0]);
        return f0b_err_set(err, F0B_IMG_EHEX_SYNTAX, line, off,
                           "line %ld: expected ':' at the start of a record, found byte 0x%02x; "
                           "is this really an Intel HEX file?",
                           line, s[0]);
    }
    for (i = 1; i < n; i++) {
        if (hexval(s[i]) < 0) {
            if (isprint(s[i]))
                return f0b_err_set(err, F0B_IMG_EHEX_SYNTAX, line, off + (long)i,
                                   "line %ld, column %zu: '%c' is not a hex digit", line, i + 1,
                                   s[i]);
            return f0b_err_set(err, F0B_IMG_EHEX_SYNTAX, line, off + (long)i,
                               "line %ld, column %zu: byte 0x%02x is not a hex digit", line, i + 1,
                               s[i]);
        }
    }
    digits = n - 1;
    if (digits % 2)
        return f0b_err_set(err, F0B_IMG_EHEX_SYNTAX, line, off,
                           "line %ld: odd number of hex digits (%zu); the record is cut or has "
                           "a stray character",
                           line, digits);
    if (digits < 10)
        return f0b_err_set(err, F0B_IMG_EHEX_SYNTAX, line, off,
                           "line %ld: record too short (%zu hex digits, at least 10 needed); the "
                           "file is probably truncated",
                           line, digits);
    rec[0] = (uint8_t)(hexval(s[1]) << 4 | hexval(s[2]));
    if (digits / 2 != (size_t)rec[0] + 5u)
        return f0b_err_set(err, F0B_IMG_EHEX_SYNTAX, line, off,
                           "line %ld: length byte says %u data bytes but the record holds %ld; "
                           "the record is cut or corrupt",
                           line, rec[0], (long)(digits / 2) - 5);
    for (i = 0; i < digits / 2; i++) {
        rec[i] = (uint8_t)(hexval(s[1 + 2 * i]) << 4 | hexval(s[2 + 2 * i]));
        sum += rec[i];
    }
    if (sum & 0xFF) {
        unsigned want = (unsigned)(-(int)(sum - rec[digits / 2 - 1])) & 0xFF;
        return f0b_err_set(err, F0B_IMG_EHEX_CHECKSUM, line, off,
                           "line %ld: checksum is 0x%02X but the record's bytes need 0x%02X; the "
                           "file is corrupt, regenerate it (e.g. objcopy -O ihex)",
                           line, rec[digits / 2 - 1], want);
    }
    *nrec = digits / 2;
    return F0B_IMG_OK;
}

static int want_len(const uint8_t *rec, unsigned want, long line, long off,
                    struct f0b_img_error *err)
{
    if (rec[0] == want)
        return F0B_IMG_OK;
    return f0b_err_set(err, F0B_IMG_EHEX_RECORD, line, off,
                       "line %ld: %s record (type %02X) must hold %u data bytes, not %u", line,
                       type_name(rec[3]), rec[3], want, rec[0]);
}

static void hex_tag_name(void *ctx, long tag, char *buf, size_t n)
{
    (void)ctx;
    snprintf(buf, n, "line %ld", tag);
}

/* What the reader carries from one record to the next. */
struct hex_state {
    struct f0b_image *img;
    struct f0b_pieces ps;
    uint8_t *arena; /* all data bytes, in file order */
    size_t arena_len, arena_cap;
    uint32_t base; /* from the last extended address record */
    long eof_line; /* line of the end-of-file record, 0 before it */
};

/* A data record: its bytes go to the arena, its address range to the piece list. */
static int hex_data(struct hex_state *st, const uint8_t *rec, long line, long off,
                    struct f0b_img_error *err)
{
    uint8_t *grown = f0b_grow(st->arena, &st->arena_cap, st->arena_len + rec[0], 1, 4096);
    uint32_t a16 = (uint32_t)rec[1] << 8 | rec[2];
    int rc;

    if (!grown)
        return f0b_err_set(err, F0B_IMG_ENOMEM, line, -1, "out of memory");
    st->arena = grown;
    if (rec[0])
        memcpy(st->arena + st->arena_len, rec + 4, rec[0]);
    rc = f0b_pieces_push(&st->ps, st->base + a16, rec[0], st->arena_len, line, err);
    if (rc == F0B_IMG_EWRAP && err) {
        size_t l;
        err->line = line;
        err->offset = off;
        f0b_err_prefix(err, "line %ld: ", line);
        l = strlen(err->detail);
        snprintf(err->detail + l, sizeof err->detail - l, "; check the extended address records");
    }
    if (rc)
        return rc;
    st->arena_len += rec[0];
    return F0B_IMG_OK;
}

/* One decoded record, by type. */
static int hex_record(struct hex_state *st, const uint8_t *rec, long line, long off,
                      struct f0b_img_error *err)
{
    unsigned type = rec[3];
    int rc;

    switch (type) {
    case REC_DATA: return hex_data(st, rec, line, off, err);
    case REC_EOF:
        rc = want_len(rec, 0, line, off, err);
        if (!rc)
            st->eof_line = line;
        return rc;
    case REC_ESA:
        rc = want_len(rec, 2, line, off, err);
        if (!rc)
            st->base = ((uint32_t)rec[4] << 8 | rec[5]) << 4;
        return rc;
    case REC_SSA:
        rc = want_len(rec, 4, line, off, err);
        if (!rc) {
            st->img->entry =
                (((uint32_t)rec[4] << 8 | rec[5]) << 4) + ((uint32_t)rec[6] << 8 | rec[7]);
            st->img->has_entry = 1;
        }
        return rc;
    case REC_ELA:
        rc = want_len(rec, 2, line, off, err);
        if (!rc)
            st->base = ((uint32_t)rec[4] << 8 | rec[5]) << 16;
        return rc;
    case REC_SLA:
        rc = want_len(rec, 4, line, off, err);
        if (!rc) {
            st->img->entry = (uint32_t)rec[4] << 24 | (uint32_t)rec[5] << 16 |
                             (uint32_t)rec[6] << 8 | rec[7];
            st->img->has_entry = 1;
        }
        return rc;
    default:
        return f0b_err_set(err, F0B_IMG_EHEX_TYPE, line, off,
                           "line %ld: unknown record type %02X (Intel HEX has types 00-05); "
                           "convert the file with objcopy -O ihex or srec_cat",
                           line, type);
    }
}

/* The line that starts at *pos: [*start, *end) without its ending and trailing blanks;
 * *pos moves past the line ending ("\n", "\r\n" or "\r"). */
static void hex_next_line(const uint8_t *buf, size_t len, size_t *pos, size_t *start, size_t *end)
{
    size_t p = *pos;

    *start = p;
    while (p < len && buf[p] != '\n' && buf[p] != '\r')
        p++;
    *end = p;
    if (p < len && buf[p] == '\r') {
        p++;
        if (p < len && buf[p] == '\n')
            p++;
    } else if (p < len) {
        p++;
    }
    while (*end > *start && is_blank(buf[*end - 1]))
        (*end)--;
    *pos = p;
}

static int hex_lines(struct hex_state *st, const uint8_t *buf, size_t len, long *line,
                     struct f0b_img_error *err)
{
    uint8_t rec[REC_MAX] = {0}; /* zeroed once: hex_record never reads a byte no record
                                     * wrote, even if an error path ever returned 0 */
    size_t pos = 0, nrec;
    int rc;

    while (pos < len) {
        size_t start, end;

        ++*line;
        hex_next_line(buf, len, &pos, &start, &end);
        if (end == start)
            continue; /* blank lines are harmless */
        if (st->eof_line)
            return f0b_err_set(err, F0B_IMG_EHEX_AFTER_EOF, *line, (long)start,
                               "line %ld: data after the end-of-file record on line %ld; "
                               "remove it (were two files joined?)",
                               *line, st->eof_line);
        rc = parse_record(buf + start, end - start, *line, (long)start, rec, &nrec, err);
        if (!rc)
            rc = hex_record(st, rec, *line, (long)start, err);
        if (rc)
            return rc;
    }
    return F0B_IMG_OK;
}

int f0b_read_hex(const uint8_t *buf, size_t len, struct f0b_image *img, struct f0b_img_error *err)
{
    struct hex_state st = {.img = img};
    long line = 0;
    int rc;

    if (len == 0)
        return f0b_err_set(err, F0B_IMG_EEMPTY, 0, 0, "the input file is empty");
    img->format = F0B_FMT_HEX;

    rc = hex_lines(&st, buf, len, &line, err);
    if (rc)
        goto done;
    if (!st.eof_line) {
        rc = f0b_err_set(err, F0B_IMG_EHEX_NO_EOF, line, (long)len,
                         "line %ld: the file ends without an end-of-file record (:00000001FF); "
                         "it is probably truncated, regenerate it",
                         line);
        goto done;
    }
    rc = f0b_image_from_pieces(img, &st.ps, st.arena, hex_tag_name, NULL, err);
    if (rc)
        goto done;
    if (!img->nseg)
        rc = f0b_err_set(err, F0B_IMG_ENODATA, 0, -1,
                         "the HEX file has no data records: nothing to program");
done:
    free(st.arena);
    f0b_pieces_free(&st.ps);
    if (rc)
        f0b_image_free(img);
    return rc;
}
