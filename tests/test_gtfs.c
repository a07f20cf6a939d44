/* SPDX-License-Identifier: GPL-3.0-or-later */
/* GTFS loader (layers/gtfs.c): each rule on a tiny hand-made feed written here (as a folder
 * or zipped through GDAL's /vsizip/), every bad-input case, and two real feeds in
 * tests/data/gtfs/ whose counts come from tests/data/gtfs/count_feed.py (Python's csv and
 * zipfile, written apart from the C code):
 *   python3 tests/data/gtfs/count_feed.py 2023-11-28 tests/data/gtfs/sj-gtfs-2023.zip
 *     -> stops 412 trips 531 patterns 495
 *   python3 tests/data/gtfs/count_feed.py 2019-05-13 tests/data/gtfs/poa_trensurb.zip
 *     -> stops 24 trips 529 patterns 21
 * SJ's 859 transfers: 887 transfer_type 2 rows without trip restrictions (436 of them a
 * station's own minimum change) less the 28 that touch a stop at 0,0; its 210 unused stops: platforms
 * with coordinates that no stop_times row names (csv module counts).
 *
 * Debug summary of any feeds: PLATSA_GTFS_SUMMARY="2019-05-13 a.zip b.zip" build/tests/test_gtfs
 * runs only test_summary_from_env, which prints the counts and warnings. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <cpl_vsi.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../gis/ctx.h"
#include "../gis/timetable.h"
#include "../layers/gtfs.h"
#include "support/testutil.h"

#define HMS(h, m, s) ((h) * 3600 + (m) * 60 + (s))

/* ---------- feeds written by the tests ---------- */

typedef struct gf {
    const char *name, *text; /* text NULL: leave the base file out */
} gf;

/* Line R1 along the meridian 18° E (distances proportional to latitude: S1-S2 1 km-ish,
 * S2-S3 twice that, S3-S4 once); a weekday service in 2024; one trip timed at its ends. */
static const gf base_files[] = {
    {"stops.txt", "stop_id,stop_name,stop_lat,stop_lon\n"
                  "S1,One,59.00,18.0\nS2,Two,59.01,18.0\nS3,Three,59.03,18.0\nS4,Four,59.04,18.0\n"},
    {"routes.txt", "route_id,route_short_name,route_long_name,route_type\nR1,1,,3\n"},
    {"calendar.txt", "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
                     "WK,1,1,1,1,1,0,0,20240101,20241231\n"},
    {"trips.txt", "route_id,service_id,trip_id\nR1,WK,T1\n"},
    {"stop_times.txt", "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
                       "T1,08:00:00,08:00:00,S1,1\nT1,,,S2,2\nT1,,,S3,3\nT1,08:08:00,08:08:00,S4,4\n"},
};
#define N_BASE (sizeof base_files / sizeof *base_files)

static void put_file(const char *path, const char *text)
{
    VSILFILE *f = VSIFOpenL(path, "wb");
    assert_non_null(f);
    size_t n = strlen(text);
    assert_int_equal(VSIFWriteL(text, 1, n, f), n);
    assert_int_equal(VSIFCloseL(f), 0);
}

/* Writes the base feed with `over` replacing/adding files (up to a {NULL} entry) into
 * build/test-tmp/gtfs-NAME/ as the folder feed/ or, if zip, feed.zip. Returns the feed path. */
static const char *write_feed(const char *name, const gf *over, int zip)
{
    static char feed[4096];
    char dir[64];
    snprintf(dir, sizeof dir, "gtfs-%s", name);
    const char *d = scratch_dir(dir);
    snprintf(feed, sizeof feed, "%s/%s", d, zip ? "feed.zip" : "feed");
    if (!zip) assert_int_equal(run_cmd("mkdir -p '%s'", feed), 0);
    gf all[32];
    size_t n = 0;
    for (size_t i = 0; i < N_BASE; i++) all[n++] = base_files[i];
    for (size_t k = 0; over && over[k].name; k++) {
        size_t i = 0;
        while (i < n && strcmp(all[i].name, over[k].name) != 0) i++;
        if (i == n) n++;
        all[i] = over[k];
    }
    for (size_t i = 0; i < n; i++) {
        if (!all[i].text) continue;
        char path[4200];
        snprintf(path, sizeof path, "%s%s/%s", zip ? "/vsizip/" : "", feed, all[i].name);
        put_file(path, all[i].text);
    }
    return feed;
}

static int load(pl_ctx *ctx, const char *feed, const char *date, pl_timetable **tt, pl_gtfs_stats *st,
                pl_error *err)
{
    const char *feeds[1] = {feed};
    return pl_gtfs_load(ctx, feeds, 1, date, NULL, tt, st, err);
}

/* Loads a feed that must load. */
static pl_timetable *load_ok(pl_ctx *ctx, const char *feed, const char *date, pl_gtfs_stats *st)
{
    pl_error err = {0};
    pl_timetable *tt = NULL;
    int rc = load(ctx, feed, date, &tt, st, &err);
    if (rc) fprintf(stderr, "load failed: %s\n", err.msg);
    assert_int_equal(rc, 0);
    assert_non_null(tt);
    return tt;
}

/* Loads a feed that must be refused; returns the message (static). */
static const char *load_refused(const char *feed, const char *date)
{
    static pl_error err;
    memset(&err, 0, sizeof err);
    pl_ctx *ctx = pl_ctx_new();
    pl_timetable *tt = (pl_timetable *)1;
    int rc = load(ctx, feed, date, &tt, NULL, &err);
    assert_int_equal(rc, PL_EINPUT);
    assert_null(tt);
    assert_null(strchr(err.msg, '\n'));
    pl_ctx_free(ctx);
    return err.msg;
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle)) fail_msg("'%s' does not contain '%s'", hay, needle);
}

static uint32_t find_trip(const pl_timetable *tt, const char *id)
{
    for (uint32_t t = 0; t < tt->n_trips; t++)
        if (strcmp(tt->trip_id[t], id) == 0) return t;
    fail_msg("trip '%s' not in the timetable", id);
    return UINT32_MAX;
}

static int has_trip(const pl_timetable *tt, const char *id)
{
    for (uint32_t t = 0; t < tt->n_trips; t++)
        if (strcmp(tt->trip_id[t], id) == 0) return 1;
    return 0;
}

static uint32_t pattern_of(const pl_timetable *tt, uint32_t t)
{
    uint32_t p = 0;
    while (tt->pattern_trip_start[p + 1] <= t) p++;
    return p;
}

static int32_t dep_at(const pl_timetable *tt, const char *trip, uint32_t i)
{
    return tt->trip_dep[tt->trip_time_start[find_trip(tt, trip)] + i];
}

static int32_t arr_at(const pl_timetable *tt, const char *trip, uint32_t i)
{
    return tt->trip_arr[tt->trip_time_start[find_trip(tt, trip)] + i];
}

static uint32_t stop_index(const pl_timetable *tt, const char *id)
{
    for (uint32_t s = 0; s < tt->n_stops; s++)
        if (strcmp(tt->stop_id[s], id) == 0) return s;
    fail_msg("stop '%s' not in the timetable", id);
    return UINT32_MAX;
}

/* The structure RAPTOR relies on: index ranges, trips sorted and never overtaking within a
 * pattern, the per-stop index consistent with the patterns, transfers sorted. */
static void assert_timetable_ok(const pl_timetable *tt)
{
    assert_int_equal(tt->pattern_stop_start[0], 0);
    assert_int_equal(tt->pattern_trip_start[0], 0);
    assert_int_equal(tt->pattern_trip_start[tt->n_patterns], tt->n_trips);
    for (uint32_t p = 0; p < tt->n_patterns; p++) {
        uint32_t a = tt->pattern_stop_start[p], n = tt->pattern_stop_start[p + 1] - a;
        assert_true(n >= 2);
        assert_true(tt->pattern_route[p] < tt->n_routes);
        assert_true(tt->pattern_trip_start[p + 1] > tt->pattern_trip_start[p]);
        for (uint32_t i = 0; i < n; i++) assert_true(tt->pattern_stops[a + i] < tt->n_stops);
        for (uint32_t t = tt->pattern_trip_start[p]; t < tt->pattern_trip_start[p + 1]; t++) {
            const int32_t *ar = tt->trip_arr + tt->trip_time_start[t], *de = tt->trip_dep + tt->trip_time_start[t];
            for (uint32_t i = 0; i < n; i++) {
                assert_true(de[i] >= ar[i]);
                if (i) assert_true(ar[i] >= de[i - 1]);
            }
            if (t > tt->pattern_trip_start[p]) {
                const int32_t *pa = tt->trip_arr + tt->trip_time_start[t - 1],
                              *pd = tt->trip_dep + tt->trip_time_start[t - 1];
                for (uint32_t i = 0; i < n; i++) assert_true(pa[i] <= ar[i] && pd[i] <= de[i]);
            }
        }
    }
    assert_int_equal(tt->stop_pattern_start[0], 0);
    size_t total = 0;
    for (uint32_t s = 0; s < tt->n_stops; s++) {
        for (uint32_t k = tt->stop_pattern_start[s]; k < tt->stop_pattern_start[s + 1]; k++) {
            uint32_t p = tt->stop_patterns[k];
            assert_true(p < tt->n_patterns);
            assert_int_equal(tt->pattern_stops[tt->pattern_stop_start[p] + tt->stop_pattern_pos[k]], s);
        }
        total += tt->stop_pattern_start[s + 1] - tt->stop_pattern_start[s];
        for (uint32_t k = tt->transfer_start[s]; k < tt->transfer_start[s + 1]; k++) {
            assert_true(tt->transfer_to[k] < tt->n_stops);
            assert_true(tt->transfer_s[k] >= 0);
            if (k > tt->transfer_start[s]) assert_true(tt->transfer_to[k] > tt->transfer_to[k - 1]);
        }
    }
    assert_int_equal(total, tt->pattern_stop_start[tt->n_patterns]);
    assert_int_equal(tt->transfer_start[tt->n_stops], tt->n_transfers);
}

/* ---------- values ---------- */

static void test_parse_time(void **state)
{
    (void)state;
    assert_int_equal(pl_gtfs_parse_time("08:05:09"), HMS(8, 5, 9));
    assert_int_equal(pl_gtfs_parse_time("8:05:09"), HMS(8, 5, 9));
    assert_int_equal(pl_gtfs_parse_time("25:30:00"), HMS(25, 30, 0));
    assert_int_equal(pl_gtfs_parse_time("00:00:00"), 0);
    const char *bad[] = {"", "8:5:09", "08:60:00", "08:00:60", "08:00", "08:00:00x", "-1:00:00", "ab:00:00",
                         "08.00.00", NULL};
    for (int i = 0; bad[i]; i++) assert_int_equal(pl_gtfs_parse_time(bad[i]), -1);
}

static void test_route_types(void **state)
{
    (void)state;
    assert_int_equal(pl_gtfs_basic_route_type(3), 3);
    assert_int_equal(pl_gtfs_basic_route_type(100), 2);  /* railway */
    assert_int_equal(pl_gtfs_basic_route_type(109), 2);  /* suburban railway */
    assert_int_equal(pl_gtfs_basic_route_type(401), 1);  /* metro */
    assert_int_equal(pl_gtfs_basic_route_type(700), 3);  /* bus (Samtrafiken's buses) */
    assert_int_equal(pl_gtfs_basic_route_type(715), 3);  /* demand and response bus */
    assert_int_equal(pl_gtfs_basic_route_type(800), 11); /* trolleybus */
    assert_int_equal(pl_gtfs_basic_route_type(900), 0);  /* tram */
    assert_int_equal(pl_gtfs_basic_route_type(1000), 4); /* water transport */
    assert_int_equal(pl_gtfs_basic_route_type(1300), 6); /* aerial lift */
    assert_int_equal(pl_gtfs_basic_route_type(1400), 7); /* funicular */
    assert_int_equal(pl_gtfs_basic_route_type(1100), -1);
    assert_int_equal(pl_gtfs_basic_route_type(99), -1);
}

/* ---------- rules ---------- */

/* Empty times by straight-line distance: S1-S2-S3-S4 are 1:2:1 apart (along a meridian),
 * 8 minutes in all, so S2 at 08:02:00 and S3 at 08:06:00. */
static void test_interpolation_by_distance(void **state)
{
    (void)state;
    pl_ctx *ctx = pl_ctx_new();
    pl_gtfs_stats st;
    pl_timetable *tt = load_ok(ctx, write_feed("interp", NULL, 0), "2024-05-14", &st);
    assert_int_equal(tt->n_stops, 4);
    assert_int_equal(tt->n_trips, 1);
    assert_int_equal(tt->n_patterns, 1);
    assert_int_equal(st.times_interpolated, 2);
    assert_int_equal(arr_at(tt, "T1", 0), HMS(8, 0, 0));
    assert_int_equal(arr_at(tt, "T1", 1), HMS(8, 2, 0));
    assert_int_equal(dep_at(tt, "T1", 1), HMS(8, 2, 0));
    assert_int_equal(arr_at(tt, "T1", 2), HMS(8, 6, 0));
    assert_int_equal(arr_at(tt, "T1", 3), HMS(8, 8, 0));
    assert_string_equal(tt->service_date, "2024-05-14");
    assert_string_equal(tt->route_name[0], "1");
    assert_int_equal(tt->route_type[0], 3);
    assert_timetable_ok(tt);
    assert_int_equal(pl_warn_total(ctx), 0);
    pl_timetable_free(tt);
    pl_ctx_free(ctx);
}

/* By shape_dist_traveled when every stop of the stretch has it: 0, 100, 400, 800 m -> 1/8
 * and 1/2 of 8 minutes: 08:01:00 and 08:04:00. Where one stop lacks it, distance again. */
static void test_interpolation_by_shape_dist(void **state)
{
    (void)state;
    const gf over[] = {{"stop_times.txt", "trip_id,arrival_time,departure_time,stop_id,stop_sequence,shape_dist_traveled\n"
                                          "T1,08:00:00,08:00:00,S1,1,0\nT1,,,S2,2,100\nT1,,,S3,3,400\n"
                                          "T1,08:08:00,08:08:00,S4,4,800\n"
                                          "T2,08:00:00,08:00:00,S1,1,0\nT2,,,S2,2,\nT2,,,S3,3,400\n"
                                          "T2,08:08:00,08:08:00,S4,4,800\n"},
                       {"trips.txt", "route_id,service_id,trip_id\nR1,WK,T1\nR1,WK,T2\n"},
                       {NULL, NULL}};
    pl_ctx *ctx = pl_ctx_new();
    pl_timetable *tt = load_ok(ctx, write_feed("shape", over, 0), "2024-05-14", NULL);
    assert_int_equal(arr_at(tt, "T1", 1), HMS(8, 1, 0));
    assert_int_equal(arr_at(tt, "T1", 2), HMS(8, 4, 0));
    assert_int_equal(arr_at(tt, "T2", 1), HMS(8, 2, 0));
    assert_int_equal(arr_at(tt, "T2", 2), HMS(8, 6, 0));
    /* T1 and T2 share stops but T1 is earlier at S2 and S3 though both leave at 08:00 */
    assert_timetable_ok(tt);
    pl_timetable_free(tt);
    pl_ctx_free(ctx);
}

/* BOM, CRLF, quoted fields with commas, quotes and a line break, columns in another order,
 * extra columns, spaces around header names, no final line break, empty optional files. */
static void test_csv_quirks(void **state)
{
    (void)state;
    const gf over[] = {{"stops.txt", "\xEF\xBB\xBFstop_lon, stop_lat ,extra,stop_id,stop_name\r\n"
                                     "18.0,59.00,x,S1,\"One, \"\"the first\"\"\"\r\n"
                                     "18.0,59.01,,S2,\"Two\r\nlines\"\r\n"
                                     "18.0,59.03,,S3,Three\r\n\r\n"
                                     "18.0,59.04,,S4,Four"},
                       {"stop_times.txt", "stop_sequence,stop_id,departure_time,arrival_time,trip_id,pickup_type\r\n"
                                          "1,S1,08:00:00,08:00:00,T1,\r\n4,S4, 08:08:00,08:08:00 ,\"T1\",0\r\n"
                                          "2,S2,,,T1,\r\n3,S3,,,T1,\r\n"},
                       {"transfers.txt", ""},
                       {"frequencies.txt", "\xEF\xBB\xBF"},
                       {NULL, NULL}};
    pl_ctx *ctx = pl_ctx_new();
    pl_timetable *tt = load_ok(ctx, write_feed("quirks", over, 1), "2024-05-14", NULL);
    assert_int_equal(tt->n_stops, 4);
    assert_string_equal(tt->stop_name[stop_index(tt, "S1")], "One, \"the first\"");
    assert_string_equal(tt->stop_name[stop_index(tt, "S2")], "Two\r\nlines");
    assert_int_equal(arr_at(tt, "T1", 2), HMS(8, 6, 0)); /* rows out of order: sorted by stop_sequence */
    assert_int_equal(pl_warn_total(ctx), 0);
    pl_timetable_free(tt);
    pl_ctx_free(ctx);
}

/* calendar.txt by weekday within its dates, calendar_dates.txt adding and removing. 2024-05-14
 * is a Tuesday. */
static void test_calendar_exceptions(void **state)
{
    (void)state;
    const char *st = "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
                     "T1,08:00:00,08:00:00,S1,1\nT1,08:08:00,08:08:00,S4,2\n"
                     "T2,09:00:00,09:00:00,S1,1\nT2,09:08:00,09:08:00,S4,2\n"
                     "T3,10:00:00,10:00:00,S1,1\nT3,10:08:00,10:08:00,S4,2\n"
                     "T4,11:00:00,11:00:00,S1,1\nT4,11:08:00,11:08:00,S4,2\n"
                     "T5,12:00:00,12:00:00,S1,1\nT5,12:08:00,12:08:00,S4,2\n";
    const gf over[] = {{"calendar.txt", "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
                                        "WK,1,1,1,1,1,0,0,20240101,20241231\nSA,0,0,0,0,0,1,0,20240101,20241231\n"
                                        "HOL,1,1,1,1,1,0,0,20240101,20241231\nOLD,1,1,1,1,1,1,1,20230101,20231231\n"},
                       {"calendar_dates.txt", "service_id,date,exception_type\nHOL,20240514,2\nEXTRA,20240514,1\n"
                                              "EXTRA,20240515,1\nWK,20240513,2\n"},
                       {"trips.txt", "route_id,service_id,trip_id\nR1,WK,T1\nR1,SA,T2\nR1,HOL,T3\nR1,EXTRA,T4\n"
                                     "R1,OLD,T5\n"},
                       {"stop_times.txt", st},
                       {NULL, NULL}};
    pl_ctx *ctx = pl_ctx_new();
    pl_gtfs_stats s;
    pl_timetable *tt = load_ok(ctx, write_feed("calendar", over, 0), "2024-05-14", &s);
    assert_int_equal(tt->n_trips, 2);
    assert_true(has_trip(tt, "T1") && has_trip(tt, "T4"));
    assert_int_equal(s.trips_active, 2);
    pl_timetable_free(tt);
    /* Monday 13th: WK removed, HOL runs */
    tt = load_ok(ctx, write_feed("calendar", over, 0), "2024-05-13", &s);
    assert_int_equal(tt->n_trips, 1);
    assert_true(has_trip(tt, "T3"));
    pl_timetable_free(tt);
    /* Saturday */
    tt = load_ok(ctx, write_feed("calendar", over, 0), "2024-05-18", &s);
    assert_int_equal(tt->n_trips, 1);
    assert_true(has_trip(tt, "T2"));
    pl_timetable_free(tt);
    pl_ctx_free(ctx);
}

/* A Monday-only trip 23:50 -> 24:30 runs into Tuesday: on Tuesday it is there shifted by
 * -24 h (departs -00:10, arrives 00:30); Tuesday's own 24:30 trip keeps its times. */
static void test_previous_day_past_midnight(void **state)
{
    (void)state;
    const gf over[] = {{"calendar.txt", "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
                                        "MO,1,0,0,0,0,0,0,20240101,20241231\nTU,0,1,0,0,0,0,0,20240101,20241231\n"},
                       {"trips.txt", "route_id,service_id,trip_id\nR1,MO,NIGHT\nR1,MO,EVENING\nR1,TU,NIGHT2\n"},
                       {"stop_times.txt", "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
                                          "NIGHT,23:50:00,23:50:00,S1,1\nNIGHT,24:30:00,24:30:00,S4,2\n"
                                          "EVENING,22:00:00,22:00:00,S1,1\nEVENING,23:59:59,23:59:59,S4,2\n"
                                          "NIGHT2,23:50:00,23:50:00,S1,1\nNIGHT2,24:30:00,24:30:00,S4,2\n"},
                       {NULL, NULL}};
    const char *feed = write_feed("midnight", over, 1);
    pl_ctx *ctx = pl_ctx_new();
    pl_gtfs_stats s;
    pl_timetable *tt = load_ok(ctx, feed, "2024-05-14", &s);
    assert_int_equal(tt->n_trips, 2);
    assert_int_equal(s.trips_previous_day, 1);
    assert_int_equal(dep_at(tt, "NIGHT@-1d", 0), -600);
    assert_int_equal(arr_at(tt, "NIGHT@-1d", 1), HMS(0, 30, 0));
    assert_int_equal(arr_at(tt, "NIGHT2", 1), HMS(24, 30, 0));
    assert_false(has_trip(tt, "EVENING@-1d"));
    assert_timetable_ok(tt);
    pl_timetable_free(tt);
    /* without the previous day */
    pl_gtfs_opts o = {.no_previous_day = 1};
    pl_error err = {0};
    const char *feeds[1] = {feed};
    assert_int_equal(pl_gtfs_load(ctx, feeds, 1, "2024-05-14", &o, &tt, &s, &err), 0);
    assert_int_equal(tt->n_trips, 1);
    assert_true(has_trip(tt, "NIGHT2"));
    pl_timetable_free(tt);
    pl_ctx_free(ctx);
}

/* frequencies.txt: T1 every 20 min 08:00-09:00 (exact_times 1) -> 08:00, 08:20, 08:40 with
 * the template's running times; T2 every 10 min 10:00-10:30 (exact_times 0: expanded from
 * start_time too) -> 10:00, 10:10, 10:20. */
static void test_frequencies(void **state)
{
    (void)state;
    const gf over[] = {{"trips.txt", "route_id,service_id,trip_id\nR1,WK,T1\nR1,WK,T2\n"},
                       {"stop_times.txt", "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
                                          "T1,06:00:00,06:00:00,S1,1\nT1,,,S2,2\nT1,,,S3,3\nT1,06:08:00,06:08:00,S4,4\n"
                                          "T2,00:00:00,00:00:00,S4,1\nT2,00:05:00,00:06:00,S1,2\n"},
                       {"frequencies.txt", "trip_id,start_time,end_time,headway_secs,exact_times\n"
                                           "T1,08:00:00,09:00:00,1200,1\nT2,10:00:00,10:30:00,600,0\n"},
                       {NULL, NULL}};
    pl_ctx *ctx = pl_ctx_new();
    pl_gtfs_stats s;
    pl_timetable *tt = load_ok(ctx, write_feed("freq", over, 0), "2024-05-14", &s);
    assert_int_equal(tt->n_trips, 6);
    assert_int_equal(s.trips_from_frequencies, 6);
    assert_false(has_trip(tt, "T1"));
    assert_int_equal(dep_at(tt, "T1#1", 0), HMS(8, 0, 0));
    assert_int_equal(arr_at(tt, "T1#2", 2), HMS(8, 26, 0));
    assert_int_equal(arr_at(tt, "T1#3", 3), HMS(8, 48, 0));
    assert_int_equal(dep_at(tt, "T2#3", 0), HMS(10, 20, 0));
    assert_int_equal(arr_at(tt, "T2#3", 1), HMS(10, 25, 0));
    assert_int_equal(dep_at(tt, "T2#3", 1), HMS(10, 26, 0));
    assert_false(has_trip(tt, "T2#4"));
    assert_int_equal(tt->n_patterns, 2);
    assert_timetable_ok(tt);
    pl_timetable_free(tt);
    pl_ctx_free(ctx);
}

/* An express leaving 10 min after a slow train arrives 10 min before it: they cannot share a
 * pattern (RAPTOR takes the first trip it can board as the best); the later slow train
 * follows the first. Different pick-up rules make a pattern of their own too. */
static void test_overtaking_split(void **state)
{
    (void)state;
    const gf over[] = {{"trips.txt", "route_id,service_id,trip_id\nR1,WK,SLOW1\nR1,WK,EXPRESS\nR1,WK,SLOW2\n"
                                     "R1,WK,NOPICK\n"},
                       {"stop_times.txt", "trip_id,arrival_time,departure_time,stop_id,stop_sequence,pickup_type\n"
                                          "SLOW1,08:00:00,08:00:00,S1,1,\nSLOW1,09:00:00,09:00:00,S4,2,\n"
                                          "EXPRESS,08:10:00,08:10:00,S1,1,\nEXPRESS,08:50:00,08:50:00,S4,2,\n"
                                          "SLOW2,08:20:00,08:20:00,S1,1,\nSLOW2,09:20:00,09:20:00,S4,2,\n"
                                          "NOPICK,08:30:00,08:30:00,S1,1,1\nNOPICK,09:30:00,09:30:00,S4,2,\n"},
                       {NULL, NULL}};
    pl_ctx *ctx = pl_ctx_new();
    pl_gtfs_stats s;
    pl_timetable *tt = load_ok(ctx, write_feed("overtake", over, 0), "2024-05-14", &s);
    assert_int_equal(tt->n_trips, 4);
    assert_int_equal(tt->n_patterns, 3);
    assert_int_equal(s.patterns_split, 1);
    uint32_t p1 = pattern_of(tt, find_trip(tt, "SLOW1")), p2 = pattern_of(tt, find_trip(tt, "SLOW2")),
             pe = pattern_of(tt, find_trip(tt, "EXPRESS")), pn = pattern_of(tt, find_trip(tt, "NOPICK"));
    assert_int_equal(p1, p2);
    assert_true(pe != p1 && pn != p1 && pn != pe);
    assert_int_equal(find_trip(tt, "SLOW2"), find_trip(tt, "SLOW1") + 1);
    /* bit 0 "no pick-up" at S1 for NOPICK; the first stop's drop-off and last stop's pick-up
     * are "no" for every trip */
    assert_int_equal(tt->pattern_stop_flags[tt->pattern_stop_start[pn]], 3);
    assert_int_equal(tt->pattern_stop_flags[tt->pattern_stop_start[p1]], 2);
    assert_int_equal(tt->pattern_stop_flags[tt->pattern_stop_start[p1] + 1], 1);
    assert_timetable_ok(tt);
    pl_timetable_free(tt);
    pl_ctx_free(ctx);
}

/* Random trips on a few stop sequences, overtaking freely (deterministic generator): every
 * trip is there once with its own times, on a pattern with its route and stops, and the
 * patterns hold RAPTOR's assumptions (assert_timetable_ok). */
static void test_random_patterns(void **state)
{
    (void)state;
    enum { NT = 300, NSEQ = 4, MAXL = 5 };
    static const int seqs[NSEQ][MAXL + 1] = {{3, 0, 1, 2}, {4, 0, 1, 2, 3}, {4, 3, 2, 1, 0}, {5, 0, 2, 3, 1, 0}};
    char *trips = malloc(64 * NT + 64), *st = malloc(128 * NT * MAXL + 128);
    int32_t (*arr)[MAXL] = malloc(sizeof(int32_t[NT][MAXL])), (*dep)[MAXL] = malloc(sizeof(int32_t[NT][MAXL]));
    int *seq_of = malloc(NT * sizeof *seq_of);
    size_t nt = (size_t)sprintf(trips, "route_id,service_id,trip_id\n");
    size_t ns = (size_t)sprintf(st, "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n");
    uint32_t rnd = 12345;
    for (int t = 0; t < NT; t++) {
        rnd = rnd * 1103515245u + 12345u;
        int q = (int)((rnd >> 16) % NSEQ);
        seq_of[t] = q;
        nt += (size_t)sprintf(trips + nt, "R1,WK,T%d\n", t);
        rnd = rnd * 1103515245u + 12345u;
        int32_t time = HMS(6, 0, 0) + (int32_t)((rnd >> 8) % (4 * 3600));
        for (int i = 0; i < seqs[q][0]; i++) {
            rnd = rnd * 1103515245u + 12345u;
            if (i) time += 60 + (int32_t)((rnd >> 8) % 600);
            arr[t][i] = time;
            rnd = rnd * 1103515245u + 12345u;
            time += (int32_t)((rnd >> 8) % 3) * 30;
            dep[t][i] = time;
            ns += (size_t)sprintf(st + ns, "T%d,%02d:%02d:%02d,%02d:%02d:%02d,S%d,%d\n", t, arr[t][i] / 3600,
                                  arr[t][i] / 60 % 60, arr[t][i] % 60, dep[t][i] / 3600, dep[t][i] / 60 % 60,
                                  dep[t][i] % 60, seqs[q][i + 1] + 1, i + 1);
        }
    }
    const gf over[] = {{"trips.txt", trips}, {"stop_times.txt", st}, {NULL, NULL}};
    pl_ctx *ctx = pl_ctx_new();
    pl_gtfs_stats s;
    pl_timetable *tt = load_ok(ctx, write_feed("random", over, 1), "2024-05-14", &s);
    assert_int_equal(tt->n_trips, NT);
    assert_true(tt->n_patterns > NSEQ); /* they overtake: groups were split */
    assert_int_equal(s.patterns_split, (long)tt->n_patterns - NSEQ);
    assert_timetable_ok(tt);
    for (int t = 0; t < NT; t++) {
        char id[16];
        snprintf(id, sizeof id, "T%d", t);
        uint32_t k = find_trip(tt, id), p = pattern_of(tt, k), n = (uint32_t)seqs[seq_of[t]][0];
        assert_int_equal(tt->pattern_stop_start[p + 1] - tt->pattern_stop_start[p], n);
        for (uint32_t i = 0; i < n; i++) {
            char sid[16];
            snprintf(sid, sizeof sid, "S%d", seqs[seq_of[t]][i + 1] + 1);
            assert_string_equal(tt->stop_id[tt->pattern_stops[tt->pattern_stop_start[p] + i]], sid);
            assert_int_equal(arr_at(tt, id, i), arr[t][i]);
            assert_int_equal(dep_at(tt, id, i), dep[t][i]);
        }
    }
    pl_timetable_free(tt);
    pl_ctx_free(ctx);
    free(trips);
    free(st);
    free(arr);
    free(dep);
    free(seq_of);
}

/* Two feeds: stop and trip ids shared by both are written FEED:id; route ids, distinct,
 * keep their GTFS text. */
static void test_multi_feed(void **state)
{
    (void)state;
    const gf over_b[] = {{"routes.txt", "route_id,route_short_name,route_long_name,route_type\nRB,,Rail B,2\n"},
                         {"trips.txt", "route_id,service_id,trip_id\nRB,WK,T1\n"},
                         {NULL, NULL}};
    char a[4096], b[4096];
    snprintf(a, sizeof a, "%s", write_feed("multi-a", NULL, 1));
    snprintf(b, sizeof b, "%s", write_feed("multi-b", over_b, 0));
    /* feed names: "feed" (zip) and "feed" (folder): the second gets "-2" */
    const char *feeds[2] = {a, b};
    pl_ctx *ctx = pl_ctx_new();
    pl_error err = {0};
    pl_timetable *tt = NULL;
    assert_int_equal(pl_gtfs_load(ctx, feeds, 2, "2024-05-14", NULL, &tt, NULL, &err), 0);
    assert_int_equal(tt->n_stops, 8);
    assert_int_equal(tt->n_trips, 2);
    assert_int_equal(tt->n_routes, 2);
    assert_int_equal(tt->n_patterns, 2);
    assert_string_equal(tt->stop_id[0], "feed:S1");
    assert_string_equal(tt->stop_id[4], "feed-2:S1");
    assert_true(has_trip(tt, "feed:T1") && has_trip(tt, "feed-2:T1"));
    assert_string_equal(tt->route_id[0], "R1");
    assert_string_equal(tt->route_id[1], "RB");
    assert_string_equal(tt->route_name[1], "Rail B");
    assert_int_equal(tt->route_type[1], 2);
    assert_timetable_ok(tt);
    pl_timetable_free(tt);
    pl_ctx_free(ctx);
}

/* transfers.txt: type 2 with a time between stops; a stop to itself is its minimum change; a
 * station stands for its platforms; other types and trip-specific rows are not modelled. */
static void test_transfers(void **state)
{
    (void)state;
    const gf over[] = {{"stops.txt", "stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station\n"
                                     "S1,One,59.00,18.0,,\nS2,Two,59.01,18.0,0,\nS3,Three,59.03,18.0,0,\n"
                                     "ST,Station,59.04,18.0,1,\nS4,Four,,,0,ST\nS5,Four B,59.0401,18.0,0,ST\n"},
                       {"transfers.txt", "from_stop_id,to_stop_id,transfer_type,min_transfer_time,from_trip_id\n"
                                         "S1,S2,2,120,\nS3,S3,2,60,\nS2,ST,2,180,\nS1,S3,1,,\nS1,S4,2,30,T1\n"
                                         "S1,S2,2,90,\n"},
                       {NULL, NULL}};
    pl_ctx *ctx = pl_ctx_new();
    pl_gtfs_stats s;
    pl_timetable *tt = load_ok(ctx, write_feed("transfers", over, 1), "2024-05-14", &s);
    assert_int_equal(tt->n_stops, 5);
    uint32_t s1 = stop_index(tt, "S1"), s2 = stop_index(tt, "S2"), s3 = stop_index(tt, "S3"),
             s4 = stop_index(tt, "S4"), s5 = stop_index(tt, "S5");
    /* S4 had no coordinates: its station's */
    assert_true(tt->stop_lat[s4] == 59.04 && tt->stop_lon[s4] == 18.0);
    assert_int_equal(tt->n_transfers, 4);
    assert_int_equal(tt->transfer_start[s1 + 1] - tt->transfer_start[s1], 1);
    assert_int_equal(tt->transfer_to[tt->transfer_start[s1]], s2);
    assert_int_equal(tt->transfer_s[tt->transfer_start[s1]], 120); /* given twice: the longer kept */
    assert_int_equal(tt->transfer_to[tt->transfer_start[s3]], s3);
    assert_int_equal(tt->transfer_s[tt->transfer_start[s3]], 60);
    assert_int_equal(tt->transfer_start[s2 + 1] - tt->transfer_start[s2], 2);
    assert_int_equal(tt->transfer_to[tt->transfer_start[s2]], s4);
    assert_int_equal(tt->transfer_to[tt->transfer_start[s2] + 1], s5);
    assert_int_equal(tt->transfer_s[tt->transfer_start[s2] + 1], 180);
    assert_int_equal(s.transfers_ignored, 2);
    assert_timetable_ok(tt);
    pl_timetable_free(tt);
    pl_ctx_free(ctx);
}

/* The same feed as a folder, a zip and a zip of a folder loads the same. */
static void test_zip_folder_same(void **state)
{
    (void)state;
    pl_ctx *ctx = pl_ctx_new();
    pl_timetable *a = load_ok(ctx, write_feed("same-dir", NULL, 0), "2024-05-14", NULL);
    pl_timetable *b = load_ok(ctx, write_feed("same-zip", NULL, 1), "2024-05-14", NULL);
    const char *d = scratch_dir("gtfs-same-sub");
    char feed[4200];
    snprintf(feed, sizeof feed, "%s/sub.zip", d);
    for (size_t i = 0; i < N_BASE; i++) {
        char path[4400];
        snprintf(path, sizeof path, "/vsizip/%s/gtfs/%s", feed, base_files[i].name);
        put_file(path, base_files[i].text);
    }
    pl_timetable *c = load_ok(ctx, feed, "2024-05-14", NULL);
    for (int k = 0; k < 2; k++) {
        const pl_timetable *x = k ? c : b;
        assert_int_equal(a->n_stops, x->n_stops);
        assert_int_equal(a->n_trips, x->n_trips);
        assert_memory_equal(a->trip_arr, x->trip_arr, 4 * sizeof *a->trip_arr);
        assert_memory_equal(a->pattern_stops, x->pattern_stops, 4 * sizeof *a->pattern_stops);
    }
    pl_timetable_free(a);
    pl_timetable_free(b);
    pl_timetable_free(c);
    pl_ctx_free(ctx);
}

/* ---------- counted warnings ---------- */

/* A stop at 0,0 is skipped and its stop time dropped; the trip's times are interpolated
 * without it (S3 at 08:06:00, 3/4 of the way from S1 to S4). */
static void test_warn_stop_at_zero(void **state)
{
    (void)state;
    const gf over[] = {{"stops.txt", "stop_id,stop_name,stop_lat,stop_lon\n"
                                     "S1,One,59.00,18.0\nS2,Two,0,0\nS3,Three,59.03,18.0\nS4,Four,59.04,18.0\n"
                                     "S9,Nowhere,,\n"},
                       {NULL, NULL}};
    pl_ctx *ctx = pl_ctx_new();
    pl_gtfs_stats s;
    pl_timetable *tt = load_ok(ctx, write_feed("zero", over, 0), "2024-05-14", &s);
    assert_int_equal(tt->n_stops, 3);
    assert_int_equal(pl_warn_count(ctx, "gtfs-stop-without-coordinates"), 2);
    assert_int_equal(pl_warn_count(ctx, "gtfs-stop-times-dropped"), 1);
    assert_int_equal(s.stop_times_dropped, 1);
    assert_int_equal(tt->pattern_stop_start[1], 3);
    assert_int_equal(arr_at(tt, "T1", 1), HMS(8, 6, 0));
    pl_timetable_free(tt);
    pl_ctx_free(ctx);
}

/* Trips dropped with a counted warning: one stop, times backwards, no time at an end,
 * stop_sequence twice. The good trip T1 stays. */
static void test_warn_trips_dropped(void **state)
{
    (void)state;
    const gf over[] = {{"trips.txt", "route_id,service_id,trip_id\nR1,WK,T1\nR1,WK,ONE\nR1,WK,BACK\nR1,WK,BACK2\n"
                                     "R1,WK,NOEND\nR1,WK,TWICE\n"},
                       {"stop_times.txt", "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
                                          "T1,08:00:00,08:00:00,S1,1\nT1,08:08:00,08:08:00,S4,2\n"
                                          "ONE,08:00:00,08:00:00,S1,1\n"
                                          "BACK,08:00:00,08:00:00,S1,1\nBACK,07:59:00,07:59:00,S2,2\n"
                                          "BACK2,08:00:00,08:05:00,S1,1\nBACK2,08:10:00,08:09:00,S2,2\n"
                                          "NOEND,08:00:00,08:00:00,S1,1\nNOEND,,,S2,2\n"
                                          "TWICE,08:00:00,08:00:00,S1,1\nTWICE,08:05:00,08:05:00,S2,1\n"},
                       {NULL, NULL}};
    pl_ctx *ctx = pl_ctx_new();
    pl_gtfs_stats s;
    pl_timetable *tt = load_ok(ctx, write_feed("dropped", over, 0), "2024-05-14", &s);
    assert_int_equal(tt->n_trips, 1);
    assert_true(has_trip(tt, "T1"));
    assert_int_equal(s.trips_dropped, 5);
    assert_int_equal(pl_warn_count(ctx, "gtfs-trip-one-stop"), 1);
    assert_int_equal(pl_warn_count(ctx, "gtfs-times-backwards"), 2);
    assert_int_equal(pl_warn_count(ctx, "gtfs-trip-dropped"), 2);
    pl_timetable_free(tt);
    pl_ctx_free(ctx);
}

/* Duplicate ids (first kept), references to ids that do not exist, ids nothing uses. */
static void test_warn_ids(void **state)
{
    (void)state;
    const gf over[] = {{"stops.txt", "stop_id,stop_name,stop_lat,stop_lon\n"
                                     "S1,One,59.00,18.0\nS2,Two,59.01,18.0\nS3,Three,59.03,18.0\nS4,Four,59.04,18.0\n"
                                     "S1,Again,60.0,18.0\n"},
                       {"routes.txt", "route_id,route_short_name,route_long_name,route_type\nR1,1,,3\nR1,2,,3\nR3,3,,3\n"},
                       {"trips.txt", "route_id,service_id,trip_id\nR1,WK,T1\nR1,NOSUCH,T2\nR1,WK,T1\nR1,WK,EMPTY\n"},
                       {"stop_times.txt", "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
                                          "T1,08:00:00,08:00:00,S1,1\nT1,08:04:00,08:04:00,SX,2\n"
                                          "T1,08:08:00,08:08:00,S4,3\nTX,08:00:00,08:00:00,S1,1\n"},
                       {NULL, NULL}};
    pl_ctx *ctx = pl_ctx_new();
    pl_timetable *tt = load_ok(ctx, write_feed("ids", over, 0), "2024-05-14", NULL);
    assert_int_equal(pl_warn_count(ctx, "gtfs-duplicate-id"), 3);
    assert_int_equal(pl_warn_count(ctx, "gtfs-unknown-id"), 3); /* NOSUCH, SX, TX */
    /* T2 and EMPTY have no stop times, no trip calls at S2 and S3, route R3 has no trips */
    assert_int_equal(pl_warn_count(ctx, "gtfs-unused-id"), 5);
    assert_int_equal(tt->n_trips, 1);
    assert_string_equal(tt->stop_name[stop_index(tt, "S1")], "One");
    assert_int_equal(tt->pattern_stop_start[1], 2);
    pl_timetable_free(tt);
    pl_ctx_free(ctx);
}

/* A station used in stop_times becomes a stop (counted); an entrance there is dropped
 * (counted); a route_type with no basic mode is kept as given (counted). */
static void test_warn_station_and_route_type(void **state)
{
    (void)state;
    const gf over[] = {{"stops.txt", "stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station\n"
                                     "S1,One,59.00,18.0,,\nST,Station,59.04,18.0,1,\nE1,Entrance,59.041,18.0,2,ST\n"},
                       {"routes.txt", "route_id,route_short_name,route_long_name,route_type\nR1,1,,1100\n"},
                       {"stop_times.txt", "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
                                          "T1,08:00:00,08:00:00,S1,1\nT1,08:05:00,08:05:00,E1,2\n"
                                          "T1,08:08:00,08:08:00,ST,3\n"},
                       {NULL, NULL}};
    pl_ctx *ctx = pl_ctx_new();
    pl_timetable *tt = load_ok(ctx, write_feed("station", over, 0), "2024-05-14", NULL);
    assert_int_equal(pl_warn_count(ctx, "gtfs-station-in-stop-times"), 1);
    assert_int_equal(pl_warn_count(ctx, "gtfs-unknown-id"), 1);
    assert_int_equal(pl_warn_count(ctx, "gtfs-route-type-unknown"), 1);
    assert_int_equal(tt->n_stops, 2);
    assert_int_equal(tt->route_type[0], 1100);
    assert_int_equal(tt->pattern_stops[1], stop_index(tt, "ST"));
    assert_timetable_ok(tt);
    pl_timetable_free(tt);
    pl_ctx_free(ctx);
}

/* ---------- refused ---------- */

static void test_bad_missing_file(void **state)
{
    (void)state;
    const gf over[] = {{"stop_times.txt", NULL}, {NULL, NULL}};
    const char *feed = write_feed("nofile", over, 1);
    const char *m = load_refused(feed, "2024-05-14");
    assert_contains(m, "feed.zip: stop_times.txt is missing; a GTFS feed needs");
    const gf over2[] = {{"calendar.txt", NULL}, {NULL, NULL}};
    m = load_refused(write_feed("nocal", over2, 0), "2024-05-14");
    assert_contains(m, "calendar_dates.txt is missing");
}

static void test_bad_missing_column(void **state)
{
    (void)state;
    const gf over[] = {{"stop_times.txt", "trip_id,arrival_time,departure_time,stop_id\nT1,08:00:00,08:00:00,S1\n"},
                       {NULL, NULL}};
    const char *m = load_refused(write_feed("nocol", over, 0), "2024-05-14");
    assert_contains(m, "feed:stop_times.txt: line 1: column 'stop_sequence' is missing; add it");
    const gf over2[] = {{"stops.txt", ""}, {NULL, NULL}};
    m = load_refused(write_feed("emptyfile", over2, 1), "2024-05-14");
    assert_contains(m, "feed.zip:stops.txt: line 1: the file is empty (no header line)");
}

static void test_bad_time(void **state)
{
    (void)state;
    const gf over[] = {{"stop_times.txt", "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
                                          "T1,08:00:00,08:00:00,S1,1\n\"T1\",\"8:6x:00\",,S2,2\n"},
                       {NULL, NULL}};
    const char *m = load_refused(write_feed("badtime", over, 1), "2024-05-14");
    assert_contains(m, "feed.zip:stop_times.txt: line 3: arrival_time '8:6x:00' is not a time HH:MM:SS; fix the feed");
    const gf over2[] = {{"calendar.txt", "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
                                         "start_date,end_date\nWK,1,1,1,1,1,0,0,2024-01-01,20241231\n"},
                        {NULL, NULL}};
    m = load_refused(write_feed("baddate", over2, 0), "2024-05-14");
    assert_contains(m, "feed:calendar.txt: line 2: start_date '2024-01-01' is not a date YYYYMMDD");
}

static void test_bad_unknown_route(void **state)
{
    (void)state;
    const gf over[] = {{"trips.txt", "route_id,service_id,trip_id\nR1,WK,T1\nR9,WK,T2\n"}, {NULL, NULL}};
    const char *m = load_refused(write_feed("noroute", over, 0), "2024-05-14");
    assert_contains(m, "feed:trips.txt: line 3: trip 'T2' has route_id 'R9', which routes.txt does not list");
}

static void test_bad_date_outside_feed(void **state)
{
    (void)state;
    const gf over[] = {{"calendar_dates.txt", "service_id,date,exception_type\nX,20250105,1\n"}, {NULL, NULL}};
    const char *feed = write_feed("range", over, 0);
    const char *m = load_refused(feed, "2025-06-01");
    assert_contains(m, "feed: the date 2025-06-01 is outside the feed's service dates 2024-01-01 to 2025-01-05; "
                       "choose a date in that range");
    m = load_refused(feed, "2023-12-31");
    assert_contains(m, "2023-12-31 is outside");
    m = load_refused(feed, "14/05/2024");
    assert_contains(m, "date '14/05/2024' is not a date YYYY-MM-DD");
    m = load_refused(feed, "2024-02-30");
    assert_contains(m, "is not a date YYYY-MM-DD");
}

static void test_bad_not_a_feed(void **state)
{
    (void)state;
    const char *d = scratch_dir("gtfs-notfeed");
    const char *m = load_refused("build/test-tmp/gtfs-notfeed/none.zip", "2024-05-14");
    assert_contains(m, "none.zip: no such file or folder; give a GTFS .zip or a folder");
    const char *txt = write_text_file(d, "feed.zip", "not a zip\n");
    m = load_refused(txt, "2024-05-14");
    assert_contains(m, "feed.zip: not a zip archive");
}

static void test_bad_unclosed_quote(void **state)
{
    (void)state;
    const gf over[] = {{"stops.txt", "stop_id,stop_name,stop_lat,stop_lon\nS1,\"One,59.00,18.0\nS2,Two,59.01,18.0\n"},
                       {NULL, NULL}};
    const char *m = load_refused(write_feed("quote", over, 0), "2024-05-14");
    assert_contains(m, "feed:stops.txt: line 2: a quoted field is not closed");
}

/* ---------- real feeds ---------- */

/* SJ's long-distance rail (CC0), Tuesday 2023-11-28; counts from count_feed.py (see the top). */
static void test_real_sj(void **state)
{
    (void)state;
    pl_ctx *ctx = pl_ctx_new();
    pl_gtfs_stats s;
    pl_timetable *tt = load_ok(ctx, real_data("gtfs/sj-gtfs-2023.zip"), "2023-11-28", &s);
    assert_int_equal(tt->n_stops, 412);  /* 436 platforms less 24 at 0,0 */
    assert_int_equal(s.stops_skipped, 24);
    assert_int_equal(pl_warn_count(ctx, "gtfs-stop-without-coordinates"), 24);
    assert_int_equal(pl_warn_count(ctx, "gtfs-unused-id"), 210); /* platforms with coordinates, no stop_times */
    assert_int_equal(tt->n_trips, 531);
    assert_int_equal(s.trips_previous_day, 35);
    assert_int_equal(tt->n_patterns, 495);
    assert_int_equal(tt->n_routes, 797);
    assert_int_equal(tt->n_transfers, 859);
    assert_int_equal(s.stop_times_read, 20370);
    assert_int_equal(s.transfers_ignored, 178);
    assert_int_equal(tt->route_type[0], 2); /* 100 railway */
    assert_timetable_ok(tt);
    pl_timetable_free(tt);
    pl_ctx_free(ctx);
}

/* TRENSURB (Porto Alegre metro/suburban rail), Monday 2019-05-13. */
static void test_real_trensurb(void **state)
{
    (void)state;
    pl_ctx *ctx = pl_ctx_new();
    pl_gtfs_stats s;
    pl_timetable *tt = load_ok(ctx, real_data("gtfs/poa_trensurb.zip"), "2019-05-13", &s);
    assert_int_equal(tt->n_stops, 24);
    assert_int_equal(tt->n_trips, 529);
    assert_int_equal(tt->n_patterns, 21);
    assert_int_equal(tt->n_routes, 2);
    assert_int_equal(s.stop_times_read, 14855);
    assert_int_equal(pl_warn_total(ctx), 0);
    assert_timetable_ok(tt);
    pl_timetable_free(tt);
    pl_ctx_free(ctx);
}

/* PLATSA_GTFS_SUMMARY="DATE FEED [FEED ...]": prints what the loader made of the feeds. */
static void test_summary_from_env(void **state)
{
    (void)state;
    const char *env = getenv("PLATSA_GTFS_SUMMARY");
    if (!env) skip();
    char buf[8192];
    snprintf(buf, sizeof buf, "%s", env);
    char *args[64];
    size_t n = 0;
    for (char *tok = strtok(buf, " "); tok && n < 64; tok = strtok(NULL, " ")) args[n++] = tok;
    assert_true(n >= 2);
    pl_ctx *ctx = pl_ctx_new();
    pl_error err = {0};
    pl_timetable *tt = NULL;
    pl_gtfs_stats s;
    int rc = pl_gtfs_load(ctx, (const char *const *)args + 1, n - 1, args[0], NULL, &tt, &s, &err);
    if (rc) fail_msg("%s", err.msg);
    printf("date %s: stops %u, routes %u, patterns %u, trips %u, transfers %zu\n", tt->service_date, tt->n_stops,
           tt->n_routes, tt->n_patterns, tt->n_trips, tt->n_transfers);
    printf("stops.txt rows %ld (skipped %ld), stop_times rows %ld (dropped %ld, interpolated %ld), trips running "
           "%ld (+%ld from the day before, %ld from frequencies, %ld dropped), patterns split %ld, transfers "
           "ignored %ld\n", s.stops_read, s.stops_skipped, s.stop_times_read, s.stop_times_dropped,
           s.times_interpolated, s.trips_active, s.trips_previous_day, s.trips_from_frequencies, s.trips_dropped,
           s.patterns_split, s.transfers_ignored);
    pl_warn_summary(ctx);
    assert_timetable_ok(tt);
    pl_timetable_free(tt);
    pl_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_time),
        cmocka_unit_test(test_route_types),
        cmocka_unit_test(test_interpolation_by_distance),
        cmocka_unit_test(test_interpolation_by_shape_dist),
        cmocka_unit_test(test_csv_quirks),
        cmocka_unit_test(test_calendar_exceptions),
        cmocka_unit_test(test_previous_day_past_midnight),
        cmocka_unit_test(test_frequencies),
        cmocka_unit_test(test_overtaking_split),
        cmocka_unit_test(test_random_patterns),
        cmocka_unit_test(test_multi_feed),
        cmocka_unit_test(test_transfers),
        cmocka_unit_test(test_zip_folder_same),
        cmocka_unit_test(test_warn_stop_at_zero),
        cmocka_unit_test(test_warn_trips_dropped),
        cmocka_unit_test(test_warn_ids),
        cmocka_unit_test(test_warn_station_and_route_type),
        cmocka_unit_test(test_bad_missing_file),
        cmocka_unit_test(test_bad_missing_column),
        cmocka_unit_test(test_bad_time),
        cmocka_unit_test(test_bad_unknown_route),
        cmocka_unit_test(test_bad_date_outside_feed),
        cmocka_unit_test(test_bad_not_a_feed),
        cmocka_unit_test(test_bad_unclosed_quote),
        cmocka_unit_test(test_real_sj),
        cmocka_unit_test(test_real_trensurb),
        cmocka_unit_test(test_summary_from_env),
    };
    if (getenv("PLATSA_GTFS_SUMMARY")) cmocka_set_test_filter("test_summary_from_env");
    return cmocka_run_group_tests_name("gtfs", tests, NULL, NULL);
}
