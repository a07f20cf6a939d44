#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# GRASS GIS peer: v.net.distance (nearest "to" point along the network for every "from"
# point) on the workload bench_routing --export wrote: roads from DIR/roads.gpkg (v.in.ogr),
# origins and facilities from DIR/origins.csv and DIR/facilities.csv (v.in.ascii), both
# attached with v.net operation=connect (threshold 1 m: the points lie on nodes).
# Runs in a temporary location (EPSG:3006), removed on exit.
# usage: sh bench/peers/grass.sh DIR
# prints: grass import_s=.. search_s=.. total_s=.. peak_kb=..  and the agreement line
#   search_s: v.net.distance (it builds its graph from the vector map on every call);
#   import_s: v.in.ogr + v.in.ascii + v.net connect; peak_kb: v.net.distance's peak memory.
set -eu
DIR=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d /tmp/platsa-bench-grass.XXXXXX)
trap 'rm -rf "$TMP"' EXIT INT TERM
tail -n +2 "$DIR/origins.csv" | awk -F, '{printf "%s|%s|%d\n", $1, $2, NR - 1}' >"$TMP/origins.txt"
tail -n +2 "$DIR/facilities.csv" | awk -F, '{printf "%s|%s|%d\n", $1, $2, NR}' >"$TMP/facilities.txt"
cat >"$TMP/run.sh" <<SH
set -e
now() { date +%s.%N; }
t0=\$(now)
v.in.ogr -o -t --quiet input="$DIR/roads.gpkg" layer=roads output=roads type=line
v.in.ascii -t --quiet input="$TMP/origins.txt" output=origins separator=pipe x=1 y=2 cat=3
v.in.ascii -t --quiet input="$TMP/facilities.txt" output=facilities separator=pipe x=1 y=2 cat=3
v.net --quiet input=roads points=origins output=net1 operation=connect threshold=1 arc_layer=1 node_layer=2
v.net --quiet input=net1 points=facilities output=net2 operation=connect threshold=1 arc_layer=1 node_layer=3
t1=\$(now)
/usr/bin/time -f "%M" -o "$TMP/peak" v.net.distance --quiet input=net2 output=dist from_layer=2 to_layer=3 arc_layer=1
t2=\$(now)
v.db.select --quiet map=dist columns=cat,dist separator=comma -c >"$TMP/answer.csv"
t3=\$(now)
echo "\$t0 \$t1 \$t2 \$t3" >"$TMP/times"
SH
grass --tmp-location EPSG:3006 --exec sh "$TMP/run.sh" >"$TMP/log" 2>&1 || { tail -20 "$TMP/log"; exit 1; }
set -- $(cat "$TMP/times")
echo | awk -v a="$1" -v b="$2" -v c="$3" -v d="$4" -v p="$(cat "$TMP/peak")" \
  '{printf "grass_v.net.distance import_s=%.3f search_s=%.3f total_s=%.3f peak_kb=%s\n", b - a, c - b, d - a, p}'
/usr/bin/python3 "$HERE/compare.py" "$DIR" origins "$TMP/answer.csv"
