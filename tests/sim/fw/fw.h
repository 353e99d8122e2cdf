/* Shared helpers for the f0sim test firmwares: registers (RM0360 names), UART output at
 * 115200 8N1 from the 8 MHz HSI, and the CHECK/finish reporting the tests match on. */
#ifndef F0SIM_TEST_FW_H
#define F0SIM_TEST_FW_H

#include <stdint.h>

#define REG(a) (*(volatile uint32_t *)(a))
#define REG16(a) (*(volatile uint16_t *)(a))
#define REG8(a) (*(volatile uint8_t *)(a))

#define RCC_CR        REG(0x40021000u)
#define RCC_CFGR      REG(0x40021004u)
#define RCC_APB2RSTR  REG(0x4002100Cu)
#define RCC_AHBENR    REG(0x40021014u)
#define RCC_APB2ENR   REG(0x40021018u)
#define RCC_CSR       REG(0x40021024u)
#define GPIOA_MODER   REG(0x48000000u)
#define GPIOA_AFRH    REG(0x48000024u)
#define USART1_CR1    REG(0x40013800u)
#define USART1_CR3    REG(0x40013808u)
#define USART1_BRR    REG(0x4001380Cu)
#define USART1_ISR    REG(0x4001381Cu)
#define USART1_ICR    REG(0x40013820u)
#define USART1_RDR    REG(0x40013824u)
#define USART1_TDR    REG(0x40013828u)
#define FLASH_ACR     REG(0x40022000u)
#define FLASH_KEYR    REG(0x40022004u)
#define FLASH_SR      REG(0x4002200Cu)
#define FLASH_CR      REG(0x40022010u)
#define FLASH_AR      REG(0x40022014u)
#define CRC_DR        REG(0x40023000u)
#define CRC_CR        REG(0x40023008u)
#define CRC_INIT      REG(0x40023010u)
#define SYSCFG_CFGR1  REG(0x40010000u)
#define DBGMCU_IDCODE REG(0x40015800u)
#define DMA1_ISR      REG(0x40020000u)
#define DMA1_IFCR     REG(0x40020004u)
#define DMA1_CCR3     REG(0x40020030u)
#define DMA1_CNDTR3   REG(0x40020034u)
#define DMA1_CPAR3    REG(0x40020038u)
#define DMA1_CMAR3    REG(0x4002003Cu)
#define SYST_CSR      REG(0xE000E010u)
#define SYST_RVR      REG(0xE000E014u)
#define SYST_CVR      REG(0xE000E018u)
#define NVIC_ISER     REG(0xE000E100u)
#define NVIC_ICER     REG(0xE000E180u)
#define NVIC_ISPR     REG(0xE000E200u)
#define NVIC_ICPR     REG(0xE000E280u)
#define NVIC_IPR(n)   REG(0xE000E400u + 4u * (n))
#define SCB_ICSR      REG(0xE000ED04u)
#define SCB_AIRCR     REG(0xE000ED0Cu)
#define SCB_SHPR3     REG(0xE000ED20u)

#define USART_ISR_ORE  (1u << 3)
#define USART_ISR_RXNE (1u << 5)
#define USART_ISR_TC   (1u << 6)
#define USART_ISR_TXE  (1u << 7)
#define FLASH_SR_BSY   (1u << 0)
#define FLASH_SR_PGERR (1u << 2)
#define FLASH_SR_EOP   (1u << 5)
#define FLASH_CR_PG    (1u << 0)
#define FLASH_CR_PER   (1u << 1)
#define FLASH_CR_STRT  (1u << 6)
#define FLASH_CR_LOCK  (1u << 7)

void uart_init(uint32_t brr);
void putch(char ch);
void puts_(const char *s);
void puthex(uint32_t v);
void putdec(uint32_t v);
void uart_flush(void);
void check(int ok, const char *what, uint32_t got);
void finish(void);   /* prints PASS or FAIL n, then stops in a WFI loop */
void enable_irq(void);
void disable_irq(void);

/* Read any address, including 0 (hidden from GCC so it keeps the access). */
static inline uint32_t rd32(uint32_t a)
{
    volatile uint32_t *p;
    __asm volatile ("" : "=r"(p) : "0"(a));
    return *p;
}

#define CHECK(cond, what, got) check((cond), (what), (uint32_t)(got))

#endif
