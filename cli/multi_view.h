/* The report of `f0boot flash` on several boards: what each board's child process said (its
 * --json stream, one line at a time) turned into one status line per board on a terminal,
 * plain per-board lines otherwise, or one JSON stream where every object carries its
 * "port"; then the summary and the exit code. Used by flash_multi.c only. */
#ifndef F0B_MULTI_VIEW_H
#define F0B_MULTI_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "output.h"

/* One board: its port and what its child has reported so far. */
struct board {
    const char *port; /* the PORT its child flashes (a path, a URL) */
    int pid;          /* the child; 0 before it starts or after it was reaped */
    int fd[2];        /* read ends of the child's stdout and stderr; -1 when closed */
    char *line[2];    /* bytes of an unfinished line from fd[k] */
    size_t line_n[2], line_cap[2];
    char phase[16];          /* the phase it is in ("connect", "write", ...) */
    char msg[200];           /* that phase's message, or the latest warning */
    uint64_t done, total;    /* write progress, bytes */
    uint64_t t_ms, write_t0; /* the child's clock at its last event and when writing began */
    int finished;            /* the child has exited and been reaped */
    int have_result;         /* its result object was seen */
    int ok;                  /* it succeeded (exit 0 and an ok result) */
    int exit;                /* its exit code (128+N when killed by signal N) */
    char error[512];         /* the failure message of its result (or why there is none) */
    char done_text[256];     /* the one-line account of a success */
    char err_tail[512];      /* the last stderr of its child, shown when no result came */
};

/* The whole run. */
struct view {
    struct out *u;      /* cmd "flash": json and quiet as given */
    int tty;            /* status lines redrawn in place on stderr */
    int cols;           /* terminal width (tty) */
    int drawn;          /* lines of the status block now on the terminal */
    uint64_t last_draw; /* ms (monotonic) of the last redraw */
    struct board *b;
    size_t n;
};

/* Set up v for boards b[0..n) reported through u; tty from stderr being a terminal tall
 * enough for one line per board (and not --json). */
void view_init(struct view *v, struct out *u, struct board *b, size_t n);

/* A complete line (no newline) from board b's child: fd 0 its stdout (a JSON object), 1 its
 * stderr. Updates b and shows what the mode shows of it. */
void view_line(struct view *v, struct board *b, int fd, const char *line);

/* Board b's child has exited with code rc (after all its output was read): b is finished,
 * its outcome shown. */
void view_finish(struct view *v, struct board *b, int rc);

/* Redraw the status block (a terminal only): at most every 100 ms unless force. */
void view_redraw(struct view *v, int force);

/* The summary (text lines, or one JSON object {"event":"summary",...}) and the exit code:
 * 0 when every board succeeded, the code every failed board shares, or
 * F0B_EXIT_MULTI_MIXED. */
int view_summary(struct view *v);

#endif
