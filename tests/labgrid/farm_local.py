"""A small virtual farm for the labgrid tests: f0sim boards on pseudo-terminals, one real
ser2net (Debian's 4.3) serving each on a TCP port, raw or RFC 2217, and the labgrid
environment file for them.

This stands in for scripts/farm.py (the virtual farm of issue 15) until that lands: the
labgrid test needs only farm.yaml and the boards behind it, so switching is one call.
"""
import os
import signal
import socket
import subprocess
import time

import yaml


class FarmError(Exception):
    pass


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def target_drivers(b, expect):
    """The drivers of board b's target: the f0boot driver and strategy, a console if asked."""
    drv = {"F0bootDriver": dict({"image": "app"}, **b.driver),
           "F0bootStrategy": {"expect": expect}}
    return dict({"SerialDriver": {}}, **drv) if b.console else drv


def write_env(path, targets, image, build, python_dir):
    env = {"targets": targets,
           "images": {"app": image},
           "tools": {"f0boot": os.path.join(build, "cli", "f0boot")},
           "imports": [os.path.join(python_dir, "f0boot_labgrid", "__init__.py")]}
    with open(path, "w") as f:
        yaml.safe_dump(env, f, sort_keys=False)


def preflash(build, port):
    """The example application v1 flashed and started on the board at port."""
    f0boot = os.path.join(build, "cli", "f0boot")
    app = os.path.join(build, "target", "app_template", "app.elf")
    p = subprocess.run([f0boot, "flash", port, app, "--timeout", "5000", "--retries", "20",
                        "-q"], capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        raise FarmError("preflash of %s: exit %d: %s" % (port, p.returncode, p.stderr))


def listening_ports():
    """TCP ports in LISTEN state on this machine (/proc/net/tcp and tcp6)."""
    ports = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] == "0A":
                        ports.add(int(fields[1].rsplit(":", 1)[1], 16))
        except OSError:
            continue
    return ports


class Board:
    """name; protocol "raw" or "rfc2217" (through ser2net), or "local" (a RawSerialPort: the
    pty itself, as a board on the runner's own serial port); sim_args: extra f0sim options (a fault, another
    part); part: another part than the STM32F030xC, with that part's bootloader; driver: F0bootDriver options in the environment; console:
    a labgrid SerialDriver on the same port too; preflash: the example application v1 is
    flashed before the tests, so the board starts with an application running."""

    def __init__(self, name, protocol="raw", sim_args=(), part=None, driver=None,
                 console=False, preflash=False):
        self.name = name
        self.protocol = protocol
        self.sim_args = list(sim_args)
        self.part = part            # another part than f0sim's default (with its bootloader)
        self.driver = dict(driver or {})
        self.console = console
        self.preflash = preflash
        self.proc = None
        self.tty = None
        self.tcp = None


class Farm:
    def __init__(self, build, tmp, boards, image, expect, python_dir):
        self.build = build
        self.tmp = tmp
        self.boards = boards
        self.image = image
        self.expect = expect
        self.python_dir = python_dir
        self.ser2net = None
        self.env_file = os.path.join(tmp, "farm.yaml")

    def start(self):
        f0sim = os.path.join(self.build, "sim", "f0sim")
        for b in self.boards:
            b.tty = os.path.join(self.tmp, b.name + ".tty")
            b.tcp = free_port()
            fw = os.path.join(self.build, "target")
            bl = os.path.join(fw, "parts", b.part, "bootloader.elf") if b.part else \
                os.path.join(fw, "bootloader", "bootloader.elf")
            part = ["--part", b.part] if b.part else []
            log = open(os.path.join(self.tmp, b.name + ".sim.log"), "w")
            b.proc = subprocess.Popen(
                [f0sim, "--load", bl, "--flash", os.path.join(self.tmp, b.name + ".bin"),
                 "--uart", "pty:" + b.tty, "--quiet", "--until-ms", "3600000"] + part +
                b.sim_args, stdout=log, stderr=subprocess.STDOUT)
        self._wait(lambda: all(os.path.islink(b.tty) for b in self.boards), "f0sim ptys")
        if any(b.protocol != "local" for b in self.boards):
            self._start_ser2net()
        self._preflash()
        self._write_env()

    def _preflash(self):
        for b in self.boards:
            if b.preflash:
                preflash(self.build, b.tty if b.protocol == "local" else
                         "socket://127.0.0.1:%d" % b.tcp)

    def _wait(self, cond, what, seconds=30):
        end = time.time() + seconds
        while time.time() < end:
            if cond():
                return
            for b in self.boards:
                if b.proc.poll() is not None:
                    raise FarmError("f0sim for %s exited (%d)" % (b.name, b.proc.returncode))
            time.sleep(0.05)
        raise FarmError("timed out waiting for " + what)

    def _start_ser2net(self):
        conf = ["%YAML 1.1", "---"]
        for b in self.boards:
            if b.protocol == "local":
                continue
            acc = "tcp" if b.protocol == "raw" else "telnet(rfc2217),tcp"
            conf += ["connection: &%s" % b.name,
                     "    accepter: %s,127.0.0.1,%d" % (acc, b.tcp),
                     "    connector: serialdev,%s,115200n81,local" % os.path.realpath(b.tty),
                     "    options:",
                     "      kickolduser: true"]
        path = os.path.join(self.tmp, "ser2net.yaml")
        with open(path, "w") as f:
            f.write("\n".join(conf) + "\n")
        log = open(os.path.join(self.tmp, "ser2net.log"), "w")
        # -n: foreground; -u: no UUCP lock files (f0boot's own lock would see ser2net's)
        self.ser2net = subprocess.Popen(["ser2net", "-n", "-u", "-c", path, "-P",
                                         os.path.join(self.tmp, "ser2net.pid")],
                                        stdout=log, stderr=subprocess.STDOUT)

        def listening():
            # Read the kernel's table instead of connecting: a probe connection to an
            # RFC 2217 accepter opens the device and can cost the next real client its
            # connection (found by the farm.py work).
            if self.ser2net.poll() is not None:
                raise FarmError("ser2net exited (%d): see %s" % (self.ser2net.returncode,
                                                                 log.name))
            want = {b.tcp for b in self.boards if b.protocol != "local"}
            return want <= listening_ports()
        self._wait(listening, "ser2net to listen")

    def _write_env(self):
        targets = {}
        for b in self.boards:
            if b.protocol == "local":
                res = {"RawSerialPort": {"port": b.tty, "speed": 115200}}
            else:
                res = {"NetworkSerialPort": {"host": "127.0.0.1", "port": b.tcp,
                                             "speed": 115200, "protocol": b.protocol}}
            targets[b.name] = {"resources": res, "drivers": target_drivers(b, self.expect)}
        write_env(self.env_file, targets, self.image, self.build, self.python_dir)

    def stop(self):
        procs = [b.proc for b in self.boards if b.proc] + ([self.ser2net] if self.ser2net else [])
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
