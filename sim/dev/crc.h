/* The CRC unit model (dev/crc.c). */
#ifndef F0SIM_DEV_CRC_H
#define F0SIM_DEV_CRC_H

#include <stdint.h>

struct crc_state {
    uint32_t dr, idr, cr, init;
};

#endif
