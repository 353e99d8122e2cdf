/* f0sim's command line (options.c): one table of options, each with its parser. */
#ifndef F0SIM_OPTIONS_H
#define F0SIM_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

#include "machine.h"
#include "watch.h"

#define SIM_MAX_LOADS 16

/* What the command line asks for beyond the chip's own options (struct chip_opts). */
struct sim_cli {
    const char *flash_path, *uart, *port_file, *summary, *profile;
    const char *loads[SIM_MAX_LOADS];
    int nloads;
    int realtime; /* -1: the default for the UART kind */
    int wait_host;
    int quiet;
    int help;
    struct watch_opts watch; /* --watch and its options (watch.h) */
};

/* Parse argv into *o (defaults first) and *cli. 0 on success (cli->help: --help was given),
 * -1 with a message in err for a bad command line. */
int options_parse(int argc, char **argv, struct chip_opts *o, struct sim_cli *cli, char *err,
                  size_t errlen);
void options_usage(FILE *f);

#endif
