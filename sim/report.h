/* f0sim's end-of-run reports (report.c). */
#ifndef F0SIM_REPORT_H
#define F0SIM_REPORT_H

#include "machine.h"

/* f0sim's own exit codes beyond the shared ones (docs/f0sim.md) */
enum {
    SIM_EXIT_FAULT = 20,   /* the firmware took a HardFault or locked up */
    SIM_EXIT_TIMEOUT = 21, /* --until-uart pattern not seen before --until-ms */
    SIM_EXIT_STUCK = 22,   /* WFI with nothing that could ever wake the CPU */
    SIM_EXIT_STRICT = 23,  /* --strict: an unmodelled register was touched */
};

/* The exit code for why the chip stopped. */
int exit_code_for(const struct chip *c);
/* --profile: 0, or -1 (errno set) when the file cannot be written. */
int write_profile(const char *path, const struct chip *c);
/* --summary: 0, or -1 (errno set). host_s: wall seconds, cpu: process CPU seconds. */
int write_summary(const char *path, const struct chip *c, int code, double host_s, double cpu);

#endif
