/* f0boot flash / probe / boot: the commands that talk to a bootloader (libflash does the work). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "commands.h"
#include "exit_codes.h"
#include "f0boot/flash.h"
#include "f0boot/image.h"
#include "f0boot/le.h"
#include "json.h"
#include "util.h"


struct ui {
    const char *cmd;
    int json;
    int quiet;
    int tty;                /* stderr is a terminal: draw a progress bar */
    int bar_drawn;
    uint64_t last_draw;
    uint64_t write_t0;      /* when the write phase started: rate and ETA count from there */
};

__attribute__((format(printf, 3, 4)))
static int fail(struct ui *u, int code, const char *fmt, ...)
{
    va_list ap;

    if (u->bar_drawn)
        fputc('\n', stderr);
    u->bar_drawn = 0;
    va_start(ap, fmt);
    code = cli_vfail(u->cmd, u->json, 1, code, fmt, ap);
    va_end(ap);
    return code;
}

/* The start of a success result: {"event":"result","ok":true,"exit":0,"port":...; the
 * caller adds its fields and ends it. */
static void json_result_ok(struct json *j, const char *port)
{
    json_begin(j, stdout);
    json_str(j, "event", "result");
    json_bool(j, "ok", 1);
    json_i64(j, "exit", 0);
    json_str(j, "port", port);
}

static void on_event(void *ctx, const struct f0b_event *ev)
{
    struct ui *u = ctx;

    if (u->json) {
        struct json j;
        if (ev->kind == F0B_EV_PROGRESS && ev->done != ev->total &&
            ev->elapsed_ms < u->last_draw + 200)
            return;
        u->last_draw = ev->elapsed_ms;
        json_begin(&j, stdout);
        json_str(&j, "event", ev->kind == F0B_EV_PHASE ? "phase" :
                 ev->kind == F0B_EV_WARN ? "warn" : "progress");
        json_str(&j, "phase", ev->phase);
        if (ev->msg)
            json_str(&j, "msg", ev->msg);
        if (ev->kind == F0B_EV_PROGRESS) {
            json_u64(&j, "done", ev->done);
            json_u64(&j, "total", ev->total);
        }
        json_u64(&j, "t_ms", ev->elapsed_ms);
        json_end(&j);
        return;
    }
    if (ev->kind == F0B_EV_WARN) {
        if (u->bar_drawn)
            fputc('\n', stderr);
        u->bar_drawn = 0;
        fprintf(stderr, "f0boot %s: warning: %s\n", u->cmd, ev->msg);
        return;
    }
    if (u->quiet)
        return;
    if (ev->kind == F0B_EV_PHASE) {
        if (u->bar_drawn)
            fputc('\n', stderr);
        u->bar_drawn = 0;
        if (strcmp(ev->phase, "write") == 0)
            u->write_t0 = ev->elapsed_ms;
        fprintf(stderr, "%-8s %s\n", ev->phase, ev->msg ? ev->msg : "");
        return;
    }
    /* progress: a bar on a terminal, nothing between phases otherwise */
    if (!u->tty || ev->total == 0)
        return;
    if (ev->done != ev->total && u->bar_drawn && ev->elapsed_ms < u->last_draw + 100)
        return;
    u->last_draw = ev->elapsed_ms;
    double secs = (ev->elapsed_ms - u->write_t0) / 1000.0, rate = secs > 0 ? ev->done / secs : 0;
    double eta = rate > 0 ? (ev->total - ev->done) / rate : 0;
    int w = 30, fill = (int)((uint64_t)w * ev->done / ev->total);
    char bar[32];
    for (int i = 0; i < w; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[w] = 0;
    fprintf(stderr, "\r[%s] %3u%%  %6.1f/%.1f KiB  %5.1f KiB/s  ETA %3.0fs ", bar,
            (unsigned)(100u * (uint64_t)ev->done / ev->total), ev->done / 1024.0,
            ev->total / 1024.0, rate / 1024.0, eta);
    fflush(stderr);
    u->bar_drawn = 1;
}

/* The container to send: the file itself, or a .hex/.elf packed as `f0boot pack` would. */
static int load_image(struct ui *u, const char *path, const char *part_name, int force,
                      uint8_t **cnt, size_t *cnt_len)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    struct f0b_image img;
    struct f0b_img_error err;
    struct f0b_img_hdr h;
    struct f0b_container_check chk;
    struct f0b_lint lint;
    struct f0b_pack_opts po;
    const struct f0b_part *part;
    int rc;

    f0b_image_init(&img);
    {
        char msg[512];
        rc = cli_read_file(path, &buf, &len, msg, sizeof msg);
        if (rc)
            rc = fail(u, rc, "%s", msg);
    }
    if (rc)
        goto done;
    if (f0b_sniff(buf, len) == F0B_FMT_CONTAINER) {
        rc = f0b_container_verify(buf, len, &h, &chk, &err);
        if (rc) {
            rc = fail(u, rc == F0B_IMG_ECNT_MAGIC || rc == F0B_IMG_ECNT_SHORT ||
                      rc == F0B_IMG_ECNT_VERSION ? F0B_EXIT_INPUT_FORMAT : F0B_EXIT_CONTAINER,
                      "%s: %s", path, err.detail);
            goto done;
        }
        *cnt = buf;
        *cnt_len = len;
        buf = NULL;
        goto done;
    }
    part = f0b_part_by_name(part_name);
    if (!part) {
        rc = fail(u, F0B_EXIT_USAGE, "unknown part '%s'; f0boot pack --help lists the parts",
                  part_name);
        goto done;
    }
    rc = f0b_image_read(buf, len, 0, 0, &img, &err);
    if (rc) {
        rc = fail(u, rc == F0B_IMG_ENOMEM ? F0B_EXIT_INTERNAL : F0B_EXIT_INPUT_FORMAT, "%s: %s",
                  path, err.detail);
        goto done;
    }
    f0b_lint_run(&img, part, &lint);
    for (int i = 0; i < lint.n; i++)
        fprintf(stderr, "f0boot %s: %s: %s [%s]: %s\n", u->cmd, path,
                lint.f[i].sev == F0B_LINT_ERROR ? (force ? "error (forced)" : "error") :
                "warning", lint.f[i].id, lint.f[i].msg);
    if (lint.errors && !force) {
        rc = fail(u, F0B_EXIT_LINT, "%s: not flashed: %d lint error%s above; fix them, or "
                  "flash anyway with --force", path, lint.errors, lint.errors == 1 ? "" : "s");
        goto done;
    }
    memset(&po, 0, sizeof po);
    po.part = part;
    po.vt_len = lint.vt_len;
    po.flags = lint.flags | (lint.errors ? F0B_FLAG_LINT_FORCED : 0);
    rc = f0b_container_build(&img, &po, cnt, cnt_len, &h, &err);
    if (rc)
        rc = fail(u, rc == F0B_IMG_ENOMEM ? F0B_EXIT_INTERNAL : F0B_EXIT_INPUT_FORMAT, "%s: %s",
                  path, err.detail);
done:
    free(buf);
    f0b_image_free(&img);
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
    default: return F0B_EXIT_TRANSFER;
    }
}

/* A session failure as a message that says what to do. */
static int sess_fail(struct ui *u, struct f0b_session *s, const char *port, int err)
{
    int code = exit_for(err);
    const struct f0b_dev_info *info = f0b_sess_info(s);
    int last_status = f0b_sess_last_status(s);

    switch (err) {
    case F0B_E_NO_ANSWER:
        return fail(u, code, "%s: no bootloader answered; is the board in the bootloader (reset "
                    "it, or ask the application for an update), the right port and baud "
                    "rate? (--wait MS keeps greeting longer)", port);
    case F0B_E_VERSION:
        return fail(u, code, "%s: the bootloader speaks protocol %u.x, this f0boot speaks %u.%u: "
                    "use an f0boot release for protocol %u, or update the bootloader", port,
                    info->proto_major, F0B_PROTO_MAJOR, F0B_PROTO_MINOR, info->proto_major);
    case F0B_E_REFUSED:
        return fail(u, code, "the device refused: %s (status 0x%02x)",
                    f0b_status_str(last_status), last_status);
    case F0B_E_VERIFY:
        return fail(u, code, "read-back check failed: the device's flash does not match the "
                    "image; the application is not committed. Flash again; if it persists the "
                    "flash may be worn");
    case F0B_E_TRANSFER:
        return fail(u, code, "%s: transfer failed after retries: the line is too noisy or the "
                    "device stopped answering; try a lower --baud or more --retries. The "
                    "device stays in the bootloader and accepts a new update", port);
    case F0B_E_IO:
        return fail(u, code, "%s: %s", port, f0b_flash_strerror(err));
    default:
        return fail(u, code, "%s: %s", port, f0b_flash_strerror(err));
    }
}

struct common {
    const char *port;
    uint32_t baud, fast_baud, timeout, retries, wait;
    int have_wait;
    int json, quiet, no_boot, skip, force;
    const char *part;
    const char *image;
};

/* Parse the options of flash/probe/boot. Returns -1 to continue, or an exit code. */
static int parse(struct ui *u, int argc, char **argv, struct common *c, int want_image,
                 void (*usage)(FILE *))
{
    static const char *const nums[] = { "--baud", "--fast-baud", "--timeout", "--retries",
                                         "--wait" };
    memset(c, 0, sizeof *c);
    c->baud = 115200;
    c->timeout = 1000;
    c->retries = 5;
    c->part = "stm32f030xc";
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--json") == 0)
            u->json = c->json = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int k = -1;
        for (int n = 0; n < 5; n++)
            if (cli_is_opt(a, nums[n]))
                k = n;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return F0B_EXIT_OK;
        } else if (k >= 0) {
            const char *v = cli_optval(argc, argv, &i, nums[k]);
            uint32_t x;
            if (cli_parse_u32(v, &x) || (k < 2 && x != 0 && (x < 1200 || x > 12000000)) ||
                (k == 0 && x == 0))
                return fail(u, F0B_EXIT_USAGE, "%s needs a number%s; see f0boot %s --help",
                            nums[k], k < 2 ? " (a baud rate, 1200-12000000)" : "", u->cmd);
            uint32_t *dst[] = { &c->baud, &c->fast_baud, &c->timeout, &c->retries, &c->wait };
            *dst[k] = x;
            if (k == 4)
                c->have_wait = 1;
        } else if (want_image && cli_is_opt(a, "--part")) {
            c->part = cli_optval(argc, argv, &i, "--part");
            if (!c->part)
                return fail(u, F0B_EXIT_USAGE, "--part needs a part name");
        } else if (strcmp(a, "--json") == 0) {
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            c->quiet = 1;
        } else if (want_image && strcmp(a, "--no-boot") == 0) {
            c->no_boot = 1;
        } else if (want_image && strcmp(a, "--skip-unchanged") == 0) {
            c->skip = 1;
        } else if (want_image && strcmp(a, "--force") == 0) {
            c->force = 1;
        } else if (a[0] == '-' && a[1] != 0) {
            return fail(u, F0B_EXIT_USAGE, "unknown option '%s'; see f0boot %s --help", a,
                        u->cmd);
        } else if (!c->port) {
            c->port = a;
        } else if (want_image && !c->image) {
            c->image = a;
        } else {
            return fail(u, F0B_EXIT_USAGE, "unexpected argument '%s'; see f0boot %s --help", a,
                        u->cmd);
        }
    }
    if (!c->port || (want_image && !c->image))
        return fail(u, F0B_EXIT_USAGE, want_image ? "need a PORT and an IMAGE: f0boot flash "
                    "/dev/ttyUSB0 app.img" : "need a PORT: f0boot %s /dev/ttyUSB0", u->cmd);
    if (c->timeout == 0)
        return fail(u, F0B_EXIT_USAGE, "--timeout must be at least 1 ms");
    u->quiet = c->quiet;
    u->tty = isatty(STDERR_FILENO) && !c->json;
    return -1;
}

static void opts_from(struct common *c, struct ui *u, struct f0b_flash_opts *o)
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
}

static int open_port(struct ui *u, struct common *c, struct f0b_port *p)
{
    char err[300];
    int rc = f0b_port_open(p, c->port, c->baud, (int)(c->have_wait ? c->wait : 3000), err,
                           sizeof err);

    if (rc)
        return fail(u, rc == F0B_E_ARG ? F0B_EXIT_USAGE : F0B_EXIT_PORT, "%s", err);
    return -1;
}

/* A port with a session on it. */
struct device {
    struct f0b_port port;       /* open when port.ops is set; zeroed: closed */
    struct f0b_session *s;      /* NULL until created */
};

/* Open PORT, start a session and greet the bootloader (INFO, version check). Returns -1
 * when connected, else the exit code; disconnect() d either way.
 * events: 0 keeps the session's progress events off (probe prints one block instead). */
static int connect_device(struct ui *u, struct common *c, struct device *d, int events)
{
    struct f0b_flash_opts o;
    int rc = open_port(u, c, &d->port);

    if (rc >= 0)
        return rc;
    opts_from(c, u, &o);
    if (!events)
        o.event = NULL;
    if (f0b_sess_create(&d->s, &d->port, &o) < 0)
        return fail(u, F0B_EXIT_INTERNAL, "out of memory");
    rc = f0b_sess_connect(d->s);
    return rc < 0 ? sess_fail(u, d->s, c->port, rc) : -1;
}

static void disconnect(struct device *d)
{
    f0b_sess_free(d->s);
    f0b_port_close(&d->port);   /* also after a failed reopen (ops NULL) */
}

static const char *const exit_text =
    "exit codes: 0 success, 2 usage, 3 image unreadable, 4 image malformed, 5 image fails lint,\n"
    "  7 container CRC/field check failed, 10 port cannot be opened, 11 no bootloader answered,\n"
    "  12 bootloader speaks another protocol version, 13 transfer failed after retries,\n"
    "  14 device refused (reason printed), 15 read-back check failed, 1 internal error\n";

static const char *const port_text =
    "PORT: a serial device (/dev/ttyUSB0, COM3), socket://HOST:PORT (raw TCP: ser2net, f0sim)\n"
    "  or rfc2217://HOST:PORT (ser2net in RFC 2217 mode: baud changes reach the far UART)\n";

static void flash_usage(FILE *f)
{
    fprintf(f, "usage: f0boot flash PORT IMAGE [options]\n\n"
            "Write IMAGE (a container from `f0boot pack`, or an ELF / Intel HEX packed on the\n"
            "fly with the same lint) through the f0boot bootloader, verify it by read-back CRC,\n"
            "commit it and start it.\n\n%s\n"
            "  --baud N          line rate to start at (default 115200)\n"
            "  --fast-baud N     switch to N for the transfer; falls back if it does not come up\n"
            "  --timeout MS      answer timeout per request (default 1000)\n"
            "  --retries N       attempts without progress before giving up (default 5)\n"
            "  --wait MS         keep greeting this long for the bootloader (default 3000)\n"
            "  --no-boot         stay in the bootloader afterwards\n"
            "  --skip-unchanged  send only the pages whose CRC differs on the device\n"
            "  --part P          part for packing an ELF/HEX (default stm32f030xc)\n"
            "  --force           flash an ELF/HEX despite lint errors\n"
            "  --json            one JSON object per line on stdout (events, then the result)\n"
            "  -q, --quiet       no progress output, only warnings, errors and the result\n\n%s",
            port_text, exit_text);
}

static void print_result(struct ui *u, const struct f0b_flash_result *r, const char *port)
{
    double secs = r->ms / 1000.0, rate = secs > 0 ? r->written / secs : 0;

    if (u->json) {
        struct json j;
        json_result_ok(&j, port);
        json_u64(&j, "bytes", r->bytes);
        json_u64(&j, "written", r->written);
        json_u64(&j, "pages_skipped", r->pages_skipped);
        json_bool(&j, "unchanged", r->unchanged);
        json_u64(&j, "ms", r->ms);
        json_dbl(&j, "rate", rate);
        json_u64(&j, "retries", r->retries);
        json_u64(&j, "baud", r->baud);
        json_hex32(&j, "crc", r->crc);
        json_bool(&j, "booted", r->booted);
        json_end(&j);
        return;
    }
    if (u->bar_drawn)
        fputc('\n', stderr);
    u->bar_drawn = 0;
    if (r->unchanged)
        printf("%s: unchanged (%u bytes, crc32 0x%08x already on the device), nothing written\n",
               port, r->bytes, r->crc);
    else
        printf("%s: %u bytes verified (crc32 0x%08x), %u sent in %.2f s (%.1f KiB/s at %u baud), "
               "%u pages skipped, %u retries\n", port, r->bytes, r->crc, r->written, secs,
               rate / 1024.0, r->baud, r->pages_skipped, r->retries);
}

int cmd_flash(int argc, char **argv)
{
    struct ui u = { .cmd = "flash" };
    struct common c;
    struct device dev = { 0 };
    struct f0b_flash_result res;
    uint8_t *cnt = NULL;
    size_t cnt_len = 0;
    int rc;

    rc = parse(&u, argc, argv, &c, 1, flash_usage);
    if (rc >= 0)
        return rc;
    rc = load_image(&u, c.image, c.part, c.force, &cnt, &cnt_len);
    if (rc)
        goto done;
    rc = connect_device(&u, &c, &dev, 1);
    if (rc >= 0)
        goto done;
    rc = f0b_sess_fast_baud(dev.s);
    if (rc == 0)
        rc = f0b_sess_flash(dev.s, cnt, cnt + F0B_IMG_HDR_SIZE,
                            (uint32_t)(cnt_len - F0B_IMG_HDR_SIZE), &res);
    if (rc < 0) {
        rc = sess_fail(&u, dev.s, c.port, rc);
        goto done;
    }
    print_result(&u, &res, c.port);
    rc = F0B_EXIT_OK;
done:
    disconnect(&dev);
    free(cnt);
    return rc;
}

static void probe_usage(FILE *f)
{
    fprintf(f, "usage: f0boot probe PORT [--json] [--baud N] [--timeout MS] [--wait MS]\n\n"
            "Greet the bootloader and print what it reports (INFO): versions, chip, memory,\n"
            "window, features, and the application in its boot record.\n\n%s\n%s",
            port_text, exit_text);
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

int cmd_probe(int argc, char **argv)
{
    struct ui u = { .cmd = "probe" };
    struct common c;
    struct device dev = { 0 };
    int rc;

    rc = parse(&u, argc, argv, &c, 0, probe_usage);
    if (rc >= 0)
        return rc;
    u.quiet = 1;
    rc = connect_device(&u, &c, &dev, 0);
    if (rc >= 0)
        goto done;
    const struct f0b_dev_info *d = f0b_sess_info(dev.s);
    const struct f0b_part *part = f0b_part_by_code(d->part);
    struct f0b_img_hdr h;
    int have_rec = d->app_state != F0B_APP_NONE;
    char ver[48] = "";
    f0b_hdr_decode(d->record, &h);
    if (have_rec)
        cli_version_str(ver, sizeof ver, &h);
    if (c.json) {
        struct json j;
        char b[32];
        json_begin(&j, stdout);
        json_bool(&j, "ok", 1);
        json_str(&j, "port", c.port);
        snprintf(b, sizeof b, "%u.%u", d->proto_major, d->proto_minor);
        json_str(&j, "protocol", b);
        snprintf(b, sizeof b, "%u.%u.%u", d->bl_major, d->bl_minor, d->bl_patch);
        json_str(&j, "bootloader", b);
        snprintf(b, sizeof b, "0x%03x", d->chip_id);
        json_str(&j, "chip_id", b);
        json_u64(&j, "part", d->part);
        json_str(&j, "part_name", part ? part->name : "unknown");
        json_u64(&j, "page_size", d->page_size);
        json_u64(&j, "flash_size", d->flash_size);
        json_hex32(&j, "app_start", d->app_start);
        json_u64(&j, "app_size", d->app_size);
        json_u64(&j, "max_data", d->max_data);
        json_u64(&j, "window", d->window);
        json_hex32(&j, "features", d->features);
        json_u64(&j, "max_baud", d->max_baud);
        json_str(&j, "stay_reason", stay_str(d->stay_reason));
        json_str(&j, "app_state", app_state_str(d->app_state));
        if (have_rec) {
            json_obj(&j, "app");
            json_str(&j, "version", ver);
            json_u64(&j, "payload_size", h.payload_size);
            json_hex32(&j, "payload_crc", h.payload_crc);
            json_str(&j, "part_name", h.part_name);
            json_close(&j);
        }
        json_end(&j);
    } else {
        printf("%s: f0boot bootloader %u.%u.%u, protocol %u.%u\n", c.port, d->bl_major,
               d->bl_minor, d->bl_patch, d->proto_major, d->proto_minor);
        printf("  chip          id 0x%03x, part %u (%s)\n", d->chip_id, d->part,
               part ? part->name : "unknown");
        printf("  flash         %u bytes, %u-byte pages\n", d->flash_size, d->page_size);
        printf("  application   0x%08x, %u bytes available\n", d->app_start, d->app_size);
        printf("  transfer      %u data bytes per frame, window %u, up to %u baud\n",
               d->max_data, d->window, d->max_baud);
        printf("  features     %s%s%s%s\n", d->features & F0B_FEAT_BAUD ? " baud" : "",
               d->features & F0B_FEAT_CRC ? " crc" : "", d->features & F0B_FEAT_SEEK ? " seek" : "",
               d->features & F0B_FEAT_RESET ? " reset" : "");
        printf("  staying       %s\n", stay_str(d->stay_reason));
        if (have_rec)
            printf("  app           %s: version %s, %u bytes, crc32 0x%08x\n",
                   app_state_str(d->app_state), ver, h.payload_size, h.payload_crc);
        else
            printf("  app           none\n");
    }
    rc = F0B_EXIT_OK;
done:
    disconnect(&dev);
    return rc;
}

static void boot_usage(FILE *f)
{
    fprintf(f, "usage: f0boot boot PORT [--json] [--baud N] [--timeout MS] [--wait MS]\n\n"
            "Start the committed application (the bootloader refuses if there is none).\n\n%s\n%s",
            port_text, exit_text);
}

int cmd_boot(int argc, char **argv)
{
    struct ui u = { .cmd = "boot" };
    struct common c;
    struct device dev = { 0 };
    int rc;

    rc = parse(&u, argc, argv, &c, 0, boot_usage);
    if (rc >= 0)
        return rc;
    rc = connect_device(&u, &c, &dev, 1);
    if (rc >= 0)
        goto done;
    rc = f0b_sess_boot(dev.s);
    if (rc < 0) {
        rc = sess_fail(&u, dev.s, c.port, rc);
        goto done;
    }
    if (c.json) {
        struct json j;
        json_result_ok(&j, c.port);
        json_end(&j);
    } else {
        printf("%s: application started\n", c.port);
    }
    rc = F0B_EXIT_OK;
done:
    disconnect(&dev);
    return rc;
}
