/*
 * f0sim: a virtual STM32F030xC that runs real firmware binaries (see docs/f0sim.md).
 *
 *   f0sim [--part stm32f030xc] [--flash FILE] [--load FILE[@ADDR]]... [--boot flash|rom]
 *         [--uart stdio|tcp:PORT|pty:PATH] [--port-file FILE] [--usb-latency-ms N]
 *         [--realtime|--fast] [--until-ms T] [--until-uart STR] [--until-resets N]
 *         [--break ADDR]... [--power-cut-flash-op N] [--power-cut-ms T]
 *         [--uart-noise RATE] [--seed S] [--summary FILE] ...
 */
#include "sim.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../cli/exit_codes.h"
#include "../cli/json.h"
#include "../cli/util.h"
#include "f0boot/image.h"

/* f0sim's own exit codes beyond the shared ones (docs/f0sim.md) */
enum {
    SIM_EXIT_FAULT = 20,        /* the firmware took a HardFault or locked up */
    SIM_EXIT_TIMEOUT = 21,      /* --until-uart pattern not seen before --until-ms */
    SIM_EXIT_STUCK = 22,        /* WFI with nothing that could ever wake the CPU */
    SIM_EXIT_STRICT = 23,       /* --strict: an unmodelled register was touched */
};

static const struct part_desc parts[] = {
#define F0B_PART(code, name, id, fkb, pg, skb, vt) \
    { name, id, (uint32_t)(fkb) * 1024u, pg, (uint32_t)(skb) * 1024u },
#include "f0boot/parts.def"
#undef F0B_PART
};

static volatile sig_atomic_t g_signal;
static int g_quiet;
static struct timespec g_wall0;    /* wall clock of virtual time g_virt0 (moves on a rebase) */
static struct timespec g_start;    /* wall clock at the start, for host_seconds */
static uint64_t g_virt0;

/* Longest lag behind the wall clock that realtime pacing catches up (seconds). */
#define PACE_MAX_LAG_S 0.5

static void on_signal(int sig) { g_signal = sig; }

/* CPU time of this process: the speed figure that does not depend on the host's load. */
static double cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double since_s(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) * 1e-9;
}

static double wall_s(void) { return since_s(&g_wall0); }

static void log_stderr(struct chip *c, const char *msg)
{
    if (!g_quiet)
        fprintf(stderr, "f0sim: [%.3f ms] %s\n", (double)c->now / PS_PER_MS, msg);
}

/* ---- callbacks from the core ---------------------------------------------------------- */

void main_poll(struct chip *c);
void main_poll(struct chip *c)
{
    if (g_signal) {
        chip_stop(c, STOP_SIGNAL, "signal %d", (int)g_signal);
        return;
    }
    if (!c->host)
        return;
    int wait_us = 0;
    if (c->o.realtime) {
        double virt = (double)(c->now - g_virt0) * 1e-12;
        double ahead = virt - wall_s();
        if (ahead > 0.0005)
            wait_us = (int)(ahead * 1e6);
        else if (ahead < -PACE_MAX_LAG_S)
            /* far behind (stopped, or slower than real time for long): give up the lost
             * time rather than race through it. Shorter lags (f0sim descheduled by a loaded
             * host, an oversleep in ppoll) are caught up by running unpaced until virtual
             * time meets the wall clock again, so they do not add up and do not eat into
             * the host's answer timeouts. */
            g_wall0.tv_nsec += (long)((-ahead - PACE_MAX_LAG_S) * 1e9);
        while (g_wall0.tv_nsec >= 1000000000L) {
            g_wall0.tv_nsec -= 1000000000L;
            g_wall0.tv_sec++;
        }
    }
    struct ring *in = host_input(c->host);
    int was_empty = ring_count(in) == 0;
    host_poll(c->host, in, wait_us);
    if (was_empty && ring_count(in))
        c->line_avail = c->now;     /* on the host's side of the line from now on */
}

/* --until-uart watches the bytes as the host receives them (after noise and the USB
 * adapter's packet timer). */
static void watch_uart(void *ctx, uint8_t b)
{
    struct chip *c = ctx;
    const char *pat = c->o.until_uart;
    if (pat && *pat) {
        size_t n = strlen(pat);
        /* naive restart is enough for the short patterns this is used with */
        if ((uint8_t)pat[c->uart_match] == b) {
            if (++c->uart_match == n)
                chip_stop(c, STOP_UART, "saw \"%s\" on the UART", pat);
        } else {
            c->uart_match = (uint8_t)pat[0] == b ? 1u : 0u;
        }
    }
}

/* Idle polling wants virtual time to move to target: in realtime mode wait for the wall
 * clock to get there, or less if the host sends something first. Returns the new time. */
uint64_t main_idle(struct chip *c, uint64_t target);
uint64_t main_idle(struct chip *c, uint64_t target)
{
    if (!c->o.realtime || !c->host || g_signal)
        return target;
    double ahead = (double)(target - g_virt0) * 1e-12 - wall_s();
    if (ahead > 0.0)
        host_poll(c->host, host_input(c->host), (int)(ahead * 1e6));
    double w = wall_s();
    uint64_t v = g_virt0 + (uint64_t)(w > 0 ? w * 1e12 : 0);
    return v < target ? (v > c->now ? v : c->now) : target;
}

void main_uart_tx(struct chip *c, uint8_t b);
void main_uart_tx(struct chip *c, uint8_t b)
{
    if (chip_line_noise(c, &b) < 0)
        return;
    if (c->host)
        host_tx(c->host, b, c->now);
}

void main_break_hook(uc_engine *uc, uint64_t addr, uint32_t size, void *ud);
void main_break_hook(uc_engine *uc, uint64_t addr, uint32_t size, void *ud)
{
    (void)uc; (void)size;
    struct chip *c = ud;
    chip_stop(c, STOP_BREAK, "breakpoint at 0x%08x", (uint32_t)addr);
    c->stop_pc = (uint32_t)addr;
}

/* ---- files ---------------------------------------------------------------------------- */

/* Output files appear whole or not at all: written to PATH.tmp.PID and renamed over PATH
 * when complete. "-" (where allowed) is stdout. */
struct outfile {
    FILE *f;
    const char *path;
    char tmp[4200];
};

static FILE *out_open(struct outfile *o, const char *path, const char *mode, int dash_stdout)
{
    o->path = path;
    if (dash_stdout && strcmp(path, "-") == 0)
        return o->f = stdout;
    snprintf(o->tmp, sizeof o->tmp, "%s.tmp.%d", path, (int)getpid());
    return o->f = fopen(o->tmp, mode);
}

/* ok: everything was written. 0 when the file is in place, -1 (errno set) when not. */
static int out_close(struct outfile *o, int ok)
{
    if (o->f == stdout)
        return fflush(stdout) == 0 && ok ? 0 : -1;
    ok &= fclose(o->f) == 0;
    if (!ok || rename(o->tmp, o->path) != 0) {
        int e = errno;
        unlink(o->tmp);
        errno = e;
        return -1;
    }
    return 0;
}

/* Open (or create erased) the persistent flash file and map it. */
static uint8_t *open_flash(const char *path, uint32_t size, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        /* create it erased */
        struct outfile o;
        FILE *f = out_open(&o, path, "wb", 0);
        if (!f) {
            snprintf(err, errlen, "--flash %s: cannot create it: %s", path, strerror(errno));
            return NULL;
        }
        uint8_t ff[4096];
        memset(ff, 0xFF, sizeof ff);
        int ok = 1;
        for (uint32_t i = 0; i < size; i += sizeof ff)
            ok &= fwrite(ff, 1, sizeof ff, f) == sizeof ff;
        if (out_close(&o, ok) != 0) {
            snprintf(err, errlen, "--flash %s: cannot write it: %s", path, strerror(errno));
            return NULL;
        }
    } else if ((uint64_t)st.st_size != size) {
        snprintf(err, errlen, "--flash %s is %lld bytes but the part's flash is %u bytes: "
                 "pass the matching --part, or delete the file to start erased",
                 path, (long long)st.st_size, size);
        return NULL;
    }
    int fd = open(path, O_RDWR);
    if (fd < 0) {
        snprintf(err, errlen, "--flash %s: cannot open it read-write: %s", path, strerror(errno));
        return NULL;
    }
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (m == MAP_FAILED) {
        snprintf(err, errlen, "--flash %s: mmap failed: %s", path, strerror(errno));
        return NULL;
    }
    return m;
}

static int load_image(const char *spec, const struct part_desc *p, uint8_t *flash, int *exit_code,
                      char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", spec);
    int have_addr = 0;
    uint32_t addr = 0;
    char *at = strrchr(path, '@');
    if (at && at[1]) {
        char *end;
        unsigned long a = strtoul(at + 1, &end, 0);
        if (!*end) {
            *at = 0;
            have_addr = 1;
            addr = (uint32_t)a;
        }
    }
    uint8_t *buf = NULL;
    size_t len = 0;
    struct f0b_image img;
    struct f0b_img_error ie;
    int rc = -1;
    f0b_image_init(&img);
    char msg[512];
    if ((*exit_code = cli_read_file(path, &buf, &len, msg, sizeof msg)) != 0) {
        snprintf(err, errlen, "--load: %s", msg);
        goto done;
    }
    if (f0b_sniff(buf, len) == F0B_FMT_CONTAINER) {
        snprintf(err, errlen, "--load %s is an f0boot container: flash it through the bootloader "
                 "(f0boot flash socket://...), or load the ELF/HEX it was packed from", path);
        *exit_code = F0B_EXIT_INPUT_FORMAT;
        goto done;
    }
    memset(&ie, 0, sizeof ie);
    if (f0b_image_read(buf, len, have_addr, addr, &img, &ie) != F0B_IMG_OK) {
        snprintf(err, errlen, "--load %s: %s%s", path, ie.detail[0] ? ie.detail : f0b_image_strerror(ie.code),
                 f0b_sniff(buf, len) == F0B_FMT_BIN && !have_addr ? " (raw binary needs FILE@ADDR, e.g. app.bin@0x08000000)" : "");
        *exit_code = F0B_EXIT_INPUT_FORMAT;
        goto done;
    }
    for (size_t i = 0; i < img.nseg; i++) {
        const struct f0b_seg *s = &img.segs[i];
        if (s->addr < FLASH_BASE || (uint64_t)s->addr + s->len > (uint64_t)FLASH_BASE + p->flash_size) {
            snprintf(err, errlen, "--load %s: data at 0x%08x-0x%08x is outside the %s flash "
                     "(0x%08x-0x%08x); link it for flash, or give the right @ADDR",
                     path, s->addr, s->addr + s->len - 1u, p->name, FLASH_BASE,
                     FLASH_BASE + p->flash_size - 1u);
            *exit_code = F0B_EXIT_INPUT_FORMAT;
            goto done;
        }
        memcpy(flash + (s->addr - FLASH_BASE), s->data, s->len);
    }
    rc = 0;
done:
    f0b_image_free(&img);
    free(buf);
    return rc;
}

static int write_port_file(const char *path, int port)
{
    struct outfile o;
    FILE *f = out_open(&o, path, "w", 0);
    if (!f)
        return -1;
    return out_close(&o, fprintf(f, "%d\n", port) > 0);
}

/* ---- summary -------------------------------------------------------------------------- */

static int exit_code_for(const struct chip *c)
{
    switch (c->stop) {
    case STOP_HARDFAULT: case STOP_LOCKUP: return SIM_EXIT_FAULT;
    case STOP_TIME: return c->o.until_uart ? SIM_EXIT_TIMEOUT : F0B_EXIT_OK;
    case STOP_SLEEP_FOREVER: return SIM_EXIT_STUCK;
    case STOP_ERROR: return SIM_EXIT_STRICT;
    default: return F0B_EXIT_OK;
    }
}

static int write_profile(const char *path, const struct chip *c)
{
    struct outfile o;
    FILE *f = out_open(&o, path, "w", 1);
    if (!f)
        return -1;
    return out_close(&o, chip_profile_write(c, f) == 0);
}

static int write_summary(const char *path, const struct chip *c, int code, double host_s, double cpu)
{
    struct outfile o;
    FILE *f = out_open(&o, path, "w", 1);
    if (!f)
        return -1;
    struct json j;
    json_begin(&j, f);
    json_str(&j, "part", c->o.part->name);
    json_str(&j, "boot", c->o.boot_rom ? "rom" : "flash");
    json_str(&j, "stop_reason", stop_reason_name(c->stop));
    json_str(&j, "stop_detail", c->stop_detail);
    json_hex32(&j, "stop_pc", c->stop_pc);
    json_i64(&j, "exit_code", code);
    json_dbl(&j, "virtual_ms", (double)c->now / PS_PER_MS);
    json_u64(&j, "instructions", c->st.insns);
    json_u64(&j, "cycles", c->st.cycles);
    json_dbl(&j, "host_seconds", host_s);
    json_dbl(&j, "host_cpu_seconds", cpu);
    json_dbl(&j, "instructions_per_second", cpu > 0 ? (double)c->st.insns / cpu : 0.0);
    json_dbl(&j, "realtime_factor", cpu > 0 ? (double)c->now / PS_PER_MS / 1000.0 / cpu : 0.0);
    json_dbl(&j, "idle_skipped_ms", (double)c->idle_skipped_ps / PS_PER_MS);
    json_u64(&j, "resets", c->st.resets);
    json_u64(&j, "exceptions_taken", c->st.irqs_taken);
    json_u64(&j, "faults", c->st.faults);
    json_u64(&j, "unmodelled_accesses", c->st.unmodelled);
    json_obj(&j, "flash");
    json_u64(&j, "programs", c->st.prog_ops);
    json_u64(&j, "page_erases", c->st.page_erases);
    json_u64(&j, "mass_erases", c->st.mass_erases);
    json_u64(&j, "pgerr", c->st.prog_errors);
    json_u64(&j, "wrprterr", c->st.wrprt_errors);
    json_close(&j);
    json_obj(&j, "uart");
    json_u64(&j, "rx_bytes", c->st.uart_rx);
    json_u64(&j, "tx_bytes", c->st.uart_tx);
    json_u64(&j, "overruns", c->st.overruns);
    json_u64(&j, "rx_lost_while_disabled", c->st.rx_lost);
    json_close(&j);
    json_obj(&j, "faults_injected");
    json_bool(&j, "power_cut", c->stop == STOP_POWER_CUT);
    json_u64(&j, "flash_op_at_cut", c->stop == STOP_POWER_CUT ? c->flash_ops : 0);
    json_u64(&j, "noise_bit_flips", c->st.noise_flips);
    json_u64(&j, "noise_dropped_bytes", c->st.noise_drops);
    json_close(&j);
    if (c->rom_running || c->o.boot_rom) {
        json_obj(&j, "rom");
        json_u64(&j, "commands", c->rom.commands);
        json_u64(&j, "nacks", c->rom.nacks);
        json_close(&j);
    }
    json_end(&j);
    return out_close(&o, !ferror(f));
}

/* ---- command line --------------------------------------------------------------------- */

static void usage(FILE *f)
{
    fputs(
"usage: f0sim [options]\n"
"A virtual STM32F030xC running real firmware (docs/f0sim.md).\n"
"  --part NAME              part (default stm32f030xc)\n"
"  --flash FILE             persistent flash contents (created erased if missing)\n"
"  --load FILE[@ADDR]       program ELF / Intel HEX / raw binary (needs @ADDR) into flash\n"
"  --boot flash|rom         BOOT0 low (default) or high: the AN3155 ROM bootloader model\n"
"  --uart stdio|tcp:PORT|pty:PATH   where USART1 goes (default stdio; tcp:0 picks a port)\n"
"  --port-file FILE         write the TCP port number there once listening\n"
"  --usb-latency-ms N       device->host bytes leave in 62-byte packets or after N ms\n"
"  --wait-host              hold the chip in reset until a host is on the line (tcp: a client\n"
"                           connects; pty: the host sends its first byte)\n"
"  --realtime | --fast      pace virtual time to the wall clock (default for tcp/pty) or not\n"
"  --until-ms T             stop at virtual time T ms\n"
"  --until-uart STRING      stop when the device sends STRING (exit 21 if --until-ms hits first)\n"
"  --until-resets N         stop at the Nth reset\n"
"  --break ADDR             stop when the CPU reaches ADDR (repeatable)\n"
"  --power-cut-flash-op N   cut the power during the Nth flash operation (torn data)\n"
"  --power-cut-ms T         cut the power at virtual time T ms\n"
"  --uart-noise RATE        per-byte probability of a bit flip or a dropped byte (both ways)\n"
"  --seed S                 seed for noise and torn writes (default 1)\n"
"  --summary FILE           JSON summary at the end ('-' = stdout)\n"
"  --flash-prog-us X        half-word program time (default 53.5)\n"
"  --flash-erase-ms X       page erase time (default 30); --flash-mass-erase-ms X (30)\n"
"  --rom-baud N             line rate the ROM model's 8E1 characters are timed at (115200)\n"
"  --on-fault stop|run      stop at a HardFault (default) or run the firmware's handler\n"
"  --strict                 stop at the first unmodelled register access\n"
"  --no-idle-skip           run polling loops instruction by instruction (slower)\n"
"  --profile FILE           cycles and flash stalls per code block, costliest first\n"
"  --quiet                  no log lines on stderr\n"
"exit: 0 stopped as asked, 2 usage, 3/4 --load unreadable/malformed, 6 --flash file,\n"
"      20 HardFault/lockup, 21 --until-uart not seen in time, 22 CPU asleep forever, 23 --strict\n",
        f);
}

static int parse_num(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || v < 0)
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    enum { O_PART = 256, O_FLASH, O_LOAD, O_BOOT, O_UART, O_PORTFILE, O_USBLAT, O_RT, O_FAST,
           O_UNTIL_MS, O_UNTIL_UART, O_UNTIL_RESETS, O_BREAK, O_PC_OP, O_PC_MS, O_NOISE, O_SEED,
           O_SUMMARY, O_PROG_US, O_ERASE_MS, O_MASS_MS, O_ROM_BAUD, O_ON_FAULT, O_STRICT, O_QUIET,
           O_NO_IDLE, O_PROFILE, O_WAIT_HOST, O_HELP };
    static const struct option lo[] = {
        { "part", 1, 0, O_PART }, { "flash", 1, 0, O_FLASH }, { "load", 1, 0, O_LOAD },
        { "boot", 1, 0, O_BOOT }, { "uart", 1, 0, O_UART }, { "port-file", 1, 0, O_PORTFILE },
        { "usb-latency-ms", 1, 0, O_USBLAT }, { "realtime", 0, 0, O_RT }, { "fast", 0, 0, O_FAST },
        { "until-ms", 1, 0, O_UNTIL_MS }, { "until-uart", 1, 0, O_UNTIL_UART },
        { "until-resets", 1, 0, O_UNTIL_RESETS }, { "break", 1, 0, O_BREAK },
        { "power-cut-flash-op", 1, 0, O_PC_OP }, { "power-cut-ms", 1, 0, O_PC_MS },
        { "uart-noise", 1, 0, O_NOISE }, { "seed", 1, 0, O_SEED }, { "summary", 1, 0, O_SUMMARY },
        { "flash-prog-us", 1, 0, O_PROG_US }, { "flash-erase-ms", 1, 0, O_ERASE_MS },
        { "flash-mass-erase-ms", 1, 0, O_MASS_MS }, { "rom-baud", 1, 0, O_ROM_BAUD },
        { "on-fault", 1, 0, O_ON_FAULT }, { "strict", 0, 0, O_STRICT }, { "quiet", 0, 0, O_QUIET },
        { "no-idle-skip", 0, 0, O_NO_IDLE }, { "profile", 1, 0, O_PROFILE },
        { "wait-host", 0, 0, O_WAIT_HOST }, { "help", 0, 0, O_HELP }, { 0, 0, 0, 0 }
    };
    static struct chip chip;
    struct chip *c = &chip;
    const char *flash_path = NULL, *uart = "stdio", *port_file = NULL, *summary = NULL;
    const char *profile = NULL;
    const char *loads[16];
    int nloads = 0, rt = -1, code = F0B_EXIT_OK, wait_host = 0;
    char err[9000] = "";
    uint8_t *flash = NULL;
    int flash_mapped = 0;
    double d;

    c->o.part = &parts[3];
    c->o.prog_ps = 53500000u;
    c->o.erase_ps = 30ull * PS_PER_MS;
    c->o.mass_erase_ps = 30ull * PS_PER_MS;
    c->o.seed = 1;
    c->o.rom_baud = 115200;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (strcmp(parts[i].name, "stm32f030xc") == 0)
            c->o.part = &parts[i];

    int opt;
    while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (opt) {
        case O_PART: {
            const struct part_desc *p = NULL;
            for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
                if (strcasecmp(parts[i].name, optarg) == 0)
                    p = &parts[i];
            if (!p) {
                snprintf(err, sizeof err, "--part %s: unknown part (try stm32f030xc)", optarg);
                goto usage_err;
            }
            c->o.part = p;
            break;
        }
        case O_FLASH: flash_path = optarg; break;
        case O_LOAD:
            if (nloads == 16) { snprintf(err, sizeof err, "at most 16 --load options"); goto usage_err; }
            loads[nloads++] = optarg;
            break;
        case O_BOOT:
            if (strcmp(optarg, "rom") == 0) c->o.boot_rom = 1;
            else if (strcmp(optarg, "flash") == 0) c->o.boot_rom = 0;
            else { snprintf(err, sizeof err, "--boot %s: expected flash or rom", optarg); goto usage_err; }
            break;
        case O_UART: uart = optarg; break;
        case O_PORTFILE: port_file = optarg; break;
        case O_USBLAT:
            if (parse_num(optarg, &d) || d > 1000) { snprintf(err, sizeof err, "--usb-latency-ms %s: expected 0-1000", optarg); goto usage_err; }
            c->o.usb_latency_ms = (uint32_t)d;
            break;
        case O_RT: rt = 1; break;
        case O_FAST: rt = 0; break;
        case O_UNTIL_MS:
            if (parse_num(optarg, &d) || d <= 0) { snprintf(err, sizeof err, "--until-ms %s: expected a positive number of ms", optarg); goto usage_err; }
            c->o.until_ps = (uint64_t)(d * (double)PS_PER_MS);
            break;
        case O_UNTIL_UART:
            if (!*optarg) { snprintf(err, sizeof err, "--until-uart needs a non-empty string"); goto usage_err; }
            c->o.until_uart = optarg;
            break;
        case O_UNTIL_RESETS:
            if (parse_num(optarg, &d) || d < 1) { snprintf(err, sizeof err, "--until-resets %s: expected a count >= 1", optarg); goto usage_err; }
            c->o.until_resets = (uint32_t)d;
            break;
        case O_BREAK: {
            char *end;
            unsigned long a = strtoul(optarg, &end, 0);
            if (*end || end == optarg || c->o.nbreak == 16) { snprintf(err, sizeof err, "--break %s: expected an address (at most 16)", optarg); goto usage_err; }
            c->o.breaks[c->o.nbreak++] = (uint32_t)a & ~1u;
            break;
        }
        case O_PC_OP:
            if (parse_num(optarg, &d) || d < 1) { snprintf(err, sizeof err, "--power-cut-flash-op %s: expected N >= 1", optarg); goto usage_err; }
            c->o.power_cut_op = (uint64_t)d;
            break;
        case O_PC_MS:
            if (parse_num(optarg, &d) || d <= 0) { snprintf(err, sizeof err, "--power-cut-ms %s: expected a time in ms", optarg); goto usage_err; }
            c->o.power_cut_ps = (uint64_t)(d * (double)PS_PER_MS);
            break;
        case O_NOISE:
            if (parse_num(optarg, &d) || d > 1) { snprintf(err, sizeof err, "--uart-noise %s: expected a probability 0-1", optarg); goto usage_err; }
            c->o.noise_rate = d;
            break;
        case O_SEED: c->o.seed = strtoull(optarg, NULL, 0); break;
        case O_SUMMARY: summary = optarg; break;
        case O_PROG_US:
            if (parse_num(optarg, &d)) { snprintf(err, sizeof err, "--flash-prog-us %s: expected microseconds", optarg); goto usage_err; }
            c->o.prog_ps = (uint32_t)(d * (double)PS_PER_US);
            break;
        case O_ERASE_MS:
            if (parse_num(optarg, &d)) { snprintf(err, sizeof err, "--flash-erase-ms %s: expected milliseconds", optarg); goto usage_err; }
            c->o.erase_ps = (uint64_t)(d * (double)PS_PER_MS);
            break;
        case O_MASS_MS:
            if (parse_num(optarg, &d)) { snprintf(err, sizeof err, "--flash-mass-erase-ms %s: expected milliseconds", optarg); goto usage_err; }
            c->o.mass_erase_ps = (uint64_t)(d * (double)PS_PER_MS);
            break;
        case O_ROM_BAUD:
            if (parse_num(optarg, &d) || d < 1200 || d > 4000000) { snprintf(err, sizeof err, "--rom-baud %s: expected 1200-4000000", optarg); goto usage_err; }
            c->o.rom_baud = (uint32_t)d;
            break;
        case O_ON_FAULT:
            if (strcmp(optarg, "run") == 0) c->o.fault_continue = 1;
            else if (strcmp(optarg, "stop") == 0) c->o.fault_continue = 0;
            else { snprintf(err, sizeof err, "--on-fault %s: expected stop or run", optarg); goto usage_err; }
            break;
        case O_STRICT: c->o.trace_unmodelled_stop = 1; break;
        case O_QUIET: g_quiet = 1; break;
        case O_NO_IDLE: c->o.no_idle_skip = 1; break;
        case O_PROFILE: profile = optarg; break;
        case O_WAIT_HOST: wait_host = 1; break;
        case O_HELP: usage(stdout); return 0;
        default: goto usage_err;
        }
    }
    if (optind < argc) {
        snprintf(err, sizeof err, "unexpected argument '%s' (images go after --load)", argv[optind]);
        goto usage_err;
    }

    const struct part_desc *p = c->o.part;
    if (flash_path) {
        if (!(flash = open_flash(flash_path, p->flash_size, err, sizeof err))) {
            code = F0B_EXIT_OUTPUT;
            goto fail;
        }
        flash_mapped = 1;
    } else {
        if (!(flash = malloc(p->flash_size))) {
            snprintf(err, sizeof err, "out of memory");
            code = F0B_EXIT_INTERNAL;
            goto fail;
        }
        memset(flash, 0xFF, p->flash_size);
    }
    for (int i = 0; i < nloads; i++)
        if (load_image(loads[i], p, flash, &code, err, sizeof err) != 0)
            goto fail;

    c->host = host_open(uart, c->o.usb_latency_ms, -1, err, sizeof err);
    if (!c->host) {
        code = F0B_EXIT_PORT;
        goto fail;
    }
    if (host_port(c->host)) {
        fprintf(stderr, "f0sim: USART1 on tcp 127.0.0.1:%d\n", host_port(c->host));
        if (port_file && write_port_file(port_file, host_port(c->host)) != 0) {
            snprintf(err, sizeof err, "--port-file %s: cannot write it: %s", port_file, strerror(errno));
            code = F0B_EXIT_OUTPUT;
            goto fail;
        }
    } else if (strncmp(uart, "pty:", 4) == 0 && !g_quiet) {
        fprintf(stderr, "f0sim: USART1 on %s\n", uart + 4);
    }
    host_set_deliver(c->host, watch_uart, c);
    c->o.realtime = rt >= 0 ? rt : !host_is_stdio(c->host);
    c->poll_step = c->o.realtime ? 100ull * PS_PER_US : PS_PER_MS;
    c->idle_max_ps = c->o.realtime ? 50ull * PS_PER_US : PS_PER_MS;
    c->log = log_stderr;
    if (chip_init(c, flash) != 0) {
        snprintf(err, sizeof err, "cannot set up the CPU engine (Unicorn)");
        code = F0B_EXIT_INTERNAL;
        goto fail;
    }
    if (profile && chip_profile_enable(c) != 0) {
        snprintf(err, sizeof err, "--profile: out of memory");
        code = F0B_EXIT_INTERNAL;
        goto fail;
    }
    c->next_poll = 0;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    /* --wait-host: the chip stays in reset until the host is on the line, so its boot
     * window opens when the host is there, however late the host starts (a loaded machine) */
    while (wait_host && !g_signal && !host_present(c->host))
        host_poll(c->host, host_input(c->host), 100000);
    if (g_signal)
        chip_stop(c, STOP_SIGNAL, "signal %d", (int)g_signal);
    clock_gettime(CLOCK_MONOTONIC, &g_wall0);
    g_start = g_wall0;
    g_virt0 = c->now;
    double cpu0 = cpu_s();

    chip_run(c);

    double host_s = since_s(&g_start), cpu = cpu_s() - cpu0;
    code = exit_code_for(c);
    if (c->stop != STOP_POWER_CUT && c->stop != STOP_UART) {
        /* let the characters still in USART1 finish, so the last line of a report shows */
        if (c->u1.tx_busy)
            main_uart_tx(c, c->u1.tx_shift);
        if (c->u1.tdr_full)
            main_uart_tx(c, c->u1.tdr);
    }
    host_service(c->host, T_NEVER - 1u);           /* the last USB packet leaves */
    host_poll(c->host, host_input(c->host), 0);    /* UART output before the summary */
    if (!g_quiet || c->stop == STOP_HARDFAULT || c->stop == STOP_LOCKUP)
        fprintf(stderr, "f0sim: stopped (%s: %s) at %.3f ms virtual, PC 0x%08x; %llu instructions, "
                "%llu cycles in %.3f s host (%.3f s CPU) = %.1f M instructions/s\n",
                stop_reason_name(c->stop), c->stop_detail, (double)c->now / PS_PER_MS, c->stop_pc,
                (unsigned long long)c->st.insns, (unsigned long long)c->st.cycles, host_s, cpu,
                cpu > 0 ? (double)c->st.insns / cpu / 1e6 : 0.0);
    if (summary && write_summary(summary, c, code, host_s, cpu) != 0) {
        fprintf(stderr, "f0sim: --summary %s: cannot write it: %s\n", summary, strerror(errno));
        if (code == F0B_EXIT_OK)
            code = F0B_EXIT_OUTPUT;
    }
    if (profile && write_profile(profile, c) != 0) {
        fprintf(stderr, "f0sim: --profile %s: cannot write it: %s\n", profile, strerror(errno));
        if (code == F0B_EXIT_OK)
            code = F0B_EXIT_OUTPUT;
    }
    host_close(c->host);
    c->host = NULL;
    chip_free(c);
    if (flash_mapped) {
        msync(flash, p->flash_size, MS_SYNC);
        munmap(flash, p->flash_size);
    } else {
        free(flash);
    }
    return code;

usage_err:
    fprintf(stderr, "f0sim: %s\n", err[0] ? err : "bad option");
    fprintf(stderr, "f0sim: see f0sim --help\n");
    return F0B_EXIT_USAGE;
fail:
    fprintf(stderr, "f0sim: %s\n", err);
    if (c->host)
        host_close(c->host);
    if (flash && flash_mapped)
        munmap(flash, c->o.part->flash_size);
    else
        free(flash);
    return code;
}
