/* The independent watchdog model (dev/iwdg.c). */
#ifndef F0SIM_DEV_IWDG_H
#define F0SIM_DEV_IWDG_H

#include <stdint.h>

struct iwdg_state {
    uint32_t pr, rlr, unlocked, on;
    uint64_t deadline;
};

#endif
