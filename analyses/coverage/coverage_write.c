/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa coverage: load, covered/uncovered per municipality, clusters, new hubs (MCLP and
 * set covering), output layers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gis/gpkg_writer.h"
#include "analyses/common/attach.h"
#include "coverage.h"
#include "coverage_styles.h"
#include "analyses/common/fields.h"
#include "analyses/common/ids.h"
#include "analyses/common/units.h"
#include "gis/util.h"
#include "analyses/common/run.h"

#define NONE32 UINT32_MAX

const char pl_coverage_usage[] =
    "platsa coverage --population FILE --hubs FILE --roads FILE --municipalities FILE (--km KM | --min MIN) "
    "-o OUT.gpkg [--add N --candidates C] [--target-share S] [options]";
const char pl_coverage_summary[] =
    "Service-hub coverage: residents within the threshold of a hub (road distance --km or travel time\n"
    "--min) per municipality, and the uncovered residents gathered into clusters (units within\n"
    "--cluster-m of each other, straight line, transitively). With --add N and --candidates, chooses\n"
    "N new hubs that cover the most uncovered residents (maximal covering, existing hubs fixed): lazy\n"
    "greedy (within 1 - 1/e of the optimum), then the exact optimum with COIN-OR CBC within\n"
    "--time-limit; an answer not proven optimal comes with a bound and its gap to it. With\n"
    "--target-share, the fewest new hubs that bring the covered share to the target (set covering).\n"
    "Candidates: a points layer (FILE[:LAYER]), tätorter (localities:FILE[:LAYER], points or\n"
    "polygons), or `roads`: road-graph nodes thinned to one per --candidate-spacing square.\n"
    "Layers: coverage_cells, uncovered_clusters, new_hubs (rank, marginal residents covered,\n"
    "cumulative share), new_hubs_target (set covering), coverage_municipalities (+ _table, CSV),\n"
    "coverage_summary (methods, values, bounds and gaps; CSV). Solve times go to the log (stderr).\n"
    "\n"
    "By public transport (--mode transit --gtfs FEED.zip --date YYYY-MM-DD --min MIN): a unit is\n"
    "covered when the median over the window's departure minutes of its journey to the nearest hub\n"
    "is within --min (the time access --mode transit gives; hub_km is the walking distance, hub_id\n"
    "NULL). A candidate covers the uncovered units whose median journey to it alone is within --min,\n"
    "so the new-hub counts are a floor: with the existing hubs a unit may do better at some minutes.\n"
    "The sets take one timetable search per candidate (backward) or per uncovered unit (forward),\n"
    "whichever are fewer, each stopped at --min. Cost measured on Porto Alegre (4,010 stops, 164\n"
    "uncovered units, --min 15): 153 candidates 1.5 s of CPU, 1,335 candidates 2.2 s; a run estimated\n"
    "above 30 minutes of CPU is refused before any search, with what to give instead.";

#define B(field) offsetof(pl_coverage_opts, base.field)
#define C(field) offsetof(pl_coverage_opts, field)
const pl_option pl_coverage_options[] = {
    {"population", 'p', PL_OPT_STRING, B(population), "FILE[:LAYER]", NULL,
     "population units: grid squares (polygons) or points, with a population field", 1, PL_NO_RANGE},
    {"hubs", 's', PL_OPT_STRING, B(services), "FILE[:LAYER]", NULL,
     "existing hubs: service points (filter with --types; --fixed-type for a file without a type field)", 1, PL_NO_RANGE},
    {"roads", 'r', PL_OPT_STRING, B(roads), "FILE[:LAYER]", NULL, "road lines", 1, PL_NO_RANGE},
    PL_ROAD_FIELD_OPTIONS(pl_coverage_opts, base.road),
    {"municipalities", 'm', PL_OPT_STRING, B(municipalities), "FILE[:LAYER]", NULL,
     "municipality polygons (code and name fields auto-detected)", 1, PL_NO_RANGE},
    {"output", 'o', PL_OPT_STRING, B(output), "OUT.gpkg", NULL, "output GeoPackage", 1, PL_OUTPUT_PATH},
    {"overwrite", 0, PL_OPT_FLAG, B(overwrite), NULL, NULL, "replace an existing output", 0, PL_NO_RANGE},
    {"csv", 0, PL_OPT_FLAG, B(csv), NULL, NULL, "also write the tables as CSV beside the GeoPackage", 0, PL_NO_RANGE},
    PL_CSV_STYLE_OPTION(pl_coverage_opts, base.csv_style),
    {"km", 0, PL_OPT_DOUBLE, C(km), "KM", NULL, "coverage threshold: road distance in km", 0, PL_GT(0)},
    {"min", 0, PL_OPT_DOUBLE, C(min), "MIN", NULL, "coverage threshold: travel time in minutes", 0, PL_GT(0)},
    {"types", 't', PL_OPT_STRINGS, B(types), "TYPE,...", NULL,
     "hub service types [default: every service in the hubs file]", 0, PL_NO_RANGE},
    {"fixed-type", 0, PL_OPT_STRING, C(fixed_type), "TYPE", NULL,
     "every point of the hubs file is of this type (a file without a type field)", 0, PL_NO_RANGE},
    {"mode", 0, PL_OPT_STRING, B(mode), "car|bike|walk|transit", "car",
     "travel mode; transit = public transport (GTFS) and walking, covered when the window's median time is "
     "within --min; needs --gtfs and --date", 0, PL_NO_RANGE},
    {"add", 0, PL_OPT_INT, C(add), "N", "0", "choose N new hubs covering the most uncovered residents", 0, PL_GE(0)},
    {"candidates", 0, PL_OPT_STRING, C(candidates), "C", NULL,
     "candidate sites: FILE[:LAYER] (points), localities:FILE[:LAYER] (tätorter), or roads", 0, PL_NO_RANGE},
    {"candidate-spacing", 0, PL_OPT_DOUBLE, C(candidate_spacing), "M", "1000",
     "--candidates roads: one road node per square of this side", 0, PL_GT(0)},
    {"target-share", 0, PL_OPT_DOUBLE, C(target_share), "S", NULL,
     "set covering: fewest new hubs to cover this share of the residents (e.g. 0.99)", 0, PL_GT_LE(0, 1)},
    {"cluster-m", 0, PL_OPT_DOUBLE, C(cluster_m), "M", "1500",
     "uncovered units closer than this (straight line) belong to one cluster", 0, PL_GE(0)},
    {"method", 0, PL_OPT_STRING, C(method), "auto|greedy|exact", "auto",
     "auto: greedy, then CBC within --time-limit (greedy with the submodular bound when the instance "
     "is beyond CBC's index range); greedy: greedy only (fastest); exact: CBC or an error", 0, PL_NO_RANGE},
    {"time-limit", 0, PL_OPT_DOUBLE, C(time_limit), "S", "60",
     "time limit for each CBC solve, seconds (CBC may overrun it on a busy machine); an answer not "
     "proven by then is reported with its bound and gap", 0, PL_GT(0)},
    {"threads", 0, PL_OPT_INT, C(threads), "N", "0", "coverage-set searches in parallel [0: one per core, at most 8]", 0, PL_IN(0, 256)},
    {"region", 0, PL_OPT_STRING, B(region), "CODE", NULL,
     "report only this municipality (4 digits) or county (2 digits)", 0, PL_NO_RANGE},
    {"pop-field", 0, PL_OPT_STRING, B(pop_field), "FIELD", NULL, "population field [auto]", 0, PL_NO_RANGE},
    {"locality-pop-field", 0, PL_OPT_STRING, B(locality_pop_field), "FIELD", NULL,
     "population field of --candidates localities:FILE [auto]", 0, PL_NO_RANGE},
    {"age-field", 0, PL_OPT_STRING, B(age_field), "FIELD", NULL, "age-group population field, e.g. 70+", 0, PL_NO_RANGE},
    {"type-field", 0, PL_OPT_STRING, B(type_field), "FIELD", NULL, "service type field of the hubs [auto]", 0, PL_NO_RANGE},
    {"code-field", 0, PL_OPT_STRING, B(muni_code_field), "FIELD", NULL, "municipality code field [auto]", 0, PL_NO_RANGE},
    {"name-field", 0, PL_OPT_STRING, B(muni_name_field), "FIELD", NULL, "municipality name field [auto]", 0, PL_NO_RANGE},
    {"service-types", 0, PL_OPT_STRING, B(service_types_file), "FILE.ini", NULL,
     "extra or overriding service types (same format as share/service_types.ini)", 0, PL_NO_RANGE},
    {"crs", 0, PL_OPT_STRING, B(crs), "EPSG:n", "EPSG:3006", "working CRS (projected, metres)", 0, PL_NO_RANGE},
    {"assume-crs", 0, PL_OPT_STRING, B(assume_crs), "EPSG:n", NULL, "CRS for inputs that have none", 0, PL_NO_RANGE},
    PL_UNIT_ATTACH_OPTIONS(B),
    PL_SERVICE_ATTACH_OPTIONS(B),
    {"graph-cache", 0, PL_OPT_STRING, B(graph_cache), "FILE", NULL, "reuse the road graph between runs", 0, PL_OUTPUT_PATH},
    PL_TRANSIT_OPTIONS(B),
    PL_OPT_END,
};
#undef B
#undef C

/* One solved problem (MCLP or set covering) mapped back to candidates. */
typedef struct problem {
    int kind;                      /* 0 MCLP, 1 set cover */
    pl_cover_solution greedy, exact;
    int has_exact;
    const char *not_run;           /* why there is no exact solve */
    double online_bound;           /* MCLP: submodular bound from the greedy */
    const pl_cover_solution *used; /* the reported solution */
    const char *method;
    uint32_t *cell_rank;           /* per cell: rank of the first chosen hub covering it, NONE32 */
    double need;                   /* set cover: residents still to cover */
} problem;

typedef struct cov_state {
    pl_ctx *ctx;
    pl_service_types *types;
    pl_municipalities *munis;
    pl_population *pop;
    pl_services *svc;
    pl_roads *roads;
    pl_graph *graph;
    pl_candidates *cand;
    int metric;
    double threshold;              /* metres or seconds */
    long *cell_muni;
    uint8_t *in_region;
    pl_snap *cell_snap;
    pl_label *hub;                 /* nearest hub per cell */
    uint32_t *hub_service;         /* hub index -> service index */
    uint32_t n_hubs;
    pl_snap *svc_snap;             /* per service: hubs' attachment (others PL_SNAP_OK), for
                                      the unattached_services layer */
    uint8_t *covered;
    uint32_t *cluster;             /* per cell, NONE32 if not an uncovered reported unit */
    uint32_t n_clusters;
    double pop_total, pop_covered, age_total;
    /* instance */
    uint64_t *set_begin;
    uint32_t *set_cells;
    pl_cover_instance inst;
    uint32_t *cell_row, *col_of_cand, *rep_cand;
    size_t n_useful;               /* candidates covering someone */
    problem mclp, cover;
    double sets_seconds;
    /* --mode transit: the timetable, the street side on the walk graph (analyses/common/transit.h) */
    int transit;
    pl_transit_params tp;
    pl_timetable *tt;
    pl_transit_net *net;
} cov_state;

static void state_free(pl_ctx *ctx, cov_state *s)
{
    pl_transit_net_free(s->net);
    pl_timetable_free(s->tt);
    pl_graph_free(s->graph);
    if (s->roads)
        pl_roads_free(s->roads);
    pl_services_free(s->svc);
    pl_population_free(ctx, s->pop);
    pl_municipalities_free(ctx, s->munis);
    pl_service_types_free(s->types);
    pl_candidates_free(s->cand);
    free(s->cell_muni);
    free(s->in_region);
    free(s->cell_snap);
    free(s->hub);
    free(s->hub_service);
    free(s->svc_snap);
    free(s->covered);
    free(s->cluster);
    free(s->set_begin);
    free(s->set_cells);
    pl_cover_instance_free(&s->inst);
    free(s->cell_row);
    free(s->col_of_cand);
    free(s->rep_cand);
    problem *ps[2] = {&s->mclp, &s->cover};
    for (int i = 0; i < 2; i++) {
        pl_cover_solution_free(&ps[i]->greedy);
        pl_cover_solution_free(&ps[i]->exact);
        free(ps[i]->cell_rank);
    }
}

/* ---------- loading ---------- */

static int load(pl_ctx *ctx, const pl_coverage_opts *o, cov_state *s, pl_error *err)
{
    const pl_access_opts *b = &o->base;
    if (pl_attach_check(b->max_snap_m, b->max_service_snap_m, 1, err) != PL_OK)
        return err->code;
    pl_load_opts lo = {.assume_crs = b->assume_crs};
    s->types = pl_service_types_load(ctx, b->service_types_file, err);
    if (!s->types)
        return err->code;
    pl_load_opts mo = lo;
    mo.code_field = b->muni_code_field;
    mo.name_field = b->muni_name_field;
    s->munis = pl_municipalities_load(ctx, b->municipalities, &mo, err);
    if (!s->munis)
        return err->code;
    pl_load_opts po = lo;
    po.value_field = b->pop_field;
    po.age_field = b->age_field;
    po.id_field = b->id_field;
    s->pop = pl_population_load(ctx, b->population, &po, err);
    if (!s->pop)
        return err->code;
    pl_load_opts so = lo;
    so.type_field = b->type_field;
    so.fixed_type = o->fixed_type;
    s->svc = pl_services_load(ctx, b->services, s->types, &so, err);
    if (!s->svc)
        return err->code;
    pl_load_opts ro = lo;
    ro.road = b->road;
    s->roads = pl_roads_load(ctx, b->roads, &ro, err);
    if (!s->roads)
        return err->code;
    return PL_OK;
}

static int load_candidates(pl_ctx *ctx, const pl_coverage_opts *o, cov_state *s, pl_error *err)
{
    const char *spec = o->candidates;
    pl_load_opts lo = {.assume_crs = o->base.assume_crs, .value_field = o->base.locality_pop_field};
    if (strcmp(spec, "roads") == 0) {
        s->cand = pl_candidates_from_graph(s->graph, o->candidate_spacing);
        return PL_OK;
    }
    pl_candidates *c = pl_calloc(1, sizeof *c);
    const char *loc = NULL;
    if (strncmp(spec, "localities:", 11) == 0)
        loc = spec + 11;
    else if (strncmp(spec, "tatorter:", 9) == 0)
        loc = spec + 9;
    if (loc) {
        pl_localities *l = pl_localities_load(ctx, loc, &lo, err);
        if (!l) {
            free(c);
            return err->code;
        }
        c->n = l->n;
        c->x = pl_malloc((l->n ? l->n : 1) * sizeof *c->x);
        c->y = pl_malloc((l->n ? l->n : 1) * sizeof *c->y);
        c->id = pl_malloc((l->n ? l->n : 1) * sizeof *c->id);
        c->name = pl_malloc((l->n ? l->n : 1) * sizeof *c->name);
        char buf[32];
        for (size_t i = 0; i < l->n; i++) {
            c->x[i] = l->x[i];
            c->y[i] = l->y[i];
            snprintf(buf, sizeof buf, "%zu", i + 1);
            c->id[i] = pl_strdup(l->code && l->code[i] && *l->code[i] ? l->code[i] : buf);
            c->name[i] = pl_strdup(l->name && l->name[i] ? l->name[i] : "");
        }
        pl_localities_free(ctx, l);
    } else {
        pl_points *p = pl_points_load(ctx, spec, "candidates", &lo, err);
        if (!p) {
            free(c);
            return err->code;
        }
        c->n = p->n;
        c->x = pl_malloc((p->n ? p->n : 1) * sizeof *c->x);
        c->y = pl_malloc((p->n ? p->n : 1) * sizeof *c->y);
        c->id = pl_malloc((p->n ? p->n : 1) * sizeof *c->id);
        c->name = pl_malloc((p->n ? p->n : 1) * sizeof *c->name);
        for (size_t i = 0; i < p->n; i++) {
            c->x[i] = p->x[i];
            c->y[i] = p->y[i];
            c->id[i] = pl_strdup(p->id && p->id[i] ? p->id[i] : "");
            c->name[i] = pl_strdup("");
        }
        pl_points_free(p);
    }
    s->cand = c;
    c->snap = pl_malloc((c->n ? c->n : 1) * sizeof *c->snap);
    pl_snap_opts so;
    pl_snap_opts_default(&so);
    if (o->base.max_snap_m > 0)
        so.max_snap_m = o->base.max_snap_m;
    return pl_graph_snap(ctx, s->graph, s->roads, c->x, c->y, c->n, &so, c->snap, err);
}

/* ---------- compute ---------- */

static int in_region(const char *code, const char *region)
{
    if (!region || !*region)
        return 1;
    return code && strncmp(code, region, strlen(region)) == 0;
}

static double metric_of(const cov_state *s, const pl_label *l) { return s->metric == PL_METRIC_DISTANCE ? l->dist_m : l->time_s; }

typedef struct cluster_key {
    double pop;
    uint32_t id;
} cluster_key;

static int cmp_cluster_key(const void *a, const void *b)
{
    const cluster_key *x = a, *y = b;
    if (x->pop != y->pop)
        return x->pop > y->pop ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

static int existing_coverage(pl_ctx *ctx, const pl_coverage_opts *o, cov_state *s, pl_error *err)
{
    const pl_access_opts *b = &o->base;
    size_t n = s->pop->n;
    s->cell_muni = pl_malloc((n ? n : 1) * sizeof *s->cell_muni);
    s->in_region = pl_malloc(n ? n : 1);
    pl_assign_municipalities(ctx, s->pop, s->munis, s->cell_muni);
    size_t n_in = 0;
    for (size_t c = 0; c < n; c++) {
        long m = s->cell_muni[c];
        s->in_region[c] = (uint8_t)in_region(m >= 0 ? s->munis->code[m] : NULL, b->region);
        n_in += s->in_region[c];
    }
    if (b->region && *b->region && n_in == 0)
        return pl_error_set(err, PL_EINPUT, "--region %s: no population unit lies in that municipality or county",
                            b->region);
    /* Hubs: the services of the asked types (all when none asked). */
    int qtypes[PL_MAX_TYPES], nq = 0;
    for (int i = 0; i < b->types.n; i++) {
        int t = pl_service_types_find(s->types, b->types.v[i]);
        if (t < 0)
            t = pl_service_types_match_value(s->types, b->types.v[i]);
        if (t < 0)
            return pl_error_set(err, PL_EINPUT, "--types: unknown service type '%s'", b->types.v[i]);
        qtypes[nq++] = t;
    }
    uint32_t *order = pl_ids_sorted_order((const char *const *)s->svc->id, s->svc->n);
    s->hub_service = pl_malloc((s->svc->n ? s->svc->n : 1) * sizeof *s->hub_service);
    for (size_t k = 0; k < s->svc->n; k++) {
        uint32_t i = order[k];
        int ok = nq == 0;
        for (int q = 0; q < nq && !ok; q++)
            ok = pl_service_types_counts_for(s->types, qtypes[q], s->svc->type[i]);
        if (ok)
            s->hub_service[s->n_hubs++] = i;
    }
    free(order);
    if (s->n_hubs == 0)
        pl_warn(ctx, "no-hubs", "%s: no hub of the asked types; every unit is uncovered", s->svc->source);
    pl_snap_opts so;
    pl_snap_opts_default(&so);
    if (b->max_snap_m > 0)
        so.max_snap_m = b->max_snap_m;
    so.what = "population units";
    s->cell_snap = pl_malloc((n ? n : 1) * sizeof *s->cell_snap);
    int rc = pl_graph_snap(ctx, s->graph, s->roads, s->pop->x, s->pop->y, n, &so, s->cell_snap, err);
    if (rc != PL_OK)
        return rc;
    pl_snap *hs = pl_malloc((s->n_hubs ? s->n_hubs : 1) * sizeof *hs);
    double *hx = pl_malloc((s->n_hubs ? s->n_hubs : 1) * sizeof *hx), *hy = pl_malloc((s->n_hubs ? s->n_hubs : 1) * sizeof *hy);
    for (uint32_t h = 0; h < s->n_hubs; h++) {
        hx[h] = s->svc->x[s->hub_service[h]];
        hy[h] = s->svc->y[s->hub_service[h]];
    }
    pl_attach_service_opts(&so, b->max_service_snap_m);
    rc = pl_graph_snap(ctx, s->graph, s->roads, hx, hy, s->n_hubs, &so, hs, err);
    free(hx);
    free(hy);
    s->svc_snap = pl_calloc(s->svc->n ? s->svc->n : 1, sizeof *s->svc_snap);
    for (uint32_t h = 0; rc == PL_OK && h < s->n_hubs; h++)
        s->svc_snap[s->hub_service[h]] = hs[h];
    s->hub = pl_malloc((n ? n : 1) * sizeof *s->hub);
    if (rc == PL_OK) {
        /* transit: the walking distance first (hub_km and the walk all the way, as access) */
        pl_search_opts sopt = {.metric = s->transit ? PL_METRIC_DISTANCE : (pl_metric)s->metric, .k = 1,
                               .cutoff = INFINITY};
        rc = pl_graph_nearest_k(ctx, s->graph, hs, s->n_hubs, s->cell_snap, n, &sopt, s->hub, err);
    }
    if (rc == PL_OK && s->transit)
        rc = pl_coverage_transit_hubs(ctx, s->graph, s->roads, s->tt, &s->tp, s->cell_snap, n, hs, s->n_hubs,
                                      s->hub, &s->net, err);
    free(hs);
    if (rc != PL_OK)
        return rc;
    s->covered = pl_calloc(n ? n : 1, 1);
    for (size_t c = 0; c < n; c++) {
        s->covered[c] = metric_of(s, &s->hub[c]) <= s->threshold;
        if (!s->in_region[c])
            continue;
        s->pop_total += s->pop->pop[c];
        s->age_total += s->pop->age_pop ? s->pop->age_pop[c] : 0;
        if (s->covered[c])
            s->pop_covered += s->pop->pop[c];
    }
    /* Clusters of uncovered reported units with residents. */
    size_t nu = 0;
    uint32_t *idx = pl_malloc((n ? n : 1) * sizeof *idx);
    double *ux = pl_malloc((n ? n : 1) * sizeof *ux), *uy = pl_malloc((n ? n : 1) * sizeof *uy);
    for (size_t c = 0; c < n; c++)
        if (s->in_region[c] && !s->covered[c] && s->pop->pop[c] > 0) {
            idx[nu] = (uint32_t)c;
            ux[nu] = s->pop->x[c];
            uy[nu] = s->pop->y[c];
            nu++;
        }
    uint32_t *cl = pl_malloc((nu ? nu : 1) * sizeof *cl);
    uint32_t nc = pl_cluster_points(ux, uy, nu, o->cluster_m, cl);
    /* Number clusters by population, largest first (ties: first unit). */
    cluster_key *ck = pl_malloc((nc ? nc : 1) * sizeof *ck);
    for (uint32_t k = 0; k < nc; k++)
        ck[k] = (cluster_key){0, k};
    for (size_t i = 0; i < nu; i++)
        ck[cl[i]].pop += s->pop->pop[idx[i]];
    qsort(ck, nc, sizeof *ck, cmp_cluster_key);
    uint32_t *ord = pl_malloc((nc ? nc : 1) * sizeof *ord), *newid = pl_malloc((nc ? nc : 1) * sizeof *newid);
    for (uint32_t k = 0; k < nc; k++)
        ord[k] = ck[k].id;
    free(ck);
    for (uint32_t k = 0; k < nc; k++)
        newid[ord[k]] = k;
    s->cluster = pl_malloc((n ? n : 1) * sizeof *s->cluster);
    for (size_t c = 0; c < n; c++)
        s->cluster[c] = NONE32;
    for (size_t i = 0; i < nu; i++)
        s->cluster[idx[i]] = newid[cl[i]];
    s->n_clusters = nc;
    free(ord);
    free(newid);
    free(cl);
    free(ux);
    free(uy);
    free(idx);
    return PL_OK;
}

static void mark_ranks(const cov_state *s, problem *P)
{
    size_t n = s->pop->n;
    P->cell_rank = pl_malloc((n ? n : 1) * sizeof *P->cell_rank);
    for (size_t c = 0; c < n; c++)
        P->cell_rank[c] = NONE32;
    const pl_cover_solution *S = P->used;
    if (!S)
        return;
    /* Rank k covers the rows of its column; a unit gets the first rank that covers it. */
    uint32_t *row_rank = pl_malloc((s->inst.n_rows ? s->inst.n_rows : 1) * sizeof *row_rank);
    for (uint32_t i = 0; i < s->inst.n_rows; i++)
        row_rank[i] = NONE32;
    for (uint32_t k = 0; k < S->n; k++)
        for (uint64_t e = s->inst.begin[S->chosen[k]]; e < s->inst.begin[S->chosen[k] + 1]; e++)
            if (row_rank[s->inst.rows[e]] == NONE32)
                row_rank[s->inst.rows[e]] = k + 1;
    for (size_t c = 0; c < n; c++)
        if (s->cell_row[c] != NONE32)
            P->cell_rank[c] = row_rank[s->cell_row[c]];
    free(row_rank);
}

/* Set cover: does S reach the residents still to cover (the same tolerance as the solver)? */
static int reached_need(const problem *P, const pl_cover_solution *S)
{
    return S->value >= P->need - 1e-9 * (fabs(P->need) + 1.0);
}

static int solve_problem(pl_ctx *ctx, const pl_coverage_opts *o, cov_state *s, problem *P, pl_error *err)
{
    const pl_cover_instance *I = &s->inst;
    P->online_bound = NAN;
    if (P->kind == 0) {
        pl_mclp_greedy(I, (uint32_t)o->add, &P->greedy);
        P->online_bound = pl_mclp_online_bound(I, (uint32_t)o->add, &P->greedy);
    } else {
        pl_setcover_greedy(I, P->need, &P->greedy);
    }
    P->used = &P->greedy;
    P->method = "greedy";
    P->not_run = "not run (--method greedy)";
    if (strcmp(o->method, "greedy") != 0) {
        pl_progress(ctx, 0.0, "CBC");
        int rc = P->kind == 0 ? pl_mclp_exact(I, (uint32_t)o->add, &P->greedy, o->time_limit, &P->exact, err)
                              : pl_setcover_exact(I, P->need, &P->greedy, o->time_limit, &P->exact, err);
        pl_progress(ctx, 1.0, "CBC");
        if (rc == PL_EINPUT && strcmp(o->method, "auto") == 0) {
            /* Beyond CBC's index range: the greedy and its bound (said in the summary). */
            pl_warn(ctx, "coverage-exact", "%s", err->msg);
            P->not_run = "not run (instance too large for CBC)";
            pl_error_clear(err);
            rc = PL_OK;
        } else if (rc != PL_OK) {
            return rc;
        } else {
            P->has_exact = 1;
        }
    }
    if (P->has_exact) {
        int better = P->kind == 0 ? P->exact.value > P->greedy.value
                                  : (P->exact.status != PL_COVER_INFEASIBLE && reached_need(P, &P->exact) &&
                                     P->exact.n < P->greedy.n);
        if (P->exact.status == PL_COVER_OPTIMAL || better) {
            P->used = &P->exact;
            P->method = P->exact.status == PL_COVER_OPTIMAL ? "exact (CBC)" : "CBC, time limit";
        }
    }
    mark_ranks(s, P);
    return PL_OK;
}

static int new_hubs(pl_ctx *ctx, const pl_coverage_opts *o, cov_state *s, pl_error *err)
{
    int rc = load_candidates(ctx, o, s, err);
    if (rc != PL_OK)
        return rc;
    size_t n = s->pop->n;
    uint32_t *cells = pl_malloc((n ? n : 1) * sizeof *cells);
    size_t nu = 0;
    for (size_t c = 0; c < n; c++)
        if (s->in_region[c] && !s->covered[c] && s->pop->pop[c] > 0)
            cells[nu++] = (uint32_t)c;
    pl_coverage_params cp = {.metric = (pl_metric)s->metric, .threshold = s->threshold, .threads = o->threads};
    if (cp.threads <= 0) {
        long nc = sysconf(_SC_NPROCESSORS_ONLN);
        cp.threads = nc < 1 ? 1 : nc > 8 ? 8 : (int)nc;
    }
    double t0 = pl_now_s(), c0 = pl_cpu_s();
    if (s->transit)
        rc = pl_coverage_transit_sets(ctx, s->net, cells, nu, s->cand, &s->tp, s->threshold, PL_COVER_TRANSIT_AUTO,
                                      &s->set_begin, &s->set_cells, err);
    else
        rc = pl_coverage_sets(ctx, s->graph, s->cell_snap, cells, nu, s->cand, &cp, &s->set_begin, &s->set_cells,
                              err);
    free(cells);
    s->sets_seconds = pl_now_s() - t0;
    double sets_cpu = pl_cpu_s() - c0;
    if (rc != PL_OK)
        return rc;
    s->cell_row = pl_malloc((n ? n : 1) * sizeof *s->cell_row);
    s->col_of_cand = pl_malloc((s->cand->n ? s->cand->n : 1) * sizeof *s->col_of_cand);
    pl_cover_instance_build(s->cand->n, s->set_begin, s->set_cells, s->pop->pop, n, &s->inst, s->cell_row,
                            s->col_of_cand, &s->rep_cand);
    for (size_t j = 0; j < s->cand->n; j++)
        s->n_useful += s->col_of_cand[j] != NONE32;
    pl_info(ctx, "coverage: %zu candidates, %zu cover someone uncovered; instance %u columns x %u rows (%.2f s, cpu "
            "%.2f s)", s->cand->n, s->n_useful, s->inst.n_cand, s->inst.n_rows, s->sets_seconds, sets_cpu);
    if (o->add > 0) {
        s->mclp.kind = 0;
        rc = solve_problem(ctx, o, s, &s->mclp, err);
    }
    if (rc == PL_OK && o->target_share > 0) {
        s->cover.kind = 1;
        s->cover.need = o->target_share * s->pop_total - s->pop_covered;
        rc = solve_problem(ctx, o, s, &s->cover, err);
    }
    return rc;
}

/* ---------- output ---------- */

static double share(double a, double b) { return b > 0 ? pl_round_to(a / b, 10000) : NAN; }

static int write_cells(pl_gpkg *g, const cov_state *s, pl_error *err)
{
    pl_field_list fl = {0};
    pl_fields_add(&fl, "cell_id", PL_FIELD_TEXT, "Ruta/område", "population unit id");
    pl_fields_add(&fl, "kommun", PL_FIELD_TEXT, "Kommunkod", NULL);
    pl_fields_add(&fl, "pop", PL_FIELD_REAL, "Befolkning", NULL);
    pl_fields_add(&fl, "hub_id", PL_FIELD_TEXT, "Närmaste nav (id)", "nearest existing hub");
    pl_fields_add(&fl, "hub_km", PL_FIELD_REAL, "Avstånd till närmaste nav (km)", NULL);
    pl_fields_add(&fl, "hub_min", PL_FIELD_REAL, "Restid till närmaste nav (min)", NULL);
    pl_fields_add(&fl, "covered", PL_FIELD_INT, "Täckt i dag", "1 if the nearest hub is within the threshold");
    pl_fields_add(&fl, "cluster", PL_FIELD_INT, "Otäckt kluster", "uncovered cluster number (1 = most residents)");
    pl_fields_add(&fl, "new_hub_rank", PL_FIELD_INT, "Täcks av nytt nav (rang)",
                  "rank of the first new hub (new_hubs) that covers the unit");
    pl_fields_add(&fl, "covered_after", PL_FIELD_INT, "Täckt med nya nav", "1 if covered by an existing or new hub");
    pl_legend lg;
    pl_gpkg_layer *l = pl_gpkg_layer_add(g, "coverage_cells", s->pop->is_polygon ? 6 : 1, "Täckning per ruta", fl.defs,
                                         fl.n, pl_coverage_style_cells(&lg), err);
    int rc = l ? PL_OK : PL_EINTERNAL;
    for (size_t c = 0; rc == PL_OK && c < s->pop->n; c++) {
        if (!s->in_region[c])
            continue;
        pl_gpkg_row_begin(l);
        pl_gpkg_set_text(l, 0, s->pop->id[c]);
        pl_gpkg_set_text(l, 1, s->cell_muni[c] >= 0 ? s->munis->code[s->cell_muni[c]] : NULL);
        pl_gpkg_set_real(l, 2, s->pop->pop[c]);
        if (s->hub[c].source != NONE32)
            pl_gpkg_set_text(l, 3, s->svc->id[s->hub_service[s->hub[c].source]]);
        pl_gpkg_set_real(l, 4, pl_round_to(s->hub[c].dist_m / 1000.0, 1000));
        pl_gpkg_set_real(l, 5, pl_round_to(s->hub[c].time_s / 60.0, 100));
        pl_gpkg_set_int(l, 6, s->covered[c]);
        if (s->cluster[c] != NONE32)
            pl_gpkg_set_int(l, 7, s->cluster[c] + 1);
        uint32_t rank = s->mclp.cell_rank ? s->mclp.cell_rank[c] : NONE32;
        if (rank != NONE32)
            pl_gpkg_set_int(l, 8, rank);
        pl_gpkg_set_int(l, 9, s->covered[c] || rank != NONE32);
        pl_gpkg_set_geos(l, s->pop->geom[c]);
        rc = pl_gpkg_row_end(l, err);
    }
    pl_fields_free(&fl);
    return rc;
}

static int write_clusters(pl_gpkg *g, const cov_state *s, pl_error *err)
{
    uint32_t nc = s->n_clusters;
    double *pop = pl_calloc(nc ? nc : 1, sizeof *pop), *age = pl_calloc(nc ? nc : 1, sizeof *age);
    double *sx = pl_calloc(nc ? nc : 1, sizeof *sx), *sy = pl_calloc(nc ? nc : 1, sizeof *sy);
    double *sum_m = pl_calloc(nc ? nc : 1, sizeof *sum_m), *max_m = pl_calloc(nc ? nc : 1, sizeof *max_m);
    double *after = pl_calloc(nc ? nc : 1, sizeof *after), *wm = pl_calloc(nc ? nc : 1, sizeof *wm);
    long *units = pl_calloc(nc ? nc : 1, sizeof *units), *muni = pl_malloc((nc ? nc : 1) * sizeof *muni);
    double *muni_pop = pl_malloc((nc ? nc : 1) * sizeof *muni_pop);
    for (uint32_t k = 0; k < nc; k++) {
        muni[k] = -1;
        muni_pop[k] = -1;
    }
    /* Municipality: that of the cluster's most populated unit. */
    for (size_t c = 0; c < s->pop->n; c++) {
        uint32_t k = s->cluster[c];
        if (k == NONE32)
            continue;
        double w = s->pop->pop[c];
        pop[k] += w;
        age[k] += s->pop->age_pop ? s->pop->age_pop[c] : 0;
        sx[k] += w * s->pop->x[c];
        sy[k] += w * s->pop->y[c];
        units[k]++;
        double v = metric_of(s, &s->hub[c]);
        if (isfinite(v)) {
            sum_m[k] += w * v;
            wm[k] += w;
            if (v > max_m[k])
                max_m[k] = v;
        } else {
            max_m[k] = INFINITY;
        }
        if (s->mclp.cell_rank && s->mclp.cell_rank[c] != NONE32)
            after[k] += w;
        if (w > muni_pop[k]) {
            muni_pop[k] = w;
            muni[k] = s->cell_muni[c];
        }
    }
    int dist = s->metric == PL_METRIC_DISTANCE;
    pl_field_list fl = {0};
    pl_fields_add(&fl, "cluster", PL_FIELD_INT, "Kluster (1 = flest invånare)", NULL);
    pl_fields_add(&fl, "pop", PL_FIELD_REAL, "Befolkning utan nav inom gränsen", "residents of the cluster");
    pl_fields_add(&fl, "pop_age", PL_FIELD_REAL, "Befolkning i åldersgruppen", NULL);
    pl_fields_add(&fl, "units", PL_FIELD_INT, "Antal rutor/områden", NULL);
    pl_fields_add(&fl, "kommun", PL_FIELD_TEXT, "Kommunkod", "municipality with most of the cluster's residents");
    pl_fields_add(&fl, "kommun_namn", PL_FIELD_TEXT, "Kommun", NULL);
    pl_fields_add(&fl, dist ? "mean_km" : "mean_min", PL_FIELD_REAL,
                  dist ? "Medelavstånd till närmaste nav (km)" : "Medelrestid till närmaste nav (min)", NULL);
    pl_fields_add(&fl, dist ? "max_km" : "max_min", PL_FIELD_REAL,
                  dist ? "Längsta avstånd till närmaste nav (km)" : "Längsta restid till närmaste nav (min)", NULL);
    pl_fields_add(&fl, "pop_covered_by_new", PL_FIELD_REAL, "Täcks av nya nav", "residents the new hubs cover");
    pl_legend lg;
    pl_gpkg_layer *l = pl_gpkg_layer_add(g, "uncovered_clusters", 1, "Otäckta kluster (befolkningsviktad mittpunkt)",
                                         fl.defs, fl.n, pl_coverage_style_clusters(&lg), err);
    int rc = l ? PL_OK : PL_EINTERNAL;
    double scale = dist ? 1000.0 : 60.0, per = dist ? 1000 : 100;
    for (uint32_t k = 0; rc == PL_OK && k < nc; k++) {
        pl_gpkg_row_begin(l);
        pl_gpkg_set_int(l, 0, k + 1);
        pl_gpkg_set_real(l, 1, pl_round_people(pop[k]));
        if (s->pop->age_pop)
            pl_gpkg_set_real(l, 2, pl_round_people(age[k]));
        pl_gpkg_set_int(l, 3, units[k]);
        if (muni[k] >= 0) {
            pl_gpkg_set_text(l, 4, s->munis->code[muni[k]]);
            pl_gpkg_set_text(l, 5, s->munis->name[muni[k]]);
        }
        pl_gpkg_set_real(l, 6, wm[k] > 0 ? pl_round_to(sum_m[k] / wm[k] / scale, per) : NAN);
        pl_gpkg_set_real(l, 7, pl_round_to(max_m[k] / scale, per));
        pl_gpkg_set_real(l, 8, pl_round_people(after[k]));
        pl_gpkg_set_xy(l, sx[k] / pop[k], sy[k] / pop[k]);
        rc = pl_gpkg_row_end(l, err);
    }
    pl_fields_free(&fl);
    free(pop);
    free(age);
    free(sx);
    free(sy);
    free(sum_m);
    free(max_m);
    free(after);
    free(wm);
    free(units);
    free(muni);
    free(muni_pop);
    return rc;
}

static int write_new_hubs(pl_gpkg *g, const cov_state *s, const problem *P, const char *name, const char *title,
                          pl_error *err)
{
    pl_field_list fl = {0};
    pl_fields_add(&fl, "rank", PL_FIELD_INT, "Rang", "order of choice: each adds the most not yet covered");
    pl_fields_add(&fl, "site_id", PL_FIELD_TEXT, "Plats (id)", "candidate site id");
    pl_fields_add(&fl, "name", PL_FIELD_TEXT, "Namn", NULL);
    pl_fields_add(&fl, "kommun", PL_FIELD_TEXT, "Kommunkod", NULL);
    pl_fields_add(&fl, "kommun_namn", PL_FIELD_TEXT, "Kommun", NULL);
    pl_fields_add(&fl, "pop_added", PL_FIELD_REAL, "Nya täckta invånare (marginellt)",
                  "residents this hub covers that no existing or higher-ranked new hub covers");
    pl_fields_add(&fl, "pop_added_cum", PL_FIELD_REAL, "Nya täckta invånare (kumulativt)", NULL);
    pl_fields_add(&fl, "share_covered_cum", PL_FIELD_REAL, "Täckt andel (kumulativt)",
                  "covered share of all residents with hubs up to this rank");
    pl_fields_add(&fl, "same_sites", PL_FIELD_INT, "Likvärdiga platser",
                  "other candidate sites covering exactly the same units");
    pl_fields_add(&fl, "method", PL_FIELD_TEXT, "Metod", NULL);
    pl_legend lg;
    pl_gpkg_layer *l = pl_gpkg_layer_add(g, name, 1, title, fl.defs, fl.n, pl_coverage_style_new_hubs(&lg), err);
    int rc = l ? PL_OK : PL_EINTERNAL;
    const pl_cover_solution *S = P->used;
    double cum = 0;
    for (uint32_t k = 0; rc == PL_OK && S && k < S->n; k++) {
        uint32_t col = S->chosen[k], j = s->rep_cand[col];
        uint32_t same = 0;
        for (size_t i = 0; i < s->cand->n; i++)
            same += s->col_of_cand[i] == col;
        cum += S->marginal[k];
        int outside = 0;
        long m = pl_municipalities_locate(s->ctx, s->munis, s->cand->x[j], s->cand->y[j], &outside);
        pl_gpkg_row_begin(l);
        pl_gpkg_set_int(l, 0, k + 1);
        pl_gpkg_set_text(l, 1, s->cand->id[j]);
        pl_gpkg_set_text(l, 2, s->cand->name[j]);
        if (m >= 0) {
            pl_gpkg_set_text(l, 3, s->munis->code[m]);
            pl_gpkg_set_text(l, 4, s->munis->name[m]);
        }
        pl_gpkg_set_real(l, 5, pl_round_people(S->marginal[k]));
        pl_gpkg_set_real(l, 6, pl_round_people(cum));
        pl_gpkg_set_real(l, 7, share(s->pop_covered + cum, s->pop_total));
        pl_gpkg_set_int(l, 8, same - 1);
        pl_gpkg_set_text(l, 9, P->method);
        pl_gpkg_set_xy(l, s->cand->x[j], s->cand->y[j]);
        rc = pl_gpkg_row_end(l, err);
    }
    pl_fields_free(&fl);
    return rc;
}

static int write_munis(pl_gpkg *g, const cov_state *s, pl_error *err)
{
    size_t nm = s->munis->n;
    double *pop = pl_calloc(nm + 1, sizeof *pop), *cov = pl_calloc(nm + 1, sizeof *cov);
    double *newc = pl_calloc(nm + 1, sizeof *newc), *age_unc = pl_calloc(nm + 1, sizeof *age_unc);
    long *units = pl_calloc(nm + 1, sizeof *units), *hubs = pl_calloc(nm + 1, sizeof *hubs);
    long *nh = pl_calloc(nm + 1, sizeof *nh);
    for (size_t c = 0; c < s->pop->n; c++) {
        long m = s->cell_muni[c];
        if (!s->in_region[c] || m < 0)
            continue;
        double w = s->pop->pop[c];
        size_t idx[2] = {(size_t)m, nm};
        for (int k = 0; k < 2; k++) {
            units[idx[k]]++;
            pop[idx[k]] += w;
            if (s->covered[c])
                cov[idx[k]] += w;
            else if (s->pop->age_pop)
                age_unc[idx[k]] += s->pop->age_pop[c];
            if (s->mclp.cell_rank && s->mclp.cell_rank[c] != NONE32)
                newc[idx[k]] += w;
        }
    }
    for (uint32_t h = 0; h < s->n_hubs; h++) {
        int outside = 0;
        long m = pl_municipalities_locate(s->ctx, s->munis, s->svc->x[s->hub_service[h]], s->svc->y[s->hub_service[h]],
                                          &outside);
        if (m >= 0)
            hubs[m]++;
        hubs[nm]++;
    }
    if (s->mclp.used)
        for (uint32_t k = 0; k < s->mclp.used->n; k++) {
            uint32_t j = s->rep_cand[s->mclp.used->chosen[k]];
            int outside = 0;
            long m = pl_municipalities_locate(s->ctx, s->munis, s->cand->x[j], s->cand->y[j], &outside);
            if (m >= 0)
                nh[m]++;
            nh[nm]++;
        }
    pl_field_list fl = {0};
    pl_fields_add(&fl, "kommun", PL_FIELD_TEXT, "Kommunkod", NULL);
    pl_fields_add(&fl, "namn", PL_FIELD_TEXT, "Kommun", NULL);
    pl_fields_add(&fl, "pop", PL_FIELD_REAL, "Befolkning", NULL);
    pl_fields_add(&fl, "hubs", PL_FIELD_INT, "Antal nav i kommunen", NULL);
    pl_fields_add(&fl, "pop_covered", PL_FIELD_REAL, "Täckt befolkning", "residents within the threshold of a hub");
    pl_fields_add(&fl, "pop_uncovered", PL_FIELD_REAL, "Otäckt befolkning", NULL);
    pl_fields_add(&fl, "share_covered", PL_FIELD_REAL, "Täckt andel", NULL);
    pl_fields_add(&fl, "age_uncovered", PL_FIELD_REAL, "Otäckt befolkning i åldersgruppen", NULL);
    pl_fields_add(&fl, "new_hubs", PL_FIELD_INT, "Nya nav i kommunen", NULL);
    pl_fields_add(&fl, "pop_covered_by_new", PL_FIELD_REAL, "Täcks av nya nav", NULL);
    pl_fields_add(&fl, "share_covered_after", PL_FIELD_REAL, "Täckt andel med nya nav", NULL);
    pl_legend lg;
    pl_gpkg_layer *poly = pl_gpkg_layer_add(g, "coverage_municipalities", 6, "Täckning per kommun", fl.defs, fl.n,
                                            pl_coverage_style_municipalities(&lg), err);
    pl_gpkg_layer *tab = poly ? pl_gpkg_layer_add(g, "coverage_municipalities_table", 100, "Täckning per kommun (tabell)",
                                                  fl.defs, fl.n, NULL, err)
                              : NULL;
    int rc = tab ? PL_OK : PL_EINTERNAL;
    for (size_t m = 0; rc == PL_OK && m <= nm; m++) {
        if (units[m] == 0 && m < nm)
            continue;
        for (int t = 0; t < 2 && rc == PL_OK; t++) {
            pl_gpkg_layer *l = t ? tab : poly;
            if (!t && m == nm)
                continue;
            pl_gpkg_row_begin(l);
            pl_gpkg_set_text(l, 0, m < nm ? s->munis->code[m] : "totalt");
            pl_gpkg_set_text(l, 1, m < nm ? s->munis->name[m] : "Alla analyserade");
            pl_gpkg_set_real(l, 2, pl_round_people(pop[m]));
            pl_gpkg_set_int(l, 3, hubs[m]);
            pl_gpkg_set_real(l, 4, pl_round_people(cov[m]));
            pl_gpkg_set_real(l, 5, pl_round_people(pop[m] - cov[m]));
            pl_gpkg_set_real(l, 6, share(cov[m], pop[m]));
            if (s->pop->age_pop)
                pl_gpkg_set_real(l, 7, pl_round_people(age_unc[m]));
            pl_gpkg_set_int(l, 8, nh[m]);
            pl_gpkg_set_real(l, 9, pl_round_people(newc[m]));
            pl_gpkg_set_real(l, 10, share(cov[m] + newc[m], pop[m]));
            if (!t)
                pl_gpkg_set_geos(l, s->munis->geom[m]);
            rc = pl_gpkg_row_end(l, err);
        }
    }
    pl_fields_free(&fl);
    free(pop);
    free(cov);
    free(newc);
    free(age_unc);
    free(units);
    free(hubs);
    free(nh);
    return rc;
}

static const char *status_name(int st)
{
    switch (st) {
    case PL_COVER_OPTIMAL: return "optimal";
    case PL_COVER_TIME_LIMIT: return "time limit (not proven optimal)";
    case PL_COVER_INFEASIBLE: return "target not reachable";
    default: return "heuristic";
    }
}

/* The bound on the optimum a problem's reported answer is measured against: MCLP, an upper
 * bound on the residents (CBC's, or the submodular one when tighter or CBC has none); set
 * covering, a lower bound on the hubs (CBC's, or from the column weights). NAN: none. */
static double problem_bound(const problem *P, const pl_cover_instance *I, const char **kind)
{
    double bound = NAN;
    *kind = "";
    if (P->has_exact && isfinite(P->exact.bound)) {
        bound = P->exact.bound;
        *kind = P->exact.status == PL_COVER_OPTIMAL ? "optimum (CBC)" : "CBC branch and bound";
    }
    if (P->kind == 0) {
        if (isfinite(P->online_bound) && !(bound <= P->online_bound)) {
            bound = P->online_bound;
            *kind = "submodular bound";
        }
    } else if (P->greedy.status != PL_COVER_INFEASIBLE && !(P->has_exact && P->exact.status == PL_COVER_OPTIMAL)) {
        double lb = pl_setcover_lower_bound(I, P->need);
        if (!(bound >= lb)) {
            bound = lb;
            *kind = "column weights";
        }
    }
    return bound;
}

/* Gap of a solution to the bound, in % of the bound (0 when proven optimal). */
static double gap_pct(const problem *P, const pl_cover_solution *S, double bound)
{
    if (!isfinite(bound) || S->status == PL_COVER_INFEASIBLE)
        return NAN;
    if (P->kind == 0)
        return bound > 0 ? pl_round_to(100.0 * (bound - S->value) / bound, 1000) : (bound == 0 ? 0.0 : NAN);
    return bound > 0 ? pl_round_to(100.0 * ((double)S->n - bound) / bound, 1000) : (S->n == 0 ? 0.0 : NAN);
}

static int write_summary(pl_gpkg *g, const pl_coverage_opts *o, const cov_state *s, pl_error *err)
{
    pl_field_list fl = {0};
    pl_fields_add(&fl, "problem", PL_FIELD_TEXT, "Problem", "max_covering (--add) or set_covering (--target-share)");
    pl_fields_add(&fl, "hubs_asked", PL_FIELD_INT, "Antal nya nav (begärt)", NULL);
    pl_fields_add(&fl, "target_share", PL_FIELD_REAL, "Mål för täckt andel", NULL);
    pl_fields_add(&fl, "method_used", PL_FIELD_TEXT, "Redovisad lösning", NULL);
    pl_fields_add(&fl, "exact_status", PL_FIELD_TEXT, "Exakt (CBC): status",
                  "optimal: proven; time limit: the best CBC found in --time-limit, not proven");
    pl_fields_add(&fl, "hubs", PL_FIELD_INT, "Redovisad: antal nav", NULL);
    pl_fields_add(&fl, "new_pop", PL_FIELD_REAL, "Redovisad: nya täckta invånare", NULL);
    pl_fields_add(&fl, "bound", PL_FIELD_REAL, "Gräns för optimum",
                  "max covering: upper bound on the residents N new hubs can cover; set covering: lower bound "
                  "on the number of new hubs. Equal to the answer when it is proven optimal");
    pl_fields_add(&fl, "bound_kind", PL_FIELD_TEXT, "Gränsens ursprung", NULL);
    pl_fields_add(&fl, "gap_pct", PL_FIELD_REAL, "Redovisad lösnings gap (%)",
                  "max covering: (bound - residents) / bound; set covering: (hubs - bound) / bound; 0 = proven optimal");
    pl_fields_add(&fl, "greedy_hubs", PL_FIELD_INT, "Girig: antal nav", NULL);
    pl_fields_add(&fl, "greedy_pop", PL_FIELD_REAL, "Girig: nya täckta invånare", NULL);
    pl_fields_add(&fl, "greedy_gap_pct", PL_FIELD_REAL, "Girig lösnings gap (%)", "the greedy answer against the bound");
    pl_fields_add(&fl, "exact_hubs", PL_FIELD_INT, "Exakt: antal nav", NULL);
    pl_fields_add(&fl, "exact_pop", PL_FIELD_REAL, "Exakt: nya täckta invånare", NULL);
    pl_fields_add(&fl, "candidates", PL_FIELD_INT, "Kandidatplatser", NULL);
    pl_fields_add(&fl, "candidates_useful", PL_FIELD_INT, "Kandidater som täcker någon", NULL);
    pl_fields_add(&fl, "columns", PL_FIELD_INT, "Distinkta kandidatkolumner", NULL);
    pl_fields_add(&fl, "rows", PL_FIELD_INT, "Distinkta rader (sammanslagna rutor)", NULL);
    pl_gpkg_layer *l = pl_gpkg_layer_add(g, "coverage_summary", 100, "Nya nav: metoder och optimalitetsgap", fl.defs,
                                         fl.n, NULL, err);
    int rc = l ? PL_OK : PL_EINTERNAL;
    const problem *ps[2] = {&s->mclp, &s->cover};
    int on[2] = {o->add > 0, o->target_share > 0};
    for (int i = 0; rc == PL_OK && i < 2; i++) {
        if (!on[i] || !s->cand)
            continue;
        const problem *P = ps[i];
        const char *kind;
        double bound = problem_bound(P, &s->inst, &kind);
        double scale = P->kind == 0 ? 1000 : 1; /* residents to 0.001, hubs whole */
        pl_gpkg_row_begin(l);
        pl_gpkg_set_text(l, 0, i ? "set_covering" : "max_covering");
        if (!i)
            pl_gpkg_set_int(l, 1, o->add);
        else
            pl_gpkg_set_real(l, 2, o->target_share);
        pl_gpkg_set_text(l, 3, P->method);
        pl_gpkg_set_text(l, 4, P->has_exact ? status_name(P->exact.status) : P->not_run);
        if (P->used->status != PL_COVER_INFEASIBLE) {
            pl_gpkg_set_int(l, 5, P->used->n);
            pl_gpkg_set_real(l, 6, pl_round_people(P->used->value));
        }
        pl_gpkg_set_real(l, 7, pl_round_to(bound, scale));
        pl_gpkg_set_text(l, 8, kind);
        pl_gpkg_set_real(l, 9, gap_pct(P, P->used, bound));
        pl_gpkg_set_int(l, 10, P->greedy.n);
        pl_gpkg_set_real(l, 11, pl_round_people(P->greedy.value));
        pl_gpkg_set_real(l, 12, gap_pct(P, &P->greedy, bound));
        if (P->has_exact && P->exact.status != PL_COVER_INFEASIBLE) {
            pl_gpkg_set_int(l, 13, P->exact.n);
            pl_gpkg_set_real(l, 14, pl_round_people(P->exact.value));
        }
        pl_gpkg_set_int(l, 15, (int64_t)s->cand->n);
        pl_gpkg_set_int(l, 16, (int64_t)s->n_useful);
        pl_gpkg_set_int(l, 17, s->inst.n_cand);
        pl_gpkg_set_int(l, 18, s->inst.n_rows);
        /* Run times go to the log (pl_info), not the table: same inputs, same table bytes. */
        rc = pl_gpkg_row_end(l, err);
    }
    pl_fields_free(&fl);
    return rc;
}

/* The candidates' file (NULL: none, or the roads). */
static const char *candidates_file(const pl_coverage_opts *o)
{
    if (!o->candidates || strcmp(o->candidates, "roads") == 0)
        return NULL;
    return strchr(o->candidates, ':') && (strncmp(o->candidates, "localities:", 11) == 0 ||
                                          strncmp(o->candidates, "tatorter:", 9) == 0)
               ? strchr(o->candidates, ':') + 1
               : o->candidates;
}

static int write_output(pl_ctx *ctx, const pl_coverage_opts *o, const char *command_line, const cov_state *s,
                        pl_error *err)
{
    const pl_access_opts *b = &o->base;
    const char *cand_file = candidates_file(o);
    const char *inputs[] = {b->population, b->services, b->roads, b->municipalities, cand_file, NULL};
    pl_gpkg_opts go = {.overwrite = b->overwrite, .csv = b->csv,
                       .csv_style = b->csv_style, .command_line = command_line, .inputs = inputs,
                           .graph_cache = b->graph_cache};
    pl_gpkg *g = pl_gpkg_create(ctx, b->output, &go, err);
    if (!g)
        return err->code;
    char v[128];
    pl_gpkg_add_parameter(g, "analysis", "coverage");
    pl_gpkg_add_parameter(g, "mode", b->mode);
    snprintf(v, sizeof v, "%g %s", s->metric == PL_METRIC_DISTANCE ? o->km : o->min,
             s->metric == PL_METRIC_DISTANCE ? "km" : "min");
    pl_gpkg_add_parameter(g, "threshold", v);
    snprintf(v, sizeof v, "%g", o->cluster_m);
    pl_gpkg_add_parameter(g, "cluster_m", v);
    snprintf(v, sizeof v, "%.0f", s->pop_total);
    pl_gpkg_add_parameter(g, "population_total", v);
    snprintf(v, sizeof v, "%.0f", s->pop_covered);
    pl_gpkg_add_parameter(g, "population_covered", v);
    pl_gpkg_add_parameter(g, "region", b->region ? b->region : "");
    pl_gpkg_add_parameter(g, "crs", ctx->work_crs);
    if (s->transit) {
        pl_transit_add_parameters(g, &b->transit, &s->tp, s->net->n_stops_linked, s->net->n_stops);
        pl_gpkg_add_parameter(g, "hub_km", "walking distance along the walk network (no road km for a bus journey)");
        pl_gpkg_add_parameter(g, "hub_id", "not known by public transport (NULL)");
        pl_gpkg_add_parameter(g, "new_hubs", "each covers the units within the threshold of it alone");
    }
    int rc = write_cells(g, s, err);
    if (rc == PL_OK)
        rc = write_clusters(g, s, err);
    if (rc == PL_OK && o->add > 0 && s->cand)
        rc = write_new_hubs(g, s, &s->mclp, "new_hubs", "Nya nav (maximal täckning)", err);
    if (rc == PL_OK && o->target_share > 0 && s->cand)
        rc = write_new_hubs(g, s, &s->cover, "new_hubs_target", "Nya nav för målandelen (minsta antal)", err);
    if (rc == PL_OK)
        rc = write_munis(g, s, err);
    if (rc == PL_OK && s->cand)
        rc = write_summary(g, o, s, err);
    if (rc == PL_OK)
        rc = pl_write_unattached_units(g, s->pop, s->cell_snap, s->in_region, err);
    if (rc == PL_OK)
        rc = pl_write_unattached_services(g, s->svc, s->types, s->svc_snap, err);
    if (rc != PL_OK) {
        pl_gpkg_abort(g);
        return rc;
    }
    return pl_gpkg_commit(g, err);
}

/* The solve on one line of the log, with its times (kept out of the tables). */
static void log_problem(pl_ctx *ctx, const cov_state *s, const problem *P, const char *name)
{
    const char *kind;
    double bound = problem_bound(P, &s->inst, &kind);
    const pl_cover_solution *S = P->used;
    if (S->status == PL_COVER_INFEASIBLE) {
        pl_info(ctx, "  %s: target not reachable with every candidate (greedy %.3f s%s)", name, P->greedy.seconds,
                P->has_exact ? ", CBC agrees" : "");
        return;
    }
    char ex[64] = "";
    if (P->has_exact)
        snprintf(ex, sizeof ex, ", CBC %.3f s", P->exact.seconds);
    pl_info(ctx, "  %s: %u new hubs (%s) cover %.0f more residents; bound %.0f (%s), gap %.3f %%; greedy %u hubs, "
            "%.0f residents (%.3f s%s)", name, S->n, P->method, S->value, bound, kind,
            gap_pct(P, S, bound), P->greedy.n, P->greedy.value, P->greedy.seconds, ex);
}

int pl_coverage_check_opts(const pl_coverage_opts *o, pl_error *err)
{
    if ((o->km > 0) == (o->min > 0))
        return pl_error_set(err, PL_EINPUT, "give the coverage threshold as either --km or --min (one of them)");
    if (o->add < 0)
        return pl_error_set(err, PL_EINPUT, "--add %d: give a number of new hubs >= 0", o->add);
    if (o->target_share < 0 || o->target_share > 1)
        return pl_error_set(err, PL_EINPUT, "--target-share %g: give a share between 0 and 1, e.g. 0.99", o->target_share);
    if ((o->add > 0 || o->target_share > 0) && !o->candidates)
        return pl_error_set(err, PL_EINPUT, "--add/--target-share need --candidates (FILE, localities:FILE or roads)");
    if (strcmp(o->method, "auto") && strcmp(o->method, "greedy") && strcmp(o->method, "exact"))
        return pl_error_set(err, PL_EINPUT, "--method '%s': use auto, greedy or exact", o->method);
    if (o->base.mode && strcmp(o->base.mode, "transit") == 0 && o->km > 0)
        return pl_error_set(err, PL_EINPUT, "--km is a road distance; with --mode transit give the threshold as --min "
                            "(the window's median travel time)");
    return PL_OK;
}

static int coverage_run(pl_ctx *ctx, const pl_coverage_opts *o, const char *command_line, pl_error *err)
{
    const pl_access_opts *b = &o->base;
    if (pl_coverage_check_opts(o, err) != PL_OK)
        return err->code;
    const char *inputs[] = {b->population, b->services, b->roads, b->municipalities, candidates_file(o), NULL};
    const char *twins[] = {"coverage_municipalities_table", o->candidates ? "coverage_summary" : NULL, NULL};
    pl_gpkg_opts check = {.overwrite = b->overwrite, .csv = b->csv, .csv_style = b->csv_style, .inputs = inputs};
    if (pl_gpkg_check_output(b->output, &check, twins, err) != PL_OK)
        return err->code;
    if (b->crs)
        snprintf(ctx->work_crs, sizeof ctx->work_crs, "%s", b->crs);
    pl_graph_opts gopts;
    pl_graph_opts_default(&gopts);
    cov_state s;
    memset(&s, 0, sizeof s);
    s.transit = b->mode && strcmp(b->mode, "transit") == 0;
    if (s.transit) {
        gopts.mode = PL_MODE_WALK;  /* the streets of a transit run: the walk graph */
        if (pl_transit_params_from_opts(&b->transit, &s.tp, err) != PL_OK)
            return err->code;
    } else if (pl_mode_from_name(b->mode, &gopts.mode) != PL_OK) {
        return pl_error_set(err, PL_EINPUT, "--mode '%s': use car, bike, walk or transit", b->mode);
    } else if (pl_transit_refuse_unused(&b->transit, err) != PL_OK) {
        return err->code;
    }
    gopts.cache_path = b->graph_cache;
    const char *cache_inputs[] = {b->population, b->services, b->roads, b->municipalities, b->service_types_file,
                                  o->candidates, o->candidates ? strchr(o->candidates, ':') : NULL};
    if (cache_inputs[6])
        cache_inputs[6]++; /* localities:FILE */
    if (pl_graph_cache_check_path(b->graph_cache, cache_inputs, 7, &b->output, 1, err) != PL_OK)
        return err->code;
    s.ctx = ctx;
    s.metric = o->km > 0 ? PL_METRIC_DISTANCE : PL_METRIC_TIME;
    s.threshold = o->km > 0 ? o->km * 1000.0 : o->min * 60.0;
    int rc = load(ctx, o, &s, err);
    if (rc == PL_OK && s.transit)
        rc = pl_transit_load_timetable(ctx, &b->transit, &s.tt, err);
    if (rc == PL_OK) {
        pl_progress(ctx, 0.0, "building road graph");
        s.graph = pl_graph_build(ctx, s.roads, &gopts, err);
        rc = s.graph ? PL_OK : err->code;
        pl_progress(ctx, 1.0, "building road graph");
    }
    if (rc == PL_OK)
        rc = existing_coverage(ctx, o, &s, err);
    if (rc == PL_OK && (o->add > 0 || o->target_share > 0))
        rc = new_hubs(ctx, o, &s, err);
    if (rc == PL_OK)
        rc = write_output(ctx, o, command_line, &s, err);
    if (rc == PL_OK) {
        pl_info(ctx, "platsa coverage: %.0f of %.0f residents covered (%.2f %%), %u uncovered clusters -> %s",
                s.pop_covered, s.pop_total, s.pop_total > 0 ? 100 * s.pop_covered / s.pop_total : 0.0, s.n_clusters,
                b->output);
        if (o->add > 0 && s.mclp.used)
            log_problem(ctx, &s, &s.mclp, "max covering");
        if (o->target_share > 0 && s.cover.used)
            log_problem(ctx, &s, &s.cover, "set covering");
    }
    state_free(ctx, &s);
    return rc;
}

int pl_coverage_opts_init(pl_coverage_opts *o)
{
    memset(o, 0, sizeof *o);
    return pl_options_defaults(pl_coverage_options, o, NULL);
}

void pl_coverage_opts_free(pl_coverage_opts *o)
{
    pl_options_free(pl_coverage_options, o);
}

typedef struct coverage_call {
    pl_ctx *ctx;
    const pl_coverage_opts *o;
    const char *command_line;
    pl_error *err;
} coverage_call;

static int coverage_call_run(void *arg)
{
    coverage_call *c = arg;
    return coverage_run(c->ctx, c->o, c->command_line, c->err);
}

int pl_coverage_run(pl_ctx *ctx, const pl_coverage_opts *o, const char *command_line, pl_error *err)
{
    coverage_call c = {ctx, o, command_line, err};
    return pl_oom_guard(coverage_call_run, &c, pl_run_unwind, err);
}
