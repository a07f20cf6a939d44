#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# make test-qgis: opens platsa GeoPackages in real QGIS (headless PyQGIS) and checks that
# every layer loads valid, styled from layer_styles, with Swedish aliases, and renders; then
# that their legends read as a planner's (tests/qgis/check_legends.py).
#
# usage: tests/qgis/run.sh SAMPLE_PROGRAM [GPKG...]
# Without GPKG: every demo-output/*.gpkg, plus two samples written through the writer by
# SAMPLE_PROGRAM (tests/qgis/sample_gpkg.c): one as the writer makes it, and one with an
# alias-only layer_styles row for its attribute table (the proposed writer change), checked
# with --strict-table-aliases: there the table's aliases must show in QGIS.
# Rendered PNGs go to build/test-qgis/png/.
set -u
SAMPLE=$1
shift
OUT=build/test-qgis
rm -rf "$OUT"
mkdir -p "$OUT/png"
PY=/usr/bin/python3   # Debian's PyQGIS is for the system Python, whatever python3 is on PATH
passed=0
failed=0

# check LOGNAME SCRIPT [its options and files]
check() {
  log="$OUT/$1.log"
  script=$2
  shift 2
  QT_QPA_PLATFORM=offscreen "$PY" "tests/qgis/$script" "$@" > "$log" 2>&1
  rc=$?
  grep -E '^(PASS|FAIL) ' "$log"
  summary=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$log")
  if [ -z "$summary" ]; then
    echo "$script ended without a summary (exit $rc):"
    tail -n 20 "$log"
    failed=$((failed + 1))
    return
  fi
  [ "$rc" -ne 0 ] && grep -vE '^(PASS|FAIL) |passed, .* failed' "$log" | tail -n 10
  set -- $summary
  passed=$((passed + $1))
  failed=$((failed + $2))
}

if [ "$#" -eq 0 ]; then
  for f in demo-output/*.gpkg; do
    [ -f "$f" ] && set -- "$@" "$f"
  done
  "$SAMPLE" "$OUT/sample.gpkg" && "$SAMPLE" "$OUT/sample_table_style.gpkg" --alias-table-style || {
    echo "cannot write the sample GeoPackages"; echo "0 passed, 1 failed"; exit 1; }
  set -- "$@" "$OUT/sample.gpkg" "$OUT/sample_table_style.gpkg"
  # The demo has no population run: its styled layers from Södermalm's buildings.
  if [ -f demo-output/sodermalm-layers.gpkg ]; then
    "${PLATSA:-build/platsa}" -q population --areas sample-data/sodermalm/statistikomraden.gpkg \
      --buildings demo-output/sodermalm-layers.gpkg:buildings --polygons -o "$OUT/sodermalm-population.gpkg" \
      --overwrite && set -- "$@" "$OUT/sodermalm-population.gpkg"
  fi
fi
# The writer gives attribute tables an alias-only default style, so their Swedish column
# names must show in QGIS like every other layer's.
check check check_styles.py --png-dir "$OUT/png" --strict-table-aliases "$@"
# The legends a planner reads: labels agree with the ranges drawn, the demo's labels as expected.
check legends check_legends.py "$@"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
