/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Public transport (--mode transit) as access, classify and coverage share it: the option rows,
 * the checks before any work, the timetable for --date, and the street side of a journey with
 * the window's times on a backward RAPTOR profile. One rule in one place: the three commands'
 * transit times are the same function of the same walks.
 *
 * The method (R5's, as in issue #23):
 *  - Streets: the walk graph (the road graph in walk mode). Stops attach to it as services do;
 *    a stop farther than --max-walk is left out (nobody walks to it). Transfers: the feed's
 *    (transfers.txt), plus a walk along the walk graph between every two stops within
 *    --max-walk that the feed gives none for (R5 does the same).
 *  - A unit's access legs are its walks to every stop within --max-walk along the walk graph
 *    (access leg to the road included); a set of targets' egress legs are the stops within
 *    --max-walk of any of them, with the walk to the nearest.
 *  - For a set of targets, one backward RAPTOR profile from its egress legs (gis/raptor.h); for
 *    each unit and each departure minute of the window, the time = min(transit by the profile,
 *    a walk straight to the nearest target when that walk is within --max-walk); a time over
 *    --max-time counts as none. The unit's time is each chosen percentile over the window's
 *    minutes (nearest rank; a minute without a journey counts as longest), so a median with
 *    more than half the minutes without a journey is "no connection within the window". */
#ifndef PLATSA_ANALYSES_COMMON_TRANSIT_H
#define PLATSA_ANALYSES_COMMON_TRANSIT_H

#include <stdint.h>

#include "gis/ctx.h"
#include "gis/gpkg_writer.h"
#include "gis/graph.h"
#include "gis/options.h"
#include "gis/raptor.h"
#include "gis/timetable.h"
#include "layers/layers.h"

#define PL_TRANSIT_MAX_PCT 8

/* What a command's --mode transit takes (one struct in each command's options). */
typedef struct pl_transit_opts {
    pl_strings gtfs;             /* GTFS feeds (.zip or folder) */
    const char *date;            /* service day YYYY-MM-DD */
    const char *window;          /* departure window HH:MM-HH:MM */
    double max_walk_m, walk_speed_kmh, max_time_min;
    pl_doubles percentiles;      /* none given (classify, coverage): the median */
} pl_transit_opts;

/* The option rows every command with --mode transit has: OFF(transit.gtfs) etc. */
#define PL_TRANSIT_OPTIONS(OFF)                                                                                 \
    {"gtfs", 0, PL_OPT_STRINGS, OFF(transit.gtfs), "FEED.zip[,FEED2.zip]", NULL,                                 \
     "--mode transit: GTFS feeds (.zip or folder), several at once (a county's buses and national rail)", 0,     \
     PL_NO_RANGE},                                                                                              \
    {"date", 0, PL_OPT_STRING, OFF(transit.date), "YYYY-MM-DD", NULL,                                            \
     "--mode transit: the service day (e.g. a Tuesday outside holidays); must be within the feeds' calendars", \
     0, PL_NO_RANGE},                                                                                           \
    {"window", 0, PL_OPT_STRING, OFF(transit.window), "HH:MM-HH:MM", "07:00-09:00",                              \
     "--mode transit: departure window; every minute from its start to before its end is a departure", 0,       \
     PL_NO_RANGE},                                                                                              \
    {"max-walk", 0, PL_OPT_DOUBLE, OFF(transit.max_walk_m), "M", "1000",                                         \
     "--mode transit: longest walk of any leg (home to stop, stop to service, or all the way) along the walk "   \
     "network; 1000 m (12 min at 5 km/h) covers the 400-800 m stop catchments of planning norms with room for " \
     "rural stops, while keeping the searches local", 0, PL_GT_LE(0, 10000)},                                   \
    {"walk-speed", 0, PL_OPT_DOUBLE, OFF(transit.walk_speed_kmh), "KM/H", "5",                                   \
     "--mode transit: walking speed (5 km/h, as --mode walk)", 0, PL_GT_LE(0, 20)},                             \
    {"max-time", 0, PL_OPT_DOUBLE, OFF(transit.max_time_min), "MIN", "120",                                      \
     "--mode transit: longer journeys count as none (120 min, R5's default)", 0, PL_GT_LE(0, 1440)}

typedef struct pl_transit_params {
    int32_t t0, t1;              /* window [t0, t1), timetable seconds (departures t0, t0+60, ...) */
    double max_walk_m;           /* every walking leg (access, egress, a walk all the way) at most this */
    double walk_speed_kmh;
    double max_time_min;         /* longer journeys count as none */
    double pct[PL_TRANSIT_MAX_PCT]; /* percentiles over the window; pct[0] is the unit's time */
    int n_pct;
    int keep_legs;               /* tests: keep the walking legs in the result */
} pl_transit_params;

/* Parses "HH:MM-HH:MM" (hours up to 47) into [t0, t1) seconds; PL_EINPUT with a one-line
 * message when it is not one or t1 <= t0. */
int pl_transit_parse_window(const char *s, int32_t *t0, int32_t *t1, pl_error *err);

/* --mode transit: the options checked before any work (--gtfs and --date given, the window),
 * into tp (the median when no percentiles are given). */
int pl_transit_params_from_opts(const pl_transit_opts *o, pl_transit_params *tp, pl_error *err);
/* Another mode: PL_EINPUT when --gtfs or --date is given anyway. */
int pl_transit_refuse_unused(const pl_transit_opts *o, pl_error *err);
/* The feeds for --date, stops projected to the working CRS. */
int pl_transit_load_timetable(pl_ctx *ctx, const pl_transit_opts *o, pl_timetable **tt, pl_error *err);
/* Its walking time for a walk of m metres, whole seconds (the legs' rounding). */
int32_t pl_transit_walk_seconds(double m, const pl_transit_params *tp);

/* The street side of one run: stops linked to the walk graph, every unit's access legs, the
 * timetable with the walking transfers added, and a RAPTOR workspace on it. */
typedef struct pl_transit_net {
    const pl_graph *graph;
    const pl_snap *cell_snap;    /* the units' attachment to the walk graph (caller's) */
    size_t n_cells;
    uint32_t n_stops, n_stops_linked;
    pl_snap *stop_snap;
    uint8_t *linked;             /* per stop: within --max-walk of the walk graph */
    size_t *leg_start;           /* unit c's access legs: legs[leg_start[c] .. leg_start[c+1]), by stop id */
    pl_raptor_leg *legs;
    pl_timetable *walk_tt;       /* tt + walking transfers, sharing tt's arrays but the transfers */
    size_t n_walk_transfers;     /* walks between stops added as transfers */
    pl_raptor *rap;
    double t_legs_s, c_legs_s;   /* wall and CPU seconds of linking and the walking legs */
} pl_transit_net;

/* PL_EINPUT when no stop lies within --max-walk of the walk graph, or the feed has no stops
 * on the date. graph: the walk graph of roads; tt's stop_x/stop_y set; both outlive the net. */
int pl_transit_net_new(pl_ctx *ctx, const pl_graph *graph, const pl_roads *roads, const pl_timetable *tt,
                       const pl_snap *cell_snap, size_t n_cells, const pl_transit_params *tp, pl_transit_net **out,
                       pl_error *err);
void pl_transit_net_free(pl_transit_net *net);
/* The walk timetable, taken over by the caller (free with pl_transit_walk_timetable_free). */
pl_timetable *pl_transit_net_take_walk_tt(pl_transit_net *net);
void pl_transit_walk_timetable_free(pl_timetable *walk_tt);

/* Egress legs of a set of targets (places on the walk graph: snaps[idx[i]], i < n, or snaps[i]
 * when idx is NULL): the linked stops within --max-walk of one of them, with the walk to the
 * nearest; *n_out of them. With cell_walk_m, also each unit cells[i] (i < n_cells; all units
 * when cells is NULL) gets its walk to the nearest target within --max-walk in cell_walk_m[i]
 * (INFINITY beyond). */
pl_raptor_leg *pl_transit_targets(const pl_transit_net *net, const pl_snap *snaps, const uint32_t *idx, uint32_t n,
                                  const pl_transit_params *tp, uint32_t *n_out, const uint32_t *cells,
                                  size_t n_cells, double *cell_walk_m);

/* The window's times to the nearest target: one profile from egress, then for each unit
 * cells[i] (all units when cells is NULL; n_cells of them) its percentiles over the window,
 * with walk_m[i] the walk straight to the nearest target (metres, INFINITY: none):
 * pct_out[k * out_stride + i] = percentile pct[k], seconds (INFINITY: no connection).
 * progress: the label to report progress under, NULL for none. *profile_entries (may be NULL)
 * gets the profile's size. */
int pl_transit_times(pl_ctx *ctx, const pl_transit_net *net, const pl_raptor_leg *egress, uint32_t n_egress,
                     const uint32_t *cells, size_t n_cells, const double *walk_m, const pl_transit_params *tp,
                     double *pct_out, size_t out_stride, const char *progress, size_t *profile_entries, pl_error *err);

/* The rule of a unit's window: tt[m] is the transit time leaving at minute m (PL_TT_NEVER:
 * none); each minute takes the walk all the way instead when walk_m (metres) is within
 * --max-walk and quicker, a time over --max-time counts as none, then pct_out[k] = percentile
 * pct[k] in seconds (INFINITY: none). Sorts tt. pl_transit_times applies it to every unit. */
void pl_transit_window_pct(int32_t *tt, size_t n_min, double walk_m, const pl_transit_params *tp, double *pct_out);

/* What a transit run used, in the output's parameters table (gtfs, date, window, walks, max
 * time, percentiles, stops linked). */
void pl_transit_add_parameters(pl_gpkg *g, const pl_transit_opts *o, const pl_transit_params *tp, uint32_t n_linked,
                               uint32_t n_stops);

#endif
