"""The serial-rig scenarios: what runs in the guest and what must come out (README.md).

Each scenario is one row: a name, a shell snippet run in the guest (with the helpers of
guest/helpers.sh), the snippet's expected exit status, regular expressions that must all
appear in its output, and optionally host actions on the QEMU monitor fired when a pattern
first appears in the output. Exit status 99 means the rig itself is broken (a device that
never appeared): that fails the run even for a scenario in EXPECTED_FAIL.

Board A (a fresh f0sim board with the bootloader) is wired to the guest's 16550, /dev/ttyS1;
board B to the emulated FTDI adapter, /dev/ttyUSB0, serial number F0SIM-B. Scenarios run in
this order and share the boards, so each one that needs a bootloader asks for it (tobl).
"""
from collections import namedtuple

# Scenarios that fail against today's f0boot, for work still to come. A run reports them
# XFAIL; one that passes is reported XPASS and fails the run, so that this list is kept true:
# when a fix lands, delete its name here. (Before the termios transport was merged the list
# held uart_fastbaud_fallback, usb_by_id, usb_bare_name, usb_selector, ports_json and
# usb_second_opener; before the hands-free work, uart_expect: each failed then and passes
# now.)
EXPECTED_FAIL = set()

S = namedtuple("S", "name cmd rc out on timeout")
S.__new__.__defaults__ = (0, (), (), 180)

UART = "/dev/ttyS1"
USB = "/dev/ttyUSB0"
SERIAL = "F0SIM-B"
# udev's name for QEMU's usb-serial ("QEMU" / "QEMU USB SERIAL", serial F0SIM-B, interface 0)
BY_ID = "/dev/serial/by-id/usb-QEMU_QEMU_USB_SERIAL_%s-if00-port0" % SERIAL
FLASH_OK = r'"event":"result","ok":true'

# Host actions (QEMU monitor): pull the adapter out, put it back.
UNPLUG = ("device_del", {"id": "ftdi"})
REPLUG = ("device_add", {"driver": "usb-serial", "id": "ftdi", "bus": "xhci.0",
                         "chardev": "boardB", "serial": SERIAL})


def probe(port):
    dev = UART if port == UART else USB
    return "waitdev {d} || exit 99\ntobl {d}\nf0boot probe {p} --json --timeout 3000".format(
        d=dev, p=port)


def flash_and_run(port, image, version, opts=""):
    """Flash image through port (any name f0boot accepts) and see the application run."""
    dev = UART if port == UART else USB
    return ("tobl {d}\nf0boot flash {p} /f0b/{i} --json --timeout 3000 {o} && "
            "appcheck {d} {v}").format(d=dev, p=port, i=image, v=version, o=opts)


def second_opener(port):
    """A second f0boot opens the port while a first one is in the middle of an update (held
    there with SIGSTOP, so the second cannot come too late): the second must be refused
    (exit 10) and the first, continued, must finish its update."""
    return ("tobl {p}\n"
            "f0boot flash {p} /f0b/big.img --json --timeout 3000 --fast-baud 921600 "
            "> /tmp/first.log 2>&1 &\n"
            "first=$!\n"
            "waitfor /tmp/first.log '\"event\":\"progress\"' || exit 99\n"
            "kill -STOP $first\n"
            "f0boot probe {p} --json --timeout 3000; echo \"second=$?\"\n"
            "kill -CONT $first\n"
            "wait $first; echo \"first=$?\"; tail -n 1 /tmp/first.log\n").format(p=port)


UNPLUG_MIDFLASH = (
    # The adapter goes while the big image is being written: f0boot is held with SIGSTOP
    # after its first progress event, the host pulls the adapter (UNPLUG fires on
    # "unplug-now" and waits until QEMU reports it gone), f0boot continues and must end
    # with a port or transfer error, not crash or hang.
    "tobl {u}\n"
    "f0boot flash {u} /f0b/big.img --json --timeout 3000 > /tmp/pull.log 2>&1 &\n"
    "pid=$!\n"
    "waitfor /tmp/pull.log '\"event\":\"progress\"' || exit 99\n"
    "kill -STOP $pid\n"
    "echo unplug-now\n"
    "waitgone {u} || exit 99\nwaitgone {b} || exit 99\n"
    "kill -CONT $pid\n"
    "wait $pid; echo \"pulled=$?\"; tail -n 2 /tmp/pull.log\n"
    # REPLUG fires on this line; the board must still be in its bootloader (an update in
    # progress stays there) and take a new update through the new device.
    "echo replug-now\n"
    "waitdev {u} || exit 99\nwaitdev {b} || exit 99\n"
    "f0boot probe {u} --json --timeout 3000 || exit 1\n"
    "f0boot flash {u} /f0b/app_v2.elf --json --timeout 3000 && appcheck {u} 2.0.0\n"
).format(u=USB, b=BY_ID)

SCENARIOS = [
    S("uart_probe", probe(UART), 0, [r'"ok":true', r'"app_state":']),
    S("uart_flash", flash_and_run(UART, "app.elf", "1.0.0"), 0, [FLASH_OK, r"app v1\.0\.0"]),
    S("usb_probe", probe(USB), 0, [r'"ok":true', r'"app_state":']),
    S("usb_flash", flash_and_run(USB, "app.elf", "1.0.0"), 0, [FLASH_OK, r"app v1\.0\.0"]),
    # Flash, then the same image again with --skip-unchanged: nothing written; boot starts it.
    S("uart_skip_unchanged_boot", flash_and_run(UART, "app.elf", "1.0.0") + "\ntobl %s\n"
      "f0boot flash %s /f0b/app.elf --json --timeout 3000 --skip-unchanged --no-boot\n"
      "f0boot boot %s --json --timeout 3000 && appcheck %s 1.0.0" % (UART, UART, UART, UART),
      0, [r'"unchanged":true', r'"written":0', r"app v1\.0\.0"]),
    S("usb_fastbaud", "ratecheck %s 921600 921600\n" % USB
      + flash_and_run(USB, "app_v2.elf", "2.0.0", "--fast-baud 921600"), 0,
      [r'"baud":921600', r"app v2\.0\.0"]),
    # A 16550 at 1.8432 MHz cannot do 921600: the kernel keeps 115200. f0boot must read the
    # rate back, fall back and say so, and the update then succeeds at 115200.
    S("uart_fastbaud_fallback", "ratecheck %s 921600 115200\n" % UART
      + flash_and_run(UART, "app_v2.elf", "2.0.0", "--fast-baud 921600"), 0,
      [r'"event":"warn".*921600', r'"baud":115200', r"app v2\.0\.0"]),
    S("usb_by_id", "waitdev %s || exit 99\n" % BY_ID
      + flash_and_run(BY_ID, "app.elf", "1.0.0"), 0, [FLASH_OK, r"app v1\.0\.0"]),
    S("usb_bare_name", probe("ttyUSB0"), 0, [r'"ok":true']),
    S("usb_selector", flash_and_run("usb:0403:6001:" + SERIAL, "app_v2.elf", "2.0.0"), 0,
      [FLASH_OK, r"app v2\.0\.0"]),
    S("ports_json", "f0boot ports --json", 0, [SERIAL, BY_ID.split("/")[-1], "ttyUSB0", "ttyS1"]),
    S("usb_second_opener", second_opener(USB), 0, [r"\bsecond=10\b", r"\bfirst=0\b"]),
    S("usb_unplug_midflash", UNPLUG_MIDFLASH, 0,
      [r"\bpulled=(10|13)\b", r'"ok":false,"exit":(10|13),"error":"/dev/ttyUSB0',
       r"replug-now", r'"app_state":"(none|uncommitted|bad)"', FLASH_OK, r"app v2\.0\.0"],
      [(r"unplug-now", UNPLUG), (r"replug-now", REPLUG)]),
    # Hands-free: with the application running (v2, put there first), f0boot flash gets it
    # into its bootloader by itself (nobody sends 'B'), then v1 runs.
    S("uart_handsfree", "{v2} || exit 99\n"
      "f0boot flash {p} /f0b/app.elf --json --timeout 3000 && appcheck {p} 1.0.0".format(
          v2=flash_and_run(UART, "app_v2.elf", "2.0.0"), p=UART),
      0, [FLASH_OK + r'.*"entry":"request".*"booted":true', r'"phase":"enter","msg":"request: ',
          r"app v1\.0\.0"]),
    # Never stranded: a session greeted and then abandoned ends by itself after the idle
    # timeout, and the committed application runs again (nobody resets the board).
    S("uart_abandoned", "{v1} || exit 99\ntobl {p}\n"
      "f0boot probe {p} --json --timeout 3000 || exit 1\nappcheck {p} 1.0.0".format(
          v1=flash_and_run(UART, "app.elf", "1.0.0"), p=UART),
      0, [r'"stay_reason":"request"', r"app v1\.0\.0"]),
    # --expect: f0boot keeps the port open after BOOT until the application prints TEXT.
    S("uart_expect", "tobl {p}\nf0boot flash {p} /f0b/app_v2.elf --json --timeout 3000 "
      "--expect 'app v2.0.0'".format(p=UART), 0, [FLASH_OK]),
    # DTR and RTS through the 8250 driver (f0boot's tty line control): a reset sequence that
    # leaves both asserted shows in the kernel's view of the 16550's MCR
    # (/proc/tty/driver/serial) and stays after f0boot has closed the port (HUPCL is clear);
    # the next f0boot's open negates both. The application runs and ignores the lines: in
    # this rig they end at QEMU's socket chardev, which passes no modem control on to the
    # board, so the bootloader answers only when the greetings' bytes make the example
    # application enter it ('B'), or not at all (a reset by DTR is shown on f0sim over
    # RFC 2217 instead: e2e_hf_reset).
    S("uart_reset_lines", "appcheck {p} 2.0.0 || exit 99\n"
      "f0boot probe {p} --json --no-ask --reset D1,R1 --wait 300 --timeout 300; "
      "echo \"probe=$?\"\n"
      "l=$(grep '^1:' /proc/tty/driver/serial); echo \"$l\"\n"
      "case \"$l\" in *RTS*DTR*) echo lines=on ;; *) echo lines=not-on ;; esac\n"
      "f0boot probe {p} --json --wait 3000 --timeout 1000; echo \"probe=$?\"\n"
      "l=$(grep '^1:' /proc/tty/driver/serial); echo \"$l\"\n"
      "case \"$l\" in *RTS*|*DTR*) echo lines=still-on ;; *) echo lines=off ;; esac\n"
      .format(p=UART), 0,
      [r'"entry":"(reset|wait)"|probe=11\b', r"lines=on\b", r"lines=off\b",
       r"probe=0\b"]),
    # Hands-free by the names rig owners use, with the proof it came up: the application runs
    # (v1), nobody sends 'B'; f0boot asks it for its bootloader, flashes, and waits for the
    # new version's line (its output in JSON events).
    S("usb_by_id_expect", "{v1} || exit 99\n"
      "f0boot flash {b} /f0b/app_v2.elf --json --timeout 3000 --expect 'app v2.0.0'".format(
          v1=flash_and_run(USB, "app.elf", "1.0.0"), b=BY_ID),
      0, [FLASH_OK + r'.*"entry":"request","expect":"app v2\.0\.0"',
          r'"event":"output","phase":"expect"']),
    S("usb_selector_expect", "appcheck {u} 2.0.0 || exit 99\n"
      "f0boot flash usb:0403:6001:{s} /f0b/app.elf --json --timeout 3000 "
      "--expect 'app v1.0.0'".format(u=USB, s=SERIAL),
      0, [FLASH_OK + r'.*"entry":"request","expect":"app v1\.0\.0"']),
    # verify through the adapter: the image on the device matches, another one is exit 15
    # naming the first page; erase then leaves the bootloader with no application.
    S("usb_verify_erase", "appcheck {u} 1.0.0 || exit 99\n"
      "f0boot verify {u} /f0b/app.elf --json --timeout 3000 || exit 1\n"
      "f0boot verify {u} /f0b/app_v2.elf --timeout 3000; echo \"other=$?\"\n"
      "f0boot erase {u} --json --timeout 3000 || exit 1\n"
      "f0boot probe {u} --json --timeout 3000\n".format(u=USB),
      0, [r'"match":true', r"other=15\b", r"differs first", r'"erased":true',
          r'"app_state":"none"']),
]

# Output that fails any scenario (the guest's f0boot is the sanitizer build).
NEVER = [r"AddressSanitizer", r"runtime error:", r"LeakSanitizer", r"Segmentation fault",
         r"@@ERROR"]
