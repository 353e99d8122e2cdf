/*
 * libflash: the serial ports of this machine, and how a PORT argument names one.
 *
 * A PORT is, everywhere in f0boot:
 *   - a path or a symlink to a tty device ("/dev/ttyUSB0", "/dev/serial/by-id/usb-FTDI_...",
 *     the link f0sim's `--uart pty:LINK` makes);
 *   - a bare name ("ttyUSB0" means /dev/ttyUSB0; when /dev has no such entry, a file of
 *     that name in the current directory);
 *   - a selector "usb:VID:PID[:SERIAL]": hex vendor and product ids (1 to 4 digits, or "*"
 *     for any) and a serial number (a shell-style pattern: "*" and "?" allowed; omitted:
 *     any). Single-board commands need it to match exactly one port.
 *
 * Errors are the negative codes of f0boot/flash.h (F0B_E_*); nothing here prints.
 */
#ifndef F0BOOT_PORTS_H
#define F0BOOT_PORTS_H

#include <stddef.h>
#include <stdint.h>

enum f0b_port_transport {
    F0B_PT_UNKNOWN = 0,
    F0B_PT_NATIVE,    /* a UART on the machine's own bus (8250/16550, platform UARTs) */
    F0B_PT_USB,       /* a USB adapter (ftdi_sio, cp210x, ch341, pl2303, cdc_acm...) */
    F0B_PT_BLUETOOTH, /* rfcomm */
    F0B_PT_PTY,       /* a pseudo-terminal (f0sim's --uart pty:) */
};

struct f0b_port_info {
    char dev[64];  /* device path: "/dev/ttyUSB0" */
    char name[32]; /* kernel name: "ttyUSB0" */
    enum f0b_port_transport transport;
    int has_usb; /* vid, pid and location are known */
    uint16_t vid, pid;
    char serial[64]; /* USB serial number ("" when the adapter has none) */
    char manufacturer[64];
    char product[64];
    char location[32]; /* USB bus-port path, as sysfs names the device: "1-1.2" */
    char by_id[288];   /* the /dev/serial/by-id symlink to dev, or "" */
};

struct f0b_port_list {
    struct f0b_port_info *v; /* sorted by name ("ttyS2" before "ttyS10") */
    size_t n;
};

/* The transport as a word: "usb", "native", "bluetooth", "pty", "unknown". */
const char *f0b_port_transport_name(enum f0b_port_transport t);

/* The serial ports present now. On Linux from sysfs (/sys/class/tty: every tty with a
 * hardware device behind it; a serial_core UART whose type is 0, "no UART there", is left
 * out), elsewhere from libserialport. root "" or NULL: the running system; otherwise a
 * directory that stands for "/" (its sys/class/tty and dev/serial/by-id are read: tests).
 * An empty list is not an error. Returns 0, or F0B_E_NOMEM. Free with f0b_ports_free(). */
int f0b_ports_list(struct f0b_port_list *l, const char *root);
void f0b_ports_free(struct f0b_port_list *l);

/* A selector, parsed. */
struct f0b_port_sel {
    int any_vid, any_pid;
    uint16_t vid, pid;
    char serial[64]; /* pattern; "" (or "*"): any */
};

/* Parse "usb:VID:PID[:SERIAL]". Returns 1 (a selector, *sel filled), 0 (spec does not
 * start with "usb:": not a selector), or F0B_E_ARG with what is wrong in err. */
int f0b_port_sel_parse(const char *spec, struct f0b_port_sel *sel, char *err, size_t errlen);

/* 1 when port i matches the selector, else 0. */
int f0b_port_sel_match(const struct f0b_port_sel *sel, const struct f0b_port_info *i);

/* Pick the one port of l that spec (a selector) names: 0 and *index, or F0B_E_ARG for a
 * malformed selector, F0B_E_PORT when it matches none ("no serial port matches usb:...;
 * ports present: ...") or several (each listed). The reason goes to err. */
int f0b_ports_select(const struct f0b_port_list *l, const char *spec, size_t *index, char *err,
                     size_t errlen);

/* The ports of l in one line for messages: "ttyUSB0 (usb 0403:6001 A10K3ZQW), ttyS0
 * (native)", or "none found". Cut to fit buf (always terminated). */
void f0b_ports_summary(const struct f0b_port_list *l, char *buf, size_t len);

/* The device path PORT names (see the top of this file), not yet opened: 0 with the path
 * in path, or F0B_E_ARG (a malformed selector, a path too long), F0B_E_PORT (nothing
 * there, or a selector that matches none or several: the ports present are listed) or
 * F0B_E_NOMEM, with the reason in err. */
int f0b_port_resolve(const char *spec, char *path, size_t pathlen, char *err, size_t errlen);

#endif
