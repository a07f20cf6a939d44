/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa synth: the synthetic road network. Everything here is SYNTHETIC; the layout follows
 * the REAL population squares and tätorter, so roads are where people live.
 *
 * Rules, in the order they run:
 *
 * 1. Landmasses. The 290 SCB kommun polygons are unioned; each resulting polygon is a landmass
 *    (the mainland, Gotland, Öland, Orust, Tjörn, Värmdö, Lidingö, ...). A square belongs to the
 *    landmass containing its centre, or to one within 1.5 km (the boundaries are generalised);
 *    squares farther out are archipelago: neighbouring ones (8-neighbourhood) form an island group.
 *    Lakes are not modelled (the polygons include them).
 *
 * 2. Town network (national, so classes do not depend on the region). Tätort points on one
 *    landmass are joined by a relative-neighbourhood graph over their 6 nearest neighbours plus
 *    the Euclidean minimum spanning tree (Delaunay-like, connected). An edge is
 *      motorway  if it lies on the shortest path between two towns of >= 75,000 within 350 km,
 *      trunk     ... between two towns of >= 20,000 within 200 km,
 *      primary   ... between two towns of >= 4,000 within 80 km,
 *      secondary otherwise.
 *    Speeds 110 / 100 / 80 / 70 km/h. Motorways are closed to bikes and pedestrians. Where a
 *    motorway or trunk edge ends in a town of >= 20,000, the road ends at an interchange 350 m
 *    outside the town, joined to the street grid by two one-way ramps (motorway_link/trunk_link).
 *    Roads leave a town from the edge of its street grid facing the other town; geometry is
 *    midpoint displacement (vertices every <= 700 m).
 *
 * 3. Town streets. A square of >= 30 residents whose centre lies within r_T + 800 m of a tätort
 *    point (r_T = radius of a disc of the tätort's area) belongs to the tätort with the smallest
 *    distance / (r_T + 800 m); the square holding a tätort point belongs to it in any case (an
 *    archipelago square taken this way joins the town's landmass). In those squares a jittered
 *    lattice (+-15% of the spacing), rotated by a random angle per town, fills the populated
 *    250 m cells and a 150 m disc around each square's centre. Spacing 0.8 x (140 - 14 x
 *    log10(pop / 200)) m: 112 m for a town of 200, ~68 m for Stockholm. Links: a random spanning
 *    tree of the lattice (every 8th line is a main street, always kept) plus 60% of the other
 *    lattice links; 35% of the nodes get a 35-70 m dead end (cul-de-sac, driveway). Main
 *    streets: tertiary 50 km/h (secondary 60 in towns >= 30,000; residential below 1,000
 *    residents); other streets residential, 40 km/h in towns >= 10,000, else 50 (dead ends 30/40).
 *
 * 4. Rural roads. Every other populated square gets a local network: a hub near the centre
 *    (jitter +-200 m, so the centre is within 283 m of a road), a node in every populated 250 m
 *    cell (jitter +-80 m), and 4 + 3.75 sqrt(pop) extra homesteads and forest-road ends (at most
 *    96 nodes), drawn in the populated cells; in order of distance from the hub each node joins
 *    the placed node minimising distance x (1 + 0.5 (degree - 1)) among those of degree < 3, and
 *    25% also a second one (loops); nodes within 40 m of one already placed are dropped.
 *    Unclassified, 50 km/h, wiggly polylines. Squares are then joined to each other and to the
 *    network (street-grid edge nodes, shape vertices of non-motorway main roads, towns without a
 *    grid) by a minimum spanning forest over the 6 nearest neighbours of each hub per landmass
 *    (parts still apart are joined to their nearest other part), plus 40% of the other
 *    neighbour links up to 1.8 km. A connector leaves a square from its node facing the other
 *    end (avoiding nodes with 3+ roads). It is tertiary 70 km/h when it carries >= 600
 *    residents toward the network, else unclassified 60 km/h.
 *
 * 5. Islands. Landmasses and island groups are linked by a bridge when their networks come
 *    within 2.5 km (7 km if the smaller side has >= 10,000 residents, e.g. Öland); what is still
 *    apart from the main network gets a ferry when it has >= 50 residents: from its largest town
 *    (else its most populated square) to the nearest point of the main network, and a second one
 *    to the nearest town of >= 10,000 when it has >= 20,000 residents (Gotland). Ferries run
 *    40 km/h when longer than 20 km, else 15 km/h. Smaller islands stay unlinked and are listed
 *    in the region's islands (link NONE).
 *
 * 6. Lines. Every polyline is cut at the junctions it passes, so each written line runs from
 *    one junction node to another with shape vertices between; coordinates are rounded to 1 cm,
 *    and two distinct vertices never lie within 0.6 m of each other (one is moved 1.5 m), so a
 *    graph builder's endpoint snapping finds exactly these nodes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth_internal.h"

#define SQUARE_LAND_TOL_M 1500.0
#define TOWN_LAND_TOL_M 3000.0
#define URBAN_MIN_POP 30
#define URBAN_REACH_M 800.0
#define GRID_JITTER 0.15
#define GRID_P_EXTRA 0.6
#define GRID_SCALE 0.8
#define GRID_P_SPUR 0.35
#define GRID_MAIN_EVERY 8
#define RURAL_HUB_JITTER 200.0
#define RURAL_SUB_JITTER 80.0
#define RURAL_EXTRA_A 4.0
#define RURAL_EXTRA_B 3.75
#define RURAL_P_LOOP 0.25
#define RURAL_MIN_EDGE 40.0
#define EMST_K 6
#define CONNECT_P_LOOP 0.40
#define CONNECT_LOOP_MAX_M 1800.0
#define CONNECT_TERTIARY_POP 600
#define BRIDGE_MAX_M 2500.0
#define LONG_BRIDGE_MAX_M 7000.0
#define LONG_BRIDGE_MIN_POP 10000
#define FERRY_MIN_POP 50
#define FERRY_SECOND_POP 20000
#define FERRY_PORT_TOWN_POP 10000
#define RAMP_TOWN_POP 20000

/* ------------------------------------------------------------------ landmasses */
typedef struct landmass {
    size_t n;
    GEOSGeometry **g;
    const GEOSPreparedGeometry **pg;
    double (*env)[4];
} landmass;

typedef struct area_idx {
    double area;
    double cx;
    GEOSGeometry *g;
} area_idx;

static int cmp_area(const void *a, const void *b)
{
    const area_idx *x = a, *y = b;
    if (x->area != y->area)
        return x->area > y->area ? -1 : 1;
    return (x->cx > y->cx) - (x->cx < y->cx);
}

static int build_landmass(GEOSContextHandle_t h, const sy_inputs *in, landmass *lm)
{
    memset(lm, 0, sizeof *lm);
    GEOSGeometry **parts = pl_malloc((in->n_munis ? in->n_munis : 1) * sizeof *parts);
    for (size_t i = 0; i < in->n_munis; i++)
        parts[i] = GEOSGeom_clone_r(h, in->munis[i]);
    GEOSGeometry *coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, parts, (unsigned)in->n_munis);
    free(parts);
    if (!coll)
        return -1;
    GEOSGeometry *u = GEOSUnaryUnion_r(h, coll);
    GEOSGeom_destroy_r(h, coll);
    if (!u)
        return -1;
    int np = GEOSGetNumGeometries_r(h, u);
    area_idx *ai = pl_calloc((size_t)(np > 0 ? np : 1), sizeof *ai);
    size_t n = 0;
    for (int i = 0; i < np; i++) {
        const GEOSGeometry *p = GEOSGetGeometryN_r(h, u, i);
        if (GEOSGeomTypeId_r(h, p) != GEOS_POLYGON)
            continue;
        double a = 0, cx = 0;
        GEOSArea_r(h, p, &a);
        GEOSGeom_getXMin_r(h, p, &cx);
        ai[n].area = a;
        ai[n].cx = cx;
        ai[n].g = GEOSGeom_clone_r(h, p);
        n++;
    }
    GEOSGeom_destroy_r(h, u);
    qsort(ai, n, sizeof *ai, cmp_area);
    lm->n = n;
    lm->g = pl_malloc((n ? n : 1) * sizeof *lm->g);
    lm->pg = pl_malloc((n ? n : 1) * sizeof *lm->pg);
    lm->env = pl_malloc((n ? n : 1) * sizeof *lm->env);
    for (size_t i = 0; i < n; i++) {
        lm->g[i] = ai[i].g;
        lm->pg[i] = GEOSPrepare_r(h, ai[i].g);
        GEOSGeom_getXMin_r(h, ai[i].g, &lm->env[i][0]);
        GEOSGeom_getYMin_r(h, ai[i].g, &lm->env[i][1]);
        GEOSGeom_getXMax_r(h, ai[i].g, &lm->env[i][2]);
        GEOSGeom_getYMax_r(h, ai[i].g, &lm->env[i][3]);
    }
    free(ai);
    return 0;
}

static void free_landmass(GEOSContextHandle_t h, landmass *lm)
{
    for (size_t i = 0; i < lm->n; i++) {
        GEOSPreparedGeom_destroy_r(h, lm->pg[i]);
        GEOSGeom_destroy_r(h, lm->g[i]);
    }
    free(lm->g);
    free(lm->pg);
    free(lm->env);
}

/* Landmass containing (x,y), else the nearest within tol, else -1. */
static int lm_locate(GEOSContextHandle_t h, const landmass *lm, double x, double y, double tol)
{
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, x, y);
    int found = -1;
    for (size_t i = 0; i < lm->n && found < 0; i++) {
        const double *e = lm->env[i];
        if (x < e[0] || x > e[2] || y < e[1] || y > e[3])
            continue;
        if (GEOSPreparedContains_r(h, lm->pg[i], pt) == 1)
            found = (int)i;
    }
    if (found < 0) {
        double best = tol;
        for (size_t i = 0; i < lm->n; i++) {
            const double *e = lm->env[i];
            double dx = fmax(0.0, fmax(e[0] - x, x - e[2])), dy = fmax(0.0, fmax(e[1] - y, y - e[3]));
            if (hypot(dx, dy) > best)
                continue;
            double d;
            if (GEOSPreparedDistance_r(h, lm->pg[i], pt, &d) == 1 && d <= best) {
                if (d < best || found < 0)
                    found = (int)i;
                best = d;
            }
        }
    }
    GEOSGeom_destroy_r(h, pt);
    return found;
}

static inline uint64_t sq_key(int32_t x, int32_t y)
{
    return ((uint64_t)(uint32_t)x << 32) | (uint32_t)y;
}

/* ------------------------------------------------------------------ Dijkstra (town graph) */
typedef struct heap_item {
    double d;
    uint32_t v;
} heap_item;

typedef struct heap {
    heap_item *a;
    size_t n, cap;
} heap;

static void heap_push(heap *h, double d, uint32_t v)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 256;
        h->a = pl_realloc(h->a, h->cap * sizeof *h->a);
    }
    size_t i = h->n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (h->a[p].d < d || (h->a[p].d == d && h->a[p].v <= v))
            break;
        h->a[i] = h->a[p];
        i = p;
    }
    h->a[i].d = d;
    h->a[i].v = v;
}

static heap_item heap_pop(heap *h)
{
    heap_item top = h->a[0], last = h->a[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && (h->a[c + 1].d < h->a[c].d || (h->a[c + 1].d == h->a[c].d && h->a[c + 1].v < h->a[c].v)))
            c++;
        if (last.d < h->a[c].d || (last.d == h->a[c].d && last.v <= h->a[c].v))
            break;
        h->a[i] = h->a[c];
        i = c;
    }
    if (h->n)
        h->a[i] = last;
    return top;
}

/* ------------------------------------------------------------------ the town graph */
typedef struct cedge {
    uint32_t a, b;
    double len;
    int cls;
} cedge;

static int cmp_cedge(const void *x, const void *y)
{
    const cedge *a = x, *b = y;
    if (a->a != b->a)
        return a->a < b->a ? -1 : 1;
    return (a->b > b->b) - (a->b < b->b);
}

typedef struct town_accept {
    const int *lm;
    int want;
    uint32_t self;
} town_accept;

static int accept_town_same_lm(uint32_t j, void *user)
{
    const town_accept *a = user;
    return j != a->self && a->lm[j] == a->want;
}

/* Builds the national town graph and classes its edges. Returns the edge array. */
/* Long: MST per landmass, dedupe, CSR adjacency and corridor classes on the same edge array, in the
 * order the synthetic network's bytes depend on. */
static cedge *town_graph(const sy_inputs *in, const int *tlm, size_t *n_out)
{
    size_t T = in->n_towns;
    sy_grid g;
    sy_grid_build(&g, in->tx, in->ty, T, 10000.0);
    const int K = 6;
    uint32_t *knn = pl_malloc(T * K * sizeof *knn);
    int *nk = pl_calloc(T, sizeof *nk);
    cedge *e = NULL;
    size_t ne = 0, cap = 0;
    for (size_t t = 0; t < T; t++) {
        if (tlm[t] < 0)
            continue;
        town_accept ta = {tlm, tlm[t], (uint32_t)t};
        double d[6];
        nk[t] = sy_grid_knn(&g, in->tx[t], in->ty[t], K, INFINITY, accept_town_same_lm, &ta, knn + t * K, d);
    }
    for (size_t t = 0; t < T; t++)
        for (int k = 0; k < nk[t]; k++) {
            uint32_t o = knn[t * K + k];
            cedge c = {(uint32_t)(t < o ? t : o), (uint32_t)(t < o ? o : t), 0, PL_ROAD_SECONDARY};
            c.len = hypot(in->tx[c.a] - in->tx[c.b], in->ty[c.a] - in->ty[c.b]);
            /* relative neighbourhood: drop when a witness is closer to both ends */
            int drop = 0;
            for (int side = 0; side < 2 && !drop; side++) {
                uint32_t s = side ? c.b : c.a;
                for (int w = 0; w < nk[s] && !drop; w++) {
                    uint32_t wi = knn[s * K + w];
                    if (wi == c.a || wi == c.b)
                        continue;
                    double da = hypot(in->tx[wi] - in->tx[c.a], in->ty[wi] - in->ty[c.a]);
                    double db = hypot(in->tx[wi] - in->tx[c.b], in->ty[wi] - in->ty[c.b]);
                    if (da < c.len && db < c.len)
                        drop = 1;
                }
            }
            if (!drop)
                SY_PUSH(e, ne, cap, c);
        }
    /* Euclidean MST per landmass (Prim, O(n^2) on at most ~2,000 towns) */
    int max_lm = -1;
    for (size_t t = 0; t < T; t++)
        if (tlm[t] > max_lm)
            max_lm = tlm[t];
    uint32_t *members = pl_malloc((T ? T : 1) * sizeof *members);
    double *best = pl_malloc((T ? T : 1) * sizeof *best);
    uint32_t *from = pl_malloc((T ? T : 1) * sizeof *from);
    uint8_t *in_tree = pl_malloc(T ? T : 1);
    for (int l = 0; l <= max_lm; l++) {
        size_t m = 0;
        for (size_t t = 0; t < T; t++)
            if (tlm[t] == l)
                members[m++] = (uint32_t)t;
        if (m < 2)
            continue;
        for (size_t i = 0; i < m; i++) {
            best[i] = INFINITY;
            in_tree[i] = 0;
        }
        best[0] = 0;
        from[0] = UINT32_MAX;
        for (size_t it = 0; it < m; it++) {
            size_t u = SIZE_MAX;
            for (size_t i = 0; i < m; i++)
                if (!in_tree[i] && (u == SIZE_MAX || best[i] < best[u]))
                    u = i;
            in_tree[u] = 1;
            if (from[u] != UINT32_MAX) {
                uint32_t a = members[u], b = members[from[u]];
                cedge c = {a < b ? a : b, a < b ? b : a, 0, PL_ROAD_SECONDARY};
                c.len = hypot(in->tx[a] - in->tx[b], in->ty[a] - in->ty[b]);
                SY_PUSH(e, ne, cap, c);
            }
            for (size_t i = 0; i < m; i++) {
                if (in_tree[i])
                    continue;
                double d = hypot(in->tx[members[i]] - in->tx[members[u]], in->ty[members[i]] - in->ty[members[u]]);
                if (d < best[i]) {
                    best[i] = d;
                    from[i] = (uint32_t)u;
                }
            }
        }
    }
    free(members);
    free(best);
    free(from);
    free(in_tree);
    /* dedupe */
    if (ne)
        qsort(e, ne, sizeof *e, cmp_cedge);
    size_t w = 0;
    for (size_t i = 0; i < ne; i++)
        if (w == 0 || e[i].a != e[w - 1].a || e[i].b != e[w - 1].b)
            e[w++] = e[i];
    ne = w;
    /* CSR adjacency */
    uint32_t *deg = pl_calloc(T + 1, sizeof *deg);
    for (size_t i = 0; i < ne; i++) {
        deg[e[i].a + 1]++;
        deg[e[i].b + 1]++;
    }
    for (size_t t = 0; t < T; t++)
        deg[t + 1] += deg[t];
    uint32_t *adj = pl_malloc((2 * ne + 1) * sizeof *adj);
    uint32_t *fill = pl_malloc((T + 1) * sizeof *fill);
    memcpy(fill, deg, (T + 1) * sizeof *fill);
    for (size_t i = 0; i < ne; i++) {
        adj[fill[e[i].a]++] = (uint32_t)i;
        adj[fill[e[i].b]++] = (uint32_t)i;
    }
    free(fill);
    /* classes: corridors between big towns */
    static const struct {
        int32_t min_pop;
        double max_km;
        int cls;
    } tiers[] = {{75000, 350, PL_ROAD_MOTORWAY}, {20000, 200, PL_ROAD_TRUNK}, {4000, 80, PL_ROAD_PRIMARY}};
    double *dist = pl_malloc((T ? T : 1) * sizeof *dist);
    uint32_t *pe = pl_malloc((T ? T : 1) * sizeof *pe);
    heap hp = {0};
    for (size_t ti = 0; ti < sizeof tiers / sizeof tiers[0]; ti++) {
        for (size_t s = 0; s < T; s++) {
            if (tlm[s] < 0 || in->tpop[s] < tiers[ti].min_pop)
                continue;
            for (size_t t = 0; t < T; t++) {
                dist[t] = INFINITY;
                pe[t] = UINT32_MAX;
            }
            dist[s] = 0;
            hp.n = 0;
            heap_push(&hp, 0, (uint32_t)s);
            while (hp.n) {
                heap_item it = heap_pop(&hp);
                if (it.d > dist[it.v])
                    continue;
                for (uint32_t k = deg[it.v]; k < deg[it.v + 1]; k++) {
                    const cedge *c = &e[adj[k]];
                    uint32_t o = c->a == it.v ? c->b : c->a;
                    double nd = it.d + c->len;
                    if (nd < dist[o]) {
                        dist[o] = nd;
                        pe[o] = adj[k];
                        heap_push(&hp, nd, o);
                    }
                }
            }
            for (size_t t = s + 1; t < T; t++) {
                if (tlm[t] != tlm[s] || in->tpop[t] < tiers[ti].min_pop || !isfinite(dist[t]))
                    continue;
                if (hypot(in->tx[t] - in->tx[s], in->ty[t] - in->ty[s]) > tiers[ti].max_km * 1000.0)
                    continue;
                uint32_t v = (uint32_t)t;
                while (v != s && pe[v] != UINT32_MAX) {
                    cedge *c = &e[pe[v]];
                    if (tiers[ti].cls < c->cls)
                        c->cls = tiers[ti].cls;
                    v = c->a == v ? c->b : c->a;
                }
            }
        }
    }
    free(hp.a);
    free(dist);
    free(pe);
    free(deg);
    free(adj);
    free(knn);
    free(nk);
    sy_grid_free(&g);
    *n_out = ne;
    return e;
}

/* ------------------------------------------------------------------ EMST points */
typedef struct points {
    double *x, *y;
    uint32_t *v;        /* vertex */
    int32_t *lm;        /* landmass id */
    int32_t *pop;       /* residents of the square (hubs), 0 for anchors */
    int32_t *sq;        /* square of a hub, -1 for anchors */
    uint8_t *hub;
    size_t n, cap;
} points;

static void add_point(points *p, const sy_builder *b, uint32_t v, int lm, int32_t pop, int hub)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 4096;
        p->x = pl_realloc(p->x, p->cap * sizeof *p->x);
        p->y = pl_realloc(p->y, p->cap * sizeof *p->y);
        p->v = pl_realloc(p->v, p->cap * sizeof *p->v);
        p->lm = pl_realloc(p->lm, p->cap * sizeof *p->lm);
        p->pop = pl_realloc(p->pop, p->cap * sizeof *p->pop);
        p->hub = pl_realloc(p->hub, p->cap * sizeof *p->hub);
        p->sq = pl_realloc(p->sq, p->cap * sizeof *p->sq);
    }
    p->sq[p->n] = -1;
    p->x[p->n] = b->vx[v];
    p->y[p->n] = b->vy[v];
    p->v[p->n] = v;
    p->lm[p->n] = lm;
    p->pop[p->n] = pop;
    p->hub[p->n] = (uint8_t)hub;
    p->n++;
}

static void free_points(points *p)
{
    free(p->x);
    free(p->y);
    free(p->v);
    free(p->lm);
    free(p->pop);
    free(p->hub);
    free(p->sq);
}

/* ------------------------------------------------------------------ helpers */
static void road_between(sy_builder *b, uint32_t a, uint32_t v, int cls, int speed, int flags, int layer, double seg,
                         double amp, uint64_t seed, uint64_t salt)
{
    uint32_t lo = a < v ? a : v, hi = a < v ? v : a;
    sy_rng rng = sy_stream(seed, salt, sy_mix((uint64_t)(b->vx[lo] * 100.0)) ^ (uint64_t)(b->vy[lo] * 100.0),
                           sy_mix((uint64_t)(b->vx[hi] * 100.0)) ^ (uint64_t)(b->vy[hi] * 100.0));
    sy_road(b, a, v, cls, speed, 0, flags, layer, seg, amp, &rng, NULL, NULL);
}

static uint32_t nearest_of(const sy_builder *b, const uint32_t *vs, size_t n, double x, double y)
{
    uint32_t best = UINT32_MAX;
    double bd = INFINITY;
    for (size_t i = 0; i < n; i++) {
        double d = hypot(b->vx[vs[i]] - x, b->vy[vs[i]] - y);
        if (d < bd) {
            bd = d;
            best = vs[i];
        }
    }
    return best;
}

/* ------------------------------------------------------------------ street grids */
typedef struct lat_edge {
    uint32_t a, b;      /* local node indexes */
    uint64_t key;       /* sort key: main streets first, then random */
    uint8_t main;
} lat_edge;

static int cmp_lat_edge(const void *x, const void *y)
{
    const lat_edge *a = x, *b = y;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    if (a->a != b->a)
        return a->a < b->a ? -1 : 1;
    return (a->b > b->b) - (a->b < b->b);
}

static inline uint64_t lat_key(int64_t i, int64_t j)
{
    return ((uint64_t)(i + (1 << 30)) << 32) | (uint64_t)(j + (1 << 30));
}

/* Lays the street grid of town t over its squares; appends edge nodes to anchors. */
static void town_grid(const pl_synth_region *r, sy_net *net, size_t t, const int32_t *sq_list, size_t n_sq,
                      const int32_t *sq_lm, points *anchors, const sy_inputs *in)
{
    sy_builder *b = &net->b;
    sy_town *T = &net->towns[t];
    double pop = T->pop > 200 ? T->pop : 200;
    double s = GRID_SCALE * (140.0 - 14.0 * log10(pop / 200.0));
    uint64_t th_key = sy_hash_str(in->tcode[t]);
    sy_rng trng = sy_stream(r->opts.seed, SALT_GRID, th_key, 0);
    double th = sy_unif(&trng) * 1.5707963267948966;
    double ct = cos(th), st = sin(th);
    double ox = T->x, oy = T->y;
    sy_ihash hsh;
    sy_ihash_init(&hsh, n_sq * 16 * 8);
    uint32_t *nodes = NULL;   /* vertex per local node */
    int64_t *ni = NULL, *nj = NULL;
    float *nw = NULL;
    size_t nn = 0, cap = 0;
    /* lattice points in the populated 250 m cells of the town's squares (k < 16), and within
     * 150 m of each square's centre (k == 16), so that the centre is near a street too */
    for (size_t qi = 0; qi < n_sq; qi++) {
        int32_t q = sq_list[qi];
        for (int k = 0; k <= 16; k++) {
            int32_t sp = k < 16 ? r->sq_sub[16 * q + k] : 0;
            if (k < 16 && sp <= 0)
                continue;
            double bx0 = r->sq_x[q] + 250.0 * (k % 4), by0 = r->sq_y[q] + 250.0 * (k / 4);
            double bx1 = bx0 + 250.0, by1 = by0 + 250.0;
            double ccx = r->sq_x[q] + 500.0, ccy = r->sq_y[q] + 500.0;
            if (k == 16) {
                bx0 = ccx - 150.0;
                bx1 = ccx + 150.0;
                by0 = ccy - 150.0;
                by1 = ccy + 150.0;
            }
            double umin = INFINITY, umax = -INFINITY, vmin = INFINITY, vmax = -INFINITY;
            for (int c = 0; c < 4; c++) {
                double x = (c & 1 ? bx1 : bx0) - ox, y = (c & 2 ? by1 : by0) - oy;
                double u = (x * ct + y * st) / s, v = (-x * st + y * ct) / s;
                umin = fmin(umin, u);
                umax = fmax(umax, u);
                vmin = fmin(vmin, v);
                vmax = fmax(vmax, v);
            }
            size_t first = nn;
            for (int64_t i = (int64_t)floor(umin); i <= (int64_t)ceil(umax); i++)
                for (int64_t j = (int64_t)floor(vmin); j <= (int64_t)ceil(vmax); j++) {
                    double x = ox + s * (i * ct - j * st), y = oy + s * (i * st + j * ct);
                    if (x < bx0 || x >= bx1 || y < by0 || y >= by1)
                        continue;
                    if (k == 16 && (hypot(x - ccx, y - ccy) > 150.0 || sy_ihash_get(&hsh, lat_key(i, j)) != UINT32_MAX))
                        continue;
                    sy_rng jr = sy_stream(r->opts.seed, SALT_GRID_EDGE, th_key, lat_key(i, j));
                    double jx = x + sy_range(&jr, -GRID_JITTER, GRID_JITTER) * s;
                    double jy = y + sy_range(&jr, -GRID_JITTER, GRID_JITTER) * s;
                    if (nn == cap) {
                        cap = cap ? 2 * cap : 1024;
                        nodes = pl_realloc(nodes, cap * sizeof *nodes);
                        ni = pl_realloc(ni, cap * sizeof *ni);
                        nj = pl_realloc(nj, cap * sizeof *nj);
                        nw = pl_realloc(nw, cap * sizeof *nw);
                    }
                    nodes[nn] = sy_vertex(b, jx, jy);
                    ni[nn] = i;
                    nj[nn] = j;
                    nw[nn] = 0.0f;
                    sy_ihash_put(&hsh, lat_key(i, j), (uint32_t)nn);
                    nn++;
                }
            for (size_t m = first; m < nn && sp > 0; m++)
                nw[m] = (float)sp / (float)(nn - first);
        }
    }
    /* lattice links */
    lat_edge *le = NULL;
    size_t nle = 0, caple = 0;
    for (size_t m = 0; m < nn; m++) {
        for (int dir = 0; dir < 2; dir++) {
            int64_t i2 = ni[m] + (dir == 0), j2 = nj[m] + (dir == 1);
            uint32_t o = sy_ihash_get(&hsh, lat_key(i2, j2));
            if (o == UINT32_MAX)
                continue;
            lat_edge e;
            e.a = (uint32_t)m;
            e.b = o;
            /* dir 0 runs along row j, dir 1 along column i */
            e.main = dir == 0 ? (nj[m] % GRID_MAIN_EVERY == 0) : (ni[m] % GRID_MAIN_EVERY == 0);
            sy_rng er = sy_stream(r->opts.seed, SALT_GRID_EDGE ^ 0x55, lat_key(ni[m], nj[m]) ^ th_key, (uint64_t)dir);
            e.key = e.main ? 0 : (sy_next(&er) | 1);
            SY_PUSH(le, nle, caple, e);
        }
    }
    if (nle)
        qsort(le, nle, sizeof *le, cmp_lat_edge);
    sy_uf uf;
    sy_uf_init(&uf, nn ? nn : 1);
    int big = T->pop >= 10000;
    int main_cls = T->pop >= 30000 ? PL_ROAD_SECONDARY : T->pop >= 1000 ? PL_ROAD_TERTIARY : PL_ROAD_RESIDENTIAL;
    int main_speed = T->pop >= 30000 ? 60 : 50;
    for (size_t k = 0; k < nle; k++) {
        lat_edge *e = &le[k];
        int tree = sy_uf_union(&uf, e->a, e->b);
        sy_rng er = sy_stream(r->opts.seed, SALT_GRID_EDGE ^ 0xaa, lat_key(ni[e->a], nj[e->a]) ^ th_key,
                              lat_key(ni[e->b], nj[e->b]));
        if (!tree && !e->main && sy_unif(&er) >= GRID_P_EXTRA)
            continue;
        int curved = sy_unif(&er) < 0.3;
        int cls = e->main ? main_cls : PL_ROAD_RESIDENTIAL;
        int speed = e->main ? main_speed : big ? 40 : 50;
        sy_road(b, nodes[e->a], nodes[e->b], cls, speed, 0, 0, 0, curved ? 0.6 * s : 1e12, 0.06, &er, NULL, NULL);
    }
    sy_uf_free(&uf);
    free(le);
    /* cul-de-sacs and driveways: a short dead end at some nodes */
    for (size_t m = 0; m < nn; m++) {
        sy_rng sr = sy_stream(r->opts.seed, SALT_GRID_EDGE ^ 0x5b, lat_key(ni[m], nj[m]) ^ th_key, 7);
        if (sy_unif(&sr) >= GRID_P_SPUR)
            continue;
        double a = sy_unif(&sr) * 6.283185307179586, len = sy_range(&sr, 35.0, 70.0);
        uint32_t v = sy_vertex(b, b->vx[nodes[m]] + len * cos(a), b->vy[nodes[m]] + len * sin(a));
        sy_road(b, nodes[m], v, PL_ROAD_RESIDENTIAL, big ? 30 : 40, 0, 0, 0, 1e12, 0, &sr, NULL, NULL);
    }
    /* edge nodes (a lattice neighbour missing) are where other roads may join */
    int lmv = sq_lm[sq_list[0]];
    for (size_t m = 0; m < nn; m++) {
        int missing = 0;
        static const int dd[4][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
        for (int d = 0; d < 4; d++)
            if (sy_ihash_get(&hsh, lat_key(ni[m] + dd[d][0], nj[m] + dd[d][1])) == UINT32_MAX)
                missing = 1;
        if (missing)
            add_point(anchors, b, nodes[m], lmv, 0, 0);
    }
    sy_ihash_free(&hsh);
    free(ni);
    free(nj);
    T->grid = nodes;
    T->grid_w = nw;
    T->n_grid = nn;
    T->node = nearest_of(b, nodes, nn, T->x, T->y);
    T->landmass = lmv;
}

/* ------------------------------------------------------------------ rural squares */
typedef struct lnode {
    double x, y, d;
    uint32_t v;
} lnode;

static int cmp_lnode(const void *x, const void *y)
{
    const lnode *a = x, *b = y;
    if (a->d != b->d)
        return a->d < b->d ? -1 : 1;
    if (a->x != b->x)
        return a->x < b->x ? -1 : 1;
    return (a->y > b->y) - (a->y < b->y);
}

/* Local network of a rural square; returns the hub vertex and appends the square's nodes
 * (hub first) to net->loc_v. Each node joins the placed node that minimises distance x
 * (1 + 0.5 x (degree - 1)) among those with degree < 3, so villages grow as branching roads
 * rather than stars. */
static uint32_t rural_square(const pl_synth_region *r, sy_net *net, size_t q)
{
    sy_builder *b = &net->b;
    uint64_t seed = r->opts.seed;
    sy_rng rng = sy_stream(seed, SALT_HUB, (uint64_t)r->sq_x[q], (uint64_t)r->sq_y[q]);
    double cx = r->sq_x[q] + 500.0, cy = r->sq_y[q] + 500.0;
    enum { MAXP = 96 };
    lnode pts[MAXP];
    int n = 0;
    pts[n].x = cx + sy_range(&rng, -RURAL_HUB_JITTER, RURAL_HUB_JITTER);
    pts[n].y = cy + sy_range(&rng, -RURAL_HUB_JITTER, RURAL_HUB_JITTER);
    pts[n].d = 0;
    n++;
    const int32_t *sub = r->sq_sub + 16 * q;
    int32_t total = 0;
    for (int k = 0; k < 16; k++) {
        double kx = r->sq_x[q] + 125.0 + 250.0 * (k % 4), ky = r->sq_y[q] + 125.0 + 250.0 * (k / 4);
        double jx = sy_range(&rng, -RURAL_SUB_JITTER, RURAL_SUB_JITTER);
        double jy = sy_range(&rng, -RURAL_SUB_JITTER, RURAL_SUB_JITTER);
        total += sub[k];
        if (sub[k] <= 0)
            continue;
        pts[n].x = kx + jx;
        pts[n].y = ky + jy;
        n++;
    }
    int extra = (int)lround(RURAL_EXTRA_A + RURAL_EXTRA_B * sqrt((double)r->sq_pop[q]));
    if (extra > MAXP - n)
        extra = MAXP - n;
    for (int e = 0; e < extra && total > 0; e++) {
        int32_t pick = (int32_t)sy_below(&rng, (uint32_t)total), k = 0;
        while (pick >= sub[k]) {
            pick -= sub[k];
            k++;
        }
        pts[n].x = r->sq_x[q] + 250.0 * (k % 4) + sy_range(&rng, 20.0, 230.0);
        pts[n].y = r->sq_y[q] + 250.0 * (k / 4) + sy_range(&rng, 20.0, 230.0);
        n++;
    }
    for (int i = 1; i < n; i++)
        pts[i].d = hypot(pts[i].x - pts[0].x, pts[i].y - pts[0].y);
    qsort(pts + 1, (size_t)(n - 1), sizeof *pts, cmp_lnode);
    pts[0].v = sy_vertex(b, pts[0].x, pts[0].y);
    SY_PUSH(net->loc_v, net->n_loc_v, net->cap_loc_v, pts[0].v);
    int deg[MAXP] = {0};
    int placed = 1;
    for (int i = 1; i < n; i++) {
        int j1 = -1, j2 = -1, jn = -1;
        double c1 = INFINITY, c2 = INFINITY, dn = INFINITY;
        for (int j = 0; j < placed; j++) {
            double d = hypot(pts[j].x - pts[i].x, pts[j].y - pts[i].y);
            if (d < dn) {
                dn = d;
                jn = j;
            }
            if (deg[j] >= 3)
                continue;
            double cost = d * (1.0 + 0.5 * (deg[j] > 1 ? deg[j] - 1 : 0));
            if (cost < c1) {
                c2 = c1;
                j2 = j1;
                c1 = cost;
                j1 = j;
            } else if (cost < c2) {
                c2 = cost;
                j2 = j;
            }
        }
        if (dn < RURAL_MIN_EDGE)
            continue;   /* too close to a node already there */
        if (j1 < 0)
            j1 = jn;
        pts[placed] = pts[i];
        pts[placed].v = sy_vertex(b, pts[i].x, pts[i].y);
        SY_PUSH(net->loc_v, net->n_loc_v, net->cap_loc_v, pts[placed].v);
        sy_road(b, pts[j1].v, pts[placed].v, PL_ROAD_UNCLASSIFIED, 50, 0, 0, 0, 120.0, 0.10, &rng, NULL, NULL);
        deg[j1]++;
        deg[placed]++;
        if (j2 >= 0 && sy_unif(&rng) < RURAL_P_LOOP) {
            double d2 = hypot(pts[j2].x - pts[i].x, pts[j2].y - pts[i].y);
            if (d2 < 400.0 && d2 > RURAL_MIN_EDGE) {
                sy_road(b, pts[j2].v, pts[placed].v, PL_ROAD_UNCLASSIFIED, 50, 0, 0, 0, 120.0, 0.10, &rng, NULL, NULL);
                deg[j2]++;
                deg[placed]++;
            }
        }
        placed++;
    }
    return pts[0].v;
}

/* The node of a rural square where a connector toward (x,y) starts: near the target, avoiding
 * nodes that already have 3 or more roads. */
static uint32_t square_exit(const sy_net *net, int32_t q, double x, double y)
{
    const sy_builder *b = &net->b;
    uint32_t best = UINT32_MAX;
    double bc = INFINITY;
    for (uint32_t k = net->sq_loc_first[q]; k < net->sq_loc_first[q + 1]; k++) {
        uint32_t v = net->loc_v[k];
        double cost = hypot(b->vx[v] - x, b->vy[v] - y) + 150.0 * (b->refs[v] > 2 ? b->refs[v] - 2 : 0);
        if (cost < bc) {
            bc = cost;
            best = v;
        }
    }
    return best;
}

/* ------------------------------------------------------------------ connecting */
typedef struct pedge {
    uint32_t a, b;      /* point indexes */
    double len;
} pedge;

static int cmp_pedge(const void *x, const void *y)
{
    const pedge *a = x, *b = y;
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    if (a->a != b->a)
        return a->a < b->a ? -1 : 1;
    return (a->b > b->b) - (a->b < b->b);
}

static int cmp_pedge_ab(const void *x, const void *y)
{
    const pedge *a = x, *b = y;
    if (a->a != b->a)
        return a->a < b->a ? -1 : 1;
    return (a->b > b->b) - (a->b < b->b);
}

typedef struct pt_accept {
    const points *p;
    sy_uf *uf;
    int32_t lm;
    uint32_t self;
    uint32_t root;      /* exclude this component (UINT32_MAX: none) */
    const uint32_t *group; /* landmass -> landmass group (for ferries), or NULL */
    uint32_t want_group;
    int other_lm;       /* accept only other landmasses */
} pt_accept;

static int accept_point(uint32_t j, void *user)
{
    pt_accept *a = user;
    if (j == a->self)
        return 0;
    if (a->other_lm) {
        if (a->p->lm[j] == a->lm)
            return 0;
    } else if (a->p->lm[j] != a->lm) {
        return 0;
    }
    if (a->root != UINT32_MAX && sy_uf_find(a->uf, a->p->v[j]) == a->root)
        return 0;
    if (a->group && a->group[a->p->lm[j]] != a->want_group)
        return 0;
    return 1;
}

static void bfs_expand(const pedge *tree, const uint32_t *adj_start, const uint32_t *adj, uint8_t *seen,
                       uint32_t *parent_e, uint32_t *order, size_t *head, size_t *tail)
{
    while (*head < *tail) {
        uint32_t u = order[(*head)++];
        for (uint32_t k = adj_start[u]; k < adj_start[u + 1]; k++) {
            const pedge *e = &tree[adj[k]];
            uint32_t o = e->a == u ? e->b : e->a;
            if (seen[o])
                continue;
            seen[o] = 1;
            parent_e[o] = adj[k];
            order[(*tail)++] = o;
        }
    }
}

/* End vertices of a connector between points a and b: a hub's road leaves its square from the
 * local node facing the other end. */
static void connector_ends(const sy_net *net, const points *p, uint32_t a, uint32_t b, uint32_t *va, uint32_t *vb)
{
    *va = p->sq[a] >= 0 ? square_exit(net, p->sq[a], p->x[b], p->y[b]) : p->v[a];
    *vb = p->sq[b] >= 0 ? square_exit(net, p->sq[b], p->x[a], p->y[a]) : p->v[b];
}

/* ------------------------------------------------------------------ main entry */
/* Long: its stages (landmasses, towns, street grids, main roads, rural links, connectivity,
 * classes) share some thirty working arrays of one region, in an order the random stream depends
 * on; stage functions are still to do (#20). */
int sy_build_roads(pl_ctx *ctx, pl_synth_region *r, const sy_inputs *in, sy_net *net, pl_error *err)
{
    GEOSContextHandle_t h = ctx->geos;
    sy_builder *b = &net->b;
    uint64_t seed = r->opts.seed;
    size_t nq = r->n_squares, T = in->n_towns;
    int rc = PL_OK;

    pl_progress(ctx, 0.08, "synth: landmasses");
    landmass lm;
    if (build_landmass(h, in, &lm) != 0)
        return pl_error_set(err, PL_EINTERNAL, "could not union the kommun polygons into landmasses");
    int n_lm = (int)lm.n;

    /* squares: landmass, or archipelago group */
    sy_ihash sqh;
    sy_ihash_init(&sqh, nq);
    for (size_t q = 0; q < nq; q++)
        sy_ihash_put(&sqh, sq_key(r->sq_x[q], r->sq_y[q]), (uint32_t)q);
    int32_t *sq_lm = pl_malloc((nq ? nq : 1) * sizeof *sq_lm);
    net->sq_landmass = sq_lm;
    for (size_t q = 0; q < nq; q++)
        sq_lm[q] = lm_locate(h, &lm, r->sq_x[q] + 500.0, r->sq_y[q] + 500.0, SQUARE_LAND_TOL_M);
    sy_uf ouf;
    sy_uf_init(&ouf, nq ? nq : 1);
    for (size_t q = 0; q < nq; q++) {
        if (sq_lm[q] >= 0)
            continue;
        for (int dx = -1; dx <= 1; dx++)
            for (int dy = -1; dy <= 1; dy++) {
                uint32_t o = sy_ihash_get(&sqh, sq_key(r->sq_x[q] + 1000 * dx, r->sq_y[q] + 1000 * dy));
                if (o != UINT32_MAX && sq_lm[o] < 0)
                    sy_uf_union(&ouf, (uint32_t)q, o);
            }
    }
    int32_t *group_of_root = pl_malloc((nq ? nq : 1) * sizeof *group_of_root);
    int n_groups = 0;
    for (size_t q = 0; q < nq; q++)
        group_of_root[q] = -1;
    for (size_t q = 0; q < nq; q++) {
        if (sq_lm[q] >= 0)
            continue;
        uint32_t root = sy_uf_find(&ouf, (uint32_t)q);
        if (group_of_root[root] < 0)
            group_of_root[root] = n_lm + n_groups++;
        sq_lm[q] = group_of_root[root];
    }
    free(group_of_root);
    sy_uf_free(&ouf);
    int n_land = n_lm + n_groups;

    /* towns */
    pl_progress(ctx, 0.12, "synth: town network");
    int *tlm = pl_malloc((T ? T : 1) * sizeof *tlm);
    for (size_t t = 0; t < T; t++)
        tlm[t] = lm_locate(h, &lm, in->tx[t], in->ty[t], TOWN_LAND_TOL_M);
    size_t n_ce = 0;
    cedge *ce = town_graph(in, tlm, &n_ce);

    net->n_towns = T;
    net->towns = pl_calloc(T ? T : 1, sizeof *net->towns);
    for (size_t t = 0; t < T; t++) {
        sy_town *tw = &net->towns[t];
        tw->loc = in->t_region_loc[t];
        tw->x = in->tx[t];
        tw->y = in->ty[t];
        tw->pop = in->tpop[t];
        tw->owner = -1;
        tw->node = UINT32_MAX;
        tw->landmass = tlm[t];
        tw->muni = tw->loc >= 0 ? r->loc_muni[tw->loc] : -1;
    }

    /* urban squares */
    int32_t *sq_town = pl_malloc((nq ? nq : 1) * sizeof *sq_town);
    net->sq_town = sq_town;
    sy_grid tg;
    sy_grid_build(&tg, in->tx, in->ty, T, 5000.0);
    for (size_t q = 0; q < nq; q++) {
        sq_town[q] = -1;
        if (r->sq_pop[q] < URBAN_MIN_POP)
            continue;
        double cx = r->sq_x[q] + 500.0, cy = r->sq_y[q] + 500.0;
        uint32_t idx[48];
        double d[48];
        int k = sy_grid_knn(&tg, cx, cy, 48, 15000.0, NULL, NULL, idx, d);
        double best = INFINITY;
        for (int i = 0; i < k; i++) {
            int32_t t = (int32_t)idx[i];
            if (tlm[t] >= 0 && sq_lm[q] < n_lm && tlm[t] != sq_lm[q])
                continue;
            double reach = sqrt(in->tarea[t] * 1e4 / 3.141592653589793) + URBAN_REACH_M;
            if (d[i] > reach)
                continue;
            double score = d[i] / reach;
            if (score < best) {
                best = score;
                sq_town[q] = t;
            }
        }
    }
    sy_grid_free(&tg);
    {
        /* the square holding a town's point belongs to it (larger towns first) */
        uint32_t *order = pl_malloc((T ? T : 1) * sizeof *order);
        for (size_t t = 0; t < T; t++)
            order[t] = (uint32_t)t;
        for (size_t i = 1; i < T; i++) {  /* insertion sort by pop desc, index asc (T ~ 2,000) */
            uint32_t v = order[i];
            size_t j = i;
            while (j > 0 && (in->tpop[order[j - 1]] < in->tpop[v] ||
                             (in->tpop[order[j - 1]] == in->tpop[v] && order[j - 1] > v))) {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = v;
        }
        for (size_t i = 0; i < T; i++) {
            uint32_t t = order[i];
            int32_t x = (int32_t)floor(in->tx[t] / 1000.0) * 1000, y = (int32_t)floor(in->ty[t] / 1000.0) * 1000;
            uint32_t q = sy_ihash_get(&sqh, sq_key(x, y));
            if (q != UINT32_MAX && sq_town[q] < 0)
                sq_town[q] = (int32_t)t;
        }
        free(order);
    }
    /* an archipelago square built up as part of a town belongs to the town's landmass */
    for (size_t q = 0; q < nq; q++)
        if (sq_town[q] >= 0 && sq_lm[q] >= n_lm && tlm[sq_town[q]] >= 0)
            sq_lm[q] = tlm[sq_town[q]];
    /* squares per town */
    size_t *tcount = pl_calloc(T + 1, sizeof *tcount);
    for (size_t q = 0; q < nq; q++)
        if (sq_town[q] >= 0) {
            tcount[sq_town[q] + 1]++;
            net->towns[sq_town[q]].urban_pop += r->sq_pop[q];
            r->stats.n_urban_squares++;
        }
    for (size_t t = 0; t < T; t++)
        tcount[t + 1] += tcount[t];
    int32_t *tsq = pl_malloc((r->stats.n_urban_squares + 1) * sizeof *tsq);
    {
        size_t *fill = pl_malloc((T + 1) * sizeof *fill);
        memcpy(fill, tcount, (T + 1) * sizeof *fill);
        for (size_t q = 0; q < nq; q++)
            if (sq_town[q] >= 0)
                tsq[fill[sq_town[q]]++] = (int32_t)q;
        free(fill);
    }

    /* street grids */
    pl_progress(ctx, 0.2, "synth: street grids");
    points pts;
    memset(&pts, 0, sizeof pts);
    for (size_t t = 0; t < T; t++) {
        if (tcount[t + 1] == tcount[t])
            continue;
        net->towns[t].owner = (int)t;
        town_grid(r, net, t, tsq + tcount[t], tcount[t + 1] - tcount[t], sq_lm, &pts, in);
        r->stats.n_towns_with_grid++;
    }
    /* towns without squares: merged into the grid holding their point, or a node of their own */
    for (size_t t = 0; t < T; t++) {
        sy_town *tw = &net->towns[t];
        if (tw->owner >= 0)
            continue;
        int32_t x = (int32_t)floor(tw->x / 1000.0) * 1000, y = (int32_t)floor(tw->y / 1000.0) * 1000;
        uint32_t q = sy_ihash_get(&sqh, sq_key(x, y));
        if (q != UINT32_MAX && sq_town[q] >= 0) {
            sy_town *ow = &net->towns[sq_town[q]];
            tw->owner = sq_town[q];
            tw->node = nearest_of(b, ow->grid, ow->n_grid, tw->x, tw->y);
            tw->landmass = ow->landmass;
        } else if (tw->loc >= 0) {
            /* standalone: landmass of its square, else of the nearest square within 3 km */
            int l = q != UINT32_MAX ? sq_lm[q] : tw->landmass;
            if (l < 0) {
                double bd = 3000.0;
                for (int dx = -3; dx <= 3; dx++)
                    for (int dy = -3; dy <= 3; dy++) {
                        uint32_t o = sy_ihash_get(&sqh, sq_key(x + 1000 * dx, y + 1000 * dy));
                        if (o == UINT32_MAX)
                            continue;
                        double d = hypot(r->sq_x[o] + 500.0 - tw->x, r->sq_y[o] + 500.0 - tw->y);
                        if (d <= bd) {
                            bd = d;
                            l = sq_lm[o];
                        }
                    }
            }
            if (l >= 0) {
                tw->node = sy_vertex(b, tw->x, tw->y);
                tw->landmass = l;
                tw->owner = (int)t;
                add_point(&pts, b, tw->node, l, 0, 0);
            }
        }
    }

    /* main roads between towns */
    pl_progress(ctx, 0.3, "synth: main roads");
    for (size_t i = 0; i < n_ce; i++) {
        const cedge *c = &ce[i];
        int oa = net->towns[c->a].owner, ob = net->towns[c->b].owner;
        if (oa < 0 || ob < 0 || oa == ob)
            continue;
        sy_town *ta = &net->towns[oa], *tb = &net->towns[ob];
        if (ta->node == UINT32_MAX || tb->node == UINT32_MAX || ta->landmass != tb->landmass)
            continue;
        /* only roads whose ends are in the region: both towns have a node here */
        uint32_t ends[2];
        sy_town *tt[2] = {ta, tb};
        for (int s = 0; s < 2; s++) {
            sy_town *me = tt[s], *other = tt[1 - s];
            if (me->n_grid == 0) {
                ends[s] = me->node;
                continue;
            }
            double dx = other->x - me->x, dy = other->y - me->y, L = hypot(dx, dy);
            dx /= L;
            dy /= L;
            double best = -INFINITY;
            uint32_t bv = me->node;
            for (size_t g = 0; g < me->n_grid; g++) {
                uint32_t v = me->grid[g];
                double px = b->vx[v] - me->x, py = b->vy[v] - me->y;
                double proj = px * dx + py * dy, perp = fabs(-px * dy + py * dx);
                double score = proj - 2.0 * perp;
                if (score > best) {
                    best = score;
                    bv = v;
                }
            }
            ends[s] = bv;
        }
        if (ends[0] == ends[1])
            continue;
        static const int speed_of[] = {110, 100, 80, 70};
        int cls = c->cls, speed = speed_of[cls];
        int flags = cls == PL_ROAD_MOTORWAY ? (PL_ROAD_NO_BIKE | PL_ROAD_NO_FOOT) : 0;
        uint32_t road_end[2] = {ends[0], ends[1]};
        if (cls == PL_ROAD_MOTORWAY || cls == PL_ROAD_TRUNK) {
            for (int s = 0; s < 2; s++) {
                sy_town *me = tt[s];
                if (me->n_grid == 0 || me->pop < RAMP_TOWN_POP)
                    continue;
                double dx = b->vx[ends[1 - s]] - b->vx[ends[s]], dy = b->vy[ends[1 - s]] - b->vy[ends[s]];
                double L = hypot(dx, dy);
                if (L < 2000.0)
                    continue;
                dx /= L;
                dy /= L;
                uint32_t ic = sy_vertex(b, b->vx[ends[s]] + 350.0 * dx, b->vy[ends[s]] + 350.0 * dy);
                double mx = b->vx[ends[s]] + 175.0 * dx, my = b->vy[ends[s]] + 175.0 * dy;
                double ox = -dy * 30.0, oy = dx * 30.0;
                double x1 = mx + ox, y1 = my + oy, x2 = mx - ox, y2 = my - oy;
                size_t p1 = sy_road_pts(b, ends[s], ic, &x1, &y1, 1, cls, 60, 1, flags, 0);
                size_t p2 = sy_road_pts(b, ic, ends[s], &x2, &y2, 1, cls, 60, 1, flags, 0);
                b->poly[p1].link = 1;
                b->poly[p2].link = 1;
                road_end[s] = ic;
            }
        }
        sy_rng rng = sy_stream(seed, SALT_MAJOR, c->a, c->b);
        uint32_t sf = 0, sn = 0;
        sy_road(b, road_end[0], road_end[1], cls, speed, 0, flags, 0, 700.0, 0.07, &rng, &sf, &sn);
        if (cls != PL_ROAD_MOTORWAY)
            for (uint32_t v = sf; v < sf + sn; v++)
                add_point(&pts, b, v, ta->landmass, 0, 0);
    }
    free(ce);

    /* rural squares */
    pl_progress(ctx, 0.4, "synth: rural roads");
    net->sq_hub = pl_malloc((nq ? nq : 1) * sizeof *net->sq_hub);
    net->sq_loc_first = pl_malloc((nq + 1) * sizeof *net->sq_loc_first);
    for (size_t q = 0; q < nq; q++) {
        net->sq_hub[q] = UINT32_MAX;
        net->sq_loc_first[q] = (uint32_t)net->n_loc_v;
        if (sq_town[q] >= 0)
            continue;
        uint32_t hub = rural_square(r, net, q);
        net->sq_hub[q] = hub;
        add_point(&pts, b, hub, sq_lm[q], r->sq_pop[q], 1);
        pts.sq[pts.n - 1] = (int32_t)q;
    }
    net->sq_loc_first[nq] = (uint32_t)net->n_loc_v;

    /* connectivity so far: vertices joined by the roads laid */
    pl_progress(ctx, 0.5, "synth: connecting");
    sy_uf uf;
    sy_uf_init(&uf, b->nv);
    for (size_t p = 0; p < b->np; p++) {
        const sy_poly *pl = &b->poly[p];
        for (uint32_t k = 1; k < pl->count; k++)
            sy_uf_union(&uf, b->idx[pl->first], b->idx[pl->first + k]);
    }
    /* candidate links: each point's nearest neighbours on its landmass */
    sy_grid pg;
    sy_grid_build(&pg, pts.x, pts.y, pts.n, 1000.0);
    pedge *cand = NULL;
    size_t nc = 0, capc = 0;
    for (size_t i = 0; i < pts.n; i++) {
        if (!pts.hub[i])
            continue;   /* anchors are reached from hubs */
        pt_accept pa = {&pts, &uf, pts.lm[i], (uint32_t)i, UINT32_MAX, NULL, 0, 0};
        uint32_t idx[EMST_K];
        double d[EMST_K];
        int k = sy_grid_knn(&pg, pts.x[i], pts.y[i], EMST_K, 30000.0, accept_point, &pa, idx, d);
        for (int j = 0; j < k; j++) {
            pedge e = {(uint32_t)(i < idx[j] ? i : idx[j]), (uint32_t)(i < idx[j] ? idx[j] : i), d[j]};
            SY_PUSH(cand, nc, capc, e);
        }
    }
    if (nc)
        qsort(cand, nc, sizeof *cand, cmp_pedge_ab);
    size_t w = 0;
    for (size_t i = 0; i < nc; i++)
        if (w == 0 || cand[i].a != cand[w - 1].a || cand[i].b != cand[w - 1].b)
            cand[w++] = cand[i];
    nc = w;
    if (nc)
        qsort(cand, nc, sizeof *cand, cmp_pedge);
    pedge *tree = NULL;
    size_t nt = 0, capt = 0;
    uint8_t *used = pl_calloc(nc ? nc : 1, 1);
    for (size_t i = 0; i < nc; i++)
        if (sy_uf_union(&uf, pts.v[cand[i].a], pts.v[cand[i].b])) {
            SY_PUSH(tree, nt, capt, cand[i]);
            used[i] = 1;
        }
    /* join what is still apart within a landmass (Borůvka rounds, largest part stays put) */
    for (int round = 0; round < 64; round++) {
        /* size of each component (by points) per landmass */
        sy_ihash csize;
        sy_ihash_init(&csize, 1024);
        uint32_t *root = pl_malloc((pts.n ? pts.n : 1) * sizeof *root);
        for (size_t i = 0; i < pts.n; i++) {
            root[i] = sy_uf_find(&uf, pts.v[i]);
            uint32_t c = sy_ihash_get(&csize, root[i]);
            sy_ihash_put(&csize, root[i], c == UINT32_MAX ? 1 : c + 1);
        }
        /* largest component of each landmass */
        uint32_t *lm_big = pl_malloc((size_t)(n_land > 0 ? n_land : 1) * sizeof *lm_big);
        uint32_t *lm_bigsz = pl_calloc((size_t)(n_land > 0 ? n_land : 1), sizeof *lm_bigsz);
        for (int l = 0; l < n_land; l++)
            lm_big[l] = UINT32_MAX;
        for (size_t i = 0; i < pts.n; i++) {
            uint32_t c = sy_ihash_get(&csize, root[i]);
            int l = pts.lm[i];
            if (c > lm_bigsz[l] || (c == lm_bigsz[l] && root[i] < lm_big[l])) {
                lm_bigsz[l] = c;
                lm_big[l] = root[i];
            }
        }
        /* best link of each other component */
        sy_ihash best;
        sy_ihash_init(&best, 64);
        pedge *bl = NULL;
        size_t nbl = 0, capbl = 0;
        for (size_t i = 0; i < pts.n; i++) {
            int l = pts.lm[i];
            if (root[i] == lm_big[l])
                continue;
            pt_accept pa = {&pts, &uf, l, (uint32_t)i, root[i], NULL, 0, 0};
            double d;
            uint32_t j = sy_grid_nearest(&pg, pts.x[i], pts.y[i], INFINITY, accept_point, &pa, &d);
            if (j == UINT32_MAX)
                continue;
            pedge e = {(uint32_t)i, j, d};
            uint32_t slot = sy_ihash_get(&best, root[i]);
            if (slot == UINT32_MAX) {
                sy_ihash_put(&best, root[i], (uint32_t)nbl);
                SY_PUSH(bl, nbl, capbl, e);
            } else if (cmp_pedge(&e, &bl[slot]) < 0) {
                bl[slot] = e;
            }
        }
        if (nbl)
            qsort(bl, nbl, sizeof *bl, cmp_pedge);
        size_t joined = 0;
        for (size_t i = 0; i < nbl; i++)
            if (sy_uf_union(&uf, pts.v[bl[i].a], pts.v[bl[i].b])) {
                pedge e = bl[i];
                if (e.a > e.b) {
                    uint32_t tmp = e.a;
                    e.a = e.b;
                    e.b = tmp;
                }
                SY_PUSH(tree, nt, capt, e);
                joined++;
            }
        free(bl);
        sy_ihash_free(&best);
        sy_ihash_free(&csize);
        free(root);
        free(lm_big);
        free(lm_bigsz);
        if (!joined)
            break;
    }
    /* flow toward the network decides connector classes: roots are anchors (or, on a
     * landmass without any, its first hub) */
    uint32_t *adj_start = pl_calloc(pts.n + 1, sizeof *adj_start);
    for (size_t i = 0; i < nt; i++) {
        adj_start[tree[i].a + 1]++;
        adj_start[tree[i].b + 1]++;
    }
    for (size_t i = 0; i < pts.n; i++)
        adj_start[i + 1] += adj_start[i];
    uint32_t *adj = pl_malloc((2 * nt + 1) * sizeof *adj);
    {
        uint32_t *fill = pl_malloc((pts.n + 1) * sizeof *fill);
        memcpy(fill, adj_start, (pts.n + 1) * sizeof *fill);
        for (size_t i = 0; i < nt; i++) {
            adj[fill[tree[i].a]++] = (uint32_t)i;
            adj[fill[tree[i].b]++] = (uint32_t)i;
        }
        free(fill);
    }
    uint32_t *order = pl_malloc((pts.n ? pts.n : 1) * sizeof *order);
    uint32_t *parent_e = pl_malloc((pts.n ? pts.n : 1) * sizeof *parent_e);
    uint8_t *seen = pl_calloc(pts.n ? pts.n : 1, 1);
    size_t head = 0, tail = 0;
    /* breadth-first from all anchors at once, then from hubs not reached (networks without towns) */
    for (size_t i = 0; i < pts.n; i++)
        if (!pts.hub[i]) {
            seen[i] = 1;
            parent_e[i] = UINT32_MAX;
            order[tail++] = (uint32_t)i;
        }
    bfs_expand(tree, adj_start, adj, seen, parent_e, order, &head, &tail);
    for (size_t i = 0; i < pts.n; i++)
        if (!seen[i]) {
            seen[i] = 1;
            parent_e[i] = UINT32_MAX;
            order[tail++] = (uint32_t)i;
            bfs_expand(tree, adj_start, adj, seen, parent_e, order, &head, &tail);
        }
    int64_t *flow = pl_calloc(pts.n ? pts.n : 1, sizeof *flow);
    for (size_t i = 0; i < pts.n; i++)
        flow[i] = pts.pop[i];
    int64_t *eflow = pl_calloc(nt ? nt : 1, sizeof *eflow);
    for (size_t k = tail; k-- > 0;) {
        uint32_t u = order[k];
        if (parent_e[u] == UINT32_MAX)
            continue;
        const pedge *e = &tree[parent_e[u]];
        uint32_t p = e->a == u ? e->b : e->a;
        eflow[parent_e[u]] = flow[u];
        flow[p] += flow[u];
    }
    for (size_t i = 0; i < nt; i++) {
        int tert = eflow[i] >= CONNECT_TERTIARY_POP;
        uint32_t va, vb;
        connector_ends(net, &pts, tree[i].a, tree[i].b, &va, &vb);
        road_between(b, va, vb, tert ? PL_ROAD_TERTIARY : PL_ROAD_UNCLASSIFIED, tert ? 70 : 60, 0, 0, 250.0, 0.10,
                     seed, SALT_WIGGLE);
    }
    /* loops: some other neighbour links (never a second road between the same two points) */
    sy_ihash tset;
    sy_ihash_init(&tset, nt);
    for (size_t i = 0; i < nt; i++) {
        uint32_t va = pts.v[tree[i].a], vb = pts.v[tree[i].b];
        sy_ihash_put(&tset, va < vb ? ((uint64_t)va << 32 | vb) : ((uint64_t)vb << 32 | va), 1);
    }
    for (size_t i = 0; i < nc; i++) {
        if (used[i] || cand[i].len > CONNECT_LOOP_MAX_M)
            continue;
        uint32_t va = pts.v[cand[i].a], vb = pts.v[cand[i].b];
        if (sy_ihash_get(&tset, va < vb ? ((uint64_t)va << 32 | vb) : ((uint64_t)vb << 32 | va)) != UINT32_MAX)
            continue;
        sy_rng lr = sy_stream(seed, SALT_RURAL_LOOP, va < vb ? va : vb, va < vb ? vb : va);
        if (sy_unif(&lr) >= CONNECT_P_LOOP)
            continue;
        connector_ends(net, &pts, cand[i].a, cand[i].b, &va, &vb);
        if (va != vb)
            road_between(b, va, vb, PL_ROAD_UNCLASSIFIED, 60, 0, 0, 250.0, 0.10, seed, SALT_WIGGLE);
    }
    sy_ihash_free(&tset);
    free(adj_start);
    free(adj);
    free(order);
    free(parent_e);
    free(seen);
    free(flow);
    free(eflow);
    free(tree);
    free(cand);
    free(used);

    /* islands: bridges, then ferries */
    pl_progress(ctx, 0.7, "synth: islands");
    int64_t *lm_pop = pl_calloc((size_t)(n_land > 0 ? n_land : 1), sizeof *lm_pop);
    int *lm_sq = pl_calloc((size_t)(n_land > 0 ? n_land : 1), sizeof *lm_sq);
    int32_t *lm_best_sq = pl_malloc((size_t)(n_land > 0 ? n_land : 1) * sizeof *lm_best_sq);
    for (int l = 0; l < n_land; l++)
        lm_best_sq[l] = -1;
    for (size_t q = 0; q < nq; q++) {
        int l = sq_lm[q];
        lm_pop[l] += r->sq_pop[q];
        lm_sq[l]++;
        if (lm_best_sq[l] < 0 || r->sq_pop[q] > r->sq_pop[lm_best_sq[l]])
            lm_best_sq[l] = (int32_t)q;
    }
    int main_lm = -1;
    for (int l = 0; l < n_land; l++)
        if (lm_sq[l] && (main_lm < 0 || lm_pop[l] > lm_pop[main_lm]))
            main_lm = l;
    double *lm_link_km = pl_calloc((size_t)(n_land > 0 ? n_land : 1), sizeof *lm_link_km);
    sy_uf luf;
    sy_uf_init(&luf, (size_t)(n_land > 0 ? n_land : 1));
    {
        pedge *bc = NULL;
        size_t nbc = 0, capbc = 0;
        uint32_t *main_only = pl_calloc((size_t)(n_land > 0 ? n_land : 1), sizeof *main_only);
        if (main_lm >= 0)
            main_only[main_lm] = 1;
        for (size_t i = 0; i < pts.n; i++) {
            if (pts.lm[i] == main_lm)
                continue;
            /* the nearest point on another landmass, and the nearest on the main one */
            for (int pass = 0; pass < 2; pass++) {
                pt_accept pa = {&pts, &uf, pts.lm[i], (uint32_t)i, UINT32_MAX, NULL, 0, 1};
                if (pass == 1) {
                    pa.group = main_only;
                    pa.want_group = 1;
                }
                double d;
                uint32_t j = sy_grid_nearest(&pg, pts.x[i], pts.y[i], LONG_BRIDGE_MAX_M, accept_point, &pa, &d);
                if (j == UINT32_MAX)
                    continue;
                pedge e = {(uint32_t)i, j, d};
                SY_PUSH(bc, nbc, capbc, e);
            }
        }
        if (nbc)
            qsort(bc, nbc, sizeof *bc, cmp_pedge);
        for (size_t i = 0; i < nbc; i++) {
            int la = pts.lm[bc[i].a], lb = pts.lm[bc[i].b];
            int64_t small = lm_pop[la] < lm_pop[lb] ? lm_pop[la] : lm_pop[lb];
            if (bc[i].len > BRIDGE_MAX_M && small < LONG_BRIDGE_MIN_POP)
                continue;
            if (!sy_uf_union(&luf, (uint32_t)la, (uint32_t)lb))
                continue;
            int cls = small >= 5000 ? PL_ROAD_PRIMARY : PL_ROAD_TERTIARY;
            road_between(b, pts.v[bc[i].a], pts.v[bc[i].b], cls, cls == PL_ROAD_PRIMARY ? 80 : 70, PL_ROAD_BRIDGE, 1,
                         300.0, 0.02, seed, SALT_WIGGLE);
            int island = la == main_lm ? lb : lb == main_lm ? la : (lm_pop[la] < lm_pop[lb] ? la : lb);
            lm_link_km[island] = bc[i].len / 1000.0;
            r->stats.n_bridges++;
        }
        free(bc);
        free(main_only);
    }
    /* groups of landmasses now linked; ferries for those apart from the main one */
    uint32_t *group = pl_malloc((size_t)(n_land > 0 ? n_land : 1) * sizeof *group);
    for (int l = 0; l < n_land; l++)
        group[l] = sy_uf_find(&luf, (uint32_t)l);
    if (main_lm >= 0) {
        uint32_t main_group = group[main_lm];
        int64_t *gpop = pl_calloc((size_t)n_land, sizeof *gpop);
        double *ferry_km = pl_calloc((size_t)n_land, sizeof *ferry_km);
        for (int l = 0; l < n_land; l++)
            gpop[group[l]] += lm_pop[l];
        for (int l = 0; l < n_land; l++) {
            if (!lm_sq[l] || group[l] == main_group || (int)group[l] != l)
                continue;   /* one ferry decision per group, made at its root */
            if (gpop[l] < FERRY_MIN_POP)
                continue;
            /* port: the node of the group's largest town, else its most populated square's hub */
            uint32_t port = UINT32_MAX;
            int32_t port_pop = -1;
            for (size_t t = 0; t < T; t++) {
                sy_town *tw = &net->towns[t];
                if (tw->owner != (int)t || tw->node == UINT32_MAX || tw->landmass < 0 || group[tw->landmass] != group[l])
                    continue;
                if (tw->pop > port_pop) {
                    port_pop = tw->pop;
                    port = tw->node;
                }
            }
            if (port == UINT32_MAX) {
                int32_t bq = -1;
                for (int m = 0; m < n_land; m++)
                    if (group[m] == group[l] && lm_best_sq[m] >= 0 &&
                        (bq < 0 || r->sq_pop[lm_best_sq[m]] > r->sq_pop[bq]))
                        bq = lm_best_sq[m];
                if (bq >= 0)
                    port = net->sq_hub[bq];
                if (port == UINT32_MAX && bq >= 0 && sq_town[bq] >= 0)
                    port = net->towns[sq_town[bq]].node;
            }
            if (port == UINT32_MAX)
                continue;
            pt_accept pa = {&pts, &uf, -1, UINT32_MAX, UINT32_MAX, group, main_group, 1};
            double d;
            uint32_t j = sy_grid_nearest(&pg, b->vx[port], b->vy[port], INFINITY, accept_point, &pa, &d);
            if (j == UINT32_MAX)
                continue;
            uint32_t dests[2] = {pts.v[j], UINT32_MAX};
            if (gpop[l] >= FERRY_SECOND_POP) {
                double bd = INFINITY;
                for (size_t t = 0; t < T; t++) {
                    sy_town *tw = &net->towns[t];
                    if (tw->owner != (int)t || tw->node == UINT32_MAX || tw->landmass < 0 ||
                        group[tw->landmass] != main_group || tw->pop < FERRY_PORT_TOWN_POP)
                        continue;
                    double dd = hypot(b->vx[tw->node] - b->vx[port], b->vy[tw->node] - b->vy[port]);
                    double from_first = hypot(b->vx[tw->node] - b->vx[dests[0]], b->vy[tw->node] - b->vy[dests[0]]);
                    if (from_first > 20000.0 && dd < bd) {
                        bd = dd;
                        dests[1] = tw->node;
                    }
                }
            }
            for (int k = 0; k < 2; k++) {
                if (dests[k] == UINT32_MAX)
                    continue;
                double len = hypot(b->vx[dests[k]] - b->vx[port], b->vy[dests[k]] - b->vy[port]);
                int speed = len > 20000.0 ? 40 : 15;
                road_between(b, port, dests[k], PL_ROAD_FERRY, speed, PL_ROAD_IS_FERRY, 0, 2000.0, 0.03, seed,
                             SALT_FERRY);
                r->stats.n_ferries++;
                if (k == 0)
                    ferry_km[l] = len / 1000.0;
            }
            sy_uf_union(&uf, port, dests[0]);
        }
        /* report every landmass other than the main one */
        for (int l = 0; l < n_land; l++) {
            if (!lm_sq[l] || l == main_lm)
                continue;
            pl_synth_island is;
            memset(&is, 0, sizeof is);
            int32_t bq = lm_best_sq[l];
            is.x = r->sq_x[bq] + 500.0;
            is.y = r->sq_y[bq] + 500.0;
            is.n_squares = lm_sq[l];
            is.pop = lm_pop[l];
            if (group[l] == main_group) {
                is.link = PL_SYNTH_LINK_BRIDGE;
                is.link_km = lm_link_km[l];   /* 0 when reached across another island's bridge */
            } else if (ferry_km[group[l]] > 0) {
                is.link = (int)group[l] == l ? PL_SYNTH_LINK_FERRY : PL_SYNTH_LINK_BRIDGE;
                is.link_km = (int)group[l] == l ? ferry_km[l] : lm_link_km[l];
            } else {
                is.link = PL_SYNTH_LINK_NONE;
            }
            int32_t best_pop = -1;
            for (size_t t = 0; t < T; t++) {
                const sy_town *tw = &net->towns[t];
                if (tw->owner == (int)t && tw->landmass == l && tw->pop > best_pop && tw->loc >= 0) {
                    best_pop = tw->pop;
                    snprintf(is.name, sizeof is.name, "%s", r->loc_name[tw->loc]);
                }
            }
            if (best_pop < 0)
                snprintf(is.name, sizeof is.name, "island at E %.0f N %.0f", is.x, is.y);
            r->islands = pl_realloc(r->islands, (r->n_islands + 1) * sizeof *r->islands);
            r->islands[r->n_islands++] = is;
        }
        free(gpop);
        free(ferry_km);
    }
    free(group);
    sy_uf_free(&luf);
    free(lm_pop);
    free(lm_sq);
    free(lm_best_sq);
    free(lm_link_km);
    sy_grid_free(&pg);
    sy_uf_free(&uf);
    free_points(&pts);

    /* localities: the node serving each */
    for (size_t t = 0; t < T; t++) {
        const sy_town *tw = &net->towns[t];
        if (tw->loc >= 0)
            r->loc_node[tw->loc] = tw->node == UINT32_MAX ? -1 : (int64_t)tw->node;   /* vertex id for now */
    }

    free(tcount);
    free(tsq);
    free(tlm);
    sy_ihash_free(&sqh);
    free_landmass(h, &lm);
    return rc;
}

/* ------------------------------------------------------------------ emission */
typedef struct vkey {
    uint64_t key;
    uint32_t v;
} vkey;

/* Stable LSD radix sort on the low 48 bits of key (ties keep their order). */
static vkey *radix48(vkey *a, vkey *tmp, size_t n)
{
    size_t *count = pl_malloc(65537 * sizeof *count);
    for (int shift = 0; shift < 48; shift += 16) {
        memset(count, 0, 65537 * sizeof *count);
        for (size_t i = 0; i < n; i++)
            count[((a[i].key >> shift) & 0xffff) + 1]++;
        for (size_t d = 0; d < 65536; d++)
            count[d + 1] += count[d];
        for (size_t i = 0; i < n; i++)
            tmp[count[(a[i].key >> shift) & 0xffff]++] = a[i];
        vkey *t = a;
        a = tmp;
        tmp = t;
    }
    free(count);
    return a;
}

/* Two distinct vertices closer than SEPARATE_M would be joined by a graph builder's snapping
 * (0.5 m by default) although no road joins them there: move the later one 1.5 m away.
 * Vertices are bucketed in 1 m cells (sorted by cell); a close pair lies in the same or a
 * neighbouring cell, found with one forward-moving pointer per neighbour offset. */
#define SEPARATE_M 0.6
static void separate_close_vertices(sy_builder *b)
{
    size_t n = b->nv;
    if (n < 2)
        return;
    vkey *k = pl_malloc(n * sizeof *k), *tmp = pl_malloc(n * sizeof *tmp);
    double minx = b->vx[0], miny = b->vy[0];
    for (size_t i = 1; i < n; i++) {
        minx = fmin(minx, b->vx[i]);
        miny = fmin(miny, b->vy[i]);
    }
    minx = floor(minx) - 4.0;
    miny = floor(miny) - 4.0;
    static const uint64_t offs[4] = {1, (1ULL << 24) - 1, 1ULL << 24, (1ULL << 24) + 1};
    for (int pass = 0; pass < 3; pass++) {
        for (size_t i = 0; i < n; i++) {
            uint64_t cx = (uint64_t)floor(b->vx[i] - minx), cy = (uint64_t)floor(b->vy[i] - miny);
            k[i].key = cx << 24 | cy;
            k[i].v = (uint32_t)i;
        }
        vkey *sorted = radix48(k, tmp, n);
        size_t ptr[4] = {0, 0, 0, 0}, moved = 0;
        for (size_t i = 0; i < n; i++) {
            uint32_t a = sorted[i].v;
            for (int o = -1; o < 4; o++) {
                size_t j;
                uint64_t want;
                if (o < 0) {
                    j = i + 1;
                    want = sorted[i].key;
                } else {
                    want = sorted[i].key + offs[o];
                    while (ptr[o] < n && sorted[ptr[o]].key < want)
                        ptr[o]++;
                    j = ptr[o];
                }
                for (; j < n && sorted[j].key == want; j++) {
                    uint32_t c = sorted[j].v;
                    if (hypot(b->vx[a] - b->vx[c], b->vy[a] - b->vy[c]) >= SEPARATE_M)
                        continue;
                    uint32_t m = a > c ? a : c;
                    b->vx[m] = round((b->vx[m] + 1.2) * 100.0) / 100.0;
                    b->vy[m] = round((b->vy[m] + 0.9) * 100.0) / 100.0;
                    moved++;
                }
            }
        }
        if (!moved)
            break;
    }
    free(k);
    free(tmp);
}

void sy_emit_roads(pl_synth_region *r, sy_net *net)
{
    sy_builder *b = &net->b;
    separate_close_vertices(b);
    /* count pieces and vertices */
    size_t n_lines = 0, n_vx = 0;
    for (size_t p = 0; p < b->np; p++) {
        const sy_poly *pl = &b->poly[p];
        for (uint32_t k = 1; k < pl->count; k++) {
            uint32_t v = b->idx[pl->first + k];
            n_vx++;
            if (k == pl->count - 1 || b->refs[v] > 1 || b->is_end[v])
                n_lines++;
        }
        n_vx += 0;
    }
    n_vx += n_lines;   /* each line repeats its first vertex */
    pl_roads *R = &r->roads;
    memset(R, 0, sizeof *R);
    R->n = n_lines;
    R->first_vertex = pl_malloc((n_lines + 1) * sizeof *R->first_vertex);
    R->vx = pl_malloc((n_vx ? n_vx : 1) * sizeof *R->vx);
    R->vy = pl_malloc((n_vx ? n_vx : 1) * sizeof *R->vy);
    R->id = pl_malloc((n_lines ? n_lines : 1) * sizeof *R->id);
    R->road_class = pl_malloc((n_lines ? n_lines : 1) * sizeof *R->road_class);
    R->speed_kmh = pl_malloc((n_lines ? n_lines : 1) * sizeof *R->speed_kmh);
    R->oneway = pl_malloc((n_lines ? n_lines : 1) * sizeof *R->oneway);
    R->flags = pl_malloc((n_lines ? n_lines : 1) * sizeof *R->flags);
    R->layer = pl_malloc((n_lines ? n_lines : 1) * sizeof *R->layer);
    R->source = pl_strdup("platsa synth (SYNTHETIC roads)");
    r->road_node_a = pl_malloc((n_lines ? n_lines : 1) * sizeof *r->road_node_a);
    r->road_node_b = pl_malloc((n_lines ? n_lines : 1) * sizeof *r->road_node_b);
    uint8_t *is_link = pl_malloc(n_lines ? n_lines : 1);
    uint32_t *node_id = pl_malloc((b->nv ? b->nv : 1) * sizeof *node_id);
    memset(node_id, 0xff, (b->nv ? b->nv : 1) * sizeof *node_id);
    uint32_t n_nodes = 0;
    size_t line = 0, vi = 0;
    for (size_t p = 0; p < b->np; p++) {
        const sy_poly *pl = &b->poly[p];
        uint32_t start = b->idx[pl->first];
        R->first_vertex[line] = vi;
        R->vx[vi] = b->vx[start];
        R->vy[vi] = b->vy[start];
        vi++;
        for (uint32_t k = 1; k < pl->count; k++) {
            uint32_t v = b->idx[pl->first + k];
            R->vx[vi] = b->vx[v];
            R->vy[vi] = b->vy[v];
            vi++;
            if (k == pl->count - 1 || b->refs[v] > 1 || b->is_end[v]) {
                R->id[line] = (int64_t)line + 1;
                R->road_class[line] = pl->cls;
                R->speed_kmh[line] = pl->speed;
                R->oneway[line] = pl->oneway;
                R->flags[line] = pl->flags;
                R->layer[line] = pl->layer;
                is_link[line] = pl->link;
                if (node_id[start] == UINT32_MAX)
                    node_id[start] = n_nodes++;
                if (node_id[v] == UINT32_MAX)
                    node_id[v] = n_nodes++;
                r->road_node_a[line] = node_id[start];
                r->road_node_b[line] = node_id[v];
                line++;
                if (k < pl->count - 1) {
                    R->first_vertex[line] = vi;
                    R->vx[vi] = b->vx[v];
                    R->vy[vi] = b->vy[v];
                    vi++;
                    start = v;
                }
            }
        }
    }
    R->first_vertex[line] = vi;
    r->n_nodes = n_nodes;
    /* localities: vertex -> node id */
    for (size_t i = 0; i < r->n_localities; i++)
        if (r->loc_node[i] >= 0)
            r->loc_node[i] = node_id[r->loc_node[i]] == UINT32_MAX ? -1 : (int64_t)node_id[r->loc_node[i]];
    free(node_id);
    /* statistics */
    pl_synth_stats *st = &r->stats;
    st->n_nodes = n_nodes;
    st->n_edges = n_lines;
    st->n_vertices = vi;
    st->mean_degree = n_nodes ? 2.0 * (double)n_lines / (double)n_nodes : 0;
    sy_uf uf;
    sy_uf_init(&uf, n_nodes ? n_nodes : 1);
    for (size_t i = 0; i < n_lines; i++) {
        sy_uf_union(&uf, r->road_node_a[i], r->road_node_b[i]);
        double len = 0;
        for (size_t k = R->first_vertex[i] + 1; k < R->first_vertex[i + 1]; k++)
            len += hypot(R->vx[k] - R->vx[k - 1], R->vy[k] - R->vy[k - 1]);
        st->km_by_class[R->road_class[i]] += len / 1000.0;
        st->edges_by_class[R->road_class[i]]++;
        st->n_oneway += R->oneway[i] != 0;
    }
    uint32_t *csz = pl_calloc(n_nodes ? n_nodes : 1, sizeof *csz);
    size_t biggest = 0;
    st->n_components = 0;
    for (uint32_t v = 0; v < n_nodes; v++) {
        uint32_t root = sy_uf_find(&uf, v);
        if (csz[root]++ == 0)
            st->n_components++;
        if (csz[root] > biggest)
            biggest = csz[root];
    }
    st->nodes_off_main = n_nodes - biggest;
    free(csz);
    sy_uf_free(&uf);
    /* the ramps are written as *_link; remember them in the class-independent flags: no spare
     * bit exists in pl_roads, so keep the marker in the region (see synth_write.c) */
    r->road_is_link = is_link;
}

void sy_net_free(sy_net *net)
{
    for (size_t t = 0; t < net->n_towns; t++) {
        free(net->towns[t].grid);
        free(net->towns[t].grid_w);
    }
    free(net->towns);
    free(net->sq_town);
    free(net->sq_hub);
    free(net->sq_loc_first);
    free(net->loc_v);
    free(net->sq_landmass);
    sy_builder_free(&net->b);
    memset(net, 0, sizeof *net);
}
