#!/usr/bin/env python3
"""Hands-free flashing (issue 12) on the real firmware: f0sim boards, the real f0boot over TCP.

Scenarios (usage: handsfree.py --build BUILD_DIR SCENARIO):
  handsfree  with the example application running, `f0boot flash PORT app_v2 --expect v2`
             succeeds with nobody sending 'B': f0boot asked the application (entry
             "request"), and v2 printed its line; an --expect that never comes is exit 16
             and leaves the new application running
  verify     `f0boot verify` of the image on the device is exit 0, of another is exit 15
             naming page 0; nothing is written; F0BOOT_PORT stands in for PORT
  erase      `f0boot erase` invalidates the application: the bootloader reports none and
             stays; a new update then runs
  reset      a board on --uart rfc2217 (its DTR drives NRST) whose application ignores the
             request (tests/apps/listen): --no-ask --reset dtr gets its bootloader (entry
             "reset", greeted in the boot window), the same over a custom sequence and with
             NRST on RTS; a sequence on the wrong line does not (exit 11); then v2 is
             flashed by reset with --expect
  abort      SIGINT in the middle of the write: exit 130, JSON result "aborted", and the
             board is in its bootloader and takes the next update; --reset on a TCP port
             (no DTR/RTS) is refused with exit 10
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import ANSWER_TIMEOUT_MS, Sim, check, expect_app, run_scenario  # noqa: E402

T = str(ANSWER_TIMEOUT_MS)


def events_of(out):
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def running_v1(env):
    """A board whose example application v1 runs (flashed, then seen printing)."""
    sim = Sim(env, env.flash_file())
    env.flash(sim, env.app1)
    expect_app(sim, "1.0.0")
    return sim


def scenario_handsfree(env):
    sim = running_v1(env)
    rc, out, err = env.f0boot_run("flash", sim.url(), env.app2, "--json", "--timeout", T,
                                  "--expect", "v2", "--expect-timeout", "20000")
    check(rc == 0, "hands-free flash exited %d: %s %s" % (rc, err.strip(), out[-600:]))
    ev = events_of(out)
    res = ev[-1]
    check(res.get("ok") is True and res.get("entry") == "request",
          "the bootloader was not reached by asking the application: %s" % res)
    check(res.get("expect") == "v2" and isinstance(res.get("expect_ms"), int), "no expect "
          "in the result: %s" % res)
    entered = [e for e in ev if e.get("phase") == "enter"]
    check(any(e.get("msg", "").startswith("request:") for e in entered),
          "no JSON event says the request worked: %s" % entered)
    printed = "".join(e.get("msg", "") for e in ev if e.get("event") == "output")
    check("v2" in printed, "the application's output is not in the JSON events: %r" % printed)
    expect_app(sim, "2.0.0")

    # An --expect that never comes: exit 16, and the new application still runs.
    rc, out, err = env.f0boot_run("flash", sim.url(), env.app1, "--timeout", T,
                                  "--expect", "no such line", "--expect-timeout", "1500")
    check(rc == 16, "a missing --expect text gave exit %d (expected 16): %s" % (rc, err))
    check("no such line" in err and "app v1.0.0" in err,
          "the message or the application's output is missing on stderr: %s" % err[-400:])
    expect_app(sim, "1.0.0")
    summary = sim.stop()
    check(summary["resets"] >= 2, "the application did not reset into its bootloader: %s"
          % summary)


def scenario_verify(env):
    f = env.flash_file()
    sim = Sim(env, f)
    env.flash(sim, env.app1)
    sim.stop()
    # a fresh board process from that flash: its summary counts only what verify does
    sim = Sim(env, f, load_bootloader=False)
    expect_app(sim, "1.0.0")
    rc, out, err = env.f0boot_run("verify", sim.url(), env.app1, "--json", "--timeout", T)
    check(rc == 0, "verify of the image on the device exited %d: %s" % (rc, err))
    res = events_of(out)[-1]
    check(res.get("match") is True and res.get("entry") == "request", "verify: %s" % res)
    # the other image differs from the first page on; F0BOOT_PORT gives the PORT
    envp = dict(os.environ, F0BOOT_PORT=sim.url())
    p = subprocess.run([env.f0boot, "verify", env.app2, "--timeout", T], env=envp,
                       capture_output=True, text=True, timeout=120)
    check(p.returncode == 15, "verify of another image exited %d (expected 15): %s"
          % (p.returncode, p.stderr))
    check("page 0 (0x08001000" in p.stderr, "the first differing page is not named: %s"
          % p.stderr)
    # F0BOOT_BAUD under --baud: a bad value is a usage error naming the variable
    envp["F0BOOT_BAUD"] = "12"
    p = subprocess.run([env.f0boot, "verify", env.app1], env=envp, capture_output=True,
                       text=True, timeout=120)
    check(p.returncode == 2 and "F0BOOT_BAUD=12" in p.stderr, "a bad F0BOOT_BAUD: exit %d %s"
          % (p.returncode, p.stderr))
    p = subprocess.run([env.f0boot, "verify", env.app1, "--baud", "115200", "--timeout", T],
                       env=envp, capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, "--baud did not win over F0BOOT_BAUD: exit %d %s"
          % (p.returncode, p.stderr))
    summary = sim.stop()
    fl = summary["flash"]
    check(fl["page_erases"] == 0 and fl["programs"] == 0, "verify wrote to the flash: %s" % fl)


def scenario_erase(env):
    sim = running_v1(env)
    rc, out, err = env.f0boot_run("erase", sim.url(), "--json", "--timeout", T)
    check(rc == 0, "erase exited %d: %s" % (rc, err))
    rc, info, err = env.probe(sim, ANSWER_TIMEOUT_MS, "--no-ask")
    check(rc == 0 and info.get("app_state") == "none",
          "after erase the bootloader reports %s" % info)
    check(int(info.get("features", "0"), 16) & 0x80 and info.get("idle_ms", 0) > 0,
          "probe does not show ERASE or the idle timeout: %s" % info)
    # f0boot boot is refused: there is no application any more
    rc, out, err = env.f0boot_run("boot", sim.url(), "--timeout", T)
    check(rc == 14 and "no valid application" in err, "boot after erase: exit %d %s"
          % (rc, err))
    env.flash(sim, env.app2)
    expect_app(sim, "2.0.0")
    sim.stop()


def big_image(env):
    """v2 padded to 60 KB: the write takes seconds at 115200, time enough to interrupt."""
    raw = open(os.path.join(os.path.dirname(env.app2), "app_v2.bin"), "rb").read()
    binf = os.path.join(env.tmp, "big.bin")
    with open(binf, "wb") as f:
        f.write(raw + b"\xa5" * (60 * 1024 - len(raw)))
    img = os.path.join(env.tmp, "big.img")
    rc, out, err = env.f0boot_run("pack", binf, "--addr", "0x08001000", "-o", img)
    check(rc == 0, "could not pack the big image: %s" % err)
    return img


def scenario_abort(env):
    sim = running_v1(env)
    img = big_image(env)
    p = subprocess.Popen([env.f0boot, "flash", sim.url(), img, "--json", "--timeout", T],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    while True:
        line = p.stdout.readline()
        if not line:
            break
        lines.append(line)
        e = json.loads(line)
        if e.get("event") == "progress" and 0 < e.get("done", 0) < e.get("total", 0):
            p.send_signal(signal.SIGINT)
            break
    out, err = p.communicate(timeout=60)
    lines += out.splitlines()
    check(p.returncode == 130, "SIGINT mid-write gave exit %d (expected 130): %s"
          % (p.returncode, err))
    res = json.loads(lines[-1])
    check(res.get("ok") is False and res.get("exit") == 130 and
          res.get("error", "").startswith("aborted"), "the JSON result does not say aborted: %s"
          % res)
    # The board is in its bootloader, the update cut short: it answers at once and reports an
    # uncommitted image, and takes the next update.
    rc, info, err = env.probe(sim, ANSWER_TIMEOUT_MS, "--no-ask")
    check(rc == 0 and info.get("app_state") == "uncommitted",
          "after the abort the bootloader reports %s (%s)" % (info, err))
    env.flash(sim, env.app2)
    expect_app(sim, "2.0.0")
    # --reset needs DTR/RTS: raw TCP has none (exit 10, and the message says so)
    rc, out, err = env.f0boot_run("probe", sim.url(), "--no-ask", "--reset", "dtr",
                                  "--timeout", T)
    check(rc == 10 and "DTR/RTS" in err, "--reset on TCP: exit %d %s" % (rc, err))
    sim.stop()


def rfc_url(sim):
    return "rfc2217://127.0.0.1:%d" % sim.port


def rfc_sim(env, f, uart, **kw):
    """A board whose USART1 is served by telnet RFC 2217: e2e's helpers reach it that way."""
    sim = Sim(env, f, ["--uart", uart], **kw)
    sim.url = lambda: rfc_url(sim)
    return sim


def probe_reset(env, sim, seq, wait_ms=3000):
    """f0boot probe over RFC 2217 with --no-ask --reset seq: (exit code, result, stderr)."""
    rc, out, err = env.f0boot_run("probe", rfc_url(sim), "--json", "--no-ask", "--reset", seq,
                                  "--wait", str(wait_ms), "--timeout", T)
    return rc, (json.loads(out.splitlines()[-1]) if out.strip() else {}), err


def scenario_reset(env):
    listen = os.path.join(env.build, "target", "apps", "listen.elf")
    f = env.flash_file()
    sim = rfc_sim(env, f, "rfc2217:0")
    env.flash(sim, listen)
    # the application runs and answers nobody; without a reset no bootloader answers
    rc, res, err = probe_reset(env, sim, "none", 1000)
    check(rc == 11, "without a reset a bootloader answered (exit %d): %s" % (rc, res))
    rc, res, err = probe_reset(env, sim, "R1,W100,R0", 1000)
    check(rc == 11, "a pulse on RTS reset a board whose NRST is on DTR (exit %d)" % rc)
    for seq in ("dtr", "D1,R0,W50,D0"):
        rc, res, err = probe_reset(env, sim, seq)
        check(rc == 0 and res.get("entry") == "reset" and res.get("stay_reason") == "greeting",
              "--reset %s: exit %d %s %s" % (seq, rc, res, err))
        rc, out, err = env.f0boot_run("boot", rfc_url(sim), "--timeout", T)
        check(rc == 0, "boot after --reset %s: %s" % (seq, err))
    rc, out, err = env.f0boot_run("flash", rfc_url(sim), env.app2, "--json", "--timeout", T,
                                  "--no-ask", "--reset", "dtr", "--expect", "v2")
    check(rc == 0, "flash by reset exited %d: %s" % (rc, err))
    check(events_of(out)[-1].get("entry") == "reset", "flash: %s" % events_of(out)[-1])
    summary = sim.stop()
    check(summary["resets"] >= 3, "the board was not reset by its NRST: %s" % summary)
    # NRST on RTS: the rts sequence works, dtr does not
    sim = rfc_sim(env, f, "rfc2217:0,nrst=rts", load_bootloader=False)
    env.flash(sim, listen)
    rc, res, err = probe_reset(env, sim, "dtr", 1000)
    check(rc == 11, "a DTR pulse reset a board whose NRST is on RTS (exit %d)" % rc)
    rc, res, err = probe_reset(env, sim, "rts")
    check(rc == 0 and res.get("entry") == "reset", "--reset rts: exit %d %s" % (rc, err))
    sim.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("scenario")
    a = ap.parse_args()
    return run_scenario(a.build, a.scenario, globals()["scenario_" + a.scenario])


if __name__ == "__main__":
    sys.exit(main())
