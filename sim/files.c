/*
 * f0sim's files: the persistent flash file (mapped), images loaded into flash (--load), and
 * output files that appear whole or not at all.
 */
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exit_codes.h"
#include "util.h"
#include "f0boot/image.h"

FILE *out_open(struct outfile *o, const char *path, const char *mode, int dash_stdout)
{
    o->path = path;
    if (dash_stdout && strcmp(path, "-") == 0)
        return o->f = stdout;
    snprintf(o->tmp, sizeof o->tmp, "%s.tmp.%d", path, (int)getpid());
    return o->f = fopen(o->tmp, mode);
}

/* ok: everything was written. 0 when the file is in place, -1 (errno set) when not. */
int out_close(struct outfile *o, int ok)
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
uint8_t *open_flash(const char *path, uint32_t size, char *err, size_t errlen)
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
        snprintf(err, errlen,
                 "--flash %s is %lld bytes but the part's flash is %u bytes: "
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

int load_image(const char *spec, const struct part_desc *p, uint8_t *flash, int *exit_code,
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
        snprintf(err, errlen,
                 "--load %s is an f0boot container: flash it through the bootloader "
                 "(f0boot flash socket://...), or load the ELF/HEX it was packed from",
                 path);
        *exit_code = F0B_EXIT_INPUT_FORMAT;
        goto done;
    }
    memset(&ie, 0, sizeof ie);
    if (f0b_image_read(buf, len, have_addr, addr, &img, &ie) != F0B_IMG_OK) {
        snprintf(err, errlen, "--load %s: %s%s", path,
                 ie.detail[0] ? ie.detail : f0b_image_strerror(ie.code),
                 f0b_sniff(buf, len) == F0B_FMT_BIN && !have_addr
                     ? " (raw binary needs FILE@ADDR, e.g. app.bin@0x08000000)"
                     : "");
        *exit_code = F0B_EXIT_INPUT_FORMAT;
        goto done;
    }
    for (size_t i = 0; i < img.nseg; i++) {
        const struct f0b_seg *s = &img.segs[i];
        if (s->addr < FLASH_BASE ||
            (uint64_t)s->addr + s->len > (uint64_t)FLASH_BASE + p->flash_size) {
            snprintf(err, errlen,
                     "--load %s: data at 0x%08x-0x%08x is outside the %s flash "
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

int write_port_file(const char *path, int port)
{
    struct outfile o;
    FILE *f = out_open(&o, path, "w", 0);
    if (!f)
        return -1;
    return out_close(&o, fprintf(f, "%d\n", port) > 0);
}
