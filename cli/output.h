/*
 * The one place f0boot talks to its user. A command describes its result once, as a list
 * of typed fields, and out_result() renders it as text (a title, "  label  value" lines and
 * a footer on stdout) or, with --json, as one JSON object on stdout. Failures go through
 * out_fail(): a message on stderr and, with --json, a JSON object with the exit code.
 * Every string is shown safely: control characters and bytes that are not UTF-8 are escaped
 * (\xNN in text; valid JSON and UTF-8 with --json), so a file cannot drive the terminal.
 */
#ifndef F0B_OUTPUT_H
#define F0B_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum out_kind {
    OUT_STR,  /* v.s; NULL shows as "" */
    OUT_UINT, /* v.u, decimal */
    OUT_INT,  /* v.i, decimal */
    OUT_HEX,  /* v.u as 0x%08x (a JSON string) */
    OUT_BOOL, /* v.u: true/false */
    OUT_REAL, /* v.d */
    OUT_OBJ,  /* JSON: "name":{ ... up to the matching OUT_END */
    OUT_END,  /* JSON: the "}" of the object of the same name */
};

struct out_field {
    const char *name; /* JSON member name; NULL: a text line only */
    enum out_kind kind;
    union {
        const char *s;
        uint64_t u;
        int64_t i;
        double d;
    } v;
    const char *label; /* text: shown as "  label<pad> value note"; NULL: JSON only */
    const char *text;  /* text: the value as shown, when not the JSON value itself */
    const char *note;  /* text: appended right after the value (e.g. " (ok)") */
};

/* Field constructors: OUT_F_UINT("vt_len", h->vt_len, .label = "vt_len", .note = vt).
 * After the value come the text options as designated initializers (.label, .text, .note). */
#define OUT_F_STR(key, val, ...)                                  \
    {                                                             \
        .name = (key), .kind = OUT_STR, .v.s = (val), __VA_ARGS__ \
    }
#define OUT_F_UINT(key, val, ...)                                  \
    {                                                              \
        .name = (key), .kind = OUT_UINT, .v.u = (val), __VA_ARGS__ \
    }
#define OUT_F_HEX(key, val, ...)                                  \
    {                                                             \
        .name = (key), .kind = OUT_HEX, .v.u = (val), __VA_ARGS__ \
    }
#define OUT_F_BOOL(key, val, ...)                                    \
    {                                                                \
        .name = (key), .kind = OUT_BOOL, .v.u = !!(val), __VA_ARGS__ \
    }
#define OUT_F_REAL(key, val, ...)                                  \
    {                                                              \
        .name = (key), .kind = OUT_REAL, .v.d = (val), __VA_ARGS__ \
    }
#define OUT_F_OBJ(key)                 \
    {                                  \
        .name = (key), .kind = OUT_OBJ \
    }
#define OUT_F_END(key)                 \
    {                                  \
        .name = (key), .kind = OUT_END \
    }

/* Where and how a command reports. */
struct out {
    const char *cmd;    /* "pack", "flash", ...: prefixes every message */
    int json;           /* --json given */
    int events;         /* the command streams JSON events: results and failures carry
                            "event":"result" and "exit" */
    FILE *res;          /* where results and JSON go: stdout, or stderr when stdout
                            carries the command's output file (pack -o /dev/stdout) */
    int quiet;          /* no phase lines or progress bar */
    int tty;            /* stderr is a terminal: draw a progress bar */
    int bar_drawn;      /* a progress bar is on the current stderr line */
    uint64_t last_draw; /* ms of the last progress shown */
    uint64_t write_t0;  /* ms when the write phase started: rate and ETA count from there */
};

/* Set up o for command cmd: json from a --json anywhere in argv (so even a usage error is
 * reported as JSON); events as described above. */
void out_init(struct out *o, const char *cmd, int events, int argc, char **argv);

/* The result: with --json one object {["event":"result",]"ok":ok[,"exit":0],fields...};
 * else title (if not NULL), the fields that have a label, and footer (if not NULL), one per
 * line on stdout (o->res). */
void out_result(struct out *o, int ok, const char *title, const struct out_field *f, size_t n,
                const char *footer);

/* Report a failure: "f0boot CMD: MSG" on stderr and, with --json, {["event":"result",]
 * "ok":false,"exit":code,"error":MSG} on stdout. Returns code. */
int out_fail(struct out *o, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A line "f0boot CMD: MSG" on stderr (lint findings, warnings, details), with or without
 * --json. */
void out_msg(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

enum out_event {
    OUT_EV_PHASE,    /* a step starts: phase and msg */
    OUT_EV_WARN,     /* something went wrong but the command goes on: msg */
    OUT_EV_PROGRESS, /* done of total bytes */
    OUT_EV_OUTPUT,   /* what the device printed (msg, as received; --expect) */
};

/* A progress event of a streaming command: with --json {"event":"phase"|"warn"|"progress"|
 * "output","phase":...,"msg":...,"done":...,"total":...,"t_ms":...} (progress at most every
 * 200 ms and the last one); else a warning line, a phase line (not with quiet), a progress
 * bar on a terminal, or the device's output as it came (OUT_EV_OUTPUT, not with quiet:
 * control characters escaped, carriage returns dropped). msg may be NULL. */
void out_event(struct out *o, enum out_event kind, const char *phase, const char *msg,
               uint64_t done, uint64_t total, uint64_t t_ms);

#endif
