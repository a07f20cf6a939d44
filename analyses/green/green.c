/* SPDX-License-Identifier: GPL-3.0-or-later */
/* 3-30-300: options, homes, population, the three rules put together, and the summaries.
 * The rules themselves: green_trees.c (3), green_canopy.c (30), green_park.c (300);
 * writing and the CLI pipeline: green_write.c. */
#include "gis/gpkg_writer.h"
#include "green.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "green_internal.h"

const char pl_green_usage[] =
    "platsa green --buildings FILE [--trees FILE] [--canopy FILE] [--green-areas FILE] [--roads FILE] -o OUT.gpkg "
    "[options]";
const char pl_green_summary[] =
    "3-30-300 (Region Skåne's model): per home, the trees seen within --view-distance with a clear sight\n"
    "line (3), the canopy cover of its neighbourhood (30) and the walking distance to the nearest public\n"
    "green area of at least --min-green-ha (300); shares of homes and residents meeting each rule per\n"
    "neighbourhood, municipality and locality. Rules without their inputs are left empty.\n"
    "Sight line: from the nearest point of the home's outline to the tree, blocked when it passes through\n"
    "another building. Canopy: polygons, a raster (cells > --canopy-threshold) or, when only trees are\n"
    "given, their crowns. Green-area entries: where paths cross the area's boundary, else boundary points\n"
    "every --entry-spacing metres.";

const pl_option pl_green_options[] = {
    {"buildings", 'b', PL_OPT_STRING, offsetof(pl_green_opts, buildings), "FILE[:LAYER]", NULL,
     "building footprints; optional fields residential (0/1), pop, dwellings (platsa import-osm, or the "
     "buildings layer of platsa population --polygons)", 1, PL_NO_RANGE},
    {"population", 'p', PL_OPT_STRING, offsetof(pl_green_opts, population), "FILE[:LAYER]", NULL,
     "population points (platsa population): each point's residents go to the building containing it "
     "(else the nearest within 50 m)", 0, PL_NO_RANGE},
    {"trees", 't', PL_OPT_STRING, offsetof(pl_green_opts, trees), "FILE[:LAYER]", NULL,
     "tree points, optional crown radius (crown_radius_m): rule 3, and rule 30 when no --canopy", 0, PL_NO_RANGE},
    {"canopy", 'c', PL_OPT_STRING, offsetof(pl_green_opts, canopy), "FILE[:LAYER]", NULL,
     "tree canopy: polygons, or a raster such as a 1 m tree-cover map (cells > --canopy-threshold)", 0, PL_NO_RANGE},
    {"green-areas", 'g', PL_OPT_STRING, offsetof(pl_green_opts, green_areas), "FILE[:LAYER]", NULL,
     "green areas (polygons); optional public/access field: private ones are left out", 0, PL_NO_RANGE},
    {"neighbourhoods", 'n', PL_OPT_STRING, offsetof(pl_green_opts, neighbourhoods), "FILE[:LAYER]", NULL,
     "neighbourhood polygons for rule 30 (blocks, statistical areas) [default: --grid squares]", 0, PL_NO_RANGE},
    {"grid", 0, PL_OPT_DOUBLE, offsetof(pl_green_opts, grid_m), "M", "250",
     "square neighbourhoods of this size when no --neighbourhoods (squares with buildings)", 0, PL_IN(10, 100000)},
    {"roads", 'r', PL_OPT_STRING, offsetof(pl_green_opts, roads), "FILE[:LAYER]", NULL,
     "roads and paths for walking distances (rule 300); without them, straight-line distance", 0, PL_NO_RANGE},
    PL_ROAD_FIELD_OPTIONS(pl_green_opts, road),
    {"water", 'w', PL_OPT_STRING, offsetof(pl_green_opts, water), "FILE[:LAYER]", NULL,
     "water polygons, left out of the neighbourhoods' land area", 0, PL_NO_RANGE},
    {"municipalities", 'm', PL_OPT_STRING, offsetof(pl_green_opts, municipalities), "FILE[:LAYER]", NULL,
     "municipality polygons for the summary", 0, PL_NO_RANGE},
    {"localities", 0, PL_OPT_STRING, offsetof(pl_green_opts, localities), "FILE[:LAYER]", NULL,
     "locality (tätort) polygons with a population field, for the summary", 0, PL_NO_RANGE},
    {"output", 'o', PL_OPT_STRING, offsetof(pl_green_opts, output), "OUT.gpkg", NULL, "output GeoPackage", 1, PL_OUTPUT_PATH},
    {"overwrite", 0, PL_OPT_FLAG, offsetof(pl_green_opts, overwrite), NULL, NULL, "replace an existing output", 0, PL_NO_RANGE},
    {"csv", 0, PL_OPT_FLAG, offsetof(pl_green_opts, csv), NULL, NULL,
     "also write the summary table as CSV beside the GeoPackage", 0, PL_NO_RANGE},
    PL_CSV_STYLE_OPTION(pl_green_opts, csv_style),
    {"view-distance", 0, PL_OPT_DOUBLE, offsetof(pl_green_opts, view_distance_m), "M", "30",
     "rule 3: trees farther than this from the home's outline are not counted as seen", 0, PL_IN(0, 1000)},
    {"tree-buffer", 0, PL_OPT_DOUBLE, offsetof(pl_green_opts, tree_buffer_m), "M", "15",
     "rule 3: also count trees within this distance, no sight line (Barcelona's 15 m)", 0, PL_IN(0, 1000)},
    {"min-trees", 0, PL_OPT_INT, offsetof(pl_green_opts, min_trees), "N", "3", "rule 3: trees to see", 0, PL_GE(0)},
    {"min-canopy", 0, PL_OPT_DOUBLE, offsetof(pl_green_opts, min_canopy_pct), "PCT", "30",
     "rule 30: canopy cover of the neighbourhood's land, percent", 0, PL_IN(0, 100)},
    {"canopy-threshold", 0, PL_OPT_DOUBLE, offsetof(pl_green_opts, canopy_threshold), "VALUE", "0",
     "raster canopy: cells with a value above this are canopy (e.g. 2 for a canopy height model in m)", 0, PL_ANY_NUMBER},
    {"default-crown", 0, PL_OPT_DOUBLE, offsetof(pl_green_opts, default_crown_m), "M", "3",
     "crown radius of trees without one (canopy from trees)", 0, PL_IN(0, 50)},
    {"min-green-ha", 0, PL_OPT_DOUBLE, offsetof(pl_green_opts, min_green_ha), "HA", "0.5",
     "rule 300: smallest green area (0.5 in the rule, 1 common in Sweden, 0.2 in Malmö)", 0, PL_GE(0)},
    {"min-green-width", 0, PL_OPT_DOUBLE, offsetof(pl_green_opts, min_green_width_m), "M", "0",
     "rule 300: green areas must hold a disk this wide somewhere (Malmö: 30); 0 = no rule", 0, PL_GE(0)},
    {"max-green-m", 0, PL_OPT_DOUBLE, offsetof(pl_green_opts, max_green_m), "M", "300",
     "rule 300: walking distance to the nearest green-area entry", 0, PL_GE(0)},
    {"entry-spacing", 0, PL_OPT_DOUBLE, offsetof(pl_green_opts, entry_spacing_m), "M", "25",
     "rule 300: boundary points this far apart stand in for entries where no path reaches an area", 0, PL_GE(1)},
    {"include-private", 0, PL_OPT_FLAG, offsetof(pl_green_opts, include_private), NULL, NULL,
     "rule 300: count green areas marked private (access=private|no) too", 0, PL_NO_RANGE},
    {"green-kinds", 0, PL_OPT_STRINGS, offsetof(pl_green_opts, green_kinds), "KIND,...", NULL,
     "rule 300: only green areas of these kinds (field kind), e.g. park,nature_reserve [default: all]", 0, PL_NO_RANGE},
    {"all-buildings", 0, PL_OPT_FLAG, offsetof(pl_green_opts, all_buildings), NULL, NULL,
     "evaluate every building, not only homes (residential or with residents)", 0, PL_NO_RANGE},
    {"id-field", 0, PL_OPT_STRING, offsetof(pl_green_opts, id_field), "FIELD", NULL,
     "building id field [auto: building_id, id, osm_id, ...]", 0, PL_NO_RANGE},
    {"residential-field", 0, PL_OPT_STRING, offsetof(pl_green_opts, residential_field), "FIELD", NULL,
     "0/1 field marking homes [auto: residential, bostad, ...]", 0, PL_NO_RANGE},
    {"pop-field", 0, PL_OPT_STRING, offsetof(pl_green_opts, pop_field), "FIELD", NULL,
     "residents per building [auto: pop, population, befolkning, ...]; also the --population field", 0, PL_NO_RANGE},
    {"locality-pop-field", 0, PL_OPT_STRING, offsetof(pl_green_opts, locality_pop_field), "FIELD", NULL,
     "population field of --localities [auto]", 0, PL_NO_RANGE},
    {"dwellings-field", 0, PL_OPT_STRING, offsetof(pl_green_opts, dwellings_field), "FIELD", NULL,
     "dwellings per building, reported [auto: dwellings, lagenheter, ...]", 0, PL_NO_RANGE},
    {"crown-field", 0, PL_OPT_STRING, offsetof(pl_green_opts, crown_field), "FIELD", NULL,
     "tree crown radius in metres [auto: crown_radius_m, crown_radius, kronradie]", 0, PL_NO_RANGE},
    {"public-field", 0, PL_OPT_STRING, offsetof(pl_green_opts, public_field), "FIELD", NULL,
     "green areas' public flag or access text [auto: public, allman, access]", 0, PL_NO_RANGE},
    {"kind-field", 0, PL_OPT_STRING, offsetof(pl_green_opts, kind_field), "FIELD", NULL,
     "green areas' kind for --green-kinds [auto: kind, typ, type, leisure, landuse]", 0, PL_NO_RANGE},
    {"nbh-id-field", 0, PL_OPT_STRING, offsetof(pl_green_opts, nbh_id_field), "FIELD", NULL,
     "neighbourhood id field [auto: id, ...; nyckelkod, rut_id, deso also]", 0, PL_NO_RANGE},
    {"crs", 0, PL_OPT_STRING, offsetof(pl_green_opts, crs), "EPSG:n", "EPSG:3006", "working CRS (projected, metres)",
     0, PL_NO_RANGE},
    {"assume-crs", 0, PL_OPT_STRING, offsetof(pl_green_opts, assume_crs), "EPSG:n", NULL,
     "CRS for inputs that have none", 0, PL_NO_RANGE},
    {"max-snap", 0, PL_OPT_DOUBLE, offsetof(pl_green_opts, max_snap_m), "M", "1000",
     "homes and entries farther than this from any path are flagged", 0, PL_GT(0)},
    {"graph-cache", 0, PL_OPT_STRING, offsetof(pl_green_opts, graph_cache), "FILE", NULL,
     "keep the roads and the walking graph in FILE between runs: a warm run reads neither the roads file nor rebuilds (a new cache when the roads file, layer or options change)", 0, PL_OUTPUT_PATH},
    PL_OPT_END,
};

void pl_green_params_default(pl_green_params *p)
{
    memset(p, 0, sizeof *p);
    p->view_distance_m = 30;
    p->tree_buffer_m = 15;
    p->min_trees = 3;
    p->min_canopy_pct = 30;
    p->canopy_threshold = 0;
    p->default_crown_m = 3;
    p->canopy_step_m = 0.1;
    p->grid_m = 250;
    p->min_green_ha = 0.5;
    p->min_green_width_m = 0;
    p->max_green_m = 300;
    p->entry_spacing_m = 25;
    p->max_snap_m = 1000;
}

static int check_params(const pl_green_params *p, pl_error *err)
{
#define NEED(cond, ...)                                  \
    do {                                                 \
        if (!(cond))                                     \
            return pl_error_set(err, PL_EINPUT, __VA_ARGS__); \
    } while (0)
    NEED(isfinite(p->view_distance_m) && p->view_distance_m >= 0, "--view-distance must be a number >= 0");
    NEED(isfinite(p->tree_buffer_m) && p->tree_buffer_m >= 0, "--tree-buffer must be a number >= 0");
    NEED(p->view_distance_m <= 1000 && p->tree_buffer_m <= 1000,
         "--view-distance and --tree-buffer above 1000 m make no sense for trees seen from home");
    NEED(p->min_trees >= 0, "--min-trees must be >= 0");
    NEED(isfinite(p->min_canopy_pct) && p->min_canopy_pct >= 0 && p->min_canopy_pct <= 100,
         "--min-canopy is a percentage: 0..100");
    NEED(isfinite(p->canopy_threshold), "--canopy-threshold must be a number");
    NEED(isfinite(p->default_crown_m) && p->default_crown_m >= 0 && p->default_crown_m <= 50,
         "--default-crown must be 0..50 m");
    NEED(p->canopy_step_m > 0 && p->canopy_step_m <= 10, "canopy row step must be in (0, 10] m");
    NEED(isfinite(p->grid_m) && p->grid_m >= 10 && p->grid_m <= 100000, "--grid must be 10..100000 m");
    NEED(isfinite(p->min_green_ha) && p->min_green_ha >= 0, "--min-green-ha must be >= 0");
    NEED(isfinite(p->min_green_width_m) && p->min_green_width_m >= 0, "--min-green-width must be >= 0");
    NEED(isfinite(p->max_green_m) && p->max_green_m >= 0, "--max-green-m must be >= 0");
    NEED(isfinite(p->entry_spacing_m) && p->entry_spacing_m >= 1, "--entry-spacing must be at least 1 m");
    NEED(p->max_snap_m > 0, "--max-snap must be > 0");
#undef NEED
    return PL_OK;
}

/* ---------- homes and population ---------- */

static void representative_points(pl_ctx *ctx, const pl_buildings *b, const pl_flatpoly *fp, double *x, double *y)
{
    GEOSContextHandle_t h = ctx->geos;
    for (size_t i = 0; i < b->n; i++) {
        x[i] = y[i] = NAN;
        GEOSGeometry *c = GEOSGetCentroid_r(h, b->geom[i]);
        double cx = NAN, cy = NAN;
        if (c && GEOSisEmpty_r(h, c) != 1 && GEOSGeomGetX_r(h, c, &cx) == 1 && GEOSGeomGetY_r(h, c, &cy) == 1 &&
            pl_flatpoly_locate(fp, i, cx, cy, 0.0) == 1) {
            x[i] = cx;
            y[i] = cy;
        } else {
            GEOSGeometry *s = GEOSPointOnSurface_r(h, b->geom[i]);
            if (s && GEOSisEmpty_r(h, s) != 1) {
                GEOSGeomGetX_r(h, s, &x[i]);
                GEOSGeomGetY_r(h, s, &y[i]);
            }
            if (s)
                GEOSGeom_destroy_r(h, s);
        }
        if (c)
            GEOSGeom_destroy_r(h, c);
    }
}

/* Each population point to the building containing it (the first in file order), else the
 * nearest building within 50 m; others are lost with a warning. */
static void join_population(pl_ctx *ctx, const pl_population *pop, const pl_buildings *b, const pl_flatpoly *fp,
                            const pl_cells *cells, double *out)
{
    const double reach = 50.0;
    for (size_t i = 0; i < b->n; i++)
        out[i] = 0;
    pl_cells_hits q;
    pl_cells_hits_init(&q, cells, 1);
    long lost = 0, near = 0;
    double lost_pop = 0;
    for (size_t k = 0; k < pop->n; k++) {
        double x = pop->x[k], y = pop->y[k];
        long best = -1;
        pl_cells_query(cells, &q, x, y, x, y);
        for (size_t j = 0; j < q.n; j++) {
            uint32_t c = q.items[j];
            if ((best < 0 || c < (uint32_t)best) && pl_flatpoly_locate(fp, c, x, y, PL_GREEN_EPS) != 0)
                best = c;
        }
        if (best < 0) {
            double bd = INFINITY;
            pl_cells_query(cells, &q, x - reach, y - reach, x + reach, y + reach);
            for (size_t j = 0; j < q.n; j++) {
                uint32_t c = q.items[j];
                double d = pl_flatpoly_dist(fp, c, x, y);
                if (d <= reach && (d < bd || (d == bd && c < (uint32_t)best))) {
                    bd = d;
                    best = c;
                }
            }
            if (best >= 0)
                near++;
        }
        if (best < 0) {
            lost++;
            lost_pop += pop->pop[k];
            continue;
        }
        out[best] += pop->pop[k];
    }
    pl_cells_hits_free(&q);
    if (near)
        pl_info(ctx, "population: %ld points outside every building went to the nearest building within %.0f m",
                near, reach);
    if (lost)
        pl_warn(ctx, "population-outside-buildings",
                "%ld population points (%.0f residents) lie more than %.0f m from every building; left out", lost,
                lost_pop, reach);
}

/* ---------- statistics ---------- */

static void stats_add(pl_green_stats *s, const pl_green_result *r, size_t b)
{
    double pop = isfinite(r->pop[b]) ? r->pop[b] : 0.0;
    s->homes++;
    s->pop += pop;
    for (int k = 0; k < PL_N_RULES; k++) {
        int8_t v = r->pass[k][b];
        if (v < 0)
            continue;
        s->known[k]++;
        s->pop_known[k] += pop;
        if (v > 0) {
            s->pass[k]++;
            s->pop_pass[k] += pop;
        }
    }
}

static double pct2(double part, double whole)
{
    return whole > 0 ? round(10000.0 * part / whole) / 100.0 : NAN;
}

double pl_green_share_bld(const pl_green_stats *s, int rule)
{
    return pct2((double)s->pass[rule], (double)s->known[rule]);
}

double pl_green_share_pop(const pl_green_stats *s, int rule)
{
    return pct2(s->pop_pass[rule], s->pop_known[rule]);
}

/* Finds the first polygon (in input order) containing a point: flat polygons and cells. */
typedef struct poly_locator {
    pl_flatpoly fp;
    pl_cells cells;
    pl_cells_hits q;
    int ok;
} poly_locator;

static void locator_init(pl_ctx *ctx, GEOSGeometry **polys, size_t n, poly_locator *L)
{
    memset(L, 0, sizeof *L);
    if (pl_flatpoly_build(ctx->geos, polys, n, &L->fp) != 0)
        return;
    pl_cells_boxes(&L->cells, L->fp.bbox, n, 500.0);
    pl_cells_hits_init(&L->q, &L->cells, 1);
    L->ok = 1;
}

static long locator_find(poly_locator *L, double x, double y)
{
    if (!L->ok || !isfinite(x) || !isfinite(y))
        return -1;
    pl_cells_query(&L->cells, &L->q, x, y, x, y);
    long best = -1;
    for (size_t j = 0; j < L->q.n; j++) {
        uint32_t c = L->q.items[j];
        if ((best < 0 || c < (uint32_t)best) && pl_flatpoly_locate(&L->fp, c, x, y, 0.0) != 0)
            best = c;
    }
    return best;
}

static void locator_free(poly_locator *L)
{
    if (!L->ok)
        return;
    pl_cells_hits_free(&L->q);
    pl_cells_free(&L->cells);
    pl_flatpoly_free(&L->fp);
    L->ok = 0;
}

/* Localities as a locator: polygons only (points cannot hold buildings). */
static void localities_locator(pl_ctx *ctx, const pl_localities *loc, poly_locator *L)
{
    memset(L, 0, sizeof *L);
    size_t n = loc->n, n_poly = 0;
    GEOSGeometry **polys = pl_calloc(n ? n : 1, sizeof *polys);
    for (size_t i = 0; i < n; i++) {
        int t = loc->geom[i] ? GEOSGeomTypeId_r(ctx->geos, loc->geom[i]) : -1;
        if (t == GEOS_POLYGON || t == GEOS_MULTIPOLYGON) {
            polys[i] = loc->geom[i];
            n_poly++;
        }
    }
    if (n_poly == 0)
        pl_warn(ctx, "localities-points", "%s: localities are points; a locality summary needs polygons (left out)",
                loc->source ? loc->source : "localities");
    else
        locator_init(ctx, polys, n, L);
    free(polys);
}

/* Land and canopy of each municipality and locality from the neighbourhoods whose point on
 * surface lies in it (a neighbourhood counts whole where it straddles a border). */
static void group_canopy(pl_ctx *ctx, const pl_green_inputs *in, poly_locator *loc, const pl_green_result *r,
                         double *m_land, double *m_canopy, double *l_land, double *l_canopy)
{
    GEOSContextHandle_t h = ctx->geos;
    for (size_t k = 0; k < r->n_nbh; k++) {
        if (!isfinite(r->nbh_canopy_m2[k]) || !isfinite(r->nbh_land_m2[k]))
            continue;
        GEOSGeometry *pt = GEOSPointOnSurface_r(h, r->nbh_geom[k]);
        double x, y;
        int ok = pt && GEOSGeomGetX_r(h, pt, &x) == 1 && GEOSGeomGetY_r(h, pt, &y) == 1;
        if (pt)
            GEOSGeom_destroy_r(h, pt);
        if (!ok)
            continue;
        if (in->munis && in->munis->n) {
            int outside = 0;
            long m = pl_municipalities_locate(ctx, in->munis, x, y, &outside);
            if (m >= 0 && !outside) {
                m_land[m] += r->nbh_land_m2[k];
                m_canopy[m] += r->nbh_canopy_m2[k];
            }
        }
        long l = locator_find(loc, x, y);
        if (l >= 0) {
            l_land[l] += r->nbh_land_m2[k];
            l_canopy[l] += r->nbh_canopy_m2[k];
        }
    }
}

static void summarise(pl_ctx *ctx, const pl_green_inputs *in, poly_locator *loc, pl_green_result *r)
{
    size_t n_munis = in->munis ? in->munis->n : 0, n_locs = in->localities ? in->localities->n : 0;
    r->nbh_stats = pl_calloc(r->n_nbh ? r->n_nbh : 1, sizeof *r->nbh_stats);
    pl_green_stats *ms = pl_calloc(n_munis ? n_munis : 1, sizeof *ms);
    pl_green_stats *ls = pl_calloc(n_locs ? n_locs : 1, sizeof *ls);
    memset(&r->total, 0, sizeof r->total);
    for (size_t b = 0; b < r->n_buildings; b++) {
        if (!r->is_home[b])
            continue;
        stats_add(&r->total, r, b);
        if (r->nbh[b] >= 0)
            stats_add(&r->nbh_stats[r->nbh[b]], r, b);
        if (r->muni[b] >= 0)
            stats_add(&ms[r->muni[b]], r, b);
        if (r->locality[b] >= 0)
            stats_add(&ls[r->locality[b]], r, b);
    }
    double *m_land = pl_calloc(n_munis ? n_munis : 1, sizeof(double));
    double *m_canopy = pl_calloc(n_munis ? n_munis : 1, sizeof(double));
    double *l_land = pl_calloc(n_locs ? n_locs : 1, sizeof(double));
    double *l_canopy = pl_calloc(n_locs ? n_locs : 1, sizeof(double));
    double t_land = 0, t_canopy = 0;
    if (r->canopy_source) {
        group_canopy(ctx, in, loc, r, m_land, m_canopy, l_land, l_canopy);
        for (size_t k = 0; k < r->n_nbh; k++)
            if (isfinite(r->nbh_canopy_m2[k]) && isfinite(r->nbh_land_m2[k])) {
                t_land += r->nbh_land_m2[k];
                t_canopy += r->nbh_canopy_m2[k];
            }
    }
    /* Groups: municipalities with homes (file order), localities with homes, the total. */
    size_t n = 1;
    for (size_t m = 0; m < n_munis; m++)
        n += ms[m].homes > 0;
    for (size_t l = 0; l < n_locs; l++)
        n += ls[l].homes > 0;
    r->groups = pl_calloc(n, sizeof *r->groups);
    size_t g = 0;
    for (size_t m = 0; m < n_munis; m++) {
        if (ms[m].homes == 0)
            continue;
        pl_green_group *G = &r->groups[g++];
        G->level = "kommun";
        G->code = pl_strdup(in->munis->code[m] ? in->munis->code[m] : "");
        G->name = pl_strdup(in->munis->name[m] ? in->munis->name[m] : "");
        G->stats = ms[m];
        G->land_m2 = r->canopy_source ? m_land[m] : NAN;
        G->canopy_m2 = r->canopy_source ? m_canopy[m] : NAN;
    }
    for (size_t l = 0; l < n_locs; l++) {
        if (ls[l].homes == 0)
            continue;
        pl_green_group *G = &r->groups[g++];
        G->level = "t\xc3\xa4tort";
        G->code = pl_strdup(in->localities->code[l] ? in->localities->code[l] : "");
        G->name = pl_strdup(in->localities->name[l] ? in->localities->name[l] : "");
        G->stats = ls[l];
        G->land_m2 = r->canopy_source ? l_land[l] : NAN;
        G->canopy_m2 = r->canopy_source ? l_canopy[l] : NAN;
    }
    pl_green_group *T = &r->groups[g++];
    T->level = "totalt";
    T->code = pl_strdup("totalt");
    T->name = pl_strdup("Alla analyserade");
    T->stats = r->total;
    T->land_m2 = r->canopy_source ? t_land : NAN;
    T->canopy_m2 = r->canopy_source ? t_canopy : NAN;
    r->n_groups = g;
    free(m_land);
    free(m_canopy);
    free(l_land);
    free(l_canopy);
    free(ms);
    free(ls);
}

/* ---------- compute ---------- */

/* Each home's pass (1), fail (0) or unknown (-1) per rule, and the rules it meets. */
static void set_passes(pl_green_result *r, const pl_green_params *p, size_t n)
{
    for (size_t b = 0; b < n; b++) {
        int8_t p3 = -1, p30 = -1, p300 = -1;
        if (r->is_home[b]) {
            if (r->has_rule[0])
                p3 = r->trees_visible[b] >= p->min_trees;
            if (r->has_rule[1] && r->nbh[b] >= 0 && r->nbh_pass30[r->nbh[b]] >= 0)
                p30 = r->nbh_pass30[r->nbh[b]];
            if (r->has_rule[2]) {
                double d = r->network ? r->green_net_m[b] : r->green_euclid_m[b];
                p300 = !isnan(d) ? d <= p->max_green_m : -1;
            }
        }
        r->pass[PL_RULE_3][b] = p3;
        r->pass[PL_RULE_30][b] = p30;
        r->pass[PL_RULE_300][b] = p300;
        int8_t all3 = -1;
        if (r->is_home[b] && r->has_rule[0] && r->has_rule[1] && r->has_rule[2]) {
            if (p3 == 0 || p30 == 0 || p300 == 0)
                all3 = 0;
            else if (p3 == 1 && p30 == 1 && p300 == 1)
                all3 = 1;
        }
        r->pass[PL_RULE_ALL][b] = all3;
        r->rules_met[b] = (int8_t)((p3 == 1) + (p30 == 1) + (p300 == 1));
    }
}

int pl_green_compute(pl_ctx *ctx, const pl_green_inputs *in, const pl_green_params *p, pl_green_result **out,
                     pl_error *err)
{
    *out = NULL;
    if (!in->buildings || in->buildings->n == 0)
        return pl_error_set(err, PL_EINPUT, "no buildings to analyse");
    int rc = check_params(p, err);
    if (rc != PL_OK)
        return rc;
    if (in->buildings->n >= UINT32_MAX)
        return pl_error_set(err, PL_EINPUT, "more than 4 billion buildings: split the area");
    const pl_buildings *B = in->buildings;
    size_t n = B->n;
    pl_green_result *r = pl_calloc(1, sizeof *r);
    r->n_buildings = n;
    r->is_home = pl_calloc(n, 1);
    r->pop = pl_malloc(n * sizeof *r->pop);
    r->trees_visible = pl_malloc(n * sizeof *r->trees_visible);
    r->trees_within = pl_malloc(n * sizeof *r->trees_within);
    r->nbh = pl_malloc(n * sizeof *r->nbh);
    r->green_net_m = pl_malloc(n * sizeof *r->green_net_m);
    r->green_euclid_m = pl_malloc(n * sizeof *r->green_euclid_m);
    r->green_area = pl_malloc(n * sizeof *r->green_area);
    for (int k = 0; k < PL_N_RULES; k++)
        r->pass[k] = pl_malloc(n);
    r->rules_met = pl_malloc(n);
    r->muni = pl_malloc(n * sizeof *r->muni);
    r->locality = pl_malloc(n * sizeof *r->locality);
    r->rep_x = pl_malloc(n * sizeof *r->rep_x);
    r->rep_y = pl_malloc(n * sizeof *r->rep_y);
    for (size_t b = 0; b < n; b++) {
        r->trees_visible[b] = r->trees_within[b] = -1;
        r->nbh[b] = r->green_area[b] = r->muni[b] = r->locality[b] = -1;
        r->green_net_m[b] = r->green_euclid_m[b] = NAN;
    }

    pl_progress(ctx, 0.0, "preparing buildings");
    pl_flatpoly bld;
    if (pl_flatpoly_build(ctx->geos, B->geom, n, &bld) != 0) {
        pl_green_result_free(ctx, r);
        return pl_error_set(err, PL_EINPUT, "%s: more than 4 billion vertices; split the area",
                            B->source ? B->source : "buildings");
    }
    representative_points(ctx, B, &bld, r->rep_x, r->rep_y);
    pl_cells bcells;
    pl_cells_boxes(&bcells, bld.bbox, n, 50.0);

    /* Residents and homes. */
    int has_pop = B->has_pop || in->population;
    if (in->population) {
        if (B->has_pop)
            pl_info(ctx, "residents from the population points; the buildings' field '%s' is not used",
                    B->pop_field);
        join_population(ctx, in->population, B, &bld, &bcells, r->pop);
    } else {
        for (size_t b = 0; b < n; b++)
            r->pop[b] = B->has_pop ? (isfinite(B->pop[b]) ? B->pop[b] : 0.0) : NAN;
    }
    size_t n_homes = 0;
    int all = p->all_buildings || (!B->has_residential && !has_pop && !B->has_dwellings);
    if (all && !p->all_buildings)
        pl_info(ctx, "%s: no residential field, no population, no dwellings; every building counts as a home",
                B->source ? B->source : "buildings");
    for (size_t b = 0; b < n; b++) {
        int home = all || (B->has_residential && B->residential[b]) || (has_pop && r->pop[b] > 0) ||
                   (B->has_dwellings && B->dwellings[b] > 0);
        r->is_home[b] = (uint8_t)home;
        n_homes += (size_t)home;
    }
    if (n_homes == 0) {
        pl_cells_free(&bcells);
        pl_flatpoly_free(&bld);
        pl_green_result_free(ctx, r);
        return pl_error_set(err, PL_EINPUT, "%s: no building is a home (residential flag or residents); use "
                            "--all-buildings to evaluate every building", B->source ? B->source : "buildings");
    }
    pl_cells_free(&bcells);

    /* Rule 3. */
    if (in->trees) {
        r->has_rule[0] = 1;
        rc = pl_green_rule3(ctx, &bld, in->trees, p, r->is_home, r->trees_visible, r->trees_within, err);
    }
    /* Rule 30 (neighbourhoods are made even without canopy: they carry the shares). */
    if (rc == PL_OK)
        rc = pl_green_neighbourhoods(ctx, in, p, r, err);
    if (rc == PL_OK && r->canopy_source)
        r->has_rule[1] = 1;
    /* Rule 300. */
    if (rc == PL_OK && in->green) {
        r->has_rule[2] = 1;
        rc = pl_green_rule300(ctx, in, p, &bld, r, err);
    }
    pl_flatpoly_free(&bld);
    if (rc != PL_OK) {
        pl_green_result_free(ctx, r);
        return rc;
    }

    set_passes(r, p, n);

    /* Municipalities and localities of the homes. */
    if (in->munis && in->munis->n) {
        long outside = 0;
        for (size_t b = 0; b < n; b++) {
            if (!r->is_home[b] || !isfinite(r->rep_x[b]))
                continue;
            int out_flag = 0;
            long m = pl_municipalities_locate(ctx, in->munis, r->rep_x[b], r->rep_y[b], &out_flag);
            r->muni[b] = out_flag ? -1 : m;
            outside += out_flag;
        }
        if (outside)
            pl_warn(ctx, "home-outside-municipality",
                    "%ld homes lie outside every municipality polygon; they count in the total only", outside);
    }
    poly_locator loc = {0};
    if (in->localities && in->localities->n) {
        localities_locator(ctx, in->localities, &loc);
        for (size_t b = 0; b < n; b++)
            if (r->is_home[b])
                r->locality[b] = locator_find(&loc, r->rep_x[b], r->rep_y[b]);
    }
    summarise(ctx, in, &loc, r);
    locator_free(&loc);
    *out = r;
    return PL_OK;
}

void pl_green_result_free(pl_ctx *ctx, pl_green_result *r)
{
    if (!r)
        return;
    free(r->is_home);
    free(r->pop);
    free(r->trees_visible);
    free(r->trees_within);
    free(r->nbh);
    free(r->green_net_m);
    free(r->green_euclid_m);
    free(r->green_area);
    for (int k = 0; k < PL_N_RULES; k++)
        free(r->pass[k]);
    free(r->rules_met);
    free(r->muni);
    free(r->locality);
    free(r->rep_x);
    free(r->rep_y);
    for (size_t k = 0; k < r->n_nbh; k++) {
        if (r->nbh_owned && r->nbh_geom)
            GEOSGeom_destroy_r(ctx->geos, r->nbh_geom[k]);
        if (r->nbh_id)
            free(r->nbh_id[k]);
    }
    free(r->nbh_geom);
    free(r->nbh_id);
    free(r->nbh_area_m2);
    free(r->nbh_land_m2);
    free(r->nbh_canopy_m2);
    free(r->nbh_canopy_pct);
    free(r->nbh_pass30);
    free(r->nbh_stats);
    for (size_t k = 0; k < r->n_areas; k++) {
        GEOSGeom_destroy_r(ctx->geos, r->area_geom[k]);
        free(r->area_ids[k]);
        free(r->area_name[k]);
    }
    free(r->area_geom);
    free(r->area_ha);
    free(r->area_ids);
    free(r->area_name);
    free(r->area_entries);
    free(r->area_sampled);
    free(r->entry_x);
    free(r->entry_y);
    free(r->entry_area);
    for (size_t k = 0; k < r->n_groups; k++) {
        free(r->groups[k].code);
        free(r->groups[k].name);
    }
    free(r->groups);
    free(r);
}

int pl_green_opts_init(pl_green_opts *o)
{
    memset(o, 0, sizeof *o);
    return pl_options_defaults(pl_green_options, o, NULL);
}

void pl_green_opts_free(pl_green_opts *o)
{
    pl_options_free(pl_green_options, o);
}
