/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Service types as data: the shipped share/service_types.ini and user files over it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layers/service_types.h"
#include "support/testutil.h"

static pl_ctx *ctx;

static int setup(void **state)
{
    (void)state;
    ctx = pl_ctx_new();
    ctx->quiet = 1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    pl_ctx_free(ctx);
    return 0;
}

static void test_shipped_types(void **state)
{
    (void)state;
    pl_error err = {0};
    pl_service_types *t = pl_service_types_load(ctx, NULL, &err);
    assert_non_null(t);
    assert_string_equal(err.msg, "");
    assert_int_equal(t->n, 12);
    static const char *const keys[] = {"grocery_full", "grocery_partial", "grocery", "fuel", "pharmacy",
                                       "parcel_post", "parcel_locker", "parcel_any", "cash", "ev_charging",
                                       "biogas", "hydrogen"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        assert_true(pl_service_types_find(t, keys[i]) >= 0);
    int full = pl_service_types_find(t, "grocery_full");
    int partial = pl_service_types_find(t, "grocery_partial");
    int grocery = pl_service_types_find(t, "grocery");
    int pharmacy = pl_service_types_find(t, "pharmacy");
    int locker = pl_service_types_find(t, "parcel_locker");
    int post = pl_service_types_find(t, "parcel_post");
    int any = pl_service_types_find(t, "parcel_any");
    int h2 = pl_service_types_find(t, "hydrogen");

    assert_string_equal(t->t[full].label_sv, "Dagligvaror, fullsortiment");
    assert_string_equal(t->t[pharmacy].label_en, "Pharmacy and pharmacy agent");
    /* Values match ignoring case (also Å/Ä/Ö), '_', '-', ',' and extra spaces. */
    assert_int_equal(pl_service_types_match_value(t, "supermarket"), full);
    assert_int_equal(pl_service_types_match_value(t, "Dagligvaror, fullsortiment"), full);
    assert_int_equal(pl_service_types_match_value(t, "  DAGLIGVAROR   Fullsortiment "), full);
    assert_int_equal(pl_service_types_match_value(t, "Livsmedelsbutik"), full);
    assert_int_equal(pl_service_types_match_value(t, "dagligvaror delsortiment"), partial);
    assert_int_equal(pl_service_types_match_value(t, "Kiosk"), partial);
    assert_int_equal(pl_service_types_match_value(t, "Apoteksombud"), pharmacy);
    assert_int_equal(pl_service_types_match_value(t, "pharmacy_agent"), pharmacy);
    assert_int_equal(pl_service_types_match_value(t, "APOTEK"), pharmacy);
    assert_int_equal(pl_service_types_match_value(t, "Postombud"), post);
    assert_int_equal(pl_service_types_match_value(t, "post_office"), post);
    assert_int_equal(pl_service_types_match_value(t, "PAKETSKÅP"), locker);
    assert_int_equal(pl_service_types_match_value(t, "Betaltjänst"), pl_service_types_find(t, "cash"));
    assert_int_equal(pl_service_types_match_value(t, "ATM"), pl_service_types_find(t, "cash"));
    assert_int_equal(pl_service_types_match_value(t, "Laddstation"), pl_service_types_find(t, "ev_charging"));
    assert_int_equal(pl_service_types_match_value(t, "charging_station"), pl_service_types_find(t, "ev_charging"));
    assert_int_equal(pl_service_types_match_value(t, "Vätgas"), h2);
    assert_int_equal(pl_service_types_match_value(t, "VÄTGAS"), h2);
    assert_int_equal(pl_service_types_match_value(t, "Drivmedel"), pl_service_types_find(t, "fuel"));
    assert_int_equal(pl_service_types_match_value(t, "clinic"), -1);
    assert_int_equal(pl_service_types_match_value(t, ""), -1);
    /* OSM selectors. */
    assert_int_equal(pl_service_types_match_tag(t, "amenity", "pharmacy"), pharmacy);
    assert_int_equal(pl_service_types_match_tag(t, "healthcare", "pharmacy"), pharmacy);
    assert_int_equal(pl_service_types_match_tag(t, "amenity", "parcel_locker"), locker);
    assert_int_equal(pl_service_types_match_tag(t, "shop", "convenience"), partial);
    assert_int_equal(pl_service_types_match_tag(t, "amenity", "clinic"), -1);
    /* Groups. */
    assert_true(pl_service_types_is_group(t, grocery));
    assert_false(pl_service_types_is_group(t, full));
    assert_true(pl_service_types_counts_for(t, grocery, full));
    assert_true(pl_service_types_counts_for(t, grocery, partial));
    assert_false(pl_service_types_counts_for(t, grocery, pharmacy));
    assert_false(pl_service_types_counts_for(t, full, partial));
    assert_true(pl_service_types_counts_for(t, any, locker));
    assert_true(pl_service_types_counts_for(t, any, post));
    assert_false(pl_service_types_counts_for(t, post, locker));
    /* RSP set and bands. */
    assert_int_equal(t->t[full].rsp, 1);
    assert_int_equal(t->t[grocery].rsp, 1);
    assert_int_equal(t->t[locker].rsp, 0);
    assert_int_equal(t->t[any].rsp, 0);
    assert_int_equal(t->t[pharmacy].n_bands_km, 4);
    assert_true(t->t[pharmacy].bands_km[0] == 5 && t->t[pharmacy].bands_km[3] == 30);
    assert_int_equal(t->t[pharmacy].n_bands_min, 4);
    assert_true(t->t[pharmacy].bands_min[0] == 10 && t->t[pharmacy].bands_min[3] == 45);
    assert_true(t->t[h2].bands_km[t->t[h2].n_bands_km - 1] == 150);
    pl_service_types_free(t);
}

static void test_user_file_adds_and_overrides(void **state)
{
    (void)state;
    const char *dir = scratch_dir("service_types_user");
    const char *path = write_text_file(dir, "region.ini",
                                  "; Region Örebro län\n"
                                  "[pharmacy]\n"
                                  "bands_km = 2, 4\n"
                                  "add_values = Apotek Hjärtat, Kronans Apotek\n"
                                  "\n"
                                  "[servicepunkt]\n"
                                  "label_sv = Servicepunkt\n"
                                  "values = servicepunkt, servicehubb,\n"
                                  "    service hub\n"
                                  "rsp = yes\n"
                                  "[grocery]\n"
                                  "bands_min = 30\n");
    pl_error err = {0};
    pl_service_types *t = pl_service_types_load(ctx, path, &err);
    assert_non_null(t);
    assert_int_equal(t->n, 13);
    int pharmacy = pl_service_types_find(t, "pharmacy");
    int sp = pl_service_types_find(t, "servicepunkt");
    assert_int_equal(sp, 12);
    assert_int_equal(t->t[pharmacy].n_bands_km, 2);
    assert_true(t->t[pharmacy].bands_km[1] == 4);
    assert_int_equal(t->t[pharmacy].n_bands_min, 4); /* not given: kept */
    assert_int_equal(pl_service_types_match_value(t, "Apotek Hjärtat"), pharmacy);
    assert_int_equal(pl_service_types_match_value(t, "apoteksombud"), pharmacy); /* shipped value kept */
    assert_int_equal(pl_service_types_match_value(t, "Service hub"), sp);
    assert_int_equal(pl_service_types_match_value(t, "SERVICEHUBB"), sp);
    assert_string_equal(t->t[sp].label_sv, "Servicepunkt");
    assert_string_equal(t->t[sp].label_en, "servicepunkt");
    assert_int_equal(t->t[sp].rsp, 1);
    assert_int_equal(t->t[sp].n_bands_km, 4); /* from [defaults] */
    int grocery = pl_service_types_find(t, "grocery");
    assert_int_equal(t->t[grocery].n_bands_min, 1);
    assert_true(pl_service_types_counts_for(t, grocery, pl_service_types_find(t, "grocery_full")));
    pl_service_types_free(t);

    /* values = replaces the shipped list. */
    path = write_text_file(dir, "replace.ini", "[pharmacy]\nvalues = apotek\n");
    t = pl_service_types_load(ctx, path, &err);
    assert_non_null(t);
    assert_int_equal(pl_service_types_match_value(t, "apotek"), pl_service_types_find(t, "pharmacy"));
    assert_int_equal(pl_service_types_match_value(t, "apoteksombud"), -1);
    pl_service_types_free(t);
}

static void expect_error(const char *dir, const char *name, const char *text, const char *message_fmt)
{
    const char *path = write_text_file(dir, name, text);
    char expected[8192];
    snprintf(expected, sizeof expected, message_fmt, path);
    pl_error err = {0};
    pl_service_types *t = pl_service_types_load(ctx, path, &err);
    assert_null(t);
    assert_int_equal(err.code, PL_EINPUT);
    assert_string_equal(err.msg, expected);
}

static void test_bad_files(void **state)
{
    (void)state;
    const char *dir = scratch_dir("service_types_bad");
    expect_error(dir, "syntax.ini", "[fuel]\nlabel_sv = Drivmedel\nthis line has no equals sign\n",
                 "%s:3: cannot parse the line; expected [type] or key = value");
    expect_error(dir, "key.ini", "# comment\n[fuel]\nbandz_km = 5\n",
                 "%s:3: unknown key 'bandz_km' in [fuel]; keys are label_sv, label_en, values, add_values, osm, "
                 "add_osm, includes, bands_km, bands_min, rsp");
    expect_error(dir, "bands.ini", "[fuel]\n\nbands_km = 5, 3\n",
                 "%s:3: bands_km '5, 3' in [fuel] is not an increasing list of positive numbers");
    expect_error(dir, "section.ini", "[Fuel Station]\nvalues = x\n",
                 "%s:2: [Fuel Station] is not a valid type key; use lower-case letters, digits and '_'");
    expect_error(dir, "rsp.ini", "[fuel]\nrsp = maybe\n", "%s:2: rsp 'maybe' in [fuel] must be 1 or 0");
    expect_error(dir, "nosection.ini", "values = x\n",
                 "%s:1: 'values' comes before any [type] section; start with [key]");
    expect_error(dir, "osm.ini", "[fuel]\nosm = amenity\n", "%s:2: osm selector 'amenity' in [fuel] is not key=value");

    /* Errors found after reading name both files. */
    const char *path = write_text_file(dir, "dup.ini", "[fuel]\nadd_values = kiosk\n");
    pl_error err = {0};
    assert_null(pl_service_types_load(ctx, path, &err));
    char shipped[4096];
    snprintf(shipped, sizeof shipped, "%s/share/service_types.ini", PLATSA_SOURCE_DIR);
    char expected[9000];
    snprintf(expected, sizeof expected, "%s + %s: value 'kiosk' is listed under both [grocery_partial] and [fuel]; "
             "a value can select one type only, remove one", shipped, path);
    assert_string_equal(err.msg, expected);

    path = write_text_file(dir, "group.ini", "[all]\nincludes = grocery, fuel\n");
    assert_null(pl_service_types_load(ctx, path, &err));
    snprintf(expected, sizeof expected, "%s + %s: [all] includes 'grocery', which is a group; groups cannot "
             "include groups, list its types instead", shipped, path);
    assert_string_equal(err.msg, expected);

    path = write_text_file(dir, "missing.ini", "[mine]\nincludes = fuel, nope\n");
    assert_null(pl_service_types_load(ctx, path, &err));
    snprintf(expected, sizeof expected, "%s + %s: [mine] includes 'nope', which is not a type; define [nope] or "
             "remove it", shipped, path);
    assert_string_equal(err.msg, expected);

    assert_null(pl_service_types_load(ctx, "no/such/types.ini", &err));
    assert_string_equal(err.msg, "no/such/types.ini: service types file not found (No such file or directory); "
                                 "check the path");
}

static void test_long_lines(void **state)
{
    (void)state;
    /* Lines longer than inih's default 200-character buffer. */
    char text[2048] = "[kiosk_plus]\nvalues = ";
    for (int i = 0; i < 60; i++) {
        char v[32];
        snprintf(v, sizeof v, "%svariant %02d", i ? ", " : "", i);
        strcat(text, v);
    }
    strcat(text, "\n");
    assert_true(strlen(text) > 600);
    const char *path = write_text_file(scratch_dir("service_types_long"), "long.ini", text);
    pl_error err = {0};
    pl_service_types *t = pl_service_types_load(ctx, path, &err);
    assert_non_null(t);
    int k = pl_service_types_find(t, "kiosk_plus");
    assert_int_equal(pl_service_types_match_value(t, "variant 00"), k);
    assert_int_equal(pl_service_types_match_value(t, "Variant 59"), k);
    pl_service_types_free(t);
}

static void test_normalize_and_print(void **state)
{
    (void)state;
    char out[64];
    pl_service_value_normalize("  Dagligvaror,  FULL-sortiment_ÅÄÖ ", out, sizeof out);
    assert_string_equal(out, "dagligvaror full sortiment åäö");
    pl_error err = {0};
    pl_service_types *t = pl_service_types_load(ctx, NULL, &err);
    assert_non_null(t);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    pl_service_types_print(t, f);
    fclose(f);
    assert_non_null(strstr(buf, "grocery          Dagligvaror (alla) / Groceries (any) [RSP]\n"
                                "                 includes: grocery_full, grocery_partial\n"));
    assert_non_null(strstr(buf, "bands km: 25,50,100,150; minutes: 30,60,90,120\n"));
    free(buf);
    pl_service_types_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_types),
        cmocka_unit_test(test_user_file_adds_and_overrides),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_long_lines),
        cmocka_unit_test(test_normalize_and_print),
    };
    return cmocka_run_group_tests_name("service_types", tests, setup, teardown);
}
