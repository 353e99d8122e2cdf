#!/usr/bin/env python3
"""Write the seed corpora of tests/fuzz (docs/fuzzing.md) from the test data.

    tests/fuzz/make_corpus.py [OUTDIR]      (default: tests/fuzz/corpus next to this script)

hex/, elf/: tests/data/app.c built as the image tests build it (arm-none-eabi-gcc, without
debug info so the seeds stay small), as ELF and as objcopy's Intel HEX, plus a few record
types objcopy does not write. container/: that application packed as `f0boot pack` packs it
(header per docs/container.md, built here with zlib), and broken variants. boot/: scripts for
fuzz_boot (the opcodes of tests/fuzz/fuzz_boot.c): whole updates, with and without an old
image, with seeks, requests, baud changes and power cuts.

The output is deterministic: run it again after changing the test data or an opcode, and
commit what changed. It overwrites only the files it makes: seeds added by hand (inputs kept
from findings) stay.
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
TESTDATA = os.path.join(ROOT, "tests", "data")
ARM_FLAGS = ["-mcpu=cortex-m0", "-mthumb", "-Os", "-ffreestanding", "-nostdlib", "-nostartfiles"]


def arm_build(tmp, name, ld, extra=()):
    """app.c linked like the application template (flash 0x08001000, RAM 0x200000C0)."""
    elf = os.path.join(tmp, name + ".elf")
    subprocess.run(["arm-none-eabi-gcc", *ARM_FLAGS, *extra,
                    "-Wl,--defsym=FLASH_ORIGIN=0x08001000", "-Wl,--defsym=RAM_ORIGIN=0x200000C0",
                    "-Wl,--defsym=RAM_LENGTH=0x7F30", "-T", os.path.join(TESTDATA, ld),
                    os.path.join(TESTDATA, "app.c"), "-lgcc", "-o", elf], check=True)
    subprocess.run(["arm-none-eabi-strip", "--strip-debug", elf], check=True)
    return elf


def objcopy(elf, fmt, out):
    subprocess.run(["arm-none-eabi-objcopy", "-O", fmt, elf, out], check=True)
    with open(out, "rb") as f:
        return f.read()


def hex_record(rtype, addr, data):
    body = bytes([len(data), addr >> 8, addr & 0xFF, rtype]) + data
    return ":%s%02X\n" % (body.hex().upper(), (-sum(body)) & 0xFF)


def write(outdir, name, data):
    with open(os.path.join(outdir, name), "wb") as f:
        f.write(data)


def hex_seeds(out, tmp, elf):
    write(out, "app.hex", objcopy(elf, "ihex", os.path.join(tmp, "app.hex")))
    eof = hex_record(1, 0, b"")
    # Extended segment address (02), start segment (03), start linear (05), CRLF line ends.
    seg = (hex_record(2, 0, b"\x08\x00") + hex_record(0, 0x1000, bytes(range(16))) +
           hex_record(3, 0, b"\x00\x00\x10\x00") + eof)
    write(out, "segment.hex", seg.replace("\n", "\r\n").encode())
    lin = (hex_record(4, 0, b"\x08\x00") + hex_record(0, 0x1000, bytes(range(1, 33))) +
           hex_record(0, 0x1020, b"\xff" * 16) + hex_record(5, 0, b"\x08\x00\x10\xc1") + eof)
    write(out, "linear.hex", lin.encode())


def elf_seeds(out, tmp, elf):
    shutil.copy(elf, os.path.join(out, "app.elf"))
    novt = arm_build(tmp, "app_novt", "app_novt.ld", ["-Wl,-s"])
    shutil.copy(novt, os.path.join(out, "app_novt.elf"))


def container(payload, part=4, load=0x08001000, vt_len=188):
    """A container as docs/container.md describes it (what `f0boot pack` writes)."""
    sp, rv = struct.unpack_from("<II", payload, 0)
    name = b"stm32f030xc".ljust(16, b"\0")
    hdr = struct.pack("<IHHIIIIHHBBHI16sII", 0x4D493046, 1, 64, 0, load, len(payload),
                      zlib.crc32(payload), vt_len, part, 1, 2, 3, 4, name, sp, rv)
    return hdr + struct.pack("<I", zlib.crc32(hdr)) + payload


def container_seeds(out, tmp, elf):
    payload = objcopy(elf, "binary", os.path.join(tmp, "app.bin"))
    good = container(payload)
    write(out, "app.bin", good)
    write(out, "short.bin", good[:40])
    write(out, "truncated.bin", good[:-3])
    write(out, "at0.bin", container(payload, load=0x08000000))
    write(out, "part3.bin", container(payload, part=3))
    bad = bytearray(good)
    bad[64 + 100] ^= 0x01
    write(out, "payload_crc.bin", bytes(bad))


# ---- fuzz_boot scripts (opcodes and arguments as in fuzz_boot.c) -------------------------
RAW, FRAME, INFO, BEGIN, DATA, REQUEST, CUT, TIME = range(8)
END, BOOT, RESET, BAUD, CRC = range(5)
PARTS = [(3, 1024), (1, 1024), (7, 2048), (4, 2048)]   # cfg & 3: part code, page size


def ref_size(cfg, b):
    page = PARTS[cfg & 3][1]
    return 200 + b * 23 % (3 * page + 100)


def data_ops(size, start=0, chunk=1024, flags=0):
    ops = b""
    for off in range(start, size, chunk):
        n = min(chunk, size - off)
        ops += bytes([DATA]) + struct.pack("<HHB", off // 2, n - 1, flags)
    return ops


def update(cfg, b, chunk=1024):
    size = ref_size(cfg, b)
    return (bytes([INFO, BEGIN, 0, 0, 0, 0, 0]) + data_ops(size, chunk=chunk) +
            bytes([REQUEST, END, REQUEST, BOOT]))


def boot_seeds(out):
    write(out, "update_x8.bin", bytes([0, 90]) + update(0, 90))
    write(out, "update_xc_over_old.bin", bytes([4 | 3, 200]) + update(3, 200))
    write(out, "update_f030x4_small_chunks.bin", bytes([1, 7]) + update(1, 7, chunk=256))
    # A cut at the 40th flash operation (torn), then the host starts over.
    write(out, "cut_then_again.bin",
          bytes([4 | 2, 120, CUT, 40, 0, 1]) + update(2, 120) + update(2, 120))
    # Seek past the first page (kept from the old image), then END.
    size = ref_size(4, 250)
    write(out, "seek.bin", bytes([4, 250, INFO, BEGIN, 0, 0, 0, 0, 0]) +
          data_ops(size, start=1024, flags=1) + bytes([REQUEST, END]))
    # Requests: CRC of the record, a baud change that is never confirmed, a refused header.
    write(out, "requests.bin", bytes([0, 3, INFO, REQUEST, CRC]) +
          struct.pack("<III", 0xFC00, 64, 0) + bytes([REQUEST, BAUD]) +
          struct.pack("<I", 460800) + bytes([TIME, 0xF4, 0x01, INFO, BEGIN, 3]) +
          struct.pack("<I", 0x1000) + bytes([REQUEST, RESET]))
    # Noise and a hand-made frame of an unknown type.
    write(out, "noise.bin", bytes([0, 1, RAW, 6, 0, 5, 0xFF, 0, 3, 7, FRAME, 4, 0, 0x7F, 1, 2, 3,
                                   INFO]))


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
    with tempfile.TemporaryDirectory() as tmp:
        elf = arm_build(tmp, "app", "app.ld")
        for sub, gen in (("hex", lambda d: hex_seeds(d, tmp, elf)),
                         ("elf", lambda d: elf_seeds(d, tmp, elf)),
                         ("container", lambda d: container_seeds(d, tmp, elf)),
                         ("boot", boot_seeds)):
            d = os.path.join(outdir, sub)
            os.makedirs(d, exist_ok=True)   # seeds kept from findings stay
            gen(d)


if __name__ == "__main__":
    main()
