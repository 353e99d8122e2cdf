/*
 * Context switch of the test scheduler (sched.c), Cortex-M0 (ARMv6-M, Thumb-1 only):
 * threads run in thread mode on PSP; the exception entry stacks r0-r3, r12, lr, pc, xPSR
 * on PSP, these handlers save and restore r4-r11 below that frame. A thread's saved sp
 * (struct thread's first member) points at r4; r8-r11 follow r4-r7.
 */
    .syntax unified
    .cpu cortex-m0
    .thumb

/* SVC (from main, on MSP): start the current thread. Load its r4-r11, point PSP at its
 * exception frame and return to thread mode on PSP (EXC_RETURN 0xFFFFFFFD). */
    .section .text.SVC_Handler, "ax", %progbits
    .global SVC_Handler
    .type SVC_Handler, %function
SVC_Handler:
    ldr r2, =sched_current
    ldr r1, [r2]
    ldr r0, [r1]            /* current->sp */
    adds r0, #16
    ldmia r0!, {r4-r7}      /* saved r8-r11 */
    mov r8, r4
    mov r9, r5
    mov r10, r6
    mov r11, r7
    msr psp, r0             /* the hardware frame */
    subs r0, #32
    ldmia r0!, {r4-r7}
    ldr r0, =0xFFFFFFFD
    bx r0
    .pool
    .size SVC_Handler, . - SVC_Handler

/* PendSV (lowest priority): save the current thread's r4-r11 below its frame on PSP,
 * let sched_pick() choose the next thread, restore that one's. */
    .section .text.PendSV_Handler, "ax", %progbits
    .global PendSV_Handler
    .type PendSV_Handler, %function
PendSV_Handler:
    mrs r0, psp
    subs r0, #32
    ldr r2, =sched_current
    ldr r1, [r2]
    str r0, [r1]            /* current->sp */
    stmia r0!, {r4-r7}
    mov r4, r8
    mov r5, r9
    mov r6, r10
    mov r7, r11
    stmia r0!, {r4-r7}
    push {r2, lr}
    bl sched_pick           /* sets sched_current */
    pop {r2, r3}            /* r3: EXC_RETURN */
    ldr r1, [r2]
    ldr r0, [r1]
    adds r0, #16
    ldmia r0!, {r4-r7}
    mov r8, r4
    mov r9, r5
    mov r10, r6
    mov r11, r7
    msr psp, r0
    subs r0, #32
    ldmia r0!, {r4-r7}
    bx r3
    .pool
    .size PendSV_Handler, . - PendSV_Handler
