/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Dasymetric population over buildings (see population.h). */
#include "population.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gis/vector.h"
#include "layers/internal.h"

const pl_option pl_population_options[] = {
    {"areas", 'a', PL_OPT_STRING, offsetof(pl_population_opts, areas), "FILE[:LAYER]", NULL,
     "areas (polygons) with a population count, e.g. statistical areas or DeSO", 1, PL_NO_RANGE},
    {"buildings", 'b', PL_OPT_STRING, offsetof(pl_population_opts, buildings), "FILE[:LAYER]", NULL,
     "building footprints, e.g. layers.gpkg:buildings from import-osm", 1, PL_NO_RANGE},
    {"output", 'o', PL_OPT_STRING, offsetof(pl_population_opts, output), "FILE.gpkg", NULL,
     "output GeoPackage (layer population and table areas)", 1, PL_OUTPUT_PATH},
    {"pop-field", 0, PL_OPT_STRING, offsetof(pl_population_opts, pop_field), "FIELD", NULL,
     "population field of the areas (default: pop, population, befolkning, ... or the only pop* field)", 0, PL_NO_RANGE},
    {"id-field", 0, PL_OPT_STRING, offsetof(pl_population_opts, id_field), "FIELD", NULL,
     "area id field (default: id, code, nyckelkod, deso, ... else the feature id)", 0, PL_NO_RANGE},
    {"weight-field", 0, PL_OPT_STRING, offsetof(pl_population_opts, weight_field), "FIELD", NULL,
     "building weight (default: floor_area_m2 if present, else the footprint area)", 0, PL_NO_RANGE},
    {"residential-field", 0, PL_OPT_STRING, offsetof(pl_population_opts, residential_field), "FIELD", NULL,
     "0/1 field marking homes (default: residential if present, else every building)", 0, PL_NO_RANGE},
    {"assume-crs", 0, PL_OPT_STRING, offsetof(pl_population_opts, assume_crs), "EPSG:n", NULL,
     "CRS for inputs that have none", 0, PL_NO_RANGE},
    {"crs", 0, PL_OPT_STRING, offsetof(pl_population_opts, crs), "EPSG:n", "EPSG:3006",
     "working and output CRS (projected, metres)", 0, PL_NO_RANGE},
    {"all-buildings", 0, PL_OPT_FLAG, offsetof(pl_population_opts, all_buildings), NULL, NULL,
     "ignore the residential flag and weigh every building (extracts with few residential tags)", 0, PL_NO_RANGE},
    {"polygons", 0, PL_OPT_FLAG, offsetof(pl_population_opts, polygons), NULL, NULL,
     "also write layer buildings: the footprints with their pop, for maps", 0, PL_NO_RANGE},
    {"overwrite", 0, PL_OPT_FLAG, offsetof(pl_population_opts, overwrite), NULL, NULL,
     "replace an existing output file", 0, PL_NO_RANGE},
    PL_OPT_END,
};

const char *pl_dasy_method_name(pl_dasy_method m)
{
    switch (m) {
    case PL_DASY_RESIDENTIAL: return "residential";
    case PL_DASY_ALL_BUILDINGS: return "all_buildings";
    case PL_DASY_AREA_POINT: return "area_point";
    default: return "none";
    }
}

/* ---------- loading ---------- */

static int is_polygonal(pl_ctx *ctx, const GEOSGeometry *g)
{
    int t = GEOSGeomTypeId_r(ctx->geos, g);
    return t == GEOS_POLYGON || t == GEOS_MULTIPOLYGON;
}

/* Geometry of feature f as a valid polygon in the working CRS, or NULL (warned under key). */
static GEOSGeometry *feature_polygon(pl_ctx *ctx, const pl_vector *v, OGRFeatureH f, const char *key)
{
    OGRGeometryH og = pl_vector_geometry(v, f);
    if (!og) {
        pl_warn(ctx, key, "%s: feature %lld: no geometry (or it cannot be reprojected); skipped", v->label,
                (long long)OGR_F_GetFID(f));
        return NULL;
    }
    GEOSGeometry *g = pl_ogr_to_geos(ctx, og);
    OGR_G_DestroyGeometry(og);
    int repaired = 0;
    g = pl_geos_make_valid(ctx, g, &repaired);
    if (!g || !is_polygonal(ctx, g)) {
        if (g)
            GEOSGeom_destroy_r(ctx->geos, g);
        pl_warn(ctx, key, "%s: feature %lld: not a usable polygon; skipped", v->label, (long long)OGR_F_GetFID(f));
        return NULL;
    }
    if (repaired)
        pl_warn(ctx, "invalid-polygon-repaired", "%s: feature %lld: invalid polygon repaired", v->label,
                (long long)OGR_F_GetFID(f));
    return g;
}

static int check_polygon_layer(const pl_vector *v, pl_error *err)
{
    OGRwkbGeometryType t = wkbFlatten(OGR_L_GetGeomType(v->layer));
    if (t != wkbPolygon && t != wkbMultiPolygon && t != wkbUnknown && t != wkbGeometryCollection)
        return pl_error_set(err, PL_EINPUT, "%s: %s must be polygons, the layer has %s geometries", v->label, v->role,
                            OGRGeometryTypeToName(t));
    return PL_OK;
}

static int pick_pop_field(const pl_vector *v, const char *given, pl_error *err)
{
    static const char *const candidates[] = {"pop", "population", "befolkning", "folkmangd", "folkmängd",
                                             "invanare", "invånare", "antal_invanare", NULL};
    if (given) {
        int f = pl_vector_field_pick(v, given, NULL, "pop-field", 1, err);
        return f >= 0 && pl_pop_field_check(v, f, "pop-field", err) != PL_OK ? -1 : f;
    }
    int i = pl_vector_field_auto(v, candidates);
    if (i >= 0)
        return pl_pop_field_check(v, i, "pop-field", err) != PL_OK ? -1 : i;
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(v->layer);
    int found = -1, n_found = 0;
    char names[1024] = "";
    for (int k = 0; k < OGR_FD_GetFieldCount(defn); k++) {
        OGRFieldDefnH fd = OGR_FD_GetFieldDefn(defn, k);
        OGRFieldType t = OGR_Fld_GetType(fd);
        const char *name = OGR_Fld_GetNameRef(fd);
        if (strncasecmp(name, "pop", 3) == 0 && (t == OFTInteger || t == OFTInteger64 || t == OFTReal)) {
            found = k;
            n_found++;
            size_t used = strlen(names);
            snprintf(names + used, sizeof names - used, "%s%s", used ? ", " : "", name);
        }
    }
    if (n_found == 1)
        return pl_pop_field_check(v, found, "pop-field", err) != PL_OK ? -1 : found;
    if (n_found > 1)
        pl_error_set(err, PL_EINPUT, "%s: several population fields (%s); choose one with --pop-field", v->label,
                     names);
    else
        pl_error_set(err, PL_EINPUT, "%s: no population field found (looked for pop, population, befolkning, ...); "
                     "fields are: %s; use --pop-field", v->label, pl_vector_field_list(v));
    return -1;
}

static char *feature_id(OGRFeatureH f, int field)
{
    char buf[64];
    if (field >= 0 && OGR_F_IsFieldSetAndNotNull(f, field)) {
        /* Codes stored as real numbers (1410110.0) are written as integers. */
        if (OGR_Fld_GetType(OGR_F_GetFieldDefnRef(f, field)) == OFTReal) {
            double v = OGR_F_GetFieldAsDouble(f, field);
            if (v == floor(v) && fabs(v) < 1e15) {
                snprintf(buf, sizeof buf, "%.0f", v);
                return pl_strdup(buf);
            }
        }
        return pl_strdup(OGR_F_GetFieldAsString(f, field));
    }
    snprintf(buf, sizeof buf, "%lld", (long long)OGR_F_GetFID(f));
    return pl_strdup(buf);
}

#define GROW(arr, cap, n) \
    do { if ((n) == (cap)) { (cap) = (cap) ? 2 * (cap) : 64; (arr) = pl_realloc((arr), (cap) * sizeof *(arr)); } } while (0)

typedef struct overlap_scan {
    size_t self;
    size_t *hits, n_hits, cap;
} overlap_scan;

static void collect_later(void *item, void *user)
{
    overlap_scan *o = user;
    size_t j = (size_t)(uintptr_t)item - 1;
    if (j <= o->self)
        return;
    if (o->n_hits == o->cap) {
        o->cap = o->cap ? 2 * o->cap : 16;
        o->hits = pl_realloc(o->hits, o->cap * sizeof *o->hits);
    }
    o->hits[o->n_hits++] = j;
}

/* Areas that overlap would have their shared residents counted twice (the same layer given
 * twice, two DeSO versions in one file). Overlaps above PL_DASY_OVERLAP_TOLERANCE of the
 * smaller area are refused, naming the first pair and the count; slivers of digitised
 * borders below it are fine. STRtree candidates, a prepared-geometry test, and an
 * intersection only for pairs that meet. */
static int areas_overlap(pl_ctx *ctx, const pl_dasy_areas *a, pl_error *err)
{
    GEOSContextHandle_t h = ctx->geos;
    GEOSSTRtree *tree = GEOSSTRtree_create_r(h, 10);
    double *area = pl_calloc(a->n, sizeof *area);
    for (size_t i = 0; i < a->n; i++) {
        GEOSSTRtree_insert_r(h, tree, a->geom[i], (void *)(uintptr_t)(i + 1));
        GEOSArea_r(h, a->geom[i], &area[i]);
    }
    long pairs = 0;
    size_t fi = 0, fj = 0;
    double f_area = 0;
    overlap_scan o = {0};
    for (size_t i = 0; i < a->n; i++) {
        o.self = i;
        o.n_hits = 0;
        GEOSSTRtree_query_r(h, tree, a->geom[i], collect_later, &o);
        if (o.n_hits == 0)
            continue;
        const GEOSPreparedGeometry *prep = GEOSPrepare_r(h, a->geom[i]);
        for (size_t k = 0; k < o.n_hits; k++) {
            size_t j = o.hits[k];
            if (GEOSPreparedIntersects_r(h, prep, a->geom[j]) != 1)
                continue;
            GEOSGeometry *x = GEOSIntersection_r(h, a->geom[i], a->geom[j]);
            double ax = 0;
            if (x) {
                GEOSArea_r(h, x, &ax);
                GEOSGeom_destroy_r(h, x);
            }
            if (ax > PL_DASY_OVERLAP_TOLERANCE * fmin(area[i], area[j]) && ax > 0) {
                if (pairs++ == 0) {
                    fi = i;
                    fj = j;
                    f_area = ax;
                }
            }
        }
        GEOSPreparedGeom_destroy_r(h, prep);
    }
    free(o.hits);
    GEOSSTRtree_destroy_r(h, tree);
    int rc = PL_OK;
    if (pairs > 0)
        rc = pl_error_set(err, PL_EINPUT, "%s: areas %s and %s overlap (%.0f m2, %.0f %% of the smaller one), %ld "
                          "pair%s of areas overlap in all; the residents of an overlap would be counted twice: give "
                          "areas that do not overlap (not the same layer twice, one version of the areas)",
                          a->source, a->id[fi], a->id[fj], f_area,
                          100 * f_area / fmin(area[fi], area[fj]), pairs, pairs == 1 ? "" : "s");
    free(area);
    return rc;
}

pl_dasy_areas *pl_dasy_areas_load(pl_ctx *ctx, const char *spec, const char *pop_field, const char *id_field,
                                  const char *assume_crs, pl_error *err)
{
    pl_error_clear(err);
    pl_vector_opts vo = {.assume_crs = assume_crs, .role = "areas"};
    pl_vector *v = pl_vector_open(ctx, spec, &vo, err);
    if (!v)
        return NULL;
    static const char *const id_candidates[] = {"id", "code", "nyckelkod", "deso", "deso_kod", "regso", "rut_id",
                                                "kod", NULL};
    int fpop = -1, fid = -1;
    if (check_polygon_layer(v, err) != PL_OK || (fpop = pick_pop_field(v, pop_field, err)) < 0) {
        pl_vector_close(v);
        return NULL;
    }
    fid = id_field ? pl_vector_field_pick(v, id_field, NULL, "id-field", 1, err)
                   : pl_vector_field_auto(v, id_candidates);
    if (id_field && fid < 0) {
        pl_vector_close(v);
        return NULL;
    }
    pl_dasy_areas *a = pl_calloc(1, sizeof *a);
    a->source = pl_strdup(v->label);
    size_t cap = 0, cap2 = 0, cap3 = 0;
    OGRFeatureH f;
    OGR_L_ResetReading(v->layer);
    int failed = 0;
    long n_read = 0;
    while (!failed && (f = pl_layer_next(v)) != NULL) {
        n_read++;
        double pop = 0;
        if (pl_vector_get_number(f, fpop, &pop) != 0) {
            if (OGR_F_IsFieldSetAndNotNull(f, fpop)) {
                pl_error_set(err, PL_EINPUT, "%s: feature %lld: population '%s' is not a number; fix the value or "
                             "choose another --pop-field", v->label, (long long)OGR_F_GetFID(f),
                             OGR_F_GetFieldAsString(f, fpop));
                failed = 1;
            } else {
                pl_warn(ctx, "population-missing", "%s: feature %lld: population is empty; counted as 0", v->label,
                        (long long)OGR_F_GetFID(f));
                pop = 0;
            }
        } else if (pop < 0) {
            pl_error_set(err, PL_EINPUT, "%s: feature %lld: population %g is negative; fix the input", v->label,
                         (long long)OGR_F_GetFID(f), pop);
            failed = 1;
        }
        if (!failed) {
            GEOSGeometry *g = feature_polygon(ctx, v, f, "area-skipped");
            if (g) {
                GROW(a->geom, cap, a->n);
                GROW(a->id, cap2, a->n);
                GROW(a->pop, cap3, a->n);
                a->geom[a->n] = g;
                a->id[a->n] = feature_id(f, fid);
                a->pop[a->n] = pop;
                a->total += pop;
                a->n++;
            } else if (pop > 0) {
                pl_warn(ctx, "population-lost", "%s: feature %lld: %g people dropped with its unusable geometry",
                        v->label, (long long)OGR_F_GetFID(f), pop);
            }
        }
        OGR_F_Destroy(f);
    }
    if (!failed && pl_layer_read_failed(v, n_read, err) != PL_OK)
        failed = 1;
    if (!failed && a->n > 0) {
        double area = 0;
        for (size_t i = 0; i < a->n; i++) {
            double ai = 0;
            if (GEOSArea_r(ctx->geos, a->geom[i], &ai) == 1)
                area += ai;
        }
        failed = pl_pop_values_check(v, fpop, a->pop, a->n, a->total, area, "pop-field", err) != PL_OK;
    }
    pl_vector_close(v);
    if (!failed && a->n > 0)
        failed = areas_overlap(ctx, a, err) != PL_OK;
    if (failed) {
        pl_dasy_areas_free(ctx, a);
        return NULL;
    }
    if (a->n == 0) {
        pl_error_set(err, PL_EINPUT, "%s: no usable area polygons", a->source);
        pl_dasy_areas_free(ctx, a);
        return NULL;
    }
    return a;
}

static int truthy(OGRFeatureH f, int field)
{
    if (field < 0 || !OGR_F_IsFieldSetAndNotNull(f, field))
        return 0;
    OGRFieldType t = OGR_Fld_GetType(OGR_F_GetFieldDefnRef(f, field));
    if (t == OFTInteger || t == OFTInteger64 || t == OFTReal)
        return OGR_F_GetFieldAsDouble(f, field) != 0;
    const char *s = OGR_F_GetFieldAsString(f, field);
    return !strcasecmp(s, "1") || !strcasecmp(s, "yes") || !strcasecmp(s, "true") || !strcasecmp(s, "ja");
}

pl_dasy_buildings *pl_dasy_buildings_load(pl_ctx *ctx, const char *spec, const char *weight_field,
                                          const char *residential_field, const char *assume_crs, pl_error *err)
{
    pl_error_clear(err);
    pl_vector_opts vo = {.assume_crs = assume_crs, .role = "buildings"};
    pl_vector *v = pl_vector_open(ctx, spec, &vo, err);
    if (!v)
        return NULL;
    static const char *const weight_candidates[] = {"floor_area_m2", "floor_area", NULL};
    static const char *const res_candidates[] = {"residential", NULL};
    static const char *const id_candidates[] = {"osm_id", "id", "objekt_id", NULL};
    if (check_polygon_layer(v, err) != PL_OK) {
        pl_vector_close(v);
        return NULL;
    }
    int fw = weight_field ? pl_vector_field_pick(v, weight_field, NULL, "weight-field", 1, err)
                          : pl_vector_field_auto(v, weight_candidates);
    int fr = residential_field ? pl_vector_field_pick(v, residential_field, NULL, "residential-field", 1, err)
                               : pl_vector_field_auto(v, res_candidates);
    if ((weight_field && fw < 0) || (residential_field && fr < 0)) {
        pl_vector_close(v);
        return NULL;
    }
    if (fr < 0)
        pl_info(ctx, "%s: no residential field; every building counts as a home", v->label);
    int fid = pl_vector_field_auto(v, id_candidates);
    pl_dasy_buildings *b = pl_calloc(1, sizeof *b);
    b->source = pl_strdup(v->label);
    size_t c1 = 0, c2 = 0, c3 = 0, c4 = 0;
    OGRFeatureH f;
    OGR_L_ResetReading(v->layer);
    long n_read = 0;
    while ((f = pl_layer_next(v)) != NULL) {
        n_read++;
        GEOSGeometry *g = feature_polygon(ctx, v, f, "building-skipped");
        if (g) {
            double w = NAN;
            if (fw >= 0 && (pl_vector_get_number(f, fw, &w) != 0 || !(w >= 0))) {
                pl_warn(ctx, "building-weight-missing", "%s: feature %lld: weight empty or negative; footprint area "
                        "used", v->label, (long long)OGR_F_GetFID(f));
                w = NAN;
            }
            if (!isfinite(w))
                GEOSArea_r(ctx->geos, g, &w);
            GROW(b->geom, c1, b->n);
            GROW(b->id, c2, b->n);
            GROW(b->weight, c3, b->n);
            GROW(b->residential, c4, b->n);
            b->geom[b->n] = g;
            b->id[b->n] = feature_id(f, fid);
            b->weight[b->n] = w;
            b->residential[b->n] = fr < 0 ? 1 : truthy(f, fr);
            b->n++;
        }
        OGR_F_Destroy(f);
    }
    if (pl_layer_read_failed(v, n_read, err) != PL_OK) {
        pl_vector_close(v);
        pl_dasy_buildings_free(ctx, b);
        return NULL;
    }
    pl_vector_close(v);
    return b;
}

void pl_dasy_areas_free(pl_ctx *ctx, pl_dasy_areas *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n; i++) {
        GEOSGeom_destroy_r(ctx->geos, a->geom[i]);
        free(a->id[i]);
    }
    free(a->geom);
    free(a->id);
    free(a->pop);
    free(a->source);
    free(a);
}

void pl_dasy_buildings_free(pl_ctx *ctx, pl_dasy_buildings *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++) {
        GEOSGeom_destroy_r(ctx->geos, b->geom[i]);
        free(b->id[i]);
    }
    free(b->geom);
    free(b->id);
    free(b->weight);
    free(b->residential);
    free(b->source);
    free(b);
}

/* ---------- the distribution ---------- */

typedef struct min_hit {
    long best;
    const GEOSPreparedGeometry **prep;
    const GEOSGeometry *pt;
    GEOSContextHandle_t h;
} min_hit;

static void visit_area(void *item, void *user)
{
    min_hit *m = user;
    long i = (long)((uintptr_t)item - 1);
    if ((m->best < 0 || i < m->best) && GEOSPreparedIntersects_r(m->h, m->prep[i], m->pt) == 1)
        m->best = i;
}

static int xy_of(pl_ctx *ctx, const GEOSGeometry *p, double *x, double *y)
{
    return GEOSGeomGetX_r(ctx->geos, p, x) == 1 && GEOSGeomGetY_r(ctx->geos, p, y) == 1 ? 0 : -1;
}

int pl_dasymetric(pl_ctx *ctx, const pl_dasy_areas *a, const pl_dasy_buildings *b, pl_dasy_result *out,
                  pl_error *err)
{
    memset(out, 0, sizeof *out);
    size_t nb = b->n, na = a->n;
    out->area = pl_calloc(nb ? nb : 1, sizeof *out->area);
    out->pop = pl_calloc(nb ? nb : 1, sizeof *out->pop);
    out->x = pl_calloc(nb ? nb : 1, sizeof *out->x);
    out->y = pl_calloc(nb ? nb : 1, sizeof *out->y);
    out->bmethod = pl_calloc(nb ? nb : 1, sizeof *out->bmethod);
    out->method = pl_calloc(na ? na : 1, sizeof *out->method);
    out->n_buildings = pl_calloc(na ? na : 1, sizeof *out->n_buildings);
    out->assigned = pl_calloc(na ? na : 1, sizeof *out->assigned);
    out->px = pl_calloc(na ? na : 1, sizeof *out->px);
    out->py = pl_calloc(na ? na : 1, sizeof *out->py);
    out->ppop = pl_calloc(na ? na : 1, sizeof *out->ppop);
    out->parea = pl_calloc(na ? na : 1, sizeof *out->parea);

    GEOSSTRtree *tree = GEOSSTRtree_create_r(ctx->geos, 10);
    const GEOSPreparedGeometry **prep = pl_calloc(na ? na : 1, sizeof *prep);
    for (size_t i = 0; i < na; i++) {
        prep[i] = GEOSPrepare_r(ctx->geos, a->geom[i]);
        GEOSSTRtree_insert_r(ctx->geos, tree, a->geom[i], (void *)(uintptr_t)(i + 1));
    }
    double *w_res = pl_calloc(na ? na : 1, sizeof *w_res);
    double *w_all = pl_calloc(na ? na : 1, sizeof *w_all);
    int rc = PL_OK;
    for (size_t k = 0; k < nb; k++) {
        out->area[k] = -1;
        GEOSGeometry *p = GEOSPointOnSurface_r(ctx->geos, b->geom[k]);
        if (!p || xy_of(ctx, p, &out->x[k], &out->y[k]) != 0) {
            if (p)
                GEOSGeom_destroy_r(ctx->geos, p);
            pl_warn(ctx, "building-skipped", "%s: building %s: no point on surface; skipped", b->source, b->id[k]);
            continue;
        }
        min_hit m = {.best = -1, .prep = prep, .pt = p, .h = ctx->geos};
        GEOSSTRtree_query_r(ctx->geos, tree, p, visit_area, &m);
        GEOSGeom_destroy_r(ctx->geos, p);
        out->area[k] = m.best;
        if (m.best < 0) {
            out->buildings_outside++;
            continue;
        }
        w_all[m.best] += b->weight[k];
        if (b->residential[k])
            w_res[m.best] += b->weight[k];
        if (k % 4096 == 0 && pl_progress(ctx, 0.8 * (double)k / (double)nb, "assigning buildings to areas")) {
            rc = pl_error_set(err, PL_EINPUT, "cancelled");
            break;
        }
    }
    for (size_t i = 0; rc == PL_OK && i < na; i++) {
        if (!(a->pop[i] > 0))
            out->method[i] = PL_DASY_NONE;
        else if (w_res[i] > 0)
            out->method[i] = PL_DASY_RESIDENTIAL;
        else if (w_all[i] > 0)
            out->method[i] = PL_DASY_ALL_BUILDINGS;
        else
            out->method[i] = PL_DASY_AREA_POINT;
    }
    /* Shares of the weight; the last building of each area takes the remainder, so the
     * buildings' populations add up to the area's count without rounding drift. */
    long *last = pl_calloc(na ? na : 1, sizeof *last);
    for (size_t i = 0; i < na; i++)
        last[i] = -1;
    for (size_t k = 0; rc == PL_OK && k < nb; k++) {
        long i = out->area[k];
        if (i < 0)
            continue;
        pl_dasy_method m = out->method[i];
        out->bmethod[k] = m;
        double share = 0;
        if (m == PL_DASY_RESIDENTIAL && b->residential[k])
            share = b->weight[k] / w_res[i];
        else if (m == PL_DASY_ALL_BUILDINGS)
            share = b->weight[k] / w_all[i];
        out->pop[k] = a->pop[i] * share;
        if (out->pop[k] > 0) {
            out->n_buildings[i]++;
            last[i] = (long)k;
        }
    }
    for (size_t k = 0; rc == PL_OK && k < nb; k++) {
        long i = out->area[k];
        if (i >= 0 && (long)k != last[i])
            out->assigned[i] += out->pop[k];
    }
    for (size_t i = 0; rc == PL_OK && i < na; i++)
        if (last[i] >= 0) {
            double rest = a->pop[i] - out->assigned[i];
            out->pop[last[i]] = rest > 0 ? rest : 0;
            out->assigned[i] += out->pop[last[i]];
        }
    free(last);
    for (size_t i = 0; rc == PL_OK && i < na; i++) {
        if (out->method[i] != PL_DASY_AREA_POINT)
            continue;
        GEOSGeometry *p = GEOSPointOnSurface_r(ctx->geos, a->geom[i]);
        double x = 0, y = 0;
        if (p && xy_of(ctx, p, &x, &y) == 0) {
            size_t j = out->n_points++;
            out->px[j] = x;
            out->py[j] = y;
            out->ppop[j] = a->pop[i];
            out->parea[j] = i;
            out->assigned[i] = a->pop[i];
            pl_warn(ctx, "population-no-building",
                    "%s: area %s: %g people but no building inside; kept at one point inside the area", a->source,
                    a->id[i], a->pop[i]);
        }
        if (p)
            GEOSGeom_destroy_r(ctx->geos, p);
    }
    for (size_t i = 0; i < na; i++)
        if (out->method[i] == PL_DASY_ALL_BUILDINGS)
            pl_warn(ctx, "population-no-residential",
                    "%s: area %s: no residential building; %g people spread over all its buildings", a->source,
                    a->id[i], a->pop[i]);
    free(w_res);
    free(w_all);
    for (size_t i = 0; i < na; i++)
        GEOSPreparedGeom_destroy_r(ctx->geos, prep[i]);
    free(prep);
    GEOSSTRtree_destroy_r(ctx->geos, tree);
    return rc;
}

void pl_dasy_result_free(pl_dasy_result *r)
{
    if (!r)
        return;
    free(r->area);
    free(r->pop);
    free(r->x);
    free(r->y);
    free(r->bmethod);
    free(r->px);
    free(r->py);
    free(r->ppop);
    free(r->parea);
    free(r->method);
    free(r->n_buildings);
    free(r->assigned);
    memset(r, 0, sizeof *r);
}


int pl_population_opts_init(pl_population_opts *o)
{
    memset(o, 0, sizeof *o);
    return pl_options_defaults(pl_population_options, o, NULL);
}

void pl_population_opts_free(pl_population_opts *o)
{
    pl_options_free(pl_population_options, o);
}

const char pl_population_usage[] = "platsa population --areas A --buildings B -o OUT.gpkg [--pop-field F]";
const char pl_population_summary[] =
    "Distributes each area's population over the residential buildings inside it, in proportion\n"
    "to their floor area (floor_area_m2 from import-osm, else the footprint). A building belongs to\n"
    "the area containing its point on surface. An area with people but no residential building\n"
    "spreads them over all its buildings; with no building at all they stay at one point inside\n"
    "the area (counted warning). Every area's total is preserved.\n"
    "\n"
    "Output: layer population (points on the buildings, field pop: what the other commands read\n"
    "as population, plus area_id, method, building_id, weight), table areas (area_id, pop,\n"
    "pop_assigned, n_buildings, method), and with --polygons layer buildings (footprints with pop).\n"
    "Populations are fractional; their sum per area equals the area's count.";
