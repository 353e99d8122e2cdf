#!/bin/sh
# Run f0sim and check its exit code and output.
#   run.sh EXPECT_RC REGEX [INPUT] -- f0sim args...
# INPUT (optional): bytes for USART1 RX (printf format), fed on stdin.
# REGEX must match the combined stdout+stderr (grep -E), unless it is "-".
set -u
rc_want=$1; re=$2; shift 2
input=""
if [ "$1" != "--" ]; then input=$1; shift; fi
shift   # --
out=$(mktemp)
if [ -n "$input" ]; then
    printf "$input" | "$@" >"$out" 2>&1
else
    "$@" </dev/null >"$out" 2>&1
fi
rc=$?
cat "$out"
ok=1
if [ "$rc" != "$rc_want" ]; then echo "run.sh: exit code $rc, expected $rc_want"; ok=0; fi
if [ "$re" != "-" ] && ! grep -Eq -e "$re" "$out"; then echo "run.sh: output does not match /$re/"; ok=0; fi
rm -f "$out"
[ $ok = 1 ]
