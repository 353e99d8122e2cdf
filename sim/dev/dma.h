/* The DMA1 model (dev/dma.c): channels 1-5, USART1 requests. */
#ifndef F0SIM_DEV_DMA_H
#define F0SIM_DEV_DMA_H

#include <stdint.h>

struct chip;

struct dma_ch {
    uint32_t ccr, cndtr, cpar, cmar;
    uint32_t ndt_reload, par_base, mar_base, cur;
};

struct dma_state {
    struct dma_ch ch[5];
    uint32_t isr;
};

/* The enabled channel with data left that serves USART1's TX (tx = 1) or RX request. */
struct dma_ch *dma_req(struct chip *c, int tx);
/* One transfer on channel d; *byte is read from memory (M->P) or written to it (P->M).
 * 0, or -1 on a transfer error. */
int dma_xfer(struct chip *c, struct dma_ch *d, uint8_t *byte);

#endif
