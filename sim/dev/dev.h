/*
 * The device interface of f0sim: every peripheral model is one file in dev/ exporting one
 * struct dev_ops, and one row of the bus table (machine.c) places it in the address map.
 * The machine dispatches MMIO accesses through the table, asks every device for its next
 * event, services the devices that are due, resets them and re-asserts their level-sensitive
 * interrupt lines. Adding a peripheral = one file here + one row in machine.c (docs/f0sim.md).
 */
#ifndef F0SIM_DEV_H
#define F0SIM_DEV_H

#include <stdint.h>

struct chip;

#define DEV_NONE UINT64_MAX /* read(): the register is not modelled */

struct dev_ops {
    const char *name;
    uint32_t base, size; /* address range on the bus */
    /* writes narrower than 32 bits reach write() as they are (CRC_DR takes 8/16/32-bit
     * data); otherwise they arrive shifted to their byte lane of the word */
    int narrow_raw;
    /* 0 when the peripheral clock of the register at off is off in RCC (NULL: always on) */
    int (*clocked)(const struct chip *c, uint32_t off);
    /* a register that counts time: reading it is not idle polling (NULL: none) */
    int (*is_counter)(uint32_t off);
    /* the 32-bit register at off (word-aligned), or DEV_NONE */
    uint64_t (*read)(struct chip *c, uint32_t off);
    /* off as accessed (a byte write keeps its low bits: the register is at off & ~3),
     * size in bytes; an unmodelled register is reported with chip_unmodelled() */
    void (*write)(struct chip *c, uint32_t off, uint32_t v, unsigned size);
    void (*reset)(struct chip *c);          /* system reset */
    uint64_t (*next_event)(struct chip *c); /* virtual time of the next event, T_NEVER */
    void (*service)(struct chip *c);        /* run what is due at c->now */
    void (*levels)(struct chip *c);         /* re-assert level-sensitive IRQ lines */
};

extern const struct dev_ops dev_flash, dev_rcc, dev_usart1, dev_dma1, dev_crc, dev_iwdg, dev_syscfg,
    dev_dbgmcu, dev_gpio, dev_nvic, dev_rom, dev_tim6, dev_tim14, dev_tim16, dev_tim17,
    dev_watch; /* watch.c: the observer (no registers) */

#endif
