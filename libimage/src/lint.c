/* Lint: the classic mistakes that keep an application from booting behind the bootloader. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "f0boot/layout.h"
#include "internal.h"

__attribute__((format(printf, 4, 5))) static void add(struct f0b_lint *l, const char *id,
                                                      enum f0b_lint_sev sev, const char *fmt, ...)
{
    struct f0b_lint_finding *f;
    va_list ap;

    if (sev == F0B_LINT_ERROR)
        l->errors++;
    else
        l->warnings++;
    if (l->n == F0B_LINT_MAX)
        return; /* counted, not kept */
    f = &l->f[l->n++];
    f->id = id;
    f->sev = sev;
    va_start(ap, fmt);
    vsnprintf(f->msg, sizeof f->msg, fmt, ap);
    va_end(ap);
}

static int overlaps(uint32_t a0, uint32_t a1, uint32_t b0, uint32_t b1)
{
    return a0 < b1 && b0 < a1;
}

static void lint_ram(const struct f0b_image *img, const struct f0b_part *p, struct f0b_lint *l)
{
    uint32_t end = f0b_part_sram_end(p);
    uint32_t ram_len = end - F0B_APP_RAM_START;
    int vt = 0, past = 0;

    for (size_t i = 0; i < img->nram; i++) {
        const struct f0b_ram_range *r = &img->ram[i];
        if (!vt && overlaps(r->start, r->end, F0B_SRAM_BASE, F0B_APP_RAM_START)) {
            vt = 1;
            add(l, "ram-vt", F0B_LINT_ERROR,
                "%s at 0x%08x-0x%08x overlaps 0x20000000-0x200000BF, where the application's "
                "vector table is copied for the SYSCFG remap: set RAM ORIGIN = 0x200000C0, "
                "LENGTH = %u (0x%x) in the linker script",
                r->name, (unsigned)r->start, (unsigned)(r->end - 1), (unsigned)ram_len,
                (unsigned)ram_len);
        }
        if (!past && r->end > end && r->start < 0x30000000u) {
            past = 1;
            add(l, "ram-size", F0B_LINT_ERROR,
                "%s at 0x%08x-0x%08x ends past the end of %s's %u KB SRAM (0x%08x): shrink "
                "the data or choose the right --part",
                r->name, (unsigned)r->start, (unsigned)(r->end - 1), p->name, (unsigned)p->sram_kb,
                (unsigned)end);
        }
    }
}

static void lint_vectors(const struct f0b_image *img, const struct f0b_part *p, uint32_t start,
                         uint64_t end, struct f0b_lint *l)
{
    uint32_t sp = f0b_image_word(img, start), rv = f0b_image_word(img, start + 4);
    uint32_t sram_end = f0b_part_sram_end(p);

    if (sp <= F0B_SRAM_BASE || sp > sram_end) {
        add(l, "sp-sram", F0B_LINT_ERROR,
            "initial stack pointer 0x%08x (vector table word 0) is not in %s's SRAM "
            "0x20000000-0x%08x: the vector table must start with the top of the stack; "
            "set _estack = 0x%08x and put the vector table first in FLASH",
            (unsigned)sp, p->name, (unsigned)(sram_end - 1), (unsigned)sram_end);
    } else if (sp <= F0B_APP_RAM_START) {
        add(l, "sp-sram", F0B_LINT_ERROR,
            "initial stack pointer 0x%08x lies in 0x20000000-0x200000BF, where the vector "
            "table is copied: the stack would overwrite it; set _estack = 0x%08x",
            (unsigned)sp, (unsigned)sram_end);
    }
    /* An SP up to the end of SRAM is the vendors' layout (_estack = end of RAM) and fine:
     * the update request lives in the vector-table area, not at the end of SRAM. */
    if (sp & 3u)
        add(l, "sp-align", F0B_LINT_ERROR,
            "initial stack pointer 0x%08x is not 4-aligned (the core clears bits 1:0, so the "
            "stack would start elsewhere): align _estack to 8 bytes",
            (unsigned)sp);
    if (!(rv & 1u))
        add(l, "reset-thumb", F0B_LINT_ERROR,
            "reset vector 0x%08x (vector table word 1) has the Thumb bit clear: the Cortex-M0 "
            "runs only Thumb code and would HardFault at reset; declare Reset_Handler as a "
            "function (.thumb_func / .type Reset_Handler, %%function) so the linker sets bit 0",
            (unsigned)rv);
    /* The bootloader also refuses an entry inside the first two words (SP, reset vector). */
    if ((rv & ~1u) < start + 8u || (rv & ~1u) >= end)
        add(l, "reset-range", F0B_LINT_ERROR,
            "reset vector 0x%08x points outside the image's code 0x%08x-0x%08x: the reset "
            "handler must be part of the packed application; check the vector table and the "
            "linker script",
            (unsigned)rv, (unsigned)(start + 8u), (unsigned)(end - 1));
}

void f0b_lint_run(const struct f0b_image *img, const struct f0b_part *p, struct f0b_lint *l)
{
    uint32_t rec = f0b_part_record_addr(p);
    uint32_t start = f0b_image_start(img);
    /* The split is the bootloader's build parameter: an image linked behind any of them
     * (4 KB plain, 6 KB secure, ...) is accepted; the device checks its own at BEGIN. */
    uint32_t app = f0b_is_app_start(start) ? start : f0b_part_app_start(p);
    uint32_t app_size = rec - app;
    uint64_t end = f0b_image_end(img), size = end - start;

    memset(l, 0, sizeof *l);
    if (!img->nseg) {
        add(l, "empty", F0B_LINT_ERROR, "the image holds no bytes: nothing to pack");
        return;
    }

    if (start == F0B_FLASH_BASE)
        add(l, "load-addr", F0B_LINT_ERROR,
            "the image starts at 0x08000000, as if there were no bootloader, and would "
            "overwrite it: link the application at 0x%08x (FLASH ORIGIN = 0x%08x, LENGTH = %u "
            "in the linker script)",
            (unsigned)app, (unsigned)app, (unsigned)app_size);
    else if (start != app)
        add(l, "load-addr", F0B_LINT_ERROR,
            "the image starts at 0x%08x, not at the start of %s's application region "
            "0x%08x: link the application at 0x%08x (FLASH ORIGIN in the linker script, or "
            "--addr 0x%08x for a .bin)",
            (unsigned)start, p->name, (unsigned)app, (unsigned)app, (unsigned)app);
    if (size > app_size || (start >= app && end > rec))
        add(l, "size", F0B_LINT_ERROR,
            "the image is %llu bytes (0x%08x-0x%08x) but %s's application region is %u bytes "
            "(0x%08x-0x%08x; the last page holds the boot record): make the application "
            "smaller or choose the right --part",
            (unsigned long long)size, (unsigned)start, (unsigned)(end - 1), p->name,
            (unsigned)app_size, (unsigned)app, (unsigned)(rec - 1));

    if (size < 8)
        add(l, "vt-len", F0B_LINT_ERROR,
            "the image is %llu bytes, too short to hold a vector table (initial SP and reset "
            "vector): pack the complete application",
            (unsigned long long)size);
    else
        lint_vectors(img, p, start, end, l);

    lint_ram(img, p, l);

    if (img->vt_len) {
        l->vt_len = img->vt_len > 0xFFFFu ? 0xFFFFu : (uint16_t)img->vt_len;
        if (img->vt_len > F0B_VT_MAX)
            add(l, "vt-len", F0B_LINT_ERROR,
                "the vector table (%s) is %u bytes, more than the 192 bytes (16 system + 32 "
                "IRQ words) reserved at 0x20000000: a Cortex-M0 has no more entries; trim the "
                "table",
                img->vt_source, (unsigned)img->vt_len);
        else if (img->vt_len % 4u || img->vt_len < 8)
            add(l, "vt-len", F0B_LINT_ERROR,
                "the vector table (%s) is %u bytes, not a whole number of 4-byte entries of "
                "at least 2: fix its definition",
                img->vt_source, (unsigned)img->vt_len);
        if (img->vt_addr != start)
            add(l, "vt-place", F0B_LINT_ERROR,
                "the vector table (%s) is at 0x%08x, not at the start of the image 0x%08x: "
                "place it first in FLASH (KEEP(*(.isr_vector)) at the top of the first "
                "output section)",
                img->vt_source, (unsigned)img->vt_addr, (unsigned)start);
    } else {
        l->vt_len = p->vt_bytes;
        l->flags |= F0B_FLAG_VT_LEN_GUESSED;
        add(l, "vt-guessed", F0B_LINT_WARNING,
            "the %s input does not say how long the vector table is: assuming %u bytes, %s's "
            "full table (the bootloader copies that much); for the exact length pack an ELF "
            "whose vector table is a .isr_vector section or a sized g_pfnVectors symbol",
            f0b_format_name(img->format), (unsigned)p->vt_bytes, p->name);
        if (size >= 8 && size < p->vt_bytes)
            add(l, "vt-len", F0B_LINT_ERROR,
                "the image is %llu bytes, shorter than %s's %u-byte vector table: pack the "
                "complete application",
                (unsigned long long)size, p->name, (unsigned)p->vt_bytes);
    }
}
