#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exit_codes.h"

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

static const char *kind_name(mode_t m)
{
    if (S_ISDIR(m))
        return "a directory";
    if (S_ISFIFO(m))
        return "a FIFO (named pipe)";
    if (S_ISCHR(m))
        return "a character device";
    if (S_ISBLK(m))
        return "a block device";
    if (S_ISSOCK(m))
        return "a socket";
    if (S_ISLNK(m))
        return "a symbolic link";
    return "not a regular file";
}

/* All len bytes to fd. 0, or -1 with errno set (ENOSPC for a write of nothing). */
static int write_all(int fd, const uint8_t *buf, size_t len)
{
    for (size_t off = 0; off < len;) {
        ssize_t n = write(fd, buf + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = ENOSPC;
            return -1;
        }
        off += (size_t)n;
    }
    return 0;
}

/* The open file's len bytes into a new buffer. */
static int read_fd(int fd, const char *path, size_t len, uint8_t **buf, char *msg, size_t msglen)
{
    uint8_t *p = malloc(len ? len : 1u);
    size_t off = 0;

    if (!p) {
        snprintf(msg, msglen, "out of memory reading %s", path);
        return F0B_EXIT_INTERNAL;
    }
    while (off < len) {
        ssize_t n = read(fd, p + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(msg, msglen, "cannot read %s: %s", path,
                     n < 0 ? strerror(errno) : "file shrank while reading");
            free(p);
            return F0B_EXIT_INPUT_IO;
        }
        off += (size_t)n;
    }
    *buf = p;
    return F0B_EXIT_OK;
}

int cli_read_file(const char *path, uint8_t **buf, size_t *len, char *msg, size_t msglen)
{
    struct stat st;
    int fd, rc;

    *buf = NULL;
    *len = 0;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer before it can be refused. */
    fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(msg, msglen, "cannot open %s: %s", path, strerror(errno));
        return F0B_EXIT_INPUT_IO;
    }
    if (fstat(fd, &st) != 0) {
        snprintf(msg, msglen, "cannot read %s: %s", path, strerror(errno));
        close(fd);
        return F0B_EXIT_INPUT_IO;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(msg, msglen, "%s is %s, not a regular file: give the image as a file", path,
                 kind_name(st.st_mode));
        close(fd);
        return F0B_EXIT_INPUT_IO;
    }
    if ((uint64_t)st.st_size > CLI_INPUT_MAX) {
        snprintf(msg, msglen, "%s is %lld bytes, more than %u MiB: not an STM32F0 firmware image",
                 path, (long long)st.st_size, CLI_INPUT_MAX >> 20);
        close(fd);
        return F0B_EXIT_INPUT_FORMAT;
    }
    rc = read_fd(fd, path, (size_t)st.st_size, buf, msg, msglen);
    close(fd);
    if (rc == F0B_EXIT_OK)
        *len = (size_t)st.st_size;
    return rc;
}

/* Write to a temporary file in the same directory as path, then rename it over path, so a
 * reader never sees a half-written file and a failure leaves nothing behind. */
static int write_atomic(const char *path, const uint8_t *buf, size_t len, char *msg, size_t msglen)
{
    static const char name[] = ".f0boot-pack-XXXXXX";
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    char *tmp = malloc(dirlen + sizeof name);
    int fd, rc = F0B_EXIT_OUTPUT;
    mode_t mask;

    if (!tmp) {
        snprintf(msg, msglen, "out of memory");
        return F0B_EXIT_INTERNAL;
    }
    memcpy(tmp, path, dirlen);
    memcpy(tmp + dirlen, name, sizeof name); /* the buffer was sized for it, NUL included */
    fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(msg, msglen, "cannot create a file next to %s: %s", path, strerror(errno));
        free(tmp);
        return F0B_EXIT_OUTPUT;
    }
    /* mkstemp() makes 0600; give the file the mode a plain create would have. */
    mask = umask(0);
    umask(mask);
    if (write_all(fd, buf, len) != 0 || fchmod(fd, 0666 & ~mask) != 0 || fsync(fd) != 0) {
        snprintf(msg, msglen, "cannot write %s: %s", path, strerror(errno));
        close(fd);
    } else if (close(fd) != 0) {
        snprintf(msg, msglen, "cannot write %s: %s", path, strerror(errno));
    } else if (rename(tmp, path) != 0) {
        snprintf(msg, msglen, "cannot create %s: %s", path, strerror(errno));
    } else {
        rc = F0B_EXIT_OK;
    }
    if (rc)
        unlink(tmp);
    free(tmp);
    return rc;
}

/* A character device or FIFO: written to in place, never replaced. */
static int write_stream(const char *path, const uint8_t *buf, size_t len, char *msg, size_t msglen)
{
    /* O_NONBLOCK: a FIFO nobody reads gives ENXIO instead of waiting forever. */
    int fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC), rc = F0B_EXIT_OK;

    if (fd < 0) {
        snprintf(msg, msglen, "cannot write to %s: %s", path,
                 errno == ENXIO ? "nothing reads from it" : strerror(errno));
        return F0B_EXIT_OUTPUT;
    }
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0 || write_all(fd, buf, len) != 0) {
        snprintf(msg, msglen, "cannot write to %s: %s", path, strerror(errno));
        rc = F0B_EXIT_OUTPUT;
    }
    if (close(fd) != 0 && rc == F0B_EXIT_OK) {
        snprintf(msg, msglen, "cannot write to %s: %s", path, strerror(errno));
        rc = F0B_EXIT_OUTPUT;
    }
    return rc;
}

int cli_write_file(const char *path, const uint8_t *buf, size_t len, char *msg, size_t msglen)
{
    struct stat st, lst;

    if (stat(path, &st) != 0) {
        if (errno == ENOENT && lstat(path, &lst) == 0) {
            snprintf(msg, msglen,
                     "cannot write %s: it is a symbolic link to nothing (a "
                     "missing file); remove it or give another output",
                     path);
            return F0B_EXIT_OUTPUT;
        }
        return write_atomic(path, buf, len, msg, msglen); /* a new file */
    }
    if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))
        return write_stream(path, buf, len, msg, msglen);
    if (S_ISDIR(st.st_mode)) {
        snprintf(msg, msglen, "cannot create %s: it is a directory; give a file name", path);
        return F0B_EXIT_OUTPUT;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(msg, msglen,
                 "will not replace %s: it is %s, not a regular file; give "
                 "another output",
                 path, kind_name(st.st_mode));
        return F0B_EXIT_OUTPUT;
    }
    if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
        char real[PATH_MAX];
        if (!realpath(path, real)) {
            snprintf(msg, msglen, "cannot follow the link %s: %s", path, strerror(errno));
            return F0B_EXIT_OUTPUT;
        }
        return write_atomic(real, buf, len, msg, msglen); /* the link stays a link */
    }
    return write_atomic(path, buf, len, msg, msglen);
}
