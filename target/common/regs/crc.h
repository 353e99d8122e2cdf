/* CRC calculation unit registers (RM0360 section 6.4). */
#ifndef F0B_REGS_CRC_H
#define F0B_REGS_CRC_H

#define CRC_BASE_R          0x40023000u
#define CRC_DR_OFF          0x00u
#define CRC_IDR_OFF         0x04u
#define CRC_CR_OFF          0x08u
#define CRC_CR_RESET        (1u << 0)
#define CRC_CR_REV_IN_SHIFT 5u        /* 2 bits: 00 none, 01 byte, 10 half-word, 11 word */
#define CRC_CR_REV_IN_BYTE  (1u << 5) /* REV_IN = 01: bit order reversed in each byte */
#define CRC_CR_REV_OUT      (1u << 7)
#define CRC_CR_WRITABLE     0xE0u
#define CRC_INIT_OFF        0x10u
#define CRC_POLY            0x04C11DB7u /* fixed on the F030 */

#endif
