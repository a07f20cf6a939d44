/* The network cache (layers/network.c): a warm run gives the same roads, graph and
 * warnings without reading the roads file; a changed file, option or a damaged cache
 * gives a rebuild. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <gdal.h>
#include <gdal_utils.h>

#include "../layers/network.h"
#include "support/testutil.h"

static char roads_path[800], cache_path[512];

/* Three streets (the tertiary one signed `speed` km/h) and one proposed road (a counted
 * "roads-not-built" warning). */
static void write_roads_speed(const char *path, double x_end, int speed)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":"
            "\"urn:ogc:def:crs:EPSG::3006\"}},\"features\":[\n"
            "{\"type\":\"Feature\",\"properties\":{\"highway\":\"residential\",\"osm_id\":1},"
            "\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[500000,6500000],[500100,6500000],"
            "[%.1f,6500000]]}},\n"
            "{\"type\":\"Feature\",\"properties\":{\"highway\":\"residential\",\"osm_id\":2,\"oneway\":\"yes\"},"
            "\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[500100,6499900],[500100,6500000],"
            "[500100,6500100]]}},\n"
            "{\"type\":\"Feature\",\"properties\":{\"highway\":\"tertiary\",\"osm_id\":3,\"maxspeed\":\"%d\"},"
            "\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[500100,6500100],[500400,6500300]]}},\n"
            "{\"type\":\"Feature\",\"properties\":{\"highway\":\"proposed\",\"osm_id\":4},"
            "\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[500400,6500300],[500900,6500300]]}}\n"
            "]}\n",
            x_end, speed);
    fclose(f);
}

static void write_roads(const char *path, double x_end)
{
    write_roads_speed(path, x_end, 70);
}

static int setup(void **state)
{
    (void)state;
    GDALAllRegister();
    const char *dir = scratch_dir("network");
    snprintf(roads_path, sizeof roads_path, "%s/roads.geojson", dir);
    snprintf(cache_path, sizeof cache_path, "%s/net.cache", dir);
    return 0;
}

static pl_ctx *quiet_ctx(void)
{
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    return ctx;
}

static void load(pl_ctx *ctx, pl_mode mode, pl_roads **r, pl_graph **g, pl_network_stats *st)
{
    pl_graph_opts go;
    pl_graph_opts_default(&go);
    go.mode = mode;
    go.cache_path = cache_path;
    pl_error err = {0};
    int rc = pl_network_load(ctx, roads_path, NULL, &go, r, g, st, &err);
    if (rc != PL_OK)
        fail_msg("%s", err.msg);
}

/* The standard roads file and a cache of it made from scratch (car). */
static void fresh_cache(pl_ctx *ctx)
{
    write_roads(roads_path, 500200);
    remove(cache_path);
    pl_roads *r;
    pl_graph *g;
    pl_network_stats st;
    load(ctx, PL_MODE_CAR, &r, &g, &st);
    assert_int_equal(st.from_cache, 0);
    pl_graph_free(g);
    pl_roads_free(r);
}

static void assert_same_graph(const pl_graph *a, const pl_graph *b)
{
    assert_int_equal(a->n_nodes, b->n_nodes);
    assert_int_equal(a->n_arcs, b->n_arcs);
    assert_int_equal(a->n_edges, b->n_edges);
    assert_int_equal(a->n_components, b->n_components);
    assert_memory_equal(a->node_x, b->node_x, a->n_nodes * sizeof(double));
    assert_memory_equal(a->out_begin, b->out_begin, (a->n_nodes + 1) * sizeof(uint32_t));
    assert_memory_equal(a->arc_head, b->arc_head, a->n_arcs * sizeof(uint32_t));
    assert_memory_equal(a->arc_time_s, b->arc_time_s, a->n_arcs * sizeof(float));
    assert_memory_equal(a->in_arc, b->in_arc, a->n_arcs * sizeof(pl_rev_arc));
    assert_memory_equal(a->edge_v0, b->edge_v0, a->n_edges * sizeof(uint32_t));
    assert_memory_equal(a->edge_dir, b->edge_dir, a->n_edges);
    assert_true(a->input_hash == b->input_hash);
}

static void test_warm_equals_cold(void **state)
{
    (void)state;
    write_roads(roads_path, 500200);
    remove(cache_path);
    pl_ctx *c1 = quiet_ctx(), *c2 = quiet_ctx();
    pl_roads *r1, *r2;
    pl_graph *g1, *g2;
    pl_network_stats s1, s2;
    load(c1, PL_MODE_CAR, &r1, &g1, &s1);
    assert_int_equal(s1.from_cache, 0);
    assert_true(file_exists(cache_path));
    assert_int_equal(pl_warn_count(c1, "roads-not-built"), 1);
    load(c2, PL_MODE_CAR, &r2, &g2, &s2);
    assert_int_equal(s2.from_cache, 1);
    assert_int_equal(g2->from_cache, 1);
    assert_same_roads(r1, r2);
    assert_same_graph(g1, g2);
    /* The roads' warnings come back with the cache, with their count and message. */
    assert_int_equal(pl_warn_count(c2, "roads-not-built"), 1);
    assert_string_equal(c1->warnings[0].first_msg, c2->warnings[0].first_msg);
    pl_graph_free(g1);
    pl_graph_free(g2);
    pl_roads_free(r1);
    pl_roads_free(r2);
    pl_ctx_free(c1);
    pl_ctx_free(c2);
}

/* Roads with topology ids: the ids come back from the network cache (has_roads = 2), the warm
 * graph equals the cold one, and a scenario-style rebuild from the cached roads joins by ids. */
static void test_warm_topology_ids(void **state)
{
    (void)state;
    char text[8192];
    FILE *in = fopen(PLATSA_SOURCE_DIR "/tests/data/topology/roads.geojson", "r");
    assert_non_null(in);
    size_t n = fread(text, 1, sizeof text - 1, in);
    fclose(in);
    text[n] = '\0';
    FILE *out = fopen(roads_path, "w");
    assert_non_null(out);
    fputs(text, out);
    fclose(out);
    remove(cache_path);
    pl_ctx *c1 = quiet_ctx(), *c2 = quiet_ctx();
    pl_roads *r1, *r2;
    pl_graph *g1, *g2;
    pl_network_stats s1, s2;
    load(c1, PL_MODE_WALK, &r1, &g1, &s1);
    load(c2, PL_MODE_WALK, &r2, &g2, &s2);
    assert_int_equal(s1.from_cache, 0);
    assert_int_equal(s2.from_cache, 1);
    assert_non_null(r2->node_source);
    assert_same_roads(r1, r2);
    assert_same_graph(g1, g2);
    pl_graph_opts go;
    pl_graph_opts_default(&go);
    go.mode = PL_MODE_WALK;
    pl_error err = {0};
    pl_graph *g3 = pl_graph_build(c2, r2, &go, &err);
    assert_same_graph(g1, g3);
    pl_graph_free(g1);
    pl_graph_free(g2);
    pl_graph_free(g3);
    pl_roads_free(r1);
    pl_roads_free(r2);
    pl_ctx_free(c1);
    pl_ctx_free(c2);
}

/* Any change of the file (here: one coordinate, same size, same modification time) or of
 * the mode misses the cache and rebuilds from the file. */
static void test_changes_miss(void **state)
{
    (void)state;
    pl_ctx *ctx = quiet_ctx();
    fresh_cache(ctx);
    pl_roads *r;
    pl_graph *g;
    pl_network_stats st;
    struct stat before;
    assert_int_equal(stat(roads_path, &before), 0);
    write_roads(roads_path, 500300);  /* same length of text */
    struct timeval tv[2] = {{before.st_atim.tv_sec, before.st_atim.tv_nsec / 1000},
                            {before.st_mtim.tv_sec, before.st_mtim.tv_nsec / 1000}};
    assert_int_equal(utimes(roads_path, tv), 0);
    load(ctx, PL_MODE_CAR, &r, &g, &st);
    assert_int_equal(st.from_cache, 0);
    assert_true(r->vx[2] == 500300);
    pl_graph_free(g);
    pl_roads_free(r);
    load(ctx, PL_MODE_CAR, &r, &g, &st);  /* the new file's cache now */
    assert_int_equal(st.from_cache, 1);
    assert_true(r->vx[2] == 500300);
    pl_graph_free(g);
    pl_roads_free(r);
    load(ctx, PL_MODE_WALK, &r, &g, &st);
    assert_int_equal(st.from_cache, 0);
    assert_int_equal(g->mode, PL_MODE_WALK);
    pl_graph_free(g);
    pl_roads_free(r);
    pl_ctx_free(ctx);
}

/* A truncated cache is rebuilt, not trusted, and rewritten whole. */
static void test_damaged_cache(void **state)
{
    (void)state;
    pl_ctx *ctx = quiet_ctx();
    fresh_cache(ctx);
    pl_roads *r;
    pl_graph *g;
    pl_network_stats st;
    struct stat sb;
    assert_int_equal(stat(cache_path, &sb), 0);
    assert_int_equal(truncate(cache_path, sb.st_size - 20), 0);
    load(ctx, PL_MODE_CAR, &r, &g, &st);
    assert_int_equal(st.from_cache, 0);
    assert_int_equal(r->n, 3);
    pl_graph_free(g);
    pl_roads_free(r);
    struct stat sa;
    assert_int_equal(stat(cache_path, &sa), 0);
    assert_int_equal(sa.st_size, sb.st_size);
    load(ctx, PL_MODE_CAR, &r, &g, &st);
    assert_int_equal(st.from_cache, 1);
    pl_graph_free(g);
    pl_roads_free(r);
    pl_ctx_free(ctx);
}

/* The file's data as GDAL translates it to a shapefile in dir (roads.shp, .dbf, ...). */
static void write_roads_shapefile(const char *dir, int speed)
{
    char src[600], dst[600];
    snprintf(src, sizeof src, "%s/src.geojson", dir);
    snprintf(dst, sizeof dst, "%s/roads.shp", dir);
    write_roads_speed(src, 500200, speed);
    GDALDatasetH in = GDALOpenEx(src, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(in);
    char *argv[] = {"-f", "ESRI Shapefile", NULL};
    GDALVectorTranslateOptions *o = GDALVectorTranslateOptionsNew(argv, NULL);
    GDALDatasetH out = GDALVectorTranslate(dst, NULL, 1, &in, o, NULL);
    assert_non_null(out);
    GDALClose(out);
    GDALVectorTranslateOptionsFree(o);
    GDALClose(in);
}

static float speed_of(const pl_roads *r, int64_t id)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->id[i] == id)
            return r->speed_kmh[i];
    fail_msg("road %lld not loaded", (long long)id);
    return 0;
}

/* A shapefile whose attributes alone change (a speed edited in the .dbf, the .shp untouched)
 * misses the cache: the files beside the roads file are part of its identity. */
static void test_sidecar_change_misses(void **state)
{
    (void)state;
    char dir_a[600], dir_b[600], dbf_a[700], dbf_b[700], saved[800];
    const char *base = scratch_dir("network-shp");
    snprintf(dir_a, sizeof dir_a, "%s/a", base);
    snprintf(dir_b, sizeof dir_b, "%s/b", base);
    assert_int_equal(mkdir(dir_a, 0755) == 0 || errno == EEXIST, 1);
    assert_int_equal(mkdir(dir_b, 0755) == 0 || errno == EEXIST, 1);
    write_roads_shapefile(dir_a, 70);
    write_roads_shapefile(dir_b, 30);
    snprintf(saved, sizeof saved, "%s", roads_path);
    snprintf(roads_path, sizeof roads_path, "%s/roads.shp", dir_a);
    remove(cache_path);
    pl_ctx *ctx = quiet_ctx();
    pl_roads *r;
    pl_graph *g;
    pl_network_stats st;
    load(ctx, PL_MODE_CAR, &r, &g, &st);
    assert_true(speed_of(r, 3) == 70.0f);
    pl_graph_free(g);
    pl_roads_free(r);
    load(ctx, PL_MODE_CAR, &r, &g, &st);
    assert_int_equal(st.from_cache, 1);
    pl_graph_free(g);
    pl_roads_free(r);
    snprintf(dbf_a, sizeof dbf_a, "%s/roads.dbf", dir_a);
    snprintf(dbf_b, sizeof dbf_b, "%s/roads.dbf", dir_b);
    assert_int_equal(rename(dbf_b, dbf_a), 0);
    load(ctx, PL_MODE_CAR, &r, &g, &st);
    assert_int_equal(st.from_cache, 0);
    assert_true(speed_of(r, 3) == 30.0f);
    pl_graph_free(g);
    pl_roads_free(r);
    pl_ctx_free(ctx);
    snprintf(roads_path, sizeof roads_path, "%s", saved);
}

/* No file behind the spec: no identity key (the graph-only cache is used instead). */
static void test_no_file_no_key(void **state)
{
    (void)state;
    pl_ctx *ctx = quiet_ctx();
    pl_graph_opts go;
    pl_graph_opts_default(&go);
    uint64_t key = 0;
    assert_int_equal(pl_network_cache_key(ctx, "PG:dbname=none", NULL, &go, &key), 0);
    write_roads(roads_path, 500200);
    assert_int_equal(pl_network_cache_key(ctx, roads_path, NULL, &go, &key), 1);
    uint64_t k2 = 0;
    pl_load_opts lo = {.assume_crs = "EPSG:3006"};
    assert_int_equal(pl_network_cache_key(ctx, roads_path, &lo, &go, &k2), 1);
    assert_true(key != k2);
    pl_ctx_free(ctx);
}

/* A 30 x 30 grid of two-way streets (100 m apart; crossings share a vertex) and a small
 * loop of three nodes beside it: a main network and a fragment for the snap rules. */
static void write_grid_roads(const char *path)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":"
               "\"urn:ogc:def:crs:EPSG::3006\"}},\"features\":[\n");
    int id = 1;
    for (int dir = 0; dir < 2; dir++)
        for (int i = 0; i < 30; i++) {
            fprintf(f, "{\"type\":\"Feature\",\"properties\":{\"highway\":\"residential\",\"osm_id\":%d},"
                       "\"geometry\":{\"type\":\"LineString\",\"coordinates\":[", id++);
            for (int j = 0; j < 30; j++) {
                double a = 100.0 * i, b = 100.0 * j + (i % 3) * 7.0 * (j % 2);
                fprintf(f, "%s[%.1f,%.1f]", j ? "," : "", 500000 + (dir ? b : a), 6500000 + (dir ? a : b));
            }
            fprintf(f, "]}},\n");
        }
    fprintf(f, "{\"type\":\"Feature\",\"properties\":{\"highway\":\"service\",\"osm_id\":%d},"
               "\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[503150,6501000],[503250,6501000],"
               "[503200,6501080],[503150,6501000]]}}\n]}\n", id);
    fclose(f);
}

static void snap_points(pl_ctx *ctx, const pl_graph *g, const pl_roads *r, uint32_t min_component, pl_snap *out,
                        size_t n)
{
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    uint32_t s = 12345;
    for (size_t i = 0; i < n; i++) {
        s = s * 1103515245u + 12345u;
        x[i] = 499800 + (s >> 8) % 3600000 / 1000.0;
        s = s * 1103515245u + 12345u;
        y[i] = 6499800 + (s >> 8) % 3400000 / 1000.0;
    }
    pl_snap_opts so;
    pl_snap_opts_default(&so);
    so.min_component_nodes = min_component;
    pl_error err = {0};
    memset(out, 0, n * sizeof *out);
    assert_int_equal(pl_graph_snap(ctx, g, r, x, y, n, &so, out, &err), PL_OK);
    free(x);
    free(y);
}

/* The snap index read back from the cache gives the same snaps as one built afresh, for
 * the default options; other options build their own index and match a fresh one too. */
static void test_cached_snap_index(void **state)
{
    (void)state;
    write_grid_roads(roads_path);
    remove(cache_path);
    pl_ctx *ctx = quiet_ctx();
    pl_roads *r1, *r2;
    pl_graph *g1, *g2;
    pl_network_stats st;
    load(ctx, PL_MODE_CAR, &r1, &g1, &st);
    assert_int_equal(st.from_cache, 0);
    assert_non_null(g1->snap_index);  /* built to be stored */
    load(ctx, PL_MODE_CAR, &r2, &g2, &st);
    assert_int_equal(st.from_cache, 1);
    assert_non_null(g2->snap_index);  /* read back */
    pl_graph_opts go;
    pl_graph_opts_default(&go);
    pl_error err = {0};
    pl_graph *fresh = pl_graph_build(ctx, r2, &go, &err);  /* keeps no index */
    assert_non_null(fresh);
    assert_null(fresh->snap_index);
    assert_true(fresh->component_nodes[fresh->n_components - 1] < 50);  /* the loop is a fragment */
    size_t n = 5000;
    pl_snap *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), *c = malloc(n * sizeof *c);
    pl_snap_opts so;
    pl_snap_opts_default(&so);
    for (int round = 0; round < 2; round++) {
        uint32_t min = round == 0 ? so.min_component_nodes : 2;
        snap_points(ctx, fresh, r2, min, a, n);
        snap_points(ctx, g2, r2, min, b, n);
        snap_points(ctx, g1, r1, min, c, n);
        assert_memory_equal(a, b, n * sizeof *a);
        assert_memory_equal(a, c, n * sizeof *a);
    }
    free(a);
    free(b);
    free(c);
    pl_graph_free(fresh);
    pl_graph_free(g1);
    pl_graph_free(g2);
    pl_roads_free(r1);
    pl_roads_free(r2);
    pl_ctx_free(ctx);
}

/* A cache of an older format version (here: version 3, before the snap index) is not
 * misread: it is rebuilt and rewritten in the current format. */
static void test_old_version_rebuilt(void **state)
{
    (void)state;
    pl_ctx *ctx = quiet_ctx();
    fresh_cache(ctx);
    pl_roads *r;
    pl_graph *g;
    pl_network_stats st;
    FILE *f = fopen(cache_path, "r+b");
    assert_non_null(f);
    uint32_t v3 = 3;
    assert_int_equal(fwrite("PLGRAPH3", 8, 1, f), 1);
    assert_int_equal(fwrite(&v3, sizeof v3, 1, f), 1);
    fclose(f);
    load(ctx, PL_MODE_CAR, &r, &g, &st);
    assert_int_equal(st.from_cache, 0);
    pl_graph_free(g);
    pl_roads_free(r);
    load(ctx, PL_MODE_CAR, &r, &g, &st);
    assert_int_equal(st.from_cache, 1);
    pl_graph_free(g);
    pl_roads_free(r);
    pl_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_warm_equals_cold),
        cmocka_unit_test(test_warm_topology_ids),
        cmocka_unit_test(test_changes_miss),
        cmocka_unit_test(test_damaged_cache),
        cmocka_unit_test(test_no_file_no_key),
        cmocka_unit_test(test_sidecar_change_misses),
        cmocka_unit_test(test_cached_snap_index),
        cmocka_unit_test(test_old_version_rebuilt),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
