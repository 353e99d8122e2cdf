/*
 * STM32F0 registers used by the f0boot firmware, named as RM0360 (STM32F030/F070 reference
 * manual) names them: PERIPH_REG for a register, PERIPH_REG_BIT for a bit. Only what the
 * bootloader and the application template touch; every address here is one the virtual
 * board (sim/) models. Headings give the RM0360 chapter; core registers are from the Cortex-M0
 * Devices Generic User Guide (ARM DUI 0497A).
 */
#ifndef F0B_STM32F0_REGS_H
#define F0B_STM32F0_REGS_H

#include <stddef.h>
#include <stdint.h>

#define F0_REG(addr) (*(volatile uint32_t *)(addr))
#define F0_REG8(addr) (*(volatile uint8_t *)(addr))

/* Register blocks as structs: the compiler then loads a peripheral's base address once and
 * reaches its registers by offset, which saves a literal per access (the bootloader has to
 * fit 4 KB). The RM0360 names below are what the code uses. */
typedef volatile uint32_t f0_reg;
struct f0_flash { f0_reg ACR, KEYR, OPTKEYR, SR, CR, AR, RES, OBR, WRPR; };
struct f0_rcc { f0_reg CR, CFGR, CIR, APB2RSTR, APB1RSTR, AHBENR, APB2ENR, APB1ENR, BDCR, CSR,
                AHBRSTR, CFGR2, CFGR3, CR2; };
struct f0_gpio { f0_reg MODER, OTYPER, OSPEEDR, PUPDR, IDR, ODR, BSRR, LCKR, AFRL, AFRH, BRR; };
struct f0_dma_ch { f0_reg CCR, CNDTR, CPAR, CMAR, RES; };
struct f0_dma { f0_reg ISR, IFCR; struct f0_dma_ch CH[7]; };
struct f0_crc { f0_reg DR, IDR, CR, RES, INIT; };
struct f0_usart { f0_reg CR1, CR2, CR3, BRR, GTPR, RTOR, RQR, ISR, ICR, RDR, TDR; };
struct f0_syst { f0_reg CSR, RVR, CVR, CALIB; };
struct f0_scb { f0_reg CPUID, ICSR, RES, AIRCR, SCR, CCR; };

#define F0_FLASH  ((struct f0_flash *)FLASH_BASE_R)
#define F0_RCC    ((struct f0_rcc *)RCC_BASE_R)
#define F0_GPIOA  ((struct f0_gpio *)GPIOA_BASE_R)
#define F0_SYSCFG ((volatile uint32_t *)SYSCFG_BASE_R)
#define F0_DMA1   ((struct f0_dma *)DMA1_BASE_R)
#define F0_CRC    ((struct f0_crc *)CRC_BASE_R)
#define F0_USART1 ((struct f0_usart *)USART1_BASE_R)
#define F0_SYST   ((struct f0_syst *)0xE000E010u)
#define F0_SCB    ((struct f0_scb *)0xE000ED00u)

/* Offsets as RM0360's register maps give them. */
_Static_assert(offsetof(struct f0_flash, AR) == 0x14, "FLASH_AR");
_Static_assert(offsetof(struct f0_rcc, AHBRSTR) == 0x28, "RCC_AHBRSTR");
_Static_assert(offsetof(struct f0_gpio, AFRH) == 0x24, "GPIOx_AFRH");
_Static_assert(offsetof(struct f0_dma, CH[2].CMAR) == 0x3C, "DMA_CMAR3");
_Static_assert(offsetof(struct f0_crc, INIT) == 0x10, "CRC_INIT");
_Static_assert(offsetof(struct f0_usart, TDR) == 0x28, "USART_TDR");
_Static_assert(offsetof(struct f0_scb, AIRCR) == 0x0C, "SCB_AIRCR");

/* --- FLASH interface (Embedded flash memory) --------------------------------------- */
#define FLASH_BASE_R        0x40022000u
#define FLASH_ACR           (F0_FLASH->ACR)
#define FLASH_ACR_LATENCY   (1u << 0)   /* one wait state: needed above 24 MHz */
#define FLASH_ACR_PRFTBE    (1u << 4)
#define FLASH_KEYR          (F0_FLASH->KEYR)
#define FLASH_KEY1          0x45670123u
#define FLASH_KEY2          0xCDEF89ABu
#define FLASH_SR            (F0_FLASH->SR)
#define FLASH_SR_BSY        (1u << 0)
#define FLASH_SR_PGERR      (1u << 2)
#define FLASH_SR_WRPRTERR   (1u << 4)
#define FLASH_SR_EOP        (1u << 5)
#define FLASH_CR            (F0_FLASH->CR)
#define FLASH_CR_PG         (1u << 0)
#define FLASH_CR_PER        (1u << 1)
#define FLASH_CR_STRT       (1u << 6)
#define FLASH_CR_LOCK       (1u << 7)
#define FLASH_AR            (F0_FLASH->AR)

/* --- RCC (Reset and clock control) ------------------------------------------------- */
#define RCC_BASE_R          0x40021000u
#define RCC_CR              (F0_RCC->CR)
#define RCC_CR_HSION        (1u << 0)
#define RCC_CR_PLLON        (1u << 24)
#define RCC_CR_PLLRDY       (1u << 25)
#define RCC_CFGR            (F0_RCC->CFGR)
#define RCC_CFGR_SW_MASK    (3u << 0)
#define RCC_CFGR_SW_PLL     (2u << 0)
#define RCC_CFGR_SWS_MASK   (3u << 2)
#define RCC_CFGR_SWS_PLL    (2u << 2)
#define RCC_CFGR_PLLMUL12   (10u << 18) /* PLLMUL = n - 2; PLLSRC = 0: HSI/2 */
#define RCC_APB2RSTR        (F0_RCC->APB2RSTR)
#define RCC_APB2RSTR_SYSCFGRST (1u << 0)
#define RCC_APB2RSTR_USART1RST (1u << 14)
#define RCC_AHBENR          (F0_RCC->AHBENR)
#define RCC_AHBENR_DMAEN    (1u << 0)
#define RCC_AHBENR_SRAMEN   (1u << 2)
#define RCC_AHBENR_FLITFEN  (1u << 4)
#define RCC_AHBENR_CRCEN    (1u << 6)
#define RCC_AHBENR_IOPAEN   (1u << 17)
#define RCC_AHBENR_RESET    (RCC_AHBENR_SRAMEN | RCC_AHBENR_FLITFEN)  /* reset value 0x14 */
#define RCC_APB2ENR         (F0_RCC->APB2ENR)
#define RCC_APB2ENR_SYSCFGEN (1u << 0)
#define RCC_APB2ENR_USART1EN (1u << 14)
#define RCC_APB2ENR_DBGMCUEN (1u << 22)
#define RCC_AHBRSTR         (F0_RCC->AHBRSTR)
#define RCC_AHBRSTR_IOPARST (1u << 17)

/* --- GPIO port A (General-purpose I/Os) -------------------------------------------- */
#define GPIOA_BASE_R        0x48000000u
#define GPIOA_MODER         (F0_GPIOA->MODER)
#define GPIO_MODER_AF       2u          /* 2 bits per pin */
#define GPIOA_MODER_RESET   0x28000000u /* PA13/PA14 in AF mode: SWD */
#define GPIOA_PUPDR         (F0_GPIOA->PUPDR)
#define GPIO_PUPDR_PU       1u
#define GPIOA_PUPDR_RESET   0x24000000u /* SWDIO pull-up, SWCLK pull-down */
#define GPIOA_AFRH          (F0_GPIOA->AFRH)

/* --- SYSCFG (System configuration controller) -------------------------------------- */
#define SYSCFG_BASE_R       0x40010000u
#define SYSCFG_CFGR1        (F0_SYSCFG[0])
#define SYSCFG_CFGR1_MEM_MODE_MASK 3u
#define SYSCFG_CFGR1_MEM_MODE_SRAM 3u   /* 11: embedded SRAM mapped at 0x00000000 */

/* --- DMA (Direct memory access); USART1_RX is a request of channel 3 --------------- */
#define DMA1_BASE_R         0x40020000u
#define DMA1_IFCR           (F0_DMA1->IFCR)
#define DMA1_CCR3           (F0_DMA1->CH[2].CCR)
#define DMA1_CNDTR3         (F0_DMA1->CH[2].CNDTR)
#define DMA1_CPAR3          (F0_DMA1->CH[2].CPAR)
#define DMA1_CMAR3          (F0_DMA1->CH[2].CMAR)
#define DMA_CCR_EN          (1u << 0)
#define DMA_CCR_CIRC        (1u << 5)
#define DMA_CCR_MINC        (1u << 7)
#define DMA_IFCR_CGIF3      (0xFu << 8) /* CGIF3 | CTCIF3 | CHTIF3 | CTEIF3 */

/* --- CRC calculation unit (Cyclic redundancy check) -------------------------------- */
#define CRC_BASE_R          0x40023000u
#define CRC_DR              (F0_CRC->DR)
#define CRC_DR8             F0_REG8(CRC_BASE_R + 0x00u)
#define CRC_CR              (F0_CRC->CR)
#define CRC_CR_RESET        (1u << 0)
#define CRC_CR_REV_IN_BYTE  (1u << 5)   /* REV_IN = 01: bit order reversed in each byte */
#define CRC_CR_REV_OUT      (1u << 7)

/* --- USART1 (Universal synchronous asynchronous receiver transmitter) -------------- */
#define USART1_BASE_R       0x40013800u
#define USART1_CR1          (F0_USART1->CR1)
#define USART_CR1_UE        (1u << 0)
#define USART_CR1_RE        (1u << 2)
#define USART_CR1_TE        (1u << 3)
#define USART_CR1_RXNEIE    (1u << 5)
#define USART_CR1_TXEIE     (1u << 7)
#define USART1_CR3          (F0_USART1->CR3)
#define USART_CR3_DMAR      (1u << 6)
#define USART_CR3_OVRDIS    (1u << 12)
#define USART1_BRR          (F0_USART1->BRR)
#define USART1_ISR          (F0_USART1->ISR)
#define USART_ISR_ORE       (1u << 3)
#define USART_ISR_RXNE      (1u << 5)
#define USART_ISR_TC        (1u << 6)
#define USART_ISR_TXE       (1u << 7)
#define USART1_ICR          (F0_USART1->ICR)
#define USART_ICR_ORECF     (1u << 3)
#define USART1_RDR          (F0_USART1->RDR)
#define USART1_TDR          (F0_USART1->TDR)
#define USART1_IRQn         27u

/* --- IWDG (Independent watchdog) ------------------------------------------------- */
#define IWDG_KR             F0_REG(0x40003000u)
#define IWDG_KR_RELOAD      0xAAAAu

/* --- DBGMCU (Debug support) -------------------------------------------------------- */
#define DBGMCU_IDCODE       F0_REG(0x40015800u)
#define DBGMCU_IDCODE_DEV_ID_MASK 0xFFFu

/* --- Cortex-M0 core: SysTick, NVIC, SCB -------------------------------------------- */
#define SYST_CSR            (F0_SYST->CSR)
#define SYST_CSR_ENABLE     (1u << 0)
#define SYST_CSR_TICKINT    (1u << 1)
#define SYST_CSR_CLKSOURCE  (1u << 2)   /* 1: processor clock */
#define SYST_RVR            (F0_SYST->RVR)
#define SYST_CVR            (F0_SYST->CVR)
#define NVIC_ISER           F0_REG(0xE000E100u)
#define NVIC_ICER           F0_REG(0xE000E180u)
#define NVIC_ICPR           F0_REG(0xE000E280u)
#define SCB_ICSR            (F0_SCB->ICSR)
#define SCB_ICSR_PENDSTCLR  (1u << 25)
#define SCB_ICSR_PENDSVCLR  (1u << 27)
#define SCB_AIRCR           (F0_SCB->AIRCR)
#define SCB_AIRCR_RESET     0x05FA0004u /* VECTKEY | SYSRESETREQ */

/* Clock figures the firmware is built for. */
#define F0_HSI_HZ           8000000u
#define F0_SYSCLK_HZ        48000000u

static inline void f0_dsb(void)
{
    __asm__ volatile("dsb" ::: "memory");
}

#endif
