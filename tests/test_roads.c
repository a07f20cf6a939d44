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

#include "../gis/graph.h"
#include "../layers/layers.h"
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

    /* Not lines: a clear error. */
    const char *pts = write_text_file(dir, "points.geojson",
                                 "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":{},"
                                 "\"geometry\":{\"type\":\"Point\",\"coordinates\":[18,59]}}]}");
    assert_null(pl_roads_load(ctx, pts, &o, &err));
    assert_int_equal(err.code, PL_EINPUT);
    assert_non_null(strstr(err.msg, "roads must be lines"));
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

int main(void)
{
    GDALAllRegister();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loader_tags),
        cmocka_unit_test(test_stockholm_drive_network),
    };
    return cmocka_run_group_tests_name("roads", tests, NULL, NULL);
}
