/* The report of a flash on several boards (multi_view.h): each child's --json lines in, one
 * status line per board, plain lines or one JSON stream out. */
#include "multi_view.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "common/esc.h"
#include "common/exit_codes.h"
#include "common/json.h"
#include "flash_multi.h"

/* ---- reading the children's JSON: flat objects, the members we need -------------------- */

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
        p++;
    return p;
}

/* Past the string whose opening quote is at p; NULL when it does not end. */
static const char *skip_str(const char *p)
{
    for (p++; *p; p++) {
        if (*p == '\\' && !*++p)
            return NULL;
        if (*p == '"')
            return p + 1;
    }
    return NULL;
}

/* The ',' or closing bracket that ends the value at p; NULL when malformed. */
static const char *skip_val(const char *p)
{
    int depth = 0;

    for (;;) {
        if (*p == '"') {
            p = skip_str(p);
            if (!p)
                return NULL;
            continue;
        }
        if (!*p)
            return NULL;
        if (depth == 0 && (*p == '}' || *p == ']' || *p == ','))
            return p;
        if (*p == '{' || *p == '[')
            depth++;
        else if (*p == '}' || *p == ']')
            depth--;
        p++;
    }
}

static size_t put_utf8(char *o, uint32_t c)
{
    if (c < 0x80) {
        o[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (char)(0xc0 | c >> 6);
        o[1] = (char)(0x80 | (c & 0x3f));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (char)(0xe0 | c >> 12);
        o[1] = (char)(0x80 | (c >> 6 & 0x3f));
        o[2] = (char)(0x80 | (c & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | c >> 18);
    o[1] = (char)(0x80 | (c >> 12 & 0x3f));
    o[2] = (char)(0x80 | (c >> 6 & 0x3f));
    o[3] = (char)(0x80 | (c & 0x3f));
    return 4;
}

/* The code point of \uXXXX[\uXXXX] at p (p at the 'u'); *len: characters used. */
static uint32_t unescape_u(const char *p, size_t *len)
{
    char hex[5] = {0};
    uint32_t c, lo;

    memcpy(hex, p + 1, 4);
    c = (uint32_t)strtoul(hex, NULL, 16);
    *len = 5;
    if (c >= 0xd800 && c < 0xdc00 && p[5] == '\\' && p[6] == 'u') {
        memcpy(hex, p + 7, 4);
        lo = (uint32_t)strtoul(hex, NULL, 16);
        if (lo >= 0xdc00 && lo < 0xe000) {
            *len = 11;
            return 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
        }
    }
    return c >= 0xd800 && c < 0xe000 ? 0xfffd : c;
}

/* Decode the JSON string body [p, end) into out (n bytes, always terminated). */
static void decode_str(const char *p, const char *end, char *out, size_t n)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    size_t o = 0, used;

    while (p < end && o + 5 < n) {
        const char *e = p[0] == '\\' && p + 1 < end && p[1] ? strchr(from, p[1]) : NULL;
        if (p[0] == '\\' && p[1] == 'u' && end - p >= 6) {
            o += put_utf8(out + o, unescape_u(p + 1, &used));
            p += 1 + used;
        } else if (e) {
            out[o++] = to[e - from];
            p += 2;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = 0;
}

/* The top-level member key of the JSON object in s: 1 a string, decoded into out; 2 any
 * other value, its text in out; 0 absent (or s is not an object). */
static int jget(const char *s, const char *key, char *out, size_t n)
{
    const char *p = skip_ws(s);
    size_t kl = strlen(key);

    if (*p != '{')
        return 0;
    for (p = skip_ws(p + 1); *p == '"';) {
        const char *k = p + 1, *ke = skip_str(p), *v, *ve;
        if (!ke)
            return 0;
        p = skip_ws(ke);
        if (*p != ':')
            return 0;
        v = skip_ws(p + 1);
        ve = skip_val(v);
        if (!ve)
            return 0;
        if ((size_t)(ke - 1 - k) == kl && memcmp(k, key, kl) == 0) {
            if (*v == '"') {
                decode_str(v + 1, skip_str(v) - 1, out, n);
                return 1;
            }
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            snprintf(out, n, "%.*s", (int)(ve - v), v);
            return 2;
        }
        p = *ve == ',' ? skip_ws(ve + 1) : ve;
    }
    return 0;
}

static uint64_t jnum(const char *s, const char *key)
{
    char v[32];

    return jget(s, key, v, sizeof v) == 2 ? strtoull(v, NULL, 10) : 0;
}

static int jtrue(const char *s, const char *key)
{
    char v[8];

    return jget(s, key, v, sizeof v) == 2 && strcmp(v, "true") == 0;
}

/* ---- output ---------------------------------------------------------------------------- */

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void view_init(struct view *v, struct out *u, struct board *b, size_t n)
{
    struct winsize ws = {0};

    memset(v, 0, sizeof *v);
    v->u = u;
    v->b = b;
    v->n = n;
    v->cols = 80;
    if (u->json || !isatty(STDERR_FILENO))
        return;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
        v->cols = ws.ws_col;
    /* The block is redrawn by moving the cursor up over it: it must fit on the screen. */
    v->tty = ws.ws_row == 0 || n + 2 <= ws.ws_row;
}

/* Take the status block off the terminal, so that lines printed now go above it. */
static void block_clear(struct view *v)
{
    if (!v->tty || !v->drawn)
        return;
    fprintf(stderr, "\033[%dA\r\033[J", v->drawn);
    v->drawn = 0;
}

/* A line on f above the status block (which comes back at the next redraw); tag: after
 * "f0boot flash: ", as messages are. */
static void say(struct view *v, FILE *f, int tag, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void say(struct view *v, FILE *f, int tag, const char *fmt, ...)
{
    char line[1200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    block_clear(v);
    if (tag)
        fprintf(f, "f0boot %s: ", v->u->cmd);
    esc_text(f, line);
    fputc('\n', f);
    fflush(f);
    view_redraw(v, 1);
}

/* line, an object from b's child, on stdout with "port" added when it has none. */
static void forward_json(const struct board *b, const char *line)
{
    char *pre = NULL, tmp[8];
    size_t len = 0;
    const char *body = skip_ws(line);
    FILE *m;
    struct json j;

    if (*body != '{')
        return;
    body = skip_ws(body + 1);
    if (jget(line, "port", tmp, sizeof tmp)) {
        fprintf(stdout, "%s\n", line);
        fflush(stdout);
        return;
    }
    m = open_memstream(&pre, &len);
    if (!m)
        return;
    json_begin(&j, m);
    json_str(&j, "port", b->port);
    json_end(&j);
    fclose(m);
    /* pre is {"port":"..."}\n: keep it up to its closing brace, then the child's members */
    while (len > 0 && (pre[len - 1] == '\n' || pre[len - 1] == '}'))
        len--;
    fprintf(stdout, "%.*s%s%s\n", (int)len, pre, *body == '}' ? "" : ",", body);
    fflush(stdout);
    free(pre);
}

/* The one-line account of a successful result object. */
static void done_text(struct board *b, const char *line)
{
    char crc[16] = "";
    double secs = (double)jnum(line, "ms") / 1000.0;

    jget(line, "crc", crc, sizeof crc);
    if (jtrue(line, "unchanged"))
        snprintf(b->done_text, sizeof b->done_text,
                 "unchanged (%llu bytes, crc32 %s already "
                 "on the device), nothing written",
                 (unsigned long long)jnum(line, "bytes"), crc);
    else
        snprintf(b->done_text, sizeof b->done_text,
                 "%llu bytes verified (crc32 %s), %llu sent "
                 "in %.2f s at %llu baud, %llu pages skipped, %llu retries",
                 (unsigned long long)jnum(line, "bytes"), crc,
                 (unsigned long long)jnum(line, "written"), secs,
                 (unsigned long long)jnum(line, "baud"),
                 (unsigned long long)jnum(line, "pages_skipped"),
                 (unsigned long long)jnum(line, "retries"));
}

static void on_result(struct board *b, const char *line)
{
    char ex[16];

    b->have_result = 1;
    b->ok = jtrue(line, "ok");
    b->exit = jget(line, "exit", ex, sizeof ex) == 2 ? (int)strtol(ex, NULL, 10)
              : b->ok                                ? 0
                                                     : F0B_EXIT_INTERNAL;
    if (b->ok)
        done_text(b, line);
    else if (!jget(line, "error", b->error, sizeof b->error))
        snprintf(b->error, sizeof b->error, "failed (exit %d)", b->exit);
}

/* The application's output (--expect): a plain line per line it printed; on the status
 * line the last one. */
static void on_output(struct view *v, struct board *b, char *msg)
{
    char *save = NULL;

    for (char *l = strtok_r(msg, "\r\n", &save); l; l = strtok_r(NULL, "\r\n", &save)) {
        snprintf(b->msg, sizeof b->msg, "%s", l);
        if (!v->u->json && !v->tty && !v->u->quiet)
            say(v, stderr, 0, "%s: %-8s %s", b->port, "output", l);
    }
}

/* An event other than the result: the board's state, and a plain line where one is due. */
static void on_event(struct view *v, struct board *b, const char *ev, const char *line)
{
    char msg[sizeof b->msg] = "";

    jget(line, "msg", msg, sizeof msg);
    b->t_ms = jnum(line, "t_ms");
    if (strcmp(ev, "progress") == 0) {
        b->done = jnum(line, "done");
        b->total = jnum(line, "total");
        return;
    }
    if (strcmp(ev, "warn") == 0) {
        if (!v->u->json)
            say(v, stderr, 1, "%s: warning: %s", b->port, msg);
        return;
    }
    if (strcmp(ev, "output") == 0) {
        on_output(v, b, msg);
        return;
    }
    if (strcmp(ev, "phase") == 0) {
        jget(line, "phase", b->phase, sizeof b->phase);
        if (strcmp(b->phase, "write") == 0)
            b->write_t0 = b->t_ms;
        b->done = b->total = 0;
    }
    snprintf(b->msg, sizeof b->msg, "%s", msg);
    if (!v->u->json && !v->tty && !v->u->quiet)
        say(v, stderr, 0, "%s: %-8s %s", b->port, strcmp(ev, "phase") ? ev : b->phase, msg);
}

/* Keep the end of what the child wrote on stderr: shown when it ends without a result. */
static void keep_tail(struct board *b, const char *line)
{
    size_t have = strlen(b->err_tail), add = strlen(line) + 1, cap = sizeof b->err_tail - 1;

    if (add > cap) {
        line += add - cap;
        add = cap;
    }
    if (have + add > cap) {
        memmove(b->err_tail, b->err_tail + (have + add - cap), cap - add);
        have = cap - add;
    }
    snprintf(b->err_tail + have, cap + 1 - have, "%s%s", have ? "\n" : "", line);
}

void view_line(struct view *v, struct board *b, int fd, const char *line)
{
    char ev[32];

    if (fd == 1) {
        keep_tail(b, line);
        return;
    }
    if (v->u->json)
        forward_json(b, line);
    if (jget(line, "event", ev, sizeof ev) != 1)
        return;
    if (strcmp(ev, "result") == 0)
        on_result(b, line);
    else
        on_event(v, b, ev, line);
    view_redraw(v, 0);
}

/* What a child that ended without a result object said last (or how it ended). */
static void no_result(struct view *v, struct board *b, int rc)
{
    const char *nl = strrchr(b->err_tail, '\n');
    const char *last = nl ? nl + 1 : b->err_tail;

    b->ok = 0;
    if (rc == 0)
        b->exit = rc = F0B_EXIT_INTERNAL;
    snprintf(b->error, sizeof b->error, "%.150s: f0boot ended without a result (exit %d)%s%.300s",
             b->port, rc, *last ? ": " : "", last);
    if (v->u->json) {
        struct json j;
        json_begin(&j, stdout);
        json_str(&j, "event", "result");
        json_str(&j, "port", b->port);
        json_bool(&j, "ok", 0);
        json_i64(&j, "exit", rc);
        json_str(&j, "error", b->error);
        json_end(&j);
    }
}

void view_finish(struct view *v, struct board *b, int rc)
{
    b->finished = 1;
    b->pid = 0;
    if (!b->have_result)
        no_result(v, b, rc);
    else
        b->ok = b->ok && rc == 0;
    b->exit = b->ok ? 0 : rc ? rc : b->exit;
    if (v->u->json)
        return;
    if (b->ok)
        say(v, stdout, 0, "%s: %s", b->port, b->done_text);
    else if (strncmp(b->error, b->port, strlen(b->port)) == 0)
        say(v, stderr, 1, "%s (exit %d)", b->error, b->exit);
    else
        say(v, stderr, 1, "%s: %s (exit %d)", b->port, b->error, b->exit);
}

/* ---- the status block ------------------------------------------------------------------ */

/* Board b's status for the block: ASCII only (the block's geometry depends on it). */
static void status(const struct view *v, const struct board *b, int pw, char *s, size_t n)
{
    char tail[160];

    if (b->finished && b->ok)
        snprintf(tail, sizeof tail, "done    %.140s", b->done_text);
    else if (b->finished)
        snprintf(tail, sizeof tail, "FAILED  exit %d", b->exit);
    else if (strcmp(b->phase, "write") == 0 && b->total) {
        char bar[21];
        int fill = (int)(20 * b->done / b->total);
        double secs = (double)(b->t_ms - b->write_t0) / 1000.0;
        for (int i = 0; i < 20; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[20] = 0;
        snprintf(tail, sizeof tail, "write   [%s] %3u%%  %.1f/%.1f KiB  %.1f KiB/s", bar,
                 (unsigned)(100 * b->done / b->total), (double)b->done / 1024.0,
                 (double)b->total / 1024.0, secs > 0 ? (double)b->done / 1024.0 / secs : 0.0);
    } else
        snprintf(tail, sizeof tail, "%-7s %.140s", b->phase[0] ? b->phase : "start", b->msg);
    snprintf(s, n, "%-*s  %s", pw, b->port, tail);
    for (char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            *p = '?';
    if ((int)strlen(s) >= v->cols)
        s[v->cols - 1] = 0;
}

void view_redraw(struct view *v, int force)
{
    uint64_t t = now_ms();
    int pw = 0;

    if (!v->tty || (!force && v->drawn && t < v->last_draw + 100))
        return;
    v->last_draw = t;
    for (size_t i = 0; i < v->n; i++) {
        int l = (int)strlen(v->b[i].port);
        pw = l > pw ? l : pw;
    }
    pw = pw > 40 ? 40 : pw;
    if (v->drawn)
        fprintf(stderr, "\033[%dA", v->drawn);
    for (size_t i = 0; i < v->n; i++) {
        char s[512];
        status(v, &v->b[i], pw, s, sizeof s);
        fprintf(stderr, "\r\033[2K%s\n", s);
    }
    fflush(stderr);
    v->drawn = (int)v->n;
}

/* ---- the end --------------------------------------------------------------------------- */

static int exit_rule(const struct view *v)
{
    int code = 0;

    for (size_t i = 0; i < v->n; i++) {
        if (v->b[i].ok)
            continue;
        if (code && code != v->b[i].exit)
            return F0B_EXIT_MULTI_MIXED;
        code = v->b[i].exit;
    }
    return code;
}

static void summary_json(const struct view *v, size_t ok, int code)
{
    struct json j;

    json_begin(&j, stdout);
    json_str(&j, "event", "summary");
    json_u64(&j, "boards", v->n);
    json_u64(&j, "ok", ok);
    json_u64(&j, "failed", v->n - ok);
    json_i64(&j, "exit", code);
    json_obj(&j, "failures");
    for (size_t i = 0; i < v->n; i++) {
        if (v->b[i].ok)
            continue;
        json_obj(&j, v->b[i].port);
        json_i64(&j, "exit", v->b[i].exit);
        json_str(&j, "error", v->b[i].error);
        json_close(&j);
    }
    json_close(&j);
    json_end(&j);
}

int view_summary(struct view *v)
{
    size_t ok = 0;
    int code = exit_rule(v);

    for (size_t i = 0; i < v->n; i++)
        ok += v->b[i].ok != 0;
    if (v->u->json) {
        summary_json(v, ok, code);
        return code;
    }
    view_redraw(v, 1);
    v->tty = 0; /* the block stays as it is: the summary goes below it */
    say(v, stdout, 0, "%zu boards: %zu flashed, %zu failed%s", v->n, ok, v->n - ok,
        code == F0B_EXIT_MULTI_MIXED ? " in different ways (exit 20)" : "");
    for (size_t i = 0; i < v->n; i++)
        if (!v->b[i].ok)
            say(v, stdout, 0, "  failed  %s  exit %d", v->b[i].port, v->b[i].exit);
    return code;
}
