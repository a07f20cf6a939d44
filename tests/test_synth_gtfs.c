/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa synth --gtfs: the SYNTHETIC timetable loads cleanly through the GTFS loader, is a pure
 * function of the seed (counts and bytes), its stops lie on the synthetic roads, and a transit
 * access run on synth S with it works end to end. Uses the real-data extracts in tests/data
 * (Örebro kommun; see their PROVENANCE.md). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <gdal.h>
#include <cpl_vsi.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyses/synth/synth.h"
#include "analyses/synth/synth_gtfs.h"
#include "gis/ctx.h"
#include "layers/gtfs.h"
#include "support/testutil.h"

#define DATE "2025-01-14"   /* a Tuesday within the feed's calendar */

typedef struct fixture {
    pl_ctx *ctx;
    pl_synth_region *s1, *s1b, *s2;
    char dir[4096], a[4200], b[4200], c[4200];
    pl_synth_gtfs_stats sa, sb, sc;
} fixture;

static pl_synth_region *gen(pl_ctx *ctx, uint64_t seed)
{
    pl_synth_params o;
    pl_synth_params_default(&o);
    o.size = PL_SYNTH_S;
    o.seed = seed;
    o.data_dir = real_data("");
    pl_synth_region *r = NULL;
    pl_error err = {0};
    if (pl_synth_generate(ctx, &o, &r, &err) != PL_OK)
        fprintf(stderr, "pl_synth_generate: %s\n", err.msg);
    return r;
}

static int setup(void **state)
{
    GDALAllRegister();
    fixture *f = calloc(1, sizeof *f);
    f->ctx = pl_ctx_new();
    f->ctx->quiet = 1;
    f->s1 = gen(f->ctx, 1);
    f->s1b = gen(f->ctx, 1);
    f->s2 = gen(f->ctx, 2);
    *state = f;
    if (!f->s1 || !f->s1b || !f->s2)
        return -1;
    snprintf(f->dir, sizeof f->dir, "%s", scratch_dir("synth_gtfs"));
    snprintf(f->a, sizeof f->a, "%s/a.zip", f->dir);
    snprintf(f->b, sizeof f->b, "%s/b.zip", f->dir);
    snprintf(f->c, sizeof f->c, "%s/c.zip", f->dir);
    pl_error err = {0};
    if (pl_synth_write_gtfs(f->ctx, f->s1, f->a, PL_SYNTH_GTFS_RURAL_SPACING_M, &f->sa, &err) != PL_OK ||
        pl_synth_write_gtfs(f->ctx, f->s1b, f->b, PL_SYNTH_GTFS_RURAL_SPACING_M, &f->sb, &err) != PL_OK ||
        pl_synth_write_gtfs(f->ctx, f->s2, f->c, PL_SYNTH_GTFS_RURAL_SPACING_M, &f->sc, &err) != PL_OK) {
        fprintf(stderr, "pl_synth_write_gtfs: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    pl_synth_region_free(f->s1);
    pl_synth_region_free(f->s1b);
    pl_synth_region_free(f->s2);
    pl_ctx_free(f->ctx);
    free(f);
    return 0;
}

static pl_timetable *load(const char *path, pl_ctx **ctx_out, pl_gtfs_stats *st)
{
    pl_ctx *ctx = pl_ctx_new();   /* its own context: its warnings are this load's */
    ctx->quiet = 1;
    const char *feeds[] = {path};
    pl_timetable *tt = NULL;
    pl_error err = {0};
    if (pl_gtfs_load(ctx, feeds, 1, DATE, NULL, &tt, st, &err) != PL_OK)
        fprintf(stderr, "pl_gtfs_load: %s\n", err.msg);
    *ctx_out = ctx;
    return tt;
}

/* The feed loads with no warning, nothing skipped or dropped, and the counts the writer reports. */
static void test_feed_loads_without_warnings(void **state)
{
    fixture *f = *state;
    pl_ctx *ctx;
    pl_gtfs_stats st;
    pl_timetable *tt = load(f->a, &ctx, &st);
    assert_non_null(tt);
    assert_int_equal(ctx->n_warnings, 0);
    assert_int_equal(st.stops_skipped, 0);
    assert_int_equal(st.stop_times_dropped, 0);
    assert_int_equal(st.trips_dropped, 0);
    assert_int_equal(st.times_interpolated, 0);
    assert_int_equal(st.stops_read, (long)f->sa.n_stops);
    assert_int_equal(tt->n_stops, f->sa.n_stops);
    assert_int_equal(tt->n_routes, f->sa.n_routes);
    assert_int_equal(st.stop_times_read, (long)f->sa.n_stop_times);
    assert_int_equal(st.trips_from_frequencies, (long)f->sa.n_trips_expanded);
    assert_true(f->sa.n_town_lines > 0 && f->sa.n_regional_lines > 0);
    /* trains only between towns of 15,000+: Örebro kommun has one, so none here */
    assert_int_equal(f->sa.n_train_lines, 0);
    pl_timetable_free(tt);
    pl_ctx_free(ctx);
}

/* Same seed: the same counts and the same bytes; another seed: another feed. The counts of
 * seed 1 are pinned, so a change of the rules shows up here. */
static void test_same_seed_same_feed(void **state)
{
    fixture *f = *state;
    assert_memory_equal(&f->sa, &f->sb, sizeof f->sa);
    assert_int_equal(run_cmd("cmp -s '%s' '%s'", f->a, f->b), 0);
    assert_int_not_equal(run_cmd("cmp -s '%s' '%s'", f->a, f->c), 0);
    assert_int_equal(f->sa.n_stops, 793);
    assert_int_equal(f->sa.n_routes, 73);
    assert_int_equal(f->sa.n_trips, 146);
}

/* Every stop is a vertex of a synthetic road (to the 6 decimals of the feed: < 1 m). */
static void test_every_stop_on_a_road(void **state)
{
    fixture *f = *state;
    pl_ctx *ctx;
    pl_gtfs_stats st;
    pl_timetable *tt = load(f->a, &ctx, &st);
    assert_non_null(tt);
    pl_error err = {0};
    assert_int_equal(pl_gtfs_project_stops(ctx, tt, &err), PL_OK);
    const pl_roads *R = &f->s1->roads;
    size_t nv = R->first_vertex[R->n];
    double worst = 0;
    for (uint32_t s = 0; s < tt->n_stops; s++) {
        double best = INFINITY;
        for (size_t v = 0; v < nv; v++) {
            double dx = R->vx[v] - tt->stop_x[s], dy = R->vy[v] - tt->stop_y[s];
            double d2 = dx * dx + dy * dy;
            if (d2 < best)
                best = d2;
        }
        if (best > worst)
            worst = best;
    }
    assert_true(sqrt(worst) < 1.0);
    pl_timetable_free(tt);
    pl_ctx_free(ctx);
}

static char *zip_text(const char *zip, const char *name)
{
    char p[4400];
    snprintf(p, sizeof p, "/vsizip/%s/%s", zip, name);
    VSILFILE *fp = VSIFOpenL(p, "rb");
    assert_non_null(fp);
    char *buf = calloc(1, 65536);
    VSIFReadL(buf, 1, 65535, fp);
    VSIFCloseL(fp);
    return buf;
}

static void test_feed_says_synthetic(void **state)
{
    fixture *f = *state;
    char *agency = zip_text(f->a, "agency.txt"), *info = zip_text(f->a, "feed_info.txt");
    char *routes = zip_text(f->a, "routes.txt");
    assert_non_null(strstr(agency, "SYNTHETIC platsa synth 1880 seed 1"));
    assert_non_null(strstr(info, "SYNTHETIC 1880 seed 1"));
    assert_non_null(strstr(routes, "\"SYNTHETIC "));
    free(agency), free(info), free(routes);
}

static const char *bin(void)
{
    return getenv("PLATSA_BIN") && *getenv("PLATSA_BIN") ? getenv("PLATSA_BIN") : "build/platsa";
}

/* The command: --gtfs refuses an existing file without --overwrite (left byte-identical, no
 * temporary), the -o file as --gtfs, and a spacing out of range; then synth S and a transit
 * access run on it work end to end. */
static void test_cli_synth_then_transit_access(void **state)
{
    fixture *f = *state;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", scratch_dir("synth_gtfs_cli"));
    const char *p = bin(), *data = real_data("");
    assert_int_equal(run_cmd("%s -q synth --size S --data %s -o '%s/s.gpkg' --gtfs '%s/s.zip' > '%s/out.txt'", p, data,
                             dir, dir, dir), 0);
    assert_int_equal(run_cmd("grep -q 'SYNTHETIC GTFS, 793 stops, 73 routes' '%s/out.txt'", dir), 0);
    assert_int_equal(run_cmd("cp '%s/s.zip' '%s/keep.zip'", dir, dir), 0);
    assert_int_equal(run_cmd("%s -q synth --size S --data %s -o '%s/t.gpkg' --gtfs '%s/s.zip' 2> '%s/err.txt'", p, data,
                             dir, dir, dir), 1);
    assert_int_equal(run_cmd("grep -q 's.zip.*exists' '%s/err.txt'", dir), 0);
    assert_int_equal(run_cmd("test ! -e '%s/t.gpkg'", dir), 0);
    assert_int_equal(run_cmd("%s -q synth --size S --data %s -o '%s/u.gpkg' --gtfs '%s/u.gpkg' 2> '%s/err.txt'", p, data,
                             dir, dir, dir), 1);
    assert_int_equal(run_cmd("grep -q 'same file as -o' '%s/err.txt'", dir), 0);
    assert_int_equal(run_cmd("%s -q synth --size S --data %s -o '%s/v.gpkg' --gtfs '%s/v.zip' --gtfs-rural-spacing 50 "
                             "2> '%s/err.txt'", p, data, dir, dir, dir), 1);
    assert_int_equal(run_cmd("grep -q 'gtfs-rural-spacing' '%s/err.txt'", dir), 0);
    assert_int_equal(run_cmd("cmp -s '%s/s.zip' '%s/keep.zip'", dir, dir), 0);
    assert_int_equal(run_cmd("ls -a '%s' | grep -q 'tmp'", dir), 1);
    /* end to end: nearest grocery by bus from every cell of synth S */
    assert_int_equal(run_cmd("%s -q access -p '%s/s.gpkg:population' -s '%s/s.gpkg:services' -r '%s/s.gpkg:roads' "
                             "-m '%s/s.gpkg:municipalities' -o '%s/acc.gpkg' --mode transit --gtfs '%s/s.zip' "
                             "--date " DATE " --window 07:00-08:00 -t grocery > '%s/acc.txt' 2>&1",
                             p, dir, dir, dir, dir, dir, dir, dir), 0);
    GDALDatasetH ds = GDALOpenEx(strcat(dir, "/acc.gpkg"), GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH l = GDALDatasetExecuteSQL(ds, "SELECT count(*), sum(CASE WHEN grocery_min IS NULL THEN 0 ELSE pop END) / sum(pop), "
                                        "min(grocery_min) FROM access_cells",
                                        NULL, "SQLITE");
    assert_non_null(l);
    OGRFeatureH ft = OGR_L_GetNextFeature(l);
    long n = OGR_F_GetFieldAsInteger64(ft, 0);
    double share = OGR_F_GetFieldAsDouble(ft, 1);
    double best = OGR_F_GetFieldAsDouble(ft, 2);
    OGR_F_Destroy(ft);
    GDALDatasetReleaseResultSet(ds, l);
    GDALClose(ds);
    assert_int_equal(n, (long)f->s1->n_cells);
    assert_true(share > 0.7);   /* most residents (the towns') reach a grocery by bus and foot in time */
    assert_true(best >= 0 && best < 15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_feed_loads_without_warnings),
        cmocka_unit_test(test_same_seed_same_feed),
        cmocka_unit_test(test_every_stop_on_a_road),
        cmocka_unit_test(test_feed_says_synthetic),
        cmocka_unit_test(test_cli_synth_then_transit_access),
    };
    return cmocka_run_group_tests_name("synth_gtfs", tests, setup, teardown);
}
