/*
 * The session: create and free, what the device reported, and the requests of
 * f0boot/flash.h besides the update itself (flash.c): greeting, CRC query, baud switch,
 * BOOT, RESET. Algorithm and rationale: docs/protocol.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "f0boot/le.h"
#include "session.h"

void f0b_flash_opts_default(struct f0b_flash_opts *o)
{
    memset(o, 0, sizeof *o);
    o->baud = 115200;
    o->timeout_ms = 1000;
    o->retries = 5;
    o->connect_ms = 3000;
}

int f0b_sess_create(struct f0b_session **out, struct f0b_port *p, const struct f0b_flash_opts *o)
{
    struct f0b_session *s = calloc(1, sizeof *s);

    *out = s;
    if (!s)
        return F0B_E_NOMEM;
    s->port = p;
    s->o = *o;
    s->baud = o->baud;
    f0b_rx_reset(&s->rx);
    s->t0 = sess_now(s);
    return 0;
}

void f0b_sess_free(struct f0b_session *s) { free(s); }

const struct f0b_dev_info *f0b_sess_info(const struct f0b_session *s) { return &s->info; }

int f0b_sess_last_status(const struct f0b_session *s) { return s->last_status; }

int f0b_sess_connect(struct f0b_session *s)
{
    char msg[320];
    int rc;

    sess_event(s, F0B_EV_PHASE, "connect", "waiting for the bootloader", 0, 0);
    sess_flush_input(s);
    rc = sess_greet(s, s->o.connect_ms > 0 ? (uint32_t)s->o.connect_ms : 1u, GREET_MS);
    if (rc == 0) {
        snprintf(msg, sizeof msg, "bootloader %u.%u.%u, protocol %u.%u, part %u, chip id 0x%03x",
                 s->info.bl_major, s->info.bl_minor, s->info.bl_patch, s->info.proto_major,
                 s->info.proto_minor, s->info.part, s->info.chip_id);
        sess_event(s, F0B_EV_PHASE, "connect", msg, 0, 0);
    }
    return rc;
}

int f0b_sess_crc(struct f0b_session *s, uint32_t addr, uint32_t len, uint32_t chunk, uint32_t *out,
                 uint32_t n)
{
    uint8_t pl[12], res[F0B_MAX_PAYLOAD];
    uint32_t olen = 0;
    int st;

    f0b_put_le32(pl, addr);
    f0b_put_le32(pl + 4, len);
    f0b_put_le32(pl + 8, chunk);
    st = sess_request(s, F0B_CMD_CRC, pl, sizeof pl, res, sizeof res, &olen, s->o.timeout_ms,
                      sess_tries(s));
    if (st != F0B_ST_OK)
        return sess_fail_status(s, st);
    if (olen != 4u * n)
        return F0B_E_PROTOCOL;
    for (uint32_t i = 0; i < n; i++)
        out[i] = f0b_get_le32(res + 4 * i);
    return 0;
}

int f0b_sess_fast_baud(struct f0b_session *s)
{
    uint32_t b = s->o.fast_baud, old = s->baud, n;
    uint8_t pl[4];
    char msg[160];
    int st;

    if (!b || b == old)
        return 0;
    if (!(s->info.features & F0B_FEAT_BAUD) || b > s->info.max_baud) {
        snprintf(msg, sizeof msg, "the bootloader cannot switch to %u baud (max %u): staying at %u",
                 b, s->info.max_baud, old);
        sess_event(s, F0B_EV_WARN, "baud", msg, 0, 0);
        return 0;
    }
    snprintf(msg, sizeof msg, "switching to %u baud", b);
    sess_event(s, F0B_EV_PHASE, "baud", msg, 0, 0);
    f0b_put_le32(pl, b);
    /* A lost OK leaves the device at the new rate for F0B_BAUD_CONFIRM_MS: wait longer
     * than that before asking again at the old rate. */
    st = sess_request(s, F0B_CMD_BAUD, pl, 4, NULL, 0, &n,
                      s->o.timeout_ms > (int)F0B_BAUD_CONFIRM_MS + 300
                          ? s->o.timeout_ms
                          : (int)F0B_BAUD_CONFIRM_MS + 300,
                      sess_tries(s));
    if (st < 0)
        return st;
    if (st != F0B_ST_OK) {
        snprintf(msg, sizeof msg, "the bootloader refused %u baud (%s): staying at %u", b,
                 f0b_status_str(st), old);
        sess_event(s, F0B_EV_WARN, "baud", msg, 0, 0);
        return 0;
    }
    uint64_t t0 = sess_now(s);
    int sb = F0B_E_IO;
    if (s->port->ops->drain(s->port->ctx) == 0 &&
        (sb = s->port->ops->set_baud(s->port->ctx, b)) == 0) {
        sess_flush_input(s);
        /* Confirm inside the device's window: any valid frame at the new rate does. */
        if (sess_greet(s, F0B_BAUD_CONFIRM_MS - 150u, GREET_MS) == 0) {
            s->baud = b;
            return 0;
        }
    }
    /* The new rate did not come up: the device returns to the old one on its own once
     * F0B_BAUD_CONFIRM_MS has passed without a valid frame. */
    uint32_t stayed =
        sb == F0B_E_BAUD && s->port->ops->get_baud ? s->port->ops->get_baud(s->port->ctx) : 0;
    s->port->ops->set_baud(s->port->ctx, old);
    uint64_t back = t0 + F0B_BAUD_CONFIRM_MS + 100u, t = sess_now(s);
    if (t < back && sess_idle(s, (uint32_t)(back - t)) < 0)
        return F0B_E_IO;
    sess_flush_input(s);
    st = sess_greet(s, (uint32_t)s->o.timeout_ms * (uint32_t)sess_tries(s), GREET_MS);
    if (st < 0)
        return st == F0B_E_NO_ANSWER ? F0B_E_TRANSFER : st;
    if (sb == F0B_E_BAUD) /* the host's port, not the device, cannot do it */
        snprintf(msg, sizeof msg, "%s cannot run at %u baud (it stays at %u): fell back to %u",
                 s->port->name ? s->port->name : "the port", b, stayed ? stayed : old, old);
    else
        snprintf(msg, sizeof msg, "%u baud did not come up: fell back to %u", b, old);
    sess_event(s, F0B_EV_WARN, "baud", msg, 0, 0);
    return 0;
}

int f0b_sess_boot(struct f0b_session *s)
{
    uint32_t n;
    int st;

    sess_event(s, F0B_EV_PHASE, "boot", "starting the application", 0, 0);
    /* At most one repeat: once the device has booted, a repeat is garbage to the
     * application. */
    st = sess_request(s, F0B_CMD_BOOT, NULL, 0, NULL, 0, &n, s->o.timeout_ms,
                      sess_tries(s) < 2 ? sess_tries(s) : 2);
    if (st == F0B_ST_OK)
        return 0;
    return sess_fail_status(s, st);
}

int f0b_sess_protect(struct f0b_session *s)
{
    static const uint8_t level1 = 1;
    uint32_t n;
    int st;

    sess_event(s, F0B_EV_PHASE, "protect", "setting read-out protection level 1", 0, 0);
    /* one attempt more than usual would not help: a device that answered has reset */
    st = sess_request(s, F0B_CMD_PROTECT, &level1, 1, NULL, 0, &n, s->o.timeout_ms, sess_tries(s));
    if (st == F0B_ST_OK)
        return 0;
    return sess_fail_status(s, st);
}

int f0b_sess_reset(struct f0b_session *s)
{
    uint32_t n;
    int st;

    sess_event(s, F0B_EV_PHASE, "reset", "resetting the device", 0, 0);
    st = sess_request(s, F0B_CMD_RESET, NULL, 0, NULL, 0, &n, s->o.timeout_ms, sess_tries(s));
    if (st == F0B_ST_OK)
        return 0;
    return sess_fail_status(s, st);
}

int f0b_sess_erase(struct f0b_session *s)
{
    uint32_t n;
    int st;

    sess_event(s, F0B_EV_PHASE, "erase", "erasing the boot record", 0, 0);
    st = sess_request(s, F0B_CMD_ERASE, NULL, 0, NULL, 0, &n, s->o.timeout_ms, sess_tries(s));
    if (st == F0B_ST_OK)
        return 0;
    return sess_fail_status(s, st);
}
