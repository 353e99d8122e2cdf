/* SYSCFG_CFGR1.MEM_MODE: the address-0 alias follows it, and exceptions dispatch through
 * the vector table it selects (a copy in SRAM, as the application template does). */
#include "fw.h"

static volatile uint32_t hits_flash, hits_sram, pendsv_sram;

void SysTick_Handler(void) { hits_flash++; }
static void sram_systick(void) { hits_sram++; }
static void sram_pendsv(void) { pendsv_sram++; }

static void __attribute__((noinline)) sync(void) { __asm volatile("dsb\n isb" ::: "memory"); }

int main(void)
{
    uart_init(0x45);
    volatile uint32_t *vt = (uint32_t *)0x20000000u;
    for (int i = 0; i < 48; i++)
        vt[i] = rd32(0x08000000u + 4u * (uint32_t)i);
    vt[15] = (uint32_t)sram_systick;
    vt[14] = (uint32_t)sram_pendsv;
    RCC_APB2ENR |= 1u; /* SYSCFGEN */
    SYSCFG_CFGR1 = 3u; /* MEM_MODE = 11: SRAM at 0 */
    CHECK((SYSCFG_CFGR1 & 3u) == 3u, "MEM_MODE readback", SYSCFG_CFGR1);
    CHECK(rd32(0x3Cu) == (uint32_t)sram_systick, "address 0 aliases SRAM", rd32(0x3Cu));
    SYST_RVR = 999u;
    SYST_CVR = 0;
    SYST_CSR = 7u; /* HCLK, TICKINT, ENABLE */
    for (uint32_t n = 0; n < 200000u && hits_sram < 3u; n++)
        sync();
    CHECK(hits_sram >= 3u, "SysTick through the SRAM table", hits_sram);
    CHECK(hits_flash == 0u, "flash table not used", hits_flash);
    SCB_ICSR = 1u << 28; /* PENDSVSET */
    sync();
    CHECK(pendsv_sram == 1u, "PendSV through the SRAM table", pendsv_sram);
    SYSCFG_CFGR1 = 0u; /* back to main flash */
    CHECK(rd32(0x3Cu) == rd32(0x0800003Cu), "address 0 aliases flash again", rd32(0x3Cu));
    uint32_t before = hits_sram;
    for (uint32_t n = 0; n < 200000u && hits_flash < 3u; n++)
        sync();
    CHECK(hits_flash >= 3u, "SysTick through the flash table after remap", hits_flash);
    CHECK(hits_sram - before <= 1u, "SRAM table no longer used", hits_sram - before);
    SYST_CSR = 0;
    return 0;
}
