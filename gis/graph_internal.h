/* Helpers shared by the graph_*.c files (not part of the public API). */
#ifndef PLATSA_GIS_GRAPH_INTERNAL_H
#define PLATSA_GIS_GRAPH_INTERNAL_H

#include <stdint.h>
#include <stddef.h>
#include "graph.h"

#define PL_NONE UINT32_MAX

/* Allocation for the big arrays that searches hit at random: 2 MiB aligned and marked for
 * transparent huge pages (madvise), which cuts TLB misses several-fold; freed with free().
 * Small sizes fall back to pl_malloc. Never returns NULL. */
void *pl_big_alloc(size_t n);
void *pl_big_calloc(size_t n);

/* Sorts n 64-bit keys ascending (LSD radix, 16 bits a pass). */
void pl_sort_u64(uint64_t *keys, size_t n);

/* 64-bit hash of a byte range, chained from h. */
uint64_t pl_hash_bytes(uint64_t h, const void *data, size_t n);

/* Reads/writes the graph cache; read returns NULL when the file is missing, stale or
 * damaged (the caller rebuilds). */
pl_graph *pl_graph_cache_read(pl_ctx *ctx, const char *path, uint64_t hash);
int pl_graph_cache_write(pl_ctx *ctx, const pl_graph *g, const char *path, pl_error *err);

/* Whether a road may carry a snapped place (not tunnel, layer >= 0, not indoor, not ferry). */
int pl_road_snappable(const pl_roads *roads, size_t r);

#endif
