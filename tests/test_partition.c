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
#include <cmocka.h>
#include <sqlite3.h>

#include "support/testutil.h"

#define X0 500000.0
#define Y0 6500000.0

static void append(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(*buf + *len, *cap - *len, fmt, ap);
        va_end(ap);
        if (n >= 0 && *len + (size_t)n < *cap) {
            *len += (size_t)n;
            return;
        }
        *cap = *cap * 2 + 4096;
        *buf = realloc(*buf, *cap);
    }
}

static void to_gpkg(const char *dir, const char *name, const char *csv, const char *nlt)
{
    write_text_file(dir, name, csv);
    assert_int_equal(run_cmd("cd %s && ogr2ogr -q -f GPKG -a_srs EPSG:3006 -nlt %s -nln %.*s %.*s.gpkg %s "
                             "-oo KEEP_GEOM_COLUMNS=NO -oo AUTODETECT_TYPE=YES", dir, nlt, (int)(strlen(name) - 4), name,
                             (int)(strlen(name) - 4), name, name), 0);
}

/* The fixture's four layers in dir (roads.gpkg, units.gpkg, services.gpkg, munis.gpkg). */
static void make_fixture(const char *dir)
{
    size_t cap = 1 << 16, len = 0;
    char *b = malloc(cap);
    b[0] = 0;
    append(&b, &len, &cap, "WKT,highway,maxspeed\n");
    for (int i = 0; i <= 20; i++)      /* lines every 2 km, one feature per 2 km piece */
        for (int k = 0; k < 20; k++) {
            const char *hw = i % 5 == 0 ? "primary" : "residential";
            int sp = i % 5 == 0 ? 70 : 50;
            append(&b, &len, &cap, "\"LINESTRING (%.0f %.0f,%.0f %.0f)\",%s,%d\n", X0 + i * 2000, Y0 + k * 2000,
                   X0 + i * 2000, Y0 + (k + 1) * 2000, hw, sp);
            append(&b, &len, &cap, "\"LINESTRING (%.0f %.0f,%.0f %.0f)\",%s,%d\n", X0 + k * 2000, Y0 + i * 2000,
                   X0 + (k + 1) * 2000, Y0 + i * 2000, hw, sp);
        }
    /* A fast ring road (110 km/h) 6 km outside the lattice, joined at its corners: the fastest way
     * between far corners leaves a small halo and comes back. */
    double ring[5][2] = {{-6000, -6000}, {46000, -6000}, {46000, 46000}, {-6000, 46000}, {-6000, -6000}};
    for (int k = 0; k < 4; k++) {
        append(&b, &len, &cap, "\"LINESTRING (%.0f %.0f,%.0f %.0f)\",trunk,110\n", X0 + ring[k][0], Y0 + ring[k][1],
               X0 + ring[k + 1][0], Y0 + ring[k + 1][1]);
        double cx = ring[k][0] < 0 ? 0 : 40000, cy = ring[k][1] < 0 ? 0 : 40000;
        append(&b, &len, &cap, "\"LINESTRING (%.0f %.0f,%.0f %.0f)\",trunk,110\n", X0 + ring[k][0], Y0 + ring[k][1],
               X0 + cx, Y0 + cy);
    }
    /* A courtyard loop (a fragment of 4 nodes) beside a unit: passed over for the lattice. */
    append(&b, &len, &cap, "\"LINESTRING (%.0f %.0f,%.0f %.0f,%.0f %.0f,%.0f %.0f,%.0f %.0f)\",service,20\n",
           X0 + 10400.0, Y0 + 10400.0, X0 + 10600.0, Y0 + 10400.0, X0 + 10600.0, Y0 + 10600.0, X0 + 10400.0,
           Y0 + 10600.0, X0 + 10400.0, Y0 + 10400.0);
    to_gpkg(dir, "roads.csv", b, "LINESTRING");
    len = 0;
    append(&b, &len, &cap, "WKT,rut_id,pop\n");
    for (int i = 0; i < 40; i++)
        for (int j = 0; j < 40; j++)
            append(&b, &len, &cap, "\"POINT (%.0f %.0f)\",u%02d%02d,%d\n", X0 + 500 + i * 1000 + (j % 3) * 37,
                   Y0 + 500 + j * 1000, i, j, 1 + (i * 7 + j * 3) % 20);
    to_gpkg(dir, "units.csv", b, "POINT");
    len = 0;
    append(&b, &len, &cap, "WKT,id,name,type\n");
    for (int s = 0; s < 120; s++)
        append(&b, &len, &cap, "\"POINT (%.0f %.0f)\",g%d,Butik %d,%s\n", X0 + 300 + (s * 7919) % 39000,
               Y0 + 900 + (s * 5381) % 38000, s, s, s % 3 ? "supermarket" : "convenience");
    for (int s = 0; s < 40; s++)
        append(&b, &len, &cap, "\"POINT (%.0f %.0f)\",p%d,Apotek %d,pharmacy\n", X0 + 700 + (s * 3299) % 39000,
               Y0 + 1200 + (s * 7717) % 37000, s, s);
    /* One far out, beyond every road (left out: the unattached_services layer). */
    append(&b, &len, &cap, "\"POINT (%.0f %.0f)\",p99,Apotek ute,pharmacy\n", X0 + 60000.0, Y0 + 20000.0);
    to_gpkg(dir, "services.csv", b, "POINT");
    len = 0;
    append(&b, &len, &cap, "WKT,KnKod,KnNamn\n");
    const char *code[4] = {"0101", "0102", "0201", "0202"};
    for (int q = 0; q < 4; q++) {
        double x = X0 + (q % 2) * 20000, y = Y0 + (q / 2) * 20000;
        append(&b, &len, &cap, "\"POLYGON ((%.0f %.0f,%.0f %.0f,%.0f %.0f,%.0f %.0f,%.0f %.0f))\",%s,Kommun %s\n", x,
               y, x + 20000, y, x + 20000, y + 20000, x, y + 20000, x, y, code[q], code[q]);
    }
    to_gpkg(dir, "munis.csv", b, "POLYGON");
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

static char *table_dump(sqlite3 *db, const char *table)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT * FROM \"%s\"", table);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    out[0] = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        for (int c = 0; c < sqlite3_column_count(st); c++) {
            int type = sqlite3_column_type(st, c);
            if (type == SQLITE_FLOAT) {
                append(&out, &len, &cap, "%a|", sqlite3_column_double(st, c));
            } else if (type == SQLITE_BLOB) {
                const unsigned char *p = sqlite3_column_blob(st, c);
                int n = sqlite3_column_bytes(st, c);
                for (int i = 0; i < n; i++)
                    append(&out, &len, &cap, "%02x", p[i]);
                append(&out, &len, &cap, "|");
            } else {
                const unsigned char *t = sqlite3_column_text(st, c);
                append(&out, &len, &cap, "%d:%s|", type, t ? (const char *)t : "");
            }
        }
        append(&out, &len, &cap, "\n");
    }
    sqlite3_finalize(st);
    return out;
}

/* Every layer (tables and views of gpkg_contents) and the styles: equal, row for row. */
static long assert_same_layers(const char *a_path, const char *b_path)
{
    sqlite3 *a = NULL, *b = NULL;
    assert_int_equal(sqlite3_open_v2(a_path, &a, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_open_v2(b_path, &b, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    char *ta = table_dump(a, "gpkg_contents"), *tb = NULL;
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
        ta = table_dump(a, t);
        tb = table_dump(b, t);
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
        int rc = run_cmd("build/platsa -q merge %s 2>>%s", job, log);
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

/* Four kommuner, a 5 km halo: the pharmacies' second answers are far, so units rerun (up to
 * the halo that holds everything); the merge equals the single run in every layer. */
static void test_kommun_tiles_equal_single_run(void **state)
{
    (void)state;
    check_scheme("kommun", 5, "", 1);
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
        cmocka_unit_test(test_lan_and_grid_tiles_equal_single_run),
        cmocka_unit_test(test_region_partition_equals_single_run),
        cmocka_unit_test(test_merge_names_missing_task),
        cmocka_unit_test(test_bad_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
