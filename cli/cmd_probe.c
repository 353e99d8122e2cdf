/* f0boot probe, f0boot boot and f0boot protect: what the bootloader reports; start the
 * application; read-out protection through the secure bootloader. */
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

static void probe_usage(FILE *f)
{
    fprintf(f,
            "usage: f0boot probe PORT [--json] [--baud N] [--timeout MS] [entry options]\n\n"
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
    snprintf(xfer, sizeof xfer, "%u data bytes per frame, window %u, up to %u baud", d->max_data,
             d->window, d->max_baud);
    snprintf(feat, sizeof feat, "%s%s%s%s%s%s%s%s%s", d->features & F0B_FEAT_BAUD ? " baud" : "",
             d->features & F0B_FEAT_CRC ? " crc" : "", d->features & F0B_FEAT_SEEK ? " seek" : "",
             d->features & F0B_FEAT_RESET ? " reset" : "",
             d->features & F0B_FEAT_ERASE ? " erase" : "",
             d->features & F0B_FEAT_ENCRYPTED ? " encrypted" : "",
             d->features & F0B_FEAT_PLAIN_OK ? " plain-ok" : "",
             d->features & F0B_FEAT_DOWNGRADE ? " downgrade" : "",
             d->features & F0B_FEAT_PROTECT ? " protect" : "");
    if (d->idle_ms)
        snprintf(idle, sizeof idle,
                 "%u ms (a greeted bootloader then starts a valid "
                 "application)",
                 d->idle_ms);
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
    struct device dev = {0};
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
    fprintf(f,
            "usage: f0boot boot PORT [--json] [--baud N] [--timeout MS] [entry options]\n"
            "                  [--expect TEXT [--expect-timeout MS]]\n\n"
            "Start the committed application (the bootloader refuses if there is none); with\n"
            "--expect, succeed only once it prints TEXT (exit 16 if it does not).\n\n%s\n%s\n%s",
            dev_port_text, dev_entry_text, dev_exit_text);
}

int cmd_boot(int argc, char **argv)
{
    struct out u;
    struct common c;
    struct device dev = {0};
    struct expect_res x = {0};
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
    rc = dev_expect(&u, &c, &dev, c.baud, &x);
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

/* ---- protect ---------------------------------------------------------------------- */

static const char protect_what[] =
    "read-out protection level 1: a debugger (SWD) and the ROM bootloader can no longer read or "
    "write the flash, so the product key in the secure bootloader stays on the board; the "
    "bootloader and the application run as before. Going back to level 0 erases the whole "
    "chip (bootloader and key included: only a debugger or the ROM bootloader can program it "
    "again). Level 1 is not a strong barrier (docs/security.md); level 2 is never set";

static void protect_usage(FILE *f)
{
    fprintf(f,
            "usage: f0boot protect PORT --yes [--json] [--baud N] [--timeout MS] [--wait MS]\n\n"
            "Ask the secure bootloader on PORT to set %s.\nThe chip reloads its option bytes "
            "(a reset) right after answering.\n\n%s\n%s\n%s",
            protect_what, dev_port_text, dev_entry_text, dev_exit_text);
}

int cmd_protect(int argc, char **argv)
{
    struct out u;
    struct common c;
    struct device dev = {0};
    char *args[64];
    int n = 0, yes = 0, rc;

    out_init(&u, "protect", 1, argc, argv);
    for (int i = 0; i < argc && n < (int)COUNT(args) - 1; i++) {
        if (strcmp(argv[i], "--yes") == 0)
            yes = 1;
        else
            args[n++] = argv[i];
    }
    args[n] = NULL;
    rc = dev_parse(&u, n, args, &c, DEV_PORT, protect_usage);
    if (rc >= 0)
        return rc;
    if (!yes)
        return out_fail(&u, F0B_EXIT_USAGE, "this sets %s. Give --yes to go ahead", protect_what);
    rc = dev_connect(&u, &c, &dev, 1);
    if (rc >= 0)
        goto done;
    if (!(f0b_sess_info(dev.s)->features & F0B_FEAT_PROTECT)) {
        rc = out_fail(&u, F0B_EXIT_REFUSED,
                      "%s: this bootloader cannot set read-out protection "
                      "(a plain build has nothing secret and serves flash CRCs anyway); the "
                      "secure bootloader (-DF0B_KEY_FILE) can, or ST's tools (docs/security.md)",
                      c.port);
        goto done;
    }
    rc = f0b_sess_protect(dev.s);
    if (rc < 0) {
        rc = dev_fail(&u, dev.s, c.port, rc);
        goto done;
    }
    {
        char title[1024];
        const struct out_field f[] = {OUT_F_STR("port", c.port), OUT_F_UINT("rdp_level", 1)};
        snprintf(title, sizeof title,
                 "%s: read-out protection level 1 set (the chip reloaded "
                 "its option bytes); level 1 -> 0 erases the whole chip",
                 c.port);
        out_result(&u, 1, title, f, COUNT(f), NULL);
    }
    rc = F0B_EXIT_OK;
done:
    dev_disconnect(&dev);
    return rc;
}
