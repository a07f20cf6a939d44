/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The GeoPackage R-tree spatial index extension (gpkg_rtree_index) for one feature
 * table, bulk-loaded (a packed Sort-Tile-Recursive tree written straight into SQLite's
 * R*-tree shadow tables) from envelopes collected while the rows were inserted, instead
 * of one trigger call per row. Table, triggers and gpkg_extensions row are those GDAL 3.6
 * writes (the GeoPackage 1.2 spec's), so GDAL and QGIS use the index as their own. */
#ifndef PLATSA_GIS_GPKG_RTREE_H
#define PLATSA_GIS_GPKG_RTREE_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include "gpkg_blob.h"

typedef struct pl_rtree_entry {
    int64_t fid;
    pl_envelope e;
} pl_rtree_entry;

/* Envelopes of non-empty geometries in insertion order, and their union. */
typedef struct pl_rtree_list {
    pl_rtree_entry *v;
    size_t n, cap;
    pl_envelope extent;  /* valid when n > 0 */
} pl_rtree_list;

/* Appends; 0, or -1 when out of memory. */
int pl_rtree_list_add(pl_rtree_list *l, int64_t fid, const pl_envelope *e);
void pl_rtree_list_free(pl_rtree_list *l);

/* gpkg_extensions with GDAL's DDL unless it exists (GDAL makes it only when it registers
 * an extension itself, so an attribute-only output has none). 0 or -1. */
int pl_gpkg_extensions_table(sqlite3 *db);

/* The tree of l packed in memory (sorted, its nodes serialised) for SQLite's nodes of
 * node_size bytes, ready to be written: no SQLite here, so it can be made on a thread of
 * its own ahead of the commit. NULL when l is empty or out of memory. */
typedef struct pl_rtree_plan pl_rtree_plan;
pl_rtree_plan *pl_rtree_plan_new(const pl_rtree_list *l, int node_size);
void pl_rtree_plan_free(pl_rtree_plan *p);

/* The node size SQLite's R*-tree takes for 2-D trees in a file of pages of 1292 bytes or more
 * (rtree.c: 4 + 24 x RTREE_MAXCELLS (51)); pl_gpkg_rtree_build checks it. */
#define PL_RTREE_NODE_SIZE 1228

/* Creates rtree_<table>_<geom_col>, fills it from l, then adds the spec's triggers and the
 * gpkg_extensions row. plan: l's tree packed ahead (pl_rtree_plan_new on the same entries),
 * or NULL; used when packed for the node size SQLite chose, else l is packed here (the same
 * tree either way). Runs in the caller's transaction. 0, or -1 with sqlite3_errmsg(db)
 * telling why. */
int pl_gpkg_rtree_build(sqlite3 *db, const char *table, const char *geom_col, const pl_rtree_list *l,
                        const pl_rtree_plan *plan);

#endif
