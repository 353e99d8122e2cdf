/*
 * Port enumeration and PORT names (libflash/src/ports.c, f0boot/ports.h): the selector
 * parser and matcher against a fixed list of ports, the enumeration against a fake sysfs
 * and /dev tree (a USB adapter with its by-id link, 16550s with and without a UART behind
 * them, a CDC-ACM device with a hostile manufacturer string, a virtual terminal), bare-name
 * and path resolution, and `f0boot ports [--json]` over the same fake tree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "f0boot/flash.h"
#include "f0boot/ports.h"

/* ---- a fixed list ---------------------------------------------------------------------- */

static struct f0b_port_info fake[] = {
    {"/dev/ttyS0", "ttyS0", F0B_PT_NATIVE, 0, 0, 0, "", "", "", "", ""},
    {"/dev/ttyUSB0", "ttyUSB0", F0B_PT_USB, 1, 0x0403, 0x6001, "A10K3ZQW", "FTDI",
     "FT232R USB UART", "1-1.2", "/dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A10K3ZQW-if00-port0"},
    {"/dev/ttyUSB1", "ttyUSB1", F0B_PT_USB, 1, 0x0403, 0x6001, "A10K4ABC", "FTDI",
     "FT232R USB UART", "1-1.3", ""},
    {"/dev/ttyACM0", "ttyACM0", F0B_PT_USB, 1, 0x0483, 0x5740, "", "STMicroelectronics",
     "Virtual COM Port", "2-4", ""},
};
static const struct f0b_port_list fake_list = {fake, sizeof fake / sizeof fake[0]};

static void test_sel_parse(void **state)
{
    struct f0b_port_sel s;
    char err[256];
    (void)state;

    assert_int_equal(f0b_port_sel_parse("/dev/ttyUSB0", &s, err, sizeof err), 0);
    assert_int_equal(f0b_port_sel_parse("ttyUSB0", &s, err, sizeof err), 0);
    assert_int_equal(f0b_port_sel_parse("usb:0403:6001", &s, err, sizeof err), 1);
    assert_false(s.any_vid || s.any_pid);
    assert_int_equal(s.vid, 0x0403);
    assert_int_equal(s.pid, 0x6001);
    assert_string_equal(s.serial, "");
    assert_int_equal(f0b_port_sel_parse("usb:483:5740:ABC*", &s, err, sizeof err), 1);
    assert_int_equal(s.vid, 0x0483);
    assert_string_equal(s.serial, "ABC*");
    assert_int_equal(f0b_port_sel_parse("usb:*:*", &s, err, sizeof err), 1);
    assert_true(s.any_vid && s.any_pid);
    assert_int_equal(f0b_port_sel_parse("usb:0403:*:A10K3ZQW", &s, err, sizeof err), 1);
    assert_true(!s.any_vid && s.any_pid);

    static const char *const bad[] = {
        "usb:",          "usb:0403",       "usb:0403:",      "usb::6001",   "usb:04031:6001",
        "usb:04g3:6001", "usb:0403:6001x", "usb:0x403:6001", "usb:**:6001",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = 0;
        assert_int_equal(f0b_port_sel_parse(bad[i], &s, err, sizeof err), F0B_E_ARG);
        assert_non_null(strstr(err, bad[i]));
        assert_non_null(strstr(err, "usb:VID:PID[:SERIAL]"));
    }
}

static int select_one(const char *spec, size_t *i, char *err, size_t n)
{
    return f0b_ports_select(&fake_list, spec, i, err, n);
}

static void test_select(void **state)
{
    char err[512];
    size_t i = 99;
    (void)state;

    assert_int_equal(select_one("usb:0403:6001:A10K3ZQW", &i, err, sizeof err), 0);
    assert_int_equal(i, 1);
    assert_int_equal(select_one("usb:403:6001:*4ABC", &i, err, sizeof err), 0);
    assert_int_equal(i, 2);
    assert_int_equal(select_one("usb:0483:5740", &i, err, sizeof err), 0);
    assert_int_equal(i, 3);
    assert_int_equal(select_one("usb:0483:*", &i, err, sizeof err), 0);
    assert_int_equal(i, 3);
    assert_int_equal(select_one("usb:0483:5740:", &i, err, sizeof err), 0); /* any serial */

    /* several: each listed, with what to add */
    assert_int_equal(select_one("usb:0403:6001", &i, err, sizeof err), F0B_E_PORT);
    assert_string_equal(err, "usb:0403:6001 matches 2 ports: ttyUSB0 (usb 0403:6001 A10K3ZQW), "
                             "ttyUSB1 (usb 0403:6001 A10K4ABC); name one by its serial number "
                             "(usb:VID:PID:SERIAL) or its path");
    assert_int_equal(select_one("usb:*:*", &i, err, sizeof err), F0B_E_PORT);
    assert_non_null(strstr(err, "matches 3 ports"));
    assert_null(strstr(err, "ttyS0")); /* a native port has no USB ids to match */

    /* none: the ports present */
    assert_int_equal(select_one("usb:10c4:ea60", &i, err, sizeof err), F0B_E_PORT);
    assert_string_equal(err, "no serial port matches usb:10c4:ea60; ports present: ttyS0 "
                             "(native), ttyUSB0 (usb 0403:6001 A10K3ZQW), ttyUSB1 (usb 0403:6001 "
                             "A10K4ABC), ttyACM0 (usb 0483:5740)");
    assert_int_equal(select_one("usb:0403:6001:NOPE", &i, err, sizeof err), F0B_E_PORT);
    assert_non_null(strstr(err, "no serial port matches usb:0403:6001:NOPE"));

    struct f0b_port_list none = {NULL, 0};
    assert_int_equal(f0b_ports_select(&none, "usb:0403:6001", &i, err, sizeof err), F0B_E_PORT);
    assert_string_equal(err, "no serial port matches usb:0403:6001; ports present: none found");

    assert_int_equal(select_one("usb:zz:6001", &i, err, sizeof err), F0B_E_ARG);
    assert_int_equal(select_one("/dev/ttyUSB0", &i, err, sizeof err), F0B_E_ARG);

    /* a short buffer is cut, terminated */
    char small[24];
    assert_int_equal(select_one("usb:10c4:ea60", &i, small, sizeof small), F0B_E_PORT);
    assert_int_equal(strlen(small), sizeof small - 1);
}

/* ---- a fake sysfs and /dev -------------------------------------------------------------- */

static char root[64];

static void put(const char *rel, const char *text)
{
    char p[512], cmd[1100];
    FILE *f;

    snprintf(p, sizeof p, "%s/%s", root, rel);
    snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname '%s')\"", p);
    assert_int_equal(system(cmd), 0);
    assert_non_null(f = fopen(p, "w"));
    fputs(text, f);
    fclose(f);
}

static void lnk(const char *rel, const char *target)
{
    char p[512], cmd[1200];

    snprintf(p, sizeof p, "%s/%s", root, rel);
    snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname '%s')\" && ln -s '%s' '%s'", p, target, p);
    assert_int_equal(system(cmd), 0);
}

#define USBDEV "sys/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1.2"

static int make_tree(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "/tmp/f0b_ports_XXXXXX");
    assert_non_null(mkdtemp(root));
    /* an FTDI adapter on bus 1, hub port 1, port 2 */
    put(USBDEV "/idVendor", "0403\n");
    put(USBDEV "/idProduct", "6001\n");
    put(USBDEV "/serial", "A10K3ZQW\n");
    put(USBDEV "/manufacturer", "FTDI\n");
    put(USBDEV "/product", "FT232R USB UART\n");
    put(USBDEV "/1-1.2:1.0/ttyUSB0/uevent", "");
    lnk("sys/class/tty/ttyUSB0/device", "../../../devices/pci0000:00/0000:00:14.0/usb1/1-1/"
                                        "1-1.2/1-1.2:1.0/ttyUSB0");
    put("dev/ttyUSB0", "");
    lnk("dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A10K3ZQW-if00-port0", "../../ttyUSB0");
    /* 16550s: ttyS0 and ttyS10 have a UART, ttyS2 does not (type 0) */
    put("sys/devices/pnp0/00:01/uevent", "");
    put("sys/class/tty/ttyS0/type", "4\n");
    lnk("sys/class/tty/ttyS0/device", "../../../devices/pnp0/00:01");
    put("sys/class/tty/ttyS10/type", "4\n");
    lnk("sys/class/tty/ttyS10/device", "../../../devices/pnp0/00:01");
    put("sys/class/tty/ttyS2/type", "0\n");
    lnk("sys/class/tty/ttyS2/device", "../../../devices/pnp0/00:01");
    put("dev/ttyS0", "");
    /* a CDC-ACM device whose manufacturer string tries to drive the terminal */
    put("sys/devices/usb2/2-4/idVendor", "0483\n");
    put("sys/devices/usb2/2-4/idProduct", "5740\n");
    put("sys/devices/usb2/2-4/manufacturer", "Evil\033[2J\n");
    put("sys/devices/usb2/2-4/product", "VCP\n");
    put("sys/devices/usb2/2-4/2-4:1.0/tty/ttyACM0/uevent", "");
    lnk("sys/class/tty/ttyACM0/device", "../../../devices/usb2/2-4/2-4:1.0");
    /* a virtual terminal: no device behind it */
    put("sys/class/tty/tty1/dev", "4:1\n");
    return 0;
}

static int remove_tree(void **state)
{
    char cmd[128];
    (void)state;

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_list_fake_sysfs(void **state)
{
    struct f0b_port_list l;
    char sum[256];
    (void)state;

    assert_int_equal(f0b_ports_list(&l, root), 0);
    assert_int_equal(l.n, 4);
    /* sorted with numbers as numbers: ttyACM0, ttyS0, ttyS10, ttyUSB0 */
    assert_string_equal(l.v[0].name, "ttyACM0");
    assert_string_equal(l.v[1].name, "ttyS0");
    assert_string_equal(l.v[2].name, "ttyS10");
    assert_string_equal(l.v[3].name, "ttyUSB0");
    assert_int_equal(l.v[1].transport, F0B_PT_NATIVE);
    assert_false(l.v[1].has_usb);
    assert_string_equal(l.v[1].dev, "/dev/ttyS0");
    assert_string_equal(l.v[1].by_id, "");
    assert_int_equal(l.v[0].transport, F0B_PT_USB);
    assert_string_equal(l.v[0].location, "2-4");
    assert_string_equal(l.v[0].serial, ""); /* the device has none */

    const struct f0b_port_info *u = &l.v[3];
    assert_string_equal(u->dev, "/dev/ttyUSB0");
    assert_int_equal(u->transport, F0B_PT_USB);
    assert_true(u->has_usb);
    assert_int_equal(u->vid, 0x0403);
    assert_int_equal(u->pid, 0x6001);
    assert_string_equal(u->serial, "A10K3ZQW");
    assert_string_equal(u->manufacturer, "FTDI");
    assert_string_equal(u->product, "FT232R USB UART");
    assert_string_equal(u->location, "1-1.2");
    assert_string_equal(u->by_id, "/dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A10K3ZQW-if00-port0");

    f0b_ports_summary(&l, sum, sizeof sum);
    assert_string_equal(sum, "ttyACM0 (usb 0483:5740), ttyS0 (native), ttyS10 (native), ttyUSB0 "
                             "(usb 0403:6001 A10K3ZQW)");
    size_t i;
    assert_int_equal(f0b_ports_select(&l, "usb:0403:6001", &i, sum, sizeof sum), 0);
    assert_int_equal(i, 3);
    f0b_ports_free(&l);
    assert_null(l.v);

    /* no sysfs at all: an empty list, not an error */
    assert_int_equal(f0b_ports_list(&l, "/nonexistent-f0b"), 0);
    assert_int_equal(l.n, 0);
    f0b_ports_free(&l);
}

static void test_resolve(void **state)
{
    char path[256], err[1024];
    (void)state;

    /* a bare name is looked up in /dev */
    assert_int_equal(f0b_port_resolve("null", path, sizeof path, err, sizeof err), 0);
    assert_string_equal(path, "/dev/null");
    assert_int_equal(f0b_port_resolve("/dev/null", path, sizeof path, err, sizeof err), 0);
    assert_string_equal(path, "/dev/null");
    /* nothing there: said so, with the ports present */
    assert_int_equal(f0b_port_resolve("ttyNOPE9", path, sizeof path, err, sizeof err), F0B_E_PORT);
    assert_non_null(strstr(err, "ttyNOPE9: no such serial port; serial ports present: "));
    assert_int_equal(f0b_port_resolve("/dev/ttyNOPE9", path, sizeof path, err, sizeof err),
                     F0B_E_PORT);
    assert_non_null(strstr(err, "/dev/ttyNOPE9: no such serial port; serial ports present: "));
    /* a regular file is no serial device */
    char file[128];
    snprintf(file, sizeof file, "%s/dev/ttyS0", root);
    assert_int_equal(f0b_port_resolve(file, path, sizeof path, err, sizeof err), F0B_E_PORT);
    assert_non_null(strstr(err, "not a serial device"));
    assert_int_equal(f0b_port_resolve("", path, sizeof path, err, sizeof err), F0B_E_ARG);
    assert_int_equal(f0b_port_resolve("usb:xyz", path, sizeof path, err, sizeof err), F0B_E_ARG);
    assert_int_equal(f0b_port_resolve("usb:0403:6001:NO-SUCH-SERIAL-F0B", path, sizeof path, err,
                                      sizeof err),
                     F0B_E_PORT);
    assert_non_null(strstr(err, "no serial port matches usb:0403:6001:NO-SUCH-SERIAL-F0B; "
                                "ports present: "));
    /* too long for the caller's buffer */
    assert_int_equal(f0b_port_resolve("/dev/null", path, 5, err, sizeof err), F0B_E_ARG);
}

/* ---- f0boot ports --------------------------------------------------------------------- */

static int run_cli(const char *args, char *out, size_t n)
{
    char cmd[512];
    size_t k = 0;
    FILE *p;

    snprintf(cmd, sizeof cmd, "F0BOOT_PORTS_ROOT='%s' '%s' %s", root, F0B_CLI, args);
    assert_non_null(p = popen(cmd, "r"));
    while (k + 1 < n && !feof(p))
        k += fread(out + k, 1, n - 1 - k, p);
    out[k] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_cli_ports(void **state)
{
    char out[4096];
    (void)state;

    assert_int_equal(run_cli("ports --json", out, sizeof out), 0);
    assert_string_equal(
        out,
        "{\"port\":\"/dev/ttyACM0\",\"name\":\"ttyACM0\",\"transport\":\"usb\",\"vid\":\"0483\","
        "\"pid\":\"5740\",\"serial\":\"\",\"manufacturer\":\"Evil\\u001b[2J\",\"product\":\"VCP\","
        "\"location\":\"2-4\",\"by_id\":\"\",\"selector\":\"usb:0483:5740\"}\n"
        "{\"port\":\"/dev/ttyS0\",\"name\":\"ttyS0\",\"transport\":\"native\",\"vid\":\"\","
        "\"pid\":\"\",\"serial\":\"\",\"manufacturer\":\"\",\"product\":\"\",\"location\":\"\","
        "\"by_id\":\"\",\"selector\":\"\"}\n"
        "{\"port\":\"/dev/ttyS10\",\"name\":\"ttyS10\",\"transport\":\"native\",\"vid\":\"\","
        "\"pid\":\"\",\"serial\":\"\",\"manufacturer\":\"\",\"product\":\"\",\"location\":\"\","
        "\"by_id\":\"\",\"selector\":\"\"}\n"
        "{\"port\":\"/dev/ttyUSB0\",\"name\":\"ttyUSB0\",\"transport\":\"usb\",\"vid\":\"0403\","
        "\"pid\":\"6001\",\"serial\":\"A10K3ZQW\",\"manufacturer\":\"FTDI\",\"product\":"
        "\"FT232R USB UART\",\"location\":\"1-1.2\",\"by_id\":\"/dev/serial/by-id/"
        "usb-FTDI_FT232R_USB_UART_A10K3ZQW-if00-port0\",\"selector\":\"usb:0403:6001:A10K3ZQW\"}\n");

    assert_int_equal(run_cli("ports", out, sizeof out), 0);
    assert_non_null(strstr(out, "PORT"));
    assert_non_null(strstr(out, "/dev/ttyUSB0  usb        0403:6001  A10K3ZQW  1-1.2     "
                                "FTDI FT232R USB UART\n"));
    assert_non_null(strstr(out, "selector: usb:0403:6001:A10K3ZQW\n"));
    /* the device's strings cannot reach the terminal as control characters */
    assert_null(strchr(out, '\033'));
    assert_non_null(strstr(out, "Evil\\x1b[2J VCP\n"));
    assert_non_null(strstr(out, "by-id: /dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A10K3ZQW"));

    assert_int_equal(run_cli("ports --bogus 2>/dev/null", out, sizeof out), 2);

    /* no ports: nothing in JSON, a sentence in text */
    char cmd[512];
    snprintf(cmd, sizeof cmd, "F0BOOT_PORTS_ROOT=/nonexistent-f0b '%s' ports --json", F0B_CLI);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_int_equal(fread(out, 1, sizeof out, p), 0);
    assert_int_equal(pclose(p), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sel_parse),       cmocka_unit_test(test_select),
        cmocka_unit_test(test_list_fake_sysfs), cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_cli_ports),
    };
    return cmocka_run_group_tests(tests, make_tree, remove_tree);
}
