/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Loaders for the layers of the 3-30-300 analysis that need more than one attribute:
 * buildings (residential flag, population, dwellings), green areas (public access, kind)
 * and trees (crown radius). Same conventions as layers.h: any GDAL vector source
 * ("FILE" or "FILE:LAYER"), reprojected to ctx->work_crs, invalid polygons repaired or
 * skipped with counted warnings, one-line errors naming file, layer, feature and flag.
 *
 * Every attribute is optional: a field given by the user must exist (error naming the
 * fields and the flag), otherwise the first candidate name present is used
 * (case-insensitive), and a layer without any leaves the attribute unknown.
 *
 * Flags (residential, public) read integers as 0 / non-zero and text as
 *   false: 0, no, false, nej, n, f, private, privat
 *   true:  1, yes, true, ja, j, y, t, public, allmän, allman, permissive, designated
 * other text gives the attribute's default (residential: 0; public: 1, as import-osm's
 * `access` = unknown means no access tag); null gives the default too. */
#ifndef PLATSA_LAYERS_BUILDINGS_H
#define PLATSA_LAYERS_BUILDINGS_H

#include <stddef.h>
#include <stdint.h>
#include <geos_c.h>
#include "layers.h"

/* Field candidates (NULL-terminated), also shown in --help. */
extern const char *const pl_cand_building_id[];   /* building_id, id, osm_id, objectid, fid, gid, uid */
extern const char *const pl_cand_residential[];   /* residential, bostad, bostadshus, is_residential */
extern const char *const pl_cand_building_pop[];  /* pop, population, befolkning, beftotalt, folkmangd, invanare, boende, residents */
extern const char *const pl_cand_dwellings[];     /* dwellings, lagenheter, bostader, antal_lgh, units */
extern const char *const pl_cand_public[];        /* public, allman, access, tilltrade */
extern const char *const pl_cand_green_kind[];    /* kind, typ, type, leisure, landuse */
extern const char *const pl_cand_crown[];         /* crown_radius_m, crown_radius, kronradie, radius_m */

/* ---------- buildings: polygons ---------- */
typedef struct pl_buildings_opts {
    const char *id_field;           /* NULL = auto (pl_cand_building_id), else the FID */
    const char *residential_field;  /* NULL = auto (pl_cand_residential) */
    const char *pop_field;          /* NULL = auto (pl_cand_building_pop) */
    const char *dwellings_field;    /* NULL = auto (pl_cand_dwellings) */
} pl_buildings_opts;

typedef struct pl_buildings {
    size_t n;
    GEOSGeometry **geom;            /* valid (Multi)Polygons */
    char **id;
    int8_t *residential;            /* 1 / 0; all 0 when !has_residential */
    double *pop;                    /* residents (>= 0); NAN when !has_pop or null */
    double *dwellings;              /* NAN when !has_dwellings or null */
    int has_residential, has_pop, has_dwellings;
    char *residential_field, *pop_field, *dwellings_field;  /* names used, or NULL */
    char *source;
} pl_buildings;

pl_buildings *pl_buildings_load(pl_ctx *ctx, const char *spec, const pl_load_opts *lo, const pl_buildings_opts *bo,
                                pl_error *err);
void pl_buildings_free(pl_ctx *ctx, pl_buildings *b);

/* ---------- green areas: polygons ---------- */
typedef struct pl_green_areas {
    size_t n;
    GEOSGeometry **geom;            /* valid (Multi)Polygons */
    char **id;
    char **name;                    /* "" when none */
    char **kind;                    /* NULL when no kind field or null */
    int8_t *is_public;              /* 1 unless the public/access field says private */
    int has_public;
    char *public_field;
    char *source;
} pl_green_areas;

/* public_field: NULL = auto (pl_cand_public); kind_field: NULL = auto (pl_cand_green_kind). */
pl_green_areas *pl_green_areas_load(pl_ctx *ctx, const char *spec, const pl_load_opts *lo, const char *public_field,
                                    const char *kind_field, pl_error *err);
void pl_green_areas_free(pl_ctx *ctx, pl_green_areas *g);

/* ---------- trees: points (polygons are reduced to a point inside) ---------- */
typedef struct pl_trees {
    size_t n;
    double *x, *y;
    char **id;
    double *crown_m;                /* crown radius in metres; NAN when unknown */
    int has_crown;
    char *crown_field;
    char *source;
} pl_trees;

/* crown_field: NULL = auto (pl_cand_crown); a negative radius is an error. */
pl_trees *pl_trees_load(pl_ctx *ctx, const char *spec, const pl_load_opts *lo, const char *crown_field,
                        pl_error *err);
void pl_trees_free(pl_trees *t);

/* The flag rule above; def is returned for null/empty/unrecognised text. */
int pl_flag_from_text(const char *s, int def);

#endif
