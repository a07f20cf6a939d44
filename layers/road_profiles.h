/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Road profiles: which fields of a roads layer give its class, speed, direction, ferries and
 * access (share/road_profiles.ini: OpenStreetMap, Trafikverket's NVDB). The roads loader
 * (layers/roads.c) picks the profile a layer fits, or the one the user names, and reads
 * the fields it lists; a user's --class-field, --speed-field, --oneway-field win. */
#ifndef PLATSA_LAYERS_ROAD_PROFILES_H
#define PLATSA_LAYERS_ROAD_PROFILES_H

#include <stddef.h>
#include <stdint.h>

#include "gis/ctx.h"

struct pl_vector;

typedef enum {
    PL_RF_CLASS, PL_RF_SPEED, PL_RF_SPEED_BACKWARD, PL_RF_ONEWAY, PL_RF_FORBIDDEN_FORWARD,
    PL_RF_FORBIDDEN_BACKWARD, PL_RF_FORBIDDEN_DIRECTION, PL_RF_FERRY, PL_RF_MOTORWAY, PL_RF_MOTORROAD,
    PL_RF_CAR_NETWORK, PL_RF_ACCESS, PL_RF_MOTOR_VEHICLE, PL_RF_MOTORCAR, PL_RF_FOOT, PL_RF_BICYCLE,
    PL_RF_BRIDGE, PL_RF_TUNNEL, PL_RF_LAYER, PL_RF_INDOOR, PL_RF_ROUTE, PL_RF_JUNCTION,
    PL_RF_ONEWAY_BICYCLE, PL_RF_CAR, PL_RF_BIKE, PL_RF_ID,
    PL_RF_N
} pl_road_role;

enum { PL_RF_MAX_NAMES = 12 };

typedef struct pl_road_profile {
    char name[32];
    char description[256];
    char *detect[PL_RF_MAX_NAMES + 1];                 /* NULL-terminated */
    char *fields[PL_RF_N][PL_RF_MAX_NAMES + 1];        /* per role, NULL-terminated candidates */
    char *car_network_values[PL_RF_MAX_NAMES + 1];     /* NULL-terminated */
} pl_road_profile;

typedef struct pl_road_profiles {
    int n;
    pl_road_profile p[16];
    char path[4096];
    uint64_t text_hash;   /* of the file's bytes: a graph cache made with other profiles is stale */
} pl_road_profiles;

/* The user's choices, shared by every command that reads roads (PL_ROAD_FIELD_OPTIONS). */
typedef struct pl_road_fields {
    const char *profile;       /* NAME of a shipped profile, or FILE.ini; NULL = detect */
    const char *class_field;
    const char *speed_field;
    const char *oneway_field;
} pl_road_fields;

/* Option table entries for pl_road_fields member M of options struct T. */
#define PL_ROAD_FIELD_OPTIONS(T, M)                                                                           \
    {"road-profile", 0, PL_OPT_STRING, offsetof(T, M.profile), "NAME|FILE.ini", NULL,                          \
     "which fields of the roads give class, speed and direction: nvdb (Trafikverket's homogenised export), "   \
     "nvdb-dk (NVDB per-attribute layers joined on RLID), osm, or a file in share/road_profiles.ini's format " \
     "[default: the profile whose fields the roads layer has; else osm]", 0, PL_NO_RANGE},                                 \
    {"class-field", 0, PL_OPT_STRING, offsetof(T, M.class_field), "FIELD", NULL,                             \
     "road class field (OSM highway value or funktionell vägklass 0-9) [default: the profile's]", 0, PL_NO_RANGE},         \
    {"speed-field", 0, PL_OPT_STRING, offsetof(T, M.speed_field), "FIELD", NULL,                             \
     "speed limit field, km/h [default: the profile's]", 0, PL_NO_RANGE},                                                   \
    {"oneway-field", 0, PL_OPT_STRING, offsetof(T, M.oneway_field), "FIELD", NULL,                           \
     "one-way field (yes/1 along the line, -1 against, no/0 both ways) [default: the profile's]", 0, PL_NO_RANGE}

/* Reads a profiles file (NULL: the shipped share/road_profiles.ini). */
pl_road_profiles *pl_road_profiles_load(const char *path, pl_error *err);
void pl_road_profiles_free(pl_road_profiles *p);
const char *pl_road_role_name(pl_road_role r);

/* The profile for layer v under the user's choices: rf->profile by name or file, else the
 * first whose detect fields v has, else "osm". *owned receives profiles to free (the
 * returned pointer lives in it). NULL with err set on a bad name or file. */
const pl_road_profile *pl_road_profile_pick(const struct pl_vector *v, const pl_road_fields *rf,
                                            pl_road_profiles **owned, pl_error *err);

/* Mixes the profile file and the user's overrides into a cache key. */
uint64_t pl_road_fields_hash(const pl_road_fields *rf, uint64_t h);

/* One line for platsa info: "nvdb (Trafikverket ...): class Klass_181, speed F_Hogst_225, ...". */
void pl_road_profile_describe(const struct pl_vector *v, char *buf, size_t size);

#endif
