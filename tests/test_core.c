/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Core context and option tables. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <math.h>
#include <stdio.h>

#include <ogr_srs_api.h>

#include "gis/crs_check.h"
#include "gis/ctx.h"
#include "gis/options.h"
#include "analyses/access/access.h"
#include "analyses/classify/classify.h"
#include "analyses/coverage/coverage.h"
#include "analyses/green/green.h"
#include "analyses/population/population.h"
#include "analyses/report/report.h"
#include "analyses/partition/partition.h"
#include "analyses/scenario/scenario.h"
#include "analyses/stores/stores.h"
#include "analyses/synth/synth.h"

#include "analyses/import_osm/import_osm.h"
#include "analyses/info/info.h"
#include "analyses/route/route.h"

typedef struct demo_opts {
    const char *out;
    double max_snap;
    int overwrite;
    int k;
    pl_doubles bands;
    pl_strings types;
} demo_opts;

static const pl_option demo_table[] = {
    {"output", 'o', PL_OPT_STRING, offsetof(demo_opts, out), "FILE", NULL, "output", 1, PL_NO_RANGE},
    {"max-snap", 0, PL_OPT_DOUBLE, offsetof(demo_opts, max_snap), "M", "1000", "snap", 0, PL_NO_RANGE},
    {"overwrite", 0, PL_OPT_FLAG, offsetof(demo_opts, overwrite), NULL, NULL, "replace", 0, PL_NO_RANGE},
    {"k", 0, PL_OPT_INT, offsetof(demo_opts, k), "N", "2", "k", 0, PL_NO_RANGE},
    {"bands-km", 0, PL_OPT_DOUBLES, offsetof(demo_opts, bands), "KM,...", "5,10,20,30", "bands", 0, PL_NO_RANGE},
    {"types", 0, PL_OPT_STRINGS, offsetof(demo_opts, types), "T,...", "grocery,fuel", "types", 0, PL_NO_RANGE},
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

    /* Too many list items: the message names the flag. */
    memset(&o, 0, sizeof o);
    char many[200] = "t";
    for (int i = 1; i <= PL_MAX_LIST; i++)
        strcat(many, ",t");
    char *too_many[] = {"demo", "-o", "x", "--types", many};
    assert_int_equal(pl_options_parse(demo_table, &o, 5, too_many, pos, 1, &npos, &err), PL_EINPUT);
    assert_int_equal(strncmp(err.msg, "--types: 't,t,", 14), 0);
    assert_non_null(strstr(err.msg, "': at most 32 values"));
    pl_options_free(demo_table, &o);

    memset(&o, 0, sizeof o);
    char *help[] = {"demo", "--help"};
    assert_int_equal(pl_options_parse(demo_table, &o, 2, help, pos, 1, &npos, &err), -1);
    pl_options_free(demo_table, &o);
}

/* ---------- option ranges ---------- */

typedef struct range_opts {
    double within, share, pct, any;
    int threads, width;
    pl_doubles bands, xy;
    const char *out;
} range_opts;

static const pl_option range_table[] = {
    {"within", 0, PL_OPT_DOUBLE, offsetof(range_opts, within), "KM", "10", "threshold", 0, PL_GT(0)},
    {"share", 0, PL_OPT_DOUBLE, offsetof(range_opts, share), "S", NULL, "share", 0, PL_GT_LE(0, 1)},
    {"pct", 0, PL_OPT_DOUBLE, offsetof(range_opts, pct), "PCT", "30", "percent", 0, PL_IN(0, 100)},
    {"any", 0, PL_OPT_DOUBLE, offsetof(range_opts, any), "V", "0", "any number", 0, PL_ANY_NUMBER},
    {"threads", 0, PL_OPT_INT, offsetof(range_opts, threads), "N", "0", "threads", 0, PL_GE(0)},
    {"width", 0, PL_OPT_INT, offsetof(range_opts, width), "PX", "1100", "width", 0, PL_IN(100, 10000)},
    {"bands-km", 0, PL_OPT_DOUBLES, offsetof(range_opts, bands), "KM,...", NULL, "bands", 0, PL_INCREASING_GT(0, 12)},
    {"from", 0, PL_OPT_DOUBLES, offsetof(range_opts, xy), "X,Y", NULL, "place", 0, PL_TUPLE(2)},
    {"output", 'o', PL_OPT_STRING, offsetof(range_opts, out), "FILE", NULL, "output", 0, PL_OUTPUT_PATH},
    PL_OPT_END,
};

/* Parses "range ARG1 [ARG2]"; PL_OK or the error message in err. */
static int parse_range(pl_error *err, const char *a1, const char *a2)
{
    range_opts o;
    memset(&o, 0, sizeof o);
    char *argv[] = {"range", (char *)a1, (char *)a2};
    char *pos[1];
    int npos = 0;
    pl_error_clear(err);
    int rc = pl_options_parse(range_table, &o, a2 ? 3 : 2, argv, pos, 0, &npos, err);
    pl_options_free(range_table, &o);
    return rc;
}

#define REFUSED(expected, a1, a2)                                     \
    do {                                                              \
        assert_int_equal(parse_range(&err, a1, a2), PL_EINPUT);      \
        assert_string_equal(err.msg, expected);                       \
    } while (0)
#define ACCEPTED(a1, a2) assert_int_equal(parse_range(&err, a1, a2), PL_OK)

static void test_range_exclusive_min(void **state)
{
    (void)state;
    pl_error err = {0};
    REFUSED("--within -5: must be > 0", "--within", "-5");
    REFUSED("--within 0: must be > 0", "--within=0", NULL);
    ACCEPTED("--within", "0.001");
}

static void test_range_inclusive_min_int(void **state)
{
    (void)state;
    pl_error err = {0};
    REFUSED("--threads -4: must be >= 0", "--threads", "-4");
    ACCEPTED("--threads", "0");
    REFUSED("--threads: 99999999999 is too large", "--threads", "99999999999");
}

static void test_range_min_and_max(void **state)
{
    (void)state;
    pl_error err = {0};
    REFUSED("--width 0: must be within 100..10000", "--width", "0");
    REFUSED("--width 10001: must be within 100..10000", "--width", "10001");
    ACCEPTED("--width", "100");
    REFUSED("--pct 100.5: must be within 0..100", "--pct", "100.5");
    REFUSED("--share 0: must be > 0, <= 1", "--share", "0");
    REFUSED("--share 1.5: must be > 0, <= 1", "--share", "1.5");
    ACCEPTED("--share", "1");
    ACCEPTED("--any", "-1e9");
}

static void test_range_increasing_list(void **state)
{
    (void)state;
    pl_error err = {0};
    REFUSED("--bands-km: -1: each value must be > 0", "--bands-km", "-1,2");
    REFUSED("--bands-km: 5 after 10: give the values in increasing order", "--bands-km", "10,5");
    REFUSED("--bands-km: 5 is given twice; give each value once, in increasing order", "--bands-km", "2,5,5");
    REFUSED("--bands-km: at most 12 values (got 13)", "--bands-km", "1,2,3,4,5,6,7,8,9,10,11,12,13");
    ACCEPTED("--bands-km", "1,2,3,4,5,6,7,8,9,10,11,12");
    REFUSED("--from: give 2 numbers separated by commas (got 3)", "--from", "1,2,3");
    ACCEPTED("--from", "-1,2");
}

static void test_range_output_path(void **state)
{
    (void)state;
    pl_error err = {0};
    REFUSED("--output: empty file name; give the output's name", "-o", "");
    char name[PL_OUTPUT_NAME_MAX + 2];
    memset(name, 'a', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    char want[512];
    snprintf(want, sizeof want, "--output: the name 'aaaaaaaaaaaaaaaaaaaaaaaa...' is %d characters long; at most %d for "
             "an output (room for its temporary names)", PL_OUTPUT_NAME_MAX + 1, PL_OUTPUT_NAME_MAX);
    REFUSED(want, "-o", name);
    name[PL_OUTPUT_NAME_MAX] = '\0';
    ACCEPTED("-o", name);
    /* A folder name over NAME_MAX, and a whole path over PATH_MAX. */
    char dir[NAME_MAX + 8];
    memset(dir, 'd', sizeof dir - 1);
    dir[sizeof dir - 1] = '\0';
    char *path = malloc(PATH_MAX + 16);
    snprintf(path, PATH_MAX + 16, "%s/x.gpkg", dir);
    assert_int_equal(parse_range(&err, "-o", path), PL_EINPUT);
    assert_non_null(strstr(err.msg, "characters long; at most 255"));
    path[0] = '\0';
    while (strlen(path) < PATH_MAX)
        strcat(path, "d/");
    strcat(path, "x");
    assert_int_equal(parse_range(&err, "-o", path), PL_EINPUT);
    assert_non_null(strstr(err.msg, "--output: the path is"));
    free(path);
    REFUSED("--output /dev/null: it exists and is not a regular file (a FIFO, device or socket); give a file name",
            "-o", "/dev/null");
}

static void test_range_in_help(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    pl_options_help(f, "range", "demo", range_table);
    fclose(f);
    assert_non_null(strstr(text, "threshold (> 0) [default: 10]"));
    assert_non_null(strstr(text, "width (100..10000) [default: 1100]"));
    assert_non_null(strstr(text, "share (> 0, <= 1)\n"));
    assert_non_null(strstr(text, "bands (each > 0, increasing, at most 12)\n"));
    assert_non_null(strstr(text, "place (2 numbers)\n"));
    assert_non_null(strstr(text, "any number [default: 0]"));
    free(text);
}

/* Every command's table: each numeric option has a range (PL_R_ANY when any number is
 * meant), its default lies in it, and --help shows it. */
static const struct {
    const char *command;
    const pl_option *table;
} command_tables[] = {
    {"info", pl_info_options},
    {"import-osm", pl_import_osm_options},
    {"population", pl_population_options},
    {"synth", pl_synth_options},
    {"route", pl_route_options},
    {"access", pl_access_options},
    {"classify", pl_classify_options},
    {"stores", pl_stores_options},
    {"scenario", pl_scenario_options},
    {"coverage", pl_coverage_options},
    {"green", pl_green_options},
    {"report", pl_report_options},
    {"partition", pl_partition_options},
    {"partition-task", pl_partition_task_options},
    {"partition-run", pl_partition_run_options},
    {"merge", pl_merge_options},
    {"sweep", pl_sweep_options},
};

static void test_every_numeric_option_has_a_range(void **state)
{
    (void)state;
    static union {
        char bytes[1 << 16];
        double align;
    } scratch;
    size_t n_numeric = 0;
    for (size_t c = 0; c < sizeof command_tables / sizeof command_tables[0]; c++)
        for (const pl_option *o = command_tables[c].table; o->name; o++) {
            if (!pl_option_is_numeric(o))
                continue;
            n_numeric++;
            if (o->range.flags == 0)
                fail_msg("platsa %s --%s: numeric option without a range in its option table",
                         command_tables[c].command, o->name);
            char text[128];
            pl_option_range_text(o, text, sizeof text);
            if (!text[0] && !(o->range.flags & PL_R_ANY))
                fail_msg("platsa %s --%s: no range shown in --help", command_tables[c].command, o->name);
            if (!o->default_str)
                continue;
            assert_true(o->offset + sizeof(pl_doubles) <= sizeof scratch.bytes);
            char *field = scratch.bytes + o->offset;
            pl_error err = {0};
            if (o->kind == PL_OPT_INT)
                *(int *)field = atoi(o->default_str);
            else if (o->kind == PL_OPT_DOUBLE)
                *(double *)field = strtod(o->default_str, NULL);
            else
                assert_int_equal(pl_parse_doubles(o->default_str, (pl_doubles *)field, &err), PL_OK);
            if (pl_option_check(o, scratch.bytes, &err) != PL_OK)
                fail_msg("platsa %s: default out of its own range: %s", command_tables[c].command, err.msg);
        }
    assert_true(n_numeric > 40);
}

/* Every command with --csv also has --csv-style (default|sv), defaulting to today's CSV. */
static void test_csv_style_on_every_csv_command(void **state)
{
    (void)state;
    int n_csv = 0;
    for (size_t c = 0; c < sizeof command_tables / sizeof command_tables[0]; c++) {
        const pl_option *csv = NULL, *style = NULL;
        for (const pl_option *o = command_tables[c].table; o->name; o++) {
            if (strcmp(o->name, "csv") == 0)
                csv = o;
            if (strcmp(o->name, "csv-style") == 0)
                style = o;
        }
        if (!csv) {
            assert_null(style);
            continue;
        }
        n_csv++;
        if (!style)
            fail_msg("platsa %s has --csv but no --csv-style", command_tables[c].command);
        assert_int_equal(style->kind, PL_OPT_STRING);
        assert_string_equal(style->default_str, "default");
    }
    assert_int_equal(n_csv, 8); /* access, classify, stores, scenario, coverage, green, partition, sweep */
}

/* The list above names every command platsa has. */
static void test_command_tables_cover_every_command(void **state)
{
    (void)state;
    const char *bin = getenv("PLATSA_BIN");
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "%s --help", bin && *bin ? bin : "build/platsa");
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[512];
    int in_commands = 0;
    size_t n = 0;
    while (fgets(line, sizeof line, p)) {
        if (strncmp(line, "commands:", 9) == 0) {
            in_commands = 1;
            continue;
        }
        if (!in_commands || strncmp(line, "  ", 2) != 0)
            continue;
        char name[64];
        if (sscanf(line, " %63s", name) != 1)
            continue;
        int found = 0;
        for (size_t c = 0; c < sizeof command_tables / sizeof command_tables[0]; c++)
            found |= strcmp(command_tables[c].command, name) == 0;
        if (!found)
            fail_msg("platsa %s: its option table is not in command_tables (tests/test_core.c)", name);
        n++;
    }
    assert_int_equal(pclose(p), 0);
    assert_int_equal(n, sizeof command_tables / sizeof command_tables[0]);
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
        cmocka_unit_test(test_range_exclusive_min),
        cmocka_unit_test(test_range_inclusive_min_int),
        cmocka_unit_test(test_range_min_and_max),
        cmocka_unit_test(test_range_increasing_list),
        cmocka_unit_test(test_range_output_path),
        cmocka_unit_test(test_range_in_help),
        cmocka_unit_test(test_every_numeric_option_has_a_range),
        cmocka_unit_test(test_csv_style_on_every_csv_command),
        cmocka_unit_test(test_command_tables_cover_every_command),
        cmocka_unit_test(test_warnings_are_counted_by_kind),
        cmocka_unit_test(test_crs_scale_tolerance),
        cmocka_unit_test(test_crs_extent_checks),
    };
    return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
