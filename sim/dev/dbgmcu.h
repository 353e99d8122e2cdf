/* The DBGMCU model (dev/dbgmcu.c): IDCODE and the freeze registers. */
#ifndef F0SIM_DEV_DBGMCU_H
#define F0SIM_DEV_DBGMCU_H

#include <stdint.h>

struct dbgmcu_state {
    uint32_t cr, apb1, apb2;
};

#endif
