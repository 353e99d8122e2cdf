/*
 * f0boot application library (f0boot_app.h): the vector-table remap, the update request,
 * and the request sequence on the UART. Registers as RM0360 names them.
 */
#include <stdint.h>

#include "f0boot/layout.h"
#include "f0boot_app.h"
#include "f0_usart1.h"
#include "stm32f0_regs.h"

_Static_assert(sizeof F0B_APP_REQUEST - 1u == F0B_APP_REQUEST_LEN, "request length");

void f0boot_app_remap(void)
{
    /* Word copy: the table is at the application start in flash; the copy goes to the
     * 192 bytes of SRAM that the application's linker script leaves out of its RAM. Words
     * 0-1 (SP, reset vector) are never fetched from SRAM (at reset MEM_MODE returns to the
     * boot pins' mapping), which is why the update request may use them later. */
    const volatile uint32_t *src = (const volatile uint32_t *)F0B_APP_START;
    volatile uint32_t *dst = (volatile uint32_t *)F0B_SRAM_BASE;
    for (uint32_t i = 0; i < F0B_VT_MAX / 4u; i++)
        dst[i] = src[i];
    /* Without the SYSCFG clock the remap write is silently ignored; the read-back makes
     * sure the clock runs before SYSCFG is written. */
    RCC_APB2ENR |= RCC_APB2ENR_SYSCFGEN;
    (void)RCC_APB2ENR;
    /* MEM_MODE = 11: SRAM at address 0, the core now fetches vectors from the copy. */
    SYSCFG_CFGR1 = (SYSCFG_CFGR1 & ~SYSCFG_CFGR1_MEM_MODE_MASK) | SYSCFG_CFGR1_MEM_MODE_SRAM;
    f0_dsb();
}

_Noreturn void f0boot_app_request_update(void)
{
    volatile uint32_t *req = (volatile uint32_t *)F0B_REQ_ADDR;

    /* No interrupt from here on: the words overwritten below are the copy's SP and reset
     * vector, which no exception reads, but nothing else should run either. */
    __asm__ volatile("cpsid i" ::: "memory");
    /* Clear the reset flags: the bootloader takes the request only after a software reset
     * with no power-on or watchdog flag beside it (PORRSTF stays set from power-on). */
    RCC_CSR |= RCC_CSR_RMVF;
    req[0] = F0B_REQ_UPDATE_MAGIC;
    req[1] = ~F0B_REQ_UPDATE_MAGIC;
    f0_dsb(); /* the request must be in SRAM before the reset */
    SCB_AIRCR = SCB_AIRCR_RESET;
    f0_dsb();
    for (;;)
        ;
}

__attribute__((weak)) void f0boot_app_before_update(void) {}

int f0boot_app_feed(uint8_t byte)
{
    static const uint8_t seq[] = F0B_APP_REQUEST;
    static uint32_t pos;

    /* seq[0] (0xFF) occurs nowhere else in the sequence, so on a mismatch no partial match
     * can start inside the bytes already matched: restart at 0, or at 1 on 0xFF. */
    if (byte == seq[pos])
        pos++;
    else
        pos = byte == seq[0] ? 1u : 0u;
    if (pos < F0B_APP_REQUEST_LEN)
        return 0;
    pos = 0;
    f0boot_app_before_update();
    f0boot_app_request_update();
}

void f0boot_app_usart1_listen(uint32_t pclk_hz, uint32_t baud)
{
    f0_usart1_pins(); /* GPIOA and USART1 clocks, PA9/PA10 to AF1 */
    USART1_CR1 = 0;   /* BRR is written with the USART disabled */
    USART1_BRR = F0_USART_BRR(pclk_hz, baud);
    USART1_CR1 = USART_CR1_UE | USART_CR1_RE | USART_CR1_TE | USART_CR1_RXNEIE;
    NVIC_ISER = 1u << USART1_IRQn;
}

void f0boot_app_usart1_irq(void)
{
    uint32_t isr = USART1_ISR;
    /* RXNEIE also raises the interrupt on overrun; clear ORE or it fires forever. */
    if (isr & USART_ISR_ORE)
        USART1_ICR = USART_ICR_ORECF;
    if (isr & USART_ISR_RXNE)
        (void)f0boot_app_feed((uint8_t)USART1_RDR);
}
