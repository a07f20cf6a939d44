/* SPDX-License-Identifier: GPL-3.0-or-later */
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
#include "access_areas.h"
#include "access_checks.h"
#include "access_styles.h"
#include "access_transit.h"
#include "analyses/common/attach.h"
#include "analyses/classify/classify.h"
#include "analyses/common/fields.h"
#include "gis/util.h"
#include "analyses/common/run.h"

typedef pl_access_inputs access_inputs;

/* A layer's name: base, or base_MODE for one mode's layers of a multi-mode run (sfx). */
static const char *lname(char *buf, size_t size, const char *base, const char *sfx)
{
    if (!sfx || !*sfx)
        return base;
    snprintf(buf, size, "%s_%s", base, sfx);
    return buf;
}

/* A layer's title: the same, with the mode in Swedish for a multi-mode run (titles are unique
 * in a GeoPackage too). */
static const char *ltitle(char *buf, size_t size, const char *title, const char *sfx)
{
    if (!sfx || !*sfx)
        return title;
    const char *sv = strcmp(sfx, "car") == 0 ? "bil" : strcmp(sfx, "bike") == 0 ? "cykel" : "gång";
    snprintf(buf, size, "%s (%s)", title, sv);
    return buf;
}

/* ---------- access_cells ---------- */

typedef struct type_columns {
    int km, min, km2, min2, id, name, id_time, band_km, band_min;
    int walk_min, pct[PL_TRANSIT_MAX_PCT];   /* --mode transit only */
} type_columns;

/* tr: the transit figures (--mode transit), else NULL. */
static void cell_fields(pl_field_list *fl, const pl_access_result *r, const pl_service_types *st,
                        const pl_transit_result *tr, const double *pct, type_columns *cols)
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
        ADD(km, "km", PL_FIELD_REAL, "%s: avstånd (km)",
            tr ? "walking distance to the nearest along the walk network, km (a bus journey has no road km)"
               : "road distance to the nearest, km");
        ADD(min, "min", PL_FIELD_REAL, "%s: restid (min)",
            tr ? "travel time by public transport and walking to the nearest, first --percentiles over the "
                 "window, minutes; NULL: no connection within the window"
               : "travel time to the nearest by time, minutes");
        ADD(km2, "km_2nd", PL_FIELD_REAL, "%s: avstånd till näst närmaste (km)", "road distance to the second nearest, km");
        ADD(min2, "min_2nd", PL_FIELD_REAL, "%s: restid till näst närmaste (min)", "travel time to the second nearest, minutes");
        ADD(id, "id", PL_FIELD_TEXT, "%s: närmaste (id)", "id of the nearest by distance");
        ADD(name, "name", PL_FIELD_TEXT, "%s: närmaste (namn)", "name of the nearest by distance");
        ADD(id_time, "id_time", PL_FIELD_TEXT, "%s: närmaste i tid (id)", "id of the nearest by travel time");
        ADD(band_km, "band_km", PL_FIELD_TEXT, "%s: avståndsklass", "distance band");
        ADD(band_min, "band_min", PL_FIELD_TEXT, "%s: restidsklass", "travel time band");
        if (tr) {
            ADD(walk_min, "walk_min", PL_FIELD_REAL, "%s: gångtid hela vägen (min)",
                "walking-only time to the nearest along the walk network, minutes (no --max-walk limit)");
            for (int k = 0; tr->n_pct > 1 && k < tr->n_pct; k++) {
                char sfx[32], al[64];
                snprintf(sfx, sizeof sfx, "min_p%g", pct[k]);
                snprintf(al, sizeof al, "%%s: restid, percentil %g (min)", pct[k]);
                ADD(pct[k], sfx, PL_FIELD_REAL, al, "travel time by public transport and walking, this percentile over the window");
            }
        }
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


/* The envelopes of the cells' geometries, in the order write_cells writes them, for the
 * layer's spatial index to be packed while the rows go in (pl_gpkg_layer_index_ahead). */
static void cells_index_ahead(pl_ctx *ctx, pl_gpkg_layer *l, const pl_population *pop, const pl_access_result *r)
{
    pl_envelope *env = pl_malloc((r->n_cells ? r->n_cells : 1) * sizeof *env);
    size_t n = 0;
    for (size_t c = 0; c < r->n_cells; c++) {
        if (!r->cell_in_region[c])
            continue;
        pl_envelope *e = &env[n++];
        if (!pop->is_polygon) {
            *e = (pl_envelope){pop->x[c], pop->x[c], pop->y[c], pop->y[c]};
        } else if (!pop->geom[c] ||
                   !GEOSGeom_getExtent_r(ctx->geos, pop->geom[c], &e->minx, &e->miny, &e->maxx, &e->maxy)) {
            *e = (pl_envelope){NAN, NAN, NAN, NAN};  /* no geometry, or an empty one */
        }
    }
    pl_gpkg_layer_index_ahead(l, env, n);
    free(env);
}

static int write_cells(pl_ctx *ctx, pl_gpkg *g, const access_inputs *in, const pl_access_result *r, const char *sfx,
                       const pl_transit_result *tr, const double *pct, pl_gpkg_layer **out, pl_error *err)
{
    pl_field_list fl = {0};
    type_columns *cols = pl_calloc((size_t)r->n_types, sizeof *cols);
    cell_fields(&fl, r, in->types, tr, pct, cols);
    int class_col = in->classes ? class_fields(&fl) : -1;
    const pl_access_type *first = &r->types[0];
    char style_field[64];
    snprintf(style_field, sizeof style_field, "%s_km", in->types->t[first->type].key);
    pl_legend lg;
    const pl_style *style = pl_access_style_distance(&lg, style_field, first->bands_km, first->n_bands_km, 0);
    int geom_type = in->pop->is_polygon ? 6 /* wkbMultiPolygon */ : 1 /* wkbPoint */;
    char name[96];
    char title[160];
    pl_gpkg_layer *l = pl_gpkg_layer_add(g, lname(name, sizeof name, "access_cells", sfx), geom_type,
                                         ltitle(title, sizeof title, "Tillgänglighet per ruta", sfx), fl.defs, fl.n,
                                         style, err);
    *out = l;
    int rc = l ? PL_OK : PL_EINTERNAL;
    if (rc == PL_OK)
        cells_index_ahead(ctx, l, in->pop, r);
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
        pl_gpkg_set_real(l, 4, sn->status == PL_SNAP_NONE ? NAN : pl_round_to(sn->access_m, 10));
        pl_gpkg_set_int(l, 5, sn->status != PL_SNAP_OK);
        pl_gpkg_set_int(l, 6, r->service_level[c]); /* pl_access_within, like the view */
        for (int t = 0; t < r->n_types; t++) {
            const pl_access_type *at = &r->types[t];
            const pl_label *d = &at->by_dist[c * 2], *tm = &at->by_time[c * 2];
            const type_columns *col = &cols[t];
            pl_gpkg_set_real(l, col->km, pl_access_km_written(&d[0]));
            pl_gpkg_set_real(l, col->min, pl_access_min_written(&tm[0]));
            pl_gpkg_set_real(l, col->km2, pl_access_km_written(&d[1]));
            pl_gpkg_set_real(l, col->min2, pl_access_min_written(&tm[1]));
            if (d[0].source != UINT32_MAX) {
                uint32_t si = at->service_index[d[0].source];
                pl_gpkg_set_text(l, col->id, in->svc->id[si]);
                pl_gpkg_set_text(l, col->name, in->svc->name[si]);
            }
            if (tm[0].source != UINT32_MAX)
                pl_gpkg_set_text(l, col->id_time, in->svc->id[at->service_index[tm[0].source]]);
            pl_gpkg_set_text(l, col->band_km, pl_band_labels_get(&lab_km[t],
                             pl_band_index(pl_access_km_written(&d[0]), at->bands_km, at->n_bands_km)));
            int band_min = pl_band_index(pl_access_min_written(&tm[0]), at->bands_min, at->n_bands_min);
            pl_gpkg_set_text(l, col->band_min, tr && band_min < 0 ? "ingen förbindelse inom fönstret"
                                                                  : pl_band_labels_get(&lab_min[t], band_min));
            if (tr) {
                pl_label w = {UINT32_MAX, INFINITY, tr->walk_s[(size_t)t * r->n_cells + c]};
                pl_gpkg_set_real(l, col->walk_min, pl_access_min_written(&w));
                for (int k = 0; tr->n_pct > 1 && k < tr->n_pct; k++) {
                    pl_label p = {UINT32_MAX, INFINITY, tr->pct_s[((size_t)t * (size_t)tr->n_pct + (size_t)k) * r->n_cells + c]};
                    pl_gpkg_set_real(l, col->pct[k], pl_access_min_written(&p));
                }
            }
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
                               double within_km, const char *sfx, pl_error *err)
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
    pl_legend lg;
    const pl_style *style = pl_access_style_service_level(&lg, n_level);
    char name[96];
    char title[160];
    pl_gpkg_layer *l = pl_gpkg_view_add(g, lname(name, sizeof name, "service_level", sfx),
                                        ltitle(title, sizeof title, "Kombinerad servicenivå per ruta", sfx), cells,
                                        cols, n, style, err);
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
            /* The age group (e.g. 70+, as Pipos reports it) gets what the whole population gets. */
#define ADD(suffix, alias_fmt, desc)                                  \
    snprintf(name, sizeof name, "%s_%s", k, suffix);                 \
    snprintf(alias, sizeof alias, alias_fmt, lab);                   \
    pl_fields_add(fl, name, PL_FIELD_REAL, alias, desc)
            ADD("age_mean_km", "%s: åldersgruppens medelavstånd (km)", "age-group-weighted mean distance");
            ADD("age_median_km", "%s: åldersgruppens medianavstånd (km)", "age-group-weighted median distance");
            ADD("age_mean_min", "%s: åldersgruppens medelrestid (min)", "age-group-weighted mean time");
            ADD("age_median_min", "%s: åldersgruppens medianrestid (min)", "age-group-weighted median time");
#undef ADD
            band_fields(fl, k, lab, "km", "km", at->bands_km, at->n_bands_km, "age", "åldersgrupp");
            band_fields(fl, k, lab, "km", "km", at->bands_km, at->n_bands_km, "age_share", "åldersgruppens andel");
            band_fields(fl, k, lab, "min", "min", at->bands_min, at->n_bands_min, "age", "åldersgrupp");
            band_fields(fl, k, lab, "min", "min", at->bands_min, at->n_bands_min, "age_share",
                        "åldersgruppens andel");
        }
    }
}

static double share(double part, double whole) { return whole > 0 ? pl_round_to(part / whole, 10000) : NAN; }

/* Sets the values of one summary row (fields in the order muni_fields declares them). */
static void set_muni_row(pl_gpkg_layer *l, const pl_access_result *r, const pl_access_stats *stats,
                         const char *code, const char *name)
{
    int f = 0;
    pl_gpkg_set_text(l, f++, code);
    pl_gpkg_set_text(l, f++, name);
    pl_gpkg_set_real(l, f++, pl_round_people(stats[0].pop));
    if (r->has_age)
        pl_gpkg_set_real(l, f, pl_round_people(stats[0].pop_age));
    f++;
    for (int t = 0; t < r->n_types; t++) {
        const pl_access_type *at = &r->types[t];
        const pl_access_stats *s = &stats[t];
        pl_gpkg_set_int(l, f++, s->n_services);
        pl_gpkg_set_real(l, f++, pl_round_km(s->mean_km));
        pl_gpkg_set_real(l, f++, pl_round_km(s->median_km));
        pl_gpkg_set_real(l, f++, pl_round_min(s->mean_min));
        pl_gpkg_set_real(l, f++, pl_round_min(s->median_min));
        for (int i = 0; i < at->n_bands_km + 2; i++)
            pl_gpkg_set_real(l, f++, pl_round_people(s->pop_band_km[i]));
        for (int i = 0; i < at->n_bands_km + 2; i++)
            pl_gpkg_set_real(l, f++, share(s->pop_band_km[i], s->pop));
        for (int i = 0; i < at->n_bands_min + 2; i++)
            pl_gpkg_set_real(l, f++, pl_round_people(s->pop_band_min[i]));
        for (int i = 0; i < at->n_bands_min + 2; i++)
            pl_gpkg_set_real(l, f++, share(s->pop_band_min[i], s->pop));
        if (r->has_age) {
            pl_gpkg_set_real(l, f++, pl_round_km(s->age_mean_km));
            pl_gpkg_set_real(l, f++, pl_round_km(s->age_median_km));
            pl_gpkg_set_real(l, f++, pl_round_min(s->age_mean_min));
            pl_gpkg_set_real(l, f++, pl_round_min(s->age_median_min));
            for (int i = 0; i < at->n_bands_km + 2; i++)
                pl_gpkg_set_real(l, f++, pl_round_people(s->age_band_km[i]));
            for (int i = 0; i < at->n_bands_km + 2; i++)
                pl_gpkg_set_real(l, f++, share(s->age_band_km[i], s->pop_age));
            for (int i = 0; i < at->n_bands_min + 2; i++)
                pl_gpkg_set_real(l, f++, pl_round_people(s->age_band_min[i]));
            for (int i = 0; i < at->n_bands_min + 2; i++)
                pl_gpkg_set_real(l, f++, share(s->age_band_min[i], s->pop_age));
        }
    }
}

static int write_municipalities(pl_gpkg *g, const access_inputs *in, const pl_access_result *r, const char *sfx,
                                pl_error *err)
{
    pl_field_list fl = {0};
    muni_fields(&fl, r, in->types);
    const pl_access_type *first = &r->types[0];
    char style_field[64];
    snprintf(style_field, sizeof style_field, "%s_mean_km", in->types->t[first->type].key);
    pl_legend lg;
    const pl_style *style = pl_access_style_distance(&lg, style_field, first->bands_km, first->n_bands_km, 1);
    char name[96], table_name[96];
    char title[160], table_title[160];
    pl_gpkg_layer *poly = pl_gpkg_layer_add(g, lname(name, sizeof name, "access_municipalities", sfx), 6,
                                            ltitle(title, sizeof title, "Tillgänglighet per kommun", sfx), fl.defs,
                                            fl.n, style, err);
    pl_gpkg_layer *table = poly ? pl_gpkg_layer_add(g, lname(table_name, sizeof table_name,
                                                             "access_municipalities_table", sfx), 100,
                                                    ltitle(table_title, sizeof table_title,
                                                           "Tillgänglighet per kommun (tabell)", sfx),
                                                    fl.defs, fl.n, NULL, err)
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

/* ---------- service_areas (--service-areas) ---------- */

/* One row per type and time band: the ring of land reached in the band (band k minus band
 * k-1, so the map's colours do not overdraw), with the residents whose own nearest time is
 * in the band: the same units the cells' band column puts there. */
static int write_service_areas(pl_ctx *ctx, pl_gpkg *g, const access_inputs *in, const pl_access_result *r,
                               const pl_service_areas *sa, double width_m, const char *sfx, pl_error *err)
{
    pl_field_list fl = {0};
    pl_fields_add(&fl, "type", PL_FIELD_TEXT, "Servicetyp (nyckel)", "service type key");
    pl_fields_add(&fl, "typ", PL_FIELD_TEXT, "Servicetyp", "service type");
    pl_fields_add(&fl, "band", PL_FIELD_INT, "Restidsklass (nr)", "time band, 1 = nearest");
    pl_fields_add(&fl, "from_min", PL_FIELD_REAL, "Restid från (min)", "band's lower limit (exclusive)");
    pl_fields_add(&fl, "to_min", PL_FIELD_REAL, "Restid till (min)", "band's upper limit (inclusive)");
    pl_fields_add(&fl, "pop", PL_FIELD_REAL, "Befolkning i klassen", "residents whose nearest time is in the band");
    pl_fields_add(&fl, "pop_age", PL_FIELD_REAL, "Befolkning i åldersgruppen i klassen", "the same for the age group");
    pl_fields_add(&fl, "units", PL_FIELD_INT, "Antal rutor/områden", "population units in the band");
    pl_fields_add(&fl, "road_km", PL_FIELD_REAL, "Nådd väglängd (km, kumulativ)",
                  "road length reached within to_min");
    pl_fields_add(&fl, "area_km2", PL_FIELD_REAL, "Yta (km²)", "area of the ring");
    pl_fields_add(&fl, "width_m", PL_FIELD_REAL, "Bredd kring vägen (m)", "--service-area-width");
    const pl_access_type *first = &r->types[0];
    pl_legend lg;
    const pl_style *style = pl_access_style_service_areas(&lg, first->bands_min, first->n_bands_min);
    char name[96], title[160];
    pl_gpkg_layer *l = pl_gpkg_layer_add(g, lname(name, sizeof name, "service_areas", sfx), 6,
                                         ltitle(title, sizeof title, "Serviceområden (restid längs väg)", sfx),
                                         fl.defs, fl.n, style, err);
    int rc = l ? PL_OK : PL_EINTERNAL;
    GEOSContextHandle_t h = ctx->geos;
    for (int i = 0; rc == PL_OK && i < sa->n; i++) {
        const pl_service_area *a = &sa->a[i];
        int empty = !a->geom || GEOSisEmpty_r(h, a->geom);
        if (empty && a->n_cells == 0)
            continue;  /* a band that adds no road and holds nobody; one holding residents (their
                          driveways took them past it) stays, without geometry, so the rows add up */
        const pl_service_type *ty = &in->types->t[r->types[a->slot].type];
        double area = 0;
        if (!empty)
            GEOSArea_r(h, a->geom, &area);
        pl_gpkg_row_begin(l);
        pl_gpkg_set_text(l, 0, ty->key);
        pl_gpkg_set_text(l, 1, ty->label_sv);
        pl_gpkg_set_int(l, 2, a->band + 1);
        pl_gpkg_set_real(l, 3, a->lo_min);
        pl_gpkg_set_real(l, 4, a->hi_min);
        pl_gpkg_set_real(l, 5, pl_round_people(a->pop));
        pl_gpkg_set_real(l, 6, r->has_age ? pl_round_people(a->pop_age) : NAN);
        pl_gpkg_set_int(l, 7, a->n_cells);
        pl_gpkg_set_real(l, 8, round(a->road_km * 1000) / 1000);
        pl_gpkg_set_real(l, 9, round(area / 1e4) / 100);
        pl_gpkg_set_real(l, 10, width_m);
        if (!empty)
            pl_gpkg_set_geos(l, a->geom);
        rc = pl_gpkg_row_end(l, err);
    }
    pl_fields_free(&fl);
    return rc;
}

/* ---------- data_checks: where the service list looks incomplete ---------- */

static int write_checks(pl_gpkg *g, const access_inputs *in, const pl_access_result *r,
                        const pl_access_checks *c, const char *sfx, pl_error *err)
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
    char name[96];
    char title[160];
    pl_gpkg_layer *l = pl_gpkg_layer_add(g, lname(name, sizeof name, "data_checks", sfx), 100,
                                         ltitle(title, sizeof title, "Datakontroller: kan servicelistan vara ofullständig?",
                                                sfx), defs, (int)(sizeof defs / sizeof defs[0]), NULL, err);
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
        pl_gpkg_set_real(l, 5, pl_round_people(s->pop));
        pl_gpkg_set_int(l, 6, s->n_services);
        if (s->n_services > 0)
            pl_gpkg_set_real(l, 7, pl_round_to(s->pop / (double)s->n_services, 1));
        if (isfinite(k->reference))
            pl_gpkg_set_real(l, 8, pl_round_to(k->reference, 1));
        pl_gpkg_set_text(l, 9, msg);
        int rc = pl_gpkg_row_end(l, err);
        if (rc != PL_OK)
            return rc;
    }
    return PL_OK;
}

/* ---------- access_by_class (long format: municipality x class x type) ---------- */

static int write_by_class(pl_gpkg *g, const access_inputs *in, const pl_access_result *r, const char *sfx,
                          pl_error *err)
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
    char name[96];
    char title[160];
    pl_gpkg_layer *l = pl_gpkg_layer_add(g, lname(name, sizeof name, "access_by_class", sfx), 100,
                                         ltitle(title, sizeof title, "Tillgänglighet per kommun och territoriell klass",
                                                sfx), fields, n_fields, NULL, err);
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
                pl_gpkg_set_real(l, 6, pl_round_people(st->pop));
                pl_gpkg_set_real(l, 7, pl_round_km(st->mean_km));
                pl_gpkg_set_real(l, 8, pl_round_km(st->median_km));
                pl_gpkg_set_real(l, 9, pl_round_min(st->mean_min));
                pl_gpkg_set_real(l, 10, pl_round_min(st->median_min));
                pl_gpkg_set_real(l, 11, pl_round_people(st->pop_band_km[at->n_bands_km]));
                pl_gpkg_set_real(l, 12, share(st->pop_band_km[at->n_bands_km], st->pop));
                pl_gpkg_set_real(l, 13, pl_round_people(st->pop_band_min[at->n_bands_min]));
                pl_gpkg_set_real(l, 14, share(st->pop_band_min[at->n_bands_min], st->pop));
                pl_gpkg_set_real(l, 15, pl_round_people(st->pop_band_km[at->n_bands_km + 1]));
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
    double t0 = pl_now_s();
    J->roads = pl_roads_load(J->ctx, J->spec, &J->lo, &J->err);
    J->t_roads = pl_now_s() - t0;
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
    double t0 = pl_now_s();
    if (pl_attach_check(o->max_snap_m, o->max_service_snap_m, 1, err) != PL_OK)
        return err->code;
    pl_load_opts lo = {.assume_crs = o->assume_crs, .road = o->road};
    roads_job J = {.spec = o->roads, .lo = lo, .build = gopts != NULL};
    J.lo.within = o->within_halo;
    if (gopts)
        J.gopts = *gopts;
    J.ctx = pl_ctx_new_child(ctx);
    roads_waiter waiter = {.threaded = 0};
    pl_oom_hold_wait(join_roads_thread, &waiter);  /* the roads thread works on J, reads the caller's options */
    if (!o->skip_roads)
        waiter.threaded = pthread_create(&waiter.tid, NULL, roads_thread, &J) == 0;
    int threaded = waiter.threaded;
    if (!threaded && !o->skip_roads)  /* no thread to be had: the same work, in turn */
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
        po.region = o->region;  /* units of other municipalities, by their code, are not read */
        po.region_munis = in->munis;
        po.within = o->within_units;
        in->pop = pl_population_load(ctx, o->population, &po, err);
        if (!in->pop)
            rc = err->code;
    }
    if (rc == PL_OK) {
        pl_load_opts so = lo;
        so.type_field = o->type_field;
        so.within = o->within_services ? o->within_services : o->within_halo;
        in->svc = pl_services_load(ctx, o->services, in->types, &so, err);
        if (!in->svc)
            rc = err->code;
    }
    double t_main = pl_now_s() - t0;
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
    *t_graph = pl_now_s() - t0 - *t_load;
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

/* What a transit run used, in the parameters table. */
static void add_transit_parameters(pl_gpkg *g, const pl_access_opts *o, const pl_transit_params *tp,
                                   const pl_transit_result *tr)
{
    pl_transit_add_parameters(g, &o->transit, tp, tr->n_stops_linked, tr->n_stops);
    pl_gpkg_add_parameter(g, "km_columns", "walking distance along the walk network (no road km for a bus journey)");
    pl_gpkg_add_parameter(g, "min_2nd_columns", "not computed for transit (NULL)");
}

/* One mode's layers (sfx NULL: a single-mode run's names); tr: the transit figures, else NULL.
 * checks: the data checks of r, or NULL to run them here (their warnings go to ctx). */
static int write_mode(pl_ctx *ctx, pl_gpkg *g, const pl_access_opts *o, const access_inputs *in,
                      const pl_access_result *r, const pl_transit_result *tr, const pl_service_areas *sa,
                      const pl_access_checks *checks, const char *sfx, pl_error *err)
{
    pl_gpkg_layer *cells = NULL;
    int rc = write_cells(ctx, g, in, r, sfx, tr, o->transit.percentiles.v, &cells, err);
    if (rc == PL_OK)
        rc = write_service_level(g, cells, in, r, o->within_km, sfx, err);
    if (rc == PL_OK)
        rc = write_municipalities(g, in, r, sfx, err);
    if (rc == PL_OK && in->classes)
        rc = write_by_class(g, in, r, sfx, err);
    if (rc == PL_OK && sa)
        rc = write_service_areas(ctx, g, in, r, sa, o->service_area_width_m, sfx, err);
    if (rc == PL_OK) {
        pl_access_checks *own = checks ? NULL : pl_access_checks_run(ctx, in->munis, in->types, r);
        rc = write_checks(g, in, r, checks ? checks : own, sfx, err);
        pl_access_checks_free(own);
    }
    char name[96], title[160];
    if (rc == PL_OK)
        rc = pl_write_unattached_units_as(g, lname(name, sizeof name, "unattached_units", sfx),
                                          ltitle(title, sizeof title, PL_UNATTACHED_UNITS_TITLE, sfx), in->pop,
                                          r->cell_snap, r->cell_in_region, err);
    if (rc == PL_OK)
        rc = pl_write_unattached_services_as(g, lname(name, sizeof name, "unattached_services", sfx),
                                             ltitle(title, sizeof title, PL_UNATTACHED_SERVICES_TITLE, sfx), in->svc,
                                             in->types, r->svc_snap, err);
    return rc;
}

/* The output, opened when the first mode's result (r) is there: its parameters. hashes: the
 * inputs' hashes if already started (taken over, also on failure), else NULL. extra_inputs
 * (NULL-ended) and extra_params (name, value pairs, NULL-ended): platsa merge's tasks. */
static pl_gpkg *open_output(pl_ctx *ctx, const pl_access_opts *o, const char *command_line, const access_inputs *in,
                            const pl_access_result *r, int n_modes, const pl_transit_result *tr,
                            const pl_transit_params *tp, pl_gpkg_hashes *hashes, const char *const *extra_inputs,
                            const char *const *extra_params, pl_error *err)
{
    size_t n_extra = 0;
    while (extra_inputs && extra_inputs[n_extra])
        n_extra++;
    /* The five inputs (localities may be NULL: the list goes on past it), then the extra ones. */
    const char **inputs = pl_calloc(n_extra + 7, sizeof *inputs);
    const char *five[] = {o->population, o->services, o->roads, o->municipalities, o->localities};
    size_t n_in = 0;
    for (int i = 0; i < 5; i++)
        if (five[i] || i < 4)
            inputs[n_in++] = five[i];
    for (size_t i = 0; i < n_extra; i++)
        inputs[n_in++] = extra_inputs[i];
    pl_gpkg_opts go = {.overwrite = o->overwrite, .csv = o->csv,
                       .csv_style = o->csv_style, .command_line = command_line, .inputs = inputs,
                       .hashes = hashes,
                       .expected_rows = (long long)in->pop->n * n_modes /* access_cells (service_level is a view) */};
    pl_gpkg *g = pl_gpkg_create(ctx, o->output, &go, err);
    free(inputs);
    if (!g)
        return NULL;
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
    if (tr)
        add_transit_parameters(g, o, tp, tr);
    for (size_t i = 0; extra_params && extra_params[i] && extra_params[i + 1]; i += 2)
        pl_gpkg_add_parameter(g, extra_params[i], extra_params[i + 1]);
    return g;
}

/* Where a run writes: the output once opened, the hashes until then. */
typedef struct access_out {
    pl_gpkg *g;
    pl_gpkg_hashes *hashes;
    const char *const *extra_inputs, *const *extra_params; /* open_output's, or NULL */
    double t_s, c_s;  /* writing, timed */
} access_out;

/* One mode's layers into out (opened by the first mode's). */
static int write_layers(pl_ctx *ctx, const pl_access_opts *o, const char *command_line, const access_inputs *in,
                        access_out *out, const pl_access_result *r, int n_modes, const pl_transit_result *tr,
                        const pl_transit_params *tp, const pl_service_areas *sa, const pl_access_checks *checks,
                        const char *sfx, pl_error *err)
{
    if (!out->g) {
        out->g = open_output(ctx, o, command_line, in, r, n_modes, tr, tp, out->hashes, out->extra_inputs,
                             out->extra_params, err);
        out->hashes = NULL;
        if (!out->g)
            return err->code;
    }
    return write_mode(ctx, out->g, o, in, r, tr, sa, checks, sfx, err);
}

/* One mode's layers, written as soon as its result is there (timed), so that a run of several
 * modes holds at most two modes' answers at a time (see mode_write). */
static int write_now(pl_ctx *ctx, const pl_access_opts *o, const char *command_line, const access_inputs *in,
                     access_out *out, const pl_access_result *r, int n_modes, const pl_transit_result *tr,
                     const pl_transit_params *tp, const pl_service_areas *sa, const pl_access_checks *checks,
                     const char *sfx, pl_error *err)
{
    double t0 = pl_now_s(), c0 = pl_cpu_s();
    int rc = write_layers(ctx, o, command_line, in, out, r, n_modes, tr, tp, sa, checks, sfx, err);
    out->t_s += pl_now_s() - t0;
    out->c_s += pl_cpu_s() - c0;
    return rc;
}

/* ---------- several modes: a mode's layers written while the next mode computes ---------- */

/* A mode's layers on a thread of their own while the caller builds the next mode's graph,
 * attaches and searches (which leave a core free: one search per mode when the distances are
 * shared). The writing has a context of its own (wctx: the output was opened with it, and
 * GEOS converts the polygons with its handle), so the threads share none; the data checks,
 * whose warnings count, are made by the caller first. The output is the same: one writer at a
 * time, the modes in order. */
typedef struct mode_write {
    pl_ctx *wctx;
    const pl_access_opts *o;
    const char *command_line;
    const access_inputs *in;
    access_out *out;
    const pl_access_result *r;
    int n_modes;
    const pl_service_areas *sa;
    pl_access_checks *checks;    /* owned */
    const char *sfx;
    int rc;
    pl_error err;
    double t_s, c_s;             /* the writing's wall seconds and its thread's CPU seconds */
    pthread_t tid;
    int running;                 /* the thread is started and not joined */
} mode_write;

static double thread_cpu_s(void)
{
    struct timespec ts;
    return clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0 ? (double)ts.tv_sec + ts.tv_nsec * 1e-9 : 0;
}

static int mode_write_work(void *arg)
{
    mode_write *W = arg;
    double t0 = pl_now_s(), c0 = thread_cpu_s();
    W->rc = write_layers(W->wctx, W->o, W->command_line, W->in, W->out, W->r, W->n_modes, NULL, NULL, W->sa,
                         W->checks, W->sfx, &W->err);
    W->t_s = pl_now_s() - t0;
    W->c_s = thread_cpu_s() - c0;
    return PL_OK;
}

/* Out of memory on this thread fails the output like any other error, seen at the join. */
static void *mode_write_thread(void *arg)
{
    mode_write *W = arg;
    pl_error oom = {0};
    if (pl_oom_guard(mode_write_work, W, NULL, &oom) != PL_OK) {
        W->rc = oom.code;
        W->err = oom;
    }
    return NULL;
}

/* The join, also the out-of-memory path's wait (gis/ctx.h, pl_oom_hold_wait): the writing
 * finishes before the run unwinds and removes the output's temporaries. */
static void mode_write_join(void *arg)
{
    mode_write *W = arg;
    if (W->running)
        pthread_join(W->tid, NULL);
    W->running = 0;
}

/* Starts writing r's layers on a thread; with PLATSA_THREADS=1 (pl_access_threads), or
 * without a thread to be had, writes them here. */
static void mode_write_start(mode_write *W)
{
    W->rc = PL_OK;
    pl_oom_hold_wait(mode_write_join, W);  /* the thread reads the caller's inputs and results */
    W->running = pl_access_threads(2) > 1 && pthread_create(&W->tid, NULL, mode_write_thread, W) == 0;
    if (!W->running) {
        pl_oom_release();
        mode_write_work(W);
    }
}

/* Waits for the layers started by mode_write_start: PL_OK, or their error in err. Adds the
 * writing's time to out. */
static int mode_write_finish(mode_write *W, pl_error *err)
{
    if (!W->r)
        return PL_OK;
    if (W->running) {
        mode_write_join(W);
        pl_oom_release();
    }
    W->out->t_s += W->t_s;
    W->out->c_s += W->c_s;
    pl_access_checks_free(W->checks);
    W->checks = NULL;
    W->r = NULL;
    if (W->rc != PL_OK && err)
        *err = W->err;
    return W->rc;
}

/* The answers of a result once written (the rest is kept for the summary line and the
 * other modes). */
static void drop_labels(pl_access_result *r)
{
    for (int t = 0; r && t < r->n_types; t++) {
        free(r->types[t].by_dist);
        free(r->types[t].by_time);
        r->types[t].by_dist = r->types[t].by_time = NULL;
    }
}

int pl_access_write(pl_ctx *ctx, const pl_access_opts *o, const char *command_line, const pl_access_inputs *in,
                    pl_access_result *r, const char *const *extra_inputs, const char *const *extra_params,
                    pl_error *err)
{
    pl_mode mode = PL_MODE_CAR;
    if (o->mode && pl_mode_from_name(o->mode, &mode) != PL_OK)
        return pl_error_set(err, PL_EINPUT, "--mode '%s': one road mode (car, bike or walk) here", o->mode);
    access_out out = {.extra_inputs = extra_inputs, .extra_params = extra_params};
    int rc = write_now(ctx, o, command_line, in, &out, r, 1, NULL, NULL, NULL, NULL, NULL, err);
    if (rc == PL_OK)
        return pl_gpkg_commit(out.g, err);
    if (out.g)
        pl_gpkg_abort(out.g);
    return rc;
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

/* --mode: one mode, or several separated by commas (each once). */
static int parse_modes(const char *spec, pl_mode *modes, int *n_modes, pl_error *err)
{
    *n_modes = 0;
    const char *p = spec ? spec : "car";
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char one[16];
        pl_mode m;
        if (len >= sizeof one || (memcpy(one, p, len), one[len] = 0, pl_mode_from_name(one, &m) != PL_OK)) {
            if (strcmp(one, "transit") == 0)
                return pl_error_set(err, PL_EINPUT, "--mode '%s': transit runs on its own; give --mode transit alone",
                                    spec);
            return pl_error_set(err, PL_EINPUT, "--mode '%s': use car, bike, walk or transit", spec);
        }
        for (int i = 0; i < *n_modes; i++)
            if (modes[i] == m)
                return pl_error_set(err, PL_EINPUT, "--mode '%s': %s given twice; give each mode once", spec, one);
        modes[(*n_modes)++] = m;
        if (!end)
            return PL_OK;
        p = end + 1;
    }
}

/* --mode transit: the options checked before any work. */
static int transit_params(const pl_access_opts *o, pl_transit_params *tp, pl_error *err)
{
    if (pl_transit_params_from_opts(&o->transit, tp, err) != PL_OK)
        return err->code;
    if (o->service_areas)
        return pl_error_set(err, PL_EINPUT, "--service-areas is for the road modes (car, bike, walk); leave it "
                            "out with --mode transit");
    return PL_OK;
}

/* --service-areas: one mode's areas, on the graph its result was computed on (timed). */
static int mode_areas(pl_ctx *ctx, const pl_access_opts *o, const pl_graph *graph, const access_inputs *in,
                      const pl_access_result *r, pl_service_areas **out, double *t_s, double *c_s, pl_error *err)
{
    if (!o->service_areas)
        return PL_OK;
    double t0 = pl_now_s(), c0 = pl_cpu_s();
    int rc = pl_access_service_areas(ctx, graph, in->roads, in->pop, r, o->service_area_width_m, out, err);
    *t_s += pl_now_s() - t0;
    *c_s += pl_cpu_s() - c0;
    return rc;
}

/* A result's stage times added to the run's: snap, search, summaries. */
static void add_stage_times(const pl_access_result *r, double *ts, double *cs)
{
    ts[0] += r->t_snap_s;
    ts[1] += r->t_search_s;
    ts[2] += r->t_stats_s;
    cs[0] += r->c_snap_s;
    cs[1] += r->c_search_s;
    cs[2] += r->c_stats_s;
}

/* --mode transit: the result on the walk graph and timetable, written. */
static int transit_mode(pl_ctx *ctx, const pl_access_opts *o, const char *command_line, const access_inputs *in,
                        const int *types, int n_types, const pl_timetable *tt, const pl_transit_params *tp,
                        pl_access_result **r, pl_transit_result **tr, access_out *out, pl_error *err)
{
    pl_access_params p = {.types = types, .n_types = n_types, .mode = PL_MODE_WALK, .within_km = o->within_km,
                          .region = o->region, .max_snap_m = o->max_snap_m,
                          .max_service_snap_m = o->max_service_snap_m, .bands_km = &o->bands_km,
                          .bands_min = &o->bands_min};
    int rc = pl_access_transit_compute(ctx, in->pop, in->svc, in->types, in->munis, in->roads, in->graph, tt, &p, tp,
                                       r, tr, err);
    if (rc != PL_OK)
        return rc;
    const pl_transit_result *t = *tr;
    pl_info(ctx, "transit: %u of %u stops linked to the walk graph, %zu walking transfers added; walking legs %.2f s "
            "(cpu %.2f), routing %.2f s (cpu %.2f; largest profile %zu entries)", t->n_stops_linked, t->n_stops,
            t->n_walk_transfers, t->t_legs_s, t->c_legs_s, t->t_routing_s, t->c_routing_s, t->profile_entries);
    return write_now(ctx, o, command_line, in, out, *r, 1, t, tp, NULL, NULL, NULL, err);
}

/* Where a later mode of a run may take its distances from (pl_access_take_distances): the
 * first mode's result and graph, which its attachment and arcs are compared with, and the
 * latest result whose distance labels answer the first mode's inputs (NULL: none). */
typedef struct dist_source {
    const pl_access_result *first;
    const pl_graph *first_graph;
    const pl_access_result *labels;
} dist_source;

/* What a mode's result may drop once the places are attached, before the searches' labels
 * arrive (the peak): LEAN_GRAPH its graph keeps only what the searches read; LEAN_ROADS the
 * roads go and LEAN_FIRST the first mode's graph keeps only that too (nothing after the
 * searches reads them: the last road mode, no service areas, no --classify). */
enum { LEAN_GRAPH = 1, LEAN_ROADS = 2, LEAN_FIRST = 4 };

/* One road mode's result (pl_access_compute's steps), lean as above.
 * ds (NULL: none): when this mode's distance search would read what the first mode's read
 * (*same set to 1), its tie-free distances are taken instead of searched again (*taken: how
 * many types): the same labels, bit for bit, for half the searching. */
static int mode_compute(pl_ctx *ctx, access_inputs *in, pl_graph *graph, const pl_access_params *p, int lean,
                        const dist_source *ds, int *same, int *taken, pl_access_result **out, pl_error *err)
{
    int rc = pl_access_prepare(ctx, in->pop, in->svc, in->types, in->munis, in->roads, graph, p, out, err);
    *same = *taken = 0;
    if (rc == PL_OK && ds && pl_access_same_distance_inputs(*out, graph, ds->first, ds->first_graph)) {
        *same = 1;
        *taken = pl_access_take_distances(*out, ds->labels);
    }
    if (rc == PL_OK && (lean & LEAN_GRAPH))
        pl_graph_keep_search_only(graph);
    if (rc == PL_OK && (lean & LEAN_FIRST))  /* after graph's: it may borrow the first's snap index */
        pl_graph_keep_search_only(in->graph);
    if (rc == PL_OK && (lean & LEAN_ROADS)) {
        pl_roads_free(in->roads);
        in->roads = NULL;
    }
    if (rc == PL_OK)
        rc = pl_access_search_all(ctx, in->pop, in->svc, in->munis, graph, p, *out, err);
    if (rc != PL_OK) {
        pl_access_result_free(*out);
        *out = NULL;
    }
    return rc;
}

/* A run's road modes (access_run): the inputs, and what the modes leave for the summary. */
typedef struct road_run {
    pl_ctx *ctx;
    pl_ctx *wctx;                /* the output's: ctx for one mode, a child of it for several */
    const pl_access_opts *o;
    const char *command_line;
    access_inputs *in;
    const pl_graph_opts *gopts;
    const pl_mode *modes;
    int n_modes;
    const int *types;
    int n_types;
    access_out *out;
    pl_access_result *r[3];      /* r[0] is kept (the others reuse its municipalities) */
    pl_service_areas *areas[3];
    int dist_first[3];           /* r[m]'s distances answer the first mode's inputs */
    int like_first[3];           /* mode m opens the roads the first mode opens: its graph is
                                    derived from the first's (pl_graph_build_like), which is kept
                                    whole until then */
    pl_graph *spare;             /* the previous mode's derived graph, whose arrays the next
                                    mode's takes (pl_graph_build_like_spare); NULL: none */
    pl_snap_picks *picks[2];     /* the units' and services' nearest roads, kept from the first
                                    mode for the modes derived from it (NULL: none is) */
    int dist_taken;              /* types whose distances a later mode took (not searched) */
    double ts[3], cs[3];         /* snap, search, summaries: wall and CPU seconds */
    double t_graph, c_graph, t_areas, c_areas;
} road_run;

/* What mode m holds once its layers are written: its answers and areas (and, but the first
 * mode's, its result). */
static void mode_written(road_run *R, int m)
{
    drop_labels(R->r[m]);
    pl_service_areas_free(R->ctx, R->areas[m]);
    R->areas[m] = NULL;
    if (m > 0) {
        pl_access_result_free(R->r[m]);
        R->r[m] = NULL;
    }
}

/* Mode m's graph (the first's from the load, the others from the same roads, pl_graph_build_like),
 * result and areas. */
static int mode_result(road_run *R, int m, pl_error *err)
{
    access_inputs *in = R->in;
    pl_graph *graph = in->graph;
    /* The first mode's graph is kept whole while a later mode may be derived from it. */
    int first_needed = 0;
    for (int k = m + 1; k < R->n_modes; k++)
        first_needed |= R->like_first[k];
    if (m == 0 && first_needed)  /* the modes that attach alike share it (pl_graph_build_like) */
        pl_graph_keep_snap_index(graph, in->roads);
    if (m > 0) {
        double tg = pl_now_s(), cg = pl_cpu_s();
        pl_graph_opts go = *R->gopts;
        go.mode = R->modes[m];
        go.cache_path = NULL;
        go.search_only = !R->o->service_areas;  /* attached, searched, then trimmed (mode_compute) */
        graph = pl_graph_build_like_spare(R->ctx, in->graph, in->roads, &go, R->spare, err);
        R->spare = NULL;
        if (!graph)
            return err->code;
        R->t_graph += pl_now_s() - tg;
        R->c_graph += pl_cpu_s() - cg;
    }
    const pl_access_opts *o = R->o;
    pl_access_params p = {.types = R->types, .n_types = R->n_types, .mode = R->modes[m], .within_km = o->within_km,
                          .region = o->region, .max_snap_m = o->max_snap_m,
                          .max_service_snap_m = o->max_service_snap_m, .bands_km = &o->bands_km,
                          .bands_min = &o->bands_min, .same_inputs = m > 0 ? R->r[0] : NULL,
                          .cell_picks = R->picks[0], .svc_picks = R->picks[1]};
    int last = m == R->n_modes - 1, free_more = !o->service_areas && !o->classify;
    int trim_first = free_more && !first_needed;
    int lean = o->service_areas ? 0 : (graph != in->graph || trim_first ? LEAN_GRAPH : 0) |
                                      (last && free_more ? LEAN_ROADS : 0) |
                                      (trim_first && graph != in->graph ? LEAN_FIRST : 0);
    dist_source ds = {R->r[0], in->graph, m > 0 && R->dist_first[m - 1] ? R->r[m - 1] : NULL};
    int same = 0, taken = 0;
    int rc = mode_compute(R->ctx, in, graph, &p, lean, m > 0 ? &ds : NULL, &same, &taken, &R->r[m], err);
    R->dist_first[m] = m == 0 || same;
    R->dist_taken += taken;
    if (rc == PL_OK)
        rc = mode_areas(R->ctx, o, graph, in, R->r[m], &R->areas[m], &R->t_areas, &R->c_areas, err);
    if (graph != in->graph && m + 1 < R->n_modes && R->like_first[m + 1])
        R->spare = graph;
    else if (graph != in->graph)
        pl_graph_free(graph);
    if (rc == PL_OK)
        add_stage_times(R->r[m], R->ts, R->cs);
    return rc;
}

/* Mode m of the run: its result, then the previous mode's layers, written meanwhile (W), are
 * waited for (an error there came first) and that mode's answers freed, then this mode's
 * layers written: on a thread when another mode follows (W), else here. */
static int road_mode(road_run *R, int m, mode_write *W, pl_error *err)
{
    int rc = mode_result(R, m, err);
    pl_error werr = {0};
    if (mode_write_finish(W, &werr) != PL_OK) {
        rc = werr.code;
        *err = werr;
    }
    if (m > 0)
        mode_written(R, m - 1);
    if (rc != PL_OK)
        return rc;
    const char *sfx = R->n_modes > 1 ? pl_mode_name(R->modes[m]) : NULL;
    /* Several modes: the data checks here, their warnings counted in the order of a serial run. */
    pl_access_checks *checks =
        R->n_modes > 1 ? pl_access_checks_run(R->ctx, R->in->munis, R->in->types, R->r[m]) : NULL;
    if (m + 1 < R->n_modes) {
        *W = (mode_write){.wctx = R->wctx, .o = R->o, .command_line = R->command_line, .in = R->in,
                          .out = R->out, .r = R->r[m], .n_modes = R->n_modes, .sa = R->areas[m],
                          .checks = checks, .sfx = sfx};
        mode_write_start(W);
        return PL_OK;
    }
    rc = write_now(R->wctx, R->o, R->command_line, R->in, R->out, R->r[m], R->n_modes, NULL, NULL, R->areas[m],
                   checks, sfx, err);
    pl_access_checks_free(checks);
    mode_written(R, m);
    return rc;
}

static int access_run(pl_ctx *ctx, const pl_access_opts *o, const char *command_line, pl_error *err)
{
    double t_start = pl_now_s(), t0 = t_start, t_load = 0, t_graph = 0, t_classify = 0, t_write = 0;
    double c_start = pl_cpu_s(), c0 = c_start, c_load = 0, c_graph = 0, c_classify = 0, c_write = 0;
    if (o->crs)
        snprintf(ctx->work_crs, sizeof ctx->work_crs, "%s", o->crs);
    pl_graph_opts gopts;
    pl_graph_opts_default(&gopts);
    int transit = o->mode && strcmp(o->mode, "transit") == 0;
    pl_transit_params tp = {0};
    pl_mode modes[3];
    int n_modes = 1;
    if (transit) {
        modes[0] = PL_MODE_WALK;  /* the streets of a transit run: the walk graph */
        if (transit_params(o, &tp, err) != PL_OK)
            return err->code;
    } else if (parse_modes(o->mode, modes, &n_modes, err) != PL_OK) {
        return err->code;
    } else if (pl_transit_refuse_unused(&o->transit, err) != PL_OK) {
        return err->code;
    }
    gopts.mode = modes[0];
    gopts.cache_path = o->graph_cache;
    gopts.skip_forward_arcs = !transit;  /* only transit's walking legs go forward (common/transit.c) */
    const char *cache_inputs[] = {o->population, o->services, o->roads, o->municipalities, o->localities,
                                  o->service_types_file};
    if (pl_graph_cache_check_path(o->graph_cache, cache_inputs, 6, &o->output, 1, err) != PL_OK)
        return err->code;
    access_inputs in = {0};
    const char *inputs[] = {o->population, o->services, o->roads, o->municipalities, o->localities, NULL};
    /* Every file of the run checked before the work (the CSV twins too). */
    char twin_names[3][2][96];
    const char *twins[7] = {NULL};
    for (int m = 0, k = 0; m < n_modes; m++) {
        const char *sfx = n_modes > 1 ? pl_mode_name(modes[m]) : NULL;
        twins[k++] = lname(twin_names[m][0], sizeof twin_names[m][0], "access_municipalities_table", sfx);
        if (o->classify)
            twins[k++] = lname(twin_names[m][1], sizeof twin_names[m][1], "access_by_class", sfx);
    }
    pl_gpkg_opts check = {.overwrite = o->overwrite, .csv = o->csv, .csv_style = o->csv_style, .inputs = inputs};
    if (pl_gpkg_check_output(o->output, &check, twins, err) != PL_OK)
        return err->code;
    /* The output records its inputs' hashes: computed from now on, at the lowest priority. */
    pl_gpkg_hashes *hashes = pl_gpkg_hashes_start_cached(inputs, o->graph_cache);
    int rc = load_inputs(ctx, o, &gopts, &in, &t_load, &t_graph, err);
    int types[PL_MAX_TYPES], n_types = 0;
    if (rc == PL_OK)
        rc = pl_access_resolve_types(o, &in, types, &n_types, err);
    pl_timetable *tt = NULL;
    if (rc == PL_OK && transit)
        rc = pl_transit_load_timetable(ctx, &o->transit, &tt, err);
    c_load = pl_cpu_s() - c0;  /* loading and the graph build overlap: their CPU is counted together */
    c_graph = 0;
    /* --classify first: its classes go into every mode's layers. */
    t0 = pl_now_s();
    c0 = pl_cpu_s();
    if (rc == PL_OK && o->classify)
        rc = classify_cells(ctx, o, &gopts, &in, err);
    t_classify = pl_now_s() - t0;
    c_classify = pl_cpu_s() - c0;
    /* Each mode on the inputs loaded once (road_mode). A mode's layers are written while the
     * next mode computes, then its answers freed. */
    pl_transit_result *tr = NULL;
    access_out out = {.hashes = hashes};
    road_run R = {.ctx = ctx, .wctx = n_modes > 1 ? pl_ctx_new_child(ctx) : ctx, .o = o, .command_line = command_line,
                  .in = &in, .gopts = &gopts, .modes = modes, .n_modes = n_modes, .types = types,
                  .n_types = n_types, .out = &out};
    if (rc == PL_OK && transit)
        rc = transit_mode(ctx, o, command_line, &in, types, n_types, tt, &tp, &R.r[0], &tr, &out, err);
    if (rc == PL_OK && transit)
        add_stage_times(R.r[0], R.ts, R.cs);
    for (int m = 1; rc == PL_OK && !transit && m < n_modes; m++) {
        R.like_first[m] = 1;
        for (size_t i = 0; R.like_first[m] && in.roads && i < in.roads->n; i++)
            R.like_first[m] = pl_graph_road_allowed(in.roads, i, modes[0]) == pl_graph_road_allowed(in.roads, i, modes[m]);
    }
    for (int m = 1; m < n_modes && !R.picks[0]; m++)
        if (R.like_first[m]) {
            R.picks[0] = pl_snap_picks_new();
            R.picks[1] = pl_snap_picks_new();
        }
    mode_write W = {0};
    for (int m = 0; rc == PL_OK && !transit && m < n_modes; m++)
        rc = road_mode(&R, m, &W, err);
    mode_write_finish(&W, NULL);  /* (road_mode waited for every mode's writing) */
    if (R.dist_taken && ctx->verbose)
        pl_info(ctx, "distances: %d search%s not repeated: a later mode's arcs, lengths and attachment are the "
                "first mode's", R.dist_taken, R.dist_taken == 1 ? "" : "es");
    t0 = pl_now_s();
    c0 = pl_cpu_s();
    if (rc == PL_OK)
        rc = pl_gpkg_commit(out.g, err);
    else if (out.g)
        pl_gpkg_abort(out.g);
    else
        pl_gpkg_hashes_free(out.hashes);
    if (R.wctx != ctx) {  /* the writing's warnings (none expected), and its GEOS handle */
        pl_ctx_merge_warnings(ctx, R.wctx);
        pl_ctx_free(R.wctx);
    }
    /* Several modes: a mode's writing overlaps the next mode's stages, so the stages' wall
     * seconds add up to more than the total, and their CPU seconds (of all threads) hold part of
     * the writing's; write's CPU is the writing threads' own (the inserts' thread aside). */
    t_write = out.t_s + pl_now_s() - t0;
    c_write = out.c_s + pl_cpu_s() - c0;
    t_graph += R.t_graph;
    c_graph += R.c_graph;
    const double *ts = R.ts, *cs = R.cs;
    if (rc == PL_OK)
        pl_info(ctx, "platsa access: %zu units, %.0f residents, %d service types -> %s", R.r[0]->n_cells,
                R.r[0]->pop_total, R.r[0]->n_types, o->output);
    if (rc == PL_OK && ctx->verbose)  /* one line, read by bench/run_bench.sh */
        pl_info(ctx, "timings (s): load %.3f graph %.3f%s snap %.3f search %.3f summaries %.3f classify %.3f "
                "write %.3f total %.3f", t_load, t_graph, in.graph && in.graph->from_cache ? " (cache)" : "",
                ts[0], ts[1], ts[2], t_classify, t_write, pl_now_s() - t_start);
    if (rc == PL_OK && ctx->verbose)
        pl_info(ctx, "cpu (s): load %.3f graph %.3f snap %.3f search %.3f summaries %.3f classify %.3f write %.3f "
                "total %.3f", c_load, c_graph, cs[0], cs[1], cs[2], c_classify, c_write,
                pl_cpu_s() - c_start);
    if (rc == PL_OK && ctx->verbose && o->service_areas)
        pl_info(ctx, "service areas (s): wall %.3f cpu %.3f", R.t_areas, R.c_areas);
    for (int m = 0; m < n_modes; m++) {
        pl_access_result_free(R.r[m]);
        pl_service_areas_free(ctx, R.areas[m]);
    }
    pl_graph_free(R.spare);  /* before the first mode's graph, whose nodes and edges it shares */
    pl_snap_picks_free(R.picks[0]);
    pl_snap_picks_free(R.picks[1]);
    pl_transit_result_free(tr);
    pl_timetable_free(tt);
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
