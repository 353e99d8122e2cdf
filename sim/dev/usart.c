/*
 * USART1 (RM0360 section 23): characters take their time on the line at the programmed baud
 * rate and frame (BRR, OVER8, M, STOP, from the kernel clock RCC gives); one receive
 * register with RXNE and ORE (or OVRDIS), TXE/TC, the interrupt lines, and DMA requests
 * (DMAR/DMAT). The host side is reached through chip_host_input() and chip_uart_out().
 */
#include <string.h>

#include "../machine.h"
#include "dev.h"
#include "regs/rcc.h"
#include "regs/scs.h"
#include "regs/usart.h"

static uint64_t usart_char_ps(struct chip *c)
{
    struct usart *u = &c->u1;
    uint32_t brr = u->brr & 0xFFFFu;
    uint32_t div = (u->cr1 & USART_CR1_OVER8) ? ((brr & 0xFFF0u) | ((brr & 7u) << 1)) : brr * 2u;
    if (div < 32u)
        div = 32u;
    /* bit time = USARTDIV / fck (OVER8=0), in half-USARTDIV units to keep OVER8 exact */
    uint64_t bit_ps2 = (uint64_t)div * 1000000000000ull / rcc_pclk(c); /* 2 x bit time */
    uint32_t m = ((u->cr1 & USART_CR1_M0) ? 1u : 0u) | ((u->cr1 & USART_CR1_M1) ? 2u : 0u);
    uint32_t word = m == 1u ? 9u : m == 2u ? 7u : 8u;
    static const uint32_t stop2[4] = {2, 1, 4, 3}; /* stop bits x2 */
    uint32_t half_bits = 2u * (1u + word) + stop2[(u->cr2 >> USART_CR2_STOP_SHIFT) & 3u];
    return bit_ps2 * half_bits / 4u;
}

static void usart_levels(struct chip *c)
{
    struct usart *u = &c->u1;
    uint32_t isr = u->isr | (u->tdr_full ? 0u : USART_ISR_TXE);
    if (((u->cr1 & USART_CR1_RXNEIE) && (isr & (USART_ISR_RXNE | USART_ISR_ORE))) ||
        ((u->cr1 & USART_CR1_TXEIE) && (isr & USART_ISR_TXE)) ||
        ((u->cr1 & USART_CR1_TCIE) && (isr & USART_ISR_TC)) ||
        ((u->cr1 & USART_CR1_IDLEIE) && (isr & USART_ISR_IDLE)) ||
        ((u->cr1 & USART_CR1_PEIE) && (isr & USART_ISR_PE)) ||
        ((u->cr3 & USART_CR3_EIE) && (isr & USART_ISR_ORE)))
        chip_irq(c, USART1_IRQn);
}

void usart_tx_load(struct chip *c)
{
    struct usart *u = &c->u1;
    if (!u->tdr_full && (u->cr3 & USART_CR3_DMAT)) {
        struct dma_ch *d = dma_req(c, 1);
        uint8_t b;
        if (d && dma_xfer(c, d, &b) == 0) {
            u->tdr = b;
            u->tdr_full = 1;
        }
    }
    if (!u->tx_busy && u->tdr_full && (u->cr1 & USART_CR1_UE) && (u->cr1 & USART_CR1_TE)) {
        u->tx_shift = u->tdr;
        u->tdr_full = 0;
        u->tx_busy = 1;
        u->tx_done = c->now + usart_char_ps(c);
        u->isr &= ~USART_ISR_TC;
        chip_reschedule(c);
    }
}

static void usart_service(struct chip *c)
{
    struct usart *u = &c->u1;
    int changed = 0;
    while (u->tx_busy && c->now >= u->tx_done) {
        uint64_t t = u->tx_done;
        u->tx_busy = 0;
        c->st.uart_tx++;
        chip_uart_out(c, u->tx_shift);
        if (u->tdr_full || (u->cr3 & USART_CR3_DMAT)) {
            usart_tx_load(c);
            if (u->tx_busy)
                u->tx_done = t + usart_char_ps(c);
        }
        if (!u->tx_busy && !u->tdr_full)
            u->isr |= USART_ISR_TC;
        changed = 1;
    }
    struct ring *in = chip_host_input(c);
    for (;;) {
        if (u->rx_busy && c->now >= u->rx_done) {
            u->rx_busy = 0;
            u->line_free = u->rx_done;
            c->st.uart_rx++;
            if (u->isr & USART_ISR_RXNE) {
                /* one receive register: the new byte is lost and ORE is set */
                if (!(u->cr3 & USART_CR3_OVRDIS)) {
                    u->isr |= USART_ISR_ORE;
                    c->st.overruns++;
                }
            } else {
                u->rdr = u->rx_byte;
                u->isr |= USART_ISR_RXNE;
                if (u->rx_pe)
                    u->isr |= USART_ISR_PE;
                struct dma_ch *d;
                if ((u->cr3 & USART_CR3_DMAR) && (d = dma_req(c, 0)) != NULL) {
                    uint8_t b = (uint8_t)u->rdr;
                    if (dma_xfer(c, d, &b) == 0)
                        u->isr &= ~USART_ISR_RXNE; /* the DMA read of RDR clears RXNE */
                }
            }
            changed = 1;
        }
        if (u->rx_busy || !in || !ring_count(in))
            break;
        /* bytes from the host wait until the receiver is on (UE and RE): the host is
         * taken to start sending when the chip listens (docs/f0sim.md) */
        if (!(u->cr1 & USART_CR1_UE) || !(u->cr1 & USART_CR1_RE))
            break;
        uint8_t b = ring_get(in);
        int noise = chip_line_noise(c, &b);
        if (noise < 0)
            continue;
        int pe = noise > 0 && (u->cr1 & USART_CR1_PCE); /* one flipped bit breaks parity */
        /* The line carries the host's bytes back to back from when they were available,
         * not from when the simulation got round to looking: after a flash stall the
         * bytes that arrived meanwhile are received (into the DMA ring) at once. */
        uint64_t start = u->line_free > c->line_avail ? u->line_free : c->line_avail;
        u->rx_busy = 1;
        u->rx_byte = b;
        u->rx_pe = pe;
        u->rx_done = start + usart_char_ps(c);
        if (u->rx_done > c->now)
            break;
    }
    if (changed)
        usart_levels(c);
}

void usart_reset(struct chip *c)
{
    memset(&c->u1, 0, sizeof c->u1);
    c->u1.isr = USART_ISR_TC;
}

static uint64_t usart_read(struct chip *c, uint32_t r)
{
    struct usart *u = &c->u1;
    switch (r) {
    case USART_CR1_OFF: return u->cr1;
    case USART_CR2_OFF: return u->cr2;
    case USART_CR3_OFF: return u->cr3;
    case USART_BRR_OFF: return u->brr;
    case USART_GTPR_OFF: return u->gtpr;
    case USART_RTOR_OFF: return u->rtor;
    case USART_RQR_OFF: return 0;
    case USART_ISR_OFF: {
        uint32_t v = u->isr | (u->tdr_full ? 0u : USART_ISR_TXE);
        if (u->rx_busy)
            v |= USART_ISR_BUSY;
        if ((u->cr1 & USART_CR1_UE) && (u->cr1 & USART_CR1_TE))
            v |= USART_ISR_TEACK;
        if ((u->cr1 & USART_CR1_UE) && (u->cr1 & USART_CR1_RE))
            v |= USART_ISR_REACK;
        return v;
    }
    case USART_ICR_OFF: return 0;
    case USART_RDR_OFF: {
        uint32_t v = u->rdr;
        u->isr &= ~USART_ISR_RXNE;
        return v;
    }
    case USART_TDR_OFF: return u->tdr;
    default: return DEV_NONE;
    }
}

static void usart_write(struct chip *c, uint32_t off, uint32_t v, unsigned size)
{
    struct usart *u = &c->u1;
    (void)size;
    switch (off & ~3u) {
    case USART_CR1_OFF: {
        uint32_t on = USART_CR1_UE | USART_CR1_RE;
        /* a receiver that was off saw nothing: queued bytes start once it listens */
        if ((u->cr1 & on) != on && (v & on) == on && u->line_free < c->now)
            u->line_free = c->now;
        u->cr1 = v;
        if (!(v & USART_CR1_UE)) {
            /* UE = 0 stops the USART: operations in progress are discarded */
            if (u->rx_busy)
                c->st.rx_lost++;
            u->tx_busy = u->rx_busy = u->tdr_full = 0;
            u->isr = USART_ISR_TC;
        }
        chip_reschedule(c);
        break;
    }
    case USART_CR2_OFF: u->cr2 = v; break;
    case USART_CR3_OFF: u->cr3 = v; break;
    case USART_BRR_OFF: u->brr = v & 0xFFFFu; break;
    case USART_GTPR_OFF: u->gtpr = v; break;
    case USART_RTOR_OFF: u->rtor = v; break;
    case USART_RQR_OFF:
        if (v & USART_RQR_RXFRQ)
            u->isr &= ~USART_ISR_RXNE;
        break;
    case USART_ICR_OFF:
        u->isr &= ~(v & USART_ICR_ERR_MASK); /* PECF FECF NCF ORECF IDLECF */
        if (v & USART_ICR_TCCF)
            u->isr &= ~USART_ISR_TC;
        break;
    case USART_RDR_OFF: break;
    case USART_TDR_OFF:
        u->tdr = (uint8_t)v;
        u->tdr_full = 1;
        u->isr &= ~USART_ISR_TC;
        break;
    default: chip_unmodelled(c, USART1_BASE_R + off, 1, v); return;
    }
    usart_tx_load(c);
    usart_levels(c);
}


void usart_dma_rx_ready(struct chip *c)
{
    struct usart *u = &c->u1;
    struct dma_ch *d = dma_req(c, 0);
    if (d && (u->cr3 & USART_CR3_DMAR) && (u->isr & USART_ISR_RXNE)) {
        uint8_t b = (uint8_t)u->rdr;
        if (dma_xfer(c, d, &b) == 0)
            u->isr &= ~USART_ISR_RXNE;
    }
}

void usart_flush_line(struct chip *c)
{
    if (c->u1.tx_busy)
        chip_uart_out(c, c->u1.tx_shift);
    if (c->u1.tdr_full)
        chip_uart_out(c, c->u1.tdr);
}

static uint64_t usart_next_event(struct chip *c)
{
    struct usart *u = &c->u1;
    uint64_t t = T_NEVER;
    struct ring *in = chip_host_input(c);
    if (u->tx_busy && u->tx_done < t)
        t = u->tx_done;
    if (u->rx_busy && u->rx_done < t)
        t = u->rx_done;
    if (!u->rx_busy && in && ring_count(in) && (u->cr1 & USART_CR1_UE) && (u->cr1 & USART_CR1_RE))
        t = c->now < t ? c->now : t;
    return t;
}

/* the ROM model owns the line while it runs */
static void usart_service_line(struct chip *c)
{
    if (!c->rom.running)
        usart_service(c);
}

static int usart_clocked(const struct chip *c, uint32_t off)
{
    (void)off;
    return rcc_enabled(c, RCC_APB2ENR_OFF, RCC_APB2ENR_USART1EN);
}

const struct dev_ops dev_usart1 = {
    .name = "USART1",
    .base = USART1_BASE_R,
    .size = 0x400u,
    .clocked = usart_clocked,
    .read = usart_read,
    .write = usart_write,
    .reset = usart_reset,
    .next_event = usart_next_event,
    .service = usart_service_line,
    .levels = usart_levels,
};
