/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The legends the analyses give their layers (analyses/common/legend.c and the commands'
 * *_styles.c): labels a Swedish planner reads that say exactly the range QGIS draws
 * (lower < v <= upper, the first class from its lower limit), colours, style names within
 * QGIS's 30 characters. make test-qgis reads the same legends back through real QGIS. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analyses/common/legend.h"
#include "analyses/access/access_styles.h"
#include "analyses/classify/classify_styles.h"
#include "analyses/coverage/coverage_styles.h"
#include "analyses/green/green_styles.h"
#include "analyses/population/population_styles.h"
#include "analyses/scenario/scenario_styles.h"
#include "analyses/stores/stores_styles.h"
#include "analyses/synth/synth_styles.h"

#define NBSP "\xc2\xa0"

static void assert_labels(const pl_style *st, const char *const *want, int n)
{
    assert_int_equal(st->n_classes, n);
    for (int i = 0; i < n; i++)
        assert_string_equal(st->classes[i].label, want[i]);
}

static void test_number(void **state)
{
    (void)state;
    char b[64];
    pl_legend_number(b, sizeof b, 0.5);
    assert_string_equal(b, "0,5");
    pl_legend_number(b, sizeof b, 1000);
    assert_string_equal(b, "1" NBSP "000");
    pl_legend_number(b, sizeof b, 250);
    assert_string_equal(b, "250");
    pl_legend_number(b, sizeof b, -12345.25);
    assert_string_equal(b, "-12" NBSP "345,25");
    pl_legend_number(b, sizeof b, 0.05 * 100);  /* 5.000000000000001 */
    assert_string_equal(b, "5");
}

static void test_bands_km(void **state)
{
    (void)state;
    static const double km[] = {5, 10, 20, 30};
    pl_legend lg;
    const pl_style *st = pl_legend_bands(&lg, "grocery_km", km, 4, "km", PL_RAMP_NEAR_FAR, 0, "ej nåbar", "x");
    static const char *want[] = {"högst 5 km", "5–10 km", "10–20 km", "20–30 km", "mer än 30 km"};
    assert_labels(st, want, 5);
    assert_int_equal(st->kind, PL_STYLE_GRADUATED);
    assert_string_equal(st->null_label, "ej nåbar");
    /* The ranges QGIS draws: [0, 5], (5, 10], ..., (30, open). */
    assert_true(st->classes[0].lower == 0 && st->classes[0].upper == 5);
    assert_true(st->classes[1].lower == 5 && st->classes[1].upper == 10);
    assert_true(st->classes[4].lower == 30 && st->classes[4].upper >= PL_STYLE_OPEN);
    /* Green first, red last. */
    assert_int_equal(st->classes[0].color.g, 150);
    assert_int_equal(st->classes[4].color.r, 215);
}

static void test_bands_percent_and_open_below(void **state)
{
    (void)state;
    pl_legend lg;
    static const char *share[] = {"högst 5 %", "5–10 %", "10–25 %", "25–50 %", "mer än 50 %"};
    assert_labels(pl_classify_style_municipalities(&lg), share, 5);
    assert_true(lg.cls[3].lower == 0.25 && lg.cls[3].upper == 0.5);  /* values stay shares */
    /* A change below the first limit is drawn: the first class is open downwards. */
    const pl_style *d = pl_scenario_style_delta(&lg, "grocery_d_min");
    assert_true(d->classes[0].lower <= -PL_STYLE_OPEN && d->classes[0].upper == -5);
    assert_string_equal(d->classes[0].label, "minst 5 min kortare");
    assert_string_equal(d->classes[5].label, "mer än 5 min längre");
    assert_string_equal(d->null_label, "ny eller ej nåbar");
}

static void test_counts_and_names(void **state)
{
    (void)state;
    pl_legend lg;
    static const char *level[] = {"0 typer", "1 typ", "2 typer", "alla 3 typer"};
    assert_labels(pl_access_style_service_level(&lg, 3), level, 4);
    static const char *one[] = {"0 typer", "1 typ"};
    assert_labels(pl_access_style_service_level(&lg, 1), one, 2);
    static const char *rules[] = {"regler uppfyllda: 0", "regler uppfyllda: 1", "regler uppfyllda: 2",
                                  "regler uppfyllda: 3"};
    assert_labels(pl_green_style_buildings(&lg), rules, 4);
    static const char *classes[] = {"tätort", "tätortsnära landsbygd", "landsbygd avlägset belägen"};
    assert_labels(pl_classify_style_cells(&lg, 0), classes, 3);
    static const char *transit_classes[] = {"tätort", "tätortsnära landsbygd", "landsbygd avlägset belägen",
                                            "ingen förbindelse inom fönstret"};
    assert_labels(pl_classify_style_cells(&lg, 1), transit_classes, 4);
    const pl_style *pf = pl_green_style_neighbourhoods(&lg, 30);
    assert_int_equal(pf->kind, PL_STYLE_CATEGORIZED);
    assert_int_equal(pf->classes[0].value, 1);
    assert_string_equal(pf->classes[0].label, "krontäckning minst 30 %");
    assert_string_equal(pf->classes[1].label, "krontäckning under 30 %");
    const pl_style *cov = pl_coverage_style_cells(&lg);
    assert_string_equal(cov->classes[0].label, "täckt");
    assert_string_equal(cov->classes[1].label, "ej täckt");
    static const char *prio[] = {"ingen", "högst 10 inv.", "10–50 inv.", "50–200 inv.", "200–1" NBSP "000 inv.",
                                 "mer än 1" NBSP "000 inv."};
    assert_labels(pl_stores_style_priority(&lg, "pop_beyond_30min"), prio, 6);
}

/* Uncovered clusters need attention whatever their size: no class is green. */
static void test_clusters_not_green(void **state)
{
    (void)state;
    pl_legend lg;
    const pl_style *st = pl_coverage_style_clusters(&lg);
    for (int i = 0; i < st->n_classes; i++) {
        pl_rgb c = st->classes[i].color;
        assert_false(c.g > c.r && c.g > c.b);
    }
}

/* Every style's name fits QGIS's styleName TEXT(30) (characters) and is not "platsa ...". */
static void test_style_names_fit(void **state)
{
    (void)state;
    static const double b[] = {1, 2};
    pl_legend lg;
    /* Names are literals: each outlives the legend rewritten by the next call. */
    const char *names[] = {
        pl_access_style_distance(&lg, "f", b, 2, 0)->name, pl_access_style_distance(&lg, "f", b, 2, 1)->name,
        pl_access_style_service_level(&lg, 3)->name,       pl_access_style_service_areas(&lg, b, 2)->name,
        pl_classify_style_cells(&lg, 0)->name,                pl_classify_style_municipalities(&lg)->name,
        pl_coverage_style_cells(&lg)->name,                pl_coverage_style_clusters(&lg)->name,
        pl_coverage_style_new_hubs(&lg)->name,             pl_coverage_style_municipalities(&lg)->name,
        pl_green_style_buildings(&lg)->name,               pl_green_style_neighbourhoods(&lg, 30)->name,
        pl_stores_style_priority(&lg, "f")->name,          pl_stores_style_catchments(&lg, b, 2)->name,
        pl_scenario_style_delta(&lg, "f")->name,           pl_population_style_buildings(&lg)->name,
        pl_synth_style_population(&lg)->name,
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *n = names[i];
        size_t chars = 0;
        for (const char *p = n; *p; p++)
            chars += ((unsigned char)*p & 0xC0) != 0x80;
        if (chars > 30 || strncmp(n, "platsa ", 7) == 0)
            fail_msg("style name '%s' (%zu characters)", n, chars);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_number),
        cmocka_unit_test(test_bands_km),
        cmocka_unit_test(test_bands_percent_and_open_below),
        cmocka_unit_test(test_counts_and_names),
        cmocka_unit_test(test_clusters_not_green),
        cmocka_unit_test(test_style_names_fit),
    };
    return cmocka_run_group_tests_name("legends", tests, NULL, NULL);
}
