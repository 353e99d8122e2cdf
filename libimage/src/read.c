/* Format sniffing, the raw-binary reader and the one entry point that picks a reader. */
#include <string.h>

#include "f0boot/le.h"
#include "internal.h"

const char *f0b_format_name(enum f0b_img_format f)
{
    switch (f) {
    case F0B_FMT_HEX: return "hex";
    case F0B_FMT_ELF: return "elf";
    case F0B_FMT_BIN: return "bin";
    case F0B_FMT_CONTAINER: return "container";
    case F0B_FMT_AUTO: break;
    }
    return "unknown";
}

enum f0b_img_format f0b_sniff(const uint8_t *buf, size_t len)
{
    size_t i = 0;

    if (len >= 4 && memcmp(buf,
                           "\x7f"
                           "ELF",
                           4) == 0)
        return F0B_FMT_ELF;
    if (len >= 4 && f0b_get_le32(buf) == F0B_IMG_MAGIC)
        return F0B_FMT_CONTAINER;
    while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
        i++;
    if (i < len && buf[i] == ':')
        return F0B_FMT_HEX;
    return F0B_FMT_BIN;
}

int f0b_read_bin(const uint8_t *buf, size_t len, uint32_t addr, struct f0b_image *img,
                 struct f0b_img_error *err)
{
    int rc;

    if (len == 0)
        return f0b_err_set(err, F0B_IMG_EEMPTY, 0, 0, "the input file is empty");
    if (len > 0xFFFFFFFFu || (uint64_t)addr + len > 0x100000000ull)
        return f0b_err_set(err, F0B_IMG_EWRAP, 0, -1,
                           "%zu bytes at 0x%08x run past 0xFFFFFFFF (addresses wrap past 4 GiB); "
                           "check --addr",
                           len, (unsigned)addr);
    img->format = F0B_FMT_BIN;
    rc = f0b_image_add(img, addr, buf, (uint32_t)len, err);
    if (rc)
        f0b_image_free(img);
    return rc;
}

int f0b_image_read(const uint8_t *buf, size_t len, int have_bin_addr, uint32_t bin_addr,
                   struct f0b_image *img, struct f0b_img_error *err)
{
    if (len == 0)
        return f0b_err_set(err, F0B_IMG_EEMPTY, 0, 0,
                           "the input file is empty; rebuild the application");
    switch (f0b_sniff(buf, len)) {
    case F0B_FMT_ELF: return f0b_read_elf(buf, len, img, err);
    case F0B_FMT_HEX: return f0b_read_hex(buf, len, img, err);
    case F0B_FMT_CONTAINER:
        return f0b_err_set(err, F0B_IMG_EFORMAT, 0, 0,
                           "the input is already an f0boot container; give the application's "
                           ".elf, .hex or .bin (see `f0boot info` for its contents)");
    default: break;
    }
    if (!have_bin_addr)
        return f0b_err_set(err, F0B_IMG_EFORMAT, 0, 0,
                           "the input is neither ELF nor Intel HEX; if it is a raw binary, give "
                           "its flash address with --addr (e.g. --addr 0x08001000)");
    return f0b_read_bin(buf, len, bin_addr, img, err);
}
