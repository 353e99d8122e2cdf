/*
 * The CRC calculation unit (RM0360 section 6): CRC-32 (polynomial 0x04C11DB7, MSB first),
 * 8/16/32-bit writes to DR, REV_IN and REV_OUT, INIT, IDR.
 */
#include "../machine.h"
#include "dev.h"
#include "regs/crc.h"
#include "regs/rcc.h"

static uint32_t mask_size(unsigned size)
{
    return size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1u;
}

static uint32_t rev32(uint32_t x)
{
    x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
    x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
    x = ((x >> 4) & 0x0F0F0F0Fu) | ((x & 0x0F0F0F0Fu) << 4);
    return __builtin_bswap32(x);
}

static uint32_t crc_model_feed(uint32_t crc, uint32_t data, int bits)
{
    /* MSB-first CRC-32, polynomial 0x04C11DB7 (fixed on the F030) */
    crc ^= data << (32 - bits);
    for (int i = 0; i < bits; i++)
        crc = (crc & 0x80000000u) ? (crc << 1) ^ CRC_POLY : crc << 1;
    return crc;
}

static void crc_write_dr(struct chip *c, uint32_t v, unsigned size)
{
    int bits = (int)size * 8;
    uint32_t d = v & mask_size(size);
    switch ((c->crc.cr >> CRC_CR_REV_IN_SHIFT) & 3u) {
    case 1: /* REV_IN = 01: bits reversed within each byte */
        d = __builtin_bswap32(rev32(d)) & mask_size(size);
        break;
    case 2: /* REV_IN = 10: bits reversed within each half-word */
        if (bits == 32) {
            uint32_t r = rev32(d);
            d = (r >> 16) | (r << 16);
        } else {
            d = rev32(d) >> (bits == 16 ? 16 : 24);
        }
        break;
    case 3: /* REV_IN = 11: bits reversed within the word written */
        d = rev32(d) >> (32 - bits);
        break;
    default: break;
    }
    c->crc.dr = crc_model_feed(c->crc.dr, d, bits);
}

static void crc_reset(struct chip *c)
{
    c->crc.dr = 0xFFFFFFFFu;
    c->crc.idr = 0;
    c->crc.cr = 0;
    c->crc.init = 0xFFFFFFFFu;
}

static uint64_t crc_read(struct chip *c, uint32_t r)
{
    switch (r) {
    case CRC_DR_OFF: return (c->crc.cr & CRC_CR_REV_OUT) ? rev32(c->crc.dr) : c->crc.dr;
    case CRC_IDR_OFF: return c->crc.idr;
    case CRC_CR_OFF: return c->crc.cr;
    case CRC_INIT_OFF: return c->crc.init;
    default: return DEV_NONE;
    }
}

/* 8- and 16-bit writes arrive unshifted (narrow_raw): DR takes data of the width written */
static void crc_write(struct chip *c, uint32_t off, uint32_t v, unsigned size)
{
    switch (off & ~3u) {
    case CRC_DR_OFF: crc_write_dr(c, v, size); break;
    case CRC_IDR_OFF: c->crc.idr = v & 0xFFu; break;
    case CRC_CR_OFF:
        c->crc.cr = v & CRC_CR_WRITABLE;
        if (v & CRC_CR_RESET)
            c->crc.dr = c->crc.init; /* RESET loads INIT */
        break;
    case CRC_INIT_OFF:
        c->crc.init = v;
        c->crc.dr = v;
        break;
    default: chip_unmodelled(c, CRC_BASE_R + off, 1, v); break;
    }
}

static int crc_clocked(const struct chip *c, uint32_t off)
{
    (void)off;
    return rcc_enabled(c, RCC_AHBENR_OFF, RCC_AHBENR_CRCEN);
}

const struct dev_ops dev_crc = {
    .name = "CRC",
    .base = CRC_BASE_R,
    .size = 0x400u,
    .narrow_raw = 1,
    .clocked = crc_clocked,
    .read = crc_read,
    .write = crc_write,
    .reset = crc_reset,
};
