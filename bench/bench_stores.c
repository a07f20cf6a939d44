/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Benchmark of the RSP decision tools on a national-scale region:
 *   stores    vulnerability of every grocery store (figures beyond the access run; goal < 10 s)
 *   coverage  N = 50 new hubs from 20,000 candidates, lazy greedy incl. coverage sets (goal < 10 s)
 *   scenario  close 10 and add 10 grocery stores, incremental (goal < 1 s beyond loading and the
 *             baseline), checked against a full re-run
 *
 * Region: `--gpkg FILE` reads a `platsa synth` GeoPackage (layers population, services, roads,
 * municipalities), e.g. synth --size L; without it a synthetic grid region is generated:
 * a jittered 150 m road grid (default 2,000,000 nodes, about 240 x 190 km; 5 % of the links
 * missing, 4 % diagonals, residential/tertiary/secondary speeds), 400 towns with clustered
 * population units (250,000 units, 10.5 M residents, 25 % scattered rural), 6,000 grocery stores
 * placed with the population (one per 1,750 residents, as platsa synth does), 4 x 4
 * municipalities. Deterministic (splitmix64, --seed).
 *
 * usage: bench_stores [--gpkg FILE] [--nodes N] [--units U] [--stores S] [--candidates C]
 *                     [--add N] [--min MIN] [--threads T] [--seed S] [--lp]
 * --lp also solves the LP relaxation with CLP for an upper bound on the optimum (slow). */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <gdal.h>

#include "analyses/coverage/coverage.h"
#include "analyses/scenario/scenario.h"
#include "analyses/stores/stores.h"
#include "gis/util.h"

static uint64_t rng = 0x2545f4914f6cdd1dULL;
static uint64_t next_u64(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static double uniform(void) { return (double)(next_u64() >> 11) / 9007199254740992.0; }
static double gauss(void)
{
    double u = uniform(), v = uniform();
    return sqrt(-2 * log(u + 1e-300)) * cos(2 * M_PI * v);
}

/* Wall and process CPU time of a phase (CPU shows the work when the machine is shared). */
typedef struct stopwatch {
    double w, c;
} stopwatch;
static stopwatch sw_start(void) { return (stopwatch){pl_now_s(), pl_cpu_s()}; }
static stopwatch sw_stop(stopwatch s) { return (stopwatch){pl_now_s() - s.w, pl_cpu_s() - s.c}; }

/* One result line: name, wall and CPU seconds, then a note. */
static void row(const char *name, stopwatch t, const char *fmt, ...)
{
    printf("%-50s %8.3f s %8.3f s cpu", name, t.w, t.c);
    if (fmt && *fmt) {
        va_list ap;
        va_start(ap, fmt);
        printf("   ");
        vprintf(fmt, ap);
        va_end(ap);
    }
    printf("\n");
}

static double peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0;
}

typedef struct region {
    pl_service_types *types;
    pl_municipalities *munis;
    pl_population *pop;
    pl_services *svc;
    pl_roads *roads;
    pl_graph *graph;
    double x0, y0, x1, y1;
} region;

static void die(const pl_error *err)
{
    fprintf(stderr, "bench_stores: %s\n", err->msg);
    exit(1);
}

/* ---------- synthetic grid region ---------- */

static void grid_region(pl_ctx *ctx, region *R, long n_nodes, long n_units, long n_stores)
{
    pl_error err = {0};
    uint32_t W = (uint32_t)llround(sqrt((double)n_nodes * 1.28)), H = (uint32_t)((n_nodes + W - 1) / W);
    uint32_t N = W * H;
    double *nx = pl_malloc((size_t)N * sizeof *nx), *ny = pl_malloc((size_t)N * sizeof *ny);
    for (uint32_t j = 0; j < H; j++)
        for (uint32_t i = 0; i < W; i++) {
            nx[j * W + i] = 400000.0 + 400.0 * i + (uniform() * 200.0 - 100.0);
            ny[j * W + i] = 6400000.0 + 400.0 * j + (uniform() * 200.0 - 100.0);
        }
    R->x0 = 400000;
    R->y0 = 6400000;
    R->x1 = 400000 + 400.0 * W;
    R->y1 = 6400000 + 400.0 * H;
    size_t cap = (size_t)N * 2 + 16, n = 0;
    uint32_t *la = pl_malloc(cap * sizeof *la), *lb = pl_malloc(cap * sizeof *lb);
    for (uint32_t j = 0; j < H; j++)
        for (uint32_t i = 0; i < W; i++) {
            uint32_t v = j * W + i;
            if (i + 1 < W && uniform() >= 0.05 && n < cap) {
                la[n] = v;
                lb[n++] = v + 1;
            }
            if (j + 1 < H && uniform() >= 0.05 && n < cap) {
                la[n] = v;
                lb[n++] = v + W;
            }
            if (i + 1 < W && j + 1 < H && uniform() < 0.04 && n < cap) {
                int diag = uniform() < 0.5;
                la[n] = diag ? v : v + 1;
                lb[n] = diag ? v + W + 1 : v + W;
                n++;
            }
        }
    pl_roads *r = pl_calloc(1, sizeof *r);
    r->n = n;
    r->first_vertex = pl_malloc((n + 1) * sizeof *r->first_vertex);
    r->vx = pl_malloc(2 * n * sizeof *r->vx);
    r->vy = pl_malloc(2 * n * sizeof *r->vy);
    r->id = pl_malloc(n * sizeof *r->id);
    r->road_class = pl_malloc(n);
    r->speed_kmh = pl_calloc(n, sizeof *r->speed_kmh);
    r->oneway = pl_calloc(n, 1);
    r->flags = pl_calloc(n, 1);
    r->layer = pl_calloc(n, 1);
    r->source = pl_strdup("bench grid");
    for (size_t e = 0; e < n; e++) {
        r->first_vertex[e] = 2 * e;
        r->vx[2 * e] = nx[la[e]];
        r->vy[2 * e] = ny[la[e]];
        r->vx[2 * e + 1] = nx[lb[e]];
        r->vy[2 * e + 1] = ny[lb[e]];
        r->id[e] = (int64_t)e;
        double u = uniform();
        r->road_class[e] = u < 0.7 ? PL_ROAD_RESIDENTIAL : u < 0.9 ? PL_ROAD_TERTIARY : PL_ROAD_SECONDARY;
    }
    r->first_vertex[n] = 2 * n;
    free(la);
    free(lb);
    free(nx);
    free(ny);
    R->roads = r;

    /* Municipalities: 4 x 4 rectangles, through the loader (a small GeoJSON file). */
    char path[256];
    snprintf(path, sizeof path, "/tmp/bench_stores_munis_%d.geojson", (int)getpid());
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    fprintf(f, "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":"
               "\"urn:ogc:def:crs:EPSG::3006\"}},\"features\":[");
    double dx = (R->x1 - R->x0) / 4, dy = (R->y1 - R->y0) / 4;
    for (int k = 0; k < 16; k++) {
        double ax = R->x0 - 1000 + (k % 4) * dx + (k % 4 ? 1000 : 0), bx = R->x0 + (k % 4 + 1) * dx + (k % 4 == 3 ? 1000 : 0);
        double ay = R->y0 - 1000 + (k / 4) * dy + (k / 4 ? 1000 : 0), by = R->y0 + (k / 4 + 1) * dy + (k / 4 == 3 ? 1000 : 0);
        fprintf(f, "%s{\"type\":\"Feature\",\"properties\":{\"KnKod\":\"%04d\",\"KnNamn\":\"Kommun %d\"},"
                   "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[%.1f,%.1f],[%.1f,%.1f],[%.1f,%.1f],"
                   "[%.1f,%.1f],[%.1f,%.1f]]]}}",
                k ? "," : "", 2101 + k, k + 1, ax, ay, bx, ay, bx, by, ax, by, ax, ay);
    }
    fprintf(f, "]}\n");
    fclose(f);
    pl_load_opts lo = {0};
    R->munis = pl_municipalities_load(ctx, path, &lo, &err);
    remove(path);
    if (!R->munis)
        die(&err);

    /* Population: 400 towns (sizes ~ Zipf), 75 % of the units around them, 25 % scattered. */
    const int n_towns = 400;
    double tx[400], ty[400], tw[400], tsum = 0;
    for (int t = 0; t < n_towns; t++) {
        tx[t] = R->x0 + 5000 + uniform() * (R->x1 - R->x0 - 10000);
        ty[t] = R->y0 + 5000 + uniform() * (R->y1 - R->y0 - 10000);
        tw[t] = 1.0 / (t + 1);
        tsum += tw[t];
    }
    pl_population *p = pl_calloc(1, sizeof *p);
    size_t nu = (size_t)n_units;
    p->n = nu;
    p->id = pl_malloc(nu * sizeof *p->id);
    p->x = pl_malloc(nu * sizeof *p->x);
    p->y = pl_malloc(nu * sizeof *p->y);
    p->pop = pl_malloc(nu * sizeof *p->pop);
    p->muni_code = pl_calloc(nu, sizeof *p->muni_code);
    p->geom = pl_calloc(nu, sizeof *p->geom);
    p->source = pl_strdup("bench population");
    double total = 0;
    for (size_t i = 0; i < nu; i++) {
        double x, y, w;
        if (uniform() < 0.75) {
            double u = uniform() * tsum, acc = 0;
            int t = 0;
            while (t < n_towns - 1 && (acc += tw[t]) < u)
                t++;
            double sd = 2000 + 12000 * sqrt(tw[t]);
            x = tx[t] + gauss() * sd;
            y = ty[t] + gauss() * sd;
            w = 30 + 90 * uniform();
        } else {
            x = R->x0 + uniform() * (R->x1 - R->x0);
            y = R->y0 + uniform() * (R->y1 - R->y0);
            w = 1 + 12 * uniform();
        }
        if (x < R->x0)
            x = R->x0;
        if (x > R->x1)
            x = R->x1;
        if (y < R->y0)
            y = R->y0;
        if (y > R->y1)
            y = R->y1;
        char id[32];
        snprintf(id, sizeof id, "u%zu", i);
        p->id[i] = pl_strdup(id);
        p->x[i] = x;
        p->y[i] = y;
        p->pop[i] = w;
        total += w;
    }
    /* Scale to 10.5 M residents. */
    for (size_t i = 0; i < nu; i++)
        p->pop[i] = round(p->pop[i] * 10.5e6 / total);
    p->total_pop = 10.5e6;
    R->pop = p;

    /* Grocery stores: at units drawn by population (a store per 1,750 residents). */
    double *cum = pl_malloc(nu * sizeof *cum), acc = 0;
    for (size_t i = 0; i < nu; i++)
        cum[i] = acc += p->pop[i];
    pl_services *s = pl_calloc(1, sizeof *s);
    size_t ns = (size_t)n_stores;
    s->n = ns;
    s->x = pl_malloc(ns * sizeof *s->x);
    s->y = pl_malloc(ns * sizeof *s->y);
    s->type = pl_malloc(ns * sizeof *s->type);
    s->id = pl_malloc(ns * sizeof *s->id);
    s->name = pl_malloc(ns * sizeof *s->name);
    s->raw_type = pl_malloc(ns * sizeof *s->raw_type);
    s->source = pl_strdup("bench stores");
    int full = pl_service_types_find(R->types, "grocery_full"), partial = pl_service_types_find(R->types, "grocery_partial");
    for (size_t i = 0; i < ns; i++) {
        double u = uniform() * acc;
        size_t lo = 0, hi = nu - 1;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (cum[mid] < u)
                lo = mid + 1;
            else
                hi = mid;
        }
        char id[32];
        snprintf(id, sizeof id, "%zu", 100000 + i);
        s->x[i] = p->x[lo] + 200 * (uniform() - 0.5);
        s->y[i] = p->y[lo] + 200 * (uniform() - 0.5);
        s->type[i] = uniform() < 0.6 ? full : partial;
        s->id[i] = pl_strdup(id);
        s->name[i] = pl_strdup("");
        s->raw_type[i] = pl_strdup(s->type[i] == full ? "grocery_full" : "grocery_partial");
    }
    free(cum);
    R->svc = s;
}

static void gpkg_region(pl_ctx *ctx, region *R, const char *file)
{
    pl_error err = {0};
    char spec[4096];
    pl_load_opts lo = {0};
    snprintf(spec, sizeof spec, "%s:municipalities", file);
    if (!(R->munis = pl_municipalities_load(ctx, spec, &lo, &err)))
        die(&err);
    snprintf(spec, sizeof spec, "%s:population", file);
    if (!(R->pop = pl_population_load(ctx, spec, &lo, &err)))
        die(&err);
    snprintf(spec, sizeof spec, "%s:services", file);
    if (!(R->svc = pl_services_load(ctx, spec, R->types, &lo, &err)))
        die(&err);
    snprintf(spec, sizeof spec, "%s:roads", file);
    if (!(R->roads = pl_roads_load(ctx, spec, &lo, &err)))
        die(&err);
}

static int same_labels(const pl_access_result *a, const pl_access_result *b)
{
    if (a->n_cells != b->n_cells)
        return 0;
    for (int t = 0; t < a->n_types; t++)
        for (int m = 0; m < 2; m++) {
            const pl_label *x = m ? a->types[t].by_time : a->types[t].by_dist;
            const pl_label *y = m ? b->types[t].by_time : b->types[t].by_dist;
            for (size_t c = 0; c < 2 * a->n_cells; c++)
                if (x[c].source != y[c].source || !(x[c].dist_m == y[c].dist_m || (isinf(x[c].dist_m) && isinf(y[c].dist_m))) ||
                    !(x[c].time_s == y[c].time_s || (isinf(x[c].time_s) && isinf(y[c].time_s))))
                    return 0;
        }
    return 1;
}

int main(int argc, char **argv)
{
    long n_nodes = 2000000, n_units = 250000, n_stores = 6000, n_cand = 20000, n_add = 50;
    double min_threshold = 10;
    int threads = 2, lp = 0;
    uint64_t seed = 20240601;
    const char *gpkg = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--gpkg") && i + 1 < argc)
            gpkg = argv[++i];
        else if (!strcmp(argv[i], "--nodes") && i + 1 < argc)
            n_nodes = atol(argv[++i]);
        else if (!strcmp(argv[i], "--units") && i + 1 < argc)
            n_units = atol(argv[++i]);
        else if (!strcmp(argv[i], "--stores") && i + 1 < argc)
            n_stores = atol(argv[++i]);
        else if (!strcmp(argv[i], "--candidates") && i + 1 < argc)
            n_cand = atol(argv[++i]);
        else if (!strcmp(argv[i], "--add") && i + 1 < argc)
            n_add = atol(argv[++i]);
        else if (!strcmp(argv[i], "--min") && i + 1 < argc)
            min_threshold = atof(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--lp"))
            lp = 1;
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: %s [--gpkg FILE] [--nodes N] [--units U] [--stores S] [--candidates C] [--add N] "
                            "[--min MIN] [--threads T] [--seed S] [--lp]\n", argv[0]);
            return 1;
        }
    }
    rng ^= seed * 0x9e3779b97f4a7c15ULL;
    GDALAllRegister();
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = getenv("BENCH_VERBOSE") ? 0 : 1;
    ctx->verbose = getenv("BENCH_VERBOSE") ? 1 : 0;
    pl_error err = {0};
    region R;
    memset(&R, 0, sizeof R);
    if (!(R.types = pl_service_types_load(ctx, NULL, &err)))
        die(&err);
    stopwatch t0 = sw_start();
    if (gpkg)
        gpkg_region(ctx, &R, gpkg);
    else
        grid_region(ctx, &R, n_nodes, n_units, n_stores);
    stopwatch t_load = sw_stop(t0);
    pl_graph_opts go;
    pl_graph_opts_default(&go);
    t0 = sw_start();
    if (!(R.graph = pl_graph_build(ctx, R.roads, &go, &err)))
        die(&err);
    stopwatch t_graph = sw_stop(t0);
    int grocery = pl_service_types_find(R.types, "grocery");
    size_t n_groc = 0;
    for (size_t i = 0; i < R.svc->n; i++)
        n_groc += pl_service_types_counts_for(R.types, grocery, R.svc->type[i]);
    printf("region: %s\n", gpkg ? gpkg : "synthetic grid (see bench/bench_stores.c)");
    printf("  %u road nodes, %u arcs; %zu population units, %.0f residents; %zu grocery stores; %d threads\n",
           R.graph->n_nodes, R.graph->n_arcs, R.pop->n, R.pop->total_pop, n_groc, threads);
    printf("%-50s %8s   %8s\n", "", "wall", "process");
    row("load / generate", t_load, "");
    row("graph build", t_graph, "");

    /* ---- stores ---- */
    pl_access_params ap = {.types = &grocery, .n_types = 1, .mode = PL_MODE_CAR, .within_km = 10, .max_snap_m = 1000};
    pl_access_result *acc = NULL;
    t0 = sw_start();
    if (pl_access_compute(ctx, R.pop, R.svc, R.types, R.munis, R.roads, R.graph, &ap, &acc, &err) != PL_OK)
        die(&err);
    stopwatch t_access = sw_stop(t0);
    pl_doubles bk = {1, {10}}, bm = {1, {30}};
    pl_store_figures *fig = NULL;
    t0 = sw_start();
    if (pl_stores_from_access(ctx, R.pop, R.svc, R.munis, R.graph, acc, 0, &bk, &bm, &fig, &err) != PL_OK)
        die(&err);
    pl_stores_rank(fig, acc->types[0].n_services, R.svc);
    stopwatch t_stores = sw_stop(t0);
    double pushed = 0;
    for (uint32_t i = 0; i < acc->types[0].n_services; i++)
        pushed += fig[i].pop_beyond_min[0];
    row("access run (grocery, k=2, distance + time)", t_access, "");
    row("stores: all stores' figures beyond the access run", t_stores,
        "goal < 10 s (%u stores; rank 1 pushes %.0f beyond 30 min; all %.0f)", acc->types[0].n_services,
        fig[0].pop_beyond_min[0], pushed);
    free(fig);

    /* ---- coverage: hubs = the grocery stores, threshold --min ---- */
    double T = min_threshold * 60;
    size_t n = R.pop->n;
    pl_snap *hub = pl_malloc(acc->types[0].n_services * sizeof *hub);
    for (uint32_t s = 0; s < acc->types[0].n_services; s++)
        hub[s] = acc->svc_snap[acc->types[0].service_index[s]];
    pl_label *lab = pl_malloc(n * sizeof *lab);
    t0 = sw_start();
    pl_search_opts so = {.metric = PL_METRIC_TIME, .k = 1, .cutoff = INFINITY};
    if (pl_graph_nearest_k(ctx, R.graph, hub, acc->types[0].n_services, acc->cell_snap, n, &so, lab, &err) != PL_OK)
        die(&err);
    stopwatch t_nearest = sw_stop(t0);
    uint32_t *unc = pl_malloc(n * sizeof *unc);
    size_t nu = 0;
    double pop_unc = 0, pop_all = 0;
    for (size_t c = 0; c < n; c++) {
        pop_all += R.pop->pop[c];
        if (!(lab[c].time_s <= T) && R.pop->pop[c] > 0) {
            unc[nu++] = (uint32_t)c;
            pop_unc += R.pop->pop[c];
        }
    }
    double area = (R.graph->n_nodes ? 1 : 0);
    double gx0 = INFINITY, gy0 = INFINITY, gx1 = -INFINITY, gy1 = -INFINITY;
    for (uint32_t v = 0; v < R.graph->n_nodes; v++) {
        gx0 = fmin(gx0, R.graph->node_x[v]);
        gy0 = fmin(gy0, R.graph->node_y[v]);
        gx1 = fmax(gx1, R.graph->node_x[v]);
        gy1 = fmax(gy1, R.graph->node_y[v]);
    }
    area = (gx1 - gx0) * (gy1 - gy0);
    /* Candidates: road nodes thinned to about n_cand (one per square). */
    double spacing = sqrt(area / (double)n_cand);
    pl_candidates *cand = pl_candidates_from_graph(R.graph, spacing);
    for (int it = 0; it < 6 && (cand->n < 0.97 * n_cand || cand->n > 1.03 * n_cand); it++) {
        spacing *= sqrt((double)cand->n / (double)n_cand);
        pl_candidates_free(cand);
        cand = pl_candidates_from_graph(R.graph, spacing);
    }
    pl_coverage_params cp = {.metric = PL_METRIC_TIME, .threshold = T, .threads = threads};
    uint64_t *begin = NULL;
    uint32_t *members = NULL;
    t0 = sw_start();
    if (pl_coverage_sets(ctx, R.graph, acc->cell_snap, unc, nu, cand, &cp, &begin, &members, &err) != PL_OK)
        die(&err);
    stopwatch t_sets = sw_stop(t0);
    pl_cover_instance I;
    uint32_t *rep = NULL;
    t0 = sw_start();
    pl_cover_instance_build(cand->n, begin, members, R.pop->pop, n, &I, NULL, NULL, &rep);
    stopwatch t_inst = sw_stop(t0);
    pl_cover_solution g;
    t0 = sw_start();
    pl_mclp_greedy(&I, (uint32_t)n_add, &g);
    stopwatch t_greedy = sw_stop(t0);
    double ob = pl_mclp_online_bound(&I, (uint32_t)n_add, &g);
    row("coverage: nearest hub for every unit", t_nearest, "(%zu units, %.0f residents beyond %g min of a store)", nu,
        pop_unc, min_threshold);
    row("coverage: coverage sets", t_sets, "(%zu candidates, %llu unit-candidate pairs)", cand->n,
        (unsigned long long)begin[cand->n]);
    row("coverage: merged instance", t_inst, "(%u columns x %u rows after merging)", I.n_cand, I.n_rows);
    row("coverage: lazy greedy", t_greedy, "(%u hubs cover %.0f of %.0f uncovered; submodular bound %.0f, gap <= %.2f %%)",
        g.n, g.value, pop_unc, ob, ob > 0 ? 100 * (ob - g.value) / ob : 0.0);
    stopwatch t_cov = {t_sets.w + t_inst.w + t_greedy.w, t_sets.c + t_inst.c + t_greedy.c};
    row("coverage: N new hubs from the candidates, total", t_cov, "goal < 10 s (N = %ld)", n_add);
    if (lp) {
        t0 = sw_start();
        double bound = pl_mclp_lp_bound(&I, (uint32_t)n_add, 600);
        stopwatch t_lp = sw_stop(t0);
        row("coverage: LP relaxation bound (CLP)", t_lp, "(bound %.0f: greedy within %.2f %% of the optimum)", bound,
            bound > 0 ? 100 * (bound - g.value) / bound : 0.0);
    }
    pl_cover_solution_free(&g);
    pl_cover_instance_free(&I);
    free(rep);
    free(begin);
    free(members);
    pl_candidates_free(cand);
    free(unc);
    free(lab);
    free(hub);
    pl_access_result_free(acc);

    /* ---- scenario: close 10, add 10 grocery stores ---- */
    pl_scenario_base *base = NULL;
    t0 = sw_start();
    if (pl_scenario_baseline(ctx, R.pop, R.svc, R.types, R.munis, R.roads, R.graph, &ap, &base, &err) != PL_OK)
        die(&err);
    stopwatch t_base = sw_stop(t0);
    uint8_t *closed = pl_calloc(R.svc->n, 1);
    int nc = 0;
    while (nc < 10) {
        size_t i = (size_t)(uniform() * R.svc->n);
        if (!closed[i] && pl_service_types_counts_for(R.types, grocery, R.svc->type[i])) {
            closed[i] = 1;
            nc++;
        }
    }
    pl_services add = {0};
    double ax[10], ay[10];
    int at[10];
    char *aid[10], *aname[10], *araw[10];
    char idbuf[10][16];
    for (int k = 0; k < 10; k++) {
        size_t c = (size_t)(uniform() * n);
        ax[k] = R.pop->x[c];
        ay[k] = R.pop->y[c];
        at[k] = pl_service_types_find(R.types, "grocery_full");
        snprintf(idbuf[k], sizeof idbuf[k], "new%d", k);
        aid[k] = idbuf[k];
        aname[k] = "";
        araw[k] = "grocery_full";
    }
    add.n = 10;
    add.x = ax;
    add.y = ay;
    add.type = at;
    add.id = aid;
    add.name = aname;
    add.raw_type = araw;
    uint32_t *o2n = pl_malloc(R.svc->n * sizeof *o2n);
    t0 = sw_start();
    pl_services *sn = pl_scenario_services(R.svc, closed, &add, o2n);
    pl_population *pn = pl_scenario_population(R.pop, NULL);
    pl_access_result *inc = NULL;
    pl_scenario_work wk;
    if (pl_scenario_apply(ctx, base, pn, R.svc, sn, o2n, R.types, R.munis, R.roads, R.graph, &inc, &wk, &err) != PL_OK)
        die(&err);
    stopwatch t_scen = sw_stop(t0);
    pl_access_result *full = NULL;
    t0 = sw_start();
    if (pl_access_compute(ctx, pn, sn, R.types, R.munis, R.roads, R.graph, &ap, &full, &err) != PL_OK)
        die(&err);
    stopwatch t_full = sw_stop(t0);
    row("scenario: baseline", t_base, "(k=3 labels, distance + time, and summaries)");
    row("scenario: close 10 + add 10 grocery stores", t_scen,
        "goal < 1 s (%ld units searched again, %ld labels improved, %llu nodes settled)", wk.units_searched,
        wk.units_improved, (unsigned long long)wk.nodes_settled);
    row("scenario: full re-run for comparison", t_full, "(incremental result %s)",
        same_labels(inc, full) ? "identical" : "DIFFERS");
    printf("%-50s %8.0f MB\n", "peak RSS", peak_rss_mb());
    pl_access_result_free(inc);
    pl_access_result_free(full);
    pl_scenario_services_free(sn);
    pl_scenario_population_free(pn);
    pl_scenario_base_free(base);
    free(o2n);
    free(closed);
    pl_graph_free(R.graph);
    pl_roads_free(R.roads);
    pl_services_free(R.svc);
    pl_population_free(ctx, R.pop);
    pl_municipalities_free(ctx, R.munis);
    pl_service_types_free(R.types);
    pl_ctx_free(ctx);
    return 0;
}
