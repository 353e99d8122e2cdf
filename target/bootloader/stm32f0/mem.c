/*
 * memcpy, memset and memcmp for the bootloader: byte loops, about 60 bytes together instead
 * of newlib-nano's 380. The core calls them on headers and frames (tens to a thousand
 * bytes), where speed does not matter next to the UART and the flash. Built with
 * -fno-tree-loop-distribute-patterns so GCC does not turn these loops back into calls.
 */
#include <stddef.h>
#include <string.h>

void *memcpy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (; n--; x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}
