/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Scenarios: the incremental recomputation (closures from k = 3 labels, forward searches for
 * the units that lose two of three, bounded reverse searches from added services, new
 * housing) equals a full re-run of the access analysis exactly, label by label, on the
 * sample data (Södermalm walking, Monaco by car) and random closures/additions; the scenario
 * file parser; the CLI's delta tables sum to the difference of the runs' totals. */
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

#include "analyses/scenario/scenario.h"
#include "support/testutil.h"

/* The platsa binary the CLI tests run ($PLATSA_BIN, e.g. the sanitizer build, or build/platsa). */
static const char *platsa_bin(void)
{
    const char *b = getenv("PLATSA_BIN");
    return b && *b ? b : "build/platsa";
}

static uint64_t rng_state;
static uint64_t next_u64(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static double uniform(void) { return (double)(next_u64() >> 11) / 9007199254740992.0; }

typedef struct fixture {
    pl_ctx *ctx;
    pl_service_types *types;
    pl_municipalities *munis;
    pl_population *pop;
    pl_services *svc;
    pl_roads *roads;
    pl_graph *graph;
    pl_mode mode;
} fixture;

static const char *imported(const char *name, const char *pbf)
{
    static char path[2][600];
    int slot = strcmp(name, "monaco") == 0;
    snprintf(path[slot], sizeof path[slot], "build/test-tmp/scenario_osm/%s-layers.gpkg", name);
    if (!file_exists(path[slot])) {
        assert_int_equal(run_cmd("mkdir -p build/test-tmp/scenario_osm"), 0);
        assert_int_equal(run_cmd("%s -q import-osm %s -o %s --overwrite", platsa_bin(), pbf, path[slot]), 0);
    }
    return path[slot];
}

static void load(fixture *f, const char *name, pl_mode mode)
{
    int monaco = strcmp(name, "monaco") == 0;
    const char *layers = imported(name, monaco ? "sample-data/monaco/monaco.osm.pbf"
                                               : "sample-data/sodermalm/stockholm.osm.pbf");
    char spec[700];
    pl_error err = {0};
    f->ctx = pl_ctx_new();
    f->ctx->quiet = 1;
    f->mode = mode;
    f->types = pl_service_types_load(f->ctx, NULL, &err);
    pl_load_opts lo = {0};
    f->munis = pl_municipalities_load(f->ctx, monaco ? "sample-data/monaco/areas.gpkg" : "sample-data/sodermalm/kommuner.gpkg",
                                      &lo, &err);
    assert_non_null(f->munis);
    f->pop = pl_population_load(f->ctx, monaco ? "sample-data/monaco/population.gpkg:population"
                                               : "sample-data/sodermalm/population.gpkg:population",
                                &lo, &err);
    assert_non_null(f->pop);
    snprintf(spec, sizeof spec, "%s:services", layers);
    f->svc = pl_services_load(f->ctx, spec, f->types, &lo, &err);
    assert_non_null(f->svc);
    snprintf(spec, sizeof spec, "%s:roads", layers);
    f->roads = pl_roads_load(f->ctx, spec, &lo, &err);
    assert_non_null(f->roads);
    pl_graph_opts go;
    pl_graph_opts_default(&go);
    go.mode = mode;
    f->graph = pl_graph_build(f->ctx, f->roads, &go, &err);
    assert_non_null(f->graph);
}

static void free_fixture(fixture *f)
{
    pl_graph_free(f->graph);
    pl_roads_free(f->roads);
    pl_services_free(f->svc);
    pl_population_free(f->ctx, f->pop);
    pl_municipalities_free(f->ctx, f->munis);
    pl_service_types_free(f->types);
    pl_ctx_free(f->ctx);
}

static int same_double(double a, double b) { return a == b || (isnan(a) && isnan(b)); }

/* Every label (service identity and doubles) and every summary equal. */
static void assert_same_result(const pl_access_result *a, const pl_access_result *b, const char *what)
{
    assert_int_equal(a->n_cells, b->n_cells);
    assert_int_equal(a->n_types, b->n_types);
    assert_int_equal(a->n_svc, b->n_svc);
    for (size_t i = 0; i < a->n_svc; i++)
        if (a->svc_snap[i].edge != b->svc_snap[i].edge || a->svc_snap[i].a_len_m != b->svc_snap[i].a_len_m ||
            a->svc_snap[i].access_m != b->svc_snap[i].access_m)
            fail_msg("%s: service %zu attached differently (edge %u / %u)", what, i, a->svc_snap[i].edge,
                     b->svc_snap[i].edge);
    for (int t = 0; t < a->n_types; t++) {
        const pl_access_type *x = &a->types[t], *y = &b->types[t];
        assert_int_equal(x->n_services, y->n_services);
        for (uint32_t s = 0; s < x->n_services; s++)
            assert_int_equal(x->service_index[s], y->service_index[s]);
        for (int m = 0; m < 2; m++) {
            const pl_label *lx = m ? x->by_time : x->by_dist, *ly = m ? y->by_time : y->by_dist;
            for (size_t c = 0; c < a->n_cells * 2; c++) {
                if (lx[c].source != ly[c].source || !same_double(lx[c].dist_m, ly[c].dist_m) ||
                    !same_double(lx[c].time_s, ly[c].time_s))
                    fail_msg("%s: type %d metric %d unit %zu label %zu: incremental %u %.17g m %.17g s, full re-run %u "
                             "%.17g m %.17g s",
                             what, t, m, c / 2, c % 2, lx[c].source, lx[c].dist_m, lx[c].time_s, ly[c].source,
                             ly[c].dist_m, ly[c].time_s);
            }
        }
    }
    for (size_t c = 0; c < a->n_cells; c++) {
        const pl_snap *x = &a->cell_snap[c], *y = &b->cell_snap[c];
        if (x->edge != y->edge || x->node_a != y->node_a || x->node_b != y->node_b || x->a_len_m != y->a_len_m ||
            x->access_m != y->access_m || x->status != y->status || x->to_a != y->to_a || x->from_b != y->from_b)
            fail_msg("%s: unit %zu attached differently (edge %u / %u)", what, c, x->edge, y->edge);
        assert_int_equal(a->cell_muni[c], b->cell_muni[c]);
        assert_int_equal(a->service_level[c], b->service_level[c]);
    }
    assert_true(a->pop_total == b->pop_total);
    for (size_t i = 0; i < a->n_munis * (size_t)a->n_types; i++) {
        const pl_access_stats *x = &a->muni_stats[i], *y = &b->muni_stats[i];
        assert_true(x->pop == y->pop && same_double(x->mean_km, y->mean_km) && same_double(x->median_min, y->median_min));
        for (int k = 0; k < PL_MAX_BANDS + 2; k++)
            assert_true(x->pop_band_km[k] == y->pop_band_km[k] && x->pop_band_min[k] == y->pop_band_min[k]);
    }
}

/* Population beyond band i from a summary (the bands after it, then unreachable). */
static double beyond_stats(const pl_access_stats *st, const pl_access_type *at, int metric, int i)
{
    int nb = metric ? at->n_bands_min : at->n_bands_km;
    const double *band = metric ? st->pop_band_min : st->pop_band_km;
    double v = 0;
    for (int k = i + 1; k <= nb + 1; k++)
        v += band[k];
    return v;
}

static int close_enough(double a, double b) { return fabs(a - b) <= 1e-9 * (fabs(a) + fabs(b)) + 1e-9; }

/* Deltas per municipality sum to the difference of the two runs' totals, and each
 * municipality's before/after match its own summaries. */
static void check_deltas(const pl_access_result *before, const pl_access_result *after, const pl_population *pop,
                         size_t n_munis)
{
    pl_band_delta *d = malloc((n_munis + 1) * sizeof *d);
    for (int t = 0; t < after->n_types; t++) {
        const pl_access_type *at = &after->types[t];
        for (int metric = 0; metric < 2; metric++) {
            int nb = metric ? at->n_bands_min : at->n_bands_km;
            const double *bounds = metric ? at->bands_min : at->bands_km;
            for (int i = 0; i < nb; i++) {
                pl_scenario_band_deltas(before, after, pop, t, metric, bounds[i], n_munis, d);
                double sum_change = 0, sum_out = 0, sum_in = 0;
                for (size_t m = 0; m < n_munis; m++) {
                    double b = beyond_stats(&before->muni_stats[m * (size_t)before->n_types + (size_t)t],
                                            &before->types[t], metric, i);
                    double a = beyond_stats(&after->muni_stats[m * (size_t)after->n_types + (size_t)t], at, metric, i);
                    assert_true(close_enough(d[m].before_beyond, b));
                    assert_true(close_enough(d[m].after_beyond, a));
                    assert_true(close_enough(d[m].after_beyond - d[m].before_beyond,
                                             d[m].out - d[m].in + d[m].new_beyond));
                    sum_change += d[m].out - d[m].in + d[m].new_beyond;
                    sum_out += d[m].out;
                    sum_in += d[m].in;
                }
                double total = beyond_stats(&after->total_stats[t], at, metric, i) -
                               beyond_stats(&before->total_stats[t], &before->types[t], metric, i);
                assert_true(close_enough(sum_change, total));
                assert_true(close_enough(sum_out, d[n_munis].out));
                assert_true(close_enough(sum_in, d[n_munis].in));
            }
        }
    }
    free(d);
}

/* One random scenario: close some services, add some near random units, add housing. */
static void check_random_scenario(fixture *f, const int *types, int n_types, int n_close, int n_add, int n_pop,
                                  const pl_scenario_base *base, long *searched, long *improved)
{
    pl_error err = {0};
    uint8_t *closed = calloc(f->svc->n, 1);
    for (int k = 0; k < n_close; k++)
        closed[(size_t)(uniform() * f->svc->n)] = 1;
    /* Added services: copies of random existing ones' types, placed near random units. */
    pl_services add = {0};
    add.n = (size_t)n_add;
    add.x = malloc((size_t)(n_add + 1) * sizeof *add.x);
    add.y = malloc((size_t)(n_add + 1) * sizeof *add.y);
    add.type = malloc((size_t)(n_add + 1) * sizeof *add.type);
    add.id = malloc((size_t)(n_add + 1) * sizeof *add.id);
    add.name = malloc((size_t)(n_add + 1) * sizeof *add.name);
    add.raw_type = malloc((size_t)(n_add + 1) * sizeof *add.raw_type);
    char ids[64][16];
    for (int k = 0; k < n_add; k++) {
        size_t c = (size_t)(uniform() * f->pop->n), s = (size_t)(uniform() * f->svc->n);
        add.x[k] = f->pop->x[c] + 30 * (uniform() - 0.5);
        add.y[k] = f->pop->y[c] + 30 * (uniform() - 0.5);
        add.type[k] = f->svc->type[s];
        snprintf(ids[k], sizeof ids[k], "new%d", k);
        add.id[k] = ids[k];
        add.name[k] = "Ny";
        add.raw_type[k] = "new";
    }
    /* Added housing near random units. */
    pl_population hp = {0};
    hp.n = (size_t)n_pop;
    hp.id = malloc((size_t)(n_pop + 1) * sizeof *hp.id);
    hp.x = malloc((size_t)(n_pop + 1) * sizeof *hp.x);
    hp.y = malloc((size_t)(n_pop + 1) * sizeof *hp.y);
    hp.pop = malloc((size_t)(n_pop + 1) * sizeof *hp.pop);
    char pids[64][16];
    for (int k = 0; k < n_pop; k++) {
        size_t c = (size_t)(uniform() * f->pop->n);
        double spread = k % 4 == 3 ? 6000 : 200;  /* some far from any road: attached through the fallback */
        hp.x[k] = f->pop->x[c] + spread * (uniform() - 0.5);
        hp.y[k] = f->pop->y[c] + spread * (uniform() - 0.5);
        hp.pop[k] = floor(10 + 100 * uniform());
        snprintf(pids[k], sizeof pids[k], "h%d", k);
        hp.id[k] = pids[k];
    }
    uint32_t *o2n = malloc(f->svc->n * sizeof *o2n);
    pl_services *sn = pl_scenario_services(f->svc, closed, &add, o2n);
    pl_population *pn = pl_scenario_population(f->pop, n_pop ? &hp : NULL);
    pl_access_result *inc = NULL, *full = NULL;
    pl_scenario_work wk;
    if (pl_scenario_apply(f->ctx, base, pn, f->svc, sn, o2n, f->types, f->munis, f->roads, f->graph, &inc, &wk, &err) !=
        PL_OK)
        fail_msg("%s", err.msg);
    pl_access_params p = base->params;
    p.types = types;
    p.n_types = n_types;
    if (pl_access_compute(f->ctx, pn, sn, f->types, f->munis, f->roads, f->graph, &p, &full, &err) != PL_OK)
        fail_msg("%s", err.msg);
    char what[128];
    snprintf(what, sizeof what, "close %d add %d housing %d", n_close, n_add, n_pop);
    assert_same_result(inc, full, what);
    check_deltas(base->r, inc, pn, f->munis->n);
    *searched += wk.units_searched;
    *improved += wk.units_improved;
    pl_access_result_free(inc);
    pl_access_result_free(full);
    pl_scenario_services_free(sn);
    pl_scenario_population_free(pn);
    free(o2n);
    free(closed);
    free(add.x);
    free(add.y);
    free(add.type);
    free(add.id);
    free(add.name);
    free(add.raw_type);
    free(hp.id);
    free(hp.x);
    free(hp.y);
    free(hp.pop);
}

static void check_dataset(const char *name, pl_mode mode, const char *const *type_keys, int n_types, int rounds)
{
    fixture f;
    load(&f, name, mode);
    int types[8];
    for (int i = 0; i < n_types; i++) {
        types[i] = pl_service_types_find(f.types, type_keys[i]);
        assert_true(types[i] >= 0);
    }
    pl_access_params p = {.types = types, .n_types = n_types, .mode = mode, .within_km = 1, .max_snap_m = 1000};
    pl_scenario_base *base = NULL;
    pl_error err = {0};
    assert_int_equal(pl_scenario_baseline(f.ctx, f.pop, f.svc, f.types, f.munis, f.roads, f.graph, &p, &base, &err),
                     PL_OK);
    /* The baseline itself equals pl_access_compute. */
    pl_access_result *full = NULL;
    assert_int_equal(pl_access_compute(f.ctx, f.pop, f.svc, f.types, f.munis, f.roads, f.graph, &p, &full, &err), PL_OK);
    assert_same_result(base->r, full, "baseline");
    pl_access_result_free(full);
    long searched = 0, improved = 0;
    rng_state = 42;
    for (int k = 0; k < rounds; k++) {
        int nc = (int)(uniform() * 5), na = (int)(uniform() * 4), np = k % 3 == 0 ? 3 : 0;
        check_random_scenario(&f, types, n_types, nc, na, np, base, &searched, &improved);
    }
    /* Closing a lot at once. */
    check_random_scenario(&f, types, n_types, (int)(f.svc->n / 2), 10, 5, base, &searched, &improved);
    print_message("%s: %d scenarios equal full re-runs; %ld unit searches, %ld labels improved by added services\n",
                  name, rounds + 1, searched, improved);
    assert_true(searched > 0 && improved > 0);
    pl_scenario_base_free(base);
    free_fixture(&f);
}

static void test_incremental_sodermalm(void **state)
{
    (void)state;
    const char *types[] = {"grocery", "cash", "pharmacy"};
    check_dataset("sodermalm", PL_MODE_WALK, types, 3, 12);
}

static void test_incremental_monaco(void **state)
{
    (void)state;
    /* grocery with both its members: the full re-runs merge it from theirs (access.c). */
    const char *types[] = {"grocery", "fuel", "pharmacy", "cash", "grocery_full", "grocery_partial"};
    check_dataset("monaco", PL_MODE_CAR, types, 6, 20);
}

/* A group analysed with all its members is merged from their labels instead of searched:
 * the labels must equal those of a search over the group's own services, bit for bit. */
static void check_group_merge(const char *name, pl_mode mode)
{
    fixture f;
    load(&f, name, mode);
    const char *keys[] = {"grocery_full", "grocery", "grocery_partial", "parcel_post", "parcel_any", "parcel_locker"};
    int types[6];
    for (int i = 0; i < 6; i++) {
        types[i] = pl_service_types_find(f.types, keys[i]);
        assert_true(types[i] >= 0);
    }
    pl_access_params p = {.types = types, .n_types = 6, .mode = mode, .within_km = 1, .max_snap_m = 1000};
    pl_access_result *r = NULL;
    pl_error err = {0};
    assert_int_equal(pl_access_compute(f.ctx, f.pop, f.svc, f.types, f.munis, f.roads, f.graph, &p, &r, &err), PL_OK);
    long compared = 0, second_from_other_member = 0;
    for (int t = 0; t < 6; t++) {
        pl_access_type *at = &r->types[t];
        int group = strcmp(keys[t], "grocery") == 0 || strcmp(keys[t], "parcel_any") == 0;
        assert_int_equal(at->n_members, group ? 2 : 0);
        if (!group)
            continue;
        size_t bytes = r->n_cells * 2 * sizeof(pl_label);
        pl_label *merged_dist = malloc(bytes), *merged_time = malloc(bytes);
        memcpy(merged_dist, at->by_dist, bytes);
        memcpy(merged_time, at->by_time, bytes);
        assert_int_equal(pl_access_search_type(f.ctx, f.graph, r, t, &err), PL_OK);
        for (size_t i = 0; i < r->n_cells * 2; i++)
            for (int m = 0; m < 2; m++) {
                const pl_label *x = m ? &merged_time[i] : &merged_dist[i], *y = m ? &at->by_time[i] : &at->by_dist[i];
                if (x->source != y->source || !same_double(x->dist_m, y->dist_m) || !same_double(x->time_s, y->time_s))
                    fail_msg("%s %s metric %d unit %zu label %zu: merged %u %.17g m %.17g s, searched %u %.17g m %.17g s",
                             name, keys[t], m, i / 2, i % 2, x->source, x->dist_m, x->time_s, y->source, y->dist_m,
                             y->time_s);
                compared++;
            }
        /* The merge has work to do: the two nearest often come from different members. */
        const pl_access_type *first = &r->types[at->member[0]];
        for (size_t c = 0; c < r->n_cells; c++) {
            uint32_t a = at->by_dist[2 * c].source, b = at->by_dist[2 * c + 1].source;
            if (a == UINT32_MAX || b == UINT32_MAX)
                continue;
            int a_first = 0, b_first = 0;
            for (uint32_t s = 0; s < first->n_services; s++) {
                a_first |= first->service_index[s] == at->service_index[a];
                b_first |= first->service_index[s] == at->service_index[b];
            }
            second_from_other_member += a_first != b_first;
        }
        free(merged_dist);
        free(merged_time);
    }
    print_message("%s: %ld merged group labels equal a search; %ld units have their two nearest from different members\n",
                  name, compared, second_from_other_member);
    assert_true(compared > 0 && second_from_other_member > 0);
    pl_access_result_free(r);
    free_fixture(&f);
}

static void test_group_merge(void **state)
{
    (void)state;
    check_group_merge("sodermalm", PL_MODE_WALK);
    check_group_merge("sodermalm", PL_MODE_CAR);
    check_group_merge("monaco", PL_MODE_CAR);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int n = 0, ch;
    while ((ch = fgetc(f)) != EOF)
        n += ch == '\n';
    fclose(f);
    return n;
}

/* The scenario file parser: keys, lists, relative paths, errors with line numbers. */
static void test_parser(void **state)
{
    (void)state;
    const char *dir = scratch_dir("scenario_parse");
    char path[700];
    snprintf(path, sizeof path, "%s/s.ini", dir);
    write_file(path, "; comment\n[baseline]\npopulation = pop.gpkg:population\nservices = /abs/svc.gpkg\n"
                     "roads = r.gpkg\nmunicipalities = m.gpkg\ntypes = grocery, pharmacy\nbands_min = 5, 10\n"
                     "mode = walk\n\n[scenario Stäng två]\nclose = 12, 34\nclose = 56\nadd = new.gpkg:stores\n"
                     "remove_roads = 7, 8\n[scenario Ny]\nadd_service = n1; grocery; 1; 2; Ny butik\n"
                     "add_housing = h1; 300; 5; 6\n");
    pl_scenario_file f;
    pl_error err = {0};
    assert_int_equal(pl_scenario_file_load(path, &f, &err), PL_OK);
    char want[800];
    snprintf(want, sizeof want, "%s/pop.gpkg:population", dir);
    assert_string_equal(f.base.population, want);
    assert_string_equal(f.base.services, "/abs/svc.gpkg");
    assert_int_equal(f.base.types.n, 2);
    assert_string_equal(f.base.types.v[1], "pharmacy");
    assert_int_equal(f.base.bands_min.n, 2);
    assert_string_equal(f.base.mode, "walk");
    assert_int_equal(f.n_sc, 2);
    assert_string_equal(f.sc[0].name, "Stäng två");
    assert_int_equal(f.sc[0].n_close, 3);
    assert_string_equal(f.sc[0].close[2], "56");
    assert_int_equal(f.sc[0].n_remove_roads, 2);
    assert_true(f.sc[0].remove_roads[1] == 8);
    assert_int_equal(f.sc[1].n_add_service, 1);
    assert_int_equal(f.sc[1].n_add_housing, 1);
    assert_true(f.base.max_service_snap_m == 2000); /* the default of --max-service-snap */
    assert_null(f.base.id_field);
    pl_scenario_file_free(&f);
    /* The attachment keys (issue #17), as the access options. */
    write_file(path, "[baseline]\npopulation = p\nservices = s\nroads = r\nmunicipalities = m\nmax_service_snap = 500\n"
                     "id_field = Rut_id\n[scenario A]\nclose = 1\n");
    assert_int_equal(pl_scenario_file_load(path, &f, &err), PL_OK);
    assert_true(f.base.max_service_snap_m == 500);
    assert_string_equal(f.base.id_field, "Rut_id");
    pl_scenario_file_free(&f);
    /* Errors name the file and line. */
    write_file(path, "[baseline]\npopulation = p\nservices = s\nroads = r\nmunicipalities = m\n[scenario A]\n"
                     "closee = 1\n");
    assert_int_equal(pl_scenario_file_load(path, &f, &err), PL_EINPUT);
    assert_non_null(strstr(err.msg, "s.ini:7:"));
    assert_non_null(strstr(err.msg, "unknown key 'closee'"));
    pl_scenario_file_free(&f);
    write_file(path, "[baseline]\npopulation = p\nservices = s\nroads = r\nmunicipalities = m\n");
    assert_int_equal(pl_scenario_file_load(path, &f, &err), PL_EINPUT);
    assert_non_null(strstr(err.msg, "no [scenario NAME]"));
    pl_scenario_file_free(&f);
    write_file(path, "[baseline]\npopulation = p\nroads = r\nmunicipalities = m\n[scenario A]\nclose = 1\n");
    assert_int_equal(pl_scenario_file_load(path, &f, &err), PL_EINPUT);
    assert_non_null(strstr(err.msg, "no services"));
    pl_scenario_file_free(&f);
    write_file(path, "[baseline]\npopulation = p\nservices = s\nroads = r\nmunicipalities = m\n[scenario A]\n"
                     "remove_roads = 12a\n");
    assert_int_equal(pl_scenario_file_load(path, &f, &err), PL_EINPUT);
    assert_non_null(strstr(err.msg, "'12a' is not a road id"));
    pl_scenario_file_free(&f);
}

/* The CLI on Monaco: every layer, one summary row per scenario, and the summary's changes
 * equal the delta table's totals. */
static void test_cli(void **state)
{
    (void)state;
    const char *layers = imported("monaco", "sample-data/monaco/monaco.osm.pbf");
    char cwd[1024];
    assert_non_null(getcwd(cwd, sizeof cwd));
    const char *dir = scratch_dir("scenario_cli");
    char path[700], text[16384];
    snprintf(path, sizeof path, "%s/monaco.ini", dir);
    snprintf(text, sizeof text,
             "[baseline]\npopulation = %s/sample-data/monaco/population.gpkg:population\n"
             "services = %s/%s:services\nroads = %s/%s:roads\nmunicipalities = %s/sample-data/monaco/areas.gpkg\n"
             "types = grocery\nbands_km = 0.5, 1, 2\nbands_min = 2, 5\n\n"
             "[scenario Stängning]\nclose = 3781294550\n"
             "[scenario Ersättning]\nclose = 3781294550\nadd_service = ny; grocery_partial; -112300; 4871900\n"
             "[scenario Bostäder]\nadd_housing = h1; 600; -112200; 4870100\nadd_housing = h2; 50; -111000; 4871000\n"
             "[scenario Väg stängd]\nremove_roads = 196017189\n",
             cwd, cwd, layers, cwd, layers, cwd);
    write_file(path, text);
    assert_int_equal(run_cmd("%s -q scenario %s -o %s/out.gpkg --csv", platsa_bin(), path, dir), 0);
    char csv[800];
    snprintf(csv, sizeof csv, "%s/out_scenario_summary.csv", dir);
    assert_int_equal(count_lines(csv), 1 + 1 + 4);
    snprintf(csv, sizeof csv, "%s/out_delta_municipalities.csv", dir);
    assert_true(count_lines(csv) > 4);
    snprintf(path, sizeof path, "%s/out.gpkg", dir);
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    const char *names[] = {"scenario_cells_stangning", "scenario_cells_ersattning", "scenario_cells_bostader",
                           "scenario_cells_vag_stangd", "delta_cells", "delta_municipalities", "scenario_summary"};
    for (int i = 0; i < 7; i++)
        if (!GDALDatasetGetLayerByName(ds, names[i]))
            fail_msg("no layer %s", names[i]);
    /* Summary change beyond 2 min = the delta table's total row, per scenario. */
    OGRLayerH sum = GDALDatasetGetLayerByName(ds, "scenario_summary");
    OGRLayerH del = GDALDatasetGetLayerByName(ds, "delta_municipalities");
    int checked = 0;
    OGRFeatureH fs;
    OGR_L_ResetReading(sum);
    while ((fs = OGR_L_GetNextFeature(sum)) != NULL) {
        const char *name = OGR_F_GetFieldAsString(fs, OGR_F_GetFieldIndex(fs, "scenario"));
        if (strcmp(name, "baseline") != 0) {
            double want = OGR_F_GetFieldAsDouble(fs, OGR_F_GetFieldIndex(fs, "grocery_d_over_2min"));
            char filter[256];
            snprintf(filter, sizeof filter, "scenario = '%s' AND kommun = 'totalt'", name);
            OGR_L_SetAttributeFilter(del, filter);
            OGR_L_ResetReading(del);
            OGRFeatureH fd = OGR_L_GetNextFeature(del);
            assert_non_null(fd);
            double got = OGR_F_GetFieldAsDouble(fd, OGR_F_GetFieldIndex(fd, "grocery_d_over_2min"));
            if (fabs(got - want) > 0.002)
                fail_msg("scenario %s: summary %g, deltas %g", name, want, got);
            if (strcmp(name, "Stängning") == 0)
                assert_true(want > 0);
            OGR_F_Destroy(fd);
            checked++;
        }
        OGR_F_Destroy(fs);
    }
    assert_int_equal(checked, 4);
    GDALClose(ds);
    /* Unknown service id: an input error naming it. */
    snprintf(path, sizeof path, "%s/bad.ini", dir);
    snprintf(text, sizeof text,
             "[baseline]\npopulation = %s/sample-data/monaco/population.gpkg:population\n"
             "services = %s/%s:services\nroads = %s/%s:roads\nmunicipalities = %s/sample-data/monaco/areas.gpkg\n"
             "types = grocery\n[scenario X]\nclose = 999\n",
             cwd, cwd, layers, cwd, layers, cwd);
    write_file(path, text);
    assert_int_equal(run_cmd("%s -q scenario %s -o %s/bad.gpkg 2> %s/err.txt", platsa_bin(), path, dir, dir), 1);
    assert_int_equal(run_cmd("grep -q \"no service with id '999'\" %s/err.txt", dir), 0);
}

/* A closed road on a network with topology ids: the rest keeps its ids (the scenario's graph
 * is joined by them too); added lines without ids keep none (scenario_write refuses that mix). */
static void test_scenario_roads_keep_ids(void **state)
{
    (void)state;
    pl_roads *r = calloc(1, sizeof *r);
    r->n = 3;
    r->first_vertex = calloc(4, sizeof *r->first_vertex);
    r->vx = calloc(6, sizeof *r->vx);
    r->vy = calloc(6, sizeof *r->vy);
    r->id = calloc(3, sizeof *r->id);
    r->road_class = calloc(3, 1);
    r->speed_kmh = calloc(3, sizeof *r->speed_kmh);
    r->oneway = calloc(3, 1);
    r->flags = calloc(3, 1);
    r->layer = calloc(3, 1);
    r->node_source = calloc(3, sizeof *r->node_source);
    r->node_target = calloc(3, sizeof *r->node_target);
    r->source = strdup("t");
    for (int i = 0; i < 3; i++) {
        r->first_vertex[i + 1] = (size_t)(2 * i + 2);
        r->vx[2 * i + 1] = 100;
        r->id[i] = 10 + i;
        r->node_source[i] = 100 + i;
        r->node_target[i] = 200 + i;
    }
    int64_t closed = 11;
    size_t removed = 0;
    pl_roads *o = pl_scenario_roads(r, &closed, 1, NULL, &removed);
    assert_int_equal(removed, 1);
    assert_int_equal(o->n, 2);
    assert_non_null(o->node_source);
    assert_true(o->node_source[1] == 102 && o->node_target[1] == 202);
    pl_roads_free(o);
    pl_roads *plain = calloc(1, sizeof *plain);
    *plain = *r;
    plain->node_source = plain->node_target = NULL;
    o = pl_scenario_roads(r, NULL, 0, plain, NULL);
    assert_null(o->node_source);
    assert_int_equal(o->n, 6);
    pl_roads_free(o);
    free(plain);
    pl_roads_free(r);
}

/* A scenario adding roads without topology ids to a network with them: refused (one network,
 * one joining rule). */
static void test_scenario_add_roads_mixed_topology(void **state)
{
    (void)state;
    const char *dir = scratch_dir("scenario_topology");
    const char *crs = "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":"
                      "\"urn:ogc:def:crs:EPSG::3006\"}},\"features\":[";
    char text[2048], path[1024];
    snprintf(text, sizeof text, "%s{\"type\":\"Feature\",\"properties\":{\"id\":\"c1\",\"pop\":10},\"geometry\":"
             "{\"type\":\"Point\",\"coordinates\":[674000,6580010]}}]}", crs);
    write_text_file(dir, "pop.geojson", text);
    snprintf(text, sizeof text, "%s{\"type\":\"Feature\",\"properties\":{\"id\":\"s1\",\"type\":\"supermarket\"},"
             "\"geometry\":{\"type\":\"Point\",\"coordinates\":[674500,6580010]}}]}", crs);
    write_text_file(dir, "svc.geojson", text);
    snprintf(text, sizeof text, "%s{\"type\":\"Feature\",\"properties\":{\"kommunkod\":\"0180\",\"kommunnamn\":"
             "\"Test\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[673000,6579000],[676000,6579000],"
             "[676000,6582000],[673000,6582000],[673000,6579000]]]}}]}", crs);
    write_text_file(dir, "mun.geojson", text);
    snprintf(text, sizeof text,
             "[baseline]\nmunicipalities = mun.geojson\npopulation = pop.geojson\nservices = svc.geojson\n"
             "roads = %s/tests/data/topology/roads.geojson\ntypes = grocery\nmode = walk\n"
             "[scenario Ny väg]\nadd_roads = %s/tests/data/topology/ways.geojson\n",
             PLATSA_SOURCE_DIR, PLATSA_SOURCE_DIR);
    snprintf(path, sizeof path, "%s", write_text_file(dir, "t.ini", text));
    assert_int_equal(run_cmd("%s -q scenario %s -o %s/out.gpkg 2> %s/err.txt", platsa_bin(), path, dir, dir), 1);
    assert_int_equal(run_cmd("grep -qx \"platsa scenario: ways.geojson:ways: has no topology ids (source/target) and "
                             "the network roads.geojson:roads has them; give the added roads ids of the network's "
                             "nodes, or use neither\" %s/err.txt", dir), 0);
    assert_false(file_exists("build/test-tmp/scenario_topology/out.gpkg"));
}

int main(void)
{
    GDALAllRegister();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parser),
        cmocka_unit_test(test_scenario_roads_keep_ids),
        cmocka_unit_test(test_scenario_add_roads_mixed_topology),
        cmocka_unit_test(test_incremental_sodermalm),
        cmocka_unit_test(test_incremental_monaco),
        cmocka_unit_test(test_group_merge),
        cmocka_unit_test(test_cli),
    };
    return cmocka_run_group_tests_name("scenario", tests, NULL, NULL);
}
