/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Services: points (polygons are reduced to a point on their surface), typed through the
 * service type registry from a type field, or all of one fixed type. */
#include "internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static int duplicate_ids(const pl_vector *v, const pl_services *s, const int64_t *fids, int id_f, pl_error *err);

static const char *ACCEPT = "points (or polygons) of services";

typedef struct unknown_value {
    char *value;
    long count;
} unknown_value;

static void reserve(pl_services *s, size_t *cap, size_t need)
{
    if (!pl_grow_cap(cap, need))
        return;
    s->x = pl_realloc(s->x, *cap * sizeof *s->x);
    s->y = pl_realloc(s->y, *cap * sizeof *s->y);
    s->type = pl_realloc(s->type, *cap * sizeof *s->type);
    s->id = pl_realloc(s->id, *cap * sizeof *s->id);
    s->name = pl_realloc(s->name, *cap * sizeof *s->name);
    s->raw_type = pl_realloc(s->raw_type, *cap * sizeof *s->raw_type);
}

static void type_keys(const pl_service_types *t, char *buf, size_t size, int base_only)
{
    buf[0] = '\0';
    for (int i = 0; i < t->n; i++) {
        if (base_only && t->t[i].n_includes)
            continue;
        size_t used = strlen(buf);
        snprintf(buf + used, size - used, "%s%s", used ? ", " : "", t->t[i].key);
    }
}

static int unknown_cmp(const void *a, const void *b)
{
    const unknown_value *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->value, y->value);
}

/* Long: one pass over the features (type mapping, ids, names, geometry) followed by the counted
 * warnings and checks that need the whole layer (unknown types, duplicate ids). */
pl_services *pl_services_load(pl_ctx *ctx, const char *spec, const pl_service_types *types, const pl_load_opts *o,
                              pl_error *err)
{
    if (!types)
        return pl_error_set(err, PL_EINTERNAL, "services: no service type registry"), NULL;
    pl_vector *v = pl_layer_open(ctx, spec, o, "services", PL_FAM_POINT | PL_FAM_POLYGON, ACCEPT, err);
    if (!v)
        return NULL;
    int fixed = -1, type_f = -1;
    char keys[2048];
    if (o && o->fixed_type && *o->fixed_type) {
        fixed = pl_service_types_find(types, o->fixed_type);
        if (fixed < 0)
            fixed = pl_service_types_match_value(types, o->fixed_type);
        if (fixed < 0 || pl_service_types_is_group(types, fixed)) {
            type_keys(types, keys, sizeof keys, 1);
            pl_error_set(err, PL_EINPUT, "%s: --fixed-type '%s' is %s; use one of: %s", v->label, o->fixed_type,
                         fixed < 0 ? "not a service type" : "a group of types", keys);
            pl_vector_close(v);
            return NULL;
        }
    } else {
        type_f = pl_vector_field_find(v, o ? o->type_field : NULL, pl_cand_type, "service type", "type-field", 1,
                                      err);
        if (type_f < 0) {
            if (!(o && o->type_field)) {
                size_t used = strlen(err ? err->msg : "");
                if (err)
                    snprintf(err->msg + used, sizeof err->msg - used, ", or --fixed-type TYPE for a file of one type");
            }
            pl_vector_close(v);
            return NULL;
        }
    }
    int id_f = pl_vector_field_find(v, o ? o->id_field : NULL, pl_cand_id, "id", "id-field", 0, err);
    int name_f = pl_vector_field_find(v, o ? o->name_field : NULL, pl_cand_name, "name", "name-field", 0, err);
    if ((id_f < 0 && o && o->id_field) || (name_f < 0 && o && o->name_field)) {
        pl_vector_close(v);
        return NULL;
    }
    const char *type_fname =
        type_f >= 0 ? OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(OGR_L_GetLayerDefn(v->layer), type_f)) : "";

    pl_services *s = pl_calloc(1, sizeof *s);
    s->source = pl_strdup(v->label);
    size_t cap = 0;
    pl_read_stats st = {0};
    unknown_value *unknown = NULL;
    size_t n_unknown = 0;
    long skipped_unknown = 0, skipped_missing = 0;
    int64_t *fids = NULL;  /* feature id of each service, for the duplicate-id message */
    size_t fid_cap = 0;
    long total = (long)OGR_L_GetFeatureCount(v->layer, FALSE), i = 0;
    OGR_L_ResetReading(v->layer);
    OGRFeatureH f;
    while ((f = pl_layer_next(v)) != NULL) {
        if (pl_layer_progress(ctx, v, i++, total, "reading services", err) != PL_OK) {
            OGR_F_Destroy(f);
            goto fail;
        }
        int type = fixed;
        char *raw = NULL;
        if (fixed < 0) {
            raw = pl_field_text(ctx, v, f, type_f);
            if (!raw || !*raw) {
                skipped_missing++;
                pl_warn(ctx, "service-type-missing", "%s: %s has no service type in field '%s'; skipped", v->label,
                        pl_feature_label(v, f, id_f), type_fname);
                free(raw);
                OGR_F_Destroy(f);
                continue;
            }
            type = pl_service_types_match_value(types, raw);
            if (type < 0)
                type = pl_service_types_match_tag(types, type_fname, raw);
            if (type < 0) {
                skipped_unknown++;
                size_t k = 0;
                while (k < n_unknown && strcmp(unknown[k].value, raw) != 0)
                    k++;
                if (k == n_unknown) {
                    unknown = pl_realloc(unknown, (n_unknown + 1) * sizeof *unknown);
                    unknown[n_unknown].value = pl_strdup(raw);
                    unknown[n_unknown++].count = 0;
                }
                unknown[k].count++;
                free(raw);
                OGR_F_Destroy(f);
                continue;
            }
        } else {
            raw = pl_strdup(types->t[fixed].key);
        }
        int fam = 0;
        GEOSGeometry *g = pl_layer_read_geometry(ctx, v, f, PL_FAM_POINT | PL_FAM_POLYGON, &fam, &st);
        if (!g) {
            free(raw);
            OGR_F_Destroy(f);
            continue;
        }
        double x = 0, y = 0;
        int ok = 1;
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
            pl_warn(ctx, "geometry-null", "%s: %s has no usable point; skipped", v->label,
                    pl_feature_label(v, f, id_f));
            free(raw);
            OGR_F_Destroy(f);
            continue;
        }
        reserve(s, &cap, s->n + 1);
        size_t k = s->n++;
        s->x[k] = x;
        s->y[k] = y;
        s->type[k] = type;
        s->id[k] = pl_feature_id(ctx, v, f, id_f);
        if (pl_grow_cap(&fid_cap, s->n))
            fids = pl_realloc(fids, fid_cap * sizeof *fids);
        fids[k] = (int64_t)OGR_F_GetFID(f);
        char *name = pl_field_text(ctx, v, f, name_f);
        s->name[k] = name ? name : pl_strdup("");
        s->raw_type[k] = raw;
        OGR_F_Destroy(f);
    }
    if (pl_layer_read_failed(v, i, err) != PL_OK)
        goto fail;
    if (skipped_unknown) {
        /* One message naming every unknown value with its count, counted per feature. */
        qsort(unknown, n_unknown, sizeof *unknown, unknown_cmp);
        char list[700] = "";
        for (size_t k = 0; k < n_unknown; k++) {
            size_t used = strlen(list);
            if (used > sizeof list - 80) {
                snprintf(list + used, sizeof list - used, ", ...");
                break;
            }
            snprintf(list + used, sizeof list - used, "%s'%s' %ld", k ? ", " : "", unknown[k].value,
                     unknown[k].count);
        }
        for (long k = 0; k < skipped_unknown; k++)
            pl_warn(ctx, "service-type-unknown", "%s: %ld features have a value in field '%s' that is no service "
                    "type and were skipped: %s; map such values to a type in a --service-types file", v->label,
                    skipped_unknown, type_fname, list);
    }
    if (s->n == 0) {
        if (skipped_unknown || skipped_missing) {
            type_keys(types, keys, sizeof keys, 1);
            pl_error_set(err, PL_EINPUT, "%s: no feature has a known service type in field '%s' (%ld unknown, %ld "
                         "empty; e.g. '%s'); types are: %s; map the values with --service-types FILE or use "
                         "--fixed-type", v->label, type_fname, skipped_unknown, skipped_missing,
                         n_unknown ? unknown[0].value : "", keys);
        } else {
            pl_layer_nothing_loaded(v, &st, ACCEPT, err);
        }
        goto fail;
    }
    if (id_f >= 0 && duplicate_ids(v, s, fids, id_f, err) != PL_OK)
        goto fail;
    free(fids);
    for (size_t k = 0; k < n_unknown; k++)
        free(unknown[k].value);
    free(unknown);
    pl_vector_close(v);
    return s;
fail:
    free(fids);
    for (size_t k = 0; k < n_unknown; k++)
        free(unknown[k].value);
    free(unknown);
    pl_vector_close(v);
    pl_services_free(s);
    return NULL;
}

static const char *const *sort_ids;

static int by_id(const void *a, const void *b)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    int c = strcmp(sort_ids[i], sort_ids[j]);
    return c ? c : (i > j) - (i < j);
}

/* Several rows, one id: fine when they are one place offering several types (import-osm
 * writes a fuel station with a shop as two rows of one node: closing it closes both), i.e.
 * the same point and no type twice. */
static int one_place(const pl_services *s, const size_t *idx, size_t n)
{
    for (size_t a = 0; a < n; a++)
        for (size_t b = a + 1; b < n; b++)
            if (s->x[idx[a]] != s->x[idx[b]] || s->y[idx[a]] != s->y[idx[b]] ||
                s->type[idx[a]] == s->type[idx[b]])
                return 0;
    return 1;
}

/* Refuses two services with one id (other than one_place): an id names one service (a
 * scenario's close = ID, the outputs' service_id). Refused rather than renumbered:
 * new ids would silently change what the user's ids mean, and which of the four stores
 * "42" is would be a guess.
 * Returns PL_OK or PL_EINPUT naming the first repeated id and its features. */
static int duplicate_ids(const pl_vector *v, const pl_services *s, const int64_t *fids, int id_f, pl_error *err)
{
    size_t n = s->n;
    size_t *order = pl_malloc((n ? n : 1) * sizeof *order);
    for (size_t k = 0; k < n; k++)
        order[k] = k;
    sort_ids = (const char *const *)s->id;
    qsort(order, n, sizeof *order, by_id);
    /* the repeated id met first in the file */
    size_t best = n, best_run = 0, n_dup_ids = 0;
    for (size_t a = 0; a < n;) {
        size_t b = a + 1;
        while (b < n && strcmp(s->id[order[a]], s->id[order[b]]) == 0)
            b++;
        if (b - a > 1 && !one_place(s, order + a, b - a)) {
            n_dup_ids++;
            if (best == n || order[a] < order[best]) {
                best = a;
                best_run = b - a;
            }
        }
        a = b;
    }
    int rc = PL_OK;
    if (best < n) {
        char list[400] = "";
        for (size_t k = 0; k < best_run; k++) {
            size_t used = strlen(list);
            if (used > sizeof list - 40) {
                snprintf(list + used, sizeof list - used, ", ...");
                break;
            }
            snprintf(list + used, sizeof list - used, "%s%" PRId64, k ? ", " : "", fids[order[best + k]]);
        }
        const char *fname = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(OGR_L_GetLayerDefn(v->layer), id_f));
        char more[96] = "";
        if (n_dup_ids > 1)
            snprintf(more, sizeof more, " (and %zu more ids are repeated)", n_dup_ids - 1);
        rc = pl_error_set(err, PL_EINPUT, "%s: service id '%s' in field '%s' is used by %zu features at different "
                          "places or of one type (features %s)%s; ids must be unique, a scenario's close = ID "
                          "closes one service: fix the ids, or rename field '%s' so platsa numbers the features itself",
                          v->label, s->id[order[best]], fname, best_run, list, more, fname);
    }
    free(order);
    return rc;
}

void pl_services_append(pl_services *a, const pl_services *b)
{
    if (!a || !b || b->n == 0)
        return;
    size_t cap = a->n;
    reserve(a, &cap, a->n + b->n);
    for (size_t i = 0; i < b->n; i++) {
        size_t k = a->n++;
        a->x[k] = b->x[i];
        a->y[k] = b->y[i];
        a->type[k] = b->type[i];
        a->id[k] = pl_strdup(b->id[i]);
        a->name[k] = pl_strdup(b->name[i]);
        a->raw_type[k] = pl_strdup(b->raw_type[i]);
    }
    if (b->source) {
        size_t la = a->source ? strlen(a->source) : 0;
        a->source = pl_realloc(a->source, la + strlen(b->source) + 3);
        if (la)
            memcpy(a->source + la, ", ", 3);
        strcpy(a->source + (la ? la + 2 : 0), b->source);
    }
}

void pl_services_free(pl_services *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->id[i]);
        free(s->name[i]);
        free(s->raw_type[i]);
    }
    free(s->x);
    free(s->y);
    free(s->type);
    free(s->id);
    free(s->name);
    free(s->raw_type);
    free(s->source);
    free(s);
}
