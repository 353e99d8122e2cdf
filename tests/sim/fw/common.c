/* Startup and reporting shared by the f0sim test firmwares. */
#include "fw.h"

extern uint32_t _estack, _sidata, _sdata, _edata, _sbss, _ebss;
int main(void);

static unsigned failures;

void Default_Handler(void);
void Default_Handler(void)
{
    uint32_t ipsr;
    __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
    puts_("FAIL unexpected exception ");
    putdec(ipsr);
    puts_("\n");
    for (;;)
        __asm volatile("wfi");
}

void Reset_Handler(void);
void Reset_Handler(void)
{
    uint32_t *s = &_sidata, *d = &_sdata;
    while (d < &_edata)
        *d++ = *s++;
    for (d = &_sbss; d < &_ebss;)
        *d++ = 0;
    main();
    finish();
}

#define WEAK __attribute__((weak, alias("Default_Handler")))
void HardFault_Handler(void) WEAK;
void SVC_Handler(void) WEAK;
void PendSV_Handler(void) WEAK;
void SysTick_Handler(void) WEAK;
void FLASH_IRQHandler(void) WEAK;
void DMA1_Channel2_3_IRQHandler(void) WEAK;
void USART1_IRQHandler(void) WEAK;
void IRQ0_Handler(void) WEAK;
void IRQ1_Handler(void) WEAK;
void TIM6_IRQHandler(void) WEAK;
void TIM14_IRQHandler(void) WEAK;
void TIM16_IRQHandler(void) WEAK;
void TIM17_IRQHandler(void) WEAK;

__attribute__((section(".isr_vector"), used)) void (*const vectors[48])(void) = {
    (void (*)(void)) & _estack,
    Reset_Handler,
    Default_Handler,
    HardFault_Handler,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    SVC_Handler,
    0,
    0,
    PendSV_Handler,
    SysTick_Handler,
    [16 + 0] = IRQ0_Handler,
    [16 + 1] = IRQ1_Handler,
    [16 + 2] = Default_Handler,
    [16 + 3] = FLASH_IRQHandler,
    [16 + 4 ... 16 + 9] = Default_Handler,
    [16 + 10] = DMA1_Channel2_3_IRQHandler,
    [16 + 11 ... 16 + 16] = Default_Handler,
    [16 + 17] = TIM6_IRQHandler,
    [16 + 18] = Default_Handler,
    [16 + 19] = TIM14_IRQHandler,
    [16 + 20] = Default_Handler,
    [16 + 21] = TIM16_IRQHandler,
    [16 + 22] = TIM17_IRQHandler,
    [16 + 23 ... 16 + 26] = Default_Handler,
    [16 + 27] = USART1_IRQHandler,
    [16 + 28 ... 47] = Default_Handler,
};

void enable_irq(void) { __asm volatile("cpsie i" ::: "memory"); }
void disable_irq(void) { __asm volatile("cpsid i" ::: "memory"); }

void uart_init(uint32_t brr)
{
    RCC_AHBENR |= 1u << 17;                                     /* GPIOAEN */
    RCC_APB2ENR |= 1u << 14;                                    /* USART1EN */
    GPIOA_MODER = (GPIOA_MODER & ~(0xFu << 18)) | (0xAu << 18); /* PA9/PA10 AF */
    GPIOA_AFRH = (GPIOA_AFRH & ~0xFF0u) | 0x110u;               /* AF1 = USART1 */
    USART1_BRR = brr;
    USART1_CR1 = (1u << 0) | (1u << 2) | (1u << 3); /* UE RE TE */
}

void putch(char ch)
{
    while (!(USART1_ISR & USART_ISR_TXE))
        ;
    USART1_TDR = (uint8_t)ch;
}

void uart_flush(void)
{
    while (!(USART1_ISR & USART_ISR_TC))
        ;
}

void puts_(const char *s)
{
    while (*s)
        putch(*s++);
}

void puthex(uint32_t v)
{
    puts_("0x");
    for (int i = 28; i >= 0; i -= 4)
        putch("0123456789abcdef"[(v >> i) & 0xFu]);
}

void putdec(uint32_t v)
{
    char b[11];
    int n = 0;
    do {
        b[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    while (n)
        putch(b[--n]);
}

void check(int ok, const char *what, uint32_t got)
{
    if (ok)
        return;
    failures++;
    puts_("FAIL ");
    puts_(what);
    puts_(" got ");
    puthex(got);
    puts_("\n");
}

void finish(void)
{
    finish_no_stop();
    for (;;)
        __asm volatile("wfi");
}

void finish_no_stop(void)
{
    if (failures) {
        puts_("FAILED ");
        putdec(failures);
        puts_("\n");
    } else {
        puts_("ALL PASS\n");
    }
    uart_flush();
}
