/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Geometry kernels on flat arrays for the 3-30-300 analysis (see green_geom.h). */
#include "green_geom.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gis/ctx.h"

/* ---------- flat polygons ---------- */

typedef struct fp_builder {
    pl_flatpoly *p;
    size_t cap_rings, cap_verts;
    double *buf;
    size_t cap_buf;
    int overflow;
} fp_builder;

static void add_ring(GEOSContextHandle_t h, fp_builder *b, const GEOSGeometry *ring, double *bb)
{
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(h, ring);
    unsigned int n = 0;
    if (!cs || !GEOSCoordSeq_getSize_r(h, cs, &n) || n < 4)
        return;
    pl_flatpoly *p = b->p;
    if (p->n_verts + n >= UINT32_MAX || p->n_rings + 1 >= UINT32_MAX) {
        b->overflow = 1;
        return;
    }
    if (b->cap_buf < 2 * (size_t)n) {
        b->cap_buf = 2 * (size_t)n;
        b->buf = pl_realloc(b->buf, b->cap_buf * sizeof *b->buf);
    }
    if (!GEOSCoordSeq_copyToBuffer_r(h, cs, b->buf, 0, 0))
        return;
    if (p->n_verts + n > b->cap_verts) {
        while (p->n_verts + n > b->cap_verts)
            b->cap_verts = b->cap_verts ? 2 * b->cap_verts : 1024;
        p->x = pl_realloc(p->x, b->cap_verts * sizeof *p->x);
        p->y = pl_realloc(p->y, b->cap_verts * sizeof *p->y);
    }
    if (p->n_rings + 2 > b->cap_rings) {
        b->cap_rings = b->cap_rings ? 2 * b->cap_rings : 256;
        p->vert_begin = pl_realloc(p->vert_begin, b->cap_rings * sizeof *p->vert_begin);
    }
    for (unsigned int k = 0; k < n; k++) {
        double x = b->buf[2 * k], y = b->buf[2 * k + 1];
        p->x[p->n_verts + k] = x;
        p->y[p->n_verts + k] = y;
        if (x < bb[0]) bb[0] = x;
        if (y < bb[1]) bb[1] = y;
        if (x > bb[2]) bb[2] = x;
        if (y > bb[3]) bb[3] = y;
    }
    p->vert_begin[p->n_rings] = (uint32_t)p->n_verts;
    p->n_verts += n;
    p->n_rings++;
    p->vert_begin[p->n_rings] = (uint32_t)p->n_verts;
}

int pl_flatpoly_build(GEOSContextHandle_t h, GEOSGeometry *const *geoms, size_t n, pl_flatpoly *out)
{
    memset(out, 0, sizeof *out);
    fp_builder b = {.p = out};
    out->n = n;
    out->ring_begin = pl_malloc((n + 1) * sizeof *out->ring_begin);
    out->bbox = pl_malloc((n ? n : 1) * 4 * sizeof *out->bbox);
    out->vert_begin = pl_malloc(sizeof *out->vert_begin);
    out->vert_begin[0] = 0;
    b.cap_rings = 1;
    for (size_t i = 0; i < n; i++) {
        double *bb = &out->bbox[4 * i];
        bb[0] = bb[1] = INFINITY;
        bb[2] = bb[3] = -INFINITY;
        out->ring_begin[i] = (uint32_t)out->n_rings;
        const GEOSGeometry *g = geoms[i];
        if (!g || GEOSisEmpty_r(h, g) == 1)
            continue;
        int parts = GEOSGetNumGeometries_r(h, g);
        for (int k = 0; k < parts && !b.overflow; k++) {
            const GEOSGeometry *part = GEOSGetGeometryN_r(h, g, k);
            if (GEOSGeomTypeId_r(h, part) != GEOS_POLYGON)
                continue;
            add_ring(h, &b, GEOSGetExteriorRing_r(h, part), bb);
            int holes = GEOSGetNumInteriorRings_r(h, part);
            for (int r = 0; r < holes && !b.overflow; r++)
                add_ring(h, &b, GEOSGetInteriorRingN_r(h, part, r), bb);
        }
        if (!(bb[0] <= bb[2]))
            bb[0] = bb[1] = bb[2] = bb[3] = NAN;
    }
    out->ring_begin[n] = (uint32_t)out->n_rings;
    free(b.buf);
    if (b.overflow) {
        pl_flatpoly_free(out);
        return -1;
    }
    return 0;
}

void pl_flatpoly_free(pl_flatpoly *p)
{
    free(p->ring_begin);
    free(p->vert_begin);
    free(p->x);
    free(p->y);
    free(p->bbox);
    memset(p, 0, sizeof *p);
}

static inline double seg_dist2(double px, double py, double ax, double ay, double bx, double by, double *qx,
                               double *qy)
{
    double dx = bx - ax, dy = by - ay;
    double l2 = dx * dx + dy * dy;
    double t = l2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / l2 : 0;
    if (t < 0)
        t = 0;
    else if (t > 1)
        t = 1;
    double x = ax + t * dx, y = ay + t * dy;
    *qx = x;
    *qy = y;
    return (px - x) * (px - x) + (py - y) * (py - y);
}

int pl_flatpoly_locate(const pl_flatpoly *p, size_t i, double x, double y, double eps)
{
    const double *bb = &p->bbox[4 * i];
    if (!(x >= bb[0] - eps && x <= bb[2] + eps && y >= bb[1] - eps && y <= bb[3] + eps))
        return 0;
    int inside = 0;
    double eps2 = eps * eps;
    for (uint32_t r = p->ring_begin[i]; r < p->ring_begin[i + 1]; r++) {
        for (uint32_t k = p->vert_begin[r]; k + 1 < p->vert_begin[r + 1]; k++) {
            double ax = p->x[k], ay = p->y[k], bx = p->x[k + 1], by = p->y[k + 1];
            double qx, qy;
            if (seg_dist2(x, y, ax, ay, bx, by, &qx, &qy) <= eps2)
                return 2;
            if ((ay > y) != (by > y)) {
                double xi = ax + (y - ay) * (bx - ax) / (by - ay);
                if (x < xi)
                    inside ^= 1;
            }
        }
    }
    return inside;
}

double pl_flatpoly_outline_dist(const pl_flatpoly *p, size_t i, double x, double y, double *qx, double *qy)
{
    double best = INFINITY, bx = NAN, by = NAN;
    for (uint32_t r = p->ring_begin[i]; r < p->ring_begin[i + 1]; r++) {
        for (uint32_t k = p->vert_begin[r]; k + 1 < p->vert_begin[r + 1]; k++) {
            double cx, cy;
            double d2 = seg_dist2(x, y, p->x[k], p->y[k], p->x[k + 1], p->y[k + 1], &cx, &cy);
            if (d2 < best) {
                best = d2;
                bx = cx;
                by = cy;
            }
        }
    }
    if (qx)
        *qx = bx;
    if (qy)
        *qy = by;
    return sqrt(best);
}

double pl_flatpoly_dist(const pl_flatpoly *p, size_t i, double x, double y)
{
    if (pl_flatpoly_locate(p, i, x, y, 0.0) != 0)
        return 0.0;
    return pl_flatpoly_outline_dist(p, i, x, y, NULL, NULL);
}

/* ---------- sight lines ---------- */

static inline double orient(double ax, double ay, double bx, double by, double cx, double cy)
{
    return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
}

static inline int sgn_eps(double v, double eps)
{
    return v > eps ? 1 : v < -eps ? -1 : 0;
}

#define MAX_TOUCH 256

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int pl_segment_enters(const pl_flatpoly *p, size_t i, double ax, double ay, double bx, double by, double eps)
{
    const double *bb = &p->bbox[4 * i];
    double sminx = ax < bx ? ax : bx, smaxx = ax < bx ? bx : ax;
    double sminy = ay < by ? ay : by, smaxy = ay < by ? by : ay;
    if (!(smaxx >= bb[0] - eps && sminx <= bb[2] + eps && smaxy >= bb[1] - eps && sminy <= bb[3] + eps))
        return 0;
    double dx = bx - ax, dy = by - ay;
    double L = sqrt(dx * dx + dy * dy);
    if (L <= eps)
        return pl_flatpoly_locate(p, i, ax, ay, eps) == 1;
    double ts[MAX_TOUCH];
    int nt = 0;
    ts[nt++] = 0.0;
    ts[nt++] = 1.0;
    double tol_t = eps / L;
    for (uint32_t r = p->ring_begin[i]; r < p->ring_begin[i + 1]; r++) {
        for (uint32_t k = p->vert_begin[r]; k + 1 < p->vert_begin[r + 1]; k++) {
            double cx = p->x[k], cy = p->y[k], ex = p->x[k + 1], ey = p->y[k + 1];
            /* Edge box against the segment box. */
            if ((cx < sminx - eps && ex < sminx - eps) || (cx > smaxx + eps && ex > smaxx + eps) ||
                (cy < sminy - eps && ey < sminy - eps) || (cy > smaxy + eps && ey > smaxy + eps))
                continue;
            int oc = sgn_eps(orient(ax, ay, bx, by, cx, cy) / L, eps);
            int oe = sgn_eps(orient(ax, ay, bx, by, ex, ey) / L, eps);
            if (oc * oe > 0)
                continue;
            double el = sqrt((ex - cx) * (ex - cx) + (ey - cy) * (ey - cy));
            if (el <= 0)
                continue;
            int oa = sgn_eps(orient(cx, cy, ex, ey, ax, ay) / el, eps);
            int ob = sgn_eps(orient(cx, cy, ex, ey, bx, by) / el, eps);
            if (oa * ob > 0)
                continue;
            if (oc * oe < 0 && oa * ob < 0)
                return 1; /* proper crossing: the segment has interior on one side of it */
            /* Edge vertices on the segment: the segment may change sides there. */
            if (oc == 0) {
                double t = ((cx - ax) * dx + (cy - ay) * dy) / (L * L);
                if (t > -tol_t && t < 1 + tol_t && nt < MAX_TOUCH)
                    ts[nt++] = t < 0 ? 0 : t > 1 ? 1 : t;
            }
            if (oe == 0) {
                double t = ((ex - ax) * dx + (ey - ay) * dy) / (L * L);
                if (t > -tol_t && t < 1 + tol_t && nt < MAX_TOUCH)
                    ts[nt++] = t < 0 ? 0 : t > 1 ? 1 : t;
            }
        }
    }
    /* No proper crossing: each piece between touch points is wholly inside or outside. */
    if (nt > 2)
        qsort(ts, (size_t)nt, sizeof *ts, cmp_double);
    for (int k = 0; k + 1 < nt; k++) {
        if (ts[k + 1] - ts[k] <= 1e-12)
            continue;
        double tm = 0.5 * (ts[k] + ts[k + 1]);
        if (pl_flatpoly_locate(p, i, ax + tm * dx, ay + tm * dy, eps) == 1)
            return 1;
    }
    return 0;
}

/* ---------- sparse uniform cells ---------- */

typedef struct cell_entry {
    uint64_t key;
    uint32_t item;
} cell_entry;

static inline int64_t cell_of(double v, double inv)
{
    double c = floor(v * inv);
    if (c < -2147483647.0)
        c = -2147483647.0;
    if (c > 2147483647.0)
        c = 2147483647.0;
    return (int64_t)c;
}

static inline uint64_t cell_key(int64_t cx, int64_t cy)
{
    return ((uint64_t)(uint32_t)((int32_t)cx ^ INT32_MIN) << 32) | (uint32_t)((int32_t)cy ^ INT32_MIN);
}

/* Sorts entries by key (LSD radix, stable: items stay in input order within a cell) and
 * compresses them into cells. */
static void cells_finish(pl_cells *c, cell_entry *e, size_t n)
{
    cell_entry *tmp = pl_malloc((n ? n : 1) * sizeof *tmp);
    cell_entry *src = e, *dst = tmp;
    size_t count[256];
    for (int pass = 0; pass < 8 && n > 0; pass++) {
        int shift = pass * 8;
        memset(count, 0, sizeof count);
        for (size_t k = 0; k < n; k++)
            count[(src[k].key >> shift) & 0xff]++;
        if (count[(src[0].key >> shift) & 0xff] == n)
            continue; /* every key has this byte: nothing to do */
        size_t sum = 0;
        for (int b = 0; b < 256; b++) {
            size_t cnt = count[b];
            count[b] = sum;
            sum += cnt;
        }
        for (size_t k = 0; k < n; k++)
            dst[count[(src[k].key >> shift) & 0xff]++] = src[k];
        cell_entry *sw = src;
        src = dst;
        dst = sw;
    }
    if (src != e)
        memcpy(e, src, n * sizeof *e);
    free(tmp);
    size_t cells = 0;
    for (size_t k = 0; k < n; k++)
        if (k == 0 || e[k].key != e[k - 1].key)
            cells++;
    c->n_cells = cells;
    c->key = pl_malloc((cells ? cells : 1) * sizeof *c->key);
    c->begin = pl_malloc((cells + 1) * sizeof *c->begin);
    c->item = pl_malloc((n ? n : 1) * sizeof *c->item);
    size_t j = 0;
    for (size_t k = 0; k < n; k++) {
        if (k == 0 || e[k].key != e[k - 1].key) {
            c->key[j] = e[k].key;
            c->begin[j] = (uint32_t)k;
            j++;
        }
        c->item[k] = e[k].item;
    }
    c->begin[cells] = (uint32_t)n;
}

void pl_cells_points(pl_cells *c, const double *x, const double *y, size_t n, double cell_size)
{
    memset(c, 0, sizeof *c);
    c->size = cell_size;
    c->inv = 1.0 / cell_size;
    cell_entry *e = pl_malloc((n ? n : 1) * sizeof *e);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]))
            continue;
        e[m].key = cell_key(cell_of(x[i], c->inv), cell_of(y[i], c->inv));
        e[m].item = (uint32_t)i;
        m++;
    }
    c->n_items = (uint32_t)n;
    cells_finish(c, e, m);
    free(e);
}

void pl_cells_boxes(pl_cells *c, const double *bbox, size_t n, double cell_size)
{
    memset(c, 0, sizeof *c);
    c->size = cell_size;
    c->inv = 1.0 / cell_size;
    size_t cap = n + 16, m = 0;
    cell_entry *e = pl_malloc(cap * sizeof *e);
    for (size_t i = 0; i < n; i++) {
        const double *b = &bbox[4 * i];
        if (!isfinite(b[0]) || !isfinite(b[1]) || !isfinite(b[2]) || !isfinite(b[3]))
            continue;
        int64_t x0 = cell_of(b[0], c->inv), x1 = cell_of(b[2], c->inv);
        int64_t y0 = cell_of(b[1], c->inv), y1 = cell_of(b[3], c->inv);
        for (int64_t cx = x0; cx <= x1; cx++)
            for (int64_t cy = y0; cy <= y1; cy++) {
                if (m == cap) {
                    cap *= 2;
                    e = pl_realloc(e, cap * sizeof *e);
                }
                e[m].key = cell_key(cx, cy);
                e[m].item = (uint32_t)i;
                m++;
            }
    }
    c->n_items = (uint32_t)n;
    cells_finish(c, e, m);
    free(e);
}

void pl_cells_free(pl_cells *c)
{
    free(c->key);
    free(c->begin);
    free(c->item);
    memset(c, 0, sizeof *c);
}

void pl_cells_hits_init(pl_cells_hits *q, const pl_cells *c, int boxes)
{
    memset(q, 0, sizeof *q);
    if (boxes)
        q->stamp = pl_calloc(c->n_items ? c->n_items : 1, sizeof *q->stamp);
}

void pl_cells_hits_free(pl_cells_hits *q)
{
    free(q->items);
    free(q->stamp);
    memset(q, 0, sizeof *q);
}

size_t pl_cells_query(const pl_cells *c, pl_cells_hits *q, double minx, double miny, double maxx, double maxy)
{
    q->n = 0;
    if (c->n_cells == 0 || !(minx <= maxx) || !(miny <= maxy))
        return 0;
    if (q->stamp && ++q->stamp_value == 0) {
        memset(q->stamp, 0, (c->n_items ? c->n_items : 1) * sizeof *q->stamp);
        q->stamp_value = 1;
    }
    int64_t x0 = cell_of(minx, c->inv), x1 = cell_of(maxx, c->inv);
    int64_t y0 = cell_of(miny, c->inv), y1 = cell_of(maxy, c->inv);
    for (int64_t cx = x0; cx <= x1; cx++) {
        uint64_t klo = cell_key(cx, y0), khi = cell_key(cx, y1);
        size_t lo = 0, hi = c->n_cells;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (c->key[mid] < klo)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (size_t k = lo; k < c->n_cells && c->key[k] <= khi; k++) {
            for (uint32_t j = c->begin[k]; j < c->begin[k + 1]; j++) {
                uint32_t it = c->item[j];
                if (q->stamp) {
                    if (q->stamp[it] == q->stamp_value)
                        continue;
                    q->stamp[it] = q->stamp_value;
                }
                if (q->n == q->cap) {
                    q->cap = q->cap ? 2 * q->cap : 256;
                    q->items = pl_realloc(q->items, q->cap * sizeof *q->items);
                }
                q->items[q->n++] = it;
            }
        }
    }
    return q->n;
}

/* ---------- union of disks inside a polygon ---------- */

typedef struct span {
    double a, b;
} span;

static void sort_spans(span *s, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        span v = s[i];
        size_t j = i;
        while (j > 0 && s[j - 1].a > v.a) {
            s[j] = s[j - 1];
            j--;
        }
        s[j] = v;
    }
}

static void sort_doubles(double *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        double x = v[i];
        size_t j = i;
        while (j > 0 && v[j - 1] > x) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

typedef struct edge_rec {
    double x0, y0, x1, y1, ymin, ymax;
} edge_rec;

static int cmp_edge_ymin(const void *a, const void *b)
{
    double x = ((const edge_rec *)a)->ymin, y = ((const edge_rec *)b)->ymin;
    return (x > y) - (x < y);
}

typedef struct disk_rec {
    double x, y, r;
} disk_rec;

static int cmp_disk_low(const void *a, const void *b)
{
    const disk_rec *p = a, *q = b;
    double x = p->y - p->r, y = q->y - q->r;
    return (x > y) - (x < y);
}

double pl_disks_area_in_polygon(const pl_flatpoly *land, size_t i, const double *cx, const double *cy,
                                const double *r, size_t n, double step)
{
    const double *bb = &land->bbox[4 * i];
    if (!isfinite(bb[0]) || n == 0 || !(step > 0))
        return 0.0;
    size_t ne = 0;
    for (uint32_t rg = land->ring_begin[i]; rg < land->ring_begin[i + 1]; rg++)
        ne += land->vert_begin[rg + 1] - land->vert_begin[rg] - 1;
    edge_rec *E = pl_malloc((ne ? ne : 1) * sizeof *E);
    size_t m = 0;
    for (uint32_t rg = land->ring_begin[i]; rg < land->ring_begin[i + 1]; rg++)
        for (uint32_t k = land->vert_begin[rg]; k + 1 < land->vert_begin[rg + 1]; k++) {
            edge_rec e = {land->x[k], land->y[k], land->x[k + 1], land->y[k + 1], 0, 0};
            if (e.y0 == e.y1)
                continue; /* horizontal edges never cross a row */
            e.ymin = e.y0 < e.y1 ? e.y0 : e.y1;
            e.ymax = e.y0 < e.y1 ? e.y1 : e.y0;
            E[m++] = e;
        }
    ne = m;
    qsort(E, ne, sizeof *E, cmp_edge_ymin);
    disk_rec *D = pl_malloc(n * sizeof *D);
    size_t nd = 0;
    for (size_t k = 0; k < n; k++) {
        if (!(r[k] > 0) || cx[k] + r[k] < bb[0] || cx[k] - r[k] > bb[2] || cy[k] + r[k] < bb[1] ||
            cy[k] - r[k] > bb[3])
            continue;
        D[nd].x = cx[k];
        D[nd].y = cy[k];
        D[nd].r = r[k];
        nd++;
    }
    qsort(D, nd, sizeof *D, cmp_disk_low);
    double H = bb[3] - bb[1];
    size_t rows = (size_t)ceil(H / step);
    if (rows < 1)
        rows = 1;
    double h = H / (double)rows;
    size_t *ae = pl_malloc((ne ? ne : 1) * sizeof *ae), nae = 0, next_e = 0;
    size_t *ad = pl_malloc((nd ? nd : 1) * sizeof *ad), nad = 0, next_d = 0;
    double *xs = pl_malloc((ne ? ne : 1) * sizeof *xs);
    span *ds = pl_malloc((nd ? nd : 1) * sizeof *ds);
    double area = 0;
    for (size_t row = 0; row < rows && nd > 0; row++) {
        double yc = bb[1] + ((double)row + 0.5) * h;
        while (next_e < ne && E[next_e].ymin < yc)
            ae[nae++] = next_e++;
        /* Active disks are kept in order of x, so each row's chords arrive almost sorted. */
        while (next_d < nd && D[next_d].y - D[next_d].r < yc) {
            size_t j = nad++;
            while (j > 0 && D[ad[j - 1]].x > D[next_d].x) {
                ad[j] = ad[j - 1];
                j--;
            }
            ad[j] = next_d++;
        }
        /* Land crossings on this row. */
        size_t nx = 0, keep = 0;
        for (size_t k = 0; k < nae; k++) {
            const edge_rec *e = &E[ae[k]];
            if (e->ymax <= yc)
                continue;
            ae[keep++] = ae[k];
            if ((e->y0 > yc) != (e->y1 > yc))
                xs[nx++] = e->x0 + (yc - e->y0) * (e->x1 - e->x0) / (e->y1 - e->y0);
        }
        nae = keep;
        /* Disk chords. */
        size_t ns = 0;
        keep = 0;
        for (size_t k = 0; k < nad; k++) {
            const disk_rec *d = &D[ad[k]];
            if (d->y + d->r <= yc)
                continue;
            ad[keep++] = ad[k];
            double dy = yc - d->y, w2 = d->r * d->r - dy * dy;
            if (w2 > 0) {
                double w = sqrt(w2);
                ds[ns].a = d->x - w;
                ds[ns].b = d->x + w;
                ns++;
            }
        }
        nad = keep;
        if (nx < 2 || ns == 0)
            continue;
        sort_doubles(xs, nx);
        sort_spans(ds, ns);
        /* Merge the chords, then intersect with the land spans (both sorted). */
        size_t nm = 0;
        for (size_t k = 0; k < ns; k++) {
            if (nm > 0 && ds[k].a <= ds[nm - 1].b) {
                if (ds[k].b > ds[nm - 1].b)
                    ds[nm - 1].b = ds[k].b;
            } else {
                ds[nm++] = ds[k];
            }
        }
        double len = 0;
        size_t a = 0, b = 0;
        while (a + 1 < nx && b < nm) {
            double lo = xs[a] > ds[b].a ? xs[a] : ds[b].a;
            double hi = xs[a + 1] < ds[b].b ? xs[a + 1] : ds[b].b;
            if (hi > lo)
                len += hi - lo;
            if (xs[a + 1] < ds[b].b)
                a += 2;
            else
                b++;
        }
        area += len * h;
    }
    free(E);
    free(D);
    free(ae);
    free(ad);
    free(xs);
    free(ds);
    return area;
}
