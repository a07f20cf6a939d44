/* SPDX-License-Identifier: GPL-3.0-or-later */
/* synth helpers: union-find, point grid index, road builder. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "synth_internal.h"

/* ---------- union-find ---------- */
void sy_uf_init(sy_uf *u, size_t n)
{
    u->n = 0;
    u->cap = 0;
    u->p = NULL;
    sy_uf_grow(u, n);
}

void sy_uf_grow(sy_uf *u, size_t n)
{
    if (n <= u->n)
        return;
    if (n > u->cap) {
        size_t cap = u->cap ? u->cap : 1024;
        while (cap < n)
            cap *= 2;
        u->p = pl_realloc(u->p, cap * sizeof *u->p);
        u->cap = cap;
    }
    for (size_t i = u->n; i < n; i++)
        u->p[i] = (uint32_t)i;
    u->n = n;
}

uint32_t sy_uf_find(sy_uf *u, uint32_t a)
{
    while (u->p[a] != a) {
        u->p[a] = u->p[u->p[a]];
        a = u->p[a];
    }
    return a;
}

int sy_uf_union(sy_uf *u, uint32_t a, uint32_t b)
{
    a = sy_uf_find(u, a);
    b = sy_uf_find(u, b);
    if (a == b)
        return 0;
    if (a < b)
        u->p[b] = a;
    else
        u->p[a] = b;
    return 1;
}

void sy_uf_free(sy_uf *u)
{
    free(u->p);
    memset(u, 0, sizeof *u);
}

/* ---------- grid index ---------- */
void sy_grid_build(sy_grid *g, const double *x, const double *y, size_t n, double cell)
{
    memset(g, 0, sizeof *g);
    g->x = x;
    g->y = y;
    g->n = n;
    g->cell = cell;
    double minx = 0, miny = 0, maxx = 1, maxy = 1;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || x[i] < minx)
            minx = x[i];
        if (i == 0 || y[i] < miny)
            miny = y[i];
        if (i == 0 || x[i] > maxx)
            maxx = x[i];
        if (i == 0 || y[i] > maxy)
            maxy = y[i];
    }
    g->x0 = minx;
    g->y0 = miny;
    g->nx = (int64_t)((maxx - minx) / cell) + 1;
    g->ny = (int64_t)((maxy - miny) / cell) + 1;
    size_t ncell = (size_t)(g->nx * g->ny);
    g->start = pl_calloc(ncell + 1, sizeof *g->start);
    uint32_t *cellof = pl_malloc((n ? n : 1) * sizeof *cellof);
    for (size_t i = 0; i < n; i++) {
        int64_t cx = (int64_t)((x[i] - g->x0) / cell), cy = (int64_t)((y[i] - g->y0) / cell);
        cellof[i] = (uint32_t)(cy * g->nx + cx);
        g->start[cellof[i] + 1]++;
    }
    for (size_t c = 0; c < ncell; c++)
        g->start[c + 1] += g->start[c];
    g->items = pl_malloc((n ? n : 1) * sizeof *g->items);
    uint32_t *fill = pl_malloc((ncell + 1) * sizeof *fill);
    memcpy(fill, g->start, (ncell + 1) * sizeof *fill);
    for (size_t i = 0; i < n; i++)
        g->items[fill[cellof[i]]++] = (uint32_t)i;
    free(fill);
    free(cellof);
}

void sy_grid_free(sy_grid *g)
{
    free(g->start);
    free(g->items);
    memset(g, 0, sizeof *g);
}

static void knn_insert(uint32_t *idx, double *dist, int *found, int k, uint32_t j, double d)
{
    if (*found == k && (d > dist[k - 1] || (d == dist[k - 1] && j > idx[k - 1])))
        return;
    int pos = *found < k ? (*found)++ : k - 1;
    while (pos > 0 && (dist[pos - 1] > d || (dist[pos - 1] == d && idx[pos - 1] > j))) {
        dist[pos] = dist[pos - 1];
        idx[pos] = idx[pos - 1];
        pos--;
    }
    dist[pos] = d;
    idx[pos] = j;
}

static void scan_cell(const sy_grid *g, int64_t cx, int64_t cy, double x, double y, int k, double max_dist,
                      sy_accept_fn ok, void *user, uint32_t *idx, double *dist, int *found)
{
    if (cx < 0 || cy < 0 || cx >= g->nx || cy >= g->ny)
        return;
    size_t c = (size_t)(cy * g->nx + cx);
    for (uint32_t t = g->start[c]; t < g->start[c + 1]; t++) {
        uint32_t j = g->items[t];
        double d = hypot(g->x[j] - x, g->y[j] - y);
        if (d > max_dist)
            continue;
        if (ok && !ok(j, user))
            continue;
        knn_insert(idx, dist, found, k, j, d);
    }
}

int sy_grid_knn(const sy_grid *g, double x, double y, int k, double max_dist, sy_accept_fn ok, void *user,
                uint32_t *idx, double *dist)
{
    if (g->n == 0 || k <= 0)
        return 0;
    int found = 0;
    int64_t cx = (int64_t)floor((x - g->x0) / g->cell), cy = (int64_t)floor((y - g->y0) / g->cell);
    for (int64_t r = 0;; r++) {
        if (r == 0) {
            scan_cell(g, cx, cy, x, y, k, max_dist, ok, user, idx, dist, &found);
        } else {
            for (int64_t dx = -r; dx <= r; dx++) {
                scan_cell(g, cx + dx, cy - r, x, y, k, max_dist, ok, user, idx, dist, &found);
                scan_cell(g, cx + dx, cy + r, x, y, k, max_dist, ok, user, idx, dist, &found);
            }
            for (int64_t dy = -r + 1; dy <= r - 1; dy++) {
                scan_cell(g, cx - r, cy + dy, x, y, k, max_dist, ok, user, idx, dist, &found);
                scan_cell(g, cx + r, cy + dy, x, y, k, max_dist, ok, user, idx, dist, &found);
            }
        }
        double reach = (double)r * g->cell;   /* every point closer than this has been seen */
        if (found == k && dist[k - 1] <= reach)
            break;
        if (reach > max_dist)
            break;
        if (cx - r < 0 && cy - r < 0 && cx + r >= g->nx && cy + r >= g->ny)
            break;
    }
    return found;
}

uint32_t sy_grid_nearest(const sy_grid *g, double x, double y, double max_dist, sy_accept_fn ok, void *user,
                         double *dist)
{
    uint32_t idx;
    double d;
    if (sy_grid_knn(g, x, y, 1, max_dist, ok, user, &idx, &d) == 1) {
        if (dist)
            *dist = d;
        return idx;
    }
    return UINT32_MAX;
}

/* ---------- road builder ---------- */
uint32_t sy_vertex(sy_builder *b, double x, double y)
{
    if (b->nv == b->capv) {
        b->capv = b->capv ? b->capv * 2 : 65536;
        b->vx = pl_realloc(b->vx, b->capv * sizeof *b->vx);
        b->vy = pl_realloc(b->vy, b->capv * sizeof *b->vy);
        b->refs = pl_realloc(b->refs, b->capv * sizeof *b->refs);
        b->is_end = pl_realloc(b->is_end, b->capv * sizeof *b->is_end);
    }
    b->vx[b->nv] = round(x * 100.0) / 100.0;   /* centimetres: tidy, reproducible WKB */
    b->vy[b->nv] = round(y * 100.0) / 100.0;
    b->refs[b->nv] = 0;
    b->is_end[b->nv] = 0;
    return (uint32_t)b->nv++;
}

static void push_idx(sy_builder *b, uint32_t v)
{
    SY_PUSH(b->idx, b->nidx, b->capidx, v);
    if (b->refs[v] < UINT16_MAX)
        b->refs[v]++;
}

/* Midpoint displacement between (x0,y0) and (x1,y1): appends the interior points in order. */
static void displace(sy_builder *b, double x0, double y0, double x1, double y1, double seg, double amp_m,
                     sy_rng *rng)
{
    double len = hypot(x1 - x0, y1 - y0);
    if (len <= seg || len < 1.0)
        return;
    double off = sy_normal(rng) * amp_m;
    if (off > 0.22 * len)
        off = 0.22 * len;
    if (off < -0.22 * len)
        off = -0.22 * len;
    double mx = 0.5 * (x0 + x1) - (y1 - y0) / len * off;
    double my = 0.5 * (y0 + y1) + (x1 - x0) / len * off;
    displace(b, x0, y0, mx, my, seg, amp_m * 0.5, rng);
    push_idx(b, sy_vertex(b, mx, my));
    displace(b, mx, my, x1, y1, seg, amp_m * 0.5, rng);
}

size_t sy_road(sy_builder *b, uint32_t a, uint32_t v, int cls, int speed, int oneway, int flags, int layer,
               double seg_m, double amp, sy_rng *rng, uint32_t *shape_first, uint32_t *shape_n)
{
    sy_poly p;
    memset(&p, 0, sizeof p);
    p.first = (uint32_t)b->nidx;
    p.cls = (uint8_t)cls;
    p.speed = (uint8_t)speed;
    p.oneway = (int8_t)oneway;
    p.flags = (uint8_t)flags;
    p.layer = (int8_t)layer;
    push_idx(b, a);
    b->is_end[a] = 1;
    uint32_t before = (uint32_t)b->nv;
    double len = hypot(b->vx[v] - b->vx[a], b->vy[v] - b->vy[a]);
    displace(b, b->vx[a], b->vy[a], b->vx[v], b->vy[v], seg_m, amp * len, rng);
    push_idx(b, v);
    b->is_end[v] = 1;
    p.count = (uint32_t)(b->nidx - p.first);
    if (shape_first)
        *shape_first = before;
    if (shape_n)
        *shape_n = (uint32_t)(b->nv - before);
    SY_PUSH(b->poly, b->np, b->capp, p);
    return b->np - 1;
}

void sy_builder_free(sy_builder *b)
{
    free(b->vx);
    free(b->vy);
    free(b->refs);
    free(b->is_end);
    free(b->idx);
    free(b->poly);
    memset(b, 0, sizeof *b);
}

size_t sy_road_pts(sy_builder *b, uint32_t a, uint32_t v, const double *xs, const double *ys, int n, int cls,
                   int speed, int oneway, int flags, int layer)
{
    sy_poly p;
    memset(&p, 0, sizeof p);
    p.first = (uint32_t)b->nidx;
    p.cls = (uint8_t)cls;
    p.speed = (uint8_t)speed;
    p.oneway = (int8_t)oneway;
    p.flags = (uint8_t)flags;
    p.layer = (int8_t)layer;
    push_idx(b, a);
    b->is_end[a] = 1;
    for (int i = 0; i < n; i++)
        push_idx(b, sy_vertex(b, xs[i], ys[i]));
    push_idx(b, v);
    b->is_end[v] = 1;
    p.count = (uint32_t)(b->nidx - p.first);
    SY_PUSH(b->poly, b->np, b->capp, p);
    return b->np - 1;
}

/* ---------- integer hash ---------- */
void sy_ihash_init(sy_ihash *h, size_t expected)
{
    size_t cap = 64;
    while (cap < expected * 2)
        cap *= 2;
    h->cap = cap;
    h->n = 0;
    h->keys = pl_malloc(cap * sizeof *h->keys);
    h->vals = pl_malloc(cap * sizeof *h->vals);
    memset(h->vals, 0xff, cap * sizeof *h->vals);
}

static size_t ihash_slot(const sy_ihash *h, uint64_t key)
{
    size_t i = (size_t)(sy_mix(key) & (h->cap - 1));
    while (h->vals[i] != UINT32_MAX && h->keys[i] != key)
        i = (i + 1) & (h->cap - 1);
    return i;
}

void sy_ihash_put(sy_ihash *h, uint64_t key, uint32_t val)
{
    if (2 * (h->n + 1) > h->cap) {
        sy_ihash old = *h;
        sy_ihash_init(h, old.cap);
        for (size_t i = 0; i < old.cap; i++)
            if (old.vals[i] != UINT32_MAX)
                sy_ihash_put(h, old.keys[i], old.vals[i]);
        sy_ihash_free(&old);
    }
    size_t i = ihash_slot(h, key);
    if (h->vals[i] == UINT32_MAX)
        h->n++;
    h->keys[i] = key;
    h->vals[i] = val;
}

uint32_t sy_ihash_get(const sy_ihash *h, uint64_t key)
{
    if (!h->cap)
        return UINT32_MAX;
    return h->vals[ihash_slot(h, key)];
}

void sy_ihash_free(sy_ihash *h)
{
    free(h->keys);
    free(h->vals);
    memset(h, 0, sizeof *h);
}
