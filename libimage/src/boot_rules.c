/* The bootloader's own header rules applied to a container on the host: f0b_hdr_validate()
 * of target/bootloader/core/boot.c (compiled for the host into f0b_bootrules), one definition
 * for the device and for `f0boot info` / `flash`; here only its codes become messages. */
#include <stdio.h>

#include "f0b_core.h"
#include "f0boot/layout.h"
#include "internal.h"

/* The field a rule looks at, for err->offset. */
static long rule_offset(int st)
{
    switch (st) {
    case F0B_ST_HDR_ADDR: return F0B_IMG_OFF_LOAD_ADDR;
    case F0B_ST_HDR_SIZE: return F0B_IMG_OFF_PAYLOAD_SIZE;
    case F0B_ST_HDR_VT_LEN: return F0B_IMG_OFF_VT_LEN;
    case F0B_ST_HDR_PART: return F0B_IMG_OFF_PART;
    case F0B_ST_HDR_SP: return F0B_IMG_OFF_INIT_SP;
    case F0B_ST_HDR_RESET: return F0B_IMG_OFF_RESET_VEC;
    default: return 0;
    }
}

static int rule_msg(int st, const struct f0b_layout *l, const struct f0b_img_hdr *h,
                    const char *part, struct f0b_img_error *err)
{
    long off = rule_offset(st);

    switch (st) {
    case F0B_ST_HDR_ADDR:
        return f0b_err_set(err, F0B_IMG_ECNT_FIELD, 0, off,
                           "load address 0x%08x is %sthe application start 0x%08x: the "
                           "bootloader refuses it; link the application at 0x%08x (FLASH "
                           "ORIGIN in the linker script) and pack it again",
                           (unsigned)h->load_addr,
                           h->load_addr & 3u ? "not word-aligned, not " : "not ",
                           (unsigned)l->app_start, (unsigned)l->app_start);
    case F0B_ST_HDR_SIZE:
        return f0b_err_set(err, F0B_IMG_ECNT_FIELD, 0, off,
                           "payload of %u bytes %s: the bootloader refuses it; %s",
                           (unsigned)h->payload_size,
                           h->payload_size < 8u ? "cannot hold a vector table"
                                                : "does not fit the application area",
                           h->payload_size < 8u
                               ? "pack the application again"
                               : "shrink the application or pack it for the right --part");
    case F0B_ST_HDR_VT_LEN:
        return f0b_err_set(err, F0B_IMG_ECNT_FIELD, 0, off,
                           "vector-table length %u is not a multiple of 4 between 8 and %u "
                           "within the payload: the bootloader refuses it; pack it again",
                           (unsigned)h->vt_len, F0B_VT_MAX);
    case F0B_ST_HDR_SP:
        return f0b_err_set(err, F0B_IMG_ECNT_FIELD, 0, off,
                           "initial stack pointer 0x%08x is not a word-aligned address in "
                           "0x%08x-0x%08x (%s's SRAM above the remapped vector table): the "
                           "bootloader refuses it; set _estack in the linker script",
                           (unsigned)h->init_sp, (unsigned)(l->sram_start + F0B_VT_MAX + 4u),
                           (unsigned)(l->sram_start + l->sram_size), part);
    case F0B_ST_HDR_RESET:
        return f0b_err_set(err, F0B_IMG_ECNT_FIELD, 0, off,
                           "reset vector 0x%08x is not a Thumb address (bit 0 set) in the "
                           "payload after the first two words: the bootloader refuses it; "
                           "check the vector table is the first thing in FLASH",
                           (unsigned)h->reset_vec);
    default:
        return f0b_err_set(err, F0B_IMG_ECNT_FIELD, 0, off,
                           "the bootloader refuses this header (status 0x%02x)", (unsigned)st);
    }
}

int f0b_container_boot_rules(const uint8_t raw[F0B_IMG_HDR_SIZE], const struct f0b_img_hdr *h,
                             const char *part, int *st, struct f0b_img_error *err)
{
    struct f0b_layout l;

    *st = f0b_layout_init(&l, h->part);
    if (*st != F0B_ST_OK)
        return f0b_err_set(err, F0B_IMG_ECNT_FIELD, 0, F0B_IMG_OFF_PART, "unknown part code %u",
                           (unsigned)h->part);
    /* The host does not know which split the device's bootloader was built with: an image
     * linked behind any of them passes here, the device checks its own at BEGIN. */
    if (f0b_is_app_start(h->load_addr)) {
        l.app_start = h->load_addr;
        l.app_size = l.record_addr - h->load_addr;
    }
    *st = f0b_hdr_validate(&l, raw);
    return *st == F0B_ST_OK ? F0B_IMG_OK : rule_msg(*st, &l, h, part, err);
}
