/* Shared helpers for the f0sim test firmwares: UART output at 115200 8N1 from the 8 MHz HSI,
 * and the CHECK/finish reporting the tests match on. Registers come from the firmware's one
 * set of RM0360 names (target/common/stm32f0_regs.h and regs/), as f0sim's models use them. */
#ifndef F0SIM_TEST_FW_H
#define F0SIM_TEST_FW_H

#include <stdint.h>

#include "stm32f0_regs.h"

/* Raw access for what has no register name: system memory, unmodelled peripherals, the
 * data register at 8 and 16 bits. */
#define REG(a)   (*(volatile uint32_t *)(a))
#define REG16(a) (*(volatile uint16_t *)(a))
#define REG8(a)  (*(volatile uint8_t *)(a))

void uart_init(uint32_t brr);
void putch(char ch);
void puts_(const char *s);
void puthex(uint32_t v);
void putdec(uint32_t v);
void uart_flush(void);
void check(int ok, const char *what, uint32_t got);
void finish(void);         /* prints PASS or FAIL n, then stops in a WFI loop */
void finish_no_stop(void); /* the same, and returns once it is sent */
void enable_irq(void);
void disable_irq(void);

/* Read any address, including 0 (hidden from GCC so it keeps the access). */
static inline uint32_t rd32(uint32_t a)
{
    volatile uint32_t *p;
    __asm volatile("" : "=r"(p) : "0"(a));
    return *p;
}

#define CHECK(cond, what, got) check((cond), (what), (uint32_t)(got))

#endif
