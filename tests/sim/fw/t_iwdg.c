/* IWDG: started and never reloaded, it resets the chip after (RLR+1) x 4 / 40 kHz;
 * RCC_CSR.IWDGRSTF tells the next boot. */
#include "fw.h"

#define IWDG_KR  REG(0x40003000u)
#define IWDG_PR  REG(0x40003004u)
#define IWDG_RLR REG(0x40003008u)

int main(void)
{
    uart_init(0x45);
    uint32_t csr = RCC_CSR;
    if (csr & (1u << 29)) {
        puts_("IWDG reset seen\n");
        return 0;
    }
    puts_("starting IWDG\n");
    IWDG_KR = 0x5555u;
    IWDG_PR = 0;
    IWDG_RLR = 99u;            /* 100 x 4 / 40 kHz = 10 ms */
    IWDG_KR = 0xCCCCu;         /* at ~1.1 ms, after the message above */
    IWDG_KR = 0xAAAAu;         /* one reload, then left to expire at ~11.2 ms */
    for (;;)
        ;
}
