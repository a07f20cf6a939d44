/* SPDX-License-Identifier: GPL-3.0-or-later */
/* RAPTOR, range RAPTOR and the backward profile search (see raptor.h for what a journey is).
 *
 * Labels. A search keeps, per stop, two labels for each round k (k = vehicles used so far):
 *   forward:  ready[k][s]  = earliest time one can board at s (source, or after a footpath),
 *             alight[k][s] = earliest time one leaves a vehicle at s (the arrival handed out is
 *                            min of it and the source time: a source is kept out of these
 *                            rows, as no footpath leaves it and it must not prune one that does);
 *   backward: board[k][s]  = latest time one can board at s and still reach a target in time,
 *             leave[k][s]  = latest time one can leave a vehicle at s (then a footpath, or the
 *                            egress walk) and still reach a target in time.
 * Row k means "with at most k vehicles": every write also lowers (raises) the rows above it
 * while they are worse, so rows stay monotone without R5's O(stops) copy per round. With no
 * round limit there is one row only (a label with more vehicles is as good as any).
 * Within a round the pattern scans read ready (leave) of row k-1 and write alight (board) of
 * row k; the footpath step reads those and writes ready (leave) of row k, so a scan never sees
 * a label of its own round.
 *
 * Marked stops / queued patterns: only stops whose ready (leave) label improved in the previous
 * round are looked at, and each pattern through them is scanned once per round from the first
 * (backward: last) marked position.
 *
 * Range (rRAPTOR, Delling et al. section 4.2, as R5 runs it): departure minutes from the latest to
 * the earliest without resetting labels. Leaving earlier can never arrive later (one can wait),
 * so every label left by a later minute is a valid bound for the earlier one; a label that is
 * not improved in this minute had its consequences propagated in the minute that set it (its
 * stop was marked then; a value that reached row j only by the upward copy was written in a
 * lower row i, whose consequences went to row i + 1 and upward; and pruning only drops
 * candidates no better than a label, which only ever improves). Hence after the minute's
 * rounds each label is exact for that minute.
 *
 * Backward profile search (nearest service, many origins). For every stop s we want
 *   f(s, t) = earliest arrival at any target of a journey ready to board at s at t.
 * For a target arrival bound A let LD(s, A) = latest time ready at s from which some journey
 * reaches a target by A (the board label above, best over rounds <= max_rounds). Then
 *   f(s, t) = min(t + egress(s),  min { A : LD(s, A) >= t }),
 * because LD(s, .) is non-decreasing and a journey leaving at >= t reaching by A exists iff
 * LD(s, A) >= t. LD(s, .) is a step function that can only change at an A that is the arrival
 * of some journey, i.e. A = (a vehicle's arrival at a stop e with drop-off) + egress(e). We run a
 * backward RAPTOR for each such A in [dep_from, arr_until], in increasing order, reusing the
 * labels (the mirror of the range trick: reaching by a later A allows leaving later, so old
 * labels are valid bounds). From A' to the next candidate A only the egress labels
 * leave[0][e] = A - egress(e) change, and a round-1 scan from e catches a different trip only
 * if one reaches e in (A' - egress(e), A - egress(e)], i.e. at exactly A - egress(e) as no
 * candidate lies between; so only those stops are marked for round 1 (for the first candidate
 * too: a journey arriving before it arrives before dep_from, so leaves before dep_from and does
 * not count). Later rounds read max(leave[k][e], A - egress(e)), both valid. After each run, a stop
 * whose best board label rose records (label, A); the list per stop is increasing in both, a
 * Pareto profile, and f is one binary search: the first entry whose departure is >= t, at any
 * second t (access walks need not be whole minutes).
 * Mirrored rules: the egress walk starts where a vehicle was left (leave[0][e] = A - egress(e),
 * no footpath before it), a backward scan boards (takes pick-up) the current trip at a stop
 * and catches a later trip where drop-off is allowed, and a footpath y -> u (or the change at
 * u) turns board[k][u] into leave[k][y] = board[k][u] - walk. Labels below dep_from are
 * dropped: every time before them in a journey is earlier still (times never decrease along a
 * journey). An origin with access legs then gets min over its legs of f(stop, d + walk) - d
 * for each departure d: its best journey boards first at one of its access stops, and f
 * already holds the best continuation from there. The work is that of one profile search per
 * target set, whatever the number of origins. */
#include "raptor.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX
#define EARLY INT32_MIN /* backward: no label */
#define NO_PICK 1u
#define NO_DROP 2u

struct pl_raptor {
    const pl_timetable *tt;
    uint32_t n;                 /* stops */
    /* Footpaths into each stop (the backward search walks them in reverse). */
    uint32_t *rt_start, *rt_from;
    int32_t *rt_s;
    uint8_t *has_self;          /* the stop has its own change time */
    /* Labels: rows x n each. Forward: a = ready, b = alight. Backward: a = leave, b = board. */
    int rows, rows_cap;
    int32_t *lab_a, *lab_b;
    /* Stop lists with membership flags. */
    uint32_t *marked, n_marked;
    uint8_t *is_marked;
    uint32_t *improved, n_improved;
    uint8_t *is_improved;
    uint32_t *changed, n_changed;
    uint8_t *is_changed;
    /* Pattern queue: first (backward: last) position to scan from, NONE if not queued. */
    uint32_t *qpos, *queue, n_queue;
    /* Backward: egress walk per stop, -1 if none; the current target arrival bound. */
    int32_t *egress;
    int32_t A, dep_from;
    int32_t limit;              /* forward: arrive_by */
    /* Forward: this departure's source times (a source is not an arrival by vehicle: no
     * footpath leaves it, so it stays out of the alight rows), the stops that have one, and
     * the arrivals handed out (min of both). */
    int32_t *src_t;
    uint32_t *src_stops, n_src_stops;
    int32_t *out;
};

struct pl_raptor_profile {
    uint32_t n_stops;
    uint32_t *start;            /* n_stops + 1 */
    int32_t *dep, *arr;         /* per stop, both increasing */
    int32_t *egress;            /* walk to a target from the stop, -1 if none */
    int32_t arr_until;
};

void pl_raptor_opts_default(pl_raptor_opts *o)
{
    o->max_rounds = 0;
    o->arrive_by = PL_TT_NEVER;
}

size_t pl_raptor_n_minutes(int32_t t0, int32_t t1)
{
    if (t1 <= t0) return 0;
    return (size_t)(((int64_t)t1 - t0 + PL_RAPTOR_STEP_S - 1) / PL_RAPTOR_STEP_S);
}

static uint8_t flags_at(const pl_timetable *tt, size_t i)
{
    return tt->pattern_stop_flags ? tt->pattern_stop_flags[i] : 0;
}

static const int32_t *trip_arr(const pl_timetable *tt, uint32_t t)
{
    return tt->trip_arr + tt->trip_time_start[t];
}

static const int32_t *trip_dep(const pl_timetable *tt, uint32_t t)
{
    return tt->trip_dep + tt->trip_time_start[t];
}

/* ---------- checking the timetable ---------- */

static int check_patterns(const pl_timetable *tt, pl_error *err)
{
    if (tt->n_patterns && (!tt->pattern_stop_start || !tt->pattern_trip_start || !tt->pattern_stops))
        return pl_error_set(err, PL_EINTERNAL, "timetable: pattern arrays missing");
    if (tt->n_patterns && (tt->pattern_stop_start[0] != 0 || tt->pattern_trip_start[0] != 0 ||
                           tt->pattern_trip_start[tt->n_patterns] != tt->n_trips))
        return pl_error_set(err, PL_EINTERNAL, "timetable: pattern index does not cover the trips");
    if (tt->n_trips && (!tt->trip_time_start || !tt->trip_arr || !tt->trip_dep))
        return pl_error_set(err, PL_EINTERNAL, "timetable: trip arrays missing");
    for (uint32_t p = 0; p < tt->n_patterns; p++) {
        uint32_t b = tt->pattern_stop_start[p], e = tt->pattern_stop_start[p + 1];
        uint32_t t0 = tt->pattern_trip_start[p], t1 = tt->pattern_trip_start[p + 1];
        if (e < b || t1 < t0 || t1 > tt->n_trips)
            return pl_error_set(err, PL_EINTERNAL, "timetable: pattern %u: index out of order", p);
        for (uint32_t i = b; i < e; i++)
            if (tt->pattern_stops[i] >= tt->n_stops)
                return pl_error_set(err, PL_EINTERNAL, "timetable: pattern %u: stop %u out of range", p,
                                    tt->pattern_stops[i]);
        uint32_t len = e - b;
        for (uint32_t t = t0; t < t1; t++) {
            const int32_t *a = trip_arr(tt, t), *d = trip_dep(tt, t);
            for (uint32_t i = 0; i < len; i++) {
                if (a[i] == PL_TT_NEVER || d[i] == PL_TT_NEVER || a[i] > d[i] || (i + 1 < len && d[i] > a[i + 1]))
                    return pl_error_set(err, PL_EINTERNAL,
                                        "timetable: pattern %u trip %u: times missing or going backwards at "
                                        "its stop %u; the loader must interpolate or drop such trips", p, t, i);
                if (t > t0 && (a[i] < trip_arr(tt, t - 1)[i] || d[i] < trip_dep(tt, t - 1)[i]))
                    return pl_error_set(err, PL_EINTERNAL,
                                        "timetable: pattern %u: trip %u overtakes trip %u at its stop %u; "
                                        "the loader must split the pattern", p, t, t - 1, i);
            }
        }
    }
    return PL_OK;
}

static int check_indexes(const pl_timetable *tt, pl_error *err)
{
    if (tt->n_stops == 0) return PL_OK;
    if (!tt->stop_pattern_start || tt->stop_pattern_start[0] != 0)
        return pl_error_set(err, PL_EINTERNAL, "timetable: stop-to-pattern index missing");
    for (uint32_t s = 0; s < tt->n_stops; s++) {
        if (tt->stop_pattern_start[s + 1] < tt->stop_pattern_start[s])
            return pl_error_set(err, PL_EINTERNAL, "timetable: stop-to-pattern index out of order");
        for (uint32_t j = tt->stop_pattern_start[s]; j < tt->stop_pattern_start[s + 1]; j++) {
            uint32_t p = tt->stop_patterns[j], pos = tt->stop_pattern_pos[j];
            if (p >= tt->n_patterns || pos >= tt->pattern_stop_start[p + 1] - tt->pattern_stop_start[p] ||
                tt->pattern_stops[tt->pattern_stop_start[p] + pos] != s)
                return pl_error_set(err, PL_EINTERNAL, "timetable: stop %u: pattern index entry %u is wrong", s, j);
        }
    }
    if (tt->transfer_start) {
        if (tt->transfer_start[0] != 0 || tt->transfer_start[tt->n_stops] != tt->n_transfers)
            return pl_error_set(err, PL_EINTERNAL, "timetable: transfer index does not cover the transfers");
        for (uint32_t s = 0; s < tt->n_stops; s++) {
            if (tt->transfer_start[s + 1] < tt->transfer_start[s])
                return pl_error_set(err, PL_EINTERNAL, "timetable: transfer index out of order");
            for (uint32_t j = tt->transfer_start[s]; j < tt->transfer_start[s + 1]; j++)
                if (tt->transfer_to[j] >= tt->n_stops || tt->transfer_s[j] < 0)
                    return pl_error_set(err, PL_EINTERNAL, "timetable: transfer %u from stop %u: bad stop or time", j, s);
        }
    } else if (tt->n_transfers) {
        return pl_error_set(err, PL_EINTERNAL, "timetable: transfer index missing");
    }
    return PL_OK;
}

/* ---------- workspace ---------- */

static int build_reverse_transfers(pl_raptor *r)
{
    const pl_timetable *tt = r->tt;
    uint32_t n = r->n;
    r->rt_start = calloc((size_t)n + 1, sizeof *r->rt_start);
    r->has_self = calloc((size_t)n + 1, 1);
    size_t m = tt->transfer_start ? tt->n_transfers : 0;
    r->rt_from = malloc((m + 1) * sizeof *r->rt_from);
    r->rt_s = malloc((m + 1) * sizeof *r->rt_s);
    if (!r->rt_start || !r->has_self || !r->rt_from || !r->rt_s) return -1;
    if (!m) return 0;
    for (size_t j = 0; j < m; j++) r->rt_start[tt->transfer_to[j] + 1]++;
    for (uint32_t s = 0; s < n; s++) r->rt_start[s + 1] += r->rt_start[s];
    uint32_t *fill = malloc(((size_t)n + 1) * sizeof *fill);
    if (!fill) return -1;
    memcpy(fill, r->rt_start, ((size_t)n + 1) * sizeof *fill);
    for (uint32_t s = 0; s < n; s++)
        for (uint32_t j = tt->transfer_start[s]; j < tt->transfer_start[s + 1]; j++) {
            uint32_t u = tt->transfer_to[j];
            if (u == s) r->has_self[s] = 1;
            r->rt_from[fill[u]] = s;
            r->rt_s[fill[u]++] = tt->transfer_s[j];
        }
    free(fill);
    return 0;
}

pl_raptor *pl_raptor_new(const pl_timetable *tt, pl_error *err)
{
    if (!tt) {
        pl_error_set(err, PL_EINTERNAL, "raptor: no timetable");
        return NULL;
    }
    if (check_patterns(tt, err) || check_indexes(tt, err)) return NULL;
    pl_raptor *r = calloc(1, sizeof *r);
    if (!r) goto oom;
    r->tt = tt;
    r->n = tt->n_stops;
    size_t n1 = (size_t)r->n + 1, p1 = (size_t)tt->n_patterns + 1;
    r->marked = malloc(n1 * sizeof *r->marked);
    r->improved = malloc(n1 * sizeof *r->improved);
    r->changed = malloc(n1 * sizeof *r->changed);
    r->is_marked = calloc(n1, 1);
    r->is_improved = calloc(n1, 1);
    r->is_changed = calloc(n1, 1);
    r->qpos = malloc(p1 * sizeof *r->qpos);
    r->queue = malloc(p1 * sizeof *r->queue);
    r->egress = malloc(n1 * sizeof *r->egress);
    r->src_t = malloc(n1 * sizeof *r->src_t);
    r->src_stops = malloc(n1 * sizeof *r->src_stops);
    r->out = malloc(n1 * sizeof *r->out);
    if (!r->src_t || !r->src_stops || !r->out || !r->marked || !r->improved || !r->changed || !r->is_marked || !r->is_improved || !r->is_changed ||
        !r->qpos || !r->queue || !r->egress || build_reverse_transfers(r))
        goto oom;
    for (size_t p = 0; p < p1; p++) r->qpos[p] = NONE;
    for (size_t s = 0; s < n1; s++) {
        r->egress[s] = -1;
        r->src_t[s] = r->out[s] = PL_TT_NEVER;
    }
    return r;
oom:
    pl_raptor_free(r);
    pl_error_set(err, PL_EINTERNAL, "raptor: out of memory");
    return NULL;
}

void pl_raptor_free(pl_raptor *r)
{
    if (!r) return;
    free(r->rt_start); free(r->rt_from); free(r->rt_s); free(r->has_self);
    free(r->lab_a); free(r->lab_b);
    free(r->marked); free(r->improved); free(r->changed);
    free(r->is_marked); free(r->is_improved); free(r->is_changed);
    free(r->qpos); free(r->queue); free(r->egress);
    free(r->src_t); free(r->src_stops); free(r->out);
    free(r);
}

/* Makes `rows` label rows of each kind, all set to `fill`. */
static int reset_labels(pl_raptor *r, int rows, int32_t fill, pl_error *err)
{
    if (rows > r->rows_cap) {
        size_t sz = (size_t)rows * ((size_t)r->n + 1) * sizeof(int32_t);
        int32_t *a = realloc(r->lab_a, sz);
        if (a) r->lab_a = a;
        int32_t *b = a ? realloc(r->lab_b, sz) : NULL;
        if (b) r->lab_b = b;
        if (!a || !b) return pl_error_set(err, PL_EINTERNAL, "raptor: out of memory for %d rounds", rows);
        r->rows_cap = rows;
    }
    r->rows = rows;
    size_t total = (size_t)rows * r->n;
    for (size_t i = 0; i < total; i++) r->lab_a[i] = r->lab_b[i] = fill;
    return PL_OK;
}

static int check_legs(const pl_raptor *r, const pl_raptor_leg *legs, size_t n, const pl_raptor_opts *o,
                      const char *what, pl_error *err)
{
    if (o->max_rounds < 0)
        return pl_error_set(err, PL_EINPUT, "raptor: max rounds %d; give 0 (no limit) or more", o->max_rounds);
    for (size_t i = 0; i < n; i++)
        if (legs[i].stop >= r->n || legs[i].walk_s < 0)
            return pl_error_set(err, PL_EINPUT, "raptor: %s leg %zu: stop %u of %u, walk %d s", what, i,
                                legs[i].stop, r->n, legs[i].walk_s);
    return PL_OK;
}

static void push(uint32_t *list, uint32_t *n, uint8_t *in, uint32_t s)
{
    if (!in[s]) {
        in[s] = 1;
        list[(*n)++] = s;
    }
}

/* Row k of a label array. */
static int32_t *row(const pl_raptor *r, int32_t *lab, int k)
{
    return lab + (size_t)k * r->n;
}

/* Forward: lowers label s of row k and the rows above it; 1 if row k improved. */
static int lower(const pl_raptor *r, int32_t *lab, int k, uint32_t s, int32_t t)
{
    int32_t *v = lab + (size_t)k * r->n + s;
    if (t >= *v) return 0;
    for (int j = k; j < r->rows && *v > t; j++, v += r->n) *v = t;
    return 1;
}

/* Backward: raises label s of row k and the rows above it; 1 if row k improved, 2 if the top row did too. */
static int raise(const pl_raptor *r, int32_t *lab, int k, uint32_t s, int32_t t)
{
    int32_t *v = lab + (size_t)k * r->n + s;
    if (t <= *v) return 0;
    int j = k;
    for (; j < r->rows && *v < t; j++, v += r->n) *v = t;
    return j == r->rows ? 2 : 1;
}

/* Queues every pattern through a marked stop from its first (forward) or last (backward) marked
 * position, and clears the marks. */
static void queue_patterns(pl_raptor *r, int backward)
{
    const pl_timetable *tt = r->tt;
    for (uint32_t i = 0; i < r->n_marked; i++) {
        uint32_t s = r->marked[i];
        r->is_marked[s] = 0;
        for (uint32_t j = tt->stop_pattern_start[s]; j < tt->stop_pattern_start[s + 1]; j++) {
            uint32_t p = tt->stop_patterns[j], pos = tt->stop_pattern_pos[j];
            if (r->qpos[p] == NONE) {
                r->qpos[p] = pos;
                r->queue[r->n_queue++] = p;
            } else if (backward ? pos > r->qpos[p] : pos < r->qpos[p]) {
                r->qpos[p] = pos;
            }
        }
    }
    r->n_marked = 0;
}

/* ---------- forward ---------- */

/* Earliest trip in [lo, hi) departing at position i at or after t; hi if none. */
static uint32_t first_trip_from(const pl_timetable *tt, uint32_t lo, uint32_t hi, uint32_t i, int32_t t)
{
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (trip_dep(tt, mid)[i] >= t) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

static void scan_forward(pl_raptor *r, uint32_t p, int kp, int k)
{
    const pl_timetable *tt = r->tt;
    uint32_t base = tt->pattern_stop_start[p], len = tt->pattern_stop_start[p + 1] - base;
    uint32_t t_end = tt->pattern_trip_start[p + 1];
    const int32_t *ready = row(r, r->lab_a, kp);
    uint32_t trip = NONE;
    const int32_t *ta = NULL, *td = NULL;
    for (uint32_t i = r->qpos[p]; i < len; i++) {
        uint32_t s = tt->pattern_stops[base + i];
        uint8_t fl = flags_at(tt, base + i);
        if (trip != NONE && !(fl & NO_DROP) && ta[i] <= r->limit && lower(r, r->lab_b, k, s, ta[i]))
            push(r->improved, &r->n_improved, r->is_improved, s);
        if (fl & NO_PICK) continue;
        int32_t t = ready[s];
        /* An earlier trip may be catchable here (<=: a tie may be faster further on). */
        if (t == PL_TT_NEVER || (trip != NONE && t > td[i])) continue;
        uint32_t hi = trip == NONE ? t_end : trip;
        uint32_t c = first_trip_from(tt, tt->pattern_trip_start[p], hi, i, t);
        if (c < hi) {
            trip = c;
            ta = trip_arr(tt, c);
            td = trip_dep(tt, c);
        }
    }
    r->qpos[p] = NONE;
}

/* Footpaths from the stops left by a vehicle in round k (row k). */
static void footpaths_forward(pl_raptor *r, int k)
{
    const pl_timetable *tt = r->tt;
    const int32_t *alight = row(r, r->lab_b, k);
    for (uint32_t i = 0; i < r->n_improved; i++) {
        uint32_t s = r->improved[i];
        r->is_improved[s] = 0;
        int64_t a = alight[s];
        if (tt->transfer_start)
            for (uint32_t j = tt->transfer_start[s]; j < tt->transfer_start[s + 1]; j++) {
                int64_t t = a + tt->transfer_s[j];
                uint32_t u = tt->transfer_to[j];
                if (t <= r->limit && lower(r, r->lab_a, k, u, (int32_t)t))
                    push(r->marked, &r->n_marked, r->is_marked, u);
            }
        if (!r->has_self[s] && lower(r, r->lab_a, k, s, (int32_t)a))
            push(r->marked, &r->n_marked, r->is_marked, s);
    }
    r->n_improved = 0;
}

/* Sources of one departure: ready at stop at depart + walk (row 0; a later departure's
 * sources are bounds that these improve), and arrived there on foot. */
static void sources_forward(pl_raptor *r, const pl_raptor_leg *src, size_t n, int32_t depart)
{
    for (uint32_t i = 0; i < r->n_src_stops; i++) r->src_t[r->src_stops[i]] = PL_TT_NEVER;
    r->n_src_stops = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t s = src[i].stop;
        int64_t t = (int64_t)depart + src[i].walk_s;
        if (t > r->limit) continue;
        if (lower(r, r->lab_a, 0, s, (int32_t)t)) push(r->marked, &r->n_marked, r->is_marked, s);
        if (r->src_t[s] == PL_TT_NEVER) r->src_stops[r->n_src_stops++] = s;
        if (t < r->src_t[s]) r->src_t[s] = (int32_t)t;
    }
}

/* Arrivals: by vehicle (best row) or as a source. */
static void collect_arrivals(pl_raptor *r)
{
    memcpy(r->out, row(r, r->lab_b, r->rows - 1), (size_t)r->n * sizeof *r->out);
    for (uint32_t i = 0; i < r->n_src_stops; i++) {
        uint32_t s = r->src_stops[i];
        if (r->src_t[s] < r->out[s]) r->out[s] = r->src_t[s];
    }
}

static void rounds_forward(pl_raptor *r, int max_rounds)
{
    for (int k = 1; r->n_marked && (max_rounds == 0 || k <= max_rounds); k++) {
        int kp = max_rounds ? k - 1 : 0, kr = max_rounds ? k : 0;
        queue_patterns(r, 0);
        for (uint32_t q = 0; q < r->n_queue; q++) scan_forward(r, r->queue[q], kp, kr);
        r->n_queue = 0;
        footpaths_forward(r, kr);
    }
    for (uint32_t i = 0; i < r->n_marked; i++) r->is_marked[r->marked[i]] = 0;
    r->n_marked = 0;
}

int pl_raptor_run(pl_raptor *r, const pl_raptor_leg *src, size_t n_src, int32_t depart,
                  const pl_raptor_opts *o, pl_error *err)
{
    int rc = check_legs(r, src, n_src, o, "source", err);
    if (rc) return rc;
    int rows = o->max_rounds ? o->max_rounds + 1 : 1;
    if (reset_labels(r, rows, PL_TT_NEVER, err)) return PL_EINTERNAL;
    r->limit = o->arrive_by;
    sources_forward(r, src, n_src, depart);
    rounds_forward(r, o->max_rounds);
    collect_arrivals(r);
    return PL_OK;
}

const int32_t *pl_raptor_arrivals(const pl_raptor *r)
{
    return r->out;
}

int pl_raptor_range(pl_raptor *r, const pl_raptor_leg *src, size_t n_src, int32_t t0, int32_t t1,
                    const pl_raptor_opts *o, int32_t *arr, pl_error *err)
{
    int rc = check_legs(r, src, n_src, o, "source", err);
    if (rc) return rc;
    int rows = o->max_rounds ? o->max_rounds + 1 : 1;
    if (reset_labels(r, rows, PL_TT_NEVER, err)) return PL_EINTERNAL;
    r->limit = o->arrive_by;
    size_t nm = pl_raptor_n_minutes(t0, t1);
    for (size_t m = nm; m-- > 0;) {
        sources_forward(r, src, n_src, (int32_t)(t0 + (int64_t)m * PL_RAPTOR_STEP_S));
        rounds_forward(r, o->max_rounds);
        collect_arrivals(r);
        memcpy(arr + m * r->n, r->out, (size_t)r->n * sizeof *arr);
    }
    return PL_OK;
}

void pl_raptor_range_times(const int32_t *arr, uint32_t n_stops, int32_t t0, int32_t t1, uint32_t stop, int32_t *tt)
{
    size_t nm = pl_raptor_n_minutes(t0, t1);
    for (size_t m = 0; m < nm; m++) {
        int32_t a = arr[m * n_stops + stop];
        tt[m] = a == PL_TT_NEVER ? PL_TT_NEVER : (int32_t)(a - (t0 + (int64_t)m * PL_RAPTOR_STEP_S));
    }
}

/* ---------- backward ---------- */

/* First trip in [lo, hi) arriving at position i after t (hi if none): the one before it is the
 * latest arriving at or before t, if it is >= lo. */
static uint32_t after_last_trip_by(const pl_timetable *tt, uint32_t lo, uint32_t hi, uint32_t i, int32_t t)
{
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (trip_arr(tt, mid)[i] > t) hi = mid;
        else lo = mid + 1;
    }
    return lo; /* first trip arriving after t */
}

static void scan_backward(pl_raptor *r, uint32_t p, int kp, int k)
{
    const pl_timetable *tt = r->tt;
    uint32_t base = tt->pattern_stop_start[p];
    uint32_t t_lo = tt->pattern_trip_start[p], t_end = tt->pattern_trip_start[p + 1];
    const int32_t *leave = row(r, r->lab_a, kp);
    uint32_t trip = NONE;
    const int32_t *ta = NULL, *td = NULL;
    for (uint32_t i = r->qpos[p] + 1; i-- > 0;) {
        uint32_t s = tt->pattern_stops[base + i];
        uint8_t fl = flags_at(tt, base + i);
        if (trip != NONE && !(fl & NO_PICK) && td[i] >= r->dep_from) {
            int got = raise(r, r->lab_b, k, s, td[i]);
            if (got) push(r->improved, &r->n_improved, r->is_improved, s);
            if (got == 2) push(r->changed, &r->n_changed, r->is_changed, s);
        }
        if (fl & NO_DROP) continue;
        int32_t t = leave[s];
        if (r->egress[s] >= 0 && (int64_t)r->A - r->egress[s] > t) t = r->A - r->egress[s];
        /* A later trip may be catchable here (>=: a tie may leave later further back). */
        if (t == EARLY || t < r->dep_from || (trip != NONE && t < ta[i])) continue;
        uint32_t lo = trip == NONE ? t_lo : trip + 1;
        uint32_t c = after_last_trip_by(tt, lo, t_end, i, t);
        if (c > lo) {
            trip = c - 1;
            ta = trip_arr(tt, trip);
            td = trip_dep(tt, trip);
        }
    }
    r->qpos[p] = NONE;
}

/* Footpaths into the stops whose board label rose in round k (row k). */
static void footpaths_backward(pl_raptor *r, int k)
{
    const int32_t *board = row(r, r->lab_b, k);
    for (uint32_t i = 0; i < r->n_improved; i++) {
        uint32_t u = r->improved[i];
        r->is_improved[u] = 0;
        int64_t b = board[u];
        for (uint32_t j = r->rt_start[u]; j < r->rt_start[u + 1]; j++) {
            int64_t t = b - r->rt_s[j];
            uint32_t y = r->rt_from[j];
            if (t >= r->dep_from && raise(r, r->lab_a, k, y, (int32_t)t))
                push(r->marked, &r->n_marked, r->is_marked, y);
        }
        if (!r->has_self[u] && raise(r, r->lab_a, k, u, (int32_t)b))
            push(r->marked, &r->n_marked, r->is_marked, u);
    }
    r->n_improved = 0;
}

static void rounds_backward(pl_raptor *r, int max_rounds)
{
    for (int k = 1; r->n_marked && (max_rounds == 0 || k <= max_rounds); k++) {
        int kp = max_rounds ? k - 1 : 0, kr = max_rounds ? k : 0;
        queue_patterns(r, 1);
        for (uint32_t q = 0; q < r->n_queue; q++) scan_backward(r, r->queue[q], kp, kr);
        r->n_queue = 0;
        footpaths_backward(r, kr);
    }
    for (uint32_t i = 0; i < r->n_marked; i++) r->is_marked[r->marked[i]] = 0;
    r->n_marked = 0;
}

typedef struct event {
    int32_t A;       /* arrival at a target */
    uint32_t stop;   /* egress stop reached by a vehicle at A - egress */
} event;

static int cmp_event(const void *a, const void *b)
{
    const event *x = a, *y = b;
    if (x->A != y->A) return x->A < y->A ? -1 : 1;
    return x->stop < y->stop ? -1 : x->stop > y->stop;
}

/* Candidate target arrivals in [lo, hi]: a vehicle reaching an egress stop (drop-off allowed). */
static event *egress_events(const pl_raptor *r, const uint32_t *stops, uint32_t n_stops, int32_t lo, int32_t hi,
                            size_t *n_out)
{
    const pl_timetable *tt = r->tt;
    size_t n = 0, cap = 1024;
    event *ev = malloc(cap * sizeof *ev);
    if (!ev) return NULL;
    for (uint32_t k = 0; k < n_stops; k++) {
        uint32_t e = stops[k];
        for (uint32_t j = tt->stop_pattern_start[e]; j < tt->stop_pattern_start[e + 1]; j++) {
            uint32_t p = tt->stop_patterns[j], pos = tt->stop_pattern_pos[j];
            if (flags_at(tt, tt->pattern_stop_start[p] + pos) & NO_DROP) continue;
            for (uint32_t t = tt->pattern_trip_start[p]; t < tt->pattern_trip_start[p + 1]; t++) {
                int64_t A = (int64_t)trip_arr(tt, t)[pos] + r->egress[e];
                if (A < lo || A > hi) continue;
                if (n == cap) {
                    event *g = realloc(ev, (cap *= 2) * sizeof *ev);
                    if (!g) { free(ev); return NULL; }
                    ev = g;
                }
                ev[n++] = (event){(int32_t)A, e};
            }
        }
    }
    qsort(ev, n, sizeof *ev, cmp_event);
    *n_out = n;
    return ev;
}

typedef struct entry {
    uint32_t stop;
    int32_t dep, arr;
} entry;

/* Profile from the (stop, dep, arr) log, in log order per stop (increasing). */
static pl_raptor_profile *profile_from_log(const pl_raptor *r, const entry *log, size_t n_log, int32_t arr_until)
{
    pl_raptor_profile *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->n_stops = r->n;
    p->arr_until = arr_until;
    p->start = calloc((size_t)r->n + 1, sizeof *p->start);
    p->dep = malloc((n_log + 1) * sizeof *p->dep);
    p->arr = malloc((n_log + 1) * sizeof *p->arr);
    p->egress = malloc(((size_t)r->n + 1) * sizeof *p->egress);
    uint32_t *fill = malloc(((size_t)r->n + 1) * sizeof *fill);
    if (!p->start || !p->dep || !p->arr || !p->egress || !fill) {
        free(fill);
        pl_raptor_profile_free(p);
        return NULL;
    }
    for (size_t i = 0; i < n_log; i++) p->start[log[i].stop + 1]++;
    for (uint32_t s = 0; s < r->n; s++) p->start[s + 1] += p->start[s];
    memcpy(fill, p->start, ((size_t)r->n + 1) * sizeof *fill);
    for (size_t i = 0; i < n_log; i++) {
        uint32_t at = fill[log[i].stop]++;
        p->dep[at] = log[i].dep;
        p->arr[at] = log[i].arr;
    }
    memcpy(p->egress, r->egress, (size_t)r->n * sizeof *p->egress);
    free(fill);
    return p;
}

/* One backward run for target arrival bound A; appends the stops whose best board label rose. */
static int run_backward(pl_raptor *r, int max_rounds, int32_t A, entry **log, size_t *n_log, size_t *cap)
{
    r->A = A;
    rounds_backward(r, max_rounds);
    const int32_t *top = row(r, r->lab_b, r->rows - 1);
    for (uint32_t i = 0; i < r->n_changed; i++) {
        uint32_t s = r->changed[i];
        r->is_changed[s] = 0;
        if (*n_log == *cap) {
            entry *g = realloc(*log, (*cap = *cap ? *cap * 2 : 4096) * sizeof **log);
            if (!g) return -1;
            *log = g;
        }
        (*log)[(*n_log)++] = (entry){s, top[s], A};
    }
    r->n_changed = 0;
    return 0;
}

pl_raptor_profile *pl_raptor_profile_new(pl_raptor *r, const pl_raptor_leg *egress, size_t n_egress,
                                         int32_t dep_from, int32_t arr_until,
                                         const pl_raptor_opts *o, pl_error *err)
{
    if (check_legs(r, egress, n_egress, o, "egress", err)) return NULL;
    int rows = o->max_rounds ? o->max_rounds + 1 : 1;
    if (reset_labels(r, rows, EARLY, err)) return NULL;
    r->dep_from = dep_from;
    /* One walk per egress stop: the shortest. */
    uint32_t *stops = malloc((n_egress + 1) * sizeof *stops);
    uint32_t n_stops = 0;
    entry *log = NULL;
    size_t n_log = 0, cap = 0, n_ev = 0;
    event *ev = NULL;
    pl_raptor_profile *p = NULL;
    if (!stops) goto oom;
    for (size_t i = 0; i < n_egress; i++) {
        uint32_t s = egress[i].stop;
        if (r->egress[s] < 0) stops[n_stops++] = s;
        if (r->egress[s] < 0 || egress[i].walk_s < r->egress[s]) r->egress[s] = egress[i].walk_s;
    }
    ev = egress_events(r, stops, n_stops, dep_from, arr_until, &n_ev);
    if (!ev) goto oom;
    for (size_t i = 0; i < n_ev;) {
        int32_t A = ev[i].A;
        for (; i < n_ev && ev[i].A == A; i++) push(r->marked, &r->n_marked, r->is_marked, ev[i].stop);
        if (run_backward(r, o->max_rounds, A, &log, &n_log, &cap)) goto oom;
    }
    p = profile_from_log(r, log, n_log, arr_until);
    if (!p) goto oom;
    goto done;
oom:
    pl_error_set(err, PL_EINTERNAL, "raptor: out of memory in the profile search");
done:
    for (uint32_t k = 0; k < n_stops; k++) r->egress[stops[k]] = -1;
    free(stops);
    free(ev);
    free(log);
    return p;
}

void pl_raptor_profile_free(pl_raptor_profile *p)
{
    if (!p) return;
    free(p->start); free(p->dep); free(p->arr); free(p->egress);
    free(p);
}

size_t pl_raptor_profile_size(const pl_raptor_profile *p)
{
    return p ? p->start[p->n_stops] : 0;
}

int32_t pl_raptor_profile_arrival(const pl_raptor_profile *p, uint32_t stop, int32_t t)
{
    if (stop >= p->n_stops) return PL_TT_NEVER;
    int32_t best = PL_TT_NEVER;
    if (p->egress[stop] >= 0 && (int64_t)t + p->egress[stop] <= p->arr_until) best = t + p->egress[stop];
    uint32_t lo = p->start[stop], hi = p->start[stop + 1];
    while (lo < hi) { /* first entry leaving at or after t */
        uint32_t mid = lo + (hi - lo) / 2;
        if (p->dep[mid] >= t) hi = mid;
        else lo = mid + 1;
    }
    if (lo < p->start[stop + 1] && p->arr[lo] < best) best = p->arr[lo];
    return best;
}

void pl_raptor_profile_times(const pl_raptor_profile *p, const pl_raptor_leg *access, size_t n_access,
                             int32_t t0, int32_t t1, int32_t *tt)
{
    size_t nm = pl_raptor_n_minutes(t0, t1);
    for (size_t m = 0; m < nm; m++) tt[m] = PL_TT_NEVER; /* best arrival first */
    /* Per leg one pass over the minutes: the first entry leaving at or after d + walk only
     * moves forward as d grows (one binary search, then a merge). */
    for (size_t i = 0; i < n_access; i++) {
        uint32_t s = access[i].stop;
        if (s >= p->n_stops) continue;
        int64_t w = access[i].walk_s, g = p->egress[s];
        uint32_t j = p->start[s], end = p->start[s + 1], hi = end;
        while (j < hi) {
            uint32_t mid = j + (hi - j) / 2;
            if (p->dep[mid] >= (int64_t)t0 + w) hi = mid;
            else j = mid + 1;
        }
        for (size_t m = 0; m < nm; m++) {
            int64_t t = (int64_t)t0 + (int64_t)m * PL_RAPTOR_STEP_S + w;
            if (t > p->arr_until) break;
            while (j < end && p->dep[j] < t) j++;
            int64_t a = j < end ? p->arr[j] : PL_TT_NEVER;
            if (g >= 0 && t + g <= p->arr_until && t + g < a) a = t + g;
            if (a < tt[m]) tt[m] = (int32_t)a;
        }
    }
    for (size_t m = 0; m < nm; m++)
        if (tt[m] != PL_TT_NEVER) tt[m] -= (int32_t)(t0 + (int64_t)m * PL_RAPTOR_STEP_S);
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

int32_t pl_raptor_percentile(int32_t *times, size_t n, double pct)
{
    if (n == 0) return PL_TT_NEVER;
    qsort(times, n, sizeof *times, cmp_i32);
    if (pct < 0) pct = 0;
    if (pct > 100) pct = 100;
    /* Nearest rank: the smallest value with at least pct % of the values <= it. */
    double x = ceil(pct * (double)n / 100.0);
    size_t i = x < 1 ? 0 : (size_t)x - 1;
    return times[i < n ? i : n - 1];
}
