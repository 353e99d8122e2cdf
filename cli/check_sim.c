/*
 * The run behind `f0boot check` (check.h): where f0sim, the bootloader and addr2line are, the
 * flash image as the bootloader would have left it after an update (the bootloader, the
 * payload at its load address, the boot record with the header and the commit word), one
 * f0sim run with its observer (sim/watch.h) in a temporary directory, and the source lines
 * of addresses (binutils' arm-none-eabi-addr2line: it reads every DWARF version GCC writes,
 * which a line-table reader of our own would have to keep up with).
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "common/exit_codes.h"
#include "common/util.h"
#include "f0boot/container.h"
#include "f0boot/layout.h"

extern char **environ;

/* ---- finding the tools ----------------------------------------------------------------- */

static int is_exec(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

static int is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* The directory of the running f0boot, or "" */
static void self_dir(char *d, size_t n)
{
    ssize_t k = readlink("/proc/self/exe", d, n - 1);
    d[k > 0 ? k : 0] = 0;
    char *slash = strrchr(d, '/');
    if (slash)
        *slash = 0;
    else
        d[0] = 0;
}

static int on_path(const char *name, char *out, size_t n)
{
    const char *path = getenv("PATH");
    while (path && *path) {
        const char *colon = strchr(path, ':');
        size_t len = colon ? (size_t)(colon - path) : strlen(path);
        snprintf(out, n, "%.*s/%s", (int)len, path, name);
        if (len && is_exec(out))
            return 1;
        path = colon ? colon + 1 : NULL;
    }
    out[0] = 0;
    return 0;
}

/* Beside f0boot (and in its build tree), then $env, then PATH. */
static int locate(const char *const *beside, const char *env, const char *path_name, int exec,
                  char *out, size_t n)
{
    char dir[PATH_MAX];
    self_dir(dir, sizeof dir);
    for (int i = 0; dir[0] && beside[i]; i++) {
        char p[PATH_MAX + 64], real[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", dir, beside[i]);
        if (exec ? is_exec(p) : is_file(p)) {
            snprintf(out, n, "%s", realpath(p, real) ? real : p);
            return 1;
        }
    }
    const char *e = getenv(env);
    if (e && *e) {
        snprintf(out, n, "%s", e);
        return 1; /* given explicitly: a bad one is reported when it is used */
    }
    return on_path(path_name, out, n);
}

int chk_find_tools(const char *bootloader_arg, struct chk_tools *t, char *err, size_t n)
{
    static const char *const sim_beside[] = {"f0sim", "../sim/f0sim", NULL};
    static const char *const boot_beside[] = {"bootloader.elf", "../share/f0boot/bootloader.elf",
                                              "../target/bootloader/bootloader.elf", NULL};
    memset(t, 0, sizeof *t);
    if (!locate(sim_beside, "F0SIM", "f0sim", 1, t->f0sim, sizeof t->f0sim)) {
        snprintf(err, n,
                 "f0sim (the virtual board) not found beside f0boot, in $F0SIM or on "
                 "PATH: build it (make build: build/release/sim/f0sim) and set "
                 "F0SIM=path/to/f0sim, or put it on PATH");
        return -1;
    }
    if (bootloader_arg) {
        snprintf(t->bootloader, sizeof t->bootloader, "%s", bootloader_arg);
    } else if (!locate(boot_beside, "F0BOOT_BOOTLOADER", "f0boot-bootloader.elf", 0, t->bootloader,
                       sizeof t->bootloader)) {
        snprintf(err, n,
                 "the bootloader binary was not found beside f0boot, in "
                 "$F0BOOT_BOOTLOADER or on PATH (as f0boot-bootloader.elf): give it with "
                 "--bootloader FILE (the build's target/bootloader/bootloader.elf, for the "
                 "part of the image)");
        return -1;
    }
    on_path("arm-none-eabi-addr2line", t->addr2line, sizeof t->addr2line);
    return 0;
}

/* ---- the flash image --------------------------------------------------------------------- */

/* The bootloader, read as ELF, HEX or raw binary at 0x08000000, into flash[0..boot size). */
static int put_bootloader(const char *path, uint8_t *flash, char *err, size_t n)
{
    uint8_t *buf = NULL, *flat = NULL;
    size_t len = 0;
    uint32_t flen = 0;
    struct f0b_image img;
    struct f0b_img_error ie;
    int rc = cli_read_file(path, &buf, &len, err, n);
    if (rc)
        return rc;
    f0b_image_init(&img);
    if (f0b_image_read(buf, len, 1, F0B_FLASH_BASE, &img, &ie) != 0 ||
        f0b_image_flatten(&img, &flat, &flen, &ie) != 0) {
        snprintf(err, n, "--bootloader %s: %s", path, ie.detail);
        rc = F0B_EXIT_INPUT_FORMAT;
    } else if (f0b_image_start(&img) != F0B_FLASH_BASE || flen > F0B_BOOT_SIZE) {
        snprintf(err, n,
                 "--bootloader %s: not a bootloader: it spans 0x%08x-0x%08x, not "
                 "0x%08x-0x%08x",
                 path, f0b_image_start(&img), (uint32_t)f0b_image_end(&img) - 1u, F0B_FLASH_BASE,
                 F0B_FLASH_BASE + F0B_BOOT_SIZE - 1u);
        rc = F0B_EXIT_INPUT_FORMAT;
    } else {
        memcpy(flash, flat, flen);
    }
    free(flat);
    free(buf);
    f0b_image_free(&img);
    return rc;
}

/* The whole flash as the bootloader leaves it after a committed update. */
static int build_flash(const struct chk_run_req *q, uint8_t **out, char *err, size_t n)
{
    const struct f0b_part *p = q->part;
    size_t size = (size_t)p->flash_kb * 1024u;
    struct f0b_img_hdr h;
    f0b_hdr_decode(q->cnt, &h);
    uint32_t rec = f0b_part_record_addr(p) - F0B_FLASH_BASE;
    if (h.load_addr < F0B_FLASH_BASE ||
        h.load_addr - F0B_FLASH_BASE + (uint64_t)h.payload_size > rec) {
        snprintf(err, n, "the payload 0x%08x + %u bytes does not fit the application region",
                 h.load_addr, h.payload_size);
        return F0B_EXIT_INPUT_FORMAT;
    }
    uint8_t *f = malloc(size);
    if (!f) {
        snprintf(err, n, "out of memory");
        return F0B_EXIT_INTERNAL;
    }
    memset(f, 0xFF, size);
    int rc = put_bootloader(q->tools->bootloader, f, err, n);
    if (rc) {
        free(f);
        return rc;
    }
    memcpy(f + (h.load_addr - F0B_FLASH_BASE), q->cnt + F0B_IMG_HDR_SIZE, h.payload_size);
    memcpy(f + rec + F0B_RECORD_HDR_OFF, q->cnt, F0B_IMG_HDR_SIZE);
    uint32_t commit = F0B_COMMIT_MAGIC;
    for (int i = 0; i < 4; i++)
        f[rec + F0B_RECORD_COMMIT_OFF + (uint32_t)i] = (uint8_t)(commit >> (8 * i));
    *out = f;
    return 0;
}

/* ---- running f0sim ---------------------------------------------------------------------- */

struct tmpdir {
    char dir[PATH_MAX], flash[PATH_MAX + 16], events[PATH_MAX + 16], uart[PATH_MAX + 16],
        log[PATH_MAX + 16];
};

static int tmp_make(struct tmpdir *t, char *err, size_t n)
{
    const char *base = getenv("TMPDIR");
    memset(t, 0, sizeof *t);
    snprintf(t->dir, sizeof t->dir, "%s/f0boot-check.XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(t->dir)) {
        snprintf(err, n, "cannot create a temporary directory in %s: %s (set TMPDIR)",
                 base && *base ? base : "/tmp", strerror(errno));
        return -1;
    }
    snprintf(t->flash, sizeof t->flash, "%s/flash.bin", t->dir);
    snprintf(t->events, sizeof t->events, "%s/events.jsonl", t->dir);
    snprintf(t->uart, sizeof t->uart, "%s/uart.txt", t->dir);
    snprintf(t->log, sizeof t->log, "%s/f0sim.log", t->dir);
    return 0;
}

static void tmp_remove(const struct tmpdir *t)
{
    unlink(t->flash);
    unlink(t->events);
    unlink(t->uart);
    unlink(t->log);
    rmdir(t->dir);
}

static volatile sig_atomic_t g_signal;
static volatile pid_t g_child;

static void on_signal(int sig)
{
    g_signal = sig;
    if (g_child > 0)
        kill(g_child, sig);
}

/* Run argv with stdin from /dev/null, stdout to out_path, stderr to err_path (NULL: the
 * same as stdout, or /dev/null when out_path is NULL too). The exit status, or -1. */
static int run_prog(char *const *argv, const char *out_path, const char *err_path)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out_path ? out_path : "/dev/null",
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, err_path ? err_path : "/dev/null",
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return -1;
    /* Ctrl-C or SIGTERM: passed on to the child, which stops; then the caller cleans up */
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    g_child = pid;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    g_child = 0;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static void slurp(const char *path, char **buf, size_t *len)
{
    uint8_t *b = NULL;
    char msg[256];
    *buf = NULL;
    *len = 0;
    if (cli_read_file(path, &b, len, msg, sizeof msg) == 0)
        *buf = (char *)b;
}

/* The f0sim command line of one run. */
static void sim_args(const struct chk_run_req *q, const struct tmpdir *t, char s[][64], char **argv)
{
    int a = 0, k = 0;
    uint32_t rec = f0b_part_record_addr(q->part);
    struct f0b_img_hdr h;
    f0b_hdr_decode(q->cnt, &h);
    argv[a++] = (char *)q->tools->f0sim;
#define ARG(x)    (argv[a++] = (char *)(x))
#define ARGF(...) (snprintf(s[k], 64, __VA_ARGS__), argv[a++] = s[k++])
    ARG("--part");
    ARG(q->part->name);
    ARG("--flash");
    ARG(t->flash);
    ARG("--fast");
    ARG("--uart");
    ARG("stdio");
    ARG("--until-ms");
    ARGF("%u", q->ms);
    ARG("--watch");
    ARG(t->events);
    ARG("--watch-pc");
    ARGF("0x%08x", h.reset_vec & ~1u);
    if (q->main_pc) {
        ARG("--watch-pc");
        ARGF("0x%08x", q->main_pc);
    }
    ARG("--watch-write");
    ARGF("0x%08x-0x%08x", F0B_SRAM_BASE, F0B_SRAM_BASE + F0B_VT_MAX - 1u);
    ARG("--watch-write");
    ARGF("0x%08x-0x%08x", rec, rec + q->part->page - 1u);
    ARG("--watch-write");
    ARGF("0x%08x-0x%08x", F0B_FLASH_BASE, F0B_APP_START - 1u);
    ARG("--watch-uart");
    ARGF("%d@20", q->uart_byte);
    if (q->hold)
        ARG("--watch-hold-boot-vectors");
    argv[a] = NULL;
#undef ARG
#undef ARGF
}

int chk_run(const struct chk_run_req *q, struct chk_run_out *o, char *err, size_t n)
{
    struct tmpdir t;
    uint8_t *flash = NULL;
    memset(o, 0, sizeof *o);
    int rc = build_flash(q, &flash, err, n);
    if (rc)
        return rc;
    if (tmp_make(&t, err, n) != 0) {
        free(flash);
        return F0B_EXIT_OUTPUT;
    }
    rc = cli_write_file(t.flash, flash, (size_t)q->part->flash_kb * 1024u, err, n);
    free(flash);
    if (rc == 0) {
        char s[16][64];
        char *argv[40];
        sim_args(q, &t, s, argv);
        o->sim_exit = run_prog(argv, t.uart, t.log);
        if (g_signal) {
            tmp_remove(&t);
            snprintf(err, n, "interrupted (signal %d): nothing checked", (int)g_signal);
            return F0B_EXIT_ABORTED;
        }
        slurp(t.events, &o->events, &o->events_len);
        slurp(t.uart, &o->uart, &o->uart_len);
        char *log;
        size_t loglen;
        slurp(t.log, &log, &loglen);
        size_t from = loglen > sizeof o->sim_log - 1 ? loglen - (sizeof o->sim_log - 1) : 0;
        snprintf(o->sim_log, sizeof o->sim_log, "%.*s", (int)(loglen - from),
                 log ? log + from : "");
        free(log);
        if (o->sim_exit < 0 || o->sim_exit == F0B_EXIT_USAGE || !o->events) {
            snprintf(err, n, "%s did not run (exit %d): %s", q->tools->f0sim, o->sim_exit,
                     o->sim_log[0] ? o->sim_log : "cannot start it (set F0SIM to a working f0sim)");
            rc = F0B_EXIT_CHECK_RUN;
        }
    }
    tmp_remove(&t);
    return rc;
}

void chk_run_free(struct chk_run_out *o)
{
    free(o->events);
    free(o->uart);
    memset(o, 0, sizeof *o);
}

/* ---- source lines and symbols -------------------------------------------------------------- */

/* addr2line -f -i output (function, file:line, and the same for each inlining caller) as
 * "fn() at file:line, inlined in caller() at file:line". */
static void a2l_where(const char *out, size_t len, char *where, size_t n)
{
    char fn[128], line[160];
    size_t k = 0, pos = 0;
    where[0] = 0;
    while (pos < len) {
        if (sscanf(out + pos, "%127s %159s", fn, line) != 2 || strcmp(fn, "??") == 0)
            break;
        k += (size_t)snprintf(where + k, n > k ? n - k : 0, "%s%s()%s%s", k ? ", inlined in " : "",
                              fn, strncmp(line, "??", 2) ? " at " : "",
                              strncmp(line, "??", 2) ? line : "");
        /* past the two lines */
        for (int nl = 0; pos < len && nl < 2; pos++)
            nl += out[pos] == '\n';
        if (k >= n)
            break;
    }
}

void chk_source_lines(const struct chk_tools *t, const char *elf, struct chk_result *r)
{
    if (!t->addr2line[0] || !elf)
        return;
    for (int i = 0; i < r->n; i++) {
        if (!r->f[i].has_pc)
            continue;
        char tmpl[PATH_MAX], addr[16];
        const char *base = getenv("TMPDIR");
        snprintf(tmpl, sizeof tmpl, "%s/f0boot-a2l.XXXXXX", base && *base ? base : "/tmp");
        int fd = mkstemp(tmpl);
        if (fd < 0)
            return;
        close(fd);
        snprintf(addr, sizeof addr, "0x%08x", r->f[i].pc);
        char *argv[] = {(char *)t->addr2line, "-f", "-i", "-s", "-e", (char *)elf, addr, NULL};
        char *out = NULL;
        size_t len = 0;
        if (run_prog(argv, tmpl, NULL) == 0)
            slurp(tmpl, &out, &len);
        unlink(tmpl);
        if (out)
            a2l_where(out, len, r->f[i].where, sizeof r->f[i].where);
        free(out);
    }
}

int chk_elf_main(const uint8_t *buf, size_t len, uint32_t *addr)
{
    if (elf_version(EV_CURRENT) == EV_NONE)
        return -1;
    Elf *e = elf_memory((char *)buf, len);
    if (!e)
        return -1;
    int found = -1;
    Elf_Scn *scn = NULL;
    while (found < 0 && (scn = elf_nextscn(e, scn)) != NULL) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize)
            continue;
        Elf_Data *d = elf_getdata(scn, NULL);
        for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
            GElf_Sym s;
            const char *name;
            if (gelf_getsym(d, (int)i, &s) && GELF_ST_TYPE(s.st_info) == STT_FUNC &&
                (name = elf_strptr(e, sh.sh_link, s.st_name)) && strcmp(name, "main") == 0) {
                *addr = (uint32_t)s.st_value & ~1u;
                found = 0;
                break;
            }
        }
    }
    elf_end(e);
    return found;
}
