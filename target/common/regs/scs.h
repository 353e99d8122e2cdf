/* Cortex-M0 System Control Space: SysTick, NVIC, SCB (ARM DUI 0497A, section 4), as offsets
 * from SCS_BASE_R; and the STM32F030 interrupt numbers (RM0360 section 11.1.3). */
#ifndef F0B_REGS_SCS_H
#define F0B_REGS_SCS_H

#define SCS_BASE_R                 0xE000E000u
#define SYST_CSR_OFF               0x010u
#define SYST_CSR_ENABLE            (1u << 0)
#define SYST_CSR_TICKINT           (1u << 1)
#define SYST_CSR_CLKSOURCE         (1u << 2) /* 1: processor clock */
#define SYST_CSR_COUNTFLAG         (1u << 16)
#define SYST_RVR_OFF               0x014u
#define SYST_RVR_MASK              0xFFFFFFu
#define SYST_CVR_OFF               0x018u
#define SYST_CALIB_OFF             0x01Cu
#define SYST_CALIB_NOREF           (1u << 31)
#define NVIC_ISER_OFF              0x100u
#define NVIC_ICER_OFF              0x180u
#define NVIC_ISPR_OFF              0x200u
#define NVIC_ICPR_OFF              0x280u
#define NVIC_IPR_OFF(n)            (0x400u + 4u * (n))
#define NVIC_IPR_END_OFF           0x420u
#define SCB_CPUID_OFF              0xD00u
#define SCB_CPUID_M0_R0P0          0x410CC200u
#define SCB_ICSR_OFF               0xD04u
#define SCB_ICSR_VECTACTIVE_MASK   0x3Fu
#define SCB_ICSR_VECTPENDING_SHIFT 12u
#define SCB_ICSR_ISRPENDING        (1u << 22)
#define SCB_ICSR_PENDSTCLR         (1u << 25)
#define SCB_ICSR_PENDSTSET         (1u << 26)
#define SCB_ICSR_PENDSVCLR         (1u << 27)
#define SCB_ICSR_PENDSVSET         (1u << 28)
#define SCB_ICSR_NMIPENDSET        (1u << 31)
#define SCB_AIRCR_OFF              0xD0Cu
#define SCB_AIRCR_VECTKEY          0x05FAu /* in bits 31:16 of a write */
#define SCB_AIRCR_VECTKEYSTAT      0xFA050000u
#define SCB_AIRCR_SYSRESETREQ      (1u << 2)
#define SCB_AIRCR_RESET            0x05FA0004u /* VECTKEY | SYSRESETREQ */
#define SCB_SCR_OFF                0xD10u
#define SCB_SCR_WRITABLE           0x16u /* SLEEPONEXIT, SLEEPDEEP, SEVONPEND */
#define SCB_CCR_OFF                0xD14u
#define SCB_CCR_M0                 0x208u /* STKALIGN | UNALIGN_TRP, fixed on the M0 */
#define SCB_SHPR2_OFF              0xD1Cu
#define SCB_SHPR2_PRI_11(p)        ((uint32_t)(p) << 24) /* SVCall */
#define SCB_SHPR3_OFF              0xD20u
#define SCB_SHPR3_PRI_14(p)        ((uint32_t)(p) << 16) /* PendSV */
#define SCB_SHPR3_PRI_15(p)        ((uint32_t)(p) << 24) /* SysTick */
/* Where an ARMv7-M core has VTOR: the Cortex-M0 has none, the word is RAZ/WI (ARMv6-M ARM
 * B3.2.2: VTOR only with the optional vector table offset, which the M0 does not implement). */
#define SCB_VTOR_OFF 0xD08u

/* Interrupt numbers (IRQn: the exception number minus 16). */
#define FLASH_IRQn      3u
#define RCC_IRQn        4u
#define DMA1_CH1_IRQn   9u
#define DMA1_CH2_3_IRQn 10u
#define DMA1_CH4_5_IRQn 11u
#define TIM6_IRQn       17u
#define TIM14_IRQn      19u
#define TIM16_IRQn      21u
#define TIM17_IRQn      22u
#define USART1_IRQn     27u

#endif
