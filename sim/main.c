/*
 * f0sim: a virtual STM32F030xC that runs real firmware binaries (see docs/f0sim.md).
 *
 *   f0sim [--part stm32f030xc] [--flash FILE] [--load FILE[@ADDR]]... [--boot flash|rom]
 *         [--uart stdio|tcp:PORT|pty:PATH] [--port-file FILE] [--usb-latency-ms N]
 *         [--wait-host] [--realtime|--fast] [--until-ms T] [--until-uart STR]
 *         [--until-resets N] [--break ADDR]... [--power-cut-flash-op N] [--power-cut-ms T]
 *         [--uart-noise RATE] [--seed S] [--summary FILE] ...
 *
 * main only wires things up: the options (options.c), the files (files.c), the host side
 * (host.c) linked to the machine through pace.c, the machine (machine.h), the reports.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "exit_codes.h"
#include "files.h"
#include "host.h"
#include "machine.h"
#include "options.h"
#include "pace.h"
#include "report.h"
#include "watch.h"

static volatile sig_atomic_t g_signal;

static void on_signal(int sig) { g_signal = sig; }

/* CPU time of this process: the speed figure that does not depend on the host's load. */
static double cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void log_stderr(struct chip *c, const char *msg)
{
    fprintf(stderr, "f0sim: [%.3f ms] %s\n", (double)c->now / PS_PER_MS, msg);
}

/* Everything a run holds, released by sim_close() whatever happened. */
struct sim {
    struct chip chip;
    struct sim_cli cli;
    struct pace pace;
    struct host *host;
    uint8_t *flash;
    int flash_mapped;
    char ob_path[4200];
    char err[9000];
};

/* The flash (a mapped file, or erased memory) with the --load images in it. */
static int open_memory(struct sim *s)
{
    const struct part_desc *p = s->chip.o.part;
    int code = F0B_EXIT_OK;
    if (s->cli.flash_path) {
        if (!(s->flash = open_flash(s->cli.flash_path, p->flash_size, s->err, sizeof s->err)))
            return F0B_EXIT_OUTPUT;
        s->flash_mapped = 1;
        /* the option bytes persist beside the flash file, as the flash does */
        snprintf(s->ob_path, sizeof s->ob_path, "%s.ob", s->cli.flash_path);
        if (ob_open(&s->chip.ob, s->ob_path, s->err, sizeof s->err) != 0)
            return F0B_EXIT_OUTPUT;
    } else {
        ob_open(&s->chip.ob, NULL, s->err, sizeof s->err);
        if (!(s->flash = malloc(p->flash_size))) {
            snprintf(s->err, sizeof s->err, "out of memory");
            return F0B_EXIT_INTERNAL;
        }
        memset(s->flash, 0xFF, p->flash_size);
    }
    /* --load is what a debugger does: read-out protection closes flash to it */
    if (s->cli.nloads && ob_rdp_level(&s->chip.ob) >= 1) {
        snprintf(s->err, sizeof s->err,
                 "--load: read-out protection level %d is set (%s): "
                 "a debugger can neither read nor write flash; level 1 -> 0 erases the whole "
                 "chip (the ROM bootloader's Readout Unprotect, stm32flash -k)",
                 ob_rdp_level(&s->chip.ob), s->ob_path);
        return F0B_EXIT_INPUT_FORMAT;
    }
    for (int i = 0; i < s->cli.nloads; i++)
        if (load_image(s->cli.loads[i], p, s->flash, &code, s->err, sizeof s->err) != 0)
            return code;
    return F0B_EXIT_OK;
}

/* USART1's host side, announced on stderr and in the port file. */
static int open_host(struct sim *s)
{
    const char *uart = s->cli.uart;
    s->host = host_open(uart, s->chip.o.usb_latency_ms, s->err, sizeof s->err);
    if (!s->host)
        return F0B_EXIT_PORT;
    if (host_port(s->host)) {
        fprintf(stderr, "f0sim: USART1 on tcp 127.0.0.1:%d\n", host_port(s->host));
        if (s->cli.port_file && write_port_file(s->cli.port_file, host_port(s->host)) != 0) {
            snprintf(s->err, sizeof s->err, "--port-file %s: cannot write it: %s", s->cli.port_file,
                     strerror(errno));
            return F0B_EXIT_OUTPUT;
        }
    } else if (strncmp(uart, "pty:", 4) == 0 && !s->cli.quiet) {
        fprintf(stderr, "f0sim: USART1 on %s\n", uart + 4);
    }
    return F0B_EXIT_OK;
}

static int open_machine(struct sim *s)
{
    struct chip *c = &s->chip;
    c->o.realtime = s->cli.realtime >= 0 ? s->cli.realtime : !host_is_stdio(s->host);
    pace_init(&s->pace, c, s->host, c->o.realtime, &g_signal);
    c->link = &s->pace.link;
    c->poll_step = c->o.realtime ? 100ull * PS_PER_US : PS_PER_MS;
    c->idle_max_ps = PS_PER_MS; /* the same in both modes: one timeline (pace.c) */
    c->log = s->cli.quiet ? NULL : log_stderr;
    if (chip_init(c, s->flash) != 0) {
        snprintf(s->err, sizeof s->err, "cannot set up the CPU engine (Unicorn)");
        return F0B_EXIT_INTERNAL;
    }
    if (s->cli.profile && chip_profile_enable(c) != 0) {
        snprintf(s->err, sizeof s->err, "--profile: out of memory");
        return F0B_EXIT_INTERNAL;
    }
    c->next_poll = 0;
    if (s->cli.watch.path && watch_open(c, &s->cli.watch, s->err, sizeof s->err) != 0)
        return F0B_EXIT_OUTPUT;
    return F0B_EXIT_OK;
}

/* Run until the chip stops; the exit code of the run. */
static int run(struct sim *s)
{
    struct chip *c = &s->chip;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    /* --wait-host: the chip stays in reset until the host is on the line, so its boot
     * window opens when the host is there, however late the host starts (a loaded machine) */
    while (s->cli.wait_host && !g_signal && !host_present(s->host))
        host_poll(s->host, host_input(s->host), 100000);
    if (g_signal)
        chip_stop(c, STOP_SIGNAL, "signal %d", (int)g_signal);
    pace_start(&s->pace);
    double cpu0 = cpu_s();
    chip_run(c);
    double host_s = pace_host_seconds(&s->pace), cpu = cpu_s() - cpu0;
    int code = exit_code_for(c);
    if (c->stop != STOP_POWER_CUT && c->stop != STOP_UART)
        usart_flush_line(c); /* the characters still in USART1 finish: a last line shows */
    host_service(s->host, T_NEVER - 1u);        /* the last USB packet leaves */
    host_poll(s->host, host_input(s->host), 0); /* UART output before the summary */
    if (!s->cli.quiet || c->stop == STOP_HARDFAULT || c->stop == STOP_LOCKUP)
        fprintf(stderr,
                "f0sim: stopped (%s: %s) at %.3f ms virtual, PC 0x%08x; %llu instructions, "
                "%llu cycles in %.3f s host (%.3f s CPU) = %.1f M instructions/s\n",
                stop_reason_name(c->stop), c->stop_detail, (double)c->now / PS_PER_MS, c->stop_pc,
                (unsigned long long)c->st.insns, (unsigned long long)c->st.cycles, host_s, cpu,
                cpu > 0 ? (double)c->st.insns / cpu / 1e6 : 0.0);
    if (s->cli.summary && write_summary(s->cli.summary, c, code, host_s, cpu) != 0) {
        fprintf(stderr, "f0sim: --summary %s: cannot write it: %s\n", s->cli.summary,
                strerror(errno));
        if (code == F0B_EXIT_OK)
            code = F0B_EXIT_OUTPUT;
    }
    if (c->watch && watch_close(c) != 0) {
        fprintf(stderr, "f0sim: --watch %s: cannot write it: %s\n", s->cli.watch.path,
                strerror(errno));
        if (code == F0B_EXIT_OK)
            code = F0B_EXIT_OUTPUT;
    }
    if (s->cli.profile && write_profile(s->cli.profile, c) != 0) {
        fprintf(stderr, "f0sim: --profile %s: cannot write it: %s\n", s->cli.profile,
                strerror(errno));
        if (code == F0B_EXIT_OK)
            code = F0B_EXIT_OUTPUT;
    }
    return code;
}

static void sim_close(struct sim *s)
{
    uint32_t size = s->chip.o.part->flash_size;
    if (s->host)
        host_close(s->host);
    s->chip.link = NULL;
    chip_free(&s->chip);
    if (s->flash && s->flash_mapped) {
        msync(s->flash, size, MS_SYNC);
        munmap(s->flash, size);
    } else {
        free(s->flash);
    }
}

int main(int argc, char **argv)
{
    static struct sim sim;
    struct sim *s = &sim;
    if (options_parse(argc, argv, &s->chip.o, &s->cli, s->err, sizeof s->err) != 0) {
        fprintf(stderr, "f0sim: %s\n", s->err[0] ? s->err : "bad option");
        fprintf(stderr, "f0sim: see f0sim --help\n");
        return F0B_EXIT_USAGE;
    }
    if (s->cli.help) {
        options_usage(stdout);
        return F0B_EXIT_OK;
    }
    int code = open_memory(s);
    if (code == F0B_EXIT_OK)
        code = open_host(s);
    if (code == F0B_EXIT_OK)
        code = open_machine(s);
    if (code == F0B_EXIT_OK)
        code = run(s);
    else
        fprintf(stderr, "f0sim: %s\n", s->err);
    sim_close(s);
    return code;
}
