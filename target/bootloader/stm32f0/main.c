/*
 * Reset: the port reads the update request, the core decides (f0b_boot_decide()), the port
 * carries it out. F0B_BOOT_WINDOW_MS (default 50) is the boot window; 0 starts a valid
 * application at once, before the PLL or the USART are even touched. What ends a served
 * session (BOOT, RESET, the window, the idle timeout) is f0b_proto_run()'s.
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
    uint8_t reason;

    f0b_port_early_init();
    f0b_layout_init(&l, F0B_PART_CODE);
    int action = f0b_boot_decide(&l, f0b_hal_take_update_request(), F0B_BOOT_WINDOW_MS, &reason);
    if (action == F0B_BOOT_START)
        f0b_hal_start_app(l.app_start);
    f0b_port_init();
    f0b_proto_run(&l, action == F0B_BOOT_WINDOW ? F0B_BOOT_WINDOW_MS : 0u, reason);
}
