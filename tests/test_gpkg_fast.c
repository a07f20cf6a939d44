/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The writer's direct SQLite path: geometry blobs byte-equal to GDAL's own, the bulk-built
 * R-tree (contents and spatial filters through OGR), empty layers, attribute-only
 * outputs, a write error mid-way, and identical bytes from identical runs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <cpl_conv.h>
#include <cpl_error.h>
#include <sqlite3.h>

#include "gis/ctx.h"
#include "gis/gpkg_blob.h"
#include "gis/geos_wkb.h"
#include "gis/gpkg_rtree.h"
#include "gis/gpkg_writer.h"
#include "support/testutil.h"

#define TS "2024-05-01T12:00:00Z"

/* ------------------------------------------------------------------ helpers */

static long long sql_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("SQL failed: %s: %s", sql, sqlite3_errmsg(db));
    long long v = -999;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_type(st, 0) == SQLITE_NULL ? -998 : sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static long long sql_exec_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("SQL failed: %s: %s", sql, sqlite3_errmsg(db));
    long long v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -999;
    sqlite3_finalize(st);
    return v;
}

static pl_ctx *quiet_ctx(void)
{
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    return ctx;
}

static GEOSGeometry *wkt(pl_ctx *ctx, const char *text)
{
    GEOSWKTReader *r = GEOSWKTReader_create_r(ctx->geos);
    GEOSGeometry *g = GEOSWKTReader_read_r(ctx->geos, r, text);
    GEOSWKTReader_destroy_r(ctx->geos, r);
    assert_non_null(g);
    return g;
}

static const pl_field_def CELL_FIELDS[] = {
    {"cell_id", PL_FIELD_TEXT, "Ruta", NULL},
    {"pop", PL_FIELD_REAL, "Befolkning", NULL},
    {"level", PL_FIELD_INT, NULL, NULL},
};

/* How write_grid_ahead announces the cells' envelopes (pl_gpkg_layer_index_ahead). */
enum { AHEAD_NONE, AHEAD_RIGHT, AHEAD_ONE_WRONG, AHEAD_TOO_FEW, AHEAD_TOO_MANY };

/* n x n square cells of 250 m (cell k at column k % n, row k / n), as MultiPolygons; their
 * envelopes announced as `ahead` says. */
static int write_grid_ahead(pl_ctx *ctx, const char *path, int n, long batch, int ahead, pl_error *err)
{
    pl_gpkg_opts o = {.overwrite = 1, .timestamp = TS};
    pl_gpkg *g = pl_gpkg_create(ctx, path, &o, err);
    if (!g)
        return err->code;
    pl_gpkg_set_batch_rows(g, batch);
    pl_gpkg_layer *l = pl_gpkg_layer_add(g, "cells", 6, "Rutor", CELL_FIELDS, 3, NULL, err);
    if (!l) {
        pl_gpkg_abort(g);
        return err->code;
    }
    if (ahead != AHEAD_NONE) {
        size_t m = (size_t)n * (size_t)n + (ahead == AHEAD_TOO_MANY ? 3 : 0) - (ahead == AHEAD_TOO_FEW ? 1 : 0);
        pl_envelope *env = calloc(m, sizeof *env);
        for (size_t k = 0; k < m; k++) {
            double x = 500000 + 250.0 * (double)(k % (size_t)n), y = 6500000 + 250.0 * (double)(k / (size_t)n);
            env[k] = (pl_envelope){x, x + 250, y, y + 250};
        }
        if (ahead == AHEAD_ONE_WRONG)
            env[m / 2].maxx += 1e-9;
        pl_gpkg_layer_index_ahead(l, env, m);
        free(env);
    }
    int rc = PL_OK;
    for (int k = 0; k < n * n && rc == PL_OK; k++) {
        double x = 500000 + 250.0 * (k % n), y = 6500000 + 250.0 * (k / n);
        char text[256], id[32];
        snprintf(text, sizeof text, "POLYGON((%g %g,%g %g,%g %g,%g %g,%g %g))", x, y, x + 250, y, x + 250, y + 250,
                 x, y + 250, x, y);
        snprintf(id, sizeof id, "c%d", k);
        GEOSGeometry *p = wkt(ctx, text);
        pl_gpkg_row_begin(l);
        pl_gpkg_set_text(l, 0, id);
        pl_gpkg_set_real(l, 1, k % 7 ? k * 0.5 : NAN);
        pl_gpkg_set_int(l, 2, k % 5);
        pl_gpkg_set_geos(l, p);
        GEOSGeom_destroy_r(ctx->geos, p);
        rc = pl_gpkg_row_end(l, err);
    }
    if (rc != PL_OK) {
        pl_gpkg_abort(g);
        return rc;
    }
    return pl_gpkg_commit(g, err);
}

static int write_grid(pl_ctx *ctx, const char *path, int n, long batch, pl_error *err)
{
    return write_grid_ahead(ctx, path, n, batch, AHEAD_NONE, err);
}

/* ------------------------------------------------------------------ blobs */

/* GDAL's own blob for a WKT: written through OGR into a scratch GeoPackage. */
static void gdal_blob(const char *dir, const char *text, unsigned char *out, size_t *n, int *srs_id)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/gdal.gpkg", dir);
    unlink(path);
    GDALDatasetH ds = GDALCreate(GDALGetDriverByName("GPKG"), path, 0, 0, 0, GDT_Unknown, NULL);
    assert_non_null(ds);
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(srs, 3006);
    OGRLayerH l = GDALDatasetCreateLayer(ds, "t", srs, wkbUnknown, NULL);
    OSRDestroySpatialReference(srs);
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
    OGRGeometryH geom = NULL;
    char *p = (char *)text;
    assert_int_equal(OGR_G_CreateFromWkt(&p, NULL, &geom), OGRERR_NONE);
    OGR_F_SetGeometryDirectly(f, geom);
    assert_int_equal(OGR_L_CreateFeature(l, f), OGRERR_NONE);
    OGR_F_Destroy(f);
    GDALClose(ds);
    sqlite3 *db = NULL;
    sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT geom, (SELECT srs_id FROM gpkg_geometry_columns) FROM t", -1,
                                        &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    *n = (size_t)sqlite3_column_bytes(st, 0);
    assert_true(*n < 4096);
    memcpy(out, sqlite3_column_blob(st, 0), *n);
    *srs_id = sqlite3_column_int(st, 1);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void test_blob_equals_gdal(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "POINT (674500.5 6580500.25)",
        "LINESTRING (0 0,10 5,-3 7)",
        "POLYGON ((0 0,10 0,10 10,0 10,0 0),(2 2,3 2,3 3,2 2))",
        "MULTIPOLYGON (((0 0,1 0,1 1,0 0)),((5 5,6 5,6 -6,5 5)))",
        "MULTIPOINT ((1 2),(3 -4))",
        "POLYGON EMPTY",
        "MULTIPOLYGON EMPTY",
        "POINT EMPTY",
    };
    const char *dir = scratch_dir("gpkg_fast/blob");
    pl_ctx *ctx = quiet_ctx();
    GEOSWKBWriter *w = GEOSWKBWriter_create_r(ctx->geos);
    GEOSWKBWriter_setByteOrder_r(ctx->geos, w, GEOS_WKB_NDR);
    GEOSWKBWriter_setOutputDimension_r(ctx->geos, w, 2);
    pl_blob b = {0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned char want[4096];
        size_t want_n = 0;
        int srs_id = 0;
        gdal_blob(dir, cases[i], want, &want_n, &srs_id);
        GEOSGeometry *g = wkt(ctx, cases[i]);
        size_t n = 0;
        unsigned char *wkb = GEOSWKBWriter_write_r(ctx->geos, w, g, &n);
        pl_envelope env;
        int empty = -1;
        assert_int_equal(pl_gpkg_blob_from_wkb(&b, wkb, n, srs_id, 0, &env, &empty), 0);
        assert_int_equal(empty, strstr(cases[i], "EMPTY") != NULL);
        if (b.n != want_n || memcmp(b.b, want, want_n) != 0) {
            /* An empty point's NaN payload may differ in bits; the header must not. */
            if (!(strcmp(cases[i], "POINT EMPTY") == 0 && b.n == want_n && memcmp(b.b, want, 13) == 0))
                fail_msg("blob of %s differs from GDAL's (%zu vs %zu bytes)", cases[i], b.n, want_n);
        }
        GEOSFree_r(ctx->geos, wkb);
        GEOSGeom_destroy_r(ctx->geos, g);
    }
    pl_blob_free(&b);
    GEOSWKBWriter_destroy_r(ctx->geos, w);
    pl_ctx_free(ctx);
}

/* pl_geos_polygonal_wkb gives GEOS's own WKB for polygons (holes, several parts, Z dropped,
 * rings longer than its stack buffer) and declines everything else. */
static void test_polygon_wkb_equals_geos(void **state)
{
    (void)state;
    static const char *const polygonal[] = {
        "POLYGON ((674500.123456789 6580500.25,674750 6580500.25,674750 6580750,674500.123456789 6580500.25))",
        "POLYGON ((0 0,10 0,10 10,0 10,0 0),(2 2,3 2,3 3,2 2),(5 5,6 5,6 6,5 5))",
        "MULTIPOLYGON (((0 0,1 0,1 1,0 0)),((5 5,6 5,6 -6,5 5),(5.5 4,5.6 4,5.6 3,5.5 4)))",
        "POLYGON Z ((0 0 1,10 0 2,10 10 3,0 0 1))",
        "MULTIPOLYGON Z (((0 0 1,10 0 2,10 10 3,0 0 1)))",
    };
    static const char *const others[] = {"POLYGON EMPTY", "MULTIPOLYGON EMPTY", "POINT (1 2)",
                                         "LINESTRING (0 0,1 1)", "GEOMETRYCOLLECTION (POLYGON ((0 0,1 0,1 1,0 0)))"};
    pl_ctx *ctx = quiet_ctx();
    GEOSContextHandle_t h = ctx->geos;
    GEOSWKBWriter *w = GEOSWKBWriter_create_r(h);
    GEOSWKBWriter_setByteOrder_r(h, w, GEOS_WKB_NDR);
    GEOSWKBWriter_setOutputDimension_r(h, w, 2);
    pl_blob b = {0};
    GEOSGeometry *pt = wkt(ctx, "POINT (500000 6500000)");
    GEOSGeometry *round = GEOSBuffer_r(h, pt, 125.0, 40);  /* 161 points: the malloc'ed buffer */
    GEOSGeom_destroy_r(h, pt);
    for (size_t i = 0; i <= sizeof polygonal / sizeof polygonal[0]; i++) {
        GEOSGeometry *g = i < sizeof polygonal / sizeof polygonal[0] ? wkt(ctx, polygonal[i]) : round;
        size_t n = 0;
        unsigned char *want = GEOSWKBWriter_write_r(h, w, g, &n);
        assert_int_equal(pl_geos_polygonal_wkb(h, g, &b), 0);
        if (b.n != n || memcmp(b.b, want, n) != 0)
            fail_msg("WKB of case %zu differs from GEOS's (%zu vs %zu bytes)", i, b.n, n);
        GEOSFree_r(h, want);
        GEOSGeom_destroy_r(h, g);
    }
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        GEOSGeometry *g = wkt(ctx, others[i]);
        assert_int_equal(pl_geos_polygonal_wkb(h, g, &b), 1);
        GEOSGeom_destroy_r(h, g);
    }
    pl_blob_free(&b);
    GEOSWKBWriter_destroy_r(h, w);
    pl_ctx_free(ctx);
}

static void test_blob_envelope_and_malformed(void **state)
{
    (void)state;
    /* LINESTRING (1 5, -2 7) */
    unsigned char ls[9 + 32] = {1, 2, 0, 0, 0, 2, 0, 0, 0};
    double c[4] = {1, 5, -2, 7};
    memcpy(ls + 9, c, sizeof c);
    pl_envelope e;
    int type = 0;
    assert_int_equal(pl_wkb_envelope(ls, sizeof ls, &e, &type), 1);
    assert_int_equal(type, 2);
    assert_true(e.minx == -2 && e.maxx == 1 && e.miny == 5 && e.maxy == 7);
    assert_int_equal(pl_wkb_envelope(ls, sizeof ls - 1, &e, &type), -1);  /* truncated */
    unsigned char bad[9] = {1, 99, 0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(pl_wkb_envelope(bad, sizeof bad, &e, &type), -1);
    unsigned char huge[9] = {1, 2, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f};  /* claims 2^31 points */
    assert_int_equal(pl_wkb_envelope(huge, sizeof huge, &e, &type), -1);
    /* A polygon wrapped into a MultiPolygon reads back through the multi header. */
    pl_blob b = {0};
    assert_int_equal(pl_gpkg_blob_from_wkb(&b, ls, sizeof ls, 3006, 5, &e, NULL), 0);
    assert_int_equal(b.n, 8 + 32 + 9 + sizeof ls);
    assert_int_equal(b.b[3], 0x03);           /* little-endian, XY envelope */
    assert_int_equal(b.b[8 + 32 + 1], 5);     /* MultiLineString */
    assert_int_equal(b.b[8 + 32 + 5], 1);     /* one part */
    pl_blob_free(&b);
}

/* Geometries of every kind through the writer, read back by OGR as WKT. */
static void test_geometries_read_back_by_gdal(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "POINT (1 2)", "MULTIPOLYGON (((0 0,1 0,1 1,0 0)))", "POLYGON ((0 0,10 0,10 10,0 0))",
        "LINESTRING (0 0,1 1)", "POLYGON EMPTY", NULL,
    };
    const char *dir = scratch_dir("gpkg_fast/readback");
    char path[4200];
    snprintf(path, sizeof path, "%s/g.gpkg", dir);
    pl_ctx *ctx = quiet_ctx();
    pl_error err = {0};
    pl_gpkg_opts o = {.timestamp = TS};
    pl_gpkg *g = pl_gpkg_create(ctx, path, &o, &err);
    assert_non_null(g);
    pl_gpkg_layer *any = pl_gpkg_layer_add(g, "any", 0 /* wkbUnknown */, NULL, NULL, 0, NULL, &err);
    pl_gpkg_layer *multi = pl_gpkg_layer_add(g, "multi", 6, NULL, NULL, 0, NULL, &err);
    assert_non_null(any);
    assert_non_null(multi);
    int n = sizeof cases / sizeof cases[0];
    for (int i = 0; i < n; i++) {
        pl_gpkg_row_begin(any);
        if (cases[i]) {
            GEOSGeometry *geom = wkt(ctx, cases[i]);
            pl_gpkg_set_geos(any, geom);
            GEOSGeom_destroy_r(ctx->geos, geom);
        }
        assert_int_equal(pl_gpkg_row_end(any, &err), PL_OK);
    }
    GEOSGeometry *poly = wkt(ctx, "POLYGON ((0 0,10 0,10 10,0 0))");
    pl_gpkg_row_begin(multi);
    pl_gpkg_set_geos(multi, poly);
    GEOSGeom_destroy_r(ctx->geos, poly);
    assert_int_equal(pl_gpkg_row_end(multi, &err), PL_OK);
    assert_int_equal(pl_gpkg_commit(g, &err), PL_OK);

    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH l = GDALDatasetGetLayerByName(ds, "any");
    assert_int_equal(OGR_L_GetFeatureCount(l, 1), n);
    for (int i = 0; i < n; i++) {
        OGRFeatureH f = OGR_L_GetFeature(l, i + 1);
        assert_non_null(f);
        OGRGeometryH geom = OGR_F_GetGeometryRef(f);
        if (!cases[i]) {
            assert_null(geom);
        } else {
            char *text = NULL;
            assert_non_null(geom);
            OGR_G_ExportToIsoWkt(geom, &text);
            if (strcmp(text, cases[i]) != 0)
                fail_msg("read back %s, wrote %s", text, cases[i]);
            CPLFree(text);
        }
        OGR_F_Destroy(f);
    }
    OGRFeatureH f = OGR_L_GetFeature(GDALDatasetGetLayerByName(ds, "multi"), 1);
    char *text = NULL;
    OGR_G_ExportToIsoWkt(OGR_F_GetGeometryRef(f), &text);
    assert_string_equal(text, "MULTIPOLYGON (((0 0,10 0,10 10,0 0)))");
    CPLFree(text);
    OGR_F_Destroy(f);
    GDALClose(ds);
    /* Only non-empty geometries are indexed (as GDAL's triggers do). */
    assert_int_equal(sql_int(path, "SELECT count(*) FROM rtree_any_geom"), 4);
    assert_int_equal(sql_int(path, "SELECT feature_count FROM gpkg_ogr_contents WHERE table_name = 'any'"), n);
    pl_ctx_free(ctx);
}

/* ------------------------------------------------------------------ R-tree */

static void test_rtree_contents_and_spatial_filter(void **state)
{
    (void)state;
    const char *dir = scratch_dir("gpkg_fast/rtree");
    char path[4200];
    snprintf(path, sizeof path, "%s/grid.gpkg", dir);
    pl_ctx *ctx = quiet_ctx();
    pl_error err = {0};
    const int n = 40;
    assert_int_equal(write_grid(ctx, path, n, 333, &err), PL_OK);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM rtree_cells_geom"), n * n);
    assert_int_equal(sql_int(path, "SELECT rtreecheck('rtree_cells_geom') = 'ok'"), 1);  /* SQLite's own check */
    /* Every entry holds its own cell (the R-tree's floats are rounded outward). */
    assert_int_equal(sql_int(path, "SELECT count(*) FROM cells c JOIN rtree_cells_geom r ON r.id = c.fid "
                                   "WHERE r.minx <= 500000 + 250 * ((c.fid - 1) % 40) "
                                   "AND r.maxx >= 500250 + 250 * ((c.fid - 1) % 40) "
                                   "AND r.miny <= 6500000 + 250 * ((c.fid - 1) / 40) "
                                   "AND r.maxy >= 6500250 + 250 * ((c.fid - 1) / 40) "
                                   "AND r.maxx - r.minx < 251"), n * n);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM gpkg_extensions WHERE table_name = 'cells' AND "
                                   "column_name = 'geom' AND extension_name = 'gpkg_rtree_index'"), 1);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND "
                                   "name LIKE 'rtree_cells_geom_%'"), 6);
    assert_int_equal(sql_int(path, "SELECT CAST(min_x AS INTEGER) + CAST(max_y AS INTEGER) FROM gpkg_contents "
                                   "WHERE table_name = 'cells'"), 500000 + 6500000 + 250 * n);

    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    OGRLayerH l = GDALDatasetGetLayerByName(ds, "cells");
    OGRLayerH has = GDALDatasetExecuteSQL(ds, "SELECT HasSpatialIndex('cells', 'geom')", NULL, NULL);
    assert_non_null(has);
    OGRFeatureH hf = OGR_L_GetNextFeature(has);
    assert_int_equal(OGR_F_GetFieldAsInteger(hf, 0), 1);
    OGR_F_Destroy(hf);
    GDALDatasetReleaseResultSet(ds, has);
    /* Columns 3..5 and rows 10..11 fully inside, touching cells around them too. */
    OGR_L_SetSpatialFilterRect(l, 500000 + 250 * 3 + 1, 6500000 + 250 * 10 + 1, 500000 + 250 * 6 - 1,
                               6500000 + 250 * 12 - 1);
    assert_int_equal(OGR_L_GetFeatureCount(l, 1), 3 * 2);
    OGR_L_SetSpatialFilterRect(l, 0, 0, 10, 10);
    assert_int_equal(OGR_L_GetFeatureCount(l, 1), 0);
    OGR_L_SetSpatialFilter(l, NULL);
    OGREnvelope e;
    assert_int_equal(OGR_L_GetExtent(l, &e, 0), OGRERR_NONE);
    assert_true(e.MinX == 500000 && e.MaxX == 500000 + 250.0 * n && e.MaxY == 6500000 + 250.0 * n);
    GDALClose(ds);
    pl_ctx_free(ctx);
}

/* ------------------------------------------------------------------ special outputs */

static void test_empty_layer(void **state)
{
    (void)state;
    const char *dir = scratch_dir("gpkg_fast/empty");
    char path[4200];
    snprintf(path, sizeof path, "%s/empty.gpkg", dir);
    pl_ctx *ctx = quiet_ctx();
    pl_error err = {0};
    pl_gpkg_opts o = {.timestamp = TS};
    pl_gpkg *g = pl_gpkg_create(ctx, path, &o, &err);
    assert_non_null(g);
    pl_style st = {.kind = PL_STYLE_SINGLE};
    assert_non_null(pl_gpkg_layer_add(g, "nothing", 6, "Tomt", CELL_FIELDS, 3, &st, &err));
    assert_int_equal(pl_gpkg_commit(g, &err), PL_OK);
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH l = GDALDatasetGetLayerByName(ds, "nothing");
    assert_non_null(l);
    assert_int_equal(OGR_L_GetFeatureCount(l, 1), 0);
    assert_int_equal(OGR_FD_GetFieldCount(OGR_L_GetLayerDefn(l)), 3);
    GDALClose(ds);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM rtree_nothing_geom"), 0);
    assert_int_equal(sql_int(path, "SELECT feature_count FROM gpkg_ogr_contents WHERE table_name = 'nothing'"), 0);
    assert_int_equal(sql_int(path, "SELECT min_x FROM gpkg_contents WHERE table_name = 'nothing'"), -998);
    pl_ctx_free(ctx);
}

/* GDAL's feature-count triggers are there, as GDAL made them, in the finished file (rows go
 * in with triggers off, see test_feature_count_triggers): the count is right and a row
 * inserted later still counts. */
static void test_count_triggers_after_rows(void **state)
{
    (void)state;
    const char *dir = scratch_dir("gpkg_fast/count_triggers");
    char path[4200];
    snprintf(path, sizeof path, "%s/counted.gpkg", dir);
    pl_ctx *ctx = quiet_ctx();
    pl_error err = {0};
    pl_gpkg_opts o = {.timestamp = TS, .overwrite = 1};
    pl_gpkg *g = pl_gpkg_create(ctx, path, &o, &err);
    assert_non_null(g);
    pl_gpkg_layer *pts = pl_gpkg_layer_add(g, "pts", 1, "Punkter", CELL_FIELDS, 3, NULL, &err);
    pl_gpkg_layer *tab = pl_gpkg_layer_add(g, "tab", 100, "Tabell", CELL_FIELDS, 3, NULL, &err);
    assert_non_null(pts);
    assert_non_null(tab);
    for (int k = 0; k < 1000; k++) {
        pl_gpkg_row_begin(pts);
        pl_gpkg_set_int(pts, 2, k);
        pl_gpkg_set_xy(pts, 500000 + k, 6500000);
        assert_int_equal(pl_gpkg_row_end(pts, &err), PL_OK);
        pl_gpkg_row_begin(tab);
        pl_gpkg_set_text(tab, 0, "x");
        assert_int_equal(pl_gpkg_row_end(tab, &err), PL_OK);
    }
    assert_int_equal(pl_gpkg_commit(g, &err), PL_OK);
    const char *names[] = {"pts", "tab"};
    for (int i = 0; i < 2; i++) {
        char sql[512];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = '%s' AND "
                 "name = 'trigger_insert_feature_count_%s' AND sql LIKE '%%SET feature_count = feature_count + 1%%'",
                 names[i], names[i]);
        assert_int_equal(sql_int(path, sql), 1);
        snprintf(sql, sizeof sql, "SELECT feature_count FROM gpkg_ogr_contents WHERE table_name = '%s'", names[i]);
        assert_int_equal(sql_int(path, sql), 1000);
    }
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "INSERT INTO tab (cell_id) VALUES ('later')", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sql_exec_int(db, "SELECT feature_count FROM gpkg_ogr_contents WHERE table_name = 'tab'"), 1001);
    sqlite3_close(db);
    pl_ctx_free(ctx);
}

static void test_attribute_only_output(void **state)
{
    (void)state;
    const char *dir = scratch_dir("gpkg_fast/attributes");
    char path[4200], csv[4300];
    snprintf(path, sizeof path, "%s/tab.gpkg", dir);
    snprintf(csv, sizeof csv, "%s/tab_summary.csv", dir);
    pl_ctx *ctx = quiet_ctx();
    pl_error err = {0};
    pl_gpkg_opts o = {.timestamp = TS, .csv = 1};
    pl_gpkg *g = pl_gpkg_create(ctx, path, &o, &err);
    assert_non_null(g);
    pl_gpkg_layer *l = pl_gpkg_layer_add(g, "summary", 100, "Sammanfattning", CELL_FIELDS, 3, NULL, &err);
    assert_non_null(l);
    for (int i = 0; i < 3; i++) {
        pl_gpkg_row_begin(l);
        pl_gpkg_set_text(l, 0, i == 1 ? "a,\"b\"" : "x");
        pl_gpkg_set_real(l, 1, i * 0.1);
        if (i != 2)
            pl_gpkg_set_int(l, 2, -i);
        assert_int_equal(pl_gpkg_row_end(l, &err), PL_OK);
    }
    if (pl_gpkg_commit(g, &err) != PL_OK)
        fail_msg("commit: %s", err.msg);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM summary"), 3);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM summary WHERE level IS NULL"), 1);
    assert_int_equal(sql_int(path, "SELECT feature_count FROM gpkg_ogr_contents WHERE table_name = 'summary'"), 3);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM gpkg_contents WHERE data_type = 'attributes' AND "
                                   "table_name = 'summary'"), 1);
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    assert_non_null(ds);
    assert_int_equal(OGR_L_GetFeatureCount(GDALDatasetGetLayerByName(ds, "summary"), 1), 3);
    GDALClose(ds);
    FILE *f = fopen(csv, "r");
    assert_non_null(f);
    char buf[512] = {0};
    size_t got = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[got] = '\0';
    assert_string_equal(buf, "cell_id,pop,level\nx,0,0\n\"a,\"\"b\"\"\",0.1,-1\nx,0.2,\n");
    pl_ctx_free(ctx);
}

/* ------------------------------------------------------------------ errors, determinism */

/* The file size limit reached mid-way (as a full disk would fail the writes): the output
 * fails, says why, and leaves nothing behind. Run in a child: the limit is per process. */
static void test_write_error_leaves_nothing(void **state)
{
    (void)state;
    const char *dir = scratch_dir("gpkg_fast/full");
    char path[4200];
    snprintf(path, sizeof path, "%s/full.gpkg", dir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);  /* writes past the limit fail with EFBIG instead */
        struct rlimit rl = {512 * 1024, 512 * 1024};
        setrlimit(RLIMIT_FSIZE, &rl);
        pl_ctx *ctx = quiet_ctx();
        pl_error err = {0};
        int rc = write_grid(ctx, path, 200, 5000, &err);
        int ok_msg = strstr(err.msg, "full.gpkg") != NULL;
        pl_ctx_free(ctx);
        _exit(rc == PL_OK ? 10 : !ok_msg ? 11 : 0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s')\"", dir);
    assert_int_equal(run_cmd("%s", cmd), 0);
}

/* ------------------------------------------------------------------ R-tree packing order */

typedef struct ref_ent {
    int64_t id;
    float box[4];
} ref_ent;

static int ref_cmp(const ref_ent *a, const ref_ent *b, int axis)
{
    float ca = a->box[2 * axis] + a->box[2 * axis + 1], cb = b->box[2 * axis] + b->box[2 * axis + 1];
    if (ca != cb)
        return ca < cb ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}
static int ref_x(const void *a, const void *b) { return ref_cmp(a, b, 0); }
static int ref_y(const void *a, const void *b) { return ref_cmp(a, b, 1); }

/* Builds the index of `l` in a fresh file and checks that its
 * leaves hold the entries in Sort-Tile-Recursive order by box centre, ties by id (what
 * gpkg_rtree.c's sorts must give, whichever way they sort), and that SQLite finds it sound. */
static void check_str_order(const char *path, const pl_rtree_list *l)
{
    remove(path);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA page_size = 4096; CREATE TABLE t (fid INTEGER PRIMARY KEY, geom BLOB)",
                                  NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(pl_gpkg_rtree_build(db, "t", "geom", l, NULL), 0);
    /* The expected order, from the float boxes the index holds. */
    /* Cells per node: as many as the node size SQLite chose holds. */
    size_t n = l->n, m = (size_t)(sql_exec_int(db, "SELECT length(data) FROM rtree_t_geom_node WHERE nodeno = 1") - 4) / 24;
    size_t k = 0;
    ref_ent *e = calloc(n, sizeof *e);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT id, minx, maxx, miny, maxy FROM rtree_t_geom", -1, &st, NULL),
                     SQLITE_OK);
    for (; sqlite3_step(st) == SQLITE_ROW && k < n; k++) {
        e[k].id = sqlite3_column_int64(st, 0);
        for (int j = 0; j < 4; j++)
            e[k].box[j] = (float)sqlite3_column_double(st, j + 1);
    }
    sqlite3_finalize(st);
    assert_int_equal(k, n);
    size_t pages = (n + m - 1) / m, slices = (size_t)ceil(sqrt((double)pages)), per_slice = slices * m;
    qsort(e, n, sizeof *e, ref_x);
    for (size_t s0 = 0; s0 < n; s0 += per_slice)
        qsort(e + s0, n - s0 < per_slice ? n - s0 : per_slice, sizeof *e, ref_y);
    /* The leaves are nodes 2 .. pages + 1, filled in that order (more than one level here). */
    assert_true(pages > 1);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT data FROM rtree_t_geom_node WHERE nodeno BETWEEN 2 AND ? "
                                            "ORDER BY nodeno", -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_int64(st, 1, (sqlite3_int64)pages + 1);
    k = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *b = sqlite3_column_blob(st, 0);
        int cells = b[2] << 8 | b[3];
        for (int c = 0; c < cells; c++, k++) {
            int64_t id = 0;
            for (int j = 0; j < 8; j++)
                id = id << 8 | b[4 + 24 * c + j];
            assert_true(k < n);
            if (id != e[k].id)
                fail_msg("leaf entry %zu: id %lld, expected %lld", k, (long long)id, (long long)e[k].id);
        }
    }
    sqlite3_finalize(st);
    assert_int_equal(k, n);
    free(e);
    assert_int_equal(sql_exec_int(db, "SELECT rtreecheck('rtree_t_geom') = 'ok'"), 1);
    assert_int_equal(sql_exec_int(db, "SELECT count(*) FROM rtree_t_geom_rowid r JOIN rtree_t_geom t ON t.id = r.rowid"),
                     n);
    sqlite3_close(db);
}

static void test_rtree_pack_order(void **state)
{
    (void)state;
    const char *dir = scratch_dir("gpkg_fast/rtree_order");
    char path[4200];
    snprintf(path, sizeof path, "%s/order.sqlite", dir);
    /* Centres below and above zero, -0 beside +0, many equal (then the id decides), ids
     * inserted in falling order; then an id above 2^32. */
    static const double cx[] = {-250000.5, -3.0, -0.0, 0.0, 1.0, 3.0, 1e7, -1e-30};
    pl_rtree_list l = {0};
    for (int i = 0; i < 1000; i++) {
        double hw = i % 3, x = cx[i % 8], y = (double)((i * 7919) % 1000) - 500.0, hh = i % 4 ? 0.25 : 0;
        pl_envelope env = {x - hw, x + hw, y - hh, y + hh};
        if (x == 0 && hw == 0)
            env.minx = env.maxx = x;  /* a box of -0 or +0 on both sides */
        assert_int_equal(pl_rtree_list_add(&l, 5000 - 3 * i, &env), 0);
    }
    check_str_order(path, &l);
    /* Ids 1..n: the index's rowid table is filled with the rowids SQLite gives (the same). */
    pl_rtree_list seq = {0};
    for (size_t i = 0; i < l.n; i++)
        assert_int_equal(pl_rtree_list_add(&seq, (int64_t)i + 1, &l.v[i].e), 0);
    check_str_order(path, &seq);
    pl_rtree_list_free(&seq);
    pl_envelope far = {1, 2, 3, 4};
    assert_int_equal(pl_rtree_list_add(&l, (int64_t)1 << 33, &far), 0);
    check_str_order(path, &l);
    pl_rtree_list_free(&l);
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)len);
    *n = fread(s, 1, (size_t)len, f);
    fclose(f);
    return s;
}

static void test_same_rows_same_bytes(void **state)
{
    (void)state;
    const char *dir = scratch_dir("gpkg_fast/determinism");
    char a[4200], b[4200];
    snprintf(a, sizeof a, "%s/a.gpkg", dir);
    snprintf(b, sizeof b, "%s/b.gpkg", dir);
    pl_ctx *ctx = quiet_ctx();
    pl_error err = {0};
    assert_int_equal(write_grid(ctx, a, 60, 1000, &err), PL_OK);
    assert_int_equal(write_grid(ctx, b, 60, 1000, &err), PL_OK);
    /* 3,600 entries: a three-level packed tree, checked by SQLite and against a plain scan. */
    assert_int_equal(sql_int(a, "SELECT rtreecheck('rtree_cells_geom') = 'ok'"), 1);
    assert_int_equal(sql_int(a, "SELECT count(*) FROM rtree_cells_geom_node"), 1 + 2 + 71);
    for (int q = 0; q < 5; q++) {
        char sql[600];
        double x = 500000 + 1700.0 * q, y = 6500000 + 2300.0 * q;
        snprintf(sql, sizeof sql, "SELECT (SELECT count(*) FROM rtree_cells_geom WHERE minx <= %.1f AND maxx >= %.1f "
                 "AND miny <= %.1f AND maxy >= %.1f) = (SELECT count(*) FROM rtree_cells_geom WHERE id > 0 AND "
                 "+minx <= %.1f AND +maxx >= %.1f AND +miny <= %.1f AND +maxy >= %.1f)",
                 x + 900, x, y + 400, y, x + 900, x, y + 400, y);
        assert_int_equal(sql_int(a, sql), 1);
    }
    size_t na = 0, nb = 0;
    char *sa = slurp(a, &na), *sb = slurp(b, &nb);
    assert_int_equal(na, nb);
    assert_memory_equal(sa, sb, na);
    free(sa);
    free(sb);
    pl_ctx_free(ctx);
}

/* The spatial index packed ahead from the envelopes announced (pl_gpkg_layer_index_ahead) is
 * used when the rows have exactly those, and the file is the same byte for byte as without the
 * announcement; announced envelopes that turn out wrong (one differs, one row too few or too
 * many announced) are not used, and the file is the same all the same. */
static void test_index_ahead(void **state)
{
    (void)state;
    const char *dir = scratch_dir("gpkg_fast/index_ahead");
    pl_ctx *ctx = quiet_ctx();
    pl_error err = {0};
    char ref[4200];
    snprintf(ref, sizeof ref, "%s/ref.gpkg", dir);
    assert_int_equal(write_grid(ctx, ref, 60, 1000, &err), PL_OK);
    size_t n_ref = 0;
    char *s_ref = slurp(ref, &n_ref);
    static const struct { int ahead, used; } cases[] = {
        {AHEAD_RIGHT, 1}, {AHEAD_ONE_WRONG, 0}, {AHEAD_TOO_FEW, 0}, {AHEAD_TOO_MANY, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/ahead%zu.gpkg", dir, i);
        long used = pl_gpkg_index_ahead_used();
        assert_int_equal(write_grid_ahead(ctx, path, 60, 1000, cases[i].ahead, &err), PL_OK);
        assert_int_equal(pl_gpkg_index_ahead_used() - used, cases[i].used);
        assert_int_equal(sql_int(path, "SELECT rtreecheck('rtree_cells_geom') = 'ok'"), 1);
        size_t n = 0;
        char *s = slurp(path, &n);
        assert_int_equal(n, n_ref);
        assert_memory_equal(s, s_ref, n);
        free(s);
    }
    free(s_ref);
    pl_ctx_free(ctx);
}

/* ------------------------------------------------------------------ feature counts */

/* Trigger programs run on any connection opened while counting (GDAL's own included):
 * SQLite reports each as "-- TRIGGER name" to a statement trace. */
static int n_count_triggers;

static int count_trigger_trace(unsigned type, void *ctx, void *p, void *x)
{
    (void)type;
    (void)ctx;
    (void)p;
    if (x && strstr((const char *)x, "-- TRIGGER trigger_insert_feature_count_"))
        n_count_triggers++;
    return 0;
}

static int trace_on_open(sqlite3 *db, char **msg, const struct sqlite3_api_routines *api)
{
    (void)msg;
    (void)api;
    sqlite3_trace_v2(db, SQLITE_TRACE_STMT, count_trigger_trace, NULL);
    return SQLITE_OK;
}

/* GDAL's feature-count triggers are off while rows go in (the commit writes the counts), and
 * every count is right all the same: two layers' rows interleaved over several transactions,
 * a layer created between rows, GDAL's layer_styles rows, and the triggers in the finished
 * file counting rows added later. */
static void test_feature_count_triggers(void **state)
{
    (void)state;
    const char *dir = scratch_dir("gpkg_fast/counts");
    char path[4200];
    snprintf(path, sizeof path, "%s/counts.gpkg", dir);
    pl_ctx *ctx = quiet_ctx();
    pl_error err = {0};
    pl_gpkg_opts o = {.overwrite = 1, .timestamp = TS};
    n_count_triggers = 0;
    sqlite3_auto_extension((void (*)(void))trace_on_open);
    pl_gpkg *g = pl_gpkg_create(ctx, path, &o, &err);
    sqlite3_cancel_auto_extension((void (*)(void))trace_on_open);
    assert_non_null(g);
    pl_gpkg_set_batch_rows(g, 7);
    pl_style st = {.kind = PL_STYLE_SINGLE};
    pl_gpkg_layer *a = pl_gpkg_layer_add(g, "a", 1, "A", CELL_FIELDS, 3, &st, &err);
    assert_non_null(a);
    pl_gpkg_layer *b = NULL;
    for (int k = 0; k < 100; k++) {
        if (k == 30) {  /* GDAL creates a table after rows of another went in */
            b = pl_gpkg_layer_add(g, "b", 100, "B", CELL_FIELDS, 3, NULL, &err);
            assert_non_null(b);
        }
        pl_gpkg_layer *l = b && k % 3 == 0 ? b : a;
        pl_gpkg_row_begin(l);
        pl_gpkg_set_int(l, 2, k);
        if (l == a)
            pl_gpkg_set_xy(l, 500000 + k, 6500000);
        assert_int_equal(pl_gpkg_row_end(l, &err), PL_OK);
    }
    pl_gpkg_temp_path(g);  /* every row inserted */
    /* The rows went in without the triggers' UPDATE per row (half of the writer thread's time). */
    assert_int_equal(n_count_triggers, 0);
    if (pl_gpkg_commit(g, &err) != PL_OK)
        fail_msg("commit: %s", err.msg);
    assert_int_equal(sql_int(path, "SELECT feature_count FROM gpkg_ogr_contents WHERE table_name = 'a'"), 76);
    assert_int_equal(sql_int(path, "SELECT feature_count FROM gpkg_ogr_contents WHERE table_name = 'b'"), 24);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM layer_styles"), 2);  /* a's, and b's aliases */
    assert_int_equal(sql_int(path, "SELECT feature_count FROM gpkg_ogr_contents WHERE table_name = 'layer_styles'"), 2);
    assert_int_equal(sql_int(path, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND "
                                   "name LIKE 'trigger_%_feature_count_%'"), 6);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "INSERT INTO b (level) VALUES (1), (2)", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sql_exec_int(db, "SELECT feature_count FROM gpkg_ogr_contents WHERE table_name = 'b'"), 26);
    sqlite3_close(db);
    pl_ctx_free(ctx);
}

int main(void)
{
    GDALAllRegister();
    CPLPushErrorHandler(CPLQuietErrorHandler);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blob_equals_gdal),
        cmocka_unit_test(test_polygon_wkb_equals_geos),
        cmocka_unit_test(test_blob_envelope_and_malformed),
        cmocka_unit_test(test_geometries_read_back_by_gdal),
        cmocka_unit_test(test_rtree_contents_and_spatial_filter),
        cmocka_unit_test(test_empty_layer),
        cmocka_unit_test(test_attribute_only_output),
        cmocka_unit_test(test_count_triggers_after_rows),
        cmocka_unit_test(test_write_error_leaves_nothing),
        cmocka_unit_test(test_same_rows_same_bytes),
        cmocka_unit_test(test_rtree_pack_order),
        cmocka_unit_test(test_index_ahead),
        cmocka_unit_test(test_feature_count_triggers),
    };
    return cmocka_run_group_tests_name("gpkg_fast", tests, NULL, NULL);
}
