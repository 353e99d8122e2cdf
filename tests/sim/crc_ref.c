/* Writes crc_expect.h for the CRC test firmware: zlib's crc32() of the same
 * pseudo-random buffer the firmware builds, and of "123456789". */
#include <stdint.h>
#include <stdio.h>
#include <zlib.h>

#define LEN  1024u
#define SEED 0x2545F491u

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: crc_ref OUT.h\n");
        return 2;
    }
    static uint8_t buf[LEN];
    uint32_t x = SEED;
    for (uint32_t i = 0; i < LEN; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
    uLong a = crc32(0L, buf, LEN);
    uLong b = crc32(0L, (const Bytef *)"123456789", 9);
    FILE *f = fopen(argv[1], "w");
    if (!f)
        return 1;
    fprintf(f, "#define CRC_BUF_LEN %uu\n#define CRC_SEED 0x%08Xu\n", LEN, SEED);
    fprintf(f, "#define CRC_EXPECT_BUF 0x%08lXu\n#define CRC_EXPECT_CHECK 0x%08lXu\n", a, b);
    return fclose(f) != 0;
}
