#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Prints the results table and writes BENCHMARKS.md: the hand-written intro
# (bench/BENCHMARKS.intro.md), the machine and its load, the table, then each section's notes;
# then each section that keeps its own table (own_table, bench/lib.sh) as a block between
# markers: its title, when it was measured, its table and its notes.
# usage: sh bench/report.sh OUT_DIR OUT.md
#   OUT_DIR: rows/<section>.tsv (bench_row), notes/<section>.md (note), own/<section> (own_table)
#   BENCH_ONLY set: OUT.md must exist; only the blocks of the sections run are replaced (or
#   appended when missing), every other byte of OUT.md is kept.
set -e
DIR=$1
MD=$2
HEAD='task	size	platsa s	platsa peak MB	peer	peer s	peer peak MB	peer/platsa	agreement (peer vs platsa)	goal	result'
is_own() { [ -f "$DIR/own/$1" ]; }
# rows of the main table (sections without a table of their own), or of one section
main_rows() {
  for f in "$DIR"/rows/*.tsv; do
    [ -f "$f" ] || continue
    is_own "$(basename "$f" .tsv)" || cat "$f"
  done
}
print_table() { # rows on stdin, to the terminal
  { echo "$HEAD"; cat; } | awk -F'\t' '
    { for (i = 1; i <= NF; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } n = NR; nf = NF }
    END { for (r = 1; r <= n; r++) { line = ""; for (i = 1; i <= nf; i++) line = line sprintf("%-*s  ", (i == 9 ? 0 : w[i]), c[r, i]); print line } }'
}
md_table() { # rows on stdin, as markdown
  echo "$HEAD" | awk -F'\t' '{ s = "|"; t = "|"; for (i = 1; i <= NF; i++) { s = s " " $i " |"; t = t " --- |" } print s; print t }'
  awk -F'\t' '{ s = "|"; for (i = 1; i <= NF; i++) { v = $i; if (i == 11 && v == "FAIL") v = "**FAIL**"; s = s " " v " |" } print s }'
}
commit=$(git describe --always --dirty 2>/dev/null || echo '?')
block() { # SECTION: its block, markers included
  n=$1
  echo "<!-- bench section $n: written by bench/report.sh (make bench, or BENCH_ONLY=$n make bench), not by hand -->"
  echo "## $(cat "$DIR/own/$n")"
  echo
  if [ -n "${BENCH_ONLY:-}" ]; then
    echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit, by \`BENCH_ONLY=$n make bench\`, apart from the full run above, ${BENCH_MINUTES:-?} minutes; load average (1 min) at the start ${BENCH_LOAD_START:-?}, at the end ${BENCH_LOAD_END:-?}."
  else
    echo "Measured in the full run above (its date and commit; the load when this section started is under \"Load during the run\")."
  fi
  echo
  md_table <"$DIR/rows/$n.tsv"
  echo
  if [ -f "$DIR/notes/$n.md" ]; then
    cat "$DIR/notes/$n.md"
    echo
  fi
  echo "<!-- end bench section $n -->"
}

echo
main_rows | print_table
for o in "$DIR"/own/*; do
  [ -f "$o" ] || continue
  echo
  echo "$(cat "$o"):"
  print_table <"$DIR/rows/$(basename "$o").tsv"
done

HAND_MARK='<!-- measured by hand: bench/BENCHMARKS.osm_import.md, kept as written -->'
hand_part() {
  if [ -f bench/BENCHMARKS.osm_import.md ]; then
    echo "$HAND_MARK"
    cat bench/BENCHMARKS.osm_import.md
    echo
  fi
}
if [ -n "${BENCH_ONLY:-}" ]; then
  [ -f "$MD" ] || { echo "report: $MD missing: BENCH_ONLY rewrites the blocks of an existing file"; exit 2; }
  for f in "$DIR"/rows/*.tsv; do
    [ -f "$f" ] || continue
    is_own "$(basename "$f" .tsv)" ||
      { echo "report: BENCH_ONLY=$(basename "$f" .tsv): that section has no block of its own (own_table); run the full bench"; exit 2; }
  done
  tmp="$MD.tmp.$$"
  cp "$MD" "$tmp"
  : >"$DIR/new_blocks.md"
  for o in "$DIR"/own/*; do
    [ -f "$o" ] || continue
    n=$(basename "$o")
    block "$n" >"$DIR/block_$n.md"
    if grep -q "^<!-- bench section $n: " "$tmp"; then
      awk -v n="$n" -v bf="$DIR/block_$n.md" '
        index($0, "<!-- bench section " n ": ") == 1 { while ((getline l < bf) > 0) print l; skip = 1; next }
        skip && $0 == "<!-- end bench section " n " -->" { skip = 0; next }
        !skip { print }' "$tmp" >"$tmp.2"
      mv "$tmp.2" "$tmp"
    else
      { cat "$DIR/block_$n.md"; echo; } >>"$DIR/new_blocks.md"
    fi
  done
  # the hand-written part stays last (a file written before the marker existed has its title)
  {
    awk -v m="$HAND_MARK" '$0 == m || $0 == "## National OSM import" { exit } { print }' "$tmp"
    cat "$DIR/new_blocks.md"
    hand_part
  } >"$tmp.2"
  rm -f "$tmp"
  mv "$tmp.2" "$MD"
  exit 0
fi

cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
tmp="$MD.tmp.$$"
{
  cat bench/BENCHMARKS.intro.md
  echo
  echo "## This run"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit, $([ "$BENCH_QUICK" = 1 ] && echo 'BENCH_QUICK=1' || echo 'full run'), ${BENCH_MINUTES:-?} minutes."
  echo "Machine: $cpu, $(nproc) cores, $mem; Debian $(cat /etc/debian_version); GDAL $(gdal-config --version 2>/dev/null), GEOS $(geos-config --version 2>/dev/null)."
  echo "Load average (1 min) at the start ${BENCH_LOAD_START:-?}, at the end ${BENCH_LOAD_END:-?} (2 cores shared with other work: see the notes on how this disturbs wall-clock figures)."
  echo
  echo "## Results"
  echo
  main_rows | md_table
  echo
  for f in "$DIR"/notes/*.md; do
    [ -f "$f" ] || continue
    is_own "$(basename "$f" .md)" && continue
    cat "$f"
    echo
  done
  for o in "$DIR"/own/*; do
    [ -f "$o" ] || continue
    block "$(basename "$o")"
    echo
  done
  hand_part
} >"$tmp"
mv "$tmp" "$MD"
