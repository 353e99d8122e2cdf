/* Thread mode on PSP (ARMv6-M ARM B1.4.3, B1.5.6-B1.5.8): CONTROL.SPSEL and the banked
 * stack pointers through MRS/MSR, exception entry from thread mode on PSP and on MSP (the
 * EXC_RETURN each leaves in LR, the frame on the right stack, the handler on MSP), nesting
 * (0xFFFFFFF1), the RTOS start (SVC from MSP returning to a thread on PSP with 0xFFFFFFFD)
 * and the way back (0xFFFFFFF9 to the frame left on MSP).
 * After "ALL PASS", a byte on USART1 asks for an invalid exception return, which must be a
 * HardFault: 'a' EXC_RETURN 0xFFFFFFF5 (reserved bits 3:0), 'b' 0xFFFFFFF1 with no other
 * exception active, 'c' 0xFFFFFFE9 (bit 4 clear: an ARMv7-M FP frame, reserved here). */
#include "fw.h"

enum { SVC_PLAIN, SVC_START, SVC_BACK, SVC_BAD };

static uint32_t psp_stack[128] __attribute__((aligned(8)));
static uint32_t thr_stack[128] __attribute__((aligned(8)));
static volatile uint32_t mode, bad_value;
static volatile uint32_t svc_lr, svc_ipsr, svc_ctl, svc_msp, svc_psp, svc_frame_r0;
static volatile uint32_t pendsv_lr, pendsv_psp, irq_lr, irq_ipsr, irq_n;
volatile uint32_t switch_msp; /* MSP when run_on_psp switched */
static volatile uint32_t main_msp, thr_ran, thr_ctl, thr_ipsr, thr_sp;

static uint32_t mrs_msp(void)
{
    uint32_t v;
    __asm volatile("mrs %0, msp" : "=r"(v));
    return v;
}
static uint32_t mrs_psp(void)
{
    uint32_t v;
    __asm volatile("mrs %0, psp" : "=r"(v));
    return v;
}
static uint32_t mrs_ctl(void)
{
    uint32_t v;
    __asm volatile("mrs %0, control" : "=r"(v));
    return v;
}
static uint32_t mrs_ipsr(void)
{
    uint32_t v;
    __asm volatile("mrs %0, ipsr" : "=r"(v));
    return v;
}
static uint32_t cur_sp(void)
{
    uint32_t v;
    __asm volatile("mov %0, sp" : "=r"(v));
    return v;
}
static void sync(void) { __asm volatile("dsb\n isb" ::: "memory"); }

/* SVC with r0 = arg; returns r0 as the exception return left it. */
static uint32_t svc(uint32_t arg)
{
    register uint32_t r0 __asm("r0") = arg;
    __asm volatile("svc 0" : "+r"(r0)::"r1", "r2", "r3", "r12", "lr", "memory");
    return r0;
}

static void thread_entry(void);

/* The SVC handler's C part: lr = EXC_RETURN, msp = SP in the handler. Returns the
 * EXC_RETURN the handler ends with. */
uint32_t svc_c(uint32_t lr, uint32_t msp);
uint32_t svc_c(uint32_t lr, uint32_t msp)
{
    svc_lr = lr;
    svc_ipsr = mrs_ipsr();
    svc_ctl = mrs_ctl();
    svc_msp = msp;
    svc_psp = mrs_psp();
    uint32_t *frame = (uint32_t *)(lr == 0xFFFFFFFDu ? svc_psp : msp);
    svc_frame_r0 = frame[0];
    switch (mode) {
    case SVC_START: {
        /* a thread's first frame: r0-r3, r12, lr, pc, xPSR */
        uint32_t *f = &thr_stack[128 - 8];
        for (int i = 0; i < 8; i++)
            f[i] = 0;
        f[6] = (uint32_t)(uintptr_t)thread_entry & ~1u;
        f[7] = 1u << 24;
        __asm volatile("msr psp, %0" ::"r"(f));
        return 0xFFFFFFFDu;
    }
    case SVC_BACK: return 0xFFFFFFF9u; /* to the frame main's SVC_START left on MSP */
    case SVC_BAD: return bad_value;
    default:
        frame[0] += 0x1000u; /* the caller sees r0 changed: the frame was on its stack */
        return lr;
    }
}

__attribute__((naked)) void SVC_Handler(void)
{
    __asm volatile("mov r0, lr\n mov r1, sp\n bl svc_c\n bx r0\n");
}

void pendsv_c(uint32_t lr);
void pendsv_c(uint32_t lr)
{
    pendsv_lr = lr;
    pendsv_psp = mrs_psp();
    NVIC_ISPR = 1u; /* IRQ0, higher priority: nests */
    sync();
}

__attribute__((naked)) void PendSV_Handler(void)
{
    __asm volatile("mov r0, lr\n push {r0, r1}\n bl pendsv_c\n pop {r0, r1}\n bx r0\n");
}

void irq0_c(uint32_t lr);
void irq0_c(uint32_t lr)
{
    irq_lr = lr;
    irq_ipsr = mrs_ipsr();
    irq_n++;
}

__attribute__((naked)) void IRQ0_Handler(void)
{
    __asm volatile("mov r0, lr\n push {r0, r1}\n bl irq0_c\n pop {r0, r1}\n bx r0\n");
}

/* Started by SVC_START in thread mode on PSP; goes back to main through SVC_BACK. */
static void thread_entry(void)
{
    thr_ran = 1;
    thr_ctl = mrs_ctl();
    thr_ipsr = mrs_ipsr();
    thr_sp = cur_sp();
    mode = SVC_BACK;
    svc(0);
    for (;;)
        ;
}

/* Runs on PSP (run_on_psp). */
static uint32_t psp_body(void)
{
    uint32_t sp = cur_sp();
    CHECK(mrs_ctl() == 2u, "CONTROL.SPSEL = 1 in thread mode", mrs_ctl());
    CHECK(sp == mrs_psp(), "SP is PSP", sp);
    CHECK(mrs_msp() == switch_msp, "MSP kept while on PSP", mrs_msp());
    CHECK(sp >= (uint32_t)(uintptr_t)psp_stack && sp <= (uint32_t)(uintptr_t)&psp_stack[128],
          "SP inside the PSP stack", sp);

    mode = SVC_PLAIN;
    uint32_t r = svc(5);
    CHECK(r == 0x1005u, "SVC from PSP: stacked r0 changed on PSP", r);
    CHECK(svc_lr == 0xFFFFFFFDu, "SVC from PSP: EXC_RETURN 0xFFFFFFFD", svc_lr);
    CHECK(svc_ipsr == 11u, "SVC: IPSR 11", svc_ipsr);
    CHECK((svc_ctl & 2u) == 0, "handler mode: CONTROL.SPSEL reads 0", svc_ctl);
    CHECK(svc_msp == switch_msp, "handler on MSP, nothing stacked there", svc_msp);
    CHECK(svc_psp <= sp - 32u && svc_psp >= sp - 64u, "frame pushed on PSP", svc_psp);
    CHECK(svc_frame_r0 == 5u, "frame r0 on PSP", svc_frame_r0);
    CHECK(cur_sp() == sp, "SP back on PSP after SVC", cur_sp());
    CHECK(mrs_ctl() == 2u, "SPSEL set again after the return", mrs_ctl());

    /* PendSV from PSP with IRQ0 nesting inside it */
    irq_n = 0;
    SCB_ICSR = SCB_ICSR_PENDSVSET;
    sync();
    CHECK(pendsv_lr == 0xFFFFFFFDu, "PendSV from PSP: EXC_RETURN 0xFFFFFFFD", pendsv_lr);
    CHECK(irq_n == 1u, "IRQ0 nested in PendSV", irq_n);
    CHECK(irq_lr == 0xFFFFFFF1u, "nested: EXC_RETURN 0xFFFFFFF1", irq_lr);
    CHECK(irq_ipsr == 16u, "IRQ0: IPSR 16", irq_ipsr);
    CHECK(cur_sp() == sp, "SP back on PSP after PendSV", cur_sp());
    return 0x600du;
}

/* Switch thread mode to PSP (top), call fn there, switch back to MSP. */
__attribute__((naked)) static uint32_t run_on_psp(uint32_t (*fn)(void), uint32_t *top)
{
    (void)fn;
    (void)top;
    __asm volatile("push {r4, lr}\n"
                   "mrs r3, msp\n"
                   "ldr r2, =switch_msp\n"
                   "str r3, [r2]\n"
                   "msr psp, r1\n"
                   "movs r2, #2\n"
                   "msr control, r2\n" /* SPSEL = 1: thread mode now on PSP */
                   "isb\n"
                   "blx r0\n"
                   "movs r2, #0\n"
                   "msr control, r2\n"
                   "isb\n"
                   "pop {r4, pc}\n"
                   ".pool\n");
}

static void bad_return(void)
{
    int ch;
    while (!(USART1_ISR & USART_ISR_RXNE))
        __asm volatile("wfi");
    ch = (int)USART1_RDR;
    if (ch == 'a')
        bad_value = 0xFFFFFFF5u;
    else if (ch == 'b')
        bad_value = 0xFFFFFFF1u;
    else
        bad_value = 0xFFFFFFE9u;
    puts_("bad return ");
    puthex(bad_value);
    puts_("\n");
    uart_flush();
    mode = SVC_BAD;
    svc(0);
    puts_("FAIL returned from a bad EXC_RETURN\n");
}

int main(void)
{
    uart_init(0x45);
    NVIC_ISER = 1u;
    SCB_SHPR3 = SCB_SHPR3_PRI_14(0xC0u); /* PendSV lowest; IRQ0 at 0 */
    main_msp = mrs_msp();
    CHECK(mrs_ctl() == 0u, "CONTROL 0 after reset", mrs_ctl());
    CHECK(cur_sp() == main_msp, "thread mode on MSP after reset", cur_sp());

    uint32_t r = run_on_psp(psp_body, &psp_stack[128]);
    CHECK(r == 0x600du, "psp body ran", r);
    CHECK(mrs_ctl() == 0u, "CONTROL 0 again", mrs_ctl());
    CHECK(cur_sp() == main_msp, "SP back on MSP", cur_sp());

    /* thread mode on MSP: EXC_RETURN 0xFFFFFFF9 */
    mode = SVC_PLAIN;
    r = svc(7);
    CHECK(r == 0x1007u, "SVC from MSP: stacked r0 changed on MSP", r);
    CHECK(svc_lr == 0xFFFFFFF9u, "SVC from MSP: EXC_RETURN 0xFFFFFFF9", svc_lr);
    irq_n = 0;
    SCB_ICSR = SCB_ICSR_PENDSVSET;
    sync();
    CHECK(pendsv_lr == 0xFFFFFFF9u, "PendSV from MSP: EXC_RETURN 0xFFFFFFF9", pendsv_lr);
    CHECK(irq_lr == 0xFFFFFFF1u && irq_n == 1u, "nested IRQ0 from PendSV", irq_lr);

    /* an RTOS start: SVC from MSP returns to a new thread on PSP; SVC from that thread
     * returns with 0xFFFFFFF9 to the frame the first SVC left on MSP */
    mode = SVC_START;
    r = svc(9);
    CHECK(thr_ran == 1u, "thread started by EXC_RETURN 0xFFFFFFFD", thr_ran);
    CHECK(thr_ctl == 2u && thr_ipsr == 0u, "thread: CONTROL.SPSEL 1, IPSR 0",
          thr_ctl | (thr_ipsr << 8));
    CHECK(thr_sp > (uint32_t)(uintptr_t)thr_stack && thr_sp <= (uint32_t)(uintptr_t)&thr_stack[128],
          "thread on its own stack", thr_sp);
    CHECK(svc_lr == 0xFFFFFFFDu, "SVC from the thread: 0xFFFFFFFD", svc_lr);
    CHECK(r == 9u, "back in main through the MSP frame", r);
    CHECK(mrs_ctl() == 0u && cur_sp() == main_msp, "main on MSP again", cur_sp());

    finish_no_stop();
    bad_return();
    return 0;
}
