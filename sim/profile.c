/*
 * What a translated block costs (Cortex-M0 cycle counts per instruction class, ARM DDI 0432C
 * table 3-1, with flash wait states left to the flash model) and the --profile table of
 * cycles and flash stalls per block.
 */
#include <stdlib.h>

#include "machine.h"

/* Cycles and instructions of the Thumb code of one block. */
uint32_t block_cycles(const uint8_t *code, uint32_t size, uint32_t *ninsn)
{
    uint32_t cyc = 0, n = 0;
    for (uint32_t i = 0; i + 1 < size + 1 && i < size; i += 2) {
        uint16_t h = (uint16_t)(code[i] | code[i + 1] << 8);
        n++;
        if ((h >> 11) >= 0x1Du) { /* 32-bit: BL, MSR, MRS, barriers */
            cyc += 4;
            i += 2;
        } else if (((h >> 12) >= 5u && (h >> 12) <= 9u) || (h >> 11) == 9u ||
                   ((h >> 12) == 0xDu && (h >> 8) != 0xDFu)) {
            cyc += 2; /* load/store, LDR literal; conditional branch: average of taken/not */
        } else if ((h & 0xF600u) == 0xB400u) {
            cyc += 1u + (uint32_t)__builtin_popcount(h & 0x1FFu) +
                   ((h & 0x0100u) && (h & 0x0800u) ? 2u : 0u);
        } else if ((h >> 12) == 0xCu) {
            cyc += 1u + (uint32_t)__builtin_popcount(h & 0xFFu);
        } else if ((h >> 11) == 0x1Cu || (h & 0xFF00u) == 0x4700u) {
            cyc += 3; /* B, BX, BLX */
        } else {
            cyc += 1;
        }
    }
    *ninsn = n;
    return cyc;
}

#define PROF_SLOTS (1u << 16)

void profile_hit(struct chip *c, uint32_t addr, uint32_t ninsn, uint32_t cyc)
{
    uint32_t i = (addr * 2654435761u) >> 16;
    for (uint32_t n = 0; n < PROF_SLOTS; n++, i = (i + 1u) & (PROF_SLOTS - 1u)) {
        struct prof_ent *e = &c->prof[i];
        if (e->runs && e->addr != addr)
            continue;
        e->addr = addr;
        e->ninsn = ninsn;
        e->runs++;
        e->insns += ninsn;
        e->cycles += cyc;
        c->prof_last = e;
        return;
    }
    c->prof_last = NULL; /* table full: more distinct blocks than any F0 image has */
}

int chip_profile_enable(struct chip *c)
{
    c->prof = calloc(PROF_SLOTS, sizeof *c->prof);
    return c->prof ? 0 : -1;
}

static int prof_by_cost(const void *a, const void *b)
{
    const struct prof_ent *x = a, *y = b;
    uint64_t cx = x->cycles + x->stall, cy = y->cycles + y->stall;
    return cx < cy ? 1 : cx > cy ? -1 : (x->addr > y->addr) - (x->addr < y->addr);
}

/* One line per block, most expensive first: where the virtual time of a run went. */
int chip_profile_write(const struct chip *c, FILE *f)
{
    size_t n = 0;
    struct prof_ent *v = malloc(PROF_SLOTS * sizeof *v);
    if (!v)
        return -1;
    uint64_t total = 0, stall = 0;
    for (uint32_t i = 0; i < PROF_SLOTS; i++)
        if (c->prof[i].runs) {
            v[n++] = c->prof[i];
            total += c->prof[i].cycles;
            stall += c->prof[i].stall;
        }
    qsort(v, n, sizeof *v, prof_by_cost);
    fprintf(f,
            "# f0sim profile: %zu blocks, %llu cycles executing, %llu cycles stalled on flash, "
            "%llu cycles skipped idle (%u Hz)\n",
            n, (unsigned long long)total, (unsigned long long)stall,
            (unsigned long long)(c->idle_skipped_ps / (c->ps_per_cycle ? c->ps_per_cycle : 1u)),
            c->hclk);
    fprintf(f, "# block       runs        insns       cycles  flash-stall   share\n");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "0x%08x %10llu %12llu %12llu %12llu  %5.1f%%\n", v[i].addr,
                (unsigned long long)v[i].runs, (unsigned long long)v[i].insns,
                (unsigned long long)v[i].cycles, (unsigned long long)v[i].stall,
                total + stall ? 100.0 * (double)(v[i].cycles + v[i].stall) / (double)(total + stall)
                              : 0.0);
    free(v);
    return ferror(f) ? -1 : 0;
}
