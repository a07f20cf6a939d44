/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A small WKB reader for the shapes the loaders read in bulk (points, lines, polygons and
 * their multi forms), so a feature needs neither an OGRGeometry nor a GEOS object just to
 * reach its coordinates. Anything else (curves, collections, empty parts, malformed or
 * truncated bytes) is left to OGR, whose handling (and warnings) the loaders keep. */
#ifndef PLATSA_LAYERS_WKB_H
#define PLATSA_LAYERS_WKB_H

#include <stddef.h>
#include <stdint.h>

enum { PL_WKB_POINT = 1, PL_WKB_LINE = 2, PL_WKB_POLYGON = 3, PL_WKB_MULTILINE = 5, PL_WKB_MULTIPOLYGON = 6 };

/* A parsed geometry: all points in x/y/z (z is 0 without Z), split into parts (the lines,
 * or the rings), and for polygon types the rings split into polygons. Reused across calls. */
typedef struct pl_wkb {
    int type;  /* PL_WKB_*, the flat type */
    int has_z;
    size_t n_pts, n_parts, n_polys;
    double *x, *y, *z;
    size_t *part_start; /* n_parts + 1 offsets into the points */
    size_t *poly_start; /* n_polys + 1 offsets into the parts (polygon types) */
    size_t cap_pts, cap_parts, cap_polys;
} pl_wkb;

/* Parses buf. Returns 0 when it is one of the PL_WKB_* types with no empty part and no
 * NaN point; -1 for everything else (left to OGR). */
int pl_wkb_parse(pl_wkb *w, const uint8_t *buf, size_t len);

/* The geometry as 2D ISO WKB, little endian, as OGR_G_ExportToIsoWkb writes a flattened
 * geometry. Returns its size; *buf grows as needed. */
size_t pl_wkb_write_2d(const pl_wkb *w, uint8_t **buf, size_t *cap);

void pl_wkb_free(pl_wkb *w);

#endif
