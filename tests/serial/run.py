#!/usr/bin/env python3
"""The real serial path: f0boot through Linux tty drivers to f0sim boards (README.md).

A QEMU x86_64 guest (TCG) boots Debian's kernel with a busybox initramfs holding this build's
f0boot. The guest's second 16550 (8250 driver, /dev/ttyS1) is wired to f0sim board A and an
emulated FTDI adapter (QEMU usb-serial on xHCI, ftdi_sio, /dev/ttyUSB0) to board B, each
through a QEMU socket chardev to the board's USART1 TCP port. The host sends each scenario
(scenarios.py) to a command loop on the guest's console and checks its output.

    run.py --build BUILD [--only NAME,...] [--list] [--shell] [--keep]

Exit 0 when every scenario passed (or failed as listed in EXPECTED_FAIL), 1 otherwise,
2 when the rig cannot be set up (the reason is printed).
"""
import argparse
import base64
import codecs
import glob
import hashlib
import json
import lzma
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import zlib
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import scenarios  # noqa: E402

SRC = os.path.dirname(os.path.dirname(HERE))
# USB modules the guest needs (their dependencies are added from each module's depends=).
MODULES = ["xhci-pci", "ftdi_sio"]
BOOT_TIMEOUT = 300      # outer bounds only: generous, the machine may be loaded
RIG_ERROR = 99


class RigError(Exception):
    """The rig cannot run (a missing dependency, a guest that does not boot)."""


def log(msg):
    print("serial: " + msg, flush=True)


# ---------------------------------------------------------------------------------------
# Inputs and the initramfs


class Inputs:
    def __init__(self, build):
        self.build = os.path.abspath(build)
        self.f0boot = os.path.join(self.build, "cli", "f0boot")
        self.f0sim = os.path.join(self.build, "sim", "f0sim")
        fw = os.path.join(self.build, "target")
        self.bootloader = os.path.join(fw, "bootloader", "bootloader.elf")
        self.app1 = os.path.join(fw, "app_template", "app.elf")
        self.app2 = os.path.join(fw, "app_template", "app_v2.elf")
        self.app1_bin = os.path.join(fw, "app_template", "app.bin")
        for p in (self.f0boot, self.f0sim, self.bootloader, self.app1, self.app2, self.app1_bin):
            if not os.path.exists(p):
                raise RigError("missing build output %s" % p)
        self.qemu = shutil.which("qemu-system-x86_64")
        self.busybox = shutil.which("busybox", path="/bin:/usr/bin:/sbin:/usr/sbin")
        self.cpio = shutil.which("cpio")
        for name, p in (("qemu-system-x86_64 (package qemu-system-x86)", self.qemu),
                        ("busybox (package busybox-static)", self.busybox),
                        ("cpio (package cpio)", self.cpio)):
            if not p:
                raise RigError("%s is not installed: run scripts/deps.sh" % name)
        kdir = os.environ.get("F0B_KERNEL_DIR", os.path.join(SRC, "build", "cache", "kernel"))
        vml = sorted(glob.glob(os.path.join(kdir, "boot", "vmlinuz-*")))
        mods = sorted(glob.glob(os.path.join(kdir, "lib", "modules", "*")))
        if not vml or not mods or not os.path.exists(os.path.join(kdir, ".complete")):
            raise RigError("no Debian kernel in %s: run scripts/deps.sh (it fetches "
                           "linux-image-amd64 there with apt-get download)" % kdir)
        self.kernel = vml[-1]
        self.moddir = mods[-1]
        self.work = os.path.join(self.build, "tests", "serial", "work")
        os.makedirs(self.work, exist_ok=True)


def pvh_kernel(inp):
    """The uncompressed kernel (vmlinux) for QEMU's PVH entry, cached beside the initramfs.
    Under TCG the bzImage's own decompressor costs ~4 s of the boot idle, ~15 s on a loaded
    machine; decompressing once on the host saves that on every run. The payload's place is
    in the bzImage's setup header (boot protocol 2.08+: setup_sects at 0x1f1, payload_offset
    and payload_length at 0x248); xz and gzip payloads are handled. Falls back to the
    bzImage (returned as is) when the payload or the PVH note is not there."""
    out = os.path.join(inp.work, "vmlinux")
    st = os.stat(inp.kernel)
    key = "%s %d %d" % (os.path.basename(inp.kernel), st.st_size, int(st.st_mtime))
    src = out + ".src"
    if os.path.exists(out) and os.path.exists(src) and open(src).read() == key:
        return out
    img = open(inp.kernel, "rb").read()
    setup_sects = img[0x1f1] or 4
    off, length = struct.unpack_from("<II", img, 0x248)
    payload = img[(setup_sects + 1) * 512 + off:][:length]
    try:
        if payload.startswith(b"\xfd7zXZ\x00"):
            elf = lzma.LZMADecompressor(lzma.FORMAT_XZ).decompress(payload)
        elif payload.startswith(b"\x1f\x8b"):
            elf = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(payload)
        else:
            return inp.kernel
    except (lzma.LZMAError, zlib.error):
        return inp.kernel
    # XEN_ELFNOTE_PHYS32_ENTRY (18) in a "Xen" note: the PVH entry QEMU looks for.
    note = re.compile(rb"\x04\0\0\0.{4}\x12\0\0\0Xen\0", re.S)  # namesz 4, any descsz
    if not elf.startswith(b"\x7fELF") or not note.search(elf):
        return inp.kernel
    with open(out + ".tmp", "wb") as f:
        f.write(elf)
    os.replace(out + ".tmp", out)
    with open(src, "w") as f:
        f.write(key)
    return out


def shared_libs(binary):
    """The shared libraries `ldd` names for binary (none for a static one)."""
    p = subprocess.run(["ldd", binary], capture_output=True, text=True)
    libs = []
    for line in p.stdout.splitlines():
        m = re.search(r"(/\S+) \(0x", line)
        if m:
            libs.append(m.group(1))
    return libs


def module_order(moddir):
    """Module files (relative to moddir) for MODULES and what they depend on, dependencies
    first, from each module's depends= (.modinfo); built-in modules are skipped."""
    index = {}
    for path in glob.glob(os.path.join(moddir, "kernel", "**", "*.ko"), recursive=True):
        index[os.path.basename(path)[:-3].replace("-", "_")] = path
    builtin = set()
    bfile = os.path.join(moddir, "modules.builtin")
    if os.path.exists(bfile):
        for line in open(bfile):
            builtin.add(os.path.basename(line.strip())[:-3].replace("-", "_"))
    order = []

    def add(name):
        name = name.replace("-", "_")
        if name in builtin or index.get(name) in order:
            return
        if name not in index:
            raise RigError("kernel module %s not found under %s" % (name, moddir))
        data = open(index[name], "rb").read()
        m = re.search(rb"\0depends=([^\0]*)\0", data)
        for dep in (m.group(1).decode().split(",") if m and m.group(1) else []):
            add(dep)
        order.append(index[name])

    for name in MODULES:
        add(name)
    return order


def big_image(inp, dest):
    """A 96 KB container (the example application padded with a pattern) at the application's
    own address: long enough at 115200 baud (~9 s) that pulling the adapter or opening the
    port a second time lands in the middle of the write phase."""
    p = subprocess.run([inp.f0boot, "pack", inp.app1, "-o", dest + ".probe", "--json"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise RigError("f0boot pack %s failed: %s" % (inp.app1, p.stderr))
    addr = json.loads(p.stdout.splitlines()[-1])["load_addr"]
    os.unlink(dest + ".probe")
    data = open(inp.app1_bin, "rb").read()
    data += bytes(range(256)) * ((96 * 1024 - len(data)) // 256)
    with open(dest + ".bin", "wb") as f:
        f.write(data)
    p = subprocess.run([inp.f0boot, "pack", dest + ".bin", "--addr", str(addr), "-o", dest,
                        "--version", "3.0.0"], capture_output=True, text=True)
    os.unlink(dest + ".bin")
    if p.returncode != 0:
        raise RigError("f0boot pack (big image) failed: %s" % p.stderr)


def initramfs_files(inp):
    """(path in the guest, host file) for everything the initramfs holds."""
    g = os.path.join(HERE, "guest")
    files = [("init", os.path.join(g, "init")), ("bin/busybox", inp.busybox),
             ("etc/mdev.conf", os.path.join(g, "mdev.conf"))]
    for name in ("serve", "helpers.sh", "by-id.sh"):
        files.append(("f0b/" + name, os.path.join(g, name)))
    files += [("f0b/f0boot", inp.f0boot), ("f0b/app.elf", inp.app1),
              ("f0b/app_v2.elf", inp.app2)]
    for lib in shared_libs(inp.f0boot) + shared_libs(inp.busybox):
        files.append((lib.lstrip("/"), lib))
    for path in module_order(inp.moddir):
        files.append(("lib/modules/" + os.path.basename(path), path))
    return files


def build_initramfs(inp):
    """The guest's initramfs (uncompressed newc cpio), rebuilt only when an input changed.
    Returns (path, seconds spent building, 0 when cached)."""
    files = initramfs_files(inp)
    h = hashlib.sha256()
    for dest, src in files:
        h.update(dest.encode() + b"\0" + open(src, "rb").read())
    key = h.hexdigest()
    out = os.path.join(inp.work, "initramfs.cpio")
    stamp = out + ".sha256"
    if os.path.exists(out) and os.path.exists(stamp) and open(stamp).read() == key:
        return out, 0.0
    t0 = time.monotonic()
    root = os.path.join(inp.work, "root")
    shutil.rmtree(root, ignore_errors=True)
    for d in ("bin", "dev", "proc", "sys", "tmp", "etc", "f0b", "lib/modules"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    for dest, src in files:
        os.makedirs(os.path.dirname(os.path.join(root, dest)), exist_ok=True)
        shutil.copyfile(src, os.path.join(root, dest))
        os.chmod(os.path.join(root, dest), 0o755)
    big_image(inp, os.path.join(root, "f0b", "big.img"))
    with open(os.path.join(root, "lib", "modules", "order"), "w") as f:
        f.write("".join(os.path.basename(p) + "\n" for p in module_order(inp.moddir)))
    names = subprocess.run(["find", ".", "-mindepth", "1"], cwd=root, capture_output=True,
                           check=True).stdout
    with open(out + ".tmp", "wb") as f:
        subprocess.run([inp.cpio, "-o", "-H", "newc", "-R", "0:0", "--quiet"], cwd=root,
                       input=names, stdout=f, check=True)
    os.replace(out + ".tmp", out)
    with open(stamp, "w") as f:
        f.write(key)
    return out, time.monotonic() - t0


# ---------------------------------------------------------------------------------------
# Boards, the guest's console and the QEMU monitor


class Board:
    """One f0sim board with the bootloader in a fresh flash file, USART1 on a TCP port."""

    def __init__(self, inp, tmp, name):
        self.name = name
        self.summary = os.path.join(tmp, "board%s.json" % name)
        pf = os.path.join(tmp, "board%s.port" % name)
        self.logf = open(os.path.join(tmp, "board%s.log" % name), "w+")
        args = [inp.f0sim, "--flash", os.path.join(tmp, "board%s.flash" % name),
                "--load", inp.bootloader, "--uart", "tcp:0", "--port-file", pf,
                "--summary", self.summary, "--quiet", "--until-ms", "3600000"]
        self.proc = subprocess.Popen(args, stdout=self.logf, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if os.path.exists(pf) and open(pf).read().strip():
                self.port = int(open(pf).read().strip())
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RigError("f0sim board %s did not start: %s" % (name, self.log_text()))

    def log_text(self):
        self.logf.flush()
        self.logf.seek(0)
        return self.logf.read()[-2000:]

    def pause(self, paused):
        """Stop or continue the f0sim process (SIGSTOP/SIGCONT). While the guest boots, the
        boards wait stopped so that the two cores go to the boot; the kernel queues QEMU's
        connection on the listening socket meanwhile. Realtime f0sim does not rush to catch
        up afterwards: virtual time just goes on."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGSTOP if paused else signal.SIGCONT)

    def stop(self):
        """Stop the board; its summary (or None)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        try:
            with open(self.summary) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None


class Console:
    """The guest's ttyS0 through a QEMU socket chardev: everything read is kept (and logged),
    and waiters look for a pattern from a position on."""

    def __init__(self, path, logpath):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(path)
        self.buf = ""
        self.closed = False
        self.cond = threading.Condition()
        self.logf = open(logpath, "w")
        threading.Thread(target=self._reader, daemon=True).start()

    def _reader(self):
        dec = codecs.getincrementaldecoder("utf-8")("replace")
        while True:
            try:
                data = self.sock.recv(4096)
            except OSError:
                data = b""
            text = dec.decode(data, final=not data).replace("\r", "")
            with self.cond:
                self.buf += text
                self.logf.write(text)
                self.logf.flush()
                if not data:
                    self.closed = True
                self.cond.notify_all()
            if not data:
                return

    def send(self, line):
        self.sock.sendall(line.encode() + b"\n")

    def wait(self, pattern, start, timeout):
        """The first match of pattern in the output from start, or None after timeout."""
        rx = re.compile(pattern)
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                m = rx.search(self.buf, start)
                if m or self.closed:
                    return m
                left = end - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(min(left, 0.5))


class Monitor:
    """QMP on a unix socket: commands, and waits for events."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(path)
        self.f = self.sock.makefile("rw")
        self.events = []
        json.loads(self.f.readline())
        self.execute("qmp_capabilities")

    def execute(self, cmd, args=None):
        msg = {"execute": cmd}
        if args:
            msg["arguments"] = args
        self.f.write(json.dumps(msg) + "\n")
        self.f.flush()
        while True:
            r = json.loads(self.f.readline())
            if "event" in r:
                self.events.append(r)
            elif "error" in r:
                raise RigError("QEMU monitor %s %s: %s" % (cmd, args, r["error"]))
            else:
                return r.get("return")

    def wait_event(self, name, timeout):
        self.sock.settimeout(timeout)
        try:
            while not any(e["event"] == name for e in self.events):
                self.events.append(json.loads(self.f.readline()))
        finally:
            self.sock.settimeout(None)
        self.events = [e for e in self.events if e["event"] != name]


def qemu_args(inp, initrd, tmp, boards, shell):
    args = [inp.qemu, "-M", "pc", "-accel", "tcg", "-m", "512", "-smp", "1",
            "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
            "-kernel", inp.boot_kernel, "-initrd", initrd,
            "-append", "console=ttyS0,115200 panic=-1 quiet loglevel=3"
            + (" f0b.shell" if shell else "")]
    if shell:
        args += ["-chardev", "stdio,id=con,mux=on,signal=off", "-mon", "chardev=con"]
    else:
        args += ["-chardev", "socket,id=con,path=%s,server=on,wait=on" % os.path.join(tmp, "con")]
    args += ["-serial", "chardev:con",
             "-chardev", "socket,id=boardA,host=127.0.0.1,port=%d" % boards[0].port,
             "-serial", "chardev:boardA",
             "-device", "qemu-xhci,id=xhci",
             "-chardev", "socket,id=boardB,host=127.0.0.1,port=%d" % boards[1].port,
             "-device", "usb-serial,id=ftdi,bus=xhci.0,chardev=boardB,serial=%s"
             % scenarios.SERIAL,
             "-qmp", "unix:%s,server=on,wait=off" % os.path.join(tmp, "qmp")]
    return args


class Guest:
    """QEMU running the initramfs, its console and its monitor."""

    def __init__(self, inp, initrd, tmp, boards):
        self.logf = open(os.path.join(tmp, "qemu.log"), "w+")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(qemu_args(inp, initrd, tmp, boards, False),
                                     stdin=subprocess.DEVNULL, stdout=self.logf,
                                     stderr=subprocess.STDOUT)
        self.monitor = None
        self.next_id = 0
        try:
            self._boot(tmp)
        except BaseException:
            self.stop()
            raise
        self.boot_seconds = time.monotonic() - t0

    def _boot(self, tmp):
        self.console = Console(self._socket(os.path.join(tmp, "con")),
                               os.path.join(tmp, "console.log"))
        self.monitor = Monitor(self._socket(os.path.join(tmp, "qmp")))
        if not self.console.wait(r"@@READY", 0, BOOT_TIMEOUT):
            raise RigError("the guest did not come up in %d s: %s\n%s" % (
                BOOT_TIMEOUT, self.console.buf[-3000:], self.log_text()))
        errors = re.findall(r"@@ERROR.*", self.console.buf)
        if errors:
            raise RigError("the guest's setup failed: %s" % "; ".join(errors))

    def _socket(self, path):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if os.path.exists(path):
                return path
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RigError("QEMU did not start: %s" % self.log_text())

    def log_text(self):
        self.logf.flush()
        self.logf.seek(0)
        return self.logf.read()[-2000:]

    def run(self, cmd, on, timeout):
        """Run a snippet in the guest: (exit status or None on timeout, output, actions
        fired). on: (pattern, (QMP command, arguments)) fired once each when the pattern
        first appears in the snippet's output."""
        self.next_id += 1
        cid = self.next_id
        start = len(self.console.buf)
        self.console.send("%d %s" % (cid, base64.b64encode(cmd.encode()).decode()))
        m = self.console.wait(r"@@BEGIN %d\n" % cid, start, timeout)
        if not m:
            return None, self.console.buf[start:], []
        begin = m.end()
        end_rx = r"@@END %d (\d+)\n" % cid
        pending, fired = list(on), []
        deadline = time.monotonic() + timeout
        while True:
            m = self.console.wait(end_rx, begin, 0.1 if pending else 1.0)
            for trig in list(pending):
                if re.search(trig[0], self.console.buf[begin:]):
                    self.host_action(*trig[1])
                    pending.remove(trig)
                    fired.append(trig[1][0])
            if m:
                return int(m.group(1)), self.console.buf[begin:m.start()], fired
            if time.monotonic() > deadline or self.console.closed:
                return None, self.console.buf[begin:], fired

    def host_action(self, cmd, args):
        """A QMP command; device_del returns once QEMU reports the device gone."""
        try:
            self.monitor.execute(cmd, args)
            if cmd == "device_del":
                self.monitor.wait_event("DEVICE_DELETED", 60)
        except (OSError, ValueError) as e:
            raise RigError("QEMU monitor %s %s: %s" % (cmd, args, e))

    def stop(self):
        if self.proc.poll() is None:
            try:
                if self.monitor:
                    self.monitor.execute("quit")
            except (OSError, ValueError, RigError):
                pass
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# ---------------------------------------------------------------------------------------
# Scenarios


def judge(sc, rc, out, fired):
    """The problems with one scenario's result (empty: it passed)."""
    if rc is None:
        return ["no end within %d s (the guest is stuck; later scenarios not run)" % sc.timeout]
    problems = []
    if rc != sc.rc:
        problems.append("exit status %d, expected %d" % (rc, sc.rc))
    problems += ["missing in output: %s" % p for p in sc.out if not re.search(p, out)]
    problems += ["forbidden in output: %s" % p for p in scenarios.NEVER if re.search(p, out)]
    if len(fired) != len(sc.on):
        problems.append("host actions fired: %s of %s" % (fired, [a[1][0] for a in sc.on]))
    return problems


def run_scenarios(guest, chosen):
    """Run the chosen scenarios in order; [(name, verdict, seconds, problems, output)].
    Verdicts: PASS, XFAIL (failed as EXPECTED_FAIL says), FAIL, XPASS (passed although in
    EXPECTED_FAIL), RIG (exit 99: the rig is broken), NOTRUN."""
    results = []
    stuck = False
    for sc in chosen:
        if stuck:
            results.append((sc.name, "NOTRUN", 0.0, [], ""))
            continue
        t0 = time.monotonic()
        rc, out, fired = guest.run(sc.cmd, sc.on, sc.timeout)
        secs = time.monotonic() - t0
        problems = judge(sc, rc, out, fired)
        xf = sc.name in scenarios.EXPECTED_FAIL
        if rc is None:
            stuck = True
            verdict = "FAIL"
        elif rc == RIG_ERROR:
            verdict = "RIG"
        elif problems:
            verdict = "XFAIL" if xf else "FAIL"
        else:
            verdict = "XPASS" if xf else "PASS"
        log("%-6s %-24s %6.1f s" % (verdict, sc.name, secs))
        results.append((sc.name, verdict, secs, problems, out))
    return results


def report(results, verbose):
    bad = [r for r in results if r[1] not in ("PASS", "XFAIL")]
    for name, verdict, _, problems, out in results:
        if verdict == "PASS" or (verdict == "XFAIL" and not verbose):
            if verdict == "XFAIL":
                log("  %s (expected to fail now): %s" % (name, "; ".join(problems)))
            continue
        log("---- %s: %s" % (verdict, name))
        for p in problems:
            log("  " + p)
        if verdict == "XPASS":
            log("  it passes now: delete %r from EXPECTED_FAIL in tests/serial/scenarios.py"
                % name)
        sys.stdout.write("".join("  | " + line + "\n" for line in out.splitlines()[-40:]))
    return bad


def check_boards(boards):
    """Each board ran to the end without a fault: [problem]."""
    problems = []
    for b in boards:
        s = b.stop()
        if s is None:
            problems.append("board %s left no summary: %s" % (b.name, b.log_text()))
        elif s.get("stop_reason") != "signal":
            problems.append("board %s stopped by %s (%s)" % (b.name, s.get("stop_reason"),
                                                              s.get("stop_detail")))
    return problems


def shell(inp, initrd, tmp):
    """Boot the guest with an interactive shell on this terminal (Ctrl-A X quits QEMU)."""
    boards = [Board(inp, tmp, "A")]
    try:
        boards.append(Board(inp, tmp, "B"))
    except RigError:
        boards[0].stop()
        raise
    log("board A on 127.0.0.1:%d -> guest /dev/ttyS1; board B on 127.0.0.1:%d -> FTDI "
        "/dev/ttyUSB0 (serial %s); QEMU monitor (QMP) at %s; Ctrl-A X quits"
        % (boards[0].port, boards[1].port, scenarios.SERIAL, os.path.join(tmp, "qmp")))
    try:
        subprocess.run(qemu_args(inp, initrd, tmp, boards, True))
    finally:
        for b in boards:
            b.stop()
    return 0


def choose(only):
    if not only:
        return list(scenarios.SCENARIOS)
    names = only.split(",")
    known = {s.name: s for s in scenarios.SCENARIOS}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise RigError("no such scenario: %s (--list shows them)" % ", ".join(unknown))
    return [known[n] for n in names]


def run_all(inp, initrd, tmp, chosen, verbose):
    boards, guest = [], None
    try:
        boards.append(Board(inp, tmp, "A"))
        boards.append(Board(inp, tmp, "B"))
        for b in boards:
            b.pause(True)
        guest = Guest(inp, initrd, tmp, boards)
        for b in boards:
            b.pause(False)
        log("guest up in %.1f s" % guest.boot_seconds)
        results = run_scenarios(guest, chosen)
    finally:
        if guest:
            guest.stop()
        board_problems = check_boards(boards)
    bad = report(results, verbose)
    for p in board_problems:
        log("FAIL " + p)
    counts = {}
    for r in results:
        counts[r[1]] = counts.get(r[1], 0) + 1
    log("boot %.1f s, scenarios %.1f s; %s" % (
        guest.boot_seconds, sum(r[2] for r in results),
        ", ".join("%d %s" % (n, v) for v, n in sorted(counts.items()))))
    return 1 if bad or board_problems else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", required=True, help="the CMake build directory")
    ap.add_argument("--only", help="comma-separated scenario names, run in that order")
    ap.add_argument("--list", action="store_true", help="list the scenarios and stop")
    ap.add_argument("--shell", action="store_true",
                    help="boot the guest with a shell on this terminal instead")
    ap.add_argument("--keep", action="store_true", help="keep the logs even on success")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="show the output of XFAIL scenarios too")
    a = ap.parse_args()
    if a.list:
        for s in scenarios.SCENARIOS:
            print("%-24s%s" % (s.name, "  (expected to fail now)"
                               if s.name in scenarios.EXPECTED_FAIL else ""))
        return 0
    t0 = time.monotonic()
    tmp = None
    try:
        chosen = choose(a.only)
        inp = Inputs(a.build)
        initrd, secs = build_initramfs(inp)
        inp.boot_kernel = pvh_kernel(inp)
        if inp.boot_kernel == inp.kernel:
            log("booting the bzImage (no PVH vmlinux could be made from it: slower)")
        log("initramfs %s (%.1f MB): %s" % (initrd, os.path.getsize(initrd) / 1e6,
                                            "built in %.1f s" % secs if secs else "cached"))
        tmp = tempfile.mkdtemp(prefix="f0b-serial-")
        if a.shell:
            return shell(inp, initrd, tmp)
        rc = run_all(inp, initrd, tmp, chosen, a.verbose)
    except RigError as e:
        log("FAIL (rig): %s" % e)
        rc = 2
    log("total %.1f s%s" % (time.monotonic() - t0, "; logs in %s" % tmp
                             if tmp and (rc or a.keep) else ""))
    if tmp and rc == 0 and not a.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
