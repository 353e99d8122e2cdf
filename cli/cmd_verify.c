/* f0boot verify / erase: what rig scripts ask besides flashing (libflash does the work). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "common/exit_codes.h"
#include "device.h"
#include "f0boot/flash.h"
#include "f0boot/image.h"
#include "output.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void verify_usage(FILE *f)
{
    fprintf(f,
            "usage: f0boot verify PORT IMAGE [--json] [--baud N] [--timeout MS] "
            "[entry options]\n\n"
            "Compare the device with IMAGE (a container, or an ELF / Intel HEX packed as\n"
            "`f0boot pack` would: --part, --force) without writing anything: the boot record\n"
            "against the image's header, then a CRC of every page. Exit 0 when the device\n"
            "holds exactly this image, committed; exit 15 naming the first page that differs.\n"
            "The device stays in its bootloader (f0boot boot starts the application).\n\n"
            "%s\n%s\n%s",
            dev_port_text, dev_entry_text, dev_exit_text);
}

static const char *state_str(int st)
{
    switch (st) {
    case F0B_APP_NONE: return "none";
    case F0B_APP_UNCOMMITTED: return "uncommitted";
    case F0B_APP_VALID: return "valid";
    case F0B_APP_BAD: return "bad";
    default: return "unknown";
    }
}

/* Why the device differs, in words: the first thing that does. */
static void what_differs(const struct f0b_compare *r, uint32_t page_size, char *out, size_t n)
{
    if (r->bad_pages)
        snprintf(out, n, "page %d (0x%08x, %u bytes) differs first; %u of %u pages differ",
                 r->first_bad, r->first_bad_addr, page_size, r->bad_pages, r->pages);
    else if (!r->record_match)
        snprintf(out, n,
                 "the pages match, but the boot record holds another header (another "
                 "version or build of the image)");
    else
        snprintf(out, n,
                 "the image is in flash but not committed (application %s): flash "
                 "it again",
                 state_str(r->app_state));
}

static void verify_result(struct out *u, const struct common *c, const struct device *d,
                          const struct f0b_compare *r, int ok)
{
    char title[1024], why[256];
    const struct out_field f[] = {
        OUT_F_STR("port", c->port),
        OUT_F_STR("image", c->image),
        OUT_F_BOOL("match", ok),
        OUT_F_BOOL("record_match", r->record_match),
        OUT_F_STR("app_state", state_str(r->app_state)),
        OUT_F_UINT("pages", r->pages),
        OUT_F_UINT("bad_pages", r->bad_pages),
        OUT_F_HEX("crc", r->crc),
        OUT_F_STR("entry", f0b_entry_str(d->how)),
    };

    if (ok) {
        snprintf(title, sizeof title, "%s: matches %s (%u pages, crc32 0x%08x, committed)", c->port,
                 c->image, r->pages, r->crc);
        out_result(u, 1, title, f, COUNT(f), NULL);
        return;
    }
    what_differs(r, f0b_sess_info(d->s)->page_size, why, sizeof why);
    out_fail(u, F0B_EXIT_VERIFY, "%s: the device differs from %s: %s", c->port, c->image, why);
}

int cmd_verify(int argc, char **argv)
{
    struct out u;
    struct common c;
    struct device dev = {0};
    struct f0b_compare r;
    uint8_t *cnt = NULL;
    size_t cnt_len = 0;
    int rc;

    out_init(&u, "verify", 1, argc, argv);
    rc = dev_parse(&u, argc, argv, &c, DEV_IMAGE, verify_usage);
    if (rc >= 0)
        return rc;
    rc = dev_load_image(&u, c.image, c.part, c.force, &cnt, &cnt_len);
    if (rc)
        goto done;
    rc = dev_connect(&u, &c, &dev, 1);
    if (rc >= 0)
        goto done;
    rc = f0b_sess_compare(dev.s, cnt, cnt + F0B_IMG_HDR_SIZE,
                          (uint32_t)(cnt_len - F0B_IMG_HDR_SIZE), &r);
    if (rc < 0 && rc != F0B_E_VERIFY) {
        rc = dev_fail(&u, dev.s, c.port, rc);
        goto done;
    }
    verify_result(&u, &c, &dev, &r, rc == 0);
    rc = rc == 0 ? F0B_EXIT_OK : F0B_EXIT_VERIFY;
done:
    dev_disconnect(&dev);
    free(cnt);
    return rc;
}

static void erase_usage(FILE *f)
{
    fprintf(f,
            "usage: f0boot erase PORT [--json] [--baud N] [--timeout MS] [entry options]\n\n"
            "Invalidate the application: the bootloader erases its boot record, and stays in\n"
            "the bootloader at every reset until an update commits a new application. The\n"
            "application's pages are left as they are. Needs a bootloader with ERASE\n"
            "(protocol 2.1: `f0boot probe` lists it among the features).\n\n%s\n%s\n%s",
            dev_port_text, dev_entry_text, dev_exit_text);
}

int cmd_erase(int argc, char **argv)
{
    struct out u;
    struct common c;
    struct device dev = {0};
    char title[512];
    int rc;

    out_init(&u, "erase", 1, argc, argv);
    rc = dev_parse(&u, argc, argv, &c, DEV_PORT, erase_usage);
    if (rc >= 0)
        return rc;
    rc = dev_connect(&u, &c, &dev, 1);
    if (rc >= 0)
        goto done;
    rc = f0b_sess_erase(dev.s);
    if (rc == F0B_E_REFUSED && f0b_sess_last_status(dev.s) == F0B_ST_UNKNOWN_CMD) {
        rc = out_fail(&u, F0B_EXIT_REFUSED,
                      "%s: this bootloader (protocol %u.%u) has no "
                      "ERASE: update the bootloader, or flash another image over the "
                      "application",
                      c.port, f0b_sess_info(dev.s)->proto_major, f0b_sess_info(dev.s)->proto_minor);
        goto done;
    }
    if (rc < 0) {
        rc = dev_fail(&u, dev.s, c.port, rc);
        goto done;
    }
    {
        const struct out_field f[] = {
            OUT_F_STR("port", c.port),
            OUT_F_BOOL("erased", 1),
            OUT_F_STR("entry", f0b_entry_str(dev.how)),
        };
        snprintf(title, sizeof title,
                 "%s: application invalidated (boot record erased); the "
                 "device stays in its bootloader",
                 c.port);
        out_result(&u, 1, title, f, COUNT(f), NULL);
    }
    rc = F0B_EXIT_OK;
done:
    dev_disconnect(&dev);
    return rc;
}
