/*
 * The hands-free pieces of the commands that talk to a bootloader (cmd_flash.c,
 * cmd_verify.c): Ctrl-C handling, defaults from the environment, and --expect, the proof
 * that the new application came up.
 */
#ifndef F0B_HANDSFREE_H
#define F0B_HANDSFREE_H

#include <signal.h>
#include <stdint.h>
#include "f0boot/flash.h"
#include "output.h"

/* Raised by SIGINT and SIGTERM once hf_signals() has run; libflash watches it
 * (f0b_flash_opts.stop). */
extern volatile sig_atomic_t hf_stop;

/* Catch SIGINT and SIGTERM: they only raise hf_stop, so every wait ends within 50 ms at a
 * frame boundary and the port is closed as usual. */
void hf_signals(void);

/* The value of environment variable name as a baud rate into *out: 1 if it was set and
 * valid, 0 if unset or empty, or -1 (out_fail already reported it, exit code in *rc). */
int hf_env_baud(struct out *u, const char *name, uint32_t *out, int *rc);

/* --expect: after BOOT, read the application's output on p at app_baud (the port is
 * switched there first when the session ran at another rate, cur_baud) for up to
 * timeout_ms, showing it as OUT_EV_OUTPUT events, until text appears. pending/npending:
 * bytes already read behind the bootloader's last answer. Returns 1 when text was seen
 * (*ms: after how long), 0 when not within timeout_ms, or a negative f0b_flash_err
 * (F0B_E_IO: the port failed; F0B_E_ABORTED: hf_stop). */
int hf_expect(struct out *u, struct f0b_port *p, const char *text, uint32_t timeout_ms,
              uint32_t app_baud, uint32_t cur_baud, const uint8_t *pending, size_t npending,
              uint64_t *ms);

#endif
