/* Graph building: nodes at line endpoints and junctions (grid hash), edges as the
 * polylines between nodes, per-mode arcs in CSR order along a Hilbert curve, weakly
 * connected components. The rules are documented in graph.h. */
#include "graph.h"
#include "graph_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>


const char *pl_mode_name(pl_mode m)
{
    switch (m) {
    case PL_MODE_CAR: return "car";
    case PL_MODE_BIKE: return "bike";
    case PL_MODE_WALK: return "walk";
    }
    return "?";
}

int pl_mode_from_name(const char *name, pl_mode *out)
{
    static const struct {
        const char *name;
        pl_mode mode;
    } names[] = {{"car", PL_MODE_CAR},   {"drive", PL_MODE_CAR},  {"bil", PL_MODE_CAR},
                 {"bike", PL_MODE_BIKE}, {"bicycle", PL_MODE_BIKE}, {"cykel", PL_MODE_BIKE},
                 {"walk", PL_MODE_WALK}, {"foot", PL_MODE_WALK},  {"gang", PL_MODE_WALK}};
    for (size_t i = 0; name && i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(name, names[i].name) == 0) {
            *out = names[i].mode;
            return PL_OK;
        }
    return PL_EINPUT;
}

double pl_mode_speed_kmh(pl_mode m)
{
    return m == PL_MODE_BIKE ? 16.0 : m == PL_MODE_WALK ? 5.0 : 0.0;
}

double pl_mode_access_speed_kmh(pl_mode m)
{
    return m == PL_MODE_BIKE ? 16.0 : m == PL_MODE_WALK ? 5.0 : 30.0;
}

void pl_graph_opts_default(pl_graph_opts *o)
{
    memset(o, 0, sizeof *o);
    o->mode = PL_MODE_CAR;
    o->snap_tolerance_m = 0.5;
    o->node_intersections = 1;
    o->ferry_speed_kmh = 20.0;
    o->cache_path = NULL;
}

static int is_ferry(const pl_roads *roads, size_t r)
{
    return roads->road_class[r] == PL_ROAD_FERRY || (roads->flags[r] & PL_ROAD_IS_FERRY);
}

int pl_graph_road_allowed(const pl_roads *roads, size_t r, pl_mode m)
{
    if (roads->first_vertex[r + 1] < roads->first_vertex[r] + 2)
        return 0;
    unsigned cls = roads->road_class[r], fl = roads->flags[r];
    switch (m) {
    case PL_MODE_CAR:
        if (fl & PL_ROAD_NO_CAR)
            return 0;
        if (!is_ferry(roads, r) && (cls == PL_ROAD_FOOTWAY || cls == PL_ROAD_CYCLEWAY || cls == PL_ROAD_PATH ||
                                    cls == PL_ROAD_STEPS || cls == PL_ROAD_PEDESTRIAN))
            return 0;
        return 1;
    case PL_MODE_BIKE:
        return !(fl & PL_ROAD_NO_BIKE) && cls != PL_ROAD_MOTORWAY && cls != PL_ROAD_STEPS;
    case PL_MODE_WALK:
        return !(fl & PL_ROAD_NO_FOOT) && cls != PL_ROAD_MOTORWAY;
    }
    return 0;
}

int pl_road_snappable(const pl_roads *roads, size_t r)
{
    return !(roads->flags[r] & (PL_ROAD_TUNNEL | PL_ROAD_INDOOR)) && roads->layer[r] >= 0 && !is_ferry(roads, r);
}

static double road_speed_kmh(const pl_roads *roads, size_t r, const pl_graph_opts *o)
{
    if (is_ferry(roads, r))
        return o->ferry_speed_kmh > 0 ? o->ferry_speed_kmh : 20.0;
    if (o->mode != PL_MODE_CAR)
        return pl_mode_speed_kmh(o->mode);
    double v = roads->speed_kmh[r];
    return v > 0 && isfinite(v) ? v : pl_road_default_speed_kmh((pl_road_class)roads->road_class[r]);
}

static uint8_t road_dir(const pl_roads *roads, size_t r, pl_mode m)
{
    if (m == PL_MODE_WALK || (m == PL_MODE_BIKE && (roads->flags[r] & PL_ROAD_BIKE_BOTH_WAYS)))
        return 3;
    return roads->oneway[r] > 0 ? 1 : roads->oneway[r] < 0 ? 2 : 3;
}

/* ---------- utilities ---------- */

void *pl_big_alloc(size_t n)
{
    const size_t huge = (size_t)2 << 20;
    if (n < 2 * huge)
        return pl_malloc(n);
    void *p = NULL;
    if (posix_memalign(&p, huge, n) != 0 || !p)
        return pl_malloc(n);
    madvise(p, n & ~(huge - 1), MADV_HUGEPAGE);
    return p;
}

void *pl_big_calloc(size_t n)
{
    void *p = pl_big_alloc(n);
    memset(p, 0, n);
    return p;
}

void pl_sort_u64(uint64_t *keys, size_t n)
{
    if (n < 2)
        return;
    uint64_t *tmp = pl_malloc(n * sizeof *tmp);
    uint64_t *src = keys, *dst = tmp;
    size_t *count = pl_malloc(65536 * sizeof *count);
    for (int pass = 0; pass < 4; pass++) {
        int shift = 16 * pass;
        memset(count, 0, 65536 * sizeof *count);
        for (size_t i = 0; i < n; i++)
            count[(src[i] >> shift) & 0xffff]++;
        if (count[(src[0] >> shift) & 0xffff] == n)
            continue; /* all equal in this digit */
        size_t sum = 0;
        for (size_t d = 0; d < 65536; d++) {
            size_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            dst[count[(src[i] >> shift) & 0xffff]++] = src[i];
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != keys)
        memcpy(keys, src, n * sizeof *keys);
    free(count);
    free(tmp);
}

uint64_t pl_hash_bytes(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h ^= w * 0xff51afd7ed558ccdULL;
        h = (h << 31) | (h >> 33);
        h = h * 0xc4ceb9fe1a85ec53ULL + 0x9e3779b97f4a7c15ULL;
    }
    uint64_t w = (uint64_t)n;
    for (; i < n; i++)
        w = (w << 8) | p[i];
    h ^= w * 0xff51afd7ed558ccdULL;
    h = (h << 31) | (h >> 33);
    h = h * 0xc4ceb9fe1a85ec53ULL + 0x9e3779b97f4a7c15ULL;
    h ^= h >> 29;
    return h;
}

static uint64_t inputs_hash(const pl_roads *roads, const pl_graph_opts *o)
{
    uint64_t h = 0x706c617473616772ULL; /* "platsagr" */
    uint32_t head[4] = {PL_GRAPH_BUILD_VERSION, (uint32_t)o->mode, (uint32_t)(o->node_intersections != 0), 0};
    h = pl_hash_bytes(h, head, sizeof head);
    double d[2] = {o->snap_tolerance_m, o->ferry_speed_kmh};
    h = pl_hash_bytes(h, d, sizeof d);
    size_t n = roads->n, nv = roads->first_vertex[n];
    h = pl_hash_bytes(h, &n, sizeof n);
    h = pl_hash_bytes(h, roads->first_vertex, (n + 1) * sizeof *roads->first_vertex);
    h = pl_hash_bytes(h, roads->vx, nv * sizeof *roads->vx);
    h = pl_hash_bytes(h, roads->vy, nv * sizeof *roads->vy);
    h = pl_hash_bytes(h, roads->road_class, n);
    h = pl_hash_bytes(h, roads->speed_kmh, n * sizeof *roads->speed_kmh);
    h = pl_hash_bytes(h, roads->oneway, n);
    h = pl_hash_bytes(h, roads->flags, n);
    h = pl_hash_bytes(h, roads->layer, n);
    return h;
}

static uint64_t hilbert_index(uint32_t x, uint32_t y)
{
    const uint32_t n = 1u << 16;
    uint64_t d = 0;
    for (uint32_t s = n / 2; s > 0; s /= 2) {
        uint32_t rx = (x & s) > 0, ry = (y & s) > 0;
        d += (uint64_t)s * s * ((3 * rx) ^ ry);
        if (ry == 0) {
            if (rx == 1) {
                x = n - 1 - x;
                y = n - 1 - y;
            }
            uint32_t t = x;
            x = y;
            y = t;
        }
    }
    return d;
}

/* ---------- vertex clustering (grid hash) ---------- */

typedef struct cell_slot {
    uint64_t key; /* UINT64_MAX = empty */
    uint32_t head;
} cell_slot;

typedef struct clusterer {
    double minx, miny, cell, inv_cell, tol2;
    cell_slot *slots;
    size_t cap, used;
    double *x, *y;
    uint32_t *next;
    uint32_t n, ncap;
} clusterer;

static size_t slot_of(const clusterer *c, uint64_t key)
{
    uint64_t h = key * 0x9e3779b97f4a7c15ULL;
    size_t mask = c->cap - 1;
    size_t i = (size_t)(h >> 20) & mask;
    while (c->slots[i].key != key && c->slots[i].key != UINT64_MAX)
        i = (i + 1) & mask;
    return i;
}

static void clusterer_grow(clusterer *c)
{
    cell_slot *old = c->slots;
    size_t old_cap = c->cap;
    c->cap = old_cap ? old_cap * 2 : 1024;
    c->slots = pl_malloc(c->cap * sizeof *c->slots);
    for (size_t i = 0; i < c->cap; i++)
        c->slots[i].key = UINT64_MAX;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].key != UINT64_MAX)
            c->slots[slot_of(c, old[i].key)] = old[i];
    free(old);
}

/* Room for n points without growing: a table at most half full, and the point arrays. */
static void clusterer_reserve(clusterer *c, size_t n)
{
    size_t cap = 1024;
    while (cap < 2 * n + 2)
        cap *= 2;
    c->cap = cap;
    c->slots = pl_big_alloc(cap * sizeof *c->slots);
    for (size_t i = 0; i < cap; i++)
        c->slots[i].key = UINT64_MAX;
    c->ncap = (uint32_t)(n > 1024 ? n : 1024);
    c->x = pl_malloc(c->ncap * sizeof *c->x);
    c->y = pl_malloc(c->ncap * sizeof *c->y);
    c->next = pl_malloc(c->ncap * sizeof *c->next);
}

static uint64_t cell_key(int64_t cx, int64_t cy)
{
    return ((uint64_t)(uint32_t)cx << 32) | (uint32_t)cy;
}

/* Cluster id of (x,y): the nearest cluster within the tolerance, else a new one. */
static uint32_t clusterer_add(clusterer *c, double x, double y)
{
    double fx = (x - c->minx) * c->inv_cell, fy = (y - c->miny) * c->inv_cell;
    int64_t cx = (int64_t)fx, cy = (int64_t)fy;
    /* Cells are at least the tolerance wide: look at a neighbour only when near its side. */
    double rx = (fx - (double)cx) * c->cell, ry = (fy - (double)cy) * c->cell;
    double tol = sqrt(c->tol2);
    int x0 = rx <= tol ? -1 : 0, x1 = c->cell - rx <= tol ? 1 : 0;
    int y0 = ry <= tol ? -1 : 0, y1 = c->cell - ry <= tol ? 1 : 0;
    uint32_t best = PL_NONE;
    double bestd = c->tol2;
    for (int dx = x0; dx <= x1; dx++)
        for (int dy = y0; dy <= y1; dy++) {
            if (cx + dx < 0 || cy + dy < 0)
                continue;
            size_t s = slot_of(c, cell_key(cx + dx, cy + dy));
            if (c->slots[s].key == UINT64_MAX)
                continue;
            for (uint32_t k = c->slots[s].head; k != PL_NONE; k = c->next[k]) {
                double ddx = c->x[k] - x, ddy = c->y[k] - y, d = ddx * ddx + ddy * ddy;
                if (d < bestd || (d == bestd && (best == PL_NONE || k < best))) {
                    bestd = d;
                    best = k;
                }
            }
        }
    if (best != PL_NONE)
        return best;
    if (c->n == c->ncap) {
        c->ncap = c->ncap ? c->ncap * 2 : 1024;
        c->x = pl_realloc(c->x, c->ncap * sizeof *c->x);
        c->y = pl_realloc(c->y, c->ncap * sizeof *c->y);
        c->next = pl_realloc(c->next, c->ncap * sizeof *c->next);
    }
    uint32_t id = c->n++;
    c->x[id] = x;
    c->y[id] = y;
    if (2 * (c->used + 1) > c->cap)
        clusterer_grow(c);
    uint64_t key = cell_key(cx, cy);
    size_t s = slot_of(c, key);
    if (c->slots[s].key == UINT64_MAX) {
        c->slots[s].key = key;
        c->slots[s].head = PL_NONE;
        c->used++;
    }
    c->next[id] = c->slots[s].head;
    c->slots[s].head = id;
    return id;
}

/* ---------- junction rule ---------- */

static int structure(const pl_roads *roads, uint32_t r)
{
    return (roads->flags[r] & (PL_ROAD_BRIDGE | PL_ROAD_TUNNEL)) != 0;
}

/* Interior vertex (road a, vertex va) meets vertex vb of road b (endpoint or not). */
static int junction_with(const pl_roads *roads, uint32_t a, size_t va, uint32_t b, size_t vb, int b_is_end)
{
    if (a == b && (va == vb || va + 1 == vb || vb + 1 == va))
        return 0;
    int same_layer = roads->layer[a] == roads->layer[b];
    if (b_is_end)
        return !structure(roads, a) || same_layer;
    return !structure(roads, a) && !structure(roads, b) && same_layer;
}

/* ---------- building ---------- */

typedef struct edge_list {
    uint32_t n, cap;
    uint32_t *a, *b, *road, *v0, *v1;
    float *len, *time;
    uint8_t *dir;
} edge_list;

static void edge_push(edge_list *E, uint32_t a, uint32_t b, uint32_t road, uint32_t v0, uint32_t v1, double len,
                      double time, uint8_t dir)
{
    if (E->n == E->cap) {
        E->cap = E->cap ? E->cap * 2 : 1024;
        E->a = pl_realloc(E->a, E->cap * sizeof *E->a);
        E->b = pl_realloc(E->b, E->cap * sizeof *E->b);
        E->road = pl_realloc(E->road, E->cap * sizeof *E->road);
        E->v0 = pl_realloc(E->v0, E->cap * sizeof *E->v0);
        E->v1 = pl_realloc(E->v1, E->cap * sizeof *E->v1);
        E->len = pl_realloc(E->len, E->cap * sizeof *E->len);
        E->time = pl_realloc(E->time, E->cap * sizeof *E->time);
        E->dir = pl_realloc(E->dir, E->cap * sizeof *E->dir);
    }
    uint32_t i = E->n++;
    E->a[i] = a;
    E->b[i] = b;
    E->road[i] = road;
    E->v0[i] = v0;
    E->v1[i] = v1;
    E->len[i] = (float)len;
    E->time[i] = (float)time;
    E->dir[i] = dir;
}

static uint32_t uf_find(uint32_t *parent, uint32_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

static void compute_components(pl_graph *g)
{
    uint32_t n = g->n_nodes;
    uint32_t *parent = pl_malloc((n ? n : 1) * sizeof *parent);
    for (uint32_t i = 0; i < n; i++)
        parent[i] = i;
    for (uint32_t e = 0; e < g->n_edges; e++) {
        if (!g->edge_dir[e])
            continue;
        uint32_t ra = uf_find(parent, g->edge_a[e]), rb = uf_find(parent, g->edge_b[e]);
        if (ra != rb) {
            /* The lower id becomes the root: roots are each component's lowest node. */
            if (ra < rb)
                parent[rb] = ra;
            else
                parent[ra] = rb;
        }
    }
    uint32_t *size = pl_calloc(n ? n : 1, sizeof *size);
    for (uint32_t i = 0; i < n; i++) {
        parent[i] = uf_find(parent, i);
        size[parent[i]]++;
    }
    uint32_t nc = 0;
    for (uint32_t i = 0; i < n; i++)
        if (parent[i] == i)
            nc++;
    /* Sort roots by size desc, then root id asc: key = (~size << 32) | root. */
    uint64_t *keys = pl_malloc((nc ? nc : 1) * sizeof *keys);
    nc = 0;
    for (uint32_t i = 0; i < n; i++)
        if (parent[i] == i)
            keys[nc++] = ((uint64_t)(UINT32_MAX - size[i]) << 32) | i;
    pl_sort_u64(keys, nc);
    uint32_t *comp_of_root = size; /* reuse after reading sizes */
    g->component_nodes = pl_malloc((nc ? nc : 1) * sizeof *g->component_nodes);
    for (uint32_t c = 0; c < nc; c++) {
        uint32_t root = (uint32_t)keys[c];
        g->component_nodes[c] = UINT32_MAX - (uint32_t)(keys[c] >> 32);
        comp_of_root[root] = c;
    }
    g->n_components = nc;
    g->component = pl_malloc((n ? n : 1) * sizeof *g->component);
    for (uint32_t i = 0; i < n; i++)
        g->component[i] = comp_of_root[parent[i]];
    free(keys);
    free(size);
    free(parent);
}

static void build_csr(pl_graph *g)
{
    uint32_t n = g->n_nodes;
    g->out_begin = pl_big_calloc(((size_t)n + 1) * sizeof *g->out_begin);
    g->in_begin = pl_big_calloc(((size_t)n + 1) * sizeof *g->in_begin);
    size_t na = 0;
    for (uint32_t e = 0; e < g->n_edges; e++) {
        if (g->edge_dir[e] & 1) {
            g->out_begin[g->edge_a[e] + 1]++;
            g->in_begin[g->edge_b[e] + 1]++;
            na++;
        }
        if (g->edge_dir[e] & 2) {
            g->out_begin[g->edge_b[e] + 1]++;
            g->in_begin[g->edge_a[e] + 1]++;
            na++;
        }
    }
    g->n_arcs = (uint32_t)na;
    for (uint32_t v = 0; v < n; v++) {
        g->out_begin[v + 1] += g->out_begin[v];
        g->in_begin[v + 1] += g->in_begin[v];
    }
    g->arc_head = pl_big_alloc((na ? na : 1) * sizeof *g->arc_head);
    g->arc_len_m = pl_big_alloc((na ? na : 1) * sizeof *g->arc_len_m);
    g->arc_time_s = pl_big_alloc((na ? na : 1) * sizeof *g->arc_time_s);
    g->arc_road = pl_big_alloc((na ? na : 1) * sizeof *g->arc_road);
    g->in_arc = pl_big_alloc((na ? na : 1) * sizeof *g->in_arc);
    uint32_t *out_pos = pl_malloc(((size_t)n + 1) * sizeof *out_pos);
    uint32_t *in_pos = pl_malloc(((size_t)n + 1) * sizeof *in_pos);
    memcpy(out_pos, g->out_begin, ((size_t)n + 1) * sizeof *out_pos);
    memcpy(in_pos, g->in_begin, ((size_t)n + 1) * sizeof *in_pos);
    for (uint32_t e = 0; e < g->n_edges; e++)
        for (int d = 0; d < 2; d++) {
            if (!(g->edge_dir[e] & (1 << d)))
                continue;
            uint32_t t = d ? g->edge_b[e] : g->edge_a[e], h = d ? g->edge_a[e] : g->edge_b[e];
            uint32_t i = out_pos[t]++;
            g->arc_head[i] = h;
            g->arc_len_m[i] = g->edge_len_m[e];
            g->arc_time_s[i] = g->edge_time_s[e];
            g->arc_road[i] = g->edge_road[e];
            uint32_t j = in_pos[h]++;
            g->in_arc[j].tail = t;
            g->in_arc[j].len_m = g->edge_len_m[e];
            g->in_arc[j].time_s = g->edge_time_s[e];
        }
    free(out_pos);
    free(in_pos);
}

static pl_graph *build(pl_ctx *ctx, const pl_roads *roads, const pl_graph_opts *o, pl_error *err)
{
    size_t nr = roads->n, nv = roads->first_vertex[nr];
    if (nv >= UINT32_MAX || nr >= UINT32_MAX) {
        pl_error_set(err, PL_EINPUT, "%s: %zu roads with %zu vertices are more than the graph's 32-bit ids hold",
                     roads->source ? roads->source : "roads", nr, nv);
        return NULL;
    }
    double tol = o->snap_tolerance_m > 0 && isfinite(o->snap_tolerance_m) ? o->snap_tolerance_m : 0.0;
    uint8_t *allowed = pl_malloc(nr ? nr : 1);
    double minx = INFINITY, miny = INFINITY, maxx = -INFINITY, maxy = -INFINITY;
    for (size_t r = 0; r < nr; r++) {
        allowed[r] = (uint8_t)pl_graph_road_allowed(roads, r, o->mode);
        if (!allowed[r])
            continue;
        for (size_t v = roads->first_vertex[r]; v < roads->first_vertex[r + 1]; v++) {
            if (roads->vx[v] < minx) minx = roads->vx[v];
            if (roads->vx[v] > maxx) maxx = roads->vx[v];
            if (roads->vy[v] < miny) miny = roads->vy[v];
            if (roads->vy[v] > maxy) maxy = roads->vy[v];
        }
    }
    pl_graph *g = pl_calloc(1, sizeof *g);
    g->mode = o->mode;
    if (!isfinite(minx)) {
        /* No road open to this mode: an empty graph. */
        g->out_begin = pl_calloc(1, sizeof *g->out_begin);
        g->in_begin = pl_calloc(1, sizeof *g->in_begin);
        free(allowed);
        return g;
    }
    double extent = fmax(maxx - minx, maxy - miny);
    clusterer C = {0};
    C.minx = minx - 1.0;
    C.miny = miny - 1.0;
    C.cell = fmax(fmax(4.0 * tol, (extent + 2.0) / 1073741824.0), 1e-6);
    C.inv_cell = 1.0 / C.cell;
    C.tol2 = tol * tol;
    /* Sized for every vertex that may become a node, so the table never grows (rehashing a
     * national network's table took a sixth of the build). */
    size_t candidates = 0;
    for (size_t r = 0; r < nr; r++)
        if (allowed[r]) {
            size_t nvr = roads->first_vertex[r + 1] - roads->first_vertex[r];
            candidates += o->node_intersections ? nvr : (nvr > 1 ? 2 : nvr);
        }
    clusterer_reserve(&C, candidates);

    /* 1. Cluster the vertices that can be nodes. */
    uint32_t *vnode = pl_malloc((nv ? nv : 1) * sizeof *vnode);
    for (size_t r = 0; r < nr; r++) {
        size_t f = roads->first_vertex[r], l = roads->first_vertex[r + 1] - 1;
        for (size_t v = f; v <= l; v++) {
            if (!allowed[r] || (!o->node_intersections && v != f && v != l)) {
                vnode[v] = PL_NONE;
                continue;
            }
            vnode[v] = clusterer_add(&C, roads->vx[v], roads->vy[v]);
        }
        if ((r & 0xffff) == 0)
            pl_progress(ctx, 0.5 * (double)r / (double)nr, "building graph");
    }
    free(C.slots);
    free(C.next);

    /* 2. Decide which vertices attach to their cluster's node. */
    uint32_t ncl = C.n;
    uint32_t *cstart = pl_calloc((size_t)ncl + 1, sizeof *cstart);
    for (size_t v = 0; v < nv; v++)
        if (vnode[v] != PL_NONE)
            cstart[vnode[v] + 1]++;
    for (uint32_t c = 0; c < ncl; c++)
        cstart[c + 1] += cstart[c];
    size_t nocc = cstart[ncl];
    uint32_t *occ_v = pl_malloc((nocc ? nocc : 1) * sizeof *occ_v);
    uint32_t *occ_r = pl_malloc((nocc ? nocc : 1) * sizeof *occ_r);
    uint32_t *fill = pl_malloc(((size_t)ncl + 1) * sizeof *fill);
    memcpy(fill, cstart, ((size_t)ncl + 1) * sizeof *fill);
    for (size_t r = 0; r < nr; r++)
        for (size_t v = roads->first_vertex[r]; v < roads->first_vertex[r + 1]; v++)
            if (vnode[v] != PL_NONE) {
                uint32_t i = fill[vnode[v]]++;
                occ_v[i] = (uint32_t)v;
                occ_r[i] = (uint32_t)r;
            }
    free(fill);
    uint32_t *cnode = pl_malloc(((size_t)ncl ? ncl : 1) * sizeof *cnode);
    uint8_t *attach = NULL;
    size_t attach_cap = 0;
    uint32_t n_nodes = 0;
#define IS_END(v, r) ((v) == roads->first_vertex[r] || (v) + 1 == roads->first_vertex[(r) + 1])
    for (uint32_t c = 0; c < ncl; c++) {
        uint32_t b = cstart[c], e = cstart[c + 1], m = e - b;
        if (m > attach_cap) {
            attach_cap = 2 * m;
            attach = pl_realloc(attach, attach_cap);
        }
        int any = 0;
        for (uint32_t i = 0; i < m; i++) {
            uint32_t v = occ_v[b + i], r = occ_r[b + i];
            attach[i] = 0;
            if (IS_END(v, r)) {
                attach[i] = 1;
            } else {
                for (uint32_t j = 0; j < m && !attach[i]; j++) {
                    if (j == i)
                        continue;
                    uint32_t v2 = occ_v[b + j], r2 = occ_r[b + j];
                    attach[i] = (uint8_t)junction_with(roads, r, v, r2, v2, IS_END(v2, r2));
                }
            }
            any |= attach[i];
        }
        cnode[c] = any ? n_nodes++ : PL_NONE;
        for (uint32_t i = 0; i < m; i++)
            vnode[occ_v[b + i]] = attach[i] ? cnode[c] : PL_NONE;
    }
#undef IS_END
    free(attach);
    free(occ_v);
    free(occ_r);
    free(cstart);

    /* 3. Node coordinates and Hilbert renumbering. */
    double *nx = pl_malloc((n_nodes ? n_nodes : 1) * sizeof *nx);
    double *ny = pl_malloc((n_nodes ? n_nodes : 1) * sizeof *ny);
    for (uint32_t c = 0; c < ncl; c++)
        if (cnode[c] != PL_NONE) {
            nx[cnode[c]] = C.x[c];
            ny[cnode[c]] = C.y[c];
        }
    free(C.x);
    free(C.y);
    free(cnode);
    uint64_t *keys = pl_malloc((n_nodes ? n_nodes : 1) * sizeof *keys);
    double scale = 65535.0 / fmax(extent, 1e-9);
    for (uint32_t i = 0; i < n_nodes; i++) {
        uint32_t hx = (uint32_t)fmin(65535.0, fmax(0.0, (nx[i] - minx) * scale));
        uint32_t hy = (uint32_t)fmin(65535.0, fmax(0.0, (ny[i] - miny) * scale));
        keys[i] = (hilbert_index(hx, hy) << 32) | i;
    }
    pl_sort_u64(keys, n_nodes);
    uint32_t *perm = pl_malloc((n_nodes ? n_nodes : 1) * sizeof *perm);
    g->n_nodes = n_nodes;
    g->node_x = pl_malloc((n_nodes ? n_nodes : 1) * sizeof *g->node_x);
    g->node_y = pl_malloc((n_nodes ? n_nodes : 1) * sizeof *g->node_y);
    for (uint32_t i = 0; i < n_nodes; i++) {
        uint32_t old = (uint32_t)keys[i];
        perm[old] = i;
        g->node_x[i] = nx[old];
        g->node_y[i] = ny[old];
    }
    free(keys);
    free(nx);
    free(ny);

    /* 4. Edges: the polylines between attached vertices. */
    edge_list E = {0};
    for (size_t r = 0; r < nr; r++) {
        if (!allowed[r])
            continue;
        size_t f = roads->first_vertex[r], l = roads->first_vertex[r + 1] - 1;
        double sec_per_m = 3.6 / road_speed_kmh(roads, r, o);
        uint8_t dir = road_dir(roads, r, o->mode);
        size_t prev = f;
        double len = 0;
        for (size_t v = f + 1; v <= l; v++) {
            len += hypot(roads->vx[v] - roads->vx[v - 1], roads->vy[v] - roads->vy[v - 1]);
            if (vnode[v] == PL_NONE)
                continue;
            uint32_t a = perm[vnode[prev]], b = perm[vnode[v]];
            /* Arc costs must be strictly positive for the searches: at least 1 mm. */
            if (len < 1e-3)
                len = 1e-3;
            if (a != b || len > 2.0 * tol)
                edge_push(&E, a, b, (uint32_t)r, (uint32_t)prev, (uint32_t)v, len, len * sec_per_m, dir);
            prev = v;
            len = 0;
        }
        if ((r & 0xffff) == 0)
            pl_progress(ctx, 0.5 + 0.4 * (double)r / (double)nr, "building graph");
    }
    free(perm);
    free(vnode);
    free(allowed);
    g->n_edges = E.n;
    g->edge_a = E.a;
    g->edge_b = E.b;
    g->edge_road = E.road;
    g->edge_v0 = E.v0;
    g->edge_v1 = E.v1;
    g->edge_len_m = E.len;
    g->edge_time_s = E.time;
    g->edge_dir = E.dir;
    if (!E.n) {
        g->edge_a = pl_malloc(sizeof(uint32_t));
        g->edge_b = pl_malloc(sizeof(uint32_t));
        g->edge_road = pl_malloc(sizeof(uint32_t));
        g->edge_v0 = pl_malloc(sizeof(uint32_t));
        g->edge_v1 = pl_malloc(sizeof(uint32_t));
        g->edge_len_m = pl_malloc(sizeof(float));
        g->edge_time_s = pl_malloc(sizeof(float));
        g->edge_dir = pl_malloc(1);
    }

    /* 5. CSR arcs both ways and components. */
    build_csr(g);
    compute_components(g);
    pl_progress(ctx, 1.0, "building graph");
    return g;
}

pl_graph *pl_graph_build(pl_ctx *ctx, const pl_roads *roads, const pl_graph_opts *opts, pl_error *err)
{
    pl_graph_opts o;
    if (opts)
        o = *opts;
    else
        pl_graph_opts_default(&o);
    if (!roads) {
        pl_error_set(err, PL_EINTERNAL, "pl_graph_build: no roads");
        return NULL;
    }
    uint64_t hash = inputs_hash(roads, &o);
    pl_graph *g = NULL;
    if (o.cache_path && *o.cache_path) {
        g = pl_graph_cache_read(ctx, o.cache_path, hash);
        if (g) {
            pl_info(ctx, "graph (%s): read from cache %s", pl_mode_name(o.mode), o.cache_path);
            g->from_cache = 1;
        }
    }
    if (!g) {
        g = build(ctx, roads, &o, err);
        if (!g)
            return NULL;
        g->input_hash = hash;
        if (o.cache_path && *o.cache_path) {
            pl_error cerr = {0};
            pl_graph_keep_snap_index(g, roads);  /* stored with it: a warm run does not build it */
            if (pl_graph_cache_write(ctx, g, o.cache_path, &cerr) != PL_OK)
                pl_warn(ctx, "graph-cache", "%s", cerr.msg);
        }
    }
    pl_graph_info(ctx, g);
    return g;
}

void pl_graph_info(const pl_ctx *ctx, const pl_graph *g)
{
    uint32_t island_nodes = g->n_nodes - (g->n_components ? g->component_nodes[0] : 0);
    pl_info(ctx, "graph (%s): %u nodes, %u arcs, %u edges, %u components; %u islands with %u nodes (%.1f%%) "
            "outside the largest", pl_mode_name(g->mode), g->n_nodes, g->n_arcs, g->n_edges, g->n_components,
            g->n_components ? g->n_components - 1 : 0, island_nodes,
            g->n_nodes ? 100.0 * island_nodes / g->n_nodes : 0.0);
}

void pl_graph_free(pl_graph *g)
{
    if (!g)
        return;
    pl_snap_index_free(g->snap_index);
    if (g->cache_map) {
        munmap(g->cache_map, g->cache_map_size);
        free(g);
        return;
    }
    free(g->node_x);
    free(g->node_y);
    free(g->out_begin);
    free(g->arc_head);
    free(g->arc_len_m);
    free(g->arc_time_s);
    free(g->arc_road);
    free(g->component);
    free(g->component_nodes);
    free(g->edge_a);
    free(g->edge_b);
    free(g->edge_road);
    free(g->edge_v0);
    free(g->edge_v1);
    free(g->edge_len_m);
    free(g->edge_time_s);
    free(g->edge_dir);
    free(g->in_begin);
    free(g->in_arc);
    free(g);
}
