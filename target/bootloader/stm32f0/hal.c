/*
 * The STM32F0 port: f0b_hal.h on RM0360 registers. Everything is polled; the bootloader
 * takes no interrupts. Peripherals used: RCC, FLASH, GPIOA, USART1, DMA1 channel 3, CRC,
 * DBGMCU, SysTick, NVIC and SCB (the last two only to hand a clean core to the app).
 */
#include <stdint.h>

#include "f0b_core.h"
#include "f0b_hal.h"
#include "f0boot/layout.h"
#include "f0_clock.h"
#include "f0_part.h"
#include "f0_usart1.h" /* F0_USART_BRR */
#include "port.h"
#include "stm32f0_regs.h"

#ifndef F0B_RX_RING_SIZE
#error "F0B_RX_RING_SIZE must be defined (bytes of the USART1 receive ring)"
#endif

#define FLASH_END (F0B_FLASH_BASE + (uint32_t)F0_PART_FLASH_KB * 1024u)
/* BSY polls before giving up. While the flash is busy the CPU cannot fetch from it, so on
 * the chip this loop only runs once BSY is about to clear; the count is a guard against a
 * flash interface that never finishes, about 0.3 s at 48 MHz if the fetch did not stall. */
#define FLASH_TIMEOUT 0x200000u
#define BAUD_DEFAULT  115200u

/* USART1 receive ring, filled by DMA1 channel 3 in circular mode: bytes keep arriving while
 * a page erase (20-40 ms) stalls every instruction fetch from flash. Not cleared at reset:
 * only bytes the DMA wrote after f0b_port_init() are ever read. */
static uint8_t rx_ring[F0B_RX_RING_SIZE] __attribute__((section(".noinit"), aligned(4)));
static uint32_t rx_tail;
static uint32_t baud_now;
static uint32_t ms_now, ms_frac, systick_last;

typedef uint32_t __attribute__((may_alias)) f0b_u32_alias;

void f0b_port_early_init(void) { RCC_AHBENR |= RCC_AHBENR_CRCEN; }

/* Only ever called straight after reset, so registers hold their reset values and plain
 * writes replace read-modify-write sequences (smaller code). */
void f0b_port_init(void)
{
    f0_clock_48mhz();

    /* SysTick free-running from the 48 MHz core clock, no interrupt: f0b_hal_millis()
     * accumulates the 24-bit down-counter (it must be called at least every 349 ms). */
    SYST_RVR = 0x00FFFFFFu;
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_ENABLE;

    /* Clocks: CRC (already on), GPIOA, DMA; USART1; DBGMCU (the chip id sits behind its
     * own APB clock gate). */
    RCC_AHBENR = RCC_AHBENR_RESET | RCC_AHBENR_CRCEN | RCC_AHBENR_IOPAEN | RCC_AHBENR_DMAEN;
    RCC_APB2ENR = RCC_APB2ENR_USART1EN | RCC_APB2ENR_DBGMCUEN;
    /* PA9/PA10 to AF1 (USART1), PA13/PA14 kept as SWD (their reset mode), pull-up on RX
     * so an unconnected line idles high instead of floating into false start bits. */
    GPIOA_AFRH = (1u << 4) | (1u << 8);
    GPIOA_PUPDR = GPIOA_PUPDR_RESET | (GPIO_PUPDR_PU << 20);
    GPIOA_MODER = GPIOA_MODER_RESET | (GPIO_MODER_AF << 18) | (GPIO_MODER_AF << 20);

    DMA1_CPAR3 = (uint32_t)&USART1_RDR;
    DMA1_CMAR3 = (uint32_t)rx_ring;
    DMA1_CNDTR3 = F0B_RX_RING_SIZE;
    /* Peripheral to memory, 8-bit both sides, memory increment, circular. */
    DMA1_CCR3 = DMA_CCR_MINC | DMA_CCR_CIRC | DMA_CCR_EN;
    baud_now = BAUD_DEFAULT;
    USART1_BRR = F0_USART_BRR(F0_SYSCLK_HZ, BAUD_DEFAULT);
    /* DMAR: each received byte becomes a DMA request. OVRDIS: should the DMA ever fall
     * behind, keep receiving instead of freezing on ORE. */
    USART1_CR3 = USART_CR3_DMAR | USART_CR3_OVRDIS;
    USART1_CR1 = USART_CR1_UE | USART_CR1_RE | USART_CR1_TE;
}

/* --- flash --------------------------------------------------------------------------- */

static void flash_unlock(void)
{
    if (FLASH_CR & FLASH_CR_LOCK) {
        FLASH_KEYR = FLASH_KEY1;
        FLASH_KEYR = FLASH_KEY2;
    }
}

/* Wait for the end of an operation and clear its flags. Returns OK, the WRPRTERR or
 * timeout status, or err for PGERR. */
static int flash_finish(int err)
{
    uint32_t n = FLASH_TIMEOUT;
    int st = F0B_ST_OK;
    while (FLASH_SR & FLASH_SR_BSY) {
        if (--n == 0) {
            st = F0B_ST_FLASH_TIMEOUT;
            break;
        }
    }
    uint32_t sr = FLASH_SR;
    FLASH_SR = sr & (FLASH_SR_PGERR | FLASH_SR_WRPRTERR | FLASH_SR_EOP); /* write 1 to clear */
    if (sr & FLASH_SR_WRPRTERR)
        st = F0B_ST_FLASH_PROTECTED;
    else if (sr & FLASH_SR_PGERR)
        st = err;
    return st;
}

/* The bootloader's own pages (below the application start) are never erased or written,
 * whatever the caller asks. */
static int flash_range_ok(uint32_t addr, uint32_t len)
{
    return addr >= F0B_APP_START && addr < FLASH_END && len <= FLASH_END - addr;
}

/* After a page erase that ended with status st: lock the flash again and check the page
 * is blank (an erase cut short by the chip itself leaves bits at 0). */
static int erase_done(uint32_t page_addr, int st)
{
    FLASH_CR = FLASH_CR_LOCK; /* clears PER and locks against stray writes */
    if (st != F0B_ST_OK)
        return st;
    for (const volatile uint32_t *p = (const uint32_t *)page_addr;
         p < (const uint32_t *)(page_addr + F0_PART_PAGE); p++)
        if (*p != 0xFFFFFFFFu)
            return F0B_ST_FLASH_ERASE;
    return F0B_ST_OK;
}

#if F0B_SECURE
static void no_work(void *ctx) { (void)ctx; }
#endif

int f0b_hal_flash_erase(uint32_t page_addr)
{
#if F0B_SECURE
    /* one erase sequence in the secure build: the one that can run a job meanwhile */
    return f0b_hal_flash_erase_with(page_addr, no_work, 0);
#else
    if (!flash_range_ok(page_addr, F0_PART_PAGE))
        return F0B_ST_FLASH_PROTECTED;
    if (page_addr & (F0_PART_PAGE - 1u))
        return F0B_ST_FLASH_ERASE;
    flash_unlock();
    FLASH_CR = FLASH_CR_PER;
    FLASH_AR = page_addr;
    FLASH_CR = FLASH_CR_PER | FLASH_CR_STRT;
    int st = flash_finish(F0B_ST_FLASH_ERASE);
    return erase_done(page_addr, st);
#endif
}

int f0b_hal_flash_program(uint32_t addr, const uint8_t *src, uint32_t len)
{
    int st = F0B_ST_OK;
    if (!flash_range_ok(addr, len))
        return F0B_ST_FLASH_PROTECTED;
    if ((addr | len) & 1u)
        return F0B_ST_FLASH_PROGRAM;
    flash_unlock();
    /* PG stays set for the whole run: each 16-bit store starts one programming. */
    FLASH_CR = FLASH_CR_PG;
    for (uint32_t i = 0; i < len && st == F0B_ST_OK; i += 2) {
        volatile uint16_t *cell = (volatile uint16_t *)(addr + i);
        uint16_t v = (uint16_t)(src[i] | (src[i + 1] << 8));
        /* Erased cells already read 0xFFFF: programming them would only cost 50 us. */
        if (v != 0xFFFFu) {
            *cell = v; /* with PG set the F0 takes only 16-bit stores */
            st = flash_finish(F0B_ST_FLASH_PROGRAM);
        }
        if (st == F0B_ST_OK && *cell != v)
            st = F0B_ST_FLASH_PROGRAM;
    }
    FLASH_CR = FLASH_CR_LOCK; /* clears PG, locks */
    return st;
}

const uint8_t *f0b_hal_flash_ptr(uint32_t addr) { return (const uint8_t *)addr; }

#if F0B_SECURE
/* Start the erase, run the job from SRAM while it runs, wait for BSY from SRAM too: nothing
 * here may fetch from flash until the erase is over. */
__attribute__((section(".data.ramfunc"), noinline, long_call)) static uint32_t
erase_and_work(uint32_t page_addr, void (*work)(void *ctx), void *ctx)
{
    uint32_t n = FLASH_TIMEOUT;
    FLASH_CR = FLASH_CR_PER;
    FLASH_AR = page_addr;
    FLASH_CR = FLASH_CR_PER | FLASH_CR_STRT;
    work(ctx);
    while ((FLASH_SR & FLASH_SR_BSY) && --n)
        ;
    return n;
}

int f0b_hal_flash_erase_with(uint32_t page_addr, void (*work)(void *ctx), void *ctx)
{
    if (!flash_range_ok(page_addr, F0_PART_PAGE) || (page_addr & (F0_PART_PAGE - 1u))) {
        work(ctx);
        return flash_range_ok(page_addr, F0_PART_PAGE) ? F0B_ST_FLASH_ERASE
                                                       : F0B_ST_FLASH_PROTECTED;
    }
    flash_unlock();
    int st = erase_and_work(page_addr, work, ctx) ? flash_finish(F0B_ST_FLASH_ERASE)
                                                  : F0B_ST_FLASH_TIMEOUT;
    return erase_done(page_addr, st);
}

/* --- option bytes: read-out protection (RM0360 section 4) ------------------------------ */

uint32_t f0b_hal_rdp_level(void)
{
    uint32_t r = (FLASH_OBR & FLASH_OBR_RDPRT_MASK) >> 1;
    return r == 0 ? 0u : r == 1 ? 1u : 2u;
}

int f0b_hal_rdp_set_level1(void)
{
    /* The 8 option bytes (each a half-word: the byte, then its complement) are erased
     * together: keep USER, DATA0/1 and WRP0..3 to program back. RDP stays erased (0xFF):
     * any value but 0xAA (level 0) and 0xCC (level 2) is level 1. */
    volatile uint16_t *ob = (volatile uint16_t *)FLASH_OB_BASE;
    uint8_t keep[8];
    int st;

    for (unsigned i = 1; i < 8; i++)
        keep[i] = (uint8_t)ob[i];
    flash_unlock();
    /* The same key sequence on FLASH_OPTKEYR sets OPTWRE; a CR write keeps it only as 1. */
    FLASH_OPTKEYR = FLASH_KEY1;
    FLASH_OPTKEYR = FLASH_KEY2;
    FLASH_CR = FLASH_CR_OPTWRE | FLASH_CR_OPTER;
    FLASH_CR = FLASH_CR_OPTWRE | FLASH_CR_OPTER | FLASH_CR_STRT;
    st = flash_finish(F0B_ST_FLASH_ERASE);
    /* With OPTPG a half-word store programs one byte; the hardware writes its complement. */
    FLASH_CR = FLASH_CR_OPTWRE | FLASH_CR_OPTPG;
    for (unsigned i = 1; i < 8 && st == F0B_ST_OK; i++) {
        if (keep[i] != 0xFFu) {
            ob[i] = keep[i];
            st = flash_finish(F0B_ST_FLASH_PROGRAM);
        }
    }
    FLASH_CR = FLASH_CR_LOCK; /* clears OPTPG and OPTWRE, locks */
    return st;
}

_Noreturn void f0b_hal_load_option_bytes(void)
{
    flash_unlock();
    FLASH_CR = FLASH_CR_OBL_LAUNCH; /* reload the option bytes: a system reset */
    for (;;)
        ;
}
#endif

/* --- CRC unit ------------------------------------------------------------------------ */

/* Polynomial 0x04C11DB7 (fixed on the F030), init 0xFFFFFFFF (CRC_INIT's reset value),
 * bytes in order: a little-endian word is fed byte-swapped (REV) so that byte 0 goes first;
 * cr picks the bit order (RESET also loads INIT into DR). */
static uint32_t crc_unit(const uint8_t *p, uint32_t len, uint32_t cr)
{
    CRC_CR = cr;
    if (((uintptr_t)p & 3u) == 0) {
        for (; len >= 4; len -= 4, p += 4)
            CRC_DR = __builtin_bswap32(*(const f0b_u32_alias *)p);
    }
    while (len--)
        CRC_DR8 = *p++;
    return CRC_DR;
}

/* zlib's crc32: input and output bit-reflected (REV_IN = 01 reflects each byte, REV_OUT the
 * result), result inverted. */
uint32_t f0b_hal_crc32(const uint8_t *p, uint32_t len)
{
    return ~crc_unit(p, len, CRC_CR_RESET | CRC_CR_REV_IN_BYTE | CRC_CR_REV_OUT);
}

/* CRC-32/MPEG-2: the unit as it is, nothing reflected, nothing inverted. */
uint32_t f0b_hal_crc_frame(const uint8_t *p, uint32_t len)
{
    return crc_unit(p, len, CRC_CR_RESET);
}

/* --- time ------------------------------------------------------------------------------ */

uint32_t f0b_hal_millis(void)
{
    uint32_t now = SYST_CVR;
    ms_frac += (systick_last - now) & 0x00FFFFFFu; /* it counts down */
    systick_last = now;
    while (ms_frac >= F0_SYSCLK_HZ / 1000u) {
        ms_frac -= F0_SYSCLK_HZ / 1000u;
        ms_now++;
        /* An application that started the IWDG (or option bytes that start it at reset)
         * leaves it running through the reset into the bootloader, and nothing can stop
         * it: reload it once per millisecond from the protocol's poll loop so an update is
         * not cut off by watchdog resets. A reload while the IWDG is off has no effect. */
        IWDG_KR = IWDG_KR_RELOAD;
    }
    return ms_now;
}

/* --- USART1 ---------------------------------------------------------------------------- */

uint32_t f0b_hal_rx_peek(const uint8_t **p)
{
    /* CNDTR counts down from the ring size to 1, then reloads: the DMA's write index. */
    uint32_t head = F0B_RX_RING_SIZE - DMA1_CNDTR3;
    if (head >= F0B_RX_RING_SIZE)
        head = 0;
    *p = rx_ring + rx_tail;
    /* up to the write index, or to the end of the ring when the data wraps */
    return (head >= rx_tail ? head : F0B_RX_RING_SIZE) - rx_tail;
}

void f0b_hal_rx_drop(uint32_t n)
{
    rx_tail += n;
    if (rx_tail == F0B_RX_RING_SIZE)
        rx_tail = 0;
}

void f0b_hal_tx(const uint8_t *src, uint32_t len)
{
    while (len--) {
        while ((USART1_ISR & USART_ISR_TXE) == 0)
            ;
        USART1_TDR = *src++;
    }
}

void f0b_hal_tx_flush(void)
{
    while ((USART1_ISR & USART_ISR_TC) == 0)
        ;
}

/* Rounded clock / baud by repeated subtraction: at most 40000 rounds (1200 baud), well
 * under a millisecond, and no libgcc divider (276 bytes) in a 4 KB bootloader. */
static uint32_t brr_for(uint32_t baud)
{
    uint32_t num = F0_SYSCLK_HZ + baud / 2u, q = 0;
    while (num >= baud) {
        num -= baud;
        q++;
    }
    return q;
}

int f0b_hal_set_baud(uint32_t baud)
{
    /* BRR >= 16 with 16x oversampling (3 Mbaud at 48 MHz), and a divider error under 2 %. */
    if (baud < 1200u || baud > F0_SYSCLK_HZ / 16u)
        return F0B_ST_BAD_ARG;
    uint32_t brr = brr_for(baud);
    uint32_t got = brr * baud;
    uint32_t err = got > F0_SYSCLK_HZ ? got - F0_SYSCLK_HZ : F0_SYSCLK_HZ - got;
    if (err > F0_SYSCLK_HZ / 50u)
        return F0B_ST_BAD_ARG;
    f0b_hal_tx_flush();
    /* BRR can only be written while the USART is disabled (UE = 0). */
    USART1_CR1 = 0;
    USART1_BRR = brr;
    USART1_CR1 = USART_CR1_UE | USART_CR1_RE | USART_CR1_TE;
    baud_now = baud;
    return F0B_ST_OK;
}

uint32_t f0b_hal_get_baud(void) { return baud_now; }

/* --- system ---------------------------------------------------------------------------- */

uint16_t f0b_hal_chip_id(void) { return (uint16_t)(DBGMCU_IDCODE & DBGMCU_IDCODE_DEV_ID_MASK); }

/* The request is words 0-1 of the SRAM vector area (include/f0boot/layout.h): magic and
 * complement, written by the application, which cleared the reset flags (RMVF) before its
 * software reset. SRAM is garbage after power-on, but PORRSTF stays set until cleared, so
 * a chance match after a power-on (or a watchdog reset) never keeps the bootloader. */
int f0b_hal_take_update_request(void)
{
    uintptr_t base = F0B_REQ_ADDR;
    __asm__("" : "+l"(base)); /* one base register for both words, not two literals */
    volatile uint32_t *req = (volatile uint32_t *)base;
    uint32_t w0 = req[0];
    /* RCC_CSR bits 31:25 (LPWR WWDG IWDG SFT POR PIN OBL): SFTRSTF alone, PINRSTF ignored
     * (every internal reset also pulses NRST). Differences ORed, no branches: 4 KB budget. */
    uint32_t flags = (RCC_CSR >> 25) | (RCC_CSR_PINRSTF >> 25);
    uint32_t diff = (w0 ^ F0B_REQ_UPDATE_MAGIC) | (w0 ^ ~req[1]) |
                    (flags ^ ((RCC_CSR_SFTRSTF | RCC_CSR_PINRSTF) >> 25));
    /* Cleared on read: the next reset (a crash of the new application, say) boots it. */
    req[0] = 0;
    return diff == 0;
}

_Noreturn void f0b_hal_reset(void)
{
    f0_dsb(); /* let every pending write (flash, SRAM) finish */
    SCB_AIRCR = SCB_AIRCR_RESET;
    f0_dsb();
    for (;;)
        ;
}

_Noreturn void f0b_hal_start_app(uint32_t app_start)
{
    const volatile uint32_t *vt = (const volatile uint32_t *)app_start;

    /* Nothing may interrupt between here and the application's own vector-table remap:
     * address 0 still maps the bootloader's 4-entry table. The application's startup
     * re-enables interrupts (cpsie i) once its table is in place. */
    __asm__ volatile("cpsid i" ::: "memory");
    SYST_CSR = 0;
    SYST_RVR = 0;
    SYST_CVR = 0;
    NVIC_ICER = 0xFFFFFFFFu;
    NVIC_ICPR = 0xFFFFFFFFu;
    SCB_ICSR = SCB_ICSR_PENDSTCLR | SCB_ICSR_PENDSVCLR;

    /* DMA and CRC have no reset bit in RCC_AHBRSTR: put their registers back by hand. */
    DMA1_CCR3 = 0;
    DMA1_CNDTR3 = 0;
    DMA1_CPAR3 = 0;
    DMA1_CMAR3 = 0;
    DMA1_IFCR = DMA_IFCR_CGIF3;
    CRC_CR = CRC_CR_RESET; /* REV_IN/REV_OUT = 0, DR = INIT */
    /* USART1, SYSCFG and GPIOA through their reset bits (PA9/PA10 back to inputs). */
    RCC_APB2RSTR = RCC_APB2RSTR_USART1RST | RCC_APB2RSTR_SYSCFGRST;
    RCC_APB2RSTR = 0;
    RCC_AHBRSTR = RCC_AHBRSTR_IOPARST;
    RCC_AHBRSTR = 0;
    RCC_AHBENR = RCC_AHBENR_RESET;
    RCC_APB2ENR = 0;
    f0_clock_reset();

    /* MSP from vector 0, branch to vector 1 (its Thumb bit set: the header check made sure). */
    uint32_t sp = vt[0], pc = vt[1];
    __asm__ volatile("msr msp, %0\n\tbx %1" ::"r"(sp), "r"(pc) : "memory");
    __builtin_unreachable();
}
