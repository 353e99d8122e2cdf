/* f0boot ports: the serial ports of this machine, and how to name each as a PORT. The USB
 * strings come from the device: they are shown through esc_text() and the JSON writer, so
 * an adapter cannot drive the terminal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "common/esc.h"
#include "common/exit_codes.h"
#include "common/json.h"
#include "f0boot/flash.h"
#include "f0boot/ports.h"
#include "output.h"

static void ports_usage(FILE *f)
{
    fprintf(f,
            "usage: f0boot ports [--json]\n\n"
            "List the serial ports of this machine: transport (usb, native, bluetooth), USB\n"
            "vendor:product ids, serial number, manufacturer, product, USB location (bus-port\n"
            "path) and the /dev/serial/by-id name. Any of these names a port for the other\n"
            "commands: the path, the by-id link, the bare name (ttyUSB0) or the selector\n"
            "usb:VID:PID[:SERIAL] shown for USB ports (SERIAL may be omitted, * matches any).\n\n"
            "  --json   one JSON object per port on stdout (none when there are no ports)\n\n"
            "F0BOOT_PORTS_ROOT=DIR reads DIR/sys/class/tty and DIR/dev instead of the system's\n"
            "(for tests).\n"
            "exit codes: 0 success (also with no ports), 1 internal error, 2 usage\n");
}

/* "usb:0403:6001:A10K3ZQW" (no serial part when the adapter has none), or "". */
static void selector(const struct f0b_port_info *p, char *b, size_t n)
{
    b[0] = 0;
    if (!p->has_usb)
        return;
    if (p->serial[0] && !strpbrk(p->serial, ":*?[\\"))
        snprintf(b, n, "usb:%04x:%04x:%s", p->vid, p->pid, p->serial);
    else
        snprintf(b, n, "usb:%04x:%04x", p->vid, p->pid);
}

static void print_json(const struct f0b_port_info *p)
{
    struct json j;
    char id[8], sel[96];

    json_begin(&j, stdout);
    json_str(&j, "port", p->dev);
    json_str(&j, "name", p->name);
    json_str(&j, "transport", f0b_port_transport_name(p->transport));
    snprintf(id, sizeof id, "%04x", p->vid);
    json_str(&j, "vid", p->has_usb ? id : "");
    snprintf(id, sizeof id, "%04x", p->pid);
    json_str(&j, "pid", p->has_usb ? id : "");
    json_str(&j, "serial", p->serial);
    json_str(&j, "manufacturer", p->manufacturer);
    json_str(&j, "product", p->product);
    json_str(&j, "location", p->location);
    json_str(&j, "by_id", p->by_id);
    selector(p, sel, sizeof sel);
    json_str(&j, "selector", sel);
    json_end(&j);
}

/* A column of text from the device, padded to w. */
static void cell(const char *v, int w)
{
    esc_text(stdout, v[0] ? v : "-");
    for (int k = (int)strlen(v[0] ? v : "-"); k < w; k++)
        putchar(' ');
}

static void print_row(const struct f0b_port_info *p, int wp, int ws)
{
    char id[16] = "-", sel[96];

    if (p->has_usb)
        snprintf(id, sizeof id, "%04x:%04x", p->vid, p->pid);
    printf("%-*s  %-9s  %-9s  ", wp, p->dev, f0b_port_transport_name(p->transport), id);
    cell(p->serial, ws);
    printf("  ");
    cell(p->location, 8);
    printf("  ");
    esc_text(stdout, p->manufacturer);
    printf("%s", p->manufacturer[0] && p->product[0] ? " " : "");
    esc_text(stdout, p->product);
    printf("%s\n", p->manufacturer[0] || p->product[0] ? "" : "-");
    selector(p, sel, sizeof sel);
    if (sel[0])
        printf("%*s  selector: %s\n", wp, "", sel);
    if (p->by_id[0]) {
        printf("%*s  by-id: ", wp, "");
        esc_text(stdout, p->by_id);
        putchar('\n');
    }
}

static void print_table(const struct f0b_port_list *l)
{
    int wp = 4, ws = 6;

    for (size_t i = 0; i < l->n; i++) {
        int a = (int)strlen(l->v[i].dev), b = (int)strlen(l->v[i].serial);
        wp = a > wp ? a : wp;
        ws = b > ws ? b : ws;
    }
    printf("%-*s  %-9s  %-9s  %-*s  %-8s  %s\n", wp, "PORT", "TRANSPORT", "VID:PID", ws, "SERIAL",
           "LOCATION", "DESCRIPTION");
    for (size_t i = 0; i < l->n; i++)
        print_row(&l->v[i], wp, ws);
}

int cmd_ports(int argc, char **argv)
{
    struct f0b_port_list l;
    struct out o;

    out_init(&o, "ports", 0, argc, argv);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            ports_usage(stdout);
            return F0B_EXIT_OK;
        }
        if (strcmp(argv[i], "--json") != 0)
            return out_fail(&o, F0B_EXIT_USAGE,
                            "unexpected argument '%s'; see f0boot ports "
                            "--help",
                            argv[i]);
    }
    if (f0b_ports_list(&l, getenv("F0BOOT_PORTS_ROOT")) != 0)
        return out_fail(&o, F0B_EXIT_INTERNAL, "out of memory listing the serial ports");
    if (o.json) {
        for (size_t i = 0; i < l.n; i++)
            print_json(&l.v[i]);
    } else if (!l.n) {
        printf("no serial ports found (a USB adapter shows up here once it is plugged in; "
               "socket://HOST:PORT and rfc2217://HOST:PORT reach remote ones)\n");
    } else {
        print_table(&l);
    }
    f0b_ports_free(&l);
    return F0B_EXIT_OK;
}
