/* RCC registers (RM0360 section 7.4): base, offsets (NAME_OFF), bits. */
#ifndef F0B_REGS_RCC_H
#define F0B_REGS_RCC_H

#define RCC_BASE_R                 0x40021000u
#define RCC_CR_OFF                 0x00u
#define RCC_CR_HSION               (1u << 0)
#define RCC_CR_HSIRDY              (1u << 1)
#define RCC_CR_HSITRIM_RESET       (16u << 3) /* HSITRIM reset value */
#define RCC_CR_HSEON               (1u << 16)
#define RCC_CR_HSERDY              (1u << 17)
#define RCC_CR_HSEBYP              (1u << 18) /* HSE from an external clock, not a crystal */
#define RCC_CR_CSSON               (1u << 19)
#define RCC_CR_PLLON               (1u << 24)
#define RCC_CR_PLLRDY              (1u << 25)
#define RCC_CFGR_OFF               0x04u
#define RCC_CFGR_SW_MASK           (3u << 0)
#define RCC_CFGR_SW_HSE            (1u << 0)
#define RCC_CFGR_SW_PLL            (2u << 0)
#define RCC_CFGR_SWS_SHIFT         2u
#define RCC_CFGR_SWS_MASK          (3u << 2)
#define RCC_CFGR_SWS_HSE           (1u << 2)
#define RCC_CFGR_SWS_PLL           (2u << 2)
#define RCC_CFGR_HPRE_SHIFT        4u /* 4 bits: 0xxx = /1, 1000.. = /2../512 */
#define RCC_CFGR_PPRE_SHIFT        8u /* 3 bits: 0xx = /1, 100.. = /2../16 */
#define RCC_CFGR_ADCPRE            (1u << 14)
#define RCC_CFGR_PLLSRC_SHIFT      15u
#define RCC_CFGR_PLLSRC_MASK       (3u << 15)
#define RCC_CFGR_PLLSRC_HSI_DIV2   (0u << 15)
#define RCC_CFGR_PLLSRC_HSI_PREDIV (1u << 15)
#define RCC_CFGR_PLLSRC_HSE_PREDIV (2u << 15)
#define RCC_CFGR_PLLXTPRE          (1u << 17) /* the same bit as RCC_CFGR2.PREDIV bit 0 */
#define RCC_CFGR_PLLMUL_SHIFT      18u        /* 4 bits: PLLMUL = n - 2, at most x16 */
#define RCC_CFGR_PLLMUL_MASK       (0xFu << 18)
#define RCC_CFGR_PLLMUL(n)         ((uint32_t)((n)-2u) << 18) /* n = 2..16 */
#define RCC_CFGR_MCO_SHIFT         24u         /* MCO, MCOPRE, PLLNODIV: clock output, bits 31:24 */
#define RCC_CFGR_PLLMUL12          (10u << 18) /* PLLMUL = n - 2; PLLSRC = 0: HSI/2 */
#define RCC_CIR_OFF                0x08u
#define RCC_APB2RSTR_OFF           0x0Cu
#define RCC_APB2RSTR_SYSCFGRST     (1u << 0)
#define RCC_APB2RSTR_USART1RST     (1u << 14)
#define RCC_APB1RSTR_OFF           0x10u
#define RCC_AHBENR_OFF             0x14u
#define RCC_AHBENR_DMAEN           (1u << 0)
#define RCC_AHBENR_SRAMEN          (1u << 2)
#define RCC_AHBENR_FLITFEN         (1u << 4)
#define RCC_AHBENR_CRCEN           (1u << 6)
#define RCC_AHBENR_IOPAEN          (1u << 17) /* IOPBEN..IOPFEN follow: bit 17 + port */
#define RCC_AHBENR_RESET           (RCC_AHBENR_SRAMEN | RCC_AHBENR_FLITFEN) /* reset value 0x14 */
#define RCC_APB2ENR_OFF            0x18u
#define RCC_APB2ENR_SYSCFGEN       (1u << 0)
#define RCC_APB2ENR_USART1EN       (1u << 14)
#define RCC_APB2ENR_TIM16EN        (1u << 17)
#define RCC_APB2ENR_TIM17EN        (1u << 18)
#define RCC_APB2ENR_DBGMCUEN       (1u << 22)
#define RCC_APB1ENR_OFF            0x1Cu
#define RCC_APB1ENR_TIM6EN         (1u << 4)
#define RCC_APB1ENR_TIM14EN        (1u << 8)
#define RCC_BDCR_OFF               0x20u
#define RCC_CSR_OFF                0x24u
#define RCC_CSR_LSION              (1u << 0)
#define RCC_CSR_LSIRDY             (1u << 1)
#define RCC_CSR_RMVF               (1u << 24) /* write 1: clear every reset flag */
#define RCC_CSR_OBLRSTF            (1u << 25)
#define RCC_CSR_PINRSTF            (1u << 26) /* also set by every internal reset (NRST pulse) */
#define RCC_CSR_PORRSTF            (1u << 27)
#define RCC_CSR_SFTRSTF            (1u << 28)
#define RCC_CSR_IWDGRSTF           (1u << 29)
#define RCC_CSR_OBLRSTF            (1u << 25) /* option byte loader reset */
#define RCC_CSR_WWDGRSTF           (1u << 30)
#define RCC_CSR_LPWRRSTF           (1u << 31)
#define RCC_CSR_RSTF_MASK          0xFE000000u /* OBLRSTF..LPWRRSTF */
#define RCC_AHBRSTR_OFF            0x28u
#define RCC_AHBRSTR_IOPARST        (1u << 17) /* IOPBRST..IOPFRST follow */
#define RCC_CFGR2_OFF              0x2Cu
#define RCC_CFGR2_PREDIV_MASK      0xFu /* PREDIV = n - 1: PLL input divided by 1..16 */
#define RCC_CFGR2_PREDIV(n)        ((uint32_t)((n)-1u)) /* n = 1..16 */
#define RCC_CFGR3_OFF              0x30u
#define RCC_CFGR3_USART1SW_MASK    3u /* 00 PCLK, 01 SYSCLK, 10 LSE, 11 HSI */
#define RCC_CR2_OFF                0x34u

#endif
