/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa sweep (issue #22): a scenario file's scenarios as a Slurm job array, one slice per
 * task, merged by platsa merge into the output of the single platsa scenario run, table for
 * table, row for row, CSV for CSV; a missing or damaged task is named with the sbatch line
 * that reruns it; bad input is refused in one line. The fixture is made here: a 24 x 24 km
 * lattice of roads (2 km, two speeds), 576 unit points in four kommuner, 40 grocery stores and
 * 10 pharmacies; the scenarios close every pair of 7 stores (21), add a store, add housing and
 * close two roads (a full re-run): 24 in all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "support/testutil.h"

#define X0 500000.0
#define Y0 6500000.0
#define N_SCENARIOS 24

/* roads.gpkg, units.gpkg, services.gpkg, munis.gpkg and sweep.ini in dir. */
static void make_fixture(const char *dir)
{
    size_t cap = 1 << 16, len = 0;
    char *b = malloc(cap);
    b[0] = 0;
    text_append(&b, &len, &cap, "WKT,highway,maxspeed\n");
    for (int i = 0; i <= 12; i++)
        for (int k = 0; k < 12; k++) {
            const char *hw = i % 4 == 0 ? "primary" : "residential";
            int sp = i % 4 == 0 ? 70 : 50;
            text_append(&b, &len, &cap, "\"LINESTRING (%.0f %.0f,%.0f %.0f)\",%s,%d\n", X0 + i * 2000, Y0 + k * 2000,
                   X0 + i * 2000, Y0 + (k + 1) * 2000, hw, sp);
            text_append(&b, &len, &cap, "\"LINESTRING (%.0f %.0f,%.0f %.0f)\",%s,%d\n", X0 + k * 2000, Y0 + i * 2000,
                   X0 + (k + 1) * 2000, Y0 + i * 2000, hw, sp);
        }
    csv_to_gpkg(dir, "roads.csv", b, "LINESTRING");
    len = 0;
    text_append(&b, &len, &cap, "WKT,rut_id,pop\n");
    for (int i = 0; i < 24; i++)
        for (int j = 0; j < 24; j++)
            text_append(&b, &len, &cap, "\"POINT (%.0f %.0f)\",u%02d%02d,%d\n", X0 + 500 + i * 1000 + (j % 3) * 37,
                   Y0 + 500 + j * 1000, i, j, 1 + (i * 7 + j * 3) % 20);
    csv_to_gpkg(dir, "units.csv", b, "POINT");
    len = 0;
    text_append(&b, &len, &cap, "WKT,id,name,type\n");
    for (int s = 0; s < 40; s++)
        text_append(&b, &len, &cap, "\"POINT (%.0f %.0f)\",g%d,Butik %d,%s\n", X0 + 300 + (s * 7919) % 23000,
               Y0 + 900 + (s * 5381) % 22000, s, s, s % 3 ? "supermarket" : "convenience");
    for (int s = 0; s < 10; s++)
        text_append(&b, &len, &cap, "\"POINT (%.0f %.0f)\",p%d,Apotek %d,pharmacy\n", X0 + 700 + (s * 3299) % 23000,
               Y0 + 1200 + (s * 7717) % 21000, s, s);
    csv_to_gpkg(dir, "services.csv", b, "POINT");
    len = 0;
    text_append(&b, &len, &cap, "WKT,KnKod,KnNamn\n");
    const char *code[4] = {"0101", "0102", "0201", "0202"};
    for (int q = 0; q < 4; q++) {
        double x = X0 + (q % 2) * 12000, y = Y0 + (q / 2) * 12000;
        text_append(&b, &len, &cap, "\"POLYGON ((%.0f %.0f,%.0f %.0f,%.0f %.0f,%.0f %.0f,%.0f %.0f))\",%s,Kommun %s\n", x,
               y, x + 12000, y, x + 12000, y + 12000, x, y + 12000, x, y, code[q], code[q]);
    }
    csv_to_gpkg(dir, "munis.csv", b, "POLYGON");
    /* The scenario file: every closure pair of g0..g6, then one of each other kind. */
    len = 0;
    text_append(&b, &len, &cap, "[baseline]\npopulation = units.gpkg\nservices = services.gpkg\nroads = roads.gpkg\n"
           "municipalities = munis.gpkg\ntypes = grocery, pharmacy\nmode = car\n\n");
    int n = 0;
    for (int i = 0; i < 7; i++)
        for (int j = i + 1; j < 7; j++, n++)
            text_append(&b, &len, &cap, "[scenario Butik %d och %d stänger]\nclose = g%d, g%d\n\n", i, j, i, j);
    text_append(&b, &len, &cap, "[scenario Ny butik]\ndescription = a store in the middle\n"
           "add_service = ny1; grocery; %.0f; %.0f; Ny butik\n\n", X0 + 12100, Y0 + 11900);
    text_append(&b, &len, &cap, "[scenario Nya bostäder]\nadd_housing = hus1; 400; %.0f; %.0f\n\n", X0 + 3100, Y0 + 20100);
    text_append(&b, &len, &cap, "[scenario Vägar stängda]\nremove_roads = 25, 26\n");
    assert_int_equal(n + 3, N_SCENARIOS);
    write_text_file(dir, "sweep.ini", b);
    free(b);
}

static const char *fixture(void)
{
    static char dir[512];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "%s", scratch_dir("sweep-fixture"));
        make_fixture(dir);
    }
    return dir;
}

/* ---------- comparing two GeoPackages ---------- */

/* Every table of the file but the metadata (command line, timings, the tasks) equal, row for
 * row, fid and order included; returns the number of tables compared. */
static long assert_same_tables(const char *a_path, const char *b_path)
{
    sqlite3 *a = NULL, *b = NULL;
    assert_int_equal(sqlite3_open_v2(a_path, &a, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_open_v2(b_path, &b, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    const char *list = "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE "
                       "'gpkg_metadata%' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'rtree_%' ORDER BY 1";
    char *names[2] = {gpkg_table_dump(a, "sqlite_master"), NULL};
    free(names[0]);
    sqlite3_stmt *st = NULL;
    long n = 0;
    char seen[2][16384] = {"", ""};
    for (int k = 0; k < 2; k++) {
        assert_int_equal(sqlite3_prepare_v2(k ? b : a, list, -1, &st, NULL), SQLITE_OK);
        while (sqlite3_step(st) == SQLITE_ROW) {
            strncat(seen[k], (const char *)sqlite3_column_text(st, 0), sizeof seen[k] - strlen(seen[k]) - 2);
            strcat(seen[k], ",");
        }
        sqlite3_finalize(st);
    }
    assert_string_equal(seen[0], seen[1]);
    assert_int_equal(sqlite3_prepare_v2(a, list, -1, &st, NULL), SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        char *ta = gpkg_table_dump(a, t), *tb = gpkg_table_dump(b, t);
        if (strcmp(ta, tb) != 0)
            fail_msg("table %s differs between %s and %s", t, a_path, b_path);
        free(ta);
        free(tb);
        n++;
    }
    sqlite3_finalize(st);
    sqlite3_close(a);
    sqlite3_close(b);
    return n;
}

/* ---------- tests ---------- */

/* Makes the sweep job dir/job-NAME with the given slices and output. */
static void make_job(const char *dir, const char *name, int slices, const char *out)
{
    assert_int_equal(run_cmd("rm -rf %s/job-%s %s && build/platsa -q sweep %s/sweep.ini --slices %d --job-dir "
                             "%s/job-%s -o %s --csv >/dev/null", dir, name, out, dir, slices, dir, name, out), 0);
}

/* 24 scenarios in 5 slices, each task run as Slurm would run it (without Slurm), merged: every
 * table equal to the single run's, the CSV twins byte for byte; the tasks never wrote the
 * graph cache the sweep built. */
static void test_sweep_equals_single_run(void **state)
{
    (void)state;
    const char *dir = fixture();
    char single[600], merged[600];
    snprintf(single, sizeof single, "%s/single.gpkg", dir);
    snprintf(merged, sizeof merged, "%s/merged.gpkg", dir);
    assert_int_equal(run_cmd("rm -f %s && build/platsa -q scenario %s/sweep.ini -o %s --csv", single, dir, single), 0);
    make_job(dir, "five", 5, merged);
    assert_int_equal(run_cmd("test $(tail -n +2 %s/job-five/plan.tsv | wc -l) -eq %d", dir, N_SCENARIOS), 0);
    assert_int_equal(run_cmd("grep -q '^#SBATCH --array=0-4$' %s/job-five/array.sbatch", dir), 0);
    assert_int_equal(run_cmd("sha256sum %s/job-five/graph.cache > %s/cache.sum", dir, dir), 0);
    for (int k = 0; k < 5; k++)
        assert_int_equal(run_cmd("SLURM_ARRAY_TASK_ID=%d sh %s/job-five/array.sbatch 2>>%s/job-five.log", k, dir,
                                 dir), 0);
    assert_int_equal(run_cmd("sha256sum -c --quiet %s/cache.sum", dir), 0);
    assert_int_equal(run_cmd("build/platsa -q merge %s/job-five 2>>%s/job-five.log", dir, dir), 0);
    long n = assert_same_tables(single, merged);
    /* 24 cell layers, delta_cells, delta_municipalities, scenario_summary, unattached layers,
     * styles, gpkg_contents, ... */
    assert_true(n >= 30);
    assert_int_equal(run_cmd("sqlite3 %s 'SELECT count(*) FROM scenario_summary' | grep -qx %d", merged,
                             N_SCENARIOS + 1), 0);
    assert_int_equal(run_cmd("sqlite3 %s \"SELECT count(*) FROM scenario_summary WHERE method LIKE 'full%%'\" | "
                             "grep -qx 1", merged), 0);
    assert_int_equal(run_cmd("cmp %s/single_scenario_summary.csv %s/merged_scenario_summary.csv && cmp "
                             "%s/single_delta_municipalities.csv %s/merged_delta_municipalities.csv", dir, dir, dir,
                             dir), 0);
    /* The metadata names the tasks' outputs. */
    assert_int_equal(run_cmd("sqlite3 %s \"SELECT count(*) FROM gpkg_metadata WHERE metadata LIKE "
                             "'%%tasks/0004/out.bin%%'\" | grep -qv '^0$'", merged), 0);
    /* One slice per scenario gives the same again; partition-run runs them here. */
    char merged1[600];
    snprintf(merged1, sizeof merged1, "%s/merged-all.gpkg", dir);
    make_job(dir, "all", N_SCENARIOS, merged1);
    assert_int_equal(run_cmd("build/platsa -q partition-run %s/job-all >/dev/null && build/platsa -q merge %s/job-all",
                             dir, dir), 0);
    assert_same_tables(single, merged1);
}

/* A task that did not run: merge exits 1 naming it and the sbatch line; a damaged one too. */
static void test_sweep_merge_names_missing_task(void **state)
{
    (void)state;
    const char *dir = fixture();
    char out[600], job[600];
    snprintf(out, sizeof out, "%s/missing.gpkg", dir);
    snprintf(job, sizeof job, "%s/job-missing", dir);
    make_job(dir, "missing", 4, out);
    for (int i = 0; i < 4; i++)
        if (i != 2)
            assert_int_equal(run_cmd("build/platsa -q partition-task %s %d", job, i), 0);
    assert_int_equal(run_cmd("build/platsa -q merge %s 2>%s/missing.err", job, dir), 1);
    assert_int_equal(run_cmd("grep -q \"task not finished (no done file): 2; run it again: sbatch --wait --array=2 "
                             "%s/array.sbatch\" %s/missing.err", job, dir), 0);
    assert_int_equal(run_cmd("test $(wc -l < %s/missing.err) -eq 1", dir), 0);
    assert_int_equal(run_cmd("test -e %s", out), 1);
    assert_int_equal(run_cmd("build/platsa -q partition-task %s 2", job), 0);
    /* Damaged: cut short, or one byte changed. */
    assert_int_equal(run_cmd("cp %s/tasks/0001/out.bin %s/keep.bin && head -c 1000 %s/keep.bin > "
                             "%s/tasks/0001/out.bin", job, dir, dir, job), 0);
    assert_int_equal(run_cmd("build/platsa -q merge %s 2>%s/damaged.err", job, dir), 1);
    assert_int_equal(run_cmd("grep -q \"task 1's output .* is damaged .*sbatch --wait --array=1 \" %s/damaged.err",
                             dir), 0);
    assert_int_equal(run_cmd("test $(wc -l < %s/damaged.err) -eq 1", dir), 0);
    assert_int_equal(run_cmd("cp %s/keep.bin %s/tasks/0001/out.bin && printf 'x' | dd of=%s/tasks/0001/out.bin "
                             "bs=1 seek=5000 conv=notrunc 2>/dev/null", dir, job, job), 0);
    assert_int_equal(run_cmd("build/platsa -q merge %s 2>%s/damaged.err", job, dir), 1);
    assert_int_equal(run_cmd("grep -q \"task 1's output\" %s/damaged.err", dir), 0);
    assert_int_equal(run_cmd("test -e %s", out), 1);
    /* Repaired: the merge writes. */
    assert_int_equal(run_cmd("cp %s/keep.bin %s/tasks/0001/out.bin && build/platsa -q merge %s", dir, job, job), 0);
    assert_int_equal(run_cmd("test -s %s", out), 0);
}

static void test_sweep_bad_inputs(void **state)
{
    (void)state;
    const char *dir = fixture();
    write_text_file(dir, "none.ini", "[baseline]\npopulation = units.gpkg\nservices = services.gpkg\n"
                    "roads = roads.gpkg\nmunicipalities = munis.gpkg\n");
    write_text_file(dir, "unknown.ini", "[baseline]\npopulation = units.gpkg\nservices = services.gpkg\n"
                    "roads = roads.gpkg\nmunicipalities = munis.gpkg\n[scenario A]\nclose = g1\n"
                    "[scenario B]\nclose = nosuch\n");
    struct {
        const char *file, *args, *message;
    } cases[] = {
        {"sweep.ini", "--slices 0", "--slices"},
        {"sweep.ini", "--slices -2", "--slices"},
        {"sweep.ini", "--slices 25", "sweep.ini has 24 scenarios; give at most 24 slices"},
        {"none.ini", "--slices 1", "none.ini: no [scenario NAME] section; add one"},
        {"unknown.ini", "--slices 2", "[scenario B]: close: no service with id 'nosuch'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(run_cmd("rm -rf %s/job-bad && build/platsa -q sweep %s/%s %s --job-dir %s/job-bad -o "
                                 "%s/bad.gpkg 2>%s/bad.err", dir, dir, cases[i].file, cases[i].args, dir, dir, dir), 1);
        assert_int_equal(run_cmd("grep -qF -- \"%s\" %s/bad.err && test $(wc -l < %s/bad.err) -eq 1",
                                 cases[i].message, dir, dir), 0);
        assert_int_equal(run_cmd("test -e %s/job-bad", dir), 1);  /* refused: no folder left */
    }
    /* A folder with other files is no job folder: refused, left as it was. */
    assert_int_equal(run_cmd("rm -rf %s/notjob && mkdir %s/notjob && echo keep > %s/notjob/mine.txt", dir, dir, dir),
                     0);
    assert_int_equal(run_cmd("build/platsa -q sweep %s/sweep.ini --slices 2 --job-dir %s/notjob -o %s/bad.gpkg "
                             "2>%s/bad.err", dir, dir, dir, dir), 1);
    assert_int_equal(run_cmd("grep -q 'exists and is not a platsa job folder' %s/bad.err", dir), 0);
    assert_int_equal(run_cmd("test \"$(ls %s/notjob)\" = mine.txt", dir), 0);
    /* An empty folder given and refused later (an unknown id) stays, empty. */
    assert_int_equal(run_cmd("rm -rf %s/empty && mkdir %s/empty && build/platsa -q sweep %s/unknown.ini --slices 2 "
                             "--job-dir %s/empty -o %s/bad.gpkg 2>/dev/null", dir, dir, dir, dir, dir), 1);
    assert_int_equal(run_cmd("test -d %s/empty && test -z \"$(ls -A %s/empty)\"", dir, dir), 0);
    /* An existing output without --overwrite: refused before any folder is made. */
    assert_int_equal(run_cmd("rm -rf %s/job-bad && echo x > %s/exists.gpkg && build/platsa -q sweep %s/sweep.ini "
                             "--slices 2 --job-dir %s/job-bad -o %s/exists.gpkg 2>%s/bad.err", dir, dir, dir, dir, dir,
                             dir), 1);
    assert_int_equal(run_cmd("test $(wc -l < %s/bad.err) -eq 1 && test ! -e %s/job-bad", dir, dir), 0);
    /* A task id out of range. */
    char out[600];
    snprintf(out, sizeof out, "%s/twice.gpkg", dir);
    make_job(dir, "twice", 2, out);
    assert_int_equal(run_cmd("build/platsa -q partition-task %s/job-twice 9 2>%s/bad.err", dir, dir), 1);
    assert_int_equal(run_cmd("grep -q 'has tasks 0 to 1' %s/bad.err", dir), 0);
    /* The scenario file edited after the plan: a task refuses to mix two sweeps. */
    assert_int_equal(run_cmd("cp %s/sweep.ini %s/edited.ini && rm -rf %s/job-edited && build/platsa -q sweep "
                             "%s/edited.ini --slices 2 --job-dir %s/job-edited -o %s/edited.gpkg >/dev/null && printf "
                             "'\\n[scenario Extra]\\nclose = g9\\n' >> %s/edited.ini", dir, dir, dir, dir, dir, dir,
                             dir), 0);
    assert_int_equal(run_cmd("build/platsa -q partition-task %s/job-edited 0 2>%s/bad.err", dir, dir), 1);
    assert_int_equal(run_cmd("grep -q 'edited.ini: has 25 scenarios, the sweep .* was made for 24; make the job again' "
                             "%s/bad.err && test $(wc -l < %s/bad.err) -eq 1", dir, dir), 0);
    /* An existing sweep is not made again over itself. */
    assert_int_equal(run_cmd("build/platsa -q sweep %s/sweep.ini --slices 2 --job-dir %s/job-twice -o %s "
                             "2>%s/bad.err", dir, dir, out, dir), 1);
    assert_int_equal(run_cmd("grep -q 'already a platsa sweep' %s/bad.err", dir), 0);
}

int main(void)
{
    setenv("SOURCE_DATE_EPOCH", "1700000000", 1);  /* the styles' update_time: the same in both runs */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sweep_equals_single_run),
        cmocka_unit_test(test_sweep_merge_names_missing_task),
        cmocka_unit_test(test_sweep_bad_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
