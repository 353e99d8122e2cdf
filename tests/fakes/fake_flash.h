/*
 * A strict host-side fake of the STM32F0 flash, implementing the flash half of f0b_hal.h:
 * f0b_hal_flash_erase(), f0b_hal_flash_program(), f0b_hal_flash_ptr(), f0b_hal_crc32()
 * (zlib crc32, the value the F0 CRC unit gives) and f0b_hal_crc_frame() (CRC-32/MPEG-2,
 * bit by bit). Link tests/fakes/fake_flash.c (CMake
 * target f0b_fake_flash) into any host test of the bootloader core.
 *
 * Rules enforced, as the F0 flash interface does (RM0360 section 3) or stricter:
 *   - program: address and length even (the F0 only takes 16-bit stores); every target
 *     half-word must read 0xFFFF (the F0 sets PGERR and leaves the cell);
 *   - erase: page_addr must be the start of a page;
 *   - nothing below layout->app_start (the bootloader's pages) and nothing outside the flash
 *     may be erased or programmed (returns F0B_ST_FLASH_PROTECTED);
 * Each breach also increments fake_flash_violations() and records a message, so a test can
 * assert that the core never even tried. The F0's PGERR on a non-erased target is reported
 * as F0B_ST_FLASH_PROGRAM; a misaligned erase as F0B_ST_FLASH_ERASE.
 *
 * Operations are counted one by one: a page erase is one operation, each programmed
 * half-word is one operation (so a power cut can fall between two half-words of one
 * f0b_hal_flash_program() call, as on the chip).
 *
 * Power cuts: fake_flash_arm_cut(n, kind, env) makes operation number n (0-based, counted
 * from the call) lose power: FAKE_CUT_BEFORE leaves the flash untouched, FAKE_CUT_TORN
 * leaves the operation half done (a half-word with only some of its 0 bits programmed; a
 * page with only some of its bits erased, pseudo-random but reproducible from seed and n),
 * then longjmp(*env, 1). The test's setjmp() then plays the next power-on.
 */
#ifndef F0B_FAKE_FLASH_H
#define F0B_FAKE_FLASH_H

#include <setjmp.h>
#include <stdint.h>
#include "f0b_core.h"

enum fake_cut {
    FAKE_CUT_BEFORE = 0, /* power lost before the operation starts */
    FAKE_CUT_TORN = 1,   /* power lost in the middle of the operation */
};

/* Allocate a flash of l->flash_size bytes at F0B_FLASH_BASE, all erased (0xFF) except the
 * bootloader's pages, which get a fixed non-0xFF pattern. l must outlive the fake.
 * Resets counters, violations and any armed cut. Call fake_flash_free() when done. */
void fake_flash_init(const struct f0b_layout *l);
void fake_flash_free(void);

/* The whole flash as bytes (index 0 = F0B_FLASH_BASE), for tests to preload or inspect. */
uint8_t *fake_flash_mem(void);
/* Toggle bits of the flash byte at address addr behind the driver's back (damage that
 * must be found); toggling again restores it. */
void fake_flash_flip(uint32_t addr, uint8_t bits);
uint32_t fake_flash_size(void);

/* True if the bootloader's pages still hold the pattern fake_flash_init() put there. */
int fake_flash_boot_intact(void);

/* Operations performed since init (erases + half-words programmed), and erases alone. */
uint64_t fake_flash_ops(void);
uint64_t fake_flash_erases(void);
/* Erase count of the page that contains addr (wear). */
uint32_t fake_flash_page_erases(uint32_t addr);

/* Rule breaches since init, and the message of the last one ("" if none). */
unsigned fake_flash_violations(void);
const char *fake_flash_last_violation(void);

/* Arm a power cut at the n-th operation from now; kind as above; env the test's jmp_buf.
 * seed varies the torn bit pattern. The cut fires once and disarms itself. */
void fake_flash_arm_cut(uint64_t n, enum fake_cut kind, jmp_buf *env, uint32_t seed);
void fake_flash_disarm(void);
/* 1 if the armed cut has fired since it was armed. */
int fake_flash_cut_fired(void);

#endif
