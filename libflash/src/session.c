/*
 * The host end of the f0boot protocol: greeting and version check, BEGIN, windowed DATA
 * with go-back-N retransmission, END, read-back verification, BOOT, RESET, baud switch.
 * Algorithm and rationale: docs/protocol.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>
#include "f0boot/flash.h"
#include "f0boot/le.h"
#include "frame.h"

#define GREET_MS 100            /* INFO is repeated this often while connecting */

const char *f0b_flash_strerror(int err)
{
    switch (err) {
    case F0B_E_OK: return "success";
    case F0B_E_ARG: return "invalid argument";
    case F0B_E_PORT: return "port cannot be opened";
    case F0B_E_IO: return "port read/write failed (device unplugged or connection closed)";
    case F0B_E_NO_ANSWER: return "no bootloader answered";
    case F0B_E_VERSION: return "the bootloader speaks another protocol version";
    case F0B_E_TRANSFER: return "transfer failed after retries";
    case F0B_E_REFUSED: return "the device refused the request";
    case F0B_E_VERIFY: return "read-back check failed: flash differs from the image";
    case F0B_E_PROTOCOL: return "malformed answer from the device";
    case F0B_E_NOMEM: return "out of memory";
    case F0B_E_BAUD: return "the port does not run at the rate asked for";
    default: return "unknown error";
    }
}

const char *f0b_status_str(int st)
{
    switch (st) {
    case F0B_ST_OK: return "ok";
    case F0B_ST_BAD_FRAME: return "frame damaged on the line";
    case F0B_ST_UNKNOWN_CMD: return "command not supported by this bootloader";
    case F0B_ST_BAD_LEN: return "request length wrong (host/bootloader mismatch)";
    case F0B_ST_BAD_STATE: return "no update session open (it was closed by an earlier error): start again";
    case F0B_ST_OUT_OF_ORDER: return "data out of order";
    case F0B_ST_NO_APP: return "no valid application to boot: flash one first";
    case F0B_ST_BAD_ARG: return "argument out of range";
    case F0B_ST_VERSION: return "protocol version not supported";
    case F0B_ST_HDR_MAGIC: return "not an f0boot container (bad magic): pack the image with `f0boot pack`";
    case F0B_ST_HDR_VERSION: return "container header version not understood by this bootloader: update the bootloader or repack";
    case F0B_ST_HDR_CRC: return "container header CRC wrong: the file is damaged, repack it";
    case F0B_ST_HDR_ADDR: return "image is not linked for this device's application start: relink at the address `f0boot probe` shows";
    case F0B_ST_HDR_SIZE: return "image payload empty or larger than the application region";
    case F0B_ST_HDR_VT_LEN: return "vector table length in the header is invalid";
    case F0B_ST_HDR_PART: return "image built for another part: repack with the right --part";
    case F0B_ST_HDR_SP: return "initial stack pointer not in this device's SRAM or not 4-aligned";
    case F0B_ST_HDR_RESET: return "reset vector without Thumb bit or outside the image";
    case F0B_ST_FLASH_ERASE: return "flash erase failed on the device";
    case F0B_ST_FLASH_PROGRAM: return "flash programming failed on the device";
    case F0B_ST_FLASH_PROTECTED: return "flash is write-protected on the device";
    case F0B_ST_FLASH_TIMEOUT: return "flash operation timed out on the device";
    case F0B_ST_VERIFY: return "device read-back CRC differs from the image";
    default: return "unknown device status";
    }
}

void f0b_flash_opts_default(struct f0b_flash_opts *o)
{
    memset(o, 0, sizeof *o);
    o->baud = 115200;
    o->timeout_ms = 1000;
    o->retries = 5;
    o->connect_ms = 3000;
}

/* ---- plumbing -------------------------------------------------------------------------- */

static uint64_t now(struct f0b_session *s)
{
    struct timespec ts;

    if (s->port->ops->now_ms)
        return s->port->ops->now_ms(s->port->ctx);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void event(struct f0b_session *s, enum f0b_event_kind kind, const char *phase,
                  const char *msg, uint32_t done, uint32_t total)
{
    struct f0b_event ev = { kind, phase, msg, done, total, 0 };

    if (!s->o.event)
        return;
    ev.elapsed_ms = now(s) - s->t0;
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

static int send_frame(struct f0b_session *s, uint8_t type, uint8_t seq, const uint8_t *pl,
                      uint32_t plen, int lead_delim)
{
    uint8_t f[F0B_MAX_FRAME];
    struct txbuf t;

    if (plen > F0B_MAX_PAYLOAD)
        return F0B_E_ARG;
    f[0] = type;
    f[1] = seq;
    if (plen)
        memcpy(f + 2, pl, plen);
    f0b_put_le32(f + 2 + plen, f0b_frame_crc(f, 2 + plen));
    t.n = 0;
    if (lead_delim)             /* ends any partial frame the device holds */
        t.b[t.n++] = F0B_FRAME_DELIM;
    f0b_cobs_encode(f, plen + F0B_FRAME_OVERHEAD, sink, &t);
    return s->port->ops->write(s->port->ctx, t.b, t.n);
}

/* Next frame with a good crc before deadline: 1 (in rx->buf, *len bytes), 0 on timeout,
 * or a negative error. Damaged frames are skipped: the device retransmits nothing, the
 * host's timeouts and the sequence numbers recover. */
static int recv_frame(struct f0b_session *s, uint64_t deadline, uint32_t *len)
{
    struct f0b_rx *r = s->rx;

    for (;;) {
        while (s->rpos < s->rend) {
            uint32_t used;
            int n = f0b_rx_feed(r, s->rbuf + s->rpos, (uint32_t)(s->rend - s->rpos), &used);
            s->rpos += used;
            if (n > 0 && f0b_frame_crc_ok(r->buf, (uint32_t)n, f0b_frame_crc(r->buf, (uint32_t)n - 4u))) {
                *len = (uint32_t)n;
                return 1;
            }
        }
        uint64_t t = now(s);
        if (t >= deadline)
            return 0;
        int got = s->port->ops->read(s->port->ctx, s->rbuf, sizeof s->rbuf,
                                     (int)(deadline - t));
        if (got < 0)
            return got;
        s->rpos = 0;
        s->rend = (size_t)got;
    }
}

static void flush_input(struct f0b_session *s)
{
    s->port->ops->flush(s->port->ctx);
    s->rpos = s->rend = 0;
    f0b_rx_reset(s->rx);
}

/* Wait out time on the line, discarding whatever arrives. */
static int idle(struct f0b_session *s, uint32_t ms)
{
    uint64_t deadline = now(s) + ms;
    uint32_t n;
    int rc;

    while ((rc = recv_frame(s, deadline, &n)) > 0)
        ;
    return rc;
}

/* Send a request and wait for its answer, repeating it up to tries times. Returns the
 * device status (>= 0) with the result bytes in out (*olen), or a negative error
 * (F0B_E_TRANSFER when no answer came). */
static int request(struct f0b_session *s, uint8_t type, const uint8_t *pl, uint32_t plen,
                   uint8_t *out, uint32_t outmax, uint32_t *olen, int timeout_ms, int tries)
{
    uint8_t seq = ++s->seq;
    struct f0b_rx *r = s->rx;
    uint32_t n;
    int rc;

    for (int attempt = 0; attempt < tries; attempt++) {
        if (attempt)
            s->retries++;
        rc = send_frame(s, type, seq, pl, plen, attempt > 0);
        if (rc < 0)
            return rc;
        uint64_t deadline = now(s) + (uint64_t)timeout_ms;
        for (;;) {
            rc = recv_frame(s, deadline, &n);
            if (rc < 0)
                return rc;
            if (rc == 0)
                break;
            if (r->buf[0] == F0B_T_NAK)
                break;          /* our request (or noise before it) was damaged: again */
            if (r->buf[0] != (type | F0B_RESP) || r->buf[1] != seq || n < 7)
                continue;       /* a late answer to something else */
            n -= 7;
            if (n > outmax)
                n = outmax;
            if (out && n)
                memcpy(out, r->buf + 3, n);
            if (olen)
                *olen = n;
            return r->buf[2];
        }
    }
    return F0B_E_TRANSFER;
}

static int tries(struct f0b_session *s)
{
    return s->o.retries < 0 ? 1 : s->o.retries + 1;
}

/* ---- session --------------------------------------------------------------------------- */

int f0b_sess_init(struct f0b_session *s, struct f0b_port *p, const struct f0b_flash_opts *o)
{
    memset(s, 0, sizeof *s);
    s->port = p;
    s->o = *o;
    s->baud = o->baud;
    s->rx = malloc(sizeof(struct f0b_rx));
    if (!s->rx)
        return F0B_E_NOMEM;
    f0b_rx_reset(s->rx);
    s->t0 = now(s);
    return 0;
}

void f0b_sess_free(struct f0b_session *s)
{
    free(s->rx);
    s->rx = NULL;
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
    memcpy(d->record, r + F0B_INFO_RECORD, F0B_IMG_HDR_SIZE);
    if (d->page_size < 2 || (d->page_size & (d->page_size - 1)) || d->max_data < 2 ||
        d->window == 0)
        return F0B_E_PROTOCOL;
    s->have_info = 1;
    return 0;
}

/* Greet (INFO) every GREET_MS until an INFO answer arrives or for_ms passes. */
static int greet(struct f0b_session *s, uint32_t for_ms)
{
    uint8_t pl[2] = { F0B_PROTO_MAJOR, F0B_PROTO_MINOR };
    uint64_t end = now(s) + for_ms;
    struct f0b_rx *r = s->rx;
    uint32_t n;
    int rc, first = 1;

    do {
        if (!first)
            s->retries++;
        rc = send_frame(s, F0B_CMD_INFO, ++s->seq, pl, sizeof pl, 1);
        if (rc < 0)
            return rc;
        uint64_t deadline = now(s) + GREET_MS;
        if (deadline > end && !first)
            deadline = end;
        first = 0;
        while ((rc = recv_frame(s, deadline, &n)) > 0) {
            /* Any INFO answer will do: a slow line may answer an earlier greeting. */
            if (r->buf[0] != (F0B_CMD_INFO | F0B_RESP) || n < 7)
                continue;
            return parse_info(s, r->buf[2], r->buf + 3, n - 7);
        }
        if (rc < 0)
            return rc;
    } while (now(s) < end);
    return F0B_E_NO_ANSWER;
}

int f0b_sess_connect(struct f0b_session *s)
{
    char msg[160];
    int rc;

    event(s, F0B_EV_PHASE, "connect", "waiting for the bootloader", 0, 0);
    flush_input(s);
    rc = greet(s, s->o.connect_ms > 0 ? (uint32_t)s->o.connect_ms : 1u);
    if (rc == 0) {
        snprintf(msg, sizeof msg, "bootloader %u.%u.%u, protocol %u.%u, part %u, chip id 0x%03x",
                 s->info.bl_major, s->info.bl_minor, s->info.bl_patch, s->info.proto_major,
                 s->info.proto_minor, s->info.part, s->info.chip_id);
        event(s, F0B_EV_PHASE, "connect", msg, 0, 0);
    }
    return rc;
}

/* A request that did not end in F0B_ST_OK: the transport error as it is, or the device's
 * status kept in last_status and mapped to an error. */
static int fail_status(struct f0b_session *s, int st)
{
    if (st < 0)
        return st;
    s->last_status = st;
    return st == F0B_ST_VERIFY ? F0B_E_VERIFY : F0B_E_REFUSED;
}

int f0b_sess_crc(struct f0b_session *s, uint32_t addr, uint32_t len, uint32_t chunk,
                 uint32_t *out, uint32_t n)
{
    uint8_t pl[12], res[F0B_MAX_PAYLOAD];
    uint32_t olen = 0;
    int st;

    f0b_put_le32(pl, addr);
    f0b_put_le32(pl + 4, len);
    f0b_put_le32(pl + 8, chunk);
    st = request(s, F0B_CMD_CRC, pl, sizeof pl, res, sizeof res, &olen, s->o.timeout_ms,
                 tries(s));
    if (st != F0B_ST_OK)
        return fail_status(s, st);
    if (olen != 4u * n)
        return F0B_E_PROTOCOL;
    for (uint32_t i = 0; i < n; i++)
        out[i] = f0b_get_le32(res + 4 * i);
    return 0;
}

int f0b_sess_fast_baud(struct f0b_session *s)
{
    uint32_t b = s->o.fast_baud, old = s->baud, n;
    uint8_t pl[4];
    char msg[320];
    int st;

    if (!b || b == old)
        return 0;
    if (!(s->info.features & F0B_FEAT_BAUD) || b > s->info.max_baud) {
        snprintf(msg, sizeof msg, "the bootloader cannot switch to %u baud (max %u): staying at %u",
                 b, s->info.max_baud, old);
        event(s, F0B_EV_WARN, "baud", msg, 0, 0);
        return 0;
    }
    snprintf(msg, sizeof msg, "switching to %u baud", b);
    event(s, F0B_EV_PHASE, "baud", msg, 0, 0);
    f0b_put_le32(pl, b);
    /* A lost OK leaves the device at the new rate for F0B_BAUD_CONFIRM_MS: wait longer
     * than that before asking again at the old rate. */
    st = request(s, F0B_CMD_BAUD, pl, 4, NULL, 0, &n,
                 s->o.timeout_ms > (int)F0B_BAUD_CONFIRM_MS + 300 ? s->o.timeout_ms
                 : (int)F0B_BAUD_CONFIRM_MS + 300, tries(s));
    if (st < 0)
        return st;
    if (st != F0B_ST_OK) {
        snprintf(msg, sizeof msg, "the bootloader refused %u baud (%s): staying at %u", b,
                 f0b_status_str(st), old);
        event(s, F0B_EV_WARN, "baud", msg, 0, 0);
        return 0;
    }
    uint64_t t0 = now(s);
    int sb = F0B_E_IO;
    if (s->port->ops->drain(s->port->ctx) == 0 &&
        (sb = s->port->ops->set_baud(s->port->ctx, b)) == 0) {
        flush_input(s);
        /* Confirm inside the device's window: any valid frame at the new rate does. */
        if (greet(s, F0B_BAUD_CONFIRM_MS - 150u) == 0) {
            s->baud = b;
            return 0;
        }
    }
    /* The new rate did not come up: the device returns to the old one on its own once
     * F0B_BAUD_CONFIRM_MS has passed without a valid frame. */
    uint32_t stayed = sb == F0B_E_BAUD && s->port->ops->get_baud ?
                      s->port->ops->get_baud(s->port->ctx) : 0;
    s->port->ops->set_baud(s->port->ctx, old);
    uint64_t back = t0 + F0B_BAUD_CONFIRM_MS + 100u, t = now(s);
    if (t < back && idle(s, (uint32_t)(back - t)) < 0)
        return F0B_E_IO;
    flush_input(s);
    st = greet(s, (uint32_t)s->o.timeout_ms * (uint32_t)tries(s));
    if (st < 0)
        return st == F0B_E_NO_ANSWER ? F0B_E_TRANSFER : st;
    if (sb == F0B_E_BAUD)   /* the host's port, not the device, cannot do it */
        snprintf(msg, sizeof msg, "%s cannot run at %u baud (it stays at %u): fell back to %u",
                 s->port->name ? s->port->name : "the port", b, stayed ? stayed : old, old);
    else
        snprintf(msg, sizeof msg, "%u baud did not come up: fell back to %u", b, old);
    event(s, F0B_EV_WARN, "baud", msg, 0, 0);
    return 0;
}

/* ---- DATA streaming -------------------------------------------------------------------- */

struct chunk {
    uint32_t off;
    uint32_t len;
    uint8_t seek;
};

struct flight {
    uint8_t seq;
    uint8_t stale;
    uint32_t idx;
};

/*
 * Go-back-N with the device's window. Every DATA frame the device consumes yields at most
 * one answer, in order, echoing its seq; an answer to frame k therefore means every frame
 * sent before k has been consumed too (answered, dropped after a reported gap, or lost).
 * At most `window` frames are unaccounted for, plus one retransmission after a rewind
 * (the frames it follows are dropped without flash work), so the device's receive ring,
 * sized for window frames besides the one being programmed, cannot overflow.
 */
static int stream(struct f0b_session *s, const uint8_t *payload, struct chunk *ch,
                  uint32_t nch, uint32_t total, struct f0b_flash_result *res)
{
    uint32_t window = s->info.window > 16 ? 16 : s->info.window;
    struct flight fl[17];
    uint32_t nin = 0, nfresh = 0, idx = 0, acked = 0, confirmed = 0, done = 0, n;
    uint64_t frame_ms = (uint64_t)F0B_MAX_ENCODED * 10000u / (s->baud ? s->baud : 115200) + 1;
    /* Worst case for window+1 frames: line time plus erase (40 ms) and 512 half-words
     * (60 us each) per frame, plus adapter latency. */
    uint64_t tmo = (window + 1) * (frame_ms + 75) + 100;
    uint8_t pl[F0B_MAX_PAYLOAD];
    struct f0b_rx *r = s->rx;
    int fails = 0, rc;
    char msg[128];

    if (tmo < (uint64_t)s->o.timeout_ms)
        tmo = (uint64_t)s->o.timeout_ms;
    uint64_t deadline = now(s) + tmo;
    while (acked < nch) {
        while (idx < nch && (nin < window || (nfresh == 0 && nin <= window))) {
            struct chunk *c = &ch[idx];
            f0b_put_le32(pl, c->off);
            pl[4] = c->seek ? F0B_DATA_SEEK : 0;
            pl[5] = 0;
            memcpy(pl + F0B_DATA_HDR, payload + c->off, c->len);
            fl[nin].seq = ++s->seq;
            fl[nin].stale = 0;
            fl[nin].idx = idx;
            rc = send_frame(s, F0B_CMD_DATA, fl[nin].seq, pl, F0B_DATA_HDR + c->len, 0);
            if (rc < 0)
                return rc;
            nin++;
            nfresh++;
            idx++;
            res->written += c->len;
        }
        rc = recv_frame(s, deadline, &n);
        if (rc < 0)
            return rc;
        int rewind = 0;
        uint32_t next = 0;
        if (rc == 0) {
            /* Nothing for a whole timeout. Frames written off at an earlier rewind or timeout
             * have had their time: forget them. Those still counted as in flight are written
             * off now (a slow device may still answer them), and one frame at the last
             * acknowledged offset probes, so the device's ring never holds more than
             * window + 1 of our frames even when it is slower than we think. */
            uint32_t k = 0;
            s->retries++;
            if (++fails > s->o.retries)
                return F0B_E_TRANSFER;
            snprintf(msg, sizeof msg, "no answer to DATA at offset %u: resending", ch[acked].off);
            event(s, F0B_EV_WARN, "write", msg, done, total);
            for (uint32_t j = 0; j < nin; j++)
                if (!fl[j].stale) {
                    fl[k] = fl[j];
                    fl[k++].stale = 1;
                }
            nin = k;
            nfresh = 0;
            idx = acked;
            deadline = now(s) + tmo;
            continue;
        }
        if (r->buf[0] == F0B_T_NAK && n == F0B_FRAME_OVERHEAD + 5) {
            if (nfresh == 0)
                continue;       /* about a frame we have written off already */
            rewind = 1;
            next = f0b_get_le32(r->buf + 3);
        } else if (r->buf[0] == (F0B_CMD_DATA | F0B_RESP) && n == F0B_FRAME_OVERHEAD + 5) {
            uint32_t k;
            for (k = 0; k < nin && fl[k].seq != r->buf[1]; k++)
                ;
            if (k == nin)
                continue;       /* an answer to a frame already accounted for */
            for (uint32_t j = 0; j <= k; j++)
                if (!fl[j].stale)
                    nfresh--;
            memmove(fl, fl + k + 1, (nin - k - 1) * sizeof fl[0]);
            nin -= k + 1;
            deadline = now(s) + tmo;
            next = f0b_get_le32(r->buf + 3);
            if (r->buf[2] == F0B_ST_OUT_OF_ORDER) {
                rewind = 1;
            } else if (r->buf[2] != F0B_ST_OK) {
                s->last_status = r->buf[2];
                return F0B_E_REFUSED;
            }
        } else {
            continue;
        }
        if (next > confirmed) {
            confirmed = next;
            fails = 0;
            while (acked < nch && ch[acked].off + ch[acked].len <= confirmed)
                done += ch[acked++].len;
            if (idx < acked)
                idx = acked;
            event(s, F0B_EV_PROGRESS, "write", NULL, done, total);
        }
        if (rewind) {
            s->retries++;
            if (++fails > s->o.retries)
                return F0B_E_TRANSFER;
            for (uint32_t j = 0; j < nin; j++)
                fl[j].stale = 1;
            nfresh = 0;
            for (idx = acked; idx < nch && ch[idx].off < next; idx++)
                ;
        }
    }
    return 0;
}

int f0b_sess_flash(struct f0b_session *s, const uint8_t *hdr, const uint8_t *payload,
                   uint32_t size, struct f0b_flash_result *res)
{
    const struct f0b_dev_info *d = &s->info;
    uint32_t crc = (uint32_t)crc32(0L, payload, size), dcrc = 0, n, page, chunk;
    uint32_t npages, nch = 0, *pcrc = NULL;
    uint8_t *need = NULL;
    struct chunk *ch = NULL;
    uint64_t t0 = now(s);
    char msg[160];
    int rc, st;

    memset(res, 0, sizeof *res);
    res->bytes = size;
    if (!s->have_info || size == 0 || f0b_get_le32(hdr + F0B_IMG_OFF_PAYLOAD_SIZE) != size)
        return F0B_E_ARG;
    page = d->page_size;
    chunk = d->max_data < F0B_DATA_MAX ? d->max_data : F0B_DATA_MAX;
    if (chunk > page)
        chunk = page;
    while (page % chunk)        /* keep chunks inside pages so a SEEK lands on a page */
        chunk -= 2;
    npages = (size + page - 1) / page;
    need = malloc(npages);
    ch = malloc(sizeof *ch * ((size + chunk - 1) / chunk));
    pcrc = malloc(sizeof *pcrc * F0B_CRC_MAX_CHUNKS);
    if (!need || !ch || !pcrc) {
        rc = F0B_E_NOMEM;
        goto done;
    }
    memset(need, 1, npages);

    if (s->o.skip_unchanged && (d->features & F0B_FEAT_CRC)) {
        event(s, F0B_EV_PHASE, "check", "comparing the image with the device's flash", 0, size);
        if (memcmp(d->record, hdr, F0B_IMG_HDR_SIZE) == 0 && d->app_state == F0B_APP_VALID) {
            rc = f0b_sess_crc(s, d->app_start, size, 0, &dcrc, 1);
            if (rc < 0)
                goto done;
            if (dcrc == crc) {
                res->unchanged = 1;
                res->pages_skipped = npages;
                res->crc = dcrc;
                goto verified;
            }
        }
        for (uint32_t p0 = 0; p0 < npages && (d->features & F0B_FEAT_SEEK); p0 += F0B_CRC_MAX_CHUNKS) {
            uint32_t cnt = npages - p0 < F0B_CRC_MAX_CHUNKS ? npages - p0 : F0B_CRC_MAX_CHUNKS;
            uint32_t off = p0 * page, len = size - off < cnt * page ? size - off : cnt * page;
            rc = f0b_sess_crc(s, d->app_start + off, len, page, pcrc, cnt);
            if (rc < 0)
                goto done;
            for (uint32_t i = 0; i < cnt; i++) {
                uint32_t o = off + i * page, l = size - o < page ? size - o : page;
                if (pcrc[i] == (uint32_t)crc32(0L, payload + o, l)) {
                    need[p0 + i] = 0;
                    res->pages_skipped++;
                }
            }
        }
    }
    uint32_t wbytes = 0;
    for (uint32_t off = 0, prev_end = 0; off < size; off += chunk) {
        if (!need[off / page])
            continue;
        ch[nch].off = off;
        ch[nch].len = size - off < chunk ? size - off : chunk;
        ch[nch].seek = off != prev_end;
        prev_end = off + ch[nch].len;
        wbytes += ch[nch].len;
        nch++;
    }

    event(s, F0B_EV_PHASE, "begin", "sending the image header", 0, size);
    st = request(s, F0B_CMD_BEGIN, hdr, F0B_IMG_HDR_SIZE, NULL, 0, &n, s->o.timeout_ms,
                 tries(s));
    if (st != F0B_ST_OK) {
        rc = fail_status(s, st);
        goto done;
    }
    snprintf(msg, sizeof msg, "writing %u bytes (%u of %u pages) at %u baud",
             wbytes, npages - res->pages_skipped, npages, s->baud);
    event(s, F0B_EV_PHASE, "write", msg, 0, wbytes);
    rc = stream(s, payload, ch, nch, wbytes, res);
    if (rc < 0)
        goto done;

    event(s, F0B_EV_PHASE, "verify", "device reads the flash back", size, size);
    uint8_t er[4];
    st = request(s, F0B_CMD_END, NULL, 0, er, sizeof er, &n, s->o.timeout_ms, tries(s));
    if (st != F0B_ST_OK) {
        rc = fail_status(s, st);
        goto done;
    }
    if (n != 4 || f0b_get_le32(er) != crc) {
        rc = F0B_E_VERIFY;
        goto done;
    }
    /* Ask once more, independently of END: the success we report is this comparison. */
    rc = f0b_sess_crc(s, d->app_start, size, 0, &dcrc, 1);
    if (rc < 0)
        goto done;
    res->crc = dcrc;
verified:
    if (dcrc != crc) {
        rc = F0B_E_VERIFY;
        goto done;
    }
    if (!s->o.no_boot) {
        rc = f0b_sess_boot(s);
        if (rc == F0B_E_TRANSFER) {
            /* The image is verified and committed; only the answer to BOOT is missing (the
             * device leaves right after sending it, so a lost answer cannot be asked for
             * again). The bootloader starts this application at the next reset anyway. */
            res->boot_unconfirmed = 1;
            event(s, F0B_EV_WARN, "boot", "BOOT was not acknowledged: the application is "
                  "verified and committed; if it is not running, reset the board", size, size);
            rc = 0;
        }
        if (rc < 0)
            goto done;
        res->booted = rc == 0 && !res->boot_unconfirmed;
    }
    rc = 0;
done:
    res->ms = now(s) - t0;
    res->retries = s->retries;
    res->baud = s->baud;
    free(need);
    free(ch);
    free(pcrc);
    return rc;
}

int f0b_sess_boot(struct f0b_session *s)
{
    uint32_t n;
    int st;

    event(s, F0B_EV_PHASE, "boot", "starting the application", 0, 0);
    /* At most one repeat: once the device has booted, a repeat is garbage to the
     * application. */
    st = request(s, F0B_CMD_BOOT, NULL, 0, NULL, 0, &n, s->o.timeout_ms,
                 tries(s) < 2 ? tries(s) : 2);
    if (st == F0B_ST_OK)
        return 0;
    return fail_status(s, st);
}

int f0b_sess_reset(struct f0b_session *s)
{
    uint32_t n;
    int st;

    event(s, F0B_EV_PHASE, "reset", "resetting the device", 0, 0);
    st = request(s, F0B_CMD_RESET, NULL, 0, NULL, 0, &n, s->o.timeout_ms, tries(s));
    if (st == F0B_ST_OK)
        return 0;
    return fail_status(s, st);
}
