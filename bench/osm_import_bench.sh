#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# National OSM import: `platsa import-osm` beside GDAL's ogr2ogr (OSM driver) and osm2pgrouting
# on the same Sweden-sized file: the roads of `platsa synth --size L --seed 1` (~3.7 M ways)
# written as OSM (bench/synth_to_osm.c) and converted to PBF with osmium.
# Reports wall s, CPU s (user + sys) and peak RSS from /usr/bin/time -v, one row per tool.
#
# Usage: sh bench/osm_import_bench.sh [PLATSA] [WORKDIR] [TOOLS]   (from the repository root)
#   TOOLS: any of "platsa ogr2ogr osm2pgrouting" (default all three). Not run by make test.
# Needs osmium-tool, gdal-bin, osm2pgrouting, postgresql-15-postgis-3, postgresql-15-pgrouting
# (installed if missing when run as root). osm2pgrouting reads OSM XML only: it gets the .osm
# the PBF was made from (same content). It writes into a throw-away PostgreSQL cluster started
# here (as tests/pgrouting_check.sh does) on a Unix socket, fsync off.
set -eu
PLATSA=${1:-build/platsa}
W=${2:-bench/work/osm}
TOOLS=${3:-platsa ogr2ogr osm2pgrouting}
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
if [ ! -f "$W/synth_L.osm.pbf" ] || [ ! -f "$W/synth_L.osm" ]; then
  echo "== making the file: platsa synth --size L --seed 1, roads as OSM, osmium cat to PBF"
  [ -f "$W/synth_L.gpkg" ] || "$PLATSA" -q synth --size L --seed 1 -o "$W/synth_L.gpkg" --overwrite >/dev/null
  build/bench/synth_to_osm "$W/synth_L.gpkg" "$W/synth_L.osm"
  osmium cat -O "$W/synth_L.osm" -o "$W/synth_L.osm.pbf"
fi
PBF="$W/synth_L.osm.pbf"
echo "file: $PBF ($(du -m "$PBF" | cut -f1) MiB; XML $(du -m "$W/synth_L.osm" | cut -f1) MiB)"
osmium fileinfo -e "$PBF" | grep -E 'Number of (nodes|ways)' | sed 's/^ */  /'
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)," \
  "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"

# seconds from /usr/bin/time -v's "h:mm:ss" or "m:ss.ss"
secs() { awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }'; }
report() { # NAME TIMEFILE EXTRA
  t=$2
  wall=$(grep 'Elapsed (wall clock)' "$t" | sed 's/.*): //' | secs)
  user=$(grep 'User time' "$t" | sed 's/.*: //')
  sys=$(grep 'System time' "$t" | sed 's/.*: //')
  rss=$(grep 'Maximum resident set size' "$t" | sed 's/.*: //')
  rc=$(grep 'Exit status' "$t" | sed 's/.*: //')
  printf '%-16s wall %7.1f s  CPU %7.1f s  peak RSS %6.0f MiB  exit %s  %s\n' "$1" "$wall" \
    "$(echo "$user + $sys" | bc)" "$(echo "$rss / 1024" | bc)" "$rc" "$3"
}
ROWS="$W/results.txt"
: > "$ROWS"

for tool in $TOOLS; do
  case $tool in
  platsa)
    echo "== platsa import-osm"
    /usr/bin/time -v -o "$W/platsa.time" "$PLATSA" import-osm "$PBF" -o "$W/platsa.gpkg" --overwrite \
      > "$W/platsa.log" 2>&1 || true
    n=$(sqlite3 "$W/platsa.gpkg" 'SELECT COUNT(*) FROM roads' 2>/dev/null || echo '?')
    report "platsa" "$W/platsa.time" "roads layer: $n pieces with source/target" >> "$ROWS"
    ;;
  ogr2ogr)
    # The lines layer (what platsa's roads were read from before), to a GeoPackage.
    echo "== ogr2ogr (GDAL OSM driver, lines layer)"
    rm -f "$W/ogr.gpkg"
    /usr/bin/time -v -o "$W/ogr2ogr.time" ogr2ogr -f GPKG "$W/ogr.gpkg" "$PBF" lines \
      --config OSM_CONFIG_FILE share/osmconf.ini -gt 65536 > "$W/ogr2ogr.log" 2>&1 || true
    n=$(sqlite3 "$W/ogr.gpkg" 'SELECT COUNT(*) FROM lines' 2>/dev/null || echo '?')
    report "ogr2ogr" "$W/ogr2ogr.time" "lines layer: $n ways, no node ids" >> "$ROWS"
    ;;
  osm2pgrouting)
    echo "== osm2pgrouting (throw-away PostgreSQL cluster)"
    PGBIN=/usr/lib/postgresql/15/bin
    TMP=$(mktemp -d /tmp/platsa-o2p.XXXXXX)
    chmod 755 "$TMP"
    AS_PG=""
    if [ "$(id -u)" -eq 0 ]; then
      chown postgres "$TMP"
      AS_PG="runuser -u postgres --"
    fi
    PORT=54331
    # osm2pgrouting 2.3.8 opens a connection for every chunk of ways and keeps it: 3.7 M ways in
    # chunks of 20,000 need ~190 connections (PostgreSQL's default limit is 100).
    $AS_PG "$PGBIN/initdb" -D "$TMP/data" -A trust -U postgres >/dev/null
    $AS_PG "$PGBIN/pg_ctl" -D "$TMP/data" -l "$TMP/pg.log" -w \
      -o "-k $TMP -c listen_addresses='' -p $PORT -c fsync=off -c max_connections=400" start >/dev/null
    psql -X -q -h "$TMP" -p "$PORT" -U postgres -c 'CREATE DATABASE bench' >/dev/null
    psql -X -q -h "$TMP" -p "$PORT" -U postgres -d bench \
      -c 'CREATE EXTENSION postgis; CREATE EXTENSION pgrouting;' >/dev/null
    /usr/bin/time -v -o "$W/osm2pgrouting.time" osm2pgrouting -f "$W/synth_L.osm" \
      -c /usr/share/osm2pgrouting/mapconfig.xml -d bench -U postgres -h "$TMP" -p "$PORT" --clean \
      > "$W/osm2pgrouting.log" 2>&1 || true
    n=$(psql -X -At -h "$TMP" -p "$PORT" -U postgres -d bench -c 'SELECT COUNT(*) FROM ways' 2>/dev/null || echo '?')
    # The server's CPU: the postmaster's reaped children (the finished backend) plus the live ones.
    pm=$(head -1 "$TMP/data/postmaster.pid")
    ticks=$(awk '{print $16 + $17}' /proc/"$pm"/stat)
    for c in $(pgrep -P "$pm"); do ticks=$((ticks + $(awk '{print $14 + $15}' /proc/"$c"/stat 2>/dev/null || echo 0))); done
    pgcpu=$(echo "scale=1; $ticks / $(getconf CLK_TCK)" | bc)
    $AS_PG "$PGBIN/pg_ctl" -D "$TMP/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$TMP"
    report "osm2pgrouting" "$W/osm2pgrouting.time" "ways table: $n edges (XML input); plus PostgreSQL server CPU $pgcpu s, not in the CPU column" >> "$ROWS"
    ;;
  esac
done
echo
cat "$ROWS"
