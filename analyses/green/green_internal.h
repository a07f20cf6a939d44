/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Shared by analyses/green*.c (not a public API). */
#ifndef PLATSA_ANALYSES_GREEN_INTERNAL_H
#define PLATSA_ANALYSES_GREEN_INTERNAL_H

#include "green.h"
#include "green_geom.h"

/* Tolerance for "on the boundary" in the sight-line and point tests, metres. */
#define PL_GREEN_EPS 1e-4

/* Rule 3 for every home (is_home[b]); visible/within per building, -1 for non-homes. */
int pl_green_rule3(pl_ctx *ctx, const pl_flatpoly *bld, const pl_trees *trees, const pl_green_params *p,
                   const uint8_t *is_home, int32_t *visible, int32_t *within, pl_error *err);

/* Neighbourhoods (polygons or grid squares), the neighbourhood of every building, and the
 * canopy of every neighbourhood when a canopy source is given. Fills the nbh_* arrays,
 * r->nbh and r->canopy_source. */
int pl_green_neighbourhoods(pl_ctx *ctx, const pl_green_inputs *in, const pl_green_params *p, pl_green_result *r,
                            pl_error *err);

/* Rule 300: kept green areas, entries, distances (green_net_m, green_euclid_m, green_area)
 * for homes. */
int pl_green_rule300(pl_ctx *ctx, const pl_green_inputs *in, const pl_green_params *p, const pl_flatpoly *bld,
                     pl_green_result *r, pl_error *err);

/* Canopy area (m²) of the land polygon `land` (flattened, polygon 0) from a raster. */
double pl_canopy_raster_area(const pl_canopy_raster *cr, const pl_flatpoly *land, double threshold, int *failed);

#endif
