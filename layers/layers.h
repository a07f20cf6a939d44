/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Thematic loaders: turn a user's file (any GDAL vector source, "FILE" or "FILE:LAYER")
 * into validated in-memory arrays in the working CRS. Each loader reprojects, repairs or
 * skips bad features with counted warnings (pl_warn), and fails with one line naming
 * file, layer, feature and the fix. Loaders know the roles; analyses only see arrays.
 *
 * Inputs: any GDAL vector source in any CRS (reprojected to ctx->work_crs). A .csv gets
 * its geometry from x/y, lon/lat or WKT columns (then --assume-crs is needed); an SCB grid
 * table (rut_id, or x_sw/y_sw, and no geometry) becomes grid squares for population.
 * A shapefile .prj that names no EPSG code but equals the working CRS on an unnamed GRS80
 * datum (SCB's Kommun_Sweref99TM.prj) is taken as the working CRS.
 *
 * Fields are found by name (case-insensitive) unless given: kommun code KnKod, kommunkod,
 * kn_kod, kod, code, LnKod... and name KnNamn, kommunnamn, namn, name, LnNamn...;
 * population pop, beftotalt, befolkning, population, Beftot, folkmangd, invanare, else the
 * latest pop_YYYY / befYYYY (DeSO pop_2023, Stockholm pop_2016), else bef, totalt, antal;
 * carried kommun code kn_kod, kommun, KnKod, kommunkod, mun_code; service type type, typ,
 * service, tjanst, category, kategori, amenity, shop, healthcare; ids id, osm_id,
 * objectid, fid (population: rut_id, deso, regso, nyckelkod, id...), else the FID.
 * value_field is the population field for population and localities (--pop-field).
 * Codes are text: integer codes get their leading zeros back (<100: 2 digits, else 4).
 * Without a layer name, a file with several layers uses the first with geometry (info
 * message naming it).
 *
 * Errors (pl_error, one line): missing file, layer not found (lists layers), no CRS
 * without assume_crs (suggests one from the extent), empty layer, a layer whose geometry
 * type does not fit the role, a required field not found (lists fields and the flag:
 * --code-field, --name-field, --pop-field, --age-field, --type-field, --id-field,
 * --value-field), a field of a non-numeric type, a numeric value that is not a number or
 * negative (names the feature), an unknown fixed_type, and nothing usable left.
 *
 * Counted warnings (pl_warn keys); the feature is skipped unless said otherwise:
 *   geometry-null              null or empty geometry
 *   geometry-wrong-type        a feature of another geometry type in a mixed layer
 *   geometry-bad-coordinates   NaN/infinite/huge coordinates, or not transformable
 *   geometry-invalid-repaired  invalid polygon repaired with GEOSMakeValid (kept)
 *   geometry-invalid-skipped   invalid polygon with no area left after repair
 *   geometry-multipoint        MultiPoint of several points: the first is used (kept)
 *   text-not-utf8              text that is not UTF-8, decoded as Windows-1252 (kept)
 *   code-zero-padded           codes without leading zeros, padded: 114 -> 0114 (kept; once per load)
 *   code-field-ignored         an auto-detected carried kommun code field whose values are
 *                              not codes (e.g. "STOCKHOLM"); not used (once per load)
 *   municipality-duplicate-code  two polygons with one code (both kept; locate finds the first)
 *   population-null            population value null: counted as 0 (kept)
 *   age-null                   age-group value null: counted as 0 (kept)
 *   value-null                 generic value_field null: NAN (kept)
 *   locality-population-null   tätort population null: 0 (kept)
 *   service-type-unknown       type value that maps to no service type (message names it)
 *   service-type-missing       type value null or empty
 *   outside-municipality       pl_municipalities_assign: a point outside every polygon,
 *                              given the nearest one (kept) */
#ifndef PLATSA_LAYERS_H
#define PLATSA_LAYERS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <geos_c.h>
#include "gis/ctx.h"
#include "gis/roads.h"
#include "service_types.h"
#include "road_profiles.h"

/* Options common to every loader. */
typedef struct pl_load_opts {
    const char *layer;        /* layer name; NULL = from "FILE:LAYER" or the only/first fitting layer */
    const char *assume_crs;   /* CRS for sources that have none, e.g. "EPSG:3006"; NULL = refuse */
    const char *id_field;     /* NULL = auto-detect, else feature id */
    const char *source_field; /* roads: topology id fields of each line's first and last vertex */
    const char *target_field; /*   (both or neither; NULL = `source`/`target` when integer) */
    const char *name_field;
    const char *code_field;   /* municipality code (municipalities; carried code elsewhere) */
    const char *value_field;  /* the numeric field of the role: population, etc. */
    const char *value_flag;   /* the command's flag for value_field, named in messages;
                                 NULL = the role's usual one (localities: locality-pop-field) */
    const char *age_field;    /* population: optional age-group field such as 70+ */
    const char *type_field;   /* services: type field */
    const char *fixed_type;   /* services: every feature is this type (one file per type) */
    pl_road_fields road;      /* roads: the road profile and the user's field overrides */
    double grid_size;         /* population from an SCB grid table: square side in metres;
                                 0 = from the ids (the largest of 1000, 500, 250, 100 m that
                                 divides every corner) */
    const char *region;       /* population, with region_munis: a unit whose carried kommun code
                                 names one of region_munis' municipalities outside this code
                                 (4-digit kommun or 2-digit län prefix) is not read; it would be
                                 assigned to that municipality and so lie outside --region
                                 (pl_assign_municipalities). Units without such a code are read. */
    const struct pl_municipalities *region_munis;
    const double *within;     /* minx, miny, maxx, maxy (working CRS): only the features meeting it
                                 (pl_vector_opts.within); NULL = all. platsa partition's tasks */
} pl_load_opts;

/* ---------- municipalities (kommuner): polygons ---------- */
typedef struct pl_municipalities {
    size_t n;
    char **code;                     /* "0180", leading zeros kept */
    char **name;
    GEOSGeometry **geom;             /* valid (Multi)Polygons */
    const GEOSPreparedGeometry **prepared;
    GEOSSTRtree *index;
    char *source;
    long *tree_items;                /* item i of the tree points at tree_items[i] == i */
    double total_area;               /* km², of the valid polygons */
} pl_municipalities;

pl_municipalities *pl_municipalities_load(pl_ctx *ctx, const char *spec, const pl_load_opts *o,
                                          pl_error *err);
void pl_municipalities_free(pl_ctx *ctx, pl_municipalities *m);
/* Index of the municipality containing (x,y); when none does, the nearest one and
 * *outside = 1. Returns -1 only when there are no municipalities. */
long pl_municipalities_locate(pl_ctx *ctx, const pl_municipalities *m, double x, double y, int *outside);
long pl_municipalities_find(const pl_municipalities *m, const char *code);
/* Locates n points (out_index may be NULL). Points outside every polygon get the nearest
 * municipality and a counted warning "outside-municipality" naming `what` (e.g. "tätort");
 * returns how many were outside. */
long pl_municipalities_assign(pl_ctx *ctx, const pl_municipalities *m, size_t n, const double *x,
                              const double *y, const char *what, long *out_index);

/* ---------- population: polygons (grid squares, areas) or points ---------- */
typedef struct pl_population {
    size_t n;
    char **id;                       /* unit id as text (e.g. SCB rut_id), else feature id */
    double *x, *y;                   /* representative point: centroid if inside, else a point on surface */
    double *pop;                     /* residents (>= 0) */
    double *age_pop;                 /* NULL unless age_field given */
    char **muni_code;                /* carried municipality code, or NULL entries */
    GEOSGeometry **geom;             /* polygon or point, for output */
    int is_polygon;
    double total_pop;
    char *source;
} pl_population;

pl_population *pl_population_load(pl_ctx *ctx, const char *spec, const pl_load_opts *o, pl_error *err);
void pl_population_free(pl_ctx *ctx, pl_population *p);

/* ---------- services: points (polygons reduced to a point inside) ---------- */
typedef struct pl_services {
    size_t n;
    double *x, *y;
    int *type;                       /* index into the service type registry */
    char **id;                       /* service id as text */
    char **name;                     /* may be "" */
    char **raw_type;                 /* the value the type was mapped from */
    char *source;
} pl_services;

pl_services *pl_services_load(pl_ctx *ctx, const char *spec, const pl_service_types *types,
                              const pl_load_opts *o, pl_error *err);
/* Appends b to a (several files, one per type). */
void pl_services_append(pl_services *a, const pl_services *b);
void pl_services_free(pl_services *s);

/* ---------- localities (tätorter): points or polygons with population ---------- */
typedef struct pl_localities {
    size_t n;
    double *x, *y;
    double *pop;
    double *area_ha;                 /* area in hectares (field area/area_ha/areal), NAN if unknown */
    char **code, **name;
    GEOSGeometry **geom;
    char *source;
} pl_localities;

pl_localities *pl_localities_load(pl_ctx *ctx, const char *spec, const pl_load_opts *o, pl_error *err);
void pl_localities_free(pl_ctx *ctx, pl_localities *l);

/* ---------- roads: lines ---------- */
pl_roads *pl_roads_load(pl_ctx *ctx, const char *spec, const pl_load_opts *o, pl_error *err);
/* How many batch reads checked their two-way lines for copies on two threads (for tests). */
long pl_roads_dedup_two_threads(void);

/* ---------- generic polygons / points (green areas, canopy, buildings, neighbourhoods, trees) ---------- */
typedef struct pl_polygons {
    size_t n;
    GEOSGeometry **geom;             /* valid (Multi)Polygons */
    char **id;
    double *value;                   /* value_field when given (population, dwellings...), else NAN */
    char *source;
} pl_polygons;

pl_polygons *pl_polygons_load(pl_ctx *ctx, const char *spec, const char *role, const pl_load_opts *o,
                              pl_error *err);
void pl_polygons_free(pl_ctx *ctx, pl_polygons *p);

typedef struct pl_points {
    size_t n;
    double *x, *y;
    char **id;
    double *value;
    char *source;
} pl_points;

pl_points *pl_points_load(pl_ctx *ctx, const char *spec, const char *role, const pl_load_opts *o,
                          pl_error *err);
void pl_points_free(pl_points *p);

/* ---------- platsa info ---------- */
/* Describes every layer of a source (or the one in "FILE:LAYER"): geometry type, CRS
 * (EPSG code when identifiable), feature count, fields with types, and the roles the
 * layer fits with the fields each would use. */
int pl_info_describe(pl_ctx *ctx, const char *spec, FILE *out, pl_error *err);
/* The roles one opened layer fits, as "population (pop=pop), localities (...)" into buf. */
struct pl_vector;
const char *pl_info_roles(const struct pl_vector *v, char *buf, size_t size);

#endif
