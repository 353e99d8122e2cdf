/* Small helpers shared by the f0boot commands. */
#ifndef F0B_CLI_UTIL_H
#define F0B_CLI_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct f0b_img_hdr;

/* Largest input file any f0boot tool reads: no STM32F0 image comes near it. */
#define CLI_INPUT_MAX (64u * 1024u * 1024u)

/* A 32-bit unsigned number in C notation (decimal, 0x hex, 0 octal), nothing after it.
 * Returns 0, or -1 for an empty, negative, malformed or too large value. */
int cli_parse_u32(const char *s, uint32_t *v);

/* Read the whole regular file at path (at most CLI_INPUT_MAX bytes) into a malloc'd buffer
 * (*buf, *len; free() it). Returns 0, or an enum f0b_exit code (INPUT_IO, INPUT_FORMAT for a
 * file too big, INTERNAL for memory) with msg saying what is wrong, naming the file. */
int cli_read_file(const char *path, uint8_t **buf, size_t *len, char *msg, size_t msglen);

/* argv[i] is option name, alone or as name=VALUE. */
int cli_is_opt(const char *arg, const char *name);

/* The value of option name at argv[*i]: after '=' in name=VALUE, else the next argument
 * (*i moves past it). NULL when the value is missing. */
const char *cli_optval(int argc, char **argv, int *i, const char *name);

/* "1.2.3", or "1.2.3+45" when the build number is not 0. */
void cli_version_str(char *b, size_t n, const struct f0b_img_hdr *h);

/* Report an error for command cmd: "f0boot CMD: MSG" on stderr and, with json, one
 * object on stdout ({"event":"result",} first when event is set: the commands that stream
 * events end with a result object), with ok false, exit code and error. Returns code. */
int cli_vfail(const char *cmd, int json, int event, int code, const char *fmt, va_list ap);

#endif
