/* SysTick period against USART character timing (two independent models), at 8 MHz and
 * at 48 MHz from the PLL; HCLK/8 clock source; COUNTFLAG; 8E1 frames are 11 bits; WFI. */
#include "fw.h"

static volatile uint32_t ticks;
void SysTick_Handler(void) { ticks++; }

static void clock_48mhz(void)
{
    FLASH_ACR = (1u << 4) | 1u;
    RCC_CFGR = (RCC_CFGR & ~(0xFu << 18)) | (10u << 18); /* PLLMUL x12, HSI/2 */
    RCC_CR |= 1u << 24;
    while (!(RCC_CR & (1u << 25)))
        ;
    RCC_CFGR = (RCC_CFGR & ~3u) | 2u;
    while (((RCC_CFGR >> 2) & 3u) != 2u)
        ;
}

/* SysTick ticks (period rvr+1 of the given source) while 100 characters are sent. */
static uint32_t ticks_for_100(uint32_t rvr, uint32_t csr)
{
    uart_flush();
    SYST_RVR = rvr;
    SYST_CVR = 0;
    ticks = 0;
    SYST_CSR = csr | 3u;
    for (int i = 0; i < 100; i++)
        putch('U');
    uart_flush();
    SYST_CSR = 0;
    return ticks;
}

int main(void)
{
    uart_init(0x45);
    puts_("systick\n");
    /* 10 us ticks at 8 MHz; 100 chars x 10 bits at 8e6/0x45 = 115942 baud -> 8625 us */
    uint32_t t = ticks_for_100(79u, 4u);
    CHECK(t >= 850u && t <= 875u, "8 MHz: 10 us ticks in 100 8N1 chars", t);
    /* HCLK/8 source: RVR 9 -> 10 us */
    t = ticks_for_100(9u, 0u);
    CHECK(t >= 850u && t <= 875u, "HCLK/8 source", t);

    clock_48mhz();
    CHECK(((RCC_CFGR >> 2) & 3u) == 2u, "SWS = PLL", RCC_CFGR);
    USART1_CR1 = 0;
    USART1_BRR = 0x1A1u; /* 115107 baud at 48 MHz */
    USART1_CR1 = (1u << 0) | (1u << 2) | (1u << 3);
    t = ticks_for_100(479u, 4u); /* 10 us at 48 MHz; 8688 us expected */
    CHECK(t >= 856u && t <= 880u, "48 MHz: 10 us ticks in 100 8N1 chars", t);
    /* 8E1: M0 = 1 (9-bit word incl. parity), PCE: 11 bits per character -> 9556 us */
    USART1_CR1 = 0;
    USART1_CR1 = (1u << 12) | (1u << 10) | (1u << 0) | (1u << 2) | (1u << 3);
    t = ticks_for_100(479u, 4u);
    CHECK(t >= 943u && t <= 968u, "8E1: 11 bits per char", t);
    USART1_CR1 = (1u << 0) | (1u << 2) | (1u << 3);

    /* COUNTFLAG is set by the wrap and cleared by reading CSR */
    SYST_RVR = 47u;
    SYST_CVR = 0;
    SYST_CSR = 5u;
    for (volatile int i = 0; i < 100; i++)
        ;
    SYST_CSR = 4u; /* stop counting; COUNTFLAG stays */
    uint32_t csr1 = SYST_CSR, csr2 = SYST_CSR;
    CHECK((csr1 & (1u << 16)) != 0, "COUNTFLAG set", csr1);
    CHECK((csr2 & (1u << 16)) == 0, "COUNTFLAG clear on read", csr2);

    /* WFI sleeps until the next SysTick: 100 ms period, 5 sleeps */
    SYST_RVR = 4799999u / 1u; /* 100 ms at 48 MHz */
    SYST_CVR = 0;
    ticks = 0;
    SYST_CSR = 7u;
    for (int i = 0; i < 5; i++)
        __asm volatile("wfi");
    CHECK(ticks == 5u, "WFI wakes on each tick", ticks);
    SYST_CSR = 0;
    return 0;
}
