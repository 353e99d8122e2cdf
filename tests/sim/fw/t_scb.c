/* The Cortex-M0 System Control Block as the core has it (ARMv6-M ARM B3.2, Cortex-M0 Devices
 * Generic User Guide 4.3), and a libopencm3-style reset sequence that must run under
 * --strict: VTOR is absent (reads 0, writes ignored, nothing reported), CCR is read-only
 * (STKALIGN | UNALIGN_TRP), SHPR2/SHPR3 keep only bits 7:6 of each priority, CPUID, and
 * ICSR's PENDSVSET/PENDSTSET with their clear bits, seen while PRIMASK holds them. */
#include "fw.h"

#define SCB_VTOR  REG(SCS_BASE_R + SCB_VTOR_OFF)
#define SCB_CCR   REG(SCS_BASE_R + SCB_CCR_OFF)
#define SCB_CPUID REG(SCS_BASE_R + SCB_CPUID_OFF)

static volatile uint32_t pendsv_n, systick_n;
void PendSV_Handler(void) { pendsv_n++; }
void SysTick_Handler(void) { systick_n++; }

static void sync(void) { __asm volatile("dsb\n isb" ::: "memory"); }

int main(void)
{
    /* libopencm3's reset_handler: the vector table base, then CCR.STKALIGN */
    uint32_t vtor = SCB_VTOR;
    SCB_CCR |= 1u << 9;
    uart_init(0x45);
    CHECK(vtor == 0u, "VTOR reads 0 (absent)", vtor);
    SCB_VTOR = 0x20000000u;
    CHECK(SCB_VTOR == 0u, "VTOR ignores writes", SCB_VTOR);
    SCB_CCR = 0;
    CHECK(SCB_CCR == SCB_CCR_M0, "CCR read-only STKALIGN | UNALIGN_TRP", SCB_CCR);
    CHECK(SCB_CPUID == SCB_CPUID_M0_R0P0, "CPUID Cortex-M0 r0p0", SCB_CPUID);

    SCB_SHPR2 = 0xFFFFFFFFu;
    CHECK(SCB_SHPR2 == 0xC0000000u, "SHPR2 keeps PRI_11 bits 7:6", SCB_SHPR2);
    SCB_SHPR2 = 0;
    SCB_SHPR3 = 0xFFFFFFFFu;
    CHECK(SCB_SHPR3 == 0xC0C00000u, "SHPR3 keeps PRI_14, PRI_15 bits 7:6", SCB_SHPR3);
    REG8(SCS_BASE_R + SCB_SHPR3_OFF + 3u) = 0x40u; /* a byte write to PRI_15 alone */
    CHECK(SCB_SHPR3 == 0x40C00000u, "SHPR3 byte write", SCB_SHPR3);
    SCB_SHPR3 = SCB_SHPR3_PRI_14(0xC0u) | SCB_SHPR3_PRI_15(0x80u);

    disable_irq();
    SCB_ICSR = SCB_ICSR_PENDSVSET | SCB_ICSR_PENDSTSET;
    sync();
    uint32_t icsr = SCB_ICSR;
    CHECK((icsr & SCB_ICSR_PENDSVSET) && (icsr & SCB_ICSR_PENDSTSET),
          "ICSR PENDSVSET/PENDSTSET read", icsr);
    CHECK(((icsr >> SCB_ICSR_VECTPENDING_SHIFT) & 0x3Fu) == 15u, "VECTPENDING = SysTick (higher)",
          icsr);
    SCB_ICSR = SCB_ICSR_PENDSTCLR;
    icsr = SCB_ICSR;
    CHECK(!(icsr & SCB_ICSR_PENDSTSET) && (icsr & SCB_ICSR_PENDSVSET), "PENDSTCLR", icsr);
    CHECK(pendsv_n == 0u, "PRIMASK holds PendSV", pendsv_n);
    enable_irq();
    sync();
    CHECK(pendsv_n == 1u && systick_n == 0u, "PendSV taken at cpsie", pendsv_n | (systick_n << 8));
    CHECK(!(SCB_ICSR & SCB_ICSR_PENDSVSET), "PENDSVSET clears when taken", SCB_ICSR);
    return 0;
}
