/* Benchmark of the GeoPackage writer: N square 250 m polygons (GEOS geometries, as the
 * analyses hand them over) with M fields (cycling real, integer, text) into one
 * MultiPolygon layer, including commit (spatial index, styles, metadata).
 * Prints "write N rows: X s" (wall clock, create to commit).
 *
 * usage: bench_gpkg_writer [--rows N] [--fields M] [--out FILE]   (defaults 200000, 70,
 *        /tmp/bench_gpkg_writer.gpkg; the output is removed afterwards unless --keep) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gdal.h>

#include "../gis/ctx.h"
#include "../gis/gpkg_writer.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* A 250 m square, made ahead of time (geometry building is not the writer's cost). */
static GEOSGeometry *square(GEOSContextHandle_t h, double x, double y)
{
    GEOSCoordSequence *cs = GEOSCoordSeq_create_r(h, 5, 2);
    const double xs[5] = {x, x + 250, x + 250, x, x}, ys[5] = {y, y, y + 250, y + 250, y};
    for (unsigned i = 0; i < 5; i++)
        GEOSCoordSeq_setXY_r(h, cs, i, xs[i], ys[i]);
    return GEOSGeom_createPolygon_r(h, GEOSGeom_createLinearRing_r(h, cs), NULL, 0);
}

static int write_rows(pl_ctx *ctx, const char *out, long n, int m, GEOSGeometry **geoms, pl_error *err)
{
    pl_field_def *defs = calloc((size_t)m, sizeof *defs);
    char (*names)[32] = calloc((size_t)m, sizeof *names);
    for (int f = 0; f < m; f++) {
        snprintf(names[f], sizeof names[f], "f%d", f);
        defs[f].name = names[f];
        defs[f].type = f % 3 == 0 ? PL_FIELD_REAL : f % 3 == 1 ? PL_FIELD_INT : PL_FIELD_TEXT;
    }
    pl_gpkg_opts o = {.overwrite = 1, .timestamp = "2024-05-01T12:00:00Z"};
    pl_gpkg *g = pl_gpkg_create(ctx, out, &o, err);
    pl_gpkg_layer *l = g ? pl_gpkg_layer_add(g, "cells", 6, "Rutor", defs, m, NULL, err) : NULL;
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
    free(defs);
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    long n = 200000;
    int m = 70, keep = 0;
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
        else {
            fprintf(stderr, "usage: bench_gpkg_writer [--rows N] [--fields M] [--out FILE] [--keep]\n");
            return 2;
        }
    }
    if (n < 0 || m < 1) {
        fprintf(stderr, "bench_gpkg_writer: --rows must be >= 0 and --fields >= 1\n");
        return 2;
    }
    GDALAllRegister();
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    GEOSGeometry **geoms = malloc((size_t)(n ? n : 1) * sizeof *geoms);
    long side = (long)ceil(sqrt((double)n));
    for (long r = 0; r < n; r++)
        geoms[r] = square(ctx->geos, 300000 + 250.0 * (r % (side ? side : 1)), 6200000 + 250.0 * (r / (side ? side : 1)));
    pl_error err = {0};
    double t0 = now_s();
    int rc = write_rows(ctx, out, n, m, geoms, &err);
    double t = now_s() - t0;
    for (long r = 0; r < n; r++)
        GEOSGeom_destroy_r(ctx->geos, geoms[r]);
    free(geoms);
    pl_ctx_free(ctx);
    if (rc != PL_OK) {
        fprintf(stderr, "bench_gpkg_writer: %s\n", err.msg);
        return 1;
    }
    printf("write %ld rows: %.2f s\n", n, t);
    if (!keep)
        unlink(out);
    return 0;
}
