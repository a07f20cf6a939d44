/* Thematic loaders: turn a user's file (any GDAL vector source, "FILE" or "FILE:LAYER")
 * into validated in-memory arrays in the working CRS. Each loader reprojects, repairs or
 * skips bad features with counted warnings (pl_warn), and fails with one line naming
 * file, layer, feature and the fix. Loaders know the roles; analyses only see arrays. */
#ifndef PLATSA_LAYERS_H
#define PLATSA_LAYERS_H

#include <stddef.h>
#include <stdint.h>
#include <geos_c.h>
#include "../gis/ctx.h"
#include "../gis/roads.h"
#include "service_types.h"

/* Options common to every loader. */
typedef struct pl_load_opts {
    const char *layer;        /* layer name; NULL = from "FILE:LAYER" or the only/first fitting layer */
    const char *assume_crs;   /* CRS for sources that have none, e.g. "EPSG:3006"; NULL = refuse */
    const char *id_field;     /* NULL = auto-detect, else feature id */
    const char *name_field;
    const char *code_field;   /* municipality code (municipalities; carried code elsewhere) */
    const char *value_field;  /* the numeric field of the role: population, etc. */
    const char *age_field;    /* population: optional age-group field such as 70+ */
    const char *type_field;   /* services: type field */
    const char *fixed_type;   /* services: every feature is this type (one file per type) */
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
} pl_municipalities;

pl_municipalities *pl_municipalities_load(pl_ctx *ctx, const char *spec, const pl_load_opts *o,
                                          pl_error *err);
void pl_municipalities_free(pl_ctx *ctx, pl_municipalities *m);
/* Index of the municipality containing (x,y); when none does, the nearest one and
 * *outside = 1. Returns -1 only when there are no municipalities. */
long pl_municipalities_locate(pl_ctx *ctx, const pl_municipalities *m, double x, double y, int *outside);
long pl_municipalities_find(const pl_municipalities *m, const char *code);

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
    char **code, **name;
    GEOSGeometry **geom;
    char *source;
} pl_localities;

pl_localities *pl_localities_load(pl_ctx *ctx, const char *spec, const pl_load_opts *o, pl_error *err);
void pl_localities_free(pl_ctx *ctx, pl_localities *l);

/* ---------- roads: lines ---------- */
pl_roads *pl_roads_load(pl_ctx *ctx, const char *spec, const pl_load_opts *o, pl_error *err);

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

#endif
