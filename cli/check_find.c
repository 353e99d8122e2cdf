/*
 * From what the chip did to the article's pitfalls, each with its fix (check.h). The events
 * are those of f0sim's observer (sim/watch.h); "the start" is the first time the CPU reached
 * the application's reset handler, i.e. the bootloader's jump.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "f0boot/layout.h"

void chk_exc_name(int exc, char *buf, size_t n)
{
    static const char *const sys[16] = {
        "", "Reset", "NMI", "HardFault", "", "", "",       "",
        "", "",      "",    "SVC",       "", "", "PendSV", "SysTick",
    };
    static const char *const irq[32] = {
        [9] = "DMA1_Channel1",
        [10] = "DMA1_Channel2_3",
        [11] = "DMA1_Channel4_5",
        [13] = "TIM1_BRK_UP",
        [16] = "TIM3",
        [17] = "TIM6",
        [19] = "TIM14",
        [21] = "TIM16",
        [22] = "TIM17",
        [27] = "USART1",
        [28] = "USART2",
        [3] = "FLASH",
        [4] = "RCC",
    };
    if (exc < 16 && sys[exc][0])
        snprintf(buf, n, "%s", sys[exc]);
    else if (exc >= 16 && exc < 48 && irq[exc - 16])
        snprintf(buf, n, "%s (IRQ %d)", irq[exc - 16], exc - 16);
    else if (exc >= 16)
        snprintf(buf, n, "IRQ %d", exc - 16);
    else
        snprintf(buf, n, "exception %d", exc);
}

static struct chk_finding *add(struct chk_result *r, const char *id, enum chk_sev sev,
                               const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static struct chk_finding *add(struct chk_result *r, const char *id, enum chk_sev sev,
                               const char *fix, const char *fmt, ...)
{
    static struct chk_finding spare;
    struct chk_finding *f = r->n < CHK_MAX_FINDINGS ? &r->f[r->n++] : &spare;
    memset(f, 0, sizeof *f);
    f->id = id;
    f->sev = sev;
    snprintf(f->fix, sizeof f->fix, "%s", fix ? fix : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->what, sizeof f->what, fmt, ap);
    va_end(ap);
    if (sev == CHK_PITFALL)
        r->pitfalls++;
    else if (sev == CHK_SIM)
        r->sim_problems++;
    return f;
}

static void at(struct chk_finding *f, uint32_t pc)
{
    f->pc = pc;
    f->has_pc = 1;
}

/* pc of a register or memory access: the start of its code block */
static void near(struct chk_finding *f, uint32_t pc)
{
    at(f, pc);
    f->pc_block = 1;
}

/* The enable of exception exc after t_us, else the first enable of any after t_us. */
static const struct chk_ev *enable_of(const struct chk_events *ev, uint64_t t_us, int exc)
{
    const struct chk_ev *any = NULL;
    for (size_t i = 0; i < ev->n; i++) {
        const struct chk_ev *e = &ev->v[i];
        if (e->kind != CHK_EV_INT_ENABLE || e->t_us < t_us)
            continue;
        if (e->exc == exc)
            return e;
        if (!any)
            any = e;
    }
    return any;
}

static double ms(uint64_t us) { return (double)us / 1000.0; }

/* The first event of kind k after t_us (inclusive) that pred accepts (NULL: any). */
static const struct chk_ev *first(const struct chk_events *ev, enum chk_kind k, uint64_t t_us,
                                  int (*pred)(const struct chk_ctx *, const struct chk_ev *),
                                  const struct chk_ctx *ctx)
{
    for (size_t i = 0; i < ev->n; i++)
        if (ev->v[i].kind == k && ev->v[i].t_us >= t_us && (!pred || pred(ctx, &ev->v[i])))
            return &ev->v[i];
    return NULL;
}

static int is_app_pc(const struct chk_ctx *ctx, uint32_t pc)
{
    return !(pc >= ctx->boot_start && pc < ctx->boot_end);
}

static int to_sram(const struct chk_ctx *ctx, const struct chk_ev *e)
{
    (void)ctx;
    return e->mode_to == 3;
}

static int through_boot(const struct chk_ctx *ctx, const struct chk_ev *e)
{
    return e->exc > 3 && strcmp(e->map, "sram") != 0 && e->from >= ctx->boot_start &&
           e->from < ctx->boot_end;
}

/* ---- the start, the remap, main --------------------------------------------------------- */

static void start_and_main(const struct chk_ctx *ctx, const struct chk_events *ev,
                           struct chk_result *r)
{
    for (size_t i = 0; i < ev->n; i++) {
        const struct chk_ev *e = &ev->v[i];
        if (e->kind == CHK_EV_PC && e->index == 0 && !r->started) {
            r->started = 1;
            r->start_us = e->t_us;
        } else if (e->kind == CHK_EV_PC && e->index == 1 && !r->reached_main) {
            r->reached_main = 1;
            r->main_us = e->t_us;
        }
    }
    const struct chk_ev *m = r->started ? first(ev, CHK_EV_MEM_MODE, r->start_us, to_sram, ctx)
                                        : NULL;
    if (m) {
        r->remapped = 1;
        r->remap_us = m->t_us;
        r->remap_pc = m->pc;
    }
    for (int e = 14; e < CHK_EXC_MAX; e++) /* PendSV, SysTick, the IRQs */
        r->irqs += ev->end.exc_sram[e];
}

static void not_started(const struct chk_ctx *ctx, const struct chk_events *ev,
                        struct chk_result *r)
{
    const struct chk_ev *f = first(ev, CHK_EV_FAULT, 0, NULL, ctx);
    struct chk_finding *x =
        add(r, "not-started", CHK_PITFALL,
            "check the image with `f0boot info` (a container) or `f0boot pack` (its lint); "
            "the bootloader starts an image whose header, commit word and first two vectors "
            "hold, and waits its boot window (50 ms) for a host first",
            "the bootloader did not start the application (its reset handler 0x%08x was never "
            "reached) in %u ms; the run ended with %s: %s%s%s",
            ctx->reset_pc, ctx->ms, ev->end.stop, ev->end.detail, f ? "; fault: " : "",
            f ? f->why : "");
    at(x, ev->end.stop_pc);
}

/* ---- an interrupt through the bootloader's table ---------------------------------------- */

/* What followed an interrupt through the bootloader's table: "; then ..." or "". */
static void then_text(const struct chk_ctx *ctx, const struct chk_events *ev,
                      const struct chk_ev *x, char *then, size_t n)
{
    const struct chk_ev *fault = first(ev, CHK_EV_FAULT, x->t_us, NULL, ctx);
    then[0] = 0;
    if (fault && fault->pc == (x->vector & ~1u))
        snprintf(then, n, "; the CPU then ran at that value, 0x%08x, and faulted (%s)", fault->pc,
                 fault->why);
    else if (fault)
        snprintf(then, n, "; then %s at PC 0x%08x: %s", fault->lockup ? "lockup" : "HardFault",
                 fault->pc, fault->why);
}

/* The interrupt came through the bootloader's table after a remap: MEM_MODE was set back. */
static void boot_table_back(const struct chk_events *ev, const struct chk_ev *x,
                            struct chk_result *r, const char *name, const char *then)
{
    struct chk_finding *f;
    /* remapped, then address 0 was switched back to flash before the interrupt */
    const struct chk_ev *back = NULL;
    for (size_t i = 0; i < ev->n && ev->v[i].t_us <= x->t_us; i++)
        if (ev->v[i].kind == CHK_EV_MEM_MODE && ev->v[i].mode_to != 3)
            back = &ev->v[i];
    f = add(r, "boot-table-mem-mode", CHK_PITFALL,
            "leave SYSCFG_CFGR1.MEM_MODE at 11 (SRAM) once the vector table is copied: "
            "write CFGR1 with a read-modify-write that keeps MEM_MODE",
            "%s was taken at %.3f ms through address 0 while it mapped the bootloader's "
            "flash again: the application had remapped at %.3f ms, then SYSCFG MEM_MODE was "
            "set to %d%s%s",
            name, ms(x->t_us), ms(r->remap_us), back ? back->mode_to : 0,
            back ? " by the code block at the PC below" : "", then);
    if (back)
        near(f, back->pc);
}

static void boot_table(const struct chk_ctx *ctx, const struct chk_events *ev, struct chk_result *r)
{
    const struct chk_ev *x = first(ev, CHK_EV_EXCEPTION, r->start_us, through_boot, ctx);
    if (!x)
        return;
    char name[40];
    chk_exc_name(x->exc, name, sizeof name);
    char then[240];
    then_text(ctx, ev, x, then, sizeof then);
    const struct chk_ev *en = enable_of(ev, r->start_us, x->exc);
    struct chk_finding *f;
    if (r->remapped && r->remap_us > x->t_us) {
        f = add(r, "boot-table-late-remap", CHK_PITFALL,
                "call f0boot_app_remap() (or your vector copy and SYSCFG MEM_MODE = 11) first "
                "thing in SystemInit()/Reset_Handler, before anything enables SysTick or an NVIC "
                "interrupt (HAL_Init, an RTOS scheduler start)",
                "%s was taken at %.3f ms through address 0 while it still mapped the "
                "bootloader's flash: the core read its vector at 0x%08x (the bootloader's, "
                "0x%08x) instead of the application's copy at 0x%08x; the remap came later, at "
                "%.3f ms, after the interrupt had been enabled%s%s",
                name, ms(x->t_us), x->from, x->vector, F0B_SRAM_BASE + (uint32_t)x->exc * 4u,
                ms(r->remap_us), en ? " (the enable: below)" : "", then);
        near(f, en ? en->pc : r->remap_pc);
    } else if (r->remapped) {
        boot_table_back(ev, x, r, name, then);
    } else {
        f = add(r, "boot-table-no-remap", CHK_PITFALL,
                "copy the vector table to 0x20000000 and set SYSCFG_CFGR1.MEM_MODE = 11 before "
                "any interrupt is enabled: f0boot_app_remap() from target/f0boot_app/ at the top "
                "of SystemInit() (docs/porting.md)",
                "%s was taken at %.3f ms through address 0 while it mapped the bootloader's "
                "flash: the core read its vector at 0x%08x (the bootloader's, 0x%08x) instead "
                "of the application's copy at 0x%08x; the application never set "
                "SYSCFG MEM_MODE to SRAM before it%s",
                name, ms(x->t_us), x->from, x->vector, F0B_SRAM_BASE + (uint32_t)x->exc * 4u, then);
        if (en)
            near(f, en->pc);
        r->need_hold_run = 1;
        r->boot_table_idx = r->n - 1;
    }
}

void chk_find_hold(const struct chk_ctx *ctx, const struct chk_events *hold, struct chk_result *r)
{
    if (!r->need_hold_run || r->boot_table_idx >= r->n)
        return;
    struct chk_finding *f = &r->f[r->boot_table_idx];
    const struct chk_ev *s = first(hold, CHK_EV_PC, 0, NULL, ctx);
    const struct chk_ev *m = s ? first(hold, CHK_EV_MEM_MODE, s->t_us, to_sram, ctx) : NULL;
    if (!m) {
        /* "... before it (nor later: ...); then ..." */
        char *p = strstr(f->what, " before it");
        char rest[400];
        if (!p)
            return;
        p += strlen(" before it");
        snprintf(rest, sizeof rest, "%s", p);
        snprintf(p, sizeof f->what - (size_t)(p - f->what),
                 ", nor later (a second run holding that interrupt back saw no remap in %u ms)%s",
                 ctx->ms, rest);
        return;
    }
    f->id = "boot-table-late-remap";
    snprintf(f->fix, sizeof f->fix,
             "move the remap (f0boot_app_remap(), or the vector copy "
             "and SYSCFG MEM_MODE = 11) to the top of SystemInit()/Reset_Handler, before "
             "anything enables SysTick or an NVIC interrupt (HAL_Init, an RTOS scheduler start)");
    char *p = strstr(f->what, "; the application never set");
    char rest[240] = "";
    const char *then = p ? strstr(p, "; then ") : NULL;
    if (then)
        snprintf(rest, sizeof rest, "%s", then);
    if (p)
        *p = 0;
    size_t k = strlen(f->what);
    snprintf(f->what + k, sizeof f->what - k,
             "; the application remaps only later (at PC "
             "0x%08x, seen in a second run that held the interrupt back), after it had "
             "enabled the interrupt%s",
             m->pc, rest);
}

/* ---- PRIMASK left set --------------------------------------------------------------------- */

static void masked(const struct chk_ctx *ctx, const struct chk_events *ev, struct chk_result *r)
{
    const struct chk_ev *m = first(ev, CHK_EV_MASKED, r->start_us, NULL, ctx);
    if (!m)
        return;
    const struct chk_ev *w = first(ev, CHK_EV_WFI, r->start_us, NULL, ctx);
    char name[40], wfi[120] = "";
    chk_exc_name(m->exc, name, sizeof name);
    if (w)
        snprintf(wfi, sizeof wfi, "; it waits in WFI at PC 0x%08x with PRIMASK set", w->pc);
    struct chk_finding *f;
    if (!r->irqs) {
        f = add(r, "irq-never-enabled", CHK_PITFALL,
                "call __enable_irq() (cpsie i) after the remap, e.g. first in main() before "
                "HAL_Init(): the bootloader jumps with PRIMASK = 1, unlike a reset",
                "interrupts were never enabled after the jump: %s has been pending since "
                "%.3f ms with PRIMASK set (the bootloader starts the application with interrupts "
                "masked) and no interrupt was taken%s",
                name, ms(m->since_us), wfi);
    } else {
        f = add(r, "irq-masked", CHK_PITFALL,
                "keep critical sections (cpsid i ... cpsie i) short, and re-enable with the "
                "saved PRIMASK",
                "%s was pending for more than 10 ms with PRIMASK set (since %.3f ms)%s", name,
                ms(m->since_us), wfi);
    }
    at(f, w ? w->pc : m->pc);
}

/* ---- writes into the vector area and the boot record ------------------------------------- */

/* The write is the vector copy (the same bytes as the table in flash) or the update
 * request (magic, then its complement). */
static int benign_vt_write(const struct chk_ctx *ctx, const struct chk_ev *e)
{
    uint32_t off = e->addr - ctx->vt_start;
    uint32_t mask = e->size >= 4 ? 0xFFFFFFFFu : (1u << (8 * e->size)) - 1u;
    if (ctx->app_start + off + (uint32_t)e->size <= ctx->app_end) {
        uint32_t w = 0;
        memcpy(&w, ctx->app + off, (size_t)e->size);
        if ((w & mask) == (e->value & mask))
            return 1;
    }
    return (e->addr == F0B_REQ_ADDR && e->value == F0B_REQ_UPDATE_MAGIC) ||
           (e->addr == F0B_REQ_ADDR + 4u && e->value == ~F0B_REQ_UPDATE_MAGIC);
}

/* The payload's word at off (the vector table's, for off < 192), 0xFFFFFFFF past its end. */
static uint32_t app_word(const struct chk_ctx *ctx, uint32_t off)
{
    uint32_t w = 0xFFFFFFFFu;
    if (ctx->app_start + off + 4u <= ctx->app_end)
        memcpy(&w, ctx->app + off, 4);
    return w;
}

static int bad_vt_write(const struct chk_ctx *ctx, const struct chk_ev *e)
{
    return is_app_pc(ctx, e->pc) && e->addr >= ctx->vt_start && e->addr < ctx->vt_end &&
           !benign_vt_write(ctx, e);
}

static int app_flash_op(const struct chk_ctx *ctx, const struct chk_ev *e)
{
    return is_app_pc(ctx, e->pc);
}

static void writes(const struct chk_ctx *ctx, const struct chk_events *ev, struct chk_result *r)
{
    const struct chk_ev *w = first(ev, CHK_EV_WRITE, r->start_us, bad_vt_write, ctx);
    if (w) {
        size_t n = 0;
        for (size_t i = 0; i < ev->n; i++)
            n += ev->v[i].kind == CHK_EV_WRITE && ev->v[i].t_us >= r->start_us &&
                 bad_vt_write(ctx, &ev->v[i]);
        uint32_t word = (w->addr - ctx->vt_start) / 4u;
        char name[40];
        chk_exc_name((int)word, name, sizeof name);
        struct chk_finding *f = add(
            r, "vector-area-write", CHK_PITFALL,
            "keep 0x20000000-0x200000BF out of the application's RAM (RAM ORIGIN = "
            "0x200000C0, LENGTH = SRAM - 192) and find the pointer that writes there; only "
            "the vector copy and the update request (f0boot_app_request_update()) belong there",
            "%zu write%s into the reserved vector area 0x%08x-0x%08x that %s neither the vector "
            "copy nor the update request; the first at %.3f ms: %d byte%s 0x%08x to 0x%08x%s "
            "(the copy's vector of %s, which should hold 0x%08x)",
            n, n == 1 ? "" : "s", ctx->vt_start, ctx->vt_end - 1u, n == 1 ? "is" : "are",
            ms(w->t_us), w->size, w->size == 1 ? "" : "s", w->value, w->addr,
            w->dma ? " by DMA1 (its CMAR points there)" : "", name,
            app_word(ctx, w->addr - ctx->vt_start));
        if (!w->dma)
            near(f, w->pc);
    }
    const struct chk_ev *o = first(ev, CHK_EV_FLASH_OP, r->start_us, app_flash_op, ctx);
    if (o) {
        int rec = o->addr >= ctx->rec_start && o->addr < ctx->rec_end;
        struct chk_finding *f =
            add(r, rec ? "record-write" : "bootloader-write", CHK_PITFALL,
                rec ? "leave the last flash page to the bootloader: end the application's FLASH "
                      "region (and any EEPROM emulation) below it"
                    : "never erase or program the first 4 KB: that is the bootloader",
                "the application started a flash %s at 0x%08x at %.3f ms, in %s", o->op, o->addr,
                ms(o->t_us),
                rec ? "the boot record page (the bootloader's header and commit word "
                      "of the installed image)"
                    : "the bootloader's flash");
        near(f, o->pc);
    }
}

/* ---- faults, main, what f0sim could not do ------------------------------------------------ */

static void faults(const struct chk_ctx *ctx, const struct chk_events *ev, struct chk_result *r)
{
    const struct chk_ev *x = first(ev, CHK_EV_FAULT, r->start_us, NULL, ctx);
    if (!x)
        return;
    if (strstr(x->why, "not modelled")) {
        struct chk_finding *f =
            add(r, "sim-cannot-run", CHK_SIM,
                "nothing to fix in the application for this; the check cannot say more until "
                "f0sim models it (docs/f0sim.md, Known limits)",
                "f0sim cannot run this application as the chip would: at %.3f ms, PC 0x%08x: %s",
                ms(x->t_us), x->pc, x->why);
        at(f, x->pc);
        return;
    }
    if (first(ev, CHK_EV_EXCEPTION, r->start_us, through_boot, ctx))
        return; /* the consequence of the interrupt through the wrong table */
    struct chk_finding *f =
        add(r, x->lockup ? "lockup" : "hardfault", CHK_PITFALL,
            "look at the faulting access at that line: a bad pointer, an address past the end "
            "of SRAM, a peripheral whose clock is off, a store to flash",
            "%s at %.3f ms, PC 0x%08x: %s (address 0x%08x)",
            x->lockup ? "lockup (a fault while "
                        "handling a fault)"
                      : "HardFault",
            ms(x->t_us), x->pc, x->why, x->addr);
    at(f, x->pc);
}

/* Registers f0sim does not model: what the application saw there is not what the chip
 * would have shown it, so the run may not be the chip's. */
static void unmodelled(const struct chk_events *ev, struct chk_result *r)
{
    char list[300] = "";
    size_t k = 0, n = 0;
    const struct chk_ev *first_one = NULL;
    for (size_t i = 0; i < ev->n; i++) {
        const struct chk_ev *e = &ev->v[i];
        if (e->kind != CHK_EV_UNMODELLED || e->t_us < r->start_us)
            continue;
        if (!first_one)
            first_one = e;
        if (n++ < 6 && k < sizeof list)
            k += (size_t)snprintf(list + k, sizeof list - k, "%s%s 0x%08x", k ? ", " : "",
                                  e->write ? "write" : "read", e->addr);
    }
    if (!first_one)
        return;
    struct chk_finding *f =
        add(r, "sim-unmodelled", CHK_SIM,
            "nothing to fix in the application for this; what depends on those registers was not "
            "checked (docs/f0sim.md lists what f0sim models)",
            "the application used %zu register%s f0sim does not model (reads 0, writes ignored): "
            "%s%s",
            n, n == 1 ? "" : "s", list, n > 6 ? ", ..." : "");
    near(f, first_one->pc);
}

static void main_and_notes(const struct chk_ctx *ctx, const struct chk_events *ev,
                           struct chk_result *r)
{
    if (!ctx->have_main) {
        add(r, "main-unchecked", CHK_NOTE, "give the ELF (f0boot check app.elf)",
            "whether the application reaches main() could not be checked: %s",
            ctx->have_elf ? "the ELF has no `main` symbol" : "no symbols without the ELF");
    } else if (!r->reached_main) {
        struct chk_finding *f =
            add(r, "no-main", CHK_PITFALL,
                "look at where it stopped: a clock that never becomes ready (HSE, PLL), a wait for "
                "an interrupt that never comes, an early fault",
                "the application started at %.3f ms but never reached main() (0x%08x) in %u ms; "
                "the run ended at PC 0x%08x (%s)",
                ms(r->start_us), ctx->main_pc, ctx->ms, ev->end.stop_pc, ev->end.detail);
        at(f, ev->end.stop_pc);
    }
    const struct chk_ev *en = first(ev, CHK_EV_INT_ENABLE, r->start_us, NULL, ctx);
    if (en && r->remapped && en->t_us < r->remap_us &&
        !first(ev, CHK_EV_EXCEPTION, r->start_us, through_boot, ctx)) {
        char name[40];
        chk_exc_name(en->exc, name, sizeof name);
        struct chk_finding *f =
            add(r, "remap-order", CHK_NOTE, "do the remap before enabling any interrupt",
                "%s was enabled (%.3f ms) before the remap (%.3f ms); no interrupt came in between "
                "in this run, because PRIMASK was %s",
                name, ms(en->t_us), ms(r->remap_us),
                en->primask ? "set" : "clear and none was due yet");
        near(f, en->pc);
    }
    if (r->started && !en && !r->pitfalls)
        add(r, "no-interrupts", CHK_NOTE, NULL,
            "the application enabled no interrupt in %u ms: "
            "its vector table was not exercised",
            ctx->ms);
    unmodelled(ev, r);
    if (ev->end.dropped)
        add(r, "events-dropped", CHK_NOTE, NULL,
            "f0sim's observer left out %llu events past "
            "its cap: the findings come from the first ones",
            (unsigned long long)ev->end.dropped);
}

void chk_find(const struct chk_ctx *ctx, const struct chk_events *ev, struct chk_result *r)
{
    memset(r, 0, sizeof *r);
    start_and_main(ctx, ev, r);
    if (!r->started) {
        not_started(ctx, ev, r);
        return;
    }
    boot_table(ctx, ev, r);
    masked(ctx, ev, r);
    writes(ctx, ev, r);
    faults(ctx, ev, r);
    if (strcmp(ev->end.stop, "sleep-forever") == 0) {
        struct chk_finding *f =
            add(r, "sleep-forever", CHK_PITFALL,
                "enable the interrupt the application waits for (NVIC_ISER, SysTick TICKINT) and "
                "PRIMASK (cpsie i)",
                "the application went to sleep (WFI) at %.3f ms with nothing enabled that could "
                "ever wake it",
                ms(ev->end.t_us));
        at(f, ev->end.stop_pc);
    }
    main_and_notes(ctx, ev, r);
}
