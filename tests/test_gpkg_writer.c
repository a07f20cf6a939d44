/* SPDX-License-Identifier: GPL-3.0-or-later */
/* GeoPackage writer: layers, spatial indexes, QGIS styles, aliases, run metadata,
 * CSV twins, atomic replacement and reproducible bytes.
 *
 * Outputs are reopened three independent ways: GDAL/OGR (what QGIS uses), plain
 * sqlite3 (the tables as stored) and SpatiaLite (an independent geometry engine:
 * this is where SpatiaLite earns its place in platsa, verifying written outputs). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <signal.h>
#include <fcntl.h>
#include <time.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <cpl_conv.h>
#include <cpl_error.h>
#include <sqlite3.h>
#include <spatialite.h>

#include "gis/ctx.h"
#include "gis/commit.h"
#include "gis/gpkg_writer.h"
#include "gis/vector.h"
#include "support/testutil.h"

/* libxml2 is linked (through SpatiaLite's libraries) but its headers are not on the
 * include path the Makefile gives, so the few functions used here are declared
 * with opaque types; they are stable C API. */
typedef struct _xmlDoc xmlDoc;
typedef struct _xmlXPathContext xmlXPathContext;
typedef struct _xmlXPathObject xmlXPathObject;
xmlDoc *xmlReadMemory(const char *buffer, int size, const char *url, const char *encoding, int options);
void xmlFreeDoc(xmlDoc *doc);
xmlXPathContext *xmlXPathNewContext(xmlDoc *doc);
void xmlXPathFreeContext(xmlXPathContext *ctx);
xmlXPathObject *xmlXPathEvalExpression(const unsigned char *expr, xmlXPathContext *ctx);
void xmlXPathFreeObject(xmlXPathObject *obj);
double xmlXPathCastToNumber(xmlXPathObject *obj);
unsigned char *xmlXPathCastToString(xmlXPathObject *obj);
#define XML_PARSE_NOERROR (1 << 5)
#define XML_PARSE_NOWARNING (1 << 6)
#define XML_PARSE_NONET (1 << 11)

#define TS_GIVEN "2024-05-01T14:00:00+02:00"
#define TS_GPKG "2024-05-01T12:00:00.000Z"
#define SHA_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define CMDLINE "platsa access --pharmacies indata.txt -o utdata.gpkg --breaks-km 2,5,10"

static char g_dir[4096];     /* folder of the shared sample output */
static char g_out[4200];     /* its GeoPackage */
static char g_input[4200];   /* its input file ("abc") */

/* ------------------------------------------------------------------ helpers */

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    fclose(f);
    s[got] = '\0';
    if (len)
        *len = got;
    return s;
}

/* Names in a folder (excluding . and ..), space separated; returns the count. */
static int list_dir(const char *dir, char *names, size_t size)
{
    DIR *d = opendir(dir);
    int n = 0;
    names[0] = '\0';
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        n++;
        size_t used = strlen(names);
        snprintf(names + used, size - used, "%s ", e->d_name);
    }
    closedir(d);
    return n;
}

static sqlite3 *open_db(const char *path)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    return db;
}

static long long sql_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("SQL failed: %s: %s", sql, sqlite3_errmsg(db));
    long long v = -999;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* First column of the first row as a new string ("<NULL>" for NULL, NULL for no row). */
static char *sql_text(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("SQL failed: %s: %s", sql, sqlite3_errmsg(db));
    char *v = NULL;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        v = strdup(t ? (const char *)t : "<NULL>");
    }
    sqlite3_finalize(st);
    return v;
}

static void assert_sql_text(sqlite3 *db, const char *sql, const char *want)
{
    char *got = sql_text(db, sql);
    if (!got || strcmp(got, want) != 0)
        fail_msg("%s\n  got:  %s\n  want: %s", sql, got ? got : "(no row)", want);
    free(got);
}

/* XPath over a parsed QML document. */
static double xp_num(xmlDoc *doc, const char *expr)
{
    xmlXPathContext *c = xmlXPathNewContext(doc);
    xmlXPathObject *o = xmlXPathEvalExpression((const unsigned char *)expr, c);
    assert_non_null(o);
    double v = xmlXPathCastToNumber(o);
    xmlXPathFreeObject(o);
    xmlXPathFreeContext(c);
    return v;
}

static void assert_xp_str(xmlDoc *doc, const char *expr, const char *want)
{
    xmlXPathContext *c = xmlXPathNewContext(doc);
    xmlXPathObject *o = xmlXPathEvalExpression((const unsigned char *)expr, c);
    assert_non_null(o);
    unsigned char *s = xmlXPathCastToString(o);
    if (strcmp((const char *)s, want) != 0)
        fail_msg("%s\n  got:  %s\n  want: %s", expr, s, want);
    free(s);
    xmlXPathFreeObject(o);
    xmlXPathFreeContext(c);
}

static xmlDoc *parse_xml(const char *text)
{
    return xmlReadMemory(text, (int)strlen(text), "style.qml", "UTF-8",
                         XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

/* The style QGIS would load for a layer: the query of QgsOgrProviderMetadata::loadStyle,
 * run through OGR as QGIS does. */
static char *qgis_load_style(const char *gpkg, const char *layer_name)
{
    GDALDatasetH ds = GDALOpenEx(gpkg, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH user = GDALDatasetGetLayerByName(ds, layer_name);
    OGRLayerH styles = GDALDatasetGetLayerByName(ds, "layer_styles");
    assert_non_null(user);
    assert_non_null(styles);
    char filter[1024];
    snprintf(filter, sizeof filter,
             "f_table_schema='' AND f_table_name='%s' AND f_geometry_column='%s'"
             " ORDER BY CASE WHEN useAsDefault THEN 1 ELSE 2 END,update_time DESC LIMIT 1",
             OGR_L_GetName(user), OGR_L_GetGeometryColumn(user));
    assert_int_equal(OGR_L_SetAttributeFilter(styles, filter), OGRERR_NONE);
    OGR_L_ResetReading(styles);
    OGRFeatureH f = OGR_L_GetNextFeature(styles);
    char *qml = NULL;
    if (f) {
        OGRFeatureDefnH defn = OGR_L_GetLayerDefn(styles);
        assert_int_equal(OGR_F_GetFieldAsInteger(f, OGR_FD_GetFieldIndex(defn, "useAsDefault")), 1);
        qml = strdup(OGR_F_GetFieldAsString(f, OGR_FD_GetFieldIndex(defn, "styleQML")));
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
    return qml;
}

static const pl_field_def GRID_FIELDS[] = {
    {"ruta", PL_FIELD_TEXT, "Ruta", "SCB 1 km grid square id"},
    {"befolkning", PL_FIELD_INT, "Befolkning", "Population 2024"},
    {"avstand_km", PL_FIELD_REAL, "Avstånd till apotek (km)", "Road distance to the nearest pharmacy; NULL = unreachable"},
};
/* What an analysis gives the writer (analyses/common/legend.c builds these): 3 limits, an open
 * class, colours along the green-to-red ramp. */
static const pl_style_class GRID_CLASSES[] = {
    {.lower = 0, .upper = 2, .label = "0–2 km", .color = {26, 150, 65}},
    {.lower = 2, .upper = 5, .label = "2–5 km", .color = {166, 217, 106}},
    {.lower = 5, .upper = 10, .label = "5–10 km", .color = {253, 174, 97}},
    {.lower = 10, .upper = 1e12, .label = "> 10 km", .color = {215, 25, 28}},
};
static const pl_style_class PASS_FAIL[] = {
    {.value = 1, .label = "uppfyller", .color = {26, 150, 65}},
    {.value = 0, .label = "uppfyller inte", .color = {215, 25, 28}},
};
static const pl_field_def PHARMACY_FIELDS[] = {
    {"namn", PL_FIELD_TEXT, "Namn", NULL},
    {"uppfyller", PL_FIELD_INT, "Uppfyller kravet", "1 = within the limit, 0 = not"},
};
static const pl_field_def TABLE_FIELDS[] = {
    {"kommun", PL_FIELD_TEXT, "Kommun", NULL},
    {"andel", PL_FIELD_REAL, "Andel inom 5 km", "Share of the population within 5 km"},
    {"antal", PL_FIELD_INT64, "Antal invånare", NULL},
};

static const char *EXPECTED_CSV =
    "kommun,andel,antal\n"
    "Stockholm,0.1,984748\n"
    "\"Södertälje, \"\"syd\"\"\",0.3333333333333333,\n"
    ",,-5\n";

/* Writes the sample output (polygon layer, graduated; point layer, pass/fail;
 * attribute table) to DIR/utdata.gpkg; timestamp NULL = from the environment. */
static int write_sample(const char *dir, const char *timestamp, int csv, pl_error *err)
{
    char out[4200], input[4200];
    snprintf(out, sizeof out, "%s/utdata.gpkg", dir);
    snprintf(input, sizeof input, "%s/indata.txt", dir);
    write_text(input, "abc");
    const char *inputs[] = {input, NULL};
    pl_gpkg_opts o = {.overwrite = 0, .csv = csv, .command_line = CMDLINE, .inputs = inputs,
                      .timestamp = timestamp};
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    ctx->quiet = 1;
    pl_gpkg *g = pl_gpkg_create(ctx, out, &o, err);
    if (!g) {
        pl_ctx_free(ctx);
        return err->code;
    }
    pl_gpkg_add_parameter(g, "breaks_km", "2,5,10");
    pl_gpkg_add_parameter(g, "max_snap_m", "1000");

    pl_style grad = {.kind = PL_STYLE_GRADUATED, .field = "avstand_km", .classes = GRID_CLASSES, .n_classes = 4,
                     .null_label = "ej nåbar", .name = "platsa avstånd"};
    pl_gpkg_layer *grid = pl_gpkg_layer_add(g, "rutor", 6 /* wkbMultiPolygon */, "Avstånd till apotek",
                                            GRID_FIELDS, 3, &grad, err);
    assert_non_null(grid);
    GEOSWKTReader *r = GEOSWKTReader_create_r(ctx->geos);
    const double dist[] = {1.5, 4.0, 12.25, NAN};
    for (int i = 0; i < 4; i++) {
        char wkt[256], id[32];
        double x = 674000 + 1000.0 * i, y = 6580000;
        snprintf(wkt, sizeof wkt, "POLYGON((%.0f %.0f,%.0f %.0f,%.0f %.0f,%.0f %.0f,%.0f %.0f))", x, y, x + 1000, y,
                 x + 1000, y + 1000, x, y + 1000, x, y);
        GEOSGeometry *poly = GEOSWKTReader_read_r(ctx->geos, r, wkt);
        snprintf(id, sizeof id, "3006_%d", i);
        pl_gpkg_row_begin(grid);
        pl_gpkg_set_text(grid, 0, id);
        pl_gpkg_set_int(grid, 1, 100 * (i + 1));
        pl_gpkg_set_real(grid, 2, dist[i]);
        pl_gpkg_set_geos(grid, poly);  /* a Polygon into a MultiPolygon layer: promoted */
        GEOSGeom_destroy_r(ctx->geos, poly);
        assert_int_equal(pl_gpkg_row_end(grid, err), PL_OK);
    }

    pl_style pf = {.kind = PL_STYLE_CATEGORIZED, .field = "uppfyller", .classes = PASS_FAIL, .n_classes = 2,
                   .null_label = "uppgift saknas", .name = "platsa krav"};
    pl_gpkg_layer *pts = pl_gpkg_layer_add(g, "apotek", 1 /* wkbPoint */, "Apotek", PHARMACY_FIELDS, 2, &pf, err);
    assert_non_null(pts);
    pl_gpkg_row_begin(pts);
    pl_gpkg_set_text(pts, 0, "Apoteket Hjärtat");
    pl_gpkg_set_int(pts, 1, 1);
    pl_gpkg_set_xy(pts, 674500.5, 6580500.25);
    assert_int_equal(pl_gpkg_row_end(pts, err), PL_OK);
    pl_gpkg_row_begin(pts);
    pl_gpkg_set_text(pts, 0, "Kronans Apotek");
    pl_gpkg_set_int(pts, 1, 0);
    pl_gpkg_set_xy(pts, 676000, 6581000);
    assert_int_equal(pl_gpkg_row_end(pts, err), PL_OK);
    GEOSGeometry *p = GEOSWKTReader_read_r(ctx->geos, r, "POINT (677000 6582000)");
    pl_gpkg_row_begin(pts);
    pl_gpkg_set_text(pts, 0, "Okänt");
    pl_gpkg_set_geos(pts, p);
    assert_int_equal(pl_gpkg_row_end(pts, err), PL_OK);
    GEOSGeom_destroy_r(ctx->geos, p);
    GEOSWKTReader_destroy_r(ctx->geos, r);

    pl_style none = {.kind = PL_STYLE_NONE};
    pl_gpkg_layer *tab = pl_gpkg_layer_add(g, "kommuner", 100 /* wkbNone */, "Andel per kommun", TABLE_FIELDS, 3,
                                           &none, err);
    assert_non_null(tab);
    pl_gpkg_row_begin(tab);
    pl_gpkg_set_text(tab, 0, "Stockholm");
    pl_gpkg_set_real(tab, 1, 0.1);
    pl_gpkg_set_int(tab, 2, 984748);
    assert_int_equal(pl_gpkg_row_end(tab, err), PL_OK);
    pl_gpkg_row_begin(tab);
    pl_gpkg_set_text(tab, 0, "Södertälje, \"syd\"");
    pl_gpkg_set_real(tab, 1, 1.0 / 3.0);
    assert_int_equal(pl_gpkg_row_end(tab, err), PL_OK);
    pl_gpkg_row_begin(tab);
    pl_gpkg_set_real(tab, 1, NAN);
    pl_gpkg_set_int(tab, 2, -5);
    assert_int_equal(pl_gpkg_row_end(tab, err), PL_OK);

    int rc = pl_gpkg_commit(g, err);
    pl_ctx_free(ctx);
    return rc;
}

static int group_setup(void **state)
{
    (void)state;
    GDALAllRegister();
    CPLPushErrorHandler(CPLQuietErrorHandler);
    snprintf(g_dir, sizeof g_dir, "%s", scratch_dir("gpkg_writer/sample"));
    snprintf(g_out, sizeof g_out, "%s/utdata.gpkg", g_dir);
    snprintf(g_input, sizeof g_input, "%s/indata.txt", g_dir);
    pl_error err = {0};
    if (write_sample(g_dir, TS_GIVEN, 1, &err) != PL_OK) {
        fprintf(stderr, "sample output failed: %s\n", err.msg);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ the sample output */

static void test_layers_crs_and_rtree(void **state)
{
    (void)state;
    GDALDatasetH ds = GDALOpenEx(g_out, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH grid = GDALDatasetGetLayerByName(ds, "rutor");
    OGRLayerH pts = GDALDatasetGetLayerByName(ds, "apotek");
    OGRLayerH tab = GDALDatasetGetLayerByName(ds, "kommuner");
    assert_non_null(grid);
    assert_non_null(pts);
    assert_non_null(tab);
    assert_int_equal(OGR_L_GetGeomType(grid), wkbMultiPolygon);
    assert_int_equal(OGR_L_GetGeomType(pts), wkbPoint);
    assert_int_equal(OGR_L_GetGeomType(tab), wkbNone);
    assert_int_equal(OGR_L_GetFeatureCount(grid, TRUE), 4);
    assert_int_equal(OGR_L_GetFeatureCount(pts, TRUE), 3);
    assert_int_equal(OGR_L_GetFeatureCount(tab, TRUE), 3);
    assert_string_equal(OGR_L_GetFIDColumn(grid), "fid");
    assert_string_equal(OGR_L_GetGeometryColumn(grid), "geom");
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(grid);
    assert_non_null(srs);
    assert_string_equal(OSRGetAuthorityCode(srs, NULL), "3006");
    /* Geometries: the promoted polygon and the exact point. */
    OGRFeatureH f = OGR_L_GetFeature(grid, 1);
    assert_non_null(f);
    assert_int_equal(wkbFlatten(OGR_G_GetGeometryType(OGR_F_GetGeometryRef(f))), wkbMultiPolygon);
    assert_true(fabs(OGR_G_Area(OGR_F_GetGeometryRef(f)) - 1e6) < 1e-6);
    OGR_F_Destroy(f);
    f = OGR_L_GetFeature(pts, 1);
    assert_true(OGR_G_GetX(OGR_F_GetGeometryRef(f), 0) == 674500.5);
    assert_true(OGR_G_GetY(OGR_F_GetGeometryRef(f), 0) == 6580500.25);
    assert_string_equal(OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "namn")), "Apoteket Hjärtat");
    OGR_F_Destroy(f);
    f = OGR_L_GetFeature(grid, 4);
    assert_false(OGR_F_IsFieldSetAndNotNull(f, OGR_F_GetFieldIndex(f, "avstand_km")));  /* NaN -> NULL */
    OGR_F_Destroy(f);
    GDALClose(ds);

    sqlite3 *db = open_db(g_out);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM rtree_rutor_geom"), 4);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM rtree_apotek_geom"), 3);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM rtree_rutor_geom r JOIN rutor t ON t.fid = r.id "
                                 "WHERE r.minx <= 674000.001 AND r.maxx >= 674999.999"), 1);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM gpkg_extensions WHERE table_name = 'rutor' AND "
                                 "column_name = 'geom' AND extension_name = 'gpkg_rtree_index'"), 1);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM gpkg_extensions WHERE table_name = 'apotek' AND "
                                 "column_name = 'geom' AND extension_name = 'gpkg_rtree_index'"), 1);
    assert_sql_text(db, "SELECT data_type FROM gpkg_contents WHERE table_name = 'kommuner'", "attributes");
    assert_sql_text(db, "SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'", "attributes");
    assert_sql_text(db, "SELECT identifier FROM gpkg_contents WHERE table_name = 'rutor'", "Avstånd till apotek");
    assert_sql_text(db, "SELECT srs_id FROM gpkg_geometry_columns WHERE table_name = 'apotek'", "3006");
    assert_int_equal(sql_int(db, "SELECT count(*) FROM sqlite_master WHERE name LIKE '%.tmp%'"), 0);
    sqlite3_close(db);
}

static void test_layer_styles_match_qgis_lookup(void **state)
{
    (void)state;
    sqlite3 *db = open_db(g_out);
    /* The columns QGIS creates (QgsOgrProviderMetadata::saveStyle), in its order. */
    const char *want[] = {"id", "f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column",
                          "styleName", "styleQML", "styleSLD", "useAsDefault", "description", "owner", "ui",
                          "update_time"};
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT name, type, pk FROM pragma_table_info('layer_styles')", -1,
                                        &st, NULL), SQLITE_OK);
    int n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        assert_true(n < 13);
        assert_string_equal((const char *)sqlite3_column_text(st, 0), want[n]);
        if (n == 0)
            assert_int_equal(sqlite3_column_int(st, 2), 1);
        if (strcmp(want[n], "useAsDefault") == 0)
            assert_string_equal((const char *)sqlite3_column_text(st, 1), "BOOLEAN");
        if (strcmp(want[n], "update_time") == 0)
            assert_string_equal((const char *)sqlite3_column_text(st, 1), "DATETIME");
        if (strcmp(want[n], "f_table_name") == 0)
            assert_string_equal((const char *)sqlite3_column_text(st, 1), "TEXT(256)");
        n++;
    }
    sqlite3_finalize(st);
    assert_int_equal(n, 13);

    /* One row per styled layer, and an alias-only row for the attribute table (QGIS 3.22 loads it
     * with f_geometry_column '' and shows the Swedish column names; it ignores gpkg_data_columns). */
    assert_int_equal(sql_int(db, "SELECT count(*) FROM layer_styles"), 3);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM layer_styles WHERE f_table_catalog = '' AND "
                                 "f_table_schema = '' AND f_table_name = 'rutor' AND f_geometry_column = 'geom' "
                                 "AND useAsDefault = 1"), 1);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM layer_styles WHERE f_table_catalog = '' AND "
                                 "f_table_schema = '' AND f_table_name = 'apotek' AND f_geometry_column = 'geom' "
                                 "AND useAsDefault = 1"), 1);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM layer_styles WHERE f_table_name = 'kommuner' AND "
                                 "f_geometry_column = '' AND useAsDefault = 1 AND "
                                 "styleQML LIKE '%styleCategories=\"Fields\"%' AND styleQML LIKE '%<aliases>%' AND "
                                 "styleQML NOT LIKE '%renderer-v2%'"), 1);
    assert_sql_text(db, "SELECT styleName FROM layer_styles WHERE f_table_name = 'rutor'", "platsa avstånd");
    assert_sql_text(db, "SELECT update_time FROM layer_styles WHERE f_table_name = 'rutor'", TS_GPKG);
    assert_sql_text(db, "SELECT styleSLD FROM layer_styles WHERE f_table_name = 'apotek'", "");
    sqlite3_close(db);

    /* What QGIS's loadStyle query returns through OGR. */
    char *qml = qgis_load_style(g_out, "rutor");
    assert_non_null(qml);
    assert_non_null(strstr(qml, "graduatedSymbol"));
    free(qml);
    qml = qgis_load_style(g_out, "apotek");
    assert_non_null(qml);
    assert_non_null(strstr(qml, "categorizedSymbol"));
    free(qml);
}

static void test_qml_graduated(void **state)
{
    (void)state;
    /* The XML check must be able to fail: a broken document is rejected. */
    assert_null(parse_xml("<qgis><renderer-v2></qgis>"));

    char *qml = qgis_load_style(g_out, "rutor");
    assert_non_null(qml);
    assert_null(strstr(qml, "@RANGES@"));
    assert_null(strstr(qml, "platsa template"));
    xmlDoc *doc = parse_xml(qml);
    assert_non_null(doc);
    assert_xp_str(doc, "name(/*)", "qgis");
    assert_xp_str(doc, "/qgis/@styleCategories", "AllStyleCategories");
    assert_xp_str(doc, "/qgis/renderer-v2/@type", "graduatedSymbol");
    assert_xp_str(doc, "/qgis/renderer-v2/@graduatedMethod", "GraduatedColor");
    assert_xp_str(doc, "/qgis/renderer-v2/@attr", "coalesce(\"avstand_km\", -1)");
    /* 3 breaks: 3 classes, the open class "> 10 km", and the grey NULL class. */
    assert_true(xp_num(doc, "count(/qgis/renderer-v2/ranges/range)") == 5);
    assert_true(xp_num(doc, "count(/qgis/renderer-v2/symbols/symbol[@type='fill'])") == 5);
    assert_true(xp_num(doc, "count(/qgis/renderer-v2/symbols/symbol/layer[@class='SimpleFill'])") == 5);
    assert_xp_str(doc, "/qgis/renderer-v2/ranges/range[1]/@label", "0–2 km");
    assert_xp_str(doc, "/qgis/renderer-v2/ranges/range[2]/@label", "2–5 km");
    assert_xp_str(doc, "/qgis/renderer-v2/ranges/range[4]/@label", "> 10 km");
    assert_xp_str(doc, "/qgis/renderer-v2/ranges/range[4]/@lower", "10");
    assert_xp_str(doc, "/qgis/renderer-v2/ranges/range[5]/@label", "ej nåbar");
    assert_xp_str(doc, "/qgis/renderer-v2/ranges/range[5]/@lower", "-1");
    assert_xp_str(doc, "/qgis/renderer-v2/ranges/range[5]/@upper", "-1");
    /* Ramp green -> red, NULL grey. */
    assert_xp_str(doc, "/qgis/renderer-v2/symbols/symbol[@name='0']/layer/Option/Option[@name='color']/@value",
                  "26,150,65,255");
    assert_xp_str(doc, "/qgis/renderer-v2/symbols/symbol[@name='3']/layer/Option/Option[@name='color']/@value",
                  "215,25,28,255");
    assert_xp_str(doc, "/qgis/renderer-v2/symbols/symbol[@name='4']/layer/prop[@k='color']/@v", "190,190,190,255");
    /* Every range has a symbol of its name. */
    assert_true(xp_num(doc, "count(/qgis/renderer-v2/ranges/range[not(@symbol = ../../symbols/symbol/@name)])") == 0);
    assert_xp_str(doc, "/qgis/renderer-v2/classificationMethod/@id", "Custom");
    assert_xp_str(doc, "/qgis/aliases/alias[@field='avstand_km']/@name", "Avstånd till apotek (km)");
    assert_xp_str(doc, "/qgis/aliases/alias[@field='befolkning']/@index", "2");
    assert_xp_str(doc, "/qgis/layerGeometryType", "2");
    xmlFreeDoc(doc);
    free(qml);
}

static void test_qml_pass_fail(void **state)
{
    (void)state;
    char *qml = qgis_load_style(g_out, "apotek");
    assert_non_null(qml);
    xmlDoc *doc = parse_xml(qml);
    assert_non_null(doc);
    assert_xp_str(doc, "/qgis/renderer-v2/@type", "categorizedSymbol");
    assert_xp_str(doc, "/qgis/renderer-v2/@attr", "uppfyller");
    assert_true(xp_num(doc, "count(/qgis/renderer-v2/categories/category)") == 3);
    assert_xp_str(doc, "/qgis/renderer-v2/categories/category[@value='1']/@label", "uppfyller");
    assert_xp_str(doc, "/qgis/renderer-v2/categories/category[@value='0']/@label", "uppfyller inte");
    assert_xp_str(doc, "/qgis/renderer-v2/categories/category[@value='']/@label", "uppgift saknas");
    assert_true(xp_num(doc, "count(/qgis/renderer-v2/symbols/symbol[@type='marker'])") == 3);
    assert_xp_str(doc, "/qgis/renderer-v2/symbols/symbol[@name=/qgis/renderer-v2/categories/category[@value='1']/@symbol]"
                       "/layer/Option/Option[@name='color']/@value", "26,150,65,255");
    assert_xp_str(doc, "/qgis/renderer-v2/symbols/symbol[@name=/qgis/renderer-v2/categories/category[@value='0']/@symbol]"
                       "/layer/Option/Option[@name='color']/@value", "215,25,28,255");
    assert_xp_str(doc, "/qgis/aliases/alias[@field='uppfyller']/@name", "Uppfyller kravet");
    assert_xp_str(doc, "/qgis/layerGeometryType", "0");
    xmlFreeDoc(doc);
    free(qml);
}

static void test_data_columns_aliases(void **state)
{
    (void)state;
    sqlite3 *db = open_db(g_out);
    assert_sql_text(db, "SELECT title FROM gpkg_data_columns WHERE table_name = 'rutor' AND column_name = 'avstand_km'",
                    "Avstånd till apotek (km)");
    assert_sql_text(db, "SELECT name FROM gpkg_data_columns WHERE table_name = 'rutor' AND column_name = 'avstand_km'",
                    "avstand_km");
    assert_sql_text(db, "SELECT description FROM gpkg_data_columns WHERE table_name = 'rutor' AND "
                        "column_name = 'avstand_km'", "Road distance to the nearest pharmacy; NULL = unreachable");
    assert_sql_text(db, "SELECT description FROM gpkg_data_columns WHERE table_name = 'apotek' AND column_name = 'namn'",
                    "<NULL>");
    assert_sql_text(db, "SELECT title FROM gpkg_data_columns WHERE table_name = 'kommuner' AND column_name = 'antal'",
                    "Antal invånare");
    assert_int_equal(sql_int(db, "SELECT count(*) FROM gpkg_data_columns"), 8);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM gpkg_extensions WHERE extension_name = 'gpkg_schema' AND "
                                 "table_name IN ('gpkg_data_columns', 'gpkg_data_column_constraints') AND "
                                 "column_name IS NULL"), 2);
    sqlite3_close(db);
}

static void test_metadata_record(void **state)
{
    (void)state;
    sqlite3 *db = open_db(g_out);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM gpkg_metadata"), 1);
    assert_sql_text(db, "SELECT md_scope FROM gpkg_metadata", "dataset");
    assert_sql_text(db, "SELECT mime_type FROM gpkg_metadata", "application/json");
    assert_sql_text(db, "SELECT reference_scope FROM gpkg_metadata_reference", "geopackage");
    assert_sql_text(db, "SELECT timestamp FROM gpkg_metadata_reference", TS_GPKG);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM gpkg_metadata_reference r JOIN gpkg_metadata m "
                                 "ON m.id = r.md_file_id WHERE r.table_name IS NULL"), 1);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM gpkg_extensions WHERE extension_name = 'gpkg_metadata'"), 2);
    /* Every timestamp in the file is the fixed one. */
    assert_int_equal(sql_int(db, "SELECT count(*) FROM gpkg_contents WHERE last_change <> '" TS_GPKG "'"), 0);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM gpkg_contents"), 4);

    char *json = sql_text(db, "SELECT metadata FROM gpkg_metadata");
    sqlite3_close(db);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"tool\": \"platsa\""));
    assert_non_null(strstr(json, "\"version\": \"" PLATSA_VERSION "\""));
    assert_non_null(strstr(json, "\"command_line\": \"" CMDLINE "\""));
    assert_non_null(strstr(json, "\"created\": \"2024-05-01T12:00:00Z\""));
    char want[8400];
    snprintf(want, sizeof want, "{\"path\": \"%s\", \"size_bytes\": 3, \"sha256\": \"" SHA_ABC "\"}", g_input);
    if (!strstr(json, want))
        fail_msg("metadata lacks %s:\n%s", want, json);
    assert_non_null(strstr(json, "\"breaks_km\": \"2,5,10\",\n    \"max_snap_m\": \"1000\""));
    snprintf(want, sizeof want, "\"gdal\": \"%s\"", GDALVersionInfo("RELEASE_NAME"));
    assert_non_null(strstr(json, want));
    assert_non_null(strstr(json, "\"geos\": \""));
    assert_non_null(strstr(json, "\"proj\": \""));
    assert_non_null(strstr(json, "{\"name\": \"rutor\", \"rows\": 4}"));
    /* Deterministic order: the keys come in a fixed sequence. */
    const char *keys[] = {"\"tool\"", "\"version\"", "\"created\"", "\"command_line\"", "\"libraries\"",
                          "\"work_crs\"", "\"inputs\"", "\"parameters\"", "\"layers\""};
    const char *prev = json;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *at = strstr(json, keys[i]);
        assert_non_null(at);
        assert_true(at >= prev);
        prev = at;
    }
    free(json);
}

static void test_csv_twin_exact(void **state)
{
    (void)state;
    char path[4300];
    snprintf(path, sizeof path, "%s/utdata_kommuner.csv", g_dir);
    char *csv = slurp(path, NULL);
    assert_non_null(csv);
    assert_string_equal(csv, EXPECTED_CSV);
    free(csv);
    /* Only attribute tables get a CSV twin; no temporary files remain. */
    char names[2048];
    int n = list_dir(g_dir, names, sizeof names);
    if (n != 3)
        fail_msg("expected indata.txt, utdata.gpkg, utdata_kommuner.csv; found: %s", names);
}

static void test_spatialite_independent_check(void **state)
{
    (void)state;
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(g_out, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    void *cache = spatialite_alloc_connection();
    spatialite_init_ex(db, cache, 0);
    /* GeomFromGPB decodes the GeoPackage geometry blob with SpatiaLite's own code. */
    char *area = sql_text(db, "SELECT ST_Area(GeomFromGPB(geom)) FROM rutor WHERE fid = 2");
    assert_non_null(area);
    assert_true(fabs(atof(area) - 1e6) < 1e-6);
    free(area);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM rutor WHERE ST_IsValid(GeomFromGPB(geom)) = 1"), 4);
    assert_sql_text(db, "SELECT GeometryType(GeomFromGPB(geom)) FROM rutor WHERE fid = 1", "MULTIPOLYGON");
    assert_int_equal(sql_int(db, "SELECT ST_SRID(GeomFromGPB(geom)) FROM apotek WHERE fid = 3"), 3006);
    assert_sql_text(db, "SELECT AsText(GeomFromGPB(geom)) FROM apotek WHERE fid = 3", "POINT(677000 6582000)");
    sqlite3_close(db);
    spatialite_cleanup_ex(cache);
}

/* ------------------------------------------------------------------ failure cases */

static pl_gpkg *tiny_output(pl_ctx *ctx, const char *out, const pl_gpkg_opts *o, pl_error *err)
{
    pl_gpkg *g = pl_gpkg_create(ctx, out, o, err);
    if (!g)
        return NULL;
    static const pl_field_def f[] = {{"v", PL_FIELD_INT, "Värde", NULL}};
    pl_gpkg_layer *l = pl_gpkg_layer_add(g, "punkter", 1, NULL, f, 1, NULL, err);
    assert_non_null(l);
    for (int i = 0; i < 5; i++) {
        pl_gpkg_row_begin(l);
        pl_gpkg_set_int(l, 0, i);
        pl_gpkg_set_xy(l, 670000 + i, 6580000);
        assert_int_equal(pl_gpkg_row_end(l, err), PL_OK);
    }
    return g;
}

static void test_existing_output_refused(void **state)
{
    (void)state;
    const char *dir = scratch_dir("gpkg_writer/exists");
    char out[4200];
    snprintf(out, sizeof out, "%s/res.gpkg", dir);
    write_text(out, "older result, not to be touched");
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};
    pl_gpkg_opts o = {.timestamp = "2024-01-01"};
    assert_null(pl_gpkg_create(ctx, out, &o, &err));
    assert_int_equal(err.code, PL_EINPUT);
    char want[4300];
    snprintf(want, sizeof want, "%s: exists; use --overwrite to replace it", out);
    assert_string_equal(err.msg, want);
    char *after = slurp(out, NULL);
    assert_string_equal(after, "older result, not to be touched");
    free(after);
    char names[1024];
    assert_int_equal(list_dir(dir, names, sizeof names), 1);

    /* With overwrite it is replaced, and only at commit. */
    o.overwrite = 1;
    pl_gpkg *g = tiny_output(ctx, out, &o, &err);
    assert_non_null(g);
    after = slurp(out, NULL);
    assert_string_equal(after, "older result, not to be touched");
    free(after);
    assert_int_equal(pl_gpkg_commit(g, &err), PL_OK);
    size_t len = 0;
    after = slurp(out, &len);
    assert_true(len > 16 && memcmp(after, "SQLite format 3", 15) == 0);
    free(after);
    assert_int_equal(list_dir(dir, names, sizeof names), 1);
    pl_ctx_free(ctx);
}

static void test_abort_and_cleanup_leave_nothing(void **state)
{
    (void)state;
    const char *dir = scratch_dir("gpkg_writer/abort");
    char dirc[4200], out[4300], names[2048];
    snprintf(dirc, sizeof dirc, "%s", dir);
    snprintf(out, sizeof out, "%s/res.gpkg", dirc);
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};
    pl_gpkg_opts o = {.csv = 1};
    pl_gpkg *g = tiny_output(ctx, out, &o, &err);
    assert_non_null(g);
    static const pl_field_def f[] = {{"n", PL_FIELD_INT, NULL, NULL}};
    pl_gpkg_layer *t = pl_gpkg_layer_add(g, "tabell", 100, NULL, f, 1, NULL, &err);
    assert_non_null(t);
    pl_gpkg_row_begin(t);
    pl_gpkg_set_int(t, 0, 7);
    assert_int_equal(pl_gpkg_row_end(t, &err), PL_OK);
    assert_true(file_exists(pl_gpkg_temp_path(g)));
    assert_true(list_dir(dirc, names, sizeof names) >= 2);  /* temp GeoPackage and temp CSV */
    assert_false(file_exists(out));
    pl_gpkg_abort(g);
    if (list_dir(dirc, names, sizeof names) != 0)
        fail_msg("left behind after abort: %s", names);

    /* The signal-handler path: every temp file of every open output goes. */
    pl_gpkg *a = tiny_output(ctx, out, &o, &err);
    char out2[4300];
    snprintf(out2, sizeof out2, "%s/res2.gpkg", dirc);
    pl_gpkg *b = tiny_output(ctx, out2, &o, &err);
    assert_non_null(a);
    assert_non_null(b);
    assert_true(list_dir(dirc, names, sizeof names) >= 2);  /* their temp files (and journals) */
    pl_gpkg_cleanup_all();
    if (list_dir(dirc, names, sizeof names) != 0)
        fail_msg("left behind after pl_gpkg_cleanup_all: %s", names);
    pl_gpkg_abort(a);
    pl_gpkg_abort(b);
    if (list_dir(dirc, names, sizeof names) != 0)
        fail_msg("left behind after abort following cleanup: %s", names);
    pl_ctx_free(ctx);
}

/* ------------------------------------------------------------------ all-or-nothing commit */

static void assert_file_text(const char *dir, const char *name, const char *want)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *got = slurp(path, NULL);
    if (!got || strcmp(got, want) != 0)
        fail_msg("%s: holds '%s', wanted '%s'", path, got ? got : "(missing)", want);
    free(got);
}

/* csv_style "sv", byte for byte: BOM, ';', the aliases as headers (the name without one), the
 * same digits with a decimal comma, quotes only around a field with ';', a quote or a line
 * break (a comma needs none), NULL empty. */
static void test_csv_twin_sv(void **state)
{
    (void)state;
    const char *dir = scratch_dir("gpkg_csv_sv");
    char out[600];
    snprintf(out, sizeof out, "%s/sv.gpkg", dir);
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};
    pl_gpkg_opts o = {.csv = 1, .csv_style = "sv", .timestamp = "2024-01-01"};
    pl_gpkg *g = tiny_output(ctx, out, &o, &err);
    assert_non_null(g);
    static const pl_field_def f[] = {{"kommun", PL_FIELD_TEXT, "Kommun; namn", NULL},
                                     {"andel", PL_FIELD_REAL, "Andel inom 5 km", NULL},
                                     {"antal", PL_FIELD_INT, NULL, NULL}};
    pl_gpkg_layer *t = pl_gpkg_layer_add(g, "tabell", 100, NULL, f, 3, NULL, &err);
    assert_non_null(t);
    const char *names[] = {"Södertälje, syd", "A;B \"C\"", NULL};
    const double shares[] = {0.1234, 1, -2.5e-07};
    for (int i = 0; i < 3; i++) {
        pl_gpkg_row_begin(t);
        if (names[i])
            pl_gpkg_set_text(t, 0, names[i]);
        pl_gpkg_set_real(t, 1, shares[i]);
        if (i != 1)
            pl_gpkg_set_int(t, 2, 1000 * i - 5);
        assert_int_equal(pl_gpkg_row_end(t, &err), PL_OK);
    }
    assert_int_equal(pl_gpkg_commit(g, &err), PL_OK);
    char path[700];
    snprintf(path, sizeof path, "%s/sv_tabell.csv", dir);
    char *csv = slurp(path, NULL);
    assert_non_null(csv);
    assert_string_equal(csv, "\xEF\xBB\xBF\"Kommun; namn\";Andel inom 5 km;antal\n"
                             "Södertälje, syd;0,1234;-5\n"
                             "\"A;B \"\"C\"\"\";1;\n"
                             ";-2,5e-07;1995\n");
    free(csv);
    /* A wrong style, or sv without csv, is refused by the output check. */
    pl_gpkg_opts bad = {.csv = 1, .csv_style = "excel"};
    assert_int_equal(pl_gpkg_check_output(out, &bad, NULL, &err), PL_EINPUT);
    assert_string_equal(err.msg, "--csv-style 'excel': use default or sv");
    bad = (pl_gpkg_opts){.csv = 0, .csv_style = "sv"};
    assert_int_equal(pl_gpkg_check_output(out, &bad, NULL, &err), PL_EINPUT);
    pl_ctx_free(ctx);
}

/* A GeoPackage with two attribute tables (CSV twins res_tabell.csv, res_tabell2.csv). */
static pl_gpkg *twin_output(pl_ctx *ctx, const char *out, pl_error *err)
{
    pl_gpkg_opts o = {.overwrite = 1, .csv = 1, .timestamp = "2024-01-01"};
    pl_gpkg *g = tiny_output(ctx, out, &o, err);
    assert_non_null(g);
    static const pl_field_def f[] = {{"n", PL_FIELD_INT, NULL, NULL}};
    static const char *const tables[] = {"tabell", "tabell2"};
    for (int k = 0; k < 2; k++) {
        pl_gpkg_layer *t = pl_gpkg_layer_add(g, tables[k], 100, NULL, f, 1, NULL, err);
        assert_non_null(t);
        pl_gpkg_row_begin(t);
        pl_gpkg_set_int(t, 0, 7 + k);
        assert_int_equal(pl_gpkg_row_end(t, err), PL_OK);
    }
    return g;
}

/* The old GeoPackage and twin, and no other file but `extra` (NULL: none). */
static void assert_old_outputs(const char *dir, const char *extra)
{
    assert_file_text(dir, "res.gpkg", "old GeoPackage");
    assert_file_text(dir, "res_tabell.csv", "old twin");
    char names[2048];
    int n = list_dir(dir, names, sizeof names);
    if (n != 2 + (extra != NULL) || (extra && !strstr(names, extra)))
        fail_msg("expected res.gpkg, res_tabell.csv%s%s only; found: %s", extra ? ", " : "", extra ? extra : "",
                 names);
}

/* A GeoPackage and its CSV twins are renamed as one set: a rename that fails after the
 * GeoPackage's (the second or the third) undoes the ones before, and a twin path that turned
 * into a folder after the run began refuses the set before anything is renamed. */
static void test_commit_all_or_nothing(void **state)
{
    (void)state;
    const char *sd = scratch_dir("gpkg_writer/commit");
    char dir[4200], out[4300], twin2[4300];
    snprintf(dir, sizeof dir, "%s", sd);
    snprintf(out, sizeof out, "%s/res.gpkg", dir);
    snprintf(twin2, sizeof twin2, "%s/res_tabell2.csv", dir);
    write_text(out, "old GeoPackage");
    char old_twin[4300];
    snprintf(old_twin, sizeof old_twin, "%s/res_tabell.csv", dir);
    write_text(old_twin, "old twin");
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};

    for (int at = 1; at <= 2; at++) {
        pl_gpkg *g = twin_output(ctx, out, &err);
        pl_gpkg_fail_rename_at(at);
        int rc = pl_gpkg_commit(g, &err);
        pl_gpkg_fail_rename_at(-1);
        assert_int_equal(rc, PL_EINTERNAL);
        if (!strstr(err.msg, "cannot rename") || !strstr(err.msg, "; nothing was replaced"))
            fail_msg("rename %d: %s", at, err.msg);
        assert_old_outputs(dir, NULL);
    }

    /* The third file's path became a folder while the run worked. */
    pl_gpkg *g = twin_output(ctx, out, &err);
    assert_int_equal(mkdir(twin2, 0755), 0);
    write_text_file(twin2, "user.txt", "a user's file");
    assert_int_equal(pl_gpkg_commit(g, &err), PL_EINPUT);
    char want[4500];
    snprintf(want, sizeof want, "%s: is a folder; move it away or write the output to another folder (nothing was "
             "replaced)", twin2);
    assert_string_equal(err.msg, want);
    assert_old_outputs(dir, "res_tabell2.csv");

    /* Checked before any work, with the fix named. */
    pl_gpkg_opts o = {.overwrite = 1, .csv = 1};
    static const char *const tables[] = {"tabell", "tabell2", NULL};
    assert_int_equal(pl_gpkg_check_output(out, &o, tables, &err), PL_EINPUT);
    snprintf(want, sizeof want, "%s: is a folder; move that folder away or choose another output name (the CSV "
             "twins are named after it)", twin2);
    assert_string_equal(err.msg, want);
    /* ... and by pl_gpkg_layer_add, for a caller that did not check first. */
    o.timestamp = "2024-01-01";
    g = tiny_output(ctx, out, &o, &err);
    static const pl_field_def f[] = {{"n", PL_FIELD_INT, NULL, NULL}};
    assert_non_null(pl_gpkg_layer_add(g, "tabell", 100, NULL, f, 1, NULL, &err));
    assert_null(pl_gpkg_layer_add(g, "tabell2", 100, NULL, f, 1, NULL, &err));
    assert_string_equal(err.msg, want);
    assert_int_equal(pl_gpkg_commit(g, &err), PL_EINPUT);
    assert_old_outputs(dir, "res_tabell2.csv");
    assert_int_equal(run_cmd("rm -r '%s'", twin2), 0);
    o.csv = 0;
    assert_int_equal(pl_gpkg_check_output(out, &o, tables, &err), PL_OK);  /* no twins without --csv */

    /* All three replaced when nothing fails. */
    g = twin_output(ctx, out, &err);
    assert_int_equal(pl_gpkg_commit(g, &err), PL_OK);
    assert_file_text(dir, "res_tabell.csv", "n\n7\n");
    assert_file_text(dir, "res_tabell2.csv", "n\n8\n");
    char names[2048];
    assert_int_equal(list_dir(dir, names, sizeof names), 3);
    pl_ctx_free(ctx);
}

/* The commit set itself: temporaries of pl_commit_temp_open, a failing rename undone (an
 * old file back, a new file removed), a successful set, the signal path. */
static void test_commit_set(void **state)
{
    (void)state;
    const char *sd = scratch_dir("gpkg_writer/commit_set");
    char dir[4200], a[4300], b[4300], c[4300], names[2048];
    snprintf(dir, sizeof dir, "%s", sd);
    snprintf(a, sizeof a, "%s/a.csv", dir);
    snprintf(b, sizeof b, "%s/b.csv", dir);
    snprintf(c, sizeof c, "%s/c.csv", dir);
    write_text(a, "old a");
    write_text(c, "old c");
    pl_error err = {0};
    for (int at = 1; at <= 2; at++) {
        pl_commit *set = pl_commit_new();
        const char *finals[] = {a, b, c};
        for (int k = 0; k < 3; k++) {
            FILE *f = pl_commit_temp_open(set, finals[k], &err);
            assert_non_null(f);
            fprintf(f, "new %d", k);
        }
        assert_int_equal(list_dir(dir, names, sizeof names), 5);
        pl_commit_fail_rename_at(set, at);
        assert_int_equal(pl_commit_run(set, &err), PL_EINTERNAL);
        assert_non_null(strstr(err.msg, "; nothing was replaced"));
        pl_commit_free(set);
        assert_file_text(dir, "a.csv", "old a");
        assert_file_text(dir, "c.csv", "old c");
        assert_false(file_exists(b));
        if (list_dir(dir, names, sizeof names) != 2)
            fail_msg("rename %d: left %s", at, names);
    }
    pl_commit *set = pl_commit_new();
    FILE *f = pl_commit_temp_open(set, b, &err);
    fputs("new b", f);
    pl_commit_cleanup_all();  /* the signal path */
    assert_int_equal(list_dir(dir, names, sizeof names), 2);
    pl_commit_free(set);
    set = pl_commit_new();
    f = pl_commit_temp_open(set, a, &err);
    fputs("new a", f);
    f = pl_commit_temp_open(set, b, &err);
    fputs("new b", f);
    assert_int_equal(pl_commit_run(set, &err), PL_OK);
    pl_commit_free(set);
    assert_file_text(dir, "a.csv", "new a");
    assert_file_text(dir, "b.csv", "new b");
    assert_file_text(dir, "c.csv", "old c");
    assert_int_equal(list_dir(dir, names, sizeof names), 3);
}

static void test_output_equal_to_input_refused(void **state)
{
    (void)state;
    const char *dir = scratch_dir("gpkg_writer/same");
    char in[4200], alias[4300];
    snprintf(in, sizeof in, "%s/data.gpkg", dir);
    snprintf(alias, sizeof alias, "%s/./data.gpkg", dir);
    write_text(in, "input bytes");
    const char *inputs[] = {in, NULL};
    pl_gpkg_opts o = {.overwrite = 1, .inputs = inputs};
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};
    assert_null(pl_gpkg_create(ctx, alias, &o, &err));
    assert_int_equal(err.code, PL_EINPUT);
    assert_non_null(strstr(err.msg, "is also the input"));
    char *after = slurp(in, NULL);
    assert_string_equal(after, "input bytes");
    free(after);
    /* "FILE:LAYER" specs are compared by their file part. */
    char spec[4300];
    snprintf(spec, sizeof spec, "%s:lager", in);
    const char *inputs2[] = {spec, NULL};
    o.inputs = inputs2;
    assert_null(pl_gpkg_create(ctx, in, &o, &err));
    assert_int_equal(err.code, PL_EINPUT);
    assert_non_null(strstr(err.msg, "is also the input"));
    pl_ctx_free(ctx);
}

static void test_folder_not_writable(void **state)
{
    (void)state;
    const char *dir = scratch_dir("gpkg_writer/folder");
    char base[4200], out[4400];
    snprintf(base, sizeof base, "%s", dir);
    snprintf(out, sizeof out, "%s/saknas/res.gpkg", base);
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};
    assert_null(pl_gpkg_create(ctx, out, NULL, &err));
    assert_int_equal(err.code, PL_EINPUT);
    char want[4500];
    snprintf(want, sizeof want, "folder '%s/saknas' does not exist", base);
    if (!strstr(err.msg, want) || strncmp(err.msg, out, strlen(out)) != 0)
        fail_msg("unexpected message: %s", err.msg);

    /* A read-only folder. root ignores permission bits, so this part only runs as a
     * normal user (tests in CI run as root). */
    if (geteuid() != 0) {
        char ro[4300];
        snprintf(ro, sizeof ro, "%s/skrivskyddad", base);
        assert_int_equal(mkdir(ro, 0500), 0);
        snprintf(out, sizeof out, "%s/res.gpkg", ro);
        assert_null(pl_gpkg_create(ctx, out, NULL, &err));
        assert_int_equal(err.code, PL_EINPUT);
        assert_non_null(strstr(err.msg, "is not writable"));
        chmod(ro, 0700);
    }
    pl_ctx_free(ctx);
}

/* Inputs hashed before the output is made (pl_gpkg_hashes_start, as platsa access does while
 * its graph is built) give the same metadata record; a failed create takes them over too. */
static void test_hashes_started_early(void **state)
{
    (void)state;
    const char *dir = scratch_dir("gpkg_writer/early_hashes");
    char out[4300];
    snprintf(out, sizeof out, "%s/res.gpkg", dir);
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};
    const char *inputs[] = {g_input, g_input, NULL};
    pl_gpkg_opts o = {.inputs = inputs, .hashes = pl_gpkg_hashes_start(inputs)};
    pl_gpkg *g = pl_gpkg_create(ctx, out, &o, &err);
    assert_non_null(g);
    static const pl_field_def f[] = {{"i", PL_FIELD_INT64, NULL, NULL}};
    pl_gpkg_layer *l = pl_gpkg_layer_add(g, "tabell", 100 /* wkbNone */, NULL, f, 1, NULL, &err);
    assert_non_null(l);
    pl_gpkg_row_begin(l);
    pl_gpkg_set_int(l, 0, 7);
    assert_int_equal(pl_gpkg_row_end(l, &err), PL_OK);
    assert_int_equal(pl_gpkg_commit(g, &err), PL_OK);
    sqlite3 *db = open_db(out);
    char *json = sql_text(db, "SELECT metadata FROM gpkg_metadata");
    sqlite3_close(db);
    char want[8400];
    snprintf(want, sizeof want, "{\"path\": \"%s\", \"size_bytes\": 3, \"sha256\": \"" SHA_ABC "\"}", g_input);
    const char *first = json ? strstr(json, want) : NULL;
    if (!first || !strstr(first + 1, want)) /* both inputs: the second is the first's file */
        fail_msg("metadata lacks %s twice:\n%s", want, json ? json : "(none)");
    free(json);
    snprintf(out, sizeof out, "%s/saknas/res.gpkg", dir);
    o.hashes = pl_gpkg_hashes_start(inputs);
    assert_null(pl_gpkg_create(ctx, out, &o, &err)); /* no folder: freed (ASan would say) */
    assert_int_equal(err.code, PL_EINPUT);
    pl_ctx_free(ctx);
}

static void test_reproducible_bytes(void **state)
{
    (void)state;
    char a[4200], b[4200], c[4200];
    snprintf(a, sizeof a, "%s", scratch_dir("gpkg_writer/repro_a"));
    snprintf(b, sizeof b, "%s", scratch_dir("gpkg_writer/repro_b"));
    snprintf(c, sizeof c, "%s", scratch_dir("gpkg_writer/repro_c"));
    pl_error err = {0};
    assert_int_equal(write_sample(a, TS_GIVEN, 1, &err), PL_OK);
    sleep(1);  /* a wall-clock time leaking into the file would now differ */
    assert_int_equal(write_sample(b, TS_GIVEN, 1, &err), PL_OK);
    /* The same instant through SOURCE_DATE_EPOCH (2024-05-01T12:00:00Z). */
    setenv("SOURCE_DATE_EPOCH", "1714564800", 1);
    int rc = write_sample(c, NULL, 1, &err);
    unsetenv("SOURCE_DATE_EPOCH");
    assert_int_equal(rc, PL_OK);

    char pa[4300], pb[4300], pc[4300];
    size_t la, lb, lc;
    snprintf(pa, sizeof pa, "%s/utdata.gpkg", a);
    snprintf(pb, sizeof pb, "%s/utdata.gpkg", b);
    snprintf(pc, sizeof pc, "%s/utdata.gpkg", c);
    char *da = slurp(pa, &la), *db = slurp(pb, &lb), *dc = slurp(pc, &lc);
    assert_true(la > 0);
    /* The metadata names the input by its path, which differs only in the folder name
     * (repro_a, repro_b, repro_c: same length); with that blanked the bytes are equal. */
    assert_int_equal(la, lb);
    assert_int_equal(la, lc);
    for (size_t i = 0; i + 7 <= lb; i++) {
        if (memcmp(db + i, "repro_b", 7) == 0)
            db[i + 6] = 'a';
        if (memcmp(dc + i, "repro_c", 7) == 0)
            dc[i + 6] = 'a';
    }
    assert_memory_equal(da, db, la);
    assert_memory_equal(da, dc, la);
    free(da);
    free(db);
    free(dc);

    /* Exact bytes: same folder, written twice. */
    char first[4300];
    snprintf(first, sizeof first, "%s/first.gpkg", a);
    assert_int_equal(rename(pa, first), 0);
    char csv[4300], csv_first[4300];
    snprintf(csv, sizeof csv, "%s/utdata_kommuner.csv", a);
    snprintf(csv_first, sizeof csv_first, "%s/first.csv", a);
    assert_int_equal(rename(csv, csv_first), 0);
    sleep(1);
    assert_int_equal(write_sample(a, TS_GIVEN, 1, &err), PL_OK);
    da = slurp(first, &la);
    db = slurp(pa, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(da, db, la);
    free(da);
    free(db);
    da = slurp(csv_first, &la);
    db = slurp(csv, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(da, db, la);
    free(da);
    free(db);
}

static void test_batched_transactions(void **state)
{
    (void)state;
    const char *dir = scratch_dir("gpkg_writer/batch");
    char out[4200];
    snprintf(out, sizeof out, "%s/res.gpkg", dir);
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};
    pl_gpkg *g = pl_gpkg_create(ctx, out, NULL, &err);
    assert_non_null(g);
    pl_gpkg_set_batch_rows(g, 10);
    static const pl_field_def f[] = {{"i", PL_FIELD_INT64, NULL, NULL}};
    pl_gpkg_layer *l = pl_gpkg_layer_add(g, "punkter", 4 /* wkbMultiPoint */, NULL, f, 1, NULL, &err);
    assert_non_null(l);
    for (int i = 0; i < 25; i++) {
        pl_gpkg_row_begin(l);
        pl_gpkg_set_int(l, 0, (int64_t)i << 40);
        pl_gpkg_set_xy(l, 670000 + i, 6580000);  /* promoted to MultiPoint */
        assert_int_equal(pl_gpkg_row_end(l, &err), PL_OK);
    }
    /* Two batches of 10 are committed and visible to another connection; 5 are pending. */
    sqlite3 *db = open_db(pl_gpkg_temp_path(g));
    assert_int_equal(sql_int(db, "SELECT count(*) FROM punkter"), 20);
    sqlite3_close(db);
    assert_int_equal(pl_gpkg_commit(g, &err), PL_OK);
    db = open_db(out);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM punkter"), 25);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM rtree_punkter_geom"), 25);
    assert_int_equal(sql_int(db, "SELECT max(i) FROM punkter"), (long long)24 << 40);
    assert_sql_text(db, "SELECT geometry_type_name FROM gpkg_geometry_columns", "MULTIPOINT");
    /* No styled layer: no layer_styles table; no aliases: no gpkg_data_columns. */
    assert_int_equal(sql_int(db, "SELECT count(*) FROM sqlite_master WHERE name IN ('layer_styles', "
                                 "'gpkg_data_columns')"), 0);
    sqlite3_close(db);
    pl_ctx_free(ctx);
}

static void test_wrong_geometry_fails_the_output(void **state)
{
    (void)state;
    const char *dir = scratch_dir("gpkg_writer/badgeom");
    char dirc[4200], out[4300], names[1024];
    snprintf(dirc, sizeof dirc, "%s", dir);
    snprintf(out, sizeof out, "%s/res.gpkg", dirc);
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};
    pl_gpkg *g = pl_gpkg_create(ctx, out, NULL, &err);
    assert_non_null(g);
    pl_gpkg_layer *l = pl_gpkg_layer_add(g, "ytor", 6, NULL, NULL, 0, NULL, &err);
    assert_non_null(l);
    GEOSWKTReader *r = GEOSWKTReader_create_r(ctx->geos);
    GEOSGeometry *line = GEOSWKTReader_read_r(ctx->geos, r, "LINESTRING (0 0, 1 1)");
    pl_gpkg_row_begin(l);
    pl_gpkg_set_geos(l, line);
    assert_int_equal(pl_gpkg_row_end(l, &err), PL_EINTERNAL);
    char want[4400];
    snprintf(want, sizeof want, "%s:ytor: feature 1: a Line String geometry does not fit the layer's type "
             "Multi Polygon", out);
    assert_string_equal(err.msg, want);
    GEOSGeom_destroy_r(ctx->geos, line);
    GEOSWKTReader_destroy_r(ctx->geos, r);
    /* The failure sticks: commit reports it and leaves nothing behind. */
    pl_error err2 = {0};
    assert_int_equal(pl_gpkg_commit(g, &err2), PL_EINTERNAL);
    assert_string_equal(err2.msg, want);
    assert_int_equal(list_dir(dirc, names, sizeof names), 0);
    pl_ctx_free(ctx);
}

static void test_style_and_layer_validation(void **state)
{
    (void)state;
    const char *dir = scratch_dir("gpkg_writer/validate");
    char out[4200];
    snprintf(out, sizeof out, "%s/res.gpkg", dir);
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};
    pl_gpkg *g = pl_gpkg_create(ctx, out, NULL, &err);
    assert_non_null(g);
    static const pl_style_class desc[] = {{.lower = 0, .upper = 5, .label = "a"}, {.lower = 5, .upper = 2, .label = "b"}};
    pl_style bad_breaks = {.kind = PL_STYLE_GRADUATED, .field = "avstand_km", .classes = desc, .n_classes = 2};
    assert_null(pl_gpkg_layer_add(g, "a", 6, NULL, GRID_FIELDS, 3, &bad_breaks, &err));
    assert_non_null(strstr(err.msg, "ascending"));
    pl_style no_field = {.kind = PL_STYLE_GRADUATED, .field = "saknas", .classes = GRID_CLASSES, .n_classes = 4};
    assert_null(pl_gpkg_layer_add(g, "a", 6, NULL, GRID_FIELDS, 3, &no_field, &err));
    assert_non_null(strstr(err.msg, "'saknas' is not a field"));
    pl_style pf_text = {.kind = PL_STYLE_CATEGORIZED, .field = "ruta", .classes = PASS_FAIL, .n_classes = 2};
    assert_null(pl_gpkg_layer_add(g, "a", 6, NULL, GRID_FIELDS, 3, &pf_text, &err));
    assert_non_null(strstr(err.msg, "integer"));
    pl_style single = {.kind = PL_STYLE_SINGLE};
    assert_null(pl_gpkg_layer_add(g, "t", 100, NULL, TABLE_FIELDS, 3, &single, &err));
    assert_null(pl_gpkg_layer_add(g, "layer_styles", 100, NULL, TABLE_FIELDS, 3, NULL, &err));
    assert_null(pl_gpkg_layer_add(g, "../x", 100, NULL, TABLE_FIELDS, 3, NULL, &err));
    assert_non_null(strstr(err.msg, "slash"));
    /* Validation failures do not spoil the output: a valid layer can still be written. */
    pl_gpkg_layer *lines = pl_gpkg_layer_add(g, "vagar", 5 /* wkbMultiLineString */, "Vägar", NULL, 0, &single, &err);
    assert_non_null(lines);
    assert_null(pl_gpkg_layer_add(g, "vagar", 5, NULL, NULL, 0, NULL, &err));
    assert_non_null(strstr(err.msg, "used twice"));
    pl_gpkg_row_begin(lines);
    pl_gpkg_set_int(lines, 3, 1);
    assert_int_equal(pl_gpkg_row_end(lines, &err), PL_EINTERNAL);
    assert_non_null(strstr(err.msg, "field index 3 out of range"));
    pl_gpkg_abort(g);

    /* A single-symbol line layer gets a line symbol. */
    g = pl_gpkg_create(ctx, out, NULL, &err);
    assert_non_null(g);
    lines = pl_gpkg_layer_add(g, "vagar", 5, "Vägar", NULL, 0, &single, &err);
    assert_non_null(lines);
    GEOSWKTReader *r = GEOSWKTReader_create_r(ctx->geos);
    GEOSGeometry *line = GEOSWKTReader_read_r(ctx->geos, r, "LINESTRING (670000 6580000, 671000 6581000)");
    pl_gpkg_row_begin(lines);
    pl_gpkg_set_geos(lines, line);
    assert_int_equal(pl_gpkg_row_end(lines, &err), PL_OK);
    GEOSGeom_destroy_r(ctx->geos, line);
    GEOSWKTReader_destroy_r(ctx->geos, r);
    assert_int_equal(pl_gpkg_commit(g, &err), PL_OK);
    char *qml = qgis_load_style(out, "vagar");
    assert_non_null(qml);
    xmlDoc *doc = parse_xml(qml);
    assert_non_null(doc);
    assert_xp_str(doc, "/qgis/renderer-v2/@type", "singleSymbol");
    assert_true(xp_num(doc, "count(/qgis/renderer-v2/symbols/symbol[@type='line']/layer[@class='SimpleLine'])") == 1);
    assert_xp_str(doc, "/qgis/layerGeometryType", "1");
    xmlFreeDoc(doc);
    free(qml);
    pl_ctx_free(ctx);
}

static void test_timestamp_parsing(void **state)
{
    (void)state;
    const char *dir = scratch_dir("gpkg_writer/ts");
    char out[4200];
    snprintf(out, sizeof out, "%s/res.gpkg", dir);
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};
    const char *bad[] = {"yesterday", "2024-02-30", "2024-05-01T25:00:00Z", "2024-05-01T12:00:00+0x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pl_gpkg_opts o = {.timestamp = bad[i]};
        assert_null(pl_gpkg_create(ctx, out, &o, &err));
        assert_int_equal(err.code, PL_EINPUT);
        assert_non_null(strstr(err.msg, "is not an ISO 8601 time"));
    }
    setenv("SOURCE_DATE_EPOCH", "soon", 1);
    assert_null(pl_gpkg_create(ctx, out, NULL, &err));
    unsetenv("SOURCE_DATE_EPOCH");
    assert_int_equal(err.code, PL_EINPUT);
    assert_non_null(strstr(err.msg, "SOURCE_DATE_EPOCH"));

    pl_gpkg_opts o = {.timestamp = "2023-12-31 23:30-01:00"};
    pl_gpkg *g = tiny_output(ctx, out, &o, &err);
    assert_non_null(g);
    assert_int_equal(pl_gpkg_commit(g, &err), PL_OK);
    sqlite3 *db = open_db(out);
    assert_sql_text(db, "SELECT last_change FROM gpkg_contents", "2024-01-01T00:30:00.000Z");
    sqlite3_close(db);
    pl_ctx_free(ctx);
}

static void test_sha256_streams(void **state)
{
    (void)state;
    const char *dir = scratch_dir("gpkg_writer/sha");
    char path[4200], hex[65];
    long long size = 0;
    snprintf(path, sizeof path, "%s/abc.txt", dir);
    write_text(path, "abc");
    assert_int_equal(pl_gpkg_sha256_file(path, hex, &size), 0);
    assert_string_equal(hex, SHA_ABC);
    assert_int_equal(size, 3);
    /* One million 'a' (FIPS 180-2 test vector), larger than the read buffer. */
    snprintf(path, sizeof path, "%s/million.txt", dir);
    FILE *f = fopen(path, "wb");
    for (int i = 0; i < 1000000; i++)
        fputc('a', f);
    fclose(f);
    assert_int_equal(pl_gpkg_sha256_file(path, hex, &size), 0);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    assert_int_equal(size, 1000000);
    assert_int_equal(pl_gpkg_sha256_file(dir, hex, &size), -1);
    snprintf(path, sizeof path, "%s/none", dir);
    assert_int_equal(pl_gpkg_sha256_file(path, hex, &size), -1);
}

/* Sets a file's modification time to `ago` seconds before now (settled, so its hash is kept). */
static void set_mtime_ago(const char *path, long ago, long ns)
{
    struct timespec ts[2] = {{time(NULL) - ago, ns}, {time(NULL) - ago, ns}};
    assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/* Hashes one input through the store beside `cache`; returns the bytes read for it. */
static long long hash_through_store(const char *input, const char *cache, char hex[65])
{
    const char *inputs[] = {input, NULL};
    long long before = pl_gpkg_sha256_bytes_read(), size = -2;
    pl_gpkg_hashes *h = pl_gpkg_hashes_start_cached(inputs, cache);
    const char *sha = pl_gpkg_hashes_sha256(h, 0, &size);
    assert_non_null(sha);
    snprintf(hex, 65, "%s", sha);
    pl_gpkg_hashes_free(h);
    return pl_gpkg_sha256_bytes_read() - before;
}

/* #19: a warm run does not read an unchanged input to hash it: the hash is kept beside the
 * graph cache under (device, inode, size, mtime); a changed mtime or content is hashed again. */
static void test_hashes_kept_beside_cache(void **state)
{
    (void)state;
    const char *dir = scratch_dir("gpkg_writer/kept");
    char in[4200], cache[4200], store[4300], hex[65], hex2[65];
    snprintf(in, sizeof in, "%s/roads.txt", dir);
    snprintf(cache, sizeof cache, "%s/g.cache", dir);
    snprintf(store, sizeof store, "%s.hashes", cache);
    write_text(in, "abc");
    set_mtime_ago(in, 100, 0);
    assert_int_equal(hash_through_store(in, cache, hex), 3);  /* first run: read */
    assert_string_equal(hex, SHA_ABC);
    struct stat st;
    assert_int_equal(stat(store, &st), 0);
    /* Unchanged: not read, same hash, the store not rewritten. */
    assert_int_equal(hash_through_store(in, cache, hex), 0);
    assert_string_equal(hex, SHA_ABC);
    /* Same size, other content and mtime: read again, the new hash. */
    write_text(in, "abd");
    set_mtime_ago(in, 90, 0);
    assert_int_equal(hash_through_store(in, cache, hex2), 3);
    assert_string_not_equal(hex2, SHA_ABC);
    assert_int_equal(hash_through_store(in, cache, hex), 0);
    assert_string_equal(hex, hex2);
    /* Only the mtime changes (by a nanosecond): read again. */
    set_mtime_ago(in, 90, 1);
    assert_int_equal(hash_through_store(in, cache, hex), 3);
    assert_string_equal(hex, hex2);
    /* A file modified just now is hashed but not kept: the next run reads it again. */
    write_text(in, "abc");
    assert_int_equal(hash_through_store(in, cache, hex), 3);
    assert_int_equal(hash_through_store(in, cache, hex), 3);
    /* Without a cache nothing is kept. */
    set_mtime_ago(in, 80, 0);
    assert_int_equal(hash_through_store(in, NULL, hex), 3);
    assert_int_equal(hash_through_store(in, NULL, hex), 3);
    /* No temporaries beside the store. */
    DIR *d = opendir(dir);
    struct dirent *e;
    while ((e = readdir(d)))
        assert_null(strstr(e->d_name, ".tmp"));
    closedir(d);
}

/* A file at the store's path that is not a store is neither trusted nor replaced. */
static void test_hash_store_foreign_file_left_alone(void **state)
{
    (void)state;
    const char *dir = scratch_dir("gpkg_writer/kept_foreign");
    char in[4200], cache[4200], store[4300], hex[65];
    snprintf(in, sizeof in, "%s/roads.txt", dir);
    snprintf(cache, sizeof cache, "%s/g.cache", dir);
    snprintf(store, sizeof store, "%s.hashes", cache);
    write_text(in, "abc");
    set_mtime_ago(in, 100, 0);
    write_text(store, "my notes\n");
    assert_int_equal(hash_through_store(in, cache, hex), 3);
    assert_int_equal(hash_through_store(in, cache, hex), 3);
    assert_string_equal(hex, SHA_ABC);
    size_t n = 0;
    char *text = slurp(store, &n);
    assert_string_equal(text, "my notes\n");
    free(text);
    /* A store with a damaged line: that line is passed over, the input hashed again. */
    struct stat st;
    assert_int_equal(stat(in, &st), 0);
    FILE *f = fopen(store, "w");
    fprintf(f, "platsa input hashes 1\n%llu %llu 3 %lld %ld nothex\n", (unsigned long long)st.st_dev,
            (unsigned long long)st.st_ino, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    fclose(f);
    assert_int_equal(hash_through_store(in, cache, hex), 3);
    assert_string_equal(hex, SHA_ABC);
    /* A temporary a killed run left is removed by the next run, even one that reads nothing. */
    char stale[4400];
    snprintf(stale, sizeof stale, "%s.tmp%d", store, 999999);
    assert_int_equal(kill(999999, 0), -1);
    write_text(stale, "platsa input hashes 1\n");
    assert_int_equal(hash_through_store(in, cache, hex), 0);
    assert_int_equal(access(stale, F_OK), -1);
}

/* Real data: a DeSO layer written back out keeps its areas (checked by SpatiaLite). */
static void test_real_data_roundtrip(void **state)
{
    (void)state;
    char gpkg[4300];
    snprintf(gpkg, sizeof gpkg, "%s",
             real_data("scb-deso-stockholms-lan-population/deso_2018_stockholms_lan_befolkning.gpkg"));
    assert_true(file_exists(gpkg));
    GDALDatasetH in = GDALOpenEx(gpkg, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    assert_non_null(in);
    OGRLayerH src_l = GDALDatasetGetLayer(in, 0);
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(src_l);
    assert_non_null(srs);
    assert_string_equal(OSRGetAuthorityCode(srs, NULL), "3006");
    const char *dir = scratch_dir("gpkg_writer/real");
    char out[4200];
    snprintf(out, sizeof out, "%s/deso.gpkg", dir);
    const char *inputs[] = {gpkg, NULL};
    pl_gpkg_opts o = {.inputs = inputs, .command_line = "test", .timestamp = "2024-01-01T00:00:00Z"};
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};
    pl_gpkg *g = pl_gpkg_create(ctx, out, &o, &err);
    assert_non_null(g);
    static const pl_field_def f[] = {{"src_fid", PL_FIELD_INT64, "Käll-id", NULL}};
    pl_style single = {.kind = PL_STYLE_SINGLE};
    pl_gpkg_layer *l = pl_gpkg_layer_add(g, "deso", 6, "DeSO", f, 1, &single, &err);
    assert_non_null(l);
    double total = 0;
    long n = 0;
    OGRFeatureH feat;
    OGR_L_ResetReading(src_l);
    while ((feat = OGR_L_GetNextFeature(src_l)) != NULL) {
        OGRGeometryH geom = OGR_F_GetGeometryRef(feat);
        if (geom) {
            GEOSGeometry *gg = pl_ogr_to_geos(ctx, geom);
            if (gg) {
                double a = 0;
                GEOSArea_r(ctx->geos, gg, &a);
                total += a;
                pl_gpkg_row_begin(l);
                pl_gpkg_set_int(l, 0, OGR_F_GetFID(feat));
                pl_gpkg_set_geos(l, gg);
                assert_int_equal(pl_gpkg_row_end(l, &err), PL_OK);
                GEOSGeom_destroy_r(ctx->geos, gg);
                n++;
            }
        }
        OGR_F_Destroy(feat);
    }
    GDALClose(in);
    assert_int_equal(n, 69); /* the DeSO of Sundbyberg and Solna: ogrinfo -so counts 69 features */
    assert_int_equal(pl_gpkg_commit(g, &err), PL_OK);

    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(out, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    void *cache = spatialite_alloc_connection();
    spatialite_init_ex(db, cache, 0);
    char *sum = sql_text(db, "SELECT sum(ST_Area(GeomFromGPB(geom))) FROM deso");
    assert_non_null(sum);
    assert_true(fabs(atof(sum) - total) < 1e-6 * total);
    free(sum);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM deso"), n);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM rtree_deso_geom"), n);
    sqlite3_close(db);
    spatialite_cleanup_ex(cache);
    pl_ctx_free(ctx);
}

/* ------------------------------------------------------------------ views */

/* A base point layer of 5 rows: id "r0".."r4", n = 10 i, km = 1.5 i (NULL for r4). */
static pl_gpkg_layer *view_base(pl_gpkg *g, pl_error *err)
{
    static const pl_field_def f[] = {{"id", PL_FIELD_TEXT, "Id", NULL}, {"n", PL_FIELD_INT, "Antal", NULL},
                                     {"km", PL_FIELD_REAL, "Avstånd", NULL}};
    pl_gpkg_layer *l = pl_gpkg_layer_add(g, "rutor", 1, "Rutor", f, 3, NULL, err);
    assert_non_null(l);
    for (int i = 0; i < 5; i++) {
        char id[8];
        snprintf(id, sizeof id, "r%d", i);
        pl_gpkg_row_begin(l);
        pl_gpkg_set_text(l, 0, id);
        pl_gpkg_set_int(l, 1, 10 * i);
        pl_gpkg_set_real(l, 2, i < 4 ? 1.5 * i : NAN);
        pl_gpkg_set_xy(l, 670000 + 1000 * i, 6580000 + 500 * i);
        assert_int_equal(pl_gpkg_row_end(l, err), PL_OK);
    }
    return l;
}

static const pl_view_column VIEW_COLS[] = {
    {{"id", PL_FIELD_TEXT, "Ruta", NULL}, NULL},
    {{"n", PL_FIELD_INT, NULL, NULL}, NULL},
    {{"inom", PL_FIELD_INT, "Inom 3 km", "1 if km <= 3"}, "coalesce(\"km\" <= 3, 0)"},
    {{"antal_typer", PL_FIELD_INT, NULL, NULL}, "7"},
    {{"halva", PL_FIELD_REAL, NULL, NULL}, "\"km\" / 2"},
    {{"namn", PL_FIELD_TEXT, NULL, NULL}, "'ruta ' || \"id\""},
};

static void test_view_layer(void **state)
{
    (void)state;
    const char *dir = scratch_dir("gpkg_writer/view");
    char out[4200];
    snprintf(out, sizeof out, "%s/res.gpkg", dir);
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};
    pl_gpkg_opts o = {.overwrite = 1, .timestamp = "2024-01-01"};
    pl_gpkg *g = pl_gpkg_create(ctx, out, &o, &err);
    assert_non_null(g);
    pl_gpkg_layer *base = view_base(g, &err);
    /* Refused without spoiling the output: no base, a computed column without a base column of
     * its type, a plain column the base lacks. */
    assert_null(pl_gpkg_view_add(g, "v", NULL, NULL, VIEW_COLS, 6, NULL, &err));
    assert_non_null(strstr(err.msg, "spatial table layer"));
    pl_view_column big = {{"stor", PL_FIELD_INT64, NULL, NULL}, "1"};
    assert_null(pl_gpkg_view_add(g, "v", NULL, base, &big, 1, NULL, &err));
    assert_non_null(strstr(err.msg, "column 'stor': rutor has no column of its type"));
    pl_view_column missing = {{"saknas", PL_FIELD_INT, NULL, NULL}, NULL};
    assert_null(pl_gpkg_view_add(g, "v", NULL, base, &missing, 1, NULL, &err));
    assert_non_null(strstr(err.msg, "no column of that name and type"));
    pl_style pf = {.kind = PL_STYLE_CATEGORIZED, .field = "inom", .classes = PASS_FAIL, .n_classes = 2,
                   .null_label = "uppgift saknas"};
    pl_gpkg_layer *v = pl_gpkg_view_add(g, "nara", "Nära", base, VIEW_COLS, 6, &pf, &err);
    assert_non_null(v);
    static const pl_field_def tf[] = {{"x", PL_FIELD_INT, "X", NULL}};
    assert_non_null(pl_gpkg_layer_add(g, "tabell", 100, NULL, tf, 1, NULL, &err));  /* layers may follow */
    assert_int_equal(pl_gpkg_commit(g, &err), PL_OK);

    /* GDAL: a feature layer with the base's fids, geometry, extent and R-tree, typed fields. */
    GDALDatasetH ds = GDALOpenEx(out, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    assert_non_null(ds);
    assert_string_equal(OGR_L_GetName(GDALDatasetGetLayer(ds, 1)), "nara");  /* right after its base */
    OGRLayerH bl = GDALDatasetGetLayerByName(ds, "rutor"), vl = GDALDatasetGetLayerByName(ds, "nara");
    assert_non_null(vl);
    assert_string_equal(OGR_L_GetFIDColumn(vl), "fid");
    assert_int_equal(OGR_L_GetGeomType(vl), wkbPoint);
    assert_true(OGR_L_TestCapability(vl, OLCFastSpatialFilter));
    assert_int_equal(OGR_L_GetFeatureCount(vl, 1), 5);
    OGREnvelope eb, ev;
    assert_int_equal(OGR_L_GetExtent(bl, &eb, 0), OGRERR_NONE);
    assert_int_equal(OGR_L_GetExtent(vl, &ev, 0), OGRERR_NONE);
    assert_true(eb.MinX == ev.MinX && eb.MaxX == ev.MaxX && eb.MinY == ev.MinY && eb.MaxY == ev.MaxY);
    assert_true(ev.MinX == 670000 && ev.MaxY == 6582000);
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(vl);
    assert_non_null(srs);
    assert_true(OSRIsSame(srs, OGR_L_GetSpatialRef(bl)));
    static const OGRFieldType want[] = {OFTString, OFTInteger, OFTInteger, OFTInteger, OFTReal, OFTString};
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(vl);
    assert_int_equal(OGR_FD_GetFieldCount(defn), 6);
    for (int i = 0; i < 6; i++) {
        assert_string_equal(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)), VIEW_COLS[i].field.name);
        assert_int_equal(OGR_Fld_GetType(OGR_FD_GetFieldDefn(defn, i)), want[i]);
    }
    OGRFeatureH ft;
    int i = 0;
    while ((ft = OGR_L_GetNextFeature(vl)) != NULL) {
        OGRFeatureH bf = OGR_L_GetFeature(bl, OGR_F_GetFID(ft));
        assert_non_null(bf);
        assert_string_equal(OGR_F_GetFieldAsString(ft, 0), OGR_F_GetFieldAsString(bf, 0));
        assert_true(OGR_G_Equals(OGR_F_GetGeometryRef(ft), OGR_F_GetGeometryRef(bf)));
        assert_int_equal(OGR_F_GetFieldAsInteger(ft, 1), 10 * i);
        assert_int_equal(OGR_F_GetFieldAsInteger(ft, 2), i < 4 && 1.5 * i <= 3);  /* NULL km: 0 */
        assert_int_equal(OGR_F_GetFieldAsInteger(ft, 3), 7);
        if (i < 4)
            assert_true(OGR_F_GetFieldAsDouble(ft, 4) == 0.75 * i);
        else
            assert_true(OGR_F_IsFieldNull(ft, 4));
        char want_name[16];
        snprintf(want_name, sizeof want_name, "ruta r%d", i);
        assert_string_equal(OGR_F_GetFieldAsString(ft, 5), want_name);
        OGR_F_Destroy(bf);
        OGR_F_Destroy(ft);
        i++;
    }
    assert_int_equal(i, 5);
    OGR_L_SetSpatialFilterRect(vl, 670900, 6580400, 671100, 6580600);  /* r1 only */
    ft = OGR_L_GetNextFeature(vl);
    assert_non_null(ft);
    assert_string_equal(OGR_F_GetFieldAsString(ft, 0), "r1");
    OGR_F_Destroy(ft);
    assert_null(OGR_L_GetNextFeature(vl));
    GDALClose(ds);

    /* As stored: registration, style, aliases and metadata like a table's; no table or R-tree. */
    sqlite3 *db = open_db(out);
    assert_sql_text(db, "SELECT type FROM sqlite_master WHERE name = 'nara'", "view");
    assert_int_equal(sql_int(db, "SELECT count(*) FROM sqlite_master WHERE name LIKE 'rtree_nara%'"), 0);
    assert_sql_text(db, "SELECT data_type || ' ' || identifier || ' ' || srs_id FROM gpkg_contents "
                        "WHERE table_name = 'nara'", "features Nära 3006");
    assert_sql_text(db, "SELECT geometry_type_name FROM gpkg_geometry_columns WHERE table_name = 'nara'", "POINT");
    assert_sql_text(db, "SELECT styleName || ' ' || f_geometry_column FROM layer_styles WHERE f_table_name = 'nara'",
                    "nara geom");
    assert_sql_text(db, "SELECT title FROM gpkg_data_columns WHERE table_name = 'nara' AND column_name = 'inom'",
                    "Inom 3 km");
    char *md = sql_text(db, "SELECT metadata FROM gpkg_metadata");
    assert_non_null(strstr(md, "{\"name\": \"nara\", \"view_of\": \"rutor\", \"rows\": 5}"));
    free(md);
    sqlite3_close(db);
    char *qml = qgis_load_style(out, "nara");
    assert_non_null(qml);
    assert_non_null(strstr(qml, "alias field=\"inom\" index=\"3\" name=\"Inom 3 km\""));
    free(qml);

    /* A view takes no rows; an expression SQLite rejects fails the output. */
    g = pl_gpkg_create(ctx, out, &o, &err);
    base = view_base(g, &err);
    v = pl_gpkg_view_add(g, "nara", NULL, base, VIEW_COLS, 6, NULL, &err);
    assert_non_null(v);
    pl_gpkg_row_begin(v);
    assert_int_equal(pl_gpkg_row_end(v, &err), PL_EINTERNAL);
    assert_non_null(strstr(err.msg, "a view has no rows of its own"));
    pl_gpkg_abort(g);
    g = pl_gpkg_create(ctx, out, &o, &err);
    base = view_base(g, &err);
    pl_view_column bad = {{"fel", PL_FIELD_INT, NULL, NULL}, "\"saknas\" + 1"};
    assert_null(pl_gpkg_view_add(g, "nara", NULL, base, &bad, 1, NULL, &err));
    assert_non_null(strstr(err.msg, "cannot create the view: no such column: saknas"));
    assert_int_equal(pl_gpkg_commit(g, &err), PL_EINTERNAL);
    pl_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layers_crs_and_rtree),
        cmocka_unit_test(test_layer_styles_match_qgis_lookup),
        cmocka_unit_test(test_qml_graduated),
        cmocka_unit_test(test_qml_pass_fail),
        cmocka_unit_test(test_data_columns_aliases),
        cmocka_unit_test(test_metadata_record),
        cmocka_unit_test(test_csv_twin_exact),
        cmocka_unit_test(test_csv_twin_sv),
        cmocka_unit_test(test_spatialite_independent_check),
        cmocka_unit_test(test_existing_output_refused),
        cmocka_unit_test(test_abort_and_cleanup_leave_nothing),
        cmocka_unit_test(test_commit_all_or_nothing),
        cmocka_unit_test(test_commit_set),
        cmocka_unit_test(test_output_equal_to_input_refused),
        cmocka_unit_test(test_folder_not_writable),
        cmocka_unit_test(test_reproducible_bytes),
        cmocka_unit_test(test_batched_transactions),
        cmocka_unit_test(test_wrong_geometry_fails_the_output),
        cmocka_unit_test(test_style_and_layer_validation),
        cmocka_unit_test(test_view_layer),
        cmocka_unit_test(test_timestamp_parsing),
        cmocka_unit_test(test_sha256_streams),
        cmocka_unit_test(test_hashes_started_early),
        cmocka_unit_test(test_hashes_kept_beside_cache),
        cmocka_unit_test(test_hash_store_foreign_file_left_alone),
        cmocka_unit_test(test_real_data_roundtrip),
    };
    return cmocka_run_group_tests_name("gpkg_writer", tests, group_setup, NULL);
}
