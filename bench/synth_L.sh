#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# platsa synth at national scale (size L, all of Sweden): generation and writing time, peak
# memory (getrusage, printed by platsa), road nodes/edges and services per type.
# Usage: sh bench/synth_L.sh [PLATSA] [OUTDIR]   (run from the repository root)
# The L run is kept out of `make test`; `make bench` can call this script.
set -e
PLATSA=${1:-build/platsa}
OUT=${2:-bench/work}
mkdir -p "$OUT"
for cells in 1km 250m; do
  echo "== platsa synth --size L --seed 1 --cells $cells"
  start=$(date +%s)
  "$PLATSA" -q synth --size L --seed 1 --cells "$cells" -o "$OUT/synth_L_$cells.gpkg" --overwrite \
    | grep -v '^    ' | tee "$OUT/synth_L_$cells.txt"
  end=$(date +%s)
  echo "wall clock $((end - start)) s, file $(du -m "$OUT/synth_L_$cells.gpkg" | cut -f1) MiB"
done
