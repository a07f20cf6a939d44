#!/bin/sh
# Benchmarks: see BENCHMARKS.md. Each section appends to the table.
set -e
echo "no benchmarks yet"

# ---- green: 3-30-300 on a synthetic city (1 M buildings, 2 M trees; deterministic) ----
BENCH_DIR=$(dirname "${1:-build/platsa}")/bench
echo "== bench_green (platsa green's library path, stage times and peak RSS)"
"$BENCH_DIR/bench_green" --write "$BENCH_DIR/bench_green.gpkg"
