/* SPDX-License-Identifier: GPL-3.0-or-later */
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

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gis/graph_internal.h"
#include "layers/network.h"
#include "support/testutil.h"

static char roads_path[800], cache_path[512], net_dir[512];

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
    snprintf(net_dir, sizeof net_dir, "%s", dir);
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

/* Is p inside a mapping of the file `path` (/proc/self/maps)? */
static int in_file_mapping(const void *p, const char *path)
{
    char real[4200], line[5000];
    if (!realpath(path, real))
        return 0;
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return 0;
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        int name = 0;
        if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &lo, &hi, &name) < 2 || !name)
            continue;
        line[strcspn(line, "\n")] = '\0';
        found = (uintptr_t)p >= lo && (uintptr_t)p < hi && strcmp(line + name, real) == 0;
    }
    fclose(f);
    return found;
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
    /* The arrays snaps walk are the file's pages (no copy), those searches walk are copied,
     * and all are copied on purpose (what a file system without 2 MiB folios gets): the
     * same either way. */
    assert_true(in_file_mapping(r2->vx, cache_path));
    assert_false(in_file_mapping(g2->in_arc, cache_path));
    pl_graph_cache_copy_hot(1);
    pl_roads *r3;
    pl_graph *g3;
    pl_network_stats s3;
    pl_ctx *c3 = quiet_ctx();
    load(c3, PL_MODE_CAR, &r3, &g3, &s3);
    pl_ctx_free(c3);
    pl_graph_cache_copy_hot(0);
    assert_int_equal(s3.from_cache, 1);
    assert_false(in_file_mapping(r3->vx, cache_path));
    assert_same_roads(r1, r3);
    assert_same_graph(g1, g3);
    pl_graph_free(g3);
    pl_roads_free(r3);
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

/* skip_forward_arcs with a network cache: the graph is built with its forward arcs (the file
 * holds them) and read back the same; without a cache it has none. */
static void test_skip_forward_arcs_cached(void **state)
{
    (void)state;
    write_roads(roads_path, 500200);
    remove(cache_path);
    pl_ctx *ctx = quiet_ctx();
    pl_graph_opts go;
    pl_graph_opts_default(&go);
    go.skip_forward_arcs = 1;
    pl_error err = {0};
    pl_roads *r0, *r1, *r2;
    pl_graph *g0, *g1, *g2;
    pl_network_stats st;
    assert_int_equal(pl_network_load(ctx, roads_path, NULL, &go, &r0, &g0, &st, &err), PL_OK);
    assert_null(g0->out_begin);
    assert_true(g0->n_arcs > 0);
    go.cache_path = cache_path;
    assert_int_equal(pl_network_load(ctx, roads_path, NULL, &go, &r1, &g1, &st, &err), PL_OK);
    assert_int_equal(st.from_cache, 0);
    assert_non_null(g1->out_begin);
    assert_true(file_exists(cache_path));
    assert_int_equal(pl_network_load(ctx, roads_path, NULL, &go, &r2, &g2, &st, &err), PL_OK);
    assert_int_equal(st.from_cache, 1);
    assert_same_graph(g1, g2);
    assert_int_equal(g0->n_arcs, g1->n_arcs);
    assert_memory_equal(g0->in_arc, g1->in_arc, g1->n_arcs * sizeof(pl_rev_arc));
    pl_graph_free(g0);
    pl_graph_free(g1);
    pl_graph_free(g2);
    pl_roads_free(r0);
    pl_roads_free(r1);
    pl_roads_free(r2);
    pl_ctx_free(ctx);
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


/* ---------- damaged caches, stale temporaries, the path check ---------- */

static void copy_file(const char *from, const char *to)
{
    assert_int_equal(run_cmd("cp '%s' '%s'", from, to), 0);
}

static int same_bytes(const char *a, const char *b)
{
    return run_cmd("cmp -s '%s' '%s'", a, b) == 0;
}

static long file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (long)st.st_size;
}

static void overwrite_bytes(const char *path, long off, int byte, size_t n)
{
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    unsigned char *buf = malloc(n);
    memset(buf, byte, n);
    assert_int_equal(pwrite(fd, buf, n, off), (ssize_t)n);
    free(buf);
    close(fd);
}

static void flip_byte(const char *path, long off)
{
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, off, SEEK_SET);
    int c = fgetc(f);
    fseek(f, off, SEEK_SET);
    fputc(c ^ 0x5a, f);
    fclose(f);
}

static uint64_t header_u64(const char *path, long off)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint64_t v = 0;
    fseek(f, off, SEEK_SET);
    assert_int_equal(fread(&v, sizeof v, 1, f), 1);
    fclose(f);
    return v;
}

/* Header offsets of the format (gis/graph_cache.c cache_header). */
#define H_ROADS_LEN 88
#define H_GRAPH_OFF 96
#define H_GRAPH_LEN 104

typedef enum { FLIP_BYTES, ZERO_BLOCK, TRUNCATE_HALF, FLIP_HEADER, FF_GRAPH_NO_SUMS, FF_ROADS_NO_SUMS } damage;

static void damage_cache(const char *path, damage d)
{
    long size = file_size(path);
    uint64_t graph_off = header_u64(path, H_GRAPH_OFF);
    switch (d) {
    case FLIP_BYTES:
        for (long off = 4096 + 17; off < size - 16; off += size / 7)
            flip_byte(path, off);
        break;
    case ZERO_BLOCK:
        overwrite_bytes(path, (size / 2) & ~4095L, 0, 4096);
        break;
    case TRUNCATE_HALF:
        assert_int_equal(truncate(path, size / 2), 0);
        break;
    case FLIP_HEADER:
        flip_byte(path, 40); /* n_arcs */
        break;
    case FF_GRAPH_NO_SUMS: /* the first arrays of the graph section: caught by the structure checks alone */
        overwrite_bytes(path, (long)graph_off, 0xff, 4096);
        break;
    case FF_ROADS_NO_SUMS:
        overwrite_bytes(path, 4096, 0xff, 4096);
        break;
    }
}

/* Every kind of damage: a counted warning naming the file, the graph rebuilt from the roads
 * (the same as one built without a cache, snaps too), the cache rewritten whole; with the
 * checksums off (as the fuzz target runs), the structure checks alone catch it. */
static void test_damaged_body_rebuilt(void **state)
{
    (void)state;
    write_grid_roads(roads_path);
    remove(cache_path);
    pl_ctx *ctx = quiet_ctx();
    pl_roads *r0, *r, *rw;
    pl_graph *g0, *g, *gw;
    pl_network_stats st;
    pl_graph_opts go;
    pl_graph_opts_default(&go);
    pl_error err = {0};
    assert_int_equal(pl_network_load(ctx, roads_path, NULL, &go, &r0, &g0, &st, &err), PL_OK); /* no cache */
    load(ctx, PL_MODE_CAR, &r, &g, &st);
    assert_int_equal(st.from_cache, 0);
    pl_graph_free(g);
    pl_roads_free(r);
    char good[600];
    snprintf(good, sizeof good, "%s.good", cache_path);
    copy_file(cache_path, good);
    size_t n = 2000;
    pl_snap *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    snap_points(ctx, g0, r0, pl_snap_default_min_component(), a, n);
    for (damage d = FLIP_BYTES; d <= FF_ROADS_NO_SUMS; d++) {
        copy_file(good, cache_path);
        damage_cache(cache_path, d);
        pl_graph_cache_verify_sums(d < FF_GRAPH_NO_SUMS);
        pl_ctx *c = quiet_ctx();
        load(c, PL_MODE_CAR, &r, &g, &st);
        pl_graph_cache_verify_sums(1);
        print_message("  damage %d: %s\n", (int)d, c->n_warnings ? c->warnings[0].first_msg : "(no warning)");
        assert_int_equal(st.from_cache, 0);
        assert_int_equal(c->n_warnings, 1);
        assert_string_equal(c->warnings[0].key, "graph-cache-damaged");
        assert_non_null(strstr(c->warnings[0].first_msg, cache_path));
        assert_same_graph(g0, g);
        snap_points(c, g, r, pl_snap_default_min_component(), b, n);
        assert_memory_equal(a, b, n * sizeof *a);
        assert_true(same_bytes(cache_path, good)); /* rewritten whole */
        load(c, PL_MODE_CAR, &rw, &gw, &st);       /* and read again */
        assert_int_equal(st.from_cache, 1);
        assert_int_equal(c->n_warnings, 1);
        pl_graph_free(gw);
        pl_roads_free(rw);
        pl_graph_free(g);
        pl_roads_free(r);
        pl_ctx_free(c);
    }
    free(a);
    free(b);
    remove(good);
    pl_graph_free(g0);
    pl_roads_free(r0);
    pl_ctx_free(ctx);
}

/* The graph-only cache (pl_graph_build with cache_path, for sources without a file) is
 * checked the same way: a zeroed block is a warning and a rebuild. */
static void test_graph_only_cache_damaged(void **state)
{
    (void)state;
    write_grid_roads(roads_path);
    pl_ctx *ctx = quiet_ctx();
    pl_error err = {0};
    pl_roads *r = pl_roads_load(ctx, roads_path, NULL, &err);
    assert_non_null(r);
    pl_graph_opts go;
    pl_graph_opts_default(&go);
    pl_graph *g0 = pl_graph_build(ctx, r, &go, &err);
    go.cache_path = cache_path;
    remove(cache_path);
    pl_graph *g = pl_graph_build(ctx, r, &go, &err);
    assert_int_equal(g->from_cache, 0);
    pl_graph_free(g);
    damage_cache(cache_path, ZERO_BLOCK);
    pl_ctx *c = quiet_ctx();
    g = pl_graph_build(c, r, &go, &err);
    assert_non_null(g);
    assert_int_equal(g->from_cache, 0);
    assert_int_equal(pl_warn_total(c), 1);
    assert_string_equal(c->warnings[0].key, "graph-cache-damaged");
    assert_same_graph(g0, g);
    pl_graph_free(g);
    g = pl_graph_build(c, r, &go, &err);
    assert_int_equal(g->from_cache, 1);
    assert_same_graph(g0, g);
    pl_graph_free(g);
    pl_graph_free(g0);
    pl_roads_free(r);
    pl_ctx_free(c);
    pl_ctx_free(ctx);
}

/* A process id that no longer runs (a child that has exited and been reaped). */
static pid_t dead_pid(void)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(0);
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    assert_int_equal(kill(pid, 0), -1);
    return pid;
}

/* NAME.tmpPID of a dead process is removed by the next run using the cache; a live
 * process's temporary and other names are left alone. */
static void test_stale_cache_temp_removed(void **state)
{
    (void)state;
    pl_ctx *ctx = quiet_ctx();
    fresh_cache(ctx);
    char dead[700], live[700], other[700];
    snprintf(dead, sizeof dead, "%s.tmp%ld", cache_path, (long)dead_pid());
    snprintf(live, sizeof live, "%s.tmp%ld", cache_path, (long)getppid());
    snprintf(other, sizeof other, "%s.tmp%ldx", cache_path, (long)dead_pid());
    const char *files[] = {dead, live, other};
    for (int i = 0; i < 3; i++) {
        FILE *f = fopen(files[i], "w");
        assert_non_null(f);
        fputs("partial cache\n", f);
        fclose(f);
    }
    pl_roads *r;
    pl_graph *g;
    pl_network_stats st;
    load(ctx, PL_MODE_CAR, &r, &g, &st);
    assert_int_equal(st.from_cache, 1);
    assert_false(file_exists(dead));
    assert_true(file_exists(live));
    assert_true(file_exists(other));
    remove(live);
    remove(other);
    pl_graph_free(g);
    pl_roads_free(r);
    pl_ctx_free(ctx);
}

static void check_cache_path(const char *cache, const char *const *in, size_t n_in, const char *out, const char *want)
{
    pl_error err = {0};
    const char *outs[] = {out};
    int rc = pl_graph_cache_check_path(cache, in, n_in, outs, 1, &err);
    if (!want) {
        if (rc != PL_OK)
            fail_msg("%s refused: %s", cache, err.msg);
        return;
    }
    if (rc != PL_EINPUT)
        fail_msg("%s accepted, wanted '%s'", cache, want);
    if (!strstr(err.msg, want))
        fail_msg("message '%s' lacks '%s'", err.msg, want);
    assert_null(strchr(err.msg, '\n'));
}

/* The one check every command makes: what may be a cache path. */
static void test_cache_path_check(void **state)
{
    (void)state;
    pl_ctx *ctx = quiet_ctx();
    fresh_cache(ctx);
    pl_ctx_free(ctx);
    const char *dir = net_dir;
    char in_gpkg[700], spec[800], out[700], out_alias[800], text[700], empty[700], old[700], fifo[700], nodir[700];
    snprintf(in_gpkg, sizeof in_gpkg, "%s/in.gpkg", dir);
    snprintf(spec, sizeof spec, "%s:roads", in_gpkg);
    snprintf(out, sizeof out, "%s/result.gpkg", dir);
    snprintf(out_alias, sizeof out_alias, "%s/./../network/./result.gpkg", dir);
    snprintf(text, sizeof text, "%s/notes.txt", dir);
    snprintf(empty, sizeof empty, "%s/empty", dir);
    snprintf(old, sizeof old, "%s/old.plcache", dir);
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    snprintf(nodir, sizeof nodir, "%s/no/such/x.plcache", dir);
    copy_file(roads_path, in_gpkg);
    FILE *f = fopen(text, "w");
    fputs("my notes\n", f);
    fclose(f);
    fclose(fopen(empty, "w"));
    f = fopen(old, "w");
    fputs("PLGRAPH3 and whatever an old version wrote", f);
    fclose(f);
    remove(fifo);
    assert_int_equal(mkfifo(fifo, 0644), 0);
    const char *inputs[] = {NULL, spec, roads_path};
    check_cache_path(NULL, inputs, 3, out, NULL);
    check_cache_path("", inputs, 3, out, NULL);
    check_cache_path(cache_path, inputs, 3, out, NULL);          /* a cache of this version */
    check_cache_path(old, inputs, 3, out, NULL);                 /* of an older one: replaced */
    check_cache_path(out_alias, inputs, 3, NULL, NULL);          /* absent, nothing else there */
    check_cache_path(in_gpkg, inputs, 3, out, "is also the input");
    check_cache_path(roads_path, inputs, 3, out, "is also the input");
    check_cache_path(out_alias, inputs, 3, out, "is also the output"); /* absent: by resolved path */
    copy_file(roads_path, out);
    check_cache_path(out_alias, inputs, 3, out, "is also the output"); /* existing: by inode */
    check_cache_path(text, inputs, 3, out, "is not a platsa graph cache");
    check_cache_path(empty, inputs, 3, out, "is not a platsa graph cache");
    check_cache_path(dir, inputs, 3, out, "is a folder, not a regular file");
    check_cache_path("/dev/null", inputs, 3, out, "is a character device, not a regular file");
    check_cache_path(fifo, inputs, 3, out, "is a FIFO (named pipe), not a regular file");
    check_cache_path(nodir, inputs, 3, out, "does not exist");
    /* A symbolic link to an input is that input. */
    char link[700];
    snprintf(link, sizeof link, "%s/link.plcache", dir);
    remove(link);
    assert_int_equal(symlink("in.gpkg", link), 0); /* relative to the link's folder */
    check_cache_path(link, inputs, 3, out, "is also the input");
    const char *const files[] = {text, empty, old, fifo, link, in_gpkg, out};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        remove(files[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_warm_equals_cold),
        cmocka_unit_test(test_skip_forward_arcs_cached),
        cmocka_unit_test(test_warm_topology_ids),
        cmocka_unit_test(test_changes_miss),
        cmocka_unit_test(test_damaged_cache),
        cmocka_unit_test(test_no_file_no_key),
        cmocka_unit_test(test_sidecar_change_misses),
        cmocka_unit_test(test_cached_snap_index),
        cmocka_unit_test(test_old_version_rebuilt),
        cmocka_unit_test(test_damaged_body_rebuilt),
        cmocka_unit_test(test_graph_only_cache_damaged),
        cmocka_unit_test(test_stale_cache_temp_removed),
        cmocka_unit_test(test_cache_path_check),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
