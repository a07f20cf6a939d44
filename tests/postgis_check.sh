#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# PostGIS in and out (issue #22), against a throw-away PostgreSQL 15 + PostGIS cluster started
# on a Unix socket in a temporary folder (as tests/pgrouting_check.sh does):
#  in:  the Södermalm sample inputs (and the roads of a `platsa import-osm` of its extract) loaded
#       with ogr2ogr; `platsa access` reading them as "PG:CONNINFO:LAYER" writes CSV twins equal
#       byte for byte to the run from the files;
#  out: `-o "PG:CONNINFO:SCHEMA"` puts every layer into SCHEMA with the same rows as the GeoPackage,
#       the styles into public.layer_styles (f_table_catalog/schema/name), the metadata into
#       SCHEMA.platsa_metadata; refusals (schema exists without --overwrite, a bad input, no such
#       database) leave the schema identical, no temporary schema and no temporary file;
#       the schema opened in real QGIS from the database is valid, styled, aliased and drawn.
# usage: sh tests/postgis_check.sh   (from the repository root after make; PLATSA=build/platsa)
# Prints "N passed, N failed"; exit 0 when all pass, 77 when it cannot run here.
set -u
PLATSA=${PLATSA:-build/platsa}
PGBIN=/usr/lib/postgresql/15/bin
S=sample-data/sodermalm
[ -x "$PLATSA" ] || { echo "postgis_check: $PLATSA not built; run make first"; exit 77; }
[ -x "$PGBIN/initdb" ] && [ -f /usr/share/postgresql/15/extension/postgis.control ] || {
  echo "postgis_check: needs postgresql-15-postgis-3 (apt-get install postgresql-15-postgis-3)"; exit 77; }

# The cluster (tests/pg_cluster.sh) lives in TMP, its socket too: clients use -h "$TMP".
TMP=$(mktemp -d /tmp/platsa-pgis.XXXXXX)
PORT=54331
AS_PG=""; [ "$(id -u)" -eq 0 ] && AS_PG="runuser -u postgres --"
cleanup() { sh "$(dirname "$0")/pg_cluster.sh" stop "$TMP"; }
trap cleanup EXIT INT TERM
sh "$(dirname "$0")/pg_cluster.sh" start "$TMP" $PORT || exit 77
W=$TMP/work
mkdir "$W"
Q() { psql -X -q -t -A -h "$TMP" -p $PORT -U postgres -d platsa -c "$1"; }
psql -X -q -h "$TMP" -p $PORT -U postgres -d postgres -c "CREATE DATABASE platsa" >/dev/null
Q "CREATE EXTENSION postgis" >/dev/null
PG="PG:dbname=platsa host=$TMP port=$PORT user=postgres"
export TMPDIR=$W   # the temporary GeoPackage of a PG: output goes here: checked empty below

pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok: $1"; }
bad() { fail=$((fail + 1)); echo "FAILED: $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

# ---- in: the inputs from PostGIS give the same CSV twins as the files
"$PLATSA" -q import-osm $S/stockholm.osm.pbf -o "$W/layers.gpkg" --overwrite || { bad "import-osm"; exit 1; }
for spec in "$S/population.gpkg population" "$S/layers.gpkg services" "$W/layers.gpkg roads" \
            "$S/kommuner.gpkg kommuner"; do
  set -- $spec
  ogr2ogr -f PostgreSQL "$PG" "$1" "$2" -nln "$2" || bad "ogr2ogr $2"
done
ARGS="--mode walk --bands-km 0.25,0.5,1,2 --bands-min 3,5,10,20 --within 0.5"
"$PLATSA" -q access --population $S/population.gpkg:population --services $S/layers.gpkg:services \
  --roads "$W/layers.gpkg:roads" --municipalities $S/kommuner.gpkg $ARGS -o "$W/files.gpkg" --csv
check "access from files" '[ $? -eq 0 ]'
"$PLATSA" -q access --population "$PG:population" --services "$PG:services" --roads "$PG:roads" \
  --municipalities "$PG:kommuner" $ARGS -o "$W/pg.gpkg" --csv
check "access reading PG:CONNINFO:LAYER" '[ $? -eq 0 ]'
n=0
for c in "$W"/files_*.csv; do
  t=${c#"$W"/files_}
  check "CSV twin $t from PostGIS equals the one from files" 'cmp -s "$c" "$W/pg_$t"'
  n=$((n + 1))
done
check "CSV twins compared ($n)" '[ $n -ge 2 ]'

# ---- out: -o PG:CONNINFO:SCHEMA
"$PLATSA" -q access --population $S/population.gpkg:population --services $S/layers.gpkg:services \
  --roads "$W/layers.gpkg:roads" --municipalities $S/kommuner.gpkg $ARGS -o "$PG:access"
check "access -o PG:...:access" '[ $? -eq 0 ]'
tables=$(sqlite3 "$W/files.gpkg" "select table_name from gpkg_contents where table_name <> 'layer_styles' order by 1")
for t in $tables; do
  check "access.$t has the GeoPackage's rows" \
    '[ "$(ogr2ogr -f CSV /vsistdout/ "$W/files.gpkg" $t -lco GEOMETRY=AS_WKT | md5sum)" = \
       "$(ogr2ogr -f CSV /vsistdout/ "$PG" access.$t -lco GEOMETRY=AS_WKT | md5sum)" ]'
  want=$(sqlite3 "$W/files.gpkg" "select count(*) from layer_styles where f_table_name = '$t'")
  check "public.layer_styles has $want default style(s) for access.$t" \
    '[ "$(Q "select count(*) from public.layer_styles where f_table_catalog = '"'platsa'"' and
          f_table_schema = '"'access'"' and f_table_name = '"'$t'"' and useasdefault")" = "$want" ]'
done
check "styles: one row per styled layer, QML parsed as XML" \
  '[ "$(Q "select count(*) from public.layer_styles where f_table_schema = '"'access'"' and
        xpath_exists('"'/qgis'"', styleqml)")" = "$(sqlite3 "$W/files.gpkg" "select count(*) from layer_styles")" ]'
check "metadata: access.platsa_metadata holds the run's JSON" \
  '[ "$(Q "select metadata::json->>'"'tool'"' from access.platsa_metadata")" = platsa ]'

# ---- the schema opened in real QGIS from the database (tests/qgis/check_pg.py): every layer
# valid, its rows, styled from public.layer_styles, Swedish aliases, rendered not blank.
if /usr/bin/python3 -c 'import qgis.core' 2>/dev/null; then
  QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis/check_pg.py "$TMP" $PORT platsa access "$W/files.gpkg" \
    >"$TMP/qgis.log" 2>&1
  qrc=$?
  while read -r verdict rest; do
    case $verdict in PASS) ok "QGIS: $rest" ;; FAIL) bad "QGIS: $rest" ;; esac
  done <"$TMP/qgis.log"
  check "QGIS opened the schema (check_pg.py exit 0)" '[ $qrc -eq 0 ] || { tail -n 15 "$TMP/qgis.log"; false; }'
else
  bad "QGIS: no PyQGIS here (apt-get install python3-qgis qgis; make test-postgis installs it)"
fi

# pg_dump 15.14+ writes a random \\restrict key per dump: not part of the schema.
fingerprint() {
  { $AS_PG "$PGBIN/pg_dump" -h "$TMP" -p $PORT -U postgres -d platsa -n access | grep -v -e '^--' -e '^\\restrict' -e '^\\unrestrict';
    Q "select f_table_name, stylename, md5(styleqml::text), update_time from public.layer_styles order by id"; } | md5sum
}
before=$(fingerprint)
no_leftovers() {
  [ "$(Q "select count(*) from pg_namespace where nspname like '%__platsa_tmp_%'")" = 0 ] &&
    [ -z "$(ls -A "$W" | grep -v -e '^files' -e '^pg' -e '^layers.gpkg$')" ] || { ls -A "$W"; false; }
}
out=$("$PLATSA" -q access --population $S/population.gpkg:population --services $S/layers.gpkg:services \
  --roads "$W/layers.gpkg:roads" --municipalities $S/kommuner.gpkg $ARGS -o "$PG:access" 2>&1); rc=$?
check "schema exists without --overwrite: refused, exit 1" \
  '[ $rc -eq 1 ] && echo "$out" | grep -q "schema '"'access'"' exists; use --overwrite"'
check "... the schema is identical" '[ "$(fingerprint)" = "$before" ]'
check "... nothing left over" 'no_leftovers'
out=$("$PLATSA" -q access --population "$W/missing.gpkg" --services $S/layers.gpkg:services \
  --roads "$W/layers.gpkg:roads" $ARGS -o "$PG:access" --overwrite 2>&1); rc=$?
check "bad input with --overwrite: exit 1" '[ $rc -eq 1 ]'
check "... the schema is identical" '[ "$(fingerprint)" = "$before" ]'
check "... nothing left over" 'no_leftovers'
out=$("$PLATSA" -q access --population $S/population.gpkg:population --services $S/layers.gpkg:services \
  --roads "$W/layers.gpkg:roads" --municipalities $S/kommuner.gpkg $ARGS -o "PG:dbname=nosuchdb host=$TMP port=$PORT user=postgres:access" 2>&1); rc=$?
check "no such database: refused, exit 1, one line" \
  '[ $rc -eq 1 ] && echo "$out" | grep -q "cannot connect to the database" && [ "$(echo "$out" | wc -l)" -eq 1 ]'
out=$("$PLATSA" -q access --population $S/population.gpkg:population --services $S/layers.gpkg:services \
  --roads "$W/layers.gpkg:roads" --municipalities $S/kommuner.gpkg $ARGS -o "$PG" 2>&1); rc=$?
check "PG: output without a schema: refused, exit 1" '[ $rc -eq 1 ] && echo "$out" | grep -q "no schema given"'
check "... nothing left over" 'no_leftovers'
refused() {  # refused NAME MESSAGE-PART -o SPEC [more options]: exit 1, one line, schema identical
  name=$1 msg=$2; shift 2
  out=$("$PLATSA" -q access --population $S/population.gpkg:population --services $S/layers.gpkg:services \
    --roads "$W/layers.gpkg:roads" --municipalities $S/kommuner.gpkg $ARGS "$@" 2>&1); rc=$?
  check "$name: refused, exit 1, one line" \
    '[ $rc -eq 1 ] && echo "$out" | grep -qF "$msg" && [ "$(echo "$out" | wc -l)" -eq 1 ] || { echo "$out"; false; }'
  check "$name: schema identical, nothing left over" '[ "$(fingerprint)" = "$before" ] && no_leftovers'
}
refused "schema name not plain" "schema 'Access' is not a plain name" -o "$PG:Access" --overwrite
refused "schema name public" "schema 'public' is not a plain name" -o "$PG:public" --overwrite
psql -X -q -h "$TMP" -p $PORT -U postgres -d postgres -c "CREATE DATABASE plain" >/dev/null
refused "database without PostGIS" "the database has no PostGIS" \
  -o "PG:dbname=plain host=$TMP port=$PORT user=postgres:access" --overwrite
refused "--csv with a PG output" "drop --csv with a PG: output" -o "$PG:access" --overwrite --csv

# A failure inside the swap's transaction (here public.layer_styles refusing the new rows, as a
# table of another shape would): everything rolls back, the temporary schema is dropped.
Q "ALTER TABLE public.layer_styles ADD CONSTRAINT platsa_test_block CHECK (f_table_name <> 'access_cells') NOT VALID"
out=$("$PLATSA" -q access --population $S/population.gpkg:population --services $S/layers.gpkg:services \
  --roads "$W/layers.gpkg:roads" --municipalities $S/kommuner.gpkg $ARGS -o "$PG:access" --overwrite 2>&1); rc=$?
check "swap fails in its transaction: exit 2, one line" \
  '[ $rc -eq 2 ] && echo "$out" | grep -q "replacing schema access failed" && [ "$(echo "$out" | wc -l)" -eq 1 ]'
check "... the schema and its styles are identical, nothing left over" \
  '[ "$(fingerprint)" = "$before" ] && no_leftovers'
Q "ALTER TABLE public.layer_styles DROP CONSTRAINT platsa_test_block"

# --overwrite replaces the schema in one go (other distance bands).
"$PLATSA" -q access --population $S/population.gpkg:population --services $S/layers.gpkg:services \
  --roads "$W/layers.gpkg:roads" --municipalities $S/kommuner.gpkg --mode walk --bands-km 0.5,1 \
  -o "$PG:access" --overwrite
check "--overwrite replaces the schema" \
  '[ $? -eq 0 ] && [ "$(fingerprint)" != "$before" ] && no_leftovers &&
   [ "$(Q "select count(*) from public.layer_styles where f_table_schema = '"'access'"'")" = \
     "$(Q "select count(*) from public.layer_styles ls join pg_tables t on t.schemaname = ls.f_table_schema
           and t.tablename = ls.f_table_name where ls.f_table_schema = '"'access'"'")" ]'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
