/*
 * The observer (watch.h): events from small hooks in the CPU glue (exc.c, cpu.c) and the
 * devices (syscfg, nvic, flash), two Unicorn hooks of its own (stores into the watched SRAM
 * ranges, the first execution of the watched addresses), and a device row in the bus table
 * (dev_watch: no registers; it samples PRIMASK against pending exceptions every millisecond
 * and offers the --watch-uart byte). Nothing here runs without --watch.
 */
#include "watch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev/dev.h"
#include "json.h"
#include "machine.h"
#include "regs/rcc.h"

#define MAX_EVENTS 4000u     /* lines written at most; the rest are counted */
#define SAMPLE_PS  PS_PER_MS /* PRIMASK sampling period */

enum { MAP_FLASH, MAP_SYSMEM, MAP_SRAM, MAP_N };
static const char *const map_names[MAP_N] = {"flash", "sysmem", "sram"};

struct watch {
    struct watch_opts o;
    FILE *f;
    int write_error;
    uint64_t events, dropped;
    uint8_t pc_hit[WATCH_MAX_PCS];
    uint64_t start_ps; /* first --watch-pc reached; T_NEVER before */
    uint64_t uart_at;  /* when the byte is offered; T_NEVER: not (yet) */
    int uart_done;
    uint64_t next_sample, masked_since;
    int masked_said, wfi_said, held_said;
    uint64_t wfi_masked;
    uint64_t exc_n[EXC_COUNT][MAP_N];
};

static uint64_t t_us(const struct chip *c) { return c->now / PS_PER_US; }

static uint32_t cur_pc(struct chip *c)
{
    uint32_t pc = 0;
    uc_reg_read(c->uc, UC_ARM_REG_PC, &pc);
    return pc & ~1u;
}

static uint32_t primask(struct chip *c)
{
    uint32_t p = 0;
    uc_reg_read(c->uc, UC_ARM_REG_PRIMASK, &p);
    return p & 1u;
}

/* Start an event line; 0 when the cap is reached (the event is only counted). */
static int ev_begin(struct chip *c, struct json *j, const char *ev)
{
    struct watch *w = c->watch;
    if (w->events >= MAX_EVENTS) {
        w->dropped++;
        return 0;
    }
    w->events++;
    json_begin(j, w->f);
    json_str(j, "ev", ev);
    json_u64(j, "t_us", t_us(c));
    return 1;
}

static void ev_end(struct chip *c, struct json *j)
{
    json_end(j);
    if (ferror(c->watch->f))
        c->watch->write_error = 1;
}

/* ---- options --------------------------------------------------------------------------- */

void watch_opts_init(struct watch_opts *w)
{
    memset(w, 0, sizeof *w);
    w->uart_byte = -1;
    w->masked_ms = 10;
}

static int parse_u32(const char *s, uint32_t *v)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 0);
    if (errno || end == s || *end || x > 0xFFFFFFFFull || *s == '-')
        return -1;
    *v = (uint32_t)x;
    return 0;
}

static int opt_range(struct watch_opts *w, const char *a, char *err, size_t n)
{
    char lo[32];
    const char *dash = strchr(a, '-');
    uint32_t l, h;
    if (!dash || (size_t)(dash - a) >= sizeof lo || w->nrange == WATCH_MAX_RANGES) {
        snprintf(err, n, "--watch-write %s: expected LO-HI (inclusive addresses, at most %d)", a,
                 WATCH_MAX_RANGES);
        return -1;
    }
    memcpy(lo, a, (size_t)(dash - a));
    lo[dash - a] = 0;
    if (parse_u32(lo, &l) || parse_u32(dash + 1, &h) || h < l) {
        snprintf(err, n, "--watch-write %s: expected LO-HI with LO <= HI", a);
        return -1;
    }
    w->lo[w->nrange] = l;
    w->hi[w->nrange++] = h;
    return 0;
}

static int opt_uart(struct watch_opts *w, const char *a, char *err, size_t n)
{
    char b[32];
    const char *at = strchr(a, '@');
    uint32_t byte, ms;
    if (!at || (size_t)(at - a) >= sizeof b)
        goto bad;
    memcpy(b, a, (size_t)(at - a));
    b[at - a] = 0;
    if (parse_u32(b, &byte) || byte > 255u || parse_u32(at + 1, &ms))
        goto bad;
    w->uart_byte = (int)byte;
    w->uart_after_ms = ms;
    return 0;
bad:
    snprintf(err, n,
             "--watch-uart %s: expected BYTE@MS (a byte 0-255, ms after the first "
             "--watch-pc is reached)",
             a);
    return -1;
}

int watch_option(struct watch_opts *w, const char *name, const char *arg, char *err, size_t errlen)
{
    uint32_t v;
    if (strcmp(name, "watch") == 0) {
        w->path = arg;
    } else if (strcmp(name, "watch-pc") == 0) {
        if (parse_u32(arg, &v) || w->npc == WATCH_MAX_PCS) {
            snprintf(err, errlen, "--watch-pc %s: expected an address (at most %d)", arg,
                     WATCH_MAX_PCS);
            return -1;
        }
        w->pcs[w->npc++] = v & ~1u;
    } else if (strcmp(name, "watch-write") == 0) {
        return opt_range(w, arg, err, errlen);
    } else if (strcmp(name, "watch-uart") == 0) {
        return opt_uart(w, arg, err, errlen);
    } else if (strcmp(name, "watch-masked-ms") == 0) {
        if (parse_u32(arg, &v) || v == 0 || v > 100000u) {
            snprintf(err, errlen, "--watch-masked-ms %s: expected 1-100000", arg);
            return -1;
        }
        w->masked_ms = v;
    } else if (strcmp(name, "watch-hold-boot-vectors") == 0) {
        w->hold_boot_vectors = 1;
    } else {
        return 1;
    }
    return 0;
}

/* ---- Unicorn hooks of the observer ----------------------------------------------------- */

static void hook_pc(uc_engine *uc, uint64_t addr, uint32_t size, void *ud)
{
    struct chip *c = ud;
    struct watch *w = c->watch;
    (void)uc;
    (void)size;
    for (int i = 0; i < w->o.npc; i++) {
        if (w->o.pcs[i] != (uint32_t)addr || w->pc_hit[i])
            continue;
        w->pc_hit[i] = 1;
        if (i == 0) {
            w->start_ps = c->now;
            if (w->o.uart_byte >= 0 && !w->uart_done) {
                w->uart_at = c->now + (uint64_t)w->o.uart_after_ms * PS_PER_MS;
                chip_reschedule(c);
            }
        }
        struct json j;
        if (ev_begin(c, &j, "pc")) {
            json_hex32(&j, "addr", (uint32_t)addr);
            json_u64(&j, "index", (uint64_t)i);
            ev_end(c, &j);
        }
    }
}

static void hook_store(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value,
                       void *ud)
{
    struct chip *c = ud;
    struct watch *w = c->watch;
    uint32_t a = (uint32_t)addr;
    (void)uc;
    (void)type;
    if (a < SRAM_BASE) {
        if (c->alias_mode != 3)
            return; /* address 0 is not SRAM: a flash store, the flash model's */
        a += SRAM_BASE;
    }
    for (int i = 0; i < w->o.nrange; i++) {
        if (a + (uint32_t)size - 1u < w->o.lo[i] || a > w->o.hi[i])
            continue;
        struct json j;
        if (ev_begin(c, &j, "write")) {
            json_hex32(&j, "pc", cur_pc(c));
            json_hex32(&j, "addr", a);
            json_u64(&j, "size", (uint64_t)size);
            json_hex32(&j, "value", (uint32_t)value);
            ev_end(c, &j);
        }
        return;
    }
}

void watch_dma_write(struct chip *c, uint32_t addr, uint8_t byte)
{
    struct watch *w = c->watch;
    for (int i = 0; i < w->o.nrange; i++) {
        if (addr < w->o.lo[i] || addr > w->o.hi[i])
            continue;
        struct json j;
        if (ev_begin(c, &j, "write")) {
            json_hex32(&j, "pc", 0);
            json_hex32(&j, "addr", addr);
            json_u64(&j, "size", 1);
            json_hex32(&j, "value", byte);
            json_bool(&j, "dma", 1);
            ev_end(c, &j);
        }
        return;
    }
}

static int install_hooks(struct chip *c, char *err, size_t n)
{
    struct watch *w = c->watch;
    uc_hook h;
    uc_err e = UC_ERR_OK;
    for (int i = 0; i < w->o.npc && e == UC_ERR_OK; i++)
        e = uc_hook_add(c->uc, &h, UC_HOOK_CODE, (void *)hook_pc, c, w->o.pcs[i], w->o.pcs[i]);
    for (int i = 0; i < w->o.nrange && e == UC_ERR_OK; i++) {
        uint32_t lo = w->o.lo[i], hi = w->o.hi[i];
        if (lo < SRAM_BASE || lo >= SRAM_BASE + c->sram_map)
            continue; /* flash ranges: the flash model reports its operations */
        e = uc_hook_add(c->uc, &h, UC_HOOK_MEM_WRITE, (void *)hook_store, c, lo, hi);
        /* the same bytes through the address-0 alias, while MEM_MODE maps SRAM there */
        if (e == UC_ERR_OK)
            e = uc_hook_add(c->uc, &h, UC_HOOK_MEM_WRITE, (void *)hook_store, c, lo - SRAM_BASE,
                            hi - SRAM_BASE);
    }
    if (e != UC_ERR_OK) {
        snprintf(err, n, "--watch: Unicorn refused a hook: %s", uc_strerror(e));
        return -1;
    }
    return 0;
}

int watch_open(struct chip *c, const struct watch_opts *o, char *err, size_t errlen)
{
    struct watch *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errlen, "--watch: out of memory");
        return -1;
    }
    w->o = *o;
    w->start_ps = w->uart_at = w->masked_since = T_NEVER;
    w->next_sample = c->now + SAMPLE_PS;
    if (!(w->f = fopen(o->path, "w"))) {
        snprintf(err, errlen, "--watch %s: cannot create it: %s", o->path, strerror(errno));
        free(w);
        return -1;
    }
    c->watch = w;
    if (install_hooks(c, err, errlen) != 0) {
        fclose(w->f);
        free(w);
        c->watch = NULL;
        return -1;
    }
    chip_reschedule(c);
    return 0;
}

static void counts(struct json *j, const char *key, const struct watch *w, int sram)
{
    json_obj(j, key);
    for (int e = 0; e < EXC_COUNT; e++) {
        uint64_t n = sram ? w->exc_n[e][MAP_SRAM]
                          : w->exc_n[e][MAP_FLASH] + w->exc_n[e][MAP_SYSMEM];
        char k[8];
        snprintf(k, sizeof k, "%d", e);
        if (n)
            json_u64(j, k, n);
    }
    json_close(j);
}

int watch_close(struct chip *c)
{
    struct watch *w = c->watch;
    if (!w)
        return 0;
    struct json j;
    w->events = 0; /* the end event is always written */
    ev_begin(c, &j, "end");
    json_str(&j, "stop", stop_reason_name(c->stop));
    json_str(&j, "detail", c->stop_detail);
    json_hex32(&j, "stop_pc", c->stop_pc);
    counts(&j, "exceptions", w, 1);
    counts(&j, "exceptions_boot_table", w, 0);
    json_u64(&j, "wfi_masked", w->wfi_masked);
    json_u64(&j, "dropped", w->dropped);
    ev_end(c, &j);
    int bad = w->write_error || fclose(w->f) != 0;
    free(w);
    c->watch = NULL;
    return bad ? -1 : 0;
}

/* ---- hooks called by the CPU glue and the devices -------------------------------------- */

void watch_reset(struct chip *c)
{
    struct watch *w = c->watch;
    w->masked_since = T_NEVER;
    w->masked_said = 0;
    struct json j;
    if (ev_begin(c, &j, "reset")) {
        json_u64(&j, "n", c->st.resets);
        json_bool(&j, "sftrst", (c->reset_flags & RCC_CSR_SFTRSTF) != 0);
        ev_end(c, &j);
    }
}

void watch_exception(struct chip *c, int exc, uint32_t vector)
{
    struct watch *w = c->watch;
    int map = c->alias_mode == 3 ? MAP_SRAM : c->alias_mode == 1 ? MAP_SYSMEM : MAP_FLASH;
    static const uint32_t base[MAP_N] = {FLASH_BASE, SYSMEM_BASE, SRAM_BASE};
    if (w->exc_n[exc][map]++ && map == MAP_SRAM)
        return; /* through the copy: the first one of each is enough */
    uint32_t ret = 0;
    uc_reg_read(c->uc, UC_ARM_REG_PC, &ret);
    struct json j;
    if (ev_begin(c, &j, "exception")) {
        json_u64(&j, "exc", (uint64_t)exc);
        json_hex32(&j, "vector_addr", (uint32_t)exc * 4u);
        json_str(&j, "map", map_names[map]);
        json_hex32(&j, "from", base[map] + (uint32_t)exc * 4u);
        json_hex32(&j, "vector", vector);
        json_hex32(&j, "pc", ret & ~1u);
        json_u64(&j, "primask", primask(c));
        ev_end(c, &j);
    }
}

void watch_fault(struct chip *c, uint32_t pc, const char *why, uint32_t addr, int lockup)
{
    struct json j;
    if (ev_begin(c, &j, "fault")) {
        json_hex32(&j, "pc", pc);
        json_str(&j, "why", why);
        json_hex32(&j, "addr", addr);
        json_bool(&j, "lockup", lockup);
        ev_end(c, &j);
    }
}

void watch_wfi(struct chip *c, uint32_t pc)
{
    struct watch *w = c->watch;
    if (!primask(c))
        return;
    if (w->wfi_masked++)
        return;
    struct json j;
    if (ev_begin(c, &j, "wfi")) {
        json_hex32(&j, "pc", pc & ~1u);
        json_u64(&j, "pending", (uint64_t)exc_pending(c));
        ev_end(c, &j);
    }
}

void watch_mem_mode(struct chip *c, uint32_t from, uint32_t to)
{
    if (from == to)
        return;
    struct json j;
    if (ev_begin(c, &j, "mem_mode")) {
        json_hex32(&j, "pc", cur_pc(c));
        json_u64(&j, "from", from);
        json_u64(&j, "to", to);
        ev_end(c, &j);
    }
}

void watch_int_enable(struct chip *c, int exc)
{
    struct json j;
    if (ev_begin(c, &j, "int_enable")) {
        json_hex32(&j, "pc", cur_pc(c));
        json_u64(&j, "exc", (uint64_t)exc);
        json_u64(&j, "primask", primask(c));
        ev_end(c, &j);
    }
}

void watch_iser(struct chip *c, uint32_t newly_set)
{
    for (int i = 0; i < 32; i++)
        if (newly_set & (1u << i))
            watch_int_enable(c, EXC_IRQ0 + i);
}

void watch_flash_op(struct chip *c, int kind, uint32_t off)
{
    struct watch *w = c->watch;
    uint32_t lo = FLASH_BASE + off, hi = lo + 1u;
    if (kind == 2) {
        hi = lo + c->o.part->page_size - 1u;
    } else if (kind == 3) {
        lo = FLASH_BASE;
        hi = FLASH_BASE + c->o.part->flash_size - 1u;
    }
    for (int i = 0; i < w->o.nrange; i++) {
        if (hi < w->o.lo[i] || lo > w->o.hi[i])
            continue;
        struct json j;
        if (ev_begin(c, &j, "flash_op")) {
            json_hex32(&j, "pc", cur_pc(c));
            json_str(&j, "op", kind == 1 ? "program" : kind == 2 ? "page_erase" : "mass_erase");
            json_hex32(&j, "addr", lo);
            ev_end(c, &j);
        }
        return;
    }
}

void watch_unmodelled(struct chip *c, uint32_t addr, int write)
{
    struct json j;
    if (ev_begin(c, &j, "unmodelled")) {
        json_hex32(&j, "pc", cur_pc(c));
        json_hex32(&j, "addr", addr);
        json_bool(&j, "write", write);
        ev_end(c, &j);
    }
}

int watch_hold(struct chip *c, int exc)
{
    struct watch *w = c->watch;
    if (!w->o.hold_boot_vectors || w->start_ps == T_NEVER || c->alias_mode != 0 ||
        exc <= EXC_HARDFAULT)
        return 0;
    if (!w->held_said) {
        w->held_said = 1;
        struct json j;
        if (ev_begin(c, &j, "held")) {
            json_u64(&j, "exc", (uint64_t)exc);
            ev_end(c, &j);
        }
    }
    return 1;
}

/* ---- the observer's row in the bus table: sampling and the offered byte ---------------- */

static void sample_masked(struct chip *c)
{
    struct watch *w = c->watch;
    int e = exc_pending(c);
    if (!e || exc_prio(c, e) < 0 || !primask(c)) {
        w->masked_since = T_NEVER;
        return;
    }
    if (w->masked_since == T_NEVER)
        w->masked_since = c->now;
    if (w->masked_said || c->now - w->masked_since < (uint64_t)w->o.masked_ms * PS_PER_MS)
        return;
    w->masked_said = 1;
    struct json j;
    if (ev_begin(c, &j, "masked")) {
        json_hex32(&j, "pc", cur_pc(c));
        json_u64(&j, "exc", (uint64_t)e);
        json_u64(&j, "since_us", w->masked_since / PS_PER_US);
        ev_end(c, &j);
    }
}

static void watch_service(struct chip *c)
{
    struct watch *w = c->watch;
    if (!w)
        return;
    if (c->now >= w->next_sample) {
        w->next_sample = c->now + SAMPLE_PS;
        sample_masked(c);
    }
    struct ring *in = chip_host_input(c);
    if (c->now >= w->uart_at && !w->uart_done && in && ring_space(in)) {
        w->uart_done = 1;
        w->uart_at = T_NEVER;
        if (!ring_count(in))
            c->line_avail = c->now;
        ring_put(in, (uint8_t)w->o.uart_byte);
        struct json j;
        if (ev_begin(c, &j, "uart_offer")) {
            json_u64(&j, "byte", (uint64_t)w->o.uart_byte);
            ev_end(c, &j);
        }
    }
}

static uint64_t watch_next_event(struct chip *c)
{
    const struct watch *w = c->watch;
    if (!w)
        return T_NEVER;
    return w->next_sample < w->uart_at ? w->next_sample : w->uart_at;
}

const struct dev_ops dev_watch = {
    .name = "watch",
    .next_event = watch_next_event,
    .service = watch_service,
};
