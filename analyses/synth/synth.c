/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa synth: inputs, region selection, the 250 m split, pharmacies, orchestration.
 *
 * Region. S = one kommun (default Örebro 1880), M = one län (default Örebro län 18), L = Sweden.
 * A square belongs to the region by its carried kn_kod (for a län: the first two digits of
 * kn_kod, which is the consistent län; ln_kod is written the same way). Towns (tätorter) and
 * pharmacies belong by their kommun code. So the population of S/M is exactly SCB's total of
 * that kommun/län (Örebro 159,688 in 889 squares; Örebro län 307,723 in 3,774 squares).
 *
 * The 250 m split (synthetic; --cells 250m writes it, the road generator always uses it to
 * place rural roads and town streets where people live). For a square with P residents:
 *   - attractor a = the square centre, moved toward the nearest tätort point (if within 5 km)
 *     by min(350 m, half the distance);
 *   - each of the 16 cells k (250 m, centre c_k) gets weight
 *       w_k = exp(-|c_k - a|^2 / (2 * 350^2)) * E_k,   E_k ~ Exp(1) (lumpiness),
 *     and is empty land (w_k = 0) with probability 0.25 (at least one cell stays open);
 *   - the P residents are dealt one at a time, each to cell k with probability w_k / sum(w):
 *     a seeded multinomial, so the 16 integers sum exactly to P.
 *   Only cells with people are written (about 600,000 for L). Cell ids follow SCB's scheme
 *   (6 digits easting + 7 digits northing of the SW corner). The draws of a square come from
 *   a stream keyed by (seed, rut_id), so a square splits the same way in S, M and L. */
#include "synth.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "gis/vector.h"
#include "layers/layers.h"
#include "synth_internal.h"
#include "gis/util.h"

#define POP_CSV "scb-population-grid-1km-2024/scb_befolkning_1km_2024_sverige.csv"
#define ADMIN_GPKG "scb-admin-boundaries/sweden_admin_scb_sweref99tm.gpkg"
#define TOWNS_GPKG "scb-tatorter-2020/scb_tatorter_2020_points.gpkg"
#define PHARMACY_GPKG "osm-sweden-health-facilities-hotosm-2020/hotosm_swe_health_facilities_2020.gpkg"

static const char *const type_keys[PL_SYNTH_N_TYPES] = {
    "grocery_full", "grocery_partial", "fuel", "pharmacy", "parcel_post", "parcel_locker", "cash"};

const char *pl_synth_type_key(int type)
{
    return type >= 0 && type < PL_SYNTH_N_TYPES ? type_keys[type] : "?";
}

void pl_synth_params_default(pl_synth_params *o)
{
    memset(o, 0, sizeof *o);
    o->size = PL_SYNTH_S;
    o->seed = 1;
    o->cell_m = 1000;
}

int pl_synth_size_from_name(const char *name, pl_synth_size *out)
{
    if (!name || !name[0] || name[1])
        return PL_EINPUT;
    switch (toupper((unsigned char)name[0])) {
    case 'S': *out = PL_SYNTH_S; return PL_OK;
    case 'M': *out = PL_SYNTH_M; return PL_OK;
    case 'L': *out = PL_SYNTH_L; return PL_OK;
    default: return PL_EINPUT;
    }
}

const char *pl_synth_size_name(pl_synth_size s)
{
    return s == PL_SYNTH_S ? "S" : s == PL_SYNTH_M ? "M" : "L";
}

const char *pl_synth_default_data_dir(void)
{
    static char dir[4096];
    const char *e = getenv("PLATSA_REAL_DATA");
    if (e && *e) {
        snprintf(dir, sizeof dir, "%s", e);
        return dir;
    }
    e = getenv("PLATSA_SHARED");
    if (e && *e) {
        snprintf(dir, sizeof dir, "%s/real-data", e);
        return dir;
    }
    struct stat st;
    if (stat("../shared/real-data", &st) == 0) {
        snprintf(dir, sizeof dir, "../shared/real-data");
        return dir;
    }
    snprintf(dir, sizeof dir, "%s/../shared/real-data", PLATSA_SOURCE_DIR);
    return dir;
}

void pl_synth_cell_id(int32_t x_sw, int32_t y_sw, char out[16])
{
    snprintf(out, 16, "%06d%07d", (int)x_sw, (int)y_sw);
}

/* ---------- CLI option table ---------- */
const pl_option pl_synth_options[] = {
    {"size", 0, PL_OPT_STRING, offsetof(pl_synth_opts, size), "S|M|L", "S",
     "S = one kommun (Örebro 1880), M = one län (Örebro län 18), L = all of Sweden", 0, PL_NO_RANGE},
    {"seed", 0, PL_OPT_STRING, offsetof(pl_synth_opts, seed), "N", "1",
     "random seed (unsigned 64-bit); the same seed gives the same file, byte for byte", 0, PL_NO_RANGE},
    {"output", 'o', PL_OPT_STRING, offsetof(pl_synth_opts, output), "FILE", NULL, "output GeoPackage", 1, PL_OUTPUT_PATH},
    {"cells", 0, PL_OPT_STRING, offsetof(pl_synth_opts, cells), "1km|250m", "1km",
     "population cells: the real SCB 1 km squares, or a synthetic split into 250 m cells", 0, PL_NO_RANGE},
    {"region", 0, PL_OPT_STRING, offsetof(pl_synth_opts, region), "CODE", NULL,
     "kommun code for S (default 1880), län code for M (default 18)", 0, PL_NO_RANGE},
    {"data", 0, PL_OPT_STRING, offsetof(pl_synth_opts, data), "DIR", NULL,
     "folder with the real data sets (default: $PLATSA_SHARED/real-data or ../shared/real-data)", 0, PL_NO_RANGE},
    {"gtfs", 0, PL_OPT_STRING, offsetof(pl_synth_opts, gtfs), "FILE.zip", NULL,
     "also write a SYNTHETIC GTFS timetable (town buses, regional buses, trains) on the synthetic roads", 0,
     PL_OUTPUT_PATH},
    {"gtfs-rural-spacing", 0, PL_OPT_DOUBLE, offsetof(pl_synth_opts, gtfs_rural_spacing_m), "M", "1000",
     "--gtfs: metres between bus stops outside the towns (inside them ~500 m)", 0, PL_IN(200, 5000)},
    {"overwrite", 0, PL_OPT_FLAG, offsetof(pl_synth_opts, overwrite), NULL, NULL, "replace existing outputs", 0, PL_NO_RANGE},
    PL_OPT_END,
};

int pl_synth_params_from_opts(const pl_synth_opts *c, pl_synth_params *o, pl_error *err)
{
    pl_synth_params_default(o);
    if (pl_synth_size_from_name(c->size, &o->size) != PL_OK)
        return pl_error_set(err, PL_EINPUT, "--size: '%s' is not S, M or L", c->size ? c->size : "");
    char *end;
    if (!c->seed || !isdigit((unsigned char)c->seed[0]))
        return pl_error_set(err, PL_EINPUT, "--seed: '%s' is not a whole number >= 0", c->seed ? c->seed : "");
    o->seed = strtoull(c->seed, &end, 10);
    if (*end)
        return pl_error_set(err, PL_EINPUT, "--seed: '%s' is not a whole number >= 0", c->seed);
    if (!c->cells || !strcasecmp(c->cells, "1km") || !strcmp(c->cells, "1000") || !strcasecmp(c->cells, "1000m"))
        o->cell_m = 1000;
    else if (!strcasecmp(c->cells, "250m") || !strcmp(c->cells, "250"))
        o->cell_m = 250;
    else
        return pl_error_set(err, PL_EINPUT, "--cells: '%s' is not 1km or 250m", c->cells);
    o->data_dir = c->data;
    o->region = c->region;
    return PL_OK;
}

/* ---------- reading ---------- */
static char *path_in(const char *dir, const char *rel)
{
    size_t n = strlen(dir) + strlen(rel) + 2;
    char *p = pl_malloc(n);
    snprintf(p, n, "%s/%s", dir, rel);
    return p;
}

static int field_or_fail(const pl_vector *v, const char *name, pl_error *err)
{
    int i = pl_vector_field(v, name);
    if (i < 0)
        pl_error_set(err, PL_EINPUT, "%s: field '%s' not found; fields are: %s; is this the file from the "
                     "shared real-data folder?", v->label, name, pl_vector_field_list(v));
    return i;
}

static int in_region(const pl_synth_region *r, const char *kn_kod)
{
    if (!kn_kod)
        return 0;
    switch (r->opts.size) {
    case PL_SYNTH_S: return strcmp(kn_kod, r->region_code) == 0;
    case PL_SYNTH_M: return strncmp(kn_kod, r->region_code, 2) == 0;
    default: return 1;
    }
}

/* Kommun code "0180" -> 180 for a direct lookup table. */
static int code_num(const char *c)
{
    if (!c || strlen(c) != 4)
        return -1;
    for (int i = 0; i < 4; i++)
        if (!isdigit((unsigned char)c[i]))
            return -1;
    return atoi(c);
}

typedef struct all_munis {
    size_t n;
    char (*code)[8];
    char **name;
    char (*lan)[4];
    GEOSGeometry **geom;
} all_munis;

/* synth has no --code-field / --name-field: the loader's hint is replaced by synth's own. */
static int synth_hint(pl_error *err)
{
    static const char *const flags[] = {"; use --code-field", "; use --name-field"};
    for (int i = 0; i < 2 && err; i++) {
        char *at = strstr(err->msg, flags[i]);
        if (at)
            snprintf(at, sizeof err->msg - (size_t)(at - err->msg),
                     "; is this the unchanged file from the shared real-data folder?");
    }
    return err && err->code ? err->code : PL_EINPUT;
}

/* Every kommun of the national file, through the municipalities loader (layers/). */
static int read_kommuner(pl_ctx *ctx, const char *gpkg, all_munis *m, pl_error *err)
{
    char spec[4200];
    snprintf(spec, sizeof spec, "%s:kommuner", gpkg);
    pl_load_opts lo = {.code_field = "KnKod", .name_field = "KnNamn"};
    pl_municipalities *k = pl_municipalities_load(ctx, spec, &lo, err);
    if (!k)
        return synth_hint(err);
    m->n = k->n;
    m->code = pl_malloc((k->n ? k->n : 1) * sizeof *m->code);
    m->name = pl_malloc((k->n ? k->n : 1) * sizeof *m->name);
    m->lan = pl_malloc((k->n ? k->n : 1) * sizeof *m->lan);
    m->geom = pl_malloc((k->n ? k->n : 1) * sizeof *m->geom);
    for (size_t i = 0; i < k->n; i++) {
        snprintf(m->code[i], 8, "%s", k->code[i]);
        snprintf(m->lan[i], 4, "%.2s", m->code[i]);
        m->name[i] = pl_strdup(k->name[i]);
        m->geom[i] = GEOSGeom_clone_r(ctx->geos, k->geom[i]);
    }
    pl_municipalities_free(ctx, k);
    return PL_OK;
}

/* The region's län (every län for L), through the municipalities loader (layers/). */
static int read_lan(pl_ctx *ctx, pl_synth_region *r, const char *gpkg, pl_error *err)
{
    char spec[4200];
    snprintf(spec, sizeof spec, "%s:lan", gpkg);
    pl_load_opts lo = {.code_field = "LnKod", .name_field = "LnNamn"};
    pl_municipalities *l = pl_municipalities_load(ctx, spec, &lo, err);
    if (!l)
        return synth_hint(err);
    size_t cap = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (r->opts.size != PL_SYNTH_L && strncmp(l->code[i], r->region_code, 2) != 0)
            continue;
        if (r->n_lans == cap) {
            cap = cap ? cap * 2 : 32;
            r->lan_code = pl_realloc(r->lan_code, cap * sizeof *r->lan_code);
            r->lan_name = pl_realloc(r->lan_name, cap * sizeof *r->lan_name);
            r->lan_geom = pl_realloc(r->lan_geom, cap * sizeof *r->lan_geom);
        }
        snprintf(r->lan_code[r->n_lans], 4, "%s", l->code[i]);
        r->lan_name[r->n_lans] = pl_strdup(l->name[i]);
        r->lan_geom[r->n_lans] = GEOSGeom_clone_r(ctx->geos, l->geom[i]);
        r->n_lans++;
    }
    pl_municipalities_free(ctx, l);
    return PL_OK;
}

typedef struct all_towns {
    size_t n, cap;
    double *x, *y;
    int32_t *pop, *area;
    char **code, **name, **mun;
} all_towns;

static int read_towns(pl_ctx *ctx, const char *gpkg, all_towns *t, pl_error *err)
{
    char spec[4200];
    snprintf(spec, sizeof spec, "%s:tatorter_2020", gpkg);
    pl_vector_opts vo = {.role = "tätorter"};
    pl_vector *v = pl_vector_open(ctx, spec, &vo, err);
    if (!v)
        return err->code;
    const char *names[] = {"code", "name", "mun_code", "area", "pop"};
    int fi[5];
    for (int i = 0; i < 5; i++)
        if ((fi[i] = field_or_fail(v, names[i], err)) < 0) {
            pl_vector_close(v);
            return PL_EINPUT;
        }
    OGRFeatureH f;
    OGR_L_ResetReading(v->layer);
    while ((f = OGR_L_GetNextFeature(v->layer))) {
        OGRGeometryH g = pl_vector_geometry(v, f);
        if (g) {
            if (t->n == t->cap) {
                t->cap = t->cap ? t->cap * 2 : 2048;
                t->x = pl_realloc(t->x, t->cap * sizeof *t->x);
                t->y = pl_realloc(t->y, t->cap * sizeof *t->y);
                t->pop = pl_realloc(t->pop, t->cap * sizeof *t->pop);
                t->area = pl_realloc(t->area, t->cap * sizeof *t->area);
                t->code = pl_realloc(t->code, t->cap * sizeof *t->code);
                t->name = pl_realloc(t->name, t->cap * sizeof *t->name);
                t->mun = pl_realloc(t->mun, t->cap * sizeof *t->mun);
            }
            t->x[t->n] = OGR_G_GetX(g, 0);
            t->y[t->n] = OGR_G_GetY(g, 0);
            t->code[t->n] = pl_strdup(OGR_F_GetFieldAsString(f, fi[0]));
            t->name[t->n] = pl_strdup(OGR_F_GetFieldAsString(f, fi[1]));
            t->mun[t->n] = pl_strdup(OGR_F_GetFieldAsString(f, fi[2]));
            t->area[t->n] = OGR_F_GetFieldAsInteger(f, fi[3]);
            t->pop[t->n] = OGR_F_GetFieldAsInteger(f, fi[4]);
            t->n++;
            OGR_G_DestroyGeometry(g);
        }
        OGR_F_Destroy(f);
    }
    pl_vector_close(v);
    if (t->n == 0)
        return pl_error_set(err, PL_EINPUT, "%s: no tätort points", pl_basename(gpkg));
    return PL_OK;
}

static void free_towns(all_towns *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->code[i]);
        free(t->name[i]);
        free(t->mun[i]);
    }
    free(t->x);
    free(t->y);
    free(t->pop);
    free(t->area);
    free(t->code);
    free(t->name);
    free(t->mun);
}

static int read_squares(pl_ctx *ctx, pl_synth_region *r, const char *csv, const int *muni_of_code, pl_error *err)
{
    pl_vector_opts vo = {.role = "population grid"};
    pl_vector *v = pl_vector_open(ctx, csv, &vo, err);
    if (!v)
        return err->code;
    const char *names[] = {"rut_id", "x_sw", "y_sw", "pop", "kn_kod"};
    int fi[5];
    for (int i = 0; i < 5; i++)
        if ((fi[i] = field_or_fail(v, names[i], err)) < 0) {
            pl_vector_close(v);
            return PL_EINPUT;
        }
    size_t cap = 0;
    OGRFeatureH f;
    OGR_L_ResetReading(v->layer);
    long row = 0;
    int rc = PL_OK;
    while ((f = OGR_L_GetNextFeature(v->layer))) {
        row++;
        const char *kn = OGR_F_GetFieldAsString(f, fi[4]);
        if (in_region(r, kn)) {
            int num = code_num(kn);
            int mi = num >= 0 ? muni_of_code[num] : -1;
            int32_t x = OGR_F_GetFieldAsInteger(f, fi[1]), y = OGR_F_GetFieldAsInteger(f, fi[2]);
            int32_t pop = OGR_F_GetFieldAsInteger(f, fi[3]);
            if (mi < 0 || pop < 0 || x % 1000 || y % 1000) {
                rc = pl_error_set(err, PL_EINPUT, "%s: row %ld (rut_id %s): bad kommun code, corner or population; "
                                  "use the unchanged SCB grid file", v->label, row, OGR_F_GetFieldAsString(f, fi[0]));
                OGR_F_Destroy(f);
                break;
            }
            if (r->n_squares == cap) {
                cap = cap ? cap * 2 : 4096;
                r->sq_x = pl_realloc(r->sq_x, cap * sizeof *r->sq_x);
                r->sq_y = pl_realloc(r->sq_y, cap * sizeof *r->sq_y);
                r->sq_pop = pl_realloc(r->sq_pop, cap * sizeof *r->sq_pop);
                r->sq_muni = pl_realloc(r->sq_muni, cap * sizeof *r->sq_muni);
            }
            r->sq_x[r->n_squares] = x;
            r->sq_y[r->n_squares] = y;
            r->sq_pop[r->n_squares] = pop;
            r->sq_muni[r->n_squares] = (int16_t)mi;
            r->n_squares++;
        }
        OGR_F_Destroy(f);
    }
    pl_vector_close(v);
    if (rc == PL_OK && r->n_squares == 0)
        rc = pl_error_set(err, PL_EINPUT, "%s: no populated squares in region %s", pl_basename(csv), r->region_code);
    return rc;
}

static void add_service(pl_synth_region *r, size_t *cap, double x, double y, int type, int synthetic,
                        const char *id, const char *name, int16_t muni)
{
    if (r->n_services == *cap) {
        *cap = *cap ? *cap * 2 : 1024;
        r->svc_x = pl_realloc(r->svc_x, *cap * sizeof *r->svc_x);
        r->svc_y = pl_realloc(r->svc_y, *cap * sizeof *r->svc_y);
        r->svc_type = pl_realloc(r->svc_type, *cap * sizeof *r->svc_type);
        r->svc_synthetic = pl_realloc(r->svc_synthetic, *cap * sizeof *r->svc_synthetic);
        r->svc_id = pl_realloc(r->svc_id, *cap * sizeof *r->svc_id);
        r->svc_name = pl_realloc(r->svc_name, *cap * sizeof *r->svc_name);
        r->svc_muni = pl_realloc(r->svc_muni, *cap * sizeof *r->svc_muni);
    }
    size_t i = r->n_services++;
    r->svc_x[i] = x;
    r->svc_y[i] = y;
    r->svc_type[i] = (uint8_t)type;
    r->svc_synthetic[i] = (uint8_t)synthetic;
    r->svc_id[i] = pl_strdup(id);
    r->svc_name[i] = pl_strdup(name);
    r->svc_muni[i] = muni;
}

void sy_add_service(pl_synth_region *r, size_t *cap, double x, double y, int type, int synthetic,
                    const char *id, const char *name, int16_t muni)
{
    add_service(r, cap, x, y, type, synthetic, id, name, muni);
}

static int read_pharmacies(pl_ctx *ctx, pl_synth_region *r, size_t *cap, const char *gpkg, const int *muni_of_code,
                           pl_error *err)
{
    char spec[4200];
    snprintf(spec, sizeof spec, "%s:health_facilities", gpkg);
    pl_vector_opts vo = {.role = "pharmacies"};
    pl_vector *v = pl_vector_open(ctx, spec, &vo, err);
    if (!v)
        return err->code;
    const char *names[] = {"osm_id", "amenity", "name", "kn_kod"};
    int fi[4];
    for (int i = 0; i < 4; i++)
        if ((fi[i] = field_or_fail(v, names[i], err)) < 0) {
            pl_vector_close(v);
            return PL_EINPUT;
        }
    OGRFeatureH f;
    OGR_L_ResetReading(v->layer);
    while ((f = OGR_L_GetNextFeature(v->layer))) {
        const char *kn = OGR_F_GetFieldAsString(f, fi[3]);
        int num = code_num(kn);
        if (!strcmp(OGR_F_GetFieldAsString(f, fi[1]), "pharmacy") && in_region(r, kn) && num >= 0 &&
            muni_of_code[num] >= 0) {
            OGRGeometryH g = pl_vector_geometry(v, f);
            if (g) {
                char id[64];
                snprintf(id, sizeof id, "osm:%s", OGR_F_GetFieldAsString(f, fi[0]));
                add_service(r, cap, OGR_G_GetX(g, 0), OGR_G_GetY(g, 0), PL_SYNTH_PHARMACY, 0, id,
                            OGR_F_GetFieldAsString(f, fi[2]), (int16_t)muni_of_code[num]);
                OGR_G_DestroyGeometry(g);
            }
        }
        OGR_F_Destroy(f);
    }
    pl_vector_close(v);
    return PL_OK;
}

/* ---------- the 250 m split ---------- */
static int accept_any(uint32_t j, void *user)
{
    (void)j;
    (void)user;
    return 1;
}

static void split_squares(pl_synth_region *r, const all_towns *t)
{
    sy_grid tg;
    sy_grid_build(&tg, t->x, t->y, t->n, 5000.0);
    r->sq_sub = pl_calloc(r->n_squares * 16, sizeof *r->sq_sub);
    for (size_t q = 0; q < r->n_squares; q++) {
        double cx = r->sq_x[q] + 500.0, cy = r->sq_y[q] + 500.0;
        double ax = cx, ay = cy, d;
        uint32_t near = sy_grid_nearest(&tg, cx, cy, 5000.0, accept_any, NULL, &d);
        if (near != UINT32_MAX && d > 1.0) {
            double shift = fmin(350.0, 0.5 * d);
            ax += (t->x[near] - cx) / d * shift;
            ay += (t->y[near] - cy) / d * shift;
        }
        sy_rng rng = sy_stream(r->opts.seed, SALT_SPLIT, (uint64_t)r->sq_x[q], (uint64_t)r->sq_y[q]);
        double w[16], cum[16], sum = 0, best = -1;
        int best_k = 0;
        for (int k = 0; k < 16; k++) {
            double kx = r->sq_x[q] + 125.0 + 250.0 * (k % 4), ky = r->sq_y[q] + 125.0 + 250.0 * (k / 4);
            double d2 = (kx - ax) * (kx - ax) + (ky - ay) * (ky - ay);
            double u = sy_unif(&rng);
            double e = -log(1.0 - sy_unif(&rng));
            w[k] = exp(-d2 / (2.0 * 350.0 * 350.0)) * e;
            if (w[k] > best) {
                best = w[k];
                best_k = k;
            }
            if (u < 0.25)
                w[k] = 0;
        }
        for (int k = 0; k < 16; k++)
            sum += w[k];
        if (sum <= 0) {
            w[best_k] = 1;
            sum = 1;
        }
        double acc = 0;
        for (int k = 0; k < 16; k++) {
            acc += w[k] / sum;
            cum[k] = acc;
        }
        cum[15] = 2.0;  /* guard against rounding */
        int32_t *sub = r->sq_sub + 16 * q;
        for (int32_t p = 0; p < r->sq_pop[q]; p++) {
            double u = sy_unif(&rng);
            int lo = 0, hi = 15;
            while (lo < hi) {
                int mid = (lo + hi) / 2;
                if (u < cum[mid])
                    hi = mid;
                else
                    lo = mid + 1;
            }
            sub[lo]++;
        }
    }
    sy_grid_free(&tg);
}

static void make_cells(pl_synth_region *r)
{
    r->cell_m = r->opts.cell_m;
    size_t n = 0;
    if (r->cell_m == 250) {
        for (size_t i = 0; i < 16 * r->n_squares; i++)
            n += r->sq_sub[i] > 0;
    } else {
        n = r->n_squares;
    }
    r->n_cells = n;
    r->cell_x = pl_malloc((n ? n : 1) * sizeof *r->cell_x);
    r->cell_y = pl_malloc((n ? n : 1) * sizeof *r->cell_y);
    r->cell_pop = pl_malloc((n ? n : 1) * sizeof *r->cell_pop);
    r->cell_muni = pl_malloc((n ? n : 1) * sizeof *r->cell_muni);
    r->cell_square = pl_malloc((n ? n : 1) * sizeof *r->cell_square);
    size_t c = 0;
    r->total_pop = 0;
    for (size_t q = 0; q < r->n_squares; q++) {
        r->total_pop += r->sq_pop[q];
        if (r->cell_m == 250) {
            for (int k = 0; k < 16; k++) {
                int32_t p = r->sq_sub[16 * q + k];
                if (p <= 0)
                    continue;
                r->cell_x[c] = r->sq_x[q] + 250 * (k % 4);
                r->cell_y[c] = r->sq_y[q] + 250 * (k / 4);
                r->cell_pop[c] = p;
                r->cell_muni[c] = r->sq_muni[q];
                r->cell_square[c] = (int32_t)q;
                c++;
            }
        } else {
            r->cell_x[c] = r->sq_x[q];
            r->cell_y[c] = r->sq_y[q];
            r->cell_pop[c] = r->sq_pop[q];
            r->cell_muni[c] = r->sq_muni[q];
            r->cell_square[c] = (int32_t)q;
            c++;
        }
    }
}

/* ---------- orchestration ---------- */
/* The region's code (and for L its name) from the options; -1 when the code is malformed. */
static int set_region(pl_synth_region *r, const pl_synth_params *opts)
{
    switch (opts->size) {
    case PL_SYNTH_S:
        snprintf(r->region_code, sizeof r->region_code, "%s", opts->region ? opts->region : PL_SYNTH_DEFAULT_KOMMUN);
        break;
    case PL_SYNTH_M:
        snprintf(r->region_code, sizeof r->region_code, "%s", opts->region ? opts->region : PL_SYNTH_DEFAULT_LAN);
        break;
    default:
        snprintf(r->region_code, sizeof r->region_code, "SE");
        snprintf(r->region_name, sizeof r->region_name, "Sverige");
    }
    int bad = (opts->size == PL_SYNTH_S && code_num(r->region_code) < 0) ||
              (opts->size == PL_SYNTH_M && (strlen(r->region_code) != 2 || !isdigit((unsigned char)r->region_code[0]) ||
                                            !isdigit((unsigned char)r->region_code[1])));
    return bad ? -1 : 0;
}

/* The region's kommuner, kept in file order; muni_of_code[code] = their index. */
static void keep_region_munis(pl_ctx *ctx, pl_synth_region *r, const all_munis *am, int *muni_of_code)
{
    const pl_synth_params *opts = &r->opts;
    for (size_t i = 0; i < am->n; i++) {
        if (!in_region(r, am->code[i]))
            continue;
        size_t k = r->n_munis++;
        r->muni_code = pl_realloc(r->muni_code, r->n_munis * sizeof *r->muni_code);
        r->muni_name = pl_realloc(r->muni_name, r->n_munis * sizeof *r->muni_name);
        r->muni_lan = pl_realloc(r->muni_lan, r->n_munis * sizeof *r->muni_lan);
        r->muni_geom = pl_realloc(r->muni_geom, r->n_munis * sizeof *r->muni_geom);
        memcpy(r->muni_code[k], am->code[i], 8);
        memcpy(r->muni_lan[k], am->lan[i], 4);
        r->muni_name[k] = pl_strdup(am->name[i]);
        r->muni_geom[k] = GEOSGeom_clone_r(ctx->geos, am->geom[i]);
        int num = code_num(am->code[i]);
        if (num >= 0)
            muni_of_code[num] = (int)k;
        if (opts->size == PL_SYNTH_S)
            snprintf(r->region_name, sizeof r->region_name, "%s kommun", am->name[i]);
    }
}

/* The region's localities (real tätorter); t_region_loc[i] = their index, -1 outside. */
static void keep_region_localities(pl_synth_region *r, const all_towns *at, const int *muni_of_code, int *t_region_loc)
{
    for (size_t i = 0; i < at->n; i++) {
        t_region_loc[i] = -1;
        int num = code_num(at->mun[i]);
        if (!in_region(r, at->mun[i]) || num < 0 || muni_of_code[num] < 0)
            continue;
        size_t k = r->n_localities++;
        t_region_loc[i] = (int)k;
        r->loc_x = pl_realloc(r->loc_x, r->n_localities * sizeof *r->loc_x);
        r->loc_y = pl_realloc(r->loc_y, r->n_localities * sizeof *r->loc_y);
        r->loc_pop = pl_realloc(r->loc_pop, r->n_localities * sizeof *r->loc_pop);
        r->loc_area_ha = pl_realloc(r->loc_area_ha, r->n_localities * sizeof *r->loc_area_ha);
        r->loc_code = pl_realloc(r->loc_code, r->n_localities * sizeof *r->loc_code);
        r->loc_name = pl_realloc(r->loc_name, r->n_localities * sizeof *r->loc_name);
        r->loc_muni = pl_realloc(r->loc_muni, r->n_localities * sizeof *r->loc_muni);
        r->loc_node = pl_realloc(r->loc_node, r->n_localities * sizeof *r->loc_node);
        r->loc_x[k] = at->x[i];
        r->loc_y[k] = at->y[i];
        r->loc_pop[k] = at->pop[i];
        r->loc_area_ha[k] = at->area[i];
        r->loc_code[k] = pl_strdup(at->code[i]);
        r->loc_name[k] = pl_strdup(at->name[i]);
        r->loc_muni[k] = (int16_t)muni_of_code[num];
        r->loc_node[k] = -1;
    }
}

int pl_synth_generate(pl_ctx *ctx, const pl_synth_params *opts, pl_synth_region **out, pl_error *err)
{
    *out = NULL;
    double t0 = pl_now_s();
    if (opts->cell_m != 1000 && opts->cell_m != 250)
        return pl_error_set(err, PL_EINPUT, "cell size %d m: use 1000 or 250", opts->cell_m);
    pl_synth_region *r = pl_calloc(1, sizeof *r);
    r->opts = *opts;
    r->geos = ctx->geos;
    const char *dir = opts->data_dir && *opts->data_dir ? opts->data_dir : pl_synth_default_data_dir();
    r->data_dir = pl_strdup(dir);
    r->opts.data_dir = NULL;   /* not owned; don't keep a dangling pointer */
    r->opts.region = NULL;
    if (set_region(r, opts) != 0) {
        pl_synth_region_free(r);
        return pl_error_set(err, PL_EINPUT, "--region '%s': give a 4-digit kommun code for S (e.g. 1880) or a "
                            "2-digit län code for M (e.g. 18)", opts->region ? opts->region : "");
    }

    char *csv = path_in(dir, POP_CSV), *admin = path_in(dir, ADMIN_GPKG), *towns_path = path_in(dir, TOWNS_GPKG),
         *pharm = path_in(dir, PHARMACY_GPKG);
    all_munis am;
    memset(&am, 0, sizeof am);
    all_towns at;
    memset(&at, 0, sizeof at);
    int *muni_of_code = pl_malloc(10000 * sizeof *muni_of_code);
    for (int i = 0; i < 10000; i++)
        muni_of_code[i] = -1;
    sy_inputs in;
    memset(&in, 0, sizeof in);
    sy_net net;
    memset(&net, 0, sizeof net);
    int rc;

    pl_progress(ctx, 0.0, "synth: reading real data");
    if ((rc = read_kommuner(ctx, admin, &am, err)) != PL_OK)
        goto done;
    keep_region_munis(ctx, r, &am, muni_of_code);
    if (r->n_munis == 0) {
        rc = pl_error_set(err, PL_EINPUT, "--region %s: no such %s in %s", r->region_code,
                          opts->size == PL_SYNTH_S ? "kommun" : "län", pl_basename(admin));
        goto done;
    }
    if ((rc = read_lan(ctx, r, admin, err)) != PL_OK)
        goto done;
    if (opts->size == PL_SYNTH_M && r->n_lans > 0)
        snprintf(r->region_name, sizeof r->region_name, "%s län", r->lan_name[0]);
    if ((rc = read_towns(ctx, towns_path, &at, err)) != PL_OK)
        goto done;
    pl_progress(ctx, 0.02, "synth: reading real data");
    if ((rc = read_squares(ctx, r, csv, muni_of_code, err)) != PL_OK)
        goto done;

    /* Localities of the region (real tätorter) */
    in.n_towns = at.n;
    in.tx = at.x;
    in.ty = at.y;
    in.tpop = at.pop;
    in.tarea = at.area;
    in.tcode = at.code;
    in.tname = at.name;
    in.t_region_loc = pl_malloc(at.n * sizeof *in.t_region_loc);
    in.n_munis = am.n;
    in.munis = am.geom;
    keep_region_localities(r, &at, muni_of_code, in.t_region_loc);

    pl_progress(ctx, 0.05, "synth: splitting squares");
    split_squares(r, &at);
    make_cells(r);

    if ((rc = sy_build_roads(ctx, r, &in, &net, err)) != PL_OK)
        goto done;
    pl_progress(ctx, 0.85, "synth: services");
    sy_place_services(ctx, r, &net);
    size_t cap = r->n_services;
    if ((rc = read_pharmacies(ctx, r, &cap, pharm, muni_of_code, err)) != PL_OK)
        goto done;
    for (size_t i = 0; i < r->n_services; i++)
        r->stats.services_by_type[r->svc_type[i]]++;
    pl_progress(ctx, 0.9, "synth: road arrays");
    sy_emit_roads(r, &net);
    pl_progress(ctx, 1.0, "synth: done");
    r->stats.seconds_total = pl_now_s() - t0;
    rc = PL_OK;

done:
    sy_net_free(&net);
    free(in.t_region_loc);
    for (size_t i = 0; i < am.n; i++) {
        free(am.name[i]);
        GEOSGeom_destroy_r(ctx->geos, am.geom[i]);
    }
    free(am.code);
    free(am.name);
    free(am.lan);
    free(am.geom);
    free_towns(&at);
    free(muni_of_code);
    free(csv);
    free(admin);
    free(towns_path);
    free(pharm);
    if (rc != PL_OK) {
        pl_synth_region_free(r);
        return rc;
    }
    *out = r;
    return PL_OK;
}

static void free_strings(char **s, size_t n)
{
    if (!s)
        return;
    for (size_t i = 0; i < n; i++)
        free(s[i]);
    free(s);
}

void pl_synth_region_free(pl_synth_region *r)
{
    if (!r)
        return;
    free(r->sq_x);
    free(r->sq_y);
    free(r->sq_pop);
    free(r->sq_muni);
    free(r->sq_sub);
    free(r->cell_x);
    free(r->cell_y);
    free(r->cell_pop);
    free(r->cell_muni);
    free(r->cell_square);
    for (size_t i = 0; i < r->n_munis; i++)
        GEOSGeom_destroy_r(r->geos, r->muni_geom[i]);
    free(r->muni_geom);
    free(r->muni_code);
    free_strings(r->muni_name, r->n_munis);
    free(r->muni_lan);
    for (size_t i = 0; i < r->n_lans; i++)
        GEOSGeom_destroy_r(r->geos, r->lan_geom[i]);
    free(r->lan_geom);
    free(r->lan_code);
    free_strings(r->lan_name, r->n_lans);
    free(r->loc_x);
    free(r->loc_y);
    free(r->loc_pop);
    free(r->loc_area_ha);
    free_strings(r->loc_code, r->n_localities);
    free_strings(r->loc_name, r->n_localities);
    free(r->loc_muni);
    free(r->loc_node);
    free(r->roads.first_vertex);
    free(r->roads.vx);
    free(r->roads.vy);
    free(r->roads.id);
    free(r->roads.road_class);
    free(r->roads.speed_kmh);
    free(r->roads.oneway);
    free(r->roads.flags);
    free(r->roads.layer);
    free(r->roads.source);
    free(r->road_node_a);
    free(r->road_node_b);
    free(r->road_is_link);
    free(r->svc_x);
    free(r->svc_y);
    free(r->svc_type);
    free(r->svc_synthetic);
    free_strings(r->svc_id, r->n_services);
    free_strings(r->svc_name, r->n_services);
    free(r->svc_muni);
    free(r->islands);
    free(r->data_dir);
    free(r);
}
