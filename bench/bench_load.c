/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Input loading benchmark: times the roads and population loaders on one file.
 *
 * Prints one line per layer, e.g. "load roads: 2.31 s (3723512 features)", then the peak
 * RSS. PLATSA_READER=feature selects the old per-feature reader, for comparison.
 *
 * usage: bench_load FILE.gpkg [ROADS_LAYER [POPULATION_LAYER]]
 *        (layers default to "roads" and "population"; "-" skips one) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <gdal.h>

#include "gis/roads.h"
#include "layers/layers.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int bench_roads(pl_ctx *ctx, const char *file, const char *layer)
{
    char spec[4096];
    snprintf(spec, sizeof spec, "%s:%s", file, layer);
    pl_error err = {0};
    double t0 = now();
    pl_roads *r = pl_roads_load(ctx, spec, NULL, &err);
    double t = now() - t0;
    if (!r) {
        fprintf(stderr, "bench_load: %s\n", err.msg);
        return 1;
    }
    printf("load roads: %.2f s (%zu features)\n", t, r->n);
    pl_roads_free(r);
    return 0;
}

static int bench_population(pl_ctx *ctx, const char *file, const char *layer)
{
    char spec[4096];
    snprintf(spec, sizeof spec, "%s:%s", file, layer);
    pl_error err = {0};
    double t0 = now();
    pl_population *p = pl_population_load(ctx, spec, NULL, &err);
    double t = now() - t0;
    if (!p) {
        fprintf(stderr, "bench_load: %s\n", err.msg);
        return 1;
    }
    printf("load population: %.2f s (%zu features)\n", t, p->n);
    pl_population_free(ctx, p);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_load FILE.gpkg [ROADS_LAYER [POPULATION_LAYER]]\n");
        return 2;
    }
    const char *roads = argc > 2 ? argv[2] : "roads", *pop = argc > 3 ? argv[3] : "population";
    GDALAllRegister();
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    int rc = 0;
    if (strcmp(roads, "-") != 0)
        rc |= bench_roads(ctx, argv[1], roads);
    if (strcmp(pop, "-") != 0)
        rc |= bench_population(ctx, argv[1], pop);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak RSS: %.0f MB\n", (double)ru.ru_maxrss / 1024.0);
    pl_ctx_free(ctx);
    return rc;
}
