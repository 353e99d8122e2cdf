/* DBGMCU registers (RM0360 section 24.9). */
#ifndef F0B_REGS_DBGMCU_H
#define F0B_REGS_DBGMCU_H

#define DBGMCU_BASE_R             0x40015800u
#define DBGMCU_IDCODE_OFF         0x00u
#define DBGMCU_IDCODE_DEV_ID_MASK 0xFFFu
#define DBGMCU_CR_OFF             0x04u
#define DBGMCU_APB1FZ_OFF         0x08u
#define DBGMCU_APB2FZ_OFF         0x0Cu

#endif
