/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `platsa access --mode transit`: travel time by public transport (GTFS) and walking from
 * every population unit to the nearest service of each type, over a departure window: for
 * each type, the services are the targets of analyses/common/transit.h (the method is there).
 * The walking-only time (along the walk graph to the nearest service, no limit) is kept
 * beside it. Distances (the *_km columns) are the walking distance along the walk graph to the
 * nearest service: a journey by bus has no road distance comparable with Pipos' road km. */
#ifndef PLATSA_ANALYSES_ACCESS_TRANSIT_H
#define PLATSA_ANALYSES_ACCESS_TRANSIT_H

#include <stdint.h>

#include "access.h"
#include "analyses/common/transit.h"

typedef struct pl_transit_result {
    size_t n_cells;
    int n_types, n_pct;
    double *walk_s;              /* [t * n_cells + c]: walking-only time to the nearest, s (INFINITY: none) */
    double *pct_s;               /* [(t * n_pct + k) * n_cells + c]: pct[k] over the window, s (INFINITY: none) */
    uint32_t n_stops, n_stops_linked; /* stops of the timetable, those within --max-walk of the walk graph */
    uint32_t *n_egress;          /* per type: stops within --max-walk of a service */
    double t_legs_s, t_routing_s;/* wall seconds: walking legs, profiles and evaluation */
    double c_legs_s, c_routing_s;/* the same in CPU seconds, all threads */
    size_t profile_entries;      /* largest profile kept (for memory reports) */
    /* With keep_legs (tests): cell c's access legs legs[leg_start[c] .. leg_start[c+1]), type
     * t's egress legs egress[t][0 .. n_egress[t]); NULL otherwise. */
    size_t *leg_start;
    pl_raptor_leg *legs;
    pl_raptor_leg **egress;
    pl_timetable *walk_tt;       /* the timetable routed on (feed + walking transfers), sharing the
                                    caller's arrays but the transfers */
    size_t n_walk_transfers;     /* walks between stops added as transfers */
} pl_transit_result;

/* pl_access_compute for transit: graph is the walk graph of roads; tt's stop_x/stop_y are
 * set (working CRS). *out as pl_access_compute's (by_dist: walking distance; by_time[c*2]:
 * pct[0] over the window with source UINT32_MAX, the second nearest not computed), *tout
 * the transit figures. PL_EINPUT when no stop lies within --max-walk of the walk graph. */
int pl_access_transit_compute(pl_ctx *ctx, const pl_population *pop, const pl_services *svc,
                              const pl_service_types *st, const pl_municipalities *munis, const pl_roads *roads,
                              const pl_graph *graph, const pl_timetable *tt, const pl_access_params *params,
                              const pl_transit_params *tp, pl_access_result **out, pl_transit_result **tout,
                              pl_error *err);
void pl_transit_result_free(pl_transit_result *tr);

#endif
