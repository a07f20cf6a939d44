#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# National OSM import: `platsa import-osm` beside GDAL's ogr2ogr (OSM driver) and osm2pgrouting
# on the same Sweden-sized file: the roads of `platsa synth --size L --seed 1` (~3.7 M ways)
# written as OSM (bench/synth_to_osm.c) and converted to PBF with osmium. SYNTHETIC roads.
# Reports wall s, CPU s (user + sys) and peak RSS from /usr/bin/time -v, one row per tool.
#
# Usage: sh bench/osm_import_bench.sh [PLATSA] [WORKDIR] [TOOLS] [SOURCE.gpkg]   (from the repository root)
#   TOOLS: any of "platsa ogr2ogr osm2pgrouting" (default all three). Not run by make test;
#   bench/sections/60_osm_import.sh runs it (platsa always, the peers with BENCH_SLOW_PEERS=1).
#   SOURCE.gpkg: the synth L GeoPackage whose roads are written as OSM (default: made in WORKDIR).
# Writes WORKDIR/results.txt (readable) and WORKDIR/results.tsv (one line per tool, see tsv_line).
# A completed peer run (ogr2ogr, osm2pgrouting) also replaces that tool's line in
# $PEERS_FILE (default bench/osm_import_peers.tsv, committed): the last measured figure that
# `make bench` shows, with its date and commit, when it does not run the slow peers itself.
# Needs osmium-tool, gdal-bin, osm2pgrouting, postgresql-15-postgis-3, postgresql-15-pgrouting
# (installed if missing when run as root). osm2pgrouting reads OSM XML only: it gets the .osm
# the PBF was made from (same content). It writes into a throw-away PostgreSQL cluster started
# here (as tests/pgrouting_check.sh does) on a Unix socket, fsync off; before the cluster is
# removed its graph is counted (edges, vertices) into WORKDIR/osm2pgrouting.counts.
set -eu
PLATSA=${1:-build/platsa}
W=${2:-bench/work/osm}
TOOLS=${3:-platsa ogr2ogr osm2pgrouting}
SRC=${4:-}
PEERS_FILE=${PEERS_FILE:-bench/osm_import_peers.tsv}
PKGS="osmium-tool gdal-bin osm2pgrouting postgresql-15-postgis-3 postgresql-15-pgrouting"
mkdir -p "$W"
W=$(cd "$W" && pwd)

missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
  [ "$(id -u)" -eq 0 ] || { echo "osm_import_bench: needs$missing (sudo apt-get install$missing)"; exit 77; }
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

make --no-print-directory "$PLATSA" build/bench/synth_to_osm >/dev/null
# made again when the converter or the source changed
if [ ! -f "$W/synth_L.osm.pbf" ] || [ ! -f "$W/synth_L.osm" ] || [ bench/synth_to_osm.c -nt "$W/synth_L.osm.pbf" ] ||
  { [ -n "$SRC" ] && [ "$SRC" -nt "$W/synth_L.osm.pbf" ]; }; then
  echo "== making the file: platsa synth --size L --seed 1, roads as OSM, osmium cat to PBF"
  if [ -z "$SRC" ]; then
    SRC=$W/synth_L.gpkg
    [ -f "$SRC" ] || "$PLATSA" -q synth --size L --seed 1 -o "$SRC" --overwrite >/dev/null
  fi
  build/bench/synth_to_osm "$SRC" "$W/synth_L.osm.tmp"
  mv "$W/synth_L.osm.tmp" "$W/synth_L.osm"
  osmium cat -O "$W/synth_L.osm" -o "$W/synth_L.osm.pbf.tmp" -f pbf
  mv "$W/synth_L.osm.pbf.tmp" "$W/synth_L.osm.pbf"
fi
PBF="$W/synth_L.osm.pbf"
echo "file: $PBF ($(du -m "$PBF" | cut -f1) MiB; XML $(du -m "$W/synth_L.osm" | cut -f1) MiB)"
osmium fileinfo -e "$PBF" | grep -E 'Number of (nodes|ways)' | sed 's/^ */  /'
COMMIT=$(git describe --always --dirty 2>/dev/null || echo "?")
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)," \
  "commit $COMMIT"

# seconds from /usr/bin/time -v's "h:mm:ss" or "m:ss.ss"
secs() { awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }'; }
# load sampler: the 1-minute load average every 15 s while a tool runs (the wall clock of a
# slow peer depends on it as much as on the tool)
load_start() { (while :; do cut -d' ' -f1 /proc/loadavg >>"$W/$1.load"; sleep 15; done) & SAMPLER=$!; }
load_stop() { kill "$SAMPLER" 2>/dev/null || true; wait "$SAMPLER" 2>/dev/null || true; }
load_range() { sort -g "$W/$1.load" | awk '{ v[NR] = $1; s += $1 } END { if (NR) printf "%.1f-%.1f (mean %.1f)", v[1], v[NR], s / NR; else print "?" }'; }
# report NAME EXTRA: the readable line (results.txt) and the tsv line (results.tsv):
#   tool wall_s cpu_s peak_mb exit load date commit output
report() {
  t=$W/$1.time
  wall=$(grep 'Elapsed (wall clock)' "$t" | sed 's/.*): //' | secs)
  user=$(grep 'User time' "$t" | sed 's/.*: //')
  sys=$(grep 'System time' "$t" | sed 's/.*: //')
  rss=$(grep 'Maximum resident set size' "$t" | sed 's/.*: //')
  rc=$(grep 'Exit status' "$t" | sed 's/.*: //')
  # a stopped run is no figure for the tool: say so in the exit field (time -v prints status 0)
  sig=$(grep -o 'terminated by signal [0-9]*' "$t" | awk '{ print $4 }')
  [ -z "$sig" ] || rc="signal_$sig"
  cpu=$(echo "$user + $sys" | bc)
  mb=$(echo "$rss / 1024" | bc)
  load=$(load_range "$1")
  printf '%-16s wall %7.1f s  CPU %7.1f s  peak RSS %6.0f MiB  exit %s  load %s  %s\n' "$1" "$wall" \
    "$cpu" "$mb" "$rc" "$load" "$2" >>"$W/results.txt"
  line=$(printf '%s\t%.1f\t%.1f\t%s\t%s\t%s\t%s\t%s\t%s' "$1" "$wall" "$cpu" "$mb" "$rc" "$load" \
    "$(date -u '+%Y-%m-%d %H:%M UTC')" "$COMMIT" "$2")
  printf '%s\n' "$line" >>"$W/results.tsv"
  LAST_LINE=$line
}
# keep_peer TOOL: replaces TOOL's line in $PEERS_FILE by the one just measured (a temporary
# renamed into place, so a stopped run leaves the old figure whole)
keep_peer() {
  tmp="$PEERS_FILE.tmp.$$"
  { [ -f "$PEERS_FILE" ] && awk -F'\t' -v t="$1" '$1 != t' "$PEERS_FILE"; printf '%s\n' "$LAST_LINE"; } >"$tmp"
  sort -o "$tmp" "$tmp"
  mv "$tmp" "$PEERS_FILE"
}
: >"$W/results.txt"
: >"$W/results.tsv"

for tool in $TOOLS; do
  rm -f "$W/$tool.load"
  case $tool in
  platsa)
    echo "== platsa import-osm"
    load_start platsa
    /usr/bin/time -v -o "$W/platsa.time" "$PLATSA" import-osm "$PBF" -o "$W/platsa.gpkg" --overwrite \
      > "$W/platsa.log" 2>&1 || true
    load_stop
    n=$(sqlite3 "$W/platsa.gpkg" 'SELECT COUNT(*) FROM roads' 2>/dev/null || echo '?')
    v=$(sqlite3 "$W/platsa.gpkg" 'SELECT COUNT(*) FROM (SELECT source FROM roads UNION SELECT target FROM roads)' 2>/dev/null || echo '?')
    report platsa "roads layer: $n edges (source/target), $v vertices"
    ;;
  ogr2ogr)
    # The lines layer (what platsa's roads were read from before), to a GeoPackage.
    echo "== ogr2ogr (GDAL OSM driver, lines layer)"
    rm -f "$W/ogr.gpkg"
    load_start ogr2ogr
    /usr/bin/time -v -o "$W/ogr2ogr.time" ogr2ogr -f GPKG "$W/ogr.gpkg" "$PBF" lines \
      --config OSM_CONFIG_FILE share/osmconf.ini -gt 65536 > "$W/ogr2ogr.log" 2>&1 || true
    load_stop
    n=$(sqlite3 "$W/ogr.gpkg" 'SELECT COUNT(*) FROM lines' 2>/dev/null || echo '?')
    report ogr2ogr "lines layer: $n ways, no node ids"
    case $n in ''|*[!0-9]*) ;; *) [ "$n" -gt 0 ] && keep_peer ogr2ogr ;; esac
    ;;
  osm2pgrouting)
    echo "== osm2pgrouting (throw-away PostgreSQL cluster)"
    TMP=$(mktemp -d /tmp/platsa-o2p.XXXXXX)
    PORT=54331
    # osm2pgrouting 2.3.8 opens a connection for every chunk of ways and keeps it: 3.7 M ways in
    # chunks of 20,000 need ~190 connections (PostgreSQL's default limit is 100).
    PG_SERVER_OPTS="-c max_connections=400" sh tests/pg_cluster.sh start "$TMP" "$PORT"
    PSQL="psql -X -q -h $TMP -p $PORT -U postgres"
    $PSQL -c 'CREATE DATABASE bench' >/dev/null
    $PSQL -d bench -c 'CREATE EXTENSION postgis; CREATE EXTENSION pgrouting;' >/dev/null
    load_start osm2pgrouting
    /usr/bin/time -v -o "$W/osm2pgrouting.time" osm2pgrouting -f "$W/synth_L.osm" \
      -c /usr/share/osm2pgrouting/mapconfig.xml -d bench -U postgres -h "$TMP" -p "$PORT" --clean \
      > "$W/osm2pgrouting.log" 2>&1 || true
    load_stop
    # Its graph, counted before the cluster goes: edges, vertices, ways they came from, length.
    $PSQL -At -d bench -F ' ' >"$W/osm2pgrouting.counts" 2>&1 <<'SQL' || true
SELECT 'edges', COUNT(*) FROM ways;
SELECT 'vertices', COUNT(*) FROM ways_vertices_pgr;
SELECT 'vertices_used', COUNT(*) FROM (SELECT source FROM ways UNION SELECT target FROM ways) v;
SELECT 'osm_ways', COUNT(DISTINCT osm_id) FROM ways;
SELECT 'length_m', ROUND(SUM(length_m)::numeric, 1) FROM ways;
SELECT 'oneway_edges', COUNT(*) FROM ways WHERE one_way = 1;
SELECT 'tag ' || tag_id, COUNT(*) FROM ways GROUP BY tag_id ORDER BY tag_id;
SQL
    n=$(awk '$1 == "edges" { print $2 }' "$W/osm2pgrouting.counts")
    v=$(awk '$1 == "vertices" { print $2 }' "$W/osm2pgrouting.counts")
    # The server's CPU: the postmaster's reaped children (the finished backend) plus the live ones.
    pm=$(head -1 "$TMP/data/postmaster.pid")
    ticks=$(awk '{print $16 + $17}' /proc/"$pm"/stat)
    for c in $(pgrep -P "$pm"); do ticks=$((ticks + $(awk '{print $14 + $15}' /proc/"$c"/stat 2>/dev/null || echo 0))); done
    pgcpu=$(echo "scale=1; $ticks / $(getconf CLK_TCK)" | bc)
    cp "$TMP/pg.log" "$W/osm2pgrouting.pg.log" 2>/dev/null || true
    sh tests/pg_cluster.sh stop "$TMP"
    report osm2pgrouting "ways table: ${n:-?} edges, ${v:-?} vertices (XML input); PostgreSQL server CPU $pgcpu s besides"
    case $n in ''|*[!0-9]*) ;; *) [ "$n" -gt 0 ] && keep_peer osm2pgrouting ;; esac
    ;;
  esac
done
echo
cat "$W/results.txt"
