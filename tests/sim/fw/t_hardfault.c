/* A read of an unmapped address: the simulator reports the HardFault with its PC, or
 * (--on-fault run) the firmware's handler runs and sees the stacked PC. */
#include "fw.h"

extern void bad_read(void);
__asm(".thumb_func\n.global bad_read\nbad_read:\n ldr r0, =0x30000000\n ldr r0, [r0]\n bx lr\n");

/* The handler starts in assembly so that MSP still points at the exception frame. */
__asm(".thumb_func\n.global HardFault_Handler\nHardFault_Handler:\n mrs r0, msp\n b hardfault_c\n");
void hardfault_c(uint32_t *frame);
void hardfault_c(uint32_t *frame)
{
    uint32_t pc = frame[6];
    puts_("HARDFAULT stacked pc ");
    puthex(pc);
    putch('\n');
    CHECK(pc == ((uint32_t)bad_read & ~1u) + 2u, "stacked PC is the faulting load", pc);
    finish();
}

int main(void)
{
    uart_init(0x45);
    puts_("bad_read at ");
    puthex((uint32_t)bad_read & ~1u);
    putch('\n');
    bad_read();
    puts_("FAIL no fault\n");
    return 0;
}
