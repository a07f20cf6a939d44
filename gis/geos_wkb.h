/* SPDX-License-Identifier: GPL-3.0-or-later */
/* WKB of GEOS polygons written straight from their coordinate arrays: the bytes GEOS's
 * WKBWriter gives (little-endian, output dimension 2), without its C++ stream, which took
 * about a quarter of the national writing's row building (605,490 cells). */
#ifndef PLATSA_GIS_GEOS_WKB_H
#define PLATSA_GIS_GEOS_WKB_H

#include <geos_c.h>
#include "gpkg_blob.h"

/* Writes the 2D little-endian WKB of a non-empty Polygon or MultiPolygon to out (replacing
 * its contents). Returns 0; 1 for any other geometry (other types, empty ones or ones with
 * an empty part: use GEOS's writer); -1 on a GEOS error or when out of memory. */
int pl_geos_polygonal_wkb(GEOSContextHandle_t h, const GEOSGeometry *g, pl_blob *out);

#endif
