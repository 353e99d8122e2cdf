/*
 * The boot decision at reset (the decisions themselves are the core's: f0b_app_state()
 * and f0b_proto_run()):
 *   - the application asked for an update, or there is no valid committed application:
 *     serve the protocol until the host says BOOT or RESET;
 *   - otherwise serve the protocol for F0B_BOOT_WINDOW_MS (default 50) and start the
 *     application if no host greeted in that time. F0B_BOOT_WINDOW_MS = 0 starts it at
 *     once, before the PLL or the USART are even touched.
 */
#include "f0b_core.h"
#include "f0b_hal.h"
#include "port.h"

#ifndef F0B_BOOT_WINDOW_MS
#define F0B_BOOT_WINDOW_MS 50u
#endif

int main(void)
{
    static struct f0b_layout l;
    uint8_t reason = F0B_STAY_NO_APP;

    f0b_port_early_init();
    f0b_layout_init(&l, F0B_PART_CODE);
    if (f0b_hal_take_update_request()) {
        reason = F0B_STAY_REQUEST;
    } else if (f0b_app_state(&l) == F0B_APP_VALID) {
        if (F0B_BOOT_WINDOW_MS == 0)
            f0b_hal_start_app(l.app_start);
        f0b_port_init();
        if (f0b_proto_run(&l, F0B_BOOT_WINDOW_MS, F0B_STAY_GREETING) == 0)
            f0b_hal_start_app(l.app_start);
        f0b_hal_reset();            /* not reached: a greeted window serves until BOOT/RESET */
    }
    f0b_port_init();
    f0b_proto_run(&l, 0, reason);
    f0b_hal_reset();
}
