/*
 * Step two of an update: the DATA frames, go-back-N with the device's window.
 *
 * Every DATA frame the device consumes yields at most one answer, in order, echoing its
 * seq; an answer to frame k therefore means every frame sent before k has been consumed
 * too (answered, dropped after a reported gap, or lost). At most `window` frames are
 * unaccounted for, plus one retransmission after a rewind (the frames it follows are
 * dropped without flash work), so the device's receive ring, sized for window frames
 * besides the one being programmed, cannot overflow.
 */
#include <stdio.h>
#include <string.h>
#include "f0boot/le.h"
#include "update.h"

#define MAX_WINDOW 16

struct flight {
    uint8_t seq;
    uint8_t stale; /* written off at a rewind or timeout */
    uint32_t idx;
};

struct gbn {
    struct f0b_session *s;
    const uint8_t *payload;
    const struct f0b_chunk *ch;
    uint32_t nch, total;
    struct flight fl[MAX_WINDOW + 1];
    uint32_t window;
    uint32_t nin;       /* frames in fl[] */
    uint32_t nfresh;    /* of them not stale */
    uint32_t idx;       /* next chunk to send */
    uint32_t acked;     /* chunks below this are acknowledged */
    uint32_t confirmed; /* payload offset the device has confirmed */
    uint32_t done;      /* payload bytes acknowledged */
    uint64_t tmo, deadline;
    int fails;
};

/* Send chunks while the window allows: window frames, or one more after a rewind. */
static int fill(struct gbn *g, struct f0b_flash_result *res)
{
    uint8_t pl[F0B_MAX_PAYLOAD];

    while (g->idx < g->nch && (g->nin < g->window || (g->nfresh == 0 && g->nin <= g->window))) {
        const struct f0b_chunk *c = &g->ch[g->idx];
        struct flight *f = &g->fl[g->nin];
        f0b_put_le32(pl, c->off);
        pl[4] = c->seek ? F0B_DATA_SEEK : 0;
        pl[5] = 0;
        memcpy(pl + F0B_DATA_HDR, g->payload + c->off, c->len);
        f->seq = ++g->s->seq;
        f->stale = 0;
        f->idx = g->idx;
        int rc = sess_send_frame(g->s, F0B_CMD_DATA, f->seq, pl, F0B_DATA_HDR + c->len, 0);
        if (rc < 0)
            return rc;
        g->nin++;
        g->nfresh++;
        g->idx++;
        res->written += c->len;
    }
    return 0;
}

/* One more failure without progress: F0B_E_TRANSFER once there were too many. */
static int count_fail(struct gbn *g)
{
    g->s->retries++;
    return ++g->fails > g->s->o.retries ? F0B_E_TRANSFER : 0;
}

/* Nothing for a whole timeout. Frames written off at an earlier rewind or timeout have
 * had their time: forget them. Those still counted as in flight are written off now (a
 * slow device may still answer them), and one frame at the last acknowledged offset
 * probes, so the device's ring never holds more than window + 1 of our frames even when
 * it is slower than we think. */
static int on_silence(struct gbn *g)
{
    char msg[128];
    uint32_t k = 0;

    if (count_fail(g) < 0)
        return F0B_E_TRANSFER;
    snprintf(msg, sizeof msg, "no answer to DATA at offset %u: resending", g->ch[g->acked].off);
    sess_event(g->s, F0B_EV_WARN, "write", msg, g->done, g->total);
    for (uint32_t j = 0; j < g->nin; j++)
        if (!g->fl[j].stale) {
            g->fl[k] = g->fl[j];
            g->fl[k++].stale = 1;
        }
    g->nin = k;
    g->nfresh = 0;
    g->idx = g->acked;
    g->deadline = sess_now(g->s) + g->tmo;
    return 0;
}

/* An answer to DATA: the frames up to the one it echoes are accounted for. Returns 1 with
 * *next and *rewind set, 0 for an answer to a frame already accounted for, or
 * F0B_E_REFUSED. */
static int on_data_answer(struct gbn *g, const uint8_t *b, uint32_t *next, int *rewind)
{
    uint32_t k;

    for (k = 0; k < g->nin && g->fl[k].seq != b[1]; k++)
        ;
    if (k == g->nin)
        return 0;
    for (uint32_t j = 0; j <= k; j++)
        if (!g->fl[j].stale)
            g->nfresh--;
    memmove(g->fl, g->fl + k + 1, (g->nin - k - 1) * sizeof g->fl[0]);
    g->nin -= k + 1;
    g->deadline = sess_now(g->s) + g->tmo;
    *next = f0b_get_le32(b + 3);
    if (b[2] == F0B_ST_OUT_OF_ORDER) {
        *rewind = 1;
    } else if (b[2] != F0B_ST_OK) {
        g->s->last_status = b[2];
        return F0B_E_REFUSED;
    }
    return 1;
}

/* The device confirmed payload up to next: count the chunks it covers as acknowledged. */
static void progress(struct gbn *g, uint32_t next)
{
    if (next <= g->confirmed)
        return;
    g->confirmed = next;
    g->fails = 0;
    while (g->acked < g->nch && g->ch[g->acked].off + g->ch[g->acked].len <= g->confirmed)
        g->done += g->ch[g->acked++].len;
    if (g->idx < g->acked)
        g->idx = g->acked;
    sess_event(g->s, F0B_EV_PROGRESS, "write", NULL, g->done, g->total);
}

/* The device reported a gap: write off what is in flight, resend from next. */
static int rewind_to(struct gbn *g, uint32_t next)
{
    if (count_fail(g) < 0)
        return F0B_E_TRANSFER;
    for (uint32_t j = 0; j < g->nin; j++)
        g->fl[j].stale = 1;
    g->nfresh = 0;
    for (g->idx = g->acked; g->idx < g->nch && g->ch[g->idx].off < next; g->idx++)
        ;
    return 0;
}

/* One frame from the device: NAK (a gap), an answer to DATA, or something to ignore. */
static int on_frame(struct gbn *g, uint32_t n)
{
    const uint8_t *b = g->s->rx.buf;
    uint32_t next = 0;
    int rewind = 0, rc;

    if (n != F0B_FRAME_OVERHEAD + 5)
        return 0;
    if (b[0] == F0B_T_NAK) {
        if (g->nfresh == 0)
            return 0; /* about a frame we have written off already */
        rewind = 1;
        next = f0b_get_le32(b + 3);
    } else if (b[0] == (F0B_CMD_DATA | F0B_RESP)) {
        rc = on_data_answer(g, b, &next, &rewind);
        if (rc <= 0)
            return rc;
    } else {
        return 0;
    }
    progress(g, next);
    return rewind ? rewind_to(g, next) : 0;
}

static void gbn_init(struct gbn *g, struct f0b_session *s, const uint8_t *payload,
                     const struct f0b_plan *p)
{
    uint64_t frame_ms;

    memset(g, 0, sizeof *g);
    g->s = s;
    g->payload = payload;
    g->ch = p->ch;
    g->nch = p->nch;
    g->total = p->wbytes;
    g->window = s->info.window > MAX_WINDOW ? MAX_WINDOW : s->info.window;
    frame_ms = (uint64_t)F0B_MAX_ENCODED * 10000u / (s->baud ? s->baud : 115200) + 1;
    /* Worst case for window+1 frames: line time plus erase (40 ms) and 512 half-words
     * (60 us each) per frame, plus adapter latency. */
    g->tmo = (g->window + 1) * (frame_ms + 75) + 100;
    if (g->tmo < (uint64_t)s->o.timeout_ms)
        g->tmo = (uint64_t)s->o.timeout_ms;
    g->deadline = sess_now(s) + g->tmo;
}

int f0b_stream(struct f0b_session *s, const uint8_t *payload, const struct f0b_plan *p,
               struct f0b_flash_result *res)
{
    struct gbn g;
    uint32_t n;
    int rc;

    gbn_init(&g, s, payload, p);
    while (g.acked < g.nch) {
        rc = fill(&g, res);
        if (rc < 0)
            return rc;
        rc = sess_recv_frame(s, g.deadline, &n);
        if (rc > 0)
            rc = on_frame(&g, n);
        else if (rc == 0)
            rc = on_silence(&g);
        if (rc < 0)
            return rc;
    }
    return 0;
}
