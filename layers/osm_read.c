/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reading an OSM extract and mapping its features to platsa's layers (see osm.h for the
 * layers and fields). The roads and tree rows come from layers/osm_roads.c (readosm, with OSM
 * node ids); everything else from GDAL's OSM driver, read here.
 *
 * The driver is opened with platsa's share/osmconf.ini (open option CONFIG_FILE) and read
 * with GDALDatasetGetNextFeature, the interleaved reading the driver needs for .pbf files.
 * Only the points and multipolygons layers are built ("SET interest_layers"): the lines are
 * osm_roads.c's.
 *
 * Clipped extracts: the driver silently drops multipolygon/boundary relations with a member
 * way missing, and keeps ways with only the nodes present. It says so only in CPLDebug
 * messages, so while reading platsa turns on CPL_DEBUG=OSM for this thread and counts those
 * messages as warnings: osm-incomplete-multipolygon (relation skipped), osm-way-missing-nodes
 * (a line kept with the nodes present), osm-way-dropped (a way with fewer than 2 nodes
 * present). They cover every way and relation of the extract, not only the mapped ones,
 * except the ways osm_roads.c read (it warns for those itself). */
#include "osm_internal.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>
#include <inttypes.h>
#include <math.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "gis/share.h"
#include "gis/vector.h"

void pl_osm_read_opts_default(pl_osm_read_opts *o)
{
    memset(o, 0, sizeof *o);
    o->tree_row_spacing_m = 10.0;
    o->default_crown_m = 3.0;
    o->admin_level = 7;
    o->default_levels = 3.0;
    o->osmconf = NULL;
}

const char *pl_osm_type_name(pl_osm_type t)
{
    return t == PL_OSM_NODE ? "node" : t == PL_OSM_WAY ? "way" : "relation";
}

#define PUSH(d, name) \
    (((d)->n_##name == (d)->cap_##name \
          ? ((d)->cap_##name = (d)->cap_##name ? 2 * (d)->cap_##name : 64, \
             (d)->name = pl_realloc((d)->name, (d)->cap_##name * sizeof *(d)->name)) \
          : 0), \
     memset(&(d)->name[(d)->n_##name], 0, sizeof *(d)->name), &(d)->name[(d)->n_##name++])

/* ---------- tags as fields ---------- */

/* OSM keys read from the driver's fields (laundered: ':' -> '_'). */
static const char *const osm_keys[] = {
    "name", "amenity", "shop", "healthcare", "post_partner", "vending", "atm",
    "fuel:biogas", "fuel:cng", "fuel:lbg", "fuel:h2", "fuel:hydrogen", "fuel:h35", "fuel:h70", "fuel:lh2",
    "natural", "diameter_crown", "height", "highway", "route", "maxspeed", "oneway", "junction",
    "access", "motor_vehicle", "motorcar", "vehicle", "bicycle", "foot", "motorroad", "bridge", "tunnel",
    "layer", "indoor", "leisure", "landuse", "building", "building:levels", "boundary", "admin_level",
    "ref", "ref:scb", "type", "post_office",
};
#define N_KEYS (sizeof osm_keys / sizeof osm_keys[0])

static void launder(const char *key, char *out, size_t size);

typedef struct layer_fields {
    int idx[N_KEYS];
    int osm_id, osm_way_id;
} layer_fields;

typedef struct feat {
    OGRFeatureH f;
    const layer_fields *lf;
} feat;

static void layer_fields_init(OGRLayerH layer, layer_fields *lf)
{
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    for (size_t k = 0; k < N_KEYS; k++) {
        char laundered[64];
        launder(osm_keys[k], laundered, sizeof laundered);
        lf->idx[k] = OGR_FD_GetFieldIndex(defn, laundered);
    }
    lf->osm_id = OGR_FD_GetFieldIndex(defn, "osm_id");
    lf->osm_way_id = OGR_FD_GetFieldIndex(defn, "osm_way_id");
}

static const char *field_text(OGRFeatureH f, int i)
{
    if (i < 0 || !OGR_F_IsFieldSetAndNotNull(f, i))
        return NULL;
    return OGR_F_GetFieldAsString(f, i);
}

static void launder(const char *key, char *out, size_t size)
{
    snprintf(out, size, "%s", key);
    for (char *c = out; *c; c++)
        if (*c == ':')
            *c = '_';
}

static const char *tag(const feat *ft, const char *key)
{
    for (size_t k = 0; k < N_KEYS; k++)
        if (!strcmp(osm_keys[k], key))
            return field_text(ft->f, ft->lf->idx[k]);
    /* A key from a service type registry: look the field up by name. */
    char laundered[128];
    launder(key, laundered, sizeof laundered);
    return field_text(ft->f, OGR_F_GetFieldIndex(ft->f, laundered));
}

static const char *tag_getter(const char *key, void *user)
{
    return tag((const feat *)user, key);
}

static int tag_is(const feat *ft, const char *key, const char *value)
{
    const char *v = tag(ft, key);
    return v && !strcmp(v, value);
}

static int64_t parse_id(const char *s)
{
    return s ? strtoll(s, NULL, 10) : 0;
}

static char *dup_or_null(const char *s)
{
    return s && *s ? pl_strdup(s) : NULL;
}

/* ---------- GDAL diagnostics of the OSM driver ---------- */

typedef struct osm_diag {
    pl_ctx *ctx;
    const char *file;
    const pl_osm_lines *lines;   /* ways already warned about by osm_roads.c */
    char last_error[512];
} osm_diag;

static void CPL_STDCALL osm_error_handler(CPLErr cls, CPLErrorNum no, const char *msg)
{
    (void)no;
    osm_diag *d = CPLGetErrorHandlerUserData();
    if (!d || !msg)
        return;
    if (cls == CE_Debug) {
        const char *p;
        long long id, a, b;
        if ((p = strstr(msg, "Relation ")) && strstr(p, "has missing ways") && sscanf(p, "Relation %lld", &id) == 1)
            pl_warn(d->ctx, "osm-incomplete-multipolygon",
                    "%s: relation %lld: member ways missing from the extract; the (multi)polygon is skipped "
                    "(the extract is clipped; use a larger or referentially complete extract)",
                    d->file, id);
        else if ((p = strstr(msg, "For way ")) && sscanf(p, "For way %lld, got only %lld nodes instead of %lld", &id,
                                                          &a, &b) == 3) {
            if (!d->lines || !pl_osm_lines_has_way(d->lines, id))
                pl_warn(d->ctx, "osm-way-missing-nodes",
                        "%s: way %lld: only %lld of its %lld nodes are in the extract; kept with those nodes",
                        d->file, id, a, b);
        } else if ((p = strstr(msg, "Way ")) && strstr(p, "Discarding it") && sscanf(p, "Way %lld with %lld", &id, &a) == 2) {
            if (!d->lines || !pl_osm_lines_has_way(d->lines, id))
                pl_warn(d->ctx, "osm-way-dropped", "%s: way %lld: %lld node(s) in the extract; dropped", d->file, id, a);
        }
        return;
    }
    if (cls >= CE_Failure)
        snprintf(d->last_error, sizeof d->last_error, "%s", msg);
    else if (cls == CE_Warning && strstr(msg, "Non closed ring"))
        pl_warn(d->ctx, "osm-unclosed-ring",
                "%s: a multipolygon ring does not close (broken or clipped relation); GDAL closed it", d->file);
    else if (cls == CE_Warning)
        pl_warn(d->ctx, "osm-gdal-warning", "%s: GDAL: %s", d->file, msg);
}

/* ---------- geometry helpers ---------- */

typedef struct reader {
    pl_ctx *ctx;
    const pl_osm_read_opts *o;
    pl_osm_data *d;
    OGRCoordinateTransformationH to_work;
    const char *file;
    /* area services waiting for the node/area de-duplication: index and polygon */
    size_t *area_service, n_area_service, cap_area_service;
    GEOSGeometry **area_service_geom;
    /* landuse=residential polygons (buildings tagged only building=yes inside are residential) */
    GEOSGeometry **residential_arr;
    size_t n_residential, cap_residential;
} reader;

/* The feature's geometry in the working CRS as GEOS (NULL when empty or not transformable). */
static GEOSGeometry *work_geom(reader *r, OGRGeometryH src, int64_t id, const char *what)
{
    if (!src || OGR_G_IsEmpty(src))
        return NULL;
    OGRGeometryH g = OGR_G_Clone(src);
    if (r->to_work && OGR_G_Transform(g, r->to_work) != OGRERR_NONE) {
        pl_warn(r->ctx, "osm-transform-failed", "%s: %s %" PRId64 ": cannot be transformed to %s; skipped", r->file,
                what, id, r->ctx->work_crs);
        OGR_G_DestroyGeometry(g);
        return NULL;
    }
    GEOSGeometry *out = pl_ogr_to_geos(r->ctx, g);
    OGR_G_DestroyGeometry(g);
    if (!out)
        pl_warn(r->ctx, "osm-invalid-geometry",
                "%s: %s %" PRId64 ": geometry unusable (too few nodes, e.g. clipped at the extract's edge); skipped",
                r->file, what, id);
    return out;
}

/* Keeps the polygonal parts of g as a MultiPolygon (takes g). NULL when none. */
static GEOSGeometry *as_multipolygon(pl_ctx *ctx, GEOSGeometry *g)
{
    if (!g)
        return NULL;
    int t = GEOSGeomTypeId_r(ctx->geos, g);
    if (t == GEOS_MULTIPOLYGON)
        return g;
    if (t == GEOS_POLYGON) {
        GEOSGeometry *parts[1] = {g};
        return GEOSGeom_createCollection_r(ctx->geos, GEOS_MULTIPOLYGON, parts, 1);
    }
    GEOSGeometry *out = NULL;
    if (t == GEOS_GEOMETRYCOLLECTION) {
        size_t np = 0, cap = 0;
        GEOSGeometry **parts = NULL;
        int n = GEOSGetNumGeometries_r(ctx->geos, g);
        for (int i = 0; i < n; i++) {
            const GEOSGeometry *p = GEOSGetGeometryN_r(ctx->geos, g, i);
            int pt = GEOSGeomTypeId_r(ctx->geos, p);
            int m = pt == GEOS_POLYGON ? 1 : pt == GEOS_MULTIPOLYGON ? GEOSGetNumGeometries_r(ctx->geos, p) : 0;
            for (int j = 0; j < m; j++) {
                const GEOSGeometry *q = pt == GEOS_POLYGON ? p : GEOSGetGeometryN_r(ctx->geos, p, j);
                if (GEOSisEmpty_r(ctx->geos, q) != 0)
                    continue;
                if (np == cap) {
                    cap = cap ? 2 * cap : 8;
                    parts = pl_realloc(parts, cap * sizeof *parts);
                }
                parts[np++] = GEOSGeom_clone_r(ctx->geos, q);
            }
        }
        if (np)
            out = GEOSGeom_createCollection_r(ctx->geos, GEOS_MULTIPOLYGON, parts, (unsigned)np);
        free(parts);
    }
    GEOSGeom_destroy_r(ctx->geos, g);
    return out;
}

/* A valid MultiPolygon in the working CRS, or NULL (warned). */
static GEOSGeometry *work_polygon(reader *r, OGRGeometryH src, int64_t id, pl_osm_type type)
{
    GEOSGeometry *g = work_geom(r, src, id, pl_osm_type_name(type));
    if (!g)
        return NULL;
    int repaired = 0;
    g = pl_geos_make_valid(r->ctx, g, &repaired);
    if (!g) {
        pl_warn(r->ctx, "osm-invalid-geometry", "%s: %s %" PRId64 ": polygon cannot be repaired; skipped", r->file,
                pl_osm_type_name(type), id);
        return NULL;
    }
    g = as_multipolygon(r->ctx, g);
    if (!g)
        pl_warn(r->ctx, "osm-invalid-geometry",
                "%s: %s %" PRId64 ": polygon collapses when repaired (too few distinct nodes); skipped", r->file,
                pl_osm_type_name(type), id);
    else if (repaired)
        pl_warn(r->ctx, "osm-polygon-repaired", "%s: %s %" PRId64 ": invalid polygon repaired (GEOSMakeValid)",
                r->file, pl_osm_type_name(type), id);
    return g;
}

static int point_on_surface(pl_ctx *ctx, const GEOSGeometry *g, double *x, double *y)
{
    GEOSGeometry *p = GEOSPointOnSurface_r(ctx->geos, g);
    if (!p)
        return -1;
    int ok = GEOSGeomGetX_r(ctx->geos, p, x) == 1 && GEOSGeomGetY_r(ctx->geos, p, y) == 1;
    GEOSGeom_destroy_r(ctx->geos, p);
    return ok ? 0 : -1;
}

/* ---------- mapping ---------- */

static void add_services(reader *r, const feat *ft, int64_t id, pl_osm_type type, double x, double y,
                         const GEOSGeometry *area)
{
    const char *types[PL_OSM_MAX_SERVICE_MATCHES];
    char raw[PL_OSM_MAX_SERVICE_MATCHES][64];
    int n = pl_osm_service_types(r->o->service_types, tag_getter, (void *)ft, types, raw, PL_OSM_MAX_SERVICE_MATCHES);
    for (int i = 0; i < n; i++) {
        pl_osm_service *s = PUSH(r->d, services);
        s->x = x;
        s->y = y;
        s->osm_id = id;
        s->osm_type = type;
        s->name = dup_or_null(tag(ft, "name"));
        snprintf(s->type, sizeof s->type, "%s", types[i]);
        snprintf(s->raw_tag, sizeof s->raw_tag, "%s", raw[i]);
        if (area) {
            if (r->n_area_service == r->cap_area_service) {
                r->cap_area_service = r->cap_area_service ? 2 * r->cap_area_service : 64;
                r->area_service = pl_realloc(r->area_service, r->cap_area_service * sizeof *r->area_service);
                r->area_service_geom =
                    pl_realloc(r->area_service_geom, r->cap_area_service * sizeof *r->area_service_geom);
            }
            r->area_service[r->n_area_service] = r->d->n_services - 1;
            r->area_service_geom[r->n_area_service++] = GEOSGeom_clone_r(r->ctx->geos, area);
        }
    }
}

static void add_tree(reader *r, const char *diameter_crown, const char *height, int64_t id, double x, double y,
                     int from_row)
{
    pl_osm_tree *t = PUSH(r->d, trees);
    t->x = x;
    t->y = y;
    t->osm_id = id;
    t->from_row = from_row;
    t->crown_radius_m = pl_osm_crown_radius(diameter_crown, height, r->o->default_crown_m, &t->crown_from);
    double h;
    t->height_m = pl_osm_parse_length_m(height, &h) == 0 ? h : NAN;
    const char *dc = diameter_crown;
    if (dc && strcmp(t->crown_from, "diameter_crown") != 0)
        pl_warn(r->ctx, "osm-tag-unparsed", "%s: tree %" PRId64 ": diameter_crown '%s' not understood; ignored", r->file,
                id, dc);
}

/* natural=tree_row: one tree per spacing metres, at the middle of equal pieces. */
static void add_tree_row(reader *r, const char *diameter_crown, const char *height, int64_t id,
                         const GEOSGeometry *line)
{
    double len = 0;
    if (GEOSLength_r(r->ctx->geos, line, &len) != 1 || !(len > 0))
        return;
    long n = lround(len / r->o->tree_row_spacing_m);
    if (n < 1)
        n = 1;
    for (long i = 0; i < n; i++) {
        GEOSGeometry *p = GEOSInterpolate_r(r->ctx->geos, line, ((double)i + 0.5) * len / (double)n);
        double x, y;
        if (p && GEOSGeomGetX_r(r->ctx->geos, p, &x) == 1 && GEOSGeomGetY_r(r->ctx->geos, p, &y) == 1)
            add_tree(r, diameter_crown, height, id, x, y, 1);
        if (p)
            GEOSGeom_destroy_r(r->ctx->geos, p);
    }
}

static void map_point(reader *r, const feat *ft)
{
    int64_t id = parse_id(field_text(ft->f, ft->lf->osm_id));
    OGRGeometryH src = OGR_F_GetGeometryRef(ft->f);
    if (!src || OGR_G_IsEmpty(src))
        return;
    int is_tree = tag_is(ft, "natural", "tree");
    const char *types[PL_OSM_MAX_SERVICE_MATCHES];
    char raw[PL_OSM_MAX_SERVICE_MATCHES][64];
    int n_services =
        pl_osm_service_types(r->o->service_types, tag_getter, (void *)ft, types, raw, PL_OSM_MAX_SERVICE_MATCHES);
    if (!is_tree && n_services == 0)
        return;
    double x = OGR_G_GetX(src, 0), y = OGR_G_GetY(src, 0), z = 0;
    if (r->to_work && !OCTTransform(r->to_work, 1, &x, &y, &z)) {
        pl_warn(r->ctx, "osm-transform-failed", "%s: node %" PRId64 ": cannot be transformed to %s; skipped", r->file,
                id, r->ctx->work_crs);
        return;
    }
    if (n_services)
        add_services(r, ft, id, PL_OSM_NODE, x, y, NULL);
    if (is_tree)
        add_tree(r, tag(ft, "diameter_crown"), tag(ft, "height"), id, x, y, 0);
}

static const char *green_kind(const feat *ft)
{
    static const char *const leisure[] = {"park", "garden", "playground", "nature_reserve", NULL};
    static const char *const landuse[] = {"recreation_ground", "village_green", "grass", "forest", "meadow", NULL};
    const char *v = tag(ft, "leisure");
    for (int i = 0; v && leisure[i]; i++)
        if (!strcmp(v, leisure[i]))
            return leisure[i];
    v = tag(ft, "landuse");
    for (int i = 0; v && landuse[i]; i++)
        if (!strcmp(v, landuse[i]))
            return landuse[i];
    if (tag_is(ft, "natural", "wood"))
        return "wood";
    return NULL;
}

static const char *access_class(const char *access, int *is_public)
{
    *is_public = 1;
    if (!access || !*access)
        return "unknown";
    if (!strcmp(access, "private") || !strcmp(access, "no")) {
        *is_public = 0;
        return "private";
    }
    return "public";
}

static int in_list(const char *v, const char *const *list)
{
    for (int i = 0; v && list[i]; i++)
        if (!strcmp(v, list[i]))
            return 1;
    return 0;
}

static const char *const residential_buildings[] = {"residential", "apartments", "house", "detached", "terrace",
                                                    "semidetached_house", "bungalow", "farm", "dormitory", NULL};
static const char *const one_level_buildings[] = {"house", "detached", "terrace", "semidetached_house", "bungalow",
                                                  "farm", "garage", "garages", "shed", "hut", "carport", "roof",
                                                  "cabin", "kiosk", "greenhouse", "barn", "service", "toilets",
                                                  "boathouse", "farm_auxiliary", NULL};

static void add_building(reader *r, const feat *ft, int64_t id, pl_osm_type type, const GEOSGeometry *g)
{
    const char *b = tag(ft, "building");
    pl_osm_building *bd = PUSH(r->d, buildings);
    bd->geom = GEOSGeom_clone_r(r->ctx->geos, g);
    bd->osm_id = id;
    bd->osm_type = type;
    bd->building = pl_strdup(b);
    bd->residential = in_list(b, residential_buildings);
    GEOSArea_r(r->ctx->geos, g, &bd->footprint_m2);
    double h, lv;
    bd->height_m = pl_osm_parse_length_m(tag(ft, "height"), &h) == 0 ? h : NAN;
    const char *lt = tag(ft, "building:levels");
    if (pl_osm_parse_levels(lt, &lv) == 0) {
        bd->levels = lv;
        bd->levels_from = "tag";
    } else {
        if (lt)
            pl_warn(r->ctx, "osm-tag-unparsed", "%s: %s %" PRId64 ": building:levels '%s' not understood; estimated",
                    r->file, pl_osm_type_name(type), id, lt);
        if (isfinite(bd->height_m) && bd->height_m > 0) {
            bd->levels = fmax(1.0, round(bd->height_m / 3.0));
            bd->levels_from = "height";
        } else {
            bd->levels = in_list(b, one_level_buildings) ? 1.0 : r->o->default_levels;
            bd->levels_from = "default";
        }
    }
    bd->floor_area_m2 = bd->footprint_m2 * bd->levels;
}

static void map_polygon(reader *r, const feat *ft)
{
    const char *rel = field_text(ft->f, ft->lf->osm_id);
    pl_osm_type type = rel ? PL_OSM_RELATION : PL_OSM_WAY;
    int64_t id = parse_id(rel ? rel : field_text(ft->f, ft->lf->osm_way_id));

    const char *types[PL_OSM_MAX_SERVICE_MATCHES];
    char raw[PL_OSM_MAX_SERVICE_MATCHES][64];
    int n_services =
        pl_osm_service_types(r->o->service_types, tag_getter, (void *)ft, types, raw, PL_OSM_MAX_SERVICE_MATCHES);
    const char *kind = green_kind(ft);
    const char *natural = tag(ft, "natural"), *landuse = tag(ft, "landuse"), *building = tag(ft, "building");
    const char *canopy = natural && !strcmp(natural, "wood") ? "wood"
                         : landuse && !strcmp(landuse, "forest") ? "forest"
                                                                  : NULL;
    int is_building = building && strcmp(building, "no") != 0;
    const char *al = tag(ft, "admin_level");
    int is_muni = tag_is(ft, "boundary", "administrative") && al && atoi(al) == r->o->admin_level;
    int is_residential_zone = landuse && !strcmp(landuse, "residential");
    int tree_row = natural && !strcmp(natural, "tree_row");
    if (!n_services && !kind && !canopy && !is_building && !is_muni && !is_residential_zone && !tree_row)
        return;

    GEOSGeometry *g = work_polygon(r, OGR_F_GetGeometryRef(ft->f), id, type);
    if (!g)
        return;
    pl_ctx *ctx = r->ctx;
    if (n_services) {
        double x, y;
        if (point_on_surface(ctx, g, &x, &y) == 0)
            add_services(r, ft, id, type, x, y, g);
    }
    if (kind) {
        pl_osm_green *gr = PUSH(r->d, green);
        gr->geom = GEOSGeom_clone_r(ctx->geos, g);
        gr->osm_id = id;
        gr->osm_type = type;
        gr->kind = kind;
        gr->name = dup_or_null(tag(ft, "name"));
        double a = 0;
        GEOSArea_r(ctx->geos, g, &a);
        gr->area_ha = a / 10000.0;
        gr->access = access_class(tag(ft, "access"), &gr->is_public);
    }
    if (canopy) {
        pl_osm_canopy *c = PUSH(r->d, canopy);
        c->geom = GEOSGeom_clone_r(ctx->geos, g);
        c->osm_id = id;
        c->osm_type = type;
        c->source = canopy;
        GEOSArea_r(ctx->geos, g, &c->area_m2);
    }
    if (is_building)
        add_building(r, ft, id, type, g);
    if (is_muni) {
        pl_osm_municipality *m = PUSH(r->d, municipalities);
        m->geom = GEOSGeom_clone_r(ctx->geos, g);
        m->osm_id = id;
        const char *code = tag(ft, "ref:scb");
        if (!code || !*code)
            code = tag(ft, "ref");
        char fallback[32];
        if (!code || !*code) {
            /* The loaders need a code: the OSM id, e.g. "R2220322" for relation 2220322. */
            snprintf(fallback, sizeof fallback, "%c%" PRId64, type == PL_OSM_RELATION ? 'R' : 'W', id);
            code = fallback;
        }
        m->code = pl_strdup(code);
        m->name = pl_strdup(tag(ft, "name") ? tag(ft, "name") : "");
        m->admin_level = atoi(al);
    }
    if (tree_row) {
        GEOSGeometry *ring = GEOSBoundary_r(ctx->geos, g);
        if (ring) {
            add_tree_row(r, tag(ft, "diameter_crown"), tag(ft, "height"), id, ring);
            GEOSGeom_destroy_r(ctx->geos, ring);
        }
    }
    if (is_residential_zone) {
        if (r->n_residential == r->cap_residential) {
            r->cap_residential = r->cap_residential ? 2 * r->cap_residential : 32;
            r->residential_arr = pl_realloc(r->residential_arr, r->cap_residential * sizeof *r->residential_arr);
        }
        r->residential_arr[r->n_residential++] = g;
        return;
    }
    GEOSGeom_destroy_r(ctx->geos, g);
}

/* ---------- after reading ---------- */

typedef struct hit_list {
    size_t *items;
    size_t n, cap;
} hit_list;

static void collect_hit(void *item, void *user)
{
    hit_list *h = user;
    if (h->n == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 16;
        h->items = pl_realloc(h->items, h->cap * sizeof *h->items);
    }
    h->items[h->n++] = (size_t)(uintptr_t)item - 1;
}

static GEOSGeometry *make_point(pl_ctx *ctx, double x, double y)
{
    GEOSCoordSequence *cs = GEOSCoordSeq_create_r(ctx->geos, 1, 2);
    GEOSCoordSeq_setXY_r(ctx->geos, cs, 0, x, y);
    return GEOSGeom_createPoint_r(ctx->geos, cs);
}

/* Buildings tagged only building=yes whose point on surface lies in landuse=residential. */
static void classify_residential(reader *r)
{
    pl_ctx *ctx = r->ctx;
    if (!r->n_residential)
        return;
    GEOSSTRtree *tree = GEOSSTRtree_create_r(ctx->geos, 10);
    const GEOSPreparedGeometry **prep = pl_calloc(r->n_residential, sizeof *prep);
    for (size_t i = 0; i < r->n_residential; i++) {
        prep[i] = GEOSPrepare_r(ctx->geos, r->residential_arr[i]);
        GEOSSTRtree_insert_r(ctx->geos, tree, r->residential_arr[i], (void *)(uintptr_t)(i + 1));
    }
    hit_list hits = {0};
    for (size_t b = 0; b < r->d->n_buildings; b++) {
        pl_osm_building *bd = &r->d->buildings[b];
        if (bd->residential || strcmp(bd->building, "yes") != 0)
            continue;
        double x, y;
        if (point_on_surface(ctx, bd->geom, &x, &y) != 0)
            continue;
        GEOSGeometry *pt = make_point(ctx, x, y);
        hits.n = 0;
        GEOSSTRtree_query_r(ctx->geos, tree, pt, collect_hit, &hits);
        for (size_t k = 0; k < hits.n; k++)
            if (GEOSPreparedContains_r(ctx->geos, prep[hits.items[k]], pt) == 1) {
                bd->residential = 1;
                break;
            }
        GEOSGeom_destroy_r(ctx->geos, pt);
    }
    free(hits.items);
    for (size_t i = 0; i < r->n_residential; i++)
        GEOSPreparedGeom_destroy_r(ctx->geos, prep[i]);
    free(prep);
    GEOSSTRtree_destroy_r(ctx->geos, tree);
}

/* An area service (a way or relation) with a node of the same type inside it is the same
 * place mapped twice (e.g. a supermarket node inside its building tagged shop=supermarket):
 * the node is kept and the area row dropped. */
static void merge_duplicate_services(reader *r)
{
    pl_ctx *ctx = r->ctx;
    pl_osm_data *d = r->d;
    if (!r->n_area_service)
        return;
    size_t n_orig = d->n_services;
    GEOSSTRtree *tree = GEOSSTRtree_create_r(ctx->geos, 10);
    GEOSGeometry **pts = pl_calloc(d->n_services, sizeof *pts);
    for (size_t i = 0; i < d->n_services; i++)
        if (d->services[i].osm_type == PL_OSM_NODE) {
            pts[i] = make_point(ctx, d->services[i].x, d->services[i].y);
            GEOSSTRtree_insert_r(ctx->geos, tree, pts[i], (void *)(uintptr_t)(i + 1));
        }
    char *drop = pl_calloc(d->n_services, 1);
    hit_list hits = {0};
    for (size_t a = 0; a < r->n_area_service; a++) {
        size_t si = r->area_service[a];
        const GEOSGeometry *poly = r->area_service_geom[a];
        hits.n = 0;
        GEOSSTRtree_query_r(ctx->geos, tree, poly, collect_hit, &hits);
        for (size_t k = 0; k < hits.n; k++) {
            size_t ni = hits.items[k];
            if (strcmp(d->services[ni].type, d->services[si].type) == 0 &&
                GEOSContains_r(ctx->geos, poly, pts[ni]) == 1) {
                drop[si] = 1;
                break;
            }
        }
    }
    free(hits.items);
    size_t w = 0;
    for (size_t i = 0; i < d->n_services; i++) {
        if (drop[i]) {
            free(d->services[i].name);
            d->services_merged++;
            continue;
        }
        d->services[w++] = d->services[i];
    }
    d->n_services = w;
    free(drop);
    for (size_t i = 0; i < n_orig; i++)
        if (pts[i])
            GEOSGeom_destroy_r(ctx->geos, pts[i]);
    free(pts);
    GEOSSTRtree_destroy_r(ctx->geos, tree);
}

static void canopy_from_trees(reader *r)
{
    pl_ctx *ctx = r->ctx;
    for (size_t i = 0; i < r->d->n_trees; i++) {
        const pl_osm_tree *t = &r->d->trees[i];
        GEOSGeometry *pt = make_point(ctx, t->x, t->y);
        GEOSGeometry *buf = GEOSBuffer_r(ctx->geos, pt, t->crown_radius_m, 8);
        GEOSGeom_destroy_r(ctx->geos, pt);
        buf = as_multipolygon(ctx, buf);
        if (!buf)
            continue;
        pl_osm_canopy *c = PUSH(r->d, canopy);
        c->geom = buf;
        c->osm_id = t->osm_id;
        c->osm_type = t->from_row ? PL_OSM_WAY : PL_OSM_NODE;
        c->source = t->from_row ? "tree_row" : "tree";
        GEOSArea_r(ctx->geos, buf, &c->area_m2);
    }
}

/* ---------- open and read ---------- */

/* Keys of the registry's OSM selectors that osmconf.ini does not turn into fields cannot match. */
static void check_registry_keys(pl_ctx *ctx, const pl_service_types *reg, OGRLayerH points, OGRLayerH polys,
                                const char *file)
{
    if (!reg)
        return;
    for (int i = 0; i < reg->n; i++) {
        const char *p = reg->t[i].osm;
        while (p && *p) {
            size_t len = strcspn(p, ";,="), rest = strcspn(p, ";,");
            char key[128], laundered[128];
            snprintf(key, sizeof key, "%.*s", (int)(len < sizeof key - 1 ? len : sizeof key - 1), p);
            p += rest + (p[rest] ? 1 : 0);
            launder(key, laundered, sizeof laundered);
            if (key[0] && OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(points), laundered) < 0 &&
                OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(polys), laundered) < 0)
                pl_warn(ctx, "osm-key-not-read",
                        "%s: service type %s selects OSM key '%s', which share/osmconf.ini does not read; add it to "
                        "the attributes of [points] and [multipolygons]", file, reg->t[i].key, key);
        }
    }
}

static OGRSpatialReferenceH srs_traditional(const char *text)
{
    OGRSpatialReferenceH s = OSRNewSpatialReference(NULL);
    OSRSetAxisMappingStrategy(s, OAMS_TRADITIONAL_GIS_ORDER);
    if (OSRSetFromUserInput(s, text) != OGRERR_NONE) {
        OSRDestroySpatialReference(s);
        return NULL;
    }
    return s;
}

/* The closed_ways_are_polygons list of osmconf.ini (malloc'd; NULL when absent). */
static char *closed_ways_are_polygons(const char *conf)
{
    FILE *f = fopen(conf, "r");
    if (!f)
        return NULL;
    char line[4096];
    char *out = NULL;
    const char *key = "closed_ways_are_polygons=";
    while (!out && fgets(line, sizeof line, f))
        if (!strncmp(line, key, strlen(key))) {
            line[strcspn(line, "\r\n")] = '\0';
            out = pl_strdup(line + strlen(key));
        }
    fclose(f);
    return out;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* Long: option and path checks, then the readosm pass for roads and the GDAL pass for the rest,
 * sharing the working CRS's transform. */
pl_osm_data *pl_osm_read(pl_ctx *ctx, const char *path, const pl_osm_read_opts *opts, pl_error *err)
{
    pl_error_clear(err);
    pl_osm_read_opts defaults;
    if (!opts) {
        pl_osm_read_opts_default(&defaults);
        opts = &defaults;
    }
    const char *file = pl_basename(path);
    struct stat st;
    if (pl_input_path_check(path, "OSM extract", err) != PL_OK)
        return NULL;
    if (!ends_with(path, ".pbf") && !ends_with(path, ".osm")) {
        pl_error_set(err, PL_EINPUT, "%s: not an OSM extract; give a .osm.pbf or .osm file (GDAL's OSM driver "
                     "needs one of these extensions)", file);
        return NULL;
    }
    if (!(opts->tree_row_spacing_m > 0) || !(opts->default_crown_m > 0) || !(opts->default_levels > 0)) {
        pl_error_set(err, PL_EINPUT, "tree-row spacing, default crown radius and default levels must be > 0");
        return NULL;
    }
    char conf[4096];
    if (opts->osmconf)
        snprintf(conf, sizeof conf, "%s", opts->osmconf);
    else
        pl_share_path(conf, sizeof conf, "osmconf.ini");
    if (stat(conf, &st) != 0) {
        pl_error_set(err, PL_EINTERNAL, "%s: platsa's osmconf.ini not found; reinstall platsa or set PLATSA_SHARE",
                     conf);
        return NULL;
    }

    OGRSpatialReferenceH work = srs_traditional(ctx->work_crs);
    if (!work) {
        pl_error_set(err, PL_EINPUT, "working CRS '%s' is not a known CRS; use --crs EPSG:n", ctx->work_crs);
        return NULL;
    }
    if (!OSRIsProjected(work) || fabs(OSRGetLinearUnits(work, NULL) - 1.0) > 1e-12) {
        OSRDestroySpatialReference(work);
        pl_error_set(err, PL_EINPUT, "working CRS '%s' is not projected in metres; use a projected CRS such as "
                     "EPSG:3006 (SWEREF 99 TM)", ctx->work_crs);
        return NULL;
    }

    /* The roads first, with readosm: it also refuses a file that is not OSM, or truncated. */
    pl_osm_data *d = pl_calloc(1, sizeof *d);
    d->source = pl_strdup(file);
    reader r = {.ctx = ctx, .o = opts, .file = file, .d = d};
    pl_osm_lines lines = {0};
    OGRSpatialReferenceH wgs84 = srs_traditional("EPSG:4326");
    r.to_work = wgs84 ? OCTNewCoordinateTransformation(wgs84, work) : NULL;
    if (wgs84)
        OSRDestroySpatialReference(wgs84);
    if (!r.to_work) {
        pl_error_set(err, PL_EINPUT, "%s: cannot transform WGS84 to %s", file, ctx->work_crs);
        pl_osm_data_free(ctx, d);
        OSRDestroySpatialReference(work);
        return NULL;
    }
    char *closed_keys = closed_ways_are_polygons(conf);
    int lrc = pl_osm_read_lines(ctx, path, file, closed_keys, r.to_work, d, &lines, err);
    free(closed_keys);
    if (lrc == PL_OK && d->n_roads == 0)
        lrc = pl_error_set(err, PL_EINPUT, "%s: no roads in the extract (no highway=* or route=ferry way with nodes "
                           "in the file); check that the extract is not empty and covers the area", file);
    if (lrc != PL_OK) {
        pl_osm_data_free(ctx, d);
        pl_osm_lines_free(ctx, &lines);
        OCTDestroyCoordinateTransformation(r.to_work);
        OSRDestroySpatialReference(work);
        return NULL;
    }

    osm_diag diag = {.ctx = ctx, .file = file, .lines = &lines};
    char *saved_debug = NULL;
    const char *prev = CPLGetThreadLocalConfigOption("CPL_DEBUG", NULL);
    if (prev)
        saved_debug = pl_strdup(prev);
    CPLSetThreadLocalConfigOption("CPL_DEBUG", "OSM");
    CPLPushErrorHandlerEx(osm_error_handler, &diag);

    char conf_opt[4200];
    snprintf(conf_opt, sizeof conf_opt, "CONFIG_FILE=%s", conf);
    const char *open_opts[] = {conf_opt, NULL};
    const char *drivers[] = {"OSM", NULL};
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers, open_opts, NULL);
    if (!ds) {
        pl_error_set(err, PL_EINPUT, "%s: GDAL's OSM driver cannot read it (%s); check that it is an OSM PBF/XML file",
                     file, diag.last_error[0] ? diag.last_error : "unknown error");
        goto fail;
    }
    OGRLayerH lpoints = GDALDatasetGetLayerByName(ds, "points");
    OGRLayerH lpolys = GDALDatasetGetLayerByName(ds, "multipolygons");
    if (!lpoints || !lpolys) {
        pl_error_set(err, PL_EINTERNAL, "%s: the OSM driver did not give the points/multipolygons layers", file);
        goto fail;
    }
    OGRLayerH sql = GDALDatasetExecuteSQL(ds, "SET interest_layers = points,multipolygons", NULL, NULL);
    if (sql)
        GDALDatasetReleaseResultSet(ds, sql);
    layer_fields fpoints, fpolys;
    layer_fields_init(lpoints, &fpoints);
    layer_fields_init(lpolys, &fpolys);
    check_registry_keys(ctx, opts->service_types, lpoints, lpolys, file);

    pl_progress(ctx, 0.0, "reading OSM");
    OGRLayerH layer = NULL;
    double pct = 0;
    long count = 0;
    OGRFeatureH f;
    while ((f = GDALDatasetGetNextFeature(ds, &layer, &pct, NULL, NULL)) != NULL) {
        feat ft = {.f = f};
        if (layer == lpoints) {
            ft.lf = &fpoints;
            map_point(&r, &ft);
        } else if (layer == lpolys) {
            ft.lf = &fpolys;
            map_polygon(&r, &ft);
        }
        OGR_F_Destroy(f);
        if (++count % 2000 == 0 && pl_progress(ctx, pct * 0.95, "reading OSM")) {
            pl_error_set(err, PL_EINPUT, "cancelled");
            goto fail;
        }
    }
    if (diag.last_error[0] && (count == 0 || strstr(diag.last_error, "parsing"))) {
        /* Nothing read, or the file is truncated/corrupt: a partial import would mislead. */
        pl_error_set(err, PL_EINPUT, "%s: GDAL's OSM driver failed: %s; check that the file is complete", file,
                     diag.last_error);
        goto fail;
    }
    if (diag.last_error[0])
        pl_warn(ctx, "osm-gdal-error", "%s: GDAL: %s", file, diag.last_error);
    for (size_t i = 0; i < lines.n_rows; i++)
        add_tree_row(&r, lines.rows[i].diameter_crown, lines.rows[i].height, lines.rows[i].osm_id,
                     lines.rows[i].line);
    classify_residential(&r);
    merge_duplicate_services(&r);
    canopy_from_trees(&r);
    pl_progress(ctx, 1.0, "reading OSM");
    goto done;

fail:
    pl_osm_data_free(ctx, d);
    d = NULL;
done:
    pl_osm_lines_free(ctx, &lines);
    CPLPopErrorHandler();
    CPLSetThreadLocalConfigOption("CPL_DEBUG", saved_debug);
    free(saved_debug);
    if (ds)
        GDALClose(ds);
    if (r.to_work)
        OCTDestroyCoordinateTransformation(r.to_work);
    OSRDestroySpatialReference(work);
    for (size_t i = 0; i < r.n_area_service; i++)
        GEOSGeom_destroy_r(ctx->geos, r.area_service_geom[i]);
    free(r.area_service);
    free(r.area_service_geom);
    for (size_t i = 0; i < r.n_residential; i++)
        GEOSGeom_destroy_r(ctx->geos, r.residential_arr[i]);
    free(r.residential_arr);
    return d;
}

void pl_osm_data_free(pl_ctx *ctx, pl_osm_data *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n_roads; i++) {
        free(d->roads[i].name);
        free(d->roads[i].maxspeed_tag);
    }
    for (size_t i = 0; i < d->n_services; i++)
        free(d->services[i].name);
    for (size_t i = 0; i < d->n_green; i++) {
        GEOSGeom_destroy_r(ctx->geos, d->green[i].geom);
        free(d->green[i].name);
    }
    for (size_t i = 0; i < d->n_canopy; i++)
        GEOSGeom_destroy_r(ctx->geos, d->canopy[i].geom);
    for (size_t i = 0; i < d->n_buildings; i++) {
        GEOSGeom_destroy_r(ctx->geos, d->buildings[i].geom);
        free(d->buildings[i].building);
    }
    for (size_t i = 0; i < d->n_municipalities; i++) {
        GEOSGeom_destroy_r(ctx->geos, d->municipalities[i].geom);
        free(d->municipalities[i].code);
        free(d->municipalities[i].name);
    }
    free(d->roads);
    free(d->road_xy);
    free(d->services);
    free(d->green);
    free(d->trees);
    free(d->canopy);
    free(d->buildings);
    free(d->municipalities);
    free(d->source);
    free(d);
}

GEOSGeometry *pl_osm_road_geom(pl_ctx *ctx, const pl_osm_data *d, size_t i)
{
    const pl_osm_road *r = &d->roads[i];
    GEOSCoordSequence *cs = GEOSCoordSeq_copyFromBuffer_r(ctx->geos, d->road_xy + 2 * r->xy0, r->n_xy, 0, 0);
    return cs ? GEOSGeom_createLineString_r(ctx->geos, cs) : NULL;
}

size_t pl_osm_count_services(const pl_osm_data *d, const char *type)
{
    size_t n = 0;
    for (size_t i = 0; i < d->n_services; i++)
        if (!strcmp(d->services[i].type, type))
            n++;
    return n;
}
