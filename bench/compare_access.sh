#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Compares the result tables of two `platsa access` outputs row by row (every column, the
# geometry blobs too): prints one line per table, "same" or "DIFFERENT", and exits 1 on any
# difference. Metadata (timestamps, command line, input hashes) is not compared.
# usage: sh bench/compare_access.sh A.gpkg B.gpkg
set -u
status=0
for t in access_cells service_level access_municipalities access_municipalities_table access_by_class layer_styles gpkg_data_columns; do
  a=$(sqlite3 "$1" "SELECT count(*) FROM sqlite_master WHERE name='$t'")
  [ "$a" = 1 ] || continue
  case $t in
    layer_styles) cols="f_table_name, styleName, styleQML, useAsDefault" ;;
    *) cols="*" ;;
  esac
  ha=$(sqlite3 "$1" "SELECT $cols FROM \"$t\" ORDER BY 1, 2" | md5sum | cut -c1-32)
  hb=$(sqlite3 "$2" "SELECT $cols FROM \"$t\" ORDER BY 1, 2" 2>/dev/null | md5sum | cut -c1-32)
  n=$(sqlite3 "$1" "SELECT count(*) FROM \"$t\"")
  if [ "$ha" = "$hb" ]; then echo "same       $t ($n rows)"; else echo "DIFFERENT  $t"; status=1; fi
done
exit $status
