/* The timers CubeMX projects use as their HAL time base (RM0360 sections 17 to 19): the
 * basic timer TIM6 and the general-purpose TIM14, TIM16, TIM17, as far as their time base
 * goes (counter, prescaler, auto-reload, update event and interrupt); offsets from each
 * timer's base. Capture/compare channels are not named here. */
#ifndef F0B_REGS_TIM_H
#define F0B_REGS_TIM_H

#define TIM6_BASE_R       0x40001000u /* APB1 */
#define TIM14_BASE_R      0x40002000u /* APB1 */
#define TIM16_BASE_R      0x40014400u /* APB2 */
#define TIM17_BASE_R      0x40014800u /* APB2 */
#define TIM_SIZE          0x400u
#define TIM_CR1_OFF       0x00u
#define TIM_CR1_CEN       (1u << 0)
#define TIM_CR1_UDIS      (1u << 1)  /* no update event */
#define TIM_CR1_URS       (1u << 2)  /* only an overflow raises UIF (not UG) */
#define TIM_CR1_OPM       (1u << 3)  /* one-pulse: CEN clears at the next update */
#define TIM_CR1_ARPE      (1u << 7)  /* ARR buffered until the update */
#define TIM_CR1_CKD_SHIFT 8u         /* TIM14/16/17: dead-time clock, no effect here */
#define TIM_CR1_UIFREMAP  (1u << 11) /* UIF copied into CNT bit 31 */
#define TIM_CR2_OFF       0x04u
#define TIM_DIER_OFF      0x0Cu
#define TIM_DIER_UIE      (1u << 0)
#define TIM_SR_OFF        0x10u
#define TIM_SR_UIF        (1u << 0) /* rc_w0: write 0 to clear */
#define TIM_EGR_OFF       0x14u
#define TIM_EGR_UG        (1u << 0) /* update: reload the prescaler, counter to 0 */
#define TIM_CNT_OFF       0x24u
#define TIM_CNT_UIFCPY    (1u << 31)
#define TIM_PSC_OFF       0x28u
#define TIM_ARR_OFF       0x2Cu
#define TIM_RCR_OFF       0x30u /* TIM16/17: repetition counter */

#endif
