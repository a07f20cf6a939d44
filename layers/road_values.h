/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The value parsers of the roads loader (layers/roads.c), exposed for tests and fuzzing.
 * Pure functions on field text; NULL is taken as an empty value. */
#ifndef PLATSA_LAYERS_ROAD_VALUES_H
#define PLATSA_LAYERS_ROAD_VALUES_H

/* maxspeed text ("50", "30 mph", "SE:urban", "['50', '30']", "50;30": the lowest) in km/h,
 * in (0, 300]; 0 when unknown. */
double pl_roads_parse_speed(const char *text);

/* oneway text: 1 along the line, -1 against, 0 both ways. geofabrik: F/T/B codes. */
int pl_roads_parse_oneway(const char *text, int geofabrik);

/* Road class (pl_road_class) from a class field value; -1 with *skip_not_built = 1 for
 * lines that are not built roads (proposed, construction, ...). */
int pl_roads_parse_class(const char *text, int *skip_not_built);

#endif
