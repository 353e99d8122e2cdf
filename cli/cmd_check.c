/* f0boot check: run an image behind the real bootloader on f0sim and name the pitfalls of
 * an application behind a bootloader by what the chip did (check.h has the parts). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "commands.h"
#include "common/exit_codes.h"
#include "common/util.h"
#include "f0boot/layout.h"
#include "output.h"
#include "pack.h"

#define DEFAULT_MS 300u
#define UART_BYTE  0x0D /* a carriage return: harmless to a line-based application */

static const char check_usage[] =
    "usage: f0boot check IMAGE [--ms N] [--bootloader FILE] [--part P] [--force] [--json]\n"
    "  IMAGE            the application: ELF (best: source lines, main), Intel HEX or a\n"
    "                   container from f0boot pack\n"
    "  --ms N           virtual milliseconds to run from power-on (default 300; 100-10000)\n"
    "  --bootloader F   the bootloader (ELF, HEX or binary at 0x08000000); default: beside\n"
    "                   f0boot, $F0BOOT_BOOTLOADER, or f0boot-bootloader.elf on PATH\n"
    "  --part P         part of an ELF or HEX (default stm32f030xc)\n"
    "  --force          run even when the lint of f0boot pack finds errors (to see what the\n"
    "                   bootloader and the chip make of them)\n"
    "  --json           the result as one JSON object\n"
    "f0sim is found beside f0boot, in $F0SIM or on PATH. The image is put into the virtual\n"
    "board's flash as the bootloader commits it, the board is powered on, and a SysTick and a\n"
    "USART1 byte (20 ms after the jump) are offered. Exit 0: no pitfall; 17: pitfalls (each\n"
    "with its fix); 18: the virtual board could not run it.\n";

struct check_args {
    const char *in, *boot, *part;
    uint32_t ms;
    int force;
};

/* A value option (--ms, --part, --bootloader) at argv[*i]: 1 if it was one (and *rc set
 * to an exit code when it is bad, else -1), 0 if not. */
static int check_valopt(struct out *o, int argc, char **argv, int *i, struct check_args *a, int *rc)
{
    static const char *const names[] = {"--ms", "--part", "--bootloader"};
    const char **dst[] = {NULL, &a->part, &a->boot};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        if (!cli_is_opt(argv[*i], names[k]))
            continue;
        const char *v = cli_optval(argc, argv, i, names[k]);
        *rc = -1;
        if (!v)
            *rc =
                out_fail(o, F0B_EXIT_USAGE, "%s needs a value; see f0boot check --help", names[k]);
        else if (dst[k])
            *dst[k] = v;
        else if (cli_parse_u32(v, &a->ms) || a->ms < 100 || a->ms > 10000)
            *rc = out_fail(o, F0B_EXIT_USAGE, "--ms %s: expected 100-10000 ms", v);
        return 1;
    }
    return 0;
}

/* Returns -1 to go on, or the exit code (after --help or a usage error). */
static int check_parse(struct out *o, int argc, char **argv, struct check_args *a)
{
    memset(a, 0, sizeof *a);
    a->ms = DEFAULT_MS;
    a->part = "stm32f030xc";
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        int rc;
        if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
            fputs(check_usage, stdout);
            return F0B_EXIT_OK;
        }
        if (strcmp(s, "--json") == 0 || strcmp(s, "--force") == 0) {
            a->force |= strcmp(s, "--force") == 0;
            continue;
        }
        if (check_valopt(o, argc, argv, &i, a, &rc)) {
            if (rc >= 0)
                return rc;
            continue;
        }
        if (s[0] == '-' && s[1])
            return out_fail(o, F0B_EXIT_USAGE, "unknown option '%s'; see f0boot check --help", s);
        if (a->in)
            return out_fail(o, F0B_EXIT_USAGE, "more than one image ('%s' and '%s')", a->in, s);
        a->in = s;
    }
    if (!a->in)
        return out_fail(o, F0B_EXIT_USAGE, "need an image: f0boot check app.elf");
    return -1;
}

/* The image as a container, and what the ELF tells (main). */
struct check_img {
    uint8_t *cnt;
    size_t len;
    struct f0b_img_hdr h;
    const struct f0b_part *part;
    int elf, have_main;
    uint32_t main_pc;
};

static int check_load(struct out *o, const struct check_args *a, struct check_img *im)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    char msg[512];
    struct f0b_container_check chk;
    struct f0b_img_error err;
    int rc = cli_read_file(a->in, &buf, &len, msg, sizeof msg);
    memset(im, 0, sizeof *im);
    if (rc)
        return out_fail(o, rc, "%s", msg);
    if (f0b_sniff(buf, len) == F0B_FMT_CONTAINER) {
        rc = f0b_container_verify(buf, len, &im->h, &chk, &err);
        if (rc) {
            free(buf);
            return out_fail(o,
                            pack_img_exit(rc) == F0B_EXIT_INPUT_FORMAT ? F0B_EXIT_INPUT_FORMAT
                                                                       : F0B_EXIT_CONTAINER,
                            "%s: %s", a->in, err.detail);
        }
        im->part = f0b_part_by_code(im->h.part);
        if (!im->part) { /* verify checked it: only a part table out of step gets here */
            free(buf);
            out_fail(o, F0B_EXIT_INPUT_FORMAT, "%s: unknown part code %u", a->in,
                     (unsigned)im->h.part);
            return F0B_EXIT_INPUT_FORMAT;
        }
        im->cnt = buf;
        im->len = len;
        return 0;
    }
    struct pack_req r = {.in = a->in,
                         .verb = "check",
                         .force = a->force,
                         .part = f0b_part_by_name(a->part)};
    struct packed p;
    if (!r.part) {
        free(buf);
        return out_fail(o, F0B_EXIT_USAGE, "unknown part '%s'; f0boot pack --help lists them",
                        a->part);
    }
    rc = pack_image(o, &r, buf, len, &p);
    if (rc == 0) {
        im->cnt = p.cnt;
        im->len = p.len;
        im->h = p.h;
        im->part = r.part;
        im->elf = p.format == F0B_FMT_ELF;
        im->have_main = im->elf && chk_elf_main(buf, len, &im->main_pc) == 0;
    }
    free(buf);
    return rc;
}

/* An image the bootloader refuses (its header rules: load address, size, vectors) never
 * reaches the flash: nothing to run, and that is the finding. */
static int check_boot_rules(struct out *o, const struct check_args *a, struct check_img *im)
{
    struct f0b_img_hdr h;
    struct f0b_container_check chk;
    struct f0b_img_error err;
    if (f0b_container_verify(im->cnt, im->len, &h, &chk, &err) == 0)
        return 0;
    free(im->cnt);
    im->cnt = NULL;
    out_fail(o, F0B_EXIT_CHECK,
             "%s: the bootloader would refuse this image before writing "
             "anything, so it never runs: %s",
             a->in, err.detail);
    return F0B_EXIT_CHECK;
}

static void check_ctx(const struct check_args *a, const struct check_img *im, struct chk_ctx *x)
{
    memset(x, 0, sizeof *x);
    x->app_start = im->h.load_addr;
    x->app_end = im->h.load_addr + im->h.payload_size;
    x->app = im->cnt + F0B_IMG_HDR_SIZE;
    x->reset_pc = im->h.reset_vec & ~1u;
    x->main_pc = im->main_pc;
    x->have_main = im->have_main;
    x->have_elf = im->elf;
    x->boot_start = F0B_FLASH_BASE;
    x->boot_end = F0B_APP_START;
    x->rec_start = f0b_part_record_addr(im->part);
    x->rec_end = x->rec_start + im->part->page;
    x->vt_start = F0B_SRAM_BASE;
    x->vt_end = F0B_SRAM_BASE + F0B_VT_MAX;
    x->ms = a->ms;
}

/* One run of f0sim and its events. Returns 0 or an exit code after out_fail(). */
static int check_one_run(struct out *o, const struct chk_run_req *q, struct chk_run_out *ro,
                         struct chk_events *ev)
{
    char err[2600];
    int rc = chk_run(q, ro, err, sizeof err);
    if (rc)
        return out_fail(o, rc, "%s", err);
    if (chk_events_parse(ro->events, ro->events_len, ev, err, sizeof err) != 0)
        return out_fail(o, F0B_EXIT_CHECK_RUN, "%s", err);
    if (!ev->end.seen)
        return out_fail(o, F0B_EXIT_CHECK_RUN,
                        "f0sim stopped without finishing its report "
                        "(exit %d): %s",
                        ro->sim_exit, ro->sim_log);
    return 0;
}

/* ---- the report --------------------------------------------------------------------------- */

#define NF (16 + CHK_MAX_FINDINGS * 8)

struct report {
    struct out_field f[NF];
    size_t n;
    char started[80], main[80], remap[120], irqs[200], uart[160], offer[120], title[300],
        footer[200];
    char line[CHK_MAX_FINDINGS][3][720];
};

static void r_add(struct report *p, struct out_field f)
{
    if (p->n < NF)
        p->f[p->n++] = f;
}

static void report_irqs(const struct chk_events *ev, char *b, size_t n)
{
    size_t k = 0;
    b[0] = 0;
    for (int e = 11; e < CHK_EXC_MAX && k < n; e++) {
        if (!ev->end.exc_sram[e])
            continue;
        char name[40];
        chk_exc_name(e, name, sizeof name);
        k += (size_t)snprintf(b + k, n - k, "%s%s %llu", k ? ", " : "", name,
                              (unsigned long long)ev->end.exc_sram[e]);
    }
    if (!b[0])
        snprintf(b, n, "none");
}

static void report_findings(struct report *p, const struct chk_result *r)
{
    static const char *const sev[] = {"note", "pitfall", "f0sim"};
    static const char *const label[] = {"note", "PITFALL", "f0sim limit"};
    r_add(p, (struct out_field)OUT_F_OBJ("findings"));
    for (int i = 0; i < r->n && i < CHK_MAX_FINDINGS; i++) {
        const struct chk_finding *f = &r->f[i];
        snprintf(p->line[i][0], sizeof p->line[i][0], "[%s] %s", f->id, f->what);
        snprintf(p->line[i][1], sizeof p->line[i][1], "%s", f->fix);
        snprintf(p->line[i][2], sizeof p->line[i][2], "%s 0x%08x%s%s",
                 f->pc_block ? "the code block at" : "PC", f->pc, f->where[0] ? ": " : "",
                 f->where);
        r_add(p, (struct out_field)OUT_F_OBJ(f->id));
        r_add(p, (struct out_field)OUT_F_STR("severity", sev[f->sev], .label = label[f->sev],
                                             .text = p->line[i][0]));
        r_add(p, (struct out_field)OUT_F_STR("what", f->what));
        if (f->has_pc) {
            r_add(p,
                  (struct out_field)OUT_F_HEX("pc", f->pc, .label = "  at", .text = p->line[i][2]));
            r_add(p, (struct out_field)OUT_F_BOOL("pc_is_block_start", f->pc_block));
            r_add(p, (struct out_field)OUT_F_STR("source", f->where));
        }
        if (f->fix[0])
            r_add(p, (struct out_field)OUT_F_STR("fix", f->fix, .label = "  fix"));
        r_add(p, (struct out_field)OUT_F_END(f->id));
    }
    r_add(p, (struct out_field)OUT_F_END("findings"));
}

/* path relative to the working directory when it is below it (the report stays short) */
static const char *shown_path(const char *path)
{
    static char cwd[4096];
    size_t n;
    if (!getcwd(cwd, sizeof cwd))
        return path;
    n = strlen(cwd);
    return strncmp(path, cwd, n) == 0 && path[n] == '/' ? path + n + 1 : path;
}

/* The first line the application sent, for the report. */
static void first_line(const struct chk_run_out *ro, char *b, size_t n)
{
    size_t i = 0, k = 0;
    while (i < ro->uart_len && (ro->uart[i] == '\r' || ro->uart[i] == '\n'))
        i++;
    for (; i < ro->uart_len && ro->uart[i] != '\r' && ro->uart[i] != '\n' && k + 1 < n; i++)
        b[k++] = ro->uart[i];
    b[k] = 0;
}

static void check_report(struct out *o, const struct check_args *a, const struct chk_tools *t,
                         const struct chk_events *ev, const struct chk_run_out *ro,
                         const struct chk_result *r)
{
    static struct report rp;
    struct report *p = &rp;
    memset(p, 0, sizeof *p);
    snprintf(p->title, sizeof p->title,
             "f0boot check: %s behind the bootloader on the virtual "
             "board, %u ms",
             a->in, a->ms);
    snprintf(p->started, sizeof p->started,
             r->started ? "at %.3f ms (the bootloader's jump)" : "never",
             (double)r->start_us / 1000.0);
    if (r->reached_main)
        snprintf(p->main, sizeof p->main, "reached at %.3f ms", (double)r->main_us / 1000.0);
    else
        snprintf(p->main, sizeof p->main, "%s", r->started ? "not reached (or not known)" : "-");
    snprintf(p->remap, sizeof p->remap,
             r->remapped ? "MEM_MODE = SRAM at %.3f ms (PC 0x%08x)" : "none in this run",
             (double)r->remap_us / 1000.0, r->remap_pc);
    report_irqs(ev, p->irqs, sizeof p->irqs);
    first_line(ro, p->uart, sizeof p->uart);
    r_add(p, (struct out_field)OUT_F_STR("image", a->in, .label = "image"));
    r_add(p, (struct out_field)OUT_F_STR("bootloader", shown_path(t->bootloader),
                                         .label = "bootloader"));
    r_add(p, (struct out_field)OUT_F_UINT("ms", a->ms));
    r_add(p, (struct out_field)OUT_F_BOOL("started", r->started, .label = "started",
                                          .text = p->started));
    r_add(p, (struct out_field)OUT_F_REAL("start_ms", (double)r->start_us / 1000.0));
    r_add(p, (struct out_field)OUT_F_BOOL("reached_main", r->reached_main, .label = "main",
                                          .text = p->main));
    r_add(p, (struct out_field)OUT_F_BOOL("remapped", r->remapped, .label = "remap",
                                          .text = p->remap));
    r_add(p, (struct out_field)OUT_F_STR("interrupts", p->irqs, .label = "interrupts",
                                         .note = " (through the application's table)"));
    r_add(p, (struct out_field)OUT_F_UINT("uart_bytes", ro->uart_len));
    r_add(p, (struct out_field)OUT_F_STR("uart_first_line", p->uart, .label = "uart"));
    const struct chk_ev *offer = NULL;
    for (size_t i = 0; i < ev->n && !offer; i++)
        if (ev->v[i].kind == CHK_EV_UART_OFFER)
            offer = &ev->v[i];
    if (offer)
        snprintf(p->offer, sizeof p->offer, "0x%02x on USART1 at %.3f ms", UART_BYTE,
                 (double)offer->t_us / 1000.0);
    else
        snprintf(p->offer, sizeof p->offer, "none (the application did not run long enough)");
    r_add(p, (struct out_field)OUT_F_BOOL("uart_offered", offer != NULL, .label = "offered",
                                          .text = p->offer));
    r_add(p, (struct out_field)OUT_F_STR("verdict", r->pitfalls       ? "pitfalls"
                                                    : r->sim_problems ? "not-checked"
                                                                      : "ok"));
    r_add(p, (struct out_field)OUT_F_STR("stop", ev->end.stop));
    r_add(p, (struct out_field)OUT_F_UINT("pitfalls", (uint64_t)r->pitfalls));
    report_findings(p, r);
    if (r->pitfalls)
        snprintf(p->footer, sizeof p->footer,
                 "%d pitfall%s found: the application would not "
                 "work behind the bootloader as it is",
                 r->pitfalls, r->pitfalls == 1 ? "" : "s");
    else if (r->sim_problems)
        snprintf(p->footer, sizeof p->footer,
                 "not checked to the end: f0sim could not run "
                 "the application as the chip would (above)");
    else
        snprintf(p->footer, sizeof p->footer, "OK: no pitfall found");
    out_result(o, !r->pitfalls && !r->sim_problems, p->title, p->f, p->n, p->footer);
}

int cmd_check(int argc, char **argv)
{
    struct out o;
    struct check_args a;
    struct check_img im;
    struct chk_tools t;
    struct chk_ctx x;
    struct chk_run_out ro = {0}, hold_ro = {0};
    struct chk_events ev = {0}, hold_ev = {0};
    static struct chk_result r;
    char err[1024];

    out_init(&o, "check", 0, argc, argv);
    int rc = check_parse(&o, argc, argv, &a);
    if (rc >= 0)
        return rc;
    if (chk_find_tools(a.boot, &t, err, sizeof err) != 0)
        return out_fail(&o, F0B_EXIT_CHECK_RUN, "%s", err);
    if ((rc = check_load(&o, &a, &im)) != 0 || !im.part)
        return rc ? rc : F0B_EXIT_INTERNAL;
    if ((rc = check_boot_rules(&o, &a, &im)) != 0)
        return rc;
    check_ctx(&a, &im, &x);
    struct chk_run_req q = {.tools = &t,
                            .part = im.part,
                            .cnt = im.cnt,
                            .cnt_len = im.len,
                            .ms = a.ms,
                            .main_pc = im.have_main ? im.main_pc : 0,
                            .uart_byte = UART_BYTE};
    rc = check_one_run(&o, &q, &ro, &ev);
    if (rc == 0) {
        chk_find(&x, &ev, &r);
        q.hold = 1;
        if (r.need_hold_run && (rc = check_one_run(&o, &q, &hold_ro, &hold_ev)) == 0)
            chk_find_hold(&x, &hold_ev, &r);
    }
    if (rc == 0) {
        chk_source_lines(&t, im.elf ? a.in : NULL, &r);
        check_report(&o, &a, &t, &ev, &ro, &r);
        rc = r.pitfalls ? F0B_EXIT_CHECK : r.sim_problems ? F0B_EXIT_CHECK_RUN : F0B_EXIT_OK;
    }
    chk_events_free(&ev);
    chk_events_free(&hold_ev);
    chk_run_free(&ro);
    chk_run_free(&hold_ro);
    free(im.cnt);
    return rc;
}
