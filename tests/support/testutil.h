/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers shared by the test programs: where the real data lives, scratch folders. */
#ifndef PLATSA_TESTUTIL_H
#define PLATSA_TESTUTIL_H

#include <stddef.h>

/* Path to a file of the real-data extracts in tests/data/ (same folder names as the full
 * originals; see the PROVENANCE.md of each folder). Returns a static buffer, overwritten by the next call. */
const char *real_data(const char *relative);

/* The two full OSM extracts that sample-data/ ships (byte-identical to the originals of
 * osm-stockholm-valhalla and osm-monaco-amager-osrm): tests read them there, from the repository root. */
#define SODERMALM_PBF "sample-data/sodermalm/stockholm.osm.pbf"
#define MONACO_PBF "sample-data/monaco/monaco.osm.pbf"

/* A fresh empty scratch folder under build/test-tmp/NAME; returns a static buffer. */
const char *scratch_dir(const char *name);

/* Runs a shell command, returns its exit status (0..255), or -1. */
int run_cmd(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* True if a file exists. */
int file_exists(const char *path);

/* Writes text to DIR/NAME (a failed write fails the test); returns the path (static buffer). */
const char *write_text_file(const char *dir, const char *name, const char *text);

/* Fails the test unless two loads of roads hold the same arrays, byte for byte. */
struct pl_roads;
void assert_same_roads(const struct pl_roads *a, const struct pl_roads *b);

/* The --csv-style sv twin of a table against the default twin of the same run's table, read
 * back as Swedish Excel would: UTF-8 BOM, ';' separators, RFC 4180 quotes, decimal comma. Fails
 * unless the rows and columns match, every number (decimal comma read as a point) is the same
 * double, every text is the same string, and each header is the column's alias in `gpkg`'s
 * gpkg_data_columns (the name when it has none). Returns the number of fields compared. */
long assert_csv_sv_matches(const char *default_csv, const char *sv_csv, const char *gpkg, const char *table);

/* Appends printf-style text to a growing buffer (*buf of *cap bytes, *len used; *buf may start NULL
 * with *cap 0). */
void text_append(char **buf, size_t *len, size_t *cap, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Writes csv to DIR/NAME.csv (a WKT column first) and converts it with ogr2ogr to DIR/NAME.gpkg,
 * layer NAME, EPSG:3006, geometry type nlt (a failed conversion fails the test). name ends ".csv". */
void csv_to_gpkg(const char *dir, const char *name, const char *csv, const char *nlt);

/* Every row of a table, column by column (doubles as %a, blobs in hex, text with its type), one
 * line per row in the table's order: for comparing two outputs exactly. Caller frees. */
struct sqlite3;
char *gpkg_table_dump(struct sqlite3 *db, const char *table);

#endif
