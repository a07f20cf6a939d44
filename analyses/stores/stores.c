/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Store vulnerability (platsa stores): figures from one k = 2 access run, ranking, output. */
#include "stores.h"
#include "stores_styles.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gis/gpkg_writer.h"
#include "analyses/common/attach.h"
#include "analyses/common/fields.h"
#include "analyses/common/ids.h"
#include "gis/util.h"
#include "analyses/common/run.h"

const char pl_stores_usage[] =
    "platsa stores --population FILE --services FILE --roads FILE --municipalities FILE -o OUT.gpkg [options]";
const char pl_stores_summary[] =
    "Vulnerability of every store of a type (default grocery): the residents for whom it is the\n"
    "nearest, their distance and travel time now and if it closed (their second-nearest store),\n"
    "the residents a closure pushes beyond each threshold, the added person-km and person-minutes,\n"
    "and the network distance to the nearest other store. Stores are ranked by the residents pushed\n"
    "beyond the first --beyond-min threshold, then by added person-km: the list an RSP officer reads.\n"
    "Layers: store_priority (points, styled on the residents pushed beyond), store_priority_table\n"
    "(the same as a table; CSV with --csv), store_catchments (every unit with its nearest store and\n"
    "its distance and time if that store closed: the households a closure would push beyond).";

#define B(field) offsetof(pl_stores_opts, base.field)
const pl_option pl_stores_options[] = {
    {"population", 'p', PL_OPT_STRING, B(population), "FILE[:LAYER]", NULL,
     "population units: grid squares (polygons) or points, with a population field", 1, PL_NO_RANGE},
    {"services", 's', PL_OPT_STRING, B(services), "FILE[:LAYER]", NULL,
     "service points with a type field mapped to service types", 1, PL_NO_RANGE},
    {"roads", 'r', PL_OPT_STRING, B(roads), "FILE[:LAYER]", NULL, "road lines", 1, PL_NO_RANGE},
    PL_ROAD_FIELD_OPTIONS(pl_stores_opts, base.road),
    {"municipalities", 'm', PL_OPT_STRING, B(municipalities), "FILE[:LAYER]", NULL,
     "municipality polygons (code and name fields auto-detected)", 1, PL_NO_RANGE},
    {"output", 'o', PL_OPT_STRING, B(output), "OUT.gpkg", NULL, "output GeoPackage", 1, PL_OUTPUT_PATH},
    {"overwrite", 0, PL_OPT_FLAG, B(overwrite), NULL, NULL, "replace an existing output", 0, PL_NO_RANGE},
    {"csv", 0, PL_OPT_FLAG, B(csv), NULL, NULL, "also write store_priority_table as CSV beside the GeoPackage", 0, PL_NO_RANGE},
    PL_CSV_STYLE_OPTION(pl_stores_opts, base.csv_style),
    {"type", 't', PL_OPT_STRING, offsetof(pl_stores_opts, type), "TYPE", "grocery",
     "service type whose stores are assessed (a group such as grocery counts all its members)", 0, PL_NO_RANGE},
    {"mode", 0, PL_OPT_STRING, B(mode), "car|bike|walk", "car", "travel mode", 0, PL_NO_RANGE},
    {"beyond-km", 0, PL_OPT_DOUBLES, offsetof(pl_stores_opts, beyond_km), "KM,...", "10",
     "distance thresholds: residents within one now and beyond it if their store closed", 0, PL_LIST_GT(0, PL_MAX_LIST)},
    {"beyond-min", 0, PL_OPT_DOUBLES, offsetof(pl_stores_opts, beyond_min), "MIN,...", "30",
     "travel-time thresholds; the first ranks the stores (Region Örebro: nobody beyond 30 minutes)", 0, PL_LIST_GT(0, PL_MAX_LIST)},
    {"region", 0, PL_OPT_STRING, B(region), "CODE", NULL,
     "count only residents of this municipality (4 digits) or county (2 digits); stores outside still serve them", 0, PL_NO_RANGE},
    {"pop-field", 0, PL_OPT_STRING, B(pop_field), "FIELD", NULL,
     "population field [auto: pop, beftotalt, befolkning, ...]", 0, PL_NO_RANGE},
    {"age-field", 0, PL_OPT_STRING, B(age_field), "FIELD", NULL,
     "age-group population field, e.g. residents aged 70+ (adds age-group figures)", 0, PL_NO_RANGE},
    {"type-field", 0, PL_OPT_STRING, B(type_field), "FIELD", NULL,
     "service type field [auto: type, typ, amenity, shop, ...]", 0, PL_NO_RANGE},
    {"code-field", 0, PL_OPT_STRING, B(muni_code_field), "FIELD", NULL,
     "municipality code field [auto: KnKod, kommunkod, kod, ...]", 0, PL_NO_RANGE},
    {"name-field", 0, PL_OPT_STRING, B(muni_name_field), "FIELD", NULL,
     "municipality name field [auto: KnNamn, kommunnamn, namn, ...]", 0, PL_NO_RANGE},
    {"service-types", 0, PL_OPT_STRING, B(service_types_file), "FILE.ini", NULL,
     "extra or overriding service types (same format as share/service_types.ini)", 0, PL_NO_RANGE},
    {"crs", 0, PL_OPT_STRING, B(crs), "EPSG:n", "EPSG:3006", "working CRS (projected, metres)", 0, PL_NO_RANGE},
    {"assume-crs", 0, PL_OPT_STRING, B(assume_crs), "EPSG:n", NULL, "CRS for inputs that have none", 0, PL_NO_RANGE},
    PL_UNIT_ATTACH_OPTIONS(B),
    PL_SERVICE_ATTACH_OPTIONS(B),
    {"graph-cache", 0, PL_OPT_STRING, B(graph_cache), "FILE", NULL,
     "keep the roads and the road graph in FILE between runs: a warm run reads neither the roads file nor rebuilds (a new cache when the roads file, layer or options change)", 0, PL_OUTPUT_PATH},
    PL_OPT_END,
};
#undef B

/* ---------- compute ---------- */

/* Nearest other store of the type from every store: one k = 2 search among the stores per
 * metric (a store's own label may come first or second; the other one is the nearest other). */
static int nearest_other(pl_ctx *ctx, const pl_graph *graph, const pl_access_result *r, const pl_access_type *at,
                         pl_store_figures *f, pl_error *err)
{
    uint32_t n = at->n_services;
    pl_snap *snaps = pl_malloc((n ? n : 1) * sizeof *snaps);
    for (uint32_t s = 0; s < n; s++)
        snaps[s] = r->svc_snap[at->service_index[s]];
    pl_label *lab = pl_malloc((n ? n : 1) * 2 * sizeof *lab);
    int rc = PL_OK;
    for (int metric = 0; rc == PL_OK && metric < 2; metric++) {
        pl_search_opts so = {.metric = metric ? PL_METRIC_TIME : PL_METRIC_DISTANCE, .k = 2, .cutoff = INFINITY};
        rc = pl_graph_nearest_k(ctx, graph, snaps, n, snaps, n, &so, lab, err);
        for (uint32_t s = 0; rc == PL_OK && s < n; s++) {
            const pl_label *l = &lab[(size_t)s * 2];
            const pl_label *other = l[0].source != s ? &l[0] : &l[1];
            int found = other->source != UINT32_MAX;
            if (metric == 0) {
                f[s].nearest_other_km = found ? other->dist_m / 1000.0 : NAN;
                f[s].nearest_other = found ? at->service_index[other->source] : UINT32_MAX;
            } else {
                f[s].nearest_other_min = found ? other->time_s / 60.0 : NAN;
            }
        }
    }
    free(lab);
    free(snaps);
    return rc;
}

int pl_stores_from_access(pl_ctx *ctx, const pl_population *pop, const pl_services *svc,
                          const pl_municipalities *munis, const pl_graph *graph, const pl_access_result *r, int t,
                          const pl_doubles *beyond_km, const pl_doubles *beyond_min, pl_store_figures **out,
                          pl_error *err)
{
    const pl_access_type *at = &r->types[t];
    uint32_t n = at->n_services;
    pl_store_figures *f = pl_calloc(n ? n : 1, sizeof *f);
    for (uint32_t s = 0; s < n; s++) {
        f[s].service = at->service_index[s];
        f[s].source = s;
        int outside = 0;
        f[s].muni = pl_municipalities_locate(ctx, munis, svc->x[f[s].service], svc->y[f[s].service], &outside);
        f[s].nearest_other = UINT32_MAX;
    }
    int nk = beyond_km->n, nm = beyond_min->n;
    /* One pass over the cells in input order (the order the tests re-add them in). */
    for (size_t c = 0; c < r->n_cells; c++) {
        if (!r->cell_in_region[c])
            continue;
        double w = pop->pop[c], wa = pop->age_pop ? pop->age_pop[c] : 0;
        const pl_label *d = &at->by_dist[c * 2];
        if (d[0].source != UINT32_MAX) {
            pl_store_figures *s = &f[d[0].source];
            double now = d[0].dist_m / 1000.0;
            int alt = d[1].source != UINT32_MAX;
            double closed = alt ? d[1].dist_m / 1000.0 : INFINITY;
            s->cells_dist++;
            s->pop_dist += w;
            s->age_dist += wa;
            s->person_km_now += w * now;
            if (alt) {
                s->person_km_closed += w * closed;
                s->added_person_km += w * (closed - now);
                if (w > 0 && closed > s->max_km_closed)
                    s->max_km_closed = closed;
            } else {
                s->pop_no_alternative_dist += w;
            }
            for (int i = 0; i < nk; i++)
                if (now <= beyond_km->v[i] && !(closed <= beyond_km->v[i])) {
                    s->pop_beyond_km[i] += w;
                    s->age_beyond_km[i] += wa;
                }
        }
        const pl_label *m = &at->by_time[c * 2];
        if (m[0].source != UINT32_MAX) {
            pl_store_figures *s = &f[m[0].source];
            double now = m[0].time_s / 60.0;
            int alt = m[1].source != UINT32_MAX;
            double closed = alt ? m[1].time_s / 60.0 : INFINITY;
            s->cells_time++;
            s->pop_time += w;
            s->age_time += wa;
            s->person_min_now += w * now;
            if (alt) {
                s->person_min_closed += w * closed;
                s->added_person_min += w * (closed - now);
                if (w > 0 && closed > s->max_min_closed)
                    s->max_min_closed = closed;
            } else {
                s->pop_no_alternative_time += w;
            }
            for (int i = 0; i < nm; i++)
                if (now <= beyond_min->v[i] && !(closed <= beyond_min->v[i])) {
                    s->pop_beyond_min[i] += w;
                    s->age_beyond_min[i] += wa;
                }
        }
    }
    for (uint32_t k = 0; k < n; k++) {
        pl_store_figures *s = &f[k];
        double with_alt_d = s->pop_dist - s->pop_no_alternative_dist;
        double with_alt_t = s->pop_time - s->pop_no_alternative_time;
        s->mean_km_now = s->pop_dist > 0 ? s->person_km_now / s->pop_dist : NAN;
        s->mean_km_closed = with_alt_d > 0 ? s->person_km_closed / with_alt_d : NAN;
        s->mean_min_now = s->pop_time > 0 ? s->person_min_now / s->pop_time : NAN;
        s->mean_min_closed = with_alt_t > 0 ? s->person_min_closed / with_alt_t : NAN;
        if (!(with_alt_d > 0))
            s->max_km_closed = NAN;
        if (!(with_alt_t > 0))
            s->max_min_closed = NAN;
    }
    int rc = nearest_other(ctx, graph, r, at, f, err);
    if (rc != PL_OK) {
        free(f);
        return rc;
    }
    *out = f;
    return PL_OK;
}

static const pl_services *rank_svc;

static int cmp_rank(const void *pa, const void *pb)
{
    const pl_store_figures *a = pa, *b = pb;
    double xa = a->pop_beyond_min[0], xb = b->pop_beyond_min[0];
    if (xa != xb)
        return xa > xb ? -1 : 1;
    if (a->added_person_km != b->added_person_km)
        return a->added_person_km > b->added_person_km ? -1 : 1;
    int c = pl_id_compare(rank_svc->id[a->service], rank_svc->id[b->service]);
    if (c)
        return c;
    return (a->service > b->service) - (a->service < b->service);
}

void pl_stores_rank(pl_store_figures *f, size_t n, const pl_services *svc)
{
    rank_svc = svc;
    qsort(f, n, sizeof *f, cmp_rank);
    for (size_t i = 0; i < n; i++)
        f[i].rank = (int)i + 1;
}

static void copy_thresholds(double *dst, int *n, const pl_doubles *src)
{
    *n = src->n;
    memcpy(dst, src->v, (size_t)src->n * sizeof *dst);
}

static int check_thresholds(const pl_doubles *km, const pl_doubles *min, pl_error *err)
{
    if (min->n < 1)
        return pl_error_set(err, PL_EINPUT, "--beyond-min: give at least one threshold in minutes (e.g. 30)");
    const pl_doubles *lists[2] = {km, min};
    for (int l = 0; l < 2; l++)
        for (int i = 0; i < lists[l]->n; i++)
            if (!(lists[l]->v[i] > 0) || !isfinite(lists[l]->v[i]))
                return pl_error_set(err, PL_EINPUT, "--beyond-%s: thresholds must be positive numbers, got %g",
                                    l ? "min" : "km", lists[l]->v[i]);
    return PL_OK;
}

int pl_stores_compute(pl_ctx *ctx, const pl_population *pop, const pl_services *svc,
                      const pl_service_types *st, const pl_municipalities *munis, const pl_roads *roads,
                      const pl_graph *graph, const pl_stores_params *params, pl_stores_result **out,
                      pl_error *err)
{
    *out = NULL;
    int rc = check_thresholds(&params->beyond_km, &params->beyond_min, err);
    if (rc != PL_OK)
        return rc;
    if (params->type < 0 || params->type >= st->n)
        return pl_error_set(err, PL_EINPUT, "stores: unknown service type");
    pl_access_params ap = params->access;
    ap.types = &params->type;
    ap.n_types = 1;
    pl_stores_result *res = pl_calloc(1, sizeof *res);
    rc = pl_access_compute(ctx, pop, svc, st, munis, roads, graph, &ap, &res->access, err);
    if (rc == PL_OK && res->access->types[0].n_services == 0)
        rc = pl_error_set(err, PL_EINPUT, "no service of type '%s' in %s; check --type and --type-field",
                          st->t[params->type].key, svc->source ? svc->source : "the services");
    if (rc == PL_OK)
        rc = pl_stores_from_access(ctx, pop, svc, munis, graph, res->access, 0, &params->beyond_km,
                                   &params->beyond_min, &res->stores, err);
    if (rc != PL_OK) {
        pl_stores_result_free(res);
        return rc;
    }
    res->n_stores = res->access->types[0].n_services;
    if (params->access.region && *params->access.region) {
        /* Only stores in the region or serving its residents. */
        size_t k = 0;
        const char *reg = params->access.region;
        for (size_t i = 0; i < res->n_stores; i++) {
            const pl_store_figures *f = &res->stores[i];
            int inside = f->muni >= 0 && strncmp(munis->code[f->muni], reg, strlen(reg)) == 0;
            if (inside || f->pop_dist > 0 || f->pop_time > 0 || f->cells_dist > 0 || f->cells_time > 0)
                res->stores[k++] = *f;
        }
        res->n_stores = k;
    }
    copy_thresholds(res->beyond_km, &res->n_beyond_km, &params->beyond_km);
    copy_thresholds(res->beyond_min, &res->n_beyond_min, &params->beyond_min);
    pl_stores_rank(res->stores, res->n_stores, svc);
    *out = res;
    return PL_OK;
}

void pl_stores_result_free(pl_stores_result *r)
{
    if (!r)
        return;
    pl_access_result_free(r->access);
    free(r->stores);
    free(r);
}

/* ---------- output ---------- */


typedef struct priority_cols {
    int rank, id, name, raw_type, kommun, kommun_namn, pop_dist, pop_time, cells;
    int mean_km_now, mean_km_closed, max_km_closed, mean_min_now, mean_min_closed, max_min_closed;
    int beyond_km, beyond_min;   /* first of n */
    int no_alt_km, no_alt_min, added_pkm, added_pmin, other_km, other_min, other_id, other_name;
    int age_dist, age_time, age_beyond_km, age_beyond_min;
} priority_cols;

static void priority_fields(pl_field_list *fl, const pl_stores_result *r, const char *type_label,
                            priority_cols *c)
{
    char name[96], alias[256], tok[32];
    c->rank = pl_fields_add(fl, "rank", PL_FIELD_INT, "Rang (1 = mest sårbar)",
                            "rank by residents pushed beyond the first minute threshold, then added person-km");
    c->id = pl_fields_add(fl, "store_id", PL_FIELD_TEXT, "Butik (id)", "service id");
    c->name = pl_fields_add(fl, "name", PL_FIELD_TEXT, "Namn", "service name");
    c->raw_type = pl_fields_add(fl, "store_type", PL_FIELD_TEXT, "Typ", "the type value in the services file");
    c->kommun = pl_fields_add(fl, "kommun", PL_FIELD_TEXT, "Kommunkod", "municipality the store lies in");
    c->kommun_namn = pl_fields_add(fl, "kommun_namn", PL_FIELD_TEXT, "Kommun", "municipality name");
    snprintf(alias, sizeof alias, "Befolkning med butiken som närmaste %s (avstånd)", type_label);
    c->pop_dist = pl_fields_add(fl, "pop_nearest", PL_FIELD_REAL, alias,
                                "residents whose nearest store of the type by road distance is this one");
    c->pop_time = pl_fields_add(fl, "pop_nearest_time", PL_FIELD_REAL, "Befolkning med butiken som närmaste (restid)",
                                "residents whose nearest store by travel time is this one");
    c->cells = pl_fields_add(fl, "units", PL_FIELD_INT, "Antal rutor/områden", "population units in the catchment (distance)");
    c->mean_km_now = pl_fields_add(fl, "km_now", PL_FIELD_REAL, "Medelavstånd i dag (km)",
                                   "population-weighted mean road distance to this store");
    c->mean_km_closed = pl_fields_add(fl, "km_if_closed", PL_FIELD_REAL, "Medelavstånd om butiken stängs (km)",
                                      "mean distance to their second-nearest store (residents with one)");
    c->max_km_closed = pl_fields_add(fl, "km_if_closed_max", PL_FIELD_REAL, "Längsta avstånd om butiken stängs (km)",
                                     "farthest resident's distance to the next store");
    c->mean_min_now = pl_fields_add(fl, "min_now", PL_FIELD_REAL, "Medelrestid i dag (min)",
                                    "population-weighted mean travel time (catchment by time)");
    c->mean_min_closed = pl_fields_add(fl, "min_if_closed", PL_FIELD_REAL, "Medelrestid om butiken stängs (min)",
                                       "mean travel time to their second-nearest store by time");
    c->max_min_closed = pl_fields_add(fl, "min_if_closed_max", PL_FIELD_REAL, "Längsta restid om butiken stängs (min)",
                                      "farthest resident's travel time to the next store");
    for (int i = 0; i < r->n_beyond_km; i++) {
        pl_band_token(tok, sizeof tok, r->beyond_km[i]);
        snprintf(name, sizeof name, "pop_beyond_%skm", tok);
        snprintf(alias, sizeof alias, "Befolkning som hamnar över %g km om butiken stängs", r->beyond_km[i]);
        int k = pl_fields_add(fl, name, PL_FIELD_REAL, alias,
                              "residents within the threshold now and beyond it (or without any store) if it closed");
        if (i == 0)
            c->beyond_km = k;
    }
    for (int i = 0; i < r->n_beyond_min; i++) {
        pl_band_token(tok, sizeof tok, r->beyond_min[i]);
        snprintf(name, sizeof name, "pop_beyond_%smin", tok);
        snprintf(alias, sizeof alias, "Befolkning som hamnar över %g min om butiken stängs", r->beyond_min[i]);
        int k = pl_fields_add(fl, name, PL_FIELD_REAL, alias,
                              "residents within the threshold now and beyond it (or without any store) if it closed");
        if (i == 0)
            c->beyond_min = k;
    }
    c->no_alt_km = pl_fields_add(fl, "pop_no_alternative", PL_FIELD_REAL, "Befolkning utan annan butik att nå",
                                 "residents of the catchment with no other store of the type reachable by road");
    c->no_alt_min = pl_fields_add(fl, "pop_no_alternative_time", PL_FIELD_REAL,
                                  "Befolkning utan annan butik att nå (restid)", NULL);
    c->added_pkm = pl_fields_add(fl, "added_person_km", PL_FIELD_REAL, "Ökning personkilometer (per resa)",
                                 "sum over residents of the added one-way distance if the store closed");
    c->added_pmin = pl_fields_add(fl, "added_person_min", PL_FIELD_REAL, "Ökning personminuter (per resa)",
                                  "sum over residents of the added one-way travel time if the store closed");
    c->other_km = pl_fields_add(fl, "next_store_km", PL_FIELD_REAL, "Avstånd till närmaste annan butik (km)",
                                "road distance from this store to the nearest other store of the type");
    c->other_min = pl_fields_add(fl, "next_store_min", PL_FIELD_REAL, "Restid till närmaste annan butik (min)", NULL);
    c->other_id = pl_fields_add(fl, "next_store_id", PL_FIELD_TEXT, "Närmaste annan butik (id)", NULL);
    c->other_name = pl_fields_add(fl, "next_store_name", PL_FIELD_TEXT, "Närmaste annan butik (namn)", NULL);
    c->age_dist = c->age_time = c->age_beyond_km = c->age_beyond_min = -1;
    if (r->access->has_age) {
        c->age_dist = pl_fields_add(fl, "age_nearest", PL_FIELD_REAL, "Åldersgruppen med butiken som närmaste",
                                    "residents of the age group (--age-field) in the catchment (distance)");
        c->age_time = pl_fields_add(fl, "age_nearest_time", PL_FIELD_REAL,
                                    "Åldersgruppen med butiken som närmaste (restid)", NULL);
        for (int i = 0; i < r->n_beyond_km; i++) {
            pl_band_token(tok, sizeof tok, r->beyond_km[i]);
            snprintf(name, sizeof name, "age_beyond_%skm", tok);
            snprintf(alias, sizeof alias, "Åldersgruppen som hamnar över %g km", r->beyond_km[i]);
            int k = pl_fields_add(fl, name, PL_FIELD_REAL, alias, NULL);
            if (i == 0)
                c->age_beyond_km = k;
        }
        for (int i = 0; i < r->n_beyond_min; i++) {
            pl_band_token(tok, sizeof tok, r->beyond_min[i]);
            snprintf(name, sizeof name, "age_beyond_%smin", tok);
            snprintf(alias, sizeof alias, "Åldersgruppen som hamnar över %g min", r->beyond_min[i]);
            int k = pl_fields_add(fl, name, PL_FIELD_REAL, alias, NULL);
            if (i == 0)
                c->age_beyond_min = k;
        }
    }
}

static void set_priority_row(pl_gpkg_layer *l, const priority_cols *c, const pl_stores_result *r,
                             const pl_store_figures *f, const pl_access_inputs *in)
{
    const pl_services *svc = in->svc;
    pl_gpkg_set_int(l, c->rank, f->rank);
    pl_gpkg_set_text(l, c->id, svc->id[f->service]);
    pl_gpkg_set_text(l, c->name, svc->name[f->service]);
    pl_gpkg_set_text(l, c->raw_type, svc->raw_type ? svc->raw_type[f->service] : NULL);
    if (f->muni >= 0) {
        pl_gpkg_set_text(l, c->kommun, in->munis->code[f->muni]);
        pl_gpkg_set_text(l, c->kommun_namn, in->munis->name[f->muni]);
    }
    pl_gpkg_set_real(l, c->pop_dist, pl_round_people(f->pop_dist));
    pl_gpkg_set_real(l, c->pop_time, pl_round_people(f->pop_time));
    pl_gpkg_set_int(l, c->cells, f->cells_dist);
    pl_gpkg_set_real(l, c->mean_km_now, pl_round_km(f->mean_km_now));
    pl_gpkg_set_real(l, c->mean_km_closed, pl_round_km(f->mean_km_closed));
    pl_gpkg_set_real(l, c->max_km_closed, pl_round_km(f->max_km_closed));
    pl_gpkg_set_real(l, c->mean_min_now, pl_round_min(f->mean_min_now));
    pl_gpkg_set_real(l, c->mean_min_closed, pl_round_min(f->mean_min_closed));
    pl_gpkg_set_real(l, c->max_min_closed, pl_round_min(f->max_min_closed));
    for (int i = 0; i < r->n_beyond_km; i++)
        pl_gpkg_set_real(l, c->beyond_km + i, pl_round_people(f->pop_beyond_km[i]));
    for (int i = 0; i < r->n_beyond_min; i++)
        pl_gpkg_set_real(l, c->beyond_min + i, pl_round_people(f->pop_beyond_min[i]));
    pl_gpkg_set_real(l, c->no_alt_km, pl_round_people(f->pop_no_alternative_dist));
    pl_gpkg_set_real(l, c->no_alt_min, pl_round_people(f->pop_no_alternative_time));
    pl_gpkg_set_real(l, c->added_pkm, pl_round_to(f->added_person_km, 1000));
    pl_gpkg_set_real(l, c->added_pmin, pl_round_to(f->added_person_min, 100));
    pl_gpkg_set_real(l, c->other_km, pl_round_km(f->nearest_other_km));
    pl_gpkg_set_real(l, c->other_min, pl_round_min(f->nearest_other_min));
    if (f->nearest_other != UINT32_MAX) {
        pl_gpkg_set_text(l, c->other_id, svc->id[f->nearest_other]);
        pl_gpkg_set_text(l, c->other_name, svc->name[f->nearest_other]);
    }
    if (c->age_dist >= 0) {
        pl_gpkg_set_real(l, c->age_dist, pl_round_people(f->age_dist));
        pl_gpkg_set_real(l, c->age_time, pl_round_people(f->age_time));
        for (int i = 0; i < r->n_beyond_km; i++)
            pl_gpkg_set_real(l, c->age_beyond_km + i, pl_round_people(f->age_beyond_km[i]));
        for (int i = 0; i < r->n_beyond_min; i++)
            pl_gpkg_set_real(l, c->age_beyond_min + i, pl_round_people(f->age_beyond_min[i]));
    }
}

static int write_priority(pl_gpkg *g, const pl_access_inputs *in, const pl_stores_result *r, int type,
                          pl_error *err)
{
    pl_field_list fl = {0};
    priority_cols c;
    const pl_service_type *ty = &in->types->t[type];
    priority_fields(&fl, r, ty->label_sv, &c);
    char style_field[96], tok[32], title[256];
    pl_band_token(tok, sizeof tok, r->beyond_min[0]);
    snprintf(style_field, sizeof style_field, "pop_beyond_%smin", tok);
    pl_legend lg;
    const pl_style *style = pl_stores_style_priority(&lg, style_field);
    snprintf(title, sizeof title, "Butikers sårbarhet: %s (befolkning över %g min om butiken stängs)", ty->label_sv,
             r->beyond_min[0]);
    pl_gpkg_layer *pts = pl_gpkg_layer_add(g, "store_priority", 1, title, fl.defs, fl.n, style, err);
    pl_gpkg_layer *tab = pts ? pl_gpkg_layer_add(g, "store_priority_table", 100, "Butikers sårbarhet (tabell)",
                                                 fl.defs, fl.n, NULL, err)
                             : NULL;
    int rc = tab ? PL_OK : PL_EINTERNAL;
    for (size_t i = 0; rc == PL_OK && i < r->n_stores; i++) {
        const pl_store_figures *f = &r->stores[i];
        pl_gpkg_row_begin(pts);
        set_priority_row(pts, &c, r, f, in);
        pl_gpkg_set_xy(pts, in->svc->x[f->service], in->svc->y[f->service]);
        rc = pl_gpkg_row_end(pts, err);
        if (rc != PL_OK)
            break;
        pl_gpkg_row_begin(tab);
        set_priority_row(tab, &c, r, f, in);
        rc = pl_gpkg_row_end(tab, err);
    }
    pl_fields_free(&fl);
    return rc;
}

static int write_catchments(pl_gpkg *g, const pl_access_inputs *in, const pl_stores_result *r, pl_error *err)
{
    const pl_access_result *a = r->access;
    const pl_access_type *at = &a->types[0];
    pl_field_list fl = {0};
    char alias[256], name[96], tok[32];
    pl_fields_add(&fl, "cell_id", PL_FIELD_TEXT, "Ruta/område", "population unit id");
    pl_fields_add(&fl, "kommun", PL_FIELD_TEXT, "Kommunkod", "municipality code");
    pl_fields_add(&fl, "pop", PL_FIELD_REAL, "Befolkning", "residents");
    pl_fields_add(&fl, "pop_age", PL_FIELD_REAL, "Befolkning i åldersgruppen", "residents of the age group");
    pl_fields_add(&fl, "store_id", PL_FIELD_TEXT, "Närmaste butik (id)", "nearest store by road distance");
    pl_fields_add(&fl, "km_now", PL_FIELD_REAL, "Avstånd i dag (km)", NULL);
    pl_fields_add(&fl, "km_if_closed", PL_FIELD_REAL, "Avstånd om närmaste butik stängs (km)",
                  "distance to the second-nearest store");
    pl_fields_add(&fl, "store_id_time", PL_FIELD_TEXT, "Närmaste butik i tid (id)", NULL);
    pl_fields_add(&fl, "min_now", PL_FIELD_REAL, "Restid i dag (min)", NULL);
    pl_fields_add(&fl, "min_if_closed", PL_FIELD_REAL, "Restid om närmaste butik stängs (min)",
                  "travel time to the second-nearest store by time");
    pl_band_token(tok, sizeof tok, r->beyond_min[0]);
    snprintf(name, sizeof name, "pushed_beyond_%smin", tok);
    snprintf(alias, sizeof alias, "Hamnar över %g min om närmaste butik stängs", r->beyond_min[0]);
    int f_pushed_min = pl_fields_add(&fl, name, PL_FIELD_INT, alias, "1: within now, beyond if the nearest closed");
    int f_pushed_km = -1;
    if (r->n_beyond_km > 0) {
        pl_band_token(tok, sizeof tok, r->beyond_km[0]);
        snprintf(name, sizeof name, "pushed_beyond_%skm", tok);
        snprintf(alias, sizeof alias, "Hamnar över %g km om närmaste butik stängs", r->beyond_km[0]);
        f_pushed_km = pl_fields_add(&fl, name, PL_FIELD_INT, alias, NULL);
    }
    pl_legend lg;
    const pl_style *style = pl_stores_style_catchments(&lg, at->bands_min, at->n_bands_min);
    int geom_type = in->pop->is_polygon ? 6 : 1;
    pl_gpkg_layer *l = pl_gpkg_layer_add(g, "store_catchments", geom_type,
                                         "Restid om närmaste butik stängs, per ruta", fl.defs, fl.n, style, err);
    int rc = l ? PL_OK : PL_EINTERNAL;
    for (size_t c = 0; rc == PL_OK && c < a->n_cells; c++) {
        if (!a->cell_in_region[c])
            continue;
        const pl_label *d = &at->by_dist[c * 2], *m = &at->by_time[c * 2];
        pl_gpkg_row_begin(l);
        pl_gpkg_set_text(l, 0, in->pop->id[c]);
        pl_gpkg_set_text(l, 1, a->cell_muni[c] >= 0 ? in->munis->code[a->cell_muni[c]] : NULL);
        pl_gpkg_set_real(l, 2, in->pop->pop[c]);
        if (in->pop->age_pop)
            pl_gpkg_set_real(l, 3, in->pop->age_pop[c]);
        if (d[0].source != UINT32_MAX)
            pl_gpkg_set_text(l, 4, in->svc->id[at->service_index[d[0].source]]);
        pl_gpkg_set_real(l, 5, pl_round_km(d[0].dist_m / 1000.0));
        pl_gpkg_set_real(l, 6, pl_round_km(d[1].dist_m / 1000.0));
        if (m[0].source != UINT32_MAX)
            pl_gpkg_set_text(l, 7, in->svc->id[at->service_index[m[0].source]]);
        pl_gpkg_set_real(l, 8, pl_round_min(m[0].time_s / 60.0));
        pl_gpkg_set_real(l, 9, pl_round_min(m[1].time_s / 60.0));
        double now = m[0].time_s / 60.0, closed = m[1].time_s / 60.0;
        pl_gpkg_set_int(l, f_pushed_min, now <= r->beyond_min[0] && !(closed <= r->beyond_min[0]));
        if (f_pushed_km >= 0) {
            now = d[0].dist_m / 1000.0;
            closed = d[1].dist_m / 1000.0;
            pl_gpkg_set_int(l, f_pushed_km, now <= r->beyond_km[0] && !(closed <= r->beyond_km[0]));
        }
        pl_gpkg_set_geos(l, in->pop->geom[c]);
        rc = pl_gpkg_row_end(l, err);
    }
    pl_fields_free(&fl);
    return rc;
}

static int write_output(pl_ctx *ctx, const pl_stores_opts *o, const char *command_line, const pl_access_inputs *in,
                        const pl_stores_result *r, int type, pl_error *err)
{
    const pl_access_opts *b = &o->base;
    const char *inputs[] = {b->population, b->services, b->roads, b->municipalities, NULL};
    pl_gpkg_opts go = {.overwrite = b->overwrite, .csv = b->csv,
                       .csv_style = b->csv_style, .command_line = command_line, .inputs = inputs,
                           .graph_cache = b->graph_cache};
    pl_gpkg *g = pl_gpkg_create(ctx, b->output, &go, err);
    if (!g)
        return err->code;
    char value[512];
    pl_gpkg_add_parameter(g, "analysis", "stores");
    pl_gpkg_add_parameter(g, "type", in->types->t[type].key);
    pl_gpkg_add_parameter(g, "mode", b->mode);
    value[0] = 0;
    for (int i = 0; i < r->n_beyond_km; i++)
        snprintf(value + strlen(value), sizeof value - strlen(value), "%s%g", i ? "," : "", r->beyond_km[i]);
    pl_gpkg_add_parameter(g, "beyond_km", value);
    value[0] = 0;
    for (int i = 0; i < r->n_beyond_min; i++)
        snprintf(value + strlen(value), sizeof value - strlen(value), "%s%g", i ? "," : "", r->beyond_min[i]);
    pl_gpkg_add_parameter(g, "beyond_min", value);
    pl_gpkg_add_parameter(g, "region", b->region ? b->region : "");
    pl_gpkg_add_parameter(g, "crs", ctx->work_crs);
    snprintf(value, sizeof value, "%zu", r->n_stores);
    pl_gpkg_add_parameter(g, "stores", value);
    snprintf(value, sizeof value, "%.0f", r->access->pop_total);
    pl_gpkg_add_parameter(g, "population_total", value);
    pl_gpkg_add_parameter(g, "method", "one k=2 search per metric: if a store closes, its residents' new nearest "
                                       "store is their second-nearest");
    int rc = write_priority(g, in, r, type, err);
    if (rc == PL_OK)
        rc = write_catchments(g, in, r, err);
    if (rc == PL_OK)
        rc = pl_write_unattached_units(g, in->pop, r->access->cell_snap, r->access->cell_in_region, err);
    if (rc == PL_OK)
        rc = pl_write_unattached_services(g, in->svc, in->types, r->access->svc_snap, err);
    if (rc != PL_OK) {
        pl_gpkg_abort(g);
        return rc;
    }
    return pl_gpkg_commit(g, err);
}

static int stores_run(pl_ctx *ctx, const pl_stores_opts *o, const char *command_line, pl_error *err)
{
    const pl_access_opts *b = &o->base;
    if (b->crs)
        snprintf(ctx->work_crs, sizeof ctx->work_crs, "%s", b->crs);
    pl_graph_opts gopts;
    pl_graph_opts_default(&gopts);
    if (pl_mode_from_name(b->mode, &gopts.mode) != PL_OK)
        return pl_error_set(err, PL_EINPUT, "--mode '%s': use car, bike or walk", b->mode);
    gopts.cache_path = b->graph_cache;
    int rc = check_thresholds(&o->beyond_km, &o->beyond_min, err);
    if (rc != PL_OK)
        return rc;
    const char *inputs[] = {b->population, b->services, b->roads, b->municipalities, NULL};
    const char *twins[] = {"store_priority_table", NULL};
    pl_gpkg_opts check = {.overwrite = b->overwrite, .csv = b->csv, .csv_style = b->csv_style, .inputs = inputs};
    if (pl_gpkg_check_output(b->output, &check, twins, err) != PL_OK)
        return err->code;
    const char *cache_inputs[] = {b->population, b->services, b->roads, b->municipalities, b->localities,
                                  b->service_types_file};
    if (pl_graph_cache_check_path(b->graph_cache, cache_inputs, 6, &b->output, 1, err) != PL_OK)
        return err->code;
    pl_access_inputs in = {0};
    rc = pl_access_load_inputs_graph(ctx, b, &gopts, &in, err);
    int type = -1;
    if (rc == PL_OK) {
        type = pl_service_types_find(in.types, o->type);
        if (type < 0)
            type = pl_service_types_match_value(in.types, o->type);
        if (type < 0)
            rc = pl_error_set(err, PL_EINPUT, "--type '%s': no such service type; see platsa info --types",
                              o->type);
    }
    pl_stores_result *r = NULL;
    if (rc == PL_OK) {
        pl_stores_params p = {.access = {.mode = gopts.mode, .within_km = 10, .region = b->region,
                                         .max_snap_m = b->max_snap_m,
                                         .max_service_snap_m = b->max_service_snap_m},
                              .type = type,
                              .beyond_km = o->beyond_km,
                              .beyond_min = o->beyond_min};
        rc = pl_stores_compute(ctx, in.pop, in.svc, in.types, in.munis, in.roads, in.graph, &p, &r, err);
    }
    if (rc == PL_OK)
        rc = write_output(ctx, o, command_line, &in, r, type, err);
    if (rc == PL_OK)
        pl_info(ctx, "platsa stores: %zu stores of type %s, %.0f residents; %s (rank 1) pushes %.0f beyond %g min -> %s",
                r->n_stores, in.types->t[type].key, r->access->pop_total,
                r->n_stores ? in.svc->id[r->stores[0].service] : "-", r->n_stores ? r->stores[0].pop_beyond_min[0] : 0,
                r->beyond_min[0], b->output);
    pl_stores_result_free(r);
    pl_access_free_inputs(ctx, &in);
    return rc;
}

int pl_stores_opts_init(pl_stores_opts *o)
{
    memset(o, 0, sizeof *o);
    return pl_options_defaults(pl_stores_options, o, NULL);
}

void pl_stores_opts_free(pl_stores_opts *o)
{
    pl_options_free(pl_stores_options, o);
}

typedef struct stores_call {
    pl_ctx *ctx;
    const pl_stores_opts *o;
    const char *command_line;
    pl_error *err;
} stores_call;

static int stores_call_run(void *arg)
{
    stores_call *c = arg;
    return stores_run(c->ctx, c->o, c->command_line, c->err);
}

int pl_stores_run(pl_ctx *ctx, const pl_stores_opts *o, const char *command_line, pl_error *err)
{
    stores_call c = {ctx, o, command_line, err};
    return pl_oom_guard(stores_call_run, &c, pl_run_unwind, err);
}
