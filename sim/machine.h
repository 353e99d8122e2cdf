/*
 * f0sim internals: one virtual STM32F030 (struct chip, the machine). It holds the CPU glue's
 * state (Unicorn, exceptions, memory map, virtual time) and one state struct per device
 * model (dev/<name>.h); the bus table in machine.c places the devices in the address map. The
 * host side is reached only through struct sim_link (link.h), which main passes in.
 * See docs/f0sim.md for what is modelled and how.
 *
 * Time: c->now is virtual time in picoseconds. The CPU advances it per translated block
 * (cycles cached per block, times the HCLK period); devices expose the time of their next
 * event and chip_service() runs everything that is due, in time order.
 *
 * Files: machine.c (bus table, scheduler, idle skip, logging), cpu.c (Unicorn, hooks, run
 * loop, reset), exc.c (exception entry and return), memmap.c (memory map, address-0 alias,
 * stale code), profile.c (block cycle costs, --profile), dev/<name>.c (one per device).
 */
#ifndef F0SIM_MACHINE_H
#define F0SIM_MACHINE_H

#include <stdint.h>
#include <stdio.h>
#include <unicorn/unicorn.h>

#include "dev/crc.h"
#include "dev/dbgmcu.h"
#include "dev/dma.h"
#include "dev/flash.h"
#include "dev/gpio.h"
#include "dev/iwdg.h"
#include "dev/nvic.h"
#include "dev/optbytes.h"
#include "dev/rcc.h"
#include "dev/rom.h"
#include "dev/syscfg.h"
#include "dev/tim.h"
#include "dev/usart.h"
#include "link.h"

#define PS_PER_US     1000000ull
#define SIM_FLASH_MAX (256u * 1024u) /* largest flash of parts.def */
#define PS_PER_MS     1000000000ull
#define T_NEVER       UINT64_MAX

#define FLASH_BASE  0x08000000u
#define SRAM_BASE   0x20000000u
#define SYSMEM_MAP  0x1FFFD000u /* 4 KB-aligned window: system memory + option bytes */
#define SYSMEM_BASE 0x1FFFD800u /* F030xC system memory (ROM bootloader) */
#define SYSMEM_LEN  0x3000u
#define FSIZE_ADDR  0x1FFFF7CCu
#define UID_ADDR    0x1FFFF7ACu
#define OPTB_ADDR   0x1FFFF800u

/* Exception numbers (ARMv6-M); EXC_COUNT is in dev/nvic.h. */
enum {
    EXC_RESET = 1,
    EXC_NMI = 2,
    EXC_HARDFAULT = 3,
    EXC_SVC = 11,
    EXC_PENDSV = 14,
    EXC_SYSTICK = 15,
    EXC_IRQ0 = 16
};
/* The EXC_RETURN values ARMv6-M defines (B1.5.8). */
#define EXC_RETURN_HANDLER    0xFFFFFFF1u /* to handler mode, frame on MSP */
#define EXC_RETURN_THREAD_MSP 0xFFFFFFF9u /* to thread mode, frame on MSP */
#define EXC_RETURN_THREAD_PSP 0xFFFFFFFDu /* to thread mode, frame on PSP, then PSP in use */

enum stop_reason {
    STOP_NONE = 0,
    STOP_TIME,
    STOP_UART,
    STOP_RESETS,
    STOP_BREAK,
    STOP_HARDFAULT,
    STOP_LOCKUP,
    STOP_POWER_CUT,
    STOP_SLEEP_FOREVER,
    STOP_SIGNAL,
    STOP_HOST_EOF,
    STOP_ERROR
};
const char *stop_reason_name(enum stop_reason r);

struct part_desc {
    const char *name;
    uint16_t chip_id;
    uint32_t flash_size, page_size, sram_size;
};

struct chip;
struct dev_ops;
struct watch;
typedef void (*chip_log_fn)(struct chip *c, const char *msg);

struct chip_opts {
    const struct part_desc *part;
    int boot_rom;
    uint32_t prog_ps;  /* half-word program time */
    uint64_t erase_ps; /* page erase time */
    uint64_t mass_erase_ps;
    int fault_continue; /* take the HardFault handler instead of stopping */
    uint64_t until_ps;  /* 0 = none */
    const char *until_uart;
    uint32_t until_resets; /* 0 = none */
    int nbreak;
    uint32_t breaks[16];
    uint64_t power_cut_op; /* 1-based flash operation index, 0 = none */
    uint64_t power_cut_ps; /* 0 = none */
    double noise_rate;     /* per byte */
    uint64_t seed;
    uint32_t rom_baud; /* line rate used to time the ROM model's characters */
    int realtime;
    uint32_t usb_latency_ms;
    int trace_unmodelled_stop;
    int no_idle_skip;
    uint32_t hse_hz; /* the HSE crystal or external clock; 0 = none (HSERDY never sets) */
    /* SRAM at power-on: seeded random bytes (else zeros), then words written over them */
    int sram_random;
    int nsram_words;
    struct {
        uint32_t addr, val;
    } sram_words[16];
};

struct stats {
    uint64_t insns, cycles;
    uint64_t prog_ops, page_erases, mass_erases, prog_errors, wrprt_errors;
    uint64_t ob_erases, ob_programs;              /* option bytes */
    uint64_t uart_rx, uart_tx, overruns, rx_lost; /* rx_lost: arrived while RE off */
    uint64_t noise_flips, noise_drops;
    uint64_t resets, faults, irqs_taken;
    uint64_t unmodelled;
};

struct bus_window {
    struct chip *c;
    uint32_t base;
}; /* an MMIO window of machine.c */
struct bcost {
    uint32_t addr;
    uint16_t size;
    uint16_t ninsn;
    uint32_t cyc;
    uint32_t gen;
};
struct prof_ent {
    uint32_t addr;
    uint32_t ninsn;
    uint64_t runs, insns, cycles, stall;
};

struct chip {
    uc_engine *uc;
    struct chip_opts o;
    struct stats st;
    chip_log_fn log;
    const struct sim_link *link; /* the host side; NULL: nobody on the line */
    /* virtual time the host's queued bytes reached the line: the receiver (USART1 or the
     * ROM model) takes them back to back from there, even if the CPU was stalled meanwhile */
    uint64_t line_avail;

    uint8_t *flash; /* flash_size bytes (maybe an mmap'd file) */
    uint8_t *sram;
    uint32_t sram_map;   /* sram_size rounded up to Unicorn's 4 KB mapping unit */
    uint8_t *sysmem;     /* SYSMEM_LEN bytes at SYSMEM_MAP */
    uint32_t alias_mode; /* MEM_MODE currently mapped at 0 (0 flash, 1 sysmem, 3 sram) */
    uint32_t alias_size;

    /* time */
    uint64_t now;  /* ps */
    uint32_t hclk; /* Hz */
    uint32_t ps_per_cycle;
    uint64_t next_event; /* min of everything below */
    uint64_t next_poll;  /* host I/O slice */
    uint64_t poll_step;

    /* core */
    int pend_check; /* something pending: check at the next block boundary */
    int in_wfi;
    int boot_rom_now; /* this boot runs the ROM (BOOT0 or the empty check) */
    int reset_req;
    uint32_t reset_flags; /* RCC_CSR flags for the next reset */

    struct bus_window bus_win[3];
    const struct dev_ops *bus_last; /* the device the last MMIO access went to */

    /* devices (dev/<name>.h) */
    struct nvic_state nv;
    struct rcc_state rcc;
    struct syscfg_state syscfg;
    struct gpio_state gpio;
    struct crc_state crc;
    struct iwdg_state iwdg;
    struct dbgmcu_state dbg;
    struct flash_ctl fl;
    struct ob_state ob;
    struct usart u1;
    struct dma_state dma;
    struct rom_state rom;
    struct tim_state tim;

    /* run control */
    enum stop_reason stop;
    uint32_t stop_pc;
    char stop_detail[200];
    uint64_t flash_ops; /* program + erase operations started (for power cut) */
    int power_cut_done;
    const char *fault_reason;
    uint32_t fault_addr;
    int fault_pin; /* memory fault: PC is the block start, find the instruction */
    int stepping;
    size_t uart_match; /* bytes of until_uart matched so far */
    uint64_t rng;

    /* unmodelled-access log (once per address) */
    uint32_t seen[512];
    int nseen;

    /* flash range whose translated code must be dropped before the CPU runs on */
    uint32_t inval_lo, inval_len;

    /* idle polling: MMIO reads that keep returning the same values, with no MMIO write
     * and no exception in between, mean the CPU only waits for the next event */
    uint32_t idle_addr[4], idle_val[4];
    int idle_n, idle_reads, idle_skip;
    uint64_t idle_skipped_ps;

    /* block cost cache */
    struct bcost *bc;
    uint32_t bc_gen;
    /* longest single idle skip (realtime pacing shortens it while it waits, pace.c) */
    uint64_t idle_max_ps;
    /* 1 KB flash pages from which code has run: only changes there need the translated
     * code dropped (programming a never-run page, as every update does, costs nothing) */
    uint8_t code_pages[SIM_FLASH_MAX / 1024u / 8u];

    /* --profile: cycles per block start address (open addressing, PROF_SLOTS entries) */
    struct prof_ent *prof;
    struct prof_ent *prof_last; /* the block that ran last: flash stalls are charged to it */

    /* --watch: the observer (watch.h); NULL when off, and every hook checks that first */
    struct watch *watch;
};

/* machine.c: logging, run control, the bus, the scheduler, idle skip */
void chip_logf(struct chip *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void chip_stop(struct chip *c, enum stop_reason r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
uint64_t chip_rand(struct chip *c);
/* --uart-noise on one byte crossing the line (either way): 0 untouched, 1 one bit of *b
 * flipped, -1 dropped. Counted in the summary's noise figures. */
int chip_line_noise(struct chip *c, uint8_t *b);
/* A byte the device's transmitter finished: line noise, then the host side. */
void chip_uart_out(struct chip *c, uint8_t b);
/* The host's bytes not yet on the line, or NULL without a host. */
struct ring *chip_host_input(struct chip *c);
void chip_unmodelled(struct chip *c, uint32_t addr, int write, uint32_t val);
/* Map the MMIO windows and dispatch them through the bus table. 0 or a Unicorn error. */
uc_err bus_map(struct chip *c);
void devices_reset(struct chip *c);
void devices_levels(struct chip *c); /* re-assert level-sensitive IRQ lines */
void chip_reschedule(struct chip *c);
void chip_service(struct chip *c);
void chip_set_hclk(struct chip *c, uint32_t hz);
void chip_read_note(struct chip *c, uint32_t addr, uint32_t v);  /* MMIO read, for idle skip */
void chip_write_note(struct chip *c, uint32_t addr, uint32_t v); /* MMIO write */
void chip_idle_reset(struct chip *c); /* an exception: the polling loop is left */
void chip_idle_skip(struct chip *c);  /* idle polling seen: move time on */

/* cpu.c: Unicorn, the hooks, the run loop, reset */
int chip_init(struct chip *c, uint8_t *flash_buf);
void chip_free(struct chip *c);
void chip_reset(struct chip *c); /* power-on / system reset (SRAM kept) */
int chip_run(struct chip *c);    /* until c->stop */

/* exc.c: exceptions (ARMv6-M), entered at block boundaries */
void chip_set_pending(struct chip *c, int exc);
void chip_irq(struct chip *c, int irq); /* set an IRQ line pending */
int exc_pending(const struct chip *c);  /* highest-priority enabled pending, or 0 */
int exc_prio(const struct chip *c, int exc);
int exc_exec_prio(struct chip *c); /* current execution priority (PRIMASK too) */
int exc_enter(struct chip *c, int exc, uint32_t ret_pc);
void exc_return(struct chip *c, uint32_t exc_ret);
void exc_try(struct chip *c, uint32_t pc); /* take a pending exception if it may preempt */
/* A fault at pc: report it; stop, or take HardFault (escalating to lockup). */
void exc_fault(struct chip *c, uint32_t pc, const char *why, uint32_t addr);

/* memmap.c: memory map, address-0 alias, translated code of changed flash */
uc_err mem_map(struct chip *c);
/* SRAM as power-on leaves it: --sram-random, then the --sram-word values. */
void mem_sram_power_on(struct chip *c);
void fill_sysmem(struct chip *c);
/* The memory MEM_MODE maps at 0: *buf and *len of it. */
void alias_target(const struct chip *c, uint8_t **buf, uint32_t *len);
void chip_remap(struct chip *c, uint32_t mode);
void chip_invalidate_code(struct chip *c, uint32_t addr, uint32_t len);
int chip_in_inval(const struct chip *c, uint64_t addr);
void chip_flush_invalidations(struct chip *c);
void chip_note_code_pages(struct chip *c, uint64_t addr, uint32_t size);
/* 1 and *off (offset into flash) when addr is flash, directly or through the alias at
 * address 0 while it maps the flash; 0 otherwise. */
int chip_flash_off(const struct chip *c, uint64_t addr, uint32_t *off);

/* profile.c: block costs and --profile */
uint32_t block_cycles(const uint8_t *code, uint32_t size, uint32_t *ninsn);
void profile_hit(struct chip *c, uint32_t addr, uint32_t ninsn, uint32_t cyc);
int chip_profile_enable(struct chip *c);
int chip_profile_write(const struct chip *c, FILE *f);

#endif
