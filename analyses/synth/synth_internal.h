/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Internals shared by the synth modules: seeded random streams, a point grid index,
 * union-find, and the road builder. Not part of the public API. */
#ifndef PLATSA_ANALYSES_SYNTH_INTERNAL_H
#define PLATSA_ANALYSES_SYNTH_INTERNAL_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "synth.h"

/* ---------- random streams (splitmix64) ---------- */
typedef struct sy_rng {
    uint64_t s;
} sy_rng;

static inline uint64_t sy_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A stream for one purpose (salt) and one entity (a, b), independent of generation order. */
static inline sy_rng sy_stream(uint64_t seed, uint64_t salt, uint64_t a, uint64_t b)
{
    sy_rng r;
    r.s = sy_mix(sy_mix(sy_mix(seed ^ 0x9e3779b97f4a7c15ULL) ^ salt) + a * 0x632be59bd9b4e019ULL) ^ sy_mix(b + 0x1234567ULL);
    return r;
}

static inline uint64_t sy_next(sy_rng *r)
{
    r->s += 0x9e3779b97f4a7c15ULL;
    return sy_mix(r->s);
}

/* Uniform in [0,1). */
static inline double sy_unif(sy_rng *r) { return (double)(sy_next(r) >> 11) * 0x1.0p-53; }
/* Uniform in [lo,hi). */
static inline double sy_range(sy_rng *r, double lo, double hi) { return lo + (hi - lo) * sy_unif(r); }
/* Standard normal (Box-Muller, one value per call). */
static inline double sy_normal(sy_rng *r)
{
    double u1 = sy_unif(r), u2 = sy_unif(r);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
/* Uniform integer in [0,n). */
static inline uint32_t sy_below(sy_rng *r, uint32_t n) { return n ? (uint32_t)(sy_unif(r) * n) : 0; }

/* Hash of a string (FNV-1a), for keying streams by codes. */
static inline uint64_t sy_hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* Stream salts: one per purpose, so adding a purpose never shifts another's draws. */
enum {
    SALT_SPLIT = 1, SALT_HUB, SALT_GRID, SALT_GRID_EDGE, SALT_LOCAL, SALT_MAJOR, SALT_WIGGLE,
    SALT_RURAL_LOOP, SALT_SERVICE, SALT_FERRY, SALT_RAMP
};

/* ---------- growable arrays ---------- */
#define SY_PUSH(arr, n, cap, val)                                              \
    do {                                                                       \
        if ((n) == (cap)) {                                                    \
            (cap) = (cap) ? (cap) * 2 : 1024;                                  \
            (arr) = pl_realloc((arr), (cap) * sizeof *(arr));                  \
        }                                                                      \
        (arr)[(n)++] = (val);                                                  \
    } while (0)

/* ---------- union-find (deterministic: the smaller index becomes the root) ---------- */
typedef struct sy_uf {
    uint32_t *p;
    size_t n, cap;
} sy_uf;

void sy_uf_init(sy_uf *u, size_t n);
void sy_uf_grow(sy_uf *u, size_t n);   /* new elements are singletons */
uint32_t sy_uf_find(sy_uf *u, uint32_t a);
int sy_uf_union(sy_uf *u, uint32_t a, uint32_t b);   /* 1 if they were apart */
void sy_uf_free(sy_uf *u);

/* ---------- point grid index ---------- */
typedef struct sy_grid {
    double x0, y0, cell;
    int64_t nx, ny;
    uint32_t *start;      /* nx*ny+1 */
    uint32_t *items;      /* point indexes, by cell */
    const double *x, *y;
    size_t n;
} sy_grid;

void sy_grid_build(sy_grid *g, const double *x, const double *y, size_t n, double cell);
void sy_grid_free(sy_grid *g);

/* Predicate: may point j be an answer for the query (user data)? */
typedef int (*sy_accept_fn)(uint32_t j, void *user);

/* k nearest accepted points within max_dist; fills idx/dist (ascending), returns how many. */
int sy_grid_knn(const sy_grid *g, double x, double y, int k, double max_dist, sy_accept_fn ok, void *user,
                uint32_t *idx, double *dist);
/* Nearest accepted point within max_dist, or UINT32_MAX. */
uint32_t sy_grid_nearest(const sy_grid *g, double x, double y, double max_dist, sy_accept_fn ok, void *user,
                         double *dist);

/* ---------- integer hash map (uint64 key -> uint32 value) ---------- */
typedef struct sy_ihash {
    uint64_t *keys;
    uint32_t *vals;          /* UINT32_MAX = empty slot */
    size_t cap, n;
} sy_ihash;

void sy_ihash_init(sy_ihash *h, size_t expected);
void sy_ihash_put(sy_ihash *h, uint64_t key, uint32_t val);
uint32_t sy_ihash_get(const sy_ihash *h, uint64_t key);   /* UINT32_MAX if absent */
void sy_ihash_free(sy_ihash *h);

/* ---------- road builder ---------- */
/* Roads are polylines over a shared vertex array. A vertex used by two polylines (or the end
 * of one) is a junction; at emission every polyline is split at its junctions, so each emitted
 * line runs from junction to junction with shape vertices between. */
typedef struct sy_poly {
    uint32_t first, count;   /* into b->idx */
    uint8_t cls;             /* pl_road_class */
    uint8_t flags;           /* PL_ROAD_* */
    int8_t oneway;
    int8_t layer;
    uint8_t speed;           /* km/h */
    uint8_t link;            /* 1 = a *_link ramp (written as highway=motorway_link or trunk_link) */
} sy_poly;

typedef struct sy_builder {
    double *vx, *vy;
    uint16_t *refs;          /* polyline references (saturating) */
    uint8_t *is_end;         /* first or last vertex of some polyline */
    size_t nv, capv;
    uint32_t *idx;
    size_t nidx, capidx;
    sy_poly *poly;
    size_t np, capp;
} sy_builder;

uint32_t sy_vertex(sy_builder *b, double x, double y);
/* Adds a road from vertex a to vertex b with shape vertices from midpoint displacement:
 * segments of at most seg_m, amplitude amp (fraction of the length) halving each level.
 * Returns the polyline index; *shape_first and *shape_n (may be NULL) give its new shape vertices. */
size_t sy_road(sy_builder *b, uint32_t a, uint32_t v, int cls, int speed, int oneway, int flags, int layer,
               double seg_m, double amp, sy_rng *rng, uint32_t *shape_first, uint32_t *shape_n);
/* Adds a road from a to v through the given shape points. Returns the polyline index. */
size_t sy_road_pts(sy_builder *b, uint32_t a, uint32_t v, const double *xs, const double *ys, int n, int cls,
                   int speed, int oneway, int flags, int layer);
void sy_builder_free(sy_builder *b);

/* ---------- what the roads stage hands to the services stage ---------- */
typedef struct sy_town {
    int loc;                 /* index into the region's localities */
    double x, y;
    int32_t pop;             /* tätort population 2020 */
    int64_t urban_pop;       /* 2024 population of its grid squares */
    int owner;               /* town index owning the grid it uses (itself if it has squares), -1 none */
    uint32_t node;           /* vertex index of its network node, UINT32_MAX if none */
    uint32_t *grid;          /* vertex indexes of its street grid nodes */
    float *grid_w;           /* weight of each grid node (population of its 250 m cell / nodes in it) */
    size_t n_grid;
    int16_t muni;
    int landmass;
} sy_town;

typedef struct sy_net {
    sy_builder b;
    sy_town *towns;
    size_t n_towns;
    int32_t *sq_town;        /* per square: town owning it (urban) or -1 (rural) */
    uint32_t *sq_hub;        /* per square: hub vertex (rural squares), UINT32_MAX otherwise */
    uint32_t *sq_loc_first;  /* per square (n+1): its local road nodes are loc_v[first[q]..first[q+1]) */
    uint32_t *loc_v;
    size_t n_loc_v, cap_loc_v;
    int32_t *sq_landmass;
} sy_net;

/* National inputs the roads stage needs beyond the region (so that a square, a town or a
 * road class comes out the same whether the region is S, M or L). */
typedef struct sy_inputs {
    size_t n_towns;                  /* all 2,017 tätorter */
    double *tx, *ty;
    int32_t *tpop, *tarea;
    char **tcode, **tname;
    int *t_region_loc;               /* index into the region's localities, -1 outside the region */
    size_t n_munis;                  /* all 290 kommuner (borrowed geometries) */
    GEOSGeometry **munis;
} sy_inputs;

/* Builds the road network of the region (synth_roads.c). */
int sy_build_roads(pl_ctx *ctx, pl_synth_region *r, const sy_inputs *in, sy_net *net, pl_error *err);
/* Turns the builder into the region's pl_roads arrays and node ids, and fills road statistics. */
void sy_emit_roads(pl_synth_region *r, sy_net *net);
void sy_net_free(sy_net *net);

/* Appends one service to the region's arrays (synth.c); cap is the arrays' capacity. */
void sy_add_service(pl_synth_region *r, size_t *cap, double x, double y, int type, int synthetic,
                    const char *id, const char *name, int16_t muni);

/* Places the synthetic services (synth_services.c). */
void sy_place_services(pl_ctx *ctx, pl_synth_region *r, sy_net *net);

#endif
