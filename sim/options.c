/*
 * f0sim's command line: one table (opts[]) of every option with its parser, the defaults,
 * and the usage text (docs/f0sim.md has the same list).
 */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void options_usage(FILE *f)
{
    fputs(
        "usage: f0sim [options]\n"
        "A virtual STM32F030xC running real firmware (docs/f0sim.md).\n"
        "  --part NAME              part (default stm32f030xc)\n"
        "  --flash FILE             persistent flash contents (created erased if missing)\n"
        "  --load FILE[@ADDR]       program ELF / Intel HEX / raw binary (needs @ADDR) into flash\n"
        "  --boot flash|rom         BOOT0 low (default) or high: the AN3155 ROM bootloader model\n"
        "  --uart stdio|tcp:PORT|pty:PATH   where USART1 goes (default stdio; tcp:0 picks a port)\n"
        "         rfc2217:PORT[,nrst=dtr|rts]   TCP with telnet RFC 2217: the host's DTR (or RTS) drives NRST\n"
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
        "  --hse-hz N               the board's HSE crystal (default 8000000; 0 = none, HSERDY never sets)\n"
        "  --sram-random            SRAM holds seeded random bytes at power-on (--seed), not zeros\n"
        "  --sram-word ADDR=VALUE   a 32-bit word in SRAM at power-on (repeatable, after --sram-random)\n"
        "  --rom-baud N             line rate the ROM model's 8E1 characters are timed at (115200)\n"
        "  --on-fault stop|run      stop at a HardFault (default) or run the firmware's handler\n"
        "  --strict                 stop at the first unmodelled register access\n"
        "  --no-idle-skip           run polling loops instruction by instruction (slower)\n"
        "  --profile FILE           cycles and flash stalls per code block, costliest first\n"
        "  --quiet                  no log lines on stderr\n"
        "  --watch FILE             observer: JSON lines of what the chip did (sim/watch.h), with\n"
        "    --watch-pc ADDR          the first time the CPU reaches ADDR (repeatable; the first is\n"
        "                             the start, e.g. the application's reset handler)\n"
        "    --watch-write LO-HI      stores into SRAM LO-HI (also through address 0), flash\n"
        "                             operations on flash LO-HI (repeatable)\n"
        "    --watch-uart BYTE@MS     put BYTE on USART1's line MS ms after the start\n"
        "    --watch-masked-ms N      report an exception pending with PRIMASK set this long (10)\n"
        "    --watch-hold-boot-vectors  diagnostic: after the start, exceptions wait while address 0\n"
        "                             maps flash instead of being taken through its table\n"
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

static const struct part_desc parts[] = {
#define F0B_PART(code, name, id, fkb, pg, skb, vt) \
    {name, id, (uint32_t)(fkb)*1024u, pg, (uint32_t)(skb)*1024u},
#include "f0boot/parts.def"
#undef F0B_PART
};

/* What one option's parser works on; it returns 0, or -1 with a message in err. */
struct optctx {
    struct chip_opts *o;
    struct sim_cli *cli;
    char *err;
    size_t errlen;
};

#define BAD(x, ...) (snprintf((x)->err, (x)->errlen, __VA_ARGS__), -1)

static int o_part(struct optctx *x, const char *a)
{
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (strcasecmp(parts[i].name, a) == 0) {
            x->o->part = &parts[i];
            return 0;
        }
    return BAD(x, "--part %s: unknown part (try stm32f030xc)", a);
}

static int o_flash(struct optctx *x, const char *a)
{
    x->cli->flash_path = a;
    return 0;
}
static int o_uart(struct optctx *x, const char *a)
{
    x->cli->uart = a;
    return 0;
}
static int o_port_file(struct optctx *x, const char *a)
{
    x->cli->port_file = a;
    return 0;
}
static int o_summary(struct optctx *x, const char *a)
{
    x->cli->summary = a;
    return 0;
}
static int o_profile(struct optctx *x, const char *a)
{
    x->cli->profile = a;
    return 0;
}
static int o_realtime(struct optctx *x, const char *a)
{
    (void)a;
    x->cli->realtime = 1;
    return 0;
}
static int o_fast(struct optctx *x, const char *a)
{
    (void)a;
    x->cli->realtime = 0;
    return 0;
}
static int o_wait_host(struct optctx *x, const char *a)
{
    (void)a;
    x->cli->wait_host = 1;
    return 0;
}
static int o_quiet(struct optctx *x, const char *a)
{
    (void)a;
    x->cli->quiet = 1;
    return 0;
}
static int o_help(struct optctx *x, const char *a)
{
    (void)a;
    x->cli->help = 1;
    return 0;
}
static int o_strict(struct optctx *x, const char *a)
{
    (void)a;
    x->o->trace_unmodelled_stop = 1;
    return 0;
}
static int o_no_idle(struct optctx *x, const char *a)
{
    (void)a;
    x->o->no_idle_skip = 1;
    return 0;
}
/* --watch and its options: parsed by watch.c; the name is the option's, without dashes */
static int o_watch_any(struct optctx *x, const char *name, const char *a)
{
    return watch_option(&x->cli->watch, name, a, x->err, x->errlen) == 0 ? 0 : -1;
}
static int o_watch(struct optctx *x, const char *a) { return o_watch_any(x, "watch", a); }
static int o_watch_pc(struct optctx *x, const char *a) { return o_watch_any(x, "watch-pc", a); }
static int o_watch_write(struct optctx *x, const char *a)
{
    return o_watch_any(x, "watch-write", a);
}
static int o_watch_uart(struct optctx *x, const char *a) { return o_watch_any(x, "watch-uart", a); }
static int o_watch_masked(struct optctx *x, const char *a)
{
    return o_watch_any(x, "watch-masked-ms", a);
}
static int o_watch_hold(struct optctx *x, const char *a)
{
    return o_watch_any(x, "watch-hold-boot-vectors", a);
}
static int o_seed(struct optctx *x, const char *a)
{
    x->o->seed = strtoull(a, NULL, 0);
    return 0;
}

static int o_load(struct optctx *x, const char *a)
{
    if (x->cli->nloads == SIM_MAX_LOADS)
        return BAD(x, "at most 16 --load options");
    x->cli->loads[x->cli->nloads++] = a;
    return 0;
}

static int o_boot(struct optctx *x, const char *a)
{
    if (strcmp(a, "rom") != 0 && strcmp(a, "flash") != 0)
        return BAD(x, "--boot %s: expected flash or rom", a);
    x->o->boot_rom = strcmp(a, "rom") == 0;
    return 0;
}

static int o_usb_latency(struct optctx *x, const char *a)
{
    double d;
    if (parse_num(a, &d) || d > 1000)
        return BAD(x, "--usb-latency-ms %s: expected 0-1000", a);
    x->o->usb_latency_ms = (uint32_t)d;
    return 0;
}

static int o_until_ms(struct optctx *x, const char *a)
{
    double d;
    if (parse_num(a, &d) || d <= 0)
        return BAD(x, "--until-ms %s: expected a positive number of ms", a);
    x->o->until_ps = (uint64_t)(d * (double)PS_PER_MS);
    return 0;
}

static int o_until_uart(struct optctx *x, const char *a)
{
    if (!*a)
        return BAD(x, "--until-uart needs a non-empty string");
    x->o->until_uart = a;
    return 0;
}

static int o_until_resets(struct optctx *x, const char *a)
{
    double d;
    if (parse_num(a, &d) || d < 1)
        return BAD(x, "--until-resets %s: expected a count >= 1", a);
    x->o->until_resets = (uint32_t)d;
    return 0;
}

static int o_break(struct optctx *x, const char *a)
{
    char *end;
    unsigned long v = strtoul(a, &end, 0);
    if (*end || end == a || x->o->nbreak == 16)
        return BAD(x, "--break %s: expected an address (at most 16)", a);
    x->o->breaks[x->o->nbreak++] = (uint32_t)v & ~1u;
    return 0;
}

static int o_power_cut_op(struct optctx *x, const char *a)
{
    double d;
    if (parse_num(a, &d) || d < 1)
        return BAD(x, "--power-cut-flash-op %s: expected N >= 1", a);
    x->o->power_cut_op = (uint64_t)d;
    return 0;
}

static int o_power_cut_ms(struct optctx *x, const char *a)
{
    double d;
    if (parse_num(a, &d) || d <= 0)
        return BAD(x, "--power-cut-ms %s: expected a time in ms", a);
    x->o->power_cut_ps = (uint64_t)(d * (double)PS_PER_MS);
    return 0;
}

static int o_noise(struct optctx *x, const char *a)
{
    double d;
    if (parse_num(a, &d) || d > 1)
        return BAD(x, "--uart-noise %s: expected a probability 0-1", a);
    x->o->noise_rate = d;
    return 0;
}

static int o_prog_us(struct optctx *x, const char *a)
{
    double d;
    if (parse_num(a, &d))
        return BAD(x, "--flash-prog-us %s: expected microseconds", a);
    x->o->prog_ps = (uint32_t)(d * (double)PS_PER_US);
    return 0;
}

static int o_erase_ms(struct optctx *x, const char *a)
{
    double d;
    if (parse_num(a, &d))
        return BAD(x, "--flash-erase-ms %s: expected milliseconds", a);
    x->o->erase_ps = (uint64_t)(d * (double)PS_PER_MS);
    return 0;
}

static int o_mass_ms(struct optctx *x, const char *a)
{
    double d;
    if (parse_num(a, &d))
        return BAD(x, "--flash-mass-erase-ms %s: expected milliseconds", a);
    x->o->mass_erase_ps = (uint64_t)(d * (double)PS_PER_MS);
    return 0;
}

static int o_rom_baud(struct optctx *x, const char *a)
{
    double d;
    if (parse_num(a, &d) || d < 1200 || d > 4000000)
        return BAD(x, "--rom-baud %s: expected 1200-4000000", a);
    x->o->rom_baud = (uint32_t)d;
    return 0;
}

static int o_hse_hz(struct optctx *x, const char *a)
{
    double d;
    /* DS9773: a 4-32 MHz crystal, or an external clock (HSEBYP) up to 32 MHz */
    if (parse_num(a, &d) || d > 32000000 || (d > 0 && d < 1000000) || d != (double)(uint32_t)d)
        return BAD(x, "--hse-hz %s: expected 0 (no crystal) or 1000000-32000000 Hz", a);
    x->o->hse_hz = (uint32_t)d;
    return 0;
}

static int o_sram_random(struct optctx *x, const char *a)
{
    (void)a;
    x->o->sram_random = 1;
    return 0;
}

static int o_sram_word(struct optctx *x, const char *a)
{
    char *end;
    unsigned long long addr = strtoull(a, &end, 0), val;
    if (end == a || *end != '=')
        return BAD(x, "--sram-word %s: expected ADDR=VALUE (e.g. 0x20000000=0xb007f00d)", a);
    const char *v = end + 1;
    val = strtoull(v, &end, 0);
    if (end == v || *end || val > 0xFFFFFFFFull || (addr & 3u) || addr > 0xFFFFFFFFull)
        return BAD(x, "--sram-word %s: expected a word-aligned ADDR and a 32-bit VALUE", a);
    if (x->o->nsram_words == 16)
        return BAD(x, "at most 16 --sram-word options");
    x->o->sram_words[x->o->nsram_words].addr = (uint32_t)addr;
    x->o->sram_words[x->o->nsram_words++].val = (uint32_t)val;
    return 0;
}

static int o_on_fault(struct optctx *x, const char *a)
{
    if (strcmp(a, "run") != 0 && strcmp(a, "stop") != 0)
        return BAD(x, "--on-fault %s: expected stop or run", a);
    x->o->fault_continue = strcmp(a, "run") == 0;
    return 0;
}

/* The option table: name, whether it takes an argument, its parser. */
static const struct sim_opt {
    const char *name;
    int arg;
    int (*set)(struct optctx *x, const char *a);
} opts[] = {
    {"part", 1, o_part},
    {"flash", 1, o_flash},
    {"load", 1, o_load},
    {"boot", 1, o_boot},
    {"uart", 1, o_uart},
    {"port-file", 1, o_port_file},
    {"usb-latency-ms", 1, o_usb_latency},
    {"realtime", 0, o_realtime},
    {"fast", 0, o_fast},
    {"until-ms", 1, o_until_ms},
    {"until-uart", 1, o_until_uart},
    {"until-resets", 1, o_until_resets},
    {"break", 1, o_break},
    {"power-cut-flash-op", 1, o_power_cut_op},
    {"power-cut-ms", 1, o_power_cut_ms},
    {"uart-noise", 1, o_noise},
    {"seed", 1, o_seed},
    {"summary", 1, o_summary},
    {"flash-prog-us", 1, o_prog_us},
    {"flash-erase-ms", 1, o_erase_ms},
    {"flash-mass-erase-ms", 1, o_mass_ms},
    {"rom-baud", 1, o_rom_baud},
    {"hse-hz", 1, o_hse_hz},
    {"sram-random", 0, o_sram_random},
    {"sram-word", 1, o_sram_word},
    {"on-fault", 1, o_on_fault},
    {"strict", 0, o_strict},
    {"quiet", 0, o_quiet},
    {"no-idle-skip", 0, o_no_idle},
    {"profile", 1, o_profile},
    {"wait-host", 0, o_wait_host},
    {"help", 0, o_help},
    {"watch", 1, o_watch},
    {"watch-pc", 1, o_watch_pc},
    {"watch-write", 1, o_watch_write},
    {"watch-uart", 1, o_watch_uart},
    {"watch-masked-ms", 1, o_watch_masked},
    {"watch-hold-boot-vectors", 0, o_watch_hold},
};
#define NOPTS (sizeof opts / sizeof opts[0])

static void defaults(struct chip_opts *o, struct sim_cli *cli)
{
    memset(o, 0, sizeof *o);
    memset(cli, 0, sizeof *cli);
    o->part = &parts[3];
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (strcmp(parts[i].name, "stm32f030xc") == 0)
            o->part = &parts[i];
    o->prog_ps = 53500000u;
    o->erase_ps = 30ull * PS_PER_MS;
    o->mass_erase_ps = 30ull * PS_PER_MS;
    o->seed = 1;
    o->rom_baud = 115200;
    o->hse_hz = 8000000u;
    cli->uart = "stdio";
    cli->realtime = -1;
    watch_opts_init(&cli->watch);
}

int options_parse(int argc, char **argv, struct chip_opts *o, struct sim_cli *cli, char *err,
                  size_t errlen)
{
    struct option lo[NOPTS + 1];
    struct optctx x = {o, cli, err, errlen};
    defaults(o, cli);
    for (size_t i = 0; i < NOPTS; i++)
        lo[i] = (struct option){opts[i].name, opts[i].arg, NULL, (int)(256 + i)};
    lo[NOPTS] = (struct option){0, 0, 0, 0};
    err[0] = 0;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        if (opt == 'h') {
            cli->help = 1;
            continue;
        }
        if (opt < 256 || opt >= 256 + (int)NOPTS)
            return -1; /* getopt has said what is wrong */
        if (opts[opt - 256].set(&x, optarg) != 0)
            return -1;
    }
    if (optind < argc)
        return BAD(&x, "unexpected argument '%s' (images go after --load)", argv[optind]);
    for (int i = 0; i < o->nsram_words; i++) {
        uint32_t a = o->sram_words[i].addr;
        if (a < SRAM_BASE || a - SRAM_BASE > o->part->sram_size - 4u)
            return BAD(&x, "--sram-word 0x%08x: outside the %s's SRAM (0x%08x-0x%08x)", a,
                       o->part->name, SRAM_BASE, SRAM_BASE + o->part->sram_size - 1u);
    }
    if (!cli->watch.path && (cli->watch.npc || cli->watch.nrange || cli->watch.uart_byte >= 0 ||
                             cli->watch.hold_boot_vectors))
        return BAD(&x, "the --watch-* options need --watch FILE");
    return 0;
}
