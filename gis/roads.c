/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Road classes, their Swedish default car speeds, and freeing a pl_roads. */
#include "roads.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <string.h>
#include <strings.h>

static const char *const class_names[PL_ROAD_N_CLASSES] = {
    [PL_ROAD_MOTORWAY] = "motorway",         [PL_ROAD_TRUNK] = "trunk",
    [PL_ROAD_PRIMARY] = "primary",           [PL_ROAD_SECONDARY] = "secondary",
    [PL_ROAD_TERTIARY] = "tertiary",         [PL_ROAD_UNCLASSIFIED] = "unclassified",
    [PL_ROAD_RESIDENTIAL] = "residential",   [PL_ROAD_SERVICE] = "service",
    [PL_ROAD_LIVING_STREET] = "living_street", [PL_ROAD_TRACK] = "track",
    [PL_ROAD_PEDESTRIAN] = "pedestrian",     [PL_ROAD_FOOTWAY] = "footway",
    [PL_ROAD_CYCLEWAY] = "cycleway",         [PL_ROAD_PATH] = "path",
    [PL_ROAD_STEPS] = "steps",               [PL_ROAD_FERRY] = "ferry",
    [PL_ROAD_OTHER] = "other",
};

/* km/h; see roads.h for the reasoning. */
static const double default_speed[PL_ROAD_N_CLASSES] = {
    [PL_ROAD_MOTORWAY] = 110, [PL_ROAD_TRUNK] = 90,          [PL_ROAD_PRIMARY] = 80,
    [PL_ROAD_SECONDARY] = 70, [PL_ROAD_TERTIARY] = 60,       [PL_ROAD_UNCLASSIFIED] = 50,
    [PL_ROAD_RESIDENTIAL] = 40, [PL_ROAD_SERVICE] = 20,      [PL_ROAD_LIVING_STREET] = 7,
    [PL_ROAD_TRACK] = 20,     [PL_ROAD_PEDESTRIAN] = 5,      [PL_ROAD_FOOTWAY] = 5,
    [PL_ROAD_CYCLEWAY] = 16,  [PL_ROAD_PATH] = 5,            [PL_ROAD_STEPS] = 5,
    [PL_ROAD_FERRY] = 20,     [PL_ROAD_OTHER] = 50,
};

static const struct {
    const char *name;
    pl_road_class cls;
} aliases[] = {
    {"motorway_link", PL_ROAD_MOTORWAY},   {"trunk_link", PL_ROAD_TRUNK},
    {"primary_link", PL_ROAD_PRIMARY},     {"secondary_link", PL_ROAD_SECONDARY},
    {"tertiary_link", PL_ROAD_TERTIARY},   {"bridleway", PL_ROAD_PATH},
    {"corridor", PL_ROAD_FOOTWAY},         {"platform", PL_ROAD_FOOTWAY},
    {"busway", PL_ROAD_SERVICE},
};

pl_road_class pl_road_class_from_name(const char *name)
{
    if (!name)
        return PL_ROAD_OTHER;
    while (*name == ' ')
        name++;
    size_t len = strlen(name);
    while (len && name[len - 1] == ' ')
        len--;
    for (int c = 0; c < PL_ROAD_N_CLASSES; c++)
        if (strlen(class_names[c]) == len && strncasecmp(class_names[c], name, len) == 0)
            return (pl_road_class)c;
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strlen(aliases[i].name) == len && strncasecmp(aliases[i].name, name, len) == 0)
            return aliases[i].cls;
    return PL_ROAD_OTHER;
}

const char *pl_road_class_name(pl_road_class c)
{
    return (unsigned)c < PL_ROAD_N_CLASSES ? class_names[c] : "other";
}

double pl_road_default_speed_kmh(pl_road_class c)
{
    return (unsigned)c < PL_ROAD_N_CLASSES ? default_speed[c] : default_speed[PL_ROAD_OTHER];
}

void pl_roads_free(pl_roads *r)
{
    if (!r)
        return;
    if (r->cache_map) {
        munmap(r->cache_map, r->cache_map_size);
        free(r->source);
        free(r);
        return;
    }
    free(r->first_vertex);
    free(r->vx);
    free(r->vy);
    free(r->id);
    free(r->road_class);
    free(r->speed_kmh);
    free(r->oneway);
    free(r->flags);
    free(r->layer);
    free(r->node_source);
    free(r->node_target);
    free(r->source);
    free(r);
}

int pl_build_threads(void)
{
    const char *env = getenv("PLATSA_THREADS");
    long n = env && *env ? strtol(env, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
    return n >= 2 ? 2 : 1;
}
