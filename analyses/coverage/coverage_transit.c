/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa coverage --mode transit: the existing hubs' times and the candidates' coverage sets
 * by public transport, on the street side and profiles of analyses/common/transit.h.
 *
 * Backward, one profile per candidate: its cost does not grow with the units evaluated on it,
 * and a county has fewer candidate sites than units; a forward range search per unit would
 * give every candidate at once but costs one search per unit (both measured on Porto Alegre:
 * see the README). */
#include "coverage.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gis/util.h"

int pl_coverage_transit_hubs(pl_ctx *ctx, const pl_graph *walk_graph, const pl_roads *roads, const pl_timetable *tt,
                             const pl_transit_params *tp, const pl_snap *cell_snap, size_t n_cells,
                             const pl_snap *hub_snap, uint32_t n_hubs, pl_label *hub, pl_transit_net **net,
                             pl_error *err)
{
    int rc = pl_transit_net_new(ctx, walk_graph, roads, tt, cell_snap, n_cells, tp, net, err);
    if (rc != PL_OK)
        return rc;
    uint32_t n_egress = 0;
    pl_raptor_leg *egress = pl_transit_targets(*net, hub_snap, NULL, n_hubs, tp, &n_egress, NULL, 0, NULL);
    double *walk_m = pl_malloc((n_cells ? n_cells : 1) * sizeof *walk_m);
    double *median = pl_malloc((n_cells ? n_cells : 1) * sizeof *median);
    for (size_t c = 0; c < n_cells; c++)
        walk_m[c] = hub[c].dist_m;
    rc = pl_transit_times(ctx, *net, egress, n_egress, NULL, n_cells, walk_m, tp, median, n_cells, "transit times",
                          NULL, err);
    for (size_t c = 0; rc == PL_OK && c < n_cells; c++) {
        hub[c].source = UINT32_MAX;
        hub[c].time_s = median[c];
    }
    free(egress);
    free(walk_m);
    free(median);
    return rc;
}

int pl_coverage_transit_sets(pl_ctx *ctx, const pl_transit_net *net, const uint32_t *cells, size_t n_cells,
                             const pl_candidates *cand, const pl_transit_params *tp, double threshold_s,
                             uint64_t **out_begin, uint32_t **out_cells, pl_error *err)
{
    double work = (double)cand->n * (double)n_cells;
    if (work > PL_COVERAGE_TRANSIT_MAX_WORK)
        return pl_error_set(err, PL_EINPUT, "--mode transit: %zu candidates x %zu uncovered units is beyond the "
                            "%.0f million a run is allowed (one timetable search per candidate, about %.0f min); "
                            "give fewer candidates (a larger --candidate-spacing, localities:FILE or a points file) "
                            "or --region", cand->n, n_cells, PL_COVERAGE_TRANSIT_MAX_WORK / 1e6,
                            work / PL_COVERAGE_TRANSIT_MAX_WORK * 10.0);
    /* A journey longer than the threshold cannot bring a median under it: the searches stop
     * there (the same sets, a far smaller search than to --max-time). */
    pl_transit_params cap_tp = *tp;
    if (threshold_s / 60.0 < cap_tp.max_time_min)
        cap_tp.max_time_min = threshold_s / 60.0;
    tp = &cap_tp;
    double *walk_m = pl_malloc((n_cells ? n_cells : 1) * sizeof *walk_m);
    double *median = pl_malloc((n_cells ? n_cells : 1) * sizeof *median);
    uint64_t *begin = pl_malloc((cand->n + 1) * sizeof *begin);
    uint32_t *out = NULL;
    size_t n_out = 0, cap = 0;
    int rc = PL_OK;
    begin[0] = 0;
    pl_progress(ctx, 0.0, "transit coverage sets");
    for (size_t j = 0; rc == PL_OK && j < cand->n; j++) {
        uint32_t one = (uint32_t)j, n_egress = 0;
        pl_raptor_leg *egress = pl_transit_targets(net, cand->snap, &one, 1, tp, &n_egress, cells, n_cells, walk_m);
        rc = pl_transit_times(ctx, net, egress, n_egress, cells, n_cells, walk_m, tp, median, n_cells, NULL, NULL, err);
        free(egress);
        for (size_t i = 0; rc == PL_OK && i < n_cells; i++) {
            if (!(median[i] <= threshold_s))
                continue;
            if (n_out == cap) {
                cap = cap ? cap * 2 : 4096;
                out = pl_realloc(out, cap * sizeof *out);
            }
            out[n_out++] = cells[i];
        }
        begin[j + 1] = n_out;
        if (pl_progress(ctx, (double)(j + 1) / (double)cand->n, "transit coverage sets"))
            rc = pl_error_set(err, PL_EINPUT, "cancelled");
    }
    free(walk_m);
    free(median);
    if (rc != PL_OK) {
        free(begin);
        free(out);
        return rc;
    }
    *out_begin = begin;
    *out_cells = out ? out : pl_malloc(sizeof *out);
    return PL_OK;
}
