/*
 * The update request's guard, on the real bootloader (e2e scenario "request_guard"): an
 * application linked the article's way (stack at the very end of SRAM) that writes the
 * request words in ways that must NOT keep the bootloader, and once in the way that must.
 * Every 100 ms it prints the reset flags it started with:   reqprobe up csr=0x14000000
 * and it echoes a command (with CR LF) before acting on it.
 * Commands (one byte on USART1):
 *   'P'  magic + complement, reset flags NOT cleared, software reset: the power-on flag is
 *        still set, as after a power-on whose garbage happened to match (must start again);
 *   'H'  flags cleared, magic without its complement, software reset (must start again);
 *   'W'  flags cleared, magic + complement, watchdog reset (must start again);
 *   'R'  f0boot_app_request_update() (must stay in the bootloader, reason "request").
 */
#include <stdint.h>

#include "apps.h"
#include "f0_clock.h"
#include "f0boot/layout.h"
#include "f0boot_app.h"
#include "stm32f0_regs.h"

#define IWDG_KR_START 0xCCCCu

static volatile uint8_t cmd;
static volatile uint32_t ticks;

void SysTick_Handler(void)
{
    ticks++;
    IWDG_KR = IWDG_KR_RELOAD; /* once started ('W'), the IWDG runs until power-off */
}

void con_rx(uint8_t c) { cmd = c; }

static void put_hex(uint32_t v)
{
    con_puts("0x");
    for (int sh = 28; sh >= 0; sh -= 4)
        con_putc("0123456789abcdef"[(v >> sh) & 0xFu]);
}

static void write_request(uint32_t inverse)
{
    volatile uint32_t *req = (volatile uint32_t *)F0B_REQ_ADDR;
    req[0] = F0B_REQ_UPDATE_MAGIC;
    req[1] = inverse;
    f0_dsb();
}

static void drain(void)
{
    while ((USART1_ISR & USART_ISR_TC) == 0)
        ;
}

_Noreturn static void software_reset(void)
{
    SCB_AIRCR = SCB_AIRCR_RESET;
    f0_dsb();
    for (;;)
        ;
}

static void run(uint8_t c)
{
    con_putc((char)c);
    con_puts("\r\n");
    drain();
    __asm__ volatile("cpsid i" ::: "memory");
    if (c == 'P') {
        write_request(~F0B_REQ_UPDATE_MAGIC);
        software_reset();
    }
    RCC_CSR |= RCC_CSR_RMVF;
    if (c == 'H') {
        write_request(0);
        software_reset();
    }
    if (c == 'W') {
        write_request(~F0B_REQ_UPDATE_MAGIC);
        IWDG_KR = IWDG_KR_START; /* reset values: /4, 4095: about 0.4 s */
        for (;;)
            ;
    }
    f0boot_app_request_update();
}

int main(void)
{
    uint32_t csr = RCC_CSR;
    f0_clock_48mhz();
    con_init(F0_SYSCLK_HZ);
    SYST_RVR = F0_SYSCLK_HZ / 1000u - 1u;
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_TICKINT | SYST_CSR_ENABLE;
    __asm__ volatile("cpsie i" ::: "memory");
    uint32_t last = ticks - 100u;
    for (;;) {
        uint8_t c = cmd;
        if (c == 'P' || c == 'H' || c == 'W' || c == 'R')
            run(c);
        cmd = 0;
        if (ticks - last >= 100u) {
            last += 100u;
            con_puts("reqprobe up csr=");
            put_hex(csr);
            con_puts("\r\n");
        }
        __asm__ volatile("wfi");
    }
}
