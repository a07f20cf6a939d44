#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Prints the results table and writes BENCHMARKS.md: the hand-written intro
# (bench/BENCHMARKS.intro.md), the machine and its load, the table, then each section's notes.
# usage: sh bench/report.sh RESULTS.tsv NOTES_DIR OUT.md
set -e
RESULTS=$1
NOTES=$2
MD=$3
HEAD='task	size	platsa s	platsa peak MB	peer	peer s	peer peak MB	peer/platsa	agreement (peer vs platsa)	goal	result'
echo
{ echo "$HEAD"; cat "$RESULTS"; } | awk -F'\t' '
  { for (i = 1; i <= NF; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } n = NR; nf = NF }
  END { for (r = 1; r <= n; r++) { line = ""; for (i = 1; i <= nf; i++) line = line sprintf("%-*s  ", (i == 9 ? 0 : w[i]), c[r, i]); print line } }'
cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
{
  cat bench/BENCHMARKS.intro.md
  echo
  echo "## This run"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $([ "$BENCH_QUICK" = 1 ] && echo 'BENCH_QUICK=1' || echo 'full run'), ${BENCH_MINUTES:-?} minutes."
  echo "Machine: $cpu, $(nproc) cores, $mem; Debian $(cat /etc/debian_version); GDAL $(gdal-config --version 2>/dev/null), GEOS $(geos-config --version 2>/dev/null)."
  echo "Load average (1 min) at the start ${BENCH_LOAD_START:-?}, at the end ${BENCH_LOAD_END:-?} (2 cores shared with other work: see the notes on how this disturbs wall-clock figures)."
  echo
  echo "## Results"
  echo
  echo "$HEAD" | awk -F'\t' '{ s = "|"; t = "|"; for (i = 1; i <= NF; i++) { s = s " " $i " |"; t = t " --- |" } print s; print t }'
  awk -F'\t' '{ s = "|"; for (i = 1; i <= NF; i++) { v = $i; if (i == 11 && v == "FAIL") v = "**FAIL**"; s = s " " v " |" } print s }' "$RESULTS"
  echo
  for f in "$NOTES"/*.md; do
    [ -f "$f" ] || continue
    cat "$f"
    echo
  done
  # Measured by hand (bench/osm_import_bench.sh runs for most of an hour): kept as written.
  if [ -f bench/BENCHMARKS.osm_import.md ]; then
    cat bench/BENCHMARKS.osm_import.md
    echo
  fi
} >"$MD"
