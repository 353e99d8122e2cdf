/* DMA registers (RM0360 section 10.6); channels are numbered 1..5 as in RM0360. */
#ifndef F0B_REGS_DMA_H
#define F0B_REGS_DMA_H

#define DMA1_BASE_R       0x40020000u
#define DMA_ISR_OFF       0x00u
#define DMA_IFCR_OFF      0x04u
#define DMA_CCR_OFF(ch)   (0x08u + 20u * ((ch)-1u))
#define DMA_CNDTR_OFF(ch) (0x0Cu + 20u * ((ch)-1u))
#define DMA_CPAR_OFF(ch)  (0x10u + 20u * ((ch)-1u))
#define DMA_CMAR_OFF(ch)  (0x14u + 20u * ((ch)-1u))
#define DMA_CH_STRIDE     20u
/* ISR / IFCR: four flags per channel, at bit 4 * (ch - 1) */
#define DMA_ISR_GIF         1u
#define DMA_ISR_TCIF        2u
#define DMA_ISR_HTIF        4u
#define DMA_ISR_TEIF        8u
#define DMA_IFCR_CGIF3      (0xFu << 8) /* CGIF3 | CTCIF3 | CHTIF3 | CTEIF3 */
#define DMA_CCR_EN          (1u << 0)
#define DMA_CCR_TCIE        (1u << 1)
#define DMA_CCR_HTIE        (1u << 2)
#define DMA_CCR_TEIE        (1u << 3)
#define DMA_CCR_DIR         (1u << 4) /* 1: read from memory */
#define DMA_CCR_CIRC        (1u << 5)
#define DMA_CCR_MINC        (1u << 7)
#define DMA_CCR_MSIZE_SHIFT 10u
#define DMA_CCR_MEM2MEM     (1u << 14)
#define DMA_CCR_WRITABLE    0x7FFFu

#endif
