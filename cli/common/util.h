/* Small helpers shared by f0boot and f0sim (library f0b_cliutil): option parsing, numbers,
 * and the files they read and write. Each returns an enum f0b_exit code (cli/exit_codes.h)
 * and, on failure, a message in msg that says what is wrong, naming the file. */
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
 * (*buf, *len; free() it). The file is checked before anything can block: a FIFO, device,
 * socket or directory is refused at once. Returns 0, or INPUT_IO (cannot open, not a regular
 * file, read error), INPUT_FORMAT (too big), INTERNAL (out of memory). */
int cli_read_file(const char *path, uint8_t **buf, size_t *len, char *msg, size_t msglen);

/* Write buf to path so that nothing is ever half-written or wrongly replaced:
 * - a new or existing regular file is written to a temporary file beside it and renamed
 *   over it (a symbolic link to a regular file keeps the link; its target is replaced);
 * - a character device or FIFO (/dev/null, /dev/stdout on a terminal or pipe) is written
 *   to as it is, never replaced;
 * - anything else (directory, socket, block device, dangling link) is refused.
 * Returns 0, or OUTPUT (with msg), INTERNAL (out of memory). */
int cli_write_file(const char *path, const uint8_t *buf, size_t len, char *msg, size_t msglen);

/* argv[i] is option name, alone or as name=VALUE. */
int cli_is_opt(const char *arg, const char *name);

/* The value of option name at argv[*i]: after '=' in name=VALUE, else the next argument
 * (*i moves past it). NULL when the value is missing. */
const char *cli_optval(int argc, char **argv, int *i, const char *name);

#endif
