# SPDX-License-Identifier: GPL-3.0-or-later
# ---- green: 3-30-300 on a synthetic city (1 M buildings, 2 M trees; deterministic) ----
# (section of the green analysis, moved here from the old single run_bench.sh)
if [ "$BENCH_QUICK" != 1 ]; then
  if [ -x "$BENCH_DIR/bench_green" ]; then
    echo "== bench_green (platsa green's library path, stage times and peak RSS)"
    "$BENCH_DIR/bench_green" --write "$BENCH_DIR/bench_green.gpkg" | tee "$OUT_DIR/green.txt"
    note 40_green "## green (3-30-300), bench_green"
    note 40_green ""
    note 40_green '```'
    note 40_green "$(cat "$OUT_DIR/green.txt")"
    note 40_green '```'
  else
    echo "green: $BENCH_DIR/bench_green not built (make bench builds it)"
  fi
fi
# ---- end green ----
