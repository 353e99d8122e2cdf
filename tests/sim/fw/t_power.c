/* Power cut during flash operations. Run 1 (with --power-cut-flash-op 5) programs 16
 * half-words at PAGE_P and is cut in the 5th. Run 2 on the same --flash file checks the torn
 * state. Then, in the same run 2, a page erase of PAGE_Q is started after 17 programs
 * (cells at the start and the end of the page), for run 3 with --power-cut-flash-op 18. */
#include "fw.h"

#define PAGE_P 0x08020000u
#define PAGE_Q 0x08030000u

static uint16_t val(uint32_t i) { return (uint16_t)(0x5AC3u ^ (i * 0x1111u)); }

static void unlock(void)
{
    FLASH_KEYR = FLASH_KEY1;
    FLASH_KEYR = FLASH_KEY2;
}

static void program(uint32_t a, uint16_t v)
{
    FLASH_CR = FLASH_CR_PG;
    *(volatile uint16_t *)a = v;
    while (FLASH_SR & FLASH_SR_BSY)
        ;
    FLASH_CR = 0;
}

int main(void)
{
    uart_init(0x45);
    volatile uint16_t *p = (uint16_t *)PAGE_P, *q = (uint16_t *)PAGE_Q;
    unlock();
    if (p[0] == 0xFFFFu) {
        puts_("run 1: programming\n");
        for (uint32_t i = 0; i < 16u; i++)
            program(PAGE_P + 2u * i, val(i));
        puts_("FAIL power was not cut\n");
        return 0;
    }
    if (q[0] == 0xFFFFu && q[1023] == 0xFFFFu) {
        puts_("run 2: checking the torn program\n");
        for (uint32_t i = 0; i < 4u; i++)
            CHECK(p[i] == val(i), "cells before the cut programmed", p[i]);
        uint16_t t = p[4];
        CHECK(t != val(4) && t != 0xFFFFu, "5th cell torn", t);
        CHECK((t & val(4)) == val(4), "torn cell: only 1->0 bits, a subset", t);
        for (uint32_t i = 5; i < 16u; i++)
            CHECK(p[i] == 0xFFFFu, "cells after the cut erased", p[i]);
        for (uint32_t i = 0; i < 8u; i++) {
            program(PAGE_Q + 2u * i, 0x1111u);         /* ops 1-8 */
            program(PAGE_Q + 2046u - 2u * i, 0x2222u); /* ops 9-16 */
        }
        program(PAGE_Q + 1024u, 0x3333u); /* op 17 */
        FLASH_CR = FLASH_CR_PER;
        FLASH_AR = PAGE_Q;
        FLASH_CR = FLASH_CR_PER | FLASH_CR_STRT; /* op 18: cut here in run 3 */
        while (FLASH_SR & FLASH_SR_BSY)
            ;
        puts_("run 2 done\n");
        return 0;
    }
    puts_("run 3: checking the torn erase\n");
    CHECK(q[0] == 0xFFFFu, "start of the page erased", q[0]);
    CHECK(q[1023] == 0x2222u, "end of the page not erased", q[1023]);
    return 0;
}
