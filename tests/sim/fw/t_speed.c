/* A CPU-bound loop at 48 MHz for measuring f0sim's instructions per second. */
#include "fw.h"

static void clock_48mhz(void)
{
    FLASH_ACR = (1u << 4) | 1u;                          /* prefetch + 1 wait state above 24 MHz */
    RCC_CFGR = (RCC_CFGR & ~(0xFu << 18)) | (10u << 18); /* PLL = HSI/2 x 12 */
    RCC_CR |= 1u << 24;                                  /* PLLON */
    while (!(RCC_CR & (1u << 25)))
        ;
    RCC_CFGR = (RCC_CFGR & ~3u) | 2u; /* SW = PLL */
    while (((RCC_CFGR >> 2) & 3u) != 2u)
        ;
}

int main(void)
{
    clock_48mhz();
    uart_init(0x1A1);
    uint32_t x = 1, acc = 0;
    for (uint32_t i = 0; i < 20000000u; i++) {
        x = x * 1664525u + 1013904223u;
        acc += x >> 7;
    }
    puts_("acc ");
    puthex(acc);
    puts_("\n");
    CHECK(acc != 0, "loop ran", acc);
    return 0;
}
