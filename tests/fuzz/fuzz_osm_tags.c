/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fuzz target: OSM tag value parsing (layers/osm_tags.c: maxspeed, oneway, access, length,
 * levels, layer, crown radius, service type mapping) and the roads loader's own value
 * parsers (layers/roads.c via road_values.h: speed, oneway, class).
 *
 * Input: lines ('\n'-separated). Line k feeds these tags:
 *   0 maxspeed   1 oneway   2 highway   3 junction   4 length / diameter_crown
 *   5 building:levels   6 layer   7 height   8 access   9 vehicle   10 motor_vehicle
 *   11 motorcar   12 bicycle   13 foot   14 motorroad
 * and every line of the form key=value is also a tag for the service type mapping.
 * Every line is also parsed on its own by each value parser. */
#include <math.h>

#include "fuzz_common.h"
#include "gis/roads.h"
#include "layers/osm.h"
#include "layers/road_values.h"
#include "layers/service_types.h"

#define OT_LINES 64

static pl_ctx *ot_ctx;
static pl_service_types *ot_reg;

typedef struct ot_tags {
    char **lines;
    int n;
} ot_tags;

static const char *ot_get(const char *key, void *user)
{
    const ot_tags *t = user;
    size_t klen = strlen(key);
    for (int i = 0; i < t->n; i++)
        if (t->lines[i] && strncmp(t->lines[i], key, klen) == 0 && t->lines[i][klen] == '=')
            return t->lines[i] + klen + 1;
    return NULL;
}

static void ot_check_value(const char *s)
{
    double kmh = -1;
    int rc = pl_osm_parse_maxspeed(s, &kmh);
    FUZZ_CHECK(rc == PL_OSM_SPEED_BAD || rc == PL_OSM_SPEED_OK || rc == PL_OSM_SPEED_NONE);
    if (rc == PL_OSM_SPEED_OK)
        FUZZ_CHECK(isfinite(kmh) && kmh > 0 && kmh <= 300);

    double v = pl_roads_parse_speed(s);
    FUZZ_CHECK(v == 0 || (isfinite(v) && v > 0 && v <= 300));

    for (int geofabrik = 0; geofabrik < 2; geofabrik++) {
        int d = pl_roads_parse_oneway(s, geofabrik);
        FUZZ_CHECK(d >= -1 && d <= 1);
    }
    int skip = -1;
    int c = pl_roads_parse_class(s, &skip);
    FUZZ_CHECK(skip == 0 || skip == 1);
    FUZZ_CHECK(skip ? c == -1 : (c >= 0 && c < PL_ROAD_N_CLASSES));
    FUZZ_CHECK(pl_road_class_name((pl_road_class)(c < 0 ? PL_ROAD_OTHER : c)) != NULL);

    int dir = 7;
    rc = pl_osm_parse_oneway(s, s, s, &dir);
    FUZZ_CHECK((rc == 0 || rc == -1) && dir >= -1 && dir <= 1);
    FUZZ_CHECK(rc == 0 || dir == 0);

    double m = -1;
    if (pl_osm_parse_length_m(s, &m) == 0)
        FUZZ_CHECK(isfinite(m) && m >= 0 && m <= 10000);
    double lv = -1;
    if (pl_osm_parse_levels(s, &lv) == 0)
        FUZZ_CHECK(isfinite(lv) && lv > 0 && lv <= 200);
    int layer = pl_osm_parse_layer(s);
    FUZZ_CHECK(layer >= -5 && layer <= 5);
    const char *from = NULL;
    double r = pl_osm_crown_radius(s, s, 3.0, &from);
    FUZZ_CHECK(from && isfinite(r) && r > 0 && r <= 30);
    FUZZ_CHECK(pl_osm_road_class(s) != NULL);
    int inc = pl_osm_road_included(s);
    FUZZ_CHECK(inc == 0 || inc == 1);
    FUZZ_CHECK(pl_osm_is_yes(s) == 0 || pl_osm_is_yes(s) == 1);

    /* The normaliser with output buffers of every small size (heap, so ASan sees overruns). */
    for (size_t size = 1; size <= 8; size++) {
        char *out = malloc(size);
        pl_service_value_normalize(s, out, size);
        FUZZ_CHECK(strnlen(out, size) < size);
        free(out);
    }
    char norm[256];
    pl_service_value_normalize(s, norm, sizeof norm);
    FUZZ_CHECK(strnlen(norm, sizeof norm) < sizeof norm);
}

int pl_fuzz_osm_tags(const uint8_t *data, size_t size)
{
    if (!ot_ctx) {
        ot_ctx = pl_ctx_new();
        ot_ctx->quiet = 1;
        pl_error err = {0};
        ot_reg = pl_service_types_load(ot_ctx, NULL, &err);
        if (!ot_reg) {
            fprintf(stderr, "fuzz_osm_tags: %s\n", err.msg);
            abort();
        }
    }
    if (size > 16384)
        return 0;
    char *lines[OT_LINES], *buf;
    int n = pl_fuzz_split(data, size, lines, OT_LINES, 0, &buf);
    for (int i = 0; i < n; i++)
        ot_check_value(lines[i]);
    ot_check_value(NULL == lines[0] ? "" : lines[0]);
    double kmh;
    FUZZ_CHECK(pl_osm_parse_maxspeed(NULL, &kmh) == PL_OSM_SPEED_NONE);

    /* Positional tags (absent when the line is missing or empty). */
    const char *tag[16];
    for (int i = 0; i < 16; i++)
        tag[i] = i < n && lines[i][0] ? lines[i] : NULL;
    int dir = 7;
    int rc = pl_osm_parse_oneway(tag[1], tag[2], tag[3], &dir);
    FUZZ_CHECK((rc == 0 || rc == -1) && dir >= -1 && dir <= 1);
    pl_osm_access_tags at = {.highway = tag[2], .access = tag[8], .vehicle = tag[9], .motor_vehicle = tag[10],
                             .motorcar = tag[11], .bicycle = tag[12], .foot = tag[13], .motorroad = tag[14]};
    int car = 7, bike = 7, foot = 7;
    pl_osm_access(&at, &car, &bike, &foot);
    FUZZ_CHECK((car == 0 || car == 1) && (bike == 0 || bike == 1) && (foot == 0 || foot == 1));
    const char *from = NULL;
    double r = pl_osm_crown_radius(tag[4], tag[7], 3.0, &from);
    FUZZ_CHECK(from && isfinite(r) && r > 0 && r <= 30);

    /* Service types from the key=value lines: built-in table and the shipped registry. */
    ot_tags t = {lines, n};
    for (int with_reg = 0; with_reg < 2; with_reg++) {
        for (int max = 0; max <= PL_OSM_MAX_SERVICE_MATCHES; max += 4) {
            const char *types[PL_OSM_MAX_SERVICE_MATCHES + 1];
            char raw[PL_OSM_MAX_SERVICE_MATCHES + 1][64];
            int k = pl_osm_service_types(with_reg ? ot_reg : NULL, ot_get, &t, types, raw, max);
            FUZZ_CHECK(k >= 0 && k <= max);
            for (int i = 0; i < k; i++) {
                FUZZ_CHECK(types[i] != NULL && types[i][0] != '\0');
                FUZZ_CHECK(memchr(raw[i], '\0', sizeof raw[i]) != NULL);
                FUZZ_CHECK(pl_service_types_find(ot_reg, types[i]) >= 0);
                for (int j = 0; j < i; j++)
                    FUZZ_CHECK(strcmp(types[i], types[j]) != 0);
            }
        }
    }
    free(buf);
    return 0;
}

#ifndef PL_FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return pl_fuzz_osm_tags(data, size);
}
#endif
