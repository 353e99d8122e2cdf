/*
 * A user's preemptive scheduler, as an RTOS port does it on a Cortex-M0 (tests/apps/
 * README.md): four threads on their own stacks in thread mode on PSP, SVC to start the
 * first, PendSV (lowest priority) to switch, a 1 ms SysTick that preempts every 2 ms, and
 * the USART1 receive interrupt waking a blocked thread.
 *   t1, t2: take turns printing " t1" / " t2" three times each; each spins until it is its
 *           turn, so only preemption lets the other one run;
 *   rx:     blocked until the receive interrupt has a line (CR or LF), prints "rx=LINE";
 *   idle:   wfi.
 * Prints:  sched: t1 t2 t1 t2 t1 t2
 *          rx=abc            (for each line received)
 */
#include <stdint.h>

#include "apps.h"
#include "f0_clock.h"
#include "stm32f0_regs.h"

#define ROUNDS      3
#define SLICE_MS    2u
#define STACK_WORDS 128u
#define LINE_MAX    32u

enum { READY, BLOCKED };
struct thread {
    uint32_t *sp; /* first member: switch.S reads and writes it at offset 0 */
    volatile uint32_t state;
};
enum { T1, T2, TRX, TIDLE, NTHREADS };

struct thread *volatile sched_current;
void sched_pick(void);

static struct thread threads[NTHREADS];
static uint32_t stacks[NTHREADS][STACK_WORDS] __attribute__((aligned(8)));
static volatile uint32_t ticks, turn = T1;
static char line[LINE_MAX + 1];
static volatile uint32_t line_len, line_ready;

/* Round robin over the ready threads after the current one; idle is always ready. */
void sched_pick(void)
{
    uint32_t i = (uint32_t)(sched_current - threads);
    for (uint32_t n = 0; n < NTHREADS; n++) {
        i = (i + 1u) % NTHREADS;
        if (i != TIDLE && threads[i].state == READY) {
            sched_current = &threads[i];
            return;
        }
    }
    sched_current = &threads[TIDLE];
}

static void yield(void)
{
    SCB_ICSR = SCB_ICSR_PENDSVSET;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
}

/* Block the calling thread until someone sets it READY again. */
static void block(struct thread *t)
{
    t->state = BLOCKED;
    yield();
    while (t->state == BLOCKED)
        ;
}

static void thread_exit(void)
{
    block(sched_current);
    for (;;)
        ;
}

static void worker(uint32_t me)
{
    for (int i = 0; i < ROUNDS; i++) {
        while (turn != me)
            ; /* no yield: only the SysTick preemption helps */
        con_puts(me == T1 ? " t1" : " t2");
        turn = me == T1 ? T2 : T1;
    }
    if (me == T2)
        con_puts("\r\n"); /* t1 went first, so t2 prints the last turn */
}

/* Block the rx thread until a line is ready. The check and the BLOCKED state are made with
 * interrupts off, so a line completed in between cannot be missed (its wake-up would be
 * undone by the block). */
static void wait_line(void)
{
    for (;;) {
        __asm volatile("cpsid i" ::: "memory");
        if (line_ready) {
            __asm volatile("cpsie i" ::: "memory");
            return;
        }
        threads[TRX].state = BLOCKED;
        SCB_ICSR = SCB_ICSR_PENDSVSET;
        __asm volatile("cpsie i\n\tdsb\n\tisb" ::: "memory");
        while (threads[TRX].state == BLOCKED)
            ;
    }
}

static void rx_thread(uint32_t unused)
{
    (void)unused;
    for (;;) {
        wait_line();
        con_puts("rx=");
        con_puts(line);
        con_puts("\r\n");
        line_len = 0;
        line_ready = 0;
    }
}

static void idle_thread(uint32_t unused)
{
    (void)unused;
    for (;;)
        __asm__ volatile("wfi");
}

/* The initial stack: r4-r11 (8 words) for switch.S, then the exception frame that the
 * first return to the thread pops: r0 = arg, lr = thread_exit, pc = entry, xPSR = T. */
static void thread_init(uint32_t i, void (*entry)(uint32_t), uint32_t arg, uint32_t state)
{
    uint32_t *sp = &stacks[i][STACK_WORDS - 16u];
    for (int w = 0; w < 16; w++)
        sp[w] = 0;
    sp[8] = arg;
    sp[13] = (uint32_t)(uintptr_t)thread_exit;
    sp[14] = (uint32_t)(uintptr_t)entry & ~1u; /* the stacked pc has no Thumb bit */
    sp[15] = 1u << 24;                         /* xPSR.T */
    threads[i].sp = sp;
    threads[i].state = state;
}

void SysTick_Handler(void)
{
    if (++ticks % SLICE_MS == 0)
        SCB_ICSR = SCB_ICSR_PENDSVSET;
}

/* From the USART1 interrupt: collect a line, wake the rx thread at its end. */
void con_rx(uint8_t c)
{
    if (line_ready)
        return; /* the rx thread has not printed the last one */
    if (c == '\r' || c == '\n') {
        if (line_len == 0)
            return;
        line[line_len] = '\0';
        line_ready = 1;
        threads[TRX].state = READY;
        SCB_ICSR = SCB_ICSR_PENDSVSET;
    } else if (line_len < LINE_MAX) {
        line[line_len++] = (char)c;
    }
}

int main(void)
{
    f0_clock_48mhz();
    con_init(F0_SYSCLK_HZ);
    con_puts("sched:");

    thread_init(T1, worker, T1, READY);
    thread_init(T2, worker, T2, READY);
    thread_init(TRX, rx_thread, 0, BLOCKED);
    thread_init(TIDLE, idle_thread, 0, READY);
    sched_current = &threads[T1];

    /* PendSV lowest, so a switch never interrupts another handler; SysTick above it. */
    SCB_SHPR3 = SCB_SHPR3_PRI_14(0xC0u) | SCB_SHPR3_PRI_15(0x80u);
    SYST_RVR = F0_SYSCLK_HZ / 1000u - 1u;
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_TICKINT | SYST_CSR_ENABLE;

    /* The bootloader started us with PRIMASK set: enable interrupts, then start t1. */
    __asm__ volatile("cpsie i\n\tsvc 0" ::: "memory");
    for (;;)
        ;
}
