#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Rebuilds the derived files of sample-data/ from the originals in ../shared/real-data
# (or $PLATSA_SHARED/real-data), with platsa and ogr2ogr. Run from anywhere:
#   sh sample-data/build.sh [PATH/TO/platsa]
# The outputs are committed, so `make demo` needs nothing but this folder. Timestamps are fixed
# (SOURCE_DATE_EPOCH, OGR_CURRENT_DATE), so rebuilding from the same inputs gives the same data.
set -eu
cd "$(dirname "$0")/.."
PLATSA=${1:-build/platsa}
REAL=${PLATSA_SHARED:-../shared}/real-data
OUT=sample-data
[ -x "$PLATSA" ] || { echo "build.sh: $PLATSA not found; run make first" >&2; exit 1; }
[ -d "$REAL" ] || { echo "build.sh: $REAL not found; set PLATSA_SHARED" >&2; exit 1; }
command -v ogr2ogr >/dev/null || { echo "build.sh: ogr2ogr (gdal-bin) is needed" >&2; exit 1; }

SOURCE_DATE_EPOCH=1700000000
export SOURCE_DATE_EPOCH
FIXED_DATE=2023-11-14T22:13:20Z
OGR="ogr2ogr --config OGR_CURRENT_DATE $FIXED_DATE -f GPKG -overwrite"
TMP=build/sample-data-tmp   # fixed path: it is recorded in the outputs' metadata
rm -rf "$TMP"
mkdir -p "$TMP"

# ---------- Södermalm, Stockholm ----------
S=$OUT/sodermalm
mkdir -p "$S"
cat "$REAL/osm-stockholm-valhalla/stockholm.osm.pbf" > "$S/stockholm.osm.pbf"
"$PLATSA" -q import-osm "$S/stockholm.osm.pbf" -o "$S/layers.gpkg" --overwrite

# The mapped area: the extent of the OSM buildings (EPSG:3006). Long ways reach further out.
set -- $(ogrinfo -so "$S/layers.gpkg" buildings |
         sed -n 's/^Extent: (\([0-9.]*\), \([0-9.]*\)) - (\([0-9.]*\), \([0-9.]*\))$/\1 \2 \3 \4/p')
[ $# -eq 4 ] || { echo "build.sh: cannot read the extent of $S/layers.gpkg:buildings" >&2; exit 1; }
XMIN=$1 YMIN=$2 XMAX=$3 YMAX=$4

# Stockholm's statistical areas (Stockholms stad, EPSG:3011 as published) with at least half
# of their area inside it (the others would have almost no OSM buildings); pop = pop_2016
# (residents 2016-12-31).
rm -f "$S/statistikomraden.gpkg"
$OGR "$S/statistikomraden.gpkg" "$REAL/swedish-city-districts/swedish_city_districts.gpkg" \
    -nln statistikomraden -nlt POLYGON -a_srs EPSG:3011 -dialect SQLite \
    -sql "SELECT CAST(CAST(nyckelkod AS INTEGER) AS TEXT) AS nyckelkod, namn, kommun,
                 pop_2016 AS pop, pop_2014, pop_2015, pop_2016, geom
          FROM stockholm_statistikomraden
          WHERE ST_Area(ST_Intersection(ST_Transform(geom, 3006),
                                        BuildMBR($XMIN, $YMIN, $XMAX, $YMAX, 3006))) >= 0.5 * ST_Area(geom)
          ORDER BY nyckelkod"

# SCB kommun boundaries (Stockholm 0180 and its neighbours) clipped to 5 km around it.
B=5000
CLIP=$(awk -v a="$XMIN" -v b="$YMIN" -v c="$XMAX" -v d="$YMAX" -v m=$B \
       'BEGIN { printf "%.0f %.0f %.0f %.0f", a - m, b - m, c + m, d + m }')
rm -f "$S/kommuner.gpkg"
$OGR "$S/kommuner.gpkg" "$REAL/scb-admin-boundaries/sweden_admin_scb_sweref99tm.gpkg" kommuner \
    -spat $CLIP -clipsrc $CLIP -nlt MULTIPOLYGON -nln kommuner

# Dasymetric population: the 2016 residents of each area over its residential buildings.
"$PLATSA" -q population --areas "$S/statistikomraden.gpkg" --buildings "$S/layers.gpkg:buildings" \
    -o "$S/population.gpkg" --polygons --overwrite

# ---------- Monaco ----------
M=$OUT/monaco
mkdir -p "$M"
cat "$REAL/osm-monaco-amager-osrm/monaco.osm.pbf" > "$M/monaco.osm.pbf"
# The full import (23k buildings, about 9 MB) is not kept: the demo imports it itself.
"$PLATSA" -q import-osm "$M/monaco.osm.pbf" -o "$TMP/monaco-layers.gpkg" --admin-level 8

# Areas: the communes complete in the extract (OSM admin_level 8) with SYNTHETIC round
# populations (see README.md). Codes: Monaco 'MC', French communes their INSEE code.
rm -f "$M/areas.gpkg"
$OGR "$M/areas.gpkg" "$TMP/monaco-layers.gpkg" -nln areas -nlt MULTIPOLYGON \
    -sql "SELECT CASE name WHEN 'Monaco' THEN 'MC' WHEN 'Beausoleil' THEN '06012'
                 WHEN 'Cap-d''Ail' THEN '06032' WHEN 'La Turbie' THEN '06150' END AS code,
                 name,
                 CASE name WHEN 'Monaco' THEN 38000 WHEN 'Beausoleil' THEN 13500
                 WHEN 'Cap-d''Ail' THEN 4600 WHEN 'La Turbie' THEN 3200 END AS pop,
                 osm_id, geom
          FROM municipalities ORDER BY name"

# Few Monaco buildings carry residential tags, so the synthetic totals go over all buildings.
"$PLATSA" -q population --areas "$M/areas.gpkg" --buildings "$TMP/monaco-layers.gpkg:buildings" \
    --all-buildings -o "$M/population.gpkg" --overwrite

# ---------- orebro/: the real inputs `platsa synth --size M` reads, cut to Örebro län ----------
# SCB 1 km squares of län 18, the län's kommuner and the län itself, the tätorter of län 18
# and its neighbours (for roads to the neighbouring towns), and the OSM pharmacies.
# Same folder layout as ../shared/real-data, so the demo runs `platsa synth --data sample-data/orebro`.
O="$OUT/orebro"
rm -rf "$O"
mkdir -p "$O/scb-population-grid-1km-2024" "$O/scb-admin-boundaries" "$O/scb-tatorter-2020" \
    "$O/osm-sweden-health-facilities-hotosm-2020"
GRID="$REAL/scb-population-grid-1km-2024/scb_befolkning_1km_2024_sverige.csv"
{ head -n 1 "$GRID"; grep -E '^"?[0-9]+"?,[0-9]+,[0-9]+,[0-9]+,"?18[0-9][0-9]"?,' "$GRID"; } \
    > "$O/scb-population-grid-1km-2024/scb_befolkning_1km_2024_sverige.csv"
ADMIN="$O/scb-admin-boundaries/sweden_admin_scb_sweref99tm.gpkg"
$OGR "$ADMIN" "$REAL/scb-admin-boundaries/sweden_admin_scb_sweref99tm.gpkg" kommuner -where "LnKod = '18'"
$OGR -update "$ADMIN" "$REAL/scb-admin-boundaries/sweden_admin_scb_sweref99tm.gpkg" lan -where "LnKod = '18'"
$OGR "$O/scb-tatorter-2020/scb_tatorter_2020_points.gpkg" "$REAL/scb-tatorter-2020/scb_tatorter_2020_points.gpkg" \
    -where "lan_code IN ('18','17','19','20','04','05','14','03')"
$OGR "$O/osm-sweden-health-facilities-hotosm-2020/hotosm_swe_health_facilities_2020.gpkg" \
    "$REAL/osm-sweden-health-facilities-hotosm-2020/hotosm_swe_health_facilities_2020.gpkg" -where "amenity = 'pharmacy'"

du -sh "$OUT"
