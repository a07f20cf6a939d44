/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Routing benchmark: the anchor workload, generated deterministically.
 *
 * A jittered 150 m grid of N nodes (default 2,000,000: 1600 x 1250), +-40 m jitter per
 * axis, 5 % of the grid edges removed, a diagonal shortcut in 4 % of the cells (about
 * 3.9 M undirected edges, each a two-vertex road, lengths in metres, a mix of residential,
 * tertiary and secondary speeds), 3,000 facilities and 400,000 origins at random nodes.
 * Times (monotonic clock, median of R runs, one core) the nearest-facility search (k=1)
 * and nearest + second nearest (k=2), by distance, and reports ns per settled label and
 * the peak RSS. Also times the graph build, the snapping and a warm cache read.
 *
 * usage: bench_routing [--nodes N] [--runs R] [--seed S] [--facilities F] [--origins O]
 *                      [--metric distance|time] [--cache FILE] [--k 1|2] [--compare-strtree]
 * --compare-strtree also times the nearest segment through a GEOS STRtree (the choice
 * documented for pl_graph_snap). --roads runs the same searches on a real network instead,
 * with facilities and origins at random road vertices moved up to 50 m.
 *
 * Peers (bench/peers/) and the end-to-end run:
 *   --export DIR   also writes the workload to files: DIR/roads.gpkg (the lines, layer roads,
 *                  field highway), DIR/facilities.csv and DIR/origins.csv (x,y), the graph
 *                  platsa built (DIR/edges.csv: source,target,length; nodes 1..N), how the
 *                  facilities attach (DIR/super.csv: node,cost — the zero-or-more-cost edges of
 *                  a virtual super source, node 0 — so a single-source search from node 0 is the
 *                  multi-source search), how the origins attach (DIR/origins_snap.csv: node_a,
 *                  cost_a,node_b,cost_b,access, an origin's distance is min(d(a)+cost_a,
 *                  d(b)+cost_b)+access) and platsa's nearest distances (DIR/platsa_k1.csv), and
 *                  DIR/meta.txt (counts).
 *   --e2e DIR      the end-to-end run from those files: load DIR/roads.gpkg, read the places,
 *                  build the graph (or read --cache), snap, search k=1, write DIR/e2e_k1.csv;
 *                  prints each stage's seconds. Time it from outside (/usr/bin/time -v). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <cpl_conv.h>
#include <cpl_string.h>

#include "gis/hugepages.h"
#include "gis/graph.h"
#include "gis/roads.h"
#include "layers/layers.h"
#include "layers/network.h"
#include "gis/util.h"

/* ---- optional comparison: nearest segment through a GEOS STRtree ---- */
typedef struct seg_ref {
    const pl_roads *r;
    uint32_t v;
} seg_ref;

static int seg_distance(const void *item1, const void *item2, double *distance, void *userdata)
{
    /* One item is a segment (seg_ref *), the other the query point (double[2], passed
     * as userdata too so it can be told apart). */
    const seg_ref *sr = item1;
    const double *pt = item2;
    if (item1 == userdata) {
        sr = item2;
        pt = item1;
    }
    const pl_roads *r = sr->r;
    double x0 = r->vx[sr->v], y0 = r->vy[sr->v], dx = r->vx[sr->v + 1] - x0, dy = r->vy[sr->v + 1] - y0;
    double l2 = dx * dx + dy * dy, t = l2 > 0 ? ((pt[0] - x0) * dx + (pt[1] - y0) * dy) / l2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    *distance = hypot(x0 + t * dx - pt[0], y0 + t * dy - pt[1]);
    return 1;
}

static void compare_strtree(pl_ctx *ctx, const pl_graph *g, const pl_roads *r, const double *ox, const double *oy,
                            size_t n, double (*now)(void))
{
    GEOSContextHandle_t h = ctx->geos;
    double t0 = now();
    size_t nseg = 0;
    for (uint32_t e = 0; e < g->n_edges; e++)
        nseg += g->edge_v1[e] - g->edge_v0[e];
    seg_ref *refs = pl_malloc(nseg * sizeof *refs);
    GEOSGeometry **env = pl_malloc(nseg * sizeof *env);
    GEOSSTRtree *tree = GEOSSTRtree_create_r(h, 10);
    size_t k = 0;
    for (uint32_t e = 0; e < g->n_edges; e++)
        for (uint32_t v = g->edge_v0[e]; v < g->edge_v1[e]; v++) {
            refs[k] = (seg_ref){r, v};
            GEOSCoordSequence *cs = GEOSCoordSeq_create_r(h, 2, 2);
            GEOSCoordSeq_setXY_r(h, cs, 0, r->vx[v], r->vy[v]);
            GEOSCoordSeq_setXY_r(h, cs, 1, r->vx[v + 1], r->vy[v + 1]);
            env[k] = GEOSGeom_createLineString_r(h, cs);
            GEOSSTRtree_insert_r(h, tree, env[k], &refs[k]);
            k++;
        }
    double t_build = now() - t0; /* GEOS 3.11 builds the tree on the first query */
    t0 = now();
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        double pt[2] = {ox[i], oy[i]};
        GEOSGeometry *p = GEOSGeom_createPointFromXY_r(h, ox[i], oy[i]);
        const seg_ref *best = GEOSSTRtree_nearest_generic_r(h, tree, pt, p, seg_distance, pt);
        if (best) {
            double d;
            seg_distance(best, pt, &d, pt);
            sum += d;
        }
        GEOSGeom_destroy_r(h, p);
    }
    double t_query = now() - t0;
    printf("%-34s %12.3f\n", "GEOS STRtree: make + insert", t_build);
    printf("%-34s %12.3f   (mean distance %.3f m)\n", "GEOS STRtree: build + nearest", t_query, sum / n);
    GEOSSTRtree_destroy_r(h, tree);
    for (size_t i = 0; i < nseg; i++)
        GEOSGeom_destroy_r(h, env[i]);
    free(env);
    free(refs);
}

static uint64_t rng = 0x853c49e6748fea9bULL;
static uint64_t next_u64(void)
{
    /* splitmix64 */
    uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static double uniform(void) { return (double)(next_u64() >> 11) / 9007199254740992.0; }

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct lines {
    size_t n, cap;
    uint32_t *a, *b;
} lines;

static void add_line(lines *L, uint32_t a, uint32_t b)
{
    if (L->n == L->cap) {
        L->cap = L->cap ? 2 * L->cap : 1 << 20;
        L->a = pl_realloc(L->a, L->cap * sizeof *L->a);
        L->b = pl_realloc(L->b, L->cap * sizeof *L->b);
    }
    L->a[L->n] = a;
    L->b[L->n] = b;
    L->n++;
}

/* ---- export of the workload for the peers, and the end-to-end run ---- */
static int write_xy(const char *dir, const char *name, const double *x, const double *y, long n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "x,y\n");
    for (long i = 0; i < n; i++)
        fprintf(f, "%.17g,%.17g\n", x[i], y[i]);
    return fclose(f);
}

static long read_xy(const char *dir, const char *name, double **x, double **y)
{
    char path[4096], line[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long n = 0, cap = 1 << 16;
    *x = pl_malloc((size_t)cap * sizeof **x);
    *y = pl_malloc((size_t)cap * sizeof **y);
    if (!fgets(line, sizeof line, f)) { /* header */
        fclose(f);
        return -1;
    }
    while (fgets(line, sizeof line, f)) {
        if (n == cap) {
            cap *= 2;
            *x = pl_realloc(*x, (size_t)cap * sizeof **x);
            *y = pl_realloc(*y, (size_t)cap * sizeof **y);
        }
        char *end;
        (*x)[n] = strtod(line, &end);
        (*y)[n] = strtod(end + 1, NULL);
        n++;
    }
    fclose(f);
    return n;
}

static int write_roads_gpkg(const pl_roads *r, const char *path)
{
    GDALAllRegister();
    CPLSetConfigOption("OGR_SQLITE_SYNCHRONOUS", "OFF");
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    remove(path);
    GDALDatasetH ds = GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, NULL);
    if (!ds)
        return -1;
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(srs, 3006);
    char **lco = CSLSetNameValue(NULL, "GEOMETRY_NAME", "geom");
    OGRLayerH lyr = GDALDatasetCreateLayer(ds, "roads", srs, wkbLineString, lco);
    CSLDestroy(lco);
    OGRFieldDefnH fd = OGR_Fld_Create("highway", OFTString);
    OGR_L_CreateField(lyr, fd, FALSE);
    OGR_Fld_Destroy(fd);
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(lyr));
    GDALDatasetStartTransaction(ds, FALSE);
    int rc = 0;
    for (size_t e = 0; e < r->n && rc == 0; e++) {
        OGRGeometryH g = OGR_G_CreateGeometry(wkbLineString);
        for (size_t v = r->first_vertex[e]; v < r->first_vertex[e + 1]; v++)
            OGR_G_AddPoint_2D(g, r->vx[v], r->vy[v]);
        OGR_F_SetGeometryDirectly(f, g);
        OGR_F_SetFieldString(f, 0, pl_road_class_name((pl_road_class)r->road_class[e]));
        OGR_F_SetFID(f, OGRNullFID);
        rc = OGR_L_CreateFeature(lyr, f) == OGRERR_NONE ? 0 : -1;
        if ((e + 1) % 500000 == 0) {
            GDALDatasetCommitTransaction(ds);
            GDALDatasetStartTransaction(ds, FALSE);
        }
    }
    GDALDatasetCommitTransaction(ds);
    OGR_F_Destroy(f);
    OSRDestroySpatialReference(srs);
    GDALClose(ds);
    return rc;
}

static int export_workload(const char *dir, const pl_graph *g, const pl_roads *r, const double *fx, const double *fy,
                           long n_fac, const double *ox, const double *oy, long n_orig, const pl_snap *fs,
                           const pl_snap *os, const pl_label *k1)
{
    char path[4096];
    if (write_xy(dir, "facilities.csv", fx, fy, n_fac) || write_xy(dir, "origins.csv", ox, oy, n_orig))
        return -1;
    snprintf(path, sizeof path, "%s/edges.csv", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "source,target,length\n");
    for (uint32_t e = 0; e < g->n_edges; e++) /* the grid is two-way everywhere */
        fprintf(f, "%u,%u,%.17g\n", g->edge_a[e] + 1, g->edge_b[e] + 1, (double)g->edge_len_m[e]);
    fclose(f);
    snprintf(path, sizeof path, "%s/super.csv", dir);
    f = fopen(path, "w");
    fprintf(f, "node,cost\n");
    for (long i = 0; i < n_fac; i++) {
        const pl_snap *s = &fs[i];
        if (s->status == PL_SNAP_NONE)
            continue;
        if (s->from_a)
            fprintf(f, "%u,%.17g\n", s->node_a + 1, (double)s->access_m + s->a_len_m);
        if (s->from_b && s->node_b != s->node_a)
            fprintf(f, "%u,%.17g\n", s->node_b + 1, (double)s->access_m + s->b_len_m);
    }
    fclose(f);
    snprintf(path, sizeof path, "%s/origins_snap.csv", dir);
    f = fopen(path, "w");
    fprintf(f, "node_a,cost_a,node_b,cost_b,access\n");
    long at_node = 0;
    for (long i = 0; i < n_orig; i++) {
        const pl_snap *s = &os[i];
        if (s->status == PL_SNAP_NONE) {
            fprintf(f, "0,inf,0,inf,inf\n");
            continue;
        }
        at_node += s->access_m == 0 && (s->a_len_m == 0 || s->b_len_m == 0);
        fprintf(f, "%u,%.17g,%u,%.17g,%.17g\n", s->node_a + 1, s->to_a ? (double)s->a_len_m : INFINITY,
                s->node_b + 1, s->to_b ? (double)s->b_len_m : INFINITY, (double)s->access_m);
    }
    fclose(f);
    snprintf(path, sizeof path, "%s/platsa_k1.csv", dir);
    f = fopen(path, "w");
    fprintf(f, "dist_m\n");
    for (long i = 0; i < n_orig; i++)
        fprintf(f, "%.17g\n", k1[i].dist_m);
    fclose(f);
    snprintf(path, sizeof path, "%s/meta.txt", dir);
    f = fopen(path, "w");
    fprintf(f, "nodes %u\nedges %u\nfacilities %ld\norigins %ld\norigins_at_node %ld\n", g->n_nodes, g->n_edges,
            n_fac, n_orig, at_node);
    fclose(f);
    snprintf(path, sizeof path, "%s/roads.gpkg", dir);
    return write_roads_gpkg(r, path);
}

/* The end-to-end run: files in, nearest distances out. */
static int run_e2e(const char *dir, const char *cache, const char *mode_name)
{
    double (*now)(void) = pl_now_s;
    double t_all = now(), t0 = now();
    GDALAllRegister();
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};
    char path[4096];
    double *fx, *fy, *ox, *oy;
    long n_fac = read_xy(dir, "facilities.csv", &fx, &fy), n_orig = read_xy(dir, "origins.csv", &ox, &oy);
    if (n_fac < 0 || n_orig < 0) {
        fprintf(stderr, "%s: facilities.csv or origins.csv missing (run with --export first)\n", dir);
        return 1;
    }
    double t_places = now() - t0;
    /* Roads and graph as the analyses get them: through the network cache when given one
     * (a warm run reads neither the roads file nor builds). */
    snprintf(path, sizeof path, "%s/roads.gpkg:roads", dir);
    pl_graph_opts go;
    pl_graph_opts_default(&go);
    pl_mode_from_name(mode_name, &go.mode);
    go.cache_path = cache;
    pl_roads *r = NULL;
    pl_graph *g = NULL;
    pl_network_stats ns;
    if (pl_network_load(ctx, path, NULL, &go, &r, &g, &ns, &err) != PL_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    double t_load = t_places + ns.roads_s;
    double t_build = ns.graph_s;
    t0 = now();
    pl_snap_opts so;
    pl_snap_opts_default(&so);  /* one thread: the goals are single core */
    pl_snap *fs = pl_malloc((size_t)n_fac * sizeof *fs), *os = pl_malloc((size_t)n_orig * sizeof *os);
    pl_snap_index *ix = pl_snap_index_new(g, r, so.min_component_nodes);
    pl_graph_snap_indexed(ctx, ix, fx, fy, (size_t)n_fac, &so, fs, &err);
    pl_graph_snap_indexed(ctx, ix, ox, oy, (size_t)n_orig, &so, os, &err);
    pl_snap_index_free(ix);
    double t_snap = now() - t0;
    t0 = now();
    pl_label *out = pl_malloc((size_t)n_orig * sizeof *out);
    pl_search_opts sopts = {.metric = PL_METRIC_DISTANCE, .k = 1, .cutoff = INFINITY};
    pl_graph_nearest_k(ctx, g, fs, (uint32_t)n_fac, os, (size_t)n_orig, &sopts, out, &err);
    double t_search = now() - t0;
    t0 = now();
    snprintf(path, sizeof path, "%s/e2e_k1.csv", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "dist_m\n");
    double sum = 0;
    long reach = 0;
    for (long i = 0; i < n_orig; i++) {
        fprintf(f, "%.17g\n", out[i].dist_m);
        if (isfinite(out[i].dist_m)) {
            sum += out[i].dist_m;
            reach++;
        }
    }
    fclose(f);
    double t_write = now() - t0;
    printf("e2e: %zu roads, %u nodes, %ld facilities, %ld origins%s\n", r->n, g->n_nodes, n_fac, n_orig,
           g->from_cache ? ", graph from cache" : "");
    printf("e2e stages (s): load %.3f graph %.3f snap %.3f search %.3f write %.3f total %.3f\n", t_load, t_build,
           t_snap, t_search, t_write, now() - t_all);
    printf("e2e: reached %ld of %ld origins, mean nearest %.1f m, peak MB %.0f\n", reach, n_orig,
           reach ? sum / reach : 0, peak_rss_mb());
    free(out);
    free(fs);
    free(os);
    free(fx);
    free(fy);
    free(ox);
    free(oy);
    pl_graph_free(g);
    pl_roads_free(r);
    pl_ctx_free(ctx);
    return 0;
}

int main(int argc, char **argv)
{
    pl_hugepages_reexec(argv);
    long n_target = 2000000, runs = 5, n_fac = 3000, n_orig = 400000;
    uint64_t seed = 20240601;
    pl_metric metric = PL_METRIC_DISTANCE;
    const char *cache = NULL;
    int k_only = 0, strtree = 0;
    const char *roads_spec = NULL, *mode_name = "car", *export_dir = NULL, *e2e_dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--nodes") && i + 1 < argc)
            n_target = atol(argv[++i]);
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atol(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--facilities") && i + 1 < argc)
            n_fac = atol(argv[++i]);
        else if (!strcmp(argv[i], "--origins") && i + 1 < argc)
            n_orig = atol(argv[++i]);
        else if (!strcmp(argv[i], "--metric") && i + 1 < argc)
            metric = !strcmp(argv[++i], "time") ? PL_METRIC_TIME : PL_METRIC_DISTANCE;
        else if (!strcmp(argv[i], "--roads") && i + 1 < argc)
            roads_spec = argv[++i];
        else if (!strcmp(argv[i], "--mode") && i + 1 < argc)
            mode_name = argv[++i];
        else if (!strcmp(argv[i], "--compare-strtree"))
            strtree = 1;
        else if (!strcmp(argv[i], "--k") && i + 1 < argc)
            k_only = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--cache") && i + 1 < argc)
            cache = argv[++i];
        else if (!strcmp(argv[i], "--export") && i + 1 < argc)
            export_dir = argv[++i];
        else if (!strcmp(argv[i], "--e2e") && i + 1 < argc)
            e2e_dir = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--nodes N] [--runs R] [--seed S] [--facilities F] [--origins O] "
                            "[--metric distance|time] [--cache FILE] [--k 1|2] [--compare-strtree] [--roads FILE[:LAYER] "
                            "[--mode car|bike|walk]] [--export DIR | --e2e DIR]\n", argv[0]);
            return 1;
        }
    }
    if (runs < 1)
        runs = 1;
    if (e2e_dir)
        return run_e2e(e2e_dir, cache, mode_name);
    rng ^= seed * 0x9e3779b97f4a7c15ULL;

    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    pl_error err = {0};
    pl_graph_opts go;
    pl_graph_opts_default(&go);
    if (pl_mode_from_name(mode_name, &go.mode) != PL_OK) {
        fprintf(stderr, "--mode: car, bike or walk\n");
        return 1;
    }
    double t0 = pl_now_s();
    pl_roads *r;
    double *fx, *fy, *ox, *oy;
    uint32_t W = 0, H = 0;
    if (roads_spec) {
        GDALAllRegister();
        r = pl_roads_load(ctx, roads_spec, NULL, &err);
        if (!r) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        size_t nv = r->first_vertex[r->n];
        fx = pl_malloc((size_t)n_fac * sizeof *fx);
        fy = pl_malloc((size_t)n_fac * sizeof *fy);
        ox = pl_malloc((size_t)n_orig * sizeof *ox);
        oy = pl_malloc((size_t)n_orig * sizeof *oy);
        for (long i = 0; i < n_fac + n_orig; i++) {
            size_t v = (size_t)(next_u64() % nv);
            double x = r->vx[v] + 100 * uniform() - 50, y = r->vy[v] + 100 * uniform() - 50;
            if (i < n_fac) {
                fx[i] = x;
                fy[i] = y;
            } else {
                ox[i - n_fac] = x;
                oy[i - n_fac] = y;
            }
        }
    } else {
    /* ---- workload ---- */
    W = (uint32_t)llround(sqrt((double)n_target * 1.28));
    H = (uint32_t)((n_target + W - 1) / W);
    if (n_target == 2000000) {
        W = 1600;
        H = 1250;
    }
    uint32_t N = W * H;
    double *nx = pl_malloc((size_t)N * sizeof *nx), *ny = pl_malloc((size_t)N * sizeof *ny);
    for (uint32_t j = 0; j < H; j++)
        for (uint32_t i = 0; i < W; i++) {
            nx[j * W + i] = 500000.0 + 150.0 * i + (uniform() * 80.0 - 40.0);
            ny[j * W + i] = 6400000.0 + 150.0 * j + (uniform() * 80.0 - 40.0);
        }
    lines L = {0};
    for (uint32_t j = 0; j < H; j++)
        for (uint32_t i = 0; i < W; i++) {
            uint32_t v = j * W + i;
            if (i + 1 < W && uniform() >= 0.05)
                add_line(&L, v, v + 1);
            if (j + 1 < H && uniform() >= 0.05)
                add_line(&L, v, v + W);
            if (i + 1 < W && j + 1 < H && uniform() < 0.04) {
                if (uniform() < 0.5)
                    add_line(&L, v, v + W + 1);
                else
                    add_line(&L, v + 1, v + W);
            }
        }
    r = pl_calloc(1, sizeof *r);
    r->n = L.n;
    r->first_vertex = pl_malloc((L.n + 1) * sizeof *r->first_vertex);
    r->vx = pl_malloc(2 * L.n * sizeof *r->vx);
    r->vy = pl_malloc(2 * L.n * sizeof *r->vy);
    r->id = pl_malloc(L.n * sizeof *r->id);
    r->road_class = pl_malloc(L.n);
    r->speed_kmh = pl_calloc(L.n, sizeof *r->speed_kmh);
    r->oneway = pl_calloc(L.n, 1);
    r->flags = pl_calloc(L.n, 1);
    r->layer = pl_calloc(L.n, 1);
    r->source = pl_strdup("bench grid");
    for (size_t e = 0; e < L.n; e++) {
        r->first_vertex[e] = 2 * e;
        r->vx[2 * e] = nx[L.a[e]];
        r->vy[2 * e] = ny[L.a[e]];
        r->vx[2 * e + 1] = nx[L.b[e]];
        r->vy[2 * e + 1] = ny[L.b[e]];
        r->id[e] = (int64_t)e;
        double u = uniform();
        r->road_class[e] = u < 0.7 ? PL_ROAD_RESIDENTIAL : u < 0.9 ? PL_ROAD_TERTIARY : PL_ROAD_SECONDARY;
    }
    r->first_vertex[L.n] = 2 * L.n;
    free(L.a);
    free(L.b);
    /* Facilities and origins at random nodes (facilities distinct). */
    fx = pl_malloc((size_t)n_fac * sizeof *fx);
    fy = pl_malloc((size_t)n_fac * sizeof *fy);
    ox = pl_malloc((size_t)n_orig * sizeof *ox);
    oy = pl_malloc((size_t)n_orig * sizeof *oy);
    uint8_t *taken = pl_calloc(N, 1);
    for (long i = 0; i < n_fac; i++) {
        uint32_t v;
        do
            v = (uint32_t)(next_u64() % N);
        while (taken[v]);
        taken[v] = 1;
        fx[i] = nx[v];
        fy[i] = ny[v];
    }
    free(taken);
    for (long i = 0; i < n_orig; i++) {
        uint32_t v = (uint32_t)(next_u64() % N);
        ox[i] = nx[v];
        oy[i] = ny[v];
    }
    free(nx);
    free(ny);
    }
    double t_gen = pl_now_s() - t0;
    t0 = pl_now_s();
    pl_graph *g = pl_graph_build(ctx, r, &go, &err);
    double t_build = pl_now_s() - t0;
    if (!g) {
        fprintf(stderr, "build failed: %s\n", err.msg);
        return 2;
    }
    double t_cache_write = NAN, t_cache_read = NAN;
    if (cache) {
        remove(cache);
        go.cache_path = cache;
        t0 = pl_now_s();
        pl_graph *g2 = pl_graph_build(ctx, r, &go, &err); /* builds and writes */
        t_cache_write = pl_now_s() - t0;
        pl_graph_free(g2);
        t0 = pl_now_s();
        g2 = pl_graph_build(ctx, r, &go, &err);
        t_cache_read = pl_now_s() - t0;
        if (!g2->from_cache)
            fprintf(stderr, "warning: cache was not used\n");
        pl_graph_free(g2);
    }
    pl_snap_opts so;
    pl_snap_opts_default(&so);
    pl_snap *fs = pl_malloc((size_t)n_fac * sizeof *fs), *os = pl_malloc((size_t)n_orig * sizeof *os);
    t0 = pl_now_s();
    pl_graph_snap(ctx, g, r, fx, fy, (size_t)n_fac, &so, fs, &err);
    double t_snap_fac = pl_now_s() - t0;
    t0 = pl_now_s();
    pl_graph_snap(ctx, g, r, ox, oy, (size_t)n_orig, &so, os, &err);
    double t_snap = pl_now_s() - t0;

    if (roads_spec)
        printf("# routing benchmark: %s (%s), %ld facilities, %ld origins, seed %llu, metric %s, %ld runs (median)\n",
               roads_spec, pl_mode_name(go.mode), n_fac, n_orig, (unsigned long long)seed,
               metric == PL_METRIC_TIME ? "time" : "distance", runs);
    else
        printf("# routing benchmark: %u x %u jittered grid, seed %llu, metric %s, %ld runs (median)\n", W, H,
               (unsigned long long)seed, metric == PL_METRIC_TIME ? "time" : "distance", runs);
    printf("graph: %u nodes, %u edges, %u arcs, %u components (largest %u)\n", g->n_nodes, g->n_edges, g->n_arcs,
           g->n_components, g->component_nodes[0]);
    printf("%-34s %12s\n", "stage", "seconds");
    printf("%-34s %12.3f\n", roads_spec ? "load roads" : "generate workload", t_gen);
    printf("%-34s %12.3f   (%zu roads)\n", "build graph", t_build, r->n);
    if (cache) {
        printf("%-34s %12.3f\n", "build + write cache", t_cache_write);
        printf("%-34s %12.3f\n", "read cache (warm run)", t_cache_read);
    }
    printf("%-34s %12.3f\n", "snap facilities (grid + queries)", t_snap_fac);
    printf("%-34s %12.3f\n", "snap origins (grid + queries)", t_snap);
    if (strtree) {
        double mean = 0;
        for (long i = 0; i < n_orig; i++)
            mean += os[i].access_m;
        printf("%-34s %12s   (mean distance %.3f m)\n", "  (platsa grid)", "", mean / n_orig);
        compare_strtree(ctx, g, r, ox, oy, (size_t)n_orig, pl_now_s);
    }
    printf("\n%-6s %9s %9s %9s %11s %11s %12s %9s %7s %8s\n", "search", "median s", "min s", "cpu s", "labels",
           "scans", "bucket ops", "ns/label", "goal s", "peak MB");
    pl_label *out = pl_malloc((size_t)n_orig * 3 * sizeof *out);
    pl_label *k1 = export_dir ? pl_malloc((size_t)n_orig * sizeof *k1) : NULL;
    double goals[4] = {0, 0.6, 1.5, 0};
    for (int k = 1; k <= 2; k++) {
        if (k_only && k != k_only)
            continue;
        double *times = pl_malloc((size_t)runs * sizeof *times), *cpus = pl_malloc((size_t)runs * sizeof *cpus);
        pl_search_stats st;
        for (long i = 0; i < runs; i++) {
            pl_search_opts sopts = {.metric = metric, .k = k, .cutoff = INFINITY, .stats = &st};
            t0 = pl_now_s();
            double c0 = cpu_s();
            pl_graph_nearest_k(ctx, g, fs, (uint32_t)n_fac, os, (size_t)n_orig, &sopts, out, &err);
            times[i] = pl_now_s() - t0;
            cpus[i] = cpu_s() - c0;
        }
        qsort(times, (size_t)runs, sizeof *times, cmp_double);
        qsort(cpus, (size_t)runs, sizeof *cpus, cmp_double);
        double med = times[runs / 2];
        printf("k=%-4d %9.3f %9.3f %9.3f %11llu %11llu %12llu %9.1f %7.1f %8.0f\n", k, med, times[0],
               cpus[runs / 2], (unsigned long long)st.labels, (unsigned long long)st.settled,
               (unsigned long long)st.heap_pushes, 1e9 * med / (double)st.labels, goals[k], peak_rss_mb());
        /* A checksum so runs can be compared. */
        double sum = 0;
        size_t reach = 0;
        for (long i = 0; i < n_orig; i++)
            if (isfinite(out[i * k].dist_m)) {
                sum += out[i * k].dist_m;
                reach++;
            }
        printf("         reached %zu of %ld origins, mean nearest %.1f m\n", reach, n_orig, reach ? sum / reach : 0);
        if (k == 1 && k1)
            memcpy(k1, out, (size_t)n_orig * sizeof *k1);
        free(times);
        free(cpus);
    }
    if (export_dir) {
        if (!k1 || (k_only && k_only != 1)) {
            fprintf(stderr, "--export needs the k=1 search (leave out --k 2)\n");
            return 1;
        }
        double te = pl_now_s();
        if (export_workload(export_dir, g, r, fx, fy, n_fac, ox, oy, n_orig, fs, os, k1) != 0) {
            fprintf(stderr, "%s: export failed\n", export_dir);
            return 1;
        }
        printf("exported the workload to %s in %.1f s\n", export_dir, pl_now_s() - te);
    }
    free(k1);
    free(out);
    free(fs);
    free(os);
    free(fx);
    free(fy);
    free(ox);
    free(oy);
    pl_graph_free(g);
    pl_roads_free(r);
    pl_ctx_free(ctx);
    return 0;
}
