/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Generic polygons (green areas, canopy, buildings, neighbourhoods) and points (trees),
 * with an optional numeric value field. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static const char *const generic_id[] = {"id", "osm_id", "objectid", "fid", "gid", "uid", NULL};

/* Opens the layer and picks the id and value fields. */
static pl_vector *open_generic(pl_ctx *ctx, const char *spec, const char *role, const pl_load_opts *o, int accept,
                               const char *accept_text, int *id_f, int *value_f, pl_error *err)
{
    pl_vector *v = pl_layer_open(ctx, spec, o, role, accept, accept_text, err);
    if (!v)
        return NULL;
    *id_f = pl_vector_field_find(v, o ? o->id_field : NULL, generic_id, "id", "id-field", 0, err);
    *value_f = -1;
    if (*id_f < 0 && o && o->id_field) {
        pl_vector_close(v);
        return NULL;
    }
    if (o && o->value_field) {
        *value_f = pl_vector_field_find(v, o->value_field, NULL, "value", "value-field", 1, err);
        if (*value_f < 0 || pl_field_require_numeric(v, *value_f, "value-field", err) != PL_OK) {
            pl_vector_close(v);
            return NULL;
        }
    }
    return v;
}

/* NAN for null (warning value-null); error for text that is not a number. */
static int read_value(pl_ctx *ctx, const pl_vector *v, OGRFeatureH f, int field, int id_f, double *out, pl_error *err)
{
    return pl_field_value(ctx, v, f, field, id_f, "value-field", "value-null", "empty", 0, out, err);
}

pl_polygons *pl_polygons_load(pl_ctx *ctx, const char *spec, const char *role, const pl_load_opts *o, pl_error *err)
{
    char accept[160];
    snprintf(accept, sizeof accept, "polygons (%s)", role ? role : "areas");
    int id_f, value_f;
    pl_vector *v = open_generic(ctx, spec, role ? role : "polygons", o, PL_FAM_POLYGON, accept, &id_f, &value_f, err);
    if (!v)
        return NULL;
    pl_polygons *p = pl_calloc(1, sizeof *p);
    p->source = pl_strdup(v->label);
    size_t cap = 0;
    pl_feature_reader rd;
    pl_reader_start(&rd, ctx, v, PL_FAM_POLYGON, "reading polygons");
    OGRFeatureH f;
    GEOSGeometry *g;
    int more;
    while ((more = pl_reader_next(&rd, &f, &g, NULL, err)) > 0) {
        double value;
        if (read_value(ctx, v, f, value_f, id_f, &value, err) != PL_OK) {
            GEOSGeom_destroy_r(ctx->geos, g);
            OGR_F_Destroy(f);
            goto fail;
        }
        if (pl_grow_cap(&cap, p->n + 1)) {
            p->geom = pl_realloc(p->geom, cap * sizeof *p->geom);
            p->id = pl_realloc(p->id, cap * sizeof *p->id);
            p->value = pl_realloc(p->value, cap * sizeof *p->value);
        }
        p->geom[p->n] = g;
        p->id[p->n] = pl_feature_id(ctx, v, f, id_f);
        p->value[p->n] = value;
        p->n++;
        OGR_F_Destroy(f);
    }
    if (more < 0)
        goto fail;
    if (p->n == 0) {
        pl_layer_nothing_loaded(v, &rd.st, accept, err);
        goto fail;
    }
    pl_vector_close(v);
    return p;
fail:
    pl_vector_close(v);
    pl_polygons_free(ctx, p);
    return NULL;
}

void pl_polygons_free(pl_ctx *ctx, pl_polygons *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        GEOSGeom_destroy_r(ctx->geos, p->geom[i]);
        free(p->id[i]);
    }
    free(p->geom);
    free(p->id);
    free(p->value);
    free(p->source);
    free(p);
}

pl_points *pl_points_load(pl_ctx *ctx, const char *spec, const char *role, const pl_load_opts *o, pl_error *err)
{
    char accept[160];
    snprintf(accept, sizeof accept, "points (%s; polygons are reduced to a point inside)", role ? role : "points");
    int id_f, value_f;
    pl_vector *v = open_generic(ctx, spec, role ? role : "points", o, PL_FAM_POINT | PL_FAM_POLYGON, accept, &id_f,
                                &value_f, err);
    if (!v)
        return NULL;
    pl_points *p = pl_calloc(1, sizeof *p);
    p->source = pl_strdup(v->label);
    size_t cap = 0;
    pl_feature_reader rd;
    pl_reader_start(&rd, ctx, v, PL_FAM_POINT | PL_FAM_POLYGON, "reading points");
    OGRFeatureH f;
    GEOSGeometry *g;
    int fam = 0, more;
    while ((more = pl_reader_next(&rd, &f, &g, &fam, err)) > 0) {
        double x = 0, y = 0, value;
        int ok;
        if (fam == PL_FAM_POLYGON) {
            GEOSGeometry *pt = GEOSPointOnSurface_r(ctx->geos, g);
            ok = pt && GEOSGeomGetX_r(ctx->geos, pt, &x) == 1 && GEOSGeomGetY_r(ctx->geos, pt, &y) == 1;
            if (pt)
                GEOSGeom_destroy_r(ctx->geos, pt);
        } else {
            ok = GEOSGeomGetX_r(ctx->geos, g, &x) == 1 && GEOSGeomGetY_r(ctx->geos, g, &y) == 1;
        }
        GEOSGeom_destroy_r(ctx->geos, g);
        if (!ok) {
            OGR_F_Destroy(f);
            continue;
        }
        if (read_value(ctx, v, f, value_f, id_f, &value, err) != PL_OK) {
            OGR_F_Destroy(f);
            goto fail;
        }
        if (pl_grow_cap(&cap, p->n + 1)) {
            p->x = pl_realloc(p->x, cap * sizeof *p->x);
            p->y = pl_realloc(p->y, cap * sizeof *p->y);
            p->id = pl_realloc(p->id, cap * sizeof *p->id);
            p->value = pl_realloc(p->value, cap * sizeof *p->value);
        }
        p->x[p->n] = x;
        p->y[p->n] = y;
        p->id[p->n] = pl_feature_id(ctx, v, f, id_f);
        p->value[p->n] = value;
        p->n++;
        OGR_F_Destroy(f);
    }
    if (more < 0)
        goto fail;
    if (p->n == 0) {
        pl_layer_nothing_loaded(v, &rd.st, accept, err);
        goto fail;
    }
    pl_vector_close(v);
    return p;
fail:
    pl_vector_close(v);
    pl_points_free(p);
    return NULL;
}

void pl_points_free(pl_points *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        free(p->id[i]);
    free(p->x);
    free(p->y);
    free(p->id);
    free(p->value);
    free(p->source);
    free(p);
}
