/* Core context and option tables. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include <math.h>
#include <stdio.h>

#include <ogr_srs_api.h>

#include "../gis/crs_check.h"
#include "../gis/ctx.h"
#include "../gis/options.h"

typedef struct demo_opts {
    const char *out;
    double max_snap;
    int overwrite;
    int k;
    pl_doubles bands;
    pl_strings types;
} demo_opts;

static const pl_option demo_table[] = {
    {"output", 'o', PL_OPT_STRING, offsetof(demo_opts, out), "FILE", NULL, "output", 1},
    {"max-snap", 0, PL_OPT_DOUBLE, offsetof(demo_opts, max_snap), "M", "1000", "snap", 0},
    {"overwrite", 0, PL_OPT_FLAG, offsetof(demo_opts, overwrite), NULL, NULL, "replace", 0},
    {"k", 0, PL_OPT_INT, offsetof(demo_opts, k), "N", "2", "k", 0},
    {"bands-km", 0, PL_OPT_DOUBLES, offsetof(demo_opts, bands), "KM,...", "5,10,20,30", "bands", 0},
    {"types", 0, PL_OPT_STRINGS, offsetof(demo_opts, types), "T,...", "grocery,fuel", "types", 0},
    PL_OPT_END,
};

static void test_options_defaults_and_values(void **state)
{
    (void)state;
    demo_opts o;
    memset(&o, 0, sizeof o);
    char *argv[] = {"demo", "-o", "x.gpkg", "in.gpkg", "--bands-km=1,2.5", "--types", "pharmacy", "--overwrite"};
    char *pos[4];
    int npos = 0;
    pl_error err = {0};
    assert_int_equal(pl_options_parse(demo_table, &o, 8, argv, pos, 4, &npos, &err), PL_OK);
    assert_string_equal(o.out, "x.gpkg");
    assert_int_equal(npos, 1);
    assert_string_equal(pos[0], "in.gpkg");
    assert_true(o.max_snap == 1000.0);
    assert_int_equal(o.k, 2);
    assert_int_equal(o.overwrite, 1);
    assert_int_equal(o.bands.n, 2);
    assert_true(o.bands.v[1] == 2.5);
    /* A list given on the command line replaces its default. */
    assert_int_equal(o.types.n, 1);
    assert_string_equal(o.types.v[0], "pharmacy");
    pl_options_free(demo_table, &o);
}

static void test_options_errors(void **state)
{
    (void)state;
    demo_opts o;
    pl_error err = {0};
    char *pos[1];
    int npos;
    memset(&o, 0, sizeof o);
    char *missing[] = {"demo"};
    assert_int_equal(pl_options_parse(demo_table, &o, 1, missing, pos, 1, &npos, &err), PL_EINPUT);
    assert_string_equal(err.msg, "option --output is required; see --help");
    pl_options_free(demo_table, &o);

    memset(&o, 0, sizeof o);
    char *bad_number[] = {"demo", "-o", "x", "--max-snap", "12km"};
    assert_int_equal(pl_options_parse(demo_table, &o, 5, bad_number, pos, 1, &npos, &err), PL_EINPUT);
    assert_string_equal(err.msg, "--max-snap: '12km' is not a number");
    pl_options_free(demo_table, &o);

    memset(&o, 0, sizeof o);
    char *unknown[] = {"demo", "--nope"};
    assert_int_equal(pl_options_parse(demo_table, &o, 2, unknown, pos, 1, &npos, &err), PL_EINPUT);
    assert_string_equal(err.msg, "unknown option '--nope'; see --help");
    pl_options_free(demo_table, &o);

    memset(&o, 0, sizeof o);
    char *help[] = {"demo", "--help"};
    assert_int_equal(pl_options_parse(demo_table, &o, 2, help, pos, 1, &npos, &err), -1);
    pl_options_free(demo_table, &o);
}

static void test_warnings_are_counted_by_kind(void **state)
{
    (void)state;
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_warn(ctx, "outside", "feature %d outside", 1);
    pl_warn(ctx, "outside", "feature %d outside", 2);
    pl_warn(ctx, "invalid", "repaired");
    assert_int_equal(pl_warn_count(ctx, "outside"), 2);
    assert_int_equal(pl_warn_count(ctx, "invalid"), 1);
    assert_int_equal(pl_warn_count(ctx, "none"), 0);
    assert_int_equal(pl_warn_total(ctx), 3);
    assert_string_equal(ctx->warnings[0].first_msg, "feature 1 outside");
    pl_ctx_free(ctx);
}

/* The scale error of a CRS over Sweden's bounding box (EPSG:3006's area of use) on a 9 x 9
 * grid: the figures behind PL_CRS_SCALE_TOLERANCE. */
static double sweden_scale_error(const char *crs)
{
    double lon[81], lat[81];
    for (int i = 0; i < 9; i++)
        for (int j = 0; j < 9; j++) {
            lon[i * 9 + j] = 10.03 + (24.17 - 10.03) * i / 8;
            lat[i * 9 + j] = 54.96 + (69.07 - 54.96) * j / 8;
        }
    return pl_crs_scale_error(crs, lon, lat, 81);
}

static void test_crs_scale_tolerance(void **state)
{
    (void)state;
    /* SWEREF 99 TM and every SWEREF 99 local zone over all of Sweden: accepted. */
    assert_true(sweden_scale_error("EPSG:3006") > 0.003 && sweden_scale_error("EPSG:3006") < 0.004);
    for (int code = 3007; code <= 3018; code++) {
        char crs[16];
        snprintf(crs, sizeof crs, "EPSG:%d", code);
        double e = sweden_scale_error(crs);
        if (!(e > 0 && e <= PL_CRS_SCALE_TOLERANCE))
            fail_msg("%s: scale error %g over Sweden", crs, e);
    }
    /* Web Mercator and the Swiss grid: refused (EPSG:3857 at 69 N: 1 / cos 69 = 2.8). */
    assert_true(sweden_scale_error("EPSG:3857") > 1.5);
    assert_true(sweden_scale_error("EPSG:2056") > 0.05);
    /* Stockholm: 3857 doubles distances, 2056 is 2.5 % off. */
    double lon = 18.07, lat = 59.33;
    assert_true(fabs(pl_crs_scale_error("EPSG:3857", &lon, &lat, 1) - 0.96) < 0.01);
    assert_true(fabs(pl_crs_scale_error("EPSG:2056", &lon, &lat, 1) - 0.025) < 0.002);
    assert_true(pl_crs_scale_error("not a crs", &lon, &lat, 1) < 0);
}

static void test_crs_extent_checks(void **state)
{
    (void)state;
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    OGRSpatialReferenceH s3006 = OSRNewSpatialReference(NULL), s4326 = OSRNewSpatialReference(NULL);
    OSRSetFromUserInput(s3006, "EPSG:3006");
    OSRSetFromUserInput(s4326, "EPSG:4326");
    OSRSetAxisMappingStrategy(s4326, OAMS_TRADITIONAL_GIS_ORDER);
    pl_error err = {0};
    const double sweden[4] = {270000, 6130000, 920000, 7670000}, stockholm_lonlat[4] = {18.0, 59.3, 18.1, 59.4};
    assert_int_equal(pl_crs_check_extent(ctx, s3006, 0, sweden, "l", &err), PL_OK);
    assert_int_equal(pl_crs_check_extent(ctx, s4326, 0, stockholm_lonlat, "l", &err), PL_OK);
    /* lon/lat numbers labelled SWEREF 99 TM */
    assert_int_equal(pl_crs_check_extent(ctx, s3006, 0, stockholm_lonlat, "l", &err), PL_EINPUT);
    assert_string_equal(err.msg, "l: coordinates (18.05, 59.35) lie outside EPSG:3006's area of use (Sweden - "
                                 "onshore and offshore); they look like longitude/latitude; give the layer its real "
                                 "CRS (EPSG:4326, e.g. ogr2ogr -a_srs EPSG:4326)");
    /* SWEREF 99 TM metres labelled (or assumed) WGS 84 */
    assert_int_equal(pl_crs_check_extent(ctx, s4326, 1, sweden, "l", &err), PL_EINPUT);
    assert_string_equal(err.msg, "l: coordinates (595000, 6900000) lie outside EPSG:4326's area of use (World); they "
                                 "look like SWEREF 99 TM; give its real CRS with --assume-crs EPSG:3006");
    /* the working CRS over the data */
    snprintf(ctx->work_crs, sizeof ctx->work_crs, "EPSG:3018");
    assert_int_equal(pl_crs_check_extent(ctx, s3006, 0, sweden, "l", &err), PL_OK);
    snprintf(ctx->work_crs, sizeof ctx->work_crs, "EPSG:2056");
    assert_int_equal(pl_crs_check_extent(ctx, s4326, 0, stockholm_lonlat, "l", &err), PL_EINPUT);
    assert_string_equal(err.msg, "l: the working CRS EPSG:2056 stretches distances by up to 2.6 % over this layer "
                                 "(longitude 18.00 to 18.10, latitude 59.30 to 59.40; platsa accepts 1 %); use --crs "
                                 "EPSG:3006 (SWEREF 99 TM)");
    /* outside Sweden: the UTM zone of the centre */
    snprintf(ctx->work_crs, sizeof ctx->work_crs, "EPSG:3857");
    const double madrid[4] = {-3.8, 40.3, -3.6, 40.5};
    assert_int_equal(pl_crs_check_extent(ctx, s4326, 0, madrid, "l", &err), PL_EINPUT);
    assert_non_null(strstr(err.msg, "; use --crs EPSG:32630 (WGS 84 / UTM zone 30N)"));
    /* a point of a scenario in lon/lat */
    snprintf(ctx->work_crs, sizeof ctx->work_crs, "EPSG:3006");
    assert_int_equal(pl_crs_check_work_point(ctx, 674000, 6580000, "p", &err), PL_OK);
    assert_int_equal(pl_crs_check_work_point(ctx, 18.07, 59.33, "p", &err), PL_EINPUT);
    assert_string_equal(err.msg, "p: coordinates (18.07, 59.33) lie outside EPSG:3006's area of use (Sweden - onshore "
                                 "and offshore); they look like longitude/latitude; give X; Y in the working CRS "
                                 "EPSG:3006");
    OSRDestroySpatialReference(s3006);
    OSRDestroySpatialReference(s4326);
    pl_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options_defaults_and_values),
        cmocka_unit_test(test_options_errors),
        cmocka_unit_test(test_warnings_are_counted_by_kind),
        cmocka_unit_test(test_crs_scale_tolerance),
        cmocka_unit_test(test_crs_extent_checks),
    };
    return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
