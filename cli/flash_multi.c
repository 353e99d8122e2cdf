/* f0boot flash on several boards (flash_multi.h): the PORTs expanded (list files, usb:
 * selectors), the image packed once, one child process per board running the single-board
 * flow with --json, and their streams multiplexed by multi_view.c. */
#include "flash_multi.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "common/exit_codes.h"
#include "common/util.h"
#include "f0boot/image.h"
#include "f0boot/ports.h"
#include "multi_view.h"
#include "output.h"
#include "pack.h"

/* The options of `f0boot flash` that take a value (as "--opt V" or "--opt=V"): needed to
 * tell PORTs from option values. A new value option of flash belongs here too. */
static const char *const value_opts[] = {"--baud",  "--fast-baud", "--timeout", "--retries",
                                         "--wait",  "--part",      "--expect",  "--expect-timeout",
                                         "--reset", "--app-baud"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* argv split into positional arguments and the rest (options with their values). */
struct args {
    char **pos, **opt;
    int npos, nopt;
    int help, json, force;
    const char *part; /* --part, for packing an ELF/HEX once */
};

struct multi {
    struct out u;
    struct args a;
    char **ports; /* the boards' PORTs, expanded (owned) */
    size_t n, cap;
    const char *image; /* what each child flashes */
    char tmp[64];      /* the container packed here (removed at the end), or "" */
    struct board *b;
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static int value_opt(const char *a)
{
    for (size_t k = 0; k < COUNT(value_opts); k++)
        if (strcmp(a, value_opts[k]) == 0)
            return 1;
    return 0;
}

/* Split argv[1..argc). Returns 0, or -1 when out of memory. */
static int split_args(int argc, char **argv, struct args *a)
{
    memset(a, 0, sizeof *a);
    a->part = "stm32f030xc";
    a->pos = calloc((size_t)argc + 1, sizeof *a->pos);
    a->opt = calloc((size_t)argc + 1, sizeof *a->opt);
    if (!a->pos || !a->opt)
        return -1;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (s[0] != '-' || s[1] == 0) {
            a->pos[a->npos++] = argv[i];
            continue;
        }
        a->opt[a->nopt++] = argv[i];
        a->help |= strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0;
        a->json |= strcmp(s, "--json") == 0;
        a->force |= strcmp(s, "--force") == 0;
        if (cli_is_opt(s, "--part"))
            a->part = strchr(s, '=') ? strchr(s, '=') + 1 : i + 1 < argc ? argv[i + 1] : "";
        if (value_opt(s) && i + 1 < argc)
            a->opt[a->nopt++] = argv[++i];
    }
    return 0;
}

static void free_args(struct args *a)
{
    free(a->pos);
    free(a->opt);
}

/* How many serial ports the usb: selector spec matches now (0 for anything else). */
static size_t sel_count(const char *spec)
{
    struct f0b_port_sel sel;
    struct f0b_port_list l;
    char err[200];
    size_t n = 0;

    if (f0b_port_sel_parse(spec, &sel, err, sizeof err) != 1 ||
        f0b_ports_list(&l, getenv("F0BOOT_PORTS_ROOT")) != 0)
        return 0;
    for (size_t i = 0; i < l.n; i++)
        n += (size_t)f0b_port_sel_match(&sel, &l.v[i]);
    f0b_ports_free(&l);
    return n;
}

int flash_multi_wanted(int argc, char **argv)
{
    struct args a;
    int want = 0;

    if (split_args(argc, argv, &a) == 0 && !a.help && a.npos >= 1)
        want = a.npos >= 3 || a.pos[0][0] == '@' || sel_count(a.pos[0]) > 1;
    free_args(&a);
    return want;
}

/* ---- the boards ------------------------------------------------------------------------ */

/* Add one board's PORT. 0, or the exit code after the message. */
static int add_port(struct multi *m, const char *port, size_t len)
{
    char *s;

    for (size_t i = 0; i < m->n; i++)
        if (strlen(m->ports[i]) == len && memcmp(m->ports[i], port, len) == 0)
            return out_fail(&m->u, F0B_EXIT_USAGE, "%s is named twice; give each board once",
                            m->ports[i]);
    if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 16;
        char **p = realloc(m->ports, cap * sizeof *p);
        if (!p)
            return out_fail(&m->u, F0B_EXIT_INTERNAL, "out of memory");
        m->ports = p;
        m->cap = cap;
    }
    s = strndup(port, len);
    if (!s)
        return out_fail(&m->u, F0B_EXIT_INTERNAL, "out of memory");
    m->ports[m->n++] = s;
    return 0;
}

/* A usb: selector: every port it matches (at least one). */
static int add_selected(struct multi *m, const char *spec, const struct f0b_port_sel *sel)
{
    struct f0b_port_list l;
    char present[600];
    size_t before = m->n;
    int rc = 0;

    if (f0b_ports_list(&l, getenv("F0BOOT_PORTS_ROOT")) != 0)
        return out_fail(&m->u, F0B_EXIT_INTERNAL, "out of memory");
    for (size_t i = 0; i < l.n && rc == 0; i++)
        if (f0b_port_sel_match(sel, &l.v[i]))
            rc = add_port(m, l.v[i].dev, strlen(l.v[i].dev));
    if (rc == 0 && m->n == before) {
        f0b_ports_summary(&l, present, sizeof present);
        rc = out_fail(&m->u, F0B_EXIT_PORT, "no serial port matches %s; ports present: %s", spec,
                      present);
    }
    f0b_ports_free(&l);
    return rc;
}

/* One PORT as given (on the command line or a line of a list file). */
static int add_spec(struct multi *m, const char *spec, size_t len)
{
    struct f0b_port_sel sel;
    char s[300], err[300];
    int rc;

    if (len >= sizeof s)
        return out_fail(&m->u, F0B_EXIT_USAGE, "PORT '%.40s...' is too long", spec);
    memcpy(s, spec, len);
    s[len] = 0;
    rc = f0b_port_sel_parse(s, &sel, err, sizeof err);
    if (rc < 0)
        return out_fail(&m->u, F0B_EXIT_USAGE, "%s", err);
    return rc == 1 ? add_selected(m, s, &sel) : add_port(m, s, len);
}

/* @FILE: one PORT per line; blank lines and lines starting with '#' are skipped. */
static int add_list(struct multi *m, const char *path)
{
    uint8_t *buf;
    size_t len, before = m->n;
    char msg[512];
    int rc = cli_read_file(path, &buf, &len, msg, sizeof msg);

    if (rc)
        return out_fail(&m->u, rc, "port list %s", msg);
    for (size_t i = 0, ln = 1; i < len && rc == 0; ln++) {
        const char *s = (const char *)buf + i, *e = memchr(s, '\n', len - i);
        size_t l = e ? (size_t)(e - s) : len - i;
        i += l + 1;
        while (l && (s[l - 1] == '\r' || s[l - 1] == ' ' || s[l - 1] == '\t'))
            l--;
        while (l && (*s == ' ' || *s == '\t'))
            s++, l--;
        if (l == 0 || *s == '#')
            continue;
        if (*s == '@' || memchr(s, 0, l))
            rc = out_fail(&m->u, F0B_EXIT_USAGE,
                          "%s: line %zu: a PORT (a list file cannot "
                          "name another, nor hold NUL bytes)",
                          path, ln);
        else
            rc = add_spec(m, s, l);
    }
    free(buf);
    if (rc == 0 && m->n == before)
        rc = out_fail(&m->u, F0B_EXIT_USAGE, "port list %s names no port: one PORT per line", path);
    return rc;
}

static int expand_ports(struct multi *m)
{
    int rc = 0;

    for (int i = 0; i + 1 < m->a.npos && rc == 0; i++) {
        const char *p = m->a.pos[i];
        if (!p)
            break;
        rc = p[0] == '@' ? add_list(m, p + 1) : add_spec(m, p, strlen(p));
    }
    return rc;
}

/* The image each child flashes: a container as it is (each child checks it); an ELF or HEX
 * packed here once (its lint shown once), into a temporary container. */
static int prepare_image(struct multi *m)
{
    const char *path = m->a.pos[m->a.npos - 1], *tmpdir = getenv("TMPDIR");
    struct pack_req r = {.in = path, .force = m->a.force, .verb = "flash"};
    struct packed p = {0};
    uint8_t *buf;
    size_t len;
    char msg[512];
    int fd, rc = cli_read_file(path, &buf, &len, msg, sizeof msg);

    m->image = path;
    if (rc)
        return out_fail(&m->u, rc, "%s", msg);
    if (f0b_sniff(buf, len) == F0B_FMT_CONTAINER) {
        free(buf);
        return 0;
    }
    r.part = f0b_part_by_name(m->a.part);
    rc = r.part ? pack_image(&m->u, &r, buf, len, &p)
                : out_fail(&m->u, F0B_EXIT_USAGE,
                           "unknown part '%s'; f0boot pack --help lists the "
                           "parts",
                           m->a.part);
    free(buf);
    if (rc)
        return rc;
    snprintf(m->tmp, sizeof m->tmp, "%s/f0boot-XXXXXX",
             tmpdir && strlen(tmpdir) < 40 ? tmpdir : "/tmp");
    fd = mkstemp(m->tmp);
    if (fd < 0 || write(fd, p.cnt, p.len) != (ssize_t)p.len) {
        rc = out_fail(&m->u, F0B_EXIT_OUTPUT, "cannot write the packed image to %s: %s", m->tmp,
                      strerror(errno));
        if (fd >= 0)
            unlink(m->tmp);
        m->tmp[0] = 0;
    }
    if (fd >= 0)
        close(fd);
    free(p.cnt);
    m->image = m->tmp;
    return rc;
}

/* ---- one child per board --------------------------------------------------------------- */

/* In the child: stdout and stderr into the pipes, the single-board flow with --json. */
static void child(struct multi *m, size_t i, int out[2], int err[2])
{
    char **av = calloc((size_t)m->a.nopt + 5, sizeof *av);
    int ac = 0, rc;

    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    close(out[0]), close(out[1]), close(err[0]), close(err[1]);
    for (size_t k = 0; k < i; k++)
        close(m->b[k].fd[0]), close(m->b[k].fd[1]);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (!av)
        _exit(F0B_EXIT_INTERNAL);
    av[ac++] = "flash";
    av[ac++] = m->ports[i];
    av[ac++] = (char *)m->image;
    for (int k = 0; k < m->a.nopt; k++)
        av[ac++] = m->a.opt[k];
    if (!m->a.json)
        av[ac++] = "--json";
    rc = cmd_flash(ac, av);
    free(av);
    fflush(stdout);
    fflush(stderr);
    exit(rc);
}

static int spawn(struct multi *m, size_t i)
{
    struct board *b = &m->b[i];
    int out[2], err[2];

    if (pipe(out) != 0)
        return -1;
    if (pipe(err) != 0) {
        close(out[0]), close(out[1]);
        return -1;
    }
    fflush(stdout);
    fflush(stderr);
    b->pid = fork();
    if (b->pid == 0)
        child(m, i, out, err);
    close(out[1]);
    close(err[1]);
    b->fd[0] = out[0];
    b->fd[1] = err[0];
    if (b->pid < 0) {
        close(out[0]), close(err[0]);
        b->fd[0] = b->fd[1] = -1;
        b->pid = 0;
        return -1;
    }
    return 0;
}

/* Bytes from board b's fd k: every complete line to the view. Lines past 64 KB are cut. */
static void take(struct view *v, struct board *b, int k, const char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (buf[i] != '\n') {
            if (b->line_n[k] + 1 >= b->line_cap[k] && b->line_cap[k] < 65536) {
                size_t cap = b->line_cap[k] ? 2 * b->line_cap[k] : 256;
                char *p = realloc(b->line[k], cap);
                if (!p)
                    continue;
                b->line[k] = p;
                b->line_cap[k] = cap;
            }
            if (b->line[k] && b->line_n[k] + 1 < b->line_cap[k])
                b->line[k][b->line_n[k]++] = buf[i];
            continue;
        }
        if (!b->line[k])
            continue;
        b->line[k][b->line_n[k]] = 0;
        view_line(v, b, k, b->line[k]);
        b->line_n[k] = 0;
    }
}

/* Read what fd k of board b has; at its end, close it (an unfinished last line counts). */
static void drain_fd(struct view *v, struct board *b, int k)
{
    char buf[4096];
    ssize_t r = read(b->fd[k], buf, sizeof buf);

    if (r > 0) {
        take(v, b, k, buf, (size_t)r);
        return;
    }
    if (r < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (b->line_n[k])
        take(v, b, k, "\n", 1);
    close(b->fd[k]);
    b->fd[k] = -1;
}

/* Both pipes of b are closed: reap its child. */
static void reap(struct view *v, struct board *b)
{
    int st = 0;

    while (waitpid(b->pid, &st, 0) < 0 && errno == EINTR)
        ;
    view_finish(v, b,
                WIFEXITED(st)     ? WEXITSTATUS(st)
                : WIFSIGNALED(st) ? 128 + WTERMSIG(st)
                                  : F0B_EXIT_INTERNAL);
}

/* Ctrl-C (or SIGTERM) reached this process: every child is asked to stop as it would be
 * alone (each leaves its board in the bootloader); their results still come in. */
static void pass_interrupt(struct multi *m)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->b[i].pid > 0)
            kill(m->b[i].pid, SIGINT);
}

/* The open pipes of every board into p (who[j]: 2 * board + fd). Returns how many. */
static size_t poll_set(const struct multi *m, struct pollfd *p, size_t *who)
{
    size_t np = 0;

    for (size_t i = 0; i < m->n; i++)
        for (int k = 0; k < 2; k++) {
            if (m->b[i].fd[k] < 0)
                continue;
            p[np] = (struct pollfd){.fd = m->b[i].fd[k], .events = POLLIN};
            who[np++] = 2 * i + (size_t)k;
        }
    return np;
}

/* Reap the children whose pipes are both closed; returns how many are still running. */
static size_t reap_ended(struct multi *m, struct view *v)
{
    size_t live = 0;

    for (size_t i = 0; i < m->n; i++) {
        struct board *b = &m->b[i];
        if (b->pid > 0 && b->fd[0] < 0 && b->fd[1] < 0)
            reap(v, b);
        live += b->pid > 0;
    }
    return live;
}

/* Until every child has ended: its output to the view, then its exit. */
static void pump(struct multi *m, struct view *v)
{
    struct pollfd *p = m->n ? calloc(2 * m->n, sizeof *p) : NULL;
    size_t *who = m->n ? calloc(2 * m->n, sizeof *who) : NULL;
    int passed = 0;

    for (size_t live = m->n; live > 0 && p && who;) {
        size_t np = poll_set(m, p, who);
        if (np && poll(p, np, 100) < 0 && errno != EINTR)
            break;
        if (interrupted && !passed) {
            pass_interrupt(m);
            passed = 1;
        }
        for (size_t j = 0; j < np; j++)
            if (p[j].revents)
                drain_fd(v, &m->b[who[j] / 2], (int)(who[j] % 2));
        live = reap_ended(m, v);
        view_redraw(v, 0);
    }
    free(p);
    free(who);
}

/* Start every board, then follow them to the end. */
static int run(struct multi *m)
{
    struct view v;
    struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;

    m->b = calloc(m->n, sizeof *m->b);
    if (!m->b)
        return out_fail(&m->u, F0B_EXIT_INTERNAL, "out of memory");
    for (size_t i = 0; i < m->n; i++) {
        m->b[i].port = m->ports[i];
        m->b[i].fd[0] = m->b[i].fd[1] = -1;
    }
    view_init(&v, &m->u, m->b, m->n);
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    for (size_t i = 0; i < m->n; i++)
        if (spawn(m, i) != 0) {
            snprintf(m->b[i].err_tail, sizeof m->b[i].err_tail, "cannot start a process: %s",
                     strerror(errno));
            view_finish(&v, &m->b[i], F0B_EXIT_INTERNAL);
        }
    view_redraw(&v, 1);
    pump(m, &v);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return view_summary(&v);
}

int flash_multi(int argc, char **argv)
{
    struct multi m;
    int rc;

    memset(&m, 0, sizeof m);
    out_init(&m.u, "flash", 1, argc, argv);
    for (int i = 1; i < argc; i++)
        m.u.quiet |= strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0;
    if (split_args(argc, argv, &m.a) != 0)
        rc = out_fail(&m.u, F0B_EXIT_INTERNAL, "out of memory");
    else if (m.a.npos < 2)
        rc = out_fail(&m.u, F0B_EXIT_USAGE,
                      "need PORTs and an IMAGE: f0boot flash PORT... "
                      "IMAGE (or @LIST, or a usb: selector)");
    else
        rc = expand_ports(&m);
    if (rc == 0)
        rc = prepare_image(&m);
    if (rc == 0)
        rc = run(&m);
    if (m.tmp[0])
        unlink(m.tmp);
    for (size_t i = 0; m.b && i < m.n; i++)
        free(m.b[i].line[0]), free(m.b[i].line[1]);
    for (size_t i = 0; i < m.n; i++)
        free(m.ports[i]);
    free(m.ports);
    free(m.b);
    free_args(&m.a);
    return rc;
}

void flash_multi_usage(FILE *f)
{
    fprintf(
        f,
        "\nSeveral boards at once: f0boot flash PORT PORT... IMAGE, f0boot flash @LIST IMAGE\n"
        "(LIST: one PORT per line, # comments), or a usb: selector that matches several\n"
        "ports (usb:0483:5740:*). Each board runs in a process of its own with its own\n"
        "timeouts and retries; a slow or dead board does not hold up the others. On a\n"
        "terminal one status line per board; otherwise a line per board and step. With\n"
        "--json one stream: every object carries its \"port\", then a summary object\n"
        "{\"event\":\"summary\",\"boards\",\"ok\",\"failed\",\"exit\",\"failures\":{PORT:{\"exit\",\n"
        "\"error\"}}}. Exit status: 0 when every board succeeded; when every failed board\n"
        "failed the same way, that code; otherwise %d (boards failed in different ways).\n",
        F0B_EXIT_MULTI_MIXED);
}
