/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Accessibility analysis: compute (on arrays) and summaries. Writing is in access_write.c. */
#include "gis/gpkg_writer.h"
#include "access.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analyses/common/attach.h"
#include "analyses/common/ids.h"
#include "analyses/common/units.h"
#include "gis/util.h"

const char pl_access_usage[] =
    "platsa access --population FILE --services FILE --roads FILE --municipalities FILE -o OUT.gpkg [options]";
const char pl_access_summary[] =
    "Distance (km) and travel time (min) along the roads from every population unit to the nearest\n"
    "and second-nearest service of each type, with bands, per-municipality summaries and a combined\n"
    "service level. Services outside --region still count, so a border does not make people look far.";

#define A(field) offsetof(pl_access_opts, field)
const pl_option pl_access_options[] = {
#include "access_options.inc"
    PL_OPT_END,
};
#undef A

int pl_band_index(double value, const double *bounds, int n_bounds)
{
    if (!isfinite(value))
        return -1;
    for (int i = 0; i < n_bounds; i++)
        if (value <= bounds[i])
            return i;
    return n_bounds;
}

typedef struct weighted_value {
    double value, weight;
} weighted_value;

static void swap_wv(weighted_value *a, weighted_value *b)
{
    weighted_value t = *a;
    *a = *b;
    *b = t;
}

/* The smallest value whose cumulative weight (all values <= it) reaches `half`, among
 * wv[0..m-1]: a weighted quickselect (three-way partitions around a median-of-three pivot),
 * linear on average where sorting every group for its median took most of the summaries'
 * time on a national run. The answer is the same value a sorted scan gives. */
static double weighted_select(weighted_value *wv, size_t m, double half)
{
    size_t lo = 0, hi = m;  /* the answer lies in wv[lo..hi) */
    double below = 0;       /* weight of the values left of lo */
    while (hi - lo > 1) {
        double a = wv[lo].value, b = wv[lo + (hi - lo) / 2].value, c = wv[hi - 1].value;
        double pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
        /* [lo, lt) < pivot, [lt, i) == pivot, (gt, hi) > pivot */
        size_t lt = lo, i = lo, gt = hi;
        double w_less = 0, w_equal = 0;
        while (i < gt) {
            if (wv[i].value < pivot) {
                w_less += wv[i].weight;
                swap_wv(&wv[lt++], &wv[i++]);
            } else if (wv[i].value > pivot) {
                swap_wv(&wv[i], &wv[--gt]);
            } else {
                w_equal += wv[i++].weight;
            }
        }
        if (below + w_less >= half && lt > lo) {
            hi = lt;
        } else if (below + w_less + w_equal >= half || gt == hi) {
            return pivot;
        } else {
            below += w_less + w_equal;
            lo = gt;
        }
    }
    return wv[lo].value;
}

double pl_weighted_median(const double *values, const double *weights, size_t n)
{
    weighted_value *wv = pl_malloc((n ? n : 1) * sizeof *wv);
    size_t m = 0;
    double total = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(values[i]) && weights[i] > 0) {
            wv[m].value = values[i];
            wv[m].weight = weights[i];
            total += weights[i];
            m++;
        }
    double median = m > 0 ? weighted_select(wv, m, total / 2) : NAN;
    free(wv);
    return median;
}

/* ---------- compute ---------- */

int pl_access_within(const pl_label *l, double within_km)
{
    /* The km as written (to the metre), so the count agrees with the output file's
     * distances and the service_level view; comparing the unrounded dist_m counted a
     * distance written as exactly within_km but a fraction of a metre over as outside
     * (112 of the 4.2 million nearest distances of the national benchmark at 10 km). */
    double km = pl_access_km_written(l);
    return isfinite(km) && km <= within_km;
}

double pl_access_km_written(const pl_label *l) { return pl_round_km(l->dist_m / 1000.0); }
double pl_access_min_written(const pl_label *l) { return pl_round_min(l->time_s / 60.0); }

static int in_region(const char *code, const char *region)
{
    if (!region || !*region)
        return 1;
    return code && strncmp(code, region, strlen(region)) == 0;
}

static void setup_bands(pl_access_type *at, const pl_service_type *st, const pl_access_params *p)
{
    const double default_km[] = {5, 10, 20, 30}, default_min[] = {10, 20, 30, 45};
    if (p->bands_km && p->bands_km->n > 0) {
        at->n_bands_km = p->bands_km->n < PL_MAX_BANDS ? p->bands_km->n : PL_MAX_BANDS;
        memcpy(at->bands_km, p->bands_km->v, (size_t)at->n_bands_km * sizeof(double));
    } else if (st->n_bands_km > 0) {
        at->n_bands_km = st->n_bands_km;
        memcpy(at->bands_km, st->bands_km, (size_t)st->n_bands_km * sizeof(double));
    } else {
        at->n_bands_km = 4;
        memcpy(at->bands_km, default_km, sizeof default_km);
    }
    if (p->bands_min && p->bands_min->n > 0) {
        at->n_bands_min = p->bands_min->n < PL_MAX_BANDS ? p->bands_min->n : PL_MAX_BANDS;
        memcpy(at->bands_min, p->bands_min->v, (size_t)at->n_bands_min * sizeof(double));
    } else if (st->n_bands_min > 0) {
        at->n_bands_min = st->n_bands_min;
        memcpy(at->bands_min, st->bands_min, (size_t)st->n_bands_min * sizeof(double));
    } else {
        at->n_bands_min = 4;
        memcpy(at->bands_min, default_min, sizeof default_min);
    }
}

static int search_type(pl_ctx *ctx, const pl_graph *graph, const pl_snap *svc_snap, const pl_snap *cell_snap,
                       size_t n_cells, pl_access_type *at, pl_error *err)
{
    pl_snap *sources = pl_malloc((at->n_services ? at->n_services : 1) * sizeof *sources);
    for (uint32_t s = 0; s < at->n_services; s++)
        sources[s] = svc_snap[at->service_index[s]];
    at->by_dist = pl_malloc(n_cells * 2 * sizeof *at->by_dist);
    at->by_time = pl_malloc(n_cells * 2 * sizeof *at->by_time);
    pl_search_opts so = {.metric = PL_METRIC_DISTANCE, .k = 2, .cutoff = INFINITY};
    int rc = pl_graph_nearest_k(ctx, graph, sources, at->n_services, cell_snap, n_cells, &so, at->by_dist, err);
    if (rc == PL_OK) {
        so.metric = PL_METRIC_TIME;
        rc = pl_graph_nearest_k(ctx, graph, sources, at->n_services, cell_snap, n_cells, &so, at->by_time, err);
    }
    free(sources);
    return rc;
}

/* ---------- searches: one per type and metric, on up to 2 threads ---------- */

/* Walk and bike have one speed, yet their time search is not the distance search's q (the
 * time summed along the nearest path by distance): the arcs' times are rounded to float one
 * by one, so near-equal paths can swap. Measured (k = 2, 50 sources, 200,000 random places):
 * Stockholm drive network 526 (walk) and 2,810 (bike) labels of 400,000 differ in the last
 * bits (up to 1.3e-7 relative), Örebro synthetic walk 53; so both searches stay. */

/* The searches of different types and metrics are independent (each writes its own
 * output array, the graph and snaps are read only), so they run on worker threads; every
 * search is the same single-threaded pl_graph_nearest_k call as before, so the results are
 * bit for bit those of a serial run. Threads: PLATSA_THREADS if set (1 = serial), else
 * the online cores, at most 2: each running k=2 search holds 64 bytes per node (188 MB on
 * the national network), so more threads would cost memory for little gain on the
 * memory-bound search. */
typedef struct search_job {
    pl_ctx *ctx;                 /* progress and cancellation: used by the calling thread only */
    const pl_graph *graph;
    const pl_snap *cell_snap;
    size_t n_cells;
    pl_access_type *types;
    pl_snap **sources;           /* per type */
    int *task_type;              /* task i: type task_type[i], metric task_metric[i] */
    pl_metric *task_metric;
    uint64_t *ties;              /* per task: the search's ties (pl_search_opts.ties) */
    int n_tasks;                 /* 2 per searched type (merged groups are not searched), 1 when
                                    its distances are there already (pl_access_take_distances) */
    atomic_int next;
    atomic_int done;
    atomic_int failed;
    int *rc;                     /* per task */
    pl_error *errs;              /* per task */
    atomic_int oom;              /* a worker ran out of memory: oom_err (the first one's) */
    pl_error oom_err;
} search_job;

static void run_tasks(search_job *J, int reporter)
{
    pl_search_work *work = pl_search_work_new(); /* one per thread, reused by its searches */
    for (;;) {
        if (atomic_load(&J->failed))
            break;
        int i = atomic_fetch_add(&J->next, 1);
        if (i >= J->n_tasks)
            break;
        int t = J->task_type[i];
        pl_access_type *at = &J->types[t];
        pl_search_opts so = {.metric = J->task_metric[i], .k = 2, .cutoff = INFINITY, .work = work,
                             .ties = &J->ties[i]};
        pl_label *out = so.metric == PL_METRIC_TIME ? at->by_time : at->by_dist;
        J->rc[i] = pl_graph_nearest_k(NULL, J->graph, J->sources[t], at->n_services, J->cell_snap, J->n_cells,
                                      &so, out, &J->errs[i]);
        int done = atomic_fetch_add(&J->done, 1) + 1;
        if (J->rc[i] != PL_OK)
            atomic_store(&J->failed, 1);
        if (reporter && pl_progress(J->ctx, (double)done / J->n_tasks, "searching services")) {
            J->rc[i] = pl_error_set(&J->errs[i], PL_EINPUT, "cancelled");
            atomic_store(&J->failed, 1);
        }
    }
    pl_search_work_free(work);
}

static int search_work(void *arg)
{
    run_tasks(arg, 0);
    return PL_OK;
}

/* Out of memory on a worker stops the search and is the search's error, seen after the join. */
static void *search_worker(void *arg)
{
    search_job *J = arg;
    pl_error oom = {0};
    if (pl_oom_guard(search_work, J, NULL, &oom) != PL_OK) {
        atomic_store(&J->failed, 1);
        if (atomic_exchange(&J->oom, 1) == 0)
            J->oom_err = oom;
    }
    return NULL;
}

static int search_threads(int n_tasks);

int pl_access_threads(int n_tasks) { return search_threads(n_tasks); }

static int search_threads(int n_tasks)
{
    const char *env = getenv("PLATSA_THREADS");
    long n = env && *env ? strtol(env, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
    if (!env || !*env)
        n = n > 2 ? 2 : n;
    n = n < 1 ? 1 : n > 64 ? 64 : n;
    return n > n_tasks ? (n_tasks > 0 ? n_tasks : 1) : (int)n;
}

/* The two best of a group per cell, from its members' two best (member_labels[m], sources
 * numbered in member m's service_index; to_group[m] maps them to the group's numbering).
 * Members count disjoint sets of services (a service has one type), so the group's k best
 * are among the members' k best, each with the same metric value as a search over the
 * group gives: a source that is among a node's k best of the group is among its k best of
 * its own type, along the same shortest path. Ties go to the lower group number (the
 * lower id), as in the search. tests/test_access.c compares this with a search. */
static void merge_group_labels(size_t n_cells, int n_members, pl_label *const *member_labels,
                               uint32_t *const *to_group, pl_metric metric, pl_label *out)
{
    for (size_t c = 0; c < n_cells; c++) {
        pl_label best[2] = {{UINT32_MAX, INFINITY, INFINITY}, {UINT32_MAX, INFINITY, INFINITY}};
        for (int m = 0; m < n_members; m++)
            for (int j = 0; j < 2; j++) {
                pl_label l = member_labels[m][c * 2 + j];
                if (l.source == UINT32_MAX)
                    continue;
                l.source = to_group[m][l.source];
                double p = metric == PL_METRIC_TIME ? l.time_s : l.dist_m;
                for (int k = 0; k < 2; k++) {
                    double bp = metric == PL_METRIC_TIME ? best[k].time_s : best[k].dist_m;
                    if (best[k].source == UINT32_MAX || p < bp || (p == bp && l.source < best[k].source)) {
                        if (k == 0)
                            best[1] = best[0];
                        best[k] = l;
                        break;
                    }
                }
            }
        out[c * 2] = best[0];
        out[c * 2 + 1] = best[1];
    }
}

static void merge_group(const pl_access_type *types, pl_access_type *group, size_t n_svc, size_t n_cells)
{
    uint32_t *group_number = pl_malloc((n_svc ? n_svc : 1) * sizeof *group_number);
    for (uint32_t s = 0; s < group->n_services; s++)
        group_number[group->service_index[s]] = s;
    pl_label *dist[PL_MAX_INCLUDES], *time[PL_MAX_INCLUDES];
    uint32_t *to_group[PL_MAX_INCLUDES];
    for (int m = 0; m < group->n_members; m++) {
        const pl_access_type *mt = &types[group->member[m]];
        dist[m] = mt->by_dist;
        time[m] = mt->by_time;
        to_group[m] = pl_malloc((mt->n_services ? mt->n_services : 1) * sizeof *to_group[m]);
        for (uint32_t s = 0; s < mt->n_services; s++)
            to_group[m][s] = group_number[mt->service_index[s]];
    }
    merge_group_labels(n_cells, group->n_members, dist, to_group, PL_METRIC_DISTANCE, group->by_dist);
    merge_group_labels(n_cells, group->n_members, time, to_group, PL_METRIC_TIME, group->by_time);
    for (int m = 0; m < group->n_members; m++)
        free(to_group[m]);
    free(group_number);
}

/* The search workers, for the out-of-memory path: they stop after their current search and
 * are joined, then the run unwinds (gis/ctx.h, pl_oom_hold_wait). */
typedef struct search_waiter {
    search_job *J;
    pthread_t *tid;
    int *started;
} search_waiter;

static void stop_search_threads(void *arg)
{
    search_waiter *w = arg;
    atomic_store(&w->J->failed, 1);
    for (int i = 1; i <= *w->started; i++)
        pthread_join(w->tid[i], NULL);
    *w->started = 0;
}

static int search_all(pl_ctx *ctx, const pl_graph *graph, const pl_snap *svc_snap, size_t n_svc,
                      const pl_snap *cell_snap, size_t n_cells, pl_access_type *types, int n_types, pl_error *err)
{
    search_job J = {.ctx = ctx, .graph = graph, .cell_snap = cell_snap, .n_cells = n_cells, .types = types};
    atomic_init(&J.next, 0);
    atomic_init(&J.done, 0);
    atomic_init(&J.failed, 0);
    atomic_init(&J.oom, 0);
    J.task_type = pl_calloc((size_t)n_types * 2, sizeof *J.task_type);
    J.task_metric = pl_calloc((size_t)n_types * 2, sizeof *J.task_metric);
    J.ties = pl_calloc((size_t)n_types * 2, sizeof *J.ties);
    for (int t = 0; t < n_types; t++)
        for (int metric = 0; metric < 2 && types[t].n_members == 0; metric++)
            if (metric == PL_METRIC_TIME || !types[t].by_dist) {
                J.task_type[J.n_tasks] = t;
                J.task_metric[J.n_tasks++] = metric;
            }
    J.sources = pl_calloc((size_t)n_types, sizeof *J.sources);
    J.rc = pl_calloc((size_t)(J.n_tasks ? J.n_tasks : 1), sizeof *J.rc);
    J.errs = pl_calloc((size_t)(J.n_tasks ? J.n_tasks : 1), sizeof *J.errs);
    for (int t = 0; t < n_types; t++) {
        pl_access_type *at = &types[t];
        J.sources[t] = pl_malloc((at->n_services ? at->n_services : 1) * sizeof **J.sources);
        for (uint32_t s = 0; s < at->n_services; s++)
            J.sources[t][s] = svc_snap[at->service_index[s]];
        if (!at->by_dist)
            at->by_dist = pl_malloc(n_cells * 2 * sizeof *at->by_dist);
        free(at->by_time);
        at->by_time = pl_malloc(n_cells * 2 * sizeof *at->by_time);
    }
    int n_threads = search_threads(J.n_tasks);
    pthread_t *tid = pl_calloc((size_t)n_threads, sizeof *tid);
    int started = 0;
    search_waiter waiter = {&J, tid, &started};
    pl_oom_hold_wait(stop_search_threads, &waiter);  /* the workers share J, on this stack */
    for (int i = 1; i < n_threads; i++)
        if (pthread_create(&tid[i], NULL, search_worker, &J) == 0)
            started++;
        else
            break;
    run_tasks(&J, 1);  /* this thread works too, and reports progress */
    for (int i = 1; i <= started; i++)
        pthread_join(tid[i], NULL);
    pl_oom_release();
    int rc = PL_OK;
    if (atomic_load(&J.oom)) {
        rc = PL_EINTERNAL;
        if (err)
            *err = J.oom_err;
    }
    for (int i = 0; i < J.n_tasks && rc == PL_OK; i++)
        if (J.rc[i] != PL_OK) {
            rc = J.rc[i];
            if (err)
                *err = J.errs[i];
        }
    for (int i = 0; i < J.n_tasks && rc == PL_OK; i++)
        if (J.task_metric[i] == PL_METRIC_DISTANCE)
            types[J.task_type[i]].dist_tie_free = J.ties[i] == 0;
    for (int t = 0; rc == PL_OK && t < n_types; t++)
        if (types[t].n_members > 0)
            merge_group(types, &types[t], n_svc, n_cells);
    for (int t = 0; t < n_types; t++)
        free(J.sources[t]);
    free(J.sources);
    free(J.task_type);
    free(J.task_metric);
    free(J.ties);
    free(J.rc);
    free(J.errs);
    free(tid);
    return rc;
}

static void add_to_stats(pl_access_stats *st, const pl_access_type *at, double pop, double age, double km,
                         double min)
{
    st->n_cells++;
    st->pop += pop;
    st->pop_age += age;
    int bk = pl_band_index(km, at->bands_km, at->n_bands_km);
    int bm = pl_band_index(min, at->bands_min, at->n_bands_min);
    int unreachable_km = at->n_bands_km + 1, unreachable_min = at->n_bands_min + 1;
    st->pop_band_km[bk < 0 ? unreachable_km : bk] += pop;
    st->pop_band_min[bm < 0 ? unreachable_min : bm] += pop;
    st->age_band_km[bk < 0 ? unreachable_km : bk] += age;
    st->age_band_min[bm < 0 ? unreachable_min : bm] += age;
}

/* Means and medians of one group of cells (cells[0..n-1]) for one type. */
static void finish_stats(pl_access_stats *st, const pl_access_type *at, const pl_population *pop,
                         const size_t *cells, size_t n, double *scratch_v, double *scratch_w)
{
    const pl_label *labels[2] = {at->by_dist, at->by_time};
    double *means[2] = {&st->mean_km, &st->mean_min}, *medians[2] = {&st->median_km, &st->median_min};
    double *age_means[2] = {&st->age_mean_km, &st->age_mean_min};
    double *age_medians[2] = {&st->age_median_km, &st->age_median_min};
    for (int metric = 0; metric < 2; metric++) {
        for (int use_age = 0; use_age < 2; use_age++) {
            if (use_age && !pop->age_pop)
                break;
            double sum = 0, weight = 0;
            for (size_t j = 0; j < n; j++) {
                size_t c = cells[j];
                const pl_label *l = &labels[metric][c * 2];
                double v = metric == 0 ? l->dist_m / 1000.0 : l->time_s / 60.0;
                double w = use_age ? pop->age_pop[c] : pop->pop[c];
                scratch_v[j] = isfinite(v) ? v : NAN;
                scratch_w[j] = w;
                if (isfinite(v) && w > 0) {
                    sum += v * w;
                    weight += w;
                }
            }
            double mean = weight > 0 ? sum / weight : NAN;
            double median = pl_weighted_median(scratch_v, scratch_w, n);
            if (use_age) {
                *age_means[metric] = mean;
                *age_medians[metric] = median;
            } else {
                *means[metric] = mean;
                *medians[metric] = median;
            }
        }
    }
}

void pl_access_group_stats(const pl_access_result *r, const pl_population *pop, const long *group, size_t n_groups,
                           pl_access_stats *out)
{
    memset(out, 0, n_groups * (size_t)r->n_types * sizeof *out);
    /* Cells grouped by key (counting sort keeps input order inside a group). */
    size_t *start = pl_calloc(n_groups + 1, sizeof *start);
    size_t n_grouped = 0;
    for (size_t c = 0; c < r->n_cells; c++)
        if (r->cell_in_region[c] && group[c] >= 0 && (size_t)group[c] < n_groups) {
            start[group[c] + 1]++;
            n_grouped++;
        }
    for (size_t g = 0; g < n_groups; g++)
        start[g + 1] += start[g];
    size_t *cells = pl_malloc((n_grouped ? n_grouped : 1) * sizeof *cells);
    size_t *fill = pl_malloc((n_groups + 1) * sizeof *fill);
    memcpy(fill, start, (n_groups + 1) * sizeof *fill);
    for (size_t c = 0; c < r->n_cells; c++)
        if (r->cell_in_region[c] && group[c] >= 0 && (size_t)group[c] < n_groups)
            cells[fill[group[c]]++] = c;
    double *sv = pl_malloc((n_grouped ? n_grouped : 1) * sizeof *sv);
    double *sw = pl_malloc((n_grouped ? n_grouped : 1) * sizeof *sw);
    for (int t = 0; t < r->n_types; t++) {
        const pl_access_type *at = &r->types[t];
        for (size_t g = 0; g < n_groups; g++) {
            pl_access_stats *st = &out[g * (size_t)r->n_types + (size_t)t];
            for (size_t j = start[g]; j < start[g + 1]; j++) {
                size_t c = cells[j];
                add_to_stats(st, at, pop->pop[c], pop->age_pop ? pop->age_pop[c] : 0,
                             at->by_dist[c * 2].dist_m / 1000.0, at->by_time[c * 2].time_s / 60.0);
            }
            finish_stats(st, at, pop, cells + start[g], start[g + 1] - start[g], sv, sw);
        }
    }
    free(sv);
    free(sw);
    free(cells);
    free(fill);
    free(start);
}

static void compute_stats(pl_ctx *ctx, const pl_population *pop, const pl_services *svc,
                          const pl_municipalities *munis, pl_access_result *r)
{
    r->n_munis = munis->n;
    r->muni_stats = pl_malloc((munis->n ? munis->n : 1) * (size_t)r->n_types * sizeof *r->muni_stats);
    r->total_stats = pl_malloc((size_t)r->n_types * sizeof *r->total_stats);
    pl_access_group_stats(r, pop, r->cell_muni, munis->n, r->muni_stats);
    long *all = pl_calloc(r->n_cells ? r->n_cells : 1, sizeof *all);
    pl_access_group_stats(r, pop, all, 1, r->total_stats);
    free(all);
    if (!r->svc_muni) {  /* a result made elsewhere (scenario.c) */
        r->svc_muni = pl_malloc((svc->n ? svc->n : 1) * sizeof *r->svc_muni);
        for (size_t i = 0; i < svc->n; i++)
            r->svc_muni[i] = -2;
    }
    /* Services of each type located in each municipality (each service once, also when it
     * counts for a group and its own type). */
    for (int t = 0; t < r->n_types; t++) {
        const pl_access_type *at = &r->types[t];
        for (uint32_t s = 0; s < at->n_services; s++) {
            uint32_t si = at->service_index[s];
            int outside = 0;
            if (r->svc_muni[si] == -2)
                r->svc_muni[si] = pl_municipalities_locate(ctx, munis, svc->x[si], svc->y[si], &outside);
            long m = r->svc_muni[si];
            if (m >= 0)
                r->muni_stats[(size_t)m * (size_t)r->n_types + (size_t)t].n_services++;
            r->total_stats[t].n_services++;
        }
    }
}

/* A group type's members among the analysed types, when every member is analysed. */
static void find_group_members(const pl_service_types *st, const pl_access_params *params, pl_access_type *at)
{
    const pl_service_type *ty = &st->t[at->type];
    at->n_members = 0;
    for (int i = 0; i < ty->n_includes; i++) {
        int found = -1;
        for (int t = 0; t < params->n_types && found < 0; t++)
            if (params->types[t] == ty->includes[i])
                found = t;
        if (found < 0) {
            at->n_members = 0;
            return;
        }
        at->member[at->n_members++] = found;
    }
}

/* True when another analysed type is a group that counts `type` (grocery counts grocery_full):
 * the service level then counts the group once instead of the group and each member. */
static int included_by_analysed_group(const pl_service_types *st, const pl_access_params *params, int type)
{
    for (int t = 0; t < params->n_types; t++) {
        const pl_service_type *g = &st->t[params->types[t]];
        for (int i = 0; i < g->n_includes; i++)
            if (g->includes[i] == type && params->types[t] != type)
                return 1;
    }
    return 0;
}

int pl_access_level_types(const pl_access_result *r)
{
    int n = 0;
    for (int t = 0; t < r->n_types; t++)
        n += r->types[t].in_level != 0;
    return n;
}

/* Not attached: no road at all (left unreachable by every search). */
static void snap_none(pl_snap *s)
{
    memset(s, 0, sizeof *s);
    s->node_a = s->node_b = s->edge = s->road = UINT32_MAX;
    s->access_m = s->access_s = INFINITY;
    s->status = PL_SNAP_NONE;
}

/* Attaches the reported units only (cell_in_region; all of them without --region): the
 * others are in no figure, and attaching a national grid to one county's roads took a
 * minute (the squares far from every road search the segment index ring by ring). The
 * units left out get PL_SNAP_NONE, so every search leaves them unreachable at no cost. */
static int snap_units(pl_ctx *ctx, const pl_snap_index *ix, const pl_population *pop, const uint8_t *in_region,
                      size_t n_in, const pl_snap_opts *so, pl_snap *out, pl_error *err)
{
    if (n_in == pop->n)
        return pl_graph_snap_indexed(ctx, ix, pop->x, pop->y, pop->n, so, out, err);
    double *x = pl_malloc((n_in ? n_in : 1) * sizeof *x), *y = pl_malloc((n_in ? n_in : 1) * sizeof *y);
    pl_snap *in = pl_malloc((n_in ? n_in : 1) * sizeof *in);
    size_t k = 0;
    for (size_t c = 0; c < pop->n; c++)
        if (in_region[c]) {
            x[k] = pop->x[c];
            y[k++] = pop->y[c];
        }
    int rc = pl_graph_snap_indexed(ctx, ix, x, y, n_in, so, in, err);
    k = 0;
    for (size_t c = 0; c < pop->n; c++) {
        if (in_region[c]) {
            out[c] = in[k++];
            continue;
        }
        snap_none(&out[c]);
    }
    free(x);
    free(y);
    free(in);
    return rc;
}

/* The units of the region and every service attached to graph (timed). */
static int attach_all(pl_ctx *ctx, const pl_population *pop, const pl_services *svc, const pl_roads *roads,
                      const pl_graph *graph, const pl_access_params *params, size_t n_in_region, pl_access_result *r,
                      pl_error *err)
{
    pl_snap_opts so;
    pl_snap_opts_default(&so);
    if (params->max_snap_m > 0)
        so.max_snap_m = params->max_snap_m;
    double t0 = pl_now_s(), c0 = pl_cpu_s();
    so.threads = search_threads(2);
    pl_snap_index *snap_index = pl_snap_index_new(graph, roads, so.min_component_nodes);
    so.what = "population units";
    so.picks = params->cell_picks;
    int rc = snap_units(ctx, snap_index, pop, r->cell_in_region, n_in_region, &so, r->cell_snap, err);
    pl_attach_service_opts(&so, params->max_service_snap_m);
    so.picks = params->svc_picks;
    if (rc == PL_OK)
        rc = pl_graph_snap_indexed(ctx, snap_index, svc->x, svc->y, svc->n, &so, r->svc_snap, err);
    pl_snap_index_free(snap_index);
    r->t_snap_s = pl_now_s() - t0;
    r->c_snap_s = pl_cpu_s() - c0;
    return rc;
}

int pl_access_prepare(pl_ctx *ctx, const pl_population *pop, const pl_services *svc,
                      const pl_service_types *st, const pl_municipalities *munis, const pl_roads *roads,
                      const pl_graph *graph, const pl_access_params *params, pl_access_result **out,
                      pl_error *err)
{
    *out = NULL;
    if (params->n_types <= 0)
        return pl_error_set(err, PL_EINPUT, "no service types to analyse; check --types and the services' type field");
    pl_access_result *r = pl_calloc(1, sizeof *r);
    r->n_cells = pop->n;
    r->n_types = params->n_types;
    r->has_age = pop->age_pop != NULL;
    r->types = pl_calloc((size_t)params->n_types, sizeof *r->types);
    r->cell_snap = pl_malloc((pop->n ? pop->n : 1) * sizeof *r->cell_snap);
    r->cell_muni = pl_malloc((pop->n ? pop->n : 1) * sizeof *r->cell_muni);
    r->cell_in_region = pl_malloc(pop->n ? pop->n : 1);
    r->service_level = pl_calloc(pop->n ? pop->n : 1, sizeof *r->service_level);

    r->svc_muni = pl_malloc((svc->n ? svc->n : 1) * sizeof *r->svc_muni);
    const pl_access_result *same = params->same_inputs;
    if (same && same->n_cells == pop->n && same->n_svc == svc->n) {
        /* Another mode's run on the same inputs: the same municipalities, without the
         * point-in-polygon work (and its warnings) again. */
        memcpy(r->cell_muni, same->cell_muni, (pop->n ? pop->n : 1) * sizeof *r->cell_muni);
        memcpy(r->svc_muni, same->svc_muni, (svc->n ? svc->n : 1) * sizeof *r->svc_muni);
        r->n_outside_muni = same->n_outside_muni;
    } else {
        r->n_outside_muni = pl_assign_municipalities(ctx, pop, munis, r->cell_muni);
        for (size_t i = 0; i < svc->n; i++)
            r->svc_muni[i] = -2;
    }
    long n_in_region = 0;
    for (size_t c = 0; c < pop->n; c++) {
        long m = r->cell_muni[c];
        r->cell_in_region[c] = (uint8_t)in_region(m >= 0 ? munis->code[m] : NULL, params->region) &&
                               (!params->cell_mask || params->cell_mask[c]);
        if (r->cell_in_region[c]) {
            n_in_region++;
            r->pop_total += pop->pop[c];
            r->age_total += pop->age_pop ? pop->age_pop[c] : 0;
        }
    }
    if (params->region && *params->region && n_in_region == 0) {
        pl_access_result_free(r);
        return pl_error_set(err, PL_EINPUT, "--region %s: no population unit lies in that municipality or county; "
                            "codes are 4 digits (kommun, e.g. 1880) or 2 digits (län, e.g. 18)", params->region);
    }

    r->n_svc = svc->n;
    r->svc_snap = pl_malloc((svc->n ? svc->n : 1) * sizeof *r->svc_snap);
    int rc = graph ? attach_all(ctx, pop, svc, roads, graph, params, (size_t)n_in_region, r, err) : PL_OK;
    if (!graph) {
        for (size_t c = 0; c < pop->n; c++)
            snap_none(&r->cell_snap[c]);
        for (size_t s = 0; s < svc->n; s++)
            snap_none(&r->svc_snap[s]);
    }
    /* Services in id order, so equal distances are won by the lower id. */
    uint32_t *order = pl_ids_sorted_order((const char *const *)svc->id, svc->n);
    for (int t = 0; rc == PL_OK && t < params->n_types; t++) {
        pl_access_type *at = &r->types[t];
        at->type = params->types[t];
        setup_bands(at, &st->t[at->type], params);
        at->service_index = pl_malloc((svc->n ? svc->n : 1) * sizeof *at->service_index);
        for (size_t j = 0; j < svc->n; j++)
            if (pl_service_types_counts_for(st, at->type, svc->type[order[j]]))
                at->service_index[at->n_services++] = order[j];
        if (at->n_services == 0)
            pl_warn(ctx, "type-without-services", "no service of type '%s' in the data; every unit is unreachable for it",
                    st->t[at->type].key);
    }
    for (int t = 0; rc == PL_OK && t < params->n_types; t++)
        find_group_members(st, params, &r->types[t]);
    for (int t = 0; rc == PL_OK && t < params->n_types; t++)
        r->types[t].in_level = !included_by_analysed_group(st, params, params->types[t]);
    free(order);
    if (rc != PL_OK) {
        pl_access_result_free(r);
        return rc;
    }
    *out = r;
    return PL_OK;
}

void pl_access_labels_unreachable(pl_access_result *r)
{
    const pl_label none = {UINT32_MAX, INFINITY, INFINITY};
    for (int t = 0; t < r->n_types; t++) {
        pl_access_type *at = &r->types[t];
        free(at->by_dist);
        free(at->by_time);
        at->by_dist = pl_malloc((r->n_cells ? r->n_cells : 1) * 2 * sizeof *at->by_dist);
        at->by_time = pl_malloc((r->n_cells ? r->n_cells : 1) * 2 * sizeof *at->by_time);
        for (size_t i = 0; i < r->n_cells * 2; i++)
            at->by_dist[i] = at->by_time[i] = none;
    }
}

/* ---------- distances shared by the modes of one run ---------- */

static int same_float(float a, float b) { return memcmp(&a, &b, sizeof a) == 0; }

/* The fields of an attachment a distance search reads (graph_search.c: seeds, targets and the
 * sources on a target's own edge), bit for bit. */
static int same_distance_snap(const pl_snap *a, const pl_snap *b)
{
    return a->status == b->status && a->node_a == b->node_a && a->node_b == b->node_b && a->edge == b->edge &&
           a->to_a == b->to_a && a->to_b == b->to_b && a->from_a == b->from_a && a->from_b == b->from_b &&
           same_float(a->a_len_m, b->a_len_m) && same_float(a->b_len_m, b->b_len_m) &&
           same_float(a->access_m, b->access_m);
}

/* The reverse arcs a distance search reads: the same tails and lengths in the same order. */
static int same_distance_arcs(const pl_graph *a, const pl_graph *b)
{
    if (a->n_nodes != b->n_nodes || a->n_arcs != b->n_arcs || !a->in_begin || !b->in_begin ||
        (a->n_arcs && (!a->in_arc || !b->in_arc)))
        return 0;
    if (memcmp(a->in_begin, b->in_begin, ((size_t)a->n_nodes + 1) * sizeof *a->in_begin) != 0)
        return 0;
    for (uint32_t i = 0; i < a->n_arcs; i++)
        if (a->in_arc[i].tail != b->in_arc[i].tail || !same_float(a->in_arc[i].len_m, b->in_arc[i].len_m))
            return 0;
    return 1;
}

int pl_access_same_distance_inputs(const pl_access_result *r, const pl_graph *graph, const pl_access_result *first,
                                   const pl_graph *first_graph)
{
    if (!r || !first || !graph || !first_graph || r->n_cells != first->n_cells || r->n_svc != first->n_svc ||
        r->n_types != first->n_types)
        return 0;
    for (int t = 0; t < r->n_types; t++) {
        const pl_access_type *a = &r->types[t], *b = &first->types[t];
        if (a->type != b->type || a->n_services != b->n_services ||
            (a->n_services && memcmp(a->service_index, b->service_index, a->n_services * sizeof *a->service_index)))
            return 0;
    }
    for (size_t s = 0; s < r->n_svc; s++)
        if (!same_distance_snap(&r->svc_snap[s], &first->svc_snap[s]))
            return 0;
    for (size_t c = 0; c < r->n_cells; c++)
        if (!same_distance_snap(&r->cell_snap[c], &first->cell_snap[c]))
            return 0;
    return same_distance_arcs(graph, first_graph);
}

int pl_access_take_distances(pl_access_result *r, const pl_access_result *from)
{
    int n = 0;
    size_t n_labels = r->n_cells * 2;
    for (int t = 0; from && t < r->n_types && t < from->n_types; t++) {
        pl_access_type *at = &r->types[t];
        const pl_access_type *ft = &from->types[t];
        if (at->n_members || ft->n_members || !ft->by_dist || !ft->dist_tie_free || at->type != ft->type)
            continue;
        free(at->by_dist);
        at->by_dist = pl_malloc((n_labels ? n_labels : 1) * sizeof *at->by_dist);
        for (size_t i = 0; i < n_labels; i++) {
            at->by_dist[i] = ft->by_dist[i];
            if (at->by_dist[i].source != UINT32_MAX)
                at->by_dist[i].time_s = NAN;  /* this mode's time along that path is not known */
        }
        at->dist_tie_free = 1;
        n++;
    }
    return n;
}

int pl_access_search_type(pl_ctx *ctx, const pl_graph *graph, pl_access_result *r, int t, pl_error *err)
{
    pl_access_type *at = &r->types[t];
    free(at->by_dist);
    free(at->by_time);
    at->by_dist = at->by_time = NULL;
    return search_type(ctx, graph, r->svc_snap, r->cell_snap, r->n_cells, at, err);
}

void pl_access_finish(pl_ctx *ctx, const pl_population *pop, const pl_services *svc,
                      const pl_municipalities *munis, const pl_access_params *params, pl_access_result *r)
{
    free(r->muni_stats);
    free(r->total_stats);
    memset(r->service_level, 0, (pop->n ? pop->n : 1) * sizeof *r->service_level);
    for (size_t c = 0; c < pop->n; c++)
        for (int t = 0; t < r->n_types; t++)
            if (r->types[t].in_level)
                r->service_level[c] += pl_access_within(&r->types[t].by_dist[c * 2], params->within_km);
    compute_stats(ctx, pop, svc, munis, r);
}

int pl_access_compute(pl_ctx *ctx, const pl_population *pop, const pl_services *svc,
                      const pl_service_types *st, const pl_municipalities *munis, const pl_roads *roads,
                      const pl_graph *graph, const pl_access_params *params, pl_access_result **out,
                      pl_error *err)
{
    *out = NULL;
    pl_access_result *r = NULL;
    int rc = pl_access_prepare(ctx, pop, svc, st, munis, roads, graph, params, &r, err);
    if (rc == PL_OK)
        rc = pl_access_search_all(ctx, pop, svc, munis, graph, params, r, err);
    if (rc != PL_OK) {
        pl_access_result_free(r);
        return rc;
    }
    *out = r;
    return PL_OK;
}

int pl_access_search_all(pl_ctx *ctx, const pl_population *pop, const pl_services *svc,
                         const pl_municipalities *munis, const pl_graph *graph, const pl_access_params *params,
                         pl_access_result *r, pl_error *err)
{
    /* Every type's two searches at once, on up to 2 threads (search_all). */
    int rc = PL_OK;
    double t0 = pl_now_s(), c0 = pl_cpu_s();
    if (pl_progress(ctx, 0.0, "searching services"))
        rc = pl_error_set(err, PL_EINPUT, "cancelled");
    if (rc == PL_OK)
        rc = search_all(ctx, graph, r->svc_snap, r->n_svc, r->cell_snap, r->n_cells, r->types, r->n_types, err);
    pl_progress(ctx, 1.0, "searching services");
    r->t_search_s = pl_now_s() - t0;
    r->c_search_s = pl_cpu_s() - c0;
    if (rc != PL_OK)
        return rc;
    t0 = pl_now_s();
    c0 = pl_cpu_s();
    pl_access_finish(ctx, pop, svc, munis, params, r);
    r->t_stats_s = pl_now_s() - t0;
    r->c_stats_s = pl_cpu_s() - c0;
    return PL_OK;
}

void pl_access_result_free(pl_access_result *r)
{
    if (!r)
        return;
    for (int t = 0; t < r->n_types; t++) {
        free(r->types[t].service_index);
        free(r->types[t].by_dist);
        free(r->types[t].by_time);
    }
    free(r->types);
    free(r->cell_snap);
    free(r->cell_muni);
    free(r->cell_in_region);
    free(r->service_level);
    free(r->muni_stats);
    free(r->total_stats);
    free(r->svc_snap);
    free(r->svc_muni);
    free(r);
}

int pl_access_opts_init(pl_access_opts *o)
{
    memset(o, 0, sizeof *o);
    return pl_options_defaults(pl_access_options, o, NULL);
}

void pl_access_opts_free(pl_access_opts *o)
{
    pl_options_free(pl_access_options, o);
}
