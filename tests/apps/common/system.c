/* SystemInit() of the user application test firmwares: what CubeMX's system_stm32f0xx.c
 * holds (nothing, on the F0) plus the article's one edit, the vector-table remap first. */
#include "apps.h"
#include "f0boot_app.h"

void SystemInit(void) { f0boot_app_remap(); }
