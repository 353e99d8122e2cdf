/* f0boot flash / probe / boot: the commands that talk to a bootloader (libflash does the work). */
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
int dev_load_image(struct out *o, const char *path, const char *part_name, int force,
                      uint8_t **cnt, size_t *cnt_len)
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
            return out_fail(o, rc == F0B_IMG_ECNT_MAGIC || rc == F0B_IMG_ECNT_SHORT ||
                            rc == F0B_IMG_ECNT_VERSION ? F0B_EXIT_INPUT_FORMAT :
                            F0B_EXIT_CONTAINER, "%s: %s", path, err.detail);
        }
        *cnt = buf;
        *cnt_len = len;
        return 0;
    }
    r.part = f0b_part_by_name(part_name);
    if (!r.part)
        rc = out_fail(o, F0B_EXIT_USAGE, "unknown part '%s'; f0boot pack --help lists the "
                      "parts", part_name);
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
        return out_fail(u, code, "%s: no bootloader answered, nor did the application take the "
                        "request: the right port and baud rate (--app-baud for the "
                        "application's)? Boards wired to DTR/RTS: --reset; others: --wait MS "
                        "and reset or power-cycle the board", port);
    case F0B_E_ABORTED:
        return out_fail(u, code, "aborted: f0boot stopped at a frame boundary and closed the "
                        "port; a device in its bootloader stays there and takes a new update "
                        "(a valid application starts again after the idle timeout)");
    case F0B_E_NO_LINES:
        return out_fail(u, code, "%s: --reset needs DTR/RTS, and this port has none (raw "
                        "TCP, a pty): use rfc2217:// or a serial port, or --reset none", port);
    case F0B_E_VERSION:
        return out_fail(u, code, "%s: the bootloader speaks protocol %u.x, this f0boot speaks "
                        "%u.%u: use an f0boot release for protocol %u, or update the "
                        "bootloader", port, f0b_sess_info(s)->proto_major, F0B_PROTO_MAJOR,
                        F0B_PROTO_MINOR, f0b_sess_info(s)->proto_major);
    case F0B_E_REFUSED:
        return out_fail(u, code, "the device refused: %s (status 0x%02x)",
                        f0b_status_str(f0b_sess_last_status(s)), f0b_sess_last_status(s));
    case F0B_E_VERIFY:
        return out_fail(u, code, "read-back check failed: the device's flash does not match "
                        "the image; the application is not committed. Flash again; if it "
                        "persists the flash may be worn");
    case F0B_E_TRANSFER:
        return out_fail(u, code, "%s: transfer failed after retries: the line is too noisy or "
                        "the device stopped answering; try a lower --baud or more --retries. "
                        "The device stays in the bootloader and accepts a new update", port);
    case F0B_E_IO:
        return out_fail(u, code, "%s: %s", port, f0b_flash_strerror(err));
    default:
        return out_fail(u, code, "%s: %s", port, f0b_flash_strerror(err));
    }
}

static const char *const num_opts[] = {"--baud", "--fast-baud", "--timeout", "--retries",
                                      "--wait", "--app-baud", "--expect-timeout"};

/* Value x acceptable for num_opts[k]: the rates are baud rates (--fast-baud 0: off). */
static int num_ok(size_t k, uint32_t x)
{
    if (k == 0 || k == 5 || (k == 1 && x != 0))
        return x >= 1200 && x <= 12000000;
    return 1;
}

static int is_rate(size_t k)
{
    return k < 2 || k == 5;
}

/* A numeric option at argv[*i]: 1 if it was one (*rc set to the exit code when its value
 * is bad), 0 if not. */
static int num_opt(struct out *u, struct common *c, int argc, char **argv, int *i, int *rc)
{
    uint32_t *dst[] = {&c->baud, &c->fast_baud, &c->timeout, &c->retries, &c->wait,
                       &c->app_baud, &c->expect_timeout};
    uint32_t x;

    for (size_t k = 0; k < COUNT(num_opts); k++) {
        if (!cli_is_opt(argv[*i], num_opts[k]))
            continue;
        if (cli_parse_u32(cli_optval(argc, argv, i, num_opts[k]), &x) || !num_ok(k, x)) {
            *rc = out_fail(u, F0B_EXIT_USAGE, "%s needs a number%s; see f0boot %s --help",
                           num_opts[k], is_rate(k) ? " (a baud rate, 1200-12000000)" : "",
                           u->cmd);
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
            *rc = out_fail(u, F0B_EXIT_USAGE, "--reset needs a sequence (none, dtr, rts, "
                           "dtr-rts, rts-dtr, or steps such as D1,R0,W100,D0)");
        else if (f0b_reset_parse(c->reset_text, &c->reset, err, sizeof err) < 0)
            *rc = out_fail(u, F0B_EXIT_USAGE, "--reset %s: %s", c->reset_text, err);
    } else if ((want & DEV_BOOTS) && cli_is_opt(a, "--expect")) {
        c->expect = cli_optval(argc, argv, i, "--expect");
        if (!c->expect || !*c->expect)
            *rc = out_fail(u, F0B_EXIT_USAGE, "--expect needs the text the application "
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
        return out_fail(u, F0B_EXIT_USAGE, "unknown option '%s'; see f0boot %s --help", a,
                        u->cmd);
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
        return out_fail(u, F0B_EXIT_USAGE, (want & DEV_IMAGE) ? "need a PORT and an IMAGE: "
                        "f0boot %s /dev/ttyUSB0 app.img (or PORT in F0BOOT_PORT)" :
                        "need a PORT: f0boot %s /dev/ttyUSB0 (or PORT in F0BOOT_PORT)", u->cmd);
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

    hf_signals();               /* from here on Ctrl-C ends with exit 130, "aborted" */
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
    int rc = f0b_port_open(p, c->port, c->baud, (int)(c->have_wait ? c->wait : 3000), err,
                           sizeof err);

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
    f0b_port_close(&d->port);   /* also after a failed reopen (ops NULL) */
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

static void flash_usage(FILE *f)
{
    fprintf(f, "usage: f0boot flash PORT IMAGE [options]\n\n"
            "Write IMAGE (a container from `f0boot pack`, or an ELF / Intel HEX packed on the\n"
            "fly with the same lint) through the f0boot bootloader, verify it by read-back CRC,\n"
            "commit it and start it.\n\n%s\n%s\n"
            "  --baud N          line rate to start at (default 115200)\n"
            "  --fast-baud N     switch to N for the transfer; falls back if it does not come up\n"
            "  --timeout MS      answer timeout per request (default 1000)\n"
            "  --retries N       attempts without progress before giving up (default 5)\n"
            "  --no-boot         stay in the bootloader afterwards\n"
            "  --expect TEXT     after BOOT, succeed only once the application prints TEXT (its\n"
            "                    output goes to stderr / JSON events); exit 16 if it does not\n"
            "  --expect-timeout MS   how long to wait for it (default 10000)\n"
            "  --skip-unchanged  send only the pages whose CRC differs on the device\n"
            "  --part P          part for packing an ELF/HEX (default stm32f030xc)\n"
            "  --force           flash an ELF/HEX despite lint errors\n"
            "  --json            one JSON object per line on stdout (events, then the result)\n"
            "  -q, --quiet       no progress output, only warnings, errors and the result\n\n%s",
            dev_port_text, dev_entry_text, dev_exit_text);
}

/* What --expect found, for the result. */
struct expect_res {
    int seen;
    uint64_t ms;                /* after BOOT */
};

/* --expect after BOOT (cur_baud: the rate the session ran at): -1 when the text was seen
 * (or there is no --expect), else the exit code (reported). */
static int expect_step(struct out *u, struct common *c, struct device *d, uint32_t cur_baud,
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
        return out_fail(u, F0B_EXIT_EXPECT, "%s: the application did not print \"%s\" within "
                        "%u ms of BOOT: it did not start, or prints something else (its output "
                        "is shown above; --expect-timeout MS waits longer)", c->port, c->expect,
                        c->expect_timeout);
    return dev_fail(u, d->s, c->port, rc);
}

static void print_result(struct out *u, const struct f0b_flash_result *r, const char *port,
                         const struct common *c, const struct device *d,
                         const struct expect_res *x)
{
    double secs = r->ms / 1000.0, rate = secs > 0 ? r->written / secs : 0;
    char title[1024], foot[512];
    const struct out_field f[] = {
        OUT_F_STR("port", port),
        OUT_F_STR("entry", f0b_entry_str(d->how)),
        OUT_F_STR(c->expect ? "expect" : NULL, c->expect),
        OUT_F_UINT(c->expect ? "expect_ms" : NULL, x->ms),
        OUT_F_UINT("bytes", r->bytes),
        OUT_F_UINT("written", r->written),
        OUT_F_UINT("pages_skipped", r->pages_skipped),
        OUT_F_BOOL("unchanged", r->unchanged),
        OUT_F_UINT("ms", r->ms),
        OUT_F_REAL("rate", rate),
        OUT_F_UINT("retries", r->retries),
        OUT_F_UINT("baud", r->baud),
        OUT_F_HEX("crc", r->crc),
        OUT_F_BOOL("booted", r->booted),
    };

    if (r->unchanged)
        snprintf(title, sizeof title, "%s: unchanged (%u bytes, crc32 0x%08x already on the "
                 "device), nothing written", port, r->bytes, r->crc);
    else
        snprintf(title, sizeof title, "%s: %u bytes verified (crc32 0x%08x), %u sent in %.2f s "
                 "(%.1f KiB/s at %u baud), %u pages skipped, %u retries", port, r->bytes, r->crc,
                 r->written, secs, rate / 1024.0, r->baud, r->pages_skipped, r->retries);
    if (c->expect)
        snprintf(foot, sizeof foot, "%s: the application printed \"%s\" %.2f s after BOOT",
                 port, c->expect, (double)x->ms / 1000.0);
    out_result(u, 1, title, f, COUNT(f), c->expect ? foot : NULL);
}

int cmd_flash(int argc, char **argv)
{
    struct out u;
    struct common c;
    struct device dev = { 0 };
    struct f0b_flash_result res = { 0 };
    struct expect_res x = { 0 };
    uint8_t *cnt = NULL;
    size_t cnt_len = 0;
    int rc;

    out_init(&u, "flash", 1, argc, argv);
    rc = dev_parse(&u, argc, argv, &c, DEV_IMAGE | DEV_BOOTS | DEV_FLASH, flash_usage);
    if (rc >= 0)
        return rc;
    if (c.expect && c.no_boot)
        return out_fail(&u, F0B_EXIT_USAGE, "--expect needs the application started: drop "
                        "--no-boot");
    rc = dev_load_image(&u, c.image, c.part, c.force, &cnt, &cnt_len);
    if (rc)
        goto done;
    rc = dev_connect(&u, &c, &dev, 1);
    if (rc >= 0)
        goto done;
    rc = f0b_sess_fast_baud(dev.s);
    if (rc == 0)
        rc = f0b_sess_flash(dev.s, cnt, cnt + F0B_IMG_HDR_SIZE,
                            (uint32_t)(cnt_len - F0B_IMG_HDR_SIZE), &res);
    if (rc < 0) {
        rc = dev_fail(&u, dev.s, c.port, rc);
        goto done;
    }
    rc = expect_step(&u, &c, &dev, res.baud, &x);
    if (rc >= 0)
        goto done;
    print_result(&u, &res, c.port, &c, &dev, &x);
    rc = F0B_EXIT_OK;
done:
    dev_disconnect(&dev);
    free(cnt);
    return rc;
}

static void probe_usage(FILE *f)
{
    fprintf(f, "usage: f0boot probe PORT [--json] [--baud N] [--timeout MS] [entry options]\n\n"
            "Greet the bootloader and print what it reports (INFO): versions, chip, memory,\n"
            "window, features, idle timeout, and the application in its boot record.\n\n%s\n%s\n%s",
            dev_port_text, dev_entry_text, dev_exit_text);
}

static const char *app_state_str(int st)
{
    switch (st) {
    case F0B_APP_NONE: return "none";
    case F0B_APP_UNCOMMITTED: return "uncommitted";
    case F0B_APP_VALID: return "valid";
    case F0B_APP_BAD: return "bad";
    default: return "unknown";
    }
}

static const char *stay_str(int st)
{
    switch (st) {
    case F0B_STAY_NO_APP: return "no-app";
    case F0B_STAY_REQUEST: return "request";
    case F0B_STAY_GREETING: return "greeting";
    default: return "unknown";
    }
}

/* What the bootloader reported (INFO), described once for text and JSON. */
static void probe_result(struct out *u, const char *port, const struct f0b_dev_info *d,
                         const char *entry)
{
    const struct f0b_part *part = f0b_part_by_code(d->part);
    const char *pname = part ? part->name : "unknown";
    struct f0b_img_hdr h;
    int have_rec = d->app_state != F0B_APP_NONE;
    char ver[48] = "", proto[32], bl[32], chip_id[32], title[1024];
    char chip[96], flash[96], appl[96], xfer[128], feat[80], app[160], idle[64];

    f0b_hdr_decode(d->record, &h);
    if (have_rec)
        fmt_version(ver, sizeof ver, &h);
    snprintf(proto, sizeof proto, "%u.%u", d->proto_major, d->proto_minor);
    snprintf(bl, sizeof bl, "%u.%u.%u", d->bl_major, d->bl_minor, d->bl_patch);
    snprintf(chip_id, sizeof chip_id, "0x%03x", d->chip_id);
    snprintf(title, sizeof title, "%s: f0boot bootloader %s, protocol %s", port, bl, proto);
    snprintf(chip, sizeof chip, "id %s, part %u (%s)", chip_id, d->part, pname);
    snprintf(flash, sizeof flash, "%u bytes, %u-byte pages", d->flash_size, d->page_size);
    snprintf(appl, sizeof appl, "0x%08x, %u bytes available", d->app_start, d->app_size);
    snprintf(xfer, sizeof xfer, "%u data bytes per frame, window %u, up to %u baud",
             d->max_data, d->window, d->max_baud);
    snprintf(feat, sizeof feat, "%s%s%s%s%s", d->features & F0B_FEAT_BAUD ? " baud" : "",
             d->features & F0B_FEAT_CRC ? " crc" : "", d->features & F0B_FEAT_SEEK ? " seek" : "",
             d->features & F0B_FEAT_RESET ? " reset" : "",
             d->features & F0B_FEAT_ERASE ? " erase" : "");
    if (d->idle_ms)
        snprintf(idle, sizeof idle, "%u ms (a greeted bootloader then starts a valid "
                 "application)", d->idle_ms);
    else
        snprintf(idle, sizeof idle, "none");
    if (have_rec)
        snprintf(app, sizeof app, "%s: version %s, %u bytes, crc32 0x%08x",
                 app_state_str(d->app_state), ver, h.payload_size, h.payload_crc);
    else
        snprintf(app, sizeof app, "none");
    const struct out_field f[] = {
        OUT_F_STR("port", port),
        OUT_F_STR("protocol", proto),
        OUT_F_STR("bootloader", bl),
        OUT_F_STR("chip_id", chip_id),
        OUT_F_UINT("part", d->part, .label = "chip", .text = chip),
        OUT_F_STR("part_name", pname),
        OUT_F_UINT("page_size", d->page_size),
        OUT_F_UINT("flash_size", d->flash_size, .label = "flash", .text = flash),
        OUT_F_HEX("app_start", d->app_start, .label = "application", .text = appl),
        OUT_F_UINT("app_size", d->app_size),
        OUT_F_UINT("max_data", d->max_data, .label = "transfer", .text = xfer),
        OUT_F_UINT("window", d->window),
        OUT_F_HEX("features", d->features, .label = "features", .text = feat[0] ? feat + 1 : ""),
        OUT_F_UINT("max_baud", d->max_baud),
        OUT_F_UINT("idle_ms", d->idle_ms, .label = "idle timeout", .text = idle),
        OUT_F_STR("entry", entry, .label = "entered by"),
        OUT_F_STR("stay_reason", stay_str(d->stay_reason), .label = "staying"),
        OUT_F_STR("app_state", app_state_str(d->app_state), .label = "app", .text = app),
        OUT_F_OBJ(have_rec ? "app" : NULL),
        OUT_F_STR(have_rec ? "version" : NULL, ver),
        OUT_F_UINT(have_rec ? "payload_size" : NULL, h.payload_size),
        OUT_F_HEX(have_rec ? "payload_crc" : NULL, h.payload_crc),
        OUT_F_STR(have_rec ? "part_name" : NULL, h.part_name),
        OUT_F_END(have_rec ? "app" : NULL),
    };
    out_result(u, 1, title, f, COUNT(f), NULL);
}

int cmd_probe(int argc, char **argv)
{
    struct out u;
    struct common c;
    struct device dev = { 0 };
    int rc;

    out_init(&u, "probe", 1, argc, argv);
    rc = dev_parse(&u, argc, argv, &c, DEV_PORT, probe_usage);
    if (rc >= 0)
        return rc;
    u.quiet = 1;
    rc = dev_connect(&u, &c, &dev, 0);
    if (rc >= 0)
        goto done;
    probe_result(&u, c.port, f0b_sess_info(dev.s), f0b_entry_str(dev.how));
    rc = F0B_EXIT_OK;
done:
    dev_disconnect(&dev);
    return rc;
}

static void boot_usage(FILE *f)
{
    fprintf(f, "usage: f0boot boot PORT [--json] [--baud N] [--timeout MS] [entry options]\n"
            "                  [--expect TEXT [--expect-timeout MS]]\n\n"
            "Start the committed application (the bootloader refuses if there is none); with\n"
            "--expect, succeed only once it prints TEXT (exit 16 if it does not).\n\n%s\n%s\n%s",
            dev_port_text, dev_entry_text, dev_exit_text);
}

int cmd_boot(int argc, char **argv)
{
    struct out u;
    struct common c;
    struct device dev = { 0 };
    struct expect_res x = { 0 };
    int rc;

    out_init(&u, "boot", 1, argc, argv);
    rc = dev_parse(&u, argc, argv, &c, DEV_BOOTS, boot_usage);
    if (rc >= 0)
        return rc;
    rc = dev_connect(&u, &c, &dev, 1);
    if (rc >= 0)
        goto done;
    rc = f0b_sess_boot(dev.s);
    if (rc < 0) {
        rc = dev_fail(&u, dev.s, c.port, rc);
        goto done;
    }
    rc = expect_step(&u, &c, &dev, c.baud, &x);
    if (rc >= 0)
        goto done;
    {
        char title[1024];
        const struct out_field f[] = {
            OUT_F_STR("port", c.port),
            OUT_F_STR("entry", f0b_entry_str(dev.how)),
            OUT_F_STR(c.expect ? "expect" : NULL, c.expect),
            OUT_F_UINT(c.expect ? "expect_ms" : NULL, x.ms),
        };
        snprintf(title, sizeof title, "%s: application started%s%s%s", c.port,
                 c.expect ? ", printed \"" : "", c.expect ? c.expect : "", c.expect ? "\"" : "");
        out_result(&u, 1, title, f, COUNT(f), NULL);
    }
    rc = F0B_EXIT_OK;
done:
    dev_disconnect(&dev);
    return rc;
}
