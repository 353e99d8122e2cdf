/* f0boot keygen: a fresh 128-bit product key for encrypted images (docs/security.md). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "common/exit_codes.h"
#include "f0boot/image.h"
#include "output.h"

static const char keygen_usage[] =
    "usage: f0boot keygen -o FILE [--json]\n"
    "  write a new random 128-bit product key (from the system's CSPRNG, getrandom()) to\n"
    "  FILE as 32 hex digits, readable by its owner only (mode 0600); an existing FILE is\n"
    "  never replaced. Pack with `f0boot pack --key FILE`, build the secure bootloader with\n"
    "  -DF0B_KEY_FILE=FILE. Anyone with the file can decrypt and sign images: keep it out\n"
    "  of the repository (docs/security.md)\n";

/* Write text to path as a new file of mode 0600: a temporary file beside it, linked to
 * path (which fails if path exists, atomically), so path never holds a partial key. */
static int write_new_private(const char *path, const char *text, char *msg, size_t n)
{
    char tmp[4096];
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path) + 1 : 0, fd, rc = F0B_EXIT_OUTPUT;
    size_t len = strlen(text);

    if (snprintf(tmp, sizeof tmp, "%.*s.f0boot-key-XXXXXX", dirlen, path) >= (int)sizeof tmp) {
        snprintf(msg, n, "%s: path too long", path);
        return F0B_EXIT_OUTPUT;
    }
    fd = mkstemp(tmp); /* mode 0600 */
    if (fd < 0) {
        snprintf(msg, n, "cannot create a file beside %s: %s", path, strerror(errno));
        return F0B_EXIT_OUTPUT;
    }
    if (fchmod(fd, 0600) != 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) != 0)
        snprintf(msg, n, "cannot write %s: %s", tmp, strerror(errno));
    else if (link(tmp, path) != 0)
        snprintf(msg, n,
                 errno == EEXIST
                     ? "%s exists: a key is never overwritten (images "
                       "packed with it would become unusable); choose another name or remove it "
                       "yourself"
                     : "cannot create %s: %s",
                 path, strerror(errno));
    else
        rc = F0B_EXIT_OK;
    close(fd);
    unlink(tmp);
    return rc;
}

int cmd_keygen(int argc, char **argv)
{
    struct out o;
    const char *path = NULL;
    uint8_t key[F0B_KEY_LEN];
    char text[F0B_KEY_TEXT_LEN + 1], msg[4400];
    struct f0b_img_error err;
    int rc;

    out_init(&o, "keygen", 0, argc, argv);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(keygen_usage, stdout);
            return F0B_EXIT_OK;
        } else if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) {
            if (++i == argc)
                return out_fail(&o, F0B_EXIT_USAGE, "-o needs a file name");
            path = argv[i];
        } else if (strcmp(argv[i], "--json") != 0) {
            return out_fail(&o, F0B_EXIT_USAGE,
                            "unknown argument '%s'; see f0boot keygen "
                            "--help",
                            argv[i]);
        }
    }
    if (!path)
        return out_fail(&o, F0B_EXIT_USAGE, "need an output: f0boot keygen -o product.key");
    if (f0b_random(key, sizeof key, &err))
        return out_fail(&o, F0B_EXIT_INTERNAL, "%s", err.detail);
    f0b_key_format(key, text);
    rc = write_new_private(path, text, msg, sizeof msg);
    memset(key, 0, sizeof key);
    memset(text, 0, sizeof text);
    if (rc)
        return out_fail(&o, rc, "%s", msg);
    const struct out_field f[] = {
        OUT_F_STR("key_file", path, .label = "key file"),
        OUT_F_UINT("bits", 128, .label = "key", .text = "128-bit AES, mode 0600"),
    };
    out_result(&o, 1, "new product key written (never shown)", f, 2,
               "keep it secret and backed up: without it no new image can be packed for "
               "boards running a bootloader built with it");
    return F0B_EXIT_OK;
}
