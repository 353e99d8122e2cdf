/*
 * f0boot application library: what an STM32F0 application behind the f0boot bootloader
 * needs, for any build (CMake: add_subdirectory + target_link_libraries(app f0boot_app);
 * Makefile: compile f0boot_app.c, see docs/porting.md). This header includes nothing of
 * ST's or f0boot's register headers, so it goes into a CubeMX or libopencm3 source as is.
 */
#ifndef F0BOOT_APP_H
#define F0BOOT_APP_H

#include <stdint.h>

/* Copy the application's vector table (the 192 bytes at the application start, 0x08001000)
 * to the start of SRAM and map SRAM at address 0 (RCC_APB2ENR.SYSCFGEN, then
 * SYSCFG_CFGR1.MEM_MODE = 11), so the core takes exceptions through this application's
 * handlers. Call it first thing in SystemInit (or Reset_Handler), before anything enables
 * an interrupt; it uses no .data or .bss, so it may run before they are initialised. It
 * leaves PRIMASK alone: the bootloader starts the application with interrupts masked, so
 * the application must execute __enable_irq() (cpsie i) once it is ready. Cannot fail. */
void f0boot_app_remap(void);

/* Ask the bootloader to stay for an update, and reset: masks interrupts, clears the reset
 * flags (RCC_CSR.RMVF), writes the request (magic and complement in SRAM words 0-1, which
 * the remap had filled with the initial SP and reset vector), and resets by software
 * (SCB_AIRCR.SYSRESETREQ). The bootloader then reports stay reason 1 ("request") and serves
 * the protocol until the host sends BOOT or RESET. Never returns. */
_Noreturn void f0boot_app_request_update(void);

/* Called by f0boot_app_feed() and f0boot_app_usart1_irq() when the request sequence is
 * complete, just before f0boot_app_request_update(), with interrupts still as the caller
 * had them (usually inside the USART1 interrupt). The library's definition is weak and
 * does nothing; define your own to stop motors, flush a log or save state. */
void f0boot_app_before_update(void);

/* Feed one byte the application received on the UART f0boot talks to. Returns 0 while
 * the request sequence f0boot sends (0xFF "f0boot:update" 0xFE, F0B_APP_REQUEST in
 * include/f0boot/layout.h, docs/protocol.md) is not complete (the byte stays the application's: the library only
 * watches); when it completes, calls f0boot_app_before_update() and
 * f0boot_app_request_update(), and does not return. Call it from one context only (the
 * UART receive interrupt or the main loop): it keeps the match position in a static. */
int f0boot_app_feed(uint8_t byte);

/* Ready-made listener for applications that do not use USART1 themselves: configures
 * USART1 on PA9 (TX) / PA10 (RX, pull-up), AF1, 8N1 at baud from a kernel clock of pclk_hz
 * (the APB clock: SYSCLK unless APB is divided), receive interrupt enabled in USART1 and
 * the NVIC. Call it after f0boot_app_remap() and after the clock set-up; then route the
 * interrupt: void USART1_IRQHandler(void) { f0boot_app_usart1_irq(); }. */
void f0boot_app_usart1_listen(uint32_t pclk_hz, uint32_t baud);

/* The USART1 receive interrupt body for f0boot_app_usart1_listen(): clears an overrun,
 * feeds the received byte to f0boot_app_feed(). */
void f0boot_app_usart1_irq(void);

#endif
