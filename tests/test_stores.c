/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Store vulnerability: every figure equals actually removing the store and re-running the
 * access analysis (same doubles), on a hand-made fixture and on the sample data (Södermalm
 * walking, Monaco by car, imported from the shipped OSM extracts as the demo does). */
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

#include "analyses/common/ids.h"
#include "analyses/stores/stores.h"
#include "support/testutil.h"

/* The platsa binary the CLI tests run ($PLATSA_BIN, e.g. the sanitizer build, or build/platsa). */
static const char *platsa_bin(void)
{
    const char *b = getenv("PLATSA_BIN");
    return b && *b ? b : "build/platsa";
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

#define CRS "\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"urn:ogc:def:crs:EPSG::3006\"}}"
#define PT(id, props, x, y) \
    "{\"type\":\"Feature\",\"properties\":{\"id\":\"" id "\"," props "},\"geometry\":{\"type\":\"Point\",\"coordinates\":[" #x "," #y "]}}"
#define LINE(id, props, coords) \
    "{\"type\":\"Feature\",\"properties\":{\"id\":" #id "," props "},\"geometry\":{\"type\":\"LineString\",\"coordinates\":" coords "}}"

/* A 30 km main road (x 500,000..530,000 at y 6,500,000, 72 km/h), a 10 km side road north from
 * x 510,000 (36 km/h) and an island road 20 km south with one store of its own. Stores: A at
 * 502 km, B at 508 km, C on the side road 8 km up, D at 528 km, E on the island, F a fuel
 * station. Population along all roads. */
static const char *fixture_dir(void)
{
    static char dir[512];
    snprintf(dir, sizeof dir, "%s", scratch_dir("stores_fixture"));
    char path[600];
    snprintf(path, sizeof path, "%s/roads.geojson", dir);
    write_file(path, "{\"type\":\"FeatureCollection\"," CRS ",\"features\":["
        LINE(1, "\"highway\":\"primary\",\"maxspeed_kmh\":72,\"oneway\":0", "[[500000,6500000],[510000,6500000]]") ","
        LINE(2, "\"highway\":\"primary\",\"maxspeed_kmh\":72,\"oneway\":0", "[[510000,6500000],[530000,6500000]]") ","
        LINE(3, "\"highway\":\"tertiary\",\"maxspeed_kmh\":36,\"oneway\":0", "[[510000,6500000],[510000,6505000],[510000,6510000]]") ","
        LINE(4, "\"highway\":\"tertiary\",\"maxspeed_kmh\":36,\"oneway\":0", "[[500000,6480000],[506000,6480000]]")
        "]}");
    snprintf(path, sizeof path, "%s/services.geojson", dir);
    write_file(path, "{\"type\":\"FeatureCollection\"," CRS ",\"features\":["
        PT("A", "\"type\":\"supermarket\",\"name\":\"Store A\"", 502000, 6500010) ","
        PT("B", "\"type\":\"convenience\",\"name\":\"Store B\"", 508000, 6500010) ","
        PT("C", "\"type\":\"supermarket\",\"name\":\"Store C\"", 510020, 6508000) ","
        PT("D", "\"type\":\"supermarket\",\"name\":\"Store D\"", 528000, 6500010) ","
        PT("E", "\"type\":\"supermarket\",\"name\":\"Island store\"", 503000, 6480010) ","
        PT("F", "\"type\":\"fuel\",\"name\":\"Fuel\"", 509000, 6500010)
        "]}");
    snprintf(path, sizeof path, "%s/population.geojson", dir);
    char buf[16384];
    size_t used = (size_t)snprintf(buf, sizeof buf, "{\"type\":\"FeatureCollection\",%s,\"features\":[", CRS);
    int n = 0;
    /* Every 1.5 km along the main road, every km up the side road, 4 on the island. */
    for (int x = 500500; x <= 530000; x += 1500, n++)
        used += (size_t)snprintf(buf + used, sizeof buf - used,
                                 "%s{\"type\":\"Feature\",\"properties\":{\"id\":\"m%d\",\"pop\":%d,\"age70\":%d},"
                                 "\"geometry\":{\"type\":\"Point\",\"coordinates\":[%d,6500150]}}",
                                 n ? "," : "", x, 20 + (x / 1500) % 37, 3 + (x / 1500) % 5, x);
    for (int y = 6501000; y <= 6510000; y += 1000, n++)
        used += (size_t)snprintf(buf + used, sizeof buf - used,
                                 ",{\"type\":\"Feature\",\"properties\":{\"id\":\"s%d\",\"pop\":%d,\"age70\":%d},"
                                 "\"geometry\":{\"type\":\"Point\",\"coordinates\":[510100,%d]}}",
                                 y, 10 + (y / 1000) % 13, 2 + (y / 1000) % 4, y);
    for (int x = 500500; x <= 506000; x += 1800, n++)
        used += (size_t)snprintf(buf + used, sizeof buf - used,
                                 ",{\"type\":\"Feature\",\"properties\":{\"id\":\"i%d\",\"pop\":15,\"age70\":6},"
                                 "\"geometry\":{\"type\":\"Point\",\"coordinates\":[%d,6480200]}}",
                                 x, x);
    snprintf(buf + used, sizeof buf - used, "]}");
    snprintf(path, sizeof path, "%s/population.geojson", dir);
    write_file(path, buf);
    snprintf(path, sizeof path, "%s/munis.geojson", dir);
    write_file(path, "{\"type\":\"FeatureCollection\"," CRS ",\"features\":["
        "{\"type\":\"Feature\",\"properties\":{\"KnKod\":\"1801\",\"KnNamn\":\"Väst\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[499000,6470000],[509500,6470000],[509500,6520000],[499000,6520000],[499000,6470000]]]}},"
        "{\"type\":\"Feature\",\"properties\":{\"KnKod\":\"1802\",\"KnNamn\":\"Öst\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[509500,6470000],[531000,6470000],[531000,6520000],[509500,6520000],[509500,6470000]]]}}]}");
    return dir;
}

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

static void load_files(fixture *f, const char *pop_path, const char *age_field, const char *svc_path,
                       const char *roads_path, const char *munis_path, pl_mode mode)
{
    pl_error err = {0};
    f->ctx = pl_ctx_new();
    f->ctx->quiet = 1;
    f->mode = mode;
    f->types = pl_service_types_load(f->ctx, NULL, &err);
    assert_non_null(f->types);
    pl_load_opts lo = {0};
    f->munis = pl_municipalities_load(f->ctx, munis_path, &lo, &err);
    if (!f->munis)
        fail_msg("%s", err.msg);
    pl_load_opts po = {.age_field = age_field};
    f->pop = pl_population_load(f->ctx, pop_path, &po, &err);
    if (!f->pop)
        fail_msg("%s", err.msg);
    f->svc = pl_services_load(f->ctx, svc_path, f->types, &lo, &err);
    if (!f->svc)
        fail_msg("%s", err.msg);
    f->roads = pl_roads_load(f->ctx, roads_path, &lo, &err);
    if (!f->roads)
        fail_msg("%s", err.msg);
    pl_graph_opts go;
    pl_graph_opts_default(&go);
    go.mode = mode;
    f->graph = pl_graph_build(f->ctx, f->roads, &go, &err);
    if (!f->graph)
        fail_msg("%s", err.msg);
}

static void load_fixture(fixture *f)
{
    const char *dir = fixture_dir();
    char p[4][600];
    snprintf(p[0], sizeof p[0], "%s/population.geojson", dir);
    snprintf(p[1], sizeof p[1], "%s/services.geojson", dir);
    snprintf(p[2], sizeof p[2], "%s/roads.geojson", dir);
    snprintf(p[3], sizeof p[3], "%s/munis.geojson", dir);
    load_files(f, p[0], "age70", p[1], p[2], p[3], PL_MODE_CAR);
}

/* Imports an OSM extract once per test program (as sample-data/demo.sh does). */
static const char *imported(const char *name, const char *pbf)
{
    static char path[2][600];
    int slot = strcmp(name, "monaco") == 0;
    snprintf(path[slot], sizeof path[slot], "build/test-tmp/stores_osm/%s-layers.gpkg", name);
    if (!file_exists(path[slot])) {
        assert_int_equal(run_cmd("mkdir -p build/test-tmp/stores_osm"), 0);
        assert_int_equal(run_cmd("%s -q import-osm %s -o %s --overwrite", platsa_bin(), pbf, path[slot]), 0);
    }
    return path[slot];
}

static void load_sodermalm(fixture *f)
{
    const char *layers = imported("sodermalm", "sample-data/sodermalm/stockholm.osm.pbf");
    char svc[700], roads[700];
    snprintf(svc, sizeof svc, "%s:services", layers);
    snprintf(roads, sizeof roads, "%s:roads", layers);
    load_files(f, "sample-data/sodermalm/population.gpkg:population", NULL, svc, roads,
               "sample-data/sodermalm/kommuner.gpkg", PL_MODE_WALK);
}

static void load_monaco(fixture *f)
{
    const char *layers = imported("monaco", "sample-data/monaco/monaco.osm.pbf");
    char svc[700], roads[700];
    snprintf(svc, sizeof svc, "%s:services", layers);
    snprintf(roads, sizeof roads, "%s:roads", layers);
    load_files(f, "sample-data/monaco/population.gpkg:population", NULL, svc, roads, "sample-data/monaco/areas.gpkg",
               PL_MODE_CAR);
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

/* The services without one (arrays copied, strings shared); orig[i] = index in the full set. */
static pl_services *without(const pl_services *s, uint32_t drop, uint32_t *orig)
{
    pl_services *o = calloc(1, sizeof *o);
    o->x = malloc(s->n * sizeof *o->x);
    o->y = malloc(s->n * sizeof *o->y);
    o->type = malloc(s->n * sizeof *o->type);
    o->id = malloc(s->n * sizeof *o->id);
    o->name = malloc(s->n * sizeof *o->name);
    o->raw_type = malloc(s->n * sizeof *o->raw_type);
    for (uint32_t i = 0; i < s->n; i++) {
        if (i == drop)
            continue;
        size_t k = o->n++;
        o->x[k] = s->x[i];
        o->y[k] = s->y[i];
        o->type[k] = s->type[i];
        o->id[k] = s->id[i];
        o->name[k] = s->name[i];
        o->raw_type[k] = s->raw_type ? s->raw_type[i] : NULL;
        orig[k] = i;
    }
    return o;
}

static void free_subset(pl_services *o)
{
    free(o->x);
    free(o->y);
    free(o->type);
    free(o->id);
    free(o->name);
    free(o->raw_type);
    free(o);
}

/* Same label: same service (by index in the full set) and the same doubles. */
static void assert_same_label(const pl_label *got, uint32_t got_service, const pl_label *want, uint32_t want_service,
                              const char *what, const char *cell, const char *store)
{
    if (got_service != want_service || !(got->dist_m == want->dist_m || (isinf(got->dist_m) && isinf(want->dist_m))) ||
        !(got->time_s == want->time_s || (isinf(got->time_s) && isinf(want->time_s))))
        fail_msg("%s, cell %s, store %s removed: re-run gives service %u %.17g m %.17g s, stores predicted %u %.17g m "
                 "%.17g s",
                 what, cell, store, got_service, got->dist_m, got->time_s, want_service, want->dist_m, want->time_s);
}

static void assert_same_double(double got, double want, const char *what, const char *store)
{
    if (!(got == want || (isnan(got) && isnan(want))))
        fail_msg("store %s: %s from the re-run %.17g, stores gave %.17g", store, what, got, want);
}

/* For every store: remove it, re-run pl_access_compute, and check each cell's new nearest
 * and every figure against the one-run figures, exactly. */
static void check_remove_and_rerun(fixture *f, const char *type_key, const pl_doubles *bk, const pl_doubles *bm,
                                   const char *region)
{
    pl_error err = {0};
    int type = pl_service_types_find(f->types, type_key);
    assert_true(type >= 0);
    pl_stores_params p = {.access = {.mode = f->mode, .within_km = 10, .max_snap_m = 1000, .region = region},
                          .type = type, .beyond_km = *bk, .beyond_min = *bm};
    pl_stores_result *R = NULL;
    if (pl_stores_compute(f->ctx, f->pop, f->svc, f->types, f->munis, f->roads, f->graph, &p, &R, &err) != PL_OK)
        fail_msg("%s", err.msg);
    const pl_access_result *A = R->access;
    const pl_access_type *at = &A->types[0];
    assert_true(R->n_stores >= 2);
    uint32_t *orig = malloc(f->svc->n * sizeof *orig);
    long checked_cells = 0;
    for (size_t k = 0; k < R->n_stores; k++) {
        const pl_store_figures *F = &R->stores[k];
        uint32_t s = F->service;
        const char *sid = f->svc->id[s];
        pl_services *sub = without(f->svc, s, orig);
        pl_access_params ap = p.access;
        ap.types = &type;
        ap.n_types = 1;
        pl_access_result *r2 = NULL;
        if (pl_access_compute(f->ctx, f->pop, sub, f->types, f->munis, f->roads, f->graph, &ap, &r2, &err) != PL_OK)
            fail_msg("%s", err.msg);
        const pl_access_type *bt = &r2->types[0];
        assert_int_equal(bt->n_services, at->n_services - 1);
        /* Figures recomputed from the re-run, cell by cell in input order. */
        pl_store_figures G;
        memset(&G, 0, sizeof G);
        for (size_t c = 0; c < A->n_cells; c++) {
            for (int metric = 0; metric < 2; metric++) {
                const pl_label *base = metric ? &at->by_time[c * 2] : &at->by_dist[c * 2];
                const pl_label *re = metric ? &bt->by_time[c * 2] : &bt->by_dist[c * 2];
                uint32_t re_service = re[0].source == UINT32_MAX ? UINT32_MAX : orig[bt->service_index[re[0].source]];
                int mine = base[0].source != UINT32_MAX && at->service_index[base[0].source] == s;
                const pl_label *want = mine ? &base[1] : &base[0];
                uint32_t want_service = want->source == UINT32_MAX ? UINT32_MAX : at->service_index[want->source];
                assert_same_label(&re[0], re_service, want, want_service, metric ? "time" : "distance", f->pop->id[c],
                                  sid);
                if (!mine || !A->cell_in_region[c])
                    continue;
                checked_cells++;
                double w = f->pop->pop[c], wa = f->pop->age_pop ? f->pop->age_pop[c] : 0;
                int alt = re[0].source != UINT32_MAX;
                if (metric == 0) {
                    double now = base[0].dist_m / 1000.0, closed = alt ? re[0].dist_m / 1000.0 : INFINITY;
                    G.pop_dist += w;
                    G.age_dist += wa;
                    G.person_km_now += w * now;
                    if (alt) {
                        G.person_km_closed += w * closed;
                        G.added_person_km += w * (closed - now);
                    } else {
                        G.pop_no_alternative_dist += w;
                    }
                    for (int i = 0; i < bk->n; i++)
                        if (now <= bk->v[i] && (!alt || closed > bk->v[i])) {
                            G.pop_beyond_km[i] += w;
                            G.age_beyond_km[i] += wa;
                        }
                } else {
                    double now = base[0].time_s / 60.0, closed = alt ? re[0].time_s / 60.0 : INFINITY;
                    G.pop_time += w;
                    G.age_time += wa;
                    G.person_min_now += w * now;
                    if (alt) {
                        G.person_min_closed += w * closed;
                        G.added_person_min += w * (closed - now);
                    } else {
                        G.pop_no_alternative_time += w;
                    }
                    for (int i = 0; i < bm->n; i++)
                        if (now <= bm->v[i] && (!alt || closed > bm->v[i])) {
                            G.pop_beyond_min[i] += w;
                            G.age_beyond_min[i] += wa;
                        }
                }
            }
        }
        assert_same_double(G.pop_dist, F->pop_dist, "pop_nearest", sid);
        assert_same_double(G.pop_time, F->pop_time, "pop_nearest_time", sid);
        assert_same_double(G.age_dist, F->age_dist, "age_nearest", sid);
        assert_same_double(G.age_time, F->age_time, "age_nearest_time", sid);
        assert_same_double(G.person_km_closed, F->person_km_closed, "person_km if closed", sid);
        assert_same_double(G.person_min_closed, F->person_min_closed, "person_min if closed", sid);
        assert_same_double(G.added_person_km, F->added_person_km, "added_person_km", sid);
        assert_same_double(G.added_person_min, F->added_person_min, "added_person_min", sid);
        assert_same_double(G.pop_no_alternative_dist, F->pop_no_alternative_dist, "pop_no_alternative", sid);
        assert_same_double(G.pop_no_alternative_time, F->pop_no_alternative_time, "pop_no_alternative_time", sid);
        for (int i = 0; i < bk->n; i++) {
            assert_same_double(G.pop_beyond_km[i], F->pop_beyond_km[i], "pop_beyond_km", sid);
            assert_same_double(G.age_beyond_km[i], F->age_beyond_km[i], "age_beyond_km", sid);
        }
        for (int i = 0; i < bm->n; i++) {
            assert_same_double(G.pop_beyond_min[i], F->pop_beyond_min[i], "pop_beyond_min", sid);
            assert_same_double(G.age_beyond_min[i], F->age_beyond_min[i], "age_beyond_min", sid);
        }
        /* Nearest other store: one-to-many from this store to the others, by distance. */
        pl_snap *others = malloc(at->n_services * sizeof *others);
        uint32_t *other_service = malloc(at->n_services * sizeof *other_service);
        size_t n_others = 0;
        for (uint32_t j = 0; j < at->n_services; j++)
            if (at->service_index[j] != s) {
                other_service[n_others] = at->service_index[j];
                others[n_others++] = A->svc_snap[at->service_index[j]];
            }
        pl_label *lab = malloc((n_others ? n_others : 1) * sizeof *lab);
        assert_int_equal(pl_graph_one_to_many(f->ctx, f->graph, &A->svc_snap[s], others, n_others,
                                              PL_METRIC_DISTANCE, lab, &err), PL_OK);
        double best = INFINITY;
        for (size_t j = 0; j < n_others; j++)
            if (lab[j].dist_m < best)
                best = lab[j].dist_m;
        if (isfinite(best))
            assert_true(fabs(best / 1000.0 - F->nearest_other_km) < 1e-9);
        else
            assert_true(isnan(F->nearest_other_km));
        free(lab);
        free(others);
        free(other_service);
        pl_access_result_free(r2);
        free_subset(sub);
    }
    assert_true(checked_cells > 0);
    /* Ranking: pushed beyond the first minute threshold, then added person-km, then id. */
    for (size_t k = 1; k < R->n_stores; k++) {
        const pl_store_figures *a = &R->stores[k - 1], *b = &R->stores[k];
        assert_int_equal(a->rank, (int)k);
        assert_true(a->pop_beyond_min[0] > b->pop_beyond_min[0] ||
                    (a->pop_beyond_min[0] == b->pop_beyond_min[0] &&
                     (a->added_person_km > b->added_person_km ||
                      (a->added_person_km == b->added_person_km &&
                       pl_id_compare(f->svc->id[a->service], f->svc->id[b->service]) <= 0))));
    }
    free(orig);
    pl_stores_result_free(R);
}

static void test_fixture_remove_and_rerun(void **state)
{
    (void)state;
    fixture f;
    load_fixture(&f);
    pl_doubles bk = {2, {3, 10}}, bm = {2, {5, 12}};
    check_remove_and_rerun(&f, "grocery", &bk, &bm, NULL);
    check_remove_and_rerun(&f, "grocery_full", &bk, &bm, NULL);
    check_remove_and_rerun(&f, "grocery", &bk, &bm, "1802");
    free_fixture(&f);
}

/* Hand-checked figures on the fixture. */
static void test_fixture_figures(void **state)
{
    (void)state;
    fixture f;
    load_fixture(&f);
    pl_error err = {0};
    int type = pl_service_types_find(f.types, "grocery");
    pl_stores_params p = {.access = {.mode = PL_MODE_CAR, .within_km = 10, .max_snap_m = 1000},
                          .type = type, .beyond_km = {1, {10}}, .beyond_min = {1, {12}}};
    pl_stores_result *R = NULL;
    assert_int_equal(pl_stores_compute(f.ctx, f.pop, f.svc, f.types, f.munis, f.roads, f.graph, &p, &R, &err), PL_OK);
    assert_int_equal(R->n_stores, 5);
    const pl_store_figures *E = NULL, *D = NULL;
    for (size_t i = 0; i < R->n_stores; i++) {
        if (!strcmp(f.svc->id[R->stores[i].service], "E"))
            E = &R->stores[i];
        if (!strcmp(f.svc->id[R->stores[i].service], "D"))
            D = &R->stores[i];
    }
    assert_non_null(E);
    assert_non_null(D);
    /* The island store serves 4 x 15 residents who have no other store. */
    assert_true(E->pop_dist == 60.0);
    assert_true(E->pop_no_alternative_dist == 60.0);
    assert_true(E->pop_beyond_km[0] == 60.0);
    assert_true(E->pop_beyond_min[0] == 60.0);
    assert_true(isnan(E->nearest_other_km));
    assert_true(E->added_person_km == 0.0);
    /* D (528 km) is 20 km along the main road from B (508 km): 20 km + both 10 m legs. */
    assert_true(fabs(D->nearest_other_km - 20.02) < 1e-6);
    assert_string_equal(f.svc->id[D->nearest_other], "B");
    assert_true(isnan(E->max_km_closed));
    /* D serves the far east end of the main road: closing it sends 185 residents beyond
     * 12 minutes (the next store, B, is 20 km west), more than the island's 60 (cut off). */
    const char *order[] = {"D", "C", "E", "B", "A"};
    for (int i = 0; i < 5; i++) {
        assert_string_equal(f.svc->id[R->stores[i].service], order[i]);
        assert_int_equal(R->stores[i].rank, i + 1);
    }
    assert_true(D->pop_beyond_min[0] == 185.0);
    assert_true(D->pop_dist == 284.0);
    pl_stores_result_free(R);
    free_fixture(&f);
}

static void test_sodermalm_walk(void **state)
{
    (void)state;
    fixture f;
    load_sodermalm(&f);
    pl_doubles bk = {3, {0.25, 0.5, 1}}, bm = {2, {5, 10}};
    check_remove_and_rerun(&f, "grocery", &bk, &bm, NULL);
    check_remove_and_rerun(&f, "cash", &bk, &bm, NULL);
    free_fixture(&f);
}

static void test_monaco_car(void **state)
{
    (void)state;
    fixture f;
    load_monaco(&f);
    pl_doubles bk = {2, {1, 2}}, bm = {2, {3, 5}};
    check_remove_and_rerun(&f, "grocery", &bk, &bm, NULL);
    check_remove_and_rerun(&f, "pharmacy", &bk, &bm, NULL);
    free_fixture(&f);
}

/* The CLI writes store_priority (points), its table twin with CSV, and store_catchments. */
static void test_cli_output(void **state)
{
    (void)state;
    const char *dir = fixture_dir();
    char out[700];
    snprintf(out, sizeof out, "%s/stores.gpkg", dir);
    assert_int_equal(run_cmd("%s -q stores --population %s/population.geojson --age-field age70 "
                             "--services %s/services.geojson --roads %s/roads.geojson --municipalities "
                             "%s/munis.geojson --beyond-km 5,10 --beyond-min 12 -o %s --csv", platsa_bin(),
                             dir, dir, dir, dir, out), 0);
    assert_true(file_exists(out));
    char csv[700];
    snprintf(csv, sizeof csv, "%s/stores_store_priority_table.csv", dir);
    FILE *fp = fopen(csv, "r");
    assert_non_null(fp);
    char line[4096];
    assert_non_null(fgets(line, sizeof line, fp));
    assert_non_null(strstr(line, "rank,store_id,name"));
    assert_non_null(strstr(line, "pop_beyond_5km,pop_beyond_10km,pop_beyond_12min"));
    assert_non_null(strstr(line, "age_beyond_12min"));
    assert_non_null(fgets(line, sizeof line, fp));
    assert_true(strncmp(line, "1,D,Store D", 11) == 0);
    int rows = 1;
    while (fgets(line, sizeof line, fp))
        rows++;
    fclose(fp);
    assert_int_equal(rows, 5);
    GDALDatasetH ds = GDALOpenEx(out, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH l = GDALDatasetGetLayerByName(ds, "store_priority");
    assert_non_null(l);
    assert_int_equal(OGR_L_GetFeatureCount(l, TRUE), 5);
    assert_non_null(GDALDatasetGetLayerByName(ds, "store_catchments"));
    assert_non_null(GDALDatasetGetLayerByName(ds, "store_priority_table"));
    GDALClose(ds);
    /* --help documents the options from the table. */
    assert_int_equal(run_cmd("%s stores --help | grep -q -- '--beyond-min'", platsa_bin()), 0);
    /* An unknown type is an input error. */
    assert_int_equal(run_cmd("%s -q stores --population %s/population.geojson --services "
                             "%s/services.geojson --roads %s/roads.geojson --municipalities %s/munis.geojson "
                             "--type nosuch -o %s/x.gpkg 2>/dev/null", platsa_bin(),
                             dir, dir, dir, dir, dir), 1);
}

int main(void)
{
    GDALAllRegister();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_figures),
        cmocka_unit_test(test_fixture_remove_and_rerun),
        cmocka_unit_test(test_sodermalm_walk),
        cmocka_unit_test(test_monaco_car),
        cmocka_unit_test(test_cli_output),
    };
    return cmocka_run_group_tests_name("stores", tests, NULL, NULL);
}
