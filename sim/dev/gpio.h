/* The GPIO ports A-D and F model (dev/gpio.c). */
#ifndef F0SIM_DEV_GPIO_H
#define F0SIM_DEV_GPIO_H

#include <stdint.h>

struct chip;

struct gpio_state {
    uint32_t r[6][11]; /* port, register offset / 4 */
};

/* RCC_AHBRSTR.IOPxRST: port (0 = A) back to its reset values. */
void gpio_port_reset(struct chip *c, int port);

#endif
