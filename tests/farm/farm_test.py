#!/usr/bin/env python3
"""scripts/farm.py end to end: a 3-board farm behind a real ser2net (one board listed over
RFC 2217, one of another part), f0boot through it in both protocols, the files it writes
(ser2net.yaml, farm.yaml as labgrid reads it, ports.txt), down with summaries and nothing
left running, and the error paths (port taken, bad option, no farm). Timing-free: f0boot's
answer timeout is generous, so a loaded machine only makes it slower."""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FARM = os.path.join(ROOT, "scripts", "farm.py")


def farm(*args, check=None):
    p = subprocess.run([sys.executable, FARM] + list(args), capture_output=True, text=True, timeout=120)
    if check is not None and p.returncode != check:
        sys.exit("farm.py %s: exit %d, expected %d\n%s%s" % (" ".join(args), p.returncode, check, p.stdout, p.stderr))
    return p


def f0boot(a, *args):
    return subprocess.run([os.path.join(a.build, "cli", "f0boot")] + list(args), capture_output=True, text=True,
                          timeout=300)


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def free_base():
    """A port base with 6 free ports after it (the test may run beside others)."""
    for base in range(23000 + (os.getpid() % 500) * 8, 60000, 8):
        socks = []
        try:
            for port in range(base, base + 6):
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("127.0.0.1", port))
                socks.append(s)
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    sys.exit("no free ports")


def check_files(d, base):
    yml = open(os.path.join(d, "ser2net.yaml")).read()
    assert "accepter: tcp,127.0.0.1,%d" % base in yml, yml
    assert "accepter: telnet(rfc2217),tcp,127.0.0.1,%d" % (base + 3) in yml, yml
    ports = open(os.path.join(d, "ports.txt")).read().split()
    assert ports == ["socket://127.0.0.1:%d" % base, "rfc2217://127.0.0.1:%d" % (base + 3),
                     "socket://127.0.0.1:%d" % (base + 4)], ports
    # farm.yaml as labgrid 0.4.1 reads it (Debian's python3-labgrid, system python)
    code = ("from labgrid import Environment\n"
            "e = Environment(%r)\n"
            "for n in ('board0', 'board1', 'board2'):\n"
            "    r = e.get_target(n).resources[0]\n"
            "    print(n, type(r).__name__, r.host, r.port, r.protocol)\n") % os.path.join(d, "farm.yaml")
    out = subprocess.run(["/usr/bin/python3", "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    want = ["board0 NetworkSerialPort 127.0.0.1 %d raw" % base,
            "board1 NetworkSerialPort 127.0.0.1 %d rfc2217" % (base + 3),
            "board2 NetworkSerialPort 127.0.0.1 %d raw" % (base + 4)]
    assert out.stdout.split("\n")[:3] == want, out.stdout
    return ports


def check_boards(a, d, ports, img):
    # board0 raw, board1 RFC 2217 with a baud switch: flashed and committed
    r = f0boot(a, "flash", ports[0], img, "--no-boot", "--json", "--timeout", "20000")
    assert r.returncode == 0, r.stdout + r.stderr
    r = f0boot(a, "flash", ports[1], img, "--no-boot", "--json", "--timeout", "20000", "--fast-baud", "460800")
    assert r.returncode == 0, r.stdout + r.stderr
    res = [json.loads(l) for l in r.stdout.splitlines() if '"result"' in l][-1]
    assert res.get("baud") == 460800, res
    # board1 over its raw port too (every board is served both ways). ser2net closes the
    # device a moment after the RFC 2217 client leaves, and until then refuses the other
    # accepter (closes it at once: f0boot says "connection closed"): try again, bounded by
    # the attempts, not by a time.
    raw1 = "socket://127.0.0.1:%d" % (int(ports[1].rsplit(":", 1)[1]) - 1)
    for _ in range(20):
        r = f0boot(a, "probe", raw1)
        if "connection closed" not in r.stderr:
            break
        time.sleep(0.25)
    assert r.returncode == 0 and "stm32f030xc" in r.stdout, r.stdout + r.stderr
    # board2 is an STM32F030x8: its bootloader refuses an image for the F030xC
    r = f0boot(a, "probe", ports[2])
    assert r.returncode == 0 and "stm32f030x8" in r.stdout, r.stdout + r.stderr
    r = f0boot(a, "flash", ports[2], img, "--no-boot", "--timeout", "20000")
    assert r.returncode == 14, (r.returncode, r.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    if not shutil.which("ser2net"):
        sys.exit("ser2net is not installed: run scripts/deps.sh")
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    d = os.path.join(a.work, "farm")
    base = free_base()
    hb = ["--host-build", a.build]
    img = os.path.join(a.work, "app.img")
    subprocess.run([os.path.join(a.build, "cli", "f0boot"), "pack", os.path.join(a.build, "target", "app_template",
                    "app.elf"), "-o", img], check=True, capture_output=True)

    farm("up", "3", "--dir", d, "--port-base", str(base), "--rfc2217", "1", "--part", "2=stm32f030x8", *hb, check=0)
    try:
        info = json.load(open(os.path.join(d, "farm.json")))
        pids = [b["pid"] for b in info["boards"]] + [info["ser2net_pid"]]
        assert all(alive(p) for p in pids), pids
        # a second farm on the same ports is refused, and leaves the first one alone
        farm("up", "1", "--dir", os.path.join(a.work, "other"), "--port-base", str(base), *hb, check=4)
        farm("up", "1", "--dir", d, "--port-base", str(base + 100), *hb, check=4)   # already running there
        assert all(alive(p) for p in pids)
        ports = check_files(d, base)
        check_boards(a, d, ports, img)
        farm("status", "--dir", d, check=0)
    finally:
        farm("down", "--dir", d)
    assert not any(alive(p) for p in pids), [p for p in pids if alive(p)]
    for i in range(3):
        s = json.load(open(os.path.join(d, "board%d.summary.json" % i)))
        assert s["stop_reason"] == "signal" and s["uart"]["overruns"] == 0, s
    payload = open(img, "rb").read()[64:]
    flash0 = open(os.path.join(d, "board0.flash"), "rb").read()
    assert flash0[0x1000:0x1000 + len(payload)] == payload, "board0 does not hold the image"
    farm("down", "--dir", d, check=5)
    farm("up", "2", "--dir", d, "--part", "1=nosuchpart", *hb, check=2)
    farm("up", "0", "--dir", d, *hb, check=2)
    print("farm ok: 3 boards through ser2net (raw, RFC 2217 at 460800, another part), down clean")


if __name__ == "__main__":
    main()
