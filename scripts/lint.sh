#!/bin/sh
# `make lint`: the habits a reviewer would otherwise repeat, run by .ci/run after `make test`.
#
#   format   clang-format --dry-run -Werror on every tracked .c/.h (.clang-format)
#   clang    the host tree built with clang as well as gcc (build/lint, -Werror as always)
#   cppcheck warnings, portability and performance on the host tree and the firmware
#   tidy     clang-tidy (.clang-tidy: the checks on, and the ones off with their reasons)
#            findings not in scripts/lint/tidy-known.txt fail
#   size     no function over 80 lines or cognitive complexity 25 (clang-tidy
#            readability-function-size / -cognitive-complexity) outside
#            scripts/lint/size-allow.txt, a list that may only shrink
#
# Every step runs (a failure in one does not hide the others); the summary says which failed
# and what to do. Usage: scripts/lint.sh [step...]  (default: all steps)
# Environment: JOBS (default 2), LINT_BUILD (default build/lint).
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
JOBS=${JOBS:-2}
B=${LINT_BUILD:-build/lint}
OUT=$B/lint
ALLOW=scripts/lint/size-allow.txt
KNOWN=scripts/lint/tidy-known.txt
CPPCHECK_KNOWN=scripts/lint/cppcheck-known.txt
STEPS=${*:-format clang cppcheck tidy size}
FAILED=""
mkdir -p "$OUT"

say() { printf 'lint: %s\n' "$*"; }
fail() { FAILED="$FAILED $1"; }

# Tracked C sources (git knows which files are ours; build trees are never looked at).
c_sources() {
    if git rev-parse --git-dir >/dev/null 2>&1; then
        git ls-files -- '*.c' '*.h'
    else
        find . -path ./build -prune -o -type f \( -name '*.c' -o -name '*.h' \) -print | sed 's|^\./||' | sort
    fi
}

# ---- format ------------------------------------------------------------------------------
step_format() {
    n=0
    bad=""
    for f in $(c_sources); do
        if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
            n=$((n + 1))
            bad="$bad $f"
        fi
    done
    if [ "$n" -ne 0 ]; then
        say "format: $n files are not in the house style (.clang-format):"
        for f in $bad; do printf '    %s\n' "$f"; done | head -20
        [ "$n" -gt 20 ] && printf '    ... and %d more\n' $((n - 20))
        f=${bad# }; f=${f%% *}
        say "format: see one file's changes with: clang-format $f | diff $f -"
        say "format: fix with: clang-format -i \$(git ls-files '*.c' '*.h')"
        fail format
        return
    fi
    say "format: $(c_sources | wc -l) files in the house style"
}

# ---- clang build -------------------------------------------------------------------------
CONFIGURED=0
configure() {
    [ "$CONFIGURED" -eq 1 ] && return 0
    CONFIGURED=1
    CC=clang cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=Debug -DF0B_FIRMWARE=OFF -DF0B_FUZZ_TESTS=OFF \
        >"$OUT/configure.log" 2>&1 ||
        { say "clang: configure failed, see $OUT/configure.log"; return 1; }
}

step_clang() {
    configure || { fail clang; return; }
    if cmake --build "$B" -j "$JOBS" -- -k >"$OUT/clang.log" 2>&1; then
        say "clang: host tree builds with clang ($(clang --version | head -1))"
        return
    fi
    say "clang: the host tree does not build with clang (-Werror):"
    grep -E 'error:' "$OUT/clang.log" | sed "s|$ROOT/||" | sort -u | head -20 | sed 's/^/    /'
    say "clang: full log: $OUT/clang.log"
    fail clang
}

# ---- cppcheck ----------------------------------------------------------------------------
# cppcheck with the options both runs share; "$@" says what to check.
cppcheck_run() {
    # information: reports a line of $CPPCHECK_KNOWN that matches nothing any more.
    cppcheck --enable=warning,portability,performance,information --std=c11 --inline-suppr \
        --quiet --error-exitcode=1 -j "$JOBS" --suppressions-list="$CPPCHECK_KNOWN" \
        --template='{file}:{line}:{column}: {severity}: {message} [{id}]' "$@"
}

step_cppcheck() {
    configure || { fail cppcheck; return; }
    # Host tree through the compile database; the firmware (not in it) by directory, with the
    # port's include paths. --inline-suppr: a `// cppcheck-suppress id` needs its reason beside.
    rc=0
    mkdir -p "$OUT/cppcheck"
    cppcheck_run --project="$B/compile_commands.json" -i"$B" --cppcheck-build-dir="$OUT/cppcheck" \
        >"$OUT/cppcheck.log" 2>&1 || rc=1
    cppcheck_run -Iinclude -Itarget/common -Itarget/bootloader/core -Itarget/bootloader/stm32f0 \
        -Itarget/app_template -Itests/sim/fw -DF0B_RX_RING_SIZE=4096 -DF0B_PART_CODE=4 \
        target tests/sim/fw >>"$OUT/cppcheck.log" 2>&1 || rc=1
    if [ "$rc" -ne 0 ] || [ -s "$OUT/cppcheck.log" ]; then
        say "cppcheck: findings (fix them, or \`// cppcheck-suppress id\` with the reason; an"
        say "cppcheck: 'Unmatched suppression' is fixed: remove its line from $CPPCHECK_KNOWN):"
        sed "s|$ROOT/||" "$OUT/cppcheck.log" | grep -v '^ *^*$' | sed 's/^/    /' | head -40
        fail cppcheck
        return
    fi
    say "cppcheck: no findings"
}

# ---- clang-tidy (one run serves the tidy and size steps) ---------------------------------
TIDY_DONE=0
run_tidy() {
    [ "$TIDY_DONE" -eq 1 ] && return 0
    TIDY_DONE=1
    configure || return 1
    # Every translation unit of the host tree (libraries, tools, tests, and the bootloader core
    # as the host tests compile it).
    python3 -c 'import json,sys; print("\n".join(sorted({e["file"] for e in json.load(open(sys.argv[1]))})))' \
        "$B/compile_commands.json" >"$OUT/tidy.files"
    xargs -P "$JOBS" -n 4 clang-tidy -p "$B" --quiet <"$OUT/tidy.files" >"$OUT/tidy.log" 2>"$OUT/tidy.err"
    # The firmware (cross-built, so not in the database): the size gate only, with the port's
    # include paths and newlib's headers, for thumbv6m as the firmware is built.
    fw_flags="--target=arm-none-eabi -mcpu=cortex-m0 -mthumb -ffreestanding -std=gnu11
        -isystem /usr/lib/arm-none-eabi/include -Iinclude -Itarget/common -Itarget/bootloader/core
        -Itarget/bootloader/stm32f0 -Itarget/app_template -Itests/sim/fw -DF0B_PART_CODE=4
        -DF0B_RX_RING_SIZE=512 -DF0B_BOOT_WINDOW_MS=50u -DAPP_VERSION=\"1.0.0\"
        -Wno-unknown-attributes"
    # shellcheck disable=SC2086
    git ls-files -- 'target/*.c' 'tests/sim/fw/*.c' | xargs -P "$JOBS" -n 8 clang-tidy --quiet \
        --checks='-*,readability-function-size,readability-function-cognitive-complexity' \
        -- $fw_flags 2>/dev/null | grep -E '\[readability-function-(size|cognitive-complexity)\]$' -A1 \
        >>"$OUT/tidy.log" || true
    # path:line:col: warning: message [check,...]  ->  path<TAB>check<TAB>message
    sed -n "s#^$ROOT/\([^:]*\):[0-9]*:[0-9]*: \(warning\|error\): \(.*\) \[\([^]]*\)\]\$#\1\t\4\t\3#p" \
        "$OUT/tidy.log" | sort -u >"$OUT/tidy.findings"
}

# Entries of an allow-list file: "path<space>key" per line, '#' comments and blank lines ignored.
entries() { sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$1" | awk '{print $1 "\t" $2}' | sort -u; }

step_tidy() {
    run_tidy || { fail tidy; return; }
    grep -v -P '\treadability-function-(size|cognitive-complexity)\t' "$OUT/tidy.findings" \
        >"$OUT/tidy.other" || true
    cut -f1,2 "$OUT/tidy.other" | sort -u >"$OUT/tidy.keys"
    entries "$KNOWN" >"$OUT/tidy.known"
    new=$(comm -23 "$OUT/tidy.keys" "$OUT/tidy.known")
    gone=$(comm -13 "$OUT/tidy.keys" "$OUT/tidy.known")
    if [ -n "$new" ]; then
        say "tidy: new clang-tidy findings (fix them; a false positive gets NOLINT(check) and a reason):"
        echo "$new" | while IFS="$(printf '\t')" read -r f c; do
            grep -F "$f	$c	" "$OUT/tidy.other" | head -3 | cut -f3 | sed "s|^|    $f [$c] |"
            grep -n -F "$ROOT/$f:" "$OUT/tidy.log" | grep -F "[$c" | head -3 |
                sed -e "s|^[0-9]*:$ROOT/||" -e 's/^/      at /' -e 's/: \(warning\|error\):.*//'
        done
        fail tidy
    fi
    if [ -n "$gone" ]; then
        say "tidy: fixed, so remove these lines from $KNOWN (the list only shrinks):"
        echo "$gone" | sed 's/\t/ /; s/^/    /'
        fail tidy
    fi
    [ -z "$new$gone" ] && say "tidy: no findings beyond the $(wc -l <"$OUT/tidy.known") known ones in $KNOWN"
}

step_size() {
    run_tidy || { fail size; return; }
    # "function 'name' exceeds recommended size" / "function 'name' has cognitive complexity of N"
    grep -P '\treadability-function-(size|cognitive-complexity)\t' "$OUT/tidy.findings" |
        sed -n "s/^\([^\t]*\)\t[^\t]*\tfunction '\([^']*\)'.*/\1\t\2/p" | sort -u >"$OUT/size.keys"
    entries "$ALLOW" >"$OUT/size.allow"
    new=$(comm -23 "$OUT/size.keys" "$OUT/size.allow")
    gone=$(comm -13 "$OUT/size.keys" "$OUT/size.allow")
    if [ -n "$new" ]; then
        say "size: functions over 80 lines or cognitive complexity 25 (split them):"
        echo "$new" | while IFS="$(printf '\t')" read -r f fn; do
            grep -F "$f	" "$OUT/tidy.findings" | grep -F "function '$fn'" | cut -f3 |
                sed "s|^|    $f: |"
        done
        fail size
    fi
    if [ -n "$gone" ]; then
        say "size: now within the limits, so remove these lines from $ALLOW (the list only shrinks):"
        echo "$gone" | sed 's/\t/ /; s/^/    /'
        fail size
    fi
    [ -z "$new$gone" ] && say "size: no function over the limits beyond the $(wc -l <"$OUT/size.allow") in $ALLOW"
}

# Not a check: how many lines of the tree a clang-format configuration would change (the
# lines diff reports on either side), to compare candidates (docs/lint.md).
# Usage: scripts/lint.sh measure [CONFIG...]  (default: .clang-format)
if [ "${1:-}" = measure ]; then
    shift
    [ $# -eq 0 ] && set -- .clang-format
    for cfg in "$@"; do
        n=0
        files=0
        for f in $(c_sources); do
            d=$(clang-format --style="file:$(cd "$(dirname "$cfg")" && pwd)/$(basename "$cfg")" "$f" |
                diff "$f" - | grep -c '^[<>]')
            [ "$d" -gt 0 ] && files=$((files + 1)) && n=$((n + d))
        done
        say "measure: $cfg: $n changed lines in $files of $(c_sources | wc -l) files"
    done
    exit 0
fi

for s in $STEPS; do
    t0=$(date +%s)
    case $s in
    format | clang | cppcheck | tidy | size) "step_$s" ;;
    *) say "unknown step '$s' (steps: format clang cppcheck tidy size)"; exit 2 ;;
    esac
    say "$s: $(($(date +%s) - t0)) s"
done

if [ -n "$FAILED" ]; then
    say "FAILED:$FAILED (details above; logs in $OUT/)"
    exit 1
fi
say "all clean ($STEPS)"
