/* SYSCFG registers (RM0360 section 9.1). */
#ifndef F0B_REGS_SYSCFG_H
#define F0B_REGS_SYSCFG_H

#define SYSCFG_BASE_R                  0x40010000u
#define SYSCFG_CFGR1_OFF               0x00u
#define SYSCFG_CFGR1_MEM_MODE_MASK     3u
#define SYSCFG_CFGR1_MEM_MODE_SYSMEM   1u         /* 01: system memory mapped at 0x00000000 */
#define SYSCFG_CFGR1_MEM_MODE_SRAM     3u         /* 11: embedded SRAM mapped at 0x00000000 */
#define SYSCFG_CFGR1_USART1_TX_DMA_RMP (1u << 9)  /* USART1_TX on DMA channel 4, not 2 */
#define SYSCFG_CFGR1_USART1_RX_DMA_RMP (1u << 10) /* USART1_RX on DMA channel 5, not 3 */
#define SYSCFG_CFGR1_WRITABLE          0x00FF1F13u
#define SYSCFG_EXTICR1_OFF             0x08u
#define SYSCFG_CFGR2_OFF               0x18u

#endif
