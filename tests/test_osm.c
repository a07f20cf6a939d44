/* SPDX-License-Identifier: GPL-3.0-or-later */
/* OSM import: tag parsers, and reading real extracts into platsa's layers with exact counts.
 *
 * How the expected counts were derived (GDAL 3.6.2, osmium 1.15, GEOS 3.11):
 *  - osmium: `osmium tags-filter -R -f opl -o - FILE KEY=VALUE` counted per object type
 *    (n/w/r), and `osmium tags-count`;
 *  - GDAL: `ogr2ogr --config OGR_INTERLEAVED_READING YES -oo CONFIG_FILE=share/osmconf.ini`
 *    of points/lines/multipolygons to a GeoPackage, then SQL counts with the same filters as
 *    layers/osm_read.c (the interleaved reading is what platsa does; it differs from
 *    layer-by-layer reading for outer ways of tagged multipolygon relations);
 *  - warnings: `ogrinfo --config CPL_DEBUG OSM` messages "Relation N has missing ways",
 *    "For way N, got only", "Way N with N nodes" counted with grep. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <gdal.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gis/ctx.h"
#include "layers/osm.h"
#include "support/testutil.h"

/* ---------- parsers ---------- */

static void test_maxspeed(void **state)
{
    (void)state;
    double v = -1;
    assert_int_equal(pl_osm_parse_maxspeed("50", &v), PL_OSM_SPEED_OK);
    assert_true(v == 50.0);
    assert_int_equal(pl_osm_parse_maxspeed(" 30 ", &v), PL_OSM_SPEED_OK);
    assert_true(v == 30.0);
    assert_int_equal(pl_osm_parse_maxspeed("50 km/h", &v), PL_OSM_SPEED_OK);
    assert_true(v == 50.0);
    assert_int_equal(pl_osm_parse_maxspeed("40kmh", &v), PL_OSM_SPEED_OK);
    assert_true(v == 40.0);
    assert_int_equal(pl_osm_parse_maxspeed("50 mph", &v), PL_OSM_SPEED_OK);
    assert_true(fabs(v - 80.4672) < 1e-9);
    assert_int_equal(pl_osm_parse_maxspeed("30mph", &v), PL_OSM_SPEED_OK);
    assert_true(fabs(v - 48.28032) < 1e-9);
    assert_int_equal(pl_osm_parse_maxspeed("10 knots", &v), PL_OSM_SPEED_OK);
    assert_true(fabs(v - 18.52) < 1e-9);
    assert_int_equal(pl_osm_parse_maxspeed("SE:urban", &v), PL_OSM_SPEED_OK);
    assert_true(v == 50.0);
    assert_int_equal(pl_osm_parse_maxspeed("SE:rural", &v), PL_OSM_SPEED_OK);
    assert_true(v == 70.0);
    assert_int_equal(pl_osm_parse_maxspeed("SE:motorway", &v), PL_OSM_SPEED_OK);
    assert_true(v == 110.0);
    assert_int_equal(pl_osm_parse_maxspeed("se:Rural", &v), PL_OSM_SPEED_OK);
    assert_true(v == 70.0);
    assert_int_equal(pl_osm_parse_maxspeed("DK:rural", &v), PL_OSM_SPEED_OK);
    assert_true(v == 80.0);
    assert_int_equal(pl_osm_parse_maxspeed("NL:urban", &v), PL_OSM_SPEED_OK); /* any country's urban */
    assert_true(v == 50.0);
    assert_int_equal(pl_osm_parse_maxspeed("DE:zone30", &v), PL_OSM_SPEED_OK);
    assert_true(v == 30.0);
    assert_int_equal(pl_osm_parse_maxspeed("DE:zone:20", &v), PL_OSM_SPEED_OK);
    assert_true(v == 20.0);
    assert_int_equal(pl_osm_parse_maxspeed("walk", &v), PL_OSM_SPEED_OK);
    assert_true(v == 7.0);
    assert_int_equal(pl_osm_parse_maxspeed("SE:living_street", &v), PL_OSM_SPEED_OK);
    assert_true(v == 7.0);
    assert_int_equal(pl_osm_parse_maxspeed("50;30", &v), PL_OSM_SPEED_OK);
    assert_true(v == 30.0);
    assert_int_equal(pl_osm_parse_maxspeed("70.5", &v), PL_OSM_SPEED_OK);
    assert_true(v == 70.5);
    /* understood, no number: class default applies, no warning */
    assert_int_equal(pl_osm_parse_maxspeed("none", &v), PL_OSM_SPEED_NONE);
    assert_int_equal(pl_osm_parse_maxspeed("signals", &v), PL_OSM_SPEED_NONE);
    assert_int_equal(pl_osm_parse_maxspeed("DE:motorway", &v), PL_OSM_SPEED_NONE);
    assert_int_equal(pl_osm_parse_maxspeed(NULL, &v), PL_OSM_SPEED_NONE);
    assert_int_equal(pl_osm_parse_maxspeed("", &v), PL_OSM_SPEED_NONE);
    /* not understood */
    const char *bad[] = {"fast", "50 km", "SE:unknown", "0", "-30", "400", "5O", "50;abc", ";", "SE:", ":urban",
                         "1e2", "0x30", "inf", "nan", "50 mph mph", "SEE:urban", "50,5", NULL};
    for (int i = 0; bad[i]; i++) {
        v = -1;
        int rc = pl_osm_parse_maxspeed(bad[i], &v);
        if (rc != PL_OSM_SPEED_BAD)
            fail_msg("maxspeed '%s' should be unparseable, got %d (%g)", bad[i], rc, v);
    }
    char longv[3000];
    memset(longv, '5', sizeof longv - 1);
    longv[sizeof longv - 1] = '\0';
    assert_int_equal(pl_osm_parse_maxspeed(longv, &v), PL_OSM_SPEED_BAD);
}

static void test_oneway(void **state)
{
    (void)state;
    int d = 9;
    assert_int_equal(pl_osm_parse_oneway("yes", "residential", NULL, &d), 0);
    assert_int_equal(d, 1);
    assert_int_equal(pl_osm_parse_oneway("-1", "residential", NULL, &d), 0);
    assert_int_equal(d, -1);
    assert_int_equal(pl_osm_parse_oneway("no", "motorway", NULL, &d), 0);
    assert_int_equal(d, 0);
    assert_int_equal(pl_osm_parse_oneway(NULL, "motorway", NULL, &d), 0);
    assert_int_equal(d, 1);
    assert_int_equal(pl_osm_parse_oneway(NULL, "motorway_link", NULL, &d), 0);
    assert_int_equal(d, 0);
    assert_int_equal(pl_osm_parse_oneway(NULL, "primary", "roundabout", &d), 0);
    assert_int_equal(d, 1);
    assert_int_equal(pl_osm_parse_oneway(NULL, "tertiary", "circular", &d), 0);
    assert_int_equal(d, 1);
    assert_int_equal(pl_osm_parse_oneway(NULL, "residential", NULL, &d), 0);
    assert_int_equal(d, 0);
    assert_int_equal(pl_osm_parse_oneway("true", NULL, NULL, &d), 0);
    assert_int_equal(d, 1);
    assert_int_equal(pl_osm_parse_oneway("reversible", "primary", NULL, &d), 0);
    assert_int_equal(d, 0);
    assert_int_equal(pl_osm_parse_oneway("sometimes", "primary", NULL, &d), -1);
    assert_int_equal(d, 0);
}

static void access_of(const char *highway, const char *access, const char *mv, const char *bicycle,
                      const char *foot, const char *motorroad, int *c, int *b, int *f)
{
    pl_osm_access_tags t = {.highway = highway, .access = access, .motor_vehicle = mv, .bicycle = bicycle,
                            .foot = foot, .motorroad = motorroad};
    pl_osm_access(&t, c, b, f);
}

static void test_access(void **state)
{
    (void)state;
    int c, b, f;
    access_of("residential", NULL, NULL, NULL, NULL, NULL, &c, &b, &f);
    assert_true(c == 1 && b == 1 && f == 1);
    access_of("motorway", NULL, NULL, NULL, NULL, NULL, &c, &b, &f);
    assert_true(c == 1 && b == 0 && f == 0);
    access_of("trunk", NULL, NULL, NULL, NULL, "yes", &c, &b, &f);       /* motortrafikled */
    assert_true(c == 1 && b == 0 && f == 0);
    access_of("footway", NULL, NULL, NULL, NULL, NULL, &c, &b, &f);
    assert_true(c == 0 && b == 0 && f == 1);
    access_of("footway", NULL, NULL, "yes", NULL, NULL, &c, &b, &f);
    assert_true(c == 0 && b == 1 && f == 1);
    access_of("cycleway", NULL, NULL, NULL, "no", NULL, &c, &b, &f);
    assert_true(c == 0 && b == 1 && f == 0);
    access_of("pedestrian", NULL, NULL, NULL, NULL, NULL, &c, &b, &f);
    assert_true(c == 0 && b == 1 && f == 1);
    access_of("steps", NULL, NULL, NULL, NULL, NULL, &c, &b, &f);
    assert_true(c == 0 && b == 0 && f == 1);
    access_of("service", "no", NULL, NULL, NULL, NULL, &c, &b, &f);
    assert_true(c == 0 && b == 0 && f == 0);
    access_of("service", "no", NULL, NULL, "yes", NULL, &c, &b, &f);
    assert_true(c == 0 && b == 0 && f == 1);
    access_of("service", "private", NULL, NULL, NULL, NULL, &c, &b, &f);  /* residents' driveways stay usable */
    assert_true(c == 1 && b == 1 && f == 1);
    access_of("track", NULL, "agricultural", NULL, NULL, NULL, &c, &b, &f);
    assert_true(c == 0 && b == 1 && f == 1);
    access_of("primary", NULL, NULL, "use_sidepath", NULL, NULL, &c, &b, &f);
    assert_true(c == 1 && b == 0 && f == 1);
    access_of("path", "yes", NULL, NULL, NULL, NULL, &c, &b, &f);
    assert_true(c == 1 && b == 1 && f == 1);
    access_of("residential", "unknown", NULL, NULL, NULL, NULL, &c, &b, &f); /* unknown value: class default */
    assert_true(c == 1 && b == 1 && f == 1);
    access_of("ferry", NULL, NULL, NULL, NULL, NULL, &c, &b, &f);
    assert_true(c == 1 && b == 1 && f == 1);
    pl_osm_access_tags t = {.highway = "residential", .motorcar = "no", .motor_vehicle = "yes"};
    pl_osm_access(&t, &c, &b, &f);
    assert_true(c == 0 && b == 1 && f == 1);
    pl_osm_access_tags t2 = {.highway = "residential", .vehicle = "no"};
    pl_osm_access(&t2, &c, &b, &f);
    assert_true(c == 0 && b == 0 && f == 1);
}

static void test_classes_and_small_parsers(void **state)
{
    (void)state;
    assert_true(pl_osm_road_included("residential"));
    assert_true(pl_osm_road_included("primary_link"));
    assert_true(pl_osm_road_included("corridor"));
    const char *excluded[] = {"proposed", "construction", "platform", "abandoned", "raceway", "bus_guideway",
                              "busway", "services", "rest_area", "elevator", "ferry", "", NULL};
    for (int i = 0; excluded[i]; i++)
        if (pl_osm_road_included(excluded[i]))
            fail_msg("highway=%s should not be a road", excluded[i]);
    assert_false(pl_osm_road_included(NULL));
    assert_string_equal(pl_osm_road_class("primary_link"), "primary");
    assert_string_equal(pl_osm_road_class("motorway"), "motorway");
    assert_string_equal(pl_osm_road_class("road"), "unclassified");
    assert_string_equal(pl_osm_road_class("bridleway"), "path");
    assert_string_equal(pl_osm_road_class("corridor"), "footway");
    assert_string_equal(pl_osm_road_class("ferry"), "ferry");
    assert_string_equal(pl_osm_road_class("residential_link"), "residential");
    assert_string_equal(pl_osm_road_class("primaryx"), "other");

    double m;
    assert_int_equal(pl_osm_parse_length_m("12", &m), 0);
    assert_true(m == 12.0);
    assert_int_equal(pl_osm_parse_length_m("12.5 m", &m), 0);
    assert_true(m == 12.5);
    assert_int_equal(pl_osm_parse_length_m("10 ft", &m), 0);
    assert_true(fabs(m - 3.048) < 1e-12);
    assert_int_equal(pl_osm_parse_length_m("6'6\"", &m), 0);
    assert_true(fabs(m - 1.9812) < 1e-12);
    assert_int_equal(pl_osm_parse_length_m("tall", &m), -1);
    assert_int_equal(pl_osm_parse_length_m("12 yards", &m), -1);
    assert_int_equal(pl_osm_parse_length_m(NULL, &m), -1);

    double lv;
    assert_int_equal(pl_osm_parse_levels("4", &lv), 0);
    assert_true(lv == 4.0);
    assert_int_equal(pl_osm_parse_levels("2;5", &lv), 0);
    assert_true(lv == 5.0);
    assert_int_equal(pl_osm_parse_levels("2.5", &lv), 0);
    assert_true(lv == 2.5);
    assert_int_equal(pl_osm_parse_levels("0", &lv), -1);
    assert_int_equal(pl_osm_parse_levels("many", &lv), -1);
    assert_int_equal(pl_osm_parse_levels("3-4", &lv), -1);

    assert_int_equal(pl_osm_parse_layer("1"), 1);
    assert_int_equal(pl_osm_parse_layer("-2"), -2);
    assert_int_equal(pl_osm_parse_layer("+1"), 1);
    assert_int_equal(pl_osm_parse_layer("12"), 5);
    assert_int_equal(pl_osm_parse_layer("x"), 0);
    assert_int_equal(pl_osm_parse_layer(NULL), 0);

    const char *from;
    assert_true(pl_osm_crown_radius("8", "20", 3, &from) == 4.0);
    assert_string_equal(from, "diameter_crown");
    assert_true(pl_osm_crown_radius(NULL, "10", 3, &from) == 3.0);
    assert_string_equal(from, "height");
    assert_true(pl_osm_crown_radius(NULL, "2", 3, &from) == 1.0);   /* clamped */
    assert_true(pl_osm_crown_radius(NULL, "50", 3, &from) == 10.0); /* clamped */
    assert_true(pl_osm_crown_radius("big", NULL, 3, &from) == 3.0);
    assert_string_equal(from, "default");
}

typedef struct kv {
    const char *k, *v;
} kv;

static const char *kv_get(const char *key, void *user)
{
    for (const kv *p = user; p->k; p++)
        if (!strcmp(p->k, key))
            return p->v;
    return NULL;
}

static int services_of(const kv *tags, const char **types, char raw[][64])
{
    return pl_osm_service_types(NULL, kv_get, (void *)tags, types, raw, PL_OSM_MAX_SERVICE_MATCHES);
}

static void test_service_mapping(void **state)
{
    (void)state;
    const char *t[PL_OSM_MAX_SERVICE_MATCHES];
    char raw[PL_OSM_MAX_SERVICE_MATCHES][64];
    kv super[] = {{"shop", "supermarket"}, {NULL, NULL}};
    assert_int_equal(services_of(super, t, raw), 1);
    assert_string_equal(t[0], "grocery_full");
    assert_string_equal(raw[0], "shop=supermarket");
    kv station[] = {{"amenity", "fuel"}, {"shop", "convenience"}, {"fuel:biogas", "yes"}, {NULL, NULL}};
    assert_int_equal(services_of(station, t, raw), 3);
    assert_string_equal(t[0], "grocery_partial");
    assert_string_equal(t[1], "fuel");
    assert_string_equal(t[2], "biogas");
    assert_string_equal(raw[2], "fuel:biogas=yes");
    kv bank[] = {{"amenity", "bank"}, {"atm", "yes"}, {NULL, NULL}};
    assert_int_equal(services_of(bank, t, raw), 1);
    assert_string_equal(t[0], "cash");
    kv partner[] = {{"shop", "convenience"}, {"post_partner", "PostNord"}, {NULL, NULL}};
    assert_int_equal(services_of(partner, t, raw), 2);
    assert_string_equal(t[1], "parcel_post");
    assert_string_equal(raw[1], "post_partner=PostNord");
    kv nopartner[] = {{"post_partner", "no"}, {NULL, NULL}};
    assert_int_equal(services_of(nopartner, t, raw), 0);
    kv h2[] = {{"amenity", "fuel"}, {"fuel:h70", "yes"}, {"fuel:cng", "yes"}, {NULL, NULL}};
    assert_int_equal(services_of(h2, t, raw), 3);
    assert_string_equal(t[1], "biogas");
    assert_string_equal(t[2], "hydrogen");
    kv locker[] = {{"amenity", "vending_machine"}, {"vending", "parcel_pickup;parcel_mail_in"}, {NULL, NULL}};
    assert_int_equal(services_of(locker, t, raw), 1);
    assert_string_equal(t[0], "parcel_locker");
    kv hc[] = {{"healthcare", "pharmacy"}, {"amenity", "pharmacy"}, {NULL, NULL}};
    assert_int_equal(services_of(hc, t, raw), 1);
    kv ev[] = {{"amenity", "charging_station"}, {NULL, NULL}};
    assert_int_equal(services_of(ev, t, raw), 1);
    assert_string_equal(t[0], "ev_charging");
    kv none[] = {{"shop", "bakery"}, {"amenity", "cafe"}, {NULL, NULL}};
    assert_int_equal(services_of(none, t, raw), 0);
    kv newtag[] = {{"shop", "hypermarket"}, {"post_office", "post_partner"}, {NULL, NULL}};
    assert_int_equal(services_of(newtag, t, raw), 2);
    assert_string_equal(t[0], "grocery_full");
    assert_string_equal(t[1], "parcel_post");
}

/* A registry (as share/service_types.ini gives it) decides instead of the built-in table. */
static void test_service_mapping_registry(void **state)
{
    (void)state;
    static pl_service_types reg;
    memset(&reg, 0, sizeof reg);
    reg.n = 4;
    snprintf(reg.t[0].key, sizeof reg.t[0].key, "grocery_full");
    reg.t[0].osm = "shop=supermarket;shop=hypermarket";
    snprintf(reg.t[1].key, sizeof reg.t[1].key, "farm_shop");
    reg.t[1].osm = "shop=farm, craft=*";
    snprintf(reg.t[2].key, sizeof reg.t[2].key, "grocery");
    reg.t[2].n_includes = 1; /* a group: never assigned directly */
    reg.t[2].osm = "shop=supermarket";
    snprintf(reg.t[3].key, sizeof reg.t[3].key, "post");
    reg.t[3].osm = "post_partner=*";
    const char *t[PL_OSM_MAX_SERVICE_MATCHES];
    char raw[PL_OSM_MAX_SERVICE_MATCHES][64];
    kv super[] = {{"shop", "Supermarket"}, {NULL, NULL}};
    assert_int_equal(pl_osm_service_types(&reg, kv_get, super, t, raw, PL_OSM_MAX_SERVICE_MATCHES), 1);
    assert_string_equal(t[0], "grocery_full");
    assert_string_equal(raw[0], "shop=Supermarket");
    kv farm[] = {{"shop", "farm"}, {"craft", "brewery"}, {NULL, NULL}};
    assert_int_equal(pl_osm_service_types(&reg, kv_get, farm, t, raw, PL_OSM_MAX_SERVICE_MATCHES), 1);
    assert_string_equal(t[0], "farm_shop");
    kv nopost[] = {{"post_partner", "no"}, {"amenity", "fuel"}, {NULL, NULL}};
    assert_int_equal(pl_osm_service_types(&reg, kv_get, nopost, t, raw, PL_OSM_MAX_SERVICE_MATCHES), 0);
    kv post[] = {{"post_partner", "DHL"}, {NULL, NULL}};
    assert_int_equal(pl_osm_service_types(&reg, kv_get, post, t, raw, PL_OSM_MAX_SERVICE_MATCHES), 1);
    assert_string_equal(t[0], "post");

    /* Read through the registry: Södermalm has 2 supermarkets; 'craft' is not read by
     * share/osmconf.ini, which is warned once per selector. */
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};
    pl_osm_read_opts o;
    pl_osm_read_opts_default(&o);
    o.service_types = &reg;
    pl_osm_data *d = pl_osm_read(ctx, SODERMALM_PBF, &o, &err);
    assert_non_null(d);
    assert_int_equal(d->n_services, 2);
    assert_int_equal(pl_osm_count_services(d, "grocery_full"), 2);
    assert_int_equal(pl_warn_count(ctx, "osm-key-not-read"), 1);
    pl_osm_data_free(ctx, d);
    pl_ctx_free(ctx);
}

/* ---------- real extracts ---------- */

/* REL: under tests/data, or a path from the repository root (sample-data/...). */
static pl_osm_data *read_extract(pl_ctx *ctx, const char *rel)
{
    pl_error err = {0};
    pl_osm_read_opts o;
    pl_osm_read_opts_default(&o);
    pl_osm_data *d = pl_osm_read(ctx, strncmp(rel, "sample-data/", 12) ? real_data(rel) : rel, &o, &err);
    if (!d)
        fail_msg("%s: %s", rel, err.msg);
    return d;
}

static size_t count_green(const pl_osm_data *d, const char *kind)
{
    size_t n = 0;
    for (size_t i = 0; i < d->n_green; i++)
        n += !strcmp(d->green[i].kind, kind);
    return n;
}

static size_t count_canopy(const pl_osm_data *d, const char *source)
{
    size_t n = 0;
    for (size_t i = 0; i < d->n_canopy; i++)
        n += !strcmp(d->canopy[i].source, source);
    return n;
}

/* Ways of a class (a way's pieces are consecutive rows with its osm_id). */
static size_t count_roads(const pl_osm_data *d, const char *cls)
{
    size_t n = 0;
    for (size_t i = 0; i < d->n_roads; i++)
        n += !strcmp(d->roads[i].highway, cls) && (i == 0 || d->roads[i].osm_id != d->roads[i - 1].osm_id);
    return n;
}

static size_t count_ways(const pl_osm_data *d)
{
    size_t n = 0;
    for (size_t i = 0; i < d->n_roads; i++)
        n += i == 0 || d->roads[i].osm_id != d->roads[i - 1].osm_id;
    return n;
}

static double total_length(const pl_osm_data *d)
{
    double t = 0;
    for (size_t i = 0; i < d->n_roads; i++)
        t += d->roads[i].length_m;
    return t;
}

static pl_ctx *quiet_ctx(void)
{
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    return ctx;
}

static void test_sodermalm(void **state)
{
    (void)state;
    pl_ctx *ctx = quiet_ctx();
    pl_osm_data *d = read_extract(ctx, SODERMALM_PBF);
    /* 185 ways with highway=* (osmium; footway 94, residential 40, steps 23, pedestrian 8,
     * cycleway 8, service 7, tertiary 4, living_street 1), minus 2 pedestrian squares with
     * area=yes that GDAL puts in multipolygons. Split at shared nodes and ends: 323 pieces, the
     * same 14,346.4 m in all as GDAL's whole lines. */
    assert_int_equal(count_ways(d), 183);
    assert_int_equal(d->n_roads, 323);
    assert_true(fabs(total_length(d) - 14346.4) < 0.1);
    assert_int_equal(count_roads(d, "footway"), 94);
    assert_int_equal(count_roads(d, "steps"), 23);
    assert_int_equal(count_roads(d, "pedestrian"), 6);
    assert_int_equal(count_roads(d, "ferry"), 0);
    /* PROVENANCE and osmium (all nodes): 2 supermarkets, 2 convenience, 1 pharmacy, 3 ATMs. */
    assert_int_equal(pl_osm_count_services(d, "grocery_full"), 2);
    assert_int_equal(pl_osm_count_services(d, "grocery_partial"), 2);
    assert_int_equal(pl_osm_count_services(d, "pharmacy"), 1);
    assert_int_equal(pl_osm_count_services(d, "cash"), 3);
    assert_int_equal(pl_osm_count_services(d, "fuel"), 0);
    assert_int_equal(d->n_services, 8);
    assert_int_equal(d->services_merged, 0);
    /* 9 parks (8 ways + 1 relation), 3 playground ways (the playground node is no area),
     * 1 garden, 2 landuse=grass. */
    assert_int_equal(count_green(d, "park"), 9);
    assert_int_equal(count_green(d, "playground"), 3);
    assert_int_equal(count_green(d, "garden"), 1);
    assert_int_equal(count_green(d, "grass"), 2);
    assert_int_equal(d->n_green, 15);
    /* 23 natural=tree nodes, no tree rows, no wood/forest: canopy = 23 crowns. */
    assert_int_equal(d->n_trees, 23);
    assert_int_equal(d->n_canopy, 23);
    assert_int_equal(count_canopy(d, "tree"), 23);
    /* osmium: building on 108 ways + 13 relations, all complete. */
    assert_int_equal(d->n_buildings, 121);
    assert_int_equal(d->n_municipalities, 0);
    /* Every relation platsa builds is complete here; the missing members are in route relations. */
    assert_int_equal(pl_warn_total(ctx), 0);
    for (size_t i = 0; i < d->n_buildings; i++) {
        assert_true(d->buildings[i].footprint_m2 > 0);
        assert_true(fabs(d->buildings[i].floor_area_m2 - d->buildings[i].footprint_m2 * d->buildings[i].levels) < 1e-6);
    }
    /* Lengths are geodesic; the extract is about 1 km across. */
    double total = 0;
    for (size_t i = 0; i < d->n_roads; i++) {
        assert_true(d->roads[i].length_m > 0);
        total += d->roads[i].length_m;
    }
    assert_true(total > 10000 && total < 40000);
    pl_osm_data_free(ctx, d);
    pl_ctx_free(ctx);
}

static void test_monaco(void **state)
{
    (void)state;
    pl_ctx *ctx = quiet_ctx();
    pl_osm_data *d = read_extract(ctx, MONACO_PBF);
    /* GDAL interleaved lines with a routable highway value, plus 1 route=ferry way; split at
     * shared nodes and ends into 5331 pieces of the same 512,752.1 m. */
    assert_int_equal(count_ways(d), 2898);
    assert_int_equal(d->n_roads, 5331);
    assert_true(fabs(total_length(d) - 512752.1) < 0.1);
    assert_int_equal(count_roads(d, "ferry"), 1);
    /* PROVENANCE/osmium: 11 supermarkets, 7 convenience, 15 fuel (14 nodes + 1 way), 23
     * pharmacies, 18 post offices; cash = 14 ATMs + 12 bank nodes + 1 bank way. */
    assert_int_equal(pl_osm_count_services(d, "grocery_full"), 11);
    assert_int_equal(pl_osm_count_services(d, "grocery_partial"), 7);
    assert_int_equal(pl_osm_count_services(d, "fuel"), 15);
    assert_int_equal(pl_osm_count_services(d, "pharmacy"), 23);
    assert_int_equal(pl_osm_count_services(d, "parcel_post"), 18);
    assert_int_equal(pl_osm_count_services(d, "cash"), 27);
    assert_int_equal(pl_osm_count_services(d, "ev_charging"), 0);
    assert_int_equal(pl_osm_count_services(d, "biogas"), 0);
    assert_int_equal(d->n_services, 101);
    /* GDAL multipolygons: park 16, garden 8, playground 6 (of 11: 5 are nodes), nature_reserve 1,
     * grass 5, forest 10 (of 15 osmium ways, 5 are not closed areas), wood 3. */
    assert_int_equal(count_green(d, "park"), 16);
    assert_int_equal(count_green(d, "garden"), 8);
    assert_int_equal(count_green(d, "playground"), 6);
    assert_int_equal(count_green(d, "nature_reserve"), 1);
    assert_int_equal(count_green(d, "grass"), 5);
    assert_int_equal(count_green(d, "forest"), 10);
    assert_int_equal(count_green(d, "wood"), 3);
    assert_int_equal(d->n_green, 49);
    /* 212 tree nodes (PROVENANCE); canopy = 10 forest + 3 wood + 212 crowns. */
    assert_int_equal(d->n_trees, 212);
    assert_int_equal(count_canopy(d, "forest"), 10);
    assert_int_equal(count_canopy(d, "wood"), 3);
    assert_int_equal(d->n_canopy, 225);
    /* GDAL interleaved multipolygons with building: 23,334 (osmium: 23,370 ways + 3 relations;
     * 12 ways have one node in the file, the outer ways of tagged multipolygon relations are not
     * repeated); 7 of them are 2-node slivers cut at the extract's edge that collapse when repaired. */
    assert_int_equal(d->n_buildings, 23327);
    assert_int_equal(pl_warn_count(ctx, "osm-invalid-geometry"), 7);
    /* admin_level 7: the arrondissement of Nice (relation 1670977). */
    assert_int_equal(d->n_municipalities, 1);
    assert_string_equal(d->municipalities[0].name, "Nice");
    /* Ways cut to 1 node (osmium getid: e.g. way 4978333) and the relations that use them:
     * 20, as in GDAL's debug messages; 3 are highway ways (e.g. 156571105), now counted by the
     * readosm road reader, the 17 others by GDAL. */
    assert_int_equal(pl_warn_count(ctx, "osm-way-dropped"), 20);
    assert_int_equal(pl_warn_count(ctx, "osm-incomplete-multipolygon"), 3);
    pl_osm_data_free(ctx, d);
    pl_ctx_free(ctx);
}

static void test_monaco_admin_level_8(void **state)
{
    (void)state;
    pl_ctx *ctx = quiet_ctx();
    pl_error err = {0};
    pl_osm_read_opts o;
    pl_osm_read_opts_default(&o);
    o.admin_level = 8;
    pl_osm_data *d = pl_osm_read(ctx, MONACO_PBF, &o, &err);
    assert_non_null(d);
    /* Monaco (relation 2220322) and the French communes complete in the extract. */
    assert_int_equal(d->n_municipalities, 4);
    int found = 0;
    for (size_t i = 0; i < d->n_municipalities; i++)
        found += !strcmp(d->municipalities[i].name, "Monaco") && d->municipalities[i].osm_id == 2220322 &&
                 !strcmp(d->municipalities[i].code, "R2220322"); /* no ref tags: the relation id */
    assert_int_equal(found, 1);
    pl_osm_data_free(ctx, d);
    pl_ctx_free(ctx);
}

static void test_amager_clipped(void **state)
{
    (void)state;
    pl_ctx *ctx = quiet_ctx();
    pl_osm_data *d = read_extract(ctx, "osm-monaco-amager-osrm/amager.osm.pbf");
    /* ogrinfo --config CPL_DEBUG OSM: 2 relations with missing ways; 133 ways with missing
     * nodes. 86 of them are road ways, warned by the readosm road reader (a way is cut where
     * nodes are missing: the runs of >= 2 present nodes are kept). Of the other 47, GDAL
     * reports the 9 it resolves for the points/multipolygons layers; the 38 lines platsa does
     * not map (coastline, railway, untagged relation members) are no longer read, so no longer
     * reported. Together 62 kept, 33 dropped. */
    assert_int_equal(pl_warn_count(ctx, "osm-incomplete-multipolygon"), 2);
    assert_int_equal(pl_warn_count(ctx, "osm-way-missing-nodes"), 62);
    assert_int_equal(pl_warn_count(ctx, "osm-way-dropped"), 33);
    assert_int_equal(pl_warn_count(ctx, "osm-unclosed-ring"), 3);
    /* Polygons built from the nodes present: 4 repaired with GEOSMakeValid, 18 unusable
     * (fewer than 3 distinct nodes present, or collapsing when repaired). */
    assert_int_equal(pl_warn_count(ctx, "osm-polygon-repaired"), 4);
    assert_int_equal(pl_warn_count(ctx, "osm-invalid-geometry"), 18);
    assert_int_equal(pl_warn_total(ctx), 122); /* 160 before: the 38 unmapped lines above */
    /* 6 supermarkets in osmium; the SuperBrugsen way has 1 of its 5 nodes in the extract. */
    assert_int_equal(pl_osm_count_services(d, "grocery_full"), 5);
    assert_int_equal(pl_osm_count_services(d, "grocery_partial"), 3);
    assert_int_equal(pl_osm_count_services(d, "fuel"), 1);
    assert_true(d->n_roads > 0 && d->n_buildings > 0);
    pl_osm_data_free(ctx, d);
    pl_ctx_free(ctx);
}

static void test_every_real_extract_imports(void **state)
{
    (void)state;
    const char *files[] = {SODERMALM_PBF, MONACO_PBF,
                           "osm-monaco-amager-osrm/amager.osm.pbf", "osm-lund-oslo-otp/lund-station-sweden.osm.pbf",
                           "osm-lund-oslo-otp/skoyen.osm.pbf", "osm-lund-oslo-otp/oslo-east-filtered.osm.pbf", NULL};
    /* tests/data and sample-data hold exactly these PBF files (checked here so a new one is not forgotten). */
    assert_int_equal(run_cmd("test $(ls %s*/*.osm.pbf sample-data/*/*.osm.pbf | wc -l) -eq 6", real_data("")), 0);
    for (int i = 0; files[i]; i++) {
        pl_ctx *ctx = quiet_ctx();
        pl_osm_data *d = read_extract(ctx, files[i]);
        assert_true(d->n_roads > 0);
        pl_osm_data_free(ctx, d);
        pl_ctx_free(ctx);
    }
    /* Lund: 159 trees, 3 convenience stores (PROVENANCE); 11 relations lack member ways. */
    pl_ctx *ctx = quiet_ctx();
    pl_osm_data *d = read_extract(ctx, "osm-lund-oslo-otp/lund-station-sweden.osm.pbf");
    assert_int_equal(d->n_trees, 159);
    assert_int_equal(pl_osm_count_services(d, "grocery_partial"), 3);
    assert_int_equal(pl_warn_count(ctx, "osm-incomplete-multipolygon"), 11);
    pl_osm_data_free(ctx, d);
    pl_ctx_free(ctx);
}

/* A hand-made .osm (XML) exercising the rules the real extracts lack: node/area service
 * de-duplication, implied oneway, ferry, excluded highway values, tree rows, crowns from
 * diameter_crown, private gardens, residential landuse, municipalities with ref:scb, and a
 * multipolygon relation whose member is missing. */
static const char *const fixture_osm =
    "<?xml version='1.0' encoding='UTF-8'?>\n"
    "<osm version='0.6' generator='platsa test'>\n"
    /* building square + supermarket node inside it */
    " <node id='1' lat='59.3100' lon='18.0600'/><node id='2' lat='59.3100' lon='18.0604'/>\n"
    " <node id='3' lat='59.3102' lon='18.0604'/><node id='4' lat='59.3102' lon='18.0600'/>\n"
    " <node id='5' lat='59.3101' lon='18.0602'><tag k='shop' v='supermarket'/><tag k='name' v='Ica'/></node>\n"
    /* residential landuse around it */
    " <node id='6' lat='59.3090' lon='18.0590'/><node id='7' lat='59.3090' lon='18.0620'/>\n"
    " <node id='8' lat='59.3120' lon='18.0620'/><node id='9' lat='59.3120' lon='18.0590'/>\n"
    /* roads */
    " <node id='10' lat='59.3000' lon='18.0500'/><node id='11' lat='59.3010' lon='18.0500'/>\n"
    " <node id='12' lat='59.3000' lon='18.0700'/><node id='13' lat='59.2950' lon='18.0800'/>\n"
    /* a tree and a tree row about 97 m long */
    " <node id='14' lat='59.3060' lon='18.0650'><tag k='natural' v='tree'/><tag k='diameter_crown' v='6'/>"
    "<tag k='height' v='20'/></node>\n"
    " <node id='15' lat='59.3070' lon='18.0650'><tag k='amenity' v='fuel'/><tag k='fuel:biogas' v='yes'/></node>\n"
    " <node id='16' lat='59.3050' lon='18.0600'/><node id='17' lat='59.3050' lon='18.0617'/>\n"
    /* a house, a garden, a big boundary square */
    " <node id='20' lat='59.3110' lon='18.0610'/><node id='21' lat='59.3110' lon='18.0612'/>\n"
    " <node id='22' lat='59.3111' lon='18.0612'/><node id='23' lat='59.3111' lon='18.0610'/>\n"
    " <node id='30' lat='59.3200' lon='18.0700'/><node id='31' lat='59.3200' lon='18.0710'/>\n"
    " <node id='32' lat='59.3205' lon='18.0710'/><node id='33' lat='59.3205' lon='18.0700'/>\n"
    " <node id='40' lat='59.2900' lon='18.0400'/><node id='41' lat='59.2900' lon='18.0900'/>\n"
    " <node id='42' lat='59.3300' lon='18.0900'/><node id='43' lat='59.3300' lon='18.0400'/>\n"
    " <way id='100'><nd ref='1'/><nd ref='2'/><nd ref='3'/><nd ref='4'/><nd ref='1'/>"
    "<tag k='building' v='yes'/><tag k='shop' v='supermarket'/><tag k='name' v='Ica'/></way>\n"
    " <way id='101'><nd ref='6'/><nd ref='7'/><nd ref='8'/><nd ref='9'/><nd ref='6'/>"
    "<tag k='landuse' v='residential'/></way>\n"
    " <way id='102'><nd ref='20'/><nd ref='21'/><nd ref='22'/><nd ref='23'/><nd ref='20'/>"
    "<tag k='building' v='house'/></way>\n"
    " <way id='103'><nd ref='10'/><nd ref='11'/><tag k='highway' v='motorway'/>"
    "<tag k='maxspeed' v='SE:motorway'/></way>\n"
    " <way id='104'><nd ref='11'/><nd ref='12'/><tag k='highway' v='residential'/><tag k='maxspeed' v='fast'/>"
    "<tag k='oneway' v='-1'/><tag k='bridge' v='yes'/><tag k='layer' v='1'/></way>\n"
    " <way id='105'><nd ref='12'/><nd ref='13'/><tag k='route' v='ferry'/><tag k='name' v='Färja'/></way>\n"
    " <way id='106'><nd ref='10'/><nd ref='13'/><tag k='highway' v='construction'/></way>\n"
    " <way id='107'><nd ref='16'/><nd ref='17'/><tag k='natural' v='tree_row'/></way>\n"
    " <way id='108'><nd ref='30'/><nd ref='31'/><nd ref='32'/><nd ref='33'/><nd ref='30'/>"
    "<tag k='leisure' v='garden'/><tag k='access' v='private'/></way>\n"
    " <way id='109'><nd ref='40'/><nd ref='41'/><nd ref='42'/><nd ref='43'/><nd ref='40'/></way>\n"
    " <relation id='200'><member type='way' ref='109' role='outer'/><tag k='type' v='boundary'/>"
    "<tag k='boundary' v='administrative'/><tag k='admin_level' v='7'/><tag k='ref:scb' v='0180'/>"
    "<tag k='name' v='Stockholm'/></relation>\n"
    " <relation id='201'><member type='way' ref='999' role='outer'/><tag k='type' v='multipolygon'/>"
    "<tag k='landuse' v='forest'/></relation>\n"
    "</osm>\n";

static void test_fixture_rules(void **state)
{
    (void)state;
    const char *dir = scratch_dir("osm_fixture");
    char path[4200];
    snprintf(path, sizeof path, "%s/fixture.osm", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(fixture_osm, f);
    fclose(f);
    pl_ctx *ctx = quiet_ctx();
    pl_error err = {0};
    pl_osm_data *d = pl_osm_read(ctx, path, NULL, &err);
    if (!d)
        fail_msg("%s", err.msg);
    /* roads: motorway, residential, ferry; construction left out */
    assert_int_equal(d->n_roads, 3);
    for (size_t i = 0; i < d->n_roads; i++) {
        const pl_osm_road *r = &d->roads[i];
        if (r->osm_id == 103) {
            assert_string_equal(r->highway, "motorway");
            assert_int_equal(r->oneway, 1);
            assert_true(r->maxspeed_kmh == 110.0);
            assert_true(r->car == 1 && r->bike == 0 && r->foot == 0);
            assert_true(fabs(r->length_m - 111.5) < 1.0); /* 0.001 degree of latitude */
        } else if (r->osm_id == 104) {
            assert_int_equal(r->oneway, -1);
            assert_true(isnan(r->maxspeed_kmh));
            assert_string_equal(r->maxspeed_tag, "fast");
            assert_true(r->bridge == 1 && r->layer == 1 && r->tunnel == 0);
        } else {
            assert_int_equal(r->osm_id, 105);
            assert_string_equal(r->highway, "ferry");
            assert_string_equal(r->name, "Färja");
        }
    }
    assert_int_equal(pl_warn_count(ctx, "osm-maxspeed-unparsed"), 1);
    /* services: the supermarket node (its building's copy merged away), fuel + biogas */
    assert_int_equal(d->n_services, 3);
    assert_int_equal(d->services_merged, 1);
    assert_int_equal(pl_osm_count_services(d, "grocery_full"), 1);
    assert_int_equal(pl_osm_count_services(d, "fuel"), 1);
    assert_int_equal(pl_osm_count_services(d, "biogas"), 1);
    for (size_t i = 0; i < d->n_services; i++)
        if (!strcmp(d->services[i].type, "grocery_full"))
            assert_int_equal(d->services[i].osm_type, PL_OSM_NODE);
    /* trees: 1 node (crown 6/2 = 3 m from diameter_crown) + the ~97 m row sampled every 10 m */
    assert_int_equal(d->n_trees, 11);
    size_t rows = 0;
    for (size_t i = 0; i < d->n_trees; i++) {
        if (d->trees[i].from_row) {
            rows++;
            assert_string_equal(d->trees[i].crown_from, "default");
            assert_true(d->trees[i].crown_radius_m == 3.0);
        } else {
            assert_string_equal(d->trees[i].crown_from, "diameter_crown");
            assert_true(d->trees[i].height_m == 20.0);
        }
    }
    assert_int_equal(rows, 10);
    /* canopy: 11 crowns; the forest relation misses its member */
    assert_int_equal(d->n_canopy, 11);
    assert_int_equal(pl_warn_count(ctx, "osm-incomplete-multipolygon"), 1);
    double crown = d->canopy[0].area_m2;
    assert_true(fabs(crown - M_PI * 9.0) < 0.3); /* buffer polygon of radius 3 m */
    /* green: the private garden is kept with public = 0 */
    assert_int_equal(d->n_green, 1);
    assert_string_equal(d->green[0].kind, "garden");
    assert_string_equal(d->green[0].access, "private");
    assert_int_equal(d->green[0].is_public, 0);
    /* buildings: building=yes inside landuse=residential is residential; a house has 1 level */
    assert_int_equal(d->n_buildings, 2);
    for (size_t i = 0; i < d->n_buildings; i++) {
        assert_int_equal(d->buildings[i].residential, 1);
        if (!strcmp(d->buildings[i].building, "house")) {
            assert_true(d->buildings[i].levels == 1.0);
        } else {
            assert_true(d->buildings[i].levels == 3.0);
            assert_string_equal(d->buildings[i].levels_from, "default");
        }
    }
    /* municipality from the boundary relation, code from ref:scb */
    assert_int_equal(d->n_municipalities, 1);
    assert_string_equal(d->municipalities[0].code, "0180");
    assert_string_equal(d->municipalities[0].name, "Stockholm");
    assert_int_equal(d->municipalities[0].osm_id, 200);
    pl_osm_data_free(ctx, d);
    pl_ctx_free(ctx);
}

/* The piece of way `way` from node src to node tgt, or NULL. */
static const pl_osm_road *find_piece(const pl_osm_data *d, int64_t way, int64_t src, int64_t tgt)
{
    for (size_t i = 0; i < d->n_roads; i++)
        if (d->roads[i].osm_id == way && d->roads[i].source == src && d->roads[i].target == tgt)
            return &d->roads[i];
    return NULL;
}

static size_t pieces_of(const pl_osm_data *d, int64_t way)
{
    size_t n = 0;
    for (size_t i = 0; i < d->n_roads; i++)
        n += d->roads[i].osm_id == way;
    return n;
}

/* Ends of a piece are its first and last vertex: the node ids must sit at those coordinates. */
static void assert_end_at(const pl_osm_data *d, const pl_osm_road *r, int first, double x, double y)
{
    const double *xy = d->road_xy + 2 * (r->xy0 + (first ? 0 : r->n_xy - 1));
    assert_true(fabs(xy[0] - x) < 1e-6 && fabs(xy[1] - y) < 1e-6);
}

/* tests/data/osm_topology.osm: ways are split at shared nodes (and only there), every piece
 * carries the OSM ids of its end nodes. */
static void test_topology(void **state)
{
    (void)state;
    pl_ctx *ctx = quiet_ctx();
    pl_error err = {0};
    pl_osm_data *d = pl_osm_read(ctx, PLATSA_SOURCE_DIR "/tests/data/osm_topology.osm", NULL, &err);
    if (!d)
        fail_msg("%s", err.msg);
    /* 1. Crossing at the shared interior node 2: both ways split there, all four pieces meet at 2. */
    assert_int_equal(pieces_of(d, 1001), 2);
    assert_int_equal(pieces_of(d, 1002), 2);
    const pl_osm_road *a = find_piece(d, 1001, 1, 2), *b = find_piece(d, 1001, 2, 3);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(find_piece(d, 1002, 4, 2));
    assert_non_null(find_piece(d, 1002, 2, 5));
    assert_string_equal(a->name, "Korsgatan");
    assert_string_equal(b->name, "Korsgatan");
    assert_true(fabs(a->length_m - 56.9) < 0.5 && fabs(b->length_m - 56.9) < 0.5); /* 0.001 deg of lon at 59.3 N */
    /* The shared id sits at the common vertex of the pieces. */
    assert_int_equal(a->n_xy, 2);
    GEOSGeometry *line = pl_osm_road_geom(ctx, d, (size_t)(a - d->roads));
    assert_int_equal(GEOSGeomGetNumPoints_r(ctx->geos, line), 2);
    double x2, y2;
    GEOSCoordSeq_getXY_r(ctx->geos, GEOSGeom_getCoordSeq_r(ctx->geos, line), 1, &x2, &y2);
    GEOSGeom_destroy_r(ctx->geos, line);
    assert_end_at(d, b, 1, x2, y2);
    assert_end_at(d, find_piece(d, 1002, 4, 2), 0, x2, y2);
    /* 2. The bridge crosses the street: a vertex of each at the same point (nodes 15, 16), but
     * no common node, so neither is split and they share no id. */
    const pl_osm_road *bridge = find_piece(d, 1003, 10, 11), *street = find_piece(d, 1004, 12, 13);
    assert_non_null(bridge);
    assert_non_null(street);
    assert_int_equal(pieces_of(d, 1003), 1);
    assert_int_equal(pieces_of(d, 1004), 1);
    assert_true(bridge->bridge == 1 && bridge->layer == 1 && street->bridge == 0 && street->layer == 0);
    assert_int_equal(bridge->n_xy, 3);
    /* 3. The tunnel network on layer -1: 1005 is split at 21 (1006 leaves there); 1007 starts at
     * 1005's end 22. */
    assert_int_equal(pieces_of(d, 1005), 2);
    const pl_osm_road *t[] = {find_piece(d, 1005, 20, 21), find_piece(d, 1005, 21, 22), find_piece(d, 1006, 21, 23),
                              find_piece(d, 1007, 22, 24)};
    for (int i = 0; i < 4; i++) {
        assert_non_null(t[i]);
        assert_true(t[i]->tunnel == 1 && t[i]->layer == -1);
    }
    assert_string_equal(t[2]->highway, "primary"); /* primary_link -> primary */
    assert_int_equal(t[3]->oneway, 1);
    /* 4. The ferry with both nodes at one point is skipped, counted; so is a way repeating one node. */
    assert_int_equal(pieces_of(d, 1008), 0);
    assert_int_equal(pieces_of(d, 1014), 0);
    assert_int_equal(pl_warn_count(ctx, "osm-zero-length"), 2);
    /* 5. Node 999 is missing: the runs on either side are kept; 1010 keeps one node: dropped. */
    assert_int_equal(pieces_of(d, 1009), 2);
    assert_non_null(find_piece(d, 1009, 40, 41));
    assert_non_null(find_piece(d, 1009, 42, 43));
    assert_int_equal(pieces_of(d, 1010), 0);
    assert_int_equal(pl_warn_count(ctx, "osm-way-missing-nodes"), 1);
    assert_int_equal(pl_warn_count(ctx, "osm-way-dropped"), 1);
    /* 6. The roundabout is cut at its end node 50 and where 1012 enters (51); the pedestrian
     * square with area=yes on the same nodes is no road. */
    assert_int_equal(pieces_of(d, 1011), 2);
    assert_non_null(find_piece(d, 1011, 50, 51));
    const pl_osm_road *loop = find_piece(d, 1011, 51, 50);
    assert_non_null(loop);
    assert_int_equal(loop->n_xy, 3);
    assert_non_null(find_piece(d, 1012, 53, 51));
    assert_int_equal(pieces_of(d, 1013), 0);
    assert_int_equal(d->n_roads, 15);
    assert_int_equal(pl_warn_total(ctx), 4);
    pl_osm_data_free(ctx, d);
    pl_ctx_free(ctx);
}

/* An extract with no roads (empty, or of another area than meant) is refused, not imported
 * as empty layers. */
static void test_no_roads_refused(void **state)
{
    (void)state;
    const char *dir = scratch_dir("osm_noroads");
    const char *empty = write_text_file(dir, "empty.osm", "<?xml version='1.0'?>\n<osm version='0.6'>\n</osm>\n");
    pl_ctx *ctx = quiet_ctx();
    pl_error err = {0};
    assert_null(pl_osm_read(ctx, empty, NULL, &err));
    assert_int_equal(err.code, PL_EINPUT);
    assert_non_null(strstr(err.msg, "no roads"));
    const char *shop = write_text_file(dir, "shop.osm", "<?xml version='1.0'?>\n<osm version='0.6'>\n"
                                       " <node id='1' lat='59.3' lon='18.0'><tag k='shop' v='supermarket'/></node>\n"
                                       "</osm>\n");
    assert_null(pl_osm_read(ctx, shop, NULL, &err));
    assert_non_null(strstr(err.msg, "no roads"));
    pl_ctx_free(ctx);
    /* The command: exit 1, one line, no output file. */
    const char *bin = getenv("PLATSA_BIN") && *getenv("PLATSA_BIN") ? getenv("PLATSA_BIN") : "build/platsa";
    assert_int_equal(run_cmd("%s import-osm %s/shop.osm -o %s/out.gpkg > %s/stderr.txt 2>&1", bin, dir, dir, dir), 1);
    assert_int_equal(run_cmd("test $(wc -l < %s/stderr.txt) -eq 1 && grep -q 'no roads' %s/stderr.txt", dir, dir), 0);
    char out[4200];
    snprintf(out, sizeof out, "%s/out.gpkg", dir);
    assert_false(file_exists(out));
}

static void test_bad_inputs(void **state)
{
    (void)state;
    pl_ctx *ctx = quiet_ctx();
    pl_error err = {0};
    assert_null(pl_osm_read(ctx, "no/such/file.osm.pbf", NULL, &err));
    assert_int_equal(err.code, PL_EINPUT);
    assert_non_null(strstr(err.msg, "not found"));
    assert_null(pl_osm_read(ctx, real_data("osm-monaco-amager-osrm/PROVENANCE.md"), NULL, &err));
    assert_int_equal(err.code, PL_EINPUT);
    assert_non_null(strstr(err.msg, ".osm.pbf"));
    /* A file named .pbf that is not one. */
    const char *dir = scratch_dir("osm_bad");
    char path[4200];
    snprintf(path, sizeof path, "%s/garbage.osm.pbf", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("this is not a protocol buffer\n", f);
    fclose(f);
    assert_null(pl_osm_read(ctx, path, NULL, &err));
    assert_int_equal(err.code, PL_EINPUT);
    /* A truncated extract is an error, not a partial import. */
    snprintf(path, sizeof path, "%s/truncated.osm.pbf", dir);
    assert_int_equal(run_cmd("head -c 900000 %s > %s", MONACO_PBF, path), 0);
    assert_null(pl_osm_read(ctx, path, NULL, &err));
    assert_int_equal(err.code, PL_EINPUT);
    assert_non_null(strstr(err.msg, "complete"));
    /* A geographic working CRS is refused: lengths and areas need metres. */
    snprintf(ctx->work_crs, sizeof ctx->work_crs, "EPSG:4326");
    assert_null(pl_osm_read(ctx, SODERMALM_PBF, NULL, &err));
    assert_int_equal(err.code, PL_EINPUT);
    assert_non_null(strstr(err.msg, "metres"));
    pl_ctx_free(ctx);
}

int main(void)
{
    GDALAllRegister();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_maxspeed),
        cmocka_unit_test(test_oneway),
        cmocka_unit_test(test_access),
        cmocka_unit_test(test_classes_and_small_parsers),
        cmocka_unit_test(test_service_mapping),
        cmocka_unit_test(test_service_mapping_registry),
        cmocka_unit_test(test_sodermalm),
        cmocka_unit_test(test_monaco),
        cmocka_unit_test(test_monaco_admin_level_8),
        cmocka_unit_test(test_amager_clipped),
        cmocka_unit_test(test_every_real_extract_imports),
        cmocka_unit_test(test_fixture_rules),
        cmocka_unit_test(test_topology),
        cmocka_unit_test(test_no_roads_refused),
        cmocka_unit_test(test_bad_inputs),
    };
    return cmocka_run_group_tests_name("osm", tests, NULL, NULL);
}
