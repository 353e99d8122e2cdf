/* NVIC: enable/pending/clear, priorities and nesting, PRIMASK, ICSR, SVC, PendSV. */
#include "fw.h"

static volatile uint32_t order[16];
static volatile uint32_t n;
static volatile int mode;

static void __attribute__((noinline)) sync(void) { __asm volatile("dsb\n isb" ::: "memory"); }
static void rec(uint32_t v)
{
    if (n < 16u)
        order[n++] = v;
}

void IRQ0_Handler(void)
{
    rec(0x10);
    if (mode == 1) {
        NVIC_ISPR = 2u; /* IRQ1 pending from inside IRQ0 */
        sync();
    }
    rec(0x11);
}
void IRQ1_Handler(void) { rec(0x20); }
void SVC_Handler(void) { rec(0x5C); }
void PendSV_Handler(void) { rec(0x5E); }

static int seq(uint32_t a, uint32_t b, uint32_t c)
{
    return n == 3u && order[0] == a && order[1] == b && order[2] == c;
}

int main(void)
{
    uart_init(0x45);
    NVIC_ISER = 3u;
    CHECK(NVIC_ISER == 3u, "ISER readback", NVIC_ISER);

    /* IRQ1 (priority 64) preempts IRQ0 (priority 192) */
    NVIC_IPR(0) = (192u << 0) | (64u << 8);
    CHECK(NVIC_IPR(0) == ((192u << 0) | (64u << 8)), "IPR readback", NVIC_IPR(0));
    mode = 1;
    n = 0;
    NVIC_ISPR = 1u;
    sync();
    CHECK(seq(0x10, 0x20, 0x11), "higher priority nests",
          (order[0] << 16) | (order[1] << 8) | order[2]);

    /* IRQ1 at lower priority waits until IRQ0 returns */
    NVIC_IPR(0) = (64u << 0) | (192u << 8);
    n = 0;
    NVIC_ISPR = 1u;
    sync();
    CHECK(seq(0x10, 0x11, 0x20), "lower priority waits",
          (order[0] << 16) | (order[1] << 8) | order[2]);

    /* PRIMASK holds a pending interrupt back; ICSR shows it */
    mode = 0;
    n = 0;
    disable_irq();
    NVIC_ISPR = 1u;
    sync();
    CHECK(n == 0u, "PRIMASK masks", n);
    CHECK((NVIC_ISPR & 1u) != 0, "ISPR shows pending", NVIC_ISPR);
    CHECK(((SCB_ICSR >> 12) & 0x3Fu) == 16u, "ICSR.VECTPENDING = IRQ0", SCB_ICSR);
    CHECK((SCB_ICSR & (1u << 22)) != 0, "ICSR.ISRPENDING", SCB_ICSR);
    enable_irq();
    sync();
    CHECK(n == 2u && order[0] == 0x10, "taken after CPSIE", n);

    /* ICPR clears a pending interrupt; ICER disables the line */
    n = 0;
    disable_irq();
    NVIC_ISPR = 1u;
    NVIC_ICPR = 1u;
    enable_irq();
    sync();
    CHECK(n == 0u, "ICPR clears pending", n);
    NVIC_ICER = 1u;
    NVIC_ISPR = 1u;
    sync();
    CHECK(n == 0u, "ICER disables", n);
    NVIC_ISER = 1u;
    sync();
    CHECK(n == 2u, "ISER enables the pending line", n);

    /* SVC and PendSV */
    n = 0;
    __asm volatile("svc #0" ::: "memory");
    CHECK(n == 1u && order[0] == 0x5C, "SVC handler", n);
    SCB_ICSR = 1u << 28;
    sync();
    CHECK(n == 2u && order[1] == 0x5E, "PendSV handler", n);
    return 0;
}
