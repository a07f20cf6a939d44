/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa route: the routable graph of one travel mode, its size, components and islands;
 * optionally the shortest and the fastest way between two places, and CSV dumps of the
 * graph and of sampled node-to-node distances for cross-checks with other routers. */
#ifndef PLATSA_ANALYSES_ROUTE_H
#define PLATSA_ANALYSES_ROUTE_H

#include <stdio.h>

#include "gis/ctx.h"
#include "gis/options.h"
#include "layers/road_profiles.h"

typedef struct pl_route_opts {
    const char *roads;
    const char *layer;
    const char *mode;
    pl_doubles from, to;
    int lonlat;
    const char *crs;
    const char *assume_crs;
    pl_road_fields road;
    const char *source_field, *target_field;
    double snap_tolerance;
    int no_intersections;
    double ferry_speed;
    double max_snap;
    int min_component;
    const char *cache;
    const char *dump_graph;
    const char *dump_pairs;
    int pairs;
    int pairs_all;
} pl_route_opts;

extern const pl_option pl_route_options[];
extern const char pl_route_usage[];
extern const char pl_route_summary[];

/* Zeroes o and sets the table's defaults (PL_OK; PL_EINTERNAL if a default does not parse). */
int pl_route_opts_init(pl_route_opts *o);
void pl_route_opts_free(pl_route_opts *o);

/* Builds the graph, prints its statistics (and the route between --from and --to) to out,
 * writes the dumps asked for. Sets ctx->work_crs to o->crs. */
int pl_route_run(pl_ctx *ctx, const pl_route_opts *o, FILE *out, pl_error *err);

#endif
