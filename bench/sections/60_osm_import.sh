# SPDX-License-Identifier: GPL-3.0-or-later
# ---- national OSM import (issue 17, section 4), then platsa access from that import ----
# SYNTHETIC roads: the roads of synth L (all of Sweden, 3.7 M ways) written as OSM by
# bench/synth_to_osm.c and converted to PBF with osmium; bench/osm_import_bench.sh times
# `platsa import-osm` (1 run; wall, CPU, peak, the load while it ran). Goal (issue 17):
# <= 3 min and <= 4 GB on this 2-core machine.
# Peers on the same file: GDAL's ogr2ogr (OSM driver, ~7 min) and osm2pgrouting (~75 min)
# run only with BENCH_SLOW_PEERS=1 (a full bench then takes well over an hour). Otherwise
# their rows show the last figure measured, kept in bench/osm_import_peers.tsv (rewritten by
# a completed slow run), in brackets and labelled with its date and commit: not this run's.
# Then `platsa access` (car, every RSP type present: 7) with the imported roads and synth L's
# population, services and municipalities, 1 km and 250 m cells, 3 runs each (median), and
# its answers compared cell by cell with the same command on synth L's own roads (30_access.sh's
# output, or one run made here when 30_access did not run: BENCH_ONLY=60_osm_import).
# Its rows and notes form their own block of BENCHMARKS.md (own_table). Skipped with BENCH_QUICK=1.
if [ "$BENCH_QUICK" != 1 ]; then
  own_table 60_osm_import "National OSM import, and platsa access from it (SYNTHETIC roads)"
  for cells in 1km 250m; do
    f=$WORK/synth_L_$cells.gpkg
    if [ ! -f "$f" ]; then
      echo "bench: generating $f (platsa synth --size L --cells $cells)"
      "$PLATSA" -q synth --size L --seed 1 --cells "$cells" -o "$f" --overwrite >"$f.log" 2>&1
    fi
  done
  OSMW=$WORK/osm
  PEERS_FILE=bench/osm_import_peers.tsv
  osm_tools=platsa
  [ "${BENCH_SLOW_PEERS:-0}" = 1 ] && osm_tools="platsa ogr2ogr osm2pgrouting"
  echo "osm import: $osm_tools (log $OUT_DIR/osm_import.log)"
  PEERS_FILE=$PEERS_FILE sh bench/osm_import_bench.sh "$PLATSA" "$OSMW" "$osm_tools" "$WORK/synth_L_1km.gpkg" \
    >"$OUT_DIR/osm_import.log" 2>&1 || echo "bench: osm_import_bench.sh failed (see $OUT_DIR/osm_import.log)"
  # osm_get TOOL FIELD FILE: one field of TOOL's line (tool wall cpu mb exit load date commit output)
  # (empty when the file is missing: no peer measured yet)
  osm_get() { [ -f "$3" ] || return 0; awk -F'\t' -v t="$1" -v n="$2" '$1 == t { v = $n } END { print v }' "$3"; }
  R=$OSMW/results.tsv
  imp_wall=$(osm_get platsa 2 "$R")
  imp_cpu=$(osm_get platsa 3 "$R")
  imp_mb=$(osm_get platsa 4 "$R")
  imp_rc=$(osm_get platsa 5 "$R")
  imp_load=$(osm_get platsa 6 "$R")
  imp_edges=$(sqlite3 "$OSMW/platsa.gpkg" 'SELECT COUNT(*) FROM roads' 2>/dev/null || echo '?')
  imp_vert=$(sqlite3 "$OSMW/platsa.gpkg" 'SELECT COUNT(*) FROM (SELECT source FROM roads UNION SELECT target FROM roads)' 2>/dev/null || echo '?')
  osm_ways=$(grep -o 'Number of ways: [0-9]*' "$OUT_DIR/osm_import.log" | awk '{ print $4 }')
  osm_nodes=$(grep -o 'Number of nodes: [0-9]*' "$OUT_DIR/osm_import.log" | awk '{ print $4 }')
  if [ "$imp_rc" = 0 ]; then
    imp_res=$( [ "$(pass_fail "$imp_wall" 180)" = PASS ] && [ "$(pass_fail "$imp_mb" 4096)" = PASS ] && echo PASS || echo FAIL)
  else imp_res=FAIL; imp_wall=${imp_wall:--}; fi
  IMP_TASK="platsa import-osm, national PBF (SYNTHETIC roads: synth L as OSM, $osm_ways ways, $osm_nodes nodes) to roads with source/target; CPU ${imp_cpu:-?} s, load ${imp_load:-?}"
  bench_row "$IMP_TASK" "L (Sweden)" "$imp_wall" "$imp_mb" "" "" "" \
    "$imp_edges edges, $imp_vert vertices (exit ${imp_rc:-?})" "<= 180 s, <= 4096 MB" "$imp_res"
  for peer in ogr2ogr osm2pgrouting; do
    case $peer in
      ogr2ogr) plabel="GDAL $(gdal-config --version 2>/dev/null) ogr2ogr, OSM driver lines to GPKG" ;;
      osm2pgrouting) plabel="osm2pgrouting $(dpkg-query -W -f='${Version}' osm2pgrouting 2>/dev/null | sed 's/-.*//') (OSM XML) into PostgreSQL 15 + PostGIS; peak excludes the server" ;;
    esac
    # measured now only when this run ran it (results.tsv may hold an older run's line)
    case " $osm_tools " in *" $peer "*) src=$R ;; *) src=$PEERS_FILE ;; esac
    pw=$(osm_get "$peer" 2 "$src")
    if [ -z "$pw" ]; then
      bench_row "same, peer on the same file" "L (Sweden)" "$imp_wall" "$imp_mb" "$plabel: not measured yet (BENCH_SLOW_PEERS=1)" "" "" "" "" ""
      continue
    fi
    pcpu=$(osm_get "$peer" 3 "$src")
    pmb=$(osm_get "$peer" 4 "$src")
    prc=$(osm_get "$peer" 5 "$src")
    pload=$(osm_get "$peer" 6 "$src")
    pout=$(osm_get "$peer" 9 "$src")
    if [ "$src" = "$R" ]; then
      plabel="$plabel; CPU $pcpu s, load $pload, exit $prc"
    else
      # an earlier run's figure: in brackets, so no ratio is taken against this run's platsa
      plabel="$plabel; NOT THIS RUN: last measured $(osm_get "$peer" 7 "$src") at commit $(osm_get "$peer" 8 "$src") (CPU $pcpu s, load $pload, exit $prc; BENCH_SLOW_PEERS=1 measures again)"
      pw="($pw)"
      pmb="($pmb)"
    fi
    pn=$(printf '%s\n' "$pout" | grep -o '\(ways table\|lines layer\): [0-9]*' | head -1 | awk '{ print $3 }')
    pv=$(printf '%s\n' "$pout" | grep -o '[0-9]* vertices' | head -1 | awk '{ print $1 }')
    case $peer in
      ogr2ogr) agree="$pn lines, no node ids (no topology); platsa $imp_edges pieces" ;;
      osm2pgrouting)
        agree="$pn edges, $pv vertices; platsa $imp_edges, $imp_vert"
        [ "$pn" = "$imp_edges" ] && [ "$pv" = "$imp_vert" ] && agree="same graph size: $agree"
        printf '%s\n' "$pout" | grep -q 'server CPU' && agree="$agree; $(printf '%s\n' "$pout" | grep -o 'PostgreSQL server CPU [0-9.]* s')" ;;
    esac
    [ "$prc" = 0 ] || { agree="INCOMPLETE run (exit $prc): $pout"; pw="${pw#(}"; pw="(${pw%)}, incomplete)"; }
    bench_row "same, peer on the same file" "L (Sweden)" "$imp_wall" "$imp_mb" "$plabel" "$pw" "$pmb" "$agree" "" ""
  done

  # platsa access from the import. access_cells compared with 30_access.sh's output on synth
  # L's own roads: every distance (km) and time (min) column, nearest and second, per cell.
  A=$OUT_DIR/access
  mkdir -p "$A"
  note 60_osm_import "## platsa access from the national import"
  note 60_osm_import ""
  note 60_osm_import "\`platsa -v access\` (car, 7 RSP types) with the roads \`platsa import-osm\` wrote from the national PBF (SYNTHETIC: synth L's roads as OSM) and synth L's population, services and municipalities; 3 runs, median. Compared cell by cell with the same command on synth L's own roads: the OSM round trip keeps every road and junction (junction ids become node ids; ways are not split further, as the synthetic roads already end at junctions), but moves each vertex to OSM's 1e-7 degree grid (about 1 cm), so lengths and times can differ in the last printed digit."
  note 60_osm_import ""
  note 60_osm_import "| cells | units | graph (car) | wall s | CPU s | peak MB | cells equal | differ by rounding only | differ by more | largest difference | nearest service differs | municipality table (CSV twin): numbers differing |"
  note 60_osm_import "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  osm_beyond=""
  for cells in 1km 250m; do
    f=$WORK/synth_L_$cells.gpkg
    t=$A/import_L_$cells
    osm_out=$A/out_import_L_$cells.gpkg  # not "out": timed (bench/lib.sh) sets that
    : >"$t"
    : >"$t.log"
    echo "access from the import: L $cells (3 runs)"
    if [ -f "$OSMW/platsa.gpkg" ] && [ "$imp_rc" = 0 ]; then
      for i in 1 2 3; do
        timed "$t" "$PLATSA" -v access -p "$f:population" -s "$f:services" -r "$OSMW/platsa.gpkg:roads" \
          -m "$f:municipalities" -o "$osm_out" --overwrite || echo "bench: platsa access from the import failed (see $t.log)"
      done
    fi
    wall=$(field 1 "$t" | median)
    peak=$(field 2 "$t" | median)
    cpu=$(grep '^cpu (s)' "$t.log" | sed 's/.*total //' | median)
    units=$(grep -o 'platsa access: [0-9]* units' "$t.log" | head -1 | awk '{ print $3 }')
    graph=$(grep '^graph (car)' "$t.log" | head -1 | sed 's/^graph (car): //; s/, [0-9]* components.*//')
    ref=$A/out_L_$cells.gpkg
    if [ ! -s "$OUT_DIR/rows/30_access.tsv" ]; then
      echo "access on synth L's own roads, $cells (the reference; 30_access did not run)"
      ref=$A/ref_L_$cells.gpkg
      "$PLATSA" -q access -p "$f:population" -s "$f:services" -r "$f:roads" -m "$f:municipalities" \
        -o "$ref" --overwrite >"$ref.log" 2>&1 || echo "bench: platsa access on synth L's roads failed (see $ref.log)"
    fi
    agree="no reference run on synth roads"
    if [ -f "$ref" ] && [ -f "$osm_out" ]; then
      cmpf=$A/import_L_$cells.compare
      $PY bench/compare_access_cells.py "$ref" "$osm_out" >"$cmpf" 2>&1 || true
      agree=$(head -1 "$cmpf")
      note 60_osm_import "| $cells | $units | $graph | $wall | $cpu | $peak | $(kv equal "$agree") of $(kv cells "$agree") | $(kv rounding "$agree") | $(kv beyond "$agree") | $(kv max_km "$agree") km, $(kv max_min "$agree") min | $(kv id_differs "$agree") cells ($(kv id_ties "$agree") ties) | $(kv muni_differ "$agree") of $(kv muni_values "$agree") (means, shares at most $(kv muni_max "$agree"); people per band at most $(kv muni_pop "$agree")) |"
      b3=$(sed -n 3p "$cmpf" | sed 's/^cells beyond rounding: //')
      [ -z "$b3" ] || osm_beyond="$osm_beyond${osm_beyond:+; }$cells: $b3"
      agree=$(sed -n 2p "$cmpf")
    else
      note 60_osm_import "| $cells | $units | $graph | $wall | $cpu | $peak | - | - | - | - | - | - |"
    fi
    res=$( [ "$(pass_fail "$wall" 30)" = PASS ] && [ "$(pass_fail "$peak" 2048)" = PASS ] && echo PASS || echo FAIL)
    bench_row "platsa access from the national import, car, $cells cells (SYNTHETIC roads via OSM; CPU ${cpu:-?} s)" "L" \
      "$wall" "$peak" "same on synth L's own roads" "" "" "$agree" "<= 30 s, <= 2048 MB" "$res"
  done
  note 60_osm_import ""
  note 60_osm_import "Differences by rounding: lengths move by millimetres, and a sum of lengths rounded to whole metres (or minutes to 0.01) then lands on the other side of a half in its last digit. Differences beyond rounding come from ties: a cell whose centroid lies as near (to the millimetre) to two streets of the synthetic grid attaches to the one that the centimetre shift made nearer (seed 1, 1 km: cell 5190006542000 is 8.239 m and 8.244 m from two streets on synth L's roads, 8.2404 m and 8.2411 m after the round trip; every distance from it changes by about 43 m; at 250 m, cell 4352506396500 is 37.6569 m from three pieces of one street and 37.6587 m from another, the other way round after the trip, and its distances change by up to 168 m). The nearest service differs where two services are at the same printed distance or time (a tie the millimetres tip), or in a cell that attached elsewhere. In the municipality table (the CSV twin) a mean or share changes in its last digit, and a cell that crosses a distance band's edge by a metre moves its people to the next band. ${osm_beyond:+Cells beyond rounding in this run: $osm_beyond.}"
fi
# ---- end national OSM import ----
