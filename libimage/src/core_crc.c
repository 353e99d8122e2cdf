/* The one port function the bootloader's header rules need on the host (f0b_hal.h):
 * zlib's crc32, which the STM32F0's CRC unit computes on the device. Only f0b_hdr_validate()
 * and f0b_layout_init() of boot.c are linked into the host tools (f0b_bootrules is compiled
 * with -ffunction-sections and linked with --gc-sections), so no flash access is needed. */
#include <zlib.h>

#include "f0b_hal.h"

uint32_t f0b_hal_crc32(const uint8_t *p, uint32_t len)
{
    return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, len);
}
