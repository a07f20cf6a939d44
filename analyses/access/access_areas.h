/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Service areas (`platsa access --service-areas`): per service type and time band, the land
 * within a walk-off width of the roads reached within the band from the nearest service,
 * with the residents whose own nearest time falls in the band. */
#ifndef PLATSA_ANALYSES_ACCESS_AREAS_H
#define PLATSA_ANALYSES_ACCESS_AREAS_H

#include "gis/ctx.h"
#include "gis/graph.h"
#include "layers/layers.h"
#include "access.h"

/* Default walk-off width (--service-area-width), metres: see pl_access_options. */
#define PL_SERVICE_AREA_WIDTH_DEFAULT 200.0

/* One ring: the roads reached within hi_min but not within lo_min, buffered. */
typedef struct pl_service_area {
    int slot;                 /* type slot in the access result */
    int band;                 /* 0..n_bands_min-1 */
    double lo_min, hi_min;    /* band limits (lo 0 for the first band) */
    GEOSGeometry *geom;       /* (multi)polygon, NULL when nothing is reached in the band */
    double road_km;           /* road length reached within hi_min (cumulative) */
    double pop, pop_age;      /* residents of reported units whose written nearest time is in the band */
    long n_cells;
} pl_service_area;

typedef struct pl_service_areas {
    int n;
    pl_service_area *a;       /* by type slot, then band */
} pl_service_areas;

/* Service areas of every type of r (time bands), on the graph r was computed on.
 * width_m: the buffer around the reached road pieces (> 0). */
int pl_access_service_areas(pl_ctx *ctx, const pl_graph *g, const pl_roads *roads, const pl_population *pop,
                            const pl_access_result *r, double width_m, pl_service_areas **out, pl_error *err);
void pl_service_areas_free(pl_ctx *ctx, pl_service_areas *sa);

#endif
