/*
 * A behavioural model of ST's system-memory (ROM) bootloader on USART1, as AN3155
 * describes it, so the virtual board can serve stm32flash the way a real STM32F030 with
 * BOOT0 high does. Pure protocol logic: the simulator supplies the line and the flash
 * (with its timing) through the ops below, and calls an3155_rx() for every byte that
 * arrives on USART1.
 *
 * Commands: Get 0x00, Get Version 0x01, Get ID 0x02, Read Memory 0x11, Go 0x21,
 * Write Memory 0x31, Extended Erase 0x44 (Erase 0x43 is not offered on the F030, whose
 * ROM bootloader v3.1 uses Extended Erase), Write Unprotect 0x73 / Readout Unprotect 0x92
 * answered with NACK. 0x7F before anything else: autobaud, answered ACK.
 */
#ifndef F0SIM_AN3155_H
#define F0SIM_AN3155_H

#include <stdint.h>

#define AN3155_ACK  0x79u
#define AN3155_NACK 0x1Fu

struct an3155_ops {
    /* Send bytes to the host after delay_ns of virtual time from now (the time the
     * device was busy, for example programming flash before its ACK). */
    void (*tx)(void *ctx, const uint8_t *bytes, uint32_t n, uint64_t delay_ns);
    /* Flash access through the simulator's flash model. Return the busy time in ns the
     * operation takes on the chip (erase ~30 ms per page, 53.5 us per half-word), or a
     * negative value if the operation failed (the model answers NACK).
     * program() is called for flash and for SRAM destinations (busy time 0 for SRAM);
     * the model has already checked the range against m->map. */
    int64_t (*erase_page)(void *ctx, uint32_t page_index);
    int64_t (*mass_erase)(void *ctx);
    int64_t (*program)(void *ctx, uint32_t addr, const uint8_t *data, uint32_t len);
    /* Read memory as the ROM would (flash, SRAM, system memory, option bytes); returns 0
     * on success, -1 if the range is not readable (answered NACK). */
    int (*read)(void *ctx, uint32_t addr, uint8_t *dst, uint32_t len);
    /* Go: leave the ROM bootloader and run code at addr (vector table there). */
    void (*go)(void *ctx, uint32_t addr);
    /* Read-out protection (NULL: never): 1 while RDP level 1 is active; the ROM then serves
     * only Get, Get Version, Get ID and Readout Unprotect (AN2606, AN3155). */
    int (*rdp_active)(void *ctx);
    /* Readout Unprotect: level 1 -> 0, which mass-erases the flash; the busy time in ns,
     * after which the ROM sends its second ACK and the chip resets (NULL: NACK). */
    int64_t (*unprotect)(void *ctx);
};

/* Memory map the ROM checks every address against before it answers ACK (AN2606 and
 * stm32flash's device table). an3155_init() fills it from the chip id; the simulator may
 * adjust it afterwards (for example the flash size of the exact part). */
struct an3155_map {
    uint32_t flash_base, flash_size, page_size;
    uint32_t sram_base, sram_size;
    uint32_t rom_ram_size;             /* bytes at sram_base the ROM uses itself: not writable */
    uint32_t sysmem_base, sysmem_size; /* system memory: ROM code, flash-size register, UID */
    uint32_t optb_base, optb_size;     /* option bytes: readable, writes not modelled */
};

/* Longest page list one Extended Erase may carry in this model (stm32flash splits at 512). */
#define AN3155_MAX_ERASE_PAGES 512u

struct an3155 {
    const struct an3155_ops *ops;
    void *ctx;
    uint16_t chip_id; /* answered by Get ID (0x442 for the F030xC) */
    uint8_t version;  /* answered by Get / Get Version (0x31 = v3.1) */
    /* private parser state */
    int state;
    uint8_t cmd;
    uint32_t addr;
    uint32_t need; /* bytes still expected in the current phase */
    uint32_t got;
    uint8_t buf[260];
    uint8_t synced;
    /* additions (same header version, compatible): */
    struct an3155_map map; /* public, see above */
    uint32_t commands;     /* commands accepted (ACKed opcode), for summaries */
    uint32_t nacks;        /* NACKs sent */
    uint8_t left;          /* Go was executed: the ROM no longer listens */
    uint8_t xsum;          /* private: running XOR checksum of the current phase */
    uint16_t npages;       /* private: pages in the current Extended Erase list */
    uint16_t pages[AN3155_MAX_ERASE_PAGES];
};

/* Fill *map for a chip id (0x440, 0x442, 0x444, 0x445, 0x448). Returns 0, or -1 for an
 * unknown id (then *map describes the STM32F030xC, 0x442). */
int an3155_map_for_chip(uint16_t chip_id, struct an3155_map *map);

/* Power-on state of the ROM: waiting for 0x7F, version 0x31, map from chip_id. Call it
 * again on every reset into the ROM bootloader. */
void an3155_init(struct an3155 *m, const struct an3155_ops *ops, void *ctx, uint16_t chip_id);

/* One byte received on the line (a whole character: the simulator has already spent its
 * line time). Answers go out through ops->tx; nothing is answered after Go. */
void an3155_rx(struct an3155 *m, uint8_t byte);

#endif
