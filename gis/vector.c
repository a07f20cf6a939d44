#include "vector.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

const char *pl_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

void pl_vector_split_spec(const char *spec, char *file, size_t file_size, char *layer, size_t layer_size)
{
    snprintf(file, file_size, "%s", spec);
    layer[0] = '\0';
    struct stat st;
    if (stat(spec, &st) == 0 || strncmp(spec, "PG:", 3) == 0)
        return;
    const char *colon = strrchr(spec, ':');
    if (!colon || colon == spec || colon[1] == '\0' || colon[1] == '/' || colon[1] == '\\')
        return;
    size_t flen = (size_t)(colon - spec);
    if (flen >= file_size)
        return;
    char candidate[4096];
    snprintf(candidate, sizeof candidate, "%.*s", (int)flen, spec);
    if (stat(candidate, &st) != 0)
        return;
    snprintf(file, file_size, "%s", candidate);
    snprintf(layer, layer_size, "%s", colon + 1);
}

static OGRLayerH pick_layer(GDALDatasetH ds, const char *wanted, const char *file, pl_error *err)
{
    int n = GDALDatasetGetLayerCount(ds);
    if (wanted && *wanted) {
        OGRLayerH l = GDALDatasetGetLayerByName(ds, wanted);
        if (!l) {
            char names[1024] = "";
            for (int i = 0; i < n; i++) {
                size_t used = strlen(names);
                snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "",
                         OGR_L_GetName(GDALDatasetGetLayer(ds, i)));
            }
            pl_error_set(err, PL_EINPUT, "%s: no layer '%s'; layers are: %s; use FILE:LAYER", pl_basename(file),
                         wanted, names);
        }
        return l;
    }
    if (n == 0) {
        pl_error_set(err, PL_EINPUT, "%s: no layers; give a file with vector data", pl_basename(file));
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        OGRLayerH l = GDALDatasetGetLayer(ds, i);
        if (OGR_L_GetGeomType(l) != wkbNone)
            return l;
    }
    return GDALDatasetGetLayer(ds, 0);
}

static OGRSpatialReferenceH srs_from_user(const char *text)
{
    OGRSpatialReferenceH s = OSRNewSpatialReference(NULL);
    OSRSetAxisMappingStrategy(s, OAMS_TRADITIONAL_GIS_ORDER);
    if (OSRSetFromUserInput(s, text) != OGRERR_NONE) {
        OSRDestroySpatialReference(s);
        return NULL;
    }
    return s;
}

pl_vector *pl_vector_open(pl_ctx *ctx, const char *spec, const pl_vector_opts *o, pl_error *err)
{
    char file[4096], layer_name[512];
    pl_vector_split_spec(spec, file, sizeof file, layer_name, sizeof layer_name);
    const char *role = o && o->role ? o->role : "input";
    struct stat st;
    if (strncmp(file, "PG:", 3) != 0 && stat(file, &st) != 0) {
        pl_error_set(err, PL_EINPUT, "%s: %s file not found (%s); check the path", file, role, strerror(errno));
        return NULL;
    }
    CPLPushErrorHandler(CPLQuietErrorHandler);
    GDALDatasetH ds = GDALOpenEx(file, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    CPLPopErrorHandler();
    if (!ds) {
        pl_error_set(err, PL_EINPUT, "%s: not a readable vector dataset (%s); give a GeoPackage, shapefile, "
                     "GeoJSON or other GDAL vector file", pl_basename(file), CPLGetLastErrorMsg());
        return NULL;
    }
    OGRLayerH layer = pick_layer(ds, o && o->layer ? o->layer : layer_name, file, err);
    if (!layer) {
        GDALClose(ds);
        return NULL;
    }
    pl_vector *v = pl_calloc(1, sizeof *v);
    v->ds = ds;
    v->layer = layer;
    v->path = pl_strdup(file);
    v->role = pl_strdup(role);
    char label[4600];
    snprintf(label, sizeof label, "%s:%s", pl_basename(file), OGR_L_GetName(layer));
    v->label = pl_strdup(label);

    v->work_srs = srs_from_user(ctx->work_crs);
    if (!v->work_srs) {
        pl_error_set(err, PL_EINPUT, "working CRS '%s' is not a known CRS; use --crs EPSG:n", ctx->work_crs);
        pl_vector_close(v);
        return NULL;
    }
    if (OGR_L_GetGeomType(layer) == wkbNone)
        return v;  /* attribute table: nothing to reproject */
    OGRSpatialReferenceH src = OGR_L_GetSpatialRef(layer);
    OGRSpatialReferenceH assumed = NULL;
    if (!src) {
        if (!o || !o->assume_crs) {
            pl_error_set(err, PL_EINPUT, "%s: layer has no CRS; give it one with --assume-crs EPSG:n "
                         "(e.g. EPSG:3006 for SWEREF 99 TM)", v->label);
            pl_vector_close(v);
            return NULL;
        }
        assumed = srs_from_user(o->assume_crs);
        if (!assumed) {
            pl_error_set(err, PL_EINPUT, "--assume-crs '%s' is not a known CRS; use EPSG:n", o->assume_crs);
            pl_vector_close(v);
            return NULL;
        }
        src = assumed;
    }
    OGRSpatialReferenceH src_trad = OSRClone(src);
    OSRSetAxisMappingStrategy(src_trad, OAMS_TRADITIONAL_GIS_ORDER);
    if (!OSRIsSame(src_trad, v->work_srs)) {
        v->to_work = OCTNewCoordinateTransformation(src_trad, v->work_srs);
        if (!v->to_work)
            pl_error_set(err, PL_EINPUT, "%s: cannot transform its CRS to %s; check the .prj or use --assume-crs",
                         v->label, ctx->work_crs);
    }
    OSRDestroySpatialReference(src_trad);
    if (assumed)
        OSRDestroySpatialReference(assumed);
    if (err && err->code != PL_OK) {
        pl_vector_close(v);
        return NULL;
    }
    return v;
}

void pl_vector_close(pl_vector *v)
{
    if (!v)
        return;
    if (v->to_work)
        OCTDestroyCoordinateTransformation(v->to_work);
    if (v->work_srs)
        OSRDestroySpatialReference(v->work_srs);
    if (v->ds)
        GDALClose(v->ds);
    free(v->path);
    free(v->label);
    free(v->role);
    free(v);
}

int pl_vector_field(const pl_vector *v, const char *name)
{
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(v->layer);
    int n = OGR_FD_GetFieldCount(defn);
    for (int i = 0; i < n; i++)
        if (strcasecmp(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)), name) == 0)
            return i;
    return -1;
}

int pl_vector_field_auto(const pl_vector *v, const char *const *candidates)
{
    for (; candidates && *candidates; candidates++) {
        int i = pl_vector_field(v, *candidates);
        if (i >= 0)
            return i;
    }
    return -1;
}

const char *pl_vector_field_list(const pl_vector *v)
{
    static char list[2048];
    list[0] = '\0';
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(v->layer);
    int n = OGR_FD_GetFieldCount(defn);
    for (int i = 0; i < n; i++) {
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
                 OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)));
    }
    if (n == 0)
        snprintf(list, sizeof list, "(none)");
    return list;
}

int pl_vector_field_pick(const pl_vector *v, const char *given, const char *const *candidates,
                         const char *flag, int required, pl_error *err)
{
    if (given && *given) {
        int i = pl_vector_field(v, given);
        if (i < 0)
            pl_error_set(err, PL_EINPUT, "%s: field '%s' not found; fields are: %s; use --%s", v->label, given,
                         pl_vector_field_list(v), flag);
        return i;
    }
    int i = pl_vector_field_auto(v, candidates);
    if (i < 0 && required)
        pl_error_set(err, PL_EINPUT, "%s: no %s field found (looked for %s%s); fields are: %s; use --%s",
                     v->label, flag, candidates && candidates[0] ? candidates[0] : "?",
                     candidates && candidates[0] && candidates[1] ? ", ..." : "", pl_vector_field_list(v), flag);
    return i;
}

OGRGeometryH pl_vector_geometry(const pl_vector *v, OGRFeatureH f)
{
    OGRGeometryH g = OGR_F_GetGeometryRef(f);
    if (!g || OGR_G_IsEmpty(g))
        return NULL;
    OGRGeometryH copy = OGR_G_Clone(g);
    if (v->to_work && OGR_G_Transform(copy, v->to_work) != OGRERR_NONE) {
        OGR_G_DestroyGeometry(copy);
        return NULL;
    }
    return copy;
}

GEOSGeometry *pl_ogr_to_geos(pl_ctx *ctx, OGRGeometryH g)
{
    int size = OGR_G_WkbSize(g);
    if (size <= 0)
        return NULL;
    unsigned char *wkb = pl_malloc((size_t)size);
    GEOSGeometry *out = NULL;
    if (OGR_G_ExportToIsoWkb(g, wkbNDR, wkb) == OGRERR_NONE) {
        GEOSWKBReader *r = GEOSWKBReader_create_r(ctx->geos);
        out = GEOSWKBReader_read_r(ctx->geos, r, wkb, (size_t)size);
        GEOSWKBReader_destroy_r(ctx->geos, r);
    }
    free(wkb);
    return out;
}

GEOSGeometry *pl_geos_make_valid(pl_ctx *ctx, GEOSGeometry *g, int *was_repaired)
{
    if (was_repaired)
        *was_repaired = 0;
    if (!g)
        return NULL;
    if (GEOSisValid_r(ctx->geos, g) == 1)
        return g;
    GEOSGeometry *fixed = GEOSMakeValid_r(ctx->geos, g);
    GEOSGeom_destroy_r(ctx->geos, g);
    if (!fixed || GEOSisEmpty_r(ctx->geos, fixed) == 1) {
        if (fixed)
            GEOSGeom_destroy_r(ctx->geos, fixed);
        return NULL;
    }
    if (was_repaired)
        *was_repaired = 1;
    return fixed;
}

int pl_vector_get_number(OGRFeatureH f, int field, double *out)
{
    if (field < 0 || !OGR_F_IsFieldSetAndNotNull(f, field))
        return -1;
    OGRFieldDefnH fd = OGR_F_GetFieldDefnRef(f, field);
    OGRFieldType t = OGR_Fld_GetType(fd);
    if (t == OFTInteger || t == OFTInteger64 || t == OFTReal) {
        *out = OGR_F_GetFieldAsDouble(f, field);
        return isfinite(*out) ? 0 : -1;
    }
    const char *s = OGR_F_GetFieldAsString(f, field);
    while (isspace((unsigned char)*s))
        s++;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    while (isspace((unsigned char)*end))
        end++;
    if (end == s || *end || errno || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}
