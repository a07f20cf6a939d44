/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Checks that coordinates fit their CRS and that the working CRS keeps distances true.
 *
 * Both look at a 5 x 5 grid of sample points over a layer's extent (never every point):
 * - the points, taken to geographic coordinates, must lie within the source CRS's area of
 *   use (with a margin): lat/lon numbers in a layer labelled EPSG:3006 land near the equator
 *   and are refused;
 * - the working CRS's scale error (PROJ's meridional and parallel scale, proj_factors) at
 *   those points must stay within PL_CRS_SCALE_TOLERANCE: EPSG:3857 doubles distances in
 *   Sweden and is refused. */
#ifndef PLATSA_GIS_CRS_CHECK_H
#define PLATSA_GIS_CRS_CHECK_H

#include <ogr_srs_api.h>
#include "ctx.h"

/* 1 %: the worst of the SWEREF 99 projections over all of Sweden's bounding box is 0.88 %
 * (EPSG:3018, 23°15' E, at 10° E 55° N; EPSG:3006 0.38 %; EPSG:3006 in Monaco 0.42 %),
 * while EPSG:2056 over Sweden is 8.5 % and EPSG:3857 at 55-69° N 74-180 %. */
#define PL_CRS_SCALE_TOLERANCE 0.01
/* Degrees added around a CRS's area of use. Wide on purpose: a CRS works beyond its area
 * (the Monaco sample in EPSG:3006 lies 11° south of Sweden, distances true to 0.42 %, which
 * the scale check judges), while the mistakes this catches land far away: lon/lat numbers
 * taken as SWEREF 99 TM metres fall near 0° N (55° off), metres taken as degrees off the
 * Earth. */
#define PL_CRS_AREA_MARGIN_DEG 15.0

/* Checks the envelope (minx, miny, maxx, maxy in src, traditional x/y order) of `label`'s
 * coordinates: pl_crs_check_area, then pl_crs_check_scale. `src_assumed`: the CRS came from
 * --assume-crs (the message says so). Returns PL_OK or PL_EINPUT with a one-line message. */
int pl_crs_check_extent(pl_ctx *ctx, OGRSpatialReferenceH src, int src_assumed, const double env[4],
                        const char *label, pl_error *err);
/* The sample points within src's area of use (all of them). */
int pl_crs_check_area(OGRSpatialReferenceH src, int src_assumed, const double env[4], const char *label,
                      pl_error *err);
/* The working CRS's scale error at the sample points, naming a CRS that fits. */
int pl_crs_check_scale(pl_ctx *ctx, OGRSpatialReferenceH src, const double env[4], const char *label,
                       pl_error *err);

/* One point at a time (a layer's features, when its extent failed pl_crs_check_area). */
typedef struct pl_crs_area pl_crs_area;
pl_crs_area *pl_crs_area_new(OGRSpatialReferenceH src);
/* 1 within the area of use (with the margin), 0 outside, -1 no place (cannot be transformed:
 * the loaders skip such features with a warning). */
int pl_crs_area_test(const pl_crs_area *a, double x, double y);
/* One counted warning (key outside-crs-area) for a stray feature (`what`: "feature 9"). */
void pl_crs_area_feature_warn(pl_ctx *ctx, const pl_crs_area *a, const char *label, const char *what, double x,
                              double y);
void pl_crs_area_free(pl_crs_area *a);

/* Checks one point given in the working CRS (a scenario's inline X; Y) against the working
 * CRS's area of use. `what` starts the message. Returns PL_OK or PL_EINPUT. */
int pl_crs_check_work_point(pl_ctx *ctx, double x, double y, const char *what, pl_error *err);

/* The largest scale error (|h - 1| or |k - 1|) of the projected CRS `crs` ("EPSG:n") at
 * n lon/lat points (degrees); -1 when PROJ cannot tell. For tests and messages. */
double pl_crs_scale_error(const char *crs, const double *lon, const double *lat, int n);

#endif
