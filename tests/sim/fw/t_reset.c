/* SCB_AIRCR.SYSRESETREQ resets the chip model and keeps SRAM; RCC_CSR tells the cause.
 * Three boots: power-on, then two software resets. */
#include "fw.h"

#define MAGIC (*(volatile uint32_t *)0x20000080u) /* below the linked RAM: survives */
#define COUNT (*(volatile uint32_t *)0x20000084u)

int main(void)
{
    uart_init(0x45);
    uint32_t csr = RCC_CSR;
    if (MAGIC != 0xB007C0DEu) {
        MAGIC = 0xB007C0DEu;
        COUNT = 0;
    }
    COUNT++;
    puts_("boot ");
    putdec(COUNT);
    puts_(" csr ");
    puthex(csr);
    putch('\n');
    if (COUNT == 1u)
        CHECK((csr & (1u << 27)) != 0, "PORRSTF on the first boot", csr);
    else
        CHECK((csr & (1u << 28)) != 0 && (csr & (1u << 27)) == 0, "SFTRSTF after SYSRESETREQ", csr);
    CHECK((FLASH_CR & FLASH_CR_LOCK) != 0, "FLASH locked again after reset", FLASH_CR);
    RCC_CSR |= 1u << 24; /* RMVF */
    if (COUNT < 3u) {
        uart_flush();
        FLASH_KEYR = FLASH_KEY1; /* leave state behind that reset must clear */
        FLASH_KEYR = FLASH_KEY2;
        __asm volatile("dsb" ::: "memory");
        SCB_AIRCR = 0x05FA0004u;
        __asm volatile("dsb" ::: "memory");
        for (;;)
            ;
    }
    return 0;
}
