# SPDX-License-Identifier: GPL-3.0-or-later
# ---- stores, coverage, scenario (analyses/stores/, analyses/coverage/, analyses/scenario/) ----
# (section of the stores analysis, moved here from the old single run_bench.sh)
# National scale: platsa synth --size L (bench/work/synth_L_1km.gpkg, made by 00_setup or
# bench/synth_L.sh), else the synthetic grid region of bench/bench_stores.c (2 M road nodes,
# 250,000 units, 6,000 grocery stores). Goals: every store's figures < 10 s beyond the access
# run; 50 new hubs from 20,000 candidates < 10 s; close 10 + add 10 grocery stores < 1 s
# beyond loading (incremental, checked against a full re-run). Wall and process CPU seconds
# are printed. Results in $OUT_DIR/stores.txt.
if [ "$BENCH_QUICK" != 1 ]; then
  if [ -x "$BENCH_DIR/bench_stores" ]; then
    SYNTH_L=${SYNTH_L:-$WORK/synth_L_1km.gpkg}
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
    note 50_stores "## stores, coverage, scenario (bench_stores)"
    note 50_stores ""
    note 50_stores '```'
    note 50_stores "$(cat "$OUT_DIR/stores.txt")"
    note 50_stores '```'
  else
    echo "stores: $BENCH_DIR/bench_stores not built (make bench builds it)"
  fi
fi
# ---- end stores ----
