/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Interrupting `platsa access` while it writes its output: SIGINT, SIGTERM and SIGHUP
 * leave the existing output byte-identical and no temporary file behind; SIGKILL cannot be
 * caught, so its temporary files stay, the output is still untouched, and the next run
 * writing the same output removes them.
 *
 * The input is a synthetic grid (generated here, in EPSG:3006 CSVs): GRID x GRID road nodes
 * 100 m apart, one population point per square, services spread over it, one municipality.
 * The signal is sent once the temporary file ".out.gpkg.tmp-PID" appears in the output
 * folder, that is while the output is being written.
 *
 * The same for the graph cache (--graph-cache): a signal while its temporary NAME.tmpPID is
 * being written (the write paused by PLATSA_CACHE_WRITE_PAUSE_MS, a test hook) leaves no
 * temporary and no cache; after SIGKILL the next run using the cache removes it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gis/commit.h"
#include "support/testutil.h"

#define GRID 160
#define X0 500000
#define Y0 6500000

static char dir[1024];

static const char *platsa_bin(void)
{
    const char *b = getenv("PLATSA_BIN");
    return b && *b ? b : "build/platsa";
}

static void path_in(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", dir, name);
}

static FILE *open_in(const char *name)
{
    char p[4200];
    path_in(p, sizeof p, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    return f;
}

static void make_inputs(void)
{
    FILE *f = open_in("roads.csv");
    fprintf(f, "wkt,highway,maxspeed\n");
    for (int i = 0; i < GRID; i++)
        for (int j = 0; j < GRID; j++) {
            int x = X0 + i * 100, y = Y0 + j * 100;
            if (i < GRID - 1)
                fprintf(f, "\"LINESTRING (%d %d,%d %d)\",residential,%d\n", x, y, x + 100, y, j % 5 ? 30 : 50);
            if (j < GRID - 1)
                fprintf(f, "\"LINESTRING (%d %d,%d %d)\",tertiary,50\n", x, y, x, y + 100);
        }
    fclose(f);
    f = open_in("population.csv");
    fprintf(f, "id,x,y,pop\n");
    for (int i = 0; i < GRID - 1; i++)
        for (int j = 0; j < GRID - 1; j++)
            fprintf(f, "r%d_%d,%d,%d,%d\n", i, j, X0 + 50 + i * 100, Y0 + 50 + j * 100, (i * 7 + j) % 13);
    fclose(f);
    f = open_in("services.csv");
    fprintf(f, "id,x,y,type,name\n");
    static const char *const kinds[] = {"supermarket", "pharmacy", "fuel", "Apoteksombud", "bankomat"};
    for (int k = 0; k < 60; k++)
        fprintf(f, "s%d,%d,%d,%s,Service %d\n", k, X0 + (k * 37 % GRID) * 100 + 10, Y0 + (k * 53 % GRID) * 100 + 10,
                kinds[k % 5], k);
    fclose(f);
    f = open_in("municipalities.csv");
    int x1 = X0 + GRID * 100 + 1000, y1 = Y0 + GRID * 100 + 1000;
    fprintf(f, "wkt,KnKod,KnNamn\n\"POLYGON ((%d %d,%d %d,%d %d,%d %d,%d %d))\",0180,Stockholm\n", X0 - 1000,
            Y0 - 1000, x1, Y0 - 1000, x1, y1, X0 - 1000, y1, X0 - 1000, Y0 - 1000);
    fclose(f);
}

/* The previous results the interrupted runs must leave alone. */
static const char *OLD = "previous results: not a GeoPackage, but any byte change is detected\n";

static void write_old_output(void)
{
    FILE *f = open_in("out.gpkg");
    for (int i = 0; i < 2000; i++)
        fputs(OLD, f);
    fclose(f);
}

static int old_output_intact(void)
{
    char p[4200];
    path_in(p, sizeof p, "out.gpkg");
    FILE *f = fopen(p, "rb");
    if (!f)
        return 0;
    size_t n = strlen(OLD);
    char *buf = malloc(n);
    int ok = 1;
    for (int i = 0; i < 2000 && ok; i++)
        ok = fread(buf, 1, n, f) == n && memcmp(buf, OLD, n) == 0;
    ok = ok && fgetc(f) == EOF;
    free(buf);
    fclose(f);
    return ok;
}

/* Files in the output folder whose name starts with prefix. */
static int count_files(const char *prefix)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

/* cache: NULL, or a --graph-cache file in the folder (its write paused for pause_ms). */
static pid_t start_access_cache(const char *log, const char *cache, int pause_ms)
{
    char out[4200], logp[4200], pop[4200], svc[4200], roads[4200], munis[4200];
    path_in(out, sizeof out, "out.gpkg");
    path_in(logp, sizeof logp, log);
    path_in(pop, sizeof pop, "population.csv");
    path_in(svc, sizeof svc, "services.csv");
    path_in(roads, sizeof roads, "roads.csv");
    path_in(munis, sizeof munis, "municipalities.csv");
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        /* The run is interrupted by the test, not by the terminal. */
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        char cachep[4200], pause[32];
        if (cache) {
            path_in(cachep, sizeof cachep, cache);
            snprintf(pause, sizeof pause, "%d", pause_ms);
            setenv("PLATSA_CACHE_WRITE_PAUSE_MS", pause, 1);
        }
        execl(platsa_bin(), platsa_bin(), "access", "--population", pop, "--services", svc, "--roads", roads,
              "--municipalities", munis, "--assume-crs", "EPSG:3006", "--csv", "--overwrite", "-o", out,
              cache ? "--graph-cache" : (char *)NULL, cachep, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static pid_t start_access(const char *log)
{
    return start_access_cache(log, NULL, 0);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits until the file name (in the folder) exists. Returns 0, or -1 when the process
 * ended first or after 300 s. */
static int wait_for_file(pid_t pid, const char *name)
{
    char tmp[4200];
    path_in(tmp, sizeof tmp, name);
    for (int i = 0; i < 60000; i++) {
        if (access(tmp, F_OK) == 0)
            return 0;
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            print_error("platsa ended (status %d) before writing its output\n", status);
            return -1;
        }
        sleep_ms(5);
    }
    return -1;
}

/* Waits until the run's temporary GeoPackage exists (then it is writing the output). */
static int wait_for_temp(pid_t pid)
{
    char name[256];
    char owner[PL_TEMP_OWNER_MAX];
    snprintf(name, sizeof name, ".out.gpkg.tmp-%s", pl_temp_owner_of((long)pid, owner));
    return wait_for_file(pid, name);
}

static void print_log(const char *log)
{
    char p[4200];
    path_in(p, sizeof p, log);
    FILE *f = fopen(p, "r");
    if (!f)
        return;
    char line[1024];
    while (fgets(line, sizeof line, f))
        print_message("  | %s", line);
    fclose(f);
}

static void remove_cache_files(void)
{
    assert_int_equal(run_cmd("rm -f %s/g.plcache*", dir), 0);
}

/* Interrupts a run with sig while it writes; returns the temporary files left. */
static int interrupt_run(int sig, const char *log)
{
    write_old_output();
    pid_t pid = start_access(log);
    if (wait_for_temp(pid) != 0) {
        print_log(log);
        fail_msg("no temporary output appeared");
    }
    sleep_ms(30);  /* well inside the write, which takes seconds */
    assert_int_equal(kill(pid, sig), 0);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != sig) {
        print_log(log);
        fail_msg("platsa did not die by signal %d (status 0x%x)", sig, status);
    }
    assert_true(old_output_intact());
    assert_int_equal(count_files("out_"), 0);  /* no CSV twin renamed into place */
    return count_files(".out.gpkg.tmp-");
}

static void test_sigint(void **state)
{
    (void)state;
    assert_int_equal(interrupt_run(SIGINT, "sigint.log"), 0);
}

static void test_sigterm(void **state)
{
    (void)state;
    assert_int_equal(interrupt_run(SIGTERM, "sigterm.log"), 0);
}

static void test_sighup(void **state)
{
    (void)state;
    assert_int_equal(interrupt_run(SIGHUP, "sighup.log"), 0);
}

/* SIGKILL: the temporary files stay (nothing can run), the output is untouched, and the
 * next run writing the same output removes them and completes. */
static void test_sigkill_then_rerun(void **state)
{
    (void)state;
    int left = interrupt_run(SIGKILL, "sigkill.log");
    assert_true(left >= 1);
    pid_t pid = start_access("rerun.log");
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        print_log("rerun.log");
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(count_files(".out.gpkg.tmp-"), 0);
    assert_false(old_output_intact());
    char logp[4200];
    path_in(logp, sizeof logp, "rerun.log");
    assert_int_equal(run_cmd("grep -q 'out.gpkg: removed %d temporary file%s left by an earlier run that was "
                             "killed' %s", left, left == 1 ? "" : "s", logp), 0);
    /* The new output is a complete GeoPackage with every unit. */
    char out[4200];
    path_in(out, sizeof out, "out.gpkg");
    assert_int_equal(run_cmd("test \"$(sqlite3 %s 'SELECT COUNT(*) FROM access_cells')\" = %d", out,
                             (GRID - 1) * (GRID - 1)), 0);
    assert_int_equal(count_files("out_access_municipalities_table.csv"), 1);
}

/* ---------- the graph cache's temporary file ---------- */

/* Interrupts a run with sig while it writes its graph cache (paused there for 20 s, so the
 * signal lands inside the write); returns the cache temporaries left. No cache appears. */
static int interrupt_cache_write(int sig, const char *log)
{
    remove_cache_files();
    pid_t pid = start_access_cache(log, "g.plcache", 20000);
    char name[256];
    char owner[PL_TEMP_OWNER_MAX];
    snprintf(name, sizeof name, "g.plcache.tmp%s", pl_temp_owner_of((long)pid, owner));
    if (wait_for_file(pid, name) != 0) {
        print_log(log);
        fail_msg("no temporary cache file appeared");
    }
    assert_int_equal(kill(pid, sig), 0);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != sig) {
        print_log(log);
        fail_msg("platsa did not die by signal %d (status 0x%x)", sig, status);
    }
    assert_int_equal(count_files("g.plcache.tmp"), sig == SIGKILL ? 1 : 0);
    /* No cache renamed into place (the inputs' kept hashes, g.plcache.hashes, are a file of
     * their own, complete when present; a temporary of it only after SIGKILL). */
    if (sig != SIGKILL)
        assert_int_equal(count_files("g.plcache.hashes.tmp"), 0);
    assert_int_equal(count_files("g.plcache") - count_files("g.plcache.hashes"), count_files("g.plcache.tmp"));
    return count_files("g.plcache.tmp");
}

static void test_cache_write_sigterm(void **state)
{
    (void)state;
    assert_int_equal(interrupt_cache_write(SIGTERM, "cache-sigterm.log"), 0);
}

static void test_cache_write_sigint(void **state)
{
    (void)state;
    assert_int_equal(interrupt_cache_write(SIGINT, "cache-sigint.log"), 0);
}

/* SIGKILL: the temporary stays; the next run using the cache removes it and says so. */
static void test_cache_write_sigkill_then_rerun(void **state)
{
    (void)state;
    assert_int_equal(interrupt_cache_write(SIGKILL, "cache-sigkill.log"), 1);
    pid_t pid = start_access_cache("cache-rerun.log", "g.plcache", 0);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        print_log("cache-rerun.log");
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(count_files("g.plcache.tmp"), 0);
    assert_int_equal(count_files("g.plcache") - count_files("g.plcache.hashes"), 1);
    assert_int_equal(count_files("g.plcache.hashes.tmp"), 0);
    char logp[4200];
    path_in(logp, sizeof logp, "cache-rerun.log");
    assert_int_equal(run_cmd("grep -q 'g.plcache: removed 1 temporary file left by an earlier run that was killed' %s",
                             logp), 0);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s", scratch_dir("interrupt"));
    make_inputs();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigint),
        cmocka_unit_test(test_sigterm),
        cmocka_unit_test(test_sighup),
        cmocka_unit_test(test_sigkill_then_rerun),
        cmocka_unit_test(test_cache_write_sigterm),
        cmocka_unit_test(test_cache_write_sigint),
        cmocka_unit_test(test_cache_write_sigkill_then_rerun),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
