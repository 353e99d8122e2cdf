/*
 * The server end of telnet with RFC 2217 COM-PORT-CONTROL for USART1's TCP side
 * (--uart rfc2217:PORT, host.c), as ser2net serves a real port in telnet(rfc2217) mode: so
 * that a host's DTR/RTS commands reach the virtual board's NRST pin. Only the bytes are
 * handled here; host.c owns the socket.
 */
#ifndef F0SIM_RFC2217_H
#define F0SIM_RFC2217_H

#include <stddef.h>
#include <stdint.h>

#include "ring.h"

struct tnsrv {
    int st; /* receiver state */
    uint8_t verb, sb_opt;
    uint8_t sb[16];
    size_t sb_n;
    uint8_t us[256], him[256]; /* options agreed: what we do, what the client does */
    int dtr, rts;              /* the client's lines: 1 asserted */
    int nrst_rts;              /* wiring: NRST on RTS# (1) or on DTR# (0) */
};

/* A new client: nothing agreed, both lines negated. */
void tnsrv_init(struct tnsrv *t, int nrst_rts);
/* Run n received bytes through the telnet receiver: data bytes go into data, the answers to
 * option negotiation and COM-PORT commands into reply (raw bytes for the client). */
void tnsrv_feed(struct tnsrv *t, const uint8_t *in, size_t n, struct ring *data,
                struct ring *reply);
/* 1 while the client holds NRST low (its line wired to NRST asserted). */
int tnsrv_nrst_low(const struct tnsrv *t);

#endif
