/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Benchmark of the GeoPackage writer: N square 250 m polygons (GEOS geometries, as the
 * analyses hand them over) with M fields (cycling real, integer, text) into one
 * MultiPolygon layer, including commit (spatial index, styles, metadata).
 * Prints "write N rows: X s" (wall clock, create to commit).
 *
 * With --access, the rows are shaped like platsa access's two cell layers instead: access_cells
 * (7 columns, then per service type 4 reals and 5 texts: ids and names of about 20 characters,
 * band labels; 7 types) and service_level (12 columns), N rows each.
 *
 * usage: bench_gpkg_writer [--rows N] [--fields M] [--access] [--out FILE]   (defaults 200000,
 *        70, /tmp/bench_gpkg_writer.gpkg; the output is removed afterwards unless --keep) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gdal.h>

#include "gis/ctx.h"
#include "gis/gpkg_writer.h"
#include "gis/hugepages.h"
#include "gis/util.h"

/* A 250 m square, made ahead of time (geometry building is not the writer's cost). */
static GEOSGeometry *square(GEOSContextHandle_t h, double x, double y)
{
    GEOSCoordSequence *cs = GEOSCoordSeq_create_r(h, 5, 2);
    const double xs[5] = {x, x + 250, x + 250, x, x}, ys[5] = {y, y, y + 250, y + 250, y};
    for (unsigned i = 0; i < 5; i++)
        GEOSCoordSeq_setXY_r(h, cs, i, xs[i], ys[i]);
    return GEOSGeom_createPolygon_r(h, GEOSGeom_createLinearRing_r(h, cs), NULL, 0);
}

/* The two cell layers of platsa access (analyses/access/access_write.c), with made-up values. */
enum { ACCESS_TYPES = 7, ACCESS_NAMES = 2000 };

static pl_gpkg_layer *add_layer(pl_gpkg *g, const char *name, const pl_field_type *types, int m, pl_error *err)
{
    pl_field_def *defs = calloc((size_t)m, sizeof *defs);
    char (*names)[32] = calloc((size_t)m, sizeof *names);
    for (int f = 0; f < m; f++) {
        snprintf(names[f], sizeof names[f], "f%d", f);
        defs[f].name = names[f];
        defs[f].type = types[f];
    }
    pl_gpkg_layer *l = pl_gpkg_layer_add(g, name, 6, name, defs, m, NULL, err);
    free(defs);
    free(names);
    return l;
}

static int write_rows(pl_ctx *ctx, const char *out, long n, int m, GEOSGeometry **geoms, pl_error *err)
{
    pl_field_type *types = calloc((size_t)m, sizeof *types);
    for (int f = 0; f < m; f++)
        types[f] = f % 3 == 0 ? PL_FIELD_REAL : f % 3 == 1 ? PL_FIELD_INT : PL_FIELD_TEXT;
    pl_gpkg_opts o = {.overwrite = 1, .timestamp = "2024-05-01T12:00:00Z"};
    pl_gpkg *g = pl_gpkg_create(ctx, out, &o, err);
    pl_gpkg_layer *l = g ? add_layer(g, "cells", types, m, err) : NULL;
    int rc = l ? PL_OK : PL_EINTERNAL;
    char texts[13][32];  /* made once: formatting is not the writer's cost */
    for (int k = 0; k < 13; k++)
        snprintf(texts[k], sizeof texts[k], "%d–%d km", k, k + 1);
    for (long r = 0; rc == PL_OK && r < n; r++) {
        pl_gpkg_row_begin(l);
        for (int f = 0; f < m; f++) {
            if (f % 3 == 0)
                pl_gpkg_set_real(l, f, (r % 97) * 0.125 + f);
            else if (f % 3 == 1)
                pl_gpkg_set_int(l, f, r % 1000);
            else
                pl_gpkg_set_text(l, f, texts[(r + f) % 13]);
        }
        pl_gpkg_set_geos(l, geoms[r]);
        rc = pl_gpkg_row_end(l, err);
    }
    if (g)
        rc = rc == PL_OK ? pl_gpkg_commit(g, err) : (pl_gpkg_abort(g), rc);
    free(types);
    return rc;
}

static int write_access(pl_ctx *ctx, const char *out, long n, GEOSGeometry **geoms, pl_error *err)
{
    enum { CELL_FIELDS = 7 + 9 * ACCESS_TYPES, LEVEL_FIELDS = 5 + ACCESS_TYPES };
    pl_field_type cell_types[CELL_FIELDS], level_types[LEVEL_FIELDS];
    const pl_field_type head[7] = {PL_FIELD_TEXT, PL_FIELD_TEXT, PL_FIELD_REAL, PL_FIELD_REAL, PL_FIELD_REAL,
                                   PL_FIELD_INT, PL_FIELD_INT};
    for (int f = 0; f < CELL_FIELDS; f++)
        cell_types[f] = f < 7 ? head[f] : (f - 7) % 9 < 4 ? PL_FIELD_REAL : PL_FIELD_TEXT;
    for (int f = 0; f < LEVEL_FIELDS; f++)
        level_types[f] = f < 2 ? PL_FIELD_TEXT : f == 2 ? PL_FIELD_REAL : PL_FIELD_INT;
    static char ids[ACCESS_NAMES][32], names[ACCESS_NAMES][32], cell_ids[ACCESS_NAMES][16];
    for (int k = 0; k < ACCESS_NAMES; k++) {
        snprintf(ids[k], sizeof ids[k], "synth-grocery-%06d", k);
        snprintf(names[k], sizeof names[k], "SYNTH grocery %06d", k);
        snprintf(cell_ids[k], sizeof cell_ids[k], "%lld", 2997506398500LL + k);
    }
    const char *bands_km[] = {"0–5 km", "5–10 km", "10–20 km", "20–30 km", "> 30 km"};
    const char *bands_min[] = {"0–10 min", "10–20 min", "20–30 min", "30–45 min", "> 45 min"};
    pl_gpkg_opts o = {.overwrite = 1, .timestamp = "2024-05-01T12:00:00Z", .expected_rows = 2 * (long long)n};
    pl_gpkg *g = pl_gpkg_create(ctx, out, &o, err);
    pl_gpkg_layer *cells = g ? add_layer(g, "access_cells", cell_types, CELL_FIELDS, err) : NULL;
    pl_gpkg_layer *level = cells ? add_layer(g, "service_level", level_types, LEVEL_FIELDS, err) : NULL;
    int rc = level ? PL_OK : PL_EINTERNAL;
    for (long r = 0; rc == PL_OK && r < n; r++) {
        pl_gpkg_row_begin(cells);
        pl_gpkg_set_text(cells, 0, cell_ids[r % ACCESS_NAMES]);
        pl_gpkg_set_text(cells, 1, "1407");
        pl_gpkg_set_real(cells, 2, (double)(r % 50));
        pl_gpkg_set_real(cells, 4, (r % 997) * 0.5);
        pl_gpkg_set_int(cells, 5, 0);
        pl_gpkg_set_int(cells, 6, 7);
        for (int t = 0; t < ACCESS_TYPES; t++) {
            int f = 7 + 9 * t, k = (int)((r * 7 + t) % ACCESS_NAMES);
            double km = (r % 4001) * 0.007 + t;
            pl_gpkg_set_real(cells, f, round(km * 1000) / 1000);
            pl_gpkg_set_real(cells, f + 1, round(km * 120) / 100);
            pl_gpkg_set_real(cells, f + 2, round(km * 1300) / 1000);
            pl_gpkg_set_real(cells, f + 3, round(km * 150) / 100);
            pl_gpkg_set_text(cells, f + 4, ids[k]);
            pl_gpkg_set_text(cells, f + 5, names[k]);
            pl_gpkg_set_text(cells, f + 6, ids[k]);
            pl_gpkg_set_text(cells, f + 7, bands_km[(int)km / 8 % 5]);
            pl_gpkg_set_text(cells, f + 8, bands_min[(int)km / 8 % 5]);
        }
        pl_gpkg_set_geos(cells, geoms[r]);
        rc = pl_gpkg_row_end(cells, err);
    }
    for (long r = 0; rc == PL_OK && r < n; r++) {
        pl_gpkg_row_begin(level);
        pl_gpkg_set_text(level, 0, cell_ids[r % ACCESS_NAMES]);
        pl_gpkg_set_text(level, 1, "1407");
        pl_gpkg_set_real(level, 2, (double)(r % 50));
        pl_gpkg_set_int(level, 3, r % 8);
        pl_gpkg_set_int(level, 4, 7);
        for (int t = 0; t < ACCESS_TYPES; t++)
            pl_gpkg_set_int(level, 5 + t, (r >> t) & 1);
        pl_gpkg_set_geos(level, geoms[r]);
        rc = pl_gpkg_row_end(level, err);
    }
    if (g)
        rc = rc == PL_OK ? pl_gpkg_commit(g, err) : (pl_gpkg_abort(g), rc);
    return rc;
}

int main(int argc, char **argv)
{
    pl_hugepages_reexec(argv);  /* as platsa does */
    long n = 200000;
    int m = 70, keep = 0, access = 0;
    const char *out = "/tmp/bench_gpkg_writer.gpkg";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc)
            n = atol(argv[++i]);
        else if (strcmp(argv[i], "--fields") == 0 && i + 1 < argc)
            m = atoi(argv[++i]);
        else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (strcmp(argv[i], "--keep") == 0)
            keep = 1;
        else if (strcmp(argv[i], "--access") == 0)
            access = 1;
        else {
            fprintf(stderr, "usage: bench_gpkg_writer [--rows N] [--fields M] [--access] [--out FILE] [--keep]\n");
            return 2;
        }
    }
    if (n < 0 || m < 1) {
        fprintf(stderr, "bench_gpkg_writer: --rows must be >= 0 and --fields >= 1\n");
        return 2;
    }
    pl_gpkg_process_init();
    GDALAllRegister();
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = !getenv("BENCH_VERBOSE");
    ctx->verbose = !ctx->quiet;  /* BENCH_VERBOSE=1: the writer thread's CPU time */
    GEOSGeometry **geoms = malloc((size_t)(n ? n : 1) * sizeof *geoms);
    long side = (long)ceil(sqrt((double)n));
    for (long r = 0; r < n; r++)
        geoms[r] = square(ctx->geos, 300000 + 250.0 * (r % (side ? side : 1)), 6200000 + 250.0 * (r / (side ? side : 1)));
    pl_error err = {0};
    double t0 = pl_now_s();
    int rc = access ? write_access(ctx, out, n, geoms, &err) : write_rows(ctx, out, n, m, geoms, &err);
    double t = pl_now_s() - t0;
    for (long r = 0; r < n; r++)
        GEOSGeom_destroy_r(ctx->geos, geoms[r]);
    free(geoms);
    pl_ctx_free(ctx);
    if (rc != PL_OK) {
        fprintf(stderr, "bench_gpkg_writer: %s\n", err.msg);
        return 1;
    }
    if (access)
        printf("write access_cells and service_level, %ld rows each: %.2f s\n", n, t);
    else
        printf("write %ld rows: %.2f s\n", n, t);
    if (!keep)
        unlink(out);
    return 0;
}
