/*
 * The line rate of a tty (tty.h). On Linux through the termios2 ioctls (TCGETS2/TCSETS2)
 * with BOTHER, so any rate the driver can do is asked for as a number (the driver then
 * writes back the rate it really set); struct termios2 comes from <asm/termbits.h>, which
 * clashes with the C library's <termios.h>: hence this file of its own. Elsewhere the
 * POSIX calls with the standard rates.
 */
#ifdef __linux__
#include <asm/termbits.h>
#include <errno.h>
#include <sys/ioctl.h>
#else
#include <errno.h>
#include <termios.h>
#endif
#include "tty.h"

#ifdef __linux__

int f0b_tty_rate_set(int fd, uint32_t baud)
{
    struct termios2 t;

    if (ioctl(fd, TCGETS2, &t) != 0)
        return -1;
    t.c_cflag &= ~(tcflag_t)CBAUD;
    t.c_cflag |= BOTHER;
    t.c_ospeed = baud;
    /* Input at the output rate: IBSHIFT field zero. */
    t.c_cflag &= ~(tcflag_t)(CBAUD << IBSHIFT);
    t.c_ispeed = baud;
    return ioctl(fd, TCSETS2, &t);
}

int f0b_tty_rate_get(int fd, uint32_t *baud)
{
    struct termios2 t;

    if (ioctl(fd, TCGETS2, &t) != 0)
        return -1;
    *baud = t.c_ospeed;
    return 0;
}

#else

static const struct {
    uint32_t baud;
    speed_t code;
} rates[] = {
    {1200, B1200},   {2400, B2400},   {4800, B4800},     {9600, B9600},     {19200, B19200},
    {38400, B38400}, {57600, B57600}, {115200, B115200}, {230400, B230400},
};

int f0b_tty_rate_set(int fd, uint32_t baud)
{
    struct termios t;

    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
        if (rates[i].baud != baud)
            continue;
        if (tcgetattr(fd, &t) != 0 || cfsetispeed(&t, rates[i].code) != 0 ||
            cfsetospeed(&t, rates[i].code) != 0)
            return -1;
        return tcsetattr(fd, TCSANOW, &t);
    }
    errno = EINVAL;
    return -1;
}

int f0b_tty_rate_get(int fd, uint32_t *baud)
{
    struct termios t;

    if (tcgetattr(fd, &t) != 0)
        return -1;
    speed_t s = cfgetospeed(&t);
    *baud = 0;
    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++)
        if (rates[i].code == s)
            *baud = rates[i].baud;
    return 0;
}

#endif
