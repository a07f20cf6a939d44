/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `platsa access --mode transit`: each type's services as the targets of a backward RAPTOR
 * profile (analyses/common/transit.h), each home's times over the window. */
#include "gis/util.h"
#include "access_transit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One type: its services' egress legs, the profile, every home's times; the writer's labels. */
static int route_type(pl_ctx *ctx, const pl_transit_net *net, pl_access_result *r, int t,
                      const pl_transit_params *tp, pl_transit_result *tr, pl_error *err)
{
    pl_access_type *at = &r->types[t];
    size_t n = r->n_cells;
    uint32_t n_egress = 0;
    pl_raptor_leg *egress = pl_transit_targets(net, r->svc_snap, at->service_index, at->n_services, tp, &n_egress,
                                               NULL, 0, NULL);
    tr->n_egress[t] = n_egress;
    if (tr->egress) {
        tr->egress[t] = pl_malloc((n_egress ? n_egress : 1) * sizeof *egress);
        memcpy(tr->egress[t], egress, n_egress * sizeof *egress);
    }
    /* The walk all the way: along the walk graph to the nearest service, no limit (by_dist). */
    double *walk_m = pl_malloc((n ? n : 1) * sizeof *walk_m);
    for (size_t c = 0; c < n; c++)
        walk_m[c] = at->by_dist[c * 2].dist_m;
    double *pct = tr->pct_s + (size_t)t * (size_t)tp->n_pct * n;
    size_t ps = 0;
    int rc = pl_transit_times(ctx, net, egress, n_egress, NULL, n, walk_m, tp, pct, n, "transit times", &ps, err);
    free(egress);
    if (ps > tr->profile_entries)
        tr->profile_entries = ps;
    double speed_ms = tp->walk_speed_kmh / 3.6;
    for (size_t c = 0; rc == PL_OK && c < n; c++) {
        tr->walk_s[(size_t)t * n + c] = walk_m[c] / speed_ms;
        /* The writer's time: pct[0]; which service is reached is not tracked (no id), and the
         * second nearest is not computed. */
        at->by_time[c * 2] = (pl_label){UINT32_MAX, INFINITY, pct[c]};
        at->by_time[c * 2 + 1] = (pl_label){UINT32_MAX, INFINITY, INFINITY};
    }
    free(walk_m);
    return rc;
}

int pl_access_transit_compute(pl_ctx *ctx, const pl_population *pop, const pl_services *svc,
                              const pl_service_types *st, const pl_municipalities *munis, const pl_roads *roads,
                              const pl_graph *graph, const pl_timetable *tt, const pl_access_params *params,
                              const pl_transit_params *tp, pl_access_result **out, pl_transit_result **tout,
                              pl_error *err)
{
    *out = NULL;
    *tout = NULL;
    if (graph->mode != PL_MODE_WALK || !tt->stop_x || !tt->stop_y || tp->n_pct < 1 ||
        tp->n_pct > PL_TRANSIT_MAX_PCT || !(tp->walk_speed_kmh > 0))
        return pl_error_set(err, PL_EINTERNAL, "transit access: needs the walk graph, projected stops and 1..%d "
                            "percentiles", PL_TRANSIT_MAX_PCT);
    pl_access_result *r = NULL;
    int rc = pl_access_prepare(ctx, pop, svc, st, munis, roads, graph, params, &r, err);
    if (rc != PL_OK)
        return rc;
    pl_transit_result *tr = pl_calloc(1, sizeof *tr);
    tr->n_cells = pop->n;
    tr->n_types = r->n_types;
    tr->n_pct = tp->n_pct;
    tr->n_stops = tt->n_stops;
    tr->walk_s = pl_malloc((pop->n ? pop->n : 1) * (size_t)r->n_types * sizeof *tr->walk_s);
    tr->pct_s = pl_malloc((pop->n ? pop->n : 1) * (size_t)r->n_types * (size_t)tp->n_pct * sizeof *tr->pct_s);
    tr->n_egress = pl_calloc((size_t)r->n_types, sizeof *tr->n_egress);
    if (tp->keep_legs)
        tr->egress = pl_calloc((size_t)r->n_types, sizeof *tr->egress);
    /* Walking distance to the nearest of each type (the *_km columns and the walk all the way). */
    double t0 = pl_now_s(), c0 = pl_cpu_s();
    for (int t = 0; rc == PL_OK && t < r->n_types; t++)
        rc = pl_access_search_type(ctx, graph, r, t, err);
    double t_search = pl_now_s() - t0, c_search = pl_cpu_s() - c0;
    pl_transit_net *net = NULL;
    if (rc == PL_OK)
        rc = pl_transit_net_new(ctx, graph, roads, tt, r->cell_snap, r->n_cells, tp, &net, err);
    if (net) {
        tr->n_stops_linked = net->n_stops_linked;
        tr->n_walk_transfers = net->n_walk_transfers;
        tr->t_legs_s = t_search + net->t_legs_s;
        tr->c_legs_s = c_search + net->c_legs_s;
    }
    t0 = pl_now_s();
    c0 = pl_cpu_s();
    for (int t = 0; rc == PL_OK && t < r->n_types; t++)
        rc = route_type(ctx, net, r, t, tp, tr, err);
    pl_progress(ctx, 1.0, "transit times");
    tr->t_routing_s = pl_now_s() - t0;
    tr->c_routing_s = pl_cpu_s() - c0;
    if (net && tp->keep_legs) {
        tr->walk_tt = pl_transit_net_take_walk_tt(net);
        tr->leg_start = net->leg_start;
        tr->legs = net->legs;
        net->leg_start = NULL;
        net->legs = NULL;
    }
    pl_transit_net_free(net);
    if (rc != PL_OK) {
        pl_access_result_free(r);
        pl_transit_result_free(tr);
        return rc;
    }
    pl_access_finish(ctx, pop, svc, munis, params, r);
    *out = r;
    *tout = tr;
    return PL_OK;
}

void pl_transit_result_free(pl_transit_result *tr)
{
    if (!tr)
        return;
    free(tr->walk_s);
    free(tr->pct_s);
    for (int t = 0; tr->egress && t < tr->n_types; t++)
        free(tr->egress[t]);
    free(tr->egress);
    pl_transit_walk_timetable_free(tr->walk_tt);
    free(tr->leg_start);
    free(tr->legs);
    free(tr->n_egress);
    free(tr);
}
