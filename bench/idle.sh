#!/bin/sh
# What one virtual board costs the host: bench/idle.py (docs/benchmarks.md, "Board cost").
set -eu
exec python3 "$(dirname "$0")/idle.py" "$@"
