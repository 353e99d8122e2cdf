/*
 * Reading f0sim's observer output (sim/watch.h): one flat JSON object per line, whose values
 * are strings, numbers, booleans, and (in "end") objects of counts. A small reader for that
 * shape only: anything else is refused with the line number, never guessed at.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

struct rd {
    const char *p, *end;
};

static void ws(struct rd *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\r'))
        r->p++;
}

static int eat(struct rd *r, char ch)
{
    ws(r);
    if (r->p < r->end && *r->p == ch) {
        r->p++;
        return 1;
    }
    return 0;
}

/* A JSON string into out (escapes decoded; \u00XX to the byte, others to '?'). */
static int str(struct rd *r, char *out, size_t n)
{
    size_t k = 0;
    if (!eat(r, '"'))
        return -1;
    while (r->p < r->end && *r->p != '"') {
        char ch = *r->p++;
        if (ch == '\\') {
            if (r->p >= r->end)
                return -1;
            ch = *r->p++;
            if (ch == 'n')
                ch = '\n';
            else if (ch == 't')
                ch = '\t';
            else if (ch == 'u') {
                if (r->end - r->p < 4)
                    return -1;
                char hex[5] = {r->p[0], r->p[1], r->p[2], r->p[3], 0};
                long v = strtol(hex, NULL, 16);
                ch = v < 0x80 ? (char)v : '?';
                r->p += 4;
            }
        }
        if (k + 1 < n)
            out[k++] = ch;
    }
    if (n)
        out[k] = 0;
    return eat(r, '"') ? 0 : -1;
}

static int num(struct rd *r, uint64_t *v)
{
    ws(r);
    char *e;
    *v = strtoull(r->p, &e, 10);
    if (e == r->p || e > r->end)
        return -1;
    r->p = e;
    return 0;
}

/* A value as text (strings decoded, numbers and literals as written); objects: *obj = 1
 * and the reader stays at the '{'. */
static int value(struct rd *r, char *out, size_t n, int *obj)
{
    ws(r);
    *obj = 0;
    if (r->p >= r->end)
        return -1;
    if (*r->p == '"')
        return str(r, out, n);
    if (*r->p == '{') {
        *obj = 1;
        return 0;
    }
    size_t k = 0;
    while (r->p < r->end && strchr("0123456789-+.eEtruefalsn", *r->p)) {
        if (k + 1 < n)
            out[k++] = *r->p;
        r->p++;
    }
    out[k] = 0;
    return k ? 0 : -1;
}

/* {"N":count,...} into counts[N]. */
static int counts(struct rd *r, uint64_t *cnt)
{
    char key[16];
    uint64_t v;
    if (!eat(r, '{'))
        return -1;
    if (eat(r, '}'))
        return 0;
    do {
        if (str(r, key, sizeof key) || !eat(r, ':') || num(r, &v))
            return -1;
        long e = strtol(key, NULL, 10);
        if (e >= 0 && e < CHK_EXC_MAX)
            cnt[e] = v;
    } while (eat(r, ','));
    return eat(r, '}') ? 0 : -1;
}

static enum chk_kind kind_of(const char *s)
{
    static const char *const names[] = {
        "",       "pc",    "reset",    "exception", "mem_mode",   "int_enable", "wfi",
        "masked", "write", "flash_op", "fault",     "unmodelled", "uart_offer", "held",
    };
    for (size_t i = 1; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i]) == 0)
            return (enum chk_kind)i;
    return CHK_EV_OTHER;
}

static uint32_t u32(const char *s) { return (uint32_t)strtoul(s, NULL, 0); }

/* The members that are numbers (decimal or "0x..." strings) or booleans, by offset. */
enum mtype { M_U32, M_INT, M_U64, M_BOOL };
static const struct {
    const char *key;
    enum mtype type;
    size_t off;
} members[] = {
    {"t_us", M_U64, offsetof(struct chk_ev, t_us)},
    {"since_us", M_U64, offsetof(struct chk_ev, since_us)},
    {"pc", M_U32, offsetof(struct chk_ev, pc)},
    {"addr", M_U32, offsetof(struct chk_ev, addr)},
    {"value", M_U32, offsetof(struct chk_ev, value)},
    {"vector", M_U32, offsetof(struct chk_ev, vector)},
    {"from", M_U32, offsetof(struct chk_ev, from)},
    {"from", M_INT, offsetof(struct chk_ev, mode_from)},
    {"to", M_INT, offsetof(struct chk_ev, mode_to)},
    {"exc", M_INT, offsetof(struct chk_ev, exc)},
    {"size", M_INT, offsetof(struct chk_ev, size)},
    {"primask", M_INT, offsetof(struct chk_ev, primask)},
    {"index", M_INT, offsetof(struct chk_ev, index)},
    {"pending", M_INT, offsetof(struct chk_ev, pending)},
    {"lockup", M_BOOL, offsetof(struct chk_ev, lockup)},
    {"write", M_BOOL, offsetof(struct chk_ev, write)},
    {"dma", M_BOOL, offsetof(struct chk_ev, dma)},
};

static void set_member(struct chk_ev *e, size_t i, const char *v)
{
    char *p = (char *)e + members[i].off;
    uint64_t u64 = strtoull(v, NULL, 10);
    uint32_t u = u32(v);
    int n = members[i].type == M_BOOL ? strcmp(v, "true") == 0 : (int)u;
    switch (members[i].type) {
    case M_U64: memcpy(p, &u64, sizeof u64); break;
    case M_U32: memcpy(p, &u, sizeof u); break;
    default: memcpy(p, &n, sizeof n); break;
    }
}

/* One member of an event. */
static void member(struct chk_ev *e, struct chk_end *end, const char *k, const char *v)
{
    for (size_t i = 0; i < sizeof members / sizeof members[0]; i++)
        if (strcmp(k, members[i].key) == 0)
            set_member(e, i, v);
    if (strcmp(k, "ev") == 0)
        e->kind = kind_of(v);
    else if (strcmp(k, "map") == 0)
        snprintf(e->map, sizeof e->map, "%s", v);
    else if (strcmp(k, "why") == 0)
        snprintf(e->why, sizeof e->why, "%s", v);
    else if (strcmp(k, "op") == 0)
        snprintf(e->op, sizeof e->op, "%s", v);
    else if (strcmp(k, "stop") == 0)
        snprintf(end->stop, sizeof end->stop, "%s", v);
    else if (strcmp(k, "detail") == 0)
        snprintf(end->detail, sizeof end->detail, "%s", v);
    else if (strcmp(k, "stop_pc") == 0)
        end->stop_pc = u32(v);
    else if (strcmp(k, "wfi_masked") == 0)
        end->wfi_masked = strtoull(v, NULL, 10);
    else if (strcmp(k, "dropped") == 0)
        end->dropped = strtoull(v, NULL, 10);
}

/* One line: an event appended to ev, or the end record. */
static int line(struct rd *r, struct chk_events *ev)
{
    struct chk_ev e;
    struct chk_end end = ev->end;
    char k[32], v[256];
    int obj;
    memset(&e, 0, sizeof e);
    if (!eat(r, '{'))
        return -1;
    do {
        if (str(r, k, sizeof k) || !eat(r, ':') || value(r, v, sizeof v, &obj))
            return -1;
        if (obj) {
            uint64_t *dst = strcmp(k, "exceptions_boot_table") == 0 ? end.exc_boot : end.exc_sram;
            if (counts(r, dst))
                return -1;
            continue;
        }
        member(&e, &end, k, v);
    } while (eat(r, ','));
    if (!eat(r, '}'))
        return -1;
    if (end.stop[0] && !ev->end.seen) { /* the "end" record */
        end.seen = 1;
        end.t_us = e.t_us;
        ev->end = end;
        return 0;
    }
    if (ev->n == ev->cap) {
        size_t cap = ev->cap ? ev->cap * 2 : 256;
        struct chk_ev *nv = realloc(ev->v, cap * sizeof *nv);
        if (!nv)
            return -2;
        ev->v = nv;
        ev->cap = cap;
    }
    ev->v[ev->n++] = e;
    return 0;
}

int chk_events_parse(const char *text, size_t len, struct chk_events *ev, char *err, size_t n)
{
    memset(ev, 0, sizeof *ev);
    const char *p = text, *end = text + len;
    for (long no = 1; p < end; no++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        struct rd r = {p, le};
        ws(&r);
        if (r.p < le) {
            int rc = line(&r, ev);
            ws(&r);
            if (rc == -2) {
                snprintf(err, n, "out of memory reading f0sim's events");
                return -1;
            }
            if (rc || r.p != le) {
                snprintf(err, n, "f0sim's event line %ld is not what f0boot reads: %.60s", no, p);
                return -1;
            }
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
}

void chk_events_free(struct chk_events *ev)
{
    free(ev->v);
    memset(ev, 0, sizeof *ev);
}
