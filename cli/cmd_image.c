/* f0boot pack and f0boot info: the image commands (libimage does the work). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "common/exit_codes.h"
#include "common/util.h"
#include "f0boot/image.h"
#include "format.h"
#include "output.h"
#include "pack.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- pack ------------------------------------------------------------------------- */

static const char pack_usage[] =
    "usage: f0boot pack IN [-o OUT] [--part P] [--version X.Y.Z[+B]] [--addr A] [--key K] "
    "[--force] [--json]\n"
    "  IN            application as ELF (.elf), Intel HEX (.hex) or raw binary (needs --addr)\n"
    "  -o OUT        container to write (default: IN with its extension replaced by .img);\n"
    "                a file is written to a temporary file, then renamed; a device such as\n"
    "                /dev/stdout is written to; nothing else is ever replaced\n"
    "  --part P      target part (default stm32f030xc); one of:";

static void print_pack_usage(FILE *f)
{
    fputs(pack_usage, f);
    for (size_t i = 0; i < f0b_part_count(); i++)
        fprintf(f, " %s", f0b_part_at(i)->name);
    fputs("\n  --version V   image version X.Y.Z or X.Y.Z+BUILD (default 0.0.0)\n"
          "  --addr A      flash address of a raw binary (e.g. 0x08001000)\n"
          "  --key K       encrypt and authenticate with the product key in file K (f0boot\n"
          "                keygen): container format v2, for the secure bootloader built with\n"
          "                the same key (docs/security.md); a fresh random nonce every time\n"
          "  --force       pack even if lint finds errors (sets the LINT_FORCED flag)\n"
          "  --json        print the result as one JSON object\n",
          f);
}

/* The command line of pack. */
struct pack_args {
    const char *in, *out, *part, *ver, *addr, *key;
    int force;
    char def_out[4096]; /* the default output name when there is no -o */
};

/* A value option (-o/--output, --part, --version, --addr) at argv[*i]: 1 if it was one
 * (*bad set when its value is missing), 0 if not. */
static int pack_valopt(struct pack_args *a, int argc, char **argv, int *i, int *bad)
{
    static const char *const names[] = {"--output", "--part", "--version", "--addr", "--key"};
    const char **dst[] = {&a->out, &a->part, &a->ver, &a->addr, &a->key};
    const char *arg = argv[*i];

    for (size_t k = 0; k < COUNT(names); k++) {
        if (!cli_is_opt(arg, names[k]) && !(k == 0 && strcmp(arg, "-o") == 0))
            continue;
        *dst[k] = cli_optval(argc, argv, i, names[k]);
        *bad = *dst[k] == NULL;
        return 1;
    }
    return 0;
}

/* Returns -1 to go on, else the exit code (0 after --help). */
static int pack_parse(struct out *o, int argc, char **argv, struct pack_args *a)
{
    int bad = 0;

    memset(a, 0, sizeof *a);
    a->part = "stm32f030xc";
    for (int i = 1; i < argc && !bad; i++) {
        const char *s = argv[i];
        if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
            print_pack_usage(stdout);
            return F0B_EXIT_OK;
        } else if (pack_valopt(a, argc, argv, &i, &bad) || strcmp(s, "--json") == 0) {
        } else if (strcmp(s, "--force") == 0) {
            a->force = 1;
        } else if (s[0] == '-' && s[1] != '\0') {
            return out_fail(o, F0B_EXIT_USAGE, "unknown option '%s'; see f0boot pack --help", s);
        } else if (a->in) {
            return out_fail(o, F0B_EXIT_USAGE, "more than one input ('%s' and '%s')", a->in, s);
        } else {
            a->in = s;
        }
    }
    if (bad)
        return out_fail(o, F0B_EXIT_USAGE, "option '%s' needs a value; see f0boot pack --help",
                        argv[argc - 1]);
    return -1;
}

/* IN with the extension of its last path component replaced by .img ("app.hex" ->
 * "app.img", "build/app" -> "build/app.img"). */
static void default_output(char *b, size_t n, const char *in)
{
    const char *base = strrchr(in, '/'), *dot;
    size_t keep = strlen(in);

    base = base ? base + 1 : in;
    dot = strrchr(base, '.');
    if (dot && dot != base)
        keep = (size_t)(dot - in);
    snprintf(b, n, "%.*s.img", (int)keep, in);
}

/* Options into the packing request; the output never the input itself. */
static int pack_check(struct out *o, struct pack_args *a, struct pack_req *r)
{
    struct f0b_img_error err;
    struct stat si, so;

    memset(r, 0, sizeof *r);
    if (!a->in) /* checked here, where it is used: a->in is never NULL below */
        return out_fail(o, F0B_EXIT_USAGE, "need an input: f0boot pack app.elf [-o app.img]");
    r->in = a->in;
    r->force = a->force;
    r->verb = "pack";
    r->part = f0b_part_by_name(a->part);
    if (!r->part)
        return out_fail(o, F0B_EXIT_USAGE,
                        "unknown part '%s'; f0boot pack --help lists the "
                        "parts",
                        a->part);
    if (a->ver && f0b_version_parse(a->ver, &r->version, &err))
        return out_fail(o, F0B_EXIT_USAGE, "%s", err.detail);
    r->raw = a->addr != NULL;
    if (a->addr && cli_parse_u32(a->addr, &r->addr))
        return out_fail(o, F0B_EXIT_USAGE,
                        "--addr '%s' is not a 32-bit address (decimal or 0x "
                        "hex, e.g. 0x08001000)",
                        a->addr);
    if (!a->out) {
        default_output(a->def_out, sizeof a->def_out, a->in);
        a->out = a->def_out;
        if (strcmp(a->out, a->in) == 0)
            return out_fail(o, F0B_EXIT_USAGE,
                            "%s already ends in .img: packing it would "
                            "write over the input; name the output with -o",
                            a->in);
    }
    if (stat(a->out, &so) == 0 && fstat(STDOUT_FILENO, &si) == 0 && si.st_dev == so.st_dev &&
        si.st_ino == so.st_ino)
        o->res = stderr; /* stdout carries the container: the report goes beside it */
    if (stat(a->in, &si) == 0 && stat(a->out, &so) == 0 && si.st_dev == so.st_dev &&
        si.st_ino == so.st_ino)
        return out_fail(o, F0B_EXIT_USAGE, "-o %s is the input itself; choose another output",
                        a->out);
    return -1;
}

/* Read the input and pack it; --addr only for raw binaries. */
static int pack_input(struct out *o, const struct pack_req *r, struct packed *p)
{
    char msg[512];
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = cli_read_file(r->in, &buf, &len, msg, sizeof msg);

    if (rc)
        return out_fail(o, rc, "%s", msg);
    if (r->raw && len && f0b_sniff(buf, len) != F0B_FMT_BIN)
        rc = out_fail(o, F0B_EXIT_USAGE,
                      "--addr is only for raw binaries; %s is %s and says "
                      "where it goes",
                      r->in, f0b_format_name(f0b_sniff(buf, len)));
    else
        rc = pack_image(o, r, buf, len, p);
    free(buf);
    return rc;
}

/* Read and parse a key file (--key): 0, or the exit code after out_fail(). */
static int load_key(struct out *o, const char *path, uint8_t key[F0B_KEY_LEN])
{
    struct f0b_img_error err;
    char msg[512];
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = cli_read_file(path, &buf, &len, msg, sizeof msg);

    if (rc)
        return out_fail(o, rc, "--key: %s", msg);
    rc = f0b_key_parse(buf, len, key, &err);
    memset(buf, 0, len);
    free(buf);
    if (rc)
        return out_fail(o, F0B_EXIT_USAGE, "--key %s: %s", path, err.detail);
    return 0;
}

/* --key: the packed plain container becomes a v2 one under a fresh nonce. */
static int pack_encrypt(struct out *o, const char *keyfile, struct packed *p)
{
    struct f0b_img_error err;
    uint8_t key[F0B_KEY_LEN], nonce[F0B_IMG_NONCE_LEN], *enc = NULL;
    size_t len = 0;
    int rc = load_key(o, keyfile, key);

    if (rc)
        return rc;
    rc = f0b_random(nonce, sizeof nonce, &err);
    if (rc == 0)
        rc = f0b_container_encrypt(p->cnt, p->len, key, nonce, &enc, &len, &p->h, &err);
    memset(key, 0, sizeof key);
    if (rc)
        return out_fail(o, rc == F0B_IMG_ERANDOM ? F0B_EXIT_INTERNAL : pack_img_exit(rc),
                        "--key: %s", err.detail);
    free(p->cnt);
    p->cnt = enc;
    p->len = len;
    return 0;
}

static void hexstr(char *out, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", p[i]);
}

static void pack_result(struct out *o, const struct pack_args *a, const struct packed *p)
{
    const struct f0b_img_hdr *h = &p->h;
    char title[8192], payload[64], vt[96], part[64], vs[48], fs[64];
    struct out_field f[24 + F0B_LINT_MAX];
    char lint[F0B_LINT_MAX][sizeof p->lint.f[0].msg + 16];
    size_t n = 0;

    fmt_version(vs, sizeof vs, h);
    fmt_flags(fs, sizeof fs, h->flags);
    snprintf(title, sizeof title, "%s: %zu bytes, packed from %s (%s)", a->out, p->len, a->in,
             f0b_format_name(p->format));
    int enc = h->hdr_version == F0B_IMG_HDR_VERSION_ENC;
    char nonce[2 * F0B_IMG_NONCE_LEN + 1];
    hexstr(nonce, h->nonce, sizeof h->nonce);
    snprintf(payload, sizeof payload,
             enc ? "%u bytes, encrypted (crc32 0x%08x encrypted too)" : "%u bytes, crc32 0x%08x",
             (unsigned)h->payload_size, (unsigned)h->payload_crc);
    snprintf(vt, sizeof vt, " (%s)",
             p->vt_source[0] ? p->vt_source : "guessed: the part's full table");
    /* v2 carries no part name: the part code says it. */
    snprintf(part, sizeof part, "%s (%u)", enc ? f0b_part_by_code(h->part)->name : h->part_name,
             (unsigned)h->part);
    f[n++] = (struct out_field)OUT_F_STR("input", a->in);
    f[n++] = (struct out_field)OUT_F_STR("format", f0b_format_name(p->format));
    f[n++] = (struct out_field)OUT_F_STR("output", a->out);
    f[n++] = (struct out_field)OUT_F_UINT("size", p->len);
    f[n++] = (struct out_field)OUT_F_HEX("load_addr", h->load_addr, .label = "load_addr");
    f[n++] = (struct out_field)OUT_F_UINT("payload_size", h->payload_size, .label = "payload",
                                          .text = payload);
    f[n++] = (struct out_field)OUT_F_HEX("payload_crc", h->payload_crc);
    f[n++] = (struct out_field)OUT_F_UINT("vt_len", h->vt_len, .label = "vt_len", .note = vt);
    f[n++] = (struct out_field)OUT_F_STR("vt_source", p->vt_source[0] ? p->vt_source : "guessed");
    f[n++] = (struct out_field)OUT_F_UINT("part", h->part, .label = "part", .text = part);
    f[n++] = (struct out_field)OUT_F_STR("part_name", h->part_name);
    f[n++] = (struct out_field)OUT_F_STR("version", vs, .label = "version");
    f[n++] = (struct out_field)OUT_F_HEX("init_sp", h->init_sp, .label = "init_sp");
    f[n++] = (struct out_field)OUT_F_HEX("reset_vec", h->reset_vec, .label = "reset_vec");
    f[n++] = (struct out_field)OUT_F_HEX("flags", h->flags, .label = "flags", .note = fs);
    f[n++] = (struct out_field)OUT_F_HEX("hdr_crc", h->hdr_crc);
    f[n++] =
        (struct out_field)OUT_F_BOOL("encrypted", enc, .label = "encrypted",
                                     .text = enc ? "yes: AES-128-CTR, AES-CMAC (format v2)" : "no");
    if (enc)
        f[n++] = (struct out_field)OUT_F_STR("nonce", nonce, .label = "nonce");
    f[n++] = (struct out_field)OUT_F_UINT("lint_errors", (uint64_t)p->lint.errors);
    f[n++] = (struct out_field)OUT_F_UINT("lint_warnings", (uint64_t)p->lint.warnings);
    f[n++] = (struct out_field)OUT_F_OBJ("lint");
    for (int i = 0; i < p->lint.n; i++) {
        snprintf(lint[i], sizeof lint[i], "%s: %s",
                 p->lint.f[i].sev == F0B_LINT_ERROR ? "error" : "warning", p->lint.f[i].msg);
        f[n++] = (struct out_field)OUT_F_STR(p->lint.f[i].id, lint[i]);
    }
    f[n++] = (struct out_field)OUT_F_END("lint");
    out_result(o, 1, title, f, n, NULL);
}

int cmd_pack(int argc, char **argv)
{
    struct out o;
    struct pack_args a;
    struct pack_req r;
    struct packed p = {0};
    int rc;

    out_init(&o, "pack", 0, argc, argv);
    rc = pack_parse(&o, argc, argv, &a);
    if (rc < 0)
        rc = pack_check(&o, &a, &r);
    if (rc >= 0)
        return rc;
    rc = pack_input(&o, &r, &p);
    if (rc == 0 && a.key)
        rc = pack_encrypt(&o, a.key, &p);
    if (rc == 0) {
        char msg[512];
        rc = cli_write_file(a.out, p.cnt, p.len, msg, sizeof msg);
        if (rc)
            out_fail(&o, rc, "%s", msg);
        else
            pack_result(&o, &a, &p);
    }
    free(p.cnt);
    return rc;
}

/* ---- info ------------------------------------------------------------------------- */

/* Everything info shows about a container: one list for text and JSON. */
struct info_view {
    const char *file;
    size_t len;
    const struct f0b_img_hdr *h;
    const struct f0b_container_check *chk;
    const char *error;   /* "" when the container is OK */
    const char *keyfile; /* --key, or NULL */
};

/* What info says about encryption and the MACs (never anything about the key itself). */
static const char *enc_text(const struct info_view *v)
{
    if (!v->chk->encrypted)
        return "no";
    if (!v->chk->mac_checked)
        return "yes: AES-128-CTR, AES-CMAC (format v2); MACs not checked (give --key)";
    if (v->chk->hdr_mac_ok && v->chk->tag_ok)
        return "yes: AES-128-CTR, AES-CMAC (format v2); MACs verify under --key";
    return "yes: AES-128-CTR, AES-CMAC (format v2); MACs DO NOT verify under --key";
}

static void info_result(struct out *o, const struct info_view *v)
{
    const struct f0b_img_hdr *h = v->h;
    const struct f0b_part *p = f0b_part_by_code(h->part);
    char title[4200], footer[600], vs[48], fs[64], pn[64], partn[48];
    const struct f0b_container_check *c = v->chk;
    const char *pok = c->payload_crc_ok ? (c->encrypted ? " (encrypted; ok under --key)" : " (ok)")
                      : c->encrypted && !c->mac_checked ? " (encrypted)"
                                                        : " (BAD)";
    char nonce[2 * F0B_IMG_NONCE_LEN + 1];
    const char *hok = v->chk->hdr_crc_ok ? " (ok)" : " (BAD)";

    fmt_version(vs, sizeof vs, h);
    fmt_flags(fs, sizeof fs, h->flags);
    snprintf(title, sizeof title, "%s: f0boot container, %zu bytes", v->file, v->len);
    snprintf(pn, sizeof pn, "\"%s\"", h->part_name);
    hexstr(nonce, h->nonce, sizeof h->nonce);
    snprintf(partn, sizeof partn, " (%s)", p ? p->name : "unknown");
    snprintf(footer, sizeof footer, v->error[0] ? "NOT OK: %s" : "OK", v->error);
    const struct out_field f[] = {
        OUT_F_STR("file", v->file),
        OUT_F_UINT("size", v->len),
        OUT_F_HEX("magic", h->magic, .label = "magic", .note = " (\"F0IM\")"),
        OUT_F_UINT("hdr_version", h->hdr_version, .label = "hdr_version"),
        OUT_F_UINT("hdr_size", h->hdr_size, .label = "hdr_size"),
        OUT_F_HEX("flags", h->flags, .label = "flags", .note = fs),
        OUT_F_BOOL("vt_len_guessed", (h->flags & F0B_FLAG_VT_LEN_GUESSED)),
        OUT_F_BOOL("lint_forced", (h->flags & F0B_FLAG_LINT_FORCED)),
        OUT_F_HEX("load_addr", h->load_addr, .label = "load_addr"),
        OUT_F_UINT("payload_size", h->payload_size, .label = "payload_size"),
        OUT_F_HEX("payload_crc", h->payload_crc, .label = "payload_crc", .note = pok),
        OUT_F_HEX("payload_crc_calc", v->chk->payload_crc_calc),
        OUT_F_BOOL("payload_crc_ok", v->chk->payload_crc_ok),
        OUT_F_UINT("vt_len", h->vt_len, .label = "vt_len"),
        OUT_F_UINT("part", h->part, .label = "part", .note = partn),
        OUT_F_UINT("ver_major", h->ver_major),
        OUT_F_UINT("ver_minor", h->ver_minor),
        OUT_F_UINT("ver_patch", h->ver_patch),
        OUT_F_UINT("ver_build", h->ver_build),
        OUT_F_STR("version", vs, .label = "version"),
        OUT_F_STR("part_name", h->part_name, .label = c->encrypted ? NULL : "part_name",
                  .text = pn),
        OUT_F_HEX("init_sp", h->init_sp, .label = "init_sp"),
        OUT_F_HEX("reset_vec", h->reset_vec, .label = "reset_vec"),
        OUT_F_HEX("hdr_crc", h->hdr_crc, .label = "hdr_crc", .note = hok),
        OUT_F_HEX("hdr_crc_calc", v->chk->hdr_crc_calc),
        OUT_F_BOOL("hdr_crc_ok", v->chk->hdr_crc_ok),
        OUT_F_BOOL("encrypted", c->encrypted, .label = "encrypted", .text = enc_text(v)),
        OUT_F_STR("nonce", c->encrypted ? nonce : "", .label = c->encrypted ? "nonce" : NULL),
        OUT_F_BOOL("mac_checked", c->mac_checked),
        OUT_F_BOOL("mac_ok", c->mac_checked && c->hdr_mac_ok && c->tag_ok),
        OUT_F_STR("error", v->error),
    };
    out_result(o, v->error[0] == '\0', title, f, COUNT(f), footer);
}

static int info_parse(struct out *o, int argc, char **argv, const char **in, const char **key)
{
    *in = NULL;
    *key = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
        } else if (cli_is_opt(argv[i], "--key")) {
            if (!(*key = cli_optval(argc, argv, &i, "--key")))
                return out_fail(o, F0B_EXIT_USAGE, "--key needs a key file");
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: f0boot info FILE [--key K] [--json]\n"
                   "  print every header field of an f0boot container, check the header and\n"
                   "  payload CRCs and every field against the bootloader's own header rules;\n"
                   "  say OK or why not (exit 7). An encrypted container (pack --key) is shown\n"
                   "  as such; with --key K its MACs are checked and its payload decrypted to\n"
                   "  check the payload CRC and vectors (the key is never shown)\n");
            return F0B_EXIT_OK;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return out_fail(o, F0B_EXIT_USAGE, "unknown option '%s'; see f0boot info --help",
                            argv[i]);
        } else if (*in) {
            return out_fail(o, F0B_EXIT_USAGE, "more than one file ('%s' and '%s')", *in, argv[i]);
        } else {
            *in = argv[i];
        }
    }
    if (!*in)
        return out_fail(o, F0B_EXIT_USAGE, "need a file: f0boot info app.img");
    return -1;
}

int cmd_info(int argc, char **argv)
{
    struct out o;
    const char *in, *keyfile;
    uint8_t *buf = NULL, key[F0B_KEY_LEN];
    size_t len = 0;
    struct f0b_img_hdr h;
    struct f0b_container_check chk;
    struct f0b_img_error err;
    char msg[512];
    int rc, vrc;

    out_init(&o, "info", 0, argc, argv);
    rc = info_parse(&o, argc, argv, &in, &keyfile);
    if (rc >= 0)
        return rc;
    if (keyfile && (rc = load_key(&o, keyfile, key)) != 0)
        return rc;
    rc = cli_read_file(in, &buf, &len, msg, sizeof msg);
    if (rc)
        return out_fail(&o, rc, "%s", msg);
    vrc = f0b_container_verify(buf, len, &h, &chk, &err);
    if (keyfile && chk.encrypted && (vrc == 0 || vrc == F0B_IMG_ECNT_FIELD)) {
        int drc = f0b_container_decrypt(buf, len, key, NULL, &chk, &err);
        vrc = vrc ? vrc : drc;
    }
    memset(key, 0, sizeof key);
    free(buf);
    /* Not a container at all: nothing to show. */
    if (vrc && (!chk.have_hdr || vrc == F0B_IMG_ECNT_MAGIC || vrc == F0B_IMG_ECNT_VERSION))
        return out_fail(&o, pack_img_exit(vrc), "%s: %s", in, err.detail);
    info_result(&o, &(struct info_view){in, len, &h, &chk, vrc ? err.detail : "", keyfile});
    if (vrc && !o.json)
        out_msg(&o, "%s: %s", in, err.detail);
    return vrc ? pack_img_exit(vrc) : F0B_EXIT_OK;
}
