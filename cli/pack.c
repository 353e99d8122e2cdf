#include "pack.h"

#include <stdio.h>
#include <string.h>

#include "exit_codes.h"

int pack_img_exit(int code)
{
    switch (code) {
    case F0B_IMG_ENOMEM:
    case F0B_IMG_EARG: return F0B_EXIT_INTERNAL;
    case F0B_IMG_ECNT_HDR_CRC:
    case F0B_IMG_ECNT_SIZE:
    case F0B_IMG_ECNT_PAYLOAD_CRC:
    case F0B_IMG_ECNT_FIELD:
    case F0B_IMG_ECNT_MAC: return F0B_EXIT_CONTAINER;
    default: return F0B_EXIT_INPUT_FORMAT;
    }
}

/* Show the findings; a refusal when there are errors and no --force. */
static int lint_verdict(struct out *o, const struct pack_req *r, const struct f0b_lint *l)
{
    for (int i = 0; i < l->n; i++)
        out_msg(o, "%s: %s [%s]: %s", r->in,
                l->f[i].sev == F0B_LINT_ERROR ? (r->force ? "error (forced)" : "error") : "warning",
                l->f[i].id, l->f[i].msg);
    if (!l->errors || r->force)
        return 0;
    return out_fail(o, F0B_EXIT_LINT,
                    "%s: not %sed: %d lint error%s above; fix %s, or %s anyway with --force", r->in,
                    r->verb, l->errors, l->errors == 1 ? "" : "s", l->errors == 1 ? "it" : "them",
                    r->verb);
}

int pack_image(struct out *o, const struct pack_req *r, const uint8_t *buf, size_t len,
               struct packed *p)
{
    struct f0b_image img;
    struct f0b_img_error err;
    struct f0b_pack_opts po;
    int rc;

    memset(p, 0, sizeof *p);
    f0b_image_init(&img);
    rc = f0b_image_read(buf, len, r->raw, r->addr, &img, &err);
    if (rc) {
        rc = out_fail(o, pack_img_exit(rc), "%s: %s", r->in, err.detail);
        goto done;
    }
    p->format = img.format;
    if (img.vt_len)
        snprintf(p->vt_source, sizeof p->vt_source, "%s", img.vt_source);
    f0b_lint_run(&img, r->part, &p->lint);
    rc = lint_verdict(o, r, &p->lint);
    if (rc)
        goto done;
    memset(&po, 0, sizeof po);
    po.part = r->part;
    po.version = r->version;
    po.vt_len = p->lint.vt_len;
    po.flags = p->lint.flags | (p->lint.errors ? F0B_FLAG_LINT_FORCED : 0);
    rc = f0b_container_build(&img, &po, &p->cnt, &p->len, &p->h, &err);
    if (rc)
        rc = out_fail(o, pack_img_exit(rc), "%s: %s", r->in, err.detail);
done:
    f0b_image_free(&img);
    return rc;
}
