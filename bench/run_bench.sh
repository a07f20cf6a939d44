#!/bin/sh
# Benchmarks: `make bench` (builds platsa and bench/*.c, then runs this). See BENCHMARKS.md.
# usage: sh bench/run_bench.sh [PATH/TO/platsa]     (from the repository root)
#   BENCH_QUICK=1   a short run: the routing anchor and size S only (a few minutes)
#
# The sections in bench/sections/*.sh are sourced in name order; each adds rows to one
# results table (bench_row, bench/lib.sh) and may add a paragraph (note). Other analyses
# add their own section file (e.g. bench/sections/50_stores.sh) instead of editing this one.
# At the end the table is printed and written, with the notes, to BENCHMARKS.md (a full
# run) or to build/bench-results/BENCHMARKS.md (a quick run, so it does not replace the
# committed full results). Inputs are generated once and cached in bench/work/ (gitignored).
set -e
PLATSA=${1:-build/platsa}
BENCH_DIR=$(dirname "$PLATSA")/bench
OUT_DIR=$(dirname "$PLATSA")/bench-results
WORK=${BENCH_WORK:-bench/work}
BENCH_QUICK=${BENCH_QUICK:-0}
RESULTS=$OUT_DIR/results.tsv
mkdir -p "$OUT_DIR" "$WORK"
rm -rf "$OUT_DIR/notes" "$RESULTS"
. bench/lib.sh
BENCH_T0=$(date +%s)
BENCH_LOAD_START=$(load_now)
for section in bench/sections/*.sh; do
  echo "== $(basename "$section" .sh) (load $(load_now)) =="
  . "$section"
done
BENCH_LOAD_END=$(load_now)
BENCH_MINUTES=$(( ($(date +%s) - BENCH_T0 + 59) / 60 ))
if [ "$BENCH_QUICK" = 1 ]; then MD=$OUT_DIR/BENCHMARKS.md; else MD=BENCHMARKS.md; fi
export BENCH_LOAD_START BENCH_LOAD_END BENCH_MINUTES BENCH_QUICK
sh bench/report.sh "$RESULTS" "$OUT_DIR/notes" "$MD"
echo "bench: table written to $MD ($BENCH_MINUTES min)"
