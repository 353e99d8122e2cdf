/* A small Cortex-M0 application used as test input for libimage: a 47-word vector table in
 * .isr_vector, code, read-only data, initialised .data (run address in SRAM, load address
 * in flash) and .bss. Built at test time by arm-none-eabi-gcc with one of the *.ld scripts. */
#include <stdint.h>

extern uint32_t _estack, _sidata, _sdata, _edata, _sbss, _ebss;

void Reset_Handler(void);
void Default_Handler(void);
int main(void);

#ifndef VT_WORDS
#define VT_WORDS 47 /* STM32F030xC: 16 system words + 31 IRQ words */
#endif

__attribute__((section(".isr_vector"), used)) void (*const g_pfnVectors[VT_WORDS])(void) = {
    (void (*)(void)) & _estack,
    Reset_Handler,
    [2 ... VT_WORDS - 1] = Default_Handler,
};

static const char banner[] = "f0boot libimage test application";
uint32_t counter = 0x12345678u;         /* .data */
uint8_t table[24] = {1, 2, 3, 4, 5, 6}; /* .data */
uint32_t scratch[16];                   /* .bss */

/* Placed apart from the code by the linker script, so the image has a gap (0xFF). */
__attribute__((section(".cfg"), used)) const uint32_t cfg_words[4] = {0xC0FFEE00u, 1u, 2u, 3u};

void Default_Handler(void)
{
    for (;;)
        ;
}

void Reset_Handler(void)
{
    uint32_t *src = &_sidata, *dst = &_sdata;

    while (dst < &_edata)
        *dst++ = *src++;
    for (dst = &_sbss; dst < &_ebss;)
        *dst++ = 0;
    main();
    Default_Handler();
}

int main(void)
{
    uint32_t sum = counter;

    for (unsigned i = 0; i < sizeof banner; i++)
        sum += (uint8_t)banner[i] + table[i % sizeof table];
    scratch[sum & 15] = sum;
    return (int)sum;
}
