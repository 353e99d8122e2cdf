/*
 * f0b_sess_flash(): the update of one container in three steps, plan (plan.c), write
 * (BEGIN here, DATA in stream.c) and verify (verify.c), then BOOT.
 */
#include <stdio.h>
#include <string.h>
#include <zlib.h>
#include "f0boot/le.h"
#include "update.h"

/* BEGIN with the header, then the DATA frames of the plan. */
static int write_image(struct f0b_session *s, const uint8_t *hdr, const uint8_t *payload,
                       const struct f0b_plan *p, struct f0b_flash_result *res)
{
    char msg[160];
    uint32_t n;
    int st;

    sess_event(s, F0B_EV_PHASE, "begin", "sending the image header", 0, p->size);
    st = sess_request(s, F0B_CMD_BEGIN, hdr, F0B_IMG_HDR_SIZE, NULL, 0, &n, s->o.timeout_ms,
                      sess_tries(s));
    if (st != F0B_ST_OK)
        return sess_fail_status(s, st);
    snprintf(msg, sizeof msg, "writing %u bytes (%u of %u pages) at %u baud", p->wbytes,
             p->npages - res->pages_skipped, p->npages, s->baud);
    sess_event(s, F0B_EV_PHASE, "write", msg, 0, p->wbytes);
    return f0b_stream(s, payload, p, res);
}

/* BOOT after a verified update; a BOOT without an answer is a warning, not an error. */
static int boot_after(struct f0b_session *s, struct f0b_flash_result *res)
{
    int rc = f0b_sess_boot(s);

    if (rc == F0B_E_TRANSFER) {
        /* The image is verified and committed; only the answer to BOOT is missing (the
         * device leaves right after sending it, so a lost answer cannot be asked for
         * again). The bootloader starts this application at the next reset anyway. */
        res->boot_unconfirmed = 1;
        sess_event(s, F0B_EV_WARN, "boot",
                   "BOOT was not acknowledged: the application is "
                   "verified and committed; if it is not running, reset the board",
                   res->bytes, res->bytes);
        return 0;
    }
    if (rc == 0)
        res->booted = 1;
    return rc;
}

static int run_steps(struct f0b_session *s, const uint8_t *hdr, const uint8_t *payload,
                     struct f0b_plan *p, struct f0b_flash_result *res)
{
    int enc = f0b_get_le16(hdr + F0B_IMG_OFF_HDR_VERSION) == F0B_IMG_HDR_VERSION_ENC;
    /* Encrypted: the device echoes the header's (encrypted) payload_crc after its checks. */
    int rc = f0b_plan_init(p, &s->info, res->bytes,
                           enc ? f0b_get_le32(hdr + F0B_IMG_OFF_PAYLOAD_CRC)
                               : (uint32_t)crc32(0L, payload, res->bytes));

    if (rc < 0)
        return rc;
    p->tag = enc ? payload + res->bytes : NULL;
    rc = f0b_plan_skip_unchanged(s, p, hdr, payload, res);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        f0b_plan_chunks(p);
        rc = write_image(s, hdr, payload, p, res);
        if (rc == 0)
            rc = f0b_verify(s, hdr, p, res);
        if (rc < 0)
            return rc;
    }
    return s->o.no_boot ? 0 : boot_after(s, res);
}

int f0b_sess_flash(struct f0b_session *s, const uint8_t *hdr, const uint8_t *payload, uint32_t size,
                   struct f0b_flash_result *res)
{
    struct f0b_plan p;
    uint64_t t0 = sess_now(s);
    int rc;

    memset(res, 0, sizeof *res);
    memset(&p, 0, sizeof p);
    res->bytes = size;
    if (!s->have_info || size == 0 || f0b_get_le32(hdr + F0B_IMG_OFF_PAYLOAD_SIZE) != size)
        return F0B_E_ARG;
    rc = run_steps(s, hdr, payload, &p, res);
    res->ms = sess_now(s) - t0;
    res->retries = s->retries;
    res->baud = s->baud;
    f0b_plan_free(&p);
    return rc;
}
