#!/usr/bin/env python3
"""End-to-end tests: the real firmware on f0sim, driven by the real f0boot over TCP.

Each scenario starts f0sim with the bootloader in a fresh flash file, talks to USART1 through
`socket://127.0.0.1:PORT` exactly as a user would through ser2net, and checks what the virtual
chip did (its UART output and its JSON summary). Usage:

    e2e.py --build BUILD_DIR SCENARIO

Scenarios: update, reenter, powercut, fastbaud, noisy (see the functions below).
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time


# How long f0boot waits for an answer. Only a bound for a machine too loaded to run the
# virtual board near real time: the simulator holds the chip in reset until f0boot connects
# (--wait-host), so nothing depends on the host keeping pace; a healthy run answers in ms.
ANSWER_TIMEOUT_MS = 20000


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


class Sim:
    """One f0sim process serving USART1 on a TCP port."""

    def __init__(self, env, flash, extra=(), load_bootloader=True):
        self.env = env
        self.flash_path = flash
        self.proc = None
        env.sims.append(self)
        self.summary = os.path.join(env.tmp, "summary-%d.json" % env.next_id())
        pf = os.path.join(env.tmp, "port-%d" % env.next_id())
        args = [env.f0sim, "--flash", flash, "--uart", "tcp:0", "--port-file", pf,
                "--summary", self.summary, "--quiet", "--until-ms", "600000", "--wait-host"]
        if load_bootloader:
            args += ["--load", env.bootloader]
        args += list(extra)
        self.log = open(os.path.join(env.tmp, "sim-%d.log" % env.next_id()), "w+")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            if os.path.exists(pf) and open(pf).read().strip():
                self.port = int(open(pf).read().strip())
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        raise Fail("f0sim did not start: %s" % self.log_text())

    def url(self):
        return "socket://127.0.0.1:%d" % self.port

    def log_text(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()[-2000:]

    def uart(self, send=b"", seconds=1.0, until=None):
        """Connect to USART1, send bytes, collect what the device sends until until(data)
        is true or `seconds` of wall time pass (generous: the simulator may run slower than
        real time on a loaded machine or under sanitizers)."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        s.settimeout(0.05)
        if send:
            s.sendall(send)
        data = b""
        end = time.time() + seconds
        while time.time() < end:
            try:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            except socket.timeout:
                pass
            if until and until(data):
                break
        s.close()
        return data

    def stop(self):
        """Stop the simulator and return its JSON summary."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise Fail("f0sim did not stop on SIGTERM")
        return self.read_summary()

    def wait(self, seconds):
        self.proc.wait(seconds)
        return self.read_summary()

    def read_summary(self):
        try:
            with open(self.summary) as f:
                return json.load(f)
        except (OSError, ValueError) as e:
            raise Fail("no f0sim summary (%s): %s" % (e, self.log_text()))


class Env:
    def __init__(self, build):
        self.build = build
        self.f0boot = os.path.join(build, "cli", "f0boot")
        self.f0sim = os.path.join(build, "sim", "f0sim")
        fw = os.path.join(build, "target")
        self.bootloader = os.path.join(fw, "bootloader", "bootloader.elf")
        self.app1 = os.path.join(fw, "app_template", "app.elf")
        self.app2 = os.path.join(fw, "app_template", "app_v2.elf")
        for p in (self.f0boot, self.f0sim, self.bootloader, self.app1, self.app2):
            check(os.path.exists(p), "missing build output %s" % p)
        self.tmp = tempfile.mkdtemp(prefix="f0b-e2e-")
        self._id = 0
        self.sims = []

    def kill_all(self):
        """No simulator outlives the test, whatever happened."""
        for sim in self.sims:
            if sim.proc is not None and sim.proc.poll() is None:
                sim.proc.kill()
                sim.proc.wait()

    def next_id(self):
        self._id += 1
        return self._id

    def flash_file(self):
        return os.path.join(self.tmp, "flash-%d.bin" % self.next_id())

    def f0boot_run(self, *args, timeout=120):
        p = subprocess.run([self.f0boot] + list(args), capture_output=True, text=True,
                           timeout=timeout)
        return p.returncode, p.stdout, p.stderr

    def probe(self, sim, timeout_ms=ANSWER_TIMEOUT_MS, *extra):
        """f0boot probe --json: (exit code, the device's INFO as a dict or None, stderr).
        extra: more options ("--no-ask": only a bootloader that runs already answers)."""
        rc, out, err = self.f0boot_run("probe", sim.url(), "--json", "--timeout", str(timeout_ms),
                                       *extra)
        return rc, (json.loads(out.splitlines()[-1]) if rc == 0 else None), err

    def flash(self, sim, image, *opts, expect=0, timeout_ms=ANSWER_TIMEOUT_MS):
        # Generous answer timeout: the virtual board may run slower than real time.
        rc, out, err = self.f0boot_run("flash", sim.url(), image, "--json", "--timeout",
                                       str(timeout_ms), *opts)
        events = [json.loads(line) for line in out.splitlines() if line.strip()]
        if expect is not None:
            check(rc == expect, "f0boot flash exited %d (expected %d): %s %s"
                  % (rc, expect, err.strip(), out[-600:]))
        return rc, events


def status_lines(data):
    return re.findall(rb"app v(\d+\.\d+\.\d+) ticks=(\d+) rx=(\d+)", data)


def expect_app(sim, version):
    """The application runs: status lines with growing SysTick counts, and bytes sent to it
    are echoed and counted by its USART1 receive interrupt (both served through the vector
    table it copied to SRAM)."""
    data = sim.uart(seconds=30, until=lambda d: len(status_lines(d)) >= 3)
    first = status_lines(data)
    check(len(first) >= 3, "no status lines from the application: %r" % data[-300:])
    check(all(v == version.encode() for v, _, _ in first),
          "expected app v%s, saw %s" % (version, sorted({v for v, _, _ in first})))
    t = [int(x) for _, x, _ in first]
    check(t[-1] > t[0], "SysTick count does not advance: %s" % t)
    probe = b"xyz123"

    def counted(d):
        tail = d[d.find(probe) + len(probe):] if probe in d else b""
        lines = status_lines(tail)
        return lines and int(lines[-1][2]) >= len(probe)

    data = sim.uart(send=probe, seconds=30, until=counted)
    check(probe in data, "the application did not echo %r (got %r)" % (probe, data[-200:]))
    check(counted(data), "rx counter did not count the received bytes: %r" % data[-300:])


def scenario_update(env):
    """Issue 5 test 1: a blank chip with the bootloader stays in it, f0boot flash writes the
    example application, and the application runs with SysTick and USART1 interrupts."""
    sim = Sim(env, env.flash_file())
    rc, info, err = env.probe(sim)
    check(rc == 0, "probe failed: %s" % err)
    check(info.get("app_state") in ("none", 0), "blank chip reports an application: %s" % info)
    env.flash(sim, env.app1)
    expect_app(sim, "1.0.0")
    summary = sim.stop()
    check(summary["uart"]["overruns"] == 0, "UART overruns: %s" % summary["uart"])


def scenario_reenter(env):
    """Issue 5 test 2: the running application is asked to re-enter the bootloader ('B'),
    and a second version is flashed and runs."""
    flash = env.flash_file()
    sim = Sim(env, flash)
    env.flash(sim, env.app1)
    expect_app(sim, "1.0.0")
    sim.uart(send=b"B", seconds=0.3, until=lambda d: True)
    rc, info, err = env.probe(sim)
    check(rc == 0, "bootloader did not answer after 'B': %s" % err)
    check(info.get("stay_reason") in ("request", 1), "stay reason is not the request: %s" % info)
    env.flash(sim, env.app2)
    expect_app(sim, "2.0.0")
    summary = sim.stop()
    # 'B' resets into the bootloader (power-on is not counted as a reset)
    check(summary["resets"] >= 1, "the application did not reset into the bootloader: %s"
          % summary)


# F0B_APP_REQUEST (include/f0boot/layout.h, docs/protocol.md)
REQUEST_SEQ = b"\xff" b"f0boot:update" b"\xfe"


def scenario_reenter_seq(env):
    """Issue 12 item 1: the application library's request sequence, sent on USART1 amid
    other traffic, puts the running application into its bootloader (nobody sends 'B');
    a near miss (the last byte wrong) does not; a match restarts at a 0xFF."""
    sim = Sim(env, env.flash_file())
    env.flash(sim, env.app1)
    expect_app(sim, "1.0.0")
    data = sim.uart(send=b"hello" + REQUEST_SEQ[:-1] + b"x", seconds=30,
                    until=lambda d: d.count(b"ticks=") >= 3)
    check(d_ok(data), "the application stopped after a near miss: %r" % data[-200:])
    # A partial match cut short by a new 0xFF restarts the match there.
    data = sim.uart(send=b"abc\xff\xfff0b" + REQUEST_SEQ, seconds=30,
                    until=lambda d: b"entering bootloader" in d)
    check(b"entering bootloader" in data, "the request sequence was not acted on: %r"
          % data[-200:])
    rc, info, err = env.probe(sim)
    check(rc == 0, "bootloader did not answer after the request sequence: %s" % err)
    check(info.get("stay_reason") in ("request", 1), "stay reason is not the request: %s" % info)
    summary = sim.stop()
    check(summary["resets"] >= 1, "the application did not reset: %s" % summary)


def scenario_request_guard(env):
    """The update request in SRAM words 0-1 keeps the bootloader only after the
    application's own request: tests/apps/reqprobe (linked the article's way, stack at the
    end of SRAM) writes it with the power-on flag still set (as a power-on whose garbage
    matched would), without its complement, and before a watchdog reset: each time the
    bootloader starts the application again. Then the real request keeps the bootloader."""
    probe_elf = os.path.join(env.build, "target", "apps", "reqprobe.elf")
    check(os.path.exists(probe_elf), "missing build output %s" % probe_elf)
    sim = Sim(env, env.flash_file())
    env.flash(sim, probe_elf)
    up = re.compile(rb"reqprobe up csr=0x([0-9a-f]{8})")
    data = sim.uart(seconds=30, until=lambda d: up.search(d))
    check(up.search(data), "reqprobe did not start: %r" % data[-200:])
    for cmd, flag, what in ((b"P", 0x08000000, "PORRSTF"), (b"H", 0x10000000, "SFTRSTF"),
                            (b"W", 0x20000000, "IWDGRSTF")):
        echo = cmd + b"\r\n"      # printed just before the reset: what follows is the restart

        def after(d):
            return d[d.find(echo) + len(echo):] if echo in d else b""

        data = after(sim.uart(send=cmd, seconds=30, until=lambda d: up.search(after(d))))
        m = up.search(data)
        check(m, "after '%s' the application did not start again (the bootloader kept "
              "a request it must refuse): %r" % (cmd.decode(), data[-200:]))
        check(int(m.group(1), 16) & flag, "after '%s' the reset flags lack %s: %s"
              % (cmd.decode(), what, m.group(1)))
    sim.uart(send=b"R", seconds=0.3, until=lambda d: True)
    rc, info, err = env.probe(sim)
    check(rc == 0, "bootloader did not answer after the request: %s" % err)
    check(info.get("stay_reason") in ("request", 1), "stay reason is not the request: %s" % info)
    summary = sim.stop()
    check(summary["resets"] >= 4, "expected four resets: %s" % summary)
    # Power-on with garbage in SRAM, and with the exact request words in it (a chance match,
    # or a request that outlived a power cut): not a request. A probe at power-on is answered
    # in the boot window, so the bootloader says why it stays: the host, never the request.
    flash = sim.flash_path
    magic = 0xB007F00D  # F0B_REQ_UPDATE_MAGIC at F0B_REQ_ADDR, its complement after it
    for seed, words in ((11, []), (12, ["--sram-word", "0x20000000=0x%08x" % magic,
                                        "--sram-word", "0x20000004=0x%08x" % (magic ^ 0xFFFFFFFF)])):
        what = "the request words" if words else "random bytes"
        sim = Sim(env, flash, ["--sram-random", "--seed", str(seed)] + words,
                  load_bootloader=False)
        rc, info, err = env.probe(sim)
        check(rc == 0, "power-on with %s in SRAM: no answer in the boot window: %s" % (what, err))
        check(info.get("stay_reason") not in ("request", 1),
              "power-on with %s in SRAM kept the bootloader as a request: %s" % (what, info))
        rc, out, err = env.f0boot_run("boot", sim.url(), "--timeout", str(ANSWER_TIMEOUT_MS))
        check(rc == 0, "f0boot boot failed: %s" % err.strip())
        m = up.search(sim.uart(seconds=30, until=lambda d: up.search(d)))
        check(m and int(m.group(1), 16) & 0x08000000,
              "power-on with %s in SRAM: the application did not start with PORRSTF" % what)
        sim.stop()


def scenario_listen(env):
    """An application that leaves USART1 to the library's ready-made listener
    (tests/apps/listen, f0boot_app_usart1_listen): running, it does not answer a probe;
    after the request sequence its bootloader does, with stay reason "request"."""
    elf = os.path.join(env.build, "target", "apps", "listen.elf")
    check(os.path.exists(elf), "missing build output %s" % elf)
    sim = Sim(env, env.flash_file())
    env.flash(sim, elf)
    rc, info, err = env.probe(sim, 300, "--no-ask")
    check(rc == 11, "a probe of the running application got exit %d (expected 11, no "
          "bootloader): %s %s" % (rc, info, err))
    sim.uart(send=REQUEST_SEQ, seconds=0.3, until=lambda d: True)
    rc, info, err = env.probe(sim)
    check(rc == 0, "bootloader did not answer after the request sequence: %s" % err)
    check(info.get("stay_reason") in ("request", 1), "stay reason is not the request: %s" % info)
    sim.stop()


def d_ok(data):
    return data.count(b"ticks=") >= 3 and b"entering bootloader" not in data


def scenario_refused(env):
    """Issue 4 on the real firmware: an image the bootloader must refuse (built for another
    part: packed with --force over lint) is refused with its reason before anything is
    erased (exit 14), and the device then accepts the right image."""
    f = env.flash_file()
    sim = Sim(env, f)
    img = os.path.join(env.tmp, "wrong-part.img")
    rc, out, err = env.f0boot_run("pack", env.app1, "-o", img, "--part", "stm32f072xb",
                                  "--force")
    check(rc == 0 and os.path.exists(img), "could not pack the wrong-part image: %s" % err)
    rc, events = env.flash(sim, img, expect=14)
    result = events[-1]
    check("part" in result.get("error", "").lower(),
          "the refusal does not name the part: %s" % result)
    before = sim.stop()
    check(before["flash"]["page_erases"] == 0 and before["flash"]["programs"] == 0,
          "the refused image touched the flash: %s" % before["flash"])
    sim = Sim(env, f, load_bootloader=False)
    env.flash(sim, env.app1)
    expect_app(sim, "1.0.0")
    sim.stop()


def scenario_fastbaud(env):
    """Issue 5 test 5: an update at 921600 baud loses no byte (the virtual USART counts
    overruns), and the application then runs."""
    sim = Sim(env, env.flash_file())
    rc, events = env.flash(sim, env.app1, "--fast-baud", "921600")
    result = events[-1]
    check(result.get("baud") == 921600, "transfer did not run at 921600: %s" % result)
    expect_app(sim, "1.0.0")
    summary = sim.stop()
    check(summary["uart"]["overruns"] == 0, "UART overruns at 921600: %s" % summary["uart"])


def scenario_powercut(env, sample):
    """Issue 5 test 4: power is cut at a spread of flash operations of an update of v2 over a
    committed v1. After each cut the next boot never runs a partial application (it runs v1
    only if the cut came before v1's record was touched, v2 only if v2 was committed, or it
    stays in the bootloader), and a new update then succeeds."""
    base = env.flash_file()
    sim = Sim(env, base)
    env.flash(sim, env.app1)
    sim.stop()
    # How many flash operations a full v2 update takes, from a clean run.
    ref = env.flash_file()
    shutil.copy(base, ref)
    sim = Sim(env, ref, load_bootloader=False)
    env.flash(sim, env.app2, "--no-boot")
    summary = sim.stop()
    fl = summary["flash"]
    total = fl["programs"] + fl["page_erases"] + fl["mass_erases"]
    check(total > 4, "implausible flash operation count %d" % total)
    if sample == 0:
        points = list(range(1, total + 1))
    else:
        points = sorted({1, 2, 3, total - 1, total} |
                        {1 + (i * (total - 1)) // max(1, sample - 1) for i in range(sample)})
    for n in points:
        f = env.flash_file()
        shutil.copy(base, f)
        sim = Sim(env, f, ["--power-cut-flash-op", str(n)], load_bootloader=False)
        env.flash(sim, env.app2, "--no-boot", expect=None)
        try:
            summary = sim.wait(30)
        except subprocess.TimeoutExpired:
            summary = sim.stop()
        check(summary["faults_injected"]["power_cut"] or n >= total,
              "cut %d/%d: the power was not cut: %s" % (n, total, summary))
        # Power back on. The chip is held in reset until f0boot connects, so its greeting is
        # always inside the boot window: the bootloader answers, and reports what it found.
        sim = Sim(env, f, load_bootloader=False)
        rc, info, err = env.probe(sim)
        check(rc == 0, "cut %d/%d: the bootloader did not answer: %s" % (n, total, err.strip()))
        state = info.get("app_state")
        check(state in ("none", "uncommitted", "valid"),
              "cut %d/%d: bootloader reports %s" % (n, total, state))
        if state == "valid":
            # whatever is committed must be a whole application: start it and look
            rc, out, err = env.f0boot_run("boot", sim.url(), "--timeout", str(ANSWER_TIMEOUT_MS))
            check(rc == 0, "cut %d/%d: f0boot boot failed: %s" % (n, total, err.strip()))
            lines = status_lines(sim.uart(seconds=20, until=lambda d: status_lines(d)))
            check(lines, "cut %d/%d: the committed application does not run" % (n, total))
            versions = {v for v, _, _ in lines}
            check(versions in ({b"1.0.0"}, {b"2.0.0"}),
                  "cut %d/%d: unexpected application output %s" % (n, total, versions))
            sim.uart(send=b"B", seconds=0.3, until=lambda d: True)
        env.flash(sim, env.app2)
        expect_app(sim, "2.0.0")
        sim.stop()
    print("power cut at %d of %d flash operations: all recovered" % (len(points), total))


def scenario_noisy(env):
    """A line that flips and drops bytes: f0boot either succeeds with flash equal to the
    image, or fails clearly; the device then accepts a clean update."""
    outcomes = []
    for seed in (1, 2, 3):
        f = env.flash_file()
        sim = Sim(env, f, ["--uart-noise", "0.0005", "--seed", str(seed)])
        # the usual answer timeout: lost frames are recovered by waiting it out
        rc, events = env.flash(sim, env.app1, "--retries", "20", expect=None, timeout_ms=3000)
        outcomes.append(rc)
        check(rc in (0, 11, 13, 14, 15), "seed %d: unexpected exit %d" % (seed, rc))
        sim.stop()
        sim = Sim(env, f, load_bootloader=False)
        if rc == 0:
            expect_app(sim, "1.0.0")
        else:
            env.flash(sim, env.app1)
            expect_app(sim, "1.0.0")
        sim.stop()
    print("noisy line outcomes (exit codes):", outcomes)


def run_scenario(build, name, fn, env_class=None):
    """Run fn(env) on a fresh Env (or env_class) for build: prints PASS or FAIL (the files
    kept on failure), kills every board either way; returns the exit status."""
    env = (env_class or Env)(build)
    try:
        fn(env)
    except Fail as e:
        print("FAIL %s: %s (files kept in %s)" % (name, e, env.tmp))
        return 1
    finally:
        env.kill_all()
    shutil.rmtree(env.tmp, ignore_errors=True)
    print("PASS", name)
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--sample", type=int, default=8,
                    help="power-cut points to try; 0 = every flash operation (nightly)")
    ap.add_argument("scenario")
    a = ap.parse_args()
    if a.scenario == "powercut":
        return run_scenario(a.build, a.scenario, lambda env: scenario_powercut(env, a.sample))
    return run_scenario(a.build, a.scenario, globals()["scenario_" + a.scenario])


if __name__ == "__main__":
    sys.exit(main())
