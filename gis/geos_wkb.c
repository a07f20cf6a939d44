/* SPDX-License-Identifier: GPL-3.0-or-later */
/* WKB of GEOS polygons without GEOS's WKBWriter: see geos_wkb.h. */
#include "geos_wkb.h"

#include <stdlib.h>
#include <string.h>

static int put_u32(pl_blob *b, uint32_t v)
{
    if (pl_blob_reserve(b, b->n + 4) != 0)
        return -1;
    for (int i = 0; i < 4; i++)
        b->b[b->n++] = (unsigned char)(v >> (8 * i));  /* little-endian, whatever the host */
    return 0;
}

static int put_header(pl_blob *b, uint32_t type)
{
    if (pl_blob_reserve(b, b->n + 1) != 0)
        return -1;
    b->b[b->n++] = 1;  /* NDR */
    return put_u32(b, type);
}

/* A ring: its point count, then x y of each point as GEOS keeps them (doubles, host order:
 * little-endian everywhere platsa runs, as gpkg_blob.c assumes). 0, 1 (empty), -1. */
static int put_ring(GEOSContextHandle_t h, const GEOSGeometry *ring, pl_blob *b)
{
    const GEOSCoordSequence *seq = ring ? GEOSGeom_getCoordSeq_r(h, ring) : NULL;
    unsigned int n = 0;
    if (!seq || !GEOSCoordSeq_getSize_r(h, seq, &n))
        return -1;
    if (n == 0)
        return 1;
    if (put_u32(b, n) != 0 || pl_blob_reserve(b, b->n + (size_t)n * 16) != 0)
        return -1;
    /* Through an aligned buffer: WKB offsets are not multiples of 8. */
    double stack[2 * 64];
    double *xy = n <= 64 ? stack : malloc((size_t)n * 2 * sizeof *xy);
    int ok = xy && GEOSCoordSeq_copyToBuffer_r(h, seq, xy, 0, 0);
    if (ok)
        memcpy(b->b + b->n, xy, (size_t)n * 16);
    if (xy != stack)
        free(xy);
    if (!ok)
        return -1;
    b->n += (size_t)n * 16;
    return 0;
}

static int put_polygon(GEOSContextHandle_t h, const GEOSGeometry *p, pl_blob *b)
{
    int holes = GEOSGetNumInteriorRings_r(h, p);
    if (holes < 0)
        return -1;
    if (put_header(b, 3) != 0 || put_u32(b, (uint32_t)holes + 1) != 0)
        return -1;
    int rc = put_ring(h, GEOSGetExteriorRing_r(h, p), b);
    for (int i = 0; rc == 0 && i < holes; i++)
        rc = put_ring(h, GEOSGetInteriorRingN_r(h, p, i), b);
    return rc;
}

int pl_geos_polygonal_wkb(GEOSContextHandle_t h, const GEOSGeometry *g, pl_blob *out)
{
    int type = GEOSGeomTypeId_r(h, g);
    if ((type != GEOS_POLYGON && type != GEOS_MULTIPOLYGON) || GEOSisEmpty_r(h, g) != 0)
        return 1;
    out->n = 0;
    if (type == GEOS_POLYGON)
        return put_polygon(h, g, out);
    int parts = GEOSGetNumGeometries_r(h, g);
    if (parts < 0 || put_header(out, 6) != 0 || put_u32(out, (uint32_t)parts) != 0)
        return -1;
    for (int i = 0; i < parts; i++) {
        const GEOSGeometry *p = GEOSGetGeometryN_r(h, g, i);
        int rc = p && GEOSisEmpty_r(h, p) == 0 ? put_polygon(h, p, out) : 1;
        if (rc != 0)
            return rc;
    }
    return 0;
}
