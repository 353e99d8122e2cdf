/* An access to a register the simulator does not model (TIM3_CR1) is logged once per
 * address (and stops the run with --strict). */
#include "fw.h"

int main(void)
{
    uart_init(0x45);
    for (int i = 0; i < 3; i++)
        REG(0x40000400u) = 1u; /* TIM3_CR1: not modelled */
    return 0;
}
