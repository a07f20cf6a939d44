/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa coverage --mode transit: the existing hubs' times and the candidates' coverage sets
 * by public transport, on the street side and profiles of analyses/common/transit.h.
 *
 * The sets go either way: one backward profile per candidate (every unit evaluated on it), or
 * one forward range search per uncovered unit (every candidate's egress read on it); a search
 * costs about the same either way, so the direction with fewer searches is taken. */
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

/* Measured on Porto Alegre (4,010 stops, 12:00-14:00, --min 15, 164 uncovered units, this
 * 2-core machine at load 10): backward, 153 candidates, 1.47 s of CPU for the sets; forward, 534
 * and 1,335 candidates, 1.35 s and 2.20 s. A search (profile or range, with its candidate's
 * walks) about 8 ms per 4,010 stops, a candidate x unit evaluation (120 minutes, their median)
 * about 6 us: the estimate takes 8 ms and 8 us, over the measured by up to half. */
#define SEARCH_S_PER_STOP (8e-3 / 4010.0)
#define PAIR_S 8e-6

double pl_coverage_transit_estimate_s(const pl_transit_net *net, size_t n_cells, size_t n_cand)
{
    double searches = (double)(n_cells < n_cand ? n_cells : n_cand);
    return searches * SEARCH_S_PER_STOP * (double)net->n_stops + (double)n_cells * (double)n_cand * PAIR_S;
}

/* The bitmap of covered (candidate, unit) pairs as pl_coverage_sets' lists. */
static void lists_from_bits(const uint8_t *bits, size_t n_cand, const uint32_t *cells, size_t n_cells,
                            uint64_t **out_begin, uint32_t **out_cells)
{
    uint64_t *begin = pl_malloc((n_cand + 1) * sizeof *begin);
    size_t n = 0;
    for (size_t k = 0; k < n_cand * n_cells; k++)
        n += (bits[k >> 3] >> (k & 7)) & 1;
    uint32_t *out = pl_malloc((n ? n : 1) * sizeof *out);
    n = 0;
    begin[0] = 0;
    for (size_t j = 0; j < n_cand; j++) {
        for (size_t i = 0; i < n_cells; i++) {
            size_t k = j * n_cells + i;
            if ((bits[k >> 3] >> (k & 7)) & 1)
                out[n++] = cells[i];
        }
        begin[j + 1] = n;
    }
    *out_begin = begin;
    *out_cells = out;
}

/* One profile per candidate, every unit evaluated on it. */
static int sets_backward(pl_ctx *ctx, const pl_transit_net *net, const uint32_t *cells, size_t n_cells,
                         const pl_candidates *cand, const pl_transit_params *tp, double threshold_s, uint8_t *bits,
                         pl_error *err)
{
    double *walk_m = pl_malloc((n_cells ? n_cells : 1) * sizeof *walk_m);
    double *median = pl_malloc((n_cells ? n_cells : 1) * sizeof *median);
    int rc = PL_OK;
    for (size_t j = 0; rc == PL_OK && j < cand->n; j++) {
        uint32_t one = (uint32_t)j, n_egress = 0;
        pl_raptor_leg *egress = pl_transit_targets(net, cand->snap, &one, 1, tp, &n_egress, cells, n_cells, walk_m);
        rc = pl_transit_times(ctx, net, egress, n_egress, cells, n_cells, walk_m, tp, median, n_cells, NULL, NULL, err);
        free(egress);
        for (size_t i = 0; rc == PL_OK && i < n_cells; i++)
            if (median[i] <= threshold_s)
                bits[(j * n_cells + i) >> 3] |= (uint8_t)(1u << ((j * n_cells + i) & 7));
        if (rc == PL_OK && pl_progress(ctx, (double)(j + 1) / (double)cand->n, "transit coverage sets"))
            rc = pl_error_set(err, PL_EINPUT, "cancelled");
    }
    free(walk_m);
    free(median);
    return rc;
}

/* A walk all the way from unit i to candidate j within --max-walk. */
typedef struct direct_walk {
    uint32_t i, j;
    double m;
} direct_walk;

static int cmp_direct_walk(const void *a, const void *b)
{
    const direct_walk *x = a, *y = b;
    if (x->i != y->i)
        return x->i < y->i ? -1 : 1;
    return (x->j > y->j) - (x->j < y->j);
}

/* One range search per unit from its access legs, every candidate's egress legs read on it:
 * the same journeys as the profiles (tests/test_transit.c checks profile = forward). */
static int sets_forward(pl_ctx *ctx, const pl_transit_net *net, const uint32_t *cells, size_t n_cells,
                        const pl_candidates *cand, const pl_transit_params *tp, double threshold_s, uint8_t *bits,
                        pl_error *err)
{
    size_t n_cand = cand->n, n_min = pl_raptor_n_minutes(tp->t0, tp->t1);
    pl_raptor_leg **egress = pl_malloc((n_cand + 1) * sizeof *egress);
    uint32_t *n_egress = pl_malloc((n_cand + 1) * sizeof *n_egress);
    double *walk_m = pl_malloc((n_cells + 1) * sizeof *walk_m);
    direct_walk *dw = NULL;
    size_t n_dw = 0, cap_dw = 0;
    for (size_t j = 0; j < n_cand; j++) {
        uint32_t one = (uint32_t)j;
        egress[j] = pl_transit_targets(net, cand->snap, &one, 1, tp, &n_egress[j], cells, n_cells, walk_m);
        for (size_t i = 0; i < n_cells; i++) {
            if (!isfinite(walk_m[i]))
                continue;
            if (n_dw == cap_dw) {
                cap_dw = cap_dw ? cap_dw * 2 : 1024;
                dw = pl_realloc(dw, cap_dw * sizeof *dw);
            }
            dw[n_dw++] = (direct_walk){(uint32_t)i, (uint32_t)j, walk_m[i]};
        }
    }
    if (n_dw)
        qsort(dw, n_dw, sizeof *dw, cmp_direct_walk);
    int32_t *arr = pl_malloc((n_min * net->n_stops + 1) * sizeof *arr);
    int32_t *times = pl_malloc((n_min + 1) * sizeof *times);
    pl_raptor_opts ro;
    pl_raptor_opts_default(&ro);
    ro.arrive_by = tp->t1 + (int32_t)lround(tp->max_time_min * 60);  /* later is over --max-time anyway */
    int rc = PL_OK;
    size_t k = 0;
    for (size_t i = 0; rc == PL_OK && i < n_cells; i++) {
        const size_t *ls = net->leg_start;
        uint32_t c = cells[i];
        size_t n_legs = ls[c + 1] - ls[c];
        if (n_legs > 0)
            rc = pl_raptor_range(net->rap, net->legs + ls[c], n_legs, tp->t0, tp->t1, &ro, arr, err);
        for (size_t j = 0; rc == PL_OK && j < n_cand; j++) {
            while (k < n_dw && (dw[k].i < i || (dw[k].i == i && dw[k].j < j)))
                k++;
            double direct = k < n_dw && dw[k].i == i && dw[k].j == j ? dw[k].m : INFINITY;
            if (n_legs == 0 && !isfinite(direct))
                continue;
            for (size_t m = 0; m < n_min; m++) {
                int32_t best = PL_TT_NEVER, dep = tp->t0 + (int32_t)m * PL_RAPTOR_STEP_S;
                for (uint32_t e = 0; n_legs > 0 && e < n_egress[j]; e++) {
                    int32_t a = arr[m * net->n_stops + egress[j][e].stop];
                    if (a != PL_TT_NEVER && a + egress[j][e].walk_s - dep < best)
                        best = a + egress[j][e].walk_s - dep;
                }
                times[m] = best;
            }
            double pct[PL_TRANSIT_MAX_PCT];
            pl_transit_window_pct(times, n_min, direct, tp, pct);
            if (pct[0] <= threshold_s)
                bits[(j * n_cells + i) >> 3] |= (uint8_t)(1u << ((j * n_cells + i) & 7));
        }
        if (rc == PL_OK && pl_progress(ctx, (double)(i + 1) / (double)n_cells, "transit coverage sets"))
            rc = pl_error_set(err, PL_EINPUT, "cancelled");
    }
    for (size_t j = 0; j < n_cand; j++)
        free(egress[j]);
    free(egress);
    free(n_egress);
    free(walk_m);
    free(dw);
    free(arr);
    free(times);
    return rc;
}

int pl_coverage_transit_sets(pl_ctx *ctx, const pl_transit_net *net, const uint32_t *cells, size_t n_cells,
                             const pl_candidates *cand, const pl_transit_params *tp, double threshold_s, int direction,
                             uint64_t **out_begin, uint32_t **out_cells, pl_error *err)
{
    double est = pl_coverage_transit_estimate_s(net, n_cells, cand->n);
    if (est > PL_COVERAGE_TRANSIT_MAX_S)
        return pl_error_set(err, PL_EINPUT, "--mode transit: %zu candidates x %zu uncovered units on %u stops would "
                            "take about %.0f min of CPU (a timetable search per candidate or per unit, whichever are "
                            "fewer); give fewer candidates (a larger --candidate-spacing, localities:FILE or a points "
                            "file) or --region", cand->n, n_cells, net->n_stops, est / 60);
    /* A journey longer than the threshold cannot bring a median under it: the searches stop
     * there (the same sets, a far smaller search than to --max-time). */
    pl_transit_params cap = *tp;
    if (threshold_s / 60.0 < cap.max_time_min)
        cap.max_time_min = threshold_s / 60.0;
    if (direction == PL_COVER_TRANSIT_AUTO)
        direction = n_cells < cand->n ? PL_COVER_TRANSIT_FORWARD : PL_COVER_TRANSIT_BACKWARD;
    pl_info(ctx, "transit coverage sets: %s, %zu searches (%zu candidates, %zu uncovered units; estimate %.1f s cpu)",
            direction == PL_COVER_TRANSIT_FORWARD ? "forward from the units" : "backward from the candidates",
            direction == PL_COVER_TRANSIT_FORWARD ? n_cells : cand->n, cand->n, n_cells, est);
    uint8_t *bits = pl_calloc((cand->n * n_cells + 7) / 8 + 1, 1);
    pl_progress(ctx, 0.0, "transit coverage sets");
    int rc = direction == PL_COVER_TRANSIT_FORWARD ? sets_forward(ctx, net, cells, n_cells, cand, &cap, threshold_s, bits, err)
                                                   : sets_backward(ctx, net, cells, n_cells, cand, &cap, threshold_s, bits, err);
    if (rc == PL_OK)
        lists_from_bits(bits, cand->n, cells, n_cells, out_begin, out_cells);
    free(bits);
    return rc;
}
