#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# make demo: the main job (service access for the regional serviceprogram) on the shipped
# sample data. Usage: sample-data/demo.sh PLATSA OUT_DIR
set -eu
PLATSA=$1
OUT=$2
S=sample-data/sodermalm
M=sample-data/monaco
mkdir -p "$OUT"
run() {
  echo "+ platsa $*"
  "$PLATSA" "$@"
}

echo "== Södermalm, Stockholm: OpenStreetMap import, then walking access to everyday services"
# --service-areas: the streets reached in each band, 50 m either side (city blocks, not farms)
run import-osm $S/stockholm.osm.pbf -o "$OUT/sodermalm-layers.gpkg" --overwrite
run access --population $S/population.gpkg:population --services "$OUT/sodermalm-layers.gpkg:services" \
  --roads "$OUT/sodermalm-layers.gpkg:roads" --municipalities $S/kommuner.gpkg \
  --mode walk --bands-km 0.25,0.5,1,2 --bands-min 3,5,10,20 --within 0.5 \
  --service-areas --service-area-width 50 \
  -o "$OUT/sodermalm-access.gpkg" --overwrite --csv

echo "== Södermalm: 3-30-300 (trees in view, canopy per statistical area, walking distance to parks)"
L="$OUT/sodermalm-layers.gpkg"
run green --buildings "$L:buildings" --population $S/population.gpkg:population --trees "$L:trees" \
  --canopy "$L:canopy" --green-areas "$L:green_areas" --roads "$L:roads" \
  --neighbourhoods $S/statistikomraden.gpkg --municipalities $S/kommuner.gpkg \
  -o "$OUT/sodermalm-green.gpkg" --overwrite --csv

echo "== Monaco (synthetic population): car access to groceries, fuel, pharmacies and cash"
run import-osm $M/monaco.osm.pbf -o "$OUT/monaco-layers.gpkg" --overwrite
run access --population $M/population.gpkg:population --services "$OUT/monaco-layers.gpkg:services" \
  --roads "$OUT/monaco-layers.gpkg:roads" --municipalities $M/areas.gpkg \
  --bands-km 0.5,1,2,5 --bands-min 2,5,10,15 --within 1 \
  -o "$OUT/monaco-access.gpkg" --overwrite --csv

echo "== Region Örebro län: real SCB population (250 m split of the 1 km squares), SYNTHETIC roads and stores"
run synth --size M --cells 250m --data sample-data/orebro -o "$OUT/orebro-region.gpkg" --overwrite
R="$OUT/orebro-region.gpkg"
run access --population "$R:population" --services "$R:services" --roads "$R:roads" \
  --municipalities "$R:municipalities" --localities "$R:localities" --classify \
  -o "$OUT/orebro-access.gpkg" --overwrite --csv
run classify --population "$R:population" --localities "$R:localities" --roads "$R:roads" \
  --municipalities "$R:municipalities" -o "$OUT/orebro-classify.gpkg" --overwrite --csv

echo "== Region Örebro län: which grocery stores are critical (residents pushed beyond 30 min / 10 km if one closes)"
run stores --population "$R:population" --services "$R:services" --roads "$R:roads" \
  --municipalities "$R:municipalities" -o "$OUT/orebro-stores.gpkg" --overwrite --csv

echo "== Region Örebro län: pharmacy hubs within 15 minutes; 3 new hubs at tätorter covering the most people"
run coverage --population "$R:population" --hubs "$R:services" --types pharmacy --roads "$R:roads" \
  --municipalities "$R:municipalities" --min 15 --add 3 --candidates "localities:$R:localities" \
  -o "$OUT/orebro-coverage.gpkg" --overwrite --csv

echo "== Monaco: what-if scenarios (store closures, a new store, new housing, a closed road)"
# The shipped scenario file names ../../demo-output; a copy beside the outputs names wherever $OUT is.
SAMPLE=$(cd sample-data && pwd)
sed -e "s|\.\./\.\./demo-output/||" -e "s|= \.\./monaco/|= $SAMPLE/monaco/|" \
  sample-data/scenarios/monaco-grocery.ini > "$OUT/monaco-grocery.ini"
run scenario "$OUT/monaco-grocery.ini" -o "$OUT/monaco-scenarios.gpkg" --overwrite --csv

# Public transport: only where the Porto Alegre data (r5r's sample city) is at hand, in
# ../shared or $PLATSA_SHARED: its bus feed's licence is unstated, so it is not shipped.
POA=${PLATSA_SHARED:-../shared}/real-data/gtfs-osm-porto-alegre-r5r
if [ -f "$POA/poa_eptc.zip" ] && [ -f "$POA/poa_trensurb.zip" ] && [ -f "$POA/poa_osm.pbf" ] && [ -f "$POA/poa_hexgrid.csv" ]; then
  echo "== Porto Alegre (real buses, metro, OSM, population; GTFS of EPTC and TRENSURB via r5r): healthcare by public transport, 12:00-14:00"
  # Its prepared inputs go in a folder of their own: demo-output/*.gpkg are platsa's styled results.
  IN="$OUT/porto-alegre-inputs"
  mkdir -p "$IN"
  sh sample-data/porto-alegre/prepare.sh "$POA" "$IN"
  run import-osm "$POA/poa_osm.pbf" --crs EPSG:31982 -o "$IN/poa-layers.gpkg" --overwrite
  # The bus feed's trips run about 11:20-17:50 (PROVENANCE.md: cut so by r5r), so every
  # Porto Alegre step takes a midday window; 07:00-09:00 would be the metro alone.
  run access --mode transit --gtfs "$POA/poa_eptc.zip,$POA/poa_trensurb.zip" --date 2019-05-13 --window 12:00-14:00 \
    --population "$IN/poa-population.gpkg:population" --services "$IN/poa-services.gpkg:services" \
    --service-types "$IN/poa-healthcare.ini" --types healthcare --roads "$IN/poa-layers.gpkg:roads" \
    --municipalities "$IN/poa-area.gpkg" --crs EPSG:31982 -o "$OUT/poa-transit.gpkg" --overwrite --csv
  echo "== Porto Alegre: Tillväxtverket's classes by public transport to the city centre, 12:00-14:00"
  run classify --mode transit --gtfs "$POA/poa_eptc.zip,$POA/poa_trensurb.zip" --date 2019-05-13 --window 12:00-14:00 \
    --population "$IN/poa-population.gpkg:population" --localities "$IN/poa-centre.gpkg" \
    --roads "$IN/poa-layers.gpkg:roads" --municipalities "$IN/poa-area.gpkg" --crs EPSG:31982 \
    -o "$OUT/poa-classify-transit.gpkg" --overwrite --csv
  echo "== Porto Alegre: healthcare within 15 minutes by public transport, 12:00-14:00; 3 new sites on the streets (one per 2 km square)"
  run coverage --mode transit --gtfs "$POA/poa_eptc.zip,$POA/poa_trensurb.zip" --date 2019-05-13 --window 12:00-14:00 \
    --population "$IN/poa-population.gpkg:population" --hubs "$IN/poa-services.gpkg:services" \
    --service-types "$IN/poa-healthcare.ini" --types healthcare --roads "$IN/poa-layers.gpkg:roads" \
    --municipalities "$IN/poa-area.gpkg" --crs EPSG:31982 --min 15 --add 3 --candidates roads --candidate-spacing 2000 \
    -o "$OUT/poa-coverage-transit.gpkg" --overwrite --csv
else
  echo "== Porto Alegre public transport: skipped ($POA not found)"
fi

echo "== Map report for decision makers (Örebro: Region Örebro län's goal, nobody more than 30 min to groceries)"
run report "$OUT/orebro-access.gpkg" -o "$OUT/orebro-report" --overwrite --goal-min 30
run report "$OUT/sodermalm-access.gpkg" -o "$OUT/sodermalm-report" --overwrite

echo
echo "Grocery stores (any assortment) per kommun, Örebro län, by car (synthetic stores and roads):"
T="$OUT/orebro-access_access_municipalities_table.csv"
cols=$(head -n 1 "$T" | tr ',' '\n' | grep -n -E '^(kommun|namn|pop|grocery_mean_km|grocery_mean_min|grocery_pop_min_over_45)$' | cut -d: -f1 | paste -sd, -)
cut -d, -f"$cols" "$T"
echo
echo "The five most critical grocery stores, Örebro län:"
T="$OUT/orebro-stores_store_priority_table.csv"
cols=$(head -n 1 "$T" | tr ',' '\n' | grep -n -E '^(rank|name|kommun_namn|pop_nearest|pop_beyond_10km|pop_beyond_30min|added_person_km|next_store_km)$' | cut -d: -f1 | paste -sd, -)
head -n 6 "$T" | cut -d, -f"$cols"
echo
echo "Summary per municipality (Södermalm, walking):"
cut -d, -f1-3,5-9 "$OUT/sodermalm-access_access_municipalities_table.csv"
echo
echo "Open $OUT/*.gpkg in QGIS: the layers come styled, with Swedish field names."
echo "Open $OUT/orebro-report/index.html in a browser for the map report."
