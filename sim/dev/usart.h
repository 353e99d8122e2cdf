/* The USART1 model (dev/usart.c): the line at its baud rate, RXNE/ORE, DMA requests. */
#ifndef F0SIM_DEV_USART_H
#define F0SIM_DEV_USART_H

#include <stdint.h>

struct chip;

struct usart {
    uint32_t cr1, cr2, cr3, brr, gtpr, rtor, isr, rdr;
    int tx_busy; /* shift register holds a byte */
    uint8_t tx_shift;
    int tdr_full;
    uint8_t tdr;
    uint64_t tx_done; /* time the byte in the shift register has left */
    int rx_busy;      /* a byte is on the line */
    uint8_t rx_byte;
    int rx_pe;
    uint64_t rx_done;
    uint64_t line_free; /* earliest start of the next received char */
};

/* RCC_APB2RSTR.USART1RST, and the system reset. */
void usart_reset(struct chip *c);
/* Move TDR (or a DMA transfer) into the shift register if it is free. */
void usart_tx_load(struct chip *c);
/* A DMA channel serving USART1_RX was enabled: a waiting RXNE is served at once. */
void usart_dma_rx_ready(struct chip *c);
/* The run ends: the characters still in the transmitter leave, so a last line shows. */
void usart_flush_line(struct chip *c);

#endif
