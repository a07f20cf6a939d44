/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "crs_check.h"
#include "vector.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <math.h>
#include <proj.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { GRID = 5, NS = GRID * GRID };

/* The projection alone as a PROJ string (no datum shift: PROJ 9.1's proj_factors refuses
 * some projected CRSs such as EPSG:3006, and the shift does not change the scale). */
static PJ *projection_of(PJ_CONTEXT *pc, OGRSpatialReferenceH srs)
{
    char *p4 = NULL;
    CPLPushErrorHandler(CPLQuietErrorHandler);
    OGRErr e = OSRExportToProj4(srs, &p4);
    CPLPopErrorHandler();
    if (e != OGRERR_NONE || !p4) {
        CPLFree(p4);
        return NULL;
    }
    char out[1024] = "";
    size_t used = 0;
    char *save = NULL;
    for (char *t = strtok_r(p4, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        if (!strncmp(t, "+towgs84", 8) || !strncmp(t, "+nadgrids", 9) || !strcmp(t, "+type=crs") ||
            !strcmp(t, "+wktext") || !strncmp(t, "+geoidgrids", 11))
            continue;
        int n = snprintf(out + used, sizeof out - used, "%s%s", used ? " " : "", t);
        if (n < 0 || (size_t)n >= sizeof out - used)
            break;
        used += (size_t)n;
    }
    CPLFree(p4);
    return out[0] ? proj_create(pc, out) : NULL;
}

static double scale_error_srs(OGRSpatialReferenceH work, const double *lon, const double *lat, int n)
{
    PJ_CONTEXT *pc = proj_context_create();
    proj_log_level(pc, PJ_LOG_NONE);
    PJ *p = projection_of(pc, work);
    double worst = -1;
    for (int i = 0; p && i < n; i++) {
        if (!isfinite(lon[i]) || !isfinite(lat[i]) || fabs(lat[i]) > 89.9)
            continue;
        PJ_FACTORS f = proj_factors(p, proj_coord(proj_torad(lon[i]), proj_torad(lat[i]), 0, 0));
        if (proj_errno(p)) {
            proj_errno_reset(p);
            continue;
        }
        double d = fmax(fabs(f.meridional_scale - 1), fabs(f.parallel_scale - 1));
        if (isfinite(d) && d > worst)
            worst = d;
    }
    if (p)
        proj_destroy(p);
    proj_context_destroy(pc);
    return worst;
}

double pl_crs_scale_error(const char *crs, const double *lon, const double *lat, int n)
{
    OGRSpatialReferenceH s = pl_srs_from_user(crs);
    if (!s)
        return -1;
    double e = scale_error_srs(s, lon, lat, n);
    OSRDestroySpatialReference(s);
    return e;
}

/* "EPSG:3006" or the CRS's name. */
static void crs_name(OGRSpatialReferenceH s, char *buf, size_t size)
{
    const char *auth = OSRGetAuthorityName(s, NULL), *code = OSRGetAuthorityCode(s, NULL);
    if (auth && code)
        snprintf(buf, size, "%s:%s", auth, code);
    else
        snprintf(buf, size, "'%s'", OSRGetName(s) ? OSRGetName(s) : "unnamed");
}

/* A CRS's area of use and the way to it from the CRS's coordinates. */
struct pl_crs_area {
    OGRSpatialReferenceH src;
    OGRCoordinateTransformationH to_lonlat;  /* NULL: cannot tell where a point is */
    double box[4];                           /* west, south, east, north (degrees) */
    char name[160];                          /* "Sweden - onshore and offshore" */
    char crs[160];                           /* "EPSG:3006" */
};

pl_crs_area *pl_crs_area_new(OGRSpatialReferenceH src)
{
    pl_crs_area *a = pl_calloc(1, sizeof *a);
    a->src = OSRClone(src);
    OSRSetAxisMappingStrategy(a->src, OAMS_TRADITIONAL_GIS_ORDER);
    OGRSpatialReferenceH wgs = pl_srs_from_user("EPSG:4326");
    CPLPushErrorHandler(CPLQuietErrorHandler);
    a->to_lonlat = wgs ? OCTNewCoordinateTransformation(a->src, wgs) : NULL;
    CPLPopErrorHandler();
    if (wgs)
        OSRDestroySpatialReference(wgs);
    const char *name = NULL;
    int has = OSRGetAreaOfUse(a->src, &a->box[0], &a->box[1], &a->box[2], &a->box[3], &name) && a->box[0] > -1000;
    OGRSpatialReferenceH known = NULL;
    if (!has) {  /* a code but no area in the file's definition (GeoJSON's WGS 84); an "unnamed"
                  * SWEREF 99 TM .prj is checked as the working CRS (pl_vector_open); OSRFindMatches
                  * for others costs 0.5 s a layer */
        const char *auth = OSRGetAuthorityName(a->src, NULL), *code = OSRGetAuthorityCode(a->src, NULL);
        if (auth && code && !strcmp(auth, "EPSG")) {  /* a code but no area in the file's definition */
            char text[32];
            snprintf(text, sizeof text, "EPSG:%.16s", code);
            known = pl_srs_from_user(text);
            if (known && !(OSRGetAreaOfUse(known, &a->box[0], &a->box[1], &a->box[2], &a->box[3], &name) &&
                           a->box[0] > -1000)) {
                OSRDestroySpatialReference(known);
                known = NULL;
            }
        }
        has = known != NULL;
    }
    if (has) {
        snprintf(a->name, sizeof a->name, "%s", name ? name : "?");
        size_t len = strlen(a->name);
        if (len > 0 && a->name[len - 1] == '.')  /* EPSG's "Sweden - onshore and offshore." */
            a->name[len - 1] = '\0';
    } else {  /* no registered area (a custom CRS): only that the numbers are places on Earth */
        a->box[0] = -180, a->box[1] = -90, a->box[2] = 180, a->box[3] = 90;
        snprintf(a->name, sizeof a->name, "the Earth");
    }
    crs_name(known ? known : a->src, a->crs, sizeof a->crs);
    if (known)
        OSRDestroySpatialReference(known);
    return a;
}

void pl_crs_area_free(pl_crs_area *a)
{
    if (!a)
        return;
    if (a->to_lonlat)
        OCTDestroyCoordinateTransformation(a->to_lonlat);
    OSRDestroySpatialReference(a->src);
    free(a);
}

/* Takes n points to lon/lat in place; a point that is no place becomes NaN. */
static void to_lonlat(const pl_crs_area *a, double *x, double *y, int n)
{
    int ok[NS];
    if (a->to_lonlat && n <= NS) {
        CPLPushErrorHandler(CPLQuietErrorHandler);
        OCTTransformEx(a->to_lonlat, n, x, y, NULL, ok);
        CPLPopErrorHandler();
    }
    for (int i = 0; i < n; i++)
        if (!a->to_lonlat || n > NS || !ok[i] || !isfinite(x[i]) || !isfinite(y[i]) || fabs(y[i]) > 90.0 + 1e-9 ||
            fabs(x[i]) > 540.0)
            x[i] = y[i] = NAN;
}

/* Whether lon/lat lies within the area of use widened by the margin. */
static int in_area(const pl_crs_area *a, double lon, double lat)
{
    double m = PL_CRS_AREA_MARGIN_DEG;
    if (lat < a->box[1] - m || lat > a->box[3] + m)
        return 0;
    if (a->box[0] > a->box[2])  /* across the antimeridian: any longitude */
        return 1;
    return lon >= a->box[0] - m && lon <= a->box[2] + m;
}

int pl_crs_area_test(const pl_crs_area *a, double x, double y)
{
    if (!a->to_lonlat)
        return 1;
    to_lonlat(a, &x, &y, 1);
    if (!isfinite(x))
        return -1;
    return in_area(a, x, y);
}

/* " they look like longitude/latitude (EPSG:4326)" from the raw numbers, or "". */
static const char *raw_hint(const double env[4], const char **crs)
{
    *crs = NULL;
    if (env[0] >= -180 && env[2] <= 180 && env[1] >= -90 && env[3] <= 90) {
        *crs = "EPSG:4326";
        return "; they look like longitude/latitude";
    }
    if (env[0] >= 100000 && env[2] <= 1000000 && env[1] >= 6000000 && env[3] <= 7800000) {
        *crs = "EPSG:3006";
        return "; they look like SWEREF 99 TM";
    }
    return "";
}

static int area_error(const pl_crs_area *a, int assumed, const double env[4], double x, double y,
                      const char *label, pl_error *err)
{
    const char *real = NULL;
    const char *hint = raw_hint(env, &real);
    char fix[256];
    if (assumed)
        snprintf(fix, sizeof fix, "give its real CRS with --assume-crs %s", real ? real : "EPSG:n");
    else
        snprintf(fix, sizeof fix, "give the layer its real CRS (%s, e.g. ogr2ogr -a_srs %s)", real ? real : "EPSG:n",
                 real ? real : "EPSG:n");
    return pl_error_set(err, PL_EINPUT, "%s: coordinates (%.10g, %.10g) lie outside %s's area of use (%s)%s; %s",
                        label, x, y, a->crs, a->name, hint, fix);
}

void pl_crs_area_feature_warn(pl_ctx *ctx, const pl_crs_area *a, const char *label, const char *what, double x,
                              double y)
{
    pl_warn(ctx, "outside-crs-area", "%s: %s at (%.10g, %.10g) lies outside %s's area of use (%s); used where it "
            "is: check its coordinates", label, what, x, y, a->crs, a->name);
}

/* The 5 x 5 sample points of env, in the CRS (x, y) and in lon/lat. */
static void samples(const pl_crs_area *a, const double env[4], double *x, double *y, double *lon, double *lat)
{
    for (int i = 0; i < GRID; i++)
        for (int j = 0; j < GRID; j++) {
            x[i * GRID + j] = env[0] + (env[2] - env[0]) * i / (GRID - 1);
            y[i * GRID + j] = env[1] + (env[3] - env[1]) * j / (GRID - 1);
        }
    memcpy(lon, x, NS * sizeof *lon);
    memcpy(lat, y, NS * sizeof *lat);
    to_lonlat(a, lon, lat, NS);
}

static int env_ok(const double env[4])
{
    return env[0] <= env[2] && env[1] <= env[3] && isfinite(env[0]) && isfinite(env[1]) && isfinite(env[2]) &&
           isfinite(env[3]);
}

int pl_crs_check_area(OGRSpatialReferenceH src, int src_assumed, const double env[4], const char *label,
                      pl_error *err)
{
    if (!src || !env_ok(env))
        return PL_OK;  /* nothing to look at (the loaders report bad coordinates per feature) */
    pl_crs_area *a = pl_crs_area_new(src);
    double x[NS], y[NS], lon[NS], lat[NS];
    samples(a, env, x, y, lon, lat);
    int rc = PL_OK;
    /* The message names the centre when it is outside, else the first point outside. */
    for (int i = 0; i < NS && rc == PL_OK; i++) {
        int k = i == 0 ? NS / 2 : i == NS / 2 ? 0 : i;
        if (!isfinite(lon[k]) || !in_area(a, lon[k], lat[k]))
            rc = area_error(a, src_assumed, env, x[k], y[k], label, err);
    }
    pl_crs_area_free(a);
    return rc;
}

/* The CRS to propose for lon/lat samples: SWEREF 99 TM inside Sweden, else the UTM zone of
 * the centre; "" when that too stretches distances beyond the tolerance. */
static void suggest_crs(const double *lon, const double *lat, int n, char *buf, size_t size)
{
    double w = 1e9, s = 1e9, e = -1e9, no = -1e9;
    for (int i = 0; i < n; i++)
        if (isfinite(lon[i])) {
            w = fmin(w, lon[i]);
            e = fmax(e, lon[i]);
            s = fmin(s, lat[i]);
            no = fmax(no, lat[i]);
        }
    if (w >= 10.03 - 2 && e <= 24.17 + 2 && s >= 54.96 - 2 && no <= 69.07 + 2) {
        snprintf(buf, size, "EPSG:3006 (SWEREF 99 TM)");
    } else {
        double clon = (w + e) / 2, clat = (s + no) / 2;
        int zone = (int)floor((clon + 180) / 6) + 1;
        zone = zone < 1 ? 1 : zone > 60 ? 60 : zone;
        snprintf(buf, size, "EPSG:%d (WGS 84 / UTM zone %d%s)", clat >= 0 ? 32600 + zone : 32700 + zone, zone,
                 clat >= 0 ? "N" : "S");
    }
    char code[16];
    snprintf(code, sizeof code, "%.10s", buf);
    code[strcspn(code, " ")] = '\0';
    double e2 = pl_crs_scale_error(code, lon, lat, n);
    if (e2 < 0 || e2 > PL_CRS_SCALE_TOLERANCE)
        buf[0] = '\0';
}

int pl_crs_check_scale(pl_ctx *ctx, OGRSpatialReferenceH src, const double env[4], const char *label,
                       pl_error *err)
{
    if (!src || !env_ok(env))
        return PL_OK;
    pl_crs_area *a = pl_crs_area_new(src);
    double x[NS], y[NS], lon[NS], lat[NS];
    samples(a, env, x, y, lon, lat);
    pl_crs_area_free(a);
    OGRSpatialReferenceH work = pl_srs_from_user(ctx->work_crs);
    if (!work)
        return PL_OK;  /* pl_vector_open reports an unknown working CRS */
    double worst = scale_error_srs(work, lon, lat, NS);
    OSRDestroySpatialReference(work);
    if (worst <= PL_CRS_SCALE_TOLERANCE)
        return PL_OK;
    double w = 1e9, s = 1e9, e = -1e9, n = -1e9;
    for (int i = 0; i < NS; i++)
        if (isfinite(lon[i])) {
            w = fmin(w, lon[i]);
            e = fmax(e, lon[i]);
            s = fmin(s, lat[i]);
            n = fmax(n, lat[i]);
        }
    char fit[128];
    suggest_crs(lon, lat, NS, fit, sizeof fit);
    char fix[256];
    if (fit[0])
        snprintf(fix, sizeof fix, "use --crs %s", fit);
    else
        snprintf(fix, sizeof fix, "the area is too large for one projected CRS: split it, or give --crs a CRS "
                 "made for it");
    return pl_error_set(err, PL_EINPUT, "%s: the working CRS %s stretches distances by up to %.1f %% over this "
                        "layer (longitude %.2f to %.2f, latitude %.2f to %.2f; platsa accepts %.0f %%); %s",
                        label, ctx->work_crs, 100 * worst, w, e, s, n, 100 * PL_CRS_SCALE_TOLERANCE, fix);
}

int pl_crs_check_extent(pl_ctx *ctx, OGRSpatialReferenceH src, int src_assumed, const double env[4],
                        const char *label, pl_error *err)
{
    if (pl_crs_check_area(src, src_assumed, env, label, err) != PL_OK)
        return PL_EINPUT;
    return pl_crs_check_scale(ctx, src, env, label, err);
}

int pl_crs_check_work_point(pl_ctx *ctx, double x, double y, const char *what, pl_error *err)
{
    OGRSpatialReferenceH work = pl_srs_from_user(ctx->work_crs);
    if (!work)
        return PL_OK;
    pl_crs_area *a = pl_crs_area_new(work);
    OSRDestroySpatialReference(work);
    int rc = PL_OK;
    if (pl_crs_area_test(a, x, y) != 1) {
        int lonlat = fabs(x) <= 180 && fabs(y) <= 90;
        rc = pl_error_set(err, PL_EINPUT, "%s: coordinates (%.10g, %.10g) lie outside %s's area of use (%s)%s; give "
                          "X; Y in the working CRS %s", what, x, y, ctx->work_crs, a->name,
                          lonlat ? "; they look like longitude/latitude" : "", ctx->work_crs);
    }
    pl_crs_area_free(a);
    return rc;
}
