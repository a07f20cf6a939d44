#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# pgRouting peer: nearest facility from a virtual super source (node 0 in DIR/super.csv,
# linked to every facility's attachment nodes by edges of the attachment cost, zero when
# the facility is at a node), on the graph bench_routing --export wrote.
#   pgr_dijkstraCost(edges, 0, origin nodes)   one-to-many from the super source
#   pgr_drivingDistance(edges, 0, 1e15)        every node's cost from the super source
# A throw-away PostgreSQL 15 cluster on a Unix socket in a temporary folder (as
# tests/pgrouting_check.sh does), fsync off, removed on exit; cluster start not timed.
# usage: sh bench/peers/pgrouting.sh DIR     prints, per function:
#   <func> load_s=.. search_s=.. total_s=.. peak_kb=..   and the agreement line (compare.py)
# search_s is the pgRouting call (it reads the edges through SQL and builds its graph on
# every call: that cannot be separated); load_s the \copy of the CSV files and the origins'
# node list; total_s = load_s + search_s + writing the answers to a file; peak_kb the
# server backend's peak resident memory (VmHWM), which holds the graph.
set -eu
DIR=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
TMP=$(mktemp -d /tmp/platsa-bench-pgr.XXXXXX)
PORT=54331
PG_CLUSTER="$HERE/../../tests/pg_cluster.sh"
cleanup() { sh "$PG_CLUSTER" stop "$TMP"; }
trap cleanup EXIT INT TERM
PG_SERVER_OPTS="-c synchronous_commit=off -c full_page_writes=off -c work_mem=1GB -c maintenance_work_mem=1GB -c shared_buffers=1GB -c max_wal_size=8GB" \
  sh "$PG_CLUSTER" start "$TMP" "$PORT"
# The files the server reads must be readable by postgres.
cp "$DIR/edges.csv" "$DIR/super.csv" "$DIR/origins_snap.csv" "$TMP/"
chmod 644 "$TMP"/*.csv
now() { date +%s.%N; }
PSQL="psql -X -q -h $TMP -p $PORT -U postgres -v ON_ERROR_STOP=1 -At"
$PSQL -c "SET client_min_messages = warning; CREATE EXTENSION pgrouting CASCADE" >/dev/null
for func in dijkstraCost drivingDistance; do
  $PSQL -c "SET client_min_messages = warning; DROP TABLE IF EXISTS e, s, os, o, r" >/dev/null
  case $func in
    dijkstraCost) query="CREATE TABLE r AS SELECT end_vid AS node, agg_cost AS cost FROM pgr_dijkstraCost(
        'SELECT id, source, target, cost, cost AS reverse_cost FROM e', 0, (SELECT array_agg(node) FROM o), true)" ;;
    drivingDistance) query="CREATE TABLE r AS SELECT node, agg_cost AS cost FROM pgr_drivingDistance(
        'SELECT id, source, target, cost, cost AS reverse_cost FROM e', 0, 1e15, true)" ;;
  esac
  out=$($PSQL <<SQL
SET client_min_messages = warning;
SELECT extract(epoch FROM clock_timestamp());
CREATE UNLOGGED TABLE e (id bigserial, source bigint, target bigint, cost float8);
COPY e (source, target, cost) FROM '$TMP/edges.csv' CSV HEADER;
CREATE UNLOGGED TABLE s (node bigint, cost float8);
COPY s FROM '$TMP/super.csv' CSV HEADER;
INSERT INTO e (source, target, cost) SELECT 0, node, cost FROM s;
CREATE UNLOGGED TABLE os (node_a bigint, cost_a text, node_b bigint, cost_b text, access text);
COPY os FROM '$TMP/origins_snap.csv' CSV HEADER;
CREATE UNLOGGED TABLE o AS SELECT DISTINCT node FROM (SELECT node_a AS node FROM os UNION SELECT node_b FROM os) u WHERE node > 0;
ANALYZE e;
SELECT extract(epoch FROM clock_timestamp());
$query;
SELECT extract(epoch FROM clock_timestamp());
COPY r TO '$TMP/answer.csv' CSV;
SELECT extract(epoch FROM clock_timestamp());
SELECT substring(pg_read_file('/proc/self/status') FROM 'VmHWM:\\s*(\\d+)');
SQL
)
  set -- $out
  peak=${5:-NA}
  echo "$func" | awk -v a="$1" -v b="$2" -v c="$3" -v d="$4" -v p="$peak" \
    '{printf "pgr_%s load_s=%.3f search_s=%.3f total_s=%.3f peak_kb=%s\n", $1, b - a, c - b, d - a, p}'
  $PY "$HERE/compare.py" "$DIR" nodes "$TMP/answer.csv"
done
