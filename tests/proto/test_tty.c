/*
 * The termios serial transport (libflash/src/tty.c) against a pseudo-terminal pair: the
 * test holds the master (the "board" end) and a descriptor of the slave (to look at the
 * line settings the transport made), f0b_port_open() opens the slave. Checked: raw 8N1
 * both ways (no byte translated or swallowed), read timeouts, HUPCL and flow control off,
 * TIOCEXCL set while open and cleared at close, a symlink and a bare name accepted, a
 * second opener refused with the holder named (through the UUCP lock file, /proc/locks
 * when the holder only has an flock, and, for an unprivileged opener that TIOCEXCL turns
 * away, a scan of /proc/PID/fd), a stale lock file taken over, the line rate
 * read back after every change (and F0B_E_BAUD, or a refused open, when the port did not
 * take the rate: a pty takes any rate, so a read-back filter plays a 16550), and the
 * session's fallback message that blames the port, over the real device engine.
 */
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <cmocka.h>

#include "core_util.h"
#include "fake_flash.h"
#include "f0boot/flash.h"
#include "f0boot/layout.h"
#include "link.h"
#include "tty.h"

struct pty {
    int master, slave;
    char name[64]; /* /dev/pts/N */
    char lock[96]; /* /var/lock/LCK..pts_N */
};

static void pty_open(struct pty *t)
{
    t->master = posix_openpt(O_RDWR | O_NOCTTY);
    assert_true(t->master >= 0);
    assert_int_equal(grantpt(t->master), 0);
    assert_int_equal(unlockpt(t->master), 0);
    snprintf(t->name, sizeof t->name, "%s", ptsname(t->master));
    t->slave = open(t->name, O_RDWR | O_NOCTTY);
    assert_true(t->slave >= 0);
    snprintf(t->lock, sizeof t->lock, "/var/lock/LCK..pts_%s", strrchr(t->name, '/') + 1);
}

static void pty_close(struct pty *t)
{
    close(t->slave);
    close(t->master);
}

/* All n bytes from fd within a second (the master side): the count read. */
static size_t read_n(int fd, uint8_t *buf, size_t n)
{
    size_t k = 0;

    for (int i = 0; i < 100 && k < n; i++) {
        ssize_t r = read(fd, buf + k, n - k);
        if (r > 0)
            k += (size_t)r;
        else
            usleep(10000);
    }
    return k;
}

static int open_port(struct f0b_port *p, const char *spec, uint32_t baud, char *err, size_t n)
{
    err[0] = 0;
    return f0b_port_open(p, spec, baud, 1000, err, n);
}

static void test_raw_8n1(void **state)
{
    struct pty t;
    struct f0b_port p;
    struct termios tio;
    char err[512];
    uint8_t all[256], got[256];
    int excl = 0;
    (void)state;

    pty_open(&t);
    fcntl(t.master, F_SETFL, O_NONBLOCK);
    assert_int_equal(open_port(&p, t.name, 115200, err, sizeof err), 0);
    assert_string_equal(p.name, t.name);
    assert_false(p.is_socket);
    assert_non_null(p.ops->set_lines);
    assert_non_null(p.ops->get_baud);

    /* the line settings the transport left */
    assert_int_equal(tcgetattr(t.slave, &tio), 0);
    assert_int_equal(tio.c_cflag & CSIZE, CS8);
    assert_int_equal(tio.c_cflag & (PARENB | CSTOPB | CRTSCTS | HUPCL), 0);
    assert_true(tio.c_cflag & CLOCAL);
    assert_true(tio.c_cflag & CREAD);
    assert_int_equal(tio.c_iflag & (IXON | IXOFF | ICRNL | INLCR | IGNCR | ISTRIP), 0);
    assert_int_equal(tio.c_lflag & (ICANON | ECHO | ISIG | IEXTEN), 0);
    assert_int_equal(tio.c_oflag & OPOST, 0);
    assert_int_equal(ioctl(t.slave, TIOCGEXCL, &excl), 0);
    assert_int_equal(excl, 1);

    /* every byte value passes both ways untouched (CR, LF, XON/XOFF, ^C, 0xFF) */
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    assert_int_equal(p.ops->write(p.ctx, all, sizeof all), 0);
    assert_int_equal(p.ops->drain(p.ctx), 0);
    assert_int_equal(read_n(t.master, got, sizeof got), sizeof got);
    assert_memory_equal(got, all, sizeof all);
    assert_int_equal(write(t.master, all, sizeof all), (ssize_t)sizeof all);
    size_t k = 0;
    for (int i = 0; i < 50 && k < sizeof got; i++) {
        int n = p.ops->read(p.ctx, got + k, sizeof got - k, 100);
        assert_true(n >= 0);
        k += (size_t)n;
    }
    assert_int_equal(k, sizeof got);
    assert_memory_equal(got, all, sizeof all);

    /* nothing there: a timeout, 0 */
    assert_int_equal(p.ops->read(p.ctx, got, sizeof got, 30), 0);
    /* flush drops what arrived */
    assert_int_equal(write(t.master, "xyz", 3), 3);
    usleep(20000);
    assert_int_equal(p.ops->flush(p.ctx), 0);
    assert_int_equal(p.ops->read(p.ctx, got, sizeof got, 30), 0);
    /* a pty has no modem lines */
    assert_int_equal(p.ops->set_lines(p.ctx, 0, 0), F0B_E_NO_LINES);

    f0b_port_close(&p);
    /* closing gives the exclusive flag back (f0sim keeps its pty open: the next opener
     * must not find the port exclusive) and removes the lock file */
    assert_int_equal(ioctl(t.slave, TIOCGEXCL, &excl), 0);
    assert_int_equal(excl, 0);
    assert_int_equal(access(t.lock, F_OK), -1);
    pty_close(&t);
}

static void test_names(void **state)
{
    struct pty t;
    struct f0b_port p;
    char err[1024], dir[] = "/tmp/f0b_tty_XXXXXX", link[128], cwd[PATH_MAX];
    (void)state;

    pty_open(&t);
    assert_non_null(mkdtemp(dir));
    snprintf(link, sizeof link, "%s/board0", dir);
    assert_int_equal(symlink(t.name, link), 0);

    /* a symlink (as /dev/serial/by-id and f0sim's --uart pty: make) */
    assert_int_equal(open_port(&p, link, 115200, err, sizeof err), 0);
    assert_string_equal(p.name, link);
    assert_int_equal(write(t.master, "A", 1), 1);
    uint8_t c = 0;
    assert_int_equal(p.ops->read(p.ctx, &c, 1, 1000), 1);
    assert_int_equal(c, 'A');
    /* the lock is the device's, whatever name opened it */
    assert_int_equal(access(t.lock, F_OK), 0);
    f0b_port_close(&p);

    /* a bare name: /dev/NAME, else a file of that name here */
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    assert_int_equal(open_port(&p, "board0", 115200, err, sizeof err), 0);
    assert_string_equal(p.name, "board0");
    f0b_port_close(&p);
    assert_int_equal(open_port(&p, "null", 115200, err, sizeof err), F0B_E_PORT);
    assert_string_equal(err, "/dev/null: not a serial port (not a terminal device)");
    assert_int_equal(open_port(&p, "ttyNOPE7", 115200, err, sizeof err), F0B_E_PORT);
    assert_non_null(strstr(err, "ttyNOPE7: no such serial port; serial ports present: "));
    assert_int_equal(open_port(&p, "usb:0403:6001:NO-SUCH-F0B", 115200, err, sizeof err),
                     F0B_E_PORT);
    assert_non_null(strstr(err, "no serial port matches usb:0403:6001:NO-SUCH-F0B; ports "
                                "present: "));
    assert_int_equal(chdir(cwd), 0);

    /* a dangling link */
    unlink(link);
    assert_int_equal(symlink("/dev/pts/no-such-f0b", link), 0);
    assert_int_equal(open_port(&p, link, 115200, err, sizeof err), F0B_E_PORT);
    assert_non_null(strstr(err, "no such serial port"));
    unlink(link);
    rmdir(dir);
    pty_close(&t);
}

/* A child that holds the port: through f0b_port_open (lock file, flock, TIOCEXCL) or, with
 * plain, only an open descriptor with an flock (a program that makes no lock file). It
 * says "ready" on up and runs until down is closed. */
static pid_t holder(const char *name, int plain, int *down_w)
{
    int up[2], down[2];
    char b;
    pid_t pid;

    assert_int_equal(pipe(up), 0);
    assert_int_equal(pipe(down), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct f0b_port p;
        char err[256];
        int fd = -1;
        close(up[0]);
        close(down[1]);
        if (plain)
            fd = open(name, O_RDWR | O_NOCTTY), flock(fd, LOCK_EX);
        else if (f0b_port_open(&p, name, 115200, 1000, err, sizeof err) != 0)
            _exit(1);
        if (write(up[1], "r", 1) != 1 || read(down[0], &b, 1) < 0)
            _exit(2);
        if (!plain)
            f0b_port_close(&p);
        _exit(fd >= 0 || !plain ? 0 : 3);
    }
    close(up[1]);
    close(down[0]);
    assert_int_equal(read(up[0], &b, 1), 1);
    close(up[0]);
    *down_w = down[1];
    return pid;
}

static void release(pid_t pid, int down_w)
{
    int st;

    close(down_w);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_busy(void **state)
{
    struct pty t;
    struct f0b_port p;
    char err[512], want[256], comm[32] = "";
    int down;
    FILE *f;
    (void)state;

    pty_open(&t);
    assert_non_null(f = fopen("/proc/self/comm", "r")); /* the child's name too */
    assert_non_null(fgets(comm, sizeof comm, f));
    comm[strcspn(comm, "\n")] = 0;
    fclose(f);

    /* another f0boot has it: its lock file names it */
    pid_t pid = holder(t.name, 0, &down);
    assert_int_equal(open_port(&p, t.name, 115200, err, sizeof err), F0B_E_PORT);
    snprintf(want, sizeof want, "%s is busy: in use by %s (pid %ld); end that program", t.name,
             comm, (long)pid);
    print_message("busy: %s\n", err);
    assert_non_null(strstr(err, want));
    release(pid, down);
    assert_int_equal(access(t.lock, F_OK), -1); /* the holder cleaned up */

    /* a program without lock files, with an flock: found through /proc */
    pid = holder(t.name, 1, &down);
    assert_int_equal(open_port(&p, t.name, 115200, err, sizeof err), F0B_E_PORT);
    print_message("busy: %s\n", err);
    assert_non_null(strstr(err, "is busy"));
    snprintf(want, sizeof want, "in use by %s (pid %ld);", comm, (long)pid);
    assert_non_null(strstr(err, want));
    assert_int_equal(access(t.lock, F_OK), -1); /* our refused open left no lock */
    release(pid, down);

    /* now free */
    assert_int_equal(open_port(&p, t.name, 115200, err, sizeof err), 0);
    f0b_port_close(&p);
    pty_close(&t);
}

/* As an unprivileged user (nobody, kept dumpable so its /proc/PID/fd stays its own). */
static void become_nobody(void)
{
    if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0 ||
        prctl(PR_SET_DUMPABLE, 1) != 0)
        _exit(9);
}

/* TIOCEXCL as ordinary users meet it: a holder (not root) with the port open and TIOCEXCL
 * set but no flock and no lock file; a second opener (not root) gets EBUSY from the kernel
 * and names the holder from a /proc scan. Root ignores TIOCEXCL, so both are nobody. */
static void test_excl_unprivileged(void **state)
{
    struct pty t;
    char err[512] = "", want[256], b;
    int up[2], down[2], res[2], st;
    (void)state;

    if (getuid() != 0) {
        skip(); /* cannot become another user: the busy tests above still run */
        return;
    }
    pty_open(&t);
    assert_int_equal(fchmod(t.slave, 0666), 0);
    assert_int_equal(pipe(up), 0);
    assert_int_equal(pipe(down), 0);
    pid_t h = fork();
    assert_true(h >= 0);
    if (h == 0) {
        close(up[0]);
        close(down[1]);
        become_nobody();
        int fd = open(t.name, O_RDWR | O_NOCTTY);
        if (fd < 0 || ioctl(fd, TIOCEXCL) != 0 || write(up[1], "r", 1) != 1)
            _exit(1);
        _exit(read(down[0], &b, 1) < 0 ? 2 : 0);
    }
    close(up[1]);
    close(down[0]);
    assert_int_equal(read(up[0], &b, 1), 1);

    assert_int_equal(pipe(res), 0);
    pid_t o = fork();
    assert_true(o >= 0);
    if (o == 0) {
        struct f0b_port p;
        become_nobody();
        int rc = f0b_port_open(&p, t.name, 115200, 1000, err, sizeof err);
        if (write(res[1], err, strlen(err) + 1) < 0)
            _exit(3);
        _exit(rc == F0B_E_PORT ? 0 : 4);
    }
    close(res[1]);
    assert_true(read(res[0], err, sizeof err - 1) > 0);
    assert_int_equal(waitpid(o, &st, 0), o);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    print_message("busy: %s\n", err);
    snprintf(want, sizeof want, "%s is busy: in use by ", t.name);
    assert_non_null(strstr(err, want));
    snprintf(want, sizeof want, "(pid %ld)", (long)h);
    assert_non_null(strstr(err, want));
    assert_int_equal(access(t.lock, F_OK), -1); /* the refused opener left no lock */
    close(down[1]);
    assert_int_equal(waitpid(h, &st, 0), h);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    close(up[0]);
    close(res[0]);
    pty_close(&t);
}

static void test_stale_lock(void **state)
{
    struct pty t;
    struct f0b_port p;
    char err[512], line[32];
    int st;
    FILE *f;
    (void)state;

    pty_open(&t);
    /* the lock file of a process that is gone */
    pid_t dead = fork();
    if (dead == 0)
        _exit(0);
    assert_int_equal(waitpid(dead, &st, 0), dead);
    assert_non_null(f = fopen(t.lock, "w"));
    fprintf(f, "%10ld\n", (long)dead);
    fclose(f);

    assert_int_equal(open_port(&p, t.name, 115200, err, sizeof err), 0);
    assert_non_null(f = fopen(t.lock, "r"));
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    assert_int_equal(strtol(line, NULL, 10), (long)getpid());
    assert_int_equal(strlen(line), 11); /* HDB UUCP: "%10d\n" */
    f0b_port_close(&p);
    assert_int_equal(access(t.lock, F_OK), -1);

    /* a live process's lock (this one's parent stands in for another program) */
    assert_non_null(f = fopen(t.lock, "w"));
    fprintf(f, "%10ld\n", (long)getppid());
    fclose(f);
    assert_int_equal(open_port(&p, t.name, 115200, err, sizeof err), F0B_E_PORT);
    snprintf(line, sizeof line, "(pid %ld)", (long)getppid());
    assert_non_null(strstr(err, line));
    assert_int_equal(access(t.lock, F_OK), 0); /* someone else's: left alone */
    unlink(t.lock);
    pty_close(&t);
}

/* A 16550 behind an 1.8432 MHz clock: nothing above 115200; the kernel keeps the old rate. */
static uint32_t max_115200(uint32_t asked, uint32_t got) { return asked > 115200 ? 115200 : got; }

static void test_baud_readback(void **state)
{
    struct pty t;
    struct f0b_port p;
    char err[512], want[256];
    (void)state;

    pty_open(&t);
    assert_int_equal(open_port(&p, t.name, 115200, err, sizeof err), 0);
    assert_int_equal(p.ops->get_baud(p.ctx), 115200);
    /* any rate, standard or not, read back as set */
    assert_int_equal(p.ops->set_baud(p.ctx, 921600), 0);
    assert_int_equal(p.ops->get_baud(p.ctx), 921600);
    assert_int_equal(p.ops->set_baud(p.ctx, 250000), 0);
    assert_int_equal(p.ops->get_baud(p.ctx), 250000);
    uint32_t r = 0;
    assert_int_equal(f0b_tty_rate_get(t.slave, &r), 0); /* the driver's own answer */
    assert_int_equal(r, 250000);

    /* a port that cannot: F0B_E_BAUD, and the rate it stays at */
    f0b_tty_test_readback(max_115200);
    assert_int_equal(p.ops->set_baud(p.ctx, 115200), 0);
    assert_int_equal(p.ops->set_baud(p.ctx, 921600), F0B_E_BAUD);
    assert_int_equal(p.ops->get_baud(p.ctx), 115200);
    f0b_port_close(&p);

    /* opened at a rate it cannot do: refused, the port blamed */
    assert_int_equal(open_port(&p, t.name, 921600, err, sizeof err), F0B_E_PORT);
    snprintf(want, sizeof want, "%s cannot run at 921600 baud (it stays at 115200)", t.name);
    assert_non_null(strstr(err, want));
    assert_int_equal(access(t.lock, F_OK), -1);
    f0b_tty_test_readback(NULL);
    pty_close(&t);
}

/* ---- the session's fallback, over the device engine ------------------------------------ */

static struct link K;
static struct f0b_port_ops slow_ops;
static uint32_t slow_rate;

static int slow_set_baud(void *ctx, uint32_t baud)
{
    if (baud > 115200)
        return F0B_E_BAUD; /* the line stays where it is */
    slow_rate = baud;
    return K.port.ops->set_baud(ctx, baud);
}

static uint32_t slow_get_baud(void *ctx)
{
    (void)ctx;
    return slow_rate;
}

struct warn {
    int n;
    char last[320];
};

static void on_event(void *ctx, const struct f0b_event *ev)
{
    struct warn *w = ctx;

    if (ev->kind == F0B_EV_WARN) {
        w->n++;
        snprintf(w->last, sizeof w->last, "%s", ev->msg);
    }
}

static void test_session_blames_port(void **state)
{
    struct f0b_layout l;
    struct link_cfg c;
    struct f0b_flash_opts o;
    struct f0b_session *s = NULL;
    struct f0b_port port;
    struct f0b_flash_result res;
    struct test_img img;
    struct warn w = {0, ""};
    (void)state;

    assert_int_equal(f0b_layout_init(&l, 4), F0B_ST_OK);
    fake_flash_init(&l);
    memset(&c, 0, sizeof c);
    c.baud = 115200;
    link_init(&K, &c, &l);
    slow_ops = *K.port.ops;
    slow_ops.set_baud = slow_set_baud;
    slow_ops.get_baud = slow_get_baud;
    slow_rate = 115200;
    port = K.port;
    port.ops = &slow_ops;
    port.name = "/dev/ttyS1";

    test_img_make(&img, &l, 8 * 1024, 3);
    f0b_flash_opts_default(&o);
    o.baud = 115200;
    o.fast_baud = 921600;
    o.no_boot = 1;
    o.event = on_event;
    o.event_ctx = &w;
    assert_int_equal(f0b_sess_create(&s, &port, &o), 0);
    assert_int_equal(f0b_sess_connect(s), 0);
    assert_int_equal(f0b_sess_fast_baud(s), 0);
    assert_int_equal(w.n, 1);
    assert_string_equal(w.last, "/dev/ttyS1 cannot run at 921600 baud (it stays at 115200): "
                                "fell back to 115200");
    assert_int_equal(f0b_sess_flash(s, img.hdr, img.payload, img.size, &res), 0);
    assert_int_equal(res.baud, 115200);
    f0b_sess_free(s);
    link_free(&K);
    test_img_free(&img);
    assert_int_equal(fake_flash_violations(), 0);
    fake_flash_free();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_raw_8n1),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_busy),
        cmocka_unit_test(test_excl_unprivileged),
        cmocka_unit_test(test_stale_lock),
        cmocka_unit_test(test_baud_readback),
        cmocka_unit_test(test_session_blames_port),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
