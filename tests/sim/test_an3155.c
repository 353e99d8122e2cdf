/*
 * Unit tests for the AN3155 ROM bootloader model (sim/an3155.c), driven byte by byte.
 * A fake ops table records every answer with its delay, and a fake STM32F030xC memory
 * (flash with the F0's programming rules, SRAM, system memory, option bytes) checks what
 * the model asks of the chip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "an3155.h"

#define FLASH_BASE 0x08000000u
#define FLASH_SIZE (256u * 1024u)
#define PAGE_SIZE  2048u
#define SRAM_BASE  0x20000000u
#define SRAM_SIZE  (32u * 1024u)
#define SYS_BASE   0x1FFFD800u
#define SYS_SIZE   0x2000u
#define OPT_BASE   0x1FFFF800u

#define PROG_NS 53500    /* one half-word, DS9773 typical */
#define PAGE_NS 30000000 /* one page erase */
#define MASS_NS 40000000 /* mass erase */

#define ACK  AN3155_ACK
#define NACK AN3155_NACK

/* --- fake chip ---------------------------------------------------------------------- */

struct tx_event {
    uint32_t off, n;
    uint64_t delay_ns;
};

struct fake {
    uint8_t flash[FLASH_SIZE];
    uint8_t sram[SRAM_SIZE];
    uint8_t sys[SYS_SIZE];
    uint8_t opt[16];
    /* everything the model sent, and each tx call */
    uint8_t tx[300000];
    uint32_t ntx;
    struct tx_event ev[4096];
    uint32_t nev;
    uint32_t seen; /* bytes of tx already consumed by the test */
    /* flash operations, in order */
    uint32_t erased[512];
    uint32_t nerased;
    uint32_t mass_erases, programs;
    uint32_t go_addr;
    int go_calls;
    int fail_program; /* make the next program() fail (as a PGERR would) */
};

static struct fake F;

static void fake_tx(void *ctx, const uint8_t *bytes, uint32_t n, uint64_t delay_ns)
{
    struct fake *f = ctx;

    assert_true(f->ntx + n <= sizeof(f->tx));
    assert_true(f->nev < sizeof(f->ev) / sizeof(f->ev[0]));
    f->ev[f->nev++] = (struct tx_event){f->ntx, n, delay_ns};
    memcpy(f->tx + f->ntx, bytes, n);
    f->ntx += n;
}

static int64_t fake_erase_page(void *ctx, uint32_t page)
{
    struct fake *f = ctx;

    assert_true(page < FLASH_SIZE / PAGE_SIZE);
    memset(f->flash + page * PAGE_SIZE, 0xFF, PAGE_SIZE);
    f->erased[f->nerased++] = page;
    return PAGE_NS;
}

static int64_t fake_mass_erase(void *ctx)
{
    struct fake *f = ctx;

    memset(f->flash, 0xFF, sizeof(f->flash));
    f->mass_erases++;
    return MASS_NS;
}

/* F0 rules: half-words only, and only into erased cells (0x0000 excepted). */
static int64_t fake_program(void *ctx, uint32_t addr, const uint8_t *data, uint32_t len)
{
    struct fake *f = ctx;
    uint32_t i;

    f->programs++;
    if (addr >= SRAM_BASE && addr - SRAM_BASE + len <= SRAM_SIZE) {
        memcpy(f->sram + (addr - SRAM_BASE), data, len);
        return 0;
    }
    assert_true(addr >= FLASH_BASE && addr - FLASH_BASE + len <= FLASH_SIZE);
    assert_int_equal((addr | len) & 1u, 0);
    if (f->fail_program) {
        f->fail_program = 0;
        return -1;
    }
    for (i = 0; i < len; i += 2) {
        uint8_t *cell = f->flash + (addr - FLASH_BASE) + i;
        int zero = data[i] == 0 && data[i + 1] == 0;

        if (!zero && (cell[0] != 0xFF || cell[1] != 0xFF))
            return -1;
        cell[0] = data[i];
        cell[1] = data[i + 1];
    }
    return (int64_t)(len / 2) * PROG_NS;
}

static int fake_read(void *ctx, uint32_t addr, uint8_t *dst, uint32_t len)
{
    struct fake *f = ctx;

    if (addr >= FLASH_BASE && addr - FLASH_BASE + len <= FLASH_SIZE)
        memcpy(dst, f->flash + (addr - FLASH_BASE), len);
    else if (addr >= SRAM_BASE && addr - SRAM_BASE + len <= SRAM_SIZE)
        memcpy(dst, f->sram + (addr - SRAM_BASE), len);
    else if (addr >= SYS_BASE && addr - SYS_BASE + len <= SYS_SIZE)
        memcpy(dst, f->sys + (addr - SYS_BASE), len);
    else if (addr >= OPT_BASE && addr - OPT_BASE + len <= sizeof(f->opt))
        memcpy(dst, f->opt + (addr - OPT_BASE), len);
    else
        return -1;
    return 0;
}

static void fake_go(void *ctx, uint32_t addr)
{
    struct fake *f = ctx;

    f->go_addr = addr;
    f->go_calls++;
}

static const struct an3155_ops ops = {
    .tx = fake_tx,
    .erase_page = fake_erase_page,
    .mass_erase = fake_mass_erase,
    .program = fake_program,
    .read = fake_read,
    .go = fake_go,
};

static struct an3155 M;

/* Read-out protection (f0sim's dev/optbytes.c gives the level; dev/rom.c the regression). */
static int rdp_level, unprotects;

static int fake_rdp_active(void *ctx)
{
    (void)ctx;
    return rdp_level >= 1;
}

static int64_t fake_unprotect(void *ctx)
{
    struct fake *f = ctx;
    unprotects++;
    memset(f->flash, 0xFF, FLASH_SIZE);
    rdp_level = 0;
    return 30000000;
}

static const struct an3155_ops ops_rdp = {
    .tx = fake_tx,
    .erase_page = fake_erase_page,
    .mass_erase = fake_mass_erase,
    .program = fake_program,
    .read = fake_read,
    .go = fake_go,
    .rdp_active = fake_rdp_active,
    .unprotect = fake_unprotect,
};

static int setup(void **state)
{
    uint32_t i;

    (void)state;
    memset(&F, 0, sizeof(F));
    memset(F.flash, 0xFF, sizeof(F.flash));
    for (i = 0; i < SYS_SIZE; i++)
        F.sys[i] = (uint8_t)(i * 7u + 3u);
    F.opt[0] = 0xAA;
    F.opt[1] = 0x55;
    an3155_init(&M, &ops, &F, 0x442);
    return 0;
}

/* --- helpers -------------------------------------------------------------------------- */

static void feed(const uint8_t *bytes, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        an3155_rx(&M, bytes[i]);
}

#define FEED(...)                           \
    do {                                    \
        const uint8_t b_[] = {__VA_ARGS__}; \
        feed(b_, sizeof(b_));               \
    } while (0)

/* The bytes sent since the last check must be exactly `exp`. */
static void expect_tx(const uint8_t *exp, size_t n)
{
    assert_int_equal(F.ntx - F.seen, n);
    assert_memory_equal(F.tx + F.seen, exp, n);
    F.seen = F.ntx;
}

#define EXPECT(...)                         \
    do {                                    \
        const uint8_t e_[] = {__VA_ARGS__}; \
        expect_tx(e_, sizeof(e_));          \
    } while (0)

static void expect_nothing(void) { assert_int_equal(F.ntx, F.seen); }

static uint64_t last_delay(void)
{
    assert_true(F.nev > 0);
    return F.ev[F.nev - 1].delay_ns;
}

static void rom_sync(void)
{
    FEED(0x7F);
    EXPECT(ACK);
}

static void send_cmd(uint8_t cmd) { FEED(cmd, (uint8_t)(cmd ^ 0xFF)); }

static void send_addr(uint32_t a)
{
    uint8_t b[5] = {(uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a, 0};

    b[4] = b[0] ^ b[1] ^ b[2] ^ b[3];
    feed(b, 5);
}

/* A whole Write Memory as stm32flash sends it; returns the final answer byte. */
static uint8_t write_mem(uint32_t addr, const uint8_t *data, uint32_t len)
{
    uint8_t frame[1 + 256 + 1];
    uint8_t cs = (uint8_t)(len - 1);
    uint32_t i;

    send_cmd(0x31);
    EXPECT(ACK);
    send_addr(addr);
    EXPECT(ACK);
    frame[0] = (uint8_t)(len - 1);
    for (i = 0; i < len; i++) {
        frame[1 + i] = data[i];
        cs ^= data[i];
    }
    frame[1 + len] = cs;
    feed(frame, len + 2);
    assert_int_equal(F.ntx - F.seen, 1);
    return F.tx[F.seen++];
}

/* A whole Read Memory; the data lands in dst. */
static void read_mem(uint32_t addr, uint8_t *dst, uint32_t len)
{
    send_cmd(0x11);
    EXPECT(ACK);
    send_addr(addr);
    EXPECT(ACK);
    FEED((uint8_t)(len - 1), (uint8_t)((len - 1) ^ 0xFF));
    assert_int_equal(F.ntx - F.seen, 1 + len);
    assert_int_equal(F.tx[F.seen], ACK);
    memcpy(dst, F.tx + F.seen + 1, len);
    F.seen = F.ntx;
}

/* Extended Erase of `n` consecutive pages from `first`, stm32flash's framing. */
static uint8_t erase_pages(uint32_t first, uint32_t n)
{
    uint8_t frame[2 + 2 * 512 + 1];
    uint32_t i, k = 0;
    uint8_t cs = 0;

    send_cmd(0x44);
    EXPECT(ACK);
    frame[k++] = (uint8_t)((n - 1) >> 8);
    frame[k++] = (uint8_t)(n - 1);
    for (i = first; i < first + n; i++) {
        frame[k++] = (uint8_t)(i >> 8);
        frame[k++] = (uint8_t)i;
    }
    for (i = 0; i < k; i++)
        cs ^= frame[i];
    frame[k++] = cs;
    feed(frame, k);
    assert_int_equal(F.ntx - F.seen, 1);
    return F.tx[F.seen++];
}

/* --- tests ---------------------------------------------------------------------------- */

static void test_sync_ignores_noise_then_acks_0x7f(void **state)
{
    (void)state;
    FEED(0x00, 0x55, 0xFF, 0x79);
    expect_nothing();
    assert_int_equal(M.synced, 0);
    FEED(0x7F);
    EXPECT(ACK);
    assert_int_equal(M.synced, 1);
    assert_int_equal(last_delay(), 0);
}

/* stm32flash's recovery when the ROM is already synced: its 0x7F is taken as an opcode,
 * no answer comes, and a second 0x7F fails the complement check: NACK. */
static void test_second_sync_is_an_opcode_then_nack(void **state)
{
    (void)state;
    rom_sync();
    FEED(0x7F);
    expect_nothing();
    FEED(0x7F);
    EXPECT(NACK);
    /* and the ROM still works */
    send_cmd(0x02);
    EXPECT(ACK, 0x01, 0x04, 0x42, ACK);
}

static void test_get_answers_v31_command_list(void **state)
{
    (void)state;
    rom_sync();
    send_cmd(0x00);
    EXPECT(ACK, 0x0B, 0x31, 0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x44, 0x63, 0x73, 0x82, 0x92, ACK);
    assert_int_equal(M.commands, 1);
}

static void test_get_version_and_get_id(void **state)
{
    (void)state;
    rom_sync();
    send_cmd(0x01);
    EXPECT(ACK, 0x31, 0x00, 0x00, ACK);
    send_cmd(0x02);
    EXPECT(ACK, 0x01, 0x04, 0x42, ACK);
}

static void test_get_id_follows_chip_id(void **state)
{
    (void)state;
    an3155_init(&M, &ops, &F, 0x440);
    rom_sync();
    send_cmd(0x02);
    EXPECT(ACK, 0x01, 0x04, 0x40, ACK);
}

static void test_bad_complement_and_unknown_commands_nack(void **state)
{
    static const uint8_t refused[] = {0x43, 0x63, 0x73, 0x82, 0x92, 0xFF, 0x12};
    size_t i;

    (void)state;
    rom_sync();
    FEED(0x00, 0xFE); /* Get with a wrong complement */
    EXPECT(NACK);
    for (i = 0; i < sizeof(refused); i++) {
        send_cmd(refused[i]);
        EXPECT(NACK);
    }
    assert_int_equal(M.nacks, 1 + sizeof(refused));
    assert_int_equal(M.commands, 0);
    send_cmd(0x01); /* still in step with the host */
    EXPECT(ACK, 0x31, 0x00, 0x00, ACK);
}

/* At RDP level 1 only Get, Get Version, Get ID and Readout Unprotect are served; Readout
 * Unprotect answers ACK twice around the regression (which erases the flash). */
static void test_rdp_level1(void **state)
{
    static const uint8_t closed[] = {0x11, 0x21, 0x31, 0x44};
    (void)state;
    an3155_init(&M, &ops_rdp, &F, 0x442);
    rdp_level = 1;
    unprotects = 0;
    F.flash[0] = 0x12;
    rom_sync();
    for (size_t i = 0; i < sizeof closed; i++) {
        send_cmd(closed[i]);
        EXPECT(NACK);
    }
    send_cmd(0x02);
    EXPECT(ACK, 0x01, 0x04, 0x42, ACK);
    send_cmd(0x92);
    EXPECT(ACK, ACK);
    assert_int_equal(unprotects, 1);
    assert_int_equal(F.flash[0], 0xFF);
    send_cmd(0x11); /* level 0 now: Read Memory is served */
    EXPECT(ACK);
}

static void test_read_memory_flash_sysmem_optbytes(void **state)
{
    uint8_t got[256];
    uint32_t i;

    (void)state;
    for (i = 0; i < 256; i++)
        F.flash[0x100 + i] = (uint8_t)(255 - i);
    rom_sync();
    read_mem(FLASH_BASE + 0x100, got, 256);
    assert_memory_equal(got, F.flash + 0x100, 256);
    read_mem(SYS_BASE + 0x1FCC, got, 2); /* flash-size register 0x1FFFF7CC */
    assert_memory_equal(got, F.sys + 0x1FCC, 2);
    read_mem(OPT_BASE, got, 16);
    assert_int_equal(got[0], 0xAA);
    assert_int_equal(got[1], 0x55);
    read_mem(SRAM_BASE, got, 4); /* the ROM's own RAM is readable */
}

static void test_read_memory_refusals(void **state)
{
    (void)state;
    rom_sync();
    /* address checksum wrong */
    send_cmd(0x11);
    EXPECT(ACK);
    FEED(0x08, 0x00, 0x00, 0x00, 0x09);
    EXPECT(NACK);
    /* unmapped address */
    send_cmd(0x11);
    EXPECT(ACK);
    send_addr(0x30000000u);
    EXPECT(NACK);
    /* count complement wrong */
    send_cmd(0x11);
    EXPECT(ACK);
    send_addr(FLASH_BASE);
    EXPECT(ACK);
    FEED(0xFF, 0x01);
    EXPECT(NACK);
    /* range running past the end of flash */
    send_cmd(0x11);
    EXPECT(ACK);
    send_addr(FLASH_BASE + FLASH_SIZE - 16);
    EXPECT(ACK);
    FEED(0x1F, 0xE0);
    EXPECT(NACK);
    assert_int_equal(M.nacks, 4);
}

static void test_write_memory_acks_after_programming_time(void **state)
{
    uint8_t data[256], back[256];
    uint32_t i;

    (void)state;
    for (i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i ^ 0x5A);
    rom_sync();
    assert_int_equal(write_mem(FLASH_BASE + 0x800, data, 256), ACK);
    /* 128 half-words at 53.5 us before the ACK leaves */
    assert_int_equal(last_delay(), 128ull * PROG_NS);
    assert_memory_equal(F.flash + 0x800, data, 256);
    read_mem(FLASH_BASE + 0x800, back, 256);
    assert_memory_equal(back, data, 256);
    /* a 4-byte write costs 2 half-words */
    assert_int_equal(write_mem(FLASH_BASE + 0x900, data, 4), ACK);
    assert_int_equal(last_delay(), 2ull * PROG_NS);
}

static void test_write_memory_bad_checksum_writes_nothing(void **state)
{
    static const uint8_t frame[] = {0x03, 0x11, 0x22, 0x33, 0x44, 0x00};

    (void)state;
    rom_sync();
    send_cmd(0x31);
    EXPECT(ACK);
    send_addr(FLASH_BASE);
    EXPECT(ACK);
    feed(frame, sizeof(frame)); /* right checksum would be 0x03^0x11^0x22^0x33^0x44 */
    EXPECT(NACK);
    assert_int_equal(F.programs, 0);
    assert_int_equal(F.flash[0], 0xFF);
}

static void test_write_memory_refusals(void **state)
{
    static const uint8_t four[4] = {1, 2, 3, 4};
    uint8_t frame[4];

    (void)state;
    rom_sync();
    /* the ROM's own RAM: refused at the address */
    send_cmd(0x31);
    EXPECT(ACK);
    send_addr(SRAM_BASE + 0x100);
    EXPECT(NACK);
    /* option bytes: not modelled, refused at the address */
    send_cmd(0x31);
    EXPECT(ACK);
    send_addr(OPT_BASE);
    EXPECT(NACK);
    /* system memory is ROM */
    send_cmd(0x31);
    EXPECT(ACK);
    send_addr(SYS_BASE);
    EXPECT(NACK);
    /* past the end of flash */
    assert_int_equal(write_mem(FLASH_BASE + FLASH_SIZE - 2, four, 4), NACK);
    /* odd length into flash: the F0 programs half-words */
    send_cmd(0x31);
    EXPECT(ACK);
    send_addr(FLASH_BASE);
    EXPECT(ACK);
    frame[0] = 0x02;
    frame[1] = 0xAA;
    frame[2] = 0xBB;
    frame[3] = 0xCC;
    feed(frame, 4);
    FEED(0x02 ^ 0xAA ^ 0xBB ^ 0xCC);
    EXPECT(NACK);
    assert_int_equal(F.programs, 0);
    /* programming that the flash refuses (a cell not erased) */
    assert_int_equal(write_mem(FLASH_BASE, four, 4), ACK);
    assert_int_equal(write_mem(FLASH_BASE, four, 4), NACK);
    F.fail_program = 1;
    assert_int_equal(write_mem(FLASH_BASE + 0x10, four, 4), NACK);
    assert_int_equal(M.nacks, 7);
}

static void test_write_memory_to_user_sram(void **state)
{
    static const uint8_t code[8] = {0x01, 0x49, 0x02, 0x4A, 0x0A, 0x60, 0xFE, 0xE7};

    (void)state;
    rom_sync();
    assert_int_equal(write_mem(SRAM_BASE + 0x1800, code, sizeof(code)), ACK);
    assert_int_equal(last_delay(), 0);
    assert_memory_equal(F.sram + 0x1800, code, sizeof(code));
}

static void test_extended_erase_pages_in_order_with_time(void **state)
{
    (void)state;
    memset(F.flash, 0x00, sizeof(F.flash));
    rom_sync();
    /* stm32flash's frame for pages 0..2: 00 02 | 00 00 00 01 00 02 | checksum 01 */
    send_cmd(0x44);
    EXPECT(ACK);
    FEED(0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x01);
    EXPECT(ACK);
    assert_int_equal(last_delay(), 3ull * PAGE_NS);
    assert_int_equal(F.nerased, 3);
    assert_int_equal(F.erased[0], 0);
    assert_int_equal(F.erased[1], 1);
    assert_int_equal(F.erased[2], 2);
    assert_int_equal(F.flash[3 * PAGE_SIZE - 1], 0xFF);
    assert_int_equal(F.flash[3 * PAGE_SIZE], 0x00);
    /* a list in any order, duplicates cost time again */
    send_cmd(0x44);
    EXPECT(ACK);
    FEED(0x00, 0x01, 0x00, 0x7F, 0x00, 0x7F, 0x01);
    EXPECT(ACK);
    assert_int_equal(last_delay(), 2ull * PAGE_NS);
    assert_int_equal(F.erased[3], 127);
    assert_int_equal(F.erased[4], 127);
}

static void test_extended_erase_refusals_erase_nothing(void **state)
{
    (void)state;
    rom_sync();
    /* wrong checksum */
    send_cmd(0x44);
    EXPECT(ACK);
    FEED(0x00, 0x00, 0x00, 0x05, 0x00);
    EXPECT(NACK);
    /* page 128 does not exist on a 256 KB part with 2 KB pages; page 5 before it
     * must not be erased either */
    send_cmd(0x44);
    EXPECT(ACK);
    FEED(0x00, 0x01, 0x00, 0x05, 0x00, 0x80, 0x01 ^ 0x05 ^ 0x80);
    EXPECT(NACK);
    /* bank erase codes: the F0 has one bank */
    send_cmd(0x44);
    EXPECT(ACK);
    FEED(0xFF, 0xFE, 0x01);
    EXPECT(NACK);
    /* mass erase with a wrong checksum */
    send_cmd(0x44);
    EXPECT(ACK);
    FEED(0xFF, 0xFF, 0xFF);
    EXPECT(NACK);
    assert_int_equal(F.nerased, 0);
    assert_int_equal(F.mass_erases, 0);
    assert_int_equal(M.nacks, 4);
}

static void test_extended_erase_list_longer_than_model_limit(void **state)
{
    uint32_t n = AN3155_MAX_ERASE_PAGES + 1, i;
    uint8_t cs = 0, b;

    (void)state;
    rom_sync();
    send_cmd(0x44);
    EXPECT(ACK);
    b = (uint8_t)((n - 1) >> 8);
    cs ^= b;
    an3155_rx(&M, b);
    b = (uint8_t)(n - 1);
    cs ^= b;
    an3155_rx(&M, b);
    for (i = 0; i < n; i++) {
        an3155_rx(&M, 0x00);
        b = (uint8_t)(i & 0x3F);
        cs ^= b;
        an3155_rx(&M, b);
        expect_nothing();
    }
    an3155_rx(&M, cs);
    EXPECT(NACK);
    assert_int_equal(F.nerased, 0);
    /* and the next command is understood */
    send_cmd(0x01);
    EXPECT(ACK, 0x31, 0x00, 0x00, ACK);
}

static void test_mass_erase(void **state)
{
    (void)state;
    memset(F.flash, 0x12, sizeof(F.flash));
    rom_sync();
    send_cmd(0x44);
    EXPECT(ACK);
    FEED(0xFF, 0xFF, 0x00);
    EXPECT(ACK);
    assert_int_equal(last_delay(), MASS_NS);
    assert_int_equal(F.mass_erases, 1);
    assert_int_equal(F.flash[FLASH_SIZE - 1], 0xFF);
}

static void test_go_acks_then_leaves(void **state)
{
    (void)state;
    rom_sync();
    /* not flash or SRAM: refused, the ROM stays */
    send_cmd(0x21);
    EXPECT(ACK);
    send_addr(SYS_BASE);
    EXPECT(NACK);
    assert_int_equal(F.go_calls, 0);
    send_cmd(0x21);
    EXPECT(ACK);
    send_addr(FLASH_BASE);
    EXPECT(ACK);
    assert_int_equal(F.go_calls, 1);
    assert_int_equal(F.go_addr, FLASH_BASE);
    assert_int_equal(M.left, 1);
    /* the application owns the USART now: the ROM answers nothing */
    FEED(0x7F, 0x00, 0xFF);
    expect_nothing();
}

/* The map follows the part: a 64 KB F030x8 has 64 pages of 1 KB and 8 KB of SRAM. */
static void test_small_part_limits(void **state)
{
    static const uint8_t four[4] = {9, 8, 7, 6};

    (void)state;
    an3155_init(&M, &ops, &F, 0x440);
    rom_sync();
    send_cmd(0x44);
    EXPECT(ACK);
    FEED(0x00, 0x00, 0x00, 0x3F, 0x3F); /* page 63: the last one */
    EXPECT(ACK);
    send_cmd(0x44);
    EXPECT(ACK);
    FEED(0x00, 0x00, 0x00, 0x40, 0x40); /* page 64: beyond the flash */
    EXPECT(NACK);
    assert_int_equal(F.nerased, 1);
    assert_int_equal(F.erased[0], 63);
    assert_int_equal(write_mem(FLASH_BASE + 64u * 1024u - 4, four, 4), ACK);
    send_cmd(0x31);
    EXPECT(ACK);
    send_addr(FLASH_BASE + 64u * 1024u); /* first byte after the flash */
    EXPECT(NACK);
    send_cmd(0x31);
    EXPECT(ACK);
    send_addr(SRAM_BASE + 0x7FC); /* the ROM uses the first 2 KB here */
    EXPECT(NACK);
    assert_int_equal(write_mem(SRAM_BASE + 0x800, four, 4), ACK);
    send_cmd(0x11);
    EXPECT(ACK);
    send_addr(SRAM_BASE + 8u * 1024u); /* first byte after the SRAM */
    EXPECT(NACK);
}

static void test_map_for_chip(void **state)
{
    struct an3155_map map;

    (void)state;
    assert_int_equal(an3155_map_for_chip(0x442, &map), 0);
    assert_int_equal(map.flash_size, 256u * 1024u);
    assert_int_equal(map.page_size, 2048u);
    assert_int_equal(map.sram_size, 32u * 1024u);
    assert_int_equal(map.rom_ram_size, 0x1800u);
    assert_int_equal(map.sysmem_base, 0x1FFFD800u);
    assert_int_equal(map.sysmem_base + map.sysmem_size, 0x1FFFF800u);
    assert_int_equal(an3155_map_for_chip(0x440, &map), 0);
    assert_int_equal(map.page_size, 1024u);
    assert_int_equal(map.flash_size, 64u * 1024u);
    assert_int_equal(an3155_map_for_chip(0x123, &map), -1);
    assert_int_equal(map.flash_size, 256u * 1024u);
}

/*
 * The exchange `stm32flash -w image.bin -v -g 0x08000000` has with a F030xC, byte for
 * byte: init, Get Version, Get, Get ID, Extended Erase of the pages the image covers,
 * then per 256-byte block Write Memory and a Read Memory to verify, and Go. Checks
 * every answer, the flash contents, and the busy time the model charged.
 */
static void test_stm32flash_session_replay(void **state)
{
    enum { IMAGE = 5000 }; /* 19 full blocks and a 136-byte tail; 3 pages */
    static uint8_t image[IMAGE];
    uint8_t back[256];
    uint64_t busy = 0;
    uint32_t off, i, pages = (IMAGE + PAGE_SIZE - 1) / PAGE_SIZE;

    (void)state;
    for (i = 0; i < IMAGE; i++)
        image[i] = (uint8_t)(i * 31u + (i >> 8));
    memset(F.flash, 0x00, 4 * PAGE_SIZE); /* old contents */

    FEED(0x7F);
    EXPECT(ACK);
    FEED(0x01, 0xFE);
    EXPECT(ACK, 0x31, 0x00, 0x00, ACK);
    FEED(0x00, 0xFF);
    EXPECT(ACK, 0x0B, 0x31, 0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x44, 0x63, 0x73, 0x82, 0x92, ACK);
    FEED(0x02, 0xFD);
    EXPECT(ACK, 0x01, 0x04, 0x42, ACK);

    assert_int_equal(erase_pages(0, pages), ACK);
    busy += last_delay();
    assert_int_equal(last_delay(), (uint64_t)pages * PAGE_NS);

    for (off = 0; off < IMAGE; off += 256) {
        uint32_t len = IMAGE - off < 256 ? IMAGE - off : 256;

        assert_int_equal(write_mem(FLASH_BASE + off, image + off, len), ACK);
        assert_int_equal(last_delay(), (uint64_t)(len / 2) * PROG_NS);
        busy += last_delay();
        read_mem(FLASH_BASE + off, back, len);
        assert_memory_equal(back, image + off, len);
    }
    assert_memory_equal(F.flash, image, IMAGE);
    /* the rest of the erased pages stayed erased, the page after them was not touched */
    for (i = IMAGE; i < pages * PAGE_SIZE; i++)
        assert_int_equal(F.flash[i], 0xFF);
    assert_int_equal(F.flash[pages * PAGE_SIZE], 0x00);

    send_cmd(0x21);
    EXPECT(ACK);
    send_addr(FLASH_BASE);
    EXPECT(ACK);
    assert_int_equal(F.go_addr, FLASH_BASE);

    assert_int_equal(busy, (uint64_t)pages * PAGE_NS + (IMAGE / 2) * (uint64_t)PROG_NS);
    assert_int_equal(M.nacks, 0);
    /* 3 info + 1 erase + 20 writes + 20 reads + Go */
    assert_int_equal(M.commands, 3 + 1 + 2 * ((IMAGE + 255) / 256) + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_sync_ignores_noise_then_acks_0x7f, setup),
        cmocka_unit_test_setup(test_second_sync_is_an_opcode_then_nack, setup),
        cmocka_unit_test_setup(test_get_answers_v31_command_list, setup),
        cmocka_unit_test_setup(test_get_version_and_get_id, setup),
        cmocka_unit_test_setup(test_get_id_follows_chip_id, setup),
        cmocka_unit_test_setup(test_bad_complement_and_unknown_commands_nack, setup),
        cmocka_unit_test_setup(test_read_memory_flash_sysmem_optbytes, setup),
        cmocka_unit_test_setup(test_read_memory_refusals, setup),
        cmocka_unit_test_setup(test_write_memory_acks_after_programming_time, setup),
        cmocka_unit_test_setup(test_write_memory_bad_checksum_writes_nothing, setup),
        cmocka_unit_test_setup(test_write_memory_refusals, setup),
        cmocka_unit_test_setup(test_write_memory_to_user_sram, setup),
        cmocka_unit_test_setup(test_extended_erase_pages_in_order_with_time, setup),
        cmocka_unit_test_setup(test_extended_erase_refusals_erase_nothing, setup),
        cmocka_unit_test_setup(test_extended_erase_list_longer_than_model_limit, setup),
        cmocka_unit_test_setup(test_mass_erase, setup),
        cmocka_unit_test_setup(test_go_acks_then_leaves, setup),
        cmocka_unit_test_setup(test_small_part_limits, setup),
        cmocka_unit_test_setup(test_map_for_chip, setup),
        cmocka_unit_test_setup(test_rdp_level1, setup),
        cmocka_unit_test_setup(test_stm32flash_session_replay, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
