/* SPDX-License-Identifier: GPL-3.0-or-later */
/* GeoPackage geometry blobs (GeoPackage 1.2, 2.1.3 "StandardGeoPackageBinary") built
 * from ISO WKB, the way GDAL's GPKG driver writes them: little-endian header and WKB,
 * an XY envelope for every non-empty geometry except points, none for points and
 * empty geometries (which set the empty flag). Used by gpkg_writer.c to insert rows
 * with SQLite directly instead of through OGR features. */
#ifndef PLATSA_GIS_GPKG_BLOB_H
#define PLATSA_GIS_GPKG_BLOB_H

#include <stddef.h>
#include <stdint.h>

typedef struct pl_envelope {
    double minx, maxx, miny, maxy;
} pl_envelope;

/* A growable byte buffer (reused across rows to avoid a malloc per geometry). */
typedef struct pl_blob {
    unsigned char *b;
    size_t n, cap;
} pl_blob;

void pl_blob_free(pl_blob *b);
/* Makes room for n bytes in all; 0, or -1 when out of memory. */
int pl_blob_reserve(pl_blob *b, size_t n);

/* Scans WKB (either byte order, 2D/Z/M/ZM, ISO or EWKB-free) for its XY envelope.
 * Returns 1 when the geometry has at least one non-NaN coordinate, 0 when it is empty,
 * -1 when the WKB is malformed. *type gets the flat WKB type (1..7). */
int pl_wkb_envelope(const unsigned char *wkb, size_t n, pl_envelope *env, int *type);

/* Writes the blob for `wkb` (as scanned by pl_wkb_envelope) to out (replacing its
 * contents). `wrap_multi` (4..7, or 0) wraps a single Point/LineString/Polygon into a
 * one-part geometry of that multi or collection type. The WKB must be little-endian (GEOS's and GDAL's
 * NDR output). Returns 0, or -1 when the WKB is malformed or big-endian. env/empty
 * receive the envelope and whether the geometry is empty. */
int pl_gpkg_blob_from_wkb(pl_blob *out, const unsigned char *wkb, size_t n, int32_t srs_id, int wrap_multi,
                          pl_envelope *env, int *empty);

#endif
