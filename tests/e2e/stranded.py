#!/usr/bin/env python3
"""Never stranded (issue 12) on the real firmware: a host that greets the bootloader and then
goes silent does not leave the board there. The bootloader starts the valid committed
application once F0B_IDLE_TIMEOUT_MS (reported in INFO) pass without a valid frame, and an
update in progress stays in the bootloader however long the silence lasts.

Uses e2e.py's f0sim and f0boot harness. Usage: stranded.py --build BUILD_DIR
"""
import argparse
import os
import struct
import sys
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import Sim, check, expect_app, status_lines, run_scenario  # noqa: E402

T_INFO, T_BEGIN, RESP = 0x01, 0x02, 0x80
INFO_STAY_REASON, INFO_APP_STATE, INFO_IDLE_MS = 36, 27, 38


def crc_mpeg2(data):
    """CRC-32/MPEG-2, written from its definition (polynomial 0x04C11DB7, init all ones, MSB
    first, no final XOR): the check of every frame but INFO in protocol 2.x."""
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if crc & 0x80000000 else (crc << 1) & 0xFFFFFFFF
    return crc


def frame_crc(f):
    return zlib.crc32(f) if f[0] & 0x7F == T_INFO else crc_mpeg2(f)


def cobs(data):
    out, block = bytearray(), bytearray()
    for b in data:
        if b == 0:
            out += bytes([len(block) + 1]) + block
            block = bytearray()
        else:
            block.append(b)
            if len(block) == 254:
                out += bytes([255]) + block
                block = bytearray()
    out += bytes([len(block) + 1]) + block
    return bytes(out) + b"\0"


def uncobs(data):
    out, i = bytearray(), 0
    while i < len(data):
        code = data[i]
        if code == 0 or i + code > len(data):
            return None
        out += data[i + 1:i + code]
        i += code
        if code < 255 and i < len(data):
            out.append(0)
    return bytes(out)


def request(sim, typ, seq, payload=b"", tries=5):
    """Send a request on a fresh connection (again, up to `tries` times, as a host does when
    no answer comes: the board may still be resetting) and return the answer's payload
    (status first), or None if no answer with a good check came."""
    f = bytes([typ, seq]) + payload
    f += struct.pack("<I", frame_crc(f))
    for _ in range(tries):
        data = sim.uart(send=b"\0" + cobs(f), seconds=1,
                        until=lambda d: any(_answer(p, typ, seq) is not None
                                            for p in d.split(b"\0")))
        for p in data.split(b"\0"):
            a = _answer(p, typ, seq)
            if a is not None:
                return a
    return None


def _answer(enc, typ, seq):
    if not enc:
        return None
    f = uncobs(enc)
    if not f or len(f) < 7 or f[0] != typ | RESP or f[1] != seq:
        return None
    if struct.unpack("<I", f[-4:])[0] != frame_crc(f[:-4]):
        return None
    return f[2:-4]


def greet(sim, seq):
    a = request(sim, T_INFO, seq, bytes([2, 0]))
    check(a is not None and a[0] == 0, "the bootloader did not answer INFO: %r" % (a,))
    info = a[1:]
    return info, struct.unpack("<H", info[INFO_IDLE_MS:INFO_IDLE_MS + 2])[0]


def wait_for_app(sim, seconds):
    """Status lines of a running application within `seconds`, or []."""
    return status_lines(sim.uart(seconds=seconds, until=lambda d: len(status_lines(d)) >= 2))


def scenario(env):
    sim = Sim(env, env.flash_file())
    env.flash(sim, env.app1)
    expect_app(sim, "1.0.0")

    # 1. The application asks for the bootloader, a host greets and dies.
    sim.uart(send=b"B", seconds=0.3, until=lambda d: True)
    info, idle_ms = greet(sim, 1)
    check(info[INFO_STAY_REASON] == 1, "stay reason is not the request: %d" % info[INFO_STAY_REASON])
    check(1000 <= idle_ms <= 60000, "implausible idle timeout in INFO: %d ms" % idle_ms)
    # still the bootloader a moment later (it did not leave at once); this greets again
    info, _ = greet(sim, 2)
    t0 = time.time()
    lines = wait_for_app(sim, 30 + 3 * idle_ms / 1000)
    waited = time.time() - t0
    check(lines and all(v == b"1.0.0" for v, _, _ in lines),
          "the application did not come back after the host went silent")
    check(waited >= 0.5 * idle_ms / 1000,
          "the application came back %.2f s after the last greeting, before the %d ms idle "
          "timeout" % (waited, idle_ms))
    print("abandoned after greeting: application back after %.2f s (idle timeout %d ms)"
          % (waited, idle_ms))

    # 2. An update in progress: a host greets, sends BEGIN (the record is rewritten,
    #    uncommitted) and dies. The bootloader must stay.
    img = os.path.join(env.tmp, "v2.img")
    rc, out, err = env.f0boot_run("pack", env.app2, "-o", img)
    check(rc == 0, "pack failed: %s" % err)
    hdr = open(img, "rb").read()[:64]
    sim.uart(send=b"B", seconds=0.3, until=lambda d: True)
    greet(sim, 3)
    a = request(sim, T_BEGIN, 4, hdr)
    check(a is not None and a[0] == 0, "BEGIN was not accepted: %r" % (a,))
    lines = wait_for_app(sim, 2.5 * idle_ms / 1000)
    check(not lines, "an application ran although an update was in progress: %s" % lines)
    info, _ = greet(sim, 5)
    check(info[INFO_APP_STATE] == 1, "app state after the abandoned update: %d (expected 1, "
          "uncommitted)" % info[INFO_APP_STATE])
    # and the update can be finished later
    env.flash(sim, env.app2)
    expect_app(sim, "2.0.0")
    sim.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    a = ap.parse_args()
    return run_scenario(a.build, "stranded", scenario)


if __name__ == "__main__":
    sys.exit(main())
