#!/usr/bin/env python3
"""f0sim --uart tcp:0: the port file appears, a client's bytes reach USART1 at the line
rate and the firmware's output comes back; the sim paces to the wall clock by default."""
import os, socket, subprocess, sys, time

sim, elf, port_file = sys.argv[1:4]
if os.path.exists(port_file):
    os.unlink(port_file)
p = subprocess.Popen([sim, "--load", elf, "--uart", "tcp:0", "--port-file", port_file,
                      "--until-uart", "ALL PASS", "--until-ms", "5000"],
                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
deadline = time.time() + 10
while not os.path.exists(port_file):
    if time.time() > deadline or p.poll() is not None:
        print("no port file"); sys.exit(1)
    time.sleep(0.01)
port = int(open(port_file).read())
s = socket.create_connection(("127.0.0.1", port))
t0 = time.time()
s.sendall(b"helloabc")
got = b""
s.settimeout(5)
while b"ALL PASS" not in got and b"FAIL" not in got:
    chunk = s.recv(1024)
    if not chunk:
        break
    got += chunk
elapsed = time.time() - t0
out = p.communicate(timeout=10)[0].decode()
print(got.decode(errors="replace"))
print(out)
ok = b"ALL PASS" in got and p.returncode == 0
# realtime: the firmware waits 1 ms and 8 characters take ~0.7 ms, so at least ~1.5 ms pass
if elapsed < 0.0015:
    print("finished in %.4f s: not paced to the wall clock" % elapsed); ok = False
sys.exit(0 if ok else 1)
