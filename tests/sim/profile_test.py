#!/usr/bin/env python3
"""f0sim --profile: the per-block table adds up to the header's totals, and the flash
stall column accounts for the flash operations the summary counts (t_flash programs and
erases flash from code in flash, so the CPU waits for each operation)."""
import json, re, subprocess, sys, tempfile, os

sim, elf = sys.argv[1:3]
with tempfile.TemporaryDirectory() as d:
    prof = os.path.join(d, "prof.txt")
    out = subprocess.run([sim, "--fast", "--load", elf, "--until-uart", "ALL PASS",
                          "--until-ms", "5000", "--profile", prof, "--summary", "-", "--quiet"],
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        sys.exit(f"f0sim exit {out.returncode}: {out.stderr}")
    summ = json.loads(out.stdout[out.stdout.index("{"):])
    lines = open(prof).read().splitlines()

m = re.match(r"# f0sim profile: (\d+) blocks, (\d+) cycles executing, (\d+) cycles stalled on flash, "
             r"(\d+) cycles skipped idle \((\d+) Hz\)", lines[0])
assert m, f"bad header: {lines[0]!r}"
nblocks, exe, stall, idle, hz = map(int, m.groups())
rows = [l.split() for l in lines[2:]]
assert len(rows) == nblocks, (len(rows), nblocks)
assert sum(int(r[3]) for r in rows) == exe, "cycles column does not add up"
assert sum(int(r[4]) for r in rows) == stall, "stall column does not add up"
cost = [int(r[3]) + int(r[4]) for r in rows]
assert cost == sorted(cost, reverse=True), "not sorted costliest first"
# every cycle of the run is executing, stalled, skipped idle, or in exception entry/exit
assert exe + stall + idle <= summ["cycles"], (exe, stall, idle, summ["cycles"])
assert exe + stall + idle >= 0.9 * summ["cycles"], (exe, stall, idle, summ["cycles"])
# the stalls are the flash operations: programs x 53.5 us + erases x 30 ms, at most
fl = summ["flash"]
busy = (fl["programs"] * 53.5e-6 + (fl["page_erases"] + fl["mass_erases"]) * 30e-3) * hz
assert fl["programs"] > 0 and fl["page_erases"] > 0, fl
assert 0.5 * busy <= stall <= busy * 1.001, (stall, busy)
# the addresses are code, in flash or in SRAM (t_flash also runs a loop from SRAM)
for r in rows:
    a = int(r[0], 16)
    assert 0x08000000 <= a < 0x08040000 or 0x20000000 <= a < 0x20008000, hex(a)
print(f"profile ok: {nblocks} blocks, {exe} executing + {stall} stalled + {idle} idle "
      f"of {summ['cycles']} cycles; flash busy {busy:.0f}")
