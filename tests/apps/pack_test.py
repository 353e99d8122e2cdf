#!/usr/bin/env python3
"""apps_pack: each user application test firmware (tests/apps/), linked the article's way,
packs without --force: `f0boot pack` exits 0 and prints nothing on stderr (no lint error or
warning), and `f0boot info --json` shows the article's layout (load address 0x08001000,
initial SP 0x20008000 = end of SRAM).

usage: pack_test.py F0BOOT APPS_DIR NAME..."""
import json
import os
import subprocess
import sys
import tempfile


def main():
    f0boot, apps, names = sys.argv[1], sys.argv[2], sys.argv[3:]
    failed = []
    with tempfile.TemporaryDirectory(prefix="f0b-apps-") as tmp:
        for name in names:
            elf = os.path.join(apps, name + ".elf")
            img = os.path.join(tmp, name + ".img")
            p = subprocess.run([f0boot, "pack", elf, "-o", img], capture_output=True,
                               text=True)
            if p.returncode != 0 or p.stderr or not os.path.exists(img):
                failed.append("%s: pack exit %d, stderr: %s" % (name, p.returncode, p.stderr))
                continue
            p = subprocess.run([f0boot, "info", img, "--json"], capture_output=True,
                               text=True)
            info = json.loads(p.stdout) if p.returncode == 0 else {}
            load, sp = info.get("load_addr"), info.get("init_sp")
            if p.returncode != 0 or as_int(load) != 0x08001000 or as_int(sp) != 0x20008000:
                failed.append("%s: info exit %d, load_addr %s, init_sp %s (want 0x08001000, "
                              "0x20008000)" % (name, p.returncode, load, sp))
                continue
            print("%s: packed, load_addr %s, init_sp %s" % (name, load, sp))
    for f in failed:
        print("FAIL " + f)
    return 1 if failed else 0


def as_int(v):
    if isinstance(v, str):
        return int(v, 0)
    return v


if __name__ == "__main__":
    sys.exit(main())
