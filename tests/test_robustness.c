/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Robustness: bad inputs through the CLI (`platsa access`), and replay of the fuzz corpora.
 *
 * Bad inputs (tests/BAD_INPUTS.md lists them): each refused case asserts the exit code, the
 * exact one-line error (stderr with -q is that line only), that no output, temporary file or
 * CSV twin appears and that an existing output is byte-identical afterwards. Each accepted
 * case asserts exit 0 and the exact counted warning.
 *
 * Fuzz replay: every seed (tests/fuzz/corpus/NAME/) and every saved crash
 * (tests/fuzz/regressions/NAME/) goes through the fuzz target's own entry function
 * (tests/fuzz/fuzz_NAME.c, built here with gcc and without libFuzzer), properties included. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <cpl_error.h>

#include "gis/commit.h"
#include "gis/gpkg_writer.h"
#include "support/testutil.h"

#define PL_FUZZ_NO_MAIN
#include "fuzz/fuzz_layers.c"
#include "fuzz/fuzz_options.c"
#include "fuzz/fuzz_osm_tags.c"
#include "fuzz/fuzz_service_types.c"
#include "fuzz/fuzz_graph_cache.c"

/* build/test-tmp/robustness/{in,out,ref,ok} */
static char root[1024], in_dir[1100], out_dir[1100], ref_dir[1100], ok_dir[1100];

static const char *platsa_bin(void)
{
    const char *b = getenv("PLATSA_BIN");
    return b && *b ? b : "build/platsa";
}

/* ---------- files ---------- */

static const char *in_path(const char *name)
{
    static char buf[4][1400];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", in_dir, name);
    return buf[k];
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return strdup("");
    char *s = NULL;
    size_t n = 0, cap = 0;
    int c;
    while ((c = fgetc(f)) != EOF) {
        if (n + 2 > cap) {
            cap = cap ? 2 * cap : 4096;
            s = realloc(s, cap);
        }
        s[n++] = (char)c;
    }
    fclose(f);
    if (!s)
        return strdup("");
    s[n] = '\0';
    return s;
}

#define CRS3006 "\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"urn:ogc:def:crs:EPSG::3006\"}},"

static void geojson(const char *name, const char *crs, const char *features)
{
    char *text = malloc(strlen(features) + 512);
    sprintf(text, "{\"type\":\"FeatureCollection\",%s\"features\":[%s]}", crs, features);
    write_text(in_path(name), text);
    free(text);
}

static const char *POINT_FEATURE = "{\"type\":\"Feature\",\"properties\":{%s},\"geometry\":{\"type\":\"Point\","
                                   "\"coordinates\":[%s]}}";

static char *point(const char *props, const char *xy)
{
    static char buf[8][512];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], POINT_FEATURE, props, xy);
    return buf[k];
}

/* The good inputs (the test_access fixture, shortened), in EPSG:3006 unless said. */
static void make_inputs(void)
{
    geojson("roads.geojson", CRS3006,
            "{\"type\":\"Feature\",\"properties\":{\"id\":1,\"highway\":\"tertiary\",\"maxspeed\":\"50\"},"
            "\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[500000,6500000],[505000,6500000],[510000,6500000]]}}");
    /* Roads with topology ids (source/target): one without a target id; a zero-length loop; a
     * feature of two lines. */
    geojson("roads_topo_null.geojson", CRS3006,
            "{\"type\":\"Feature\",\"properties\":{\"highway\":\"tertiary\",\"source\":1,\"target\":2},"
            "\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[500000,6500000],[505000,6500000]]}},"
            "{\"type\":\"Feature\",\"properties\":{\"highway\":\"tertiary\",\"source\":2,\"target\":null},"
            "\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[505000,6500000],[510000,6500000]]}}");
    geojson("roads_topo_loop.geojson", CRS3006,
            "{\"type\":\"Feature\",\"properties\":{\"highway\":\"tertiary\",\"maxspeed\":\"50\",\"source\":1,"
            "\"target\":2},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[500000,6500000],[505000,6500000],"
            "[510000,6500000]]}},"
            "{\"type\":\"Feature\",\"properties\":{\"highway\":\"tertiary\",\"source\":2,\"target\":2},"
            "\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[510000,6500000],[510000,6500000]]}}");
    geojson("roads_topo_multi.geojson", CRS3006,
            "{\"type\":\"Feature\",\"properties\":{\"highway\":\"tertiary\",\"source\":1,\"target\":2},"
            "\"geometry\":{\"type\":\"MultiLineString\",\"coordinates\":[[[500000,6500000],[505000,6500000]],"
            "[[505000,6500000],[510000,6500000]]]}}");
    /* A second road running off to 1e300 m. */
    geojson("roads_huge.geojson", CRS3006,
            "{\"type\":\"Feature\",\"properties\":{\"highway\":\"tertiary\",\"maxspeed\":\"50\"},"
            "\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[500000,6500000],[505000,6500000],[510000,6500000]]}},"
            "{\"type\":\"Feature\",\"properties\":{\"highway\":\"tertiary\"},"
            "\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[510000,6500000],[1e300,6500000]]}}");
    char f[2048];
    snprintf(f, sizeof f, "%s,%s", point("\"id\":\"10\",\"type\":\"supermarket\",\"name\":\"Store A\"", "502000,6500010"),
             point("\"id\":\"30\",\"type\":\"fuel\",\"name\":\"Fuel\"", "509000,6500010"));
    geojson("services.geojson", CRS3006, f);
    /* The same services in WGS 84 (GeoJSON without a crs member): reprojected on load. */
    snprintf(f, sizeof f, "%s,%s",
             point("\"id\":\"10\",\"type\":\"supermarket\",\"name\":\"Store A\"", "15.0344529234615,58.6403821412586"),
             point("\"id\":\"30\",\"type\":\"fuel\",\"name\":\"Fuel\"", "15.1550378444865,58.6402933681849"));
    geojson("services_wgs84.geojson", "", f);
    snprintf(f, sizeof f, "%s,%s", point("\"id\":\"c0\",\"pop\":100", "500000,6500100"),
             point("\"id\":\"c5\",\"pop\":50", "505000,6500100"));
    geojson("population.geojson", CRS3006, f);
    snprintf(f, sizeof f, "%s,%s", point("\"id\":\"c0\",\"pop\":100", "500000,6500100"),
             point("\"id\":\"c5\",\"pop\":\"många\"", "505000,6500100"));
    geojson("population_text.geojson", CRS3006, f);
    /* An SCB square id where the population should be. */
    snprintf(f, sizeof f, "%s", point("\"id\":\"c0\",\"pop\":6590006600000", "500000,6500100"));
    geojson("population_huge.geojson", CRS3006, f);
    geojson("population_empty.geojson", CRS3006, "");
    /* A point and a square in one layer. */
    snprintf(f, sizeof f, "%s,{\"type\":\"Feature\",\"properties\":{\"id\":\"sq\",\"pop\":50},\"geometry\":{\"type\":"
             "\"Polygon\",\"coordinates\":[[[504500,6500050],[505500,6500050],[505500,6501000],[504500,6501000],"
             "[504500,6500050]]]}}", point("\"id\":\"c0\",\"pop\":100", "500000,6500100"));
    geojson("population_mixed.geojson", CRS3006, f);
    /* Two x columns (crashed GDAL's CSV driver), and both lon/lat and x/y (mixed x with lat). */
    write_text(in_path("population_dup_x.csv"), "id,x,x,y,pop\nc0,500000,1,6500100,100\n");
    write_text(in_path("population_two_pairs.csv"), "id,lon,lat,x,y,pop\nc0,15.0,58.6,500000,6500100,100\n"
                                                     "c5,15.2,58.7,505000,6500100,50\n");
    /* An SCB grid table with a typo in y_sw (found by fuzz_layers). */
    write_text(in_path("grid_typo.csv"), "\"rut_id\",\"x_sw\",\"y_sw\",\"pop\",\"kn_kod\"\n"
                                         "\"5000006500000\",500000,6500000,33,\"0101\"\n"
                                         "\"5050006500000\",505000,6500000000,26,\"0101\"\n");
    write_text(in_path("population_nocrs.csv"), "id,x,y,pop\nc0,500000,6500100,100\nc5,505000,6500100,50\n");
    geojson("munis.geojson", CRS3006,
            "{\"type\":\"Feature\",\"properties\":{\"KnKod\":\"0101\",\"KnNamn\":\"Västra\"},\"geometry\":{\"type\":"
            "\"Polygon\",\"coordinates\":[[[499000,6499000],[511000,6499000],[511000,6501000],[499000,6501000],"
            "[499000,6499000]]]}}");
    /* The ring crosses itself at (499400, 6501000). */
    geojson("munis_selfcross.geojson", CRS3006,
            "{\"type\":\"Feature\",\"properties\":{\"KnKod\":\"0101\",\"KnNamn\":\"Västra\"},\"geometry\":{\"type\":"
            "\"Polygon\",\"coordinates\":[[[499000,6499000],[511000,6499000],[511000,6501000],[498000,6501000],"
            "[499500,6501500],[499000,6499000]]]}}");
    /* Latin-1 names, as Excel writes a CSV. */
    write_text(in_path("services_latin1.csv"), "id,x,y,type,name\n10,502000,6500010,supermarket,ICA N\xe4ra\n"
                                               "30,509000,6500010,fuel,Bensinmack \xc5s\n");
    write_text(in_path("bad_types.ini"), "[bakery]\nvalues = bageri\nbands_km = 5, 2\n");
    /* Attachment (issue #17): a store 50 km north of every road (a national list on a county's
     * roads), whose leg would put it at the road's west end, beside c0; a unit 5 km off the
     * roads; units with their own ids (SCB Rut_id, and a duplicate). */
    snprintf(f, sizeof f, "%s,%s,%s", point("\"id\":\"10\",\"type\":\"supermarket\",\"name\":\"Store A\"", "502000,6500010"),
             point("\"id\":\"30\",\"type\":\"fuel\",\"name\":\"Fuel\"", "509000,6500010"),
             point("\"id\":\"99\",\"type\":\"supermarket\",\"name\":\"Far Store\"", "500000,6550000"));
    geojson("services_far.geojson", CRS3006, f);
    snprintf(f, sizeof f, "%s,%s,%s", point("\"id\":\"c0\",\"pop\":100", "500000,6500100"),
             point("\"id\":\"c5\",\"pop\":50", "505000,6500100"), point("\"id\":\"cfar\",\"pop\":7", "505000,6505000"));
    geojson("population_far.geojson", CRS3006, f);
    snprintf(f, sizeof f, "%s,%s", point("\"Rut_id\":\"5000006500000\",\"kod\":\"A\",\"pop\":100", "500000,6500100"),
             point("\"Rut_id\":\"5050006500000\",\"kod\":\"B\",\"pop\":50", "505000,6500100"));
    geojson("population_rutid.geojson", CRS3006, f);
    snprintf(f, sizeof f, "%s,%s", point("\"Rut_id\":\"5000006500000\",\"kod\":\"A\",\"pop\":100", "500000,6500100"),
             point("\"Rut_id\":\"5000006500000\",\"kod\":\"B\",\"pop\":50", "505000,6500100"));
    geojson("population_dup_ids.geojson", CRS3006, f);
    write_text(in_path("many_bands.ini"), "[bakery]\nvalues = bageri\nbands_km = 1,2,3,4,5,6,7,8,9,10,11,12,13\n");
    snprintf(f, sizeof f, "%s", point("\"name\":\"Mitt\",\"pop\":5000", "505000,6500100"));
    geojson("localities.geojson", CRS3006, f);
    snprintf(f, sizeof f, "%s", point("\"name\":\"Mitt\"", "505000,6500100"));
    geojson("localities_nopop.geojson", CRS3006, f);

    /* Issue #18. Longitude/latitude in a layer labelled SWEREF 99 TM; the same in a CSV given
     * --assume-crs EPSG:3006; SWEREF 99 TM metres in a GeoJSON without crs (WGS 84). */
    snprintf(f, sizeof f, "%s,%s", point("\"id\":\"c0\",\"pop\":100", "15.0310,58.6394"),
             point("\"id\":\"c5\",\"pop\":50", "15.1185,58.6402"));
    geojson("population_lonlat_3006.geojson", CRS3006, f);
    write_text(in_path("population_lonlat.csv"), "id,lon,lat,pop\nc0,15.0310,58.6394,100\nc5,15.1185,58.6402,50\n");
    snprintf(f, sizeof f, "%s,%s", point("\"id\":\"10\",\"type\":\"supermarket\"", "502000,6500010"),
             point("\"id\":\"30\",\"type\":\"fuel\"", "509000,6500010"));
    geojson("services_sweref_as_wgs84.geojson", "", f);
    /* An SCB grid table (read as SWEREF 99 TM) with lon/lat corners. */
    write_text(in_path("grid_lonlat.csv"), "rut_id,x_sw,y_sw,pop\nc0,15,58,10\nc1,16,58,12\n");
    /* One stray point at (0, 0) among good ones. */
    snprintf(f, sizeof f, "%s,%s,%s", point("\"id\":\"c0\",\"pop\":100", "500000,6500100"),
             point("\"id\":\"c5\",\"pop\":50", "505000,6500100"), point("\"id\":\"zero\",\"pop\":5", "0,0"));
    geojson("population_stray.geojson", CRS3006, f);
    /* Population fields that are no counts: a kommun code as text in a GeoPackage (next to
     * the real count), a code with a leading zero, 12 consecutive ids. */
    write_text(in_path("population_codes.csv"), "id,x,y,kod,beftot\nc0,500000,6500100,0180,100\n"
                                                  "c5,505000,6500100,0180,50\n");
    assert_int_equal(run_cmd("ogr2ogr -f GPKG %s %s -a_srs EPSG:3006 -nln population -oo X_POSSIBLE_NAMES=x "
                             "-oo Y_POSSIBLE_NAMES=y -sql \"SELECT id, kod AS pop, CAST(beftot AS integer) AS beftot "
                             "FROM population_codes\"", in_path("population_text_field.gpkg"),
                             in_path("population_codes.csv")), 0);
    snprintf(f, sizeof f, "%s,%s", point("\"id\":\"c0\",\"pop\":\"0180\"", "500000,6500100"),
             point("\"id\":\"c5\",\"pop\":\"0180\"", "505000,6500100"));
    geojson("population_leading_zero.geojson", CRS3006, f);
    {
        char many[8192] = "";
        for (int i = 0; i < 12; i++) {
            char xy[64], props[64];
            snprintf(xy, sizeof xy, "%d,6500100", 500000 + 400 * i);
            snprintf(props, sizeof props, "\"id\":\"u%d\",\"antal\":%d,\"bef\":%d", i, 101 + (i * 5) % 12, 10 + i % 3);
            size_t used = strlen(many);
            snprintf(many + used, sizeof many - used, "%s%s", i ? "," : "", point(props, xy));
        }
        geojson("population_sequence.geojson", CRS3006, many);
    }
    /* Population squares, the second 60 % over the first; a grid table with a square twice. */
    geojson("population_overlap.geojson", CRS3006,
            "{\"type\":\"Feature\",\"properties\":{\"id\":\"A\",\"pop\":100},\"geometry\":{\"type\":\"Polygon\","
            "\"coordinates\":[[[500000,6500000],[501000,6500000],[501000,6501000],[500000,6501000],[500000,6500000]]]}},"
            "{\"type\":\"Feature\",\"properties\":{\"id\":\"B\",\"pop\":80},\"geometry\":{\"type\":\"Polygon\","
            "\"coordinates\":[[[500400,6500000],[501400,6500000],[501400,6501000],[500400,6501000],[500400,6500000]]]}}");
    write_text(in_path("grid_twice.csv"), "rut_id,pop\n5000006500000,33\n5050006500000,26\n5000006500000,33\n");
    /* An SCB grid table whose "pop" is the square's easting. */
    write_text(in_path("grid_easting.csv"), "rut_id,pop\n5002506500000,500250\n5005006500000,500500\n");
    /* Three services with id 42 (two types at one place and one elsewhere), and one node
     * with two types (import-osm writes a fuel station with a shop so). */
    snprintf(f, sizeof f, "%s,%s,%s", point("\"id\":\"42\",\"type\":\"supermarket\"", "502000,6500010"),
             point("\"id\":\"42\",\"type\":\"fuel\"", "509000,6500010"),
             point("\"id\":\"42\",\"type\":\"supermarket\"", "505000,6500010"));
    geojson("services_dup_ids.geojson", CRS3006, f);
    snprintf(f, sizeof f, "%s,%s", point("\"osm_id\":7,\"type\":\"supermarket\"", "509000,6500010"),
             point("\"osm_id\":7,\"type\":\"fuel\"", "509000,6500010"));
    geojson("services_one_node.geojson", CRS3006, f);

    /* Population points with NaN, huge and infinite coordinates (GeoJSON cannot hold NaN). */
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    assert_non_null(drv);
    CPLPushErrorHandler(CPLQuietErrorHandler);
    GDALDatasetH ds = GDALCreate(drv, in_path("population_coords.gpkg"), 0, 0, 0, GDT_Unknown, NULL);
    assert_non_null(ds);
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(srs, 3006);
    OGRLayerH l = GDALDatasetCreateLayer(ds, "population", srs, wkbPoint, NULL);
    OSRDestroySpatialReference(srs);
    OGRFieldDefnH fd = OGR_Fld_Create("id", OFTString);
    OGR_L_CreateField(l, fd, TRUE);
    OGR_Fld_Destroy(fd);
    fd = OGR_Fld_Create("pop", OFTInteger);
    OGR_L_CreateField(l, fd, TRUE);
    OGR_Fld_Destroy(fd);
    const double xs[] = {500000, NAN, 1e300, INFINITY, 505000};
    const char *ids[] = {"c0", "nan", "huge", "inf", "c5"};
    for (int i = 0; i < 5; i++) {
        OGRFeatureH feat = OGR_F_Create(OGR_L_GetLayerDefn(l));
        OGRGeometryH g = OGR_G_CreateGeometry(wkbPoint);
        OGR_G_SetPoint_2D(g, 0, xs[i], 6500100);
        OGR_F_SetGeometryDirectly(feat, g);
        OGR_F_SetFieldString(feat, 0, ids[i]);
        OGR_F_SetFieldInteger(feat, 1, 10 * (i + 1));
        assert_int_equal(OGR_L_CreateFeature(l, feat), OGRERR_NONE);
        OGR_F_Destroy(feat);
    }
    GDALClose(ds);
    CPLPopErrorHandler();

    /* A real GeoPackage cut in half, and one with a damaged page (page 20 of 70 overwritten). */
    assert_int_equal(run_cmd("f=sample-data/sodermalm/population.gpkg; head -c $(( $(stat -c %%s $f) / 2 )) $f > %s",
                             in_path("population_half.gpkg")), 0);
    assert_int_equal(run_cmd("cp sample-data/sodermalm/population.gpkg %s && "
                             "head -c 4096 /dev/zero | tr '\\0' '\\245' | "
                             "dd of=%s bs=4096 seek=20 count=1 conv=notrunc 2>/dev/null",
                             in_path("population_damaged.gpkg"), in_path("population_damaged.gpkg")), 0);
}

/* ---------- running platsa ---------- */

typedef struct run_spec {
    const char *pop, *svc, *roads, *munis;  /* file names in in/; NULL = the good one */
    const char *extra;                      /* more arguments */
    const char *output;                     /* NULL = out/out.gpkg --overwrite */
    const char *prefix;                     /* shell prefix (ulimit ...); NULL = none */
} run_spec;

static char *last_stderr;

static int run_access(const run_spec *r, int quiet)
{
    char out[1400];
    snprintf(out, sizeof out, "%s/out.gpkg --overwrite", out_dir);
    char errp[1400];
    snprintf(errp, sizeof errp, "%s/stderr.txt", root);
    int rc = run_cmd("%s %s %s access --population %s --services %s --roads %s --municipalities %s %s -o %s "
                     "> /dev/null 2> %s",
                     r->prefix ? r->prefix : "", platsa_bin(), quiet ? "-q" : "", in_path(r->pop ? r->pop : "population.geojson"),
                     in_path(r->svc ? r->svc : "services.geojson"), in_path(r->roads ? r->roads : "roads.geojson"),
                     in_path(r->munis ? r->munis : "munis.geojson"), r->extra ? r->extra : "",
                     r->output ? r->output : out, errp);
    free(last_stderr);
    last_stderr = read_text(errp);
    return rc;
}

/* Only out.gpkg in out/, with the bytes of ref/out.gpkg. */
static void assert_output_untouched(void)
{
    DIR *d = opendir(out_dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, "out.gpkg"))
            continue;
        fail_msg("unexpected file left in the output folder: %s", e->d_name);
    }
    closedir(d);
    assert_int_equal(run_cmd("cmp -s %s/out.gpkg %s/out.gpkg", out_dir, ref_dir), 0);
}

/* A refused run: exit code, exactly one error line, the existing output untouched. */
static void expect_refused(const run_spec *r, int code, const char *message)
{
    int rc = run_access(r, 1);
    char want[4096];
    snprintf(want, sizeof want, "platsa access: %s\n", message);
    if (strcmp(last_stderr, want) != 0)
        fail_msg("stderr:\n%s\nwanted:\n%s", last_stderr, want);
    assert_int_equal(rc, code);
    assert_output_untouched();
}

/* An accepted run (output ok/NAME): exit 0 and the warning line in stderr. */
static void expect_accepted(run_spec r, const char *name, const char *warning)
{
    char out[1400];
    snprintf(out, sizeof out, "%s/%s", ok_dir, name);
    r.output = out;
    int rc = run_access(&r, 0);
    if (rc != 0)
        fail_msg("exit %d, stderr:\n%s", rc, last_stderr);
    if (warning) {
        char want[2048];
        snprintf(want, sizeof want, "\nwarning: %s\n", warning);
        if (!strstr(last_stderr, want))
            fail_msg("stderr:\n%s\nlacks the line:\n%s", last_stderr, want + 1);
    } else {
        assert_null(strstr(last_stderr, "warning:"));
    }
    assert_true(file_exists(out));
}

/* One value of the output's access_cells, by cell id. */
static char *cell_value(const char *name, const char *column, const char *cell)
{
    static char buf[256];
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "sqlite3 %s/%s \"SELECT %s FROM access_cells WHERE cell_id = '%s'\"", ok_dir, name,
             column, cell);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    buf[0] = '\0';
    if (!fgets(buf, sizeof buf, p))
        buf[0] = '\0';
    pclose(p);
    buf[strcspn(buf, "\n")] = '\0';
    return buf;
}

static int setup(void **state)
{
    (void)state;
    GDALAllRegister();
    snprintf(root, sizeof root, "%s", scratch_dir("robustness"));
    snprintf(in_dir, sizeof in_dir, "%s/in", root);
    snprintf(out_dir, sizeof out_dir, "%s/out", root);
    snprintf(ref_dir, sizeof ref_dir, "%s/ref", root);
    snprintf(ok_dir, sizeof ok_dir, "%s/ok", root);
    if (run_cmd("mkdir -p %s %s %s %s", in_dir, out_dir, ref_dir, ok_dir) != 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(last_stderr);
    return 0;
}

/* The reference output every refused run must leave alone (a real result of a good run). */
static void test_good_run_makes_reference(void **state)
{
    (void)state;
    make_inputs();
    run_spec r = {0};
    assert_int_equal(run_access(&r, 1), 0);
    assert_string_equal(last_stderr, "");
    assert_int_equal(run_cmd("cp %s/out.gpkg %s/out.gpkg", out_dir, ref_dir), 0);
    assert_output_untouched();
}

/* ---------- CRS ---------- */

static void test_geographic_working_crs_refused(void **state)
{
    (void)state;
    run_spec r = {.extra = "--crs EPSG:4326"};
    expect_refused(&r, 1, "working CRS 'EPSG:4326' is geographic (degrees), not projected in metres; use --crs with a "
                          "projected CRS such as EPSG:3006 (SWEREF 99 TM)");
    r.extra = "--crs EPSG:999999";
    expect_refused(&r, 1, "working CRS 'EPSG:999999' is not a known CRS; use --crs EPSG:n");
}

static void test_layer_in_wgs84_reprojected(void **state)
{
    (void)state;
    run_spec r = {.svc = "services_wgs84.geojson"};
    expect_accepted(r, "wgs84.gpkg", NULL);
    r.svc = NULL;
    expect_accepted(r, "sweref.gpkg", NULL);
    /* Same distances as with the services in SWEREF 99 TM: 100 m + 2,000 m + 10 m. */
    assert_string_equal(cell_value("wgs84.gpkg", "grocery_full_km", "c0"), "2.11");
    assert_string_equal(cell_value("sweref.gpkg", "grocery_full_km", "c0"), "2.11");
    assert_string_equal(cell_value("wgs84.gpkg", "fuel_km", "c5"), "4.11");
}

static void test_no_crs_refused_then_assumed(void **state)
{
    (void)state;
    run_spec r = {.pop = "population_nocrs.csv"};
    expect_refused(&r, 1, "population_nocrs.csv:population_nocrs: layer has no CRS; give it one with --assume-crs "
                          "EPSG:n (the coordinates look like SWEREF 99 TM: EPSG:3006)");
    r.extra = "--assume-crs EPSG:3006";
    expect_accepted(r, "assumed.gpkg", NULL);
    assert_string_equal(cell_value("assumed.gpkg", "grocery_full_km", "c0"), "2.11");
}

/* ---------- layers ---------- */

static void test_csv_repeated_coordinate_column(void **state)
{
    (void)state;
    /* Crashed inside GDAL (found by fuzz_layers: regressions/layers/crash-9dacfafe...). */
    run_spec r = {.pop = "population_dup_x.csv", .extra = "--assume-crs EPSG:3006"};
    expect_refused(&r, 1, "population_dup_x.csv: column 'x' appears 2 times; rename or remove the extra ones (the "
                          "coordinates are read from one x/y or lon/lat pair of columns)");
}

static void test_csv_two_coordinate_pairs(void **state)
{
    (void)state;
    /* x/y for a projected --assume-crs: the same distances as the GeoJSON population. */
    run_spec r = {.pop = "population_two_pairs.csv", .extra = "--assume-crs EPSG:3006"};
    expect_accepted(r, "pairs_xy.gpkg", NULL);
    assert_string_equal(cell_value("pairs_xy.gpkg", "grocery_full_km", "c0"), "2.11");
    assert_string_equal(cell_value("pairs_xy.gpkg", "road_m", "c5"), "100.0");
    /* lon/lat for a geographic one: other places, far from the road. */
    r.extra = "--assume-crs EPSG:4326";
    expect_accepted(r, "pairs_lonlat.gpkg", "2 of 2 population units are more than 1000 m from the nearest road; attached "
                                            "anyway");
}

static void test_empty_layer(void **state)
{
    (void)state;
    run_spec r = {.pop = "population_empty.geojson"};
    expect_refused(&r, 1, "population_empty.geojson:population_empty: the layer is empty (0 features); check the "
                          "file or choose another layer with FILE:LAYER");
}

static void test_self_intersecting_polygon_repaired(void **state)
{
    (void)state;
    run_spec r = {.munis = "munis_selfcross.geojson"};
    expect_accepted(r, "selfcross.gpkg", "munis_selfcross.geojson:munis_selfcross: feature 0 was an invalid polygon "
                                         "(Self-intersection[499400 6501000]); repaired with MakeValid");
    assert_string_equal(cell_value("selfcross.gpkg", "kommun", "c5"), "0101");
}

static void test_nan_and_huge_coordinates_skipped(void **state)
{
    (void)state;
    /* A GeoPackage stores a point of NaN coordinates as the empty point: no geometry. */
    run_spec r = {.pop = "population_coords.gpkg"};
    expect_accepted(r, "coords.gpkg", "population_coords.gpkg:population: feature 2 has no geometry; skipped");
    assert_non_null(strstr(last_stderr, "\nwarning: geometry-bad-coordinates: 2 times, e.g. population_coords.gpkg:"
                                        "population: feature 3 has coordinates that are not numbers, are huge or "
                                        "cannot be transformed to EPSG:3006; skipped\n"));
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "test \"$(sqlite3 %s/coords.gpkg 'SELECT group_concat(cell_id) FROM access_cells')\" = "
             "'c0,c5'", ok_dir);
    assert_int_equal(run_cmd("%s", cmd), 0);
}

static void test_grid_table_coordinate_typo(void **state)
{
    (void)state;
    /* The square was placed 6,500,000 km north and analysed (found by fuzz_layers). */
    run_spec r = {.pop = "grid_typo.csv", .extra = "--assume-crs EPSG:3006"};
    expect_accepted(r, "grid_typo.gpkg", "grid_typo.csv:grid_typo: square 5050006500000 has coordinates that are not "
                                         "numbers, are huge or cannot be transformed to EPSG:3006; skipped");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "test \"$(sqlite3 %s/grid_typo.gpkg 'SELECT group_concat(cell_id) FROM access_cells')\" "
             "= 5000006500000", ok_dir);
    assert_int_equal(run_cmd("%s", cmd), 0);
}

static void test_road_with_huge_coordinate_skipped(void **state)
{
    (void)state;
    /* Roads used to keep such lines (and to join lines across a NaN vertex). */
    run_spec r = {.roads = "roads_huge.geojson"};
    expect_accepted(r, "roads_huge.gpkg", "roads_huge.geojson:roads_huge: feature 1 has coordinates that are not "
                                          "numbers, are huge or cannot be transformed to EPSG:3006; skipped");
    assert_string_equal(cell_value("roads_huge.gpkg", "grocery_full_km", "c0"), "2.11");
}

/* Roads that carry topology (source/target): a line without ids or a feature of several lines
 * is refused naming the feature; a zero-length line from an id to itself is skipped, counted. */
static void test_road_topology_ids(void **state)
{
    (void)state;
    run_spec r = {.roads = "roads_topo_null.geojson"};
    expect_refused(&r, 1, "roads_topo_null.geojson:roads_topo_null: feature 1: target is empty; every line needs "
                          "integer source and target ids of its ends (or remove both fields to join lines by position)");
    run_spec m = {.roads = "roads_topo_multi.geojson"};
    expect_refused(&m, 1, "roads_topo_multi.geojson:roads_topo_multi: feature 0: 2 lines in one feature with one "
                          "source and target; split it into single lines, each with the ids of its ends");
    run_spec l = {.roads = "roads_topo_loop.geojson"};
    expect_accepted(l, "roads_topo_loop.gpkg", "roads_topo_loop.geojson:roads_topo_loop: feature 1: source and "
                                               "target are both 2 and the line has no length; skipped");
    assert_string_equal(cell_value("roads_topo_loop.gpkg", "grocery_full_km", "c0"), "2.11");
}

static void test_wrong_geometry_type(void **state)
{
    (void)state;
    run_spec r = {.roads = "population.geojson"};
    expect_refused(&r, 1, "population.geojson:population: roads must be lines, this layer holds Point; give the road "
                          "network layer");
    run_spec p = {.pop = "roads.geojson"};
    expect_refused(&p, 1, "roads.geojson:roads: the layer holds lines (Line String), which cannot be used as "
                          "population; give polygons (grid squares, DeSO, statistical areas) or points with a "
                          "population field");
}

static void test_mixed_polygons_and_points_population(void **state)
{
    (void)state;
    /* Used to fail with exit 2 writing a polygon into the point layer; now points. */
    run_spec r = {.pop = "population_mixed.geojson"};
    expect_accepted(r, "mixed.gpkg", NULL);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "test \"$(sqlite3 %s/mixed.gpkg \"SELECT geometry_type_name FROM gpkg_geometry_columns "
             "WHERE table_name = 'access_cells'\")\" = POINT", ok_dir);
    assert_int_equal(run_cmd("%s", cmd), 0);
    assert_string_equal(cell_value("mixed.gpkg", "pop", "sq"), "50.0");
}

/* ---------- fields ---------- */

static void test_missing_field(void **state)
{
    (void)state;
    run_spec r = {.extra = "--pop-field Beftot"};
    expect_refused(&r, 1, "population.geojson:population: field 'Beftot' not found; fields are: id, pop; use "
                          "--pop-field");
}

static void test_non_numeric_field(void **state)
{
    (void)state;
    run_spec r = {.pop = "population_text.geojson"};
    expect_refused(&r, 1, "population_text.geojson:population_text: feature 1 (id c5): population 'många' in field "
                          "'pop' is not a number; fix the value or choose another field with --pop-field");
    r.pop = "population_huge.geojson";
    expect_refused(&r, 1, "population_huge.geojson:population_huge: feature 0 (id c0): population 6590006600000 in "
                          "field 'pop' is not a number of residents (more than on Earth); fix the value or choose "
                          "another field with --pop-field");
}

static void test_non_utf8_names(void **state)
{
    (void)state;
    run_spec r = {.svc = "services_latin1.csv", .extra = "--assume-crs EPSG:3006"};
    expect_accepted(r, "latin1.gpkg", "text-not-utf8: 2 times, e.g. services_latin1.csv:services_latin1: feature 1: "
                                      "field 'name' is not UTF-8; read as Windows-1252 (add a .cpg file or convert "
                                      "the file to UTF-8)");
    assert_string_equal(cell_value("latin1.gpkg", "grocery_full_name", "c0"), "ICA Nära");
    assert_string_equal(cell_value("latin1.gpkg", "fuel_name", "c0"), "Bensinmack Ås");
}

static void test_missing_input_file(void **state)
{
    (void)state;
    run_spec r = {.pop = "no_such_file.gpkg"};
    char want[2048];
    snprintf(want, sizeof want, "%s: population file not found (No such file or directory); check the path",
             in_path("no_such_file.gpkg"));
    expect_refused(&r, 1, want);
}

/* ---------- issue #18: inputs that gave wrong answers ---------- */

static void test_working_crs_distorting_distances(void **state)
{
    (void)state;
    /* Web Mercator doubled every distance in Sweden; the Swiss grid is 2.2 % off here. */
    run_spec r = {.extra = "--crs EPSG:3857"};
    expect_refused(&r, 1, "munis.geojson:munis: the working CRS EPSG:3857 stretches distances by up to 92.2 % over "
                          "this layer (longitude 14.98 to 15.19, latitude 58.63 to 58.65; platsa accepts 1 %); use "
                          "--crs EPSG:3006 (SWEREF 99 TM)");
    r.extra = "--crs EPSG:2056";
    expect_refused(&r, 1, "munis.geojson:munis: the working CRS EPSG:2056 stretches distances by up to 2.2 % over "
                          "this layer (longitude 14.98 to 15.19, latitude 58.63 to 58.65; platsa accepts 1 %); use "
                          "--crs EPSG:3006 (SWEREF 99 TM)");
    /* A SWEREF 99 local zone far from its meridian (18 45' E, 3.8 degrees east): accepted, the
     * same distances to 1 %. */
    r.extra = "--crs EPSG:3011";
    expect_accepted(r, "local_zone.gpkg", NULL);
    double km = atof(cell_value("local_zone.gpkg", "grocery_full_km", "c0"));
    assert_true(fabs(km - 2.11) / 2.11 < 0.01);
}

static void test_coordinates_outside_crs_area(void **state)
{
    (void)state;
    /* Gave 6,613 km walks with exit 0. */
    run_spec r = {.pop = "population_lonlat_3006.geojson"};
    expect_refused(&r, 1, "population_lonlat_3006.geojson:population_lonlat_3006: coordinates (15.07475, 58.6398) lie "
                          "outside EPSG:3006's area of use (Sweden - onshore and offshore); they look like "
                          "longitude/latitude; give the layer its real CRS (EPSG:4326, e.g. ogr2ogr -a_srs EPSG:4326)");
    r = (run_spec){.pop = "population_lonlat.csv", .extra = "--assume-crs EPSG:3006"};
    expect_refused(&r, 1, "population_lonlat.csv:population_lonlat: coordinates (15.07475, 58.6398) lie outside "
                          "EPSG:3006's area of use (Sweden - onshore and offshore); they look like "
                          "longitude/latitude; give its real CRS with --assume-crs EPSG:4326");
    r = (run_spec){.svc = "services_sweref_as_wgs84.geojson"};
    expect_refused(&r, 1, "services_sweref_as_wgs84.geojson:services_sweref_as_wgs84: coordinates (505500, 6500010) "
                          "lie outside EPSG:4326's area of use (World); they look like SWEREF 99 TM; give the layer "
                          "its real CRS (EPSG:3006, e.g. ogr2ogr -a_srs EPSG:3006)");
    r = (run_spec){.pop = "grid_lonlat.csv"};
    expect_refused(&r, 1, "grid_lonlat.csv:grid_lonlat: coordinates (15.5, 58) lie outside EPSG:3006's area of use "
                          "(Sweden - onshore and offshore); they look like longitude/latitude; give its real CRS with "
                          "--assume-crs EPSG:4326");
    /* One stray feature: warned, counted, used where it is. */
    r = (run_spec){.pop = "population_stray.geojson"};
    expect_accepted(r, "stray.gpkg", "population_stray.geojson:population_stray: feature 2 at (0, 0) lies outside "
                                     "EPSG:3006's area of use (Sweden - onshore and offshore); used where it is: "
                                     "check its coordinates");
}

static void test_scenario_inline_lonlat(void **state)
{
    (void)state;
    char ini[1400], errp[1400];
    snprintf(ini, sizeof ini, "%s", in_path("lonlat.ini"));
    char text[4096];
    snprintf(text, sizeof text, "[baseline]\npopulation = population.geojson\nservices = services.geojson\n"
             "roads = roads.geojson\nmunicipalities = munis.geojson\n\n[scenario Ny butik]\n"
             "add_service = new; supermarket; 15.0344; 58.6404; Ny\n");
    write_text(ini, text);
    snprintf(errp, sizeof errp, "%s/stderr.txt", root);
    int rc = run_cmd("%s -q scenario %s -o %s/out.gpkg --overwrite 2> %s", platsa_bin(), ini, out_dir, errp);
    free(last_stderr);
    last_stderr = read_text(errp);
    assert_string_equal(last_stderr, "platsa scenario: [scenario Ny butik]: add_service = new; supermarket; 15.0344; "
                                     "58.6404; Ny: coordinates (15.0344, 58.6404) lie outside EPSG:3006's area of use "
                                     "(Sweden - onshore and offshore); they look like longitude/latitude; give X; Y "
                                     "in the working CRS EPSG:3006\n");
    assert_int_equal(rc, 1);
    assert_output_untouched();
}

/* close = ID on one place with two types (import-osm's fuel station with a shop): both close. */
static void test_scenario_close_one_place(void **state)
{
    (void)state;
    char ini[1400], errp[1400], text[4096];
    snprintf(ini, sizeof ini, "%s", in_path("one_place.ini"));
    snprintf(text, sizeof text, "[baseline]\npopulation = population.geojson\nservices = services_one_node.geojson\n"
             "roads = roads.geojson\nmunicipalities = munis.geojson\n\n[scenario Macken stänger]\nclose = 7\n");
    write_text(ini, text);
    snprintf(errp, sizeof errp, "%s/stderr.txt", root);
    int rc = run_cmd("%s -q scenario %s -o %s/one_place.gpkg --overwrite 2> %s", platsa_bin(), ini, ok_dir, errp);
    free(last_stderr);
    last_stderr = read_text(errp);
    assert_string_equal(last_stderr, "");
    assert_int_equal(rc, 0);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "test \"$(sqlite3 %s/one_place.gpkg \"SELECT services_closed FROM scenario_summary "
             "WHERE scenario = 'Macken stänger'\")\" = 2", ok_dir);
    assert_int_equal(run_cmd("%s", cmd), 0);
}

static void test_population_field_not_counts(void **state)
{
    (void)state;
    /* A kommun code summed as residents (170,628,310 of them). */
    run_spec r = {.pop = "population_text_field.gpkg"};
    expect_refused(&r, 1, "population_text_field.gpkg:population: population field 'pop' is a text field, not a count "
                          "of residents; choose a numeric field with --pop-field (fields that look like population: "
                          "beftot)");
    r = (run_spec){.pop = "population_leading_zero.geojson"};
    expect_refused(&r, 1, "population_leading_zero.geojson:population_leading_zero: feature 0 (id c0): population "
                          "'0180' in field 'pop' has a leading zero: a code, not a count of residents; choose the "
                          "population field with --pop-field (the layer has no other numeric field)");
    r = (run_spec){.extra = "--pop-field id"};
    expect_refused(&r, 1, "population.geojson:population: population field 'id' is named like an id or a code, not a "
                          "count of residents; choose the population field with --pop-field (fields that look like "
                          "population: pop)");
    r = (run_spec){.pop = "population_sequence.geojson", .extra = "--pop-field antal"};
    expect_refused(&r, 1, "population_sequence.geojson:population_sequence: population field 'antal' holds the 12 "
                          "consecutive whole numbers 101 to 112, one per unit: an id, not residents; choose the "
                          "population field with --pop-field (fields that look like population: bef)");
    r = (run_spec){.pop = "grid_easting.csv", .extra = "--assume-crs EPSG:3006"};
    expect_refused(&r, 1, "grid_easting.csv:grid_easting: population field 'pop' gives 1000750 residents on 0.125 "
                          "km2 (8006000 per km2, more than any city: platsa accepts 5000000); it is not a count of "
                          "residents: choose the population field with --pop-field (the layer has no other numeric "
                          "field)");
}

static void test_overlapping_population_units(void **state)
{
    (void)state;
    /* Residents of the overlap were counted twice. */
    run_spec r = {.pop = "population_overlap.geojson"};
    expect_refused(&r, 1, "population_overlap.geojson:population_overlap: units A and B overlap (600000 m2, 60 % of "
                          "the smaller one), 1 pair of units overlap in all; the residents of an overlap would be "
                          "counted twice: give units that do not overlap (no square or area twice, one grid size, one "
                          "version of the areas)");
    r = (run_spec){.pop = "grid_twice.csv", .extra = "--assume-crs EPSG:3006"};
    expect_refused(&r, 1, "grid_twice.csv:grid_twice: units 5000006500000 and 5000006500000 overlap (1000000 m2, 100 % "
                          "of the smaller one), 1 pair of units overlap in all; the residents of an overlap would be "
                          "counted twice: give units that do not overlap (no square or area twice, one grid size, one "
                          "version of the areas)");
}

static void test_duplicate_service_ids(void **state)
{
    (void)state;
    /* close = 42 closed every one of them. */
    run_spec r = {.svc = "services_dup_ids.geojson"};
    expect_refused(&r, 1, "services_dup_ids.geojson:services_dup_ids: service id '42' in field 'id' is used by 3 "
                          "features at different places or of one type (features 0, 1, 2); ids must be unique, a "
                          "scenario's close = ID closes one service: fix the ids, or rename field 'id' so platsa "
                          "numbers the features itself");
    /* One place with two types under one id: accepted. */
    r.svc = "services_one_node.geojson";
    expect_accepted(r, "one_node.gpkg", NULL);
}

static void test_population_command_overlapping_areas(void **state)
{
    (void)state;
    /* Doubled the total, with a warning about something else. */
    const char *sq = "{\"type\":\"Feature\",\"properties\":{\"id\":\"%s\",\"pop\":%d},\"geometry\":"
                     "{\"type\":\"Polygon\",\"coordinates\":[[[%d,6500000],[%d,6500000],[%d,6501000],[%d,6501000],"
                     "[%d,6500000]]]}}";
    char a[600], b[600], c[600], f[2048];
    snprintf(a, sizeof a, sq, "A", 100, 500000, 501000, 501000, 500000, 500000);
    snprintf(b, sizeof b, sq, "B", 80, 500400, 501400, 501400, 500400, 500400);  /* 60 % over A, 40 % over C */
    snprintf(c, sizeof c, sq, "C", 60, 501000, 502000, 502000, 501000, 501000);  /* touches A */
    snprintf(f, sizeof f, "%s,%s,%s", a, b, c);
    geojson("areas_overlap.geojson", CRS3006, f);
    snprintf(f, sizeof f, "%s,%s", a, c);
    geojson("areas_ok.geojson", CRS3006, f);
    geojson("buildings.geojson", CRS3006,
            "{\"type\":\"Feature\",\"properties\":{\"id\":\"h1\"},\"geometry\":{\"type\":\"Polygon\","
            "\"coordinates\":[[[500600,6500100],[500700,6500100],[500700,6500200],[500600,6500200],[500600,6500100]]]}}");
    char errp[1400];
    snprintf(errp, sizeof errp, "%s/stderr.txt", root);
    int rc = run_cmd("%s -q population --areas %s --buildings %s -o %s/out.gpkg --overwrite 2> %s", platsa_bin(),
                     in_path("areas_overlap.geojson"), in_path("buildings.geojson"), out_dir, errp);
    free(last_stderr);
    last_stderr = read_text(errp);
    assert_string_equal(last_stderr, "platsa population: areas_overlap.geojson:areas_overlap: areas A and B overlap "
                                     "(600000 m2, 60 % of the smaller one), 1 pair of areas overlap in all; the "
                                     "residents of an overlap would be counted twice: give areas that do not overlap "
                                     "(not the same layer twice, one version of the areas)\n");
    assert_int_equal(rc, 1);
    assert_output_untouched();
    /* Areas that only touch: fine. */
    rc = run_cmd("%s -q population --areas %s --buildings %s -o %s/areas_ok.gpkg --overwrite 2> %s", platsa_bin(),
                 in_path("areas_ok.geojson"), in_path("buildings.geojson"), ok_dir, errp);
    assert_int_equal(rc, 0);
}

/* ---------- damaged files ---------- */

static void test_truncated_geopackage(void **state)
{
    (void)state;
    run_spec r = {.pop = "population_half.gpkg"};
    expect_refused(&r, 1, "population_half.gpkg: not a readable vector dataset (database disk image is malformed); "
                          "give a GeoPackage, shapefile, GeoJSON, CSV or other GDAL vector file");
}

static void test_damaged_geopackage_page(void **state)
{
    (void)state;
    /* Used to load 99 of the 121 units silently, with exit 0. */
    run_spec r = {.pop = "population_damaged.gpkg"};
    expect_refused(&r, 1, "population_damaged.gpkg:population: reading stopped after 99 features: In "
                          "GetNextRawFeature(): sqlite3_step() : database disk image is malformed; the file is "
                          "damaged or truncated: repair or export it again (e.g. with ogr2ogr) and check it with "
                          "platsa info");
}

static void test_damaged_buildings_population_command(void **state)
{
    (void)state;
    /* platsa population read the buildings up to the damage and spread the residents over
     * those only, with exit 0. */
    const char *damaged = in_path("layers_damaged.gpkg");
    assert_int_equal(run_cmd("cp sample-data/sodermalm/layers.gpkg %s && head -c 4096 /dev/zero | tr '\\0' '\\245' | "
                             "dd of=%s bs=4096 seek=40 count=1 conv=notrunc 2>/dev/null", damaged, damaged), 0);
    char errp[1400];
    snprintf(errp, sizeof errp, "%s/stderr.txt", root);
    int rc = run_cmd("%s -q population --areas sample-data/sodermalm/statistikomraden.gpkg --buildings %s:buildings "
                     "-o %s/out.gpkg --overwrite 2> %s", platsa_bin(), damaged, out_dir, errp);
    free(last_stderr);
    last_stderr = read_text(errp);
    assert_string_equal(last_stderr, "platsa population: layers_damaged.gpkg:buildings: reading stopped after 13 "
                                     "features: In GetNextRawFeature(): sqlite3_step() : database disk image is "
                                     "malformed; the file is damaged or truncated: repair or export it again (e.g. "
                                     "with ogr2ogr) and check it with platsa info\n");
    assert_int_equal(rc, 1);
    assert_output_untouched();
}

static void test_bad_service_types_file(void **state)
{
    (void)state;
    char extra[1400], want[2048];
    snprintf(extra, sizeof extra, "--service-types %s", in_path("bad_types.ini"));
    snprintf(want, sizeof want, "%s:3: bands_km '5, 2' in [bakery] is not an increasing list of positive numbers",
             in_path("bad_types.ini"));
    run_spec r = {.extra = extra};
    expect_refused(&r, 1, want);
}

static void test_bad_option_values(void **state)
{
    (void)state;
    run_spec r = {.extra = "--within abc"};
    expect_refused(&r, 1, "--within: 'abc' is not a number");
    /* Used to print "--bands-km: --bands-km:  a comma-separated list of numbers". */
    r.extra = "--bands-km 1,x";
    expect_refused(&r, 1, "--bands-km: '1,x' is not a comma-separated list of numbers");
    r.extra = "--mode boat";
    expect_refused(&r, 1, "--mode 'boat': use car, bike, walk or transit");
    /* Several modes in one run (#19): each known, each once. */
    r.extra = "--mode car,boat";
    expect_refused(&r, 1, "--mode 'car,boat': use car, bike, walk or transit");
    r.extra = "--mode car,walk,car";
    expect_refused(&r, 1, "--mode 'car,walk,car': car given twice; give each mode once");
    r.extra = "--mode car,";
    expect_refused(&r, 1, "--mode 'car,': use car, bike, walk or transit");
    r.extra = "--mode car,transit";
    expect_refused(&r, 1, "--mode 'car,transit': transit runs on its own; give --mode transit alone");
}

/* ---------- attachment (issue #17) ---------- */

/* One value from any table of an accepted output. */
static char *sql_value(const char *name, const char *sql)
{
    static char buf[512];
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "sqlite3 %s/%s \"%s\" 2>&1", ok_dir, name, sql);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    buf[0] = '\0';
    if (!fgets(buf, sizeof buf, p))
        buf[0] = '\0';
    pclose(p);
    buf[strcspn(buf, "\n")] = '\0';
    return buf;
}

/* A store 50 km from every road is left out of the search (with the default --max-service-snap
 * 2000): counted in a warning, listed in unattached_services, nobody's nearest or second
 * nearest. A larger --max-service-snap takes it back. */
static void test_service_far_from_roads_left_out(void **state)
{
    (void)state;
    run_spec r = {.svc = "services_far.geojson"};
    expect_accepted(r, "far_service.gpkg", "1 of 3 services are more than 2000 m from every road a car may attach "
                                           "to; left out, not attached (--max-service-snap): nobody's nearest, listed "
                                           "in the unattached_services layer");
    assert_string_equal(sql_value("far_service.gpkg", "SELECT service_id || '|' || name || '|' || type || '|' || "
                                                      "road_m FROM unattached_services"),
                        "99|Far Store|grocery_full|50000.0");
    assert_string_equal(cell_value("far_service.gpkg", "grocery_full_id", "c0"), "10");
    assert_string_equal(cell_value("far_service.gpkg", "grocery_full_km_2nd", "c0"), "");
    assert_string_equal(cell_value("far_service.gpkg", "grocery_full_km_2nd", "c5"), "");
    r.extra = "--max-service-snap 60000";
    expect_accepted(r, "far_service_kept.gpkg", "1 of 3 services are more than 1000 m from the nearest road; "
                                                "attached anyway");
    assert_string_equal(sql_value("far_service_kept.gpkg", "SELECT count(*) FROM gpkg_contents WHERE table_name = "
                                                           "'unattached_services'"),
                        "0"); /* the layer is written only when a service is left out */
    assert_string_equal(cell_value("far_service_kept.gpkg", "grocery_full_km_2nd", "c0"), "50.1");
    r.extra = "--max-service-snap 0";
    r.svc = NULL;
    expect_refused(&r, 1, "--max-service-snap 0: must be > 0");
}

/* A unit beyond --max-snap stays in every summary (attached across its long leg) and is listed
 * in unattached_units with its own id. */
static void test_unit_far_from_roads_listed_and_counted(void **state)
{
    (void)state;
    run_spec r = {.pop = "population_far.geojson"};
    expect_accepted(r, "far_unit.gpkg", "1 of 3 population units are more than 1000 m from the nearest road; "
                                        "attached anyway");
    assert_string_equal(sql_value("far_unit.gpkg", "SELECT cell_id || '|' || pop || '|' || road_m || '|' || attached "
                                                   "FROM unattached_units"),
                        "cfar|7.0|5000.0|1");
    assert_string_equal(cell_value("far_unit.gpkg", "far_from_road", "cfar"), "1");
    assert_string_equal(cell_value("far_unit.gpkg", "grocery_full_km", "cfar"), "8.01");
    assert_string_equal(sql_value("far_unit.gpkg", "SELECT pop FROM access_municipalities_table WHERE kommun = "
                                                   "'totalt'"),
                        "157.0");
}

/* --id-field: found by itself (Rut_id, any case) with an info line, chosen by hand, kept in
 * every row; duplicate ids refused. */
static void test_id_field_kept_and_duplicates_refused(void **state)
{
    (void)state;
    run_spec r = {.pop = "population_rutid.geojson"};
    expect_accepted(r, "rutid.gpkg", NULL);
    assert_non_null(strstr(last_stderr, "population_rutid.geojson:population_rutid: unit ids from field 'Rut_id', "
                                        "kept as cell_id (--id-field to choose another)\n"));
    assert_string_equal(cell_value("rutid.gpkg", "pop", "5050006500000"), "50.0");
    r.extra = "--id-field kod";
    expect_accepted(r, "kod.gpkg", NULL);
    assert_null(strstr(last_stderr, "unit ids from field"));
    assert_string_equal(cell_value("kod.gpkg", "pop", "B"), "50.0");
    r.extra = "--id-field nosuch";
    expect_refused(&r, 1, "population_rutid.geojson:population_rutid: field 'nosuch' not found; fields are: Rut_id, "
                          "kod, pop; use --id-field");
    run_spec d = {.pop = "population_dup_ids.geojson"};
    expect_refused(&d, 1, "population_dup_ids.geojson:population_dup_ids: unit id '5000006500000' in field 'Rut_id' "
                          "belongs to more than one unit; ids must be unique so that results join back: fix the data "
                          "or choose another field with --id-field");
    d.extra = "--id-field kod";
    d.output = NULL;
    expect_accepted(d, "dup_kod.gpkg", NULL);
}

/* ---------- options and small input files, refused before any work ---------- */

/* Runs `platsa ARGS` (without -q: progress or info lines before the error would show). */
static int run_platsa(const char *args)
{
    run_cmd("rm -rf %s/new.gpkg %s/report", out_dir, out_dir);  /* a wrongly accepted run of an earlier case */
    char errp[1400];
    snprintf(errp, sizeof errp, "%s/stderr.txt", root);
    int rc = run_cmd("timeout 60 %s %s > /dev/null 2> %s", platsa_bin(), args, errp);
    free(last_stderr);
    last_stderr = read_text(errp);
    return rc;
}

/* Refused with exit 1 and exactly the one line "platsa COMMAND: message" (nothing printed
 * before it: no input was read), no output written, the reference output untouched. */
static void expect_refused_cmd(int quiet, const char *command, const char *args, const char *message)
{
    char cmd[8192], want[8192];
    snprintf(cmd, sizeof cmd, "%s%s %s", quiet ? "-q " : "", command, args);
    int rc = run_platsa(cmd);
    snprintf(want, sizeof want, "platsa %s: %s\n", command, message);
    if (strcmp(last_stderr, want) != 0)
        fail_msg("platsa %s\nstderr:\n%s\nwanted:\n%s", cmd, last_stderr, want);
    assert_int_equal(rc, 1);
    assert_output_untouched();
}

static void expect_cli_refused(const char *command, const char *args, const char *message)
{
    expect_refused_cmd(0, command, args, message);
}

/* The same, with -q: for a refusal made as the input is opened (others may be read first). */
static void expect_cli_refused_q(const char *command, const char *args, const char *message)
{
    expect_refused_cmd(1, command, args, message);
}

/* The good inputs of each command, with the output out/new.gpkg (must never appear). */
static const char *inputs_of(const char *command)
{
    static char buf[4][8000];
    static int k;
    k = (k + 1) % 4;
    char pop[1400], roads[1400], munis[1400], svc[1400], loc[1400];  /* in_path has 4 buffers */
    snprintf(pop, sizeof pop, "%s", in_path("population.geojson"));
    snprintf(roads, sizeof roads, "%s", in_path("roads.geojson"));
    snprintf(munis, sizeof munis, "%s", in_path("munis.geojson"));
    snprintf(svc, sizeof svc, "%s", in_path("services.geojson"));
    snprintf(loc, sizeof loc, "%s", in_path("localities.geojson"));
    if (!strcmp(command, "classify"))
        snprintf(buf[k], sizeof buf[k], "-p %s -l %s -r %s -m %s -o %s/new.gpkg", pop, loc, roads, munis, out_dir);
    else if (!strcmp(command, "coverage"))
        snprintf(buf[k], sizeof buf[k], "-p %s --hubs %s -r %s -m %s -o %s/new.gpkg", pop, svc, roads, munis, out_dir);
    else
        snprintf(buf[k], sizeof buf[k], "-p %s -s %s -r %s -m %s -o %s/new.gpkg", pop, svc, roads, munis, out_dir);
    return buf[k];
}

static void refused_with(const char *command, const char *options, const char *message)
{
    char args[8192];
    snprintf(args, sizeof args, "%s %s", inputs_of(command), options);
    expect_cli_refused(command, args, message);
}

static void test_option_ranges_access(void **state)
{
    (void)state;
    refused_with("access", "--within -5", "--within -5: must be > 0");
    refused_with("access", "--max-snap -1", "--max-snap -1: must be > 0");
    /* Bands: used to run the whole computation first (21 s on the national data), then exit 2
     * with a message that did not name the flag; now refused before any input is read (the
     * exact stderr above: no progress line). */
    refused_with("access", "--bands-km -1,2", "--bands-km: -1: each value must be > 0");
    refused_with("access", "--bands-km 10,5,20", "--bands-km: 5 after 10: give the values in increasing order");
    refused_with("access", "--bands-km 5,5,10", "--bands-km: 5 is given twice; give each value once, in increasing "
                                                "order");
    refused_with("access", "--bands-min 1,2,3,4,5,6,7,8,9,10,11,12,13", "--bands-min: at most 12 values (got 13)");
    /* Output names: usage errors (exit 1), not internal ones. */
    char o[1400];
    snprintf(o, sizeof o, "-p %s -s %s -r %s -m %s", in_path("population.geojson"), in_path("services.geojson"),
             in_path("roads.geojson"), in_path("munis.geojson"));
    char args[4096];
    snprintf(args, sizeof args, "%s -o ''", o);
    expect_cli_refused("access", args, "--output: empty file name; give the output's name");
    char name[300];
    memset(name, 'n', 250);
    memcpy(name + 250, ".gpkg", 6);
    snprintf(args, sizeof args, "%s -o %s/%s", o, out_dir, name);
    expect_cli_refused("access", args, "--output: the name 'nnnnnnnnnnnnnnnnnnnnnnnn...' is 255 characters long; at "
                                       "most 180 for an output (room for its temporary names)");
    /* The range shows in --help. */
    assert_int_equal(run_cmd("%s access --help | grep -q -- '--within KM .*(> 0) \\[default: 10\\]'", platsa_bin()), 0);
    assert_int_equal(run_cmd("%s access --help | grep -q -- '--bands-km .*(each > 0, increasing, at most 12)'",
                             platsa_bin()), 0);
}

static void test_option_ranges_other_commands(void **state)
{
    (void)state;
    /* A rule between two options: checked right after parsing. */
    refused_with("classify", "--urban-min 60 --remote-min 10", "--urban-min 60 must be less than --remote-min 10 "
                                                               "(near-urban rural lies between them)");
    refused_with("classify", "--min-locality-pop -5", "--min-locality-pop -5: must be >= 0");
    refused_with("coverage", "--km 5 --cluster-m -10", "--cluster-m -10: must be >= 0");
    refused_with("coverage", "--km 5 --threads -4", "--threads -4: must be within 0..256");
    /* Used to give silently one candidate. */
    refused_with("coverage", "--km 5 --add 1 --candidates roads --candidate-spacing 0",
                 "--candidate-spacing 0: must be > 0");
    refused_with("coverage", "--km 5 --add 1 --candidates roads --candidate-spacing -100",
                 "--candidate-spacing -100: must be > 0");
    /* Used to say "give either --km or --min". */
    refused_with("coverage", "--km -1", "--km -1: must be > 0");
    char args[4096];
    snprintf(args, sizeof args, "--width 0 %s/out.gpkg -o %s/report", ref_dir, out_dir);
    expect_cli_refused("report", args, "--width 0: must be within 100..10000");
    snprintf(args, sizeof args, "%s -o %s/new.gpkg --from 1,2 --to 3", in_path("roads.geojson"), out_dir);
    snprintf(args, sizeof args, "-r %s --from 1,2 --to 3", in_path("roads.geojson"));
    expect_cli_refused("route", args, "--to: give 2 numbers separated by commas (got 1)");
    /* Used to build the graph, then fail with "cannot transform inf,inf". */
    snprintf(args, sizeof args, "-r %s --lonlat --from 500000,6500000 --to 15,58", in_path("roads.geojson"));
    expect_cli_refused("route", args, "--from 500000,6.5e+06: with --lonlat give longitude,latitude in degrees "
                                      "(-180..180, -90..90)");
    snprintf(args, sizeof args, "%s -o '' --admin-level 7", in_path("roads.geojson"));
    expect_cli_refused("import-osm", args, "--output: empty file name; give the output's name");
}

static void test_messages_name_the_right_flag(void **state)
{
    (void)state;
    char args[8192], want[4096];
    /* classify's localities: the flag is --locality-pop-field (--pop-field is the population's). */
    snprintf(args, sizeof args, "-p %s -l %s -r %s -m %s -o %s/new.gpkg", in_path("population.geojson"),
             in_path("localities_nopop.geojson"), in_path("roads.geojson"), in_path("munis.geojson"), out_dir);
    int rc = run_platsa(strcat(strcpy(want, "-q classify "), args));
    assert_int_equal(rc, 1);
    if (!strstr(last_stderr, "; fields are: name; use --locality-pop-field\n"))
        fail_msg("stderr:\n%s", last_stderr);
    assert_output_untouched();
    /* stores: the service types are listed by platsa info --types. */
    snprintf(args, sizeof args, "-q stores %s --type nope", inputs_of("stores"));
    assert_int_equal(run_platsa(args), 1);
    assert_string_equal(last_stderr, "platsa stores: --type 'nope': no such service type; see platsa info --types\n");
    assert_output_untouched();
    /* More than 12 bands in a service types file. */
    snprintf(want, sizeof want, "%s", in_path("many_bands.ini"));
    snprintf(args, sizeof args, "%s --service-types %s", inputs_of("access"), want);
    snprintf(want, sizeof want, "%s:3: bands_km in [bakery]: at most 12 bands; give fewer thresholds",
             in_path("many_bands.ini"));
    expect_cli_refused_q("access", args, want);
    /* info with more than 64 files. */
    char *many = malloc(70 * 1200);
    many[0] = '\0';
    for (int i = 0; i < 65; i++)
        strcat(strcat(many, " "), in_path("population.geojson"));
    assert_int_equal(run_platsa(strcat(strcpy(args, "info"), many)), 1);
    free(many);
    assert_string_equal(last_stderr, "platsa info: too many files: at most 64 at once; run platsa info again for the "
                                     "rest\n");
    /* A shapefile without its .dbf (used to say "fields are: (none)"). */
    assert_int_equal(run_cmd("cd %s && rm -f nodbf.* && ogr2ogr -q -f 'ESRI Shapefile' nodbf.shp population.geojson && "
                             "rm nodbf.dbf", in_dir), 0);
    snprintf(args, sizeof args, "-p %s -s %s -r %s -m %s -o %s/new.gpkg", in_path("nodbf.shp"),
             in_path("services.geojson"), in_path("roads.geojson"), in_path("munis.geojson"), out_dir);
    expect_cli_refused_q("access", args, "nodbf.shp: the shapefile's .dbf file (its attribute table) is missing; copy "
                                       "nodbf.dbf beside the .shp (a shapefile is the .shp, .shx and .dbf together)");
}

/* A FIFO (or device) given as an input used to block platsa forever inside GDAL. */
static void test_non_regular_inputs_refused(void **state)
{
    (void)state;
    char fifo[1400];
    snprintf(fifo, sizeof fifo, "%s", in_path("pipe.gpkg"));
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    char args[8192], want[4096];
    snprintf(want, sizeof want, "%s: input file is a FIFO (named pipe); give a regular file or folder", fifo);
    expect_cli_refused("info", fifo, want);
    snprintf(args, sizeof args, "-p %s -s %s -r %s -m %s -o %s/new.gpkg", fifo, in_path("services.geojson"),
             in_path("roads.geojson"), in_path("munis.geojson"), out_dir);
    snprintf(want, sizeof want, "%s: population file is a FIFO (named pipe); give a regular file or folder", fifo);
    expect_cli_refused_q("access", args, want);
    snprintf(args, sizeof args, "%s --service-types %s", inputs_of("access"), fifo);
    snprintf(want, sizeof want, "%s: service types file is a FIFO (named pipe); give a regular file or folder", fifo);
    expect_cli_refused_q("access", args, want);
    snprintf(args, sizeof args, "%s -o %s/new.gpkg", fifo, out_dir);
    snprintf(want, sizeof want, "%s: scenario file is a FIFO (named pipe); give a regular file or folder", fifo);
    expect_cli_refused("scenario", args, want);
    snprintf(args, sizeof args, "-r %s", fifo);
    snprintf(want, sizeof want, "%s: roads file is a FIFO (named pipe); give a regular file or folder", fifo);
    expect_cli_refused_q("route", args, want);
    snprintf(args, sizeof args, "%s --graph-cache %s", inputs_of("access"), fifo);
    snprintf(want, sizeof want, "--graph-cache %s: it exists and is not a regular file (a FIFO, device or socket); "
             "give a file name", fifo);
    expect_cli_refused("access", args, want);
    /* A folder where platsa reads a text file itself (was read as an empty file). */
    snprintf(args, sizeof args, "%s --service-types %s", inputs_of("access"), in_dir);
    snprintf(want, sizeof want, "%s: service types file is a folder; give the file itself", in_dir);
    expect_cli_refused_q("access", args, want);
    /* ... and as an output: never replaced by rename. */
    snprintf(args, sizeof args, "-p %s -s %s -r %s -m %s -o %s --overwrite", in_path("population.geojson"),
             in_path("services.geojson"), in_path("roads.geojson"), in_path("munis.geojson"), fifo);
    snprintf(want, sizeof want, "--output %s: it exists and is not a regular file (a FIFO, device or socket); give a "
             "file name", fifo);
    expect_cli_refused("access", args, want);
    struct stat st;
    assert_int_equal(stat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    unlink(fifo);
}

static void test_import_osm_empty_extract(void **state)
{
    (void)state;
    write_text(in_path("empty.osm"), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<osm version=\"0.6\" "
                                     "generator=\"t\">\n</osm>\n");
    char args[4096];
    snprintf(args, sizeof args, "-q import-osm %s -o %s/new.gpkg", in_path("empty.osm"), out_dir);
    assert_int_equal(run_platsa(args), 1);
    assert_string_equal(last_stderr, "platsa import-osm: empty.osm: no roads in the extract (no highway=* or "
                                     "route=ferry way with nodes in the file); check that the extract is not empty and "
                                     "covers the area\n");
    assert_output_untouched();
}

/* Scenario files: a section twice, a section name longer than inih keeps, unknown road ids. */
static void test_scenario_file_refusals(void **state)
{
    (void)state;
    char base[6000], text[12000], args[4096], want[4096];
    /* Paths in a scenario file are relative to its folder (in/). */
    snprintf(base, sizeof base, "[baseline]\npopulation = population.geojson\nservices = services.geojson\n"
             "roads = roads.geojson\nmunicipalities = munis.geojson\n");
    char path[1400];
    snprintf(path, sizeof path, "%s", in_path("scenario.ini"));
    snprintf(args, sizeof args, "%s -o %s/new.gpkg", path, out_dir);

    /* One after the other: inih gives no sign of the second header, the two were merged. */
    snprintf(text, sizeof text, "%s[scenario A]\nclose = 10\n[scenario A]\nclose = 30\n", base);
    write_text(path, text);
    snprintf(want, sizeof want, "%s: [scenario A] appears twice, on lines 6 and 8; merge them into one section or "
             "give each scenario its own name", path);
    expect_cli_refused("scenario", args, want);
    snprintf(text, sizeof text, "%s[baseline]\nwithin = 5\n[scenario A]\nclose = 10\n", base);
    write_text(path, text);
    snprintf(want, sizeof want, "%s: [baseline] appears twice, on lines 1 and 6; merge them into one section or "
             "give each scenario its own name", path);
    expect_cli_refused("scenario", args, want);

    snprintf(text, sizeof text, "%s[scenario %03000d]\nclose = 10\n", base, 7);
    write_text(path, text);
    snprintf(want, sizeof want, "%s:6: the section name '[scenario 000000000000000...' is 3009 characters long; at "
             "most 200 between the brackets: give the scenario a shorter name", path);
    expect_cli_refused("scenario", args, want);

    /* Names longer than inih's 49 bytes are kept whole (were cut, and two such merged). */
    snprintf(text, sizeof text, "%s[scenario %s one]\nclose = 10\n[scenario %s two]\nclose = 30\n", base,
             "a scenario name well over forty-nine bytes long", "a scenario name well over forty-nine bytes long");
    write_text(path, text);
    snprintf(want, sizeof want, "%s: the sections on lines 6 and 8 begin with the same 49 characters; make the names "
             "differ sooner", path);
    expect_cli_refused("scenario", args, want);

    /* [baseline] numbers: the ranges of the access options they set. */
    snprintf(text, sizeof text, "%swithin = -5\n", base);
    write_text(path, text);
    snprintf(want, sizeof want, "%s:6: within -5: must be > 0", path);
    expect_cli_refused("scenario", args, want);

    /* remove_roads with an id no road has: refused like close= with an unknown service. */
    snprintf(text, sizeof text, "%s[scenario Vägar]\nremove_roads = 1, 999, 4711\n", base);
    write_text(path, text);
    snprintf(args, sizeof args, "-q scenario %s -o %s/new.gpkg", path, out_dir);
    assert_int_equal(run_platsa(args), 1);
    assert_string_equal(last_stderr, "platsa scenario: [scenario Vägar]: remove_roads: no road with id 999, 4711 in "
                                     "roads.geojson:roads; use the ids of the roads' id field\n");
    assert_output_untouched();
}

/* ---------- the output ---------- */

static void test_existing_output_needs_overwrite(void **state)
{
    (void)state;
    char out[1400], want[2048];
    snprintf(out, sizeof out, "%s/out.gpkg", out_dir);
    snprintf(want, sizeof want, "%s: exists; use --overwrite to replace it", out);
    run_spec r = {.output = out};
    expect_refused(&r, 1, want);
}

static void test_output_is_an_input(void **state)
{
    (void)state;
    char out[1400], want[4096];
    snprintf(out, sizeof out, "%s --overwrite", in_path("population.geojson"));
    snprintf(want, sizeof want, "%s: is also the input '%s'; choose another output file", in_path("population.geojson"),
             in_path("population.geojson"));
    run_spec r = {.output = out};
    expect_refused(&r, 1, want);
    assert_int_equal(run_cmd("grep -q '\"c5\"' %s", in_path("population.geojson")), 0);
}

static void test_output_folder_not_writable(void **state)
{
    (void)state;
    run_spec r = {.output = "/etc/passwd/x.gpkg"};
    expect_refused(&r, 1, "/etc/passwd/x.gpkg: '/etc/passwd' is not a folder; give an output path in an existing "
                          "folder");
    char out[1400], want[4096];
    snprintf(out, sizeof out, "%s/no_such_folder/x.gpkg", out_dir);
    snprintf(want, sizeof want, "%s: folder '%s/no_such_folder' does not exist (No such file or directory); create it "
             "first", out, out_dir);
    r.output = out;
    expect_refused(&r, 1, want);
    /* A read-only file system refuses even root; needs a mount (root, no container restriction). */
    char ro[1100];
    snprintf(ro, sizeof ro, "%s/readonly", root);
    assert_int_equal(run_cmd("mkdir -p %s", ro), 0);
    if (mount("tmpfs", ro, "tmpfs", MS_RDONLY, "size=64k") != 0) {
        print_message("  (read-only folder case skipped: cannot mount a tmpfs here)\n");
        return;
    }
    snprintf(out, sizeof out, "%s/x.gpkg", ro);
    snprintf(want, sizeof want, "%s: folder '%s' is not writable (Read-only file system); choose another output "
             "folder", out, ro);
    r.output = out;
    expect_refused(&r, 1, want);
    umount(ro);
}

/* A CSV twin's path is a folder (issue #18): refused before any work with exit 1, the fix
 * named, the old GeoPackage byte-identical, the folder and its file untouched, no temporary
 * left. (Before: the GeoPackage was renamed into place, then the twin's rename failed: exit 2
 * and the old output lost.) The bad services file shows that the check comes first. */
static void test_csv_twin_path_is_a_folder(void **state)
{
    (void)state;
    char twin_dir[1200], out[1400], want[4096];
    snprintf(twin_dir, sizeof twin_dir, "%s/twin", root);
    assert_int_equal(run_cmd("rm -rf %s && mkdir -p %s/out_access_municipalities_table.csv && "
                             "echo mine > %s/out_access_municipalities_table.csv/notes.txt && "
                             "cp %s/out.gpkg %s/out.gpkg", twin_dir, twin_dir, twin_dir, ref_dir, twin_dir), 0);
    snprintf(out, sizeof out, "%s/out.gpkg --overwrite", twin_dir);
    snprintf(want, sizeof want, "platsa access: %s/out_access_municipalities_table.csv: is a folder; move that folder "
             "away or choose another output name (the CSV twins are named after it)\n", twin_dir);
    static const char *const svc[] = {"services.geojson", "services_latin1.csv"};
    for (int k = 0; k < 2; k++) {
        run_spec r = {.output = out, .extra = "--csv", .svc = svc[k]};
        int rc = run_access(&r, 1);
        if (strcmp(last_stderr, want) != 0)
            fail_msg("stderr:\n%s\nwanted:\n%s", last_stderr, want);
        assert_int_equal(rc, 1);
        assert_int_equal(run_cmd("cmp -s %s/out.gpkg %s/out.gpkg", twin_dir, ref_dir), 0);
        assert_int_equal(run_cmd("test \"$(ls -A %s | tr '\\n' ' ')\" = 'out.gpkg out_access_municipalities_table.csv ' "
                                 "&& test \"$(cat %s/out_access_municipalities_table.csv/notes.txt)\" = mine",
                                 twin_dir, twin_dir), 0);
    }
}

/* route --dump-graph/--dump-pairs: checked before the graph is built (a folder, the roads
 * input), written to temporaries and renamed into place together. */
static void test_route_dump_paths(void **state)
{
    (void)state;
    char d[1200], errp[1400];
    snprintf(d, sizeof d, "%s/dumps", root);
    snprintf(errp, sizeof errp, "%s/stderr.txt", root);
    assert_int_equal(run_cmd("rm -rf %s && mkdir -p %s/pairs.csv && echo old > %s/edges.csv", d, d, d), 0);
    const char *roads = in_path("roads.geojson");
    char roads_copy[1400];
    snprintf(roads_copy, sizeof roads_copy, "%s", roads);
    int rc = run_cmd("%s -q route --roads %s --dump-graph %s/edges.csv --dump-pairs %s/pairs.csv > /dev/null 2> %s",
                     platsa_bin(), roads_copy, d, d, errp);
    char *msg = read_text(errp), want[4096];
    snprintf(want, sizeof want, "platsa route: %s/pairs.csv: is a folder; give a .csv file name\n", d);
    assert_string_equal(msg, want);
    free(msg);
    assert_int_equal(rc, 1);
    assert_int_equal(run_cmd("test \"$(cat %s/edges.csv)\" = old && test \"$(ls -A %s | tr '\\n' ' ')\" = "
                             "'edges.csv pairs.csv '", d, d), 0);
    assert_int_equal(run_cmd("cp %s %s/roads-before", roads_copy, root), 0);
    rc = run_cmd("%s -q route --roads %s --dump-graph %s > /dev/null 2> %s", platsa_bin(), roads_copy, roads_copy,
                 errp);
    msg = read_text(errp);
    snprintf(want, sizeof want, "platsa route: %s: is also the input '%s'; choose another output file\n", roads_copy,
             roads_copy);
    assert_string_equal(msg, want);
    free(msg);
    assert_int_equal(rc, 1);
    assert_int_equal(run_cmd("cmp -s %s %s/roads-before", roads_copy, root), 0);
    assert_int_equal(run_cmd("rmdir %s/pairs.csv && %s -q route --roads %s --dump-graph %s/edges.csv --dump-pairs "
                             "%s/pairs.csv --pairs 4 > /dev/null 2> %s", d, platsa_bin(), roads_copy, d, d, errp), 0);
    assert_int_equal(run_cmd("head -1 %s/edges.csv | grep -q '^id,source' && head -1 %s/pairs.csv | grep -q "
                             "'^source,target' && test \"$(ls -A %s | tr '\\n' ' ')\" = 'edges.csv pairs.csv '", d, d, d),
                     0);
}

/* Disk full: exit 2 (an I/O failure on our side, not bad input), the cause and the fix named,
 * no partial output, the existing output untouched. */
static void check_disk_full_message(const char *out, const char *hint_start, const char *hint_end)
{
    char head[1400];
    snprintf(head, sizeof head, "platsa access: %s", out);
    if (strncmp(last_stderr, head, strlen(head)) != 0 || !strstr(last_stderr, hint_start))
        fail_msg("stderr:\n%s", last_stderr);
    size_t n = strlen(last_stderr), e = strlen(hint_end);
    assert_true(n > e && strcmp(last_stderr + n - e, hint_end) == 0);
    assert_ptr_equal(strchr(last_stderr, '\n'), last_stderr + n - 1);  /* one line */
}

static void test_disk_full_file_size_limit(void **state)
{
    (void)state;
    /* RLIMIT_FSIZE with SIGXFSZ ignored: writes past 100 blocks fail with EFBIG. */
    run_spec r = {.prefix = "trap '' XFSZ; ulimit -f 100;"};
    assert_int_equal(run_access(&r, 1), 2);
    char out[1400];
    snprintf(out, sizeof out, "%s/out.gpkg", out_dir);
    check_disk_full_message(out, "; the file size limit (ulimit -f) of ",
                            " bytes was reached: raise it or write a smaller output\n");
    assert_output_untouched();
}

static void test_disk_full_tmpfs(void **state)
{
    (void)state;
    char full[1100];
    snprintf(full, sizeof full, "%s/full", root);
    assert_int_equal(run_cmd("mkdir -p %s", full), 0);
    if (mount("tmpfs", full, "tmpfs", 0, "size=64k") != 0) {
        print_message("  (tmpfs case skipped: cannot mount a tmpfs here; the ulimit case covers disk full)\n");
        return;
    }
    char old[1200], out[1400];
    snprintf(old, sizeof old, "%s/o.gpkg", full);
    write_text(old, "results of an earlier run\n");
    snprintf(out, sizeof out, "%s --overwrite", old);
    run_spec r = {.output = out};
    int rc = run_access(&r, 1);
    char *left = NULL;
    if (rc == 2) {
        char cmd[1600];
        snprintf(cmd, sizeof cmd, "ls -A %s", full);
        FILE *p = popen(cmd, "r");
        char buf[512] = "";
        size_t n = fread(buf, 1, sizeof buf - 1, p);
        buf[n] = '\0';
        pclose(p);
        left = strdup(buf);
    }
    char *content = read_text(old);
    umount(full);
    assert_int_equal(rc, 2);
    char hint[1600];
    snprintf(hint, sizeof hint, "; the disk holding '%s' is full (", full);
    check_disk_full_message(old, hint, " kB free): free some space or write the output to another folder\n");
    assert_string_equal(left, "o.gpkg\n");
    assert_string_equal(content, "results of an earlier run\n");
    free(left);
    free(content);
}

/* ---------- stale temporary files ---------- */

/* pl_gpkg_create removes ".NAME.tmp-PID*" files of dead processes for its own output only,
 * with the writer's own suffixes only, and never those of a live process. */
static void test_stale_temp_files_removed(void **state)
{
    (void)state;
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/stale", root);
    assert_int_equal(run_cmd("mkdir -p %s", dir), 0);
    pid_t dead = fork();
    assert_true(dead >= 0);
    if (dead == 0)
        _exit(0);
    assert_int_equal(waitpid(dead, NULL, 0), dead);
    static const char *const removed[] = {"", "-journal", "-wal", "-shm", "-2", "-2-journal",
                                          "-access_municipalities_table.csv", "-old",
                                          "-access_municipalities_table.csv-old", NULL};
    static const char *const kept[] = {".bak", "-x.gpkg", "-notes.txt", NULL};
    char path[1400];
    for (int i = 0; removed[i]; i++) {
        snprintf(path, sizeof path, "%s/.x.gpkg.tmp-%ld%s", dir, (long)dead, removed[i]);
        write_text(path, "stale");
    }
    for (int i = 0; kept[i]; i++) {
        snprintf(path, sizeof path, "%s/.x.gpkg.tmp-%ld%s", dir, (long)dead, kept[i]);
        write_text(path, "not ours");
    }
    snprintf(path, sizeof path, "%s/.y.gpkg.tmp-%ld", dir, (long)dead);  /* another output's */
    write_text(path, "other output");
    snprintf(path, sizeof path, "%s/.x.gpkg.tmp-1", dir);  /* PID 1 is alive */
    write_text(path, "live process");
    /* Names of today's builds carry the machine: this one's are judged by the PID, another
     * machine's never (a folder shared by a cluster's nodes: the PID is not ours to judge). */
    char owner[PL_TEMP_OWNER_MAX], other[PL_TEMP_OWNER_MAX];
    pl_temp_owner_of((long)dead, owner);
    snprintf(other, sizeof other, "%s", owner);
    char *at = strchr(other, '@');
    at[1] = at[1] == '0' ? '1' : '0';  /* another host's hash */
    snprintf(path, sizeof path, "%s/.x.gpkg.tmp-%s", dir, owner);
    write_text(path, "stale, this machine");
    snprintf(path, sizeof path, "%s/.x.gpkg.tmp-%s-2-journal", dir, owner);
    write_text(path, "stale, this machine");
    snprintf(path, sizeof path, "%s/.x.gpkg.tmp-%s", dir, other);
    write_text(path, "another machine's");
    snprintf(path, sizeof path, "%s/.x.gpkg.tmp-%s-journal", dir, other);
    write_text(path, "another machine's");
    snprintf(path, sizeof path, "%s/.x.gpkg.tmp-%ld@zz", dir, (long)dead);
    write_text(path, "not ours");

    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};
    char out[1400];
    snprintf(out, sizeof out, "%s/x.gpkg", dir);
    pl_gpkg *g = pl_gpkg_create(ctx, out, NULL, &err);
    assert_non_null(g);
    pl_gpkg_abort(g);
    pl_ctx_free(ctx);
    char cmd[1600];
    snprintf(cmd, sizeof cmd, "ls -A %s | sed 's/%ld/PID/; s/%s/OTHER/' | sort | tr '\\n' ' '", dir, (long)dead,
             strchr(other, '@') + 1);
    FILE *p = popen(cmd, "r");
    char list[1024] = "";
    size_t n = fread(list, 1, sizeof list - 1, p);
    list[n] = '\0';
    pclose(p);
    assert_string_equal(list, ".x.gpkg.tmp-1 .x.gpkg.tmp-PID-notes.txt .x.gpkg.tmp-PID-x.gpkg .x.gpkg.tmp-PID.bak "
                              ".x.gpkg.tmp-PID@OTHER .x.gpkg.tmp-PID@OTHER-journal .x.gpkg.tmp-PID@zz "
                              ".y.gpkg.tmp-PID ");
}


/* ---------- the graph cache (--graph-cache) ---------- */

/* A cache path that is an input, the output, a file platsa did not write, a folder or a
 * device is refused before any work, and the file is left as it was. */
static void test_graph_cache_path_refused(void **state)
{
    (void)state;
    assert_int_equal(run_cmd("ogr2ogr -f GPKG %s %s && cp %s %s.orig", in_path("roads.gpkg"), in_path("roads.geojson"),
                             in_path("roads.gpkg"), in_path("roads.gpkg")), 0);
    write_text(in_path("notes.txt"), "my notes, not a cache\n");
    char extra[1400], want[4096];
    /* An input GeoPackage (before: overwritten by the cache, exit 0). */
    snprintf(extra, sizeof extra, "--graph-cache %s", in_path("roads.gpkg"));
    snprintf(want, sizeof want, "graph cache %s: is also the input '%s'; give --graph-cache a file of its own (e.g. "
             "roads.plcache)", in_path("roads.gpkg"), in_path("roads.gpkg"));
    run_spec r = {.roads = "roads.gpkg", .extra = extra};
    expect_refused(&r, 1, want);
    assert_int_equal(run_cmd("cmp -s %s %s.orig", in_path("roads.gpkg"), in_path("roads.gpkg")), 0);
    /* Another input, as FILE:LAYER. */
    snprintf(extra, sizeof extra, "--graph-cache %s", in_path("population.geojson"));
    snprintf(want, sizeof want, "graph cache %s: is also the input '%s'; give --graph-cache a file of its own (e.g. "
             "roads.plcache)", in_path("population.geojson"), in_path("population.geojson"));
    r = (run_spec){.extra = extra};
    expect_refused(&r, 1, want);
    assert_int_equal(run_cmd("grep -q '\"c5\"' %s", in_path("population.geojson")), 0);
    /* The output. */
    snprintf(extra, sizeof extra, "--graph-cache %s/out.gpkg", out_dir);
    snprintf(want, sizeof want, "graph cache %s/out.gpkg: is also the output '%s/out.gpkg'; give --graph-cache a file "
             "of its own (e.g. roads.plcache)", out_dir, out_dir);
    expect_refused(&r, 1, want);
    /* The output not yet there, named another way (same resolved path). */
    char out[1400];
    snprintf(out, sizeof out, "%s/new.gpkg", ok_dir);
    snprintf(extra, sizeof extra, "--graph-cache %s/../ok/./new.gpkg", ok_dir);
    snprintf(want, sizeof want, "graph cache %s/../ok/./new.gpkg: is also the output '%s'; give --graph-cache a file "
             "of its own (e.g. roads.plcache)", ok_dir, out);
    r.output = out;
    expect_refused(&r, 1, want);
    assert_false(file_exists(out));
    r.output = NULL;
    /* A file platsa did not write. */
    snprintf(extra, sizeof extra, "--graph-cache %s", in_path("notes.txt"));
    snprintf(want, sizeof want, "graph cache %s: exists and is not a platsa graph cache, so it is left untouched; give "
             "--graph-cache a new file name, or remove that file", in_path("notes.txt"));
    expect_refused(&r, 1, want);
    char *notes = read_text(in_path("notes.txt"));
    assert_string_equal(notes, "my notes, not a cache\n");
    free(notes);
    /* A folder (before: "write failed (Is a directory); check disk space"), a device, a FIFO. */
    snprintf(extra, sizeof extra, "--graph-cache %s", in_dir);
    snprintf(want, sizeof want, "graph cache %s: is a folder, not a regular file; give --graph-cache a file path (e.g. "
             "roads.plcache)", in_dir);
    expect_refused(&r, 1, want);
    r.extra = "--graph-cache /dev/null";
    /* devices and FIFOs are refused already when the options are read (PL_OUTPUT_PATH) */
    expect_refused(&r, 1, "--graph-cache /dev/null: it exists and is not a regular file (a FIFO, device or socket); "
                          "give a file name");
    char fifo[1200];
    snprintf(fifo, sizeof fifo, "%s/cache.fifo", root);
    remove(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    snprintf(extra, sizeof extra, "--graph-cache %s", fifo);
    snprintf(want, sizeof want, "--graph-cache %s: it exists and is not a regular file (a FIFO, device or socket); "
             "give a file name", fifo);
    r.extra = extra;
    expect_refused(&r, 1, want);
    remove(fifo);
}

/* Every command with --graph-cache makes the same check before any work. */
static void test_graph_cache_path_every_command(void **state)
{
    (void)state;
    char ini[1400];
    snprintf(ini, sizeof ini, "%s/scenario.ini", in_dir);
    write_text(ini, "[baseline]\npopulation = population.geojson\nservices = services.geojson\nroads = roads.geojson\n"
                    "municipalities = munis.geojson\nmode = car\n\n[scenario A]\nclose = 10\n\n[scenario B]\n"
                    "add_roads = new_roads.geojson\n");
    /* A scenario's own file too. */
    assert_int_equal(run_cmd("cp %s %s", in_path("roads.geojson"), in_path("new_roads.geojson")), 0);
    const char *pop = in_path("population.geojson"), *svc = in_path("services.geojson");
    const char *roads = in_path("roads.geojson"), *munis = in_path("munis.geojson");
    char cmds[7][4096];
    snprintf(cmds[0], sizeof cmds[0], "route --roads %s --graph-cache %s", roads, roads);
    snprintf(cmds[1], sizeof cmds[1], "classify --population %s --localities %s --roads %s --municipalities %s "
             "-o %s/c.gpkg --graph-cache %s", pop, pop, roads, munis, ok_dir, roads);
    snprintf(cmds[2], sizeof cmds[2], "stores --population %s --services %s --roads %s --municipalities %s "
             "-o %s/s.gpkg --graph-cache %s", pop, svc, roads, munis, ok_dir, roads);
    snprintf(cmds[3], sizeof cmds[3], "coverage --population %s --hubs %s --roads %s --municipalities %s --km 5 "
             "-o %s/v.gpkg --graph-cache %s", pop, svc, roads, munis, ok_dir, roads);
    snprintf(cmds[4], sizeof cmds[4], "green --buildings %s --green-areas %s --roads %s -o %s/g.gpkg --graph-cache %s",
             munis, munis, roads, ok_dir, roads);
    snprintf(cmds[5], sizeof cmds[5], "scenario %s -o %s/sc.gpkg --graph-cache %s", ini, ok_dir, roads);
    snprintf(cmds[6], sizeof cmds[6], "scenario %s -o %s/sc.gpkg --graph-cache %s", ini, ok_dir,
             in_path("new_roads.geojson"));
    char *before = read_text(roads);
    char errp[1400];
    snprintf(errp, sizeof errp, "%s/stderr.txt", root);
    for (int i = 0; i < 7; i++) {
        int rc = run_cmd("%s -q %s > /dev/null 2> %s", platsa_bin(), cmds[i], errp);
        char *err = read_text(errp);
        char name[32], want[3000], cache[1400], input[1400];
        sscanf(cmds[i], "%31s", name);
        snprintf(cache, sizeof cache, "%s", i == 6 ? in_path("new_roads.geojson") : roads);
        snprintf(input, sizeof input, "%s", cache); /* the scenario file's own, resolved beside it */
        snprintf(want, sizeof want, "platsa %s: graph cache %s: is also the input '%s'; give --graph-cache a file of "
                 "its own (e.g. roads.plcache)\n", name, cache, input);
        if (strcmp(err, want) != 0 || rc != 1)
            fail_msg("platsa %s: exit %d, stderr:\n%s\nwanted exit 1 and:\n%s", name, rc, err, want);
        free(err);
        char *after = read_text(cache);
        assert_string_equal(after, before);
        free(after);
    }
    free(before);
    remove(ini);
    remove(in_path("new_roads.geojson"));
}

/* The access_cells rows of an output in ok/, as text. */
static char *cells_of(const char *name)
{
    char errp[1400], cmd[3000];
    snprintf(errp, sizeof errp, "%s/cells.txt", root);
    snprintf(cmd, sizeof cmd, "sqlite3 %s/%s \"SELECT * FROM access_cells ORDER BY cell_id\" > %s", ok_dir, name,
             errp);
    assert_int_equal(run_cmd("%s", cmd), 0);
    return read_text(errp);
}

/* A damaged cache (bytes flipped, a block zeroed, cut short, a header byte changed): exit 0,
 * a counted warning naming the file, the cache rebuilt (byte-identical to a fresh one) and
 * the same answers as a run without a cache (before: a crash, or wrong answers with exit 0). */
static void test_graph_cache_damaged_rebuilt(void **state)
{
    (void)state;
    char cache[1400], good[1400], extra[1600], warn[2048];
    snprintf(cache, sizeof cache, "%s/net.plcache", ok_dir);
    snprintf(good, sizeof good, "%s/net.plcache.good", root);
    remove(cache);
    run_spec r = {0};
    expect_accepted(r, "nocache.gpkg", NULL);
    snprintf(extra, sizeof extra, "--overwrite --graph-cache %s", cache);
    r.extra = extra;
    expect_accepted(r, "cold.gpkg", NULL);
    expect_accepted(r, "warm.gpkg", NULL);
    assert_int_equal(run_cmd("cp %s %s", cache, good), 0);
    char *want = cells_of("nocache.gpkg");
    char *got = cells_of("warm.gpkg");
    assert_string_equal(got, want);
    free(got);
    static const struct {
        const char *how, *why;
    } damage[] = {
        {"printf '\\125\\252' | dd of=%s bs=1 seek=9001 conv=notrunc", "checksum mismatch"},
        {"dd if=/dev/zero of=%s bs=4096 seek=2 count=1 conv=notrunc", "checksum mismatch"},
        {"truncate -s 10000 %s", "truncated or bad offsets"},
        {"printf '\\377' | dd of=%s bs=1 seek=44 conv=notrunc", "header checksum mismatch"},
    };
    for (size_t i = 0; i < sizeof damage / sizeof *damage; i++) {
        char cmd[2000];
        snprintf(cmd, sizeof cmd, damage[i].how, cache);
        assert_int_equal(run_cmd("cp %s %s && %s 2>/dev/null", good, cache, cmd), 0);
        assert_int_not_equal(run_cmd("cmp -s %s %s", good, cache), 0);
        snprintf(warn, sizeof warn, "graph cache %s: damaged (%s); not used, rebuilt from the roads", cache,
                 damage[i].why);
        expect_accepted(r, "damaged.gpkg", warn);
        got = cells_of("damaged.gpkg");
        assert_string_equal(got, want);
        free(got);
        assert_int_equal(run_cmd("cmp -s %s %s", good, cache), 0);
    }
    free(want);
    remove(good);
}

/* NAME.tmpPID of a run that was killed (its PID gone) is removed by the next run using the
 * cache; one of a live process stays. */
static void test_graph_cache_stale_temp_removed(void **state)
{
    (void)state;
    pid_t dead = fork();
    assert_true(dead >= 0);
    if (dead == 0)
        _exit(0);
    assert_int_equal(waitpid(dead, NULL, 0), dead);
    char cache[1400], stale[1500], live[1500], extra[1600];
    snprintf(cache, sizeof cache, "%s/stale.plcache", ok_dir);
    snprintf(stale, sizeof stale, "%s.tmp%ld", cache, (long)dead);
    snprintf(live, sizeof live, "%s.tmp1", cache); /* PID 1 is alive */
    write_text(stale, "half a cache");
    write_text(live, "being written");
    snprintf(extra, sizeof extra, "--graph-cache %s", cache);
    run_spec r = {.extra = extra};
    expect_accepted(r, "stale.gpkg", NULL);
    assert_false(file_exists(stale));
    assert_true(file_exists(live));
    assert_true(file_exists(cache));
    remove(live);
}

/* ---------- fuzz corpora and regressions, through the fuzz targets' entry functions ---------- */

static int replay_dir(const char *dir, int (*entry)(const uint8_t *, size_t))
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        uint8_t *data = malloc((size_t)st.st_size + 1);
        size_t size = fread(data, 1, (size_t)st.st_size, f);
        fclose(f);
        pl_fuzz_input_name = path;
        entry(data, size);
        free(data);
        n++;
    }
    closedir(d);
    pl_fuzz_input_name = "(none)";
    return n;
}

static void replay(const char *name, int (*entry)(const uint8_t *, size_t))
{
    char dir[2048];
    snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus/%s", PLATSA_SOURCE_DIR, name);
    int seeds = replay_dir(dir, entry);
    snprintf(dir, sizeof dir, "%s/tests/fuzz/regressions/%s", PLATSA_SOURCE_DIR, name);
    int crashes = replay_dir(dir, entry);
    print_message("  fuzz_%s: %d seeds, %d saved crashes replayed\n", name, seeds, crashes);
    assert_true(seeds > 0);
}

static void test_fuzz_service_types_replay(void **state)
{
    (void)state;
    replay("service_types", pl_fuzz_service_types);
}

static void test_fuzz_osm_tags_replay(void **state)
{
    (void)state;
    replay("osm_tags", pl_fuzz_osm_tags);
}

static void test_fuzz_layers_replay(void **state)
{
    (void)state;
    replay("layers", pl_fuzz_layers);
}

static void test_fuzz_options_replay(void **state)
{
    (void)state;
    replay("options", pl_fuzz_options);
}

static void test_fuzz_graph_cache_replay(void **state)
{
    (void)state;
    replay("graph_cache", pl_fuzz_graph_cache);
}

/* The graph_cache seeds are caches of the current format (a format change must regenerate
 * them, or the fuzzer would start from files the reader refuses at the version check):
 * written afresh, they are byte for byte the stored ones. */
static void test_fuzz_graph_cache_seeds_current(void **state)
{
    (void)state;
    char dir[1400];
    snprintf(dir, sizeof dir, "%s/seeds", root);
    assert_int_equal(run_cmd("rm -rf %s && mkdir -p %s", dir, dir), 0);
    assert_int_equal(pl_fuzz_graph_cache_write_seeds(dir), 0);
    assert_int_equal(run_cmd("diff -r %s %s/tests/fuzz/corpus/graph_cache", dir, PLATSA_SOURCE_DIR), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_run_makes_reference),
        cmocka_unit_test(test_geographic_working_crs_refused),
        cmocka_unit_test(test_layer_in_wgs84_reprojected),
        cmocka_unit_test(test_no_crs_refused_then_assumed),
        cmocka_unit_test(test_csv_repeated_coordinate_column),
        cmocka_unit_test(test_csv_two_coordinate_pairs),
        cmocka_unit_test(test_empty_layer),
        cmocka_unit_test(test_self_intersecting_polygon_repaired),
        cmocka_unit_test(test_nan_and_huge_coordinates_skipped),
        cmocka_unit_test(test_grid_table_coordinate_typo),
        cmocka_unit_test(test_road_with_huge_coordinate_skipped),
        cmocka_unit_test(test_road_topology_ids),
        cmocka_unit_test(test_wrong_geometry_type),
        cmocka_unit_test(test_mixed_polygons_and_points_population),
        cmocka_unit_test(test_missing_field),
        cmocka_unit_test(test_non_numeric_field),
        cmocka_unit_test(test_non_utf8_names),
        cmocka_unit_test(test_missing_input_file),
        cmocka_unit_test(test_truncated_geopackage),
        cmocka_unit_test(test_damaged_geopackage_page),
        cmocka_unit_test(test_damaged_buildings_population_command),
        cmocka_unit_test(test_working_crs_distorting_distances),
        cmocka_unit_test(test_coordinates_outside_crs_area),
        cmocka_unit_test(test_scenario_inline_lonlat),
        cmocka_unit_test(test_scenario_close_one_place),
        cmocka_unit_test(test_population_field_not_counts),
        cmocka_unit_test(test_overlapping_population_units),
        cmocka_unit_test(test_duplicate_service_ids),
        cmocka_unit_test(test_population_command_overlapping_areas),
        cmocka_unit_test(test_bad_service_types_file),
        cmocka_unit_test(test_bad_option_values),
        cmocka_unit_test(test_service_far_from_roads_left_out),
        cmocka_unit_test(test_unit_far_from_roads_listed_and_counted),
        cmocka_unit_test(test_id_field_kept_and_duplicates_refused),
        cmocka_unit_test(test_option_ranges_access),
        cmocka_unit_test(test_option_ranges_other_commands),
        cmocka_unit_test(test_messages_name_the_right_flag),
        cmocka_unit_test(test_non_regular_inputs_refused),
        cmocka_unit_test(test_import_osm_empty_extract),
        cmocka_unit_test(test_scenario_file_refusals),
        cmocka_unit_test(test_existing_output_needs_overwrite),
        cmocka_unit_test(test_csv_twin_path_is_a_folder),
        cmocka_unit_test(test_route_dump_paths),
        cmocka_unit_test(test_output_is_an_input),
        cmocka_unit_test(test_output_folder_not_writable),
        cmocka_unit_test(test_disk_full_file_size_limit),
        cmocka_unit_test(test_disk_full_tmpfs),
        cmocka_unit_test(test_stale_temp_files_removed),
        cmocka_unit_test(test_graph_cache_path_refused),
        cmocka_unit_test(test_graph_cache_path_every_command),
        cmocka_unit_test(test_graph_cache_damaged_rebuilt),
        cmocka_unit_test(test_graph_cache_stale_temp_removed),
        cmocka_unit_test(test_fuzz_service_types_replay),
        cmocka_unit_test(test_fuzz_osm_tags_replay),
        cmocka_unit_test(test_fuzz_layers_replay),
        cmocka_unit_test(test_fuzz_options_replay),
        cmocka_unit_test(test_fuzz_graph_cache_replay),
        cmocka_unit_test(test_fuzz_graph_cache_seeds_current),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
