/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `platsa access --mode transit`: a hand-checkable fixture (one road, one bus line, three
 * homes, one pharmacy) with expected minutes worked out below; the backward profile checked
 * against forward range RAPTOR searches from each home's access legs on a real rail feed;
 * the bad inputs of tests/BAD_INPUTS.md; the demo's Porto Alegre run end to end on real buses,
 * metro, streets and population (tests/data/gtfs-osm-porto-alegre-r5r/). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gdal.h>
#include <sqlite3.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "analyses/access/access.h"
#include "analyses/access/access_transit.h"
#include "analyses/classify/classify.h"
#include "analyses/coverage/coverage.h"
#include "gis/raptor.h"
#include "gis/util.h"
#include "layers/gtfs.h"
#include "support/testutil.h"

/* ---------- helpers ---------- */

/* A working-CRS point as WGS 84 (stops.txt wants lat/lon). */
static void to_lonlat(const char *crs, double x, double y, double *lon, double *lat)
{
    OGRSpatialReferenceH w = OSRNewSpatialReference(NULL), g = OSRNewSpatialReference(NULL);
    OSRSetAxisMappingStrategy(w, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(g, OAMS_TRADITIONAL_GIS_ORDER);
    assert_int_equal(OSRSetFromUserInput(w, crs), OGRERR_NONE);
    assert_int_equal(OSRSetFromUserInput(g, "EPSG:4326"), OGRERR_NONE);
    OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(w, g);
    assert_non_null(ct);
    assert_true(OCTTransform(ct, 1, &x, &y, NULL));
    *lon = x;
    *lat = y;
    OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(w);
    OSRDestroySpatialReference(g);
}

#define FC_HEAD(epsg) "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"urn:ogc:def:crs:EPSG::" epsg "\"}},\"features\":["

/* Runs `platsa access` in process with argv (options parsed as the CLI does); returns its
 * code and the message in err. */
static int run_access(pl_ctx *ctx, pl_error *err, int argc, char **argv)
{
    pl_access_opts o;
    memset(&o, 0, sizeof o);
    char *pos[1];
    int npos = 0;
    int rc = pl_options_parse(pl_access_options, &o, argc, argv, pos, 0, &npos, err);
    if (rc == PL_OK)
        rc = pl_access_run(ctx, &o, "test", err);
    pl_options_free(pl_access_options, &o);
    return rc;
}

/* The feature of access_cells with this cell_id (caller destroys it). */
static OGRFeatureH cell_feature(GDALDatasetH ds, const char *id)
{
    OGRLayerH l = GDALDatasetGetLayerByName(ds, "access_cells");
    assert_non_null(l);
    OGR_L_ResetReading(l);
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        if (strcmp(OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "cell_id")), id) == 0)
            return f;
        OGR_F_Destroy(f);
    }
    fail_msg("no cell %s", id);
    return NULL;
}

static double field_real(OGRFeatureH f, const char *name)
{
    int i = OGR_F_GetFieldIndex(f, name);
    assert_true(i >= 0);
    return OGR_F_IsFieldSetAndNotNull(f, i) ? OGR_F_GetFieldAsDouble(f, i) : NAN;
}

/* The value of column `name` in a CSV row (no quoted commas in these tables); static buffer. */
static const char *csv_cell(const char *head, const char *row, const char *name)
{
    static char value[256];
    const char *h = head, *r = row;
    size_t len = strlen(name);
    while (*h) {
        size_t hl = strcspn(h, ",\n"), rl = strcspn(r, ",\n");
        if (hl == len && strncmp(h, name, len) == 0) {
            snprintf(value, sizeof value, "%.*s", (int)rl, r);
            return value;
        }
        h += hl + (h[hl] == ',');
        r += rl + (r[rl] == ',');
        if (h[-1] != ',')
            break;
    }
    fail_msg("no column %s", name);
    return NULL;
}

/* cmocka's assert_float_equal passes a NaN (NULL field): this one does not. */
#define assert_near(v, want) assert_true(fabs((v) - (want)) < 1e-9)

/* ---------- the hand-checkable fixture ---------- */

/* EPSG:3006 metres. One straight street (residential) along y = Y0 from x = X0 to X0 + 10 km.
 * Stops A at X0 + 200, B at X0 + 9000 on it, C 5 km off it (left out: nobody walks there).
 * A pharmacy at X0 + 9300. Bus line A -> B every 30 minutes (:10 and :40, 07:10 to 09:40),
 * 15 minutes in the bus. Homes: h1 at X0, h2 at X0 + 8800, h3 at X0 + 5000, all on the street.
 * Walking 5 km/h = 1.3889 m/s: 200 m = 144 s, 300 m = 216 s, 500 m = 360 s.
 *  h1: walk 144 s to A, then the bus, 900 s, then 216 s from B: 1116 s + the wait. Leaving at
 *      a whole minute d, the bus at d + 2.4 min or later: waits 3..32 min, each 4 times in
 *      the 120 minutes 07:00-08:59. Sorted, the 60th (median) is wait 17 min: 1020 + 1116 =
 *      2136 s = 35.6 min; 25th percentile (30th) wait 10: 1716 s = 28.6 min; 75th (90th)
 *      wait 25: 2616 s = 43.6 min. Walking all the way 9300 m: 6696 s = 111.6 min.
 *  h2: walks 500 m to the pharmacy (within --max-walk): 6.0 min every minute.
 *  h3: 4.8 km from A, 4 km from B, 4.3 km from the pharmacy: no connection within the
 *      window (NULL, own band); walking all the way 4300 m = 3096 s = 51.6 min. */
#define X0 500000.0
#define Y0 6500000.0

static const char *write_fixture(const char *name, int stops_off_road)
{
    const char *dir = scratch_dir(name);
    write_text_file(dir, "roads.geojson",
                    FC_HEAD("3006") "{\"type\":\"Feature\",\"properties\":{\"id\":1,\"highway\":\"residential\"},"
                    "\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[500000,6500000],[510000,6500000]]}}]}");
    write_text_file(dir, "services.geojson",
                    FC_HEAD("3006") "{\"type\":\"Feature\",\"properties\":{\"id\":\"P1\",\"type\":\"pharmacy\","
                    "\"name\":\"Apoteket\"},\"geometry\":{\"type\":\"Point\",\"coordinates\":[509300,6500000]}}]}");
    write_text_file(dir, "population.geojson",
                    FC_HEAD("3006")
                    "{\"type\":\"Feature\",\"properties\":{\"id\":\"h1\",\"pop\":100},\"geometry\":{\"type\":\"Point\",\"coordinates\":[500000,6500000]}},"
                    "{\"type\":\"Feature\",\"properties\":{\"id\":\"h2\",\"pop\":50},\"geometry\":{\"type\":\"Point\",\"coordinates\":[508800,6500000]}},"
                    "{\"type\":\"Feature\",\"properties\":{\"id\":\"h3\",\"pop\":7},\"geometry\":{\"type\":\"Point\",\"coordinates\":[505000,6500000]}}]}");
    write_text_file(dir, "munis.geojson",
                    FC_HEAD("3006") "{\"type\":\"Feature\",\"properties\":{\"KnKod\":\"0101\",\"KnNamn\":\"Linje\"},"
                    "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[499000,6499000],[511000,6499000],"
                    "[511000,6506000],[499000,6506000],[499000,6499000]]]}}]}");
    char feed[700];
    snprintf(feed, sizeof feed, "%s/feed", dir);
    assert_int_equal(run_cmd("mkdir -p '%s'", feed), 0);
    double off = stops_off_road ? 5000 : 0;
    double ax, ay, bx, by, cx, cy;
    to_lonlat("EPSG:3006", X0 + 200, Y0 + off, &ax, &ay);
    to_lonlat("EPSG:3006", X0 + 9000, Y0 + off, &bx, &by);
    to_lonlat("EPSG:3006", X0 + 5000, Y0 + 5000, &cx, &cy);
    char text[4096];
    snprintf(text, sizeof text, "stop_id,stop_name,stop_lat,stop_lon\nA,A,%.9f,%.9f\nB,B,%.9f,%.9f\nC,C,%.9f,%.9f\n", ay,
             ax, by, bx, cy, cx);
    write_text_file(feed, "stops.txt", text);
    write_text_file(feed, "routes.txt", "route_id,route_short_name,route_long_name,route_type\nR,1,,3\n");
    write_text_file(feed, "calendar.txt",
                    "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
                    "WK,1,1,1,1,1,0,0,20240101,20241231\n");
    char trips[1024] = "route_id,service_id,trip_id\n", st[4096] = "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n";
    for (int k = 0; k < 6; k++) {
        int dep = 7 * 3600 + 10 * 60 + k * 1800, arr = dep + 900;
        size_t u = strlen(trips);
        snprintf(trips + u, sizeof trips - u, "R,WK,T%d\n", k);
        u = strlen(st);
        snprintf(st + u, sizeof st - u, "T%d,%02d:%02d:00,%02d:%02d:00,A,1\nT%d,%02d:%02d:00,%02d:%02d:00,B,2\n", k,
                 dep / 3600, dep / 60 % 60, dep / 3600, dep / 60 % 60, k, arr / 3600, arr / 60 % 60, arr / 3600,
                 arr / 60 % 60);
        /* C: a stop the bus never calls at would do too; a trip that calls at it keeps it in use. */
    }
    write_text_file(feed, "trips.txt", trips);
    write_text_file(feed, "stop_times.txt", st);
    return dir;
}

/* Appends --date DATE (when given) and up to two more arguments; the new argc. */
static int push_date_extras(char **argv, int argc, const char *date, const char *extra1, const char *extra2)
{
    if (date) {
        argv[argc++] = "--date";
        argv[argc++] = (char *)date;
    }
    if (extra1)
        argv[argc++] = (char *)extra1;
    if (extra2)
        argv[argc++] = (char *)extra2;
    return argc;
}

/* The argv of a transit run on the fixture in dir, plus extra options. */
static int fixture_run(pl_ctx *ctx, pl_error *err, const char *dir, const char *out, const char *date,
                       const char *extra1, const char *extra2)
{
    char pop[700], svc[700], roads[700], munis[700], feed[700], o[700];
    snprintf(pop, sizeof pop, "%s/population.geojson", dir);
    snprintf(svc, sizeof svc, "%s/services.geojson", dir);
    snprintf(roads, sizeof roads, "%s/roads.geojson", dir);
    snprintf(munis, sizeof munis, "%s/munis.geojson", dir);
    snprintf(feed, sizeof feed, "%s/feed", dir);
    snprintf(o, sizeof o, "%s/%s", dir, out);
    char *argv[32] = {"access", "--population", pop, "--services", svc, "--roads", roads, "--municipalities", munis,
                      "-o", o, "--types", "pharmacy", "--mode", "transit", "--gtfs", feed, "--csv"};
    return run_access(ctx, err, push_date_extras(argv, 18, date, extra1, extra2), argv);
}

static void test_hand_fixture(void **state)
{
    (void)state;
    const char *dir = write_fixture("transit_hand", 0);
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};
    int rc = fixture_run(ctx, &err, dir, "out.gpkg", "2024-05-14", "--percentiles", "50,25,75");
    /* percentiles must increase: the option refuses 50,25,75 */
    assert_int_equal(rc, PL_EINPUT);
    assert_non_null(strstr(err.msg, "--percentiles"));
    rc = fixture_run(ctx, &err, dir, "out.gpkg", "2024-05-14", "--percentiles", "25,50,75");
    assert_int_equal(rc, PL_OK);
    /* Stop C, 5 km off the street, is left out and counted. */
    assert_int_equal(pl_warn_count(ctx, "snap-left-out"), 1);

    char path[700];
    snprintf(path, sizeof path, "%s/out.gpkg", dir);
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRFeatureH f = cell_feature(ds, "h1");
    assert_near(field_real(f, "pharmacy_min"), 28.6); /* the first percentile given: 25 */
    assert_near(field_real(f, "pharmacy_min_p25"), 28.6);
    assert_near(field_real(f, "pharmacy_min_p50"), 35.6);
    assert_near(field_real(f, "pharmacy_min_p75"), 43.6);
    assert_near(field_real(f, "pharmacy_walk_min"), 111.6);
    assert_near(field_real(f, "pharmacy_km"), 9.3);
    assert_true(isnan(field_real(f, "pharmacy_min_2nd")));
    OGR_F_Destroy(f);
    f = cell_feature(ds, "h2");
    assert_near(field_real(f, "pharmacy_min_p50"), 6.0);
    assert_near(field_real(f, "pharmacy_walk_min"), 6.0);
    OGR_F_Destroy(f);
    f = cell_feature(ds, "h3");
    assert_true(isnan(field_real(f, "pharmacy_min")));
    assert_true(isnan(field_real(f, "pharmacy_min_p75")));
    assert_near(field_real(f, "pharmacy_walk_min"), 51.6);
    assert_string_equal(OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "pharmacy_band_min")),
                        "ingen förbindelse inom fönstret");
    OGR_F_Destroy(f);
    GDALClose(ds);

    /* The summary: h2 (50) in 0-10 min, h1 (100) in 30-45 with the first percentile (25th:
     * 28.6 min, so 20-30), h3 (7) without connection, never dropped. */
    snprintf(path, sizeof path, "%s/out_access_municipalities_table.csv", dir);
    FILE *csv = fopen(path, "r");
    assert_non_null(csv);
    char head[8192], row[8192];
    assert_non_null(fgets(head, sizeof head, csv));
    assert_non_null(fgets(row, sizeof row, csv));
    fclose(csv);
    const char *want[][2] = {{"pharmacy_pop_min_0_10", "50"}, {"pharmacy_pop_min_20_30", "100"},
                             {"pharmacy_pop_min_unreachable", "7"}, {"pop", "157"}};
    for (size_t k = 0; k < sizeof want / sizeof *want; k++)
        assert_string_equal(csv_cell(head, row, want[k][0]), want[k][1]);
    pl_ctx_free(ctx);
}

/* Walking transfers: the fixture's street and homes, two lines that meet only by a 300 m
 * walk: line 1 A (X0 + 200) 07:10 -> B (X0 + 5000) 07:20, line 2 C (X0 + 5300) 07:25 and
 * 07:55 -> D (X0 + 9000) 10 min later. Home h1 leaving at 07:00 (window 07:00-07:01):
 * 144 s to A, the 07:10, B at 07:20, 216 s to C (07:23:36), the 07:25, D at 07:35, 216 s to
 * the pharmacy: 07:38:36 = 38.6 min. With transfers.txt giving B -> C 600 s, the feed's
 * time wins: C at 07:30, the 07:55, D at 08:05: 68.6 min. */
static void test_walking_transfer(void **state)
{
    (void)state;
    for (int feed_transfer = 0; feed_transfer < 2; feed_transfer++) {
        const char *dir = write_fixture(feed_transfer ? "transit_transfer_feed" : "transit_transfer", 0);
        char feed[700];
        snprintf(feed, sizeof feed, "%s/feed", dir);
        double lon[4], lat[4], xs[4] = {X0 + 200, X0 + 5000, X0 + 5300, X0 + 9000};
        for (int i = 0; i < 4; i++)
            to_lonlat("EPSG:3006", xs[i], Y0, &lon[i], &lat[i]);
        char text[1024];
        snprintf(text, sizeof text,
                 "stop_id,stop_name,stop_lat,stop_lon\nA,A,%.9f,%.9f\nB,B,%.9f,%.9f\nC,C,%.9f,%.9f\nD,D,%.9f,%.9f\n",
                 lat[0], lon[0], lat[1], lon[1], lat[2], lon[2], lat[3], lon[3]);
        write_text_file(feed, "stops.txt", text);
        write_text_file(feed, "routes.txt", "route_id,route_short_name,route_long_name,route_type\nR1,1,,3\nR2,2,,3\n");
        write_text_file(feed, "trips.txt", "route_id,service_id,trip_id\nR1,WK,T1\nR2,WK,T2\nR2,WK,T3\n");
        write_text_file(feed, "stop_times.txt", "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
                        "T1,07:10:00,07:10:00,A,1\nT1,07:20:00,07:20:00,B,2\n"
                        "T2,07:25:00,07:25:00,C,1\nT2,07:35:00,07:35:00,D,2\n"
                        "T3,07:55:00,07:55:00,C,1\nT3,08:05:00,08:05:00,D,2\n");
        if (feed_transfer)
            write_text_file(feed, "transfers.txt", "from_stop_id,to_stop_id,transfer_type,min_transfer_time\nB,C,2,600\n");
        pl_ctx *ctx = pl_ctx_new();
        ctx->quiet = 1;
        pl_error err = {0};
        assert_int_equal(fixture_run(ctx, &err, dir, "out.gpkg", "2024-05-14", "--window", "07:00-07:01"), PL_OK);
        char path[700];
        snprintf(path, sizeof path, "%s/out.gpkg", dir);
        GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
        assert_non_null(ds);
        OGRFeatureH f = cell_feature(ds, "h1");
        assert_near(field_real(f, "pharmacy_min"), feed_transfer ? 68.6 : 38.6);
        OGR_F_Destroy(f);
        GDALClose(ds);
        pl_ctx_free(ctx);
    }
}

/* Bad inputs (tests/BAD_INPUTS.md, "Public transport (--mode transit)"): refused with a
 * one-line message, no output left behind. */
static void test_bad_inputs(void **state)
{
    (void)state;
    const char *dir = write_fixture("transit_bad", 0);
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};
    char out[700];
    snprintf(out, sizeof out, "%s/bad.gpkg", dir);

    assert_int_equal(fixture_run(ctx, &err, dir, "bad.gpkg", NULL, NULL, NULL), PL_EINPUT);
    assert_string_equal(err.msg, "--mode transit needs --gtfs FEED.zip[,FEED2.zip] and --date YYYY-MM-DD (the "
                                 "service day, e.g. a Tuesday within the feed's calendar)");
    assert_int_equal(fixture_run(ctx, &err, dir, "bad.gpkg", "2023-05-16", NULL, NULL), PL_EINPUT);
    assert_non_null(strstr(err.msg, "the date 2023-05-16 is outside the feed's service dates"));
    assert_int_equal(fixture_run(ctx, &err, dir, "bad.gpkg", "2024-05-14", "--window", "9:00-7:00"), PL_EINPUT);
    assert_non_null(strstr(err.msg, "--window '9:00-7:00' ends before it starts"));
    assert_int_equal(fixture_run(ctx, &err, dir, "bad.gpkg", "2024-05-14", "--window", "07-09"), PL_EINPUT);
    assert_non_null(strstr(err.msg, "is not HH:MM-HH:MM"));
    assert_int_equal(fixture_run(ctx, &err, dir, "bad.gpkg", "2024-05-14", "--max-walk", "0"), PL_EINPUT);
    assert_string_equal(err.msg, "--max-walk 0: must be > 0, <= 10000");
    assert_false(file_exists(out));

    /* --gtfs without --mode transit */
    char pop[700], svc[700], roads[700], munis[700], feed[700];
    snprintf(pop, sizeof pop, "%s/population.geojson", dir);
    snprintf(svc, sizeof svc, "%s/services.geojson", dir);
    snprintf(roads, sizeof roads, "%s/roads.geojson", dir);
    snprintf(munis, sizeof munis, "%s/munis.geojson", dir);
    snprintf(feed, sizeof feed, "%s/feed", dir);
    char *argv[] = {"access", "--population", pop, "--services", svc, "--roads", roads, "--municipalities", munis,
                    "-o", out, "--mode", "walk", "--gtfs", feed};
    assert_int_equal(run_access(ctx, &err, 15, argv), PL_EINPUT);
    assert_string_equal(err.msg, "--gtfs and --date are for --mode transit; add --mode transit or leave them out");

    /* Every stop 5 km off the streets: refused, nothing written. */
    dir = write_fixture("transit_off", 1);
    snprintf(out, sizeof out, "%s/off.gpkg", dir);
    assert_int_equal(fixture_run(ctx, &err, dir, "off.gpkg", "2024-05-14", NULL, NULL), PL_EINPUT);
    assert_string_equal(err.msg, "GTFS: none of the 3 stops lies within --max-walk 1000 m of the roads' walk graph; "
                                 "check that the feed covers the roads' area (and --crs), or raise --max-walk");
    assert_false(file_exists(out));
    pl_ctx_free(ctx);
}

/* ---------- backward profile = forward range RAPTOR, on a real rail feed ---------- */

/* TRENSURB (Porto Alegre's metro, tests/data/gtfs/, EPSG:31982) with a street grid every
 * 400 m over its stops, 160 homes and 3 services at pseudo-random places, loaded. */
typedef struct rail_fixture {
    pl_ctx *ctx;
    pl_timetable *tt;
    pl_service_types *types;
    pl_municipalities *munis;
    pl_population *pop;
    pl_services *svc;
    pl_roads *roads;
    pl_graph *graph;             /* walk */
} rail_fixture;

static void rail_fixture_load(rail_fixture *F)
{
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    snprintf(ctx->work_crs, sizeof ctx->work_crs, "EPSG:31982");
    pl_error err = {0};
    const char *feeds[1] = {real_data("gtfs/poa_trensurb.zip")};
    pl_timetable *tt = NULL;
    assert_int_equal(pl_gtfs_load(ctx, feeds, 1, "2019-05-13", NULL, &tt, NULL, &err), PL_OK);
    assert_int_equal(pl_gtfs_project_stops(ctx, tt, &err), PL_OK);
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (uint32_t s = 0; s < tt->n_stops; s++) {
        x0 = fmin(x0, tt->stop_x[s]);
        x1 = fmax(x1, tt->stop_x[s]);
        y0 = fmin(y0, tt->stop_y[s]);
        y1 = fmax(y1, tt->stop_y[s]);
    }
    x0 = floor(x0 / 400) * 400 - 1200;
    y0 = floor(y0 / 400) * 400 - 1200;
    x1 += 1200;
    y1 += 1200;
    const char *dir = scratch_dir("transit_forward");
    size_t cap = 1 << 24, n = 0;
    char *buf = pl_malloc(cap);
    n += (size_t)snprintf(buf + n, cap - n, FC_HEAD("31982"));
    /* 400 m pieces between the crossings (lines that cross without a shared vertex do not meet). */
    int id = 0;
    for (double x = x0; x <= x1; x += 400)
        for (double y = y0; y <= y1; y += 400)
            for (int dir_ = 0; dir_ < 2; dir_++) {
                double xe = dir_ ? x : x + 400, ye = dir_ ? y + 400 : y;
                if (xe > x1 + 1 || ye > y1 + 1)
                    continue;
                n += (size_t)snprintf(buf + n, cap - n, "%s{\"type\":\"Feature\",\"properties\":{\"id\":%d,"
                                      "\"highway\":\"residential\"},\"geometry\":{\"type\":\"LineString\","
                                      "\"coordinates\":[[%.0f,%.0f],[%.0f,%.0f]]}}", id ? "," : "", id, x, y, xe, ye);
                id++;
                assert_true(n < cap - 1000);
            }
    snprintf(buf + n, cap - n, "]}");
    write_text_file(dir, "roads.geojson", buf);
    /* Homes and services near the line (within 700 m of a random stop in x and y), by a fixed LCG. */
    uint64_t seed = 12345;
#define RND() ((seed = seed * 6364136223846793005ull + 1442695040888963407ull) >> 33)
    n = (size_t)snprintf(buf, cap, FC_HEAD("31982"));
    for (int i = 0; i < 160; i++) {
        uint32_t s = (uint32_t)(RND() % tt->n_stops);
        double x = tt->stop_x[s] + (double)(RND() % 1400) - 700, y = tt->stop_y[s] + (double)(RND() % 1400) - 700;
        n += (size_t)snprintf(buf + n, cap - n, "%s{\"type\":\"Feature\",\"properties\":{\"id\":\"u%d\",\"pop\":%d},"
                              "\"geometry\":{\"type\":\"Point\",\"coordinates\":[%.1f,%.1f]}}", i ? "," : "", i,
                              1 + i % 7, x, y);
    }
    snprintf(buf + n, cap - n, "]}");
    write_text_file(dir, "population.geojson", buf);
    n = (size_t)snprintf(buf, cap, FC_HEAD("31982"));
    for (int i = 0; i < 3; i++) {
        uint32_t s = (uint32_t)(RND() % tt->n_stops);
        double x = tt->stop_x[s] + (double)(RND() % 1200) - 600, y = tt->stop_y[s] + (double)(RND() % 1200) - 600;
        n += (size_t)snprintf(buf + n, cap - n, "%s{\"type\":\"Feature\",\"properties\":{\"id\":\"s%d\",\"type\":\"pharmacy\","
                              "\"name\":\"s%d\"},\"geometry\":{\"type\":\"Point\",\"coordinates\":[%.1f,%.1f]}}",
                              i ? "," : "", i, i, x, y);
    }
    snprintf(buf + n, cap - n, "]}");
    write_text_file(dir, "services.geojson", buf);
    snprintf(buf, cap, FC_HEAD("31982") "{\"type\":\"Feature\",\"properties\":{\"KnKod\":\"4314\",\"KnNamn\":\"POA\"},"
             "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[%.0f,%.0f],[%.0f,%.0f],[%.0f,%.0f],[%.0f,%.0f],[%.0f,%.0f]]]}}]}",
             x0 - 5000, y0 - 5000, x1 + 5000, y0 - 5000, x1 + 5000, y1 + 5000, x0 - 5000, y1 + 5000, x0 - 5000, y0 - 5000);
    write_text_file(dir, "munis.geojson", buf);
    free(buf);

    char path[700];
    pl_load_opts lo = {0};
    pl_service_types *types = pl_service_types_load(ctx, NULL, &err);
    snprintf(path, sizeof path, "%s/munis.geojson", dir);
    pl_municipalities *munis = pl_municipalities_load(ctx, path, &lo, &err);
    snprintf(path, sizeof path, "%s/population.geojson", dir);
    pl_population *pop = pl_population_load(ctx, path, &lo, &err);
    snprintf(path, sizeof path, "%s/services.geojson", dir);
    pl_services *svc = pl_services_load(ctx, path, types, &lo, &err);
    snprintf(path, sizeof path, "%s/roads.geojson", dir);
    pl_roads *roads = pl_roads_load(ctx, path, &lo, &err);
    assert_non_null(types);
    assert_non_null(munis);
    assert_non_null(pop);
    assert_non_null(svc);
    assert_non_null(roads);
    pl_graph_opts go;
    pl_graph_opts_default(&go);
    go.mode = PL_MODE_WALK;
    pl_graph *graph = pl_graph_build(ctx, roads, &go, &err);
    assert_non_null(graph);
    *F = (rail_fixture){ctx, tt, types, munis, pop, svc, roads, graph};
}

static void rail_fixture_free(rail_fixture *F)
{
    pl_graph_free(F->graph);
    pl_roads_free(F->roads);
    pl_services_free(F->svc);
    pl_population_free(F->ctx, F->pop);
    pl_municipalities_free(F->ctx, F->munis);
    pl_service_types_free(F->types);
    pl_timetable_free(F->tt);
    pl_ctx_free(F->ctx);
}

/* For every home of the rail fixture, the analysis' times equal those of forward range RAPTOR
 * searches from the home's access legs, ending with the type's egress legs or a walk all the way. */
static void test_profile_equals_forward(void **state)
{
    (void)state;
    rail_fixture F;
    rail_fixture_load(&F);
    pl_ctx *ctx = F.ctx;
    pl_error err = {0};
    pl_timetable *tt = F.tt;
    pl_service_types *types = F.types;
    pl_municipalities *munis = F.munis;
    pl_population *pop = F.pop;
    pl_services *svc = F.svc;
    pl_roads *roads = F.roads;
    pl_graph *graph = F.graph;

    int type = pl_service_types_find(types, "pharmacy");
    pl_access_params p = {.types = &type, .n_types = 1, .mode = PL_MODE_WALK, .within_km = 1, .max_snap_m = 1000};
    pl_transit_params tp = {.t0 = 7 * 3600, .t1 = 9 * 3600, .max_walk_m = 1200, .walk_speed_kmh = 4.5,
                            .max_time_min = 90, .pct = {5, 50, 95}, .n_pct = 3, .keep_legs = 1};
    pl_access_result *r = NULL;
    pl_transit_result *tr = NULL;
    assert_int_equal(pl_access_transit_compute(ctx, pop, svc, types, munis, roads, graph, tt, &p, &tp, &r, &tr, &err),
                     PL_OK);

    /* The forward searches on the timetable the analysis routed on (with its walking transfers). */
    assert_non_null(tr->walk_tt);
    assert_true(tr->n_walk_transfers > 0);
    pl_raptor *rap = pl_raptor_new(tr->walk_tt, &err);
    assert_non_null(rap);
    size_t n_min = pl_raptor_n_minutes(tp.t0, tp.t1);
    int32_t *arr = pl_malloc(n_min * tt->n_stops * sizeof *arr), *times = pl_malloc(n_min * sizeof *times);
    pl_raptor_opts ro;
    pl_raptor_opts_default(&ro);
    double speed = tp.walk_speed_kmh / 3.6;
    int by_transit = 0, checked = 0;
    for (size_t c = 0; c < r->n_cells; c++) {
        const pl_raptor_leg *legs = tr->legs + tr->leg_start[c];
        size_t n_legs = tr->leg_start[c + 1] - tr->leg_start[c];
        for (size_t m = 0; m < n_min; m++)
            times[m] = PL_TT_NEVER;
        if (n_legs > 0)
            assert_int_equal(pl_raptor_range(rap, legs, n_legs, tp.t0, tp.t1, &ro, arr, &err), PL_OK);
        double walk_m = r->types[0].by_dist[c * 2].dist_m;
        int32_t direct = walk_m <= tp.max_walk_m ? (int32_t)lround(walk_m / speed) : PL_TT_NEVER;
        int transit_wins = 0;
        for (size_t m = 0; m < n_min && n_legs > 0; m++)
            for (uint32_t e = 0; e < tr->n_egress[0]; e++) {
                int32_t a = arr[m * tt->n_stops + tr->egress[0][e].stop];
                if (a == PL_TT_NEVER)
                    continue;
                int32_t t = a + tr->egress[0][e].walk_s - (tp.t0 + (int32_t)m * 60);
                if (t < times[m])
                    times[m] = t;
            }
        for (size_t m = 0; m < n_min; m++) {
            if (times[m] < direct)
                transit_wins = 1;
            if (direct < times[m])
                times[m] = direct;
            if (times[m] != PL_TT_NEVER && times[m] > 90 * 60)
                times[m] = PL_TT_NEVER;
        }
        for (int k = 0; k < tp.n_pct; k++) {
            int32_t v = pl_raptor_percentile(times, n_min, tp.pct[k]);
            double want = v == PL_TT_NEVER ? INFINITY : v;
            assert_true(tr->pct_s[(size_t)k * r->n_cells + c] == want);
        }
        by_transit += transit_wins;
        checked++;
    }
    /* Not a vacuous check: many homes ride the train at some minute. */
    assert_int_equal(checked, 160);
    size_t with_legs = 0;
    for (size_t c = 0; c < r->n_cells; c++)
        with_legs += tr->leg_start[c + 1] > tr->leg_start[c];
    print_message("%d of 160 homes ride the train at some minute; %zu have stops within reach, %u egress stops, %u of %u stops linked\n", by_transit, with_legs, tr->n_egress[0], tr->n_stops_linked, tr->n_stops);
    assert_true(by_transit >= 80);
    free(arr);
    free(times);
    pl_raptor_free(rap);
    pl_transit_result_free(tr);
    pl_access_result_free(r);
    rail_fixture_free(&F);
}

/* ---------- classify and coverage --mode transit ---------- */

/* Runs a command's option table and run function in process, as the CLI does. */
#define RUN_COMMAND(table, opts_type, run_fn)                                                     \
    static int run_##run_fn(pl_ctx *ctx, pl_error *err, int argc, char **argv)                     \
    {                                                                                              \
        opts_type o;                                                                               \
        memset(&o, 0, sizeof o);                                                                   \
        char *pos[1];                                                                              \
        int npos = 0;                                                                              \
        int rc = pl_options_parse(table, &o, argc, argv, pos, 0, &npos, err);                      \
        if (rc == PL_OK)                                                                           \
            rc = run_fn(ctx, &o, "test", err);                                                     \
        pl_options_free(table, &o);                                                                \
        return rc;                                                                                 \
    }
RUN_COMMAND(pl_classify_options, pl_classify_opts, pl_classify_run)
RUN_COMMAND(pl_coverage_options, pl_coverage_opts, pl_coverage_run)

/* The fixture's files by name. */
typedef struct fx_paths {
    char pop[700], svc[700], roads[700], munis[700], feed[700], loc[700], cand[700], out[700];
} fx_paths;

static void fx_paths_set(fx_paths *P, const char *dir, const char *out)
{
    snprintf(P->pop, sizeof P->pop, "%s/population.geojson", dir);
    snprintf(P->svc, sizeof P->svc, "%s/services.geojson", dir);
    snprintf(P->roads, sizeof P->roads, "%s/roads.geojson", dir);
    snprintf(P->munis, sizeof P->munis, "%s/munis.geojson", dir);
    snprintf(P->feed, sizeof P->feed, "%s/feed", dir);
    snprintf(P->loc, sizeof P->loc, "%s/localities.geojson", dir);
    snprintf(P->cand, sizeof P->cand, "%s/candidates.geojson", dir);
    snprintf(P->out, sizeof P->out, "%s/%s", dir, out);
}

/* The feature of `layer` whose `key` field is `id` (caller destroys it). */
static OGRFeatureH feature_by(GDALDatasetH ds, const char *layer, const char *key, const char *id)
{
    OGRLayerH l = GDALDatasetGetLayerByName(ds, layer);
    assert_non_null(l);
    OGR_L_ResetReading(l);
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(l)) != NULL) {
        if (strcmp(OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, key)), id) == 0)
            return f;
        OGR_F_Destroy(f);
    }
    fail_msg("no %s %s in %s", key, id, layer);
    return NULL;
}

static int64_t field_int(OGRFeatureH f, const char *name)
{
    int i = OGR_F_GetFieldIndex(f, name);
    assert_true(i >= 0);
    return OGR_F_IsFieldSetAndNotNull(f, i) ? OGR_F_GetFieldAsInteger64(f, i) : -1;
}

/* The hand fixture with a fourth home h4 at X0 + 9500 (200 m from the pharmacy, 2.4 min) and
 * a tätort of 5,000 at the pharmacy's point (X0 + 9300). */
static const char *write_classify_fixture(const char *name)
{
    const char *dir = write_fixture(name, 0);
    write_text_file(dir, "population.geojson",
                    FC_HEAD("3006")
                    "{\"type\":\"Feature\",\"properties\":{\"id\":\"h1\",\"pop\":100},\"geometry\":{\"type\":\"Point\",\"coordinates\":[500000,6500000]}},"
                    "{\"type\":\"Feature\",\"properties\":{\"id\":\"h2\",\"pop\":50},\"geometry\":{\"type\":\"Point\",\"coordinates\":[508800,6500000]}},"
                    "{\"type\":\"Feature\",\"properties\":{\"id\":\"h3\",\"pop\":7},\"geometry\":{\"type\":\"Point\",\"coordinates\":[505000,6500000]}},"
                    "{\"type\":\"Feature\",\"properties\":{\"id\":\"h4\",\"pop\":20},\"geometry\":{\"type\":\"Point\",\"coordinates\":[509500,6500000]}}]}");
    write_text_file(dir, "localities.geojson",
                    FC_HEAD("3006") "{\"type\":\"Feature\",\"properties\":{\"name\":\"Stad\",\"pop\":5000},"
                    "\"geometry\":{\"type\":\"Point\",\"coordinates\":[509300,6500000]}}]}");
    return dir;
}

static int classify_run_fx(pl_ctx *ctx, pl_error *err, const fx_paths *P, const char *mode, const char *date,
                           const char *extra1, const char *extra2)
{
    char *argv[32] = {"classify", "--population", (char *)P->pop, "--localities", (char *)P->loc, "--roads",
                      (char *)P->roads, "--municipalities", (char *)P->munis, "-o", (char *)P->out, "--csv"};
    int argc = 12;
    if (mode) {
        argv[argc++] = "--mode";
        argv[argc++] = (char *)mode;
    }
    if (date) {
        argv[argc++] = "--gtfs";
        argv[argc++] = (char *)P->feed;
    }
    return run_pl_classify_run(ctx, err, push_date_extras(argv, argc, date, extra1, extra2), argv);
}

/* Classes by the window's median (worked out at write_fixture): h1 35.6 min (bus), h2 6.0 min
 * (walk 500 m), h3 no connection (class 4, its walk 51.6 min beside it), h4 2.4 min (walk). */
static void test_classify_transit_hand(void **state)
{
    (void)state;
    const char *dir = write_classify_fixture("transit_classify");
    fx_paths P;
    fx_paths_set(&P, dir, "cl.gpkg");
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};
    for (int remote30 = 0; remote30 < 2; remote30++) {
        assert_int_equal(classify_run_fx(ctx, &err, &P, "transit", "2024-05-14", remote30 ? "--remote-min" : NULL,
                                         remote30 ? "30" : NULL), PL_OK);
        GDALDatasetH ds = GDALOpenEx(P.out, GDAL_OF_VECTOR, NULL, NULL, NULL);
        assert_non_null(ds);
        const char *ids[] = {"h1", "h2", "h3", "h4"};
        int want_class[] = {remote30 ? 3 : 2, 2, 4, 1};
        double want_min[] = {35.6, 6.0, NAN, 2.4}, want_walk[] = {111.6, 6.0, 51.6, 2.4};
        for (int k = 0; k < 4; k++) {
            OGRFeatureH f = feature_by(ds, "classify_cells", "cell_id", ids[k]);
            assert_int_equal(field_int(f, "class"), want_class[k]);
            if (isnan(want_min[k]))
                assert_true(isnan(field_real(f, "minutes_to_locality")));
            else
                assert_near(field_real(f, "minutes_to_locality"), want_min[k]);
            assert_near(field_real(f, "walk_minutes_to_locality"), want_walk[k]);
            if (k == 2)
                assert_string_equal(OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "class_name")),
                                    "ingen förbindelse inom fönstret");
            OGR_F_Destroy(f);
        }
        GDALClose(ds);
        /* Per municipality: the unit without a connection is counted, never dropped. */
        char path[800];
        snprintf(path, sizeof path, "%s/cl_classify_municipalities_table.csv", dir);
        FILE *csv = fopen(path, "r");
        assert_non_null(csv);
        char head[4096], row[4096];
        assert_non_null(fgets(head, sizeof head, csv));
        assert_non_null(fgets(row, sizeof row, csv));
        fclose(csv);
        assert_string_equal(csv_cell(head, row, "pop"), "177");
        assert_string_equal(csv_cell(head, row, "pop_urban"), "20");
        assert_string_equal(csv_cell(head, row, "pop_near_urban_rural"), remote30 ? "50" : "150");
        assert_string_equal(csv_cell(head, row, "pop_remote_rural"), remote30 ? "100" : "0");
        assert_string_equal(csv_cell(head, row, "pop_no_connection"), "7");
        assert_int_equal(run_cmd("rm -f '%s' '%s'", P.out, path), 0);
    }
    pl_ctx_free(ctx);
}

static int coverage_run_fx(pl_ctx *ctx, pl_error *err, const fx_paths *P, const char *date, const char *threshold,
                           const char *value, const char *extra1, const char *extra2)
{
    char *argv[40] = {"coverage", "--population", (char *)P->pop, "--hubs", (char *)P->svc, "--roads",
                      (char *)P->roads, "--municipalities", (char *)P->munis, "-o", (char *)P->out, "--types",
                      "pharmacy", "--mode", "transit", "--gtfs", (char *)P->feed, "--csv", (char *)threshold,
                      (char *)value};
    return run_pl_coverage_run(ctx, err, push_date_extras(argv, 20, date, extra1, extra2), argv);
}

/* Coverage within 40 minutes by transit of the pharmacy (X0 + 9300): h1 (35.6 min by bus) and h2
 * (6.0 min walk) are covered, h3 (no connection) is not; of the candidates C1 at X0 + 5100
 * (100 m from h3) and C2 at stop A (h3 has no stop within --max-walk), the new hub is C1. */
static void test_coverage_transit_hand(void **state)
{
    (void)state;
    const char *dir = write_fixture("transit_coverage", 0);
    write_text_file(dir, "candidates.geojson",
                    FC_HEAD("3006")
                    "{\"type\":\"Feature\",\"properties\":{\"id\":\"C2\"},\"geometry\":{\"type\":\"Point\",\"coordinates\":[500200,6500000]}},"
                    "{\"type\":\"Feature\",\"properties\":{\"id\":\"C1\"},\"geometry\":{\"type\":\"Point\",\"coordinates\":[505100,6500000]}}]}");
    fx_paths P;
    fx_paths_set(&P, dir, "cov.gpkg");
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};
    assert_int_equal(coverage_run_fx(ctx, &err, &P, "2024-05-14", "--min", "40", "--add", "1"), PL_EINPUT);
    assert_string_equal(err.msg, "--add/--target-share need --candidates (FILE, localities:FILE or roads)");
    char *argv_extra = P.cand;
    char *argv[40] = {"coverage", "--population", P.pop, "--hubs", P.svc, "--roads", P.roads, "--municipalities",
                      P.munis, "-o", P.out, "--types", "pharmacy", "--mode", "transit", "--gtfs", P.feed,
                      "--date", "2024-05-14", "--min", "40", "--add", "1", "--candidates", argv_extra, "--csv"};
    assert_int_equal(run_pl_coverage_run(ctx, &err, 26, argv), PL_OK);
    GDALDatasetH ds = GDALOpenEx(P.out, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRFeatureH f = feature_by(ds, "coverage_cells", "cell_id", "h1");
    assert_near(field_real(f, "hub_min"), 35.6);
    assert_near(field_real(f, "hub_km"), 9.3);   /* the walk along the street */
    assert_int_equal(field_int(f, "covered"), 1);
    OGR_F_Destroy(f);
    f = feature_by(ds, "coverage_cells", "cell_id", "h2");
    assert_near(field_real(f, "hub_min"), 6.0);
    assert_int_equal(field_int(f, "covered"), 1);
    OGR_F_Destroy(f);
    f = feature_by(ds, "coverage_cells", "cell_id", "h3");
    assert_true(isnan(field_real(f, "hub_min")));
    assert_int_equal(field_int(f, "covered"), 0);
    assert_int_equal(field_int(f, "new_hub_rank"), 1);
    assert_int_equal(field_int(f, "covered_after"), 1);
    OGR_F_Destroy(f);
    OGRLayerH l = GDALDatasetGetLayerByName(ds, "new_hubs");
    assert_non_null(l);
    assert_int_equal(OGR_L_GetFeatureCount(l, 1), 1);
    OGR_L_ResetReading(l);
    f = OGR_L_GetNextFeature(l);
    assert_string_equal(OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "site_id")), "C1");
    OGR_F_Destroy(f);
    GDALClose(ds);
    pl_ctx_free(ctx);
}

/* The rail fixture: transit coverage sets backward (a profile per candidate) equal those forward
 * (a range search per unit), and both equal a brute force of one plain RAPTOR search per unit
 * and departure minute; and the run-time guard refuses a size beyond it before any work. */
static void test_coverage_transit_directions(void **state)
{
    (void)state;
    rail_fixture F;
    rail_fixture_load(&F);
    pl_error err = {0};
    size_t n = F.pop->n;
    pl_snap_opts so;
    pl_snap_opts_default(&so);
    pl_snap *cell_snap = pl_malloc(n * sizeof *cell_snap);
    assert_int_equal(pl_graph_snap(F.ctx, F.graph, F.roads, F.pop->x, F.pop->y, n, &so, cell_snap, &err), PL_OK);
    /* Candidates: the services and every 8th home's point. */
    pl_candidates cand = {0};
    cand.n = F.svc->n + n / 8;
    cand.x = pl_malloc(cand.n * sizeof *cand.x);
    cand.y = pl_malloc(cand.n * sizeof *cand.y);
    cand.snap = pl_malloc(cand.n * sizeof *cand.snap);
    for (size_t j = 0; j < cand.n; j++) {
        cand.x[j] = j < F.svc->n ? F.svc->x[j] : F.pop->x[(j - F.svc->n) * 8];
        cand.y[j] = j < F.svc->n ? F.svc->y[j] : F.pop->y[(j - F.svc->n) * 8];
    }
    assert_int_equal(pl_graph_snap(F.ctx, F.graph, F.roads, cand.x, cand.y, cand.n, &so, cand.snap, &err), PL_OK);
    pl_transit_params tp = {.t0 = 7 * 3600, .t1 = 9 * 3600, .max_walk_m = 1200, .walk_speed_kmh = 4.5,
                            .max_time_min = 120, .pct = {50}, .n_pct = 1};
    pl_transit_net *net = NULL;
    assert_int_equal(pl_transit_net_new(F.ctx, F.graph, F.roads, F.tt, cell_snap, n, &tp, &net, &err), PL_OK);
    uint32_t *cells = pl_malloc(n * sizeof *cells);
    for (size_t i = 0; i < n; i++)
        cells[i] = (uint32_t)i;
    double threshold = 25 * 60;
    uint64_t *b_begin, *f_begin;
    uint32_t *b_cells, *f_cells;
    double c0 = pl_cpu_s();
    assert_int_equal(pl_coverage_transit_sets(F.ctx, net, cells, n, &cand, &tp, threshold, PL_COVER_TRANSIT_BACKWARD,
                                              &b_begin, &b_cells, &err), PL_OK);
    double c_back = pl_cpu_s() - c0;
    c0 = pl_cpu_s();
    assert_int_equal(pl_coverage_transit_sets(F.ctx, net, cells, n, &cand, &tp, threshold, PL_COVER_TRANSIT_FORWARD,
                                              &f_begin, &f_cells, &err), PL_OK);
    double c_fwd = pl_cpu_s() - c0;
    assert_memory_equal(b_begin, f_begin, (cand.n + 1) * sizeof *b_begin);
    assert_memory_equal(b_cells, f_cells, b_begin[cand.n] * sizeof *b_cells);
    /* Brute force: per unit and minute one plain forward search (no range reuse), every
     * candidate's egress legs and walk read on it, the median of the 120 minutes. */
    pl_raptor *rap = pl_raptor_new(net->walk_tt, &err);
    assert_non_null(rap);
    size_t n_min = pl_raptor_n_minutes(tp.t0, tp.t1), pairs = 0;
    int32_t *times = pl_malloc(cand.n * n_min * sizeof *times);
    double *walk = pl_malloc(cand.n * n * sizeof *walk);
    pl_raptor_leg **eg = pl_malloc(cand.n * sizeof *eg);
    uint32_t *n_eg = pl_malloc(cand.n * sizeof *n_eg);
    for (size_t j = 0; j < cand.n; j++) {
        uint32_t one = (uint32_t)j;
        eg[j] = pl_transit_targets(net, cand.snap, &one, 1, &tp, &n_eg[j], NULL, 0, walk + j * n);
    }
    pl_raptor_opts ro;
    pl_raptor_opts_default(&ro);
    for (size_t i = 0; i < n; i++) {
        const pl_raptor_leg *legs = net->legs + net->leg_start[i];
        size_t n_legs = net->leg_start[i + 1] - net->leg_start[i];
        for (size_t m = 0; m < n_min; m++) {
            int32_t dep = tp.t0 + (int32_t)m * 60;
            const int32_t *arr = NULL;
            if (n_legs > 0) {
                assert_int_equal(pl_raptor_run(rap, legs, n_legs, dep, &ro, &err), PL_OK);
                arr = pl_raptor_arrivals(rap);
            }
            for (size_t j = 0; j < cand.n; j++) {
                int32_t best = PL_TT_NEVER;
                for (uint32_t e = 0; arr && e < n_eg[j]; e++)
                    if (arr[eg[j][e].stop] != PL_TT_NEVER && arr[eg[j][e].stop] + eg[j][e].walk_s - dep < best)
                        best = arr[eg[j][e].stop] + eg[j][e].walk_s - dep;
                times[j * n_min + m] = best;
            }
        }
        for (size_t j = 0; j < cand.n; j++) {
            double pct[PL_TRANSIT_MAX_PCT];
            pl_transit_window_pct(times + j * n_min, n_min, walk[j * n + i], &tp, pct);
            int want = pct[0] <= threshold, got = 0;
            for (uint64_t k = b_begin[j]; k < b_begin[j + 1]; k++)
                got |= b_cells[k] == i;
            assert_int_equal(got, want);
            pairs += want;
        }
    }
    print_message("transit coverage sets: %zu of %zu candidate x unit pairs covered within 25 min; backward %.3f s "
                  "cpu, forward %.3f s cpu\n", pairs, cand.n * n, c_back, c_fwd);
    /* Not vacuous: some pairs are covered, most are not. */
    assert_true(pairs > 0 && pairs < cand.n * n / 2);
    assert_int_equal((size_t)b_begin[cand.n], pairs);

    /* The guard: refused from the sizes alone, before any search. */
    pl_candidates big = {.n = 200000};
    pl_transit_net fake = {.n_stops = 15000};
    uint64_t *bb = NULL;
    uint32_t *bc = NULL;
    assert_int_equal(pl_coverage_transit_sets(F.ctx, &fake, cells, 100000, &big, &tp, threshold, PL_COVER_TRANSIT_AUTO,
                                              &bb, &bc, &err), PL_EINPUT);
    assert_non_null(strstr(err.msg, "--mode transit: 200000 candidates x 100000 uncovered units on 15000 stops would "
                                    "take about "));
    assert_non_null(strstr(err.msg, "; give fewer candidates"));
    assert_null(bb);

    for (size_t j = 0; j < cand.n; j++)
        free(eg[j]);
    free(eg);
    free(n_eg);
    free(walk);
    free(times);
    pl_raptor_free(rap);
    free(b_begin);
    free(b_cells);
    free(f_begin);
    free(f_cells);
    free(cells);
    pl_transit_net_free(net);
    free(cand.x);
    free(cand.y);
    free(cand.snap);
    free(cell_snap);
    rail_fixture_free(&F);
}

/* Bad inputs of classify and coverage --mode transit (tests/BAD_INPUTS.md): one line, no output. */
static void test_classify_coverage_bad_inputs(void **state)
{
    (void)state;
    const char *dir = write_classify_fixture("transit_cc_bad");
    fx_paths P;
    fx_paths_set(&P, dir, "bad.gpkg");
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};
    assert_int_equal(classify_run_fx(ctx, &err, &P, "transit", NULL, NULL, NULL), PL_EINPUT);
    assert_string_equal(err.msg, "--mode transit needs --gtfs FEED.zip[,FEED2.zip] and --date YYYY-MM-DD (the "
                                 "service day, e.g. a Tuesday within the feed's calendar)");
    assert_int_equal(classify_run_fx(ctx, &err, &P, NULL, "2024-05-14", NULL, NULL), PL_EINPUT);
    assert_string_equal(err.msg, "--gtfs and --date are for --mode transit; add --mode transit or leave them out");
    assert_int_equal(classify_run_fx(ctx, &err, &P, "bike", NULL, NULL, NULL), PL_EINPUT);
    assert_string_equal(err.msg, "--mode 'bike': classify uses car (Tillväxtverket's measure) or transit");
    assert_int_equal(classify_run_fx(ctx, &err, &P, "transit", "2023-05-16", NULL, NULL), PL_EINPUT);
    assert_non_null(strstr(err.msg, "the date 2023-05-16 is outside the feed's service dates"));
    assert_int_equal(classify_run_fx(ctx, &err, &P, "transit", "2024-05-14", "--window", "9:00-7:00"), PL_EINPUT);
    assert_non_null(strstr(err.msg, "--window '9:00-7:00' ends before it starts"));
    assert_false(file_exists(P.out));

    assert_int_equal(coverage_run_fx(ctx, &err, &P, "2024-05-14", "--km", "5", NULL, NULL), PL_EINPUT);
    assert_string_equal(err.msg, "--km is a road distance; with --mode transit give the threshold as --min (the "
                                 "window's median travel time)");
    assert_int_equal(coverage_run_fx(ctx, &err, &P, NULL, "--min", "30", NULL, NULL), PL_EINPUT);
    assert_string_equal(err.msg, "--mode transit needs --gtfs FEED.zip[,FEED2.zip] and --date YYYY-MM-DD (the "
                                 "service day, e.g. a Tuesday within the feed's calendar)");
    assert_int_equal(coverage_run_fx(ctx, &err, &P, "2023-05-16", "--min", "30", NULL, NULL), PL_EINPUT);
    assert_non_null(strstr(err.msg, "the date 2023-05-16 is outside the feed's service dates"));
    assert_false(file_exists(P.out));
    /* --gtfs with a road mode */
    char *argv[] = {"coverage", "--population", P.pop, "--hubs", P.svc, "--roads", P.roads, "--municipalities",
                    P.munis, "-o", P.out, "--min", "30", "--mode", "walk", "--gtfs", P.feed};
    assert_int_equal(run_pl_coverage_run(ctx, &err, 17, argv), PL_EINPUT);
    assert_string_equal(err.msg, "--gtfs and --date are for --mode transit; add --mode transit or leave them out");
    assert_false(file_exists(P.out));
    pl_ctx_free(ctx);
}

/* ---------- Porto Alegre end to end (issue #23) ---------- */

/* r5r's sample city, as the demo runs it (sample-data/demo.sh): the EPTC bus feed, OSM and the
 * H3 grid in tests/data/gtfs-osm-porto-alegre-r5r/, the TRENSURB rail feed in tests/data/gtfs/.
 * The bus trips run about 11:20-17:50 (PROVENANCE.md), so the window is 12:00-14:00. */
#define POA_DATE "2019-05-13"
#define POA_MAX_UNITS 2000
/* --max-walk's default 1000 m at 5 km/h: a walk all the way of at most this is a transit trip too. */
#define POA_MAX_WALK_MIN 12.0
/* The timetable search counts whole seconds: a walk all the way may come out a second longer
 * than the road search's (seen: 0.01 min after rounding). */
#define POA_SECOND_MIN (1.0 / 60.0)

typedef struct poa_unit {
    char id[24];
    double pop, min, walk_min, road_m, health;   /* min, walk_min: NAN for no connection */
} poa_unit;

static int poa_unit_cmp(const void *a, const void *b)
{
    return strcmp(((const poa_unit *)a)->id, ((const poa_unit *)b)->id);
}

/* The grid as poa_hexgrid.csv says (id,lon,lat,population,schools,jobs,healthcare; no quotes),
 * read here without GDAL or SQL, sorted by id; returns the number of rows. */
static int poa_read_grid(poa_unit *u)
{
    FILE *f = fopen(real_data("gtfs-osm-porto-alegre-r5r/poa_hexgrid.csv"), "r");
    assert_non_null(f);
    char line[512];
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "id,lon,lat,population,schools,jobs,healthcare\n");
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        assert_true(n < POA_MAX_UNITS);
        /* Split at every comma: jobs and healthcare are empty in some rows (none: 0, as prepare.sh's CAST). */
        char *fld[7], *p = line;
        int k = 0;
        line[strcspn(line, "\r\n")] = '\0';
        while (k < 7) {
            fld[k++] = p;
            char *comma = strchr(p, ',');
            if (!comma)
                break;
            *comma = '\0';
            p = comma + 1;
        }
        assert_int_equal(k, 7);
        snprintf(u[n].id, sizeof u[n].id, "%s", fld[0]);
        u[n].pop = atof(fld[3]);
        u[n].health = atof(fld[6]);
        n++;
    }
    fclose(f);
    qsort(u, (size_t)n, sizeof *u, poa_unit_cmp);
    return n;
}

/* access_cells of a run, sorted by cell_id; returns the number of rows. */
static int poa_read_cells(const char *gpkg, poa_unit *u)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(gpkg, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT cell_id, pop, healthcare_min, healthcare_walk_min, road_m "
                                            "FROM access_cells ORDER BY cell_id", -1, &st, NULL), SQLITE_OK);
    int n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        assert_true(n < POA_MAX_UNITS);
        snprintf(u[n].id, sizeof u[n].id, "%s", (const char *)sqlite3_column_text(st, 0));
        u[n].pop = sqlite3_column_double(st, 1);
        u[n].min = sqlite3_column_type(st, 2) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 2);
        u[n].walk_min = sqlite3_column_type(st, 3) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 3);
        u[n].road_m = sqlite3_column_double(st, 4);
        n++;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* One number from a query (NAN for NULL). */
static double poa_sql(const char *gpkg, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(gpkg, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    double v = sqlite3_column_type(st, 0) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* `platsa access --mode transit` on the prepared inputs in dir, healthcare, window `win`. */
static void poa_access(pl_ctx *ctx, const char *dir, const char *win, const char *out)
{
    assert_true(strlen(dir) < 400);
    char feeds[1600], pop[800], svc[800], ini[800], roads[800], area[800], o[800];
    snprintf(feeds, sizeof feeds, "%s,", real_data("gtfs-osm-porto-alegre-r5r/poa_eptc.zip"));
    snprintf(feeds + strlen(feeds), sizeof feeds - strlen(feeds), "%s", real_data("gtfs/poa_trensurb.zip"));
    snprintf(pop, sizeof pop, "%s/poa-population.gpkg:population", dir);
    snprintf(svc, sizeof svc, "%s/poa-services.gpkg:services", dir);
    snprintf(ini, sizeof ini, "%s/poa-healthcare.ini", dir);
    snprintf(roads, sizeof roads, "%s/poa-layers.gpkg:roads", dir);
    snprintf(area, sizeof area, "%s/poa-area.gpkg", dir);
    snprintf(o, sizeof o, "%s/%s.gpkg", dir, out);
    char *argv[] = {"access", "--mode", "transit", "--gtfs", feeds, "--date", POA_DATE, "--window", (char *)win,
                    "--population", pop, "--services", svc, "--service-types", ini, "--types", "healthcare",
                    "--roads", roads, "--municipalities", area, "--crs", "EPSG:31982", "-o", o, "--overwrite", "--csv"};
    pl_error err = {0};
    int rc = run_access(ctx, &err, (int)(sizeof argv / sizeof *argv), argv);
    if (rc != PL_OK)
        fail_msg("access %s: %s", win, err.msg);
}

/* Residents without a connection within the window, from the municipality table's CSV twin. */
static double poa_pop_unreachable(const char *dir, const char *out)
{
    char path[800], head[8192], row[8192];
    snprintf(path, sizeof path, "%s/%s_access_municipalities_table.csv", dir, out);
    FILE *csv = fopen(path, "r");
    assert_non_null(csv);
    assert_non_null(fgets(head, sizeof head, csv));
    assert_non_null(fgets(row, sizeof row, csv));
    fclose(csv);
    return atof(csv_cell(head, row, "healthcare_pop_min_unreachable"));
}

/* One end-to-end run checked fact by fact, each against the grid's own CSV or a hand
 * argument, none a snapshot of platsa's numbers. */
static void test_porto_alegre_end_to_end(void **state)
{
    (void)state;
    static poa_unit grid[POA_MAX_UNITS], cells[POA_MAX_UNITS];
    const char *dir = scratch_dir("transit_poa");
    char d[400];
    snprintf(d, sizeof d, "%s", dir);
    assert_int_equal(run_cmd("sh sample-data/porto-alegre/prepare.sh %s %s", real_data("gtfs-osm-porto-alegre-r5r"), d), 0);
    assert_int_equal(run_cmd("build/platsa -q import-osm %s --crs EPSG:31982 -o %s/poa-layers.gpkg",
                             real_data("gtfs-osm-porto-alegre-r5r/poa_osm.pbf"), d), 0);
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    poa_access(ctx, d, "12:00-14:00", "midday");
    poa_access(ctx, d, "12:00-14:00", "again");
    poa_access(ctx, d, "07:00-09:00", "morning");

    /* Every one of the grid's units once, with its residents. */
    int n = poa_read_grid(grid);
    assert_int_equal(n, 1227);
    char gpkg[900];
    snprintf(gpkg, sizeof gpkg, "%s/midday.gpkg", d);
    assert_int_equal(poa_read_cells(gpkg, cells), n);
    double total = 0, no_conn = 0;
    int own = 0;
    for (int i = 0; i < n; i++) {
        assert_string_equal(cells[i].id, grid[i].id);
        assert_true(cells[i].pop == grid[i].pop);
        total += grid[i].pop;
        if (isnan(cells[i].min))
            no_conn += cells[i].pop;
        /* A walk within --max-walk is a transit trip too: never slower by more than the second. */
        if (cells[i].walk_min <= POA_MAX_WALK_MIN) {
            assert_false(isnan(cells[i].min));
            assert_true(cells[i].min <= cells[i].walk_min + POA_SECOND_MIN);
        }
        /* Healthcare in its own cell, at the same centre: the walk to the street and back at
         * 5 km/h (road_m is rounded to 0.1 m, the minutes to 0.01), the second beside it. */
        if (grid[i].health > 0) {
            own++;
            assert_true(cells[i].min <= 2 * (cells[i].road_m + 0.05) / 5000.0 * 60.0 + POA_SECOND_MIN + 0.005);
        }
    }
    assert_int_equal(own, 117);
    assert_true(total == poa_sql(gpkg, "SELECT sum(pop) FROM access_cells"));
    assert_true(no_conn == poa_pop_unreachable(d, "midday"));
    /* At midday the buses run: few residents have no connection within 1 km of walking plus
     * the timetable. At 07:00-09:00 only the metro runs, the bus trips not yet: many more. */
    assert_true(no_conn < 0.01 * total);
    double morning = poa_pop_unreachable(d, "morning");
    assert_true(morning > 2 * no_conn);

    /* Repeated: byte-identical rows and CSV twins. */
    const char *dump = "sqlite3 -cmd '.mode insert' %s/%s.gpkg 'SELECT * FROM access_cells ORDER BY fid' > %s/%s.rows";
    assert_int_equal(run_cmd(dump, d, "midday", d, "midday"), 0);
    assert_int_equal(run_cmd(dump, d, "again", d, "again"), 0);
    assert_int_equal(run_cmd("cmp %s/midday.rows %s/again.rows && cmp %s/midday_access_municipalities_table.csv "
                             "%s/again_access_municipalities_table.csv", d, d, d, d), 0);

    /* classify --mode transit to the city centre: every unit in one class, none dropped. */
    char feeds[1600], pop[800], loc[800], roads[800], area[800], out[800];
    snprintf(feeds, sizeof feeds, "%s,", real_data("gtfs-osm-porto-alegre-r5r/poa_eptc.zip"));
    snprintf(feeds + strlen(feeds), sizeof feeds - strlen(feeds), "%s", real_data("gtfs/poa_trensurb.zip"));
    snprintf(pop, sizeof pop, "%s/poa-population.gpkg:population", d);
    snprintf(loc, sizeof loc, "%s/poa-centre.gpkg", d);
    snprintf(roads, sizeof roads, "%s/poa-layers.gpkg:roads", d);
    snprintf(area, sizeof area, "%s/poa-area.gpkg", d);
    snprintf(out, sizeof out, "%s/classify.gpkg", d);
    char *argv[] = {"classify", "--mode", "transit", "--gtfs", feeds, "--date", POA_DATE, "--window", "12:00-14:00",
                    "--population", pop, "--localities", loc, "--roads", roads, "--municipalities", area,
                    "--crs", "EPSG:31982", "-o", out, "--overwrite"};
    pl_error err = {0};
    assert_int_equal(run_pl_classify_run(ctx, &err, (int)(sizeof argv / sizeof *argv), argv), PL_OK);
    assert_true(poa_sql(out, "SELECT count(DISTINCT cell_id) FROM classify_cells WHERE class BETWEEN 1 AND 4") == n);
    assert_true(poa_sql(out, "SELECT sum(pop) FROM classify_cells") == total);
    /* No connection (class 4) exactly where the window gives no time, and few of them at midday. */
    assert_true(poa_sql(out, "SELECT count(*) FROM classify_cells WHERE (class = 4) <> (minutes_to_locality IS NULL)") == 0);
    assert_true(poa_sql(out, "SELECT sum(pop) FROM classify_cells WHERE class = 4") < 0.02 * total);
    pl_ctx_free(ctx);
}

int main(void)
{
    GDALAllRegister();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_fixture),
        cmocka_unit_test(test_walking_transfer),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_profile_equals_forward),
        cmocka_unit_test(test_classify_transit_hand),
        cmocka_unit_test(test_coverage_transit_hand),
        cmocka_unit_test(test_coverage_transit_directions),
        cmocka_unit_test(test_classify_coverage_bad_inputs),
        cmocka_unit_test(test_porto_alegre_end_to_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
