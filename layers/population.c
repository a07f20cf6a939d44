/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Population: polygons (grid squares, DeSO, statistical areas) or points, each with a
 * residents count; or an SCB grid table (rut_id / x_sw,y_sw columns, no geometry) that
 * becomes squares. */
#include "internal.h"
#include "batch_reader.h"
#include "gis/crs_check.h"

#include <cpl_error.h>
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

static const char *ACCEPT = "polygons (grid squares, DeSO, statistical areas) or points with a population field";

static const char *const pop_id_cand[] = {"rut_id", "rutid", "rutid_scb", "ruta", "deso", "desokod", "deso_kod",
                                          "regso", "regsokod", "nyckelkod", "basomrade", "id", "kod", "code",
                                          "objectid", NULL};

typedef struct pop_builder {
    pl_population *p;
    size_t cap;
    int with_age;
    long n_polygons;
} pop_builder;

static void push(pop_builder *b, char *id, double x, double y, double pop, double age, char *code, GEOSGeometry *g)
{
    pl_population *p = b->p;
    if (pl_grow_cap(&b->cap, p->n + 1)) {
        p->id = pl_realloc(p->id, b->cap * sizeof *p->id);
        p->x = pl_realloc(p->x, b->cap * sizeof *p->x);
        p->y = pl_realloc(p->y, b->cap * sizeof *p->y);
        p->pop = pl_realloc(p->pop, b->cap * sizeof *p->pop);
        p->muni_code = pl_realloc(p->muni_code, b->cap * sizeof *p->muni_code);
        p->geom = pl_realloc(p->geom, b->cap * sizeof *p->geom);
        if (b->with_age)
            p->age_pop = pl_realloc(p->age_pop, b->cap * sizeof *p->age_pop);
    }
    size_t i = p->n++;
    p->id[i] = id;
    p->x[i] = x;
    p->y[i] = y;
    p->pop[i] = pop;
    if (b->with_age)
        p->age_pop[i] = age;
    p->muni_code[i] = code;
    p->geom[i] = g;
    p->total_pop += pop;
}

/* A count (population or an age group) of one feature: null -> 0 with a warning; not a
 * number or negative -> error naming the feature. Returns PL_OK or PL_EINPUT. */
static int read_count(pl_ctx *ctx, const pl_vector *v, const pl_row *f, int field, int id_field, const char *what,
                      const char *warn_key, const char *flag, double *out, pl_error *err)
{
    const char *raw;
    double d = 0;
    int r = pl_row_number(v, f, field, &d, &raw);
    const char *fname = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(OGR_L_GetLayerDefn(v->layer), field));
    if (r == 1) {
        pl_warn(ctx, warn_key, "%s: %s has no %s (null in field '%s'); counted as 0", v->label,
                pl_row_label(v, f, id_field), what, fname);
        *out = 0;
        return PL_OK;
    }
    if (r < 0)
        return pl_error_set(err, PL_EINPUT, "%s: %s: %s '%s' in field '%s' is not a number; fix the value or "
                            "choose another field with --%s", v->label, pl_row_label(v, f, id_field), what, raw,
                            fname, flag);
    /* "0180": a count has no leading zero, a code (kommun, DeSO) has. */
    if (OGR_Fld_GetType(OGR_FD_GetFieldDefn(OGR_L_GetLayerDefn(v->layer), field)) == OFTString) {
        char text[64];
        const char *t = pl_row_str(f, field, text, sizeof text);
        while (*t == ' ')
            t++;
        if (t[0] == '0' && isdigit((unsigned char)t[1]))
            return pl_error_set(err, PL_EINPUT, "%s: %s: %s '%s' in field '%s' has a leading zero: a code, not a "
                                "count of residents; choose the population field with --%s (%s)", v->label,
                                pl_row_label(v, f, id_field), what, t, fname, flag, pl_pop_better_fields(v, field));
    }
    if (d < 0)
        return pl_error_set(err, PL_EINPUT, "%s: %s: %s is negative (%s) in field '%s'; fix the value or choose "
                            "another field with --%s", v->label, pl_row_label(v, f, id_field), what, raw,
                            fname, flag);
    /* More people than on Earth in one unit: an id, an area or a broken value, and a total
     * that would overflow. */
    if (d > 1e10)
        return pl_error_set(err, PL_EINPUT, "%s: %s: %s %s in field '%s' is not a number of residents (more than "
                            "on Earth); fix the value or choose another field with --%s", v->label,
                            pl_row_label(v, f, id_field), what, raw, fname, flag);
    *out = d;
    return PL_OK;
}

static int code_like(const char *s)
{
    size_t n = 0;
    for (; *s; s++, n++)
        if (!isdigit((unsigned char)*s))
            return 0;
    return n >= 1 && n <= 4;
}

/* Carried kommun code of a feature. An auto-detected field whose first value is not a
 * code is dropped for the whole load (*field = -1). */
static char *carried_code(pl_ctx *ctx, const pl_vector *v, const pl_row *f, int *field, int given, int *decided,
                          int *padded)
{
    if (*field < 0)
        return NULL;
    char *c = pl_row_code(ctx, v, f, *field, 4, padded);
    if (!c || given || *decided)
        return c;
    *decided = 1;
    if (code_like(c))
        return c;
    pl_warn(ctx, "code-field-ignored", "%s: field '%s' looks like a kommun code field but holds '%s'; not used "
            "(give --code-field to use it anyway)", v->label,
            OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(OGR_L_GetLayerDefn(v->layer), *field)), c);
    free(c);
    *field = -1;
    return NULL;
}

/* ---------- overlapping units ---------- */

static int by_double(const void *a, const void *b);

/* Buckets of units by an int64 key: open addressing, each slot the head of a chain of
 * entries (next[]). Linear in the number of entries: no sort of a national grid. */
typedef struct bucket_table {
    int64_t *keys;
    int64_t *head;  /* -1: empty slot */
    int64_t *next;
    uint32_t *unit;
    size_t mask, n, cap;
} bucket_table;

static void buckets_init(bucket_table *t, size_t expected)
{
    size_t size = 64;
    while (size < 2 * expected)
        size *= 2;
    t->keys = pl_malloc(size * sizeof *t->keys);
    t->head = pl_malloc(size * sizeof *t->head);
    for (size_t i = 0; i < size; i++)
        t->head[i] = -1;
    t->mask = size - 1;
    t->n = 0;
    t->cap = expected ? expected : 1;
    t->next = pl_malloc(t->cap * sizeof *t->next);
    t->unit = pl_malloc(t->cap * sizeof *t->unit);
}

static void buckets_free(bucket_table *t)
{
    free(t->keys);
    free(t->head);
    free(t->next);
    free(t->unit);
}

static void buckets_grow(bucket_table *t)
{
    bucket_table g;
    buckets_init(&g, 2 * (t->mask + 1));
    g.cap = t->cap;
    free(g.next);
    free(g.unit);
    g.next = t->next;
    g.unit = t->unit;
    g.n = t->n;
    for (size_t s = 0; s <= t->mask; s++)
        if (t->head[s] >= 0) {
            size_t h = (size_t)((uint64_t)t->keys[s] * 0x9E3779B97F4A7C15ull >> 20) & g.mask;
            while (g.head[h] >= 0)
                h = (h + 1) & g.mask;
            g.keys[h] = t->keys[s];
            g.head[h] = t->head[s];
        }
    free(t->keys);
    free(t->head);
    *t = g;
}

static void buckets_add(bucket_table *t, int64_t key, uint32_t unit)
{
    if (t->n == t->cap) {
        t->cap *= 2;
        t->next = pl_realloc(t->next, t->cap * sizeof *t->next);
        t->unit = pl_realloc(t->unit, t->cap * sizeof *t->unit);
    }
    if (2 * (t->n + 1) > t->mask + 1)
        buckets_grow(t);
    size_t h = (size_t)((uint64_t)key * 0x9E3779B97F4A7C15ull >> 20) & t->mask;
    while (t->head[h] >= 0 && t->keys[h] != key)
        h = (h + 1) & t->mask;
    t->keys[h] = key;
    t->unit[t->n] = unit;
    t->next[t->n] = t->head[h];
    t->head[h] = (int64_t)t->n++;
}

static int64_t bucket_key(int64_t bx, int64_t by)
{
    return (int64_t)((uint64_t)(bx + ((int64_t)1 << 30)) << 32 | (uint64_t)(by + ((int64_t)1 << 30)));
}

/* The common case fast: every unit within one bucket (an aligned grid of one size) and no
 * two in the same one, told by a bitmap over the buckets' extent (a national 250 m grid:
 * 2 MB), without the table. 0 when it cannot tell. */
static int single_buckets_apart(const double *env, size_t n, double cs)
{
    int64_t bx0 = INT64_MAX, by0 = INT64_MAX, bx1 = INT64_MIN, by1 = INT64_MIN;
    for (size_t i = 0; i < n; i++) {
        const double *e = env + 4 * i;
        int64_t x0 = (int64_t)floor((e[0] + 0.01) / cs), x1 = (int64_t)floor((e[2] - 0.01) / cs);
        int64_t y0 = (int64_t)floor((e[1] + 0.01) / cs), y1 = (int64_t)floor((e[3] - 0.01) / cs);
        if (x0 != x1 || y0 != y1)
            return 0;
        bx0 = x0 < bx0 ? x0 : bx0;
        bx1 = x0 > bx1 ? x0 : bx1;
        by0 = y0 < by0 ? y0 : by0;
        by1 = y0 > by1 ? y0 : by1;
    }
    uint64_t nx = (uint64_t)(bx1 - bx0 + 1), ny = (uint64_t)(by1 - by0 + 1);
    if (nx > ((uint64_t)1 << 28) / ny)
        return 0;
    uint8_t *bits = pl_calloc((size_t)((nx * ny + 7) / 8), 1);
    int apart = 1;
    for (size_t i = 0; i < n && apart; i++) {
        const double *e = env + 4 * i;
        uint64_t k = (uint64_t)((int64_t)floor((e[0] + 0.01) / cs) - bx0) * ny +
                     (uint64_t)((int64_t)floor((e[1] + 0.01) / cs) - by0);
        apart = !(bits[k / 8] & (1u << (k % 8)));
        bits[k / 8] |= (uint8_t)(1u << (k % 8));
    }
    free(bits);
    return apart;
}

/* Population polygons that overlap (a square or an area twice, two versions of the areas,
 * grids of two sizes) count their shared residents twice: refused when the overlap is
 * above PL_UNIT_OVERLAP_TOLERANCE of the smaller unit. Cheap for a national grid: env
 * (xmin, ymin, xmax, ymax per unit) and box (an axis-parallel rectangle) come from the
 * read; the units go into buckets of about their median size (one bucket for an aligned
 * square); only units sharing a bucket are compared, rectangles by their envelopes, other
 * polygons by a GEOS intersection. */
static int units_overlap(pl_ctx *ctx, const char *label, const pl_population *p, const double *env,
                         const uint8_t *box, pl_error *err)
{
    size_t n = p->n;
    if (!p->is_polygon || !env || n < 2 || n > UINT32_MAX)
        return PL_OK;
    /* the median of up to 4097 sizes spread over the units */
    size_t ns = n < 4097 ? n : 4097;
    double *size = pl_malloc(ns * sizeof *size);
    for (size_t k = 0; k < ns; k++) {
        const double *e = env + 4 * (k * (n - 1) / (ns > 1 ? ns - 1 : 1));
        size[k] = fmax(e[2] - e[0], e[3] - e[1]);
    }
    qsort(size, ns, sizeof *size, by_double);
    double cs = fmax(size[ns / 2], 1.0);  /* metres; bucket numbers stay within 31 bits */
    free(size);
    if (single_buckets_apart(env, n, cs))
        return PL_OK;
    /* Each unit in the buckets its envelope (shrunk by 1 cm: neighbours that only touch
     * stay apart) covers; a unit over a million buckets goes in its first one only. */
    bucket_table t;
    buckets_init(&t, n);
    uint8_t *one = pl_malloc(n);
    for (size_t i = 0; i < n; i++) {
        const double *e = env + 4 * i;
        int64_t x0 = (int64_t)floor((e[0] + 0.01) / cs), x1 = (int64_t)floor((e[2] - 0.01) / cs);
        int64_t y0 = (int64_t)floor((e[1] + 0.01) / cs), y1 = (int64_t)floor((e[3] - 0.01) / cs);
        one[i] = x1 < x0 || y1 < y0 || (x1 - x0 + 1) * (y1 - y0 + 1) > 1000000;
        if (one[i])
            x1 = x0, y1 = y0;
        for (int64_t bx = x0; bx <= x1; bx++)
            for (int64_t by = y0; by <= y1; by++)
                buckets_add(&t, bucket_key(bx, by), (uint32_t)i);
    }
    long pairs = 0;
    size_t fi = 0, fj = 0;
    double f_area = 0, f_small = 1;
    for (size_t s = 0; s <= t.mask; s++) {
        if (t.head[s] < 0 || t.next[t.head[s]] < 0)
            continue;  /* empty, or one unit */
        int64_t bx = (int64_t)((uint64_t)t.keys[s] >> 32) - ((int64_t)1 << 30);
        int64_t by = (int64_t)((uint64_t)t.keys[s] & 0xffffffffu) - ((int64_t)1 << 30);
        for (int64_t a = t.head[s]; a >= 0; a = t.next[a])
            for (int64_t b = t.next[a]; b >= 0; b = t.next[b]) {
                size_t i = t.unit[a], j = t.unit[b];
                const double *ei = env + 4 * i, *ej = env + 4 * j;
                double w = fmin(ei[2], ej[2]) - fmax(ei[0], ej[0]), h = fmin(ei[3], ej[3]) - fmax(ei[1], ej[1]);
                if (!(w > 0 && h > 0))
                    continue;
                /* a pair is judged once: in the bucket of its envelopes' overlap's lower-left
                 * corner (or in the one bucket of a unit kept to one) */
                double ox = fmax(ei[0], ej[0]) + 0.01, oy = fmax(ei[1], ej[1]) + 0.01;
                if (!one[i] && !one[j] && ((int64_t)floor(ox / cs) != bx || (int64_t)floor(oy / cs) != by))
                    continue;
                double ai = (ei[2] - ei[0]) * (ei[3] - ei[1]), aj = (ej[2] - ej[0]) * (ej[3] - ej[1]);
                double shared = w * h;
                if (!(box[i] && box[j])) {
                    GEOSGeometry *x = GEOSIntersection_r(ctx->geos, p->geom[i], p->geom[j]);
                    shared = 0;
                    if (x) {
                        GEOSArea_r(ctx->geos, x, &shared);
                        GEOSGeom_destroy_r(ctx->geos, x);
                    }
                    GEOSArea_r(ctx->geos, p->geom[i], &ai);
                    GEOSArea_r(ctx->geos, p->geom[j], &aj);
                }
                if (shared > 0 && shared > PL_UNIT_OVERLAP_TOLERANCE * fmin(ai, aj) && pairs++ == 0) {
                    fi = i < j ? i : j;
                    fj = i < j ? j : i;
                    f_area = shared;
                    f_small = fmin(ai, aj);
                }
            }
    }
    buckets_free(&t);
    free(one);
    if (pairs == 0)
        return PL_OK;
    return pl_error_set(err, PL_EINPUT, "%s: units %s and %s overlap (%.0f m2, %.0f %% of the smaller one), %ld "
                        "pair%s of units overlap in all; the residents of an overlap would be counted twice: give "
                        "units that do not overlap (no square or area twice, one grid size, one version of the "
                        "areas)", label, p->id[fi], p->id[fj], f_area, 100 * f_area / f_small, pairs,
                        pairs == 1 ? "" : "s");
}

static int by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ---------- SCB grid tables ---------- */

static int grid_field(const pl_vector *v, const char *const *names)
{
    return pl_vector_field_auto(v, names);
}

static int is_grid_table(const pl_vector *v)
{
    static const char *const xs[] = {"x_sw", "xsw", "x_ll", NULL}, *const ys[] = {"y_sw", "ysw", "y_ll", NULL};
    return pl_vector_field_auto(v, pl_cand_grid_id) >= 0 || (grid_field(v, xs) >= 0 && grid_field(v, ys) >= 0);
}

static int parse_rut_id(const char *id, double *x, double *y)
{
    char digits[32];
    size_t n = 0;
    for (const char *s = id; *s; s++) {
        if (isspace((unsigned char)*s))
            continue;
        if (!isdigit((unsigned char)*s) || n >= sizeof digits - 1)
            return -1;
        digits[n++] = *s;
    }
    digits[n] = '\0';
    if (n != 13)
        return -1;
    char e[8], no[8];
    memcpy(e, digits, 6);
    e[6] = '\0';
    memcpy(no, digits + 6, 7);
    no[7] = '\0';
    *x = atof(e);
    *y = atof(no);
    return 0;
}

typedef struct grid_row {
    double x, y, pop, age;
    char *id, *code;
} grid_row;

/* The population values of a grid table (pl_pop_values_check); size 0: not known yet. */
static int grid_values_check(const pl_vector *v, int pop_f, const grid_row *rows, size_t n, double size,
                             pl_error *err)
{
    if (size <= 0)
        return PL_OK;
    double *pop = pl_malloc((n ? n : 1) * sizeof *pop), total = 0;
    for (size_t i = 0; i < n; i++) {
        pop[i] = rows[i].pop;
        total += pop[i];
    }
    int rc = pl_pop_values_check(v, pop_f, pop, n, total, (double)n * size * size, "pop-field", err);
    free(pop);
    return rc;
}

/* The squares' corners against the grid's CRS and the working CRS (crs_check.h), as
 * pl_vector_open does for a layer: the extent's sample first; when it fails, corner by
 * corner (a typo in one y_sw: that square is warned about and skipped later as no place,
 * or used where it is; no square inside: refused). */
static int grid_crs_check(pl_ctx *ctx, const pl_vector *v, OGRSpatialReferenceH src, int assumed,
                          const grid_row *rows, size_t n, double env[4], pl_error *err)
{
    pl_error area_err = {0};
    if (pl_crs_check_area(src, assumed, env, v->label, &area_err) == PL_OK)
        return pl_crs_check_scale(ctx, src, env, v->label, err);
    pl_crs_area *a = pl_crs_area_new(src);
    double in[4] = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    long n_in = 0;
    for (size_t i = 0; i < n; i++) {
        int t = fabs(rows[i].x) <= 1e8 && fabs(rows[i].y) <= 1e8 ? pl_crs_area_test(a, rows[i].x, rows[i].y) : -1;
        if (t == 1) {
            n_in++;
            in[0] = fmin(in[0], rows[i].x);
            in[1] = fmin(in[1], rows[i].y);
            in[2] = fmax(in[2], rows[i].x);
            in[3] = fmax(in[3], rows[i].y);
        }
    }
    for (size_t i = 0; n_in > 0 && i < n; i++)
        if (fabs(rows[i].x) <= 1e8 && fabs(rows[i].y) <= 1e8 && pl_crs_area_test(a, rows[i].x, rows[i].y) == 0)
        {
            char what[96];
            snprintf(what, sizeof what, "square %.60s", rows[i].id);
            pl_crs_area_feature_warn(ctx, a, v->label, what, rows[i].x, rows[i].y);
        }
    pl_crs_area_free(a);
    if (n_in == 0)
        return pl_error_set(err, PL_EINPUT, "%s", area_err.msg);
    return pl_crs_check_scale(ctx, src, in, v->label, err);
}

/* Long: one pass over the grid features checking ids, geometry, population and the grid's CRS and
 * scale, each with its one-line error naming the feature. */
static pl_population *load_grid(pl_ctx *ctx, pl_vector *v, const pl_load_opts *o, pl_error *err)
{
    static const char *const xs[] = {"x_sw", "xsw", "x_ll", NULL}, *const ys[] = {"y_sw", "ysw", "y_ll", NULL};
    int id_f = pl_vector_field_auto(v, pl_cand_grid_id);
    int x_f = grid_field(v, xs), y_f = grid_field(v, ys);
    if (x_f < 0 || y_f < 0)
        x_f = y_f = -1;
    int pop_f = pl_pop_field_pick(ctx, v, o ? o->value_field : NULL, "pop-field", err);
    if (pop_f < 0)
        return NULL;
    int age_f = -1;
    if (o && o->age_field) {
        age_f = pl_vector_field_find(v, o->age_field, NULL, "age group", "age-field", 1, err);
        if (age_f < 0 || pl_field_require_numeric(v, age_f, "age-field", err) != PL_OK)
            return NULL;
    }
    int code_given = o && o->code_field;
    int code_f = pl_vector_field_find(v, o ? o->code_field : NULL, pl_cand_carried_code, "kommun code",
                                      "code-field", 0, err);
    if (code_f < 0 && code_given)
        return NULL;

    /* The SCB id convention is defined in SWEREF 99 TM. */
    const char *src_crs = o && o->assume_crs ? o->assume_crs : "EPSG:3006";
    OGRSpatialReferenceH src = OSRNewSpatialReference(NULL);
    OSRSetAxisMappingStrategy(src, OAMS_TRADITIONAL_GIS_ORDER);
    CPLPushErrorHandler(CPLQuietErrorHandler);
    OGRErr e = OSRSetFromUserInput(src, src_crs);
    CPLPopErrorHandler();
    if (e != OGRERR_NONE) {
        OSRDestroySpatialReference(src);
        pl_error_set(err, PL_EINPUT, "--assume-crs '%s' is not a known CRS; use EPSG:n", src_crs);
        return NULL;
    }
    OGRCoordinateTransformationH tr = NULL;
    if (!OSRIsSame(src, v->work_srs) && !pl_srs_equivalent(src, v->work_srs))
        tr = OCTNewCoordinateTransformation(src, v->work_srs);

    grid_row *rows = NULL;
    size_t n = 0, cap = 0;
    int padded = 0, decided = 0;
    long total = (long)OGR_L_GetFeatureCount(v->layer, FALSE);
    pl_population *p = NULL;
    OGR_L_ResetReading(v->layer);
    OGRFeatureH f;
    while ((f = pl_layer_next(v)) != NULL) {
        if (pl_layer_progress(ctx, v, (long)n, total, "reading population grid", err) != PL_OK) {
            OGR_F_Destroy(f);
            goto done;
        }
        grid_row r = {0};
        pl_row row = {.f = f};
        char *id = pl_field_text(ctx, v, f, id_f);
        if (x_f >= 0) {
            const char *raw;
            if (pl_field_number(f, x_f, &r.x, &raw) != 0 || pl_field_number(f, y_f, &r.y, &raw) != 0) {
                pl_error_set(err, PL_EINPUT, "%s: %s: corner x_sw/y_sw is not a number ('%s'); fix the row",
                             v->label, pl_feature_label(v, f, id_f), raw);
                free(id);
                OGR_F_Destroy(f);
                goto done;
            }
        } else if (!id || parse_rut_id(id, &r.x, &r.y) != 0) {
            pl_error_set(err, PL_EINPUT, "%s: %s: grid id '%s' is not an SCB square id (13 digits: 6 of easting "
                         "and 7 of northing of the south-west corner); give x_sw and y_sw columns", v->label,
                         pl_feature_label(v, f, -1), id ? id : "");
            free(id);
            OGR_F_Destroy(f);
            goto done;
        }
        if (read_count(ctx, v, &row, pop_f, id_f, "population", "population-null", "pop-field", &r.pop, err) !=
                PL_OK ||
            (age_f >= 0 &&
             read_count(ctx, v, &row, age_f, id_f, "age-group population", "age-null", "age-field", &r.age, err) !=
                 PL_OK)) {
            free(id);
            OGR_F_Destroy(f);
            goto done;
        }
        if (!id) {
            char buf[32];
            snprintf(buf, sizeof buf, "%06.0f%07.0f", r.x, r.y);
            id = pl_strdup(buf);
        }
        r.id = id;
        r.code = carried_code(ctx, v, &row, &code_f, code_given, &decided, &padded);
        if (pl_grow_cap(&cap, n + 1))
            rows = pl_realloc(rows, cap * sizeof *rows);
        rows[n++] = r;
        OGR_F_Destroy(f);
    }
    if (pl_layer_read_failed(v, (long)n, err) != PL_OK)
        goto done;
    if (n == 0) {
        pl_error_set(err, PL_EINPUT, "%s: the table is empty (0 rows); check the file", v->label);
        goto done;
    }
    /* The corners' extent against the grid's CRS and the working CRS (crs_check.h). */
    double env[4] = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    for (size_t i = 0; i < n; i++) {
        if (!(fabs(rows[i].x) <= 1e8 && fabs(rows[i].y) <= 1e8))
            continue;  /* skipped below with a warning */
        env[0] = fmin(env[0], rows[i].x);
        env[1] = fmin(env[1], rows[i].y);
        env[2] = fmax(env[2], rows[i].x);
        env[3] = fmax(env[3], rows[i].y);
    }
    if (grid_crs_check(ctx, v, src, 1, rows, n, env, err) != PL_OK)  /* fixed with --assume-crs */
        goto done;
    double size = o && o->grid_size > 0 ? o->grid_size : 0;
    if (grid_values_check(v, pop_f, rows, n, size, err) != PL_OK)
        goto done;
    if (size <= 0) {
        static const double sizes[] = {1000, 500, 250, 100};
        for (size_t s = 0; s < 4 && size <= 0; s++) {
            int all = 1;
            for (size_t i = 0; i < n && all; i++)
                all = fmod(rows[i].x, sizes[s]) == 0 && fmod(rows[i].y, sizes[s]) == 0;
            if (all)
                size = sizes[s];
        }
        if (size <= 0) {
            pl_error_set(err, PL_EINPUT, "%s: the square corners are not on a 100 m grid; give the square size "
                         "with --grid-size", v->label);
            goto done;
        }
        pl_info(ctx, "%s: %zu SCB grid squares of %.0f m", v->label, n, size);
        if (grid_values_check(v, pop_f, rows, n, size, err) != PL_OK)
            goto done;
    }
    p = pl_calloc(1, sizeof *p);
    p->source = pl_strdup(v->label);
    p->is_polygon = 1;
    pop_builder b = {p, 0, age_f >= 0, 0};
    GEOSContextHandle_t h = ctx->geos;
    double *uenv = pl_malloc(4 * n * sizeof *uenv);  /* for units_overlap */
    uint8_t *box = pl_malloc(n);
    for (size_t i = 0; i < n; i++) {
        double xs5[5] = {rows[i].x, rows[i].x + size, rows[i].x + size, rows[i].x, rows[i].x};
        double ys5[5] = {rows[i].y, rows[i].y, rows[i].y + size, rows[i].y + size, rows[i].y};
        double cx = rows[i].x + size / 2, cy = rows[i].y + size / 2;
        int ok = 1;
        if (tr) {
            CPLPushErrorHandler(CPLQuietErrorHandler);
            ok = OCTTransform(tr, 5, xs5, ys5, NULL) && OCTTransform(tr, 1, &cx, &cy, NULL);
            CPLPopErrorHandler();
        }
        /* Like every loader: corners that are not numbers or huge (a typo in y_sw) are skipped. */
        for (int k = 0; ok && k < 5; k++)
            ok = isfinite(xs5[k]) && isfinite(ys5[k]) && fabs(xs5[k]) <= 1e8 && fabs(ys5[k]) <= 1e8;
        if (!ok) {
            pl_warn(ctx, "geometry-bad-coordinates", "%s: square %s has coordinates that are not numbers, are huge "
                    "or cannot be transformed to %s; skipped", v->label, rows[i].id, ctx->work_crs);
            free(rows[i].id);
            free(rows[i].code);
            continue;
        }
        GEOSCoordSequence *cs = GEOSCoordSeq_create_r(h, 5, 2);
        for (unsigned k = 0; k < 5; k++)
            GEOSCoordSeq_setXY_r(h, cs, k, xs5[k], ys5[k]);
        GEOSGeometry *ring = GEOSGeom_createLinearRing_r(h, cs);
        GEOSGeometry *poly = GEOSGeom_createPolygon_r(h, ring, NULL, 0);
        double *e = uenv + 4 * p->n;
        e[0] = fmin(fmin(xs5[0], xs5[1]), fmin(xs5[2], xs5[3]));
        e[1] = fmin(fmin(ys5[0], ys5[1]), fmin(ys5[2], ys5[3]));
        e[2] = fmax(fmax(xs5[0], xs5[1]), fmax(xs5[2], xs5[3]));
        e[3] = fmax(fmax(ys5[0], ys5[1]), fmax(ys5[2], ys5[3]));
        box[p->n] = tr == NULL;
        push(&b, rows[i].id, cx, cy, rows[i].pop, rows[i].age, rows[i].code, poly);
    }
    if (p->n == 0) {
        pl_error_set(err, PL_EINPUT, "%s: no square could be placed in %s; check --assume-crs", v->label,
                     ctx->work_crs);
        pl_population_free(ctx, p);
        p = NULL;
    } else if (units_overlap(ctx, v->label, p, uenv, box, err) != PL_OK) {  /* a square twice */
        pl_population_free(ctx, p);
        p = NULL;
    }
    free(uenv);
    free(box);
    free(rows);
    rows = NULL;
    n = 0;
done:
    for (size_t i = 0; i < n; i++) {
        free(rows[i].id);
        free(rows[i].code);
    }
    free(rows);
    if (tr)
        OCTDestroyCoordinateTransformation(tr);
    OSRDestroySpatialReference(src);
    return p;
}

/* ---------- spatial layers ---------- */

typedef struct pop_load {
    int pop_f, age_f, id_f, code_f, code_given;
    int padded, decided;
    const char *region;   /* --region: rows of other known municipalities are not read */
    char **known;         /* the municipalities' codes, sorted (with region) */
    size_t n_known;
    long not_read;        /* rows left unread for --region */
    pop_builder b;
    pl_read_stats st;
    pl_geom_scratch scratch;
    double *env;   /* per unit: envelope (xmin, ymin, xmax, ymax), for units_overlap */
    uint8_t *box;  /* per unit: an axis-parallel rectangle */
    size_t env_cap;
} pop_load;

static void pop_load_init(pop_load *L, const pl_vector *v)
{
    L->padded = L->decided = 0;
    L->not_read = 0;
    memset(&L->st, 0, sizeof L->st);
    memset(&L->scratch, 0, sizeof L->scratch);
    L->env = NULL;
    L->box = NULL;
    L->env_cap = 0;
    pl_population *p = pl_calloc(1, sizeof *p);
    p->source = pl_strdup(v->label);
    L->b = (pop_builder){p, 0, L->age_f >= 0, 0};
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* --region: whether a row may be left unread, before its geometry is parsed. Only once the
 * code field is settled (the first row decides an auto-detected one, carried_code), and only
 * when the carried code names a known municipality outside the region: such a unit is
 * assigned to that municipality whatever its geometry (pl_assign_municipalities), so it is
 * in no figure of the run. */
static int outside_region(pl_ctx *ctx, const pl_vector *v, pop_load *L, const pl_row *f)
{
    if (!L->region || L->code_f < 0 || !(L->decided || L->code_given))
        return 0;
    char *code = pl_row_code(ctx, v, f, L->code_f, 4, &L->padded);
    int out = code && strncmp(code, L->region, strlen(L->region)) != 0 &&
              bsearch(&code, L->known, L->n_known, sizeof *L->known, cmp_str_ptr) != NULL;
    free(code);
    L->not_read += out;
    return out;
}

/* One feature of a spatial layer. Returns PL_OK or PL_EINPUT (err set). */
static int add_row(pl_ctx *ctx, const pl_vector *v, pop_load *L, const pl_row *f, pl_error *err)
{
    if (outside_region(ctx, v, L, f))
        return PL_OK;
    int fam = 0;
    GEOSGeometry *g = pl_row_read_geometry(ctx, v, f, PL_FAM_POLYGON | PL_FAM_POINT, &fam, &L->st, &L->scratch);
    if (!g)
        return PL_OK;
    double pop = 0, age = 0, x = 0, y = 0;
    if (read_count(ctx, v, f, L->pop_f, L->id_f, "population", "population-null", "pop-field", &pop, err) != PL_OK ||
        (L->age_f >= 0 && read_count(ctx, v, f, L->age_f, L->id_f, "age-group population", "age-null", "age-field",
                                     &age, err) != PL_OK)) {
        GEOSGeom_destroy_r(ctx->geos, g);
        return PL_EINPUT;
    }
    if (fam == PL_FAM_POINT) {
        GEOSGeomGetX_r(ctx->geos, g, &x);
        GEOSGeomGetY_r(ctx->geos, g, &y);
    } else if (pl_representative_point_box(ctx, g, L->scratch.is_box ? L->scratch.box : NULL, &x, &y) != 0) {
        pl_warn(ctx, "geometry-invalid-skipped", "%s: %s has no point inside it; skipped", v->label,
                pl_row_label(v, f, L->id_f));
        GEOSGeom_destroy_r(ctx->geos, g);
        return PL_OK;
    }
    if (fam == PL_FAM_POLYGON) {
        L->b.n_polygons++;
        size_t k = L->b.p->n;  /* the index push gives this unit */
        if (pl_grow_cap(&L->env_cap, k + 1)) {
            L->env = pl_realloc(L->env, 4 * L->env_cap * sizeof *L->env);
            L->box = pl_realloc(L->box, L->env_cap);
        }
        double *e = L->env + 4 * k;
        L->box[k] = L->scratch.is_box != 0;
        if (L->box[k])
            memcpy(e, L->scratch.box, sizeof L->scratch.box);
        else
            GEOSGeom_getExtent_r(ctx->geos, g, &e[0], &e[1], &e[2], &e[3]);
    }
    char *id = pl_row_id(ctx, v, f, L->id_f);
    char *code = carried_code(ctx, v, f, &L->code_f, L->code_given, &L->decided, &L->padded);
    push(&L->b, id, x, y, pop, age, code, g);
    return PL_OK;
}

/* The per-feature reader. Returns PL_OK or an error. */
static int read_features(pl_ctx *ctx, pl_vector *v, pop_load *L, pl_error *err)
{
    long total = (long)OGR_L_GetFeatureCount(v->layer, FALSE), i = 0;
    OGR_L_ResetReading(v->layer);
    OGRFeatureH f;
    while ((f = pl_layer_next(v)) != NULL) {
        pl_row row = {.f = f};
        int rc = pl_layer_progress(ctx, v, i++, total, "reading population", err);
        if (rc == PL_OK)
            rc = add_row(ctx, v, L, &row, err);
        OGR_F_Destroy(f);
        if (rc != PL_OK)
            return rc;
    }
    return pl_layer_read_failed(v, i, err);
}

enum { READ_BY_FEATURE = -1 };

/* The batch reader: PL_OK, an error that stands (err set: a bad value, a cancel), or
 * READ_BY_FEATURE when the layer must be read the old way (not supported here, or a read
 * error, which that way reports as before). */
static int read_batches(pl_ctx *ctx, pl_vector *v, pop_load *L, pl_error *err)
{
    const int wanted[] = {L->pop_f, L->age_f, L->id_f, L->code_f};
    pl_batch_reader br;
    if (pl_batch_open(&br, v, wanted, 4) != 0)
        return READ_BY_FEATURE;
    long total = (long)OGR_L_GetFeatureCount(v->layer, FALSE), done = 0;
    int rc, st = PL_OK;
    while (st == PL_OK && (rc = pl_batch_next(&br)) == 1)
        for (long i = 0; st == PL_OK && i < br.n_rows; i++) {
            pl_row row = {.b = &br, .i = i};
            st = pl_layer_progress(ctx, v, done++, total, "reading population", err);
            if (st == PL_OK)
                st = add_row(ctx, v, L, &row, err);
        }
    pl_batch_close(&br);
    if (st != PL_OK)
        return st;
    /* A stream that ended early without an error would be part of the layer. */
    if (rc == 0 && OGR_L_GetFeatureCount(v->layer, TRUE) != done)
        rc = -1;
    return rc == 0 ? PL_OK : READ_BY_FEATURE;
}

static void pop_load_discard(pl_ctx *ctx, pop_load *L)
{
    pl_geom_scratch_free(ctx, &L->scratch);
    free(L->env);
    free(L->box);
    L->env = NULL;
    L->box = NULL;
    pl_population_free(ctx, L->b.p);
    L->b.p = NULL;
}

/* All features of a spatial population layer: batches when the layer allows, else feature
 * by feature. */
static pl_population *read_population(pl_ctx *ctx, pl_vector *v, pop_load *L, pl_error *err)
{
    pop_load start = *L;
    pl_ctx *bctx = pl_batch_ctx(ctx);
    pop_load_init(L, v);
    int rc = read_batches(bctx, v, L, err);
    pl_batch_ctx_end(ctx, bctx, rc != READ_BY_FEATURE);
    if (rc == READ_BY_FEATURE) {
        pop_load_discard(ctx, L);
        *L = start;
        pop_load_init(L, v);
        rc = read_features(ctx, v, L, err);
    }
    pl_population *p = L->b.p;
    if (rc == PL_OK && p->n == 0)
        rc = pl_layer_nothing_loaded(v, &L->st, ACCEPT, err);
    if (rc != PL_OK) {
        pop_load_discard(ctx, L);
        return NULL;
    }
    pl_geom_scratch_free(ctx, &L->scratch);
    p->is_polygon = L->b.n_polygons == (long)p->n;
    double area = 0;
    for (size_t i = 0; p->is_polygon && i < p->n; i++) {
        const double *e = L->env + 4 * i;
        double a = (e[2] - e[0]) * (e[3] - e[1]);
        if (!L->box[i] && GEOSArea_r(ctx->geos, p->geom[i], &a) != 1)
            a = 0;
        area += a;
    }
    if (pl_pop_values_check(v, L->pop_f, p->pop, p->n, p->total_pop, area, "pop-field", err) != PL_OK ||
        units_overlap(ctx, v->label, p, L->env, L->box, err) != PL_OK) {
        pop_load_discard(ctx, L);
        return NULL;
    }
    free(L->env);
    free(L->box);
    L->env = NULL;
    L->box = NULL;
    return p;
}

static int cmp_id_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* 1 when no id is there twice, 0 when one is or no memory: a hash set, one pass (sorting
 * 400,000 ids by strcmp took ~60 ms of the warm anchor's load). */
static int ids_distinct(const pl_population *p)
{
    size_t cap = 1024;
    while (cap < 2 * p->n)
        cap *= 2;
    uint64_t *slot = calloc(cap, sizeof *slot);  /* hash's high 32 bits, id index + 1; 0: free */
    if (!slot)
        return 0;
    int distinct = 1;
    for (size_t i = 0; i < p->n && distinct; i++) {
        const char *id = p->id[i] ? p->id[i] : "";
        uint64_t h = XXH3_64bits(id, strlen(id));
        uint64_t mine = (h & 0xffffffff00000000u) | (uint64_t)(i + 1);
        for (size_t k = (size_t)h & (cap - 1);; k = (k + 1) & (cap - 1)) {
            if (!slot[k]) {
                slot[k] = mine;
                break;
            }
            if ((slot[k] >> 32) == (h >> 32)) {
                const char *o = p->id[(slot[k] & 0xffffffffu) - 1];
                if (strcmp(o ? o : "", id) == 0) {
                    distinct = 0;
                    break;
                }
            }
        }
    }
    free(slot);
    return distinct;
}

/* Unit ids must be unique, or results do not join back to the user's data. */
static int check_unique_ids(const pl_population *p, const char *label, const char *field, pl_error *err)
{
    if (!p || p->n < 2)
        return PL_OK;
    if (p->n < UINT32_MAX && ids_distinct(p))
        return PL_OK;
    /* A duplicate: the first of the sorted ids names it, as always. */
    const char **by = pl_malloc(p->n * sizeof *by);
    for (size_t i = 0; i < p->n; i++)
        by[i] = p->id[i] ? p->id[i] : "";
    qsort(by, p->n, sizeof *by, cmp_id_ptr);
    int rc = PL_OK;
    for (size_t i = 1; i < p->n && rc == PL_OK; i++)
        if (strcmp(by[i - 1], by[i]) == 0)
            rc = pl_error_set(err, PL_EINPUT, "%s: unit id '%s' in field '%s' belongs to more than one unit; ids "
                              "must be unique so that results join back: fix the data or choose another field with "
                              "--id-field", label, by[i], field);
    free(by);
    return rc;
}

static const char *field_name_of(const pl_vector *v, int f)
{
    return OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(OGR_L_GetLayerDefn(v->layer), f));
}

/* Says which id field was found (or that none was), then refuses duplicate ids. */
static pl_population *ids_checked(pl_ctx *ctx, const pl_vector *v, pl_population *p, int id_f, int given,
                                  pl_error *err)
{
    if (!p)
        return NULL;
    if (id_f >= 0 && !given)
        pl_info(ctx, "%s: unit ids from field '%s', kept as cell_id (--id-field to choose another)", v->label,
                field_name_of(v, id_f));
    else if (id_f < 0)
        pl_info(ctx, "%s: no unit id field (rut_id, ruta, deso, desokod, regso, id, ...); units are known by their "
                "feature id; give --id-field to keep your own ids", v->label);
    if (id_f >= 0 && check_unique_ids(p, v->label, field_name_of(v, id_f), err) != PL_OK) {
        pl_population_free(ctx, p);
        return NULL;
    }
    return p;
}

pl_population *pl_population_load(pl_ctx *ctx, const char *spec, const pl_load_opts *o, pl_error *err)
{
    pl_vector_opts vo = {0};
    vo.layer = o ? o->layer : NULL;
    vo.assume_crs = o ? o->assume_crs : NULL;
    vo.role = "population";
    vo.within = o ? o->within : NULL;
    pl_vector *v = pl_vector_open(ctx, spec, &vo, err);
    if (!v)
        return NULL;
    if (wkbFlatten(OGR_L_GetGeomType(v->layer)) == wkbNone) {
        pl_population *p = NULL;
        if (is_grid_table(v)) {
            p = load_grid(ctx, v, o, err);
            int grid_id = pl_vector_field_auto(v, pl_cand_grid_id);
            if (p && grid_id >= 0)
                p = ids_checked(ctx, v, p, grid_id, 0, err);
        }
        else
            pl_error_set(err, PL_EINPUT, "%s: a table without geometry, and without SCB grid columns (rut_id, or "
                         "x_sw and y_sw) or coordinate columns (x/y, lon/lat, wkt); fields are: %s; give %s",
                         v->label, pl_vector_field_list(v), ACCEPT);
        pl_vector_close(v);
        return p;
    }
    if (pl_layer_check(v, "population", PL_FAM_POLYGON | PL_FAM_POINT, ACCEPT, err) != PL_OK) {
        pl_vector_close(v);
        return NULL;
    }
    int pop_f = pl_pop_field_pick(ctx, v, o ? o->value_field : NULL, "pop-field", err);
    int age_f = -1;
    if (pop_f >= 0 && o && o->age_field) {
        age_f = pl_vector_field_find(v, o->age_field, NULL, "age group", "age-field", 1, err);
        if (age_f >= 0 && pl_field_require_numeric(v, age_f, "age-field", err) != PL_OK)
            age_f = -1;
        if (age_f < 0)
            pop_f = -1;
    }
    int id_f = pop_f < 0 ? -1 : pl_vector_field_find(v, o ? o->id_field : NULL, pop_id_cand, "id", "id-field", 0, err);
    if (pop_f < 0 || (id_f < 0 && o && o->id_field)) {
        pl_vector_close(v);
        return NULL;
    }
    int code_given = o && o->code_field;
    int code_f = pl_vector_field_find(v, o ? o->code_field : NULL, pl_cand_carried_code, "kommun code",
                                      "code-field", 0, err);
    if (code_f < 0 && code_given) {
        pl_vector_close(v);
        return NULL;
    }
    pop_load L = {.pop_f = pop_f, .age_f = age_f, .id_f = id_f, .code_f = code_f, .code_given = code_given};
    if (o && o->region && *o->region && o->region_munis && o->region_munis->n > 0) {
        L.region = o->region;
        L.known = pl_malloc(o->region_munis->n * sizeof *L.known);
        for (size_t i = 0; i < o->region_munis->n; i++)
            if (o->region_munis->code[i])
                L.known[L.n_known++] = o->region_munis->code[i];
        qsort(L.known, L.n_known, sizeof *L.known, cmp_str_ptr);
    }
    pl_population *p = ids_checked(ctx, v, read_population(ctx, v, &L, err), id_f, o && o->id_field, err);
    if (p && L.not_read > 0)
        pl_info(ctx, "%s: %ld units of municipalities outside --region %s not read (their kommun code field '%s')",
                v->label, L.not_read, L.region, field_name_of(v, L.code_f));
    free(L.known);
    pl_vector_close(v);
    return p;
}

void pl_population_free(pl_ctx *ctx, pl_population *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->id[i]);
        free(p->muni_code[i]);
        if (p->geom[i])
            GEOSGeom_destroy_r(ctx->geos, p->geom[i]);
    }
    free(p->id);
    free(p->x);
    free(p->y);
    free(p->pop);
    free(p->age_pop);
    free(p->muni_code);
    free(p->geom);
    free(p->source);
    free(p);
}
