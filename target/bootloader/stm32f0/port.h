/* Port-private entry points used by main.c (the rest is f0b_hal.h). */
#ifndef F0B_PORT_H
#define F0B_PORT_H

/* What every boot needs, even one that jumps at once: the CRC unit (header check). */
void f0b_port_early_init(void);

/* What staying in the bootloader needs: 48 MHz, SysTick time base, USART1 115200 8N1 with
 * DMA reception into the ring. */
void f0b_port_init(void);

#endif
