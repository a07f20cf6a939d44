/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Issue #19 feasibility probe: how long a plain contraction hierarchy (CH) takes to build
 * on a real graph, how many shortcuts it adds, and how fast a PHAST-style k=1 multi-source
 * sweep is against pl_graph_nearest_k on the same graph and sources. A measurement tool,
 * not the product: one metric (p only, no (p, q) ties), witness searches capped by settled
 * nodes, lazy priority updates; the sweep's node values are checked against a plain
 * multi-source Dijkstra.
 *
 *   build/bench/bench_ch --roads FILE[:LAYER] [--metric distance|time] [--sources N]
 *                        [--targets N] [--settle N] [--seed S] [--no-ch] [--runs N]
 *
 * What it measured (session 10, 2 shared cores at load 7-8, so CPU seconds are the figures):
 *  - Build (distance, witness searches settling 100 nodes): bench grid-20k (20,000 nodes,
 *    77,158 arcs) 4.5 s CPU, 177,187 shortcuts (2.3 per arc), PHAST node values equal to a
 *    Dijkstra's; settling 10 / 30 / 500: 12.3 / 7.3 / 5.5 s CPU. grid-250k (250,171 nodes):
 *    the first 196,608 contractions in 14.6 s CPU, the last 21 % (the dense top of a grid's
 *    separators) not done after 200 s CPU. Grids are a CH's worst case; the 2 M anchor and
 *    the synthetic Sweden are grid-like, so this builder would take far too long on them
 *    (and twice: one hierarchy per metric).
 *  - The sweep's floor (--no-ch, anchor roads, 2,000 sources, 400,000 targets): one pass over
 *    the graph's own reverse arcs in node order plus the gather took 0.04 / 0.09-0.18 s CPU
 *    at k = 1 / 2 against pl_graph_nearest_k's 0.17-0.19 / 0.50-0.54 s CPU (which scans every
 *    label exactly once: settled == labels). A CH's downward graph has 1.6x the arcs or more
 *    (grid-20k), so PHAST could at best make the anchor's two k = 2 searches (0.8-1.0 CPU s
 *    of a 2.8 CPU s warm run) about 2-3x faster: some 0.5 CPU s, 0.25 s wall, not the 0.6 s
 *    wall the 0.25x goal needs on its own. */
#include <gdal.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include "gis/graph.h"
#include "gis/min_heap.h"
#include "gis/roads.h"
#include "gis/util.h"
#include "layers/layers.h"

typedef struct { uint32_t to; double w; } arc;
typedef struct { arc *a; uint32_t n, cap; } adj;

static void adj_del(adj *l, uint32_t to)
{
    for (uint32_t i = 0; i < l->n; i++)
        if (l->a[i].to == to) {
            l->a[i] = l->a[--l->n];
            return;
        }
}

static void adj_put(adj *l, uint32_t to, double w)
{
    for (uint32_t i = 0; i < l->n; i++)
        if (l->a[i].to == to) {
            if (w < l->a[i].w)
                l->a[i].w = w;
            return;
        }
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 4;
        l->a = pl_realloc(l->a, l->cap * sizeof *l->a);
    }
    l->a[l->n++] = (arc){to, w};
}

/* ---- contraction ---- */
typedef struct ch {
    uint32_t n;
    adj *out, *in;      /* remaining graph (search direction), contracted nodes skipped */
    uint8_t *done;
    uint32_t *rank;
    uint32_t *deleted_nb;
    /* witness search scratch */
    double *dist;
    uint32_t *touched;
    size_t nt;
    pl_min_heap H;
    int settle;
    uint64_t shortcuts;
} ch;

/* Witness search from u avoiding x: the distances to nodes within `limit`, settling at most
 * `settle` nodes (what is not found gets a shortcut: correct, maybe redundant). */
static void witness(ch *C, uint32_t u, uint32_t x, double limit)
{
    for (size_t i = 0; i < C->nt; i++)
        C->dist[C->touched[i]] = INFINITY;
    C->nt = 0;
    C->H.n = 0;
    C->dist[u] = 0;
    C->touched[C->nt++] = u;
    pl_heap_push(&C->H, 0, u);
    int settled = 0;
    while (C->H.n && settled < C->settle) {
        pl_heap_entry e = pl_heap_pop(&C->H);
        if (e.p > C->dist[e.v])
            continue;
        if (e.p > limit)
            break;
        settled++;
        adj *l = &C->out[e.v];
        for (uint32_t i = 0; i < l->n; i++) {
            uint32_t w = l->a[i].to;
            if (w == x || C->done[w])
                continue;
            double d = e.p + l->a[i].w;
            if (d < C->dist[w]) {
                if (C->dist[w] == INFINITY)
                    C->touched[C->nt++] = w;
                C->dist[w] = d;
                pl_heap_push(&C->H, d, w);
            }
        }
    }
}

/* Contracts x (apply=1) or counts the shortcuts it would need (apply=0). */
static int contract(ch *C, uint32_t x, int apply)
{
    int added = 0;
    adj *in = &C->in[x], *out = &C->out[x];
    for (uint32_t i = 0; i < in->n; i++) {
        uint32_t u = in->a[i].to;
        if (C->done[u])
            continue;
        double maxw = 0;
        for (uint32_t j = 0; j < out->n; j++)
            if (!C->done[out->a[j].to] && out->a[j].to != u && out->a[j].w > maxw)
                maxw = out->a[j].w;
        witness(C, u, x, in->a[i].w + maxw);
        for (uint32_t j = 0; j < out->n; j++) {
            uint32_t w = out->a[j].to;
            if (C->done[w] || w == u)
                continue;
            double via = in->a[i].w + out->a[j].w;
            if (C->dist[w] <= via)
                continue;
            added++;
            if (apply) {
                adj_put(&C->out[u], w, via);
                adj_put(&C->in[w], u, via);
            }
        }
    }
    return added;
}

static double priority(ch *C, uint32_t x)
{
    int deg = 0;
    for (uint32_t i = 0; i < C->in[x].n; i++)
        deg += !C->done[C->in[x].a[i].to];
    for (uint32_t i = 0; i < C->out[x].n; i++)
        deg += !C->done[C->out[x].a[i].to];
    return 2.0 * (contract(C, x, 0) - deg) + C->deleted_nb[x];
}

/* Long: the whole contraction loop of the probe in one place (lazy updates, neighbours). */
static void build(ch *C)
{
    pl_min_heap Q = {0};
    for (uint32_t v = 0; v < C->n; v++)
        pl_heap_push(&Q, priority(C, v), v);
    uint32_t next = 0;
    while (Q.n) {
        pl_heap_entry e = pl_heap_pop(&Q);
        if (C->done[e.v])
            continue;
        double p = priority(C, e.v);
        if (Q.n && p > Q.h[0].p) {
            pl_heap_push(&Q, p, e.v);
            continue;
        }
        uint32_t x = e.v;
        C->shortcuts += (uint64_t)contract(C, x, 1);
        C->done[x] = 1;
        C->rank[x] = next++;
        /* the remaining graph forgets x (its lists keep it, for the hierarchy) */
        for (uint32_t i = 0; i < C->in[x].n; i++)
            adj_del(&C->out[C->in[x].a[i].to], x);
        for (uint32_t i = 0; i < C->out[x].n; i++)
            adj_del(&C->in[C->out[x].a[i].to], x);
        /* neighbours: count */
        for (int side = 0; side < 2; side++) {
            adj *l = side ? &C->out[x] : &C->in[x];
            for (uint32_t i = 0; i < l->n; i++) {
                uint32_t y = l->a[i].to;
                if (C->done[y])
                    continue;
                C->deleted_nb[y]++; /* lazy: re-prioritised when popped */
            }
        }
        if ((next & 0xffff) == 0)
            fprintf(stderr, "  contracted %u of %u at %.1f s CPU, shortcuts %llu\n", next, C->n, pl_cpu_s(),
                    (unsigned long long)C->shortcuts);
    }
    free(Q.h);
}

/* ---- PHAST: upward graph (arcs to higher rank) and downward arcs grouped by head ---- */
typedef struct phast {
    uint32_t n;
    uint32_t *order;            /* sweep position -> node (descending rank) */
    uint32_t *pos;              /* node -> sweep position */
    uint32_t *up_begin;         /* by node: arcs to higher-ranked nodes */
    arc *up;
    uint32_t *dn_begin;         /* by sweep position: arcs from higher-ranked nodes, tails as positions */
    arc *dn;
} phast;

static void phast_make(const ch *C, phast *P)
{
    uint32_t n = C->n;
    P->n = n;
    P->order = pl_malloc(n * sizeof *P->order);
    P->pos = pl_malloc(n * sizeof *P->pos);
    for (uint32_t v = 0; v < n; v++) {
        P->pos[v] = n - 1 - C->rank[v];
        P->order[n - 1 - C->rank[v]] = v;
    }
    P->up_begin = pl_calloc(n + 1, sizeof *P->up_begin);
    P->dn_begin = pl_calloc(n + 1, sizeof *P->dn_begin);
    /* after the contraction out[v] holds v's arcs to higher ranks, in[v] the arcs into v
     * from higher ranks */
    for (uint32_t v = 0; v < n; v++) {
        P->up_begin[v + 1] = C->out[v].n;
        P->dn_begin[P->pos[v] + 1] = C->in[v].n;
    }
    for (uint32_t v = 0; v < n; v++) {
        P->up_begin[v + 1] += P->up_begin[v];
        P->dn_begin[v + 1] += P->dn_begin[v];
    }
    P->up = pl_malloc((P->up_begin[n] + 1) * sizeof *P->up);
    P->dn = pl_malloc((P->dn_begin[n] + 1) * sizeof *P->dn);
    uint32_t *fu = pl_malloc(n * sizeof *fu), *fd = pl_malloc(n * sizeof *fd);
    memcpy(fu, P->up_begin, n * sizeof *fu);
    memcpy(fd, P->dn_begin, n * sizeof *fd);
    for (uint32_t v = 0; v < n; v++) {
        for (uint32_t i = 0; i < C->out[v].n; i++)
            P->up[fu[v]++] = C->out[v].a[i];
        for (uint32_t i = 0; i < C->in[v].n; i++)
            P->dn[fd[P->pos[v]]++] = (arc){P->pos[C->in[v].a[i].to], C->in[v].a[i].w};
    }
    free(fu);
    free(fd);
}

/* d by sweep position: upward Dijkstra from the sources, then one pass in descending rank. */
static void phast_run(const phast *P, const uint32_t *src, uint32_t ns, double *d, pl_min_heap *H)
{
    for (uint32_t i = 0; i < P->n; i++)
        d[i] = INFINITY;
    H->n = 0;
    for (uint32_t i = 0; i < ns; i++) {
        d[P->pos[src[i]]] = 0;
        pl_heap_push(H, 0, src[i]);
    }
    while (H->n) {
        pl_heap_entry e = pl_heap_pop(H);
        if (e.p > d[P->pos[e.v]])
            continue;
        for (uint32_t a = P->up_begin[e.v]; a < P->up_begin[e.v + 1]; a++) {
            uint32_t w = P->up[a].to;
            double nd = e.p + P->up[a].w;
            if (nd < d[P->pos[w]]) {
                d[P->pos[w]] = nd;
                pl_heap_push(H, nd, w);
            }
        }
    }
    for (uint32_t i = 0; i < P->n; i++) {
        double best = d[i];
        for (uint32_t a = P->dn_begin[i]; a < P->dn_begin[i + 1]; a++) {
            double nd = d[P->dn[a].to] + P->dn[a].w;
            if (nd < best)
                best = nd;
        }
        d[i] = best;
    }
}

/* The reference: plain multi-source Dijkstra over the reverse arcs. */
static void dijkstra(const pl_graph *g, const uint32_t *src, uint32_t ns, int M, double *d, pl_min_heap *H)
{
    for (uint32_t i = 0; i < g->n_nodes; i++)
        d[i] = INFINITY;
    H->n = 0;
    for (uint32_t i = 0; i < ns; i++) {
        d[src[i]] = 0;
        pl_heap_push(H, 0, src[i]);
    }
    while (H->n) {
        pl_heap_entry e = pl_heap_pop(H);
        if (e.p > d[e.v])
            continue;
        for (uint32_t a = g->in_begin[e.v]; a < g->in_begin[e.v + 1]; a++) {
            const pl_rev_arc *r = &g->in_arc[a];
            double nd = e.p + (M == PL_METRIC_DISTANCE ? r->len_m : r->time_s);
            if (nd < d[r->tail]) {
                d[r->tail] = nd;
                pl_heap_push(H, nd, r->tail);
            }
        }
    }
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next_u64(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static pl_snap node_snap(uint32_t v)
{
    pl_snap s = {0};
    s.node_a = s.node_b = v;
    s.to_a = s.to_b = s.from_a = s.from_b = 1;
    s.edge = UINT32_MAX;
    return s;
}

/* What a PHAST sweep could cost at best here: one pass over the graph's own reverse arcs in
 * node (Hilbert) order, d[tail] = min(d[tail], d[v] + w), k = 1 and k = 2 labels, timed
 * beside pl_graph_nearest_k at k = 1 and 2 with the same sources and targets. A CH's
 * downward graph has more arcs than the graph (the factor is printed by a build). */
static void sweep_floor(pl_ctx *ctx, const pl_graph *g, int M, uint32_t ns, uint32_t nt, int runs)
{
    uint32_t n = g->n_nodes;
    pl_snap *ss = pl_malloc(ns * sizeof *ss);
    for (uint32_t i = 0; i < ns; i++)
        ss[i] = node_snap((uint32_t)(next_u64() % n));
    pl_snap *ts = pl_malloc((size_t)nt * sizeof *ts);
    for (uint32_t i = 0; i < nt; i++)
        ts[i] = node_snap((uint32_t)(next_u64() % n));
    pl_label *lab = pl_malloc((size_t)nt * 2 * sizeof *lab);
    typedef struct { double p, q; uint32_t src, pad; } lab2;
    lab2 *d = pl_malloc((size_t)n * 2 * sizeof *d);
    pl_search_work *work = pl_search_work_new();
    pl_error err = {0};
    for (int run = 0; run < runs; run++) {
        for (int k = 1; k <= 2; k++) {
            pl_search_stats st = {0};
            pl_search_opts so = {.metric = M, .k = k, .cutoff = INFINITY, .work = work, .stats = &st};
            double w0 = pl_now_s(), u0 = pl_cpu_s();
            pl_graph_nearest_k(ctx, g, ss, ns, ts, nt, &so, lab, &err);
            double w1 = pl_now_s(), u1 = pl_cpu_s();
            for (uint32_t v = 0; v < n; v++)
                for (int j = 0; j < k; j++)
                    d[(size_t)v * k + j] = (lab2){INFINITY, INFINITY, UINT32_MAX, 0};
            for (uint32_t v = 0; v < n; v++) {
                const lab2 *dv = &d[(size_t)v * k];
                for (uint32_t a = g->in_begin[v]; a < g->in_begin[v + 1]; a++) {
                    const pl_rev_arc *r = &g->in_arc[a];
                    double wp = M == PL_METRIC_DISTANCE ? r->len_m : r->time_s;
                    double wq = M == PL_METRIC_DISTANCE ? r->time_s : r->len_m;
                    lab2 *dt = &d[(size_t)r->tail * k];
                    for (int j = 0; j < k; j++) {
                        double np = dv[j].p + wp;
                        if (np < dt[k - 1].p || (np == dt[k - 1].p && dv[j].src < dt[k - 1].src))
                            dt[k - 1] = (lab2){np, dv[j].q + wq, dv[j].src, 0};
                    }
                }
            }
            double g0 = 0;
            for (uint32_t i = 0; i < nt; i++)
                g0 += d[(size_t)ts[i].node_a * k].p;
            double w2 = pl_now_s(), u2 = pl_cpu_s();
            printf("  stats: settled %llu labels %llu relaxed %llu pushes %llu decreases %llu\n",
                   (unsigned long long)st.settled, (unsigned long long)st.labels, (unsigned long long)st.relaxed,
                   (unsigned long long)st.heap_pushes, (unsigned long long)st.decreases);
            printf("run %d k=%d: nearest_k %.3f s wall %.3f CPU; one pass over the arcs + gather %.3f s wall %.3f "
                   "CPU (%g)\n", run, k, w1 - w0, u1 - u0, w2 - w1, u2 - u1, g0 * 0);
        }
    }
    pl_search_work_free(work);
}

static long peak_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* Long: argument parsing, the load, the build and the timed comparisons of the probe. */
int main(int argc, char **argv)
{
    const char *roads_spec = NULL;
    int M = PL_METRIC_DISTANCE, settle = 100, runs = 3, no_ch = 0;
    uint32_t ns = 3000, nt = 600000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--roads") && i + 1 < argc)
            roads_spec = argv[++i];
        else if (!strcmp(argv[i], "--metric") && i + 1 < argc)
            M = !strcmp(argv[++i], "time") ? PL_METRIC_TIME : PL_METRIC_DISTANCE;
        else if (!strcmp(argv[i], "--sources") && i + 1 < argc)
            ns = (uint32_t)atol(argv[++i]);
        else if (!strcmp(argv[i], "--targets") && i + 1 < argc)
            nt = (uint32_t)atol(argv[++i]);
        else if (!strcmp(argv[i], "--settle") && i + 1 < argc)
            settle = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-ch"))
            no_ch = 1;
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            rng = strtoull(argv[++i], NULL, 10) | 1;
        else {
            fprintf(stderr, "usage: bench_ch --roads FILE[:LAYER] [--metric distance|time] [--sources N] "
                            "[--targets N] [--settle N] [--seed S] [--no-ch] [--runs N]\n");
            return 1;
        }
    }
    if (!roads_spec) {
        fprintf(stderr, "bench_ch: --roads is required\n");
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    GDALAllRegister();
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};
    pl_roads *r = pl_roads_load(ctx, roads_spec, NULL, &err);
    if (!r) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    pl_graph_opts go;
    pl_graph_opts_default(&go);
    pl_graph *g = pl_graph_build(ctx, r, &go, &err);
    if (!g) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    uint32_t n = g->n_nodes;
    printf("graph: %u nodes, %u arcs; metric %s; settle limit %d\n", n, g->n_arcs,
           M == PL_METRIC_DISTANCE ? "distance" : "time", settle);

    if (no_ch) {
        sweep_floor(ctx, g, M, ns, nt, runs);
        return 0;
    }
    ch C = {0};
    C.n = n;
    C.settle = settle;
    C.out = pl_calloc(n, sizeof *C.out);
    C.in = pl_calloc(n, sizeof *C.in);
    C.done = pl_calloc(n, 1);
    C.rank = pl_malloc(n * sizeof *C.rank);
    C.deleted_nb = pl_calloc(n, sizeof *C.deleted_nb);
    C.dist = pl_malloc(n * sizeof *C.dist);
    C.touched = pl_malloc(n * sizeof *C.touched);
    for (uint32_t i = 0; i < n; i++)
        C.dist[i] = INFINITY;
    /* search direction: u -> tail for each reverse arc of u */
    for (uint32_t u = 0; u < n; u++)
        for (uint32_t a = g->in_begin[u]; a < g->in_begin[u + 1]; a++) {
            const pl_rev_arc *ra = &g->in_arc[a];
            double w = M == PL_METRIC_DISTANCE ? ra->len_m : ra->time_s;
            if (ra->tail == u)
                continue;
            adj_put(&C.out[u], ra->tail, w);
            adj_put(&C.in[ra->tail], u, w);
        }
    double t0 = pl_now_s(), c0 = pl_cpu_s();
    build(&C);
    double tb = pl_now_s() - t0, cb = pl_cpu_s() - c0;
    phast P = {0};
    phast_make(&C, &P);
    printf("CH build: %.1f s wall, %.1f s CPU; %llu shortcuts (%.2f per arc); up arcs %u, down arcs %u; peak %ld MB\n",
           tb, cb, (unsigned long long)C.shortcuts, (double)C.shortcuts / g->n_arcs, P.up_begin[n], P.dn_begin[n],
           peak_kb() / 1024);

    uint32_t *src = pl_malloc(ns * sizeof *src);
    pl_snap *ss = pl_malloc(ns * sizeof *ss);
    for (uint32_t i = 0; i < ns; i++) {
        src[i] = (uint32_t)(next_u64() % n);
        ss[i] = node_snap(src[i]);
    }
    pl_snap *ts = pl_malloc((size_t)nt * sizeof *ts);
    for (uint32_t i = 0; i < nt; i++)
        ts[i] = node_snap((uint32_t)(next_u64() % n));
    pl_label *lab = pl_malloc((size_t)nt * sizeof *lab);
    double *d = pl_malloc(n * sizeof *d), *ref = pl_malloc(n * sizeof *ref);
    pl_min_heap H = {0};
    dijkstra(g, src, ns, M, ref, &H);
    phast_run(&P, src, ns, d, &H);
    uint32_t bad = 0;
    for (uint32_t v = 0; v < n; v++)
        bad += !(d[P.pos[v]] == ref[v] || (isinf(ref[v]) && isinf(d[P.pos[v]])));
    printf("PHAST vs Dijkstra: %u of %u nodes differ\n", bad, n);
    pl_search_work *work = pl_search_work_new();
    pl_search_opts so = {.metric = M, .k = 1, .cutoff = INFINITY, .work = work};
    for (int run = 0; run < runs; run++) {
        double w0 = pl_now_s(), u0 = pl_cpu_s();
        pl_graph_nearest_k(ctx, g, ss, ns, ts, nt, &so, lab, &err);
        double w1 = pl_now_s(), u1 = pl_cpu_s();
        phast_run(&P, src, ns, d, &H);
        double g0 = 0;
        for (uint32_t i = 0; i < nt; i++)
            g0 += d[P.pos[ts[i].node_a]];
        double w2 = pl_now_s(), u2 = pl_cpu_s();
        printf("run %d: nearest_k k=1 %.3f s wall %.3f CPU; PHAST k=1 + gather %.3f s wall %.3f CPU (%g)\n", run,
               w1 - w0, u1 - u0, w2 - w1, u2 - u1, g0 * 0);
    }
    printf("peak %ld MB\n", peak_kb() / 1024);
    return 0;
}
