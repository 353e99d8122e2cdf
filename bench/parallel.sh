#!/bin/sh
# Parallel flashing on the virtual farm: bench/parallel.py (docs/benchmarks.md, "Many boards").
set -eu
exec python3 "$(dirname "$0")/parallel.py" "$@"
