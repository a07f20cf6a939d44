# SPDX-License-Identifier: GPL-3.0-or-later
# ---- platsa access (analyses/access/) on the synthetic regions ----
# `platsa -v access` (car, every RSP type present: 7) on synth S, M and L, with 1 km squares
# and 250 m cells: wall clock and peak memory (/usr/bin/time), each stage's share from the
# timings line platsa -v prints. Goal on L (all of Sweden): under 30 s and 2 GiB.
# Runs: S and M 5, L 3 (median); also L 250 m with a warm graph cache (--graph-cache), 3 runs.
if [ "$BENCH_QUICK" = 1 ]; then ACCESS_SIZES="S"; else ACCESS_SIZES="S M L"; fi
A=$OUT_DIR/access
mkdir -p "$A"
note 30_access "## platsa access: stages"
note 30_access ""
note 30_access "Median seconds of each stage (wall clock; in brackets its share of the total), then the median CPU seconds of the whole run (both threads). load = reading the GeoPackage layers; graph = building the road graph (or reading the cache); snap = attaching cells and services to the roads; search = 2 searches (distance, time) x k=2 per service type, on 2 threads (a group type analysed with all its members, grocery = grocery_full + grocery_partial, is merged from their answers: 12 searches for the 7 RSP types); summaries = municipality statistics; write = the output GeoPackage (2 cell layers, municipality layer and table, styles, metadata)."
note 30_access ""
note 30_access "| size | cells | units | runs | load | graph | snap | search | summaries | write | total | CPU s | peak MB |"
note 30_access "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
access_run() { # SIZE CELLS RUNS [cache]
  access_load=$(load_now)
  f=$WORK/synth_$1_$2.gpkg
  t=$A/$1_$2${4:+_warm}
  : >"$t"
  : >"$t.log"
  cache_opt=""
  if [ -n "${4:-}" ]; then
    cache_opt="--graph-cache $A/graph_$1.cache"
    "$PLATSA" -q access -p "$f:population" -s "$f:services" -r "$f:roads" -m "$f:municipalities" \
      -o "$A/out_$1_$2.gpkg" --overwrite $cache_opt >/dev/null 2>&1 || true
  fi
  for i in $(seq "$3"); do
    timed "$t" "$PLATSA" -v access -p "$f:population" -s "$f:services" -r "$f:roads" -m "$f:municipalities" \
      -o "$A/out_$1_$2.gpkg" --overwrite $cache_opt || echo "bench: platsa access failed on $1 $2 (see $t.log)"
  done
  wall=$(field 1 "$t" | median)
  peak=$(field 2 "$t" | median)
  units=$(grep -o 'platsa access: [0-9]* units' "$t.log" | head -1 | awk '{ print $3 }')
  row="| $1 | $2${4:+, warm graph cache} | $units | $3 |"
  for key in load graph snap search summaries write total; do
    v=$(grep '^timings' "$t.log" | sed 's/.*(s): //; s/ (cache)//' | tr ' ' '\n' | awk -v k="$key" 'p { print; p = 0 } $0 == k { p = 1 }' | median)
    if [ "$key" = total ]; then tot=$v; row="$row $v |"
    else eval "st_$key=\$v"; fi
  done
  for key in load graph snap search summaries write; do
    eval "v=\$st_$key"
    row="$row $v ($(awk -v a="$v" -v b="$tot" 'BEGIN { printf "%.0f %%", (b > 0 ? 100 * a / b : 0) }')) |"
  done
  # reorder: the total goes last
  row=$(echo "$row" | awk -F'|' '{ printf "|%s|%s|%s|%s|", $2, $3, $4, $5; for (i = 7; i <= 12; i++) printf "%s|", $i; printf "%s|", $6 }')
  cpu=$(grep '^cpu (s)' "$t.log" | sed 's/.*total //' | median)
  note 30_access "$row $cpu | $peak |"
  ACCESS_WALL=$wall
  ACCESS_PEAK=$peak
  # for 35_access_goals: "wall peak cpu load" (cpu: user + system of the process, /usr/bin/time)
  ACCESS_FIGS="$wall $peak $(field 3 "$t" | median) $access_load"
}
for size in $ACCESS_SIZES; do
  runs=5; [ "$size" = L ] && runs=3
  for cells in 1km 250m; do
    echo "access: $size $cells ($runs runs)"
    access_run "$size" "$cells" "$runs"
    if [ "$size" = L ]; then
      goal="<= 30 s, <= 2048 MB"
      res=$( [ "$(pass_fail "$ACCESS_WALL" 30)" = PASS ] && [ "$(pass_fail "$ACCESS_PEAK" 2048)" = PASS ] && echo PASS || echo FAIL)
    else goal=""; res=""; fi
    bench_row "platsa access, car, $cells cells (load, search 7 types, write)" "$size" "$ACCESS_WALL" "$ACCESS_PEAK" \
      "" "" "" "" "$goal" "$res"
    [ "$size$cells" = L250m ] && ACCESS_L250_COLD=$ACCESS_FIGS
    if [ "$size" = L ] && [ "$cells" = 250m ]; then
      echo "access: $size $cells, warm graph cache (3 runs)"
      access_run "$size" "$cells" 3 warm
      ACCESS_L250_WARM=$ACCESS_FIGS
      res=$( [ "$(pass_fail "$ACCESS_WALL" 30)" = PASS ] && [ "$(pass_fail "$ACCESS_PEAK" 2048)" = PASS ] && echo PASS || echo FAIL)
      bench_row "same, warm graph cache" "$size" "$ACCESS_WALL" "$ACCESS_PEAK" "" "" "" "" "$goal" "$res"
    fi
  done
  rm -f "$A"/graph_*.cache
done
# ---- end access ----
