#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "exit_codes.h"
#include "f0boot/container.h"
#include "json.h"

int cli_is_opt(const char *arg, const char *name)
{
    size_t n = strlen(name);
    return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

const char *cli_optval(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);

    if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (*i + 1 < argc)
        return argv[++*i];
    return NULL;
}

void cli_version_str(char *b, size_t n, const struct f0b_img_hdr *h)
{
    if (h->ver_build)
        snprintf(b, n, "%u.%u.%u+%lu", h->ver_major, h->ver_minor, h->ver_patch,
                 (unsigned long)h->ver_build);
    else
        snprintf(b, n, "%u.%u.%u", h->ver_major, h->ver_minor, h->ver_patch);
}

int cli_vfail(const char *cmd, int json, int event, int code, const char *fmt, va_list ap)
{
    char msg[512];

    vsnprintf(msg, sizeof msg, fmt, ap);
    fprintf(stderr, "f0boot %s: %s\n", cmd, msg);
    if (json) {
        struct json j;
        json_begin(&j, stdout);
        if (event)
            json_str(&j, "event", "result");
        json_bool(&j, "ok", 0);
        json_i64(&j, "exit", code);
        json_str(&j, "error", msg);
        json_end(&j);
    }
    return code;
}

int cli_parse_u32(const char *s, uint32_t *v)
{
    char *end;
    unsigned long long x;

    if (!s || !*s || *s == '-')
        return -1;
    errno = 0;
    x = strtoull(s, &end, 0);
    if (errno || *end || x > 0xFFFFFFFFull)
        return -1;
    *v = (uint32_t)x;
    return 0;
}

int cli_read_file(const char *path, uint8_t **buf, size_t *len, char *msg, size_t msglen)
{
    FILE *f = NULL;
    struct stat st;
    uint8_t *p = NULL;
    int rc = F0B_EXIT_OK;

    *buf = NULL;
    *len = 0;
    f = fopen(path, "rb");
    if (!f) {
        snprintf(msg, msglen, "cannot open %s: %s", path, strerror(errno));
        rc = F0B_EXIT_INPUT_IO;
        goto done;
    }
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(msg, msglen, "%s is not a regular file", path);
        rc = F0B_EXIT_INPUT_IO;
        goto done;
    }
    if ((uint64_t)st.st_size > CLI_INPUT_MAX) {
        snprintf(msg, msglen, "%s is %lld bytes, more than %u MiB: not an STM32F0 firmware image",
                 path, (long long)st.st_size, CLI_INPUT_MAX >> 20);
        rc = F0B_EXIT_INPUT_FORMAT;
        goto done;
    }
    p = malloc(st.st_size ? (size_t)st.st_size : 1u);
    if (!p) {
        snprintf(msg, msglen, "out of memory reading %s", path);
        rc = F0B_EXIT_INTERNAL;
        goto done;
    }
    if (fread(p, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        snprintf(msg, msglen, "cannot read %s: %s", path,
                 ferror(f) ? strerror(errno) : "file shrank while reading");
        rc = F0B_EXIT_INPUT_IO;
        goto done;
    }
    *buf = p;
    *len = (size_t)st.st_size;
    p = NULL;
done:
    free(p);
    if (f)
        fclose(f);
    return rc;
}
