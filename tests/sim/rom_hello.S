/*
 * The smallest image that shows the ROM bootloader's Go started it: linked at 0x08000000
 * (where stm32flash writes and Go jumps), it puts SYSCLK back on HSI 8 MHz, brings up
 * USART1 on PA9/PA10 at 115200, waits ~0.3 s and prints "ROM-GO-OK\r\n", then sleeps.
 * Register names and offsets as RM0360 gives them (see stm32f0-reference.md).
 *
 *   arm-none-eabi-gcc -mcpu=cortex-m0 -mthumb -nostdlib -Ttext=0x08000000 rom_hello.S
 */
    .syntax unified
    .cpu cortex-m0
    .thumb

    .equ RCC_BASE,      0x40021000
    .equ RCC_CFGR,      0x04
    .equ RCC_AHBENR,    0x14
    .equ RCC_APB2ENR,   0x18
    .equ GPIOA_BASE,    0x48000000
    .equ GPIO_MODER,    0x00
    .equ GPIO_AFRH,     0x24
    .equ USART1_BASE,   0x40013800
    .equ USART_CR1,     0x00
    .equ USART_BRR,     0x0C
    .equ USART_ISR,     0x1C
    .equ USART_TDR,     0x28
    .equ USART_ISR_TXE, 0x80
    .equ USART_ISR_TC,  0x40

    .section .text
    .global _start
_start:
vectors:
    .word 0x20001000            /* initial MSP: inside the smallest F0's SRAM */
    .word reset + 1             /* Reset_Handler (Thumb) */
    .word hang + 1              /* NMI */
    .word hang + 1              /* HardFault */

    .thumb_func
reset:
    /* The ROM may leave SYSCLK on the PLL; BRR below assumes HSI 8 MHz, so select HSI
     * (CFGR.SW = 00) and wait until SWS reports it. */
    ldr  r0, =RCC_BASE
    movs r1, #0
    str  r1, [r0, #RCC_CFGR]
1:  ldr  r1, [r0, #RCC_CFGR]
    movs r2, #0x0C
    tst  r1, r2
    bne  1b
    /* Clock the GPIOA port (AHBENR.GPIOAEN, bit 17) and USART1 (APB2ENR.USART1EN, bit 14). */
    ldr  r1, [r0, #RCC_AHBENR]
    ldr  r2, =(1 << 17)
    orrs r1, r2
    str  r1, [r0, #RCC_AHBENR]
    ldr  r1, [r0, #RCC_APB2ENR]
    ldr  r2, =(1 << 14)
    orrs r1, r2
    str  r1, [r0, #RCC_APB2ENR]
    /* PA9 (TX) and PA10 (RX) to alternate function 1: MODER 10 each, AFRH nibbles 1. */
    ldr  r0, =GPIOA_BASE
    ldr  r1, [r0, #GPIO_MODER]
    ldr  r2, =(0xF << 18)
    bics r1, r2
    ldr  r2, =(0xA << 18)
    orrs r1, r2
    str  r1, [r0, #GPIO_MODER]
    ldr  r1, [r0, #GPIO_AFRH]
    ldr  r2, =0xFF0
    bics r1, r2
    ldr  r2, =0x110
    orrs r1, r2
    str  r1, [r0, #GPIO_AFRH]
    /* USART1: BRR = 8 MHz / 115200 = 0x45, then TE | UE. */
    ldr  r0, =USART1_BASE
    movs r1, #0x45
    str  r1, [r0, #USART_BRR]
    movs r1, #0x09
    str  r1, [r0, #USART_CR1]
    /* Wait ~0.3 s (600000 x 4 cycles at 8 MHz) before speaking: the test stops the board
     * on this text, and the host must have read the ACK of Go by then. */
    ldr  r1, =600000
5:  subs r1, #1
    bne  5b
    /* Send the message byte by byte, each when TDR is empty (ISR.TXE). It is stored
     * backwards and sent from its last byte: the flash image must not contain the text
     * itself, or stm32flash's verify reads would show it on the line before Go. */
    adr  r5, message
    movs r3, #(message_end - message)
    adds r3, r5
2:  cmp  r3, r5
    beq  4f
    subs r3, #1
    ldrb r1, [r3]
3:  ldr  r2, [r0, #USART_ISR]
    movs r4, #USART_ISR_TXE
    tst  r2, r4
    beq  3b
    str  r1, [r0, #USART_TDR]
    b    2b
    /* Wait for the last stop bit to leave (ISR.TC) before sleeping. */
4:  ldr  r2, [r0, #USART_ISR]
    movs r4, #USART_ISR_TC
    tst  r2, r4
    beq  4b
    .thumb_func
hang:
    wfi
    b    hang

    .align 2
message:
    .ascii "\n\rKO-OG-MOR"       /* "ROM-GO-OK\r\n", last byte first */
message_end:
    .align 2
    .ltorg
