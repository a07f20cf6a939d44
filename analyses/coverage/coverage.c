/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Coverage on the road graph: candidate sites, coverage sets (bounded reverse searches
 * pruned by the distance from the nearest uncovered unit), the merged instance, and
 * single-linkage clusters of uncovered units. */
#include "coverage.h"
#include "gis/min_heap.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE32 UINT32_MAX

/* ---------- candidates ---------- */

void pl_candidates_free(pl_candidates *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->id[i]);
        free(c->name[i]);
    }
    free(c->id);
    free(c->name);
    free(c->x);
    free(c->y);
    free(c->snap);
    free(c);
}

typedef struct node_pick {
    int64_t key;      /* grid square, row-major */
    double d2;
    uint32_t node;
} node_pick;

static int cmp_pick(const void *a, const void *b)
{
    const node_pick *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    if (x->d2 != y->d2)
        return x->d2 < y->d2 ? -1 : 1;
    return (x->node > y->node) - (x->node < y->node);
}

pl_candidates *pl_candidates_from_graph(const pl_graph *g, double spacing)
{
    if (!(spacing > 0))
        spacing = 1000;
    double x0 = INFINITY, y0 = INFINITY;
    for (uint32_t v = 0; v < g->n_nodes; v++) {
        if (g->node_x[v] < x0)
            x0 = g->node_x[v];
        if (g->node_y[v] < y0)
            y0 = g->node_y[v];
    }
    node_pick *p = pl_malloc((g->n_nodes ? g->n_nodes : 1) * sizeof *p);
    size_t n = 0;
    const int64_t stride = 1 << 24;
    for (uint32_t v = 0; v < g->n_nodes; v++) {
        if (g->out_begin[v] == g->out_begin[v + 1] && g->in_begin[v] == g->in_begin[v + 1])
            continue;
        int64_t ix = (int64_t)floor((g->node_x[v] - x0) / spacing), iy = (int64_t)floor((g->node_y[v] - y0) / spacing);
        double cx = x0 + (ix + 0.5) * spacing, cy = y0 + (iy + 0.5) * spacing;
        double dx = g->node_x[v] - cx, dy = g->node_y[v] - cy;
        p[n++] = (node_pick){iy * stride + ix, dx * dx + dy * dy, v};
    }
    qsort(p, n, sizeof *p, cmp_pick);
    pl_candidates *c = pl_calloc(1, sizeof *c);
    size_t cap = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && p[i].key == p[i - 1].key)
            continue;
        if (c->n == cap) {
            cap = cap ? 2 * cap : 1024;
            c->x = pl_realloc(c->x, cap * sizeof *c->x);
            c->y = pl_realloc(c->y, cap * sizeof *c->y);
            c->id = pl_realloc(c->id, cap * sizeof *c->id);
            c->name = pl_realloc(c->name, cap * sizeof *c->name);
            c->snap = pl_realloc(c->snap, cap * sizeof *c->snap);
        }
        uint32_t v = p[i].node;
        char id[64];
        snprintf(id, sizeof id, "r%lld_%lld", (long long)(p[i].key / stride), (long long)(p[i].key % stride));
        c->x[c->n] = g->node_x[v];
        c->y[c->n] = g->node_y[v];
        c->id[c->n] = pl_strdup(id);
        c->name[c->n] = pl_strdup("");
        pl_snap *s = &c->snap[c->n];
        memset(s, 0, sizeof *s);
        s->node_a = s->node_b = v;
        s->to_a = s->to_b = s->from_a = s->from_b = 1;
        s->road = NONE32;
        s->edge = NONE32;
        s->status = PL_SNAP_OK;
        c->n++;
    }
    free(p);
    return c;
}

static int cmp_u64_for_coverage(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* ---------- searches ---------- */

typedef struct cov_shared {
    const pl_graph *g;
    const pl_snap *cell_snap;
    int M;
    double T, tol;
    float *h;                  /* lower bound: distance from the nearest uncovered unit to the node */
    uint32_t *att_begin;       /* node -> attached units: (cell << 1) | end */
    uint32_t *att;
    uint64_t *on_edge;         /* (edge << 32) | cell, sorted */
    size_t n_on_edge;
    size_t n_total_cells;
    const pl_candidates *cand;
    uint32_t **lists;
    uint32_t *counts;
    atomic_size_t next;
} cov_shared;

/* Forward multi-source search from the uncovered units (they travel to the node). */
static void lower_bounds(cov_shared *S, const uint32_t *cells, size_t n_cells)
{
    const pl_graph *g = S->g;
    int M = S->M;
    double *d = pl_malloc((g->n_nodes ? g->n_nodes : 1) * sizeof *d);
    for (uint32_t v = 0; v < g->n_nodes; v++)
        d[v] = INFINITY;
    pl_min_heap H = {0};
    double limit = S->T + S->tol;
    for (size_t i = 0; i < n_cells; i++) {
        const pl_snap *c = &S->cell_snap[cells[i]];
        if (!pl_snap_usable(g, c))
            continue;
        for (int end = 0; end < 2; end++) {
            if (!(end ? c->to_b : c->to_a))
                continue;
            uint32_t v = end ? c->node_b : c->node_a;
            double p = pl_snap_access_p(c, M) + pl_snap_part_p(c, end, M);
            if (p <= limit && p < d[v]) {
                d[v] = p;
                pl_heap_push(&H, p, v);
            }
        }
    }
    const float *w = M == PL_METRIC_DISTANCE ? g->arc_len_m : g->arc_time_s;
    while (H.n) {
        pl_heap_entry e = pl_heap_pop(&H);
        if (e.p > d[e.v])
            continue;
        for (uint32_t a = g->out_begin[e.v]; a < g->out_begin[e.v + 1]; a++) {
            double np = e.p + w[a];
            uint32_t u = g->arc_head[a];
            if (np <= limit && np < d[u]) {
                d[u] = np;
                pl_heap_push(&H, np, u);
            }
        }
    }
    for (uint32_t v = 0; v < g->n_nodes; v++) {
        float f = (float)d[v];
        if (isfinite(d[v]) && (double)f > d[v])
            f = nextafterf(f, -INFINITY);
        S->h[v] = f;
    }
    free(H.h);
    free(d);
}

typedef struct cov_worker {
    cov_shared *S;
    double *dist;
    uint32_t *dstamp, *done;
    uint32_t *cstamp;
    pl_min_heap H;
    uint32_t *buf;
    size_t buf_cap;
} cov_worker;

static inline void mark(cov_worker *W, uint32_t cell, uint32_t stamp, size_t *n)
{
    if (W->cstamp[cell] == stamp)
        return;
    W->cstamp[cell] = stamp;
    if (*n == W->buf_cap) {
        W->buf_cap = W->buf_cap ? 2 * W->buf_cap : 1024;
        W->buf = pl_realloc(W->buf, W->buf_cap * sizeof *W->buf);
    }
    W->buf[(*n)++] = cell;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* The units within the threshold of candidate j (reverse search from it). */
static void one_candidate(cov_worker *W, size_t j)
{
    cov_shared *S = W->S;
    const pl_graph *g = S->g;
    int M = S->M;
    double T = S->T, limit = S->T + S->tol;
    const pl_snap *src = &S->cand->snap[j];
    uint32_t stamp = (uint32_t)j + 1;
    size_t n = 0;
    if (pl_snap_usable(g, src)) {
        double sa = pl_snap_access_p(src, M);
        for (int end = 0; end < 2; end++) {
            if (!(end ? src->from_b : src->from_a))
                continue;
            uint32_t v = end ? src->node_b : src->node_a;
            double p = sa + pl_snap_part_p(src, end, M);
            if (p > T || (double)S->h[v] + p > limit)
                continue;
            if (W->dstamp[v] != stamp || p < W->dist[v]) {
                W->dstamp[v] = stamp;
                W->dist[v] = p;
                pl_heap_push(&W->H, p, v);
            }
        }
        while (W->H.n) {
            pl_heap_entry e = pl_heap_pop(&W->H);
            uint32_t v = e.v;
            if (W->done[v] == stamp || e.p > W->dist[v])
                continue;
            W->done[v] = stamp;
            double p = e.p;
            for (uint32_t k = S->att_begin[v]; k < S->att_begin[v + 1]; k++) {
                uint32_t cell = S->att[k] >> 1;
                int cend = (int)(S->att[k] & 1);
                const pl_snap *c = &S->cell_snap[cell];
                double pc = (p + pl_snap_part_p(c, cend, M)) + pl_snap_access_p(c, M);
                if (pc <= T)
                    mark(W, cell, stamp, &n);
            }
            for (uint32_t a = g->in_begin[v]; a < g->in_begin[v + 1]; a++) {
                const pl_rev_arc *arc = &g->in_arc[a];
                double np = p + (M == PL_METRIC_DISTANCE ? arc->len_m : arc->time_s);
                uint32_t u = arc->tail;
                if (np > T || (double)S->h[u] + np > limit || W->done[u] == stamp)
                    continue;
                if (W->dstamp[u] != stamp || np < W->dist[u]) {
                    W->dstamp[u] = stamp;
                    W->dist[u] = np;
                    pl_heap_push(&W->H, np, u);
                }
            }
        }
        /* Units on the candidate's own edge. */
        if (src->edge != NONE32 && S->n_on_edge) {
            uint64_t key = (uint64_t)src->edge << 32;
            size_t lo = 0, hi = S->n_on_edge;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (S->on_edge[mid] < key)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            for (size_t i = lo; i < S->n_on_edge && (S->on_edge[i] >> 32) == src->edge; i++) {
                uint32_t cell = (uint32_t)S->on_edge[i];
                const pl_snap *c = &S->cell_snap[cell];
                double along;
                if (pl_snap_along_edge(c, src, M, &along, NULL)) {
                    double pc = (sa + along) + pl_snap_access_p(c, M);
                    if (pc <= T)
                        mark(W, cell, stamp, &n);
                }
            }
        }
    }
    if (n)
        qsort(W->buf, n, sizeof *W->buf, cmp_u32);
    S->counts[j] = (uint32_t)n;
    S->lists[j] = pl_malloc((n ? n : 1) * sizeof *S->lists[j]);
    if (n)
        memcpy(S->lists[j], W->buf, n * sizeof *W->buf);
}

static void *worker_main(void *arg)
{
    cov_worker *W = arg;
    cov_shared *S = W->S;
    for (;;) {
        size_t j = atomic_fetch_add(&S->next, 1);
        if (j >= S->cand->n)
            break;
        one_candidate(W, j);
    }
    return NULL;
}

/* The candidate workers, for the out-of-memory path: they stop taking candidates and are
 * joined, then the run unwinds (gis/ctx.h, pl_oom_hold_wait). */
typedef struct cov_threads {
    cov_shared *S;
    pthread_t *th;
    int *started;
} cov_threads;

static void stop_cov_threads(void *arg)
{
    cov_threads *w = arg;
    atomic_store(&w->S->next, w->S->cand->n);
    for (int t = 1; t <= *w->started; t++)
        pthread_join(w->th[t], NULL);
    *w->started = 0;
}

int pl_coverage_sets(pl_ctx *ctx, const pl_graph *g, const pl_snap *cell_snap, const uint32_t *cells, size_t n_cells,
                     const pl_candidates *cand, const pl_coverage_params *p, uint64_t **out_begin,
                     uint32_t **out_cells, pl_error *err)
{
    (void)err;
    if (cand->n >= UINT32_MAX - 1)
        return pl_error_set(err, PL_EINPUT, "too many candidates (%zu)", cand->n);
    cov_shared S;
    memset(&S, 0, sizeof S);
    S.g = g;
    S.cell_snap = cell_snap;
    S.M = p->metric == PL_METRIC_TIME ? PL_METRIC_TIME : PL_METRIC_DISTANCE;
    S.T = p->threshold;
    S.tol = 1e-6 * p->threshold + 1e-6;
    S.cand = cand;
    size_t n_total = 0;
    for (size_t i = 0; i < n_cells; i++)
        if ((size_t)cells[i] + 1 > n_total)
            n_total = (size_t)cells[i] + 1;
    S.n_total_cells = n_total;
    pl_progress(ctx, 0.0, "coverage sets");
    S.h = pl_malloc((g->n_nodes ? g->n_nodes : 1) * sizeof *S.h);
    lower_bounds(&S, cells, n_cells);
    /* Units attached at each node (ends they may travel to), and by edge. */
    S.att_begin = pl_calloc((size_t)g->n_nodes + 1, sizeof *S.att_begin);
    S.on_edge = pl_malloc((n_cells ? n_cells : 1) * sizeof *S.on_edge);
    for (size_t i = 0; i < n_cells; i++) {
        const pl_snap *c = &cell_snap[cells[i]];
        if (!pl_snap_usable(g, c))
            continue;
        if (c->to_a)
            S.att_begin[c->node_a + 1]++;
        if (c->to_b)
            S.att_begin[c->node_b + 1]++;
        if (c->edge != NONE32)
            S.on_edge[S.n_on_edge++] = ((uint64_t)c->edge << 32) | cells[i];
    }
    for (uint32_t v = 0; v < g->n_nodes; v++)
        S.att_begin[v + 1] += S.att_begin[v];
    S.att = pl_malloc(((size_t)S.att_begin[g->n_nodes] + 1) * sizeof *S.att);
    uint32_t *fill = pl_malloc(((size_t)g->n_nodes + 1) * sizeof *fill);
    memcpy(fill, S.att_begin, ((size_t)g->n_nodes + 1) * sizeof *fill);
    for (size_t i = 0; i < n_cells; i++) {
        const pl_snap *c = &cell_snap[cells[i]];
        if (!pl_snap_usable(g, c))
            continue;
        if (c->to_a)
            S.att[fill[c->node_a]++] = cells[i] << 1;
        if (c->to_b)
            S.att[fill[c->node_b]++] = (cells[i] << 1) | 1;
    }
    free(fill);
    qsort(S.on_edge, S.n_on_edge, sizeof *S.on_edge, cmp_u64_for_coverage);
    S.lists = pl_calloc(cand->n ? cand->n : 1, sizeof *S.lists);
    S.counts = pl_calloc(cand->n ? cand->n : 1, sizeof *S.counts);
    atomic_init(&S.next, 0);

    int nt = p->threads > 1 ? p->threads : 1;
    if ((size_t)nt > cand->n)
        nt = cand->n ? (int)cand->n : 1;
    cov_worker *W = pl_calloc((size_t)nt, sizeof *W);
    pthread_t *th = pl_calloc((size_t)nt, sizeof *th);
    for (int t = 0; t < nt; t++) {
        W[t].S = &S;
        W[t].dist = pl_malloc((g->n_nodes ? g->n_nodes : 1) * sizeof *W[t].dist);
        W[t].dstamp = pl_calloc(g->n_nodes ? g->n_nodes : 1, sizeof *W[t].dstamp);
        W[t].done = pl_calloc(g->n_nodes ? g->n_nodes : 1, sizeof *W[t].done);
        W[t].cstamp = pl_calloc(n_total ? n_total : 1, sizeof *W[t].cstamp);
    }
    int started = 0;
    cov_threads waiter = {&S, th, &started};
    pl_oom_hold_wait(stop_cov_threads, &waiter);  /* the workers use W[] and S, on this stack */
    for (int t = 1; t < nt; t++)
        if (pthread_create(&th[t], NULL, worker_main, &W[t]) == 0)
            started = t;
        else
            break;
    worker_main(&W[0]);
    for (int t = 1; t <= started; t++)
        pthread_join(th[t], NULL);
    pl_oom_release();
    size_t total = 0;
    for (size_t j = 0; j < cand->n; j++)
        total += S.counts[j];
    uint64_t *begin = pl_malloc((cand->n + 1) * sizeof *begin);
    uint32_t *out = pl_malloc((total ? total : 1) * sizeof *out);
    begin[0] = 0;
    for (size_t j = 0; j < cand->n; j++) {
        memcpy(out + begin[j], S.lists[j], S.counts[j] * sizeof *out);
        begin[j + 1] = begin[j] + S.counts[j];
        free(S.lists[j]);
    }
    for (int t = 0; t < nt; t++) {
        free(W[t].dist);
        free(W[t].dstamp);
        free(W[t].done);
        free(W[t].cstamp);
        free(W[t].H.h);
        free(W[t].buf);
    }
    free(W);
    free(th);
    free(S.lists);
    free(S.counts);
    free(S.att);
    free(S.att_begin);
    free(S.on_edge);
    free(S.h);
    pl_progress(ctx, 1.0, "coverage sets");
    *out_begin = begin;
    *out_cells = out;
    return PL_OK;
}

/* ---------- merged instance ---------- */

static uint64_t hash_list(const uint32_t *v, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
    for (size_t i = 0; i < n; i++) {
        h ^= v[i] + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
        h *= 0xbf58476d1ce4e5b9ULL;
    }
    return h ^ (h >> 31);
}

typedef struct hkey {
    uint64_t h;
    uint32_t id;
} hkey;

static int cmp_hkey(const void *a, const void *b)
{
    const hkey *x = a, *y = b;
    if (x->h != y->h)
        return x->h < y->h ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* Groups items with identical lists: rep[i] = smallest item with the same list (items
 * listed in keys, sorted by hash then id). */
static void group_identical(hkey *keys, size_t n, const uint64_t *lbeg, const uint32_t *lst, uint32_t *rep)
{
    qsort(keys, n, sizeof *keys, cmp_hkey);
    for (size_t a = 0; a < n;) {
        size_t b = a;
        while (b < n && keys[b].h == keys[a].h)
            b++;
        for (size_t i = a; i < b; i++) {
            uint32_t x = keys[i].id;
            rep[x] = x;
            for (size_t k = a; k < i; k++) {
                uint32_t y = keys[k].id;
                if (rep[y] != y)
                    continue;
                uint64_t nx = lbeg[x + 1] - lbeg[x], ny = lbeg[y + 1] - lbeg[y];
                if (nx == ny && memcmp(lst + lbeg[x], lst + lbeg[y], nx * sizeof *lst) == 0) {
                    rep[x] = y;
                    break;
                }
            }
        }
        a = b;
    }
}

void pl_cover_instance_build(size_t n_cand, const uint64_t *begin, const uint32_t *cells, const double *cell_weight,
                             size_t n_total_cells, pl_cover_instance *I, uint32_t *cell_row, uint32_t *col_of_cand,
                             uint32_t **rep_cand)
{
    memset(I, 0, sizeof *I);
    size_t nt = n_total_cells;
    /* Cell -> covering candidates (ascending). */
    uint64_t *cbeg = pl_calloc(nt + 1, sizeof *cbeg);
    for (uint64_t e = 0; e < begin[n_cand]; e++)
        cbeg[cells[e] + 1]++;
    for (size_t c = 0; c < nt; c++)
        cbeg[c + 1] += cbeg[c];
    uint32_t *ccand = pl_malloc((begin[n_cand] ? begin[n_cand] : 1) * sizeof *ccand);
    uint64_t *fill = pl_malloc((nt + 1) * sizeof *fill);
    memcpy(fill, cbeg, (nt + 1) * sizeof *fill);
    for (size_t j = 0; j < n_cand; j++)
        for (uint64_t e = begin[j]; e < begin[j + 1]; e++)
            ccand[fill[cells[e]]++] = (uint32_t)j;
    free(fill);
    /* Rows: cells with weight and at least one candidate, merged by identical candidate lists. */
    hkey *keys = pl_malloc((nt ? nt : 1) * sizeof *keys);
    uint32_t *rep = pl_malloc((nt ? nt : 1) * sizeof *rep);
    size_t nk = 0;
    for (size_t c = 0; c < nt; c++) {
        rep[c] = NONE32;
        if (cbeg[c + 1] > cbeg[c] && cell_weight[c] > 0)
            keys[nk++] = (hkey){hash_list(ccand + cbeg[c], cbeg[c + 1] - cbeg[c]), (uint32_t)c};
    }
    group_identical(keys, nk, cbeg, ccand, rep);
    free(keys);
    uint32_t *row = pl_malloc((nt ? nt : 1) * sizeof *row);
    uint32_t nr = 0;
    for (size_t c = 0; c < nt; c++)
        row[c] = rep[c] == NONE32 ? NONE32 : rep[c] == c ? nr++ : row[rep[c]];
    I->n_rows = nr;
    I->weight = pl_calloc(nr ? nr : 1, sizeof *I->weight);
    for (size_t c = 0; c < nt; c++)
        if (row[c] != NONE32)
            I->weight[row[c]] += cell_weight[c];
    if (cell_row)
        memcpy(cell_row, row, nt * sizeof *row);
    free(rep);
    free(ccand);
    free(cbeg);
    /* Each candidate's rows (ascending, distinct). */
    uint64_t *rbeg = pl_malloc((n_cand + 1) * sizeof *rbeg);
    uint32_t *rl = pl_malloc((begin[n_cand] ? begin[n_cand] : 1) * sizeof *rl);
    rbeg[0] = 0;
    for (size_t j = 0; j < n_cand; j++) {
        uint64_t k = rbeg[j];
        for (uint64_t e = begin[j]; e < begin[j + 1]; e++)
            if (row[cells[e]] != NONE32)
                rl[k++] = row[cells[e]];
        qsort(rl + rbeg[j], k - rbeg[j], sizeof *rl, cmp_u32);
        uint64_t m = rbeg[j];
        for (uint64_t e = rbeg[j]; e < k; e++)
            if (e == rbeg[j] || rl[e] != rl[e - 1])
                rl[m++] = rl[e];
        rbeg[j + 1] = m;
    }
    free(row);
    /* Columns: candidates with rows, merged by identical row lists. */
    hkey *ck = pl_malloc((n_cand ? n_cand : 1) * sizeof *ck);
    uint32_t *crep = pl_malloc((n_cand ? n_cand : 1) * sizeof *crep);
    size_t nck = 0;
    for (size_t j = 0; j < n_cand; j++) {
        crep[j] = NONE32;
        if (rbeg[j + 1] > rbeg[j])
            ck[nck++] = (hkey){hash_list(rl + rbeg[j], rbeg[j + 1] - rbeg[j]), (uint32_t)j};
    }
    group_identical(ck, nck, rbeg, rl, crep);
    free(ck);
    uint32_t ncol = 0;
    uint32_t *col = col_of_cand ? col_of_cand : pl_malloc((n_cand ? n_cand : 1) * sizeof *col);
    uint32_t *reps = pl_malloc((n_cand ? n_cand : 1) * sizeof *reps);
    uint64_t nnz = 0;
    for (size_t j = 0; j < n_cand; j++) {
        col[j] = crep[j] == NONE32 ? NONE32 : crep[j] == j ? ncol++ : col[crep[j]];
        if (crep[j] == j) {
            reps[col[j]] = (uint32_t)j;
            nnz += rbeg[j + 1] - rbeg[j];
        }
    }
    I->n_cand = ncol;
    I->begin = pl_malloc(((size_t)ncol + 1) * sizeof *I->begin);
    I->rows = pl_malloc((nnz ? nnz : 1) * sizeof *I->rows);
    I->begin[0] = 0;
    for (uint32_t k = 0; k < ncol; k++) {
        uint32_t j = reps[k];
        uint64_t n = rbeg[j + 1] - rbeg[j];
        memcpy(I->rows + I->begin[k], rl + rbeg[j], n * sizeof *rl);
        I->begin[k + 1] = I->begin[k] + n;
    }
    if (!col_of_cand)
        free(col);
    if (rep_cand)
        *rep_cand = reps;
    else
        free(reps);
    free(crep);
    free(rbeg);
    free(rl);
}

/* ---------- clusters ---------- */

static uint32_t uf_find(uint32_t *parent, uint32_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

typedef struct gkey {
    int64_t gx, gy;
    uint32_t i;
} gkey;

static int cmp_gkey(const void *a, const void *b)
{
    const gkey *x = a, *y = b;
    if (x->gx != y->gx)
        return x->gx < y->gx ? -1 : 1;
    if (x->gy != y->gy)
        return x->gy < y->gy ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

uint32_t pl_cluster_points(const double *x, const double *y, size_t n, double dist_m, uint32_t *cluster)
{
    if (n == 0)
        return 0;
    if (!(dist_m > 0))
        dist_m = 1;
    uint32_t *parent = pl_malloc(n * sizeof *parent);
    gkey *k = pl_malloc(n * sizeof *k);
    for (size_t i = 0; i < n; i++) {
        parent[i] = (uint32_t)i;
        k[i] = (gkey){(int64_t)floor(x[i] / dist_m), (int64_t)floor(y[i] / dist_m), (uint32_t)i};
    }
    qsort(k, n, sizeof *k, cmp_gkey);
    double d2 = dist_m * dist_m;
    for (size_t a = 0; a < n; a++) {
        /* Neighbour squares (gx-1..gx+1, gy-1..gy+1); each pair is met from both sides. */
        for (int64_t dx = -1; dx <= 1; dx++)
            for (int64_t dy = -1; dy <= 1; dy++) {
                gkey probe = {k[a].gx + dx, k[a].gy + dy, 0};
                size_t lo = 0, hi = n;
                while (lo < hi) {
                    size_t mid = (lo + hi) / 2;
                    if (cmp_gkey(&k[mid], &probe) < 0)
                        lo = mid + 1;
                    else
                        hi = mid;
                }
                for (size_t b = lo; b < n && k[b].gx == probe.gx && k[b].gy == probe.gy; b++) {
                    uint32_t i = k[a].i, j = k[b].i;
                    if (j <= i)
                        continue;
                    double ex = x[i] - x[j], ey = y[i] - y[j];
                    if (ex * ex + ey * ey <= d2) {
                        uint32_t ri = uf_find(parent, i), rj = uf_find(parent, j);
                        if (ri != rj) {
                            if (ri < rj)
                                parent[rj] = ri;
                            else
                                parent[ri] = rj;
                        }
                    }
                }
            }
    }
    uint32_t nc = 0;
    uint32_t *id = pl_malloc(n * sizeof *id);
    for (size_t i = 0; i < n; i++)
        id[i] = NONE32;
    for (size_t i = 0; i < n; i++) {
        uint32_t r = uf_find(parent, (uint32_t)i);
        if (id[r] == NONE32)
            id[r] = nc++;
        cluster[i] = id[r];
    }
    free(id);
    free(k);
    free(parent);
    return nc;
}
