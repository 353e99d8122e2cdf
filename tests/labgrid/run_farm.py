#!/usr/bin/python3
"""make test's labgrid check (issue 15): a virtual farm of seven f0sim boards, six behind
ser2net and one on a local serial port (its pty, a RawSerialPort), and labgrid's pytest
plugin running tests/labgrid/test_farm.py on it with the f0boot driver.

    run_farm.py --build BUILD_DIR

Boards: three on raw TCP (one with a labgrid SerialDriver console sharing the port), one
over RFC 2217 switching to 921600 baud for the transfer, one of another part (its
bootloader refuses the image: exit 14) and one on a noisy line (exit 11 or 13); the local
one starts with the application running. Passes when labgrid reports exactly the five good
boards passed and the two bad ones failed with f0boot's exit codes, all seven having run;
then test_parallel.py flashes all seven at once
(f0boot_labgrid.flash_all: one `f0boot flash PORT... IMAGE`) and checks each board's
outcome in the one JSON stream.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import farm_py  # noqa: E402
from farm_local import Board, Farm  # noqa: E402

PYTHON_DIR = os.path.join(HERE, "..", "..", "python")


def boards(build):
    # Patient: every f0sim board costs the host a share of a core, and the machine may be
    # busy; only the boards made to fail should fail.
    quick = {"timeout": 3000, "retries": 20, "wait": 3000}
    return [
        Board("board0", driver=quick),
        Board("board1", driver=quick, console=True),
        Board("board2", "rfc2217", driver=dict(quick, fast_baud=921600)),
        Board("board3", driver=quick, preflash=True),
        Board("local0", "local", driver=quick, preflash=True),
        Board("wrongpart", part="stm32f030x8", driver=quick),
        Board("noisy", sim_args=["--uart-noise", "0.05", "--seed", "7"],
              driver={"timeout": 500, "retries": 2, "wait": 2000}),
    ]


def outcomes(junit):
    """{board: (passed, failure text)} from pytest's JUnit XML."""
    res = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        m = re.search(r"\[(.+)\]$", case.get("name", "")) or \
            re.search(r"^test_(flash_all)", case.get("name", ""))
        if not m:
            continue
        bad = case.find("failure")
        if bad is None:
            bad = case.find("error")
        skipped = case.find("skipped") is not None
        res[m.group(1)] = (bad is None and not skipped,
                           "" if bad is None else (bad.get("message", "") + (bad.text or "")))
    return res


def check(res):
    errors = []
    want = {"board0", "board1", "board2", "board3", "local0", "wrongpart", "noisy",
            "flash_all"}
    if set(res) != want:
        errors.append("test cases %s, expected one per board %s" % (sorted(res), sorted(want)))
    for b in ("board0", "board1", "board2", "board3", "local0", "flash_all"):
        if not res.get(b, (False,))[0]:
            errors.append("%s should pass: %s" % (b, res.get(b, (0, "not run"))[1][-1500:]))
    rules = {"wrongpart": r"exit 14 \(device refused the image\)",
             "noisy": r"exit 1[13] \((no bootloader answered|transfer failed after retries)\)"}
    for b, pat in rules.items():
        ok, text = res.get(b, (True, ""))
        if ok or not re.search(pat, text):
            errors.append("%s should fail with F0bootError /%s/: %s" % (b, pat, text[-800:]))
    return errors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--keep", action="store_true", help="keep the farm's files")
    ap.add_argument("--local-farm", action="store_true",
                    help="farm_local.py even when scripts/farm.py is there")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    tmp = tempfile.mkdtemp(prefix="f0b-farm-")
    image = os.path.join(build, "target", "app_template", "app_v2.elf")
    # scripts/farm.py (the virtual farm command) when the tree has it, else farm_local
    kind = farm_py.FarmPy if farm_py.available() and not a.local_farm else Farm
    farm = kind(build, tmp, boards(build), image, "app v2.0.0", os.path.abspath(PYTHON_DIR))
    print("farm: %s" % ("scripts/farm.py" if kind is farm_py.FarmPy else "farm_local.py"))
    try:
        farm.start()
        junit = os.path.join(tmp, "junit.xml")
        p = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-v",
                            "--lg-env", farm.env_file, "--junitxml", junit,
                            os.path.join(HERE, "test_farm.py"),
                            os.path.join(HERE, "test_parallel.py")], cwd=tmp,
                           env=dict(os.environ, PYTHONPATH=os.path.abspath(PYTHON_DIR)),
                           capture_output=True, text=True, timeout=1200)
        print(p.stdout[-6000:])
        res = outcomes(junit)
        errors = check(res)
    finally:
        farm.stop()
    if errors:
        print("FAIL labgrid farm (files in %s):\n  %s" % (tmp, "\n  ".join(errors)))
        return 1
    if not a.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS labgrid farm: %s" % ", ".join("%s %s" % (b, "passed" if ok else "failed")
                                               for b, (ok, _) in sorted(res.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
