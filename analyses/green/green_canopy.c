/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Rule 30: neighbourhoods (polygons or grid squares), their land (minus water) and canopy
 * (polygons, raster or tree crowns), and the neighbourhood of every building. */
#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>
#include <gdalwarper.h>
#include <math.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gis/vector.h"
#include "green_internal.h"

/* ---------- raster canopy ---------- */

struct pl_canopy_raster {
    GDALDatasetH src, ds;        /* ds: src, or a warped VRT in the working CRS */
    GDALRasterBandH band;
    double gt[6];
    int nx, ny;
    int has_nodata;
    double nodata;
    char *label;
};

int pl_is_raster(const char *path)
{
    pl_error e = {0};
    /* Not a file GDAL may open (a FIFO would block it): the vector loader says why. */
    if (!path || pl_input_path_check(path, "canopy", &e) != PL_OK)
        return 0;
    CPLPushErrorHandler(CPLQuietErrorHandler);
    GDALDatasetH v = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    int vector = v && GDALDatasetGetLayerCount(v) > 0;
    if (v)
        GDALClose(v);
    int raster = 0;
    if (!vector) {
        GDALDatasetH r = GDALOpenEx(path, GDAL_OF_RASTER | GDAL_OF_READONLY, NULL, NULL, NULL);
        raster = r && GDALGetRasterCount(r) > 0;
        if (r)
            GDALClose(r);
    }
    CPLPopErrorHandler();
    return raster;
}

pl_canopy_raster *pl_canopy_raster_open(pl_ctx *ctx, const char *path, pl_error *err)
{
    CPLPushErrorHandler(CPLQuietErrorHandler);
    GDALDatasetH src = GDALOpenEx(path, GDAL_OF_RASTER | GDAL_OF_READONLY, NULL, NULL, NULL);
    CPLPopErrorHandler();
    if (!src || GDALGetRasterCount(src) < 1) {
        if (src)
            GDALClose(src);
        pl_error_set(err, PL_EINPUT, "%s: cannot open as a raster with a band; give a GeoTIFF or another GDAL raster",
                     path);
        return NULL;
    }
    const char *wkt = GDALGetProjectionRef(src);
    if (!wkt || !*wkt) {
        GDALClose(src);
        pl_error_set(err, PL_EINPUT, "%s: the raster has no CRS; assign one (gdal_edit.py -a_srs EPSG:3006)", path);
        return NULL;
    }
    OGRSpatialReferenceH s = OSRNewSpatialReference(wkt), w = OSRNewSpatialReference(NULL);
    OSRSetAxisMappingStrategy(s, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(w, OAMS_TRADITIONAL_GIS_ORDER);
    int ok_w = OSRSetFromUserInput(w, ctx->work_crs) == OGRERR_NONE;
    int same = ok_w && (OSRIsSame(s, w) || pl_srs_equivalent(s, w));
    double gt[6];
    int north_up = GDALGetGeoTransform(src, gt) == CE_None && gt[2] == 0 && gt[4] == 0 && gt[1] > 0 && gt[5] < 0;
    GDALDatasetH ds = src;
    if (ok_w && (!same || !north_up)) {
        char *wwkt = NULL;
        OSRExportToWkt(w, &wwkt);
        CPLPushErrorHandler(CPLQuietErrorHandler);
        ds = GDALAutoCreateWarpedVRT(src, wkt, wwkt, GRA_NearestNeighbour, 0.0, NULL);
        CPLPopErrorHandler();
        CPLFree(wwkt);
    }
    OSRDestroySpatialReference(s);
    OSRDestroySpatialReference(w);
    if (!ok_w || !ds) {
        GDALClose(src);
        pl_error_set(err, PL_EINPUT, "%s: cannot bring the raster into %s; reproject it first (gdalwarp -t_srs %s)",
                     path, ctx->work_crs, ctx->work_crs);
        return NULL;
    }
    pl_canopy_raster *r = pl_calloc(1, sizeof *r);
    r->src = src;
    r->ds = ds;
    GDALGetGeoTransform(ds, r->gt);
    r->nx = GDALGetRasterXSize(ds);
    r->ny = GDALGetRasterYSize(ds);
    r->band = GDALGetRasterBand(ds, 1);
    r->nodata = GDALGetRasterNoDataValue(r->band, &r->has_nodata);
    r->label = pl_strdup(pl_basename(path));
    if (!(r->gt[1] > 0 && r->gt[5] < 0 && r->gt[2] == 0 && r->gt[4] == 0)) {
        pl_canopy_raster_close(r);
        pl_error_set(err, PL_EINPUT, "%s: rotated raster; warp it north-up first (gdalwarp)", path);
        return NULL;
    }
    if (ds != src)
        pl_info(ctx, "%s: raster read in %s through a nearest-neighbour warp", r->label, ctx->work_crs);
    return r;
}

void pl_canopy_raster_close(pl_canopy_raster *r)
{
    if (!r)
        return;
    if (r->ds && r->ds != r->src)
        GDALClose(r->ds);
    if (r->src)
        GDALClose(r->src);
    free(r->label);
    free(r);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Crossings of the rings of polygon i with the horizontal line y (half-open rule), sorted. */
static size_t row_crossings(const pl_flatpoly *p, size_t i, double y, double **xs, size_t *cap)
{
    size_t n = 0;
    for (uint32_t rg = p->ring_begin[i]; rg < p->ring_begin[i + 1]; rg++)
        for (uint32_t k = p->vert_begin[rg]; k + 1 < p->vert_begin[rg + 1]; k++) {
            double ay = p->y[k], by = p->y[k + 1];
            if ((ay > y) == (by > y))
                continue;
            if (n == *cap) {
                *cap = *cap ? 2 * *cap : 64;
                *xs = pl_realloc(*xs, *cap * sizeof **xs);
            }
            (*xs)[n++] = p->x[k] + (y - ay) * (p->x[k + 1] - p->x[k]) / (by - ay);
        }
    qsort(*xs, n, sizeof **xs, cmp_double);
    return n;
}

double pl_canopy_raster_area(const pl_canopy_raster *cr, const pl_flatpoly *land, double threshold, int *failed)
{
    const double *bb = &land->bbox[0];
    const double *gt = cr->gt;
    if (!isfinite(bb[0]))
        return 0.0;
    long c0 = (long)floor((bb[0] - gt[0]) / gt[1]), c1 = (long)ceil((bb[2] - gt[0]) / gt[1]);
    long r0 = (long)floor((bb[3] - gt[3]) / gt[5]), r1 = (long)ceil((bb[1] - gt[3]) / gt[5]);
    if (c0 < 0) c0 = 0;
    if (r0 < 0) r0 = 0;
    if (c1 > cr->nx) c1 = cr->nx;
    if (r1 > cr->ny) r1 = cr->ny;
    if (c1 <= c0 || r1 <= r0)
        return 0.0;
    int w = (int)(c1 - c0);
    double *row = pl_malloc((size_t)w * sizeof *row);
    double *xs = NULL;
    size_t cap = 0;
    long count = 0;
    for (long rr = r0; rr < r1; rr++) {
        double yc = gt[3] + ((double)rr + 0.5) * gt[5];
        size_t nx = row_crossings(land, 0, yc, &xs, &cap);
        if (nx < 2)
            continue;
        if (GDALRasterIO(cr->band, GF_Read, (int)c0, (int)rr, w, 1, row, w, 1, GDT_Float64, 0, 0) != CE_None) {
            *failed = 1;
            break;
        }
        for (size_t k = 0; k + 1 < nx; k += 2) {
            /* Cells whose centre gt0 + (c + 0.5) gt1 lies in [xs[k], xs[k+1]). */
            long from = (long)ceil((xs[k] - gt[0]) / gt[1] - 0.5);
            long to = (long)ceil((xs[k + 1] - gt[0]) / gt[1] - 0.5);
            if (from < c0) from = c0;
            if (to > c1) to = c1;
            for (long c = from; c < to; c++) {
                double v = row[c - c0];
                if (isnan(v) || (cr->has_nodata && v == cr->nodata))
                    continue;
                count += v > threshold;
            }
        }
    }
    free(row);
    free(xs);
    return (double)count * fabs(gt[1] * gt[5]);
}

/* ---------- neighbourhoods ---------- */

typedef struct idx_list {
    size_t n, cap;
    size_t *v;
} idx_list;

static void collect_cb(void *item, void *user)
{
    idx_list *l = user;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 32;
        l->v = pl_realloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = *(const size_t *)item;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* An STRtree of polygons; items point into an index array. */
typedef struct poly_tree {
    GEOSSTRtree *tree;
    size_t *items;
} poly_tree;

static void tree_build(GEOSContextHandle_t h, poly_tree *t, GEOSGeometry *const *geoms, size_t n)
{
    t->tree = GEOSSTRtree_create_r(h, 10);
    t->items = pl_malloc((n ? n : 1) * sizeof *t->items);
    for (size_t i = 0; i < n; i++) {
        t->items[i] = i;
        GEOSSTRtree_insert_r(h, t->tree, geoms[i], &t->items[i]);
    }
}

static void tree_free(GEOSContextHandle_t h, poly_tree *t)
{
    if (t->tree)
        GEOSSTRtree_destroy_r(h, t->tree);
    free(t->items);
}

/* Candidates whose envelope meets g's, ascending. */
static void tree_query(GEOSContextHandle_t h, const poly_tree *t, const GEOSGeometry *g, idx_list *out)
{
    out->n = 0;
    GEOSSTRtree_query_r(h, t->tree, g, collect_cb, out);
    qsort(out->v, out->n, sizeof *out->v, cmp_size);
}

static GEOSGeometry *union_of(GEOSContextHandle_t h, GEOSGeometry **parts, size_t n)
{
    if (n == 0)
        return NULL;
    if (n == 1)
        return parts[0];
    GEOSGeometry *coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, parts, (unsigned int)n);
    if (!coll) {
        for (size_t k = 0; k < n; k++)
            GEOSGeom_destroy_r(h, parts[k]);
        return NULL;
    }
    GEOSGeometry *u = GEOSUnaryUnion_r(h, coll);
    GEOSGeom_destroy_r(h, coll);
    return u;
}

/* Square cells of side g containing a building's representative point. */
typedef struct grid_cell {
    int64_t cx, cy;
} grid_cell;

static int cmp_cell(const void *a, const void *b)
{
    const grid_cell *p = a, *q = b;
    if (p->cx != q->cx)
        return p->cx < q->cx ? -1 : 1;
    return (p->cy > q->cy) - (p->cy < q->cy);
}

static long find_cell(const grid_cell *cells, size_t n, grid_cell key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cmp_cell(&cells[mid], &key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && cmp_cell(&cells[lo], &key) == 0 ? (long)lo : -1;
}

static void make_grid(pl_ctx *ctx, const pl_green_params *p, pl_green_result *r)
{
    GEOSContextHandle_t h = ctx->geos;
    double g = p->grid_m;
    size_t n = r->n_buildings, m = 0;
    grid_cell *cells = pl_malloc((n ? n : 1) * sizeof *cells);
    for (size_t b = 0; b < n; b++)
        if (isfinite(r->rep_x[b])) {
            cells[m].cx = (int64_t)floor(r->rep_x[b] / g);
            cells[m].cy = (int64_t)floor(r->rep_y[b] / g);
            m++;
        }
    qsort(cells, m, sizeof *cells, cmp_cell);
    size_t u = 0;
    for (size_t k = 0; k < m; k++)
        if (u == 0 || cmp_cell(&cells[u - 1], &cells[k]) != 0)
            cells[u++] = cells[k];
    r->n_nbh = u;
    r->nbh_owned = 1;
    r->nbh_geom = pl_malloc((u ? u : 1) * sizeof *r->nbh_geom);
    r->nbh_id = pl_malloc((u ? u : 1) * sizeof *r->nbh_id);
    char id[64];
    for (size_t k = 0; k < u; k++) {
        double x0 = (double)cells[k].cx * g, y0 = (double)cells[k].cy * g;
        r->nbh_geom[k] = GEOSGeom_createRectangle_r(h, x0, y0, x0 + g, y0 + g);
        /* SCB's grid ids: easting (6 digits) then northing (7 digits) of the south-west corner. */
        if (x0 >= 0 && x0 < 1e6 && y0 >= 1e6 && y0 < 1e7 && x0 == floor(x0) && y0 == floor(y0))
            snprintf(id, sizeof id, "%06.0f%07.0f", x0, y0);
        else
            snprintf(id, sizeof id, "%.0f_%.0f", x0, y0);
        r->nbh_id[k] = pl_strdup(id);
    }
    for (size_t b = 0; b < n; b++) {
        if (!isfinite(r->rep_x[b]))
            continue;
        grid_cell key = {(int64_t)floor(r->rep_x[b] / g), (int64_t)floor(r->rep_y[b] / g)};
        r->nbh[b] = find_cell(cells, u, key);
    }
    free(cells);
    pl_info(ctx, "neighbourhoods: %zu squares of %g m with buildings", u, g);
}

static void assign_polygons(pl_ctx *ctx, pl_green_result *r)
{
    pl_flatpoly fp;
    if (pl_flatpoly_build(ctx->geos, r->nbh_geom, r->n_nbh, &fp) != 0)
        return;
    pl_cells cells;
    pl_cells_boxes(&cells, fp.bbox, fp.n, 250.0);
    pl_cells_hits q;
    pl_cells_hits_init(&q, &cells, 1);
    long homes_outside = 0;
    for (size_t b = 0; b < r->n_buildings; b++) {
        double x = r->rep_x[b], y = r->rep_y[b];
        if (!isfinite(x))
            continue;
        pl_cells_query(&cells, &q, x, y, x, y);
        long best = -1;
        for (size_t j = 0; j < q.n; j++) {
            uint32_t c = q.items[j];
            if ((best < 0 || c < (uint32_t)best) && pl_flatpoly_locate(&fp, c, x, y, 0.0) != 0)
                best = c;
        }
        r->nbh[b] = best;
        homes_outside += best < 0 && r->is_home[b];
    }
    if (homes_outside)
        pl_warn(ctx, "home-outside-neighbourhoods",
                "%ld homes lie outside every neighbourhood polygon; their rule 30 is left empty", homes_outside);
    pl_cells_hits_free(&q);
    pl_cells_free(&cells);
    pl_flatpoly_free(&fp);
}

/* Long: one loop over the neighbourhoods (land = area minus water, then canopy from polygons or
 * tree crowns) sharing the water, canopy and tree indexes built before it and freed after it. */
int pl_green_neighbourhoods(pl_ctx *ctx, const pl_green_inputs *in, const pl_green_params *p, pl_green_result *r,
                            pl_error *err)
{
    GEOSContextHandle_t h = ctx->geos;
    if (in->neighbourhoods) {
        const pl_polygons *N = in->neighbourhoods;
        r->n_nbh = N->n;
        r->nbh_owned = 0;
        r->nbh_geom = pl_malloc((N->n ? N->n : 1) * sizeof *r->nbh_geom);
        r->nbh_id = pl_malloc((N->n ? N->n : 1) * sizeof *r->nbh_id);
        for (size_t k = 0; k < N->n; k++) {
            r->nbh_geom[k] = N->geom[k];
            r->nbh_id[k] = pl_strdup(N->id[k]);
        }
        assign_polygons(ctx, r);
    } else {
        make_grid(ctx, p, r);
    }
    size_t nn = r->n_nbh;
    r->nbh_area_m2 = pl_malloc((nn ? nn : 1) * sizeof(double));
    r->nbh_land_m2 = pl_malloc((nn ? nn : 1) * sizeof(double));
    r->nbh_canopy_m2 = pl_malloc((nn ? nn : 1) * sizeof(double));
    r->nbh_canopy_pct = pl_malloc((nn ? nn : 1) * sizeof(double));
    r->nbh_pass30 = pl_malloc(nn ? nn : 1);
    r->canopy_source = in->canopy ? "polygons" : in->canopy_raster ? "raster" : in->trees ? "trees" : NULL;

    poly_tree water = {0}, canopy = {0};
    if (in->water)
        tree_build(h, &water, in->water->geom, in->water->n);
    if (in->canopy)
        tree_build(h, &canopy, in->canopy->geom, in->canopy->n);
    pl_cells tcells = {0};
    double *radius = NULL, rmax = 0;
    int use_trees = r->canopy_source && !strcmp(r->canopy_source, "trees");
    if (use_trees) {
        radius = pl_malloc((in->trees->n ? in->trees->n : 1) * sizeof *radius);
        long defaulted = 0;
        for (size_t t = 0; t < in->trees->n; t++) {
            double c = in->trees->crown_m[t];
            if (!isfinite(c)) {
                c = p->default_crown_m;
                defaulted++;
            }
            radius[t] = c;
            if (c > rmax)
                rmax = c;
        }
        if (defaulted)
            pl_info(ctx, "canopy from tree crowns: %ld of %zu trees without a crown radius get %g m", defaulted,
                    in->trees->n, p->default_crown_m);
        pl_cells_points(&tcells, in->trees->x, in->trees->y, in->trees->n, 50.0);
    }
    pl_cells_hits tq;
    pl_cells_hits_init(&tq, &tcells, 0);
    idx_list cand = {0};
    double *cx = NULL, *cy = NULL, *cr = NULL;
    size_t cap_c = 0;
    GEOSGeometry **parts = NULL;
    size_t cap_parts = 0;
    long geos_failed = 0;
    int rc = PL_OK;
    for (size_t k = 0; k < nn; k++) {
        if ((k & 255) == 0 && pl_progress(ctx, (double)k / (double)nn, "rule 30: canopy per neighbourhood")) {
            rc = pl_error_set(err, PL_EINPUT, "cancelled");
            break;
        }
        const GEOSGeometry *N = r->nbh_geom[k];
        double area = 0;
        GEOSArea_r(h, N, &area);
        r->nbh_area_m2[k] = area;
        /* Land: the neighbourhood minus water. */
        GEOSGeometry *land_owned = NULL;
        const GEOSGeometry *land = N;
        if (in->water) {
            tree_query(h, &water, N, &cand);
            if (cand.n > cap_parts) {
                cap_parts = cand.n;
                parts = pl_realloc(parts, cap_parts * sizeof *parts);
            }
            size_t np = 0;
            for (size_t j = 0; j < cand.n; j++)
                parts[np++] = GEOSGeom_clone_r(h, in->water->geom[cand.v[j]]);
            GEOSGeometry *wu = union_of(h, parts, np);
            if (wu) {
                land_owned = GEOSDifference_r(h, N, wu);
                GEOSGeom_destroy_r(h, wu);
                if (land_owned)
                    land = land_owned;
                else
                    geos_failed++;
            } else if (np) {
                geos_failed++;
            }
        }
        double land_area = 0;
        GEOSArea_r(h, land, &land_area);
        r->nbh_land_m2[k] = land_area;
        double canopy_area = NAN;
        if (in->canopy) {
            tree_query(h, &canopy, land, &cand);
            if (cand.n > cap_parts) {
                cap_parts = cand.n;
                parts = pl_realloc(parts, cap_parts * sizeof *parts);
            }
            size_t np = 0;
            for (size_t j = 0; j < cand.n; j++) {
                GEOSGeometry *piece = GEOSIntersection_r(h, in->canopy->geom[cand.v[j]], land);
                if (!piece) {
                    geos_failed++;
                    continue;
                }
                double a = 0;
                if (GEOSisEmpty_r(h, piece) == 1 || GEOSArea_r(h, piece, &a) != 1 || a <= 0) {
                    GEOSGeom_destroy_r(h, piece);
                    continue;
                }
                parts[np++] = piece;
            }
            canopy_area = 0;
            GEOSGeometry *u = union_of(h, parts, np);
            if (u) {
                GEOSArea_r(h, u, &canopy_area);
                GEOSGeom_destroy_r(h, u);
            } else if (np) {
                geos_failed++;
                canopy_area = NAN;
            }
        } else if (in->canopy_raster || use_trees) {
            pl_flatpoly lf;
            GEOSGeometry *one[1] = {(GEOSGeometry *)land};
            if (pl_flatpoly_build(h, one, 1, &lf) == 0) {
                if (in->canopy_raster) {
                    int failed = 0;
                    canopy_area = pl_canopy_raster_area(in->canopy_raster, &lf, p->canopy_threshold, &failed);
                    if (failed) {
                        pl_flatpoly_free(&lf);
                        rc = pl_error_set(err, PL_EINPUT, "%s: read error in the canopy raster",
                                          in->canopy_raster->label);
                        if (land_owned)
                            GEOSGeom_destroy_r(h, land_owned);
                        break;
                    }
                } else {
                    const double *bb = lf.bbox;
                    size_t nc = 0;
                    if (isfinite(bb[0])) {
                        pl_cells_query(&tcells, &tq, bb[0] - rmax, bb[1] - rmax, bb[2] + rmax, bb[3] + rmax);
                        if (tq.n > cap_c) {
                            cap_c = tq.n;
                            cx = pl_realloc(cx, cap_c * sizeof *cx);
                            cy = pl_realloc(cy, cap_c * sizeof *cy);
                            cr = pl_realloc(cr, cap_c * sizeof *cr);
                        }
                        for (size_t j = 0; j < tq.n; j++) {
                            uint32_t t = tq.items[j];
                            cx[nc] = in->trees->x[t];
                            cy[nc] = in->trees->y[t];
                            cr[nc] = radius[t];
                            nc++;
                        }
                    }
                    canopy_area = pl_disks_area_in_polygon(&lf, 0, cx, cy, cr, nc, p->canopy_step_m);
                }
                pl_flatpoly_free(&lf);
            }
        }
        if (land_owned)
            GEOSGeom_destroy_r(h, land_owned);
        r->nbh_canopy_m2[k] = canopy_area;
        double pct = land_area > 0 && isfinite(canopy_area) ? round(10000.0 * canopy_area / land_area) / 100.0 : NAN;
        r->nbh_canopy_pct[k] = pct;
        r->nbh_pass30[k] = isfinite(pct) ? pct >= p->min_canopy_pct : -1;
    }
    pl_progress(ctx, 1.0, "rule 30: canopy per neighbourhood");
    if (geos_failed)
        pl_warn(ctx, "canopy-geometry-failed",
                "%ld polygon operations on canopy or water failed (GEOS); those neighbourhoods may be incomplete",
                geos_failed);
    free(cand.v);
    free(parts);
    free(cx);
    free(cy);
    free(cr);
    free(radius);
    pl_cells_hits_free(&tq);
    pl_cells_free(&tcells);
    if (in->water)
        tree_free(h, &water);
    if (in->canopy)
        tree_free(h, &canopy);
    return rc;
}
