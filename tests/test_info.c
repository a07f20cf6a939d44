/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa info: layers, CRS, fields and roles of real files; the CLI command. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gdal.h>

#include "layers/layers.h"
#include "support/testutil.h"

static pl_ctx *ctx;

static int setup(void **state)
{
    (void)state;
    GDALAllRegister();
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

/* Runs pl_info_describe into a string (caller frees). */
static char *describe(const char *spec, int expect_rc, pl_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    int rc = pl_info_describe(ctx, spec, f, err);
    fclose(f);
    if (rc != expect_rc)
        fail_msg("%s: rc %d, expected %d: %s", spec, rc, expect_rc, err->msg);
    return buf;
}

static void expect_contains(const char *text, const char *part)
{
    if (!strstr(text, part))
        fail_msg("expected to find:\n%s\nin:\n%s", part, text);
}

/* The extracts in tests/data (see their PROVENANCE.md); counts by ogrinfo -so -al. */
static void test_admin_boundaries(void **state)
{
    (void)state;
    pl_error err = {0};
    char path[4096];
    snprintf(path, sizeof path, "%s", real_data("scb-admin-boundaries/sweden_admin_scb_sweref99tm.gpkg"));
    char *out = describe(path, PL_OK, &err);
    char head[4200];
    snprintf(head, sizeof head, "%s (GPKG), 3 layers\n", path);
    assert_int_equal(strncmp(out, head, strlen(head)), 0);
    expect_contains(out, "  layer kommuner: Multi Polygon, 49 features, CRS EPSG:3006 (SWEREF99 TM)\n"
                         "    fields: KnKod (String), KnNamn (String), LnKod (String)\n"
                         "    fits: municipalities (code KnKod, name KnNamn)\n");
    expect_contains(out, "  layer lan: Multi Polygon, 4 features, CRS EPSG:3006 (SWEREF99 TM)\n"
                         "    fields: LnKod (String), LnNamn (String)\n"
                         "    fits: municipalities (code LnKod, name LnNamn)\n");
    expect_contains(out, "  layer fa_regioner: Multi Polygon, 2 features");
    free(out);

    out = describe(real_data("scb-admin-boundaries/Kommun_Sweref99TM.shp"), PL_OK, &err);
    expect_contains(out, "  layer Kommun_Sweref99TM: Polygon, 49 features, CRS 'unnamed', not an EPSG code but "
                         "equivalent to EPSG:3006 (SWEREF99 TM)\n");
    free(out);

    out = describe(real_data("scb-admin-boundaries/swe-maps-kommun.geojson"), PL_OK, &err);
    expect_contains(out, "  layer swe-maps-kommun: Unknown (any) of polygons, 49 features, CRS EPSG:4326 (WGS 84)\n");
    free(out);

    /* One layer by FILE:LAYER, and a missing one. */
    char spec[4300];
    snprintf(spec, sizeof spec, "%s:lan", path);
    out = describe(spec, PL_OK, &err);
    snprintf(head, sizeof head, "%s (GPKG)\n  layer lan:", path);
    assert_int_equal(strncmp(out, head, strlen(head)), 0);
    assert_null(strstr(out, "kommuner"));
    free(out);
    snprintf(spec, sizeof spec, "%s:lan_2024", path);
    out = describe(spec, PL_EINPUT, &err);
    assert_string_equal(err.msg, "sweden_admin_scb_sweref99tm.gpkg: no layer 'lan_2024'; layers are: kommuner, lan, "
                                 "fa_regioner; use FILE:LAYER");
    free(out);
    out = describe("no/such/file.gpkg", PL_EINPUT, &err);
    assert_string_equal(err.msg, "no/such/file.gpkg: input file not found (No such file or directory); check the path");
    free(out);
}

static void test_population_sources(void **state)
{
    (void)state;
    pl_error err = {0};
    char *out = describe(real_data("scb-population-grid-1km-2024/scb_befolkning_1km_2024_sverige.csv"), PL_OK, &err);
    expect_contains(out, "  layer scb_befolkning_1km_2024_sverige: table (no geometry), 5989 rows\n"
                         "    fields: rut_id (String), x_sw (String), y_sw (String), pop (String), kn_kod (String), "
                         "kn_namn (String), ln_kod (String), ln_namn (String)\n"
                         "    fits: population (SCB grid table: squares from rut_id, residents in pop)\n");
    free(out);
    out = describe(real_data("swedish-city-districts/swedish_city_districts.gpkg"), PL_OK, &err);
    expect_contains(out, "  layer stockholm_statistikomraden: Polygon, 51 features, CRS EPSG:3011 (SWEREF99 18 00)\n");
    expect_contains(out, "    fits: population (residents in pop_2016, areas); neighbourhoods / areas (polygons)\n");
    expect_contains(out, "  layer goteborg_basomraden: Multi Polygon, 40 features, CRS EPSG:3007 (SWEREF99 12 00)\n"
                         "    fields: ajour_datu (Date), basomrade (String), area_km2 (Real)\n");
    expect_contains(out, "  layer malmo_delomraden: Polygon, 40 features, CRS EPSG:3008 (SWEREF99 13 30)\n");
    free(out);
    out = describe(real_data("scb-tatorter-2020/scb_tatorter_2020_points.gpkg"), PL_OK, &err);
    expect_contains(out, "    fits: population (residents in pop, points); localities (population pop, name name)\n");
    free(out);
    out = describe(real_data("scb-deso-stockholms-lan-population/deso_2018_stockholms_lan_befolkning.gpkg"), PL_OK,
                   &err);
    expect_contains(out, "  layer deso_2018_stockholms_lan: Polygon, 69 features, CRS EPSG:3006 (SWEREF99 TM)\n"
                         "    fields: deso (String), kommun (String), lan (String), pop_2010 (Integer), pop_2023 "
                         "(Integer)\n"
                         "    fits: population (residents in pop_2023, areas); neighbourhoods / areas (polygons)\n");
    free(out);
}

static void test_services_and_roads(void **state)
{
    (void)state;
    pl_error err = {0};
    char *out = describe(real_data("osm-sweden-health-facilities-hotosm-2020/hotosm_swe_health_facilities_2020.gpkg"),
                         PL_OK, &err);
    expect_contains(out, "    fields: osm_id (String), amenity (String), name (String), lat (Real), lon (Real), "
                         "kn_kod (String), kn_kod_nearest (Integer/Boolean)\n"
                         "    fits: services (type field amenity)\n"
                         "    service types in amenity: pharmacy 212; 231 features map to no type (e.g. ");
    free(out);
    out = describe(real_data("osm-sweden-health-facilities-hotosm-2020/hotosm_swe_health_facilities_2020.csv"), PL_OK,
                   &err);
    expect_contains(out, "  layer hotosm_swe_health_facilities_2020: Point, 443 features, CRS none; give one with "
                         "--assume-crs\n"
                         "    crs hint: (the coordinates look like longitude/latitude: EPSG:4326)\n");
    free(out);
    out = describe(real_data("osm-stockholm-drive-network-fmm/edges.shp"), PL_OK, &err);
    expect_contains(out, "  layer edges: Line String, 1308 features, CRS EPSG:4326 (WGS 84)\n");
    expect_contains(out, "    fits: roads (lines with road attributes)\n");
    free(out);
    out = describe(real_data("osm-stockholm-drive-network-fmm/nodes.shp"), PL_OK, &err);
    expect_contains(out, "  layer nodes: Point, 649 features, CRS EPSG:4326 (WGS 84)\n");
    expect_contains(out, "    fits: generic points (trees, buildings as points)\n");
    free(out);
}

static void test_cli(void **state)
{
    (void)state;
    const char *dir = scratch_dir("info_cli");
    assert_int_equal(run_cmd("build/platsa info --help > %s/help.txt", dir), 0);
    char path[4200];
    snprintf(path, sizeof path, "%s/help.txt", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    expect_contains(buf, "usage: platsa info [options] FILE[:LAYER]...\n");
    expect_contains(buf, "--service-types FILE");
    assert_int_equal(run_cmd("build/platsa info 2> %s/err.txt", dir), 1);
    snprintf(path, sizeof path, "%s/err.txt", dir);
    f = fopen(path, "r");
    assert_non_null(f);
    n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    assert_string_equal(buf, "platsa info: give at least one FILE (or --types); see --help\n");
    assert_int_equal(run_cmd("build/platsa -q info %s > %s/out.txt",
                             real_data("scb-tatorter-2020/scb_tatorter_2020_points.gpkg"), dir), 0);
    assert_int_equal(run_cmd("build/platsa -q info no/such.gpkg > /dev/null 2>&1"), 1);
    assert_int_equal(run_cmd("build/platsa -q info --types | grep -q '^hydrogen         Vätgas / Hydrogen$'"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_admin_boundaries),
        cmocka_unit_test(test_population_sources),
        cmocka_unit_test(test_services_and_roads),
        cmocka_unit_test(test_cli),
    };
    return cmocka_run_group_tests_name("info", tests, setup, teardown);
}
