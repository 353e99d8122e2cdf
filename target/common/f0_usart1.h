/* USART1 on PA9 (TX) / PA10 (RX), alternate function 1: shared by bootloader and app. */
#ifndef F0B_F0_USART1_H
#define F0B_F0_USART1_H

#include "stm32f0_regs.h"

/* Clocks for GPIOA and USART1, pins to AF1, a pull-up on RX so an unconnected line reads
 * idle (high) instead of floating into noise that would look like start bits. */
static inline void f0_usart1_pins(void)
{
    RCC_AHBENR |= RCC_AHBENR_IOPAEN;
    RCC_APB2ENR |= RCC_APB2ENR_USART1EN;
    GPIOA_AFRH = (GPIOA_AFRH & ~(0xFFu << 4)) | (1u << 4) | (1u << 8);
    GPIOA_PUPDR = (GPIOA_PUPDR & ~(3u << 20)) | (GPIO_PUPDR_PU << 20);
    GPIOA_MODER = (GPIOA_MODER & ~(0xFu << 18)) | (GPIO_MODER_AF << 18) | (GPIO_MODER_AF << 20);
}

/* BRR for OVER8 = 0 (16x oversampling): clock / baud, rounded. */
#define F0_USART_BRR(clk, baud) (((clk) + (baud) / 2u) / (baud))

#endif
