/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers shared by the loaders in layers/ (not a public API). */
#ifndef PLATSA_LAYERS_INTERNAL_H
#define PLATSA_LAYERS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <geos_c.h>
#include "gis/vector.h"
#include "layers.h"
#include "wkb.h"

struct pl_batch_reader;

/* One feature being read: an OGR feature (f), or row i of a batch (b, batch_reader.h). The
 * pl_row_* helpers give the same values either way. */
typedef struct pl_row {
    OGRFeatureH f;
    struct pl_batch_reader *b;
    long i;
} pl_row;

int64_t pl_row_fid(const pl_row *r);
/* Whether a field is unset or null (always for field < 0). */
int pl_row_null(const pl_row *r, int field);
/* The field as OGR_F_GetFieldAsString gives it, copied into buf (cut to size like
 * snprintf); "" when null. */
const char *pl_row_str(const pl_row *r, int field, char *buf, size_t size);

/* The pl_feature_label, pl_field_text, pl_field_code, pl_field_number, pl_feature_id of a row. */
const char *pl_row_label(const pl_vector *v, const pl_row *r, int id_field);
char *pl_row_text(pl_ctx *ctx, const pl_vector *v, const pl_row *r, int field);
char *pl_row_code(pl_ctx *ctx, const pl_vector *v, const pl_row *r, int field, int pad, int *warned);
int pl_row_number(const pl_vector *v, const pl_row *r, int field, double *out, const char **raw);
char *pl_row_id(pl_ctx *ctx, const pl_vector *v, const pl_row *r, int id_field);

/* A context for a batch read: the loader's settings and progress, its own warnings, so a
 * batch read that fails (and is redone feature by feature) leaves no trace. */
pl_ctx *pl_batch_ctx(pl_ctx *ctx);
/* Ends a batch context: its warnings move to ctx when keep (echoed as pl_warn would). */
void pl_batch_ctx_end(pl_ctx *ctx, pl_ctx *bctx, int keep);

/* Geometry families a loader accepts (bit set). */
enum { PL_FAM_POINT = 1, PL_FAM_LINE = 2, PL_FAM_POLYGON = 4 };

/* Family of an OGR geometry type, 0 for none/unknown/collection. */
int pl_geom_family(OGRwkbGeometryType t);
const char *pl_family_name(int fam);

/* Opens spec for a role: CRS checks and reprojection (pl_vector_open), then refuses an
 * empty layer and a layer whose declared geometry type is none of `accept`
 * (layers of unknown or mixed type are checked feature by feature).
 * `accept_text` completes "give ..." in the message, e.g. "polygons (areas) or points". */
pl_vector *pl_layer_open(pl_ctx *ctx, const char *spec, const pl_load_opts *o, const char *role, int accept,
                         const char *accept_text, pl_error *err);

/* The checks of pl_layer_open on an opened vector. */
int pl_layer_check(pl_vector *v, const char *role, int accept, const char *accept_text, pl_error *err);

/* The next feature, with GDAL's own remarks about the data (unclosed rings, ...) kept
 * off stderr: loaders report problems through pl_warn. */
OGRFeatureH pl_layer_next(const pl_vector *v);

/* After a pl_layer_next loop: fails (PL_EINPUT, naming the layer) when the loop ended on a
 * read error (a damaged or truncated file) instead of the end of the layer, so a loader
 * never returns part of a layer as if it were all of it. */
int pl_layer_read_failed(const pl_vector *v, long features_read, pl_error *err);

/* Per-load counters for the messages at the end. */
typedef struct pl_read_stats {
    long features, used;
    long null_geom, wrong_type, bad_coords, invalid_skipped, repaired;
} pl_read_stats;

/* Reads a feature's geometry as GEOS, in the working CRS, valid, with Z/M and curves
 * removed. Returns NULL (after a counted warning, see layers.h) when the feature must be
 * skipped. *family is set to the geometry's family. Polygons come back as valid
 * (Multi)Polygons (repaired with GEOSMakeValid when needed), points as Points (the first
 * point of a MultiPoint). */
GEOSGeometry *pl_layer_read_geometry(pl_ctx *ctx, const pl_vector *v, OGRFeatureH f, int accept, int *family,
                                     pl_read_stats *st);

/* Buffers reused by pl_row_read_geometry across rows. */
typedef struct pl_geom_scratch {
    pl_wkb wkb;
    int *ok;
    size_t ok_cap;
    uint8_t *buf;
    size_t buf_cap;
    GEOSWKBReader *reader;
    int is_box;     /* the last geometry read is an axis-parallel rectangle ... */
    double box[4];  /* ... with these bounds (xmin, ymin, xmax, ymax) */
} pl_geom_scratch;

/* pl_layer_read_geometry for a row: a batch row's point or (multi)polygon comes straight
 * from its WKB (no OGRGeometry), with the same result; anything else, and every case that
 * warns, goes through the OGR path. */
GEOSGeometry *pl_row_read_geometry(pl_ctx *ctx, const pl_vector *v, const pl_row *r, int accept, int *family,
                                   pl_read_stats *st, pl_geom_scratch *s);
void pl_geom_scratch_free(pl_ctx *ctx, pl_geom_scratch *s);

/* The feature loop every loader repeated: all features in order with a progress report
 * per `stage` ("reading trees"), each geometry read by pl_layer_read_geometry (the
 * features it skips are skipped here, counted in st). */
typedef struct pl_feature_reader {
    pl_ctx *ctx;
    const pl_vector *v;
    int accept;
    const char *stage;
    long total, i;
    pl_read_stats st;
} pl_feature_reader;

/* Rewinds v's layer for reading. */
void pl_reader_start(pl_feature_reader *r, pl_ctx *ctx, const pl_vector *v, int accept, const char *stage);

/* The next feature with a usable geometry: 1 with *f, *g (both the caller's to free) and
 * *family (may be NULL) set; 0 at the end; -1 when cancelled (err set). */
int pl_reader_next(pl_feature_reader *r, OGRFeatureH *f, GEOSGeometry **g, int *family, pl_error *err);

/* A point-like feature's location: a point as it is, a polygon's representative point
 * (pl_representative_point). Returns 0 on success. */
int pl_feature_xy(pl_ctx *ctx, const GEOSGeometry *g, int family, double *x, double *y);

/* Error for a load that produced nothing from a non-empty layer. Returns PL_EINPUT. */
int pl_layer_nothing_loaded(const pl_vector *v, const pl_read_stats *st, const char *accept_text, pl_error *err);

/* "feature 12" or "feature 12 (id X)" for messages (static buffer). */
const char *pl_feature_label(const pl_vector *v, OGRFeatureH f, int id_field);

/* Text of a field as valid UTF-8 (a copy), NULL when null. Bytes that are not UTF-8 are
 * decoded as Windows-1252 with a counted "text-not-utf8" warning. */
char *pl_field_text(pl_ctx *ctx, const pl_vector *v, OGRFeatureH f, int field);

/* A code field as text: strings trimmed; integer fields zero-padded to `pad` digits
 * (warning "code-zero-padded", once per load via *warned). NULL when null/empty. */
char *pl_field_code(pl_ctx *ctx, const pl_vector *v, OGRFeatureH f, int field, int pad, int *warned);

/* Reads a number: 0 = ok, 1 = null/empty, -1 = not a number (text in *raw, static). */
int pl_field_number(OGRFeatureH f, int field, double *out, const char **raw);

/* An optional numeric attribute of the generic loaders: NAN when field < 0 or null (the null
 * is a counted warning `null_key`: "... has no value in field 'F'; left <left>"); an error
 * naming --flag for text that is not a number and, when nonneg, for a negative value. */
int pl_field_value(pl_ctx *ctx, const pl_vector *v, OGRFeatureH f, int field, int id_f, const char *flag,
                   const char *null_key, const char *left, int nonneg, double *out, pl_error *err);

/* Fails unless the field's type can hold numbers (integer, real, or text to parse). */
int pl_field_require_numeric(const pl_vector *v, int field, const char *flag, pl_error *err);

/* Id text for a feature: the id field when set, else the FID. */
char *pl_feature_id(pl_ctx *ctx, const pl_vector *v, OGRFeatureH f, int id_field);

/* Representative point of a (multi)polygon: its centroid when inside, else a point on
 * the surface. Returns 0 on success. */
int pl_representative_point(pl_ctx *ctx, const GEOSGeometry *g, double *x, double *y);

/* pl_representative_point of a geometry known to be the rectangle box (xmin, ymin, xmax,
 * ymax), or of any geometry when box is NULL. */
int pl_representative_point_box(pl_ctx *ctx, const GEOSGeometry *g, const double *box, double *x, double *y);

/* Checks and reports a cancel request from the progress callback. */
int pl_layer_progress(pl_ctx *ctx, const pl_vector *v, long i, long n, const char *stage, pl_error *err);

/* Capacity helper: grows *cap to at least need (doubling). Returns 1 if it grew. */
int pl_grow_cap(size_t *cap, size_t need);

/* The population field by name: strong names (pop, beftotalt, befolkning, population,
 * beftot, folkmangd, invanare...), else the latest year of pop_YYYY / befYYYY / population_YYYY,
 * else weak names (bef, totalt, antal). -1 if none. */
int pl_pop_field_auto(const pl_vector *v);
/* Population field: `given` wins (error if absent), else pl_pop_field_auto; error naming
 * the fields and `flag` when none. Also checks the field type is numeric. */
int pl_pop_field_pick(pl_ctx *ctx, const pl_vector *v, const char *given, const char *flag, pl_error *err);

/* Population fields that are not counts of residents (issue #18): a text field in a format
 * that types its fields, a name like an id or a code (rut_id, kommunkod, objectid; not when
 * it also reads like population: grid_pop), values that are consecutive whole numbers one
 * per unit (n >= 10: an id), or more than PL_POP_MAX_DENSITY residents per km2 over the
 * polygons: 5 a square metre. Units may be building footprints (Södermalm's: 100 000 per
 * km2 of footprint; a 30-storey tower at 30 m2 a person: 1 000 000; Södermalm's floor area
 * per footprint, a weight some take as the value: 3 900 000), while an x coordinate on a
 * 250 m square gives 10 million and a 13-digit id far more. */
#define PL_POP_MAX_DENSITY 5000000.0
int pl_pop_name_idlike(const char *name);
int pl_pop_values_idlike(const double *pop, size_t n);
int pl_pop_density_implausible(double total, double area_m2);
/* "fields that look like population: a, b" (or the numeric fields) except field `except`. */
const char *pl_pop_better_fields(const pl_vector *v, int except);
/* Name and type of the chosen field; PL_OK or PL_EINPUT naming better fields. */
int pl_pop_field_check(const pl_vector *v, int f, const char *flag, pl_error *err);
/* The loaded values (total = their sum; area_m2 = the polygons' area, 0 for points). */
int pl_pop_values_check(const pl_vector *v, int f, const double *pop, size_t n, double total, double area_m2,
                        const char *flag, pl_error *err);

/* Population polygons overlapping by more than this share of the smaller one are refused:
 * the same people in two units (a unit twice: 100 %; a 250 m square inside a 1 km one:
 * 100 %; two versions of the areas). 50 %: generalised boundaries overlap their neighbours
 * without counting anyone twice (SCB's DeSO 2018 of Stockholms län as simplified for a web
 * map: 461 pairs, up to 15 % of the smaller one). */
#define PL_UNIT_OVERLAP_TOLERANCE 0.5

/* Field-name candidates shared by loaders and `platsa info`. */
extern const char *const pl_cand_muni_code[];
extern const char *const pl_cand_muni_name[];
extern const char *const pl_cand_carried_code[];
extern const char *const pl_cand_pop[];
extern const char *const pl_cand_id[];
extern const char *const pl_cand_name[];
extern const char *const pl_cand_type[];
extern const char *const pl_cand_loc_code[];
extern const char *const pl_cand_loc_name[];
extern const char *const pl_cand_grid_id[];

#endif
