/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Routable graph (CSR arrays) built from a pl_roads network for one travel mode,
 * attachment of places to it, and multi-source k-nearest searches.
 *
 * Direction convention: searches answer "from each place (target) to its nearest
 * sources (services)" — the resident travels to the service — so one-way streets are
 * respected in that direction. Costs: length in metres always; time in seconds
 * at the mode's speed (car: per-road speed or class default; bike 16 km/h; walk 5 km/h). */
#ifndef PLATSA_GIS_GRAPH_H
#define PLATSA_GIS_GRAPH_H

#include <stdint.h>
#include "ctx.h"
#include "roads.h"

typedef enum { PL_MODE_CAR = 0, PL_MODE_BIKE = 1, PL_MODE_WALK = 2 } pl_mode;

const char *pl_mode_name(pl_mode m);
int pl_mode_from_name(const char *name, pl_mode *out); /* PL_OK or PL_EINPUT */
double pl_mode_speed_kmh(pl_mode m);                     /* bike 16, walk 5; car: 0 (per road) */

typedef enum { PL_METRIC_DISTANCE = 0, PL_METRIC_TIME = 1 } pl_metric;

typedef struct pl_graph_opts {
    pl_mode mode;
    double snap_tolerance_m;   /* vertices closer than this are at one place (default 0.5); no
                                  effect on roads with topology ids */
    int node_intersections;    /* also join lines at shared interior vertices by the table below
                                  (default on); no effect on roads with topology ids */
    double ferry_speed_kmh;    /* default 20 */
    const char *cache_path;    /* optional graph cache file; NULL = none */
    int skip_forward_arcs;     /* 1: no forward arcs (out_begin, arc_* stay NULL), for a run that
                                  only attaches places and searches towards the sources
                                  (pl_graph_nearest_k): a fifth of a cold build's memory (grid-2M:
                                  126 MB). Ignored with cache_path (the cache file holds them).
                                  Default 0 */
    int search_only;           /* pl_graph_build_like, when it derives: the graph is for attaching
                                  and the searches only: it shares base's nodes and edges (read
                                  only) and has no forward arcs (as skip_forward_arcs); default 0 */
} pl_graph_opts;

/* How the builder makes nodes and edges (pl_graph_build):
 *  - Only the roads open to the mode take part (see pl_graph_road_allowed).
 *  - Roads without topology ids (node_source NULL): vertices closer than snap_tolerance_m
 *    are at one place (a grid hash with cells of the tolerance; each vertex joins the
 *    nearest existing place within the tolerance, lines taken in input order). Without
 *    node_intersections only line ends take part. Two vertices at one place join by this
 *    table (END = a line's first or last vertex, INT = any other vertex; street = neither
 *    bridge nor tunnel; layer = the OSM layer tag, 0 by default):
 *
 *      vertex of A    vertex of B                    layers   join   (as OSM data looks)
 *      END            END, any tags                  any      yes    ways meet at a shared end node;
 *                                                                    a bridge or tunnel ends where it
 *                                                                    meets the ground network
 *      END            INT of a street                same     yes    a T-junction
 *      END            INT of a street                other    yes    a bridge, tunnel or ramp ending on
 *                                                                    a street
 *      END            INT of a bridge/tunnel         same     yes    a tunnel way ending on another
 *                                                                    tunnel of its layer
 *      END            INT of a bridge/tunnel         other    no     a street ending under a bridge
 *                                                                    or above a tunnel
 *      INT            INT, street/bridge/tunnel      same     yes    ways sharing a node on one layer:
 *                                                                    streets, two tunnels at -1, two
 *                                                                    bridges at 1
 *      INT            INT, any tags                  other    no     a bridge over a street (or a tunnel
 *                                                                    under it) drawn through a vertex
 *
 *    Two vertices of one line join the same way (a line that visits a place again), except
 *    consecutive ones that are not both ends (a segment shorter than the tolerance). The
 *    vertices of a place that join, directly or through others, are one node; a node has
 *    a line end or at least two vertices. A place can hold several nodes: two junctions on
 *    different layers stacked at one position stay apart.
 *  - Roads with topology ids (pl_roads.node_source/node_target, the roads layer's
 *    source/target fields): line ends with equal ids are one node and nothing else joins,
 *    whatever the positions, tags or tolerance; interior vertices are never nodes.
 *  - Interior vertices that are not junctions are not nodes: an edge is the polyline
 *    between two nodes and its length is the polyline length in metres (working CRS).
 *  - Modes: car takes the road's speed_kmh or its class default, respects oneway, and
 *    excludes PL_ROAD_NO_CAR and footway/cycleway/path/steps/pedestrian. Bike: 16 km/h,
 *    excludes motorway (and its links), steps and PL_ROAD_NO_BIKE; trunk roads stay open
 *    (Swedish trunk roads include ordinary national roads; motortrafikleder come with
 *    motorroad=yes or bicycle=no, which the loader turns into PL_ROAD_NO_BIKE). Bike
 *    respects oneway (Swedish one-way signs apply to cyclists) except on roads flagged
 *    PL_ROAD_BIKE_BOTH_WAYS (oneway:bicycle=no). Walk: 5 km/h, both directions always,
 *    excludes motorway and PL_ROAD_NO_FOOT. Ferries (class ferry or PL_ROAD_IS_FERRY) go
 *    at ferry_speed_kmh for every mode and are open to all modes unless flagged closed.
 *  - Nodes are numbered along a Hilbert curve (cache locality); arcs leaving a node are
 *    contiguous (CSR). Components are weakly connected components of the mode's arcs,
 *    sorted by node count, 0 = largest (ties: lowest node id).
 *  - Cache: with cache_path, a binary file (magic, format version, 64-bit hash of the
 *    roads arrays and of these options) is read when it matches and rewritten when it
 *    does not, so a warm run skips the build and a change of the roads invalidates it. */

/* Whether road r takes part in a graph of mode m (before direction rules). */
int pl_graph_road_allowed(const pl_roads *roads, size_t r, pl_mode m);

/* A reverse arc (for searches that travel towards the sources): tail -> (this node). */
typedef struct pl_rev_arc {
    uint32_t tail;
    float len_m;
    float time_s;
} pl_rev_arc;

void pl_graph_opts_default(pl_graph_opts *o);

typedef struct pl_graph {
    pl_mode mode;
    uint32_t n_nodes;
    uint32_t n_arcs;           /* directed arcs */
    double *node_x, *node_y;
    uint32_t *out_begin;       /* n_nodes+1: arcs leaving node v are out_begin[v]..out_begin[v+1]-1;
                                  NULL (and arc_*) when built with skip_forward_arcs */
    uint32_t *arc_head;
    float *arc_len_m;
    float *arc_time_s;
    uint32_t *arc_road;        /* index of the source road (pl_roads) */
    uint32_t *component;       /* per node: connected-component id, 0 = largest */
    uint32_t n_components;
    uint32_t *component_nodes; /* per component: node count */

    /* Undirected edges: the polylines between nodes, one per road piece. */
    uint32_t n_edges;
    uint32_t *edge_a, *edge_b;     /* end nodes; the edge runs from a (first vertex) to b */
    uint32_t *edge_road;           /* index of the road (pl_roads) */
    uint32_t *edge_v0;             /* vertex range in roads->vx/vy: edge_v0[e] .. edge_v1[e] */
    uint32_t *edge_v1;
    float *edge_len_m, *edge_time_s;
    uint8_t *edge_dir;             /* bit 0: a->b open, bit 1: b->a open */

    /* Reverse CSR: arcs entering node v are in_arc[in_begin[v] .. in_begin[v+1]-1]. */
    uint32_t *in_begin;
    pl_rev_arc *in_arc;

    uint64_t input_hash;           /* hash of the roads arrays and build options */
    struct pl_snap_index *snap_index; /* the segment index for the default options, kept with
                                      the graph (pl_graph_keep_snap_index, or read from the cache
                                      file); pl_snap_index_new shares it; NULL = none */
    int from_cache;                /* 1 when read from the cache file */
    int shares_base;               /* node_x/y and the edges but their times and directions are
                                      another graph's (pl_graph_opts.search_only): not freed here */
    void *cache_map;               /* when set, the arrays live in this private mapping of the
                                      cache file (pl_graph_free unmaps it instead of freeing them) */
    size_t cache_map_size;
} pl_graph;

pl_graph *pl_graph_build(pl_ctx *ctx, const pl_roads *roads, const pl_graph_opts *opts, pl_error *err);
/* The same graph as pl_graph_build(ctx, roads, opts, err), made faster from base: a graph
 * built (or read from the cache) from the same roads with the same options but another mode.
 * When both modes open the same roads (pl_graph_road_allowed) the nodes and edges are the
 * same, so only the times, directions, arcs and components are made again; otherwise (or
 * with opts->cache_path set, or base NULL or without its edges) it builds. base is not changed.
 * When base keeps a snap index (pl_graph_keep_snap_index) and both modes attach to the same
 * roads (pl_road_attachable), the new graph borrows it: free the new graph before base (the same
 * with opts->search_only, whose graph shares base's nodes and edges). */
pl_graph *pl_graph_build_like(pl_ctx *ctx, const pl_graph *base, const pl_roads *roads, const pl_graph_opts *opts,
                              pl_error *err);
/* pl_graph_build_like, whose derived graph takes the arrays of spare (not base; NULL: none) it
 * can: a graph derived from the same base before and no longer used, freed here in any case.
 * Memory touched the first time costs ~2 ms/MB on some machines, and each derived graph of the
 * anchor holds ~130 MB of such arrays, the same sizes for every mode. */
pl_graph *pl_graph_build_like_spare(pl_ctx *ctx, const pl_graph *base, const pl_roads *roads,
                                    const pl_graph_opts *opts, pl_graph *spare, pl_error *err);
void pl_graph_free(pl_graph *g);
/* Frees what the nearest-service searches (pl_graph_nearest_k) do not read, for a run that
 * has attached its places and only searches next: node coordinates, forward arcs, edges and
 * the kept snap index (a graph read from the cache file unmaps every whole page of its
 * mapping outside the arrays kept). n_nodes, n_arcs, in_begin, in_arc and the components
 * stay; the freed arrays are NULL. On the national graph the searches' peak is 300-500 MB
 * lower. */
void pl_graph_keep_search_only(pl_graph *g);
/* The one-line summary (nodes, arcs, edges, components, islands) as an info line. */
void pl_graph_info(const pl_ctx *ctx, const pl_graph *g);

/* 64-bit hash of a byte range, chained from h: what cache keys are made of (the graph's
 * input_hash; layers/network.c keys the network cache with it). Not cryptographic. */
uint64_t pl_hash_bytes(uint64_t h, const void *data, size_t n);

/* Bump when the build logic changes: it is part of every cache key. */
#define PL_GRAPH_BUILD_VERSION 3u /* 3: the junction table; topology ids */

/* Network cache file: the roads arrays, one mode's graph and the counted warnings of
 * loading those roads, under a key the caller computes (layers/network.c keys it on the
 * roads file's identity and the options). Read: 1 with *roads and *graph set (the
 * caller's) and the saved warnings replayed into ctx; 0 when the file is missing, of
 * another key or version (an info line says which), or damaged (a counted warning,
 * graph-cache-damaged: checksums, counts, offsets and every index array are checked). */
int pl_network_cache_read(pl_ctx *ctx, const char *path, uint64_t key, pl_roads **roads, pl_graph **graph);
int pl_network_cache_write(pl_ctx *ctx, const char *path, uint64_t key, const pl_roads *roads,
                           const pl_graph *graph, const pl_ctx *roads_warnings, pl_error *err);

/* Whether `cache` may be used as a graph cache file (--graph-cache) by a run reading the
 * input specs inputs[0..n_inputs-1] (FILE or FILE:LAYER; NULL entries skipped) and writing
 * outputs[0..n_outputs-1] (NULL entries skipped). Every command calls it before any work. Refused (PL_EINPUT, a
 * one-line message saying what to do): a path that exists and is not a regular file
 * (folder, device, FIFO, socket), a regular file that does not start with a platsa graph
 * cache's magic (of any format version: those are replaced), a file that is one of the
 * inputs or the output (same device and inode when it exists, else the same resolved
 * path), a path in a folder that does not exist. PL_OK for NULL or "" (no cache). */
int pl_graph_cache_check_path(const char *cache, const char *const *inputs, size_t n_inputs,
                              const char *const *outputs, size_t n_outputs, pl_error *err);

/* A place attached to the graph at its projected point on the nearest eligible edge. */
typedef enum {
    PL_SNAP_OK = 0,
    PL_SNAP_TOO_FAR = 1,  /* nearest eligible edge beyond max_snap_m (still attached, flagged) */
    PL_SNAP_NONE = 2      /* not attached: no eligible edge at all (access_m infinite), or none
                             within max_attach_m (access_m = the distance to the nearest) */
} pl_snap_status;

typedef struct pl_snap {
    uint32_t node_a, node_b;       /* edge endpoints */
    float a_len_m, b_len_m;        /* along the edge from the point to a / to b */
    float a_time_s, b_time_s;
    uint8_t to_a, to_b;            /* may travel from the point to a / to b (one-way rules) */
    uint8_t from_a, from_b;        /* may travel from a / b to the point */
    float access_m;                /* straight leg from the place to the point on the edge */
    float access_s;                /* that leg at the mode's access speed */
    uint32_t road;                 /* index of the road (pl_roads) */
    uint8_t status;                /* pl_snap_status */
    uint32_t edge;                 /* index of the edge (pl_graph.edge_*) */
} pl_snap;

/* The nearest segments a snap call found (pl_snap_opts.picks), kept for another call on the
 * same places and the same segments: a mode's graph derived from another with the same
 * attachable roads and components borrows its index (pl_graph_build_like), so its places
 * attach where the other mode's did, and only the graph's times, one-way rules and the
 * access speed are read again. */
typedef struct pl_snap_picks pl_snap_picks;
pl_snap_picks *pl_snap_picks_new(void);
void pl_snap_picks_free(pl_snap_picks *pk);

typedef struct pl_snap_opts {
    double max_snap_m;             /* default 1000 */
    uint32_t min_component_nodes;  /* avoid fragments smaller than this when the main network
                                      is within max_snap_m (default 50) */
    double access_speed_kmh;       /* speed of the access leg; <= 0 (default): the mode's
                                      access speed, pl_mode_access_speed_kmh */
    int threads;                   /* threads for the places (default 1); the answers are the same */
    double max_attach_m;           /* > 0: a place farther than this from every eligible road is
                                      left out: status PL_SNAP_NONE, access_m = the distance to the
                                      nearest (a counted warning, snap-left-out); 0 (default): none */
    const char *what;              /* the places in warnings ("services"); NULL = "places" */
    const char *left_out_note;     /* appended to the snap-left-out warning; NULL = none */
    pl_snap_picks *picks;          /* NULL (default): none. Else read when they were found on an index
                                      with these segment arrays, for the same coordinates and
                                      max_snap_m; else found and kept. The answers are the same. */
} pl_snap_opts;

/* Access-leg speed: walk 5, bike 16, car 30 km/h. For car the leg from a place to the
 * nearest mapped road is usually a driveway or an unmapped private/forest road that is
 * driven slowly, not walked; 30 km/h counts a 300 m leg as 36 s. */
double pl_mode_access_speed_kmh(pl_mode m);

void pl_snap_opts_default(pl_snap_opts *o);

/* Whether a place may attach to road r for mode m (the "eligible" roads of the snap index):
 * open to m (pl_graph_road_allowed), not a tunnel, indoor, below ground (layer < 0) or a
 * ferry; and for car, not a road a car may only enter at a junction: class motorway (its
 * _link ramps included), or any road closed to both pedestrians and cyclists while open to
 * cars (motorroad=yes / motortrafikled, NVDB Motorvag/Motortrafikled, access=no with
 * motor_vehicle=yes). Bike and walk attach to every road open to them (their graphs have no
 * motorways, and foot=no / bicycle=no already close a road to them). The same rule holds for
 * homes and services: a motorway service area's fuel station attaches to its service roads. */
int pl_road_attachable(const pl_roads *roads, size_t r, pl_mode m);

/* Attaches n points. Eligible edges are those of attachable roads (pl_road_attachable). Each point goes to the nearest eligible edge
 * (its nearest point on the polyline), except that an edge in a component with fewer
 * than min_component_nodes nodes is passed over when an edge of a larger component lies
 * within max_snap_m (a courtyard loop or a garage fragment must not capture the homes
 * around it). A point whose edge is farther than max_snap_m is attached and flagged
 * PL_SNAP_TOO_FAR. The index is a uniform grid of edge segments (cells of 1.5
 * mean segment lengths), searched ring by ring: in bench_routing --compare-strtree (3.9 M
 * segments, 400,000 points) it took about a fifth of the time of a GEOS STRtree of the
 * same segments (no GEOS geometry per segment, no callbacks), with the same distances. */
int pl_graph_snap(pl_ctx *ctx, const pl_graph *g, const pl_roads *roads, const double *x,
                  const double *y, size_t n, const pl_snap_opts *opts, pl_snap *out, pl_error *err);

/* The segment index pl_graph_snap builds each time, kept for several calls on one graph
 * (cells, then services, then candidates): same answers, one build. It refers to g and
 * roads, which must outlive it; min_component_nodes must equal the options' of each call.
 * When g keeps an index for these options (pl_graph_keep_snap_index, a cache file), the new
 * one shares its arrays instead of building. */
typedef struct pl_snap_index pl_snap_index;
pl_snap_index *pl_snap_index_new(const pl_graph *g, const pl_roads *roads, uint32_t min_component_nodes);
void pl_snap_index_free(pl_snap_index *ix);
int pl_graph_snap_indexed(pl_ctx *ctx, const pl_snap_index *ix, const double *x, const double *y, size_t n,
                          const pl_snap_opts *opts, pl_snap *out, pl_error *err);

/* How many place searches so far went through the blocks for places far outside the
 * segment grid (graph_snap.c, blocks_nearest); for tests. */
long pl_snap_far_searches(void);
/* How many places so far were attached from kept picks (pl_snap_opts.picks), not searched;
 * for tests. */
long pl_snap_picked_places(void);
/* How many snap index grids were built on two threads (for tests). */
long pl_snap_grid_two_threads(void);

/* Builds the index for the default options (pl_snap_opts_default) and keeps it with g
 * (freed by pl_graph_free): later pl_snap_index_new / pl_graph_snap calls on g with those
 * options share it instead of building one, and the cache files store it, so that a warm
 * run does not build it either. roads must be g's. PL_OK, or PL_EINTERNAL without g or roads. */
int pl_graph_keep_snap_index(pl_graph *g, const pl_roads *roads);

/* One label of a k-nearest answer. source = index into the sources array, or UINT32_MAX
 * when fewer than k sources are reachable (then dist/time are INFINITY). */
typedef struct pl_label {
    uint32_t source;
    double dist_m;                 /* network + access legs of both ends, metres */
    double time_s;
} pl_label;

/* Work counters of one search (for benchmarks and diagnostics). */
typedef struct pl_search_stats {
    uint64_t settled;              /* label scans (node, source); equals the labels found when no
                                      label had to be scanned twice */
    uint64_t relaxed;              /* arcs scanned */
    uint64_t heap_pushes;          /* bucket entries made */
    uint64_t decreases;            /* label improvements of a source already at a node */
    uint32_t heap_max;             /* unused by the bucket engine (0) */
    uint64_t labels;               /* labels held at the end (reachable (node, source) pairs) */
    uint64_t ties;                 /* offers of a source to a node whose label of it was scanned at
                                      exactly the metric offered (another path of equal sum), but
                                      a source's seed met again along its own edge: only these
                                      let the other measure steer the search (pl_search_opts.ties) */
    uint64_t echoes;               /* such ties that were a seed met again (not in ties) */
} pl_search_stats;

/* Memory one thread's searches reuse (optional, see pl_search_opts.work). On a machine
 * where first touching fresh memory is slow (this VM: a fresh 188 MB block took 0.05-0.6 s
 * to fault in, against 0.02 s to clear one already touched), a caller running many
 * searches keeps one per thread instead of allocating per search. Not thread safe: one
 * search at a time per pl_search_work. */
typedef struct pl_search_work pl_search_work;
pl_search_work *pl_search_work_new(void);
void pl_search_work_free(pl_search_work *w);

typedef struct pl_search_opts {
    pl_metric metric;              /* what "nearest" minimises; the other is measured along that path */
    int k;                         /* 1..3 distinct sources per target */
    double cutoff;                 /* stop beyond this (metres or seconds); INFINITY = none. A zero-
                                      initialised struct means no cutoff too (0 is taken as none). */
    pl_search_stats *stats;        /* optional, filled when non-NULL */
    pl_search_work *work;          /* optional: reuse this memory (NULL: allocate and free) */
    uint64_t *ties;                /* optional: set to the search's ties (pl_search_stats). 0 means
                                      the other measure decided nothing: every step of the search,
                                      and so every label's source and metric, follows from the
                                      metric's costs alone, and a search of the same places on arcs
                                      of the same metric costs (any other measure) gives the same
                                      sources and metric values, bit for bit */
} pl_search_opts;

/* Multi-source search: for every target, its k nearest distinct sources. Ties in the
 * metric are broken by the lower source index (callers order sources by id).
 * out has n_targets * k labels, target t's labels at out[t*k .. t*k+k-1], nearest first.
 *
 * One search from all sources at once over the reverse arcs (the target travels to the
 * source): each node keeps up to k labels of distinct sources, the best by (metric,
 * source index); a node takes a label while it has fewer than k better ones and not yet
 * a better one of that source, and only taken labels spread. This is exact: if s is among
 * a node's k nearest, it is among the k nearest of every node on its shortest path. Among
 * paths of equal metric the one with the smaller other measure wins. The engine is
 * label-correcting over buckets of the metric with prefetched batches (graph_search.c);
 * with strictly positive arc costs it reaches the same labels as a label-setting Dijkstra,
 * bit for bit (the property test checks this against a per-source Dijkstra); the one
 * conceivable difference is which source wins when rounding makes two sums within a
 * few units in the last place equal, and then the lower index wins. A source seeds its edge's
 * end nodes with its access leg plus the part of the edge it can be reached along; a
 * target combines its end nodes' labels with its own partial edge and access leg, and
 * also reaches sources on its own edge directly when the edge's direction allows.
 * Sums are accumulated in double precision, source end first. Places with status
 * PL_SNAP_NONE neither seed nor get labels. Labels beyond the cutoff are left empty. */
int pl_graph_nearest_k(pl_ctx *ctx, const pl_graph *g, const pl_snap *sources, uint32_t n_sources,
                       const pl_snap *targets, size_t n_targets, const pl_search_opts *opts,
                       pl_label *out, pl_error *err);

/* ---------- The cost rules of a place on an edge: one copy, used by the multi-source
 * search, its property tests, and the incremental searches of scenario and coverage (whose
 * answers must equal a full re-run bit for bit). M is a pl_metric; "p" is the measure
 * searched on (M), "q" the other one, summed along the same path. */

/* The part of the place's edge from the place to end `end` (0 = node_a, 1 = node_b). */
static inline double pl_snap_part_p(const pl_snap *s, int end, int M)
{
    return end ? (M == PL_METRIC_DISTANCE ? s->b_len_m : s->b_time_s) : (M == PL_METRIC_DISTANCE ? s->a_len_m : s->a_time_s);
}
static inline double pl_snap_part_q(const pl_snap *s, int end, int M)
{
    return end ? (M == PL_METRIC_DISTANCE ? s->b_time_s : s->b_len_m) : (M == PL_METRIC_DISTANCE ? s->a_time_s : s->a_len_m);
}
/* The access leg (place to its point on the edge). */
static inline double pl_snap_access_p(const pl_snap *s, int M) { return M == PL_METRIC_DISTANCE ? s->access_m : s->access_s; }
static inline double pl_snap_access_q(const pl_snap *s, int M) { return M == PL_METRIC_DISTANCE ? s->access_s : s->access_m; }
/* Whether the place takes part in searches on g (attached, both end nodes in g). */
static inline int pl_snap_usable(const pl_graph *g, const pl_snap *s)
{
    return s->status != PL_SNAP_NONE && s->node_a < g->n_nodes && s->node_b < g->n_nodes;
}
/* Direct travel along one edge from place t to place s (both on it): 1 and the along-edge
 * costs (*p of M, *q the other; q may be NULL) when the edge's direction allows, else 0. */
static inline int pl_snap_along_edge(const pl_snap *t, const pl_snap *s, int M, double *p, double *q)
{
    double pt = t->a_len_m, ps = s->a_len_m;
    double dl, dt;
    if (ps >= pt && (t->to_b || ps == pt)) {
        dl = ps - pt;
        dt = (double)s->a_time_s - (double)t->a_time_s;
    } else if (ps <= pt && t->to_a) {
        dl = pt - ps;
        dt = (double)t->a_time_s - (double)s->a_time_s;
    } else {
        return 0;
    }
    if (dt < 0)
        dt = 0;
    *p = M == PL_METRIC_DISTANCE ? dl : dt;
    if (q)
        *q = M == PL_METRIC_DISTANCE ? dt : dl;
    return 1;
}

/* Single pair / one-to-many from one place (for tests and scenario work):
 * cost from place `from` to each of `to` (INFINITY if unreachable). */
int pl_graph_one_to_many(pl_ctx *ctx, const pl_graph *g, const pl_snap *from, const pl_snap *to,
                         size_t n_to, pl_metric metric, pl_label *out, pl_error *err);

#endif
