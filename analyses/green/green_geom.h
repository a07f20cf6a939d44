/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Geometry kernels of the 3-30-300 analysis on flat coordinate arrays (internal to
 * analyses/green*.c, exposed for tests and the benchmark).
 *
 * Why not GEOS objects in the inner loops: the "3" rule tests one sight line per
 * (home, tree within the view distance) pair — 5.8 million in bench_green's synthetic
 * city of 1 M buildings and 2 M trees, tens of millions for a county with a full tree
 * inventory. A GEOS prepared-geometry test of a fresh LineString (intersects, then
 * touches to tell crossing from grazing) measured 10 us per line on this machine, and a
 * GEOS union of 300 tree-crown circles 69 ms per 250 m square; the kernels below do the
 * same work in tens of nanoseconds per line and about 0.1 ms per square (bench_green:
 * rules 3 and 30 for 1 M homes, 2 M trees and 16,000 squares in about 2 s each). GEOS stays in
 * charge of loading, validity, polygon overlay (canopy polygons, water) and distances
 * to green areas; tests check the kernels against GEOS predicates. */
#ifndef PLATSA_ANALYSES_GREEN_GEOM_H
#define PLATSA_ANALYSES_GREEN_GEOM_H

#include <stddef.h>
#include <stdint.h>
#include <geos_c.h>

/* Polygons as flat arrays: polygon i has rings ring_begin[i] .. ring_begin[i+1]-1 (shells
 * and holes of every part; the even-odd rule tells inside from outside for valid
 * polygons), ring r has vertices vert_begin[r] .. vert_begin[r+1]-1, closed (last = first). */
typedef struct pl_flatpoly {
    size_t n, n_rings, n_verts;
    uint32_t *ring_begin;    /* n + 1 */
    uint32_t *vert_begin;    /* n_rings + 1 */
    double *x, *y;
    double *bbox;            /* 4 per polygon: minx, miny, maxx, maxy */
} pl_flatpoly;

/* Flattens n (Multi)Polygons (NULL or empty entries give a polygon without rings).
 * Returns 0, or -1 when the vertex count exceeds 32 bits. */
int pl_flatpoly_build(GEOSContextHandle_t h, GEOSGeometry *const *geoms, size_t n, pl_flatpoly *out);
void pl_flatpoly_free(pl_flatpoly *p);

/* Where (x,y) lies relative to polygon i: 0 outside, 1 inside, 2 on the boundary (within eps). */
int pl_flatpoly_locate(const pl_flatpoly *p, size_t i, double x, double y, double eps);

/* Distance from (x,y) to the outline (every ring) of polygon i; the nearest outline point
 * in *qx, *qy. INFINITY for a polygon without rings. */
double pl_flatpoly_outline_dist(const pl_flatpoly *p, size_t i, double x, double y, double *qx, double *qy);

/* Distance from (x,y) to polygon i as an area: 0 inside or on it, else the outline distance. */
double pl_flatpoly_dist(const pl_flatpoly *p, size_t i, double x, double y);

/* Whether the segment (ax,ay)-(bx,by) passes through the interior of polygon i. Touching
 * the boundary (grazing a corner, running along a wall, starting or ending on the outline)
 * does not count: this is GEOS's "intersects and not touches" for a segment and a polygon.
 * Distances within eps count as touching. Method: a proper crossing of any edge blocks;
 * otherwise the segment is cut where it touches the boundary and the midpoint of each
 * piece is located. */
int pl_segment_enters(const pl_flatpoly *p, size_t i, double ax, double ay, double bx, double by, double eps);

/* Uniform cells keyed sparsely (sorted keys, one binary search per column of a query), so
 * a county-wide extent costs nothing for empty cells. Items are points (one cell each) or
 * boxes (every cell they overlap). */
typedef struct pl_cells {
    double size, inv;
    size_t n_cells;
    uint64_t *key;           /* n_cells, ascending */
    uint32_t *begin;         /* n_cells + 1 */
    uint32_t *item;
    uint32_t n_items;        /* distinct items indexed */
} pl_cells;

void pl_cells_points(pl_cells *c, const double *x, const double *y, size_t n, double cell_size);
/* Boxes: 4 doubles per item (minx, miny, maxx, maxy); items with NaN boxes are skipped. */
void pl_cells_boxes(pl_cells *c, const double *bbox, size_t n, double cell_size);
void pl_cells_free(pl_cells *c);

/* Scratch for queries: collected items and a per-item stamp for box indexes. */
typedef struct pl_cells_hits {
    uint32_t *items;
    size_t n, cap;
    uint32_t *stamp;         /* per item; allocated by pl_cells_hits_init for box indexes */
    uint32_t stamp_value;
} pl_cells_hits;

void pl_cells_hits_init(pl_cells_hits *q, const pl_cells *c, int boxes);
void pl_cells_hits_free(pl_cells_hits *q);
/* Items in the cells overlapping the box, each once, in cell order (not filtered by the
 * exact box: callers test). Returns q->n. */
size_t pl_cells_query(const pl_cells *c, pl_cells_hits *q, double minx, double miny, double maxx, double maxy);

/* Area of (union of disks) ∩ (polygon i of land), by rows `step` metres apart: each row's
 * cross-section is exact (disk chords and polygon crossings), rows are summed with the
 * midpoint rule. Disks: centres cx, cy and radii r (n). The error for a disk of radius R
 * is of the order of step^1.5 * R^0.5 and averages out over many disks. */
double pl_disks_area_in_polygon(const pl_flatpoly *land, size_t i, const double *cx, const double *cy,
                                const double *r, size_t n, double step);

#endif
