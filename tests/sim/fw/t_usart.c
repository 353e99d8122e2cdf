/* USART1 receive: RXNE interrupt, bytes at the line rate (one character time apart),
 * then the one-byte RDR: bytes that arrive while RXNE is set are lost and set ORE.
 * Host input: "hello" then "abc". */
#include "fw.h"

static volatile uint8_t rx[8];
static volatile uint32_t nrx, stamp[8];

void USART1_IRQHandler(void)
{
    if (USART1_ISR & USART_ISR_RXNE) {
        stamp[nrx & 7u] = SYST_CVR;
        rx[nrx & 7u] = (uint8_t)USART1_RDR;
        nrx++;
    }
}

int main(void)
{
    uart_init(0x45); /* 115942 baud: 10 bits = 86.25 us = 690 cycles */
    SYST_RVR = 0xFFFFFFu;
    SYST_CVR = 0;
    SYST_CSR = 5u;
    USART1_CR1 |= 1u << 5; /* RXNEIE */
    NVIC_ISER = 1u << 27;
    while (nrx < 5u)
        ;
    USART1_CR1 &= ~(1u << 5); /* stop reading: the next bytes pile up */
    CHECK(rx[0] == 'h' && rx[1] == 'e' && rx[2] == 'l' && rx[3] == 'l' && rx[4] == 'o',
          "received hello", rx[0]);
    /* "hello" was queued before the firmware started, but a receiver that was off heard
     * nothing: the first byte ends one character after RE, not earlier */
    CHECK(0x00FFFFFFu - stamp[0] >= 680u, "first byte one character after RE on (cycles)",
          0x00FFFFFFu - stamp[0]);
    for (int i = 1; i < 5; i++) {
        uint32_t d = stamp[i - 1] - stamp[i];
        CHECK(d >= 680u && d <= 700u, "one character time between bytes (cycles)", d);
    }
    uint32_t t0 = SYST_CVR;
    while (t0 - SYST_CVR < 8000u) /* 1 ms: 'a' waits in RDR, 'b' and 'c' are lost */
        ;
    uint32_t isr = USART1_ISR;
    CHECK((isr & USART_ISR_ORE) != 0, "ORE after unread bytes", isr);
    CHECK((isr & USART_ISR_RXNE) != 0, "RXNE still set", isr);
    CHECK(USART1_RDR == 'a', "RDR keeps the first byte", 0);
    CHECK((USART1_ISR & USART_ISR_RXNE) == 0, "reading RDR clears RXNE", USART1_ISR);
    USART1_ICR = 1u << 3; /* ORECF */
    CHECK((USART1_ISR & USART_ISR_ORE) == 0, "ORECF clears ORE", USART1_ISR);
    return 0;
}
