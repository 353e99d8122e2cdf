#!/usr/bin/env python3
"""apps_run_NAME: a user application test firmware (tests/apps/README.md) runs on f0sim
behind the real bootloader, as a user's board would run it:

1. `f0boot pack NAME.elf` without --force (exit 0, nothing on stderr);
2. `f0boot flash` of that image through the real bootloader on f0sim (TCP, as tests/e2e);
3. a power-on with a host on the line (--wait-host, so nothing the application prints is
   lost): what it prints, and for the console applications a line sent to it ("abc\\r")
   coming back as "rx=abc";
4. when it prints what, in virtual time: runs of the same flash in --fast mode stopped at
   the application's Reset_Handler (--break: the jump out of the bootloader) and at each
   expected line (--until-uart), read from the JSON summary. Deterministic, nothing on the
   wall clock.

usage: run_test.py --build BUILD_DIR --nm ARM_NM NAME
"""
import argparse
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import e2e  # noqa: E402  (Sim, Env, Fail, check: the e2e tests' f0sim/f0boot driver)

check = e2e.check
Fail = e2e.Fail


class App:
    def __init__(self, env, nm, name):
        self.env, self.name = env, name
        self.elf = os.path.join(env.build, "target", "apps", name + ".elf")
        check(os.path.exists(self.elf), "missing build output %s" % self.elf)
        out = subprocess.run([nm, self.elf], capture_output=True, text=True, check=True).stdout
        m = re.search(r"^([0-9a-f]{8}) T Reset_Handler$", out, re.M)
        check(m, "no Reset_Handler in %s" % self.elf)
        self.reset_handler = int(m.group(1), 16)
        self.flash = env.flash_file()

    def pack_and_flash(self):
        img = os.path.join(self.env.tmp, self.name + ".img")
        rc, out, err = self.env.f0boot_run("pack", self.elf, "-o", img)
        check(rc == 0 and not err and os.path.exists(img),
              "f0boot pack %s (no --force) exited %d: %s" % (self.name, rc, err.strip()))
        sim = e2e.Sim(self.env, self.flash)
        self.env.flash(sim, img)
        sim.stop()

    def session(self, extra=()):
        """Power on with a host on the line; the application's first words are seen."""
        return e2e.Sim(self.env, self.flash, list(extra), load_bootloader=False)

    def fast_ms(self, *stop, extra=()):
        """Virtual ms at which a --fast power-on run of the flash stops, and its summary."""
        summary = os.path.join(self.env.tmp, "fast-%d.json" % self.env.next_id())
        args = [self.env.f0sim, "--fast", "--flash", self.flash, "--quiet", "--summary", summary,
                "--until-ms", "5000"] + list(stop) + list(extra)
        p = subprocess.run(args, capture_output=True, stdin=subprocess.DEVNULL, timeout=300)
        check(os.path.exists(summary), "f0sim %s: no summary (exit %d): %r"
              % (stop, p.returncode, p.stderr[-300:]))
        with open(summary) as f:
            s = json.load(f)
        check(p.returncode == 0, "f0sim %s stopped with %s: %s" % (stop, s["stop_reason"],
                                                                  s["stop_detail"]))
        return s["virtual_ms"]

    def jump_ms(self, extra=()):
        return self.fast_ms("--break", "0x%08x" % self.reset_handler, extra=extra)


def wait_for(sim, pattern, send=b"", seconds=60):
    data = sim.uart(send=send, seconds=seconds, until=lambda d: pattern in d)
    check(pattern in data, "%r not seen (got %r)" % (pattern, data[-300:]))
    return data


def echo_line(sim):
    """A line sent to the application comes back from its receive interrupt."""
    wait_for(sim, b"rx=abc", send=b"abc\r")


def run_sched(app):
    """Threads on PSP, SVC start, PendSV switches, SysTick preemption, USART1 wake-up."""
    sim = app.session()
    wait_for(sim, b"sched: t1 t2 t1 t2 t1 t2")
    echo_line(sim)
    summary = sim.stop()
    check(summary["faults"] == 0, "faults: %s" % summary)
    t0 = app.jump_ms()
    t = app.fast_ms("--until-uart", "sched: t1 t2 t1 t2 t1 t2")
    check(t - t0 < 50, "six turns took %.3f ms after the jump (want a few 2 ms slices)" % (t - t0))
    print("sched: jump at %.3f ms, six turns by %.3f ms" % (t0, t))


def run_clock(app, name):
    """48 MHz from the PLL; HAL_Delay(500) takes 500 ms of virtual time."""
    first = "clock: %s/prediv 48000000" % name
    sim = app.session()
    wait_for(sim, b"tick ok 500")
    echo_line(sim)
    sim.stop()
    t1 = app.fast_ms("--until-uart", first)
    t2 = app.fast_ms("--until-uart", "tick ok 500")
    # the delay starts once the first line is in the USART (its last 2 characters, ~0.2 ms,
    # still on the line); "tick ok 500" is 11 characters (~0.95 ms)
    check(500 <= t2 - t1 <= 502, "'tick ok 500' %.3f ms after '%s' (want 500-502)"
          % (t2 - t1, first))
    print("%s: '%s' at %.3f ms, 'tick ok 500' at %.3f ms" % (app.name, first, t1, t2))


def run_clock_hse(app):
    run_clock(app, "hse")
    # no crystal on the board: HSERDY never sets, CubeMX's 100 ms timeout
    t0 = app.jump_ms(extra=["--hse-hz", "0"])
    t = app.fast_ms("--until-uart", "clock: FAILED HSERDY", extra=["--hse-hz", "0"])
    check(100 <= t - t0 <= 106, "'clock: FAILED HSERDY' %.3f ms after the jump (want ~100)"
          % (t - t0))
    print("clock_hse without a crystal: FAILED HSERDY %.3f ms after the jump" % (t - t0))


def run_timebase(app):
    """TIM6 1 kHz, TIM14 100 Hz, SysTick 1 kHz agree; TIM6's 1000th update at 1 s."""
    sim = app.session()
    data = wait_for(sim, b"timebase ok")
    check(b"timebase: tim6=1000 " in data, "counts: %r" % data[-200:])
    sim.stop()
    t0 = app.jump_ms()
    t = app.fast_ms("--until-uart", "timebase: ")
    check(1000 <= t - t0 <= 1003, "TIM6's 1000th update %.3f ms after the jump (want 1000)"
          % (t - t0))
    print("timebase: ok, counts printed %.3f ms after the jump" % (t - t0))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--nm", required=True)
    ap.add_argument("name")
    a = ap.parse_args()
    env = e2e.Env(a.build)
    try:
        app = App(env, a.nm, a.name)
        app.pack_and_flash()
        runs = {"sched": run_sched, "clock_hsi": lambda x: run_clock(x, "hsi"),
                "clock_hse": run_clock_hse, "timebase": run_timebase}
        runs[a.name](app)
    except Fail as e:
        print("FAIL %s: %s (files kept in %s)" % (a.name, e, env.tmp))
        return 1
    finally:
        env.kill_all()
    e2e.shutil.rmtree(env.tmp, ignore_errors=True)
    print("PASS", a.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
