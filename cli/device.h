/*
 * What the commands that talk to a bootloader share (device.c; used by cmd_flash.c: flash,
 * cmd_probe.c: probe, boot;
 * cmd_verify.c: verify, erase): their options, connecting with the hands-free entry
 * (libflash's f0b_sess_enter()), session failures as messages and exit codes.
 */
#ifndef F0B_DEVICE_H
#define F0B_DEVICE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "f0boot/flash.h"
#include "output.h"

/* The options, parsed. */
struct common {
    const char *port;
    uint32_t baud, fast_baud, timeout, retries, wait, app_baud, expect_timeout;
    int have_wait;
    unsigned given; /* bit k: the k-th numeric option was on the command line */
    int json, quiet, no_boot, skip, force;
    const char *part;
    const char *image;
    int no_ask;                 /* --no-ask: do not send the request sequence */
    struct f0b_reset_seq reset; /* --reset (none: no steps) */
    const char *reset_text;
    const char *expect; /* --expect TEXT (flash, boot), NULL: none */
};

/* A port with a session on it. */
struct device {
    struct f0b_port port;   /* open when port.ops is set */
    struct f0b_session *s;  /* NULL until created */
    enum f0b_entry_how how; /* how the bootloader came to answer */
};

/* Which options a command takes beyond the common ones (dev_parse()'s want): IMAGE (with
 * --part, --force), --expect, --no-boot and --skip-unchanged. */
enum { DEV_PORT = 0, DEV_IMAGE = 1, DEV_BOOTS = 2, DEV_FLASH = 4 };

/* Parse the options of a bootloader command: PORT, then IMAGE when want & DEV_IMAGE;
 * --expect/--expect-timeout when want & DEV_BOOTS; F0BOOT_PORT, F0BOOT_BAUD and
 * F0BOOT_FAST_BAUD as defaults under the flags. Returns -1 to continue, or an exit code
 * (after --help, or a usage error already reported). */
int dev_parse(struct out *u, int argc, char **argv, struct common *c, int want,
              void (*usage)(FILE *));
/* Open PORT, start a session and get a bootloader to answer (f0b_sess_enter(): at once,
 * by asking the application, by --reset, by waiting). Returns -1 when connected, else the
 * exit code; dev_disconnect() d either way. events: 0 keeps the session's progress events
 * off (probe prints one block instead). */
int dev_connect(struct out *u, struct common *c, struct device *d, int events);
void dev_disconnect(struct device *d);
/* A session failure (enum f0b_flash_err) as a message that says what to do; returns the
 * exit code (F0B_EXIT_ABORTED for F0B_E_ABORTED). */
int dev_fail(struct out *u, struct f0b_session *s, const char *port, int err);
/* What --expect found, for the result. */
struct expect_res {
    int seen;
    uint64_t ms; /* after BOOT */
};

/* --expect after BOOT (cur_baud: the rate the session ran at): -1 when the text was seen
 * (or there is no --expect), else the exit code (reported). */
int dev_expect(struct out *u, struct common *c, struct device *d, uint32_t cur_baud,
               struct expect_res *x);
/* The container to send: the file itself, or an ELF/HEX packed as `f0boot pack` would.
 * 0, or the exit code (reported). */
int dev_load_image(struct out *o, const char *path, const char *part_name, int force, uint8_t **cnt,
                   size_t *cnt_len);

/* --help texts: the exit codes, PORT, the entry options. */
extern const char *const dev_exit_text;
extern const char *const dev_port_text;
extern const char *const dev_entry_text;

#endif
