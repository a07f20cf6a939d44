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

#include <gdal.h>

#include "../analyses/scenario.h"
#include "support/testutil.h"

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
        assert_int_equal(run_cmd("build/platsa -q import-osm %s -o %s --overwrite", pbf, path[slot]), 0);
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
        hp.x[k] = f->pop->x[c] + 200 * (uniform() - 0.5);
        hp.y[k] = f->pop->y[c] + 200 * (uniform() - 0.5);
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
    const char *types[] = {"grocery", "fuel", "pharmacy", "cash"};
    check_dataset("monaco", PL_MODE_CAR, types, 4, 20);
}

int main(void)
{
    GDALAllRegister();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_incremental_sodermalm),
        cmocka_unit_test(test_incremental_monaco),
    };
    return cmocka_run_group_tests_name("scenario", tests, NULL, NULL);
}
