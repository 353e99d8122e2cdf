/*
 * The observer of f0sim (`--watch FILE`): what the chip did that tells whether an application
 * works behind the bootloader, one JSON object per line in FILE, for `f0boot check` (and
 * anyone reading them). It only observes (one exception, below: --watch-hold-boot-vectors).
 *
 * Events ("ev"), each with "t_us" (virtual time) and, where it has one, "pc":
 *   pc          the CPU reached a --watch-pc address for the first time ("addr", "index")
 *   reset       a reset of the chip ("n", "sftrst": a software reset)
 *   exception   an exception was entered: "exc", "vector_addr" (the address the vector was
 *               read from, through address 0), "map" (what address 0 mapped: flash, sysmem,
 *               sram), "from" (the physical address read), "vector" (the value), "primask".
 *               Every one whose vector did not come from SRAM; the first of each number that
 *               did (the rest are counted in "end")
 *   mem_mode    a write of SYSCFG_CFGR1 that changes MEM_MODE ("from", "to": 0 flash,
 *               1 system memory, 3 SRAM)
 *   int_enable  an interrupt became able to fire: "exc" (15 SysTick: CSR TICKINT and
 *               ENABLE; 16+n: NVIC_ISER bit n), "primask"
 *   wfi         the first WFI executed with PRIMASK set ("pending": the exception pending
 *               then, 0 none); the rest are counted in "end"
 *   masked      an enabled exception ("exc") has been pending with PRIMASK set for
 *               --watch-masked-ms ("since_us"); once per reset
 *   write       a store into a --watch-write range of SRAM, also through the address-0 alias
 *               ("addr" as SRAM address, "size", "value"; "dma": true and "pc" 0 for DMA1's)
 *   flash_op    a flash program / page erase / mass erase ("op") touching a --watch-write
 *               range of flash ("addr": the half-word or the page)
 *   fault       a fault the core took or stopped at: "why", "addr" (the faulting access),
 *               "lockup"
 *   unmodelled  the first access to a register f0sim does not model ("addr", "write")
 *   uart_offer  the --watch-uart byte was put on USART1's line ("byte")
 *   held        (--watch-hold-boot-vectors only) an exception was held back (first one)
 *   end         the run stopped: "stop", "detail", "stop_pc", "exceptions" {"N":count},
 *               "exceptions_boot_table" {"N":count}, "wfi_masked", "dropped" (events not
 *               written past the cap; 0 means the file is complete)
 */
#ifndef F0SIM_WATCH_H
#define F0SIM_WATCH_H

#include <stddef.h>
#include <stdint.h>

#include "machine.h"
#include "regs/scs.h"
#include "regs/syscfg.h"

#define WATCH_MAX_PCS    8
#define WATCH_MAX_RANGES 8

/* What the command line asked to watch (options.c fills it). */
struct watch_opts {
    const char *path;            /* --watch FILE; NULL: no observer */
    uint32_t pcs[WATCH_MAX_PCS]; /* --watch-pc ADDR (first one: the start) */
    int npc;
    uint32_t lo[WATCH_MAX_RANGES], hi[WATCH_MAX_RANGES]; /* --watch-write LO-HI, inclusive */
    int nrange;
    int uart_byte;          /* --watch-uart BYTE@MS; -1: none */
    uint32_t uart_after_ms; /* after the first --watch-pc is reached */
    uint32_t masked_ms;     /* --watch-masked-ms (default 10) */
    int hold_boot_vectors;  /* --watch-hold-boot-vectors */
};

struct chip;

/* Parse one --watch* option (name without the dashes) into w. 0, or -1 with a message in
 * err; 1 when name is not a watch option. */
int watch_option(struct watch_opts *w, const char *name, const char *arg, char *err, size_t errlen);
void watch_opts_init(struct watch_opts *w);

/* Open FILE and install the observer on the chip (after chip_init). 0, or -1 with a
 * message in err (the file cannot be created, or Unicorn refused a hook). */
int watch_open(struct chip *c, const struct watch_opts *o, char *err, size_t errlen);
/* Write the "end" event and close the file. 0, or -1 when the file could not be written. */
int watch_close(struct chip *c);

/* The hooks the CPU glue and the devices call, each behind `if (c->watch)`. */
void watch_reset(struct chip *c);
void watch_exception(struct chip *c, int exc, uint32_t vector);
void watch_fault(struct chip *c, uint32_t pc, const char *why, uint32_t addr, int lockup);
void watch_wfi(struct chip *c, uint32_t pc);
void watch_mem_mode(struct chip *c, uint32_t from, uint32_t to);
void watch_int_enable(struct chip *c, int exc);
void watch_iser(struct chip *c, uint32_t newly_set);         /* NVIC_ISER bits turned on */
void watch_flash_op(struct chip *c, int kind, uint32_t off); /* 1 program, 2 page, 3 mass */
void watch_unmodelled(struct chip *c, uint32_t addr, int write);
void watch_dma_write(struct chip *c, uint32_t addr, uint8_t byte); /* a DMA1 store */
/* 1: do not take exception exc now (--watch-hold-boot-vectors: it would be fetched through
 * the bootloader's table after the start). */
int watch_hold(struct chip *c, int exc);

/* The hooks as the CPU glue and the devices call them: one line each, a NULL test when the
 * observer is off (the functions above do the work). */
static inline void watch_on_reset(struct chip *c)
{
    if (c->watch)
        watch_reset(c);
}
static inline void watch_on_exception(struct chip *c, int exc, uint32_t vector)
{
    if (c->watch)
        watch_exception(c, exc, vector);
}
static inline void watch_on_fault(struct chip *c, uint32_t pc, const char *why, uint32_t addr,
                                  int lockup)
{
    if (c->watch)
        watch_fault(c, pc, why, addr, lockup);
}
static inline void watch_on_wfi(struct chip *c, uint32_t pc)
{
    if (c->watch)
        watch_wfi(c, pc);
}
/* before SYSCFG_CFGR1 takes v: the MEM_MODE change (10 maps flash, as 00) */
static inline void watch_on_cfgr1(struct chip *c, uint32_t v)
{
    uint32_t m = v & SYSCFG_CFGR1_MEM_MODE_MASK;
    if (c->watch)
        watch_mem_mode(c, c->alias_mode, m == 2u ? 0u : m);
}
/* before SYST_CSR takes v: SysTick becoming able to interrupt */
static inline void watch_on_systick_csr(struct chip *c, uint32_t v)
{
    const uint32_t on = SYST_CSR_ENABLE | SYST_CSR_TICKINT;
    if (c->watch && (v & on) == on && (c->nv.st_csr & on) != on)
        watch_int_enable(c, EXC_SYSTICK);
}
/* before NVIC_ISER takes v */
static inline void watch_on_iser(struct chip *c, uint32_t v)
{
    if (c->watch && (v & ~c->nv.iser))
        watch_iser(c, v & ~c->nv.iser);
}
static inline void watch_on_flash_op(struct chip *c, int kind, uint32_t off)
{
    if (c->watch)
        watch_flash_op(c, kind, off);
}
static inline void watch_on_unmodelled(struct chip *c, uint32_t addr, int write)
{
    if (c->watch)
        watch_unmodelled(c, addr, write);
}
/* a byte DMA1 stores to memory (not through the CPU, so not seen by the store hook); b */
static inline uint8_t watch_on_dma_write(struct chip *c, uint32_t addr, uint8_t b)
{
    if (c->watch)
        watch_dma_write(c, addr, b);
    return b;
}
static inline int watch_holds(struct chip *c, int exc) { return c->watch && watch_hold(c, exc); }

#endif
