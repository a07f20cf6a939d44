/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Multi-source k-nearest search (k labels per node, bucketed label-correcting with
 * software-pipelined batches) and single-source one-to-many (Dijkstra). See graph.h. */
#include "graph.h"
#include "graph_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The engine is label-correcting over buckets of width delta (of the metric): nodes whose
 * best unscanned label falls in the current bucket are scanned in batches, in any order,
 * and a node is scanned again if a later scan in the same bucket improves it. Because
 * every arc costs strictly more than zero (graph build), the k best distinct labels of a
 * node are the unique fixed point of "the k best of its own seeds and its neighbours'
 * labels plus the arc", so the result equals the Dijkstra label-setting result exactly,
 * ties included (a node keeps, per source, the lexicographically smallest (metric, other)
 * and, across sources, the k smallest (metric, source index)). Batches let the scans be
 * software-pipelined: the node slots, arc lists and neighbours' slots of the nodes a few
 * places ahead are prefetched, so several memory misses are in flight at once instead of
 * the one-at-a-time misses of a heap-ordered Dijkstra over a graph much larger than the
 * caches. Measured in bench_routing on the 2 M node workload, same machine and load, CPU
 * seconds k=1 / k=2: lazy 4-ary heap with prefetching 1.17 / 2.64, radix heap 1.25 / 2.65,
 * this engine 0.25 / 0.62. */

/* Label slots: k per node. */
enum { ST_FREE = 0, ST_NEW = 1, ST_SCANNED = 2 };

typedef struct item {
    double p, q;  /* primary metric, the other measure */
    uint32_t src;
    uint32_t state;
} item;

/* Bytes per node: k slots padded so a node's slots share one cache line for k <= 2. */
#define STRIDE(K) ((K) == 1 ? 32 : (K) == 2 ? 64 : 72)
#define NB 4096u /* buckets in the circular calendar */

typedef struct nodevec {
    uint32_t *v;
    size_t n, cap;
} nodevec;

typedef struct search {
    item *items;
    nodevec bucket[NB];
    nodevec overflow;     /* nodes beyond the calendar window */
    uint64_t cur;         /* absolute index of the current bucket */
    uint64_t overflow_min;
    size_t pending;       /* entries in buckets and overflow */
    double inv_delta;
    pl_search_stats st;
    const pl_graph *g;    /* for echo_of_seed, on ties only */
    const pl_snap *sources;
    int metric;
} search;

struct pl_search_work {
    search S;           /* its bucket vectors keep their capacity between searches */
    void *items;
    size_t items_bytes;
};

pl_search_work *pl_search_work_new(void)
{
    return pl_calloc(1, sizeof(pl_search_work));
}

static void free_buckets(search *S)
{
    for (unsigned i = 0; i < NB; i++)
        free(S->bucket[i].v);
    free(S->overflow.v);
}

void pl_search_work_free(pl_search_work *w)
{
    if (!w)
        return;
    free_buckets(&w->S);
    free(w->items);
    free(w);
}

static inline void vec_push(nodevec *v, uint32_t x)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? 2 * v->cap : 256;
        v->v = pl_realloc(v->v, v->cap * sizeof *v->v);
    }
    v->v[v->n++] = x;
}

static inline uint64_t bucket_index(const search *S, double p)
{
    double b = p * S->inv_delta;
    uint64_t i = b < 1.8e19 ? (uint64_t)b : UINT64_MAX / 2;
    return i < S->cur ? S->cur : i;
}

static inline void schedule(search *S, uint32_t u, double p)
{
    uint64_t i = bucket_index(S, p);
    if (i < S->cur + NB) {
        vec_push(&S->bucket[i % NB], u);
    } else {
        vec_push(&S->overflow, u);
        if (i < S->overflow_min)
            S->overflow_min = i;
    }
    S->pending++;
    S->st.heap_pushes++;
}

static inline item *node_items(const search *S, uint32_t u, const int K)
{
    return (item *)((char *)S->items + (size_t)u * STRIDE(K));
}

static int same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

/* Whether a tie (see offer) is the seed of source src at node v met again along src's own
 * edge: src sits exactly at node `from` (none of its edge between it and `from`), the label
 * scanned at `from` is src's seed there (no other way to `from` costs that little: any adds
 * an arc), and the one arc from v to `from` is src's edge, costing what the seed at v counts
 * for it. The offer is then that seed, other measure included, in this search and in any
 * other on the same arcs and places whose other measure differs (a place at an end node has
 * none of its edge's cost to that end and all of it to the other: graph_snap.c), and v's
 * label of src, at most that seed, is not improved: the tie changes nothing in either. */
static __attribute__((noinline, cold)) int echo_of_seed(const search *S, int K, uint32_t v, uint32_t src,
                                                         uint32_t from)
{
    if (from == UINT32_MAX || !S->sources)
        return 0;
    const pl_snap *s = &S->sources[src];
    int M = S->metric;
    if (s->node_a == s->node_b || !((s->node_a == from && s->node_b == v) || (s->node_b == from && s->node_a == v)))
        return 0;
    int near = s->node_b == from, far = !near;
    if (pl_snap_part_p(s, near, M) != 0 || pl_snap_part_q(s, near, M) != 0 || !(far ? s->from_b : s->from_a))
        return 0;
    double acc_p = pl_snap_access_p(s, M), acc_q = pl_snap_access_q(s, M);
    const item *it = (const item *)((const char *)S->items + (size_t)from * STRIDE(K));
    int seeded = 0;
    for (int j = 0; j < K; j++)
        seeded |= it[j].state != ST_FREE && it[j].src == src &&
                  same_bits(it[j].p, acc_p + pl_snap_part_p(s, near, M)) &&
                  same_bits(it[j].q, acc_q + pl_snap_part_q(s, near, M));
    const pl_rev_arc *one = NULL;
    for (uint32_t a = S->g->in_begin[from]; seeded && a < S->g->in_begin[from + 1]; a++)
        if (S->g->in_arc[a].tail == v) {
            if (one)
                return 0;
            one = &S->g->in_arc[a];
        }
    if (!one)
        return 0;
    double arc_p = M == PL_METRIC_DISTANCE ? one->len_m : one->time_s;
    double arc_q = M == PL_METRIC_DISTANCE ? one->time_s : one->len_m;
    return same_bits(arc_p, pl_snap_part_p(s, far, M)) && same_bits(arc_q, pl_snap_part_q(s, far, M));
}

/* Offers label (src, p, q) to node u, from a scan of node `from` (UINT32_MAX: a seed). K is a
 * compile-time constant in each instance. */
static inline __attribute__((always_inline)) void offer(search *S, const int K, uint32_t u, uint32_t src, double p,
                                                         double q, uint32_t from)
{
    item *it = node_items(S, u, K);
    int free_slot = -1, worst = -1;
    for (int j = 0; j < K; j++) {
        uint32_t st = it[j].state;
        if (st == ST_FREE) {
            if (free_slot < 0)
                free_slot = j;
            continue;
        }
        if (it[j].src == src) {
            /* A tie with a scanned label: only here does the other measure steer the search
             * (a better q is scanned again). Counted unless it is a seed's echo. */
            if (p == it[j].p && st == ST_SCANNED) {
                int echo = echo_of_seed(S, K, u, src, from);
                S->st.ties += !echo;
                S->st.echoes += echo;
            }
            if (p < it[j].p || (p == it[j].p && q < it[j].q)) {
                int moved = p < it[j].p;
                it[j].p = p;
                it[j].q = q;
                S->st.decreases++;
                /* A new p needs an entry at its bucket; a better q alone does too once
                 * the label was scanned (its old entry is spent). */
                if (st == ST_SCANNED || moved)
                    schedule(S, u, p);
                it[j].state = ST_NEW;
            }
            return;
        }
        if (worst < 0 || it[j].p > it[worst].p || (it[j].p == it[worst].p && it[j].src > it[worst].src))
            worst = j;
    }
    item *t;
    if (free_slot >= 0) {
        t = &it[free_slot];
    } else {
        t = &it[worst];
        if (!(p < t->p || (p == t->p && src < t->src)))
            return;
    }
    t->p = p;
    t->q = q;
    t->src = src;
    t->state = ST_NEW;
    schedule(S, u, p);
}

/* Scans node u's unscanned labels of the current bucket or earlier. */
static inline __attribute__((always_inline)) void scan(search *S, const pl_graph *g, const int K, const int M,
                                                        uint32_t u, double limit, double cutoff)
{
    const uint32_t *in_begin = g->in_begin;
    const pl_rev_arc *in_arc = g->in_arc;
    item *it = node_items(S, u, K);
    for (int j = 0; j < K; j++) {
        if (it[j].state != ST_NEW || !(it[j].p < limit))
            continue;
        it[j].state = ST_SCANNED;
        S->st.settled++;
        double p = it[j].p, q = it[j].q;
        uint32_t src = it[j].src;
        uint32_t b = in_begin[u], e = in_begin[u + 1];
        S->st.relaxed += e - b;
        for (uint32_t a = b; a < e; a++) {
            const pl_rev_arc *arc = &in_arc[a];
            double np = p + (M == PL_METRIC_DISTANCE ? arc->len_m : arc->time_s);
            if (np > cutoff)
                continue;
            double nq = q + (M == PL_METRIC_DISTANCE ? arc->time_s : arc->len_m);
            offer(S, K, arc->tail, src, np, nq, u);
        }
    }
}

#define PF_DIST 16

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Sorts v[0..n) and drops repeats; returns the new length. */
static size_t unique_nodes(uint32_t *v, size_t n)
{
    if (n < 2)
        return n;
    qsort(v, n, sizeof *v, cmp_u32);
    size_t m = 1;
    for (size_t i = 1; i < n; i++)
        if (v[i] != v[m - 1])
            v[m++] = v[i];
    return m;
}

static inline __attribute__((always_inline)) void run(search *S, const pl_graph *g, const int K, const int M,
                                                       double cutoff, nodevec *work)
{
    const uint32_t *in_begin = g->in_begin;
    const pl_rev_arc *in_arc = g->in_arc;
    const double delta = 1.0 / S->inv_delta;
    while (S->pending > 0) {
        nodevec *bk = &S->bucket[S->cur % NB];
        if (bk->n == 0) {
            S->cur++;
            if (S->overflow.n && S->pending == S->overflow.n && S->overflow_min > S->cur)
                S->cur = S->overflow_min; /* nothing nearer: jump to the overflow */
            if (S->overflow.n && S->overflow_min < S->cur + NB) {
                /* The window reached the overflow: bring in what now fits. */
                nodevec ov = S->overflow;
                S->overflow = (nodevec){0};
                S->overflow_min = UINT64_MAX;
                S->pending -= ov.n;
                /* Once per node: a node is in the overflow once per label it was offered
                 * there, and rescheduling every copy for each of its labels multiplied the
                 * copies on every pass (far sources: 1.7 GB on a county graph of 100,000
                 * nodes). Each new label gets one entry; the answers do not depend on it. */
                ov.n = unique_nodes(ov.v, ov.n);
                for (size_t i = 0; i < ov.n; i++) {
                    item *it = node_items(S, ov.v[i], K);
                    for (int j = 0; j < K; j++)
                        if (it[j].state == ST_NEW)
                            schedule(S, ov.v[i], it[j].p);
                }
                free(ov.v);
            }
            continue;
        }
        /* Take the whole bucket as a batch; scans may refill it (short arcs). */
        nodevec tmp = *work;
        *work = *bk;
        *bk = tmp;
        bk->n = 0;
        S->pending -= work->n;
        double limit = (double)(S->cur + 1) * delta;
        uint32_t *v = work->v;
        size_t n = work->n;
        for (size_t i = 0; i < n; i++) {
            /* Pipeline: slots and arc offsets 16 ahead, arcs 8 ahead, neighbours 4 ahead. */
            if (i + PF_DIST < n) {
                __builtin_prefetch(node_items(S, v[i + PF_DIST], K));
                __builtin_prefetch(&in_begin[v[i + PF_DIST]]);
            }
            if (i + PF_DIST / 2 < n)
                __builtin_prefetch(&in_arc[in_begin[v[i + PF_DIST / 2]]]);
            if (i + PF_DIST / 4 < n) {
                uint32_t w = v[i + PF_DIST / 4];
                for (uint32_t a = in_begin[w], e = in_begin[w + 1]; a < e; a++)
                    __builtin_prefetch(node_items(S, in_arc[a].tail, K));
            }
            scan(S, g, K, M, v[i], limit, cutoff);
        }
    }
}

/* Bucket width: half the median arc cost in the metric (sampled), so most arcs leave the
 * bucket they start in and few nodes are scanned twice. */
static double pick_delta(const pl_graph *g, int M)
{
    uint32_t n = g->n_arcs, m = n < 2048 ? n : 2048;
    if (m == 0)
        return 1.0;
    float *s = pl_malloc(m * sizeof *s);
    for (uint32_t i = 0; i < m; i++) {
        const pl_rev_arc *a = &g->in_arc[(uint64_t)i * n / m];
        s[i] = M == PL_METRIC_DISTANCE ? a->len_m : a->time_s;
    }
    /* median by partial selection sort on a small sample */
    for (uint32_t i = 0; i <= m / 2; i++) {
        uint32_t mi = i;
        for (uint32_t j = i + 1; j < m; j++)
            if (s[j] < s[mi])
                mi = j;
        float t = s[i];
        s[i] = s[mi];
        s[mi] = t;
    }
    double d = 0.5 * s[m / 2];
    free(s);
    return d > 1e-3 ? d : 1e-3;
}

static void seed_and_run(search *S, const pl_graph *g, int K, int M, const pl_snap *sources, uint32_t n_sources,
                         double cutoff)
{
    S->inv_delta = 1.0 / pick_delta(g, M);
    S->overflow_min = UINT64_MAX;
    /* Start the calendar at the smallest seed. */
    double pmin = INFINITY;
    for (uint32_t i = 0; i < n_sources; i++) {
        const pl_snap *s = &sources[i];
        if (s->status == PL_SNAP_NONE)
            continue;
        double acc = pl_snap_access_p(s, M);
        if (acc < pmin)
            pmin = acc;
    }
    S->cur = isfinite(pmin) ? (uint64_t)(pmin * S->inv_delta) : 0;
    for (uint32_t i = 0; i < n_sources; i++) {
        const pl_snap *s = &sources[i];
        if (!pl_snap_usable(g, s))
            continue;
        double acc_p = pl_snap_access_p(s, M);
        double acc_q = pl_snap_access_q(s, M);
        for (int end = 0; end < 2; end++) {
            if (!(end ? s->from_b : s->from_a))
                continue;
            uint32_t v = end ? s->node_b : s->node_a;
            double p = acc_p + pl_snap_part_p(s, end, M);
            double q = acc_q + pl_snap_part_q(s, end, M);
            if (!(p <= cutoff))
                continue;
            switch (K) {
            case 1: offer(S, 1, v, i, p, q, UINT32_MAX); break;
            case 2: offer(S, 2, v, i, p, q, UINT32_MAX); break;
            default: offer(S, 3, v, i, p, q, UINT32_MAX); break;
            }
        }
    }
    nodevec work = {0};
    if (M == PL_METRIC_DISTANCE) {
        switch (K) {
        case 1: run(S, g, 1, PL_METRIC_DISTANCE, cutoff, &work); break;
        case 2: run(S, g, 2, PL_METRIC_DISTANCE, cutoff, &work); break;
        default: run(S, g, 3, PL_METRIC_DISTANCE, cutoff, &work); break;
        }
    } else {
        switch (K) {
        case 1: run(S, g, 1, PL_METRIC_TIME, cutoff, &work); break;
        case 2: run(S, g, 2, PL_METRIC_TIME, cutoff, &work); break;
        default: run(S, g, 3, PL_METRIC_TIME, cutoff, &work); break;
        }
    }
    free(work.v);
}

/* ---------- combining at the targets ---------- */

typedef struct cand {
    double p, q;
    uint32_t src;
} cand;

/* Keeps the best k distinct sources by (p, src), each with its best (p, q). */
static void cand_offer(cand *best, int *nb, int k, uint32_t src, double p, double q, double cutoff)
{
    if (!(p <= cutoff))
        return;
    for (int i = 0; i < *nb; i++)
        if (best[i].src == src) {
            if (p < best[i].p || (p == best[i].p && q < best[i].q)) {
                best[i].p = p;
                best[i].q = q;
                /* move up */
                while (i > 0 && (best[i].p < best[i - 1].p || (best[i].p == best[i - 1].p && best[i].src < best[i - 1].src))) {
                    cand t = best[i];
                    best[i] = best[i - 1];
                    best[i - 1] = t;
                    i--;
                }
            }
            return;
        }
    int i = *nb;
    if (i == k) {
        cand *w = &best[k - 1];
        if (!(p < w->p || (p == w->p && src < w->src)))
            return;
        i = k - 1;
    } else {
        (*nb)++;
    }
    best[i] = (cand){p, q, src};
    while (i > 0 && (best[i].p < best[i - 1].p || (best[i].p == best[i - 1].p && best[i].src < best[i - 1].src))) {
        cand t = best[i];
        best[i] = best[i - 1];
        best[i - 1] = t;
        i--;
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int pl_graph_nearest_k(pl_ctx *ctx, const pl_graph *g, const pl_snap *sources, uint32_t n_sources,
                       const pl_snap *targets, size_t n_targets, const pl_search_opts *opts, pl_label *out,
                       pl_error *err)
{
    if (!g || !opts)
        return pl_error_set(err, PL_EINTERNAL, "pl_graph_nearest_k: no graph or options");
    int K = opts->k;
    if (K < 1 || K > 3)
        return pl_error_set(err, PL_EINPUT, "k = %d: the search finds 1 to 3 nearest services", K);
    int M = opts->metric == PL_METRIC_TIME ? PL_METRIC_TIME : PL_METRIC_DISTANCE;
    double cutoff = opts->cutoff > 0 ? opts->cutoff : INFINITY; /* NaN and 0 too: none */
    pl_progress(ctx, 0.0, "searching");

    pl_search_work *own = opts->work ? NULL : pl_search_work_new();
    pl_search_work *w = opts->work ? opts->work : own;
    size_t items_bytes = (g->n_nodes ? g->n_nodes : 1) * (size_t)STRIDE(K);
    if (w->items_bytes < items_bytes) {
        free(w->items);
        w->items = pl_big_alloc(items_bytes);
        w->items_bytes = items_bytes;
    }
    memset(w->items, 0, items_bytes); /* all ST_FREE */
    search S = w->S;                  /* a copy on the stack: the hot fields stay local */
    for (unsigned i = 0; i < NB; i++)
        S.bucket[i].n = 0;
    S.overflow.n = 0;
    S.pending = 0;
    memset(&S.st, 0, sizeof S.st);
    S.items = w->items;
    S.g = g;
    S.sources = sources;
    S.metric = M;
    seed_and_run(&S, g, K, M, sources, n_sources, cutoff);
    pl_progress(ctx, 0.8, "searching");

    /* Sources by edge, for targets on the same edge. */
    uint64_t *by_edge = pl_malloc((n_sources ? n_sources : 1) * sizeof *by_edge);
    uint32_t nbe = 0;
    for (uint32_t i = 0; i < n_sources; i++)
        if (sources[i].status != PL_SNAP_NONE && sources[i].edge != PL_NONE)
            by_edge[nbe++] = ((uint64_t)sources[i].edge << 32) | i;
    qsort(by_edge, nbe, sizeof *by_edge, cmp_u64);

    for (size_t t = 0; t < n_targets; t++) {
        const pl_snap *T = &targets[t];
        /* Targets are in any order: fetch the slots of the ones a few places ahead so their
         * misses overlap (this gather was a quarter of a k=1 search on 2 M nodes). */
        if (t + PF_DIST < n_targets) {
            const pl_snap *ahead = &targets[t + PF_DIST];
            if (ahead->node_a < g->n_nodes)
                __builtin_prefetch(node_items(&S, ahead->node_a, K));
            if (ahead->node_b < g->n_nodes)
                __builtin_prefetch(node_items(&S, ahead->node_b, K));
        }
        cand best[3];
        int nb = 0;
        if (pl_snap_usable(g, T)) {
            double acc_p = pl_snap_access_p(T, M);
            double acc_q = pl_snap_access_q(T, M);
            for (int end = 0; end < 2; end++) {
                if (!(end ? T->to_b : T->to_a))
                    continue;
                uint32_t v = end ? T->node_b : T->node_a;
                double pp = pl_snap_part_p(T, end, M);
                double pq = pl_snap_part_q(T, end, M);
                const item *it = (const item *)((const char *)S.items + (size_t)v * STRIDE(K));
                for (int j = 0; j < K; j++)
                    if (it[j].state != ST_FREE)
                        cand_offer(best, &nb, K, it[j].src, (it[j].p + pp) + acc_p, (it[j].q + pq) + acc_q, cutoff);
            }
            /* Sources on the target's own edge. */
            uint64_t key = (uint64_t)T->edge << 32;
            size_t lo = 0, hi = nbe;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (by_edge[mid] < key)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            for (size_t i = lo; i < nbe && (by_edge[i] >> 32) == T->edge; i++) {
                uint32_t si = (uint32_t)by_edge[i];
                double p, q;
                const pl_snap *src = &sources[si];
                if (pl_snap_along_edge(T, src, M, &p, &q)) {
                    double sp = pl_snap_access_p(src, M);
                    double sq = pl_snap_access_q(src, M);
                    cand_offer(best, &nb, K, si, (sp + p) + acc_p, (sq + q) + acc_q, cutoff);
                }
            }
        }
        pl_label *o = &out[t * (size_t)K];
        for (int j = 0; j < K; j++) {
            if (j < nb) {
                o[j].source = best[j].src;
                o[j].dist_m = M == PL_METRIC_DISTANCE ? best[j].p : best[j].q;
                o[j].time_s = M == PL_METRIC_DISTANCE ? best[j].q : best[j].p;
            } else {
                o[j].source = UINT32_MAX;
                o[j].dist_m = INFINITY;
                o[j].time_s = INFINITY;
            }
        }
    }
    if (opts->ties)
        *opts->ties = S.st.ties;
    if (opts->stats) {
        uint64_t labels = 0;
        for (uint32_t v = 0; v < g->n_nodes; v++) {
            const item *it = (const item *)((const char *)S.items + (size_t)v * STRIDE(K));
            for (int j = 0; j < K; j++)
                labels += it[j].state != ST_FREE;
        }
        S.st.labels = labels;
        *opts->stats = S.st;
    }
    free(by_edge);
    w->S = S; /* the bucket vectors, grown or not */
    pl_search_work_free(own);
    pl_progress(ctx, 1.0, "searching");
    return PL_OK;
}

/* ---------- one-to-many (forward, single source, lazy binary heap) ---------- */

typedef struct lent {
    double p;
    uint32_t v;
} lent;

static void lpush(lent **h, size_t *n, size_t *cap, double p, uint32_t v)
{
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 1024;
        *h = pl_realloc(*h, *cap * sizeof **h);
    }
    size_t i = (*n)++;
    while (i > 0 && (*h)[(i - 1) / 2].p > p) {
        (*h)[i] = (*h)[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    (*h)[i] = (lent){p, v};
}

static lent lpop(lent *h, size_t *n)
{
    lent top = h[0], last = h[--(*n)];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && h[c + 1].p < h[c].p)
            c++;
        if (!(h[c].p < last.p))
            break;
        h[i] = h[c];
        i = c;
    }
    if (*n)
        h[i] = last;
    return top;
}

int pl_graph_one_to_many(pl_ctx *ctx, const pl_graph *g, const pl_snap *from, const pl_snap *to, size_t n_to,
                         pl_metric metric, pl_label *out, pl_error *err)
{
    (void)ctx;
    if (!g || !from)
        return pl_error_set(err, PL_EINTERNAL, "pl_graph_one_to_many: no graph or place");
    int M = metric == PL_METRIC_TIME ? PL_METRIC_TIME : PL_METRIC_DISTANCE;
    uint32_t n = g->n_nodes;
    double *dp = pl_malloc((n ? n : 1) * sizeof *dp), *dq = pl_malloc((n ? n : 1) * sizeof *dq);
    uint8_t *done = pl_calloc(n ? n : 1, 1);
    for (uint32_t i = 0; i < n; i++)
        dp[i] = dq[i] = INFINITY;
    lent *h = NULL;
    size_t hn = 0, hcap = 0;
    int ok = pl_snap_usable(g, from);
    double fap = pl_snap_access_p(from, M);
    double faq = pl_snap_access_q(from, M);
    for (int end = 0; ok && end < 2; end++) {
        if (!(end ? from->to_b : from->to_a))
            continue;
        uint32_t v = end ? from->node_b : from->node_a;
        double p = fap + pl_snap_part_p(from, end, M);
        double q = faq + pl_snap_part_q(from, end, M);
        if (p < dp[v] || (p == dp[v] && q < dq[v])) {
            dp[v] = p;
            dq[v] = q;
            lpush(&h, &hn, &hcap, p, v);
        }
    }
    while (hn) {
        lent e = lpop(h, &hn);
        uint32_t u = e.v;
        if (done[u] || e.p > dp[u])
            continue;
        done[u] = 1;
        for (uint32_t a = g->out_begin[u]; a < g->out_begin[u + 1]; a++) {
            uint32_t v = g->arc_head[a];
            double wp = M == PL_METRIC_DISTANCE ? g->arc_len_m[a] : g->arc_time_s[a];
            double wq = M == PL_METRIC_DISTANCE ? g->arc_time_s[a] : g->arc_len_m[a];
            double p = dp[u] + wp, q = dq[u] + wq;
            if (!done[v] && (p < dp[v] || (p == dp[v] && q < dq[v]))) {
                dp[v] = p;
                dq[v] = q;
                lpush(&h, &hn, &hcap, p, v);
            }
        }
    }
    for (size_t i = 0; i < n_to; i++) {
        const pl_snap *T = &to[i];
        double bp = INFINITY, bq = INFINITY;
        if (ok && pl_snap_usable(g, T)) {
            double tap = pl_snap_access_p(T, M);
            double taq = pl_snap_access_q(T, M);
            for (int end = 0; end < 2; end++) {
                if (!(end ? T->from_b : T->from_a))
                    continue;
                uint32_t v = end ? T->node_b : T->node_a;
                double p = (dp[v] + pl_snap_part_p(T, end, M)) + tap;
                double q = (dq[v] + pl_snap_part_q(T, end, M)) + taq;
                if (p < bp || (p == bp && q < bq)) {
                    bp = p;
                    bq = q;
                }
            }
            double p, q;
            if (T->edge == from->edge && T->edge != PL_NONE && pl_snap_along_edge(from, T, M, &p, &q)) {
                p = (fap + p) + tap;
                q = (faq + q) + taq;
                if (p < bp || (p == bp && q < bq)) {
                    bp = p;
                    bq = q;
                }
            }
        }
        out[i].source = isfinite(bp) ? 0 : UINT32_MAX;
        out[i].dist_m = M == PL_METRIC_DISTANCE ? bp : bq;
        out[i].time_s = M == PL_METRIC_DISTANCE ? bq : bp;
    }
    free(h);
    free(dp);
    free(dq);
    free(done);
    return PL_OK;
}
