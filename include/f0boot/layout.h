/*
 * f0boot memory layout, shared by host tools, bootloader core and firmware.
 *
 *   flash  0x08000000 +-------------------------+
 *                     | bootloader   (4 KB)     |  never erased or written by f0boot
 *          APP_START  +-------------------------+  0x08001000
 *                     | application region      |  container payload lands here
 *          RECORD     +-------------------------+  last flash page
 *                     | boot record (1 page)    |  container header + commit word
 *                     +-------------------------+
 *   SRAM   0x20000000 +-------------------------+
 *                     | remapped vector table   |  192 bytes (SYSCFG MEM_MODE = SRAM);
 *                     |                         |  words 0-1: the update request
 *          0x200000C0 +-------------------------+
 *                     | application RAM         |  up to the end of SRAM (_estack)
 *                     +-------------------------+
 *
 * The update request lives in words 0 and 1 of the remapped vector table, which the core
 * never reads from SRAM: it fetches the initial SP and the reset vector only at reset, and
 * every reset returns MEM_MODE to the boot pins' mapping (flash), so exceptions use words
 * 2-47 of the copy only. A copied table holds an SP (0x2000xxxx) and a reset vector
 * (0x0800xxxx, odd) there, which can never equal the magic and its complement. The
 * bootloader also requires the reset to have been a software reset (RCC_CSR) and clears
 * the request when it reads it; see docs/porting.md.
 */
#ifndef F0BOOT_LAYOUT_H
#define F0BOOT_LAYOUT_H

#include <stdint.h>

#define F0B_FLASH_BASE 0x08000000u
#define F0B_SRAM_BASE  0x20000000u
/* The split: the bootloader takes the first F0B_BOOT_SIZE bytes of flash (4 KB; the secure
 * build takes more, set by the firmware build). A build parameter: a multiple of 2 KB (the
 * largest page) from F0B_BOOT_SIZE_MIN to F0B_BOOT_SIZE_MAX; the host learns the device's
 * split from INFO (app_start) and accepts any of them in a container's load_addr. */
#ifndef F0B_BOOT_SIZE
#define F0B_BOOT_SIZE 0x1000u /* bootloader: first 4 KB of flash */
#endif
#define F0B_BOOT_SIZE_MIN  0x1000u
#define F0B_BOOT_SIZE_MAX  0x2000u
#define F0B_BOOT_SIZE_STEP 0x0800u
#define F0B_APP_START      (F0B_FLASH_BASE + F0B_BOOT_SIZE)
#define F0B_VT_MAX         192u /* 16 system + 32 IRQ words, Cortex-M0 maximum */

/* Update request: the application writes MAGIC at F0B_REQ_ADDR and ~MAGIC at
 * F0B_REQ_ADDR + 4 (vector-table words 0 and 1 of the SRAM copy), then resets by software. */
#define F0B_REQ_ADDR         F0B_SRAM_BASE
#define F0B_REQ_UPDATE_MAGIC 0xB007F00Du /* neither an SRAM address nor a flash address */

/* The bytes the host sends on the application's UART to ask a running application (one
 * that feeds its received bytes to the application library's f0boot_app_feed()) for the
 * update request: 0xFF "f0boot:update" 0xFE (docs/protocol.md, "Asking a running
 * application"). 0xFF and 0xFE never occur in ASCII or UTF-8 text; 0xFF only once. */
#define F0B_APP_REQUEST \
    "\xFF"              \
    "f0boot:update"     \
    "\xFE"
#define F0B_APP_REQUEST_LEN 15u

/* Boot record, at the start of the last flash page (see docs/container.md). */
#define F0B_RECORD_HDR_OFF    0u          /* copy of the 64-byte container header */
#define F0B_RECORD_COMMIT_OFF 64u         /* u32 commit word, programmed last */
#define F0B_COMMIT_MAGIC      0x0C0FFEE5u /* any other value: not committed */

/* Derived per-part addresses; flash_kb/page/sram_kb come from parts.def. */
#define F0B_FLASH_END(flash_kb)       (F0B_FLASH_BASE + (uint32_t)(flash_kb)*1024u)
#define F0B_RECORD_ADDR(flash_kb, pg) (F0B_FLASH_END(flash_kb) - (uint32_t)(pg))
#define F0B_APP_SIZE(flash_kb, pg)    (F0B_RECORD_ADDR(flash_kb, pg) - F0B_APP_START)
#define F0B_SRAM_END(sram_kb)         (F0B_SRAM_BASE + (uint32_t)(sram_kb)*1024u)
#define F0B_APP_RAM_START             (F0B_SRAM_BASE + F0B_VT_MAX)

#endif
