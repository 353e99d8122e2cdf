/*
 * libflash private: serial ports through plain termios (tty.c), and reading and setting
 * the line rate (tty_rate.c, apart because Linux's arbitrary-rate interface cannot share a
 * file with <termios.h>).
 */
#ifndef F0B_TTY_H
#define F0B_TTY_H

#include <stddef.h>
#include <stdint.h>
#include "f0boot/flash.h"

/* Open the serial port spec names (a path or symlink, a bare name, usb:VID:PID[:SERIAL]:
 * f0boot/ports.h) for p: exclusively (TIOCEXCL, flock and the UUCP lock file), raw 8N1 at
 * baud, no flow control, DTR and RTS negated, HUPCL cleared (closing leaves the lines as
 * they are). 0, or F0B_E_ARG (a malformed name), F0B_E_PORT (no such port: the ports
 * present are listed; busy: the holder named where the system tells; no permission; not a
 * terminal; baud not taken: the rate the port stays at is given) or F0B_E_NOMEM, with the
 * reason in err. p->ops also has set_lines and get_baud. */
int f0b_tty_open(struct f0b_port *p, const char *spec, uint32_t baud, char *err, size_t errlen);

/* Set the line rate of the open tty fd, any rate the driver takes (Linux: BOTHER through
 * TCSETS2; elsewhere the standard B* rates only). 0, or -1 with errno (EINVAL: a rate this
 * system cannot express). */
int f0b_tty_rate_set(int fd, uint32_t baud);

/* The output line rate the driver reports for fd: 0, or -1 with errno. */
int f0b_tty_rate_get(int fd, uint32_t *baud);

/* Tests: a function through which every rate read back passes (asked: the rate set, got:
 * the driver's answer; returns the rate to believe), to play a port that cannot run at
 * some rate; NULL restores the driver's answer. Not for production use. */
void f0b_tty_test_readback(uint32_t (*fn)(uint32_t asked, uint32_t got));

#endif
