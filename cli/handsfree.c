/* Ctrl-C, environment defaults and --expect for the bootloader commands (handsfree.h). */
#include "handsfree.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/exit_codes.h"
#include "common/util.h"

volatile sig_atomic_t hf_stop;

static void on_signal(int sig)
{
    (void)sig;
    hf_stop = 1;
}

void hf_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a blocked wait returns at once */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int hf_env_baud(struct out *u, const char *name, uint32_t *out, int *rc)
{
    const char *v = getenv(name);
    uint32_t x;

    if (!v || !*v)
        return 0;
    if (cli_parse_u32(v, &x) || x < 1200 || x > 12000000) {
        *rc = out_fail(u, F0B_EXIT_USAGE,
                       "%s=%s is not a baud rate (1200-12000000): fix or "
                       "unset it",
                       name, v);
        return -1;
    }
    *out = x;
    return 1;
}

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Show n received bytes as one output event (NULs shown as \x00 would need a length: they
 * are passed as the escape's own text). */
static void show(struct out *u, const uint8_t *b, size_t n, uint64_t t_ms)
{
    char text[1024];
    size_t k = 0;

    for (size_t i = 0; i < n && k + 5 < sizeof text; i++) {
        if (b[i] == 0) {
            memcpy(text + k, "\\x00", 4);
            k += 4;
        } else {
            text[k++] = (char)b[i];
        }
    }
    text[k] = 0;
    out_event(u, OUT_EV_OUTPUT, "expect", text, 0, 0, t_ms);
}

/* Append n bytes to the search window win (keeping its last cap bytes) and look for text. */
static int seen(char *win, size_t *wn, size_t cap, const uint8_t *b, size_t n, const char *text)
{
    for (size_t i = 0; i < n; i++) {
        if (*wn == cap) {
            memmove(win, win + 1, cap - 1);
            (*wn)--;
        }
        win[(*wn)++] = b[i] ? (char)b[i] : '\x01';
        win[*wn] = 0;
        if (strstr(win, text))
            return 1;
    }
    return 0;
}

static int line_done(const char *win, size_t wn) { return wn > 0 && win[wn - 1] == '\n'; }

/* The text was seen: show the rest of its line (up to TAIL_MS more), for the reader. */
#define TAIL_MS 200
static void finish_line(struct out *u, struct f0b_port *p, uint64_t t0)
{
    uint64_t end = now_ms() + TAIL_MS;
    uint8_t b[256];

    while (!hf_stop && now_ms() < end) {
        int n = p->ops->read(p->ctx, b, sizeof b, 20);
        if (n < 0)
            return;
        if (n == 0)
            continue;
        uint8_t *nl = memchr(b, '\n', (size_t)n);
        show(u, b, nl ? (size_t)(nl - b) + 1 : (size_t)n, now_ms() - t0);
        if (nl)
            return;
    }
}

int hf_expect(struct out *u, struct f0b_port *p, const char *text, uint32_t timeout_ms,
              uint32_t app_baud, uint32_t cur_baud, const uint8_t *pending, size_t npending,
              uint64_t *ms)
{
    size_t cap = strlen(text), wn = 0;
    char *win = malloc(cap + 1);
    uint64_t t0 = now_ms(), end = t0 + timeout_ms;
    uint8_t buf[512];
    int found = 0, rc = 0;

    if (!win)
        return F0B_E_NOMEM;
    win[0] = 0;
    if (app_baud != cur_baud && p->ops->set_baud(p->ctx, app_baud) < 0)
        rc = F0B_E_IO;
    if (rc == 0 && npending) {
        show(u, pending, npending, 0);
        found = seen(win, &wn, cap, pending, npending, text);
    }
    while (rc == 0 && !found) {
        uint64_t t = now_ms();
        if (hf_stop) {
            rc = F0B_E_ABORTED;
            break;
        }
        if (t >= end)
            break;
        int n = p->ops->read(p->ctx, buf, sizeof buf, (int)(end - t < 50 ? end - t : 50));
        if (n < 0)
            rc = n;
        else if (n > 0) {
            show(u, buf, (size_t)n, now_ms() - t0);
            found = seen(win, &wn, cap, buf, (size_t)n, text);
        }
    }
    *ms = now_ms() - t0;
    if (rc == 0 && found && !line_done(win, wn))
        finish_line(u, p, t0);
    free(win);
    return rc < 0 ? rc : found;
}
