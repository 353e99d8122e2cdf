/* f0boot flash: an update through the bootloader (libflash does the work). */
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
#include "f0boot/le.h"
#include "flash_multi.h"
#include "format.h"
#include "output.h"
#include "pack.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void flash_usage(FILE *f)
{
    fprintf(f,
            "usage: f0boot flash PORT IMAGE [options]\n\n"
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
    flash_multi_usage(f);
}

static void print_result(struct out *u, const struct f0b_flash_result *r, const char *port,
                         const struct common *c, const struct device *d, const struct expect_res *x)
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
        snprintf(title, sizeof title,
                 "%s: unchanged (%u bytes, crc32 0x%08x already on the "
                 "device), nothing written",
                 port, r->bytes, r->crc);
    else
        snprintf(title, sizeof title,
                 "%s: %u bytes verified (crc32 0x%08x), %u sent in %.2f s "
                 "(%.1f KiB/s at %u baud), %u pages skipped, %u retries",
                 port, r->bytes, r->crc, r->written, secs, rate / 1024.0, r->baud, r->pages_skipped,
                 r->retries);
    if (c->expect)
        snprintf(foot, sizeof foot, "%s: the application printed \"%s\" %.2f s after BOOT", port,
                 c->expect, (double)x->ms / 1000.0);
    out_result(u, 1, title, f, COUNT(f), c->expect ? foot : NULL);
}

int cmd_flash(int argc, char **argv)
{
    struct out u;
    struct common c;
    struct device dev = {0};
    struct f0b_flash_result res = {0};
    struct expect_res x = {0};
    uint8_t *cnt = NULL;
    size_t cnt_len = 0;
    int rc;

    if (flash_multi_wanted(argc, argv))
        return flash_multi(argc, argv);
    out_init(&u, "flash", 1, argc, argv);
    rc = dev_parse(&u, argc, argv, &c, DEV_IMAGE | DEV_BOOTS | DEV_FLASH, flash_usage);
    if (rc >= 0)
        return rc;
    if (c.expect && c.no_boot)
        return out_fail(&u, F0B_EXIT_USAGE,
                        "--expect needs the application started: drop "
                        "--no-boot");
    rc = dev_load_image(&u, c.image, c.part, c.force, &cnt, &cnt_len);
    if (rc)
        goto done;
    rc = dev_connect(&u, &c, &dev, 1);
    if (rc >= 0)
        goto done;
    rc = f0b_sess_fast_baud(dev.s);
    if (rc == 0)
        /* the payload size from the header: an encrypted container ends in its tag */
        rc = f0b_sess_flash(dev.s, cnt, cnt + F0B_IMG_HDR_SIZE,
                            cnt_len >= F0B_IMG_HDR_SIZE
                                ? f0b_get_le32(cnt + F0B_IMG_OFF_PAYLOAD_SIZE)
                                : 0,
                            &res);
    if (rc < 0) {
        rc = dev_fail(&u, dev.s, c.port, rc);
        goto done;
    }
    rc = dev_expect(&u, &c, &dev, res.baud, &x);
    if (rc >= 0)
        goto done;
    print_result(&u, &res, c.port, &c, &dev, &x);
    rc = F0B_EXIT_OK;
done:
    dev_disconnect(&dev);
    free(cnt);
    return rc;
}
