/* SRAM at power-on (--sram-random, --sram-word): prints the words at 0x20006000 and
 * 0x20006004 and how many of the 1024 words from 0x20004000 are not zero, as
 * "sram 0x........ 0x........ nonzero N", then ALL PASS. The run tests match the line. */
#include "fw.h"

int main(void)
{
    uint32_t w0 = REG(0x20006000u), w1 = REG(0x20006004u), nz = 0;
    for (uint32_t a = 0x20004000u; a < 0x20005000u; a += 4u)
        nz += REG(a) != 0u;
    uart_init(0x45);
    puts_("sram ");
    puthex(w0);
    puts_(" ");
    puthex(w1);
    puts_(" nonzero ");
    putdec(nz);
    puts_("\n");
    return 0;
}
