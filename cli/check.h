/*
 * f0boot check: the pre-flight run of an image behind the real bootloader on f0sim.
 *   check_sim.c     finding f0sim, the bootloader and addr2line; the flash image as the
 *                   bootloader would have committed it; running f0sim with its observer
 *   check_events.c  reading the observer's JSON lines (sim/watch.h) into events
 *   check_find.c    turning the events into findings (the article's pitfalls), with the fix
 *   cmd_check.c     the command: arguments, the image, the report
 * Nothing here prints but cmd_check.c.
 */
#ifndef F0B_CHECK_H
#define F0B_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "f0boot/image.h"

/* ---- events (check_events.c) ------------------------------------------------------------ */

enum chk_kind {
    CHK_EV_OTHER,
    CHK_EV_PC,
    CHK_EV_RESET,
    CHK_EV_EXCEPTION,
    CHK_EV_MEM_MODE,
    CHK_EV_INT_ENABLE,
    CHK_EV_WFI,
    CHK_EV_MASKED,
    CHK_EV_WRITE,
    CHK_EV_FLASH_OP,
    CHK_EV_FAULT,
    CHK_EV_UNMODELLED,
    CHK_EV_UART_OFFER,
    CHK_EV_HELD,
};

struct chk_ev {
    enum chk_kind kind;
    uint64_t t_us, since_us;
    uint32_t pc, addr, value, vector, from;
    int exc, size, primask, lockup, index, pending, mode_from, mode_to, write, dma;
    char map[8], why[160], op[16];
};

#define CHK_EXC_MAX 64

struct chk_end {
    int seen; /* the "end" line was there: the run finished */
    uint64_t t_us, wfi_masked, dropped;
    uint32_t stop_pc;
    char stop[24], detail[200];
    uint64_t exc_sram[CHK_EXC_MAX], exc_boot[CHK_EXC_MAX]; /* exceptions by number */
};

struct chk_events {
    struct chk_ev *v;
    size_t n, cap;
    struct chk_end end;
};

/* Parse the observer's output (text, len bytes) into ev (zeroed first; chk_events_free()).
 * Returns 0, or -1 with a message in err (a line that is not one of its JSON objects, out
 * of memory). A missing "end" line is not an error: ev->end.seen tells. */
int chk_events_parse(const char *text, size_t len, struct chk_events *ev, char *err, size_t n);
void chk_events_free(struct chk_events *ev);

/* ---- findings (check_find.c) ------------------------------------------------------------ */

enum chk_sev {
    CHK_NOTE,    /* worth knowing, not a failure */
    CHK_PITFALL, /* the application will not work behind the bootloader as it is */
    CHK_SIM,     /* f0sim could not run the application as the chip would */
};

struct chk_finding {
    const char *id; /* stable: "boot-table-no-remap", ... (README) */
    enum chk_sev sev;
    char what[600]; /* what the chip did */
    char fix[400];
    uint32_t pc; /* where (has_pc), for the source line */
    int has_pc;
    int pc_block;    /* pc is the start of the code block that did it (f0sim
                                      knows register and memory accesses per block) */
    char where[300]; /* "function at file:line" when the ELF is at hand */
};

/* What check_find needs to know about the image and the layout. */
struct chk_ctx {
    uint32_t app_start, app_end; /* the payload in flash: [app_start, app_end) */
    const uint8_t *app;          /* the payload bytes */
    uint32_t reset_pc;           /* the application's reset handler */
    uint32_t main_pc;            /* its `main`, when have_main */
    int have_main, have_elf;
    uint32_t boot_start, boot_end; /* the bootloader's flash */
    uint32_t rec_start, rec_end;   /* the boot record page */
    uint32_t vt_start, vt_end;     /* the reserved vector area in SRAM */
    uint32_t ms;                   /* the run's length */
};

#define CHK_MAX_FINDINGS 16

struct chk_result {
    struct chk_finding f[CHK_MAX_FINDINGS];
    int n, pitfalls, sim_problems;
    int started, reached_main, remapped;
    uint64_t start_us, main_us, remap_us;
    uint32_t remap_pc;
    /* an interrupt went through the bootloader's table and no remap was seen before the
     * run ended: a second run holding such interrupts back tells "never" from "too late" */
    int need_hold_run;
    int boot_table_idx; /* that finding's index */
    uint64_t irqs;      /* interrupts taken through the application's table */
};

/* Turn the events of the run into findings. */
void chk_find(const struct chk_ctx *ctx, const struct chk_events *ev, struct chk_result *r);
/* The second run (--watch-hold-boot-vectors): did the application remap after all?
 * Rewrites the boot-table finding as "late remap" or "no remap". */
void chk_find_hold(const struct chk_ctx *ctx, const struct chk_events *hold, struct chk_result *r);
/* The usual name of exception exc on the STM32F030 ("SysTick", "USART1 (IRQ 27)"). */
void chk_exc_name(int exc, char *buf, size_t n);

/* ---- the run (check_sim.c) --------------------------------------------------------------- */

/* A helper program or file: found beside the f0boot binary (or its build tree sibling), then
 * in the environment variable, then on PATH. */
struct chk_tools {
    char f0sim[4096];
    char bootloader[4096];
    char addr2line[4096]; /* "" when not found: no source lines */
};

/* Find f0sim and the bootloader (bootloader_arg: --bootloader FILE, or NULL). Returns 0, or
 * -1 with a message in err saying what is missing and what to do. */
int chk_find_tools(const char *bootloader_arg, struct chk_tools *t, char *err, size_t n);

/* One run of f0sim over the committed flash image. */
struct chk_run_req {
    const struct chk_tools *tools;
    const struct f0b_part *part;
    const uint8_t *cnt; /* the container: header + payload */
    size_t cnt_len;
    uint32_t ms;
    uint32_t main_pc; /* 0: not watched */
    int uart_byte;    /* offered 20 ms after the start */
    int hold;         /* --watch-hold-boot-vectors */
};

struct chk_run_out {
    char *events; /* the observer's lines (free()) */
    size_t events_len;
    char *uart; /* what the application sent on USART1 (free()) */
    size_t uart_len;
    char sim_log[2048]; /* f0sim's stderr, the last part */
    int sim_exit;
};

/* Build the flash (bootloader, payload, boot record with the commit word), run f0sim in a
 * temporary directory that is removed afterwards. Returns 0 (see out->sim_exit), or an
 * f0b_exit code with a message in err: INPUT_IO/INPUT_FORMAT (the bootloader file), OUTPUT
 * (the temporary files), CHECK_RUN (f0sim could not be started or failed on its options),
 * ABORTED (SIGINT/SIGTERM during the run: passed on to f0sim; the files are removed). */
int chk_run(const struct chk_run_req *req, struct chk_run_out *out, char *err, size_t n);
void chk_run_free(struct chk_run_out *out);

/* Source lines of the findings' PCs (arm-none-eabi-addr2line -f -e ELF), into f[i].where.
 * Nothing when addr2line is missing or fails. */
void chk_source_lines(const struct chk_tools *t, const char *elf, struct chk_result *r);

/* The `main` symbol of an ELF buffer (libelf). 0 and *addr, or -1 when there is none. */
int chk_elf_main(const uint8_t *buf, size_t len, uint32_t *addr);

#endif
