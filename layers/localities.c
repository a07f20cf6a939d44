/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Localities (tätorter): points or polygons with a population, a code and a name. */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *ACCEPT = "points or polygons of localities (tätorter) with a population field";

static void reserve(pl_localities *l, size_t *cap, size_t need)
{
    if (!pl_grow_cap(cap, need))
        return;
    l->x = pl_realloc(l->x, *cap * sizeof *l->x);
    l->y = pl_realloc(l->y, *cap * sizeof *l->y);
    l->pop = pl_realloc(l->pop, *cap * sizeof *l->pop);
    l->area_ha = pl_realloc(l->area_ha, *cap * sizeof *l->area_ha);
    l->code = pl_realloc(l->code, *cap * sizeof *l->code);
    l->name = pl_realloc(l->name, *cap * sizeof *l->name);
    l->geom = pl_realloc(l->geom, *cap * sizeof *l->geom);
}

pl_localities *pl_localities_load(pl_ctx *ctx, const char *spec, const pl_load_opts *o, pl_error *err)
{
    pl_vector *v = pl_layer_open(ctx, spec, o, "localities", PL_FAM_POINT | PL_FAM_POLYGON, ACCEPT, err);
    if (!v)
        return NULL;
    int pop_f = pl_pop_field_pick(ctx, v, o ? o->value_field : NULL,
                                   o && o->value_flag ? o->value_flag : "locality-pop-field", err);
    int code_f = pop_f < 0 ? -1
                           : pl_vector_field_find(v, o ? o->code_field : NULL, pl_cand_loc_code, "locality code",
                                                  "code-field", 0, err);
    int name_f = pop_f < 0 ? -1
                           : pl_vector_field_find(v, o ? o->name_field : NULL, pl_cand_loc_name, "name",
                                                  "name-field", 0, err);
    /* SCB's tätort points carry the tätort's area in hectares: the classification uses it
     * as an equal-area footprint when there are no polygons. */
    static const char *const area_candidates[] = {"area_ha", "area", "areal", "areal_ha", "yta_ha", NULL};
    int area_f = pop_f < 0 ? -1 : pl_vector_field_auto(v, area_candidates);
    if (pop_f < 0 || (code_f < 0 && o && o->code_field) || (name_f < 0 && o && o->name_field)) {
        pl_vector_close(v);
        return NULL;
    }
    pl_localities *l = pl_calloc(1, sizeof *l);
    l->source = pl_strdup(v->label);
    size_t cap = 0;
    pl_feature_reader rd;
    pl_reader_start(&rd, ctx, v, PL_FAM_POINT | PL_FAM_POLYGON, "reading localities");
    OGRFeatureH f;
    GEOSGeometry *g;
    int fam = 0, more;
    while ((more = pl_reader_next(&rd, &f, &g, &fam, err)) > 0) {
        double pop = 0, x = 0, y = 0;
        const char *raw;
        int r = pl_field_number(f, pop_f, &pop, &raw);
        const char *fname = OGR_Fld_GetNameRef(OGR_F_GetFieldDefnRef(f, pop_f));
        if (r == 1) {
            pl_warn(ctx, "locality-population-null", "%s: %s has no population (null in field '%s'); counted as 0",
                    v->label, pl_feature_label(v, f, code_f), fname);
            pop = 0;
        } else if (r < 0 || pop < 0) {
            pl_error_set(err, PL_EINPUT, "%s: %s: population '%s' in field '%s' is %s; fix the value or choose "
                         "another field with --pop-field", v->label, pl_feature_label(v, f, code_f), raw, fname,
                         r < 0 ? "not a number" : "negative");
            GEOSGeom_destroy_r(ctx->geos, g);
            OGR_F_Destroy(f);
            goto fail;
        }
        if (fam == PL_FAM_POINT) {
            GEOSGeomGetX_r(ctx->geos, g, &x);
            GEOSGeomGetY_r(ctx->geos, g, &y);
        } else if (pl_representative_point(ctx, g, &x, &y) != 0) {
            GEOSGeom_destroy_r(ctx->geos, g);
            OGR_F_Destroy(f);
            continue;
        }
        reserve(l, &cap, l->n + 1);
        size_t k = l->n++;
        l->x[k] = x;
        l->y[k] = y;
        l->pop[k] = pop;
        double area = NAN;
        l->area_ha[k] = area_f >= 0 && pl_vector_get_number(f, area_f, &area) == 0 && area > 0 ? area : NAN;
        l->geom[k] = g;
        l->code[k] = code_f >= 0 ? pl_field_text(ctx, v, f, code_f) : NULL;
        if (!l->code[k])
            l->code[k] = pl_feature_id(ctx, v, f, -1);
        char *name = pl_field_text(ctx, v, f, name_f);
        l->name[k] = name ? name : pl_strdup(l->code[k]);
        OGR_F_Destroy(f);
    }
    if (more < 0)
        goto fail;
    if (l->n == 0) {
        pl_layer_nothing_loaded(v, &rd.st, ACCEPT, err);
        goto fail;
    }
    pl_vector_close(v);
    return l;
fail:
    pl_vector_close(v);
    pl_localities_free(ctx, l);
    return NULL;
}

void pl_localities_free(pl_ctx *ctx, pl_localities *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->code[i]);
        free(l->name[i]);
        if (l->geom[i])
            GEOSGeom_destroy_r(ctx->geos, l->geom[i]);
    }
    free(l->x);
    free(l->y);
    free(l->pop);
    free(l->area_ha);
    free(l->code);
    free(l->name);
    free(l->geom);
    free(l->source);
    free(l);
}
