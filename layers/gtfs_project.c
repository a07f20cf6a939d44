/* SPDX-License-Identifier: GPL-3.0-or-later */
/* GTFS stops into the working CRS (pl_timetable.stop_x/stop_y), for the analyses that link
 * them to the roads. */
#include <math.h>
#include <stdlib.h>

#include <ogr_srs_api.h>

#include "gtfs.h"

static OGRSpatialReferenceH srs_lonlat(const char *text)
{
    OGRSpatialReferenceH s = OSRNewSpatialReference(NULL);
    OSRSetAxisMappingStrategy(s, OAMS_TRADITIONAL_GIS_ORDER);
    if (OSRSetFromUserInput(s, text) != OGRERR_NONE) {
        OSRDestroySpatialReference(s);
        return NULL;
    }
    return s;
}

int pl_gtfs_project_stops(pl_ctx *ctx, pl_timetable *tt, pl_error *err)
{
    OGRSpatialReferenceH work = srs_lonlat(ctx->work_crs);
    if (!work)
        return pl_error_set(err, PL_EINPUT, "working CRS '%s' is not a known CRS; use --crs EPSG:n", ctx->work_crs);
    OGRSpatialReferenceH wgs84 = srs_lonlat("EPSG:4326");
    OGRCoordinateTransformationH ct = wgs84 ? OCTNewCoordinateTransformation(wgs84, work) : NULL;
    if (wgs84)
        OSRDestroySpatialReference(wgs84);
    OSRDestroySpatialReference(work);
    if (!ct)
        return pl_error_set(err, PL_EINPUT, "GTFS stops: cannot transform WGS84 to %s; use a projected --crs",
                            ctx->work_crs);
    size_t n = tt->n_stops;
    free(tt->stop_x);
    free(tt->stop_y);
    tt->stop_x = pl_malloc((n ? n : 1) * sizeof *tt->stop_x);
    tt->stop_y = pl_malloc((n ? n : 1) * sizeof *tt->stop_y);
    int *ok = pl_malloc((n ? n : 1) * sizeof *ok);
    for (size_t i = 0; i < n; i++) {
        tt->stop_x[i] = tt->stop_lon[i];
        tt->stop_y[i] = tt->stop_lat[i];
    }
    int rc = PL_OK;
    if (n > 0 && !OCTTransformEx(ct, (int)n, tt->stop_x, tt->stop_y, NULL, ok))
        for (size_t i = 0; i < n; i++)
            ok[i] = 0;
    for (size_t i = 0; rc == PL_OK && i < n; i++)
        if (!ok[i] || !isfinite(tt->stop_x[i]) || !isfinite(tt->stop_y[i]))
            rc = pl_error_set(err, PL_EINPUT, "GTFS stop '%s' (%.6f, %.6f) cannot be projected to %s; use a --crs that "
                              "covers the feed's area", tt->stop_id[i], tt->stop_lon[i], tt->stop_lat[i], ctx->work_crs);
    free(ok);
    OCTDestroyCoordinateTransformation(ct);
    return rc;
}
