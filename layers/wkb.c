/* SPDX-License-Identifier: GPL-3.0-or-later */
/* WKB parsing for the bulk loaders (see wkb.h). */
#include "wkb.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gis/ctx.h"

typedef struct cursor {
    const uint8_t *p, *end;
    int swap; /* the bytes are in the other byte order than this machine's */
} cursor;

static int host_is_le(void)
{
    const uint16_t one = 1;
    uint8_t b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static int read_u32(cursor *c, uint32_t *out)
{
    if (c->end - c->p < 4)
        return -1;
    uint8_t b[4];
    memcpy(b, c->p, 4);
    if (c->swap) {
        uint8_t t = b[0];
        b[0] = b[3], b[3] = t, t = b[1], b[1] = b[2], b[2] = t;
    }
    memcpy(out, b, 4);
    c->p += 4;
    return 0;
}

static double get_double(const uint8_t *p, int swap)
{
    uint8_t b[8];
    memcpy(b, p, 8);
    if (swap)
        for (int i = 0; i < 4; i++) {
            uint8_t t = b[i];
            b[i] = b[7 - i], b[7 - i] = t;
        }
    double d;
    memcpy(&d, b, 8);
    return d;
}

/* Byte order and type of a (sub)geometry: flat type and dimensions (ISO 1000s or the
 * 0x80000000/0x40000000 flags). EWKB with an SRID is left to OGR. */
static int read_header(cursor *c, int *type, int *has_z, int *has_m)
{
    if (c->p >= c->end || (*c->p != 0 && *c->p != 1))
        return -1;
    c->swap = (*c->p == 1) != host_is_le();
    c->p++;
    uint32_t t;
    if (read_u32(c, &t) != 0 || (t & 0x20000000u))
        return -1;
    *has_z = (t & 0x80000000u) != 0;
    *has_m = (t & 0x40000000u) != 0;
    t &= 0x0fffffffu;
    int iso = (int)(t / 1000);
    if (iso > 3)
        return -1;
    *has_z |= iso == 1 || iso == 3;
    *has_m |= iso == 2 || iso == 3;
    *type = (int)(t % 1000);
    return 0;
}

static void reserve_pts(pl_wkb *w, size_t n)
{
    if (w->n_pts + n <= w->cap_pts)
        return;
    size_t cap = w->cap_pts ? w->cap_pts : 256;
    while (cap < w->n_pts + n)
        cap *= 2;
    w->x = pl_realloc(w->x, cap * sizeof *w->x);
    w->y = pl_realloc(w->y, cap * sizeof *w->y);
    w->z = pl_realloc(w->z, cap * sizeof *w->z);
    w->cap_pts = cap;
}

static void push_part(pl_wkb *w)
{
    if (w->n_parts + 2 > w->cap_parts) {
        w->cap_parts = w->cap_parts ? 2 * w->cap_parts : 64;
        w->part_start = pl_realloc(w->part_start, w->cap_parts * sizeof *w->part_start);
    }
    w->part_start[++w->n_parts] = w->n_pts;
}

static void push_poly(pl_wkb *w)
{
    if (w->n_polys + 2 > w->cap_polys) {
        w->cap_polys = w->cap_polys ? 2 * w->cap_polys : 16;
        w->poly_start = pl_realloc(w->poly_start, w->cap_polys * sizeof *w->poly_start);
    }
    w->poly_start[++w->n_polys] = w->n_parts;
}

/* n points of the given dimensions, appended; NaN anywhere in x/y is refused (OGR decides
 * what an empty or half-empty point means). */
static int read_points(cursor *c, pl_wkb *w, uint32_t n, int has_z, int has_m)
{
    size_t dim = 2 + (size_t)has_z + (size_t)has_m;
    if (n == 0 || (size_t)(c->end - c->p) / (8 * dim) < n)
        return -1;
    reserve_pts(w, n);
    for (uint32_t i = 0; i < n; i++, c->p += 8 * dim) {
        size_t k = w->n_pts++;
        w->x[k] = get_double(c->p, c->swap);
        w->y[k] = get_double(c->p + 8, c->swap);
        w->z[k] = has_z ? get_double(c->p + 16, c->swap) : 0.0;
        if (isnan(w->x[k]) || isnan(w->y[k]))
            return -1;
    }
    return 0;
}

/* The body of a point, line or polygon (after its header). */
static int read_simple(cursor *c, pl_wkb *w, int type, int has_z, int has_m)
{
    uint32_t n;
    if (type == PL_WKB_POINT) {
        if (read_points(c, w, 1, has_z, has_m) != 0)
            return -1;
        push_part(w);
        return 0;
    }
    if (read_u32(c, &n) != 0 || n == 0)
        return -1;
    if (type == PL_WKB_LINE) {
        if (read_points(c, w, n, has_z, has_m) != 0)
            return -1;
        push_part(w);
        return 0;
    }
    for (uint32_t r = 0; r < n; r++) {
        uint32_t np;
        if (read_u32(c, &np) != 0 || read_points(c, w, np, has_z, has_m) != 0)
            return -1;
        push_part(w);
    }
    push_poly(w);
    return 0;
}

int pl_wkb_parse(pl_wkb *w, const uint8_t *buf, size_t len)
{
    w->n_pts = w->n_parts = w->n_polys = 0;
    if (!w->part_start) {
        w->cap_parts = 64;
        w->part_start = pl_malloc(w->cap_parts * sizeof *w->part_start);
        w->cap_polys = 16;
        w->poly_start = pl_malloc(w->cap_polys * sizeof *w->poly_start);
    }
    w->part_start[0] = 0;
    w->poly_start[0] = 0;
    cursor c = {buf, buf + len, 0};
    int type, has_z, has_m;
    if (!buf || read_header(&c, &type, &has_z, &has_m) != 0)
        return -1;
    w->type = type;
    w->has_z = has_z;
    if (type == PL_WKB_POINT || type == PL_WKB_LINE || type == PL_WKB_POLYGON)
        return read_simple(&c, w, type, has_z, has_m);
    if (type != PL_WKB_MULTILINE && type != PL_WKB_MULTIPOLYGON)
        return -1;
    uint32_t n;
    if (read_u32(&c, &n) != 0 || n == 0)
        return -1;
    int sub = type == PL_WKB_MULTILINE ? PL_WKB_LINE : PL_WKB_POLYGON;
    for (uint32_t i = 0; i < n; i++) {
        int t, z, m;
        /* Parts of other dimensions than the whole are left to OGR. */
        if (read_header(&c, &t, &z, &m) != 0 || t != sub || z != has_z || m != has_m ||
            read_simple(&c, w, t, z, m) != 0)
            return -1;
    }
    return 0;
}

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_double(uint8_t *p, double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(u >> (8 * i));
}

/* Writes the points of part k with its count. */
static uint8_t *put_part(const pl_wkb *w, size_t k, uint8_t *p)
{
    size_t a = w->part_start[k], b = w->part_start[k + 1];
    put_u32(p, (uint32_t)(b - a));
    p += 4;
    for (size_t i = a; i < b; i++, p += 16) {
        put_double(p, w->x[i]);
        put_double(p + 8, w->y[i]);
    }
    return p;
}

static uint8_t *put_header(uint8_t *p, int type)
{
    *p = 1;
    put_u32(p + 1, (uint32_t)type);
    return p + 5;
}

static uint8_t *put_polygon(const pl_wkb *w, size_t poly, uint8_t *p)
{
    size_t a = w->poly_start[poly], b = w->poly_start[poly + 1];
    put_u32(p, (uint32_t)(b - a));
    p += 4;
    for (size_t k = a; k < b; k++)
        p = put_part(w, k, p);
    return p;
}

size_t pl_wkb_write_2d(const pl_wkb *w, uint8_t **buf, size_t *cap)
{
    /* headers and counts are at most 9 bytes per part and polygon, plus the outer 9 */
    size_t need = 9 + 16 * w->n_pts + 9 * (w->n_parts + w->n_polys) + 9;
    if (need > *cap) {
        *cap = need * 2;
        *buf = pl_realloc(*buf, *cap);
    }
    uint8_t *p = put_header(*buf, w->type);
    if (w->type == PL_WKB_POINT) {
        put_double(p, w->x[0]);
        put_double(p + 8, w->y[0]);
        p += 16;
    } else if (w->type == PL_WKB_LINE) {
        p = put_part(w, 0, p);
    } else if (w->type == PL_WKB_POLYGON) {
        p = put_polygon(w, 0, p);
    } else {
        size_t n = w->type == PL_WKB_MULTILINE ? w->n_parts : w->n_polys;
        put_u32(p, (uint32_t)n);
        p += 4;
        for (size_t i = 0; i < n; i++) {
            p = put_header(p, w->type == PL_WKB_MULTILINE ? PL_WKB_LINE : PL_WKB_POLYGON);
            p = w->type == PL_WKB_MULTILINE ? put_part(w, i, p) : put_polygon(w, i, p);
        }
    }
    return (size_t)(p - *buf);
}

void pl_wkb_free(pl_wkb *w)
{
    free(w->x);
    free(w->y);
    free(w->z);
    free(w->part_start);
    free(w->poly_start);
    memset(w, 0, sizeof *w);
}
