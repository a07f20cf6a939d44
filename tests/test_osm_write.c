/* SPDX-License-Identifier: GPL-3.0-or-later */
/* import-osm and population end to end: the GeoPackages they write (layers, fields the loaders
 * read, Swedish aliases, styles, counts) and the command lines. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <gdal.h>
#include <math.h>
#include <ogr_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyses/population/population.h"
#include "gis/ctx.h"
#include "layers/layers.h"
#include "layers/osm.h"
#include "support/testutil.h"

static long layer_count(GDALDatasetH ds, const char *name)
{
    OGRLayerH l = GDALDatasetGetLayerByName(ds, name);
    if (!l)
        return -1;
    return (long)OGR_L_GetFeatureCount(l, 1);
}

static long sql_long(GDALDatasetH ds, const char *sql)
{
    OGRLayerH l = GDALDatasetExecuteSQL(ds, sql, NULL, NULL);
    if (!l)
        return -1;
    OGRFeatureH f = OGR_L_GetNextFeature(l);
    long v = f ? (long)OGR_F_GetFieldAsInteger64(f, 0) : -1;
    if (f)
        OGR_F_Destroy(f);
    GDALDatasetReleaseResultSet(ds, l);
    return v;
}

static double sql_double(GDALDatasetH ds, const char *sql)
{
    OGRLayerH l = GDALDatasetExecuteSQL(ds, sql, NULL, NULL);
    if (!l)
        return NAN;
    OGRFeatureH f = OGR_L_GetNextFeature(l);
    double v = f ? OGR_F_GetFieldAsDouble(f, 0) : NAN;
    if (f)
        OGR_F_Destroy(f);
    GDALDatasetReleaseResultSet(ds, l);
    return v;
}

static void assert_fields(GDALDatasetH ds, const char *layer, const char *const *fields)
{
    OGRLayerH l = GDALDatasetGetLayerByName(ds, layer);
    assert_non_null(l);
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(l);
    for (int i = 0; fields[i]; i++)
        if (OGR_FD_GetFieldIndex(defn, fields[i]) < 0)
            fail_msg("%s: no field %s", layer, fields[i]);
}

static void test_import_sodermalm_gpkg(void **state)
{
    (void)state;
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    const char *dir = scratch_dir("osm_write");
    char out[4200];
    snprintf(out, sizeof out, "%s/layers.gpkg", dir);
    pl_osm_import_opts o = {.input = SODERMALM_PBF, .output = out};
    char input[4200];
    snprintf(input, sizeof input, "%s", o.input);
    o.input = input;
    pl_osm_read_opts_default(&o.read);
    pl_error err = {0};
    if (pl_osm_import(ctx, &o, &err) != PL_OK)
        fail_msg("%s", err.msg);
    /* A second run without --overwrite is refused and leaves the file. */
    assert_int_equal(pl_osm_import(ctx, &o, &err), PL_EINPUT);
    assert_true(file_exists(out));

    GDALDatasetH ds = GDALOpenEx(out, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    assert_int_equal(layer_count(ds, "roads"), 323); /* 183 ways split at shared nodes and ends */
    assert_int_equal(sql_long(ds, "SELECT COUNT(DISTINCT osm_id) FROM roads"), 183);
    assert_int_equal(layer_count(ds, "services"), 8);
    assert_int_equal(layer_count(ds, "green_areas"), 15);
    assert_int_equal(layer_count(ds, "trees"), 23);
    assert_int_equal(layer_count(ds, "canopy"), 23);
    assert_int_equal(layer_count(ds, "buildings"), 121);
    assert_int_equal(layer_count(ds, "municipalities"), -1); /* none in the extract: no layer */
    static const char *const road_fields[] = {"osm_id", "highway", "length_m", "maxspeed_kmh", "oneway", "car",
                                              "bike", "foot", "bridge", "tunnel", "layer", "indoor", "source",
                                              "target", NULL};
    static const char *const service_fields[] = {"osm_id", "osm_type", "name", "type", "raw_tag", NULL};
    static const char *const green_fields[] = {"kind", "name", "area_ha", "access", "public", NULL};
    static const char *const tree_fields[] = {"source", "crown_radius_m", "crown_from", NULL};
    static const char *const building_fields[] = {"levels", "residential", "floor_area_m2", "height_m", NULL};
    assert_fields(ds, "roads", road_fields);
    OGRFeatureDefnH rd = OGR_L_GetLayerDefn(GDALDatasetGetLayerByName(ds, "roads"));
    assert_int_equal(OGR_Fld_GetType(OGR_FD_GetFieldDefn(rd, OGR_FD_GetFieldIndex(rd, "source"))), OFTInteger64);
    assert_int_equal(OGR_Fld_GetType(OGR_FD_GetFieldDefn(rd, OGR_FD_GetFieldIndex(rd, "target"))), OFTInteger64);
    assert_fields(ds, "services", service_fields);
    assert_fields(ds, "green_areas", green_fields);
    assert_fields(ds, "trees", tree_fields);
    assert_fields(ds, "buildings", building_fields);
    assert_int_equal(sql_long(ds, "SELECT COUNT(*) FROM services WHERE type = 'grocery_full'"), 2);
    assert_int_equal(sql_long(ds, "SELECT COUNT(*) FROM green_areas WHERE kind = 'park'"), 9);
    /* 43 ways tagged maxspeed=30 (osmium), no other maxspeed values in the extract. */
    assert_int_equal(sql_long(ds, "SELECT COUNT(DISTINCT osm_id) FROM roads WHERE maxspeed_kmh = 30"), 43);
    assert_int_equal(sql_long(ds, "SELECT COUNT(DISTINCT osm_id) FROM roads WHERE maxspeed_kmh IS NULL"), 140);
    /* Topology fields: Integer64 node ids, set on every piece; pieces of a way chain end to start. */
    assert_int_equal(sql_long(ds, "SELECT COUNT(*) FROM roads WHERE source IS NULL OR target IS NULL"), 0);
    assert_int_equal(sql_long(ds, "SELECT COUNT(*) FROM roads a JOIN roads b ON b.fid = a.fid + 1 "
                                  "AND b.osm_id = a.osm_id WHERE b.source <> a.target"), 0);
    /* Swedish aliases and one style per layer. */
    assert_int_equal(sql_long(ds, "SELECT COUNT(*) FROM gpkg_data_columns WHERE table_name = 'roads' AND "
                                  "column_name = 'maxspeed_kmh' AND title = 'Hastighetsgräns (km/h)'"), 1);
    assert_int_equal(sql_long(ds, "SELECT COUNT(*) FROM layer_styles"), 6);
    /* In EPSG:3006 near Medborgarplatsen. */
    OGREnvelope env;
    assert_int_equal(OGR_L_GetExtent(GDALDatasetGetLayerByName(ds, "buildings"), &env, 1), OGRERR_NONE);
    assert_true(env.MinX > 673000 && env.MaxX < 676000 && env.MinY > 6578000 && env.MaxY < 6581000);
    GDALClose(ds);
    pl_ctx_free(ctx);
}

static void test_population_gpkg(void **state)
{
    (void)state;
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    const char *dir = scratch_dir("population_write");
    char layers[4200], out[4200], areas[4200];
    snprintf(layers, sizeof layers, "%s/layers.gpkg", dir);
    snprintf(out, sizeof out, "%s/population.gpkg", dir);
    snprintf(areas, sizeof areas, "%s:stockholm_statistikomraden",
             real_data("swedish-city-districts/swedish_city_districts.gpkg"));
    char input[4200];
    snprintf(input, sizeof input, "%s", SODERMALM_PBF);
    pl_osm_import_opts io = {.input = input, .output = layers};
    pl_osm_read_opts_default(&io.read);
    pl_error err = {0};
    assert_int_equal(pl_osm_import(ctx, &io, &err), PL_OK);

    char buildings[4300];
    snprintf(buildings, sizeof buildings, "%s:buildings", layers);
    pl_population_opts po = {.areas = areas, .buildings = buildings, .output = out, .pop_field = "pop_2016",
                             .crs = "EPSG:3006", .polygons = 1};
    if (pl_population_run(ctx, &po, "test", &err) != PL_OK)
        fail_msg("%s", err.msg);
    GDALDatasetH ds = GDALOpenEx(out, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    /* The 51 areas of the extract around Södermalm: ogrinfo -dialect sqlite -sql "select count(*),
     * sum(pop_2016), sum(pop_2016 > 0) from stockholm_statistikomraden": 51, 118811, 50. 121 building
     * points + one point for each of the 50 - 6 populated areas without a building. */
    assert_int_equal(layer_count(ds, "population"), 121 + 44);
    assert_int_equal(layer_count(ds, "buildings"), 121);
    assert_int_equal(layer_count(ds, "areas"), 51);
    assert_true(fabs(sql_double(ds, "SELECT SUM(pop) FROM population") - 118811.0) < 1e-6);
    /* Per area, what the points hold equals the input (1e-9). */
    assert_int_equal(sql_long(ds, "SELECT COUNT(*) FROM areas a WHERE ABS(a.pop - (SELECT SUM(p.pop) FROM "
                                  "population p WHERE p.area_id = a.area_id)) > 1e-9"), 0);
    assert_int_equal(sql_long(ds, "SELECT COUNT(*) FROM areas WHERE ABS(pop - pop_assigned) > 1e-9"), 0);
    assert_int_equal(sql_long(ds, "SELECT COUNT(*) FROM areas WHERE method = 'residential'"), 6);
    GDALClose(ds);
    pl_ctx_free(ctx);
}

static void test_cli(void **state)
{
    (void)state;
    const char *dir = scratch_dir("osm_cli");
    char d[4200];
    snprintf(d, sizeof d, "%s", dir);
    assert_int_equal(run_cmd("build/platsa import-osm --help | grep -q 'maxspeed_kmh'"), 0);
    assert_int_equal(run_cmd("build/platsa population --help | grep -q -- '--pop-field'"), 0);
    assert_int_equal(run_cmd("build/platsa -q import-osm %s -o %s/m.gpkg --admin-level 8",
                             MONACO_PBF, d), 0);
    assert_int_equal(run_cmd("test \"$(ogrinfo -q -sql 'SELECT COUNT(*) FROM municipalities' %s/m.gpkg | "
                             "grep -o '= [0-9]*')\" = '= 4'", d), 0);
    /* The CLI maps services with share/service_types.ini. It leaves out Södermalm's 3 shop=kiosk
     * and 1 amenity=bureau_de_change (osmium-counted nodes): a kiosk is not a grocery store and a
     * bureau de change is not a basic payment service in the RSP sense. */
    assert_int_equal(run_cmd("build/platsa -q import-osm %s -o %s/s.gpkg",
                             SODERMALM_PBF, d), 0);
    assert_int_equal(run_cmd("test \"$(ogrinfo -q -sql \"SELECT COUNT(*) FROM services WHERE type = "
                             "'grocery_partial'\" %s/s.gpkg | grep -o '= [0-9]*')\" = '= 2'", d), 0);
    assert_int_equal(run_cmd("test \"$(ogrinfo -q -sql 'SELECT COUNT(*) FROM services' %s/s.gpkg | "
                             "grep -o '= [0-9]*')\" = '= 8'", d), 0);
    /* A region's file adds a type selected by a key osmconf.ini reads (shop). */
    assert_int_equal(run_cmd("printf '[bakery]\\nlabel_sv = Bageri\\nlabel_en = Bakery\\nvalues = bageri\\n"
                             "osm = shop=bakery\\n' > %s/extra.ini", d), 0);
    assert_int_equal(run_cmd("build/platsa -q import-osm %s -o %s/b.gpkg --service-types %s/extra.ini",
                             SODERMALM_PBF, d, d), 0);
    assert_int_equal(run_cmd("ogrinfo -q -sql \"SELECT COUNT(*) FROM services WHERE type = 'bakery'\" %s/b.gpkg | "
                             "grep -q '= [1-9]'", d), 0);
    /* Amager: imported, the clipped extract's warnings summarised on stderr. */
    assert_int_equal(run_cmd("build/platsa import-osm %s -o %s/a.gpkg 2> %s/a.err",
                             real_data("osm-monaco-amager-osrm/amager.osm.pbf"), d, d), 0);
    assert_int_equal(run_cmd("grep -q 'osm-incomplete-multipolygon: 2 times' %s/a.err", d), 0);
    /* Usage errors exit 1 with one line. */
    assert_int_equal(run_cmd("build/platsa import-osm %s/missing.osm.pbf -o %s/x.gpkg 2>/dev/null", d, d), 1);
    assert_int_equal(run_cmd("build/platsa import-osm -o %s/x.gpkg 2>/dev/null", d), 1);
    assert_int_equal(run_cmd("build/platsa import-osm %s -o %s/x.gpkg --crs EPSG:4326 2>/dev/null",
                             SODERMALM_PBF, d), 1);
    assert_int_equal(run_cmd("build/platsa population --areas %s/m.gpkg:municipalities --buildings "
                             "%s/m.gpkg:buildings -o %s/p.gpkg 2>/dev/null", d, d, d), 1); /* no population field */
    assert_false(file_exists("build/test-tmp/osm_cli/x.gpkg"));
}

/* The other commands' loaders read what import-osm and population write. */
static void test_loaders_read_outputs(void **state)
{
    (void)state;
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    const char *dir = scratch_dir("osm_loaders");
    char d[4200], spec[4300];
    snprintf(d, sizeof d, "%s", dir);
    assert_int_equal(run_cmd("build/platsa -q import-osm %s -o %s/m.gpkg --admin-level 8",
                             MONACO_PBF, d), 0);
    pl_error err = {0};
    snprintf(spec, sizeof spec, "%s/m.gpkg:roads", d);
    pl_roads *r = pl_roads_load(ctx, spec, NULL, &err);
    assert_non_null(r);
    assert_int_equal(r->n, 5331); /* 2898 ways split at shared nodes and ends */
    size_t ferries = 0;
    for (size_t i = 0; i < r->n; i++)
        ferries += r->road_class[i] == PL_ROAD_FERRY;
    assert_int_equal(ferries, 1);
    pl_roads_free(r);
    snprintf(spec, sizeof spec, "%s/m.gpkg:municipalities", d);
    pl_municipalities *m = pl_municipalities_load(ctx, spec, NULL, &err);
    if (!m)
        fail_msg("%s", err.msg);
    assert_int_equal(m->n, 4);
    assert_true(pl_municipalities_find(m, "R2220322") >= 0);
    pl_municipalities_free(ctx, m);
    pl_service_types *types = pl_service_types_load(ctx, NULL, &err);
    assert_non_null(types);
    snprintf(spec, sizeof spec, "%s/m.gpkg:services", d);
    pl_services *s = pl_services_load(ctx, spec, types, NULL, &err);
    assert_non_null(s);
    size_t full = 0;
    for (size_t i = 0; i < s->n; i++)
        full += s->type[i] == pl_service_types_find(types, "grocery_full");
    assert_int_equal(full, 11);
    pl_services_free(s);
    pl_service_types_free(types);
    pl_population *p = pl_population_load(ctx, "sample-data/monaco/population.gpkg:population", NULL, &err);
    if (!p)
        fail_msg("%s", err.msg);
    assert_true(fabs(p->total_pop - 59300.0) < 1e-6);
    pl_population_free(ctx, p);
    pl_ctx_free(ctx);
}

/* The committed sample data: small, complete, totals preserved. */
static void test_sample_data(void **state)
{
    (void)state;
    assert_int_equal(run_cmd("test $(du -sk sample-data | cut -f1) -lt 10240"), 0);
    GDALDatasetH ds = GDALOpenEx("sample-data/sodermalm/statistikomraden.gpkg", GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    assert_int_equal(layer_count(ds, "statistikomraden"), 6);
    assert_true(sql_double(ds, "SELECT SUM(pop) FROM statistikomraden") == 17125.0);
    GDALClose(ds);
    ds = GDALOpenEx("sample-data/sodermalm/population.gpkg", GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    assert_true(fabs(sql_double(ds, "SELECT SUM(pop) FROM population") - 17125.0) < 1e-6);
    assert_int_equal(sql_long(ds, "SELECT COUNT(*) FROM areas WHERE ABS(pop - pop_assigned) > 1e-9"), 0);
    assert_int_equal(sql_long(ds, "SELECT COUNT(*) FROM areas WHERE method <> 'residential'"), 0);
    GDALClose(ds);
    ds = GDALOpenEx("sample-data/sodermalm/kommuner.gpkg", GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    assert_int_equal(sql_long(ds, "SELECT COUNT(*) FROM kommuner WHERE KnKod = '0180'"), 1);
    GDALClose(ds);
    ds = GDALOpenEx("sample-data/sodermalm/layers.gpkg", GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    assert_int_equal(layer_count(ds, "buildings"), 121);
    GDALClose(ds);
    ds = GDALOpenEx("sample-data/monaco/areas.gpkg", GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    assert_int_equal(layer_count(ds, "areas"), 4);
    assert_true(sql_double(ds, "SELECT SUM(pop) FROM areas") == 59300.0);
    GDALClose(ds);
    ds = GDALOpenEx("sample-data/monaco/population.gpkg", GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    assert_true(fabs(sql_double(ds, "SELECT SUM(pop) FROM population") - 59300.0) < 1e-6);
    assert_int_equal(sql_long(ds, "SELECT COUNT(*) FROM areas WHERE ABS(pop - pop_assigned) > 1e-9"), 0);
    GDALClose(ds);
    assert_true(file_exists("sample-data/monaco/monaco.osm.pbf"));
    assert_true(file_exists("sample-data/README.md"));
}

int main(void)
{
    GDALAllRegister();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_import_sodermalm_gpkg),
        cmocka_unit_test(test_population_gpkg),
        cmocka_unit_test(test_cli),
        cmocka_unit_test(test_loaders_read_outputs),
        cmocka_unit_test(test_sample_data),
    };
    return cmocka_run_group_tests_name("osm_write", tests, NULL, NULL);
}
