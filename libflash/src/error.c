/*
 * Messages for libflash's errors (enum f0b_flash_err) and the device's statuses
 * (enum f0b_status): one place for every string the caller shows.
 */
#include "f0boot/flash.h"

const char *f0b_flash_strerror(int err)
{
    switch (err) {
    case F0B_E_OK: return "success";
    case F0B_E_ARG: return "invalid argument";
    case F0B_E_PORT: return "port cannot be opened";
    case F0B_E_IO: return "port read/write failed (device unplugged or connection closed)";
    case F0B_E_NO_ANSWER: return "no bootloader answered";
    case F0B_E_VERSION: return "the bootloader speaks another protocol version";
    case F0B_E_TRANSFER: return "transfer failed after retries";
    case F0B_E_REFUSED: return "the device refused the request";
    case F0B_E_VERIFY: return "read-back check failed: flash differs from the image";
    case F0B_E_PROTOCOL: return "malformed answer from the device";
    case F0B_E_NOMEM: return "out of memory";
    case F0B_E_BAUD: return "the port does not run at the rate asked for";
    case F0B_E_ABORTED: return "aborted";
    case F0B_E_NO_LINES: return "the port has no DTR/RTS lines to drive";
    default: return "unknown error";
    }
}

const char *f0b_status_str(int st)
{
    switch (st) {
    case F0B_ST_OK: return "ok";
    case F0B_ST_BAD_FRAME: return "frame damaged on the line";
    case F0B_ST_UNKNOWN_CMD: return "command not supported by this bootloader";
    case F0B_ST_BAD_LEN: return "request length wrong (host/bootloader mismatch)";
    case F0B_ST_BAD_STATE:
        return "no update session open (it was closed by an earlier error): start again";
    case F0B_ST_OUT_OF_ORDER: return "data out of order";
    case F0B_ST_NO_APP: return "no valid application to boot: flash one first";
    case F0B_ST_BAD_ARG: return "argument out of range";
    case F0B_ST_VERSION: return "protocol version not supported";
    case F0B_ST_DENIED:
        return "the secure bootloader does not serve this request (a CRC read would reveal its flash; ERASE would drop its rollback floor)";
    case F0B_ST_HDR_MAGIC:
        return "not an f0boot container (bad magic): pack the image with `f0boot pack`";
    case F0B_ST_HDR_VERSION:
        return "container header version not understood by this bootloader (an encrypted image needs the secure bootloader built with its key: a plain bootloader has no key to decrypt it): flash a plain image (pack without --key) or install the secure bootloader";
    case F0B_ST_HDR_CRC: return "container header CRC wrong: the file is damaged, repack it";
    case F0B_ST_HDR_ADDR:
        return "image is not linked for this device's application start: relink at the address `f0boot probe` shows";
    case F0B_ST_HDR_SIZE: return "image payload empty or larger than the application region";
    case F0B_ST_HDR_VT_LEN: return "vector table length in the header is invalid";
    case F0B_ST_HDR_PART: return "image built for another part: repack with the right --part";
    case F0B_ST_HDR_SP: return "initial stack pointer not in this device's SRAM or not 4-aligned";
    case F0B_ST_HDR_RESET: return "reset vector without Thumb bit or outside the image";
    case F0B_ST_HDR_MAC:
        return "the image's header MAC does not verify under this bootloader's key: it was packed with another product's key, or altered; pack it with the key this bootloader was built with (nothing was erased)";
    case F0B_ST_HDR_PLAIN:
        return "this secure bootloader takes only encrypted images: pack with --key and the product key it was built with (nothing was erased)";
    case F0B_ST_ROLLBACK:
        return "the image's version is lower than the installed one and this bootloader refuses downgrades: flash a version at least as new (or a bootloader built with F0B_ALLOW_DOWNGRADE); nothing was erased";
    case F0B_ST_FLASH_ERASE: return "flash erase failed on the device";
    case F0B_ST_FLASH_PROGRAM: return "flash programming failed on the device";
    case F0B_ST_FLASH_PROTECTED: return "flash is write-protected on the device";
    case F0B_ST_FLASH_TIMEOUT: return "flash operation timed out on the device";
    case F0B_ST_VERIFY: return "device read-back CRC differs from the image";
    case F0B_ST_MAC:
        return "the image's tag does not verify: the ciphertext was altered or damaged on its way (file or line); nothing was committed and the bootloader waits for a good image: flash the original file again";
    default: return "unknown device status";
    }
}
