/* IWDG registers (RM0360 section 19.4). */
#ifndef F0B_REGS_IWDG_H
#define F0B_REGS_IWDG_H

#define IWDG_BASE_R    0x40003000u
#define IWDG_KR_OFF    0x00u
#define IWDG_KR_RELOAD 0xAAAAu /* reload the counter */
#define IWDG_KR_ACCESS 0x5555u /* enable writes to PR and RLR */
#define IWDG_KR_START  0xCCCCu /* start the watchdog */
#define IWDG_PR_OFF    0x04u
#define IWDG_RLR_OFF   0x08u
#define IWDG_SR_OFF    0x0Cu
#define IWDG_LSI_HZ    40000u

#endif
