#!/usr/bin/env python3
"""What one virtual board costs the host (issue 15): the CPU time of one f0sim process
(getrusage of the child, user + system) per second of virtual time, for a board whose
bootloader waits for a host (no application) and for a board taking a 64 KB update at
115200, both --realtime on TCP as the farm runs them. Medians and (min-max) over the runs.

    bench/idle.sh [--runs N] [--wait-s S] [--host-build DIR] [--f0sim PATH] [--out DIR] [--json FILE]

--f0sim compares another binary (e.g. a copy of the previous build). The virtual time of
the same run under --fast (cycles, instructions, idle time) is printed beside it: pacing
must not change it.
"""
import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import apps  # noqa: E402

FLASH_SIZE = 256 * 1024


def wait_cpu(proc, timeout):
    """Wait for proc; its CPU seconds (user + system) from the kernel's rusage."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return ru.ru_utime + ru.ru_stime
        if time.monotonic() > deadline:
            proc.kill()
        time.sleep(0.01)


def blank_flash(path, bootloader_bin):
    data = bytearray(b"\xff" * FLASH_SIZE)
    bl = open(bootloader_bin, "rb").read()
    data[:len(bl)] = bl
    with open(path, "wb") as f:
        f.write(data)


def summary(path):
    with open(path) as f:
        return json.load(f)


def waiting(a, k, mode="--realtime"):
    """One board waiting for a host for a.wait_s of virtual time."""
    ff = os.path.join(a.out, "wait%d.flash" % k)
    sf = os.path.join(a.out, "wait%d.json" % k)
    blank_flash(ff, a.bootloader_bin)
    cmd = [a.f0sim, "--flash", ff, "--uart", "tcp:0", mode, "--until-ms", str(int(a.wait_s * 1000)),
           "--summary", sf, "--quiet"]
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cpu = wait_cpu(p, a.wait_s * 10 + 30)
    wall = time.monotonic() - t0
    s = summary(sf)
    return {"cpu_s": cpu, "wall_s": wall, "virtual_s": s["virtual_ms"] / 1000.0,
            "share": cpu / (s["virtual_ms"] / 1000.0), "instructions": s["instructions"],
            "cycles": s["cycles"], "idle_skipped_ms": s["idle_skipped_ms"]}


def flashing(a, k):
    """One board taking the 64 KB image at 115200 from f0boot (virtual time starts when
    f0boot connects: --wait-host)."""
    ff = os.path.join(a.out, "flash%d.flash" % k)
    sf = os.path.join(a.out, "flash%d.json" % k)
    pf = os.path.join(a.out, "flash%d.port" % k)
    for f in (sf, pf):
        if os.path.exists(f):
            os.unlink(f)
    blank_flash(ff, a.bootloader_bin)
    cmd = [a.f0sim, "--flash", ff, "--uart", "tcp:0", "--port-file", pf, "--realtime", "--wait-host",
           "--summary", sf, "--quiet"]
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not (os.path.exists(pf) and open(pf).read().strip().isdigit()):
        if p.poll() is not None:
            raise SystemExit("f0sim exited at start: %s" % " ".join(cmd))
        time.sleep(0.01)
    port = int(open(pf).read())
    t0 = time.monotonic()
    r = subprocess.run([a.f0boot, "flash", "socket://127.0.0.1:%d" % port, a.image, "--baud", "115200",
                        "--no-boot", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=300)
    wall = time.monotonic() - t0
    p.send_signal(signal.SIGINT)
    cpu = wait_cpu(p, 30)
    s = summary(sf)
    if r.returncode != 0:
        raise SystemExit("f0boot flash failed (exit %d): %s" % (r.returncode, r.stderr.strip()[-500:]))
    return {"cpu_s": cpu, "wall_s": wall, "virtual_s": s["virtual_ms"] / 1000.0,
            "share": cpu / (s["virtual_ms"] / 1000.0), "overruns": s["uart"]["overruns"]}


def med(rows, key):
    v = [r[key] for r in rows]
    return statistics.median(v), min(v), max(v)


def fmt(rows, key, f="%.4f"):
    m, lo, hi = med(rows, key)
    return (f + " (" + f + "-" + f + ")") % (m, lo, hi)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--wait-s", type=float, default=10.0, help="virtual seconds of waiting per run")
    ap.add_argument("--host-build", default=os.path.join(ROOT, "build", "release"))
    ap.add_argument("--f0sim", help="another f0sim binary (default: HOST_BUILD/sim/f0sim)")
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "bench-idle"))
    ap.add_argument("--json", help="write the figures here too")
    ap.add_argument("--skip-flash", action="store_true")
    a = ap.parse_args()
    hb = a.host_build
    subprocess.run(["cmake", "--build", hb, "-j", "2", "--target", "f0boot", "f0sim", "firmware"],
                   check=True, stdout=subprocess.DEVNULL)
    a.f0sim = a.f0sim or os.path.join(hb, "sim", "f0sim")
    a.f0boot = os.path.join(hb, "cli", "f0boot")
    a.bootloader_bin = os.path.join(hb, "target", "bootloader", "bootloader.bin")
    os.makedirs(a.out, exist_ok=True)
    adir = os.path.join(a.out, "apps")
    os.makedirs(adir, exist_ok=True)
    elf, _ = apps.build_sized(adir, "app64k", 64 * 1024, apps.find_layout_ld(os.path.join(hb, "target")))
    a.image = os.path.join(adir, "app64k.img")
    subprocess.run([a.f0boot, "pack", elf, "-o", a.image, "--version", "1.0.0"], check=True,
                   stdout=subprocess.DEVNULL)

    load = os.getloadavg()[0]
    fast = waiting(a, 0, "--fast")
    w = [waiting(a, k) for k in range(a.runs)]
    f = [] if a.skip_flash else [flashing(a, k) for k in range(a.runs)]
    out = {"f0sim": a.f0sim, "runs": a.runs, "load_start": load, "load_end": os.getloadavg()[0],
           "fast_waiting": fast, "waiting": w, "flashing": f}
    print("f0sim %s; %d runs; load average %.1f at the start, %.1f at the end" %
          (a.f0sim, a.runs, load, out["load_end"]))
    print("waiting board, %.0f s virtual, --realtime: CPU share of a core %s; instructions %s" %
          (a.wait_s, fmt(w, "share"), fmt(w, "instructions", "%.0f")))
    print("  the same under --fast: %d instructions, %d cycles, %.1f ms skipped idle, CPU share %.4f" %
          (fast["instructions"], fast["cycles"], fast["idle_skipped_ms"], fast["share"]))
    if f:
        print("flashing board, 64 KB at 115200, --realtime: CPU share of a core %s; f0boot wall s %s" %
              (fmt(f, "share"), fmt(f, "wall_s", "%.2f")))
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
