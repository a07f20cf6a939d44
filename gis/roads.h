/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The road network as validated in-memory arrays: what the graph builder consumes.
 * Filled by layers/roads.c from any lines source (OSM import, NVDB-style, plain lines). */
#ifndef PLATSA_GIS_ROADS_H
#define PLATSA_GIS_ROADS_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    PL_ROAD_MOTORWAY, PL_ROAD_TRUNK, PL_ROAD_PRIMARY, PL_ROAD_SECONDARY, PL_ROAD_TERTIARY,
    PL_ROAD_UNCLASSIFIED, PL_ROAD_RESIDENTIAL, PL_ROAD_SERVICE, PL_ROAD_LIVING_STREET,
    PL_ROAD_TRACK, PL_ROAD_PEDESTRIAN, PL_ROAD_FOOTWAY, PL_ROAD_CYCLEWAY, PL_ROAD_PATH,
    PL_ROAD_STEPS, PL_ROAD_FERRY, PL_ROAD_OTHER,
    PL_ROAD_N_CLASSES
} pl_road_class;

/* Per-road flags. */
enum {
    PL_ROAD_NO_CAR  = 1 << 0,
    PL_ROAD_NO_BIKE = 1 << 1,
    PL_ROAD_NO_FOOT = 1 << 2,
    PL_ROAD_BRIDGE  = 1 << 3,
    PL_ROAD_TUNNEL  = 1 << 4,
    PL_ROAD_INDOOR  = 1 << 5,
    PL_ROAD_IS_FERRY = 1 << 6,
    PL_ROAD_BIKE_BOTH_WAYS = 1 << 7  /* oneway:bicycle=no: cyclists may ride against a one-way */
};

typedef struct pl_roads {
    size_t n;                 /* number of lines */
    size_t *first_vertex;     /* n+1 offsets into vx/vy */
    double *vx, *vy;          /* vertices in the working CRS (metres) */
    int64_t *id;              /* source id (OSM way id or feature id) */
    uint8_t *road_class;      /* pl_road_class */
    float *speed_kmh;         /* car speed from data; 0 = unknown (class default applies) */
    int8_t *oneway;           /* 0 both ways, 1 along digitised direction, -1 against */
    uint8_t *flags;           /* PL_ROAD_* */
    int8_t *layer;            /* OSM layer tag, 0 default */
    int64_t *node_source;     /* topology ids of each line's first and last vertex (the roads */
    int64_t *node_target;     /* layer's source/target fields, pgRouting style), or both NULL:
                                 when set, lines join exactly where ids are equal and nowhere
                                 else (graph.h) */
    char *source;             /* "file:layer", for messages */
    void *cache_map;          /* when set, the arrays live in this private mapping of a graph
                                 cache file (pl_roads_free unmaps it instead of freeing them) */
    size_t cache_map_size;
} pl_roads;

/* Road class name <-> enum ("motorway", "residential", ...), OSM highway values, case-
 * insensitive. "*_link" map to their class; "bridleway" -> path, "corridor" and
 * "platform" -> footway, "busway" -> service, "ferry" -> ferry; "road" and unknown
 * names give PL_ROAD_OTHER. */
pl_road_class pl_road_class_from_name(const char *name);
const char *pl_road_class_name(pl_road_class c);
/* Documented default car speed per class, km/h (Swedish defaults), used when a road has
 * no speed of its own:
 *   motorway 110, trunk 90, primary 80, secondary 70, tertiary 60, unclassified 50,
 *   residential 40, service 20, living_street 7 (gångfartsområde: walking pace),
 *   track 20, pedestrian/footway/path/steps 5 and cycleway 16 (closed to cars anyway),
 *   ferry 20 (the graph uses pl_graph_opts.ferry_speed_kmh), other 50 (the Swedish
 *   default limit in built-up areas, for unclassified plain lines).
 * The *_link values map to their class ("motorway_link" -> motorway), so ramps get the
 * speed of their road. */
double pl_road_default_speed_kmh(pl_road_class c);

void pl_roads_free(pl_roads *r);

/* Threads for reading roads and building their graph: 2 when there is a second core (or
 * PLATSA_THREADS asks for 2 or more), else 1 (PLATSA_THREADS=1). Either way the work is
 * split the same, so the results do not depend on it. */
int pl_build_threads(void);

#endif
