#!/bin/sh
# Power cuts: a torn half-word program (run 1 -> checked by run 2), then a torn page erase
# (run 2 -> checked by run 3), all on one persistent --flash file.
set -eu
sim=$1; elf=$2; flash=$3
rm -f "$flash"
out=$("$sim" --fast --flash "$flash" --load "$elf" --power-cut-flash-op 5 --until-ms 1000 </dev/null 2>&1) || { echo "$out"; exit 1; }
echo "$out"
echo "$out" | grep -q "stopped (power-cut: power cut at flash operation 5 (program of 0x08020008)" || { echo "power.sh: run 1 not cut at op 5"; exit 1; }
out=$("$sim" --fast --flash "$flash" --power-cut-flash-op 18 --until-ms 1000 </dev/null 2>&1) || { echo "$out"; exit 1; }
echo "$out"
echo "$out" | grep -q "run 2: checking" || { echo "power.sh: run 2 did not check"; exit 1; }
echo "$out" | grep -q "FAIL" && { echo "power.sh: run 2 failed"; exit 1; }
echo "$out" | grep -q "power cut at flash operation 18 (erase of 0x08030000)" || { echo "power.sh: run 2 not cut at the erase"; exit 1; }
out=$("$sim" --fast --flash "$flash" --until-uart "ALL PASS" --until-ms 1000 </dev/null 2>&1) || { echo "$out"; exit 1; }
echo "$out"
echo "$out" | grep -q "run 3: checking the torn erase" || { echo "power.sh: run 3 did not check"; exit 1; }
rm -f "$flash"
