/* The console of the user application test firmwares: USART1, polled transmit, receive
 * interrupt (the application's own UART protocol, which also feeds f0boot's request). */
#include <stdint.h>

#include "apps.h"
#include "f0_usart1.h"
#include "f0boot_app.h"
#include "stm32f0_regs.h"

void con_init(uint32_t pclk_hz)
{
    f0_usart1_pins();
    USART1_BRR = F0_USART_BRR(pclk_hz, 115200u);
    USART1_CR1 = USART_CR1_UE | USART_CR1_RE | USART_CR1_TE | USART_CR1_RXNEIE;
    NVIC_ISER = 1u << USART1_IRQn;
}

void con_putc(char c)
{
    while ((USART1_ISR & USART_ISR_TXE) == 0)
        ;
    USART1_TDR = (uint8_t)c;
}

void con_puts(const char *s)
{
    while (*s)
        con_putc(*s++);
}

void con_putu(uint32_t v)
{
    char buf[11];
    int i = sizeof buf - 1;
    buf[i] = '\0';
    do {
        buf[--i] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0);
    con_puts(&buf[i]);
}

void USART1_IRQHandler(void)
{
    uint32_t isr = USART1_ISR;
    /* RXNEIE also raises this interrupt on overrun; clear ORE or it fires forever. */
    if (isr & USART_ISR_ORE)
        USART1_ICR = USART_ICR_ORECF;
    if (isr & USART_ISR_RXNE) {
        uint8_t c = (uint8_t)USART1_RDR;
        (void)f0boot_app_feed(c); /* returns unless c completes f0boot's request */
        con_rx(c);
    }
}
