/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `platsa info`: what is in a file, and which roles each layer can play. */
#include "internal.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char *field_name(const pl_vector *v, int i)
{
    return OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(OGR_L_GetLayerDefn(v->layer), i));
}

static int name_has(const char *s, const char *const *words)
{
    for (; *words; words++)
        if (strcasestr(s, *words))
            return 1;
    return 0;
}

static int any_field_has(const pl_vector *v, const char *const *words)
{
    OGRFeatureDefnH d = OGR_L_GetLayerDefn(v->layer);
    for (int i = 0; i < OGR_FD_GetFieldCount(d); i++)
        if (name_has(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(d, i)), words))
            return 1;
    return 0;
}

/* Geometry families present: from the declared type, else from the first features. */
static int layer_families(OGRLayerH layer)
{
    OGRwkbGeometryType t = OGR_L_GetGeomType(layer);
    if (wkbFlatten(t) == wkbNone)
        return 0;
    int fam = pl_geom_family(t);
    if (fam)
        return fam;
    OGR_L_ResetReading(layer);
    OGRFeatureH f;
    for (int i = 0; i < 200 && (f = OGR_L_GetNextFeature(layer)) != NULL; i++) {
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        if (g) {
            OGRwkbGeometryType gt = wkbFlatten(OGR_G_GetGeometryType(g));
            if (gt == wkbGeometryCollection)
                for (int k = 0; k < OGR_G_GetGeometryCount(g); k++)
                    fam |= pl_geom_family(OGR_G_GetGeometryType(OGR_G_GetGeometryRef(g, k)));
            else
                fam |= pl_geom_family(gt);
        }
        OGR_F_Destroy(f);
    }
    OGR_L_ResetReading(layer);
    return fam;
}

static void add(char *buf, size_t size, const char *fmt, const char *a, const char *b)
{
    size_t used = strlen(buf);
    if (used)
        snprintf(buf + used, size - used, "; ");
    used = strlen(buf);
    snprintf(buf + used, size - used, fmt, a, b);
}

const char *pl_info_roles(const struct pl_vector *vv, char *buf, size_t size)
{
    const pl_vector *v = vv;
    buf[0] = '\0';
    const char *lname = OGR_L_GetName(v->layer);
    int fam = layer_families(v->layer);
    int grid = pl_vector_field_auto(v, pl_cand_grid_id);
    int pop = pl_pop_field_auto(v);
    static const char *const xs[] = {"x_sw", NULL}, *const ys[] = {"y_sw", NULL};
    if (fam == 0) {
        if ((grid >= 0 || (pl_vector_field_auto(v, xs) >= 0 && pl_vector_field_auto(v, ys) >= 0)) && pop >= 0)
            add(buf, size, "population (SCB grid table: squares from %s, residents in %s)",
                grid >= 0 ? field_name(v, grid) : "x_sw/y_sw", field_name(v, pop));
        else
            snprintf(buf, size, "none: a table without geometry (for a CSV, name coordinate columns x/y or "
                                "lon/lat, or a WKT column wkt)");
        return buf;
    }
    static const char *const deso_words[] = {"deso", "regso", NULL};
    int code = pl_vector_field_auto(v, pl_cand_muni_code);
    int mname = pl_vector_field_auto(v, pl_cand_muni_name);
    if ((fam & PL_FAM_POLYGON) && code >= 0 && grid < 0 && !any_field_has(v, deso_words))
        add(buf, size, "municipalities (code %s, name %s)", field_name(v, code),
            mname >= 0 && mname != code ? field_name(v, mname) : "= code");
    if ((fam & (PL_FAM_POLYGON | PL_FAM_POINT)) && pop >= 0) {
        if (grid >= 0)
            add(buf, size, "population (grid squares %s, residents in %s)", field_name(v, grid),
                field_name(v, pop));
        else
            add(buf, size, "population (residents in %s%s)", field_name(v, pop),
                (fam & PL_FAM_POLYGON) ? ", areas" : ", points");
        static const char *const loc_words[] = {"tatort", "tätort", "localit", "urban", NULL};
        int lname_f = pl_vector_field_auto(v, pl_cand_loc_name);
        if (grid < 0 && (name_has(lname, loc_words) || any_field_has(v, loc_words) ||
                         ((fam & PL_FAM_POINT) && lname_f >= 0)))
            add(buf, size, "localities (population %s, name %s)", field_name(v, pop),
                lname_f >= 0 ? field_name(v, lname_f) : "-");
    }
    int type = pl_vector_field_auto(v, pl_cand_type);
    static const char *const generic_type[] = {"type", "typ", "category", "kategori", NULL};
    int generic = type >= 0 && pl_vector_field_auto(v, generic_type) == type;
    if (((fam & PL_FAM_POINT) || ((fam & PL_FAM_POLYGON) && !generic)) && type >= 0)
        add(buf, size, "services (type field %s%s)", field_name(v, type), "");
    static const char *const road_words[] = {"highway", "vagklass", "vägklass", "klass", "maxspeed", "hastighet",
                                             "road", "väg", "vag", "street", "edge", NULL};
    if (fam & PL_FAM_LINE)
        add(buf, size, "roads (%s%s)", any_field_has(v, road_words) || name_has(lname, road_words)
                                           ? "lines with road attributes" : "lines", "");
    static const char *const green_words[] = {"park", "green", "gron", "grön", "natur", "leisure", "landuse",
                                              "friluft", "rekreation", NULL};
    static const char *const canopy_words[] = {"canopy", "krontak", "krontäck", "tree_cover", "tradtack",
                                               "trädtäck", NULL};
    static const char *const building_words[] = {"building", "byggnad", "hus", "bostad", NULL};
    static const char *const tree_words[] = {"tree", "trad", "träd", NULL};
    static const char *const hood_words[] = {"kvarter", "block", "district", "omrade", "område", "stadsdel",
                                             "basomr", "delomr", "neighbourhood", "neighborhood", NULL};
    if (fam & PL_FAM_POLYGON) {
        if (name_has(lname, canopy_words))
            add(buf, size, "canopy (polygons)%s%s", "", "");
        else if (name_has(lname, green_words) || any_field_has(v, green_words))
            add(buf, size, "green areas (polygons)%s%s", "", "");
        if (name_has(lname, building_words) || any_field_has(v, building_words))
            add(buf, size, "buildings (polygons)%s%s", "", "");
        if (name_has(lname, hood_words) || any_field_has(v, hood_words) || any_field_has(v, deso_words))
            add(buf, size, "neighbourhoods / areas (polygons)%s%s", "", "");
    }
    if ((fam & PL_FAM_POINT) && (name_has(lname, tree_words) || any_field_has(v, tree_words)))
        add(buf, size, "trees (points)%s%s", "", "");
    if (!buf[0])
        snprintf(buf, size, "%s", (fam & PL_FAM_POLYGON) ? "generic polygons (green areas, canopy, buildings, "
                                                           "neighbourhoods)"
                                  : (fam & PL_FAM_POINT) ? "generic points (trees, buildings as points)"
                                                         : "lines");
    return buf;
}

/* For a layer with a service type field: how its values map to the shipped types. */
static void describe_service_values(pl_ctx *ctx, const pl_vector *v, FILE *out)
{
    int type_f = pl_vector_field_auto(v, pl_cand_type);
    if (type_f < 0)
        return;
    pl_error err = {0};
    pl_service_types *types = pl_service_types_load(ctx, NULL, &err);
    if (!types)
        return;
    const char *fname = field_name(v, type_f);
    long counts[PL_MAX_TYPES] = {0}, unknown = 0, seen = 0;
    char first_unknown[128] = "";
    OGR_L_ResetReading(v->layer);
    OGRFeatureH f;
    while (seen < 100000 && (f = OGR_L_GetNextFeature(v->layer)) != NULL) {
        seen++;
        if (OGR_F_IsFieldSetAndNotNull(f, type_f)) {
            const char *val = OGR_F_GetFieldAsString(f, type_f);
            int t = pl_service_types_match_value(types, val);
            if (t < 0)
                t = pl_service_types_match_tag(types, fname, val);
            if (t >= 0)
                counts[t]++;
            else if (unknown++ == 0)
                snprintf(first_unknown, sizeof first_unknown, "%s", val);
        } else {
            unknown++;
        }
        OGR_F_Destroy(f);
    }
    OGR_L_ResetReading(v->layer);
    fprintf(out, "    service types in %s:", fname);
    int any = 0;
    for (int i = 0; i < types->n; i++)
        if (counts[i]) {
            fprintf(out, "%s %s %ld", any ? "," : "", types->t[i].key, counts[i]);
            any = 1;
        }
    if (!any)
        fprintf(out, " none");
    if (unknown)
        fprintf(out, "; %ld feature%s map%s to no type (e.g. '%s')", unknown, unknown == 1 ? "" : "s",
                unknown == 1 ? "s" : "", first_unknown);
    fputc('\n', out);
    pl_service_types_free(types);
}

static void describe_layer(pl_ctx *ctx, const char *file, OGRLayerH layer, int is_osm, FILE *out)
{
    pl_vector v;
    memset(&v, 0, sizeof v);
    v.layer = layer;
    char label[1024];
    snprintf(label, sizeof label, "%s:%s", pl_basename(file), OGR_L_GetName(layer));
    v.label = label;
    OGRwkbGeometryType t = OGR_L_GetGeomType(layer);
    GIntBig count = is_osm ? -1 : OGR_L_GetFeatureCount(layer, TRUE);
    char count_text[64];
    int one = count == 1;
    if (count >= 0)
        snprintf(count_text, sizeof count_text, "%lld", (long long)count);
    else
        snprintf(count_text, sizeof count_text, "an unknown number of");
    fprintf(out, "  layer %s: ", OGR_L_GetName(layer));
    if (wkbFlatten(t) == wkbNone) {
        fprintf(out, "table (no geometry), %s row%s\n", count_text, one ? "" : "s");
    } else {
        int fam = is_osm ? 0 : layer_families(layer);
        char crs[512];
        OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(layer);
        pl_srs_describe(srs, ctx->work_crs, crs, sizeof crs);
        fprintf(out, "%s%s%s, %s feature%s, CRS %s%s\n", OGRGeometryTypeToName(t),
                pl_geom_family(t) ? "" : " of ", pl_geom_family(t) ? "" : pl_family_name(fam), count_text,
                one ? "" : "s", crs,
                srs ? "" : "; give one with --assume-crs");
        if (!srs) {
            const char *hint = pl_vector_crs_hint(layer);
            if (*hint)
                fprintf(out, "    crs hint:%s\n", hint);
        }
    }
    OGRFeatureDefnH d = OGR_L_GetLayerDefn(layer);
    fprintf(out, "    fields:");
    int nf = OGR_FD_GetFieldCount(d);
    for (int i = 0; i < nf; i++) {
        OGRFieldDefnH fd = OGR_FD_GetFieldDefn(d, i);
        OGRFieldSubType st = OGR_Fld_GetSubType(fd);
        fprintf(out, "%s %s (%s%s%s)", i ? "," : "", OGR_Fld_GetNameRef(fd), OGR_GetFieldTypeName(OGR_Fld_GetType(fd)),
                st != OFSTNone ? "/" : "", st != OFSTNone ? OGR_GetFieldSubTypeName(st) : "");
    }
    fprintf(out, "%s\n", nf ? "" : " none");
    char roles[2048];
    if (is_osm) {
        fprintf(out, "    fits: none directly: raw OpenStreetMap data; turn it into platsa's layers with "
                     "'platsa import-osm'\n");
        return;
    }
    fprintf(out, "    fits: %s\n", pl_info_roles(&v, roles, sizeof roles));
    if (strstr(roles, "services ("))
        describe_service_values(ctx, &v, out);
    if (strstr(roles, "roads (")) {
        char profile[2048];
        pl_road_profile_describe(&v, profile, sizeof profile);
        fprintf(out, "    road profile: %s\n", profile);
    }
}

int pl_info_describe(pl_ctx *ctx, const char *spec, FILE *out, pl_error *err)
{
    if (GDALGetDriverCount() == 0)
        GDALAllRegister();
    char file[4096], layer_name[512];
    pl_vector_split_spec(spec, file, sizeof file, layer_name, sizeof layer_name);
    if (pl_input_path_check(file, "input", err) != PL_OK)
        return err->code;
    if (strncmp(file, "PG:", 3) != 0 && strncmp(file, "/vsi", 4) != 0 && access(file, R_OK) != 0)
        return pl_error_set(err, PL_EINPUT, "%s: file not readable (%s); check its permissions", file,
                            strerror(errno));
    CPLPushErrorHandler(CPLQuietErrorHandler);
    GDALDatasetH ds = GDALOpenEx(file, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL,
                                 pl_vector_default_open_options(file), NULL);
    CPLPopErrorHandler();
    if (!ds)
        return pl_error_set(err, PL_EINPUT, "%s: not a readable vector dataset; give a GeoPackage, shapefile, "
                            "GeoJSON, CSV or other GDAL vector file", pl_basename(file));
    /* GDAL's remarks on the data (unclosed rings...) are not for this listing. */
    CPLPushErrorHandler(CPLQuietErrorHandler);
    int n = GDALDatasetGetLayerCount(ds);
    GDALDriverH drv = GDALGetDatasetDriver(ds);
    int is_osm = strcmp(GDALGetDriverShortName(drv), "OSM") == 0;
    if (layer_name[0]) {
        OGRLayerH l = GDALDatasetGetLayerByName(ds, layer_name);
        if (!l) {
            char names[1024] = "";
            for (int i = 0; i < n; i++) {
                size_t used = strlen(names);
                snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "",
                         OGR_L_GetName(GDALDatasetGetLayer(ds, i)));
            }
            GDALClose(ds);
            CPLPopErrorHandler();
            return pl_error_set(err, PL_EINPUT, "%s: no layer '%s'; layers are: %s; use FILE:LAYER",
                                pl_basename(file), layer_name, names);
        }
        fprintf(out, "%s (%s)\n", file, GDALGetDriverShortName(drv));
        describe_layer(ctx, file, l, is_osm, out);
    } else {
        fprintf(out, "%s (%s), %d layer%s\n", file, GDALGetDriverShortName(drv), n, n == 1 ? "" : "s");
        for (int i = 0; i < n; i++)
            describe_layer(ctx, file, GDALDatasetGetLayer(ds, i), is_osm, out);
    }
    GDALClose(ds);
    CPLPopErrorHandler();
    return PL_OK;
}
