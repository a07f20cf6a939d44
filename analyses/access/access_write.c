/* Accessibility: output layers (cells, service level, municipalities + twin table) and
 * the load-compute-write pipeline the CLI calls. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>
#include <time.h>

#include "gis/gpkg_writer.h"
#include "layers/network.h"
#include "access.h"
#include "access_checks.h"
#include "analyses/common/attach.h"
#include "analyses/classify/classify.h"
#include "analyses/common/fields.h"
#include "analyses/common/run.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef pl_access_inputs access_inputs;

/* ---------- access_cells ---------- */

typedef struct type_columns {
    int km, min, km2, min2, id, name, id_time, band_km, band_min;
} type_columns;

static void cell_fields(pl_field_list *fl, const pl_access_result *r, const pl_service_types *st,
                        type_columns *cols)
{
    pl_fields_add(fl, "cell_id", PL_FIELD_TEXT, "Ruta/område", "population unit id");
    pl_fields_add(fl, "kommun", PL_FIELD_TEXT, "Kommunkod", "municipality code");
    pl_fields_add(fl, "pop", PL_FIELD_REAL, "Befolkning", "residents");
    pl_fields_add(fl, "pop_age", PL_FIELD_REAL, "Befolkning i åldersgruppen", "residents of the age group");
    pl_fields_add(fl, "road_m", PL_FIELD_REAL, "Avstånd till väg (m)", "straight access leg to the road");
    pl_fields_add(fl, "far_from_road", PL_FIELD_INT, "Långt från väg", "1 if farther than --max-snap from any road");
    pl_fields_add(fl, "service_level", PL_FIELD_INT, "Servicenivå (antal typer)",
                  "number of service types within the --within distance");
    char name[96], alias[256];
    for (int t = 0; t < r->n_types; t++) {
        const pl_service_type *ty = &st->t[r->types[t].type];
        type_columns *c = &cols[t];
#define ADD(col, suffix, ftype, alias_fmt, desc)                                  \
    snprintf(name, sizeof name, "%s_%s", ty->key, suffix);                        \
    snprintf(alias, sizeof alias, alias_fmt, ty->label_sv);                       \
    c->col = pl_fields_add(fl, name, ftype, alias, desc)
        ADD(km, "km", PL_FIELD_REAL, "%s: avstånd (km)", "road distance to the nearest, km");
        ADD(min, "min", PL_FIELD_REAL, "%s: restid (min)", "travel time to the nearest by time, minutes");
        ADD(km2, "km_2nd", PL_FIELD_REAL, "%s: avstånd till näst närmaste (km)", "road distance to the second nearest, km");
        ADD(min2, "min_2nd", PL_FIELD_REAL, "%s: restid till näst närmaste (min)", "travel time to the second nearest, minutes");
        ADD(id, "id", PL_FIELD_TEXT, "%s: närmaste (id)", "id of the nearest by distance");
        ADD(name, "name", PL_FIELD_TEXT, "%s: närmaste (namn)", "name of the nearest by distance");
        ADD(id_time, "id_time", PL_FIELD_TEXT, "%s: närmaste i tid (id)", "id of the nearest by travel time");
        ADD(band_km, "band_km", PL_FIELD_TEXT, "%s: avståndsklass", "distance band");
        ADD(band_min, "band_min", PL_FIELD_TEXT, "%s: restidsklass", "travel time band");
#undef ADD
    }
}

/* Fields appended after the per-type ones when --classify is on. */
static int class_fields(pl_field_list *fl)
{
    int first = pl_fields_add(fl, "class", PL_FIELD_INT, "Territoriell klass",
                              "1 tätort, 2 tätortsnära landsbygd, 3 landsbygd avlägset belägen");
    pl_fields_add(fl, "class_name", PL_FIELD_TEXT, "Klassnamn", NULL);
    return first;
}

/* Outputs are rounded to what the method can claim (metres, tenths of seconds, shares to
 * 0.01 %), so tables paste cleanly into reports and compare byte for byte. */
static double round_to(double v, double per_unit)
{
    return isfinite(v) ? round(v * per_unit) / per_unit : NAN;  /* division is exact to the nearest double */
}
static double km_of(const pl_label *l) { return round_to(l->dist_m / 1000.0, 1000); }
static double min_of(const pl_label *l) { return round_to(l->time_s / 60.0, 100); }
static double people(double v) { return round_to(v, 1000); }

static int write_cells(pl_gpkg *g, const access_inputs *in, const pl_access_result *r,
                       pl_gpkg_layer **out, pl_error *err)
{
    pl_field_list fl = {0};
    type_columns *cols = pl_calloc((size_t)r->n_types, sizeof *cols);
    cell_fields(&fl, r, in->types, cols);
    int class_col = in->classes ? class_fields(&fl) : -1;
    const pl_access_type *first = &r->types[0];
    char style_field[64];
    snprintf(style_field, sizeof style_field, "%s_km", in->types->t[first->type].key);
    pl_style style = {PL_STYLE_GRADUATED, style_field, first->bands_km, first->n_bands_km, "km",
                      "platsa avstånd", "access", NULL};
    int geom_type = in->pop->is_polygon ? 6 /* wkbMultiPolygon */ : 1 /* wkbPoint */;
    pl_gpkg_layer *l = pl_gpkg_layer_add(g, "access_cells", geom_type, "Tillgänglighet per ruta", fl.defs, fl.n,
                                         &style, err);
    *out = l;
    int rc = l ? PL_OK : PL_EINTERNAL;
    /* Band labels made once per type, not per row. */
    pl_band_labels *lab_km = pl_calloc((size_t)r->n_types + 1, sizeof *lab_km);
    pl_band_labels *lab_min = pl_calloc((size_t)r->n_types + 1, sizeof *lab_min);
    for (int t = 0; t < r->n_types; t++) {
        pl_band_labels_init(&lab_km[t], r->types[t].bands_km, r->types[t].n_bands_km, "km");
        pl_band_labels_init(&lab_min[t], r->types[t].bands_min, r->types[t].n_bands_min, "min");
    }
    for (size_t c = 0; rc == PL_OK && c < r->n_cells; c++) {
        if (!r->cell_in_region[c])
            continue;
        pl_gpkg_row_begin(l);
        pl_gpkg_set_text(l, 0, in->pop->id[c]);
        pl_gpkg_set_text(l, 1, r->cell_muni[c] >= 0 ? in->munis->code[r->cell_muni[c]] : NULL);
        pl_gpkg_set_real(l, 2, in->pop->pop[c]);
        if (in->pop->age_pop)
            pl_gpkg_set_real(l, 3, in->pop->age_pop[c]);
        const pl_snap *sn = &r->cell_snap[c];
        pl_gpkg_set_real(l, 4, sn->status == PL_SNAP_NONE ? NAN : round_to(sn->access_m, 10));
        pl_gpkg_set_int(l, 5, sn->status != PL_SNAP_OK);
        pl_gpkg_set_int(l, 6, r->service_level[c]); /* pl_access_within, like the view */
        for (int t = 0; t < r->n_types; t++) {
            const pl_access_type *at = &r->types[t];
            const pl_label *d = &at->by_dist[c * 2], *tm = &at->by_time[c * 2];
            const type_columns *col = &cols[t];
            pl_gpkg_set_real(l, col->km, km_of(&d[0]));
            pl_gpkg_set_real(l, col->min, min_of(&tm[0]));
            pl_gpkg_set_real(l, col->km2, km_of(&d[1]));
            pl_gpkg_set_real(l, col->min2, min_of(&tm[1]));
            if (d[0].source != UINT32_MAX) {
                uint32_t si = at->service_index[d[0].source];
                pl_gpkg_set_text(l, col->id, in->svc->id[si]);
                pl_gpkg_set_text(l, col->name, in->svc->name[si]);
            }
            if (tm[0].source != UINT32_MAX)
                pl_gpkg_set_text(l, col->id_time, in->svc->id[at->service_index[tm[0].source]]);
            pl_gpkg_set_text(l, col->band_km, pl_band_labels_get(&lab_km[t],
                             pl_band_index(km_of(&d[0]), at->bands_km, at->n_bands_km)));
            pl_gpkg_set_text(l, col->band_min, pl_band_labels_get(&lab_min[t],
                             pl_band_index(min_of(&tm[0]), at->bands_min, at->n_bands_min)));
        }
        if (class_col >= 0) {
            pl_gpkg_set_int(l, class_col, in->classes->cls[c]);
            pl_gpkg_set_text(l, class_col + 1, pl_class_name_sv(in->classes->cls[c]));
        }
        /* A layer of both polygons and points is written as points (representative points). */
        if (in->pop->is_polygon)
            pl_gpkg_set_geos(l, in->pop->geom[c]);
        else
            pl_gpkg_set_xy(l, in->pop->x[c], in->pop->y[c]);
        rc = pl_gpkg_row_end(l, err);
    }
    for (int t = 0; t < r->n_types; t++) {
        pl_band_labels_free(&lab_km[t]);
        pl_band_labels_free(&lab_min[t]);
    }
    free(lab_km);
    free(lab_min);
    free(cols);
    pl_fields_free(&fl);
    return rc;
}

/* ---------- service_level ---------- */

/* A view over access_cells (pl_gpkg_view_add): its columns are access_cells' or follow from
 * them, so it repeats no geometry and needs no index of its own (a table of its own took
 * 113 MB of the 770 MB national output and a quarter of the writer thread). */
static int write_service_level(pl_gpkg *g, pl_gpkg_layer *cells, const access_inputs *in, const pl_access_result *r,
                               double within_km, pl_error *err)
{
    int n = 5 + r->n_types;
    pl_view_column *cols = pl_calloc((size_t)n, sizeof *cols);
    char (*names)[96] = pl_calloc((size_t)n, sizeof *names);
    char (*aliases)[256] = pl_calloc((size_t)n, sizeof *aliases);
    char (*sql)[192] = pl_calloc((size_t)n, sizeof *sql);
    char km[32];
    snprintf(km, sizeof km, "%.17g", within_km);  /* reads back as the same double */
    cols[0] = (pl_view_column){{"cell_id", PL_FIELD_TEXT, "Ruta/område", "population unit id"}, NULL};
    cols[1] = (pl_view_column){{"kommun", PL_FIELD_TEXT, "Kommunkod", "municipality code"}, NULL};
    cols[2] = (pl_view_column){{"pop", PL_FIELD_REAL, "Befolkning", "residents"}, NULL};
    snprintf(aliases[3], sizeof aliases[3], "Antal servicetyper inom %g km", within_km);
    cols[3] = (pl_view_column){{"service_level", PL_FIELD_INT, aliases[3],
                                "number of service types within the threshold"}, NULL};
    int n_level = pl_access_level_types(r);
    snprintf(sql[4], sizeof sql[4], "%d", n_level);
    cols[4] = (pl_view_column){{"types_total", PL_FIELD_INT, "Antal analyserade servicetyper",
                                "service types analysed"}, sql[4]};
    for (int t = 0; t < r->n_types; t++) {
        const pl_service_type *ty = &in->types->t[r->types[t].type];
        int i = 5 + t;
        snprintf(names[i], sizeof names[i], "%s_within", ty->key);
        snprintf(aliases[i], sizeof aliases[i], "%s inom %g km", ty->label_sv, within_km);
        /* within(): NULL (unreachable) is outside. */
        snprintf(sql[i], sizeof sql[i], "coalesce(\"%s_km\" <= %s, 0)", ty->key, km);
        cols[i] = (pl_view_column){{names[i], PL_FIELD_INT, aliases[i], "1 if the nearest is within the threshold"},
                                   sql[i]};
    }
    double breaks[PL_MAX_TYPES];
    for (int i = 0; i < n_level && i < PL_MAX_TYPES; i++)
        breaks[i] = i;  /* one class per count 0..n-1, then "> n-1" = all types */
    pl_style style = {PL_STYLE_GRADUATED, "service_level", breaks, n_level, "typer", "platsa servicenivå", "green", NULL};
    pl_gpkg_layer *l = pl_gpkg_view_add(g, "service_level", "Kombinerad servicenivå per ruta", cells, cols, n, &style,
                                        err);
    free(cols);
    free(names);
    free(aliases);
    free(sql);
    return l ? PL_OK : err->code;
}

/* ---------- access_municipalities (polygons) and its twin table ---------- */

static void band_fields(pl_field_list *fl, const char *key, const char *label, const char *metric, const char *unit,
                        const double *bounds, int n, const char *what, const char *what_sv)
{
    char name[128], alias[256], lo[32], hi[32];
    for (int i = 0; i <= n; i++) {
        pl_band_token(lo, sizeof lo, i ? bounds[i - 1] : 0);
        if (i < n) {
            pl_band_token(hi, sizeof hi, bounds[i]);
            snprintf(name, sizeof name, "%s_%s_%s_%s_%s", key, what, metric, lo, hi);
            snprintf(alias, sizeof alias, "%s: %s %g–%g %s", label, what_sv, i ? bounds[i - 1] : 0.0, bounds[i], unit);
        } else {
            snprintf(name, sizeof name, "%s_%s_%s_over_%s", key, what, metric, lo);
            snprintf(alias, sizeof alias, "%s: %s över %g %s", label, what_sv, bounds[n - 1], unit);
        }
        pl_fields_add(fl, name, PL_FIELD_REAL, alias, NULL);
    }
    snprintf(name, sizeof name, "%s_%s_%s_unreachable", key, what, metric);
    snprintf(alias, sizeof alias, "%s: %s ej nåbar (%s)", label, what_sv, unit);
    pl_fields_add(fl, name, PL_FIELD_REAL, alias, "no road connection to any service of the type");
}

static void muni_fields(pl_field_list *fl, const pl_access_result *r, const pl_service_types *st)
{
    pl_fields_add(fl, "kommun", PL_FIELD_TEXT, "Kommunkod", "municipality code");
    pl_fields_add(fl, "namn", PL_FIELD_TEXT, "Kommun", "municipality name");
    pl_fields_add(fl, "pop", PL_FIELD_REAL, "Befolkning", "residents in the analysed units");
    pl_fields_add(fl, "pop_age", PL_FIELD_REAL, "Befolkning i åldersgruppen", NULL);
    char name[128], alias[256];
    for (int t = 0; t < r->n_types; t++) {
        const pl_access_type *at = &r->types[t];
        const pl_service_type *ty = &st->t[at->type];
        const char *k = ty->key, *lab = ty->label_sv;
#define ADD(suffix, ftype, alias_fmt, desc)                          \
    snprintf(name, sizeof name, "%s_%s", k, suffix);                 \
    snprintf(alias, sizeof alias, alias_fmt, lab);                   \
    pl_fields_add(fl, name, ftype, alias, desc)
        ADD("services", PL_FIELD_INT, "%s: antal i kommunen", "services of the type inside the municipality");
        ADD("mean_km", PL_FIELD_REAL, "%s: medelavstånd (km)", "population-weighted mean distance");
        ADD("median_km", PL_FIELD_REAL, "%s: medianavstånd (km)", "population-weighted median distance");
        ADD("mean_min", PL_FIELD_REAL, "%s: medelrestid (min)", "population-weighted mean time");
        ADD("median_min", PL_FIELD_REAL, "%s: medianrestid (min)", "population-weighted median time");
#undef ADD
        band_fields(fl, k, lab, "km", "km", at->bands_km, at->n_bands_km, "pop", "befolkning");
        band_fields(fl, k, lab, "km", "km", at->bands_km, at->n_bands_km, "share", "andel");
        band_fields(fl, k, lab, "min", "min", at->bands_min, at->n_bands_min, "pop", "befolkning");
        band_fields(fl, k, lab, "min", "min", at->bands_min, at->n_bands_min, "share", "andel");
        if (r->has_age) {
            snprintf(name, sizeof name, "%s_age_mean_km", k);
            snprintf(alias, sizeof alias, "%s: åldersgruppens medelavstånd (km)", lab);
            pl_fields_add(fl, name, PL_FIELD_REAL, alias, NULL);
            snprintf(name, sizeof name, "%s_age_mean_min", k);
            snprintf(alias, sizeof alias, "%s: åldersgruppens medelrestid (min)", lab);
            pl_fields_add(fl, name, PL_FIELD_REAL, alias, NULL);
            band_fields(fl, k, lab, "km", "km", at->bands_km, at->n_bands_km, "age", "åldersgrupp");
            band_fields(fl, k, lab, "min", "min", at->bands_min, at->n_bands_min, "age", "åldersgrupp");
        }
    }
}

static double share(double part, double whole) { return whole > 0 ? round_to(part / whole, 10000) : NAN; }
static double km(double v) { return round_to(v, 1000); }
static double minutes(double v) { return round_to(v, 100); }

/* Sets the values of one summary row (fields in the order muni_fields declares them). */
static void set_muni_row(pl_gpkg_layer *l, const pl_access_result *r, const pl_access_stats *stats,
                         const char *code, const char *name)
{
    int f = 0;
    pl_gpkg_set_text(l, f++, code);
    pl_gpkg_set_text(l, f++, name);
    pl_gpkg_set_real(l, f++, people(stats[0].pop));
    if (r->has_age)
        pl_gpkg_set_real(l, f, people(stats[0].pop_age));
    f++;
    for (int t = 0; t < r->n_types; t++) {
        const pl_access_type *at = &r->types[t];
        const pl_access_stats *s = &stats[t];
        pl_gpkg_set_int(l, f++, s->n_services);
        pl_gpkg_set_real(l, f++, km(s->mean_km));
        pl_gpkg_set_real(l, f++, km(s->median_km));
        pl_gpkg_set_real(l, f++, minutes(s->mean_min));
        pl_gpkg_set_real(l, f++, minutes(s->median_min));
        for (int i = 0; i < at->n_bands_km + 2; i++)
            pl_gpkg_set_real(l, f++, people(s->pop_band_km[i]));
        for (int i = 0; i < at->n_bands_km + 2; i++)
            pl_gpkg_set_real(l, f++, share(s->pop_band_km[i], s->pop));
        for (int i = 0; i < at->n_bands_min + 2; i++)
            pl_gpkg_set_real(l, f++, people(s->pop_band_min[i]));
        for (int i = 0; i < at->n_bands_min + 2; i++)
            pl_gpkg_set_real(l, f++, share(s->pop_band_min[i], s->pop));
        if (r->has_age) {
            pl_gpkg_set_real(l, f++, km(s->age_mean_km));
            pl_gpkg_set_real(l, f++, minutes(s->age_mean_min));
            for (int i = 0; i < at->n_bands_km + 2; i++)
                pl_gpkg_set_real(l, f++, people(s->age_band_km[i]));
            for (int i = 0; i < at->n_bands_min + 2; i++)
                pl_gpkg_set_real(l, f++, people(s->age_band_min[i]));
        }
    }
}

static int write_municipalities(pl_gpkg *g, const access_inputs *in, const pl_access_result *r, pl_error *err)
{
    pl_field_list fl = {0};
    muni_fields(&fl, r, in->types);
    const pl_access_type *first = &r->types[0];
    char style_field[64];
    snprintf(style_field, sizeof style_field, "%s_mean_km", in->types->t[first->type].key);
    pl_style style = {PL_STYLE_GRADUATED, style_field, first->bands_km, first->n_bands_km, "km",
                      "platsa medelavstånd", "access", NULL};
    pl_gpkg_layer *poly = pl_gpkg_layer_add(g, "access_municipalities", 6, "Tillgänglighet per kommun", fl.defs,
                                            fl.n, &style, err);
    pl_gpkg_layer *table = poly ? pl_gpkg_layer_add(g, "access_municipalities_table", 100,
                                                    "Tillgänglighet per kommun (tabell)", fl.defs, fl.n, NULL, err)
                                : NULL;
    int rc = table ? PL_OK : PL_EINTERNAL;
    for (size_t m = 0; rc == PL_OK && m < in->munis->n; m++) {
        const pl_access_stats *stats = &r->muni_stats[m * (size_t)r->n_types];
        if (stats[0].n_cells == 0)
            continue;  /* only municipalities with reported units */
        pl_gpkg_row_begin(poly);
        set_muni_row(poly, r, stats, in->munis->code[m], in->munis->name[m]);
        pl_gpkg_set_geos(poly, in->munis->geom[m]);
        rc = pl_gpkg_row_end(poly, err);
        if (rc != PL_OK)
            break;
        pl_gpkg_row_begin(table);
        set_muni_row(table, r, stats, in->munis->code[m], in->munis->name[m]);
        rc = pl_gpkg_row_end(table, err);
    }
    if (rc == PL_OK) {  /* closing row: all reported units together */
        pl_gpkg_row_begin(table);
        set_muni_row(table, r, r->total_stats, "totalt", "Alla analyserade");
        rc = pl_gpkg_row_end(table, err);
    }
    pl_fields_free(&fl);
    return rc;
}

/* ---------- data_checks: where the service list looks incomplete ---------- */

static int write_checks(pl_gpkg *g, const access_inputs *in, const pl_access_result *r,
                        const pl_access_checks *c, pl_error *err)
{
    static const pl_field_def defs[] = {
        {"kontroll", PL_FIELD_TEXT, "Kontroll", "none_in_kommun: no service of the type in the data; "
                                                "few_for_population: far fewer per resident than the median kommun"},
        {"kommun", PL_FIELD_TEXT, "Kommunkod", NULL},
        {"namn", PL_FIELD_TEXT, "Kommun", NULL},
        {"typ", PL_FIELD_TEXT, "Servicetyp (nyckel)", NULL},
        {"typ_namn", PL_FIELD_TEXT, "Servicetyp", NULL},
        {"pop", PL_FIELD_REAL, "Befolkning", NULL},
        {"antal", PL_FIELD_INT, "Antal i kommunen (i underlaget)", NULL},
        {"per_st", PL_FIELD_REAL, "Invånare per st.", NULL},
        {"median_per_st", PL_FIELD_REAL, "Mediankommunens invånare per st.", NULL},
        {"meddelande", PL_FIELD_TEXT, "Meddelande", NULL},
    };
    pl_gpkg_layer *l = pl_gpkg_layer_add(g, "data_checks", 100, "Datakontroller: kan servicelistan vara ofullständig?",
                                         defs, (int)(sizeof defs / sizeof defs[0]), NULL, err);
    if (!l)
        return err->code ? (int)err->code : PL_EINTERNAL;
    for (size_t i = 0; i < c->n; i++) {
        const pl_access_check *k = &c->rows[i];
        const pl_access_stats *s = &r->muni_stats[k->muni * (size_t)r->n_types + (size_t)k->type_slot];
        const pl_service_type *ty = &in->types->t[r->types[k->type_slot].type];
        char msg[1024];
        pl_access_check_message(k, in->munis, in->types, r, msg, sizeof msg);
        pl_gpkg_row_begin(l);
        pl_gpkg_set_text(l, 0, k->kind);
        pl_gpkg_set_text(l, 1, in->munis->code[k->muni]);
        pl_gpkg_set_text(l, 2, in->munis->name[k->muni]);
        pl_gpkg_set_text(l, 3, ty->key);
        pl_gpkg_set_text(l, 4, ty->label_sv);
        pl_gpkg_set_real(l, 5, people(s->pop));
        pl_gpkg_set_int(l, 6, s->n_services);
        if (s->n_services > 0)
            pl_gpkg_set_real(l, 7, round_to(s->pop / (double)s->n_services, 1));
        if (isfinite(k->reference))
            pl_gpkg_set_real(l, 8, round_to(k->reference, 1));
        pl_gpkg_set_text(l, 9, msg);
        int rc = pl_gpkg_row_end(l, err);
        if (rc != PL_OK)
            return rc;
    }
    return PL_OK;
}

/* ---------- access_by_class (long format: municipality x class x type) ---------- */

static int write_by_class(pl_gpkg *g, const access_inputs *in, const pl_access_result *r, pl_error *err)
{
    static const pl_field_def fields[] = {
        {"kommun", PL_FIELD_TEXT, "Kommunkod", NULL},
        {"namn", PL_FIELD_TEXT, "Kommun", NULL},
        {"class", PL_FIELD_INT, "Klass", "1 tätort, 2 tätortsnära landsbygd, 3 landsbygd avlägset belägen"},
        {"class_name", PL_FIELD_TEXT, "Klassnamn", NULL},
        {"type", PL_FIELD_TEXT, "Servicetyp", NULL},
        {"type_name", PL_FIELD_TEXT, "Servicetyp (namn)", NULL},
        {"pop", PL_FIELD_REAL, "Befolkning", NULL},
        {"mean_km", PL_FIELD_REAL, "Medelavstånd (km)", NULL},
        {"median_km", PL_FIELD_REAL, "Medianavstånd (km)", NULL},
        {"mean_min", PL_FIELD_REAL, "Medelrestid (min)", NULL},
        {"median_min", PL_FIELD_REAL, "Medianrestid (min)", NULL},
        {"pop_over_km", PL_FIELD_REAL, "Befolkning över sista avståndsgränsen", "beyond the last km band"},
        {"share_over_km", PL_FIELD_REAL, "Andel över sista avståndsgränsen", NULL},
        {"pop_over_min", PL_FIELD_REAL, "Befolkning över sista restidsgränsen", "beyond the last minute band"},
        {"share_over_min", PL_FIELD_REAL, "Andel över sista restidsgränsen", NULL},
        {"pop_unreachable", PL_FIELD_REAL, "Befolkning utan vägförbindelse", NULL},
    };
    const int n_fields = (int)(sizeof fields / sizeof fields[0]);
    /* Groups: municipality m, class k -> m * 3 + (k - 1); then 3 groups for all municipalities. */
    size_t n_munis = in->munis->n, n_groups = (n_munis + 1) * PL_N_CLASSES;
    long *group = pl_malloc((r->n_cells ? r->n_cells : 1) * sizeof *group);
    long *group_all = pl_malloc((r->n_cells ? r->n_cells : 1) * sizeof *group_all);
    for (size_t c = 0; c < r->n_cells; c++) {
        long k = in->classes->cls[c] - 1;
        group[c] = r->cell_muni[c] >= 0 ? r->cell_muni[c] * PL_N_CLASSES + k : -1;
        group_all[c] = (long)(n_munis * PL_N_CLASSES) + k;
    }
    pl_access_stats *stats = pl_malloc(n_groups * (size_t)r->n_types * sizeof *stats);
    pl_access_stats *stats_all = pl_malloc(n_groups * (size_t)r->n_types * sizeof *stats_all);
    pl_access_group_stats(r, in->pop, group, n_groups, stats);
    pl_access_group_stats(r, in->pop, group_all, n_groups, stats_all);
    pl_gpkg_layer *l = pl_gpkg_layer_add(g, "access_by_class", 100, "Tillgänglighet per kommun och territoriell klass",
                                         fields, n_fields, NULL, err);
    int rc = l ? PL_OK : PL_EINTERNAL;
    for (size_t m = 0; rc == PL_OK && m <= n_munis; m++)
        for (int k = 0; rc == PL_OK && k < PL_N_CLASSES; k++)
            for (int t = 0; rc == PL_OK && t < r->n_types; t++) {
                size_t gi = (m * PL_N_CLASSES + (size_t)k) * (size_t)r->n_types + (size_t)t;
                const pl_access_stats *st = m < n_munis ? &stats[gi] : &stats_all[gi];
                if (st->n_cells == 0)
                    continue;
                const pl_access_type *at = &r->types[t];
                const pl_service_type *ty = &in->types->t[at->type];
                pl_gpkg_row_begin(l);
                pl_gpkg_set_text(l, 0, m < n_munis ? in->munis->code[m] : "totalt");
                pl_gpkg_set_text(l, 1, m < n_munis ? in->munis->name[m] : "Alla analyserade");
                pl_gpkg_set_int(l, 2, k + 1);
                pl_gpkg_set_text(l, 3, pl_class_name_sv(k + 1));
                pl_gpkg_set_text(l, 4, ty->key);
                pl_gpkg_set_text(l, 5, ty->label_sv);
                pl_gpkg_set_real(l, 6, people(st->pop));
                pl_gpkg_set_real(l, 7, km(st->mean_km));
                pl_gpkg_set_real(l, 8, km(st->median_km));
                pl_gpkg_set_real(l, 9, minutes(st->mean_min));
                pl_gpkg_set_real(l, 10, minutes(st->median_min));
                pl_gpkg_set_real(l, 11, people(st->pop_band_km[at->n_bands_km]));
                pl_gpkg_set_real(l, 12, share(st->pop_band_km[at->n_bands_km], st->pop));
                pl_gpkg_set_real(l, 13, people(st->pop_band_min[at->n_bands_min]));
                pl_gpkg_set_real(l, 14, share(st->pop_band_min[at->n_bands_min], st->pop));
                pl_gpkg_set_real(l, 15, people(st->pop_band_km[at->n_bands_km + 1]));
                rc = pl_gpkg_row_end(l, err);
            }
    free(stats);
    free(stats_all);
    free(group);
    free(group_all);
    return rc;
}

/* ---------- pipeline ---------- */

void pl_access_free_inputs(pl_ctx *ctx, pl_access_inputs *in)
{
    pl_classify_result_free(in->classes);
    pl_localities_free(ctx, in->localities);
    pl_graph_free(in->graph);
    if (in->roads)
        pl_roads_free(in->roads);
    pl_services_free(in->svc);
    pl_population_free(ctx, in->pop);
    pl_municipalities_free(ctx, in->munis);
    pl_service_types_free(in->types);
}

/* The roads and their graph are read and built on a second thread while the population,
 * services and municipalities are read (the two take about the same time on the national
 * data). The thread has its own context (GEOS handle, warnings); its warnings are added to
 * the caller's after the join, in the order a serial run gives (roads after the other
 * inputs), and its info lines go to stderr as they happen. */
typedef struct roads_job {
    pl_ctx *ctx;                 /* the thread's own */
    const char *spec;
    pl_load_opts lo;
    pl_graph_opts gopts;
    int build;                   /* also build the graph */
    pl_roads *roads;
    pl_graph *graph;
    int rc;
    pl_error err;
    double t_roads, t_graph;     /* wall seconds of the two steps */
} roads_job;

static int roads_work(void *arg)
{
    roads_job *J = arg;
    if (J->build) {
        pl_network_stats ns;
        J->rc = pl_network_load(J->ctx, J->spec, &J->lo, &J->gopts, &J->roads, &J->graph, &ns, &J->err);
        J->t_roads = ns.roads_s;
        J->t_graph = ns.graph_s;
        return PL_OK;
    }
    double t0 = now_s();
    J->roads = pl_roads_load(J->ctx, J->spec, &J->lo, &J->err);
    J->t_roads = now_s() - t0;
    J->rc = J->roads ? PL_OK : J->err.code;
    return PL_OK;
}

/* Out of memory on this thread is an error like any other, seen after the join. */
static void *roads_thread(void *arg)
{
    roads_job *J = arg;
    pl_error oom = {0};
    if (pl_oom_guard(roads_work, J, NULL, &oom) != PL_OK) {
        J->rc = oom.code;
        J->err = oom;
    }
    return NULL;
}

/* The roads thread, for the out-of-memory path: it finishes, then the run unwinds (gis/ctx.h,
 * pl_oom_hold_wait). */
typedef struct roads_waiter {
    pthread_t tid;
    int threaded;
} roads_waiter;

static void join_roads_thread(void *arg)
{
    roads_waiter *w = arg;
    if (w->threaded)
        pthread_join(w->tid, NULL);
    w->threaded = 0;
}

/* gopts NULL: the roads only (pl_access_load_inputs); else the graph too (in->graph). */
static int load_inputs(pl_ctx *ctx, const pl_access_opts *o, const pl_graph_opts *gopts, access_inputs *in,
                       double *t_load, double *t_graph, pl_error *err)
{
    double t0 = now_s();
    if (pl_attach_check(o->max_snap_m, o->max_service_snap_m, 1, err) != PL_OK)
        return err->code;
    pl_load_opts lo = {.assume_crs = o->assume_crs, .road = o->road};
    roads_job J = {.spec = o->roads, .lo = lo, .build = gopts != NULL};
    if (gopts)
        J.gopts = *gopts;
    J.ctx = pl_ctx_new_child(ctx);
    roads_waiter waiter = {.threaded = 0};
    pl_oom_hold_wait(join_roads_thread, &waiter);  /* the roads thread works on J, reads the caller's options */
    waiter.threaded = pthread_create(&waiter.tid, NULL, roads_thread, &J) == 0;
    int threaded = waiter.threaded;
    if (!threaded)  /* no thread to be had: the same work, in turn */
        roads_thread(&J);
    int rc = PL_OK;
    in->types = pl_service_types_load(ctx, o->service_types_file, err);
    if (!in->types)
        rc = err->code;
    pl_progress(ctx, 0.0, "loading inputs");
    if (rc == PL_OK) {
        pl_load_opts mo = lo;
        mo.code_field = o->muni_code_field;
        mo.name_field = o->muni_name_field;
        in->munis = pl_municipalities_load(ctx, o->municipalities, &mo, err);
        if (!in->munis)
            rc = err->code;
    }
    if (rc == PL_OK) {
        pl_load_opts po = lo;
        po.value_field = o->pop_field;
        po.age_field = o->age_field;
        po.id_field = o->id_field;
        in->pop = pl_population_load(ctx, o->population, &po, err);
        if (!in->pop)
            rc = err->code;
    }
    if (rc == PL_OK) {
        pl_load_opts so = lo;
        so.type_field = o->type_field;
        in->svc = pl_services_load(ctx, o->services, in->types, &so, err);
        if (!in->svc)
            rc = err->code;
    }
    double t_main = now_s() - t0;
    join_roads_thread(&waiter);
    pl_oom_release();
    pl_ctx_merge_warnings(ctx, J.ctx);
    pl_ctx_free(J.ctx);
    in->roads = J.roads;
    in->graph = J.graph;
    if (rc == PL_OK && J.rc != PL_OK) {
        rc = J.rc;
        *err = J.err;
    }
    /* The critical path: reading (the longer of the two threads' reads), then what is left. */
    *t_load = t_main > J.t_roads ? t_main : J.t_roads;
    *t_graph = now_s() - t0 - *t_load;
    if (*t_graph < 0)
        *t_graph = 0;
    if (rc == PL_OK)
        pl_progress(ctx, 1.0, "loading inputs");
    return rc;
}

int pl_access_load_inputs(pl_ctx *ctx, const pl_access_opts *o, pl_access_inputs *in, pl_error *err)
{
    double t_load, t_graph;
    return load_inputs(ctx, o, NULL, in, &t_load, &t_graph, err);
}

int pl_access_load_inputs_graph(pl_ctx *ctx, const pl_access_opts *o, const pl_graph_opts *gopts,
                                pl_access_inputs *in, pl_error *err)
{
    double t_load, t_graph;
    pl_progress(ctx, 0.0, "loading inputs and building road graph");
    int rc = load_inputs(ctx, o, gopts, in, &t_load, &t_graph, err);
    pl_progress(ctx, 1.0, "loading inputs and building road graph");
    return rc;
}

/* The types to analyse: those asked for, else every RSP type with at least one service. */
int pl_access_resolve_types(const pl_access_opts *o, const pl_access_inputs *in, int *types, int *n_types,
                            pl_error *err)
{
    *n_types = 0;
    const pl_service_types *st = in->types;
    if (o->types.n > 0) {
        for (int i = 0; i < o->types.n; i++) {
            int t = pl_service_types_find(st, o->types.v[i]);
            if (t < 0) {
                char known[2048] = "";
                for (int k = 0; k < st->n; k++) {
                    size_t used = strlen(known);
                    snprintf(known + used, sizeof known - used, "%s%s", k ? ", " : "", st->t[k].key);
                }
                return pl_error_set(err, PL_EINPUT, "--types: unknown service type '%s'; known types: %s",
                                    o->types.v[i], known);
            }
            types[(*n_types)++] = t;
        }
        return PL_OK;
    }
    /* Group types first (e.g. grocery of any assortment, the RSP headline), then the rest,
     * each in registry order; the first type gives the maps their default style. */
    for (int pass = 0; pass < 2; pass++)
        for (int t = 0; t < st->n; t++) {
            if (!st->t[t].rsp || (pass == 0) != (st->t[t].n_includes > 0))
                continue;
            for (size_t s = 0; s < in->svc->n; s++)
                if (pl_service_types_counts_for(st, t, in->svc->type[s])) {
                    types[(*n_types)++] = t;
                    break;
                }
        }
    if (*n_types == 0)
        return pl_error_set(err, PL_EINPUT, "%s: no service maps to an RSP service type; check --type-field or give --types",
                            in->svc->source ? in->svc->source : o->services);
    return PL_OK;
}

/* hashes: the inputs' hashes if already started (taken over), else NULL. */
static int write_output(pl_ctx *ctx, const pl_access_opts *o, const char *command_line, const access_inputs *in,
                        const pl_access_result *r, pl_gpkg_hashes *hashes, pl_error *err)
{
    const char *inputs[] = {o->population, o->services, o->roads, o->municipalities, o->localities, NULL};
    pl_gpkg_opts go = {.overwrite = o->overwrite, .csv = o->csv, .command_line = command_line, .inputs = inputs,
                       .hashes = hashes,
                       .expected_rows = (long long)r->n_cells /* access_cells (service_level is a view) */};
    pl_gpkg *g = pl_gpkg_create(ctx, o->output, &go, err);
    if (!g)
        return err->code;
    char value[64];
    pl_gpkg_add_parameter(g, "analysis", "access");
    pl_gpkg_add_parameter(g, "mode", o->mode);
    snprintf(value, sizeof value, "%g", o->within_km);
    pl_gpkg_add_parameter(g, "within_km", value);
    snprintf(value, sizeof value, "%g", o->max_snap_m);
    pl_gpkg_add_parameter(g, "max_snap_m", value);
    snprintf(value, sizeof value, "%g", o->max_service_snap_m);
    pl_gpkg_add_parameter(g, "max_service_snap_m", value);
    pl_gpkg_add_parameter(g, "region", o->region ? o->region : "");
    pl_gpkg_add_parameter(g, "crs", ctx->work_crs);
    snprintf(value, sizeof value, "%.0f", r->pop_total);
    pl_gpkg_add_parameter(g, "population_total", value);
    pl_gpkg_layer *cells = NULL;
    int rc = write_cells(g, in, r, &cells, err);
    if (rc == PL_OK)
        rc = write_service_level(g, cells, in, r, o->within_km, err);
    if (rc == PL_OK)
        rc = write_municipalities(g, in, r, err);
    if (rc == PL_OK && in->classes)
        rc = write_by_class(g, in, r, err);
    if (rc == PL_OK) {
        pl_access_checks *checks = pl_access_checks_run(ctx, in->munis, in->types, r);
        rc = write_checks(g, in, r, checks, err);
        pl_access_checks_free(checks);
    }
    if (rc == PL_OK)
        rc = pl_write_unattached_units(g, in->pop, r->cell_snap, r->cell_in_region, err);
    if (rc == PL_OK)
        rc = pl_write_unattached_services(g, in->svc, in->types, r->svc_snap, err);
    if (rc != PL_OK) {
        pl_gpkg_abort(g);
        return rc;
    }
    return pl_gpkg_commit(g, err);
}

/* --classify: Tillväxtverket's classes by car time, whatever the access mode. */
static int classify_cells(pl_ctx *ctx, const pl_access_opts *o, const pl_graph_opts *access_graph_opts,
                          access_inputs *in, pl_error *err)
{
    if (!o->localities)
        return pl_error_set(err, PL_EINPUT, "--classify needs --localities (tätorter with population)");
    pl_load_opts lo = {.assume_crs = o->assume_crs, .value_field = o->locality_pop_field};
    in->localities = pl_localities_load(ctx, o->localities, &lo, err);
    if (!in->localities)
        return err->code;
    pl_graph *car = in->graph;
    if (access_graph_opts->mode != PL_MODE_CAR) {
        pl_graph_opts go = *access_graph_opts;
        go.mode = PL_MODE_CAR;
        go.cache_path = NULL;
        car = pl_graph_build(ctx, in->roads, &go, err);
        if (!car)
            return err->code;
    }
    pl_classify_params p = {5, 45, 3000, o->max_snap_m};
    int rc = pl_classify_compute(ctx, in->pop, in->localities, in->roads, car, &p, &in->classes, err);
    if (car != in->graph)
        pl_graph_free(car);
    return rc;
}

static int access_run(pl_ctx *ctx, const pl_access_opts *o, const char *command_line, pl_error *err)
{
    double t_start = now_s(), t0 = t_start, t_load = 0, t_graph = 0, t_classify = 0, t_write = 0;
    double c_start = cpu_s(), c0 = c_start, c_load = 0, c_graph = 0, c_classify = 0, c_write = 0;
    if (o->crs)
        snprintf(ctx->work_crs, sizeof ctx->work_crs, "%s", o->crs);
    pl_graph_opts gopts;
    pl_graph_opts_default(&gopts);
    if (pl_mode_from_name(o->mode, &gopts.mode) != PL_OK)
        return pl_error_set(err, PL_EINPUT, "--mode '%s': use car, bike or walk", o->mode);
    gopts.cache_path = o->graph_cache;
    const char *cache_inputs[] = {o->population, o->services, o->roads, o->municipalities, o->localities,
                                  o->service_types_file};
    if (pl_graph_cache_check_path(o->graph_cache, cache_inputs, 6, &o->output, 1, err) != PL_OK)
        return err->code;
    access_inputs in = {0};
    const char *inputs[] = {o->population, o->services, o->roads, o->municipalities, o->localities, NULL};
    /* Every file of the run checked before the work (the CSV twins too). */
    const char *twins[] = {"access_municipalities_table", o->classify ? "access_by_class" : NULL, NULL};
    pl_gpkg_opts check = {.overwrite = o->overwrite, .csv = o->csv, .inputs = inputs};
    if (pl_gpkg_check_output(o->output, &check, twins, err) != PL_OK)
        return err->code;
    /* The output records its inputs' hashes: computed from now on, at the lowest priority. */
    pl_gpkg_hashes *hashes = pl_gpkg_hashes_start(inputs);
    int rc = load_inputs(ctx, o, &gopts, &in, &t_load, &t_graph, err);
    int types[PL_MAX_TYPES], n_types = 0;
    if (rc == PL_OK)
        rc = pl_access_resolve_types(o, &in, types, &n_types, err);
    c_load = cpu_s() - c0;  /* loading and the graph build overlap: their CPU is counted together */
    c_graph = 0;
    pl_access_result *r = NULL;
    if (rc == PL_OK) {
        pl_access_params p = {.types = types, .n_types = n_types, .mode = gopts.mode, .within_km = o->within_km,
                              .region = o->region, .max_snap_m = o->max_snap_m,
                              .max_service_snap_m = o->max_service_snap_m, .bands_km = &o->bands_km,
                              .bands_min = &o->bands_min};
        rc = pl_access_compute(ctx, in.pop, in.svc, in.types, in.munis, in.roads, in.graph, &p, &r, err);
    }
    t0 = now_s();
    c0 = cpu_s();
    if (rc == PL_OK && o->classify)
        rc = classify_cells(ctx, o, &gopts, &in, err);
    t_classify = now_s() - t0;
    c_classify = cpu_s() - c0;
    t0 = now_s();
    c0 = cpu_s();
    if (rc == PL_OK)
        rc = write_output(ctx, o, command_line, &in, r, hashes, err);
    else
        pl_gpkg_hashes_free(hashes);
    t_write = now_s() - t0;
    c_write = cpu_s() - c0;
    if (rc == PL_OK)
        pl_info(ctx, "platsa access: %zu units, %.0f residents, %d service types -> %s", r->n_cells, r->pop_total,
                r->n_types, o->output);
    if (rc == PL_OK && ctx->verbose)  /* one line, read by bench/run_bench.sh */
        pl_info(ctx, "timings (s): load %.3f graph %.3f%s snap %.3f search %.3f summaries %.3f classify %.3f "
                "write %.3f total %.3f", t_load, t_graph, in.graph && in.graph->from_cache ? " (cache)" : "",
                r->t_snap_s, r->t_search_s, r->t_stats_s, t_classify, t_write, now_s() - t_start);
    if (rc == PL_OK && ctx->verbose)
        pl_info(ctx, "cpu (s): load %.3f graph %.3f snap %.3f search %.3f summaries %.3f classify %.3f write %.3f "
                "total %.3f", c_load, c_graph, r->c_snap_s, r->c_search_s, r->c_stats_s, c_classify, c_write,
                cpu_s() - c_start);
    pl_access_result_free(r);
    pl_access_free_inputs(ctx, &in);
    return rc;
}

typedef struct access_call {
    pl_ctx *ctx;
    const pl_access_opts *o;
    const char *command_line;
    pl_error *err;
} access_call;

static int access_call_run(void *arg)
{
    access_call *c = arg;
    return access_run(c->ctx, c->o, c->command_line, c->err);
}

int pl_access_run(pl_ctx *ctx, const pl_access_opts *o, const char *command_line, pl_error *err)
{
    access_call c = {ctx, o, command_line, err};
    return pl_oom_guard(access_call_run, &c, pl_run_unwind, err);
}
