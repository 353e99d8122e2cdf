/*
 * f0sim peripheral models (RM0360 register names): FLASH interface, RCC, GPIOA-F, CRC,
 * IWDG, SYSCFG, DBGMCU, DMA1 and USART1. Every access to a register that is not modelled
 * is logged once per address (chip_unmodelled) and never silently accepted.
 */
#include "sim.h"

#include <string.h>

#define NONE      UINT64_MAX   /* read of a register that is not modelled */
#define P_IWDG    0x03000u
#define P_SYSCFG  0x10000u
#define P_USART1  0x13800u
#define P_DBGMCU  0x15800u
#define P_DMA1    0x20000u
#define P_RCC     0x21000u
#define P_FLASH   0x22000u
#define P_CRC     0x23000u

/* RCC register indexes (offset / 4) */
enum { RCC_CR = 0, RCC_CFGR, RCC_CIR, RCC_APB2RSTR, RCC_APB1RSTR, RCC_AHBENR, RCC_APB2ENR,
       RCC_APB1ENR, RCC_BDCR, RCC_CSR, RCC_AHBRSTR, RCC_CFGR2, RCC_CFGR3, RCC_CR2 };

#define FLASH_SR_BSY      (1u << 0)
#define FLASH_SR_PGERR    (1u << 2)
#define FLASH_SR_WRPRTERR (1u << 4)
#define FLASH_SR_EOP      (1u << 5)
#define FLASH_CR_PG       (1u << 0)
#define FLASH_CR_PER      (1u << 1)
#define FLASH_CR_MER      (1u << 2)
#define FLASH_CR_OPTPG    (1u << 4)
#define FLASH_CR_OPTER    (1u << 5)
#define FLASH_CR_STRT     (1u << 6)
#define FLASH_CR_LOCK     (1u << 7)
#define FLASH_CR_OPTWRE   (1u << 9)
#define FLASH_CR_ERRIE    (1u << 10)
#define FLASH_CR_EOPIE    (1u << 12)
#define FLASH_KEY1        0x45670123u
#define FLASH_KEY2        0xCDEF89ABu

#define USART_CR1_UE     (1u << 0)
#define USART_CR1_RE     (1u << 2)
#define USART_CR1_TE     (1u << 3)
#define USART_CR1_IDLEIE (1u << 4)
#define USART_CR1_RXNEIE (1u << 5)
#define USART_CR1_TCIE   (1u << 6)
#define USART_CR1_TXEIE  (1u << 7)
#define USART_CR1_PEIE   (1u << 8)
#define USART_CR1_PCE    (1u << 10)
#define USART_CR1_M0     (1u << 12)
#define USART_CR1_OVER8  (1u << 15)
#define USART_CR1_M1     (1u << 28)
#define USART_CR3_EIE    (1u << 0)
#define USART_CR3_DMAR   (1u << 6)
#define USART_CR3_DMAT   (1u << 7)
#define USART_CR3_OVRDIS (1u << 12)
#define USART_ISR_PE     (1u << 0)
#define USART_ISR_ORE    (1u << 3)
#define USART_ISR_IDLE   (1u << 4)
#define USART_ISR_RXNE   (1u << 5)
#define USART_ISR_TC     (1u << 6)
#define USART_ISR_TXE    (1u << 7)

#define DMA_CCR_EN    (1u << 0)
#define DMA_CCR_TCIE  (1u << 1)
#define DMA_CCR_HTIE  (1u << 2)
#define DMA_CCR_TEIE  (1u << 3)
#define DMA_CCR_DIR   (1u << 4)
#define DMA_CCR_CIRC  (1u << 5)
#define DMA_CCR_MINC  (1u << 7)

static uint32_t mask_size(unsigned size)
{
    return size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1u;
}

/* ---- clocks -------------------------------------------------------------------------- */

static uint32_t rcc_sysclk(const struct chip *c)
{
    uint32_t sws = (c->rcc[RCC_CFGR] >> 2) & 3u;
    if (sws == 2u) {
        uint32_t mul = ((c->rcc[RCC_CFGR] >> 18) & 0xFu) + 2u;
        if (mul > 16u)
            mul = 16u;
        /* PLLSRC = HSI/2 (the only source modelled: no crystal on the virtual board) */
        return 4000000u * mul;
    }
    return 8000000u;
}

static uint32_t rcc_hclk_of(const struct chip *c)
{
    static const uint16_t hpre[8] = { 2, 4, 8, 16, 64, 128, 256, 512 };
    uint32_t h = (c->rcc[RCC_CFGR] >> 4) & 0xFu;
    return rcc_sysclk(c) / ((h & 8u) ? hpre[h & 7u] : 1u);
}

uint32_t rcc_pclk(const struct chip *c)
{
    uint32_t p = (c->rcc[RCC_CFGR] >> 8) & 7u;
    uint32_t pclk = c->hclk / ((p & 4u) ? (2u << (p & 3u)) : 1u);
    switch (c->rcc[RCC_CFGR3] & 3u) {      /* USART1SW */
    case 1: return rcc_sysclk(c);
    case 3: return 8000000u;
    default: return pclk;
    }
}

static int clk_on(struct chip *c, uint32_t base)
{
    uint32_t ahb = c->rcc[RCC_AHBENR], apb2 = c->rcc[RCC_APB2ENR];
    switch (base) {
    case P_SYSCFG: return apb2 & 1u;
    case P_USART1: return (apb2 >> 14) & 1u;
    case P_DMA1: return ahb & 1u;
    case P_CRC: return (ahb >> 6) & 1u;
    default: return 1;
    }
}

/* ---- FLASH --------------------------------------------------------------------------- */

static void flash_irq(struct chip *c)
{
    struct flash_ctl *f = &c->fl;
    if (((f->cr & FLASH_CR_EOPIE) && (f->sr & FLASH_SR_EOP)) ||
        ((f->cr & FLASH_CR_ERRIE) && (f->sr & (FLASH_SR_PGERR | FLASH_SR_WRPRTERR))))
        chip_irq(c, IRQ_FLASH);
}

static void flash_read_hook(uc_engine *uc, uc_mem_type type, uint64_t addr, int size,
                            int64_t value, void *ud)
{
    (void)uc; (void)type; (void)addr; (void)size; (void)value;
    struct chip *c = ud;
    if (c->fl.busy)
        flash_stall(c);
}

static void flash_read_hook_install(struct chip *c)
{
    struct flash_ctl *f = &c->fl;
    /* Data reads of flash wait while BSY. The read hook is installed once, at the first
     * operation, and stays: adding or deleting a hook makes Unicorn 2.0.1 flush every
     * translated block, which cost ~2 ms per half-word programmed (the bootloader ran at
     * 0.14x real time). The hook returns at once while the flash is idle. */
    if (!f->read_hook_on) {
        uc_hook_add(c->uc, &f->read_hook, UC_HOOK_MEM_READ, (void *)flash_read_hook, c,
                    FLASH_BASE, FLASH_BASE + c->o.part->flash_size - 1u);
        f->read_hook_on = 1;
    }
}

/* Start an operation; returns 1 if the power is cut at this one (the caller tears it). */
static int flash_op_start(struct chip *c, int kind, uint32_t off, uint64_t dur)
{
    struct flash_ctl *f = &c->fl;
    /* a loop that programs flash is working, not idle, however alike its status polls */
    chip_write_note(c, FLASH_BASE + off, 0);
    c->flash_ops++;
    f->busy = 1;
    f->sr |= FLASH_SR_BSY;
    f->op_kind = kind;
    f->op_addr = off;
    f->op_start = c->now;
    f->busy_until = c->now + dur;
    flash_read_hook_install(c);
    chip_reschedule(c);
    return c->o.power_cut_op && c->flash_ops == c->o.power_cut_op;
}

/* Tear the running operation at fraction frac (0..1) of its duration and stop the chip.
 * Program: a seeded subset of the bits that were to go 1->0 is programmed.
 * Erase: the first frac of the page (whole 32-bit words) reads 0xFF, the rest is untouched. */
static void flash_tear(struct chip *c, double frac)
{
    struct flash_ctl *f = &c->fl;
    uint32_t psz = c->o.part->page_size;
    if (f->op_kind == 1) {
        uint16_t old, nv = f->op_value;
        memcpy(&old, c->flash + f->op_addr, 2);
        uint16_t clear = (uint16_t)(old & ~nv);
        uint16_t keep = (uint16_t)chip_rand(c);
        if ((clear & ~keep) == 0 && clear)     /* make sure the result is really torn */
            keep = (uint16_t)(keep & ~(clear & (uint16_t)-clear));
        uint16_t res = (uint16_t)(old & ~(clear & keep));
        memcpy(c->flash + f->op_addr, &res, 2);
        chip_logf(c, "power cut during program of 0x%08x: wrote 0x%04x, cell holds 0x%04x",
                  FLASH_BASE + f->op_addr, nv, res);
    } else {
        uint32_t start = f->op_kind == 2 ? f->op_addr : 0;
        uint32_t len = f->op_kind == 2 ? psz : c->o.part->flash_size;
        uint32_t done = (uint32_t)(frac * (double)len) & ~3u;
        if (done == 0)
            done = 4;
        memset(c->flash + start, 0xFF, done);
        chip_invalidate_code(c, FLASH_BASE + start, len);
        chip_logf(c, "power cut during erase of 0x%08x: first %u of %u bytes erased",
                  FLASH_BASE + start, done, len);
    }
    c->power_cut_done = 1;
    if (c->o.power_cut_ps) {
        c->now = c->o.power_cut_ps;
        chip_stop(c, STOP_POWER_CUT, "power cut at %.3f ms (during flash operation %llu, %s of 0x%08x)",
                  (double)c->now / PS_PER_MS, (unsigned long long)c->flash_ops,
                  f->op_kind == 1 ? "program" : "erase", FLASH_BASE + f->op_addr);
    } else {
        chip_stop(c, STOP_POWER_CUT, "power cut at flash operation %llu (%s of 0x%08x)",
                  (unsigned long long)c->flash_ops, f->op_kind == 1 ? "program" : "erase",
                  FLASH_BASE + f->op_addr);
    }
}

/* --power-cut-ms reached: tear the operation in progress, if any. Returns 1 if it did
 * (and stopped the chip). */
int flash_power_cut(struct chip *c)
{
    struct flash_ctl *f = &c->fl;
    if (!f->busy || c->o.power_cut_ps < f->op_start)
        return 0;
    double frac = (double)(c->o.power_cut_ps - f->op_start) / (double)(f->busy_until - f->op_start);
    flash_tear(c, frac > 1.0 ? 1.0 : frac);
    return 1;
}

static void flash_finish(struct chip *c)
{
    struct flash_ctl *f = &c->fl;
    if (!f->busy || c->now < f->busy_until)
        return;
    if (c->o.power_cut_ps && !c->power_cut_done && c->o.power_cut_ps <= f->busy_until &&
        flash_power_cut(c))
        return;
    if (f->op_kind == 2) {
        memset(c->flash + f->op_addr, 0xFF, c->o.part->page_size);
        chip_invalidate_code(c, FLASH_BASE + f->op_addr, c->o.part->page_size);
    } else if (f->op_kind == 3) {
        memset(c->flash, 0xFF, c->o.part->flash_size);
        chip_invalidate_code(c, FLASH_BASE, c->o.part->flash_size);
    }
    f->busy = 0;
    f->sr = (f->sr & ~FLASH_SR_BSY) | FLASH_SR_EOP;
    flash_irq(c);
}

void flash_stall(struct chip *c)
{
    struct flash_ctl *f = &c->fl;
    if (!f->busy || c->stop != STOP_NONE)
        return;
    if (f->busy_until > c->now) {
        uint64_t dt = f->busy_until - c->now;
        c->st.cycles += dt / c->ps_per_cycle;
        if (c->prof_last)
            c->prof_last->stall += dt / c->ps_per_cycle;
        c->now = f->busy_until;
    }
    chip_reschedule(c);
    chip_service(c);
}

void flash_apply_fixups(struct chip *c)
{
    struct flash_ctl *f = &c->fl;
    for (int i = 0; i < f->fix_n; i++)
        c->flash[f->fix_off[i]] = f->fix_val[i];
    f->fix_n = 0;
}

static void fixup(struct chip *c, uint32_t off, const uint8_t *final, int n)
{
    struct flash_ctl *f = &c->fl;
    for (int i = 0; i < n && f->fix_n < 4; i++) {
        f->fix_off[f->fix_n] = off + (uint32_t)i;
        f->fix_val[f->fix_n] = final[i];
        f->fix_n++;
    }
}

/* Code running from flash cannot fetch its next instruction while BSY: it waits for the
 * whole operation right after starting it. Code in SRAM goes on. */
static void stall_if_flash_code(struct chip *c)
{
    uint32_t pc = 0, off;
    uc_reg_read(c->uc, UC_ARM_REG_PC, &pc);
    if (chip_flash_off(c, pc, &off))
        flash_stall(c);
}

bool flash_store_hook(struct chip *c, uint32_t off, int size, uint32_t value)
{
    struct flash_ctl *f = &c->fl;
    uint8_t old[4];
    memcpy(old, c->flash + off, (size_t)size);
    if (!(f->cr & FLASH_CR_PG)) {
        c->fault_reason = "store to flash without FLASH_CR.PG (bus error)";
        c->fault_addr = FLASH_BASE + off;
        c->fault_pin = 1;
        return false;
    }
    if (size != 2 || (off & 1u)) {
        /* RM0360: only half-word writes program; other widths are a bus error */
        c->fault_reason = size != 2 ? "8/32-bit store to flash with FLASH_CR.PG (bus error)"
                                    : "unaligned half-word store to flash";
        c->fault_addr = FLASH_BASE + off;
        c->fault_pin = 1;
        return false;
    }
    if (f->busy)
        flash_stall(c);    /* a second write waits for the first to finish */
    uint16_t cell, nv = (uint16_t)value;
    memcpy(&cell, c->flash + off, 2);
    /* the store goes through Unicorn after this hook; the fixup puts the real cell back */
    if (cell != 0xFFFFu && nv != 0x0000u) {
        f->sr |= FLASH_SR_PGERR;
        c->st.prog_errors++;
        fixup(c, off, old, 2);
        flash_irq(c);
        return true;
    }
    c->st.prog_ops++;
    f->op_value = nv;
    memcpy(c->flash + off, &nv, 2);
    uint8_t fin[2];
    memcpy(fin, &nv, 2);
    fixup(c, off, fin, 2);
    /* no translated code can exist in an erased cell: nothing to invalidate */
    if (flash_op_start(c, 1, off, c->o.prog_ps)) {
        memcpy(c->flash + off, old, 2);
        flash_tear(c, 0.5);
        memcpy(fin, c->flash + off, 2);
        f->fix_n = 0;
        fixup(c, off, fin, 2);
        return true;
    }
    stall_if_flash_code(c);
    return true;
}

static uint64_t flash_reg_read(struct chip *c, uint32_t r)
{
    struct flash_ctl *f = &c->fl;
    switch (r) {
    case 0x00: return (f->acr & 0x17u) | ((f->acr & 0x10u) << 1);   /* PRFTBS follows PRFTBE */
    case 0x0C: return f->sr;
    case 0x10: return f->cr;
    case 0x14: return f->ar;
    case 0x1C: return f->obr;
    case 0x20: return f->wrpr;
    case 0x04: case 0x08: return 0;
    default: return NONE;
    }
}

static void flash_reg_write(struct chip *c, uint32_t r, uint32_t v)
{
    struct flash_ctl *f = &c->fl;
    switch (r) {
    case 0x00:
        f->acr = v & 0x17u;
        break;
    case 0x04:    /* KEYR: KEY1 then KEY2; anything else locks CR until reset */
        if (f->key_dead || !(f->cr & FLASH_CR_LOCK)) {
            if (!(f->cr & FLASH_CR_LOCK))
                break;
            break;
        }
        if (f->key_stage == 0 && v == FLASH_KEY1) {
            f->key_stage = 1;
        } else if (f->key_stage == 1 && v == FLASH_KEY2) {
            f->key_stage = 0;
            f->cr &= ~FLASH_CR_LOCK;
        } else {
            f->key_stage = 0;
            f->key_dead = 1;
            chip_logf(c, "FLASH_KEYR: wrong key sequence (0x%08x): FLASH_CR locked until reset", v);
        }
        break;
    case 0x08:
        if (f->opt_key_stage == 0 && v == FLASH_KEY1) {
            f->opt_key_stage = 1;
        } else if (f->opt_key_stage == 1 && v == FLASH_KEY2) {
            f->opt_key_stage = 0;
            f->cr |= FLASH_CR_OPTWRE;
        } else {
            f->opt_key_stage = 0;
        }
        break;
    case 0x0C:    /* SR: PGERR, WRPRTERR, EOP clear by writing 1 */
        f->sr &= ~(v & (FLASH_SR_PGERR | FLASH_SR_WRPRTERR | FLASH_SR_EOP));
        break;
    case 0x10: {
        if (f->cr & FLASH_CR_LOCK) {
            chip_logf(c, "FLASH_CR write 0x%08x while locked: ignored", v);
            break;
        }
        if (v & (FLASH_CR_OPTPG | FLASH_CR_OPTER))
            chip_unmodelled(c, 0x40022010u, 1, v);
        f->cr = (v & (FLASH_CR_PG | FLASH_CR_PER | FLASH_CR_MER | FLASH_CR_LOCK | FLASH_CR_ERRIE |
                      FLASH_CR_EOPIE)) | (f->cr & FLASH_CR_OPTWRE);
        if (v & FLASH_CR_LOCK)
            f->cr &= ~FLASH_CR_OPTWRE;
        if ((v & FLASH_CR_STRT) && !f->busy) {
            if (v & FLASH_CR_MER) {
                c->st.mass_erases++;
                if (flash_op_start(c, 3, 0, c->o.mass_erase_ps))
                    flash_tear(c, 0.5);
                else
                    stall_if_flash_code(c);
            } else if (v & FLASH_CR_PER) {
                uint32_t a = f->ar;
                if (a >= FLASH_BASE && a < FLASH_BASE + c->o.part->flash_size) {
                    uint32_t off = (a - FLASH_BASE) & ~(c->o.part->page_size - 1u);
                    c->st.page_erases++;
                    if (flash_op_start(c, 2, off, c->o.erase_ps))
                        flash_tear(c, 0.5);
                    else
                        stall_if_flash_code(c);
                } else {
                    chip_logf(c, "FLASH page erase with FLASH_AR 0x%08x outside main flash: nothing erased", a);
                    f->sr |= FLASH_SR_WRPRTERR;
                    c->st.wrprt_errors++;
                    flash_irq(c);
                }
            }
        }
        break;
    }
    case 0x14:
        f->ar = v;
        break;
    default:
        chip_unmodelled(c, 0x40022000u + r, 1, v);
        break;
    }
}

/* ---- CRC ----------------------------------------------------------------------------- */

static uint32_t rev32(uint32_t x)
{
    x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
    x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
    x = ((x >> 4) & 0x0F0F0F0Fu) | ((x & 0x0F0F0F0Fu) << 4);
    return __builtin_bswap32(x);
}

uint32_t crc_model_feed(uint32_t crc, uint32_t data, int bits)
{
    /* MSB-first CRC-32, polynomial 0x04C11DB7 (fixed on the F030) */
    crc ^= data << (32 - bits);
    for (int i = 0; i < bits; i++)
        crc = (crc & 0x80000000u) ? (crc << 1) ^ 0x04C11DB7u : crc << 1;
    return crc;
}

static void crc_write_dr(struct chip *c, uint32_t v, unsigned size)
{
    int bits = (int)size * 8;
    uint32_t d = v & mask_size(size);
    switch ((c->crc_cr >> 5) & 3u) {
    case 1:    /* REV_IN = 01: bits reversed within each byte */
        d = __builtin_bswap32(rev32(d)) & mask_size(size);
        break;
    case 2:    /* REV_IN = 10: bits reversed within each half-word */
        if (bits == 32) {
            uint32_t r = rev32(d);
            d = (r >> 16) | (r << 16);
        } else {
            d = rev32(d) >> (bits == 16 ? 16 : 24);
        }
        break;
    case 3:    /* REV_IN = 11: bits reversed within the word written */
        d = rev32(d) >> (32 - bits);
        break;
    default:
        break;
    }
    c->crc_dr = crc_model_feed(c->crc_dr, d, bits);
}

void crc_reset_model(struct chip *c)
{
    c->crc_dr = 0xFFFFFFFFu;
    c->crc_idr = 0;
    c->crc_cr = 0;
    c->crc_init = 0xFFFFFFFFu;
}

/* ---- USART1 -------------------------------------------------------------------------- */

static uint64_t usart_char_ps(struct chip *c)
{
    struct usart *u = &c->u1;
    uint32_t brr = u->brr & 0xFFFFu;
    uint32_t div = (u->cr1 & USART_CR1_OVER8) ? ((brr & 0xFFF0u) | ((brr & 7u) << 1)) : brr * 2u;
    if (div < 32u)
        div = 32u;
    /* bit time = USARTDIV / fck (OVER8=0), in half-USARTDIV units to keep OVER8 exact */
    uint64_t bit_ps2 = (uint64_t)div * 1000000000000ull / rcc_pclk(c);   /* 2 x bit time */
    uint32_t m = ((u->cr1 >> 12) & 1u) | ((u->cr1 >> 27) & 2u);
    uint32_t word = m == 1u ? 9u : m == 2u ? 7u : 8u;
    static const uint32_t stop2[4] = { 2, 1, 4, 3 };       /* stop bits x2 */
    uint32_t half_bits = 2u * (1u + word) + stop2[(u->cr2 >> 12) & 3u];
    return bit_ps2 * half_bits / 4u;
}

static struct dma_ch *dma_req(struct chip *c, int tx)
{
    /* USART1_RX on channel 3 (channel 5 with SYSCFG_CFGR1.USART1_RX_DMA_RMP), TX on 2 (4) */
    int idx = tx ? ((c->syscfg_cfgr1 & (1u << 9)) ? 3 : 1) : ((c->syscfg_cfgr1 & (1u << 10)) ? 4 : 2);
    struct dma_ch *d = &c->dma[idx];
    return (d->ccr & DMA_CCR_EN) && d->cndtr ? d : NULL;
}

static void dma_irq(struct chip *c, int ch)
{
    uint32_t f = (c->dma_isr >> (4 * ch)) & 0xFu;
    uint32_t ccr = c->dma[ch].ccr;
    if (((f & 2u) && (ccr & DMA_CCR_TCIE)) || ((f & 4u) && (ccr & DMA_CCR_HTIE)) ||
        ((f & 8u) && (ccr & DMA_CCR_TEIE)))
        chip_irq(c, ch == 0 ? IRQ_DMA1_CH1 : ch <= 2 ? IRQ_DMA1_CH2_3 : IRQ_DMA1_CH4_5);
}

/* One DMA transfer on channel d; returns the byte read from memory for M->P. */
static int dma_xfer(struct chip *c, struct dma_ch *d, uint8_t *byte)
{
    int ch = (int)(d - c->dma);
    uint32_t a = d->cur;
    if (a < SRAM_BASE || a >= SRAM_BASE + c->o.part->sram_size) {
        if (!(d->ccr & DMA_CCR_DIR) || a < FLASH_BASE || a >= FLASH_BASE + c->o.part->flash_size) {
            chip_logf(c, "DMA1 channel %d: memory address 0x%08x not modelled: transfer error", ch + 1, a);
            c->dma_isr |= 9u << (4 * ch);
            d->ccr &= ~DMA_CCR_EN;
            dma_irq(c, ch);
            return -1;
        }
    }
    uint8_t *m = a >= SRAM_BASE ? c->sram + (a - SRAM_BASE) : c->flash + (a - FLASH_BASE);
    if (d->ccr & DMA_CCR_DIR)
        *byte = *m;
    else
        *m = *byte;
    if (d->ccr & DMA_CCR_MINC)
        d->cur += 1u << ((d->ccr >> 10) & 3u);
    d->cndtr--;
    c->dma_isr |= 1u << (4 * ch);
    if (d->cndtr == d->ndt_reload / 2u)
        c->dma_isr |= 4u << (4 * ch);               /* HTIF */
    if (d->cndtr == 0) {
        c->dma_isr |= 2u << (4 * ch);               /* TCIF */
        if (d->ccr & DMA_CCR_CIRC) {
            d->cndtr = d->ndt_reload;
            d->cur = d->mar_base;
        }
    }
    dma_irq(c, ch);
    return 0;
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
        chip_irq(c, IRQ_USART1);
}

void periph_levels(struct chip *c)
{
    usart_levels(c);
    flash_irq(c);
}

static void usart_tx_load(struct chip *c)
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

extern void main_uart_tx(struct chip *c, uint8_t b);

static void usart_service(struct chip *c)
{
    struct usart *u = &c->u1;
    int changed = 0;
    while (u->tx_busy && c->now >= u->tx_done) {
        uint64_t t = u->tx_done;
        u->tx_busy = 0;
        c->st.uart_tx++;
        main_uart_tx(c, u->tx_shift);
        if (u->tdr_full || (u->cr3 & USART_CR3_DMAT)) {
            usart_tx_load(c);
            if (u->tx_busy)
                u->tx_done = t + usart_char_ps(c);
        }
        if (!u->tx_busy && !u->tdr_full)
            u->isr |= USART_ISR_TC;
        changed = 1;
    }
    struct ring *in = c->host ? host_input(c->host) : NULL;
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
                        u->isr &= ~USART_ISR_RXNE;   /* the DMA read of RDR clears RXNE */
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
        int pe = noise > 0 && (u->cr1 & USART_CR1_PCE);  /* one flipped bit breaks parity */
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

static void usart_reset(struct chip *c)
{
    memset(&c->u1, 0, sizeof c->u1);
    c->u1.isr = USART_ISR_TC;
}

static uint64_t usart_read(struct chip *c, uint32_t r)
{
    struct usart *u = &c->u1;
    switch (r) {
    case 0x00: return u->cr1;
    case 0x04: return u->cr2;
    case 0x08: return u->cr3;
    case 0x0C: return u->brr;
    case 0x10: return u->gtpr;
    case 0x14: return u->rtor;
    case 0x18: return 0;
    case 0x1C: {
        uint32_t v = u->isr | (u->tdr_full ? 0u : USART_ISR_TXE);
        if (u->rx_busy) v |= 1u << 16;                                   /* BUSY */
        if ((u->cr1 & USART_CR1_UE) && (u->cr1 & USART_CR1_TE)) v |= 1u << 21;   /* TEACK */
        if ((u->cr1 & USART_CR1_UE) && (u->cr1 & USART_CR1_RE)) v |= 1u << 22;   /* REACK */
        return v;
    }
    case 0x20: return 0;
    case 0x24: {
        uint32_t v = u->rdr;
        u->isr &= ~USART_ISR_RXNE;
        return v;
    }
    case 0x28: return u->tdr;
    default: return NONE;
    }
}

static void usart_write(struct chip *c, uint32_t r, uint32_t v)
{
    struct usart *u = &c->u1;
    switch (r) {
    case 0x00: {
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
    case 0x04: u->cr2 = v; break;
    case 0x08: u->cr3 = v; break;
    case 0x0C: u->brr = v & 0xFFFFu; break;
    case 0x10: u->gtpr = v; break;
    case 0x14: u->rtor = v; break;
    case 0x18:
        if (v & (1u << 3)) u->isr &= ~USART_ISR_RXNE;   /* RXFRQ */
        break;
    case 0x20:
        u->isr &= ~(v & 0x1Fu);                          /* PECF FECF NCF ORECF IDLECF */
        if (v & (1u << 6)) u->isr &= ~USART_ISR_TC;      /* TCCF */
        break;
    case 0x24: break;
    case 0x28:
        u->tdr = (uint8_t)v;
        u->tdr_full = 1;
        u->isr &= ~USART_ISR_TC;
        break;
    default:
        chip_unmodelled(c, 0x40013800u + r, 1, v);
        return;
    }
    usart_tx_load(c);
    usart_levels(c);
}

/* ---- DMA1 ---------------------------------------------------------------------------- */

static uint64_t dma_read(struct chip *c, uint32_t r)
{
    if (r == 0x00) return c->dma_isr;
    if (r == 0x04) return 0;
    if (r < 0x08 || r >= 0x08 + 5u * 20u) return NONE;
    struct dma_ch *d = &c->dma[(r - 8u) / 20u];
    switch ((r - 8u) % 20u) {
    case 0: return d->ccr;
    case 4: return d->cndtr;
    case 8: return d->cpar;
    case 12: return d->cmar;
    default: return NONE;
    }
}

static void dma_write(struct chip *c, uint32_t r, uint32_t v)
{
    if (r == 0x04) {    /* IFCR: CGIFx clears all flags of channel x */
        for (int ch = 0; ch < 5; ch++) {
            uint32_t f = (v >> (4 * ch)) & 0xFu;
            if (f & 1u) f = 0xFu;
            c->dma_isr &= ~(f << (4 * ch));
        }
        return;
    }
    if (r < 0x08 || r >= 0x08 + 5u * 20u || (r - 8u) % 20u > 12u) {
        chip_unmodelled(c, 0x40020000u + r, 1, v);
        return;
    }
    struct dma_ch *d = &c->dma[(r - 8u) / 20u];
    int en = d->ccr & DMA_CCR_EN;
    switch ((r - 8u) % 20u) {
    case 0:
        if (v & (1u << 14))
            chip_unmodelled(c, 0x40020000u + r, 1, v);   /* MEM2MEM not modelled */
        d->ccr = v & 0x7FFFu;
        if ((v & DMA_CCR_EN) && !en) {
            d->ndt_reload = d->cndtr;
            d->mar_base = d->cur = d->cmar;
            d->par_base = d->cpar;
            if ((d->cpar & ~0xFFu) != 0x40013800u)
                chip_logf(c, "DMA1 channel %d enabled with CPAR 0x%08x: only USART1 requests are modelled",
                          (int)(d - c->dma) + 1, d->cpar);
            /* a pending request is served as soon as the channel is enabled */
            if (d == dma_req(c, 0) && (c->u1.cr3 & USART_CR3_DMAR) && (c->u1.isr & USART_ISR_RXNE)) {
                uint8_t b = (uint8_t)c->u1.rdr;
                if (dma_xfer(c, d, &b) == 0)
                    c->u1.isr &= ~USART_ISR_RXNE;
            }
            usart_tx_load(c);
        }
        break;
    case 4: if (!en) d->cndtr = v & 0xFFFFu; break;   /* read-only while EN */
    case 8: if (!en) d->cpar = v; break;
    case 12: if (!en) d->cmar = v; break;
    default: break;
    }
}

/* ---- RCC ----------------------------------------------------------------------------- */

static void rcc_update_clock(struct chip *c)
{
    uint32_t sw = c->rcc[RCC_CFGR] & 3u;
    uint32_t sws = 0;
    if (sw == 2u && (c->rcc[RCC_CR] & (1u << 25)))
        sws = 2u;
    else if (sw == 1u)
        chip_unmodelled(c, 0x40021004u, 1, c->rcc[RCC_CFGR]);   /* HSE: no crystal */
    c->rcc[RCC_CFGR] = (c->rcc[RCC_CFGR] & ~0xCu) | (sws << 2);
    uint32_t h = rcc_hclk_of(c);
    if (h > 24000000u && !(c->fl.acr & 1u)) {
        static int warned;
        if (!warned++)
            chip_logf(c, "HCLK %u Hz above 24 MHz with FLASH_ACR.LATENCY = 0: a real chip misreads flash",
                      h);
    }
    chip_set_hclk(c, h);
}

static void rcc_write(struct chip *c, uint32_t r, uint32_t v)
{
    uint32_t i = r / 4u;
    switch (i) {
    case RCC_CR: {
        uint32_t cr = (c->rcc[RCC_CR] & 0x02020002u) | (v & 0x010D00F9u) | 1u;   /* HSI stays on */
        if ((v & (1u << 24)) == 0 && (c->rcc[RCC_CFGR] & 0xCu) == 8u)
            cr |= 1u << 24;                      /* PLL cannot stop while it is SYSCLK */
        cr = (cr & ~(1u << 25)) | ((cr & (1u << 24)) << 1);   /* PLLRDY follows PLLON */
        if (v & (1u << 16))
            chip_unmodelled(c, 0x40021000u, 1, v);            /* HSEON: no crystal, never ready */
        c->rcc[RCC_CR] = cr | 2u;
        rcc_update_clock(c);
        break;
    }
    case RCC_CFGR:
        c->rcc[RCC_CFGR] = (v & ~0xCu) | (c->rcc[RCC_CFGR] & 0xCu);
        rcc_update_clock(c);
        break;
    case RCC_APB2RSTR:
        c->rcc[i] = v;
        if (v & 1u) { c->syscfg_cfgr1 = (c->syscfg_cfgr1 & ~3u) | (c->boot_rom_now ? 1u : 0u);
                      chip_remap(c, c->syscfg_cfgr1 & 3u); }
        if (v & (1u << 14)) usart_reset(c);
        break;
    case RCC_AHBRSTR:
        c->rcc[i] = v;
        for (int p = 0; p < 6; p++)
            if (v & (1u << (17 + p))) {
                memset(c->gpio[p], 0, sizeof c->gpio[p]);
                if (p == 0) { c->gpio[0][0] = 0x28000000u; c->gpio[0][2] = 0x0C000000u; c->gpio[0][3] = 0x24000000u; }
            }
        break;
    case RCC_CSR:
        c->rcc[i] = (c->rcc[i] & 0xFE000000u) | (v & 1u) | ((v & 1u) << 1);
        if (v & (1u << 24))
            c->rcc[i] &= 0x00FFFFFFu;            /* RMVF clears the reset flags */
        break;
    case RCC_CIR: case RCC_APB1RSTR: case RCC_AHBENR: case RCC_APB2ENR: case RCC_APB1ENR:
    case RCC_BDCR: case RCC_CFGR2: case RCC_CFGR3: case RCC_CR2:
        c->rcc[i] = v;
        if (i == RCC_AHBENR) c->rcc[i] |= 0x14u & v;
        break;
    default:
        chip_unmodelled(c, 0x40021000u + r, 1, v);
        break;
    }
}

/* ---- IWDG ---------------------------------------------------------------------------- */

static uint64_t iwdg_timeout(const struct chip *c)
{
    /* LSI 40 kHz, prescaler 4 << PR (max /256), 12-bit reload */
    uint32_t div = 4u << (c->iwdg_pr > 6u ? 6u : c->iwdg_pr);
    return (uint64_t)(c->iwdg_rlr + 1u) * div * 25ull * PS_PER_US;
}

static void iwdg_write(struct chip *c, uint32_t r, uint32_t v)
{
    switch (r) {
    case 0x00:
        v &= 0xFFFFu;
        if (v == 0xCCCCu) { c->iwdg_on = 1; c->iwdg_deadline = c->now + iwdg_timeout(c); }
        else if (v == 0xAAAAu) { if (c->iwdg_on) c->iwdg_deadline = c->now + iwdg_timeout(c); }
        else c->iwdg_unlocked = v == 0x5555u;
        chip_reschedule(c);
        break;
    case 0x04: if (c->iwdg_unlocked) c->iwdg_pr = v & 7u; break;
    case 0x08: if (c->iwdg_unlocked) c->iwdg_rlr = v & 0xFFFu; break;
    default: chip_unmodelled(c, 0x40003000u + r, 1, v); break;
    }
}

/* ---- dispatch ------------------------------------------------------------------------ */

static uint32_t block_of(uint32_t off, uint32_t *base)
{
    static const uint32_t bases[] = { P_IWDG, P_SYSCFG, P_USART1, P_DBGMCU, P_DMA1, P_RCC,
                                      P_FLASH, P_CRC };
    for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++)
        if (off >= bases[i] && off < bases[i] + 0x400u) {
            *base = bases[i];
            return off - bases[i];
        }
    *base = UINT32_MAX;
    return off;
}

uint64_t periph_read(uc_engine *uc, uint64_t off64, unsigned size, void *ud)
{
    struct chip *c = ud;
    (void)uc;
    uint32_t base, off = (uint32_t)off64;
    uint32_t r = block_of(off, &base);
    uint32_t rw = r & ~3u, sh = 8u * (r & 3u);
    uint64_t v = NONE;
    if (base != UINT32_MAX && !clk_on(c, base)) {
        chip_logf(c, "read of 0x%08x with its peripheral clock off in RCC: reads 0", 0x40000000u + off);
        return 0;
    }
    switch (base) {
    case P_FLASH: v = flash_reg_read(c, rw); break;
    case P_RCC: if (rw <= 0x34u) v = c->rcc[rw / 4u]; break;
    case P_USART1: v = usart_read(c, rw); break;
    case P_DMA1: v = dma_read(c, rw); break;
    case P_SYSCFG:
        if (rw == 0) v = c->syscfg_cfgr1;
        else if (rw >= 0x08 && rw <= 0x18) v = c->syscfg_regs[(rw - 8u) / 4u];
        break;
    case P_CRC:
        switch (rw) {
        case 0x00: v = (c->crc_cr & 0x80u) ? rev32(c->crc_dr) : c->crc_dr; break;
        case 0x04: v = c->crc_idr; break;
        case 0x08: v = c->crc_cr; break;
        case 0x10: v = c->crc_init; break;
        default: break;
        }
        break;
    case P_DBGMCU:
        if (rw == 0) v = ((uint32_t)0x1000u << 16) | c->o.part->chip_id;   /* REV_ID 0x1000 */
        else if (rw == 4) v = c->dbg_cr;
        else if (rw == 8) v = c->dbg_apb1;
        else if (rw == 12) v = c->dbg_apb2;
        break;
    case P_IWDG:
        if (rw == 4) v = c->iwdg_pr;
        else if (rw == 8) v = c->iwdg_rlr;
        else if (rw == 0x0C) v = 0;     /* SR: PVU/RVU updates complete at once */
        break;
    default: break;
    }
    if (v == NONE) {
        chip_unmodelled(c, 0x40000000u + off, 0, 0);
        return 0;
    }
    uint32_t r32 = ((uint32_t)v >> sh) & mask_size(size);
    chip_read_note(c, 0x40000000u + off, r32);
    return r32;
}

void periph_write(uc_engine *uc, uint64_t off64, unsigned size, uint64_t val, void *ud)
{
    struct chip *c = ud;
    (void)uc;
    uint32_t base, off = (uint32_t)off64;
    uint32_t r = block_of(off, &base);
    uint32_t rw = r & ~3u;
    uint32_t v = (uint32_t)val & mask_size(size);
    if (base != UINT32_MAX && !clk_on(c, base)) {
        chip_logf(c, "write 0x%08x <- 0x%x with its peripheral clock off in RCC: ignored",
                  0x40000000u + off, v);
        return;
    }
    if (base != P_CRC && size < 4)
        v <<= 8u * (r & 3u);
    chip_write_note(c, 0x40000000u + off, v);
    switch (base) {
    case P_FLASH: flash_reg_write(c, rw, v); break;
    case P_RCC: rcc_write(c, rw, v); break;
    case P_USART1: usart_write(c, rw, v); break;
    case P_DMA1: dma_write(c, rw, v); break;
    case P_IWDG: iwdg_write(c, rw, v); break;
    case P_SYSCFG:
        if (rw == 0) {
            c->syscfg_cfgr1 = v & 0x00FF1F13u;
            /* MEM_MODE switches what address 0 aliases, at once */
            chip_remap(c, v & 3u);
        } else if (rw >= 0x08 && rw <= 0x18) {
            c->syscfg_regs[(rw - 8u) / 4u] = v;
        } else {
            chip_unmodelled(c, 0x40000000u + off, 1, v);
        }
        break;
    case P_CRC:
        switch (rw) {
        case 0x00: crc_write_dr(c, v, size); break;
        case 0x04: c->crc_idr = v & 0xFFu; break;
        case 0x08:
            c->crc_cr = v & 0xE0u;
            if (v & 1u) c->crc_dr = c->crc_init;   /* RESET loads INIT */
            break;
        case 0x10: c->crc_init = v; c->crc_dr = v; break;
        default: chip_unmodelled(c, 0x40000000u + off, 1, v); break;
        }
        break;
    case P_DBGMCU:
        if (rw == 4) c->dbg_cr = v;
        else if (rw == 8) c->dbg_apb1 = v;
        else if (rw == 12) c->dbg_apb2 = v;
        else chip_unmodelled(c, 0x40000000u + off, 1, v);
        break;
    default:
        chip_unmodelled(c, 0x40000000u + off, 1, v);
        break;
    }
}

uint64_t gpio_read(uc_engine *uc, uint64_t off64, unsigned size, void *ud)
{
    struct chip *c = ud;
    (void)uc;
    uint32_t off = (uint32_t)off64, port = off / 0x400u, r = (off % 0x400u) & ~3u;
    if (port > 5u || port == 4u || r > 0x28u) {
        chip_unmodelled(c, 0x48000000u + off, 0, 0);
        return 0;
    }
    if (!(c->rcc[RCC_AHBENR] & (1u << (17 + port)))) {
        chip_logf(c, "read of GPIO%c with its clock off (RCC_AHBENR): reads 0", 'A' + port);
        return 0;
    }
    uint32_t v = r == 0x18u ? 0u : c->gpio[port][r / 4u];
    if (r == 0x10u)
        v = c->gpio[port][5];     /* IDR: outputs read back, inputs float to 0 */
    v = (v >> (8u * (off & 3u))) & mask_size(size);
    chip_read_note(c, 0x48000000u + off, v);
    return v;
}

void gpio_write(uc_engine *uc, uint64_t off64, unsigned size, uint64_t val, void *ud)
{
    struct chip *c = ud;
    (void)uc;
    uint32_t off = (uint32_t)off64, port = off / 0x400u, r = (off % 0x400u) & ~3u;
    uint32_t v = ((uint32_t)val & mask_size(size)) << (8u * (off & 3u));
    if (port > 5u || port == 4u || r > 0x28u) {
        chip_unmodelled(c, 0x48000000u + off, 1, v);
        return;
    }
    if (!(c->rcc[RCC_AHBENR] & (1u << (17 + port)))) {
        chip_logf(c, "write to GPIO%c with its clock off (RCC_AHBENR): ignored", 'A' + port);
        return;
    }
    uint32_t *g = c->gpio[port];
    chip_write_note(c, 0x48000000u + off, v);
    if (r == 0x18u) {             /* BSRR: set low half, reset high half */
        g[5] = (g[5] | (v & 0xFFFFu)) & ~(v >> 16);
    } else if (r == 0x28u) {      /* BRR */
        g[5] &= ~(v & 0xFFFFu);
    } else if (r != 0x10u) {
        g[r / 4u] = v;
    }
}

/* ---- reset and time ------------------------------------------------------------------ */

void periph_reset(struct chip *c)
{
    uint32_t csr_flags = c->rcc[RCC_CSR] & 0xFE000000u;
    memset(c->rcc, 0, sizeof c->rcc);
    c->rcc[RCC_CR] = 0x83u;                  /* HSION, HSIRDY, HSITRIM = 16 */
    c->rcc[RCC_AHBENR] = 0x14u;              /* SRAMEN, FLITFEN */
    c->rcc[RCC_CSR] = csr_flags | c->reset_flags;
    c->reset_flags = 0;
    c->syscfg_cfgr1 = c->boot_rom_now ? 1u : 0u;  /* MEM_MODE from the BOOT pins */
    memset(c->syscfg_regs, 0, sizeof c->syscfg_regs);
    memset(c->gpio, 0, sizeof c->gpio);
    c->gpio[0][0] = 0x28000000u;             /* PA13/PA14 in AF mode (SWD) */
    c->gpio[0][2] = 0x0C000000u;
    c->gpio[0][3] = 0x24000000u;
    crc_reset_model(c);
    c->iwdg_pr = 0;
    c->iwdg_rlr = 0xFFFu;
    c->iwdg_on = 0;
    c->iwdg_unlocked = 0;
    c->iwdg_deadline = T_NEVER;
    c->dbg_cr = c->dbg_apb1 = c->dbg_apb2 = 0;
    /* a reset in the middle of a flash operation leaves it as far as it got */
    struct flash_ctl *f = &c->fl;
    flash_apply_fixups(c);
    uc_hook read_hook = f->read_hook;   /* the installed read hook outlives resets */
    int read_hook_on = f->read_hook_on;
    memset(f, 0, sizeof *f);
    f->read_hook = read_hook;
    f->read_hook_on = read_hook_on;
    f->cr = FLASH_CR_LOCK;
    f->obr = 0x03FFFF02u;                    /* RDPRT level 0, user bits erased (approx.) */
    f->wrpr = 0xFFFFFFFFu;
    usart_reset(c);
    memset(c->dma, 0, sizeof c->dma);
    c->dma_isr = 0;
}

uint64_t periph_next_event(struct chip *c)
{
    uint64_t t = T_NEVER;
    if (c->fl.busy && c->fl.busy_until < t) t = c->fl.busy_until;
    if (c->u1.tx_busy && c->u1.tx_done < t) t = c->u1.tx_done;
    if (c->u1.rx_busy && c->u1.rx_done < t) t = c->u1.rx_done;
    if (!c->u1.rx_busy && c->host && ring_count(host_input(c->host)) &&
        (c->u1.cr1 & USART_CR1_UE) && (c->u1.cr1 & USART_CR1_RE))
        t = c->now < t ? c->now : t;
    if (c->iwdg_on && c->iwdg_deadline < t) t = c->iwdg_deadline;
    if (c->rom_running) {
        uint64_t r = rom_next_event(c);
        if (r < t) t = r;
    }
    return t;
}

void periph_service(struct chip *c)
{
    flash_finish(c);
    if (c->stop != STOP_NONE)
        return;
    if (c->rom_running)
        rom_service(c);
    else
        usart_service(c);
    if (c->iwdg_on && c->now >= c->iwdg_deadline) {
        chip_logf(c, "IWDG timeout: reset");
        c->iwdg_on = 0;
        c->iwdg_deadline = T_NEVER;
        c->reset_req = 1;
        c->reset_flags = (1u << 29) | (1u << 26);   /* IWDGRSTF | PINRSTF */
        uc_emu_stop(c->uc);
    }
}

/* ---- flash access for the ROM bootloader model ------------------------------------- */

int64_t flash_rom_erase_page(struct chip *c, uint32_t page)
{
    uint32_t off = page * c->o.part->page_size;
    if (off >= c->o.part->flash_size)
        return -1;
    c->st.page_erases++;
    c->flash_ops++;
    if (c->o.power_cut_op && c->flash_ops == c->o.power_cut_op) {
        c->fl.op_kind = 2;
        c->fl.op_addr = off;
        flash_tear(c, 0.5);
        return -1;
    }
    memset(c->flash + off, 0xFF, c->o.part->page_size);
    chip_invalidate_code(c, FLASH_BASE + off, c->o.part->page_size);
    return (int64_t)(c->o.erase_ps / 1000u);
}

int64_t flash_rom_mass_erase(struct chip *c)
{
    c->st.mass_erases++;
    c->flash_ops++;
    if (c->o.power_cut_op && c->flash_ops == c->o.power_cut_op) {
        c->fl.op_kind = 3;
        c->fl.op_addr = 0;
        flash_tear(c, 0.5);
        return -1;
    }
    memset(c->flash, 0xFF, c->o.part->flash_size);
    chip_invalidate_code(c, FLASH_BASE, c->o.part->flash_size);
    return (int64_t)(c->o.mass_erase_ps / 1000u);
}

int64_t flash_rom_program(struct chip *c, uint32_t addr, const uint8_t *d, uint32_t len)
{
    if (addr >= SRAM_BASE && addr + len <= SRAM_BASE + c->o.part->sram_size) {
        memcpy(c->sram + (addr - SRAM_BASE), d, len);
        return 0;
    }
    if (addr < FLASH_BASE || addr + len > FLASH_BASE + c->o.part->flash_size)
        return -1;
    uint32_t off = addr - FLASH_BASE;
    int64_t ns = 0;
    /* the ROM programs half-words; an odd tail is padded with 0xFF */
    for (uint32_t i = 0; i < len; i += 2) {
        uint16_t nv = (uint16_t)(d[i] | (i + 1 < len ? d[i + 1] : 0xFFu) << 8), cell;
        memcpy(&cell, c->flash + off + i, 2);
        if (cell != 0xFFFFu && nv != 0x0000u) {
            c->st.prog_errors++;
            return -1;
        }
        if (nv == 0xFFFFu)
            continue;     /* the ROM skips erased half-words (nothing to program) */
        c->st.prog_ops++;
        c->flash_ops++;
        if (c->o.power_cut_op && c->flash_ops == c->o.power_cut_op) {
            c->fl.op_kind = 1;
            c->fl.op_addr = off + i;
            c->fl.op_value = nv;
            flash_tear(c, 0.5);
            return -1;
        }
        memcpy(c->flash + off + i, &nv, 2);
        ns += (int64_t)(c->o.prog_ps / 1000u);
    }
    chip_invalidate_code(c, addr, len);
    return ns;
}
