/* f0sim's files (files.c). */
#ifndef F0SIM_FILES_H
#define F0SIM_FILES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "machine.h"

/* An output file written to PATH.tmp.PID and renamed over PATH when complete. */
struct outfile {
    FILE *f;
    const char *path;
    char tmp[4200];
};

/* Open o for path ("-" is stdout when dash_stdout). NULL (errno set) on failure. */
FILE *out_open(struct outfile *o, const char *path, const char *mode, int dash_stdout);
/* ok: everything was written. 0 when the file is in place, -1 (errno set) when not. */
int out_close(struct outfile *o, int ok);
/* Open (or create erased) the persistent flash file of size bytes and map it; NULL with a
 * message in err on failure. */
uint8_t *open_flash(const char *path, uint32_t size, char *err, size_t errlen);
/* --load FILE[@ADDR]: program an ELF, HEX or raw binary into flash. 0, or -1 with a message
 * in err and the exit code in *exit_code. */
int load_image(const char *spec, const struct part_desc *p, uint8_t *flash, int *exit_code,
               char *err, size_t errlen);
/* Write the TCP port number to path. 0, or -1 (errno set). */
int write_port_file(const char *path, int port);

#endif
