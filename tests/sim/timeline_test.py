#!/usr/bin/env python3
"""Realtime pacing does not change what the firmware sees (issue 15): the real bootloader
waiting for a host (it polls SysTick and the DMA counter) runs the same virtual timeline under
--realtime as under --fast: the same instructions, cycles and idle time. Only the wall clock
differs, so a loaded machine cannot fail this (a realtime run that falls behind skips the
same steps, only without waiting)."""
import json
import os
import subprocess
import sys
import tempfile

sim, elf = sys.argv[1:3]
if not os.path.exists(elf):
    sys.exit(f"no {elf}: build the firmware first")


def run(mode, d):
    summ = os.path.join(d, mode + ".json")
    p = subprocess.run([sim, "--load", elf, "--uart", "tcp:0", "--" + mode, "--until-ms", "400",
                        "--summary", summ, "--quiet"], stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=120)
    if p.returncode != 0:
        sys.exit(f"f0sim --{mode} exit {p.returncode}: {p.stderr}")
    return json.load(open(summ))


with tempfile.TemporaryDirectory() as d:
    fast, rt = run("fast", d), run("realtime", d)
keys = ("virtual_ms", "instructions", "cycles", "idle_skipped_ms", "exceptions_taken")
diff = {k: (fast[k], rt[k]) for k in keys if fast[k] != rt[k]}
assert not diff, f"--realtime saw another timeline than --fast: {diff}"
# the wait is mostly skipped: a spinning wait would run ~19 M instructions per virtual second
assert fast["idle_skipped_ms"] > 0.9 * fast["virtual_ms"], fast
print("timeline ok: %d instructions, %d cycles, %.1f ms skipped in both modes; realtime took %.2f s, "
      "%.3f CPU s" % (rt["instructions"], rt["cycles"], rt["idle_skipped_ms"], rt["host_seconds"],
                      rt["host_cpu_seconds"]))
