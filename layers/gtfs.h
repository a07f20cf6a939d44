/* SPDX-License-Identifier: GPL-3.0-or-later */
/* GTFS loader: one or more feeds (.zip or folder of .txt) into the timetable of one service day
 * (gis/timetable.h), in the shape RAPTOR reads.
 *
 * What is read, and how:
 *  - stops.txt: platforms/stops (location_type 0 or empty) become stops; a platform without
 *    coordinates takes its parent station's. Stations (1) serve to expand transfers given
 *    between stations; a station used directly in stop_times becomes a stop itself (counted
 *    warning). Stops without usable coordinates (empty, 0,0, out of range) are skipped with a
 *    counted warning and their stop_times dropped (counted).
 *  - routes.txt: route_type, extended types (100-1700) mapped to the basic ones (0..7, 11, 12).
 *  - trips.txt, calendar.txt, calendar_dates.txt: the trips whose service runs on the date.
 *  - stop_times.txt: times may pass 24:00:00; empty times are interpolated linearly between
 *    the surrounding timed stops, by shape_dist_traveled where every stop in between has it,
 *    else by straight-line (great-circle) distance. pickup_type / drop_off_type 1 mean "no";
 *    2 and 3 (phone, ask the driver) are taken as possible.
 *  - frequencies.txt: each row expanded into trips starting at start_time, start_time +
 *    headway, ... before end_time, for exact_times 0 as well as 1 (a frequency-based service
 *    is then modelled as a scheduled one from start_time; RAPTOR needs trips).
 *  - transfers.txt: transfer_type 2 rows without trip/route restrictions become transfers of
 *    min_transfer_time; a row from a stop to itself is that stop's minimum change time (a
 *    transfer to itself). Other rows are ignored (counted in pl_gtfs_stats).
 *  - Trips of the previous service day that run past midnight (times >= 24:00:00) are added,
 *    shifted by -24 h, with trip_id "ID@-1d", so a 00:30 departure on the date is found.
 *
 * Several feeds: ids (stops, routes, trips) keep their GTFS text unless two feeds use the
 * same id of one kind; then every id of that kind is written "FEED:id" (FEED the file name
 * without .zip; pl_timetable.stop_id etc.).
 *
 * Patterns group the trips of a route with the same stop sequence and pick-up/drop-off
 * rules; a group is split (first fit) where a trip would overtake another, so the trips of
 * a pattern are sorted by departure at every stop. */
#ifndef PLATSA_LAYERS_GTFS_H
#define PLATSA_LAYERS_GTFS_H

#include <stddef.h>
#include "../gis/ctx.h"
#include "../gis/timetable.h"

typedef struct pl_gtfs_opts {
    int no_previous_day;   /* 1: leave out the previous day's trips past midnight */
} pl_gtfs_opts;

/* What the load did, for logs and tests (all counts over every feed). */
typedef struct pl_gtfs_stats {
    long stops_read;             /* rows of stops.txt (every location_type) */
    long stops_skipped;          /* stops without usable coordinates */
    long stop_times_read;        /* rows of stop_times.txt */
    long stop_times_dropped;     /* of active trips, at skipped stops */
    long times_interpolated;     /* stop times filled in */
    long trips_active;           /* trips.txt rows running on the date (before frequencies) */
    long trips_previous_day;     /* trips added from the previous day */
    long trips_from_frequencies; /* trips made by frequencies.txt */
    long trips_dropped;          /* one stop, times backwards, untimed ends, ... */
    long patterns_split;         /* extra patterns made where trips overtook */
    long transfers_ignored;      /* transfers.txt rows not taken */
} pl_gtfs_stats;

/* Loads feeds[0..n_feeds) for date "YYYY-MM-DD". On success returns 0 and *out owns a new
 * timetable (free with pl_timetable_free; stop_x/stop_y are left NULL for the caller). On
 * failure returns PL_EINPUT (bad feed: one-line message "FEED:FILE: line N: what; what to
 * do") or PL_EINTERNAL, and *out is NULL. opts and stats may be NULL. */
int pl_gtfs_load(pl_ctx *ctx, const char *const *feeds, size_t n_feeds, const char *date,
                 const pl_gtfs_opts *opts, pl_timetable **out, pl_gtfs_stats *stats, pl_error *err);

/* Fills tt->stop_x/stop_y: the stops' WGS 84 positions in ctx->work_crs (layers/gtfs_project.c).
 * PL_EINPUT when the CRS is unknown or a stop cannot be projected. */
int pl_gtfs_project_stops(pl_ctx *ctx, pl_timetable *tt, pl_error *err);

/* Maps a GTFS route_type (basic or extended 100-1799) to a basic one (0..7, 11, 12);
 * -1 when it is neither. */
int pl_gtfs_basic_route_type(int route_type);

/* Parses "H:MM:SS" / "HH:MM:SS" (hours may pass 24) into seconds; -1 when not a time. */
long pl_gtfs_parse_time(const char *s);

#endif
