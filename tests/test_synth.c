/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa synth: determinism, real totals, coverage by roads, connectivity, service ratios.
 * Uses the real-data extracts in tests/data (Örebro and Västmanland län, Värmdö; see their
 * PROVENANCE.md). The L size is not run here (see bench/). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <gdal.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyses/synth/synth.h"
#include "gis/ctx.h"
#include "gis/graph.h"
#include "layers/layers.h"
#include "support/testutil.h"

typedef struct fixture {
    pl_ctx *ctx;
    pl_synth_region *s1, *s1b, *s2, *s1_250, *m1;
} fixture;

static pl_synth_region *gen(pl_ctx *ctx, pl_synth_size size, uint64_t seed, int cell_m, const char *region)
{
    pl_synth_params o;
    pl_synth_params_default(&o);
    o.size = size;
    o.seed = seed;
    o.cell_m = cell_m;
    o.region = region;
    o.data_dir = real_data("");
    pl_synth_region *r = NULL;
    pl_error err = {0};
    int rc = pl_synth_generate(ctx, &o, &r, &err);
    if (rc != PL_OK)
        fprintf(stderr, "pl_synth_generate: %s\n", err.msg);
    return r;
}

static int setup(void **state)
{
    GDALAllRegister();
    fixture *f = calloc(1, sizeof *f);
    f->ctx = pl_ctx_new();
    f->ctx->quiet = 1;
    f->s1 = gen(f->ctx, PL_SYNTH_S, 1, 1000, NULL);
    f->s1b = gen(f->ctx, PL_SYNTH_S, 1, 1000, NULL);
    f->s2 = gen(f->ctx, PL_SYNTH_S, 2, 1000, NULL);
    f->s1_250 = gen(f->ctx, PL_SYNTH_S, 1, 250, NULL);
    f->m1 = gen(f->ctx, PL_SYNTH_M, 1, 1000, NULL);
    *state = f;
    return f->s1 && f->s1b && f->s2 && f->s1_250 && f->m1 ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *f = *state;
    pl_synth_region_free(f->s1);
    pl_synth_region_free(f->s1b);
    pl_synth_region_free(f->s2);
    pl_synth_region_free(f->s1_250);
    pl_synth_region_free(f->m1);
    pl_ctx_free(f->ctx);
    free(f);
    return 0;
}

/* ---------- helpers ---------- */
#define SAME_ARRAY(a, b, n) (((a) == NULL && (b) == NULL) || memcmp((a), (b), (n) * sizeof *(a)) == 0)

static int same_region(const pl_synth_region *a, const pl_synth_region *b)
{
    if (a->n_cells != b->n_cells || a->roads.n != b->roads.n || a->n_services != b->n_services ||
        a->n_nodes != b->n_nodes || a->n_islands != b->n_islands || a->n_localities != b->n_localities)
        return 0;
    const pl_roads *x = &a->roads, *y = &b->roads;
    size_t nv = x->first_vertex[x->n];
    if (nv != y->first_vertex[y->n])
        return 0;
    if (!SAME_ARRAY(a->cell_x, b->cell_x, a->n_cells) || !SAME_ARRAY(a->cell_y, b->cell_y, a->n_cells) ||
        !SAME_ARRAY(a->cell_pop, b->cell_pop, a->n_cells) || !SAME_ARRAY(a->sq_sub, b->sq_sub, 16 * a->n_squares))
        return 0;
    if (!SAME_ARRAY(x->first_vertex, y->first_vertex, x->n + 1) || !SAME_ARRAY(x->vx, y->vx, nv) ||
        !SAME_ARRAY(x->vy, y->vy, nv) || !SAME_ARRAY(x->road_class, y->road_class, x->n) ||
        !SAME_ARRAY(x->speed_kmh, y->speed_kmh, x->n) || !SAME_ARRAY(x->oneway, y->oneway, x->n) ||
        !SAME_ARRAY(x->flags, y->flags, x->n) || !SAME_ARRAY(x->layer, y->layer, x->n) ||
        !SAME_ARRAY(x->id, y->id, x->n) || !SAME_ARRAY(a->road_node_a, b->road_node_a, x->n) ||
        !SAME_ARRAY(a->road_node_b, b->road_node_b, x->n))
        return 0;
    if (!SAME_ARRAY(a->svc_x, b->svc_x, a->n_services) || !SAME_ARRAY(a->svc_y, b->svc_y, a->n_services) ||
        !SAME_ARRAY(a->svc_type, b->svc_type, a->n_services) || !SAME_ARRAY(a->loc_node, b->loc_node, a->n_localities))
        return 0;
    for (size_t i = 0; i < a->n_services; i++)
        if (strcmp(a->svc_id[i], b->svc_id[i]) || strcmp(a->svc_name[i], b->svc_name[i]))
            return 0;
    return 1;
}

/* Independent reading of the SCB CSV: residents and squares of a kommun (4 digits) or län (2). */
static void scb_total(const char *code, long long *pop, long *squares)
{
    FILE *fp = fopen(real_data("scb-population-grid-1km-2024/scb_befolkning_1km_2024_sverige.csv"), "r");
    assert_non_null(fp);
    char line[1024];
    *pop = 0;
    *squares = 0;
    size_t clen = strlen(code);
    assert_non_null(fgets(line, sizeof line, fp)); /* header */
    while (fgets(line, sizeof line, fp)) {
        char *field[8];
        int n = 0;
        for (char *p = strtok(line, ",\n"); p && n < 8; p = strtok(NULL, ",\n"))
            field[n++] = p;
        if (n < 5)
            continue;
        char *kn = field[4];
        if (*kn == '"')
            kn++;
        if (strncmp(kn, code, clen) == 0) {
            *pop += atoll(field[3]);
            (*squares)++;
        }
    }
    fclose(fp);
}

static long osm_pharmacies(const char *kn_prefix)
{
    GDALDatasetH ds = GDALOpenEx(real_data("osm-sweden-health-facilities-hotosm-2020/hotosm_swe_health_facilities_2020.gpkg"),
                                 GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    assert_non_null(ds);
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT COUNT(*) FROM health_facilities WHERE amenity = 'pharmacy' AND substr(kn_kod, 1, %d) = '%s'",
             (int)strlen(kn_prefix), kn_prefix);
    OGRLayerH l = GDALDatasetExecuteSQL(ds, sql, NULL, "SQLITE");
    assert_non_null(l);
    OGRFeatureH f = OGR_L_GetNextFeature(l);
    long n = (long)OGR_F_GetFieldAsInteger64(f, 0);
    OGR_F_Destroy(f);
    GDALDatasetReleaseResultSet(ds, l);
    GDALClose(ds);
    return n;
}

/* Largest distance from a cell centre to the nearest road vertex (bucketed search). */
static double worst_cell_distance(const pl_synth_region *r)
{
    const pl_roads *R = &r->roads;
    size_t nv = R->first_vertex[R->n];
    double minx = INFINITY, miny = INFINITY, maxx = -INFINITY, maxy = -INFINITY;
    for (size_t i = 0; i < nv; i++) {
        minx = fmin(minx, R->vx[i]);
        miny = fmin(miny, R->vy[i]);
        maxx = fmax(maxx, R->vx[i]);
        maxy = fmax(maxy, R->vy[i]);
    }
    const double cell = 250.0;
    long nx = (long)((maxx - minx) / cell) + 1, ny = (long)((maxy - miny) / cell) + 1;
    size_t *start = calloc((size_t)(nx * ny + 1), sizeof *start);
    size_t *items = malloc(nv * sizeof *items);
    for (size_t i = 0; i < nv; i++)
        start[(long)((R->vy[i] - miny) / cell) * nx + (long)((R->vx[i] - minx) / cell) + 1]++;
    for (long c = 0; c < nx * ny; c++)
        start[c + 1] += start[c];
    size_t *fill = malloc((size_t)(nx * ny + 1) * sizeof *fill);
    memcpy(fill, start, (size_t)(nx * ny + 1) * sizeof *fill);
    for (size_t i = 0; i < nv; i++)
        items[fill[(long)((R->vy[i] - miny) / cell) * nx + (long)((R->vx[i] - minx) / cell)]++] = i;
    double worst = 0;
    for (size_t c = 0; c < r->n_cells; c++) {
        double x = r->cell_x[c] + r->cell_m / 2.0, y = r->cell_y[c] + r->cell_m / 2.0, best = INFINITY;
        long cx = (long)floor((x - minx) / cell), cy = (long)floor((y - miny) / cell);
        for (long i = cx - 3; i <= cx + 3; i++)
            for (long j = cy - 3; j <= cy + 3; j++) {
                if (i < 0 || j < 0 || i >= nx || j >= ny)
                    continue;
                for (size_t k = start[j * nx + i]; k < start[j * nx + i + 1]; k++)
                    best = fmin(best, hypot(R->vx[items[k]] - x, R->vy[items[k]] - y));
            }
        worst = fmax(worst, best);
    }
    free(start);
    free(items);
    free(fill);
    return worst;
}

static size_t count_type(const pl_synth_region *r, int type)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_services; i++)
        n += r->svc_type[i] == type;
    return n;
}

static uint32_t find(uint32_t *p, uint32_t a)
{
    while (p[a] != a)
        a = p[a] = p[p[a]];
    return a;
}

/* ---------- tests ---------- */
static void test_same_seed_same_arrays(void **state)
{
    fixture *f = *state;
    assert_true(same_region(f->s1, f->s1b));
}

static void test_other_seed_differs(void **state)
{
    fixture *f = *state;
    assert_false(same_region(f->s1, f->s2));
    /* the real 1 km population does not depend on the seed; the roads do */
    assert_int_equal(f->s1->n_cells, f->s2->n_cells);
    assert_memory_equal(f->s1->cell_pop, f->s2->cell_pop, f->s1->n_cells * sizeof *f->s1->cell_pop);
    assert_true(f->s1->roads.n != f->s2->roads.n ||
                memcmp(f->s1->roads.vx, f->s2->roads.vx, f->s1->roads.n * sizeof(double)) != 0);
}

static void test_population_equals_scb(void **state)
{
    fixture *f = *state;
    long long pop;
    long squares;
    scb_total("1880", &pop, &squares);
    assert_int_equal(pop, 159688);  /* PROVENANCE: Örebro kommun */
    assert_int_equal(f->s1->total_pop, pop);
    assert_int_equal(f->s1->n_squares, squares);
    assert_int_equal(f->s1->n_cells, squares);
    scb_total("18", &pop, &squares);
    assert_int_equal(pop, 307723);  /* PROVENANCE: Örebro län */
    assert_int_equal(f->m1->total_pop, pop);
    assert_int_equal(f->m1->n_squares, squares);
    long long sum = 0;
    for (size_t i = 0; i < f->m1->n_cells; i++)
        sum += f->m1->cell_pop[i];
    assert_int_equal(sum, pop);
    assert_int_equal(f->m1->n_munis, 12);
    assert_int_equal(f->m1->n_lans, 1);
    assert_int_equal(f->s1->n_munis, 1);
    assert_string_equal(f->s1->muni_code[0], "1880");
}

static void test_250m_split_sums_exactly(void **state)
{
    fixture *f = *state;
    const pl_synth_region *r = f->s1_250;
    assert_int_equal(r->cell_m, 250);
    assert_int_equal(r->total_pop, f->s1->total_pop);
    long long *per_square = calloc(r->n_squares, sizeof *per_square);
    for (size_t c = 0; c < r->n_cells; c++) {
        int32_t q = r->cell_square[c];
        assert_true(r->cell_pop[c] > 0);
        assert_true(r->cell_x[c] >= r->sq_x[q] && r->cell_x[c] < r->sq_x[q] + 1000);
        assert_true(r->cell_y[c] >= r->sq_y[q] && r->cell_y[c] < r->sq_y[q] + 1000);
        assert_int_equal(r->cell_x[c] % 250, 0);
        assert_int_equal(r->cell_y[c] % 250, 0);
        per_square[q] += r->cell_pop[c];
    }
    for (size_t q = 0; q < r->n_squares; q++)
        assert_int_equal(per_square[q], r->sq_pop[q]);
    free(per_square);
    /* between 1 and 16 cells per square, more than one on average */
    assert_true(r->n_cells > r->n_squares * 3 && r->n_cells <= r->n_squares * 16);
    /* the road network does not depend on the cell size written */
    assert_int_equal(r->roads.n, f->s1->roads.n);
    assert_memory_equal(r->roads.vx, f->s1->roads.vx, r->roads.first_vertex[r->roads.n] * sizeof(double));
    assert_int_equal(r->n_services, f->s1->n_services);
    char id[16];
    pl_synth_cell_id(673250, 6582750, id);
    assert_string_equal(id, "6732506582750");
}

static void test_every_cell_near_a_road(void **state)
{
    fixture *f = *state;
    assert_true(worst_cell_distance(f->s1) <= PL_SYNTH_MAX_ROAD_DIST_1KM);
    assert_true(worst_cell_distance(f->m1) <= PL_SYNTH_MAX_ROAD_DIST_1KM);
    assert_true(worst_cell_distance(f->s1_250) <= PL_SYNTH_MAX_ROAD_DIST_250M);
}

/* The road graph is one component plus, at most, one per island left without a link;
 * those are the small ones (under 50 residents). */
static void check_connected(const pl_synth_region *r)
{
    uint32_t *p = malloc(r->n_nodes * sizeof *p);
    for (uint32_t v = 0; v < r->n_nodes; v++)
        p[v] = v;
    for (size_t i = 0; i < r->roads.n; i++) {
        uint32_t a = find(p, r->road_node_a[i]), b = find(p, r->road_node_b[i]);
        if (a != b)
            p[a < b ? b : a] = a < b ? a : b;
    }
    size_t comps = 0;
    for (uint32_t v = 0; v < r->n_nodes; v++)
        comps += find(p, v) == v;
    free(p);
    size_t unlinked = 0;
    for (size_t i = 0; i < r->n_islands; i++)
        if (r->islands[i].link == PL_SYNTH_LINK_NONE) {
            unlinked++;
            assert_true(r->islands[i].pop < 50);
        }
    assert_int_equal(comps, r->stats.n_components);
    assert_true(comps >= 1 && comps - 1 <= unlinked);
    if (unlinked == 0)
        assert_int_equal(comps, 1);
}

static void test_network_connected_except_islands(void **state)
{
    fixture *f = *state;
    check_connected(f->s1);
    assert_int_equal(f->s1->stats.n_components, 1);
    check_connected(f->m1);
    /* an archipelago kommun: bridges, ferries, and small islands left unlinked */
    pl_synth_region *v = gen(f->ctx, PL_SYNTH_S, 1, 1000, "0120");
    assert_non_null(v);
    check_connected(v);
    assert_true(v->stats.n_ferries >= 1);
    assert_true(v->stats.n_bridges >= 1);
    size_t ferry = 0, none = 0;
    for (size_t i = 0; i < v->n_islands; i++) {
        ferry += v->islands[i].link == PL_SYNTH_LINK_FERRY;
        none += v->islands[i].link == PL_SYNTH_LINK_NONE;
    }
    assert_true(ferry >= 1);
    assert_true(none >= 1);
    assert_true(v->stats.n_components == 1 + none || v->stats.n_components <= 1 + none);
    size_t ferries = 0;
    for (size_t i = 0; i < v->roads.n; i++)
        if (v->roads.road_class[i] == PL_ROAD_FERRY) {
            ferries++;
            assert_true(v->roads.flags[i] & PL_ROAD_IS_FERRY);
            assert_true(v->roads.speed_kmh[i] == 15 || v->roads.speed_kmh[i] == 40);
        }
    assert_int_equal(ferries, v->stats.n_ferries);
    pl_synth_region_free(v);
}

static void test_network_shape(void **state)
{
    fixture *f = *state;
    const pl_synth_region *r = f->s1;
    const pl_roads *R = &r->roads;
    assert_true(r->stats.mean_degree >= 2.3 && r->stats.mean_degree <= 3.2);
    /* polylines, not straight segments */
    assert_true((double)R->first_vertex[R->n] / (double)R->n > 2.2);
    size_t by_class[PL_ROAD_N_CLASSES] = {0}, oneway = 0;
    for (size_t i = 0; i < R->n; i++) {
        by_class[R->road_class[i]]++;
        assert_true(r->road_node_a[i] != r->road_node_b[i]);
        assert_true(R->first_vertex[i + 1] - R->first_vertex[i] >= 2);
        assert_true(R->speed_kmh[i] >= 15 && R->speed_kmh[i] <= 110);
        if (R->oneway[i]) {
            oneway++;
            assert_true(r->road_is_link[i]);
        }
        /* consecutive lines share their junctions exactly */
        size_t a = R->first_vertex[i];
        assert_true(isfinite(R->vx[a]) && isfinite(R->vy[a]));
    }
    assert_true(oneway >= 2);   /* motorway ramps at Örebro */
    assert_true(by_class[PL_ROAD_MOTORWAY] > 0);
    assert_true(by_class[PL_ROAD_RESIDENTIAL] > 0);
    assert_true(by_class[PL_ROAD_TERTIARY] > 0);
    assert_true(by_class[PL_ROAD_UNCLASSIFIED] > 0);
    assert_true(by_class[PL_ROAD_SECONDARY] > 0);
    /* junction ids agree with coordinates: every occurrence of a node id has one position */
    double *nx = malloc(r->n_nodes * sizeof *nx), *ny = malloc(r->n_nodes * sizeof *ny);
    for (size_t v = 0; v < r->n_nodes; v++)
        nx[v] = NAN;
    for (size_t i = 0; i < R->n; i++) {
        size_t ends[2] = {R->first_vertex[i], R->first_vertex[i + 1] - 1};
        uint32_t ids[2] = {r->road_node_a[i], r->road_node_b[i]};
        for (int k = 0; k < 2; k++) {
            if (isnan(nx[ids[k]])) {
                nx[ids[k]] = R->vx[ends[k]];
                ny[ids[k]] = R->vy[ends[k]];
            }
            assert_true(nx[ids[k]] == R->vx[ends[k]] && ny[ids[k]] == R->vy[ends[k]]);
        }
    }
    free(nx);
    free(ny);
    /* every locality in the region has a road node */
    for (size_t i = 0; i < r->n_localities; i++)
        assert_true(r->loc_node[i] >= 0 && (size_t)r->loc_node[i] < r->n_nodes);
}

static void check_services(const pl_synth_region *r, const char *prefix)
{
    double P = (double)r->total_pop;
    size_t grocery = count_type(r, PL_SYNTH_GROCERY_FULL) + count_type(r, PL_SYNTH_GROCERY_PARTIAL);
    assert_int_equal(grocery, llround(P / PL_SYNTH_PEOPLE_PER_GROCERY));
    assert_true(count_type(r, PL_SYNTH_GROCERY_FULL) > 0 && count_type(r, PL_SYNTH_GROCERY_PARTIAL) > 0);
    assert_int_equal(count_type(r, PL_SYNTH_FUEL), llround(P / PL_SYNTH_PEOPLE_PER_FUEL));
    assert_int_equal(count_type(r, PL_SYNTH_PARCEL_POST), llround(P / PL_SYNTH_PEOPLE_PER_PARCEL_POST));
    assert_int_equal(count_type(r, PL_SYNTH_PARCEL_LOCKER), llround(P / PL_SYNTH_PEOPLE_PER_PARCEL_LOCKER));
    assert_int_equal(count_type(r, PL_SYNTH_CASH), llround(P / PL_SYNTH_PEOPLE_PER_CASH));
    assert_int_equal(count_type(r, PL_SYNTH_PHARMACY), osm_pharmacies(prefix));
    for (size_t i = 0; i < r->n_services; i++) {
        if (r->svc_synthetic[i]) {
            assert_true(strncmp(r->svc_name[i], "SYNTH ", 6) == 0);
            assert_true(strncmp(r->svc_id[i], "synth-", 6) == 0);
            assert_true(r->svc_type[i] != PL_SYNTH_PHARMACY);
        } else {
            assert_int_equal(r->svc_type[i], PL_SYNTH_PHARMACY);
            assert_true(strncmp(r->svc_id[i], "osm:", 4) == 0);
        }
        assert_true(r->svc_muni[i] >= 0 && (size_t)r->svc_muni[i] < r->n_munis);
        for (size_t j = i + 1; j < r->n_services && j < i + 50; j++)
            assert_true(strcmp(r->svc_id[i], r->svc_id[j]) != 0);
    }
    assert_string_equal(pl_synth_type_key(PL_SYNTH_GROCERY_FULL), "grocery_full");
    assert_string_equal(pl_synth_type_key(PL_SYNTH_PARCEL_POST), "parcel_post");
}

static void test_service_counts_follow_ratios(void **state)
{
    fixture *f = *state;
    check_services(f->s1, "1880");
    check_services(f->m1, "18");
    /* every kommun of the län gets a grocery store */
    for (size_t m = 0; m < f->m1->n_munis; m++) {
        size_t n = 0;
        for (size_t i = 0; i < f->m1->n_services; i++)
            n += f->m1->svc_muni[i] == (int16_t)m && (f->m1->svc_type[i] == PL_SYNTH_GROCERY_FULL ||
                                                      f->m1->svc_type[i] == PL_SYNTH_GROCERY_PARTIAL);
        assert_true(n >= 1);
    }
}

static void test_options(void **state)
{
    (void)state;
    pl_synth_size s;
    assert_int_equal(pl_synth_size_from_name("m", &s), PL_OK);
    assert_int_equal(s, PL_SYNTH_M);
    assert_int_equal(pl_synth_size_from_name("XL", &s), PL_EINPUT);
    pl_synth_opts c = {"L", "42", "x.gpkg", "250m", NULL, NULL, NULL, 1000, 0};
    pl_synth_params o;
    pl_error err = {0};
    assert_int_equal(pl_synth_params_from_opts(&c, &o, &err), PL_OK);
    assert_int_equal(o.size, PL_SYNTH_L);
    assert_int_equal(o.seed, 42);
    assert_int_equal(o.cell_m, 250);
    c.seed = "-1";
    assert_int_equal(pl_synth_params_from_opts(&c, &o, &err), PL_EINPUT);
    c.seed = "7";
    c.cells = "500m";
    assert_int_equal(pl_synth_params_from_opts(&c, &o, &err), PL_EINPUT);
    assert_non_null(strstr(err.msg, "--cells"));
}

static void test_bad_region_is_refused(void **state)
{
    fixture *f = *state;
    pl_synth_params o;
    pl_synth_params_default(&o);
    o.size = PL_SYNTH_M;
    o.region = "99";
    o.data_dir = real_data("");
    pl_synth_region *r = NULL;
    pl_error err = {0};
    assert_int_equal(pl_synth_generate(f->ctx, &o, &r, &err), PL_EINPUT);
    assert_null(r);
    assert_non_null(strstr(err.msg, "99"));
    o.size = PL_SYNTH_S;
    o.region = "18";
    assert_int_equal(pl_synth_generate(f->ctx, &o, &r, &err), PL_EINPUT);
    o.region = NULL;
    o.data_dir = "/nonexistent";
    assert_int_equal(pl_synth_generate(f->ctx, &o, &r, &err), PL_EINPUT);
    assert_non_null(strstr(err.msg, "not found"));
}

/* The kommuner and län come through the municipalities loader (layers/); a file without the
 * code field is refused with synth's own hint (synth has no --code-field). */
static void test_admin_file_without_code_refused(void **state)
{
    fixture *f = *state;
    const char *dir = scratch_dir("synth/admin_no_code");
    assert_int_equal(run_cmd("mkdir -p %s/scb-admin-boundaries && cp %s %s/scb-admin-boundaries/ && "
                             "sqlite3 %s/scb-admin-boundaries/sweden_admin_scb_sweref99tm.gpkg "
                             "'ALTER TABLE kommuner RENAME COLUMN KnKod TO Kod2'",
                             dir, real_data("scb-admin-boundaries/sweden_admin_scb_sweref99tm.gpkg"), dir, dir),
                     0);
    pl_synth_params o;
    pl_synth_params_default(&o);
    o.size = PL_SYNTH_S;
    o.region = "1880";
    o.data_dir = dir;
    pl_synth_region *r = NULL;
    pl_error err = {0};
    assert_int_equal(pl_synth_generate(f->ctx, &o, &r, &err), PL_EINPUT);
    assert_null(r);
    assert_non_null(strstr(err.msg, "kommuner: field 'KnKod' not found"));
    assert_non_null(strstr(err.msg, "shared real-data folder"));
    assert_null(strstr(err.msg, "--code-field"));
}

static long long layer_count(GDALDatasetH ds, const char *name)
{
    OGRLayerH l = GDALDatasetGetLayerByName(ds, name);
    assert_non_null(l);
    return (long long)OGR_L_GetFeatureCount(l, 1);
}

static char *sql_text(GDALDatasetH ds, const char *sql)
{
    OGRLayerH l = GDALDatasetExecuteSQL(ds, sql, NULL, NULL);
    assert_non_null(l);
    OGRFeatureH f = OGR_L_GetNextFeature(l);
    assert_non_null(f);
    char *v = strdup(OGR_F_GetFieldAsString(f, 0));
    OGR_F_Destroy(f);
    GDALDatasetReleaseResultSet(ds, l);
    return v;
}

static void test_file_same_seed_same_bytes(void **state)
{
    fixture *f = *state;
    char dir[4096], a[4200], b[4200], c[4200];
    snprintf(dir, sizeof dir, "%s", scratch_dir("synth_bytes"));
    snprintf(a, sizeof a, "%s/a.gpkg", dir);
    snprintf(b, sizeof b, "%s/b.gpkg", dir);
    snprintf(c, sizeof c, "%s/c.gpkg", dir);
    pl_synth_write_opts wo = {0, "platsa synth --size S", NULL};
    pl_error err = {0};
    assert_int_equal(pl_synth_write(f->ctx, f->s1, a, &wo, &err), PL_OK);
    assert_int_equal(pl_synth_write(f->ctx, f->s1b, b, &wo, &err), PL_OK);
    assert_int_equal(pl_synth_write(f->ctx, f->s2, c, &wo, &err), PL_OK);
    assert_int_equal(run_cmd("cmp -s '%s' '%s'", a, b), 0);
    assert_int_not_equal(run_cmd("cmp -s '%s' '%s'", a, c), 0);
    /* an existing output is kept unless overwrite is asked */
    assert_int_equal(pl_synth_write(f->ctx, f->s1, a, &wo, &err), PL_EINPUT);
    wo.overwrite = 1;
    assert_int_equal(pl_synth_write(f->ctx, f->s1, a, &wo, &err), PL_OK);
    assert_int_equal(run_cmd("cmp -s '%s' '%s'", a, b), 0);
}

static void test_file_layers_say_real_or_synthetic(void **state)
{
    fixture *f = *state;
    char path[4200];
    snprintf(path, sizeof path, "%s/s250.gpkg", scratch_dir("synth_layers"));
    pl_synth_write_opts wo = {0, NULL, NULL};
    pl_error err = {0};
    const pl_synth_region *r = f->s1_250;
    assert_int_equal(pl_synth_write(f->ctx, r, path, &wo, &err), PL_OK);
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    assert_non_null(ds);
    assert_int_equal(layer_count(ds, "population"), r->n_cells);
    assert_int_equal(layer_count(ds, "municipalities"), r->n_munis);
    assert_int_equal(layer_count(ds, "lan"), r->n_lans);
    assert_int_equal(layer_count(ds, "localities"), r->n_localities);
    assert_int_equal(layer_count(ds, "roads"), r->roads.n);
    assert_int_equal(layer_count(ds, "services"), r->n_services);
    static const struct {
        const char *layer, *prefix;
    } titles[] = {{"population", "SYNTHETIC 250 m split of REAL"}, {"municipalities", "REAL "}, {"lan", "REAL "},
                  {"localities", "REAL "}, {"roads", "SYNTHETIC roads"}, {"services", "SYNTHETIC services"}};
    for (size_t i = 0; i < sizeof titles / sizeof titles[0]; i++) {
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT identifier FROM gpkg_contents WHERE table_name = '%s'", titles[i].layer);
        char *t = sql_text(ds, sql);
        assert_true(strncmp(t, titles[i].prefix, strlen(titles[i].prefix)) == 0);
        assert_non_null(strstr(t, "seed 1"));
        free(t);
    }
    char *meta = sql_text(ds, "SELECT group_concat(metadata) FROM gpkg_metadata");
    assert_non_null(strstr(meta, "synth.synthetic"));
    assert_non_null(strstr(meta, "roads: all (generated)"));
    assert_non_null(strstr(meta, "synth.real"));
    free(meta);
    /* the roads layer has the fields the roads loader reads */
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(GDALDatasetGetLayerByName(ds, "roads"));
    const char *fields[] = {"highway", "maxspeed_kmh", "oneway", "bridge", "tunnel", "layer", "car", "bike", "foot",
                            "length_m"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        assert_true(OGR_FD_GetFieldIndex(defn, fields[i]) >= 0);
    char *ramps = sql_text(ds, "SELECT count(*) FROM roads WHERE highway LIKE '%_link' AND oneway = 1");
    assert_true(atoi(ramps) >= 2);
    free(ramps);
    char *pop = sql_text(ds, "SELECT sum(pop) FROM population");
    assert_int_equal(atoll(pop), r->total_pop);
    free(pop);
    char *types = sql_text(ds, "SELECT count(DISTINCT type) FROM services");
    assert_int_equal(atoi(types), PL_SYNTH_N_TYPES);
    free(types);
    GDALClose(ds);
}

static void test_cli_says_what_is_synthetic(void **state)
{
    (void)state;
    const char *bin = getenv("PLATSA_BIN") && *getenv("PLATSA_BIN") ? getenv("PLATSA_BIN") : "build/platsa";
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", scratch_dir("synth_cli"));
    assert_int_equal(run_cmd("%s -q synth --size S --seed 5 --data %s -o '%s/x.gpkg' > '%s/out.txt'", bin, real_data(""), dir, dir), 0);
    assert_int_equal(run_cmd("grep -q 'roads and all services except pharmacies are SYNTHETIC' '%s/out.txt'", dir), 0);
    assert_int_equal(run_cmd("grep -q 'peak memory' '%s/out.txt'", dir), 0);
    assert_int_equal(run_cmd("%s -q synth --size S --data %s -o '%s/x.gpkg' 2> '%s/err.txt'", bin, real_data(""), dir, dir), 1);
    assert_int_equal(run_cmd("grep -q 'exists' '%s/err.txt'", dir), 0);
    assert_int_equal(run_cmd("%s -q synth --size Q -o '%s/y.gpkg' 2>/dev/null", bin, dir), 1);
}

/* The written roads load back through the roads loader into the same arrays. */
static void test_roads_file_loads_back_the_same(void **state)
{
    fixture *f = *state;
    char path[4200], spec[4300];
    snprintf(path, sizeof path, "%s/s.gpkg", scratch_dir("synth_roads_load"));
    pl_synth_write_opts wo = {0, NULL, NULL};
    pl_error err = {0};
    const pl_synth_region *r = f->s1;
    assert_int_equal(pl_synth_write(f->ctx, r, path, &wo, &err), PL_OK);
    snprintf(spec, sizeof spec, "%s:roads", path);
    pl_load_opts lo;
    memset(&lo, 0, sizeof lo);
    pl_roads *back = pl_roads_load(f->ctx, spec, &lo, &err);
    if (!back)
        fprintf(stderr, "%s\n", err.msg);
    assert_non_null(back);
    const pl_roads *R = &r->roads;
    assert_int_equal(back->n, R->n);
    assert_memory_equal(back->first_vertex, R->first_vertex, (R->n + 1) * sizeof *R->first_vertex);
    assert_memory_equal(back->vx, R->vx, R->first_vertex[R->n] * sizeof *R->vx);
    assert_memory_equal(back->vy, R->vy, R->first_vertex[R->n] * sizeof *R->vy);
    assert_memory_equal(back->road_class, R->road_class, R->n);
    assert_memory_equal(back->speed_kmh, R->speed_kmh, R->n * sizeof *R->speed_kmh);
    assert_memory_equal(back->oneway, R->oneway, R->n);
    assert_memory_equal(back->layer, R->layer, R->n);
    assert_memory_equal(back->id, R->id, R->n * sizeof *R->id);
    for (size_t i = 0; i < R->n; i++)
        assert_int_equal(back->flags[i] & 0x7f, R->flags[i] & 0x7f);
    pl_roads_free(back);
}

/* The routing engine sees the same network: one component by car, as many nodes. */
static void test_graph_of_the_roads(void **state)
{
    fixture *f = *state;
    pl_graph_opts go;
    pl_graph_opts_default(&go);
    go.mode = PL_MODE_CAR;
    pl_error err = {0};
    pl_graph *g = pl_graph_build(f->ctx, &f->m1->roads, &go, &err);
    if (!g)
        fprintf(stderr, "%s\n", err.msg);
    assert_non_null(g);
    assert_int_equal(g->n_nodes, f->m1->n_nodes);
    assert_int_equal(g->n_components, f->m1->stats.n_components);
    pl_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seed_same_arrays),
        cmocka_unit_test(test_other_seed_differs),
        cmocka_unit_test(test_population_equals_scb),
        cmocka_unit_test(test_250m_split_sums_exactly),
        cmocka_unit_test(test_every_cell_near_a_road),
        cmocka_unit_test(test_network_connected_except_islands),
        cmocka_unit_test(test_network_shape),
        cmocka_unit_test(test_service_counts_follow_ratios),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_bad_region_is_refused),
        cmocka_unit_test(test_admin_file_without_code_refused),
        cmocka_unit_test(test_file_same_seed_same_bytes),
        cmocka_unit_test(test_file_layers_say_real_or_synthetic),
        cmocka_unit_test(test_cli_says_what_is_synthetic),
        cmocka_unit_test(test_roads_file_loads_back_the_same),
        cmocka_unit_test(test_graph_of_the_roads),
    };
    return cmocka_run_group_tests_name("synth", tests, setup, teardown);
}
