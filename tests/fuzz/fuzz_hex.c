/* libFuzzer target: the Intel HEX reader (f0b_read_hex), then what pack does with its result. */
#include <stddef.h>
#include <stdint.h>

#include "image_checks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct f0b_image img;
    struct f0b_img_error err;

    f0b_image_init(&img);
    int rc = f0b_read_hex(data, size, &img, &err);
    fuzz_check_read(rc, &img, &err);
    if (rc == F0B_IMG_OK)
        fuzz_pack_steps(&img);
    f0b_image_free(&img);
    return 0;
}
