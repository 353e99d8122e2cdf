#!/usr/bin/env python3
"""`f0boot flash` on several boards at once (issue 15), against f0sim boards on TCP.

    multi.py --build BUILD_DIR SCENARIO

Scenarios:
  mixed     two good boards, a dead port and a board of another part (wrong part): the
            two are flashed and run the application, the two failures are reported with
            their own exit codes, every JSON object carries its port, the summary counts
            them, the exit status is 20 (failed in different ways)
  same      a list file (@FILE, with comments) of two good boards and two dead ports: the
            exit status is the failures' shared code (10); plain text: one result line per
            board and the summary
  stall     a board that never answers (the test holds its TCP line open and silent) does
            not hold up the others: their results are in the stream while it still waits
  tty       stderr a terminal: one status line per board, redrawn in place (the block is
            moved over with cursor-up), the last frame shows each board done or FAILED, and
            no single-board progress bar
  interrupt SIGINT to f0boot (only to it, as `kill -INT` does) while two boards wait: it is
            passed to each board's process, every board ends with 130 in its result, the
            summary comes, the exit status is 130
  selector  usb:0483:5740:* against a sysfs tree (F0BOOT_PORTS_ROOT) with three matching
            adapters and one other: three boards, named by their device paths
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from e2e import Sim, check, expect_app, run_scenario  # noqa: E402


def dead_port():
    """A TCP port nobody listens on (bound, then closed)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return "socket://127.0.0.1:%d" % port


def wrong_part_sim(env):
    """A board of another part (STM32F030x8) with its own bootloader: it refuses an image
    packed for the F030xC (exit 14) before erasing anything."""
    bl = os.path.join(env.build, "target", "parts", "stm32f030x8", "bootloader.elf")
    return Sim(env, env.flash_file(), ["--part", "stm32f030x8", "--load", bl],
               load_bootloader=False)


# Every f0sim board costs the host a share of a core in real time (issue 15) and the machine
# may be busy: patient answer timeouts and retries, so only a dead board fails.
PATIENT = ["--timeout", "3000", "--retries", "20"]


def run_multi(env, ports, image, *opts, timeout=600):
    p = subprocess.run([env.f0boot, "flash"] + list(ports) + [image] + list(opts) + PATIENT,
                       capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def parse_stream(out):
    objs = [json.loads(line) for line in out.splitlines() if line.strip()]
    check(objs and objs[-1].get("event") == "summary", "no summary last: %s" % out[-500:])
    for o in objs[:-1]:
        check("port" in o, "an object without its port: %s" % o)
    results = {}
    for o in objs:
        if o.get("event") == "result":
            check(o["port"] not in results, "two results for %s" % o["port"])
            results[o["port"]] = o
    return objs, results, objs[-1]


def scenario_mixed(env):
    good = [Sim(env, env.flash_file()) for _ in range(2)]
    wrong = wrong_part_sim(env)
    dead = dead_port()
    ports = [s.url() for s in good] + [dead, wrong.url()]
    rc, out, err = run_multi(env, ports, env.app1, "--json")
    objs, results, summary = parse_stream(out)
    check(set(results) == set(ports), "results for %s, expected %s" % (sorted(results), ports))
    for s in good:
        r = results[s.url()]
        check(r["ok"] is True and r["exit"] == 0, "good board failed: %s" % r)
        phases = [o["phase"] for o in objs if o.get("port") == s.url() and o["event"] == "phase"]
        check("write" in phases and "verify" in phases, "phases of %s: %s" % (s.url(), phases))
    check(results[dead]["exit"] == 10, "dead port: %s" % results[dead])
    check(results[wrong.url()]["exit"] == 14, "wrong part: %s" % results[wrong.url()])
    check("another part" in results[wrong.url()]["error"], "wrong part: %s" % results[wrong.url()])
    check(summary["boards"] == 4 and summary["ok"] == 2 and summary["failed"] == 2,
          "summary: %s" % summary)
    check(summary["failures"] == {dead: {"exit": 10, "error": results[dead]["error"]},
                                  wrong.url(): {"exit": 14, "error": results[wrong.url()]["error"]}},
          "summary failures: %s" % summary["failures"])
    check(rc == 20 and summary["exit"] == 20, "exit %d (summary %s), expected 20: %s"
          % (rc, summary["exit"], err[-500:]))
    for s in good:
        expect_app(s, "1.0.0")
    # The wrong-part board refused before erasing: it is still a bootloader with no app.
    rc, info, perr = env.probe(wrong)
    check(rc == 0 and info["app_state"] == "none", "wrong-part board after: %s %s" % (info, perr))


def scenario_same(env):
    good = [Sim(env, env.flash_file()) for _ in range(2)]
    dead = [dead_port(), dead_port()]
    lst = os.path.join(env.tmp, "ports.txt")
    with open(lst, "w") as f:
        f.write("# the rig\n%s\n\n  %s  \n%s\n# spare: socket://127.0.0.1:9\n%s\n"
                % (good[0].url(), dead[0], good[1].url(), dead[1]))
    rc, out, err = run_multi(env, ["@" + lst], env.app1, "--wait", "1000")
    check(rc == 10, "exit %d, expected 10 (both failures are 10): %s %s" % (rc, out, err[-800:]))
    lines = out.splitlines()
    for s in good:
        check(any(l.startswith(s.url() + ": ") and "bytes verified" in l for l in lines),
              "no result line for %s: %s" % (s.url(), out))
    check("4 boards: 2 flashed, 2 failed" in out, "summary: %s" % out)
    for d in dead:
        check(("%s: cannot connect" % d) in err, "no failure line for %s: %s" % (d, err))
        check(("failed  %s  exit 10" % d) in out, "summary misses %s: %s" % (d, out))
    check("\x1b[" not in out + err, "terminal escapes in plain output")
    for s in good:
        expect_app(s, "1.0.0")


def silent_server():
    """A port that accepts a connection and says nothing: a board that never answers."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    held = []

    def accept():
        try:
            c, _ = srv.accept()
            held.append(c)
            while c.recv(4096):
                pass
        except OSError:
            pass

    threading.Thread(target=accept, daemon=True).start()
    return srv, held, "socket://127.0.0.1:%d" % srv.getsockname()[1]


def scenario_stall(env):
    good = [Sim(env, env.flash_file()) for _ in range(2)]
    srv, held, silent = silent_server()
    ports = [silent] + [s.url() for s in good]
    # The silent board would greet for ten minutes: only the test ends it.
    p = subprocess.Popen([env.f0boot, "flash"] + ports + [env.app1, "--json", "--wait",
                         "600000"] + PATIENT, stdout=subprocess.PIPE, text=True)
    try:
        done = {}
        for line in p.stdout:
            o = json.loads(line)
            if o.get("event") == "result":
                done[o["port"]] = o
            if all(s.url() in done for s in good):
                break
        check(silent not in done, "the silent board ended first: %s" % done.get(silent))
        for s in good:
            check(done.get(s.url(), {}).get("ok") is True, "good board: %s" % done.get(s.url()))
        # Now the silent board's line goes away: it fails by itself, the run ends.
        srv.close()
        for c in held:
            c.shutdown(socket.SHUT_RDWR)
            c.close()
        rest = [json.loads(line) for line in p.stdout]
        rc = p.wait(120)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    res = [o for o in rest if o.get("event") == "result" and o["port"] == silent]
    check(len(res) == 1 and res[0]["ok"] is False, "silent board's result: %s" % rest)
    check(rc == res[0]["exit"] and rc != 0, "exit %d for one failure %s" % (rc, res[0]))
    for s in good:
        expect_app(s, "1.0.0")


def scenario_tty(env):
    import pty
    import re
    import select
    good = [Sim(env, env.flash_file()) for _ in range(2)]
    dead = dead_port()
    ports = [s.url() for s in good] + [dead]
    master, slave = pty.openpty()
    p = subprocess.Popen([env.f0boot, "flash"] + ports + [env.app1, "--wait", "1000"] + PATIENT,
                         stdout=subprocess.PIPE, stderr=slave, text=True)
    os.close(slave)
    term = b""
    while True:
        r, _, _ = select.select([master], [], [], 60)
        if not r:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        term += chunk
    out = p.stdout.read()
    rc = p.wait(120)
    os.close(master)
    text = term.decode(errors="replace")
    check(rc == 10, "exit %d, expected 10 (one dead port): %s" % (rc, text[-800:]))
    check("\x1b[3A" in text, "the 3-line block was never redrawn in place: %r" % text[-800:])
    last = text[text.rfind("\x1b[3A"):]
    lines = [re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", l).strip("\r") for l in last.split("\n")]
    lines = [l for l in lines if l]
    for s in good:
        check(any(l.startswith(s.url()) and " done " in l for l in lines),
              "last frame has no done line for %s: %s" % (s.url(), lines))
    check(any(l.startswith(dead) and "FAILED  exit 10" in l for l in lines),
          "last frame has no FAILED line for %s: %s" % (dead, lines))
    check("ETA" not in text, "a single-board progress bar on the terminal")
    check("3 boards: 2 flashed, 1 failed" in out, "summary on stdout: %s" % out)


def scenario_interrupt(env):
    import signal
    import time
    servers = [silent_server() for _ in range(2)]
    ports = [url for _, _, url in servers]
    p = subprocess.Popen([env.f0boot, "flash"] + ports + [env.app1, "--json", "--wait",
                         "600000"] + PATIENT, stdout=subprocess.PIPE, text=True)
    try:
        # Both boards' processes are on their lines: f0boot is flashing.
        end = time.time() + 60
        while not all(held for _, held, _ in servers) and time.time() < end:
            time.sleep(0.05)
        check(all(held for _, held, _ in servers), "the boards' processes never connected")
        p.send_signal(signal.SIGINT)
        out, _ = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        for srv, held, _ in servers:
            srv.close()
            for c in held:
                c.close()
    objs, results, summary = parse_stream(out)
    check(set(results) == set(ports), "results %s" % results)
    for r in results.values():
        check(r["ok"] is False and r["exit"] == 130, "interrupted board: %s" % r)
    check(p.returncode == 130 and summary["exit"] == 130 and summary["failed"] == 2,
          "exit %d, summary %s" % (p.returncode, summary))


def fake_adapter(root, name, vid, pid, serial, n):
    dev = os.path.join(root, "sys/devices/pci0000:00/usb1/1-%d" % n)
    iface = os.path.join(dev, "1-%d:1.0" % n, name)
    os.makedirs(iface)
    for attr, val in (("idVendor", vid), ("idProduct", pid), ("serial", serial),
                      ("manufacturer", "f0sim"), ("product", "virtual CDC")):
        with open(os.path.join(dev, attr), "w") as f:
            f.write(val + "\n")
    cls = os.path.join(root, "sys/class/tty", name)
    os.makedirs(cls)
    os.symlink(iface, os.path.join(cls, "device"))


def scenario_selector(env):
    root = os.path.join(env.tmp, "root")
    names = ["ttyF0BSIM%d" % i for i in range(4)]
    check(not any(os.path.exists("/dev/" + n) for n in names), "test names exist in /dev")
    fake_adapter(root, names[0], "0483", "5740", "RIG-A", 1)
    fake_adapter(root, names[1], "0483", "5740", "RIG-B", 2)
    fake_adapter(root, names[2], "0403", "6001", "FT-1", 3)
    fake_adapter(root, names[3], "0483", "5740", "RIG-C", 4)
    envv = dict(os.environ, F0BOOT_PORTS_ROOT=root)
    p = subprocess.run([env.f0boot, "flash", "usb:0483:5740:*", env.app1, "--json", "--wait",
                        "200"], capture_output=True, text=True, timeout=120, env=envv)
    objs, results, summary = parse_stream(p.stdout)
    want = {"/dev/" + names[i] for i in (0, 1, 3)}
    check(set(results) == want, "boards %s, expected %s" % (sorted(results), sorted(want)))
    check(summary["boards"] == 3 and p.returncode == 10,
          "summary %s, exit %d (the devices do not exist: 10)" % (summary, p.returncode))
    # One match is not several boards: the single-board flow answers (no summary).
    p = subprocess.run([env.f0boot, "flash", "usb:0403:6001", env.app1, "--json", "--wait",
                        "200"], capture_output=True, text=True, timeout=120, env=envv)
    check(p.returncode == 10 and "summary" not in p.stdout, "one match: %d %s"
          % (p.returncode, p.stdout))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("scenario")
    a = ap.parse_args()
    return run_scenario(a.build, a.scenario, globals()["scenario_" + a.scenario])


if __name__ == "__main__":
    sys.exit(main())
