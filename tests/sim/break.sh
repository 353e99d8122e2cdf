#!/bin/sh
# --break stops at an address (the firmware's finish()) and reports it as the stop PC.
set -eu
sim=$1; nm=$2; elf=$3
addr=$("$nm" "$elf" | awk '$3 == "finish" { print $1 }')
[ -n "$addr" ] || { echo "break.sh: no finish symbol"; exit 1; }
out=$("$sim" --fast --load "$elf" --break "0x$addr" --until-ms 1000 --summary - </dev/null 2>&1)
echo "$out"
want=$(printf '0x%08x' $((0x$addr & ~1)))
echo "$out" | grep -q "\"stop_reason\":\"break\"" || { echo "break.sh: not stopped by the breakpoint"; exit 1; }
echo "$out" | grep -q "\"stop_pc\":\"$want\"" || { echo "break.sh: stop PC is not $want"; exit 1; }
