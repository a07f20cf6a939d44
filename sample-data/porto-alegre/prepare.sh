#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Porto Alegre (r5r's sample city) as platsa inputs, for the public-transport demo and run:
# the H3 population grid as points, its cells with healthcare > 0 as services of type
# "healthcare" (one per cell, at the cell's centre), one polygon around the grid as the
# "municipality", a service-types file for healthcare, and the city centre (r5r's point of
# interest public_market, Mercado Público) as the one "tätort" for classify, with Porto
# Alegre's population at IBGE's 2010 census (1,409,351). Usage:
#   sample-data/porto-alegre/prepare.sh DATA_DIR OUT_DIR
# DATA_DIR holds poa_hexgrid.csv (../shared/real-data/gtfs-osm-porto-alegre-r5r/, see its
# PROVENANCE.md: r5r, MIT; OSM ODbL; GTFS of EPTC and TRENSURB, licence unstated: tests only,
# with attribution). Working CRS: EPSG:31982 (SIRGAS 2000 / UTM 22S).
set -eu
DATA=$1
OUT=$2
mkdir -p "$OUT"
CSV="$DATA/poa_hexgrid.csv"
OPEN="-oo X_POSSIBLE_NAMES=lon -oo Y_POSSIBLE_NAMES=lat -oo KEEP_GEOM_COLUMNS=NO -s_srs EPSG:4326 -t_srs EPSG:31982"
rm -f "$OUT/poa-population.gpkg" "$OUT/poa-services.gpkg" "$OUT/poa-area.gpkg" "$OUT/poa-centre.gpkg"
# shellcheck disable=SC2086
ogr2ogr -f GPKG "$OUT/poa-population.gpkg" "$CSV" $OPEN -nln population \
  -sql "SELECT id, CAST(population AS integer) AS pop FROM poa_hexgrid"
# shellcheck disable=SC2086
ogr2ogr -f GPKG "$OUT/poa-services.gpkg" "$CSV" $OPEN -nln services -dialect sqlite \
  -sql "SELECT id, 'healthcare' AS type, 'healthcare x' || healthcare AS name, geometry FROM poa_hexgrid WHERE CAST(healthcare AS integer) > 0"
ogr2ogr -f GPKG "$OUT/poa-area.gpkg" "$OUT/poa-population.gpkg" -nln area -dialect sqlite \
  -sql "SELECT '4314' AS kod, 'Porto Alegre' AS namn, ST_Buffer(ST_ConvexHull(ST_Collect(geom)), 2000) AS geom FROM population"
# shellcheck disable=SC2086
ogr2ogr -f GPKG "$OUT/poa-centre.gpkg" "$DATA/poa_points_of_interest.csv" $OPEN -nln localities \
  -sql "SELECT 'Centro Histórico' AS name, 1409351 AS pop FROM poa_points_of_interest WHERE id = 'public_market'"
cat > "$OUT/poa-healthcare.ini" <<'INI'
[healthcare]
label_sv = Vård (hälsocentral)
label_en = Healthcare
values = healthcare
bands_km = 0.5, 1, 2, 5
bands_min = 10, 20, 30, 45, 60
rsp = 1
INI
