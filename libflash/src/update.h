/*
 * Private to libflash: the three steps of f0b_sess_flash() (flash.c), each in its own file
 * and each testable on its own: plan.c decides what to send (geometry, and with
 * skip-unchanged the pages whose crc differs), stream.c sends it (BEGIN's DATA with
 * go-back-N), verify.c closes the update (END, CRC query, asking again after a lost link).
 */
#ifndef F0B_LIBFLASH_UPDATE_H
#define F0B_LIBFLASH_UPDATE_H

#include <stdint.h>
#include "session.h"

/* One DATA frame's worth of payload. */
struct f0b_chunk {
    uint32_t off;
    uint32_t len;
    uint8_t seek; /* the chunk does not follow the previous one: DATA SEEK */
};

struct f0b_plan {
    uint32_t size;  /* payload bytes */
    uint32_t crc;   /* the host's crc32 of the payload */
    uint32_t page;  /* the device's page size */
    uint32_t chunk; /* payload bytes per DATA frame: divides page */
    uint32_t npages;
    uint8_t *need;        /* per page: 1 to send, 0 intact on the device */
    struct f0b_chunk *ch; /* the DATA frames to send, in order */
    uint32_t nch;
    uint32_t wbytes;    /* payload bytes in ch */
    const uint8_t *tag; /* encrypted image: the 16-byte tag END carries; else NULL */
};

/* plan.c: the geometry for a size-byte payload on device d (every page needed), crc the
 * payload's crc32. 0, F0B_E_ARG (size 0) or F0B_E_NOMEM; f0b_plan_free() either way. */
int f0b_plan_init(struct f0b_plan *p, const struct f0b_dev_info *d, uint32_t size, uint32_t crc);
/* plan.c: the chunk list from need[]: chunks inside pages, a SEEK wherever one does not
 * follow the previous one. */
void f0b_plan_chunks(struct f0b_plan *p);
void f0b_plan_free(struct f0b_plan *p);
/* plan.c: with skip-unchanged, ask the device for crcs: 1 when the device already holds
 * this exact image committed (nothing to send; res->unchanged, res->crc), else 0 with
 * need[] cleared for pages whose crc matches (res->pages_skipped); or a request's error. */
int f0b_plan_skip_unchanged(struct f0b_session *s, struct f0b_plan *p, const uint8_t *hdr,
                            const uint8_t *payload, struct f0b_flash_result *res);

/* stream.c: send every chunk of p as DATA and wait until the device has acknowledged them
 * all. 0, F0B_E_TRANSFER, F0B_E_REFUSED (last_status) or the port's error. */
int f0b_stream(struct f0b_session *s, const uint8_t *payload, const struct f0b_plan *p,
               struct f0b_flash_result *res);

/* verify.c: END, then the CRC query compared with p->crc (res->crc). After a lost link
 * (no answer, port closed) the device is greeted again and asked (res->relinked). 0,
 * F0B_E_VERIFY, F0B_E_REFUSED, F0B_E_TRANSFER, F0B_E_PROTOCOL or the port's error. */
int f0b_verify(struct f0b_session *s, const uint8_t *hdr, const struct f0b_plan *p,
               struct f0b_flash_result *res);

#endif
