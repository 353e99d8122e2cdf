/* IWDG: started and never reloaded, it resets the chip after (RLR+1) x 4 / 40 kHz;
 * RCC_CSR.IWDGRSTF tells the next boot. */
#include "fw.h"

int main(void)
{
    uart_init(0x45);
    uint32_t csr = RCC_CSR;
    if (csr & (1u << 29)) {
        puts_("IWDG reset seen\n");
        return 0;
    }
    puts_("starting IWDG\n");
    IWDG_KR = IWDG_KR_ACCESS;
    IWDG_PR = 0;
    IWDG_RLR = 99u;           /* 100 x 4 / 40 kHz = 10 ms */
    IWDG_KR = IWDG_KR_START;  /* at ~1.1 ms, after the message above */
    IWDG_KR = IWDG_KR_RELOAD; /* one reload, then left to expire at ~11.2 ms */
    for (;;)
        ;
}
