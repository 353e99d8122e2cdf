/*
 * Behavioural model of the STM32F0 system-memory bootloader's USART protocol (AN3155,
 * protocol v3.1 as the F030xC ROM speaks it). See docs/rom-model.md for what is and is
 * not modelled, and for the timing rules.
 *
 * The model is a byte-driven state machine: the simulator hands it every received
 * character, and it answers through ops->tx with the delay the chip would need before
 * the answer (only flash programming and erasing take time; protocol handling is taken
 * as instantaneous next to an 11-bit character time).
 */
#include "an3155.h"

#include <string.h>

enum an3155_state {
    ST_SYNC,       /* after reset: waiting for the 0x7F autobaud character */
    ST_CMD,        /* opcode */
    ST_CMD_CPL,    /* opcode complement */
    ST_ADDR,       /* 4 address bytes (MSB first) + XOR checksum */
    ST_RM_COUNT,   /* Read Memory: N and N ^ 0xFF */
    ST_WM_COUNT,   /* Write Memory: N */
    ST_WM_DATA,    /* Write Memory: N + 1 bytes and the checksum */
    ST_EE_COUNT,   /* Extended Erase: 2-byte count (or special code), MSB first */
    ST_EE_SPECIAL, /* Extended Erase: checksum after a special code */
    ST_EE_PAGES,   /* Extended Erase: 2-byte page numbers and the checksum */
    ST_LEFT        /* Go executed: the ROM is no longer running */
};

#define CMD_GET     0x00u
#define CMD_GET_VER 0x01u
#define CMD_GET_ID  0x02u
#define CMD_READ    0x11u
#define CMD_GO      0x21u
#define CMD_WRITE   0x31u
#define CMD_EXT_ER  0x44u
#define CMD_WP      0x63u
#define CMD_WUP     0x73u
#define CMD_RP      0x82u
#define CMD_RUP     0x92u
#define SYNC_BYTE   0x7Fu

#define EE_MASS    0xFFFFu /* Extended Erase special code: mass erase */
#define EE_SPECIAL 0xFFF0u /* codes from here up are special (banks, reserved) */

/* The command list a v3.1 USART bootloader reports in Get (AN3155 table 2; the same
 * eleven codes the F0/F3/G0 ROMs answer). The protection commands are listed because the
 * ROM lists them; the model refuses them (docs/rom-model.md). */
static const uint8_t get_cmds[] = {CMD_GET,    CMD_GET_VER, CMD_GET_ID, CMD_READ, CMD_GO, CMD_WRITE,
                                   CMD_EXT_ER, CMD_WP,      CMD_WUP,    CMD_RP,   CMD_RUP};

int an3155_map_for_chip(uint16_t chip_id, struct an3155_map *map)
{
    /* Flash/SRAM sizes from RM0360/RM0091, ROM RAM use and system memory start from
     * AN2606 as stm32flash's device table records them. Option bytes are 16 bytes at
     * 0x1FFFF800 on every F0. */
    struct an3155_map m = {
        .flash_base = 0x08000000u,
        .sram_base = 0x20000000u,
        .optb_base = 0x1FFFF800u,
        .optb_size = 16u,
    };
    int rc = 0;

    switch (chip_id) {
    case 0x440: /* F030x8 / F05x */
        m.flash_size = 64u * 1024u;
        m.page_size = 1024u;
        m.sram_size = 8u * 1024u;
        m.rom_ram_size = 0x800u;
        m.sysmem_base = 0x1FFFEC00u;
        break;
    case 0x444: /* F030x4/x6, F03x */
        m.flash_size = 32u * 1024u;
        m.page_size = 1024u;
        m.sram_size = 4u * 1024u;
        m.rom_ram_size = 0x800u;
        m.sysmem_base = 0x1FFFEC00u;
        break;
    case 0x445: /* F04x / F070x6 */
        m.flash_size = 32u * 1024u;
        m.page_size = 1024u;
        m.sram_size = 6u * 1024u;
        m.rom_ram_size = 0x1800u;
        m.sysmem_base = 0x1FFFC400u;
        break;
    case 0x448: /* F070xB / F071 / F072 */
        m.flash_size = 128u * 1024u;
        m.page_size = 2048u;
        m.sram_size = 16u * 1024u;
        m.rom_ram_size = 0x1800u;
        m.sysmem_base = 0x1FFFC800u;
        break;
    default: /* unknown: describe the default part, the F030xC */
        rc = -1;
        /* fall through */
    case 0x442: /* F030xC / F09x */
        m.flash_size = 256u * 1024u;
        m.page_size = 2048u;
        m.sram_size = 32u * 1024u;
        m.rom_ram_size = 0x1800u;
        m.sysmem_base = 0x1FFFD800u;
        break;
    }
    /* System memory runs up to the option bytes. */
    m.sysmem_size = m.optb_base - m.sysmem_base;
    *map = m;
    return rc;
}

void an3155_init(struct an3155 *m, const struct an3155_ops *ops, void *ctx, uint16_t chip_id)
{
    memset(m, 0, sizeof(*m));
    m->ops = ops;
    m->ctx = ctx;
    m->chip_id = chip_id;
    m->version = 0x31u;
    m->state = ST_SYNC;
    (void)an3155_map_for_chip(chip_id, &m->map);
}

/* --- ranges ------------------------------------------------------------------------- */

static int in_region(uint32_t base, uint32_t size, uint32_t addr, uint32_t len)
{
    return addr >= base && len <= size && addr - base <= size - len;
}

static int in_flash(const struct an3155 *m, uint32_t addr, uint32_t len)
{
    return in_region(m->map.flash_base, m->map.flash_size, addr, len);
}

static int in_sram(const struct an3155 *m, uint32_t addr, uint32_t len)
{
    return in_region(m->map.sram_base, m->map.sram_size, addr, len);
}

/* SRAM the host may write: everything above the ROM's own working area. */
static int in_user_sram(const struct an3155 *m, uint32_t addr, uint32_t len)
{
    if (m->map.rom_ram_size >= m->map.sram_size)
        return 0;
    return in_region(m->map.sram_base + m->map.rom_ram_size, m->map.sram_size - m->map.rom_ram_size,
                     addr, len);
}

static int readable(const struct an3155 *m, uint32_t addr, uint32_t len)
{
    return in_flash(m, addr, len) || in_sram(m, addr, len) ||
           in_region(m->map.sysmem_base, m->map.sysmem_size, addr, len) ||
           in_region(m->map.optb_base, m->map.optb_size, addr, len);
}

/* --- answers ------------------------------------------------------------------------ */

static void send(struct an3155 *m, const uint8_t *bytes, uint32_t n, uint64_t delay_ns)
{
    m->ops->tx(m->ctx, bytes, n, delay_ns);
}

/* Every command ends in ACK or NACK and the ROM goes back to waiting for an opcode. */
static void finish(struct an3155 *m, uint8_t answer, uint64_t delay_ns)
{
    if (answer == AN3155_NACK)
        m->nacks++;
    send(m, &answer, 1, delay_ns);
    m->state = ST_CMD;
}

static void expect(struct an3155 *m, int state, uint32_t need)
{
    m->state = state;
    m->need = need;
    m->got = 0;
    m->xsum = 0;
}

/* --- commands ----------------------------------------------------------------------- */

static void cmd_get(struct an3155 *m)
{
    uint8_t out[3 + sizeof(get_cmds) + 1];
    uint32_t n = 0;

    out[n++] = AN3155_ACK;
    out[n++] = (uint8_t)sizeof(get_cmds); /* bytes to follow - 1: version + list - 1 */
    out[n++] = m->version;
    memcpy(out + n, get_cmds, sizeof(get_cmds));
    n += sizeof(get_cmds);
    out[n++] = AN3155_ACK;
    send(m, out, n, 0);
    m->state = ST_CMD;
}

static void cmd_get_version(struct an3155 *m)
{
    /* Two option bytes follow the version; the ROM sends 0x00 0x00 for compatibility. */
    const uint8_t out[5] = {AN3155_ACK, m->version, 0x00, 0x00, AN3155_ACK};

    send(m, out, sizeof(out), 0);
    m->state = ST_CMD;
}

static void cmd_get_id(struct an3155 *m)
{
    const uint8_t out[5] = {AN3155_ACK, 0x01, (uint8_t)(m->chip_id >> 8), (uint8_t)m->chip_id,
                            AN3155_ACK};

    send(m, out, sizeof(out), 0);
    m->state = ST_CMD;
}

/* Opcode and complement received. */
/* Readout Unprotect: ACK, the regression (a mass erase), the second ACK; the chip then
 * resets (the simulator's unprotect op arranges it). */
static void cmd_unprotect(struct an3155 *m)
{
    static const uint8_t ack = AN3155_ACK;
    int64_t busy = m->ops->unprotect ? m->ops->unprotect(m->ctx) : -1;

    if (busy < 0) {
        finish(m, AN3155_NACK, 0);
        return;
    }
    m->commands++;
    send(m, &ack, 1, 0);
    finish(m, AN3155_ACK, (uint64_t)busy);
}

static void on_command(struct an3155 *m)
{
    static const uint8_t ack = AN3155_ACK;

    if (m->ops->rdp_active && m->ops->rdp_active(m->ctx) && m->cmd != CMD_GET &&
        m->cmd != CMD_GET_VER && m->cmd != CMD_GET_ID && m->cmd != CMD_RUP) {
        finish(m, AN3155_NACK, 0); /* read-out protection: memory is closed */
        return;
    }
    switch (m->cmd) {
    case CMD_RUP: cmd_unprotect(m); return;
    case CMD_GET:
        m->commands++;
        cmd_get(m);
        return;
    case CMD_GET_VER:
        m->commands++;
        cmd_get_version(m);
        return;
    case CMD_GET_ID:
        m->commands++;
        cmd_get_id(m);
        return;
    case CMD_READ:
    case CMD_GO:
    case CMD_WRITE:
        m->commands++;
        send(m, &ack, 1, 0);
        expect(m, ST_ADDR, 5);
        return;
    case CMD_EXT_ER:
        m->commands++;
        send(m, &ack, 1, 0);
        expect(m, ST_EE_COUNT, 2);
        return;
    default:
        /* Unknown opcode, legacy Erase 0x43, and the protection commands, which change
         * option bytes and reset the chip: not modelled. */
        finish(m, AN3155_NACK, 0);
        return;
    }
}

/* Address and checksum received: check it for the command in progress. */
static void on_address(struct an3155 *m)
{
    static const uint8_t ack = AN3155_ACK;
    uint32_t a = ((uint32_t)m->buf[0] << 24) | ((uint32_t)m->buf[1] << 16) |
                 ((uint32_t)m->buf[2] << 8) | m->buf[3];
    int ok;

    if ((m->buf[0] ^ m->buf[1] ^ m->buf[2] ^ m->buf[3]) != m->buf[4]) {
        finish(m, AN3155_NACK, 0);
        return;
    }
    m->addr = a;
    switch (m->cmd) {
    case CMD_READ: ok = readable(m, a, 1); break;
    case CMD_WRITE: ok = in_flash(m, a, 1) || in_user_sram(m, a, 1); break;
    default: ok = in_flash(m, a, 1) || in_sram(m, a, 1); break; /* Go */
    }
    if (!ok) {
        finish(m, AN3155_NACK, 0);
        return;
    }
    if (m->cmd == CMD_GO) {
        /* ACK first: the ROM answers, then resets its peripherals and jumps. */
        send(m, &ack, 1, 0);
        m->state = ST_LEFT;
        m->left = 1;
        m->ops->go(m->ctx, a);
        return;
    }
    send(m, &ack, 1, 0);
    if (m->cmd == CMD_READ)
        expect(m, ST_RM_COUNT, 2);
    else
        expect(m, ST_WM_COUNT, 1);
}

static void on_read_count(struct an3155 *m)
{
    uint8_t out[1 + 256];
    uint32_t len = (uint32_t)m->buf[0] + 1u;

    if ((m->buf[0] ^ m->buf[1]) != 0xFF || !readable(m, m->addr, len) ||
        m->ops->read(m->ctx, m->addr, out + 1, len) != 0) {
        finish(m, AN3155_NACK, 0);
        return;
    }
    out[0] = AN3155_ACK;
    send(m, out, 1 + len, 0);
    m->state = ST_CMD;
}

static void on_write_data(struct an3155 *m)
{
    uint32_t len = m->got - 1; /* data bytes, checksum excluded */
    int64_t busy;

    /* xsum covers N, the data and the checksum byte: zero when they agree. */
    if (m->xsum != 0) {
        finish(m, AN3155_NACK, 0);
        return;
    }
    if (in_flash(m, m->addr, len)) {
        /* The F0 flash programs half-words only. */
        if ((m->addr | len) & 1u) {
            finish(m, AN3155_NACK, 0);
            return;
        }
    } else if (!in_user_sram(m, m->addr, len)) {
        finish(m, AN3155_NACK, 0);
        return;
    }
    busy = m->ops->program(m->ctx, m->addr, m->buf, len);
    if (busy < 0) {
        finish(m, AN3155_NACK, 0);
        return;
    }
    /* The ACK leaves only once the last half-word is programmed. */
    finish(m, AN3155_ACK, (uint64_t)busy);
}

static void do_mass_erase(struct an3155 *m)
{
    int64_t busy = m->ops->mass_erase(m->ctx);

    if (busy < 0)
        finish(m, AN3155_NACK, 0);
    else
        finish(m, AN3155_ACK, (uint64_t)busy);
}

static void do_page_erase(struct an3155 *m)
{
    uint32_t npages_flash = m->map.page_size ? m->map.flash_size / m->map.page_size : 0;
    uint64_t total = 0;
    uint32_t i;

    if (m->xsum != 0 || m->npages > AN3155_MAX_ERASE_PAGES) {
        finish(m, AN3155_NACK, 0);
        return;
    }
    /* The whole list is checked before anything is erased. */
    for (i = 0; i < m->npages; i++) {
        if (m->pages[i] >= npages_flash) {
            finish(m, AN3155_NACK, 0);
            return;
        }
    }
    /* The ROM erases the pages one after the other, in the order given; the ACK waits
     * for the last one. */
    for (i = 0; i < m->npages; i++) {
        int64_t busy = m->ops->erase_page(m->ctx, m->pages[i]);

        if (busy < 0) {
            finish(m, AN3155_NACK, total);
            return;
        }
        total += (uint64_t)busy;
    }
    finish(m, AN3155_ACK, total);
}

static void on_erase_count(struct an3155 *m)
{
    uint32_t count = ((uint32_t)m->buf[0] << 8) | m->buf[1];

    if (count >= EE_SPECIAL) {
        m->addr = count; /* remember the code for the checksum phase */
        m->state = ST_EE_SPECIAL;
        return;
    }
    /* count + 1 page numbers of 2 bytes, then the checksum. xsum already holds the
     * count bytes. */
    m->npages = 0;
    m->state = ST_EE_PAGES;
    m->need = 2u * (count + 1u) + 1u;
    m->got = 0;
}

/* --- byte input --------------------------------------------------------------------- */

/* A byte of Extended Erase's page list (big-endian page numbers, then the checksum). */
static void on_erase_page_byte(struct an3155 *m, uint8_t byte)
{
    m->xsum ^= byte;
    m->got++;
    if (m->got == m->need) {
        do_page_erase(m);
        return;
    }
    if ((m->got & 1u) == 0) {
        /* second byte of a page number: buf[0] holds the first */
        if (m->npages < AN3155_MAX_ERASE_PAGES)
            m->pages[m->npages] = (uint16_t)((m->buf[0] << 8) | byte);
        if (m->npages < 0xFFFFu)
            m->npages++;
    } else {
        m->buf[0] = byte;
    }
}

void an3155_rx(struct an3155 *m, uint8_t byte)
{
    switch (m->state) {
    case ST_SYNC:
        /* The ROM measures the 0x7F character to set its baud rate; anything else
         * before it is not seen as a character. */
        if (byte == SYNC_BYTE) {
            static const uint8_t ack = AN3155_ACK;

            m->synced = 1;
            send(m, &ack, 1, 0);
            m->state = ST_CMD;
        }
        return;

    case ST_CMD:
        m->cmd = byte;
        m->state = ST_CMD_CPL;
        return;

    case ST_CMD_CPL:
        if ((byte ^ m->cmd) != 0xFF)
            finish(m, AN3155_NACK, 0);
        else
            on_command(m);
        return;

    case ST_ADDR:
    case ST_RM_COUNT:
    case ST_EE_COUNT:
        m->buf[m->got++] = byte;
        m->xsum ^= byte;
        if (m->got < m->need)
            return;
        if (m->state == ST_ADDR)
            on_address(m);
        else if (m->state == ST_RM_COUNT)
            on_read_count(m);
        else
            on_erase_count(m);
        return;

    case ST_WM_COUNT:
        m->xsum = byte;
        m->got = 0;
        m->need = (uint32_t)byte + 2u; /* N + 1 data bytes and the checksum */
        m->state = ST_WM_DATA;
        return;

    case ST_WM_DATA:
        m->buf[m->got++] = byte;
        m->xsum ^= byte;
        if (m->got == m->need)
            on_write_data(m);
        return;

    case ST_EE_SPECIAL:
        m->xsum ^= byte;
        if (m->xsum != 0)
            finish(m, AN3155_NACK, 0);
        else if (m->addr == EE_MASS)
            do_mass_erase(m);
        else
            finish(m, AN3155_NACK, 0); /* bank erase: the F0 has a single bank */
        return;

    case ST_EE_PAGES: on_erase_page_byte(m, byte); return;

    case ST_LEFT:
    default: return;
    }
}
