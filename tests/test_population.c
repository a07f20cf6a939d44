/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Dasymetric population: totals per area are preserved exactly; fallbacks for areas without
 * (residential) buildings; the Stockholm statistical areas x Södermalm OSM buildings. */
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

#include "analyses/population/population.h"
#include "gis/ctx.h"
#include "layers/osm.h"
#include "support/testutil.h"

static GEOSGeometry *square(pl_ctx *ctx, double x0, double y0, double size)
{
    char wkt[256];
    snprintf(wkt, sizeof wkt, "POLYGON((%g %g,%g %g,%g %g,%g %g,%g %g))", x0, y0, x0 + size, y0, x0 + size,
             y0 + size, x0, y0 + size, x0, y0);
    GEOSWKTReader *r = GEOSWKTReader_create_r(ctx->geos);
    GEOSGeometry *g = GEOSWKTReader_read_r(ctx->geos, r, wkt);
    GEOSWKTReader_destroy_r(ctx->geos, r);
    return g;
}

static char *text(const char *s)
{
    return pl_strdup(s);
}

/* Areas (100 m squares side by side along x):
 *   A pop 100: residential buildings weights 1 and 3, and a shop (not residential);
 *   B pop 50: only non-residential buildings (weights 2 and 2);
 *   C pop 7: no building;
 *   D pop 0: one residential building;
 *   E (overlaps A, comes after it) pop 10: no building of its own.
 * plus one building outside every area. */
static void test_synthetic(void **state)
{
    (void)state;
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_dasy_areas a = {0};
    a.n = 5;
    a.geom = pl_calloc(5, sizeof *a.geom);
    a.id = pl_calloc(5, sizeof *a.id);
    a.pop = pl_calloc(5, sizeof *a.pop);
    const double pops[] = {100, 50, 7, 0, 10};
    const char *ids[] = {"A", "B", "C", "D", "E"};
    for (int i = 0; i < 4; i++)
        a.geom[i] = square(ctx, 100.0 * i, 0, 100);
    a.geom[4] = square(ctx, 0, 0, 100); /* same as A */
    for (int i = 0; i < 5; i++) {
        a.id[i] = text(ids[i]);
        a.pop[i] = pops[i];
        a.total += pops[i];
    }
    a.source = text("synthetic");

    pl_dasy_buildings b = {0};
    const double bx[] = {10, 50, 70, 110, 150, 310, 1000};
    const double w[] = {1, 3, 5, 2, 2, 4, 9};
    const int res[] = {1, 1, 0, 0, 0, 1, 1};
    b.n = 7;
    b.geom = pl_calloc(7, sizeof *b.geom);
    b.id = pl_calloc(7, sizeof *b.id);
    b.weight = pl_calloc(7, sizeof *b.weight);
    b.residential = pl_calloc(7, sizeof *b.residential);
    for (int k = 0; k < 7; k++) {
        b.geom[k] = square(ctx, bx[k], 10, 10);
        char id[8];
        snprintf(id, sizeof id, "b%d", k);
        b.id[k] = text(id);
        b.weight[k] = w[k];
        b.residential[k] = res[k];
    }
    b.source = text("synthetic buildings");

    pl_dasy_result r;
    pl_error err = {0};
    assert_int_equal(pl_dasymetric(ctx, &a, &b, &r, &err), PL_OK);
    assert_int_equal(r.method[0], PL_DASY_RESIDENTIAL);
    assert_int_equal(r.method[1], PL_DASY_ALL_BUILDINGS);
    assert_int_equal(r.method[2], PL_DASY_AREA_POINT);
    assert_int_equal(r.method[3], PL_DASY_NONE);
    assert_int_equal(r.method[4], PL_DASY_AREA_POINT); /* overlapping: buildings go to the first area (A) */
    assert_true(fabs(r.pop[0] - 25.0) < 1e-12);
    assert_true(fabs(r.pop[1] - 75.0) < 1e-12);
    assert_true(r.pop[2] == 0.0);              /* the shop in A */
    assert_true(fabs(r.pop[3] - 25.0) < 1e-12);
    assert_true(fabs(r.pop[4] - 25.0) < 1e-12);
    assert_true(r.pop[5] == 0.0);              /* D has nobody */
    assert_int_equal(r.area[6], -1);
    assert_int_equal(r.buildings_outside, 1);
    assert_int_equal(r.n_points, 2);
    assert_true(r.ppop[0] == 7.0 && r.parea[0] == 2);
    assert_true(r.ppop[1] == 10.0 && r.parea[1] == 4);
    for (size_t i = 0; i < a.n; i++)
        assert_true(fabs(r.assigned[i] - a.pop[i]) < 1e-9);
    assert_int_equal(pl_warn_count(ctx, "population-no-building"), 2);
    assert_int_equal(pl_warn_count(ctx, "population-no-residential"), 1);
    pl_dasy_result_free(&r);
    free(a.source);
    free(b.source);
    for (size_t i = 0; i < a.n; i++) {
        GEOSGeom_destroy_r(ctx->geos, a.geom[i]);
        free(a.id[i]);
    }
    for (size_t k = 0; k < b.n; k++) {
        GEOSGeom_destroy_r(ctx->geos, b.geom[k]);
        free(b.id[k]);
    }
    free(a.geom);
    free(a.id);
    free(a.pop);
    free(b.geom);
    free(b.id);
    free(b.weight);
    free(b.residential);
    pl_ctx_free(ctx);
}

static pl_dasy_buildings *buildings_from_osm(pl_ctx *ctx, const pl_osm_data *d)
{
    pl_dasy_buildings *b = pl_calloc(1, sizeof *b);
    b->n = d->n_buildings;
    b->geom = pl_calloc(b->n, sizeof *b->geom);
    b->id = pl_calloc(b->n, sizeof *b->id);
    b->weight = pl_calloc(b->n, sizeof *b->weight);
    b->residential = pl_calloc(b->n, sizeof *b->residential);
    for (size_t k = 0; k < b->n; k++) {
        char id[32];
        snprintf(id, sizeof id, "%lld", (long long)d->buildings[k].osm_id);
        b->id[k] = pl_strdup(id);
        b->geom[k] = GEOSGeom_clone_r(ctx->geos, d->buildings[k].geom);
        b->weight[k] = d->buildings[k].floor_area_m2;
        b->residential[k] = d->buildings[k].residential;
    }
    b->source = pl_strdup("stockholm.osm.pbf:buildings");
    return b;
}

static void test_stockholm_areas_sodermalm_buildings(void **state)
{
    (void)state;
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};
    char spec[4200];
    snprintf(spec, sizeof spec, "%s:stockholm_statistikomraden",
             real_data("swedish-city-districts/swedish_city_districts.gpkg"));
    /* Three pop_* fields: the field must be chosen. */
    assert_null(pl_dasy_areas_load(ctx, spec, NULL, NULL, NULL, &err));
    assert_int_equal(err.code, PL_EINPUT);
    assert_non_null(strstr(err.msg, "pop_2014, pop_2015, pop_2016"));
    pl_dasy_areas *a = pl_dasy_areas_load(ctx, spec, "pop_2016", NULL, NULL, &err);
    if (!a)
        fail_msg("%s", err.msg);
    /* The extract around Södermalm (tests/data/swedish-city-districts): ogrinfo -dialect sqlite
     * -sql "select count(*), sum(pop_2016) from stockholm_statistikomraden": 51 areas, 118,811 people
     * in 2016 (all 419 areas: 932,630); ids from nyckelkod. */
    assert_int_equal(a->n, 51);
    assert_true(fabs(a->total - 118811.0) < 1e-6);

    pl_osm_data *d = pl_osm_read(ctx, SODERMALM_PBF, NULL, &err);
    assert_non_null(d);
    pl_dasy_buildings *b = buildings_from_osm(ctx, d);
    pl_dasy_result r;
    assert_int_equal(pl_dasymetric(ctx, a, b, &r, &err), PL_OK);

    /* Every area's total is preserved: per-area sums of building and point populations. */
    double *sum = calloc(a->n, sizeof *sum);
    for (size_t k = 0; k < b->n; k++)
        if (r.area[k] >= 0)
            sum[r.area[k]] += r.pop[k];
    for (size_t j = 0; j < r.n_points; j++)
        sum[r.parea[j]] += r.ppop[j];
    double total = 0;
    size_t with_buildings = 0;
    for (size_t i = 0; i < a->n; i++) {
        if (fabs(sum[i] - a->pop[i]) > 1e-9)
            fail_msg("area %s: %.12f distributed, %.12f in input", a->id[i], sum[i], a->pop[i]);
        total += sum[i];
        with_buildings += r.method[i] == PL_DASY_RESIDENTIAL || r.method[i] == PL_DASY_ALL_BUILDINGS;
    }
    assert_true(fabs(total - 118811.0) < 1e-6);
    /* The 121 Södermalm buildings fall in a handful of areas; every other populated area keeps
     * its people at a point. */
    assert_true(with_buildings >= 3);
    size_t in_area = 0;
    for (size_t k = 0; k < b->n; k++)
        in_area += r.area[k] >= 0;
    assert_int_equal(in_area + r.buildings_outside, b->n);
    assert_int_equal(in_area, 121);
    assert_int_equal((long)r.n_points, pl_warn_count(ctx, "population-no-building"));
    free(sum);
    pl_dasy_result_free(&r);
    pl_dasy_buildings_free(ctx, b);
    pl_osm_data_free(ctx, d);
    pl_dasy_areas_free(ctx, a);
    pl_ctx_free(ctx);
}

static void test_load_errors(void **state)
{
    (void)state;
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};
    char spec[4200];
    snprintf(spec, sizeof spec, "%s:stockholm_statistikomraden",
             real_data("swedish-city-districts/swedish_city_districts.gpkg"));
    assert_null(pl_dasy_areas_load(ctx, spec, "no_such_field", NULL, NULL, &err));
    assert_non_null(strstr(err.msg, "--pop-field"));
    /* Points are not areas. */
    snprintf(spec, sizeof spec, "%s", real_data("scb-tatorter-2020/scb_tatorter_2020_points.gpkg"));
    assert_null(pl_dasy_areas_load(ctx, spec, NULL, NULL, NULL, &err));
    assert_int_equal(err.code, PL_EINPUT);
    if (!strstr(err.msg, "polygons"))
        fail_msg("%s", err.msg);
    pl_ctx_free(ctx);
}

int main(void)
{
    GDALAllRegister();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_synthetic),
        cmocka_unit_test(test_stockholm_areas_sodermalm_buildings),
        cmocka_unit_test(test_load_errors),
    };
    return cmocka_run_group_tests_name("population", tests, NULL, NULL);
}
