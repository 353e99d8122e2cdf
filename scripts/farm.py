#!/usr/bin/env python3
"""A virtual board farm (docs/farm.md): N f0sim boards running the real bootloader, each
behind a real ser2net (Debian's ser2net 4.3) in raw TCP and in RFC 2217 mode, as a labgrid
exporter publishes real boards, plus the labgrid environment file and a port list for them.

    scripts/farm.py up N --dir DIR [--app none|example|FILE.img] [--port-base P] ...
    scripts/farm.py status --dir DIR [--json]
    scripts/farm.py down --dir DIR

`up` returns once every board's ports accept connections; the processes keep running (in
their own session) until `down`. DIR then holds:

    farm.json      every board: ports, pty, flash file, f0sim pid; ser2net's pid
    farm.yaml      labgrid environment: one target per board with a NetworkSerialPort
    ports.txt      one f0boot PORT per line (socket:// or rfc2217://), for a multi-port flash
    ser2net.yaml   the ser2net configuration (the same syntax as for real boards)
    boardI.flash   board I's flash (persistent), boardI.tty its pty, boardI.log f0sim's log,
                   boardI.summary.json f0sim's summary (written at `down`)

Exit status: 0 done; 2 bad command line; 3 a tool or file is missing (build first); 4 a
port is taken or a process did not start (nothing is left running); 5 no farm in DIR.
"""
import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLASH_SIZE = 256 * 1024          # STM32F030xC, f0sim's default part
PAGE = 2048
DEFAULT_PART = "stm32f030xc"
APP_START = 0x08001000
COMMIT_MAGIC = 0x0C0FFEE5        # F0B_COMMIT_MAGIC, include/f0boot/layout.h
START_WAIT_S = 20.0

EXIT_USAGE, EXIT_MISSING, EXIT_START, EXIT_NOFARM = 2, 3, 4, 5


class FarmError(Exception):
    def __init__(self, code, msg):
        super().__init__(msg)
        self.code = code


# ---- flash images -------------------------------------------------------------------------

def parts():
    """name -> (flash bytes, page bytes), from include/f0boot/parts.def."""
    out = {}
    for line in open(os.path.join(ROOT, "include", "f0boot", "parts.def")):
        m = re.match(r'F0B_PART\(\s*\d+,\s*"([^"]+)",\s*\w+,\s*(\d+),\s*(\d+),', line)
        if m:
            out[m.group(1)] = (int(m.group(2)) * 1024, int(m.group(3)))
    return out


def flash_image(bootloader_bin, container=None, size=FLASH_SIZE, page=PAGE):
    """A flash holding the bootloader and, given a container (f0boot pack output), that
    application committed: payload at the application start, the container header and the
    commit word at the start of the last page (the boot record, include/f0boot/layout.h),
    as a finished update leaves it."""
    data = bytearray(b"\xff" * size)
    bl = open(bootloader_bin, "rb").read()
    data[:len(bl)] = bl
    if container:
        cont = open(container, "rb").read()
        hdr, payload = cont[:64], cont[64:]
        off = APP_START - 0x08000000
        data[off:off + len(payload)] = payload
        rec = size - page
        data[rec:rec + 64] = hdr
        data[rec + 64:rec + 68] = COMMIT_MAGIC.to_bytes(4, "little")
    return bytes(data)


def example_container(build, f0boot, out_dir):
    """The template's example application, packed."""
    elf = os.path.join(build, "target", "app_template", "app.elf")
    if not os.path.exists(elf):
        raise FarmError(EXIT_MISSING, "no %s: build first (make build, or cmake --build %s)" % (elf, build))
    img = os.path.join(out_dir, "example.img")
    p = subprocess.run([f0boot, "pack", elf, "-o", img], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True)
    if p.returncode != 0:
        raise FarmError(EXIT_MISSING, "f0boot pack %s failed: %s" % (elf, p.stderr.strip()))
    return img


# ---- configuration files ------------------------------------------------------------------

def ser2net_yaml(boards, host):
    """One raw and one RFC 2217 connection per board, both to the board's pty (ser2net.yaml(5),
    ser2net 4.3). `local`: no modem control lines (the virtual board has none)."""
    lines = ["# ser2net 4.3 configuration written by scripts/farm.py (docs/farm.md)", ""]
    for b in boards:
        dev = "serialdev,%s,115200n81,local" % b["pty"]
        lines += ["connection: &%s-raw" % b["name"],
                  "  accepter: tcp,%s,%d" % (host, b["raw_port"]),
                  "  connector: %s" % dev,
                  "connection: &%s-rfc2217" % b["name"],
                  "  accepter: telnet(rfc2217),tcp,%s,%d" % (host, b["rfc2217_port"]),
                  "  connector: %s" % dev, ""]
    return "\n".join(lines)


def labgrid_yaml(boards, host, imports, drivers):
    """labgrid 0.4.1 environment: a target per board with its NetworkSerialPort."""
    lines = ["# labgrid environment written by scripts/farm.py (docs/farm.md)"]
    if imports:
        lines.append("imports:")
        lines += ["- %s" % os.path.abspath(i) for i in imports]
    lines.append("targets:")
    for b in boards:
        port = b["rfc2217_port"] if b["protocol"] == "rfc2217" else b["raw_port"]
        lines += ["  %s:" % b["name"],
                  "    resources:",
                  "      NetworkSerialPort:",
                  "        host: %s" % host,
                  "        port: %d" % port,
                  "        speed: 115200",
                  "        protocol: %s" % b["protocol"]]
        if drivers:
            lines.append("    drivers:")
            lines += ["      %s: {}" % d for d in drivers]
    return "\n".join(lines) + "\n"


def port_spec(b, host):
    if b["protocol"] == "rfc2217":
        return "rfc2217://%s:%d" % (host, b["rfc2217_port"])
    return "socket://%s:%d" % (host, b["raw_port"])


# ---- processes ----------------------------------------------------------------------------

def port_free(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # as ser2net binds: a port whose last connections are in TIME_WAIT is free
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((host, port))
        s.listen(1)
        return True
    except OSError:
        return False
    finally:
        s.close()


def listening_ports():
    """Local TCP ports in LISTEN state (/proc/net/tcp, tcp6). Looked up there rather than by
    connecting: a connection to an RFC 2217 accepter opens the board's device, and ser2net
    drops a client of the board's other accepter while it closes it again."""
    ports = set()
    for f in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            for line in open(f).read().splitlines()[1:]:
                cols = line.split()
                if cols[3] == "0A":
                    ports.add(int(cols[1].rsplit(":", 1)[1], 16))
        except OSError:
            pass
    return ports


def spawn(cmd, log):
    with open(log, "w") as f:
        return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT,
                                start_new_session=True)


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie (our own child not yet reaped) is not alive
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def stop_pids(pids, sig, wait_s):
    for pid in pids:
        if alive(pid):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        for p in pids:
            try:
                os.waitpid(p, os.WNOHANG)
            except ChildProcessError:
                pass
        time.sleep(0.05)
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


# ---- commands -----------------------------------------------------------------------------

def parse_board_args(items, n, opt):
    """OPT I=ARGS (repeatable): a per-board setting, split at blanks."""
    extra = {}
    for it in items or []:
        idx, sep, args = it.partition("=")
        if not sep or not idx.isdigit() or int(idx) >= n:
            raise FarmError(EXIT_USAGE, "%s %r: expected I=VALUE with I a board number below %d" % (opt, it, n))
        extra.setdefault(int(idx), []).extend(args.split())
    return extra


def parse_index_list(text, n, opt):
    if not text:
        return set()
    if text == "all":
        return set(range(n))
    out = set()
    for t in text.split(","):
        if not t.isdigit() or int(t) >= n:
            raise FarmError(EXIT_USAGE, "%s %r: expected board numbers below %d, comma-separated, or all" %
                            (opt, text, n))
        out.add(int(t))
    return out


def plan(a):
    if a.n < 1 or a.n > 200:
        raise FarmError(EXIT_USAGE, "N must be 1-200 (got %d)" % a.n)
    rfc = parse_index_list(a.rfc2217, a.n, "--rfc2217")
    extra = parse_board_args(a.sim_args, a.n, "--sim-args")
    part_of = {i: " ".join(v) for i, v in parse_board_args(a.part, a.n, "--part").items()}
    known = parts()
    for i, pt in part_of.items():
        if pt not in known:
            raise FarmError(EXIT_USAGE, "--part %d=%s: unknown part (one of %s)" % (i, pt, ", ".join(sorted(known))))
    boards = []
    for i in range(a.n):
        name = "board%d" % i
        boards.append({"name": name, "index": i,
                       "raw_port": a.port_base + 2 * i, "rfc2217_port": a.port_base + 2 * i + 1,
                       "protocol": "rfc2217" if i in rfc else "raw",
                       "pty": os.path.join(a.dir, name + ".tty"),
                       "flash": os.path.join(a.dir, name + ".flash"),
                       "log": os.path.join(a.dir, name + ".log"),
                       "summary": os.path.join(a.dir, name + ".summary.json"),
                       "part": part_of.get(i, DEFAULT_PART), "sim_args": extra.get(i, [])})
    return boards


def tools(a):
    build = os.path.abspath(a.host_build)
    t = {"f0sim": os.path.join(build, "sim", "f0sim"), "f0boot": os.path.join(build, "cli", "f0boot"),
         "bootloader": os.path.join(build, "target", "bootloader", "bootloader.bin")}
    for k, v in t.items():
        if not os.path.exists(v):
            raise FarmError(EXIT_MISSING, "no %s (%s): build first (make build, or --host-build DIR)" % (v, k))
    ser2net = subprocess.run(["sh", "-c", "command -v ser2net"], stdout=subprocess.PIPE, text=True).stdout.strip()
    if not ser2net:
        raise FarmError(EXIT_MISSING, "ser2net is not installed: run scripts/deps.sh (Debian package ser2net)")
    t["ser2net"] = ser2net
    t["build"] = build
    return t


def bootloader_for(t, part):
    """The release build's bootloader for part: the default part's, or target/parts/PART/."""
    if part == DEFAULT_PART:
        return t["bootloader"]
    path = os.path.join(t["build"], "target", "parts", part, "bootloader.bin")
    if not os.path.exists(path):
        raise FarmError(EXIT_MISSING, "no bootloader built for %s (%s): the firmware build makes "
                        "target/parts/PART/ for the parts it checks" % (part, path))
    return path


def write_files(a, t, boards, container):
    os.makedirs(a.dir, exist_ok=True)
    known = parts()
    for b in boards:
        if a.keep_flash and os.path.exists(b["flash"]):
            continue
        size, page = known[b["part"]]
        # a container is committed only on boards of its own part
        app = container if container and b["part"] == DEFAULT_PART else None
        tmp = b["flash"] + ".tmp"
        with open(tmp, "wb") as f:
            f.write(flash_image(bootloader_for(t, b["part"]), app, size, page))
        os.replace(tmp, b["flash"])
        if os.path.exists(b["summary"]):
            os.unlink(b["summary"])
    with open(os.path.join(a.dir, "ser2net.yaml"), "w") as f:
        f.write(ser2net_yaml(boards, a.host))
    with open(os.path.join(a.dir, "farm.yaml"), "w") as f:
        f.write(labgrid_yaml(boards, a.host, a.lg_import, a.lg_driver))
    with open(os.path.join(a.dir, "ports.txt"), "w") as f:
        f.write("".join(port_spec(b, a.host) + "\n" for b in boards))


def start_all(a, t, boards):
    started = []
    try:
        for b in boards:
            cmd = [t["f0sim"], "--part", b["part"], "--flash", b["flash"], "--uart", "pty:" + b["pty"],
                   "--summary", b["summary"], "--realtime"] + (["--wait-host"] if a.wait_host else []) + b["sim_args"]
            b["pid"] = spawn(cmd, b["log"]).pid
            b["cmd"] = cmd
            started.append(b["pid"])
        deadline = time.monotonic() + START_WAIT_S
        for b in boards:
            while not os.path.islink(b["pty"]):
                if not alive(b["pid"]) or time.monotonic() > deadline:
                    raise FarmError(EXIT_START, "%s: f0sim did not open its pty: %s\n%s" % (
                        b["name"], " ".join(b["cmd"]), open(b["log"]).read()[-1500:]))
                time.sleep(0.02)
        s2n_cmd = [t["ser2net"], "-n", "-u", "-c", os.path.join(a.dir, "ser2net.yaml"),
                   "-P", os.path.join(a.dir, "ser2net.pid")]
        s2n = spawn(s2n_cmd, os.path.join(a.dir, "ser2net.log")).pid
        started.append(s2n)
        want = {p for b in boards for p in (b["raw_port"], b["rfc2217_port"])}
        while not want <= listening_ports():
            if not alive(s2n) or time.monotonic() > deadline:
                raise FarmError(EXIT_START, "ser2net does not serve ports %s: %s\n%s" % (
                    sorted(want - listening_ports()), " ".join(s2n_cmd),
                    open(os.path.join(a.dir, "ser2net.log")).read()[-1500:]))
            time.sleep(0.02)
        return s2n
    except BaseException:
        stop_pids(started, signal.SIGTERM, 5)
        raise


def cmd_up(a):
    if os.path.exists(os.path.join(a.dir, "farm.json")) and farm_alive(load(a.dir)):
        raise FarmError(EXIT_START, "a farm is already running in %s: scripts/farm.py down --dir %s" % (a.dir, a.dir))
    t = tools(a)
    boards = plan(a)
    for b in boards:
        for port in (b["raw_port"], b["rfc2217_port"]):
            if not port_free(a.host, port):
                raise FarmError(EXIT_START, "port %s:%d is taken: pick other ports with --port-base" % (a.host, port))
    os.makedirs(a.dir, exist_ok=True)
    if a.app == "none":
        container = None
    elif a.app == "example":
        container = example_container(t["build"], t["f0boot"], a.dir)
    elif os.path.exists(a.app):
        container = a.app
    else:
        raise FarmError(EXIT_USAGE, "--app %r: expected none, example or a container file (f0boot pack output)" % a.app)
    write_files(a, t, boards, container)
    s2n = start_all(a, t, boards)
    farm = {"host": a.host, "boards": boards, "ser2net_pid": s2n, "app": a.app, "wait_host": a.wait_host,
            "f0sim": t["f0sim"], "f0boot": t["f0boot"], "started": time.time()}
    with open(os.path.join(a.dir, "farm.json"), "w") as f:
        json.dump(farm, f, indent=1)
    print("farm: %d board%s up in %s (ser2net pid %d); labgrid environment %s, ports %s" % (
        len(boards), "" if len(boards) == 1 else "s", a.dir, s2n, os.path.join(a.dir, "farm.yaml"),
        os.path.join(a.dir, "ports.txt")))
    return 0


def load(d):
    try:
        with open(os.path.join(d, "farm.json")) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise FarmError(EXIT_NOFARM, "no farm in %s (%s): start one with scripts/farm.py up N --dir %s" % (d, e, d))


def farm_alive(farm):
    return alive(farm["ser2net_pid"]) or any(alive(b["pid"]) for b in farm["boards"])


def cmd_status(a):
    farm = load(a.dir)
    rows = [{"name": b["name"], "alive": alive(b["pid"]), "pid": b["pid"], "port": port_spec(b, farm["host"]),
             "raw": b["raw_port"], "rfc2217": b["rfc2217_port"]} for b in farm["boards"]]
    if a.json:
        print(json.dumps({"ser2net_alive": alive(farm["ser2net_pid"]), "boards": rows}))
    else:
        print("ser2net pid %d %s" % (farm["ser2net_pid"], "running" if alive(farm["ser2net_pid"]) else "gone"))
        for r in rows:
            print("%-8s %-8s raw %d, rfc2217 %d  (f0sim pid %d)" % (
                r["name"], "running" if r["alive"] else "gone", r["raw"], r["rfc2217"], r["pid"]))
    return 0 if alive(farm["ser2net_pid"]) and all(r["alive"] for r in rows) else 1


def cmd_down(a):
    farm = load(a.dir)
    stop_pids([farm["ser2net_pid"]], signal.SIGTERM, 5)
    # SIGINT: each f0sim stops cleanly and writes its summary
    stop_pids([b["pid"] for b in farm["boards"]], signal.SIGINT, 20)
    os.replace(os.path.join(a.dir, "farm.json"), os.path.join(a.dir, "farm.down.json"))
    print("farm: %d boards down in %s" % (len(farm["boards"]), a.dir))
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description="a virtual board farm: f0sim boards behind ser2net (docs/farm.md)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser("up", help="start N boards")
    up.add_argument("n", type=int, metavar="N")
    up.add_argument("--dir", required=True)
    up.add_argument("--app", default="none", help="none (bootloader only, waiting), example (the "
                    "template's example application committed) or a container file to commit")
    up.add_argument("--host", default="127.0.0.1", help="address ser2net listens on")
    up.add_argument("--port-base", type=int, default=20000,
                    help="board I: raw TCP on PORT_BASE+2I, RFC 2217 on PORT_BASE+2I+1")
    up.add_argument("--rfc2217", metavar="LIST", help="boards (0,3 or all) whose farm.yaml resource and "
                    "ports.txt line use RFC 2217; the others raw TCP (both are always served)")
    up.add_argument("--wait-host", action="store_true", help="f0sim --wait-host: each board is held in "
                    "reset until its host sends a first byte")
    up.add_argument("--sim-args", action="append", metavar="I=ARGS",
                    help="extra f0sim options for board I (e.g. '2=--uart-noise 0.01 --seed 7')")
    up.add_argument("--part", action="append", metavar="I=PART",
                    help="board I is another part (its own bootloader build, flash size; e.g. "
                    "3=stm32f030x8): a board an image for the default part does not fit")
    up.add_argument("--keep-flash", action="store_true", help="keep existing boardI.flash files")
    up.add_argument("--lg-import", action="append", metavar="FILE", help="a Python file farm.yaml imports "
                    "(a labgrid driver)")
    up.add_argument("--lg-driver", action="append", metavar="NAME", help="a driver every target gets")
    up.add_argument("--host-build", default=os.path.join(ROOT, "build", "release"))
    st = sub.add_parser("status", help="which boards run")
    st.add_argument("--dir", required=True)
    st.add_argument("--json", action="store_true")
    dn = sub.add_parser("down", help="stop the farm (f0sim summaries are written)")
    dn.add_argument("--dir", required=True)
    a = ap.parse_args(argv)
    a.dir = os.path.abspath(a.dir)
    try:
        return {"up": cmd_up, "status": cmd_status, "down": cmd_down}[a.cmd](a)
    except FarmError as e:
        print("farm: %s" % e, file=sys.stderr)
        return e.code


if __name__ == "__main__":
    sys.exit(main())
