/* ELF / Intel HEX / raw binary to container, as `f0boot pack` and `f0boot flash` (for a
 * .elf or .hex given to it) both do it: read, lint, build. */
#ifndef F0B_PACK_H
#define F0B_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "f0boot/image.h"
#include "output.h"

struct pack_req {
    const char *in; /* file name, for messages */
    const struct f0b_part *part;
    struct f0b_version version;
    int raw; /* a raw binary at addr (--addr) */
    uint32_t addr;
    int force;        /* pack despite lint errors (flagged LINT_FORCED) */
    const char *verb; /* "pack" or "flash": what --force would do */
};

struct packed {
    uint8_t *cnt; /* the container (free()) */
    size_t len;
    struct f0b_img_hdr h;
    struct f0b_lint lint;
    enum f0b_img_format format; /* of the input */
    char vt_source[40];         /* where vt_len came from, "" when guessed */
};

/* Exit code for a libimage error code. */
int pack_img_exit(int code);

/* Pack buf (the contents of r->in) into p. The lint findings are shown on stderr as they
 * are found. Returns 0, or the exit code after out_fail(). */
int pack_image(struct out *o, const struct pack_req *r, const uint8_t *buf, size_t len,
               struct packed *p);

#endif
