/*
 * A CubeMX-style application (tests/apps/README.md), in CubeMX's order: __enable_irq() (the
 * f0boot edit: the bootloader starts the application with PRIMASK set), HAL_Init() (a 1 ms
 * SysTick from the 8 MHz HSI, so the clock set-up can time out), SystemClock_Config() for
 * 48 MHz with HAL_GetTick() timeouts, the SysTick again for 48 MHz, USART1 at 115200 and a
 * one-byte receive interrupt (HAL_UART_Receive_IT re-armed in the callback). Two builds:
 *   clock_hsi: PLL from HSI/PREDIV (RCC_CFGR.PLLSRC = 01), PREDIV /1, x6 = 48 MHz;
 *   clock_hse: PLL from HSE/PREDIV (PLLSRC = 10), an 8 MHz crystal, PREDIV /2, x12 = 48 MHz.
 * Prints:  clock: hsi/prediv 48000000      (SYSCLK as read back from RCC, as
 *                                            SystemCoreClockUpdate() computes it)
 *          tick ok 500                      (after HAL_Delay(500): 500 SysTick interrupts)
 *          rx=abc                           (for each line received)
 * and "clock: FAILED ..." if a ready flag never comes.
 */
#include <stdint.h>

#include "apps.h"
#include "stm32f0_regs.h"

#define HSE_HZ         8000000u
#define HSE_TIMEOUT_MS 100u /* CubeMX's HSE_STARTUP_TIMEOUT */
#define PLL_TIMEOUT_MS 2u
#define LINE_MAX       32u

#ifdef CLOCK_HSE
#define PLL_SOURCE RCC_CFGR_PLLSRC_HSE_PREDIV
#define PREDIV     2u
#define PLLMUL     12u
#define NAME       "hse/prediv"
#else
#define PLL_SOURCE RCC_CFGR_PLLSRC_HSI_PREDIV
#define PREDIV     1u
#define PLLMUL     6u
#define NAME       "hsi/prediv"
#endif

static volatile uint32_t uwTick;
static char line[LINE_MAX + 1];
static volatile uint32_t line_len, line_ready;

void SysTick_Handler(void) { uwTick++; }

static void HAL_Delay(uint32_t ms)
{
    uint32_t start = uwTick;
    while (uwTick - start < ms)
        ;
}

/* HAL_InitTick(): SysTick interrupt every millisecond of an hclk_hz core clock. */
static void HAL_InitTick(uint32_t hclk_hz)
{
    SYST_RVR = hclk_hz / 1000u - 1u;
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_TICKINT | SYST_CSR_ENABLE;
}

static int wait_set(volatile uint32_t *reg, uint32_t mask, uint32_t value, uint32_t ms)
{
    uint32_t start = uwTick;
    while ((*reg & mask) != value)
        if (uwTick - start > ms)
            return 0;
    return 1;
}

static void fail(const char *what)
{
    /* still at 8 MHz HSI: the console runs from it */
    con_init(F0_HSI_HZ);
    con_puts("clock: FAILED ");
    con_puts(what);
    con_puts("\r\n");
    for (;;)
        ;
}

/* As CubeMX's SystemClock_Config(): oscillator, PLL source and factors, flash latency,
 * then SYSCLK from the PLL. */
static void SystemClock_Config(void)
{
#ifdef CLOCK_HSE
    RCC_CR |= RCC_CR_HSEON;
    if (!wait_set(&RCC_CR, RCC_CR_HSERDY, RCC_CR_HSERDY, HSE_TIMEOUT_MS))
        fail("HSERDY");
#endif
    /* PLL factors may only change while the PLL is off (it is, after reset). */
    RCC_CFGR2 = RCC_CFGR2_PREDIV(PREDIV);
    RCC_CFGR = (RCC_CFGR & ~(RCC_CFGR_PLLSRC_MASK | RCC_CFGR_PLLMUL_MASK)) | PLL_SOURCE |
               RCC_CFGR_PLLMUL(PLLMUL);
    RCC_CR |= RCC_CR_PLLON;
    if (!wait_set(&RCC_CR, RCC_CR_PLLRDY, RCC_CR_PLLRDY, PLL_TIMEOUT_MS))
        fail("PLLRDY");
    /* 48 MHz needs one flash wait state before SYSCLK switches (RM0360 3.5.1). */
    FLASH_ACR = FLASH_ACR_LATENCY | FLASH_ACR_PRFTBE;
    RCC_CFGR = (RCC_CFGR & ~RCC_CFGR_SW_MASK) | RCC_CFGR_SW_PLL;
    if (!wait_set(&RCC_CFGR, RCC_CFGR_SWS_MASK, RCC_CFGR_SWS_PLL, PLL_TIMEOUT_MS))
        fail("SWS");
}

/* SYSCLK from the RCC registers, as SystemCoreClockUpdate() computes it. */
static uint32_t sysclk_hz(void)
{
    uint32_t cfgr = RCC_CFGR;
    if ((cfgr & RCC_CFGR_SWS_MASK) != RCC_CFGR_SWS_PLL)
        return (cfgr & RCC_CFGR_SWS_MASK) == (1u << 2) ? HSE_HZ : F0_HSI_HZ;
    uint32_t mul = ((cfgr & RCC_CFGR_PLLMUL_MASK) >> 18) + 2u;
    uint32_t prediv = (RCC_CFGR2 & 0xFu) + 1u;
    if (mul > 16u)
        mul = 16u;
    switch (cfgr & RCC_CFGR_PLLSRC_MASK) {
    case RCC_CFGR_PLLSRC_HSI_DIV2: return F0_HSI_HZ / 2u * mul;
    case RCC_CFGR_PLLSRC_HSI_PREDIV: return F0_HSI_HZ / prediv * mul;
    default: return HSE_HZ / prediv * mul;
    }
}

/* As HAL_UART_RxCpltCallback() with a one-byte HAL_UART_Receive_IT() re-armed: collect a
 * line, hand it to the main loop at CR or LF. */
void con_rx(uint8_t c)
{
    if (line_ready)
        return; /* the main loop has not printed the last one */
    if (c != '\r' && c != '\n') {
        if (line_len < LINE_MAX)
            line[line_len++] = (char)c;
    } else if (line_len != 0) {
        line[line_len] = '\0';
        line_ready = 1;
    }
}

int main(void)
{
    /* The f0boot edit: the bootloader starts us with PRIMASK set; the remap is done. */
    __asm__ volatile("cpsie i" ::: "memory");
    HAL_InitTick(F0_HSI_HZ); /* HAL_Init() */
    SystemClock_Config();
    uint32_t hz = sysclk_hz();
    HAL_InitTick(hz); /* as HAL_RCC_ClockConfig() does */
    con_init(hz);

    con_puts("clock: " NAME " ");
    con_putu(hz);
    con_puts("\r\n");
    uint32_t start = uwTick;
    HAL_Delay(500);
    con_puts("tick ok ");
    con_putu(uwTick - start);
    con_puts("\r\n");
    for (;;) {
        if (line_ready) {
            con_puts("rx=");
            con_puts(line);
            con_puts("\r\n");
            line_len = 0;
            line_ready = 0;
        }
        __asm__ volatile("wfi");
    }
}
