/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The road network of a run: the roads read from a user's file and the graph of one
 * travel mode, through an optional cache file.
 *
 * With a cache (pl_graph_opts.cache_path), the file is looked up by a key made of the
 * roads file's identity — its absolute path, size, modification time (ns), inode and the
 * first and last 64 KiB of its bytes (a GeoPackage's first page holds SQLite's change
 * counter, so any write to it changes the key), the same of the files beside it that hold
 * part of its data (a shapefile's .dbf/.shx/.prj/.cpg, SQLite's -wal and -journal, where a
 * GeoPackage open in QGIS keeps edits until a checkpoint) — the layer, the load options, the working
 * CRS, the graph options and the loader and builder versions. A warm run then reads
 * neither the roads file nor rebuilds the graph; a changed file, option or version makes
 * a new cache. Sources without a file (a database connection) fall back to the graph-only
 * cache of pl_graph_build, keyed on the roads arrays. A damaged cache file is never used:
 * a counted warning (graph-cache-damaged) and a rebuild (gis/graph_cache.c checks it). The
 * caller checks the cache path first (pl_graph_cache_check_path). */
#ifndef PLATSA_LAYERS_NETWORK_H
#define PLATSA_LAYERS_NETWORK_H

#include "layers.h"
#include "gis/graph.h"

/* Bump when pl_roads_load gives different arrays for the same file: part of the cache key. */
#define PL_ROADS_LOADER_VERSION 2u /* 2: topology ids */

typedef struct pl_network_stats {
    double roads_s, graph_s;  /* wall seconds reading the roads and building the graph (0 on a hit) */
    int from_cache;           /* 1 when roads and graph came from the cache file */
} pl_network_stats;

/* Loads the roads of `spec` and builds go->mode's graph (or reads both from go->cache_path).
 * On success *roads and *graph are the caller's; the roads' counted warnings go to ctx
 * (replayed from the cache on a hit). stats may be NULL. */
int pl_network_load(pl_ctx *ctx, const char *spec, const pl_load_opts *lo, const pl_graph_opts *go,
                    pl_roads **roads, pl_graph **graph, pl_network_stats *stats, pl_error *err);

/* The cache key for spec (see above); 0 when the source is not a regular file. For tests. */
int pl_network_cache_key(const pl_ctx *ctx, const char *spec, const pl_load_opts *lo, const pl_graph_opts *go,
                         uint64_t *key);

#endif
