#!/usr/bin/env python3
"""f0sim's host side of USART1, driven like a real host would.
  tcp_test.py SIM ELF WORKFILE tcp      --uart tcp:0 + --port-file: a client's bytes reach
                                        USART1, the firmware's output comes back, paced to
                                        the wall clock (realtime is the default)
  tcp_test.py SIM ELF WORKFILE latency  as tcp with --usb-latency-ms 200: the short reply
                                        waits in the adapter's packet for the timer
  tcp_test.py SIM ELF WORKFILE pty      --uart pty:PATH: the same through a pseudo-terminal
The firmware is t_usart.elf: it expects "helloabc" and answers "ALL PASS".
The chip is held in reset until the host is on the line (--wait-host), and the timing checks
are made on f0sim's virtual clock, so a loaded machine cannot fail them; the one wall-clock
check is a lower bound (the realtime pacing), which load can only make longer."""
import json, os, socket, subprocess, sys, time, tty

sim, elf, work, mode = sys.argv[1:5]
for f in (work,):
    if os.path.lexists(f):
        os.unlink(f)
summary = work + ".summary.json"
args = [sim, "--load", elf, "--until-uart", "ALL PASS", "--until-ms", "5000", "--wait-host",
        "--summary", summary]
if mode == "pty":
    args += ["--uart", "pty:" + work]
else:
    args += ["--uart", "tcp:0", "--port-file", work]
if mode == "latency":
    args += ["--usb-latency-ms", "200"]
p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
deadline = time.time() + 10
while not os.path.lexists(work):
    if time.time() > deadline or p.poll() is not None:
        print("f0sim did not create", work); print(p.communicate()[0].decode()); sys.exit(1)
    time.sleep(0.01)

if mode == "pty":
    fd = os.open(work, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
    send = lambda b: os.write(fd, b)
    def recv():
        return os.read(fd, 1024)
else:
    port = int(open(work).read())
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(5)
    send = s.sendall
    recv = lambda: s.recv(1024)

t0 = time.time()
send(b"helloabc")
got = b""
first = None
while b"ALL PASS" not in got and b"FAIL" not in got:
    try:
        chunk = recv()
    except OSError:
        break
    if not chunk:
        break
    if first is None:
        first = time.time() - t0
    got += chunk
elapsed = time.time() - t0
out = p.communicate(timeout=10)[0].decode()
print(got.decode(errors="replace"))
print(out)
print("%s: first bytes after %.4f s, all after %.4f s" % (mode, first or -1, elapsed))
ok = b"ALL PASS" in got and p.returncode == 0
virt_ms = json.load(open(summary))["virtual_ms"] if ok else -1
print("%s: stopped at %.3f ms virtual (the clock started when the host came)" % (mode, virt_ms))
# the 200 ms latency timer runs in virtual time: "ALL PASS" is seen by the host (which stops
# the sim) only after it; its delay shows on the wall clock too because the sim is paced to
# it (realtime is the default on tcp/pty)
if mode == "latency" and (virt_ms < 200 or first is None or first < 0.1):
    print("reply did not wait for the 200 ms latency timer (or no realtime pacing)"); ok = False
if mode != "latency" and ok and virt_ms > 20:
    print("reply took too long without a latency timer"); ok = False
sys.exit(0 if ok else 1)
