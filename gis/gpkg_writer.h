/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The one module that writes result files: a GeoPackage per run (plus optional CSV
 * twins of its attribute tables), written to a temporary file in the target folder
 * and renamed into place only when pl_gpkg_commit succeeds.
 *
 * What QGIS needs to open results styled is written here too: a default style per
 * layer in `layer_styles` (from QML templates in share/styles), Swedish aliases in
 * `gpkg_data_columns`, and run metadata in `gpkg_metadata`. */
#ifndef PLATSA_GIS_GPKG_WRITER_H
#define PLATSA_GIS_GPKG_WRITER_H

#include <stdint.h>
#include <stddef.h>
#include <geos_c.h>
#include "ctx.h"
#include "gpkg_blob.h"

typedef enum {
    PL_FIELD_INT,     /* 32-bit integer */
    PL_FIELD_INT64,
    PL_FIELD_REAL,
    PL_FIELD_TEXT
} pl_field_type;

typedef struct pl_field_def {
    const char *name;        /* column name, ASCII snake_case */
    pl_field_type type;
    const char *alias_sv;    /* Swedish alias for planners (gpkg_data_columns.title); may be NULL */
    const char *description; /* English description (gpkg_data_columns.description); may be NULL */
} pl_field_def;

/* How QGIS should draw a layer by default. Only the renderers are here: which classes a
 * layer has, their legend labels and colours are the analysis's (analyses/<command>/
 * *_styles.c, analyses/common/legend.c). */
typedef enum {
    PL_STYLE_NONE,        /* no layer_styles row (attribute tables) */
    PL_STYLE_SINGLE,      /* one symbol */
    PL_STYLE_GRADUATED,   /* graduated colours on a numeric `field`, one range per class; with a
                             null_label, NULL values get their own grey class (the renderer's
                             attribute is then coalesce("field", classes[0].lower - 1), since QGIS's
                             graduated renderer does not draw NULL) */
    PL_STYLE_CATEGORIZED  /* categorised on an integer `field`, one value per class; with a
                             null_label, a grey catch-all class (what NULL matches) */
} pl_style_kind;

typedef struct pl_rgb {
    unsigned char r, g, b;
} pl_rgb;

/* Upper bound of an open last graduated class ("more than ..."), or minus it, the lower bound
 * of an open first class. */
#define PL_STYLE_OPEN 1e12

/* One legend entry. */
typedef struct pl_style_class {
    double lower, upper;  /* GRADUATED: QGIS draws lower < v <= upper (the first class: lower <= v) */
    long long value;      /* CATEGORIZED: the field's value */
    const char *label;    /* the legend label */
    pl_rgb color;
} pl_style_class;

typedef struct pl_style {
    pl_style_kind kind;
    const char *field;             /* attribute the renderer uses */
    const pl_style_class *classes; /* GRADUATED: ascending, non-overlapping ranges; CATEGORIZED: values */
    int n_classes;
    const char *null_label;        /* label of the grey class for NULL values; NULL: no such class */
    const char *name;              /* styleName (at most 30 characters kept); NULL = layer name */
} pl_style;

typedef struct pl_gpkg pl_gpkg;
typedef struct pl_gpkg_layer pl_gpkg_layer;

/* The size and SHA-256 of input files, for the output's metadata, computed on a thread of
 * their own at the lowest priority: an analysis starts it first thing, so the hashing takes
 * the moments a core would wait, instead of competing with the rows being written. Hand it
 * to pl_gpkg_create (pl_gpkg_opts.hashes), or free it. */
typedef struct pl_gpkg_hashes pl_gpkg_hashes;
pl_gpkg_hashes *pl_gpkg_hashes_start(const char *const *inputs);
/* The same, reusing the hashes kept beside the graph cache `graph_cache` (the file
 * GRAPH_CACHE.hashes; NULL or "": none): an input whose device, inode, size and
 * modification time are those kept is not read again; the others are hashed and kept
 * (written complete, then renamed; a file there that is not such a store is left alone). */
pl_gpkg_hashes *pl_gpkg_hashes_start_cached(const char *const *inputs, const char *graph_cache);
void pl_gpkg_hashes_free(pl_gpkg_hashes *h);
/* Input i's SHA-256 (hex; "" when it could not be read) and size, once hashed (waits). */
const char *pl_gpkg_hashes_sha256(pl_gpkg_hashes *h, int i, long long *size);
/* For tests: bytes pl_gpkg_sha256_file has read in this process. */
long long pl_gpkg_sha256_bytes_read(void);

typedef struct pl_gpkg_opts {
    int overwrite;            /* replace an existing output (otherwise refused) */
    int csv;                  /* also write attribute tables as CSV beside the GeoPackage */
    const char *csv_style;    /* NULL or "default": comma, decimal point, column names (RFC 4180);
                                 "sv": Swedish Excel: semicolon, decimal comma, UTF-8 BOM, headers
                                 from the Swedish aliases (the same values, rounded as stored) */
    const char *command_line; /* recorded in metadata */
    const char *const *inputs;/* input paths, NULL-terminated; recorded with size and SHA-256,
                                 and refused as output paths */
    pl_gpkg_hashes *hashes;   /* the inputs already being hashed (pl_gpkg_hashes_start), taken
                                 over by pl_gpkg_create whatever it returns; NULL: inputs */
    const char *graph_cache;  /* with hashes NULL: the inputs' hashes are kept beside this graph
                                 cache (pl_gpkg_hashes_start_cached); NULL: none */
    const char *timestamp;    /* fixed ISO 8601 time for every timestamp in the file, so the same
                                 inputs give the same bytes (NULL = $SOURCE_DATE_EPOCH if set, else now) */
    long long expected_rows;  /* rows the caller expects to write in all (0 = unknown): from
                                 PL_GPKG_LARGE_ROWS on, the file gets 64 KiB SQLite pages, which
                                 write large tables about a third faster; small outputs keep
                                 4 KiB pages (every table takes at least one page) */
} pl_gpkg_opts;

#define PL_GPKG_LARGE_ROWS 100000

/* The --csv-style option of every command with --csv (OPTS: its options struct type, FIELD
 * its const char * member); pl_gpkg_check_output checks the value. */
#define PL_CSV_STYLE_OPTION(OPTS, FIELD)                                                                     \
    {"csv-style", 0, PL_OPT_STRING, offsetof(OPTS, FIELD), "default|sv", "default",                       \
     "with --csv: default (comma, decimal point, column names) or sv for Swedish Excel (semicolon, decimal " \
     "comma, UTF-8 BOM, Swedish column headers)", 0, PL_NO_RANGE}

/* Process-wide SQLite setting for fast writes; call first in main, before GDAL opens any
 * file (later it does nothing). SQLite's memory statistics, which take a global lock on
 * every allocation, are turned off; platsa does not use them. */
void pl_gpkg_process_init(void);

/* Checks, before any work, that a run may write `path` and, with opts->csv, the CSV twins
 * of the attribute tables named in `csv_tables` (NULL-terminated; the ones the run will add):
 * each one's folder exists and is writable, none is a folder or one of opts->inputs, and one
 * that exists only with opts->overwrite. The same refusals pl_gpkg_create and
 * pl_gpkg_layer_add make, but made before the computing and for every file of the run at
 * once, so a bad twin path costs nothing and replaces nothing. Also refuses an unknown
 * opts->csv_style, and "sv" without opts->csv. PL_EINPUT, one line. */
int pl_gpkg_check_output(const char *path, const pl_gpkg_opts *opts, const char *const *csv_tables,
                         pl_error *err);

/* Starts a new output. Fails (PL_EINPUT) when path exists and !overwrite, when path
 * names one of the inputs, or when the folder is not writable. Nothing is created
 * at `path` until pl_gpkg_commit. */
pl_gpkg *pl_gpkg_create(pl_ctx *ctx, const char *path, const pl_gpkg_opts *opts, pl_error *err);

/* Adds a layer. geom_type is an OGRwkbGeometryType value (e.g. wkbPoint = 1,
 * wkbMultiPolygon = 6), or 100 (wkbNone) for a non-spatial attribute table.
 * Layers are in the working CRS (ctx->work_crs). `title` goes to gpkg_contents.identifier. */
pl_gpkg_layer *pl_gpkg_layer_add(pl_gpkg *g, const char *name, int geom_type, const char *title,
                                 const pl_field_def *fields, int n_fields, const pl_style *style,
                                 pl_error *err);

/* A column of a view layer (pl_gpkg_view_add): its field and the SQLite expression over the
 * base layer's columns that gives its value. */
typedef struct pl_view_column {
    pl_field_def field;
    const char *sql;   /* NULL: the base layer's column of the same name (and type) */
} pl_view_column;

/* Adds a spatial layer that is an SQL view over `base`, a spatial table layer of the same
 * output: base's fid, geometry and rows with the given columns. Nothing is written for it but
 * the view and its registration (gpkg_contents with base's srs and, at commit, extent;
 * gpkg_geometry_columns), so it costs no rows. GDAL 3.6, and QGIS through it, reads it as a
 * feature layer: fid "fid", each field of its type, base's R-tree for spatial filters.
 * Styles, aliases and metadata as pl_gpkg_layer_add. A computed column needs a base field of
 * its type (see view_sql in gpkg_writer.c). The view's layer takes no rows. */
pl_gpkg_layer *pl_gpkg_view_add(pl_gpkg *g, const char *name, const char *title, const pl_gpkg_layer *base,
                                const pl_view_column *cols, int n_cols, const pl_style *style, pl_error *err);

/* Row building: begin, set values by field index, set geometry, end.
 * Unset fields are NULL. Rows are written in batched transactions, by a writer thread:
 * pl_gpkg_row_end hands the finished row over and returns while the caller builds the
 * next one. A single geometry in a multi layer (Polygon into MultiPolygon) is promoted;
 * any other mismatch or a bad field index fails the row AND the output at once; a write
 * error (e.g. a full disk) fails the output and is reported by the next pl_gpkg_row_end
 * or by pl_gpkg_commit, which then reports that first error and leaves nothing behind. */
void pl_gpkg_row_begin(pl_gpkg_layer *l);
void pl_gpkg_set_int(pl_gpkg_layer *l, int field, int64_t v);
void pl_gpkg_set_real(pl_gpkg_layer *l, int field, double v);   /* NaN is written as NULL */
void pl_gpkg_set_text(pl_gpkg_layer *l, int field, const char *v);
void pl_gpkg_set_geos(pl_gpkg_layer *l, const GEOSGeometry *geom); /* copied; not taken */
void pl_gpkg_set_xy(pl_gpkg_layer *l, double x, double y);        /* point geometry */
int pl_gpkg_row_end(pl_gpkg_layer *l, pl_error *err);

/* Optional, before the first row of a spatial table layer: the envelopes of the geometries of
 * the n rows about to be written, in order (a row whose envelope has not minx <= maxx, e.g.
 * NaN, has no geometry or an empty one). The layer's spatial index is then packed on a thread
 * of its own while the rows go in, instead of at pl_gpkg_commit after them; the commit uses it
 * only if the rows had exactly these envelopes, else packs the rows' own: the same index
 * either way. env is copied. */
void pl_gpkg_layer_index_ahead(pl_gpkg_layer *l, const pl_envelope *env, size_t n);
/* For tests: spatial indexes written from a packing ahead in this process. */
long pl_gpkg_index_ahead_used(void);

/* Extra run parameters for the metadata ("name" = "value"). */
void pl_gpkg_add_parameter(pl_gpkg *g, const char *name, const char *value);

/* Finishes everything (spatial indexes, styles, aliases, metadata, CSV), closes and
 * renames into place: the GeoPackage and its CSV twins are all complete and flushed to
 * disk before the first rename, then renamed as one commit set (gis/commit.h), so a failed
 * commit leaves every old output file as it was. Frees g whatever the outcome; on failure nothing is left behind.
 * Styles go to `layer_styles` as QGIS's own "save style to datasource" writes them
 * (QML from share/styles templates, useAsDefault 1, f_table_catalog/schema ''), aliases
 * to gpkg_data_columns (title = alias_sv) and into the QML <aliases>, run metadata (JSON:
 * tool, versions, command line, inputs with size and SHA-256, parameters, layers) to
 * gpkg_metadata with a 'geopackage' scope reference. CSV twins of attribute tables are
 * OUT_DIR/<stem>_<table>.csv (UTF-8, comma separated, RFC 4180 quoting, NULL empty; with
 * csv_style "sv": a UTF-8 BOM, semicolons, decimal commas and the aliases as headers). */
int pl_gpkg_commit(pl_gpkg *g, pl_error *err);

/* Drops the output: removes the temporary file(s) and frees g. */
void pl_gpkg_abort(pl_gpkg *g);

/* Removes the temporary files of every output still open. Safe to call from a
 * signal handler's exit path (the CLI installs one for SIGINT/SIGTERM). */
void pl_gpkg_cleanup_all(void);
/* pl_gpkg_cleanup_all, then forgets every open output and loose temporary: after a run
 * unwound on out-of-memory (its writers are leaked, never closed), so the slots can be used
 * again. Not while another thread writes an output. */
void pl_gpkg_abandon_all(void);

/* A temporary file of another writer (the graph cache) that pl_gpkg_cleanup_all removes
 * as well: register the complete path before creating the file, unregister once it is
 * renamed or removed. Returns the slot, or -1 when all slots are taken (then the file is
 * not removed on a signal). */
int pl_temp_register(const char *path);
void pl_temp_unregister(int slot);

/* Stale temporaries of dead processes: pl_temp_remove_stale (commit.h). */

/* --- Additions (compatible refinements) --- */

/* Streams a file through SHA-256 (OpenSSL EVP). Fills hex (64 lowercase hex digits + NUL)
 * and *size (bytes; may be NULL). Returns 0, or -1 when the path is not a readable
 * regular file (errno set). */
int pl_gpkg_sha256_file(const char *path, char hex[65], long long *size);

/* Rows per transaction (default 50000; n < 1 restores the default). For tests and tuning. */
void pl_gpkg_set_batch_rows(pl_gpkg *g, long n);

/* For tests: rename number k (0 = the GeoPackage, then its CSV twins) of every later commit
 * fails as with an I/O error (-1: none). */
void pl_gpkg_fail_rename_at(int k);

/* The temporary file the GeoPackage is written to until commit (for diagnostics and tests);
 * waits until the rows handed over so far are inserted. */
const char *pl_gpkg_temp_path(const pl_gpkg *g);

#endif
