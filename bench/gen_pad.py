#!/usr/bin/env python3
"""Generate the C module that pads a benchmark application with realistic code.

The module holds `count` functions built from a pool of statement shapes (table lookups,
rotates, multiply-accumulate, saturating fixed-point, bit counting, CRC steps, switch
dispatch, small state machines with .data/.bss state), each with its own constants and
lookup tables, plus a calibration table (the part a "one page changed" variant alters) and
a filler table sized by the build to reach an exact image size.

Everything is reachable from `bench_pad_root` (keep it with -Wl,-u,bench_pad_root) so
--gc-sections keeps it. All loops have constant bounds and calls only go to a lower-numbered
function at most 7 deep, so every function terminates: bench/mips.c runs them all.

Output depends only on the arguments (a fixed-seed PRNG), so a rebuild is byte-identical.
"""
import argparse
import os
import random
import sys


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.tables = []   # emitted before the functions that use them

    def c32(self):
        # Constants that do not fit an 8-bit immediate, like real masks and coefficients.
        return "0x%08Xu" % self.r.randrange(0x100, 0xFFFFFFFF)

    def small(self, lo=1, hi=31):
        return self.r.randint(lo, hi)

    def table(self, idx, k):
        kind = self.r.choice(["u8", "u16", "u32", "s16"])
        n = self.r.choice([16, 32, 64])
        r = self.r
        if kind == "u8":
            vals = ["%du" % r.randrange(256) for _ in range(n)]
            ctype = "uint8_t"
        elif kind == "u16":
            # A monotone curve plus noise, like a sensor linearisation table.
            base = r.randrange(4096)
            step = r.randrange(1, 900)
            vals = ["%du" % ((base + i * step + r.randrange(64)) & 0xFFFF) for i in range(n)]
            ctype = "uint16_t"
        elif kind == "s16":
            vals = ["%d" % r.randrange(-32768, 32767) for _ in range(n)]
            ctype = "int16_t"
        else:
            vals = ["0x%08Xu" % r.randrange(1 << 32) for _ in range(n)]
            ctype = "uint32_t"
        name = "pad_t%d_%d" % (idx, k)
        lines = []
        for i in range(0, n, 8):
            lines.append("    " + ", ".join(vals[i:i + 8]) + ",")
        self.tables.append("static const %s %s[%d] = {\n%s\n};\n" % (ctype, name, n, "\n".join(lines)))
        return name, n, kind

    def stmt(self, idx, k):
        r = self.r
        shape = r.randrange(10)
        if shape == 0:
            t, n, kind = self.table(idx, k)
            cast = "(uint32_t)(int32_t)" if kind == "s16" else "(uint32_t)"
            rot = self.small(1, 31)
            return ("    for (uint32_t i = 0; i < %du; i++) {\n"
                    "        acc += %s%s[(acc ^ i ^ b) & %du];\n"
                    "        acc = (acc << %d) | (acc >> %d);\n"
                    "    }\n") % (r.choice([4, 8, 12, 16]), cast, t, n - 1, rot, 32 - rot)
        if shape == 1:
            return "    acc = acc * %s + (b ^ %s);\n" % (self.c32(), self.c32())
        if shape == 2:
            lim = r.randrange(1000, 30000)
            return ("    {\n"
                    "        int32_t x = (int32_t)(acc & 0xFFFFu) - %d;\n"
                    "        int32_t y = (int32_t)(b >> 16) * %d;\n"
                    "        int32_t q = (x * %d + y) >> %d;\n"
                    "        if (q > %d) q = %d; else if (q < -%d) q = -%d;\n"
                    "        acc ^= (uint32_t)q;\n"
                    "    }\n") % (r.randrange(32768), r.randrange(-64, 64), r.randrange(-900, 900),
                                  r.randrange(2, 12), lim, lim, lim, lim)
        if shape == 3:
            return ("    {\n"
                    "        uint32_t v = acc & %s, bits = 0;\n"
                    "        while (v != 0u) { bits += v & 1u; v >>= 1; }\n"
                    "        acc += bits << %d;\n"
                    "    }\n") % (self.c32(), self.small(0, 20))
        if shape == 4:
            return ("    for (uint32_t i = 0; i < %du; i++)\n"
                    "        acc = (acc >> 1) ^ (%s & (0u - (acc & 1u)));\n") % (
                        r.choice([4, 8]), self.c32())
        if shape == 5:
            cases = []
            for c in range(r.choice([4, 8])):
                op = r.choice(["acc += %s;" % self.c32(), "acc ^= b << %d;" % self.small(),
                               "acc -= b * %du;" % r.randrange(3, 200),
                               "acc = (acc >> %d) | %s;" % (self.small(), self.c32()),
                               "acc = ~acc + %du;" % r.randrange(1, 5000)])
                cases.append("    case %d: %s break;" % (c, op))
            ncase = len(cases)
            return ("    switch ((acc ^ b) & %du) {\n%s\n    default: acc += 1u; break;\n    }\n") % (
                ncase - 1, "\n".join(cases))
        if shape == 6:
            t, n, kind = self.table(idx, k)
            cast = "(uint32_t)(int32_t)" if kind == "s16" else "(uint32_t)"
            return ("    {\n"
                    "        uint32_t lo = %s[acc & %du], hi = %s[(acc >> 8) & %du];\n"
                    "        acc = lo + ((hi - lo) * (b & 0xFFu) >> 8);\n"
                    "    }\n") % (cast + t, n - 1, cast + t, n - 1)
        if shape == 7:
            return ("    pad_state%d = pad_state%d * %du + (acc >> %d);\n"
                    "    acc ^= pad_state%d;\n") % (idx, idx, r.randrange(3, 1000), self.small(), idx)
        if shape == 8:
            return ("    if ((acc & %du) > (b & %du)) acc = (acc << %d) - b; else acc = (acc >> %d) + b;\n") % (
                r.randrange(255), r.randrange(255), self.small(1, 7), self.small(1, 7))
        return ("    acc = (uint32_t)(((uint64_t)acc * %s) >> %d) ^ b;\n") % (self.c32(), r.randrange(8, 32))

    def function(self, idx):
        r = self.r
        self.tables = []
        body = []
        for k in range(r.randint(3, 7)):
            body.append(self.stmt(idx, k))
        state = any("pad_state%d " % idx in s for s in body)
        out = []
        if state:
            # Half the state variables start non-zero (.data), half zero (.bss).
            init = " = %s" % self.c32() if r.random() < 0.5 else ""
            out.append("static uint32_t pad_state%d%s;\n" % (idx, init))
        out.extend(self.tables)
        out.append("uint32_t pad_f%d(uint32_t a, uint32_t b);\n" % idx)
        out.append("uint32_t pad_f%d(uint32_t a, uint32_t b)\n{\n    uint32_t acc = a ^ %s;\n" % (idx, self.c32()))
        out.extend(body)
        if idx % 8 != 0:
            out.append("    acc += pad_f%d(acc, b ^ %s);\n" % (idx - 1, self.c32()))
        out.append("    return acc;\n}\n\n")
        return "".join(out)


def calib_table(variant):
    # 16 words, 64-byte aligned so it never straddles a 2 KB page: the changed-page variant
    # differs from the base image in exactly this table (a recalibration).
    r = random.Random(1000 + variant)
    vals = ["0x%08Xu" % r.randrange(1 << 32) for _ in range(16)]
    return ("const uint32_t pad_calib[16] __attribute__((aligned(64))) = {\n    %s,\n    %s\n};\n\n"
            % (", ".join(vals[:8]), ", ".join(vals[8:])))


def filler(n):
    # Waveform-like table (a sine-ish curve with noise): what a lookup-heavy module carries.
    r = random.Random(7)
    vals = []
    phase = 0
    for _ in range(n):
        phase = (phase + 13) & 255
        tri = phase if phase < 128 else 255 - phase
        vals.append("%du" % ((tri * 2 + r.randrange(8)) & 0xFF))
    if not vals:
        return ""
    lines = ["    " + ", ".join(vals[i:i + 16]) + "," for i in range(0, n, 16)]
    return "extern const uint8_t pad_fill[];\nconst uint8_t pad_fill[%d] = {\n%s\n};\n\n" % (n, "\n".join(lines))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=0, help="number of functions")
    ap.add_argument("--fill", type=int, default=0, help="bytes of filler table")
    ap.add_argument("--fill-output", help="write only the filler table (its own object, linked "
                    "last, so its size moves the image end byte for byte)")
    ap.add_argument("--variant", type=int, default=0, help="calibration table variant")
    ap.add_argument("--seed", type=int, default=20261123)
    ap.add_argument("-o", "--output")
    a = ap.parse_args()

    if a.fill_output:
        write(a.fill_output, "/* Generated by bench/gen_pad.py --fill %d: do not edit. */\n"
              "#include <stdint.h>\n\n%s" % (a.fill, filler(max(a.fill, 1))))
        return 0

    g = Gen(a.seed)
    parts = ["/* Generated by bench/gen_pad.py --count %d --fill %d --variant %d: do not edit. */\n"
             "#include <stdint.h>\n\n" % (a.count, a.fill, a.variant)]
    half = a.count // 2
    for i in range(a.count):
        if i == half:
            parts.append(calib_table(a.variant))
        parts.append(g.function(i))
    if a.count == 0:
        parts.append(calib_table(a.variant))
    parts.append("extern const uint8_t pad_fill[];\n")
    # The root: every function, the calibration table and the filler stay linked.
    parts.append("typedef uint32_t (*pad_fn)(uint32_t, uint32_t);\n")
    parts.append("const pad_fn bench_pad_fns[] = {\n")
    for i in range(a.count):
        parts.append("    pad_f%d,\n" % i)
    parts.append("    0\n};\n")
    parts.append("const uint32_t bench_pad_count = %du;\n" % a.count)
    parts.append("const void *const bench_pad_root[] = { bench_pad_fns, pad_calib, pad_fill };\n")
    write(a.output, "".join(parts))
    return 0


def write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


if __name__ == "__main__":
    sys.exit(main())
