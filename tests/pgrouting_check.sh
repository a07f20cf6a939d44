#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Cross-check of platsa's shortest distances and fastest times against pgRouting's
# pgr_dijkstraCost on the same graph: `platsa route --dump-graph` writes the edges (the
# graph platsa built: nodes, directions, lengths and times as stored), `--dump-pairs`
# the platsa answers for sampled node pairs; pgRouting recomputes them. They must agree
# to 1e-6 relative, and agree on which pairs are unreachable.
#
# usage: sh tests/pgrouting_check.sh [ROADS [MODE [PAIRS]]]
#   ROADS defaults to the Stockholm drive network in tests/data, MODE to car,
#   PAIRS to 400. Run from the repository root after `make`. Not part of `make test`:
#   it needs PostgreSQL 15 with pgRouting (apt-get install postgresql-15-pgrouting; the
#   script installs it when run as root and it is missing). A throw-away cluster is
#   started on a Unix socket in a temporary folder and removed on exit.
# Prints "N passed, N failed" (one check per pair and metric); exit 0 when all agree,
# 77 when it cannot run here.
#
# Roads that carry topology (integer fields source and target, as pgRouting, osm2pgrouting and
# platsa import-osm write them): pgRouting routes the layer's OWN lines by those ids (lengths
# of the geometries in EPSG:3006 by SpatiaLite, walk mode: every line both ways, without
# motorways and foot=no; other modes: the check above), not platsa's graph, so the topology is checked too: platsa's node-
# to-node walking distances (nodes drawn from every component) must equal pgRouting's to the
# centimetre, and agree on which pairs are unreachable. With COORDS=FILE:LAYER, the same
# network without ids (the OSM ways before splitting) is routed by platsa too, its lines
# joined by position (the junction table in gis/graph.h), its nodes matched to the ids by
# position: the same distances again.
#   sh tests/pgrouting_check.sh tests/data/topology/roads.geojson walk   (with COORDS=...ways.geojson)
set -eu
ROADS=${1:-tests/data/osm-stockholm-drive-network-fmm/edges.shp}
MODE=${2:-car}
PAIRS=${3:-400}
PLATSA=${PLATSA:-build/platsa}
EXT=/usr/share/postgresql/15/extension/pgrouting.control

[ -x "$PLATSA" ] || { echo "pgrouting_check: $PLATSA not built; run make first"; exit 77; }
[ -e "$ROADS" ] || [ -e "${ROADS%:*}" ] || { echo "pgrouting_check: $ROADS not found"; exit 77; }
if [ ! -f "$EXT" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      postgresql-15-pgrouting >/dev/null
  else
    echo "pgrouting_check: needs postgresql-15-pgrouting (sudo apt-get install postgresql-15-pgrouting)"; exit 77
  fi
fi

# The cluster (tests/pg_cluster.sh) lives in TMP, its socket too: clients use -h "$TMP".
TMP=$(mktemp -d /tmp/platsa-pgr.XXXXXX)
PORT=54329
SPLIT_FILE=$ROADS SPLIT_LAYER=
if [ ! -e "$ROADS" ] && [ -e "${ROADS%:*}" ]; then SPLIT_FILE=${ROADS%:*} SPLIT_LAYER=${ROADS##*:}; fi
ALL=-al; [ -z "$SPLIT_LAYER" ] || ALL=
INFO=$(ogrinfo -so -ro $ALL "$SPLIT_FILE" $SPLIT_LAYER 2>/dev/null || true)
[ -n "$SPLIT_LAYER" ] || SPLIT_LAYER=$(echo "$INFO" | sed -n 's/^Layer name: //p' | head -n 1)
TOPO=0  # walk mode only (every line both ways); other modes get the check of platsa's graph
if [ "$MODE" = walk ] && echo "$INFO" | grep -Eq '^source: Integer' && echo "$INFO" | grep -Eq '^target: Integer'; then
  TOPO=1
fi
cleanup() { sh "$(dirname "$0")/pg_cluster.sh" stop "$TMP"; }
trap cleanup EXIT INT TERM
sh "$(dirname "$0")/pg_cluster.sh" start "$TMP" $PORT

if [ "$TOPO" = 1 ]; then
  GEOM=$(echo "$INFO" | sed -n 's/^Geometry Column = //p' | head -n 1)
  G="ST_Transform(\"${GEOM:-GEOMETRY}\", 3006)"
  WHERE="1"
  echo "$INFO" | grep -q '^highway:' && WHERE="$WHERE AND coalesce(highway, '') NOT IN ('motorway', 'motorway_link')"
  echo "$INFO" | grep -q '^foot:' && WHERE="$WHERE AND coalesce(CAST(foot AS TEXT), '') NOT IN ('0', 'no')"
  ogr2ogr -f CSV "$TMP/lines.csv" "$SPLIT_FILE" -dialect SQLite \
    -sql "SELECT source, target, ST_Length($G) AS length FROM \"$SPLIT_LAYER\" WHERE $WHERE"
  ogr2ogr -f CSV "$TMP/ends.csv" "$SPLIT_FILE" -dialect SQLite \
    -sql "SELECT source AS id, ST_X(ST_StartPoint($G)) AS x, ST_Y(ST_StartPoint($G)) AS y FROM \"$SPLIT_LAYER\"
          UNION SELECT target, ST_X(ST_EndPoint($G)), ST_Y(ST_EndPoint($G)) FROM \"$SPLIT_LAYER\""
  "$PLATSA" -q route --roads "$ROADS" --mode walk --dump-pairs "$TMP/pairs.csv" --pairs "$PAIRS" --pairs-all >/dev/null
  : > "$TMP/pairs_coords.csv"
  if [ -n "${COORDS:-}" ]; then
    "$PLATSA" -q route --roads "$COORDS" --mode walk --dump-pairs "$TMP/pairs_coords.csv" --pairs "$PAIRS" \
      --pairs-all >/dev/null
  fi
  psql -X -q -h "$TMP" -p "$PORT" -U postgres -v ON_ERROR_STOP=1 -At -F ' ' <<SQL >"$TMP/result.txt"
SET client_min_messages = warning;
CREATE EXTENSION pgrouting CASCADE;
CREATE TABLE l (source bigint, target bigint, length float8);
\copy l FROM '$TMP/lines.csv' CSV HEADER
CREATE TABLE ends (id bigint, x float8, y float8);
\copy ends FROM '$TMP/ends.csv' CSV HEADER
CREATE TABLE pp (source bigint, target bigint, length_m float8, time_s float8, sx float8, sy float8,
                 tx float8, ty float8, source_id bigint, target_id bigint);
\copy pp FROM '$TMP/pairs.csv' CSV HEADER
CREATE TABLE pc (LIKE pp);
\copy pc FROM '$TMP/pairs_coords.csv' CSV HEADER
-- the coordinate graph's nodes take the id of the line end at their position (to 1 cm)
CREATE TABLE p AS
  SELECT 'ids' AS run, source_id AS s, target_id AS t, length_m AS ours FROM pp
  UNION ALL
  SELECT 'coords', (SELECT min(id) FROM ends WHERE abs(ends.x - pc.sx) < 0.01 AND abs(ends.y - pc.sy) < 0.01),
         (SELECT min(id) FROM ends WHERE abs(ends.x - pc.tx) < 0.01 AND abs(ends.y - pc.ty) < 0.01), length_m FROM pc;
CREATE TABLE r AS SELECT * FROM pgr_dijkstraCost(
  'SELECT row_number() OVER () AS id, source, target, length AS cost, length AS reverse_cost FROM l',
  'SELECT DISTINCT s AS source, t AS target FROM p WHERE s IS NOT NULL AND t IS NOT NULL AND s <> t', true);
WITH d AS (
  SELECT p.run, p.s, p.t, p.ours, CASE WHEN p.s = p.t THEN 0 ELSE r.agg_cost END AS theirs
  FROM p LEFT JOIN r ON r.start_vid = p.s AND r.end_vid = p.t)
SELECT CASE WHEN s IS NOT NULL AND t IS NOT NULL
             AND ((ours = 'Infinity' AND theirs IS NULL)
                  OR (theirs IS NOT NULL AND ours <> 'Infinity' AND abs(ours - theirs) <= 0.01)) THEN 1 ELSE 0 END,
       run, coalesce(s::text, 'no-id'), coalesce(t::text, 'no-id'), ours, coalesce(theirs::text, 'unreachable'),
       CASE WHEN theirs IS NOT NULL AND ours <> 'Infinity' THEN abs(ours - theirs) ELSE 0 END
FROM d;
SQL
  awk '
    { n++; runs[$2]++; if ($1 == 1) ok++; else { bad++; if (bad <= 10) printf "disagree (%s): %s -> %s: platsa %s m, pgRouting %s\n", $2, $3, $4, $5, $6 } }
    $5 != "Infinity" && $7 + 0 > worst { worst = $7 + 0 }
    $5 == "Infinity" { unreachable++ }
    END {
      printf "pgRouting topology check: %d pairs by ids, %d by position, %d unreachable in both, worst difference %.3g m\n", runs["ids"], runs["coords"], unreachable, worst
      printf "%d passed, %d failed\n", ok, bad
      exit bad > 0 || n == 0
    }' "$TMP/result.txt"
  exit $?
fi

"$PLATSA" -q route --roads "$ROADS" --mode "$MODE" --dump-graph "$TMP/edges.csv" \
  --dump-pairs "$TMP/pairs.csv" --pairs "$PAIRS" >/dev/null

psql -X -q -h "$TMP" -p "$PORT" -U postgres -v ON_ERROR_STOP=1 -At -F ' ' <<SQL >"$TMP/result.txt"
SET client_min_messages = warning;
CREATE EXTENSION pgrouting CASCADE;
CREATE TABLE e (id bigint, source bigint, target bigint, length float8, reverse_length float8,
                time float8, reverse_time float8);
\copy e FROM '$TMP/edges.csv' CSV HEADER
CREATE TABLE p (source bigint, target bigint, length_m float8, time_s float8, sx float8, sy float8,
                tx float8, ty float8, source_id bigint, target_id bigint);
\copy p FROM '$TMP/pairs.csv' CSV HEADER
CREATE TABLE rd AS SELECT * FROM pgr_dijkstraCost(
  'SELECT id, source, target, length AS cost, reverse_length AS reverse_cost FROM e',
  'SELECT DISTINCT source, target FROM p', true);
CREATE TABLE rt AS SELECT * FROM pgr_dijkstraCost(
  'SELECT id, source, target, time AS cost, reverse_time AS reverse_cost FROM e',
  'SELECT DISTINCT source, target FROM p', true);
-- one row per pair and metric: ok (0/1), ours, theirs
WITH d AS (
  SELECT 'length' AS metric, p.source, p.target, p.length_m AS ours,
         CASE WHEN p.source = p.target THEN 0 ELSE rd.agg_cost END AS theirs
  FROM p LEFT JOIN rd ON rd.start_vid = p.source AND rd.end_vid = p.target
  UNION ALL
  SELECT 'time', p.source, p.target, p.time_s,
         CASE WHEN p.source = p.target THEN 0 ELSE rt.agg_cost END
  FROM p LEFT JOIN rt ON rt.start_vid = p.source AND rt.end_vid = p.target)
SELECT CASE WHEN (ours = 'Infinity' AND theirs IS NULL)
              OR (theirs IS NOT NULL AND ours <> 'Infinity'
                  AND abs(ours - theirs) <= 1e-6 * greatest(theirs, 1e-9)) THEN 1 ELSE 0 END,
       metric, source, target, ours, coalesce(theirs::text, 'unreachable'),
       CASE WHEN theirs > 0 AND ours <> 'Infinity' THEN abs(ours - theirs) / theirs ELSE 0 END
FROM d;
SQL

awk '
  { n++; if ($1 == 1) ok++; else { bad++; if (bad <= 10) printf "disagree: %s %s -> %s: platsa %s, pgRouting %s\n", $2, $3, $4, $5, $6 } }
  $5 != "Infinity" && $7 + 0 > worst { worst = $7 + 0 }
  $5 == "Infinity" { unreachable++ }
  END {
    printf "pgRouting check: %d pair-metrics, %d unreachable in both, worst relative difference %.3g\n", n, unreachable, worst
    printf "%d passed, %d failed\n", ok, bad
    exit bad > 0 || n == 0
  }' "$TMP/result.txt"
