/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The public library API (include/platsa.h, issue #20): every command's opts_init gives what
 * parsing an empty command line gives; out-of-memory inside pl_<cmd>_run is an error the
 * caller gets, with no temporary left behind, not the end of the process. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "include/platsa.h"
#include "support/testutil.h"

/* The dispatcher's table of commands (every command the CLI has), with the two functions of
 * cli/main.c it calls. */
#include "../cli/commands.c"
const char *cli_command_line(void) { return "test"; }

/* The options' values in a and b are the same, option by option (lists by their items). */
static void assert_same_options(const char *cmd, const pl_option *table, const void *a, const void *b)
{
    for (const pl_option *o = table; o->name; o++) {
        const char *fa = (const char *)a + o->offset, *fb = (const char *)b + o->offset;
        int same = 1;
        switch (o->kind) {
        case PL_OPT_STRING: {
            const char *sa = *(const char *const *)fa, *sb = *(const char *const *)fb;
            same = (!sa && !sb) || (sa && sb && !strcmp(sa, sb));
            break;
        }
        case PL_OPT_INT:
        case PL_OPT_FLAG:
            same = *(const int *)fa == *(const int *)fb;
            break;
        case PL_OPT_DOUBLE:
            same = !memcmp(fa, fb, sizeof(double));
            break;
        case PL_OPT_DOUBLES: {
            const pl_doubles *la = (const pl_doubles *)fa, *lb = (const pl_doubles *)fb;
            same = la->n == lb->n && !memcmp(la->v, lb->v, (size_t)la->n * sizeof la->v[0]);
            break;
        }
        case PL_OPT_STRINGS: {
            const pl_strings *la = (const pl_strings *)fa, *lb = (const pl_strings *)fb;
            same = la->n == lb->n;
            for (int i = 0; same && i < la->n; i++)
                same = !strcmp(la->v[i], lb->v[i]);
            break;
        }
        }
        if (!same)
            fail_msg("platsa %s --%s: pl_%s_opts_init differs from parsing an empty command line", cmd, o->name,
                     cmd);
    }
}

static void test_opts_init_equals_parsing_no_options(void **state)
{
    (void)state;
    assert_true(cli_n_commands >= 12);
    for (size_t k = 0; k < cli_n_commands; k++) {
        const cli_command *c = &cli_commands[k];
        void *init = calloc(1, c->opts_size), *parsed = calloc(1, c->opts_size);
        assert_non_null(init);
        assert_non_null(parsed);
        memset(init, 0x5a, c->opts_size);  /* opts_init must set every byte it owns */
        assert_int_equal(c->init(init), PL_OK);
        char *argv[] = {(char *)c->name};
        char *pos[CLI_MAX_POS];
        int n_pos = 0;
        pl_error err = {0};
        int rc = pl_options_parse(c->options, parsed, 1, argv, pos, c->max_pos, &n_pos, &err);
        assert_true(rc == PL_OK || rc == PL_EINPUT);  /* EINPUT: a required option is missing */
        assert_same_options(c->name, c->options, init, parsed);
        /* Fields outside the table (set by the caller, e.g. report's input) start zeroed. */
        pl_options_free(c->options, init);
        pl_options_free(c->options, parsed);
        for (const pl_option *o = c->options; o->name; o++)  /* lists compared above, now freed */
            if (o->kind == PL_OPT_STRINGS) {
                memset((char *)init + o->offset, 0, sizeof(pl_strings));
                memset((char *)parsed + o->offset, 0, sizeof(pl_strings));
            }
        for (const pl_option *o = c->options; o->name; o++)  /* strings: compared by value above */
            if (o->kind == PL_OPT_STRING) {
                memset((char *)init + o->offset, 0, sizeof(const char *[1]));
                memset((char *)parsed + o->offset, 0, sizeof(const char *[1]));
            }
        if (memcmp(init, parsed, c->opts_size) != 0)
            fail_msg("platsa %s: pl_%s_opts_init leaves a field outside the table other than zero", c->name,
                     c->name);
        free(init);
        free(parsed);
    }
}

/* Parsing after opts_init gives the same as parsing alone: the CLI does both, so the defaults
 * are applied twice; a list option's default must not be doubled (no command's list has a
 * default yet: a table of the test's own). */
typedef struct list_opts {
    pl_strings kinds;
    double speed;
} list_opts;

static const pl_option list_table[] = {
    {"kinds", 0, PL_OPT_STRINGS, offsetof(list_opts, kinds), "K,...", "park,forest", "kinds", 0, PL_NO_RANGE},
    {"speed", 0, PL_OPT_DOUBLE, offsetof(list_opts, speed), "KM/H", "5", "speed", 0, PL_GT(0)},
    PL_OPT_END,
};

static void test_defaults_twice_are_defaults_once(void **state)
{
    (void)state;
    list_opts twice = {0}, once = {0};
    pl_error err = {0};
    assert_int_equal(pl_options_defaults(list_table, &twice, &err), PL_OK);
    char *argv[] = {"test"};
    char *pos[1];
    int n_pos = 0;
    assert_int_equal(pl_options_parse(list_table, &twice, 1, argv, pos, 0, &n_pos, &err), PL_OK);
    assert_int_equal(pl_options_parse(list_table, &once, 1, argv, pos, 0, &n_pos, &err), PL_OK);
    assert_int_equal(twice.kinds.n, 2);
    assert_same_options("test", list_table, &twice, &once);
    pl_options_free(list_table, &twice);
    pl_options_free(list_table, &once);
}

/* ---------------------------------------------------------------- out of memory */

/* Under AddressSanitizer (make test-asan) a failed allocation returns NULL, as without it,
 * instead of ending the test. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "allocator_may_return_null=1"; }

static int huge_allocation(void *arg)
{
    (void)arg;
    char *p = pl_malloc(SIZE_MAX / 2);  /* no machine has this: unwinds to the guard */
    p[0] = 1;
    free(p);
    return PL_OK;
}

static int nested_guard(void *arg)
{
    pl_error inner = {0};
    int rc = pl_oom_guard(huge_allocation, NULL, NULL, &inner);
    *(int *)arg = rc;
    void *p = pl_malloc(64);  /* the outer guard still holds, allocating still works */
    free(p);
    return rc == PL_EINTERNAL ? PL_OK : PL_EINTERNAL;
}

static void test_out_of_memory_is_an_error(void **state)
{
    (void)state;
    pl_error err = {0};
    assert_int_equal(pl_oom_guard(huge_allocation, NULL, NULL, &err), PL_EINTERNAL);
    assert_non_null(strstr(err.msg, "out of memory allocating"));
    int inner = -1;
    pl_error_clear(&err);
    assert_int_equal(pl_oom_guard(nested_guard, &inner, NULL, &err), PL_OK);
    assert_int_equal(inner, PL_EINTERNAL);
}

/* A run unwound on out-of-memory leaks what it held (gis/ctx.h says so), on its worker threads
 * too: the failing runs go in a child process that ends with _exit, so LeakSanitizer (make
 * test-asan) does not count what was leaked on purpose. The child's status: 0 when every check
 * held, else 1 after a message on stderr. */
static void in_child(void (*body)(void))
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        body();
        fflush(NULL);
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* In the child: a failed check ends it with status 1. */
#define CHILD_CHECK(cond, ...)                      \
    do {                                            \
        if (!(cond)) {                              \
            fprintf(stderr, "ERROR: " __VA_ARGS__); \
            fputc('\n', stderr);                    \
            fflush(NULL);                           \
            _exit(1);                               \
        }                                           \
    } while (0)

/* Files in dir other than . and .. */
static int n_files(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

/* pl_access_run on the Södermalm sample with the k-th allocation failing, for k growing until
 * the run gets through: every failure is PL_EINTERNAL "out of memory", leaves no file in the
 * output folder, and the next run works. */
static void access_failing_allocations(void)
{
    const char *dir = scratch_dir("api_oom");
    char out[600];
    snprintf(out, sizeof out, "%s/access.gpkg", dir);
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_access_opts o;
    CHILD_CHECK(pl_access_opts_init(&o) == PL_OK, "pl_access_opts_init");
    o.population = "sample-data/sodermalm/population.gpkg:population";
    o.services = "sample-data/sodermalm/layers.gpkg:services";
    o.roads = "sample-data/sodermalm/layers.gpkg:roads";
    o.municipalities = "sample-data/sodermalm/kommuner.gpkg";
    o.mode = "walk";
    o.output = out;
    o.csv = 1;
    o.overwrite = 1;
    int n_failed = 0, rc = PL_EINTERNAL;
    for (long k = 1; rc != PL_OK; k = k * 5 / 2 + 1) {
        CHILD_CHECK(k < 100000000, "access never got through");
        pl_error err = {0};
        pl_alloc_fail_after(k);
        rc = pl_access_run(ctx, &o, "test", &err);
        pl_alloc_fail_after(0);
        if (rc == PL_OK)
            break;
        CHILD_CHECK(rc == PL_EINTERNAL && strstr(err.msg, "out of memory"), "allocation %ld failing: rc %d, %s", k,
                    rc, err.msg);
        CHILD_CHECK(n_files(dir) == 0, "allocation %ld failing: %d files left in %s", k, n_files(dir), dir);
        n_failed++;
    }
    fprintf(stderr, "access: %d failures before it got through\n", n_failed);
    CHILD_CHECK(n_failed >= 8, "only %d failures: the failing allocations did not fall along the run", n_failed);
    CHILD_CHECK(file_exists(out), "no output after the run that got through");
}

static void test_access_run_survives_out_of_memory(void **state)
{
    (void)state;
    in_child(access_failing_allocations);
}

/* The same with the k-th allocation on the worker threads failing (the roads thread, the
 * search workers): their guards make it the run's error after the join. */
static void access_failing_allocations_on_workers(void)
{
    const char *dir = scratch_dir("api_oom_workers");
    char out[600];
    snprintf(out, sizeof out, "%s/access.gpkg", dir);
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_access_opts o;
    CHILD_CHECK(pl_access_opts_init(&o) == PL_OK, "pl_access_opts_init");
    o.population = "sample-data/sodermalm/population.gpkg:population";
    o.services = "sample-data/sodermalm/layers.gpkg:services";
    o.roads = "sample-data/sodermalm/layers.gpkg:roads";
    o.municipalities = "sample-data/sodermalm/kommuner.gpkg";
    o.mode = "walk";
    o.output = out;
    o.overwrite = 1;
    int n_failed = 0, rc = PL_EINTERNAL;
    for (long k = 1; rc != PL_OK; k = k * 2 + 1) {
        CHILD_CHECK(k < 100000000, "access never got through");
        pl_error err = {0};
        pl_alloc_fail_on_workers_after(k);
        rc = pl_access_run(ctx, &o, "test", &err);
        pl_alloc_fail_on_workers_after(0);
        if (rc == PL_OK)
            break;
        CHILD_CHECK(rc == PL_EINTERNAL && strstr(err.msg, "out of memory"), "allocation %ld failing: rc %d, %s", k,
                    rc, err.msg);
        CHILD_CHECK(n_files(dir) == 0, "allocation %ld failing: %d files left in %s", k, n_files(dir), dir);
        n_failed++;
    }
    fprintf(stderr, "access, on workers: %d failures before it got through\n", n_failed);
    CHILD_CHECK(n_failed >= 5, "only %d failures: the failing allocations did not fall along the run", n_failed);
    CHILD_CHECK(file_exists(out), "no output after the run that got through");
}

static void test_access_run_survives_out_of_memory_on_workers(void **state)
{
    (void)state;
    in_child(access_failing_allocations_on_workers);
}

/* The same for route, which had unchecked mallocs in cli/ before. */
static void route_failing_allocations(void)
{
    const char *dir = scratch_dir("api_oom_route");
    char dump[600];
    snprintf(dump, sizeof dump, "%s/pairs.csv", dir);
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_route_opts o;
    CHILD_CHECK(pl_route_opts_init(&o) == PL_OK, "pl_route_opts_init");
    o.roads = "sample-data/sodermalm/layers.gpkg:roads";
    o.mode = "walk";
    o.dump_pairs = dump;
    o.pairs = 20;
    FILE *devnull = fopen("/dev/null", "w");
    int n_failed = 0, rc = PL_EINTERNAL;
    for (long k = 1; rc != PL_OK; k = k * 2 + 1) {
        CHILD_CHECK(k < 100000000, "route never got through");
        pl_error err = {0};
        pl_alloc_fail_after(k);
        rc = pl_route_run(ctx, &o, devnull, &err);
        pl_alloc_fail_after(0);
        if (rc == PL_OK)
            break;
        CHILD_CHECK(rc == PL_EINTERNAL && strstr(err.msg, "out of memory"), "allocation %ld failing: rc %d, %s", k,
                    rc, err.msg);
        CHILD_CHECK(n_files(dir) == 0, "allocation %ld failing: %d files left in %s", k, n_files(dir), dir);
        n_failed++;
    }
    fprintf(stderr, "route: %d failures before it got through\n", n_failed);
    CHILD_CHECK(n_failed >= 4, "only %d failures: the failing allocations did not fall along the run", n_failed);
    CHILD_CHECK(file_exists(dump), "no dump after the run that got through");
}

static void test_route_run_survives_out_of_memory(void **state)
{
    (void)state;
    in_child(route_failing_allocations);
}

int main(void)
{
    pl_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opts_init_equals_parsing_no_options),
        cmocka_unit_test(test_defaults_twice_are_defaults_once),
        cmocka_unit_test(test_out_of_memory_is_an_error),
        cmocka_unit_test(test_access_run_survives_out_of_memory),
        cmocka_unit_test(test_access_run_survives_out_of_memory_on_workers),
        cmocka_unit_test(test_route_run_survives_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
