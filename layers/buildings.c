/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Buildings, green areas and trees with their optional attributes (see buildings.h). */
#include "buildings.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

const char *const pl_cand_building_id[] = {"building_id", "id", "osm_id", "objectid", "fid", "gid", "uid", NULL};
const char *const pl_cand_residential[] = {"residential", "bostad", "bostadshus", "is_residential", NULL};
const char *const pl_cand_building_pop[] = {"pop", "population", "befolkning", "beftotalt", "folkmangd",
                                            "invanare", "boende", "residents", NULL};
const char *const pl_cand_dwellings[] = {"dwellings", "lagenheter", "bostader", "antal_lgh", "units", NULL};
const char *const pl_cand_public[] = {"public", "allman", "access", "tilltrade", NULL};
const char *const pl_cand_green_kind[] = {"kind", "typ", "type", "leisure", "landuse", NULL};
const char *const pl_cand_crown[] = {"crown_radius_m", "crown_radius", "kronradie", "radius_m", NULL};

int pl_flag_from_text(const char *s, int def)
{
    static const char *const no[] = {"0", "no", "false", "nej", "n", "f", "private", "privat", NULL};
    static const char *const yes[] = {"1", "yes", "true", "ja", "j", "y", "t", "public", "allm\xc3\xa4n", "allman",
                                      "permissive", "designated", NULL};
    if (!s)
        return def;
    while (*s == ' ')
        s++;
    char buf[64];
    snprintf(buf, sizeof buf, "%s", s);
    for (size_t k = strlen(buf); k > 0 && buf[k - 1] == ' '; k--)
        buf[k - 1] = '\0';
    for (int i = 0; no[i]; i++)
        if (!strcasecmp(buf, no[i]))
            return 0;
    for (int i = 0; yes[i]; i++)
        if (!strcasecmp(buf, yes[i]))
            return 1;
    return def;
}

/* A flag field's value: numbers 0 / non-zero, text by pl_flag_from_text. */
static int read_flag(OGRFeatureH f, int field, int def)
{
    if (field < 0 || !OGR_F_IsFieldSetAndNotNull(f, field))
        return def;
    OGRFieldType t = OGR_Fld_GetType(OGR_F_GetFieldDefnRef(f, field));
    if (t == OFTInteger || t == OFTInteger64 || t == OFTReal)
        return OGR_F_GetFieldAsDouble(f, field) != 0;
    return pl_flag_from_text(OGR_F_GetFieldAsString(f, field), def);
}

/* Optional field: given wins (error when absent), else the first candidate present, else -1
 * (and *failed stays 0). numeric: the field must hold numbers. */
static int pick(const pl_vector *v, const char *given, const char *const *cand, const char *flag, int numeric,
                int *failed, pl_error *err)
{
    int i = pl_vector_field_find(v, given, cand, NULL, flag, 0, err);
    if (i < 0 && given && *given) {
        *failed = 1;
        return -1;
    }
    if (i >= 0 && numeric && pl_field_require_numeric(v, i, flag, err) != PL_OK) {
        *failed = 1;
        return -1;
    }
    return i;
}

static char *field_name(const pl_vector *v, int i)
{
    if (i < 0)
        return NULL;
    return pl_strdup(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(OGR_L_GetLayerDefn(v->layer), i)));
}

/* ---------- buildings ---------- */

pl_buildings *pl_buildings_load(pl_ctx *ctx, const char *spec, const pl_load_opts *lo, const pl_buildings_opts *bo,
                                pl_error *err)
{
    static const char *ACCEPT = "polygons (building footprints)";
    pl_buildings_opts none = {0};
    if (!bo)
        bo = &none;
    pl_vector *v = pl_layer_open(ctx, spec, lo, "buildings", PL_FAM_POLYGON, ACCEPT, err);
    if (!v)
        return NULL;
    int failed = 0;
    int id_f = pick(v, bo->id_field, pl_cand_building_id, "id-field", 0, &failed, err);
    int res_f = failed ? -1 : pick(v, bo->residential_field, pl_cand_residential, "residential-field", 0, &failed, err);
    int pop_f = failed ? -1 : pick(v, bo->pop_field, pl_cand_building_pop, "pop-field", 1, &failed, err);
    int dw_f = failed ? -1 : pick(v, bo->dwellings_field, pl_cand_dwellings, "dwellings-field", 1, &failed, err);
    if (failed) {
        pl_vector_close(v);
        return NULL;
    }
    pl_buildings *b = pl_calloc(1, sizeof *b);
    b->source = pl_strdup(v->label);
    b->has_residential = res_f >= 0;
    b->has_pop = pop_f >= 0;
    b->has_dwellings = dw_f >= 0;
    b->residential_field = field_name(v, res_f);
    b->pop_field = field_name(v, pop_f);
    b->dwellings_field = field_name(v, dw_f);
    size_t cap = 0;
    pl_feature_reader rd;
    pl_reader_start(&rd, ctx, v, PL_FAM_POLYGON, "reading buildings");
    OGRFeatureH f;
    GEOSGeometry *g;
    int more;
    while ((more = pl_reader_next(&rd, &f, &g, NULL, err)) > 0) {
        double pop, dw;
        if (pl_field_value(ctx, v, f, pop_f, id_f, "pop-field", "building-population-null", "unknown", 1, &pop,
                           err) != PL_OK ||
            pl_field_value(ctx, v, f, dw_f, id_f, "dwellings-field", "building-dwellings-null", "unknown", 1, &dw,
                           err) != PL_OK) {
            GEOSGeom_destroy_r(ctx->geos, g);
            OGR_F_Destroy(f);
            goto fail;
        }
        if (pl_grow_cap(&cap, b->n + 1)) {
            b->geom = pl_realloc(b->geom, cap * sizeof *b->geom);
            b->id = pl_realloc(b->id, cap * sizeof *b->id);
            b->residential = pl_realloc(b->residential, cap * sizeof *b->residential);
            b->pop = pl_realloc(b->pop, cap * sizeof *b->pop);
            b->dwellings = pl_realloc(b->dwellings, cap * sizeof *b->dwellings);
        }
        b->geom[b->n] = g;
        b->id[b->n] = pl_feature_id(ctx, v, f, id_f);
        b->residential[b->n] = (int8_t)read_flag(f, res_f, 0);
        b->pop[b->n] = pop;
        b->dwellings[b->n] = dw;
        b->n++;
        OGR_F_Destroy(f);
    }
    if (more < 0)
        goto fail;
    if (b->n == 0) {
        pl_layer_nothing_loaded(v, &rd.st, ACCEPT, err);
        goto fail;
    }
    pl_vector_close(v);
    return b;
fail:
    pl_vector_close(v);
    pl_buildings_free(ctx, b);
    return NULL;
}

void pl_buildings_free(pl_ctx *ctx, pl_buildings *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++) {
        GEOSGeom_destroy_r(ctx->geos, b->geom[i]);
        free(b->id[i]);
    }
    free(b->geom);
    free(b->id);
    free(b->residential);
    free(b->pop);
    free(b->dwellings);
    free(b->residential_field);
    free(b->pop_field);
    free(b->dwellings_field);
    free(b->source);
    free(b);
}

/* ---------- green areas ---------- */

pl_green_areas *pl_green_areas_load(pl_ctx *ctx, const char *spec, const pl_load_opts *lo, const char *public_field,
                                    const char *kind_field, pl_error *err)
{
    static const char *ACCEPT = "polygons (green areas: parks, nature areas)";
    pl_vector *v = pl_layer_open(ctx, spec, lo, "green areas", PL_FAM_POLYGON, ACCEPT, err);
    if (!v)
        return NULL;
    int failed = 0;
    int id_f = pick(v, lo ? lo->id_field : NULL, pl_cand_id, "id-field", 0, &failed, err);
    int pub_f = failed ? -1 : pick(v, public_field, pl_cand_public, "public-field", 0, &failed, err);
    int kind_f = failed ? -1 : pick(v, kind_field, pl_cand_green_kind, "kind-field", 0, &failed, err);
    int name_f = failed ? -1 : pick(v, lo ? lo->name_field : NULL, pl_cand_name, "name-field", 0, &failed, err);
    if (failed) {
        pl_vector_close(v);
        return NULL;
    }
    pl_green_areas *g = pl_calloc(1, sizeof *g);
    g->source = pl_strdup(v->label);
    g->has_public = pub_f >= 0;
    g->public_field = field_name(v, pub_f);
    size_t cap = 0;
    pl_feature_reader rd;
    pl_reader_start(&rd, ctx, v, PL_FAM_POLYGON, "reading green areas");
    OGRFeatureH f;
    GEOSGeometry *geom;
    int more;
    while ((more = pl_reader_next(&rd, &f, &geom, NULL, err)) > 0) {
        if (pl_grow_cap(&cap, g->n + 1)) {
            g->geom = pl_realloc(g->geom, cap * sizeof *g->geom);
            g->id = pl_realloc(g->id, cap * sizeof *g->id);
            g->name = pl_realloc(g->name, cap * sizeof *g->name);
            g->kind = pl_realloc(g->kind, cap * sizeof *g->kind);
            g->is_public = pl_realloc(g->is_public, cap * sizeof *g->is_public);
        }
        g->geom[g->n] = geom;
        g->id[g->n] = pl_feature_id(ctx, v, f, id_f);
        char *name = pl_field_text(ctx, v, f, name_f);
        g->name[g->n] = name ? name : pl_strdup("");
        g->kind[g->n] = pl_field_text(ctx, v, f, kind_f);
        g->is_public[g->n] = (int8_t)read_flag(f, pub_f, 1);
        g->n++;
        OGR_F_Destroy(f);
    }
    if (more < 0)
        goto fail;
    if (g->n == 0) {
        pl_layer_nothing_loaded(v, &rd.st, ACCEPT, err);
        goto fail;
    }
    pl_vector_close(v);
    return g;
fail:
    pl_vector_close(v);
    pl_green_areas_free(ctx, g);
    return NULL;
}

void pl_green_areas_free(pl_ctx *ctx, pl_green_areas *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n; i++) {
        GEOSGeom_destroy_r(ctx->geos, g->geom[i]);
        free(g->id[i]);
        free(g->name[i]);
        free(g->kind[i]);
    }
    free(g->geom);
    free(g->id);
    free(g->name);
    free(g->kind);
    free(g->is_public);
    free(g->public_field);
    free(g->source);
    free(g);
}

/* ---------- trees ---------- */

pl_trees *pl_trees_load(pl_ctx *ctx, const char *spec, const pl_load_opts *lo, const char *crown_field,
                        pl_error *err)
{
    static const char *ACCEPT = "points (trees; polygons are reduced to a point inside)";
    pl_vector *v = pl_layer_open(ctx, spec, lo, "trees", PL_FAM_POINT | PL_FAM_POLYGON, ACCEPT, err);
    if (!v)
        return NULL;
    int failed = 0;
    int id_f = pick(v, lo ? lo->id_field : NULL, pl_cand_id, "id-field", 0, &failed, err);
    int crown_f = failed ? -1 : pick(v, crown_field, pl_cand_crown, "crown-field", 1, &failed, err);
    if (failed) {
        pl_vector_close(v);
        return NULL;
    }
    pl_trees *t = pl_calloc(1, sizeof *t);
    t->source = pl_strdup(v->label);
    t->has_crown = crown_f >= 0;
    t->crown_field = field_name(v, crown_f);
    size_t cap = 0;
    pl_feature_reader rd;
    pl_reader_start(&rd, ctx, v, PL_FAM_POINT | PL_FAM_POLYGON, "reading trees");
    OGRFeatureH f;
    GEOSGeometry *g;
    int fam = 0, more;
    while ((more = pl_reader_next(&rd, &f, &g, &fam, err)) > 0) {
        double x = 0, y = 0;
        int ok = pl_feature_xy(ctx, g, fam, &x, &y) == 0;
        GEOSGeom_destroy_r(ctx->geos, g);
        if (!ok) {
            OGR_F_Destroy(f);
            continue;
        }
        double crown;
        if (pl_field_value(ctx, v, f, crown_f, id_f, "crown-field", "tree-crown-null", "unknown", 1, &crown, err) !=
            PL_OK) {
            OGR_F_Destroy(f);
            goto fail;
        }
        if (pl_grow_cap(&cap, t->n + 1)) {
            t->x = pl_realloc(t->x, cap * sizeof *t->x);
            t->y = pl_realloc(t->y, cap * sizeof *t->y);
            t->id = pl_realloc(t->id, cap * sizeof *t->id);
            t->crown_m = pl_realloc(t->crown_m, cap * sizeof *t->crown_m);
        }
        t->x[t->n] = x;
        t->y[t->n] = y;
        t->id[t->n] = pl_feature_id(ctx, v, f, id_f);
        t->crown_m[t->n] = crown;
        t->n++;
        OGR_F_Destroy(f);
    }
    if (more < 0)
        goto fail;
    if (t->n == 0) {
        pl_layer_nothing_loaded(v, &rd.st, ACCEPT, err);
        goto fail;
    }
    pl_vector_close(v);
    return t;
fail:
    pl_vector_close(v);
    pl_trees_free(t);
    return NULL;
}

void pl_trees_free(pl_trees *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        free(t->id[i]);
    free(t->x);
    free(t->y);
    free(t->id);
    free(t->crown_m);
    free(t->crown_field);
    free(t->source);
    free(t);
}
