/*
 * Step three of an update: END (the device reads its flash back and commits), then a CRC
 * query compared with the host's crc of the payload: the success reported is this
 * comparison.
 *
 * A link lost after END (no answer, or the port failed: a power cut right after the
 * commit, an adapter reset) does not mean the update failed: the device may have committed
 * the image before it went. So the host asks again: while it waits for END's answer it
 * also greets (after END_QUIET_MS), so a device that lost power and comes back is held in
 * its boot window; it reopens a port that failed; it greets densely for opts.connect_ms,
 * at the current rate and the starting rate (a device that restarted is back at the
 * latter). If the device then reports this image committed and its crc matches, the
 * update succeeded (with a warning); if it reports it not committed, END is asked again
 * (a live device whose END was lost) and a device that lost its update session fails the
 * update as a transfer failure.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "f0boot/le.h"
#include "transport.h"
#include "update.h"

#define END_QUIET_MS 100 /* END normally answers within this: greet only after it */
#define RELINK_GREET_MS \
    20 /* greeting interval while asking again: inside a 50 ms
                                 * boot window at least twice */

static const uint8_t greeting[2] = {F0B_PROTO_MAJOR, F0B_PROTO_MINOR};

/* Wait for the answer to END (seq) until deadline, greeting every RELINK_GREET_MS after
 * END_QUIET_MS. The status (>= 0, result in er, *olen bytes), 0x100 for a NAK before any
 * greeting (send END again), F0B_E_TRANSFER on silence or when an INFO answer comes first
 * (END's answer is lost: ask the device), or the port's error. */
static int end_wait(struct f0b_session *s, uint8_t seq, uint8_t *er, uint32_t *olen)
{
    uint64_t t = sess_now(s), deadline = t + (uint64_t)s->o.timeout_ms, greet = t + END_QUIET_MS;
    const uint8_t *b = s->rx.buf;
    int greeted = 0;
    uint32_t n;

    for (;;) {
        int rc = sess_recv_frame(s, greet < deadline ? greet : deadline, &n);
        if (rc < 0)
            return rc;
        if (rc == 0) {
            if (sess_now(s) >= deadline)
                return F0B_E_TRANSFER;
            rc = sess_send_frame(s, F0B_CMD_INFO, ++s->seq, greeting, sizeof greeting, 1);
            if (rc < 0)
                return rc;
            greet = sess_now(s) + RELINK_GREET_MS;
            greeted = 1;
            continue;
        }
        if (b[0] == F0B_T_NAK && !greeted)
            return 0x100;
        if (b[0] == (F0B_CMD_INFO | F0B_RESP))
            return F0B_E_TRANSFER; /* INFO answered before END: ask (relink) */
        if (b[0] != (F0B_CMD_END | F0B_RESP) || b[1] != seq || n < 7)
            continue;
        *olen = n - 7 < 4 ? n - 7 : 4;
        memcpy(er, b + 3, *olen);
        return b[2];
    }
}

/* END, repeated only after a NAK (silence is handled by asking again, relink()). */
static int end_request(struct f0b_session *s, const uint8_t *tag, uint8_t er[4], uint32_t *olen)
{
    uint8_t seq = ++s->seq;
    int st = F0B_E_TRANSFER;

    for (int attempt = 0; attempt < sess_tries(s); attempt++) {
        if (attempt)
            s->retries++;
        st = sess_send_frame(s, F0B_CMD_END, seq, tag, tag ? F0B_IMG_TAG_LEN : 0, attempt > 0);
        if (st < 0)
            return st;
        st = end_wait(s, seq, er, olen);
        if (st != 0x100)
            return st;
    }
    return F0B_E_TRANSFER;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L};

    nanosleep(&ts, NULL);
}

/* Reopen a port that failed, for up to for_ms. 0 or the error of the last attempt. */
static int reopen(struct f0b_session *s, uint32_t for_ms)
{
    uint64_t t0 = f0b_mono_ms();
    char err[256];
    int rc;

    for (;;) {
        rc = f0b_port_reopen(s->port, err, sizeof err);
        if (rc == 0 || rc == F0B_E_ARG || f0b_mono_ms() - t0 >= for_ms)
            break;
        sleep_ms(100);
    }
    if (rc == 0) {
        s->baud = s->port->open_baud;
        sess_flush_input(s);
    }
    return rc;
}

/* Get a bootloader to answer INFO again: reopen the port if it failed, then greet densely
 * for opts.connect_ms at the current rate and the starting one. 0 with s->info fresh, or
 * an error (F0B_E_NO_ANSWER when nobody answered). */
static int reach(struct f0b_session *s, int lost)
{
    uint32_t for_ms = s->o.connect_ms > 0 ? (uint32_t)s->o.connect_ms : 1u;
    uint32_t rates[2] = {s->baud, s->o.baud};
    uint64_t end;
    int rc = 0;

    if (lost == F0B_E_IO || !s->port->ops)
        rc = reopen(s, for_ms);
    if (rc == F0B_E_ARG && s->port->ops)
        rc = 0; /* cannot be reopened (a loopback): greet on it as it is */
    if (rc < 0)
        return rc;
    rates[0] = s->baud;
    end = sess_now(s) + for_ms;
    while (sess_now(s) < end) {
        for (int i = 0; i < (rates[0] != rates[1] ? 2 : 1); i++) {
            if (rates[0] != rates[1] && s->port->ops->set_baud(s->port->ctx, rates[i]) < 0)
                return F0B_E_IO; /* the port cannot take the rate: it is broken */
            rc = sess_greet(s, RELINK_GREET_MS, RELINK_GREET_MS);
            if (rc != F0B_E_NO_ANSWER) {
                if (rc == 0)
                    s->baud = rates[i];
                return rc;
            }
        }
    }
    return F0B_E_NO_ANSWER;
}

/* The device answered again: has it committed this image? END once more if not (a live
 * device whose END went missing still has the update open). */
static int committed_check(struct f0b_session *s, const uint8_t *hdr, const struct f0b_plan *p,
                           struct f0b_flash_result *res)
{
    const struct f0b_dev_info *d = &s->info;
    uint32_t dcrc = 0, n;
    char msg[200];
    int rc;

    if (d->app_state != F0B_APP_VALID || memcmp(d->record, hdr, F0B_IMG_HDR_SIZE) != 0) {
        rc = sess_request(s, F0B_CMD_END, p->tag, p->tag ? F0B_IMG_TAG_LEN : 0, NULL, 0, &n,
                          s->o.timeout_ms, sess_tries(s));
        if (rc == F0B_ST_BAD_STATE) {
            sess_event(s, F0B_EV_WARN, "verify",
                       "the device answered again without the update "
                       "(it restarted before the commit): the image is not committed; flash "
                       "again",
                       p->size, p->size);
            return F0B_E_TRANSFER;
        }
        if (rc != F0B_ST_OK)
            return sess_fail_status(s, rc);
    }
    if (p->tag) {
        /* The secure bootloader serves no CRC: it committed, so its tag and read-back
         * checks passed; asking again found this very header committed (or END said OK). */
        dcrc = p->crc;
    } else if ((rc = f0b_sess_crc(s, d->app_start, p->size, 0, &dcrc, 1)) < 0) {
        return rc;
    }
    res->crc = dcrc;
    if (dcrc != p->crc)
        return F0B_E_VERIFY;
    res->relinked = 1;
    snprintf(msg, sizeof msg,
             "the link was lost after END; asked again, the device has this "
             "image committed (crc32 0x%08x)",
             dcrc);
    sess_event(s, F0B_EV_WARN, "verify", msg, p->size, p->size);
    return 0;
}

/* The link was lost (lost: F0B_E_TRANSFER or F0B_E_IO) after END was sent: ask again. */
static int relink(struct f0b_session *s, const uint8_t *hdr, const struct f0b_plan *p,
                  struct f0b_flash_result *res, int lost)
{
    int rc;

    sess_event(s, F0B_EV_WARN, "verify",
               lost == F0B_E_IO ? "the port failed after END: "
                                  "reopening it and asking the device again"
                                : "no answer after END: asking "
                                  "the device again",
               p->size, p->size);
    rc = reach(s, lost);
    if (rc == 0)
        return committed_check(s, hdr, p, res);
    if (rc != F0B_E_VERSION && rc != F0B_E_PROTOCOL && rc != F0B_E_NOMEM) {
        sess_event(s, F0B_EV_WARN, "verify",
                   "no bootloader answered again: the image may or "
                   "may not be committed (f0boot probe tells; flash again if not)",
                   p->size, p->size);
        return lost;
    }
    return rc;
}

static int lost_link(int rc) { return rc == F0B_E_TRANSFER || rc == F0B_E_IO; }

int f0b_verify(struct f0b_session *s, const uint8_t *hdr, const struct f0b_plan *p,
               struct f0b_flash_result *res)
{
    uint8_t er[4];
    uint32_t n = 0, dcrc = 0;
    int st, rc;

    sess_event(s, F0B_EV_PHASE, "verify", "device reads the flash back", p->size, p->size);
    st = end_request(s, p->tag, er, &n);
    if (lost_link(st))
        return relink(s, hdr, p, res, st);
    if (st != F0B_ST_OK)
        return sess_fail_status(s, st);
    if (n != 4 || f0b_get_le32(er) != p->crc)
        return F0B_E_VERIFY;
    if (p->tag) {
        /* Encrypted: END's OK is the device's own check (tag, read-back CRC of the
         * plaintext); there is no CRC query to ask. */
        res->crc = p->crc;
        return 0;
    }
    /* Ask once more, independently of END: the success we report is this comparison. */
    rc = f0b_sess_crc(s, s->info.app_start, p->size, 0, &dcrc, 1);
    if (lost_link(rc))
        return relink(s, hdr, p, res, rc);
    if (rc < 0)
        return rc;
    res->crc = dcrc;
    return dcrc == p->crc ? 0 : F0B_E_VERIFY;
}
