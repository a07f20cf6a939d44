/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Accessibility analysis on hand-checkable fixtures: a straight road with two stores,
 * a one-way street, an island without a road connection; population totals preserved. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gdal.h>
#include <ogr_api.h>

#include "analyses/access/access.h"
#include "analyses/access/access_checks.h"
#include "analyses/classify/classify.h"
#include "analyses/common/ids.h"
#include "support/testutil.h"

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Fixture in EPSG:3006 (metres): a 10 km road along y = 6,500,000 from x = 500,000,
 * two grocery stores 10 m north of it at x + 2 km and x + 8 km, one fuel station at x + 9 km,
 * population points 100 m north at x + 0, 5, 10 km, and one on an island 5 km north with no road. */
#define X0 500000.0
#define Y0 6500000.0

static const char *fixture_dir(void)
{
    static char dir[512];
    snprintf(dir, sizeof dir, "%s", scratch_dir("access_fixture"));
    char path[600];
    snprintf(path, sizeof path, "%s/roads.geojson", dir);
    write_file(path,
               "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"urn:ogc:def:crs:EPSG::3006\"}},"
               "\"features\":[{\"type\":\"Feature\",\"properties\":{\"id\":1,\"highway\":\"tertiary\",\"maxspeed_kmh\":36,\"oneway\":0},"
               "\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[500000,6500000],[505000,6500000],[510000,6500000]]}}]}");
    snprintf(path, sizeof path, "%s/services.geojson", dir);
    write_file(path,
               "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"urn:ogc:def:crs:EPSG::3006\"}},"
               "\"features\":["
               "{\"type\":\"Feature\",\"properties\":{\"id\":\"20\",\"type\":\"supermarket\",\"name\":\"Store B\"},\"geometry\":{\"type\":\"Point\",\"coordinates\":[508000,6500010]}},"
               "{\"type\":\"Feature\",\"properties\":{\"id\":\"10\",\"type\":\"supermarket\",\"name\":\"Store A\"},\"geometry\":{\"type\":\"Point\",\"coordinates\":[502000,6500010]}},"
               "{\"type\":\"Feature\",\"properties\":{\"id\":\"30\",\"type\":\"fuel\",\"name\":\"Fuel\"},\"geometry\":{\"type\":\"Point\",\"coordinates\":[509000,6500010]}}]}");
    snprintf(path, sizeof path, "%s/population.geojson", dir);
    write_file(path,
               "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"urn:ogc:def:crs:EPSG::3006\"}},"
               "\"features\":["
               "{\"type\":\"Feature\",\"properties\":{\"id\":\"c0\",\"pop\":100,\"age70\":10},\"geometry\":{\"type\":\"Point\",\"coordinates\":[500000,6500100]}},"
               "{\"type\":\"Feature\",\"properties\":{\"id\":\"c5\",\"pop\":50,\"age70\":5},\"geometry\":{\"type\":\"Point\",\"coordinates\":[505000,6500100]}},"
               "{\"type\":\"Feature\",\"properties\":{\"id\":\"c10\",\"pop\":30,\"age70\":3},\"geometry\":{\"type\":\"Point\",\"coordinates\":[510000,6500100]}},"
               "{\"type\":\"Feature\",\"properties\":{\"id\":\"island\",\"pop\":7,\"age70\":7},\"geometry\":{\"type\":\"Point\",\"coordinates\":[505000,6505000]}}]}");
    snprintf(path, sizeof path, "%s/munis.geojson", dir);
    write_file(path,
               "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"urn:ogc:def:crs:EPSG::3006\"}},"
               "\"features\":["
               "{\"type\":\"Feature\",\"properties\":{\"KnKod\":\"0101\",\"KnNamn\":\"Västra\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[499000,6499000],[504000,6499000],[504000,6501000],[499000,6501000],[499000,6499000]]]}},"
               "{\"type\":\"Feature\",\"properties\":{\"KnKod\":\"0102\",\"KnNamn\":\"Östra\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[504000,6499000],[511000,6499000],[511000,6501000],[504000,6501000],[504000,6499000]]]}}]}");
    snprintf(path, sizeof path, "%s/localities.geojson", dir);
    write_file(path,
               "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"urn:ogc:def:crs:EPSG::3006\"}},"
               "\"features\":["
               "{\"type\":\"Feature\",\"properties\":{\"code\":\"T1\",\"name\":\"Storby\",\"pop\":5000,\"area\":10},\"geometry\":{\"type\":\"Point\",\"coordinates\":[500000,6500000]}},"
               "{\"type\":\"Feature\",\"properties\":{\"code\":\"T2\",\"name\":\"Lillby\",\"pop\":400,\"area\":5},\"geometry\":{\"type\":\"Point\",\"coordinates\":[510000,6500000]}}]}");
    return dir;
}

typedef struct fixture {
    pl_ctx *ctx;
    pl_service_types *types;
    pl_municipalities *munis;
    pl_population *pop;
    pl_services *svc;
    pl_roads *roads;
    pl_graph *graph;
} fixture;

static void load_fixture(fixture *f)
{
    const char *dir = fixture_dir();
    char path[600];
    pl_error err = {0};
    f->ctx = pl_ctx_new();
    f->ctx->quiet = 1;
    f->types = pl_service_types_load(f->ctx, NULL, &err);
    assert_non_null(f->types);
    pl_load_opts lo = {0};
    snprintf(path, sizeof path, "%s/munis.geojson", dir);
    f->munis = pl_municipalities_load(f->ctx, path, &lo, &err);
    assert_non_null(f->munis);
    pl_load_opts po = {.age_field = "age70"};
    snprintf(path, sizeof path, "%s/population.geojson", dir);
    f->pop = pl_population_load(f->ctx, path, &po, &err);
    assert_non_null(f->pop);
    snprintf(path, sizeof path, "%s/services.geojson", dir);
    f->svc = pl_services_load(f->ctx, path, f->types, &lo, &err);
    assert_non_null(f->svc);
    snprintf(path, sizeof path, "%s/roads.geojson", dir);
    f->roads = pl_roads_load(f->ctx, path, &lo, &err);
    assert_non_null(f->roads);
    pl_graph_opts go;
    pl_graph_opts_default(&go);
    f->graph = pl_graph_build(f->ctx, f->roads, &go, &err);
    assert_non_null(f->graph);
}

static void free_fixture(fixture *f)
{
    pl_graph_free(f->graph);
    pl_roads_free(f->roads);
    pl_services_free(f->svc);
    pl_population_free(f->ctx, f->pop);
    pl_municipalities_free(f->ctx, f->munis);
    pl_service_types_free(f->types);
    pl_ctx_free(f->ctx);
}

static long cell_index(const pl_population *p, const char *id)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->id[i], id) == 0)
            return (long)i;
    fail_msg("no cell %s", id);
    return -1;
}

static void test_distances_on_a_straight_road(void **state)
{
    (void)state;
    fixture f;
    load_fixture(&f);
    int types[2] = {pl_service_types_find(f.types, "grocery"), pl_service_types_find(f.types, "fuel")};
    assert_true(types[0] >= 0 && types[1] >= 0);
    pl_access_params p = {.types = types, .n_types = 2, .mode = PL_MODE_CAR, .within_km = 5, .max_snap_m = 1000};
    pl_access_result *r = NULL;
    pl_error err = {0};
    assert_int_equal(pl_access_compute(f.ctx, f.pop, f.svc, f.types, f.munis, f.roads, f.graph, &p, &r, &err), PL_OK);
    const pl_access_type *grocery = &r->types[0];
    assert_int_equal(grocery->n_services, 2);
    /* Services are ordered by id: "10" (Store A) before "20" (Store B). */
    assert_string_equal(f.svc->id[grocery->service_index[0]], "10");

    /* c0: 100 m access leg + 2,000 m along the road + 10 m to Store A. */
    long c0 = cell_index(f.pop, "c0");
    const pl_label *d = &grocery->by_dist[c0 * 2];
    assert_int_equal(d[0].source, 0);
    assert_true(fabs(d[0].dist_m - 2110.0) < 1e-3);
    /* Second nearest: Store B, 8,000 m along. */
    assert_int_equal(d[1].source, 1);
    assert_true(fabs(d[1].dist_m - 8110.0) < 1e-3);

    /* c5 is 3,000 m from both stores along the road: the tie goes to the lower id, Store A. */
    long c5 = cell_index(f.pop, "c5");
    d = &grocery->by_dist[c5 * 2];
    assert_true(fabs(d[0].dist_m - 3110.0) < 1e-3);
    assert_true(fabs(d[1].dist_m - 3110.0) < 1e-3);
    assert_int_equal(d[0].source, 0);
    assert_int_equal(d[1].source, 1);

    /* The island has no road within --max-snap: it still attaches (flagged), but the fuel
     * station is 1 km along from c10, so check c10 and that the island is far. */
    long c10 = cell_index(f.pop, "c10");
    const pl_access_type *fuel = &r->types[1];
    assert_true(fabs(fuel->by_dist[c10 * 2].dist_m - 1110.0) < 1e-3);
    assert_int_equal(fuel->by_dist[c10 * 2 + 1].source, UINT32_MAX);  /* only one fuel station */
    assert_true(isinf(fuel->by_dist[c10 * 2 + 1].dist_m));
    long island = cell_index(f.pop, "island");
    assert_int_equal(r->cell_snap[island].status, PL_SNAP_TOO_FAR);

    /* Service level within 5 km: c0 has grocery (2.1 km) but not fuel (9.1 km). */
    assert_int_equal(r->service_level[c0], 1);
    assert_int_equal(r->service_level[c10], 2);
    pl_access_result_free(r);

    /* The group and its member analysed together (grocery, grocery_full, fuel): one kind of
     * service, counted once in the level, not twice (issue: Södermalm's types_total was 5 for 3). */
    int with_member[3] = {types[0], pl_service_types_find(f.types, "grocery_full"), types[1]};
    assert_true(with_member[1] >= 0);
    p.types = with_member;
    p.n_types = 3;
    assert_int_equal(pl_access_compute(f.ctx, f.pop, f.svc, f.types, f.munis, f.roads, f.graph, &p, &r, &err), PL_OK);
    assert_int_equal(pl_access_level_types(r), 2);
    assert_true(r->types[0].in_level && !r->types[1].in_level && r->types[2].in_level);
    assert_int_equal(r->service_level[c0], 1);
    assert_int_equal(r->service_level[c10], 2);
    /* The member alone (no group analysed) is a kind of its own. */
    int member_only[2] = {with_member[1], types[1]};
    pl_access_result_free(r);
    p.types = member_only;
    p.n_types = 2;
    assert_int_equal(pl_access_compute(f.ctx, f.pop, f.svc, f.types, f.munis, f.roads, f.graph, &p, &r, &err), PL_OK);
    assert_int_equal(pl_access_level_types(r), 2);
    assert_int_equal(r->service_level[c0], 1);
    pl_access_result_free(r);
    free_fixture(&f);
}

/* Value of column `col` in the row whose first field is `key` of a plain CSV twin (no quoted
 * commas in these rows); "" when empty. Fails the test when either is missing. */
static void csv_value(const char *path, const char *key, const char *col, char *out, size_t size)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char head[16384], line[16384];
    assert_non_null(fgets(head, sizeof head, f));
    head[strcspn(head, "\r\n")] = '\0';
    int want = -1, k = 0;
    for (char *save = NULL, *t = strtok_r(head, ",", &save); t; t = strtok_r(NULL, ",", &save), k++)
        if (strcmp(t, col) == 0)
            want = k;
    if (want < 0)
        fail_msg("%s: no column %s", path, col);
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        const char *c = line;
        char field[256];
        int i = 0, found = 0;
        for (;;) {
            size_t n = strcspn(c, ",");
            snprintf(field, sizeof field, "%.*s", (int)n, c);
            if (i == 0 && strcmp(field, key) == 0)
                found = 1;
            if (found && i == want) {
                snprintf(out, size, "%s", field);
                fclose(f);
                return;
            }
            if (!c[n])
                break;
            c += n + 1;
            i++;
        }
    }
    fclose(f);
    fail_msg("%s: no row %s", path, key);
}

static double csv_number(const char *path, const char *key, const char *col)
{
    char v[256];
    csv_value(path, key, col, v, sizeof v);
    assert_true(v[0] != '\0');
    return strtod(v, NULL);
}

/* The age group gets the whole population's summary: medians, counts and shares per band.
 * Ages chosen so the age group sits elsewhere than the residents: c0 1 of 100, c5 2 of 50,
 * c10 1 of 30, the island 20 of 7 (an age field is a count, not a share of pop). Grocery by
 * road: c0 2.11 km, c5 3.11 km, c10 2.11 km, the island beyond 5 km (5 km off the road). */
static void test_age_group_summary(void **state)
{
    (void)state;
    const char *dir = fixture_dir();
    char pop[600];
    snprintf(pop, sizeof pop, "%s/population_old.geojson", dir);
    write_file(pop,
               "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"urn:ogc:def:crs:EPSG::3006\"}},"
               "\"features\":["
               "{\"type\":\"Feature\",\"properties\":{\"id\":\"c0\",\"pop\":100,\"old\":1},\"geometry\":{\"type\":\"Point\",\"coordinates\":[500000,6500100]}},"
               "{\"type\":\"Feature\",\"properties\":{\"id\":\"c5\",\"pop\":50,\"old\":2},\"geometry\":{\"type\":\"Point\",\"coordinates\":[505000,6500100]}},"
               "{\"type\":\"Feature\",\"properties\":{\"id\":\"c10\",\"pop\":30,\"old\":1},\"geometry\":{\"type\":\"Point\",\"coordinates\":[510000,6500100]}},"
               "{\"type\":\"Feature\",\"properties\":{\"id\":\"island\",\"pop\":7,\"old\":20},\"geometry\":{\"type\":\"Point\",\"coordinates\":[505000,6505000]}}]}");
    assert_int_equal(run_cmd("build/platsa -q access --population %s --services %s/services.geojson --roads "
                             "%s/roads.geojson --municipalities %s/munis.geojson --types grocery --age-field old "
                             "--bands-km 2.5,5 --bands-min 4,8 --csv --overwrite -o %s/age.gpkg",
                             pop, dir, dir, dir, dir), 0);
    char csv[700];
    snprintf(csv, sizeof csv, "%s/age_access_municipalities_table.csv", dir);
    /* Totals: 24 in the age group; 2 (c0, c10) within 2.5 km, 2 (c5) 2.5-5 km, 20 beyond. */
    assert_true(csv_number(csv, "totalt", "pop_age") == 24);
    assert_true(csv_number(csv, "totalt", "grocery_age_km_0_2_5") == 2);
    assert_true(csv_number(csv, "totalt", "grocery_age_km_2_5_5") == 2);
    assert_true(csv_number(csv, "totalt", "grocery_age_km_over_5") == 20);
    assert_true(csv_number(csv, "totalt", "grocery_age_share_km_0_2_5") == 0.0833);   /* 2/24 */
    assert_true(csv_number(csv, "totalt", "grocery_age_share_km_2_5_5") == 0.0833);
    assert_true(csv_number(csv, "totalt", "grocery_age_share_km_over_5") == 0.8333);  /* 20/24 */
    assert_true(csv_number(csv, "totalt", "grocery_age_share_km_unreachable") == 0);
    /* The residents' median is c0's 2.11 km (130 of 187 within it); the age group's is the
     * island's (20 of 24), whatever its exact distance: beyond 5 km, and above its mean. */
    assert_true(csv_number(csv, "totalt", "grocery_median_km") == 2.11);
    double island_km = csv_number(csv, "totalt", "grocery_age_median_km");
    assert_true(island_km > 5);
    double mean = csv_number(csv, "totalt", "grocery_age_mean_km");
    assert_true(fabs(mean - (2 * 2.11 + 2 * 3.11 + 20 * island_km) / 24) < 0.002);
    assert_true(csv_number(csv, "totalt", "grocery_age_median_min") > csv_number(csv, "totalt", "grocery_median_min"));
    /* Västra: c0 alone, 1 person within 2.5 km: share 1, median 2.11 km. */
    assert_true(csv_number(csv, "0101", "grocery_age_share_km_0_2_5") == 1);
    assert_true(csv_number(csv, "0101", "grocery_age_median_km") == 2.11);
    /* Östra: c10 1 (2.11 km), c5 2 (3.11 km), island 20: shares 1/23, 2/23, 20/23. */
    assert_true(csv_number(csv, "0102", "grocery_age_share_km_0_2_5") == 0.0435);
    assert_true(csv_number(csv, "0102", "grocery_age_share_km_2_5_5") == 0.087);
    assert_true(csv_number(csv, "0102", "grocery_age_share_km_over_5") == 0.8696);
    assert_true(csv_number(csv, "0102", "grocery_age_median_km") == island_km);
    /* Time bands the same way (36 km/h: 2.11 km is 3.5 min, 3.11 km 5.2 min). */
    assert_true(csv_number(csv, "totalt", "grocery_age_min_0_4") == 2);
    assert_true(csv_number(csv, "totalt", "grocery_age_share_min_4_8") == 0.0833);
    /* The same columns on the map layer. */
    char gpkg[700];
    snprintf(gpkg, sizeof gpkg, "%s/age.gpkg", dir);
    GDALDatasetH ds = GDALOpenEx(gpkg, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH l = GDALDatasetGetLayerByName(ds, "access_municipalities");
    assert_non_null(l);
    OGRFeatureDefnH d = OGR_L_GetLayerDefn(l);
    assert_true(OGR_FD_GetFieldIndex(d, "grocery_age_share_km_over_5") >= 0);
    assert_true(OGR_FD_GetFieldIndex(d, "grocery_age_median_min") >= 0);
    GDALClose(ds);
    /* The report gives the age group a table of its own, weighted by it. */
    assert_int_equal(run_cmd("build/platsa -q report %s -o %s/age-report --overwrite", gpkg, dir), 0);
    assert_int_equal(run_cmd("grep -q 'Dagligvaror (alla) (åldersgruppen)</caption>' %s/age-report/index.html", dir), 0);
    assert_int_equal(run_cmd("grep -q '>Befolkning i åldersgruppen</th>.*>Åldersgruppens andel över 5 km</th>' "
                             "%s/age-report/index.html", dir), 0);
}

/* --csv-style sv: every CSV twin of access (with --classify and an age group), classify and
 * stores read back as Swedish Excel reads it (BOM, ';', decimal comma) holds the default
 * twin's values and the aliases as headers; bad uses are refused before any work. */
static void test_csv_style_sv(void **state)
{
    (void)state;
    const char *dir = fixture_dir();
    char in[2000];
    snprintf(in, sizeof in, "--population %s/population.geojson --roads %s/roads.geojson --municipalities "
             "%s/munis.geojson", dir, dir, dir);
    static const struct {
        const char *cmd, *extra, *tables[4];
    } runs[] = {
        {"access", "--classify --age-field age70 --services %s/services.geojson --localities %s/localities.geojson",
         {"access_municipalities_table", "access_by_class", "data_checks", NULL}},
        {"classify", "--localities %s/localities.geojson", {"classify_municipalities_table", NULL}},
        {"stores", "--services %s/services.geojson --type grocery", {"store_priority_table", NULL}},
    };
    long fields = 0;
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        char extra[700];
        snprintf(extra, sizeof extra, runs[r].extra, dir, dir);
        for (int sv = 0; sv < 2; sv++)
            assert_int_equal(run_cmd("build/platsa -q %s %s %s --csv %s --overwrite -o %s/%s-%s.gpkg", runs[r].cmd, in,
                                     extra, sv ? "--csv-style sv" : "", dir, runs[r].cmd, sv ? "sv" : "plain"),
                             0);
        for (int t = 0; runs[r].tables[t]; t++) {
            char a[800], b[800], g[800];
            snprintf(a, sizeof a, "%s/%s-plain_%s.csv", dir, runs[r].cmd, runs[r].tables[t]);
            snprintf(b, sizeof b, "%s/%s-sv_%s.csv", dir, runs[r].cmd, runs[r].tables[t]);
            snprintf(g, sizeof g, "%s/%s-sv.gpkg", dir, runs[r].cmd);
            fields += assert_csv_sv_matches(a, b, g, runs[r].tables[t]);
        }
    }
    /* Shares as stored (4 decimals): the island's 7 of 187 beyond 5 km is 0.0374, in sv 0,0374. */
    char share[64], a[800];
    snprintf(a, sizeof a, "%s/access-plain_access_municipalities_table.csv", dir);
    csv_value(a, "totalt", "grocery_share_km_5_10", share, sizeof share);
    assert_string_equal(share, "0.0374");
    assert_int_equal(run_cmd("grep -q '^totalt;Alla analyserade;.*;0,0374;' "
                             "%s/access-sv_access_municipalities_table.csv", dir), 0);
    print_message("--csv-style sv: %ld fields read back equal to the default CSV\n", fields);
    assert_true(fields > 100);
    /* Refused before any work, nothing written. */
    assert_int_equal(run_cmd("build/platsa -q access %s --services %s/services.geojson --csv-style sv -o %s/bad.gpkg "
                             "2> %s/err1.txt", in, dir, dir, dir), 1);
    assert_int_equal(run_cmd("grep -q -- '--csv-style sv: it says how the CSV tables are written; give --csv too' "
                             "%s/err1.txt", dir), 0);
    assert_int_equal(run_cmd("build/platsa -q access %s --services %s/services.geojson --csv --csv-style excel -o "
                             "%s/bad.gpkg 2> %s/err2.txt", in, dir, dir, dir), 1);
    assert_int_equal(run_cmd("grep -q -- \"--csv-style 'excel': use default or sv\" %s/err2.txt", dir), 0);
    assert_int_equal(run_cmd("ls %s | grep -q bad", dir), 1);
}

static void test_population_totals_and_bands(void **state)
{
    (void)state;
    fixture f;
    load_fixture(&f);
    int types[1] = {pl_service_types_find(f.types, "grocery")};
    pl_access_params p = {.types = types, .n_types = 1, .mode = PL_MODE_CAR, .within_km = 10, .max_snap_m = 1000};
    pl_access_result *r = NULL;
    pl_error err = {0};
    assert_int_equal(pl_access_compute(f.ctx, f.pop, f.svc, f.types, f.munis, f.roads, f.graph, &p, &r, &err), PL_OK);
    assert_true(r->pop_total == 187.0);
    /* The island lies outside both municipality polygons: nearest (Östra) with a warning. */
    assert_int_equal(r->n_outside_muni, 1);
    assert_int_equal(pl_warn_count(f.ctx, "cell-outside-municipality"), 1);
    double sum = 0;
    for (size_t m = 0; m < r->n_munis; m++)
        sum += r->muni_stats[m].pop;
    assert_true(sum == 187.0);
    const pl_access_stats *total = &r->total_stats[0];
    double band_sum = 0;
    for (int i = 0; i < r->types[0].n_bands_km + 2; i++)
        band_sum += total->pop_band_km[i];
    assert_true(band_sum == 187.0);
    /* c0 2.11 km, c5 3.11 km, c10 2.11 km (Store B) -> all 180 in 0-5 km; the island
     * (5 km off the road) is beyond 5 km. */
    assert_true(total->pop_band_km[0] == 180.0);
    /* Age group totals: 10 + 5 + 3 + 7. */
    assert_true(total->pop_age == 25.0);
    pl_access_result_free(r);
    free_fixture(&f);
}

static void test_region_keeps_services_outside(void **state)
{
    (void)state;
    fixture f;
    load_fixture(&f);
    int types[1] = {pl_service_types_find(f.types, "grocery")};
    /* Only Västra (0101) is reported: c0, nearest Store A (in Västra). c5 and c10 are in Östra. */
    pl_access_params p = {.types = types, .n_types = 1, .mode = PL_MODE_CAR, .within_km = 10, .max_snap_m = 1000,
                          .region = "0101"};
    pl_access_result *r = NULL;
    pl_error err = {0};
    assert_int_equal(pl_access_compute(f.ctx, f.pop, f.svc, f.types, f.munis, f.roads, f.graph, &p, &r, &err), PL_OK);
    assert_true(r->pop_total == 100.0);
    /* Only the reported units are attached (a national grid on one county's roads spent a
     * minute attaching squares that were never reported): c5 and the island (Östra) are
     * left unattached and unreachable, so the island's far leg is not warned about. */
    long c0 = cell_index(f.pop, "c0"), c5 = cell_index(f.pop, "c5"), island = cell_index(f.pop, "island");
    assert_int_equal(r->cell_snap[c0].status, PL_SNAP_OK);
    assert_int_equal(r->cell_snap[c5].status, PL_SNAP_NONE);
    assert_int_equal(r->cell_snap[island].status, PL_SNAP_NONE);
    assert_int_equal(r->types[0].by_dist[c5 * 2].source, UINT32_MAX);
    assert_int_equal(pl_warn_count(f.ctx, "snap-too-far"), 0);
    /* c0's answers are those of a run without --region. */
    pl_label c0_dist[2] = {r->types[0].by_dist[c0 * 2], r->types[0].by_dist[c0 * 2 + 1]};
    pl_label c0_time[2] = {r->types[0].by_time[c0 * 2], r->types[0].by_time[c0 * 2 + 1]};
    assert_true(fabs(c0_dist[0].dist_m - 2110.0) < 1e-3);
    pl_access_result_free(r);
    p.region = NULL;
    assert_int_equal(pl_access_compute(f.ctx, f.pop, f.svc, f.types, f.munis, f.roads, f.graph, &p, &r, &err), PL_OK);
    for (int j = 0; j < 2; j++) {
        const pl_label *d = &r->types[0].by_dist[c0 * 2 + j], *t = &r->types[0].by_time[c0 * 2 + j];
        assert_true(d->source == c0_dist[j].source && d->dist_m == c0_dist[j].dist_m && d->time_s == c0_dist[j].time_s);
        assert_true(t->source == c0_time[j].source && t->dist_m == c0_time[j].dist_m && t->time_s == c0_time[j].time_s);
    }
    assert_int_equal(r->cell_snap[c5].status, PL_SNAP_OK);
    pl_access_result_free(r);
    /* An unknown region is an input error. */
    p.region = "99";
    assert_int_equal(pl_access_compute(f.ctx, f.pop, f.svc, f.types, f.munis, f.roads, f.graph, &p, &r, &err),
                     PL_EINPUT);
    assert_non_null(strstr(err.msg, "--region 99"));
    free_fixture(&f);
}

/* Storby (5,000 residents, 10 ha: radius 178 m) at the west end; Lillby (400) at the east end. */
static void test_classify_by_car_time(void **state)
{
    (void)state;
    fixture f;
    load_fixture(&f);
    char path[600];
    snprintf(path, sizeof path, "%s/localities.geojson", fixture_dir());
    pl_error err = {0};
    pl_load_opts lo = {0};
    pl_localities *loc = pl_localities_load(f.ctx, path, &lo, &err);
    assert_non_null(loc);
    assert_true(loc->area_ha[0] == 10.0);
    pl_classify_params p = {.urban_min = 5, .remote_min = 12, .min_locality_pop = 3000, .max_snap_m = 1000};
    pl_classify_result *r = NULL;
    assert_int_equal(pl_classify_compute(f.ctx, f.pop, loc, f.roads, f.graph, &p, &r, &err), PL_OK);
    /* Points stand in for polygons: said, with the residents inside against the tätorter's own. */
    assert_int_equal(pl_warn_count(f.ctx, "localities-are-points"), 1);
    long c0 = cell_index(f.pop, "c0"), c5 = cell_index(f.pop, "c5"), c10 = cell_index(f.pop, "c10");
    /* c0 is 100 m from Storby's point: inside its equal-area circle. */
    assert_int_equal(r->inside_locality[c0], 1);
    assert_int_equal(r->cls[c0], PL_CLASS_URBAN);
    /* c5: 5 km at 36 km/h = 8.33 min on the road, plus short access legs. */
    assert_true(r->time_min[c5] > 8.33 && r->time_min[c5] < 10.0);
    assert_int_equal(r->cls[c5], PL_CLASS_NEAR_URBAN_RURAL);
    /* c10: 16.7 min from Storby (Lillby is too small to be a destination), but it lies 100 m
     * from Lillby's point, inside its 5 ha circle (radius 126 m): a unit in any tätort is tätort. */
    assert_true(r->time_min[c10] > 16.66);
    assert_int_equal(r->locality[c10], 0);
    assert_int_equal(r->inside_locality[c10], 1);
    assert_int_equal(r->cls[c10], PL_CLASS_URBAN);
    pl_classify_result_free(r);
    /* With Lillby at 1 ha (radius 56 m) c10 is outside it: remote beyond 12 minutes. */
    loc->area_ha[1] = 1.0;
    assert_int_equal(pl_classify_compute(f.ctx, f.pop, loc, f.roads, f.graph, &p, &r, &err), PL_OK);
    assert_int_equal(r->inside_locality[c10], 0);
    assert_int_equal(r->cls[c10], PL_CLASS_REMOTE_RURAL);
    double sum = 0;
    for (int k = 1; k <= PL_N_CLASSES; k++)
        sum += r->pop_by_class[k];
    assert_true(sum == 187.0);
    pl_classify_result_free(r);
    /* No tätort large enough is an input error. */
    p.min_locality_pop = 100000;
    assert_int_equal(pl_classify_compute(f.ctx, f.pop, loc, f.roads, f.graph, &p, &r, &err), PL_EINPUT);
    assert_non_null(strstr(err.msg, "no tätort has at least 100000 residents"));
    pl_localities_free(f.ctx, loc);
    free_fixture(&f);
}

static void test_helpers(void **state)
{
    (void)state;
    const double b[] = {5, 10, 20};
    assert_int_equal(pl_band_index(0, b, 3), 0);
    assert_int_equal(pl_band_index(5, b, 3), 0);
    assert_int_equal(pl_band_index(5.0001, b, 3), 1);
    assert_int_equal(pl_band_index(25, b, 3), 3);
    assert_int_equal(pl_band_index(INFINITY, b, 3), -1);
    const double v[] = {1, 2, 3, NAN}, w[] = {1, 1, 5, 100};
    assert_true(pl_weighted_median(v, w, 4) == 3);
    assert_true(pl_id_compare("9", "10") < 0);
    assert_true(pl_id_compare("10", "9") > 0);
    assert_true(pl_id_compare("a", "10") > 0);
    assert_true(pl_id_compare("007", "7") == 0);
}

/* The weighted median (a selection, not a sort) equals a sorted scan's answer: random
 * values with many ties, integer and fractional weights, NaN values skipped. */
static int cmp_pair(const void *a, const void *b)
{
    double x = ((const double *)a)[0], y = ((const double *)b)[0];
    return (x > y) - (x < y);
}

static void test_weighted_median_property(void **state)
{
    (void)state;
    uint64_t rng = 88172645463325252ULL;
#define NEXT() (rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17, rng)
    for (int round = 0; round < 2000; round++) {
        size_t n = 1 + NEXT() % 300;
        double *v = malloc(n * sizeof *v), *w = malloc(n * sizeof *w), *pairs = malloc(2 * n * sizeof *pairs);
        int levels = 1 + (int)(NEXT() % 40);
        size_t m = 0;
        double total = 0;
        for (size_t i = 0; i < n; i++) {
            v[i] = NEXT() % 17 == 0 ? NAN : (double)(NEXT() % (uint64_t)levels) * 0.25;
            w[i] = round % 2 ? (double)(NEXT() % 1000) / 7.0 : (double)(NEXT() % 5);
            if (isfinite(v[i]) && w[i] > 0) {
                pairs[2 * m] = v[i];
                pairs[2 * m + 1] = w[i];
                total += w[i];
                m++;
            }
        }
        qsort(pairs, m, 2 * sizeof *pairs, cmp_pair);
        double want = NAN, acc = 0;
        for (size_t i = 0; i < m; i++) {
            acc += pairs[2 * i + 1];
            if (acc >= total / 2) {
                want = pairs[2 * i];
                break;
            }
        }
        double got = pl_weighted_median(v, w, n);
        if (!(got == want || (isnan(got) && isnan(want))))
            fail_msg("round %d: median %.17g, sorted scan %.17g", round, got, want);
        free(v);
        free(w);
        free(pairs);
    }
#undef NEXT
}

/* The written GeoPackage read back with GDAL: service_level (a view over access_cells) lists
 * like a table, with integer flags that agree with the distances computed here and with
 * access_cells' service_level (a type is within when its written km, to the metre, is). */
/* Every feature of a layer as text (fields and geometry), NULL when there is no such layer. */
static char *layer_text(const char *path, const char *layer)
{
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH l = GDALDatasetGetLayerByName(ds, layer);
    if (!l) {
        GDALClose(ds);
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *text = calloc(cap, 1);
    OGRFeatureH ft;
    OGR_L_ResetReading(l);
    while ((ft = OGR_L_GetNextFeature(l)) != NULL) {
        char *wkt = NULL;
        if (OGR_F_GetGeometryRef(ft))
            OGR_G_ExportToWkt(OGR_F_GetGeometryRef(ft), &wkt);
        for (int i = -1; i < OGR_F_GetFieldCount(ft); i++) {
            const char *v = i < 0 ? (wkt ? wkt : "") : OGR_F_GetFieldAsString(ft, i);
            size_t len = strlen(v) + 2;
            if (n + len + 1 > cap) {
                cap = 2 * (n + len + 1);
                text = realloc(text, cap);
            }
            n += (size_t)snprintf(text + n, cap - n, "%s%c", v, i + 1 < OGR_F_GetFieldCount(ft) ? '|' : '\n');
        }
        VSIFree(wkt);
        OGR_F_Destroy(ft);
    }
    GDALClose(ds);
    return text;
}

static void run_access_cli(pl_ctx *ctx, const char *dir, const char *mode, const char *out)
{
    char pop[600], svc[600], roads[600], munis[600], o_path[600], m[32];
    snprintf(pop, sizeof pop, "%s/population.geojson", dir);
    snprintf(svc, sizeof svc, "%s/services.geojson", dir);
    snprintf(roads, sizeof roads, "%s/roads.geojson", dir);
    snprintf(munis, sizeof munis, "%s/munis.geojson", dir);
    snprintf(o_path, sizeof o_path, "%s", out);
    snprintf(m, sizeof m, "%s", mode);
    char *argv[] = {"access", "-p", pop, "-s", svc, "-r", roads, "-m", munis, "--types", "grocery,fuel",
                    "--mode", m, "-o", o_path, "--overwrite"};
    pl_access_opts o;
    memset(&o, 0, sizeof o);
    char *pos[1];
    int npos = 0;
    pl_error err = {0};
    assert_int_equal(pl_options_parse(pl_access_options, &o, (int)(sizeof argv / sizeof argv[0]), argv, pos, 0,
                                      &npos, &err), PL_OK);
    int rc = pl_access_run(ctx, &o, "test", &err);
    pl_access_opts_free(&o);
    if (rc != PL_OK)
        fail_msg("--mode %s: %s", mode, err.msg);
}

/* --mode car,walk (#19): one run, inputs loaded once; each mode's layers carry its name and
 * hold exactly what a run of that mode alone writes under the plain names. */
static void test_several_modes_one_output(void **state)
{
    (void)state;
    const char *dir = fixture_dir();
    char both[600], car[600], walk[600];
    snprintf(both, sizeof both, "%s/modes_both.gpkg", dir);
    snprintf(car, sizeof car, "%s/modes_car.gpkg", dir);
    snprintf(walk, sizeof walk, "%s/modes_walk.gpkg", dir);
    pl_ctx *ctx = pl_ctx_new();  /* GDAL stays registered while a context lives */
    ctx->quiet = 1;
    run_access_cli(ctx, dir, "car,walk", both);
    run_access_cli(ctx, dir, "car", car);
    run_access_cli(ctx, dir, "walk", walk);
    static const char *layers[] = {"access_cells", "service_level", "access_municipalities",
                                   "access_municipalities_table", "data_checks", "unattached_units"};
    for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++) {
        const char *single[2] = {car, walk}, *mode[2] = {"car", "walk"};
        for (int m = 0; m < 2; m++) {
            char name[96];
            snprintf(name, sizeof name, "%s_%s", layers[i], mode[m]);
            char *a = layer_text(single[m], layers[i]), *b = layer_text(both, name);
            assert_non_null(a);
            if (!b)
                fail_msg("no layer %s in the car,walk output", name);
            assert_string_equal(a, b);
            assert_null(layer_text(single[m], name));  /* a single mode keeps the plain names */
            free(a);
            free(b);
        }
        assert_null(layer_text(both, layers[i]));
    }
    /* The units' municipalities are found once for all modes: the island, outside every
     * municipality polygon, is warned about once, as in a single-mode run. */
    pl_ctx *one = pl_ctx_new();
    one->quiet = 1;
    run_access_cli(one, dir, "car,walk", both);
    assert_int_equal(pl_warn_count(one, "cell-outside-municipality"), 1);
    pl_ctx_free(one);
    /* The modes differ (the island is 5 km off the road: reached at walking speed it takes longer). */
    char *a = layer_text(car, "access_cells"), *b = layer_text(walk, "access_cells");
    assert_true(strcmp(a, b) != 0);
    free(a);
    free(b);
    pl_ctx_free(ctx);
}

/* #19, several modes in one run: bike on the same road as car (both open it, both ways) reads
 * the same arcs and attachment for its distances, so it takes the car's (tie-free) instead of
 * searching: the same sources and distances, the same times, summaries and service level as
 * a bike run of its own; its by_dist times, which nothing writes, are NaN. A mode that
 * attaches a place elsewhere does not take them. */
static void test_mode_takes_distances(void **state)
{
    (void)state;
    fixture f;
    load_fixture(&f);
    int types[4] = {pl_service_types_find(f.types, "grocery"), pl_service_types_find(f.types, "grocery_full"),
                    pl_service_types_find(f.types, "grocery_partial"), pl_service_types_find(f.types, "fuel")};
    pl_access_params p = {.types = types, .n_types = 4, .mode = PL_MODE_CAR, .within_km = 5, .max_snap_m = 1000};
    pl_access_result *car = NULL, *bike = NULL, *ref = NULL;
    pl_error err = {0};
    assert_int_equal(pl_graph_keep_snap_index(f.graph, f.roads), PL_OK);
    assert_int_equal(pl_access_compute(f.ctx, f.pop, f.svc, f.types, f.munis, f.roads, f.graph, &p, &car, &err), PL_OK);
    assert_int_equal(car->types[0].n_members, 2);  /* grocery: merged from its members, not searched */
    for (int t = 0; t < 4; t++)
        assert_int_equal(car->types[t].dist_tie_free, t > 0);
    pl_graph_opts go;
    pl_graph_opts_default(&go);
    go.mode = PL_MODE_BIKE;
    pl_graph *g = pl_graph_build_like(f.ctx, f.graph, f.roads, &go, &err);
    assert_non_null(g);
    p.mode = PL_MODE_BIKE;
    p.same_inputs = car;
    assert_int_equal(pl_access_prepare(f.ctx, f.pop, f.svc, f.types, f.munis, f.roads, g, &p, &bike, &err), PL_OK);
    assert_int_equal(pl_access_same_distance_inputs(bike, g, car, f.graph), 1);
    assert_int_equal(pl_access_take_distances(bike, car), 3);
    assert_int_equal(pl_access_search_all(f.ctx, f.pop, f.svc, f.munis, g, &p, bike, &err), PL_OK);
    p.same_inputs = NULL;
    assert_int_equal(pl_access_compute(f.ctx, f.pop, f.svc, f.types, f.munis, f.roads, g, &p, &ref, &err), PL_OK);
    int reachable = 0, faster = 0;
    for (int t = 0; t < 4; t++)
        for (size_t i = 0; i < f.pop->n * 2; i++) {
            const pl_label *a = &bike->types[t].by_dist[i], *b = &ref->types[t].by_dist[i];
            assert_int_equal(a->source, b->source);
            assert_memory_equal(&a->dist_m, &b->dist_m, sizeof(double));
            assert_true(a->source == UINT32_MAX ? isinf(a->time_s) : isnan(a->time_s));
            const pl_label *c = &bike->types[t].by_time[i], *d = &ref->types[t].by_time[i];
            assert_int_equal(c->source, d->source);  /* field by field: the struct has padding */
            assert_memory_equal(&c->dist_m, &d->dist_m, sizeof(double));
            assert_memory_equal(&c->time_s, &d->time_s, sizeof(double));
            reachable += a->source != UINT32_MAX;
            faster += car->types[t].by_time[i].time_s < ref->types[t].by_time[i].time_s;
        }
    assert_true(reachable >= 10);
    assert_true(faster >= 10);  /* bike's times are its own */
    assert_memory_equal(bike->service_level, ref->service_level, f.pop->n * sizeof *bike->service_level);
    assert_memory_equal(bike->total_stats, ref->total_stats, 4 * sizeof *bike->total_stats);
    assert_memory_equal(bike->muni_stats, ref->muni_stats, f.munis->n * 4 * sizeof *bike->muni_stats);
    /* A place attached elsewhere (one unit's leg): another search, nothing taken. */
    bike->cell_snap[0].access_m += 1;
    assert_int_equal(pl_access_same_distance_inputs(bike, g, car, f.graph), 0);
    bike->cell_snap[0].access_m -= 1;
    bike->svc_snap[1].a_len_m += 1;
    assert_int_equal(pl_access_same_distance_inputs(bike, g, car, f.graph), 0);
    bike->svc_snap[1].a_len_m -= 1;
    assert_int_equal(pl_access_same_distance_inputs(bike, g, car, f.graph), 1);
    car->types[3].dist_tie_free = 0;  /* a search that met ties: fuel's distances are not taken */
    assert_int_equal(pl_access_take_distances(bike, car), 2);
    pl_access_result_free(car);
    pl_access_result_free(bike);
    pl_access_result_free(ref);
    pl_graph_free(g);
    free_fixture(&f);
}

/* The same run in turn (PLATSA_THREADS=1) and with each mode's layers written while the next
 * mode computes: every mode's layers as a run of that mode alone writes them. */
static void test_three_modes_in_turn_and_overlapped(void **state)
{
    (void)state;
    const char *dir = fixture_dir();
    const char *modes[3] = {"car", "bike", "walk"};
    char single[3][600], turn[600], overlapped[600];
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    for (int m = 0; m < 3; m++) {
        snprintf(single[m], sizeof single[m], "%s/three_%s.gpkg", dir, modes[m]);
        run_access_cli(ctx, dir, modes[m], single[m]);
    }
    snprintf(turn, sizeof turn, "%s/three_turn.gpkg", dir);
    snprintf(overlapped, sizeof overlapped, "%s/three_overlapped.gpkg", dir);
    const char *was = getenv("PLATSA_THREADS");
    char *saved = was ? strdup(was) : NULL;
    setenv("PLATSA_THREADS", "1", 1);
    long picked = pl_snap_picked_places();
    run_access_cli(ctx, dir, "car,bike,walk", turn);
    /* Every mode opens the one road: bike and walk attach the 4 units and 3 services where car
     * did, from its picks, not searched again (and derive their graphs into the previous one's). */
    assert_int_equal(pl_snap_picked_places() - picked, 2 * (4 + 3));
    setenv("PLATSA_THREADS", "2", 1);
    picked = pl_snap_picked_places();
    run_access_cli(ctx, dir, "car,bike,walk", overlapped);
    assert_int_equal(pl_snap_picked_places() - picked, 2 * (4 + 3));
    if (saved)
        setenv("PLATSA_THREADS", saved, 1);
    else
        unsetenv("PLATSA_THREADS");
    free(saved);
    static const char *layers[] = {"access_cells", "service_level", "access_municipalities",
                                   "access_municipalities_table", "data_checks", "unattached_units"};
    for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++)
        for (int m = 0; m < 3; m++) {
            char name[96];
            snprintf(name, sizeof name, "%s_%s", layers[i], modes[m]);
            char *a = layer_text(single[m], layers[i]), *b = layer_text(turn, name), *c = layer_text(overlapped, name);
            if (!a || !b || !c)
                fail_msg("layer %s: missing", name);
            assert_string_equal(a, b);
            assert_string_equal(a, c);
            free(a);
            free(b);
            free(c);
        }
    pl_ctx_free(ctx);
}

/* A population file with carried kommun codes (kn_kod) for --region 0101 (Västra): c5 first
 * (0102: the first row settles the code field, so it is read), c0 (0101), c10 (carries 0101
 * though it lies in Östra: the code wins), the island (no code: read, placed by polygon),
 * c7 (0102: not read). `only` writes just the units --region 0101 reports (c0, c10). */
static void write_coded_population(const char *path, int only)
{
    const char *head = "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":"
                       "\"urn:ogc:def:crs:EPSG::3006\"}},\"features\":[";
    const char *c5 = "{\"type\":\"Feature\",\"properties\":{\"id\":\"c5\",\"pop\":50,\"kn_kod\":\"0102\"},"
                     "\"geometry\":{\"type\":\"Point\",\"coordinates\":[505000,6500100]}},";
    const char *c0 = "{\"type\":\"Feature\",\"properties\":{\"id\":\"c0\",\"pop\":100,\"kn_kod\":\"0101\"},"
                     "\"geometry\":{\"type\":\"Point\",\"coordinates\":[500000,6500100]}},";
    const char *c10 = "{\"type\":\"Feature\",\"properties\":{\"id\":\"c10\",\"pop\":30,\"kn_kod\":\"0101\"},"
                      "\"geometry\":{\"type\":\"Point\",\"coordinates\":[510000,6500100]}}";
    const char *rest = ",{\"type\":\"Feature\",\"properties\":{\"id\":\"island\",\"pop\":7,\"kn_kod\":null},"
                       "\"geometry\":{\"type\":\"Point\",\"coordinates\":[505000,6505000]}},"
                       "{\"type\":\"Feature\",\"properties\":{\"id\":\"c7\",\"pop\":20,\"kn_kod\":\"0102\"},"
                       "\"geometry\":{\"type\":\"Point\",\"coordinates\":[507000,6500100]}}";
    char text[4096];
    snprintf(text, sizeof text, "%s%s%s%s%s]}", head, only ? "" : c5, c0, c10, only ? "" : rest);
    write_file(path, text);
}

static void run_region(pl_ctx *ctx, const char *dir, const char *pop, const char *out)
{
    char svc[600], roads[600], munis[600], p[600], o_path[600];
    snprintf(svc, sizeof svc, "%s/services.geojson", dir);
    snprintf(roads, sizeof roads, "%s/roads.geojson", dir);
    snprintf(munis, sizeof munis, "%s/munis.geojson", dir);
    snprintf(p, sizeof p, "%s", pop);
    snprintf(o_path, sizeof o_path, "%s", out);
    char *argv[] = {"access", "-p", p, "-s", svc, "-r", roads, "-m", munis, "--types", "grocery,fuel",
                    "--region", "0101", "-o", o_path, "--overwrite"};
    pl_access_opts o;
    memset(&o, 0, sizeof o);
    char *pos[1];
    int npos = 0;
    pl_error err = {0};
    assert_int_equal(pl_options_parse(pl_access_options, &o, (int)(sizeof argv / sizeof argv[0]), argv, pos, 0,
                                      &npos, &err), PL_OK);
    int rc = pl_access_run(ctx, &o, "test", &err);
    pl_access_opts_free(&o);
    if (rc != PL_OK)
        fail_msg("--region 0101 on %s: %s", pop, err.msg);
}

/* --region (#19): units whose carried kommun code names another known municipality are not
 * read (a national grid for one county read 600,000 squares to report 18,000); the rest are,
 * and the region's cells are those of a run on a file holding only the region's units. */
static void test_region_reads_only_its_units(void **state)
{
    (void)state;
    const char *dir = fixture_dir();
    char all[600], only[600], out_all[600], out_only[600], munis[600];
    snprintf(all, sizeof all, "%s/coded_all.geojson", dir);
    snprintf(only, sizeof only, "%s/coded_only.geojson", dir);
    snprintf(out_all, sizeof out_all, "%s/region_all.gpkg", dir);
    snprintf(out_only, sizeof out_only, "%s/region_only.gpkg", dir);
    snprintf(munis, sizeof munis, "%s/munis.geojson", dir);
    write_coded_population(all, 0);
    write_coded_population(only, 1);
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};
    pl_load_opts mo = {0};
    pl_municipalities *m = pl_municipalities_load(ctx, munis, &mo, &err);
    assert_non_null(m);
    pl_load_opts po = {.region = "0101", .region_munis = m};
    pl_population *p = pl_population_load(ctx, all, &po, &err);
    assert_non_null(p);
    const char *want[] = {"c5", "c0", "c10", "island"};
    assert_int_equal(p->n, 4);
    for (size_t i = 0; i < p->n; i++)
        assert_string_equal(p->id[i], want[i]);
    pl_population_free(ctx, p);
    po.region = "01";  /* the county holds both municipalities: every unit is read */
    p = pl_population_load(ctx, all, &po, &err);
    assert_non_null(p);
    assert_int_equal(p->n, 5);
    pl_population_free(ctx, p);
    pl_municipalities_free(ctx, m);
    run_region(ctx, dir, all, out_all);
    run_region(ctx, dir, only, out_only);
    static const char *layers[] = {"access_cells", "service_level", "access_municipalities",
                                   "access_municipalities_table", "data_checks"};
    for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++) {
        char *a = layer_text(out_all, layers[i]), *b = layer_text(out_only, layers[i]);
        assert_non_null(a);
        assert_non_null(b);
        assert_string_equal(a, b);
        free(a);
        free(b);
    }
    char *cells = layer_text(out_all, "access_cells");
    assert_non_null(strstr(cells, "c10"));  /* carried 0101: reported though it lies in Östra */
    assert_null(strstr(cells, "c5|"));
    free(cells);
    pl_ctx_free(ctx);
}

static void test_service_level_layer_in_gdal(void **state)
{
    (void)state;
    /* --within 3.11: c5's nearest store is 3,110 m away (to within a millimetre), written as
     * 3.110 km, and so within. */
    const char *dir = fixture_dir();
    char pop[600], svc[600], roads[600], munis[600], out[600];
    snprintf(pop, sizeof pop, "%s/population.geojson", dir);
    snprintf(svc, sizeof svc, "%s/services.geojson", dir);
    snprintf(roads, sizeof roads, "%s/roads.geojson", dir);
    snprintf(munis, sizeof munis, "%s/munis.geojson", dir);
    snprintf(out, sizeof out, "%s/out.gpkg", dir);
    char *argv[] = {"access", "-p", pop, "-s", svc, "-r", roads, "-m", munis, "--types", "grocery,fuel",
                    "--within", "3.11", "-o", out, "--overwrite"};
    pl_access_opts o;
    memset(&o, 0, sizeof o);
    char *pos[1];
    int npos = 0;
    pl_error err = {0};
    assert_int_equal(pl_options_parse(pl_access_options, &o, (int)(sizeof argv / sizeof argv[0]), argv, pos, 0,
                                      &npos, &err), PL_OK);
    fixture f;
    load_fixture(&f);
    assert_int_equal(pl_access_run(f.ctx, &o, "test", &err), PL_OK);
    int types[2] = {pl_service_types_find(f.types, "grocery"), pl_service_types_find(f.types, "fuel")};
    pl_access_params p = {.types = types, .n_types = 2, .mode = PL_MODE_CAR, .within_km = o.within_km,
                          .max_snap_m = o.max_snap_m};
    pl_access_result *r = NULL;
    assert_int_equal(pl_access_compute(f.ctx, f.pop, f.svc, f.types, f.munis, f.roads, f.graph, &p, &r, &err), PL_OK);

    GDALDatasetH ds = GDALOpenEx(out, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH cells = GDALDatasetGetLayerByName(ds, "access_cells");
    OGRLayerH sl = GDALDatasetGetLayerByName(ds, "service_level");
    assert_non_null(cells);
    assert_non_null(sl);
    /* cells, level, municipalities + table, data_checks, styles, and unattached_units: the island 5 km
     * off the roads */
    assert_int_equal(GDALDatasetGetLayerCount(ds), 7);
    assert_string_equal(OGR_L_GetName(GDALDatasetGetLayer(ds, 1)), "service_level");
    assert_int_equal(OGR_L_GetFeatureCount(sl, 1), (GIntBig)f.pop->n);
    assert_string_equal(OGR_L_GetFIDColumn(sl), "fid");
    assert_int_equal(wkbFlatten(OGR_L_GetGeomType(sl)), wkbPoint);
    assert_true(OGR_L_TestCapability(sl, OLCFastSpatialFilter));  /* access_cells' R-tree */
    static const struct {
        const char *name;
        OGRFieldType type;
    } want[] = {{"cell_id", OFTString}, {"kommun", OFTString}, {"pop", OFTReal}, {"service_level", OFTInteger},
                {"types_total", OFTInteger}, {"grocery_within", OFTInteger}, {"fuel_within", OFTInteger}};
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(sl);
    assert_int_equal(OGR_FD_GetFieldCount(defn), 7);
    for (int i = 0; i < 7; i++) {
        OGRFieldDefnH fd = OGR_FD_GetFieldDefn(defn, i);
        assert_string_equal(OGR_Fld_GetNameRef(fd), want[i].name);
        assert_int_equal(OGR_Fld_GetType(fd), want[i].type);
    }
    int n = 0, n_within = 0, n_outside = 0;
    OGRFeatureH ft;
    OGR_L_ResetReading(sl);
    while ((ft = OGR_L_GetNextFeature(sl)) != NULL) {
        long c = cell_index(f.pop, OGR_F_GetFieldAsString(ft, 0));
        OGRFeatureH cf = OGR_L_GetFeature(cells, OGR_F_GetFID(ft));  /* same fid, same cell */
        assert_non_null(cf);
        assert_string_equal(OGR_F_GetFieldAsString(cf, 0), f.pop->id[c]);
        assert_true(OGR_G_Equals(OGR_F_GetGeometryRef(ft), OGR_F_GetGeometryRef(cf)));
        assert_true(OGR_F_GetFieldAsDouble(ft, 2) == f.pop->pop[c]);
        int level = 0;
        for (int t = 0; t < 2; t++) {
            double km = round(r->types[t].by_dist[c * 2].dist_m / 1000.0 * 1000) / 1000;  /* as written */
            int in = km <= o.within_km;
            assert_int_equal(OGR_F_GetFieldAsInteger(ft, 5 + t), in);
            level += in;
            n_within += in;
            n_outside += !in;
        }
        assert_int_equal(OGR_F_GetFieldAsInteger(ft, 3), level);
        assert_int_equal(OGR_F_GetFieldAsInteger(cf, OGR_F_GetFieldIndex(cf, "service_level")), level);
        assert_int_equal(OGR_F_GetFieldAsInteger(ft, 4), 2);
        OGR_F_Destroy(cf);
        OGR_F_Destroy(ft);
        n++;
    }
    assert_int_equal(n, (int)f.pop->n);
    assert_true(n_within > 0 && n_outside > 0);
    /* A spatial filter around c0 finds c0 only, through the index. */
    OGR_L_SetSpatialFilterRect(sl, X0 - 50, Y0 + 50, X0 + 50, Y0 + 150);
    ft = OGR_L_GetNextFeature(sl);
    assert_non_null(ft);
    assert_string_equal(OGR_F_GetFieldAsString(ft, 0), "c0");
    OGR_F_Destroy(ft);
    assert_null(OGR_L_GetNextFeature(sl));
    GDALClose(ds);
    pl_access_result_free(r);
    free_fixture(&f);
    pl_options_free(pl_access_options, &o);
}


/* Data checks: Västra (0101) has Store A but no fuel station in the data: one row, for fuel;
 * grocery is in both kommuner, so no row for it. */
static void test_data_checks(void **state)
{
    (void)state;
    fixture f;
    load_fixture(&f);
    int types[2] = {pl_service_types_find(f.types, "grocery"), pl_service_types_find(f.types, "fuel")};
    pl_access_params p = {.types = types, .n_types = 2, .mode = PL_MODE_CAR, .within_km = 5, .max_snap_m = 1000};
    pl_access_result *r = NULL;
    pl_error err = {0};
    assert_int_equal(pl_access_compute(f.ctx, f.pop, f.svc, f.types, f.munis, f.roads, f.graph, &p, &r, &err), PL_OK);
    pl_warn_reset(f.ctx);
    pl_access_checks *c = pl_access_checks_run(f.ctx, f.munis, f.types, r);
    assert_int_equal(c->n, 1);
    assert_string_equal(c->rows[0].kind, "none_in_kommun");
    assert_string_equal(f.munis->code[c->rows[0].muni], "0101");
    assert_int_equal(c->rows[0].type_slot, 1);
    assert_int_equal(pl_warn_count(f.ctx, "data-check-none-in-kommun"), 1);
    char msg[1024];
    pl_access_check_message(&c->rows[0], f.munis, f.types, r, msg, sizeof msg);
    assert_non_null(strstr(msg, "Västra saknar"));
    assert_non_null(strstr(msg, "Kontrollera att servicelistan är fullständig"));
    pl_access_checks_free(c);
    pl_access_result_free(r);
    free_fixture(&f);
}

int main(void)
{
    GDALAllRegister();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_helpers),
        cmocka_unit_test(test_weighted_median_property),
        cmocka_unit_test(test_distances_on_a_straight_road),
        cmocka_unit_test(test_population_totals_and_bands),
        cmocka_unit_test(test_age_group_summary),
        cmocka_unit_test(test_csv_style_sv),
        cmocka_unit_test(test_region_keeps_services_outside),
        cmocka_unit_test(test_region_reads_only_its_units),
        cmocka_unit_test(test_classify_by_car_time),
        cmocka_unit_test(test_service_level_layer_in_gdal),
        cmocka_unit_test(test_data_checks),
        cmocka_unit_test(test_several_modes_one_output),
        cmocka_unit_test(test_mode_takes_distances),
        cmocka_unit_test(test_three_modes_in_turn_and_overlapped),
    };
    return cmocka_run_group_tests_name("access", tests, NULL, NULL);
}
