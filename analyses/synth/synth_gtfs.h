/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa synth --gtfs: a SYNTHETIC GTFS feed (buses along the synthetic roads, trains between
 * the largest towns) beside the region's GeoPackage. Rules in synth_gtfs.c. */
#ifndef PLATSA_ANALYSES_SYNTH_GTFS_H
#define PLATSA_ANALYSES_SYNTH_GTFS_H

#include <stddef.h>
#include "analyses/synth/synth.h"

#define PL_SYNTH_GTFS_RURAL_SPACING_M 1000.0   /* the option's default */

typedef struct pl_synth_gtfs_stats {
    size_t n_stops, n_routes;
    size_t n_trips;            /* trips.txt rows: one per line and direction */
    size_t n_trips_expanded;   /* scheduled trips after frequencies.txt */
    size_t n_stop_times;       /* stop_times.txt rows */
    size_t n_town_lines, n_regional_lines, n_train_lines;
} pl_synth_gtfs_stats;

/* Builds the timetable from r's roads and tätorter and writes it as a GTFS zip at path
 * (temporary + rename). rural_spacing_m: stop spacing between towns. stats may be NULL. */
int pl_synth_write_gtfs(pl_ctx *ctx, const pl_synth_region *r, const char *path, double rural_spacing_m,
                        pl_synth_gtfs_stats *stats, pl_error *err);

#endif
