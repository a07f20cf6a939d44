/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "timetable.h"

#include <stdlib.h>

static void free_strings(char **s, size_t n)
{
    if (!s) return;
    for (size_t i = 0; i < n; i++) free(s[i]);
    free(s);
}

void pl_timetable_free(pl_timetable *tt)
{
    if (!tt) return;
    free_strings(tt->stop_id, tt->n_stops);
    free_strings(tt->stop_name, tt->n_stops);
    free(tt->stop_lon); free(tt->stop_lat); free(tt->stop_x); free(tt->stop_y);
    free(tt->pattern_stop_start); free(tt->pattern_stops); free(tt->pattern_stop_flags);
    free(tt->pattern_route); free(tt->pattern_trip_start); free(tt->trip_time_start);
    free(tt->trip_arr); free(tt->trip_dep);
    free_strings(tt->trip_id, tt->n_trips);
    free_strings(tt->route_id, tt->n_routes);
    free_strings(tt->route_name, tt->n_routes);
    free(tt->route_type);
    free(tt->stop_pattern_start); free(tt->stop_patterns); free(tt->stop_pattern_pos);
    free(tt->transfer_start); free(tt->transfer_to); free(tt->transfer_s);
    free(tt);
}
