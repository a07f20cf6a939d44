/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Map report: Swedish number formatting, QML style parsing and class lookup, cairo maps
 * (size, not blank, legend colours in the image and on the map), the HTML report (only
 * local files, table values, headings, parameters), atomic and safe replacement, the CLI. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cairo.h>
#include <cpl_error.h>
#include <gdal.h>
#include <sqlite3.h>

#include "analyses/report/report.h"
#include "analyses/classify/classify_styles.h"
#include "gis/commit.h"
#include "gis/ctx.h"
#include "gis/map_render.h"
#include "support/testutil.h"

#include "qgis/sample_gpkg.c"

#define NBSP "\xc2\xa0"

static char g_dir[4096];
static void row_cell(const char *from, const char *row, const char *cls, int n, char *out, size_t size);
static char g_gpkg[4200];

/* ------------------------------------------------------------------ helpers */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    fclose(f);
    s[got] = '\0';
    return s;
}

typedef struct mem_reader {
    const unsigned char *p;
    size_t left;
} mem_reader;

static cairo_status_t read_mem(void *closure, unsigned char *data, unsigned int len)
{
    mem_reader *r = closure;
    if (len > r->left)
        return CAIRO_STATUS_READ_ERROR;
    memcpy(data, r->p, len);
    r->p += len;
    r->left -= len;
    return CAIRO_STATUS_SUCCESS;
}

static cairo_surface_t *decode_png(const unsigned char *png, size_t len)
{
    mem_reader r = {png, len};
    cairo_surface_t *s = cairo_image_surface_create_from_png_stream(read_mem, &r);
    assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    return s;
}

static void pixel(cairo_surface_t *s, int x, int y, int *r, int *g, int *b)
{
    cairo_surface_flush(s);
    const unsigned char *d = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    uint32_t v = *(const uint32_t *)(d + (size_t)y * (size_t)stride + (size_t)x * 4);
    *r = (int)((v >> 16) & 255);
    *g = (int)((v >> 8) & 255);
    *b = (int)(v & 255);
}

static int near(int a, int b)
{
    return abs(a - b) <= 2;
}

static long count_colour(cairo_surface_t *s, int x0, int y0, int w, int h, pl_rgba c)
{
    int cr = (int)lround(c.r * 255), cg = (int)lround(c.g * 255), cb = (int)lround(c.b * 255);
    long n = 0;
    for (int y = y0; y < y0 + h; y++)
        for (int x = x0; x < x0 + w; x++) {
            int r, g, b;
            pixel(s, x, y, &r, &g, &b);
            n += near(r, cr) && near(g, cg) && near(b, cb);
        }
    return n;
}

static double sql_double(const char *gpkg, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(gpkg, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    double v = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* Every src="..." and href="..." of the page: a data: URI, a #fragment, or a file in dir. */
static void assert_local_references(const char *html, const char *dir, int *n_images)
{
    *n_images = 0;
    const char *attrs[] = {"src=\"", "href=\""};
    for (int a = 0; a < 2; a++) {
        for (const char *p = strstr(html, attrs[a]); p; p = strstr(p + 1, attrs[a])) {
            const char *v = p + strlen(attrs[a]);
            const char *e = strchr(v, '"');
            assert_non_null(e);
            char ref[1024];
            snprintf(ref, sizeof ref, "%.*s", (int)(e - v), v);
            if (ref[0] == '#' || strncmp(ref, "data:", 5) == 0)
                continue;
            if (strstr(ref, "://") || ref[0] == '/' || strstr(ref, ".."))
                fail_msg("reference outside the report folder: %s", ref);
            char path[8192];
            snprintf(path, sizeof path, "%s/%s", dir, ref);
            if (!file_exists(path))
                fail_msg("the page references %s, which is not in %s", ref, dir);
            if (a == 0)
                (*n_images)++;
        }
    }
}

static const char *platsa_bin(void)
{
    const char *b = getenv("PLATSA_BIN");
    return b && *b ? b : "build/platsa";
}

static int count_entries(const char *dir, const char *containing)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, containing))
            n++;
    closedir(d);
    return n;
}

static int setup(void **state)
{
    (void)state;
    GDALAllRegister();
    snprintf(g_dir, sizeof g_dir, "%s", scratch_dir("report"));
    snprintf(g_gpkg, sizeof g_gpkg, "%s/sample.gpkg", g_dir);
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};
    int rc = sample_gpkg_write(ctx, g_gpkg, 0, &err);
    pl_ctx_free(ctx);
    if (rc != PL_OK) {
        fprintf(stderr, "sample: %s\n", err.msg);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ numbers */

static void test_format_number(void **state)
{
    (void)state;
    char b[64];
    pl_map_format_number(b, sizeof b, 12345, 0);
    assert_string_equal(b, "12" NBSP "345");
    pl_map_format_number(b, sizeof b, 1234567.26, 1);
    assert_string_equal(b, "1" NBSP "234" NBSP "567,3");  /* rounded to 1 decimal */
    pl_map_format_number(b, sizeof b, 4.5, 1);
    assert_string_equal(b, "4,5");
    pl_map_format_number(b, sizeof b, 10.0, 2);
    assert_string_equal(b, "10");  /* trailing zeros dropped */
    pl_map_format_number(b, sizeof b, 999, 0);
    assert_string_equal(b, "999");
    pl_map_format_number(b, sizeof b, -2500.5, 1);
    assert_string_equal(b, "-2" NBSP "500,5");
    pl_map_format_number(b, sizeof b, -0.01, 1);
    assert_string_equal(b, "0");
    pl_map_format_number(b, sizeof b, NAN, 1);
    assert_string_equal(b, "\xe2\x80\x93");
}

/* ------------------------------------------------------------------ styles */

static void test_style_graduated(void **state)
{
    (void)state;
    pl_error err = {0};
    char *qml = pl_map_style_qml(g_gpkg, "access_cells", &err);
    assert_non_null(qml);
    pl_map_style s;
    assert_int_equal(pl_map_style_parse(qml, &s, &err), PL_OK);
    free(qml);
    assert_int_equal(s.kind, PL_MAP_GRADUATED);
    assert_string_equal(s.renderer_type, "graduatedSymbol");
    assert_string_equal(s.field, "apotek_km");
    assert_true(s.has_null_value);
    assert_true(s.null_value == -1.0);
    assert_int_equal(s.n_classes, 5);  /* 3 breaks, open class, NULL class */
    assert_string_equal(s.classes[0].label, "högst 2 km");
    assert_string_equal(s.classes[1].label, "2–5 km");
    assert_string_equal(s.classes[3].label, "mer än 10 km");
    assert_string_equal(s.classes[4].label, "ej nåbar");
    /* The writer's access ramp: green first, red open class, grey NULL. */
    assert_int_equal((int)lround(s.classes[0].sym.color.r * 255), 26);
    assert_int_equal((int)lround(s.classes[0].sym.color.g * 255), 150);
    assert_int_equal((int)lround(s.classes[3].sym.color.r * 255), 215);
    assert_int_equal((int)lround(s.classes[4].sym.color.g * 255), 190);
    assert_int_equal(s.classes[0].sym.kind, PL_SYM_FILL);
    assert_true(fabs(s.classes[0].sym.outline_mm - 0.1) < 1e-9);
    /* QGIS's lookup: lower <= v <= upper, first match. */
    assert_int_equal(pl_map_style_class_for(&s, 0, 0.0, NULL), 0);
    assert_int_equal(pl_map_style_class_for(&s, 0, 2.0, NULL), 0);
    assert_int_equal(pl_map_style_class_for(&s, 0, 2.01, NULL), 1);
    assert_int_equal(pl_map_style_class_for(&s, 0, 10.0, NULL), 2);
    assert_int_equal(pl_map_style_class_for(&s, 0, 250.0, NULL), 3);
    assert_int_equal(pl_map_style_class_for(&s, 1, NAN, NULL), 4);  /* NULL -> coalesce sentinel */
    assert_int_equal(pl_map_style_class_for(&s, 0, -7.0, NULL), -1);
    pl_map_style_free(&s);
}

static void test_style_categorized(void **state)
{
    (void)state;
    pl_error err = {0};
    char *qml = pl_map_style_qml(g_gpkg, "service_points", &err);
    assert_non_null(qml);
    pl_map_style s;
    assert_int_equal(pl_map_style_parse(qml, &s, &err), PL_OK);
    free(qml);
    assert_int_equal(s.kind, PL_MAP_CATEGORIZED);
    assert_string_equal(s.field, "rsp_stod");
    assert_false(s.has_null_value);
    assert_int_equal(s.n_classes, 3);
    assert_int_equal(s.classes[0].sym.kind, PL_SYM_MARKER);
    assert_int_equal(pl_map_style_class_for(&s, 0, 1, "1"), 0);
    assert_int_equal(pl_map_style_class_for(&s, 0, 0, "0"), 1);
    assert_int_equal(pl_map_style_class_for(&s, 1, NAN, NULL), 2);  /* catch-all "" takes NULL */
    assert_int_equal(pl_map_style_class_for(&s, 0, 7, "7"), 2);    /* and other values */
    assert_string_equal(s.classes[1].label, "uppfyller inte villkoren");
    pl_map_style_free(&s);
}

static void test_style_errors(void **state)
{
    (void)state;
    pl_error err = {0};
    pl_map_style s;
    assert_int_equal(pl_map_style_parse("<qgis><renderer-v2", &s, &err), PL_EINPUT);
    assert_int_equal(pl_map_style_parse("<qgis><renderer-v2 type=\"heatmapRenderer\"/></qgis>", &s, &err),
                     PL_EINPUT);
    assert_non_null(strstr(err.msg, "heatmapRenderer"));
    assert_int_equal(pl_map_style_parse("<qgis><renderer-v2 type=\"graduatedSymbol\" attr=\"&quot;a&quot; * 2\">"
                                        "<ranges/></renderer-v2></qgis>", &s, &err), PL_EINPUT);
    assert_non_null(strstr(err.msg, "attribute"));
    /* A class whose symbol is missing. */
    assert_int_equal(pl_map_style_parse("<qgis><renderer-v2 type=\"categorizedSymbol\" attr=\"x\"><categories>"
                                        "<category symbol=\"9\" value=\"1\" label=\"a\"/></categories><symbols/>"
                                        "</renderer-v2></qgis>", &s, &err), PL_EINPUT);
    /* An attribute table's stored style carries only its aliases: nothing to map. */
    char *q = pl_map_style_qml(g_gpkg, "access_municipalities_table", &err);
    assert_non_null(q);
    assert_non_null(strstr(q, "<aliases>"));
    assert_int_equal(pl_map_style_parse(q, &s, &err), PL_EINPUT);
    free(q);
    q = pl_map_style_qml(g_gpkg, "no_such_layer", &err);
    assert_null(q);
    assert_non_null(strstr(err.msg, "no_such_layer"));
}

/* ------------------------------------------------------------------ maps */

static void test_render_map(void **state)
{
    (void)state;
    pl_ctx *ctx = pl_ctx_new();
    pl_error err = {0};
    char *qml = pl_map_style_qml(g_gpkg, "access_cells", &err);
    pl_map_style s;
    assert_int_equal(pl_map_style_parse(qml, &s, &err), PL_OK);
    free(qml);
    pl_map_layer layers[] = {
        {.path = g_gpkg, .layer = "access_cells", .style = &s, .legend = 1, .extent = 1},
        {.path = g_gpkg, .layer = "access_municipalities", .legend = 1, .legend_label = "Kommungräns"},
    };
    pl_map_opts o = {.width = 900, .height = 700, .title = "Tillgänglighet per ruta", .legend_title = "Apotek",
                     .attribution = "© OpenStreetMap-bidragsgivare (ODbL); SCB (CC0)"};
    unsigned char *png = NULL;
    size_t len = 0;
    pl_map_info info;
    assert_int_equal(pl_map_render_png(ctx, layers, 2, &o, &png, &len, &info, &err), PL_OK);
    assert_true(len > 1000);
    assert_memory_equal(png, "\x89PNG", 4);
    cairo_surface_t *img = decode_png(png, len);
    assert_int_equal(cairo_image_surface_get_width(img), 900);
    assert_int_equal(cairo_image_surface_get_height(img), 700);

    /* Not blank: most of the map frame is painted by cells (not white, not the frame tone). */
    long painted = 0, total = 0;
    for (int y = info.frame_y + 2; y < info.frame_y + info.frame_h - 2; y += 3)
        for (int x = info.frame_x + 2; x < info.frame_x + info.frame_w - 2; x += 3) {
            int r, g, b;
            pixel(img, x, y, &r, &g, &b);
            total++;
            painted += !(r > 240 && g > 240 && b > 240);
        }
    assert_true(painted > total / 4);

    /* Every class has a legend swatch in its colour, and the classes with features appear
     * on the map in the same colour. */
    assert_int_equal(info.n_legend, 5);
    long features = 0;
    for (int k = 0; k < info.n_legend; k++) {
        int c = info.legend_class[k];
        int x = info.legend_x + info.swatch_size / 2, y = info.legend_y + k * info.legend_step + info.swatch_size / 2;
        int r, g, b;
        pixel(img, x, y, &r, &g, &b);
        pl_rgba want = s.classes[c].sym.color;
        if (!near(r, (int)lround(want.r * 255)) || !near(g, (int)lround(want.g * 255)) ||
            !near(b, (int)lround(want.b * 255)))
            fail_msg("legend swatch %d (%s) is %d,%d,%d", k, s.classes[c].label, r, g, b);
        features += info.per_class[c];
        if (info.per_class[c] > 0)
            assert_true(count_colour(img, info.frame_x, info.frame_y, info.frame_w, info.frame_h, want) > 20);
    }
    long cells = (long)sql_double(g_gpkg, "SELECT count(*) FROM access_cells");
    assert_int_equal(features, cells);
    assert_true(info.per_class[4] > 0);  /* NULL cells drawn grey */
    /* 1 km cells at this scale: metres per pixel is a few hundred. */
    assert_true(info.metres_per_pixel > 50 && info.metres_per_pixel < 200);
    cairo_surface_destroy(img);
    free(png);
    pl_map_style_free(&s);
    pl_ctx_free(ctx);
}

/* A title longer than the map is wide is set smaller, not cut at the right edge. */
static void test_render_long_title(void **state)
{
    (void)state;
    pl_ctx *ctx = pl_ctx_new();
    pl_error err = {0};
    pl_map_layer layers[] = {{.path = g_gpkg, .layer = "access_municipalities", .legend = 1, .extent = 1}};
    const char *titles[2] = {"Kort", "Butikers sårbarhet: Dagligvaror (alla) (befolkning över 30 min om butiken "
                                     "stängs), Region Örebro län, syntetiska butiker och vägar"};
    long edge[2];
    for (int t = 0; t < 2; t++) {
        pl_map_opts o = {.width = 600, .height = 450, .title = titles[t], .subtitle = titles[t]};
        unsigned char *png = NULL;
        size_t len = 0;
        pl_map_info info;
        assert_int_equal(pl_map_render_png(ctx, layers, 1, &o, &png, &len, &info, &err), PL_OK);
        cairo_surface_t *img = decode_png(png, len);
        /* Dark text pixels in the title and subtitle lines, right of the margin. */
        edge[t] = 0;
        long ink = 0;
        for (int y = 8; y < info.frame_y - 2; y++) {
            for (int x = 0; x < 600; x++) {
                int r, g, b;
                pixel(img, x, y, &r, &g, &b);
                int dark = r < 140 && g < 140 && b < 140;
                ink += dark;
                edge[t] += dark && x >= 600 - 14;
            }
        }
        assert_true(ink > 100);  /* the title is there */
        cairo_surface_destroy(img);
        free(png);
    }
    assert_int_equal(edge[0], 0);
    assert_int_equal(edge[1], 0);
    pl_ctx_free(ctx);
}

static void test_render_errors(void **state)
{
    (void)state;
    pl_ctx *ctx = pl_ctx_new();
    pl_error err = {0};
    unsigned char *png = NULL;
    size_t len = 0;
    pl_map_layer table = {.path = g_gpkg, .layer = "access_municipalities_table"};
    assert_int_equal(pl_map_render_png(ctx, &table, 1, NULL, &png, &len, NULL, &err), PL_EINPUT);
    assert_non_null(strstr(err.msg, "attribute table"));
    pl_map_layer missing = {.path = g_gpkg, .layer = "nope"};
    assert_int_equal(pl_map_render_png(ctx, &missing, 1, NULL, &png, &len, NULL, &err), PL_EINPUT);
    pl_map_layer ok = {.path = g_gpkg, .layer = "access_cells"};
    pl_map_opts tiny = {.width = 50, .height = 50};
    assert_int_equal(pl_map_render_png(ctx, &ok, 1, &tiny, &png, &len, NULL, &err), PL_EINPUT);
    /* A style on a field the layer lacks. */
    pl_map_style s;
    char *qml = pl_map_style_qml(g_gpkg, "access_cells", &err);
    assert_int_equal(pl_map_style_parse(qml, &s, &err), PL_OK);
    free(qml);
    pl_map_layer wrong = {.path = g_gpkg, .layer = "service_points", .style = &s};
    assert_int_equal(pl_map_render_png(ctx, &wrong, 1, NULL, &png, &len, NULL, &err), PL_EINPUT);
    assert_non_null(strstr(err.msg, "apotek_km"));
    assert_null(png);
    pl_map_style_free(&s);
    pl_ctx_free(ctx);
}

/* ------------------------------------------------------------------ report */

static void test_report_html(void **state)
{
    (void)state;
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};
    char out[4300];
    snprintf(out, sizeof out, "%s/rapport", g_dir);
    pl_report_opts o = {.input = g_gpkg, .output = out, .width = 900, .height = 650};
    assert_int_equal(pl_report_run(ctx, &o, &err), PL_OK);
    char index[4400];
    snprintf(index, sizeof index, "%s/index.html", out);
    char *html = slurp(index);
    assert_non_null(html);
    int n_img = 0;
    assert_local_references(html, out, &n_img);
    assert_int_equal(n_img, 3);  /* municipalities, cells, points */
    assert_int_equal(count_entries(out, ".png"), 3);
    assert_non_null(strstr(html, "<html lang=\"sv\">"));
    assert_null(strstr(html, "http://"));
    assert_null(strstr(html, "https://"));
    /* Maps in the order planners read them: municipalities first. */
    char *m1 = strstr(html, "karta-01-access_municipalities.png");
    char *m2 = strstr(html, "karta-02-access_cells.png");
    assert_non_null(m1);
    assert_non_null(m2);
    assert_true(m1 < m2);
    /* The table: Swedish headings (type prefix stripped), values formatted Swedish style. */
    assert_non_null(strstr(html, "<caption>Tillgänglighet per kommun (tabell): Apotek</caption>"));
    assert_non_null(strstr(html, ">Medelavstånd (km)</th>"));
    assert_non_null(strstr(html, ">Andel över 10 km</th>"));
    assert_non_null(strstr(html, ">Kommun</th>"));
    char want[128], num[64];
    double pop = sql_double(g_gpkg, "SELECT pop FROM access_municipalities_table WHERE kommun = 'totalt'");
    assert_true(pop >= 10000);
    pl_map_format_number(num, sizeof num, pop, 0);
    snprintf(want, sizeof want, "<td class=\"num\">%s</td>", num);
    assert_non_null(strstr(html, want));
    assert_non_null(strstr(num, NBSP));
    double share = sql_double(g_gpkg, "SELECT apotek_share_km_over_10 FROM access_municipalities_table "
                                      "WHERE kommun = '9904'");
    pl_map_format_number(num, sizeof num, share * 100, 1);
    if (!strchr(num, ','))
        strcat(num, ",0");
    snprintf(want, sizeof want, "%s" NBSP "%%", num);
    assert_non_null(strstr(html, want));
    double mean = sql_double(g_gpkg, "SELECT apotek_mean_km FROM access_municipalities_table WHERE kommun = '9902'");
    pl_map_format_number(num, sizeof num, mean, 1);
    if (!strchr(num, ','))
        strcat(num, ",0");  /* tables keep one decimal */
    snprintf(want, sizeof want, "<td class=\"num\">%s</td>", num);
    assert_non_null(strstr(html, want));
    /* The total row closes the table. */
    assert_non_null(strstr(html, "<tfoot>\n<tr class=\"total\"><th scope=\"row\">Alla analyserade</th>"));
    /* Every municipality is a row. */
    for (int i = 0; i < S_N_MUNI; i++) {
        snprintf(want, sizeof want, "<th scope=\"row\">%s</th>", S_TOWNS[i].name);
        assert_non_null(strstr(html, want));
    }
    /* Run parameters and attribution. */
    assert_non_null(strstr(html, "<dt>Färdsätt</dt><dd>bil</dd>"));
    assert_non_null(strstr(html, "sample_gpkg (platsa test sample)"));
    assert_non_null(strstr(html, "2024-05-01 kl. 12:00 UTC"));
    assert_non_null(strstr(html, "OpenStreetMap"));
    assert_non_null(strstr(html, "SCB"));
    assert_null(strstr(html, "SYNTETISK"));  /* no input says it is synthetic */
    /* No time band and no goal: the summary says the share beyond the last distance band, the
     * summary table's own cell. */
    char km_share[128], para[512];
    row_cell(html, "Apotek", "num", 3, km_share, sizeof km_share);
    assert_true(km_share[0] != '\0');
    snprintf(para, sizeof para, "<p class=\"summary\"><strong>Sammanfattning.</strong> I analysområdet har %s av "
             "invånarna mer än 10 km längs vägnätet till närmaste apotek.</p>", km_share);
    assert_non_null(strstr(html, para));
    free(html);
    /* No temporary folder left beside it. */
    assert_int_equal(count_entries(g_dir, ".tmp-"), 0);
    pl_ctx_free(ctx);
}

static void test_report_replace(void **state)
{
    (void)state;
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};
    char out[4300], path[4400];
    snprintf(out, sizeof out, "%s/ersatt", g_dir);
    pl_report_opts o = {.input = g_gpkg, .output = out, .width = 600, .height = 450, .max_rows = 2};
    assert_int_equal(pl_report_run(ctx, &o, &err), PL_OK);
    snprintf(path, sizeof path, "%s/index.html", out);
    char *html = slurp(path);
    assert_non_null(strstr(html, "Visar 2 av 5 rader"));
    assert_non_null(strstr(html, "Alla analyserade"));  /* the total row is always shown */
    free(html);
    /* Exists: refused without --overwrite, nothing touched. */
    assert_int_equal(pl_report_run(ctx, &o, &err), PL_EINPUT);
    assert_non_null(strstr(err.msg, "--overwrite"));
    /* A user's own file in the report folder (issue #18): --overwrite refuses, naming it,
     * and the file and the old report stay. */
    snprintf(path, sizeof path, "%s/mina-anteckningar.txt", out);
    FILE *f = fopen(path, "w");
    fputs("mine", f);
    fclose(f);
    o.overwrite = 1;
    o.title = "Ny rubrik";
    assert_int_equal(pl_report_run(ctx, &o, &err), PL_EINPUT);
    char want[4600];
    snprintf(want, sizeof want, "%s: holds 'mina-anteckningar.txt', which platsa did not write; move it out of the "
             "folder or choose another output folder (--overwrite replaces only what platsa wrote)", out);
    assert_string_equal(err.msg, want);
    char *kept = slurp(path);
    assert_string_equal(kept, "mine");
    free(kept);
    snprintf(path, sizeof path, "%s/index.html", out);
    html = slurp(path);
    assert_null(strstr(html, "Ny rubrik"));
    free(html);
    assert_int_equal(count_entries(g_dir, ".tmp-"), 0);
    /* A file with the name of a map but not listed in the marker is a user's file too. */
    assert_int_equal(run_cmd("mv '%s/mina-anteckningar.txt' '%s/karta-09-egen.png'", out, out), 0);
    assert_int_equal(pl_report_run(ctx, &o, &err), PL_EINPUT);
    assert_non_null(strstr(err.msg, "holds 'karta-09-egen.png', which platsa did not write"));
    assert_int_equal(run_cmd("rm '%s/karta-09-egen.png'", out), 0);
    /* With --overwrite a report platsa made is replaced as a whole: a file the marker lists
     * (an older report's map) goes with it. */
    snprintf(path, sizeof path, "%s/karta-09-gammal.png", out);
    f = fopen(path, "w");
    fputs("old", f);
    fclose(f);
    assert_int_equal(run_cmd("echo karta-09-gammal.png >> '%s/%s'", out, PL_REPORT_MARKER), 0);
    assert_int_equal(pl_report_run(ctx, &o, &err), PL_OK);
    assert_false(file_exists(path));
    snprintf(path, sizeof path, "%s/index.html", out);
    html = slurp(path);
    assert_non_null(strstr(html, "<h1>Ny rubrik</h1>"));
    free(html);
    assert_int_equal(count_entries(g_dir, ".tmp-"), 0);

    /* A folder platsa did not write is never replaced. */
    char other[4300];
    snprintf(other, sizeof other, "%s/egna-filer", g_dir);
    mkdir(other, 0755);
    snprintf(path, sizeof path, "%s/viktig.txt", other);
    f = fopen(path, "w");
    fputs("keep", f);
    fclose(f);
    pl_report_opts o2 = {.input = g_gpkg, .output = other, .overwrite = 1};
    assert_int_equal(pl_report_run(ctx, &o2, &err), PL_EINPUT);
    assert_non_null(strstr(err.msg, "not a platsa report"));
    assert_true(file_exists(path));
    /* A marker of an older platsa (no file list): its own names are replaced, nothing else. */
    char legacy[4300];
    snprintf(legacy, sizeof legacy, "%s/gammal-rapport", g_dir);
    assert_int_equal(run_cmd("mkdir -p '%s' && cd '%s' && echo old > index.html && echo old > karta-01-x.png && "
                             "printf \"platsa report folder: replaced as a whole by 'platsa report --overwrite'\\n\" "
                             "> %s && echo mine > egen.txt", legacy, legacy, PL_REPORT_MARKER), 0);
    pl_report_opts o4 = {.input = g_gpkg, .output = legacy, .overwrite = 1, .width = 600, .height = 450};
    assert_int_equal(pl_report_run(ctx, &o4, &err), PL_EINPUT);
    assert_non_null(strstr(err.msg, "holds 'egen.txt', which platsa did not write"));
    assert_int_equal(run_cmd("rm '%s/egen.txt'", legacy), 0);
    assert_int_equal(pl_report_run(ctx, &o4, &err), PL_OK);
    snprintf(path, sizeof path, "%s/karta-01-x.png", legacy);
    assert_false(file_exists(path));
    /* An empty existing folder is fine. */
    char empty[4300];
    snprintf(empty, sizeof empty, "%s/tom", g_dir);
    mkdir(empty, 0755);
    pl_report_opts o3 = {.input = g_gpkg, .output = empty, .width = 600, .height = 450};
    assert_int_equal(pl_report_run(ctx, &o3, &err), PL_OK);
    snprintf(path, sizeof path, "%s/index.html", empty);
    assert_true(file_exists(path));
    pl_ctx_free(ctx);
}

static void test_report_failures_leave_nothing(void **state)
{
    (void)state;
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};
    char out[4300], bad[4300];
    snprintf(out, sizeof out, "%s/misslyckad", g_dir);
    /* Maps too small: fails after the temporary folder exists; nothing may be left. */
    pl_report_opts o = {.input = g_gpkg, .output = out, .width = 100, .height = 100};
    assert_int_equal(pl_report_run(ctx, &o, &err), PL_EINPUT);
    assert_false(file_exists(out));
    assert_int_equal(count_entries(g_dir, ".tmp-"), 0);
    /* Not a GeoPackage. */
    snprintf(bad, sizeof bad, "%s/inte.gpkg", g_dir);
    FILE *f = fopen(bad, "w");
    fputs("hello", f);
    fclose(f);
    pl_report_opts o2 = {.input = bad, .output = out};
    assert_int_equal(pl_report_run(ctx, &o2, &err), PL_EINPUT);
    pl_report_opts o3 = {.input = "/nonexistent/x.gpkg", .output = out};
    assert_int_equal(pl_report_run(ctx, &o3, &err), PL_EINPUT);
    assert_non_null(strstr(err.msg, "/nonexistent/x.gpkg"));
    /* Output folder's parent missing. */
    pl_report_opts o4 = {.input = g_gpkg, .output = "/nonexistent-dir/rapport"};
    assert_int_equal(pl_report_run(ctx, &o4, &err), PL_EINPUT);
    assert_false(file_exists(out));
    pl_ctx_free(ctx);
}

/* Legend labels for planners: class names, percentages, whole counts. */
static void test_report_legend_labels(void **state)
{
    (void)state;
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};
    char path[4300];
    snprintf(path, sizeof path, "%s/labels.gpkg", g_dir);
    pl_gpkg_opts go = {.overwrite = 1, .timestamp = "2024-05-01T12:00:00Z"};
    pl_gpkg *g = pl_gpkg_create(ctx, path, &go, &err);
    assert_non_null(g);
    pl_gpkg_add_parameter(g, "analysis", "classify");
    static const pl_field_def cf[] = {
        {"class", PL_FIELD_INT, "Klass", NULL},
        {"class_name", PL_FIELD_TEXT, "Klassnamn", NULL},
        {"share_remote_rural", PL_FIELD_REAL, "Andel i landsbygd avlägset belägen", NULL},
        {"service_level", PL_FIELD_INT, "Antal servicetyper", NULL},
    };
    /* The styles the analyses give these layers (analyses/CMD/CMD_styles.c). */
    pl_legend lg;
    pl_gpkg_layer *lc = pl_gpkg_layer_add(g, "classify_cells", 6, NULL, cf, 4, pl_classify_style_cells(&lg, 0), &err);
    pl_gpkg_layer *lm = pl_gpkg_layer_add(g, "classify_municipalities", 6, NULL, cf, 4,
                                          pl_classify_style_municipalities(&lg), &err);
    pl_gpkg_layer *ll = pl_gpkg_layer_add(g, "service_level", 6, NULL, cf, 4, pl_access_style_service_level(&lg, 3),
                                          &err);
    assert_non_null(lc);
    assert_non_null(lm);
    assert_non_null(ll);
    static const char *names[] = {"tätort", "tätortsnära landsbygd", "landsbygd avlägset belägen"};
    for (int i = 0; i < 3; i++) {
        char wkt[200];
        snprintf(wkt, sizeof wkt, "POLYGON((%d 6500000,%d 6500000,%d 6501000,%d 6501000,%d 6500000))",
                 500000 + i * 1000, 501000 + i * 1000, 501000 + i * 1000, 500000 + i * 1000, 500000 + i * 1000);
        GEOSGeometry *sq = GEOSGeomFromWKT_r(ctx->geos, wkt);
        pl_gpkg_layer *ls3[] = {lc, lm, ll};
        for (int k = 0; k < 3; k++) {
            pl_gpkg_row_begin(ls3[k]);
            pl_gpkg_set_int(ls3[k], 0, i + 1);
            pl_gpkg_set_text(ls3[k], 1, names[i]);
            pl_gpkg_set_real(ls3[k], 2, 0.2 * i);
            pl_gpkg_set_int(ls3[k], 3, i);
            pl_gpkg_set_geos(ls3[k], sq);
            assert_int_equal(pl_gpkg_row_end(ls3[k], &err), PL_OK);
        }
        GEOSGeom_destroy_r(ctx->geos, sq);
    }
    assert_int_equal(pl_gpkg_commit(g, &err), PL_OK);

    pl_map_style s;
    assert_int_equal(pl_report_layer_style(path, "classify_cells", &s, &err), PL_OK);
    assert_int_equal(s.n_classes, 4);
    assert_string_equal(s.classes[0].label, "tätort");
    assert_string_equal(s.classes[1].label, "tätortsnära landsbygd");
    assert_string_equal(s.classes[2].label, "landsbygd avlägset belägen");
    assert_string_equal(s.classes[3].label, "uppgift saknas");  /* the NULL class */
    pl_map_style_free(&s);

    assert_int_equal(pl_report_layer_style(path, "classify_municipalities", &s, &err), PL_OK);
    assert_string_equal(s.classes[0].label, "högst 5 %");
    assert_string_equal(s.classes[2].label, "10–25 %");
    assert_string_equal(s.classes[4].label, "mer än 50 %");
    pl_map_style_free(&s);

    assert_int_equal(pl_report_layer_style(path, "service_level", &s, &err), PL_OK);
    assert_int_equal(s.n_classes, 5);
    assert_string_equal(s.classes[0].label, "0 typer");
    assert_string_equal(s.classes[1].label, "1 typ");
    assert_string_equal(s.classes[2].label, "2 typer");
    assert_string_equal(s.classes[3].label, "alla 3 typer");
    assert_string_equal(s.classes[4].label, "uppgift saknas");
    pl_map_style_free(&s);

    /* The report of this file: its title and maps. */
    char out[4400];
    snprintf(out, sizeof out, "%s/labels-rapport", g_dir);
    pl_report_opts o = {.input = path, .output = out, .width = 600, .height = 450};
    assert_int_equal(pl_report_run(ctx, &o, &err), PL_OK);
    assert_int_equal(count_entries(out, ".png"), 3);
    char index[4500];
    snprintf(index, sizeof index, "%s/index.html", out);
    char *html = slurp(index);
    assert_non_null(strstr(html, "<h1>Territoriell klassificering (tätort – landsbygd)</h1>"));
    free(html);
    pl_ctx_free(ctx);
}


/* A report on an analysis of platsa synth's layers says SYNTHETIC where a reader looks: the
 * heading, a banner, each map's caption, the inputs table and the credits; and the output's
 * metadata records which inputs were synthetic (from their own layer titles). */
static void test_report_says_synthetic(void **state)
{
    (void)state;
    char region[4300], access[4300], out[4300], index[4400];
    snprintf(region, sizeof region, "%s/synth-region.gpkg", g_dir);
    snprintf(access, sizeof access, "%s/synth-access.gpkg", g_dir);
    snprintf(out, sizeof out, "%s/synth-report", g_dir);
    assert_int_equal(run_cmd("build/platsa -q synth --size S --data sample-data/orebro -o '%s' --overwrite", region), 0);
    assert_int_equal(run_cmd("build/platsa -q access --population '%s:population' --services '%s:services' "
                             "--roads '%s:roads' --municipalities '%s:municipalities' --types pharmacy,fuel "
                             "-o '%s' --overwrite", region, region, region, region, access), 0);
    assert_int_equal(run_cmd("sqlite3 '%s' \"SELECT metadata FROM gpkg_metadata\" | grep ':roads\\\", ' | "
                             "grep -q '\\\"title\\\": \\\"SYNTHETIC roads.*\\\"synthetic\\\": true'", access), 0);
    assert_int_equal(run_cmd("sqlite3 '%s' \"SELECT metadata FROM gpkg_metadata\" | grep ':municipalities\\\", ' | "
                             "grep -q '\\\"synthetic\\\"'", access), 1);
    assert_int_equal(run_cmd("build/platsa -q report '%s' -o '%s' --overwrite", access, out), 0);
    snprintf(index, sizeof index, "%s/index.html", out);
    char *html = slurp(index);
    assert_non_null(html);
    assert_non_null(strstr(html, "<h1>SYNTETISKA DATA \xe2\x80\x93 "));
    assert_non_null(strstr(html, "<p class=\"synthetic\"><strong>SYNTETISKA DATA.</strong>"));
    assert_non_null(strstr(html, "(SYNTETISKA indata: services, roads)</h2>"));
    assert_non_null(strstr(html, "<strong>SYNTETISKA indata</strong> (services, roads)"));
    assert_non_null(strstr(html, "<footer>Kartdata: SYNTETISKA data (platsa synth, inte verkliga): "
                                 "services, roads; \xc2\xa9 OpenStreetMap-bidragsgivare (ODbL); SCB (CC0)."));
    assert_non_null(strstr(html, "<br><strong>SYNTHETIC roads"));
    /* Parameters in Swedish words and numbers. */
    assert_non_null(strstr(html, "<dt>Längsta avstånd till väg (m)</dt><dd>1" NBSP "000</dd>"));
    assert_non_null(strstr(html, "<dt>Längsta avstånd från service till väg (m)</dt><dd>2" NBSP "000</dd>"));
    assert_non_null(strstr(html, "<dt>Region (kod)</dt><dd>hela underlaget</dd>"));
    assert_null(strstr(html, "<dt>max_"));
    free(html);
}

/* The text of the n-th (0-based) cell with class `cls` in the row headed `row` (a
 * "<th scope=\"row\">" text) of the table after `from`, or "" when there is none. */
static void row_cell(const char *from, const char *row, const char *cls, int n, char *out, size_t size)
{
    out[0] = '\0';
    char head[256], open[128];
    snprintf(head, sizeof head, "<th scope=\"row\">%s</th>", row);
    snprintf(open, sizeof open, "<td class=\"%s\">", cls);
    const char *p = strstr(from, head);
    if (!p)
        return;
    const char *end = strstr(p, "</tr>");
    for (int i = 0; i <= n; i++) {
        p = strstr(p + 1, open);
        if (!p || (end && p > end))
            return;
    }
    p += strlen(open);
    const char *e = strstr(p, "</td>");
    snprintf(out, size, "%.*s", (int)(e - p), p);
}

/* Residents beyond x min in kommun (NULL: all cells), straight from the cells. */
static double cells_beyond(const char *gpkg, const char *kommun, double x)
{
    char sql[512];
    if (kommun)
        snprintf(sql, sizeof sql, "SELECT COALESCE(SUM(pop), 0) FROM access_cells WHERE kommun = '%s' AND "
                 "apotek_min > %g", kommun, x);
    else
        snprintf(sql, sizeof sql, "SELECT COALESCE(SUM(pop), 0) FROM access_cells WHERE apotek_min > %g", x);
    return sql_double(gpkg, sql);
}

/* --goal-min: the headline share and a "beyond" column per kommun count the cells beyond the
 * region's goal; the total row is the whole area, equal to the sum of the kommuner. */
static void test_report_goal_min(void **state)
{
    (void)state;
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};
    char out[4300], index[4400], got[128], want[128];
    double goals[2] = {30, 10};
    char *pages[2];
    for (int g = 0; g < 2; g++) {
        snprintf(out, sizeof out, "%s/mål-%g", g_dir, goals[g]);
        pl_report_opts o = {.input = g_gpkg, .output = out, .width = 500, .height = 400, .goal_min = goals[g]};
        assert_int_equal(pl_report_run(ctx, &o, &err), PL_OK);
        snprintf(index, sizeof index, "%s/index.html", out);
        char *html = pages[g] = slurp(index);
        assert_non_null(html);
        snprintf(want, sizeof want, ">Andel över %g" NBSP "min (mål)</th>", goals[g]);
        assert_non_null(strstr(html, want));
        snprintf(want, sizeof want, ">Befolkning över %g" NBSP "min</th>", goals[g]);
        const char *table = strstr(html, want);
        assert_non_null(table);
        double sum = 0;
        for (int i = 0; i < S_N_MUNI; i++) {
            double v = cells_beyond(g_gpkg, S_MUNI_CODE[i], goals[g]);
            sum += v;
            row_cell(table, S_TOWNS[i].name, "num goal", 0, got, sizeof got);
            pl_map_format_number(want, sizeof want, v, 0);
            assert_string_equal(got, want);
        }
        /* The total row: all cells, and the sum of the kommuner computed here. */
        assert_true(sum > 0);
        assert_true(fabs(sum - cells_beyond(g_gpkg, NULL, goals[g])) < 1e-6);
        row_cell(table, "Alla analyserade", "num goal", 0, got, sizeof got);
        pl_map_format_number(want, sizeof want, sum, 0);
        assert_string_equal(got, want);
        /* Its share, as the headline in the summary table. */
        double pop = sql_double(g_gpkg, "SELECT SUM(pop) FROM access_cells");
        row_cell(table, "Alla analyserade", "num goal", 1, got, sizeof got);
        pl_map_format_number(want, sizeof want, 100 * sum / pop, 1);
        if (!strchr(want, ','))
            strcat(want, ",0");
        strcat(want, NBSP "%");
        assert_string_equal(got, want);
        row_cell(html, "Apotek", "num", 4, got, sizeof got);
        assert_string_equal(got, want);
    }
    /* The goal changes the headline. */
    char a[128], b[128];
    row_cell(pages[0], "Apotek", "num", 4, a, sizeof a);
    row_cell(pages[1], "Apotek", "num", 4, b, sizeof b);
    assert_string_not_equal(a, b);
    free(pages[0]);
    free(pages[1]);
    /* Without a goal and without a time band in the table: no beyond column, as before. */
    snprintf(out, sizeof out, "%s/utan-mål", g_dir);
    pl_report_opts o = {.input = g_gpkg, .output = out, .width = 500, .height = 400};
    assert_int_equal(pl_report_run(ctx, &o, &err), PL_OK);
    snprintf(index, sizeof index, "%s/index.html", out);
    char *html = slurp(index);
    assert_null(strstr(html, "Befolkning över"));
    assert_null(strstr(html, "(mål)"));
    free(html);
    assert_int_equal(pl_warn_count(ctx, "report-goal-unused"), 0);
    /* A goal but no times per cell: said, not silently dropped. */
    char copy[4300];
    snprintf(copy, sizeof copy, "%s/utan-restid.gpkg", g_dir);
    assert_int_equal(run_cmd("cp '%s' '%s' && sqlite3 '%s' 'ALTER TABLE access_cells RENAME COLUMN apotek_min TO "
                             "apotek_tid'", g_gpkg, copy, copy), 0);
    snprintf(out, sizeof out, "%s/utan-restid", g_dir);
    pl_report_opts o2 = {.input = copy, .output = out, .width = 500, .height = 400, .goal_min = 30};
    assert_int_equal(pl_report_run(ctx, &o2, &err), PL_OK);
    assert_int_equal(pl_warn_count(ctx, "report-goal-unused"), 1);
    pl_ctx_free(ctx);
}

/* Whole numbers without decimals ("1 674", not "1 674,0"), counts of people as whole people,
 * measures with one decimal all down the column. */
static void test_report_number_format(void **state)
{
    (void)state;
    char copy[4300], out[4300], index[4400];
    snprintf(copy, sizeof copy, "%s/tal.gpkg", g_dir);
    snprintf(out, sizeof out, "%s/tal", g_dir);
    assert_int_equal(run_cmd("cp '%s' '%s' && sqlite3 '%s' \"CREATE TABLE tal (fid INTEGER PRIMARY KEY, kommun TEXT, "
                             "antal REAL, medel REAL, hamnar REAL); INSERT INTO tal VALUES (1, '9901', 1674, 2.5, "
                             "596.64), (2, '9902', 12, 3, 0); INSERT INTO gpkg_contents (table_name, data_type, "
                             "identifier) VALUES ('tal', 'attributes', 'Taltabell'); INSERT INTO gpkg_data_columns "
                             "(table_name, column_name, name, title) VALUES ('tal', 'hamnar', 'hamnar', 'Apotek: "
                             "hamnar över 0.5 km')\"", g_gpkg, copy, copy), 0);
    assert_int_equal(run_cmd("build/platsa -q report '%s' -o '%s' --width 400 --height 300", copy, out), 0);
    snprintf(index, sizeof index, "%s/index.html", out);
    char *html = slurp(index);
    assert_non_null(html);
    const char *t = strstr(html, "<caption>Taltabell</caption>");
    assert_non_null(t);
    assert_non_null(strstr(t, "<th scope=\"row\">9901</th><td class=\"num\">1" NBSP "674</td><td class=\"num\">2,5"
                              "</td><td class=\"num\">597</td></tr>"));
    assert_non_null(strstr(t, "<th scope=\"row\">9902</th><td class=\"num\">12</td><td class=\"num\">3,0</td>"
                              "<td class=\"num\">0</td></tr>"));
    assert_null(strstr(html, "1" NBSP "674,0"));
    assert_non_null(strstr(t, "<th scope=\"col\">Apotek: hamnar över 0,5 km</th>"));  /* decimal comma */
    free(html);
}

/* A ranked table (the stores') is shown by rank, not by kommun code, and --max-rows keeps
 * the top of the ranking. */
static void test_report_stores_by_rank(void **state)
{
    (void)state;
    char copy[4300], out[4300], index[4400];
    snprintf(copy, sizeof copy, "%s/butiker.gpkg", g_dir);
    snprintf(out, sizeof out, "%s/butiker", g_dir);
    assert_int_equal(run_cmd("cp '%s' '%s' && sqlite3 '%s' \"CREATE TABLE store_priority_table (fid INTEGER PRIMARY "
                             "KEY, rank INTEGER, name TEXT, kommun TEXT, kommun_namn TEXT, store_type TEXT); INSERT INTO "
                             "store_priority_table VALUES (1, 3, 'Butik C', '9901', 'Norrby', 'grocery_full'), (2, 1, "
                             "'Butik A', '9902', 'Söderby', 'grocery_partial'), (3, 4, 'Butik D', '9902', 'Söderby', "
                             "'grocery_full'), (4, 2, 'Butik B', '9905', 'Västerby', 'grocery_partial'); INSERT INTO gpkg_contents (table_name, data_type, identifier) VALUES "
                             "('store_priority_table', 'attributes', 'Butikers sårbarhet (tabell)')\"",
                             g_gpkg, copy, copy), 0);
    assert_int_equal(run_cmd("build/platsa -q report '%s' -o '%s' --width 400 --height 300 --max-rows 3", copy, out),
                     0);
    snprintf(index, sizeof index, "%s/index.html", out);
    char *html = slurp(index);
    assert_non_null(html);
    const char *t = strstr(html, "<caption>Butikers sårbarhet (tabell)</caption>");
    assert_non_null(t);
    const char *a = strstr(t, "<th scope=\"row\">1</th><td>Butik A</td>");
    const char *b = strstr(t, "<th scope=\"row\">2</th><td>Butik B</td>");
    const char *c = strstr(t, "<th scope=\"row\">3</th><td>Butik C</td>");
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_true(a < b && b < c);
    assert_null(strstr(t, "Butik D"));  /* rank 4: beyond --max-rows 3 */
    assert_non_null(strstr(t, "Visar 3 av 4 rader (de högst rankade)"));
    assert_null(strstr(t, "<td>9902</td>"));  /* the kommun's name, not its code */
    assert_non_null(strstr(t, "<td>dagligvaror, delsortiment</td>"));  /* the type in words */
    assert_null(strstr(t, "grocery_"));
    free(html);
}

/* Runs ';'-separated SQL statements on a GeoPackage through GDAL (whose SQLite has the
 * functions the GeoPackage's triggers call). */
static void gpkg_exec(const char *path, const char *sql)
{
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_UPDATE, NULL, NULL, NULL);
    assert_non_null(ds);
    char *copy = strdup(sql);
    for (char *save = NULL, *stmt = strtok_r(copy, ";", &save); stmt; stmt = strtok_r(NULL, ";", &save)) {
        while (*stmt == ' ')
            stmt++;
        if (!*stmt)
            continue;
        CPLErrorReset();
        OGRLayerH res = GDALDatasetExecuteSQL(ds, stmt, NULL, NULL);
        if (res)
            GDALDatasetReleaseResultSet(ds, res);
        if (CPLGetLastErrorType() >= CE_Failure)
            fail_msg("%s: %s", stmt, CPLGetLastErrorMsg());
    }
    free(copy);
    GDALClose(ds);
}

/* The summary paragraph, its text between <p class="summary"> and </p> (a copy; free it). */
static char *summary_of(const char *html)
{
    const char *p = strstr(html, "<p class=\"summary\">");
    if (!p)
        return NULL;
    const char *e = strstr(p, "</p>");
    char *out = malloc((size_t)(e - p) + 1);
    memcpy(out, p, (size_t)(e - p));
    out[e - p] = '\0';
    return out;
}

/* The automatic summary quotes the very cells the tables print: the headline share, the
 * count and the kommun with the largest share beyond the goal, the mean time. */
static void test_report_summary_paragraph(void **state)
{
    (void)state;
    char out[4300], index[4400], want[1024], share[128], count[128], mean[128], cell[128];
    snprintf(out, sizeof out, "%s/sammanfattning", g_dir);
    assert_int_equal(run_cmd("build/platsa -q report '%s' -o '%s' --width 400 --height 300 --goal-min 30", g_gpkg,
                             out), 0);
    snprintf(index, sizeof index, "%s/index.html", out);
    char *html = slurp(index);
    assert_non_null(html);
    char *para = summary_of(html);
    assert_non_null(para);
    row_cell(html, "Apotek", "num", 4, share, sizeof share);
    row_cell(html, "Apotek", "num", 2, mean, sizeof mean);
    const char *table = strstr(html, ">Befolkning över 30" NBSP "min</th>");
    assert_non_null(table);
    row_cell(table, "Alla analyserade", "num goal", 0, count, sizeof count);
    assert_true(share[0] && count[0] && mean[0]);
    snprintf(want, sizeof want, "I analysområdet har %s av invånarna (%s personer) mer än 30 minuter med bil till "
             "närmaste apotek, regionens mål. Medelrestiden är %s minuter.", share, count, mean);
    if (!strstr(para, want))
        fail_msg("summary: %s\nwanted: %s", para, want);
    /* The kommun with the largest share beyond 30 min, found here from the cells. */
    int best = -1;
    double best_share = -1;
    for (int i = 0; i < S_N_MUNI; i++) {
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT SUM(pop) FROM access_cells WHERE kommun = '%s'", S_MUNI_CODE[i]);
        double v = cells_beyond(g_gpkg, S_MUNI_CODE[i], 30) / sql_double(g_gpkg, sql);
        if (v > best_share) {
            best_share = v;
            best = i;
        }
    }
    row_cell(table, S_TOWNS[best].name, "num goal", 1, cell, sizeof cell);
    snprintf(want, sizeof want, "Störst andel över 30 minuter har %s (%s).", S_TOWNS[best].name, cell);
    if (!strstr(para, want))
        fail_msg("summary: %s\nwanted: %s", para, want);
    assert_null(strstr(para, "SYNTETISKA"));
    assert_null(strstr(para, "Tillväxtverket"));  /* no national figure for this type */
    free(para);
    free(html);

    /* Groceries in a whole county (Blekinge's five kommuner), synthetic roads: the county by
     * name, SYNTETISKA DATA, and Tillväxtverket's national figure beside the county's own. */
    char copy[4300];
    snprintf(copy, sizeof copy, "%s/blekinge.gpkg", g_dir);
    snprintf(out, sizeof out, "%s/blekinge", g_dir);
    assert_int_equal(run_cmd("cp '%s' '%s'", g_gpkg, copy), 0);
    gpkg_exec(copy,
        "ALTER TABLE access_cells RENAME COLUMN apotek_min TO grocery_min; "
        "ALTER TABLE access_municipalities_table RENAME COLUMN apotek_mean_km TO grocery_mean_km; "
        "ALTER TABLE access_municipalities_table RENAME COLUMN apotek_mean_min TO grocery_mean_min; "
        "UPDATE gpkg_data_columns SET column_name = replace(column_name, 'apotek_', 'grocery_'), title = "
        "replace(title, 'Apotek', 'Dagligvaror') WHERE table_name IN ('access_cells', 'access_municipalities_table'); "
        "UPDATE access_cells SET kommun = CASE kommun WHEN '9901' THEN '1060' WHEN '9902' THEN '1080' WHEN '9903' "
        "THEN '1081' WHEN '9904' THEN '1082' ELSE '1083' END; UPDATE access_municipalities_table SET kommun = CASE "
        "kommun WHEN '9901' THEN '1060' WHEN '9902' THEN '1080' WHEN '9903' THEN '1081' WHEN '9904' THEN '1082' "
        "WHEN '9905' THEN '1083' ELSE kommun END; UPDATE gpkg_metadata SET metadata = replace(metadata, "
        "'\"inputs\": []', '\"inputs\": [{\"path\": \"x.gpkg:roads\", \"title\": \"SYNTHETIC "
        "roads\", \"synthetic\": true}]')");
    assert_int_equal(run_cmd("build/platsa -q report '%s' -o '%s' --width 400 --height 300 --goal-min 20", copy,
                             out), 0);
    snprintf(index, sizeof index, "%s/index.html", out);
    html = slurp(index);
    assert_non_null(html);
    para = summary_of(html);
    assert_non_null(para);
    assert_non_null(strstr(para, "<strong>SYNTETISKA DATA:</strong> I Blekinge län har "));
    assert_non_null(strstr(para, "mer än 20 minuter med bil till närmaste dagligvarubutik, regionens mål."));
    assert_non_null(strstr(html, "<tr class=\"total\"><th scope=\"row\">Blekinge län</th>"));
    /* The county's share beyond 10 min and count beyond 20 min: from the cells, here. */
    double pop = sql_double(copy, "SELECT SUM(pop) FROM access_cells");
    double o10 = sql_double(copy, "SELECT COALESCE(SUM(pop), 0) FROM access_cells WHERE grocery_min > 10");
    double o20 = sql_double(copy, "SELECT COALESCE(SUM(pop), 0) FROM access_cells WHERE grocery_min > 20");
    char s10[64], n20[64];
    pl_map_format_number(s10, sizeof s10, 100 * o10 / pop, 1);
    if (!strchr(s10, ','))
        strcat(s10, ",0");
    strcat(s10, NBSP "%");
    pl_map_format_number(n20, sizeof n20, o20, 0);
    assert_true(o10 > 0 && o20 > 0);
    snprintf(want, sizeof want, "Som jämförelse har %s av invånarna i Blekinge län mer än 10 minuter med bil till "
             "närmaste dagligvarubutik; i hela riket var andelen cirka 1,5" NBSP "%% (161" NBSP "000 personer) år "
             "2021 enligt Tillväxtverket.", s10);
    if (!strstr(para, want))
        fail_msg("summary: %s\nwanted: %s", para, want);
    snprintf(want, sizeof want, "<th scope=\"row\">Andel över 10 min</th><td class=\"num ref\">%s</td>", s10);
    assert_non_null(strstr(html, want));
    snprintf(want, sizeof want, "<th scope=\"row\">Befolkning över 20 min</th><td class=\"num ref\">%s</td>", n20);
    assert_non_null(strstr(html, want));
    assert_non_null(strstr(para, "Siffrorna bygger på syntetiska indata (roads)"));
    free(para);
    free(html);
}

/* Point maps show the kommun borders under the points, with the kommuner named: the same map
 * from a copy whose kommuner have no names differs only by the labels, inside the frame. */
static void test_report_point_map_names_kommuner(void **state)
{
    (void)state;
    char copy[4300], out[2][4300], png[2][4400];
    snprintf(copy, sizeof copy, "%s/utan-namn.gpkg", g_dir);
    assert_int_equal(run_cmd("cp '%s' '%s' && sqlite3 '%s' 'ALTER TABLE access_municipalities RENAME COLUMN namn TO "
                             "kommunnamn'", g_gpkg, copy, copy), 0);
    const char *in[2] = {g_gpkg, copy};
    for (int k = 0; k < 2; k++) {
        snprintf(out[k], sizeof out[k], "%s/punktkarta-%d", g_dir, k);
        assert_int_equal(run_cmd("build/platsa -q report '%s' -o '%s' --width 700 --height 500", in[k], out[k]), 0);
        snprintf(png[k], sizeof png[k], "%.4300s/karta-03-service_points.png", out[k]);
        assert_true(file_exists(png[k]));
    }
    cairo_surface_t *a = cairo_image_surface_create_from_png(png[0]);
    cairo_surface_t *b = cairo_image_surface_create_from_png(png[1]);
    assert_int_equal(cairo_surface_status(a), CAIRO_STATUS_SUCCESS);
    assert_int_equal(cairo_surface_status(b), CAIRO_STATUS_SUCCESS);
    long differ = 0, outside_frame = 0;
    for (int y = 0; y < 500; y++)
        for (int x = 0; x < 700; x++) {
            int r1, g1, b1, r2, g2, b2;
            pixel(a, x, y, &r1, &g1, &b1);
            pixel(b, x, y, &r2, &g2, &b2);
            if (r1 != r2 || g1 != g2 || b1 != b2) {
                differ++;
                outside_frame += x > 480 || y < 60;  /* the legend and the title */
            }
        }
    assert_true(differ > 200);  /* five names */
    assert_int_equal(outside_frame, 0);
    cairo_surface_destroy(a);
    cairo_surface_destroy(b);
}

static void test_cli(void **state)
{
    (void)state;
    const char *bin = platsa_bin();
    assert_int_equal(run_cmd("%s report --help | grep -q -- '--overwrite'", bin), 0);
    assert_int_equal(run_cmd("%s report > /dev/null 2>&1", bin), 1);
    /* Exit 0 with nothing on stderr: under ASan (make test-asan) a leak of cairo's or
     * fontconfig's caches would make it exit 1. */
    assert_int_equal(run_cmd("%s -q report '%s' -o '%s/cli' --width 700 --height 500 2> '%s/cli.err' && "
                             "! test -s '%s/cli.err'", bin, g_gpkg, g_dir, g_dir, g_dir), 0);
    char path[4400];
    snprintf(path, sizeof path, "%s/cli/index.html", g_dir);
    assert_true(file_exists(path));
    assert_int_equal(run_cmd("%s -q report '%s' -o '%s/cli' 2>/dev/null", bin, g_gpkg, g_dir), 1);
    assert_int_equal(run_cmd("%s -q report '%s' -o '%s/cli' --width x 2>/dev/null", bin, g_gpkg, g_dir), 1);
    assert_int_equal(run_cmd("%s -q report '%s' -o '%s/cli-mål' --goal-min 0 2>&1 | grep -q -- '--goal-min 0: must "
                             "be > 0'", bin, g_gpkg, g_dir), 0);
    assert_int_equal(run_cmd("%s -q report '%s' -o '%s/cli-mål' --goal-min 0 2>/dev/null", bin, g_gpkg, g_dir), 1);
    assert_int_equal(run_cmd("%s -q report '%s' -o '%s/cli' --overwrite 2> '%s/cli.err' && ! test -s '%s/cli.err'",
                             bin, g_gpkg, g_dir, g_dir, g_dir), 0);
}

/* A report killed with SIGKILL leaves its temporary folder ".NAME.tmp-PID"; the next report
 * to the same target removes it (its PID is gone), but never one of a live process. */
static void test_report_killed_then_rerun(void **state)
{
    (void)state;
    char out[4300], live[4400];
    snprintf(out, sizeof out, "%s/dödad", g_dir);
    /* A live process's temporary folder (PID 1 always runs) stays. */
    snprintf(live, sizeof live, "%s/.dödad.tmp-1", g_dir);
    assert_int_equal(mkdir(live, 0755), 0);
    write_text_file(live, "index.html", "live");
    /* A dead process's folder holding a file platsa does not write: only platsa's files go. */
    pid_t dead = fork();
    assert_true(dead >= 0);
    if (dead == 0)
        _exit(0);
    waitpid(dead, NULL, 0);
    char dead_dir[4400], keep[4500];
    snprintf(dead_dir, sizeof dead_dir, "%s/.dödad.tmp-%ld", g_dir, (long)dead);
    assert_int_equal(mkdir(dead_dir, 0755), 0);
    write_text_file(dead_dir, "index.html", "platsa's");
    write_text_file(dead_dir, "egen.txt", "a user's");
    snprintf(keep, sizeof keep, "%s/egen.txt", dead_dir);
    /* Large maps: the run takes long enough to be caught writing. */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", "exec \"$0\" -q report \"$1\" -o \"$2\" --width 4000 --height 3000",
              platsa_bin(), g_gpkg, out, (char *)NULL);
        _exit(127);
    }
    char tmp[4400], first[4500], owner[PL_TEMP_OWNER_MAX];
    snprintf(tmp, sizeof tmp, "%s/.dödad.tmp-%s", g_dir, pl_temp_owner_of((long)pid, owner));
    snprintf(first, sizeof first, "%s/karta-01-access_municipalities.png", tmp);
    int seen = 0;
    for (int i = 0; i < 60000 && !seen; i++) {  /* up to 60 s */
        seen = file_exists(first);
        if (!seen)
            usleep(1000);
    }
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!seen)
        fail_msg("the report's temporary folder %s never appeared", tmp);
    assert_true(WIFSIGNALED(status));
    assert_true(file_exists(tmp));   /* SIGKILL cannot be caught: it stays */
    assert_false(file_exists(out));  /* and nothing is published */
    assert_int_equal(run_cmd("%s -q report '%s' -o '%s' --width 600 --height 450", platsa_bin(), g_gpkg, out), 0);
    assert_false(file_exists(tmp));
    assert_true(file_exists(live));
    assert_true(file_exists(keep));
    snprintf(keep, sizeof keep, "%s/index.html", dead_dir);
    assert_false(file_exists(keep));
    assert_int_equal(count_entries(g_dir, ".dödad.tmp-"), 2);
    assert_int_equal(run_cmd("rm -r '%s' '%s'", live, dead_dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_number),
        cmocka_unit_test(test_style_graduated),
        cmocka_unit_test(test_style_categorized),
        cmocka_unit_test(test_style_errors),
        cmocka_unit_test(test_render_map),
        cmocka_unit_test(test_render_long_title),
        cmocka_unit_test(test_render_errors),
        cmocka_unit_test(test_report_html),
        cmocka_unit_test(test_report_replace),
        cmocka_unit_test(test_report_failures_leave_nothing),
        cmocka_unit_test(test_report_legend_labels),
        cmocka_unit_test(test_report_says_synthetic),
        cmocka_unit_test(test_report_goal_min),
        cmocka_unit_test(test_report_number_format),
        cmocka_unit_test(test_report_stores_by_rank),
        cmocka_unit_test(test_report_summary_paragraph),
        cmocka_unit_test(test_report_point_map_names_kommuner),
        cmocka_unit_test(test_cli),
        cmocka_unit_test(test_report_killed_then_rerun),
    };
    int failed = cmocka_run_group_tests(tests, setup, NULL);
    /* Font caches of cairo and fontconfig, so LeakSanitizer (make test-asan) sees only ours.
     * FcFini is looked up at run time: the test does not link fontconfig itself. */
    cairo_debug_reset_static_data();
    void (*fc_fini)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "FcFini");
    if (fc_fini)
        fc_fini();
    return failed;
}
