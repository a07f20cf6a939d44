/* SPDX-License-Identifier: GPL-3.0-or-later */
/* GeoPackage geometry blobs: see gpkg_blob.h. */
#include "gpkg_blob.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 32  /* nested collections; deeper WKB is treated as malformed */

void pl_blob_free(pl_blob *b)
{
    free(b->b);
    memset(b, 0, sizeof *b);
}

int pl_blob_reserve(pl_blob *b, size_t n)
{
    if (n <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < n)
        cap *= 2;
    unsigned char *p = realloc(b->b, cap);
    if (!p)
        return -1;
    b->b = p;
    b->cap = cap;
    return 0;
}

/* ------------------------------------------------------------------ WKB scanning */

typedef struct wkb_reader {
    const unsigned char *p, *end;
    pl_envelope env;
    int any;  /* a non-NaN coordinate was seen */
} wkb_reader;

static int rd_u32(wkb_reader *r, int le, uint32_t *v)
{
    if (r->end - r->p < 4)
        return -1;
    const unsigned char *p = r->p;
    *v = le ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24
            : (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24;
    r->p += 4;
    return 0;
}

static double rd_f64(const unsigned char *p, int le)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = le ? p[i] : p[7 - i];
    double v;
    memcpy(&v, b, 8);  /* this code assumes a little-endian host, as Debian amd64/arm64 are */
    return v;
}

/* n points of `dims` doubles each. */
static int rd_points(wkb_reader *r, int le, uint32_t n, int dims)
{
    size_t bytes = (size_t)n * (size_t)dims * 8;
    if (n > (size_t)(r->end - r->p) / 8 || (size_t)(r->end - r->p) < bytes)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        double x = rd_f64(r->p, le), y = rd_f64(r->p + 8, le);
        r->p += (size_t)dims * 8;
        if (isnan(x) || isnan(y))
            continue;  /* POINT EMPTY is written as NaN NaN */
        if (!r->any) {
            r->env = (pl_envelope){x, x, y, y};
            r->any = 1;
            continue;
        }
        if (x < r->env.minx) r->env.minx = x;
        if (x > r->env.maxx) r->env.maxx = x;
        if (y < r->env.miny) r->env.miny = y;
        if (y > r->env.maxy) r->env.maxy = y;
    }
    return 0;
}

/* Splits an ISO type code (1..7, +1000 Z, +2000 M, +3000 ZM) into flat type and dims. */
static int split_type(uint32_t code, int *flat, int *dims)
{
    uint32_t base = code % 1000, zm = code / 1000;
    if (base < 1 || base > 7 || zm > 3)
        return -1;
    *flat = (int)base;
    *dims = 2 + (zm == 1 || zm == 3) + (zm == 2 || zm == 3);
    return 0;
}

static int rd_geom(wkb_reader *r, int depth, int *type)
{
    if (depth > MAX_DEPTH || r->p >= r->end)
        return -1;
    int le = *r->p++ == 1;
    uint32_t code, n;
    int flat, dims;
    if (rd_u32(r, le, &code) != 0 || split_type(code, &flat, &dims) != 0)
        return -1;
    if (type)
        *type = flat;
    if (flat == 1)
        return rd_points(r, le, 1, dims);
    if (rd_u32(r, le, &n) != 0)
        return -1;
    if (flat == 2)
        return rd_points(r, le, n, dims);
    if (flat == 3) {
        for (uint32_t i = 0; i < n; i++) {
            uint32_t np;
            if (rd_u32(r, le, &np) != 0 || rd_points(r, le, np, dims) != 0)
                return -1;
        }
        return 0;
    }
    for (uint32_t i = 0; i < n; i++)  /* multi types and collections: nested geometries */
        if (rd_geom(r, depth + 1, NULL) != 0)
            return -1;
    return 0;
}

int pl_wkb_envelope(const unsigned char *wkb, size_t n, pl_envelope *env, int *type)
{
    wkb_reader r = {wkb, wkb + n, {0, 0, 0, 0}, 0};
    int t = 0;
    if (!wkb || rd_geom(&r, 0, &t) != 0 || r.p != r.end)
        return -1;
    if (env)
        *env = r.env;
    if (type)
        *type = t;
    return r.any;
}

/* ------------------------------------------------------------------ blob */

static void put_u32le(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

int pl_gpkg_blob_from_wkb(pl_blob *out, const unsigned char *wkb, size_t n, int32_t srs_id, int wrap_multi,
                          pl_envelope *env, int *empty)
{
    pl_envelope e;
    int type = 0;
    int any = pl_wkb_envelope(wkb, n, &e, &type);
    if (any < 0 || wkb[0] != 1)
        return -1;
    int wrap = wrap_multi && type != wrap_multi && type <= 3;  /* single types only */
    /* GDAL writes no envelope for a point (it is the point) nor for empty geometries. */
    int with_env = any && (type != 1 || wrap);
    size_t head = 8 + (with_env ? 32 : 0), pre = wrap ? 9 : 0;
    if (pl_blob_reserve(out, head + pre + n) != 0)
        return -1;
    unsigned char *p = out->b;
    p[0] = 'G';
    p[1] = 'P';
    p[2] = 0;                                               /* version 1 */
    p[3] = (unsigned char)(1 | (with_env ? 2 : 0) | (any ? 0 : 0x10));  /* LE, envelope, empty */
    put_u32le(p + 4, (uint32_t)srs_id);
    if (with_env) {
        double v[4] = {e.minx, e.maxx, e.miny, e.maxy};
        memcpy(p + 8, v, sizeof v);  /* little-endian host */
    }
    p += head;
    if (wrap) {
        p[0] = 1;
        put_u32le(p + 1, (uint32_t)wrap_multi);
        put_u32le(p + 5, 1);
    }
    memcpy(p + pre, wkb, n);
    out->n = head + pre + n;
    if (env)
        *env = any ? e : (pl_envelope){0, 0, 0, 0};
    if (empty)
        *empty = !any;
    return 0;
}
