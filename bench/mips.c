/*
 * CPU-bound workload for measuring f0sim --fast (instructions per second): the generated
 * padding functions (bench/gen_pad.py) called in a loop, with SysTick running so the
 * simulator also takes an interrupt every millisecond as a real application would.
 * Built by bench/apps.py with the template's startup and linker script instead of main.c.
 */
#include <stdint.h>

#include "f0boot_app.h"
#include "stm32f0_regs.h"

typedef uint32_t (*pad_fn)(uint32_t, uint32_t);
extern const pad_fn bench_pad_fns[];
extern const uint32_t bench_pad_count;

void SysTick_Handler(void);
static volatile uint32_t ticks;
volatile uint32_t bench_sink;

void SysTick_Handler(void) { ticks++; }

int main(void)
{
    SYST_RVR = F0_SYSCLK_HZ / 1000u - 1u;
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_TICKINT | SYST_CSR_ENABLE;
    uint32_t acc = 1u;
    for (uint32_t round = 0;; round++) {
        for (uint32_t i = 0; i < bench_pad_count; i++)
            acc = bench_pad_fns[i](acc, round ^ ticks);
        bench_sink = acc;
    }
}
