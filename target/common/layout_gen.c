/*
 * Evaluates include/f0boot/layout.h for one part of parts.def with the C compiler (the
 * macros use C casts, which a linker script cannot), in the manner of Linux's asm-offsets:
 * compiled with -S only, never linked. target/CMakeLists.txt reads the "@F0B name value"
 * lines out of the assembly and writes them into common/layout.ld.in.
 */
#include <stdint.h>
#include "f0boot/layout.h"
#include "f0_part.h"

#define EMIT(name, value) \
    __asm__ volatile("\n.ascii \"@F0B " #name " %c0@\"" ::"i"((uint32_t)(value)))

void f0b_layout_gen(void);
void f0b_layout_gen(void)
{
    EMIT(BOOT_ORIGIN, F0B_FLASH_BASE);
    EMIT(BOOT_LENGTH, F0B_BOOT_SIZE);
    EMIT(APP_ORIGIN, F0B_APP_START);
    EMIT(APP_LENGTH, F0B_APP_SIZE(F0_PART_FLASH_KB, F0_PART_PAGE));
    EMIT(RECORD_ORIGIN, F0B_RECORD_ADDR(F0_PART_FLASH_KB, F0_PART_PAGE));
    EMIT(RECORD_LENGTH, F0_PART_PAGE);
    EMIT(VTRAM_ORIGIN, F0B_SRAM_BASE);
    EMIT(VTRAM_LENGTH, F0B_VT_MAX);
    EMIT(RAM_ORIGIN, F0B_APP_RAM_START);
    EMIT(RAM_LENGTH, F0B_SRAM_END(F0_PART_SRAM_KB) - F0B_APP_RAM_START);
}
