/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fuzz target: layer loading and validation. The input is written as a file (GeoJSON when
 * it starts with '{' after blanks, else CSV) and loaded in every role: municipalities,
 * population, services, roads (with --assume-crs EPSG:3006 for sources without a CRS), and
 * described as `platsa info` does. Loaded arrays are checked (finite coordinates, valid
 * polygons, non-negative population, consistent road vertex offsets). When every role
 * loads, the road graph is built for car and walk and the access analysis runs on them.
 * GDAL's GeoJSON and CSV readers are exercised too; keep inputs small (-max_len). */
#include <ctype.h>
#include <math.h>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>

#include "fuzz_common.h"
#include "analyses/access/access.h"
#include "gis/graph.h"
#include "layers/layers.h"

static pl_ctx *ly_ctx;
static pl_service_types *ly_types;
static FILE *ly_devnull;

static void ly_check_xy(double x, double y)
{
    FUZZ_CHECK(isfinite(x) && isfinite(y));
    FUZZ_CHECK(fabs(x) <= 1e8 && fabs(y) <= 1e8);
}

static void ly_check_munis(const pl_municipalities *m)
{
    FUZZ_CHECK(m->n > 0);
    for (size_t i = 0; i < m->n; i++) {
        FUZZ_CHECK(m->code[i] && m->code[i][0]);
        FUZZ_CHECK(m->name[i]);
        FUZZ_CHECK(m->geom[i]);
        FUZZ_CHECK(GEOSisValid_r(ly_ctx->geos, m->geom[i]) == 1);
        int t = GEOSGeomTypeId_r(ly_ctx->geos, m->geom[i]);
        FUZZ_CHECK(t == GEOS_POLYGON || t == GEOS_MULTIPOLYGON);
        FUZZ_CHECK(pl_municipalities_find(m, m->code[i]) >= 0);
    }
    FUZZ_CHECK(isfinite(m->total_area) && m->total_area >= 0);
}

static void ly_check_pop(const pl_population *p)
{
    FUZZ_CHECK(p->n > 0);
    double total = 0;
    for (size_t i = 0; i < p->n; i++) {
        ly_check_xy(p->x[i], p->y[i]);
        FUZZ_CHECK(isfinite(p->pop[i]) && p->pop[i] >= 0);
        if (p->age_pop)
            FUZZ_CHECK(isfinite(p->age_pop[i]) && p->age_pop[i] >= 0);
        FUZZ_CHECK(p->id[i]);
        FUZZ_CHECK(p->geom[i]);
        total += p->pop[i];
    }
    FUZZ_CHECK(isfinite(p->total_pop) && p->total_pop >= 0);
    FUZZ_CHECK(fabs(total - p->total_pop) <= 1e-9 * fmax(1.0, total));
}

static void ly_check_services(const pl_services *s)
{
    FUZZ_CHECK(s->n > 0);
    for (size_t i = 0; i < s->n; i++) {
        ly_check_xy(s->x[i], s->y[i]);
        FUZZ_CHECK(s->type[i] >= 0 && s->type[i] < ly_types->n);
        FUZZ_CHECK(s->id[i] && s->name[i]);
    }
}

static void ly_check_roads(const pl_roads *r)
{
    FUZZ_CHECK(r->n > 0);
    FUZZ_CHECK(r->first_vertex[0] == 0);
    for (size_t i = 0; i < r->n; i++) {
        FUZZ_CHECK(r->first_vertex[i + 1] >= r->first_vertex[i] + 2);
        FUZZ_CHECK(r->road_class[i] < PL_ROAD_N_CLASSES);
        FUZZ_CHECK(isfinite(r->speed_kmh[i]) && r->speed_kmh[i] >= 0 && r->speed_kmh[i] <= 300);
        FUZZ_CHECK(r->oneway[i] >= -1 && r->oneway[i] <= 1);
        FUZZ_CHECK(r->layer[i] >= -5 && r->layer[i] <= 5);
        for (size_t v = r->first_vertex[i]; v < r->first_vertex[i + 1]; v++)
            FUZZ_CHECK(isfinite(r->vx[v]) && isfinite(r->vy[v]));
    }
}

static void ly_check_graph(const pl_graph *g)
{
    for (uint32_t a = 0; a < g->n_arcs; a++) {
        FUZZ_CHECK(g->arc_head[a] < g->n_nodes);
        FUZZ_CHECK(isfinite(g->arc_len_m[a]) && g->arc_len_m[a] >= 0);
        FUZZ_CHECK(isfinite(g->arc_time_s[a]) && g->arc_time_s[a] >= 0);
    }
}

static void ly_access(const pl_population *pop, const pl_services *svc, const pl_municipalities *munis,
                      const pl_roads *roads, pl_mode mode)
{
    pl_graph_opts go;
    pl_graph_opts_default(&go);
    go.mode = mode;
    pl_error err = {0};
    pl_graph *g = pl_graph_build(ly_ctx, roads, &go, &err);
    if (!g) {
        pl_fuzz_check_error(&err);
        return;
    }
    ly_check_graph(g);
    int types[PL_MAX_TYPES], n_types = 0;
    for (int t = 0; t < ly_types->n; t++)
        for (size_t s = 0; s < svc->n; s++)
            if (pl_service_types_counts_for(ly_types, t, svc->type[s])) {
                types[n_types++] = t;
                break;
            }
    if (n_types == 0) {
        pl_graph_free(g);
        return;
    }
    pl_access_params p = {.types = types, .n_types = n_types, .mode = mode, .within_km = 10, .max_snap_m = 1000};
    pl_access_result *r = NULL;
    int rc = pl_access_compute(ly_ctx, pop, svc, ly_types, munis, roads, g, &p, &r, &err);
    if (rc != PL_OK) {
        pl_fuzz_check_error(&err);
    } else {
        FUZZ_CHECK(r && r->n_cells == pop->n && r->n_types == n_types);
        FUZZ_CHECK(isfinite(r->pop_total) && r->pop_total >= 0 && r->pop_total <= pop->total_pop * (1 + 1e-9) + 1e-9);
        for (size_t c = 0; c < r->n_cells; c++) {
            FUZZ_CHECK(r->service_level[c] >= 0 && r->service_level[c] <= n_types);
            FUZZ_CHECK(r->cell_muni[c] >= 0 && (size_t)r->cell_muni[c] < munis->n);
            for (int t = 0; t < n_types; t++) {
                const pl_label *d = &r->types[t].by_dist[c * 2];
                FUZZ_CHECK(!(d[0].dist_m > d[1].dist_m));
                FUZZ_CHECK(!(d[0].dist_m < 0));
            }
        }
        for (int t = 0; t < n_types; t++) {
            const pl_access_stats *st = &r->total_stats[t];
            FUZZ_CHECK(isfinite(st->pop) && st->pop >= 0);
        }
    }
    pl_access_result_free(r);
    pl_graph_free(g);
}

int pl_fuzz_layers(const uint8_t *data, size_t size)
{
    if (!ly_ctx) {
        GDALAllRegister();
        CPLSetErrorHandler(CPLQuietErrorHandler);
        CPLSetConfigOption("GDAL_HTTP_TIMEOUT", "1");
        CPLSetConfigOption("CPL_VSIL_CURL_ALLOWED_EXTENSIONS", "none");
        ly_ctx = pl_ctx_new();
        ly_ctx->quiet = 1;
        pl_error err = {0};
        ly_types = pl_service_types_load(ly_ctx, NULL, &err);
        if (!ly_types) {
            fprintf(stderr, "fuzz_layers: %s\n", err.msg);
            abort();
        }
        ly_devnull = fopen("/dev/null", "w");
    }
    if (size > 64 * 1024)
        return 0;
    size_t k = 0;
    while (k < size && isspace(data[k]))
        k++;
    int geojson = k < size && data[k] == '{';
    char path[700];
    snprintf(path, sizeof path, "%s", pl_fuzz_write_file(geojson ? "layer.geojson" : "layer.csv", data, size));
    pl_warn_reset(ly_ctx);

    pl_load_opts lo = {.assume_crs = "EPSG:3006"};
    pl_error err = {0};
    pl_municipalities *munis = pl_municipalities_load(ly_ctx, path, &lo, &err);
    if (munis)
        ly_check_munis(munis);
    else
        pl_fuzz_check_error(&err);
    pl_population *pop = pl_population_load(ly_ctx, path, &lo, &err);
    if (pop)
        ly_check_pop(pop);
    else
        pl_fuzz_check_error(&err);
    pl_services *svc = pl_services_load(ly_ctx, path, ly_types, &lo, &err);
    if (svc)
        ly_check_services(svc);
    else
        pl_fuzz_check_error(&err);
    pl_roads *roads = pl_roads_load(ly_ctx, path, &lo, &err);
    if (roads)
        ly_check_roads(roads);
    else
        pl_fuzz_check_error(&err);
    /* The same file without a CRS fallback: refused or loaded, never anything else. */
    pl_population *pop2 = pl_population_load(ly_ctx, path, NULL, &err);
    if (!pop2)
        pl_fuzz_check_error(&err);
    pl_population_free(ly_ctx, pop2);
    if (pl_info_describe(ly_ctx, path, ly_devnull, &err) != PL_OK)
        pl_fuzz_check_error(&err);

    for (size_t i = 0; i < ly_ctx->n_warnings; i++) {
        FUZZ_CHECK(ly_ctx->warnings[i].count > 0);
        FUZZ_CHECK(strchr(ly_ctx->warnings[i].first_msg, '\n') == NULL);
    }
    if (pop && munis) {
        long *idx = malloc(pop->n * sizeof *idx);
        long out = pl_municipalities_assign(ly_ctx, munis, pop->n, pop->x, pop->y, "fuzz", idx);
        FUZZ_CHECK(out >= 0 && (size_t)out <= pop->n);
        for (size_t i = 0; i < pop->n; i++)
            FUZZ_CHECK(idx[i] >= 0 && (size_t)idx[i] < munis->n);
        free(idx);
    }
    if (pop && svc && munis && roads) {
        ly_access(pop, svc, munis, roads, PL_MODE_CAR);
        ly_access(pop, svc, munis, roads, PL_MODE_WALK);
    }
    if (roads)
        pl_roads_free(roads);
    pl_services_free(svc);
    pl_population_free(ly_ctx, pop);
    pl_municipalities_free(ly_ctx, munis);
    return 0;
}

#ifndef PL_FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return pl_fuzz_layers(data, size);
}
#endif
