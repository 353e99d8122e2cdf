/*
 * The device end of the f0boot wire protocol (f0boot/protocol.h, docs/protocol.md).
 *
 * One buffer: a request is decoded into rx.buf, executed, and its response is built in the
 * same buffer (every request's arguments are consumed before the result is written), then
 * COBS-encoded straight onto the UART. Bytes that arrive meanwhile wait in the port's DMA
 * ring, which the window announced in INFO keeps from overflowing.
 */
#include <string.h>
#include "proto.h"
#include "f0b_hal.h"
#include "f0boot/layout.h"
#include "f0boot/le.h"

#if F0B_SECURE
#include "secure.h"
/* No CRC reads of flash (a CRC over one or two bytes gives the bytes away: the firmware and
 * the key), no SEEK (the MAC needs every byte of ciphertext), no ERASE (the boot record is
 * the rollback floor). */
#define F0B_FEATURES                                                          \
    (F0B_FEAT_BAUD | F0B_FEAT_RESET | F0B_FEAT_ENCRYPTED | F0B_FEAT_PROTECT | \
     (F0B_ACCEPT_PLAIN ? F0B_FEAT_PLAIN_OK : 0u) |                            \
     (F0B_ALLOW_DOWNGRADE ? F0B_FEAT_DOWNGRADE : 0u))
#else
#define F0B_FEATURES \
    (F0B_FEAT_BAUD | F0B_FEAT_CRC | F0B_FEAT_SEEK | F0B_FEAT_RESET | F0B_FEAT_ERASE)
#endif

static void tx_sink(void *ctx, const uint8_t *p, uint32_t n)
{
    (void)ctx;
    if (n)
        f0b_hal_tx(p, n);
}

/* The check of an n-byte frame in b (type first): zlib crc32 for INFO (frozen, so versions
 * can always be exchanged), CRC-32/MPEG-2 for everything else, so that the frame check and
 * the payload check (END, CRC: zlib) are different functions (docs/protocol.md). */
static uint32_t frame_crc(const uint8_t *b, uint32_t n)
{
    return F0B_FRAME_CRC_IS_ZLIB(b[0]) ? f0b_hal_crc32(b, n) : f0b_hal_crc_frame(b, n);
}

/* Seal the frame in b (type, seq, payload of plen bytes) with its crc and send it. */
static void send_frame(uint8_t *b, uint32_t plen)
{
    uint32_t n = 2u + plen;
    f0b_put_le32(b + n, frame_crc(b, n));
    f0b_cobs_encode(b, n + 4u, tx_sink, 0);
}

void f0b_proto_init(struct f0b_proto *p, const struct f0b_layout *l, uint8_t stay_reason)
{
    memset(p, 0, sizeof *p);
    p->l = l;
    p->stay_reason = stay_reason;
    p->wait_ms = F0B_IDLE_TIMEOUT_MS;
    p->heard = f0b_hal_millis();
    f0b_update_init(&p->u, l);
}

static uint32_t info(struct f0b_proto *p, uint8_t *r)
{
    const struct f0b_layout *l = p->l;

    memset(r, 0, F0B_INFO_SIZE);
    r[F0B_INFO_PROTO_MAJOR] = F0B_PROTO_MAJOR;
    r[F0B_INFO_PROTO_MINOR] = F0B_PROTO_MINOR;
    r[F0B_INFO_BL_MAJOR] = F0B_BL_VERSION_MAJOR;
    r[F0B_INFO_BL_MINOR] = F0B_BL_VERSION_MINOR;
    f0b_put_le16(r + F0B_INFO_BL_PATCH, F0B_BL_VERSION_PATCH);
    f0b_put_le16(r + F0B_INFO_CHIP_ID, f0b_hal_chip_id());
    f0b_put_le16(r + F0B_INFO_PART, l->part);
    f0b_put_le16(r + F0B_INFO_PAGE_SIZE, l->page_size);
    f0b_put_le32(r + F0B_INFO_FLASH_SIZE, l->flash_size);
    f0b_put_le32(r + F0B_INFO_APP_START, l->app_start);
    f0b_put_le32(r + F0B_INFO_APP_SIZE, l->app_size);
    f0b_put_le16(r + F0B_INFO_MAX_DATA, F0B_DATA_MAX);
    r[F0B_INFO_WINDOW] = F0B_PROTO_WINDOW;
    r[F0B_INFO_APP_STATE] = (uint8_t)f0b_app_state(l);
    f0b_put_le32(r + F0B_INFO_FEATURES, F0B_FEATURES);
    f0b_put_le32(r + F0B_INFO_MAX_BAUD, F0B_MAX_BAUD);
    r[F0B_INFO_STAY_REASON] = p->stay_reason;
    f0b_put_le16(r + F0B_INFO_IDLE_MS, F0B_IDLE_TIMEOUT_MS);
    memcpy(r + F0B_INFO_RECORD, f0b_hal_flash_ptr(l->record_addr + F0B_RECORD_HDR_OFF),
           F0B_IMG_HDR_SIZE);
    return F0B_INFO_SIZE;
}

/* CRC: addr, len, chunk -> one crc, or one per chunk. Returns result bytes or -status. */
static int crc_cmd(const struct f0b_layout *l, const uint8_t *a, uint8_t *r)
{
    uint32_t addr = f0b_get_le32(a), len = f0b_get_le32(a + 4), chunk = f0b_get_le32(a + 8);
    uint32_t n = 0;

    if (addr < F0B_FLASH_BASE || addr - F0B_FLASH_BASE > l->flash_size ||
        len > l->flash_size - (addr - F0B_FLASH_BASE))
        return -F0B_ST_BAD_ARG;
    if (chunk == 0)
        chunk = len ? len : 1u;
    do {
        uint32_t c = len < chunk ? len : chunk;
        if (n == F0B_CRC_MAX_CHUNKS)
            return -F0B_ST_BAD_ARG;
        f0b_put_le32(r + 4u * n++, f0b_hal_crc32(f0b_hal_flash_ptr(addr), c));
        addr += c;
        len -= c;
    } while (len);
    return (int)(4u * n);
}

/* Execute the request in rx.buf (n bytes, crc checked) and answer it. */
static int handle(struct f0b_proto *p, uint32_t n)
{
    uint8_t *b = p->rx.buf;
    uint8_t *a = b + 2; /* request payload */
    uint8_t *r = b + 3; /* response result, after the status byte */
    uint32_t plen = n - F0B_FRAME_OVERHEAD;
    /* A frame of a response type (bit 7 set) is no request: answering it with its own
     * type would send a response that reads as a NAK (0xFF). Type 0 gets the answer. */
    uint8_t type = b[0] & F0B_RESP ? 0 : b[0];
    int st = F0B_ST_OK, rlen = 0, action = F0B_PROTO_IDLE;
    uint32_t baud = 0, v;
#if F0B_SECURE
    int v_load;
#endif

    p->baud_pending = 0; /* any valid frame confirms a new rate */
    if (type != F0B_CMD_DATA)
        p->gap = 0; /* the host waits for this answer: no DATA in flight */
    if (type == F0B_CMD_INFO) {
        if (plen < 2) {
            st = F0B_ST_BAD_LEN;
        } else {
            if (a[0] != F0B_PROTO_MAJOR)
                st = F0B_ST_VERSION;
            else
                p->greeted = 1;
            rlen = (int)info(p, r);
        }
    } else if (!p->greeted) {
        st = F0B_ST_BAD_STATE; /* INFO first: it is also the version check */
    } else {
        switch (type) {
        case F0B_CMD_BEGIN:
            st = plen == F0B_IMG_HDR_SIZE ? f0b_update_begin(&p->u, a) : F0B_ST_BAD_LEN;
            break;
        case F0B_CMD_DATA:
            if (plen <= F0B_DATA_HDR) {
                st = F0B_ST_BAD_LEN;
            } else {
                st = f0b_update_write(&p->u, f0b_get_le32(a), a + F0B_DATA_HDR, plen - F0B_DATA_HDR,
                                      a[4] & F0B_DATA_SEEK);
                if (st == F0B_ST_OUT_OF_ORDER) {
                    if (p->gap)
                        return F0B_PROTO_IDLE; /* the gap is reported already */
                    p->gap = 1;
                } else {
                    p->gap = 0;
                }
            }
            f0b_put_le32(r, p->u.next);
            rlen = 4;
            break;
        case F0B_CMD_END: v = 0;
#if F0B_SECURE
            st = f0b_sec_end(&p->u, a, plen, &v);
#else
            st = f0b_update_end(&p->u, &v);
#endif
            f0b_put_le32(r, v);
            rlen = 4;
            break;
        case F0B_CMD_BOOT:
            st = f0b_app_state(p->l) == F0B_APP_VALID ? F0B_ST_OK : F0B_ST_NO_APP;
            action = st == F0B_ST_OK ? F0B_PROTO_BOOT : F0B_PROTO_IDLE;
            break;
        case F0B_CMD_CRC:
            if (F0B_SECURE) {
                st = F0B_ST_DENIED;
            } else if (plen != 12) {
                st = F0B_ST_BAD_LEN;
            } else {
                rlen = crc_cmd(p->l, a, r);
                if (rlen < 0) {
                    st = -rlen;
                    rlen = 0;
                }
            }
            break;
        case F0B_CMD_BAUD:
            if (plen != 4)
                st = F0B_ST_BAD_LEN;
            else if ((baud = f0b_get_le32(a)) < 1200u || baud > F0B_MAX_BAUD)
                st = F0B_ST_BAD_ARG;
            break;
        case F0B_CMD_RESET: action = F0B_PROTO_RESET; break;
#if F0B_SECURE
        case F0B_CMD_PROTECT:
            st = f0b_sec_protect(a, plen, &v_load);
            action = v_load ? F0B_PROTO_LOAD_OB : F0B_PROTO_IDLE;
            break;
#endif
        case F0B_CMD_ERASE:
            /* The application invalidated: no record, no commit word. An open update is
             * closed first, so no DATA can follow into pages of an image that is gone. The
             * secure build refuses: the record is its rollback floor. */
            p->u.open = 0;
            st = F0B_SECURE ? F0B_ST_DENIED : f0b_hal_flash_erase(p->l->record_addr);
            break;
        default: st = F0B_ST_UNKNOWN_CMD; break;
        }
    }
    b[0] = type | F0B_RESP;
    b[2] = (uint8_t)st;
    send_frame(b, 1u + (uint32_t)rlen);
    if (action != F0B_PROTO_IDLE || st != F0B_ST_OK || type != F0B_CMD_BAUD)
        return action;
    /* The OK must leave at the old rate before the USART is reprogrammed. If the new rate
     * cannot be set, staying at the old one makes the host's confirmation fail, and it
     * falls back too. */
    f0b_hal_tx_flush();
    p->baud_old = f0b_hal_get_baud();
    if (f0b_hal_set_baud(baud) == F0B_ST_OK) {
        p->baud_pending = 1;
        p->baud_t0 = f0b_hal_millis();
    }
    return F0B_PROTO_IDLE;
}

static void nak(struct f0b_proto *p)
{
    uint8_t *b = p->rx.buf;

    /* One NAK per gap: the host rewinds to next on the first; the frames it had in flight
     * behind the lost one are dropped (corrupt or not) until next arrives. */
    if (p->gap)
        return;
    if (p->u.open)
        p->gap = 1;
    b[0] = F0B_T_NAK;
    b[1] = 0;
    b[2] = F0B_ST_BAD_FRAME;
    f0b_put_le32(b + 3, p->u.next);
    send_frame(b, 5);
}

int f0b_proto_poll(struct f0b_proto *p)
{
    const uint8_t *in;
    uint32_t avail, used;
    int n, action;

    while ((avail = f0b_hal_rx_peek(&in)) != 0) {
        n = f0b_rx_feed(&p->rx, in, avail, &used);
        f0b_hal_rx_drop(used); /* the frame is in rx.buf now: free its ring space */
        if (n == 0)
            continue;
        if (n < 0 ||
            !f0b_frame_crc_ok(p->rx.buf, (uint32_t)n, frame_crc(p->rx.buf, (uint32_t)n - 4u))) {
            nak(p);
            continue;
        }
        p->heard = f0b_hal_millis();
        action = handle(p, (uint32_t)n);
        if (action != F0B_PROTO_IDLE) {
            f0b_hal_tx_flush(); /* the answer must be on the wire before we go */
            return action;
        }
    }
    uint32_t now = f0b_hal_millis();
    if (p->baud_pending && now - p->baud_t0 >= F0B_BAUD_CONFIRM_MS) {
        /* Nothing valid arrived at the new rate: the host gave up on it, go back. */
        p->baud_pending = 0;
        f0b_hal_set_baud(p->baud_old);
    }
    /* Never stranded: a silent line hands a valid committed application its board back.
     * An update in progress (record erased or uncommitted) is not valid and stays. */
    uint32_t limit = p->greeted ? F0B_IDLE_TIMEOUT_MS : p->wait_ms;
    if (limit && now - p->heard >= limit) {
        p->heard = now;
        if (f0b_app_state(p->l) == F0B_APP_VALID)
            return F0B_PROTO_BOOT;
    }
    return F0B_PROTO_IDLE;
}

_Noreturn void f0b_proto_run(const struct f0b_layout *l, uint32_t window_ms, uint8_t stay_reason)
{
    static struct f0b_proto p; /* 1.2 KB: keep it off the bootloader's small stack */

    f0b_proto_init(&p, l, window_ms ? F0B_STAY_GREETING : stay_reason);
    if (window_ms)
        p.wait_ms = window_ms;
    for (;;) {
        int action = f0b_proto_poll(&p);
        if (action == F0B_PROTO_BOOT)
            f0b_hal_start_app(l->app_start);
        if (action == F0B_PROTO_RESET)
            f0b_hal_reset();
#if F0B_SECURE
        if (action == F0B_PROTO_LOAD_OB)
            f0b_hal_load_option_bytes();
#endif
    }
}
