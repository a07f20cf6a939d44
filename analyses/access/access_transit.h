/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `platsa access --mode transit`: travel time by public transport (GTFS) and walking from
 * every population unit to the nearest service of each type, over a departure window.
 *
 * The method (R5's, as in issue #23):
 *  - Streets: the walk graph (the road graph in walk mode). Stops attach to it as services do.
 *    Transfers: the feed's (transfers.txt), plus a walk along the walk graph between every
 *    two stops within --max-walk that the feed gives none for (R5 does the same).
 *    A home's access legs are its walking times to every stop within --max-walk along the
 *    walk graph (access leg to the road included); a type's egress legs are the stops within
 *    --max-walk of any of its services, with the walking time to the nearest.
 *  - For each type, a backward RAPTOR profile from its egress legs (gis/raptor.h); for each
 *    home and each departure minute of the window, the time = min(transit by the profile, a
 *    walk straight to the nearest service when that walk is within --max-walk); a time over
 *    --max-time counts as none. The home's time is the chosen percentile over the window's
 *    minutes (nearest rank; a minute without a journey counts as longest), so a median
 *    with more than half the minutes without a journey is "no connection within the window".
 *  - The walking-only time (along the walk graph to the nearest service, no limit) is kept
 *    beside it.
 * Distances (the *_km columns) are the walking distance along the walk graph to the nearest
 * service: a journey by bus has no road distance comparable with Pipos' road km. */
#ifndef PLATSA_ANALYSES_ACCESS_TRANSIT_H
#define PLATSA_ANALYSES_ACCESS_TRANSIT_H

#include <stdint.h>

#include "access.h"
#include "gis/raptor.h"
#include "gis/timetable.h"

#define PL_TRANSIT_MAX_PCT 8

typedef struct pl_transit_params {
    int32_t t0, t1;              /* window [t0, t1), timetable seconds (departures t0, t0+60, ...) */
    double max_walk_m;           /* every walking leg (access, egress, a walk all the way) at most this */
    double walk_speed_kmh;
    double max_time_min;         /* longer journeys count as none */
    double pct[PL_TRANSIT_MAX_PCT]; /* percentiles over the window; pct[0] goes to the *_min columns */
    int n_pct;
    int keep_legs;               /* tests: keep the walking legs in the result */
} pl_transit_params;

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

/* Parses "HH:MM-HH:MM" (hours up to 47) into [t0, t1) seconds; PL_EINPUT with a one-line
 * message when it is not one or t1 <= t0. */
int pl_transit_parse_window(const char *s, int32_t *t0, int32_t *t1, pl_error *err);

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
