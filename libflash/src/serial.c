/*
 * Serial ports through libserialport ("/dev/ttyUSB0", "COM3"): 8N1, no flow control.
 * The transport's one entry is f0b_serial_open() (transport.h).
 */
#include <stdio.h>
#include <libserialport.h>
#include "transport.h"

static int ser_read(void *ctx, uint8_t *buf, size_t max, int timeout_ms)
{
    enum sp_return r =
        sp_blocking_read_next(ctx, buf, max, timeout_ms > 0 ? (unsigned)timeout_ms : 1u);
    return r < 0 ? F0B_E_IO : (int)r;
}

static int ser_write(void *ctx, const uint8_t *buf, size_t len)
{
    /* Generous: len bytes at 1200 baud, plus a second. */
    unsigned tmo = (unsigned)(len * 10u * 1000u / 1200u) + 1000u;
    enum sp_return r = sp_blocking_write(ctx, buf, len, tmo);
    return r == (enum sp_return)len ? 0 : F0B_E_IO;
}

static int ser_set_baud(void *ctx, uint32_t baud)
{
    return sp_set_baudrate(ctx, (int)baud) == SP_OK ? 0 : F0B_E_IO;
}

static int ser_drain(void *ctx) { return sp_drain(ctx) == SP_OK ? 0 : F0B_E_IO; }

static int ser_flush(void *ctx) { return sp_flush(ctx, SP_BUF_INPUT) == SP_OK ? 0 : F0B_E_IO; }

static void ser_close(void *ctx)
{
    sp_close(ctx);
    sp_free_port(ctx);
}

static const struct f0b_port_ops ser_ops = {
    ser_read, ser_write, ser_set_baud, ser_drain, ser_flush, ser_close, NULL, NULL, NULL,
};

int f0b_serial_open(struct f0b_port *p, const char *name, uint32_t baud, char *err, size_t errlen)
{
    struct sp_port *sp = NULL;
    char *m;

    if (sp_get_port_by_name(name, &sp) != SP_OK) {
        snprintf(err, errlen, "%s: no such serial port (for a TCP bridge write socket://HOST:PORT)",
                 name);
        return F0B_E_PORT;
    }
    if (sp_open(sp, SP_MODE_READ_WRITE) != SP_OK) {
        m = sp_last_error_message();
        snprintf(err, errlen,
                 "%s: cannot open: %s (is another program using it? permission "
                 "to the dialout group?)",
                 name, m ? m : "unknown error");
        sp_free_error_message(m);
        sp_free_port(sp);
        return F0B_E_PORT;
    }
    if (sp_set_baudrate(sp, (int)baud) != SP_OK || sp_set_bits(sp, 8) != SP_OK ||
        sp_set_parity(sp, SP_PARITY_NONE) != SP_OK || sp_set_stopbits(sp, 1) != SP_OK ||
        sp_set_flowcontrol(sp, SP_FLOWCONTROL_NONE) != SP_OK) {
        m = sp_last_error_message();
        snprintf(err, errlen, "%s: cannot set 8N1 at %u baud: %s", name, baud, m ? m : "");
        sp_free_error_message(m);
        ser_close(sp);
        return F0B_E_PORT;
    }
    p->ops = &ser_ops;
    p->ctx = sp;
    p->is_socket = 0;
    return 0;
}
