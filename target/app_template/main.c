/*
 * Example application for the f0boot bootloader: proves the vector-table remap works by
 * running two interrupts from the copied table.
 *   - SysTick every 1 ms counts ticks;
 *   - USART1 (PA9 TX / PA10 RX, 115200 8N1) receive interrupt echoes each byte and counts
 *     it; transmission is interrupt-driven from a small queue;
 *   - every 100 ms a status line:   app v1.0.0 ticks=1234 rx=5
 *   - every received byte goes to f0boot_app_feed() (the f0boot application library,
 *     target/f0boot_app/): the request sequence f0boot sends (F0B_APP_REQUEST) re-enters
 *     the bootloader, with "entering bootloader" printed first (f0boot_app_before_update);
 *   - the byte 'B' does the same (f0boot_app_request_update()), the manual way.
 * At start it prints whether address 0 shows its own vector table (the remap check).
 * APP_VERSION (a string) is set by the build; the template builds it twice (app, app_v2).
 */
#include <stdint.h>

#include "f0_usart1.h"
#include "f0boot/layout.h"
#include "f0boot_app.h"
#include "stm32f0_regs.h"

#ifndef APP_VERSION
#define APP_VERSION "0.0.0"
#endif

#define STATUS_PERIOD_MS 100u
#define TXQ_SIZE         256u /* power of two */

extern uint32_t __vectors_start[];

static volatile uint32_t ticks, rx_count;
static volatile uint8_t boot_requested;
static volatile uint8_t txq[TXQ_SIZE];
static volatile uint32_t txq_head, txq_tail; /* head: producers; tail: the TX interrupt */

void SysTick_Handler(void);
void USART1_IRQHandler(void);

void SysTick_Handler(void) { ticks++; }

/* Called with interrupts masked (from main) or from the USART1 handler itself. */
static int txq_put(uint8_t c)
{
    if (txq_head - txq_tail >= TXQ_SIZE)
        return 0;
    txq[txq_head % TXQ_SIZE] = c;
    txq_head++;
    USART1_CR1 |= USART_CR1_TXEIE;
    return 1;
}

void USART1_IRQHandler(void)
{
    uint32_t isr = USART1_ISR;
    /* RXNEIE also raises this interrupt on overrun; clear ORE or it fires forever. */
    if (isr & USART_ISR_ORE)
        USART1_ICR = USART_ICR_ORECF;
    if (isr & USART_ISR_RXNE) {
        uint8_t c = (uint8_t)USART1_RDR;
        rx_count++;
        (void)f0boot_app_feed(c); /* returns unless c completes the request */
        if (c == 'B')
            boot_requested = 1;
        else
            txq_put(c); /* echo; dropped if the queue is full */
    }
    if ((isr & USART_ISR_TXE) && (USART1_CR1 & USART_CR1_TXEIE)) {
        if (txq_tail != txq_head) {
            USART1_TDR = txq[txq_tail % TXQ_SIZE];
            txq_tail++;
        } else {
            USART1_CR1 &= ~USART_CR1_TXEIE;
        }
    }
}

/* Queue c with interrupts masked, then restore PRIMASK as it was (not simply cpsie: code
 * that runs with interrupts masked must not have them enabled behind its back). */
static void put_char(uint8_t c)
{
    for (;;) {
        uint32_t primask;
        __asm__ volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask)::"memory");
        int ok = txq_put(c);
        __asm__ volatile("msr primask, %0" ::"r"(primask) : "memory");
        if (ok)
            return;
    }
}

static void put_str(const char *s)
{
    while (*s)
        put_char((uint8_t)*s++);
}

static void put_uint(uint32_t v)
{
    char buf[11];
    int i = sizeof buf - 1;
    buf[i] = '\0';
    do {
        buf[--i] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0);
    put_str(&buf[i]);
}

static void put_hex(uint32_t v)
{
    put_str("0x");
    for (int sh = 28; sh >= 0; sh -= 4)
        put_char((uint8_t) "0123456789abcdef"[(v >> sh) & 0xFu]);
}

static void drain(void)
{
    while (txq_tail != txq_head)
        ;
    while ((USART1_ISR & USART_ISR_TC) == 0)
        ;
}

/* The request sequence completed inside the USART1 interrupt, where the TX interrupt that
 * empties the queue cannot run: send what is queued and the farewell line by polling. */
void f0boot_app_before_update(void)
{
    static const char bye[] = "entering bootloader\r\n";
    USART1_CR1 &= ~USART_CR1_TXEIE;
    for (const char *s = bye; txq_tail != txq_head || *s;) {
        while ((USART1_ISR & USART_ISR_TXE) == 0)
            ;
        USART1_TDR = txq_tail != txq_head ? txq[txq_tail++ % TXQ_SIZE] : (uint8_t)*s++;
    }
    while ((USART1_ISR & USART_ISR_TC) == 0)
        ;
}

int main(void)
{
    f0_usart1_pins();
    USART1_BRR = F0_USART_BRR(F0_SYSCLK_HZ, 115200u);
    USART1_CR1 = USART_CR1_UE | USART_CR1_RE | USART_CR1_TE | USART_CR1_RXNEIE;
    NVIC_ISER = 1u << USART1_IRQn;

    /* 1 ms tick from the 48 MHz core clock. */
    SYST_RVR = F0_SYSCLK_HZ / 1000u - 1u;
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_TICKINT | SYST_CSR_ENABLE;
#ifdef F0B_BROKEN_LATE_REMAP
    /* Broken on purpose: the remap after the tick runs, as when HAL_Init() and a clock
     * set-up that waits on the tick come before it. */
    while ((SYST_CSR & SYST_CSR_COUNTFLAG) == 0)
        ;
    f0boot_app_remap();
#endif

    /* Address 0 must now show the copy of this application's table. (The empty asm hides
     * the constant 0 from GCC, which would otherwise treat the read as a null access.) */
    uintptr_t zero_addr = 0;
    __asm__("" : "+r"(zero_addr));
    const volatile uint32_t *zero = (const volatile uint32_t *)zero_addr;
    int remapped = zero[0] == __vectors_start[0] && zero[1] == __vectors_start[1];
    put_str("\r\napp v" APP_VERSION " started at ");
    put_hex(__vectors_start[1] & ~1u);
    put_str(remapped ? ", vectors remapped to SRAM\r\n" : ", REMAP FAILED\r\n");
    put_str("send 'B' to enter the bootloader\r\n");
#ifdef F0B_BROKEN_FAULT
    /* Broken on purpose: a store past the end of SRAM (a bad pointer): a bus fault. */
    *(volatile uint32_t *)(F0B_SRAM_BASE + 0x10000u) = 1u;
#endif
#ifdef F0B_BROKEN_VT_WRITE
    /* Broken on purpose: stack painting that starts 16 bytes below the application's RAM,
     * over the last four vectors of the copy. */
    for (volatile uint32_t *p = (volatile uint32_t *)(F0B_APP_RAM_START - 16u);
         p < (volatile uint32_t *)F0B_APP_RAM_START; p++)
        *p = 0xDEADBEEFu;
#endif

    uint32_t last = ticks;
    for (;;) {
        if (boot_requested) {
            put_str("entering bootloader\r\n");
            drain();
            f0boot_app_request_update();
        }
        if (ticks - last >= STATUS_PERIOD_MS) {
            last += STATUS_PERIOD_MS;
            put_str("app v" APP_VERSION " ticks=");
            put_uint(ticks);
            put_str(" rx=");
            put_uint(rx_count);
            put_str("\r\n");
        }
        /* Sleep until the next interrupt (SysTick at the latest, 1 ms). */
        __asm__ volatile("wfi");
    }
}
