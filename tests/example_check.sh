#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# make test: examples/access_example.c (the library through <platsa.h> only) gets the same
# tables as `platsa access` with the same options: every CSV twin byte for byte, and every
# feature and attribute table's rows (not the metadata, which holds the command line and
# times; layer_styles without its update_time).
# Usage: tests/example_check.sh PLATSA EXAMPLE
set -u
PLATSA=$1
EXAMPLE=$2
S=sample-data/sodermalm
DIR=$(mktemp -d "${TMPDIR:-/tmp}/platsa-example.XXXXXX")
trap 'rm -rf "$DIR"' EXIT
"$EXAMPLE" $S "$DIR/lib.gpkg" || { echo "example: FAILED (access_example exited $?)"; exit 1; }
"$PLATSA" -q access --population $S/population.gpkg:population --services $S/layers.gpkg:services \
  --roads $S/layers.gpkg:roads --municipalities $S/kommuner.gpkg --mode walk --bands-km 0.25,0.5,1,2 \
  --bands-min 3,5,10,20 --within 0.5 -o "$DIR/cli.gpkg" --overwrite --csv || { echo "example: FAILED (platsa access)"; exit 1; }
n=0
for c in "$DIR"/cli_*.csv; do
  t=${c#"$DIR"/cli_}
  cmp -s "$c" "$DIR/lib_$t" || { echo "example: FAILED: $t differs between the library and the CLI"; exit 1; }
  n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "example: FAILED: no CSV twin written"; exit 1; }
rows() {
  for t in $(sqlite3 "$1" "select table_name from gpkg_contents where data_type in ('features','attributes') order by 1"); do
    if [ "$t" = layer_styles ]; then
      q="select f_table_name,f_geometry_column,styleName,styleQML,styleSLD,useAsDefault,description from layer_styles"
    else
      q="select * from \"$t\""
    fi
    echo "$t $(sqlite3 -cmd ".mode insert" "$1" "$q" | md5sum)"
  done
}
[ "$(rows "$DIR/lib.gpkg")" = "$(rows "$DIR/cli.gpkg")" ] || { echo "example: FAILED: the GeoPackages' rows differ"; exit 1; }
echo "example: access_example equals platsa access ($n CSV twins byte for byte, $(rows "$DIR/cli.gpkg" | wc -l) tables' rows)"
