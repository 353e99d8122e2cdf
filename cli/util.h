/* Small helpers shared by the f0boot commands. */
#ifndef F0B_CLI_UTIL_H
#define F0B_CLI_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Largest input file any f0boot tool reads: no STM32F0 image comes near it. */
#define CLI_INPUT_MAX (64u * 1024u * 1024u)

/* A 32-bit unsigned number in C notation (decimal, 0x hex, 0 octal), nothing after it.
 * Returns 0, or -1 for an empty, negative, malformed or too large value. */
int cli_parse_u32(const char *s, uint32_t *v);

/* Read the whole regular file at path (at most CLI_INPUT_MAX bytes) into a malloc'd buffer
 * (*buf, *len; free() it). Returns 0, or an enum f0b_exit code (INPUT_IO, INPUT_FORMAT for a
 * file too big, INTERNAL for memory) with msg saying what is wrong, naming the file. */
int cli_read_file(const char *path, uint8_t **buf, size_t *len, char *msg, size_t msglen);

#endif
