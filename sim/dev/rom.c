/*
 * --boot rom: the chip runs no firmware; the AN3155 model (an3155.c) answers on USART1.
 * This file connects it to the line (8E1 at --rom-baud: 11 bits per character, each way),
 * to the flash model (with its timing) and to virtual time. Go leaves the ROM: MSP and PC
 * are loaded from the vector table at the Go address and the CPU starts there, with main
 * flash mapped at 0 (a simplification, see docs/f0sim.md).
 */
#include "../machine.h"
#include "dev.h"
#include "regs/rcc.h"

#include <string.h>

static struct chip *ctx_chip(void *ctx) { return ctx; }

static uint64_t rom_char_ps(const struct chip *c)
{
    return 11ull * 1000000000000ull / c->o.rom_baud;
}

static void op_tx(void *ctx, const uint8_t *bytes, uint32_t n, uint64_t delay_ns)
{
    struct chip *c = ctx_chip(ctx);
    uint64_t t = c->now + delay_ns * 1000u;
    if (ring_count(&c->rom.out) == 0 && c->rom.tx_at < t)
        c->rom.tx_at = t;
    for (uint32_t i = 0; i < n && ring_space(&c->rom.out); i++)
        ring_put(&c->rom.out, bytes[i]);
    chip_reschedule(c);
}

static int64_t op_erase_page(void *ctx, uint32_t page)
{
    return flash_rom_erase_page(ctx_chip(ctx), page);
}
static int64_t op_mass_erase(void *ctx) { return flash_rom_mass_erase(ctx_chip(ctx)); }
static int64_t op_program(void *ctx, uint32_t addr, const uint8_t *d, uint32_t len)
{
    return flash_rom_program(ctx_chip(ctx), addr, d, len);
}

static int op_read(void *ctx, uint32_t addr, uint8_t *dst, uint32_t len)
{
    struct chip *c = ctx_chip(ctx);
    return uc_mem_read(c->uc, addr, dst, len) == UC_ERR_OK ? 0 : -1;
}

static void op_go(void *ctx, uint32_t addr)
{
    struct chip *c = ctx_chip(ctx);
    uint32_t v[2];
    if (uc_mem_read(c->uc, addr, v, 8) != UC_ERR_OK) {
        chip_logf(c, "ROM Go 0x%08x: no vector table readable there", addr);
        return;
    }
    chip_logf(c, "ROM bootloader: Go 0x%08x (MSP 0x%08x, PC 0x%08x)", addr, v[0], v[1]);
    c->rom.pending_go = 1;
    c->rom.go_addr = addr;
}

static int op_rdp_active(void *ctx) { return ctx_chip(ctx)->ob.level >= 1; }

/* Level 1 -> 0: the whole flash erased with the option bytes (dev/optbytes.c); the chip
 * resets once the second ACK has left (rom_service), and loads level 0 then. */
static int64_t op_unprotect(void *ctx)
{
    struct chip *c = ctx_chip(ctx);
    if (c->ob.level == 2)
        return -1; /* level 2 is for good */
    ob_regress(c);
    c->rom.pending_reset = 1;
    return (int64_t)(c->o.mass_erase_ps / 1000u);
}

static const struct an3155_ops rom_ops = {
    .tx = op_tx,
    .erase_page = op_erase_page,
    .mass_erase = op_mass_erase,
    .program = op_program,
    .read = op_read,
    .go = op_go,
    .rdp_active = op_rdp_active,
    .unprotect = op_unprotect,
};

void rom_start(struct chip *c)
{
    an3155_init(&c->rom.m, &rom_ops, c, c->o.part->chip_id);
    c->rom.m.map.flash_size = c->o.part->flash_size;
    c->rom.m.map.page_size = c->o.part->page_size;
    c->rom.m.map.sram_size = c->o.part->sram_size;
    c->rom.running = 1;
    c->rom.pending_go = 0;
    c->rom.pending_reset = 0;
    c->rom.busy = 0;
    c->rom.tx_at = c->now;
    c->rom.rx_free = c->now;
    c->rom.out.head = c->rom.out.tail = 0;
}

static uint64_t rom_next_event(struct chip *c)
{
    uint64_t t = T_NEVER;
    if (!c->rom.running)
        return t;
    if (ring_count(&c->rom.out))
        t = c->rom.tx_at + rom_char_ps(c);
    if (c->rom.busy && c->rom.rx_done < t)
        t = c->rom.rx_done;
    if (!c->rom.busy && chip_host_input(c) && ring_count(chip_host_input(c)) && c->now < t)
        t = c->now;
    if ((c->rom.pending_go || c->rom.pending_reset) && !ring_count(&c->rom.out))
        t = c->now; /* the Go ACK (or the unprotect's) has left: act now */
    return t;
}

static void rom_leave(struct chip *c)
{
    uint32_t v[2], addr = c->rom.go_addr;
    c->rom.pending_go = 0;
    c->rom.running = 0;
    uc_mem_read(c->uc, addr, v, 8);
    syscfg_mem_mode(c, 0);
    uint32_t msp = v[0] & ~3u, pc = v[1] & ~1u;
    uc_reg_write(c->uc, UC_ARM_REG_MSP, &msp);
    uc_reg_write(c->uc, UC_ARM_REG_SP, &msp);
    {
        uint32_t pct = pc | 1u; /* Unicorn takes bit 0 as the Thumb state */
        uc_reg_write(c->uc, UC_ARM_REG_PC, &pct);
    }
}

static void rom_service(struct chip *c)
{
    if (!c->rom.running)
        return;
    uint64_t ct = rom_char_ps(c);
    while (ring_count(&c->rom.out) && c->now >= c->rom.tx_at + ct) {
        c->rom.tx_at += ct;
        c->st.uart_tx++;
        chip_uart_out(c, ring_get(&c->rom.out));
    }
    struct ring *in = chip_host_input(c);
    for (;;) {
        if (c->rom.busy && c->now >= c->rom.rx_done) {
            c->rom.busy = 0;
            c->rom.rx_free = c->rom.rx_done;
            c->st.uart_rx++;
            an3155_rx(&c->rom.m, c->rom.rx_byte);
            if (c->stop != STOP_NONE)
                return;
        }
        if (c->rom.busy || !in || !ring_count(in) || c->rom.pending_go)
            break;
        c->rom.rx_byte = ring_get(in);
        if (chip_line_noise(c, &c->rom.rx_byte) < 0)
            continue; /* lost on the line */
        c->rom.busy = 1;
        c->rom.rx_done = (c->rom.rx_free > c->line_avail ? c->rom.rx_free : c->line_avail) + ct;
    }
    if (c->rom.pending_go && !ring_count(&c->rom.out))
        rom_leave(c); /* after the ACK of Go has left */
    if (c->rom.pending_reset && !ring_count(&c->rom.out)) {
        c->rom.pending_reset = 0;
        c->reset_req = 1; /* the option bytes load at this reset: level 0 */
        c->reset_flags = RCC_CSR_OBLRSTF;
        uc_emu_stop(c->uc);
    }
}

/* Not on the bus: the ROM model is a behaviour of the chip booted into system memory; it
 * takes part in the scheduler only. */
const struct dev_ops dev_rom = {
    .name = "ROM",
    .next_event = rom_next_event,
    .service = rom_service,
};
