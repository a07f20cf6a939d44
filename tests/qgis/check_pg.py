#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Opens the layers platsa wrote to PostGIS (-o PG:CONNINFO:SCHEMA) in real QGIS (PyQGIS,
headless, the postgres provider) as a user adding them from the database does, and checks
each against the GeoPackage of the same run: valid; the same rows; spatial layers drawn with
the default style QGIS finds in public.layer_styles (same renderer and classes as the
GeoPackage's stored style, not QGIS's single symbol) and not blank; the Swedish aliases.
The checks are check_styles.py's, with the layer opened from the database.

Usage: check_pg.py HOST PORT DBNAME SCHEMA REFERENCE.gpkg [--png-dir DIR]
Prints one line per layer and closes with "N passed, N failed"; exit 1 on any failure.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_styles  # noqa: E402  (sets up the headless Qt environment)
from qgis.core import QgsApplication, QgsDataSourceUri, QgsVectorLayer  # noqa: E402


def pg_opener(host, port, dbname, schema):
    def open_layer(gpkg, name):
        geom = check_styles.stored_geometry_column(gpkg, name)
        uri = QgsDataSourceUri()
        uri.setConnection(host, port, dbname, "postgres", "")
        uri.setDataSource(schema, name, geom, "", "fid")
        return QgsVectorLayer(uri.uri(False), name, "postgres")
    return open_layer


def main(argv):
    png_dir = None
    if "--png-dir" in argv:
        i = argv.index("--png-dir")
        png_dir = argv[i + 1]
        del argv[i:i + 2]
    if len(argv) != 5:
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    host, port, dbname, schema, gpkg = argv
    if png_dir:
        os.makedirs(png_dir, exist_ok=True)
    app = QgsApplication([], False)
    app.initQgis()
    passed = failed = 0
    try:
        layers, styles, aliases, views = check_styles.stored(gpkg)
        opener = pg_opener(host, port, dbname, schema)
        for name, data_type in layers:
            ok, msg = check_styles.check_layer(gpkg, name, data_type, styles, aliases, png_dir, False,
                                               views, opener)
            if ok:
                want = check_styles.row_count(gpkg, name)
                got = opener(gpkg, name).featureCount()
                if got != want:
                    ok, msg = False, f"{got} features from the database, the GeoPackage has {want}; " + msg
            print(f"{'PASS' if ok else 'FAIL'} PG {schema}.{name}: {msg}", flush=True)
            passed += ok
            failed += not ok
        if not layers:
            print(f"FAIL {gpkg}: no layers")
            failed += 1
    finally:
        app.exitQgis()
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
