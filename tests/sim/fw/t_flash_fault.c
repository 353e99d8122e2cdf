/* A 32-bit store to flash with FLASH_CR.PG set is a bus error: HardFault. With
 * --on-fault run the handler reports it; with the default the simulator stops. */
#include "fw.h"

void HardFault_Handler(void)
{
    puts_("HARDFAULT caught\n");
    finish();
}

int main(void)
{
    uart_init(0x45);
    FLASH_KEYR = FLASH_KEY1;
    FLASH_KEYR = FLASH_KEY2;
    FLASH_CR = FLASH_CR_PG;
    *(volatile uint32_t *)0x08010000u = 0x12345678u;
    puts_("FAIL no fault\n");
    for (;;)
        ;
}
