/* SPDX-License-Identifier: GPL-3.0-or-later */
/* 3-30-300 benchmark on a synthetic city, generated deterministically (splitmix64, fixed seed).
 *
 * Layout: square blocks of 100 m on a 120 m pitch (20 m streets). Eight blocks in nine hold
 * 4 x 4 buildings (about 16 x 14 m, sizes jittered, 6-10 m apart; every third building shares
 * a wall with its east neighbour); the ninth is a park of 1 ha crossed by a north-south
 * footway (one park in four is a 0.36 ha pocket park, below the 0.5 ha rule; one in 27 is a
 * pond: water, not green). Streets are one line per block side with a vertex at the
 * middle, where the park paths join. Trees (default 2,000,000): half are street trees 7 m
 * either side of the street axes, 30 % in parks (crown radius 2-5 m), 20 % anywhere in a
 * leafy district, the south-west sixteenth of the city (some inside buildings; 3-7 m). Residents 5-60 per building. Neighbourhoods: 250 m squares.
 * Canopy: the trees' crowns (no canopy layer), so rule 30 integrates 2 M disks.
 *
 * Reports the time of each stage (monotonic clock; the analysis stages as reported through
 * the progress callback), the shares, and the peak RSS (getrusage). With --write FILE the
 * GeoPackage is written too (timed separately).
 *
 * usage: bench_green [--buildings N] [--trees N] [--seed S] [--write OUT.gpkg] */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "analyses/green/green.h"
#include "gis/graph.h"
#include "gis/roads.h"
#include "gis/util.h"

static uint64_t rng = 0x853c49e6748fea9bULL;
static uint64_t next_u64(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static double uniform(void) { return (double)(next_u64() >> 11) / 9007199254740992.0; }

static double cpu_total_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_sec +
           1e-6 * (double)ru.ru_stime.tv_usec;
}

static double peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0;
}

/* Stage timing through the progress callback: a stage runs from its first report to the
 * first report of the next one. */
#define MAX_STAGES 32
typedef struct stage_clock {
    const char *name[MAX_STAGES];
    double start[MAX_STAGES];
    int n;
    double end;
} stage_clock;

static int on_progress(double fraction, const char *stage, void *user)
{
    (void)fraction;
    stage_clock *c = user;
    double t = pl_now_s();
    c->end = t;
    if (c->n > 0 && !strcmp(c->name[c->n - 1], stage))
        return 0;
    for (int i = 0; i < c->n; i++)
        if (!strcmp(c->name[i], stage))
            return 0; /* a stage reported again after another: counted in the first */
    if (c->n < MAX_STAGES) {
        c->name[c->n] = stage;
        c->start[c->n] = t;
        c->n++;
    }
    return 0;
}

typedef struct roads_b {
    size_t n, nv, cap, capv;
    pl_roads *r;
} roads_b;

static void road_add(roads_b *B, const double *xy, int nv, pl_road_class cls)
{
    pl_roads *r = B->r;
    if (B->n + 1 >= B->cap) {
        B->cap = B->cap ? 2 * B->cap : 1 << 16;
        r->first_vertex = pl_realloc(r->first_vertex, (B->cap + 1) * sizeof *r->first_vertex);
        r->id = pl_realloc(r->id, B->cap * sizeof *r->id);
        r->road_class = pl_realloc(r->road_class, B->cap);
        r->speed_kmh = pl_realloc(r->speed_kmh, B->cap * sizeof *r->speed_kmh);
        r->oneway = pl_realloc(r->oneway, B->cap);
        r->flags = pl_realloc(r->flags, B->cap);
        r->layer = pl_realloc(r->layer, B->cap);
    }
    if (B->nv + (size_t)nv > B->capv) {
        while (B->nv + (size_t)nv > B->capv)
            B->capv = B->capv ? 2 * B->capv : 1 << 18;
        r->vx = pl_realloc(r->vx, B->capv * sizeof *r->vx);
        r->vy = pl_realloc(r->vy, B->capv * sizeof *r->vy);
    }
    r->first_vertex[B->n] = B->nv;
    for (int k = 0; k < nv; k++) {
        r->vx[B->nv] = xy[2 * k];
        r->vy[B->nv] = xy[2 * k + 1];
        B->nv++;
    }
    r->id[B->n] = (int64_t)B->n;
    r->road_class[B->n] = (uint8_t)cls;
    r->speed_kmh[B->n] = 0;
    r->oneway[B->n] = 0;
    r->flags[B->n] = 0;
    r->layer[B->n] = 0;
    B->n++;
    r->first_vertex[B->n] = B->nv;
    r->n = B->n;
}

int main(int argc, char **argv)
{
    long n_buildings = 1000000, n_trees = 2000000;
    uint64_t seed = 3030300;
    const char *write_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--buildings") && i + 1 < argc)
            n_buildings = atol(argv[++i]);
        else if (!strcmp(argv[i], "--trees") && i + 1 < argc)
            n_trees = atol(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--write") && i + 1 < argc)
            write_path = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--buildings N] [--trees N] [--seed S] [--write OUT.gpkg]\n", argv[0]);
            return 1;
        }
    }
    rng ^= seed * 0x9e3779b97f4a7c15ULL;
    pl_ctx *ctx = pl_ctx_new();
    ctx->quiet = 1;
    GEOSContextHandle_t h = ctx->geos;
    const double X = 400000.0, Y = 6150000.0, P = 120.0, BS = 100.0;

    /* ---- synthetic city ---- */
    double t0 = pl_now_s();
    long blocks_needed = (n_buildings + 15) / 16;
    long side = (long)ceil(sqrt((double)blocks_needed * 9.0 / 8.0)) + 1;
    pl_buildings *B = pl_calloc(1, sizeof *B);
    B->geom = pl_malloc((size_t)n_buildings * sizeof *B->geom);
    B->id = pl_malloc((size_t)n_buildings * sizeof *B->id);
    B->residential = pl_malloc((size_t)n_buildings);
    B->pop = pl_malloc((size_t)n_buildings * sizeof *B->pop);
    B->dwellings = pl_malloc((size_t)n_buildings * sizeof *B->dwellings);
    B->has_residential = B->has_pop = 1;
    B->source = pl_strdup("synthetic");
    pl_green_areas *G = pl_calloc(1, sizeof *G);
    size_t cap_g = 0;
    pl_polygons *W = pl_calloc(1, sizeof *W);
    size_t cap_w = 0;
    roads_b RB = {0};
    RB.r = pl_calloc(1, sizeof *RB.r);
    RB.r->source = pl_strdup("synthetic streets");
    char id[32];
    long nb = 0, n_parks = 0;
    for (long j = 0; j < side && nb < n_buildings; j++) {
        for (long i = 0; i < side && nb < n_buildings; i++) {
            double bx = X + (double)i * P, by = Y + (double)j * P;
            if (i % 3 == 1 && j % 3 == 1) {
                /* Park, pocket park or pond. */
                long k = n_parks++;
                int pond = k % 27 == 13, pocket = !pond && k % 4 == 3;
                double x0 = bx, y0 = by, x1 = bx + BS, y1 = by + BS;
                if (pocket) {
                    x0 = bx + 20;
                    y0 = by + 20;
                    x1 = bx + 80;
                    y1 = by + 80;
                }
                GEOSGeometry *poly = GEOSGeom_createRectangle_r(h, x0, y0, x1, y1);
                if (pond) {
                    if (W->n == cap_w) {
                        cap_w = cap_w ? 2 * cap_w : 256;
                        W->geom = pl_realloc(W->geom, cap_w * sizeof *W->geom);
                        W->id = pl_realloc(W->id, cap_w * sizeof *W->id);
                        W->value = pl_realloc(W->value, cap_w * sizeof *W->value);
                    }
                    snprintf(id, sizeof id, "w%ld", k);
                    W->geom[W->n] = poly;
                    W->id[W->n] = pl_strdup(id);
                    W->value[W->n] = NAN;
                    W->n++;
                    continue;
                }
                if (G->n == cap_g) {
                    cap_g = cap_g ? 2 * cap_g : 256;
                    G->geom = pl_realloc(G->geom, cap_g * sizeof *G->geom);
                    G->id = pl_realloc(G->id, cap_g * sizeof *G->id);
                    G->name = pl_realloc(G->name, cap_g * sizeof *G->name);
                    G->kind = pl_realloc(G->kind, cap_g * sizeof *G->kind);
                    G->is_public = pl_realloc(G->is_public, cap_g);
                }
                snprintf(id, sizeof id, "p%ld", k);
                G->geom[G->n] = poly;
                G->id[G->n] = pl_strdup(id);
                G->name[G->n] = pl_strdup("");
                G->kind[G->n] = pl_strdup("park");
                G->is_public[G->n] = 1;
                G->n++;
                /* A footway through the park from street to street (mid vertices). */
                double path[] = {bx + 50, by - 10, bx + 50, by + 110};
                road_add(&RB, path, 2, PL_ROAD_FOOTWAY);
                continue;
            }
            for (int bj = 0; bj < 4 && nb < n_buildings; bj++) {
                double east_edge = -1;
                for (int bi = 0; bi < 4 && nb < n_buildings; bi++) {
                    double x0 = bx + 3 + bi * 24 + uniform() * 2, y0 = by + 4 + bj * 24 + uniform() * 2;
                    if (east_edge > 0)
                        x0 = east_edge; /* shares a wall with its west neighbour */
                    double x1 = bx + 3 + bi * 24 + 15 + uniform() * 3, y1 = y0 + 13 + uniform() * 3;
                    east_edge = (nb % 3 == 0 && bi < 3) ? bx + 3 + (bi + 1) * 24 + 0.0 : -1;
                    if (east_edge > 0)
                        x1 = east_edge;
                    B->geom[nb] = GEOSGeom_createRectangle_r(h, x0, y0, x1, y1);
                    snprintf(id, sizeof id, "%ld", nb + 1);
                    B->id[nb] = pl_strdup(id);
                    B->residential[nb] = uniform() < 0.9;
                    B->pop[nb] = floor(5 + uniform() * 56);
                    B->dwellings[nb] = NAN;
                    nb++;
                }
            }
        }
    }
    B->n = (size_t)nb;
    /* Streets: one line per block side, with a vertex at the middle. */
    long rows = side;
    for (long j = 0; j <= rows; j++)
        for (long i = 0; i < side; i++) {
            double y = Y + (double)j * P - 10, x = X + (double)i * P - 10;
            double hs[] = {x, y, x + 60, y, x + P, y};
            road_add(&RB, hs, 3, PL_ROAD_RESIDENTIAL);
        }
    for (long i = 0; i <= side; i++)
        for (long j = 0; j < rows; j++) {
            double x = X + (double)i * P - 10, y = Y + (double)j * P - 10;
            double vs[] = {x, y, x, y + 60, x, y + P};
            road_add(&RB, vs, 3, PL_ROAD_RESIDENTIAL);
        }
    /* Trees. */
    pl_trees *T = pl_calloc(1, sizeof *T);
    T->x = pl_malloc((size_t)n_trees * sizeof *T->x);
    T->y = pl_malloc((size_t)n_trees * sizeof *T->y);
    T->id = pl_malloc((size_t)n_trees * sizeof *T->id);
    T->crown_m = pl_malloc((size_t)n_trees * sizeof *T->crown_m);
    T->has_crown = 1;
    T->source = pl_strdup("synthetic trees");
    double extent = (double)side * P;
    for (long t = 0; t < n_trees; t++) {
        double u = uniform(), x, y;
        if (u < 0.5) {
            /* Street tree: along a random street axis, 7 m to one side. */
            double along = uniform() * extent, side_off = uniform() < 0.5 ? -7 : 7;
            long k = (long)(uniform() * (double)side);
            if (uniform() < 0.5) {
                x = X + along - 10;
                y = Y + (double)k * P - 10 + side_off;
            } else {
                x = X + (double)k * P - 10 + side_off;
                y = Y + along - 10;
            }
        } else if (u < 0.8 && G->n > 0) {
            size_t g = (size_t)(uniform() * (double)G->n);
            double x0, y0, x1, y1;
            GEOSGeom_getExtent_r(h, G->geom[g], &x0, &y0, &x1, &y1);
            x = x0 + uniform() * (x1 - x0);
            y = y0 + uniform() * (y1 - y0);
        } else {
            /* A leafy district: the south-west sixteenth of the city, big crowns. */
            x = X + uniform() * extent / 4;
            y = Y + uniform() * extent / 4;
        }
        T->x[t] = x;
        T->y[t] = y;
        T->id[t] = NULL;
        T->crown_m[t] = u < 0.8 ? 2 + uniform() * 3 : 3 + uniform() * 4;
    }
    T->n = (size_t)n_trees;
    for (long t = 0; t < n_trees; t++) {
        snprintf(id, sizeof id, "t%ld", t);
        T->id[t] = pl_strdup(id);
    }
    double t_gen = pl_now_s() - t0;
    printf("bench_green: SYNTHETIC deterministic city (seed %llu): %zu buildings, %zu trees, %zu parks, "
           "%zu ponds, %zu road lines, %.0f x %.0f km\n",
           (unsigned long long)seed, B->n, T->n, G->n, W->n, RB.n, extent / 1000, extent / 1000);
    printf("  generate            %7.2f s\n", t_gen);

    pl_error err = {0};
    pl_graph_opts go;
    pl_graph_opts_default(&go);
    go.mode = PL_MODE_WALK;
    t0 = pl_now_s();
    pl_graph *graph = pl_graph_build(ctx, RB.r, &go, &err);
    if (!graph) {
        fprintf(stderr, "graph: %s\n", err.msg);
        return 2;
    }
    double t_graph = pl_now_s() - t0;
    printf("  walking graph       %7.2f s  (%u nodes, %u edges)\n", t_graph, graph->n_nodes, graph->n_edges);

    stage_clock clk = {0};
    ctx->progress = on_progress;
    ctx->progress_user = &clk;
    pl_green_params p;
    pl_green_params_default(&p);
    pl_green_inputs in = {.buildings = B, .trees = T, .green = G, .water = W, .roads = RB.r, .graph = graph};
    pl_green_result *r = NULL;
    t0 = pl_now_s();
    if (pl_green_compute(ctx, &in, &p, &r, &err) != PL_OK) {
        fprintf(stderr, "compute: %s\n", err.msg);
        return 2;
    }
    double t_compute = pl_now_s() - t0;
    for (int i = 0; i < clk.n; i++) {
        double end = i + 1 < clk.n ? clk.start[i + 1] : t0 + t_compute;
        printf("    %-34s %7.2f s\n", clk.name[i], end - clk.start[i]);
    }
    printf("  compute (all rules) %7.2f s\n", t_compute);
    ctx->progress = NULL;
    double t_write = NAN;
    if (write_path) {
        t0 = pl_now_s();
        unlink(write_path);
        pl_green_write_opts wo = {.output = write_path, .overwrite = 1, .command_line = "bench_green",
                                  .timestamp = "2024-01-01T00:00:00Z"};
        if (pl_green_write(ctx, &in, &p, r, &wo, &err) != PL_OK) {
            fprintf(stderr, "write: %s\n", err.msg);
            return 2;
        }
        t_write = pl_now_s() - t0;
        printf("  write GeoPackage    %7.2f s  (%s)\n", t_write, write_path);
    }
    const pl_green_stats *s = &r->total;
    printf("  homes %ld; meet 3: %.2f %%, 30: %.2f %%, 300: %.2f %%, all three: %.2f %% (of homes)\n", s->homes,
           pl_green_share_bld(s, 0), pl_green_share_bld(s, 1), pl_green_share_bld(s, 2), pl_green_share_bld(s, 3));
    printf("  neighbourhoods %zu, green areas kept %zu, entries %zu\n", r->n_nbh, r->n_areas, r->n_entries);
    printf("  total: generate + graph + compute%s = %.2f s wall, %.2f s CPU (user + system; the wall time\n"
           "         grows when other jobs share the cores); peak RSS %.0f MB\n",
           write_path ? " + write" : "", t_gen + t_graph + t_compute + (write_path ? t_write : 0), cpu_total_s(),
           peak_rss_mb());
    pl_green_result_free(ctx, r);
    pl_graph_free(graph);
    pl_roads_free(RB.r);
    pl_trees_free(T);
    pl_buildings_free(ctx, B);
    pl_green_areas_free(ctx, G);
    pl_polygons_free(ctx, W);
    pl_ctx_free(ctx);
    return 0;
}
