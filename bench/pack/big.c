/* Benchmark input: a minimal application plus 256 KB of constant data (blob.S). */
#include <stdint.h>

extern uint32_t _estack;
extern const uint8_t blob[];
void Reset_Handler(void);

__attribute__((section(".isr_vector"),
               used)) void (*const g_pfnVectors[48])(void) = {(void (*)(void)) & _estack,
                                                              Reset_Handler};

volatile uint32_t sink;

void Reset_Handler(void)
{
    sink = blob[0];
    for (;;)
        ;
}
