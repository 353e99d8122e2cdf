/*
 * The seam fuzz_boot watches the core's flash operations through: the target is linked with
 * -Wl,--wrap=f0b_hal_flash_erase,--wrap=f0b_hal_flash_program, so every call the core makes
 * lands in fuzz_boot.c's __wrap_* function, which checks the invariants and then calls the
 * strict fake (tests/fakes/fake_flash.c) through the linker-made __real_* name.
 */
#ifndef F0B_FUZZ_FLASH_WRAP_H
#define F0B_FUZZ_FLASH_WRAP_H

#include <stdint.h>

/* The fake's f0b_hal_flash_erase() / f0b_hal_flash_program() (f0b_hal.h), unwrapped. */
int __real_f0b_hal_flash_erase(uint32_t page_addr);
int __real_f0b_hal_flash_program(uint32_t addr, const uint8_t *src, uint32_t len);

/* What the core calls instead: check, then forward to the fake. */
int __wrap_f0b_hal_flash_erase(uint32_t page_addr);
int __wrap_f0b_hal_flash_program(uint32_t addr, const uint8_t *src, uint32_t len);

#endif
