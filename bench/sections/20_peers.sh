# SPDX-License-Identifier: GPL-3.0-or-later
# ---- routing peers: the same nearest-facility task in other tools, same data, same run ----
# Sizes: small (20k nodes, 30 facilities, 5,000 origins), medium (250k / 300 / 50,000),
# anchor (2 M / 3,000 / 400,000); all from bench_routing --export (00_setup). For each peer:
# its search time and its total from files, against platsa's search (bench_routing, median
# of 5) and platsa's end to end from the GeoPackage (median of 3); agreement = the largest
# difference in metres over the origins, and how many origins differ by more than 1e-6
# relative (a peer's wrong answers are a result, not a reason to leave it out).
# Runs: SciPy 3 (median), pgRouting 3 on small/medium and 1 on the anchor, GRASS, SpatiaLite
# and QGIS 1 (multi-minute); a peer that does not finish in 10 minutes is reported as such.
PEERS=bench/peers
PEER_LIMIT=${PEER_LIMIT:-600}
note 20_peers "## Peers"
note 20_peers ""
note 20_peers "Every peer solves the same nearest-facility problem on the same graph: platsa's graph, exported by \`bench_routing --export\` (node ids, edge lengths as stored), with a virtual super source linked to the facilities' attachment nodes (zero-cost edges where the peer allows them). SciPy: \`scipy.sparse.csgraph.dijkstra(indices=facilities, min_only=True)\` on a CSR matrix holding both directions (directed=True), edges read with numpy.loadtxt. pgRouting 3.4 (PostgreSQL 15, throw-away cluster, fsync off): \`pgr_dijkstraCost\` one-to-many and \`pgr_drivingDistance\` from the super source; load = \\copy of the CSV files; its search time includes building its graph from the edges query, which pgRouting does on every call. GRASS 8.2: \`v.in.ogr -t\` of the GeoPackage lines, \`v.net connect\` of the points, \`v.net.distance\`; GRASS's network library keeps edge costs as integers (the cost times 1000, lib/vector/Vlib/net_build.c), so each edge loses up to a millimetre and its distances come out a few centimetres short over a route: they differ from the exact ones by more than 1e-6 relative for nearly every origin, by design rather than by mistake. SpatiaLite 5.0.1: \`CreateRouting\` then the VirtualRouting \"within cost range\" query from the super source (zero costs are refused, so its edges carry 1 mm, subtracted again). QGIS 3.22: \`qgis_process run native:shortestpathlayertopoint\` from the origins to a virtual end point joined to the facilities by 1e9 km/h connectors, planar lengths (\`--ELLIPSOID=NONE\`; with the default ellipsoid, lengths are ellipsoidal and differ from the EPSG:3006 plane by the projection's scale factor, about 4e-4 here). Scripts: bench/peers/. Times: wall clock; peak memory: /usr/bin/time (the whole Python or qgis_process process), for pgRouting the server backend's VmHWM."
note 20_peers ""
note 20_peers "What the totals include: platsa's total starts from the GeoPackage of road lines and the facility and origin points (read the lines, build the graph, attach the points, search, write the answers: \`bench_routing --e2e\`). SciPy, pgRouting and SpatiaLite start from the graph platsa built, as CSV (node pairs and lengths) with the attachment of every point already done, so their totals leave out reading geometry, building the graph and attaching the points: where their total is lower than platsa's, that is the reason. GRASS and QGIS start from the same GeoPackage lines and points as platsa and build their own graphs: their totals compare like with like. \"search only\" is the search step of each tool on its own graph (platsa: bench_routing, k=1, median of 5)."
if [ "$BENCH_QUICK" = 1 ]; then PEER_SIZES="2M"; else PEER_SIZES="20k 250k 2M"; fi
size_label() { case $1 in 20k) echo "small 20k" ;; 250k) echo "medium 250k" ;; 2M) echo "anchor 2M" ;; esac; }
agreement() { # compare.py line -> short text
  l=$1
  [ -z "$l" ] && { echo "-"; return; }
  echo "max diff $(kv max_abs_m "$l") m (relative $(kv max_rel "$l")); $(kv differ "$l") of $(kv compared "$l") origins differ > 1e-6 rel$( [ "$(kv missing "$l")" != 0 ] && echo "; $(kv missing "$l") without answer")"
}
for gsize in $PEER_SIZES; do
  d=$WORK/grid-$gsize
  label=$(size_label "$gsize")
  P=$OUT_DIR/peers-$gsize
  mkdir -p "$P"
  # platsa: search and end to end on this size
  if [ "$gsize" = 2M ] && [ -n "${SEARCH_2M:-}" ]; then
    ps=$SEARCH_2M; pmb=$SEARCH_2M_MB; pe=$E2E_2M; pemb=$E2E_2M_MB
  else
    "$BENCH_DIR/bench_routing" $(grid_args "$gsize") --runs 5 --k 1 >"$P/platsa-search.txt"
    ps=$(awk '$1 == "k=1" { print $2 }' "$P/platsa-search.txt")
    pmb=$(awk '$1 == "k=1" { print $10 }' "$P/platsa-search.txt")
    : >"$P/platsa-e2e"
    for i in 1 2 3; do timed "$P/platsa-e2e" $ENGINE_ENV "$BENCH_DIR/bench_routing" --e2e "$d"; done
    pe=$(field 1 "$P/platsa-e2e" | median)
    pemb=$(field 2 "$P/platsa-e2e" | median)
  fi
  # peer_rows NAME SEARCH_S TOTAL_S PEAK_MB COMPARE_LINE
  peer_rows() {
    a=$(agreement "$5")
    bench_row "nearest facility: search only" "$label" "$ps" "$pmb" "$1" "$2" "$4" "$a" "" ""
    bench_row "nearest facility: total from files" "$label" "$pe" "$pemb" "$1" "$3" "$4" "$a" "" ""
  }
  # SciPy, 3 runs
  echo "peers: SciPy on $label"
  : >"$P/scipy"
  for i in 1 2 3; do
    /usr/bin/time -f 'PEAK %M' timeout "$PEER_LIMIT" $PY "$PEERS/scipy_nearest.py" "$d" >"$P/scipy.out" 2>&1 || true
    l=$(grep search_s= "$P/scipy.out" || true)
    [ -n "$l" ] && echo "$(kv search_s "$l") $(kv total_s "$l") $(awk '/PEAK/ { printf "%.0f", $2 / 1024 }' "$P/scipy.out")" >>"$P/scipy"
  done
  if [ -s "$P/scipy" ]; then
    peer_rows "SciPy 1.10 dijkstra(min_only)" "$(field 1 "$P/scipy" | median)" "$(field 2 "$P/scipy" | median)" \
      "$(field 3 "$P/scipy" | median)" "$(grep '^n=' "$P/scipy.out")"
  else
    bench_row "nearest facility" "$label" "$ps" "$pmb" "SciPy" "did not finish in $PEER_LIMIT s" "" "" "" ""
  fi
  # pgRouting
  runs=3; [ "$gsize" = 2M ] && runs=1
  for func in dijkstraCost drivingDistance; do : >"$P/pgr_$func"; done
  echo "peers: pgRouting on $label ($runs runs)"
  for i in $(seq $runs); do
    timeout $((PEER_LIMIT * 2)) sh "$PEERS/pgrouting.sh" "$d" >"$P/pgr.out" 2>&1 || true
    for func in dijkstraCost drivingDistance; do
      l=$(grep "^pgr_$func " "$P/pgr.out" || true)
      [ -n "$l" ] && echo "$(kv search_s "$l") $(kv total_s "$l") $(( $(kv peak_kb "$l") / 1024 ))" >>"$P/pgr_$func"
      grep -A1 "^pgr_$func " "$P/pgr.out" | grep '^n=' >"$P/pgr_$func.cmp" || true
    done
  done
  for func in dijkstraCost drivingDistance; do
    if [ -s "$P/pgr_$func" ]; then
      peer_rows "pgRouting 3.4 pgr_$func (super source)" "$(field 1 "$P/pgr_$func" | median)" \
        "$(field 2 "$P/pgr_$func" | median)" "$(field 3 "$P/pgr_$func" | median)" "$(cat "$P/pgr_$func.cmp")"
    else
      bench_row "nearest facility" "$label" "$ps" "$pmb" "pgRouting pgr_$func" "did not finish" "" "" "" ""
    fi
  done
  [ "$BENCH_QUICK" = 1 ] && continue
  # GRASS: small and medium (the anchor's import alone takes far longer than 10 minutes)
  if [ "$gsize" != 2M ]; then
    echo "peers: GRASS on $label"
    timeout "$PEER_LIMIT" sh "$PEERS/grass.sh" "$d" >"$P/grass.out" 2>&1 || true
    l=$(grep '^grass_' "$P/grass.out" || true)
    if [ -n "$l" ]; then
      peer_rows "GRASS 8.2 v.net.distance" "$(kv search_s "$l")" "$(kv total_s "$l")" "$(( $(kv peak_kb "$l") / 1024 ))" \
        "$(grep '^n=' "$P/grass.out")"
    else
      bench_row "nearest facility" "$label" "$ps" "$pmb" "GRASS v.net.distance" "did not finish in $PEER_LIMIT s" "" "" "" ""
    fi
  fi
  # SpatiaLite: every size, within the limit
  echo "peers: SpatiaLite on $label"
  /usr/bin/time -f 'PEAK %M' timeout "$PEER_LIMIT" $PY "$PEERS/spatialite_routing.py" "$d" >"$P/spatialite.out" 2>&1 || true
  l=$(grep '^spatialite_' "$P/spatialite.out" || true)
  if [ -n "$l" ]; then
    peer_rows "SpatiaLite 5.0 VirtualRouting (super source)" "$(kv search_s "$l")" "$(kv total_s "$l")" \
      "$(awk '/PEAK/ { printf "%.0f", $2 / 1024 }' "$P/spatialite.out")" "$(grep '^n=' "$P/spatialite.out")"
  else
    bench_row "nearest facility" "$label" "$ps" "$pmb" "SpatiaLite VirtualRouting" "did not finish in $PEER_LIMIT s" "" "" "" ""
  fi
  # QGIS: the small size (its tie-point snapping grows with lines x points)
  if [ "$gsize" = 20k ]; then
    echo "peers: QGIS on $label"
    timeout "$PEER_LIMIT" sh "$PEERS/qgis.sh" "$d" >"$P/qgis.out" 2>&1 || true
    l=$(grep '^qgis_' "$P/qgis.out" || true)
    if [ -n "$l" ]; then
      peer_rows "QGIS 3.22 shortestpathlayertopoint" "$(kv search_s "$l")" "$(kv total_s "$l")" \
        "$(( $(kv peak_kb "$l") / 1024 ))" "$(grep '^n=' "$P/qgis.out")"
    else
      bench_row "nearest facility" "$label" "$ps" "$pmb" "QGIS shortestpathlayertopoint" "did not finish in $PEER_LIMIT s" "" "" "" ""
    fi
  fi
done
# ---- end peers ----
