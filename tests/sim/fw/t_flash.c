/* FLASH interface rules: unlock keys, PG 16-bit programming into erased cells only (PGERR,
 * 0x0000 exception), EOP/PGERR write-1-to-clear, page erase, timing and the stall (code in
 * flash waits for BSY, code in SRAM keeps running), and a wrong key locking until reset. */
#include "fw.h"

#define PAGE_A  0x08010000u
#define RAMFUNC __attribute__((section(".data.ramfunc"), noinline, long_call))

static void unlock(void)
{
    FLASH_KEYR = FLASH_KEY1;
    FLASH_KEYR = FLASH_KEY2;
}

static void systick_free(void)
{
    SYST_RVR = 0xFFFFFFu;
    SYST_CVR = 0;
    SYST_CSR = 5u; /* HCLK (8 MHz), no interrupt */
}

/* From SRAM: start a program and measure (a) the time until the next instruction,
 * (b) until BSY clears. */
RAMFUNC static void ram_program(uint32_t a, uint16_t v, uint32_t *t_next, uint32_t *t_done)
{
    uint32_t t0 = SYST_CVR;
    *(volatile uint16_t *)a = v;
    uint32_t t1 = SYST_CVR;
    while (FLASH_SR & FLASH_SR_BSY)
        ;
    uint32_t t2 = SYST_CVR;
    *t_next = t0 - t1;
    *t_done = t0 - t2;
}

/* From SRAM: a data read of flash while BSY waits until the operation is over. */
RAMFUNC static uint32_t ram_program_then_read(uint32_t a, uint16_t v)
{
    uint32_t t0 = SYST_CVR;
    *(volatile uint16_t *)a = v;
    (void)*(volatile uint32_t *)0x08000000u;
    uint32_t t1 = SYST_CVR;
    return t0 - t1;
}

RAMFUNC static uint32_t ram_erase(uint32_t a)
{
    FLASH_CR = FLASH_CR_PER;
    FLASH_AR = a;
    uint32_t t0 = SYST_CVR;
    FLASH_CR = FLASH_CR_PER | FLASH_CR_STRT;
    while (FLASH_SR & FLASH_SR_BSY)
        ;
    uint32_t t1 = SYST_CVR;
    FLASH_CR = 0;
    return t0 - t1;
}

int main(void)
{
    uart_init(0x45);
    systick_free();
    CHECK((FLASH_CR & FLASH_CR_LOCK) != 0, "locked after reset", FLASH_CR);
    FLASH_CR = FLASH_CR_PG;
    CHECK(FLASH_CR == FLASH_CR_LOCK, "CR ignores writes while locked", FLASH_CR);
    unlock();
    CHECK((FLASH_CR & FLASH_CR_LOCK) == 0, "unlocked by KEY1, KEY2", FLASH_CR);

    volatile uint16_t *p = (uint16_t *)PAGE_A;
    CHECK(p[0] == 0xFFFFu, "erased flash reads 0xFFFF", p[0]);
    /* program from flash code: the next fetch stalls for the whole program time */
    FLASH_CR = FLASH_CR_PG;
    uint32_t t0 = SYST_CVR;
    p[0] = 0x1234u;
    uint32_t t1 = SYST_CVR;
    while (FLASH_SR & FLASH_SR_BSY)
        ;
    CHECK(p[0] == 0x1234u, "programmed value", p[0]);
    CHECK((FLASH_SR & FLASH_SR_EOP) != 0, "EOP after programming", FLASH_SR);
    CHECK(t0 - t1 >= 420u && t0 - t1 <= 480u, "flash code stalls 53.5 us (cycles)", t0 - t1);
    FLASH_SR = FLASH_SR_EOP;
    CHECK((FLASH_SR & FLASH_SR_EOP) == 0, "EOP cleared by writing 1", FLASH_SR);

    /* non-erased cell: PGERR, cell unchanged */
    p[0] = 0x5678u;
    while (FLASH_SR & FLASH_SR_BSY)
        ;
    CHECK((FLASH_SR & FLASH_SR_PGERR) != 0, "PGERR on a programmed cell", FLASH_SR);
    CHECK(p[0] == 0x1234u, "cell unchanged after PGERR", p[0]);
    FLASH_SR = FLASH_SR_PGERR;
    CHECK((FLASH_SR & FLASH_SR_PGERR) == 0, "PGERR cleared by writing 1", FLASH_SR);
    /* 0x0000 may be written over anything */
    p[0] = 0x0000u;
    while (FLASH_SR & FLASH_SR_BSY)
        ;
    CHECK((FLASH_SR & FLASH_SR_PGERR) == 0 && p[0] == 0u, "0x0000 over a programmed cell", p[0]);

    /* from SRAM: the CPU goes on while BSY, and a flash data read waits */
    uint32_t tn, td;
    ram_program(PAGE_A + 2u, 0xA5A5u, &tn, &td);
    CHECK(tn < 40u, "SRAM code runs on during programming (cycles)", tn);
    CHECK(td >= 420u && td <= 480u, "BSY lasts 53.5 us (cycles)", td);
    CHECK(p[1] == 0xA5A5u, "programmed from SRAM", p[1]);
    uint32_t tr = ram_program_then_read(PAGE_A + 4u, 0x5A5Au);
    CHECK(tr >= 420u && tr <= 480u, "flash data read stalls while BSY (cycles)", tr);
    FLASH_CR = 0;

    /* page erase: 30 ms = 240000 cycles at 8 MHz */
    uint32_t te = ram_erase(PAGE_A + 0x123u);
    CHECK(te >= 239000u && te <= 241000u, "page erase time (cycles)", te);
    CHECK(p[0] == 0xFFFFu && p[1] == 0xFFFFu && p[1023] == 0xFFFFu, "page erased", p[0]);

    /* page erase from flash code: the CPU waits the whole 30 ms at STRT, once */
    FLASH_CR = FLASH_CR_PG;
    p[7] = 0x0707u;
    while (FLASH_SR & FLASH_SR_BSY)
        ;
    FLASH_CR = FLASH_CR_PER;
    FLASH_AR = PAGE_A;
    t0 = SYST_CVR;
    FLASH_CR = FLASH_CR_PER | FLASH_CR_STRT;
    t1 = SYST_CVR;
    FLASH_CR = 0;
    CHECK(t0 - t1 >= 239000u && t0 - t1 <= 241000u, "flash code stalls for the erase (cycles)",
          t0 - t1);
    CHECK(p[7] == 0xFFFFu, "erased from flash code", p[7]);

    FLASH_CR = FLASH_CR_LOCK;
    CHECK((FLASH_CR & FLASH_CR_LOCK) != 0, "LOCK by software", FLASH_CR);
    unlock();
    CHECK((FLASH_CR & FLASH_CR_LOCK) == 0, "unlock again", FLASH_CR);
    FLASH_CR = FLASH_CR_LOCK;
    /* a wrong key locks FLASH_CR until the next reset, even after the right keys */
    FLASH_KEYR = 0x11111111u;
    unlock();
    CHECK((FLASH_CR & FLASH_CR_LOCK) != 0, "wrong key: locked until reset", FLASH_CR);
    return 0;
}
