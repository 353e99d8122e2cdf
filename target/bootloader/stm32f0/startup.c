/*
 * Bootloader startup. The bootloader never enables an interrupt (it polls the USART, the
 * DMA ring and SysTick), so the vector table stops after HardFault: no other exception can
 * be taken, and 48 bytes of flash are saved.
 */
#include <stdint.h>
#include "f0b_hal.h"

extern uint32_t _sidata[], _sdata[], _edata[], _sbss[], _ebss[], _estack[];
int main(void);
void Reset_Handler(void);
void Fault_Handler(void);

typedef void (*f0b_vector)(void);

__attribute__((section(".isr_vector"), used)) static const f0b_vector vectors[4] = {
    (f0b_vector)(uintptr_t)_estack, Reset_Handler, Fault_Handler, /* NMI */
    Fault_Handler,                                                /* HardFault */
};

/* A fault in the bootloader: start again from reset rather than hang. */
void Fault_Handler(void) { f0b_hal_reset(); }

void Reset_Handler(void)
{
    /* The update request (words 0-1 of SRAM, the vector-table copy area) is outside .data,
     * .bss and the stack, so it survives this initialisation. */
    uint32_t *s = _sidata, *d = _sdata;
    while (d < _edata)
        *d++ = *s++;
    for (d = _sbss; d < _ebss;)
        *d++ = 0;
    main();
    f0b_hal_reset();
}
