/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Municipalities (kommuner; also län or any coded areas): polygons with a code and a name,
 * prepared for point-in-polygon, with an STRtree for the nearest-polygon fallback. */
#include "internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *ACCEPT = "polygons with a code field (kommuner, län)";

static void reserve(pl_municipalities *m, size_t *cap, size_t need)
{
    if (!pl_grow_cap(cap, need))
        return;
    m->code = pl_realloc(m->code, *cap * sizeof *m->code);
    m->name = pl_realloc(m->name, *cap * sizeof *m->name);
    m->geom = pl_realloc(m->geom, *cap * sizeof *m->geom);
}

pl_municipalities *pl_municipalities_load(pl_ctx *ctx, const char *spec, const pl_load_opts *o, pl_error *err)
{
    pl_vector *v = pl_layer_open(ctx, spec, o, "municipalities", PL_FAM_POLYGON, ACCEPT, err);
    if (!v)
        return NULL;
    int code_f = pl_vector_field_find(v, o ? o->code_field : NULL, pl_cand_muni_code, "municipality code",
                                      "code-field", 1, err);
    if (code_f < 0) {
        pl_vector_close(v);
        return NULL;
    }
    int name_f = pl_vector_field_find(v, o ? o->name_field : NULL, pl_cand_muni_name, "name", "name-field", 0, err);
    if (name_f < 0 && o && o->name_field) {
        pl_vector_close(v);
        return NULL;
    }
    if (name_f == code_f)
        name_f = -1;

    pl_municipalities *m = pl_calloc(1, sizeof *m);
    m->source = pl_strdup(v->label);
    size_t cap = 0;
    int padded = 0;
    pl_feature_reader rd;
    pl_reader_start(&rd, ctx, v, PL_FAM_POLYGON, "reading municipalities");
    OGRFeatureH f;
    GEOSGeometry *g;
    int more;
    while ((more = pl_reader_next(&rd, &f, &g, NULL, err)) > 0) {
        char *code = pl_field_code(ctx, v, f, code_f, 0, &padded);
        if (!code) {
            pl_error_set(err, PL_EINPUT, "%s: %s has no %s; give every area a code or use --code-field",
                         v->label, pl_feature_label(v, f, -1),
                         OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(OGR_L_GetLayerDefn(v->layer), code_f)));
            GEOSGeom_destroy_r(ctx->geos, g);
            OGR_F_Destroy(f);
            goto fail;
        }
        long dup = pl_municipalities_find(m, code);
        if (dup >= 0)
            pl_warn(ctx, "municipality-duplicate-code", "%s: %s repeats code %s; both polygons are kept",
                    v->label, pl_feature_label(v, f, -1), code);
        char *name = pl_field_text(ctx, v, f, name_f);
        reserve(m, &cap, m->n + 1);
        m->code[m->n] = code;
        m->name[m->n] = name ? name : pl_strdup(code);
        m->geom[m->n] = g;
        m->n++;
        OGR_F_Destroy(f);
    }
    if (more < 0)
        goto fail;
    if (m->n == 0) {
        pl_layer_nothing_loaded(v, &rd.st, ACCEPT, err);
        goto fail;
    }
    m->prepared = pl_calloc(m->n, sizeof *m->prepared);
    m->tree_items = pl_malloc(m->n * sizeof *m->tree_items);
    m->index = GEOSSTRtree_create_r(ctx->geos, 10);
    for (size_t k = 0; k < m->n; k++) {
        m->prepared[k] = GEOSPrepare_r(ctx->geos, m->geom[k]);
        m->tree_items[k] = (long)k;
        GEOSSTRtree_insert_r(ctx->geos, m->index, m->geom[k], &m->tree_items[k]);
        double a = 0;
        if (GEOSArea_r(ctx->geos, m->geom[k], &a) == 1)
            m->total_area += a / 1e6;
    }
    pl_vector_close(v);
    return m;
fail:
    pl_vector_close(v);
    pl_municipalities_free(ctx, m);
    return NULL;
}

void pl_municipalities_free(pl_ctx *ctx, pl_municipalities *m)
{
    if (!m)
        return;
    if (m->index)
        GEOSSTRtree_destroy_r(ctx->geos, m->index);
    for (size_t i = 0; i < m->n; i++) {
        if (m->prepared && m->prepared[i])
            GEOSPreparedGeom_destroy_r(ctx->geos, m->prepared[i]);
        GEOSGeom_destroy_r(ctx->geos, m->geom[i]);
        free(m->code[i]);
        free(m->name[i]);
    }
    free(m->prepared);
    free(m->geom);
    free(m->code);
    free(m->name);
    free(m->tree_items);
    free(m->source);
    free(m);
}

long pl_municipalities_find(const pl_municipalities *m, const char *code)
{
    if (!m || !code)
        return -1;
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->code[i], code) == 0)
            return (long)i;
    return -1;
}

typedef struct locate_query {
    pl_ctx *ctx;
    const pl_municipalities *m;
    const GEOSGeometry *point;
    long best;          /* lowest index containing the point */
} locate_query;

static void hit_cb(void *item, void *userdata)
{
    locate_query *q = userdata;
    long i = *(const long *)item;
    if (q->best >= 0 && i > q->best)
        return;
    if (GEOSPreparedIntersects_r(q->ctx->geos, q->m->prepared[i], q->point) == 1)
        q->best = i;
}

static int distance_cb(const void *item1, const void *item2, double *distance, void *userdata)
{
    locate_query *q = userdata;
    long a = *(const long *)item1, b = *(const long *)item2;
    const GEOSGeometry *ga = a < 0 ? q->point : q->m->geom[a];
    const GEOSGeometry *gb = b < 0 ? q->point : q->m->geom[b];
    return GEOSDistance_r(q->ctx->geos, ga, gb, distance);
}

long pl_municipalities_locate(pl_ctx *ctx, const pl_municipalities *m, double x, double y, int *outside)
{
    if (outside)
        *outside = 0;
    if (!m || m->n == 0 || !isfinite(x) || !isfinite(y))
        return -1;
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(ctx->geos, x, y);
    locate_query q = {ctx, m, pt, -1};
    GEOSSTRtree_query_r(ctx->geos, m->index, pt, hit_cb, &q);
    long found = q.best;
    if (found < 0) {
        static const long query_item = -1;
        const void *near = GEOSSTRtree_nearest_generic_r(ctx->geos, m->index, &query_item, pt, distance_cb, &q);
        if (near)
            found = *(const long *)near;
        if (outside)
            *outside = 1;
    }
    GEOSGeom_destroy_r(ctx->geos, pt);
    return found;
}

long pl_municipalities_assign(pl_ctx *ctx, const pl_municipalities *m, size_t n, const double *x,
                              const double *y, const char *what, long *out_index)
{
    long n_out = 0;
    for (size_t i = 0; i < n; i++) {
        int outside = 0;
        long k = pl_municipalities_locate(ctx, m, x[i], y[i], &outside);
        if (out_index)
            out_index[i] = k;
        if (outside && k >= 0) {
            n_out++;
            pl_warn(ctx, "outside-municipality", "%s: %s %zu at (%.0f, %.0f) lies outside every polygon; "
                    "the nearest, %s %s, is used", m->source, what ? what : "point", i, x[i], y[i], m->code[k],
                    m->name[k]);
        }
    }
    return n_out;
}
