#!/bin/sh
# The real Debian stm32flash writes, verifies and starts an image through the AN3155 ROM
# bootloader model, over a pseudo-terminal.
#
#   test_stm32flash.sh f0sim F0SIM_BIN  [--fast] [--size BYTES]
#       the whole virtual board: f0sim --boot rom; the image is tests/sim/rom_hello.S
#       padded to BYTES (default 65536); checks the flash file holds it and that Go
#       started it (it prints ROM-GO-OK on USART1).
#   test_stm32flash.sh bare AN3155_PTY_BIN [--realtime] [--size BYTES]
#
# f0sim runs in --realtime by default (the board's Go ACK must reach stm32flash before the
# image speaks and the board stops); the bare model runs --fast by default.
#       the protocol model alone behind a RAM flash (tests/sim/an3155_pty.c).
#
# Linux ptys drop the parity bit, so stm32flash runs with -m 8n1; the model still times
# each character as 8E1 (11 bits). Prints one line: seconds stm32flash took, and the
# figures the server reports. Exit 0 on success.
set -eu

kind=${1:?usage: test_stm32flash.sh f0sim|bare SERVER_BIN [--realtime] [--size BYTES]}
server=${2:?usage: test_stm32flash.sh f0sim|bare SERVER_BIN [--realtime] [--size BYTES]}
shift 2
if [ "$kind" = f0sim ]; then pace=--realtime; else pace=--fast; fi
size=65536
while [ $# -gt 0 ]; do
    case $1 in
        --realtime) pace=--realtime ;;
        --fast) pace=--fast ;;
        --size) size=$2; shift ;;
        *) echo "test_stm32flash.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
here=$(cd "$(dirname "$0")" && pwd)

command -v stm32flash >/dev/null || { echo "stm32flash is not installed (scripts/deps.sh installs it)" >&2; exit 1; }

T=$(mktemp -d /tmp/f0b-stm32flash.XXXXXX)
spid=
cleanup() {
    if [ -n "$spid" ]; then kill "$spid" 2>/dev/null || true; fi
    rm -rf "$T"
}
trap cleanup EXIT INT TERM

fail() {
    echo "FAIL: $*" >&2
    for f in "$T"/server.out "$T"/server.err "$T"/summary.json "$T"/flash.log; do
        [ -s "$f" ] && { echo "--- $f" >&2; tr '\r' '\n' < "$f" | tail -20 >&2; }
    done
    exit 1
}

# --- the image: a program that announces itself, then deterministic filler ------------
arm-none-eabi-gcc -mcpu=cortex-m0 -mthumb -nostdlib -Ttext=0x08000000 \
    "$here/rom_hello.S" -o "$T/hello.elf"
arm-none-eabi-objcopy -O binary "$T/hello.elf" "$T/hello.bin"
python3 - "$T/hello.bin" "$T/image.bin" "$size" <<'EOF'
import sys
head = open(sys.argv[1], 'rb').read()
size = int(sys.argv[3])
out = bytearray(head)
x = 0x12345678
while len(out) < size:          # xorshift32: same bytes on every run
    x ^= (x << 13) & 0xFFFFFFFF; x ^= x >> 17; x ^= (x << 5) & 0xFFFFFFFF
    out.append(x & 0xFF)
open(sys.argv[2], 'wb').write(bytes(out[:size]))
EOF

# --- the board ------------------------------------------------------------------------
tty=$T/tty
if [ "$kind" = f0sim ]; then
    "$server" --boot rom --uart "pty:$tty" --flash "$T/flash.bin" $pace \
        --until-uart ROM-GO-OK --summary "$T/summary.json" \
        >"$T/server.out" 2>"$T/server.err" &
else
    if [ "$pace" = --fast ]; then bare_pace=--fast; else bare_pace=; fi
    "$server" "$tty" $bare_pace --flash-out "$T/flash.bin" >"$T/server.out" 2>"$T/server.err" &
fi
spid=$!
i=0
while [ ! -e "$tty" ]; do
    i=$((i + 1))
    [ $i -gt 100 ] && fail "the board did not create $tty within 10 s"
    kill -0 "$spid" 2>/dev/null || fail "the board exited before creating $tty"
    sleep 0.1
done

# --- stm32flash, timed ------------------------------------------------------------------
t0=$(date +%s.%N)
timeout 600 stm32flash -m 8n1 -b 115200 -w "$T/image.bin" -v -g 0x08000000 "$tty" >"$T/flash.log" 2>&1 \
    || fail "stm32flash failed"
t1=$(date +%s.%N)
grep -q "Device ID    : 0x0442" "$T/flash.log" || fail "stm32flash did not see an F030xC"
grep -q "Starting execution at address 0x08000000... done." "$T/flash.log" \
    || fail "Go was not acknowledged"

# --- the board has stopped: check what it holds and did -----------------------------------
i=0
while kill -0 "$spid" 2>/dev/null; do
    i=$((i + 1))
    [ $i -gt 300 ] && fail "the board did not stop within 30 s of Go"
    sleep 0.1
done
wait "$spid" || fail "the board exited with status $?"
spid=
[ -f "$T/flash.bin" ] || fail "no flash file"
cmp -n "$size" "$T/image.bin" "$T/flash.bin" || fail "flash does not hold the image"
if [ "$kind" = f0sim ]; then
    grep -q '"stop_reason": *"uart"' "$T/summary.json" \
        || fail "Go did not start the image (no ROM-GO-OK on USART1): $(cat "$T/summary.json")"
fi
# --- timing: the AN3155 arithmetic for this exchange (docs/rom-model.md) ---------------------
# Characters each way at 8E1 (11 bits, 115200) plus the flash busy time (30 ms per page,
# 53.5 us per half-word) is the least time the chip can take, without host turnaround.
theory=$(python3 - "$size" <<'PY'
import sys
size = int(sys.argv[1])
pages = (size + 2047) // 2048
chars = 1 + 1 + (2 + 5) + (2 + 15) + (2 + 5)        # 7F/ACK, Get Version, Get, Get ID
chars += 2 + 1 + 2 + 2 * pages + 1 + 1                # Extended Erase of the image's pages
for off in range(0, size, 256):
    n = min(256, size - off)
    n4 = (n + 3) & ~3                                 # stm32flash pads writes to 4 bytes
    chars += (2 + 1) + (5 + 1) + (1 + n4 + 1 + 1)     # Write Memory
    chars += (2 + 1) + (5 + 1) + (2 + 1 + n)          # Read Memory (-v)
chars += (2 + 1) + (5 + 1)                            # Go
busy = pages * 0.030 + sum(((min(256, size - o) + 3) & ~3) // 2 for o in range(0, size, 256)) * 53.5e-6
print("%.6f" % (chars * 11 / 115200 + busy))
PY
)
if [ "$kind" = f0sim ]; then
    virt=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["virtual_ms"] / 1000)' "$T/summary.json")
    # virtual time runs on to the image's first words after Go: never less than the arithmetic
    awk -v v="$virt" -v t="$theory" 'BEGIN { exit !(v >= t) }' \
        || fail "virtual time $virt s is less than the AN3155 minimum $theory s: flash or line time not charged"
else
    model=$(sed -n 's/.*time_s \([0-9.]*\).*/\1/p' "$T/server.out")
    if [ "$pace" = --fast ]; then
        # unpaced, the model's clock is exactly the arithmetic
        awk -v v="$model" -v t="$theory" 'BEGIN { d = v - t; exit !(d > -0.001 && d < 0.001) }' \
            || fail "model time $model s differs from the AN3155 arithmetic $theory s"
    fi
fi

secs=$(echo "$t0 $t1" | awk '{ printf "%.2f", $2 - $1 }')
if [ "$kind" = f0sim ]; then report=$(tr -d '\n' < "$T/summary.json"); else report=$(cat "$T/server.out"); fi
echo "stm32flash $size bytes write+verify+go at 115200 ($kind $pace): ${secs} s" \
     "(AN3155 minimum $theory s); server: $report"
