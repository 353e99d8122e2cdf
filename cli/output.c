#include "output.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/esc.h"
#include "common/json.h"

void out_init(struct out *o, const char *cmd, int events, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->cmd = cmd;
    o->res = stdout;
    o->events = events;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--json") == 0)
            o->json = 1;
}

/* Finish a progress bar line before anything else goes to stderr. */
static void end_bar(struct out *o)
{
    if (o->bar_drawn)
        fputc('\n', stderr);
    o->bar_drawn = 0;
}

static void json_field(struct json *j, const struct out_field *f)
{
    switch (f->kind) {
    case OUT_STR: json_str(j, f->name, f->v.s); break;
    case OUT_UINT: json_u64(j, f->name, f->v.u); break;
    case OUT_INT: json_i64(j, f->name, f->v.i); break;
    case OUT_HEX: json_hex32(j, f->name, (uint32_t)f->v.u); break;
    case OUT_BOOL: json_bool(j, f->name, f->v.u != 0); break;
    case OUT_REAL: json_dbl(j, f->name, f->v.d); break;
    case OUT_OBJ: json_obj(j, f->name); break;
    case OUT_END: json_close(j); break;
    }
}

static void text_value(char *b, size_t n, const struct out_field *f)
{
    switch (f->kind) {
    case OUT_STR: snprintf(b, n, "%s", f->v.s ? f->v.s : ""); break;
    case OUT_UINT: snprintf(b, n, "%llu", (unsigned long long)f->v.u); break;
    case OUT_INT: snprintf(b, n, "%lld", (long long)f->v.i); break;
    case OUT_HEX: snprintf(b, n, "0x%08x", (unsigned)f->v.u); break;
    case OUT_BOOL: snprintf(b, n, "%s", f->v.u ? "yes" : "no"); break;
    case OUT_REAL: snprintf(b, n, "%g", f->v.d); break;
    default: b[0] = '\0'; break;
    }
}

/* A line of text on f, escaped. */
static void text_line(FILE *f, const char *s)
{
    esc_text(f, s);
    fputc('\n', f);
}

void out_result(struct out *o, int ok, const char *title, const struct out_field *f, size_t n,
                const char *footer)
{
    if (o->json) {
        struct json j;
        json_begin(&j, o->res);
        if (o->events)
            json_str(&j, "event", "result");
        json_bool(&j, "ok", ok);
        if (o->events)
            json_i64(&j, "exit", 0);
        for (size_t i = 0; i < n; i++)
            if (f[i].name)
                json_field(&j, &f[i]);
        json_end(&j);
        return;
    }
    end_bar(o);
    if (title)
        text_line(o->res, title);
    for (size_t i = 0; i < n; i++) {
        char v[256], line[512];
        if (!f[i].label)
            continue;
        text_value(v, sizeof v, &f[i]);
        snprintf(line, sizeof line, "  %-13s %s%s", f[i].label, f[i].text ? f[i].text : v,
                 f[i].note ? f[i].note : "");
        text_line(o->res, line);
    }
    if (footer)
        text_line(o->res, footer);
    fflush(o->res);
}

int out_fail(struct out *o, int code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    out_msg(o, "%s", msg);
    if (o->json) {
        struct json j;
        json_begin(&j, o->res);
        if (o->events)
            json_str(&j, "event", "result");
        json_bool(&j, "ok", 0);
        json_i64(&j, "exit", code);
        json_str(&j, "error", msg);
        json_end(&j);
    }
    return code;
}

void out_msg(struct out *o, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    end_bar(o);
    fprintf(stderr, "f0boot %s: ", o->cmd);
    text_line(stderr, msg);
}

/* The device's output on stderr: carriage returns dropped, the rest through esc_text. */
static void device_text(const char *s)
{
    char buf[256];
    size_t k = 0;

    for (; *s; s++) {
        if (*s != '\r')
            buf[k++] = *s;
        if (k == sizeof buf - 1 || !s[1]) {
            buf[k] = 0;
            esc_text(stderr, buf);
            k = 0;
        }
    }
    fflush(stderr);
}

static void json_event(struct out *o, enum out_event kind, const char *phase, const char *msg,
                       uint64_t done, uint64_t total, uint64_t t_ms)
{
    struct json j;

    if (kind == OUT_EV_PROGRESS && done != total && t_ms < o->last_draw + 200)
        return;
    o->last_draw = t_ms;
    json_begin(&j, stdout);
    json_str(&j, "event",
             kind == OUT_EV_PHASE    ? "phase"
             : kind == OUT_EV_WARN   ? "warn"
             : kind == OUT_EV_OUTPUT ? "output"
                                     : "progress");
    json_str(&j, "phase", phase);
    if (msg)
        json_str(&j, "msg", msg);
    if (kind == OUT_EV_PROGRESS) {
        json_u64(&j, "done", done);
        json_u64(&j, "total", total);
    }
    json_u64(&j, "t_ms", t_ms);
    json_end(&j);
}

/* "[#####.....]  42%  12.0/28.0 KiB  11.2 KiB/s  ETA   2s" on a terminal. */
static void draw_bar(struct out *o, uint64_t done, uint64_t total, uint64_t t_ms)
{
    double secs = (double)(t_ms - o->write_t0) / 1000.0;
    double rate = secs > 0 ? (double)done / secs : 0;
    double eta = rate > 0 ? (double)(total - done) / rate : 0;
    int w = 30, fill = (int)((uint64_t)w * done / total);
    char bar[32];

    if (done != total && o->bar_drawn && t_ms < o->last_draw + 100)
        return;
    o->last_draw = t_ms;
    for (int i = 0; i < w; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[w] = 0;
    fprintf(stderr, "\r[%s] %3u%%  %6.1f/%.1f KiB  %5.1f KiB/s  ETA %3.0fs ", bar,
            (unsigned)(100u * done / total), (double)done / 1024.0, (double)total / 1024.0,
            rate / 1024.0, eta);
    fflush(stderr);
    o->bar_drawn = 1;
}

void out_event(struct out *o, enum out_event kind, const char *phase, const char *msg,
               uint64_t done, uint64_t total, uint64_t t_ms)
{
    if (o->json) {
        json_event(o, kind, phase, msg, done, total, t_ms);
        return;
    }
    if (kind == OUT_EV_WARN) {
        out_msg(o, "warning: %s", msg ? msg : "");
        return;
    }
    if (o->quiet)
        return;
    if (kind == OUT_EV_OUTPUT) {
        end_bar(o);
        device_text(msg ? msg : "");
        return;
    }
    if (kind == OUT_EV_PHASE) {
        char line[512];
        end_bar(o);
        if (strcmp(phase, "write") == 0)
            o->write_t0 = t_ms;
        snprintf(line, sizeof line, "%-8s %s", phase, msg ? msg : "");
        text_line(stderr, line);
        return;
    }
    /* progress: a bar on a terminal, nothing between phases otherwise */
    if (o->tty && total != 0)
        draw_bar(o, done, total, t_ms);
}
