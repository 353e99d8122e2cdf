/*
 * DMA1 (RM0360 section 10): channels 1-5 with CNDTR/CPAR/CMAR, MINC, CIRC, the GIF/TCIF/
 * HTIF/TEIF flags and their interrupts. Only USART1's requests are modelled (channel 2/4 TX,
 * 3/5 RX as SYSCFG remaps them); memory is SRAM, or flash as a source.
 */
#include <string.h>

#include "../machine.h"
#include "dev.h"
#include "regs/dma.h"
#include "regs/rcc.h"
#include "regs/scs.h"
#include "regs/syscfg.h"
#include "regs/usart.h"
#include "../watch.h"

struct dma_ch *dma_req(struct chip *c, int tx)
{
    /* USART1_RX on channel 3 (channel 5 with SYSCFG_CFGR1.USART1_RX_DMA_RMP), TX on 2 (4) */
    int idx = tx ? ((c->syscfg.cfgr1 & SYSCFG_CFGR1_USART1_TX_DMA_RMP) ? 3 : 1)
                 : ((c->syscfg.cfgr1 & SYSCFG_CFGR1_USART1_RX_DMA_RMP) ? 4 : 2);
    struct dma_ch *d = &c->dma.ch[idx];
    return (d->ccr & DMA_CCR_EN) && d->cndtr ? d : NULL;
}

static void dma_irq(struct chip *c, int ch)
{
    uint32_t f = (c->dma.isr >> (4 * ch)) & 0xFu;
    uint32_t ccr = c->dma.ch[ch].ccr;
    if (((f & DMA_ISR_TCIF) && (ccr & DMA_CCR_TCIE)) ||
        ((f & DMA_ISR_HTIF) && (ccr & DMA_CCR_HTIE)) ||
        ((f & DMA_ISR_TEIF) && (ccr & DMA_CCR_TEIE)))
        chip_irq(c, ch == 0 ? DMA1_CH1_IRQn : ch <= 2 ? DMA1_CH2_3_IRQn : DMA1_CH4_5_IRQn);
}

/* One DMA transfer on channel d; returns the byte read from memory for M->P. */
int dma_xfer(struct chip *c, struct dma_ch *d, uint8_t *byte)
{
    int ch = (int)(d - c->dma.ch);
    uint32_t a = d->cur;
    if (a < SRAM_BASE || a >= SRAM_BASE + c->o.part->sram_size) {
        if (!(d->ccr & DMA_CCR_DIR) || a < FLASH_BASE || a >= FLASH_BASE + c->o.part->flash_size) {
            chip_logf(c, "DMA1 channel %d: memory address 0x%08x not modelled: transfer error",
                      ch + 1, a);
            c->dma.isr |= (DMA_ISR_GIF | DMA_ISR_TEIF) << (4 * ch);
            d->ccr &= ~DMA_CCR_EN;
            dma_irq(c, ch);
            return -1;
        }
    }
    uint8_t *m = a >= SRAM_BASE ? c->sram + (a - SRAM_BASE) : c->flash + (a - FLASH_BASE);
    if (d->ccr & DMA_CCR_DIR)
        *byte = *m;
    else
        *m = watch_on_dma_write(c, a, *byte);
    if (d->ccr & DMA_CCR_MINC)
        d->cur += 1u << ((d->ccr >> DMA_CCR_MSIZE_SHIFT) & 3u);
    d->cndtr--;
    c->dma.isr |= DMA_ISR_GIF << (4 * ch);
    if (d->cndtr == d->ndt_reload / 2u)
        c->dma.isr |= DMA_ISR_HTIF << (4 * ch);
    if (d->cndtr == 0) {
        c->dma.isr |= DMA_ISR_TCIF << (4 * ch);
        if (d->ccr & DMA_CCR_CIRC) {
            d->cndtr = d->ndt_reload;
            d->cur = d->mar_base;
        }
    }
    dma_irq(c, ch);
    return 0;
}

static uint64_t dma_read(struct chip *c, uint32_t r)
{
    if (r == DMA_ISR_OFF)
        return c->dma.isr;
    if (r == DMA_IFCR_OFF)
        return 0;
    if (r < DMA_CCR_OFF(1) || r >= DMA_CCR_OFF(6))
        return DEV_NONE;
    struct dma_ch *d = &c->dma.ch[(r - DMA_CCR_OFF(1)) / DMA_CH_STRIDE];
    switch ((r - DMA_CCR_OFF(1)) % DMA_CH_STRIDE + DMA_CCR_OFF(1)) { /* as channel 1's */
    case DMA_CCR_OFF(1): return d->ccr;
    case DMA_CNDTR_OFF(1): return d->cndtr;
    case DMA_CPAR_OFF(1): return d->cpar;
    case DMA_CMAR_OFF(1): return d->cmar;
    default: return DEV_NONE;
    }
}

/* CCRx: setting EN latches the reload count and the base addresses. */
static void dma_ccr_write(struct chip *c, struct dma_ch *d, uint32_t r, uint32_t v)
{
    int en = d->ccr & DMA_CCR_EN;
    if (v & DMA_CCR_MEM2MEM)
        chip_unmodelled(c, DMA1_BASE_R + r, 1, v); /* MEM2MEM not modelled */
    d->ccr = v & DMA_CCR_WRITABLE;
    if ((v & DMA_CCR_EN) && !en) {
        d->ndt_reload = d->cndtr;
        d->mar_base = d->cur = d->cmar;
        d->par_base = d->cpar;
        if ((d->cpar & ~0xFFu) != USART1_BASE_R)
            chip_logf(c,
                      "DMA1 channel %d enabled with CPAR 0x%08x: only USART1 requests are modelled",
                      (int)(d - c->dma.ch) + 1, d->cpar);
        /* a pending request is served as soon as the channel is enabled */
        if (d == dma_req(c, 0))
            usart_dma_rx_ready(c);
        usart_tx_load(c);
    }
}

static void dma_write(struct chip *c, uint32_t off, uint32_t v, unsigned size)
{
    uint32_t r = off & ~3u;
    (void)size;
    if (r == DMA_IFCR_OFF) { /* IFCR: CGIFx clears all flags of channel x */
        for (int ch = 0; ch < 5; ch++) {
            uint32_t f = (v >> (4 * ch)) & 0xFu;
            if (f & DMA_ISR_GIF)
                f = 0xFu;
            c->dma.isr &= ~(f << (4 * ch));
        }
        return;
    }
    uint32_t cr = (r - DMA_CCR_OFF(1)) % DMA_CH_STRIDE;
    if (r < DMA_CCR_OFF(1) || r >= DMA_CCR_OFF(6) || cr > DMA_CMAR_OFF(1) - DMA_CCR_OFF(1)) {
        chip_unmodelled(c, DMA1_BASE_R + r, 1, v);
        return;
    }
    struct dma_ch *d = &c->dma.ch[(r - DMA_CCR_OFF(1)) / DMA_CH_STRIDE];
    int en = d->ccr & DMA_CCR_EN;
    switch (cr + DMA_CCR_OFF(1)) {
    case DMA_CCR_OFF(1): dma_ccr_write(c, d, r, v); break;
    case DMA_CNDTR_OFF(1):
        if (!en)
            d->cndtr = v & 0xFFFFu;
        break; /* read-only while EN */
    case DMA_CPAR_OFF(1):
        if (!en)
            d->cpar = v;
        break;
    case DMA_CMAR_OFF(1):
        if (!en)
            d->cmar = v;
        break;
    default: break;
    }
}


static void dma_reset(struct chip *c) { memset(&c->dma, 0, sizeof c->dma); }

static int dma_clocked(const struct chip *c, uint32_t off)
{
    (void)off;
    return rcc_enabled(c, RCC_AHBENR_OFF, RCC_AHBENR_DMAEN);
}

const struct dev_ops dev_dma1 = {
    .name = "DMA1",
    .base = DMA1_BASE_R,
    .size = 0x400u,
    .clocked = dma_clocked,
    .read = dma_read,
    .write = dma_write,
    .reset = dma_reset,
};
