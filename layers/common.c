/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Shared loader machinery: opening a layer for a role, reading and repairing geometry,
 * reading fields with the quirks of Swedish data (codes with leading zeros, cp1252 text,
 * decimal commas). */
#include "internal.h"
#include "batch_reader.h"
#include "wkb.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const pl_cand_muni_code[] = {"KnKod", "kommunkod", "kommun_kod", "kn_kod", "KOMMUNKOD", "kod",
                                         "code", "LnKod", "ln_kod", "lan_kod", "lankod", "lanskod",
                                         "municipality_code", "mun_code", NULL};
const char *const pl_cand_muni_name[] = {"KnNamn", "kommunnamn", "kommun_namn", "kn_namn", "namn", "name",
                                         "LnNamn", "ln_namn", "lan_namn", "lannamn", "lansnamn",
                                         "municipality", "mun_name", "kommun", NULL};
const char *const pl_cand_carried_code[] = {"kn_kod", "kommun", "KnKod", "kommunkod", "kommun_kod", "mun_code",
                                            "municipality_code", "kommunkod_2", NULL};
const char *const pl_cand_pop[] = {"pop", "beftotalt", "befolkning", "population", "Beftot", "bef_tot",
                                   "folkmangd", "folkmängd", "invanare", "invånare", "antal_inv",
                                   "bef", "totalt", "antal", NULL};
static const char *const pop_strong[] = {"pop", "beftotalt", "befolkning", "population", "Beftot", "bef_tot",
                                         "folkmangd", "folkmängd", "invanare", "invånare", "antal_inv", NULL};
static const char *const pop_weak[] = {"bef", "totalt", "antal", NULL};
const char *const pl_cand_id[] = {"id", "osm_id", "objectid", "fid", "gid", "uid", "nr", NULL};
const char *const pl_cand_name[] = {"name", "namn", "butiksnamn", "benamning", "benämning", "title", NULL};
const char *const pl_cand_type[] = {"type", "typ", "service", "service_type", "servicetyp", "tjanst", "tjänst",
                                    "tjanstetyp", "category", "kategori", "verksamhet", "amenity", "shop",
                                    "healthcare", NULL};
const char *const pl_cand_loc_code[] = {"code", "tatortskod", "tatort_kod", "tatkod", "tkod", "kod", NULL};
const char *const pl_cand_loc_name[] = {"name", "namn", "tatort", "tatortsnamn", "tatortnamn", "ort", NULL};
const char *const pl_cand_grid_id[] = {"rut_id", "rutid", "rutid_scb", "ruta", "rut", NULL};

int pl_geom_family(OGRwkbGeometryType t)
{
    switch (wkbFlatten(t)) {
    case wkbPoint:
    case wkbMultiPoint:
        return PL_FAM_POINT;
    case wkbLineString:
    case wkbMultiLineString:
    case wkbCircularString:
    case wkbCompoundCurve:
    case wkbMultiCurve:
        return PL_FAM_LINE;
    case wkbPolygon:
    case wkbMultiPolygon:
    case wkbCurvePolygon:
    case wkbMultiSurface:
    case wkbTriangle:
    case wkbTIN:
    case wkbPolyhedralSurface:
        return PL_FAM_POLYGON;
    default:
        return 0;
    }
}

const char *pl_family_name(int fam)
{
    switch (fam) {
    case PL_FAM_POINT:
        return "points";
    case PL_FAM_LINE:
        return "lines";
    case PL_FAM_POLYGON:
        return "polygons";
    default:
        return "mixed geometries";
    }
}

int pl_grow_cap(size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    *cap = c;
    return 1;
}

int pl_layer_check(pl_vector *v, const char *role, int accept, const char *accept_text, pl_error *err)
{
    OGRwkbGeometryType t = OGR_L_GetGeomType(v->layer);
    if (wkbFlatten(t) == wkbNone)
        return pl_error_set(err, PL_EINPUT, "%s: the layer has no geometry (a plain table); give %s as %s",
                            v->label, accept_text, role);
    int fam = pl_geom_family(t);
    if (fam && !(fam & accept))
        return pl_error_set(err, PL_EINPUT, "%s: the layer holds %s (%s), which cannot be used as %s; give %s",
                            v->label, pl_family_name(fam), OGRGeometryTypeToName(t), role, accept_text);
    GIntBig count = OGR_L_GetFeatureCount(v->layer, TRUE);
    if (count == 0)
        return pl_error_set(err, PL_EINPUT, "%s: the layer is empty (0 features); check the file or choose "
                            "another layer with FILE:LAYER", v->label);
    return PL_OK;
}

pl_vector *pl_layer_open(pl_ctx *ctx, const char *spec, const pl_load_opts *o, const char *role, int accept,
                         const char *accept_text, pl_error *err)
{
    pl_vector_opts vo = {0};
    vo.layer = o ? o->layer : NULL;
    vo.assume_crs = o ? o->assume_crs : NULL;
    vo.role = role;
    vo.within = o ? o->within : NULL;
    pl_vector *v = pl_vector_open(ctx, spec, &vo, err);
    if (!v)
        return NULL;
    if (pl_layer_check(v, role, accept, accept_text, err) != PL_OK) {
        pl_vector_close(v);
        return NULL;
    }
    return v;
}

OGRFeatureH pl_layer_next(const pl_vector *v)
{
    CPLPushErrorHandler(CPLQuietErrorHandler);
    CPLErrorReset();
    OGRFeatureH f = OGR_L_GetNextFeature(v->layer);
    CPLPopErrorHandler();
    return f;
}

int pl_layer_read_failed(const pl_vector *v, long features_read, pl_error *err)
{
    if (CPLGetLastErrorType() < CE_Failure)
        return PL_OK;
    char why[512];
    snprintf(why, sizeof why, "%s", CPLGetLastErrorMsg());
    CPLErrorReset();
    return pl_error_set(err, PL_EINPUT, "%s: reading stopped after %ld features: %s; the file is damaged or "
                        "truncated: repair or export it again (e.g. with ogr2ogr) and check it with platsa info",
                        v->label, features_read, why[0] ? why : "read error");
}

const char *pl_feature_label(const pl_vector *v, OGRFeatureH f, int id_field)
{
    pl_row r = {.f = f};
    return pl_row_label(v, &r, id_field);
}

/* A field's name, from the layer (as OGR_F_GetFieldDefnRef gives it). */
static const char *field_name(const pl_vector *v, int field)
{
    return OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(OGR_L_GetLayerDefn(v->layer), field));
}

static OGRFieldType field_type(const pl_vector *v, int field)
{
    return OGR_Fld_GetType(OGR_FD_GetFieldDefn(OGR_L_GetLayerDefn(v->layer), field));
}

const char *pl_row_label(const pl_vector *v, const pl_row *r, int id_field)
{
    static char buf[512];
    char value[512];
    int64_t fid = pl_row_fid(r);
    if (id_field >= 0 && !pl_row_null(r, id_field))
        snprintf(buf, sizeof buf, "feature %" PRId64 " (%s %s)", fid, field_name(v, id_field),
                 pl_row_str(r, id_field, value, sizeof value));
    else
        snprintf(buf, sizeof buf, "feature %" PRId64, fid);
    return buf;
}

/* Every coordinate finite, and within limit when limit > 0. */
static int coords_ok(OGRGeometryH g, double limit)
{
    int n = OGR_G_GetGeometryCount(g);
    if (n > 0) {
        for (int i = 0; i < n; i++)
            if (!coords_ok(OGR_G_GetGeometryRef(g, i), limit))
                return 0;
        return 1;
    }
    int np = OGR_G_GetPointCount(g);
    for (int i = 0; i < np; i++) {
        double x = OGR_G_GetX(g, i), y = OGR_G_GetY(g, i);
        if (!isfinite(x) || !isfinite(y))
            return 0;
        if (limit > 0 && (fabs(x) > limit || fabs(y) > limit))
            return 0;
    }
    return 1;
}

/* Keeps the polygonal parts of a MakeValid result as a (Multi)Polygon; NULL if none. */
static GEOSGeometry *polygonal_part(GEOSContextHandle_t h, GEOSGeometry *g)
{
    int t = GEOSGeomTypeId_r(h, g);
    if (t == GEOS_POLYGON || t == GEOS_MULTIPOLYGON)
        return g;
    if (t != GEOS_GEOMETRYCOLLECTION) {
        GEOSGeom_destroy_r(h, g);
        return NULL;
    }
    int n = GEOSGetNumGeometries_r(h, g);
    size_t cap = 8;
    unsigned np = 0;
    GEOSGeometry **polys = pl_malloc(sizeof *polys * cap);
    for (int i = 0; i < n; i++) {
        const GEOSGeometry *part = GEOSGetGeometryN_r(h, g, i);
        int pt = GEOSGeomTypeId_r(h, part);
        int m = pt == GEOS_POLYGON ? 1 : pt == GEOS_MULTIPOLYGON ? GEOSGetNumGeometries_r(h, part) : 0;
        for (int k = 0; k < m; k++) {
            const GEOSGeometry *poly = pt == GEOS_POLYGON ? part : GEOSGetGeometryN_r(h, part, k);
            if (GEOSisEmpty_r(h, poly))
                continue;
            if (np == cap) {
                cap *= 2;
                polys = pl_realloc(polys, sizeof *polys * cap);
            }
            polys[np++] = GEOSGeom_clone_r(h, poly);
        }
    }
    GEOSGeom_destroy_r(h, g);
    GEOSGeometry *out = NULL;
    if (np == 1)
        out = polys[0];
    else if (np > 1)
        out = GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, polys, np);
    free(polys);
    return out;
}

/* pl_layer_read_geometry for geometry g0 (not owned, may be NULL) of row r. */
static GEOSGeometry *read_ogr_geometry(pl_ctx *ctx, const pl_vector *v, const pl_row *r, OGRGeometryH g0,
                                       int accept, int *family, pl_read_stats *st)
{
    GEOSContextHandle_t h = ctx->geos;
    st->features++;
    if (!g0 || OGR_G_IsEmpty(g0)) {
        st->null_geom++;
        pl_warn(ctx, "geometry-null", "%s: %s has no geometry; skipped", v->label, pl_row_label(v, r, -1));
        return NULL;
    }
    OGRGeometryH g = OGR_G_Clone(g0);
    if (OGR_G_HasCurveGeometry(g, TRUE)) {
        OGRGeometryH lin = OGR_G_GetLinearGeometry(g, 0, NULL);
        OGR_G_DestroyGeometry(g);
        g = lin;
    }
    OGR_G_FlattenTo2D(g);
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    if (t == wkbGeometryCollection) {
        /* A collection of one kind (as some GeoJSON writers produce) becomes a multi geometry. */
        int kinds = 0;
        for (int i = 0; i < OGR_G_GetGeometryCount(g); i++)
            kinds |= pl_geom_family(OGR_G_GetGeometryType(OGR_G_GetGeometryRef(g, i)));
        if (kinds == PL_FAM_POLYGON)
            g = OGR_G_ForceToMultiPolygon(g);
        else if (kinds == PL_FAM_POINT)
            g = OGR_G_ForceToMultiPoint(g);
        else if (kinds == PL_FAM_LINE)
            g = OGR_G_ForceToMultiLineString(g);
        t = wkbFlatten(OGR_G_GetGeometryType(g));
    }
    int fam = pl_geom_family(t);
    if (family)
        *family = fam;
    if (!(fam & accept)) {
        st->wrong_type++;
        pl_warn(ctx, "geometry-wrong-type", "%s: %s is a %s, not one of the geometry types this role takes; "
                "skipped", v->label, pl_row_label(v, r, -1), OGRGeometryTypeToName(t));
        OGR_G_DestroyGeometry(g);
        return NULL;
    }
    int ok = coords_ok(g, 0);
    if (ok && v->to_work) {
        CPLPushErrorHandler(CPLQuietErrorHandler);
        ok = OGR_G_Transform(g, v->to_work) == OGRERR_NONE;
        CPLPopErrorHandler();
    }
    if (ok)
        ok = coords_ok(g, 1e8);
    if (!ok) {
        st->bad_coords++;
        pl_warn(ctx, "geometry-bad-coordinates", "%s: %s has coordinates that are not numbers, are huge or "
                "cannot be transformed to %s; skipped", v->label, pl_row_label(v, r, -1), ctx->work_crs);
        OGR_G_DestroyGeometry(g);
        return NULL;
    }
    GEOSGeometry *gg = pl_ogr_to_geos(ctx, g);
    OGR_G_DestroyGeometry(g);
    if (!gg || GEOSisEmpty_r(h, gg) == 1) {
        if (gg)
            GEOSGeom_destroy_r(h, gg);
        st->null_geom++;
        pl_warn(ctx, "geometry-null", "%s: %s has no geometry; skipped", v->label, pl_row_label(v, r, -1));
        return NULL;
    }
    if (fam == PL_FAM_POLYGON) {
        if (GEOSisValid_r(h, gg) != 1) {
            char *reason = GEOSisValidReason_r(h, gg);
            GEOSGeometry *fixed = GEOSMakeValid_r(h, gg);
            GEOSGeom_destroy_r(h, gg);
            gg = fixed ? polygonal_part(h, fixed) : NULL;
            if (gg && GEOSisEmpty_r(h, gg) == 1) {
                GEOSGeom_destroy_r(h, gg);
                gg = NULL;
            }
            if (!gg) {
                st->invalid_skipped++;
                pl_warn(ctx, "geometry-invalid-skipped", "%s: %s is an invalid polygon (%s) that cannot be "
                        "repaired into an area; skipped", v->label, pl_row_label(v, r, -1),
                        reason ? reason : "?");
            } else {
                st->repaired++;
                pl_warn(ctx, "geometry-invalid-repaired", "%s: %s was an invalid polygon (%s); repaired with "
                        "MakeValid", v->label, pl_row_label(v, r, -1), reason ? reason : "?");
            }
            GEOSFree_r(h, reason);
            if (!gg)
                return NULL;
        }
    } else if (fam == PL_FAM_POINT && GEOSGeomTypeId_r(h, gg) == GEOS_MULTIPOINT) {
        int n = GEOSGetNumGeometries_r(h, gg);
        if (n > 1)
            pl_warn(ctx, "geometry-multipoint", "%s: %s is a MultiPoint of %d points; its first point is used",
                    v->label, pl_row_label(v, r, -1), n);
        GEOSGeometry *first = GEOSGeom_clone_r(h, GEOSGetGeometryN_r(h, gg, 0));
        GEOSGeom_destroy_r(h, gg);
        gg = first;
    }
    st->used++;
    return gg;
}

GEOSGeometry *pl_layer_read_geometry(pl_ctx *ctx, const pl_vector *v, OGRFeatureH f, int accept, int *family,
                                     pl_read_stats *st)
{
    pl_row r = {.f = f};
    return read_ogr_geometry(ctx, v, &r, OGR_F_GetGeometryRef(f), accept, family, st);
}

/* Whether w is one ring of 5 points, closed, with edges alternately along x and y: a
 * rectangle of non-zero size, a valid polygon. box gets xmin, ymin, xmax, ymax. */
static int is_box(const pl_wkb *w, double box[4])
{
    if (w->type != PL_WKB_POLYGON || w->n_parts != 1 || w->n_pts != 5)
        return 0;
    const double *x = w->x, *y = w->y;
    if (x[0] != x[4] || y[0] != y[4])
        return 0;
    int first_horizontal = y[0] == y[1];
    for (int k = 0; k < 4; k++) {
        int horizontal = (k % 2 == 0) == first_horizontal;
        int ok = horizontal ? (y[k] == y[k + 1] && x[k] != x[k + 1]) : (x[k] == x[k + 1] && y[k] != y[k + 1]);
        if (!ok)
            return 0;
    }
    box[0] = fmin(x[0], x[2]);
    box[1] = fmin(y[0], y[2]);
    box[2] = fmax(x[0], x[2]);
    box[3] = fmax(y[0], y[2]);
    return 1;
}

/* A grid square (is_box) as the polygon GEOS's WKB reader makes of its 2D WKB (one shell of
 * 5 XY points, no holes), without writing and parsing that WKB: a quarter of reading a
 * national 250 m grid. NULL when GEOS fails. */
static GEOSGeometry *box_polygon(GEOSContextHandle_t h, const pl_wkb *w)
{
    GEOSCoordSequence *cs = GEOSCoordSeq_create_r(h, 5, 2);
    if (!cs)
        return NULL;
    for (unsigned i = 0; i < 5; i++)
        if (!GEOSCoordSeq_setXY_r(h, cs, i, w->x[i], w->y[i])) {
            GEOSCoordSeq_destroy_r(h, cs);
            return NULL;
        }
    GEOSGeometry *ring = GEOSGeom_createLinearRing_r(h, cs);
    return ring ? GEOSGeom_createPolygon_r(h, ring, NULL, 0) : NULL;
}

/* The fast path of pl_row_read_geometry: a point or (multi)polygon straight from WKB,
 * flattened, reprojected, checked and read into GEOS as read_ogr_geometry does. NULL for
 * anything that path must decide (nothing counted, no warning given then). */
static GEOSGeometry *read_wkb_geometry(pl_ctx *ctx, const pl_vector *v, const uint8_t *wkb, size_t len, int accept,
                                       int *family, pl_geom_scratch *s)
{
    pl_wkb *w = &s->wkb;
    if (pl_wkb_parse(w, wkb, len) != 0 || w->type == PL_WKB_LINE || w->type == PL_WKB_MULTILINE)
        return NULL;
    int fam = w->type == PL_WKB_POINT ? PL_FAM_POINT : PL_FAM_POLYGON;
    if (!(fam & accept))
        return NULL;
    for (size_t i = 0; i < w->n_pts; i++)
        if (!isfinite(w->x[i]) || !isfinite(w->y[i]))
            return NULL;
    if (v->to_work) {
        /* flattened before the transform, as OGR_G_FlattenTo2D then OGR_G_Transform: z = 0 */
        memset(w->z, 0, w->n_pts * sizeof *w->z);
        if (pl_grow_cap(&s->ok_cap, w->n_pts))
            s->ok = pl_realloc(s->ok, s->ok_cap * sizeof *s->ok);
        CPLPushErrorHandler(CPLQuietErrorHandler);
        int all = OCTTransformEx(v->to_work, (int)w->n_pts, w->x, w->y, w->z, s->ok);
        CPLPopErrorHandler();
        for (size_t i = 0; all && i < w->n_pts; i++)
            all = s->ok[i] != 0;
        if (!all)
            return NULL;
    }
    for (size_t i = 0; i < w->n_pts; i++)
        if (!isfinite(w->x[i]) || !isfinite(w->y[i]) || fabs(w->x[i]) > 1e8 || fabs(w->y[i]) > 1e8)
            return NULL;
    int box = is_box(w, s->box);
    GEOSContextHandle_t h = ctx->geos;
    GEOSGeometry *g = NULL;
    if (box) {
        g = box_polygon(h, w);
    } else {
        size_t n = pl_wkb_write_2d(w, &s->buf, &s->buf_cap);
        if (!s->reader)
            s->reader = GEOSWKBReader_create_r(h);
        g = GEOSWKBReader_read_r(h, s->reader, s->buf, n);
    }
    /* an axis-parallel rectangle (a grid square) is valid: no IsValid for it */
    if (g && (GEOSisEmpty_r(h, g) != 0 || (fam == PL_FAM_POLYGON && !box && GEOSisValid_r(h, g) != 1))) {
        GEOSGeom_destroy_r(h, g);
        g = NULL;
    }
    if (g && family)
        *family = fam;
    s->is_box = g && box;
    return g;
}

GEOSGeometry *pl_row_read_geometry(pl_ctx *ctx, const pl_vector *v, const pl_row *r, int accept, int *family,
                                   pl_read_stats *st, pl_geom_scratch *s)
{
    s->is_box = 0;
    if (r->f)
        return read_ogr_geometry(ctx, v, r, OGR_F_GetGeometryRef(r->f), accept, family, st);
    size_t len = 0;
    const uint8_t *wkb = pl_batch_wkb(r->b, r->i, &len);
    GEOSGeometry *g = wkb ? read_wkb_geometry(ctx, v, wkb, len, accept, family, s) : NULL;
    if (g) {
        st->features++;
        st->used++;
        return g;
    }
    /* Everything else as the per-feature path does it, from an OGR geometry of the WKB (a
     * WKB OGR cannot read is a missing geometry there too). */
    OGRGeometryH og = NULL;
    if (wkb && OGR_G_CreateFromWkb(wkb, NULL, &og, (int)len) != OGRERR_NONE)
        og = NULL;
    g = read_ogr_geometry(ctx, v, r, og, accept, family, st);
    if (og)
        OGR_G_DestroyGeometry(og);
    return g;
}

void pl_geom_scratch_free(pl_ctx *ctx, pl_geom_scratch *s)
{
    pl_wkb_free(&s->wkb);
    free(s->ok);
    free(s->buf);
    if (s->reader)
        GEOSWKBReader_destroy_r(ctx->geos, s->reader);
    memset(s, 0, sizeof *s);
}

int pl_layer_nothing_loaded(const pl_vector *v, const pl_read_stats *st, const char *accept_text, pl_error *err)
{
    char why[512] = "";
    struct {
        long n;
        const char *what;
    } parts[] = {
        {st->null_geom, "without geometry"},
        {st->wrong_type, "of another geometry type"},
        {st->bad_coords, "with bad coordinates"},
        {st->invalid_skipped, "invalid beyond repair"},
    };
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (parts[i].n) {
            size_t used = strlen(why);
            snprintf(why + used, sizeof why - used, "%s%ld %s", used ? ", " : "", parts[i].n, parts[i].what);
        }
    return pl_error_set(err, PL_EINPUT, "%s: none of the %ld features could be used as %s (%s); give %s", v->label,
                        st->features, v->role, why[0] ? why : "all were skipped", accept_text);
}

char *pl_field_text(pl_ctx *ctx, const pl_vector *v, OGRFeatureH f, int field)
{
    pl_row r = {.f = f};
    return pl_row_text(ctx, v, &r, field);
}

/* The whole text of a field (a copy), as OGR_F_GetFieldAsString gives it. */
static char *row_text_copy(const pl_row *r, int field)
{
    if (r->f)
        return pl_strdup(OGR_F_GetFieldAsString(r->f, field));
    size_t len;
    const char *t = pl_batch_text(r->b, field, r->i, &len);
    char *s = pl_malloc(len + 1);
    memcpy(s, t, len);
    s[len] = '\0';
    return s;
}

char *pl_row_text(pl_ctx *ctx, const pl_vector *v, const pl_row *r, int field)
{
    if (pl_row_null(r, field))
        return NULL;
    char *s = row_text_copy(r, field);
    if (CPLIsUTF8(s, -1))
        return s;
    CPLPushErrorHandler(CPLQuietErrorHandler);
    char *rec = CPLRecode(s, "CP1252", CPL_ENC_UTF8);
    CPLPopErrorHandler();
    pl_warn(ctx, "text-not-utf8", "%s: %s: field '%s' is not UTF-8; read as Windows-1252 (add a .cpg file "
            "or convert the file to UTF-8)", v->label, pl_row_label(v, r, -1), field_name(v, field));
    char *out = pl_strdup(rec ? rec : s);
    CPLFree(rec);
    free(s);
    return out;
}

/* A numeric field's value as OGR_F_GetFieldAsInteger64 / OGR_F_GetFieldAsDouble give it. */
static long long row_int(const pl_row *r, int field)
{
    return r->f ? (long long)OGR_F_GetFieldAsInteger64(r->f, field) : (long long)pl_batch_int(r->b, field, r->i);
}

static double row_double(const pl_row *r, int field)
{
    if (r->f)
        return OGR_F_GetFieldAsDouble(r->f, field);
    return pl_batch_is_real(r->b, field) ? pl_batch_real(r->b, field, r->i) : (double)pl_batch_int(r->b, field, r->i);
}

static int all_digits(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

char *pl_field_code(pl_ctx *ctx, const pl_vector *v, OGRFeatureH f, int field, int pad, int *warned)
{
    pl_row r = {.f = f};
    return pl_row_code(ctx, v, &r, field, pad, warned);
}

char *pl_row_code(pl_ctx *ctx, const pl_vector *v, const pl_row *r, int field, int pad, int *warned)
{
    if (pl_row_null(r, field))
        return NULL;
    OGRFieldType t = field_type(v, field);
    const char *fname = field_name(v, field);
    char buf[128];
    long long num = -1;
    if (t == OFTInteger || t == OFTInteger64) {
        num = row_int(r, field);
    } else if (t == OFTReal) {
        double d = row_double(r, field);
        if (isfinite(d) && d == floor(d) && fabs(d) < 1e15)
            num = (long long)d;
    }
    char *text = NULL;
    if (num >= 0) {
        snprintf(buf, sizeof buf, "%lld", num);
        text = pl_strdup(buf);
    } else {
        text = pl_row_text(ctx, v, r, field);
        if (!text)
            return NULL;
        char *s = text, *e = text + strlen(text);
        while (isspace((unsigned char)*s))
            s++;
        while (e > s && isspace((unsigned char)e[-1]))
            *--e = '\0';
        memmove(text, s, strlen(s) + 1);
        if (!*text) {
            free(text);
            return NULL;
        }
    }
    /* Swedish codes: län two digits, kommun four. A code that lost its leading zero
     * (integer field, or text through a spreadsheet) gets it back. */
    if (all_digits(text)) {
        size_t len = strlen(text);
        size_t want = pad > 0 ? (size_t)pad : (atol(text) < 100 ? 2 : 4);
        if (len < want) {
            snprintf(buf, sizeof buf, "%0*ld", (int)want, atol(text));
            if (warned && !*warned) {
                *warned = 1;
                pl_warn(ctx, "code-zero-padded", "%s: field '%s' holds codes without leading zeros (%s %s); "
                        "padded to %zu digits ('%s' -> '%s')", v->label, fname,
                        t == OFTString ? "text like" : "a number type, e.g.", text, want, text, buf);
            }
            free(text);
            text = pl_strdup(buf);
        }
    }
    return text;
}

static int row_number(const pl_row *r, OGRFieldType t, int field, double *out, const char **raw)
{
    static char rawbuf[256];
    if (raw)
        *raw = rawbuf;
    rawbuf[0] = '\0';
    if (pl_row_null(r, field))
        return 1;
    if (t == OFTInteger || t == OFTInteger64 || t == OFTReal) {
        double d = row_double(r, field);
        pl_row_str(r, field, rawbuf, sizeof rawbuf);
        if (!isfinite(d))
            return -1;
        *out = d;
        return 0;
    }
    char *s = row_text_copy(r, field);
    snprintf(rawbuf, sizeof rawbuf, "%s", s);
    /* Drop spaces (also no-break spaces, as thousands separators); a lone decimal comma
     * becomes a point: "1 234,5" -> 1234.5. */
    char clean[256];
    size_t k = 0;
    int commas = 0, points = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && k < sizeof clean - 1; p++) {
        if (isspace(*p))
            continue;
        if (p[0] == 0xC2 && p[1] == 0xA0) {
            p++;
            continue;
        }
        if (p[0] == 0xE2 && p[1] == 0x80 && p[2] == 0xAF) {
            p += 2;
            continue;
        }
        commas += *p == ',';
        points += *p == '.';
        clean[k++] = (char)*p;
    }
    free(s);
    clean[k] = '\0';
    if (k == 0)
        return 1;
    if (commas == 1 && points == 0)
        *strchr(clean, ',') = '.';
    char *end;
    errno = 0;
    double d = strtod(clean, &end);
    if (end == clean || *end || errno == ERANGE || !isfinite(d))
        return -1;
    *out = d;
    return 0;
}

int pl_field_number(OGRFeatureH f, int field, double *out, const char **raw)
{
    pl_row r = {.f = f};
    OGRFieldType t = field < 0 ? OFTString : OGR_Fld_GetType(OGR_F_GetFieldDefnRef(f, field));
    return row_number(&r, t, field, out, raw);
}

int pl_row_number(const pl_vector *v, const pl_row *r, int field, double *out, const char **raw)
{
    return row_number(r, field < 0 ? OFTString : field_type(v, field), field, out, raw);
}

int pl_field_value(pl_ctx *ctx, const pl_vector *v, OGRFeatureH f, int field, int id_f, const char *flag,
                   const char *null_key, const char *left, int nonneg, double *out, pl_error *err)
{
    *out = NAN;
    if (field < 0)
        return PL_OK;
    const char *raw;
    double d = NAN;
    int r = pl_field_number(f, field, &d, &raw);
    const char *fname = OGR_Fld_GetNameRef(OGR_F_GetFieldDefnRef(f, field));
    if (r == 1) {
        pl_warn(ctx, null_key, "%s: %s has no value in field '%s'; left %s", v->label, pl_feature_label(v, f, id_f),
                fname, left);
        return PL_OK;
    }
    if (r < 0 || (nonneg && d < 0))
        return pl_error_set(err, PL_EINPUT, "%s: %s: value '%s' in field '%s' is not a number%s; fix the value or "
                            "choose another field with --%s", v->label, pl_feature_label(v, f, id_f), raw, fname,
                            nonneg ? " >= 0" : "", flag);
    *out = d;
    return PL_OK;
}

int pl_field_require_numeric(const pl_vector *v, int field, const char *flag, pl_error *err)
{
    OGRFieldDefnH fd = OGR_FD_GetFieldDefn(OGR_L_GetLayerDefn(v->layer), field);
    OGRFieldType t = OGR_Fld_GetType(fd);
    if (t == OFTInteger || t == OFTInteger64 || t == OFTReal || t == OFTString)
        return PL_OK;
    return pl_error_set(err, PL_EINPUT, "%s: field '%s' holds %s values, not numbers; use --%s with a numeric field",
                        v->label, OGR_Fld_GetNameRef(fd), OGR_GetFieldTypeName(t), flag);
}

char *pl_feature_id(pl_ctx *ctx, const pl_vector *v, OGRFeatureH f, int id_field)
{
    pl_row r = {.f = f};
    return pl_row_id(ctx, v, &r, id_field);
}

char *pl_row_id(pl_ctx *ctx, const pl_vector *v, const pl_row *r, int id_field)
{
    char *s = pl_row_text(ctx, v, r, id_field);
    if (s && *s)
        return s;
    free(s);
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRId64, pl_row_fid(r));
    return pl_strdup(buf);
}

int pl_representative_point(pl_ctx *ctx, const GEOSGeometry *g, double *x, double *y)
{
    return pl_representative_point_box(ctx, g, NULL, x, y);
}

int pl_representative_point_box(pl_ctx *ctx, const GEOSGeometry *g, const double *box, double *x, double *y)
{
    GEOSContextHandle_t h = ctx->geos;
    GEOSGeometry *c = GEOSGetCentroid_r(h, g);
    double cx, cy;
    /* a centroid strictly inside a rectangle g intersects it: no Intersects needed */
    int inside = box && c && GEOSGeomGetX_r(h, c, &cx) == 1 && GEOSGeomGetY_r(h, c, &cy) == 1 && cx > box[0] &&
                 cx < box[2] && cy > box[1] && cy < box[3];
    if (c && !inside && !GEOSisEmpty_r(h, c) && GEOSIntersects_r(h, g, c) != 1) {
        GEOSGeom_destroy_r(h, c);
        c = GEOSPointOnSurface_r(h, g);
    }
    if (!c)
        return -1;
    int rc = GEOSisEmpty_r(h, c) == 1 ? -1 : 0;
    if (rc == 0 && (GEOSGeomGetX_r(h, c, x) != 1 || GEOSGeomGetY_r(h, c, y) != 1))
        rc = -1;
    GEOSGeom_destroy_r(h, c);
    return rc;
}

int pl_layer_progress(pl_ctx *ctx, const pl_vector *v, long i, long n, const char *stage, pl_error *err)
{
    if (n <= 0 || (i % 2048) != 0)
        return PL_OK;
    if (pl_progress(ctx, (double)i / (double)n, stage))
        return pl_error_set(err, PL_EINPUT, "%s: cancelled while %s", v->label, stage);
    return PL_OK;
}

void pl_reader_start(pl_feature_reader *r, pl_ctx *ctx, const pl_vector *v, int accept, const char *stage)
{
    *r = (pl_feature_reader){.ctx = ctx, .v = v, .accept = accept, .stage = stage};
    r->total = (long)OGR_L_GetFeatureCount(v->layer, FALSE);
    OGR_L_ResetReading(v->layer);
}

int pl_reader_next(pl_feature_reader *r, OGRFeatureH *f, GEOSGeometry **g, int *family, pl_error *err)
{
    while ((*f = pl_layer_next(r->v)) != NULL) {
        if (pl_layer_progress(r->ctx, r->v, r->i++, r->total, r->stage, err) != PL_OK) {
            OGR_F_Destroy(*f);
            *f = NULL;
            return -1;
        }
        *g = pl_layer_read_geometry(r->ctx, r->v, *f, r->accept, family, &r->st);
        if (*g)
            return 1;
        OGR_F_Destroy(*f);
    }
    /* The end of the layer, or a read that stopped early (a damaged or truncated file). */
    return pl_layer_read_failed(r->v, r->i, err) == PL_OK ? 0 : -1;
}

int pl_feature_xy(pl_ctx *ctx, const GEOSGeometry *g, int family, double *x, double *y)
{
    if (family == PL_FAM_POLYGON)
        return pl_representative_point(ctx, g, x, y);
    return GEOSGeomGetX_r(ctx->geos, g, x) == 1 && GEOSGeomGetY_r(ctx->geos, g, y) == 1 ? 0 : -1;
}

int pl_pop_field_auto(const pl_vector *v)
{
    int i = pl_vector_field_auto(v, pop_strong);
    if (i >= 0)
        return i;
    static const char *const prefixes[] = {"population", "befolkning", "beftotalt", "beftot", "pop", "bef", NULL};
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(v->layer);
    int best = -1, best_year = 0;
    for (int k = 0; k < OGR_FD_GetFieldCount(defn); k++) {
        OGRFieldDefnH fd = OGR_FD_GetFieldDefn(defn, k);
        OGRFieldType t = OGR_Fld_GetType(fd);
        if (t != OFTInteger && t != OFTInteger64 && t != OFTReal && t != OFTString)
            continue;
        const char *name = OGR_Fld_GetNameRef(fd);
        for (int p = 0; prefixes[p]; p++) {
            size_t pl = strlen(prefixes[p]);
            if (strncasecmp(name, prefixes[p], pl) != 0)
                continue;
            const char *rest = name + pl;
            if (*rest == '_' || *rest == ' ' || *rest == '-')
                rest++;
            if (strlen(rest) == 4 && all_digits(rest)) {
                int year = atoi(rest);
                if (year >= 1900 && year <= 2100 && year > best_year) {
                    best_year = year;
                    best = k;
                }
            }
            break;
        }
    }
    if (best >= 0)
        return best;
    return pl_vector_field_auto(v, pop_weak);
}

/* A lower-case copy of name split into tokens at anything not a letter or digit. */
static int name_tokens(const char *name, char tok[][48], int max)
{
    int n = 0;
    size_t k = 0;
    for (const char *c = name;; c++) {
        int word = *c && (isalnum((unsigned char)*c) || (unsigned char)*c >= 0x80);
        if (word && k < 47) {
            tok[n][k++] = (char)tolower((unsigned char)*c);
        } else if (!word && k) {
            tok[n][k] = '\0';
            k = 0;
            if (++n == max)
                break;
        }
        if (!*c)
            break;
    }
    return n;
}

static int starts(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

static int ends(const char *s, const char *p)
{
    size_t a = strlen(s), b = strlen(p);
    return a >= b && strcmp(s + a - b, p) == 0;
}

/* A token of a population field's name: pop, bef..., folk..., inv..., antal, total... */
static int pop_token(const char *t)
{
    static const char *const pre[] = {"pop", "bef", "folk", "inv", "antal", "total", "resid", "people", "person",
                                      "boende", NULL};
    for (int i = 0; pre[i]; i++)
        if (starts(t, pre[i]))
            return 1;
    return 0;
}

int pl_pop_name_idlike(const char *name)
{
    static const char *const ids[] = {"id", "kod", "code", "rut", "ruta", "nr", "nummer", "fid", "gid", "uid",
                                      "objectid", "deso", "regso", "kommun", "kn", "ln", "lan", "nyckel", NULL};
    char tok[8][48];
    int n = name_tokens(name, tok, 8), idlike = 0;
    for (int i = 0; i < n; i++) {
        if (pop_token(tok[i]))
            return 0;
        for (int k = 0; ids[k] && !idlike; k++)
            idlike = strcmp(tok[i], ids[k]) == 0;
        idlike = idlike || (strlen(tok[i]) > 3 && (ends(tok[i], "id") || ends(tok[i], "kod") || ends(tok[i], "code")));
    }
    return idlike;
}

int pl_pop_values_idlike(const double *pop, size_t n)
{
    if (n < 10)
        return 0;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (pop[i] != floor(pop[i]))
            return 0;
        lo = fmin(lo, pop[i]);
        hi = fmax(hi, pop[i]);
    }
    /* consecutive whole numbers (an id 1..n, or a run from any start): then all distinct? */
    if (hi - lo != (double)(n - 1))
        return 0;
    uint8_t *seen = pl_calloc(n, 1);
    int distinct = 1;
    for (size_t i = 0; i < n && distinct; i++) {
        size_t k = (size_t)(pop[i] - lo);
        distinct = !seen[k];
        seen[k] = 1;
    }
    free(seen);
    return distinct;
}

int pl_pop_density_implausible(double total, double area_m2)
{
    return area_m2 > 0 && total > 1000 && total / (area_m2 / 1e6) > PL_POP_MAX_DENSITY;
}

const char *pl_pop_better_fields(const pl_vector *v, int except)
{
    static char buf[600];
    char names[500] = "", numeric[500] = "";
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(v->layer);
    for (int k = 0; k < OGR_FD_GetFieldCount(defn); k++) {
        OGRFieldDefnH fd = OGR_FD_GetFieldDefn(defn, k);
        OGRFieldType t = OGR_Fld_GetType(fd);
        const char *name = OGR_Fld_GetNameRef(fd);
        if (k == except || !(t == OFTInteger || t == OFTInteger64 || t == OFTReal) || pl_pop_name_idlike(name))
            continue;
        char tok[8][48];
        int n = name_tokens(name, tok, 8), popish = 0;
        for (int i = 0; i < n && !popish; i++)
            popish = pop_token(tok[i]);
        char *list = popish ? names : numeric;
        size_t used = strlen(list);
        if (used < sizeof names - 60)
            snprintf(list + used, sizeof names - used, "%s%s", used ? ", " : "", name);
    }
    if (names[0])
        snprintf(buf, sizeof buf, "fields that look like population: %s", names);
    else if (numeric[0])
        snprintf(buf, sizeof buf, "no field looks like population; numeric fields: %s", numeric);
    else
        snprintf(buf, sizeof buf, "the layer has no other numeric field");
    return buf;
}

/* Formats that type their fields: a text field there is text. CSV, GeoJSON and
 * spreadsheets hold numbers as text too; their values are checked one by one. */
static int typed_format(const pl_vector *v)
{
    GDALDriverH d = v->ds ? GDALGetDatasetDriver(v->ds) : NULL;
    const char *name = d ? GDALGetDriverShortName(d) : "";
    static const char *const untyped[] = {"CSV", "GeoJSON", "GeoJSONSeq", "ODS", "XLSX", "XLS", NULL};
    for (int i = 0; untyped[i]; i++)
        if (!strcmp(name, untyped[i]))
            return 0;
    return 1;
}

int pl_pop_field_check(const pl_vector *v, int f, const char *flag, pl_error *err)
{
    OGRFieldDefnH fd = OGR_FD_GetFieldDefn(OGR_L_GetLayerDefn(v->layer), f);
    const char *name = OGR_Fld_GetNameRef(fd);
    if (OGR_Fld_GetType(fd) == OFTString && typed_format(v))
        return pl_error_set(err, PL_EINPUT, "%s: population field '%s' is a text field, not a count of residents; "
                            "choose a numeric field with --%s (%s)", v->label, name, flag,
                            pl_pop_better_fields(v, f));
    if (pl_pop_name_idlike(name))
        return pl_error_set(err, PL_EINPUT, "%s: population field '%s' is named like an id or a code, not a count "
                            "of residents; choose the population field with --%s (%s)", v->label, name, flag,
                            pl_pop_better_fields(v, f));
    return PL_OK;
}

int pl_pop_values_check(const pl_vector *v, int f, const double *pop, size_t n, double total, double area_m2,
                        const char *flag, pl_error *err)
{
    const char *name = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(OGR_L_GetLayerDefn(v->layer), f));
    if (pl_pop_values_idlike(pop, n))
        return pl_error_set(err, PL_EINPUT, "%s: population field '%s' holds the %zu consecutive whole numbers %.0f "
                            "to %.0f, one per unit: an id, not residents; choose the population field with --%s "
                            "(%s)", v->label, name, n, total / (double)n - (double)(n - 1) / 2,
                            total / (double)n + (double)(n - 1) / 2, flag, pl_pop_better_fields(v, f));
    if (pl_pop_density_implausible(total, area_m2))
        return pl_error_set(err, PL_EINPUT, "%s: population field '%s' gives %.0f residents on %.3g km2 (%.0f per "
                            "km2, more than any city: platsa accepts %.0f); it is not a count of residents: choose "
                            "the population field with --%s (%s)", v->label, name, total, area_m2 / 1e6,
                            total / (area_m2 / 1e6), PL_POP_MAX_DENSITY, flag, pl_pop_better_fields(v, f));
    return PL_OK;
}

int pl_pop_field_pick(pl_ctx *ctx, const pl_vector *v, const char *given, const char *flag, pl_error *err)
{
    int f;
    if (given && *given) {
        f = pl_vector_field_find(v, given, NULL, "population", flag, 1, err);
    } else {
        f = pl_pop_field_auto(v);
        if (f < 0) {
            pl_error_set(err, PL_EINPUT, "%s: no population field found (looked for pop, beftotalt, befolkning, "
                         "population, Beftot, pop_YYYY, ...); fields are: %s; use --%s", v->label,
                         pl_vector_field_list(v), flag);
            return -1;
        }
        pl_info(ctx, "%s: population from field '%s'", v->label,
                OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(OGR_L_GetLayerDefn(v->layer), f)));
    }
    if (f >= 0 && (pl_field_require_numeric(v, f, flag, err) != PL_OK || pl_pop_field_check(v, f, flag, err) != PL_OK))
        return -1;
    return f;
}

/* ---------- rows: an OGR feature or a batch row (batch_reader.h) ---------- */

int64_t pl_row_fid(const pl_row *r)
{
    return r->f ? (int64_t)OGR_F_GetFID(r->f) : pl_batch_fid(r->b, r->i);
}

int pl_row_null(const pl_row *r, int field)
{
    if (field < 0)
        return 1;
    return r->f ? !OGR_F_IsFieldSetAndNotNull(r->f, field) : pl_batch_null(r->b, field, r->i);
}

const char *pl_row_str(const pl_row *r, int field, char *buf, size_t size)
{
    buf[0] = '\0';
    if (pl_row_null(r, field))
        return buf;
    if (r->f) {
        snprintf(buf, size, "%s", OGR_F_GetFieldAsString(r->f, field));
        return buf;
    }
    size_t len;
    const char *t = pl_batch_text(r->b, field, r->i, &len);
    /* OGR's text ends at a NUL byte, if any */
    len = strnlen(t, len);
    if (len >= size)
        len = size - 1;
    memcpy(buf, t, len);
    buf[len] = '\0';
    return buf;
}

pl_ctx *pl_batch_ctx(pl_ctx *ctx)
{
    pl_ctx *b = pl_ctx_new_child(ctx);
    /* the loader's GEOS handle: geometries made in the batch read outlive this context */
    GEOS_finish_r(b->geos);
    b->geos = ctx->geos;
    b->echo_warnings = 0;
    b->progress = ctx->progress;
    b->progress_user = ctx->progress_user;
    return b;
}

void pl_batch_ctx_end(pl_ctx *ctx, pl_ctx *bctx, int keep)
{
    for (size_t i = 0; keep && i < bctx->n_warnings; i++)
        pl_warn_add(ctx, bctx->warnings[i].key, bctx->warnings[i].count, bctx->warnings[i].first_msg, 1);
    bctx->geos = NULL;
    pl_ctx_free(bctx);
}
