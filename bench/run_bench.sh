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
  # Real street networks (small, for the re-scan ratio and snapping on real geometry).
  SHARED=${PLATSA_SHARED:-../shared}/real-data
  for spec in "osm-monaco-amager-osrm/monaco.osm.pbf car" "osm-lund-oslo-otp/oslo-east-filtered.osm.pbf walk"; do
    set -- $spec
    if [ -f "$SHARED/$1" ]; then
      gpkg="$OUT_DIR/$(basename "$1" .osm.pbf).gpkg"
      "$PLATSA" -q import-osm "$SHARED/$1" -o "$gpkg" --overwrite >/dev/null 2>&1 &&
        { echo "== routing: $(basename "$1") ($2) =="
          "$BENCH_DIR/bench_routing" --runs 5 --roads "$gpkg:roads" --mode "$2" --facilities 100 \
            --origins 50000 | tee -a "$OUT_DIR/routing.txt"; }
    fi
  done
else
  echo "routing: $BENCH_DIR/bench_routing not built (make bench builds it)"
fi
# ---- end routing ----

# ---- green: 3-30-300 on a synthetic city (1 M buildings, 2 M trees; deterministic) ----
echo "== bench_green (platsa green's library path, stage times and peak RSS)"
"$BENCH_DIR/bench_green" --write "$BENCH_DIR/bench_green.gpkg"

# ---- stores, coverage, scenario (analyses/stores.c, coverage*.c, scenario*.c) ----
# National scale: platsa synth --size L when the synth command is available (bench/work/
# synth_L_1km.gpkg, made by bench/synth_L.sh), else the synthetic grid region of
# bench/bench_stores.c (2 M road nodes, 250,000 units, 6,000 grocery stores). Goals: every
# store's figures < 10 s beyond the access run; 50 new hubs from 20,000 candidates < 10 s;
# close 10 + add 10 grocery stores < 1 s beyond loading (incremental, checked against a full
# re-run). Wall and process CPU seconds are printed. Results in $OUT_DIR/stores.txt.
if [ -x "$BENCH_DIR/bench_stores" ]; then
  SYNTH_L=${SYNTH_L:-bench/work/synth_L_1km.gpkg}
  mkdir -p "$(dirname "$SYNTH_L")"
  if [ ! -f "$SYNTH_L" ] && "$PLATSA" synth --help >/dev/null 2>&1 && \
     "$PLATSA" -q synth --size L --seed 1 --cells 1km -o "$SYNTH_L" --overwrite >/dev/null 2>&1; then
    echo "made $SYNTH_L"
  fi
  if [ -f "$SYNTH_L" ]; then
    echo "== stores / coverage / scenario: $SYNTH_L =="
    "$BENCH_DIR/bench_stores" --gpkg "$SYNTH_L" | tee "$OUT_DIR/stores.txt"
  else
    echo "== stores / coverage / scenario: synthetic grid (no synth L GeoPackage) =="
    "$BENCH_DIR/bench_stores" | tee "$OUT_DIR/stores.txt"
  fi
else
  echo "stores: $BENCH_DIR/bench_stores not built (make bench builds it)"
fi
# ---- end stores ----
