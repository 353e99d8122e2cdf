/*
 * A simulated serial line between the host client (libflash's loopback port) and the real
 * device protocol engine (proto.c + update.c + boot.c over fake_flash and fake_board), on
 * a virtual clock: byte times at the line rate, adapter latency on the device-to-host
 * path, flash busy time (erase, half-word programming) during which the device does not
 * read while bytes keep landing in its receive ring, a rate mismatch garbling bytes, and
 * seeded noise (drop, bit flip, duplicate, delay) per byte in both directions.
 */
#ifndef F0B_TEST_LINK_H
#define F0B_TEST_LINK_H

#include <stdint.h>
#include "f0boot/flash.h"
#include "proto.h"

struct link_cfg {
    uint32_t baud;                         /* both ends at start */
    uint32_t latency_ms;                   /* adapter latency, device-to-host */
    uint32_t broken_baud;                  /* at this rate every byte is garbled (0: none) */
    double p_drop, p_flip, p_dup, p_delay; /* per byte and direction */
    uint32_t delay_max_ms;
    uint32_t seed;
    uint32_t erase_us;        /* flash timing (0: instant) */
    uint32_t halfword_us_x10; /* tenths of us per half-word */
    int lose_boot_answer;     /* the answer to BOOT never reaches the host */
    /* Power cut in the poll that programs the commit word: its answer is lost, the device
     * is off for cut_off_ms (bytes sent to it are lost), then powers on as the bootloader
     * does at reset: a valid application gets a boot window of window_ms (a greeting keeps
     * it in the bootloader, else the application starts and answers nothing). */
    int cut_after_commit;
    uint32_t cut_off_ms;
    uint32_t window_ms;
    /* The application runs at start (link_init) instead of the bootloader. With app_listens
     * it takes F0B_APP_REQUEST, received at app_baud (0: baud), and resets into the
     * bootloader (stay reason request) app_reset_ms later; otherwise it answers nothing. */
    int start_app;
    int app_listens;
    uint32_t app_baud;
    uint32_t app_reset_ms;
    /* The board restarts at this virtual time (a rig's power cycle; 0: never), as after a
     * power cut: a valid application gets the window_ms boot window. */
    uint32_t restart_at_ms;
};

struct lq {
    uint64_t *t;
    uint8_t *c;
    uint32_t *baud;
    size_t head, n, cap;
};

struct link {
    struct link_cfg cfg;
    const struct f0b_layout *l;
    uint64_t now_us;
    uint32_t host_baud;
    struct lq h2d, d2h;
    uint64_t h2d_free, d2h_free;
    uint64_t busy_until;
    uint64_t rng;
    struct f0b_proto dev;
    int booted;
    unsigned resets;
    int cut_done;        /* the power cut has happened */
    uint64_t off_until;  /* powered off until (us) */
    uint64_t window_end; /* boot window ends (us); 0: none */
    unsigned noise_events;
    size_t app_match;      /* bytes of F0B_APP_REQUEST matched by the application */
    uint64_t app_reset_at; /* the application resets into the bootloader then (us) */
    struct f0b_loop_peer peer;
    struct f0b_port port;
};

/* Also resets fake_board (fake_flash must be initialised by the caller). */
void link_init(struct link *k, const struct link_cfg *c, const struct f0b_layout *l);
void link_free(struct link *k);
/* Change noise settings (e.g. a clean line for the retry after a failure). */
void link_set_noise(struct link *k, double p_drop, double p_flip, double p_dup, double p_delay);

#endif
