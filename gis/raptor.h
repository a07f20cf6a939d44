/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Public-transport routing on a pl_timetable: RAPTOR (Delling, Pajor, Werneck 2012,
 * "Round-Based Public Transit Routing"), its range form over a departure window (as R5 does),
 * and a backward profile search from a set of targets for nearest-service questions.
 *
 * What a journey is (the same for every search here and for the brute force in tests/test_raptor.c):
 *  - It starts ready to board at a source stop at a given time (the caller has added the walk
 *    from home to that stop). No footpath before the first vehicle: give access legs to every
 *    stop within walking reach, and egress legs from every stop within reach of a target.
 *  - It rides at most max_rounds vehicles (0 = no limit). A vehicle is boarded at a pattern
 *    stop whose pick-up is allowed, at a departure >= the time one is ready there, and left
 *    at a later pattern stop of the same trip whose drop-off is allowed.
 *  - Between two vehicles: exactly one footpath from the stop left to the stop boarded
 *    (pl_timetable.transfer_*). Changing at the same stop costs the stop's self-transfer, its
 *    minimum change time, or 0 s when the stop has none. Footpaths are not chained.
 *  - "Arrival at a stop" is the time one is there on foot at the journey's end: the time a
 *    vehicle was left there, or the source time for a source stop (no vehicle). An egress
 *    walk to a target starts from such an arrival, not after another footpath.
 * Times are pl_timetable seconds (may pass 24 h); PL_TT_NEVER = not reached. All times in a
 * trip must be non-decreasing and trips of a pattern must not overtake: pl_raptor_new checks.
 *
 * A workspace (pl_raptor) holds every array a search needs and is reused between searches;
 * one per thread (the timetable is only read). */
#ifndef PLATSA_GIS_RAPTOR_H
#define PLATSA_GIS_RAPTOR_H

#include <stddef.h>
#include <stdint.h>

#include "ctx.h"
#include "timetable.h"

/* Departure minutes of a window: t0, t0 + 60, ... while < t1 (R5's convention: a 07:00-09:00
 * window has 120 departures, 07:00 to 08:59). */
#define PL_RAPTOR_STEP_S 60

/* A walking leg to (access) or from (egress) a stop. */
typedef struct pl_raptor_leg {
    uint32_t stop;
    int32_t walk_s;    /* >= 0 */
} pl_raptor_leg;

typedef struct pl_raptor_opts {
    int max_rounds;    /* most vehicles in one journey (transfers + 1); 0 = no limit */
    int32_t arrive_by; /* forward searches: arrivals later than this are not searched for and
                          read PL_TT_NEVER (a speed-up); PL_TT_NEVER = no limit */
} pl_raptor_opts;

void pl_raptor_opts_default(pl_raptor_opts *o); /* no round limit, no arrival limit */

typedef struct pl_raptor pl_raptor;

/* Checks the timetable (indexes in range, times non-decreasing along each trip, trips of each
 * pattern in order at every stop) and makes a workspace; NULL with err (PL_EINTERNAL: the loader
 * made a timetable RAPTOR cannot use) on failure. The timetable must outlive the workspace. */
pl_raptor *pl_raptor_new(const pl_timetable *tt, pl_error *err);
void pl_raptor_free(pl_raptor *r);

/* Number of departure minutes in [t0, t1) (0 when t1 <= t0). */
size_t pl_raptor_n_minutes(int32_t t0, int32_t t1);

/* One forward search: ready at src[i].stop at depart + src[i].walk_s. Afterwards
 * pl_raptor_arrivals gives the earliest arrival at every stop. PL_EINPUT for a stop id out of
 * range or a negative walk. */
int pl_raptor_run(pl_raptor *r, const pl_raptor_leg *src, size_t n_src, int32_t depart,
                  const pl_raptor_opts *o, pl_error *err);
/* n_stops arrivals of the last pl_raptor_run (or of the earliest minute of pl_raptor_range);
 * valid until the next search. */
const int32_t *pl_raptor_arrivals(const pl_raptor *r);

/* Range RAPTOR: the forward search for every departure minute d of [t0, t1), from the latest
 * to the earliest, each reusing the labels of the one after it (rRAPTOR). Writes
 * arr[m * n_stops + s] = earliest arrival at stop s when leaving at t0 + 60 m (sources ready at
 * d + walk_s); arr holds pl_raptor_n_minutes(t0, t1) * n_stops values. */
int pl_raptor_range(pl_raptor *r, const pl_raptor_leg *src, size_t n_src, int32_t t0, int32_t t1,
                    const pl_raptor_opts *o, int32_t *arr, pl_error *err);

/* From pl_raptor_range's arrivals: the travel time to one stop for every departure minute
 * (arrival - departure, PL_TT_NEVER where none); writes pl_raptor_n_minutes(t0, t1) values. */
void pl_raptor_range_times(const int32_t *arr, uint32_t n_stops, int32_t t0, int32_t t1, uint32_t stop, int32_t *tt);

/* Backward profile search ("nearest service"): from a set of egress legs (stop -> nearest of
 * a set of targets, walk_s seconds), for every stop s the function
 *   f(s, t) = earliest arrival at a target of a journey ready to board at s at time t,
 * exact for departures t >= dep_from and arrivals <= arr_until (later arrivals read
 * PL_TT_NEVER). Its cost does not depend on how many origins are then evaluated on it.
 * For a window [t0, t1): dep_from = t0 and arr_until = t1 + longest access walk + longest
 * travel time of interest (a tighter arr_until is faster). The profile is read-only: threads
 * may evaluate origins on it at once. */
typedef struct pl_raptor_profile pl_raptor_profile;

pl_raptor_profile *pl_raptor_profile_new(pl_raptor *r, const pl_raptor_leg *egress, size_t n_egress,
                                         int32_t dep_from, int32_t arr_until,
                                         const pl_raptor_opts *o, pl_error *err);
void pl_raptor_profile_free(pl_raptor_profile *p);

/* f(stop, t) above: a walk straight from the stop (if it has an egress leg) or the best journey. */
int32_t pl_raptor_profile_arrival(const pl_raptor_profile *p, uint32_t stop, int32_t t);

/* For an origin with access legs, its travel time (arrival at a target - departure) for every
 * departure minute of [t0, t1) (t0 >= dep_from), PL_TT_NEVER where no journey arrives by
 * arr_until. Writes pl_raptor_n_minutes(t0, t1) values. Walking straight from the origin to a
 * target without a stop is the caller's to add. */
void pl_raptor_profile_times(const pl_raptor_profile *p, const pl_raptor_leg *access, size_t n_access,
                             int32_t t0, int32_t t1, int32_t *tt);

/* Profile entries kept (a journey option at a stop); for memory reports. */
size_t pl_raptor_profile_size(const pl_raptor_profile *p);

/* The pct-th percentile (0..100) of n travel times (PL_TT_NEVER counts as longest), by nearest
 * rank as R5's TravelTimeReducer: sorted[ceil(pct / 100 * n) - 1] (sorted[0] for 0), a value
 * that occurs, never interpolated; the median of 120 minutes is the 60th smallest. Sorts times
 * in place. n = 0 gives PL_TT_NEVER. */
int32_t pl_raptor_percentile(int32_t *times, size_t n, double pct);

#endif
