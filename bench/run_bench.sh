#!/bin/sh
# Benchmarks: see BENCHMARKS.md. Each section appends to the table.
# usage: sh bench/run_bench.sh [PATH/TO/platsa]   (run from the repository root, after `make bench`)
set -e
PLATSA=${1:-build/platsa}
BENCH_DIR=$(dirname "$PLATSA")/bench
OUT_DIR=$(dirname "$PLATSA")/bench-results
mkdir -p "$OUT_DIR"

# ---- routing (gis/graph_*.c) ----
# Anchor workload: 2,000,000-node jittered 150 m grid (~3.9 M edges), 3,000 facilities,
# 400,000 origins; nearest (k=1) and nearest + second nearest (k=2), median of 5 runs,
# one core. Goals: k=1 <= 0.6 s, k=2 <= 1.5 s. Results in $OUT_DIR/routing.txt.
if [ -x "$BENCH_DIR/bench_routing" ]; then
  echo "== routing: distance =="
  "$BENCH_DIR/bench_routing" --runs 5 --cache "$OUT_DIR/routing-graph.cache" | tee "$OUT_DIR/routing.txt"
  echo "== routing: time =="
  "$BENCH_DIR/bench_routing" --runs 5 --metric time | tee -a "$OUT_DIR/routing.txt"
  rm -f "$OUT_DIR/routing-graph.cache"
else
  echo "routing: $BENCH_DIR/bench_routing not built (make bench builds it)"
fi
# ---- end routing ----
