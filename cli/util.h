/* Small helpers shared by the f0boot commands. */
#ifndef F0B_CLI_UTIL_H
#define F0B_CLI_UTIL_H

#include <stdint.h>

/* A 32-bit unsigned number in C notation (decimal, 0x hex, 0 octal), nothing after it.
 * Returns 0, or -1 for an empty, negative, malformed or too large value. */
int cli_parse_u32(const char *s, uint32_t *v);

#endif
