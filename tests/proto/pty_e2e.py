#!/usr/bin/env python3
"""f0boot through a real kernel tty: the virtual board's USART1 on a pseudo-terminal
(f0sim --uart pty:LINK), reached by the symlink f0sim makes, by a bare name (a file in the
current directory) and through libflash's termios transport (libflash/src/tty.c).
Checked: probe by the link; flash with --fast-baud 921600 (a pty takes any rate, read back
as set) and the JSON result; a second opener while this script holds the port (flock) is
refused with exit 10 naming this script's process; the port is free again afterwards.

  pty_e2e.py BUILD_DIR
"""
import fcntl, json, os, subprocess, sys, tempfile, time

build = sys.argv[1]
f0boot = os.path.join(build, "cli", "f0boot")
f0sim = os.path.join(build, "sim", "f0sim")
fw = os.path.join(build, "target")
ok = True


def check(cond, what):
    global ok
    print(("ok   " if cond else "FAIL ") + what)
    ok = ok and cond


def run(*args, cwd=None):
    r = subprocess.run([f0boot, *args], capture_output=True, text=True, cwd=cwd, timeout=120)
    print("$ f0boot " + " ".join(args) + "\n" + r.stdout + r.stderr + "exit %d" % r.returncode)
    return r


with tempfile.TemporaryDirectory(prefix="f0b_pty_e2e.") as work:
    link = os.path.join(work, "board")
    img = os.path.join(work, "app.img")
    r = run("pack", os.path.join(fw, "app_template", "app.elf"), "-o", img)
    check(r.returncode == 0, "pack the example application")
    log = open(os.path.join(work, "sim.log"), "w")
    sim = subprocess.Popen([f0sim, "--flash", os.path.join(work, "flash.bin"), "--load",
                            os.path.join(fw, "bootloader", "bootloader.elf"),
                            "--uart", "pty:" + link, "--quiet"], stdout=log,
                           stderr=subprocess.STDOUT)
    try:
        for _ in range(400):            # f0sim makes the link once the pty is ready
            if os.path.islink(link) or sim.poll() is not None:
                break
            time.sleep(0.05)
        check(os.path.islink(link), "f0sim made the pty link")

        r = run("probe", link, "--json")
        info = json.loads(r.stdout.splitlines()[-1]) if r.stdout else {}
        check(r.returncode == 0 and info.get("ok") is True, "probe by the symlink")

        r = run("flash", "board", img, "--fast-baud", "921600", "--no-boot", "--json", cwd=work)
        res = json.loads(r.stdout.splitlines()[-1]) if r.stdout else {}
        check(r.returncode == 0 and res.get("ok") is True, "flash by a bare name (./board)")
        check(res.get("baud") == 921600, "the transfer ran at 921600 baud")

        fd = os.open(link, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        fcntl.flock(fd, fcntl.LOCK_EX)
        r = run("probe", link)
        check(r.returncode == 10, "a second opener is refused with exit 10")
        check("is busy: in use by" in r.stderr and "(pid %d)" % os.getpid() in r.stderr,
              "the refusal names the holder (this script, pid %d)" % os.getpid())
        os.close(fd)

        r = run("probe", link)
        check(r.returncode == 0, "free again once the holder let go")
    finally:
        sim.kill()
        sim.wait()
        log.close()

print("PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
