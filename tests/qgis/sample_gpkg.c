/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A sample platsa result written through the GeoPackage writer, shaped like
 * `platsa access` output: a fictional region of five municipalities (Voronoi cells of
 * their seats), 1 km population squares, straight-line distances to pharmacies.
 *
 *   access_municipalities        MultiPolygon, graduated (mean km), labels by name
 *   access_cells                 MultiPolygon, graduated (km), some NULL (unreachable)
 *   service_points               Point, pass/fail (rsp_stod 1/0/NULL)
 *   access_municipalities_table  attribute table with a closing "totalt" row
 *
 * Used by tests/test_report.c (#included) and, built with -DSAMPLE_MAIN, by
 * `make test-qgis` (tests/qgis/run.sh) until the analyses' demo outputs exist.
 * With alias_table_style, an alias-only layer_styles row is added for the attribute
 * table (f_geometry_column ''), as the writer could do, to check QGIS picks it up. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <geos_c.h>
#include <sqlite3.h>

#include "gis/ctx.h"
#include "gis/gpkg_writer.h"
#include "analyses/access/access_styles.h"

#define S_X0 480000.0
#define S_Y0 6530000.0
#define S_W 60000.0
#define S_H 48000.0
#define S_N_MUNI 5
#define S_N_TOWN 7

typedef struct s_town {
    const char *name;
    double x, y, pop, spread;
    int pharmacy;
} s_town;

static const s_town S_TOWNS[S_N_TOWN] = {
    {"Norrby", 497000, 6566000, 9000, 2300, 1},  {"Sjöholm", 522000, 6560000, 14000, 2600, 1},
    {"Åsen", 530000, 6540000, 3000, 1700, 1},    {"Västanå", 492000, 6540000, 2500, 1500, 0},
    {"Ekeby", 510000, 6548000, 5200, 1900, 1},   {"Lillsjö", 485500, 6571000, 700, 1200, 0},
    {"Torpa", 536000, 6572000, 900, 1200, 0},
};
/* Municipality seats: towns 0..4. */
static const char *S_MUNI_CODE[S_N_MUNI] = {"9901", "9902", "9903", "9904", "9905"};

static unsigned s_rand_state = 12345u;
static double s_rand(void)
{
    s_rand_state = s_rand_state * 1103515245u + 12345u;
    return ((s_rand_state >> 8) & 0xffffff) / (double)0x1000000;
}

/* The region: a rectangle with a wavy northern and eastern edge. */
static GEOSGeometry *s_region(GEOSContextHandle_t h)
{
    GEOSCoordSequence *cs = GEOSCoordSeq_create_r(h, 4 * 40 + 1, 2);
    int k = 0;
    for (int i = 0; i < 40; i++, k++) {  /* south, west to east */
        double t = i / 40.0;
        GEOSCoordSeq_setXY_r(h, cs, k, S_X0 + t * S_W, S_Y0 + 900 * sin(t * 9));
    }
    for (int i = 0; i < 40; i++, k++) {  /* east, south to north */
        double t = i / 40.0;
        GEOSCoordSeq_setXY_r(h, cs, k, S_X0 + S_W + 1800 * sin(t * 7 + 1), S_Y0 + t * S_H);
    }
    for (int i = 0; i < 40; i++, k++) {  /* north, east to west */
        double t = i / 40.0;
        GEOSCoordSeq_setXY_r(h, cs, k, S_X0 + S_W - t * S_W, S_Y0 + S_H + 2200 * sin(t * 5 + 0.5));
    }
    for (int i = 0; i < 40; i++, k++) {  /* west, north to south */
        double t = i / 40.0;
        GEOSCoordSeq_setXY_r(h, cs, k, S_X0 - 1200 * sin(t * 6), S_Y0 + S_H - t * S_H);
    }
    double x, y;
    GEOSCoordSeq_getXY_r(h, cs, 0, &x, &y);
    GEOSCoordSeq_setXY_r(h, cs, k, x, y);
    return GEOSGeom_createPolygon_r(h, GEOSGeom_createLinearRing_r(h, cs), NULL, 0);
}

static double s_pop_at(double x, double y)
{
    double p = 0;
    for (int t = 0; t < S_N_TOWN; t++) {
        double dx = x - S_TOWNS[t].x, dy = y - S_TOWNS[t].y, s = S_TOWNS[t].spread;
        p += S_TOWNS[t].pop / (2 * M_PI * s * s / 1e6) * exp(-(dx * dx + dy * dy) / (2 * s * s));
    }
    return p;
}

typedef struct s_cell {
    double x, y, pop, km, min;
    int muni;
} s_cell;

static const pl_field_def S_MUNI_FIELDS[] = {
    {"kommun", PL_FIELD_TEXT, "Kommunkod", "municipality code"},
    {"namn", PL_FIELD_TEXT, "Kommun", "municipality name"},
    {"pop", PL_FIELD_REAL, "Befolkning", "residents in the analysed units"},
    {"apotek_services", PL_FIELD_INT, "Apotek: antal i kommunen", NULL},
    {"apotek_mean_km", PL_FIELD_REAL, "Apotek: medelavstånd (km)", "population-weighted mean distance"},
    {"apotek_median_km", PL_FIELD_REAL, "Apotek: medianavstånd (km)", NULL},
    {"apotek_mean_min", PL_FIELD_REAL, "Apotek: medelrestid (min)", NULL},
    {"apotek_share_km_over_10", PL_FIELD_REAL, "Apotek: andel över 10 km", NULL},
    {"apotek_share_km_unreachable", PL_FIELD_REAL, "Apotek: andel ej nåbar (km)", NULL},
};
#define S_N_MUNI_FIELDS 9

static void s_muni_row(pl_gpkg_layer *l, const char *code, const char *name, const s_cell *cells, int n, int muni,
                       int services)
{
    double pop = 0, sum = 0, sum_min = 0, over = 0, unreach = 0, reach_pop = 0;
    double *km = malloc(sizeof *km * (size_t)(n ? n : 1));
    double *w = malloc(sizeof *w * (size_t)(n ? n : 1));
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (muni >= 0 && cells[i].muni != muni)
            continue;
        pop += cells[i].pop;
        if (isnan(cells[i].km)) {
            unreach += cells[i].pop;
            continue;
        }
        reach_pop += cells[i].pop;
        sum += cells[i].pop * cells[i].km;
        sum_min += cells[i].pop * cells[i].min;
        if (cells[i].km > 10)
            over += cells[i].pop;
        km[m] = cells[i].km;
        w[m] = cells[i].pop;
        m++;
    }
    /* weighted median: sort by km (pairs) */
    for (int i = 1; i < m; i++)
        for (int j = i; j > 0 && km[j - 1] > km[j]; j--) {
            double t = km[j];
            km[j] = km[j - 1];
            km[j - 1] = t;
            t = w[j];
            w[j] = w[j - 1];
            w[j - 1] = t;
        }
    double acc = 0, median = NAN;
    for (int i = 0; i < m; i++) {
        acc += w[i];
        if (acc >= reach_pop / 2) {
            median = km[i];
            break;
        }
    }
    free(km);
    free(w);
    pl_gpkg_set_text(l, 0, code);
    pl_gpkg_set_text(l, 1, name);
    pl_gpkg_set_real(l, 2, round(pop));
    pl_gpkg_set_int(l, 3, services);
    pl_gpkg_set_real(l, 4, reach_pop > 0 ? sum / reach_pop : NAN);
    pl_gpkg_set_real(l, 5, median);
    pl_gpkg_set_real(l, 6, reach_pop > 0 ? sum_min / reach_pop : NAN);
    pl_gpkg_set_real(l, 7, pop > 0 ? over / pop : NAN);
    pl_gpkg_set_real(l, 8, pop > 0 ? unreach / pop : NAN);
}

/* Adds the alias-only default style of an attribute table that QGIS would load. */
static int s_add_table_style(const char *path, const char *table, const pl_field_def *f, int n)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return -1;
    }
    char qml[8192];
    size_t o = (size_t)snprintf(qml, sizeof qml,
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        "<qgis version=\"3.22.16-Białowieża\" styleCategories=\"Fields\">\n  <aliases>\n"
        "    <alias field=\"fid\" index=\"0\" name=\"\"/>\n");
    for (int i = 0; i < n; i++)
        o += (size_t)snprintf(qml + o, sizeof qml - o, "    <alias field=\"%s\" index=\"%d\" name=\"%s\"/>\n",
                              f[i].name, i + 1, f[i].alias_sv ? f[i].alias_sv : "");
    snprintf(qml + o, sizeof qml - o, "  </aliases>\n</qgis>\n");
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db,
        "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, styleName, "
        "styleQML, styleSLD, useAsDefault, description, owner, ui, update_time) VALUES "
        "('', '', ?, '', 'platsa alias', ?, '', 1, 'platsa aliases for an attribute table', '', NULL, "
        "'2024-05-01T12:00:00.000Z')", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, qml, -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc == SQLITE_OK ? 0 : -1;
}

/* Writes the sample to path (replacing it). Returns PL_OK or the writer's error. */
static int sample_gpkg_write(pl_ctx *ctx, const char *path, int alias_table_style, pl_error *err)
{
    GEOSContextHandle_t h = ctx->geos;
    s_rand_state = 12345u;
    GEOSGeometry *region = s_region(h);

    /* Municipalities: Voronoi cells of the seats, clipped to the region. */
    GEOSGeometry *pts[S_N_MUNI];
    for (int i = 0; i < S_N_MUNI; i++)
        pts[i] = GEOSGeom_createPointFromXY_r(h, S_TOWNS[i].x, S_TOWNS[i].y);
    GEOSGeometry *mp = GEOSGeom_createCollection_r(h, GEOS_MULTIPOINT, pts, S_N_MUNI);
    GEOSGeometry *env = GEOSEnvelope_r(h, region);
    GEOSGeometry *big = GEOSBuffer_r(h, env, 20000, 1);
    GEOSGeometry *vor = GEOSVoronoiDiagram_r(h, mp, big, 0, 0);
    GEOSGeometry *munis[S_N_MUNI] = {0};
    const GEOSPreparedGeometry *prep[S_N_MUNI] = {0};
    for (int c = 0; c < GEOSGetNumGeometries_r(h, vor); c++) {
        const GEOSGeometry *cell = GEOSGetGeometryN_r(h, vor, c);
        for (int i = 0; i < S_N_MUNI; i++) {
            GEOSGeometry *p = GEOSGeom_createPointFromXY_r(h, S_TOWNS[i].x, S_TOWNS[i].y);
            if (!munis[i] && GEOSContains_r(h, cell, p) == 1)
                munis[i] = GEOSIntersection_r(h, cell, region);
            GEOSGeom_destroy_r(h, p);
        }
    }
    for (int i = 0; i < S_N_MUNI; i++)
        prep[i] = GEOSPrepare_r(h, munis[i]);

    /* 1 km squares with population (SCB grid style: only populated squares). */
    int cap = 4000, n = 0;
    s_cell *cells = malloc(sizeof *cells * (size_t)cap);
    for (double y = S_Y0 - 3000; y < S_Y0 + S_H + 3000; y += 1000) {
        for (double x = S_X0 - 2000; x < S_X0 + S_W + 2000; x += 1000) {
            double cx = x + 500, cy = y + 500;
            double pop = s_pop_at(cx, cy);
            double r = s_rand();
            pop += r < 0.35 ? 0 : r * 14;  /* scattered rural households */
            pop = round(pop);
            if (pop < 3)
                continue;
            GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, cx, cy);
            int muni = -1;
            for (int i = 0; i < S_N_MUNI; i++)
                if (GEOSPreparedContains_r(h, prep[i], pt) == 1)
                    muni = i;
            GEOSGeom_destroy_r(h, pt);
            if (muni < 0)
                continue;
            if (n == cap)
                cells = realloc(cells, sizeof *cells * (size_t)(cap *= 2));
            s_cell *c = &cells[n++];
            c->x = x;
            c->y = y;
            c->pop = pop;
            c->muni = muni;
            double best = INFINITY;
            for (int t = 0; t < S_N_TOWN; t++)
                if (S_TOWNS[t].pharmacy)
                    best = fmin(best, hypot(cx - S_TOWNS[t].x, cy - S_TOWNS[t].y));
            c->km = 1.3 * best / 1000.0;
            c->min = c->km / 65.0 * 60.0 + 2.0;
            if (s_rand() < 0.015)
                c->km = c->min = NAN;  /* no road connection */
        }
    }

    pl_gpkg_opts go = {.overwrite = 1, .command_line = "sample_gpkg (platsa test sample)",
                       .timestamp = "2024-05-01T12:00:00Z"};
    pl_gpkg *g = pl_gpkg_create(ctx, path, &go, err);
    int rc = g ? PL_OK : err->code;
    if (rc == PL_OK) {
        pl_gpkg_add_parameter(g, "analysis", "access");
        pl_gpkg_add_parameter(g, "mode", "car");
        pl_gpkg_add_parameter(g, "within_km", "10");
        pl_gpkg_add_parameter(g, "crs", "EPSG:3006");
    }
    static const double bands[] = {2, 5, 10};
    pl_legend lg;
    const pl_style *ms = pl_access_style_distance(&lg, "apotek_mean_km", bands, 3, 1);
    pl_gpkg_layer *lm = rc == PL_OK ? pl_gpkg_layer_add(g, "access_municipalities", 6, "Tillgänglighet per kommun",
                                                        S_MUNI_FIELDS, S_N_MUNI_FIELDS, ms, err)
                                    : NULL;
    rc = lm ? PL_OK : PL_EINTERNAL;
    int services[S_N_MUNI] = {0};
    for (int t = 0; t < S_N_TOWN; t++)
        for (int i = 0; S_TOWNS[t].pharmacy && i < S_N_MUNI; i++) {
            GEOSGeometry *p = GEOSGeom_createPointFromXY_r(h, S_TOWNS[t].x, S_TOWNS[t].y);
            services[i] += GEOSPreparedContains_r(h, prep[i], p) == 1;
            GEOSGeom_destroy_r(h, p);
        }
    for (int i = 0; rc == PL_OK && i < S_N_MUNI; i++) {
        pl_gpkg_row_begin(lm);
        s_muni_row(lm, S_MUNI_CODE[i], S_TOWNS[i].name, cells, n, i, services[i]);
        pl_gpkg_set_geos(lm, munis[i]);
        rc = pl_gpkg_row_end(lm, err);
    }

    static const pl_field_def cf[] = {
        {"cell_id", PL_FIELD_TEXT, "Ruta/område", NULL},
        {"kommun", PL_FIELD_TEXT, "Kommunkod", NULL},
        {"pop", PL_FIELD_REAL, "Befolkning", NULL},
        {"apotek_km", PL_FIELD_REAL, "Apotek: avstånd (km)", NULL},
        {"apotek_min", PL_FIELD_REAL, "Apotek: restid (min)", NULL},
    };
    const pl_style *cs = pl_access_style_distance(&lg, "apotek_km", bands, 3, 0);
    pl_gpkg_layer *lc = rc == PL_OK ? pl_gpkg_layer_add(g, "access_cells", 6, "Tillgänglighet per ruta", cf, 5, cs, err)
                                    : NULL;
    rc = lc ? PL_OK : PL_EINTERNAL;
    for (int i = 0; rc == PL_OK && i < n; i++) {
        char id[32], wkt[256];
        snprintf(id, sizeof id, "%.0f%.0f", cells[i].x / 1000, cells[i].y / 1000);
        snprintf(wkt, sizeof wkt, "POLYGON((%.0f %.0f,%.0f %.0f,%.0f %.0f,%.0f %.0f,%.0f %.0f))", cells[i].x,
                 cells[i].y, cells[i].x + 1000, cells[i].y, cells[i].x + 1000, cells[i].y + 1000, cells[i].x,
                 cells[i].y + 1000, cells[i].x, cells[i].y);
        GEOSGeometry *sq = GEOSGeomFromWKT_r(h, wkt);
        pl_gpkg_row_begin(lc);
        pl_gpkg_set_text(lc, 0, id);
        pl_gpkg_set_text(lc, 1, S_MUNI_CODE[cells[i].muni]);
        pl_gpkg_set_real(lc, 2, cells[i].pop);
        pl_gpkg_set_real(lc, 3, cells[i].km);
        pl_gpkg_set_real(lc, 4, cells[i].min);
        pl_gpkg_set_geos(lc, sq);
        GEOSGeom_destroy_r(h, sq);
        rc = pl_gpkg_row_end(lc, err);
    }

    static const pl_field_def pf[] = {
        {"id", PL_FIELD_TEXT, "Id", NULL},
        {"namn", PL_FIELD_TEXT, "Namn", NULL},
        {"typ", PL_FIELD_TEXT, "Servicetyp", NULL},
        {"rsp_stod", PL_FIELD_INT, "Uppfyller villkor för RSP-stöd", "1 eligible, 0 not"},
    };
    const pl_style *ps = pl_legend_pass_fail(&lg, "rsp_stod", "uppfyller villkoren", "uppfyller inte villkoren",
                                             "uppgift saknas", "RSP-stöd");
    pl_gpkg_layer *lp = rc == PL_OK ? pl_gpkg_layer_add(g, "service_points", 1, "Servicepunkter", pf, 4, ps, err)
                                    : NULL;
    rc = lp ? PL_OK : PL_EINTERNAL;
    for (int t = 0; rc == PL_OK && t < S_N_TOWN; t++) {
        for (int k = 0; rc == PL_OK && k < 2; k++) {
            char id[16], name[64];
            snprintf(id, sizeof id, "s%d%d", t, k);
            snprintf(name, sizeof name, "%s %s", k ? "Lanthandel" : "ICA", S_TOWNS[t].name);
            pl_gpkg_row_begin(lp);
            pl_gpkg_set_text(lp, 0, id);
            pl_gpkg_set_text(lp, 1, name);
            pl_gpkg_set_text(lp, 2, "dagligvaror");
            if (!(t == 6 && k == 1))
                pl_gpkg_set_int(lp, 3, S_TOWNS[t].pop < 4000);
            pl_gpkg_set_xy(lp, S_TOWNS[t].x + (k ? 3500 : 300), S_TOWNS[t].y + (k ? -2600 : 200));
            rc = pl_gpkg_row_end(lp, err);
        }
    }

    pl_gpkg_layer *lt = rc == PL_OK ? pl_gpkg_layer_add(g, "access_municipalities_table", 100,
                                                        "Tillgänglighet per kommun (tabell)", S_MUNI_FIELDS,
                                                        S_N_MUNI_FIELDS, NULL, err)
                                    : NULL;
    rc = lt ? PL_OK : PL_EINTERNAL;
    int total_services = 0;
    for (int i = 0; rc == PL_OK && i <= S_N_MUNI; i++) {
        pl_gpkg_row_begin(lt);
        if (i < S_N_MUNI) {
            s_muni_row(lt, S_MUNI_CODE[i], S_TOWNS[i].name, cells, n, i, services[i]);
            total_services += services[i];
        } else {
            s_muni_row(lt, "totalt", "Alla analyserade", cells, n, -1, total_services);
        }
        rc = pl_gpkg_row_end(lt, err);
    }
    if (g)
        rc = rc == PL_OK ? pl_gpkg_commit(g, err) : (pl_gpkg_abort(g), rc);
    if (rc == PL_OK && alias_table_style &&
        s_add_table_style(path, "access_municipalities_table", S_MUNI_FIELDS, S_N_MUNI_FIELDS) != 0)
        rc = pl_error_set(err, PL_EINTERNAL, "%s: cannot add the table's alias style", path);

    free(cells);
    for (int i = 0; i < S_N_MUNI; i++) {
        GEOSPreparedGeom_destroy_r(h, prep[i]);
        GEOSGeom_destroy_r(h, munis[i]);
    }
    GEOSGeom_destroy_r(h, vor);
    GEOSGeom_destroy_r(h, big);
    GEOSGeom_destroy_r(h, env);
    GEOSGeom_destroy_r(h, mp);
    GEOSGeom_destroy_r(h, region);
    return rc;
}

#ifdef SAMPLE_MAIN
#include <gdal.h>
int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s OUT.gpkg [--alias-table-style]\n", argv[0]);
        return 1;
    }
    GDALAllRegister();
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};
    int alias = argc > 2 && strcmp(argv[2], "--alias-table-style") == 0;
    int rc = sample_gpkg_write(ctx, argv[1], alias, &err);
    if (rc != PL_OK)
        fprintf(stderr, "sample_gpkg: %s\n", err.msg);
    pl_ctx_free(ctx);
    return rc;
}
#endif
