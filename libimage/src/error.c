/* Error codes and messages. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

const char *f0b_image_strerror(int code)
{
    switch (code) {
    case F0B_IMG_OK: return "success";
    case F0B_IMG_ENOMEM: return "out of memory";
    case F0B_IMG_EARG: return "invalid argument";
    case F0B_IMG_EEMPTY: return "input is empty";
    case F0B_IMG_EFORMAT: return "input format not recognised";
    case F0B_IMG_ENODATA: return "input contains no data to program";
    case F0B_IMG_EWRAP: return "addresses wrap past 4 GiB";
    case F0B_IMG_EOVERLAP: return "data overlaps";
    case F0B_IMG_ETOO_BIG: return "image too large";
    case F0B_IMG_EHEX_SYNTAX: return "malformed Intel HEX record";
    case F0B_IMG_EHEX_CHECKSUM: return "Intel HEX record checksum wrong";
    case F0B_IMG_EHEX_TYPE: return "unknown Intel HEX record type";
    case F0B_IMG_EHEX_RECORD: return "Intel HEX record has the wrong length for its type";
    case F0B_IMG_EHEX_NO_EOF: return "Intel HEX end-of-file record missing";
    case F0B_IMG_EHEX_AFTER_EOF: return "data after the Intel HEX end-of-file record";
    case F0B_IMG_EELF: return "malformed ELF file";
    case F0B_IMG_EELF_CLASS: return "64-bit ELF, expected ELF32";
    case F0B_IMG_EELF_ENDIAN: return "big-endian ELF, expected little-endian";
    case F0B_IMG_EELF_MACHINE: return "ELF is not for ARM";
    case F0B_IMG_EELF_TYPE: return "ELF is not an executable";
    case F0B_IMG_ECNT_SHORT: return "container shorter than its header";
    case F0B_IMG_ECNT_MAGIC: return "not an f0boot container";
    case F0B_IMG_ECNT_VERSION: return "container header version not supported";
    case F0B_IMG_ECNT_HDR_CRC: return "container header CRC mismatch";
    case F0B_IMG_ECNT_SIZE: return "container length does not match its payload size";
    case F0B_IMG_ECNT_PAYLOAD_CRC: return "container payload CRC mismatch";
    case F0B_IMG_ECNT_FIELD: return "container header field invalid";
    case F0B_IMG_ECNT_MAC: return "container MAC does not verify under this key";
    case F0B_IMG_EPART: return "unknown part";
    case F0B_IMG_EVERSION: return "invalid version string";
    case F0B_IMG_EKEY: return "key file malformed";
    case F0B_IMG_ERANDOM: return "system random source failed";
    }
    return "unknown error";
}

int f0b_err_set(struct f0b_img_error *err, int code, long line, long offset, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->code = code;
        err->line = line;
        err->offset = offset;
        va_start(ap, fmt);
        vsnprintf(err->detail, sizeof err->detail, fmt, ap);
        va_end(ap);
    }
    return code;
}

void f0b_err_prefix(struct f0b_img_error *err, const char *fmt, ...)
{
    char pre[64], old[sizeof err->detail];
    va_list ap;

    if (!err)
        return;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    /* Truncate the old message if needed: the start (where and what) matters most. */
    memcpy(old, err->detail, sizeof old);
    {
        size_t np = strlen(pre), no = strnlen(old, sizeof old - 1);
        if (np > sizeof err->detail - 1)
            np = sizeof err->detail - 1;
        if (no > sizeof err->detail - 1 - np)
            no = sizeof err->detail - 1 - np;
        memcpy(err->detail, pre, np);
        memcpy(err->detail + np, old, no);
        err->detail[np + no] = '\0';
    }
}
