/*
 * Private to libflash: the session behind the opaque struct f0b_session, and the pieces
 * its files share. wire.c frames and requests (and owns the frame check, frame_crc());
 * session.c the requests of f0boot/flash.h other than the update; plan.c, stream.c and
 * verify.c the three steps of f0b_sess_flash() (flash.c).
 */
#ifndef F0B_LIBFLASH_SESSION_H
#define F0B_LIBFLASH_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include "f0boot/flash.h"
#include "frame.h"

#define GREET_MS     100 /* INFO is repeated this often while connecting */
#define STOP_POLL_MS 50  /* with a stop flag, reads wait at most this long at a time */

struct f0b_session {
    struct f0b_port *port;
    struct f0b_flash_opts o;
    struct f0b_dev_info info;
    int have_info;
    uint32_t baud; /* current line rate */
    uint8_t seq;
    int last_status; /* device status behind F0B_E_REFUSED / F0B_E_VERIFY */
    unsigned retries;
    uint64_t t0;
    struct f0b_rx rx;  /* deframer state */
    uint8_t rbuf[512]; /* bytes read from the port, not yet deframed */
    size_t rpos, rend;
};

/* ---- wire.c ------------------------------------------------------------------------------ */

/* Milliseconds on the port's clock. */
uint64_t sess_now(struct f0b_session *s);
/* Pass an event to the caller's callback, if any. */
void sess_event(struct f0b_session *s, enum f0b_event_kind kind, const char *phase, const char *msg,
                uint32_t done, uint32_t total);
/* Encode and write one frame (lead_delim: a delimiter first, ending any partial frame the
 * device holds). 0, F0B_E_ARG (payload too long) or the port's error. */
int sess_send_frame(struct f0b_session *s, uint8_t type, uint8_t seq, const uint8_t *pl,
                    uint32_t plen, int lead_delim);
/* Next frame with a good check before deadline: 1 (in s->rx.buf, *len bytes), 0 on
 * timeout, or the port's error. */
int sess_recv_frame(struct f0b_session *s, uint64_t deadline, uint32_t *len);
/* 1 once the caller's stop flag (opts.stop) is raised. */
int sess_stopped(const struct f0b_session *s);
/* Discard what the port and the deframer hold. */
void sess_flush_input(struct f0b_session *s);
/* Wait out ms on the line, discarding whatever arrives: 0 or the port's error. */
int sess_idle(struct f0b_session *s, uint32_t ms);
/* Send a request and wait for its answer, repeating it up to tries times: the device
 * status (>= 0) with the result bytes in out (*olen), or F0B_E_TRANSFER (no answer) or
 * the port's error. */
int sess_request(struct f0b_session *s, uint8_t type, const uint8_t *pl, uint32_t plen,
                 uint8_t *out, uint32_t outmax, uint32_t *olen, int timeout_ms, int tries);
/* Attempts per request: opts.retries + 1. */
int sess_tries(const struct f0b_session *s);
/* Greet (INFO) every every_ms until an INFO answer arrives or for_ms passes, then parse
 * it into s->info: 0, F0B_E_NO_ANSWER, F0B_E_VERSION, F0B_E_PROTOCOL or the port's error. */
int sess_greet(struct f0b_session *s, uint32_t for_ms, uint32_t every_ms);
/* A request that did not end in F0B_ST_OK: the transport error as it is, or the device's
 * status kept in last_status and mapped to F0B_E_VERIFY / F0B_E_REFUSED. */
int sess_fail_status(struct f0b_session *s, int st);
/* compare.c: the device's crc32 of each page of the payload range (F0B_CRC_MAX_CHUNKS pages
 * per CRC request) against the image's: each(ctx, page, same) once per page, in order.
 * 0, or the request's error. Used by verify (f0b_sess_compare) and --skip-unchanged. */
int sess_pages_match(struct f0b_session *s, const uint8_t *payload, uint32_t size,
                     void (*each)(void *ctx, uint32_t page, int same), void *ctx);

#endif
