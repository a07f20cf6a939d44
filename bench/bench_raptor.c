/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Public-transport routing benchmark (gis/raptor.c) on a synthetic county-sized timetable,
 * generated deterministically:
 *
 *   stops     a 125 x 120 grid, 400 m apart (50 x 48 km): 15,000 stops
 *   patterns  750 bus lines of 20 stops each, both directions: 1,500 patterns; a line starts at a
 *             random stop and goes 1-2 cells a step in one of 8 directions (bouncing at the edge)
 *   trips     40 per pattern, 05:00-23:00, headway 27 min with a random offset: 60,000 trips;
 *             25 km/h between stops plus 20 s dwell, rounded to whole minutes like GTFS
 *   footpaths each stop to its 8 neighbours (400 or 566 m at 1.3 m/s) and a 60 s change time
 *
 * Times (CPU seconds of the one thread; the whole run's wall time last):
 *   forward   one RAPTOR search from a stop at 07:30, mean over 200 stops (no limit, and 8 rounds)
 *   range     range RAPTOR 07:00-09:00 (120 departure minutes) for one origin with 5 access
 *             legs, mean over 20 origins
 *   profile   the backward profile search from 300 services (3 egress legs each), departures
 *             07:00-09:00, arrivals until 11:20; then 30,000 origins (5 access legs each)
 *             evaluated for all 120 minutes and their median taken
 * and prints one line per figure; last, 10 origins' times from the profile are checked against
 * forward range searches. Peak memory: run it under /usr/bin/time -v.
 *
 * usage: bench_raptor [--seed S] [--homes N] [--targets N] [--rounds K] [--scale K]
 *   --scale K   K times the side of the grid (K^2 the stops, lines and trips) for a larger region */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../gis/raptor.h"

#define SPACING 400.0
#define LINE_STOPS 20
#define TRIPS 40

static uint64_t rng = 42;
static int GW = 125, GH = 120, LINES = 750; /* --scale K multiplies each side by K */

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

/* Process CPU seconds: the searches run on one thread, so this is their time on an idle core
 * whatever else shares the machine (the wall time of the whole run is printed last). */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint32_t stop_at(int x, int y)
{
    return (uint32_t)(y * GW + x);
}

/* One line's stops: a bouncing walk of 1-2 cells a step in one direction. */
static void line_stops(uint32_t *st)
{
    int x = (int)rnd(GW), y = (int)rnd(GH), dx, dy;
    do {
        dx = (int)rnd(3) - 1;
        dy = (int)rnd(3) - 1;
    } while (!dx && !dy);
    for (int i = 0; i < LINE_STOPS; i++) {
        st[i] = stop_at(x, y);
        int step = 1 + (int)rnd(2);
        if (x + dx * step < 0 || x + dx * step >= GW) dx = -dx;
        if (y + dy * step < 0 || y + dy * step >= GH) dy = -dy;
        x += dx * step;
        y += dy * step;
    }
}

static double dist(uint32_t a, uint32_t b)
{
    double dx = (double)((int)(a % GW) - (int)(b % GW)), dy = (double)((int)(a / GW) - (int)(b / GW));
    return SPACING * __builtin_sqrt(dx * dx + dy * dy);
}

static pl_timetable *synth(void)
{
    pl_timetable *tt = calloc(1, sizeof *tt);
    uint32_t n = (uint32_t)(GW * GH), np = 2 * (uint32_t)LINES, nps = np * LINE_STOPS, nt = np * TRIPS;
    tt->n_stops = n;
    tt->n_patterns = np;
    tt->n_trips = nt;
    tt->pattern_stop_start = malloc((np + 1) * sizeof(uint32_t));
    tt->pattern_stops = malloc(nps * sizeof(uint32_t));
    tt->pattern_stop_flags = calloc(nps, 1);
    tt->pattern_trip_start = malloc((np + 1) * sizeof(uint32_t));
    tt->trip_time_start = malloc(nt * sizeof(uint32_t));
    tt->trip_arr = malloc((size_t)nt * LINE_STOPS * sizeof(int32_t));
    tt->trip_dep = malloc((size_t)nt * LINE_STOPS * sizeof(int32_t));
    for (uint32_t l = 0; l < (uint32_t)LINES; l++) {
        uint32_t st[LINE_STOPS];
        line_stops(st);
        for (uint32_t d = 0; d < 2; d++) {
            uint32_t p = 2 * l + d;
            tt->pattern_stop_start[p] = p * LINE_STOPS;
            for (uint32_t i = 0; i < LINE_STOPS; i++)
                tt->pattern_stops[p * LINE_STOPS + i] = st[d ? LINE_STOPS - 1 - i : i];
            int32_t offset = (int32_t)rnd(27 * 60);
            tt->pattern_trip_start[p] = p * TRIPS;
            for (uint32_t k = 0; k < TRIPS; k++) {
                uint32_t t = p * TRIPS + k;
                tt->trip_time_start[t] = t * LINE_STOPS;
                int32_t time = 5 * 3600 + offset + (int32_t)k * 27 * 60;
                time -= time % 60;
                int32_t *a = tt->trip_arr + (size_t)t * LINE_STOPS, *dp = tt->trip_dep + (size_t)t * LINE_STOPS;
                for (uint32_t i = 0; i < LINE_STOPS; i++) {
                    const uint32_t *ps = tt->pattern_stops + p * LINE_STOPS;
                    if (i > 0) time += (int32_t)((dist(ps[i - 1], ps[i]) / (25 / 3.6) + 20 + 30) / 60) * 60;
                    a[i] = dp[i] = time;
                }
            }
        }
    }
    tt->pattern_stop_start[np] = nps;
    tt->pattern_trip_start[np] = nt;
    /* Stop -> patterns. */
    tt->stop_pattern_start = calloc(n + 1, sizeof(uint32_t));
    tt->stop_patterns = malloc(nps * sizeof(uint32_t));
    tt->stop_pattern_pos = malloc(nps * sizeof(uint32_t));
    for (uint32_t i = 0; i < nps; i++) tt->stop_pattern_start[tt->pattern_stops[i] + 1]++;
    for (uint32_t s = 0; s < n; s++) tt->stop_pattern_start[s + 1] += tt->stop_pattern_start[s];
    uint32_t *fill = malloc((n + 1) * sizeof *fill);
    memcpy(fill, tt->stop_pattern_start, (n + 1) * sizeof *fill);
    for (uint32_t p = 0; p < np; p++)
        for (uint32_t i = 0; i < LINE_STOPS; i++) {
            uint32_t s = tt->pattern_stops[p * LINE_STOPS + i];
            tt->stop_patterns[fill[s]] = p;
            tt->stop_pattern_pos[fill[s]++] = i;
        }
    free(fill);
    /* Footpaths: the 8 neighbours and the stop itself. */
    tt->transfer_start = malloc((n + 1) * sizeof(uint32_t));
    tt->transfer_to = malloc((size_t)n * 9 * sizeof(uint32_t));
    tt->transfer_s = malloc((size_t)n * 9 * sizeof(int32_t));
    size_t m = 0;
    for (uint32_t s = 0; s < n; s++) {
        tt->transfer_start[s] = (uint32_t)m;
        int x = (int)(s % GW), y = (int)(s / GW);
        for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++) {
                if (x + dx < 0 || x + dx >= GW || y + dy < 0 || y + dy >= GH) continue;
                uint32_t u = stop_at(x + dx, y + dy);
                tt->transfer_to[m] = u;
                tt->transfer_s[m++] = u == s ? 60 : (int32_t)(dist(s, u) / 1.3);
            }
    }
    tt->transfer_start[n] = (uint32_t)m;
    tt->n_transfers = m;
    return tt;
}

/* n legs to random stops within 2 cells of a random point, walk at 1.3 m/s. */
static void legs_near(pl_raptor_leg *legs, int n)
{
    int x = (int)rnd(GW - 4) + 2, y = (int)rnd(GH - 4) + 2;
    for (int i = 0; i < n; i++) {
        uint32_t s = stop_at(x + (int)rnd(5) - 2, y + (int)rnd(5) - 2);
        legs[i].stop = s;
        legs[i].walk_s = 60 + (int32_t)(dist(s, stop_at(x, y)) / 1.3);
    }
}

int main(int argc, char **argv)
{
    int homes = 30000, targets = 300, rounds = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--seed")) rng = strtoull(argv[i + 1], NULL, 10) | 1;
        else if (!strcmp(argv[i], "--homes")) homes = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--targets")) targets = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--rounds")) rounds = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--scale")) {
            int k = atoi(argv[i + 1]);
            if (k < 1 || k > 8) { fprintf(stderr, "bench_raptor: --scale 1..8\n"); return 2; }
            GW *= k;
            GH *= k;
            LINES *= k * k;
        }
        else { fprintf(stderr, "bench_raptor: unknown option %s\n", argv[i]); return 2; }
    }
    double t = now(), w0 = wall();
    pl_timetable *tt = synth();
    pl_error err = {0};
    pl_raptor *r = pl_raptor_new(tt, &err);
    if (!r) { fprintf(stderr, "bench_raptor: %s\n", err.msg); return 2; }
    printf("timetable: %u stops, %u patterns, %u trips, %zu stop times, %zu footpaths; built and checked in %.3f s\n",
           tt->n_stops, tt->n_patterns, tt->n_trips, (size_t)tt->n_trips * LINE_STOPS, tt->n_transfers, now() - t);

    pl_raptor_opts o;
    pl_raptor_opts_default(&o);
    for (int k = 0; k <= 8; k += 8) {
        o.max_rounds = k;
        t = now();
        long reached = 0;
        for (int q = 0; q < 200; q++) {
            pl_raptor_leg src = {rnd(tt->n_stops), 0};
            pl_raptor_run(r, &src, 1, 7 * 3600 + 1800, &o, &err);
            const int32_t *a = pl_raptor_arrivals(r);
            for (uint32_t s = 0; s < tt->n_stops; s++) reached += a[s] != PL_TT_NEVER;
        }
        printf("forward (rounds %s): %.2f ms per search, %.0f stops reached on average\n", k ? "8" : "unlimited",
               (now() - t) / 200 * 1e3, (double)reached / 200);
    }

    o.max_rounds = rounds;
    int32_t t0 = 7 * 3600, t1 = 9 * 3600;
    size_t nm = pl_raptor_n_minutes(t0, t1);
    int32_t *arr = malloc(nm * tt->n_stops * sizeof *arr);
    t = now();
    for (int q = 0; q < 20; q++) {
        pl_raptor_leg acc[5];
        legs_near(acc, 5);
        pl_raptor_range(r, acc, 5, t0, t1, &o, arr, &err);
    }
    double range_s = (now() - t) / 20;
    printf("range 07:00-09:00 (%zu minutes, rounds %d): %.1f ms per origin; %d origins forward would take %.0f s\n",
           nm, rounds, range_s * 1e3, homes, range_s * homes);
    free(arr);

    pl_raptor_leg *eg = malloc((size_t)targets * 3 * sizeof *eg);
    for (int i = 0; i < targets; i++) legs_near(eg + 3 * i, 3);
    t = now();
    pl_raptor_profile *p = pl_raptor_profile_new(r, eg, (size_t)targets * 3, t0, 11 * 3600 + 1200, &o, &err);
    if (!p) { fprintf(stderr, "bench_raptor: %s\n", err.msg); return 2; }
    double prof_s = now() - t;
    printf("profile search from %d services (%d egress legs), rounds %d: %.3f s, %zu profile entries (%.1f per stop)\n",
           targets, targets * 3, rounds, prof_s, pl_raptor_profile_size(p),
           (double)pl_raptor_profile_size(p) / tt->n_stops);
    int32_t *times = malloc(nm * sizeof *times);
    long never = 0;
    double sum_median = 0;
    t = now();
    for (int h = 0; h < homes; h++) {
        pl_raptor_leg acc[5];
        legs_near(acc, 5);
        pl_raptor_profile_times(p, acc, 5, t0, t1, times);
        int32_t med = pl_raptor_percentile(times, nm, 50);
        if (med == PL_TT_NEVER) never++;
        else sum_median += med;
    }
    double eval_s = now() - t;
    printf("evaluate %d origins x %zu minutes + median: %.3f s (%.1f us per origin); mean median %.1f min, %ld with none\n",
           homes, nm, eval_s, eval_s / homes * 1e6, sum_median / (double)(homes - never) / 60, never);
    printf("nearest service for %d origins: %.3f s (profile %.3f + evaluation %.3f), vs %.0f s forward\n", homes,
           prof_s + eval_s, prof_s, eval_s, range_s * homes);
    /* Cross-check at scale: the forward range search from a few origins gives the same times. */
    int32_t *fw = malloc(nm * tt->n_stops * sizeof *fw);
    long compared = 0, differ = 0;
    for (int h = 0; h < 10; h++) {
        pl_raptor_leg acc[5];
        legs_near(acc, 5);
        pl_raptor_profile_times(p, acc, 5, t0, t1, times);
        o.arrive_by = 11 * 3600 + 1200;
        pl_raptor_range(r, acc, 5, t0, t1, &o, fw, &err);
        o.arrive_by = PL_TT_NEVER;
        for (size_t m = 0; m < nm; m++) {
            int64_t best = PL_TT_NEVER, d = t0 + (int64_t)m * 60;
            for (int i = 0; i < targets * 3; i++) {
                int32_t a = fw[m * tt->n_stops + eg[i].stop];
                if (a != PL_TT_NEVER && a + eg[i].walk_s < best) best = a + eg[i].walk_s;
            }
            int32_t want = best > 11 * 3600 + 1200 ? PL_TT_NEVER : (int32_t)(best - d);
            compared++;
            differ += want != times[m];
        }
    }
    printf("check: %ld origin-minutes, profile vs forward range: %ld differ\n", compared, differ);
    printf("whole run: %.1f s CPU, %.1f s wall\n", now(), wall() - w0);
    free(fw);
    free(times);
    free(eg);
    pl_raptor_profile_free(p);
    pl_raptor_free(r);
    pl_timetable_free(tt);
    return 0;
}
