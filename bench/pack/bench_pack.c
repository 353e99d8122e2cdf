/* bench_pack: time and memory of packing a 256 KB application, as ELF and as Intel HEX.
 *
 *   in-process  f0b_image_read + f0b_lint_run + f0b_container_build on a buffer already in
 *               memory (what `f0boot pack` computes), N runs in a child process; the child's
 *               peak RSS (getrusage via wait4) against a child that only loads the file.
 *   f0boot      the real `f0boot pack IN -o OUT --force` process end to end (exec, read,
 *               pack, write + rename), N runs; wall time and the process's peak RSS.
 *
 * usage: bench_pack [-n RUNS]     (default 200 in-process, RUNS/4 for f0boot) */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "f0boot/image.h"

extern char **environ;

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

struct stats {
    double min, p10, median, p90, max;
};

static struct stats summarise(double *v, int n)
{
    struct stats s;
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    s.min = v[0];
    s.p10 = v[n / 10];
    s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    s.p90 = v[(n * 9) / 10 >= n ? n - 1 : (n * 9) / 10];
    s.max = v[n - 1];
    return s;
}

static uint8_t *load(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    uint8_t *b;
    if (!f || fstat(fileno(f), &st) != 0)
        return NULL;
    b = malloc((size_t)st.st_size);
    if (!b || fread(b, 1, (size_t)st.st_size, f) != (size_t)st.st_size)
        return NULL;
    fclose(f);
    *len = (size_t)st.st_size;
    return b;
}

/* One pack in memory; returns the container size (0 on error). */
static size_t pack_once(const uint8_t *buf, size_t len, uint32_t *crc)
{
    struct f0b_image img;
    struct f0b_lint lint;
    struct f0b_img_error err;
    struct f0b_pack_opts o;
    struct f0b_img_hdr h;
    uint8_t *out = NULL;
    size_t n = 0;

    f0b_image_init(&img);
    if (f0b_image_read(buf, len, 0, 0, &img, &err) != 0) {
        fprintf(stderr, "bench_pack: %s\n", err.detail);
        return 0;
    }
    memset(&o, 0, sizeof o);
    o.part = f0b_part_by_name("stm32f030xc");
    f0b_lint_run(&img, o.part, &lint);
    o.vt_len = lint.vt_len;
    o.flags = lint.flags;
    if (f0b_container_build(&img, &o, &out, &n, &h, &err) != 0)
        fprintf(stderr, "bench_pack: %s\n", err.detail);
    *crc = h.payload_crc;
    free(out);
    f0b_image_free(&img);
    return n;
}

/* Pack runs times in a child; return its peak RSS in KB. */
static long in_child(const char *path, int runs, struct stats *st, size_t *size, uint32_t *crc)
{
    int fd[2];
    pid_t pid;
    struct rusage ru;
    int status;

    if (pipe(fd) != 0)
        return -1;
    pid = fork();
    if (pid == 0) {
        size_t len = 0, n = 0;
        uint32_t c = 0;
        uint8_t *buf = load(path, &len);
        double *t = calloc((size_t)(runs ? runs : 1), sizeof *t);
        struct stats s = {0};
        if (!buf || !t)
            _exit(1);
        /* runs == 0: the baseline, which only loads the input. */
        for (int i = 0; i < (runs ? runs + 3 : 0); i++) { /* 3 warm-up runs */
            double t0 = now_ms();
            n = pack_once(buf, len, &c);
            if (i >= 3)
                t[i - 3] = now_ms() - t0;
            if (!n)
                _exit(1);
        }
        if (runs)
            s = summarise(t, runs);
        if (write(fd[1], &s, sizeof s) != sizeof s || write(fd[1], &n, sizeof n) != sizeof n ||
            write(fd[1], &c, sizeof c) != sizeof c)
            _exit(1);
        _exit(0);
    }
    close(fd[1]);
    if (read(fd[0], st, sizeof *st) != sizeof *st ||
        read(fd[0], size, sizeof *size) != sizeof *size ||
        read(fd[0], crc, sizeof *crc) != sizeof *crc)
        return -1;
    close(fd[0]);
    if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
        return -1;
    return ru.ru_maxrss;
}

/* The real f0boot, end to end. */
static long cli_runs(const char *in, int runs, struct stats *st)
{
    char out[] = "/tmp/bench_pack-XXXXXX";
    char img[64];
    double *t = calloc((size_t)runs, sizeof *t);
    long maxrss = 0;
    int fd = mkstemp(out);

    if (fd < 0 || !t)
        return -1;
    close(fd);
    unlink(out);
    snprintf(img, sizeof img, "%s.img", out);
    for (int i = 0; i < runs; i++) {
        char *argv[] = {(char *)F0BOOT_BIN, "pack", (char *)in, "-o", img, "--force", NULL};
        posix_spawn_file_actions_t fa;
        struct rusage ru;
        int status;
        pid_t pid;
        double t0 = now_ms();

        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0)
            return -1;
        posix_spawn_file_actions_destroy(&fa);
        if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
            return -1;
        t[i] = now_ms() - t0;
        if (ru.ru_maxrss > maxrss)
            maxrss = ru.ru_maxrss;
    }
    unlink(img);
    *st = summarise(t, runs);
    free(t);
    return maxrss;
}

int main(int argc, char **argv)
{
    const char *names[] = {"ELF", "HEX"}, *paths[] = {BENCH_ELF, BENCH_HEX};
    int runs = 200;

    if (argc == 3 && strcmp(argv[1], "-n") == 0)
        runs = atoi(argv[2]);
    if (runs < 10) {
        fprintf(stderr, "usage: bench_pack [-n RUNS] (RUNS >= 10)\n");
        return 2;
    }
    {
        double la[3] = {0, 0, 0};
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        getloadavg(la, 3);
        printf("bench_pack: %d in-process runs, %d f0boot runs per input; times in ms\n", runs,
               runs / 4);
        /* Medians move with other work on the machine; min/p10 much less. */
        printf("load average %.2f %.2f %.2f on %ld CPUs%s\n", la[0], la[1], la[2], cpus,
               la[0] > (double)cpus ? " (busy machine: trust min/p10 over the median)" : "");
    }
    for (int k = 0; k < 2; k++) {
        struct stats s, base_s, c;
        size_t size = 0, bsize = 0, flen = 0;
        uint32_t crc = 0, bcrc = 0;
        uint8_t *b = load(paths[k], &flen);
        long rss = in_child(paths[k], runs, &s, &size, &crc);
        long base = in_child(paths[k], 0, &base_s, &bsize, &bcrc);
        long crss = cli_runs(paths[k], runs / 4, &c);

        free(b);
        if (rss < 0 || base < 0 || crss < 0) {
            fprintf(stderr, "bench_pack: %s run failed\n", names[k]);
            return 1;
        }
        printf("\n%s input %s: %zu bytes -> container %zu bytes (payload %zu, crc32 0x%08x)\n",
               names[k], paths[k], flen, size, size - 64, (unsigned)crc);
        printf("  in-process pack   median %.3f  min %.3f  p10 %.3f  p90 %.3f  max %.3f\n",
               s.median, s.min, s.p10, s.p90, s.max);
        printf("  in-process peak RSS %ld KB (a child that only loads the input: %ld KB, "
               "+%ld KB)\n",
               rss, base, rss - base);
        printf("  f0boot pack       median %.3f  min %.3f  p10 %.3f  p90 %.3f  max %.3f"
               "  (exec + read + pack + write)\n",
               c.median, c.min, c.p10, c.p90, c.max);
        printf("  f0boot peak RSS   %ld KB\n", crss);
    }
    return 0;
}
