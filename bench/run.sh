#!/bin/sh
# The f0boot benchmark on the virtual board (docs/benchmarks.md):
#   bench/run.sh [--runs N] [--quick] [--host-build DIR] [--out DIR] [--no-docs] [--only REGEX]
# Builds what it needs, runs every scenario, rewrites the table in docs/benchmarks.md and
# prints it last. Needs python3 (scripts/deps.sh installs it).
set -eu
exec python3 "$(dirname "$0")/run.py" "$@"
