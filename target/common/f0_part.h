/*
 * The parameters of the part the firmware is built for, selected at compile time from the
 * one table include/f0boot/parts.def by F0B_PART_CODE (set by target/CMakeLists.txt).
 * Enum constants, so they work in C expressions and static assertions (not in #if).
 */
#ifndef F0B_F0_PART_H
#define F0B_F0_PART_H

#ifndef F0B_PART_CODE
#error "F0B_PART_CODE must be defined (a part code of include/f0boot/parts.def)"
#endif

#define F0B_PSEL(code, v)                                     +((code) == F0B_PART_CODE ? (v) : 0)
#define F0B_PART(code, name, id, flash_kb, page, sram_kb, vt) F0B_PSEL(code, flash_kb)
enum {
    F0_PART_FLASH_KB = 0
#include "f0boot/parts.def"
};
#undef F0B_PART
#define F0B_PART(code, name, id, flash_kb, page, sram_kb, vt) F0B_PSEL(code, page)
enum {
    F0_PART_PAGE = 0
#include "f0boot/parts.def"
};
#undef F0B_PART
#define F0B_PART(code, name, id, flash_kb, page, sram_kb, vt) F0B_PSEL(code, sram_kb)
enum {
    F0_PART_SRAM_KB = 0
#include "f0boot/parts.def"
};
#undef F0B_PART
#define F0B_PART(code, name, id, flash_kb, page, sram_kb, vt) F0B_PSEL(code, vt)
enum {
    F0_PART_VT_BYTES = 0
#include "f0boot/parts.def"
};
#undef F0B_PART
#undef F0B_PSEL

_Static_assert(F0_PART_PAGE != 0, "F0B_PART_CODE is not in include/f0boot/parts.def");

#endif
