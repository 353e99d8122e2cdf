/*
 * libflash: the host end of the f0boot wire protocol (f0boot/protocol.h, docs/protocol.md)
 * and the transports it runs over.
 *
 * Errors: functions return 0 (or a positive count) on success and a negative enum
 * f0b_flash_err on failure; f0b_flash_strerror() names it. A device status that ends an
 * operation (an image refused, a flash error) is kept in the session
 * (f0b_sess_last_status()) and described by f0b_status_str(). Nothing here prints: progress
 * and log lines go to the caller's event callback.
 *
 * Use: f0b_port_open() (or f0b_port_loop()), f0b_sess_create(), f0b_sess_connect(), then
 * f0b_sess_fast_baud() / f0b_sess_flash() / f0b_sess_boot() / ..., f0b_sess_free(),
 * f0b_port_close(). The sources: docs/protocol.md (and the README's tree) say which file
 * does what.
 */
#ifndef F0BOOT_FLASH_H
#define F0BOOT_FLASH_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "f0boot/container.h"
#include "f0boot/protocol.h"

enum f0b_flash_err {
    F0B_E_OK = 0,
    F0B_E_ARG = -1,       /* bad argument (port spec, option) */
    F0B_E_PORT = -2,      /* port cannot be opened */
    F0B_E_IO = -3,        /* read/write on the port failed (device unplugged, peer closed) */
    F0B_E_NO_ANSWER = -4, /* no bootloader answered INFO */
    F0B_E_VERSION = -5,   /* the bootloader speaks another protocol major version */
    F0B_E_TRANSFER = -6,  /* no progress after the allowed retries */
    F0B_E_REFUSED = -7,   /* the device answered with an error status (last_status) */
    F0B_E_VERIFY = -8,    /* flash content differs from the image after writing */
    F0B_E_PROTOCOL = -9,  /* malformed answer from the device */
    F0B_E_NOMEM = -10,
    F0B_E_BAUD = -11,     /* the port does not run at the rate asked for (set_baud): the
                             * driver or the UART cannot do it; get_baud says what it runs at */
    F0B_E_ABORTED = -12,  /* the caller raised its stop flag (f0b_flash_opts.stop: Ctrl-C) */
    F0B_E_NO_LINES = -13, /* the port has no DTR/RTS to drive (raw TCP, a pty) */
};

/* A short description of err (an enum f0b_flash_err); "unknown error" for any other value.
 * Never NULL, static storage. */
const char *f0b_flash_strerror(int err);
/* A short description of a device status (enum f0b_status), with what to do about it;
 * "unknown device status" for any other value. Never NULL, static storage. */
const char *f0b_status_str(int status);

/* ---- transports ---------------------------------------------------------------------- */

struct f0b_port_ops {
    /* Wait up to timeout_ms for at least one byte; return the count read (> 0), 0 on
     * timeout, or F0B_E_IO. */
    int (*read)(void *ctx, uint8_t *buf, size_t max, int timeout_ms);
    /* Queue all len bytes: 0 or F0B_E_IO. */
    int (*write)(void *ctx, const uint8_t *buf, size_t len);
    /* Change the line rate (a no-op on raw TCP, where the far end owns the UART; on
     * RFC 2217 0 only once the server has confirmed the new rate). */
    int (*set_baud)(void *ctx, uint32_t baud);
    /* Block until written bytes have left (0 or F0B_E_IO). */
    int (*drain)(void *ctx);
    /* Discard received bytes not read yet. */
    int (*flush)(void *ctx);
    void (*close)(void *ctx);
    /* Milliseconds on the port's clock; NULL: CLOCK_MONOTONIC. In-process loopbacks run a
     * virtual clock so tests are fast and reproducible. */
    uint64_t (*now_ms)(void *ctx);
    /* Drive the modem-control lines: nonzero asserts DTR / RTS (the adapter's DTR# and RTS#
     * pins go low). 0, F0B_E_NO_LINES when the port has no such lines (a pty), or
     * F0B_E_IO. NULL: the transport has none (raw TCP). */
    int (*set_lines)(void *ctx, int dtr, int rts);
    /* The line rate the port runs at now, as the driver reports it; NULL or 0: unknown. */
    uint32_t (*get_baud)(void *ctx);
};

struct f0b_port {
    const struct f0b_port_ops *ops; /* NULL: closed (or a reopen failed) */
    void *ctx;
    int is_socket;    /* set_baud does not change a real line rate (socket://) */
    const char *name; /* the device opened, for messages ("/dev/ttyS1"); NULL for the
                             * network transports; owned by ctx, valid until close */
    /* How f0b_port_open() opened it, for f0b_port_reopen() (spec NULL: a loopback). */
    char *spec;
    uint32_t open_baud;
    int open_timeout_ms;
};

/* Open a port by name: "socket://HOST:PORT" (raw TCP, as ser2net and f0sim serve a UART;
 * connection refused is retried for up to timeout_ms), "rfc2217://HOST:PORT" (telnet with
 * RFC 2217 COM-PORT-CONTROL, as ser2net serves a UART in telnet(rfc2217) mode: the far UART
 * is set to 8N1 at baud, no flow control, and set_baud changes it; each setting waits up to
 * timeout_ms for the server's confirmation) or a serial port named as f0boot/ports.h says
 * (a path or symlink, a bare name, usb:VID:PID[:SERIAL]): opened exclusively, raw 8N1 at
 * baud, no flow control, DTR and RTS negated, set_baud checked against the rate the driver
 * reports (F0B_E_BAUD when it did not take). On failure returns F0B_E_PORT (no such port,
 * busy: the holder is named where the system tells, permission, the rate not taken) or
 * F0B_E_ARG (a spec that cannot be parsed: unknown scheme, no HOST:PORT) / F0B_E_NOMEM,
 * leaves p closed and writes the reason to err. */
int f0b_port_open(struct f0b_port *p, const char *spec, uint32_t baud, int timeout_ms, char *err,
                  size_t errlen);
/* Close the port and open it again by the spec, rate and timeout f0b_port_open() was given
 * (a TCP connection the far end closed, an adapter that came back). Returns 0, or the
 * errors of f0b_port_open() with the reason in err (the port is then closed: p->ops NULL),
 * or F0B_E_ARG for a port not opened by f0b_port_open() (a loopback). */
int f0b_port_reopen(struct f0b_port *p, char *err, size_t errlen);
/* Close the port if open and free what f0b_port_open() kept; p may then be opened again.
 * Safe on a closed port. */
void f0b_port_close(struct f0b_port *p);

/* In-process loopback whose far end is the caller (tests): the host's writes go to
 * peer->h2d; reads take bytes from peer->d2h; while a read waits, peer->advance(ms) lets
 * the far end run for that much virtual time. */
struct f0b_loop_peer {
    void (*h2d)(void *ctx, const uint8_t *p, size_t n);
    size_t (*d2h)(void *ctx, uint8_t *p, size_t max);
    void (*advance)(void *ctx, uint32_t ms);
    void (*set_baud)(void *ctx, uint32_t baud);
    uint64_t (*now_ms)(void *ctx);
    void *ctx;
};
/* Make p a loopback port to peer (no allocation; peer must outlive p). Cannot fail. */
void f0b_port_loop(struct f0b_port *p, const struct f0b_loop_peer *peer);

/* ---- session ------------------------------------------------------------------------- */

enum f0b_event_kind {
    F0B_EV_PHASE,    /* phase starts: name in phase, message in msg */
    F0B_EV_PROGRESS, /* done/total payload bytes acknowledged */
    F0B_EV_WARN,     /* something went wrong and was recovered (msg) */
};

struct f0b_event {
    enum f0b_event_kind kind;
    const char *phase; /* "connect", "baud", "check", "begin", "write", "verify", "boot" */
    const char *msg;
    uint32_t done, total;
    uint64_t elapsed_ms;
};

typedef void (*f0b_event_fn)(void *ctx, const struct f0b_event *ev);

struct f0b_flash_opts {
    uint32_t baud;      /* the rate the port was opened at (115200) */
    uint32_t fast_baud; /* 0: no switch */
    int timeout_ms;     /* answer timeout for one request (grown for DATA as needed) */
    int retries;        /* attempts without progress before giving up */
    int connect_ms;     /* keep greeting this long until a bootloader answers */
    int no_boot;        /* stay in the bootloader after a successful update */
    int skip_unchanged; /* compare page CRCs and send only pages that differ */
    f0b_event_fn event;
    void *event_ctx;
    /* NULL, or a flag a signal handler raises: every wait checks it at least every 50 ms
     * and returns F0B_E_ABORTED once it is nonzero. A frame already started is always
     * written whole (the device's deframer never holds half of ours). */
    const volatile sig_atomic_t *stop;
};

/* Fill o with the defaults: 115200 baud, no fast baud, 1000 ms timeout, 5 retries, 3000 ms
 * connect, boot after the update, no events. */
void f0b_flash_opts_default(struct f0b_flash_opts *o);

/* INFO, parsed. */
struct f0b_dev_info {
    uint8_t proto_major, proto_minor;
    uint8_t bl_major, bl_minor;
    uint16_t bl_patch;
    uint16_t chip_id, part, page_size;
    uint32_t flash_size, app_start, app_size;
    uint16_t max_data;
    uint8_t window, app_state, stay_reason;
    uint16_t idle_ms; /* a greeted bootloader's idle timeout (0: none) */
    uint32_t features, max_baud;
    uint8_t record[F0B_IMG_HDR_SIZE];
};

struct f0b_flash_result {
    uint32_t bytes;   /* payload bytes in the image */
    uint32_t written; /* payload bytes sent in DATA frames (less with skip-unchanged) */
    uint32_t pages_skipped;
    int unchanged;        /* the device already had this exact image: nothing written */
    uint32_t baud;        /* rate used for the data */
    uint64_t ms;          /* wall time of the whole operation */
    unsigned retries;     /* retransmissions and re-requests */
    uint32_t crc;         /* read-back crc of the payload (== payload_crc on success) */
    int booted;           /* BOOT acknowledged: the application was started */
    int boot_unconfirmed; /* BOOT sent but never acknowledged (a warning, not an error) */
    int relinked;         /* the link was lost after END; the device was asked again and
                             * had committed this image (a F0B_EV_WARN said so) */
};

/* A conversation with one bootloader over one port (opaque). */
struct f0b_session;

/* Create a session on port p (which must stay open while the session is used) with
 * options o (copied). Returns 0 with *out set, or F0B_E_NOMEM (*out NULL). */
int f0b_sess_create(struct f0b_session **out, struct f0b_port *p, const struct f0b_flash_opts *o);
/* Free a session (NULL is fine). The port stays open: close it with f0b_port_close(). */
void f0b_sess_free(struct f0b_session *s);

/* What the bootloader reported in INFO: complete after a successful f0b_sess_connect();
 * after F0B_E_VERSION only proto_major and proto_minor are set; zeros before. Never NULL;
 * valid while s lives. */
const struct f0b_dev_info *f0b_sess_info(const struct f0b_session *s);
/* The device status (enum f0b_status) behind the last F0B_E_REFUSED or F0B_E_VERIFY that
 * came from a device answer; 0 (F0B_ST_OK) if none. */
int f0b_sess_last_status(const struct f0b_session *s);

/* Greet (INFO) until a bootloader answers, for up to opts.connect_ms, and check its
 * protocol version. Returns 0, or F0B_E_NO_ANSWER (nobody answered in time),
 * F0B_E_VERSION (another protocol major: see f0b_sess_info()), F0B_E_PROTOCOL (an INFO
 * answer that is malformed or reports impossible geometry), F0B_E_IO (the port failed). */
int f0b_sess_connect(struct f0b_session *s);
/* Switch to opts.fast_baud if set and supported; falls back to the old rate (with a
 * F0B_EV_WARN) when the device cannot or will not switch, or the new rate does not come up.
 * Returns 0 (at either rate), or F0B_E_IO (the port failed), F0B_E_TRANSFER (the device
 * was lost: no answer at either rate). Needs f0b_sess_connect() first. */
int f0b_sess_fast_baud(struct f0b_session *s);
/* Ask the device for one crc32 per chunk bytes of [addr, addr+len) (chunk 0: one crc of
 * the whole range) into out[0..n), n <= F0B_CRC_MAX_CHUNKS. Returns 0, or F0B_E_REFUSED
 * (the device's status in f0b_sess_last_status(): range outside flash, CRC not
 * supported), F0B_E_PROTOCOL (an answer without n crcs), F0B_E_TRANSFER (no answer after
 * the retries), F0B_E_IO. */
int f0b_sess_crc(struct f0b_session *s, uint32_t addr, uint32_t len, uint32_t chunk, uint32_t *out,
                 uint32_t n);
/* The whole update of a container (64-byte header hdr, then size payload bytes), in three
 * steps: plan (with opts.skip_unchanged, compare page crcs and keep only pages that
 * differ), write (BEGIN, then DATA with go-back-N over the device's window), verify (END
 * reads the flash back and commits; a separate CRC query is compared with the host's crc
 * of the payload), then BOOT unless opts.no_boot. If the link is lost after END (no
 * answer, or the port closed), the port is reopened if it can be, the bootloader greeted
 * again for up to opts.connect_ms (catching the boot window of a device that lost power)
 * and asked: if it committed this image the update succeeds with a F0B_EV_WARN and
 * res->relinked. res is filled in either case. Needs f0b_sess_connect() first.
 * Returns 0 only when the device's read-back crc equals the host's crc of the payload, or:
 * F0B_E_ARG (no INFO yet, empty payload, size differs from the header's payload size),
 * F0B_E_NOMEM, F0B_E_REFUSED (the device refused the header or a flash operation failed:
 * f0b_sess_last_status()), F0B_E_VERIFY (the flash differs from the image: not committed,
 * or committed but the CRC query differs), F0B_E_TRANSFER (no progress after the retries,
 * or the link was lost and the device, asked again, has not committed this image),
 * F0B_E_PROTOCOL, F0B_E_IO (the port failed and could not be reopened). A BOOT that is
 * sent but never answered is not an error: res->boot_unconfirmed and a F0B_EV_WARN.
 * An encrypted container (hdr_version 2, for the secure bootloader): payload is the
 * ciphertext and the 16-byte tag follows it in memory, as in the file; END carries the tag,
 * success is the device's OK (its MAC and read-back checks) echoing the header's
 * payload_crc, with no CRC query (the secure bootloader serves none); skip_unchanged sends
 * nothing only when the device's committed header is this image's (same nonce: the same
 * packed image), else everything. */
int f0b_sess_flash(struct f0b_session *s, const uint8_t *hdr, const uint8_t *payload, uint32_t size,
                   struct f0b_flash_result *res);
/* Start the committed application (BOOT; sent at most twice: once the device has booted,
 * a repeat is garbage to the application). Returns 0, or F0B_E_REFUSED (no valid
 * application: f0b_sess_last_status() F0B_ST_NO_APP), F0B_E_TRANSFER (no answer),
 * F0B_E_IO. */
int f0b_sess_boot(struct f0b_session *s);
/* Reset the device (RESET). Returns 0, or F0B_E_REFUSED (not supported: see
 * f0b_sess_last_status()), F0B_E_TRANSFER (no answer after the retries), F0B_E_IO. */
int f0b_sess_reset(struct f0b_session *s);
/* Ask a secure bootloader to set read-out protection level 1 (PROTECT, docs/security.md):
 * it programs the option bytes and, if they changed, reloads them, which resets the chip
 * right after its answer. Returns 0, or F0B_E_REFUSED (f0b_sess_last_status():
 * F0B_ST_UNKNOWN_CMD from a bootloader without PROTECT, a flash status), F0B_E_TRANSFER
 * (no answer after the retries), F0B_E_IO. */
int f0b_sess_protect(struct f0b_session *s);

/* Take up to max bytes the session read from the port after the last frame it used (an
 * application's first output right behind BOOT's answer) into buf; they are removed from
 * the session. Returns the count (0 if none). */
size_t f0b_sess_take_input(struct f0b_session *s, uint8_t *buf, size_t max);

/* Invalidate the application: ERASE erases the boot record (the bootloader then stays at
 * every reset until an update commits a new application). Returns 0, or F0B_E_REFUSED
 * (f0b_sess_last_status(): F0B_ST_UNKNOWN_CMD from a bootloader older than protocol 2.1,
 * a flash status), F0B_E_TRANSFER (no answer), F0B_E_IO, F0B_E_ABORTED. */
int f0b_sess_erase(struct f0b_session *s);

/* What f0b_sess_compare() found. */
struct f0b_compare {
    int record_match;        /* the boot record holds exactly this image's header */
    uint8_t app_state;       /* INFO's app_state (enum f0b_app_state) */
    uint32_t pages;          /* pages the payload covers */
    uint32_t bad_pages;      /* of them, pages whose device crc differs from the image's */
    int32_t first_bad;       /* index of the first such page, -1 if none */
    uint32_t first_bad_addr; /* its flash address */
    uint32_t crc;            /* the device's crc32 of the whole payload range */
};

/* Compare the device with a container (header hdr, size payload bytes) without writing
 * anything: the boot record against hdr, then one crc32 per page of the payload range
 * against the image's. Needs f0b_sess_connect() first. Returns 0 when the record holds hdr,
 * the application is valid and every page matches; F0B_E_VERIFY when anything differs (r
 * says what); F0B_E_ARG (no INFO yet, size 0 or not the header's payload size),
 * F0B_E_REFUSED (the device refused CRC: f0b_sess_last_status()), F0B_E_PROTOCOL,
 * F0B_E_TRANSFER, F0B_E_IO, F0B_E_ABORTED. */
int f0b_sess_compare(struct f0b_session *s, const uint8_t *hdr, const uint8_t *payload,
                     uint32_t size, struct f0b_compare *r);

/* ---- into the bootloader without a button (entry.c) ---------------------------------- */

/* How a bootloader came to answer (f0b_sess_enter()). */
enum f0b_entry_how {
    F0B_ENTRY_RUNNING = 0, /* it answered the first greeting: it was running already */
    F0B_ENTRY_REQUEST = 1, /* the running application was asked (F0B_APP_REQUEST) */
    F0B_ENTRY_RESET = 2,   /* the reset sequence on DTR/RTS */
    F0B_ENTRY_WAIT = 3,    /* later, while greeting for up to opts.connect_ms: a reset or
                             * power cycle from outside (a rig's relay, a button) */
};

/* "running", "request", "reset", "wait"; never NULL. */
const char *f0b_entry_str(enum f0b_entry_how how);

#define F0B_RESET_MAX_STEPS   32u
#define F0B_RESET_MAX_WAIT_MS 10000u

/* A reset sequence on the modem lines: steps run in order. */
struct f0b_reset_step {
    char what; /* 'D' DTR, 'R' RTS (val 1 asserts, 0 negates), 'W' wait val ms */
    uint32_t val;
};
struct f0b_reset_seq {
    unsigned n;
    struct f0b_reset_step step[F0B_RESET_MAX_STEPS];
};

/* Parse a reset sequence: a name (none, dtr, rts, dtr-rts, rts-dtr: docs/protocol.md says
 * which wiring each is for) or a custom sequence of comma-separated steps D0 D1 R0 R1 (DTR
 * or RTS negated/asserted) and Wms (wait, at most F0B_RESET_MAX_WAIT_MS), such as
 * "D1,R0,W100,D0". "none" gives n == 0. Returns 0, or F0B_E_ARG with what is wrong in err. */
int f0b_reset_parse(const char *text, struct f0b_reset_seq *seq, char *err, size_t errlen);

/* Drive DTR and RTS (nonzero asserts: the adapter's DTR#/RTS# pins go low): a serial port
 * through its driver, rfc2217:// through SET-CONTROL (the server confirms). Returns 0,
 * F0B_E_NO_LINES (raw TCP, a pty: nothing to drive), F0B_E_IO. */
int f0b_port_set_lines(struct f0b_port *p, int dtr, int rts);

/* Run a reset sequence; DTR and RTS start negated (as f0b_port_open() leaves them).
 * Waits check stop (may be NULL) every 10 ms. Returns 0, or the errors of
 * f0b_port_set_lines(), F0B_E_ABORTED. */
int f0b_reset_run(struct f0b_port *p, const struct f0b_reset_seq *seq,
                  const volatile sig_atomic_t *stop);

/* Ask the running application for its bootloader: F0B_APP_REQUEST sent at app_baud (the
 * port is switched there and back to baud when they differ; the transmit drained first).
 * Returns 0, or the port's error (F0B_E_IO, F0B_E_BAUD). */
int f0b_app_ask(struct f0b_port *p, uint32_t app_baud, uint32_t baud);

/* How f0b_sess_enter() tries. */
struct f0b_entry_opts {
    int ask;           /* send the request sequence when no bootloader answers at once */
    uint32_t app_baud; /* the rate the application listens at; 0: opts.baud */
    int ask_ms;        /* greet this long after the request before trying on */
    const struct f0b_reset_seq *reset; /* NULL or no steps: no reset */
    int reset_ms; /* greet this long after the reset sequence before trying on */
};

/* Fill e with the defaults: ask at opts.baud, 500 ms for the application, no reset,
 * 1000 ms after a reset. */
void f0b_entry_opts_default(struct f0b_entry_opts *e);

/* f0b_sess_connect() that also gets a running application into its bootloader, in this
 * order, each way only when the ones before brought no answer: a greeting answered within
 * 60 ms; the request sequence (e->ask), then greetings for e->ask_ms; the reset sequence
 * (e->reset), then greetings for e->reset_ms; greetings until opts.connect_ms have passed
 * since the call (a power cycle from outside). Greetings go every 15 ms after the first so
 * a 50 ms boot window is not missed. A F0B_EV_PHASE event (phase "enter") names each way
 * tried and the one that worked; *how says which (may be NULL). Returns what
 * f0b_sess_connect() returns, and the errors of f0b_app_ask() and f0b_reset_run() (a reset
 * asked for on a port without lines is F0B_E_NO_LINES), F0B_E_ABORTED. */
int f0b_sess_enter(struct f0b_session *s, const struct f0b_entry_opts *e, enum f0b_entry_how *how);

#endif
