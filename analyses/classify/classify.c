/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Territorial classification by car travel time to the nearest large tätort. */
#include "classify.h"
#include "classify_styles.h"
#include "analyses/common/attach.h"
#include "layers/network.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gis/gpkg_writer.h"
#include "gis/util.h"
#include "analyses/common/fields.h"
#include "analyses/common/units.h"
#include "analyses/common/run.h"

const char *pl_class_name_sv(int cls)
{
    static const char *names[] = {"okänd", "tätort", "tätortsnära landsbygd", "landsbygd avlägset belägen",
                                  "ingen förbindelse inom fönstret"};
    return cls >= 1 && cls <= 4 ? names[cls] : names[0];
}

const char *pl_class_name_en(int cls)
{
    static const char *names[] = {"unknown", "urban", "near-urban rural", "remote rural",
                                  "no connection within the window"};
    return cls >= 1 && cls <= 4 ? names[cls] : names[0];
}

/* ---------- inside a tätort ---------- */

typedef struct probe_ctx {
    GEOSContextHandle_t h;
    const GEOSGeometry *probe;
    GEOSGeometry *const *geoms;   /* candidate geometries, indexed by the tree items */
    int found;
    size_t index;                 /* with mark: the array to mark */
    uint8_t *mark;
} probe_ctx;

/* Tree of unit polygons queried with a tätort point: mark the units that contain it. */
static void mark_candidate(void *item, void *user)
{
    probe_ctx *pc = user;
    size_t i = (size_t)(uintptr_t)item;
    if (!pc->mark[i] && GEOSIntersects_r(pc->h, pc->geoms[i], pc->probe) == 1)
        pc->mark[i] = 1;
}

/* Tree of tätort polygons queried with a unit's point: is it inside any of them. */
static void find_candidate(void *item, void *user)
{
    probe_ctx *pc = user;
    size_t i = (size_t)(uintptr_t)item;
    if (!pc->found && GEOSIntersects_r(pc->h, pc->geoms[i], pc->probe) == 1)
        pc->found = 1;
}

static GEOSSTRtree *tree_of(GEOSContextHandle_t h, GEOSGeometry *const *geoms, size_t n)
{
    GEOSSTRtree *tree = GEOSSTRtree_create_r(h, 10);
    for (size_t i = 0; i < n; i++)
        if (geoms[i])
            GEOSSTRtree_insert_r(h, tree, geoms[i], (void *)(uintptr_t)i);
    return tree;
}

/* Point tätorter with a known area: units whose representative point lies within the
 * circle of the same area around the tätort point (SCB publishes the reference point and the
 * area; the polygons are a separate product). Units are bucketed on a grid for speed. */
static void mark_within_area_circles(pl_ctx *ctx, const pl_population *pop, const pl_localities *loc,
                                     uint8_t *inside)
{
    (void)ctx;
    if (!loc->area_ha || pop->n == 0)
        return;
    const double cell = 2000.0;
    double min_x = pop->x[0], min_y = pop->y[0], max_x = pop->x[0], max_y = pop->y[0];
    for (size_t i = 1; i < pop->n; i++) {
        min_x = fmin(min_x, pop->x[i]);
        max_x = fmax(max_x, pop->x[i]);
        min_y = fmin(min_y, pop->y[i]);
        max_y = fmax(max_y, pop->y[i]);
    }
    size_t nx = (size_t)((max_x - min_x) / cell) + 1, ny = (size_t)((max_y - min_y) / cell) + 1;
    size_t *start = pl_calloc(nx * ny + 1, sizeof *start);
    size_t *bucket_of = pl_malloc(pop->n * sizeof *bucket_of);
    for (size_t i = 0; i < pop->n; i++) {
        size_t b = (size_t)((pop->y[i] - min_y) / cell) * nx + (size_t)((pop->x[i] - min_x) / cell);
        bucket_of[i] = b;
        start[b + 1]++;
    }
    for (size_t b = 0; b < nx * ny; b++)
        start[b + 1] += start[b];
    size_t *units = pl_malloc(pop->n * sizeof *units), *fill = pl_malloc((nx * ny + 1) * sizeof *fill);
    memcpy(fill, start, (nx * ny + 1) * sizeof *fill);
    for (size_t i = 0; i < pop->n; i++)
        units[fill[bucket_of[i]]++] = i;
    for (size_t l = 0; l < loc->n; l++) {
        if (!isfinite(loc->area_ha[l]) || (loc->geom[l] && GEOSGeomTypeId_r(ctx->geos, loc->geom[l]) != GEOS_POINT))
            continue;
        double radius = sqrt(loc->area_ha[l] * 10000.0 / M_PI);
        long bx0 = (long)floor((loc->x[l] - radius - min_x) / cell), bx1 = (long)floor((loc->x[l] + radius - min_x) / cell);
        long by0 = (long)floor((loc->y[l] - radius - min_y) / cell), by1 = (long)floor((loc->y[l] + radius - min_y) / cell);
        for (long by = by0 < 0 ? 0 : by0; by <= by1 && by < (long)ny; by++)
            for (long bx = bx0 < 0 ? 0 : bx0; bx <= bx1 && bx < (long)nx; bx++) {
                size_t b = (size_t)by * nx + (size_t)bx;
                for (size_t j = start[b]; j < start[b + 1]; j++) {
                    size_t i = units[j];
                    double dx = pop->x[i] - loc->x[l], dy = pop->y[i] - loc->y[l];
                    if (dx * dx + dy * dy <= radius * radius)
                        inside[i] = 1;
                }
            }
    }
    free(start);
    free(bucket_of);
    free(units);
    free(fill);
}

static void warn_points_undercount(pl_ctx *ctx, const pl_population *pop, const pl_localities *loc,
                                   const uint8_t *inside);
static void mark_squares_holding_points(pl_ctx *ctx, const pl_population *pop, const pl_localities *loc,
                                        uint8_t *inside);

static void mark_inside(pl_ctx *ctx, const pl_population *pop, const pl_localities *loc, uint8_t *inside)
{
    GEOSContextHandle_t h = ctx->geos;
    if (loc->n == 0 || !loc->geom)
        return;
    int loc_is_polygon = loc->geom[0] && GEOSGeomTypeId_r(h, loc->geom[0]) != GEOS_POINT;
    if (loc_is_polygon) {
        GEOSSTRtree *tree = tree_of(h, loc->geom, loc->n);
        for (size_t i = 0; i < pop->n; i++) {
            GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, pop->x[i], pop->y[i]);
            probe_ctx pc = {.h = h, .probe = pt, .geoms = loc->geom};
            GEOSSTRtree_query_r(h, tree, pt, find_candidate, &pc);
            inside[i] = (uint8_t)pc.found;
            GEOSGeom_destroy_r(h, pt);
        }
        GEOSSTRtree_destroy_r(h, tree);
        return;
    }
    mark_within_area_circles(ctx, pop, loc, inside);
    if (pop->is_polygon)
        mark_squares_holding_points(ctx, pop, loc, inside);
    warn_points_undercount(ctx, pop, loc, inside);
}

/* Tätort points stand in for polygons by an equal-area circle: an elongated tätort's residents
 * outside that circle are not counted as inside (a tester found 34,803 against 60,224 in one
 * county). Said with the figures, so the planner can judge it or give the polygons. */
static void warn_points_undercount(pl_ctx *ctx, const pl_population *pop, const pl_localities *loc,
                                   const uint8_t *inside)
{
    double minx = INFINITY, miny = INFINITY, maxx = -INFINITY, maxy = -INFINITY, in_pop = 0, loc_pop = 0;
    for (size_t i = 0; i < pop->n; i++) {
        minx = fmin(minx, pop->x[i]);
        maxx = fmax(maxx, pop->x[i]);
        miny = fmin(miny, pop->y[i]);
        maxy = fmax(maxy, pop->y[i]);
        if (inside[i])
            in_pop += pop->pop[i];
    }
    for (size_t l = 0; l < loc->n; l++)
        if (loc->x[l] >= minx && loc->x[l] <= maxx && loc->y[l] >= miny && loc->y[l] <= maxy)
            loc_pop += loc->pop[l];
    pl_warn(ctx, "localities-are-points", "%s: tätorter given as points: a unit counts as inside a tätort when it "
            "lies within the circle of the tätort's area around its point%s; units inside hold %.0f residents, the "
            "tätorter in their extent report %.0f; give SCB's tätort polygons for exact membership",
            loc->source ? loc->source : "localities", pop->is_polygon ? " or its square holds the point" : "",
            in_pop, loc_pop);
}

/* Population squares that hold a tätort point count as inside it. */
static void mark_squares_holding_points(pl_ctx *ctx, const pl_population *pop, const pl_localities *loc,
                                        uint8_t *inside)
{
    GEOSContextHandle_t h = ctx->geos;
    GEOSSTRtree *tree = tree_of(h, pop->geom, pop->n);
    for (size_t l = 0; l < loc->n; l++) {
        GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, loc->x[l], loc->y[l]);
        probe_ctx pc = {.h = h, .probe = pt, .geoms = pop->geom, .mark = inside};
        GEOSSTRtree_query_r(h, tree, pt, mark_candidate, &pc);
        GEOSGeom_destroy_r(h, pt);
    }
    GEOSSTRtree_destroy_r(h, tree);
}

/* ---------- compute ---------- */

/* Destinations: tätorter with at least min_locality_pop residents (their indexes). */
static int large_localities(const pl_localities *loc, const pl_classify_params *p, uint32_t **out, uint32_t *n_out,
                            pl_error *err)
{
    uint32_t *large = pl_malloc((loc->n ? loc->n : 1) * sizeof *large);
    uint32_t n_large = 0;
    for (size_t l = 0; l < loc->n; l++)
        if (loc->pop[l] >= p->min_locality_pop)
            large[n_large++] = (uint32_t)l;
    if (n_large == 0) {
        free(large);
        return pl_error_set(err, PL_EINPUT, "%s: no tätort has at least %.0f residents; check the population field "
                            "or lower --min-locality-pop", loc->source ? loc->source : "localities",
                            p->min_locality_pop);
    }
    *out = large;
    *n_out = n_large;
    return PL_OK;
}

/* The large tätorter's points and the units attached to graph (loc_snap: n_large, cell_snap: pop->n). */
static int snap_places(pl_ctx *ctx, const pl_graph *graph, const pl_roads *roads, const pl_population *pop,
                       const pl_localities *loc, const uint32_t *large, uint32_t n_large, const pl_classify_params *p,
                       pl_snap *loc_snap, pl_snap *cell_snap, pl_error *err)
{
    double *lx = pl_malloc(n_large * sizeof *lx), *ly = pl_malloc(n_large * sizeof *ly);
    for (uint32_t i = 0; i < n_large; i++) {
        lx[i] = loc->x[large[i]];
        ly[i] = loc->y[large[i]];
    }
    pl_snap_opts so;
    pl_snap_opts_default(&so);
    if (p->max_snap_m > 0)
        so.max_snap_m = p->max_snap_m;
    pl_snap_index *snap_index = pl_snap_index_new(graph, roads, so.min_component_nodes);
    int rc = pl_graph_snap_indexed(ctx, snap_index, lx, ly, n_large, &so, loc_snap, err);
    if (rc == PL_OK)
        rc = pl_graph_snap_indexed(ctx, snap_index, pop->x, pop->y, pop->n, &so, cell_snap, err);
    pl_snap_index_free(snap_index);
    free(lx);
    free(ly);
    return rc;
}

/* The result's arrays, inside_locality marked. */
static pl_classify_result *result_new(pl_ctx *ctx, const pl_population *pop, const pl_localities *loc)
{
    pl_classify_result *r = pl_calloc(1, sizeof *r);
    r->n_cells = pop->n;
    r->cls = pl_malloc(pop->n ? pop->n : 1);
    r->time_min = pl_malloc((pop->n ? pop->n : 1) * sizeof *r->time_min);
    r->locality = pl_malloc((pop->n ? pop->n : 1) * sizeof *r->locality);
    r->inside_locality = pl_calloc(pop->n ? pop->n : 1, 1);
    mark_inside(ctx, pop, loc, r->inside_locality);
    return r;
}

/* Unit c's class from its time t (minutes; INFINITY: none): no_connection is the class of a
 * unit outside every tätort without a time (car: remote rural; transit: its own class). */
static void set_class(pl_classify_result *r, const pl_population *pop, const pl_classify_params *p, size_t c,
                      double t, int no_connection)
{
    int cls;
    if (r->inside_locality[c] || t < p->urban_min)
        cls = PL_CLASS_URBAN;
    else if (!isfinite(t))
        cls = no_connection;
    else if (t <= p->remote_min)
        cls = PL_CLASS_NEAR_URBAN_RURAL;
    else
        cls = PL_CLASS_REMOTE_RURAL;
    r->time_min[c] = t;
    r->cls[c] = (uint8_t)cls;
    r->pop_by_class[cls] += pop->pop[c];
}

/* The large tätorter and the units attached to one graph, with every unit's nearest large
 * tätort on it by metric (car: time; transit: the walking distance). */
typedef struct nearest_large {
    uint32_t *large, n_large;    /* indexes into the localities */
    pl_snap *loc_snap, *cell_snap;
    pl_label *labels;            /* per unit; source indexes large[] */
} nearest_large;

static void nearest_large_free(nearest_large *N)
{
    free(N->labels);
    free(N->cell_snap);
    free(N->loc_snap);
    free(N->large);
}

static int nearest_large_search(pl_ctx *ctx, const pl_graph *graph, const pl_roads *roads, const pl_population *pop,
                                const pl_localities *loc, const pl_classify_params *p, pl_metric metric,
                                nearest_large *N, pl_error *err)
{
    memset(N, 0, sizeof *N);
    if (large_localities(loc, p, &N->large, &N->n_large, err) != PL_OK)
        return err->code;
    N->loc_snap = pl_malloc(N->n_large * sizeof *N->loc_snap);
    N->cell_snap = pl_malloc((pop->n ? pop->n : 1) * sizeof *N->cell_snap);
    N->labels = pl_malloc((pop->n ? pop->n : 1) * sizeof *N->labels);
    int rc = snap_places(ctx, graph, roads, pop, loc, N->large, N->n_large, p, N->loc_snap, N->cell_snap, err);
    pl_search_opts search = {.metric = metric, .k = 1, .cutoff = INFINITY};
    if (rc == PL_OK)
        rc = pl_graph_nearest_k(ctx, graph, N->loc_snap, N->n_large, N->cell_snap, pop->n, &search, N->labels, err);
    if (rc != PL_OK)
        nearest_large_free(N);
    return rc;
}

int pl_classify_compute(pl_ctx *ctx, const pl_population *pop, const pl_localities *loc, const pl_roads *roads,
                        const pl_graph *car_graph, const pl_classify_params *p, pl_classify_result **out,
                        pl_error *err)
{
    *out = NULL;
    if (car_graph->mode != PL_MODE_CAR)
        return pl_error_set(err, PL_EINTERNAL, "classification needs the car graph");
    nearest_large N;
    int rc = nearest_large_search(ctx, car_graph, roads, pop, loc, p, PL_METRIC_TIME, &N, err);
    if (rc != PL_OK)
        return rc;
    pl_classify_result *r = result_new(ctx, pop, loc);
    for (size_t c = 0; c < pop->n; c++) {
        r->locality[c] = N.labels[c].source == UINT32_MAX ? -1 : (long)N.large[N.labels[c].source];
        /* no road connection: remote rural */
        set_class(r, pop, p, c, N.labels[c].time_s / 60.0, PL_CLASS_REMOTE_RURAL);
    }
    *out = r;
    nearest_large_free(&N);
    return PL_OK;
}

int pl_classify_compute_transit(pl_ctx *ctx, const pl_population *pop, const pl_localities *loc,
                                const pl_roads *roads, const pl_graph *walk_graph, const pl_timetable *tt,
                                const pl_classify_params *p, const pl_transit_params *tp, pl_classify_result **out,
                                pl_error *err)
{
    *out = NULL;
    if (walk_graph->mode != PL_MODE_WALK)
        return pl_error_set(err, PL_EINTERNAL, "transit classification needs the walk graph");
    /* The walk all the way (no limit), as access's walking-only time. */
    nearest_large N;
    int rc = nearest_large_search(ctx, walk_graph, roads, pop, loc, p, PL_METRIC_DISTANCE, &N, err);
    if (rc != PL_OK)
        return rc;
    size_t n = pop->n;
    double *walk_m = pl_malloc((n ? n : 1) * sizeof *walk_m), *median = pl_malloc((n ? n : 1) * sizeof *median);
    for (size_t c = 0; c < n; c++)
        walk_m[c] = N.labels[c].dist_m;
    pl_transit_net *net = NULL;
    rc = pl_transit_net_new(ctx, walk_graph, roads, tt, N.cell_snap, n, tp, &net, err);
    if (rc == PL_OK) {
        uint32_t n_egress = 0;
        pl_raptor_leg *egress = pl_transit_targets(net, N.loc_snap, NULL, N.n_large, tp, &n_egress, NULL, 0, NULL);
        rc = pl_transit_times(ctx, net, egress, n_egress, NULL, n, walk_m, tp, median, n, "transit times", NULL, err);
        free(egress);
    }
    if (rc == PL_OK) {
        pl_classify_result *r = result_new(ctx, pop, loc);
        r->transit = 1;
        r->n_stops = net->n_stops;
        r->n_stops_linked = net->n_stops_linked;
        r->walk_min = pl_malloc((n ? n : 1) * sizeof *r->walk_min);
        double speed_ms = tp->walk_speed_kmh / 3.6;
        for (size_t c = 0; c < n; c++) {
            r->locality[c] = -1;  /* which tätort a journey reaches is not tracked */
            r->walk_min[c] = walk_m[c] / speed_ms / 60.0;
            set_class(r, pop, p, c, median[c] / 60.0, PL_CLASS_NO_CONNECTION);
        }
        *out = r;
    }
    pl_transit_net_free(net);
    free(median);
    free(walk_m);
    nearest_large_free(&N);
    return rc;
}

void pl_classify_result_free(pl_classify_result *r)
{
    if (!r)
        return;
    free(r->cls);
    free(r->time_min);
    free(r->locality);
    free(r->inside_locality);
    free(r->walk_min);
    free(r);
}

/* ---------- CLI options ---------- */

const char pl_classify_usage[] =
    "platsa classify --population FILE --localities FILE --roads FILE --municipalities FILE -o OUT.gpkg [options]";
const char pl_classify_summary[] =
    "Tillväxtverket's urban-rural classification by car travel time: tätort, tätortsnära landsbygd\n"
    "(5-45 minutes from a tätort of at least 3,000 residents) and landsbygd avlägset belägen (> 45 min),\n"
    "per population unit and as population per class and municipality.\n"
    "\n"
    "By public transport (--mode transit --gtfs FEED.zip --date YYYY-MM-DD --window 07:00-09:00): the\n"
    "same classes on the median over the window's departure minutes of the journey to the nearest\n"
    "tätort of at least --min-locality-pop residents (walk along the streets to a stop, bus or train\n"
    "with transfers, walk to the tätort's point; or a walk all the way within --max-walk), as access\n"
    "--mode transit computes it: tätortsnära landsbygd then means a tätort within 5-45 minutes by\n"
    "public transport at a typical departure, not by car. A fourth class, 4 \"ingen förbindelse inom\n"
    "fönstret\" (no connection within the window), holds the units from which no journey arrives\n"
    "within --max-time in at least half the window's minutes; they are counted (pop_no_connection),\n"
    "never dropped. Units inside a tätort stay class 1. Beside the time, walk_minutes_to_locality is\n"
    "the walk all the way (no limit); nearest_locality is not known by public transport (NULL). One\n"
    "backward timetable search for all the large tätorter at once: the cost does not grow with the\n"
    "units (Porto Alegre, 1,227 units, 4,010 stops: 0.5 s of CPU, the whole run 2 s on a busy machine).";

#define CL(field) offsetof(pl_classify_opts, field)
const pl_option pl_classify_options[] = {
    {"population", 'p', PL_OPT_STRING, offsetof(pl_classify_opts, population), "FILE[:LAYER]", NULL,
     "population units (grid squares or points)", 1, PL_NO_RANGE},
    {"localities", 'l', PL_OPT_STRING, offsetof(pl_classify_opts, localities), "FILE[:LAYER]", NULL,
     "tätorter (points or polygons with population)", 1, PL_NO_RANGE},
    {"roads", 'r', PL_OPT_STRING, offsetof(pl_classify_opts, roads), "FILE[:LAYER]", NULL, "road lines", 1, PL_NO_RANGE},
    PL_ROAD_FIELD_OPTIONS(pl_classify_opts, road),
    {"municipalities", 'm', PL_OPT_STRING, offsetof(pl_classify_opts, municipalities), "FILE[:LAYER]", NULL,
     "municipality polygons", 1, PL_NO_RANGE},
    {"output", 'o', PL_OPT_STRING, offsetof(pl_classify_opts, output), "OUT.gpkg", NULL, "output GeoPackage", 1, PL_OUTPUT_PATH},
    {"overwrite", 0, PL_OPT_FLAG, offsetof(pl_classify_opts, overwrite), NULL, NULL, "replace an existing output", 0, PL_NO_RANGE},
    {"csv", 0, PL_OPT_FLAG, offsetof(pl_classify_opts, csv), NULL, NULL, "also write the tables as CSV", 0, PL_NO_RANGE},
    PL_CSV_STYLE_OPTION(pl_classify_opts, csv_style),
    {"urban-min", 0, PL_OPT_DOUBLE, offsetof(pl_classify_opts, urban_min), "MIN", "5",
     "closer than this to a large tätort counts as tätort", 0, PL_GT(0)},
    {"remote-min", 0, PL_OPT_DOUBLE, offsetof(pl_classify_opts, remote_min), "MIN", "45",
     "farther than this is remote rural", 0, PL_GT(0)},
    {"min-locality-pop", 0, PL_OPT_DOUBLE, offsetof(pl_classify_opts, min_locality_pop), "N", "3000",
     "smallest tätort that counts as a destination", 0, PL_GE(0)},
    {"max-snap", 0, PL_OPT_DOUBLE, offsetof(pl_classify_opts, max_snap_m), "M", "1000",
     "places farther than this from any road are flagged", 0, PL_GT(0)},
    {"pop-field", 0, PL_OPT_STRING, offsetof(pl_classify_opts, pop_field), "FIELD", NULL, "population field", 0, PL_NO_RANGE},
    PL_ID_FIELD_OPTION(CL),
    {"locality-pop-field", 0, PL_OPT_STRING, offsetof(pl_classify_opts, locality_pop_field), "FIELD", NULL,
     "tätort population field [auto: pop, bef, ...]", 0, PL_NO_RANGE},
    {"crs", 0, PL_OPT_STRING, offsetof(pl_classify_opts, crs), "EPSG:n", "EPSG:3006", "working CRS", 0, PL_NO_RANGE},
    {"assume-crs", 0, PL_OPT_STRING, offsetof(pl_classify_opts, assume_crs), "EPSG:n", NULL,
     "CRS for inputs that have none", 0, PL_NO_RANGE},
    {"graph-cache", 0, PL_OPT_STRING, offsetof(pl_classify_opts, graph_cache), "FILE", NULL,
     "keep the roads and the road graph in FILE between runs: a warm run reads neither the roads file nor rebuilds (a new cache when the roads file, layer or options change)", 0, PL_OUTPUT_PATH},
    {"mode", 0, PL_OPT_STRING, CL(mode), "car|transit", "car",
     "travel mode: car (Tillväxtverket's measure) or transit = public transport (GTFS) and walking, the "
     "window's median time; needs --gtfs and --date", 0, PL_NO_RANGE},
    PL_TRANSIT_OPTIONS(CL),
    PL_OPT_END,
};
#undef CL

/* ---------- writing ---------- */

static int write_cells(pl_gpkg *g, const pl_population *pop, const pl_localities *loc,
                       const pl_municipalities *munis, const long *cell_muni, const pl_classify_result *r,
                       pl_error *err)
{
    static const pl_field_def fields[] = {
        {"cell_id", PL_FIELD_TEXT, "Ruta/område", "population unit id"},
        {"kommun", PL_FIELD_TEXT, "Kommunkod", "municipality code"},
        {"pop", PL_FIELD_REAL, "Befolkning", "residents"},
        {"class", PL_FIELD_INT, "Klass", "1 tätort, 2 tätortsnära landsbygd, 3 landsbygd avlägset belägen"},
        {"class_name", PL_FIELD_TEXT, "Klassnamn", NULL},
        {"minutes_to_locality", PL_FIELD_REAL, "Restid till tätort med minst 3 000 inv. (min)", NULL},
        {"nearest_locality", PL_FIELD_TEXT, "Närmaste större tätort", NULL},
        {"inside_locality", PL_FIELD_INT, "I tätort", "1 if the unit is inside or at a tätort"},
    };
    /* --mode transit: the window's median, a fourth class, the walk beside it. */
    static const pl_field_def transit_fields[] = {
        {"cell_id", PL_FIELD_TEXT, "Ruta/område", "population unit id"},
        {"kommun", PL_FIELD_TEXT, "Kommunkod", "municipality code"},
        {"pop", PL_FIELD_REAL, "Befolkning", "residents"},
        {"class", PL_FIELD_INT, "Klass",
         "1 tätort, 2 tätortsnära landsbygd, 3 landsbygd avlägset belägen, 4 ingen förbindelse inom fönstret"},
        {"class_name", PL_FIELD_TEXT, "Klassnamn", NULL},
        {"minutes_to_locality", PL_FIELD_REAL, "Restid med kollektivtrafik till tätort med minst 3 000 inv. (min)",
         "median over the departure window; NULL: no connection within the window"},
        {"nearest_locality", PL_FIELD_TEXT, "Närmaste större tätort", "not known by public transport (NULL)"},
        {"inside_locality", PL_FIELD_INT, "I tätort", "1 if the unit is inside or at a tätort"},
        {"walk_minutes_to_locality", PL_FIELD_REAL, "Gångtid till tätort med minst 3 000 inv. (min)",
         "walking all the way along the walk network, no limit"},
    };
    pl_legend lg;
    const pl_style *style = pl_classify_style_cells(&lg, r->transit);
    pl_gpkg_layer *l = pl_gpkg_layer_add(g, "classify_cells", pop->is_polygon ? 6 : 1,
                                         "Territoriell klassificering per ruta", r->transit ? transit_fields : fields,
                                         r->transit ? 9 : 8, style, err);
    int rc = l ? PL_OK : PL_EINTERNAL;
    for (size_t c = 0; rc == PL_OK && c < pop->n; c++) {
        pl_gpkg_row_begin(l);
        pl_gpkg_set_text(l, 0, pop->id[c]);
        pl_gpkg_set_text(l, 1, cell_muni[c] >= 0 ? munis->code[cell_muni[c]] : NULL);
        pl_gpkg_set_real(l, 2, pop->pop[c]);
        pl_gpkg_set_int(l, 3, r->cls[c]);
        pl_gpkg_set_text(l, 4, pl_class_name_sv(r->cls[c]));
        pl_gpkg_set_real(l, 5, isfinite(r->time_min[c]) ? r->time_min[c] : NAN);
        pl_gpkg_set_text(l, 6, r->locality[c] >= 0 ? loc->name[r->locality[c]] : NULL);
        pl_gpkg_set_int(l, 7, r->inside_locality[c]);
        if (r->transit)
            pl_gpkg_set_real(l, 8, isfinite(r->walk_min[c]) ? pl_round_to(r->walk_min[c], 100) : NAN);
        if (pop->is_polygon)
            pl_gpkg_set_geos(l, pop->geom[c]);
        else
            pl_gpkg_set_xy(l, pop->x[c], pop->y[c]);  /* points, or a layer mixing polygons and points */
        rc = pl_gpkg_row_end(l, err);
    }
    return rc;
}

/* Long: two field lists (car, and transit with the fourth class) and the rows of both layers. */
static int write_municipalities(pl_gpkg *g, const pl_population *pop, const pl_municipalities *munis,
                                const long *cell_muni, const pl_classify_result *r, pl_error *err)
{
    static const pl_field_def fields[] = {
        {"kommun", PL_FIELD_TEXT, "Kommunkod", NULL},
        {"namn", PL_FIELD_TEXT, "Kommun", NULL},
        {"pop", PL_FIELD_REAL, "Befolkning", NULL},
        {"pop_urban", PL_FIELD_REAL, "Befolkning i tätort", NULL},
        {"pop_near_urban_rural", PL_FIELD_REAL, "Befolkning i tätortsnära landsbygd", NULL},
        {"pop_remote_rural", PL_FIELD_REAL, "Befolkning i landsbygd avlägset belägen", NULL},
        {"share_urban", PL_FIELD_REAL, "Andel i tätort", NULL},
        {"share_near_urban_rural", PL_FIELD_REAL, "Andel i tätortsnära landsbygd", NULL},
        {"share_remote_rural", PL_FIELD_REAL, "Andel i landsbygd avlägset belägen", NULL},
    };
    static const pl_field_def transit_fields[] = {
        {"kommun", PL_FIELD_TEXT, "Kommunkod", NULL},
        {"namn", PL_FIELD_TEXT, "Kommun", NULL},
        {"pop", PL_FIELD_REAL, "Befolkning", NULL},
        {"pop_urban", PL_FIELD_REAL, "Befolkning i tätort", NULL},
        {"pop_near_urban_rural", PL_FIELD_REAL, "Befolkning i tätortsnära landsbygd", NULL},
        {"pop_remote_rural", PL_FIELD_REAL, "Befolkning i landsbygd avlägset belägen", NULL},
        {"pop_no_connection", PL_FIELD_REAL, "Befolkning utan förbindelse inom fönstret", NULL},
        {"share_urban", PL_FIELD_REAL, "Andel i tätort", NULL},
        {"share_near_urban_rural", PL_FIELD_REAL, "Andel i tätortsnära landsbygd", NULL},
        {"share_remote_rural", PL_FIELD_REAL, "Andel i landsbygd avlägset belägen", NULL},
        {"share_no_connection", PL_FIELD_REAL, "Andel utan förbindelse inom fönstret", NULL},
    };
    int nc = r->transit ? PL_N_CLASSES_TRANSIT : PL_N_CLASSES, n_fields = 3 + 2 * nc;
    const pl_field_def *fl = r->transit ? transit_fields : fields;
    pl_legend lg;
    const pl_style *style = pl_classify_style_municipalities(&lg);
    pl_gpkg_layer *poly = pl_gpkg_layer_add(g, "classify_municipalities", 6, "Befolkning per klass och kommun",
                                            fl, n_fields, style, err);
    pl_gpkg_layer *table = poly ? pl_gpkg_layer_add(g, "classify_municipalities_table", 100,
                                                    "Befolkning per klass och kommun (tabell)", fl, n_fields, NULL, err)
                                : NULL;
    if (!table)
        return PL_EINTERNAL;
    const int W = PL_N_CLASSES_TRANSIT + 1;
    double *by = pl_calloc((munis->n + 1) * (size_t)W, sizeof *by);
    long *n_cells = pl_calloc(munis->n + 1, sizeof *n_cells);
    for (size_t c = 0; c < pop->n; c++) {
        size_t m = cell_muni[c] >= 0 ? (size_t)cell_muni[c] : munis->n;
        by[m * W + r->cls[c]] += pop->pop[c];
        by[m * W] += pop->pop[c];
        n_cells[m]++;
    }
    double total[PL_N_CLASSES_TRANSIT + 1] = {0};
    for (size_t c = 0; c < pop->n; c++) {
        total[0] += pop->pop[c];
        total[r->cls[c]] += pop->pop[c];
    }
    int rc = PL_OK;
    for (size_t m = 0; rc == PL_OK && m <= munis->n; m++) {
        const double *v = m < munis->n ? &by[m * W] : total;
        if (m < munis->n && n_cells[m] == 0)
            continue;
        for (int pass = 0; rc == PL_OK && pass < 2; pass++) {
            pl_gpkg_layer *l = pass == 0 ? poly : table;
            if (m == munis->n && l == poly)
                continue;  /* the total row has no polygon */
            pl_gpkg_row_begin(l);
            pl_gpkg_set_text(l, 0, m < munis->n ? munis->code[m] : "totalt");
            pl_gpkg_set_text(l, 1, m < munis->n ? munis->name[m] : "Alla analyserade");
            pl_gpkg_set_real(l, 2, v[0]);
            for (int k = 1; k <= nc; k++) {
                pl_gpkg_set_real(l, 2 + k, v[k]);
                pl_gpkg_set_real(l, 2 + nc + k, v[0] > 0 ? v[k] / v[0] : NAN);
            }
            if (l == poly)
                pl_gpkg_set_geos(l, munis->geom[m]);
            rc = pl_gpkg_row_end(l, err);
        }
    }
    free(by);
    free(n_cells);
    return rc;
}

int pl_classify_check_opts(const pl_classify_opts *o, pl_error *err)
{
    if (!(o->urban_min < o->remote_min))
        return pl_error_set(err, PL_EINPUT, "--urban-min %g must be less than --remote-min %g (near-urban rural lies "
                            "between them)", o->urban_min, o->remote_min);
    if (o->mode && strcmp(o->mode, "car") != 0 && strcmp(o->mode, "transit") != 0)
        return pl_error_set(err, PL_EINPUT, "--mode '%s': classify uses car (Tillväxtverket's measure) or transit",
                            o->mode);
    return PL_OK;
}

static int is_transit(const pl_classify_opts *o) { return o->mode && strcmp(o->mode, "transit") == 0; }

/* The classes: by car, or by public transport on the walk graph (the timetable loaded here). */
static int compute(pl_ctx *ctx, const pl_classify_opts *o, const pl_transit_params *tp, const pl_population *pop,
                   const pl_localities *loc, const pl_roads *roads, const pl_graph *graph, pl_classify_result **r,
                   pl_error *err)
{
    pl_classify_params p = {o->urban_min, o->remote_min, o->min_locality_pop, o->max_snap_m};
    if (!is_transit(o))
        return pl_classify_compute(ctx, pop, loc, roads, graph, &p, r, err);
    pl_timetable *tt = NULL;
    int rc = pl_transit_load_timetable(ctx, &o->transit, &tt, err);
    if (rc == PL_OK)
        rc = pl_classify_compute_transit(ctx, pop, loc, roads, graph, tt, &p, tp, r, err);
    pl_timetable_free(tt);
    return rc;
}

static int write_output(pl_ctx *ctx, const pl_classify_opts *o, const char *command_line, const pl_transit_params *tp,
                        const pl_population *pop, const pl_localities *loc, const pl_municipalities *munis,
                        const long *cell_muni, const pl_classify_result *r, pl_error *err)
{
    const char *inputs[] = {o->population, o->localities, o->roads, o->municipalities, NULL};
    pl_gpkg_opts gopts = {.overwrite = o->overwrite, .csv = o->csv,
                          .csv_style = o->csv_style, .command_line = command_line,
                          .inputs = inputs, .graph_cache = o->graph_cache};
    pl_gpkg *g = pl_gpkg_create(ctx, o->output, &gopts, err);
    if (!g)
        return err->code;
    char v[64];
    pl_gpkg_add_parameter(g, "analysis", "classify");
    snprintf(v, sizeof v, "%g", o->urban_min);
    pl_gpkg_add_parameter(g, "urban_min", v);
    snprintf(v, sizeof v, "%g", o->remote_min);
    pl_gpkg_add_parameter(g, "remote_min", v);
    snprintf(v, sizeof v, "%g", o->min_locality_pop);
    pl_gpkg_add_parameter(g, "min_locality_pop", v);
    if (r->transit) {
        pl_gpkg_add_parameter(g, "mode", "transit");
        pl_transit_add_parameters(g, &o->transit, tp, r->n_stops_linked, r->n_stops);
    }
    int rc = write_cells(g, pop, loc, munis, cell_muni, r, err);
    if (rc == PL_OK)
        rc = write_municipalities(g, pop, munis, cell_muni, r, err);
    return rc == PL_OK ? pl_gpkg_commit(g, err) : (pl_gpkg_abort(g), rc);
}

static int classify_run(pl_ctx *ctx, const pl_classify_opts *o, const char *command_line, pl_error *err)
{
    if (pl_classify_check_opts(o, err) != PL_OK)
        return err->code;
    pl_transit_params tp = {0};
    if ((is_transit(o) ? pl_transit_params_from_opts(&o->transit, &tp, err)
                       : pl_transit_refuse_unused(&o->transit, err)) != PL_OK)
        return err->code;
    if (o->crs)
        snprintf(ctx->work_crs, sizeof ctx->work_crs, "%s", o->crs);
    const char *check_inputs[] = {o->population, o->localities, o->roads, o->municipalities, NULL};
    const char *twins[] = {"classify_municipalities_table", NULL};
    pl_gpkg_opts check = {.overwrite = o->overwrite, .csv = o->csv, .csv_style = o->csv_style, .inputs = check_inputs};
    if (pl_gpkg_check_output(o->output, &check, twins, err) != PL_OK)
        return err->code;
    const char *cache_inputs[] = {o->population, o->localities, o->roads, o->municipalities};
    if (pl_graph_cache_check_path(o->graph_cache, cache_inputs, 4, &o->output, 1, err) != PL_OK)
        return err->code;
    pl_load_opts lo = {.assume_crs = o->assume_crs};
    pl_load_opts po = lo, llo = lo;
    po.value_field = o->pop_field;
    po.id_field = o->id_field;
    llo.value_field = o->locality_pop_field;
    llo.value_flag = "locality-pop-field";
    pl_municipalities *munis = pl_municipalities_load(ctx, o->municipalities, &lo, err);
    pl_population *pop = munis ? pl_population_load(ctx, o->population, &po, err) : NULL;
    pl_localities *loc = pop ? pl_localities_load(ctx, o->localities, &llo, err) : NULL;
    pl_roads *roads = NULL;
    pl_graph *graph = NULL;
    int rc = loc ? PL_OK : err->code;
    if (rc == PL_OK) {
        pl_graph_opts go;
        pl_graph_opts_default(&go);
        go.mode = is_transit(o) ? PL_MODE_WALK : PL_MODE_CAR;  /* transit: the streets one walks */
        go.cache_path = o->graph_cache;
        pl_load_opts ro = lo;
        ro.road = o->road;
        rc = pl_network_load(ctx, o->roads, &ro, &go, &roads, &graph, NULL, err);
    }
    pl_classify_result *r = NULL;
    double t0 = pl_now_s();
    if (rc == PL_OK)
        rc = compute(ctx, o, &tp, pop, loc, roads, graph, &r, err);
    double t_compute = pl_now_s() - t0;
    long *cell_muni = NULL;
    if (rc == PL_OK) {
        cell_muni = pl_malloc((pop->n ? pop->n : 1) * sizeof *cell_muni);
        pl_assign_municipalities(ctx, pop, munis, cell_muni);
        rc = write_output(ctx, o, command_line, &tp, pop, loc, munis, cell_muni, r, err);
    }
    if (rc == PL_OK && r->transit)
        pl_info(ctx, "platsa classify: %.0f in tätort, %.0f near-urban rural, %.0f remote rural, %.0f without a "
                "connection within the window (transit, %.2f s) -> %s", r->pop_by_class[1], r->pop_by_class[2],
                r->pop_by_class[3], r->pop_by_class[4], t_compute, o->output);
    else if (rc == PL_OK)
        pl_info(ctx, "platsa classify: %.0f in tätort, %.0f near-urban rural, %.0f remote rural -> %s",
                r->pop_by_class[1], r->pop_by_class[2], r->pop_by_class[3], o->output);
    free(cell_muni);
    pl_classify_result_free(r);
    pl_graph_free(graph);
    if (roads)
        pl_roads_free(roads);
    pl_localities_free(ctx, loc);
    pl_population_free(ctx, pop);
    pl_municipalities_free(ctx, munis);
    return rc;
}

int pl_classify_opts_init(pl_classify_opts *o)
{
    memset(o, 0, sizeof *o);
    return pl_options_defaults(pl_classify_options, o, NULL);
}

void pl_classify_opts_free(pl_classify_opts *o)
{
    pl_options_free(pl_classify_options, o);
}

typedef struct classify_call {
    pl_ctx *ctx;
    const pl_classify_opts *o;
    const char *command_line;
    pl_error *err;
} classify_call;

static int classify_call_run(void *arg)
{
    classify_call *c = arg;
    return classify_run(c->ctx, c->o, c->command_line, c->err);
}

int pl_classify_run(pl_ctx *ctx, const pl_classify_opts *o, const char *command_line, pl_error *err)
{
    classify_call c = {ctx, o, command_line, err};
    return pl_oom_guard(classify_call_run, &c, pl_run_unwind, err);
}
