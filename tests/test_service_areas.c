/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Service areas (platsa access --service-areas) on hand-checkable fixtures: one straight road
 * with one service (the band is a buffered stretch of known length), two roads far apart
 * (the areas must not bridge the gap as a hull would), and residents per band equal to the
 * cells' own band counts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gdal.h>
#include <ogr_api.h>

#include "analyses/access/access.h"
#include "analyses/access/access_areas.h"
#include "support/testutil.h"

#define HDR "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"urn:ogc:def:crs:EPSG::3006\"}},\"features\":["
#define ROAD(id, x0, y0, x1, y1)                                                                                    \
    "{\"type\":\"Feature\",\"properties\":{\"id\":" #id ",\"highway\":\"tertiary\",\"maxspeed_kmh\":36,\"oneway\":0},"  \
    "\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[" #x0 "," #y0 "],[" #x1 "," #y1 "]]}}"
#define POINT(props, x, y) "{\"type\":\"Feature\",\"properties\":{" props "},\"geometry\":{\"type\":\"Point\",\"coordinates\":[" #x "," #y "]}}"

/* Area of a 200 m buffer of a straight piece of length L with 4 segments per quarter circle:
 * the rectangle plus a 16-gon of radius w (GEOS's round caps, not a true circle). */
static double capsule_area(double L, double w) { return L * 2 * w + 8 * w * w * sin(2 * M_PI / 16); }

typedef struct fixture {
    pl_ctx *ctx;
    pl_service_types *types;
    pl_municipalities *munis;
    pl_population *pop;
    pl_services *svc;
    pl_roads *roads;
    pl_graph *graph;
    char dir[512];
} fixture;

/* Roads at 36 km/h (10 m/s); services and population as given; one municipality around all. */
static void load(fixture *f, const char *name, const char *roads, const char *services, const char *population)
{
    snprintf(f->dir, sizeof f->dir, "%s", scratch_dir(name));
    write_text_file(f->dir, "roads.geojson", roads);
    write_text_file(f->dir, "services.geojson", services);
    write_text_file(f->dir, "population.geojson", population);
    write_text_file(f->dir, "munis.geojson",
                    HDR "{\"type\":\"Feature\",\"properties\":{\"KnKod\":\"0101\",\"KnNamn\":\"Väst\"},\"geometry\":{"
                        "\"type\":\"Polygon\",\"coordinates\":[[[490000,6490000],[520000,6490000],[520000,6510000],"
                        "[490000,6510000],[490000,6490000]]]}}]}");
    char path[600];
    pl_error err = {0};
    f->ctx = pl_ctx_new();
    f->ctx->quiet = 1;
    f->types = pl_service_types_load(f->ctx, NULL, &err);
    assert_non_null(f->types);
    pl_load_opts lo = {0};
    snprintf(path, sizeof path, "%s/munis.geojson", f->dir);
    assert_non_null(f->munis = pl_municipalities_load(f->ctx, path, &lo, &err));
    snprintf(path, sizeof path, "%s/population.geojson", f->dir);
    assert_non_null(f->pop = pl_population_load(f->ctx, path, &lo, &err));
    snprintf(path, sizeof path, "%s/services.geojson", f->dir);
    assert_non_null(f->svc = pl_services_load(f->ctx, path, f->types, &lo, &err));
    snprintf(path, sizeof path, "%s/roads.geojson", f->dir);
    assert_non_null(f->roads = pl_roads_load(f->ctx, path, &lo, &err));
    pl_graph_opts go;
    pl_graph_opts_default(&go);
    assert_non_null(f->graph = pl_graph_build(f->ctx, f->roads, &go, &err));
}

static void unload(fixture *f)
{
    pl_graph_free(f->graph);
    pl_roads_free(f->roads);
    pl_services_free(f->svc);
    pl_population_free(f->ctx, f->pop);
    pl_municipalities_free(f->ctx, f->munis);
    pl_service_types_free(f->types);
    pl_ctx_free(f->ctx);
}

/* Fuel service areas with bands (minutes) on f. */
static pl_service_areas *areas_of(fixture *f, const double *bands, int n_bands, pl_access_result **r)
{
    int types[1] = {pl_service_types_find(f->types, "fuel")};
    assert_true(types[0] >= 0);
    pl_doubles b = {.n = n_bands};
    memcpy(b.v, bands, (size_t)n_bands * sizeof *bands);
    pl_access_params p = {.types = types, .n_types = 1, .mode = PL_MODE_CAR, .within_km = 5, .max_snap_m = 1000,
                          .bands_min = &b};
    pl_error err = {0};
    assert_int_equal(pl_access_compute(f->ctx, f->pop, f->svc, f->types, f->munis, f->roads, f->graph, &p, r, &err),
                     PL_OK);
    pl_service_areas *sa = NULL;
    assert_int_equal(pl_access_service_areas(f->ctx, f->graph, f->roads, f->pop, *r, 200, &sa, &err), PL_OK);
    assert_int_equal(sa->n, n_bands);
    return sa;
}

static double area_of(pl_ctx *ctx, const GEOSGeometry *g)
{
    double a = 0;
    assert_non_null(g);
    assert_int_equal(GEOSArea_r(ctx->geos, g, &a), 1);
    return a;
}

static int covers_point(pl_ctx *ctx, const GEOSGeometry *g, double x, double y)
{
    GEOSGeometry *p = GEOSGeom_createPointFromXY_r(ctx->geos, x, y);
    int in = GEOSIntersects_r(ctx->geos, g, p);
    GEOSGeom_destroy_r(ctx->geos, p);
    return in == 1;
}

/* A 10 km road at 10 m/s, one fuel station 10 m off it at 9 km (its access leg: 10 m at
 * 30 km/h = 1.2 s). Within 1 min: 58.8 s of road each way = 588 m each side, 1,176 m.
 * Within 2 min: 1,188 m back towards the start, and the 1,000 m to the road's end: 2,188 m. */
static void test_straight_road_band_is_a_buffered_stretch(void **state)
{
    (void)state;
    fixture f;
    load(&f, "service_areas_straight", HDR ROAD(1, 500000, 6500000, 510000, 6500000) "]}",
         HDR POINT("\"id\":\"30\",\"type\":\"fuel\"", 509000, 6500010) "]}",
         HDR POINT("\"id\":\"c\",\"pop\":10", 509000, 6500100) "]}");
    const double bands[2] = {1, 2};
    pl_access_result *r = NULL;
    pl_service_areas *sa = areas_of(&f, bands, 2, &r);
    double a1 = area_of(f.ctx, sa->a[0].geom), a2 = area_of(f.ctx, sa->a[1].geom);
    double want1 = capsule_area(1176, 200), want2 = capsule_area(2188, 200) - want1;
    if (fabs(a1 - want1) > 0.001 * want1 || fabs(a2 - want2) > 0.001 * want2)
        fail_msg("areas %.0f and %.0f m², expected %.0f and %.0f", a1, a2, want1, want2);
    assert_true(fabs(sa->a[0].road_km - 1.176) < 1e-3);
    assert_true(fabs(sa->a[1].road_km - 2.188) < 1e-3);
    /* The rings do not overlap, and the second holds what the first does not. */
    assert_true(covers_point(f.ctx, sa->a[0].geom, 509500, 6500150));
    assert_false(covers_point(f.ctx, sa->a[1].geom, 509500, 6500150));
    assert_true(covers_point(f.ctx, sa->a[1].geom, 508000, 6500150));
    assert_false(covers_point(f.ctx, sa->a[0].geom, 509000, 6500250));  /* beyond the 200 m width */
    /* The one resident's unit: 90 m leg (10.8 s) + 10 m (1.2 s) = 12 s: the first band. */
    assert_true(sa->a[0].pop == 10 && sa->a[1].pop == 0 && sa->a[0].n_cells == 1);
    pl_service_areas_free(f.ctx, sa);
    pl_access_result_free(r);
    unload(&f);
}

/* Two parallel 10 km roads 1 km apart, not connected, each with a fuel station at its middle:
 * within 10 min each road is reached end to end. The area is two separate stretches; the
 * land between them (a lake or forest in rural Sweden) is not in it, as a hull of the
 * reached points would make it. */
static void test_sparse_roads_are_not_bridged(void **state)
{
    (void)state;
    fixture f;
    load(&f, "service_areas_sparse",
         HDR ROAD(1, 500000, 6500000, 510000, 6500000) "," ROAD(2, 500000, 6501000, 510000, 6501000) "]}",
         HDR POINT("\"id\":\"1\",\"type\":\"fuel\"", 505000, 6500010) "," POINT("\"id\":\"2\",\"type\":\"fuel\"", 505000,
                                                                                    6501010) "]}",
         HDR POINT("\"id\":\"c\",\"pop\":10", 505000, 6500500) "]}");
    const double bands[1] = {10};
    pl_access_result *r = NULL;
    pl_service_areas *sa = areas_of(&f, bands, 1, &r);
    const GEOSGeometry *g = sa->a[0].geom;
    assert_int_equal(GEOSGetNumGeometries_r(f.ctx->geos, g), 2);
    double want = 2 * capsule_area(10000, 200), a = area_of(f.ctx, g);
    if (fabs(a - want) > 0.001 * want)
        fail_msg("area %.0f m², expected %.0f", a, want);
    for (double x = 500000; x <= 510000; x += 1000)
        assert_false(covers_point(f.ctx, g, x, 6500500));
    assert_true(covers_point(f.ctx, g, 500000, 6500000) && covers_point(f.ctx, g, 510000, 6501000));
    /* The unit between them reaches a road by its access leg: counted from its own time. */
    assert_true(sa->a[0].pop == 10);
    pl_service_areas_free(f.ctx, sa);
    pl_access_result_free(r);
    unload(&f);
}

/* A unit 1 km off the road at its far end: 120 s of driveway after 901.2 s of road, 17 min.
 * With bands 1, 2, 16, 30 min the whole road is reached within 16; the 16-30 band adds no road
 * (no area) but holds that unit, so it keeps its residents and the rows add up. */
static void test_band_with_residents_but_no_new_road(void **state)
{
    (void)state;
    fixture f;
    load(&f, "service_areas_driveway", HDR ROAD(1, 500000, 6500000, 510000, 6500000) "]}",
         HDR POINT("\"id\":\"30\",\"type\":\"fuel\"", 509000, 6500010) "]}",
         HDR POINT("\"id\":\"far\",\"pop\":4", 500000, 6499000) "]}");
    const double bands[4] = {1, 2, 16, 30};
    pl_access_result *r = NULL;
    pl_service_areas *sa = areas_of(&f, bands, 4, &r);
    assert_non_null(sa->a[2].geom);
    assert_true(sa->a[3].geom == NULL || GEOSisEmpty_r(f.ctx->geos, sa->a[3].geom));
    assert_true(sa->a[3].pop == 4 && sa->a[3].n_cells == 1);
    assert_true(fabs(sa->a[3].road_km - 10) < 1e-3);
    pl_service_areas_free(f.ctx, sa);
    pl_access_result_free(r);
    unload(&f);
}

/* Sum of pop over the access_cells rows whose fuel_min is in (lo, hi]; and the service_areas rows. */
static void test_residents_equal_cells_band_counts(void **state)
{
    (void)state;
    fixture f;
    /* A road with a junction and a side road, one station; units along both at every 100 m. */
    char pop[20000];
    size_t n = (size_t)snprintf(pop, sizeof pop, "%s", HDR);
    for (int i = 0; i <= 100; i++)
        n += (size_t)snprintf(pop + n, sizeof pop - n,
                              "%s{\"type\":\"Feature\",\"properties\":{\"id\":\"u%d\",\"pop\":%d},\"geometry\":{"
                              "\"type\":\"Point\",\"coordinates\":[%d,%d]}}",
                              i ? "," : "", i, 1 + i % 7, i < 60 ? 500000 + i * 170 : 505000 + (i % 3) * 50,
                              i < 60 ? 6500000 + 40 + (i % 5) * 30 : 6500000 + (i - 60) * 170);
    snprintf(pop + n, sizeof pop - n, "]}");
    load(&f, "service_areas_residents",
         HDR ROAD(1, 500000, 6500000, 505000, 6500000) "," ROAD(2, 505000, 6500000, 510000, 6500000) "," ROAD(
             3, 505000, 6500000, 505000, 6507000) "]}",
         HDR POINT("\"id\":\"1\",\"type\":\"fuel\"", 501000, 6500010) "]}", pop);
    char out[700], cmd[2000];
    snprintf(out, sizeof out, "%s/out.gpkg", f.dir);
    pl_error err = {0};
    char p_pop[600], p_svc[600], p_roads[600], p_munis[600];
    snprintf(p_pop, sizeof p_pop, "%s/population.geojson", f.dir);
    snprintf(p_svc, sizeof p_svc, "%s/services.geojson", f.dir);
    snprintf(p_roads, sizeof p_roads, "%s/roads.geojson", f.dir);
    snprintf(p_munis, sizeof p_munis, "%s/munis.geojson", f.dir);
    char *argv[] = {"access", "-p", p_pop, "-s", p_svc, "-r", p_roads, "-m", p_munis, "--types", "fuel",
                    "--bands-min", "2,5,10,20", "--service-areas", "-o", out, "--overwrite"};
    pl_access_opts o;
    assert_int_equal(pl_access_opts_init(&o), PL_OK);
    char *pos[1];
    int npos = 0;
    assert_int_equal(pl_options_parse(pl_access_options, &o, (int)(sizeof argv / sizeof argv[0]), argv, pos, 0,
                                      &npos, &err), PL_OK);
    if (pl_access_run(f.ctx, &o, "test", &err) != PL_OK)
        fail_msg("%s", err.msg);
    pl_access_opts_free(&o);
    /* The cells' own times against each ring's residents, in SQL on the written file. */
    snprintf(cmd, sizeof cmd,
             "sqlite3 %s \"select count(*) from service_areas s where s.pop != (select coalesce(sum(c.pop),0) from "
             "access_cells c where c.fuel_min > s.from_min and c.fuel_min <= s.to_min) or s.units != (select count(*) "
             "from access_cells c where c.fuel_min > s.from_min and c.fuel_min <= s.to_min)\" | grep -qx 0",
             out);
    assert_int_equal(run_cmd("%s", cmd), 0);
    /* Every band is there, every unit counted in one (all are within 20 min), band by band. */
    snprintf(cmd, sizeof cmd,
             "sqlite3 %s \"select count(*), sum(pop) = (select sum(pop) from access_cells) from service_areas\" "
             "| grep -qx '4|1'", out);
    assert_int_equal(run_cmd("%s", cmd), 0);
    /* The cells' band column agrees too (its labels are the band limits). */
    snprintf(cmd, sizeof cmd,
             "sqlite3 %s \"select count(distinct fuel_band_min) from access_cells\" | grep -qx 4", out);
    assert_int_equal(run_cmd("%s", cmd), 0);
    /* Styled like the other layers: a graduated style on to_min. */
    snprintf(cmd, sizeof cmd,
             "sqlite3 %s \"select count(*) from layer_styles where f_table_name = 'service_areas' and styleQML like "
             "'%%graduatedSymbol%%'\" | grep -qx 1", out);
    assert_int_equal(run_cmd("%s", cmd), 0);
    unload(&f);
}

/* Without the option there is no such layer; with --mode transit it is refused. */
static void test_option_off_and_refusals(void **state)
{
    (void)state;
    pl_access_opts o;
    assert_int_equal(pl_access_opts_init(&o), PL_OK);
    assert_int_equal(o.service_areas, 0);
    assert_true(o.service_area_width_m == PL_SERVICE_AREA_WIDTH_DEFAULT);
    char *argv[] = {"access", "-p", "p.gpkg", "-s", "s.gpkg", "-r", "r.gpkg", "-m", "m.gpkg", "-o", "o.gpkg",
                    "--mode", "transit", "--gtfs", "feed.zip", "--date", "2024-05-14", "--service-areas"};
    char *pos[1];
    int npos = 0;
    pl_error err = {0};
    assert_int_equal(pl_options_parse(pl_access_options, &o, (int)(sizeof argv / sizeof argv[0]), argv, pos, 0,
                                      &npos, &err), PL_OK);
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    assert_int_equal(pl_access_run(ctx, &o, "test", &err), PL_EINPUT);
    assert_non_null(strstr(err.msg, "--service-areas is for the road modes"));
    pl_access_opts_free(&o);
    assert_int_equal(pl_access_opts_init(&o), PL_OK);
    char *bad[] = {"access", "--service-area-width", "0"};
    assert_int_not_equal(pl_options_parse(pl_access_options, &o, 3, bad, pos, 0, &npos, &err), PL_OK);
    assert_non_null(strstr(err.msg, "--service-area-width 0: must be > 0, <= 5000"));
    pl_access_opts_free(&o);
    pl_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_straight_road_band_is_a_buffered_stretch),
        cmocka_unit_test(test_sparse_roads_are_not_bridged),
        cmocka_unit_test(test_band_with_residents_but_no_new_road),
        cmocka_unit_test(test_residents_equal_cells_band_counts),
        cmocka_unit_test(test_option_off_and_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
