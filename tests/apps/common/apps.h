/*
 * Shared by the user application test firmwares (tests/apps/README.md): the vendor-like
 * startup's hooks, the console on USART1 (PA9/PA10, 115200 8N1) and the handlers the
 * startup's vector table names.
 */
#ifndef F0B_TEST_APPS_H
#define F0B_TEST_APPS_H

#include <stdint.h>

/* Called by Reset_Handler before .data and .bss are set up (system.c). */
void SystemInit(void);

/* USART1 at 115200 from a kernel clock of pclk_hz, receive interrupt on. Each received
 * byte goes to f0boot_app_feed() (the f0boot request sequence) and then to con_rx(). */
void con_init(uint32_t pclk_hz);
/* Polled transmission: the caller waits for TXE. */
void con_putc(char c);
void con_puts(const char *s);
void con_putu(uint32_t v);
/* The application's receive callback, called from the USART1 interrupt (as CubeMX's
 * HAL_UART_RxCpltCallback is). */
void con_rx(uint8_t byte);

void NMI_Handler(void);
void HardFault_Handler(void);
void SVC_Handler(void);
void PendSV_Handler(void);
void SysTick_Handler(void);
void TIM6_IRQHandler(void);
void TIM14_IRQHandler(void);
void USART1_IRQHandler(void);

#endif
