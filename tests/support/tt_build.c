/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "tt_build.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ttb_trip_rec {
    uint32_t pattern, seq;      /* seq: call order, for a stable sort */
    size_t times;               /* offset into arr/dep */
} ttb_trip_rec;

struct ttb {
    uint32_t n_stops;
    uint32_t n_patterns, cap_patterns;
    uint32_t *pstart;           /* n_patterns + 1 */
    uint32_t *pstops;
    uint8_t *pflags;
    size_t n_pstops, cap_pstops;
    ttb_trip_rec *trips;
    uint32_t n_trips, cap_trips;
    int32_t *arr, *dep;
    size_t n_times, cap_times;
    uint32_t *tf_from, *tf_to;
    int32_t *tf_s;
    size_t n_tf, cap_tf;
};

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return p;
    size_t c = *cap ? *cap : 16;
    while (c < need) c *= 2;
    p = realloc(p, c * elem);
    assert_non_null(p);
    *cap = c;
    return p;
}

ttb *ttb_new(uint32_t n_stops)
{
    ttb *b = calloc(1, sizeof *b);
    assert_non_null(b);
    b->n_stops = n_stops;
    b->pstart = calloc(1, sizeof *b->pstart);
    return b;
}

uint32_t ttb_pattern(ttb *b, const uint32_t *stops, const uint8_t *flags, uint32_t n)
{
    size_t cap = b->cap_patterns + 1;
    b->pstart = grow(b->pstart, &cap, (size_t)b->n_patterns + 2, sizeof *b->pstart);
    b->cap_patterns = (uint32_t)cap - 1;
    size_t need = b->n_pstops + n, c2 = b->cap_pstops;
    b->pstops = grow(b->pstops, &b->cap_pstops, need, sizeof *b->pstops);
    b->pflags = grow(b->pflags, &c2, need, 1);
    for (uint32_t i = 0; i < n; i++) {
        assert_true(stops[i] < b->n_stops);
        b->pstops[b->n_pstops + i] = stops[i];
        b->pflags[b->n_pstops + i] = flags ? flags[i] : 0;
    }
    b->n_pstops = need;
    b->pstart[++b->n_patterns] = (uint32_t)need;
    return b->n_patterns - 1;
}

void ttb_trip(ttb *b, uint32_t p, const int32_t *arr, const int32_t *dep)
{
    assert_true(p < b->n_patterns);
    uint32_t len = b->pstart[p + 1] - b->pstart[p];
    size_t c2 = b->cap_times, ct = b->cap_trips;
    b->arr = grow(b->arr, &b->cap_times, b->n_times + len, sizeof *b->arr);
    b->dep = grow(b->dep, &c2, b->n_times + len, sizeof *b->dep);
    b->trips = grow(b->trips, &ct, (size_t)b->n_trips + 1, sizeof *b->trips);
    b->cap_trips = (uint32_t)ct;
    for (uint32_t i = 0; i < len; i++) {
        b->arr[b->n_times + i] = arr[i];
        b->dep[b->n_times + i] = dep ? dep[i] : arr[i];
    }
    b->trips[b->n_trips] = (ttb_trip_rec){p, b->n_trips, b->n_times};
    b->n_trips++;
    b->n_times += len;
}

void ttb_transfer(ttb *b, uint32_t from, uint32_t to, int32_t seconds)
{
    assert_true(from < b->n_stops && to < b->n_stops);
    size_t c1 = b->cap_tf, c2 = b->cap_tf;
    b->tf_from = grow(b->tf_from, &b->cap_tf, b->n_tf + 1, sizeof *b->tf_from);
    b->tf_to = grow(b->tf_to, &c1, b->n_tf + 1, sizeof *b->tf_to);
    b->tf_s = grow(b->tf_s, &c2, b->n_tf + 1, sizeof *b->tf_s);
    b->tf_from[b->n_tf] = from;
    b->tf_to[b->n_tf] = to;
    b->tf_s[b->n_tf++] = seconds;
}

static const ttb *sort_b; /* qsort has no user pointer */

static int cmp_trip(const void *x, const void *y)
{
    const ttb_trip_rec *a = x, *c = y;
    if (a->pattern != c->pattern) return a->pattern < c->pattern ? -1 : 1;
    int32_t da = sort_b->dep[a->times], dc = sort_b->dep[c->times];
    if (da != dc) return da < dc ? -1 : 1;
    return a->seq < c->seq ? -1 : a->seq > c->seq;
}

static char *xstrdup_fmt(const char *fmt, uint32_t i)
{
    char buf[32];
    snprintf(buf, sizeof buf, fmt, i);
    char *s = strdup(buf);
    assert_non_null(s);
    return s;
}

static void fill_patterns(pl_timetable *tt, ttb *b)
{
    tt->n_patterns = b->n_patterns;
    tt->pattern_stop_start = malloc(((size_t)b->n_patterns + 1) * sizeof(uint32_t));
    memcpy(tt->pattern_stop_start, b->pstart, ((size_t)b->n_patterns + 1) * sizeof(uint32_t));
    tt->pattern_stops = malloc((b->n_pstops + 1) * sizeof(uint32_t));
    tt->pattern_stop_flags = malloc(b->n_pstops + 1);
    memcpy(tt->pattern_stops, b->pstops, b->n_pstops * sizeof(uint32_t));
    memcpy(tt->pattern_stop_flags, b->pflags, b->n_pstops);
    tt->pattern_route = calloc((size_t)b->n_patterns + 1, sizeof(uint32_t));
    for (uint32_t p = 0; p < b->n_patterns; p++) tt->pattern_route[p] = p;
    tt->n_routes = b->n_patterns;
    tt->route_id = calloc((size_t)b->n_patterns + 1, sizeof(char *));
    tt->route_name = calloc((size_t)b->n_patterns + 1, sizeof(char *));
    tt->route_type = calloc((size_t)b->n_patterns + 1, sizeof(int32_t));
    for (uint32_t p = 0; p < b->n_patterns; p++) {
        tt->route_id[p] = xstrdup_fmt("R%u", p);
        tt->route_name[p] = xstrdup_fmt("%u", p);
        tt->route_type[p] = 3;
    }
}

static void fill_trips(pl_timetable *tt, ttb *b)
{
    sort_b = b;
    qsort(b->trips, b->n_trips, sizeof *b->trips, cmp_trip);
    tt->n_trips = b->n_trips;
    tt->pattern_trip_start = calloc((size_t)b->n_patterns + 1, sizeof(uint32_t));
    tt->trip_time_start = calloc((size_t)b->n_trips + 1, sizeof(uint32_t));
    tt->trip_arr = malloc((b->n_times + 1) * sizeof(int32_t));
    tt->trip_dep = malloc((b->n_times + 1) * sizeof(int32_t));
    tt->trip_id = calloc((size_t)b->n_trips + 1, sizeof(char *));
    size_t at = 0;
    for (uint32_t t = 0; t < b->n_trips; t++) {
        uint32_t p = b->trips[t].pattern, len = b->pstart[p + 1] - b->pstart[p];
        tt->pattern_trip_start[p + 1]++;
        tt->trip_time_start[t] = (uint32_t)at;
        memcpy(tt->trip_arr + at, b->arr + b->trips[t].times, len * sizeof(int32_t));
        memcpy(tt->trip_dep + at, b->dep + b->trips[t].times, len * sizeof(int32_t));
        tt->trip_id[t] = xstrdup_fmt("T%u", b->trips[t].seq);
        at += len;
    }
    for (uint32_t p = 0; p < b->n_patterns; p++) tt->pattern_trip_start[p + 1] += tt->pattern_trip_start[p];
}

static void fill_stop_index(pl_timetable *tt, ttb *b)
{
    uint32_t n = b->n_stops;
    tt->stop_pattern_start = calloc((size_t)n + 1, sizeof(uint32_t));
    tt->stop_patterns = malloc((b->n_pstops + 1) * sizeof(uint32_t));
    tt->stop_pattern_pos = malloc((b->n_pstops + 1) * sizeof(uint32_t));
    for (size_t i = 0; i < b->n_pstops; i++) tt->stop_pattern_start[b->pstops[i] + 1]++;
    for (uint32_t s = 0; s < n; s++) tt->stop_pattern_start[s + 1] += tt->stop_pattern_start[s];
    uint32_t *fill = malloc(((size_t)n + 1) * sizeof *fill);
    memcpy(fill, tt->stop_pattern_start, ((size_t)n + 1) * sizeof *fill);
    for (uint32_t p = 0; p < b->n_patterns; p++)
        for (uint32_t i = b->pstart[p]; i < b->pstart[p + 1]; i++) {
            uint32_t s = b->pstops[i];
            tt->stop_patterns[fill[s]] = p;
            tt->stop_pattern_pos[fill[s]++] = i - b->pstart[p];
        }
    free(fill);
    tt->transfer_start = calloc((size_t)n + 1, sizeof(uint32_t));
    tt->transfer_to = malloc((b->n_tf + 1) * sizeof(uint32_t));
    tt->transfer_s = malloc((b->n_tf + 1) * sizeof(int32_t));
    tt->n_transfers = b->n_tf;
    for (size_t i = 0; i < b->n_tf; i++) tt->transfer_start[b->tf_from[i] + 1]++;
    for (uint32_t s = 0; s < n; s++) tt->transfer_start[s + 1] += tt->transfer_start[s];
    fill = malloc(((size_t)n + 1) * sizeof *fill);
    memcpy(fill, tt->transfer_start, ((size_t)n + 1) * sizeof *fill);
    for (size_t i = 0; i < b->n_tf; i++) {
        uint32_t at = fill[b->tf_from[i]]++;
        tt->transfer_to[at] = b->tf_to[i];
        tt->transfer_s[at] = b->tf_s[i];
    }
    free(fill);
}

pl_timetable *ttb_finish(ttb *b)
{
    pl_timetable *tt = calloc(1, sizeof *tt);
    assert_non_null(tt);
    tt->n_stops = b->n_stops;
    tt->stop_id = calloc((size_t)b->n_stops + 1, sizeof(char *));
    tt->stop_name = calloc((size_t)b->n_stops + 1, sizeof(char *));
    tt->stop_lon = calloc((size_t)b->n_stops + 1, sizeof(double));
    tt->stop_lat = calloc((size_t)b->n_stops + 1, sizeof(double));
    for (uint32_t s = 0; s < b->n_stops; s++) {
        tt->stop_id[s] = xstrdup_fmt("S%u", s);
        tt->stop_name[s] = strdup("");
    }
    fill_patterns(tt, b);
    fill_trips(tt, b);
    fill_stop_index(tt, b);
    snprintf(tt->service_date, sizeof tt->service_date, "2026-12-08");
    free(b->pstart); free(b->pstops); free(b->pflags); free(b->trips);
    free(b->arr); free(b->dep); free(b->tf_from); free(b->tf_to); free(b->tf_s);
    free(b);
    return tt;
}

int32_t tt_hms(const char *s)
{
    int h = 0, m = 0, sec = 0, used = 0;
    if (sscanf(s, "%d:%d%n", &h, &m, &used) != 2) return -1;
    if (s[used] == ':' && sscanf(s + used + 1, "%d", &sec) != 1) return -1;
    if (h < 0 || m < 0 || m > 59 || sec < 0 || sec > 59) return -1;
    return h * 3600 + m * 60 + sec;
}

#define MAXW 64

pl_timetable *tt_from_text(const char *text)
{
    ttb *b = NULL;
    uint32_t last = UINT32_MAX, last_len = 0;
    char *copy = strdup(text), *save = NULL;
    assert_non_null(copy);
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *hash = strchr(line, '#');
        if (hash) *hash = 0;
        char *w[MAXW], *s2 = NULL;
        int n = 0;
        for (char *t = strtok_r(line, " \t", &s2); t && n < MAXW; t = strtok_r(NULL, " \t", &s2)) w[n++] = t;
        if (n == 0) continue;
        if (!strcmp(w[0], "stops") && n == 2) {
            b = ttb_new((uint32_t)atoi(w[1]));
        } else if (!strcmp(w[0], "pattern") && b && n >= 2) {
            uint32_t st[MAXW];
            uint8_t fl[MAXW];
            for (int i = 1; i < n; i++) {
                st[i - 1] = (uint32_t)atoi(w[i]);
                char *sl = strchr(w[i], '/');
                fl[i - 1] = (uint8_t)((sl && strchr(sl, 'p') ? 1 : 0) | (sl && strchr(sl, 'd') ? 2 : 0));
            }
            last = ttb_pattern(b, st, fl, (uint32_t)(n - 1));
            last_len = (uint32_t)(n - 1);
        } else if (!strcmp(w[0], "trip") && b && last != UINT32_MAX && (uint32_t)(n - 1) == last_len) {
            int32_t a[MAXW], d[MAXW];
            for (int i = 1; i < n; i++) {
                char *dash = strchr(w[i], '-');
                if (dash) *dash = 0;
                a[i - 1] = tt_hms(w[i]);
                d[i - 1] = dash ? tt_hms(dash + 1) : a[i - 1];
                if (a[i - 1] < 0 || d[i - 1] < 0) fail_msg("tt_from_text: bad time in a trip line");
            }
            ttb_trip(b, last, a, d);
        } else if (!strcmp(w[0], "transfer") && b && n == 4) {
            ttb_transfer(b, (uint32_t)atoi(w[1]), (uint32_t)atoi(w[2]), atoi(w[3]));
        } else {
            fail_msg("tt_from_text: cannot read line starting '%s'", w[0]);
        }
    }
    free(copy);
    assert_non_null(b);
    return ttb_finish(b);
}
