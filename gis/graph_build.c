/* SPDX-License-Identifier: GPL-3.0-or-later */
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
#include <unistd.h>


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

/* Stable LSD radix sort of keys on their 16-bit digits from bit `from` up; tmp holds n keys.
 * A digit the same in every key is skipped. */
static void radix_sort_from(uint64_t *keys, uint64_t *tmp, size_t n, int from)
{
    if (n < 2)
        return;
    uint64_t *src = keys, *dst = tmp;
    size_t *count = pl_malloc(65536 * sizeof *count);
    for (int shift = from; shift < 64; shift += 16) {
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
}

void pl_sort_u64(uint64_t *keys, size_t n)
{
    if (n < 2)
        return;
    uint64_t *tmp = pl_malloc(n * sizeof *tmp);
    radix_sort_from(keys, tmp, n, 0);
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
    uint32_t head[4] = {PL_GRAPH_BUILD_VERSION, (uint32_t)o->mode, (uint32_t)(o->node_intersections != 0),
                        (uint32_t)(roads->node_source != NULL)}; /* joined by ids or by positions */
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
    if (roads->node_source) {
        h = pl_hash_bytes(h, roads->node_source, n * sizeof *roads->node_source);
        h = pl_hash_bytes(h, roads->node_target, n * sizeof *roads->node_target);
    }
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

/* ---------- threads ---------- */

/* The build splits its passes in two, whatever the count (pl_build_threads), so its result
 * does not depend on it. */
static int build_threads(void)
{
    return pl_build_threads();
}

typedef struct builder builder;
typedef void (*part_fn)(builder *b, int part);

/* f0(b, 0) on this thread (the one that may report progress) and f1(b, 1) on a second
 * thread when there is one, else after f0 (pl_run_two). */
typedef struct part_job {
    builder *b;
    part_fn fn[2];
} part_job;

static void part_run(void *arg, int p)
{
    part_job *j = arg;
    j->fn[p](j->b, p);
}

static void run_two(builder *b, int threads, part_fn f0, part_fn f1)
{
    part_job j = {b, {f0, f1}};
    pl_run_two(part_run, &j, threads);
}

/* The two halves [split[p], split[p+1]) of 0..n, cut where cum (n+1 ascending counts, or
 * NULL for the identity) reaches half of its total. */
static void halves(const uint32_t *cum32, const size_t *cum, size_t n, size_t split[3])
{
    size_t total = cum ? cum[n] : cum32 ? cum32[n] : n, lo = 0, hi = n;
    while (lo < hi) { /* first i with cum[i] >= total / 2 */
        size_t mid = lo + (hi - lo) / 2, c = cum ? cum[mid] : cum32 ? cum32[mid] : mid;
        if (c < total / 2)
            lo = mid + 1;
        else
            hi = mid;
    }
    split[0] = 0;
    split[1] = lo;
    split[2] = n;
}

/* ---------- vertex clustering (grid hash) ---------- */

typedef struct clusterer {
    double minx, miny, cell, inv_cell, tol2, look;
    uint32_t *slots; /* cluster id + 1, 0: empty. A slot's cell is its cluster's, recomputed
                        from the position: 4 bytes a slot instead of 12 (the cell beside the
                        id) made the table a third as big, and the memory a cold run first
                        touches a hundred MB smaller (grid-2M) */
    size_t cap;
    const double *vx, *vy;
    double *xy; /* per cluster: x, y of the vertex that made it, side by side (one cache line
                   for both; compact: on a network of 2-vertex lines reading it through the
                   roads' vertex arrays made step 1 slower, grid-2M) */
    uint32_t n;
} clusterer;

/* A cluster's cell along one axis, as cells_near computes it for the cluster's position (and
 * as the table's hash takes it: 32 bits). */
static uint32_t cell_coord(const clusterer *c, double v, double min)
{
    return (uint32_t)(int64_t)((v - min) * c->inv_cell);
}

/* The cell of (x, y) and the neighbours to look at: cells are at least the tolerance wide,
 * so a neighbour only when (x, y) is near its side. */
typedef struct cell_range {
    int64_t cx, cy;
    int x0, x1, y0, y1;
} cell_range;

static void cells_near(const clusterer *c, double x, double y, cell_range *k)
{
    double fx = (x - c->minx) * c->inv_cell, fy = (y - c->miny) * c->inv_cell;
    k->cx = (int64_t)fx;
    k->cy = (int64_t)fy;
    double rx = (fx - (double)k->cx) * c->cell, ry = (fy - (double)k->cy) * c->cell;
    k->x0 = rx <= c->look ? -1 : 0;
    k->x1 = c->cell - rx <= c->look ? 1 : 0;
    k->y0 = ry <= c->look ? -1 : 0;
    k->y1 = c->cell - ry <= c->look ? 1 : 0;
}

static size_t home_slot(const clusterer *c, uint32_t cx, uint32_t cy)
{
    uint64_t h = (((uint64_t)cx << 32) | cy) * 0x9e3779b97f4a7c15ULL;
    return (size_t)(((unsigned __int128)h * c->cap) >> 64); /* h scaled to 0..cap-1 */
}

static size_t next_slot(const clusterer *c, size_t s)
{
    return s + 1 == c->cap ? 0 : s + 1;
}

/* Cluster id of vertex v: the nearest cluster within the tolerance (ties: the older), else a
 * new one. */
static uint32_t clusterer_add(clusterer *c, uint32_t v)
{
    double x = c->vx[v], y = c->vy[v];
    cell_range k;
    cells_near(c, x, y, &k);
    uint32_t best = PL_NONE;
    double bestd = c->tol2;
    for (int dx = k.x0; dx <= k.x1; dx++)
        for (int dy = k.y0; dy <= k.y1; dy++) {
            if (k.cx + dx < 0 || k.cy + dy < 0)
                continue;
            uint32_t cx = (uint32_t)(k.cx + dx), cy = (uint32_t)(k.cy + dy);
            for (size_t s = home_slot(c, cx, cy); c->slots[s]; s = next_slot(c, s)) {
                uint32_t id = c->slots[s] - 1;
                double px = c->xy[2 * (size_t)id], py = c->xy[2 * (size_t)id + 1];
                if (cell_coord(c, px, c->minx) != cx || cell_coord(c, py, c->miny) != cy)
                    continue;
                double ddx = px - x, ddy = py - y, d = ddx * ddx + ddy * ddy;
                if (d < bestd || (d == bestd && (best == PL_NONE || id < best))) {
                    bestd = d;
                    best = id;
                }
            }
        }
    if (best != PL_NONE)
        return best;
    size_t s = home_slot(c, (uint32_t)k.cx, (uint32_t)k.cy);
    while (c->slots[s])
        s = next_slot(c, s);
    c->slots[s] = c->n + 1;
    c->xy[2 * (size_t)c->n] = x;
    c->xy[2 * (size_t)c->n + 1] = y;
    return c->n++;
}

/* ---------- junction rule ---------- */

static int structure(const pl_roads *roads, uint32_t r)
{
    return (roads->flags[r] & (PL_ROAD_BRIDGE | PL_ROAD_TUNNEL)) != 0;
}

/* Whether vertex va of road a and vertex vb of road b, at one place, are one junction: the
 * table in graph.h. Symmetric. */
static int joins(const pl_roads *roads, uint32_t a, size_t va, int a_end, uint32_t b, size_t vb, int b_end)
{
    if (a_end && b_end)
        return 1;
    if (a == b && (va + 1 == vb || vb + 1 == va))
        return 0; /* a short segment of one line, not a visit */
    if (roads->layer[a] == roads->layer[b])
        return 1;
    if (a_end == b_end)
        return 0; /* two interior vertices on different layers: a crossing */
    return !structure(roads, a_end ? b : a); /* an end on a plain street's interior vertex */
}

/* ---------- building ---------- */

/* The state of one build. The passes over roads, clusters, nodes and arcs run in two parts,
 * each on its own range, results concatenated in order: the graph is the same with one or
 * two threads. Part 0 runs on the calling thread and alone reports progress. */
struct builder {
    pl_ctx *ctx;
    const pl_roads *roads;
    const pl_graph_opts *o;
    int threads;
    size_t nr, nv;
    double tol;
    size_t rsplit[3];     /* the roads of each part, balanced on vertices */
    uint8_t *allowed;     /* per road: open to the mode */
    double box[2][4];     /* per part: min x, min y, max x, max y of the allowed roads */
    size_t cand[2];       /* per part: vertices that may become nodes */
    uint32_t *vnode;      /* per vertex: its cluster (step 1), then its node or PL_NONE (step 2) */
    uint32_t n_clusters;
    char *scratch;        /* the temporaries of every step, one step after the other: first
                             touches of fresh memory are slow on this VM (~3 ms/MB) */
    clusterer C[2];       /* step 1: C[0] alone, or one per side of split_x (see split_clusters) */
    double split_x;
    uint64_t *hash;       /* when set: inputs_hash, computed while step 1 runs */
    /* step 2 */
    uint32_t *cstart;     /* the vertices of cluster c are occ_*[cstart[c] .. cstart[c+1]-1] */
    uint32_t *occ_v, *occ_r;
    uint32_t *occ_g;      /* per occurrence: its node among the cluster's, PL_NONE: not attached */
    uint32_t *cnodes;     /* per cluster: how many nodes it makes (0, 1, or more when junctions on
                             different layers share a place) */
    size_t cand_all;      /* node_vertex has room for this many (every candidate vertex) */
    size_t csplit[3];
    uint32_t part_nodes[2];
    uint32_t *node_vertex; /* per node (before renumbering): the vertex that made its cluster */
    uint32_t n_nodes;
    /* step 3 */
    double minx, miny, extent;
    size_t nsplit[3];
    uint64_t *keys;
    uint32_t *perm;       /* node id before renumbering -> after */
    /* steps 4 and 5 */
    pl_graph *g;
    pl_graph *spare;      /* derive: a graph whose arrays g may take (pl_graph_build_like_spare) */
    uint32_t part_edges[2];
    size_t esplit[3];
};

static uint64_t inputs_hash(const pl_roads *roads, const pl_graph_opts *o);
static void hash_part(builder *b, int p);

/* Step 0: the roads open to the mode, their bounding box and the vertices that may be nodes. */
static void allowed_part(builder *b, int p)
{
    const pl_roads *roads = b->roads;
    double minx = INFINITY, miny = INFINITY, maxx = -INFINITY, maxy = -INFINITY;
    size_t cand = 0;
    for (size_t r = b->rsplit[p]; r < b->rsplit[p + 1]; r++) {
        b->allowed[r] = (uint8_t)pl_graph_road_allowed(roads, r, b->o->mode);
        if (!b->allowed[r])
            continue;
        size_t f = roads->first_vertex[r], e = roads->first_vertex[r + 1];
        for (size_t v = f; v < e; v++) {
            if (roads->vx[v] < minx) minx = roads->vx[v];
            if (roads->vx[v] > maxx) maxx = roads->vx[v];
            if (roads->vy[v] < miny) miny = roads->vy[v];
            if (roads->vy[v] > maxy) maxy = roads->vy[v];
        }
        cand += b->o->node_intersections && !roads->node_source ? e - f : (e - f > 1 ? 2 : e - f);
    }
    b->box[p][0] = minx;
    b->box[p][1] = miny;
    b->box[p][2] = maxx;
    b->box[p][3] = maxy;
    b->cand[p] = cand;
}

/* Step 1 (sequential: a vertex joins the clusters of the vertices before it). */
static void cluster_part(builder *b, int p)
{
    (void)p;
    const pl_roads *roads = b->roads;
    for (size_t r = 0; r < b->nr; r++) {
        size_t f = roads->first_vertex[r], e = roads->first_vertex[r + 1];
        for (size_t v = f; v < e; v++) {
            if (!b->allowed[r] || (!b->o->node_intersections && v != f && v + 1 != e)) {
                b->vnode[v] = PL_NONE;
                continue;
            }
            b->vnode[v] = clusterer_add(&b->C[0], (uint32_t)v);
        }
        if ((r & 0xffff) == 0)
            pl_progress(b->ctx, 0.5 * (double)r / (double)b->nr, "building graph");
    }
    b->n_clusters = b->C[0].n;
}

/* Step 1 on two threads: part p clusters, in vertex order, the vertices on its side of
 * split_x (p = 1: x >= split_x) with a table of its own. No vertex lies within the tolerance
 * of one on the other side (split_clusters chose split_x so), so each side gets the clusters
 * the sequential pass gives it; merge_clusters then numbers them as that pass does. vnode
 * holds the cluster's number in its part, with the part in the top bit. */
static void cluster_side_part(builder *b, int p)
{
    const pl_roads *roads = b->roads;
    const uint32_t side_bit = p ? 0x80000000u : 0;
    for (size_t r = 0; r < b->nr; r++) {
        size_t f = roads->first_vertex[r], e = roads->first_vertex[r + 1];
        for (size_t v = f; v < e; v++) {
            if ((roads->vx[v] >= b->split_x) != p)
                continue;
            if (!b->allowed[r] || (!b->o->node_intersections && v != f && v + 1 != e)) {
                b->vnode[v] = PL_NONE;
                continue;
            }
            b->vnode[v] = clusterer_add(&b->C[p], (uint32_t)v) | side_bit;
        }
        if (p == 0 && (r & 0xffff) == 0)
            pl_progress(b->ctx, 0.5 * (double)r / (double)b->nr, "building graph");
    }
    if (p == 1)
        hash_part(b, 1);
}

/* An end of a line and its topology id (as an unsigned key: the sort order does not matter,
 * only equality). */
typedef struct id_end {
    uint64_t key;
    uint32_t v;
} id_end;

static int id_end_cmp(const void *pa, const void *pb)
{
    const id_end *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return a->v < b->v ? -1 : a->v > b->v;
}

/* Step 1 for roads that carry topology: the ends of the allowed lines clustered by their ids
 * (equal ids, one cluster, wherever the vertices lie); interior vertices are never nodes.
 * Clusters are numbered by their first vertex, as the grid pass numbers them. */
static void cluster_ids_part(builder *b, int p)
{
    (void)p;
    const pl_roads *roads = b->roads;
    memset(b->vnode, 0xff, (b->nv ? b->nv : 1) * sizeof *b->vnode);
    size_t n = 0;
    for (size_t r = 0; r < b->nr; r++)
        n += b->allowed[r] ? 2 : 0;
    id_end *ends = pl_malloc((n ? n : 1) * sizeof *ends);
    n = 0;
    for (size_t r = 0; r < b->nr; r++) {
        if (!b->allowed[r])
            continue;
        ends[n++] = (id_end){(uint64_t)roads->node_source[r], (uint32_t)roads->first_vertex[r]};
        ends[n++] = (id_end){(uint64_t)roads->node_target[r], (uint32_t)(roads->first_vertex[r + 1] - 1)};
    }
    pl_progress(b->ctx, 0.1, "building graph");
    qsort(ends, n, sizeof *ends, id_end_cmp);
    uint32_t groups = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || ends[i].key != ends[i - 1].key)
            groups++;
        b->vnode[ends[i].v] = groups - 1;
    }
    free(ends);
    uint32_t *map = pl_malloc((groups ? groups : 1) * sizeof *map), next = 0;
    memset(map, 0xff, (groups ? groups : 1) * sizeof *map);
    for (size_t v = 0; v < b->nv; v++) {
        uint32_t g = b->vnode[v];
        if (g == PL_NONE)
            continue;
        if (map[g] == PL_NONE)
            map[g] = next++;
        b->vnode[v] = map[g];
    }
    free(map);
    b->n_clusters = next;
}

static void hash_part(builder *b, int p)
{
    (void)p;
    if (b->hash)
        *b->hash = inputs_hash(b->roads, b->o);
}

/* Step 2 (per cluster): its vertices grouped into junctions (see graph.h): two vertices
 * that join are in one group, and so are those joined through others; a group with a line
 * end or two vertices is a node. Vertices in no node are marked PL_NONE in vnode. */
static uint32_t group_root(uint32_t *parent, uint32_t i)
{
    while (parent[i] != i)
        i = parent[i] = parent[parent[i]];
    return i;
}

static void decide_part(builder *b, int p)
{
    const pl_roads *roads = b->roads;
    uint32_t *parent = NULL, *label = NULL;
    uint8_t *end = NULL, *worthy = NULL;
    size_t cap = 0;
#define IS_END(v, r) ((v) == roads->first_vertex[r] || (v) + 1 == roads->first_vertex[(r) + 1])
    uint32_t nodes = 0;
    for (size_t c = b->csplit[p]; c < b->csplit[p + 1]; c++) {
        const uint32_t *occ_v = b->occ_v + b->cstart[c], *occ_r = b->occ_r + b->cstart[c];
        uint32_t *occ_g = b->occ_g + b->cstart[c];
        uint32_t m = b->cstart[c + 1] - b->cstart[c];
        if (m == 1) { /* the common case: a lone vertex is a node when it ends its line */
            int e1 = IS_END(occ_v[0], occ_r[0]);
            occ_g[0] = e1 ? 0 : PL_NONE;
            b->cnodes[c] = (uint32_t)e1;
            nodes += (uint32_t)e1;
            if (!e1)
                b->vnode[occ_v[0]] = PL_NONE;
            continue;
        }
        if (m > cap) {
            cap = 2 * (size_t)m;
            parent = pl_realloc(parent, cap * sizeof *parent);
            label = pl_realloc(label, cap * sizeof *label);
            end = pl_realloc(end, cap);
            worthy = pl_realloc(worthy, cap);
        }
        for (uint32_t i = 0; i < m; i++) {
            parent[i] = i;
            end[i] = (uint8_t)IS_END(occ_v[i], occ_r[i]);
            worthy[i] = 0;
            label[i] = PL_NONE;
        }
        for (uint32_t i = 0; i < m; i++)
            for (uint32_t j = i + 1; j < m; j++) {
                uint32_t ri = group_root(parent, i), rj = group_root(parent, j);
                if (ri == rj || !joins(roads, occ_r[i], occ_v[i], end[i], occ_r[j], occ_v[j], end[j]))
                    continue;
                if (ri < rj) /* the lower index roots: the group's first vertex */
                    parent[rj] = ri;
                else
                    parent[ri] = rj;
                worthy[ri < rj ? ri : rj] = 1; /* two vertices */
            }
        uint32_t k = 0;
        for (uint32_t i = 0; i < m; i++) {
            uint32_t r = group_root(parent, i);
            if (end[i])
                worthy[r] = 1;
        }
        for (uint32_t i = 0; i < m; i++) { /* nodes numbered by their first vertex */
            uint32_t r = group_root(parent, i);
            if (worthy[r] && label[r] == PL_NONE)
                label[r] = k++;
            occ_g[i] = worthy[r] ? label[r] : PL_NONE;
            if (!worthy[r])
                b->vnode[occ_v[i]] = PL_NONE;
        }
        b->cnodes[c] = k;
        nodes += k;
    }
#undef IS_END
    free(parent);
    free(label);
    free(end);
    free(worthy);
    b->part_nodes[p] = nodes;
}

/* Step 2, then: node ids in cluster order (within one, by first vertex); vnode from cluster
 * to node. */
static void number_part(builder *b, int p)
{
    uint32_t node = p ? b->part_nodes[0] : 0;
    for (size_t c = b->csplit[p]; c < b->csplit[p + 1]; c++) {
        if (!b->cnodes[c])
            continue;
        uint32_t seen = 0;
        for (uint32_t i = b->cstart[c]; i < b->cstart[c + 1]; i++) {
            uint32_t g = b->occ_g[i];
            if (g == PL_NONE)
                continue;
            b->vnode[b->occ_v[i]] = node + g;
            if (g == seen) /* the lowest vertex of the node made it */
                b->node_vertex[node + seen++] = b->occ_v[i];
        }
        node += b->cnodes[c];
    }
}

/* Step 3: Hilbert keys of the nodes (key << 32 | node). */
static void hilbert_part(builder *b, int p)
{
    double scale = 65535.0 / fmax(b->extent, 1e-9);
    for (size_t i = b->nsplit[p]; i < b->nsplit[p + 1]; i++) {
        uint32_t v = b->node_vertex[i];
        uint32_t hx = (uint32_t)fmin(65535.0, fmax(0.0, (b->roads->vx[v] - b->minx) * scale));
        uint32_t hy = (uint32_t)fmin(65535.0, fmax(0.0, (b->roads->vy[v] - b->miny) * scale));
        b->keys[i] = (hilbert_index(hx, hy) << 32) | i;
    }
}

static void place_part(builder *b, int p)
{
    pl_graph *g = b->g;
    for (size_t i = b->nsplit[p]; i < b->nsplit[p + 1]; i++) {
        uint32_t old = (uint32_t)b->keys[i], v = b->node_vertex[old];
        b->perm[old] = (uint32_t)i;
        g->node_x[i] = b->roads->vx[v];
        g->node_y[i] = b->roads->vy[v];
    }
}

/* Step 4: the length of a road's piece between vertices prev and v, at least 1 mm (arc costs
 * must be strictly positive for the searches). */
static double piece_len(const pl_roads *roads, size_t prev, size_t v)
{
    double len = 0;
    for (size_t w = prev + 1; w <= v; w++)
        len += hypot(roads->vx[w] - roads->vx[w - 1], roads->vy[w] - roads->vy[w - 1]);
    return len < 1e-3 ? 1e-3 : len;
}

/* A piece is an edge unless it is a loop no longer than twice the tolerance. */
static void count_part(builder *b, int p)
{
    const pl_roads *roads = b->roads;
    uint32_t n = 0;
    for (size_t r = b->rsplit[p]; r < b->rsplit[p + 1]; r++) {
        if (!b->allowed[r])
            continue;
        size_t f = roads->first_vertex[r], e = roads->first_vertex[r + 1], prev = f;
        for (size_t v = f + 1; v < e; v++) {
            if (b->vnode[v] == PL_NONE)
                continue;
            if (b->vnode[prev] != b->vnode[v] || piece_len(roads, prev, v) > 2.0 * b->tol)
                n++;
            prev = v;
        }
    }
    b->part_edges[p] = n;
}

static void edges_part(builder *b, int p)
{
    const pl_roads *roads = b->roads;
    pl_graph *g = b->g;
    uint32_t i = p ? b->part_edges[0] : 0;
    for (size_t r = b->rsplit[p]; r < b->rsplit[p + 1]; r++) {
        if (!b->allowed[r])
            continue;
        size_t f = roads->first_vertex[r], e = roads->first_vertex[r + 1], prev = f;
        double sec_per_m = 3.6 / road_speed_kmh(roads, r, b->o);
        uint8_t dir = road_dir(roads, r, b->o->mode);
        for (size_t v = f + 1; v < e; v++) {
            if (b->vnode[v] == PL_NONE)
                continue;
            uint32_t a = b->perm[b->vnode[prev]], bb = b->perm[b->vnode[v]];
            double len = piece_len(roads, prev, v);
            if (a != bb || len > 2.0 * b->tol) {
                g->edge_a[i] = a;
                g->edge_b[i] = bb;
                g->edge_road[i] = (uint32_t)r;
                g->edge_v0[i] = (uint32_t)prev;
                g->edge_v1[i] = (uint32_t)v;
                g->edge_len_m[i] = (float)len;
                g->edge_time_s[i] = (float)(len * sec_per_m);
                g->edge_dir[i] = dir;
                i++;
            }
            prev = v;
        }
        if (p == 0 && (r & 0xffff) == 0)
            pl_progress(b->ctx, 0.5 + 0.4 * (double)r / (double)b->rsplit[1], "building graph");
    }
}

static uint32_t uf_find(uint32_t *parent, uint32_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

/* *p, taken (NULL stays NULL): a spare graph's array for g. */
static void *take(void *pp)
{
    void **p = pp, *q = *p;
    *p = NULL;
    return q;
}

/* parent and size: n_nodes (at least 1) each, temporaries. spare: NULL, or a graph with as
 * many nodes whose component array g takes. */
static void compute_components(pl_graph *g, uint32_t *parent, uint32_t *size, pl_graph *spare)
{
    uint32_t n = g->n_nodes;
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
    memset(size, 0, (n ? n : 1) * sizeof *size);
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
    g->component = spare && spare->component ? take(&spare->component) : pl_malloc((n ? n : 1) * sizeof *g->component);
    for (uint32_t i = 0; i < n; i++)
        g->component[i] = comp_of_root[parent[i]];
    free(keys);
}

/* Step 5: the arcs leaving each node (part 0), and those entering each node with the
 * components (part 1). pos: n_nodes + 1 temporaries. */
/* CSR offsets (n_nodes + 1) of the arcs leaving (incoming = 0) or entering each node, in
 * begin (NULL: a new array). */
static uint32_t *arc_offsets(const pl_graph *g, int incoming, uint32_t *begin)
{
    uint32_t n = g->n_nodes;
    if (begin)
        memset(begin, 0, ((size_t)n + 1) * sizeof *begin);
    else
        begin = pl_big_calloc(((size_t)n + 1) * sizeof *begin);
    for (uint32_t e = 0; e < g->n_edges; e++) {
        uint32_t a = incoming ? g->edge_b[e] : g->edge_a[e], b = incoming ? g->edge_a[e] : g->edge_b[e];
        if (g->edge_dir[e] & 1)
            begin[a + 1]++;
        if (g->edge_dir[e] & 2)
            begin[b + 1]++;
    }
    for (uint32_t v = 0; v < n; v++)
        begin[v + 1] += begin[v];
    return begin;
}

static void csr_out(pl_graph *g, uint32_t *pos)
{
    uint32_t n = g->n_nodes;
    g->out_begin = arc_offsets(g, 0, NULL);
    size_t na = g->out_begin[n];
    g->arc_head = pl_big_alloc((na ? na : 1) * sizeof *g->arc_head);
    g->arc_len_m = pl_big_alloc((na ? na : 1) * sizeof *g->arc_len_m);
    g->arc_time_s = pl_big_alloc((na ? na : 1) * sizeof *g->arc_time_s);
    g->arc_road = pl_big_alloc((na ? na : 1) * sizeof *g->arc_road);
    memcpy(pos, g->out_begin, ((size_t)n + 1) * sizeof *pos);
    for (uint32_t e = 0; e < g->n_edges; e++)
        for (int d = 0; d < 2; d++) {
            if (!(g->edge_dir[e] & (1 << d)))
                continue;
            uint32_t t = d ? g->edge_b[e] : g->edge_a[e], h = d ? g->edge_a[e] : g->edge_b[e];
            uint32_t i = pos[t]++;
            g->arc_head[i] = h;
            g->arc_len_m[i] = g->edge_len_m[e];
            g->arc_time_s[i] = g->edge_time_s[e];
            g->arc_road[i] = g->edge_road[e];
        }
}

/* spare: NULL, or a graph with as many nodes whose arrays of arcs g takes (in_arc when it
 * holds as many arcs). */
static void csr_in(pl_graph *g, uint32_t *pos, pl_graph *spare)
{
    uint32_t n = g->n_nodes;
    g->in_begin = arc_offsets(g, 1, spare ? take(&spare->in_begin) : NULL);
    size_t na = g->in_begin[n];
    g->in_arc = spare && spare->in_arc && spare->n_arcs >= na ? take(&spare->in_arc)
                                                               : pl_big_alloc((na ? na : 1) * sizeof *g->in_arc);
    memcpy(pos, g->in_begin, ((size_t)n + 1) * sizeof *pos);
    for (uint32_t e = 0; e < g->n_edges; e++)
        for (int d = 0; d < 2; d++) {
            if (!(g->edge_dir[e] & (1 << d)))
                continue;
            uint32_t t = d ? g->edge_b[e] : g->edge_a[e], h = d ? g->edge_a[e] : g->edge_b[e];
            uint32_t j = pos[h]++;
            g->in_arc[j].tail = t;
            g->in_arc[j].len_m = g->edge_len_m[e];
            g->in_arc[j].time_s = g->edge_time_s[e];
        }
}

static void csr_out_part(builder *b, int p)
{
    (void)p;
    csr_out(b->g, (uint32_t *)b->scratch);
}

static void csr_in_part(builder *b, int p)
{
    (void)p;
    size_t n1 = (size_t)b->g->n_nodes + 1;
    uint32_t *pos = (uint32_t *)b->scratch + n1;
    csr_in(b->g, pos, b->spare);
    compute_components(b->g, pos + n1, pos + 2 * n1, b->spare);
}

/* Without forward arcs (skip_forward_arcs): the arcs entering each node on one thread, the
 * components (from the edges alone) on the other. */
static void csr_in_only_part(builder *b, int p)
{
    (void)p;
    csr_in(b->g, (uint32_t *)b->scratch + ((size_t)b->g->n_nodes + 1), b->spare);
}

static void components_part(builder *b, int p)
{
    (void)p;
    size_t n1 = (size_t)b->g->n_nodes + 1;
    uint32_t *pos = (uint32_t *)b->scratch + 2 * n1;
    compute_components(b->g, pos, pos + n1, b->spare);
}

/* Step 5: the arcs and the components; forward arcs unless o->skip_forward_arcs. n_arcs from
 * the arcs entering each node (every arc enters one). */
static void make_arcs(builder *b)
{
    if (b->o->skip_forward_arcs && !(b->o->cache_path && *b->o->cache_path))
        run_two(b, b->threads, csr_in_only_part, components_part);
    else
        run_two(b, b->threads, csr_out_part, csr_in_part);
    b->g->n_arcs = b->g->in_begin[b->g->n_nodes];
}

/* n bytes of the scratch block from *off (rounded up to 8 for the 64-bit keys) on. */
static void *carve(builder *b, size_t *off, size_t n)
{
    *off = (*off + 7) & ~(size_t)7;
    void *p = b->scratch + *off;
    *off += n;
    return p;
}

static pl_graph *empty_graph(builder *b)
{
    pl_graph *g = pl_calloc(1, sizeof *g);
    g->mode = b->o->mode;
    g->out_begin = pl_calloc(1, sizeof *g->out_begin);
    g->in_begin = pl_calloc(1, sizeof *g->in_begin);
    hash_part(b, 1);
    return g;
}

/* An empty clusterer for up to cand clusters, its table and positions carved from the
 * scratch block at *off. */
static void clusterer_init(builder *b, clusterer *C, size_t cand, size_t *off)
{
    C->minx = b->minx - 1.0;
    C->miny = b->miny - 1.0;
    C->cell = fmax(fmax(4.0 * b->tol, (b->extent + 2.0) / 1073741824.0), 1e-6);
    C->inv_cell = 1.0 / C->cell;
    C->tol2 = b->tol * b->tol;
    C->look = sqrt(C->tol2);
    C->vx = b->roads->vx;
    C->vy = b->roads->vy;
    C->n = 0;
    C->cap = 2 * cand + 2;
    size_t table = C->cap * sizeof *C->slots;
    C->slots = carve(b, off, table);
    C->xy = carve(b, off, 2 * cand * sizeof *C->xy);
    memset(C->slots, 0, table); /* empty */
}

static int is_candidate(const builder *b, size_t r, size_t v)
{
    const pl_roads *roads = b->roads;
    return b->allowed[r] && (b->o->node_intersections || v == roads->first_vertex[r] ||
                             v + 1 == roads->first_vertex[r + 1]);
}

/* Looks for split_x for the two-sided step 1: a vertical strip wider than the tolerance that
 * no candidate vertex lies in, near the x that halves them (between 30 and 70 %). Counts
 * candidates per strip-wide bin of x (in the scratch block, before its use). Sets split_x
 * and each side's candidates; 0 when there is no such strip (then step 1 runs in one pass). */
static int split_clusters(builder *b, size_t scratch_bytes, double maxx, size_t side_cand[2])
{
    const pl_roads *roads = b->roads;
    size_t cand = b->cand[0] + b->cand[1];
    double bin = b->tol * 1.001 + 1e-6; /* an empty bin is a gap wider than the tolerance */
    if (cand < 2 || b->nv >= 0x7fffffffu || !(maxx > b->minx))
        return 0;
    size_t max_bins = scratch_bytes / sizeof(uint32_t);
    if (max_bins > ((size_t)1 << 22))
        max_bins = (size_t)1 << 22;
    if (max_bins < 16)
        return 0;
    double span = maxx - b->minx;
    if (span / bin >= (double)(max_bins - 2))
        bin = span / (double)(max_bins - 2); /* wider bins: an empty one is a wider gap still */
    size_t nbins = (size_t)(span / bin) + 1;
    uint32_t *count = (uint32_t *)b->scratch;
    memset(count, 0, nbins * sizeof *count);
    for (size_t r = 0; r < b->nr; r++) {
        if (!b->allowed[r])
            continue;
        for (size_t v = roads->first_vertex[r]; v < roads->first_vertex[r + 1]; v++)
            if (is_candidate(b, r, v)) {
                size_t k = (size_t)((roads->vx[v] - b->minx) / bin);
                count[k < nbins ? k : nbins - 1]++;
            }
    }
    /* An empty bin j (not the first or last) splits the candidates into those of the bins
     * before it and those after; the one nearest an even split wins (ties: the first). */
    size_t below = 0, best_below = 0, best = 0, lo = cand * 3 / 10, hi = cand * 7 / 10;
    for (size_t j = 1; j + 1 < nbins; j++) {
        below += count[j - 1];
        if (count[j] != 0 || below < lo || below > hi)
            continue;
        size_t off_half = below > cand / 2 ? below - cand / 2 : cand / 2 - below;
        size_t best_off = best_below > cand / 2 ? best_below - cand / 2 : cand / 2 - best_below;
        if (!best || off_half < best_off) {
            best = j;
            best_below = below;
        }
    }
    if (!best)
        return 0;
    b->split_x = b->minx + ((double)best + 0.5) * bin;
    side_cand[0] = best_below;
    side_cand[1] = cand - best_below;
    return side_cand[0] > 0 && side_cand[1] > 0;
}

/* After cluster_side_part: numbers the clusters of both sides in the order the sequential
 * pass creates them (by the vertex that made each: the first, in vertex order, to join it). */
static void merge_clusters(builder *b)
{
    uint32_t *map[2], next[2] = {0, 0}, n = 0;
    size_t off = 0; /* the tables are done with: the numbering re-uses their memory */
    map[0] = carve(b, &off, ((size_t)b->C[0].n + 1) * sizeof *map[0]);
    map[1] = carve(b, &off, ((size_t)b->C[1].n + 1) * sizeof *map[1]);
    for (size_t v = 0; v < b->nv; v++) {
        uint32_t c = b->vnode[v];
        if (c == PL_NONE)
            continue;
        int p = (int)(c >> 31);
        c &= 0x7fffffffu;
        if (c == next[p]) {
            map[p][c] = n++;
            next[p]++;
        }
        b->vnode[v] = map[p][c];
    }
    b->n_clusters = n;
}

/* Steps 0 and 1: returns 0 when no road is open to the mode. */
static int cluster_vertices(builder *b)
{
    const pl_roads *roads = b->roads;
    halves(NULL, roads->first_vertex, b->nr, b->rsplit);
    b->allowed = pl_malloc(b->nr ? b->nr : 1);
    run_two(b, b->threads, allowed_part, allowed_part);
    b->minx = b->box[1][0] < b->box[0][0] ? b->box[1][0] : b->box[0][0];
    b->miny = b->box[1][1] < b->box[0][1] ? b->box[1][1] : b->box[0][1];
    double maxx = b->box[1][2] > b->box[0][2] ? b->box[1][2] : b->box[0][2];
    double maxy = b->box[1][3] > b->box[0][3] ? b->box[1][3] : b->box[0][3];
    if (!isfinite(b->minx))
        return 0;
    b->extent = fmax(maxx - b->minx, maxy - b->miny);
    /* A table at most half full for every vertex that may become a node: it never grows
     * (rehashing a national network's table took a sixth of the build). With the clusters'
     * positions it is 24 bytes per such vertex; the later steps' temporaries re-use its
     * block (step 2 takes the most: up to 28). */
    size_t cand = b->cand[0] + b->cand[1];
    size_t bytes = 28 * cand + 128;
    b->cand_all = cand;
    b->scratch = pl_big_alloc(bytes);
    b->vnode = pl_big_alloc((b->nv ? b->nv : 1) * sizeof *b->vnode);
    size_t side_cand[2];
    if (b->roads->node_source) {
        run_two(b, b->threads, cluster_ids_part, hash_part);
    } else if (b->threads > 1 && split_clusters(b, bytes, maxx, side_cand)) {
        size_t off = 0;
        for (int p = 0; p < 2; p++)
            clusterer_init(b, &b->C[p], side_cand[p], &off);
        run_two(b, b->threads, cluster_side_part, cluster_side_part);
        merge_clusters(b);
    } else {
        size_t off = 0;
        clusterer_init(b, &b->C[0], cand, &off);
        run_two(b, b->threads, cluster_part, hash_part);
    }
    return 1;
}

/* Step 2: the clusters' vertices, the junction decisions, the node ids. */
static void make_nodes(builder *b)
{
    const pl_roads *roads = b->roads;
    uint32_t ncl = b->n_clusters;
    size_t off = 0;
    b->node_vertex = carve(b, &off, b->cand_all * sizeof *b->node_vertex); /* nodes <= vertices */
    b->cstart = carve(b, &off, ((size_t)ncl + 1) * sizeof *b->cstart);
    memset(b->cstart, 0, ((size_t)ncl + 1) * sizeof *b->cstart);
    for (size_t v = 0; v < b->nv; v++)
        if (b->vnode[v] != PL_NONE)
            b->cstart[b->vnode[v] + 1]++;
    for (uint32_t c = 0; c < ncl; c++)
        b->cstart[c + 1] += b->cstart[c];
    size_t nocc = b->cstart[ncl];
    b->occ_v = carve(b, &off, nocc * sizeof *b->occ_v);
    b->occ_r = carve(b, &off, nocc * sizeof *b->occ_r);
    b->occ_g = carve(b, &off, nocc * sizeof *b->occ_g);
    b->cnodes = carve(b, &off, (size_t)ncl * sizeof *b->cnodes);
    uint32_t *fill = carve(b, &off, ((size_t)ncl + 1) * sizeof *fill);
    memcpy(fill, b->cstart, ((size_t)ncl + 1) * sizeof *fill);
    for (size_t r = 0; r < b->nr; r++)
        for (size_t v = roads->first_vertex[r]; v < roads->first_vertex[r + 1]; v++)
            if (b->vnode[v] != PL_NONE) {
                uint32_t i = fill[b->vnode[v]]++;
                b->occ_v[i] = (uint32_t)v;
                b->occ_r[i] = (uint32_t)r;
            }
    halves(b->cstart, NULL, ncl, b->csplit);
    run_two(b, b->threads, decide_part, decide_part);
    b->n_nodes = b->part_nodes[0] + b->part_nodes[1];
    run_two(b, b->threads, number_part, number_part);
}

/* Step 3: nodes renumbered along a Hilbert curve, and their coordinates. */
static void order_nodes(builder *b)
{
    uint32_t n = b->n_nodes;
    size_t off = b->cand_all * sizeof *b->node_vertex; /* keeps node_vertex */
    b->keys = carve(b, &off, (size_t)n * sizeof *b->keys);
    uint64_t *tmp = carve(b, &off, (size_t)n * sizeof *tmp);
    b->perm = carve(b, &off, (size_t)n * sizeof *b->perm);
    halves(NULL, NULL, n, b->nsplit);
    run_two(b, b->threads, hilbert_part, hilbert_part);
    /* The low 32 bits ascend with the index (unique): a stable sort on the high 32 bits
     * gives the full order in two radix passes instead of four. */
    radix_sort_from(b->keys, tmp, n, 32);
    pl_graph *g = b->g;
    g->n_nodes = n;
    g->node_x = pl_malloc((n ? n : 1) * sizeof *g->node_x);
    g->node_y = pl_malloc((n ? n : 1) * sizeof *g->node_y);
    run_two(b, b->threads, place_part, place_part);
}

/* Step 4: edges, the polylines between attached vertices, counted first to size them. */
static void make_edges(builder *b)
{
    pl_graph *g = b->g;
    run_two(b, b->threads, count_part, count_part);
    uint32_t ne = b->part_edges[0] + b->part_edges[1];
    size_t n = ne ? ne : 1;
    g->n_edges = ne;
    g->edge_a = pl_malloc(n * sizeof *g->edge_a);
    g->edge_b = pl_malloc(n * sizeof *g->edge_b);
    g->edge_road = pl_malloc(n * sizeof *g->edge_road);
    g->edge_v0 = pl_malloc(n * sizeof *g->edge_v0);
    g->edge_v1 = pl_malloc(n * sizeof *g->edge_v1);
    g->edge_len_m = pl_malloc(n * sizeof *g->edge_len_m);
    g->edge_time_s = pl_malloc(n * sizeof *g->edge_time_s);
    g->edge_dir = pl_malloc(n);
    run_two(b, b->threads, edges_part, edges_part);
}

static pl_graph *build(pl_ctx *ctx, const pl_roads *roads, const pl_graph_opts *o, uint64_t *hash, pl_error *err)
{
    size_t nr = roads->n, nv = roads->first_vertex[nr];
    if (nv >= UINT32_MAX || nr >= UINT32_MAX) {
        pl_error_set(err, PL_EINPUT, "%s: %zu roads with %zu vertices are more than the graph's 32-bit ids hold",
                     roads->source ? roads->source : "roads", nr, nv);
        return NULL;
    }
    builder b = {.ctx = ctx, .roads = roads, .o = o, .threads = build_threads(), .nr = nr, .nv = nv, .hash = hash};
    b.tol = o->snap_tolerance_m > 0 && isfinite(o->snap_tolerance_m) ? o->snap_tolerance_m : 0.0;
    if (!cluster_vertices(&b)) {
        /* No road open to this mode: an empty graph. */
        free(b.allowed);
        return empty_graph(&b);
    }
    b.g = pl_calloc(1, sizeof *b.g);
    b.g->mode = o->mode;
    make_nodes(&b);
    order_nodes(&b);
    make_edges(&b);
    free(b.vnode);
    free(b.allowed);
    /* Step 5 needs 4 (n_nodes + 1) words of the scratch block: the rest goes back before the
     * arcs are made (a cold run's peak was here, grid-2M: 1,010 MB) */
    b.scratch = pl_realloc(b.scratch, 4 * ((size_t)b.g->n_nodes + 1) * sizeof(uint32_t));
    make_arcs(&b);
    free(b.scratch);
    pl_progress(ctx, 1.0, "building graph");
    return b.g;
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
    int cached = o.cache_path && *o.cache_path;
    uint64_t hash = 0;
    pl_graph *g = NULL;
    if (cached) {
        hash = inputs_hash(roads, &o);
        g = pl_graph_cache_read(ctx, o.cache_path, hash, roads);
        if (g) {
            pl_info(ctx, "graph (%s): read from cache %s", pl_mode_name(o.mode), o.cache_path);
            g->from_cache = 1;
        }
    }
    if (!g) {
        g = build(ctx, roads, &o, cached ? NULL : &hash, err);  /* without a cache, hashed alongside */
        if (!g)
            return NULL;
        g->input_hash = hash;
        if (cached) {
            pl_error cerr = {0};
            pl_graph_keep_snap_index(g, roads);  /* stored with it: a warm run does not build it */
            if (pl_graph_cache_write(ctx, g, roads, o.cache_path, &cerr) != PL_OK)
                pl_warn(ctx, "graph-cache", "%s", cerr.msg);
        }
    }
    pl_graph_info(ctx, g);
    return g;
}

/* ---------- another mode's graph from a built one ---------- */

/* Whether modes a and b open the same roads: every step of the build up to the edges reads
 * only which roads are open (and the options), so their graphs then have the same nodes and
 * edges, in the same order. */
static int same_roads_open(const pl_roads *roads, pl_mode a, pl_mode b)
{
    for (size_t r = 0; r < roads->n; r++)
        if (pl_graph_road_allowed(roads, r, a) != pl_graph_road_allowed(roads, r, b))
            return 0;
    return 1;
}

static void *copy_of(const void *p, size_t n)
{
    void *q = pl_malloc(n ? n : 1);
    if (n)
        memcpy(q, p, n);
    return q;
}

/* Step 4's times and directions for o->mode, on the edges copied from the other mode's graph:
 * the same expressions as edges_part, so the same floats. */
static void recost_part(builder *b, int p)
{
    pl_graph *g = b->g;
    uint32_t half = g->n_edges / 2, from = p ? half : 0, to = p ? g->n_edges : half;
    for (uint32_t i = from; i < to; i++) {
        uint32_t r = g->edge_road[i];
        double sec_per_m = 3.6 / road_speed_kmh(b->roads, r, b->o);
        g->edge_time_s[i] = (float)(piece_len(b->roads, g->edge_v0[i], g->edge_v1[i]) * sec_per_m);
        g->edge_dir[i] = road_dir(b->roads, r, b->o->mode);
    }
}

/* derive's second thread without forward arcs: the components, then the inputs' hash, while
 * the first makes the arcs entering each node (after the arcs, the hash was a fifth of the
 * derived graph's time). */
static void components_hash_part(builder *b, int p)
{
    components_part(b, p);
    b->g->input_hash = inputs_hash(b->roads, b->o);
}

static void derive_arcs(builder *b)
{
    if (!b->o->skip_forward_arcs) {
        make_arcs(b);
        b->g->input_hash = inputs_hash(b->roads, b->o);
        return;
    }
    run_two(b, b->threads, csr_in_only_part, components_hash_part);
    b->g->n_arcs = b->g->in_begin[b->g->n_nodes];
}

/* The graph pl_graph_build makes for o, from base (built from roads with o but another mode)
 * when both modes open the same roads: nodes and edges copied, times, directions, arcs and
 * components made again. NULL when the modes open different roads (or base has no edges). */
static pl_graph *derive(pl_ctx *ctx, const pl_graph *base, const pl_roads *roads, const pl_graph_opts *o,
                        pl_graph *spare)
{
    if (!base || !base->n_nodes || !base->node_x || !base->edge_a || base->mode == o->mode ||
        !same_roads_open(roads, base->mode, o->mode))
        return NULL;
    size_t n = base->n_nodes, ne = base->n_edges;
    builder b = {.ctx = ctx, .roads = roads, .o = o, .threads = build_threads()};
    if (spare && spare != base && !spare->cache_map && spare->n_nodes == base->n_nodes &&
        spare->n_edges == base->n_edges)
        b.spare = spare;
    pl_graph *g = b.g = pl_calloc(1, sizeof *g);
    g->mode = o->mode;
    g->n_nodes = base->n_nodes;
    g->n_edges = base->n_edges;
    g->shares_base = o->search_only != 0;  /* no copies (a quarter of the derived graph's time) */
#define SHARE_OR_COPY(field, n) g->field = g->shares_base ? base->field : copy_of(base->field, (n) * sizeof *g->field)
    SHARE_OR_COPY(node_x, n);
    SHARE_OR_COPY(node_y, n);
    SHARE_OR_COPY(edge_a, ne);
    SHARE_OR_COPY(edge_b, ne);
    SHARE_OR_COPY(edge_road, ne);
    SHARE_OR_COPY(edge_v0, ne);
    SHARE_OR_COPY(edge_v1, ne);
    SHARE_OR_COPY(edge_len_m, ne);
#undef SHARE_OR_COPY
    g->edge_time_s = b.spare && b.spare->edge_time_s ? take(&b.spare->edge_time_s)
                                                      : pl_malloc((ne ? ne : 1) * sizeof *g->edge_time_s);
    g->edge_dir = b.spare && b.spare->edge_dir ? take(&b.spare->edge_dir) : pl_malloc(ne ? ne : 1);
    run_two(&b, b.threads, recost_part, recost_part);
    b.scratch = pl_big_alloc(4 * (n + 1) * sizeof(uint32_t));
    derive_arcs(&b);
    free(b.scratch);
    return g;
}

/* base's kept snap index, for g derived from it, when both modes attach to the same roads:
 * the index (the attachable segments of the same edges, split by the same components) is
 * then the same, so g borrows its arrays instead of making them again. */
static void borrow_snap_index(pl_graph *g, const pl_graph *base, const pl_roads *roads)
{
    const pl_snap_index *kept = base->snap_index;
    if (!kept || kept->g != base || g->n_components != base->n_components ||
        memcmp(g->component, base->component, (size_t)g->n_nodes * sizeof *g->component) != 0)
        return;
    for (size_t r = 0; r < roads->n; r++)
        if (pl_road_attachable(roads, r, g->mode) != pl_road_attachable(roads, r, base->mode))
            return;
    pl_snap_index *ix = pl_malloc(sizeof *ix);
    *ix = *kept;
    ix->g = g;
    ix->roads = roads;
    ix->borrowed = 1;
    g->snap_index = ix;
}

pl_graph *pl_graph_build_like(pl_ctx *ctx, const pl_graph *base, const pl_roads *roads, const pl_graph_opts *opts,
                              pl_error *err)
{
    return pl_graph_build_like_spare(ctx, base, roads, opts, NULL, err);
}

pl_graph *pl_graph_build_like_spare(pl_ctx *ctx, const pl_graph *base, const pl_roads *roads,
                                    const pl_graph_opts *opts, pl_graph *spare, pl_error *err)
{
    pl_graph_opts o;
    if (opts)
        o = *opts;
    else
        pl_graph_opts_default(&o);
    pl_graph *g = NULL;
    if (roads && !(o.cache_path && *o.cache_path)) {
        if (o.search_only)
            o.skip_forward_arcs = 1;
        g = derive(ctx, base, roads, &o, spare);
    }
    if (spare != base)
        pl_graph_free(spare);  /* what g did not take */
    if (!g)
        return pl_graph_build(ctx, roads, &o, err);
    borrow_snap_index(g, base, roads);
    pl_progress(ctx, 1.0, "building graph");
    pl_info(ctx, "graph (%s): the nodes and edges of the %s graph (both modes open the same roads)",
            pl_mode_name(g->mode), pl_mode_name(base->mode));
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

typedef struct kept_range {
    uintptr_t lo, hi;
} kept_range;

static int cmp_kept(const void *a, const void *b)
{
    uintptr_t x = ((const kept_range *)a)->lo, y = ((const kept_range *)b)->lo;
    return (x > y) - (x < y);
}

/* A graph read from the cache file: every whole page of its mapping that holds none of the
 * arrays the searches read (and the small component arrays) goes back. */
static void unmap_unsearched(pl_graph *g)
{
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0)
        return;
    uintptr_t map = (uintptr_t)g->cache_map, end = map + g->cache_map_size, ps = (uintptr_t)page;
    kept_range k[4] = {
        {(uintptr_t)g->in_begin, (uintptr_t)(g->in_begin + g->n_nodes + 1)},
        {(uintptr_t)g->in_arc, (uintptr_t)(g->in_arc + g->n_arcs)},
        {(uintptr_t)g->component, (uintptr_t)(g->component + g->n_nodes)},
        {(uintptr_t)g->component_nodes, (uintptr_t)(g->component_nodes + g->n_components)},
    };
    for (int i = 0; i < 4; i++)
        if (k[i].lo < map || k[i].hi > end || k[i].lo > k[i].hi)
            return; /* not laid out as expected: keep everything */
    qsort(k, 4, sizeof *k, cmp_kept);
    uintptr_t from = map; /* start of the gap before the next kept array */
    for (int i = 0; i <= 4; i++) {
        uintptr_t to = i < 4 ? k[i].lo : end;
        uintptr_t a = (from + ps - 1) / ps * ps, b = to / ps * ps; /* whole pages inside the gap */
        if (b > a)
            munmap((void *)a, b - a);
        if (i < 4 && k[i].hi > from)
            from = k[i].hi;
    }
}

/* The arrays the searches do not read (geometry, forward arcs, edges), freed when owned (not
 * in a cache's mapping) and cleared. */
static void drop_unsearched(pl_graph *g)
{
#define DROP(field, shared)                       \
    do {                                          \
        if (!g->cache_map && !(shared))           \
            free(g->field);                       \
        g->field = NULL;                          \
    } while (0)
    DROP(node_x, g->shares_base);
    DROP(node_y, g->shares_base);
    DROP(out_begin, 0);
    DROP(arc_head, 0);
    DROP(arc_len_m, 0);
    DROP(arc_time_s, 0);
    DROP(arc_road, 0);
    DROP(edge_a, g->shares_base);
    DROP(edge_b, g->shares_base);
    DROP(edge_road, g->shares_base);
    DROP(edge_v0, g->shares_base);
    DROP(edge_v1, g->shares_base);
    DROP(edge_len_m, g->shares_base);
    DROP(edge_time_s, 0);
    DROP(edge_dir, 0);
#undef DROP
}

void pl_graph_keep_search_only(pl_graph *g)
{
    if (!g)
        return;
    pl_snap_index_free(g->snap_index);  /* a cache's index only borrows the mapping's arrays */
    g->snap_index = NULL;
    if (g->cache_map)
        unmap_unsearched(g);
    drop_unsearched(g);
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
    drop_unsearched(g);
    free(g->component);
    free(g->component_nodes);
    free(g->in_begin);
    free(g->in_arc);
    free(g);
}
