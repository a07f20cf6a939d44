#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Makes the small real-data extracts in tests/data/ from the full originals (the folder
# `real-data` of the project's shared data, each with its PROVENANCE.md). Run from the repository
# root: sh tests/data/extract.sh /path/to/real-data
# The tests never run this: the extracts are committed. Each folder's PROVENANCE.md quotes the
# commands below. Rows and features keep the originals' order, bytes and quirks where the format
# allows (CSV and GeoJSON rows are copied as text; the SCB shapefile stays cp1252 without .cpg
# and keeps its "unnamed" .prj byte for byte).
set -eu
REAL=${1:?usage: sh tests/data/extract.sh /path/to/real-data}
D=tests/data
[ -d "$REAL/scb-admin-boundaries" ] || { echo "extract.sh: $REAL is not the real-data folder" >&2; exit 1; }
# Fixed timestamps in the GeoPackages, so the same inputs give the same bytes.
OGR="ogr2ogr --config OGR_CURRENT_DATE 2023-11-14T22:13:20Z"

# Empties an extract folder but keeps its PROVENANCE.md (written by hand, not by this script).
fresh_dir() {
  mkdir -p "$1"
  find "$1" -type f ! -name PROVENANCE.md -delete
}

# GeoJSON written one feature per line: keep the header, the features whose line matches the
# extended regular expression $3, and the closing lines (the last kept feature loses its comma).
geojson_lines() {
  awk -v re="$3" '
    /^\{ "type": "Feature"/ { if ($0 ~ re) { sub(/,$/, ""); if (n++) printf ",\n"; printf "%s", $0 } ; next }
    /^\]$/ { printf "\n" }
    { print }' "$1" > "$2"
}

# ---------- scb-admin-boundaries: the län Stockholm (01), Gotland (09), Örebro (18), Västmanland (19) ----------
# Örebro and Västmanland are what `platsa synth --size S|M` (Örebro kommun, Örebro län) reads in
# tests/test_synth.c: the kommuner of both make one landmass with the towns Örebro and Västerås.
A=$D/scb-admin-boundaries
fresh_dir "$A"
SRC=$REAL/scb-admin-boundaries/sweden_admin_scb_sweref99tm.gpkg
$OGR -f GPKG "$A/sweden_admin_scb_sweref99tm.gpkg" "$SRC" kommuner -where "LnKod IN ('01','09','18','19')"
$OGR -f GPKG -update "$A/sweden_admin_scb_sweref99tm.gpkg" "$SRC" lan -where "LnKod IN ('01','09','18','19')"
$OGR -f GPKG -update "$A/sweden_admin_scb_sweref99tm.gpkg" "$SRC" fa_regioner -where "fa_kod IN ('1','16')"
# The original shapefile: cp1252 DBF (LDID 87, GDAL's default when writing), no .cpg, the
# original .prj copied over the one ogr2ogr writes.
$OGR -f "ESRI Shapefile" "$A/Kommun_Sweref99TM.shp" "$REAL/scb-admin-boundaries/Kommun_Sweref99TM.shp" \
    -where "substr(KnKod, 1, 2) IN ('01','09','18','19')" -lco ENCODING=LDID/87
rm -f "$A/Kommun_Sweref99TM.cpg"
cp "$REAL/scb-admin-boundaries/Kommun_Sweref99TM.prj" "$A/Kommun_Sweref99TM.prj"
geojson_lines "$REAL/scb-admin-boundaries/swe-maps-kommun.geojson" "$A/swe-maps-kommun.geojson" '"KnKod": "(0[19]|1[89])'
geojson_lines "$REAL/scb-admin-boundaries/swe-maps-lan.geojson" "$A/swe-maps-lan.geojson" '"LnKod": "(0[19]|1[89])"'

# ---------- scb-tatorter-2020: the tätorter of the same four län ----------
T=$D/scb-tatorter-2020
fresh_dir "$T"
$OGR -f GPKG "$T/scb_tatorter_2020_points.gpkg" "$REAL/scb-tatorter-2020/scb_tatorter_2020_points.gpkg" \
    -where "lan_code IN ('01','09','18','19')"

# ---------- scb-population-grid-1km-2024 ----------
# CSV: the header and the rows of Örebro län (18, for synth), Stockholm (0180, the densest
# squares), Värmdö (0120, an archipelago, for synth) and Gotland (09, an island), copied as text.
G=$D/scb-population-grid-1km-2024
fresh_dir "$G"
GRID=$REAL/scb-population-grid-1km-2024/scb_befolkning_1km_2024_sverige.csv
{ head -n 1 "$GRID"; grep -E '^[^,]*,[^,]*,[^,]*,[^,]*,"?(18[0-9][0-9]|0180|0120|09[0-9][0-9])"?,' "$GRID"; } \
    > "$G/scb_befolkning_1km_2024_sverige.csv"
# GeoPackage: each of the five län layers cut to the squares in a 20 x 20 km box.
GPKG=$REAL/scb-population-grid-1km-2024/scb_befolkning_1km_2024_utvalda_lan.gpkg
OUT=$G/scb_befolkning_1km_2024_utvalda_lan.gpkg
box() { # layer xmin ymin: the squares whose south-west corner (x_sw, y_sw) is in the 20 km box
  up=; [ -f "$OUT" ] && up=-update
  $OGR -f GPKG $up "$OUT" "$GPKG" "$1" \
      -where "x_sw >= $2 AND x_sw < $(($2 + 20000)) AND y_sw >= $3 AND y_sw < $(($3 + 20000))"
}
# Each box holds the layer's most populated square (central Stockholm, Uppsala, Visby, Östersund, Umeå).
rm -f "$OUT"
box pop1km_01_stockholm 665000 6570000
box pop1km_03_uppsala 640000 6630000
box pop1km_09_gotland 685000 6380000
box pop1km_23_jamtland 470000 6995000
box pop1km_24_vasterbotten 750000 7075000

# ---------- scb-deso-stockholms-lan-population: Sundbyberg (0183) and Solna (0184) ----------
S=$D/scb-deso-stockholms-lan-population
fresh_dir "$S"
$OGR -f GPKG "$S/deso_2018_stockholms_lan_befolkning.gpkg" \
    "$REAL/scb-deso-stockholms-lan-population/deso_2018_stockholms_lan_befolkning.gpkg" -where "kommun IN ('0183','0184')"
jq -c '.features |= map(select(.properties.kommun == "0183" or .properties.kommun == "0184"))' \
    "$REAL/scb-deso-stockholms-lan-population/deso_stockholm_pop_2010_2023.geojson" \
    > "$S/deso_stockholm_pop_2010_2023.geojson"

# ---------- swedish-city-districts ----------
# Stockholm: the statistical areas around the Södermalm OSM extract (osm-stockholm-valhalla),
# Göteborg and Malmö: the first 40 features.
C=$D/swedish-city-districts
fresh_dir "$C"
CSRC=$REAL/swedish-city-districts/swedish_city_districts.gpkg
$OGR -f GPKG "$C/swedish_city_districts.gpkg" "$CSRC" stockholm_statistikomraden \
    -spat 18.04 59.305 18.09 59.325 -spat_srs EPSG:4326
$OGR -f GPKG -update "$C/swedish_city_districts.gpkg" "$CSRC" goteborg_basomraden -where "fid <= 40"
$OGR -f GPKG -update "$C/swedish_city_districts.gpkg" "$CSRC" malmo_delomraden -where "fid <= 40"

# ---------- osm-sweden-health-facilities-hotosm-2020: the facilities in the same four län ----------
H=$D/osm-sweden-health-facilities-hotosm-2020
fresh_dir "$H"
HSRC=$REAL/osm-sweden-health-facilities-hotosm-2020
$OGR -f GPKG "$H/hotosm_swe_health_facilities_2020.gpkg" "$HSRC/hotosm_swe_health_facilities_2020.gpkg" \
    -where "substr(kn_kod, 1, 2) IN ('01','09','18','19')"
# The CSV has no kommun codes: the same facilities by osm_id, rows copied as text.
ogrinfo -q -sql "SELECT osm_id FROM health_facilities" "$H/hotosm_swe_health_facilities_2020.gpkg" |
    sed -n 's/^  osm_id (String) = //p' > "$H/ids.tmp"
awk -F, 'NR == FNR { keep[$1] = 1; next } FNR == 1 || ($1 in keep)' "$H/ids.tmp" \
    "$HSRC/hotosm_swe_health_facilities_2020.csv" > "$H/hotosm_swe_health_facilities_2020.csv"
rm -f "$H/ids.tmp"

# ---------- osm-stockholm-drive-network-fmm: the whole network, DBF fields resized ----------
# The original DBF fields are 80 characters wide (1.2 MB); RESIZE=YES shrinks them to the
# longest value; every record and value is kept.
N=$D/osm-stockholm-drive-network-fmm
fresh_dir "$N"
for f in edges nodes; do
  $OGR -f "ESRI Shapefile" "$N/$f.shp" "$REAL/osm-stockholm-drive-network-fmm/$f.shp" -lco RESIZE=YES -lco ENCODING=UTF-8
  cp "$REAL/osm-stockholm-drive-network-fmm/$f.cpg" "$N/$f.cpg"
  cp "$REAL/osm-stockholm-drive-network-fmm/$f.prj" "$N/$f.prj"
done

# ---------- OSM extracts ----------
# stockholm.osm.pbf and monaco.osm.pbf are in sample-data/ (byte-identical copies); the tests
# read them there.
O=$D/osm-monaco-amager-osrm
fresh_dir "$O"
cp "$REAL/osm-monaco-amager-osrm/amager.osm.pbf" "$O/"
L=$D/osm-lund-oslo-otp
fresh_dir "$L"
cp "$REAL/osm-lund-oslo-otp/lund-station-sweden.osm.pbf" "$REAL/osm-lund-oslo-otp/skoyen.osm.pbf" "$L/"
# The eastern Oslo street network (1 MB): a 1.5 x 1 km box of it, complete ways.
osmium extract --overwrite -s complete_ways -b 10.78,59.905,10.805,59.915 \
    "$REAL/osm-lund-oslo-otp/oslo-east-filtered.osm.pbf" -o "$L/oslo-east-filtered.osm.pbf"
# GTFS (tests/test_gtfs.c): two whole feeds, unchanged (count_feed.py beside them is ours).
cp "$REAL/gtfs-sweden-sj-rail-2023/sj-gtfs-2023.zip" "$REAL/gtfs-osm-porto-alegre-r5r/poa_trensurb.zip" "$D/gtfs/"
# Porto Alegre end to end (tests/test_transit.c): the bus feed, OSM extract, grid and places,
# unchanged; the rail feed is the copy in gtfs/.
P=$D/gtfs-osm-porto-alegre-r5r
fresh_dir "$P"
for f in poa_eptc.zip poa_osm.pbf poa_hexgrid.csv poa_points_of_interest.csv; do
  cp "$REAL/gtfs-osm-porto-alegre-r5r/$f" "$P/"
done

du -sh "$D"
