/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `platsa access --mode transit`: walking legs on the walk graph, a backward RAPTOR profile
 * per service type, each home's times over the window. The method is in access_transit.h. */
#include "gis/util.h"
#include "access_transit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "analyses/common/attach.h"
#include "gis/min_heap.h"
#include "gis/raptor.h"

int pl_transit_parse_window(const char *s, int32_t *t0, int32_t *t1, pl_error *err)
{
    int h0, m0, h1, m1, used = 0;
    if (!s || sscanf(s, "%d:%d-%d:%d%n", &h0, &m0, &h1, &m1, &used) != 4 || s[used] != '\0' || h0 < 0 || h0 > 47 ||
        h1 < 0 || h1 > 47 || m0 < 0 || m0 > 59 || m1 < 0 || m1 > 59)
        return pl_error_set(err, PL_EINPUT, "--window '%s' is not HH:MM-HH:MM; give e.g. --window 07:00-09:00",
                            s ? s : "");
    *t0 = h0 * 3600 + m0 * 60;
    *t1 = h1 * 3600 + m1 * 60;
    if (*t1 <= *t0)
        return pl_error_set(err, PL_EINPUT, "--window '%s' ends before it starts; give e.g. --window 07:00-09:00 "
                            "(hours past 24 for after midnight)", s);
    return PL_OK;
}

/* ---------- bounded walks on the walk graph (metres) ---------- */

typedef struct walk_work {
    double *dist;                /* per node; INFINITY = not reached */
    uint32_t *touched;
    size_t n_touched;
    pl_min_heap heap;
} walk_work;

static void walk_work_init(walk_work *w, const pl_graph *g)
{
    w->dist = pl_malloc((g->n_nodes ? g->n_nodes : 1) * sizeof *w->dist);
    for (uint32_t v = 0; v < g->n_nodes; v++)
        w->dist[v] = INFINITY;
    w->touched = pl_malloc((g->n_nodes ? g->n_nodes : 1) * sizeof *w->touched);
    w->n_touched = 0;
    memset(&w->heap, 0, sizeof w->heap);
}

static void walk_work_reset(walk_work *w)
{
    for (size_t i = 0; i < w->n_touched; i++)
        w->dist[w->touched[i]] = INFINITY;
    w->n_touched = 0;
    w->heap.n = 0;
}

static void walk_work_free(walk_work *w)
{
    free(w->dist);
    free(w->touched);
    free(w->heap.h);
}

static void walk_seed(walk_work *w, uint32_t v, double d, double max_m)
{
    if (!(d <= max_m) || !(d < w->dist[v]))
        return;
    if (w->dist[v] == INFINITY)
        w->touched[w->n_touched++] = v;
    w->dist[v] = d;
    pl_heap_push(&w->heap, d, v);
}

/* Seeds the two ends of a place's edge: the leg to the road, then along the edge. */
static void walk_seed_place(walk_work *w, const pl_snap *p, double max_m)
{
    if (p->status == PL_SNAP_NONE)
        return;
    if (p->to_a)
        walk_seed(w, p->node_a, (double)p->access_m + p->a_len_m, max_m);
    if (p->to_b)
        walk_seed(w, p->node_b, (double)p->access_m + p->b_len_m, max_m);
}

/* Dijkstra by length from the seeds, up to max_m (walking goes both ways on every arc of the
 * walk graph, so a search from the places gives the walks to them too). */
static void walk_run(const pl_graph *g, walk_work *w, double max_m)
{
    while (w->heap.n > 0) {
        pl_heap_entry e = pl_heap_pop(&w->heap);
        if (e.p > w->dist[e.v])
            continue;
        for (uint32_t a = g->out_begin[e.v]; a < g->out_begin[e.v + 1]; a++)
            walk_seed(w, g->arc_head[a], e.p + g->arc_len_m[a], max_m);
    }
}

/* The walk from the searched seeds to a place: through either end of its edge. */
static double walk_to_place(const walk_work *w, const pl_snap *p)
{
    if (p->status == PL_SNAP_NONE)
        return INFINITY;
    double d = INFINITY;
    if (p->from_a && w->dist[p->node_a] < INFINITY)
        d = w->dist[p->node_a] + p->a_len_m;
    if (p->from_b && w->dist[p->node_b] < INFINITY && w->dist[p->node_b] + p->b_len_m < d)
        d = w->dist[p->node_b] + p->b_len_m;
    return d + p->access_m;
}

/* Two places on one edge also meet along it, without passing an end node. */
static double walk_same_edge(const pl_snap *p, const pl_snap *q)
{
    if (p->status == PL_SNAP_NONE || q->status == PL_SNAP_NONE || p->edge != q->edge)
        return INFINITY;
    return fabs((double)p->a_len_m - q->a_len_m) + p->access_m + q->access_m;
}

static int32_t walk_seconds(double m, double speed_ms) { return (int32_t)lround(m / speed_ms); }

/* Places by the edge they attach to, for the walks along one edge. */
typedef struct edge_place {
    uint32_t edge, place;
} edge_place;

static int cmp_edge_place(const void *a, const void *b)
{
    const edge_place *x = a, *y = b;
    if (x->edge != y->edge)
        return x->edge < y->edge ? -1 : 1;
    return x->place < y->place ? -1 : x->place > y->place;
}

/* The first entry of edge e in ep[0..n) (sorted), n when none. */
static size_t edge_first(const edge_place *ep, size_t n, uint32_t e)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ep[mid].edge < e)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* ---------- access legs: every home's stops within max_m ---------- */

typedef struct node_stop {
    uint32_t node, stop;
    double d;
} node_stop;

static int cmp_node_stop(const void *a, const void *b)
{
    const node_stop *x = a, *y = b;
    if (x->node != y->node)
        return x->node < y->node ? -1 : 1;
    return x->stop < y->stop ? -1 : x->stop > y->stop;
}

/* A walk between two stops (a footpath transfer). */
typedef struct stop_walk {
    uint32_t from, to;
    int32_t s;
} stop_walk;

/* Takes the pending best[] of the stops in seen[0..n_seen), in stop order, as walks from
 * stop `from` within max_m; clears them. */
static void take_stop_walks(uint32_t from, double *best, uint32_t *seen, uint32_t n_seen, double max_m,
                            double speed_ms, stop_walk **walks, size_t *n, size_t *cap)
{
    for (uint32_t i = 1; i < n_seen; i++)
        for (uint32_t j = i; j > 0 && seen[j - 1] > seen[j]; j--) {
            uint32_t t = seen[j];
            seen[j] = seen[j - 1];
            seen[j - 1] = t;
        }
    for (uint32_t i = 0; i < n_seen; i++) {
        uint32_t q = seen[i];
        if (best[q] <= max_m) {
            if (*n == *cap) {
                *cap = *cap ? *cap * 2 : 4096;
                *walks = pl_realloc(*walks, *cap * sizeof **walks);
            }
            (*walks)[(*n)++] = (stop_walk){from, q, walk_seconds(best[q], speed_ms)};
        }
        best[q] = INFINITY;
    }
}

/* One bounded search per linked stop (stops are far fewer than homes in a county), keeping
 * the distances at the nodes homes attach to; each home then takes its two end nodes' stops
 * (and the stops on its own edge). legs of cell c: legs[start[c] .. start[c+1]), by stop id.
 * The same searches give the walks between stops within max_m (walks_out, by from and to).
 * Long: one pass per stop fills three outputs (home legs, counts, stop-to-stop walks) from the same
 * search, so they cannot drift apart. */
static void access_legs(const pl_graph *g, const pl_snap *cell, size_t n_cells, const pl_snap *stop,
                        const uint8_t *linked, uint32_t n_stops, double max_m, double speed_ms, size_t **start_out,
                        pl_raptor_leg **legs_out, stop_walk **walks_out, size_t *n_walks_out)
{
    uint8_t *mark = pl_calloc(g->n_nodes ? g->n_nodes : 1, 1);
    for (size_t c = 0; c < n_cells; c++)
        if (cell[c].status != PL_SNAP_NONE)
            mark[cell[c].node_a] = mark[cell[c].node_b] = 1;
    /* Stops by edge, for homes on a stop's edge. */
    edge_place *by_edge = pl_malloc((n_stops ? n_stops : 1) * sizeof *by_edge);
    size_t n_by_edge = 0;
    for (uint32_t s = 0; s < n_stops; s++)
        if (linked[s])
            by_edge[n_by_edge++] = (edge_place){stop[s].edge, s};
    qsort(by_edge, n_by_edge, sizeof *by_edge, cmp_edge_place);
    /* The stops at each node (through either end of their edge), for the walks between stops. */
    node_stop *se = pl_malloc((n_by_edge ? n_by_edge : 1) * 2 * sizeof *se);
    size_t n_se = 0;
    for (uint32_t s = 0; s < n_stops; s++) {
        if (!linked[s])
            continue;
        if (stop[s].from_a)
            se[n_se++] = (node_stop){stop[s].node_a, s, (double)stop[s].a_len_m + stop[s].access_m};
        if (stop[s].from_b)
            se[n_se++] = (node_stop){stop[s].node_b, s, (double)stop[s].b_len_m + stop[s].access_m};
    }
    qsort(se, n_se, sizeof *se, cmp_node_stop);
    uint32_t *se_start = pl_calloc((size_t)g->n_nodes + 1, sizeof *se_start);
    for (size_t i = 0; i < n_se; i++)
        se_start[se[i].node + 1]++;
    for (uint32_t v = 0; v < g->n_nodes; v++)
        se_start[v + 1] += se_start[v];
    double *best = pl_malloc((n_stops ? n_stops : 1) * sizeof *best);
    for (uint32_t s = 0; s < n_stops; s++)
        best[s] = INFINITY;
    uint32_t *seen = pl_malloc((n_stops ? n_stops : 1) * sizeof *seen);
    stop_walk *walks = NULL;
    size_t n_walks = 0, walks_cap = 0;

    walk_work w;
    walk_work_init(&w, g);
    node_stop *ns = NULL;
    size_t n_ns = 0, cap = 0;
    for (uint32_t s = 0; s < n_stops; s++) {
        if (!linked[s])
            continue;
        walk_seed_place(&w, &stop[s], max_m);
        walk_run(g, &w, max_m);
        uint32_t n_seen = 0;
        for (size_t i = 0; i < w.n_touched; i++) {
            uint32_t v = w.touched[i];
            for (uint32_t j = se_start[v]; j < se_start[v + 1]; j++) {
                uint32_t q = se[j].stop;
                double d = w.dist[v] + se[j].d;
                if (q == s)
                    continue;
                if (best[q] == INFINITY)
                    seen[n_seen++] = q;
                if (d < best[q])
                    best[q] = d;
            }
        }
        for (size_t i = edge_first(by_edge, n_by_edge, stop[s].edge); i < n_by_edge && by_edge[i].edge == stop[s].edge;
             i++) {
            uint32_t q = by_edge[i].place;
            double d = walk_same_edge(&stop[s], &stop[q]);
            if (q == s || !(d < INFINITY))
                continue;
            if (best[q] == INFINITY)
                seen[n_seen++] = q;
            if (d < best[q])
                best[q] = d;
        }
        take_stop_walks(s, best, seen, n_seen, max_m, speed_ms, &walks, &n_walks, &walks_cap);
        for (size_t i = 0; i < w.n_touched; i++) {
            uint32_t v = w.touched[i];
            if (!mark[v])
                continue;
            if (n_ns == cap) {
                cap = cap ? cap * 2 : 4096;
                ns = pl_realloc(ns, cap * sizeof *ns);
            }
            ns[n_ns++] = (node_stop){v, s, w.dist[v]};
        }
        walk_work_reset(&w);
    }
    qsort(ns, n_ns, sizeof *ns, cmp_node_stop);
    uint32_t *node_start = pl_calloc((size_t)g->n_nodes + 1, sizeof *node_start);
    for (size_t i = 0; i < n_ns; i++)
        node_start[ns[i].node + 1]++;
    for (uint32_t v = 0; v < g->n_nodes; v++)
        node_start[v + 1] += node_start[v];

    size_t *start = pl_malloc((n_cells + 1) * sizeof *start);
    pl_raptor_leg *legs = NULL;
    size_t n_legs = 0, legs_cap = 0;
    for (size_t c = 0; c < n_cells; c++) {
        start[c] = n_legs;
        const pl_snap *p = &cell[c];
        if (p->status == PL_SNAP_NONE)
            continue;
        uint32_t n_seen = 0;
        for (int end = 0; end < 2; end++) {
            uint32_t v = end ? p->node_b : p->node_a;
            if (!(end ? p->from_b : p->from_a))
                continue;
            double along = (end ? p->b_len_m : p->a_len_m) + (double)p->access_m;
            for (uint32_t i = node_start[v]; i < node_start[v + 1]; i++) {
                double d = ns[i].d + along;
                uint32_t s = ns[i].stop;
                if (best[s] == INFINITY)
                    seen[n_seen++] = s;
                if (d < best[s])
                    best[s] = d;
            }
        }
        for (size_t i = edge_first(by_edge, n_by_edge, p->edge); i < n_by_edge && by_edge[i].edge == p->edge; i++) {
            uint32_t s = by_edge[i].place;
            double d = walk_same_edge(p, &stop[s]);
            if (d < INFINITY) {
                if (best[s] == INFINITY)
                    seen[n_seen++] = s;
                if (d < best[s])
                    best[s] = d;
            }
        }
        /* By stop id, so the legs (and the answers) do not depend on the search order. */
        for (uint32_t i = 1; i < n_seen; i++)
            for (uint32_t j = i; j > 0 && seen[j - 1] > seen[j]; j--) {
                uint32_t t = seen[j];
                seen[j] = seen[j - 1];
                seen[j - 1] = t;
            }
        for (uint32_t i = 0; i < n_seen; i++) {
            uint32_t s = seen[i];
            if (best[s] <= max_m) {
                if (n_legs == legs_cap) {
                    legs_cap = legs_cap ? legs_cap * 2 : 4096;
                    legs = pl_realloc(legs, legs_cap * sizeof *legs);
                }
                legs[n_legs++] = (pl_raptor_leg){s, walk_seconds(best[s], speed_ms)};
            }
            best[s] = INFINITY;
        }
    }
    start[n_cells] = n_legs;
    free(best);
    free(seen);
    free(node_start);
    free(ns);
    free(by_edge);
    free(mark);
    free(se);
    free(se_start);
    walk_work_free(&w);
    *start_out = start;
    *legs_out = legs;
    *walks_out = walks;
    *n_walks_out = n_walks;
}

/* A copy of tt sharing every array but the transfers: the feed's, plus the walks between
 * stops (within --max-walk on the walk graph) for every pair the feed gives none for, as R5
 * does for feeds without transfers.txt. Free with free_walk_timetable. */
static pl_timetable *with_walk_transfers(const pl_timetable *tt, const stop_walk *w, size_t n_w, size_t *n_added)
{
    pl_timetable *o = pl_malloc(sizeof *o);
    *o = *tt;
    size_t cap = (tt->transfer_start ? tt->n_transfers : 0) + n_w;
    o->transfer_start = pl_malloc(((size_t)tt->n_stops + 1) * sizeof *o->transfer_start);
    o->transfer_to = pl_malloc((cap ? cap : 1) * sizeof *o->transfer_to);
    o->transfer_s = pl_malloc((cap ? cap : 1) * sizeof *o->transfer_s);
    size_t n = 0, k = 0;
    *n_added = 0;
    for (uint32_t s = 0; s < tt->n_stops; s++) {
        o->transfer_start[s] = (uint32_t)n;
        uint32_t f0 = tt->transfer_start ? tt->transfer_start[s] : 0, f1 = tt->transfer_start ? tt->transfer_start[s + 1] : 0;
        for (uint32_t j = f0; j < f1; j++) {
            o->transfer_to[n] = tt->transfer_to[j];
            o->transfer_s[n++] = tt->transfer_s[j];
        }
        for (; k < n_w && w[k].from == s; k++) {
            int given = 0;
            for (uint32_t j = f0; j < f1 && !given; j++)
                given = tt->transfer_to[j] == w[k].to;
            if (given)
                continue;
            o->transfer_to[n] = w[k].to;
            o->transfer_s[n++] = w[k].s;
            (*n_added)++;
        }
    }
    o->transfer_start[tt->n_stops] = (uint32_t)n;
    o->n_transfers = n;
    return o;
}

static void free_walk_timetable(pl_timetable *o)
{
    if (!o)
        return;
    free(o->transfer_start);
    free(o->transfer_to);
    free(o->transfer_s);
    free(o);
}

/* Egress legs of one type: the linked stops within max_m of one of its services, with the
 * walk to the nearest (one search from all of them). */
static pl_raptor_leg *egress_legs(const pl_graph *g, const pl_access_type *at, const pl_snap *svc_snap,
                                  const pl_snap *stop, const uint8_t *linked, uint32_t n_stops, double max_m,
                                  double speed_ms, uint32_t *n_out)
{
    walk_work w;
    walk_work_init(&w, g);
    for (uint32_t i = 0; i < at->n_services; i++)
        walk_seed_place(&w, &svc_snap[at->service_index[i]], max_m);
    walk_run(g, &w, max_m);
    edge_place *by_edge = pl_malloc((at->n_services ? at->n_services : 1) * sizeof *by_edge);
    size_t n_by_edge = 0;
    for (uint32_t i = 0; i < at->n_services; i++)
        if (svc_snap[at->service_index[i]].status != PL_SNAP_NONE)
            by_edge[n_by_edge++] = (edge_place){svc_snap[at->service_index[i]].edge, at->service_index[i]};
    qsort(by_edge, n_by_edge, sizeof *by_edge, cmp_edge_place);
    pl_raptor_leg *legs = pl_malloc((n_stops ? n_stops : 1) * sizeof *legs);
    uint32_t n = 0;
    for (uint32_t s = 0; s < n_stops; s++) {
        if (!linked[s])
            continue;
        double d = walk_to_place(&w, &stop[s]);
        for (size_t i = edge_first(by_edge, n_by_edge, stop[s].edge); i < n_by_edge && by_edge[i].edge == stop[s].edge;
             i++) {
            double e = walk_same_edge(&stop[s], &svc_snap[by_edge[i].place]);
            if (e < d)
                d = e;
        }
        if (d <= max_m)
            legs[n++] = (pl_raptor_leg){s, walk_seconds(d, speed_ms)};
    }
    walk_work_free(&w);
    free(by_edge);
    *n_out = n;
    return legs;
}

/* ---------- the analysis ---------- */

/* Stops attach to the walk graph as services do (the same eligible roads and fragment
 * rule), but a stop farther than --max-walk from it is left out (nobody walks to it): a
 * counted warning, snap-left-out. */
static int link_stops(pl_ctx *ctx, const pl_graph *graph, const pl_roads *roads, const pl_timetable *tt,
                      const pl_access_params *params, double max_walk_m, pl_snap **snap_out, uint8_t **linked_out,
                      uint32_t *n_linked, pl_error *err)
{
    pl_snap *snap = pl_malloc((tt->n_stops ? tt->n_stops : 1) * sizeof *snap);
    uint8_t *linked = pl_calloc(tt->n_stops ? tt->n_stops : 1, 1);
    pl_snap_opts so;
    pl_snap_opts_default(&so);
    (void)params;
    so.max_snap_m = max_walk_m;   /* a stop farther than a walk is left out, not flagged and kept */
    so.max_attach_m = max_walk_m;
    so.what = "GTFS stops";
    so.left_out_note = "(--max-walk): nobody walks to them; check that the feed and the roads cover the same area";
    int rc = pl_graph_snap(ctx, graph, roads, tt->stop_x, tt->stop_y, tt->n_stops, &so, snap, err);
    *n_linked = 0;
    for (uint32_t s = 0; rc == PL_OK && s < tt->n_stops; s++)
        if (snap[s].status != PL_SNAP_NONE && snap[s].access_m <= max_walk_m) {
            linked[s] = 1;
            (*n_linked)++;
        }
    if (rc == PL_OK && *n_linked == 0 && tt->n_stops > 0)
        rc = pl_error_set(err, PL_EINPUT, "GTFS: none of the %u stops lies within --max-walk %.0f m of the roads' "
                          "walk graph; check that the feed covers the roads' area (and --crs), or raise --max-walk",
                          tt->n_stops, max_walk_m);
    if (rc == PL_OK && tt->n_stops == 0)
        rc = pl_error_set(err, PL_EINPUT, "GTFS: the feed has no stops with trips on the date; check --gtfs and --date");
    if (rc != PL_OK) {
        free(snap);
        free(linked);
        return rc;
    }
    *snap_out = snap;
    *linked_out = linked;
    return PL_OK;
}

/* One home's time for one type: the window's minutes (transit, or a walk all the way when it
 * is within max_walk_m), those over max_time none, then each percentile. */
static void home_times(const pl_raptor_profile *prof, const pl_raptor_leg *legs, size_t n_legs, double walk_m,
                       const pl_transit_params *tp, double speed_ms, int32_t *tt, size_t n_min, double *pct_out)
{
    pl_raptor_profile_times(prof, legs, n_legs, tp->t0, tp->t1, tt);
    int32_t direct = walk_m <= tp->max_walk_m ? walk_seconds(walk_m, speed_ms) : PL_TT_NEVER;
    int32_t max_s = (int32_t)lround(tp->max_time_min * 60);
    for (size_t m = 0; m < n_min; m++) {
        if (direct < tt[m])
            tt[m] = direct;
        if (tt[m] != PL_TT_NEVER && tt[m] > max_s)
            tt[m] = PL_TT_NEVER;
    }
    for (int k = 0; k < tp->n_pct; k++) {
        int32_t v = pl_raptor_percentile(tt, n_min, tp->pct[k]);
        pct_out[k] = v == PL_TT_NEVER ? INFINITY : (double)v;
    }
}

/* The homes' times on one type's profile: each home is independent and writes only its own
 * slots, and the profile is read-only, so threads share the homes in chunks; the answers
 * do not depend on the thread count. Threads: PLATSA_THREADS if set, else the online cores,
 * at most 2 (as the road searches). */
#define EVAL_MAX_THREADS 16
#define EVAL_CHUNK 512

typedef struct eval_job {
    pl_ctx *ctx;                 /* progress: the calling thread only */
    const pl_raptor_profile *prof;
    pl_access_type *at;
    const size_t *leg_start;
    const pl_raptor_leg *legs;
    const pl_transit_params *tp;
    pl_transit_result *tr;
    int t;
    size_t n_cells;
    atomic_size_t next, done;
    atomic_int cancelled;
} eval_job;

static void eval_cells(eval_job *J, int reporter)
{
    const pl_transit_params *tp = J->tp;
    double speed_ms = tp->walk_speed_kmh / 3.6;
    size_t n_min = pl_raptor_n_minutes(tp->t0, tp->t1), n = J->n_cells;
    int32_t *times = pl_malloc((n_min ? n_min : 1) * sizeof *times);
    double pct[PL_TRANSIT_MAX_PCT];
    for (;;) {
        size_t c0 = atomic_fetch_add(&J->next, EVAL_CHUNK);
        if (c0 >= n || atomic_load(&J->cancelled))
            break;
        size_t c1 = c0 + EVAL_CHUNK < n ? c0 + EVAL_CHUNK : n;
        for (size_t c = c0; c < c1; c++) {
            double walk_m = J->at->by_dist[c * 2].dist_m;
            J->tr->walk_s[(size_t)J->t * n + c] = walk_m / speed_ms;
            home_times(J->prof, J->legs + J->leg_start[c], J->leg_start[c + 1] - J->leg_start[c], walk_m, tp, speed_ms,
                       times, n_min, pct);
            for (int k = 0; k < tp->n_pct; k++)
                J->tr->pct_s[((size_t)J->t * (size_t)tp->n_pct + (size_t)k) * n + c] = pct[k];
            /* The writer's time: pct[0]; which service is reached is not tracked (no id), and
             * the second nearest is not computed. */
            J->at->by_time[c * 2] = (pl_label){UINT32_MAX, INFINITY, pct[0]};
            J->at->by_time[c * 2 + 1] = (pl_label){UINT32_MAX, INFINITY, INFINITY};
        }
        size_t done = atomic_fetch_add(&J->done, c1 - c0) + (c1 - c0);
        if (reporter && pl_progress(J->ctx, (double)done / (double)n, "transit times"))
            atomic_store(&J->cancelled, 1);
    }
    free(times);
}

static void *eval_worker(void *arg)
{
    eval_cells(arg, 0);
    return NULL;
}

static int eval_threads(size_t n_cells)
{
    const char *env = getenv("PLATSA_THREADS");
    long n = env && *env ? strtol(env, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
    if (!env || !*env)
        n = n > 2 ? 2 : n;
    n = n < 1 ? 1 : n > EVAL_MAX_THREADS ? EVAL_MAX_THREADS : n;
    size_t chunks = (n_cells + EVAL_CHUNK - 1) / EVAL_CHUNK;
    return (size_t)n > chunks ? (chunks ? (int)chunks : 1) : (int)n;
}

static int route_type(pl_ctx *ctx, pl_raptor *rap, const pl_graph *graph, pl_access_result *r, int t,
                      const pl_snap *stop_snap, const uint8_t *linked, uint32_t n_stops, const size_t *leg_start,
                      const pl_raptor_leg *legs, const pl_transit_params *tp, pl_transit_result *tr, pl_error *err)
{
    pl_access_type *at = &r->types[t];
    double speed_ms = tp->walk_speed_kmh / 3.6;
    uint32_t n_egress = 0;
    pl_raptor_leg *egress = egress_legs(graph, at, r->svc_snap, stop_snap, linked, n_stops, tp->max_walk_m, speed_ms,
                                        &n_egress);
    tr->n_egress[t] = n_egress;
    if (tr->egress) {
        tr->egress[t] = pl_malloc((n_egress ? n_egress : 1) * sizeof *egress);
        memcpy(tr->egress[t], egress, n_egress * sizeof *egress);
    }
    pl_raptor_opts ro;
    pl_raptor_opts_default(&ro);
    int32_t max_s = (int32_t)lround(tp->max_time_min * 60);
    pl_raptor_profile *prof = pl_raptor_profile_new(rap, egress, n_egress, tp->t0, tp->t1 + max_s, &ro, err);
    free(egress);
    if (!prof)
        return err->code ? err->code : PL_EINTERNAL;
    size_t ps = pl_raptor_profile_size(prof);
    if (ps > tr->profile_entries)
        tr->profile_entries = ps;
    eval_job J = {.ctx = ctx, .prof = prof, .at = at, .leg_start = leg_start, .legs = legs, .tp = tp, .tr = tr,
                  .t = t, .n_cells = r->n_cells};
    int n_threads = eval_threads(r->n_cells);
    pthread_t tid[EVAL_MAX_THREADS];
    int started = 0;
    for (int i = 1; i < n_threads; i++)
        if (pthread_create(&tid[started], NULL, eval_worker, &J) == 0)
            started++;
    eval_cells(&J, 1);  /* this thread too, reporting progress */
    for (int i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
    pl_raptor_profile_free(prof);
    if (atomic_load(&J.cancelled))
        return pl_error_set(err, PL_EINPUT, "cancelled");
    return PL_OK;
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
    pl_snap *stop_snap = NULL;
    uint8_t *linked = NULL;
    size_t *leg_start = NULL;
    pl_raptor_leg *legs = NULL;
    stop_walk *walks = NULL;
    size_t n_walks = 0;
    pl_timetable *walk_tt = NULL;
    if (rc == PL_OK)
        rc = link_stops(ctx, graph, roads, tt, params, tp->max_walk_m, &stop_snap, &linked, &tr->n_stops_linked, err);
    if (rc == PL_OK) {
        access_legs(graph, r->cell_snap, r->n_cells, stop_snap, linked, tt->n_stops, tp->max_walk_m,
                    tp->walk_speed_kmh / 3.6, &leg_start, &legs, &walks, &n_walks);
        walk_tt = with_walk_transfers(tt, walks, n_walks, &tr->n_walk_transfers);
        free(walks);
    }
    tr->t_legs_s = pl_now_s() - t0;
    tr->c_legs_s = pl_cpu_s() - c0;
    t0 = pl_now_s();
    c0 = pl_cpu_s();
    pl_raptor *rap = rc == PL_OK ? pl_raptor_new(walk_tt, err) : NULL;
    if (rc == PL_OK && !rap)
        rc = err->code ? err->code : PL_EINTERNAL;
    for (int t = 0; rc == PL_OK && t < r->n_types; t++)
        rc = route_type(ctx, rap, graph, r, t, stop_snap, linked, tt->n_stops, leg_start, legs, tp, tr, err);
    pl_progress(ctx, 1.0, "transit times");
    tr->t_routing_s = pl_now_s() - t0;
    tr->c_routing_s = pl_cpu_s() - c0;
    pl_raptor_free(rap);
    if (tp->keep_legs)
        tr->walk_tt = walk_tt;
    else
        free_walk_timetable(walk_tt);
    free(stop_snap);
    free(linked);
    if (tp->keep_legs) {
        tr->leg_start = leg_start;
        tr->legs = legs;
    } else {
        free(leg_start);
        free(legs);
    }
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
    free_walk_timetable(tr->walk_tt);
    free(tr->leg_start);
    free(tr->legs);
    free(tr->n_egress);
    free(tr);
}
