/* What the bootloader commands share (device.h): options, connecting, failures, the image. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "device.h"
#include "handsfree.h"
#include "common/exit_codes.h"
#include "common/util.h"
#include "f0boot/flash.h"
#include "f0boot/image.h"
#include "format.h"
#include "output.h"
#include "pack.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* libflash's events, shown through the output layer. */
static void on_event(void *ctx, const struct f0b_event *ev)
{
    enum out_event kind;

    switch (ev->kind) {
    case F0B_EV_PHASE: kind = OUT_EV_PHASE; break;
    case F0B_EV_PROGRESS: kind = OUT_EV_PROGRESS; break;
    case F0B_EV_WARN: kind = OUT_EV_WARN; break;
    default: return;
    }
    out_event(ctx, kind, ev->phase, ev->msg, ev->done, ev->total, ev->elapsed_ms);
}

/* The container to send: the file itself, or a .hex/.elf packed as `f0boot pack` would.
 * A container that breaks one of the bootloader's header rules (chk.boot_rule) is sent
 * all the same: the device applies those rules against its own part and says why it
 * refuses (exit 14) before it erases anything. */
int dev_load_image(struct out *o, const char *path, const char *part_name, int force, uint8_t **cnt,
                   size_t *cnt_len)
{
    struct pack_req r = {.in = path, .force = force, .verb = "flash"};
    struct packed p = {0};
    struct f0b_img_hdr h;
    struct f0b_container_check chk;
    struct f0b_img_error err;
    uint8_t *buf = NULL;
    size_t len = 0;
    char msg[512];
    int rc = cli_read_file(path, &buf, &len, msg, sizeof msg);

    if (rc)
        return out_fail(o, rc, "%s", msg);
    if (f0b_sniff(buf, len) == F0B_FMT_CONTAINER) {
        rc = f0b_container_verify(buf, len, &h, &chk, &err);
        if (rc && !chk.boot_rule) {
            free(buf);
            return out_fail(o,
                            rc == F0B_IMG_ECNT_MAGIC || rc == F0B_IMG_ECNT_SHORT ||
                                    rc == F0B_IMG_ECNT_VERSION
                                ? F0B_EXIT_INPUT_FORMAT
                                : F0B_EXIT_CONTAINER,
                            "%s: %s", path, err.detail);
        }
        *cnt = buf;
        *cnt_len = len;
        return 0;
    }
    r.part = f0b_part_by_name(part_name);
    if (!r.part)
        rc = out_fail(o, F0B_EXIT_USAGE,
                      "unknown part '%s'; f0boot pack --help lists the "
                      "parts",
                      part_name);
    else
        rc = pack_image(o, &r, buf, len, &p);
    free(buf);
    if (rc == 0) {
        *cnt = p.cnt;
        *cnt_len = p.len;
    }
    return rc;
}

static int exit_for(int err)
{
    switch (err) {
    case F0B_E_ARG: return F0B_EXIT_USAGE;
    case F0B_E_PORT: return F0B_EXIT_PORT;
    case F0B_E_NO_ANSWER: return F0B_EXIT_NO_ANSWER;
    case F0B_E_VERSION: return F0B_EXIT_VERSION;
    case F0B_E_REFUSED: return F0B_EXIT_REFUSED;
    case F0B_E_VERIFY: return F0B_EXIT_VERIFY;
    case F0B_E_NOMEM: return F0B_EXIT_INTERNAL;
    case F0B_E_ABORTED: return F0B_EXIT_ABORTED;
    case F0B_E_NO_LINES: return F0B_EXIT_PORT;
    default: return F0B_EXIT_TRANSFER;
    }
}

/* A session failure as a message that says what to do. */
int dev_fail(struct out *u, struct f0b_session *s, const char *port, int err)
{
    int code = exit_for(err);

    switch (err) {
    case F0B_E_NO_ANSWER:
        return out_fail(u, code,
                        "%s: no bootloader answered, nor did the application take the "
                        "request: the right port and baud rate (--app-baud for the "
                        "application's)? Boards wired to DTR/RTS: --reset; others: --wait MS "
                        "and reset or power-cycle the board",
                        port);
    case F0B_E_ABORTED:
        return out_fail(u, code,
                        "aborted: f0boot stopped at a frame boundary and closed the "
                        "port; a device in its bootloader stays there and takes a new update "
                        "(a valid application starts again after the idle timeout)");
    case F0B_E_NO_LINES:
        return out_fail(u, code,
                        "%s: --reset needs DTR/RTS, and this port has none (raw "
                        "TCP, a pty): use rfc2217:// or a serial port, or --reset none",
                        port);
    case F0B_E_VERSION:
        return out_fail(u, code,
                        "%s: the bootloader speaks protocol %u.x, this f0boot speaks "
                        "%u.%u: use an f0boot release for protocol %u, or update the "
                        "bootloader",
                        port, f0b_sess_info(s)->proto_major, F0B_PROTO_MAJOR, F0B_PROTO_MINOR,
                        f0b_sess_info(s)->proto_major);
    case F0B_E_REFUSED:
        return out_fail(u, code, "the device refused: %s (status 0x%02x)",
                        f0b_status_str(f0b_sess_last_status(s)), f0b_sess_last_status(s));
    case F0B_E_VERIFY:
        return out_fail(u, code,
                        "read-back check failed: the device's flash does not match "
                        "the image; the application is not committed. Flash again; if it "
                        "persists the flash may be worn");
    case F0B_E_TRANSFER:
        return out_fail(u, code,
                        "%s: transfer failed after retries: the line is too noisy or "
                        "the device stopped answering; try a lower --baud or more --retries. "
                        "The device stays in the bootloader and accepts a new update",
                        port);
    default: /* F0B_E_IO and the rest: the library's own words */
        return out_fail(u, code, "%s: %s", port, f0b_flash_strerror(err));
    }
}

static const char *const num_opts[] = {"--baud", "--fast-baud", "--timeout",       "--retries",
                                       "--wait", "--app-baud",  "--expect-timeout"};

/* Value x acceptable for num_opts[k]: the rates are baud rates (--fast-baud 0: off). */
static int num_ok(size_t k, uint32_t x)
{
    if (k == 0 || k == 5 || (k == 1 && x != 0))
        return x >= 1200 && x <= 12000000;
    return 1;
}

static int is_rate(size_t k) { return k < 2 || k == 5; }

/* A numeric option at argv[*i]: 1 if it was one (*rc set to the exit code when its value
 * is bad), 0 if not. */
static int num_opt(struct out *u, struct common *c, int argc, char **argv, int *i, int *rc)
{
    uint32_t *dst[] = {&c->baud, &c->fast_baud, &c->timeout,       &c->retries,
                       &c->wait, &c->app_baud,  &c->expect_timeout};
    uint32_t x;

    for (size_t k = 0; k < COUNT(num_opts); k++) {
        if (!cli_is_opt(argv[*i], num_opts[k]))
            continue;
        if (cli_parse_u32(cli_optval(argc, argv, i, num_opts[k]), &x) || !num_ok(k, x)) {
            *rc = out_fail(u, F0B_EXIT_USAGE, "%s needs a number%s; see f0boot %s --help",
                           num_opts[k], is_rate(k) ? " (a baud rate, 1200-12000000)" : "", u->cmd);
            return 1;
        }
        *dst[k] = x;
        c->given |= 1u << k;
        if (dst[k] == &c->wait)
            c->have_wait = 1;
        return 1;
    }
    return 0;
}

/* A flag without a value: 1 if a is one (flash's own only when want has DEV_FLASH). */
static int flag_opt(struct common *c, const char *a, int want)
{
    if (strcmp(a, "--json") == 0)
        return 1;
    if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0)
        return c->quiet = 1;
    if (strcmp(a, "--no-ask") == 0)
        return c->no_ask = 1;
    if ((want & DEV_IMAGE) && strcmp(a, "--force") == 0)
        return c->force = 1;
    if (!(want & DEV_FLASH))
        return 0;
    if (strcmp(a, "--no-boot") == 0)
        return c->no_boot = 1;
    if (strcmp(a, "--skip-unchanged") == 0)
        return c->skip = 1;
    return 0;
}

/* An option with a text value (--part, --reset, --expect): 1 if a is one (*rc set when its
 * value is missing or bad), 0 if not. */
static int text_opt(struct out *u, struct common *c, int argc, char **argv, int *i, int *rc,
                    int want)
{
    const char *a = argv[*i];
    char err[300];

    if ((want & DEV_IMAGE) && cli_is_opt(a, "--part")) {
        if (!(c->part = cli_optval(argc, argv, i, "--part")))
            *rc = out_fail(u, F0B_EXIT_USAGE, "--part needs a part name");
    } else if (cli_is_opt(a, "--reset")) {
        c->reset_text = cli_optval(argc, argv, i, "--reset");
        if (!c->reset_text)
            *rc = out_fail(u, F0B_EXIT_USAGE,
                           "--reset needs a sequence (none, dtr, rts, "
                           "dtr-rts, rts-dtr, or steps such as D1,R0,W100,D0)");
        else if (f0b_reset_parse(c->reset_text, &c->reset, err, sizeof err) < 0)
            *rc = out_fail(u, F0B_EXIT_USAGE, "--reset %s: %s", c->reset_text, err);
    } else if ((want & DEV_BOOTS) && cli_is_opt(a, "--expect")) {
        c->expect = cli_optval(argc, argv, i, "--expect");
        if (!c->expect || !*c->expect)
            *rc = out_fail(u, F0B_EXIT_USAGE,
                           "--expect needs the text the application "
                           "prints when it has come up (e.g. --expect \"v2 ready\")");
    } else {
        return 0;
    }
    return 1;
}

/* PORT, then IMAGE (flash, verify), or an unknown option. -1, or the exit code. */
static int positional(struct out *u, struct common *c, const char *a, int want)
{
    if (a[0] == '-' && a[1] != 0)
        return out_fail(u, F0B_EXIT_USAGE, "unknown option '%s'; see f0boot %s --help", a, u->cmd);
    if (!c->port)
        c->port = a;
    else if ((want & DEV_IMAGE) && !c->image)
        c->image = a;
    else
        return out_fail(u, F0B_EXIT_USAGE, "unexpected argument '%s'; see f0boot %s --help", a,
                        u->cmd);
    return -1;
}

/* F0BOOT_BAUD and F0BOOT_FAST_BAUD where --baud / --fast-baud were not given (a flag wins,
 * and then the variable is not even looked at): -1, or the exit code. */
static int env_defaults(struct out *u, struct common *c)
{
    int rc = -1;

    if (!(c->given & 1u) && hf_env_baud(u, "F0BOOT_BAUD", &c->baud, &rc) < 0)
        return rc;
    if (!(c->given & 2u) && hf_env_baud(u, "F0BOOT_FAST_BAUD", &c->fast_baud, &rc) < 0)
        return rc;
    return -1;
}

/* F0BOOT_PORT when no PORT was given (with one positional to an IMAGE command, that one is
 * the IMAGE), then the checks of the whole command line. -1, or the exit code. */
static int finish(struct out *u, struct common *c, int want)
{
    const char *env = getenv("F0BOOT_PORT");

    if (env && *env && (want & DEV_IMAGE) && c->port && !c->image) {
        c->image = c->port;
        c->port = env;
    } else if (env && *env && !c->port) {
        c->port = env;
    }
    if (!c->port || ((want & DEV_IMAGE) && !c->image))
        return out_fail(u, F0B_EXIT_USAGE,
                        (want & DEV_IMAGE)
                            ? "need a PORT and an IMAGE: "
                              "f0boot %s /dev/ttyUSB0 app.img (or PORT in F0BOOT_PORT)"
                            : "need a PORT: f0boot %s /dev/ttyUSB0 (or PORT in F0BOOT_PORT)",
                        u->cmd);
    if (c->timeout == 0)
        return out_fail(u, F0B_EXIT_USAGE, "--timeout must be at least 1 ms");
    if (!c->app_baud)
        c->app_baud = c->baud;
    return -1;
}

/* Parse the options of a bootloader command. Returns -1 to continue, or an exit code. */
int dev_parse(struct out *u, int argc, char **argv, struct common *c, int want,
              void (*usage)(FILE *))
{
    int rc;

    hf_signals(); /* from here on Ctrl-C ends with exit 130, "aborted" */
    memset(c, 0, sizeof *c);
    c->baud = 115200;
    c->timeout = 1000;
    c->retries = 5;
    c->expect_timeout = 10000;
    c->part = "stm32f030xc";
    c->json = u->json;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        rc = -1;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return F0B_EXIT_OK;
        }
        if (!num_opt(u, c, argc, argv, &i, &rc) && !flag_opt(c, a, want) &&
            !text_opt(u, c, argc, argv, &i, &rc, want))
            rc = positional(u, c, a, want);
        if (rc >= 0)
            return rc;
    }
    if ((rc = env_defaults(u, c)) >= 0 || (rc = finish(u, c, want)) >= 0)
        return rc;
    u->quiet = c->quiet;
    u->tty = isatty(STDERR_FILENO) && !c->json;
    return -1;
}

static void opts_from(struct common *c, struct out *u, struct f0b_flash_opts *o)
{
    f0b_flash_opts_default(o);
    o->baud = c->baud;
    o->fast_baud = c->fast_baud;
    o->timeout_ms = (int)c->timeout;
    o->retries = (int)c->retries;
    o->connect_ms = c->have_wait ? (int)c->wait : 3000;
    o->no_boot = c->no_boot;
    o->skip_unchanged = c->skip;
    o->event = on_event;
    o->event_ctx = u;
    o->stop = &hf_stop;
}

static int open_port(struct out *u, struct common *c, struct f0b_port *p)
{
    char err[300];
    int rc =
        f0b_port_open(p, c->port, c->baud, (int)(c->have_wait ? c->wait : 3000), err, sizeof err);

    if (rc)
        return out_fail(u, rc == F0B_E_ARG ? F0B_EXIT_USAGE : F0B_EXIT_PORT, "%s", err);
    return -1;
}

int dev_connect(struct out *u, struct common *c, struct device *d, int events)
{
    struct f0b_flash_opts o;
    struct f0b_entry_opts e;
    int rc;

    rc = open_port(u, c, &d->port);
    if (rc >= 0)
        return rc;
    opts_from(c, u, &o);
    if (!events)
        o.event = NULL;
    if (f0b_sess_create(&d->s, &d->port, &o) < 0)
        return out_fail(u, F0B_EXIT_INTERNAL, "out of memory");
    f0b_entry_opts_default(&e);
    e.ask = !c->no_ask;
    e.app_baud = c->app_baud;
    e.reset = &c->reset;
    rc = f0b_sess_enter(d->s, &e, &d->how);
    return rc < 0 ? dev_fail(u, d->s, c->port, rc) : -1;
}

void dev_disconnect(struct device *d)
{
    f0b_sess_free(d->s);
    f0b_port_close(&d->port); /* also after a failed reopen (ops NULL) */
}

const char *const dev_exit_text =
    "exit codes: 0 success, 2 usage, 3 image unreadable, 4 image malformed, 5 image fails lint,\n"
    "  7 container CRC/field check failed, 10 port cannot be opened, 11 no bootloader answered,\n"
    "  12 bootloader speaks another protocol version, 13 transfer failed after retries,\n"
    "  14 device refused (reason printed), 15 read-back check failed (verify: differs),\n"
    "  16 --expect text not seen, 130 interrupted (the device stays in its bootloader),\n"
    "  1 internal error\n"
    "environment: F0BOOT_PORT (PORT when none is given), F0BOOT_BAUD (--baud),\n"
    "  F0BOOT_FAST_BAUD (--fast-baud); options on the command line win\n";

const char *const dev_entry_text =
    "Into the bootloader: when no bootloader answers at once, the running application is\n"
    "asked (the request sequence at --app-baud), then --reset is run, then f0boot greets\n"
    "until --wait has passed (reset or power-cycle the board then). Which way worked is shown.\n"
    "  --app-baud N      the application's line rate for the request (default: --baud)\n"
    "  --no-ask          do not send the request sequence to a running application\n"
    "  --reset SEQ       DTR/RTS reset for boards wired to NRST/BOOT0: none (default), dtr,\n"
    "                    rts, dtr-rts (NRST on DTR, BOOT0 on RTS), rts-dtr, or steps such as\n"
    "                    D1,R0,W100,D0 (D/R 1 assert, 0 negate; Wms waits); serial ports and\n"
    "                    rfc2217:// only\n"
    "  --wait MS         greet this long in all for the bootloader (default 3000)\n";

const char *const dev_port_text =
    "PORT: a serial device (/dev/ttyUSB0, ttyUSB0, a /dev/serial/by-id link), a selector\n"
    "  usb:VID:PID[:SERIAL] (`f0boot ports` lists them), socket://HOST:PORT (raw TCP: ser2net, f0sim)\n"
    "  or rfc2217://HOST:PORT (ser2net in RFC 2217 mode: baud changes reach the far UART)\n";

/* --expect after BOOT (cur_baud: the rate the session ran at): -1 when the text was seen
 * (or there is no --expect), else the exit code (reported). */
int dev_expect(struct out *u, struct common *c, struct device *d, uint32_t cur_baud,
               struct expect_res *x)
{
    uint8_t pend[512];
    size_t n;
    char msg[300];
    int rc;

    if (!c->expect)
        return -1;
    n = f0b_sess_take_input(d->s, pend, sizeof pend);
    snprintf(msg, sizeof msg, "waiting up to %u ms for the application to print \"%s\"",
             c->expect_timeout, c->expect);
    out_event(u, OUT_EV_PHASE, "expect", msg, 0, 0, 0);
    rc = hf_expect(u, &d->port, c->expect, c->expect_timeout, c->app_baud, cur_baud, pend, n,
                   &x->ms);
    if (rc == 1) {
        x->seen = 1;
        return -1;
    }
    if (rc == 0)
        return out_fail(u, F0B_EXIT_EXPECT,
                        "%s: the application did not print \"%s\" within "
                        "%u ms of BOOT: it did not start, or prints something else (its output "
                        "is shown above; --expect-timeout MS waits longer)",
                        c->port, c->expect, c->expect_timeout);
    return dev_fail(u, d->s, c->port, rc);
}
