#!/bin/sh
# The main job, end to end, on the virtual board: a blank STM32F030xC with the f0boot
# bootloader, the example application packed into a container, flashed over a serial line
# served on TCP (as ser2net serves a real board), and the application running from its
# SRAM-remapped vector table. Usage: scripts/demo.sh BUILD_DIR
set -eu
B=${1:-build/release}
F0BOOT=$B/cli/f0boot
F0SIM=$B/sim/f0sim
FW=$B/target
work=$(mktemp -d /tmp/f0boot-demo.XXXXXX)
sim=
cleanup() {
    [ -n "$sim" ] && kill "$sim" 2>/dev/null && wait "$sim" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "1. Pack the example application (target/app_template) into a container"
run "$F0BOOT" pack "$FW/app_template/app.elf" -o "$work/app.img" --version 1.0.0+1
run "$F0BOOT" info "$work/app.img"

step "2. Start the virtual STM32F030xC: bootloader only, flash otherwise erased"
"$F0SIM" --flash "$work/flash.bin" --load "$FW/bootloader/bootloader.elf" \
    --uart tcp:0 --port-file "$work/port" --usb-latency-ms 1 \
    --summary "$work/summary.json" --quiet &
sim=$!
i=0
while [ ! -s "$work/port" ]; do
    i=$((i + 1)); [ $i -gt 200 ] && { echo "f0sim did not start" >&2; exit 1; }
    sleep 0.05
done
PORT=socket://127.0.0.1:$(cat "$work/port")
echo "f0sim serves USART1 on $PORT"

step "3. Ask the bootloader who it is"
run "$F0BOOT" probe "$PORT"

step "4. Flash the application and start it"
run "$F0BOOT" flash "$PORT" "$work/app.img"

# Talk to the running application on the same TCP port: send bytes, show whole lines back.
uart() {
    python3 - "$(cat "$work/port")" "$1" "$2" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(0.1)
s.sendall(sys.argv[2].encode())
end, out = time.time() + float(sys.argv[3]), b""
while time.time() < end:
    try:
        out += s.recv(4096)
    except socket.timeout:
        pass
text = out.decode("ascii", "replace").replace("\r", "")
print("\n".join(text.split("\n")[:-1]))  # whole lines only
PY
}

step "5. The application runs: SysTick ticks; its USART1 receive interrupt echoes and counts"
echo "(sending 'hello' to the application)"
uart hello 0.45

step "6. Send 'B': the application re-enters the bootloader; flash version 2, only what changed"
uart B 0.2
"$F0BOOT" pack "$FW/app_template/app_v2.elf" -o "$work/app_v2.img" --version 2.0.0+2 >/dev/null
run "$F0BOOT" flash "$PORT" "$work/app_v2.img" --skip-unchanged
uart "" 0.35

kill "$sim"; wait "$sim" 2>/dev/null || true; sim=
step "7. What the virtual chip saw (f0sim --summary)"
python3 -c "
import json; s=json.load(open('$work/summary.json'))
print('virtual time %.1f ms, %d instructions, %d resets' % (s['virtual_ms'], s['instructions'], s['resets']))
print('flash: %(programs)d half-word programs, %(page_erases)d page erases' % s['flash'])
print('uart: %(rx_bytes)d bytes in, %(tx_bytes)d out, %(overruns)d overruns' % s['uart'])"
