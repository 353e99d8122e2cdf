/* USART registers (RM0360 section 23.7). */
#ifndef F0B_REGS_USART_H
#define F0B_REGS_USART_H

#define USART1_BASE_R        0x40013800u
#define USART_CR1_OFF        0x00u
#define USART_CR1_UE         (1u << 0)
#define USART_CR1_RE         (1u << 2)
#define USART_CR1_TE         (1u << 3)
#define USART_CR1_IDLEIE     (1u << 4)
#define USART_CR1_RXNEIE     (1u << 5)
#define USART_CR1_TCIE       (1u << 6)
#define USART_CR1_TXEIE      (1u << 7)
#define USART_CR1_PEIE       (1u << 8)
#define USART_CR1_PCE        (1u << 10)
#define USART_CR1_M0         (1u << 12)
#define USART_CR1_OVER8      (1u << 15)
#define USART_CR1_M1         (1u << 28)
#define USART_CR2_OFF        0x04u
#define USART_CR2_STOP_SHIFT 12u /* 2 bits: 1, 0.5, 2, 1.5 stop bits */
#define USART_CR3_OFF        0x08u
#define USART_CR3_EIE        (1u << 0)
#define USART_CR3_DMAR       (1u << 6)
#define USART_CR3_DMAT       (1u << 7)
#define USART_CR3_OVRDIS     (1u << 12)
#define USART_BRR_OFF        0x0Cu
#define USART_GTPR_OFF       0x10u
#define USART_RTOR_OFF       0x14u
#define USART_RQR_OFF        0x18u
#define USART_RQR_RXFRQ      (1u << 3)
#define USART_ISR_OFF        0x1Cu
#define USART_ISR_PE         (1u << 0)
#define USART_ISR_ORE        (1u << 3)
#define USART_ISR_IDLE       (1u << 4)
#define USART_ISR_RXNE       (1u << 5)
#define USART_ISR_TC         (1u << 6)
#define USART_ISR_TXE        (1u << 7)
#define USART_ISR_BUSY       (1u << 16)
#define USART_ISR_TEACK      (1u << 21)
#define USART_ISR_REACK      (1u << 22)
#define USART_ICR_OFF        0x20u
#define USART_ICR_ORECF      (1u << 3)
#define USART_ICR_ERR_MASK   0x1Fu /* PECF FECF NCF ORECF IDLECF */
#define USART_ICR_TCCF       (1u << 6)
#define USART_RDR_OFF        0x24u
#define USART_TDR_OFF        0x28u

#endif
