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

/* Any change of the file (here: one coordinate, same size, same modification time) or of
 * the mode misses the cache and rebuilds from the file. */
static void test_changes_miss(void **state)
{
    (void)state;
    write_roads(roads_path, 500200);
    remove(cache_path);
    pl_ctx *ctx = quiet_ctx();
    pl_roads *r;
    pl_graph *g;
    pl_network_stats st;
    load(ctx, PL_MODE_CAR, &r, &g, &st);
    pl_graph_free(g);
    pl_roads_free(r);
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
    write_roads(roads_path, 500200);
    remove(cache_path);
    pl_ctx *ctx = quiet_ctx();
    pl_roads *r;
    pl_graph *g;
    pl_network_stats st;
    load(ctx, PL_MODE_CAR, &r, &g, &st);
    pl_graph_free(g);
    pl_roads_free(r);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_warm_equals_cold),
        cmocka_unit_test(test_changes_miss),
        cmocka_unit_test(test_damaged_cache),
        cmocka_unit_test(test_no_file_no_key),
        cmocka_unit_test(test_sidecar_change_misses),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
