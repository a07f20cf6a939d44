/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa route: build the road graph of a mode, print its statistics and, given two
 * places, the shortest and the fastest way between them (a diagnostics command). */
#include "analyses/route/route.h"

#include <math.h>
#include <ogr_srs_api.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyses/common/run.h"
#include "gis/commit.h"
#include "gis/graph.h"
#include "gis/options.h"
#include "layers/layers.h"

const pl_option pl_route_options[] = {
    {"roads", 'r', PL_OPT_STRING, offsetof(pl_route_opts, roads), "FILE[:LAYER]", NULL,
     "road lines (OSM/OSMnx export, NVDB-style, Geofabrik shapefile, plain lines)", 1, PL_NO_RANGE},
    {"layer", 0, PL_OPT_STRING, offsetof(pl_route_opts, layer), "NAME", NULL, "layer of the roads file", 0, PL_NO_RANGE},
    PL_ROAD_FIELD_OPTIONS(pl_route_opts, road),
    {"mode", 'm', PL_OPT_STRING, offsetof(pl_route_opts, mode), "car|bike|walk", "car", "travel mode", 0, PL_NO_RANGE},
    {"from", 0, PL_OPT_DOUBLES, offsetof(pl_route_opts, from), "X,Y", NULL, "start place (working CRS, or --lonlat)", 0, PL_TUPLE(2)},
    {"to", 0, PL_OPT_DOUBLES, offsetof(pl_route_opts, to), "X,Y", NULL, "destination place", 0, PL_TUPLE(2)},
    {"lonlat", 0, PL_OPT_FLAG, offsetof(pl_route_opts, lonlat), NULL, NULL,
     "--from/--to are WGS 84 longitude,latitude", 0, PL_NO_RANGE},
    {"crs", 0, PL_OPT_STRING, offsetof(pl_route_opts, crs), "EPSG:n", "EPSG:3006", "working CRS (metres)", 0, PL_NO_RANGE},
    {"assume-crs", 0, PL_OPT_STRING, offsetof(pl_route_opts, assume_crs), "EPSG:n", NULL,
     "CRS of a roads file that has none", 0, PL_NO_RANGE},
    {"source-field", 0, PL_OPT_STRING, offsetof(pl_route_opts, source_field), "FIELD", NULL,
     "topology id of each line's first vertex (with --target-field; default: fields source and target "
     "when both are integers, else u and v): lines join where ids are equal, never by position", 0, PL_NO_RANGE},
    {"target-field", 0, PL_OPT_STRING, offsetof(pl_route_opts, target_field), "FIELD", NULL,
     "topology id of each line's last vertex", 0, PL_NO_RANGE},
    {"snap-tolerance", 0, PL_OPT_DOUBLE, offsetof(pl_route_opts, snap_tolerance), "M", "0.5",
     "vertices closer than this are at one place (joined by the junction table; not used with ids)", 0, PL_GE(0)},
    {"no-intersections", 0, PL_OPT_FLAG, offsetof(pl_route_opts, no_intersections), NULL, NULL,
     "join lines only at their ends, never at shared interior vertices (not used with ids)", 0, PL_NO_RANGE},
    {"ferry-speed", 0, PL_OPT_DOUBLE, offsetof(pl_route_opts, ferry_speed), "KM/H", "20", "ferry speed", 0, PL_GT(0)},
    {"max-snap", 0, PL_OPT_DOUBLE, offsetof(pl_route_opts, max_snap), "M", "1000",
     "places farther from a road are flagged", 0, PL_GT(0)},
    {"min-component", 0, PL_OPT_INT, offsetof(pl_route_opts, min_component), "NODES", "50",
     "pass over road fragments smaller than this when the main network is within --max-snap", 0, PL_GE(0)},
    {"graph-cache", 0, PL_OPT_STRING, offsetof(pl_route_opts, cache), "FILE", NULL,
     "graph cache file: read when it matches the roads, else written", 0, PL_OUTPUT_PATH},
    {"dump-graph", 0, PL_OPT_STRING, offsetof(pl_route_opts, dump_graph), "FILE.csv", NULL,
     "write the edges (id,source,target,length,reverse_length,time,reverse_time; -1 = closed) for "
     "cross-checks with other routers", 0, PL_OUTPUT_PATH},
    {"dump-pairs", 0, PL_OPT_STRING, offsetof(pl_route_opts, dump_pairs), "FILE.csv", NULL,
     "write node-to-node shortest distances and fastest times of sampled pairs (source,target,"
     "length_m,time_s; node ids as in --dump-graph; then the nodes' coordinates source_x,source_y,"
     "target_x,target_y and, for roads with topology ids, their ids source_id,target_id)", 0, PL_OUTPUT_PATH},
    {"pairs", 0, PL_OPT_INT, offsetof(pl_route_opts, pairs), "N", "400", "pairs sampled for --dump-pairs", 0, PL_GE(1)},
    {"pairs-all", 0, PL_OPT_FLAG, offsetof(pl_route_opts, pairs_all), NULL, NULL,
     "draw the pairs from every node, not only the largest component's (a topology check)", 0, PL_NO_RANGE},
    PL_OPT_END,
};

const char pl_route_usage[] = "platsa route --roads FILE[:LAYER] [--mode car|bike|walk] [--from X,Y --to X,Y]";
const char pl_route_summary[] =
    "Builds the routable graph of the road network for one travel mode and prints its size,\n"
    "components and islands; with --from and --to, the shortest and the fastest way between\n"
    "the two places (network distance plus the straight access legs to the nearest roads).";

static int to_work(pl_ctx *ctx, double *x, double *y, pl_error *err)
{
    OGRSpatialReferenceH wgs = OSRNewSpatialReference(NULL), work = OSRNewSpatialReference(NULL);
    OSRSetAxisMappingStrategy(wgs, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(work, OAMS_TRADITIONAL_GIS_ORDER);
    int rc = PL_OK;
    if (OSRSetFromUserInput(wgs, "EPSG:4326") != OGRERR_NONE || OSRSetFromUserInput(work, ctx->work_crs) != OGRERR_NONE)
        rc = pl_error_set(err, PL_EINPUT, "cannot set up the transform from WGS 84 to %s", ctx->work_crs);
    OGRCoordinateTransformationH ct = rc == PL_OK ? OCTNewCoordinateTransformation(wgs, work) : NULL;
    if (rc == PL_OK && (!ct || !OCTTransform(ct, 1, x, y, NULL)))
        rc = pl_error_set(err, PL_EINPUT, "cannot transform %g,%g to %s", *x, *y, ctx->work_crs);
    if (ct)
        OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(wgs);
    OSRDestroySpatialReference(work);
    return rc;
}

/* A place exactly at node v (for node-to-node queries). */
static pl_snap node_place(uint32_t v)
{
    pl_snap s;
    memset(&s, 0, sizeof s);
    s.node_a = s.node_b = v;
    s.to_a = s.to_b = s.from_a = s.from_b = 1;
    s.edge = s.road = UINT32_MAX;
    s.status = PL_SNAP_OK;
    return s;
}

static void dump_graph(const pl_graph *g, FILE *f)
{
    fprintf(f, "id,source,target,length,reverse_length,time,reverse_time\n");
    for (uint32_t e = 0; e < g->n_edges; e++) {
        int fw = g->edge_dir[e] & 1, bw = (g->edge_dir[e] & 2) != 0;
        /* %.17g of the float widened to double: the exact stored value */
        fprintf(f, "%u,%u,%u,%.17g,%.17g,%.17g,%.17g\n", e + 1, g->edge_a[e] + 1, g->edge_b[e] + 1,
                fw ? g->edge_len_m[e] : -1.0, bw ? g->edge_len_m[e] : -1.0, fw ? g->edge_time_s[e] : -1.0,
                bw ? g->edge_time_s[e] : -1.0);
    }
}

/* Per node, the topology id of the line ends at it (roads with ids: every edge is a whole
 * line, from its source to its target); NULL without ids. */
static int64_t *node_ids(const pl_graph *g, const pl_roads *roads)
{
    if (!roads->node_source)
        return NULL;
    int64_t *id = pl_calloc(g->n_nodes ? g->n_nodes : 1, sizeof *id);
    for (uint32_t e = 0; e < g->n_edges; e++) {
        id[g->edge_a[e]] = roads->node_source[g->edge_road[e]];
        id[g->edge_b[e]] = roads->node_target[g->edge_road[e]];
    }
    return id;
}

static void print_node(FILE *f, const pl_graph *g, uint32_t v)
{
    fprintf(f, ",%.3f,%.3f", g->node_x[v], g->node_y[v]);
}

static void dump_pairs(pl_ctx *ctx, const pl_graph *g, const pl_roads *roads, FILE *f, int n_pairs, int all,
                       pl_error *err)
{
    int64_t *ids = node_ids(g, roads);
    fprintf(f, "source,target,length_m,time_s,source_x,source_y,target_x,target_y,source_id,target_id\n");
    /* Sources and targets drawn (seeded) from the largest component, or from all nodes. */
    uint32_t *main_nodes = pl_malloc((g->n_nodes ? g->n_nodes : 1) * sizeof *main_nodes), nm = 0;
    for (uint32_t v = 0; v < g->n_nodes; v++)
        if (all || g->component[v] == 0)
            main_nodes[nm++] = v;
    int per = (int)ceil(sqrt((double)(n_pairs > 0 ? n_pairs : 1)));
    uint64_t state = 0x2545f4914f6cdd1dULL;
    pl_snap *to = pl_malloc((size_t)per * sizeof *to);
    uint32_t *tv = pl_malloc((size_t)per * sizeof *tv);
    pl_label *ld = pl_malloc((size_t)per * sizeof *ld), *lt = pl_malloc((size_t)per * sizeof *lt);
    int written = 0;
    for (int i = 0; i < per && nm && written < n_pairs; i++) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        uint32_t s = main_nodes[(state >> 33) % nm];
        for (int j = 0; j < per; j++) {
            state = state * 6364136223846793005ULL + 1442695040888963407ULL;
            tv[j] = main_nodes[(state >> 33) % nm];
            to[j] = node_place(tv[j]);
        }
        pl_snap from = node_place(s);
        pl_graph_one_to_many(ctx, g, &from, to, (size_t)per, PL_METRIC_DISTANCE, ld, err);
        pl_graph_one_to_many(ctx, g, &from, to, (size_t)per, PL_METRIC_TIME, lt, err);
        for (int j = 0; j < per && written < n_pairs; j++, written++) {
            fprintf(f, "%u,%u,%.17g,%.17g", s + 1, tv[j] + 1, ld[j].dist_m, lt[j].time_s);
            print_node(f, g, s);
            print_node(f, g, tv[j]);
            if (ids)
                fprintf(f, ",%lld,%lld\n", (long long)ids[s], (long long)ids[tv[j]]);
            else
                fprintf(f, ",,\n");
        }
    }
    free(ids);
    free(main_nodes);
    free(to);
    free(tv);
    free(ld);
    free(lt);
}

/* --dump-graph and --dump-pairs: both complete in temporaries, then renamed into place
 * together (an existing dump is replaced; an input never). */
static int write_dumps(pl_ctx *ctx, const pl_graph *g, const pl_roads *roads, const pl_route_opts *o, pl_error *err)
{
    pl_commit *set = pl_commit_new();
    int rc = PL_OK;
    FILE *f = o->dump_graph ? pl_commit_temp_open(set, o->dump_graph, err) : NULL;
    if (o->dump_graph && !f)
        rc = err->code;
    if (f)
        dump_graph(g, f);
    f = rc == PL_OK && o->dump_pairs ? pl_commit_temp_open(set, o->dump_pairs, err) : NULL;
    if (rc == PL_OK && o->dump_pairs && !f)
        rc = err->code;
    if (f)
        dump_pairs(ctx, g, roads, f, o->pairs, o->pairs_all, err);
    if (rc == PL_OK)
        rc = pl_commit_run(set, err);
    pl_commit_free(set);
    return rc;
}

/* The dump paths, checked before the graph is built. */
static int check_dumps(const pl_route_opts *o, pl_error *err)
{
    const char *inputs[] = {o->roads, o->cache, NULL};
    const char *dumps[] = {o->dump_graph, o->dump_pairs};
    for (int i = 0; i < 2; i++)
        if (dumps[i] && pl_commit_check_path(dumps[i], 1, inputs, "give a .csv file name", err) != PL_OK)
            return err->code;
    if (o->dump_graph && o->dump_pairs && strcmp(o->dump_graph, o->dump_pairs) == 0)
        return pl_error_set(err, PL_EINPUT, "--dump-graph and --dump-pairs are both '%s'; give two file names",
                            o->dump_graph);
    return PL_OK;
}

static void print_snap(FILE *out, const char *what, double x, double y, const pl_snap *s, const pl_roads *r)
{
    if (s->status == PL_SNAP_NONE) {
        fprintf(out, "%-6s %.1f,%.1f: no road open to this mode\n", what, x, y);
        return;
    }
    fprintf(out, "%-6s %.1f,%.1f: on road %lld (%s), %.1f m from it%s\n", what, x, y, (long long)r->id[s->road],
           pl_road_class_name((pl_road_class)r->road_class[s->road]), s->access_m,
           s->status == PL_SNAP_TOO_FAR ? " (beyond --max-snap)" : "");
}

int pl_route_opts_init(pl_route_opts *o)
{
    memset(o, 0, sizeof *o);
    return pl_options_defaults(pl_route_options, o, NULL);
}

void pl_route_opts_free(pl_route_opts *o)
{
    pl_options_free(pl_route_options, o);
}

/* Everything that can be refused before the graph is built. */
static int check_opts(const pl_route_opts *o, pl_graph_opts *go, pl_error *err)
{
    if (pl_mode_from_name(o->mode, &go->mode) != PL_OK)
        return pl_error_set(err, PL_EINPUT, "--mode '%s': use car, bike or walk", o->mode);
    if ((o->from.n != 0 || o->to.n != 0) && (o->from.n != 2 || o->to.n != 2))
        return pl_error_set(err, PL_EINPUT, "--from and --to go together, each as X,Y");
    /* With --lonlat the places are degrees: checked now, not after the graph is built. */
    for (int k = 0; o->lonlat && k < 2; k++) {
        const pl_doubles *p = k ? &o->to : &o->from;
        if (p->n == 2 && !(fabs(p->v[0]) <= 180 && fabs(p->v[1]) <= 90))
            return pl_error_set(err, PL_EINPUT, "--%s %g,%g: with --lonlat give longitude,latitude in degrees "
                                "(-180..180, -90..90)", k ? "to" : "from", p->v[0], p->v[1]);
    }
    return PL_OK;
}

static void print_graph(FILE *out, const pl_graph *g, const pl_roads *roads, const char *cache)
{
    uint32_t island_nodes = g->n_nodes - (g->n_components ? g->component_nodes[0] : 0);
    fprintf(out, "roads:       %zu lines (%s)\n", roads->n, roads->source);
    fprintf(out, "mode:        %s\n", pl_mode_name(g->mode));
    fprintf(out, "nodes:       %u\n", g->n_nodes);
    fprintf(out, "edges:       %u\n", g->n_edges);
    fprintf(out, "arcs:        %u (directed)\n", g->n_arcs);
    fprintf(out, "components:  %u\n", g->n_components);
    fprintf(out, "islands:     %u, with %u nodes (%.2f %%) outside the largest component\n",
            g->n_components ? g->n_components - 1 : 0, island_nodes,
            g->n_nodes ? 100.0 * island_nodes / g->n_nodes : 0.0);
    if (g->n_components > 1) {
        fprintf(out, "largest:    ");
        for (uint32_t c = 0; c < g->n_components && c < 5; c++)
            fprintf(out, " %u", g->component_nodes[c]);
        fprintf(out, " nodes\n");
    }
    if (g->from_cache)
        fprintf(out, "cache:       read from %s\n", cache);
}

/* The shortest and the fastest way between --from and --to. */
static int print_route(pl_ctx *ctx, FILE *out, const pl_graph *g, const pl_roads *roads, const pl_route_opts *o,
                       pl_error *err)
{
    double x[2] = {o->from.v[0], o->to.v[0]}, y[2] = {o->from.v[1], o->to.v[1]};
    int rc = PL_OK;
    if (o->lonlat)
        for (int i = 0; i < 2 && rc == PL_OK; i++)
            rc = to_work(ctx, &x[i], &y[i], err);
    pl_snap s[2];
    pl_snap_opts so;
    pl_snap_opts_default(&so);
    so.max_snap_m = o->max_snap;
    so.min_component_nodes = o->min_component > 0 ? (uint32_t)o->min_component : 0;
    if (rc == PL_OK)
        rc = pl_graph_snap(ctx, g, roads, x, y, 2, &so, s, err);
    if (rc != PL_OK)
        return rc;
    print_snap(out, "from", x[0], y[0], &s[0], roads);
    print_snap(out, "to", x[1], y[1], &s[1], roads);
    pl_label shortest, fastest;
    pl_graph_one_to_many(ctx, g, &s[0], &s[1], 1, PL_METRIC_DISTANCE, &shortest, err);
    pl_graph_one_to_many(ctx, g, &s[0], &s[1], 1, PL_METRIC_TIME, &fastest, err);
    if (!isfinite(shortest.dist_m)) {
        fprintf(out, "route:       none: the places are on unconnected parts of the network\n");
    } else {
        fprintf(out, "shortest:    %.1f m, %.1f s (%.1f min)\n", shortest.dist_m, shortest.time_s,
                shortest.time_s / 60);
        fprintf(out, "fastest:     %.1f m, %.1f s (%.1f min)\n", fastest.dist_m, fastest.time_s,
                fastest.time_s / 60);
    }
    return PL_OK;
}

static int route_run(pl_ctx *ctx, const pl_route_opts *o, FILE *out, pl_error *err)
{
    pl_graph_opts go;
    pl_graph_opts_default(&go);
    if (check_opts(o, &go, err) != PL_OK)
        return err->code;
    snprintf(ctx->work_crs, sizeof ctx->work_crs, "%s", o->crs);
    go.snap_tolerance_m = o->snap_tolerance;
    go.node_intersections = !o->no_intersections;
    go.ferry_speed_kmh = o->ferry_speed;
    go.cache_path = o->cache;
    if (check_dumps(o, err) != PL_OK)
        return err->code;
    const char *cache_inputs[] = {o->roads};
    const char *cache_outputs[] = {o->dump_graph, o->dump_pairs};
    if (pl_graph_cache_check_path(o->cache, cache_inputs, 1, cache_outputs, 2, err) != PL_OK)
        return err->code;
    pl_load_opts lo;
    memset(&lo, 0, sizeof lo);
    lo.layer = o->layer;
    lo.assume_crs = o->assume_crs;
    lo.road = o->road;
    lo.source_field = o->source_field;
    lo.target_field = o->target_field;
    pl_roads *roads = pl_roads_load(ctx, o->roads, &lo, err);
    if (!roads)
        return err->code;
    pl_graph *g = pl_graph_build(ctx, roads, &go, err);
    if (!g) {
        pl_roads_free(roads);
        return err->code;
    }
    print_graph(out, g, roads, o->cache);
    int rc = PL_OK;
    if (o->dump_graph || o->dump_pairs)
        rc = write_dumps(ctx, g, roads, o, err);
    if (rc == PL_OK && o->from.n == 2)
        rc = print_route(ctx, out, g, roads, o, err);
    pl_graph_free(g);
    pl_roads_free(roads);
    return rc;
}

typedef struct route_call {
    pl_ctx *ctx;
    const pl_route_opts *o;
    FILE *out;
    pl_error *err;
} route_call;

static int route_call_run(void *arg)
{
    route_call *c = arg;
    return route_run(c->ctx, c->o, c->out, c->err);
}

int pl_route_run(pl_ctx *ctx, const pl_route_opts *o, FILE *out, pl_error *err)
{
    route_call c = {ctx, o, out, err};
    return pl_oom_guard(route_call_run, &c, pl_run_unwind, err);
}
