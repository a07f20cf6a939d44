/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Public-transport routing (gis/raptor.c): hand-checked cases on small timetables, and a
 * property test against a brute-force reference on random timetables: forward RAPTOR, range
 * RAPTOR per minute and the backward profile search must equal it at every stop and minute. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../gis/raptor.h"
#include "support/tt_build.h"

#define NEVER PL_TT_NEVER
#define HM(h, m) ((h) * 3600 + (m) * 60)

static pl_raptor *new_ws(const pl_timetable *tt)
{
    pl_error err = {0};
    pl_raptor *r = pl_raptor_new(tt, &err);
    if (!r) fail_msg("pl_raptor_new: %s", err.msg);
    return r;
}

static pl_raptor_opts opts(int max_rounds)
{
    pl_raptor_opts o;
    pl_raptor_opts_default(&o);
    o.max_rounds = max_rounds;
    return o;
}

/* Forward search from one stop at a time; returns the arrivals (workspace-owned). */
static const int32_t *from_stop(pl_raptor *r, uint32_t stop, int32_t t, int max_rounds)
{
    pl_raptor_leg src = {stop, 0};
    pl_raptor_opts o = opts(max_rounds);
    pl_error err = {0};
    assert_int_equal(pl_raptor_run(r, &src, 1, t, &o, &err), PL_OK);
    return pl_raptor_arrivals(r);
}

/* ---------- hand-checked cases ---------- */

/* Line A 0->1, line B 1->2; stop 1 has a 3-minute change time. */
static const char *TRANSFER_TT =
    "stops 4\n"
    "pattern 0 1\n"
    "trip 08:00 08:10\n"
    "pattern 1 2\n"
    "trip 08:12 08:30\n"
    "trip 08:45 09:00\n"
    "transfer 1 1 180\n";

static void test_transfer_needed(void **state)
{
    (void)state;
    pl_timetable *tt = tt_from_text(TRANSFER_TT);
    pl_raptor *r = new_ws(tt);
    const int32_t *a = from_stop(r, 0, HM(7, 58), 0);
    assert_int_equal(a[0], HM(7, 58));   /* the source itself */
    assert_int_equal(a[1], HM(8, 10));
    assert_int_equal(a[2], HM(9, 0));    /* 08:10 + 3 min misses 08:12 */
    assert_int_equal(a[3], NEVER);       /* no connection */
    a = from_stop(r, 0, HM(7, 58), 1);   /* one vehicle only: no transfer */
    assert_int_equal(a[1], HM(8, 10));
    assert_int_equal(a[2], NEVER);
    a = from_stop(r, 0, HM(8, 1), 0);    /* the only A trip has left */
    assert_int_equal(a[1], NEVER);
    assert_int_equal(a[2], NEVER);
    a = from_stop(r, 1, HM(8, 12), 0);   /* a source boards at once, without the change time */
    assert_int_equal(a[2], HM(8, 30));
    pl_raptor_free(r);
    pl_timetable_free(tt);

    /* Without a change time at stop 1 the 08:12 is caught (and 0 s is the default). */
    tt = tt_from_text("stops 3\npattern 0 1\ntrip 08:00 08:10\npattern 1 2\ntrip 08:10 08:30\ntrip 08:45 09:00\n");
    r = new_ws(tt);
    a = from_stop(r, 0, HM(8, 0), 0);
    assert_int_equal(a[2], HM(8, 30));
    pl_raptor_free(r);
    pl_timetable_free(tt);
}

static void test_faster_later_trip(void **state)
{
    (void)state;
    pl_timetable *tt = tt_from_text("stops 3\n"
                                    "pattern 0 2 1\n"
                                    "trip 08:00 08:30 09:00\n"        /* slow, stops at 2 */
                                    "pattern 0 1\n"
                                    "trip 08:20 08:40\n");            /* express, later */
    pl_raptor *r = new_ws(tt);
    const int32_t *a = from_stop(r, 0, HM(7, 55), 0);
    assert_int_equal(a[1], HM(8, 40));
    assert_int_equal(a[2], HM(8, 30));
    a = from_stop(r, 0, HM(8, 21), 0);
    assert_int_equal(a[1], NEVER);
    pl_raptor_free(r);
    pl_timetable_free(tt);
}

static void test_past_midnight(void **state)
{
    (void)state;
    pl_timetable *tt = tt_from_text("stops 3\n"
                                    "pattern 0 1 2\n"
                                    "trip 23:50 24:20 25:05\n"
                                    "trip 23:20 23:50 24:35\n");   /* given out of order */
    pl_raptor *r = new_ws(tt);
    const int32_t *a = from_stop(r, 0, HM(23, 45), 0);
    assert_int_equal(a[1], HM(24, 20));
    assert_int_equal(a[2], HM(25, 5));
    a = from_stop(r, 1, HM(23, 45), 0);
    assert_int_equal(a[2], HM(24, 35));
    /* Range over 23:19-23:52: the 23:20 until 23:20, then the 23:50. */
    size_t nm = pl_raptor_n_minutes(HM(23, 19), HM(23, 52));
    assert_int_equal(nm, 33);
    int32_t *arr = malloc(nm * 3 * sizeof *arr);
    pl_raptor_leg src = {0, 0};
    pl_raptor_opts o = opts(0);
    pl_error err = {0};
    assert_int_equal(pl_raptor_range(r, &src, 1, HM(23, 19), HM(23, 52), &o, arr, &err), PL_OK);
    assert_int_equal(arr[0 * 3 + 2], HM(24, 35));
    assert_int_equal(arr[1 * 3 + 2], HM(24, 35));
    assert_int_equal(arr[2 * 3 + 2], HM(25, 5));
    assert_int_equal(arr[31 * 3 + 2], HM(25, 5));
    assert_int_equal(arr[32 * 3 + 2], NEVER);      /* 23:51: nothing left */
    assert_int_equal(arr[32 * 3 + 0], HM(23, 51)); /* the source */
    free(arr);
    pl_raptor_free(r);
    pl_timetable_free(tt);
}

/* Pick-up and drop-off rules, and a footpath between two stops. */
static void test_flags_and_footpath(void **state)
{
    (void)state;
    pl_timetable *tt = tt_from_text("stops 6\n"
                                    "pattern 0 1/d 2 3/p\n"          /* no drop-off at 1, no pick-up at 3 */
                                    "trip 08:00 08:05 08:10 08:15\n"
                                    "pattern 4 5\n"
                                    "trip 08:20 08:30\n"
                                    "transfer 2 4 300\n");
    pl_raptor *r = new_ws(tt);
    const int32_t *a = from_stop(r, 0, HM(8, 0), 0);
    assert_int_equal(a[1], NEVER);          /* passes 1 without letting anyone off */
    assert_int_equal(a[2], HM(8, 10));
    assert_int_equal(a[3], HM(8, 15));
    assert_int_equal(a[4], NEVER);          /* walked to, not arrived at by vehicle */
    assert_int_equal(a[5], HM(8, 30));      /* 08:10 + 5 min walk, 08:20 bus */
    a = from_stop(r, 3, HM(7, 0), 0);       /* no pick-up at 3 */
    assert_int_equal(a[2], NEVER);
    a = from_stop(r, 1, HM(7, 0), 0);       /* boarding at 1 is fine */
    assert_int_equal(a[2], HM(8, 10));
    pl_raptor_free(r);
    pl_timetable_free(tt);
}

/* A line every 10 minutes taking 5: travel time per departure minute, median, percentiles. */
static void test_range_minutes_and_percentiles(void **state)
{
    (void)state;
    pl_timetable *tt = tt_from_text("stops 2\npattern 0 1\n"
                                    "trip 08:00 08:05\ntrip 08:10 08:15\ntrip 08:20 08:25\ntrip 08:30 08:35\n");
    pl_raptor *r = new_ws(tt);
    size_t nm = pl_raptor_n_minutes(HM(8, 0), HM(8, 20));
    assert_int_equal(nm, 20);
    int32_t *arr = malloc(nm * 2 * sizeof *arr), tt_min[20];
    pl_raptor_leg src = {0, 120}; /* a two-minute walk to the stop */
    pl_raptor_opts o = opts(0);
    pl_error err = {0};
    assert_int_equal(pl_raptor_range(r, &src, 1, HM(8, 0), HM(8, 20), &o, arr, &err), PL_OK);
    pl_raptor_range_times(arr, 2, HM(8, 0), HM(8, 20), 1, tt_min);
    for (size_t m = 0; m < nm; m++) {
        int32_t d = HM(8, 0) + (int32_t)m * 60;
        /* at the stop at d + 2 min: the next departure at a multiple of 10 min */
        int32_t board = ((d + 120 + 599) / 600) * 600;
        assert_int_equal(arr[m * 2 + 1], board + 300);
        assert_int_equal(tt_min[m], board + 300 - d);
    }
    /* Minutes 15,14,...,7,16 twice over: sorted 7,7,8,8,...,16,16. */
    assert_int_equal(tt_min[0], 15 * 60);
    assert_int_equal(tt_min[9], 16 * 60);
    int32_t copy[20];
    memcpy(copy, tt_min, sizeof copy);
    assert_int_equal(pl_raptor_percentile(copy, 20, 50), 11 * 60);  /* sorted[ceil(10) - 1] */
    memcpy(copy, tt_min, sizeof copy);
    assert_int_equal(pl_raptor_percentile(copy, 20, 0), 7 * 60);
    memcpy(copy, tt_min, sizeof copy);
    assert_int_equal(pl_raptor_percentile(copy, 20, 100), 16 * 60);
    memcpy(copy, tt_min, sizeof copy);
    assert_int_equal(pl_raptor_percentile(copy, 20, 90), 15 * 60);  /* sorted[17] */
    memcpy(copy, tt_min, sizeof copy);
    assert_int_equal(pl_raptor_percentile(copy, 20, 91), 16 * 60);  /* sorted[ceil(18.2) - 1] */
    int32_t with_never[3] = {NEVER, 300, 600};
    assert_int_equal(pl_raptor_percentile(with_never, 3, 50), 600);
    assert_int_equal(pl_raptor_percentile(with_never, 3, 100), NEVER);
    assert_int_equal(pl_raptor_percentile(NULL, 0, 50), NEVER);
    free(arr);
    pl_raptor_free(r);
    pl_timetable_free(tt);
}

/* Backward profile on the transfer timetable: a target 1 min walk from stop 2. */
static void test_profile_hand(void **state)
{
    (void)state;
    pl_timetable *tt = tt_from_text(TRANSFER_TT);
    pl_raptor *r = new_ws(tt);
    pl_raptor_leg eg = {2, 60};
    pl_raptor_opts o = opts(0);
    pl_error err = {0};
    pl_raptor_profile *p = pl_raptor_profile_new(r, &eg, 1, HM(7, 0), HM(10, 0), &o, &err);
    assert_non_null(p);
    assert_int_equal(pl_raptor_profile_arrival(p, 0, HM(7, 30)), HM(9, 1)); /* via the 08:45 (change 3 min) */
    assert_int_equal(pl_raptor_profile_arrival(p, 0, HM(8, 1)), NEVER);
    assert_int_equal(pl_raptor_profile_arrival(p, 1, HM(8, 12)), HM(8, 31));
    assert_int_equal(pl_raptor_profile_arrival(p, 1, HM(8, 13)), HM(9, 1));
    assert_int_equal(pl_raptor_profile_arrival(p, 2, HM(8, 13)), HM(8, 14)); /* just the walk */
    assert_int_equal(pl_raptor_profile_arrival(p, 3, HM(8, 0)), NEVER);
    /* A home 2 min from stop 0 and 10 min from stop 1, 07:50-07:55. */
    pl_raptor_leg acc[2] = {{0, 120}, {1, 600}};
    int32_t times[5];
    pl_raptor_profile_times(p, acc, 2, HM(7, 50), HM(7, 55), times);
    for (int m = 0; m < 5; m++) assert_int_equal(times[m], HM(8, 31) - HM(7, 50) - 60 * m);
    pl_raptor_profile_free(p);
    /* One vehicle only: from 0 nothing. */
    o.max_rounds = 1;
    p = pl_raptor_profile_new(r, &eg, 1, HM(7, 0), HM(10, 0), &o, &err);
    assert_non_null(p);
    assert_int_equal(pl_raptor_profile_arrival(p, 0, HM(7, 30)), NEVER);
    assert_int_equal(pl_raptor_profile_arrival(p, 1, HM(8, 40)), HM(9, 1));
    pl_raptor_profile_free(p);
    /* Arrivals after 09:00 are outside: only the 08:12 counts. */
    o.max_rounds = 0;
    p = pl_raptor_profile_new(r, &eg, 1, HM(7, 0), HM(9, 0), &o, &err);
    assert_non_null(p);
    assert_int_equal(pl_raptor_profile_arrival(p, 1, HM(8, 0)), HM(8, 31));
    assert_int_equal(pl_raptor_profile_arrival(p, 1, HM(8, 13)), NEVER);
    pl_raptor_profile_free(p);
    pl_raptor_free(r);
    pl_timetable_free(tt);
}

/* A timetable RAPTOR cannot use is refused, as are legs to stops that do not exist. */
static void test_refused(void **state)
{
    (void)state;
    pl_error err = {0};
    pl_timetable *tt = tt_from_text("stops 3\npattern 0 1 2\ntrip 08:00 08:20 08:30\ntrip 08:05 08:10 08:40\n");
    assert_null(pl_raptor_new(tt, &err));
    assert_int_equal(err.code, PL_EINTERNAL);
    assert_non_null(strstr(err.msg, "overtakes"));
    pl_timetable_free(tt);
    tt = tt_from_text("stops 2\npattern 0 1\ntrip 08:10 08:00\n");
    assert_null(pl_raptor_new(tt, &err));
    assert_non_null(strstr(err.msg, "backwards"));
    pl_timetable_free(tt);
    tt = tt_from_text("stops 2\npattern 0 1\ntrip 08:00 08:10\n");
    pl_raptor *r = new_ws(tt);
    pl_raptor_leg bad = {2, 0};
    pl_raptor_opts o = opts(0);
    assert_int_equal(pl_raptor_run(r, &bad, 1, 0, &o, &err), PL_EINPUT);
    bad.stop = 0;
    bad.walk_s = -1;
    assert_null(pl_raptor_profile_new(r, &bad, 1, 0, 100000, &o, &err));
    assert_int_equal(err.code, PL_EINPUT);
    bad.walk_s = 0;
    o.max_rounds = -1;
    assert_int_equal(pl_raptor_run(r, &bad, 1, 0, &o, &err), PL_EINPUT);
    pl_raptor_free(r);
    pl_timetable_free(tt);
}

/* ---------- brute force ---------- */

/* Earliest arrival at every stop by rides: round k boards, from every stop ready after round
 * k-1, every trip at every position with pick-up and leaves it at every later position with
 * drop-off, then walks one footpath (or changes at the stop: its self-transfer, else 0 s).
 * Rounds until nothing changes or max_rounds. No pruning; arrive_by applied at the end. */
static void brute(const pl_timetable *tt, const pl_raptor_leg *src, size_t n_src, int32_t depart, int max_rounds,
                  int32_t arrive_by, int32_t *out)
{
    uint32_t n = tt->n_stops;
    int32_t *ready = malloc(n * sizeof *ready), *alight = malloc(n * sizeof *alight);
    for (uint32_t s = 0; s < n; s++) ready[s] = out[s] = NEVER;
    for (size_t i = 0; i < n_src; i++) {
        int32_t t = depart + src[i].walk_s;
        if (t < ready[src[i].stop]) ready[src[i].stop] = out[src[i].stop] = t;
    }
    for (int k = 1; max_rounds == 0 || k <= max_rounds; k++) {
        for (uint32_t s = 0; s < n; s++) alight[s] = NEVER;
        for (uint32_t p = 0; p < tt->n_patterns; p++) {
            uint32_t b = tt->pattern_stop_start[p], len = tt->pattern_stop_start[p + 1] - b;
            for (uint32_t t = tt->pattern_trip_start[p]; t < tt->pattern_trip_start[p + 1]; t++) {
                const int32_t *ta = tt->trip_arr + tt->trip_time_start[t], *td = tt->trip_dep + tt->trip_time_start[t];
                for (uint32_t i = 0; i < len; i++) {
                    uint32_t si = tt->pattern_stops[b + i];
                    if ((tt->pattern_stop_flags[b + i] & 1) || ready[si] == NEVER || ready[si] > td[i]) continue;
                    for (uint32_t j = i + 1; j < len; j++) {
                        uint32_t sj = tt->pattern_stops[b + j];
                        if (!(tt->pattern_stop_flags[b + j] & 2) && ta[j] < alight[sj]) alight[sj] = ta[j];
                    }
                }
            }
        }
        int changed = 0;
        for (uint32_t s = 0; s < n; s++) {
            if (alight[s] == NEVER) continue;
            if (alight[s] < out[s]) out[s] = alight[s], changed = 1;
            int self = 0;
            for (uint32_t j = tt->transfer_start[s]; j < tt->transfer_start[s + 1]; j++) {
                uint32_t u = tt->transfer_to[j];
                int32_t t = alight[s] + tt->transfer_s[j];
                if (u == s) self = 1;
                if (t < ready[u]) ready[u] = t, changed = 1;
            }
            if (!self && alight[s] < ready[s]) ready[s] = alight[s], changed = 1;
        }
        if (!changed) break;
    }
    for (uint32_t s = 0; s < n; s++)
        if (out[s] > arrive_by) out[s] = NEVER;
    free(ready);
    free(alight);
}

/* A second, independent reference for unlimited rides: connection scan (Dibbelt et al. 2013).
 * Every hop of every trip (i -> i+1) in departure order; a hop is taken if its trip was boarded
 * at or before i, or one is ready at its stop by its departure (pick-up allowed); its arrival
 * (drop-off allowed) relaxes the footpaths at once. Ties (a zero-minute hop feeding a departure
 * of the same second) depend on the order, so it scans again until nothing changes. */
typedef struct conn {
    int32_t dep;
    uint32_t trip, pos, pattern;
} conn;

static int cmp_conn(const void *a, const void *b)
{
    const conn *x = a, *y = b;
    return (x->dep > y->dep) - (x->dep < y->dep);
}

static void csa(const pl_timetable *tt, const pl_raptor_leg *src, size_t n_src, int32_t depart, int32_t *out)
{
    uint32_t n = tt->n_stops;
    size_t nc = 0;
    conn *c = malloc((tt->pattern_stop_start[tt->n_patterns] * (size_t)(tt->n_trips + 1) + 1) * sizeof *c);
    uint32_t *board = malloc((tt->n_trips + 1) * sizeof *board);
    int32_t *ready = malloc(n * sizeof *ready);
    for (uint32_t p = 0; p < tt->n_patterns; p++) {
        uint32_t len = tt->pattern_stop_start[p + 1] - tt->pattern_stop_start[p];
        for (uint32_t t = tt->pattern_trip_start[p]; t < tt->pattern_trip_start[p + 1]; t++) {
            board[t] = UINT32_MAX;
            for (uint32_t i = 0; i + 1 < len; i++)
                c[nc++] = (conn){tt->trip_dep[tt->trip_time_start[t] + i], t, i, p};
        }
    }
    qsort(c, nc, sizeof *c, cmp_conn);
    for (uint32_t s = 0; s < n; s++) ready[s] = out[s] = NEVER;
    for (size_t i = 0; i < n_src; i++) {
        int32_t t = depart + src[i].walk_s;
        if (t < ready[src[i].stop]) ready[src[i].stop] = out[src[i].stop] = t;
    }
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t k = 0; k < nc; k++) {
            uint32_t b = tt->pattern_stop_start[c[k].pattern], i = c[k].pos, t = c[k].trip;
            uint32_t si = tt->pattern_stops[b + i], sj = tt->pattern_stops[b + i + 1];
            if (board[t] > i && !(tt->pattern_stop_flags[b + i] & 1) && ready[si] <= c[k].dep) board[t] = i;
            if (board[t] > i || (tt->pattern_stop_flags[b + i + 1] & 2)) continue;
            int32_t a = tt->trip_arr[tt->trip_time_start[t] + i + 1];
            if (a < out[sj]) out[sj] = a, changed = 1;
            int self = 0;
            for (uint32_t j = tt->transfer_start[sj]; j < tt->transfer_start[sj + 1]; j++) {
                uint32_t u = tt->transfer_to[j];
                self |= u == sj;
                if (a + tt->transfer_s[j] < ready[u]) ready[u] = a + tt->transfer_s[j], changed = 1;
            }
            if (!self && a < ready[sj]) ready[sj] = a, changed = 1;
        }
    }
    free(c);
    free(board);
    free(ready);
}

/* Earliest arrival at a target: min over egress legs of arrival + walk, NEVER after arr_until. */
static int32_t brute_target(const pl_timetable *tt, const pl_raptor_leg *src, size_t n_src, int32_t depart,
                            int max_rounds, const pl_raptor_leg *eg, size_t n_eg, int32_t arr_until, int32_t *buf)
{
    brute(tt, src, n_src, depart, max_rounds, NEVER, buf);
    int32_t best = NEVER;
    for (size_t i = 0; i < n_eg; i++)
        if (buf[eg[i].stop] != NEVER && buf[eg[i].stop] + eg[i].walk_s < best) best = buf[eg[i].stop] + eg[i].walk_s;
    return best <= arr_until ? best : NEVER;
}

/* ---------- random timetables ---------- */

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

typedef struct rand_case {
    int32_t base;         /* earliest departure */
    int32_t gran;         /* time granularity: small means few ties */
    int footpaths;
    int big;              /* a larger timetable: longer journeys, more rounds */
} rand_case;

#define MAXL 14
#define MAXT 24

static pl_timetable *random_tt(int seed, int big, rand_case *c)
{
    rng_state = 0x9e3779b97f4a7c15ULL * (uint64_t)seed + 1;
    c->big = big;
    uint32_t n_stops = big ? 15 + rnd(25) : 3 + rnd(10), n_pat = big ? 8 + rnd(20) : 1 + rnd(8);
    static const int32_t grans[] = {60, 1, 30, 300};
    c->gran = grans[seed % 4];
    c->base = seed % 5 == 0 ? HM(23, 30) : HM(7, 0);  /* some cross midnight */
    c->footpaths = seed % 3 != 0;
    ttb *b = ttb_new(n_stops);
    for (uint32_t p = 0; p < n_pat; p++) {
        uint32_t len = big ? 2 + rnd(MAXL - 1) : 2 + rnd(5), st[MAXL];
        uint8_t fl[MAXL];
        for (uint32_t i = 0; i < len; i++) {
            st[i] = rnd(n_stops);
            fl[i] = (uint8_t)((rnd(8) == 0 ? 1 : 0) | (rnd(8) == 0 ? 2 : 0));
        }
        ttb_pattern(b, st, fl, len);
        uint32_t n_trips = 1 + rnd(big ? MAXT : 6);
        int32_t arr[MAXT][MAXL], dep[MAXT][MAXL], start[MAXT];
        for (uint32_t j = 0; j < n_trips; j++) start[j] = c->base + (int32_t)rnd(5400 / c->gran + 1) * c->gran;
        for (uint32_t j = 1; j < n_trips; j++) /* insertion sort by start */
            for (uint32_t x = j; x > 0 && start[x] < start[x - 1]; x--) {
                int32_t tmp = start[x]; start[x] = start[x - 1]; start[x - 1] = tmp;
            }
        for (uint32_t j = 0; j < n_trips; j++) {
            int32_t t = start[j];
            for (uint32_t i = 0; i < len; i++) {
                arr[j][i] = i == 0 ? t - (int32_t)rnd(3) * c->gran : t;
                dep[j][i] = t + (int32_t)rnd(3) * c->gran * (i > 0);
                t = dep[j][i] + (int32_t)(rnd(12) * (uint32_t)c->gran);
                if (j > 0) { /* keep order: no overtaking */
                    if (arr[j][i] < arr[j - 1][i]) arr[j][i] = arr[j - 1][i];
                    if (dep[j][i] < dep[j - 1][i]) dep[j][i] = dep[j - 1][i];
                }
                if (i > 0 && arr[j][i] < dep[j][i - 1]) arr[j][i] = dep[j][i - 1];
                if (dep[j][i] < arr[j][i]) dep[j][i] = arr[j][i];
            }
        }
        for (uint32_t j = 0; j < n_trips; j++) ttb_trip(b, p, arr[j], dep[j]);
    }
    if (c->footpaths) {
        uint32_t nf = rnd(2 * n_stops + 1);
        for (uint32_t k = 0; k < nf; k++) {
            uint32_t from = rnd(n_stops), to = rnd(4) == 0 ? from : rnd(n_stops);
            ttb_transfer(b, from, to, (int32_t)rnd(8) * (c->gran < 60 ? 60 : c->gran) / 2);
        }
    }
    return ttb_finish(b);
}

static void random_legs(uint32_t n_stops, pl_raptor_leg *legs, size_t *n, int32_t gran)
{
    *n = 1 + rnd(3);
    for (size_t i = 0; i < *n; i++) {
        legs[i].stop = rnd(n_stops);
        legs[i].walk_s = (int32_t)rnd(6) * gran + (int32_t)rnd(2) * (int32_t)rnd(60);
    }
}

static const int ROUNDS[] = {0, 1, 2, 3, 5};

/* How much the property test really compared: answers that were reached, and answers that a
 * journey of several vehicles (a transfer) or an egress walk after a ride gave. */
static long n_reached, n_transfer_needed, n_four_plus, n_profile_reached, n_profile_ride, n_csa_compared;

static void check_forward(int seed, const pl_timetable *tt, pl_raptor *r, const rand_case *c, int32_t *want)
{
    for (int q = 0; q < 6; q++) {
        pl_raptor_leg src[4];
        size_t ns;
        random_legs(tt->n_stops, src, &ns, c->gran);
        int32_t depart = c->base + (int32_t)rnd(90) * 60 + (int32_t)rnd(2) * (int32_t)rnd(60);
        pl_raptor_opts o = opts(ROUNDS[(q + seed) % 5]);
        if (q >= 4) o.arrive_by = depart + (int32_t)rnd(5400);
        pl_error err = {0};
        assert_int_equal(pl_raptor_run(r, src, ns, depart, &o, &err), PL_OK);
        const int32_t *got = pl_raptor_arrivals(r);
        brute(tt, src, ns, depart, o.max_rounds, o.arrive_by, want);
        if (o.max_rounds == 0 && o.arrive_by == NEVER) { /* the references agree */
            int32_t *cs = malloc(tt->n_stops * sizeof *cs);
            csa(tt, src, ns, depart, cs);
            for (uint32_t s = 0; s < tt->n_stops; s++)
                if (cs[s] != want[s])
                    fail_msg("seed %d forward query %d stop %u: connection scan %d, brute force %d", seed, q, s,
                             cs[s], want[s]);
            n_csa_compared += tt->n_stops;
            free(cs);
        }
        for (uint32_t s = 0; s < tt->n_stops; s++)
            if (got[s] != want[s])
                fail_msg("seed %d forward query %d (rounds %d, arrive_by %d) stop %u: got %d, want %d", seed, q,
                         o.max_rounds, o.arrive_by, s, got[s], want[s]);
        int32_t *one = malloc(tt->n_stops * sizeof *one);
        brute(tt, src, ns, depart, 1, o.arrive_by, one);
        for (uint32_t s = 0; s < tt->n_stops; s++) {
            n_reached += want[s] != NEVER;
            n_transfer_needed += want[s] < one[s];
        }
        brute(tt, src, ns, depart, 3, o.arrive_by, one);
        for (uint32_t s = 0; s < tt->n_stops; s++) n_four_plus += want[s] < one[s];
        free(one);
    }
}

static void check_range(int seed, const pl_timetable *tt, pl_raptor *r, const rand_case *c, int32_t *want)
{
    for (int q = 0; q < 3; q++) {
        pl_raptor_leg src[4];
        size_t ns;
        random_legs(tt->n_stops, src, &ns, c->gran);
        int32_t t0 = c->base + (int32_t)rnd(60) * 60 - 600 + (int32_t)rnd(60), t1 = t0 + 60 + (int32_t)rnd(40) * 60;
        pl_raptor_opts o = opts(ROUNDS[(q + seed) % 5]);
        if (q == 2) o.arrive_by = t1 + (int32_t)rnd(3600);
        size_t nm = pl_raptor_n_minutes(t0, t1);
        int32_t *arr = malloc(nm * tt->n_stops * sizeof *arr);
        pl_error err = {0};
        assert_int_equal(pl_raptor_range(r, src, ns, t0, t1, &o, arr, &err), PL_OK);
        for (size_t m = 0; m < nm; m++) {
            brute(tt, src, ns, t0 + (int32_t)m * 60, o.max_rounds, o.arrive_by, want);
            for (uint32_t s = 0; s < tt->n_stops; s++)
                if (arr[m * tt->n_stops + s] != want[s])
                    fail_msg("seed %d range query %d (rounds %d) minute %zu stop %u: got %d, want %d", seed, q,
                             o.max_rounds, m, s, arr[m * tt->n_stops + s], want[s]);
        }
        free(arr);
    }
}

static void check_profile(int seed, const pl_timetable *tt, pl_raptor *r, const rand_case *c, int32_t *buf)
{
    for (int q = 0; q < 3; q++) {
        pl_raptor_leg eg[4];
        size_t ne;
        random_legs(tt->n_stops, eg, &ne, c->gran);
        int32_t t0 = c->base + (int32_t)rnd(60) * 60 - 600, t1 = t0 + 60 + (int32_t)rnd(20) * 60;
        int32_t arr_until = q == 1 ? t1 + (int32_t)rnd(3600) : t1 + 6 * 3600;
        pl_raptor_opts o = opts(ROUNDS[(q + seed) % 5]);
        pl_error err = {0};
        pl_raptor_profile *p = pl_raptor_profile_new(r, eg, ne, t0, arr_until, &o, &err);
        if (!p) fail_msg("seed %d: profile: %s", seed, err.msg);
        size_t nm = pl_raptor_n_minutes(t0, t1);
        /* Every stop, every minute, and a time between minutes. */
        for (uint32_t s = 0; s < tt->n_stops; s++) {
            if (c->big && rnd(4)) continue; /* a quarter of the stops of a big one */
            for (size_t m = 0; m < nm; m++) {
                int32_t t = t0 + (int32_t)m * 60 + (m % 2 ? (int32_t)rnd(60) : 0);
                pl_raptor_leg src = {s, 0};
                int32_t want = brute_target(tt, &src, 1, t, o.max_rounds, eg, ne, arr_until, buf);
                int32_t got = pl_raptor_profile_arrival(p, s, t);
                n_profile_reached += want != NEVER;
                n_profile_ride += want != NEVER && (eg[0].stop != s || want < t + eg[0].walk_s) && ne == 1;
                if (got != want)
                    fail_msg("seed %d profile query %d (rounds %d, egress %zu legs, until %d) stop %u time %d: "
                             "got %d, want %d", seed, q, o.max_rounds, ne, arr_until, s, t, got, want);
            }
        }
        /* Origins with several access legs, per departure minute. */
        for (int h = 0; h < 4; h++) {
            pl_raptor_leg acc[4];
            size_t na;
            random_legs(tt->n_stops, acc, &na, c->gran);
            int32_t *times = malloc(nm * sizeof *times);
            pl_raptor_profile_times(p, acc, na, t0, t1, times);
            for (size_t m = 0; m < nm; m++) {
                int32_t d = t0 + (int32_t)m * 60;
                int32_t want = brute_target(tt, acc, na, d, o.max_rounds, eg, ne, arr_until, buf);
                want = want == NEVER ? NEVER : want - d;
                if (times[m] != want)
                    fail_msg("seed %d profile query %d origin %d minute %zu: got %d, want %d", seed, q, h, m,
                             times[m], want);
            }
            free(times);
        }
        pl_raptor_profile_free(p);
    }
}

static void test_property_random_timetables(void **state)
{
    (void)state;
    int with_tf = 0, without_tf = 0;
    for (int seed = 1; seed <= 1200; seed++) {
        rand_case c;
        pl_timetable *tt = random_tt(seed, seed > 1000, &c);
        pl_raptor *r = new_ws(tt);
        int32_t *buf = malloc(tt->n_stops * sizeof *buf);
        check_forward(seed, tt, r, &c, buf);
        check_range(seed, tt, r, &c, buf);
        check_profile(seed, tt, r, &c, buf);
        *(tt->n_transfers ? &with_tf : &without_tf) += 1;
        free(buf);
        pl_raptor_free(r);
        pl_timetable_free(tt);
    }
    assert_true(with_tf > 400 && without_tf > 200);
    printf("property: %ld forward answers reached (%ld needing a transfer, %ld four vehicles or more), %ld profile "
           "answers reached (%ld by a ride, one target)\n", n_reached, n_transfer_needed, n_four_plus,
           n_profile_reached, n_profile_ride);
    printf("property: %ld stop answers of the brute force checked against a connection scan\n", n_csa_compared);
    assert_true(n_transfer_needed > 1500 && n_four_plus > 50 && n_profile_ride > 10000 && n_csa_compared > 5000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transfer_needed),
        cmocka_unit_test(test_faster_later_trip),
        cmocka_unit_test(test_past_midnight),
        cmocka_unit_test(test_flags_and_footpath),
        cmocka_unit_test(test_range_minutes_and_percentiles),
        cmocka_unit_test(test_profile_hand),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_property_random_timetables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
