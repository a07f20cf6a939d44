/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A public-transport timetable for one service day, in the shape RAPTOR reads.
 *
 * gis/ knows nothing of GTFS files: layers/gtfs.c fills this from one or more feeds for one date;
 * gis/raptor.c routes on it. Everything is indexed by dense uint32 ids, arrays are owned by the
 * timetable and freed by pl_timetable_free.
 *
 * Times are seconds after noon minus 12 h of the service day (GTFS's definition), so they can
 * exceed 24 h for trips past midnight, and be negative for the previous service day's trips that
 * run into this one (copied with -24 h, trip ids "ID@-1d"); PL_TT_NEVER marks "no time".
 *
 * A pattern (RAPTOR's "route") is a set of trips with the same stop sequence and the same
 * pick-up/drop-off rules, whose trips never overtake each other; its trips are sorted by their
 * departure at the first stop, so at every stop they are sorted too (the loader splits patterns
 * where trips would overtake). */
#ifndef PLATSA_GIS_TIMETABLE_H
#define PLATSA_GIS_TIMETABLE_H

#include <stddef.h>
#include <stdint.h>

#define PL_TT_NEVER INT32_MAX

typedef struct pl_timetable {
    /* Stops (GTFS location_type 0 or empty; stations are resolved to their platforms). */
    uint32_t n_stops;
    char **stop_id;            /* "FEED:stop_id" when two feeds share ids (then all are prefixed), else stop_id */
    char **stop_name;          /* may be "" */
    double *stop_lon, *stop_lat; /* WGS 84 */
    double *stop_x, *stop_y;   /* working CRS metres; filled by the caller (NULL until then) */

    /* Patterns. Stops of pattern p: pattern_stops[pattern_stop_start[p] .. pattern_stop_start[p+1]). */
    uint32_t n_patterns;
    uint32_t *pattern_stop_start;   /* n_patterns + 1 */
    uint32_t *pattern_stops;        /* stop ids */
    uint8_t *pattern_stop_flags;    /* per pattern stop: bit 0 no pick-up, bit 1 no drop-off */
    uint32_t *pattern_route;        /* index into route_* arrays */

    /* Trips of pattern p: trips [pattern_trip_start[p] .. pattern_trip_start[p+1]), sorted by departure.
     * Times of trip t at the i-th stop of its pattern: trip_arr/trip_dep[trip_time_start[t] + i]. */
    uint32_t n_trips;
    uint32_t *pattern_trip_start;   /* n_patterns + 1 */
    uint32_t *trip_time_start;      /* n_trips */
    int32_t *trip_arr, *trip_dep;   /* seconds, see above */
    char **trip_id;                 /* GTFS trip_id (with "#k" for the k-th frequency-expanded copy) */

    /* Routes (for display and per-mode filters). */
    uint32_t n_routes;
    char **route_id;
    char **route_name;              /* short name, else long name */
    int32_t *route_type;            /* GTFS route_type (0 tram, 1 metro, 2 rail, 3 bus, 4 ferry, ...) */

    /* Patterns through each stop: stop_patterns[stop_pattern_start[s] .. stop_pattern_start[s+1]),
     * with the stop's position in that pattern in stop_pattern_pos (a pattern may visit a stop twice). */
    uint32_t *stop_pattern_start;   /* n_stops + 1 */
    uint32_t *stop_patterns;
    uint32_t *stop_pattern_pos;

    /* Footpath transfers between stops (from transfers.txt and/or computed by walking), in
     * seconds, sorted by from-stop: transfer_to[transfer_start[s] .. transfer_start[s+1]).
     * Each stop's minimum change time, if any, is a transfer to itself. */
    uint32_t *transfer_start;       /* n_stops + 1 */
    uint32_t *transfer_to;
    int32_t *transfer_s;
    size_t n_transfers;

    char service_date[11];          /* "YYYY-MM-DD" the trips run on */
} pl_timetable;

/* Frees every array and the struct; NULL is fine. */
void pl_timetable_free(pl_timetable *tt);

#endif
