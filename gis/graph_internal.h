/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers shared by the graph_*.c files (not part of the public API). */
#ifndef PLATSA_GIS_GRAPH_INTERNAL_H
#define PLATSA_GIS_GRAPH_INTERNAL_H

#include <stdint.h>
#include <stddef.h>
#include "graph.h"
#include "util.h"

#define PL_NONE UINT32_MAX

/* Allocation for the big arrays that searches hit at random: 2 MiB aligned and marked for
 * transparent huge pages (madvise), which cuts TLB misses several-fold; freed with free().
 * Small sizes fall back to pl_malloc. Never returns NULL. */
void *pl_big_alloc(size_t n);
void *pl_big_calloc(size_t n);

/* Reads/writes the graph cache of g built from roads (its counts are stored and checked);
 * read returns NULL when the file is missing, stale or damaged (the caller rebuilds;
 * damage is a counted warning, graph-cache-damaged). */
pl_graph *pl_graph_cache_read(pl_ctx *ctx, const char *path, uint64_t hash, const pl_roads *roads);
int pl_graph_cache_write(pl_ctx *ctx, const pl_graph *g, const pl_roads *roads, const char *path, pl_error *err);

/* For the fuzz target only: 0 skips the checksums, so that damaged bodies reach the
 * structure checks (which must hold on their own). Default 1. */
void pl_graph_cache_verify_sums(int on);
/* Tests: the hot arrays of a cache read are copied into fresh memory even when the file
 * could be mapped with 2 MiB entries (graph_cache.c map_section). */
void pl_graph_cache_copy_hot(int on);

/* Whether a road may carry a snapped place (not tunnel, layer >= 0, not indoor, not ferry). */
int pl_road_snappable(const pl_roads *roads, size_t r);

/* The snap index (graph_snap.c), here so that the cache file can store it. */
typedef struct pl_seg_set {
    uint32_t n, cap;
    uint32_t *v; /* first vertex of the segment (roads vertex index) */
    uint32_t *e; /* edge */
} pl_seg_set;

typedef struct pl_seg_grid {
    double minx, miny, cell;
    int64_t nx, ny;
    uint32_t *begin; /* nx*ny+1 */
    uint32_t *seg;   /* segment ids: index into the set's v/e, begin[nx*ny] of them */
    uint32_t nseg;
} pl_seg_grid;

/* The segments of eligible edges, split by component size, each set with its grid. */
struct pl_snap_index {
    const pl_graph *g;
    const pl_roads *roads;
    uint32_t min_component_nodes;
    pl_seg_set big, small;
    pl_seg_grid grid_big, grid_small;
    int borrowed; /* the arrays belong to another index (the graph's, or the cache file's memory) */
};

/* The minimum fragment size of the index a graph keeps (pl_snap_opts_default's). */
uint32_t pl_snap_default_min_component(void);

#endif
