/*
 * f0sim internals: one virtual STM32F030 (struct chip) shared by the CPU/exception core
 * (core.c), the peripheral models (periph.c), the host side of USART1 (hostio.c) and the
 * command line (main.c). See docs/f0sim.md for what is modelled and how.
 *
 * Time: c->now is virtual time in picoseconds. The CPU advances it per translated block
 * (cycles cached per block, times the HCLK period); peripherals expose the time of their
 * next event and chip_service() runs everything that is due, in time order.
 */
#ifndef F0SIM_SIM_H
#define F0SIM_SIM_H

#include <stdint.h>
#include <stdio.h>
#include <unicorn/unicorn.h>

#include "an3155.h"

#define PS_PER_US   1000000ull
#define SIM_FLASH_MAX (256u * 1024u)   /* largest flash of parts.def */
#define PS_PER_MS   1000000000ull
#define T_NEVER     UINT64_MAX

#define FLASH_BASE  0x08000000u
#define SRAM_BASE   0x20000000u
#define SYSMEM_MAP  0x1FFFD000u   /* 4 KB-aligned window: system memory + option bytes */
#define SYSMEM_BASE 0x1FFFD800u   /* F030xC system memory (ROM bootloader) */
#define SYSMEM_LEN  0x3000u
#define FSIZE_ADDR  0x1FFFF7CCu
#define UID_ADDR    0x1FFFF7ACu
#define OPTB_ADDR   0x1FFFF800u

/* Exception numbers (ARMv6-M). */
enum { EXC_RESET = 1, EXC_NMI = 2, EXC_HARDFAULT = 3, EXC_SVC = 11, EXC_PENDSV = 14,
       EXC_SYSTICK = 15, EXC_IRQ0 = 16, EXC_COUNT = 48 };
/* STM32F030xC IRQ lines used by the models. */
enum { IRQ_FLASH = 3, IRQ_RCC = 4, IRQ_DMA1_CH1 = 9, IRQ_DMA1_CH2_3 = 10,
       IRQ_DMA1_CH4_5 = 11, IRQ_USART1 = 27 };

enum stop_reason {
    STOP_NONE = 0, STOP_TIME, STOP_UART, STOP_RESETS, STOP_BREAK, STOP_HARDFAULT,
    STOP_LOCKUP, STOP_POWER_CUT, STOP_SLEEP_FOREVER, STOP_SIGNAL, STOP_HOST_EOF,
    STOP_ERROR
};
const char *stop_reason_name(enum stop_reason r);

struct part_desc {
    const char *name;
    uint16_t chip_id;
    uint32_t flash_size, page_size, sram_size;
};

/* A byte ring used for host<->device queues. */
struct ring {
    uint8_t buf[65536];
    uint32_t head, tail;   /* head = write index, tail = read index; free-running */
};
static inline uint32_t ring_count(const struct ring *r) { return r->head - r->tail; }
static inline uint32_t ring_space(const struct ring *r) { return (uint32_t)sizeof r->buf - ring_count(r); }
static inline void ring_put(struct ring *r, uint8_t b) { r->buf[r->head++ % sizeof r->buf] = b; }
static inline uint8_t ring_get(struct ring *r) { return r->buf[r->tail++ % sizeof r->buf]; }

struct flash_ctl {
    uint32_t acr, sr, cr, ar, obr, wrpr;
    int key_stage;          /* 0: nothing, 1: KEY1 seen */
    int key_dead;           /* wrong sequence: CR locked until reset */
    int opt_key_stage;
    int busy;               /* operation in progress */
    uint64_t busy_until;
    int op_kind;            /* 1 program, 2 page erase, 3 mass erase */
    uint32_t op_addr;       /* program: flash offset; erase: page offset */
    uint16_t op_value;
    uint64_t op_start;
    /* pending restore of a store that the WRITE_PROT hook let through */
    int fix_n;
    uint32_t fix_off[4];
    uint8_t fix_val[4];
    uc_hook code_hook;
    int code_hook_on;
    uc_hook read_hook;
    int read_hook_on;
};

struct usart {
    uint32_t cr1, cr2, cr3, brr, gtpr, rtor, isr, rdr;
    int tx_busy;            /* shift register holds a byte */
    uint8_t tx_shift;
    int tdr_full;
    uint8_t tdr;
    uint64_t tx_done;       /* time the byte in the shift register has left */
    int rx_busy;            /* a byte is on the line */
    uint8_t rx_byte;
    int rx_pe;
    uint64_t rx_done;
    uint64_t line_free;     /* earliest start of the next received char */
};

struct dma_ch {
    uint32_t ccr, cndtr, cpar, cmar;
    uint32_t ndt_reload, par_base, mar_base, cur;
};

struct chip;
typedef void (*chip_log_fn)(struct chip *c, const char *msg);

struct host;   /* hostio.c */

struct chip_opts {
    const struct part_desc *part;
    int boot_rom;
    uint32_t prog_ps;        /* half-word program time */
    uint64_t erase_ps;       /* page erase time */
    uint64_t mass_erase_ps;
    int fault_continue;      /* take the HardFault handler instead of stopping */
    uint64_t until_ps;       /* 0 = none */
    const char *until_uart;
    uint32_t until_resets;   /* 0 = none */
    int nbreak;
    uint32_t breaks[16];
    uint64_t power_cut_op;   /* 1-based flash operation index, 0 = none */
    uint64_t power_cut_ps;   /* 0 = none */
    double noise_rate;       /* per byte */
    uint64_t seed;
    uint32_t rom_baud;       /* line rate used to time the ROM model's characters */
    int realtime;
    uint32_t usb_latency_ms;
    int trace_unmodelled_stop;
    int no_idle_skip;
};

struct stats {
    uint64_t insns, cycles;
    uint64_t prog_ops, page_erases, mass_erases, prog_errors, wrprt_errors;
    uint64_t uart_rx, uart_tx, overruns, rx_lost;   /* rx_lost: arrived while RE off */
    uint64_t noise_flips, noise_drops;
    uint64_t resets, faults, irqs_taken;
    uint64_t unmodelled;
};

struct chip {
    uc_engine *uc;
    struct chip_opts o;
    struct stats st;
    chip_log_fn log;
    struct host *host;
    /* virtual time the host's queued bytes reached the line: the receiver (USART1 or the
     * ROM model) takes them back to back from there, even if the CPU was stalled meanwhile */
    uint64_t line_avail;

    uint8_t *flash;          /* flash_size bytes (maybe an mmap'd file) */
    uint8_t *sram;
    uint32_t sram_map;       /* sram_size rounded up to Unicorn's 4 KB mapping unit */
    uint8_t *sysmem;         /* SYSMEM_LEN bytes at SYSMEM_MAP */
    uint32_t alias_mode;     /* MEM_MODE currently mapped at 0 (0 flash, 1 sysmem, 3 sram) */
    uint32_t alias_size;

    /* time */
    uint64_t now;            /* ps */
    uint32_t hclk;           /* Hz */
    uint32_t ps_per_cycle;
    uint64_t next_event;     /* min of everything below */
    uint64_t next_poll;      /* host I/O slice */
    uint64_t poll_step;

    /* core */
    uint8_t prio[EXC_COUNT];         /* 0,64,128,192 */
    uint8_t pending[EXC_COUNT], active[EXC_COUNT];
    uint32_t iser;
    int pend_check;          /* something pending: check at the next block boundary */
    uint32_t scr, shpr2, shpr3;
    uint32_t st_csr, st_rvr;
    uint64_t st_zero;        /* time the counter next reaches 0 (T_NEVER if disabled) */
    uint64_t st_tick_ps;
    int in_wfi;
    int boot_rom_now;        /* this boot runs the ROM (BOOT0 or the empty check) */
    int reset_req;
    uint32_t reset_flags;    /* RCC_CSR flags for the next reset */

    /* peripherals */
    uint32_t rcc[16];        /* by offset / 4 */
    uint32_t syscfg_cfgr1, syscfg_regs[8];
    uint32_t gpio[6][11];
    uint32_t crc_dr, crc_idr, crc_cr, crc_init;
    uint32_t iwdg_pr, iwdg_rlr, iwdg_unlocked, iwdg_on;
    uint64_t iwdg_deadline;
    uint32_t dbg_cr, dbg_apb1, dbg_apb2;
    struct flash_ctl fl;
    struct usart u1;
    struct dma_ch dma[5];
    uint32_t dma_isr;

    /* run control */
    enum stop_reason stop;
    uint32_t stop_pc;
    char stop_detail[200];
    uint64_t flash_ops;      /* program + erase operations started (for power cut) */
    int power_cut_done;
    const char *fault_reason;
    uint32_t fault_addr;
    int fault_pin;           /* memory fault: PC is the block start, find the instruction */
    int stepping;
    size_t uart_match;       /* bytes of until_uart matched so far */
    uint64_t rng;

    /* ROM bootloader model */
    struct an3155 rom;
    int rom_running;
    uint64_t rom_tx_at;      /* next byte of rom_out may start at this time */
    struct ring rom_out;     /* bytes the ROM model answers, sent at line rate */
    uint64_t rom_rx_free, rom_rx_done;
    int rom_busy, rom_pending_go;
    uint8_t rom_rx_byte;
    uint32_t rom_go_addr;

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
    struct bcost { uint32_t addr; uint16_t size; uint16_t ninsn; uint32_t cyc; uint32_t gen; } *bc;
    uint32_t bc_gen;
    /* longest single idle skip: short in realtime mode, where each skip is also a wait on
     * the wall clock that host input only ends at its own granularity (1 ms skips made
     * a 921600-baud update 2.5x slower than the flash allows), long in --fast mode */
    uint64_t idle_max_ps;
    /* 1 KB flash pages from which code has run: only changes there need the translated
     * code dropped (programming a never-run page, as every update does, costs nothing) */
    uint8_t code_pages[SIM_FLASH_MAX / 1024u / 8u];

    /* --profile: cycles per block start address (open addressing, PROF_SLOTS entries) */
    struct prof_ent { uint32_t addr; uint32_t ninsn; uint64_t runs, insns, cycles, stall; } *prof;
    struct prof_ent *prof_last;   /* the block that ran last: flash stalls are charged to it */
};

/* core.c */
int chip_init(struct chip *c, uint8_t *flash_buf);
void chip_free(struct chip *c);
int chip_profile_enable(struct chip *c);
int chip_profile_write(const struct chip *c, FILE *f);
void chip_reset(struct chip *c);            /* power-on / system reset (SRAM kept) */
int chip_run(struct chip *c);               /* until c->stop */
void chip_logf(struct chip *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void chip_stop(struct chip *c, enum stop_reason r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void chip_set_pending(struct chip *c, int exc);
void chip_irq(struct chip *c, int irq);                 /* set an IRQ line pending */
void chip_reschedule(struct chip *c);
void chip_set_hclk(struct chip *c, uint32_t hz);
void chip_invalidate_code(struct chip *c, uint32_t addr, uint32_t len);
void chip_remap(struct chip *c, uint32_t mode);
void chip_unmodelled(struct chip *c, uint32_t addr, int write, uint32_t val);
void chip_service(struct chip *c);
void chip_read_note(struct chip *c, uint32_t addr, uint32_t v);   /* MMIO read, for idle skip */
void chip_write_note(struct chip *c, uint32_t addr, uint32_t v);  /* MMIO write */
uint64_t chip_rand(struct chip *c);
/* --uart-noise on one byte crossing the line (either way): 0 untouched, 1 one bit of *b
 * flipped, -1 dropped. Counted in the summary's noise figures. */
int chip_line_noise(struct chip *c, uint8_t *b);
/* 1 and *off (offset into flash) when addr is flash, directly or through the alias at
 * address 0 while it maps the flash; 0 otherwise. */
int chip_flash_off(const struct chip *c, uint64_t addr, uint32_t *off);

/* periph.c */
void periph_reset(struct chip *c);
uint64_t periph_read(uc_engine *uc, uint64_t off, unsigned size, void *ud);
void periph_write(uc_engine *uc, uint64_t off, unsigned size, uint64_t val, void *ud);
uint64_t gpio_read(uc_engine *uc, uint64_t off, unsigned size, void *ud);
void gpio_write(uc_engine *uc, uint64_t off, unsigned size, uint64_t val, void *ud);
uint64_t periph_next_event(struct chip *c);
void periph_service(struct chip *c);
void periph_levels(struct chip *c);         /* re-assert level-sensitive IRQ lines */
bool flash_store_hook(struct chip *c, uint32_t off, int size, uint32_t value);
void flash_apply_fixups(struct chip *c);
void flash_stall(struct chip *c);
int flash_power_cut(struct chip *c);        /* --power-cut-ms: tear a running operation */           /* CPU read of flash: wait for !BSY */
uint32_t rcc_pclk(const struct chip *c);
/* Line input from the host: offer a byte to USART1 (returns 0 if the line is busy). */
int usart_line_idle(struct chip *c);
void usart_line_byte(struct chip *c, uint8_t byte, int parity_err);
void crc_reset_model(struct chip *c);
uint32_t crc_model_feed(uint32_t crc, uint32_t data, int bits);
/* Flash helpers for the ROM model (immediate content change, returns busy time). */
int64_t flash_rom_erase_page(struct chip *c, uint32_t page);
int64_t flash_rom_mass_erase(struct chip *c);
int64_t flash_rom_program(struct chip *c, uint32_t addr, const uint8_t *d, uint32_t len);

/* rom.c: --boot rom */
void rom_start(struct chip *c);
uint64_t rom_next_event(struct chip *c);
void rom_service(struct chip *c);

/* hostio.c: the host side of USART1 */
struct host *host_open(const char *spec, uint32_t usb_latency_ms, int port_file_fd,
                       char *err, size_t errlen);
void host_close(struct host *h);
int host_connected(const struct host *h);
int host_is_stdio(const struct host *h);
/* 1 once a host is on the line: a TCP client has connected, a pty host has sent a byte;
 * always 1 for stdio. */
int host_present(const struct host *h);
/* Poll host input into *in (waits up to timeout_us); flush pending output. */
void host_poll(struct host *h, struct ring *in, int timeout_us);
/* A byte the device sent, completed at virtual time t. */
void host_tx(struct host *h, uint8_t b, uint64_t t);
/* Virtual time at which the USB packet timer fires (T_NEVER if none). */
uint64_t host_next_event(const struct host *h);
void host_service(struct host *h, uint64_t now);
void host_set_deliver(struct host *h, void (*fn)(void *ctx, uint8_t b), void *ctx);
int host_eof(const struct host *h);
int host_port(const struct host *h);
struct ring *host_input(struct host *h);

#endif
