/* Strict fake STM32F0 flash for host tests of the bootloader core. See fake_flash.h. */
#include "fake_flash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "f0b_hal.h"
#include "f0boot/layout.h"

static const struct f0b_layout *ff_l;
static uint8_t *ff_mem;
static uint32_t *ff_wear;
static uint64_t ff_ops, ff_erases;
static unsigned ff_violations;
static char ff_msg[160];

static int ff_armed, ff_fired;
static uint64_t ff_cut_at;
static enum fake_cut ff_cut_kind;
static jmp_buf *ff_env;
static uint32_t ff_seed;

static uint8_t boot_pattern(uint32_t i) { return (uint8_t)(0xA5u ^ (i * 7u)); }

void fake_flash_init(const struct f0b_layout *l)
{
    fake_flash_free();
    ff_l = l;
    ff_mem = malloc(l->flash_size);
    ff_wear = calloc(l->flash_size / l->page_size, sizeof *ff_wear);
    if (ff_mem == NULL || ff_wear == NULL)
        abort();
    memset(ff_mem, 0xFF, l->flash_size);
    for (uint32_t i = 0; i < l->app_start - F0B_FLASH_BASE; i++)
        ff_mem[i] = boot_pattern(i);
    ff_ops = ff_erases = 0;
    ff_violations = 0;
    ff_msg[0] = '\0';
    ff_armed = ff_fired = 0;
}

void fake_flash_free(void)
{
    free(ff_mem);
    free(ff_wear);
    ff_mem = NULL;
    ff_wear = NULL;
}

uint8_t *fake_flash_mem(void) { return ff_mem; }
void fake_flash_flip(uint32_t addr, uint8_t bits) { ff_mem[addr - F0B_FLASH_BASE] ^= bits; }
uint32_t fake_flash_size(void) { return ff_l->flash_size; }
uint64_t fake_flash_ops(void) { return ff_ops; }
uint64_t fake_flash_erases(void) { return ff_erases; }
unsigned fake_flash_violations(void) { return ff_violations; }
const char *fake_flash_last_violation(void) { return ff_msg; }
int fake_flash_cut_fired(void) { return ff_fired; }

uint32_t fake_flash_page_erases(uint32_t addr)
{
    return ff_wear[(addr - F0B_FLASH_BASE) / ff_l->page_size];
}

int fake_flash_boot_intact(void)
{
    for (uint32_t i = 0; i < ff_l->app_start - F0B_FLASH_BASE; i++)
        if (ff_mem[i] != boot_pattern(i))
            return 0;
    return 1;
}

void fake_flash_arm_cut(uint64_t n, enum fake_cut kind, jmp_buf *env, uint32_t seed)
{
    ff_armed = 1;
    ff_fired = 0;
    ff_cut_at = ff_ops + n;
    ff_cut_kind = kind;
    ff_env = env;
    ff_seed = seed;
}

void fake_flash_disarm(void) { ff_armed = 0; }

static void violation(const char *what, uint32_t addr)
{
    ff_violations++;
    snprintf(ff_msg, sizeof ff_msg, "%s at 0x%08x", what, (unsigned)addr);
}

/* xorshift32: a reproducible bit pattern for torn operations. */
static uint32_t rnd(void)
{
    uint32_t x = ff_seed ? ff_seed : 0x9E3779B9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    ff_seed = x;
    return x;
}

/* Called at the start of every operation: fires the armed cut if this is the one. */
static int cut_now(void)
{
    if (!ff_armed || ff_ops != ff_cut_at)
        return 0;
    ff_armed = 0;
    ff_fired = 1;
    ff_seed ^= (uint32_t)ff_cut_at * 2654435761u;
    return 1;
}

static int in_app_flash(uint32_t addr, uint32_t len)
{
    uint32_t end = F0B_FLASH_BASE + ff_l->flash_size;
    return addr >= ff_l->app_start && addr < end && len <= end - addr;
}

int f0b_hal_flash_erase(uint32_t page_addr)
{
    if (!in_app_flash(page_addr, ff_l->page_size)) {
        violation("erase outside the application flash", page_addr);
        return F0B_ST_FLASH_PROTECTED;
    }
    if ((page_addr - F0B_FLASH_BASE) % ff_l->page_size != 0) {
        violation("erase of an address that is not a page start", page_addr);
        return F0B_ST_FLASH_ERASE;
    }
    uint8_t *p = ff_mem + (page_addr - F0B_FLASH_BASE);
    if (cut_now()) {
        if (ff_cut_kind == FAKE_CUT_TORN) {
            /* A partly erased page: some bits of some bytes went to 1, others did not. */
            uint32_t done = rnd() % ff_l->page_size;
            for (uint32_t i = 0; i < ff_l->page_size; i++)
                p[i] |= (i < done) ? 0xFFu : (uint8_t)(rnd() & rnd());
        }
        longjmp(*ff_env, 1);
    }
    memset(p, 0xFF, ff_l->page_size);
    ff_wear[(page_addr - F0B_FLASH_BASE) / ff_l->page_size]++;
    ff_ops++;
    ff_erases++;
    return F0B_ST_OK;
}

int f0b_hal_flash_program(uint32_t addr, const uint8_t *src, uint32_t len)
{
    if (!in_app_flash(addr, len)) {
        violation("program outside the application flash", addr);
        return F0B_ST_FLASH_PROTECTED;
    }
    if ((addr & 1u) != 0 || (len & 1u) != 0) {
        violation("program that is not whole half-words", addr);
        return F0B_ST_FLASH_PROGRAM;
    }
    for (uint32_t i = 0; i < len; i += 2) {
        uint8_t *p = ff_mem + (addr + i - F0B_FLASH_BASE);
        if (p[0] != 0xFF || p[1] != 0xFF) {
            /* The F0 skips the write and sets PGERR. */
            violation("program onto a half-word that is not erased", addr + i);
            return F0B_ST_FLASH_PROGRAM;
        }
        if (cut_now()) {
            if (ff_cut_kind == FAKE_CUT_TORN) {
                /* Only some of the bits that should go to 0 did. */
                uint32_t keep = rnd();
                p[0] = (uint8_t)(src[i] | (keep & 0xFFu));
                p[1] = (uint8_t)(src[i + 1] | ((keep >> 8) & 0xFFu));
            }
            longjmp(*ff_env, 1);
        }
        p[0] = src[i];
        p[1] = src[i + 1];
        ff_ops++;
    }
    return F0B_ST_OK;
}

const uint8_t *f0b_hal_flash_ptr(uint32_t addr) { return ff_mem + (addr - F0B_FLASH_BASE); }

uint32_t f0b_hal_crc32(const uint8_t *p, uint32_t len) { return (uint32_t)crc32(0L, p, len); }

/* Bit by bit, as RM0360 describes the unit with REV_IN = REV_OUT = 0: independent of the
 * table-driven f0b_crc32_mpeg2() the host uses, so the protocol tests compare the two. */
uint32_t f0b_hal_crc_frame(const uint8_t *p, uint32_t len)
{
    uint32_t crc = 0xFFFFFFFFu;

    while (len--) {
        crc ^= (uint32_t)*p++ << 24;
        for (int i = 0; i < 8; i++)
            crc = (crc & 0x80000000u) ? (crc << 1) ^ 0x04C11DB7u : crc << 1;
    }
    return crc;
}
