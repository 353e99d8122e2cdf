/* f0boot flash on several boards at once (issue 15): each board is flashed by the
 * single-board flow (cmd_flash) in a child process of its own, with its own port, timeouts
 * and retries, and the parent multiplexes their JSON streams into one report. */
#ifndef F0B_FLASH_MULTI_H
#define F0B_FLASH_MULTI_H

#include <stdio.h>

#include "common/exit_codes.h"

/* 1 when the arguments of `f0boot flash` (argv[0] "flash") name more than one board:
 * three or more positional arguments (PORT... IMAGE), a list file (@FILE) as a PORT, or a
 * usb: selector that matches several serial ports now. 0 otherwise (also for --help), and
 * the single-board flow runs. */
int flash_multi_wanted(int argc, char **argv);

/* Flash every board argv names (see flash_multi_wanted) and report: returns the exit code
 * (0 only when every board succeeded; the failures' common code when they all failed
 * the same way; F0B_EXIT_MULTI_MIXED (20) when they differ: each board's own code is in
 * the summary). */
int flash_multi(int argc, char **argv);

/* The part of `f0boot flash --help` about several boards. */
void flash_multi_usage(FILE *f);

#endif
