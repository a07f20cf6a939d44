#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Benchmarks: `make bench` (builds platsa and bench/*.c, then runs this). See BENCHMARKS.md.
# usage: sh bench/run_bench.sh [PATH/TO/platsa]     (from the repository root)
#   BENCH_QUICK=1   a short run: the routing anchor and size S only (a few minutes)
#   BENCH_ONLY="60_osm_import"  runs only the named sections that keep their own table (own_table,
#                   bench/lib.sh) and rewrites only their blocks of BENCHMARKS.md, the rest byte for byte
#   BENCH_SLOW_PEERS=1  also runs the national import's slow peers (ogr2ogr, osm2pgrouting: 1.5 h)
#   BENCH_ONLY=35_access_goals  issue 19's goals through the CLI alone (about 6 minutes)
# A full run or a BENCH_ONLY run ends by writing README.md's performance table from
# BENCHMARKS.md (bench/readme_table.sh).
#
# The sections in bench/sections/*.sh are sourced in name order; each adds rows to one
# results table (bench_row, bench/lib.sh) and may add a paragraph (note). Other analyses
# add their own section file (e.g. bench/sections/50_stores.sh) instead of editing this one.
# At the end the table is printed and written, with the notes, to BENCHMARKS.md (a full
# run) or to build/bench-results/BENCHMARKS.md (a quick run, so it does not replace the
# committed full results). Inputs are generated once and cached in bench/work/ (gitignored).
# Unlike `make test`, the benchmarks need the full real data outside the repository: the synthetic
# regions (platsa synth, up to all of Sweden) read $PLATSA_SHARED/real-data or ../shared/real-data.
set -e
PLATSA=${1:-build/platsa}
BENCH_DIR=$(dirname "$PLATSA")/bench
OUT_DIR=$(dirname "$PLATSA")/bench-results
WORK=${BENCH_WORK:-bench/work}
BENCH_QUICK=${BENCH_QUICK:-0}
BENCH_ONLY=${BENCH_ONLY:-}
mkdir -p "$OUT_DIR" "$WORK"
# each section's rows in rows/<section>.tsv (report.sh joins them)
rm -rf "$OUT_DIR/notes" "$OUT_DIR/rows" "$OUT_DIR/own" "$OUT_DIR/results.tsv"
mkdir -p "$OUT_DIR/rows"
. bench/lib.sh
BENCH_T0=$(date +%s)
BENCH_LOAD_START=$(load_now)
note zz_load "## Load during the run"
note zz_load ""
note zz_load "1-minute load average when each section started (2 cores; other work shares them) and its minutes:"
note zz_load ""
for section in bench/sections/*.sh; do
  name=$(basename "$section" .sh)
  if [ -n "$BENCH_ONLY" ]; then
    case " $BENCH_ONLY " in *" $name "*) ;; *) continue ;; esac
  fi
  RESULTS=$OUT_DIR/rows/$name.tsv
  : >"$RESULTS"
  l0=$(load_now)
  t0=$(date +%s)
  echo "== $name (load $l0) =="
  . "$section"
  note zz_load "- $name: load $l0 at the start, $(( ($(date +%s) - t0 + 30) / 60 )) min"
done
BENCH_LOAD_END=$(load_now)
BENCH_MINUTES=$(( ($(date +%s) - BENCH_T0 + 59) / 60 ))
if [ "$BENCH_QUICK" = 1 ]; then MD=$OUT_DIR/BENCHMARKS.md; else MD=BENCHMARKS.md; fi
export BENCH_LOAD_START BENCH_LOAD_END BENCH_MINUTES BENCH_QUICK BENCH_ONLY
sh bench/report.sh "$OUT_DIR" "$MD"
echo "bench: table written to $MD ($BENCH_MINUTES min)"
# README.md's performance table comes from the committed results (not from a quick run's)
if [ "$MD" = BENCHMARKS.md ]; then sh bench/readme_table.sh BENCHMARKS.md README.md; fi
