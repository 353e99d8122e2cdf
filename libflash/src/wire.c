/*
 * The session's wire: frames out (COBS, with the frame check) and in, requests with
 * repeats, and the greeting that parses INFO. Algorithm and rationale: docs/protocol.md.
 */
#include <string.h>
#include <time.h>
#include <zlib.h>
#include "f0boot/le.h"
#include "session.h"
#include "frame.h"

/* The frame check of n bytes (type, seq, payload): the one place the host computes it. */
static uint32_t frame_crc(const uint8_t *p, uint32_t n) { return f0b_frame_crc(p, n); }

uint64_t sess_now(struct f0b_session *s)
{
    struct timespec ts;

    if (s->port->ops && s->port->ops->now_ms)
        return s->port->ops->now_ms(s->port->ctx);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void sess_event(struct f0b_session *s, enum f0b_event_kind kind, const char *phase, const char *msg,
                uint32_t done, uint32_t total)
{
    struct f0b_event ev = {kind, phase, msg, done, total, 0};

    if (!s->o.event)
        return;
    ev.elapsed_ms = sess_now(s) - s->t0;
    s->o.event(s->o.event_ctx, &ev);
}

struct txbuf {
    uint8_t b[F0B_MAX_ENCODED + 1];
    uint32_t n;
};

static void sink(void *ctx, const uint8_t *p, uint32_t n)
{
    struct txbuf *t = ctx;

    memcpy(t->b + t->n, p, n);
    t->n += n;
}

int sess_send_frame(struct f0b_session *s, uint8_t type, uint8_t seq, const uint8_t *pl,
                    uint32_t plen, int lead_delim)
{
    uint8_t f[F0B_MAX_FRAME];
    struct txbuf t;

    if (plen > F0B_MAX_PAYLOAD)
        return F0B_E_ARG;
    if (!s->port->ops)
        return F0B_E_IO;
    if (sess_stopped(s))
        return F0B_E_ABORTED; /* before a frame starts: one started is written whole */
    f[0] = type;
    f[1] = seq;
    if (plen)
        memcpy(f + 2, pl, plen);
    f0b_put_le32(f + 2 + plen, frame_crc(f, 2 + plen));
    t.n = 0;
    if (lead_delim) /* ends any partial frame the device holds */
        t.b[t.n++] = F0B_FRAME_DELIM;
    f0b_cobs_encode(f, plen + F0B_FRAME_OVERHEAD, sink, &t);
    return s->port->ops->write(s->port->ctx, t.b, t.n);
}

/* Damaged frames are skipped: the device retransmits nothing, the host's timeouts and the
 * sequence numbers recover. */
int sess_recv_frame(struct f0b_session *s, uint64_t deadline, uint32_t *len)
{
    struct f0b_rx *r = &s->rx;

    if (!s->port->ops)
        return F0B_E_IO;
    for (;;) {
        while (s->rpos < s->rend) {
            uint32_t used;
            int n = f0b_rx_feed(r, s->rbuf + s->rpos, (uint32_t)(s->rend - s->rpos), &used);
            s->rpos += used;
            if (n > 0 &&
                f0b_frame_crc_ok(r->buf, (uint32_t)n, frame_crc(r->buf, (uint32_t)n - 4u))) {
                *len = (uint32_t)n;
                return 1;
            }
        }
        uint64_t t = sess_now(s);
        if (sess_stopped(s))
            return F0B_E_ABORTED;
        if (t >= deadline)
            return 0;
        uint64_t wait = deadline - t;
        if (s->o.stop && wait > STOP_POLL_MS)
            wait = STOP_POLL_MS; /* a signal does not end the transports' waits */
        int got = s->port->ops->read(s->port->ctx, s->rbuf, sizeof s->rbuf, (int)wait);
        if (got < 0)
            return got;
        s->rpos = 0;
        s->rend = (size_t)got;
    }
}

size_t f0b_sess_take_input(struct f0b_session *s, uint8_t *buf, size_t max)
{
    size_t n = s->rend - s->rpos;

    if (n > max)
        n = max;
    memcpy(buf, s->rbuf + s->rpos, n);
    s->rpos += n;
    return n;
}

int sess_stopped(const struct f0b_session *s) { return s->o.stop && *s->o.stop; }

void sess_flush_input(struct f0b_session *s)
{
    if (s->port->ops)
        s->port->ops->flush(s->port->ctx);
    s->rpos = s->rend = 0;
    f0b_rx_reset(&s->rx);
}

int sess_idle(struct f0b_session *s, uint32_t ms)
{
    uint64_t deadline = sess_now(s) + ms;
    uint32_t n;
    int rc;

    while ((rc = sess_recv_frame(s, deadline, &n)) > 0)
        ;
    return rc;
}

/* Wait for the answer to (type, seq) until deadline: the device status (>= 0, result in
 * out), NO_ANSWER_YET on silence or a NAK (our request or noise before it was damaged:
 * send again), or the port's error. */
#define NO_ANSWER_YET 0x100
static int await_answer(struct f0b_session *s, uint8_t type, uint8_t seq, uint64_t deadline,
                        uint8_t *out, uint32_t outmax, uint32_t *olen)
{
    const uint8_t *b = s->rx.buf;
    uint32_t n;
    int rc;

    while ((rc = sess_recv_frame(s, deadline, &n)) > 0) {
        if (b[0] == F0B_T_NAK)
            return NO_ANSWER_YET;
        if (b[0] != (type | F0B_RESP) || b[1] != seq || n < 7)
            continue; /* a late answer to something else */
        n -= 7;
        if (n > outmax)
            n = outmax;
        if (out && n)
            memcpy(out, b + 3, n);
        if (olen)
            *olen = n;
        return b[2];
    }
    return rc < 0 ? rc : NO_ANSWER_YET;
}

int sess_request(struct f0b_session *s, uint8_t type, const uint8_t *pl, uint32_t plen,
                 uint8_t *out, uint32_t outmax, uint32_t *olen, int timeout_ms, int tries)
{
    uint8_t seq = ++s->seq;

    for (int attempt = 0; attempt < tries; attempt++) {
        if (attempt)
            s->retries++;
        int rc = sess_send_frame(s, type, seq, pl, plen, attempt > 0);
        if (rc < 0)
            return rc;
        rc = await_answer(s, type, seq, sess_now(s) + (uint64_t)timeout_ms, out, outmax, olen);
        if (rc != NO_ANSWER_YET)
            return rc;
    }
    return F0B_E_TRANSFER;
}

int sess_tries(const struct f0b_session *s) { return s->o.retries < 0 ? 1 : s->o.retries + 1; }

int sess_fail_status(struct f0b_session *s, int st)
{
    if (st < 0)
        return st;
    s->last_status = st;
    return st == F0B_ST_VERIFY ? F0B_E_VERIFY : F0B_E_REFUSED;
}

static int parse_info(struct f0b_session *s, int st, const uint8_t *r, uint32_t n)
{
    struct f0b_dev_info *d = &s->info;

    memset(d, 0, sizeof *d);
    if (n >= 2) {
        d->proto_major = r[F0B_INFO_PROTO_MAJOR];
        d->proto_minor = r[F0B_INFO_PROTO_MINOR];
    }
    if (st == F0B_ST_VERSION || (n >= 2 && d->proto_major != F0B_PROTO_MAJOR))
        return F0B_E_VERSION;
    if (st != F0B_ST_OK || n < F0B_INFO_SIZE)
        return F0B_E_PROTOCOL;
    d->bl_major = r[F0B_INFO_BL_MAJOR];
    d->bl_minor = r[F0B_INFO_BL_MINOR];
    d->bl_patch = f0b_get_le16(r + F0B_INFO_BL_PATCH);
    d->chip_id = f0b_get_le16(r + F0B_INFO_CHIP_ID);
    d->part = f0b_get_le16(r + F0B_INFO_PART);
    d->page_size = f0b_get_le16(r + F0B_INFO_PAGE_SIZE);
    d->flash_size = f0b_get_le32(r + F0B_INFO_FLASH_SIZE);
    d->app_start = f0b_get_le32(r + F0B_INFO_APP_START);
    d->app_size = f0b_get_le32(r + F0B_INFO_APP_SIZE);
    d->max_data = f0b_get_le16(r + F0B_INFO_MAX_DATA);
    d->window = r[F0B_INFO_WINDOW];
    d->app_state = r[F0B_INFO_APP_STATE];
    d->features = f0b_get_le32(r + F0B_INFO_FEATURES);
    d->max_baud = f0b_get_le32(r + F0B_INFO_MAX_BAUD);
    d->stay_reason = r[F0B_INFO_STAY_REASON];
    d->idle_ms = f0b_get_le16(r + F0B_INFO_IDLE_MS);
    memcpy(d->record, r + F0B_INFO_RECORD, F0B_IMG_HDR_SIZE);
    if (d->page_size < 2 || (d->page_size & (d->page_size - 1)) || d->max_data < 2 ||
        d->window == 0)
        return F0B_E_PROTOCOL;
    s->have_info = 1;
    return 0;
}

int sess_greet(struct f0b_session *s, uint32_t for_ms, uint32_t every_ms)
{
    uint8_t pl[2] = {F0B_PROTO_MAJOR, F0B_PROTO_MINOR};
    uint64_t end = sess_now(s) + for_ms;
    struct f0b_rx *r = &s->rx;
    uint32_t n;
    int rc, first = 1;

    do {
        if (!first)
            s->retries++;
        rc = sess_send_frame(s, F0B_CMD_INFO, ++s->seq, pl, sizeof pl, 1);
        if (rc < 0)
            return rc;
        uint64_t deadline = sess_now(s) + every_ms;
        if (deadline > end && !first)
            deadline = end;
        first = 0;
        while ((rc = sess_recv_frame(s, deadline, &n)) > 0) {
            /* Any INFO answer will do: a slow line may answer an earlier greeting. */
            if (r->buf[0] != (F0B_CMD_INFO | F0B_RESP) || n < 7)
                continue;
            return parse_info(s, r->buf[2], r->buf + 3, n - 7);
        }
        if (rc < 0)
            return rc;
    } while (sess_now(s) < end);
    return F0B_E_NO_ANSWER;
}
