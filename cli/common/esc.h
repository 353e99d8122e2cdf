/* Untrusted bytes made safe to show: on a terminal (no escape sequences reach it) and in
 * JSON (valid UTF-8). Printable ASCII and valid, printable UTF-8 pass unchanged. */
#ifndef F0B_ESC_H
#define F0B_ESC_H

#include <stddef.h>
#include <stdio.h>

/* Length (2-4) of the well-formed UTF-8 sequence of a non-ASCII character at s (shortest
 * form, no surrogates, at most U+10FFFF), or 0 when the bytes there are not one. */
size_t esc_utf8_len(const unsigned char *s);

/* 1 if the character at s (of esc_utf8_len() bytes, or 1 for ASCII) is a control character
 * a terminal may act on: C0 (below 0x20), DEL, or C1 (U+0080-U+009F). */
int esc_is_control(const unsigned char *s, size_t n);

/* Write s to f for a human: control characters and bytes that are not valid UTF-8 are
 * written as \xNN, everything else as it is (newline and tab included). */
void esc_text(FILE *f, const char *s);

#endif
