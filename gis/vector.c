/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "vector.h"
#include "crs_check.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

const char *pl_basename(const char *path)
{
    if (strncmp(path, "PG:", 3) == 0)  /* a connection string: its folder-like host is no path */
        return path;
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* "PG:CONNINFO:LAYER": the layer is the text after the last ':' outside single quotes (libpq
 * quotes values with ':' or spaces: password='a:b'), when it holds no '=', quote, space, '/' or
 * '@' (those belong to CONNINFO: "PG:dbname=x host=/tmp" and "PG:postgresql://h:5432/db" have no
 * layer). Returns the ':' or NULL. */
static const char *pg_layer_colon(const char *spec)
{
    const char *colon = NULL;
    int quoted = 0;
    for (const char *p = spec + 3; *p; p++) {
        if (*p == '\\' && quoted && p[1])
            p++;
        else if (*p == '\'')
            quoted = !quoted;
        else if (*p == ':' && !quoted)
            colon = p;
    }
    if (!colon || colon[1] == '\0')
        return NULL;
    for (const char *p = colon + 1; *p; p++)
        if (*p == '=' || *p == '\'' || *p == '/' || *p == '@' || isspace((unsigned char)*p))
            return NULL;
    return colon;
}

void pl_vector_split_spec(const char *spec, char *file, size_t file_size, char *layer, size_t layer_size)
{
    snprintf(file, file_size, "%s", spec);
    layer[0] = '\0';
    struct stat st;
    if (strncmp(spec, "PG:", 3) == 0) {
        const char *colon = pg_layer_colon(spec);
        if (colon && (size_t)(colon - spec) < file_size) {
            snprintf(file, file_size, "%.*s", (int)(colon - spec), spec);
            snprintf(layer, layer_size, "%s", colon + 1);
        }
        return;
    }
    if (stat(spec, &st) == 0)
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

OGRSpatialReferenceH pl_srs_from_user(const char *text)
{
    OGRSpatialReferenceH s = OSRNewSpatialReference(NULL);
    OSRSetAxisMappingStrategy(s, OAMS_TRADITIONAL_GIS_ORDER);
    CPLPushErrorHandler(CPLQuietErrorHandler);
    OGRErr e = OSRSetFromUserInput(s, text);
    CPLPopErrorHandler();
    if (e != OGRERR_NONE) {
        OSRDestroySpatialReference(s);
        return NULL;
    }
    return s;
}

static int has_csv_extension(const char *file)
{
    const char *dot = strrchr(file, '.');
    return strncmp(file, "CSV:", 4) == 0 ||
           (dot && (!strcasecmp(dot, ".csv") || !strcasecmp(dot, ".tsv") || !strcasecmp(dot, ".txt")));
}

/* Open options that turn a CSV's coordinate or WKT columns into geometry. The SCB grid
 * columns x_sw/y_sw are left alone on purpose: the population loader builds squares. */
static const char *const csv_open_options[] = {
    "X_POSSIBLE_NAMES=x,lon,long,lng,longitude,easting,x_koord,xkoord,ostkoordinat,e",
    "Y_POSSIBLE_NAMES=y,lat,latitude,northing,y_koord,ykoord,nordkoordinat,n",
    "GEOM_POSSIBLE_NAMES=wkt,geom,geometry,the_geom,wkt_geom",
    "KEEP_GEOM_COLUMNS=NO",
    NULL,
};

/* CSV coordinate columns: platsa picks one x/y pair itself and names exactly those two
 * columns. GDAL 3.6's CSV driver crashes (KEEP_GEOM_COLUMNS=NO) when two columns match the
 * X or Y names ("x,x,y"), and pairs the x of one pair with the y of another when a file has
 * two ("lon,x,lat,y" gave POINT (x lat)). Among several pairs, the one fitting the assumed
 * CRS wins (lon/lat for a geographic CRS, x/y for a projected one), else the first. */
typedef struct coord_pair {
    const char *x, *y;
    int geographic;
} coord_pair;

static const coord_pair coord_pairs[] = {
    {"x", "y", 0},           {"lon", "lat", 1},         {"long", "lat", 1},
    {"lng", "lat", 1},       {"longitude", "latitude", 1}, {"lon", "latitude", 1},
    {"longitude", "lat", 1}, {"easting", "northing", 0}, {"x_koord", "y_koord", 0},
    {"xkoord", "ykoord", 0}, {"ostkoordinat", "nordkoordinat", 0}, {"e", "n", 0},
};

typedef struct csv_options {
    char x[160], y[160];
    const char *list[5];
} csv_options;

static int count_field(OGRFeatureDefnH defn, const char *name)
{
    int n = 0;
    for (int i = 0; i < OGR_FD_GetFieldCount(defn); i++)
        n += strcasecmp(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)), name) == 0;
    return n;
}

/* Fills o for a CSV file. Returns PL_OK, or PL_EINPUT (err set) when a coordinate column
 * name appears twice. assume_geographic: 1 / 0 / -1 unknown. */
static int csv_geometry_options(const char *file, int assume_geographic, csv_options *o, pl_error *err)
{
    memset(o, 0, sizeof *o);
    int k = 0;
    static const char *const only_csv[] = {"CSV", NULL};
    CPLPushErrorHandler(CPLQuietErrorHandler);
    GDALDatasetH ds = GDALOpenEx(file, GDAL_OF_VECTOR | GDAL_OF_READONLY, only_csv, NULL, NULL);
    CPLPopErrorHandler();
    OGRFeatureDefnH defn = ds && GDALDatasetGetLayerCount(ds) > 0
                               ? OGR_L_GetLayerDefn(GDALDatasetGetLayer(ds, 0)) : NULL;
    int rc = PL_OK;
    if (defn) {
        const coord_pair *chosen = NULL;
        for (size_t i = 0; i < sizeof coord_pairs / sizeof coord_pairs[0] && rc == PL_OK; i++) {
            const coord_pair *p = &coord_pairs[i];
            int nx = count_field(defn, p->x), ny = count_field(defn, p->y);
            if (nx > 1 || ny > 1)
                rc = pl_error_set(err, PL_EINPUT, "%s: column '%s' appears %d times; rename or remove the extra "
                                  "ones (the coordinates are read from one x/y or lon/lat pair of columns)",
                                  pl_basename(file), nx > 1 ? p->x : p->y, nx > 1 ? nx : ny);
            else if (nx == 1 && ny == 1 &&
                     (!chosen || (chosen->geographic != assume_geographic && p->geographic == assume_geographic)))
                chosen = p;
        }
        if (rc == PL_OK && chosen) {
            snprintf(o->x, sizeof o->x, "X_POSSIBLE_NAMES=%s", chosen->x);
            snprintf(o->y, sizeof o->y, "Y_POSSIBLE_NAMES=%s", chosen->y);
            o->list[k++] = o->x;
            o->list[k++] = o->y;
        }
    }
    if (ds)
        GDALClose(ds);
    if (!defn) {  /* not readable as CSV here: GDAL's own open reports it */
        o->list[k++] = csv_open_options[0];
        o->list[k++] = csv_open_options[1];
    }
    o->list[k++] = csv_open_options[2];
    o->list[k++] = csv_open_options[3];
    o->list[k] = NULL;
    return rc;
}

const char *const *pl_vector_default_open_options(const char *file)
{
    static csv_options o;
    if (!has_csv_extension(file))
        return NULL;
    pl_error ignored;
    if (csv_geometry_options(file, -1, &o, &ignored) != PL_OK) {
        /* Repeated coordinate columns: no x/y geometry (the loaders report the error). */
        o.list[0] = csv_open_options[2];
        o.list[1] = csv_open_options[3];
        o.list[2] = NULL;
    }
    return o.list;
}

/* Suggests a CRS from a layer's extent, for the "no CRS" message. */
const char *pl_vector_crs_hint(OGRLayerH layer)
{
    OGREnvelope env;
    if (OGR_L_GetExtent(layer, &env, TRUE) != OGRERR_NONE)
        return "";
    if (env.MinX >= -180 && env.MaxX <= 180 && env.MinY >= -90 && env.MaxY <= 90)
        return " (the coordinates look like longitude/latitude: EPSG:4326)";
    if (env.MinX >= 100000 && env.MaxX <= 1000000 && env.MinY >= 6000000 && env.MaxY <= 7800000)
        return " (the coordinates look like SWEREF 99 TM: EPSG:3006)";
    return "";
}

/* True when src is the working CRS up to an unnamed datum on the same ellipsoid, as in
 * SCB's Kommun_Sweref99TM.prj ("unnamed" UTM 33N on GRS80): the PROJ.4 strings agree once
 * +towgs84/+datum are dropped and src names no real datum. */
static void proj4_core(OGRSpatialReferenceH s, char *out, size_t size)
{
    out[0] = '\0';
    char *p4 = NULL;
    if (OSRExportToProj4(s, &p4) != OGRERR_NONE || !p4) {
        CPLFree(p4);
        return;
    }
    size_t used = 0;
    char *save = NULL;
    for (char *tok = strtok_r(p4, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        if (!strncmp(tok, "+towgs84", 8) || !strncmp(tok, "+datum", 6) || !strcmp(tok, "+no_defs") ||
            !strcmp(tok, "+type=crs"))
            continue;
        int n = snprintf(out + used, size - used, "%s%s", used ? " " : "", tok);
        if (n < 0 || (size_t)n >= size - used)
            break;
        used += (size_t)n;
    }
    CPLFree(p4);
}

int pl_srs_equivalent(OGRSpatialReferenceH src, OGRSpatialReferenceH work)
{
    if (!src || !work)
        return 0;
    const char *opts[] = {"IGNORE_DATA_AXIS_TO_SRS_AXIS_MAPPING=YES", NULL};
    if (OSRIsSameEx(src, work, opts))
        return 1;
    if (OSRGetAuthorityCode(src, NULL) != NULL && OSRGetAuthorityName(src, NULL) != NULL)
        return 0;  /* a registered CRS that is not the same: transform */
    const char *datum = OSRGetAttrValue(src, "DATUM", 0);
    int unnamed_datum = !datum || strcasestr(datum, "unnamed") || strcasestr(datum, "unknown") ||
                        !strncasecmp(datum, "D_GRS_80", 8) || !strncasecmp(datum, "D_GRS80", 7) ||
                        !strncasecmp(datum, "D_GRS_1980", 10) || !strcasecmp(datum, "GRS 1980") ||
                        strcasestr(datum, "SWEREF") || strcasestr(datum, "ETRS");
    if (!unnamed_datum)
        return 0;
    char a[512], b[512];
    proj4_core(src, a, sizeof a);
    proj4_core(work, b, sizeof b);
    return a[0] && strcmp(a, b) == 0;
}

void pl_srs_describe(OGRSpatialReferenceH srs, const char *work_crs, char *buf, size_t size)
{
    if (!srs) {
        snprintf(buf, size, "none");
        return;
    }
    OGRSpatialReferenceH s = OSRClone(srs);
    const char *name = OSRGetName(s);
    const char *auth = OSRGetAuthorityName(s, NULL), *code = OSRGetAuthorityCode(s, NULL);
    if (!(auth && code)) {
        CPLPushErrorHandler(CPLQuietErrorHandler);
        OSRAutoIdentifyEPSG(s);
        CPLPopErrorHandler();
        auth = OSRGetAuthorityName(s, NULL);
        code = OSRGetAuthorityCode(s, NULL);
    }
    if (auth && code) {
        snprintf(buf, size, "%s:%s (%s)", auth, code, name ? name : "?");
    } else {
        OGRSpatialReferenceH w = NULL;
        if (work_crs) {
            w = OSRNewSpatialReference(NULL);
            if (OSRSetFromUserInput(w, work_crs) != OGRERR_NONE) {
                OSRDestroySpatialReference(w);
                w = NULL;
            }
        }
        if (w && pl_srs_equivalent(s, w))
            snprintf(buf, size, "'%s', not an EPSG code but equivalent to %s (%s)", name ? name : "unnamed",
                     work_crs, OSRGetName(w));
        else
            snprintf(buf, size, "'%s' (no EPSG code)", name ? name : "unnamed");
        if (w)
            OSRDestroySpatialReference(w);
    }
    OSRDestroySpatialReference(s);
}

static const char *file_kind(mode_t m)
{
    return S_ISFIFO(m) ? "a FIFO (named pipe)" : S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device"
           : S_ISSOCK(m) ? "a socket" : "not a regular file";
}

/* A shapefile's sidecar (".dbf") in either case; 1 when present. */
static int has_sidecar(const char *shp, const char *ext)
{
    char p[4200];
    size_t n = strlen(shp);
    if (n < 4 || n + 1 > sizeof p)
        return 1;
    memcpy(p, shp, n - 4);
    for (int upper = 0; upper < 2; upper++) {
        for (int i = 0; i < 4; i++)
            p[n - 4 + i] = upper ? (char)toupper((unsigned char)ext[i]) : ext[i];
        p[n] = '\0';
        struct stat st;
        if (stat(p, &st) == 0)
            return 1;
    }
    return 0;
}

int pl_input_path_check(const char *file, const char *role, pl_error *err)
{
    if (!file || !*file)
        return pl_error_set(err, PL_EINPUT, "%s: empty file name; give the file's path", role);
    if (strncmp(file, "PG:", 3) == 0 || strncmp(file, "/vsi", 4) == 0)
        return PL_OK;
    struct stat st;
    if (stat(file, &st) != 0)
        return pl_error_set(err, PL_EINPUT, "%s: %s file not found (%s); check the path", file, role,
                            strerror(errno));
    if (S_ISDIR(st.st_mode))
        return PL_OK;
    if (!S_ISREG(st.st_mode))
        return pl_error_set(err, PL_EINPUT, "%s: %s file is %s; give a regular file or folder", file,
                            role, file_kind(st.st_mode));
    size_t n = strlen(file);
    if (n > 4 && strcasecmp(file + n - 4, ".shp") == 0)
        for (int k = 0; k < 2; k++) {
            const char *ext = k ? ".shx" : ".dbf";
            if (!has_sidecar(file, ext))
                return pl_error_set(err, PL_EINPUT, "%s: the shapefile's %s file (%s) is missing; copy "
                                    "%.*s%s beside the .shp (a shapefile is the .shp, .shx and .dbf together)",
                                    pl_basename(file), ext, k ? "its index" : "its attribute table",
                                    (int)(strlen(pl_basename(file)) - 4), pl_basename(file), ext);
        }
    return PL_OK;
}

int pl_input_text_file_check(const char *file, const char *role, pl_error *err)
{
    if (pl_input_path_check(file, role, err) != PL_OK)
        return err->code;
    struct stat st;
    if (stat(file, &st) == 0 && S_ISDIR(st.st_mode))
        return pl_error_set(err, PL_EINPUT, "%s: %s file is a folder; give the file itself", file, role);
    return PL_OK;
}

/* Coordinates beyond 1e8 (or not numbers) are skipped by every loader with a warning. */
static int extent_usable(const double box[4])
{
    for (int i = 0; i < 4; i++)
        if (!(fabs(box[i]) <= 1e8))
            return 0;
    return 1;
}

/* The extent of (the first `max` of) the features whose own extent is usable. An empty
 * result leaves box unusable (NaN). */
static void extent_without_huge(OGRLayerH layer, double box[4], long max)
{
    box[0] = box[1] = INFINITY;
    box[2] = box[3] = -INFINITY;
    OGR_L_ResetReading(layer);
    OGRFeatureH f;
    long seen = 0;
    while (seen++ < max && (f = OGR_L_GetNextFeature(layer)) != NULL) {
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        OGREnvelope e;
        if (g && !OGR_G_IsEmpty(g)) {
            OGR_G_GetEnvelope(g, &e);
            const double b[4] = {e.MinX, e.MinY, e.MaxX, e.MaxY};
            if (extent_usable(b)) {
                box[0] = fmin(box[0], b[0]);
                box[1] = fmin(box[1], b[1]);
                box[2] = fmax(box[2], b[2]);
                box[3] = fmax(box[3], b[3]);
            }
        }
        OGR_F_Destroy(f);
    }
    OGR_L_ResetReading(layer);
    if (!(box[0] <= box[2]))
        box[0] = box[1] = box[2] = box[3] = NAN;
}

/* The extent failed the area-of-use check: a look at each feature (its envelope's centre)
 * tells the whole layer in another CRS (no feature inside, or none a place at all: refused
 * with area_err, the layer's message) from a few stray features (a point at 0,0 among
 * Swedish ones: warned and counted, one warning each, used where they are). Features that are no place at all
 * are left to the loaders, which skip them with a warning. On success box becomes the
 * extent of the features inside. Only on this failing path: one read of the layer. */
static int features_in_area(pl_ctx *ctx, pl_vector *v, OGRSpatialReferenceH src, double box[4],
                            const pl_error *area_err, pl_error *err)
{
    pl_crs_area *a = pl_crs_area_new(src);
    double in[4] = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    enum { MAX_STRAY = 64 };  /* the count is exact; the warnings name the first ones */
    long n_in = 0, n_out = 0, n_none = 0;
    long long stray_fid[MAX_STRAY];
    double stray_x[MAX_STRAY], stray_y[MAX_STRAY];
    OGR_L_ResetReading(v->layer);
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(v->layer)) != NULL) {
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        OGREnvelope e;
        if (g && !OGR_G_IsEmpty(g)) {
            OGR_G_GetEnvelope(g, &e);
            double x = (e.MinX + e.MaxX) / 2, y = (e.MinY + e.MaxY) / 2;
            int t = fabs(x) <= 1e8 && fabs(y) <= 1e8 ? pl_crs_area_test(a, x, y) : -1;
            if (t == 1) {
                n_in++;
                in[0] = fmin(in[0], e.MinX);
                in[1] = fmin(in[1], e.MinY);
                in[2] = fmax(in[2], e.MaxX);
                in[3] = fmax(in[3], e.MaxY);
            } else if (t < 0) {
                n_none++;
            } else if (n_out++ < MAX_STRAY) {
                stray_fid[n_out - 1] = (long long)OGR_F_GetFID(f);
                stray_x[n_out - 1] = x;
                stray_y[n_out - 1] = y;
            }
        }
        OGR_F_Destroy(f);
    }
    OGR_L_ResetReading(v->layer);
    int rc = PL_OK;
    if (n_in == 0 && (n_out > 0 || n_none > 0)) {
        rc = pl_error_set(err, PL_EINPUT, "%s", area_err->msg);
    } else {
        for (long k = 0; k < n_out; k++) {
            long j = k < MAX_STRAY ? k : MAX_STRAY - 1;
            char what[48];
            snprintf(what, sizeof what, "feature %lld", stray_fid[j]);
            pl_crs_area_feature_warn(ctx, a, v->label, what, stray_x[j], stray_y[j]);
        }
        memcpy(box, in, sizeof in);
    }
    pl_crs_area_free(a);
    return rc;
}

/* The CRS checks of crs_check.h on an opened layer in CRS src. Returns PL_OK or PL_EINPUT. */
static int layer_crs_checks(pl_ctx *ctx, pl_vector *v, OGRSpatialReferenceH src, pl_error *err)
{
    OGRLayerH layer = v->layer;
    /* The extent as the driver has it cheaply (GeoPackage, shapefile, GeoJSON); for others
     * (a CSV would be read once more: 1.8 s for 600 000 rows) that of the first
     * EXTENT_SAMPLE features, which shows a layer in the wrong CRS as well. A huge or NaN
     * coordinate in the extent (skipped by the loaders): the extent without it. */
    enum { EXTENT_SAMPLE = 10000 };
    OGREnvelope env;
    double box[4] = {NAN, NAN, NAN, NAN};
    CPLPushErrorHandler(CPLQuietErrorHandler);
    int fast = OGR_L_TestCapability(layer, OLCFastGetExtent) ||
               (OGR_L_TestCapability(layer, OLCFastFeatureCount) &&
                OGR_L_GetFeatureCount(layer, FALSE) <= EXTENT_SAMPLE);
    int have = 1;
    if (!fast)
        extent_without_huge(layer, box, EXTENT_SAMPLE);
    else if ((have = OGR_L_GetExtent(layer, &env, TRUE) == OGRERR_NONE)) {
        box[0] = env.MinX, box[1] = env.MinY, box[2] = env.MaxX, box[3] = env.MaxY;
        if (!extent_usable(box))
            extent_without_huge(layer, box, LONG_MAX);
    }
    CPLPopErrorHandler();
    if (!have)
        return PL_OK;  /* an empty layer: the loaders say so */
    /* An "unnamed" .prj equivalent to the working CRS (SCB's Kommun_Sweref99TM.prj) has no
     * registered area: checked as the working CRS, the same numbers. */
    if (!OSRGetAuthorityCode(src, NULL) && pl_srs_equivalent(src, v->work_srs))
        src = v->work_srs;
    pl_error area_err = {0};
    if (pl_crs_check_area(src, v->crs_assumed, box, v->label, &area_err) != PL_OK &&
        features_in_area(ctx, v, src, box, &area_err, err) != PL_OK)
        return PL_EINPUT;
    return pl_crs_check_scale(ctx, src, box, v->label, err);
}

/* pl_vector_opts.within: the rectangle (working CRS) as a spatial filter in the layer's CRS,
 * by its transformed bounds (a superset of the features that meet it). */
static int set_within(pl_vector *v, OGRSpatialReferenceH src, const double *r, pl_error *err)
{
    double x0 = r[0], y0 = r[1], x1 = r[2], y1 = r[3];
    if (v->to_work) {
        OGRCoordinateTransformationH back = OCTNewCoordinateTransformation(v->work_srs, src);
        int ok = back && OCTTransformBounds(back, r[0], r[1], r[2], r[3], &x0, &y0, &x1, &y1, 21);
        if (back)
            OCTDestroyCoordinateTransformation(back);
        if (!ok)
            return pl_error_set(err, PL_EINPUT, "%s: cannot transform the tile's rectangle to the layer's CRS; "
                                "give the layer in the working CRS", v->label);
    }
    /* A GeoPackage table with its R-tree: the features in file order (see vector.h). */
    GDALDriverH drv = GDALGetDatasetDriver(v->ds);
    const char *fid = OGR_L_GetFIDColumn(v->layer), *geom = OGR_L_GetGeometryColumn(v->layer);
    if (drv && strcmp(GDALGetDriverShortName(drv), "GPKG") == 0 && fid && *fid && geom && *geom) {
        const char *t = OGR_L_GetName(v->layer);
        char *sql = CPLStrdup(CPLSPrintf("SELECT * FROM \"%s\" WHERE \"%s\" IN (SELECT id FROM \"rtree_%s_%s\" WHERE "
                                         "maxx >= %.17g AND minx <= %.17g AND maxy >= %.17g AND miny <= %.17g) "
                                         "ORDER BY \"%s\"", t, fid, t, geom, x0, x1, y0, y1, fid));
        CPLPushErrorHandler(CPLQuietErrorHandler);
        OGRLayerH res = GDALDatasetExecuteSQL(v->ds, sql, NULL, NULL);
        CPLPopErrorHandler();
        CPLErrorReset();
        CPLFree(sql);
        if (res) {
            v->sql_result = v->layer = res;
            return PL_OK;
        }
    }
    OGR_L_SetSpatialFilterRect(v->layer, x0, y0, x1, y1);
    return PL_OK;
}

pl_vector *pl_vector_open(pl_ctx *ctx, const char *spec, const pl_vector_opts *o, pl_error *err)
{
    if (GDALGetDriverCount() == 0)
        GDALAllRegister();
    char file[4096], layer_name[512];
    pl_vector_split_spec(spec, file, sizeof file, layer_name, sizeof layer_name);
    const char *role = o && o->role ? o->role : "input";
    if (pl_input_path_check(file, role, err) != PL_OK)
        return NULL;
    const char *const *open_options = o && o->open_options ? o->open_options : NULL;
    csv_options csv;
    if (!open_options && has_csv_extension(file)) {
        int geographic = -1;
        OGRSpatialReferenceH a = o && o->assume_crs ? pl_srs_from_user(o->assume_crs) : NULL;
        if (a) {
            geographic = OSRIsGeographic(a) ? 1 : 0;
            OSRDestroySpatialReference(a);
        }
        if (csv_geometry_options(file, geographic, &csv, err) != PL_OK)
            return NULL;
        open_options = csv.list;
    }
    CPLPushErrorHandler(CPLQuietErrorHandler);
    CPLErrorReset();
    GDALDatasetH ds = GDALOpenEx(file, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, open_options, NULL);
    CPLPopErrorHandler();
    if (!ds) {
        char why[512];
        snprintf(why, sizeof why, "%s", CPLGetLastErrorMsg());
        for (char *c = why; *c; c++)
            if (*c == '\n' || *c == '\r')
                *c = ' ';
        pl_error_set(err, PL_EINPUT, "%s: not a readable vector dataset%s%s%s; give a GeoPackage, shapefile, "
                     "GeoJSON, CSV or other GDAL vector file", pl_basename(file), why[0] ? " (" : "", why,
                     why[0] ? ")" : "");
        return NULL;
    }
    OGRLayerH layer = pick_layer(ds, o && o->layer ? o->layer : layer_name, file, err);
    if (!layer) {
        GDALClose(ds);
        return NULL;
    }
    if (!(o && o->layer) && !layer_name[0]) {
        int with_geometry = 0;
        for (int i = 0; i < GDALDatasetGetLayerCount(ds); i++)
            with_geometry += OGR_L_GetGeomType(GDALDatasetGetLayer(ds, i)) != wkbNone;
        if (with_geometry > 1)
            pl_info(ctx, "%s: %d layers; using '%s' as %s (choose another with FILE:LAYER)", pl_basename(file),
                    with_geometry, OGR_L_GetName(layer), role);
    }
    pl_vector *v = pl_calloc(1, sizeof *v);
    v->ds = ds;
    v->layer = layer;
    v->path = pl_strdup(file);
    v->role = pl_strdup(role);
    char label[4600];
    snprintf(label, sizeof label, "%s:%s", pl_basename(file), OGR_L_GetName(layer));
    v->label = pl_strdup(label);

    v->work_srs = pl_srs_from_user(ctx->work_crs);
    if (!v->work_srs) {
        pl_error_set(err, PL_EINPUT, "working CRS '%s' is not a known CRS; use --crs EPSG:n", ctx->work_crs);
        pl_vector_close(v);
        return NULL;
    }
    /* Distances, speeds and areas are computed in the working CRS's units: metres only. */
    if (!OSRIsProjected(v->work_srs) || fabs(OSRGetLinearUnits(v->work_srs, NULL) - 1.0) > 1e-12) {
        pl_error_set(err, PL_EINPUT, "working CRS '%s' is %s, not projected in metres; use --crs with a projected "
                     "CRS such as EPSG:3006 (SWEREF 99 TM)", ctx->work_crs,
                     OSRIsGeographic(v->work_srs) ? "geographic (degrees)" : "not in metres");
        pl_vector_close(v);
        return NULL;
    }
    if (OGR_L_GetGeomType(layer) == wkbNone)
        return v;  /* attribute table: nothing to reproject */
    OGRSpatialReferenceH src = OGR_L_GetSpatialRef(layer);
    OGRSpatialReferenceH assumed = NULL;
    if (!src) {
        if (!o || !o->assume_crs) {
            const char *hint = pl_vector_crs_hint(layer);
            if (*hint)
                pl_error_set(err, PL_EINPUT, "%s: layer has no CRS; give it one with --assume-crs EPSG:n%s",
                             v->label, hint);
            else
                pl_error_set(err, PL_EINPUT, "%s: layer has no CRS; give it one with --assume-crs EPSG:n "
                             "(e.g. EPSG:3006 for SWEREF 99 TM)", v->label);
            pl_vector_close(v);
            return NULL;
        }
        assumed = pl_srs_from_user(o->assume_crs);
        if (!assumed) {
            pl_error_set(err, PL_EINPUT, "--assume-crs '%s' is not a known CRS; use EPSG:n", o->assume_crs);
            pl_vector_close(v);
            return NULL;
        }
        src = assumed;
        v->crs_assumed = 1;
    }
    OGRSpatialReferenceH src_trad = OSRClone(src);
    OSRSetAxisMappingStrategy(src_trad, OAMS_TRADITIONAL_GIS_ORDER);
    int failed = 0;
    if (!OSRIsSame(src_trad, v->work_srs) && !pl_srs_equivalent(src_trad, v->work_srs)) {
        CPLPushErrorHandler(CPLQuietErrorHandler);
        v->to_work = OCTNewCoordinateTransformation(src_trad, v->work_srs);
        CPLPopErrorHandler();
        if (!v->to_work) {
            failed = 1;
            pl_error_set(err, PL_EINPUT, "%s: cannot transform its CRS to %s; check the .prj or use --assume-crs",
                         v->label, ctx->work_crs);
        }
    }
    /* Coordinates that cannot be in their CRS, or a working CRS that stretches distances
     * over them: refused before anything is computed. */
    if (!failed)
        failed = layer_crs_checks(ctx, v, src_trad, err) != PL_OK;
    if (!failed && o && o->within)
        failed = set_within(v, src_trad, o->within, err) != PL_OK;
    OSRDestroySpatialReference(src_trad);
    if (assumed)
        OSRDestroySpatialReference(assumed);
    if (failed) {
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
    if (v->sql_result)
        GDALDatasetReleaseResultSet(v->ds, v->sql_result);
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
    return pl_vector_field_find(v, given, candidates, NULL, flag, required, err);
}

int pl_vector_field_find(const pl_vector *v, const char *given, const char *const *candidates, const char *what,
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
    if (i < 0 && required && !what) {
        /* pl_vector_field_pick's message, unchanged for its callers. */
        pl_error_set(err, PL_EINPUT, "%s: no %s field found (looked for %s%s); fields are: %s; use --%s",
                     v->label, flag, candidates && candidates[0] ? candidates[0] : "?",
                     candidates && candidates[0] && candidates[1] ? ", ..." : "", pl_vector_field_list(v), flag);
    } else if (i < 0 && required) {
        char looked[256] = "";
        for (int k = 0; candidates && candidates[k]; k++) {
            size_t used = strlen(looked);
            if (k == 6) {
                snprintf(looked + used, sizeof looked - used, ", ...");
                break;
            }
            snprintf(looked + used, sizeof looked - used, "%s%s", k ? ", " : "", candidates[k]);
        }
        pl_error_set(err, PL_EINPUT, "%s: no %s field found (looked for %s); fields are: %s; use --%s",
                     v->label, what, looked[0] ? looked : "?", pl_vector_field_list(v), flag);
    }
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
