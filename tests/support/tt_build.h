/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Building a pl_timetable by hand in tests (gis/timetable.h), without GTFS files. */
#ifndef PLATSA_TT_BUILD_H
#define PLATSA_TT_BUILD_H

#include <stdint.h>

#include "../../gis/timetable.h"

typedef struct ttb ttb;

ttb *ttb_new(uint32_t n_stops);
/* A pattern through n stops; flags per stop (bit 0 no pick-up, bit 1 no drop-off; NULL: none).
 * Returns its id (0, 1, ... in call order). */
uint32_t ttb_pattern(ttb *b, const uint32_t *stops, const uint8_t *flags, uint32_t n);
/* A trip of pattern p: arrival and departure at each of its stops (dep NULL: = arr). Trips may
 * come in any order; the caller keeps them from overtaking (pl_raptor_new checks). */
void ttb_trip(ttb *b, uint32_t p, const int32_t *arr, const int32_t *dep);
/* A footpath (from == to: the stop's minimum change time). */
void ttb_transfer(ttb *b, uint32_t from, uint32_t to, int32_t seconds);
/* Sorts each pattern's trips by departure at the first stop (stable), builds the indexes and
 * frees the builder. */
pl_timetable *ttb_finish(ttb *b);

/* A timetable from a compact text, one item a line ('#' starts a comment):
 *   stops N
 *   pattern 0 1/p 2/d 3/pd     stops of a new pattern; /p no pick-up, /d no drop-off
 *   trip 08:00 08:10-08:12 08:20    a trip of the last pattern: one time per stop, "arr-dep"
 *                                    when they differ; hh:mm or hh:mm:ss, hours may pass 24
 *   transfer 1 2 120           a footpath of 120 s (1 1 60: stop 1's change time)
 * Fails the test on a malformed line. */
pl_timetable *tt_from_text(const char *text);

/* "hh:mm[:ss]" -> seconds; -1 if malformed. */
int32_t tt_hms(const char *s);

#endif
