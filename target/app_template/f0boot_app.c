#include <stdint.h>

#include "f0boot/layout.h"
#include "f0boot_app.h"
#include "stm32f0_regs.h"

/* Words at the end of SRAM outside every RAM region (f0b_layout.ld): they survive the
 * system reset, and neither side's startup code clears them. */
extern volatile uint32_t _f0b_shared[];

_Noreturn void f0boot_enter_bootloader(void)
{
    __asm__ volatile("cpsid i" ::: "memory");
    _f0b_shared[0] = F0B_REQ_UPDATE_MAGIC;
    f0_dsb();                           /* the request must be in SRAM before the reset */
    SCB_AIRCR = SCB_AIRCR_RESET;
    f0_dsb();
    for (;;)
        ;
}
