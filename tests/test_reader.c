/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The batch reader (layers/batch_reader.c, layers/wkb.c) against the per-feature reader
 * (PLATSA_READER=feature): the same files loaded both ways must give the same arrays, the
 * same errors and the same warnings (kinds, counts and messages). Inputs: the sample data,
 * real data (a shapefile, which keeps the per-feature path), GeoPackages written here in
 * WGS84 (reprojected), with Z, as MultiLineStrings and with null/empty/bad geometries, and
 * synth_M_250m when the benchmark data is present. */
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

#include "layers/layers.h"
#include "layers/batch_reader.h"
#include "layers/wkb.h"
#include "support/testutil.h"

/* A load's outcome: the error text and the warnings, for comparing the two readers. */
typedef struct outcome {
    pl_error err;
    pl_ctx *ctx;
} outcome;

static pl_ctx *quiet_ctx(void)
{
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    return ctx;
}

static void use_reader(const char *which)
{
    if (which)
        setenv("PLATSA_READER", which, 1);
    else
        unsetenv("PLATSA_READER");
}

static void assert_same_warnings(const pl_ctx *a, const pl_ctx *b)
{
    assert_int_equal(a->n_warnings, b->n_warnings);
    for (size_t i = 0; i < a->n_warnings; i++) {
        assert_string_equal(a->warnings[i].key, b->warnings[i].key);
        assert_int_equal(a->warnings[i].count, b->warnings[i].count);
        assert_string_equal(a->warnings[i].first_msg, b->warnings[i].first_msg);
    }
}

/* Loads spec's roads with both readers; returns the number of lines (-1: both failed alike). */
static long compare_roads(const char *spec)
{
    pl_ctx *c[2] = {quiet_ctx(), quiet_ctx()};
    pl_error err[2] = {{0}, {0}};
    pl_roads *r[2];
    use_reader("feature");
    r[0] = pl_roads_load(c[0], spec, NULL, &err[0]);
    use_reader(NULL);
    long batches = pl_batch_reads_done();
    r[1] = pl_roads_load(c[1], spec, NULL, &err[1]);
    /* GeoPackages go through the batch reader, shapefiles not */
    assert_int_equal(pl_batch_reads_done() - batches, strstr(spec, ".gpkg") != NULL);
    long n = -1;
    assert_int_equal(r[0] != NULL, r[1] != NULL);
    if (r[0]) {
        assert_same_roads(r[0], r[1]);
        n = (long)r[0]->n;
    } else {
        assert_string_equal(err[0].msg, err[1].msg);
    }
    assert_same_warnings(c[0], c[1]);
    for (int k = 0; k < 2; k++) {
        pl_roads_free(r[k]);
        pl_ctx_free(c[k]);
    }
    return n;
}

static void assert_same_population(pl_ctx *ctx, const pl_population *a, const pl_population *b)
{
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        assert_string_equal(a->id[i], b->id[i]);
        assert_int_equal(a->muni_code[i] != NULL, b->muni_code[i] != NULL);
        if (a->muni_code[i])
            assert_string_equal(a->muni_code[i], b->muni_code[i]);
        assert_int_equal(GEOSEqualsExact_r(ctx->geos, a->geom[i], b->geom[i], 0), 1);
    }
    assert_memory_equal(a->x, b->x, a->n * sizeof *a->x);
    assert_memory_equal(a->y, b->y, a->n * sizeof *a->y);
    assert_memory_equal(a->pop, b->pop, a->n * sizeof *a->pop);
    assert_int_equal(a->age_pop != NULL, b->age_pop != NULL);
    if (a->age_pop)
        assert_memory_equal(a->age_pop, b->age_pop, a->n * sizeof *a->age_pop);
    assert_int_equal(a->is_polygon, b->is_polygon);
    assert_memory_equal(&a->total_pop, &b->total_pop, sizeof a->total_pop);
    assert_string_equal(a->source, b->source);
}

/* Loads spec's population with both readers (options o may be NULL); returns the number of
 * units (-1: both failed alike). */
static long compare_population(const char *spec, const pl_load_opts *o)
{
    pl_ctx *c[2] = {quiet_ctx(), quiet_ctx()};
    pl_error err[2] = {{0}, {0}};
    pl_population *p[2];
    use_reader("feature");
    p[0] = pl_population_load(c[0], spec, o, &err[0]);
    use_reader(NULL);
    long batches = pl_batch_reads_done();
    p[1] = pl_population_load(c[1], spec, o, &err[1]);
    long used = pl_batch_reads_done() - batches;
    assert_true(used == 0 || used == 1);
    long n = -1;
    assert_int_equal(p[0] != NULL, p[1] != NULL);
    if (p[0]) {
        assert_same_population(c[0], p[0], p[1]);
        n = (long)p[0]->n;
    } else {
        assert_string_equal(err[0].msg, err[1].msg);
    }
    assert_same_warnings(c[0], c[1]);
    for (int k = 0; k < 2; k++) {
        pl_population_free(c[k], p[k]);
        pl_ctx_free(c[k]);
    }
    return n;
}

static const char *sample(const char *rel)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/sample-data/%s", PLATSA_SOURCE_DIR, rel);
    return path;
}

/* A synthetic region on the tests/data extracts (Örebro kommun, 250 m cells: about 38,000 roads and
 * 5,900 cells), made once per run by platsa synth; returns its path. */
static const char *synth_s(void)
{
    static char path[4096];
    if (!path[0]) {
        const char *bin = getenv("PLATSA_BIN") && *getenv("PLATSA_BIN") ? getenv("PLATSA_BIN") : "build/platsa";
        snprintf(path, sizeof path, "%s/synth_S_250m.gpkg", scratch_dir("reader_synth"));
        assert_int_equal(run_cmd("%s -q synth --size S --cells 250m --data %s -o %s > /dev/null", bin, real_data(""),
                                 path), 0);
    }
    return path;
}

/* A copy of src made with ogr2ogr options, in dir; returns its path (static). */
static const char *ogr_copy(const char *dir, const char *name, const char *src, const char *opts)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    assert_int_equal(run_cmd("ogr2ogr -q -f GPKG %s %s %s >/dev/null 2>&1", path, src, opts), 0);
    return path;
}

static void test_roads_files(void **state)
{
    (void)state;
    char spec[4200];
    snprintf(spec, sizeof spec, "%s:roads", sample("sodermalm/layers.gpkg"));
    assert_true(compare_roads(spec) > 100);
    assert_true(compare_roads(real_data("osm-stockholm-drive-network-fmm/edges.shp")) > 500);
    snprintf(spec, sizeof spec, "%s:roads", synth_s());
    assert_true(compare_roads(spec) > 1000);
}

/* Lines of every kind the loaders meet, good and bad (null, empty, not a line, repeated
 * vertices only, huge coordinates, multi and collection, curve, 3D, duplicates). */
#define BAD_ROADS_CSV                                                                                             \
    "WKT,highway,maxspeed,oneway\n"                                                                               \
    "\"LINESTRING(674000 6578000,674100 6578000)\",residential,30,yes\n"                                          \
    "\"\",residential,30,no\n"                                                                                    \
    "\"LINESTRING EMPTY\",primary,50,no\n"                                                                        \
    "\"POINT(674000 6578000)\",primary,50,no\n"                                                                   \
    "\"LINESTRING(674000 6578000,674000 6578000)\",primary,50,no\n"                                               \
    "\"LINESTRING(674000 6578000,1e12 6578000)\",primary,50,no\n"                                                 \
    "\"MULTILINESTRING((674000 6578000,674100 6578100),(674100 6578100,674200 6578100))\",secondary,70,no\n"     \
    "\"MULTILINESTRING((674000 6578000,674100 6578100),EMPTY)\",secondary,70,no\n"                                \
    "\"GEOMETRYCOLLECTION(LINESTRING(674000 6578000,674100 6578200),POINT(1 2))\",tertiary,,no\n"                \
    "\"CIRCULARSTRING(674000 6578000,674100 6578100,674200 6578000)\",tertiary,,no\n"                            \
    "\"LINESTRING Z (674000 6578500 10,674100 6578500 20)\",proposed,,no\n"                                      \
    "\"LINESTRING Z (674000 6578600 10,674100 6578600 20)\",service,20 mph,-1\n"                                 \
    "\"LINESTRING(674100 6578000,674000 6578000)\",residential,30,no\n"                                           \
    "\"LINESTRING(674000 6578000,674100 6578000)\",residential,30,no\n"                                           \
    "\"POLYGON((0 0,1 0,1 1,0 0))\",residential,30,no\n"

/* GeoPackages the batch reader must read like OGR: reprojected (WGS84), 3D, multi lines,
 * and a layer with null, empty, short, repeated-vertex, huge and NaN geometries. */
static void test_roads_variants(void **state)
{
    (void)state;
    const char *dir = scratch_dir("reader_roads");
    char src[4200];
    snprintf(src, sizeof src, "%s roads", sample("sodermalm/layers.gpkg"));
    assert_true(compare_roads(ogr_copy(dir, "wgs84.gpkg", src, "-t_srs EPSG:4326")) > 100);
    assert_true(compare_roads(ogr_copy(dir, "z.gpkg", src, "-dim XYZ")) > 100);
    assert_true(compare_roads(ogr_copy(dir, "zm.gpkg", src, "-dim XYZM -t_srs EPSG:4326")) > 100);
    assert_true(compare_roads(ogr_copy(dir, "multi.gpkg", src, "-nlt MULTILINESTRING")) > 100);
    /* OSMnx's directed export (two-way streets twice) through the batch reader */
    const char *shp = real_data("osm-stockholm-drive-network-fmm/edges.shp");
    assert_true(compare_roads(ogr_copy(dir, "osmnx.gpkg", shp, "")) > 500);
    assert_true(compare_roads(ogr_copy(dir, "osmnx_3006.gpkg", shp, "-t_srs EPSG:3006")) > 500);
    const char *csv = write_text_file(dir, "bad.csv", BAD_ROADS_CSV);
    assert_true(compare_roads(ogr_copy(dir, "bad.gpkg", csv, "-a_srs EPSG:3006 -nln roads -nlt GEOMETRY")) > 3);
    assert_true(compare_roads(ogr_copy(dir, "bad_wgs84.gpkg", csv, "-skipfailures -s_srs EPSG:3006 -t_srs EPSG:4326 -nln roads "
                                       "-nlt GEOMETRY")) > 3);
    /* A layer that gives no road at all: the same error both ways. */
    const char *none =
        write_text_file(dir, "none.csv", "WKT,highway\n\"LINESTRING(674000 6578000,674100 6578100)\",proposed\n");
    assert_int_equal(compare_roads(ogr_copy(dir, "none.gpkg", none, "-a_srs EPSG:3006 -nln roads")), -1);
}


/* The batch reader's check for two-way copies (roads.c, dedup_deferred) on two threads, and
 * on one (PLATSA_THREADS=1): the same lines kept and dropped as the per-feature reader's check
 * line by line. 70,000 two-way streets, each followed later by its reversed twin, one-way
 * lines on the same places (never dropped) and 5,000 copies of one line: >= 65536 two-way lines. */
static void test_roads_copies_two_threads(void **state)
{
    (void)state;
    enum { N = 70000 };
    const char *dir = scratch_dir("reader_copies");
    char csv[4200];
    snprintf(csv, sizeof csv, "%s/copies.csv", dir);
    FILE *f = fopen(csv, "w");
    assert_non_null(f);
    fprintf(f, "WKT,highway,oneway\n");
    for (int k = 0; k < 3 * N; k++) {
        int s = k % N, pass = k / N; /* each street: as drawn, then reversed (a twin), then one-way */
        double x0 = 600000 + 40.0 * (s % 300), y0 = 6500000 + 40.0 * (s / 300);
        double x1 = x0 + 25 + s % 7, y1 = y0 + 3 + s % 5;
        if (pass == 1)
            fprintf(f, "\"LINESTRING(%.1f %.1f,%.1f %.1f,%.1f %.1f)\",residential,no\n", x1, y1, x0 + 9, y0 + 1, x0,
                    y0);
        else
            fprintf(f, "\"LINESTRING(%.1f %.1f,%.1f %.1f,%.1f %.1f)\",residential,%s\n", x0, y0, x0 + 9, y0 + 1, x1,
                    y1, pass ? "yes" : "no");
    }
    for (int k = 0; k < 5000; k++)  /* one line many times: a run of one hash, the first kept */
        fprintf(f, "\"LINESTRING(590000 6490000,590010 6490020)\",service,no\n");
    fclose(f);
    const char *gpkg = ogr_copy(dir, "copies.gpkg", csv, "-a_srs EPSG:3006 -nln roads");
    const char *old = getenv("PLATSA_THREADS");
    char *saved = old ? strdup(old) : NULL;
    for (int t = 2; t >= 1; t--) {
        setenv("PLATSA_THREADS", t == 2 ? "2" : "1", 1);
        long two = pl_roads_dedup_two_threads();
        assert_int_equal(compare_roads(gpkg), 2 * N + 1);  /* the twins and copies dropped */
        assert_int_equal(pl_roads_dedup_two_threads() - two, t == 2);
    }
    if (saved)
        setenv("PLATSA_THREADS", saved, 1);
    else
        unsetenv("PLATSA_THREADS");
    free(saved);
}

static void test_population_files(void **state)
{
    (void)state;
    char spec[4200];
    assert_true(compare_population(sample("sodermalm/population.gpkg"), NULL) > 100);
    assert_true(compare_population(sample("monaco/population.gpkg"), NULL) > 1000);
    snprintf(spec, sizeof spec, "%s:buildings", sample("sodermalm/population.gpkg"));
    assert_true(compare_population(spec, NULL) > 100);
    pl_load_opts o = {.value_field = "weight", .id_field = "building_id"};
    assert_true(compare_population(spec, &o) > 100);
    /* The tests/data extracts: 69 DeSO areas, 360 grid squares (ogrinfo -so). */
    assert_int_equal(compare_population(real_data("scb-deso-stockholms-lan-population/"
                                                  "deso_2018_stockholms_lan_befolkning.gpkg"), NULL), 69);
    snprintf(spec, sizeof spec, "%s:pop1km_01_stockholm",
             real_data("scb-population-grid-1km-2024/scb_befolkning_1km_2024_utvalda_lan.gpkg"));
    assert_int_equal(compare_population(spec, NULL), 360);
    snprintf(spec, sizeof spec, "%s:population", synth_s());
    assert_true(compare_population(spec, NULL) > 1000);
}

/* Population polygons and points reprojected, 3D, as multi polygons, and with null,
 * empty, invalid (a bow tie, repaired), unclosed, huge and non-numeric values. */
#define BAD_POP_CSV                                                                                               \
    "WKT,pop,kn_kod,rut_id\n"                                                                                     \
    "\"POLYGON((674000 6578000,674250 6578000,674250 6578250,674000 6578250,674000 6578000))\",12,0180,a1\n"     \
    "\"POLYGON((674000 6578000,674250 6578250,674250 6578000,674000 6578250,674000 6578000))\",3,0180,a2\n"     \
    "\"\",4,0180,a3\n"                                                                                            \
    "\"POLYGON EMPTY\",4,0180,a4\n"                                                                               \
    "\"POINT(674100 6578100)\",,180,\n"                                                                            \
    "\"MULTIPOINT((674100 6578100),(674200 6578200))\",7,0180,a6\n"                                                \
    "\"POLYGON((674000 6578000,1e12 6578000,674250 6578250,674000 6578000))\",5,0180,a7\n"                         \
    "\"LINESTRING(674000 6578000,674100 6578000)\",5,0180,a8\n"                                                    \
    "\"MULTIPOLYGON(((674000 6579000,674250 6579000,674250 6579250,674000 6579000)),"                               \
    "((675000 6579000,675250 6579000,675250 6579250,675000 6579000)))\",9,0181,a9\n"                               \
    "\"POLYGON Z ((674000 6580000 1,674250 6580000 2,674250 6580250 3,674000 6580000 1))\",1,0182,a10\n"

static void test_population_variants(void **state)
{
    (void)state;
    const char *dir = scratch_dir("reader_population");
    char src[4200];
    snprintf(src, sizeof src, "%s population", sample("sodermalm/population.gpkg"));
    assert_true(compare_population(ogr_copy(dir, "wgs84.gpkg", src, "-t_srs EPSG:4326"), NULL) > 100);
    const char *deso = real_data("scb-deso-stockholms-lan-population/deso_2018_stockholms_lan_befolkning.gpkg");
    assert_int_equal(compare_population(ogr_copy(dir, "deso_wgs84.gpkg", deso, "-t_srs EPSG:4326"), NULL), 69);
    assert_int_equal(compare_population(ogr_copy(dir, "deso_multi.gpkg", deso, "-nlt MULTIPOLYGON -dim XYZ"), NULL),
                     69);
    const char *csv = write_text_file(dir, "bad.csv", BAD_POP_CSV);
    assert_true(compare_population(ogr_copy(dir, "bad.gpkg", csv, "-a_srs EPSG:3006 -nln population -nlt GEOMETRY "
                                            "-oo AUTODETECT_TYPE=YES"), NULL) > 3);
    assert_true(compare_population(ogr_copy(dir, "bad_wgs84.gpkg", csv, "-skipfailures -s_srs EPSG:3006 "
                                            "-t_srs EPSG:4326 -nln population -nlt GEOMETRY -oo AUTODETECT_TYPE=YES"),
                                   NULL) > 3);
    /* text that is not a number: the same error, after the same warnings */
    const char *text = write_text_file(dir, "text.csv", "WKT,pop\n\"POINT(674000 6578000)\",\n"
                                                   "\"POINT(674000 6578000)\",x12\n");
    assert_int_equal(compare_population(ogr_copy(dir, "text.gpkg", text, "-a_srs EPSG:3006 -nln population"), NULL),
                     -1);
}

/* The WKB parser: the shapes it takes, in both byte orders and with Z/M; the rest is left
 * to OGR (-1), truncated input included. */
static void test_wkb(void **state)
{
    (void)state;
    pl_wkb w = {0};
    /* LINESTRING(1 2, 3 4), little endian */
    const uint8_t le[] = {1, 2, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0x40,
                          0, 0, 0, 0, 0, 0, 0x08, 0x40, 0, 0, 0, 0, 0, 0, 0x10, 0x40};
    assert_int_equal(pl_wkb_parse(&w, le, sizeof le), 0);
    assert_int_equal(w.type, PL_WKB_LINE);
    assert_int_equal(w.n_pts, 2);
    assert_true(w.x[0] == 1 && w.y[0] == 2 && w.x[1] == 3 && w.y[1] == 4);
    for (size_t cut = 0; cut < sizeof le; cut++)
        assert_int_equal(pl_wkb_parse(&w, le, cut), -1);
    /* POINT Z (1 2 3), big endian, ISO code 1001 */
    const uint8_t be[] = {0, 0, 0, 0x03, 0xe9, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0,
                          0x40, 0x08, 0, 0, 0, 0, 0, 0};
    assert_int_equal(pl_wkb_parse(&w, be, sizeof be), 0);
    assert_int_equal(w.type, PL_WKB_POINT);
    assert_true(w.has_z && w.x[0] == 1 && w.y[0] == 2 && w.z[0] == 3);
    /* written back as 2D little endian: 21 bytes */
    uint8_t *buf = NULL;
    size_t cap = 0;
    assert_int_equal(pl_wkb_write_2d(&w, &buf, &cap), 21);
    free(buf);
    /* LINESTRING EMPTY and a GEOMETRYCOLLECTION are left to OGR */
    const uint8_t empty[] = {1, 2, 0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(pl_wkb_parse(&w, empty, sizeof empty), -1);
    const uint8_t gc[] = {1, 7, 0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(pl_wkb_parse(&w, gc, sizeof gc), -1);
    pl_wkb_free(&w);
}

int main(void)
{
    GDALAllRegister();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wkb),
        cmocka_unit_test(test_roads_files),
        cmocka_unit_test(test_roads_variants),
        cmocka_unit_test(test_roads_copies_two_threads),
        cmocka_unit_test(test_population_files),
        cmocka_unit_test(test_population_variants),
    };
    return cmocka_run_group_tests_name("reader", tests, NULL, NULL);
}
