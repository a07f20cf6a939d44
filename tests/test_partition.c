/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa partition / partition-task / partition-run / merge: a partitioned run merged equals a
 * single platsa access run, table for table, row for row; a missing task is named; bad inputs
 * are refused in one line. The fixture is made here: a 40 x 40 km lattice of roads (2 km, two
 * speeds) inside a fast ring road, a small road fragment, 1,600 unit points, four kommuner in two län, grocery (full
 * and partial) and three pharmacies (second answers reach far: some units need reruns, most not). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "support/testutil.h"

#define X0 500000.0
#define Y0 6500000.0

/* The fixture's four layers in dir (roads.gpkg, units.gpkg, services.gpkg, munis.gpkg). */
static void make_fixture(const char *dir)
{
    size_t cap = 1 << 16, len = 0;
    char *b = malloc(cap);
    b[0] = 0;
    text_append(&b, &len, &cap, "WKT,highway,maxspeed\n");
    for (int i = 0; i <= 20; i++)      /* lines every 2 km, one feature per 2 km piece */
        for (int k = 0; k < 20; k++) {
            const char *hw = i % 5 == 0 ? "primary" : "residential";
            int sp = i % 5 == 0 ? 70 : 50;
            text_append(&b, &len, &cap, "\"LINESTRING (%.0f %.0f,%.0f %.0f)\",%s,%d\n", X0 + i * 2000, Y0 + k * 2000,
                   X0 + i * 2000, Y0 + (k + 1) * 2000, hw, sp);
            text_append(&b, &len, &cap, "\"LINESTRING (%.0f %.0f,%.0f %.0f)\",%s,%d\n", X0 + k * 2000, Y0 + i * 2000,
                   X0 + (k + 1) * 2000, Y0 + i * 2000, hw, sp);
        }
    /* A fast ring road (110 km/h) 6 km outside the lattice, joined at its corners: the fastest way
     * between far corners leaves a small halo and comes back. */
    double ring[5][2] = {{-6000, -6000}, {46000, -6000}, {46000, 46000}, {-6000, 46000}, {-6000, -6000}};
    for (int k = 0; k < 4; k++) {
        text_append(&b, &len, &cap, "\"LINESTRING (%.0f %.0f,%.0f %.0f)\",trunk,110\n", X0 + ring[k][0], Y0 + ring[k][1],
               X0 + ring[k + 1][0], Y0 + ring[k + 1][1]);
        double cx = ring[k][0] < 0 ? 0 : 40000, cy = ring[k][1] < 0 ? 0 : 40000;
        text_append(&b, &len, &cap, "\"LINESTRING (%.0f %.0f,%.0f %.0f)\",trunk,110\n", X0 + ring[k][0], Y0 + ring[k][1],
               X0 + cx, Y0 + cy);
    }
    /* A courtyard loop (a fragment of 4 nodes) beside a unit: passed over for the lattice. */
    text_append(&b, &len, &cap, "\"LINESTRING (%.0f %.0f,%.0f %.0f,%.0f %.0f,%.0f %.0f,%.0f %.0f)\",service,20\n",
           X0 + 10400.0, Y0 + 10400.0, X0 + 10600.0, Y0 + 10400.0, X0 + 10600.0, Y0 + 10600.0, X0 + 10400.0,
           Y0 + 10600.0, X0 + 10400.0, Y0 + 10400.0);
    csv_to_gpkg(dir, "roads.csv", b, "LINESTRING");
    len = 0;
    text_append(&b, &len, &cap, "WKT,rut_id,pop\n");
    for (int i = 0; i < 40; i++)
        for (int j = 0; j < 40; j++)
            text_append(&b, &len, &cap, "\"POINT (%.0f %.0f)\",u%02d%02d,%d\n", X0 + 500 + i * 1000 + (j % 3) * 37,
                   Y0 + 500 + j * 1000, i, j, 1 + (i * 7 + j * 3) % 20);
    csv_to_gpkg(dir, "units.csv", b, "POINT");
    len = 0;
    text_append(&b, &len, &cap, "WKT,id,name,type\n");
    for (int s = 0; s < 120; s++)
        text_append(&b, &len, &cap, "\"POINT (%.0f %.0f)\",g%d,Butik %d,%s\n", X0 + 300 + (s * 7919) % 39000,
               Y0 + 900 + (s * 5381) % 38000, s, s, s % 3 ? "supermarket" : "convenience");
    for (int s = 0; s < 40; s++)
        text_append(&b, &len, &cap, "\"POINT (%.0f %.0f)\",p%d,Apotek %d,pharmacy\n", X0 + 700 + (s * 3299) % 39000,
               Y0 + 1200 + (s * 7717) % 37000, s, s);
    /* One far out, beyond every road (left out: the unattached_services layer). */
    text_append(&b, &len, &cap, "\"POINT (%.0f %.0f)\",p99,Apotek ute,pharmacy\n", X0 + 60000.0, Y0 + 20000.0);
    csv_to_gpkg(dir, "services.csv", b, "POINT");
    len = 0;
    text_append(&b, &len, &cap, "WKT,KnKod,KnNamn\n");
    const char *code[4] = {"0101", "0102", "0201", "0202"};
    for (int q = 0; q < 4; q++) {
        double x = X0 + (q % 2) * 20000, y = Y0 + (q / 2) * 20000;
        text_append(&b, &len, &cap, "\"POLYGON ((%.0f %.0f,%.0f %.0f,%.0f %.0f,%.0f %.0f,%.0f %.0f))\",%s,Kommun %s\n", x,
               y, x + 20000, y, x + 20000, y + 20000, x, y + 20000, x, y, code[q], code[q]);
    }
    csv_to_gpkg(dir, "munis.csv", b, "POLYGON");
    free(b);
}

static char inputs[4096];

static const char *fixture(void)
{
    static char dir[512];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "%s", scratch_dir("partition-fixture"));
        make_fixture(dir);
        snprintf(inputs, sizeof inputs, "--population %s/units.gpkg --services %s/services.gpkg --roads %s/roads.gpkg "
                 "--municipalities %s/munis.gpkg", dir, dir, dir, dir);
    }
    return dir;
}

/* ---------- comparing two GeoPackages ---------- */

/* Every layer (tables and views of gpkg_contents) and the styles: equal, row for row. */
static long assert_same_layers(const char *a_path, const char *b_path)
{
    sqlite3 *a = NULL, *b = NULL;
    assert_int_equal(sqlite3_open_v2(a_path, &a, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_open_v2(b_path, &b, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    char *ta = gpkg_table_dump(a, "gpkg_contents"), *tb = NULL;
    free(ta);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(a, "SELECT table_name FROM gpkg_contents UNION ALL SELECT 'layer_styles' "
                                        "ORDER BY 1", -1, &st, NULL), SQLITE_OK);
    long n = 0;
    char names_a[4096] = "", names_b[4096] = "";
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        strncat(names_a, t, sizeof names_a - strlen(names_a) - 2);
        strcat(names_a, ",");
        ta = gpkg_table_dump(a, t);
        tb = gpkg_table_dump(b, t);
        if (strcmp(ta, tb) != 0)
            fail_msg("table %s differs between %s and %s", t, a_path, b_path);
        free(ta);
        free(tb);
        n++;
    }
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_prepare_v2(b, "SELECT table_name FROM gpkg_contents UNION ALL SELECT 'layer_styles' "
                                        "ORDER BY 1", -1, &st, NULL), SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        strncat(names_b, (const char *)sqlite3_column_text(st, 0), sizeof names_b - strlen(names_b) - 2);
        strcat(names_b, ",");
    }
    sqlite3_finalize(st);
    assert_string_equal(names_a, names_b);
    sqlite3_close(a);
    sqlite3_close(b);
    return n;
}

/* ---------- tests ---------- */

/* Extra options of every platsa merge of run_job (e.g. --whole-above 100). */
static const char *merge_args = "";

/* Runs the job to the end: tasks (first round through the Slurm script without Slurm), merge,
 * reruns while merge asks (exit 3). Returns the number of rerun rounds. */
static int run_job(const char *job, const char *log)
{
    for (int i = 0; i < 64; i++) {
        if (run_cmd("test -d %s/tasks/%04d", job, i) != 0)
            break;
        assert_int_equal(run_cmd("SLURM_ARRAY_TASK_ID=%d sh %s/array.sbatch 2>>%s", i, job, log), 0);
    }
    int rounds = 0;
    for (;;) {
        int rc = run_cmd("build/platsa -q merge %s %s 2>>%s", merge_args, job, log);
        if (rc == 0)
            return rounds;
        assert_int_equal(rc, 3);
        assert_true(++rounds < 10);
        assert_int_equal(run_cmd("grep -q 'sbatch --wait %s/rerun.sbatch' %s", job, log), 0);
        assert_int_equal(run_cmd("build/platsa -q partition-run %s >/dev/null 2>>%s", job, log), 0);
    }
}

static void check_scheme(const char *tiles, double halo_km, const char *extra, int want_reruns)
{
    const char *dir = fixture();
    char out[1200], job[1200], merged[1200], log[1300];
    snprintf(out, sizeof out, "%s/single%s.gpkg", dir, extra[0] ? "-region" : "");
    if (run_cmd("test -f %s", out) != 0)
        assert_int_equal(run_cmd("build/platsa -q access %s %s -o %s", inputs, extra, out), 0);
    snprintf(job, sizeof job, "%s/job-%s-%g%s", dir, tiles, halo_km, extra[0] ? "-region" : "");
    snprintf(merged, sizeof merged, "%s/merged-%s-%g%s.gpkg", dir, tiles, halo_km, extra[0] ? "-region" : "");
    snprintf(log, sizeof log, "%s.log", job);
    assert_int_equal(run_cmd("rm -rf %s %s %s && build/platsa -q partition --tiles %s --halo-km %g --job-dir %s %s %s "
                             "-o %s >/dev/null", job, merged, log, tiles, halo_km, job, inputs, extra, merged), 0);
    int rounds = run_job(job, log);
    if (want_reruns)
        assert_true(rounds >= 1);
    /* Some units proven inside a halo that did not hold all the data (the argument at work,
     * not only tasks that read everything); then the merge must still equal the single run. */
    assert_int_equal(run_cmd("for f in %s/tasks/*/out.gpkg; do sqlite3 $f 'SELECT metadata FROM gpkg_metadata' | "
                             "grep -q '\"halo_rect\": \"all\"' || sqlite3 $f 'SELECT count(*) - sum(rerun) FROM "
                             "task_cells'; done | awk '{ s += $1 } END { exit !(s > 0) }'", job), 0);
    long n = assert_same_layers(out, merged);
    assert_true(n >= 6);  /* access_cells, service_level, municipalities (+table), data_checks, layer_styles */
    /* The metadata lists every task's output with its hash. */
    assert_int_equal(run_cmd("sqlite3 %s \"SELECT count(*) FROM gpkg_metadata WHERE metadata LIKE "
                             "'%%tasks/0000/out.gpkg%%'\" | grep -qv '^0$'", merged), 0);
}

/* Four kommuner, a 5 km halo: the pharmacies' second answers are far, so units rerun; with
 * --whole-above 100 each tile's halo doubles until it holds everything (10, 20, 40 km: rounds
 * of tiles, never one task of all the data); the merge equals the single run in every layer. */
static void test_kommun_tiles_equal_single_run(void **state)
{
    (void)state;
    merge_args = "--whole-above 100";
    check_scheme("kommun", 5, "", 1);
    merge_args = "";
    const char *job = "build/test-tmp/partition-fixture/job-kommun-5";
    assert_int_equal(run_cmd("awk -F'\t' 'NR > 1 && ($2 == \"all\" || $4 == 0) { exit 1 } NR > 1 && $6 >= 2 { n++ } "
                             "END { exit !(n > 0) }' %s/plan.tsv", job), 0);
}

/* The default --whole-above 50: the first rerun round's tiles, grown by 10 km, would each read
 * more than half the fixture's roads, so the round is one task (tile all, halo_km 0) of every
 * unproven unit over all the data, and it is the last. */
static void test_rerun_over_all_the_data(void **state)
{
    (void)state;
    check_scheme("kommun", 5, "", 1);
    const char *job = "build/test-tmp/partition-fixture/job-kommun-5";
    assert_int_equal(run_cmd("test \"$(awk -F'\t' 'NR > 1 && $6 > 0 { print $2, $4, $6 }' %s/plan.tsv)\" = "
                             "'all 0 1'", job), 0);
    assert_int_equal(run_cmd("sqlite3 %s/tasks/0004/out.gpkg 'SELECT metadata FROM gpkg_metadata' | grep -q "
                             "'\"halo_rect\": \"all\"'", job), 0);
    assert_int_equal(run_cmd("sqlite3 build/test-tmp/partition-fixture/merged-kommun-5.gpkg \"SELECT count(*) FROM "
                             "gpkg_metadata WHERE metadata LIKE '%%tile all, round 1, all the data, no halo%%'\" | "
                             "grep -qx 1"), 0);
    /* --whole-above out of range: refused in one line. */
    assert_int_equal(run_cmd("build/platsa -q merge --whole-above 0 %s 2>build/test-tmp/partition-fixture/wa.err",
                             job), 1);
    assert_int_equal(run_cmd("grep -q -- '--whole-above' build/test-tmp/partition-fixture/wa.err && test $(wc -l < "
                             "build/test-tmp/partition-fixture/wa.err) -eq 1"), 0);
}

static void test_lan_and_grid_tiles_equal_single_run(void **state)
{
    (void)state;
    check_scheme("lan", 8, "", 1);
    check_scheme("grid:10", 6, "", 1);
}

static void test_region_partition_equals_single_run(void **state)
{
    (void)state;
    check_scheme("kommun", 7, "--region 01", 1);
}

/* A task that did not run: merge exits 1 naming it and the command that runs it. */
static void test_merge_names_missing_task(void **state)
{
    (void)state;
    const char *dir = fixture();
    char job[600];
    snprintf(job, sizeof job, "%s/job-missing", dir);
    assert_int_equal(run_cmd("rm -rf %s && build/platsa -q partition --tiles kommun --halo-km 30 --job-dir %s %s -o "
                             "%s/missing.gpkg >/dev/null", job, job, inputs, dir), 0);
    for (int i = 0; i < 4; i++)
        if (i != 2)
            assert_int_equal(run_cmd("build/platsa -q partition-task %s %d", job, i), 0);
    assert_int_equal(run_cmd("build/platsa -q merge %s 2>%s/missing.err", job, dir), 1);
    assert_int_equal(run_cmd("grep -q \"task not finished (no done file): 2; run it again: sbatch --wait --array=2 "
                             "%s/array.sbatch\" %s/missing.err", job, dir), 0);
    assert_int_equal(run_cmd("test $(wc -l < %s/missing.err) -eq 1", dir), 0);
    assert_int_equal(run_cmd("test -e %s/missing.gpkg", dir), 1);
    /* Its output damaged: named too. */
    assert_int_equal(run_cmd("build/platsa -q partition-task %s 2", job), 0);
    assert_int_equal(run_cmd("echo junk > %s/tasks/0001/out.gpkg", job), 0);
    assert_int_equal(run_cmd("build/platsa -q merge %s 2>%s/damaged.err", job, dir), 1);
    assert_int_equal(run_cmd("grep -q \"task 1's output .* is damaged .*sbatch --wait --array=1\" %s/damaged.err", dir),
                     0);
}

/* ---------- a road just outside the halo (issue #22) ----------
 *
 * Tiny hand-checkable fixtures (one unit U, one län, pharmacies only, halo 3 km) where the best
 * path leaves U's halo and comes back, so the answer the first task finds inside is wrong: a
 * correct bound marks U unproven and the merge equals the single run; a loosened bound (e.g. the
 * task's bounds times 1000) keeps the wrong answer and the merge differs. Roads are cut into
 * 100 m pieces: every piece end is a node, so the per-unit bounds (to the nearest end of a
 * piece reaching outside) are tight and the component has the 50 nodes a proven attachment
 * needs. Coordinates in metres from (X0, Y0); U's halo is its tile's rectangle grown by 3 km.
 *
 * HF_DIST: a fast (120 km/h) detour south inside the halo, a short slow (10 km/h) road north
 *   through the halo's edge (y 2,510). U (-40,-500), V (2040,-6000) (V makes the tile reach
 *   south). S1 (2030,-100): global 0.04+0.5+3.2+2+3.2+0.1+0.03 = 9.07 km north; in the halo
 *   19.27 km by the detour. S2 (1500,-8930): 9.97 km. Nearest by distance: S1 9.07 km, the task
 *   says S2 9.97 km. Times (the detour, the same in the task): S2 5.09 min, S1 9.74 min, below
 *   U's time bound (0.5 km fast + 2.5 km at 10 km/h to the halo's edge: 15.3 min), so only the
 *   distance bound is at work.
 * HF_TIME: a 20 km/h road along y 0 inside the halo, a 120 km/h motorway at y 3,100 just
 *   outside it (halo edge y 2,970), joined by 120 km/h roads at x 0 and x 2,200. U (100,-40),
 *   S1 (2100,-40): 2.08 km, 6.16 min along the slow road (the task), 4.96 min by the motorway
 *   (0.1 km slow, 8.4 km at 120, 0.1 km slow, legs 80 m at 30 km/h). S2 (-2400,-40): 2.58 km,
 *   7.66 min. Distances are below U's distance bound (3 km), so only the time bound is at work.
 * HF_NEAR: a third pharmacy S0 next to U: the first answers are S0 (proven in the halo), the
 *   wrong one is the second (k = 2): HF_DIST 9.07 km (task 9.97), HF_TIME 4.96 min (task 6.16). */
enum { HF_DIST = 1, HF_TIME = 2, HF_NEAR = 4 };

/* A road from (x0,y0) to (x1,y1), straight, in pieces of 100 m. */
static void road(char **b, size_t *len, size_t *cap, double x0, double y0, double x1, double y1, const char *hw,
                 int kmh)
{
    int n = (int)(hypot(x1 - x0, y1 - y0) / 100 + 0.5);
    for (int i = 0; i < n; i++)
        text_append(b, len, cap, "\"LINESTRING (%.0f %.0f,%.0f %.0f)\",%s,%d\n", X0 + x0 + (x1 - x0) * i / n,
               Y0 + y0 + (y1 - y0) * i / n, X0 + x0 + (x1 - x0) * (i + 1) / n, Y0 + y0 + (y1 - y0) * (i + 1) / n,
               hw, kmh);
}

static void make_halo_fixture(const char *dir, int flags)
{
    size_t cap = 1 << 16, len = 0;
    char *b = malloc(cap);
    b[0] = 0;
    text_append(&b, &len, &cap, "WKT,highway,maxspeed\n");
    if (flags & HF_DIST) {
        road(&b, &len, &cap, 0, 0, 0, -8900, "trunk", 120);  /* the detour, inside */
        road(&b, &len, &cap, 0, -8900, 2000, -8900, "trunk", 120);
        road(&b, &len, &cap, 2000, -8900, 2000, 0, "trunk", 120);
        road(&b, &len, &cap, 0, 0, 0, 3200, "residential", 10);  /* the short way, out and back */
        road(&b, &len, &cap, 0, 3200, 2000, 3200, "residential", 10);
        road(&b, &len, &cap, 2000, 3200, 2000, 0, "residential", 10);
    } else {
        road(&b, &len, &cap, -2400, 0, 2200, 0, "residential", 20);  /* the slow road, inside */
        road(&b, &len, &cap, 0, 0, 0, 3100, "trunk", 120);
        road(&b, &len, &cap, 0, 3100, 2200, 3100, "motorway", 120);  /* just outside */
        road(&b, &len, &cap, 2200, 3100, 2200, 0, "trunk", 120);
    }
    csv_to_gpkg(dir, "roads.csv", b, "LINESTRING");
    len = 0;
    text_append(&b, &len, &cap, "WKT,rut_id,pop\n");
    if (flags & HF_DIST)
        text_append(&b, &len, &cap, "\"POINT (%.0f %.0f)\",U,10\n\"POINT (%.0f %.0f)\",V,10\n", X0 - 40, Y0 - 500,
               X0 + 2040, Y0 - 6000);
    else
        text_append(&b, &len, &cap, "\"POINT (%.0f %.0f)\",U,10\n", X0 + 100, Y0 - 40);
    csv_to_gpkg(dir, "units.csv", b, "POINT");
    len = 0;
    text_append(&b, &len, &cap, "WKT,id,name,type\n");
    double s[3][2] = {{2030, -100}, {1500, -8930}, {-40, -1000}};  /* S1, S2, S0 */
    if (flags & HF_TIME)
        memcpy(s, (double[3][2]){{2100, -40}, {-2400, -40}, {300, -40}}, sizeof s);
    for (int i = 0; i < ((flags & HF_NEAR) ? 3 : 2); i++)
        text_append(&b, &len, &cap, "\"POINT (%.0f %.0f)\",S%d,Apotek %d,pharmacy\n", X0 + s[i][0], Y0 + s[i][1],
               (i + 1) % 3, (i + 1) % 3);
    csv_to_gpkg(dir, "services.csv", b, "POINT");
    len = 0;
    text_append(&b, &len, &cap, "WKT,KnKod,KnNamn\n\"POLYGON ((%.0f %.0f,%.0f %.0f,%.0f %.0f,%.0f %.0f,%.0f %.0f))\",0101,"
           "Kommun 0101\n", X0 - 10000, Y0 - 10000, X0 + 10000, Y0 - 10000, X0 + 10000, Y0 + 10000, X0 - 10000,
           Y0 + 10000, X0 - 10000, Y0 - 10000);
    csv_to_gpkg(dir, "munis.csv", b, "POLYGON");
    free(b);
}

/* Single run (whose U row must be `want`: pharmacy km, km 2nd, min, min 2nd, id), the first
 * task's in-halo answer for U (`task_wrong`: the wrong one the halo holds), then the job to
 * the end: the merge must equal the single run, and U must have been marked unproven. */
static void check_outside_road(const char *name, int flags, const char *want, const char *task_col,
                               const char *task_wrong)
{
    char dir[600], in[3000], cmd_out[4096];
    snprintf(dir, sizeof dir, "%s", scratch_dir(name));
    make_halo_fixture(dir, flags);
    snprintf(in, sizeof in, "-t pharmacy --population %s/units.gpkg --services %s/services.gpkg --roads %s/roads.gpkg "
             "--municipalities %s/munis.gpkg", dir, dir, dir, dir);
    assert_int_equal(run_cmd("build/platsa -q access %s -o %s/single.gpkg", in, dir), 0);
    snprintf(cmd_out, sizeof cmd_out, "sqlite3 %s/single.gpkg \"SELECT pharmacy_km, pharmacy_km_2nd, pharmacy_min, "
             "pharmacy_min_2nd, pharmacy_id FROM access_cells WHERE cell_id = 'U'\" | grep -qx '%s'", dir, want);
    if (run_cmd("%s", cmd_out) != 0)
        fail_msg("%s: the single run's answer for U is not the hand-checked %s", name, want);
    assert_int_equal(run_cmd("build/platsa -q partition --tiles lan --halo-km 3 --job-dir %s/job %s -o %s/merged.gpkg "
                             ">/dev/null", dir, in, dir), 0);
    assert_int_equal(run_cmd("build/platsa -q partition-task %s/job 0", dir), 0);
    /* The premise: inside the first halo the answer is the wrong one. */
    if (run_cmd("sqlite3 %s/job/tasks/0000/out.gpkg \"SELECT %s FROM task_cells WHERE cell_id = 'U'\" | grep -qx '%s'",
                dir, task_col, task_wrong) != 0)
        fail_msg("%s: the first task's %s for U is not the in-halo %s", name, task_col, task_wrong);
    char job[700], log[700];
    snprintf(job, sizeof job, "%s/job", dir);
    snprintf(log, sizeof log, "%s/job.log", dir);
    int rounds = run_job(job, log);
    char single[700], merged[700];
    snprintf(single, sizeof single, "%s/single.gpkg", dir);
    snprintf(merged, sizeof merged, "%s/merged.gpkg", dir);
    assert_true(assert_same_layers(single, merged) >= 6);
    assert_true(rounds >= 1);
    assert_int_equal(run_cmd("sqlite3 %s/job/tasks/0000/out.gpkg \"SELECT rerun FROM task_cells WHERE cell_id = 'U'\" "
                             "| grep -qx 1", dir), 0);
}

/* A short road outside the halo beats the nearest distance found inside. */
static void test_halo_outside_road_distance(void **state)
{
    (void)state;
    check_outside_road("partition-halo-dist", HF_DIST, "9.07|9.97|5.09|9.74|S1", "pharmacy_d0_src || ' ' || "
                       "round(pharmacy_d0_m, 1)", "S2 9970.0");
}

/* A motorway outside the halo beats the nearest time found inside. */
static void test_halo_outside_motorway_time(void **state)
{
    (void)state;
    check_outside_road("partition-halo-time", HF_TIME, "2.08|2.58|4.96|7.66|S1", "pharmacy_t0_src || ' ' || "
                       "round(pharmacy_t0_s, 1)", "S1 369.6");
}

/* The nearest answer is proven inside; the second one (k = 2) is beaten from outside. */
static void test_halo_outside_second_answer(void **state)
{
    (void)state;
    check_outside_road("partition-halo-dist2", HF_DIST | HF_NEAR, "0.58|9.07|0.41|5.09|S0", "pharmacy_d1_src || ' ' "
                       "|| round(pharmacy_d1_m, 1)", "S2 9970.0");
    check_outside_road("partition-halo-time2", HF_TIME | HF_NEAR, "0.28|2.08|0.76|4.96|S0", "pharmacy_t1_src || ' ' "
                       "|| round(pharmacy_t1_s, 1)", "S1 369.6");
}

static void test_bad_inputs(void **state)
{
    (void)state;
    const char *dir = fixture();
    struct {
        const char *args, *message;
    } cases[] = {
        {"--tiles kommun --halo-km 0", "--halo-km"},
        {"--tiles kommun --halo-km -5", "--halo-km"},
        {"--tiles county --halo-km 5", "--tiles 'county': use lan, kommun or grid:KM"},
        {"--tiles grid:0 --halo-km 5", "--tiles 'grid:0': use lan, kommun or grid:KM"},
        {"--tiles kommun --halo-km 5 --classify", "--classify is not partitioned"},
        {"--tiles kommun --halo-km 5 --mode transit", "--mode transit is not partitioned"},
        {"--tiles kommun --halo-km 5 --mode car,bike", "--mode 'car,bike': one road mode (car, bike or walk) per "
                                                       "partitioned run"},
        {"--tiles kommun --halo-km 5 --service-areas", "--service-areas is not partitioned"},
        {"--tiles kommun --halo-km 5 --graph-cache g.bin", "--graph-cache: the tasks read only their halo's roads"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(run_cmd("rm -rf %s/job-bad && build/platsa -q partition %s --job-dir %s/job-bad %s -o "
                                 "%s/bad.gpkg 2>%s/bad.err", dir, cases[i].args, dir, inputs, dir, dir), 1);
        assert_int_equal(run_cmd("grep -qF -- \"%s\" %s/bad.err && test $(wc -l < %s/bad.err) -eq 1",
                                 cases[i].message, dir, dir), 0);
        assert_int_equal(run_cmd("test -e %s/job-bad/platsa-job", dir), 1);
    }
    /* A folder with other files is no job folder: refused, left as it was. */
    assert_int_equal(run_cmd("rm -rf %s/notjob && mkdir %s/notjob && echo keep > %s/notjob/mine.txt", dir, dir, dir),
                     0);
    assert_int_equal(run_cmd("build/platsa -q partition --tiles lan --halo-km 5 --job-dir %s/notjob %s -o %s/bad.gpkg "
                             "2>%s/bad.err", dir, inputs, dir, dir), 1);
    assert_int_equal(run_cmd("grep -q 'exists and is not a platsa job folder' %s/bad.err", dir), 0);
    assert_int_equal(run_cmd("test \"$(ls %s/notjob)\" = mine.txt", dir), 0);
    assert_int_equal(run_cmd("build/platsa -q merge %s/notjob 2>%s/bad.err", dir, dir), 1);
    assert_int_equal(run_cmd("grep -q 'not a platsa job folder' %s/bad.err", dir), 0);
    assert_int_equal(run_cmd("build/platsa -q partition-task %s/notjob 0 2>%s/bad.err", dir, dir), 1);
    /* An existing job is not made again over itself. */
    assert_int_equal(run_cmd("rm -rf %s/job-twice && build/platsa -q partition --tiles lan --halo-km 5 --job-dir "
                             "%s/job-twice %s -o %s/twice.gpkg >/dev/null", dir, dir, inputs, dir), 0);
    assert_int_equal(run_cmd("build/platsa -q partition --tiles lan --halo-km 5 --job-dir %s/job-twice %s -o "
                             "%s/twice.gpkg 2>%s/bad.err", dir, inputs, dir, dir), 1);
    assert_int_equal(run_cmd("grep -q 'already a platsa job' %s/bad.err", dir), 0);
    /* A task id out of range, and not a number. */
    assert_int_equal(run_cmd("build/platsa -q partition-task %s/job-twice 9 2>%s/bad.err", dir, dir), 1);
    assert_int_equal(run_cmd("grep -q 'has tasks 0 to 1' %s/bad.err", dir), 0);
    assert_int_equal(run_cmd("build/platsa -q partition-task %s/job-twice x 2>%s/bad.err", dir, dir), 1);
    assert_int_equal(run_cmd("grep -q \"task id 'x'\" %s/bad.err", dir), 0);
}

int main(void)
{
    setenv("SOURCE_DATE_EPOCH", "1700000000", 1);  /* the styles' update_time: the same in both runs */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kommun_tiles_equal_single_run),
        cmocka_unit_test(test_rerun_over_all_the_data),
        cmocka_unit_test(test_lan_and_grid_tiles_equal_single_run),
        cmocka_unit_test(test_region_partition_equals_single_run),
        cmocka_unit_test(test_merge_names_missing_task),
        cmocka_unit_test(test_halo_outside_road_distance),
        cmocka_unit_test(test_halo_outside_motorway_time),
        cmocka_unit_test(test_halo_outside_second_answer),
        cmocka_unit_test(test_bad_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
