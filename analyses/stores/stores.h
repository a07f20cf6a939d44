/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Store vulnerability for the regional serviceprogram (RSP): for every service of one type
 * (default grocery), the residents for whom it is the nearest, how far they travel now and
 * how far if it closed (their second-nearest), the residents a closure pushes beyond each
 * threshold (e.g. 10 km, 30 min), the added person-km and person-minutes, and the network
 * distance to the nearest other store of the type. Stores are ranked for support.
 *
 * Everything comes from ONE access run with k = 2 labels per cell: when the nearest store
 * closes, the new nearest is the old second-nearest (exact: the second label of a k-nearest
 * search is the nearest among the other sources, with the same doubles a re-run without the
 * store gives), so no store is removed and searched again.
 *
 * pl_stores_compute works on loaded arrays (tests call it directly); pl_stores_run loads,
 * computes and writes `store_priority` (points, styled), its attribute twin
 * `store_priority_table` (+ CSV with --csv) and `store_catchments` (the cells: nearest store,
 * distance and time now and if it closed: the households a closure pushes beyond a threshold). */
#ifndef PLATSA_ANALYSES_STORES_H
#define PLATSA_ANALYSES_STORES_H

#include "analyses/access/access.h"

typedef struct pl_stores_opts {
    pl_access_opts base;        /* population, services, roads, municipalities, output, mode, region... */
    const char *type;           /* service type key [grocery] */
    pl_doubles beyond_km;       /* thresholds [10] */
    pl_doubles beyond_min;      /* thresholds [30] */
} pl_stores_opts;

extern const pl_option pl_stores_options[];
/* Zeroes o and sets the table's defaults (PL_OK; PL_EINTERNAL if a default does not parse). */
int pl_stores_opts_init(pl_stores_opts *o);
/* Frees the lists the options hold (after opts_init or parsing). */
void pl_stores_opts_free(pl_stores_opts *o);
extern const char pl_stores_usage[];
extern const char pl_stores_summary[];

/* Figures of one store. Distance figures concern the residents whose nearest store BY
 * DISTANCE is this one, time figures those whose nearest BY TIME is it (usually, not always,
 * the same people). Only reported cells (the --region filter) count. */
typedef struct pl_store_figures {
    uint32_t service;              /* index into pl_services */
    uint32_t source;               /* index among the type's services (pl_access_type.service_index) */
    long muni;                     /* municipality the store lies in (nearest if outside all), -1 none */
    double pop_dist, pop_time;     /* residents for whom it is the nearest */
    double age_dist, age_time;     /* of them in the age group (0 without an age field) */
    long cells_dist, cells_time;
    double person_km_now, person_km_closed;     /* sum pop x km over the catchment, reachable parts */
    double person_min_now, person_min_closed;
    double added_person_km;        /* sum pop x (km if closed - km now), over residents with an alternative */
    double added_person_min;
    double mean_km_now, mean_km_closed;         /* population-weighted; closed: those with an alternative */
    double mean_min_now, mean_min_closed;
    double max_km_closed, max_min_closed;       /* farthest resident's distance/time if it closed */
    double pop_no_alternative_dist;             /* no other store of the type reachable at all */
    double pop_no_alternative_time;
    double pop_beyond_km[PL_MAX_LIST];          /* within the threshold now, beyond it (or cut off) if closed */
    double pop_beyond_min[PL_MAX_LIST];
    double age_beyond_km[PL_MAX_LIST];
    double age_beyond_min[PL_MAX_LIST];
    double nearest_other_km;       /* network distance from the store to the nearest other store of the type */
    double nearest_other_min;      /* travel time to the nearest other store by time */
    uint32_t nearest_other;        /* service index of that store by distance, UINT32_MAX if none */
    int rank;                      /* 1 = most vulnerable */
} pl_store_figures;

typedef struct pl_stores_params {
    pl_access_params access;       /* types/n_types ignored: `type` is analysed */
    int type;                      /* service type index */
    pl_doubles beyond_km, beyond_min;
} pl_stores_params;

typedef struct pl_stores_result {
    pl_access_result *access;      /* the one access run (type slot 0) */
    size_t n_stores;
    pl_store_figures *stores;      /* in rank order */
    int n_beyond_km, n_beyond_min;
    double beyond_km[PL_MAX_LIST], beyond_min[PL_MAX_LIST];
} pl_stores_result;

/* Computes the access run for the type and every store's figures. */
int pl_stores_compute(pl_ctx *ctx, const pl_population *pop, const pl_services *svc,
                      const pl_service_types *st, const pl_municipalities *munis, const pl_roads *roads,
                      const pl_graph *graph, const pl_stores_params *params, pl_stores_result **out,
                      pl_error *err);

/* Figures from an existing access result's type slot t (labels k = 2), without searching
 * for cells again; store-to-store distances are one k = 2 search among the stores. */
int pl_stores_from_access(pl_ctx *ctx, const pl_population *pop, const pl_services *svc,
                          const pl_municipalities *munis, const pl_graph *graph, const pl_access_result *r, int t,
                          const pl_doubles *beyond_km, const pl_doubles *beyond_min, pl_store_figures **out,
                          pl_error *err);

/* Sorts figures into rank order and sets rank: residents pushed beyond the first minute
 * threshold (descending), then added person-km (descending), then store id. */
void pl_stores_rank(pl_store_figures *f, size_t n, const pl_services *svc);

void pl_stores_result_free(pl_stores_result *r);

/* Load, compute, write. */
int pl_stores_run(pl_ctx *ctx, const pl_stores_opts *opts, const char *command_line, pl_error *err);

#endif
