/* CRC unit as on the F030: the zlib crc32() of a buffer three ways (bytes with
 * REV_IN=01, half-words with REV_IN=10, words with REV_IN=11, all with REV_OUT and ~DR),
 * the check value of "123456789", INIT and RESET. Expected values come from zlib at
 * build time (crc_expect.h, written by crc_ref). */
#include "fw.h"
#include "crc_expect.h"

static uint8_t buf[CRC_BUF_LEN];

int main(void)
{
    uart_init(0x45);
    uint32_t x = CRC_SEED;
    for (uint32_t i = 0; i < CRC_BUF_LEN; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
    CHECK(CRC_DR == 0u, "CRC reads 0 with its clock off", CRC_DR);
    RCC_AHBENR |= 1u << 6; /* CRCEN */
    CHECK(CRC_DR == 0xFFFFFFFFu, "DR reset value", CRC_DR);

    CRC_CR = 1u | (1u << 7) | (1u << 5);
    for (uint32_t i = 0; i < CRC_BUF_LEN; i++)
        CRC_DR8 = buf[i];
    CHECK(~CRC_DR == CRC_EXPECT_BUF, "bytes, REV_IN=01", ~CRC_DR);

    CRC_CR = 1u | (1u << 7) | (2u << 5);
    for (uint32_t i = 0; i < CRC_BUF_LEN; i += 2)
        REG16(CRC_BASE_R + CRC_DR_OFF) = (uint16_t)(buf[i] | buf[i + 1] << 8);
    CHECK(~CRC_DR == CRC_EXPECT_BUF, "half-words, REV_IN=10", ~CRC_DR);

    CRC_CR = 1u | (1u << 7) | (3u << 5);
    for (uint32_t i = 0; i < CRC_BUF_LEN; i += 4)
        CRC_DR = (uint32_t)buf[i] | (uint32_t)buf[i + 1] << 8 | (uint32_t)buf[i + 2] << 16 |
                 (uint32_t)buf[i + 3] << 24;
    CHECK(~CRC_DR == CRC_EXPECT_BUF, "words, REV_IN=11", ~CRC_DR);

    /* REV_IN=01 with plain words is a different CRC (reference sheet) */
    CRC_CR = 1u | (1u << 7) | (1u << 5);
    for (uint32_t i = 0; i < CRC_BUF_LEN; i += 4)
        CRC_DR = (uint32_t)buf[i] | (uint32_t)buf[i + 1] << 8 | (uint32_t)buf[i + 2] << 16 |
                 (uint32_t)buf[i + 3] << 24;
    CHECK(~CRC_DR != CRC_EXPECT_BUF, "REV_IN=01 with words differs", ~CRC_DR);

    static const char digits[] = "123456789";
    CRC_CR = 1u | (1u << 7) | (1u << 5);
    for (int i = 0; i < 9; i++)
        CRC_DR8 = (uint8_t)digits[i];
    CHECK(~CRC_DR == CRC_EXPECT_CHECK, "check value 123456789", ~CRC_DR);
    CHECK(CRC_EXPECT_CHECK == 0xCBF43926u, "zlib check constant", CRC_EXPECT_CHECK);

    CRC_INIT = 0x12345678u;
    CRC_CR = 1u;
    CHECK(CRC_DR == 0x12345678u, "RESET loads INIT", CRC_DR);
    CRC_IDR = 0xA5u;
    CHECK(CRC_IDR == 0xA5u, "IDR", CRC_IDR);
    return 0;
}
