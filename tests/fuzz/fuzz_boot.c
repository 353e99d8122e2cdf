/*
 * libFuzzer target: the bootloader core as a device sees it. The input is a script of host
 * actions played against the protocol engine (proto.c: frame decoder, protocol, update
 * engine, boot decision) over the fake board and the strict fake flash (tests/fakes), with
 * power cuts at any flash operation. Every flash operation the core makes is checked as it
 * happens (flash_wrap.h), and every power-on and every BOOT is checked against the flash:
 *
 *   - the bootloader's pages are never touched (nothing below app_start; fake's pattern);
 *   - an erase is of the record page, or of an application page inside the payload of the
 *     header the record holds, while that header is not committed;
 *   - a program is inside the record page, or inside that payload while it is not committed;
 *   - the commit word is programmed only over a payload whose crc32 and first two words match
 *     the header (computed here, independently of the core);
 *   - a boot (BOOT answered, or the record reads VALID at power-on) only over such a payload;
 *   - the fake flash reports no rule breach (programming a cell that is not erased, ...).
 * A breach aborts with a message, so libFuzzer saves the input (docs/fuzzing.md).
 *
 * Input: byte 0 picks the part and whether an old image is committed first, byte 1 the size
 * of the reference image (a valid image the script can send piecewise), then operations, each
 * an opcode byte and its arguments (see play()). Missing argument bytes read as 0.
 */
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "f0b_core.h"
#include "f0b_hal.h"
#include "fake_board.h"
#include "fake_flash.h"
#include "flash_wrap.h"
#include "frame.h"
#include "proto.h"
#include "f0boot/layout.h"
#include "f0boot/le.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- input -------------------------------------------------------------------------- */

struct in {
    const uint8_t *p;
    size_t n;
};

static uint8_t u8(struct in *in)
{
    if (in->n == 0)
        return 0;
    in->n--;
    return *in->p++;
}

static uint32_t u16(struct in *in)
{
    uint32_t lo = u8(in);
    return lo | (uint32_t)u8(in) << 8;
}

static uint32_t u32(struct in *in)
{
    uint32_t lo = u16(in);
    return lo | u16(in) << 16;
}

/* ---- the device and what it must never do ------------------------------------------- */

static struct f0b_layout L;
static struct f0b_proto P;
static jmp_buf power;
static uint8_t *ref; /* reference payload */
static uint32_t ref_size;
static uint8_t ref_hdr[F0B_IMG_HDR_SIZE];

static void breach(const char *what, uint32_t addr)
{
    fprintf(stderr, "fuzz_boot: INVARIANT BROKEN: %s (address 0x%08x)\n", what, (unsigned)addr);
    abort();
}

static const uint8_t *flash(uint32_t addr) { return fake_flash_mem() + (addr - F0B_FLASH_BASE); }

static const uint8_t *record_hdr(void) { return flash(L.record_addr + F0B_RECORD_HDR_OFF); }

static int record_committed(void)
{
    return f0b_get_le32(flash(L.record_addr + F0B_RECORD_COMMIT_OFF)) == F0B_COMMIT_MAGIC;
}

/* The payload the record's header describes is in flash, byte for byte as promised: its
 * crc32 (the container's payload_crc, zlib) and the two words the jump reads. Computed here
 * with zlib, whatever check the core uses. */
static int payload_matches_header(const uint8_t *hdr)
{
    uint32_t size = f0b_get_le32(hdr + F0B_IMG_OFF_PAYLOAD_SIZE);
    const uint8_t *app = flash(L.app_start);

    if (size < 8 || size > L.app_size)
        return 0;
    return (uint32_t)crc32(0L, app, size) == f0b_get_le32(hdr + F0B_IMG_OFF_PAYLOAD_CRC) &&
           f0b_get_le32(app) == f0b_get_le32(hdr + F0B_IMG_OFF_INIT_SP) &&
           f0b_get_le32(app + 4) == f0b_get_le32(hdr + F0B_IMG_OFF_RESET_VEC);
}

/* End of the application flash the record's (uncommitted, valid) header lets the core
 * touch; app_start (nothing) when there is no such header. */
static uint32_t session_end(void)
{
    const uint8_t *hdr = record_hdr();

    if (record_committed() || f0b_hdr_validate(&L, hdr) != F0B_ST_OK)
        return L.app_start;
    return L.app_start + f0b_get_le32(hdr + F0B_IMG_OFF_PAYLOAD_SIZE);
}

int __wrap_f0b_hal_flash_erase(uint32_t page_addr)
{
    if (page_addr < L.app_start)
        breach("erase of a bootloader page", page_addr);
    if (page_addr != L.record_addr && page_addr >= session_end())
        breach("erase of an application page outside an uncommitted session's payload", page_addr);
    return __real_f0b_hal_flash_erase(page_addr);
}

int __wrap_f0b_hal_flash_program(uint32_t addr, const uint8_t *src, uint32_t len)
{
    uint32_t commit = L.record_addr + F0B_RECORD_COMMIT_OFF;

    if (addr < L.app_start)
        breach("program of a bootloader page", addr);
    if (addr >= L.record_addr) {
        if (addr + len > L.record_addr + L.page_size)
            breach("program past the record page", addr);
        if (addr < commit + 4 && addr + len > commit &&
            (f0b_hdr_validate(&L, record_hdr()) != F0B_ST_OK ||
             !payload_matches_header(record_hdr())))
            breach("commit over a payload that does not match its header", addr);
    } else if (addr + len > ((session_end() + 1u) & ~1u)) {
        breach("program outside an uncommitted session's payload", addr);
    }
    return __real_f0b_hal_flash_program(addr, src, len);
}

/* Power-on, after a cut or a reset: what the record says must be true, then a fresh engine
 * (the receive ring and every session state are lost with the power). */
static void power_on(void)
{
    if (getenv("FUZZ_BOOT_TRACE"))
        fprintf(stderr, "fuzz_boot: power on, record state %d\n", f0b_app_state(&L));
    if (!fake_flash_boot_intact())
        breach("bootloader pages changed", F0B_FLASH_BASE);
    if (fake_flash_violations() != 0)
        breach(fake_flash_last_violation(), 0);
    if (f0b_app_state(&L) == F0B_APP_VALID && !payload_matches_header(record_hdr()))
        breach("record reads VALID over a payload that does not match it", L.record_addr);
    fake_board_init(115200, 0x440);
    fake_board_auto_tick(1);
    f0b_proto_init(&P, &L, F0B_STAY_NO_APP);
}

/* Take what the device sent; with FUZZ_BOOT_TRACE set, print each answer (type, status):
 * how a saved input is read when reproducing a finding. */
static void drain_tx(void)
{
    static uint8_t tx[1u << 16];
    static uint32_t tx_baud[1u << 16];
    static struct f0b_rx rx;
    static int trace = -1;
    size_t n = fake_board_tx_take(tx, tx_baud, sizeof tx);
    uint32_t used;

    if (trace < 0)
        trace = getenv("FUZZ_BOOT_TRACE") != NULL;
    for (size_t i = 0; trace && i < n; i += used) {
        int len = f0b_rx_feed(&rx, tx + i, (uint32_t)(n - i), &used);
        if (len >= (int)F0B_FRAME_OVERHEAD + 1)
            fprintf(stderr, "fuzz_boot: answer type 0x%02x seq %u status 0x%02x\n", rx.buf[0],
                    rx.buf[1], rx.buf[2]);
    }
}

/* Let the engine process what it has received; a cut or a reset returns through setjmp. */
static void poll(void)
{

    if (setjmp(power) != 0) {
        power_on();
        return;
    }
    while (fake_board_rx_level() != 0) {
        int action = f0b_proto_poll(&P);
        drain_tx();
        if (action == F0B_PROTO_BOOT && !payload_matches_header(record_hdr()))
            breach("BOOT over a payload that does not match its header", L.app_start);
        if (action != F0B_PROTO_IDLE) {
            fake_flash_disarm();
            power_on();
            return;
        }
    }
    f0b_proto_poll(&P); /* once more with nothing received: timers */
    drain_tx();
}

static void push(const uint8_t *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        while (!fake_board_rx_push(p[i]))
            poll(); /* ring full: the device reads on */
}

static void push_sink(void *ctx, const uint8_t *p, uint32_t n)
{
    (void)ctx;
    push(p, n);
}

/* The check a frame carries over its first n bytes (type, seq, payload). */
static uint32_t frame_check(const uint8_t *f, uint32_t n)
{
#if F0B_PROTO_MAJOR >= 2
    return f0b_frame_crc(f, n); /* protocol 2: CRC-32/MPEG-2 except INFO (frame.c) */
#else
    return f0b_hal_crc32(f, n); /* protocol 1: zlib crc32, as the device computes it */
#endif
}

/* Seal f (type, seq, then plen payload bytes; room for 4 more) and send it. */
static void send_frame(uint8_t *f, uint32_t plen)
{
    f0b_put_le32(f + 2 + plen, frame_check(f, 2 + plen));
    f0b_cobs_encode(f, plen + F0B_FRAME_OVERHEAD, push_sink, NULL);
}

/* ---- the script --------------------------------------------------------------------- */

/* A valid image of ref_size bytes for L, as `f0boot pack` would make it. */
static void make_ref(uint32_t size, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 1u;
    uint32_t sp = L.sram_start + L.sram_size; /* _estack at the end of SRAM, as the article links */
    uint32_t rv = (L.app_start + 0xC0u) | 1u;
    uint8_t *h = ref_hdr;

    ref_size = size;
    ref = realloc(ref, size);
    if (ref == NULL)
        abort();
    for (uint32_t i = 0; i < size; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        ref[i] = (uint8_t)x;
    }
    f0b_put_le32(ref, sp);
    f0b_put_le32(ref + 4, rv);
    memset(h, 0, F0B_IMG_HDR_SIZE);
    f0b_put_le32(h + F0B_IMG_OFF_MAGIC, F0B_IMG_MAGIC);
    f0b_put_le16(h + F0B_IMG_OFF_HDR_VERSION, F0B_IMG_HDR_VERSION);
    f0b_put_le16(h + F0B_IMG_OFF_HDR_SIZE, F0B_IMG_HDR_SIZE);
    f0b_put_le32(h + F0B_IMG_OFF_LOAD_ADDR, L.app_start);
    f0b_put_le32(h + F0B_IMG_OFF_PAYLOAD_SIZE, size);
    f0b_put_le32(h + F0B_IMG_OFF_PAYLOAD_CRC, (uint32_t)crc32(0L, ref, size));
    f0b_put_le16(h + F0B_IMG_OFF_VT_LEN, 188);
    f0b_put_le16(h + F0B_IMG_OFF_PART, L.part);
    f0b_put_le32(h + F0B_IMG_OFF_INIT_SP, sp);
    f0b_put_le32(h + F0B_IMG_OFF_RESET_VEC, rv);
    f0b_put_le32(h + F0B_IMG_OFF_HDR_CRC, (uint32_t)crc32(0L, h, F0B_IMG_OFF_HDR_CRC));
}

/* Opcodes (op % OP_COUNT); arguments follow the opcode byte. */
enum {
    OP_RAW,     /* n u8, n bytes: onto the line as they are (noise, partial frames) */
    OP_FRAME,   /* n u16, n bytes (type, seq, payload): sealed with a right check */
    OP_INFO,    /* the greeting */
    OP_BEGIN,   /* m u8, v u32: the reference header, word m % 16 xor v unless m == 0,
                       header crc recomputed unless the crc word was the one changed */
    OP_DATA,    /* off u16, len u16, flags u8: reference payload [off*2, +len%1024+1) */
    OP_REQUEST, /* r u8 (END, BOOT, RESET, BAUD, CRC), then BAUD rate u32 or CRC args */
    OP_CUT,     /* n u16, kind u8: power lost at the n-th flash operation from now */
    OP_TIME,    /* ms u16: the clock moves on, then the engine runs */
    OP_COUNT
};

static uint8_t seq;

static void op_begin(struct in *in)
{
    uint8_t f[2 + F0B_IMG_HDR_SIZE + 4] = {F0B_CMD_BEGIN, seq++};
    uint8_t m = u8(in);
    uint32_t v = u32(in);

    memcpy(f + 2, ref_hdr, F0B_IMG_HDR_SIZE);
    if (m != 0) {
        uint8_t *w = f + 2 + 4u * (m % 16u);
        f0b_put_le32(w, f0b_get_le32(w) ^ v);
        if (m % 16u != F0B_IMG_OFF_HDR_CRC / 4u)
            f0b_put_le32(f + 2 + F0B_IMG_OFF_HDR_CRC,
                         (uint32_t)crc32(0L, f + 2, F0B_IMG_OFF_HDR_CRC));
    }
    send_frame(f, F0B_IMG_HDR_SIZE);
}

static void op_data(struct in *in)
{
    static uint8_t f[F0B_MAX_FRAME];
    uint32_t off = u16(in) * 2u, len = u16(in) % F0B_DATA_MAX + 1u;
    uint8_t flags = u8(in);

    f[0] = F0B_CMD_DATA;
    f[1] = seq++;
    f0b_put_le32(f + 2, off);
    f[6] = flags;
    f[7] = 0;
    /* Bytes of the reference payload; past its end, 0xA5 (the device must refuse them). */
    for (uint32_t i = 0; i < len; i++)
        f[2 + F0B_DATA_HDR + i] = off + i < ref_size ? ref[off + i] : 0xA5u;
    send_frame(f, F0B_DATA_HDR + len);
}

static void op_request(struct in *in)
{
    static const uint8_t types[] = {F0B_CMD_END, F0B_CMD_BOOT, F0B_CMD_RESET, F0B_CMD_BAUD,
                                    F0B_CMD_CRC};
    uint8_t f[2 + 12 + 4];
    uint32_t plen = 0;

    f[0] = types[u8(in) % sizeof types];
    f[1] = seq++;
    if (f[0] == F0B_CMD_BAUD) {
        f0b_put_le32(f + 2, u32(in));
        plen = 4;
    } else if (f[0] == F0B_CMD_CRC) {
        f0b_put_le32(f + 2, F0B_FLASH_BASE + u32(in) % (L.flash_size + 1u));
        f0b_put_le32(f + 6, u32(in) % (L.flash_size + 1u));
        f0b_put_le32(f + 10, u32(in));
        plen = 12;
    }
    send_frame(f, plen);
}

static void op_frame(struct in *in)
{
    static uint8_t f[F0B_MAX_FRAME];
    uint32_t n = u16(in) % (F0B_MAX_FRAME - 4u - 1u) + 2u;

    memset(f, 0, n);
    for (uint32_t i = 0; i < n && in->n; i++)
        f[i] = u8(in);
    send_frame(f, n - 2u);
}

static void op_raw(struct in *in)
{
    uint32_t n = u8(in);

    n = n < in->n ? n : (uint32_t)in->n;
    push(in->p, n);
    in->p += n;
    in->n -= n;
}

static void play(struct in *in)
{
    uint8_t info[2 + 2 + 4] = {F0B_CMD_INFO, 0, F0B_PROTO_MAJOR, F0B_PROTO_MINOR};

    while (in->n) {
        switch (u8(in) % OP_COUNT) {
        case OP_RAW: op_raw(in); break;
        case OP_FRAME: op_frame(in); break;
        case OP_INFO: send_frame(info, 2); break;
        case OP_BEGIN: op_begin(in); break;
        case OP_DATA: op_data(in); break;
        case OP_REQUEST: op_request(in); break;
        case OP_CUT: {
            uint32_t n = u16(in);
            fake_flash_arm_cut(n, (u8(in) & 1u) ? FAKE_CUT_TORN : FAKE_CUT_BEFORE, &power, n);
            break;
        }
        case OP_TIME: fake_board_set_millis(f0b_hal_millis() + u16(in)); break;
        default: break;
        }
        poll();
    }
}

/* Commit the reference image the way a finished update leaves it (old image present). */
static void preload(void)
{
    struct f0b_update u;
    uint32_t crc;

    f0b_update_init(&u, &L);
    if (f0b_update_begin(&u, ref_hdr) != F0B_ST_OK ||
        f0b_update_write(&u, 0, ref, ref_size, 0) != F0B_ST_OK ||
        f0b_update_end(&u, &crc) != F0B_ST_OK)
        breach("the reference image does not install", L.app_start);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint16_t parts[4] = {3, 1, 7, 4}; /* 1 KB and 2 KB pages */
    struct in in = {data, size};
    uint8_t cfg = u8(&in);

    if (f0b_layout_init(&L, parts[cfg & 3u]) != F0B_ST_OK)
        abort();
    fake_flash_init(&L);
    make_ref(200u + (uint32_t)u8(&in) * 23u % (3u * L.page_size + 100u), cfg >> 3);
    if (cfg & 4u)
        preload();
    seq = 0;
    power_on();
    play(&in);
    fake_flash_disarm();
    power_on(); /* the final state passes the power-on checks too */
    fake_flash_free();
    return 0;
}
