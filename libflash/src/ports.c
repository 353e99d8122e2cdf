/*
 * The serial ports of this machine and PORT names (f0boot/ports.h).
 *
 * On Linux the list comes from sysfs rather than libserialport's sp_list_ports(): to tell
 * which of the 8250 driver's fixed set of ttyS ports has a UART behind it, libserialport
 * 0.1.1 opens every one of them (raising DTR and RTS, and dropping them again on close:
 * a reset pulse for a board wired to NRST), while sysfs says the same through the port's
 * "type" attribute without touching the line; and libserialport gives the USB bus and
 * device address (a new number at each plug-in) but not the bus-port path that names the
 * socket the adapter sits in. Elsewhere libserialport lists the ports.
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "f0boot/flash.h"
#include "f0boot/ports.h"

#ifndef __linux__
#include <libserialport.h>
#endif

const char *f0b_port_transport_name(enum f0b_port_transport t)
{
    switch (t) {
    case F0B_PT_NATIVE: return "native";
    case F0B_PT_USB: return "usb";
    case F0B_PT_BLUETOOTH: return "bluetooth";
    case F0B_PT_PTY: return "pty";
    default: return "unknown";
    }
}

void f0b_ports_free(struct f0b_port_list *l)
{
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

/* Room for one more entry: a pointer to it (zeroed), or NULL. */
static struct f0b_port_info *list_add(struct f0b_port_list *l, size_t *cap)
{
    if (l->n == *cap) {
        size_t c = *cap ? *cap * 2 : 8;
        struct f0b_port_info *v = realloc(l->v, c * sizeof *v);
        if (!v)
            return NULL;
        l->v = v;
        *cap = c;
    }
    memset(&l->v[l->n], 0, sizeof l->v[0]);
    return &l->v[l->n++];
}

/* "ttyS2" before "ttyS10": digit runs compare as numbers. */
static int name_cmp(const void *a, const void *b)
{
    const char *x = ((const struct f0b_port_info *)a)->name;
    const char *y = ((const struct f0b_port_info *)b)->name;

    while (*x && *y) {
        if (*x >= '0' && *x <= '9' && *y >= '0' && *y <= '9') {
            unsigned long nx = strtoul(x, (char **)&x, 10), ny = strtoul(y, (char **)&y, 10);
            if (nx != ny)
                return nx < ny ? -1 : 1;
            continue;
        }
        if (*x != *y)
            return (unsigned char)*x < (unsigned char)*y ? -1 : 1;
        x++;
        y++;
    }
    return (unsigned char)*x - (unsigned char)*y;
}

#ifdef __linux__

/* The first line of a sysfs attribute, without its newline; "" when absent. */
static void read_attr(const char *dir, const char *attr, char *out, size_t n)
{
    char p[PATH_MAX];
    FILE *f;

    out[0] = 0;
    if ((size_t)snprintf(p, sizeof p, "%s/%s", dir, attr) >= sizeof p || !(f = fopen(p, "r")))
        return;
    if (fgets(out, (int)n, f))
        out[strcspn(out, "\n")] = 0;
    fclose(f);
}

/* Walk up from the tty's device to the USB device that carries it (the directory with
 * idVendor) and take its ids, strings and bus-port path. */
static void usb_details(struct f0b_port_info *pi, const char *devpath)
{
    char d[PATH_MAX], v[16];
    struct stat st;

    snprintf(d, sizeof d, "%s", devpath);
    for (char *slash; (slash = strrchr(d, '/')) && slash != d; *slash = 0) {
        char id[PATH_MAX + 16];
        snprintf(id, sizeof id, "%s/idVendor", d);
        if (stat(id, &st) != 0)
            continue;
        pi->transport = F0B_PT_USB;
        pi->has_usb = 1;
        read_attr(d, "idVendor", v, sizeof v);
        pi->vid = (uint16_t)strtoul(v, NULL, 16);
        read_attr(d, "idProduct", v, sizeof v);
        pi->pid = (uint16_t)strtoul(v, NULL, 16);
        read_attr(d, "serial", pi->serial, sizeof pi->serial);
        read_attr(d, "manufacturer", pi->manufacturer, sizeof pi->manufacturer);
        read_attr(d, "product", pi->product, sizeof pi->product);
        snprintf(pi->location, sizeof pi->location, "%s", strrchr(d, '/') + 1);
        return;
    }
}

/* The /dev/serial/by-id link that resolves to dev (under root). */
static void find_by_id(struct f0b_port_info *pi, const char *root, const char *dev)
{
    char dir[PATH_MAX], link[PATH_MAX + 256], real[PATH_MAX];
    struct dirent *e;
    DIR *d;

    snprintf(dir, sizeof dir, "%s/dev/serial/by-id", root);
    if (!(d = opendir(dir)))
        return;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(link, sizeof link, "%s/%s", dir, e->d_name);
        if (realpath(link, real) && strcmp(real, dev) == 0) {
            snprintf(pi->by_id, sizeof pi->by_id, "/dev/serial/by-id/%s", e->d_name);
            break;
        }
    }
    closedir(d);
}

/* One /sys/class/tty entry: 1 when it is a serial port (filled in), else 0. */
static int scan_one(struct f0b_port_info *pi, const char *root, const char *name)
{
    char cls[PATH_MAX], p[PATH_MAX + 16], devpath[PATH_MAX], type[16], dev[PATH_MAX];

    snprintf(cls, sizeof cls, "%s/sys/class/tty/%s", root, name);
    snprintf(p, sizeof p, "%s/device", cls);
    if (!realpath(p, devpath))
        return 0; /* a virtual terminal, the console, ptmx: no hardware */
    read_attr(cls, "type", type, sizeof type);
    if (strcmp(type, "0") == 0)
        return 0; /* serial_core port with no UART detected (PORT_UNKNOWN) */
    if (strlen(name) >= sizeof pi->name)
        return 0;
    snprintf(pi->name, sizeof pi->name, "%s", name);
    snprintf(pi->dev, sizeof pi->dev, "/dev/%s", name);
    pi->transport = strncmp(name, "rfcomm", 6) == 0 || strstr(devpath, "/bluetooth/")
                        ? F0B_PT_BLUETOOTH
                        : F0B_PT_NATIVE;
    usb_details(pi, devpath);
    snprintf(dev, sizeof dev, "%s/dev/%s", root, name);
    if (realpath(dev, p))
        find_by_id(pi, root, p);
    return 1;
}

static int list_sysfs(struct f0b_port_list *l, const char *root)
{
    char dir[PATH_MAX];
    struct dirent *e;
    size_t cap = 0;
    DIR *d;

    snprintf(dir, sizeof dir, "%s/sys/class/tty", root);
    if (!(d = opendir(dir)))
        return 0; /* no sysfs (a container without /sys): no ports */
    while ((e = readdir(d))) {
        struct f0b_port_info pi;
        if (e->d_name[0] == '.')
            continue;
        memset(&pi, 0, sizeof pi);
        if (!scan_one(&pi, root, e->d_name))
            continue;
        struct f0b_port_info *slot = list_add(l, &cap);
        if (!slot) {
            closedir(d);
            f0b_ports_free(l);
            return F0B_E_NOMEM;
        }
        *slot = pi;
    }
    closedir(d);
    return 0;
}

#else

static int list_sp(struct f0b_port_list *l)
{
    struct sp_port **ports = NULL;
    size_t cap = 0;
    int vid, pid;

    if (sp_list_ports(&ports) != SP_OK)
        return 0;
    for (size_t i = 0; ports[i]; i++) {
        struct f0b_port_info *pi = list_add(l, &cap);
        const char *n = sp_get_port_name(ports[i]), *s;
        if (!pi) {
            sp_free_port_list(ports);
            f0b_ports_free(l);
            return F0B_E_NOMEM;
        }
        snprintf(pi->dev, sizeof pi->dev, "%s", n);
        snprintf(pi->name, sizeof pi->name, "%s", strrchr(n, '/') ? strrchr(n, '/') + 1 : n);
        switch (sp_get_port_transport(ports[i])) {
        case SP_TRANSPORT_USB: pi->transport = F0B_PT_USB; break;
        case SP_TRANSPORT_BLUETOOTH: pi->transport = F0B_PT_BLUETOOTH; break;
        default: pi->transport = F0B_PT_NATIVE; break;
        }
        if (pi->transport == F0B_PT_USB && sp_get_port_usb_vid_pid(ports[i], &vid, &pid) == SP_OK) {
            pi->has_usb = 1;
            pi->vid = (uint16_t)vid;
            pi->pid = (uint16_t)pid;
        }
        if ((s = sp_get_port_usb_serial(ports[i])))
            snprintf(pi->serial, sizeof pi->serial, "%s", s);
        if ((s = sp_get_port_usb_manufacturer(ports[i])))
            snprintf(pi->manufacturer, sizeof pi->manufacturer, "%s", s);
        if ((s = sp_get_port_usb_product(ports[i])))
            snprintf(pi->product, sizeof pi->product, "%s", s);
    }
    sp_free_port_list(ports);
    return 0;
}

#endif

int f0b_ports_list(struct f0b_port_list *l, const char *root)
{
    int rc;

    l->v = NULL;
    l->n = 0;
#ifdef __linux__
    rc = list_sysfs(l, root ? root : "");
#else
    (void)root;
    rc = list_sp(l);
#endif
    if (rc == 0 && l->n > 1)
        qsort(l->v, l->n, sizeof l->v[0], name_cmp);
    return rc;
}

/* ---- selectors ------------------------------------------------------------------------- */

/* One hex id field of a selector: 1 to 4 hex digits, or "*". */
static int parse_id(const char *s, size_t n, int *any, uint16_t *v)
{
    char buf[5];

    if (n == 1 && s[0] == '*') {
        *any = 1;
        return 0;
    }
    if (n == 0 || n > 4)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return -1;
        buf[i] = c;
    }
    buf[n] = 0;
    *any = 0;
    *v = (uint16_t)strtoul(buf, NULL, 16);
    return 0;
}

int f0b_port_sel_parse(const char *spec, struct f0b_port_sel *sel, char *err, size_t errlen)
{
    const char *vid, *pid, *ser;

    if (strncmp(spec, "usb:", 4) != 0)
        return 0;
    memset(sel, 0, sizeof *sel);
    vid = spec + 4;
    pid = strchr(vid, ':');
    if (!pid)
        goto bad;
    pid++;
    ser = strchr(pid, ':');
    if (parse_id(vid, (size_t)(pid - 1 - vid), &sel->any_vid, &sel->vid) != 0 ||
        parse_id(pid, ser ? (size_t)(ser - pid) : strlen(pid), &sel->any_pid, &sel->pid) != 0)
        goto bad;
    if (ser) {
        if (strlen(ser + 1) >= sizeof sel->serial) {
            snprintf(err, errlen, "%s: the serial number is longer than %zu characters", spec,
                     sizeof sel->serial - 1);
            return F0B_E_ARG;
        }
        snprintf(sel->serial, sizeof sel->serial, "%s", ser + 1);
    }
    return 1;
bad:
    snprintf(err, errlen,
             "%s: expected usb:VID:PID[:SERIAL] with VID and PID in hex (1-4 "
             "digits, or * for any), e.g. usb:0403:6001 or usb:0403:6001:A10K3ZQW",
             spec);
    return F0B_E_ARG;
}

int f0b_port_sel_match(const struct f0b_port_sel *sel, const struct f0b_port_info *i)
{
    if (!i->has_usb)
        return 0;
    if ((!sel->any_vid && sel->vid != i->vid) || (!sel->any_pid && sel->pid != i->pid))
        return 0;
    return !sel->serial[0] || fnmatch(sel->serial, i->serial, 0) == 0;
}

/* Append to buf (length *k, capacity len) what fits of the formatted text. */
static void cat(char *buf, size_t len, size_t *k, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void cat(char *buf, size_t len, size_t *k, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (*k + 1 >= len)
        return;
    va_start(ap, fmt);
    n = vsnprintf(buf + *k, len - *k, fmt, ap);
    va_end(ap);
    if (n > 0)
        *k += (size_t)n < len - *k ? (size_t)n : len - *k - 1;
}

static void describe(char *buf, size_t len, size_t *k, const struct f0b_port_info *p)
{
    cat(buf, len, k, "%s (%s", p->name, f0b_port_transport_name(p->transport));
    if (p->has_usb)
        cat(buf, len, k, " %04x:%04x", p->vid, p->pid);
    if (p->serial[0])
        cat(buf, len, k, " %s", p->serial);
    cat(buf, len, k, ")");
}

void f0b_ports_summary(const struct f0b_port_list *l, char *buf, size_t len)
{
    size_t k = 0;

    if (!len)
        return;
    buf[0] = 0;
    if (!l->n)
        cat(buf, len, &k, "none found");
    for (size_t i = 0; i < l->n; i++) {
        if (i)
            cat(buf, len, &k, ", ");
        describe(buf, len, &k, &l->v[i]);
    }
}

int f0b_ports_select(const struct f0b_port_list *l, const char *spec, size_t *index, char *err,
                     size_t errlen)
{
    struct f0b_port_sel sel;
    size_t hits = 0, first = 0, k = 0;
    int rc = f0b_port_sel_parse(spec, &sel, err, errlen);

    if (rc <= 0) {
        if (rc == 0)
            snprintf(err, errlen, "%s: not a selector (usb:VID:PID[:SERIAL])", spec);
        return rc < 0 ? rc : F0B_E_ARG;
    }
    for (size_t i = 0; i < l->n; i++)
        if (f0b_port_sel_match(&sel, &l->v[i]) && hits++ == 0)
            first = i;
    if (hits == 1) {
        *index = first;
        return 0;
    }
    if (!errlen)
        return F0B_E_PORT;
    err[0] = 0;
    if (hits == 0) {
        cat(err, errlen, &k, "no serial port matches %s; ports present: ", spec);
        f0b_ports_summary(l, err + k, errlen - k);
        return F0B_E_PORT;
    }
    cat(err, errlen, &k, "%s matches %zu ports: ", spec, hits);
    for (size_t i = 0, n = 0; i < l->n; i++) {
        if (!f0b_port_sel_match(&sel, &l->v[i]))
            continue;
        if (n++)
            cat(err, errlen, &k, ", ");
        describe(err, errlen, &k, &l->v[i]);
    }
    cat(err, errlen, &k, "; name one by its serial number (usb:VID:PID:SERIAL) or its path");
    return F0B_E_PORT;
}

/* ---- PORT names ------------------------------------------------------------------------ */

/* "MSG; ports present: ..." into err, for a PORT that names nothing. */
static int not_found(const char *spec, const char *why, char *err, size_t errlen)
{
    struct f0b_port_list l;
    size_t k = 0;

    if (!errlen)
        return F0B_E_PORT;
    err[0] = 0;
    cat(err, errlen, &k, "%s: %s; serial ports present: ", spec, why);
    if (f0b_ports_list(&l, NULL) == 0) {
        f0b_ports_summary(&l, err + k, errlen - k);
        f0b_ports_free(&l);
        k = strlen(err);
    }
    cat(err, errlen, &k,
        " (a port on another machine: socket://HOST:PORT or "
        "rfc2217://HOST:PORT)");
    return F0B_E_PORT;
}

static int resolve_selector(const char *spec, char *path, size_t pathlen, char *err, size_t errlen)
{
    struct f0b_port_list l;
    size_t i;
    int rc = f0b_ports_list(&l, NULL);

    if (rc < 0) {
        snprintf(err, errlen, "%s: cannot list the serial ports (out of memory)", spec);
        return rc;
    }
    rc = f0b_ports_select(&l, spec, &i, err, errlen);
    if (rc == 0 && (size_t)snprintf(path, pathlen, "%s", l.v[i].dev) >= pathlen) {
        snprintf(err, errlen, "%s: device path too long", spec);
        rc = F0B_E_ARG;
    }
    f0b_ports_free(&l);
    return rc;
}

int f0b_port_resolve(const char *spec, char *path, size_t pathlen, char *err, size_t errlen)
{
    struct stat st;
    int n;

    if (strncmp(spec, "usb:", 4) == 0)
        return resolve_selector(spec, path, pathlen, err, errlen);
    if (!spec[0]) {
        snprintf(err, errlen,
                 "empty port name: name a device (/dev/ttyUSB0, ttyUSB0), a "
                 "selector (usb:VID:PID[:SERIAL]) or socket://HOST:PORT");
        return F0B_E_ARG;
    }
    /* a path as given; a bare name not in /dev: a file here, if any */
    if (strchr(spec, '/') ||
        (snprintf(path, pathlen, "/dev/%s", spec) < (int)pathlen && stat(path, &st) != 0))
        n = snprintf(path, pathlen, "%s", spec);
    else
        n = snprintf(path, pathlen, "/dev/%s", spec);
    if (n < 0 || (size_t)n >= pathlen) {
        snprintf(err, errlen, "%.64s...: port name too long", spec);
        return F0B_E_ARG;
    }
    if (stat(path, &st) != 0)
        return not_found(spec, errno == ENOENT ? "no such serial port" : strerror(errno), err,
                         errlen);
    if (!S_ISCHR(st.st_mode))
        return not_found(spec, "not a serial device (not a character device)", err, errlen);
    return 0;
}
