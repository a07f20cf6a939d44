/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Internal to the OSM import (layers/osm_*.c): the road reader built on readosm. */
#ifndef PLATSA_LAYERS_OSM_INTERNAL_H
#define PLATSA_LAYERS_OSM_INTERNAL_H

#include <ogr_srs_api.h>
#include "osm.h"

/* A natural=tree_row line (not closed into an area), for the trees layer. */
typedef struct pl_osm_tree_row {
    int64_t osm_id;
    GEOSGeometry *line;        /* working CRS */
    char *diameter_crown;      /* tag values, NULL when absent */
    char *height;
} pl_osm_tree_row;

typedef struct pl_osm_lines {
    pl_osm_tree_row *rows;
    size_t n_rows;
    uint64_t *way_ids;         /* ids of the ways read here (roads, tree rows), sorted */
    size_t n_way_ids;
} pl_osm_lines;

/* Reads the road ways (and open natural=tree_row ways) of an .osm.pbf / .osm with readosm,
 * keeping OSM node identity: every way is split at each node used by two or more road ways
 * (or twice by one) and at its ends; each piece gets source/target = the OSM ids of its first
 * and last node. Roads are appended to d->roads; tree rows to out. closed_polygon_keys is
 * osmconf.ini's closed_ways_are_polygons list (a closed way tagged so is an area, not a
 * line, as GDAL's OSM driver decides). Returns PL_OK or an error code (err set). */
int pl_osm_read_lines(pl_ctx *ctx, const char *path, const char *file, const char *closed_polygon_keys,
                      OGRCoordinateTransformationH to_work, pl_osm_data *d, pl_osm_lines *out, pl_error *err);

void pl_osm_lines_free(pl_ctx *ctx, pl_osm_lines *l);

/* 1 if way id was read by pl_osm_read_lines. */
int pl_osm_lines_has_way(const pl_osm_lines *l, int64_t id);

#endif
