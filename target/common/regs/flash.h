/* FLASH interface registers (RM0360 section 3.5): the base address, each register's offset
 * from it (NAME_OFF) and its bits. No accessors: firmware reaches the registers through
 * stm32f0_regs.h, f0sim's flash model decodes the offsets. */
#ifndef F0B_REGS_FLASH_H
#define F0B_REGS_FLASH_H

#define FLASH_BASE_R         0x40022000u
#define FLASH_ACR_OFF        0x00u
#define FLASH_ACR_LATENCY    (1u << 0) /* one wait state: needed above 24 MHz */
#define FLASH_ACR_PRFTBE     (1u << 4)
#define FLASH_ACR_PRFTBS     (1u << 5) /* read-only: prefetch buffer status */
#define FLASH_KEYR_OFF       0x04u
#define FLASH_KEY1           0x45670123u
#define FLASH_KEY2           0xCDEF89ABu
#define FLASH_OPTKEYR_OFF    0x08u
#define FLASH_SR_OFF         0x0Cu
#define FLASH_SR_BSY         (1u << 0)
#define FLASH_SR_PGERR       (1u << 2)
#define FLASH_SR_WRPRTERR    (1u << 4)
#define FLASH_SR_EOP         (1u << 5)
#define FLASH_CR_OFF         0x10u
#define FLASH_CR_PG          (1u << 0)
#define FLASH_CR_PER         (1u << 1)
#define FLASH_CR_MER         (1u << 2)
#define FLASH_CR_OPTPG       (1u << 4)
#define FLASH_CR_OPTER       (1u << 5)
#define FLASH_CR_STRT        (1u << 6)
#define FLASH_CR_LOCK        (1u << 7)
#define FLASH_CR_OPTWRE      (1u << 9)
#define FLASH_CR_ERRIE       (1u << 10)
#define FLASH_CR_EOPIE       (1u << 12)
#define FLASH_CR_OBL_LAUNCH  (1u << 13) /* reload the option bytes (a system reset) */
#define FLASH_AR_OFF         0x14u
#define FLASH_OBR_OFF        0x1Cu
#define FLASH_OBR_RDPRT_MASK (3u << 1)   /* 00 level 0, 01 level 1, 11 level 2 */
#define FLASH_OB_BASE        0x1FFFF800u /* the option bytes (RM0360 section 4) */
#define FLASH_OB_RDP_LEVEL0  0xAAu
#define FLASH_WRPR_OFF       0x20u

#endif
