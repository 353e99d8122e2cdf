/* End-to-end tests of `f0boot pack` and `f0boot info`: the real binary is run (posix_spawn)
 * on ARM executables built from tests/data, and its output is checked against independent
 * oracles run here too: arm-none-eabi-objcopy -O binary, srec_cat (payload and CRC-32) and
 * python3's zlib.crc32. Then hostile inputs: each must give a clear message, the expected
 * non-zero exit code, and leave no file behind. */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "f0boot/container.h"
#include "f0boot/image.h"
#include "f0boot/le.h"

extern char **environ;

static char self_exe[4096];

struct tdir {
    char path[64];
};

/* ---- helpers -------------------------------------------------------------------- */

static char *readall(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *b;
    long n;
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return b;
}

static void writeall(const char *path, const void *d, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(d, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Run argv with stdout/stderr to files; returns the exit status (or -1). */
static int run(char *const argv[], const char *out, const char *err)
{
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int st, rc;

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_addopen(&fa, 2, err ? err : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return -1;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

/* f0boot with up to 12 arguments (NULL-terminated); stdout/stderr kept in files of d. */
static int f0boot(struct tdir *d, char **out, char **err, ...)
{
    char *argv[16], o[128], e[128];
    va_list ap;
    int n = 0, rc;

    argv[n++] = (char *)F0BOOT_BIN;
    va_start(ap, err);
    while (n < 15 && (argv[n] = va_arg(ap, char *)) != NULL)
        n++;
    va_end(ap);
    argv[n] = NULL;
    snprintf(o, sizeof o, "/tmp/%s.stdout", d->path + 5);
    snprintf(e, sizeof e, "/tmp/%s.stderr", d->path + 5);
    rc = run(argv, o, e);
    if (out)
        *out = readall(o, NULL);
    if (err)
        *err = readall(e, NULL);
    unlink(o);
    unlink(e);
    return rc;
}

static void path_in(char *buf, size_t n, const struct tdir *d, const char *name)
{
    snprintf(buf, n, "%s/%s", d->path, name);
}

static int dir_entries(const char *path)
{
    DIR *dd = opendir(path);
    struct dirent *e;
    int n = 0;
    assert_non_null(dd);
    while ((e = readdir(dd)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(dd);
    return n;
}

static void rm_tree(const char *path)
{
    DIR *dd = opendir(path);
    struct dirent *e;
    char p[512];
    if (!dd)
        return;
    while ((e = readdir(dd)) != NULL) {
        struct stat st;
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(p, sizeof p, "%s/%s", path, e->d_name);
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            rm_tree(p);
        else
            unlink(p);
    }
    closedir(dd);
    rmdir(path);
}

static int setup(void **state)
{
    struct tdir *d = calloc(1, sizeof *d);
    if (!d)
        return -1;
    strcpy(d->path, "/tmp/f0b-image-XXXXXX");
    if (!mkdtemp(d->path))
        return -1;
    *state = d;
    return 0;
}

static int teardown(void **state)
{
    struct tdir *d = *state;
    rm_tree(d->path);
    free(d);
    return 0;
}

/* Value of "key" in a one-line JSON object, as text (strings without quotes). */
static void json_get(const char *json, const char *key, char *val, size_t n)
{
    char pat[64];
    const char *p;
    size_t i = 0;

    snprintf(pat, sizeof pat, "\"%s\":", key);
    p = strstr(json, pat);
    if (!p)
        fail_msg("no \"%s\" in %s", key, json);
    p += strlen(pat);
    if (*p == '"') {
        p++;
        while (*p && *p != '"' && i + 1 < n)
            val[i++] = *p++;
    } else {
        while (*p && *p != ',' && *p != '}' && i + 1 < n)
            val[i++] = *p++;
    }
    val[i] = '\0';
}

static void expect_json(const char *json, const char *key, const char *want)
{
    char v[256];
    json_get(json, key, v, sizeof v);
    if (strcmp(v, want) != 0)
        fail_msg("%s: got \"%s\", want \"%s\"", key, v, want);
}

static void expect_json_u(const char *json, const char *key, unsigned long want)
{
    char w[32];
    snprintf(w, sizeof w, "%lu", want);
    expect_json(json, key, w);
}

static void expect_json_x(const char *json, const char *key, uint32_t want)
{
    char w[32];
    snprintf(w, sizeof w, "0x%08x", (unsigned)want);
    expect_json(json, key, w);
}

/* zlib.crc32 of a file, by python3 (an oracle outside this program). */
static uint32_t py_crc(const char *path, long nbytes)
{
    char cmd[1024], *out, tmp[128];
    char *argv[] = {(char *)PYTHON3, "-c", cmd, NULL};
    unsigned long v;

    snprintf(cmd, sizeof cmd,
             "import zlib,sys; d=open('%s','rb').read(); n=%ld; "
             "print(zlib.crc32(d if n < 0 else d[:n]))",
             path, nbytes);
    snprintf(tmp, sizeof tmp, "%s.py", path);
    assert_int_equal(run(argv, tmp, NULL), 0);
    out = readall(tmp, NULL);
    assert_non_null(out);
    v = strtoul(out, NULL, 10);
    free(out);
    unlink(tmp);
    return (uint32_t)v;
}

/* ---- payload oracles -------------------------------------------------------------- */

static void pack_ok(struct tdir *d, const char *in, const char *img, char **json)
{
    int rc = f0boot(d, json, NULL, "pack", in, "-o", img, "--json", NULL);
    if (rc != 0)
        fail_msg("pack %s: exit %d: %s", in, rc, json ? *json : "");
}

static void elf_payload_matches_objcopy(void **state)
{
    struct tdir *d = *state;
    char img[256], bin[256], *pk, *ob;
    size_t np, nb;
    char *argv[] = {(char *)OBJCOPY,     "-O", "binary", "--gap-fill", "0xff",
                    DATA_DIR "/app.elf", bin,  NULL};

    path_in(img, sizeof img, d, "app.img");
    path_in(bin, sizeof bin, d, "objcopy.bin");
    pack_ok(d, DATA_DIR "/app.elf", img, NULL);
    assert_int_equal(run(argv, NULL, NULL), 0);
    pk = readall(img, &np);
    ob = readall(bin, &nb);
    assert_non_null(pk);
    assert_non_null(ob);
    assert_true(nb > 0x800); /* reaches .cfg, past the 0xFF gap */
    assert_int_equal(np, nb + 64);
    assert_memory_equal(pk + 64, ob, nb);
    /* .data's initial value sits at its flash (load) address, not at 0x200000C0. */
    {
        int found = 0;
        for (size_t i = 0; i + 4 <= nb && !found; i++)
            found = memcmp(ob + i, "\x78\x56\x34\x12", 4) == 0;
        assert_true(found);
    }
    assert_int_equal(f0b_get_le32((uint8_t *)pk + F0B_IMG_OFF_PAYLOAD_SIZE), nb);
    assert_int_equal(f0b_get_le32((uint8_t *)pk + F0B_IMG_OFF_PAYLOAD_CRC), py_crc(bin, -1));
    assert_int_equal(f0b_get_le32((uint8_t *)pk + F0B_IMG_OFF_HDR_CRC), py_crc(img, 60));
    free(pk);
    free(ob);
}

static void hex_payload_matches_srec_cat(void **state)
{
    struct tdir *d = *state;
    char img[256], bin[256], crc[256], lenarg[32], end[32], neg[32], *pk, *sc, *cb;
    size_t np, ns, nc;
    char *cat[] = {(char *)SREC_CAT,
                   "(",
                   DATA_DIR "/app.hex",
                   "-intel",
                   "-fill",
                   "0xFF",
                   "-over",
                   DATA_DIR "/app.hex",
                   "-intel",
                   ")",
                   "-offset",
                   "-0x08001000",
                   "-o",
                   bin,
                   "-binary",
                   NULL};

    path_in(img, sizeof img, d, "app.img");
    path_in(bin, sizeof bin, d, "srec.bin");
    path_in(crc, sizeof crc, d, "crc.bin");
    pack_ok(d, DATA_DIR "/app.hex", img, NULL);
    assert_int_equal(run(cat, NULL, NULL), 0);
    pk = readall(img, &np);
    sc = readall(bin, &ns);
    assert_non_null(pk);
    assert_non_null(sc);
    assert_int_equal(np, ns + 64);
    assert_memory_equal(pk + 64, sc, ns);
    /* srec_cat's CRC-32 (little-endian, appended after the data) against the header. */
    snprintf(lenarg, sizeof lenarg, "%zu", ns);
    snprintf(end, sizeof end, "%zu", ns + 4);
    snprintf(neg, sizeof neg, "-%zu", ns);
    {
        char *c2[] = {(char *)SREC_CAT, bin, "-binary", "-crc32-l-e", lenarg, "-crop",
                      lenarg,           end, "-offset", neg,          "-o",   crc,
                      "-binary",        NULL};
        assert_int_equal(run(c2, NULL, NULL), 0);
    }
    cb = readall(crc, &nc);
    assert_non_null(cb);
    assert_int_equal(nc, 4);
    assert_int_equal(f0b_get_le32((uint8_t *)pk + F0B_IMG_OFF_PAYLOAD_CRC),
                     f0b_get_le32((uint8_t *)cb));
    free(pk);
    free(sc);
    free(cb);
}

/* ---- round trip ----------------------------------------------------------------------- */

static void roundtrip_info_json(void **state)
{
    struct tdir *d = *state;
    char img[256], bin[256], *pj, *ij, *ob, *pk;
    size_t nb, np;
    char *argv[] = {(char *)OBJCOPY,     "-O", "binary", "--gap-fill", "0xff",
                    DATA_DIR "/app.elf", bin,  NULL};

    path_in(img, sizeof img, d, "rt.img");
    path_in(bin, sizeof bin, d, "rt.bin");
    assert_int_equal(f0boot(d, &pj, NULL, "pack", DATA_DIR "/app.elf", "-o", img, "--part",
                            "stm32f030xc", "--version", "1.2.3+45", "--json", NULL),
                     0);
    assert_int_equal(f0boot(d, &ij, NULL, "info", img, "--json", NULL), 0);
    assert_int_equal(run(argv, NULL, NULL), 0);
    ob = readall(bin, &nb);
    pk = readall(img, &np);

    expect_json(ij, "ok", "true");
    expect_json_u(ij, "size", np);
    expect_json_x(ij, "magic", 0x4D493046u); /* "F0IM" */
    assert_memory_equal(pk, "F0IM", 4);
    expect_json_u(ij, "hdr_version", 1);
    expect_json_u(ij, "hdr_size", 64);
    expect_json_x(ij, "flags", 0);
    expect_json(ij, "vt_len_guessed", "false");
    expect_json(ij, "lint_forced", "false");
    expect_json_x(ij, "load_addr", 0x08001000u);
    expect_json_u(ij, "payload_size", nb);
    expect_json_x(ij, "payload_crc", py_crc(bin, -1));
    expect_json(ij, "payload_crc_ok", "true");
    expect_json_u(ij, "vt_len", 47 * 4); /* .isr_vector of app.c */
    expect_json_u(ij, "part", 4);
    expect_json(ij, "part_name", "stm32f030xc");
    expect_json_u(ij, "ver_major", 1);
    expect_json_u(ij, "ver_minor", 2);
    expect_json_u(ij, "ver_patch", 3);
    expect_json_u(ij, "ver_build", 45);
    expect_json(ij, "version", "1.2.3+45");
    expect_json_x(ij, "init_sp", f0b_get_le32((uint8_t *)ob));
    expect_json_x(ij, "init_sp", 0x20007FF0u); /* app.ld: RAM LENGTH 0x7F30 */
    expect_json_x(ij, "reset_vec", f0b_get_le32((uint8_t *)ob + 4));
    expect_json_x(ij, "hdr_crc", py_crc(img, 60));
    expect_json(ij, "hdr_crc_ok", "true");
    expect_json(ij, "error", "");
    /* pack --json reported the same header. */
    {
        static const char *same[] = {"load_addr", "payload_size", "payload_crc", "vt_len",
                                     "flags",     "part",         "part_name",   "version",
                                     "init_sp",   "reset_vec",    "hdr_crc",     "size"};
        for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
            char a[128], b[128];
            json_get(pj, same[i], a, sizeof a);
            json_get(ij, same[i], b, sizeof b);
            if (strcmp(a, b))
                fail_msg("%s: pack says %s, info says %s", same[i], a, b);
        }
    }
    free(pj);
    free(ij);
    free(ob);
    free(pk);
}

/* The same application as HEX and as raw binary gives the same payload; the length of
 * the vector table is then guessed and flagged. */
static void roundtrip_hex_and_bin(void **state)
{
    struct tdir *d = *state;
    char img[256], img2[256], bin[256], *j1, *j2, *e, *ij;
    char *argv[] = {(char *)OBJCOPY,     "-O", "binary", "--gap-fill", "0xff",
                    DATA_DIR "/app.elf", bin,  NULL};
    char c1[32], c2[32];

    path_in(img, sizeof img, d, "hex.img");
    path_in(img2, sizeof img2, d, "bin.img");
    path_in(bin, sizeof bin, d, "app.bin");
    assert_int_equal(run(argv, NULL, NULL), 0);
    assert_int_equal(f0boot(d, &j1, &e, "pack", DATA_DIR "/app.hex", "-o", img, "--json", NULL), 0);
    assert_non_null(strstr(e, "warning [vt-guessed]"));
    free(e);
    assert_int_equal(f0boot(d, &j2, NULL, "pack", bin, "--addr", "0x08001000", "-o", img2,
                            "--version", "0.0.1", "--json", NULL),
                     0);
    json_get(j1, "payload_crc", c1, sizeof c1);
    json_get(j2, "payload_crc", c2, sizeof c2);
    assert_string_equal(c1, c2);
    expect_json_x(j1, "payload_crc", py_crc(bin, -1));
    expect_json(j1, "format", "hex");
    expect_json(j2, "format", "bin");
    assert_int_equal(f0boot(d, &ij, NULL, "info", img2, "--json", NULL), 0);
    expect_json_x(ij, "flags", F0B_FLAG_VT_LEN_GUESSED);
    expect_json(ij, "vt_len_guessed", "true");
    expect_json_u(ij, "vt_len", 188); /* stm32f030xc's table from parts.def */
    expect_json(ij, "version", "0.0.1");
    free(j1);
    free(j2);
    free(ij);
}

/* ---- lint through the CLI ------------------------------------------------------------- */

struct lint_case {
    const char *elf;
    int force;
    int exit_code;
    const char *needle;
    uint32_t flags; /* expected header flags when packed */
    int info_exit;  /* what `info` then says: 7 where the bootloader would refuse it */
};

static void lint_cli(void **state)
{
    static const struct lint_case cases[] = {
        {"app_at0.elf", 0, 5, "error [load-addr]: the image starts at 0x08000000", 0, 0},
        /* Packed over lint, but the bootloader refuses 0x08000000: info says so (exit 7). */
        {"app_at0.elf", 1, 0, "error (forced) [load-addr]", F0B_FLAG_LINT_FORCED, 7},
        {"app_ramvt.elf", 0, 5, "error [ram-vt]: .data at 0x20000000", 0, 0},
        {"app_article.elf", 0, 0, NULL, 0, 0}, /* RAM to the end of SRAM: no finding */
        {"app_vt200.elf", 0, 5, "error [vt-len]: the vector table (section .isr_vector) is 200", 0,
         0},
        {"app_novt.elf", 0, 0, "warning [vt-guessed]", F0B_FLAG_VT_LEN_GUESSED, 0},
        {"app.elf", 0, 0, NULL, 0, 0},
    };
    struct tdir *d = *state;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct lint_case *c = &cases[i];
        char in[256], img[256], *e, *ij;
        int rc;
        snprintf(in, sizeof in, "%s/%s", DATA_DIR, c->elf);
        path_in(img, sizeof img, d, "lint.img");
        unlink(img);
        rc = f0boot(d, NULL, &e, "pack", in, "-o", img, c->force ? "--force" : NULL, NULL);
        if (rc != c->exit_code || (c->needle && !strstr(e, c->needle)) || (!c->needle && e[0]))
            fail_msg("%s: exit %d, stderr: %s", c->elf, rc, e);
        free(e);
        if (c->exit_code) {
            assert_false(exists(img));
            assert_int_equal(dir_entries(d->path), 0);
            continue;
        }
        assert_int_equal(f0boot(d, &ij, NULL, "info", img, "--json", NULL), c->info_exit);
        expect_json_x(ij, "flags", c->flags);
        expect_json(ij, "ok", c->info_exit ? "false" : "true");
        if (c->info_exit)
            assert_non_null(strstr(ij, "load address 0x08000000 is not the application start "
                                       "0x08001000: the bootloader refuses it"));
        free(ij);
    }
}

/* ---- info on damaged containers ---------------------------------------------------- */

static void info_rejects_damage(void **state)
{
    struct tdir *d = *state;
    char img[256], bad[256], *good, *o, *e;
    size_t n;
    struct {
        const char *what;
        long off; /* byte to flip, or -1 */
        long len; /* bytes to keep (-1: all), or n + 1 to append */
        int exit_code;
        const char *needle;
    } cases[] = {
        {"payload byte", 64 + 40, -1, 7, "payload CRC is 0x"},
        {"header byte", F0B_IMG_OFF_VER_MAJOR, -1, 7, "header CRC is 0x"},
        {"truncated", -1, -3, 7, "truncated"},
        {"extra byte", -1, -2, 7, "followed by extra bytes"},
        {"magic", 0, -1, 4, "not an f0boot container"},
        {"short", -1, 40, 4, "shorter than the 64-byte"},
        {"empty", -1, 0, 4, "shorter than the 64-byte"},
    };

    path_in(img, sizeof img, d, "good.img");
    path_in(bad, sizeof bad, d, "bad.img");
    pack_ok(d, DATA_DIR "/app.elf", img, NULL);
    good = readall(img, &n);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *b = malloc(n + 1);
        size_t keep = n;
        int rc;
        memcpy(b, good, n);
        b[n] = 0;
        if (cases[i].off >= 0)
            b[cases[i].off] ^= 0x01;
        if (cases[i].len == -3)
            keep = n - 1;
        else if (cases[i].len == -2)
            keep = n + 1;
        else if (cases[i].len >= 0)
            keep = (size_t)cases[i].len;
        writeall(bad, b, keep);
        rc = f0boot(d, &o, &e, "info", bad, NULL);
        if (rc != cases[i].exit_code || !strstr(e, cases[i].needle))
            fail_msg("%s: exit %d, stderr %s", cases[i].what, rc, e);
        if (rc == 7)
            assert_non_null(strstr(o, "NOT OK")); /* fields printed, then the verdict */
        free(o);
        free(e);
        free(b);
    }
    assert_int_equal(f0boot(d, &o, NULL, "info", img, NULL), 0);
    assert_non_null(strstr(o, "\nOK\n"));
    assert_non_null(strstr(o, "payload_crc   0x"));
    free(o);
    path_in(bad, sizeof bad, d, "missing.img");
    assert_int_equal(f0boot(d, NULL, NULL, "info", bad, NULL), 3);
    free(good);
}

static void help_and_version(void **state)
{
    struct tdir *d = *state;
    char *o, *e;
    static const char *lines[] = {"pack",
                                  "info",
                                  "   0  success",
                                  "   2  bad command line",
                                  "   3  input file cannot be read",
                                  "   4  input file malformed",
                                  "   5  image would not boot",
                                  "   6  output file cannot",
                                  "   7  container fails",
                                  "  10  port",
                                  "  15  read-back"};

    assert_int_equal(f0boot(d, &o, NULL, "--help", NULL), 0);
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        if (!strstr(o, lines[i]))
            fail_msg("--help lacks \"%s\"", lines[i]);
    free(o);
    assert_int_equal(f0boot(d, &o, NULL, "--version", NULL), 0);
    assert_true(strncmp(o, "f0boot ", 7) == 0);
    assert_non_null(strstr(o, "container format v1"));
    free(o);
    assert_int_equal(f0boot(d, NULL, &e, "frobnicate", NULL), 2);
    assert_non_null(strstr(e, "unknown command"));
    free(e);
    assert_int_equal(f0boot(d, NULL, &e, NULL), 2);
    free(e);
    assert_int_equal(f0boot(d, &o, NULL, "pack", "--help", NULL), 0);
    assert_non_null(strstr(o, "--force"));
    free(o);
}

/* ---- files that are not plain files (issue 13 #5, #6), escapes (#7), no -o (issue 12) --- */

/* Like f0boot() but gives up on a run that has not ended after 60 s (it is killed and -2
 * returned): a hang is a failure, not a stuck test. The bound is far above any real run. */
static int f0boot_bounded(struct tdir *d, char **err, char *const args[])
{
    char *argv[16], e[128];
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int st, n = 0, rc = -2;

    argv[n++] = (char *)F0BOOT_BIN;
    while (args[n - 1] && n < 15) {
        argv[n] = args[n - 1];
        n++;
    }
    argv[n] = NULL;
    snprintf(e, sizeof e, "/tmp/%s.stderr", d->path + 5);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, e, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; i < 1200; i++) {
        struct timespec ts = {0, 50 * 1000 * 1000};
        if (waitpid(pid, &st, WNOHANG) == pid) {
            rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
            break;
        }
        nanosleep(&ts, NULL);
    }
    if (rc == -2) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
    }
    if (err)
        *err = readall(e, NULL);
    unlink(e);
    return rc;
}

static int is_link(const char *p)
{
    struct stat st;
    return lstat(p, &st) == 0 && S_ISLNK(st.st_mode);
}

/* A FIFO as input is refused at once (exit 3), by pack and by info: it used to block in
 * open() forever, waiting for a writer. */
static void fifo_input_refused(void **state)
{
    struct tdir *d = *state;
    char fifo[256], img[256], *e;

    path_in(fifo, sizeof fifo, d, "in.fifo");
    path_in(img, sizeof img, d, "out.img");
    assert_int_equal(mkfifo(fifo, 0644), 0);
    {
        char *const a[] = {"pack", fifo, "-o", img, NULL};
        int rc = f0boot_bounded(d, &e, a);
        if (rc != 3 || !strstr(e, "in.fifo is a FIFO (named pipe), not a regular file"))
            fail_msg("pack FIFO: exit %d (-2: still running after 60 s), stderr: %s", rc, e);
        free(e);
    }
    {
        char *const a[] = {"info", fifo, NULL};
        int rc = f0boot_bounded(d, &e, a);
        if (rc != 3 || !strstr(e, "not a regular file"))
            fail_msg("info FIFO: exit %d (-2: still running after 60 s), stderr: %s", rc, e);
        free(e);
    }
    assert_false(exists(img));
}

/* -o never replaces what is not a regular file: a link to a device or to a file stays a
 * link (the device is written to, the file behind the link replaced), a socket is refused
 * (exit 6) and stays, a FIFO nobody reads is refused at once, and a FIFO (here: stdout as
 * a pipe, through a link to /dev/stdout) receives exactly the container, the report going
 * to stderr. */
static void output_not_replaced(void **state)
{
    struct tdir *d = *state;
    char null[256], cur[256], real[256], sock[256], fifo[256], *e, *o;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct stat st;
    int fd;

    path_in(null, sizeof null, d, "null");
    assert_int_equal(symlink("/dev/null", null), 0);
    assert_int_equal(f0boot(d, NULL, &e, "pack", DATA_DIR "/app.elf", "-o", null, NULL), 0);
    free(e);
    assert_true(is_link(null));
    assert_int_equal(stat("/dev/null", &st), 0);
    assert_true(S_ISCHR(st.st_mode));

    path_in(cur, sizeof cur, d, "current.img");
    path_in(real, sizeof real, d, "real.img");
    writeall(real, "old", 3);
    assert_int_equal(symlink("real.img", cur), 0);
    assert_int_equal(f0boot(d, NULL, NULL, "pack", DATA_DIR "/app.elf", "-o", cur, NULL), 0);
    assert_true(is_link(cur));
    assert_int_equal(f0boot(d, &o, NULL, "info", real, NULL), 0);
    free(o);

    path_in(sock, sizeof sock, d, "sock");
    assert_true(strlen(sock) < sizeof sa.sun_path);
    memcpy(sa.sun_path, sock, strlen(sock) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(f0boot(d, NULL, &e, "pack", DATA_DIR "/app.elf", "-o", sock, NULL), 6);
    if (!strstr(e, "will not replace") || !strstr(e, "a socket, not a regular file"))
        fail_msg("socket: %s", e);
    free(e);
    assert_int_equal(lstat(sock, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    close(fd);

    path_in(fifo, sizeof fifo, d, "out.fifo");
    assert_int_equal(mkfifo(fifo, 0644), 0);
    {
        char *const a[] = {"pack", DATA_DIR "/app.elf", "-o", fifo, NULL};
        int rc = f0boot_bounded(d, &e, a);
        if (rc != 6 || !strstr(e, "nothing reads from it"))
            fail_msg("FIFO without reader: exit %d, stderr: %s", rc, e);
        free(e);
    }
    assert_int_equal(lstat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
}

/* pack -o LINK-TO-/dev/stdout with stdout a pipe: the pipe carries the container alone. */
static void output_to_stdout_pipe(void **state)
{
    struct tdir *d = *state;
    char link[256], img[256], e[128];
    char *argv[] = {(char *)F0BOOT_BIN, "pack", DATA_DIR "/app.elf", "-o", link, NULL};
    posix_spawn_file_actions_t fa;
    uint8_t buf[8192];
    size_t got = 0, n;
    char *want, *err;
    int p[2], st;
    pid_t pid;
    ssize_t r;

    path_in(link, sizeof link, d, "stdout");
    path_in(img, sizeof img, d, "ref.img");
    snprintf(e, sizeof e, "%s/stderr", d->path);
    assert_int_equal(symlink("/dev/stdout", link), 0);
    pack_ok(d, DATA_DIR "/app.elf", img, NULL);
    want = readall(img, &n);
    assert_int_equal(pipe(p), 0);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_addclose(&fa, p[0]);
    posix_spawn_file_actions_addopen(&fa, 2, e, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    while ((r = read(p[0], buf + got, sizeof buf - got)) > 0)
        got += (size_t)r;
    close(p[0]);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_int_equal(got, n);
    assert_memory_equal(buf, want, n);
    assert_true(is_link(link));
    err = readall(e, NULL);
    assert_non_null(strstr(err, "bytes, packed from")); /* the report, on stderr */
    free(err);
    free(want);
}

/* A container whose part name holds terminal escapes, a BEL, bytes that are not UTF-8 and a
 * C1 control (CSI as UTF-8), under valid CRCs: info shows them escaped, never raw, and
 * --json is valid JSON in valid UTF-8. */
static void info_escapes_part_name(void **state)
{
    static const char evil[] = "\x1b[2J\x07\xff\xc3(\xc2\x9bok";
    struct tdir *d = *state;
    char img[256], js[256], *o, *e, *raw;
    size_t n;
    struct f0b_img_hdr h;
    int rc;

    path_in(img, sizeof img, d, "evil.img");
    path_in(js, sizeof js, d, "evil.json");
    pack_ok(d, DATA_DIR "/app.elf", img, NULL);
    raw = readall(img, &n);
    f0b_hdr_decode((uint8_t *)raw, &h);
    memset(h.part_name, 0, sizeof h.part_name);
    memcpy(h.part_name, evil, sizeof evil - 1);
    f0b_hdr_encode(&h, (uint8_t *)raw);
    writeall(img, raw, n);
    free(raw);

    rc = f0boot(d, &o, &e, "info", img, NULL);
    assert_int_equal(rc, 7); /* the name does not match part 4 */
    for (const char *t = o; *t; t++)
        if (*t == 0x1b || *t == 0x07 || (unsigned char)*t >= 0x80)
            fail_msg("raw byte 0x%02x in info's output: %s", (unsigned char)*t, o);
    for (const char *t = e; *t; t++)
        if (*t == 0x1b || *t == 0x07 || (unsigned char)*t >= 0x80)
            fail_msg("raw byte 0x%02x in info's messages: %s", (unsigned char)*t, e);
    assert_non_null(strstr(o, "part_name     \"\\x1b[2J\\x07\\xff\\xc3(\\xc2\\x9bok\""));
    free(o);
    free(e);

    rc = f0boot(d, &o, NULL, "info", img, "--json", NULL);
    assert_int_equal(rc, 7);
    writeall(js, o, strlen(o));
    free(o);
    {
        char cmd[1024];
        char *argv[] = {(char *)PYTHON3, "-c", cmd, NULL};
        snprintf(cmd, sizeof cmd,
                 "import json; d = json.loads(open('%s', 'rb').read().decode('utf-8')); "
                 "assert d['part_name'] == '\\x1b[2J\\x07\\\\xff\\\\xc3(\\x9bok', d; "
                 "assert d['ok'] is False and 'part name' in d['error']",
                 js);
        assert_int_equal(run(argv, NULL, NULL), 0);
    }
}

/* `f0boot pack app.hex` writes app.img beside it; an input already named .img is refused
 * rather than packed over itself. */
static void pack_default_output(void **state)
{
    struct tdir *d = *state;
    char hex[256], img[256], bare[256], bimg[256], self[256], *o, *e, *a, *b;
    size_t n, n2;

    path_in(hex, sizeof hex, d, "app.hex");
    path_in(img, sizeof img, d, "app.img");
    a = readall(DATA_DIR "/app.hex", &n);
    writeall(hex, a, n);
    free(a);
    assert_int_equal(f0boot(d, &o, NULL, "pack", hex, NULL), 0);
    assert_non_null(strstr(o, "/app.img: "));
    free(o);
    assert_int_equal(f0boot(d, NULL, NULL, "info", img, NULL), 0);

    path_in(bare, sizeof bare, d, "firmware");
    path_in(bimg, sizeof bimg, d, "firmware.img");
    a = readall(DATA_DIR "/app.elf", &n);
    writeall(bare, a, n);
    assert_int_equal(f0boot(d, NULL, NULL, "pack", bare, "--json", NULL), 0);
    assert_int_equal(f0boot(d, NULL, NULL, "info", bimg, NULL), 0);

    path_in(self, sizeof self, d, "elf.img");
    writeall(self, a, n);
    assert_int_equal(f0boot(d, NULL, &e, "pack", self, NULL), 2);
    assert_non_null(strstr(e, "would write over the input; name the output with -o"));
    free(e);
    b = readall(self, &n2);
    assert_int_equal(n2, n);
    assert_memory_equal(a, b, n);
    free(a);
    free(b);
}

/* ---- mutated inputs through the library ------------------------------------------- */

/* Random bit flips, byte stores and truncations of real inputs (fixed seed): every input is
 * either refused with a known code and a message, or packs into a container that verifies.
 * Under ASan/UBSan this also proves the readers stay inside their buffers. */
static void mutated_inputs(void **state)
{
    static const char *const files[] = {DATA_DIR "/app.elf", DATA_DIR "/app.hex",
                                        DATA_DIR "/app_novt.elf"};
    const struct f0b_part *p = f0b_part_by_name("stm32f030xc");
    uint32_t rng = 12345;
    (void)state;

    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        size_t n;
        uint8_t *orig = (uint8_t *)readall(files[f], &n), *b = malloc(n);
        int packed = 0, refused = 0, clean = 0;
        assert_non_null(orig);
        assert_non_null(b);
        for (int it = 0; it < 4000; it++) {
            struct f0b_image img;
            struct f0b_img_error err;
            size_t m = n;
            int k;
#define RND() (rng = rng * 1103515245u + 12345u, (rng >> 8))
            memcpy(b, orig, n);
            for (k = (int)(RND() % 6) + 1; k > 0; k--) {
                size_t o = RND() % n;
                switch (RND() % 3) {
                case 0: b[o] ^= (uint8_t)(1u << (RND() % 8)); break;
                case 1: b[o] = (uint8_t)RND(); break;
                default: b[o] = RND() & 1 ? 0xFF : 0x00; break;
                }
            }
            if (RND() % 4 == 0)
                m = RND() % n;
#undef RND
            f0b_image_init(&img);
            memset(&err, 0, sizeof err);
            if (f0b_image_read(b, m, 0, 0, &img, &err) == 0) {
                struct f0b_lint l;
                struct f0b_pack_opts o;
                struct f0b_img_hdr h, v;
                struct f0b_container_check chk;
                uint8_t *c = NULL;
                size_t cn = 0;
                f0b_lint_run(&img, p, &l);
                memset(&o, 0, sizeof o);
                o.part = p;
                o.vt_len = l.vt_len > 192 || l.vt_len % 4 ? 188 : l.vt_len;
                o.flags = l.flags;
                if (f0b_container_build(&img, &o, &c, &cn, &h, &err) == 0) {
                    int rc = f0b_container_verify(c, cn, &v, &chk, &err);
                    /* Lint-clean images give valid containers; images lint refuses
                     * (packable only with --force) may fail a field check, never a CRC. */
                    if (rc != 0 && (l.errors == 0 || rc != F0B_IMG_ECNT_FIELD))
                        fail_msg("%s #%d: packed but does not verify: %s", files[f], it,
                                 err.detail);
                    clean += rc == 0 && l.errors == 0;
                    free(c);
                    packed++;
                } else {
                    assert_true(err.detail[0]);
                    refused++;
                }
                f0b_image_free(&img);
            } else {
                assert_int_equal(img.nseg, 0);
                if (!err.detail[0] || !strcmp(f0b_image_strerror(err.code), "unknown error"))
                    fail_msg("%s #%d: refused without a message (code %d)", files[f], it, err.code);
                refused++;
            }
        }
        assert_int_equal(packed + refused, 4000);
        assert_true(refused > 0);
        if (f != 1) /* HEX checksums refuse nearly every mutation */
            assert_true(clean > 1000);
        free(orig);
        free(b);
    }
}

/* ---- hostile inputs ---------------------------------------------------------------- */

struct hostile {
    const char *name;
    const char *text; /* literal input (NUL-terminated unless len) */
    size_t len;
    void (*make)(const char *in);
    const char *a1, *a2, *a3; /* extra arguments */
    const char *out;          /* output name if not "out.img" */
    int exit_code;
    const char *needle;
};

static char *load_app(size_t *n)
{
    char *b = readall(DATA_DIR "/app.elf", n);
    assert_non_null(b);
    return b;
}

static void patch32(const char *in, unsigned off, uint32_t v)
{
    size_t n;
    char *b = load_app(&n);
    f0b_put_le32((uint8_t *)b + off, v);
    writeall(in, b, n);
    free(b);
}

/* ELF32 offsets: e_phoff 28, e_shoff 32, e_phnum 44; Phdr (at e_phoff, 32 bytes each):
 * p_paddr +12, p_filesz +16. Section header (40 bytes each) sh_offset +16. */
static uint32_t app_phoff(void)
{
    size_t n;
    char *b = load_app(&n);
    uint32_t v = f0b_get_le32((uint8_t *)b + 28);
    free(b);
    return v;
}

static void mk_elf_trunc_hdr(const char *in)
{
    size_t n;
    char *b = load_app(&n);
    writeall(in, b, 40);
    free(b);
}

static void mk_elf_trunc_body(const char *in)
{
    size_t n;
    char *b = load_app(&n);
    writeall(in, b, 0x1100); /* cut inside .text */
    free(b);
}

static void mk_elf64(const char *in)
{
    size_t n;
    char *b = readall(self_exe, &n); /* this test program: a real x86-64 ELF */
    assert_non_null(b);
    writeall(in, b, n);
    free(b);
}

static void mk_elf_be(const char *in)
{
    size_t n;
    char *b = readall(DATA_DIR "/app_be.o", &n); /* arm-none-eabi-gcc -mbig-endian */
    assert_non_null(b);
    writeall(in, b, n);
    free(b);
}

static void mk_elf_obj(const char *in)
{
    size_t n;
    char *b = readall(DATA_DIR "/app.o", &n);
    assert_non_null(b);
    writeall(in, b, n);
    free(b);
}

static void mk_elf_x86(const char *in)
{
    size_t n;
    char *b = load_app(&n);
    f0b_put_le16((uint8_t *)b + 18, 62);
    writeall(in, b, n);
    free(b);
}

static void mk_elf_class(const char *in)
{
    size_t n;
    char *b = load_app(&n);
    b[4] = 7;
    writeall(in, b, n);
    free(b);
}

static void mk_elf_huge_filesz(const char *in) { patch32(in, app_phoff() + 16, 0xFFFFFFF0u); }

static void mk_elf_phoff(const char *in) { patch32(in, 28, 0xFFFFFF00u); }

static void mk_elf_shoff(const char *in) { patch32(in, 32, 0x7FFFFFF0u); }

static void mk_elf_nophdr(const char *in)
{
    size_t n;
    char *b = load_app(&n);
    f0b_put_le16((uint8_t *)b + 44, 0);
    writeall(in, b, n);
    free(b);
}

static void mk_elf_section_past_end(const char *in)
{
    size_t n;
    char *b = load_app(&n);
    uint32_t shoff = f0b_get_le32((uint8_t *)b + 32);
    f0b_put_le32((uint8_t *)b + shoff + 2 * 40 + 16, 0x7FFF0000u); /* section 2: .text */
    writeall(in, b, n);
    free(b);
}

static void mk_elf_wrap(const char *in)
{
    patch32(in, app_phoff() + 32 + 12, 0xFFFFFFF0u); /* segment 1 (.data) load address */
}

static void mk_elf_overlap(const char *in)
{
    patch32(in, app_phoff() + 32 + 12, 0x08001010u); /* .data loaded over .text */
}

static void mk_container(const char *in)
{
    uint8_t b[80] = "F0IM";
    writeall(in, b, sizeof b);
}

static void mk_huge_file(const char *in)
{
    int fd = open(in, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, 100 * 1024 * 1024), 0); /* sparse */
    close(fd);
}

static void mk_out_dir(const char *in)
{
    char p[512];
    size_t n;
    char *b = load_app(&n);
    writeall(in, b, n);
    free(b);
    snprintf(p, sizeof p, "%.*s/outdir", (int)(strrchr(in, '/') - in), in);
    assert_int_equal(mkdir(p, 0755), 0);
}

static void mk_app(const char *in)
{
    size_t n;
    char *b = load_app(&n);
    writeall(in, b, n);
    free(b);
}

#define HEX(name, text, code, needle)                             \
    {                                                             \
        name, text, 0, NULL, NULL, NULL, NULL, NULL, code, needle \
    }
#define MK(name, fn, code, needle)                              \
    {                                                           \
        name, NULL, 0, fn, NULL, NULL, NULL, NULL, code, needle \
    }

static const struct hostile hostile[] = {
    {"empty file", "", 0, NULL, NULL, NULL, NULL, NULL, 4, "is empty"},
    HEX("hex: truncated record", ":020000040800F2\n:10100000008000", 4,
        "line 2: length byte says 16"),
    HEX("hex: bad checksum", ":020000040800F2\n:04100000008000204D\n:00000001FF\n", 4,
        "line 2: checksum is 0x4D"),
    HEX("hex: missing EOF", ":020000040800F2\n:04100000008000204C\n", 4,
        "without an end-of-file record"),
    HEX("hex: data after EOF", ":04100000008000204C\n:00000001FF\n:04100000008000204C\n", 4,
        "line 3: data after the end-of-file record on line 2"),
    HEX("hex: unknown record type", ":020000040800F2\n:040000060080002056\n:00000001FF\n", 4,
        "line 2: unknown record type 06"),
    HEX("hex: overlapping records",
        ":020000040800F2\n:04100000008000204C\n:041002001122334440\n:00000001FF\n", 4,
        "line 3: data at 0x08001002-0x08001005 overlaps data at 0x08001000-0x08001003 (line 2)"),
    HEX("hex: address wraps past 4 GiB",
        ":02000004FFFFFC\n:10FFF800000102030405060708090A0B0C0D0E0F81\n:00000001FF\n", 4,
        "wrap past 4 GiB"),
    HEX("hex: not a hex digit", ":020000040800F2\n:0410000000800G204C\n:00000001FF\n", 4,
        "line 2, column 15: 'G' is not a hex digit"),
    HEX("hex: odd digit count", ":020000040800F2\n:04100000008000204\n:00000001FF\n", 4,
        "line 2: odd number of hex digits"),
    HEX("hex: extended address of 3 bytes", ":0300000402000CEB\n:00000001FF\n", 4,
        "line 1: extended linear address record (type 04) must hold 2"),
    HEX("hex: EOF record with data", ":04100000008000204C\n:01000001AA54\n", 4,
        "line 2: end-of-file record (type 01) must hold 0"),
    {"hex: binary garbage", ":\x01\x00\xff", 4, NULL, NULL, NULL, NULL, NULL, 4,
     "line 1, column 2: byte 0x01 is not a hex digit"},
    HEX("hex: only an EOF record", ":00000001FF\n", 4, "no data records"),
    HEX("hex: 128 MiB span (lint)",
        ":020000040800F2\n:04100000008000204C\n:020000041000EA\n:0400000001020304F2\n"
        ":00000001FF\n",
        5, "error [size]"),
    {"hex: 128 MiB span (--force)",
     ":020000040800F2\n:04100000008000204C\n:020000041000EA\n:0400000001020304F2\n"
     ":00000001FF\n",
     0, NULL, "--force", NULL, NULL, NULL, 4, "more than 16 MiB"},
    MK("elf: truncated header", mk_elf_trunc_hdr, 4, "ELF header truncated"),
    MK("elf: truncated body", mk_elf_trunc_body, 4, "the file is truncated or corrupt"),
    MK("elf: 64-bit", mk_elf64, 4, "64-bit ELF"),
    MK("elf: big-endian", mk_elf_be, 4, "big-endian ELF"),
    MK("elf: not ARM", mk_elf_x86, 4, "machine 62 (x86-64), not ARM"),
    MK("elf: object file", mk_elf_obj, 4, "relocatable object"),
    MK("elf: invalid class", mk_elf_class, 4, "invalid ELF class"),
    MK("elf: huge p_filesz", mk_elf_huge_filesz, 4, "run past the end of the file"),
    MK("elf: program headers outside file", mk_elf_phoff, 4, "program header"),
    MK("elf: section headers outside file", mk_elf_shoff, 4, "section header table"),
    MK("elf: no program headers", mk_elf_nophdr, 4, "no program headers"),
    MK("elf: section past end", mk_elf_section_past_end, 4, "section .text:"),
    MK("elf: load address wraps", mk_elf_wrap, 4, "wrap past 4 GiB"),
    MK("elf: .data loaded over .text", mk_elf_overlap, 4, "section .data: data at 0x08001010"),
    MK("container given to pack", mk_container, 4, "already an f0boot container"),
    HEX("raw binary without --addr", "\x01\x02\x03\x04\x05\x06\x07\x08", 4, "--addr"),
    {"raw binary wrapping past 4 GiB", "0123456789abcdef0123456789abcdef", 0, NULL, "--addr",
     "0xFFFFFFF0", NULL, NULL, 4, "wrap past 4 GiB"},
    MK("100 MiB input", mk_huge_file, 4, "more than 64 MiB"),
    {"output directory missing", NULL, 0, mk_app, NULL, NULL, NULL, "nodir/out.img", 6,
     "cannot create a file next to"},
    {"output is a directory", NULL, 0, mk_out_dir, NULL, NULL, NULL, "outdir", 6, "cannot create"},
    {"bad --version", NULL, 0, mk_app, "--version", "1.2", NULL, NULL, 2, "X.Y.Z"},
    {"unknown --part", NULL, 0, mk_app, "--part", "stm32f103c8", NULL, NULL, 2, "unknown part"},
    {"--addr with an ELF", NULL, 0, mk_app, "--addr", "0x08001000", NULL, NULL, 2,
     "only for raw binaries"},
    {"missing input", NULL, 0, NULL, NULL, NULL, NULL, NULL, 3, "cannot open"},
    {"output is the input", NULL, 0, mk_app, NULL, NULL, NULL, "input", 2, "is the input itself"},
};

struct hostile_state {
    struct tdir d;
    const struct hostile *c;
};

static int hostile_setup(void **state)
{
    struct hostile_state *s = calloc(1, sizeof *s);
    if (!s)
        return -1;
    s->c = *state;
    strcpy(s->d.path, "/tmp/f0b-image-XXXXXX");
    if (!mkdtemp(s->d.path))
        return -1;
    *state = s;
    return 0;
}

static int hostile_teardown(void **state)
{
    struct hostile_state *s = *state;
    rm_tree(s->d.path);
    free(s);
    return 0;
}

static void hostile_run(void **state)
{
    struct hostile_state *s = *state;
    const struct hostile *c = s->c;
    char in[256], out[256], *e;
    int rc, inputs;

    path_in(in, sizeof in, &s->d, "input");
    path_in(out, sizeof out, &s->d, c->out ? c->out : "out.img");
    if (c->text)
        writeall(in, c->text, c->len ? c->len : strlen(c->text));
    else if (c->make)
        c->make(in);
    inputs = dir_entries(s->d.path);
    rc = f0boot(&s->d, NULL, &e, "pack", in, "-o", out, c->a1, c->a2, c->a3, NULL);
    if (rc != c->exit_code || !strstr(e, c->needle) || strncmp(e, "f0boot pack: ", 13) != 0) {
        char m[1024];
        snprintf(m, sizeof m, "%s", e);
        free(e);
        fail_msg("%s: exit %d (want %d), stderr: %s", c->name, rc, c->exit_code, m);
    }
    free(e);
    /* Nothing written: no output, no temporary file (the input is left as it was). */
    if (c->out && strcmp(c->out, "input") == 0) {
        size_t n1, n2;
        char *a = readall(in, &n1), *b = readall(DATA_DIR "/app.elf", &n2);
        assert_int_equal(n1, n2);
        assert_memory_equal(a, b, n1);
        free(a);
        free(b);
    } else if (!c->out || strcmp(c->out, "outdir") != 0) {
        assert_false(exists(out));
    }
    assert_int_equal(dir_entries(s->d.path), inputs);
    if (c->out && strcmp(c->out, "outdir") == 0)
        assert_int_equal(dir_entries(out), 0);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(help_and_version, setup, teardown),
        cmocka_unit_test_setup_teardown(elf_payload_matches_objcopy, setup, teardown),
        cmocka_unit_test_setup_teardown(hex_payload_matches_srec_cat, setup, teardown),
        cmocka_unit_test_setup_teardown(roundtrip_info_json, setup, teardown),
        cmocka_unit_test_setup_teardown(roundtrip_hex_and_bin, setup, teardown),
        cmocka_unit_test_setup_teardown(lint_cli, setup, teardown),
        cmocka_unit_test_setup_teardown(info_rejects_damage, setup, teardown),
        cmocka_unit_test_setup_teardown(fifo_input_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(output_not_replaced, setup, teardown),
        cmocka_unit_test_setup_teardown(output_to_stdout_pipe, setup, teardown),
        cmocka_unit_test_setup_teardown(info_escapes_part_name, setup, teardown),
        cmocka_unit_test_setup_teardown(pack_default_output, setup, teardown),
        cmocka_unit_test(mutated_inputs),
    };
    enum { NH = sizeof hostile / sizeof hostile[0] };
    struct CMUnitTest ht[NH];
    int fails;

    if (!realpath(argv[0], self_exe))
        return 1;
    for (size_t i = 0; i < NH; i++) {
        ht[i] = (struct CMUnitTest){hostile[i].name, hostile_run, hostile_setup, hostile_teardown,
                                    (void *)&hostile[i]};
    }
    /* argv[1]: "cli" or "hostile" runs one group (ctest runs them as two tests). */
    fails = 0;
    if (argc < 2 || strcmp(argv[1], "hostile") != 0)
        fails += cmocka_run_group_tests_name("image_cli", tests, NULL, NULL);
    if (argc < 2 || strcmp(argv[1], "cli") != 0)
        fails += cmocka_run_group_tests_name("image_hostile", ht, NULL, NULL);
    return fails ? 1 : 0;
}
