/*
 * an3155_pty: the AN3155 ROM model alone on a pseudo-terminal, so the real stm32flash can
 * be checked against the protocol model without the CPU engine (tests/sim/test_stm32flash.sh
 * does the full run on f0sim). A RAM flash with the F0's rules and timing stands behind it.
 *
 *   an3155_pty LINK [--baud N] [--fast] [--flash-out FILE]
 *
 * LINK becomes a symlink to the pty. With the default real-time pacing, every character
 * takes 11 bit times (8E1) each way and answers wait for the flash busy time, as on the
 * chip. After Go the program writes the flash contents to FILE (if given), prints one
 * line of figures and exits 0; it exits 1 if the host hangs up first.
 */
#define _XOPEN_SOURCE 700 /* posix_openpt, grantpt, unlockpt, ptsname */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "an3155.h"

#define FLASH_BASE 0x08000000u
#define FLASH_SIZE (256u * 1024u)
#define PAGE_SIZE  2048u
#define SRAM_BASE  0x20000000u
#define SRAM_SIZE  (32u * 1024u)
#define PROG_NS    53500    /* per half-word, DS9773 typical */
#define ERASE_NS   30000000 /* per page, and for a mass erase */

struct out_byte {
    uint64_t due_ns;
    uint8_t byte;
};

struct rig {
    int master;
    int fast;
    uint64_t char_ns;
    uint64_t t0;      /* wall clock at start */
    uint64_t now;     /* model time of the event being handled */
    uint64_t tx_free; /* when the device's TX line is free again */
    uint64_t rx_free; /* end of the last character received */
    struct out_byte q[4096];
    uint32_t qhead, qtail;
    uint8_t flash[FLASH_SIZE];
    uint8_t sram[SRAM_SIZE];
    uint64_t busy_ns;
    uint32_t rx_bytes, tx_bytes, pages_erased, halfwords;
    int gone;
    uint32_t go_addr;
};

static uint64_t wall_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t rig_clock(const struct rig *r) { return r->fast ? r->now : wall_ns() - r->t0; }

static void sleep_until(const struct rig *r, uint64_t t)
{
    uint64_t now;

    if (r->fast)
        return;
    now = rig_clock(r);
    if (t > now) {
        struct timespec ts = {(time_t)((t - now) / 1000000000u), (long)((t - now) % 1000000000u)};
        nanosleep(&ts, NULL);
    }
}

static void rig_tx(void *ctx, const uint8_t *bytes, uint32_t n, uint64_t delay_ns)
{
    struct rig *r = ctx;
    uint64_t t = r->now + delay_ns;
    uint32_t i;

    if (t < r->tx_free)
        t = r->tx_free;
    for (i = 0; i < n; i++) {
        t += r->char_ns;
        if (r->qtail - r->qhead >= sizeof(r->q) / sizeof(r->q[0])) {
            fprintf(stderr, "an3155_pty: output queue full\n");
            exit(2);
        }
        r->q[r->qtail % (sizeof(r->q) / sizeof(r->q[0]))] = (struct out_byte){t, bytes[i]};
        r->qtail++;
    }
    r->tx_free = t;
    r->tx_bytes += n;
}

static int64_t rig_erase_page(void *ctx, uint32_t page)
{
    struct rig *r = ctx;

    memset(r->flash + page * PAGE_SIZE, 0xFF, PAGE_SIZE);
    r->pages_erased++;
    r->busy_ns += ERASE_NS;
    return ERASE_NS;
}

static int64_t rig_mass_erase(void *ctx)
{
    struct rig *r = ctx;

    memset(r->flash, 0xFF, sizeof(r->flash));
    r->busy_ns += ERASE_NS;
    return ERASE_NS;
}

static int64_t rig_program(void *ctx, uint32_t addr, const uint8_t *data, uint32_t len)
{
    struct rig *r = ctx;
    uint32_t i;

    if (addr >= SRAM_BASE) {
        memcpy(r->sram + (addr - SRAM_BASE), data, len);
        return 0;
    }
    for (i = 0; i < len; i += 2) {
        uint8_t *c = r->flash + (addr - FLASH_BASE) + i;

        /* a cell that is not erased refuses the write (PGERR), 0x0000 excepted */
        if ((data[i] | data[i + 1]) != 0 && (c[0] & c[1]) != 0xFF)
            return -1;
        c[0] = data[i];
        c[1] = data[i + 1];
    }
    r->halfwords += len / 2;
    r->busy_ns += (uint64_t)(len / 2) * PROG_NS;
    return (int64_t)(len / 2) * PROG_NS;
}

static int rig_read(void *ctx, uint32_t addr, uint8_t *dst, uint32_t len)
{
    struct rig *r = ctx;

    if (addr >= FLASH_BASE && addr - FLASH_BASE + len <= FLASH_SIZE)
        memcpy(dst, r->flash + (addr - FLASH_BASE), len);
    else if (addr >= SRAM_BASE && addr - SRAM_BASE + len <= SRAM_SIZE)
        memcpy(dst, r->sram + (addr - SRAM_BASE), len);
    else
        memset(dst, 0xFF, len); /* system memory and option bytes: erased-looking */
    return 0;
}

static void rig_go(void *ctx, uint32_t addr)
{
    struct rig *r = ctx;

    r->gone = 1;
    r->go_addr = addr;
}

static const struct an3155_ops rig_ops = {
    .tx = rig_tx,
    .erase_page = rig_erase_page,
    .mass_erase = rig_mass_erase,
    .program = rig_program,
    .read = rig_read,
    .go = rig_go,
};

/* Write every queued byte that is due (all of them when flushing). */
static int drain(struct rig *r, int all)
{
    const uint32_t qn = sizeof(r->q) / sizeof(r->q[0]);

    while (r->qhead != r->qtail) {
        struct out_byte *o = &r->q[r->qhead % qn];

        if (!all && !r->fast && o->due_ns > rig_clock(r))
            break;
        sleep_until(r, o->due_ns);
        if (write(r->master, &o->byte, 1) != 1)
            return -1;
        if (r->fast && o->due_ns > r->now)
            r->now = o->due_ns;
        r->qhead++;
    }
    return 0;
}

static int save(const struct rig *r, const char *path)
{
    char tmp[4096];
    FILE *f;
    int rc = -1;

    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    f = fopen(tmp, "wb");
    if (!f)
        return -1;
    if (fwrite(r->flash, 1, sizeof(r->flash), f) == sizeof(r->flash))
        rc = 0;
    if (fclose(f) != 0)
        rc = -1;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -1;
    return rc;
}

int main(int argc, char **argv)
{
    static struct rig r;
    static struct an3155 m;
    const char *link_path = NULL, *out_path = NULL;
    unsigned long baud = 115200;
    struct termios tio;
    int i, slave, rc = 1;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--baud") && i + 1 < argc)
            baud = strtoul(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--fast"))
            r.fast = 1;
        else if (!strcmp(argv[i], "--flash-out") && i + 1 < argc)
            out_path = argv[++i];
        else if (argv[i][0] != '-' && !link_path)
            link_path = argv[i];
        else {
            fprintf(stderr, "usage: an3155_pty LINK [--baud N] [--fast] [--flash-out FILE]\n");
            return 2;
        }
    }
    if (!link_path || baud == 0) {
        fprintf(stderr, "usage: an3155_pty LINK [--baud N] [--fast] [--flash-out FILE]\n");
        return 2;
    }
    r.char_ns = 11ull * 1000000000ull / baud; /* start + 8 data + parity + stop */
    memset(r.flash, 0xFF, sizeof(r.flash));

    r.master = posix_openpt(O_RDWR | O_NOCTTY);
    if (r.master < 0 || grantpt(r.master) != 0 || unlockpt(r.master) != 0) {
        perror("an3155_pty: pty");
        return 2;
    }
    /* Keep a slave descriptor open so the master does not see a hang-up before the
     * host opens the link, and make the line raw until the host sets it up. */
    slave = open(ptsname(r.master), O_RDWR | O_NOCTTY);
    if (slave < 0 || tcgetattr(slave, &tio) != 0) {
        perror("an3155_pty: slave");
        return 2;
    }
    cfmakeraw(&tio);
    tcsetattr(slave, TCSANOW, &tio);
    unlink(link_path);
    if (symlink(ptsname(r.master), link_path) != 0) {
        perror("an3155_pty: symlink");
        return 2;
    }

    an3155_init(&m, &rig_ops, &r, 0x442);
    r.t0 = wall_ns();
    while (!r.gone) {
        struct pollfd p = {r.master, POLLIN, 0};
        int timeout_ms = -1;
        uint8_t buf[512];
        uint64_t t_read;
        ssize_t n;

        if (drain(&r, 0) != 0)
            goto done;
        if (r.qhead != r.qtail) {
            uint64_t due = r.q[r.qhead % (sizeof(r.q) / sizeof(r.q[0]))].due_ns;
            uint64_t now = rig_clock(&r);

            timeout_ms = r.fast ? 0 : (due > now ? (int)((due - now) / 1000000u) : 0);
        }
        if (poll(&p, 1, timeout_ms) < 0 && errno != EINTR)
            goto done;
        if (!(p.revents & POLLIN))
            continue;
        n = read(r.master, buf, sizeof(buf));
        if (n <= 0)
            goto done;
        if (slave >= 0) {
            /* the host has the line open now: let its close show as a hang-up */
            close(slave);
            slave = -1;
        }
        t_read = rig_clock(&r);
        for (i = 0; i < n; i++) {
            uint64_t arrive = t_read;

            /* The characters of one host write follow each other on the wire, each one
             * character time long, counted from when the write reached us (not from the
             * clock after our own sleeps, so oversleeping does not add up). */
            if (arrive < r.rx_free)
                arrive = r.rx_free;
            arrive += r.char_ns;
            r.rx_free = arrive;
            drain(&r, 0);
            sleep_until(&r, arrive);
            r.now = arrive;
            r.rx_bytes++;
            an3155_rx(&m, buf[i]);
        }
    }
    /* let the Go ACK out before the "application" starts */
    if (drain(&r, 1) != 0)
        goto done;
    /* Closing the master would discard what the host has not read yet: wait for the
     * host to close the line (at most 5 s). */
    for (i = 0; i < 50; i++) {
        struct pollfd p = {r.master, 0, 0};

        if (poll(&p, 1, 100) > 0 && (p.revents & POLLHUP))
            break;
    }
    if (out_path && save(&r, out_path) != 0) {
        perror("an3155_pty: flash-out");
        goto done;
    }
    printf("go 0x%08" PRIx32 " time_s %.3f busy_s %.3f rx %" PRIu32 " tx %" PRIu32
           " pages_erased %" PRIu32 " halfwords %" PRIu32 " commands %" PRIu32 " nacks %" PRIu32
           "\n",
           r.go_addr, (double)r.tx_free / 1e9, (double)r.busy_ns / 1e9, r.rx_bytes, r.tx_bytes,
           r.pages_erased, r.halfwords, m.commands, m.nacks);
    rc = 0;
done:
    unlink(link_path);
    if (slave >= 0)
        close(slave);
    close(r.master);
    return rc;
}
