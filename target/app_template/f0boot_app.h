/*
 * What an application behind the f0boot bootloader can call. Copy app_template/ to start a
 * new application (docs/porting.md).
 */
#ifndef F0BOOT_APP_H
#define F0BOOT_APP_H

/* Ask the bootloader to stay for an update: writes F0B_REQ_UPDATE_MAGIC into the first
 * shared word at the end of SRAM and resets the system. The bootloader then serves the
 * protocol (INFO reports stay_reason 1, "request") instead of starting the application. */
_Noreturn void f0boot_enter_bootloader(void);

/* Clock the startup code configured (SYSCLK = HCLK = PCLK). */
#define F0BOOT_APP_SYSCLK_HZ 48000000u

#endif
