/*
 * The machine: the bus table that places every device model in the address map, MMIO
 * dispatch through it, the scheduler that asks the devices (and the host link) for their
 * next event and services what is due, idle-polling detection, logging and run control.
 */
#include <stdarg.h>
#include <string.h>

#include "dev/dev.h"
#include "machine.h"
#include "regs/iwdg.h"
#include "watch.h"

/* The bus table: every device, in service order (the flash finishes an operation before
 * the line moves; SysTick last), with its place in the address map. A new peripheral is
 * one file in dev/ and one row here. */
static const struct dev_ops *const devices[] = {
    &dev_watch, &dev_flash,  &dev_rom,   &dev_usart1, &dev_iwdg,   &dev_nvic,
    &dev_rcc,   &dev_syscfg, &dev_gpio,  &dev_crc,    &dev_dbgmcu, &dev_dma1,
    &dev_tim6,  &dev_tim14,  &dev_tim16, &dev_tim17,
};
#define NDEV (sizeof devices / sizeof devices[0])

/* The MMIO windows Unicorn maps (4 KB-aligned); accesses in them go through the table. */
static const uint32_t windows[][2] = {
    {0x40000000u, 0x30000u}, /* APB and AHB peripherals */
    {0x48000000u, 0x2000u},  /* GPIO ports (AHB2) */
    {0xE000E000u, 0x1000u},  /* System Control Space */
};

static const char *const stop_names[] = {"none",          "time",      "uart",     "resets",
                                         "break",         "hardfault", "lockup",   "power-cut",
                                         "sleep-forever", "signal",    "host-eof", "error"};

const char *stop_reason_name(enum stop_reason r)
{
    return (unsigned)r < sizeof stop_names / sizeof stop_names[0] ? stop_names[r] : "?";
}

void chip_logf(struct chip *c, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->log)
        c->log(c, msg);
}

void chip_stop(struct chip *c, enum stop_reason r, const char *fmt, ...)
{
    if (c->stop != STOP_NONE)
        return;
    c->stop = r;
    uint32_t pc = 0;
    uc_reg_read(c->uc, UC_ARM_REG_PC, &pc);
    c->stop_pc = pc;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->stop_detail, sizeof c->stop_detail, fmt, ap);
    va_end(ap);
    uc_emu_stop(c->uc);
}

uint64_t chip_rand(struct chip *c)
{
    /* splitmix64: deterministic for a given --seed */
    uint64_t z = (c->rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

int chip_line_noise(struct chip *c, uint8_t *b)
{
    /* a uniform draw in [0, 1) from the top 53 bits */
    if (c->o.noise_rate <= 0.0 ||
        (double)(chip_rand(c) >> 11) * (1.0 / 9007199254740992.0) >= c->o.noise_rate)
        return 0;
    if (chip_rand(c) & 1u) {
        c->st.noise_drops++;
        return -1;
    }
    *b ^= (uint8_t)(1u << (chip_rand(c) & 7u));
    c->st.noise_flips++;
    return 1;
}

void chip_unmodelled(struct chip *c, uint32_t addr, int write, uint32_t val)
{
    c->st.unmodelled++;
    for (int i = 0; i < c->nseen; i++)
        if (c->seen[i] == addr)
            return;
    if (c->nseen < (int)(sizeof c->seen / sizeof c->seen[0]))
        c->seen[c->nseen++] = addr;
    watch_on_unmodelled(c, addr, write);
    uint32_t pc = 0;
    uc_reg_read(c->uc, UC_ARM_REG_PC, &pc);
    if (write)
        chip_logf(c, "unmodelled register write 0x%08x <- 0x%08x (PC 0x%08x); ignored, logged once",
                  addr, val, pc);
    else
        chip_logf(c, "unmodelled register read 0x%08x (PC 0x%08x); reads 0, logged once", addr, pc);
    if (c->o.trace_unmodelled_stop)
        chip_stop(c, STOP_ERROR, "unmodelled register access 0x%08x (--strict)", addr);
}


/* ---- the bus --------------------------------------------------------------------------- */

static uint32_t mask_size(unsigned size)
{
    return size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1u;
}

static const struct dev_ops *bus_find(struct chip *c, uint32_t addr)
{
    const struct dev_ops *d = c->bus_last; /* polling loops hit one device in a row */
    if (d && addr - d->base < d->size)
        return d;
    for (size_t i = 0; i < NDEV; i++)
        if (devices[i]->size && addr - devices[i]->base < devices[i]->size)
            return c->bus_last = devices[i];
    return NULL;
}

static uint64_t bus_read(uc_engine *uc, uint64_t off64, unsigned size, void *ud)
{
    const struct bus_window *w = ud;
    struct chip *c = w->c;
    uint32_t addr = w->base + (uint32_t)off64;
    const struct dev_ops *d = bus_find(c, addr);
    (void)uc;
    if (d && d->clocked && !d->clocked(c, addr - d->base)) {
        chip_logf(c, "read of 0x%08x (%s) with its peripheral clock off in RCC: reads 0", addr,
                  d->name);
        return 0;
    }
    uint64_t v = d ? d->read(c, (addr - d->base) & ~3u) : DEV_NONE;
    if (v == DEV_NONE) {
        chip_unmodelled(c, addr, 0, 0);
        return 0;
    }
    uint32_t r = ((uint32_t)v >> (8u * (addr & 3u))) & mask_size(size);
    if (!d->is_counter || !d->is_counter(addr - d->base))
        chip_read_note(c, addr, r);
    return r;
}

static void bus_write(uc_engine *uc, uint64_t off64, unsigned size, uint64_t val, void *ud)
{
    const struct bus_window *w = ud;
    struct chip *c = w->c;
    uint32_t addr = w->base + (uint32_t)off64;
    const struct dev_ops *d = bus_find(c, addr);
    uint32_t v = (uint32_t)val & mask_size(size);
    (void)uc;
    if (d && d->clocked && !d->clocked(c, addr - d->base)) {
        chip_logf(c, "write 0x%08x <- 0x%x (%s) with its peripheral clock off in RCC: ignored",
                  addr, v, d->name);
        return;
    }
    if (size < 4 && !(d && d->narrow_raw))
        v <<= 8u * (addr & 3u);
    chip_write_note(c, addr, v);
    if (d)
        d->write(c, addr - d->base, v, size);
    else
        chip_unmodelled(c, addr, 1, v);
}

uc_err bus_map(struct chip *c)
{
    for (size_t i = 0; i < sizeof windows / sizeof windows[0]; i++) {
        c->bus_win[i].c = c;
        c->bus_win[i].base = windows[i][0];
        uc_err e = uc_mmio_map(c->uc, windows[i][0], windows[i][1], bus_read, &c->bus_win[i],
                               bus_write, &c->bus_win[i]);
        if (e != UC_ERR_OK)
            return e;
    }
    return UC_ERR_OK;
}

void devices_reset(struct chip *c)
{
    for (size_t i = 0; i < NDEV; i++)
        if (devices[i]->reset)
            devices[i]->reset(c);
}

void devices_levels(struct chip *c)
{
    for (size_t i = 0; i < NDEV; i++)
        if (devices[i]->levels)
            devices[i]->levels(c);
}

/* ---- the host side --------------------------------------------------------------------- */

void chip_uart_out(struct chip *c, uint8_t b)
{
    if (chip_line_noise(c, &b) < 0)
        return;
    if (c->link)
        c->link->tx(c->link->ctx, b, c->now);
}

struct ring *chip_host_input(struct chip *c)
{
    return c->link ? c->link->input(c->link->ctx) : NULL;
}

/* ---- time ------------------------------------------------------------------------------ */

/* The earliest of t and every event but the host I/O slice. */
static uint64_t next_event_but_poll(struct chip *c, uint64_t t)
{
    for (size_t i = 0; i < NDEV; i++)
        if (devices[i]->next_event) {
            uint64_t d = devices[i]->next_event(c);
            if (d < t)
                t = d;
        }
    if (c->link) {
        uint64_t h = c->link->next_event(c->link->ctx);
        if (h < t)
            t = h;
    }
    if (c->o.until_ps && c->o.until_ps < t)
        t = c->o.until_ps;
    if (c->o.power_cut_ps && !c->power_cut_done && c->o.power_cut_ps < t)
        t = c->o.power_cut_ps;
    return t;
}

void chip_reschedule(struct chip *c) { c->next_event = next_event_but_poll(c, c->next_poll); }

void chip_set_hclk(struct chip *c, uint32_t hz)
{
    if (hz == c->hclk)
        return;
    uint32_t cur = systick_current(c);
    c->hclk = hz;
    c->ps_per_cycle = (uint32_t)((1000000000000ull + hz / 2) / hz);
    systick_rebase(c, cur);
    chip_reschedule(c);
}

/* One pass over what is due at c->now; 1 when the chip stopped. */
static int service_pass(struct chip *c)
{
    if (c->o.power_cut_ps && !c->power_cut_done && c->now >= c->o.power_cut_ps) {
        if (flash_power_cut(c))
            return 1;
        c->power_cut_done = 1;
        c->now = c->o.power_cut_ps; /* a block or a stall may have run past it */
        chip_stop(c, STOP_POWER_CUT, "power cut at %.3f ms", (double)c->now / PS_PER_MS);
        return 1;
    }
    for (size_t i = 0; i < NDEV && c->stop == STOP_NONE; i++)
        if (devices[i]->service)
            devices[i]->service(c);
    if (c->link && c->now >= c->link->next_event(c->link->ctx))
        c->link->service(c->link->ctx, c->now);
    if (c->now >= c->next_poll) {
        if (c->link)
            c->link->poll(c->link->ctx, c);
        c->next_poll = c->now + c->poll_step;
    }
    if (c->o.until_ps && c->now >= c->o.until_ps) {
        chip_stop(c, STOP_TIME, "time limit %.3f ms reached", (double)c->o.until_ps / PS_PER_MS);
        return 1;
    }
    chip_reschedule(c);
    return 0;
}

void chip_service(struct chip *c)
{
    for (int guard = 0; guard < 64 && c->now >= c->next_event && c->stop == STOP_NONE; guard++)
        if (service_pass(c))
            return;
}

/* ---- idle polling ---------------------------------------------------------------------- */

#define IDLE_POLLS 8u /* identical polls before time may skip */

void chip_idle_reset(struct chip *c)
{
    c->idle_n = 0;
    c->idle_reads = 0;
}

void chip_read_note(struct chip *c, uint32_t addr, uint32_t v)
{
    for (int i = 0; i < c->idle_n; i++) {
        if (c->idle_addr[i] == addr) {
            if (c->idle_val[i] != v) {
                chip_idle_reset(c);
                return;
            }
            if (++c->idle_reads >= (int)IDLE_POLLS && !c->o.no_idle_skip)
                c->idle_skip = 1;
            return;
        }
    }
    if (c->idle_n == 4) {
        chip_idle_reset(c);
        return;
    }
    c->idle_addr[c->idle_n] = addr;
    c->idle_val[c->idle_n++] = v;
}

void chip_write_note(struct chip *c, uint32_t addr, uint32_t v)
{
    /* an IWDG reload changes nothing the loop could be waiting for */
    if (addr == IWDG_BASE_R + IWDG_KR_OFF && (v & 0xFFFFu) == IWDG_KR_RELOAD)
        return;
    chip_idle_reset(c);
}

/* The CPU has polled the same registers with the same results IDLE_POLLS times: nothing
 * it can see changes before the next event, so time moves there at once (at most
 * c->idle_max_ps; paced to the wall clock in realtime mode, where host input ends the wait). */
void chip_idle_skip(struct chip *c)
{
    c->idle_skip = 0;
    chip_idle_reset(c);
    uint64_t t = next_event_but_poll(c, c->now + c->idle_max_ps);
    if (t <= c->now)
        return;
    if (c->link)
        t = c->link->idle(c->link->ctx, c, t);
    if (t <= c->now)
        return;
    c->st.cycles += (t - c->now) / c->ps_per_cycle;
    c->idle_skipped_ps += t - c->now;
    c->now = t;
    chip_reschedule(c);
    chip_service(c);
}
