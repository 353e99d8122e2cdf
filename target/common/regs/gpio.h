/* GPIO registers (RM0360 section 8.4): port A's base, the stride between ports, offsets. */
#ifndef F0B_REGS_GPIO_H
#define F0B_REGS_GPIO_H

#define GPIOA_BASE_R        0x48000000u
#define GPIO_PORT_STRIDE    0x400u /* GPIOB = GPIOA + 0x400, ... GPIOF */
#define GPIO_MODER_OFF      0x00u
#define GPIO_MODER_AF       2u          /* 2 bits per pin */
#define GPIOA_MODER_RESET   0x28000000u /* PA13/PA14 in AF mode: SWD */
#define GPIO_OTYPER_OFF     0x04u
#define GPIO_OSPEEDR_OFF    0x08u
#define GPIOA_OSPEEDR_RESET 0x0C000000u /* PA13 high speed */
#define GPIO_PUPDR_OFF      0x0Cu
#define GPIO_PUPDR_PU       1u
#define GPIOA_PUPDR_RESET   0x24000000u /* SWDIO pull-up, SWCLK pull-down */
#define GPIO_IDR_OFF        0x10u
#define GPIO_ODR_OFF        0x14u
#define GPIO_BSRR_OFF       0x18u
#define GPIO_LCKR_OFF       0x1Cu
#define GPIO_AFRL_OFF       0x20u
#define GPIO_AFRH_OFF       0x24u
#define GPIO_BRR_OFF        0x28u

#endif
