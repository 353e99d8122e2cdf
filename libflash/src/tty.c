/*
 * Serial ports through plain POSIX termios (tty.h), with libserialport kept only for
 * listing ports where sysfs is not there (ports.c).
 *
 * Why not libserialport 0.1.1 for the port itself: sp_get_port_by_name() accepts only a
 * name that starts with /dev/ and has a /sys/class/tty entry, so the names rig owners use
 * (a /dev/serial/by-id symlink, "ttyUSB0", the link f0sim's --uart pty: makes) are refused,
 * and the reason is lost; it cannot open a pty at all (TIOCMGET fails on one); it has no
 * way to open a port exclusively; and sp_set_baudrate() returns SP_OK while the kernel
 * keeps another rate (a 16550 asked for 921600 stays at 115200). Here:
 *   - any path, symlink or bare name, and usb:VID:PID[:SERIAL] selectors (ports.c);
 *   - exclusive: the UUCP lock file /var/lock/LCK..NAME holding our PID (checked before
 *     the device is opened, since opening raises DTR and RTS on a port another program is
 *     using), then flock(LOCK_EX|LOCK_NB) on the device and TIOCEXCL (other opens fail with
 *     EBUSY, except root's); a busy port is reported with its holder where the system
 *     tells: the lock file's PID, else the flock's holder in /proc/locks, else the
 *     processes a scan of /proc/NNN/fd finds with it open, named by /proc/PID/comm;
 *   - raw 8N1, no flow control; DTR and RTS negated at open and HUPCL cleared so closing
 *     leaves them there (on boards that wire them to NRST/BOOT0, the lines change only
 *     when asked: set_lines). Linux raises both for the open() itself; they are dropped
 *     right after;
 *   - after every rate change the rate the driver reports is read back (Linux: TCGETS2,
 *     any rate via BOTHER) and F0B_E_BAUD returned when it is not the one asked for.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#ifdef __linux__
#include <sys/sysmacros.h> /* major(), minor() */
#endif
#include <termios.h>
#include <unistd.h>
#include "f0boot/ports.h"
#include "tty.h"

#define LOCK_DIR "/var/lock"

struct tty {
    int fd;
    int has_lines;       /* the driver has DTR/RTS (not a pty) */
    uint32_t baud;       /* the rate the driver reported last */
    char lock[PATH_MAX]; /* our UUCP lock file, "" when none was made */
    char dev[PATH_MAX];  /* the path opened, for messages */
};

static uint32_t (*readback_hook)(uint32_t asked, uint32_t got);

void f0b_tty_test_readback(uint32_t (*fn)(uint32_t asked, uint32_t got)) { readback_hook = fn; }

/* ---- who holds a port ------------------------------------------------------------------ */

static int pid_alive(long pid) { return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM); }

/* "picocom (pid 4242)" into out. */
static void name_pid(long pid, char *out, size_t n)
{
    char p[64], comm[64] = "";
    FILE *f;

    snprintf(p, sizeof p, "/proc/%ld/comm", pid);
    if ((f = fopen(p, "r"))) {
        if (fgets(comm, sizeof comm, f))
            comm[strcspn(comm, "\n")] = 0;
        fclose(f);
    }
    if (pid == (long)getpid())
        snprintf(out, n, "this f0boot process (pid %ld)", pid);
    else
        snprintf(out, n, "%s (pid %ld)", comm[0] ? comm : "a process", pid);
}

/* Whether process pid has real (a device path) open, from /proc/PID/fd (0 for another
 * user's process: not ours to see). */
static int pid_has_open(long pid, const char *real)
{
    char fdd[64], link[64 + 256], target[PATH_MAX];
    DIR *fds;
    int yes = 0;

    snprintf(fdd, sizeof fdd, "/proc/%ld/fd", pid);
    if (!(fds = opendir(fdd)))
        return 0;
    for (struct dirent *f; !yes && (f = readdir(fds));) {
        snprintf(link, sizeof link, "%s/%s", fdd, f->d_name);
        ssize_t r = readlink(link, target, sizeof target - 1);
        if (r <= 0)
            continue;
        target[r] = 0;
        yes = strcmp(target, real) == 0;
    }
    closedir(fds);
    return yes;
}

/* Up to three processes other than this one with real (a device path) open, into out as
 * "f0sim (pid 12), python3 (pid 34)"; "" when none can be seen. */
static void proc_holders(const char *real, char *out, size_t n)
{
    DIR *pd = opendir("/proc");
    struct dirent *e;
    long self = (long)getpid();
    size_t k = 0;
    int found = 0;

    out[0] = 0;
    if (!pd)
        return;
    while (found < 3 && (e = readdir(pd))) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end || pid <= 0 || pid == self || !pid_has_open(pid, real))
            continue;
        if (k + 2 < n)
            k += (size_t)snprintf(out + k, n - k, "%s", found ? ", " : "");
        if (k + 1 < n)
            name_pid(pid, out + k, n - k);
        k = strlen(out);
        found++;
    }
    closedir(pd);
}

/* A number in base at *s that ends at the character stop; *s moves past stop. 0 when there
 * is no number there or something else follows it. */
static int take_num(const char **s, int base, char stop, unsigned long *v)
{
    char *end;

    *v = strtoul(*s, &end, base);
    if (end == *s || *end != stop)
        return 0;
    *s = end + 1;
    return 1;
}

/* The pid of an FLOCK line of /proc/locks on the file (device maj:min, inode ino), or 0 for
 * any other line (another file, a POSIX lock, a "->" waiter, a line cut short). Lines look
 * like "1: FLOCK  ADVISORY  WRITE 4242 00:05:3 0 EOF" (pid, then the device of the file
 * system in hex and the inode). strtoul, not sscanf: a malformed number is refused. */
static long flock_line_pid(char *line, unsigned long maj, unsigned long min, unsigned long ino)
{
    char *fld[6], *save = NULL;
    const char *s;
    unsigned long pid, m, n, i;

    for (int k = 0; k < 6; k++)
        if (!(fld[k] = strtok_r(k ? NULL : line, " \t\n", &save)))
            return 0;
    s = fld[4];
    if (strcmp(fld[1], "FLOCK") != 0 || !take_num(&s, 10, '\0', &pid) || pid > LONG_MAX)
        return 0;
    s = fld[5];
    if (!take_num(&s, 16, ':', &m) || !take_num(&s, 16, ':', &n) || !take_num(&s, 10, '\0', &i))
        return 0;
    return m == maj && n == min && i == ino ? (long)pid : 0;
}

/* The process holding an flock on real, from /proc/locks (readable by every user): its
 * pid, or 0. */
static long flock_holder(const char *real)
{
    char line[256];
    long found = 0;
    struct stat st;
    FILE *f;

    if (stat(real, &st) != 0 || !(f = fopen("/proc/locks", "r")))
        return 0;
    while (!found && fgets(line, sizeof line, f)) {
        found = flock_line_pid(line, major(st.st_dev), minor(st.st_dev), (unsigned long)st.st_ino);
        if (found == (long)getpid())
            found = 0;
    }
    fclose(f);
    return found;
}

/* The PID in a UUCP lock file (ASCII, HDB style), or 0. */
static long lock_pid(const char *lock)
{
    char buf[32];
    FILE *f = fopen(lock, "r");
    long pid = 0;

    if (!f)
        return 0;
    if (fgets(buf, sizeof buf, f))
        pid = strtol(buf, NULL, 10);
    fclose(f);
    return pid;
}

/* "/var/lock/LCK..ttyUSB0" for /dev/ttyUSB0 ("LCK..pts_3" for /dev/pts/3). */
static void lock_path(const char *real, char *out, size_t n)
{
    const char *nm = strncmp(real, "/dev/", 5) == 0 ? real + 5 : real;
    size_t k = (size_t)snprintf(out, n, LOCK_DIR "/LCK..");

    for (; *nm && k + 1 < n; nm++)
        out[k++] = *nm == '/' ? '_' : *nm;
    out[k < n ? k : n - 1] = 0;
}

/* The busy message, naming the holder: pid (from the lock file), else the flock's holder,
 * else whoever has the device open. */
static int busy(const struct tty *t, const char *real, long pid, char *err, size_t errlen)
{
    char who[256];

    if (!pid)
        pid = flock_holder(real);
    if (pid)
        name_pid(pid, who, sizeof who);
    else
        proc_holders(real, who, sizeof who);
    if (who[0]) {
        snprintf(err, errlen, "%s is busy: in use by %s; end that program or name another port",
                 t->dev, who);
    } else {
        snprintf(err, errlen,
                 "%s is busy: another program has it open (the system does not "
                 "say which: one run by another user?); end it or name another port",
                 t->dev);
    }
    return F0B_E_PORT;
}

/* Take the UUCP lock file for real, the way serial programs on one machine agree who has a
 * port: written whole under another name, then linked into place (link fails when the
 * file exists). A lock whose process is gone is removed. No lock directory we may write
 * (an unprivileged user on some systems): no lock file, flock and TIOCEXCL still hold. */
static int lock_take(struct tty *t, const char *real, char *err, size_t errlen)
{
    char lock[PATH_MAX], tmp[] = LOCK_DIR "/f0bXXXXXX", line[16];
    int fd = mkstemp(tmp), rc = 0;

    lock_path(real, lock, sizeof lock);
    if (fd < 0) {
        long pid = lock_pid(lock); /* still honour a lock someone else made */
        return pid_alive(pid) ? busy(t, real, pid, err, errlen) : 0;
    }
    int n = snprintf(line, sizeof line, "%10ld\n", (long)getpid());
    int ok = write(fd, line, (size_t)n) == n && fchmod(fd, 0644) == 0;
    close(fd);
    for (int tries = 0; ok && tries < 2; tries++) {
        if (link(tmp, lock) == 0) {
            snprintf(t->lock, sizeof t->lock, "%s", lock);
            break;
        }
        if (errno != EEXIST)
            break;
        long pid = lock_pid(lock);
        if (pid_alive(pid)) {
            rc = busy(t, real, pid, err, errlen);
            break;
        }
        unlink(lock); /* stale: its process is gone */
    }
    unlink(tmp);
    return rc;
}

static void lock_release(struct tty *t)
{
    if (t->lock[0] && lock_pid(t->lock) == (long)getpid())
        unlink(t->lock);
    t->lock[0] = 0;
}

/* ---- the port operations --------------------------------------------------------------- */

static int tty_read(void *ctx, uint8_t *buf, size_t max, int timeout_ms)
{
    struct tty *t = ctx;
    struct pollfd pfd = {t->fd, POLLIN, 0};
    int r;

    do
        r = poll(&pfd, 1, timeout_ms > 0 ? timeout_ms : 0);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return F0B_E_IO;
    if (r == 0)
        return 0;
    ssize_t n = read(t->fd, buf, max);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    /* 0: end of file, the device hung up (an adapter pulled out). */
    return n > 0 ? (int)n : F0B_E_IO;
}

static int tty_write(void *ctx, const uint8_t *buf, size_t len)
{
    struct tty *t = ctx;
    /* Generous: len bytes at the line rate (10 bits each), plus a second. */
    uint64_t ms = (uint64_t)len * 10000u / (t->baud ? t->baud : 1200u) + 1000u;

    while (len) {
        ssize_t n = write(t->fd, buf, len);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != EAGAIN)
            return F0B_E_IO;
        struct pollfd pfd = {t->fd, POLLOUT, 0};
        int r = poll(&pfd, 1, (int)(ms > INT_MAX ? INT_MAX : ms));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0 || (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)))
            return F0B_E_IO;
    }
    return 0;
}

/* Taken: the driver reports the rate within 2 % (what the two UARTs' clocks may differ
 * by together with room to spare); a driver that reports its divisor's exact rate passes. */
static int rate_taken(uint32_t asked, uint32_t got)
{
    uint64_t d = asked > got ? asked - got : got - asked;

    return d * 50u <= asked;
}

/* Set the rate and read back what the driver took: 0, F0B_E_BAUD or F0B_E_IO. */
static int tty_set_baud(void *ctx, uint32_t baud)
{
    struct tty *t = ctx;
    uint32_t got = 0;

    if (f0b_tty_rate_set(t->fd, baud) != 0 && errno != EINVAL)
        return F0B_E_IO;
    if (f0b_tty_rate_get(t->fd, &got) != 0)
        return F0B_E_IO;
    if (readback_hook)
        got = readback_hook(baud, got);
    t->baud = got;
    return rate_taken(baud, got) ? 0 : F0B_E_BAUD;
}

static uint32_t tty_get_baud(void *ctx)
{
    const struct tty *t = ctx;

    return t->baud;
}

static int tty_drain(void *ctx)
{
    struct tty *t = ctx;
    int r;

    do
        r = tcdrain(t->fd);
    while (r != 0 && errno == EINTR);
    return r == 0 ? 0 : F0B_E_IO;
}

static int tty_flush(void *ctx)
{
    struct tty *t = ctx;

    return tcflush(t->fd, TCIFLUSH) == 0 ? 0 : F0B_E_IO;
}

static int tty_set_lines(void *ctx, int dtr, int rts)
{
    struct tty *t = ctx;
    int set = (dtr ? TIOCM_DTR : 0) | (rts ? TIOCM_RTS : 0);
    int clr = (dtr ? 0 : TIOCM_DTR) | (rts ? 0 : TIOCM_RTS);

    if (!t->has_lines)
        return F0B_E_NO_LINES;
    if ((set && ioctl(t->fd, TIOCMBIS, &set) != 0) || (clr && ioctl(t->fd, TIOCMBIC, &clr) != 0))
        return F0B_E_IO;
    return 0;
}

static void tty_free(struct tty *t)
{
    if (t->fd >= 0) {
        /* The exclusive flag belongs to the tty, not to this descriptor: it would outlive
         * us while another program keeps the port open (f0sim keeps its pty open) and
         * refuse every later opener. */
        ioctl(t->fd, TIOCNXCL);
        close(t->fd); /* HUPCL is clear: DTR and RTS stay as they are */
    }
    lock_release(t);
    free(t);
}

static void tty_close(void *ctx) { tty_free(ctx); }

static const struct f0b_port_ops tty_ops = {
    tty_read,  tty_write, tty_set_baud,  tty_drain,    tty_flush,
    tty_close, NULL,      tty_set_lines, tty_get_baud,
};

/* ---- open ------------------------------------------------------------------------------ */

static int open_failed(const struct tty *t, const char *real, int e, char *err, size_t errlen)
{
    struct stat st;
    struct group *g;

    if (e == EBUSY)
        return busy(t, real, 0, err, errlen);
    if (e == EACCES || e == EPERM) {
        g = stat(real, &st) == 0 ? getgrgid(st.st_gid) : NULL;
        snprintf(err, errlen,
                 "%s: permission denied: add your user to the %s group (sudo "
                 "adduser $USER %s, then log in again)",
                 t->dev, g ? g->gr_name : "dialout", g ? g->gr_name : "dialout");
        return F0B_E_PORT;
    }
    if (e == ENOENT || e == ENXIO || e == ENODEV)
        snprintf(err, errlen, "%s: the device is gone (unplugged?): %s", t->dev, strerror(e));
    else
        snprintf(err, errlen, "%s: cannot open: %s", t->dev, strerror(e));
    return F0B_E_PORT;
}

/* Open real and make it ours: EBUSY from another's TIOCEXCL, then flock, then TIOCEXCL. */
static int open_excl(struct tty *t, const char *real, char *err, size_t errlen)
{
    t->fd = open(real, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (t->fd < 0)
        return open_failed(t, real, errno, err, errlen);
    if (!isatty(t->fd)) {
        snprintf(err, errlen, "%s: not a serial port (not a terminal device)", t->dev);
        return F0B_E_PORT;
    }
    if (flock(t->fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            return busy(t, real, 0, err, errlen);
        snprintf(err, errlen, "%s: cannot lock: %s", t->dev, strerror(errno));
        return F0B_E_PORT;
    }
    if (ioctl(t->fd, TIOCEXCL) != 0) {
        snprintf(err, errlen, "%s: cannot open exclusively (TIOCEXCL): %s", t->dev,
                 strerror(errno));
        return F0B_E_PORT;
    }
    return 0;
}

/* Raw 8N1, no flow control, HUPCL clear, the rate read back, DTR and RTS negated. */
static int configure(struct tty *t, uint32_t baud, char *err, size_t errlen)
{
    struct termios tio;
    int lines = TIOCM_DTR | TIOCM_RTS, rc;

    if (tcgetattr(t->fd, &tio) != 0) {
        snprintf(err, errlen, "%s: cannot read the line settings: %s", t->dev, strerror(errno));
        return F0B_E_PORT;
    }
    cfmakeraw(&tio);
    tio.c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY | INPCK);
    tio.c_cflag &= ~(tcflag_t)(CSIZE | PARENB | CSTOPB | CRTSCTS | HUPCL);
    tio.c_cflag |= CS8 | CREAD | CLOCAL;
    tio.c_cc[VMIN] = 0;
    tio.c_cc[VTIME] = 0;
    if (tcsetattr(t->fd, TCSANOW, &tio) != 0) {
        snprintf(err, errlen, "%s: cannot set raw 8N1: %s", t->dev, strerror(errno));
        return F0B_E_PORT;
    }
    rc = tty_set_baud(t, baud);
    if (rc == F0B_E_BAUD) {
        snprintf(err, errlen,
                 "%s cannot run at %u baud (it stays at %u): choose a rate the "
                 "port can do (--baud)",
                 t->dev, baud, t->baud);
        return F0B_E_PORT;
    }
    if (rc != 0) {
        snprintf(err, errlen, "%s: cannot set %u baud: %s", t->dev, baud, strerror(errno));
        return F0B_E_PORT;
    }
    /* A pty has no modem lines (ENOTTY/EINVAL): nothing to drive there. */
    t->has_lines = ioctl(t->fd, TIOCMBIC, &lines) == 0;
    tcflush(t->fd, TCIOFLUSH);
    return 0;
}

int f0b_tty_open(struct f0b_port *p, const char *spec, uint32_t baud, char *err, size_t errlen)
{
    char real[PATH_MAX];
    struct tty *t = calloc(1, sizeof *t);
    int rc;

    if (!t) {
        snprintf(err, errlen, "%s: out of memory", spec);
        return F0B_E_NOMEM;
    }
    t->fd = -1;
    rc = f0b_port_resolve(spec, t->dev, sizeof t->dev, err, errlen);
    if (rc == 0 && !realpath(t->dev, real))
        rc = open_failed(t, t->dev, errno, err, errlen);
    if (rc == 0)
        rc = lock_take(t, real, err, errlen);
    if (rc == 0)
        rc = open_excl(t, real, err, errlen);
    if (rc == 0)
        rc = configure(t, baud, err, errlen);
    if (rc != 0) {
        tty_free(t);
        return rc;
    }
    p->ops = &tty_ops;
    p->ctx = t;
    p->is_socket = 0;
    p->name = t->dev;
    return 0;
}
