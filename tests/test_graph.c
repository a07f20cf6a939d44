/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Road graph: building, junction rules, snapping, k-nearest search (exact values on tiny
 * graphs) and a property test against a brute-force reference on random graphs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gis/graph.h"
#include "gis/graph_internal.h"
#include "gis/roads.h"
#include "layers/layers.h"
#include "support/testutil.h"

/* ---------- building pl_roads by hand ---------- */

typedef struct tline {
    int n;             /* vertices */
    double xy[16];
    int cls;           /* pl_road_class */
    float speed;
    int oneway;
    int flags;
    int layer;
} tline;

static pl_roads *mk_roads(const tline *L, int n)
{
    pl_roads *r = calloc(1, sizeof *r);
    r->n = (size_t)n;
    r->first_vertex = calloc((size_t)n + 1, sizeof *r->first_vertex);
    size_t nv = 0;
    for (int i = 0; i < n; i++)
        nv += (size_t)L[i].n;
    r->vx = calloc(nv, sizeof *r->vx);
    r->vy = calloc(nv, sizeof *r->vy);
    r->id = calloc((size_t)n, sizeof *r->id);
    r->road_class = calloc((size_t)n, 1);
    r->speed_kmh = calloc((size_t)n, sizeof *r->speed_kmh);
    r->oneway = calloc((size_t)n, 1);
    r->flags = calloc((size_t)n, 1);
    r->layer = calloc((size_t)n, 1);
    r->source = strdup("test");
    size_t v = 0;
    for (int i = 0; i < n; i++) {
        r->first_vertex[i] = v;
        for (int j = 0; j < L[i].n; j++) {
            r->vx[v] = L[i].xy[2 * j];
            r->vy[v] = L[i].xy[2 * j + 1];
            v++;
        }
        r->id[i] = i + 1;
        r->road_class[i] = (uint8_t)L[i].cls;
        r->speed_kmh[i] = L[i].speed;
        r->oneway[i] = (int8_t)L[i].oneway;
        r->flags[i] = (uint8_t)L[i].flags;
        r->layer[i] = (int8_t)L[i].layer;
    }
    r->first_vertex[n] = v;
    return r;
}

static pl_ctx *quiet_ctx(void)
{
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    return ctx;
}

static pl_graph *build(pl_ctx *ctx, const pl_roads *r, pl_mode mode)
{
    pl_graph_opts o;
    pl_graph_opts_default(&o);
    o.mode = mode;
    pl_error err = {0};
    pl_graph *g = pl_graph_build(ctx, r, &o, &err);
    assert_non_null(g);
    return g;
}

static void snap_pts(pl_ctx *ctx, const pl_graph *g, const pl_roads *r, const double *xy, size_t n, pl_snap *out)
{
    double x[64], y[64];
    for (size_t i = 0; i < n; i++) {
        x[i] = xy[2 * i];
        y[i] = xy[2 * i + 1];
    }
    pl_snap_opts so;
    pl_snap_opts_default(&so);
    so.min_component_nodes = 0;
    pl_error err = {0};
    assert_int_equal(pl_graph_snap(ctx, g, r, x, y, n, &so, out, &err), PL_OK);
}

static void nearest(pl_ctx *ctx, const pl_graph *g, const pl_snap *src, uint32_t ns, const pl_snap *tg, size_t nt,
                    pl_metric m, int k, pl_label *out)
{
    pl_search_opts so = {.metric = m, .k = k, .cutoff = INFINITY};
    pl_error err = {0};
    assert_int_equal(pl_graph_nearest_k(ctx, g, src, ns, tg, nt, &so, out, &err), PL_OK);
}

#define R_RES PL_ROAD_RESIDENTIAL

/* ---------- roads.c ---------- */

static void test_road_classes(void **state)
{
    (void)state;
    assert_int_equal(pl_road_class_from_name("motorway"), PL_ROAD_MOTORWAY);
    assert_int_equal(pl_road_class_from_name("motorway_link"), PL_ROAD_MOTORWAY);
    assert_int_equal(pl_road_class_from_name("Trunk_Link"), PL_ROAD_TRUNK);
    assert_int_equal(pl_road_class_from_name("tertiary_link"), PL_ROAD_TERTIARY);
    assert_int_equal(pl_road_class_from_name("living_street"), PL_ROAD_LIVING_STREET);
    assert_int_equal(pl_road_class_from_name("ferry"), PL_ROAD_FERRY);
    assert_int_equal(pl_road_class_from_name("bridleway"), PL_ROAD_PATH);
    assert_int_equal(pl_road_class_from_name("road"), PL_ROAD_OTHER);
    assert_int_equal(pl_road_class_from_name(NULL), PL_ROAD_OTHER);
    for (int c = 0; c < PL_ROAD_N_CLASSES; c++)
        assert_int_equal(pl_road_class_from_name(pl_road_class_name((pl_road_class)c)), c);
    assert_true(pl_road_default_speed_kmh(PL_ROAD_MOTORWAY) == 110);
    assert_true(pl_road_default_speed_kmh(PL_ROAD_TRUNK) == 90);
    assert_true(pl_road_default_speed_kmh(PL_ROAD_PRIMARY) == 80);
    assert_true(pl_road_default_speed_kmh(PL_ROAD_SECONDARY) == 70);
    assert_true(pl_road_default_speed_kmh(PL_ROAD_TERTIARY) == 60);
    assert_true(pl_road_default_speed_kmh(PL_ROAD_UNCLASSIFIED) == 50);
    assert_true(pl_road_default_speed_kmh(PL_ROAD_RESIDENTIAL) == 40);
    assert_true(pl_road_default_speed_kmh(PL_ROAD_SERVICE) == 20);
    assert_true(pl_road_default_speed_kmh(PL_ROAD_LIVING_STREET) == 7);
    assert_true(pl_road_default_speed_kmh(PL_ROAD_TRACK) == 20);
    pl_mode m;
    assert_int_equal(pl_mode_from_name("bike", &m), PL_OK);
    assert_int_equal(m, PL_MODE_BIKE);
    assert_int_equal(pl_mode_from_name("boat", &m), PL_EINPUT);
    assert_string_equal(pl_mode_name(PL_MODE_WALK), "walk");
}

/* ---------- tiny graphs ---------- */

/* A line of two roads, 3 nodes: (0,0)-(100,0) and (100,0)-(300,0), residential 40 km/h. */
static void test_three_node_line(void **state)
{
    (void)state;
    pl_ctx *ctx = quiet_ctx();
    tline L[] = {{2, {0, 0, 100, 0}, R_RES, 0, 0, 0, 0}, {2, {100, 0, 300, 0}, R_RES, 0, 0, 0, 0}};
    pl_roads *r = mk_roads(L, 2);
    pl_graph *g = build(ctx, r, PL_MODE_CAR);
    assert_int_equal(g->n_nodes, 3);
    assert_int_equal(g->n_edges, 2);
    assert_int_equal(g->n_arcs, 4);
    assert_int_equal(g->n_components, 1);
    assert_int_equal(g->component_nodes[0], 3);
    /* Edge times at 40 km/h: 100 m = 9 s, 200 m = 18 s. */
    for (uint32_t e = 0; e < g->n_edges; e++)
        assert_true(g->edge_time_s[e] == g->edge_len_m[e] * 0.09f);

    double pts[] = {250, 0, 20, 30};
    pl_snap s[2];
    snap_pts(ctx, g, r, pts, 2, s);
    assert_int_equal(s[0].status, PL_SNAP_OK);
    assert_true(s[0].access_m == 0);
    assert_true(s[1].access_m == 30);
    assert_true(fabs(s[1].access_s - 3.6) < 1e-6); /* 30 m at 30 km/h */
    assert_true(s[1].a_len_m + s[1].b_len_m == 100);

    pl_label lab[1];
    nearest(ctx, g, &s[0], 1, &s[1], 1, PL_METRIC_DISTANCE, 1, lab);
    assert_int_equal(lab[0].source, 0);
    assert_true(lab[0].dist_m == 260.0); /* 30 access + 80 + 150 */
    assert_true(fabs(lab[0].time_s - (3.6 + 7.2 + 13.5)) < 1e-5);

    nearest(ctx, g, &s[0], 1, &s[1], 1, PL_METRIC_TIME, 1, lab);
    assert_int_equal(lab[0].source, 0);
    assert_true(lab[0].dist_m == 260.0);
    assert_true(fabs(lab[0].time_s - 24.3) < 1e-5);

    pl_label one;
    pl_error err = {0};
    assert_int_equal(pl_graph_one_to_many(ctx, g, &s[1], &s[0], 1, PL_METRIC_DISTANCE, &one, &err), PL_OK);
    assert_true(one.dist_m == 260.0);
    pl_graph_free(g);
    pl_roads_free(r);
    pl_ctx_free(ctx);
}

/* One-way street (0,0)->(100,0) and a two-way detour back of 200 m. */
static void test_one_way(void **state)
{
    (void)state;
    pl_ctx *ctx = quiet_ctx();
    tline L[] = {{2, {0, 0, 100, 0}, R_RES, 36, 1, 0, 0},
                 {4, {100, 0, 100, 50, 0, 50, 0, 0}, R_RES, 36, 0, 0, 0}};
    pl_roads *r = mk_roads(L, 2);
    pl_graph *g = build(ctx, r, PL_MODE_CAR);
    assert_int_equal(g->n_nodes, 2);
    assert_int_equal(g->n_edges, 2);
    assert_int_equal(g->n_arcs, 3);
    double pts[] = {10, 0, 90, 0};
    pl_snap s[2];
    snap_pts(ctx, g, r, pts, 2, s);
    assert_int_equal(s[0].edge, s[1].edge);
    assert_true(s[0].to_b && !s[0].to_a && s[0].from_a && !s[0].from_b);
    pl_label lab;
    /* From P (10,0) to Q (90,0): along the one-way, 80 m (same edge). */
    nearest(ctx, g, &s[1], 1, &s[0], 1, PL_METRIC_DISTANCE, 1, &lab);
    assert_true(lab.dist_m == 80.0);
    assert_true(fabs(lab.time_s - 8.0) < 1e-5); /* 36 km/h = 10 m/s */
    /* From Q back to P: 10 + 200 + 10. */
    nearest(ctx, g, &s[0], 1, &s[1], 1, PL_METRIC_DISTANCE, 1, &lab);
    assert_true(lab.dist_m == 220.0);
    assert_true(fabs(lab.time_s - 22.0) < 1e-5);
    pl_label one;
    pl_error err = {0};
    pl_graph_one_to_many(ctx, g, &s[0], &s[1], 1, PL_METRIC_DISTANCE, &one, &err);
    assert_true(one.dist_m == 80.0);
    pl_graph_one_to_many(ctx, g, &s[1], &s[0], 1, PL_METRIC_DISTANCE, &one, &err);
    assert_true(one.dist_m == 220.0);
    /* Walking ignores the one-way. */
    pl_graph *gw = build(ctx, r, PL_MODE_WALK);
    assert_int_equal(gw->n_arcs, 4);
    snap_pts(ctx, gw, r, pts, 2, s);
    nearest(ctx, gw, &s[0], 1, &s[1], 1, PL_METRIC_DISTANCE, 1, &lab);
    assert_true(lab.dist_m == 80.0);
    assert_true(fabs(lab.time_s - 80 * 3.6 / 5) < 1e-4);
    /* Cycling respects it, unless oneway:bicycle=no. */
    pl_graph *gb = build(ctx, r, PL_MODE_BIKE);
    assert_int_equal(gb->n_arcs, 3);
    pl_graph_free(gb);
    r->flags[0] |= PL_ROAD_BIKE_BOTH_WAYS;
    gb = build(ctx, r, PL_MODE_BIKE);
    assert_int_equal(gb->n_arcs, 4);
    pl_graph_free(gb);
    pl_graph_free(gw);
    pl_graph_free(g);
    pl_roads_free(r);
    pl_ctx_free(ctx);
}

/* A tunnel right under the point is not snapped to; the surface street is. */
static void test_tunnel_not_snapped(void **state)
{
    (void)state;
    pl_ctx *ctx = quiet_ctx();
    tline L[] = {{2, {0, 0, 100, 0}, R_RES, 0, 0, PL_ROAD_TUNNEL, 0},
                 {2, {0, 50, 100, 50}, R_RES, 0, 0, 0, 0},
                 {2, {0, 0, 0, 50}, R_RES, 0, 0, 0, 0},
                 {2, {100, 0, 100, 50}, R_RES, 0, 0, 0, 0},
                 {2, {20, 25, 80, 25}, R_RES, 0, 0, 0, -1}};
    pl_roads *r = mk_roads(L, 5);
    pl_graph *g = build(ctx, r, PL_MODE_CAR);
    double pts[] = {50, 5, 50, 22};
    pl_snap s[2];
    snap_pts(ctx, g, r, pts, 2, s);
    assert_int_equal(s[0].road, 1);
    assert_true(s[0].access_m == 45);
    /* The layer -1 road is not snapped to either. */
    assert_int_equal(s[1].road, 1);
    assert_true(s[1].access_m == 28);
    pl_graph_free(g);
    pl_roads_free(r);
    pl_ctx_free(ctx);
}

/* Attachment by mode (issue #17): a home 24 m from a one-way motorway and 25 m from a
 * residential street attaches to the street by car; so it does beside a motortrafikled
 * (trunk closed to pedestrians and cyclists). An ordinary trunk road takes it, and walk
 * attaches to any road open to walking (foot=no closes one). */
static int attached_road(pl_ctx *ctx, int near_cls, int near_flags, int near_oneway, pl_mode mode)
{
    tline L[] = {{2, {0, 0, 200, 0}, near_cls, 0, near_oneway, near_flags, 0},
                 {2, {0, 49, 200, 49}, R_RES, 0, 0, 0, 0}};
    pl_roads *r = mk_roads(L, 2);
    pl_graph *g = build(ctx, r, mode);
    double pts[] = {100, 24};
    pl_snap s;
    snap_pts(ctx, g, r, pts, 1, &s);
    int road = (int)s.road;
    if (road == 1)
        assert_true(fabs(s.access_m - 25) < 1e-4);
    else
        assert_true(fabs(s.access_m - 24) < 1e-4);
    pl_graph_free(g);
    pl_roads_free(r);
    return road;
}

static void test_attachable_by_mode(void **state)
{
    (void)state;
    pl_ctx *ctx = quiet_ctx();
    const int motorroad = PL_ROAD_NO_BIKE | PL_ROAD_NO_FOOT;
    assert_int_equal(attached_road(ctx, PL_ROAD_MOTORWAY, 0, 1, PL_MODE_CAR), 1);
    assert_int_equal(attached_road(ctx, PL_ROAD_MOTORWAY, 0, 0, PL_MODE_CAR), 1);
    assert_int_equal(attached_road(ctx, PL_ROAD_TRUNK, motorroad, 1, PL_MODE_CAR), 1);
    assert_int_equal(attached_road(ctx, PL_ROAD_TRUNK, 0, 0, PL_MODE_CAR), 0);
    assert_int_equal(attached_road(ctx, PL_ROAD_PRIMARY, PL_ROAD_NO_BIKE, 0, PL_MODE_CAR), 0);
    assert_int_equal(attached_road(ctx, PL_ROAD_TRUNK, 0, 0, PL_MODE_WALK), 0);
    assert_int_equal(attached_road(ctx, PL_ROAD_TRUNK, PL_ROAD_NO_FOOT, 0, PL_MODE_WALK), 1);
    assert_int_equal(attached_road(ctx, PL_ROAD_MOTORWAY, 0, 0, PL_MODE_WALK), 1);
    assert_int_equal(attached_road(ctx, PL_ROAD_TRUNK, 0, 0, PL_MODE_BIKE), 0);
    assert_int_equal(attached_road(ctx, PL_ROAD_TRUNK, motorroad, 0, PL_MODE_BIKE), 1);
    /* The rule itself, road by road. */
    tline L[] = {{2, {0, 0, 1, 0}, PL_ROAD_MOTORWAY, 0, 0, 0, 0},
                 {2, {0, 0, 1, 0}, PL_ROAD_TRUNK, 0, 0, motorroad, 0},
                 {2, {0, 0, 1, 0}, PL_ROAD_TRUNK, 0, 0, 0, 0},
                 {2, {0, 0, 1, 0}, PL_ROAD_RESIDENTIAL, 0, 0, PL_ROAD_NO_FOOT, 0}};
    pl_roads *r = mk_roads(L, 4);
    const int car[] = {0, 0, 1, 1}, walk[] = {0, 0, 1, 0}, bike[] = {0, 0, 1, 1};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(pl_road_attachable(r, i, PL_MODE_CAR), car[i]);
        assert_int_equal(pl_road_attachable(r, i, PL_MODE_WALK), walk[i]);
        assert_int_equal(pl_road_attachable(r, i, PL_MODE_BIKE), bike[i]);
    }
    pl_roads_free(r);
    pl_ctx_free(ctx);
}

/* Two lines sharing an interior vertex: a junction, unless one is a bridge or on
 * another layer; a street ending on another's interior vertex always joins it. */
/* Two lines sharing an interior vertex: a junction, unless on another layer; a street
 * ending on another's interior vertex always joins it. */
static void test_junction_rules(void **state)
{
    (void)state;
    pl_ctx *ctx = quiet_ctx();
    tline L[] = {{3, {0, 0, 100, 0, 200, 0}, R_RES, 0, 0, 0, 0}, {3, {100, -100, 100, 0, 100, 100}, R_RES, 0, 0, 0, 0}};
    pl_roads *r = mk_roads(L, 2);
    pl_graph *g = build(ctx, r, PL_MODE_CAR);
    assert_int_equal(g->n_nodes, 5);
    assert_int_equal(g->n_edges, 4);
    assert_int_equal(g->n_components, 1);
    pl_graph_free(g);

    /* A bridge on the street's layer through its vertex shares an OSM node with it: joined
     * (was not joined before the junction table; a bridge over a street is on another layer). */
    r->flags[1] = PL_ROAD_BRIDGE;
    g = build(ctx, r, PL_MODE_CAR);
    assert_int_equal(g->n_nodes, 5);
    assert_int_equal(g->n_edges, 4);
    assert_int_equal(g->n_components, 1);
    pl_graph_free(g);
    r->flags[1] = 0;

    r->flags[1] = 0;
    r->layer[1] = 1;
    g = build(ctx, r, PL_MODE_CAR);
    assert_int_equal(g->n_nodes, 4);
    assert_int_equal(g->n_components, 2);
    pl_graph_free(g);

    /* Without node_intersections, only endpoints make nodes. */
    r->layer[1] = 0;
    pl_graph_opts o;
    pl_graph_opts_default(&o);
    o.node_intersections = 0;
    pl_error err = {0};
    g = pl_graph_build(ctx, r, &o, &err);
    assert_int_equal(g->n_nodes, 4);
    pl_graph_free(g);
    pl_roads_free(r);

    /* T-junction: a bridge ending on a street's interior vertex joins it; a street
     * ending on a bridge's interior vertex (below it) does not. */
    tline T[] = {{3, {0, 0, 100, 0, 200, 0}, R_RES, 0, 0, 0, 0}, {2, {100, 100, 100, 0}, R_RES, 0, 0, PL_ROAD_BRIDGE, 1}};
    r = mk_roads(T, 2);
    g = build(ctx, r, PL_MODE_CAR);
    assert_int_equal(g->n_nodes, 4);
    assert_int_equal(g->n_edges, 3);
    assert_int_equal(g->n_components, 1);
    pl_graph_free(g);
    r->flags[0] = PL_ROAD_BRIDGE;
    r->layer[0] = 1;
    r->flags[1] = 0;
    r->layer[1] = 0;
    g = build(ctx, r, PL_MODE_CAR);
    assert_int_equal(g->n_nodes, 4);
    assert_int_equal(g->n_edges, 2);
    assert_int_equal(g->n_components, 2);
    pl_graph_free(g);
    pl_roads_free(r);

    /* Endpoints closer than the tolerance (0.5 m) are one node; farther apart, two. */
    tline E[] = {{2, {0, 0, 100, 0}, R_RES, 0, 0, 0, 0}, {2, {100.3, 0.2, 200, 0}, R_RES, 0, 0, 0, 0},
                 {2, {200.6, 0, 300, 0}, R_RES, 0, 0, 0, 0}};
    r = mk_roads(E, 3);
    g = build(ctx, r, PL_MODE_CAR);
    assert_int_equal(g->n_nodes, 5);
    assert_int_equal(g->n_components, 2);
    assert_int_equal(g->component_nodes[0], 3);
    assert_int_equal(g->component_nodes[1], 2);
    pl_graph_free(g);
    pl_roads_free(r);
    pl_ctx_free(ctx);
}

/* ---------- the junction table (graph.h), one test per row ---------- */

/* A crossing: two 3-vertex lines through (100, 0), A along x, B along y; or, with b_ends,
 * B a 2-vertex line ending at (100, 0) (a T); or, with both_end, A ending there too. */
static int joined(int a_flags, int a_layer, int b_flags, int b_layer, int shape)
{
    tline X[] = {{3, {0, 0, 100, 0, 200, 0}, PL_ROAD_FOOTWAY, 0, 0, a_flags, a_layer},
                 {3, {100, -100, 100, 0, 100, 100}, PL_ROAD_FOOTWAY, 0, 0, b_flags, b_layer}};
    if (shape >= 1) { /* B ends at A's middle vertex */
        X[1].n = 2;
        X[1].xy[0] = 100, X[1].xy[1] = 100, X[1].xy[2] = 100, X[1].xy[3] = 0;
    }
    if (shape == 2) { /* A ends there too */
        X[0].n = 2;
        X[0].xy[2] = 100, X[0].xy[3] = 0;
    }
    pl_ctx *ctx = quiet_ctx();
    pl_roads *r = mk_roads(X, 2);
    pl_graph *g = build(ctx, r, PL_MODE_WALK);
    int one = g->n_components == 1;
    pl_graph_free(g);
    pl_roads_free(r);
    pl_ctx_free(ctx);
    return one;
}

enum { CROSS = 0, T_END = 1, END_END = 2 };
#define BR PL_ROAD_BRIDGE
#define TU PL_ROAD_TUNNEL

/* END - END, any tags, any layers: joined (ways meet at a shared end node). */
static void test_junction_end_end(void **state)
{
    (void)state;
    assert_true(joined(0, 0, 0, 0, END_END));
    assert_true(joined(0, 0, BR, 1, END_END));   /* a bridge ends on the ground */
    assert_true(joined(TU, -1, 0, 0, END_END));  /* a tunnel mouth */
    assert_true(joined(TU, -1, BR, 1, END_END));
}

/* END of B on an INTERIOR vertex of street A, same layer: a T-junction. */
static void test_junction_end_street_same_layer(void **state)
{
    (void)state;
    assert_true(joined(0, 0, 0, 0, T_END));
    assert_true(joined(0, 1, BR, 1, T_END));
}

/* END of B on an INTERIOR vertex of street A, other layer: joined (a bridge, tunnel or ramp
 * ending on a street). */
static void test_junction_end_street_other_layer(void **state)
{
    (void)state;
    assert_true(joined(0, 0, BR, 1, T_END));
    assert_true(joined(0, 0, TU, -1, T_END));
    assert_true(joined(0, 0, 0, 1, T_END));
}

/* END of B on an INTERIOR vertex of a bridge/tunnel A on B's layer: joined (a tunnel way
 * ending on another tunnel; a ramp ending on a viaduct of its layer). */
static void test_junction_end_structure_same_layer(void **state)
{
    (void)state;
    assert_true(joined(TU, -1, TU, -1, T_END));
    assert_true(joined(TU, -1, 0, -1, T_END));
    assert_true(joined(BR, 1, 0, 1, T_END));
}

/* END of B on an INTERIOR vertex of a bridge/tunnel A on another layer: not joined (a street
 * ending under a bridge or above a tunnel). */
static void test_junction_end_structure_other_layer(void **state)
{
    (void)state;
    assert_false(joined(BR, 1, 0, 0, T_END));
    assert_false(joined(TU, -1, 0, 0, T_END));
    assert_false(joined(TU, -1, TU, -2, T_END));
}

/* INTERIOR - INTERIOR on one layer: joined, streets, bridges and tunnels alike (the
 * pedestrian tunnel network: two tunnels at -1 sharing a node). */
static void test_junction_interior_same_layer(void **state)
{
    (void)state;
    assert_true(joined(0, 0, 0, 0, CROSS));
    assert_true(joined(TU, -1, TU, -1, CROSS));
    assert_true(joined(BR, 1, BR, 1, CROSS));
    assert_true(joined(TU, -1, 0, -1, CROSS));
    assert_true(joined(BR, 0, 0, 0, CROSS));
}

/* INTERIOR - INTERIOR on different layers: not joined (a bridge over a street drawn through
 * one of its vertices). */
static void test_junction_interior_other_layer(void **state)
{
    (void)state;
    assert_false(joined(BR, 1, 0, 0, CROSS));
    assert_false(joined(TU, -1, 0, 0, CROSS));
    assert_false(joined(0, 1, 0, 0, CROSS));
    assert_false(joined(TU, -1, BR, 1, CROSS));
}

/* Two junctions stacked at one position (two tunnels crossing at -1 under two streets
 * crossing at 0, all through the same point) are two nodes, not one. */
static void test_junction_stacked(void **state)
{
    (void)state;
    pl_ctx *ctx = quiet_ctx();
    tline X[] = {{3, {0, 0, 100, 0, 200, 0}, PL_ROAD_FOOTWAY, 0, 0, 0, 0},
                 {3, {100, -100, 100, 0, 100, 100}, PL_ROAD_FOOTWAY, 0, 0, 0, 0},
                 {3, {0, -100, 100, 0, 200, 100}, PL_ROAD_FOOTWAY, 0, 0, TU, -1},
                 {3, {0, 100, 100, 0, 200, -100}, PL_ROAD_FOOTWAY, 0, 0, TU, -1}};
    pl_roads *r = mk_roads(X, 4);
    pl_graph *g = build(ctx, r, PL_MODE_WALK);
    assert_int_equal(g->n_nodes, 10);
    assert_int_equal(g->n_edges, 8);
    assert_int_equal(g->n_components, 2);
    assert_int_equal(g->component_nodes[0], 5);
    pl_graph_free(g);
    pl_roads_free(r);
    pl_ctx_free(ctx);
}

/* ---------- roads that carry topology (source/target ids) ---------- */

static void set_ids(pl_roads *r, const int64_t *src, const int64_t *dst)
{
    r->node_source = malloc(r->n * sizeof *r->node_source);
    r->node_target = malloc(r->n * sizeof *r->node_target);
    memcpy(r->node_source, src, r->n * sizeof *src);
    memcpy(r->node_target, dst, r->n * sizeof *dst);
}

/* Ends join exactly where ids are equal: never by position (ends at one place with other
 * ids stay apart, ends 50 m apart with one id join), never at interior vertices. */
static void test_topology_ids(void **state)
{
    (void)state;
    pl_ctx *ctx = quiet_ctx();
    /* A crossing of two streets at a shared interior vertex, and C from A's end. */
    tline X[] = {{3, {0, 0, 100, 0, 200, 0}, R_RES, 0, 0, 0, 0},
                 {3, {100, -100, 100, 0, 100, 100}, R_RES, 0, 0, 0, 0},
                 {2, {200, 0, 300, 0}, R_RES, 0, 0, 0, 0},
                 {2, {350, 0, 400, 0}, R_RES, 0, 0, 0, 0}};
    pl_roads *r = mk_roads(X, 4);
    pl_graph *g = build(ctx, r, PL_MODE_CAR); /* by positions: A, B, C one piece, D alone */
    assert_int_equal(g->n_components, 2);
    pl_graph_free(g);
    /* C starts where A ends but has another id; D starts 50 m from C's end with its id. */
    const int64_t src[] = {1, 3, 5, 7}, dst[] = {2, 4, 6, 6};
    set_ids(r, src, dst);
    g = build(ctx, r, PL_MODE_CAR);
    assert_int_equal(g->n_nodes, 7);
    assert_int_equal(g->n_edges, 4);
    assert_int_equal(g->n_components, 3); /* A; B; C + D */
    pl_graph_free(g);
    /* A's end takes C's start id: now they join (id 2 at both). */
    r->node_source[2] = 2;
    g = build(ctx, r, PL_MODE_CAR);
    assert_int_equal(g->n_nodes, 6);
    assert_int_equal(g->n_components, 2);
    pl_graph_free(g);
    /* A loop: one id at both ends, one node. */
    r->node_source[1] = 4;
    g = build(ctx, r, PL_MODE_CAR);
    assert_int_equal(g->n_nodes, 5);
    pl_graph_free(g);
    pl_roads_free(r);
    pl_ctx_free(ctx);
}

/* Footways are not in the car graph; motorways are not in the walk graph. */
static void test_modes(void **state)
{
    (void)state;
    pl_ctx *ctx = quiet_ctx();
    tline L[] = {{2, {0, 0, 100, 0}, PL_ROAD_FOOTWAY, 0, 0, 0, 0},
                 {2, {100, 0, 200, 0}, PL_ROAD_MOTORWAY, 0, 0, 0, 0},
                 {2, {200, 0, 300, 0}, PL_ROAD_FERRY, 0, 0, PL_ROAD_IS_FERRY, 0},
                 {2, {300, 0, 400, 0}, R_RES, 0, 0, PL_ROAD_NO_CAR, 0}};
    pl_roads *r = mk_roads(L, 4);
    pl_graph *g = build(ctx, r, PL_MODE_CAR);
    assert_int_equal(g->n_edges, 2);
    /* Motorway 100 m at 110 km/h, ferry 100 m at 20 km/h. */
    for (uint32_t e = 0; e < g->n_edges; e++) {
        if (g->edge_road[e] == 1)
            assert_true(fabsf(g->edge_time_s[e] - 100 * 3.6f / 110) < 1e-4f);
        else
            assert_true(fabsf(g->edge_time_s[e] - 18.0f) < 1e-4f);
    }
    pl_graph_free(g);
    g = build(ctx, r, PL_MODE_WALK);
    assert_int_equal(g->n_edges, 3);
    pl_graph_free(g);
    g = build(ctx, r, PL_MODE_BIKE);
    assert_int_equal(g->n_edges, 3);
    pl_graph_free(g);
    pl_roads_free(r);
    pl_ctx_free(ctx);
}

/* Two components: the target on the island cannot reach the source. */
static void test_island_unreachable(void **state)
{
    (void)state;
    pl_ctx *ctx = quiet_ctx();
    tline L[] = {{2, {0, 0, 100, 0}, R_RES, 0, 0, 0, 0}, {2, {100, 0, 200, 0}, R_RES, 0, 0, 0, 0},
                 {2, {1000, 0, 1100, 0}, R_RES, 0, 0, 0, 0}};
    pl_roads *r = mk_roads(L, 3);
    pl_graph *g = build(ctx, r, PL_MODE_CAR);
    assert_int_equal(g->n_components, 2);
    assert_int_equal(g->component_nodes[0], 3);
    assert_int_equal(g->component_nodes[1], 2);
    double pts[] = {50, 0, 1050, 0};
    pl_snap s[2];
    snap_pts(ctx, g, r, pts, 2, s);
    pl_label lab[2];
    nearest(ctx, g, &s[0], 1, &s[1], 1, PL_METRIC_DISTANCE, 2, lab);
    assert_int_equal(lab[0].source, UINT32_MAX);
    assert_true(isinf(lab[0].dist_m) && isinf(lab[0].time_s));
    assert_int_equal(lab[1].source, UINT32_MAX);

    /* With min_component_nodes 3, a point nearer the island snaps to the main line
     * when that is within max_snap_m, and to the island when it is not. */
    double x[2] = {650, 900}, y[2] = {0, 0};
    pl_snap_opts so;
    pl_snap_opts_default(&so);
    so.min_component_nodes = 3;
    so.max_snap_m = 450;
    pl_error err = {0};
    pl_graph_snap(ctx, g, r, x, y, 2, &so, s, &err);
    assert_int_equal(s[0].road, 1);
    assert_true(s[0].access_m == 450);
    assert_int_equal(s[1].road, 2);
    assert_int_equal(s[1].status, PL_SNAP_OK);
    so.max_snap_m = 50;
    pl_graph_snap(ctx, g, r, x, y, 2, &so, s, &err);
    assert_int_equal(s[1].status, PL_SNAP_TOO_FAR);
    assert_int_equal(s[1].road, 2);
    pl_graph_free(g);
    pl_roads_free(r);
    pl_ctx_free(ctx);
}

/* One straight two-way road, 0..1000 m, sources and targets on the same edge:
 * k = 2 and 3 give distinct sources in order; ties go to the lower source index. */
static void test_same_edge_k_and_ties(void **state)
{
    (void)state;
    pl_ctx *ctx = quiet_ctx();
    tline L[] = {{2, {0, 0, 1000, 0}, R_RES, 36, 0, 0, 0}};
    pl_roads *r = mk_roads(L, 1);
    pl_graph *g = build(ctx, r, PL_MODE_CAR);
    double spts[] = {100, 0, 400, 0, 900, 0, 700, 0};
    double tpts[] = {300, 0, 500, 0};
    pl_snap s[4], t[2];
    snap_pts(ctx, g, r, spts, 4, s);
    snap_pts(ctx, g, r, tpts, 2, t);
    pl_label lab[6];
    nearest(ctx, g, s, 3, t, 1, PL_METRIC_DISTANCE, 3, lab);
    assert_int_equal(lab[0].source, 1);
    assert_true(lab[0].dist_m == 100);
    assert_int_equal(lab[1].source, 0);
    assert_true(lab[1].dist_m == 200);
    assert_int_equal(lab[2].source, 2);
    assert_true(lab[2].dist_m == 600);
    assert_true(fabs(lab[2].time_s - 60) < 1e-4);
    /* k = 2 keeps the two nearest. */
    nearest(ctx, g, s, 3, t, 1, PL_METRIC_DISTANCE, 2, lab);
    assert_int_equal(lab[0].source, 1);
    assert_int_equal(lab[1].source, 0);
    /* Target at 500: sources at 700 (index 3) and 300 would tie; with sources
     * {700, 300} as 0 and 1, the tie goes to index 0. */
    pl_snap tie[2] = {s[3], s[1]};
    tie[1].a_len_m = 300;
    tie[1].b_len_m = 700;
    tie[1].a_time_s = 30;
    tie[1].b_time_s = 70;
    nearest(ctx, g, tie, 2, &t[1], 1, PL_METRIC_DISTANCE, 1, lab);
    assert_int_equal(lab[0].source, 0);
    assert_true(lab[0].dist_m == 200);
    pl_snap tie2[2] = {tie[1], tie[0]};
    nearest(ctx, g, tie2, 2, &t[1], 1, PL_METRIC_DISTANCE, 2, lab);
    assert_int_equal(lab[0].source, 0);
    assert_int_equal(lab[1].source, 1);
    assert_true(lab[0].dist_m == 200 && lab[1].dist_m == 200);
    /* Only two sources: the third label is empty. */
    nearest(ctx, g, tie2, 2, &t[1], 1, PL_METRIC_DISTANCE, 3, lab);
    assert_int_equal(lab[2].source, UINT32_MAX);
    assert_true(isinf(lab[2].dist_m));
    /* A source far beyond the search's bucket window (a 5,000 km access leg) still
     * counts, after the nearer ones. */
    pl_snap far[2] = {tie2[0], tie2[1]};
    far[0].access_m = 5e6f;
    nearest(ctx, g, far, 2, &t[1], 1, PL_METRIC_DISTANCE, 2, lab);
    assert_int_equal(lab[0].source, 1);
    assert_true(lab[0].dist_m == 200);
    assert_int_equal(lab[1].source, 0);
    assert_true(lab[1].dist_m == 5e6 + 200);
    far[1].access_m = 4e6f; /* both far: the search starts at the nearest seed */
    nearest(ctx, g, far, 2, &t[1], 1, PL_METRIC_DISTANCE, 2, lab);
    assert_int_equal(lab[0].source, 1);
    assert_true(lab[0].dist_m == 4e6 + 200);
    assert_true(lab[1].dist_m == 5e6 + 200);
    /* Cutoff: nothing within 150 m. */
    pl_search_opts so = {.metric = PL_METRIC_DISTANCE, .k = 1, .cutoff = 150};
    pl_error err = {0};
    pl_graph_nearest_k(ctx, g, tie2, 2, &t[1], 1, &so, lab, &err);
    assert_int_equal(lab[0].source, UINT32_MAX);
    pl_graph_free(g);
    pl_roads_free(r);
    pl_ctx_free(ctx);
}

/* k labels through the network: a ring of 4 roads; every source reachable both ways
 * is still listed once. */
static void test_distinct_through_nodes(void **state)
{
    (void)state;
    pl_ctx *ctx = quiet_ctx();
    tline L[] = {{2, {0, 0, 100, 0}, R_RES, 0, 0, 0, 0}, {2, {100, 0, 100, 100}, R_RES, 0, 0, 0, 0},
                 {2, {100, 100, 0, 100}, R_RES, 0, 0, 0, 0}, {2, {0, 100, 0, 0}, R_RES, 0, 0, 0, 0}};
    pl_roads *r = mk_roads(L, 4);
    pl_graph *g = build(ctx, r, PL_MODE_CAR);
    assert_int_equal(g->n_nodes, 4);
    double spts[] = {100, 30, 50, 100};
    double tpts[] = {10, 0};
    pl_snap s[2], t[1];
    snap_pts(ctx, g, r, spts, 2, s);
    snap_pts(ctx, g, r, tpts, 1, t);
    pl_label lab[3];
    nearest(ctx, g, s, 2, t, 1, PL_METRIC_DISTANCE, 3, lab);
    assert_int_equal(lab[0].source, 0);
    assert_true(lab[0].dist_m == 120);
    assert_int_equal(lab[1].source, 1);
    assert_true(lab[1].dist_m == 160);
    assert_int_equal(lab[2].source, UINT32_MAX);
    pl_graph_free(g);
    pl_roads_free(r);
    pl_ctx_free(ctx);
}

static void test_cache(void **state)
{
    (void)state;
    pl_ctx *ctx = quiet_ctx();
    tline L[] = {{3, {0, 0, 100, 0, 200, 0}, R_RES, 0, 0, 0, 0}, {3, {100, -100, 100, 0, 100, 100}, R_RES, 0, 1, 0, 0}};
    pl_roads *r = mk_roads(L, 2);
    if (system("mkdir -p build/test-tmp") != 0)
        fail_msg("cannot make build/test-tmp");
    const char *path = "build/test-tmp/graph.cache";
    remove(path);
    pl_graph_opts o;
    pl_graph_opts_default(&o);
    o.cache_path = path;
    pl_error err = {0};
    pl_graph *g1 = pl_graph_build(ctx, r, &o, &err);
    assert_int_equal(g1->from_cache, 0);
    pl_graph *g2 = pl_graph_build(ctx, r, &o, &err);
    assert_int_equal(g2->from_cache, 1);
    assert_int_equal(g2->n_nodes, g1->n_nodes);
    assert_int_equal(g2->n_arcs, g1->n_arcs);
    assert_memory_equal(g2->arc_head, g1->arc_head, g1->n_arcs * sizeof(uint32_t));
    assert_memory_equal(g2->in_arc, g1->in_arc, g1->n_arcs * sizeof(pl_rev_arc));
    assert_memory_equal(g2->node_x, g1->node_x, g1->n_nodes * sizeof(double));
    assert_memory_equal(g2->edge_v1, g1->edge_v1, g1->n_edges * sizeof(uint32_t));
    /* A changed road invalidates it. */
    r->vx[0] = -10;
    pl_graph *g3 = pl_graph_build(ctx, r, &o, &err);
    assert_int_equal(g3->from_cache, 0);
    /* Another mode too. */
    o.mode = PL_MODE_WALK;
    pl_graph *g4 = pl_graph_build(ctx, r, &o, &err);
    assert_int_equal(g4->from_cache, 0);
    /* Topology ids make another key (joined by ids, not positions), and so do other ids. */
    const int64_t src[] = {1, 3}, dst[] = {2, 4};
    set_ids(r, src, dst);
    pl_graph *g5 = pl_graph_build(ctx, r, &o, &err);
    assert_int_equal(g5->from_cache, 0);
    assert_int_equal(g5->n_components, 2);
    pl_graph *g6 = pl_graph_build(ctx, r, &o, &err);
    assert_int_equal(g6->from_cache, 1);
    r->node_target[1] = 2;
    pl_graph *g7 = pl_graph_build(ctx, r, &o, &err);
    assert_int_equal(g7->from_cache, 0);
    assert_int_equal(g7->n_components, 1);
    pl_graph_free(g5);
    pl_graph_free(g6);
    pl_graph_free(g7);
    pl_graph_free(g1);
    pl_graph_free(g2);
    pl_graph_free(g3);
    pl_graph_free(g4);
    pl_roads_free(r);
    pl_ctx_free(ctx);
}

/* pl_graph_keep_search_only: the searches give the same labels after the graph gave back
 * what they do not read, built in memory and read from the cache file (its cold part
 * unmapped), and the arrays it freed are NULL. */
static void search_only_same(pl_ctx *ctx, pl_graph *g, const pl_roads *r)
{
    const double src_xy[] = {0, 10, 300, 190, 150, 100}, tg_xy[] = {50, 0, 290, 10, 100, 200, 20, 190, 200, 110};
    pl_snap src[3], tg[5];
    snap_pts(ctx, g, r, src_xy, 3, src);
    snap_pts(ctx, g, r, tg_xy, 5, tg);
    pl_label before[2][10], after[2][10];
    for (int m = 0; m < 2; m++)
        nearest(ctx, g, src, 3, tg, 5, m ? PL_METRIC_TIME : PL_METRIC_DISTANCE, 2, before[m]);
    assert_true(before[0][0].source != UINT32_MAX && isfinite(before[1][9].time_s));
    pl_graph_keep_search_only(g);
    assert_null(g->node_x);
    assert_null(g->arc_head);
    assert_null(g->out_begin);
    for (int m = 0; m < 2; m++) {
        nearest(ctx, g, src, 3, tg, 5, m ? PL_METRIC_TIME : PL_METRIC_DISTANCE, 2, after[m]);
        for (int i = 0; i < 10; i++) {
            assert_int_equal(after[m][i].source, before[m][i].source);
            assert_true(after[m][i].dist_m == before[m][i].dist_m || (isinf(after[m][i].dist_m) && isinf(before[m][i].dist_m)));
            assert_true(after[m][i].time_s == before[m][i].time_s || (isinf(after[m][i].time_s) && isinf(before[m][i].time_s)));
        }
    }
}

static void test_keep_search_only(void **state)
{
    (void)state;
    pl_ctx *ctx = quiet_ctx();
    /* A 3 x 3 street grid, 100 m blocks, one street one-way. */
    tline L[] = {{4, {0, 0, 100, 0, 200, 0, 300, 0}, R_RES, 0, 0, 0, 0},
                 {4, {0, 100, 100, 100, 200, 100, 300, 100}, R_RES, 0, 1, 0, 0},
                 {4, {0, 200, 100, 200, 200, 200, 300, 200}, R_RES, 0, 0, 0, 0},
                 {3, {0, 0, 0, 100, 0, 200}, R_RES, 0, 0, 0, 0},
                 {3, {150, 0, 150, 100, 150, 200}, R_RES, 0, 0, 0, 0},
                 {3, {300, 0, 300, 100, 300, 200}, R_RES, 0, 0, 0, 0}};
    pl_roads *r = mk_roads(L, 6);
    pl_graph *g = build(ctx, r, PL_MODE_CAR);
    assert_true(g->n_nodes > 6);
    search_only_same(ctx, g, r);
    assert_null(g->edge_a);
    pl_graph_free(g);
    if (system("mkdir -p build/test-tmp") != 0)
        fail_msg("cannot make build/test-tmp");
    const char *path = "build/test-tmp/search_only.cache";
    remove(path);
    pl_graph_opts o;
    pl_graph_opts_default(&o);
    o.cache_path = path;
    pl_error err = {0};
    pl_graph *g1 = pl_graph_build(ctx, r, &o, &err);
    pl_graph *g2 = pl_graph_build(ctx, r, &o, &err);
    assert_non_null(g1);
    assert_non_null(g2);
    assert_int_equal(g2->from_cache, 1);
    search_only_same(ctx, g2, r);
    assert_non_null(g2->in_arc);
    assert_null(g2->edge_a);
    assert_null(g2->snap_index);
    pl_graph_free(g1);
    pl_graph_free(g2);
    remove(path);
    pl_roads_free(r);
    pl_ctx_free(ctx);
}

/* ---------- property test ---------- */

static uint64_t rng_state;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

typedef struct ref_lab {
    double p, q;
} ref_lab;

static int lex_less(double p1, double q1, double p2, double q2)
{
    return p1 < p2 || (p1 == p2 && q1 < q2);
}

/* Reverse Dijkstra (O(n^2)) from one source, lexicographic (p, q), same seeds and sums. */
static void ref_one_source(const pl_graph *g, const pl_snap *s, int M, ref_lab *lab, uint8_t *done)
{
    uint32_t n = g->n_nodes;
    for (uint32_t i = 0; i < n; i++) {
        lab[i].p = lab[i].q = INFINITY;
        done[i] = 0;
    }
    if (s->status == PL_SNAP_NONE)
        return;
    double ap = M ? s->access_s : s->access_m, aq = M ? s->access_m : s->access_s;
    if (s->from_a) {
        double p = ap + (M ? s->a_time_s : s->a_len_m), q = aq + (M ? s->a_len_m : s->a_time_s);
        if (lex_less(p, q, lab[s->node_a].p, lab[s->node_a].q))
            lab[s->node_a] = (ref_lab){p, q};
    }
    if (s->from_b) {
        double p = ap + (M ? s->b_time_s : s->b_len_m), q = aq + (M ? s->b_len_m : s->b_time_s);
        if (lex_less(p, q, lab[s->node_b].p, lab[s->node_b].q))
            lab[s->node_b] = (ref_lab){p, q};
    }
    for (;;) {
        uint32_t u = UINT32_MAX;
        for (uint32_t i = 0; i < n; i++)
            if (!done[i] && isfinite(lab[i].p) &&
                (u == UINT32_MAX || lex_less(lab[i].p, lab[i].q, lab[u].p, lab[u].q)))
                u = i;
        if (u == UINT32_MAX)
            break;
        done[u] = 1;
        for (uint32_t a = g->in_begin[u]; a < g->in_begin[u + 1]; a++) {
            const pl_rev_arc *arc = &g->in_arc[a];
            double p = lab[u].p + (M ? arc->time_s : arc->len_m), q = lab[u].q + (M ? arc->len_m : arc->time_s);
            if (!done[arc->tail] && lex_less(p, q, lab[arc->tail].p, lab[arc->tail].q))
                lab[arc->tail] = (ref_lab){p, q};
        }
    }
}

static void test_property_random_graphs(void **state)
{
    (void)state;
    pl_ctx *ctx = quiet_ctx();
    int checked = 0, same_edge = 0, reversed = 0;
    for (int seed = 1; seed <= 200; seed++) {
        rng_state = 0x9e3779b97f4a7c15ULL * (uint64_t)seed;
        for (int w = 0; w < 5; w++)
            rnd();
        int nn = 30 + (int)(rnd() % 171);
        double *px = malloc(nn * sizeof *px), *py = malloc(nn * sizeof *py);
        for (int i = 0; i < nn; i++) {
            px[i] = (double)(rnd() % 2000);
            py[i] = (double)(rnd() % 2000);
        }
        /* Roads: each node to 1-3 of a few random others; some bent, some one-way. */
        int cap = nn * 4;
        tline *L = calloc((size_t)cap, sizeof *L);
        int nl = 0;
        for (int i = 0; i < nn && nl < cap; i++) {
            int deg = 1 + (int)(rnd() % 3);
            for (int d = 0; d < deg && nl < cap; d++) {
                int j = (int)(rnd() % (uint32_t)nn);
                if (j == i || (px[i] == px[j] && py[i] == py[j]))
                    continue;
                tline *t = &L[nl++];
                t->n = 2;
                t->xy[0] = px[i];
                t->xy[1] = py[i];
                if (rnd() % 4 == 0) { /* a bend */
                    t->n = 3;
                    t->xy[2] = (px[i] + px[j]) / 2 + (double)(rnd() % 200) - 100;
                    t->xy[3] = (py[i] + py[j]) / 2 + (double)(rnd() % 200) - 100;
                }
                t->xy[2 * (t->n - 1)] = px[j];
                t->xy[2 * (t->n - 1) + 1] = py[j];
                t->cls = (int)(rnd() % 8);
                t->speed = rnd() % 3 == 0 ? 0.0f : (float)(20 + rnd() % 90);
                uint32_t ow = rnd() % 5;
                t->oneway = ow == 0 ? 1 : ow == 1 ? -1 : 0;
            }
        }
        pl_roads *r = mk_roads(L, nl);
        pl_graph *g = build(ctx, r, PL_MODE_CAR);
        /* Sources and targets at random points, some on the same edges. */
        uint32_t ns = 1 + rnd() % 12;
        size_t nt = 20;
        double xy[64];
        pl_snap src[32], tg[32];
        for (uint32_t i = 0; i < ns; i++) {
            xy[2 * i] = (double)(rnd() % 2000);
            xy[2 * i + 1] = (double)(rnd() % 2000);
        }
        snap_pts(ctx, g, r, xy, ns, src);
        for (size_t i = 0; i < nt; i++) {
            if (i < 4) { /* near a source: often the same edge */
                xy[2 * i] = xy[2 * (i % ns)] + (double)(rnd() % 40) - 20;
                xy[2 * i + 1] = xy[2 * (i % ns) + 1] + (double)(rnd() % 40) - 20;
            } else {
                xy[2 * i] = (double)(rnd() % 2000);
                xy[2 * i + 1] = (double)(rnd() % 2000);
            }
        }
        snap_pts(ctx, g, r, xy, nt, tg);
        /* Snapping found the nearest segment (brute force over all edges). */
        for (size_t i = 0; i < nt; i++) {
            double best = INFINITY;
            for (uint32_t e = 0; e < g->n_edges; e++)
                for (uint32_t v = g->edge_v0[e]; v < g->edge_v1[e] && pl_road_attachable(r, g->edge_road[e], g->mode); v++) {
                    double x0 = r->vx[v], y0 = r->vy[v], dx = r->vx[v + 1] - x0, dy = r->vy[v + 1] - y0;
                    double l2 = dx * dx + dy * dy, tt = l2 > 0 ? ((xy[2 * i] - x0) * dx + (xy[2 * i + 1] - y0) * dy) / l2 : 0;
                    tt = tt < 0 ? 0 : tt > 1 ? 1 : tt;
                    double d = hypot(x0 + tt * dx - xy[2 * i], y0 + tt * dy - xy[2 * i + 1]);
                    if (d < best)
                        best = d;
                }
            if (!(fabs(tg[i].access_m - best) <= 1e-3))
                fail_msg("seed %d point %zu: snapped at %.6f m, nearest segment at %.6f m", seed, i, tg[i].access_m, best);
        }
        int k = 1 + (int)(rnd() % 3);
        int M = (int)(rnd() % 2);
        pl_label *got = malloc(nt * (size_t)k * sizeof *got);
        nearest(ctx, g, src, ns, tg, nt, (pl_metric)M, k, got);

        /* Reference: per-source labels, then the k best distinct sources per target. */
        ref_lab *lab = malloc(ns * (size_t)g->n_nodes * sizeof *lab);
        uint8_t *done = malloc(g->n_nodes ? g->n_nodes : 1);
        for (uint32_t i = 0; i < ns; i++)
            ref_one_source(g, &src[i], M, lab + (size_t)i * g->n_nodes, done);
        for (size_t t = 0; t < nt; t++) {
            const pl_snap *T = &tg[t];
            double bp[32], bq[32];
            double tap = M ? T->access_s : T->access_m, taq = M ? T->access_m : T->access_s;
            for (uint32_t i = 0; i < ns; i++) {
                bp[i] = bq[i] = INFINITY;
                const ref_lab *L2 = lab + (size_t)i * g->n_nodes;
                if (T->to_a && isfinite(L2[T->node_a].p)) {
                    double p = (L2[T->node_a].p + (M ? T->a_time_s : T->a_len_m)) + tap;
                    double q = (L2[T->node_a].q + (M ? T->a_len_m : T->a_time_s)) + taq;
                    if (lex_less(p, q, bp[i], bq[i])) { bp[i] = p; bq[i] = q; }
                }
                if (T->to_b && isfinite(L2[T->node_b].p)) {
                    double p = (L2[T->node_b].p + (M ? T->b_time_s : T->b_len_m)) + tap;
                    double q = (L2[T->node_b].q + (M ? T->b_len_m : T->b_time_s)) + taq;
                    if (lex_less(p, q, bp[i], bq[i])) { bp[i] = p; bq[i] = q; }
                }
                const pl_snap *S = &src[i];
                if (S->edge == T->edge) {
                    same_edge++;
                    double pt = T->a_len_m, ps = S->a_len_m, dl = -1, dt = 0;
                    if (ps >= pt && (T->to_b || ps == pt)) {
                        dl = ps - pt;
                        dt = (double)S->a_time_s - (double)T->a_time_s;
                    } else if (ps <= pt && T->to_a) {
                        dl = pt - ps;
                        dt = (double)T->a_time_s - (double)S->a_time_s;
                    }
                    if (dl >= 0) {
                        if (dt < 0) dt = 0;
                        double sap = M ? S->access_s : S->access_m, saq = M ? S->access_m : S->access_s;
                        double p = (sap + (M ? dt : dl)) + tap, q = (saq + (M ? dl : dt)) + taq;
                        if (lex_less(p, q, bp[i], bq[i])) { bp[i] = p; bq[i] = q; }
                    }
                }
            }
            for (int j = 0; j < k; j++) {
                uint32_t bi = UINT32_MAX;
                for (uint32_t i = 0; i < ns; i++)
                    if (isfinite(bp[i]) && (bi == UINT32_MAX || bp[i] < bp[bi]))
                        bi = i;
                const pl_label *gl = &got[t * k + j];
                if (bi == UINT32_MAX) {
                    if (gl->source != UINT32_MAX)
                        fail_msg("seed %d target %zu label %d: got source %u, want none", seed, t, j, gl->source);
                    continue;
                }
                double wd = M ? bq[bi] : bp[bi], wt = M ? bp[bi] : bq[bi];
                if (gl->source != bi || gl->dist_m != wd || gl->time_s != wt)
                    fail_msg("seed %d (k=%d, metric %d) target %zu label %d: got %u %.17g %.17g, want %u %.17g %.17g",
                             seed, k, M, t, j, gl->source, gl->dist_m, gl->time_s, bi, wd, wt);
                bp[bi] = INFINITY;
                checked++;
                if (j == 0 && t > 0 && gl->source != got[(t - 1) * k].source)
                    reversed++;
            }
            /* Cross-check the nearest against a forward one-to-many from the target. */
            pl_label fw[32];
            pl_error err = {0};
            pl_graph_one_to_many(ctx, g, T, src, ns, (pl_metric)M, fw, &err);
            double fbest = INFINITY;
            for (uint32_t i = 0; i < ns; i++) {
                double v = M ? fw[i].time_s : fw[i].dist_m;
                if (v < fbest)
                    fbest = v;
            }
            double gbest = M ? got[t * k].time_s : got[t * k].dist_m;
            if (isfinite(fbest) || isfinite(gbest))
                if (!(fabs(fbest - gbest) <= 1e-9 * fmax(1.0, fbest)))
                    fail_msg("seed %d target %zu: forward %.17g vs search %.17g", seed, t, fbest, gbest);
        }
        free(lab);
        free(done);
        free(got);
        pl_graph_free(g);
        pl_roads_free(r);
        free(L);
        free(px);
        free(py);
    }
    /* Enough reachable labels, same-edge pairs and variety to mean something. */
    assert_true(checked > 4000);
    assert_true(same_edge > 100);
    assert_true(reversed > 500);
    pl_ctx_free(ctx);
}

/* Snapping on several threads, and through one index kept for several calls, gives the
 * same answers as pl_graph_snap on one thread. */
static void test_snap_threads_and_index(void **state)
{
    (void)state;
    pl_ctx *ctx = quiet_ctx();
    rng_state = 0x1234567ULL;
    enum { SIDE = 40 };
    tline *L = calloc(2 * SIDE * SIDE, sizeof *L);
    int nl = 0;
    for (int i = 0; i < SIDE; i++)
        for (int j = 0; j < SIDE; j++) {
            double x = i * 100.0 + (double)(rnd() % 20), y = j * 100.0 + (double)(rnd() % 20);
            if (i + 1 < SIDE)
                L[nl++] = (tline){2, {x, y, x + 100, y}, R_RES, 0, 0, 0, 0};
            if (j + 1 < SIDE && rnd() % 3)
                L[nl++] = (tline){2, {x, y, x, y + 100}, R_RES, 0, (int)(rnd() % 3) - 1, 0, 0};
        }
    pl_roads *r = mk_roads(L, nl);
    pl_graph *g = build(ctx, r, PL_MODE_CAR);
    size_t n = 20000;
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    for (size_t i = 0; i < n; i++) {
        x[i] = (double)(rnd() % 4400) - 200;
        y[i] = (double)(rnd() % 4400) - 200;
    }
    pl_snap *one = calloc(n, sizeof *one), *many = calloc(n, sizeof *many), *half = calloc(n, sizeof *half);
    pl_snap_opts so;
    pl_snap_opts_default(&so);
    pl_error err = {0};
    assert_int_equal(pl_graph_snap(ctx, g, r, x, y, n, &so, one, &err), PL_OK);
    so.threads = 3;
    pl_snap_index *ix = pl_snap_index_new(g, r, so.min_component_nodes);
    assert_int_equal(pl_graph_snap_indexed(ctx, ix, x, y, n, &so, many, &err), PL_OK);
    assert_int_equal(pl_graph_snap_indexed(ctx, ix, x, y, n / 2, &so, half, &err), PL_OK);
    assert_memory_equal(one, many, n * sizeof *one);
    assert_memory_equal(one, half, n / 2 * sizeof *one);
    long far = pl_warn_count(ctx, "snap-too-far");
    assert_true(far == 0);
    /* An index made for other options is refused. */
    so.min_component_nodes = 7;
    assert_int_equal(pl_graph_snap_indexed(ctx, ix, x, y, n, &so, many, &err), PL_EINTERNAL);
    pl_snap_index_free(ix);
    free(one);
    free(many);
    free(half);
    free(x);
    free(y);
    free(L);
    pl_graph_free(g);
    pl_roads_free(r);
    pl_ctx_free(ctx);
}

/* ---------- one thread or two: the same graph ---------- */

static uint32_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(*s >> 33);
}

static void assert_graphs_equal(const pl_graph *a, const pl_graph *b)
{
    assert_int_equal(a->n_nodes, b->n_nodes);
    assert_int_equal(a->n_arcs, b->n_arcs);
    assert_int_equal(a->n_edges, b->n_edges);
    assert_int_equal(a->n_components, b->n_components);
    assert_true(a->input_hash == b->input_hash);
    size_t n = a->n_nodes, na = a->n_arcs, ne = a->n_edges;
    assert_memory_equal(a->node_x, b->node_x, n * sizeof(double));
    assert_memory_equal(a->node_y, b->node_y, n * sizeof(double));
    assert_memory_equal(a->out_begin, b->out_begin, (n + 1) * sizeof(uint32_t));
    assert_memory_equal(a->in_begin, b->in_begin, (n + 1) * sizeof(uint32_t));
    if (na) {
        assert_memory_equal(a->arc_head, b->arc_head, na * sizeof(uint32_t));
        assert_memory_equal(a->arc_len_m, b->arc_len_m, na * sizeof(float));
        assert_memory_equal(a->arc_time_s, b->arc_time_s, na * sizeof(float));
        assert_memory_equal(a->arc_road, b->arc_road, na * sizeof(uint32_t));
        assert_memory_equal(a->in_arc, b->in_arc, na * sizeof(pl_rev_arc));
    }
    if (n) {
        assert_memory_equal(a->component, b->component, n * sizeof(uint32_t));
        assert_memory_equal(a->component_nodes, b->component_nodes, a->n_components * sizeof(uint32_t));
    }
    if (ne) {
        assert_memory_equal(a->edge_a, b->edge_a, ne * sizeof(uint32_t));
        assert_memory_equal(a->edge_b, b->edge_b, ne * sizeof(uint32_t));
        assert_memory_equal(a->edge_road, b->edge_road, ne * sizeof(uint32_t));
        assert_memory_equal(a->edge_v0, b->edge_v0, ne * sizeof(uint32_t));
        assert_memory_equal(a->edge_v1, b->edge_v1, ne * sizeof(uint32_t));
        assert_memory_equal(a->edge_len_m, b->edge_len_m, ne * sizeof(float));
        assert_memory_equal(a->edge_time_s, b->edge_time_s, ne * sizeof(float));
        assert_memory_equal(a->edge_dir, b->edge_dir, ne);
    }
}

/* The build splits its passes in two (roads, clusters, nodes, arcs); with one thread or two
 * every array must be the same. Random lines on a 1 m lattice with jitter under the
 * tolerance (clusters of several vertices, ties), loops, bridges, tunnels, layers, one-ways
 * and every class, for each mode and with and without intersections. */
static void test_threads_same_graph(void **state)
{
    (void)state;
    enum { NL = 4000 };
    tline *L = calloc(NL, sizeof *L);
    uint64_t seed = 12345;
    for (int i = 0; i < NL; i++) {
        L[i].n = 2 + (int)(lcg(&seed) % 7);
        for (int j = 0; j < L[i].n; j++) {
            double jx = (double)(lcg(&seed) % 5) * 0.15 - 0.3, jy = (double)(lcg(&seed) % 5) * 0.15 - 0.3;
            L[i].xy[2 * j] = (double)(lcg(&seed) % 60) + (lcg(&seed) % 3 ? 0.0 : jx);
            L[i].xy[2 * j + 1] = (double)(lcg(&seed) % 60) + (lcg(&seed) % 3 ? 0.0 : jy);
        }
        if (lcg(&seed) % 10 == 0) { /* a loop */
            L[i].xy[2 * (L[i].n - 1)] = L[i].xy[0];
            L[i].xy[2 * (L[i].n - 1) + 1] = L[i].xy[1];
        }
        L[i].cls = (int)(lcg(&seed) % PL_ROAD_N_CLASSES);
        L[i].speed = lcg(&seed) % 4 ? (float)(20 + lcg(&seed) % 90) : 0.0f;
        L[i].oneway = (int)(lcg(&seed) % 5) - 2 > 0 ? 1 : lcg(&seed) % 8 == 0 ? -1 : 0;
        L[i].flags = (int)(lcg(&seed) & (PL_ROAD_NO_CAR | PL_ROAD_NO_BIKE | PL_ROAD_BRIDGE | PL_ROAD_TUNNEL |
                                         PL_ROAD_BIKE_BOTH_WAYS)) & (lcg(&seed) % 3 ? 0 : 0xff);
        L[i].layer = (int)(lcg(&seed) % 3) - 1;
    }
    pl_roads *r = mk_roads(L, NL);
    pl_ctx *ctx = quiet_ctx();
    const char *old = getenv("PLATSA_THREADS");
    char *saved = old ? strdup(old) : NULL;
    for (int mode = 0; mode < 3; mode++)
        for (int ni = 0; ni < 2; ni++)
            for (int ti = 0; ti < 3; ti++) {
                pl_graph_opts o;
                pl_graph_opts_default(&o);
                o.mode = (pl_mode)mode;
                o.node_intersections = ni;
                o.snap_tolerance_m = ti == 0 ? 0.5 : ti == 1 ? 0.0 : 0.37;
                pl_error err = {0};
                setenv("PLATSA_THREADS", "1", 1);
                pl_graph *g1 = pl_graph_build(ctx, r, &o, &err);
                setenv("PLATSA_THREADS", "2", 1);
                pl_graph *g2 = pl_graph_build(ctx, r, &o, &err);
                assert_non_null(g1);
                assert_non_null(g2);
                assert_true(g1->n_edges > 1000);
                assert_graphs_equal(g1, g2);
                pl_graph_free(g1);
                pl_graph_free(g2);
            }
    /* With topology ids (a small pool, so that ends share them) the same. */
    r->node_source = malloc(NL * sizeof *r->node_source);
    r->node_target = malloc(NL * sizeof *r->node_target);
    for (int i = 0; i < NL; i++) {
        r->node_source[i] = (int64_t)(lcg(&seed) % 3000) - 1000;
        r->node_target[i] = (int64_t)(lcg(&seed) % 3000) - 1000;
    }
    for (int mode = 0; mode < 3; mode++) {
        pl_graph_opts o;
        pl_graph_opts_default(&o);
        o.mode = (pl_mode)mode;
        pl_error err = {0};
        setenv("PLATSA_THREADS", "1", 1);
        pl_graph *g1 = pl_graph_build(ctx, r, &o, &err);
        setenv("PLATSA_THREADS", "2", 1);
        pl_graph *g2 = pl_graph_build(ctx, r, &o, &err);
        assert_true(g1->n_edges > 1000);
        assert_graphs_equal(g1, g2);
        pl_graph_free(g1);
        pl_graph_free(g2);
    }
    if (saved)
        setenv("PLATSA_THREADS", saved, 1);
    else
        unsetenv("PLATSA_THREADS");
    free(saved);
    pl_ctx_free(ctx);
    pl_roads_free(r);
    free(L);
}

/* Every vertex its own place (lines far apart, vertices 10 m apart): step 2 of the build then
 * holds one cluster and one occurrence per vertex, the most its scratch block is sized for
 * (run under test-asan, an overrun shows). Two nodes and one edge per line. */
static void test_build_all_vertices_apart(void **state)
{
    (void)state;
    enum { NL = 2000 };
    tline *L = calloc(NL, sizeof *L);
    for (int i = 0; i < NL; i++) {
        L[i].n = 2 + i % 5;
        for (int j = 0; j < L[i].n; j++) {
            L[i].xy[2 * j] = (double)(i % 50) * 100.0 + 10.0 * j;
            L[i].xy[2 * j + 1] = (double)(i / 50) * 100.0 + 3.0 * j;
        }
        L[i].cls = R_RES;
    }
    pl_roads *r = mk_roads(L, NL);
    pl_ctx *ctx = quiet_ctx();
    const char *old = getenv("PLATSA_THREADS");
    char *saved = old ? strdup(old) : NULL;
    for (int t = 1; t <= 2; t++) {
        setenv("PLATSA_THREADS", t == 1 ? "1" : "2", 1);
        pl_error err = {0};
        pl_graph *g = pl_graph_build(ctx, r, NULL, &err);
        assert_non_null(g);
        assert_int_equal(g->n_nodes, 2 * NL);
        assert_int_equal(g->n_edges, NL);
        assert_int_equal(g->n_components, NL);
        pl_graph_free(g);
    }
    if (saved)
        setenv("PLATSA_THREADS", saved, 1);
    else
        unsetenv("PLATSA_THREADS");
    free(saved);
    pl_ctx_free(ctx);
    pl_roads_free(r);
    free(L);
}

/* skip_forward_arcs: the same graph as without, less the forward arcs (NULL), with one thread
 * or two, built or derived from another mode's; with a cache file the option is ignored (the
 * file holds them). */
static void assert_same_but_forward(const pl_graph *full, const pl_graph *lean)
{
    assert_null(lean->out_begin);
    assert_null(lean->arc_head);
    assert_null(lean->arc_len_m);
    assert_null(lean->arc_time_s);
    assert_null(lean->arc_road);
    assert_non_null(full->out_begin);
    pl_graph g = *full;  /* full's arrays, with lean's (absent) forward arcs */
    g.out_begin = lean->out_begin;
    g.arc_head = lean->arc_head;
    g.arc_len_m = lean->arc_len_m;
    g.arc_time_s = lean->arc_time_s;
    g.arc_road = lean->arc_road;
    assert_int_equal(g.n_arcs, lean->n_arcs);
    assert_int_equal(full->out_begin[full->n_nodes], lean->n_arcs);
    size_t n = full->n_nodes, na = full->n_arcs, ne = full->n_edges;
    assert_int_equal(lean->n_nodes, n);
    assert_int_equal(lean->n_edges, ne);
    assert_int_equal(lean->n_components, full->n_components);
    assert_memory_equal(full->in_begin, lean->in_begin, (n + 1) * sizeof(uint32_t));
    assert_memory_equal(full->in_arc, lean->in_arc, na * sizeof(pl_rev_arc));
    assert_memory_equal(full->component, lean->component, n * sizeof(uint32_t));
    assert_memory_equal(full->component_nodes, lean->component_nodes, full->n_components * sizeof(uint32_t));
    assert_memory_equal(full->node_x, lean->node_x, n * sizeof(double));
    assert_memory_equal(full->edge_a, lean->edge_a, ne * sizeof(uint32_t));
    assert_memory_equal(full->edge_b, lean->edge_b, ne * sizeof(uint32_t));
    assert_memory_equal(full->edge_time_s, lean->edge_time_s, ne * sizeof(float));
    assert_memory_equal(full->edge_dir, lean->edge_dir, ne);
}

static void test_skip_forward_arcs(void **state)
{
    (void)state;
    enum { NL = 3000 };
    tline *L = calloc(NL, sizeof *L);
    uint64_t seed = 4242;
    for (int i = 0; i < NL; i++) {
        L[i].n = 2 + (int)(lcg(&seed) % 6);
        for (int j = 0; j < L[i].n; j++) {
            L[i].xy[2 * j] = (double)(lcg(&seed) % 70) * 3.1;
            L[i].xy[2 * j + 1] = (double)(lcg(&seed) % 70) * 2.7;
        }
        L[i].cls = i % 9 == 0 ? PL_ROAD_FOOTWAY : R_RES;
        L[i].oneway = lcg(&seed) % 4 == 0 ? 1 : 0;
        L[i].layer = (int)(lcg(&seed) % 3) - 1;
    }
    pl_roads *r = mk_roads(L, NL);
    pl_ctx *ctx = quiet_ctx();
    const char *old = getenv("PLATSA_THREADS");
    char *saved = old ? strdup(old) : NULL;
    for (int t = 1; t <= 2; t++) {
        setenv("PLATSA_THREADS", t == 1 ? "1" : "2", 1);
        for (int mode = 0; mode < 3; mode++) {
            pl_graph_opts o;
            pl_graph_opts_default(&o);
            o.mode = (pl_mode)mode;
            pl_error err = {0};
            pl_graph *full = pl_graph_build(ctx, r, &o, &err);
            o.skip_forward_arcs = 1;
            pl_graph *lean = pl_graph_build(ctx, r, &o, &err);
            assert_non_null(full);
            assert_non_null(lean);
            assert_true(full->n_arcs > 1000 && full->n_components > 1);
            assert_same_but_forward(full, lean);
            /* walk from bike (both open every road here but footways): derived without them too */
            if (mode == PL_MODE_WALK) {
                pl_graph_opts ob = o;
                ob.mode = PL_MODE_BIKE;
                pl_graph *bike = pl_graph_build(ctx, r, &ob, &err);
                pl_graph *like = pl_graph_build_like(ctx, bike, r, &o, &err);
                assert_non_null(like);
                assert_same_but_forward(full, like);
                pl_graph_free(like);
                pl_graph_free(bike);
            }
            pl_graph_free(full);
            pl_graph_free(lean);
        }
    }
    /* with a cache file: built with them (and read back with them) */
    if (system("mkdir -p build/test-tmp") != 0)
        fail_msg("cannot make build/test-tmp");
    const char *path = "build/test-tmp/graph_skip.cache";
    remove(path);
    pl_graph_opts o;
    pl_graph_opts_default(&o);
    o.skip_forward_arcs = 1;
    o.cache_path = path;
    pl_error err = {0};
    for (int k = 0; k < 2; k++) {
        pl_graph *g = pl_graph_build(ctx, r, &o, &err);
        assert_non_null(g);
        assert_int_equal(g->from_cache, k);
        assert_non_null(g->out_begin);
        assert_int_equal(g->out_begin[g->n_nodes], g->n_arcs);
        pl_graph_free(g);
    }
    remove(path);
    if (saved)
        setenv("PLATSA_THREADS", saved, 1);
    else
        unsetenv("PLATSA_THREADS");
    free(saved);
    pl_ctx_free(ctx);
    pl_roads_free(r);
    free(L);
}

/* ---------- another mode's graph from a built one (pl_graph_build_like) ---------- */

enum { NP = 500 };

/* NP places over the roads' box, shifted by dx. */
static void box_places(const pl_roads *r, double dx, double *x, double *y)
{
    double minx = INFINITY, miny = INFINITY, maxx = -INFINITY, maxy = -INFINITY;
    for (size_t v = 0; v < r->first_vertex[r->n]; v++) {
        minx = fmin(minx, r->vx[v]);
        maxx = fmax(maxx, r->vx[v]);
        miny = fmin(miny, r->vy[v]);
        maxy = fmax(maxy, r->vy[v]);
    }
    uint64_t seed = 99;
    for (int i = 0; i < NP; i++) {
        x[i] = minx + (maxx - minx) * (double)(lcg(&seed) % 10007) / 10006.0 + dx;
        y[i] = miny + (maxy - miny) * (double)(lcg(&seed) % 10007) / 10006.0;
    }
}

static void assert_snaps_equal(const pl_snap *a, const pl_snap *b, int n)
{
    for (int i = 0; i < n; i++) {  /* field by field: the struct has padding */
        assert_int_equal(a[i].edge, b[i].edge);
        assert_int_equal(a[i].status, b[i].status);
        assert_true(a[i].a_len_m == b[i].a_len_m && a[i].b_len_m == b[i].b_len_m);
        assert_true(a[i].a_time_s == b[i].a_time_s && a[i].b_time_s == b[i].b_time_s);
        assert_true(a[i].access_m == b[i].access_m && a[i].access_s == b[i].access_s);
        assert_true(a[i].to_a == b[i].to_a && a[i].to_b == b[i].to_b && a[i].from_a == b[i].from_a &&
                    a[i].from_b == b[i].from_b);
    }
}

/* Places over the roads' box attach alike to a built graph (its own snap index) and to one
 * derived from another mode's (that graph's kept index, borrowed when they attach alike). */
static void same_snaps(pl_ctx *ctx, const pl_graph *built, const pl_graph *like, const pl_roads *r)
{
    double x[NP], y[NP];
    box_places(r, 0, x, y);
    pl_snap a[NP], b[NP];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    pl_snap_opts so;
    pl_snap_opts_default(&so);
    pl_error err = {0};
    assert_int_equal(pl_graph_snap(ctx, built, r, x, y, NP, &so, a, &err), PL_OK);
    assert_int_equal(pl_graph_snap(ctx, like, r, x, y, NP, &so, b, &err), PL_OK);
    assert_snaps_equal(a, b, NP);
}

/* #19: the places' nearest roads found on base (picks kept) are read, not searched again, by
 * like, which borrows base's index: like's own times, directions and access speed, as built
 * attaches them. Other places, or another max_snap_m, are searched. The services' rule too. */
static void picked_snaps(pl_ctx *ctx, const pl_graph *base, const pl_graph *like, const pl_graph *built,
                         const pl_roads *r)
{
    double x[NP], y[NP];
    pl_snap a[NP], b[NP];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    pl_snap_opts so;
    pl_snap_opts_default(&so);
    pl_error err = {0};
    pl_snap_picks *pk = pl_snap_picks_new();
    for (int round = 0; round < 4; round++) {
        box_places(r, round == 2 ? 0.25 : 0, x, y);
        so.max_snap_m = round == 3 ? 2 : 1000;
        so.max_attach_m = round == 1 ? 3 : 0;
        so.picks = NULL;
        assert_int_equal(pl_graph_snap(ctx, built, r, x, y, NP, &so, a, &err), PL_OK);
        so.picks = pk;
        long before = pl_snap_picked_places();
        assert_int_equal(pl_graph_snap(ctx, base, r, x, y, NP, &so, b, &err), PL_OK);
        assert_int_equal(pl_snap_picked_places() - before, round == 1 ? NP : 0);  /* 1: round 0's places */
        assert_int_equal(pl_graph_snap(ctx, like, r, x, y, NP, &so, b, &err), PL_OK);
        assert_int_equal(pl_snap_picked_places() - before, round == 1 ? 2 * NP : NP);
        assert_snaps_equal(a, b, NP);
    }
    pl_snap_picks_free(pk);
}

/* Every mode from every other: the same arrays as pl_graph_build. like: 1 when the two modes
 * open the same roads (the graph is then derived, else built); returns how many were. */
static int build_like_all_pairs(pl_ctx *ctx, const pl_roads *r, int ni, double tol)
{
    int derived = 0;
    for (int base_mode = 0; base_mode < 3; base_mode++) {
        pl_graph_opts o;
        pl_graph_opts_default(&o);
        o.mode = (pl_mode)base_mode;
        o.node_intersections = ni;
        o.snap_tolerance_m = tol;
        pl_error err = {0};
        pl_graph *base = pl_graph_build(ctx, r, &o, &err);
        assert_non_null(base);
        assert_int_equal(pl_graph_keep_snap_index(base, r), PL_OK);  /* lent to the derived graphs */
        for (int mode = 0; mode < 3; mode++) {
            if (mode == base_mode)
                continue;
            int same = 1;
            for (size_t i = 0; i < r->n && same; i++)
                same = pl_graph_road_allowed(r, i, (pl_mode)mode) == pl_graph_road_allowed(r, i, (pl_mode)base_mode);
            derived += same;
            o.mode = (pl_mode)mode;
            pl_graph *built = pl_graph_build(ctx, r, &o, &err);
            pl_graph *like = pl_graph_build_like(ctx, base, r, &o, &err);
            assert_non_null(built);
            assert_non_null(like);
            assert_true(built->n_edges > 100);
            assert_graphs_equal(built, like);
            if (same) {  /* opening the same roads, they attach alike: base's index is lent */
                pl_snap_index *ix = pl_snap_index_new(like, r, pl_snap_default_min_component());
                assert_true(ix->borrowed && ix->g == like && ix->big.v == base->snap_index->big.v);
                pl_snap_index_free(ix);
            }
            same_snaps(ctx, built, like, r);
            if (same)
                picked_snaps(ctx, base, like, built, r);
            if (same) {  /* search_only: base's nodes and edges, no forward arcs, the rest as built */
                o.search_only = 1;
                pl_graph *lean = pl_graph_build_like(ctx, base, r, &o, &err);
                o.search_only = 0;
                assert_non_null(lean);
                assert_true(lean->shares_base && lean->node_x == base->node_x && lean->edge_a == base->edge_a &&
                            lean->edge_len_m == base->edge_len_m && !lean->out_begin && !lean->arc_head);
                assert_int_equal(lean->n_arcs, built->n_arcs);
                assert_memory_equal(lean->in_begin, built->in_begin, (built->n_nodes + 1) * sizeof(uint32_t));
                assert_memory_equal(lean->in_arc, built->in_arc, built->n_arcs * sizeof(pl_rev_arc));
                assert_memory_equal(lean->component, built->component, built->n_nodes * sizeof(uint32_t));
                assert_memory_equal(lean->edge_time_s, built->edge_time_s, built->n_edges * sizeof(float));
                assert_memory_equal(lean->edge_dir, built->edge_dir, built->n_edges);
                same_snaps(ctx, built, lean, r);
                pl_graph_keep_search_only(lean);  /* frees its own arrays only */
                assert_non_null(base->node_x);
                assert_non_null(base->edge_a);
                /* #19: the next mode's graph in lean's arrays (a spare), the same as built */
                const void *arcs = lean->in_arc, *begin = lean->in_begin, *comp = lean->component;
                o.search_only = 1;
                pl_graph *again = pl_graph_build_like_spare(ctx, base, r, &o, lean, &err);
                o.search_only = 0;
                assert_non_null(again);
                assert_true(again->in_arc == arcs && again->in_begin == begin && again->component == comp);
                assert_int_equal(again->n_arcs, built->n_arcs);
                assert_memory_equal(again->in_begin, built->in_begin, (built->n_nodes + 1) * sizeof(uint32_t));
                assert_memory_equal(again->in_arc, built->in_arc, built->n_arcs * sizeof(pl_rev_arc));
                assert_memory_equal(again->component, built->component, built->n_nodes * sizeof(uint32_t));
                assert_memory_equal(again->component_nodes, built->component_nodes,
                                    built->n_components * sizeof(uint32_t));
                assert_memory_equal(again->edge_time_s, built->edge_time_s, built->n_edges * sizeof(float));
                assert_memory_equal(again->edge_dir, built->edge_dir, built->n_edges);
                assert_true(again->input_hash == built->input_hash);
                pl_graph_free(again);
            }
            pl_graph_free(built);
            pl_graph_free(like);
        }
        pl_graph_free(base);
    }
    return derived;
}

/* Random lines as in test_threads_same_graph (clusters, loops, layers, bridges, tunnels,
 * one-ways both ways, speeds, ferries) on classes every mode opens, so that each mode's graph
 * is derived from each other's: times, directions, arcs and components must come out bit
 * for bit as the build's. Then with every class (modes opening different roads: built). */
static void test_build_like_random(void **state)
{
    (void)state;
    enum { NL = 3000 };
    const int open_to_all[] = {PL_ROAD_PRIMARY, PL_ROAD_SECONDARY, PL_ROAD_TERTIARY, PL_ROAD_RESIDENTIAL,
                               PL_ROAD_SERVICE, PL_ROAD_TRUNK, PL_ROAD_UNCLASSIFIED, PL_ROAD_FERRY};
    tline *L = calloc(NL, sizeof *L);
    uint64_t seed = 777;
    for (int i = 0; i < NL; i++) {
        L[i].n = 2 + (int)(lcg(&seed) % 7);
        for (int j = 0; j < L[i].n; j++) {
            double jx = (double)(lcg(&seed) % 5) * 0.15 - 0.3, jy = (double)(lcg(&seed) % 5) * 0.15 - 0.3;
            L[i].xy[2 * j] = (double)(lcg(&seed) % 50) * 7.3 + (lcg(&seed) % 3 ? 0.0 : jx);
            L[i].xy[2 * j + 1] = (double)(lcg(&seed) % 50) * 5.9 + (lcg(&seed) % 3 ? 0.0 : jy);
        }
        if (lcg(&seed) % 10 == 0) {
            L[i].xy[2 * (L[i].n - 1)] = L[i].xy[0];
            L[i].xy[2 * (L[i].n - 1) + 1] = L[i].xy[1];
        }
        L[i].cls = open_to_all[lcg(&seed) % (sizeof open_to_all / sizeof *open_to_all)];
        L[i].speed = lcg(&seed) % 4 ? (float)(20 + lcg(&seed) % 90) + 0.1f * (float)(lcg(&seed) % 10) : 0.0f;
        L[i].oneway = lcg(&seed) % 3 == 0 ? 1 : lcg(&seed) % 8 == 0 ? -1 : 0;
        L[i].flags = (int)(lcg(&seed) & (PL_ROAD_BRIDGE | PL_ROAD_TUNNEL | PL_ROAD_BIKE_BOTH_WAYS));
        L[i].layer = (int)(lcg(&seed) % 3) - 1;
    }
    pl_roads *r = mk_roads(L, NL);
    pl_ctx *ctx = quiet_ctx();
    for (int ni = 0; ni < 2; ni++)
        assert_int_equal(build_like_all_pairs(ctx, r, ni, ni ? 0.5 : 0.37), 6);
    for (int i = 0; i < NL; i++) /* every class and access flag: some pairs differ */
        r->road_class[i] = (uint8_t)(lcg(&seed) % PL_ROAD_N_CLASSES);
    for (int i = 0; i < NL; i += 7)
        r->flags[i] |= (uint8_t)(lcg(&seed) % 2 ? PL_ROAD_NO_BIKE : PL_ROAD_NO_CAR);
    assert_int_equal(build_like_all_pairs(ctx, r, 1, 0.5), 0);
    pl_ctx_free(ctx);
    pl_roads_free(r);
    free(L);
}

/* A real network (OpenStreetMap's Stockholm drive network, tests/data): bike from walk and
 * walk from bike are derived (no steps, motorways or closures in it: both open every road),
 * the others built; all as pl_graph_build makes them. */
static void test_build_like_real_network(void **state)
{
    (void)state;
    pl_ctx *ctx = quiet_ctx();
    pl_error err = {0};
    pl_roads *r = pl_roads_load(ctx, real_data("osm-stockholm-drive-network-fmm/edges.shp"), NULL, &err);
    if (!r)
        fail_msg("%s", err.msg);
    int oneway = 0;
    for (size_t i = 0; i < r->n; i++)
        oneway += r->oneway[i] != 0;
    assert_true(oneway > 100);  /* bike's directions differ from walk's */
    assert_true(build_like_all_pairs(ctx, r, 1, 0.5) >= 2);
    pl_roads_free(r);
    pl_ctx_free(ctx);
}

/* #19, several modes in one run: a distance search that met no ties (pl_search_opts.ties)
 * takes the same steps on arcs of the same lengths whatever their times, so a later mode may
 * take its distances. Grids every mode opens alike, regular (equal blocks: paths of equal
 * length, ties) and jittered, with car speeds per road: each mode's distance search from the
 * same places. Where the car's met no ties, bike's and walk's take the same steps (the work
 * counters) and give the same sources and distances, bit for bit. Services standing on a grid
 * node meet their own seed again along their edge (echoes): not ties. */
/* An n x n grid, steps sx east and sy north (jitter: nodes moved up to a tenth of a step),
 * each block a line of its own at a speed of its own; with detours, beside every fifth east
 * block two lines by a point 95 % of the way (on a regular grid of the same length as the
 * block: a path of equal length whose last arc is short enough to arrive in the bucket that
 * scanned the block's end). Returns the lines. */
static int grid_lines(tline *L, int n, double sx, double sy, int jitter, int detours, uint64_t *seed, double *nx,
                      double *ny)
{
    for (int i = 0; i < n * n; i++) {
        nx[i] = (i % n) * sx + (jitter ? ((double)(lcg(seed) % 2001) / 1000.0 - 1.0) * sx / 10 : 0.0);
        ny[i] = (i / n) * sy + (jitter ? ((double)(lcg(seed) % 2001) / 1000.0 - 1.0) * sy / 10 : 0.0);
    }
    int k = 0;
    for (int i = 0; i < n * n; i++)
        for (int d = 0; d < 2; d++) {
            int j = d ? i + n : i + 1;
            if ((d == 0 && i % n == n - 1) || (d == 1 && j >= n * n))
                continue;
            double x0 = nx[i], y0 = ny[i], x1 = nx[j], y1 = ny[j];
            int detour = detours && d == 0 && lcg(seed) % 5 == 0;
            double mx = x0 + 0.95 * (x1 - x0), my = y0 + 0.95 * (y1 - y0) + (jitter ? 0.3 : 0.0);
            for (int part = 0; part < 1 + 2 * detour; part++) {
                tline *t = &L[k++];
                t->n = 2;
                t->xy[0] = part == 2 ? mx : x0;
                t->xy[1] = part == 2 ? my : y0;
                t->xy[2] = part == 1 ? mx : x1;
                t->xy[3] = part == 1 ? my : y1;
                t->cls = R_RES;
                t->speed = (float)(20 + lcg(seed) % 70);
            }
        }
    return k;
}

static void snap_many(pl_ctx *ctx, const pl_graph *g, const pl_roads *r, const double *x, const double *y, size_t n,
                      pl_snap *out)
{
    pl_snap_opts so;
    pl_snap_opts_default(&so);
    so.min_component_nodes = 0;
    pl_error err = {0};
    assert_int_equal(pl_graph_snap(ctx, g, r, x, y, n, &so, out, &err), PL_OK);
}

static void test_tie_free_distances_any_times(void **state)
{
    (void)state;
    enum { N = 24, NS = 60, NT = 400 };
    pl_ctx *ctx = quiet_ctx();
    int tie_free = 0, with_ties = 0, echoes = 0, compared = 0;
    for (int round = 0; round < 24; round++) {
        uint64_t seed = 1000 + (uint64_t)round;
        /* Square blocks with detours (ties unless jittered), or blocks 100 m by 7 m (services
         * standing on a node often meet their seed again: echoes), services on nodes or not. */
        int jitter = round % 2, square = round % 4 < 2, at_nodes = round % 8 < 6;
        tline *L = calloc(4 * N * N, sizeof *L);
        double nx[N * N], ny[N * N];
        pl_roads *r = mk_roads(L, grid_lines(L, N, 100.0, square ? 100.0 : 7.0, jitter, square, &seed, nx, ny));
        double sx[NS], sy[NS], tx[NT], ty[NT];
        for (int i = 0; i < NS; i++) {  /* services: on grid nodes (half the rounds) or anywhere */
            int v = (int)(lcg(&seed) % (N * N));
            sx[i] = at_nodes && i % 3 ? nx[v] : (double)(lcg(&seed) % 230000) / 100.0;
            sy[i] = at_nodes && i % 3 ? ny[v] : (double)(lcg(&seed) % 230000) / 100.0 * (square ? 1.0 : 0.07);
        }
        for (int i = 0; i < NT; i++) {
            tx[i] = (double)(lcg(&seed) % 230000) / 100.0;
            ty[i] = (double)(lcg(&seed) % 230000) / 100.0 * (square ? 1.0 : 0.07);
        }
        pl_label first[NT * 2];
        pl_search_stats first_st = {0};
        uint64_t first_ties = 0;
        for (int mode = 0; mode < 3; mode++) {
            pl_graph *g = build(ctx, r, (pl_mode)mode);
            pl_snap src[NS], tg[NT];
            snap_many(ctx, g, r, sx, sy, NS, src);
            snap_many(ctx, g, r, tx, ty, NT, tg);
            pl_label got[NT * 2];
            pl_search_stats st = {0};
            uint64_t ties = 99;
            pl_search_opts so = {.metric = PL_METRIC_DISTANCE, .k = 2, .cutoff = INFINITY, .stats = &st,
                                 .ties = &ties};
            pl_error err = {0};
            assert_int_equal(pl_graph_nearest_k(ctx, g, src, NS, tg, NT, &so, got, &err), PL_OK);
            assert_int_equal(ties, st.ties);
            echoes += (int)st.echoes;
            if (mode == 0) {
                memcpy(first, got, sizeof got);
                first_st = st;
                first_ties = ties;
                tie_free += ties == 0;
                with_ties += ties > 0;
                if (jitter && ties)
                    fail_msg("round %d: %llu ties on a jittered grid", round, (unsigned long long)ties);
            } else if (first_ties == 0) {
                if (st.settled != first_st.settled || st.relaxed != first_st.relaxed ||
                    st.heap_pushes != first_st.heap_pushes || st.labels != first_st.labels)
                    fail_msg("round %d, %s: other steps than the car's tie-free search", round,
                             pl_mode_name((pl_mode)mode));
                for (int i = 0; i < NT * 2; i++) {
                    if (got[i].source != first[i].source || memcmp(&got[i].dist_m, &first[i].dist_m, sizeof(double)))
                        fail_msg("round %d, %s, label %d: %u %.17g, car %u %.17g", round,
                                 pl_mode_name((pl_mode)mode), i, got[i].source, got[i].dist_m, first[i].source,
                                 first[i].dist_m);
                    compared += got[i].source != UINT32_MAX;
                }
            }
            pl_graph_free(g);
        }
        pl_roads_free(r);
        free(L);
    }
    /* Both kinds of search, and the echoes, occurred. */
    assert_true(tie_free >= 6);
    assert_true(with_ties >= 3);
    assert_true(echoes > 0);
    assert_true(compared > 5000);
    pl_ctx_free(ctx);
}

/* A vertex as near to two nodes joins the older one (the first line's). */
static void test_snap_tie_older_node(void **state)
{
    (void)state;
    tline L[] = {
        {2, {0, 0, 0, 100}, PL_ROAD_RESIDENTIAL, 50, 0, 0, 0},
        {2, {0.8, 0, 0.8, -100}, PL_ROAD_RESIDENTIAL, 50, 0, 0, 0},
        {2, {0.4, 0, 50, 0}, PL_ROAD_RESIDENTIAL, 50, 0, 0, 0},
    };
    pl_roads *r = mk_roads(L, 3);
    pl_ctx *ctx = quiet_ctx();
    pl_graph *g = build(ctx, r, PL_MODE_CAR);
    assert_int_equal(g->n_edges, 3);
    uint32_t a = g->edge_a[2];
    assert_true(g->node_x[a] == 0.0 && g->node_y[a] == 0.0);
    assert_int_equal(g->n_components, 2); /* the second line stays apart */
    pl_graph_free(g);
    pl_ctx_free(ctx);
    pl_roads_free(r);
}

/* Sources far from a small graph (a county's roads, the national pharmacy list attached
 * from hundreds of km away): their labels lie many calendar windows apart. Rescheduling
 * the search's overflow once per copy and label multiplied the copies on every pass (a
 * county scenario baseline: 1.7 GB); each node now goes back once. Here 15 roads apart,
 * each with one source a calendar window farther than the last (a pass each), and a 16th
 * whose three sources lie beyond them all (its nodes wait in the overflow through every
 * pass). The answers are checked by hand. */
static void test_far_sources_overflow(void **state)
{
    (void)state;
    pl_ctx *ctx = quiet_ctx();
    enum { NR = 16, NS = NR - 1 + 3 };
    tline L[NR];
    double pts[2 * NR];
    for (int i = 0; i < NR; i++) {
        L[i] = (tline){2, {0, 1000.0 * i, 100, 1000.0 * i}, R_RES, 0, 0, 0, 0};
        pts[2 * i] = 50;
        pts[2 * i + 1] = 1000.0 * i;
    }
    pl_roads *r = mk_roads(L, NR);
    pl_graph *g = build(ctx, r, PL_MODE_CAR);
    pl_snap s[NR];
    snap_pts(ctx, g, r, pts, NR, s);
    pl_snap src[NS];
    for (int i = 0; i < NS; i++) {
        int road = i < NR - 1 ? i : NR - 1;
        src[i] = s[road];
        src[i].access_m = i < NR - 1 ? 250000.0f * (float)i : 5000000.0f + 100.0f * (float)(i - (NR - 1));
        src[i].access_s = src[i].access_m * 3.6f / 30.0f;
    }
    for (int k = 1; k <= 3; k++) {
        pl_label lab[3];
        pl_search_stats st;
        pl_search_opts so = {.metric = PL_METRIC_DISTANCE, .k = k, .cutoff = INFINITY, .stats = &st};
        pl_error err = {0};
        assert_int_equal(pl_graph_nearest_k(ctx, g, src, NS, &s[NR - 1], 1, &so, lab, &err), PL_OK);
        for (int j = 0; j < k; j++) {
            assert_int_equal(lab[j].source, NR - 1 + j);
            assert_true(lab[j].dist_m == (double)src[NR - 1 + j].access_m);
        }
        assert_true(st.heap_pushes < 1000); /* 272-336; without the fix 262,380 at k = 2, 129 M at k = 3 */
    }
    pl_graph_free(g);
    pl_roads_free(r);
    pl_ctx_free(ctx);
}



/* The snap grid as one loop over the segments makes it (graph_snap.c before the grid was
 * built on two threads): the reference for test_snap_grid_two_threads. */
static void reference_grid(const pl_seg_set *S, const pl_roads *roads, pl_seg_grid *G)
{
    double minx = INFINITY, miny = INFINITY, maxx = -INFINITY, maxy = -INFINITY, total = 0;
    for (uint32_t i = 0; i < S->n; i++) {
        uint32_t v = S->v[i];
        double x0 = roads->vx[v], y0 = roads->vy[v], x1 = roads->vx[v + 1], y1 = roads->vy[v + 1];
        minx = fmin(minx, fmin(x0, x1));
        maxx = fmax(maxx, fmax(x0, x1));
        miny = fmin(miny, fmin(y0, y1));
        maxy = fmax(maxy, fmax(y0, y1));
        total += hypot(x1 - x0, y1 - y0);
    }
    double w = fmax(maxx - minx, 1.0), h = fmax(maxy - miny, 1.0), cell = fmax(1.5 * total / S->n, 1.0);
    double max_cells = 2.0 * S->n + 16;
    if ((w / cell + 1) * (h / cell + 1) > max_cells)
        cell = sqrt(w * h / max_cells) + 1.0;
    memset(G, 0, sizeof *G);
    G->minx = minx;
    G->miny = miny;
    G->cell = cell;
    G->nx = (int64_t)(w / cell) + 1;
    G->ny = (int64_t)(h / cell) + 1;
    size_t nc = (size_t)(G->nx * G->ny);
    G->begin = calloc(nc + 1, sizeof *G->begin);
    uint32_t *fill = NULL;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            for (size_t c = 0; c < nc; c++)
                G->begin[c + 1] += G->begin[c];
            G->seg = malloc((G->begin[nc] + 1) * sizeof *G->seg);
            fill = malloc((nc + 1) * sizeof *fill);
            memcpy(fill, G->begin, (nc + 1) * sizeof *fill);
        }
        for (uint32_t i = 0; i < S->n; i++) {
            uint32_t v = S->v[i];
            double x0 = roads->vx[v], y0 = roads->vy[v], x1 = roads->vx[v + 1], y1 = roads->vy[v + 1];
            int64_t cx0 = (int64_t)((fmin(x0, x1) - minx) / cell), cx1 = (int64_t)((fmax(x0, x1) - minx) / cell);
            int64_t cy0 = (int64_t)((fmin(y0, y1) - miny) / cell), cy1 = (int64_t)((fmax(y0, y1) - miny) / cell);
            cx1 = cx1 >= G->nx ? G->nx - 1 : cx1;
            cy1 = cy1 >= G->ny ? G->ny - 1 : cy1;
            for (int64_t cy = cy0; cy <= cy1; cy++)
                for (int64_t cx = cx0; cx <= cx1; cx++) {
                    size_t c = (size_t)(cy * G->nx + cx);
                    if (pass == 0)
                        G->begin[c + 1]++;
                    else
                        G->seg[fill[c]++] = i;
                }
        }
    }
    free(fill);
}

/* The snap index grid built on two threads (graph_snap.c, grid_build: halves of the
 * segments, the second half's lengths summed after the first's, the first half's cells filled
 * backwards) is, with one thread or two, the grid of one loop over the segments bit for bit:
 * extent, cell size, every cell's segments in order. A jittered lattice of bent lines, some
 * across many cells, >= 65536 segments. */
static void test_snap_grid_two_threads(void **state)
{
    (void)state;
    enum { K = 150, NL = 2 * K * (K - 1) };  /* a K x K lattice of junctions, one network */
    tline *L = calloc(NL, sizeof *L);
    int i = 0;
    for (int dir = 0; dir < 2; dir++)
        for (int a = 0; a < K; a++)
            for (int b = 0; b + 1 < K; b++, i++) {
                int x0 = dir ? a : b, y0 = dir ? b : a, x1 = dir ? a : b + 1, y1 = dir ? b + 1 : a;
                /* junctions jittered by their number; every 7th line bends far out, across cells */
                double bend = i % 7 == 0 ? 130.0 : 9.0 + i % 5;
                L[i].n = 3;
                L[i].cls = PL_ROAD_RESIDENTIAL;
                L[i].speed = 30;
                L[i].xy[0] = 60.0 * x0 + (x0 * 7 + y0 * 3) % 11 + 0.125;
                L[i].xy[1] = 60.0 * y0 + (x0 * 5 + y0 * 13) % 17 + 0.5;
                L[i].xy[4] = 60.0 * x1 + (x1 * 7 + y1 * 3) % 11 + 0.125;
                L[i].xy[5] = 60.0 * y1 + (x1 * 5 + y1 * 13) % 17 + 0.5;
                L[i].xy[2] = (L[i].xy[0] + L[i].xy[4]) / 2 + (dir ? bend : 0);
                L[i].xy[3] = (L[i].xy[1] + L[i].xy[5]) / 2 + (dir ? 0 : bend);
            }
    pl_ctx *ctx = quiet_ctx();
    pl_roads *r = mk_roads(L, NL);
    pl_graph *g = build(ctx, r, PL_MODE_CAR);
    const char *old = getenv("PLATSA_THREADS");
    char *saved = old ? strdup(old) : NULL;
    pl_snap_index *ix[2];
    for (int t = 0; t < 2; t++) {
        setenv("PLATSA_THREADS", t ? "2" : "1", 1);
        long two = pl_snap_grid_two_threads();
        ix[t] = pl_snap_index_new(g, r, 50);
        assert_int_equal(pl_snap_grid_two_threads() - two, t);  /* one thread, then two */
    }
    if (saved)
        setenv("PLATSA_THREADS", saved, 1);
    else
        unsetenv("PLATSA_THREADS");
    free(saved);
    pl_seg_grid ref;
    reference_grid(&ix[0]->big, r, &ref);
    const pl_seg_grid *want = &ref;
    for (int t = 0; t < 2; t++) {
        const pl_seg_grid *a = &ix[t]->grid_big;
        assert_true(a->nseg >= 65536);
        assert_int_equal(a->nseg, ix[0]->big.n);
        assert_memory_equal(&a->minx, &want->minx, sizeof a->minx);
        assert_memory_equal(&a->miny, &want->miny, sizeof a->miny);
        assert_memory_equal(&a->cell, &want->cell, sizeof a->cell);
        assert_int_equal(a->nx, want->nx);
        assert_int_equal(a->ny, want->ny);
        size_t nc = (size_t)(a->nx * a->ny);
        assert_memory_equal(a->begin, want->begin, (nc + 1) * sizeof *a->begin);
        assert_true(a->begin[nc] > a->nseg);  /* some segments in several cells */
        assert_memory_equal(a->seg, want->seg, a->begin[nc] * sizeof *a->seg);
    }
    free(ref.begin);
    free(ref.seg);
    for (int t = 0; t < 2; t++)
        pl_snap_index_free(ix[t]);
    pl_graph_free(g);
    pl_roads_free(r);
    pl_ctx_free(ctx);
    free(L);
}

/* Places far outside the segment grid (#19: a national service list on one county's roads)
 * are searched by blocks of cells: the same nearest road and distance as a look at every
 * segment. 400 jittered streets of 7 segments in a 20 x 20 pattern (75 x 75 cells, 25
 * blocks); places 40 m to 300 km outside, on every side. */
static void test_snap_far_outside_grid(void **state)
{
    (void)state;
    enum { NL = 400, NV = 8 };
    tline *L = calloc(NL, sizeof *L);
    uint32_t seed = 12345;
    for (int i = 0; i < NL; i++) {
        L[i].n = NV;
        L[i].cls = PL_ROAD_RESIDENTIAL;
        L[i].speed = 30;
        for (int j = 0; j < NV; j++) {
            seed = seed * 1103515245u + 12345u;
            L[i].xy[2 * j] = 800.0 * (i % 20) + 100.0 * j + (seed >> 16) % 30;
            seed = seed * 1103515245u + 12345u;
            L[i].xy[2 * j + 1] = 800.0 * (i / 20) + (seed >> 16) % 300;
        }
    }
    pl_ctx *ctx = quiet_ctx();
    pl_roads *r = mk_roads(L, NL);
    pl_graph *g = build(ctx, r, PL_MODE_CAR);
    double xy[2 * 48];
    size_t n = 0;
    const double far[] = {40, 900, 5000, 60000, 300000};
    for (int k = 0; k < 5; k++) {
        double d = far[k];
        double pts[][2] = {{-d, 7000}, {16000 + d, 2000}, {9500, -d}, {3000, 16000 + d}, {-d, -d},
                           {16000 + d, 16000 + d}, {-d * 0.3, 16000 + d}, {16000 + d * 0.7, -d * 0.2}};
        for (int j = 0; j < 8; j++) {
            xy[2 * n] = pts[j][0];
            xy[2 * n + 1] = pts[j][1];
            n++;
        }
    }
    xy[2 * n] = 3500;  /* and one inside */
    xy[2 * n + 1] = 3000;
    n++;
    pl_snap out[48];
    long far0 = pl_snap_far_searches();
    snap_pts(ctx, g, r, xy, n, out);
    assert_true(pl_snap_far_searches() - far0 >= 16);  /* 60 and 300 km out: by blocks */
    for (size_t i = 0; i < n; i++) {
        double best = INFINITY;
        uint32_t best_road = UINT32_MAX;
        for (size_t k = 0; k < r->n; k++)
            for (size_t v = r->first_vertex[k]; v + 1 < r->first_vertex[k + 1]; v++) {
                double x0 = r->vx[v], y0 = r->vy[v], dx = r->vx[v + 1] - x0, dy = r->vy[v + 1] - y0;
                double l2 = dx * dx + dy * dy, t = 0;
                if (l2 > 0) {
                    t = ((xy[2 * i] - x0) * dx + (xy[2 * i + 1] - y0) * dy) / l2;
                    t = t < 0 ? 0 : t > 1 ? 1 : t;
                }
                double qx = x0 + t * dx - xy[2 * i], qy = y0 + t * dy - xy[2 * i + 1];
                if (qx * qx + qy * qy < best) {
                    best = qx * qx + qy * qy;
                    best_road = (uint32_t)k;
                }
            }
        if (out[i].access_m != (float)sqrt(best) || out[i].road != best_road)
            fail_msg("place %zu (%.0f, %.0f): road %u at %.3f m, expected road %u at %.3f m", i, xy[2 * i],
                     xy[2 * i + 1], out[i].road, out[i].access_m, best_road, sqrt(best));
    }
    pl_graph_free(g);
    pl_roads_free(r);
    free(L);
    pl_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_road_classes),
        cmocka_unit_test(test_three_node_line),
        cmocka_unit_test(test_one_way),
        cmocka_unit_test(test_tunnel_not_snapped),
        cmocka_unit_test(test_attachable_by_mode),
        cmocka_unit_test(test_junction_rules),
        cmocka_unit_test(test_junction_end_end),
        cmocka_unit_test(test_junction_end_street_same_layer),
        cmocka_unit_test(test_junction_end_street_other_layer),
        cmocka_unit_test(test_junction_end_structure_same_layer),
        cmocka_unit_test(test_junction_end_structure_other_layer),
        cmocka_unit_test(test_junction_interior_same_layer),
        cmocka_unit_test(test_junction_interior_other_layer),
        cmocka_unit_test(test_junction_stacked),
        cmocka_unit_test(test_topology_ids),
        cmocka_unit_test(test_modes),
        cmocka_unit_test(test_island_unreachable),
        cmocka_unit_test(test_same_edge_k_and_ties),
        cmocka_unit_test(test_distinct_through_nodes),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_keep_search_only),
        cmocka_unit_test(test_property_random_graphs),
        cmocka_unit_test(test_tie_free_distances_any_times),
        cmocka_unit_test(test_snap_threads_and_index),
        cmocka_unit_test(test_threads_same_graph),
        cmocka_unit_test(test_build_all_vertices_apart),
        cmocka_unit_test(test_skip_forward_arcs),
        cmocka_unit_test(test_build_like_random),
        cmocka_unit_test(test_build_like_real_network),
        cmocka_unit_test(test_snap_tie_older_node),
        cmocka_unit_test(test_far_sources_overflow),
        cmocka_unit_test(test_snap_far_outside_grid),
        cmocka_unit_test(test_snap_grid_two_threads),
    };
    return cmocka_run_group_tests_name("graph", tests, NULL, NULL);
}
