/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Roads loader (field detection, tag parsing, OSMnx quirks) and the real Stockholm
 * drive network: graph counts and shortest distances against the data's own lengths. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <gdal.h>
#include <math.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gis/graph.h"
#include "layers/layers.h"
#include "support/testutil.h"

/* Index of the road with this id, or -1. */
static long find_id(const pl_roads *r, int64_t id)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->id[i] == id)
            return (long)i;
    return -1;
}

#define FEAT(id, props, coords)                                                                                   \
    "{\"type\":\"Feature\",\"properties\":{\"osmid\":\"" #id "\"," props "},\"geometry\":{\"type\":\"LineString\"," \
    "\"coordinates\":" coords "}}"

static void test_loader_tags(void **state)
{
    (void)state;
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    const char *dir = scratch_dir("roads_loader");
    const char *json =
        "{\"type\":\"FeatureCollection\",\"features\":["
        FEAT(1, "\"highway\":\"['living_street', 'residential']\",\"maxspeed\":\"['50', '30']\",\"oneway\":\"False\"",
             "[[18.00,59.30],[18.001,59.30]]") ","
        FEAT(2, "\"highway\":\"primary_link\",\"maxspeed\":\"SE:rural\",\"oneway\":\"True\"",
             "[[18.001,59.30],[18.002,59.30]]") ","
        FEAT(3, "\"highway\":\"secondary\",\"maxspeed\":\"30 mph\",\"oneway\":\"-1\",\"bridge\":\"yes\",\"layer\":\"1\"",
             "[[18.002,59.30],[18.003,59.30]]") ","
        FEAT(4, "\"highway\":\"residential\",\"access\":\"no\",\"tunnel\":\"building_passage\"",
             "[[18.003,59.30],[18.004,59.30]]") ","
        FEAT(5, "\"highway\":\"service\",\"access\":\"private\",\"foot\":\"yes\",\"junction\":\"roundabout\"",
             "[[18.004,59.30],[18.005,59.30]]") ","
        FEAT(6, "\"route\":\"ferry\",\"maxspeed\":\"none\"", "[[18.005,59.30],[18.006,59.31]]") ","
        FEAT(7, "\"highway\":\"construction\"", "[[18.006,59.30],[18.007,59.30]]") ","
        FEAT(8, "\"highway\":\"residential\"", "[[18.007,59.30],[18.007,59.30]]") ","
        /* 9 is 1 reversed, both two-way: a directed export's twin, dropped. */
        FEAT(9, "\"highway\":\"residential\",\"oneway\":\"False\"", "[[18.001,59.30],[18.00,59.30]]") ","
        FEAT(10, "\"highway\":\"unclassified\",\"motor_vehicle\":\"no\",\"oneway:bicycle\":\"no\",\"oneway\":\"yes\"",
             "[[18.01,59.30],[18.02,59.30]]") ","
        "{\"type\":\"Feature\",\"properties\":{\"osmid\":\"11\",\"highway\":\"tertiary\",\"maxspeed\":\"SE:urban\"},"
        "\"geometry\":{\"type\":\"MultiLineString\",\"coordinates\":[[[18.1,59.3],[18.11,59.3]],[[18.2,59.3],[18.21,59.3]]]}}"
        "]}";
    const char *path = write_text_file(dir, "roads.geojson", json);
    pl_error err = {0};
    pl_load_opts o;
    memset(&o, 0, sizeof o);
    pl_roads *r = pl_roads_load(ctx, path, &o, &err);
    assert_non_null(r);
    assert_int_equal(r->n, 9); /* 11 features - construction - 1-vertex - twin + a second part */
    assert_int_equal(pl_warn_count(ctx, "roads-not-built"), 1);
    assert_int_equal(pl_warn_count(ctx, "roads-short"), 1);
    long i;
    i = find_id(r, 1);
    assert_int_equal(r->road_class[i], PL_ROAD_LIVING_STREET);
    assert_true(r->speed_kmh[i] == 30.0f);
    assert_int_equal(r->oneway[i], 0);
    assert_int_equal(find_id(r, 9), -1);
    i = find_id(r, 2);
    assert_int_equal(r->road_class[i], PL_ROAD_PRIMARY);
    assert_true(r->speed_kmh[i] == 70.0f);
    assert_int_equal(r->oneway[i], 1);
    i = find_id(r, 3);
    assert_int_equal(r->road_class[i], PL_ROAD_SECONDARY);
    assert_true(fabsf(r->speed_kmh[i] - 48.28032f) < 1e-3f);
    assert_int_equal(r->oneway[i], -1);
    assert_int_equal(r->flags[i], PL_ROAD_BRIDGE);
    assert_int_equal(r->layer[i], 1);
    i = find_id(r, 4);
    assert_int_equal(r->flags[i], PL_ROAD_NO_CAR | PL_ROAD_NO_BIKE | PL_ROAD_NO_FOOT | PL_ROAD_TUNNEL);
    i = find_id(r, 5);
    assert_int_equal(r->flags[i], PL_ROAD_NO_CAR | PL_ROAD_NO_BIKE);
    assert_int_equal(r->oneway[i], 1);
    i = find_id(r, 6);
    assert_int_equal(r->road_class[i], PL_ROAD_FERRY);
    assert_int_equal(r->flags[i], PL_ROAD_IS_FERRY);
    assert_true(r->speed_kmh[i] == 0.0f);
    i = find_id(r, 10);
    assert_int_equal(r->flags[i], PL_ROAD_NO_CAR | PL_ROAD_BIKE_BOTH_WAYS);
    i = find_id(r, 11);
    assert_true(r->speed_kmh[i] == 50.0f);
    assert_int_equal(r->first_vertex[i + 1] - r->first_vertex[i], 2);
    assert_int_equal(r->id[i + 1], 11); /* the second part */
    /* Coordinates are in SWEREF 99 TM, about 674 km east. */
    assert_true(r->vx[0] > 600000 && r->vx[0] < 700000 && r->vy[0] > 6500000 && r->vy[0] < 6700000);
    pl_roads_free(r);

    /* NVDB-shaped lines without NVDB's coded names (the osm profile reads Motorvag and
     * Motortrafikled too): a motortrafikled closes a road to bikes and pedestrians, a motorväg is
     * a motorway; then no place attaches to it by car; 0 / -1 (NVDB's "undefined") / empty leave
     * it open. */
    const char *nvdb = write_text_file(dir, "nvdb.geojson",
        "{\"type\":\"FeatureCollection\",\"features\":["
        FEAT(1, "\"Klass\":\"1\",\"Motortrafikled\":\"1\",\"Motorvag\":\"\"", "[[18.00,59.30],[18.001,59.30]]") ","
        FEAT(2, "\"Klass\":\"1\",\"Motortrafikled\":\"-1\",\"Motorvag\":\"1\"", "[[18.001,59.30],[18.002,59.30]]") ","
        FEAT(3, "\"Klass\":\"1\",\"Motortrafikled\":\"0\",\"Motorvag\":\"\"", "[[18.002,59.30],[18.003,59.30]]")
        "]}");
    r = pl_roads_load(ctx, nvdb, &o, &err);
    assert_non_null(r);
    assert_int_equal(r->n, 3);
    for (int64_t id = 1; id <= 3; id++) {
        i = find_id(r, id);
        assert_int_equal(r->road_class[i], id == 2 ? PL_ROAD_MOTORWAY : PL_ROAD_TRUNK);
        assert_int_equal(r->flags[i], id < 3 ? PL_ROAD_NO_BIKE | PL_ROAD_NO_FOOT : 0);
        assert_int_equal(pl_road_attachable(r, (size_t)i, PL_MODE_CAR), id == 3);
    }
    pl_roads_free(r);

    /* Not lines: a clear error. */
    const char *pts = write_text_file(dir, "points.geojson",
                                 "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":{},"
                                 "\"geometry\":{\"type\":\"Point\",\"coordinates\":[18,59]}}]}");
    assert_null(pl_roads_load(ctx, pts, &o, &err));
    assert_int_equal(err.code, PL_EINPUT);
    assert_non_null(strstr(err.msg, "roads must be lines"));
    pl_ctx_free(ctx);
}

/* ---------- roads that carry topology (source/target) ---------- */

#define TFEAT(id, src, dst, coords)                                                                               \
    "{\"type\":\"Feature\",\"properties\":{\"osmid\":" #id ",\"highway\":\"footway\",\"source\":" src              \
    ",\"target\":" dst "},\"geometry\":{\"type\":\"LineString\",\"coordinates\":" coords "}}"

static const char *topo_file(const char *dir, const char *name, const char *features)
{
    char json[4096];
    snprintf(json, sizeof json, "{\"type\":\"FeatureCollection\",\"features\":[%s]}", features);
    return write_text_file(dir, name, json);
}

/* source/target read as ids (from GeoJSON through OGR and from a GeoPackage through the batch
 * reader); a zero-length line with source == target skipped and counted, one with two ids
 * kept as a connector; the graph joins by ids only. */
static void test_topology_fields(void **state)
{
    (void)state;
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    const char *dir = scratch_dir("roads_topology");
    /* 1 and 2 cross at a shared vertex (not joined: other ids); 3 starts 20 m from 2's end with
     * 2's target id (joined); 4 is a zero loop; 5 a zero connector from 3's end to 6. */
    const char *path = topo_file(dir, "topo.geojson",
        TFEAT(1, "10", "11", "[[18.000,59.30],[18.001,59.30],[18.002,59.30]]") ","
        TFEAT(2, "12", "13", "[[18.001,59.299],[18.001,59.30],[18.001,59.301]]") ","
        TFEAT(3, "13", "14", "[[18.0013,59.301],[18.003,59.301]]") ","
        TFEAT(4, "14", "14", "[[18.003,59.301],[18.003,59.301]]") ","
        TFEAT(5, "14", "15", "[[18.003,59.301],[18.003,59.301]]") ","
        TFEAT(6, "15", "16", "[[18.003,59.301],[18.004,59.302]]"));
    char gpkg[1024];
    snprintf(gpkg, sizeof gpkg, "%s/topo.gpkg", dir);
    assert_int_equal(run_cmd("ogr2ogr -f GPKG '%s' '%s' -nln roads >/dev/null 2>&1", gpkg, path), 0);
    pl_load_opts o;
    memset(&o, 0, sizeof o);
    pl_error err = {0};
    pl_roads *r[2];
    for (int k = 0; k < 2; k++) {
        r[k] = pl_roads_load(ctx, k ? gpkg : path, &o, &err);
        assert_non_null(r[k]);
        assert_int_equal(r[k]->n, 5);
        assert_non_null(r[k]->node_source);
        assert_int_equal(r[k]->node_source[2], 13);
        assert_int_equal(r[k]->node_target[2], 14);
        assert_int_equal(r[k]->id[3], 5);
        assert_int_equal(r[k]->first_vertex[4] - r[k]->first_vertex[3], 2); /* the connector */
        assert_int_equal(pl_warn_count(ctx, "roads-topology-zero-loop"), k + 1);
    }
    free(r[1]->source);
    r[1]->source = strdup(r[0]->source);
    assert_same_roads(r[0], r[1]);
    pl_graph_opts go;
    pl_graph_opts_default(&go);
    go.mode = PL_MODE_WALK;
    pl_graph *g = pl_graph_build(ctx, r[0], &go, &err);
    assert_int_equal(g->n_nodes, 7);        /* ids 10..16 */
    assert_int_equal(g->n_components, 2);   /* 1 alone; 2, 3, 5, 6 */
    assert_int_equal(g->component_nodes[0], 5);
    pl_graph_free(g);
    pl_roads_free(r[0]);
    pl_roads_free(r[1]);

    /* --source-field/--target-field: text fields taken when named (auto-detection wants integers). */
    const char *txt = topo_file(dir, "text.geojson",
        TFEAT(1, "\"a\"", "\"2\"", "[[18.000,59.30],[18.001,59.30]]"));
    pl_roads *t = pl_roads_load(ctx, txt, &o, &err);
    assert_non_null(t);
    assert_null(t->node_source);
    pl_roads_free(t);
    o.source_field = "source";
    o.target_field = "target";
    assert_null(pl_roads_load(ctx, txt, &o, &err));
    assert_int_equal(err.code, PL_EINPUT);
    assert_non_null(strstr(err.msg, "feature 0: source is not an integer"));
    o.target_field = NULL;
    assert_null(pl_roads_load(ctx, txt, &o, &err));
    assert_non_null(strstr(err.msg, "--source-field and --target-field go together"));
    memset(&o, 0, sizeof o);

    /* A line without a target id: refused, naming the feature. */
    const char *bad = topo_file(dir, "null.geojson",
        TFEAT(1, "1", "2", "[[18.000,59.30],[18.001,59.30]]") ","
        TFEAT(2, "2", "null", "[[18.001,59.30],[18.002,59.30]]"));
    snprintf(gpkg, sizeof gpkg, "%s/null.gpkg", dir);
    assert_int_equal(run_cmd("ogr2ogr -f GPKG '%s' '%s' -nln roads >/dev/null 2>&1", gpkg, bad), 0);
    for (int k = 0; k < 2; k++) {
        memset(&err, 0, sizeof err);
        assert_null(pl_roads_load(ctx, k ? gpkg : bad, &o, &err));
        assert_int_equal(err.code, PL_EINPUT);
        assert_non_null(strstr(err.msg, k ? "feature 2: target is empty" : "feature 1: target is empty"));
    }
    /* A feature of two lines: one source and target cannot name the ends of both. */
    const char *multi = topo_file(dir, "multi.geojson",
        "{\"type\":\"Feature\",\"properties\":{\"source\":1,\"target\":2},\"geometry\":{\"type\":"
        "\"MultiLineString\",\"coordinates\":[[[18.1,59.3],[18.11,59.3]],[[18.2,59.3],[18.21,59.3]]]}}");
    assert_null(pl_roads_load(ctx, multi, &o, &err));
    assert_non_null(strstr(err.msg, "feature 0: 2 lines in one feature"));
    pl_ctx_free(ctx);
}

/* A place exactly at node v. */
static pl_snap at_node(uint32_t v)
{
    pl_snap s;
    memset(&s, 0, sizeof s);
    s.node_a = s.node_b = v;
    s.to_a = s.to_b = s.from_a = s.from_b = 1;
    s.edge = s.road = UINT32_MAX;
    s.status = PL_SNAP_OK;
    return s;
}

static uint32_t node_at(const pl_graph *g, double x, double y)
{
    for (uint32_t v = 0; v < g->n_nodes; v++)
        if (fabs(g->node_x[v] - x) < 0.01 && fabs(g->node_y[v] - y) < 0.01)
            return v;
    return UINT32_MAX;
}

/* The topology fixture (tests/data/topology, also routed by pgRouting in make test-pgrouting):
 * OSM-like ways with a pedestrian tunnel network (two tunnels sharing an interior node at
 * layer -1, a street through the same position at layer 0) and a bridge over a street drawn
 * through a vertex of each; and the same ways split at their shared nodes with source/target.
 * Joined by position with the junction table, the ways give the same node-to-node walking
 * distances as the split lines joined by their ids (before the table, the tunnels did not
 * join: 100-800 m detours). */
static void test_topology_fixture(void **state)
{
    (void)state;
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_load_opts o;
    memset(&o, 0, sizeof o);
    pl_error err = {0};
    pl_roads *ids = pl_roads_load(ctx, PLATSA_SOURCE_DIR "/tests/data/topology/roads.geojson", &o, &err);
    pl_roads *pos = pl_roads_load(ctx, PLATSA_SOURCE_DIR "/tests/data/topology/ways.geojson", &o, &err);
    assert_non_null(ids);
    assert_non_null(pos);
    assert_non_null(ids->node_source);
    assert_null(pos->node_source);
    pl_graph_opts go;
    pl_graph_opts_default(&go);
    go.mode = PL_MODE_WALK;
    pl_graph *gi = pl_graph_build(ctx, ids, &go, &err), *gp = pl_graph_build(ctx, pos, &go, &err);
    assert_int_equal(gi->n_nodes, 13);
    assert_int_equal(gp->n_nodes, gi->n_nodes);
    assert_int_equal(gp->n_edges, gi->n_edges);
    assert_int_equal(gi->n_components, 1);
    assert_int_equal(gp->n_components, 1);
    uint32_t n = gi->n_nodes;
    pl_snap *to_i = calloc(n, sizeof *to_i), *to_p = calloc(n, sizeof *to_p);
    for (uint32_t v = 0; v < n; v++) {
        uint32_t w = node_at(gp, gi->node_x[v], gi->node_y[v]);
        assert_true(w != UINT32_MAX);
        to_i[v] = at_node(v);
        to_p[v] = at_node(w);
    }
    pl_label *li = calloc(n, sizeof *li), *lp = calloc(n, sizeof *lp);
    for (uint32_t v = 0; v < n; v++) {
        assert_int_equal(pl_graph_one_to_many(ctx, gi, &to_i[v], to_i, n, PL_METRIC_DISTANCE, li, &err), PL_OK);
        assert_int_equal(pl_graph_one_to_many(ctx, gp, &to_p[v], to_p, n, PL_METRIC_DISTANCE, lp, &err), PL_OK);
        for (uint32_t w = 0; w < n; w++)
            assert_true(fabs(li[w].dist_m - lp[w].dist_m) < 1e-3);
    }
    /* From the street end of tunnel T1 (node 3, at 674200,6580000) to the foot of the steps
     * (node 11): through the tunnel junction, 2 x 141.4 m. */
    uint32_t a = node_at(gi, 674200, 6580000), b = node_at(gi, 674400, 6580000);
    assert_int_equal(pl_graph_one_to_many(ctx, gi, &to_i[a], &to_i[b], 1, PL_METRIC_DISTANCE, li, &err), PL_OK);
    assert_true(fabs(li[0].dist_m - 400 * sqrt(0.5)) < 1e-3);
    free(to_i);
    free(to_p);
    free(li);
    free(lp);
    pl_graph_free(gi);
    pl_graph_free(gp);
    pl_roads_free(ids);
    pl_roads_free(pos);
    pl_ctx_free(ctx);
}

/* ---------- real data: Stockholm drive network (OSMnx) ---------- */

typedef struct ref_graph {
    int n;             /* nodes */
    int64_t *osmid;
    double *x, *y;     /* EPSG:3006 */
    int m;
    int *u, *v;
    double *len;
} ref_graph;

static int node_index(const ref_graph *R, int64_t id)
{
    for (int i = 0; i < R->n; i++)
        if (R->osmid[i] == id)
            return i;
    return -1;
}

static void ref_load(ref_graph *R, const char *dir)
{
    char path[4200];
    memset(R, 0, sizeof *R);
    OGRSpatialReferenceH wgs = OSRNewSpatialReference(NULL), sw = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(wgs, 4326);
    OSRImportFromEPSG(sw, 3006);
    OSRSetAxisMappingStrategy(wgs, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(sw, OAMS_TRADITIONAL_GIS_ORDER);
    OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(wgs, sw);
    snprintf(path, sizeof path, "%s/nodes.shp", dir);
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH l = GDALDatasetGetLayer(ds, 0);
    R->n = (int)OGR_L_GetFeatureCount(l, 1);
    R->osmid = calloc((size_t)R->n, sizeof *R->osmid);
    R->x = calloc((size_t)R->n, sizeof *R->x);
    R->y = calloc((size_t)R->n, sizeof *R->y);
    OGRFeatureH f;
    int k = 0;
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        double x = OGR_G_GetX(g, 0), y = OGR_G_GetY(g, 0), z = 0;
        OCTTransform(ct, 1, &x, &y, &z);
        R->osmid[k] = strtoll(OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "osmid")), NULL, 10);
        R->x[k] = x;
        R->y[k] = y;
        k++;
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
    snprintf(path, sizeof path, "%s/edges.shp", dir);
    ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    l = GDALDatasetGetLayer(ds, 0);
    int cap = (int)OGR_L_GetFeatureCount(l, 1);
    R->u = calloc((size_t)cap, sizeof *R->u);
    R->v = calloc((size_t)cap, sizeof *R->v);
    R->len = calloc((size_t)cap, sizeof *R->len);
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        const char *access = OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "access"));
        /* The loader's rule: access no/private close the road; psv etc. close it to cars. */
        int closed = !strcmp(access, "no") || !strcmp(access, "private") || !strcmp(access, "psv");
        if (!closed) {
            R->u[R->m] = node_index(R, OGR_F_GetFieldAsInteger64(f, OGR_F_GetFieldIndex(f, "u")));
            R->v[R->m] = node_index(R, OGR_F_GetFieldAsInteger64(f, OGR_F_GetFieldIndex(f, "v")));
            R->len[R->m] = OGR_F_GetFieldAsDouble(f, OGR_F_GetFieldIndex(f, "length"));
            assert_true(R->u[R->m] >= 0 && R->v[R->m] >= 0);
            R->m++;
        }
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
    OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(wgs);
    OSRDestroySpatialReference(sw);
}

/* Dijkstra (O(n^2)) over the data's own directed edges and lengths. */
static void ref_dijkstra(const ref_graph *R, int from, double *d)
{
    char *done = calloc((size_t)R->n, 1);
    for (int i = 0; i < R->n; i++)
        d[i] = INFINITY;
    d[from] = 0;
    for (;;) {
        int u = -1;
        for (int i = 0; i < R->n; i++)
            if (!done[i] && isfinite(d[i]) && (u < 0 || d[i] < d[u]))
                u = i;
        if (u < 0)
            break;
        done[u] = 1;
        for (int e = 0; e < R->m; e++)
            if (R->u[e] == u && d[u] + R->len[e] < d[R->v[e]])
                d[R->v[e]] = d[u] + R->len[e];
    }
    free(done);
}

static void test_stockholm_drive_network(void **state)
{
    (void)state;
    char dir[4000];
    snprintf(dir, sizeof dir, "%.3900s", real_data("osm-stockholm-drive-network-fmm"));
    char edges[4200];
    snprintf(edges, sizeof edges, "%s/edges.shp", dir);
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};
    pl_load_opts o;
    memset(&o, 0, sizeof o);
    pl_roads *r = pl_roads_load(ctx, edges, &o, &err);
    assert_non_null(r);
    /* 1,308 directed records; the 650 two-way ones are 325 twin pairs. */
    assert_int_equal(r->n, 1308 - 325);
    pl_graph_opts go;
    pl_graph_opts_default(&go);
    pl_graph *g = pl_graph_build(ctx, r, &go, &err);
    assert_non_null(g);
    /* Joined by OSMnx's u and v (auto-detected), the graph is the one joined by position:
     * OSMnx's edges meet exactly at its nodes. */
    assert_non_null(r->node_source);
    int64_t *keep_s = r->node_source, *keep_t = r->node_target;
    r->node_source = r->node_target = NULL;
    pl_graph *gp = pl_graph_build(ctx, r, &go, &err);
    r->node_source = keep_s;
    r->node_target = keep_t;
    assert_int_equal(gp->n_nodes, g->n_nodes);
    assert_int_equal(gp->n_edges, g->n_edges);
    assert_memory_equal(gp->edge_a, g->edge_a, g->n_edges * sizeof *g->edge_a);
    assert_memory_equal(gp->edge_b, g->edge_b, g->n_edges * sizeof *g->edge_b);
    assert_memory_equal(gp->node_x, g->node_x, g->n_nodes * sizeof *g->node_x);
    pl_graph_free(gp);
    ref_graph R;
    ref_load(&R, dir);
    fprintf(stderr, "stockholm car graph: %u nodes, %u edges, %u arcs, %u components (largest %u); "
            "data: %d nodes, %d usable directed edges\n", g->n_nodes, g->n_edges, g->n_arcs, g->n_components,
            g->component_nodes[0], R.n, R.m);
    /* Every OSMnx node that an open road touches is a graph node, and no more. */
    assert_true(g->n_nodes <= (uint32_t)R.n && g->n_nodes >= (uint32_t)R.n - 30);
    assert_true(g->n_arcs == (uint32_t)R.m);
    assert_true(g->component_nodes[0] > 0.9 * g->n_nodes);

    /* Shortest distances between OSM nodes equal the sums of the data's `length` along
     * the shortest paths, to within 0.5 %: OSMnx measures great circles on a sphere of
     * radius 6,371,009 m, we measure in SWEREF 99 TM, whose scale here is within 1e-4 of
     * the ellipsoid; the sphere's radius is 0.2-0.4 % short of the ellipsoid's at 59 N. */
    double *d = malloc((size_t)R.n * sizeof *d);
    pl_snap *snaps = malloc((size_t)R.n * sizeof *snaps);
    pl_snap_opts so;
    pl_snap_opts_default(&so);
    assert_int_equal(pl_graph_snap(ctx, g, r, R.x, R.y, (size_t)R.n, &so, snaps, &err), PL_OK);
    pl_label *lab = malloc((size_t)R.n * sizeof *lab);
    int compared = 0, max_path = 0;
    double worst = 0;
    for (int s = 0; s < R.n; s += 37) {
        if (snaps[s].access_m > 0.01)
            continue;
        ref_dijkstra(&R, s, d);
        assert_int_equal(pl_graph_one_to_many(ctx, g, &snaps[s], snaps, (size_t)R.n, PL_METRIC_DISTANCE, lab, &err),
                         PL_OK);
        for (int t = 0; t < R.n; t++) {
            if (snaps[t].access_m > 0.01 || !isfinite(d[t]))
                continue;
            if (!isfinite(lab[t].dist_m))
                fail_msg("node %d -> %d: data path %.1f m, graph unreachable", s, t, d[t]);
            double rel = fabs(lab[t].dist_m - d[t]) / fmax(d[t], 1.0);
            if (rel > worst)
                worst = rel;
            if (!(fabs(lab[t].dist_m - d[t]) <= 0.005 * d[t] + 0.05))
                fail_msg("node %d -> %d: graph %.2f m, data %.2f m", s, t, lab[t].dist_m, d[t]);
            if (d[t] > max_path)
                max_path = (int)d[t];
            compared++;
        }
    }
    fprintf(stderr, "stockholm: %d node pairs compared (longest %d m), worst relative difference %.5f\n", compared,
            max_path, worst);
    assert_true(compared > 5000);

    /* k nearest on real geometry (snapped off-node places, one-way streets): the multi-
     * source search equals, per target, the best sources of a forward search from it. */
    enum { NS = 25, NT = 300, K = 2 };
    double sx[NS], sy[NS], tx[NT], ty[NT];
    uint64_t st = 12345;
    for (int i = 0; i < NS + NT; i++) {
        st = st * 6364136223846793005ULL + 1442695040888963407ULL;
        double fx = (double)(st >> 11) / 9007199254740992.0;
        st = st * 6364136223846793005ULL + 1442695040888963407ULL;
        double fy = (double)(st >> 11) / 9007199254740992.0;
        int n0 = (int)(fx * R.n);
        double x = R.x[n0] + 60 * (fy - 0.5), y = R.y[n0] + 60 * (fx * 7 - floor(fx * 7) - 0.5);
        if (i < NS) {
            sx[i] = x;
            sy[i] = y;
        } else {
            tx[i - NS] = x;
            ty[i - NS] = y;
        }
    }
    pl_snap ss[NS], ts[NT];
    assert_int_equal(pl_graph_snap(ctx, g, r, sx, sy, NS, &so, ss, &err), PL_OK);
    assert_int_equal(pl_graph_snap(ctx, g, r, tx, ty, NT, &so, ts, &err), PL_OK);
    for (int m = 0; m < 2; m++) {
        pl_label kl[NT * K], fw[NS];
        pl_search_opts sopt = {.metric = (pl_metric)m, .k = K, .cutoff = INFINITY};
        assert_int_equal(pl_graph_nearest_k(ctx, g, ss, NS, ts, NT, &sopt, kl, &err), PL_OK);
        for (int t = 0; t < NT; t++) {
            pl_graph_one_to_many(ctx, g, &ts[t], ss, NS, (pl_metric)m, fw, &err);
            double best[K] = {INFINITY, INFINITY};
            for (int i = 0; i < NS; i++) {
                double v = m ? fw[i].time_s : fw[i].dist_m;
                if (v < best[0]) {
                    best[1] = best[0];
                    best[0] = v;
                } else if (v < best[1]) {
                    best[1] = v;
                }
            }
            for (int j = 0; j < K; j++) {
                double got = m ? kl[t * K + j].time_s : kl[t * K + j].dist_m;
                if (!(isinf(got) && isinf(best[j])) && !(fabs(got - best[j]) <= 1e-9 * fmax(1, best[j])))
                    fail_msg("metric %d target %d label %d: search %.12g, forward %.12g", m, t, j, got, best[j]);
            }
        }
    }

    /* The CLI diagnostics command on the same data. */
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "build/platsa -q route --roads '%s' --from 18.0654461,59.3409473 "
             "--to 18.0544464,59.3510586 --lonlat > build/test-tmp/route.txt 2>&1", edges);
    assert_int_equal(run_cmd("mkdir -p build/test-tmp && %s", cmd), 0);
    FILE *f = fopen("build/test-tmp/route.txt", "r");
    assert_non_null(f);
    char text[4096];
    size_t nread = fread(text, 1, sizeof text - 1, f);
    text[nread] = '\0';
    fclose(f);
    assert_non_null(strstr(text, "nodes:       643"));
    assert_non_null(strstr(text, "components:  1"));
    assert_non_null(strstr(text, "shortest:    1496.1 m"));
    assert_int_equal(run_cmd("build/platsa route --help > /dev/null"), 0);
    assert_int_equal(run_cmd("build/platsa route --roads '%s' --mode boat > /dev/null 2>&1", edges), 1);
    free(d);
    free(snaps);
    free(lab);
    free(R.osmid);
    free(R.x);
    free(R.y);
    free(R.u);
    free(R.v);
    free(R.len);
    pl_graph_free(g);
    pl_roads_free(r);
    pl_ctx_free(ctx);
}


static const char *platsa_bin(void)
{
    const char *b = getenv("PLATSA_BIN");
    return b && *b ? b : "build/platsa";
}

/* ---------- road profiles: NVDB's shapes (tests/data/nvdb-shape, hand-checkable) ---------- */

static void test_nvdb_homogenised_profile(void **state)
{
    (void)state;
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};
    pl_load_opts o;
    memset(&o, 0, sizeof o);
    pl_roads *r = pl_roads_load(ctx, "tests/data/nvdb-shape/nvdb_homogeniserad.geojson", &o, &err);
    assert_non_null(r);
    assert_int_equal(r->n, 10);
    long i = find_id(r, 1);
    assert_int_equal(r->road_class[i], PL_ROAD_SECONDARY);  /* Klass_181 3 */
    assert_true(r->speed_kmh[i] == 70.0f);
    assert_int_equal(r->oneway[i], 0);
    assert_int_equal(r->flags[i], 0);
    i = find_id(r, 2);                                       /* 50 along, 30 against: the lower */
    assert_int_equal(r->road_class[i], PL_ROAD_UNCLASSIFIED);
    assert_true(r->speed_kmh[i] == 30.0f);
    assert_int_equal(pl_warn_count(ctx, "roads-speed-by-direction"), 1);
    assert_int_equal(r->oneway[find_id(r, 3)], -1);          /* forbidden along: one-way against */
    assert_int_equal(r->oneway[find_id(r, 4)], 1);           /* forbidden against: one-way along */
    i = find_id(r, 5);
    assert_true(r->flags[i] & PL_ROAD_NO_CAR);               /* forbidden both ways */
    assert_int_equal(pl_warn_count(ctx, "roads-forbidden-both-ways"), 1);
    i = find_id(r, 6);
    assert_int_equal(r->road_class[i], PL_ROAD_FERRY);
    assert_true(r->flags[i] & PL_ROAD_IS_FERRY);
    i = find_id(r, 7);
    assert_int_equal(r->road_class[i], PL_ROAD_MOTORWAY);
    assert_int_equal(r->flags[i], PL_ROAD_NO_BIKE | PL_ROAD_NO_FOOT);
    i = find_id(r, 8);
    assert_int_equal(r->road_class[i], PL_ROAD_TRUNK);
    assert_int_equal(r->flags[i], PL_ROAD_NO_BIKE | PL_ROAD_NO_FOOT);
    i = find_id(r, 9);                                       /* Vagtr_474 2: cycle network */
    assert_int_equal(r->flags[i], PL_ROAD_NO_CAR);
    assert_int_equal(pl_warn_count(ctx, "roads-not-car-network"), 1);
    i = find_id(r, 10);                                      /* no limit: the class default applies */
    assert_int_equal(r->road_class[i], PL_ROAD_TRACK);
    assert_true(r->speed_kmh[i] == 0.0f);
    pl_roads_free(r);

    /* The user's field wins over the profile's: --speed-field B_Hogst_225 alone. */
    pl_warn_reset(ctx);
    o.road.speed_field = "b_hogst_225";
    r = pl_roads_load(ctx, "tests/data/nvdb-shape/nvdb_homogeniserad.geojson", &o, &err);
    assert_non_null(r);
    assert_true(r->speed_kmh[find_id(r, 2)] == 30.0f);
    assert_int_equal(pl_warn_count(ctx, "roads-speed-by-direction"), 0);
    pl_roads_free(r);
    o.road.speed_field = "F_Hogst_225";
    r = pl_roads_load(ctx, "tests/data/nvdb-shape/nvdb_homogeniserad.geojson", &o, &err);
    assert_true(r->speed_kmh[find_id(r, 2)] == 50.0f);
    pl_roads_free(r);

    /* A field that is not there, an unknown profile: refused, naming what to do. */
    o.road.speed_field = "Hastighet";
    assert_null(pl_roads_load(ctx, "tests/data/nvdb-shape/nvdb_homogeniserad.geojson", &o, &err));
    assert_int_equal(err.code, PL_EINPUT);
    assert_non_null(strstr(err.msg, "no field 'Hastighet' (from --speed-field)"));
    o.road.speed_field = NULL;
    o.road.profile = "nvbd";
    assert_null(pl_roads_load(ctx, "tests/data/nvdb-shape/nvdb_homogeniserad.geojson", &o, &err));
    assert_int_equal(err.code, PL_EINPUT);
    assert_non_null(strstr(err.msg, "--road-profile nvbd: no such profile; profiles are: nvdb, nvdb-dk, osm"));

    /* Forced to the osm profile, the NVDB fields are not read: every line is 'other'. */
    o.road.profile = "osm";
    r = pl_roads_load(ctx, "tests/data/nvdb-shape/nvdb_homogeniserad.geojson", &o, &err);
    assert_non_null(r);
    assert_int_equal(r->road_class[find_id(r, 1)], PL_ROAD_OTHER);
    pl_roads_free(r);
    pl_ctx_free(ctx);
}

static void test_nvdb_dk_profile(void **state)
{
    (void)state;
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};
    pl_load_opts o;
    memset(&o, 0, sizeof o);
    pl_roads *r = pl_roads_load(ctx, "tests/data/nvdb-shape/nvdb_dk_joined.geojson", &o, &err);
    assert_non_null(r);
    assert_int_equal(r->n, 5);
    assert_int_equal(r->road_class[0], PL_ROAD_SECONDARY);
    assert_true(r->speed_kmh[0] == 70.0f);
    assert_int_equal(r->oneway[1], 1);   /* RIKTNING Mot: forbidden against */
    assert_int_equal(r->oneway[2], -1);  /* Med: forbidden along */
    assert_true(r->flags[3] & PL_ROAD_NO_CAR);
    assert_int_equal(r->road_class[4], PL_ROAD_FERRY);
    pl_roads_free(r);
    pl_ctx_free(ctx);
}

/* platsa info names the profile and the fields it reads. */
static void test_info_names_road_profile(void **state)
{
    (void)state;
    const char *out = scratch_dir("roads_info");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s info tests/data/nvdb-shape/nvdb_homogeniserad.geojson > %s/info.txt 2>&1",
             platsa_bin(), out);
    assert_int_equal(system(cmd), 0);
    char path[1024], text[8192] = "";
    snprintf(path, sizeof path, "%s/info.txt", out);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    assert_non_null(strstr(text, "road profile: nvdb (Trafikverket NVDB, homogenised one-layer export"));
    assert_non_null(strstr(text, "class Klass_181, speed F_Hogst_225, speed_backward B_Hogst_225"));
    assert_non_null(strstr(text, "car_network Vagtr_474"));
}

int main(void)
{
    GDALAllRegister();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loader_tags),
        cmocka_unit_test(test_topology_fields),
        cmocka_unit_test(test_topology_fixture),
        cmocka_unit_test(test_stockholm_drive_network),
        cmocka_unit_test(test_nvdb_homogenised_profile),
        cmocka_unit_test(test_nvdb_dk_profile),
        cmocka_unit_test(test_info_names_road_profile),
    };
    return cmocka_run_group_tests_name("roads", tests, NULL, NULL);
}
