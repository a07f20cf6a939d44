/* Core context and option tables. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "../gis/ctx.h"
#include "../gis/options.h"

typedef struct demo_opts {
    const char *out;
    double max_snap;
    int overwrite;
    int k;
    pl_doubles bands;
    pl_strings types;
} demo_opts;

static const pl_option demo_table[] = {
    {"output", 'o', PL_OPT_STRING, offsetof(demo_opts, out), "FILE", NULL, "output", 1, PL_NO_RANGE},
    {"max-snap", 0, PL_OPT_DOUBLE, offsetof(demo_opts, max_snap), "M", "1000", "snap", 0, PL_NO_RANGE},
    {"overwrite", 0, PL_OPT_FLAG, offsetof(demo_opts, overwrite), NULL, NULL, "replace", 0, PL_NO_RANGE},
    {"k", 0, PL_OPT_INT, offsetof(demo_opts, k), "N", "2", "k", 0, PL_NO_RANGE},
    {"bands-km", 0, PL_OPT_DOUBLES, offsetof(demo_opts, bands), "KM,...", "5,10,20,30", "bands", 0, PL_NO_RANGE},
    {"types", 0, PL_OPT_STRINGS, offsetof(demo_opts, types), "T,...", "grocery,fuel", "types", 0, PL_NO_RANGE},
    PL_OPT_END,
};

static void test_options_defaults_and_values(void **state)
{
    (void)state;
    demo_opts o;
    memset(&o, 0, sizeof o);
    char *argv[] = {"demo", "-o", "x.gpkg", "in.gpkg", "--bands-km=1,2.5", "--types", "pharmacy", "--overwrite"};
    char *pos[4];
    int npos = 0;
    pl_error err = {0};
    assert_int_equal(pl_options_parse(demo_table, &o, 8, argv, pos, 4, &npos, &err), PL_OK);
    assert_string_equal(o.out, "x.gpkg");
    assert_int_equal(npos, 1);
    assert_string_equal(pos[0], "in.gpkg");
    assert_true(o.max_snap == 1000.0);
    assert_int_equal(o.k, 2);
    assert_int_equal(o.overwrite, 1);
    assert_int_equal(o.bands.n, 2);
    assert_true(o.bands.v[1] == 2.5);
    /* A list given on the command line replaces its default. */
    assert_int_equal(o.types.n, 1);
    assert_string_equal(o.types.v[0], "pharmacy");
    pl_options_free(demo_table, &o);
}

static void test_options_errors(void **state)
{
    (void)state;
    demo_opts o;
    pl_error err = {0};
    char *pos[1];
    int npos;
    memset(&o, 0, sizeof o);
    char *missing[] = {"demo"};
    assert_int_equal(pl_options_parse(demo_table, &o, 1, missing, pos, 1, &npos, &err), PL_EINPUT);
    assert_string_equal(err.msg, "option --output is required; see --help");
    pl_options_free(demo_table, &o);

    memset(&o, 0, sizeof o);
    char *bad_number[] = {"demo", "-o", "x", "--max-snap", "12km"};
    assert_int_equal(pl_options_parse(demo_table, &o, 5, bad_number, pos, 1, &npos, &err), PL_EINPUT);
    assert_string_equal(err.msg, "--max-snap: '12km' is not a number");
    pl_options_free(demo_table, &o);

    memset(&o, 0, sizeof o);
    char *unknown[] = {"demo", "--nope"};
    assert_int_equal(pl_options_parse(demo_table, &o, 2, unknown, pos, 1, &npos, &err), PL_EINPUT);
    assert_string_equal(err.msg, "unknown option '--nope'; see --help");
    pl_options_free(demo_table, &o);

    memset(&o, 0, sizeof o);
    char *help[] = {"demo", "--help"};
    assert_int_equal(pl_options_parse(demo_table, &o, 2, help, pos, 1, &npos, &err), -1);
    pl_options_free(demo_table, &o);
}

static void test_warnings_are_counted_by_kind(void **state)
{
    (void)state;
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_warn(ctx, "outside", "feature %d outside", 1);
    pl_warn(ctx, "outside", "feature %d outside", 2);
    pl_warn(ctx, "invalid", "repaired");
    assert_int_equal(pl_warn_count(ctx, "outside"), 2);
    assert_int_equal(pl_warn_count(ctx, "invalid"), 1);
    assert_int_equal(pl_warn_count(ctx, "none"), 0);
    assert_int_equal(pl_warn_total(ctx), 3);
    assert_string_equal(ctx->warnings[0].first_msg, "feature 1 outside");
    pl_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options_defaults_and_values),
        cmocka_unit_test(test_options_errors),
        cmocka_unit_test(test_warnings_are_counted_by_kind),
    };
    return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
