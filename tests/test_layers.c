/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Loaders on the real Swedish data extracts in tests/data and on small bad inputs made here. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <cpl_error.h>

#include "layers/internal.h"
#include "layers/layers.h"
#include "support/testutil.h"

static pl_ctx *ctx;
static pl_service_types *types;
static char fxdir[4096];

/* ---------- fixtures made with the GDAL API ---------- */

typedef struct fx {
    GDALDatasetH ds;
    OGRLayerH layer;
} fx;

/* fields: "name:S,pop:I,val:R,day:D" (String, Integer, Real, Date). epsg 0 = no CRS. */
static fx fx_create(const char *driver, const char *file, const char *layer, int epsg, OGRwkbGeometryType gt,
                    const char *fields)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", fxdir, file);
    GDALDriverH drv = GDALGetDriverByName(driver);
    assert_non_null(drv);
    /* Fixtures are bad on purpose: keep GDAL's remarks about them off the test output
     * (until fx_close). */
    CPLPushErrorHandler(CPLQuietErrorHandler);
    fx f;
    f.ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_UPDATE, NULL, NULL, NULL);
    if (!f.ds)
        f.ds = GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, NULL);
    assert_non_null(f.ds);
    OGRSpatialReferenceH srs = NULL;
    if (epsg) {
        srs = OSRNewSpatialReference(NULL);
        OSRImportFromEPSG(srs, epsg);
    }
    f.layer = GDALDatasetCreateLayer(f.ds, layer, srs, gt, NULL);
    assert_non_null(f.layer);
    if (srs)
        OSRDestroySpatialReference(srs);
    char buf[512];
    snprintf(buf, sizeof buf, "%s", fields);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(tok, ':');
        assert_non_null(colon);
        *colon = '\0';
        OGRFieldType t = colon[1] == 'I' ? OFTInteger : colon[1] == 'R' ? OFTReal : colon[1] == 'D' ? OFTDate
                                                                                                      : OFTString;
        OGRFieldDefnH fd = OGR_Fld_Create(tok, t);
        assert_int_equal(OGR_L_CreateField(f.layer, fd, TRUE), OGRERR_NONE);
        OGR_Fld_Destroy(fd);
    }
    return f;
}

/* Adds a feature: geometry from WKT (NULL = none), then one value per field (NULL = null). */
static void fx_add(fx *f, const char *wkt, ...)
{
    OGRFeatureH feat = OGR_F_Create(OGR_L_GetLayerDefn(f->layer));
    if (wkt) {
        OGRGeometryH g = NULL;
        char *p = (char *)wkt;
        assert_int_equal(OGR_G_CreateFromWkt(&p, NULL, &g), OGRERR_NONE);
        OGR_F_SetGeometryDirectly(feat, g);
    }
    va_list ap;
    va_start(ap, wkt);
    int n = OGR_FD_GetFieldCount(OGR_L_GetLayerDefn(f->layer));
    for (int i = 0; i < n; i++) {
        const char *v = va_arg(ap, const char *);
        if (v)
            OGR_F_SetFieldString(feat, i, v);
        else
            OGR_F_SetFieldNull(feat, i);
    }
    va_end(ap);
    assert_int_equal(OGR_L_CreateFeature(f->layer, feat), OGRERR_NONE);
    OGR_F_Destroy(feat);
}

static void fx_add_geom(fx *f, OGRGeometryH g, const char *value)
{
    OGRFeatureH feat = OGR_F_Create(OGR_L_GetLayerDefn(f->layer));
    OGR_F_SetGeometryDirectly(feat, g);
    OGR_F_SetFieldString(feat, 0, value);
    assert_int_equal(OGR_L_CreateFeature(f->layer, feat), OGRERR_NONE);
    OGR_F_Destroy(feat);
}

static void fx_close(fx *f)
{
    GDALClose(f->ds);
    CPLPopErrorHandler();
}

static const char *fx_path(const char *file)
{
    static char path[4400];
    snprintf(path, sizeof path, "%s/%s", fxdir, file);
    return path;
}

static const char *fx_text(const char *file, const char *text)
{
    FILE *f = fopen(fx_path(file), "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return fx_path(file);
}

static const char *SQ1 = "POLYGON ((600000 6500000,601000 6500000,601000 6501000,600000 6501000,600000 6500000))";
static const char *SQ2 = "POLYGON ((601000 6500000,602000 6500000,602000 6501000,601000 6501000,601000 6500000))";
static const char *SQ3 = "POLYGON ((602000 6500000,603000 6500000,603000 6501000,602000 6501000,602000 6500000))";

static int setup(void **state)
{
    (void)state;
    GDALAllRegister();
    ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};
    types = pl_service_types_load(ctx, NULL, &err);
    if (!types) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    snprintf(fxdir, sizeof fxdir, "%s", scratch_dir("layers"));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    pl_service_types_free(types);
    pl_ctx_free(ctx);
    return 0;
}

static char *spec(const char *relative, const char *layer)
{
    static char buf[4600];
    snprintf(buf, sizeof buf, "%s%s%s", real_data(relative), layer ? ":" : "", layer ? layer : "");
    return buf;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted copy of the codes joined by ',' (caller frees). */
static char *code_list(const pl_municipalities *m)
{
    char **c = malloc(m->n * sizeof *c);
    memcpy(c, m->code, m->n * sizeof *c);
    qsort(c, m->n, sizeof *c, cmp_str);
    char *out = calloc(m->n * 8 + 1, 1);
    for (size_t i = 0; i < m->n; i++) {
        strcat(out, c[i]);
        strcat(out, ",");
    }
    free(c);
    return out;
}

static const char *name_of(const pl_municipalities *m, const char *code)
{
    long i = pl_municipalities_find(m, code);
    return i >= 0 ? m->name[i] : "(none)";
}

/* =================== real data =================== */
/* The extracts in tests/data (see each folder's PROVENANCE.md): kommuner and län of Stockholm (01),
 * Gotland (09), Örebro (18) and Västmanland (19). The expected figures are measured on those files
 * with ogrinfo (SQLite dialect) and awk, independently of platsa; the command is given with each. */

static void test_kommuner_gpkg_shapefile_geojson(void **state)
{
    (void)state;
    pl_error err = {0};
    pl_warn_reset(ctx);
    pl_municipalities *g = pl_municipalities_load(ctx, spec("scb-admin-boundaries/sweden_admin_scb_sweref99tm.gpkg",
                                                            "kommuner"), NULL, &err);
    assert_non_null(g);
    /* ogrinfo -dialect sqlite -sql "select count(*), sum(ST_Area(geom))/1e6 from kommuner":
     * 49, 23992.4435879389 (the same query gives 436795.708 km2 on all 290 kommuner). */
    assert_int_equal(g->n, 49);
    assert_string_equal(g->code[0], "0114");
    assert_string_equal(g->name[0], "Upplands Väsby");
    assert_string_equal(g->source, "sweden_admin_scb_sweref99tm.gpkg:kommuner");
    assert_true(fabs(g->total_area - 23992.444) < 0.01);
    assert_non_null(g->index);
    assert_non_null(g->prepared[48]); /* the last of the 49 */

    /* The original SCB shapefile: "unnamed" .prj, cp1252 DBF with no .cpg. */
    pl_municipalities *s = pl_municipalities_load(ctx, real_data("scb-admin-boundaries/Kommun_Sweref99TM.shp"),
                                                  NULL, &err);
    assert_non_null(s);
    assert_int_equal(s->n, 49);
    assert_string_equal(name_of(s, "1880"), "Örebro");
    assert_string_equal(name_of(s, "1980"), "Västerås");
    assert_string_equal(name_of(s, "1863"), "Hällefors");
    assert_string_equal(name_of(s, "0980"), "Gotland");
    assert_string_equal(name_of(s, "0114"), "Upplands Väsby");
    assert_int_equal(pl_warn_count(ctx, "text-not-utf8"), 0);
    /* Taken as EPSG:3006 without a transformation: areas equal the GeoPackage's. */
    assert_true(fabs(s->total_area - g->total_area) < 1e-6);

    /* The WGS84 GeoJSON, reprojected. */
    pl_municipalities *j = pl_municipalities_load(ctx, real_data("scb-admin-boundaries/swe-maps-kommun.geojson"),
                                                  NULL, &err);
    assert_non_null(j);
    assert_int_equal(j->n, 49);
    assert_true(fabs(j->total_area - 23992.444) < 0.5);

    char *a = code_list(g), *b = code_list(s), *c = code_list(j);
    assert_string_equal(a, b);
    assert_string_equal(a, c);
    assert_int_equal(strlen(a), 49 * 5);
    assert_int_equal(strncmp(a, "0114,0115,0117,", 15), 0);
    free(a);
    free(b);
    free(c);
    for (size_t i = 0; i < g->n; i++)
        assert_int_equal(strlen(g->code[i]), 4);
    assert_int_equal(pl_warn_total(ctx), 0);
    pl_municipalities_free(ctx, g);
    pl_municipalities_free(ctx, s);
    pl_municipalities_free(ctx, j);
}

static void test_lan(void **state)
{
    (void)state;
    pl_error err = {0};
    pl_municipalities *l = pl_municipalities_load(ctx, spec("scb-admin-boundaries/sweden_admin_scb_sweref99tm.gpkg",
                                                            "lan"), NULL, &err);
    assert_non_null(l);
    assert_int_equal(l->n, 4);
    assert_string_equal(name_of(l, "01"), "Stockholms");
    assert_string_equal(name_of(l, "18"), "Örebro");
    assert_string_equal(name_of(l, "19"), "Västmanlands");
    pl_municipalities *j = pl_municipalities_load(ctx, real_data("scb-admin-boundaries/swe-maps-lan.geojson"), NULL,
                                                  &err);
    assert_non_null(j);
    assert_int_equal(j->n, 4);
    char *a = code_list(l), *b = code_list(j);
    assert_string_equal(a, "01,09,18,19,");
    assert_string_equal(a, b);
    free(a);
    free(b);
    /* A point in Sollentuna is in län 01. Riddarfjärden in central Stockholm is water that
     * the generalised polygons leave out: it gets the nearest, 01, with outside = 1. So does
     * a point at sea east of Gotland. */
    int outside = 0;
    assert_string_equal(l->code[pl_municipalities_locate(ctx, l, 667000, 6590000, &outside)], "01");
    assert_int_equal(outside, 0);
    assert_string_equal(l->code[pl_municipalities_locate(ctx, l, 674000, 6580000, &outside)], "01");
    assert_int_equal(outside, 1);
    assert_string_equal(l->code[pl_municipalities_locate(ctx, l, 790000, 6380000, &outside)], "09");
    assert_int_equal(outside, 1);
    pl_municipalities_free(ctx, l);
    pl_municipalities_free(ctx, j);
}

static void test_tatorter_localities(void **state)
{
    (void)state;
    pl_error err = {0};
    pl_localities *l = pl_localities_load(ctx, real_data("scb-tatorter-2020/scb_tatorter_2020_points.gpkg"), NULL,
                                          &err);
    assert_non_null(l);
    /* ogrinfo -sql "select count(*), sum(pop), min(pop) from tatorter_2020": 279, 2863566, 200;
     * the first feature: 1864TB104 Ställdalen; Stockholm (0180TC101): 1617407. */
    assert_int_equal(l->n, 279);
    double sum = 0, min = 1e18;
    long stockholm = -1;
    for (size_t i = 0; i < l->n; i++) {
        sum += l->pop[i];
        if (l->pop[i] < min)
            min = l->pop[i];
        if (!strcmp(l->name[i], "Stockholm"))
            stockholm = (long)i;
    }
    assert_true(sum == 2863566);
    assert_true(min == 200);
    assert_true(stockholm >= 0);
    assert_true(l->pop[stockholm] == 1617407);
    assert_string_equal(l->code[0], "1864TB104");
    assert_string_equal(l->name[0], "Ställdalen");
    pl_localities_free(ctx, l);
}

/* Tätort points outside every generalised kommun polygon (29; 122 in all of Sweden), and inside a
 * kommun other than their own mun_code (4; 27 in all of Sweden). Measured with both layers copied
 * into one GeoPackage (ogr2ogr) and ogrinfo -dialect sqlite:
 *   select count(*) from tatorter_2020 t where not exists
 *     (select 1 from kommuner k where ST_Intersects(k.geom, t.geom))                      -> 29
 *   select t.id, t.mun_code, k.KnKod from tatorter_2020 t join kommuner k
 *     on ST_Intersects(k.geom, t.geom) where k.KnKod <> t.mun_code                        -> 4 rows
 * and the nearest kommun (min ST_Distance) of each point outside. */
static void test_tatorter_locate(void **state)
{
    (void)state;
    pl_error err = {0};
    pl_warn_reset(ctx);
    pl_municipalities *m = pl_municipalities_load(ctx, spec("scb-admin-boundaries/sweden_admin_scb_sweref99tm.gpkg",
                                                            "kommuner"), NULL, &err);
    pl_population *t = pl_population_load(ctx, real_data("scb-tatorter-2020/scb_tatorter_2020_points.gpkg"), NULL,
                                          &err);
    assert_non_null(m);
    assert_non_null(t);
    assert_int_equal(t->n, 279);
    assert_int_equal(t->is_polygon, 0);
    assert_true(t->total_pop == 2863566);
    long *idx = malloc(t->n * sizeof *idx);
    long outside = pl_municipalities_assign(ctx, m, t->n, t->x, t->y, "tätort", idx);
    assert_int_equal(outside, 29);
    assert_int_equal(pl_warn_count(ctx, "outside-municipality"), 29);
    long wrong = 0, nynashamn = 0, wrong_named = 0;
    for (size_t i = 0; i < t->n; i++) {
        int out = 0;
        long k = pl_municipalities_locate(ctx, m, t->x[i], t->y[i], &out);
        assert_int_equal(k, idx[i]);
        if (!out && strcmp(m->code[k], t->muni_code[i]) != 0)
            wrong++;
        if (!strcmp(t->id[i], "1599")) { /* Nynäshamn: outside (365 m), the nearest polygon is its own kommun */
            nynashamn = 1;
            assert_int_equal(out, 1);
            assert_string_equal(m->code[k], "0192");
            assert_string_equal(t->muni_code[i], "0192");
            assert_true(t->pop[i] == 15108);
        }
        /* Tumba (0127) falls in 0128, Lurudden (0125) in 0128. */
        if (!strcmp(t->id[i], "1607") || !strcmp(t->id[i], "1641")) {
            assert_int_equal(out, 0);
            assert_string_equal(t->muni_code[i], strcmp(t->id[i], "1607") ? "0125" : "0127");
            assert_string_equal(m->code[k], "0128");
            wrong_named++;
        }
    }
    assert_int_equal(wrong, 4);
    assert_int_equal(nynashamn, 1);
    assert_int_equal(wrong_named, 2);
    free(idx);
    pl_population_free(ctx, t);
    pl_municipalities_free(ctx, m);
}

static void test_grid_csv(void **state)
{
    (void)state;
    pl_error err = {0};
    pl_warn_reset(ctx);
    pl_population *p = pl_population_load(ctx, real_data("scb-population-grid-1km-2024/"
                                                         "scb_befolkning_1km_2024_sverige.csv"), NULL, &err);
    assert_non_null(p);
    /* awk -F, 'NR>1{n++; s+=$4; if($4==3)t++; if($4>m)m=$4} END{print n, s, t, m}' on the CSV:
     * 5989 1396569 1017 24630 (103464 10560818 18146 24630 on all of Sweden); the first row is
     * "6890006580000",689000,6580000,18,"0120". */
    assert_int_equal(p->n, 5989);
    assert_true(p->total_pop == 1396569);
    assert_int_equal(p->is_polygon, 1);
    assert_string_equal(p->id[0], "6890006580000");
    assert_string_equal(p->muni_code[0], "0120");
    assert_true(p->x[0] == 689500 && p->y[0] == 6580500);
    double area = 0;
    assert_int_equal(GEOSArea_r(ctx->geos, p->geom[0], &area), 1);
    assert_true(area == 1e6);
    long threes = 0;
    double max = 0;
    for (size_t i = 0; i < p->n; i++) {
        threes += p->pop[i] == 3;
        if (p->pop[i] > max)
            max = p->pop[i];
    }
    assert_int_equal(threes, 1017); /* SCB's censoring of small counts */
    assert_true(max == 24630);
    assert_int_equal(pl_warn_total(ctx), 0);

    /* Square centres outside every kommun polygon (397 squares, 106,254 people; all of Sweden:
     * 4,157 and 647,850) and in a kommun other than the carried kn_kod (none here; 39 squares in
     * all of Sweden). The CSV copied into the GeoPackage of the kommuner (ogr2ogr -nln grid
     * -oo AUTODETECT_TYPE=YES), then ogrinfo -dialect sqlite:
     *   select count(*), sum(pop) from grid g where not exists (select 1 from kommuner k
     *     where ST_Intersects(k.geom, MakePoint(g.x_sw + 500, g.y_sw + 500, 3006)))
     * and the same join with k.KnKod <> g.kn_kod. */
    pl_municipalities *m = pl_municipalities_load(ctx, spec("scb-admin-boundaries/sweden_admin_scb_sweref99tm.gpkg",
                                                            "kommuner"), NULL, &err);
    assert_non_null(m);
    long out = 0, wrong = 0;
    double out_pop = 0, wrong_pop = 0;
    for (size_t i = 0; i < p->n; i++) {
        int o = 0;
        long k = pl_municipalities_locate(ctx, m, p->x[i], p->y[i], &o);
        if (o) {
            out++;
            out_pop += p->pop[i];
        } else if (strcmp(m->code[k], p->muni_code[i]) != 0) {
            wrong++;
            wrong_pop += p->pop[i];
        }
    }
    assert_int_equal(out, 397);
    assert_true(out_pop == 106254);
    assert_int_equal(wrong, 0);
    assert_true(wrong_pop == 0);
    pl_municipalities_free(ctx, m);
    pl_population_free(ctx, p);
}

static void test_grid_gpkg_layers(void **state)
{
    (void)state;
    static const struct {
        const char *layer;
        size_t n;
        double pop;
    } want[] = {
        /* ogrinfo -sql "select count(*), sum(pop) from LAYER" on the 20 km boxes of the extract */
        {"pop1km_01_stockholm", 360, 1233114}, {"pop1km_03_uppsala", 322, 213813},
        {"pop1km_09_gotland", 157, 31826},     {"pop1km_23_jamtland", 204, 57069},
        {"pop1km_24_vasterbotten", 214, 110098},
    };
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        pl_error err = {0};
        pl_population *p = pl_population_load(
            ctx, spec("scb-population-grid-1km-2024/scb_befolkning_1km_2024_utvalda_lan.gpkg", want[k].layer), NULL,
            &err);
        assert_non_null(p);
        assert_int_equal(p->n, want[k].n);
        assert_true(p->total_pop == want[k].pop);
        assert_int_equal(p->is_polygon, 1);
        assert_int_equal(strlen(p->id[0]), 13);
        /* The representative point of a square is its centre. */
        char x[8], y[8];
        memcpy(x, p->id[0], 6);
        x[6] = '\0';
        memcpy(y, p->id[0] + 6, 7);
        y[7] = '\0';
        assert_true(p->x[0] == atof(x) + 500 && p->y[0] == atof(y) + 500);
        assert_int_equal(strlen(p->muni_code[0]), 4);
        pl_population_free(ctx, p);
    }
}

static void test_deso(void **state)
{
    (void)state;
    pl_error err = {0};
    pl_warn_reset(ctx);
    pl_population *p = pl_population_load(ctx, real_data("scb-deso-stockholms-lan-population/"
                                                         "deso_2018_stockholms_lan_befolkning.gpkg"), NULL, &err);
    assert_non_null(p);
    /* Sundbyberg and Solna. ogrinfo -dialect sqlite -sql "select count(*), sum(pop_2023), sum(pop_2010),
     * sum(pop_2010 is null) from deso_2018_stockholms_lan": 69, 141338, 106777, 3; on the GeoJSON,
     * sum(pop_2023) 133955 with 3 null. (All of Stockholms län: 1287 areas, 2454821, 8 null.) */
    assert_int_equal(p->n, 69);
    assert_true(p->total_pop == 141338); /* pop_2023, the latest year, picked automatically */
    assert_int_equal(p->is_polygon, 1);
    assert_int_equal(strlen(p->id[0]), 9);
    assert_int_equal(strncmp(p->id[0], p->muni_code[0], 4), 0);
    assert_int_equal(pl_warn_total(ctx), 0);
    /* Every representative point lies inside its polygon. */
    for (size_t i = 0; i < p->n; i++) {
        GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(ctx->geos, p->x[i], p->y[i]);
        assert_int_equal(GEOSIntersects_r(ctx->geos, p->geom[i], pt), 1);
        GEOSGeom_destroy_r(ctx->geos, pt);
    }
    pl_population_free(ctx, p);

    /* The source GeoJSON (WGS84) has 3 null pop_2023 here: counted as 0 with a warning each. */
    p = pl_population_load(ctx, real_data("scb-deso-stockholms-lan-population/deso_stockholm_pop_2010_2023.geojson"),
                           NULL, &err);
    assert_non_null(p);
    assert_int_equal(p->n, 69);
    assert_true(p->total_pop == 133955);
    assert_int_equal(pl_warn_count(ctx, "population-null"), 3);
    pl_population_free(ctx, p);

    pl_load_opts o = {0};
    o.value_field = "pop_2010";
    pl_warn_reset(ctx);
    p = pl_population_load(ctx, real_data("scb-deso-stockholms-lan-population/deso_2018_stockholms_lan_befolkning.gpkg"),
                           &o, &err);
    assert_non_null(p);
    assert_true(p->total_pop == 106777);
    assert_int_equal(pl_warn_count(ctx, "population-null"), 3);
    pl_population_free(ctx, p);
}

static void test_stockholm_3011(void **state)
{
    (void)state;
    pl_error err = {0};
    pl_warn_reset(ctx);
    const char *s = spec("swedish-city-districts/swedish_city_districts.gpkg", "stockholm_statistikomraden");
    pl_population *p = pl_population_load(ctx, s, NULL, &err);
    assert_non_null(p);
    /* The 51 areas around Södermalm. ogrinfo -dialect sqlite -sql "select count(*), sum(pop_2016),
     * sum(pop_2014), avg(ST_X(ST_Transform(ST_Centroid(geom), 3006))), avg(ST_Y(...))": 51, 118811,
     * 116086, 674509.4, 6579086.5. (All 419 areas: 932630 in 2016.) */
    assert_int_equal(p->n, 51);
    assert_true(p->total_pop == 118811);
    /* kommun = 'STOCKHOLM' is no code: ignored once, with a warning. */
    assert_int_equal(pl_warn_count(ctx, "code-field-ignored"), 1);
    assert_null(p->muni_code[0]);
    double sx = 0, sy = 0;
    for (size_t i = 0; i < p->n; i++) {
        sx += p->x[i];
        sy += p->y[i];
    }
    sx /= (double)p->n;
    sy /= (double)p->n;
    /* Reprojected from EPSG:3011 to SWEREF 99 TM: central Stockholm. The representative points are
     * not the centroids, but for these compact areas their mean is within metres of the centroids'. */
    assert_true(fabs(sx - 674509.4) < 10 && fabs(sy - 6579086.5) < 10);
    assert_true(fabs(sx - 674500) < 2500 && fabs(sy - 6579000) < 500); /* Södermalm */
    pl_population_free(ctx, p);

    pl_load_opts o = {0};
    o.value_field = "pop_2014";
    o.code_field = "kommun";
    p = pl_population_load(ctx, s, &o, &err);
    assert_non_null(p);
    assert_true(p->total_pop == 116086);
    assert_string_equal(p->muni_code[0], "STOCKHOLM");
    pl_population_free(ctx, p);
}

static void test_goteborg_malmo(void **state)
{
    (void)state;
    static const struct {
        const char *layer;
        size_t n;
        double x, y; /* mean of the centroids in EPSG:3006: ogrinfo -dialect sqlite -sql "select count(*),
                      * avg(ST_X(ST_Transform(ST_Centroid(geom), 3006))), avg(ST_Y(...)) from LAYER" */
    } want[] = {{"goteborg_basomraden", 40, 318708, 6399836}, {"malmo_delomraden", 40, 374619, 6159230}};
    for (size_t k = 0; k < 2; k++) {
        pl_error err = {0};
        pl_polygons *p = pl_polygons_load(ctx, spec("swedish-city-districts/swedish_city_districts.gpkg",
                                                    want[k].layer), "neighbourhoods", NULL, &err);
        assert_non_null(p);
        assert_int_equal(p->n, want[k].n);
        assert_true(isnan(p->value[0]));
        double sx = 0, sy = 0;
        for (size_t i = 0; i < p->n; i++) {
            GEOSGeometry *c = GEOSGetCentroid_r(ctx->geos, p->geom[i]);
            double x, y;
            GEOSGeomGetX_r(ctx->geos, c, &x);
            GEOSGeomGetY_r(ctx->geos, c, &y);
            sx += x;
            sy += y;
            GEOSGeom_destroy_r(ctx->geos, c);
        }
        sx /= (double)p->n;
        sy /= (double)p->n;
        assert_true(fabs(sx - want[k].x) < 3000 && fabs(sy - want[k].y) < 3000);
        pl_polygons_free(ctx, p);
    }
    /* With a value field. */
    pl_load_opts o = {0};
    o.value_field = "area_km2";
    pl_error err = {0};
    pl_polygons *p = pl_polygons_load(ctx, spec("swedish-city-districts/swedish_city_districts.gpkg",
                                                "goteborg_basomraden"), "neighbourhoods", &o, &err);
    assert_non_null(p);
    double sum = 0;
    for (size_t i = 0; i < p->n; i++)
        sum += p->value[i];
    assert_true(fabs(sum - 7.594787) < 1e-5); /* select sum(area_km2): 7.59478698942209 */
    pl_polygons_free(ctx, p);
}

static void test_health_pharmacies(void **state)
{
    (void)state;
    pl_error err = {0};
    pl_warn_reset(ctx);
    pl_services *s = pl_services_load(ctx, real_data("osm-sweden-health-facilities-hotosm-2020/"
                                                     "hotosm_swe_health_facilities_2020.gpkg"), types, NULL, &err);
    assert_non_null(s);
    /* ogrinfo -dialect sqlite -sql "select amenity, count(*) from health_facilities group by amenity":
     * pharmacy 212, dentist 105, clinic 64, doctors 52, hospital 10 (all of Sweden: 690, 324, 377,
     * 126, 29); the first feature is 26260622 Apoteket. */
    assert_int_equal(s->n, 212);
    int pharmacy = pl_service_types_find(types, "pharmacy");
    for (size_t i = 0; i < s->n; i++)
        assert_int_equal(s->type[i], pharmacy);
    assert_string_equal(s->id[0], "26260622");
    assert_string_equal(s->name[0], "Apoteket");
    assert_string_equal(s->raw_type[0], "pharmacy");
    assert_int_equal(pl_warn_count(ctx, "service-type-unknown"), 231);
    assert_string_equal(ctx->warnings[0].first_msg,
                        "hotosm_swe_health_facilities_2020.gpkg:health_facilities: 231 features have a value in field "
                        "'amenity' that is no service type and were skipped: 'dentist' 105, 'clinic' 64, 'doctors' "
                        "52, 'hospital' 10; map such values to a type in a --service-types file");

    /* The WGS84 CSV, lat/lon columns, with --assume-crs: the same points to the millimetre. */
    const char *csv = real_data("osm-sweden-health-facilities-hotosm-2020/hotosm_swe_health_facilities_2020.csv");
    assert_null(pl_services_load(ctx, csv, types, NULL, &err));
    assert_string_equal(err.msg, "hotosm_swe_health_facilities_2020.csv:hotosm_swe_health_facilities_2020: layer has "
                                 "no CRS; give it one with --assume-crs EPSG:n (the coordinates look like "
                                 "longitude/latitude: EPSG:4326)");
    pl_load_opts o = {0};
    o.assume_crs = "EPSG:4326";
    pl_services *c = pl_services_load(ctx, csv, types, &o, &err);
    assert_non_null(c);
    assert_int_equal(c->n, 212);
    for (size_t i = 0; i < c->n; i++) {
        assert_string_equal(c->id[i], s->id[i]);
        assert_true(fabs(c->x[i] - s->x[i]) < 0.001 && fabs(c->y[i] - s->y[i]) < 0.001);
    }

    /* All 443 facilities as generic points: 24 lie outside every kommun polygon (all of Sweden: 91
     * of 1,546). Both layers in one GeoPackage, ogrinfo -dialect sqlite -sql "select count(*) from
     * health_facilities t where not exists (select 1 from kommuner k where ST_Intersects(k.geom, t.geom))". */
    pl_points *pts = pl_points_load(ctx, real_data("osm-sweden-health-facilities-hotosm-2020/"
                                                   "hotosm_swe_health_facilities_2020.gpkg"), "health", NULL, &err);
    assert_non_null(pts);
    assert_int_equal(pts->n, 443);
    pl_municipalities *m = pl_municipalities_load(ctx, spec("scb-admin-boundaries/sweden_admin_scb_sweref99tm.gpkg",
                                                            "kommuner"), NULL, &err);
    assert_non_null(m);
    assert_int_equal(pl_municipalities_assign(ctx, m, pts->n, pts->x, pts->y, "facility", NULL), 24);

    /* One file per type: every feature is of the fixed type; a Swedish value works too. */
    o.assume_crs = NULL;
    o.fixed_type = "Apotek";
    pl_services *f = pl_services_load(ctx, real_data("osm-sweden-health-facilities-hotosm-2020/"
                                                     "hotosm_swe_health_facilities_2020.gpkg"), types, &o, &err);
    assert_non_null(f);
    assert_int_equal(f->n, 443);
    assert_int_equal(f->type[442], pharmacy);
    assert_string_equal(f->raw_type[0], "pharmacy");

    pl_services_append(s, c);
    assert_int_equal(s->n, 424);
    assert_string_equal(s->id[212], s->id[0]);
    assert_string_equal(s->source, "hotosm_swe_health_facilities_2020.gpkg:health_facilities, "
                                   "hotosm_swe_health_facilities_2020.csv:hotosm_swe_health_facilities_2020");

    pl_municipalities_free(ctx, m);
    pl_points_free(pts);
    pl_services_free(s);
    pl_services_free(c);
    pl_services_free(f);
}

static void test_fixed_type_errors(void **state)
{
    (void)state;
    pl_error err = {0};
    pl_load_opts o = {0};
    o.fixed_type = "grocery";
    const char *gpkg = real_data("osm-sweden-health-facilities-hotosm-2020/hotosm_swe_health_facilities_2020.gpkg");
    assert_null(pl_services_load(ctx, gpkg, types, &o, &err));
    assert_string_equal(err.msg, "hotosm_swe_health_facilities_2020.gpkg:health_facilities: --fixed-type 'grocery' is "
                                 "a group of types; use one of: grocery_full, grocery_partial, fuel, pharmacy, "
                                 "parcel_post, parcel_locker, cash, ev_charging, biogas, hydrogen");
    o.fixed_type = "bakery";
    assert_null(pl_services_load(ctx, gpkg, types, &o, &err));
    assert_string_equal(err.msg, "hotosm_swe_health_facilities_2020.gpkg:health_facilities: --fixed-type 'bakery' is "
                                 "not a service type; use one of: grocery_full, grocery_partial, fuel, pharmacy, "
                                 "parcel_post, parcel_locker, cash, ev_charging, biogas, hydrogen");
    /* A type field given that does not exist. */
    o.fixed_type = NULL;
    o.type_field = "kategori";
    assert_null(pl_services_load(ctx, gpkg, types, &o, &err));
    assert_string_equal(err.msg, "hotosm_swe_health_facilities_2020.gpkg:health_facilities: field 'kategori' not found; "
                                 "fields are: osm_id, amenity, name, lat, lon, kn_kod, kn_kod_nearest; use --type-field");
}

/* =================== bad inputs =================== */

static void test_missing_file_and_layer(void **state)
{
    (void)state;
    pl_error err = {0};
    assert_null(pl_population_load(ctx, "no/such/population.gpkg", NULL, &err));
    assert_int_equal(err.code, PL_EINPUT);
    assert_string_equal(err.msg, "no/such/population.gpkg: population file not found (No such file or directory); "
                                 "check the path");
    assert_null(pl_municipalities_load(ctx, spec("scb-admin-boundaries/sweden_admin_scb_sweref99tm.gpkg", "kommun"),
                                       NULL, &err));
    assert_string_equal(err.msg, "sweden_admin_scb_sweref99tm.gpkg: no layer 'kommun'; layers are: kommuner, lan, "
                                 "fa_regioner; use FILE:LAYER");
    pl_load_opts o = {0};
    o.layer = "kommun";
    assert_null(pl_municipalities_load(ctx, real_data("scb-admin-boundaries/sweden_admin_scb_sweref99tm.gpkg"), &o,
                                       &err));
    assert_string_equal(err.msg, "sweden_admin_scb_sweref99tm.gpkg: no layer 'kommun'; layers are: kommuner, lan, "
                                 "fa_regioner; use FILE:LAYER");
    assert_null(pl_population_load(ctx, real_data("README.md"), NULL, &err));
    assert_string_equal(err.msg, "README.md: not a readable vector dataset; give a GeoPackage, shapefile, GeoJSON, "
                                 "CSV or other GDAL vector file");
}

static void test_no_crs(void **state)
{
    (void)state;
    const char *path = fx_text("pop_nocrs.csv", "wkt,pop\n"
                                                "\"POLYGON ((600000 6500000,601000 6500000,601000 6501000,600000 "
                                                "6501000,600000 6500000))\",10\n"
                                                "\"POINT (602500 6500500)\",5\n");
    pl_error err = {0};
    assert_null(pl_population_load(ctx, path, NULL, &err));
    assert_string_equal(err.msg, "pop_nocrs.csv:pop_nocrs: layer has no CRS; give it one with --assume-crs EPSG:n (the "
                                 "coordinates look like SWEREF 99 TM: EPSG:3006)");
    pl_load_opts o = {0};
    o.assume_crs = "EPSG:3006";
    pl_population *p = pl_population_load(ctx, path, &o, &err);
    assert_non_null(p);
    assert_int_equal(p->n, 2);
    assert_true(p->total_pop == 15);
    assert_true(p->x[0] == 600500 && p->y[0] == 6500500);
    assert_true(p->x[1] == 602500 && p->y[1] == 6500500);
    assert_int_equal(p->is_polygon, 0);
    assert_string_equal(p->id[1], "2");
    pl_population_free(ctx, p);

    /* An assumed CRS other than the working one is reprojected: EPSG:3011 -> 3006. */
    fx_text("pop_nocrs_3011.csv", "x,y,pop\n153000,6580000,7\n");
    o.assume_crs = "EPSG:3011";
    p = pl_population_load(ctx, fx_path("pop_nocrs_3011.csv"), &o, &err);
    assert_non_null(p);
    assert_true(fabs(p->x[0] - 673638.647) < 0.01 && fabs(p->y[0] - 6581347.129) < 0.01);
    pl_population_free(ctx, p);

    o.assume_crs = "EPSG:99999";
    assert_null(pl_population_load(ctx, path, &o, &err));
    assert_string_equal(err.msg, "--assume-crs 'EPSG:99999' is not a known CRS; use EPSG:n");

    /* A shapefile without .prj. */
    fx f = fx_create("ESRI Shapefile", "noprj.shp", "noprj", 0, wkbPolygon, "KnKod:S,KnNamn:S");
    fx_add(&f, SQ1, "0180", "Stockholm");
    fx_close(&f);
    assert_null(pl_municipalities_load(ctx, fx_path("noprj.shp"), NULL, &err));
    assert_string_equal(err.msg, "noprj.shp:noprj: layer has no CRS; give it one with --assume-crs EPSG:n (the "
                                 "coordinates look like SWEREF 99 TM: EPSG:3006)");
}

static void test_empty_layer_and_wrong_type(void **state)
{
    (void)state;
    fx f = fx_create("GPKG", "empty.gpkg", "rutor", 3006, wkbPolygon, "Ruta:S,Beftot:I");
    fx_close(&f);
    pl_error err = {0};
    assert_null(pl_population_load(ctx, fx_path("empty.gpkg"), NULL, &err));
    assert_string_equal(err.msg, "empty.gpkg:rutor: the layer is empty (0 features); check the file or choose another "
                                 "layer with FILE:LAYER");

    assert_null(pl_population_load(ctx, real_data("osm-stockholm-drive-network-fmm/edges.shp"), NULL, &err));
    assert_string_equal(err.msg, "edges.shp:edges: the layer holds lines (Line String), which cannot be used as "
                                 "population; give polygons (grid squares, DeSO, statistical areas) or points with "
                                 "a population field");
    assert_null(pl_municipalities_load(ctx, real_data("scb-tatorter-2020/scb_tatorter_2020_points.gpkg"), NULL, &err));
    assert_string_equal(err.msg, "scb_tatorter_2020_points.gpkg:tatorter_2020: the layer holds points (Point), which "
                                 "cannot be used as municipalities; give polygons with a code field (kommuner, län)");
    assert_null(pl_services_load(ctx, real_data("osm-stockholm-drive-network-fmm/edges.shp"), types, NULL, &err));
    assert_string_equal(err.msg, "edges.shp:edges: the layer holds lines (Line String), which cannot be used as "
                                 "services; give points (or polygons) of services");

    /* A GeoJSON of unknown geometry type: a line among polygons is skipped with a warning;
     * lines only is an error. */
    const char *mixed = fx_text("mixed.geojson",
                                "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":"
                                "\"urn:ogc:def:crs:EPSG::3006\"}},\"features\":["
                                "{\"type\":\"Feature\",\"properties\":{\"pop\":4},\"geometry\":{\"type\":\"Polygon\","
                                "\"coordinates\":[[[600000,6500000],[601000,6500000],[601000,6501000],[600000,6500000]]]}},"
                                "{\"type\":\"Feature\",\"properties\":{\"pop\":6},\"geometry\":{\"type\":\"LineString\","
                                "\"coordinates\":[[600000,6500000],[601000,6500000]]}}]}");
    pl_warn_reset(ctx);
    pl_population *p = pl_population_load(ctx, mixed, NULL, &err);
    assert_non_null(p);
    assert_int_equal(p->n, 1);
    assert_true(p->total_pop == 4);
    assert_int_equal(pl_warn_count(ctx, "geometry-wrong-type"), 1);
    assert_string_equal(ctx->warnings[0].first_msg, "mixed.geojson:mixed: feature 1 is a Line String, not one of the "
                                                    "geometry types this role takes; skipped");
    pl_population_free(ctx, p);

    const char *lines = fx_text("lines.geojson",
                                "{\"type\":\"FeatureCollection\",\"features\":["
                                "{\"type\":\"Feature\",\"properties\":{\"pop\":6},\"geometry\":{\"type\":\"Point\","
                                "\"coordinates\":[18.0,59.3]}},"
                                "{\"type\":\"Feature\",\"properties\":{\"pop\":6},\"geometry\":{\"type\":\"LineString\","
                                "\"coordinates\":[[18.0,59.3],[18.1,59.3]]}}]}");
    assert_null(pl_polygons_load(ctx, lines, "green areas", NULL, &err));
    assert_string_equal(err.msg, "lines.geojson:lines: none of the 2 features could be used as green areas (2 of "
                                 "another geometry type); give polygons (green areas)");
}

static void test_missing_and_bad_fields(void **state)
{
    (void)state;
    pl_error err = {0};
    pl_load_opts o = {0};
    o.value_field = "Beftot";
    const char *deso = real_data("scb-deso-stockholms-lan-population/deso_2018_stockholms_lan_befolkning.gpkg");
    assert_null(pl_population_load(ctx, deso, &o, &err));
    assert_string_equal(err.msg, "deso_2018_stockholms_lan_befolkning.gpkg:deso_2018_stockholms_lan: field 'Beftot' "
                                 "not found; fields are: deso, kommun, lan, pop_2010, pop_2023; use --pop-field");
    /* No population field at all. */
    assert_null(pl_population_load(ctx, spec("swedish-city-districts/swedish_city_districts.gpkg", "malmo_delomraden"),
                                   NULL, &err));
    assert_string_equal(err.msg, "swedish_city_districts.gpkg:malmo_delomraden: no population field found (looked for "
                                 "pop, beftotalt, befolkning, population, Beftot, pop_YYYY, ...); fields are: "
                                 "delomrade, do_kod, area; use --pop-field");
    /* No code field for municipalities. */
    assert_null(pl_municipalities_load(ctx, spec("swedish-city-districts/swedish_city_districts.gpkg",
                                                 "malmo_delomraden"), NULL, &err));
    assert_string_equal(err.msg, "swedish_city_districts.gpkg:malmo_delomraden: no municipality code field found "
                                 "(looked for KnKod, kommunkod, kommun_kod, kn_kod, KOMMUNKOD, kod, ...); fields are: "
                                 "delomrade, do_kod, area; use --code-field");
    o.value_field = NULL;
    o.code_field = "do_kod";
    o.name_field = "delomrade";
    pl_warn_reset(ctx);
    pl_municipalities *m = pl_municipalities_load(ctx, spec("swedish-city-districts/swedish_city_districts.gpkg",
                                                            "malmo_delomraden"), &o, &err);
    assert_non_null(m);
    assert_int_equal(m->n, 40);
    pl_municipalities_free(ctx, m);
    /* A field of a type that holds no numbers. */
    o = (pl_load_opts){0};
    o.value_field = "ajour_datu";
    assert_null(pl_population_load(ctx, spec("swedish-city-districts/swedish_city_districts.gpkg",
                                             "goteborg_basomraden"), &o, &err));
    assert_string_equal(err.msg, "swedish_city_districts.gpkg:goteborg_basomraden: field 'ajour_datu' holds Date "
                                 "values, not numbers; use --pop-field with a numeric field");

    /* Values: text that is no number and a negative count are errors naming the feature;
     * a null is counted as 0 with a warning; "1 234,5" is read as 1234.5. */
    fx f = fx_create("GPKG", "values.gpkg", "rutor", 3006, wkbPolygon, "Ruta:S,Beftot:S");
    fx_add(&f, SQ1, "a", "12");
    fx_add(&f, SQ2, "b", "abc");
    fx_close(&f);
    /* A text field of a GeoPackage (which types its fields) holds codes, not counts (#18). */
    assert_null(pl_population_load(ctx, fx_path("values.gpkg"), NULL, &err));
    assert_string_equal(err.msg, "values.gpkg:rutor: population field 'Beftot' is a text field, not a count of "
                                 "residents; choose a numeric field with --pop-field (the layer has no other numeric "
                                 "field)");
    /* Text values in GeoJSON (untyped, like CSV): each must be a number. */
    f = fx_create("GeoJSON", "values.geojson", "rutor", 3006, wkbPolygon, "Ruta:S,Beftot:S");
    fx_add(&f, SQ1, "a", "12");
    fx_add(&f, SQ2, "b", "abc");
    fx_close(&f);
    assert_null(pl_population_load(ctx, fx_path("values.geojson"), NULL, &err));
    assert_string_equal(err.msg, "values.geojson:rutor: feature 1 (Ruta b): population 'abc' in field 'Beftot' is not "
                                 "a number; fix the value or choose another field with --pop-field");
    f = fx_create("GPKG", "negative.gpkg", "rutor", 3006, wkbPolygon, "Ruta:S,Beftot:I");
    fx_add(&f, SQ1, "a", "12");
    fx_add(&f, SQ2, "b", "-5");
    fx_close(&f);
    assert_null(pl_population_load(ctx, fx_path("negative.gpkg"), NULL, &err));
    assert_string_equal(err.msg, "negative.gpkg:rutor: feature 2 (Ruta b): population is negative (-5) in field "
                                 "'Beftot'; fix the value or choose another field with --pop-field");
    f = fx_create("GeoJSON", "nulls.geojson", "rutor", 3006, wkbPolygon, "Ruta:S,Beftot:S");
    fx_add(&f, SQ1, "a", "1 234,5");
    fx_add(&f, SQ2, "b", NULL);
    fx_add(&f, SQ3, "c", " 7 ");
    fx_close(&f);
    pl_warn_reset(ctx);
    pl_population *p = pl_population_load(ctx, fx_path("nulls.geojson"), NULL, &err);
    assert_non_null(p);
    assert_int_equal(p->n, 3);
    assert_true(p->pop[0] == 1234.5 && p->pop[1] == 0 && p->pop[2] == 7);
    assert_int_equal(pl_warn_count(ctx, "population-null"), 1);
    assert_string_equal(ctx->warnings[0].first_msg, "nulls.geojson:rutor: feature 1 (Ruta b) has no population (null "
                                                    "in field 'Beftot'); counted as 0");
    assert_string_equal(p->id[1], "b");
    pl_population_free(ctx, p);

    /* Age group field. */
    f = fx_create("GPKG", "age.gpkg", "rutor", 3006, wkbPolygon, "Ruta:S,Beftot:I,bef70:I");
    fx_add(&f, SQ1, "a", "12", "3");
    fx_add(&f, SQ2, "b", "8", NULL);
    fx_close(&f);
    o = (pl_load_opts){0};
    o.age_field = "bef70";
    pl_warn_reset(ctx);
    p = pl_population_load(ctx, fx_path("age.gpkg"), &o, &err);
    assert_non_null(p);
    assert_non_null(p->age_pop);
    assert_true(p->age_pop[0] == 3 && p->age_pop[1] == 0);
    assert_int_equal(pl_warn_count(ctx, "age-null"), 1);
    pl_population_free(ctx, p);
    o.age_field = "bef80";
    assert_null(pl_population_load(ctx, fx_path("age.gpkg"), &o, &err));
    assert_string_equal(err.msg, "age.gpkg:rutor: field 'bef80' not found; fields are: Ruta, Beftot, bef70; use "
                                 "--age-field");
}

static void test_invalid_and_null_geometry(void **state)
{
    (void)state;
    fx f = fx_create("GPKG", "geoms.gpkg", "areas", 3006, wkbPolygon, "id:S,pop:I");
    fx_add(&f, SQ1, "ok", "10");
    /* A self-intersecting bow-tie: repaired into two triangles. */
    fx_add(&f, "POLYGON ((610000 6500000,611000 6501000,611000 6500000,610000 6501000,610000 6500000))", "bowtie", "20");
    /* No area at all: cannot be repaired into a polygon. */
    fx_add(&f, "POLYGON ((620000 6500000,621000 6501000,622000 6502000,620000 6500000))", "flat", "30");
    fx_add(&f, NULL, "nogeom", "40");
    fx_add(&f, "POLYGON EMPTY", "empty", "50");
    /* Multi-part polygons are kept whole. */
    fx_add(&f, "MULTIPOLYGON (((630000 6500000,631000 6500000,631000 6501000,630000 6500000)),"
               "((640000 6500000,641000 6500000,641000 6501000,640000 6500000)))", "multi", "60");
    fx_close(&f);
    pl_error err = {0};
    pl_warn_reset(ctx);
    pl_population *p = pl_population_load(ctx, fx_path("geoms.gpkg"), NULL, &err);
    assert_non_null(p);
    assert_int_equal(p->n, 3);
    assert_true(p->total_pop == 90);
    assert_int_equal(pl_warn_count(ctx, "geometry-invalid-repaired"), 1);
    assert_int_equal(pl_warn_count(ctx, "geometry-invalid-skipped"), 1);
    assert_int_equal(pl_warn_count(ctx, "geometry-null"), 2);
    assert_int_equal(pl_warn_total(ctx), 4);
    assert_string_equal(p->id[1], "bowtie");
    assert_int_equal(GEOSisValid_r(ctx->geos, p->geom[1]), 1);
    assert_int_equal(GEOSGeomTypeId_r(ctx->geos, p->geom[1]), GEOS_MULTIPOLYGON);
    double area = 0;
    GEOSArea_r(ctx->geos, p->geom[1], &area);
    assert_true(fabs(area - 500000) < 1e-6);
    assert_int_equal(GEOSGetNumGeometries_r(ctx->geos, p->geom[2]), 2);
    /* The representative point of the two-part polygon is inside one of its parts. */
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(ctx->geos, p->x[2], p->y[2]);
    assert_int_equal(GEOSIntersects_r(ctx->geos, p->geom[2], pt), 1);
    GEOSGeom_destroy_r(ctx->geos, pt);
    const pl_warning *w = NULL;
    for (size_t i = 0; i < ctx->n_warnings; i++)
        if (!strcmp(ctx->warnings[i].key, "geometry-invalid-repaired"))
            w = &ctx->warnings[i];
    assert_non_null(w);
    assert_string_equal(w->first_msg, "geoms.gpkg:areas: feature 2 was an invalid polygon (Self-intersection[610500 "
                                      "6500500]); repaired with MakeValid");
    pl_population_free(ctx, p);

    /* Only null geometries: nothing to load. */
    f = fx_create("GPKG", "nulls_only.gpkg", "areas", 3006, wkbPolygon, "pop:I");
    fx_add(&f, NULL, "1");
    fx_add(&f, NULL, "2");
    fx_close(&f);
    assert_null(pl_population_load(ctx, fx_path("nulls_only.gpkg"), NULL, &err));
    assert_string_equal(err.msg, "nulls_only.gpkg:areas: none of the 2 features could be used as population (2 "
                                 "without geometry); give polygons (grid squares, DeSO, statistical areas) or points "
                                 "with a population field");
}

static void test_bad_coordinates(void **state)
{
    (void)state;
    fx f = fx_create("GPKG", "coords.gpkg", "trees", 3006, wkbUnknown, "id:S");
    OGRGeometryH g = OGR_G_CreateGeometry(wkbPoint);
    OGR_G_SetPoint_2D(g, 0, 650000, 6600000);
    fx_add_geom(&f, g, "good");
    /* A polygon with one NaN vertex. */
    g = OGR_G_CreateGeometry(wkbPolygon);
    OGRGeometryH ring = OGR_G_CreateGeometry(wkbLinearRing);
    OGR_G_AddPoint_2D(ring, 650000, 6600000);
    OGR_G_AddPoint_2D(ring, NAN, 6600000);
    OGR_G_AddPoint_2D(ring, 651000, 6601000);
    OGR_G_AddPoint_2D(ring, 650000, 6600000);
    OGR_G_AddGeometryDirectly(g, ring);
    fx_add_geom(&f, g, "nan");
    /* Huge coordinates. */
    g = OGR_G_CreateGeometry(wkbPoint);
    OGR_G_SetPoint_2D(g, 0, 1e300, 6600000);
    fx_add_geom(&f, g, "huge");
    g = OGR_G_CreateGeometry(wkbPoint);
    OGR_G_SetPoint_2D(g, 0, INFINITY, 6600000);
    fx_add_geom(&f, g, "inf");
    fx_close(&f);
    pl_error err = {0};
    pl_warn_reset(ctx);
    pl_points *p = pl_points_load(ctx, fx_path("coords.gpkg"), "trees", NULL, &err);
    assert_non_null(p);
    assert_int_equal(p->n, 1);
    assert_string_equal(p->id[0], "good");
    assert_int_equal(pl_warn_count(ctx, "geometry-bad-coordinates"), 3);
    assert_string_equal(ctx->warnings[0].first_msg, "coords.gpkg:trees: feature 2 has coordinates that are not numbers, "
                                                    "are huge or cannot be transformed to EPSG:3006; skipped");
    pl_points_free(p);

    /* Latitude out of range in WGS84: cannot be transformed. */
    const char *csv = fx_text("latlon.csv", "id,lat,lon\n1,59.3,18.0\n2,359.3,18.0\n");
    pl_load_opts o = {0};
    o.assume_crs = "EPSG:4326";
    pl_warn_reset(ctx);
    p = pl_points_load(ctx, csv, "trees", &o, &err);
    assert_non_null(p);
    assert_int_equal(p->n, 1);
    assert_int_equal(pl_warn_count(ctx, "geometry-bad-coordinates"), 1);
    pl_points_free(p);
}

static void test_non_utf8_and_codes(void **state)
{
    (void)state;
    /* A Latin-1 CSV (as Excel writes it): names decoded as Windows-1252 with a warning. */
    const char *csv = fx_text("butiker.csv", "id,typ,namn,x,y\n"
                                             "1,Dagligvaror fullsortiment,ICA N\xe4ra Malm\xf6,374000,6164000\n"
                                             "2,Apoteksombud,G\xf6teborgs apotek,319000,6400000\n"
                                             "3,Paketsk\xe5p,H\xe5" "bo,660000,6610000\n"
                                             "4,,Tom,660000,6610000\n"
                                             "5,Bageri,Bageriet,660000,6610000\n"
                                             "6,Bageri,Bageriet 2,660000,6610000\n");
    pl_load_opts o = {0};
    o.assume_crs = "EPSG:3006";
    pl_error err = {0};
    pl_warn_reset(ctx);
    pl_services *s = pl_services_load(ctx, csv, types, &o, &err);
    assert_non_null(s);
    assert_int_equal(s->n, 3);
    assert_string_equal(s->name[0], "ICA Nära Malmö");
    assert_string_equal(s->name[1], "Göteborgs apotek");
    assert_string_equal(s->name[2], "Håbo");
    assert_string_equal(s->raw_type[2], "Paketskåp");
    assert_int_equal(s->type[0], pl_service_types_find(types, "grocery_full"));
    assert_int_equal(s->type[1], pl_service_types_find(types, "pharmacy"));
    assert_int_equal(s->type[2], pl_service_types_find(types, "parcel_locker"));
    assert_string_equal(s->id[2], "3");
    assert_true(s->x[0] == 374000 && s->y[0] == 6164000);
    assert_int_equal(pl_warn_count(ctx, "text-not-utf8"), 4);
    assert_int_equal(pl_warn_count(ctx, "service-type-missing"), 1);
    assert_int_equal(pl_warn_count(ctx, "service-type-unknown"), 2);
    assert_string_equal(ctx->warnings[0].first_msg, "butiker.csv:butiker: feature 1: field 'namn' is not UTF-8; read "
                                                    "as Windows-1252 (add a .cpg file or convert the file to UTF-8)");
    pl_services_free(s);

    /* Only unknown types: an error that says what to do. */
    csv = fx_text("bagerier.csv", "typ,x,y\nBageri,660000,6610000\nKonditori,660000,6610000\n");
    assert_null(pl_services_load(ctx, csv, types, &o, &err));
    assert_string_equal(err.msg, "bagerier.csv:bagerier: no feature has a known service type in field 'typ' (2 "
                                 "unknown, 0 empty; e.g. 'Bageri'); types are: grocery_full, grocery_partial, fuel, "
                                 "pharmacy, parcel_post, parcel_locker, cash, ev_charging, biogas, hydrogen; map the "
                                 "values with --service-types FILE or use --fixed-type");
    /* No type field at all. */
    csv = fx_text("utan_typ.csv", "namn,x,y\nA,660000,6610000\n");
    assert_null(pl_services_load(ctx, csv, types, &o, &err));
    assert_string_equal(err.msg, "utan_typ.csv:utan_typ: no service type field found (looked for type, typ, service, "
                                 "service_type, servicetyp, tjanst, ...); fields are: namn; use --type-field, or "
                                 "--fixed-type TYPE for a file of one type");

    /* MultiPoint services: the first point, with a warning; polygons: a point inside. */
    const char *gj = fx_text("multi.geojson",
                             "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":"
                             "\"urn:ogc:def:crs:EPSG::3006\"}},\"features\":["
                             "{\"type\":\"Feature\",\"properties\":{\"amenity\":\"fuel\"},\"geometry\":{\"type\":"
                             "\"MultiPoint\",\"coordinates\":[[600000,6500000],[601000,6500000]]}},"
                             "{\"type\":\"Feature\",\"properties\":{\"amenity\":\"fuel\"},\"geometry\":{\"type\":"
                             "\"Polygon\",\"coordinates\":[[[600000,6500000],[601000,6500000],[601000,6501000],"
                             "[600000,6501000],[600000,6500000]]]}}]}");
    pl_warn_reset(ctx);
    s = pl_services_load(ctx, gj, types, NULL, &err);
    assert_non_null(s);
    assert_int_equal(s->n, 2);
    assert_true(s->x[0] == 600000 && s->y[0] == 6500000);
    assert_true(s->x[1] > 600000 && s->x[1] < 601000 && s->y[1] > 6500000 && s->y[1] < 6501000);
    assert_int_equal(pl_warn_count(ctx, "geometry-multipoint"), 1);
    assert_string_equal(s->id[0], "0");
    assert_string_equal(s->name[0], "");
    pl_services_free(s);
}

static void test_integer_codes(void **state)
{
    (void)state;
    fx f = fx_create("GPKG", "kommuner_int.gpkg", "kommuner", 3006, wkbPolygon, "kommunkod:I,kommunnamn:S");
    fx_add(&f, SQ1, "114", "Upplands Väsby");
    fx_add(&f, SQ2, "180", "Stockholm");
    fx_add(&f, SQ3, "1280", "Malmö");
    fx_close(&f);
    pl_error err = {0};
    pl_warn_reset(ctx);
    pl_municipalities *m = pl_municipalities_load(ctx, fx_path("kommuner_int.gpkg"), NULL, &err);
    assert_non_null(m);
    assert_string_equal(m->code[0], "0114");
    assert_string_equal(m->code[1], "0180");
    assert_string_equal(m->code[2], "1280");
    assert_string_equal(m->name[2], "Malmö");
    assert_int_equal(pl_warn_count(ctx, "code-zero-padded"), 1);
    assert_string_equal(ctx->warnings[0].first_msg, "kommuner_int.gpkg:kommuner: field 'kommunkod' holds codes "
                                                    "without leading zeros (a number type, e.g. 114); padded to 4 "
                                                    "digits ('114' -> '0114')");
    /* Points on the boundary and inside; one far away takes the nearest square. */
    int outside = 0;
    assert_int_equal(pl_municipalities_locate(ctx, m, 600500, 6500500, &outside), 0);
    assert_int_equal(outside, 0);
    assert_int_equal(pl_municipalities_locate(ctx, m, 602500, 6500500, &outside), 2);
    assert_int_equal(pl_municipalities_locate(ctx, m, 609000, 6500500, &outside), 2);
    assert_int_equal(outside, 1);
    assert_int_equal(pl_municipalities_locate(ctx, m, 599000, 6490000, &outside), 0);
    assert_int_equal(pl_municipalities_locate(ctx, m, NAN, 6490000, &outside), -1);
    assert_int_equal(pl_municipalities_find(m, "0180"), 1);
    assert_int_equal(pl_municipalities_find(m, "180"), -1);
    pl_municipalities_free(ctx, m);

    /* Duplicate codes and a missing code. */
    f = fx_create("GPKG", "kommuner_dup.gpkg", "kommuner", 3006, wkbPolygon, "KnKod:S,KnNamn:S");
    fx_add(&f, SQ1, "0114", "A");
    fx_add(&f, SQ2, "0114", "B");
    fx_close(&f);
    pl_warn_reset(ctx);
    m = pl_municipalities_load(ctx, fx_path("kommuner_dup.gpkg"), NULL, &err);
    assert_non_null(m);
    assert_int_equal(pl_warn_count(ctx, "municipality-duplicate-code"), 1);
    pl_municipalities_free(ctx, m);
    f = fx_create("GPKG", "kommuner_nocode.gpkg", "kommuner", 3006, wkbPolygon, "KnKod:S,KnNamn:S");
    fx_add(&f, SQ1, "0114", "A");
    fx_add(&f, SQ2, NULL, "B");
    fx_close(&f);
    assert_null(pl_municipalities_load(ctx, fx_path("kommuner_nocode.gpkg"), NULL, &err));
    assert_string_equal(err.msg, "kommuner_nocode.gpkg:kommuner: feature 2 has no KnKod; give every area a code or use "
                                 "--code-field");
}


static void test_grid_tables(void **state)
{
    (void)state;
    pl_error err = {0};
    /* Corners only (no rut_id), 250 m squares, kommun codes that lost their zero. */
    const char *csv = fx_text("grid250.csv", "x_sw,y_sw,beftotalt,kommun\n600250,6500000,12,114\n"
                                             "600000,6500250,3,0114\n");
    pl_warn_reset(ctx);
    pl_population *p = pl_population_load(ctx, csv, NULL, &err);
    assert_non_null(p);
    assert_int_equal(p->n, 2);
    assert_true(p->total_pop == 15);
    assert_string_equal(p->id[0], "6002506500000");
    assert_true(p->x[0] == 600375 && p->y[0] == 6500125);
    double area = 0;
    GEOSArea_r(ctx->geos, p->geom[1], &area);
    assert_true(area == 62500);
    assert_string_equal(p->muni_code[0], "0114");
    assert_string_equal(p->muni_code[1], "0114");
    assert_int_equal(pl_warn_count(ctx, "code-zero-padded"), 1);
    pl_population_free(ctx, p);

    /* The square size given explicitly wins. */
    csv = fx_text("grid_ids.csv", "rut_id,pop\n6730006582000,100\n");
    pl_load_opts o = {0};
    o.grid_size = 250;
    p = pl_population_load(ctx, csv, &o, &err);
    assert_non_null(p);
    GEOSArea_r(ctx->geos, p->geom[0], &area);
    assert_true(area == 62500);
    assert_true(p->x[0] == 673125 && p->y[0] == 6582125);
    assert_null(p->muni_code[0]);
    pl_population_free(ctx, p);

    /* Another working CRS: squares are reprojected (SWEREF 99 18 00). */
    char saved[64];
    snprintf(saved, sizeof saved, "%s", ctx->work_crs);
    snprintf(ctx->work_crs, sizeof ctx->work_crs, "EPSG:3011");
    p = pl_population_load(ctx, csv, NULL, &err);
    snprintf(ctx->work_crs, sizeof ctx->work_crs, "%s", saved);
    assert_non_null(p);
    assert_true(fabs(p->x[0] - 152913.412) < 0.01 && fabs(p->y[0] - 6581157.981) < 0.01);
    pl_population_free(ctx, p);

    csv = fx_text("grid_bad_id.csv", "rut_id,pop\n6730006582000,1\nRUTA-17,3\n");
    assert_null(pl_population_load(ctx, csv, NULL, &err));
    assert_string_equal(err.msg, "grid_bad_id.csv:grid_bad_id: feature 2: grid id 'RUTA-17' is not an SCB square id (13 "
                                 "digits: 6 of easting and 7 of northing of the south-west corner); give x_sw and "
                                 "y_sw columns");
    csv = fx_text("grid_odd.csv", "x_sw,y_sw,pop\n600050,6500000,1\n");
    assert_null(pl_population_load(ctx, csv, NULL, &err));
    assert_string_equal(err.msg, "grid_odd.csv:grid_odd: the square corners are not on a 100 m grid; give the square "
                                 "size with --grid-size");
    csv = fx_text("grid_text.csv", "rut_id,pop\n6730006582000,många\n");
    assert_null(pl_population_load(ctx, csv, NULL, &err));
    assert_string_equal(err.msg, "grid_text.csv:grid_text: feature 1 (rut_id 6730006582000): population 'många' in "
                                 "field 'pop' is not a number; fix the value or choose another field with --pop-field");
    csv = fx_text("plain.csv", "kommun,antal\n0114,3\n");
    assert_null(pl_population_load(ctx, csv, NULL, &err));
    assert_string_equal(err.msg, "plain.csv:plain: a table without geometry, and without SCB grid columns (rut_id, or "
                                 "x_sw and y_sw) or coordinate columns (x/y, lon/lat, wkt); fields are: kommun, antal; "
                                 "give polygons (grid squares, DeSO, statistical areas) or points with a population "
                                 "field");
}

static void test_localities_and_points(void **state)
{
    (void)state;
    fx f = fx_create("GPKG", "tatorter.gpkg", "tatorter", 3006, wkbPolygon, "tatortskod:S,tatort:S,bef:I");
    fx_add(&f, SQ1, "T1", "Byn", "250");
    fx_add(&f, SQ2, "T2", NULL, NULL);
    fx_close(&f);
    pl_error err = {0};
    pl_warn_reset(ctx);
    pl_localities *l = pl_localities_load(ctx, fx_path("tatorter.gpkg"), NULL, &err);
    assert_non_null(l);
    assert_int_equal(l->n, 2);
    assert_string_equal(l->code[0], "T1");
    assert_string_equal(l->name[0], "Byn");
    assert_string_equal(l->name[1], "T2");
    assert_true(l->pop[0] == 250 && l->pop[1] == 0);
    assert_true(l->x[0] == 600500 && l->y[0] == 6500500);
    assert_int_equal(pl_warn_count(ctx, "locality-population-null"), 1);
    pl_localities_free(ctx, l);

    /* Trees with a height: null -> NAN with a warning; text -> error. */
    f = fx_create("GPKG", "trad.gpkg", "trad", 3006, wkbPoint, "id:S,hojd:S");
    fx_add(&f, "POINT (600000 6500000)", "t1", "12,5");
    fx_add(&f, "POINT (600010 6500000)", "t2", NULL);
    fx_close(&f);
    pl_load_opts o = {0};
    o.value_field = "hojd";
    pl_warn_reset(ctx);
    pl_points *p = pl_points_load(ctx, fx_path("trad.gpkg"), "trees", &o, &err);
    assert_non_null(p);
    assert_int_equal(p->n, 2);
    assert_true(p->value[0] == 12.5);
    assert_true(isnan(p->value[1]));
    assert_string_equal(p->id[1], "t2");
    assert_int_equal(pl_warn_count(ctx, "value-null"), 1);
    pl_points_free(p);
    f = fx_create("GPKG", "trad_bad.gpkg", "trad", 3006, wkbPoint, "id:S,hojd:S");
    fx_add(&f, "POINT (600000 6500000)", "t1", "hög");
    fx_close(&f);
    assert_null(pl_points_load(ctx, fx_path("trad_bad.gpkg"), "trees", &o, &err));
    assert_string_equal(err.msg, "trad_bad.gpkg:trad: feature 1 (id t1): value 'hög' in field 'hojd' is not a number; "
                                 "fix the value or choose another field with --value-field");
    /* Points given as green areas. */
    assert_null(pl_polygons_load(ctx, fx_path("trad.gpkg"), "green areas", NULL, &err));
    assert_string_equal(err.msg, "trad.gpkg:trad: the layer holds points (Point), which cannot be used as green areas; "
                                 "give polygons (green areas)");
}

static int cancel_cb(double fraction, const char *stage, void *user)
{
    (void)fraction;
    (void)stage;
    (*(int *)user)++;
    return 1;
}

static void test_cancel(void **state)
{
    (void)state;
    int calls = 0;
    ctx->progress = cancel_cb;
    ctx->progress_user = &calls;
    pl_error err = {0};
    pl_localities *l = pl_localities_load(ctx, real_data("scb-tatorter-2020/scb_tatorter_2020_points.gpkg"), NULL,
                                          &err);
    ctx->progress = NULL;
    ctx->progress_user = NULL;
    assert_null(l);
    assert_int_equal(calls, 1);
    assert_string_equal(err.msg, "scb_tatorter_2020_points.gpkg:tatorter_2020: cancelled while reading localities");
}

/* Population fields that are no counts of residents (issue #18). */
static void test_population_field_rules(void **state)
{
    (void)state;
    /* names */
    const char *idlike[] = {"id", "rut_id", "RUTID", "objectid", "kommunkod", "deso_kod", "Kod", "code", "kn_kod",
                            "fid", "regso", "nr"};
    for (size_t i = 0; i < sizeof idlike / sizeof *idlike; i++)
        if (!pl_pop_name_idlike(idlike[i]))
            fail_msg("'%s' should read as an id", idlike[i]);
    const char *popish[] = {"pop", "beftot", "Beftotalt", "pop_2023", "grid_pop", "befolkning", "invanare", "totalt",
                            "antal", "folkmangd", "value", "kvinnor"};
    for (size_t i = 0; i < sizeof popish / sizeof *popish; i++)
        if (pl_pop_name_idlike(popish[i]))
            fail_msg("'%s' should not read as an id", popish[i]);
    /* values: consecutive whole numbers one per unit (from any start, any order) */
    double v[20];
    for (int i = 0; i < 20; i++)
        v[i] = 1000 + (i * 7) % 20;
    assert_true(pl_pop_values_idlike(v, 20));
    assert_false(pl_pop_values_idlike(v, 9));  /* too few to tell */
    v[3] = v[4];                               /* a repeat: counts */
    assert_false(pl_pop_values_idlike(v, 20));
    for (int i = 0; i < 20; i++)
        v[i] = 1 + i + 0.5;
    assert_false(pl_pop_values_idlike(v, 20));
    /* density: 30 000 on 1 km2 (a dense city) is fine; 13 digits on a 250 m square is not */
    assert_false(pl_pop_density_implausible(30000, 1e6));
    assert_false(pl_pop_density_implausible(600, 100));  /* small totals: no judgement */
    assert_true(pl_pop_density_implausible(6740006580000.0, 62500));
    assert_true(pl_pop_density_implausible(674000, 62500));  /* an x coordinate on a 250 m square */
}

/* PostGIS specs: "PG:CONNINFO:LAYER" splits at the last ':' outside single quotes when what
 * follows has no '=', quote or space; a conninfo alone keeps no layer. */
static void test_pg_spec_split(void **state)
{
    (void)state;
    static const struct {
        const char *spec, *file, *layer;
    } cases[] = {
        {"PG:dbname=gis host=/tmp/x port=5432:roads", "PG:dbname=gis host=/tmp/x port=5432", "roads"},
        {"PG:dbname=gis:plan.roads", "PG:dbname=gis", "plan.roads"},
        {"PG:dbname=gis host=/tmp/x", "PG:dbname=gis host=/tmp/x", ""},
        {"PG:dbname=gis password='a:b'", "PG:dbname=gis password='a:b'", ""},
        {"PG:dbname=gis password='a:b':roads", "PG:dbname=gis password='a:b'", "roads"},
        {"PG:dbname=gis host=db:5432 x=1", "PG:dbname=gis host=db:5432 x=1", ""},
        {"PG:dbname=gis:", "PG:dbname=gis:", ""},
        {"PG:postgresql://u@h:5432/gis", "PG:postgresql://u@h:5432/gis", ""},
        {"PG:postgresql://u@h:5432/gis:roads", "PG:postgresql://u@h:5432/gis", "roads"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char file[512], layer[128];
        pl_vector_split_spec(cases[i].spec, file, sizeof file, layer, sizeof layer);
        assert_string_equal(file, cases[i].file);
        assert_string_equal(layer, cases[i].layer);
    }
}

/* Unit ids must be unique: 3,000 distinct ids load; of several ids used twice, the message
 * names the first in sorted order ('a'), whichever repeat comes first in the file ('b'). */
static void test_population_duplicate_ids(void **state)
{
    (void)state;
    const char *dir = scratch_dir("layers/dup_ids");
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};
    size_t cap = 0, len = 0;
    char *gj = NULL;
    text_append(&gj, &len, &cap, "{\"type\": \"FeatureCollection\", \"crs\": {\"type\": \"name\", \"properties\": {\"name\": "
                "\"urn:ogc:def:crs:EPSG::3006\"}}, \"features\": [");
    for (int i = 0; i < 3000; i++)
        text_append(&gj, &len, &cap, "%s{\"type\": \"Feature\", \"properties\": {\"id\": \"u%d\", \"pop\": 1}, "
                    "\"geometry\": {\"type\": \"Point\", \"coordinates\": [%d, %d]}}",
                    i ? ", " : "", (i * 7919) % 3000, 500000 + 10 * (i % 50), 6500000 + 10 * (i / 50));
    text_append(&gj, &len, &cap, "]}");
    pl_population *p = pl_population_load(ctx, write_text_file(dir, "distinct.geojson", gj), NULL, &err);
    if (!p)
        fail_msg("%s", err.msg);
    assert_int_equal(p->n, 3000);
    pl_population_free(ctx, p);
    free(gj);
    const char *ids[] = {"b", "c", "b", "a", "d", "a"};
    gj = NULL;
    cap = len = 0;
    text_append(&gj, &len, &cap, "{\"type\": \"FeatureCollection\", \"crs\": {\"type\": \"name\", \"properties\": {\"name\": "
                "\"urn:ogc:def:crs:EPSG::3006\"}}, \"features\": [");
    for (int i = 0; i < 6; i++)
        text_append(&gj, &len, &cap, "%s{\"type\": \"Feature\", \"properties\": {\"id\": \"%s\", \"pop\": 1}, "
                    "\"geometry\": {\"type\": \"Point\", \"coordinates\": [%d, 6500000]}}",
                    i ? ", " : "", ids[i], 500000 + 100 * i);
    text_append(&gj, &len, &cap, "]}");
    assert_null(pl_population_load(ctx, write_text_file(dir, "dups.geojson", gj), NULL, &err));
    assert_int_equal(err.code, PL_EINPUT);
    if (!strstr(err.msg, ": unit id 'a' in field 'id' belongs to more than one unit; "))
        fail_msg("%s", err.msg);
    free(gj);
    pl_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pg_spec_split),
        cmocka_unit_test(test_kommuner_gpkg_shapefile_geojson),
        cmocka_unit_test(test_lan),
        cmocka_unit_test(test_tatorter_localities),
        cmocka_unit_test(test_tatorter_locate),
        cmocka_unit_test(test_grid_csv),
        cmocka_unit_test(test_grid_gpkg_layers),
        cmocka_unit_test(test_deso),
        cmocka_unit_test(test_stockholm_3011),
        cmocka_unit_test(test_goteborg_malmo),
        cmocka_unit_test(test_health_pharmacies),
        cmocka_unit_test(test_fixed_type_errors),
        cmocka_unit_test(test_missing_file_and_layer),
        cmocka_unit_test(test_no_crs),
        cmocka_unit_test(test_empty_layer_and_wrong_type),
        cmocka_unit_test(test_missing_and_bad_fields),
        cmocka_unit_test(test_invalid_and_null_geometry),
        cmocka_unit_test(test_bad_coordinates),
        cmocka_unit_test(test_non_utf8_and_codes),
        cmocka_unit_test(test_integer_codes),
        cmocka_unit_test(test_grid_tables),
        cmocka_unit_test(test_localities_and_points),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_population_field_rules),
        cmocka_unit_test(test_population_duplicate_ids),
    };
    return cmocka_run_group_tests_name("layers", tests, setup, teardown);
}
