/* f0boot pack and f0boot info: the image commands (libimage does the work). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "exit_codes.h"
#include "f0boot/image.h"
#include "json.h"
#include "util.h"


/* Where a command reports: text on stderr, plus one JSON object on stdout with --json. */
struct out {
    const char *cmd;
    int json;
};

__attribute__((format(printf, 3, 4)))
static int fail(const struct out *o, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    code = cli_vfail(o->cmd, o->json, 0, code, fmt, ap);
    va_end(ap);
    return code;
}

/* Exit code for a libimage error. */
/* The whole input file, or the exit code after saying why not. */
static int read_file(const struct out *o, const char *path, uint8_t **buf, size_t *len)
{
    char msg[512];
    int rc = cli_read_file(path, buf, len, msg, sizeof msg);
    return rc ? fail(o, rc, "%s", msg) : 0;
}

static int img_exit(int code)
{
    switch (code) {
    case F0B_IMG_ENOMEM:
    case F0B_IMG_EARG:
        return F0B_EXIT_INTERNAL;
    case F0B_IMG_ECNT_HDR_CRC:
    case F0B_IMG_ECNT_SIZE:
    case F0B_IMG_ECNT_PAYLOAD_CRC:
    case F0B_IMG_ECNT_FIELD:
        return F0B_EXIT_CONTAINER;
    default:
        return F0B_EXIT_INPUT_FORMAT;
    }
}

/* Write to a temporary file in the same directory, then rename over path, so a reader
 * never sees a half-written container and a failure leaves nothing behind. */
static int write_atomic(const struct out *o, const char *path, const uint8_t *buf, size_t len)
{
    char *tmp = NULL;
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    int fd = -1, rc = F0B_EXIT_OK;
    mode_t mask;

    tmp = malloc(dirlen + 32);
    if (!tmp)
        return fail(o, F0B_EXIT_INTERNAL, "out of memory");
    memcpy(tmp, path, dirlen);
    strcpy(tmp + dirlen, ".f0boot-pack-XXXXXX");
    fd = mkstemp(tmp);
    if (fd < 0) {
        rc = fail(o, F0B_EXIT_OUTPUT, "cannot create a file next to %s: %s", path,
                  strerror(errno));
        free(tmp);
        return rc;
    }
    for (size_t off = 0; off < len;) {
        ssize_t n = write(fd, buf + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = fail(o, F0B_EXIT_OUTPUT, "cannot write %s: %s", path,
                      n < 0 ? strerror(errno) : "no space written");
            goto done;
        }
        off += (size_t)n;
    }
    /* mkstemp() makes 0600; give the file the mode a plain create would have. */
    mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0 || fsync(fd) != 0) {
        rc = fail(o, F0B_EXIT_OUTPUT, "cannot write %s: %s", path, strerror(errno));
        goto done;
    }
    if (close(fd) != 0) {
        fd = -1;
        rc = fail(o, F0B_EXIT_OUTPUT, "cannot write %s: %s", path, strerror(errno));
        goto done;
    }
    fd = -1;
    if (rename(tmp, path) != 0)
        rc = fail(o, F0B_EXIT_OUTPUT, "cannot create %s: %s", path, strerror(errno));
done:
    if (fd >= 0)
        close(fd);
    if (rc)
        unlink(tmp);
    free(tmp);
    return rc;
}

static void flags_str(char *b, size_t n, uint32_t flags)
{
    snprintf(b, n, "%s%s%s", flags & F0B_FLAG_VT_LEN_GUESSED ? " VT_LEN_GUESSED" : "",
             flags & F0B_FLAG_LINT_FORCED ? " LINT_FORCED" : "",
             flags & ~(F0B_FLAG_VT_LEN_GUESSED | F0B_FLAG_LINT_FORCED) ? " (unknown bits)" : "");
}

static const char pack_usage[] =
    "usage: f0boot pack IN -o OUT [--part P] [--version X.Y.Z[+B]] [--addr A] [--force] [--json]\n"
    "  IN            application as ELF (.elf), Intel HEX (.hex) or raw binary (needs --addr)\n"
    "  -o OUT        container to write (written to a temporary file, then renamed)\n"
    "  --part P      target part (default stm32f030xc); one of:";

static void print_pack_usage(FILE *f)
{
    fputs(pack_usage, f);
    for (size_t i = 0; i < f0b_part_count(); i++)
        fprintf(f, " %s", f0b_part_at(i)->name);
    fputs("\n  --version V   image version X.Y.Z or X.Y.Z+BUILD (default 0.0.0)\n"
          "  --addr A      flash address of a raw binary (e.g. 0x08001000)\n"
          "  --force       pack even if lint finds errors (sets the LINT_FORCED flag)\n"
          "  --json        print the result as one JSON object\n", f);
}

int cmd_pack(int argc, char **argv)
{
    struct out o = {"pack", 0};
    const char *in = NULL, *outp = NULL, *part_name = "stm32f030xc", *ver = NULL, *addr_s = NULL;
    int force = 0, bad = 0, rc;
    uint32_t addr = 0;
    uint8_t *buf = NULL, *cnt = NULL;
    size_t len = 0, cnt_len = 0;
    struct f0b_image img;
    struct f0b_img_error err;
    struct f0b_lint lint;
    struct f0b_pack_opts po;
    struct f0b_img_hdr h;
    const struct f0b_part *part;
    char vs[48], fs[64];

    f0b_image_init(&img);
    memset(&po, 0, sizeof po);
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--json") == 0)
            o.json = 1;
    for (int i = 1; i < argc && !bad; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            print_pack_usage(stdout);
            return F0B_EXIT_OK;
        } else if (strcmp(a, "-o") == 0 || cli_is_opt(a, "--output")) {
            bad = !(outp = cli_optval(argc, argv, &i, "--output"));
        } else if (cli_is_opt(a, "--part")) {
            bad = !(part_name = cli_optval(argc, argv, &i, "--part"));
        } else if (cli_is_opt(a, "--version")) {
            bad = !(ver = cli_optval(argc, argv, &i, "--version"));
        } else if (cli_is_opt(a, "--addr")) {
            bad = !(addr_s = cli_optval(argc, argv, &i, "--addr"));
        } else if (strcmp(a, "--force") == 0) {
            force = 1;
        } else if (strcmp(a, "--json") == 0) {
        } else if (a[0] == '-' && a[1] != '\0') {
            rc = fail(&o, F0B_EXIT_USAGE, "unknown option '%s'; see f0boot pack --help", a);
            goto done;
        } else if (in) {
            rc = fail(&o, F0B_EXIT_USAGE, "more than one input ('%s' and '%s')", in, a);
            goto done;
        } else {
            in = a;
        }
    }
    if (bad) {
        rc = fail(&o, F0B_EXIT_USAGE, "option '%s' needs a value; see f0boot pack --help",
                  argv[argc - 1]);
        goto done;
    }
    if (!in || !outp) {
        rc = fail(&o, F0B_EXIT_USAGE, "need an input and -o OUTPUT: f0boot pack app.elf -o app.img");
        goto done;
    }
    part = f0b_part_by_name(part_name);
    if (!part) {
        rc = fail(&o, F0B_EXIT_USAGE, "unknown part '%s'; f0boot pack --help lists the parts",
                  part_name);
        goto done;
    }
    if (ver && f0b_version_parse(ver, &po.version, &err)) {
        rc = fail(&o, F0B_EXIT_USAGE, "%s", err.detail);
        goto done;
    }
    if (addr_s && cli_parse_u32(addr_s, &addr)) {
        rc = fail(&o, F0B_EXIT_USAGE,
                  "--addr '%s' is not a 32-bit address (decimal or 0x hex, e.g. 0x08001000)",
                  addr_s);
        goto done;
    }

    {
        struct stat si, so;
        if (stat(in, &si) == 0 && stat(outp, &so) == 0 && si.st_dev == so.st_dev &&
            si.st_ino == so.st_ino) {
            rc = fail(&o, F0B_EXIT_USAGE, "-o %s is the input itself; choose another output",
                      outp);
            goto done;
        }
    }
    rc = read_file(&o, in, &buf, &len);
    if (rc)
        goto done;
    if (addr_s && len && f0b_sniff(buf, len) != F0B_FMT_BIN) {
        rc = fail(&o, F0B_EXIT_USAGE,
                  "--addr is only for raw binaries; %s is %s and says where it goes", in,
                  f0b_format_name(f0b_sniff(buf, len)));
        goto done;
    }
    rc = f0b_image_read(buf, len, addr_s != NULL, addr, &img, &err);
    if (rc) {
        rc = fail(&o, img_exit(rc), "%s: %s", in, err.detail);
        goto done;
    }

    f0b_lint_run(&img, part, &lint);
    for (int i = 0; i < lint.n; i++)
        fprintf(stderr, "f0boot pack: %s: %s [%s]: %s\n", in,
                lint.f[i].sev == F0B_LINT_ERROR ? (force ? "error (forced)" : "error") :
                                                   "warning",
                lint.f[i].id, lint.f[i].msg);
    if (lint.errors && !force) {
        rc = fail(&o, F0B_EXIT_LINT,
                  "%s: not packed: %d lint error%s above; fix %s, or pack anyway with --force",
                  in, lint.errors, lint.errors == 1 ? "" : "s", lint.errors == 1 ? "it" : "them");
        goto done;
    }

    po.part = part;
    po.vt_len = lint.vt_len;
    po.flags = lint.flags | (lint.errors ? F0B_FLAG_LINT_FORCED : 0);
    rc = f0b_container_build(&img, &po, &cnt, &cnt_len, &h, &err);
    if (rc) {
        rc = fail(&o, img_exit(rc), "%s: %s", in, err.detail);
        goto done;
    }
    rc = write_atomic(&o, outp, cnt, cnt_len);
    if (rc)
        goto done;

    cli_version_str(vs, sizeof vs, &h);
    flags_str(fs, sizeof fs, h.flags);
    if (o.json) {
        struct json j;
        json_begin(&j, stdout);
        json_bool(&j, "ok", 1);
        json_str(&j, "input", in);
        json_str(&j, "format", f0b_format_name(img.format));
        json_str(&j, "output", outp);
        json_u64(&j, "size", cnt_len);
        json_hex32(&j, "load_addr", h.load_addr);
        json_u64(&j, "payload_size", h.payload_size);
        json_hex32(&j, "payload_crc", h.payload_crc);
        json_u64(&j, "vt_len", h.vt_len);
        json_str(&j, "vt_source", img.vt_len ? img.vt_source : "guessed");
        json_hex32(&j, "flags", h.flags);
        json_u64(&j, "part", h.part);
        json_str(&j, "part_name", h.part_name);
        json_str(&j, "version", vs);
        json_hex32(&j, "init_sp", h.init_sp);
        json_hex32(&j, "reset_vec", h.reset_vec);
        json_hex32(&j, "hdr_crc", h.hdr_crc);
        json_u64(&j, "lint_errors", (uint64_t)lint.errors);
        json_u64(&j, "lint_warnings", (uint64_t)lint.warnings);
        json_obj(&j, "lint");
        for (int i = 0; i < lint.n; i++) {
            char m[sizeof lint.f[i].msg + 16];
            snprintf(m, sizeof m, "%s: %s",
                     lint.f[i].sev == F0B_LINT_ERROR ? "error" : "warning", lint.f[i].msg);
            json_str(&j, lint.f[i].id, m);
        }
        json_close(&j);
        json_end(&j);
    } else {
        printf("%s: %zu bytes, packed from %s (%s)\n", outp, cnt_len, in,
               f0b_format_name(img.format));
        printf("  load_addr     0x%08x\n", (unsigned)h.load_addr);
        printf("  payload       %u bytes, crc32 0x%08x\n", (unsigned)h.payload_size,
               (unsigned)h.payload_crc);
        printf("  vt_len        %u (%s)\n", (unsigned)h.vt_len,
               img.vt_len ? img.vt_source : "guessed: the part's full table");
        printf("  part          %s (%u)\n", h.part_name, (unsigned)h.part);
        printf("  version       %s\n", vs);
        printf("  init_sp       0x%08x\n", (unsigned)h.init_sp);
        printf("  reset_vec     0x%08x\n", (unsigned)h.reset_vec);
        printf("  flags         0x%08x%s\n", (unsigned)h.flags, fs);
    }
    rc = F0B_EXIT_OK;
done:
    free(cnt);
    free(buf);
    f0b_image_free(&img);
    return rc;
}

int cmd_info(int argc, char **argv)
{
    struct out o = {"info", 0};
    const char *in = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    struct f0b_img_hdr h;
    struct f0b_container_check chk;
    struct f0b_img_error err;
    int rc, vrc;
    char vs[48], fs[64];

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            o.json = 1;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: f0boot info FILE [--json]\n"
                   "  print every header field of an f0boot container, check the header and\n"
                   "  payload CRCs and every field; say OK or why not (exit 7)\n");
            return F0B_EXIT_OK;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return fail(&o, F0B_EXIT_USAGE, "unknown option '%s'; see f0boot info --help",
                        argv[i]);
        } else if (in) {
            return fail(&o, F0B_EXIT_USAGE, "more than one file ('%s' and '%s')", in, argv[i]);
        } else {
            in = argv[i];
        }
    }
    if (!in)
        return fail(&o, F0B_EXIT_USAGE, "need a file: f0boot info app.img");
    rc = read_file(&o, in, &buf, &len);
    if (rc)
        goto done;

    vrc = f0b_container_verify(buf, len, &h, &chk, &err);
    if (vrc && (!chk.have_hdr || vrc == F0B_IMG_ECNT_MAGIC || vrc == F0B_IMG_ECNT_VERSION)) {
        rc = fail(&o, img_exit(vrc), "%s: %s", in, err.detail);
        goto done;
    }
    cli_version_str(vs, sizeof vs, &h);
    flags_str(fs, sizeof fs, h.flags);
    if (o.json) {
        struct json j;
        json_begin(&j, stdout);
        json_bool(&j, "ok", vrc == 0);
        json_str(&j, "file", in);
        json_u64(&j, "size", len);
        json_hex32(&j, "magic", h.magic);
        json_u64(&j, "hdr_version", h.hdr_version);
        json_u64(&j, "hdr_size", h.hdr_size);
        json_hex32(&j, "flags", h.flags);
        json_bool(&j, "vt_len_guessed", !!(h.flags & F0B_FLAG_VT_LEN_GUESSED));
        json_bool(&j, "lint_forced", !!(h.flags & F0B_FLAG_LINT_FORCED));
        json_hex32(&j, "load_addr", h.load_addr);
        json_u64(&j, "payload_size", h.payload_size);
        json_hex32(&j, "payload_crc", h.payload_crc);
        json_hex32(&j, "payload_crc_calc", chk.payload_crc_calc);
        json_bool(&j, "payload_crc_ok", chk.payload_crc_ok);
        json_u64(&j, "vt_len", h.vt_len);
        json_u64(&j, "part", h.part);
        json_str(&j, "part_name", h.part_name);
        json_u64(&j, "ver_major", h.ver_major);
        json_u64(&j, "ver_minor", h.ver_minor);
        json_u64(&j, "ver_patch", h.ver_patch);
        json_u64(&j, "ver_build", h.ver_build);
        json_str(&j, "version", vs);
        json_hex32(&j, "init_sp", h.init_sp);
        json_hex32(&j, "reset_vec", h.reset_vec);
        json_hex32(&j, "hdr_crc", h.hdr_crc);
        json_hex32(&j, "hdr_crc_calc", chk.hdr_crc_calc);
        json_bool(&j, "hdr_crc_ok", chk.hdr_crc_ok);
        json_str(&j, "error", vrc ? err.detail : "");
        json_end(&j);
    } else {
        const struct f0b_part *p = f0b_part_by_code(h.part);
        printf("%s: f0boot container, %zu bytes\n", in, len);
        printf("  magic         0x%08x (\"F0IM\")\n", (unsigned)h.magic);
        printf("  hdr_version   %u\n", (unsigned)h.hdr_version);
        printf("  hdr_size      %u\n", (unsigned)h.hdr_size);
        printf("  flags         0x%08x%s\n", (unsigned)h.flags, fs);
        printf("  load_addr     0x%08x\n", (unsigned)h.load_addr);
        printf("  payload_size  %u\n", (unsigned)h.payload_size);
        printf("  payload_crc   0x%08x (%s)\n", (unsigned)h.payload_crc,
               chk.payload_crc_ok ? "ok" : "BAD");
        printf("  vt_len        %u\n", (unsigned)h.vt_len);
        printf("  part          %u (%s)\n", (unsigned)h.part, p ? p->name : "unknown");
        printf("  version       %s\n", vs);
        printf("  part_name     \"%s\"\n", h.part_name);
        printf("  init_sp       0x%08x\n", (unsigned)h.init_sp);
        printf("  reset_vec     0x%08x\n", (unsigned)h.reset_vec);
        printf("  hdr_crc       0x%08x (%s)\n", (unsigned)h.hdr_crc,
               chk.hdr_crc_ok ? "ok" : "BAD");
        if (vrc == 0)
            printf("OK\n");
        else
            printf("NOT OK: %s\n", err.detail);
    }
    if (vrc) {
        if (!o.json)
            fprintf(stderr, "f0boot info: %s: %s\n", in, err.detail);
        rc = img_exit(vrc);
    }
done:
    free(buf);
    return rc;
}
