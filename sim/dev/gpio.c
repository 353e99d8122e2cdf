/*
 * GPIO ports A, B, C, D and F (RM0360 section 8): registers stored, BSRR and BRR act on
 * ODR, IDR reads back the outputs (inputs float to 0). Port E does not exist on the F030.
 */
#include <string.h>

#include "../machine.h"
#include "dev.h"
#include "regs/gpio.h"
#include "regs/rcc.h"

#define GPIO_PORTS 6u

static int gpio_exists(uint32_t off, uint32_t *port, uint32_t *r)
{
    *port = off / GPIO_PORT_STRIDE;
    *r = (off % GPIO_PORT_STRIDE) & ~3u;
    return *port < GPIO_PORTS && *port != 4u && *r <= GPIO_BRR_OFF;
}

void gpio_port_reset(struct chip *c, int port)
{
    memset(c->gpio.r[port], 0, sizeof c->gpio.r[port]);
    if (port == 0) { /* PA13/PA14 in AF mode (SWD) */
        c->gpio.r[0][GPIO_MODER_OFF / 4u] = GPIOA_MODER_RESET;
        c->gpio.r[0][GPIO_OSPEEDR_OFF / 4u] = GPIOA_OSPEEDR_RESET;
        c->gpio.r[0][GPIO_PUPDR_OFF / 4u] = GPIOA_PUPDR_RESET;
    }
}

static void gpio_reset(struct chip *c)
{
    for (int p = 0; p < (int)GPIO_PORTS; p++)
        gpio_port_reset(c, p);
}

/* A port that does not exist is reported as unmodelled, not as clocked off. */
static int gpio_clocked(const struct chip *c, uint32_t off)
{
    uint32_t port, r;
    if (!gpio_exists(off, &port, &r))
        return 1;
    return rcc_enabled(c, RCC_AHBENR_OFF, RCC_AHBENR_IOPAEN << port);
}

static uint64_t gpio_read(struct chip *c, uint32_t off)
{
    uint32_t port, r;
    if (!gpio_exists(off, &port, &r))
        return DEV_NONE;
    if (r == GPIO_BSRR_OFF)
        return 0;
    if (r == GPIO_IDR_OFF)
        return c->gpio.r[port][GPIO_ODR_OFF / 4u]; /* outputs read back, inputs float to 0 */
    return c->gpio.r[port][r / 4u];
}

static void gpio_write(struct chip *c, uint32_t off, uint32_t v, unsigned size)
{
    uint32_t port, r;
    (void)size;
    if (!gpio_exists(off, &port, &r)) {
        chip_unmodelled(c, GPIOA_BASE_R + off, 1, v);
        return;
    }
    uint32_t *g = c->gpio.r[port], *odr = &g[GPIO_ODR_OFF / 4u];
    if (r == GPIO_BSRR_OFF) /* set low half, reset high half */
        *odr = (*odr | (v & 0xFFFFu)) & ~(v >> 16);
    else if (r == GPIO_BRR_OFF)
        *odr &= ~(v & 0xFFFFu);
    else if (r != GPIO_IDR_OFF)
        g[r / 4u] = v;
}

const struct dev_ops dev_gpio = {
    .name = "GPIO",
    .base = GPIOA_BASE_R,
    .size = 0x2000u,
    .clocked = gpio_clocked,
    .read = gpio_read,
    .write = gpio_write,
    .reset = gpio_reset,
};
