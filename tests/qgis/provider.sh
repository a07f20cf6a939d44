#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# make test-qgis (second part): the QGIS Processing provider (qgis/platsa_processing) in real
# QGIS, headless, through qgis_process. The plugin is installed from the zip `make plugin-zip`
# builds into a throw-away profile (QGIS_CUSTOM_CONFIG_PATH: qgis_process 3.22 has no
# --profiles-path), enabled with `qgis_process plugins enable`, then:
#  - `qgis_process list` shows one platsa algorithm per `platsa --commands`;
#  - platsa:access on the Södermalm walk (as sample-data/demo.sh runs it) writes a GeoPackage
#    whose CSV twins and table rows equal those of build/platsa access with the same options;
#  - platsa:info (a positional FILE[:LAYER]..., answer on stdout) prints what platsa info prints;
#  - a bad input (--bands-km 2,1) is a failed run carrying platsa's one-line message, and the
#    existing output is left byte-identical;
#  - (tests/qgis/provider_style.py, QGIS's Python) the layers a run loads are named by platsa's
#    Swedish titles and styled from the GeoPackage's layer_styles.
#
# usage: tests/qgis/provider.sh PLATSA PLUGIN_ZIP
set -u
PLATSA=$(realpath "$1")
ZIP=$(realpath "$2")
OUT=build/test-qgis-provider
rm -rf "$OUT"
mkdir -p "$OUT/profile/profiles/default/python/plugins" "$OUT/qgis" "$OUT/cli"
export QT_QPA_PLATFORM=offscreen QGIS_CUSTOM_CONFIG_PATH="$PWD/$OUT/profile" PLATSA_BIN="$PLATSA"
# Debian's qgis_process wrapper passes QGIS_OPTS from /etc/default/qgis (--noversioncheck),
# which qgis_process refuses ("Command --noversioncheck not known!"): call the program itself.
QP=qgis_process
[ -x /usr/bin/qgis_process.bin ] && QP=/usr/bin/qgis_process.bin
passed=0
failed=0
ok() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }

python3 -m zipfile -e "$ZIP" "$OUT/profile/profiles/default/python/plugins" || fail "unzip $ZIP"
"$QP" plugins enable platsa_processing > "$OUT/enable.log" 2>&1
if "$QP" plugins 2>/dev/null | grep -q '^\* platsa_processing$'; then ok "plugin enabled"
else fail "plugin enabled (see $OUT/enable.log)"; fi

"$QP" list > "$OUT/list.log" 2>&1
want=$("$PLATSA" --commands | sed 's/-/_/g; s/^/platsa:/' | sort)
got=$(sed -n 's/^[[:space:]]*\(platsa:[a-z_]*\).*/\1/p' "$OUT/list.log" | sort)
if [ -n "$got" ] && [ "$got" = "$want" ]; then ok "list: $(echo "$got" | wc -l) platsa algorithms"
else fail "list: want [$want] got [$got]"; fi

# The Södermalm walk of sample-data/demo.sh, once by platsa and once through QGIS, on copies:
# QGIS turns every GeoPackage it opens to WAL mode (OGR_SQLITE_JOURNAL=WAL), which would change
# the shipped files' bytes.
S="$OUT/in"
mkdir -p "$S"
cp sample-data/sodermalm/population.gpkg sample-data/sodermalm/kommuner.gpkg "$S/"
shipped_sum=$(cat sample-data/sodermalm/* | cksum)
L="$OUT/sodermalm-layers.gpkg"
"$PLATSA" -q import-osm sample-data/sodermalm/stockholm.osm.pbf -o "$L" || fail "import-osm"
"$PLATSA" -q access --population $S/population.gpkg:population --services "$L:services" \
  --roads "$L:roads" --municipalities $S/kommuner.gpkg \
  --mode walk --bands-km 0.25,0.5,1,2 --bands-min 3,5,10,20 --within 0.5 \
  -o "$OUT/cli/access.gpkg" --csv || fail "platsa access"
# qgis_process 3.22 takes an enum by index: walk is choice 2 of car|bike|walk|transit.
run_access() {
  "$QP" run platsa:access -- "population=$S/population.gpkg|layername=population" \
    "services=$L|layername=services" "roads=$L|layername=roads" municipalities=$S/kommuner.gpkg \
    mode=2 within=0.5 output="$OUT/qgis/access.gpkg" overwrite=true "$@"
}
if run_access bands_km=0.25,0.5,1,2 bands_min=3,5,10,20 csv=true > "$OUT/access.log" 2>&1 \
   && grep -q "output:.*$OUT/qgis/access.gpkg" "$OUT/access.log"; then ok "run platsa:access"
else fail "run platsa:access (see $OUT/access.log)"; tail -n 5 "$OUT/access.log"; fi

ncsv=0
for c in "$OUT"/cli/access_*.csv; do
  q="$OUT/qgis/$(basename "$c")"
  if cmp -s "$c" "$q"; then ncsv=$((ncsv + 1)); else fail "CSV twin $(basename "$c") differs"; fi
done
[ "$ncsv" -gt 0 ] && ok "$ncsv CSV twins byte-identical to build/platsa access"

# Every table's rows (layers, attribute tables, styles), not the run's metadata nor the styles'
# update_time (they hold the time of the run).
dump() {
  for t in $(sqlite3 "$1" "SELECT table_name FROM gpkg_contents WHERE table_name <> 'layer_styles' ORDER BY table_name"); do
    echo "== $t"; sqlite3 "$1" "SELECT * FROM \"$t\""
  done
  sqlite3 "$1" "SELECT f_table_name, f_geometry_column, styleName, styleQML, styleSLD, useAsDefault,
    description FROM layer_styles ORDER BY id"
}
dump "$OUT/cli/access.gpkg" > "$OUT/rows-cli.txt"
dump "$OUT/qgis/access.gpkg" > "$OUT/rows-qgis.txt"
if [ -s "$OUT/rows-cli.txt" ] && cmp -s "$OUT/rows-cli.txt" "$OUT/rows-qgis.txt"; then
  ok "GeoPackage rows identical ($(grep -c '^== ' "$OUT/rows-cli.txt") tables, $(wc -l < "$OUT/rows-cli.txt") lines)"
else fail "GeoPackage rows differ: diff $OUT/rows-cli.txt $OUT/rows-qgis.txt"; fi

"$PLATSA" info $S/kommuner.gpkg > "$OUT/cli/info.txt" 2>&1
"$QP" run platsa:info -- inputs=$S/kommuner.gpkg > "$OUT/info.log" 2>&1
if [ -s "$OUT/cli/info.txt" ] && grep -qF "$(head -n 1 "$OUT/cli/info.txt")" "$OUT/info.log" \
   && grep -qF "$(tail -n 1 "$OUT/cli/info.txt")" "$OUT/info.log"; then ok "run platsa:info (stdout)"
else fail "run platsa:info (see $OUT/info.log)"; fi

# A bad input: platsa's one line, a failed run, the earlier output untouched.
cp "$OUT/qgis/access.gpkg" "$OUT/before.gpkg"
msg=$("$PLATSA" access --population $S/population.gpkg:population --services "$L:services" \
  --roads "$L:roads" --municipalities $S/kommuner.gpkg --bands-km 2,1 -o "$OUT/cli/bad.gpkg" 2>&1)
if run_access bands_km=2,1 > "$OUT/bad.log" 2>&1; then fail "bad input: qgis_process exited 0"
elif [ -n "$msg" ] && grep -qF "ERROR:	$msg" "$OUT/bad.log"; then ok "bad input fails with: $msg"
else fail "bad input: want ERROR: $msg (see $OUT/bad.log)"; fi
if cmp -s "$OUT/before.gpkg" "$OUT/qgis/access.gpkg" && [ -z "$(ls "$OUT/qgis" | grep -v -e '\.gpkg$' -e '\.csv$')" ]
then ok "refused run left the output byte-identical, no temporaries"
else fail "refused run changed the output or left files: $(ls "$OUT/qgis")"; fi

# Result loading (qgis_process loads no layers): in QGIS's Python, the layers a run asks to load
# come with their Swedish names and the GeoPackage's default styles.
cat > "$OUT/style-params.json" <<EOF
{"population": "$S/population.gpkg|layername=population", "services": "$L|layername=services",
 "roads": "$L|layername=roads", "municipalities": "$S/kommuner.gpkg", "mode": 2, "within": 0.5,
 "overwrite": true}
EOF
/usr/bin/python3 tests/qgis/provider_style.py "$OUT/profile/profiles/default/python/plugins" \
  "$OUT/qgis/styled.gpkg" "$OUT/style-params.json" > "$OUT/style.log" 2>&1
grep -E '^(PASS|FAIL) ' "$OUT/style.log"
summary=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$OUT/style.log")
if [ -n "$summary" ]; then
  set -- $summary
  passed=$((passed + $1))
  failed=$((failed + $2))
else fail "provider_style.py ended without a summary (see $OUT/style.log)"; tail -n 5 "$OUT/style.log"; fi

if [ "$(cat sample-data/sodermalm/* | cksum)" = "$shipped_sum" ]; then ok "shipped sample data untouched"
else fail "shipped sample data changed: git status sample-data"; fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
