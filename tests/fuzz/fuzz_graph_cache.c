/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fuzz target: the graph cache reader (gis/graph_cache.c). The input is written as a cache
 * file and read as a network cache (roads + graph + snap index) and as a graph-only cache of
 * a small fixture road network, under the key in the input's own header (so that a file of
 * any key gets past the key check), with the checksums switched off: a damaged body must be
 * caught by the structure checks alone (counts, offsets, CSR offsets, node/edge/road/vertex/
 * segment ids, grid cells), never reach the users. Whatever is accepted is then used as a
 * run uses it: places snapped (through the stored snap index) and a k-nearest search run.
 * The path check (pl_graph_cache_check_path) runs on the file too.
 *
 * Seeds (corpus/graph_cache/) are real cache files of the fixture network, written by
 * pl_fuzz_graph_cache_write_seeds (test_robustness checks that they are still read as they
 * are, with the checksums on: a format change must regenerate them). */
#include <math.h>

#include "fuzz_common.h"
#include "gis/graph.h"
#include "gis/graph_internal.h"

static pl_ctx *gc_ctx;
static pl_roads *gc_roads;

/* A 4 x 4 grid of streets 100 m apart (each block side its own line, the middle of each
 * with a bend vertex), one of them one-way, one a bridge, one a footway. */
static pl_roads *gc_fixture_roads(void)
{
    enum { N = 4, LINES = 2 * N * (N - 1) };
    pl_roads *r = calloc(1, sizeof *r);
    r->n = LINES;
    r->first_vertex = calloc(LINES + 1, sizeof *r->first_vertex);
    r->vx = calloc(3 * LINES, sizeof *r->vx);
    r->vy = calloc(3 * LINES, sizeof *r->vy);
    r->id = calloc(LINES, sizeof *r->id);
    r->road_class = calloc(LINES, sizeof *r->road_class);
    r->speed_kmh = calloc(LINES, sizeof *r->speed_kmh);
    r->oneway = calloc(LINES, sizeof *r->oneway);
    r->flags = calloc(LINES, sizeof *r->flags);
    r->layer = calloc(LINES, sizeof *r->layer);
    r->source = strdup("fixture:roads");
    size_t k = 0, v = 0;
    for (int dir = 0; dir < 2; dir++)
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N - 1; j++) {
                double x0 = 500000 + (dir ? i : j) * 100.0, y0 = 6500000 + (dir ? j : i) * 100.0;
                double dx = dir ? 0 : 100, dy = dir ? 100 : 0;
                r->first_vertex[k] = v;
                r->vx[v] = x0;
                r->vy[v++] = y0;
                r->vx[v] = x0 + dx / 2 + (dir ? 3 : 0);
                r->vy[v++] = y0 + dy / 2 + (dir ? 0 : 3);
                r->vx[v] = x0 + dx;
                r->vy[v++] = y0 + dy;
                r->id[k] = 1000 + (int64_t)k;
                r->road_class[k] = k == 5 ? PL_ROAD_FOOTWAY : PL_ROAD_RESIDENTIAL;
                r->speed_kmh[k] = k % 3 ? 30 : 0;
                r->oneway[k] = k == 2 ? 1 : 0;
                r->flags[k] = k == 7 ? PL_ROAD_BRIDGE : 0;
                k++;
            }
    r->first_vertex[k] = v;
    return r;
}

static void gc_init(void)
{
    if (gc_ctx)
        return;
    gc_ctx = pl_ctx_new();
    gc_ctx->quiet = 1;
    gc_roads = gc_fixture_roads();
}

/* Uses an accepted graph as a run does: snapping through the stored index, a search. */
static void gc_use(const pl_graph *g, const pl_roads *roads)
{
    enum { NP = 6 };
    double x[NP] = {500010, 500150, 500290, 500050, 499000, 500200};
    double y[NP] = {6500020, 6500110, 6500270, 6500190, 6499000, 6500300};
    pl_snap_opts so;
    pl_snap_opts_default(&so);
    pl_snap s[NP];
    pl_error err = {0};
    if (pl_graph_snap(gc_ctx, g, roads, x, y, NP, &so, s, &err) != PL_OK) {
        pl_fuzz_check_error(&err);
        return;
    }
    for (int i = 0; i < NP; i++) {
        if (s[i].status == PL_SNAP_NONE)
            continue;
        FUZZ_CHECK(s[i].node_a < g->n_nodes && s[i].node_b < g->n_nodes);
        FUZZ_CHECK(s[i].edge < g->n_edges && s[i].road < roads->n);
        FUZZ_CHECK(isfinite(s[i].access_m) && s[i].access_m >= 0);
    }
    pl_label out[(NP - 2) * 2];
    pl_search_opts o = {.metric = PL_METRIC_TIME, .k = 2};
    if (pl_graph_nearest_k(gc_ctx, g, s, 2, s + 2, NP - 2, &o, out, &err) != PL_OK) {
        pl_fuzz_check_error(&err);
        return;
    }
    for (int i = 0; i < (NP - 2) * 2; i++) {
        FUZZ_CHECK(out[i].source < 2 || out[i].source == UINT32_MAX);
        FUZZ_CHECK(!isnan(out[i].dist_m) && out[i].dist_m >= 0);
    }
}

PL_FUZZ_FN int pl_fuzz_graph_cache(const uint8_t *data, size_t size)
{
    gc_init();
    pl_graph_cache_verify_sums(0);
    const char *path = pl_fuzz_write_file("fuzz.plcache", data, size);
    uint64_t key = 0;
    if (size >= 24)
        memcpy(&key, data + 16, sizeof key); /* the header's key: past the key check */
    pl_error err = {0};
    if (pl_graph_cache_check_path(path, NULL, 0, NULL, 0, &err) != PL_OK)
        pl_fuzz_check_error(&err);
    pl_roads *roads = NULL;
    pl_graph *g = NULL;
    if (pl_network_cache_read(gc_ctx, path, key, &roads, &g)) {
        FUZZ_CHECK(roads && g && g->from_cache);
        gc_use(g, roads);
        pl_graph_free(g);
        pl_roads_free(roads);
    } else {
        FUZZ_CHECK(!roads && !g);
    }
    g = pl_graph_cache_read(gc_ctx, path, key, gc_roads);
    if (g) {
        gc_use(g, gc_roads);
        pl_graph_free(g);
    }
    pl_warn_reset(gc_ctx);
    pl_graph_cache_verify_sums(1);
    return 0;
}

/* Writes the seeds into dir: the fixture's network cache (car, with its snap index) and
 * its graph-only cache (walk). Returns 0 on success. */
PL_FUZZ_FN int pl_fuzz_graph_cache_write_seeds(const char *dir)
{
    gc_init();
    char path[4200];
    pl_error err = {0};
    pl_graph_opts go;
    pl_graph_opts_default(&go);
    pl_graph *g = pl_graph_build(gc_ctx, gc_roads, &go, &err);
    if (!g || pl_graph_keep_snap_index(g, gc_roads) != PL_OK)
        return -1;
    snprintf(path, sizeof path, "%s/network-car.plcache", dir);
    int rc = pl_network_cache_write(gc_ctx, path, 0x5eed5eed5eed5eedULL, gc_roads, g, NULL, &err);
    pl_graph_free(g);
    go.mode = PL_MODE_WALK;
    snprintf(path, sizeof path, "%s/graph-walk.plcache", dir);
    go.cache_path = path;
    remove(path);
    g = rc == PL_OK ? pl_graph_build(gc_ctx, gc_roads, &go, &err) : NULL;
    rc = g && pl_warn_total(gc_ctx) == 0 ? 0 : -1;
    pl_graph_free(g);
    return rc;
}

#ifndef PL_FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return pl_fuzz_graph_cache(data, size);
}
#endif
