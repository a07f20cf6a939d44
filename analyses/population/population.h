/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Dasymetric population: each area's population (statistical areas, DeSO, a synthetic total)
 * is distributed over the residential buildings inside it, in proportion to their floor area.
 *
 * - A building belongs to the area that contains its point on surface (GEOSPointOnSurface);
 *   areas that overlap by more than PL_DASY_OVERLAP_TOLERANCE of the smaller one are refused
 *   (their residents would be counted twice). Buildings in no area get nothing.
 * - Weight: the building's floor area (field floor_area_m2 written by import-osm, or
 *   --weight-field), else its footprint area.
 * - Residential: field `residential` (0/1, yes/no) when present, else every building counts.
 * - An area with population but no residential building spreads it over all its buildings
 *   (method "all_buildings"); with no building at all (or only zero weights) the population
 *   stays at one point, the area's point on surface (method "area_point", counted warning
 *   population-no-building). So every area's total is preserved; the last building of an area
 *   takes the remainder of the shares, so the sum has no rounding drift.
 *
 * Output (pl_population_run): layer `population` (points: building points on surface and the
 * fallback area points) with `pop` (what the population loader reads), `area_id`, `method`,
 * `building_id`, `weight`; attribute table `areas` (area_id, pop, pop_assigned, n_buildings,
 * method); with --polygons also layer `buildings` (the footprints with their `pop`, for maps). */
#ifndef PLATSA_ANALYSES_POPULATION_H
#define PLATSA_ANALYSES_POPULATION_H

/* 50 % of the smaller area, as PL_UNIT_OVERLAP_TOLERANCE (layers/internal.h): above the
 * overlaps of generalised boundaries (up to 15 % in real DeSO data), below an area given
 * twice (100 %) or most pairs of two versions of the areas. */
#define PL_DASY_OVERLAP_TOLERANCE 0.5

#include <stddef.h>
#include <geos_c.h>
#include "gis/ctx.h"
#include "gis/options.h"

typedef enum {
    PL_DASY_NONE = 0,          /* area without population (nothing to distribute) */
    PL_DASY_RESIDENTIAL,       /* over its residential buildings */
    PL_DASY_ALL_BUILDINGS,     /* over all its buildings (no residential one) */
    PL_DASY_AREA_POINT         /* kept at the area's point on surface (no building) */
} pl_dasy_method;

const char *pl_dasy_method_name(pl_dasy_method m);

typedef struct pl_dasy_areas {
    size_t n;
    GEOSGeometry **geom;       /* valid polygons, working CRS */
    char **id;
    double *pop;               /* >= 0 */
    double total;
    char *source;              /* "file:layer" */
} pl_dasy_areas;

typedef struct pl_dasy_buildings {
    size_t n;
    GEOSGeometry **geom;       /* valid polygons, working CRS */
    char **id;
    double *weight;            /* floor area (>= 0) */
    int *residential;
    char *source;
} pl_dasy_buildings;

typedef struct pl_dasy_result {
    /* per building */
    long *area;                /* index of its area, -1 when in none */
    double *pop;               /* population given to it (0 outside areas) */
    double *x, *y;             /* point on surface */
    pl_dasy_method *bmethod;   /* how its area was distributed */
    /* fallback points, one per area kept at its point on surface */
    size_t n_points;
    double *px, *py, *ppop;
    size_t *parea;
    /* per area */
    pl_dasy_method *method;
    size_t *n_buildings;       /* buildings that received population */
    double *assigned;          /* sum given out (equals pop) */
    size_t buildings_outside;  /* buildings in no area */
} pl_dasy_result;

/* Loads areas with population from any GDAL source (reprojected to ctx->work_crs).
 * pop_field NULL: pop, population, befolkning, folkmangd, invanare, else the only field named
 * pop*; id_field NULL: id, code, nyckelkod, deso, regso, rut_id, kod, else the feature id. */
pl_dasy_areas *pl_dasy_areas_load(pl_ctx *ctx, const char *spec, const char *pop_field, const char *id_field,
                                  const char *assume_crs, pl_error *err);
/* Loads buildings. weight_field NULL: floor_area_m2, floor_area, else footprint area;
 * residential_field NULL: residential if present, else all buildings residential. */
pl_dasy_buildings *pl_dasy_buildings_load(pl_ctx *ctx, const char *spec, const char *weight_field,
                                          const char *residential_field, const char *assume_crs, pl_error *err);
void pl_dasy_areas_free(pl_ctx *ctx, pl_dasy_areas *a);
void pl_dasy_buildings_free(pl_ctx *ctx, pl_dasy_buildings *b);

/* The distribution itself. Fills out (free with pl_dasy_result_free). */
int pl_dasymetric(pl_ctx *ctx, const pl_dasy_areas *a, const pl_dasy_buildings *b, pl_dasy_result *out,
                  pl_error *err);
void pl_dasy_result_free(pl_dasy_result *r);

typedef struct pl_population_opts {
    const char *areas;           /* FILE[:LAYER] with population */
    const char *buildings;       /* FILE[:LAYER], e.g. import-osm's layers.gpkg:buildings */
    const char *output;
    const char *pop_field;
    const char *id_field;
    const char *weight_field;
    const char *residential_field;
    const char *assume_crs;
    const char *crs;             /* working CRS (default EPSG:3006) */
    int overwrite;
    int polygons;                /* also write the buildings layer (footprints with pop) */
    int all_buildings;           /* ignore the residential flag: every building is a home */
} pl_population_opts;

/* The option table of `platsa population` (also used for --help). */
extern const pl_option pl_population_options[];
extern const char pl_population_usage[];
extern const char pl_population_summary[];
/* Zeroes o and sets the table's defaults (PL_OK; PL_EINTERNAL if a default does not parse). */
int pl_population_opts_init(pl_population_opts *o);
/* Frees the lists the options hold (after opts_init or parsing). */
void pl_population_opts_free(pl_population_opts *o);

/* Loads, distributes and writes the output GeoPackage. */
int pl_population_run(pl_ctx *ctx, const pl_population_opts *o, const char *command_line, pl_error *err);

#endif
