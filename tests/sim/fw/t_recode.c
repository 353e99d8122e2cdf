/* Code in flash that is erased and programmed again runs in its new form: the simulator
 * drops the translation of erased flash (as an application update in place needs). */
#include "fw.h"

#define CODE 0x08011000u

static void program(uint32_t a, uint16_t v)
{
    FLASH_CR = FLASH_CR_PG;
    *(volatile uint16_t *)a = v;
    while (FLASH_SR & FLASH_SR_BSY)
        ;
    FLASH_CR = 0;
}

static void erase(uint32_t a)
{
    FLASH_CR = FLASH_CR_PER;
    FLASH_AR = a;
    FLASH_CR = FLASH_CR_PER | FLASH_CR_STRT;
    while (FLASH_SR & FLASH_SR_BSY)
        ;
    FLASH_CR = 0;
}

static uint32_t call(void)
{
    uint32_t (*f)(void) = (uint32_t(*)(void))(CODE | 1u);
    return f();
}

int main(void)
{
    uart_init(0x45);
    FLASH_KEYR = FLASH_KEY1;
    FLASH_KEYR = FLASH_KEY2;
    for (uint32_t v = 1; v <= 3; v++) {
        erase(CODE);
        program(CODE, (uint16_t)(0x2000u | v)); /* movs r0, #v */
        program(CODE + 2u, 0x4770u);            /* bx lr */
        uint32_t r = call();
        CHECK(r == v, "code programmed in flash runs in its latest form", r);
    }
    return 0;
}
