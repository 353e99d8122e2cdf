#!/bin/sh
# Run one libFuzzer target of tests/fuzz (docs/fuzzing.md).
#
#   run.sh short BINDIR TARGET        what `make test` runs: the seed corpus, then a fixed
#                                     number of mutations from a fixed seed (deterministic,
#                                     whatever the machine's speed); nothing is kept
#   run.sh long  BINDIR TARGET [ARGS] what `make fuzz` runs: FUZZ_SECONDS (default 300) of
#                                     fuzzing that grows BINDIR/work/TARGET/corpus from run to
#                                     run; ARGS go to libFuzzer (e.g. -jobs=2)
#   run.sh repro BINDIR TARGET FILE   run the target once on FILE (a crash-* artifact)
#   run.sh build BUILDDIR             build the fuzz tree's targets (the main build's step);
#                                     a failure is reported here and by every fuzz_* test,
#                                     without stopping the rest of the build
#
# Findings are written to BINDIR/work/TARGET/ as crash-*, leak-*, timeout-* files.
set -eu
if [ "$1" = build ]; then
    log=$2/fuzzers.log
    if ! cmake --build "$2" --target fuzzers >"$log" 2>&1; then
        echo "run.sh: the fuzz tree did not build (the fuzz_* tests will fail); $log:" >&2
        grep -E ': (fatal )?error:' "$log" | head -20 >&2
    fi
    exit 0
fi
mode=$1 bin=$2 t=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
seeds=$here/corpus/$t
work=$bin/work/$t
fuzzer=$bin/fuzz_$t
if [ ! -x "$fuzzer" ]; then
    echo "run.sh: $fuzzer was not built; the fuzz tree's build log ($bin/../../fuzzers.log) says:" >&2
    grep -E ': (fatal )?error:' "$bin/../../fuzzers.log" 2>/dev/null | head -20 >&2
    exit 1
fi

# Largest input worth trying per target, and mutations per short run: a few seconds each on a
# loaded 2-core machine.
case $t in
hex)       max_len=4096;  runs=100000 ;;
elf)       max_len=16384; runs=20000 ;;
container) max_len=4096;  runs=150000 ;;
boot)      max_len=4096;  runs=10000 ;;
*) echo "run.sh: unknown target $t" >&2; exit 2 ;;
esac

mkdir -p "$work"
common="-max_len=$max_len -artifact_prefix=$work/ -print_final_stats=1"
case $mode in
short)
    # A throw-away output directory first (libFuzzer writes new inputs to the first one), so
    # the seed corpus in the tree is only read.
    rm -rf "$work/short"
    mkdir -p "$work/short"
    # -use_cmp=0: comparison feedback sees heap addresses, which vary from run to run; without
    # it the same inputs are tried every time.
    # shellcheck disable=SC2086
    exec "$fuzzer" $common -seed=1 -runs=$runs -use_cmp=0 "$work/short" "$seeds"
    ;;
long)
    mkdir -p "$work/corpus"
    # shellcheck disable=SC2086
    exec "$fuzzer" $common -max_total_time="${FUZZ_SECONDS:-300}" "$@" "$work/corpus" "$seeds"
    ;;
repro)
    exec "$fuzzer" "$@"
    ;;
*) echo "run.sh: mode is short, long or repro" >&2; exit 2 ;;
esac
