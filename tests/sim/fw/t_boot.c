/* Boot, memory map and identity registers: reset vectors, DBGMCU_IDCODE, flash size,
 * option bytes, SRAM, and the address-0 alias of main flash. */
#include "fw.h"

int main(void)
{
    uart_init(0x45); /* 115200 at 8 MHz */
    puts_("boot\n");
    CHECK((DBGMCU_IDCODE & 0xFFFu) == 0x442u, "DBGMCU_IDCODE.DEV_ID", DBGMCU_IDCODE);
    CHECK(REG16(0x1FFFF7CCu) == 256u, "flash size register", REG16(0x1FFFF7CCu));
    CHECK(REG8(0x1FFFF800u) == 0xAAu, "option byte RDP", REG8(0x1FFFF800u));
    CHECK(rd32(4u) == rd32(0x08000004u), "address 0 aliases flash", rd32(4u));
    volatile uint32_t *ram = (uint32_t *)0x20007F00u;
    *ram = 0x12345678u;
    CHECK(*ram == 0x12345678u, "SRAM", *ram);
    CHECK((RCC_CR & 3u) == 3u, "RCC_CR HSION|HSIRDY", RCC_CR);
    CHECK((RCC_CSR & (1u << 27)) != 0, "RCC_CSR PORRSTF after power-on", RCC_CSR);
    return 0;
}
