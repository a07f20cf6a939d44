#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Independent oracle for the OpenStreetMap topology (issue #17): the SAME .osm.pbf is imported twice,
# by `platsa import-osm` and by osm2pgrouting (pgRouting's own importer, Debian package), and walking
# distances between OSM nodes are compared: platsa's (its import, its graph, its search) against
# pgr_dijkstraCost on osm2pgrouting's `ways` (its splitting of ways at shared nodes, its vertices
# keyed by OSM node id). Both lengths are measured in EPSG:3006 (platsa's working CRS), so a correct
# topology agrees to the centimetre.
#
# Which ways a pedestrian may use (foot=no, motorways, areas) is platsa's rule, unit tested in
# tests/test_osm*.c; osm2pgrouting has no access model. So pgRouting routes those of its
# ways whose OSM way id platsa keeps for walking: the oracle checks how the ways are cut, joined
# and measured, not the access rules. A way platsa keeps that osm2pgrouting drops (or the other way)
# shows up as a disagreement, as does a pair whose node is no vertex for osm2pgrouting.
#
# With MODE=car (third argument) the ways a car may use, each in the directions osm2pgrouting's own
# one-way reading allows (its cost/reverse_cost < 0 marks a closed direction): the one-way rules
# are checked against an independent reading too.
#
# usage: sh tests/osm2pgrouting_check.sh FILE.osm.pbf [PAIRS [walk|car]]
# Needs osm2pgrouting, osmium-tool and postgresql-15-pgrouting (installed when run as root).
# Prints "N passed, N failed"; exit 0 when every pair agrees, 77 when it cannot run here.
set -eu
PBF=$1
PAIRS=${2:-400}
MODE=${3:-walk}
# The ways each mode may use, as gis/graph_build.c's pl_graph_road_allowed decides (the access tags
# read at import, then the classes a mode never uses).
case $MODE in
  walk) USABLE="foot = 1 AND highway <> 'motorway'" ;;
  car) USABLE="car = 1 AND (highway = 'ferry' OR highway NOT IN ('footway', 'cycleway', 'path', 'steps', 'pedestrian'))" ;;
  *) echo "osm2pgrouting_check: mode walk or car"; exit 2 ;;
esac
PLATSA=${PLATSA:-build/platsa}
EXT=/usr/share/postgresql/15/extension/pgrouting.control

[ -x "$PLATSA" ] || { echo "osm2pgrouting_check: $PLATSA not built; run make first"; exit 77; }
[ -f "$PBF" ] || { echo "osm2pgrouting_check: $PBF not found"; exit 77; }
if [ ! -f "$EXT" ] || ! command -v osm2pgrouting >/dev/null || ! command -v osmium >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      postgresql-15-pgrouting osm2pgrouting osmium-tool >/dev/null
  else
    echo "osm2pgrouting_check: needs postgresql-15-pgrouting osm2pgrouting osmium-tool"; exit 77
  fi
fi

# The cluster (tests/pg_cluster.sh) lives in TMP, its socket too: clients use -h "$TMP".
TMP=$(mktemp -d /tmp/platsa-o2p.XXXXXX)
PORT=54331
cleanup() {
  if [ -n "${KEEP:-}" ]; then echo "KEEP: cluster left running in $TMP, port $PORT, database o2p"; return; fi
  sh "$(dirname "$0")/pg_cluster.sh" stop "$TMP"
}
trap cleanup EXIT INT TERM
sh "$(dirname "$0")/pg_cluster.sh" start "$TMP" $PORT
psql -X -q -h "$TMP" -p "$PORT" -U postgres -c "CREATE DATABASE o2p" >/dev/null
psql -X -q -h "$TMP" -p "$PORT" -U postgres -d o2p -c "CREATE EXTENSION pgrouting CASCADE" >/dev/null

# osm2pgrouting reads OSM XML; every highway value platsa imports (layers/osm_tags.c) is configured,
# so the two importers see the same ways and split them at the same shared nodes.
# A clipped extract has ways whose nodes lie partly outside it; osm2pgrouting joins the nodes it has
# by straight lines across the gap and makes zero-length loops (seen on amager.osm.pbf: a 1.5 km
# jump). So both importers read the same copy without such ways (counted below); how platsa cuts
# a clipped way at its missing nodes is unit tested (tests/test_osm.c: test_amager_clipped and the missing-node case).
osmium cat -f opl "$PBF" -o "$TMP/in.opl" >/dev/null
python3 - "$TMP/in.opl" > "$TMP/clipped_ids.txt" <<'PY'
import sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
nodes = {l.split(" ", 1)[0][1:] for l in lines if l.startswith("n")}
for l in lines:
    if l.startswith("w"):
        refs = [f for f in l.split(" ") if f.startswith("N")][0][1:]
        if any(r and r[1:] not in nodes for r in refs.split(",")):
            print(l.split(" ", 1)[0])
PY
wc -l < "$TMP/clipped_ids.txt" | tr -d ' ' > "$TMP/clipped.txt"
if [ -s "$TMP/clipped_ids.txt" ]; then
  osmium removeid "$PBF" -i "$TMP/clipped_ids.txt" -o "$TMP/in.osm.pbf" >/dev/null
else
  cp "$PBF" "$TMP/in.osm.pbf"
fi
osmium cat "$TMP/in.osm.pbf" -o "$TMP/in.osm" >/dev/null
{
  echo '<?xml version="1.0" encoding="UTF-8"?>'
  echo '<configuration><tag_name name="highway" id="1">'
  i=100
  for v in motorway motorway_link trunk trunk_link primary primary_link secondary secondary_link \
           tertiary tertiary_link unclassified residential living_street service track pedestrian \
           footway cycleway path steps road bridleway corridor; do
    echo "<tag_value name=\"$v\" id=\"$i\" />"; i=$((i + 1))
  done
  echo '</tag_name>'
  echo '<tag_name name="route" id="2"><tag_value name="ferry" id="200" /></tag_name>'  # platsa keeps ferries
  echo '</configuration>'
} > "$TMP/mapconfig.xml"
osm2pgrouting --f "$TMP/in.osm" --conf "$TMP/mapconfig.xml" --dbname o2p --username postgres \
  --host "$TMP" --port "$PORT" --clean > "$TMP/o2p.log" 2>&1 \
  || { tail -n 5 "$TMP/o2p.log"; echo "osm2pgrouting_check: osm2pgrouting failed"; exit 2; }

"$PLATSA" -q import-osm "$TMP/in.osm.pbf" -o "$TMP/platsa.gpkg" >/dev/null
"$PLATSA" -q route --roads "$TMP/platsa.gpkg:roads" --mode "$MODE" --dump-pairs "$TMP/pairs.csv" \
  --pairs "$PAIRS" --pairs-all >/dev/null
ogr2ogr -f CSV "$TMP/walk_ways.csv" "$TMP/platsa.gpkg" -dialect SQLite \
  -sql "SELECT DISTINCT osm_id FROM roads WHERE $USABLE"

psql -X -q -h "$TMP" -p "$PORT" -U postgres -d o2p -v ON_ERROR_STOP=1 -At -F ' ' <<SQL >"$TMP/result.txt"
SET client_min_messages = warning;
CREATE TABLE walk_ways (osm_id bigint PRIMARY KEY);
\copy walk_ways FROM '$TMP/walk_ways.csv' CSV HEADER
CREATE TABLE pp (source bigint, target bigint, length_m float8, time_s float8, sx float8, sy float8,
                 tx float8, ty float8, source_id bigint, target_id bigint);
\copy pp FROM '$TMP/pairs.csv' CSV HEADER
CREATE TABLE e AS SELECT w.gid AS id, w.source, w.target, ST_Length(ST_Transform(w.the_geom, 3006)) AS len,
    CASE WHEN '$MODE' = 'car' AND w.cost < 0 THEN -1 ELSE ST_Length(ST_Transform(w.the_geom, 3006)) END AS fwd,
    CASE WHEN '$MODE' = 'car' AND w.reverse_cost < 0 THEN -1 ELSE ST_Length(ST_Transform(w.the_geom, 3006)) END AS rev
  FROM ways w JOIN walk_ways k ON k.osm_id = w.osm_id;
CREATE TABLE p AS SELECT pp.source_id AS s_osm, pp.target_id AS t_osm, pp.length_m AS ours,
    (SELECT id FROM ways_vertices_pgr v WHERE v.osm_id = pp.source_id) AS s,
    (SELECT id FROM ways_vertices_pgr v WHERE v.osm_id = pp.target_id) AS t
  FROM pp;
CREATE TABLE r AS SELECT * FROM pgr_dijkstraCost('SELECT id, source, target, fwd AS cost, rev AS reverse_cost FROM e',
  'SELECT DISTINCT s AS source, t AS target FROM p WHERE s IS NOT NULL AND t IS NOT NULL AND s <> t', true);
WITH d AS (SELECT p.*, CASE WHEN p.s_osm = p.t_osm THEN 0 ELSE r.agg_cost END AS theirs
           FROM p LEFT JOIN r ON r.start_vid = p.s AND r.end_vid = p.t)
SELECT CASE WHEN s IS NOT NULL AND t IS NOT NULL
             AND ((ours = 'Infinity' AND theirs IS NULL)
                  OR (theirs IS NOT NULL AND ours <> 'Infinity' AND abs(ours - theirs) <= 0.01)) THEN 1 ELSE 0 END,
       s_osm, t_osm, coalesce(s::text, 'no-vertex'), coalesce(t::text, 'no-vertex'), ours,
       coalesce(theirs::text, 'unreachable'),
       CASE WHEN theirs IS NOT NULL AND ours <> 'Infinity' THEN abs(ours - theirs) ELSE 0 END
FROM d;
-- the first disagreeing pair's pgRouting path, way by way, to explain a disagreement
CREATE TABLE bad AS SELECT d.s, d.t FROM (SELECT p.s, p.t, p.ours, r.agg_cost FROM p JOIN r ON r.start_vid = p.s AND r.end_vid = p.t) d
  WHERE abs(d.ours - d.agg_cost) > 0.01 OR d.ours = 'Infinity' ORDER BY d.s, d.t LIMIT 1;
SELECT 'path', w.osm_id, vs.osm_id, vt.osm_id, round(e.len::numeric, 2)
  FROM bad, pgr_dijkstra('SELECT id, source, target, fwd AS cost, rev AS reverse_cost FROM e', bad.s, bad.t, true) d
  JOIN e ON e.id = d.edge JOIN ways w ON w.gid = e.id
  JOIN ways_vertices_pgr vs ON vs.id = w.source JOIN ways_vertices_pgr vt ON vt.id = w.target ORDER BY d.seq;
SELECT 'counts', (SELECT count(*) FROM ways), (SELECT count(*) FROM e), (SELECT count(*) FROM ways_vertices_pgr);
SQL

ROADS=$(ogrinfo -ro -q "$TMP/platsa.gpkg" -sql "SELECT count(*) AS n FROM roads" | sed -n 's/.*n (Integer[0-9]*) = //p')
awk -v pbf="$(basename "$PBF")" -v roads="$ROADS" -v clipped="$(cat "$TMP/clipped.txt")" '
  $1 == "counts" { ways = $2; walk = $3; verts = $4; next }
  $1 == "path" { if (!np++) print "first disagreement, pgRouting path (OSM way, from node, to node, m):"; printf "  way %s: %s -> %s, %s m\n", $2, $3, $4, $5; next }
  { n++; if ($1 == 1) ok++; else { bad++; if (bad <= 10) printf "disagree: OSM node %s -> %s (pgr %s -> %s): platsa %s m, osm2pgrouting+pgRouting %s\n", $2, $3, $4, $5, $6, $7 } }
  $6 != "Infinity" && $8 + 0 > worst { worst = $8 + 0 }
  $6 == "Infinity" { unreachable++ }
  END {
    printf "%s (%s ways that leave the extract left out of both): platsa %s road pieces; osm2pgrouting %s ways (%s usable), %s vertices; %d node pairs, %d unreachable in both, worst difference %.3g m\n", pbf, clipped, roads, ways, walk, verts, n, unreachable, worst
    printf "%d passed, %d failed\n", ok, bad
    exit bad > 0 || n == 0
  }' "$TMP/result.txt"
