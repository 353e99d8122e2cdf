#!/usr/bin/env python3
"""f0boot check: the pre-flight run behind the real bootloader on f0sim (cli/cmd_check.c).

usage: check_test.py F0BOOT MODE ARGS...
  ok IMAGE                  exit 0, "OK: no pitfall found", JSON verdict ok, no pitfall
  pitfall IMAGE ID[:TEXT]...  exit 17; the pitfalls found are exactly the IDs, each with a fix,
                            each named in the text output; TEXT (optional) must be in the
                            finding's source line (or, without an ELF, its description)
  app IMAGE                 an application written right: exit 0, OK, no pitfall
  errors APP_ELF            bad input and missing tools: the exit codes and messages
  sim-usage F0SIM           f0sim refuses --watch-* options without --watch
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile


def run(cmd, env=None):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    return p.returncode, p.stdout, p.stderr


def check(f0boot, image):
    """Text run and --json run; both must agree on the exit code."""
    code, text, err = run([f0boot, "check", image])
    jcode, jout, jerr = run([f0boot, "check", image, "--json"])
    if code != jcode:
        raise AssertionError("text exit %d, json exit %d" % (code, jcode))
    try:
        j = json.loads(jout)
    except ValueError:
        raise AssertionError("--json printed no JSON: %r (stderr %r)" % (jout, jerr))
    return code, text, err, j


def pitfalls(j):
    return {k: v for k, v in j.get("findings", {}).items() if v.get("severity") == "pitfall"}


def mode_ok(f0boot, image):
    code, text, err, j = check(f0boot, image)
    assert code == 0, "exit %d, want 0:\n%s%s" % (code, text, err)
    assert "OK: no pitfall found" in text, text
    assert j["ok"] is True and j["verdict"] == "ok" and j["started"] and j["reached_main"] \
        and j["remapped"], j
    assert "SysTick" in j["interrupts"] and "USART1" in j["interrupts"], j["interrupts"]
    assert not pitfalls(j), j
    print("OK as expected: %s; interrupts %s" % (image, j["interrupts"]))


def mode_pitfall(f0boot, image, specs):
    want = dict((s.split(":", 1) + [""])[:2] for s in specs)
    code, text, err, j = check(f0boot, image)
    assert code == 17, "exit %d, want 17:\n%s%s" % (code, text, err)
    got = pitfalls(j)
    assert set(got) == set(want), "pitfalls %s, want %s:\n%s" % (sorted(got), sorted(want), text)
    assert j["ok"] is False and j["verdict"] == "pitfalls", j
    for fid, needle in want.items():
        f = got[fid]
        assert f.get("fix"), "%s has no fix: %s" % (fid, f)
        assert "[%s]" % fid in text and "fix" in text, text
        if needle:
            hay = f.get("source", "") + " " + f.get("what", "")
            assert needle in hay, "%s: %r not in %r" % (fid, needle, hay)
        print("%s: %s\n  what: %s\n  at: %s %s\n  fix: %s" % (image, fid, f["what"], f.get("pc"),
                                                        f.get("source", ""), f["fix"]))


def mode_app(f0boot, image):
    code, text, err, j = check(f0boot, image)
    # f0sim runs every application in tests/apps (PSP threads, PREDIV clocks, HSE, TIM6/14):
    # each must come out OK, not "not checked to the end".
    assert code == 0, "exit %d, want 0:\n%s%s" % (code, text, err)
    assert not pitfalls(j), "a pitfall in an application written right:\n" + text
    assert j["started"] and j["reached_main"] and j["remapped"], j
    print("%s: OK; interrupts %s" % (image, j["interrupts"]))


def expect(cmd, code, needle, env=None):
    c, out, err = run(cmd, env)
    assert c == code, "%s: exit %d, want %d: %s%s" % (cmd, c, code, out, err)
    assert needle in err, "%s: %r not in stderr %r" % (cmd, needle, err)
    print("%s -> exit %d: %s" % (" ".join(cmd[1:]), c, err.strip().splitlines()[-1]))


def mode_errors(f0boot, app_elf):
    with tempfile.TemporaryDirectory(prefix="f0b-check-") as tmp:
        bad = os.path.join(tmp, "bad.hex")
        with open(bad, "w") as f:
            f.write(":10000000zz\n")
        expect([f0boot, "check", bad], 4, "bad.hex")
        expect([f0boot, "check", os.path.join(tmp, "missing.elf")], 3, "missing.elf")
        expect([f0boot, "check", app_elf, "--bootloader", os.path.join(tmp, "none.elf")], 3,
               "none.elf")
        expect([f0boot, "check", app_elf, "--bootloader", app_elf], 4, "not a bootloader")
        expect([f0boot, "check", app_elf, "--ms", "5"], 2, "--ms")
        expect([f0boot, "check"], 2, "need an image")
        # f0boot alone, nothing beside it, no F0SIM, no f0sim on PATH: say what to do
        lone = os.path.join(tmp, "f0boot")
        shutil.copy(f0boot, lone)
        env = dict(os.environ, PATH="/usr/bin:/bin")
        env.pop("F0SIM", None)
        env.pop("F0BOOT_BOOTLOADER", None)
        expect([lone, "check", app_elf], 18, "F0SIM=", env)
        # with F0SIM but no bootloader anywhere: --bootloader is the way
        env["F0SIM"] = os.path.join(os.path.dirname(os.path.abspath(f0boot)), "..", "sim", "f0sim")
        expect([lone, "check", app_elf], 18, "--bootloader FILE", env)
        # linked at 0x08000000: the lint refuses it (5); with --force, the bootloader's header
        # rules would, so nothing is run and that is the pitfall (17)
        at0 = os.path.join(tmp, "at0.elf")
        subprocess.run(["arm-none-eabi-objcopy", "--change-addresses", "-0x1000", app_elf, at0],
                       check=True, capture_output=True)
        expect([f0boot, "check", at0], 5, "[load-addr]")
        expect([f0boot, "check", at0, "--force"], 17, "would refuse this image")
        # a HEX (no symbols): checked, and main said to be unchecked
        hexf = os.path.join(tmp, "app.hex")
        subprocess.run(["arm-none-eabi-objcopy", "-O", "ihex", app_elf, hexf], check=True)
        code, text, err, j = check(f0boot, hexf)
        assert code == 0 and "main-unchecked" in j["findings"], (code, text, err)
        # a container from f0boot pack
        img = os.path.join(tmp, "app.img")
        subprocess.run([f0boot, "pack", app_elf, "-o", img], check=True, capture_output=True)
        code, text, err, j = check(f0boot, img)
        assert code == 0 and j["verdict"] == "ok", (code, text, err)
        print("hex and container: OK")


def mode_sim_usage(f0sim):
    expect([f0sim, "--watch-pc", "0x08001000", "--until-ms", "1"], 2, "need --watch FILE")
    expect([f0sim, "--watch", "/dev/null", "--watch-write", "0x20-0x10", "--until-ms", "1"], 2,
           "LO <= HI")
    expect([f0sim, "--watch", "/dev/null", "--watch-uart", "300@5", "--until-ms", "1"], 2,
           "BYTE@MS")


def main():
    f0boot, mode, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    try:
        if mode == "ok":
            mode_ok(f0boot, args[0])
        elif mode == "pitfall":
            mode_pitfall(f0boot, args[0], args[1:])
        elif mode == "app":
            mode_app(f0boot, args[0])
        elif mode == "errors":
            mode_errors(f0boot, args[0])
        elif mode == "sim-usage":
            mode_sim_usage(args[0])
        else:
            print("unknown mode " + mode)
            return 2
    except AssertionError as e:
        print("FAIL " + str(e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
