/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Coverage and new hubs: exact maximal covering equals brute force (all subsets) on random
 * instances, greedy reaches at least (1 - 1/e) of the optimum and equals the plain greedy,
 * set covering equals brute force, merged instances keep values, coverage sets equal the
 * graph search with the candidate as the only source, clusters, and the CLI outputs. */
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

#include "analyses/coverage/coverage.h"
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

/* A random instance: candidates cover random subsets of rows (with overlaps), weights
 * like populations (some tiny, some large). */
static void random_instance(pl_cover_instance *I, uint32_t n_cand, uint32_t n_rows, double density)
{
    memset(I, 0, sizeof *I);
    I->n_cand = n_cand;
    I->n_rows = n_rows;
    I->weight = malloc(n_rows * sizeof *I->weight);
    for (uint32_t i = 0; i < n_rows; i++)
        I->weight[i] = floor(1 + 200 * uniform() * uniform());
    I->begin = malloc((n_cand + 1) * sizeof *I->begin);
    I->rows = malloc((size_t)n_cand * n_rows * sizeof *I->rows);
    I->begin[0] = 0;
    for (uint32_t j = 0; j < n_cand; j++) {
        uint64_t k = I->begin[j];
        /* A cluster of nearby rows plus a few random ones. */
        uint32_t centre = (uint32_t)(uniform() * n_rows);
        for (uint32_t i = 0; i < n_rows; i++) {
            uint32_t d = i > centre ? i - centre : centre - i;
            if ((d < 4 && uniform() < 0.8) || uniform() < density)
                I->rows[k++] = i;
        }
        I->begin[j + 1] = k;
    }
}

/* Best value over all subsets of at most n_pick columns. */
static double brute_mclp(const pl_cover_instance *I, uint32_t n_pick)
{
    double best = 0;
    uint32_t cols[32];
    for (uint64_t mask = 0; mask < (1ULL << I->n_cand); mask++) {
        if ((uint32_t)__builtin_popcountll(mask) > n_pick)
            continue;
        uint32_t n = 0;
        for (uint32_t j = 0; j < I->n_cand; j++)
            if (mask >> j & 1)
                cols[n++] = j;
        double v = pl_cover_value(I, cols, n);
        if (v > best)
            best = v;
    }
    return best;
}

/* Fewest columns reaching need; -1 if none. */
static int brute_setcover(const pl_cover_instance *I, double need)
{
    int best = -1;
    uint32_t cols[32];
    for (uint64_t mask = 0; mask < (1ULL << I->n_cand); mask++) {
        int n = __builtin_popcountll(mask);
        if (best >= 0 && n >= best)
            continue;
        uint32_t k = 0;
        for (uint32_t j = 0; j < I->n_cand; j++)
            if (mask >> j & 1)
                cols[k++] = j;
        if (pl_cover_value(I, cols, k) >= need)
            best = n;
    }
    return best;
}

/* Plain (non-lazy) greedy: largest marginal gain, lowest index on ties. */
static void plain_greedy(const pl_cover_instance *I, uint32_t n_pick, uint32_t *chosen, uint32_t *n_chosen)
{
    uint8_t *cov = calloc(I->n_rows, 1);
    *n_chosen = 0;
    for (uint32_t k = 0; k < n_pick; k++) {
        double bg = 0;
        uint32_t bj = UINT32_MAX;
        for (uint32_t j = 0; j < I->n_cand; j++) {
            double g = 0;
            for (uint64_t e = I->begin[j]; e < I->begin[j + 1]; e++)
                if (!cov[I->rows[e]])
                    g += I->weight[I->rows[e]];
            if (g > bg) {
                bg = g;
                bj = j;
            }
        }
        if (bj == UINT32_MAX)
            break;
        chosen[(*n_chosen)++] = bj;
        for (uint64_t e = I->begin[bj]; e < I->begin[bj + 1]; e++)
            cov[I->rows[e]] = 1;
    }
    free(cov);
}

static void test_mclp_exact_equals_brute_force(void **state)
{
    (void)state;
    rng_state = 20240601;
    int instances = 0, greedy_below_opt = 0;
    double worst_ratio = 1;
    for (int it = 0; it < 60; it++) {
        uint32_t nc = 6 + (uint32_t)(uniform() * 9);    /* 6..14 candidates */
        uint32_t nr = 15 + (uint32_t)(uniform() * 50);  /* 15..64 rows */
        pl_cover_instance I;
        random_instance(&I, nc, nr, 0.05 + 0.1 * uniform());
        for (uint32_t n_pick = 1; n_pick <= 4; n_pick++) {
            double opt = brute_mclp(&I, n_pick);
            pl_cover_solution g, x;
            pl_error err = {0};
            pl_mclp_greedy(&I, n_pick, &g);
            assert_int_equal(pl_mclp_exact(&I, n_pick, &g, 30, &x, &err), PL_OK);
            assert_int_equal(x.status, PL_COVER_OPTIMAL);
            assert_true(x.n <= n_pick);
            if (fabs(x.value - opt) > 1e-9 * opt)
                fail_msg("instance %d, N=%u: CBC %.17g, brute force %.17g", it, n_pick, x.value, opt);
            assert_true(fabs(x.bound - x.value) <= 1e-9 * (opt + 1));
            /* Greedy: the 1 - 1/e guarantee, never above the optimum, the same as plain greedy. */
            assert_true(g.value >= (1 - exp(-1)) * opt - 1e-9);
            assert_true(g.value <= opt + 1e-9);
            if (g.value < opt - 1e-9)
                greedy_below_opt++;
            if (opt > 0 && g.value / opt < worst_ratio)
                worst_ratio = g.value / opt;
            uint32_t pc[8], pn;
            plain_greedy(&I, n_pick, pc, &pn);
            assert_int_equal(pn, g.n);
            for (uint32_t k = 0; k < pn; k++)
                assert_int_equal(pc[k], g.chosen[k]);
            /* Bounds really bound the optimum. */
            double ob = pl_mclp_online_bound(&I, n_pick, &g);
            assert_true(ob >= opt - 1e-9);
            double lp = pl_mclp_lp_bound(&I, n_pick, 30);
            assert_true(lp >= opt - 1e-6);
            /* Marginals add up and the exact solution's ranking is by marginal gain. */
            double sum = 0;
            for (uint32_t k = 0; k < x.n; k++) {
                sum += x.marginal[k];
                if (k)
                    assert_true(x.marginal[k] <= x.marginal[k - 1]);
            }
            assert_true(fabs(sum - x.value) <= 1e-9 * (opt + 1));
            pl_cover_solution_free(&g);
            pl_cover_solution_free(&x);
            instances++;
        }
        pl_cover_instance_free(&I);
    }
    assert_int_equal(instances, 240);
    /* The instances are not trivial: greedy misses the optimum on some of them. */
    assert_true(greedy_below_opt > 0);
    print_message("MCLP: %d instances, greedy below optimum on %d, worst greedy/optimum %.4f\n", instances,
                  greedy_below_opt, worst_ratio);
}

static void test_setcover_exact_equals_brute_force(void **state)
{
    (void)state;
    rng_state = 777;
    int greedy_more = 0;
    for (int it = 0; it < 40; it++) {
        uint32_t nc = 6 + (uint32_t)(uniform() * 8);
        uint32_t nr = 15 + (uint32_t)(uniform() * 40);
        pl_cover_instance I;
        random_instance(&I, nc, nr, 0.08);
        double all = 0;
        for (uint32_t i = 0; i < nr; i++)
            all += I.weight[i];
        uint32_t *every = malloc(nc * sizeof *every);
        for (uint32_t j = 0; j < nc; j++)
            every[j] = j;
        double reachable = pl_cover_value(&I, every, nc);
        free(every);
        double shares[] = {0.5, 0.8, 0.95, 1.01};
        for (int k = 0; k < 4; k++) {
            double need = shares[k] * reachable;
            int want = brute_setcover(&I, need - 1e-9 * (need + 1));
            pl_cover_solution g, x;
            pl_error err = {0};
            pl_setcover_greedy(&I, need, &g);
            assert_int_equal(pl_setcover_exact(&I, need, &g, 30, &x, &err), PL_OK);
            if (want < 0) {
                assert_int_equal(x.status, PL_COVER_INFEASIBLE);
                assert_int_equal(g.status, PL_COVER_INFEASIBLE);
            } else {
                assert_int_equal(x.status, PL_COVER_OPTIMAL);
                assert_int_equal((int)x.n, want);
                assert_true(x.bound == want);
                assert_true(pl_setcover_lower_bound(&I, need) <= want);
                assert_true(x.value >= need - 1e-9 * (need + 1));
                assert_true((int)g.n >= want);
                assert_true(g.value >= need - 1e-9 * (need + 1));
                greedy_more += (int)g.n > want;
            }
            pl_cover_solution_free(&g);
            pl_cover_solution_free(&x);
        }
        (void)all;
        pl_cover_instance_free(&I);
    }
    print_message("set covering: greedy used more hubs than the optimum on %d cases\n", greedy_more);
}

/* A solve stopped by the time limit: status TIME_LIMIT, the answer at least the greedy
 * (the warm start), and a bound on the correct side of the optimum CBC proves without the
 * limit: MCLP value <= optimum <= bound, set covering bound <= optimum <= hubs. */
static void test_time_limit_bound(void **state)
{
    (void)state;
    /* Hard enough that CBC's root does not prove it, small enough to prove in seconds. */
    rng_state = 1;
    pl_cover_instance I;
    random_instance(&I, 100, 800, 0.02);
    pl_error err = {0};
    pl_cover_solution g, t, x;
    pl_mclp_greedy(&I, 8, &g);
    assert_int_equal(pl_mclp_exact(&I, 8, &g, 1e-4, &t, &err), PL_OK);
    assert_int_equal(t.status, PL_COVER_TIME_LIMIT);
    assert_true(t.value >= g.value - 1e-9);
    assert_int_equal(pl_mclp_exact(&I, 8, &g, 120, &x, &err), PL_OK);
    assert_int_equal(x.status, PL_COVER_OPTIMAL);
    assert_true(t.value <= x.value + 1e-6);
    if (isfinite(t.bound))
        assert_true(t.bound >= x.value - 1e-6);
    assert_true(pl_mclp_online_bound(&I, 8, &g) >= x.value - 1e-6);
    print_message("MCLP: greedy %.0f, at 0.1 ms %.0f (bound %.1f), optimum %.0f (%.2f s)\n", g.value, t.value,
                  t.bound, x.value, x.seconds);
    pl_cover_solution_free(&g);
    pl_cover_solution_free(&t);
    pl_cover_solution_free(&x);

    double all = 0;
    for (uint32_t i = 0; i < I.n_rows; i++)
        all += I.weight[i];
    double need = 0.5 * all;
    pl_setcover_greedy(&I, need, &g);
    assert_int_equal(g.status, PL_COVER_HEURISTIC);
    assert_int_equal(pl_setcover_exact(&I, need, &g, 1e-4, &t, &err), PL_OK);
    assert_int_equal(t.status, PL_COVER_TIME_LIMIT);
    assert_true(t.n <= g.n && t.value >= need - 1e-9 * need);
    assert_int_equal(pl_setcover_exact(&I, need, &g, 120, &x, &err), PL_OK);
    assert_int_equal(x.status, PL_COVER_OPTIMAL);
    assert_true(isfinite(t.bound) && t.bound >= 1);
    assert_true(t.bound <= x.n && x.n <= t.n);
    assert_true(x.bound == x.n);
    print_message("set covering: greedy %u, at 0.1 ms %u (bound %.0f), optimum %u (%.2f s)\n", g.n, t.n, t.bound, x.n,
                  x.seconds);
    pl_cover_solution_free(&g);
    pl_cover_solution_free(&t);
    pl_cover_solution_free(&x);
    pl_cover_instance_free(&I);
}

/* An instance beyond CBC's int indices is refused before anything is allocated or read (the
 * row lists here are never touched): --method exact stops with this message, auto warns and
 * keeps the greedy. */
static void test_too_large_for_cbc(void **state)
{
    (void)state;
    double w = 1;
    uint64_t begin[2] = {0, 3000000000ULL};
    pl_cover_instance I = {.n_cand = 1, .n_rows = 1, .weight = &w, .begin = begin, .rows = NULL};
    pl_cover_solution x;
    pl_error err = {0};
    assert_int_equal(pl_mclp_exact(&I, 1, NULL, 1, &x, &err), PL_EINPUT);
    assert_non_null(strstr(err.msg, "too large for CBC"));
    assert_non_null(strstr(err.msg, "--method greedy"));
    pl_error_clear(&err);
    assert_int_equal(pl_setcover_exact(&I, 0.5, NULL, 1, &x, &err), PL_EINPUT);
    assert_non_null(strstr(err.msg, "too large for CBC"));
}

/* Field k (0-based) of a CSV line (RFC 4180 quotes), into buf. */
static const char *csv_field(const char *line, int k, char *buf, size_t size)
{
    size_t n = 0;
    int f = 0, q = 0;
    for (const char *c = line; *c && *c != '\n' && *c != '\r'; c++) {
        if (q) {
            if (*c == '"' && c[1] == '"')
                c++;
            else if (*c == '"') {
                q = 0;
                continue;
            }
        } else if (*c == '"') {
            q = 1;
            continue;
        } else if (*c == ',') {
            f++;
            continue;
        }
        if (f == k && n + 1 < size)
            buf[n++] = *c;
    }
    buf[n] = '\0';
    return buf;
}

/* coverage_summary rows of a run (max covering, then set covering) as their CSV lines. */
static void summary_rows(const char *csv, char *mclp, char *sc, size_t size)
{
    FILE *f = fopen(csv, "r");
    assert_non_null(f);
    char head[2048];
    assert_non_null(fgets(head, sizeof head, f));
    assert_non_null(strstr(head, "problem,hubs_asked,target_share,method_used,exact_status,hubs,new_pop,bound,"
                                 "bound_kind,gap_pct,greedy_hubs,greedy_pop,greedy_gap_pct,"));
    assert_non_null(fgets(mclp, (int)size, f));
    assert_non_null(fgets(sc, (int)size, f));
    fclose(f);
}

static double fnum(const char *line, int k)
{
    char b[256];
    csv_field(line, k, b, sizeof b);
    assert_true(b[0] != '\0');
    return strtod(b, NULL);
}

/* On a real-size instance (synth S: Örebro kommun from sample-data, road-node candidates):
 * with a 0.1 ms limit the summary gives the time limit, a bound and the gap to it; with 60 s
 * CBC proves both problems (gap 0), and the proven optima lie within the limited run's
 * bounds. */
static void test_cli_time_limit(void **state)
{
    (void)state;
    const char *dir = scratch_dir("coverage_limit");
    assert_int_equal(run_cmd("%s -q synth --size S --data sample-data/orebro -o %s/s.gpkg --overwrite", platsa_bin(),
                             dir), 0);
    char rows[2][2][2048];
    const char *limits[2] = {"0.0001", "60"};
    for (int r = 0; r < 2; r++) {
        assert_int_equal(run_cmd("%s -q coverage --population %s/s.gpkg:population --hubs %s/s.gpkg:services --types "
                                 "pharmacy --roads %s/s.gpkg:roads --municipalities %s/s.gpkg:municipalities --km 2 "
                                 "--add 6 --target-share 0.9 --candidates roads --candidate-spacing 500 --time-limit %s "
                                 "--csv --overwrite -o %s/c%d.gpkg", platsa_bin(), dir, dir, dir, dir, limits[r], dir, r),
                         0);
        char p[700];
        snprintf(p, sizeof p, "%s/c%d_coverage_summary.csv", dir, r);
        summary_rows(p, rows[r][0], rows[r][1], sizeof rows[r][0]);
    }
    char b[256];
    for (int k = 0; k < 2; k++) {
        const char *lim = rows[0][k], *full = rows[1][k];
        /* Limited: not proven, a bound and its gap (> 0, and as defined from the columns). */
        assert_string_equal(csv_field(lim, 4, b, sizeof b), "time limit (not proven optimal)");
        assert_string_equal(csv_field(lim, 8, b, sizeof b), "CBC branch and bound");
        double hubs = fnum(lim, 5), pop = fnum(lim, 6), bound = fnum(lim, 7), gap = fnum(lim, 9);
        assert_true(gap > 0);
        double want = k == 0 ? 100 * (bound - pop) / bound : 100 * (hubs - bound) / bound;
        assert_true(fabs(gap - want) < 1e-3);
        /* Proven: bound = answer, gap 0. */
        assert_string_equal(csv_field(full, 3, b, sizeof b), "exact (CBC)");
        assert_string_equal(csv_field(full, 4, b, sizeof b), "optimal");
        assert_string_equal(csv_field(full, 8, b, sizeof b), "optimum (CBC)");
        assert_true(fnum(full, 9) == 0);
        if (k == 0) {
            assert_true(fnum(full, 7) == fnum(full, 6));
            assert_true(pop <= fnum(full, 6) && fnum(full, 6) <= bound);
        } else {
            assert_true(fnum(full, 7) == fnum(full, 5));
            assert_true(bound <= fnum(full, 5) && fnum(full, 5) <= hubs);
        }
        print_message("%s: limited %g hubs, %g residents, bound %g, gap %g %%; proven %g hubs, %g residents\n",
                      k ? "set covering" : "max covering", hubs, pop, bound, gap, fnum(full, 5), fnum(full, 6));
    }
}

/* Merging identical rows and columns keeps every selection's value. */
static void test_instance_merging(void **state)
{
    (void)state;
    /* 5 candidates over 8 cells: cells 0, 1, 2 are covered by candidates {0, 1} and cells 3, 4
     * by {2} (each group merges into one row), candidates 0 and 1 are identical (one column),
     * candidate 4 covers nothing, cell 7 has no people. */
    const uint64_t begin[] = {0, 3, 6, 9, 12, 12};
    const uint32_t cells[] = {0, 1, 2, 0, 1, 2, 3, 4, 5, 5, 6, 7};
    const double w[] = {10, 5, 7, 1, 2, 4, 8, 0};
    pl_cover_instance I;
    uint32_t row[8], col[5], *rep = NULL;
    pl_cover_instance_build(5, begin, cells, w, 8, &I, row, col, &rep);
    assert_int_equal(I.n_cand, 3);
    assert_int_equal(col[0], 0);
    assert_int_equal(col[1], 0);
    assert_int_equal(col[2], 1);
    assert_int_equal(col[3], 2);
    assert_int_equal(col[4], UINT32_MAX);
    assert_int_equal(rep[0], 0);
    assert_int_equal(rep[2], 3);
    assert_int_equal(row[0], row[1]);
    assert_int_equal(row[0], row[2]);
    assert_int_equal(row[3], row[4]);
    assert_int_equal(row[7], UINT32_MAX);
    assert_int_equal(I.n_rows, 4);  /* cells {0,1,2}, {3,4}, {5}, {6} */
    assert_true(I.weight[row[0]] == 22);
    assert_true(I.weight[row[3]] == 3);
    uint32_t all[3] = {0, 1, 2};
    assert_true(pl_cover_value(&I, all, 3) == 10 + 5 + 7 + 1 + 2 + 4 + 8);
    uint32_t one[1] = {2};
    assert_true(pl_cover_value(&I, one, 1) == 4 + 8);
    free(rep);
    pl_cover_instance_free(&I);
}

static void test_clusters(void **state)
{
    (void)state;
    /* Two chains 1 km apart inside, 5 km between them, and a lone point. */
    const double x[] = {0, 1000, 2000, 7000, 8000, 20000, 1000};
    const double y[] = {0, 0, 0, 0, 0, 0, 1000};
    uint32_t cl[7];
    assert_int_equal(pl_cluster_points(x, y, 7, 1500, cl), 3);
    assert_int_equal(cl[0], cl[1]);
    assert_int_equal(cl[1], cl[2]);
    assert_int_equal(cl[6], cl[0]);
    assert_int_equal(cl[3], cl[4]);
    assert_true(cl[3] != cl[0] && cl[5] != cl[0] && cl[5] != cl[3]);
    assert_int_equal(pl_cluster_points(x, y, 7, 900, cl), 7);
}

/* Coverage sets equal pl_graph_nearest_k with the candidate as the only source and the
 * threshold as the cutoff, on Monaco (car, by time and by distance). */
static void test_coverage_sets_match_search(void **state)
{
    (void)state;
    const char *layers = "build/test-tmp/coverage_osm/monaco-layers.gpkg";
    if (!file_exists(layers)) {
        assert_int_equal(run_cmd("mkdir -p build/test-tmp/coverage_osm"), 0);
        assert_int_equal(run_cmd("%s -q import-osm sample-data/monaco/monaco.osm.pbf -o %s", platsa_bin(), layers), 0);
    }
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};
    pl_load_opts lo = {0};
    pl_population *pop = pl_population_load(ctx, "sample-data/monaco/population.gpkg:population", &lo, &err);
    assert_non_null(pop);
    char spec[600];
    snprintf(spec, sizeof spec, "%s:roads", layers);
    pl_roads *roads = pl_roads_load(ctx, spec, &lo, &err);
    assert_non_null(roads);
    pl_graph_opts go;
    pl_graph_opts_default(&go);
    pl_graph *g = pl_graph_build(ctx, roads, &go, &err);
    assert_non_null(g);
    pl_snap_opts so;
    pl_snap_opts_default(&so);
    pl_snap *cs = malloc(pop->n * sizeof *cs);
    assert_int_equal(pl_graph_snap(ctx, g, roads, pop->x, pop->y, pop->n, &so, cs, &err), PL_OK);
    /* "Uncovered" cells: every third one. Candidates: graph nodes every 200 m plus the
     * services snapped as points (on edges, with access legs). */
    size_t nu = 0;
    uint32_t *cells = malloc(pop->n * sizeof *cells);
    for (size_t c = 0; c < pop->n; c += 3)
        cells[nu++] = (uint32_t)c;
    pl_candidates *cand = pl_candidates_from_graph(g, 200);
    snprintf(spec, sizeof spec, "%s:services", layers);
    pl_points *pts = pl_points_load(ctx, spec, "candidates", &lo, &err);
    assert_non_null(pts);
    size_t n0 = cand->n, n1 = n0 + pts->n;
    cand->x = realloc(cand->x, n1 * sizeof *cand->x);
    cand->y = realloc(cand->y, n1 * sizeof *cand->y);
    cand->id = realloc(cand->id, n1 * sizeof *cand->id);
    cand->name = realloc(cand->name, n1 * sizeof *cand->name);
    cand->snap = realloc(cand->snap, n1 * sizeof *cand->snap);
    for (size_t i = 0; i < pts->n; i++) {
        cand->x[n0 + i] = pts->x[i];
        cand->y[n0 + i] = pts->y[i];
        cand->id[n0 + i] = strdup(pts->id[i]);
        cand->name[n0 + i] = strdup("");
    }
    assert_int_equal(pl_graph_snap(ctx, g, roads, pts->x, pts->y, pts->n, &so, cand->snap + n0, &err), PL_OK);
    cand->n = n1;
    pl_snap *targets = malloc(nu * sizeof *targets);
    for (size_t i = 0; i < nu; i++)
        targets[i] = cs[cells[i]];
    pl_label *lab = malloc(nu * sizeof *lab);
    long total_members = 0;
    for (int metric = 0; metric < 2; metric++) {
        for (int threads = 1; threads <= 2; threads++) {
            pl_coverage_params p = {.metric = metric ? PL_METRIC_TIME : PL_METRIC_DISTANCE,
                                    .threshold = metric ? 90.0 : 700.0, .threads = threads};
            uint64_t *begin = NULL;
            uint32_t *members = NULL;
            assert_int_equal(pl_coverage_sets(ctx, g, cs, cells, nu, cand, &p, &begin, &members, &err), PL_OK);
            for (size_t j = 0; j < cand->n; j += (threads == 1 ? 1 : 7)) {
                pl_search_opts sopt = {.metric = p.metric, .k = 1, .cutoff = p.threshold};
                assert_int_equal(pl_graph_nearest_k(ctx, g, &cand->snap[j], 1, targets, nu, &sopt, lab, &err), PL_OK);
                uint64_t e = begin[j];
                for (size_t i = 0; i < nu; i++) {
                    double v = metric ? lab[i].time_s : lab[i].dist_m;
                    int want = lab[i].source == 0 && v <= p.threshold;
                    int got = e < begin[j + 1] && members[e] == cells[i];
                    if (want != got)
                        fail_msg("metric %d, candidate %s, cell %s: search %s (%.17g), coverage set %s", metric,
                                 cand->id[j], pop->id[cells[i]], want ? "covers" : "does not cover", v,
                                 got ? "has it" : "lacks it");
                    e += got;
                }
                assert_true(e == begin[j + 1]);
                total_members += (long)(begin[j + 1] - begin[j]);
            }
            free(begin);
            free(members);
        }
    }
    assert_true(total_members > 1000);
    free(lab);
    free(targets);
    pl_points_free(pts);
    pl_candidates_free(cand);
    free(cells);
    free(cs);
    pl_graph_free(g);
    pl_roads_free(roads);
    pl_population_free(ctx, pop);
    pl_ctx_free(ctx);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

#define CRS "\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"urn:ogc:def:crs:EPSG::3006\"}}"

/* CLI on a hand-checkable fixture: a 40 km road with one hub at 5 km; villages at 0, 20, 30
 * and 38 km; candidates at every 5 km. Threshold 6 km: the village at 0 km is covered; two
 * new hubs cover the other 95 residents (greedy: 25 km covers 20 and 30, then 35 or 40 km). */
static void test_cli(void **state)
{
    (void)state;
    const char *dir = scratch_dir("coverage_cli");
    char p[600];
    snprintf(p, sizeof p, "%s/roads.geojson", dir);
    write_file(p, "{\"type\":\"FeatureCollection\"," CRS ",\"features\":[{\"type\":\"Feature\",\"properties\":{\"id\":1,"
                  "\"highway\":\"primary\",\"maxspeed_kmh\":60},\"geometry\":{\"type\":\"LineString\",\"coordinates\":"
                  "[[500000,6500000],[520000,6500000],[540000,6500000]]}}]}");
    snprintf(p, sizeof p, "%s/hubs.geojson", dir);
    write_file(p, "{\"type\":\"FeatureCollection\"," CRS ",\"features\":[{\"type\":\"Feature\",\"properties\":{\"id\":\"H1\","
                  "\"type\":\"supermarket\"},\"geometry\":{\"type\":\"Point\",\"coordinates\":[505000,6500000]}}]}");
    snprintf(p, sizeof p, "%s/pop.geojson", dir);
    write_file(p, "{\"type\":\"FeatureCollection\"," CRS ",\"features\":["
                  "{\"type\":\"Feature\",\"properties\":{\"id\":\"v0\",\"pop\":100},\"geometry\":{\"type\":\"Point\",\"coordinates\":[500000,6500000]}},"
                  "{\"type\":\"Feature\",\"properties\":{\"id\":\"v20\",\"pop\":40},\"geometry\":{\"type\":\"Point\",\"coordinates\":[520000,6500000]}},"
                  "{\"type\":\"Feature\",\"properties\":{\"id\":\"v30\",\"pop\":30},\"geometry\":{\"type\":\"Point\",\"coordinates\":[530000,6500000]}},"
                  "{\"type\":\"Feature\",\"properties\":{\"id\":\"v38\",\"pop\":25},\"geometry\":{\"type\":\"Point\",\"coordinates\":[538000,6500000]}}]}");
    snprintf(p, sizeof p, "%s/cand.geojson", dir);
    char buf[8192];
    size_t used = (size_t)snprintf(buf, sizeof buf, "{\"type\":\"FeatureCollection\"," CRS ",\"features\":[");
    for (int k = 0; k <= 8; k++)
        used += (size_t)snprintf(buf + used, sizeof buf - used,
                                 "%s{\"type\":\"Feature\",\"properties\":{\"id\":\"c%d\"},\"geometry\":{\"type\":\"Point\","
                                 "\"coordinates\":[%d,6500000]}}",
                                 k ? "," : "", 5 * k, 500000 + 5000 * k);
    snprintf(buf + used, sizeof buf - used, "]}");
    write_file(p, buf);
    snprintf(p, sizeof p, "%s/munis.geojson", dir);
    write_file(p, "{\"type\":\"FeatureCollection\"," CRS ",\"features\":[{\"type\":\"Feature\",\"properties\":{\"KnKod\":"
                  "\"1814\",\"KnNamn\":\"Lekeberg\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[499000,6499000],"
                  "[541000,6499000],[541000,6501000],[499000,6501000],[499000,6499000]]]}}]}");
    assert_int_equal(run_cmd("%s -q coverage --population %s/pop.geojson --hubs %s/hubs.geojson --roads "
                             "%s/roads.geojson --municipalities %s/munis.geojson --km 6 --add 2 --candidates "
                             "%s/cand.geojson --target-share 1 --csv -o %s/out.gpkg", platsa_bin(),
                             dir, dir, dir, dir, dir, dir), 0);
    snprintf(p, sizeof p, "%s/out_coverage_municipalities_table.csv", dir);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    char line[2048];
    assert_non_null(fgets(line, sizeof line, f));
    assert_non_null(fgets(line, sizeof line, f));
    /* kommun,namn,pop,hubs,pop_covered,pop_uncovered,share_covered,age_uncovered,new_hubs,pop_covered_by_new,... */
    assert_non_null(strstr(line, "1814,Lekeberg,195,1,100,95,0.5128,,2,95,1"));
    fclose(f);
    snprintf(p, sizeof p, "%s/out_coverage_summary.csv", dir);
    f = fopen(p, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    assert_non_null(fgets(line, sizeof line, f));
    /* problem,hubs_asked,target_share,method_used,exact_status,hubs,new_pop,bound,bound_kind,gap_pct,
     * greedy_hubs,greedy_pop,greedy_gap_pct,exact_hubs,exact_pop,...: proven, so bound = answer, gap 0. */
    assert_non_null(strstr(line, "max_covering,2,,exact (CBC),optimal,2,95,95,optimum (CBC),0,2,95,0,2,95,"));
    assert_non_null(fgets(line, sizeof line, f));
    assert_non_null(strstr(line, "set_covering,,1,exact (CBC),optimal,2,95,2,optimum (CBC),0,2,95,0,2,95,"));
    fclose(f);
    /* The same run with --csv-style sv: both twins read back equal to these. */
    assert_int_equal(run_cmd("%s -q coverage --population %s/pop.geojson --hubs %s/hubs.geojson --roads "
                             "%s/roads.geojson --municipalities %s/munis.geojson --km 6 --add 2 --candidates "
                             "%s/cand.geojson --target-share 1 --csv --csv-style sv -o %s/sv.gpkg", platsa_bin(),
                             dir, dir, dir, dir, dir, dir), 0);
    const char *tables[] = {"coverage_municipalities_table", "coverage_summary"};
    for (int t = 0; t < 2; t++) {
        char a[700], b[700], g[700];
        snprintf(a, sizeof a, "%s/out_%s.csv", dir, tables[t]);
        snprintf(b, sizeof b, "%s/sv_%s.csv", dir, tables[t]);
        snprintf(g, sizeof g, "%s/sv.gpkg", dir);
        assert_true(assert_csv_sv_matches(a, b, g, tables[t]) > 10);
    }
    snprintf(p, sizeof p, "%s/out.gpkg", dir);
    GDALDatasetH ds = GDALOpenEx(p, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH l = GDALDatasetGetLayerByName(ds, "new_hubs");
    assert_non_null(l);
    assert_int_equal(OGR_L_GetFeatureCount(l, TRUE), 2);
    OGR_L_ResetReading(l);
    OGRFeatureH ft = OGR_L_GetNextFeature(l);
    double first = OGR_F_GetFieldAsDouble(ft, OGR_F_GetFieldIndex(ft, "pop_added"));
    OGR_F_Destroy(ft);
    ft = OGR_L_GetNextFeature(l);
    assert_true(OGR_F_GetFieldAsDouble(ft, OGR_F_GetFieldIndex(ft, "pop_added")) <= first);
    assert_true(OGR_F_GetFieldAsDouble(ft, OGR_F_GetFieldIndex(ft, "pop_added_cum")) == 95);
    assert_true(OGR_F_GetFieldAsDouble(ft, OGR_F_GetFieldIndex(ft, "share_covered_cum")) == 1);
    OGR_F_Destroy(ft);
    l = GDALDatasetGetLayerByName(ds, "uncovered_clusters");
    assert_non_null(l);
    assert_int_equal(OGR_L_GetFeatureCount(l, TRUE), 3);  /* 20, 30 and 38 km: > 1.5 km apart */
    assert_non_null(GDALDatasetGetLayerByName(ds, "coverage_cells"));
    GDALClose(ds);
    /* Threshold errors. */
    assert_int_equal(run_cmd("%s -q coverage --population %s/pop.geojson --hubs %s/hubs.geojson --roads "
                             "%s/roads.geojson --municipalities %s/munis.geojson -o %s/x.gpkg 2>/dev/null", platsa_bin(),
                             dir, dir, dir, dir, dir), 1);
}

int main(void)
{
    GDALAllRegister();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mclp_exact_equals_brute_force),
        cmocka_unit_test(test_setcover_exact_equals_brute_force),
        cmocka_unit_test(test_time_limit_bound),
        cmocka_unit_test(test_cli_time_limit),
        cmocka_unit_test(test_too_large_for_cbc),
        cmocka_unit_test(test_instance_merging),
        cmocka_unit_test(test_clusters),
        cmocka_unit_test(test_coverage_sets_match_search),
        cmocka_unit_test(test_cli),
    };
    return cmocka_run_group_tests_name("coverage", tests, NULL, NULL);
}
