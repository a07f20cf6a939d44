/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Service areas (platsa access --service-areas) on hand-checkable fixtures: one straight road
 * with one service (the band is a buffered stretch of known length), two roads far apart
 * (the areas must not bridge the gap as a hull would), and residents per band equal to the
 * cells' own band counts; the fast construction (trails, simplification, threads) against a
 * plain reference on a grid, and one thread against two. */
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

/* ---------- the fast construction against a reference one ---------- */

/* A 6 x 6 grid of roads 500 m apart (more than twice the 200 m width, so that a missing or
 * misplaced piece shows), some with a bend in the middle: 30 m (kept by the 20 m
 * simplification), 8 m (removed by it) or none. Node (i, j) at 500000 + 500 i, 6500000 + 500 j. */
#define GRID_N 6
#define GRID_M 500.0
static double bend_of(int k) { return k % 3 == 0 ? 30 : k % 3 == 1 ? 8 : 0; }

/* Edge k of the grid: from node (i0, j0) to (i1, j1), its bend off the straight line. */
typedef struct grid_edge {
    int i0, j0, i1, j1;
    double bend;
} grid_edge;

static int grid_edges(grid_edge *e)
{
    int n = 0;
    for (int i = 0; i < GRID_N; i++)
        for (int j = 0; j < GRID_N; j++) {
            if (i + 1 < GRID_N)
                e[n] = (grid_edge){i, j, i + 1, j, bend_of(n)}, n++;
            if (j + 1 < GRID_N)
                e[n] = (grid_edge){i, j, i, j + 1, (i == 2 && j == 2) ? 0 : bend_of(n)}, n++;
        }
    return n;
}

/* The three points of edge e (the middle one bent sideways). */
static void grid_points(const grid_edge *e, double p[3][2])
{
    p[0][0] = 500000 + GRID_M * e->i0, p[0][1] = 6500000 + GRID_M * e->j0;
    p[2][0] = 500000 + GRID_M * e->i1, p[2][1] = 6500000 + GRID_M * e->j1;
    p[1][0] = (p[0][0] + p[2][0]) / 2 + (e->j0 == e->j1 ? 0 : e->bend);
    p[1][1] = (p[0][1] + p[2][1]) / 2 + (e->j0 == e->j1 ? e->bend : 0);
}

static double grid_len(const grid_edge *e)
{
    double p[3][2];
    grid_points(e, p);
    return hypot(p[1][0] - p[0][0], p[1][1] - p[0][1]) + hypot(p[2][0] - p[1][0], p[2][1] - p[1][1]);
}

static char *grid_roads_json(void)
{
    grid_edge e[2 * GRID_N * GRID_N];
    int n = grid_edges(e);
    char *s = malloc(100000);
    size_t k = (size_t)snprintf(s, 100000, "%s", HDR);
    for (int i = 0; i < n; i++) {
        double p[3][2];
        grid_points(&e[i], p);
        k += (size_t)snprintf(s + k, 100000 - k,
                              "%s{\"type\":\"Feature\",\"properties\":{\"id\":%d,\"highway\":\"tertiary\","
                              "\"maxspeed_kmh\":36,\"oneway\":0},\"geometry\":{\"type\":\"LineString\",\"coordinates\":"
                              "[[%.3f,%.3f],[%.3f,%.3f],[%.3f,%.3f]]}}",
                              i ? "," : "", i + 1, p[0][0], p[0][1], p[1][0], p[1][1], p[2][0], p[2][1]);
    }
    snprintf(s + k, 100000 - k, "]}");
    return s;
}

/* The line of edge e from a to b metres along it (from node 0). */
static GEOSGeometry *grid_piece(GEOSContextHandle_t h, const grid_edge *e, double a, double b)
{
    double p[3][2], l0;
    grid_points(e, p);
    l0 = hypot(p[1][0] - p[0][0], p[1][1] - p[0][1]);
    double l1 = grid_len(e) - l0, xy[8];
    int n = 0;
    double at[2] = {a, b};
    for (int k = 0; k < 2; k++) {
        double x = at[k];
        if (x <= l0)
            xy[2 * n] = p[0][0] + (p[1][0] - p[0][0]) * x / l0, xy[2 * n + 1] = p[0][1] + (p[1][1] - p[0][1]) * x / l0;
        else
            xy[2 * n] = p[1][0] + (p[2][0] - p[1][0]) * (x - l0) / l1,
            xy[2 * n + 1] = p[1][1] + (p[2][1] - p[1][1]) * (x - l0) / l1;
        n++;
        if (k == 0 && a < l0 && b > l0)
            xy[2 * n] = p[1][0], xy[2 * n + 1] = p[1][1], n++;
    }
    GEOSCoordSequence *cs = GEOSCoordSeq_create_r(h, (unsigned)n, 2);
    for (int k = 0; k < n; k++)
        GEOSCoordSeq_setXY_r(h, cs, (unsigned)k, xy[2 * k], xy[2 * k + 1]);
    return GEOSGeom_createLineString_r(h, cs);
}

/* The reference: the land within 200 m of the road reached within T seconds, built the plain
 * way: node times by a Dijkstra of its own (10 m/s; the source on the straight road from node
 * (2,2) to (2,3), 50 m up it, 3 m off: 0.36 s of access at 30 km/h), each reached stretch
 * unsimplified and buffered with 64 segments a quarter circle (0.02 m from a true circle),
 * then one union. */
static GEOSGeometry *grid_reference(GEOSContextHandle_t h, double T)
{
    grid_edge e[2 * GRID_N * GRID_N];
    int n = grid_edges(e), src_edge = -1;
    double t[GRID_N * GRID_N];
    int fixed[GRID_N * GRID_N] = {0};
    for (int v = 0; v < GRID_N * GRID_N; v++)
        t[v] = INFINITY;
    for (int k = 0; k < n; k++)
        if (e[k].i0 == 2 && e[k].j0 == 2 && e[k].i1 == 2 && e[k].j1 == 3)
            src_edge = k;
    assert_true(src_edge >= 0);
    t[2 * GRID_N + 2] = 0.36 + 50 / 10.0;
    t[2 * GRID_N + 3] = 0.36 + (GRID_M - 50) / 10.0;
    for (;;) {
        int u = -1;
        for (int v = 0; v < GRID_N * GRID_N; v++)
            if (!fixed[v] && isfinite(t[v]) && (u < 0 || t[v] < t[u]))
                u = v;
        if (u < 0)
            break;
        fixed[u] = 1;
        for (int k = 0; k < n; k++) {
            int a = e[k].i0 * GRID_N + e[k].j0, b = e[k].i1 * GRID_N + e[k].j1;
            if (a == u && t[u] + grid_len(&e[k]) / 10 < t[b])
                t[b] = t[u] + grid_len(&e[k]) / 10;
            if (b == u && t[u] + grid_len(&e[k]) / 10 < t[a])
                t[a] = t[u] + grid_len(&e[k]) / 10;
        }
    }
    GEOSGeometry *parts[400];
    int np = 0;
    GEOSBufferParams *bp = GEOSBufferParams_create_r(h);
    GEOSBufferParams_setQuadrantSegments_r(h, bp, 64);
    for (int k = 0; k < n; k++) {
        double L = grid_len(&e[k]);
        double ta = t[e[k].i0 * GRID_N + e[k].j0], tb = t[e[k].i1 * GRID_N + e[k].j1];
        double iv[3][2];
        int ni = 0;
        if (ta <= T)
            iv[ni][0] = 0, iv[ni][1] = fmin(L, (T - ta) * 10), ni++;
        if (tb <= T)
            iv[ni][0] = fmax(0, L - (T - tb) * 10), iv[ni][1] = L, ni++;
        if (k == src_edge && T > 0.36)
            iv[ni][0] = fmax(0, 50 - (T - 0.36) * 10), iv[ni][1] = fmin(L, 50 + (T - 0.36) * 10), ni++;
        for (int i = 0; i < ni; i++) {
            GEOSGeometry *l = grid_piece(h, &e[k], iv[i][0], iv[i][1]);
            parts[np++] = GEOSBufferWithParams_r(h, l, bp, 200);
            GEOSGeom_destroy_r(h, l);
        }
    }
    GEOSBufferParams_destroy_r(h, bp);
    GEOSGeometry *all = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, parts, (unsigned)np);
    GEOSGeometry *u = GEOSUnaryUnion_r(h, all);
    GEOSGeom_destroy_r(h, all);
    return u;
}

/* Area of a that lies more than d from b. */
static double area_beyond(GEOSContextHandle_t h, const GEOSGeometry *a, const GEOSGeometry *b, double d)
{
    GEOSGeometry *near = GEOSBuffer_r(h, b, d, 8);
    GEOSGeometry *x = GEOSDifference_r(h, a, near);
    double ar = 0;
    assert_int_equal(GEOSArea_r(h, x, &ar), 1);
    GEOSGeom_destroy_r(h, x);
    GEOSGeom_destroy_r(h, near);
    return ar;
}

/* Service areas on the grid with bands 1, 2, 3, 4 min against the reference. A correct
 * construction may move a boundary by the 20 m simplification (width / 10), the 3.8 m of a
 * chord of GEOS's 4-segment quarter circle (200 (1 - cos 11.25°)) and GEOS's own 2 m
 * smoothing of a buffer's input (1 % of the width): 26 m in all. Checked on the area within
 * each band (the union of the rings up to it): no land of it lies more than 26 m from the
 * reference's, nor the other way round (a Hausdorff distance between the areas, not their
 * outlines, which a hole of a few m² would throw); a missing, doubled or misjoined piece
 * moves land by 200 m or more. Each ring's symmetric difference with the reference ring is at
 * most 26 m times the reference ring's boundary length (measured: about a fifth of that). */
static void test_rings_match_a_reference_construction(void **state)
{
    (void)state;
    fixture f;
    char *roads = grid_roads_json();
    load(&f, "service_areas_reference", roads, HDR POINT("\"id\":\"1\",\"type\":\"fuel\"", 501003, 6501050) "]}",
         HDR POINT("\"id\":\"c\",\"pop\":10", 501000, 6501100) "]}");
    free(roads);
    GEOSContextHandle_t h = f.ctx->geos;
    const double bands[4] = {1, 2, 3, 4};
    pl_access_result *r = NULL;
    pl_service_areas *sa = areas_of(&f, bands, 4, &r);
    GEOSGeometry *ref_before = NULL, *got_cum = NULL;
    for (int b = 0; b < 4; b++) {
        assert_non_null(sa->a[b].geom);
        GEOSGeometry *ref = grid_reference(h, bands[b] * 60);
        GEOSGeometry *ring = ref_before ? GEOSDifference_r(h, ref, ref_before) : GEOSGeom_clone_r(h, ref);
        GEOSGeometry *cum = got_cum ? GEOSUnion_r(h, got_cum, sa->a[b].geom) : GEOSGeom_clone_r(h, sa->a[b].geom);
        double hd = fmax(area_beyond(h, cum, ref, 26), area_beyond(h, ref, cum, 26)), sd = 0, len = 0;
        GEOSGeometry *x = GEOSSymDifference_r(h, sa->a[b].geom, ring);
        assert_int_equal(GEOSArea_r(h, x, &sd), 1);
        assert_int_equal(GEOSLength_r(h, ring, &len), 1);
        GEOSGeom_destroy_r(h, x);
        if (hd > 1 || sd > 26 * len)
            fail_msg("band %d: %.0f m² more than 26 m from the reference or back (at most 1); ring's symmetric "
                     "difference %.0f m² (at most %.0f)",
                     b + 1, hd, sd, 26 * len);
        if (getenv("PLATSA_TEST_VERBOSE"))
            fprintf(stderr, "band %d: %.2f m² beyond 26 m; symmetric difference %.0f m² = %.1f m x boundary, %.2f %%\n",
                    b + 1, hd, sd, sd / len, 100 * sd / area_of(f.ctx, ring));
        if (ref_before)
            GEOSGeom_destroy_r(h, ref_before);
        if (got_cum)
            GEOSGeom_destroy_r(h, got_cum);
        ref_before = ref;
        got_cum = cum;
        GEOSGeom_destroy_r(h, ring);
    }
    GEOSGeom_destroy_r(h, ref_before);
    GEOSGeom_destroy_r(h, got_cum);
    pl_service_areas_free(f.ctx, sa);
    pl_access_result_free(r);
    unload(&f);
}

/* The types run on worker threads: one thread and two give the same rows, byte for byte. */
static void test_same_rows_on_one_and_two_threads(void **state)
{
    (void)state;
    fixture f;
    char *roads = grid_roads_json();
    load(&f, "service_areas_threads", roads,
         HDR POINT("\"id\":\"1\",\"type\":\"fuel\"", 501003, 6501050) "," POINT(
             "\"id\":\"2\",\"type\":\"pharmacy\"", 500003, 6502050) "," POINT("\"id\":\"3\",\"type\":\"cash\"",
                                                                                 502003, 6500250) "]}",
         HDR POINT("\"id\":\"c\",\"pop\":10", 501000, 6501100) "]}");
    free(roads);
    int types[3] = {pl_service_types_find(f.types, "fuel"), pl_service_types_find(f.types, "pharmacy"),
                    pl_service_types_find(f.types, "cash")};
    pl_doubles b = {.n = 3, .v = {1, 2, 4}};
    pl_access_params p = {.types = types, .n_types = 3, .mode = PL_MODE_CAR, .within_km = 5, .max_snap_m = 1000,
                          .bands_min = &b};
    pl_error err = {0};
    pl_access_result *r = NULL;
    assert_int_equal(pl_access_compute(f.ctx, f.pop, f.svc, f.types, f.munis, f.roads, f.graph, &p, &r, &err), PL_OK);
    pl_service_areas *sa[2] = {NULL, NULL};
    const char *old = getenv("PLATSA_THREADS");
    char *saved = old ? strdup(old) : NULL;
    for (int k = 0; k < 2; k++) {
        setenv("PLATSA_THREADS", k ? "2" : "1", 1);
        assert_int_equal(pl_access_service_areas(f.ctx, f.graph, f.roads, f.pop, r, 200, &sa[k], &err), PL_OK);
    }
    if (saved)
        setenv("PLATSA_THREADS", saved, 1);
    else
        unsetenv("PLATSA_THREADS");
    free(saved);
    assert_int_equal(sa[0]->n, 9);
    assert_int_equal(sa[1]->n, 9);
    GEOSWKBWriter *w = GEOSWKBWriter_create_r(f.ctx->geos);
    for (int i = 0; i < 9; i++) {
        assert_non_null(sa[0]->a[i].geom);
        size_t n0 = 0, n1 = 0;
        unsigned char *w0 = GEOSWKBWriter_write_r(f.ctx->geos, w, sa[0]->a[i].geom, &n0);
        unsigned char *w1 = GEOSWKBWriter_write_r(f.ctx->geos, w, sa[1]->a[i].geom, &n1);
        assert_true(n0 == n1 && memcmp(w0, w1, n0) == 0);
        assert_true(sa[0]->a[i].pop == sa[1]->a[i].pop && sa[0]->a[i].road_km == sa[1]->a[i].road_km);
        GEOSFree_r(f.ctx->geos, w0);
        GEOSFree_r(f.ctx->geos, w1);
    }
    GEOSWKBWriter_destroy_r(f.ctx->geos, w);
    pl_service_areas_free(f.ctx, sa[0]);
    pl_service_areas_free(f.ctx, sa[1]);
    pl_access_result_free(r);
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
        cmocka_unit_test(test_rings_match_a_reference_construction),
        cmocka_unit_test(test_same_rows_on_one_and_two_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
