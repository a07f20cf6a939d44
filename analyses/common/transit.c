/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Public transport shared by access, classify and coverage: the options' checks, the timetable,
 * the walking legs on the walk graph and the window's times on a backward RAPTOR profile. The
 * method is in transit.h. */
#include "gis/util.h"
#include "transit.h"

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
#include "layers/gtfs.h"

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

/* Sorts a few stop ids in place (insertion sort: a walk reaches tens of stops). */
static void sort_stop_ids(uint32_t *seen, uint32_t n_seen)
{
    for (uint32_t i = 1; i < n_seen; i++)
        for (uint32_t j = i; j > 0 && seen[j - 1] > seen[j]; j--) {
            uint32_t t = seen[j];
            seen[j] = seen[j - 1];
            seen[j - 1] = t;
        }
}

/* Takes the pending best[] of the stops in seen[0..n_seen), in stop order, as walks from
 * stop `from` within max_m; clears them. */
static void take_stop_walks(uint32_t from, double *best, uint32_t *seen, uint32_t n_seen, double max_m,
                            double speed_ms, stop_walk **walks, size_t *n, size_t *cap)
{
    sort_stop_ids(seen, n_seen);
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
        sort_stop_ids(seen, n_seen);
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

/* Egress legs of a set of targets: the linked stops within max_m of one of them, with the walk
 * to the nearest (one search from all of them); with cell_walk_m, the units' walks to the
 * nearest too (the same search, so a stop and a unit at one place get one walk). */
pl_raptor_leg *pl_transit_targets(const pl_transit_net *net, const pl_snap *snaps, const uint32_t *idx, uint32_t n,
                                  const pl_transit_params *tp, uint32_t *n_out, const uint32_t *cells,
                                  size_t n_cells, double *cell_walk_m)
{
    const pl_graph *g = net->graph;
    double max_m = tp->max_walk_m, speed_ms = tp->walk_speed_kmh / 3.6;
    walk_work w;
    walk_work_init(&w, g);
    for (uint32_t i = 0; i < n; i++)
        walk_seed_place(&w, &snaps[idx ? idx[i] : i], max_m);
    walk_run(g, &w, max_m);
    edge_place *by_edge = pl_malloc((n ? n : 1) * sizeof *by_edge);
    size_t n_by_edge = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t t = idx ? idx[i] : i;
        if (snaps[t].status != PL_SNAP_NONE)
            by_edge[n_by_edge++] = (edge_place){snaps[t].edge, t};
    }
    qsort(by_edge, n_by_edge, sizeof *by_edge, cmp_edge_place);
    const pl_snap *stop = net->stop_snap;
    pl_raptor_leg *legs = pl_malloc((net->n_stops ? net->n_stops : 1) * sizeof *legs);
    uint32_t n_legs = 0;
    for (uint32_t s = 0; s < net->n_stops; s++) {
        if (!net->linked[s])
            continue;
        double d = walk_to_place(&w, &stop[s]);
        for (size_t i = edge_first(by_edge, n_by_edge, stop[s].edge); i < n_by_edge && by_edge[i].edge == stop[s].edge;
             i++) {
            double e = walk_same_edge(&stop[s], &snaps[by_edge[i].place]);
            if (e < d)
                d = e;
        }
        if (d <= max_m)
            legs[n_legs++] = (pl_raptor_leg){s, walk_seconds(d, speed_ms)};
    }
    for (size_t i = 0; cell_walk_m && i < (cells ? n_cells : net->n_cells); i++) {
        const pl_snap *p = &net->cell_snap[cells ? cells[i] : i];
        double d = walk_to_place(&w, p);
        for (size_t j = edge_first(by_edge, n_by_edge, p->edge); j < n_by_edge && by_edge[j].edge == p->edge; j++) {
            double e = walk_same_edge(p, &snaps[by_edge[j].place]);
            if (e < d)
                d = e;
        }
        cell_walk_m[i] = d <= max_m ? d : INFINITY;
    }
    walk_work_free(&w);
    free(by_edge);
    *n_out = n_legs;
    return legs;
}

/* ---------- the street side of a run ---------- */

/* Stops attach to the walk graph as services do (the same eligible roads and fragment
 * rule), but a stop farther than --max-walk from it is left out (nobody walks to it): a
 * counted warning, snap-left-out. */
static int link_stops(pl_ctx *ctx, const pl_graph *graph, const pl_roads *roads, const pl_timetable *tt,
                      double max_walk_m, pl_snap **snap_out, uint8_t **linked_out, uint32_t *n_linked, pl_error *err)
{
    pl_snap *snap = pl_malloc((tt->n_stops ? tt->n_stops : 1) * sizeof *snap);
    uint8_t *linked = pl_calloc(tt->n_stops ? tt->n_stops : 1, 1);
    pl_snap_opts so;
    pl_snap_opts_default(&so);
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

/* One unit's time to a set of targets: the window's minutes (transit, or a walk all the way when it
 * is within max_walk_m), those over max_time none, then each percentile. */
static void home_times(const pl_raptor_profile *prof, const pl_raptor_leg *legs, size_t n_legs, double walk_m,
                       const pl_transit_params *tp, int32_t *tt, size_t n_min, double *pct_out)
{
    pl_raptor_profile_times(prof, legs, n_legs, tp->t0, tp->t1, tt);
    pl_transit_window_pct(tt, n_min, walk_m, tp, pct_out);
}

void pl_transit_window_pct(int32_t *tt, size_t n_min, double walk_m, const pl_transit_params *tp, double *pct_out)
{
    double speed_ms = tp->walk_speed_kmh / 3.6;
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

/* The units' times on one profile: each unit is independent and writes only its own slots,
 * and the profile is read-only, so threads share the units in chunks; the answers do not
 * depend on the thread count. Threads: PLATSA_THREADS if set, else the online cores, at most
 * 2 (as the road searches). */
#define EVAL_MAX_THREADS 16
#define EVAL_CHUNK 512

typedef struct eval_job {
    pl_ctx *ctx;                 /* progress: the calling thread only */
    const char *progress;        /* NULL: none */
    const pl_raptor_profile *prof;
    const pl_transit_net *net;
    const pl_transit_params *tp;
    const uint32_t *cells;       /* NULL: every unit */
    const double *walk_m;
    double *out;
    size_t out_stride;
    size_t n_cells;
    atomic_size_t next, done;
    atomic_int cancelled;
} eval_job;

static void eval_cells(eval_job *J, int reporter)
{
    const pl_transit_params *tp = J->tp;
    size_t n_min = pl_raptor_n_minutes(tp->t0, tp->t1), n = J->n_cells;
    int32_t *times = pl_malloc((n_min ? n_min : 1) * sizeof *times);
    double pct[PL_TRANSIT_MAX_PCT];
    const size_t *ls = J->net->leg_start;
    for (;;) {
        size_t c0 = atomic_fetch_add(&J->next, EVAL_CHUNK);
        if (c0 >= n || atomic_load(&J->cancelled))
            break;
        size_t c1 = c0 + EVAL_CHUNK < n ? c0 + EVAL_CHUNK : n;
        for (size_t i = c0; i < c1; i++) {
            size_t c = J->cells ? J->cells[i] : i;
            home_times(J->prof, J->net->legs + ls[c], ls[c + 1] - ls[c], J->walk_m[i], tp, times, n_min, pct);
            for (int k = 0; k < tp->n_pct; k++)
                J->out[(size_t)k * J->out_stride + i] = pct[k];
        }
        size_t done = atomic_fetch_add(&J->done, c1 - c0) + (c1 - c0);
        if (reporter && J->progress && pl_progress(J->ctx, (double)done / (double)n, J->progress))
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

int pl_transit_times(pl_ctx *ctx, const pl_transit_net *net, const pl_raptor_leg *egress, uint32_t n_egress,
                     const uint32_t *cells, size_t n_cells, const double *walk_m, const pl_transit_params *tp,
                     double *pct_out, size_t out_stride, const char *progress, size_t *profile_entries, pl_error *err)
{
    pl_raptor_opts ro;
    pl_raptor_opts_default(&ro);
    int32_t max_s = (int32_t)lround(tp->max_time_min * 60);
    pl_raptor_profile *prof = pl_raptor_profile_new(net->rap, egress, n_egress, tp->t0, tp->t1 + max_s, &ro, err);
    if (!prof)
        return err->code ? err->code : PL_EINTERNAL;
    if (profile_entries)
        *profile_entries = pl_raptor_profile_size(prof);
    eval_job J = {.ctx = ctx, .progress = progress, .prof = prof, .net = net, .tp = tp, .cells = cells,
                  .walk_m = walk_m, .out = pct_out, .out_stride = out_stride, .n_cells = n_cells};
    int n_threads = eval_threads(n_cells);
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

/* ---------- a run's street side ---------- */

int pl_transit_net_new(pl_ctx *ctx, const pl_graph *graph, const pl_roads *roads, const pl_timetable *tt,
                       const pl_snap *cell_snap, size_t n_cells, const pl_transit_params *tp, pl_transit_net **out,
                       pl_error *err)
{
    *out = NULL;
    if (graph->mode != PL_MODE_WALK || !tt->stop_x || !tt->stop_y || tp->n_pct < 1 ||
        tp->n_pct > PL_TRANSIT_MAX_PCT || !(tp->walk_speed_kmh > 0))
        return pl_error_set(err, PL_EINTERNAL, "transit: needs the walk graph, projected stops and 1..%d "
                            "percentiles", PL_TRANSIT_MAX_PCT);
    double t0 = pl_now_s(), c0 = pl_cpu_s();
    pl_transit_net *net = pl_calloc(1, sizeof *net);
    net->graph = graph;
    net->cell_snap = cell_snap;
    net->n_cells = n_cells;
    net->n_stops = tt->n_stops;
    int rc = link_stops(ctx, graph, roads, tt, tp->max_walk_m, &net->stop_snap, &net->linked, &net->n_stops_linked,
                        err);
    if (rc == PL_OK) {
        stop_walk *walks = NULL;
        size_t n_walks = 0;
        access_legs(graph, cell_snap, n_cells, net->stop_snap, net->linked, tt->n_stops, tp->max_walk_m,
                    tp->walk_speed_kmh / 3.6, &net->leg_start, &net->legs, &walks, &n_walks);
        net->walk_tt = with_walk_transfers(tt, walks, n_walks, &net->n_walk_transfers);
        free(walks);
    }
    net->t_legs_s = pl_now_s() - t0;
    net->c_legs_s = pl_cpu_s() - c0;
    if (rc == PL_OK) {
        net->rap = pl_raptor_new(net->walk_tt, err);
        if (!net->rap)
            rc = err->code ? err->code : PL_EINTERNAL;
    }
    if (rc != PL_OK) {
        pl_transit_net_free(net);
        return rc;
    }
    *out = net;
    return PL_OK;
}

void pl_transit_net_free(pl_transit_net *net)
{
    if (!net)
        return;
    pl_raptor_free(net->rap);
    free_walk_timetable(net->walk_tt);
    free(net->stop_snap);
    free(net->linked);
    free(net->leg_start);
    free(net->legs);
    free(net);
}

pl_timetable *pl_transit_net_take_walk_tt(pl_transit_net *net)
{
    pl_raptor_free(net->rap);  /* it reads the timetable: gone with it */
    net->rap = NULL;
    pl_timetable *t = net->walk_tt;
    net->walk_tt = NULL;
    return t;
}

void pl_transit_walk_timetable_free(pl_timetable *walk_tt) { free_walk_timetable(walk_tt); }

int32_t pl_transit_walk_seconds(double m, const pl_transit_params *tp)
{
    return walk_seconds(m, tp->walk_speed_kmh / 3.6);
}

/* ---------- options, timetable, parameters ---------- */

int pl_transit_params_from_opts(const pl_transit_opts *o, pl_transit_params *tp, pl_error *err)
{
    memset(tp, 0, sizeof *tp);
    if (o->gtfs.n == 0 || !o->date || !*o->date)
        return pl_error_set(err, PL_EINPUT, "--mode transit needs --gtfs FEED.zip[,FEED2.zip] and --date YYYY-MM-DD "
                            "(the service day, e.g. a Tuesday within the feed's calendar)");
    if (pl_transit_parse_window(o->window, &tp->t0, &tp->t1, err) != PL_OK)
        return err->code;
    tp->max_walk_m = o->max_walk_m;
    tp->walk_speed_kmh = o->walk_speed_kmh;
    tp->max_time_min = o->max_time_min;
    tp->n_pct = o->percentiles.n < PL_TRANSIT_MAX_PCT ? o->percentiles.n : PL_TRANSIT_MAX_PCT;
    memcpy(tp->pct, o->percentiles.v, (size_t)tp->n_pct * sizeof *tp->pct);
    if (tp->n_pct == 0) {
        tp->pct[0] = 50;
        tp->n_pct = 1;
    }
    return PL_OK;
}

int pl_transit_refuse_unused(const pl_transit_opts *o, pl_error *err)
{
    if (o->gtfs.n > 0 || o->date)
        return pl_error_set(err, PL_EINPUT, "--gtfs and --date are for --mode transit; add --mode transit or leave "
                            "them out");
    return PL_OK;
}

int pl_transit_load_timetable(pl_ctx *ctx, const pl_transit_opts *o, pl_timetable **tt, pl_error *err)
{
    pl_gtfs_stats gs;
    int rc = pl_gtfs_load(ctx, (const char *const *)o->gtfs.v, (size_t)o->gtfs.n, o->date, NULL, tt, &gs, err);
    if (rc == PL_OK)
        rc = pl_gtfs_project_stops(ctx, *tt, err);
    if (rc == PL_OK)
        pl_info(ctx, "GTFS %s: %u stops, %u patterns, %u trips", o->date, (*tt)->n_stops, (*tt)->n_patterns,
                (*tt)->n_trips);
    return rc;
}

void pl_transit_add_parameters(pl_gpkg *g, const pl_transit_opts *o, const pl_transit_params *tp, uint32_t n_linked,
                               uint32_t n_stops)
{
    char value[1024];
    size_t used = 0;
    value[0] = '\0';
    for (int i = 0; i < o->gtfs.n && used < sizeof value; i++)
        used += (size_t)snprintf(value + used, sizeof value - used, "%s%s", i ? "," : "", o->gtfs.v[i]);
    pl_gpkg_add_parameter(g, "gtfs", value);
    pl_gpkg_add_parameter(g, "date", o->date);
    pl_gpkg_add_parameter(g, "window", o->window);
    snprintf(value, sizeof value, "%g", o->max_walk_m);
    pl_gpkg_add_parameter(g, "max_walk_m", value);
    snprintf(value, sizeof value, "%g", o->walk_speed_kmh);
    pl_gpkg_add_parameter(g, "walk_speed_kmh", value);
    snprintf(value, sizeof value, "%g", o->max_time_min);
    pl_gpkg_add_parameter(g, "max_time_min", value);
    used = 0;
    for (int i = 0; i < tp->n_pct && used < sizeof value; i++)
        used += (size_t)snprintf(value + used, sizeof value - used, "%s%g", i ? "," : "", tp->pct[i]);
    pl_gpkg_add_parameter(g, "percentiles", value);
    snprintf(value, sizeof value, "%u of %u", n_linked, n_stops);
    pl_gpkg_add_parameter(g, "stops_linked", value);
}
