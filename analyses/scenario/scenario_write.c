/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa scenario: run every scenario of a file against the baseline and write the
 * per-scenario access cells, delta_cells, delta_municipalities and scenario_summary. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gis/crs_check.h"
#include "gis/gpkg_writer.h"
#include "analyses/common/fields.h"
#include "analyses/common/attach.h"
#include "scenario.h"
#include "scenario_run.h"
#include "scenario_styles.h"
#include "analyses/access/access_styles.h"
#include "gis/util.h"
#include "analyses/common/run.h"

#define NONE32 UINT32_MAX

const char pl_scenario_usage[] = "platsa scenario FILE.ini -o OUT.gpkg [--overwrite] [--csv]";
const char pl_scenario_summary[] =
    "Runs what-if scenarios against a baseline access run. The file (INI) has a [baseline] section\n"
    "with the inputs of `platsa access` (population, services, roads, municipalities, types, mode,\n"
    "bands_km, bands_min, region, ...; paths relative to the file) and one [scenario NAME] section\n"
    "per scenario with any of:\n"
    "  close = ID, ID            services closed (by id)\n"
    "  add = FILE[:LAYER]        new services;  add_service = ID; TYPE; X; Y[; NAME]  one new service\n"
    "  add_population = FILE     new housing;   add_housing = ID; RESIDENTS; X; Y[; AGE]  one point\n"
    "  remove_roads = ID, ID     roads closed;  add_roads = FILE  new road lines\n"
    "  description = TEXT\n"
    "Coordinates are in the working CRS (EPSG:3006). Closures, new services and new housing are\n"
    "recomputed incrementally (only the residents they touch are searched again; the result equals\n"
    "a full re-run); road changes re-run the analysis. Examples: sample-data/scenarios/*.ini.\n"
    "Layers: scenario_cells_<name> (each scenario's access per unit), delta_cells (units whose\n"
    "distance or time changes, with band changes), delta_municipalities (residents crossing each\n"
    "band bound, both ways, per municipality; CSV), scenario_summary (all scenarios side by side; CSV).";

const pl_option pl_scenario_options[] = {
    {"output", 'o', PL_OPT_STRING, offsetof(pl_scenario_opts, output), "OUT.gpkg", NULL, "output GeoPackage", 1, PL_OUTPUT_PATH},
    {"overwrite", 0, PL_OPT_FLAG, offsetof(pl_scenario_opts, overwrite), NULL, NULL, "replace an existing output", 0, PL_NO_RANGE},
    {"csv", 0, PL_OPT_FLAG, offsetof(pl_scenario_opts, csv), NULL, NULL, "also write the tables as CSV", 0, PL_NO_RANGE},
    PL_CSV_STYLE_OPTION(pl_scenario_opts, csv_style),
    {"graph-cache", 0, PL_OPT_STRING, offsetof(pl_scenario_opts, graph_cache), "FILE", NULL,
     "keep the roads and the road graph in FILE between runs: a warm run reads neither the roads file nor rebuilds (a new cache when the roads file, layer or options change)", 0, PL_OUTPUT_PATH},
    {"no-cells", 0, PL_OPT_FLAG, offsetof(pl_scenario_opts, no_cells), NULL, NULL,
     "skip the per-scenario access cell layers (delta_cells and the tables are still written)", 0, PL_NO_RANGE},
    PL_OPT_END,
};

typedef pl_scen scen;

void pl_scen_free_one(pl_ctx *ctx, scen *s)
{
    pl_access_result_free(s->r);
    pl_scenario_services_free(s->svc);
    pl_services_free(s->added);
    pl_scenario_population_free(s->pop);
    pl_population_free(ctx, s->added_pop);
    pl_graph_free(s->graph);
    if (s->roads)
        pl_roads_free(s->roads);
}

/* ---------- band deltas ---------- */

static int beyond(double v, double bound) { return !(v <= bound); }

static double value_of(const pl_access_type *at, size_t c, int metric)
{
    return metric ? at->by_time[c * 2].time_s / 60.0 : at->by_dist[c * 2].dist_m / 1000.0;
}

typedef pl_band_delta band_delta;

void pl_scenario_band_deltas(const pl_access_result *before, const pl_access_result *after, const pl_population *pop,
                             int t, int metric, double bound, size_t n_munis, pl_band_delta *out)
{
    memset(out, 0, (n_munis + 1) * sizeof *out);
    const pl_access_type *bt = &before->types[t], *at = &after->types[t];
    for (size_t c = 0; c < after->n_cells; c++) {
        if (!after->cell_in_region[c] || after->cell_muni[c] < 0)
            continue;
        double w = pop->pop[c];
        int now = beyond(value_of(at, c, metric), bound);
        size_t idx[2] = {(size_t)after->cell_muni[c], n_munis};
        if (c < before->n_cells) {
            int was = beyond(value_of(bt, c, metric), bound);
            for (int k = 0; k < 2; k++) {
                band_delta *d = &out[idx[k]];
                if (was)
                    d->before_beyond += w;
                if (now)
                    d->after_beyond += w;
                if (!was && now)
                    d->out += w;
                if (was && !now)
                    d->in += w;
            }
        } else {
            for (int k = 0; k < 2; k++)
                if (now) {
                    out[idx[k]].after_beyond += w;
                    out[idx[k]].new_beyond += w;
                }
        }
    }
}

/* ---------- output ---------- */


static void make_layer_name(char *buf, size_t size, const char *prefix, const char *name, scen *all, size_t n_before)
{
    char slug[48];
    size_t k = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p && k + 1 < sizeof slug; p++) {
        unsigned char ch = *p;
        char o;
        if (ch >= 'A' && ch <= 'Z')
            o = (char)(ch - 'A' + 'a');
        else if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))
            o = (char)ch;
        else if (ch == 0xC3 && p[1]) {  /* å ä ö Å Ä Ö é ü in UTF-8 */
            unsigned char c2 = *++p;
            o = (c2 == 0xA5 || c2 == 0xA4 || c2 == 0x85 || c2 == 0x84) ? 'a'
                : (c2 == 0xB6 || c2 == 0x96) ? 'o' : (c2 == 0xA9 || c2 == 0x89) ? 'e' : (c2 == 0xBC || c2 == 0x9C) ? 'u' : '_';
        } else {
            o = '_';
        }
        if (o == '_' && (k == 0 || slug[k - 1] == '_'))
            continue;
        slug[k++] = o;
    }
    while (k > 0 && slug[k - 1] == '_')
        k--;
    slug[k] = 0;
    snprintf(buf, size, "%s_%s", prefix, k ? slug : "x");
    for (int n = 2;; n++) {
        int clash = 0;
        for (size_t i = 0; i < n_before; i++)
            clash |= strcmp(all[i].layer, buf) == 0;
        if (!clash)
            break;
        char num[16];
        snprintf(num, sizeof num, "_%d", n % 100000);
        snprintf(buf, size, "%s_%.30s%s", prefix, k ? slug : "x", num);
    }
}

static int write_cells(pl_gpkg *g, const pl_access_inputs *in, const scen *s, pl_error *err)
{
    const pl_access_result *r = s->r;
    pl_field_list fl = {0};
    pl_fields_add(&fl, "cell_id", PL_FIELD_TEXT, "Ruta/område", NULL);
    pl_fields_add(&fl, "kommun", PL_FIELD_TEXT, "Kommunkod", NULL);
    pl_fields_add(&fl, "pop", PL_FIELD_REAL, "Befolkning", NULL);
    pl_fields_add(&fl, "new_unit", PL_FIELD_INT, "Ny bebyggelse i scenariot", "1 for housing the scenario adds");
    char name[96], alias[256];
    for (int t = 0; t < r->n_types; t++) {
        const pl_service_type *ty = &in->types->t[r->types[t].type];
#define ADD(suffix, ftype, fmt)                             \
    snprintf(name, sizeof name, "%s_%s", ty->key, suffix);  \
    snprintf(alias, sizeof alias, fmt, ty->label_sv);       \
    pl_fields_add(&fl, name, ftype, alias, NULL)
        ADD("km", PL_FIELD_REAL, "%s: avstånd (km)");
        ADD("min", PL_FIELD_REAL, "%s: restid (min)");
        ADD("km_2nd", PL_FIELD_REAL, "%s: avstånd till näst närmaste (km)");
        ADD("min_2nd", PL_FIELD_REAL, "%s: restid till näst närmaste (min)");
        ADD("id", PL_FIELD_TEXT, "%s: närmaste (id)");
        ADD("band_km", PL_FIELD_TEXT, "%s: avståndsklass");
        ADD("band_min", PL_FIELD_TEXT, "%s: restidsklass");
#undef ADD
    }
    const pl_access_type *first = &r->types[0];
    char style_field[64], title[256];
    snprintf(style_field, sizeof style_field, "%s_km", in->types->t[first->type].key);
    pl_legend lg;
    const pl_style *style = pl_access_style_distance(&lg, style_field, first->bands_km, first->n_bands_km, 0);
    snprintf(title, sizeof title, "Scenario %s: tillgänglighet per ruta", s->def->name);
    pl_gpkg_layer *l = pl_gpkg_layer_add(g, s->layer, s->pop->is_polygon ? 6 : 1, title, fl.defs, fl.n, style, err);
    int rc = l ? PL_OK : PL_EINTERNAL;
    char band[64];
    size_t n_base = in->pop->n;
    for (size_t c = 0; rc == PL_OK && c < r->n_cells; c++) {
        if (!r->cell_in_region[c])
            continue;
        pl_gpkg_row_begin(l);
        pl_gpkg_set_text(l, 0, s->pop->id[c]);
        pl_gpkg_set_text(l, 1, r->cell_muni[c] >= 0 ? in->munis->code[r->cell_muni[c]] : NULL);
        pl_gpkg_set_real(l, 2, s->pop->pop[c]);
        pl_gpkg_set_int(l, 3, c >= n_base);
        for (int t = 0; t < r->n_types; t++) {
            const pl_access_type *at = &r->types[t];
            const pl_label *d = &at->by_dist[c * 2], *m = &at->by_time[c * 2];
            int f = 4 + 7 * t;
            pl_gpkg_set_real(l, f, pl_round_km(d[0].dist_m / 1000.0));
            pl_gpkg_set_real(l, f + 1, pl_round_min(m[0].time_s / 60.0));
            pl_gpkg_set_real(l, f + 2, pl_round_km(d[1].dist_m / 1000.0));
            pl_gpkg_set_real(l, f + 3, pl_round_min(m[1].time_s / 60.0));
            if (d[0].source != NONE32)
                pl_gpkg_set_text(l, f + 4, s->svc->id[at->service_index[d[0].source]]);
            pl_band_label(band, sizeof band, at->bands_km, at->n_bands_km,
                          pl_band_index(d[0].dist_m / 1000.0, at->bands_km, at->n_bands_km), "km");
            pl_gpkg_set_text(l, f + 5, band);
            pl_band_label(band, sizeof band, at->bands_min, at->n_bands_min,
                          pl_band_index(m[0].time_s / 60.0, at->bands_min, at->n_bands_min), "min");
            pl_gpkg_set_text(l, f + 6, band);
        }
        if (s->pop->geom[c])
            pl_gpkg_set_geos(l, s->pop->geom[c]);
        rc = pl_gpkg_row_end(l, err);
    }
    pl_fields_free(&fl);
    return rc;
}

static int write_delta_cells(pl_gpkg *g, const pl_access_inputs *in, const pl_access_result *base, const scen *sc,
                             size_t n_sc, pl_error *err)
{
    pl_field_list fl = {0};
    pl_fields_add(&fl, "scenario", PL_FIELD_TEXT, "Scenario", NULL);
    pl_fields_add(&fl, "cell_id", PL_FIELD_TEXT, "Ruta/område", NULL);
    pl_fields_add(&fl, "kommun", PL_FIELD_TEXT, "Kommunkod", NULL);
    pl_fields_add(&fl, "pop", PL_FIELD_REAL, "Befolkning", NULL);
    pl_fields_add(&fl, "new_unit", PL_FIELD_INT, "Ny bebyggelse i scenariot", NULL);
    char name[96], alias[256];
    for (int t = 0; t < base->n_types; t++) {
        const pl_service_type *ty = &in->types->t[base->types[t].type];
#define ADD(suffix, ftype, fmt, desc)                       \
    snprintf(name, sizeof name, "%s_%s", ty->key, suffix);  \
    snprintf(alias, sizeof alias, fmt, ty->label_sv);       \
    pl_fields_add(&fl, name, ftype, alias, desc)
        ADD("km_before", PL_FIELD_REAL, "%s: avstånd före (km)", NULL);
        ADD("km_after", PL_FIELD_REAL, "%s: avstånd efter (km)", NULL);
        ADD("d_km", PL_FIELD_REAL, "%s: förändring avstånd (km)", "after - before; NULL when either is unreachable");
        ADD("min_before", PL_FIELD_REAL, "%s: restid före (min)", NULL);
        ADD("min_after", PL_FIELD_REAL, "%s: restid efter (min)", NULL);
        ADD("d_min", PL_FIELD_REAL, "%s: förändring restid (min)", NULL);
        ADD("band_km_before", PL_FIELD_TEXT, "%s: avståndsklass före", NULL);
        ADD("band_km_after", PL_FIELD_TEXT, "%s: avståndsklass efter", NULL);
        ADD("band_min_before", PL_FIELD_TEXT, "%s: restidsklass före", NULL);
        ADD("band_min_after", PL_FIELD_TEXT, "%s: restidsklass efter", NULL);
        ADD("band_change_min", PL_FIELD_INT, "%s: ändring restidsklass (steg)",
            "time band index after - before (positive = worse; unreachable counts as one past the last)");
#undef ADD
    }
    char style_field[64];
    snprintf(style_field, sizeof style_field, "%s_d_min", in->types->t[base->types[0].type].key);
    pl_legend lg;
    const pl_style *style = pl_scenario_style_delta(&lg, style_field);
    pl_gpkg_layer *l = pl_gpkg_layer_add(g, "delta_cells", in->pop->is_polygon ? 6 : 1,
                                         "Scenarier: rutor vars avstånd eller restid ändras", fl.defs, fl.n, style, err);
    int rc = l ? PL_OK : PL_EINTERNAL;
    char band[64];
    for (size_t k = 0; rc == PL_OK && k < n_sc; k++) {
        const scen *s = &sc[k];
        const pl_access_result *r = s->r;
        for (size_t c = 0; rc == PL_OK && c < r->n_cells; c++) {
            if (!r->cell_in_region[c])
                continue;
            int is_new = c >= base->n_cells, changed = is_new;
            for (int t = 0; t < r->n_types && !changed; t++) {
                const pl_access_type *a = &r->types[t], *b = &base->types[t];
                changed = a->by_dist[c * 2].dist_m != b->by_dist[c * 2].dist_m ||
                          a->by_time[c * 2].time_s != b->by_time[c * 2].time_s;
            }
            if (!changed)
                continue;
            pl_gpkg_row_begin(l);
            pl_gpkg_set_text(l, 0, s->def->name);
            pl_gpkg_set_text(l, 1, s->pop->id[c]);
            pl_gpkg_set_text(l, 2, r->cell_muni[c] >= 0 ? in->munis->code[r->cell_muni[c]] : NULL);
            pl_gpkg_set_real(l, 3, s->pop->pop[c]);
            pl_gpkg_set_int(l, 4, is_new);
            for (int t = 0; t < r->n_types; t++) {
                const pl_access_type *a = &r->types[t], *b = &base->types[t];
                int f = 5 + 11 * t;
                double kb = is_new ? NAN : b->by_dist[c * 2].dist_m / 1000.0, ka = a->by_dist[c * 2].dist_m / 1000.0;
                double mb = is_new ? NAN : b->by_time[c * 2].time_s / 60.0, ma = a->by_time[c * 2].time_s / 60.0;
                pl_gpkg_set_real(l, f, pl_round_km(kb));
                pl_gpkg_set_real(l, f + 1, pl_round_km(ka));
                pl_gpkg_set_real(l, f + 2, isfinite(kb) && isfinite(ka) ? pl_round_km(ka - kb) : NAN);
                pl_gpkg_set_real(l, f + 3, pl_round_min(mb));
                pl_gpkg_set_real(l, f + 4, pl_round_min(ma));
                pl_gpkg_set_real(l, f + 5, isfinite(mb) && isfinite(ma) ? pl_round_min(ma - mb) : NAN);
                int ibk = pl_band_index(kb, a->bands_km, a->n_bands_km), iak = pl_band_index(ka, a->bands_km, a->n_bands_km);
                int ibm = pl_band_index(mb, a->bands_min, a->n_bands_min);
                int iam = pl_band_index(ma, a->bands_min, a->n_bands_min);
                if (!is_new) {
                    pl_band_label(band, sizeof band, a->bands_km, a->n_bands_km, ibk, "km");
                    pl_gpkg_set_text(l, f + 6, band);
                }
                pl_band_label(band, sizeof band, a->bands_km, a->n_bands_km, iak, "km");
                pl_gpkg_set_text(l, f + 7, band);
                if (!is_new) {
                    pl_band_label(band, sizeof band, a->bands_min, a->n_bands_min, ibm, "min");
                    pl_gpkg_set_text(l, f + 8, band);
                }
                pl_band_label(band, sizeof band, a->bands_min, a->n_bands_min, iam, "min");
                pl_gpkg_set_text(l, f + 9, band);
                if (!is_new)
                    pl_gpkg_set_int(l, f + 10, (iam < 0 ? a->n_bands_min + 1 : iam) - (ibm < 0 ? a->n_bands_min + 1 : ibm));
            }
            if (s->pop->geom[c])
                pl_gpkg_set_geos(l, s->pop->geom[c]);
            rc = pl_gpkg_row_end(l, err);
        }
    }
    pl_fields_free(&fl);
    return rc;
}

static int write_delta_munis(pl_gpkg *g, const pl_access_inputs *in, const pl_access_result *base, const scen *sc,
                             size_t n_sc, pl_error *err)
{
    size_t nm = in->munis->n;
    pl_field_list fl = {0};
    pl_fields_add(&fl, "scenario", PL_FIELD_TEXT, "Scenario", NULL);
    pl_fields_add(&fl, "kommun", PL_FIELD_TEXT, "Kommunkod", NULL);
    pl_fields_add(&fl, "namn", PL_FIELD_TEXT, "Kommun", NULL);
    pl_fields_add(&fl, "pop_before", PL_FIELD_REAL, "Befolkning före", NULL);
    pl_fields_add(&fl, "pop_after", PL_FIELD_REAL, "Befolkning efter", "with the housing the scenario adds");
    char name[128], alias[256], tok[32];
    for (int t = 0; t < base->n_types; t++) {
        const pl_access_type *at = &base->types[t];
        const pl_service_type *ty = &in->types->t[at->type];
        for (int metric = 0; metric < 2; metric++) {
            int nb = metric ? at->n_bands_min : at->n_bands_km;
            const double *bounds = metric ? at->bands_min : at->bands_km;
            const char *unit = metric ? "min" : "km";
            for (int i = 0; i < nb; i++) {
                pl_band_token(tok, sizeof tok, bounds[i]);
                snprintf(name, sizeof name, "%s_out_%s%s", ty->key, tok, unit);
                snprintf(alias, sizeof alias, "%s: hamnar över %g %s", ty->label_sv, bounds[i], unit);
                pl_fields_add(&fl, name, PL_FIELD_REAL, alias, "residents within the bound before and beyond it after");
                snprintf(name, sizeof name, "%s_in_%s%s", ty->key, tok, unit);
                snprintf(alias, sizeof alias, "%s: kommer inom %g %s", ty->label_sv, bounds[i], unit);
                pl_fields_add(&fl, name, PL_FIELD_REAL, alias, "residents beyond the bound before and within it after");
                snprintf(name, sizeof name, "%s_new_over_%s%s", ty->key, tok, unit);
                snprintf(alias, sizeof alias, "%s: nya invånare över %g %s", ty->label_sv, bounds[i], unit);
                pl_fields_add(&fl, name, PL_FIELD_REAL, alias, "residents of added housing beyond the bound");
                snprintf(name, sizeof name, "%s_d_over_%s%s", ty->key, tok, unit);
                snprintf(alias, sizeof alias, "%s: förändring befolkning över %g %s", ty->label_sv, bounds[i], unit);
                pl_fields_add(&fl, name, PL_FIELD_REAL, alias, "after - before = out - in + new");
            }
        }
        snprintf(name, sizeof name, "%s_mean_km_before", ty->key);
        snprintf(alias, sizeof alias, "%s: medelavstånd före (km)", ty->label_sv);
        pl_fields_add(&fl, name, PL_FIELD_REAL, alias, NULL);
        snprintf(name, sizeof name, "%s_mean_km_after", ty->key);
        snprintf(alias, sizeof alias, "%s: medelavstånd efter (km)", ty->label_sv);
        pl_fields_add(&fl, name, PL_FIELD_REAL, alias, NULL);
        snprintf(name, sizeof name, "%s_mean_min_before", ty->key);
        snprintf(alias, sizeof alias, "%s: medelrestid före (min)", ty->label_sv);
        pl_fields_add(&fl, name, PL_FIELD_REAL, alias, NULL);
        snprintf(name, sizeof name, "%s_mean_min_after", ty->key);
        snprintf(alias, sizeof alias, "%s: medelrestid efter (min)", ty->label_sv);
        pl_fields_add(&fl, name, PL_FIELD_REAL, alias, NULL);
    }
    pl_gpkg_layer *l = pl_gpkg_layer_add(g, "delta_municipalities", 100,
                                         "Scenarier: befolkning som passerar gränserna per kommun", fl.defs, fl.n, NULL, err);
    int rc = l ? PL_OK : PL_EINTERNAL;
    band_delta *bd = pl_malloc((nm + 1) * sizeof *bd);
    /* Column values per (municipality + all) computed per scenario, type, metric, bound. */
    size_t n_cols = (size_t)fl.n;
    double *vals = pl_malloc((nm + 1) * n_cols * sizeof *vals);
    for (size_t k = 0; rc == PL_OK && k < n_sc; k++) {
        const scen *s = &sc[k];
        const pl_access_result *r = s->r;
        for (size_t i = 0; i < (nm + 1) * n_cols; i++)
            vals[i] = NAN;
        size_t col = 5;
        for (int t = 0; t < base->n_types; t++) {
            const pl_access_type *at = &base->types[t];
            for (int metric = 0; metric < 2; metric++) {
                int nb = metric ? at->n_bands_min : at->n_bands_km;
                const double *bounds = metric ? at->bands_min : at->bands_km;
                for (int i = 0; i < nb; i++) {
                    pl_scenario_band_deltas(base, r, s->pop, t, metric, bounds[i], nm, bd);
                    for (size_t m = 0; m <= nm; m++) {
                        vals[m * n_cols + col] = bd[m].out;
                        vals[m * n_cols + col + 1] = bd[m].in;
                        vals[m * n_cols + col + 2] = bd[m].new_beyond;
                        vals[m * n_cols + col + 3] = bd[m].after_beyond - bd[m].before_beyond;
                    }
                    col += 4;
                }
            }
            for (size_t m = 0; m <= nm; m++) {
                const pl_access_stats *b = m < nm ? &base->muni_stats[m * (size_t)base->n_types + (size_t)t]
                                                  : &base->total_stats[t];
                const pl_access_stats *a = m < nm ? &r->muni_stats[m * (size_t)r->n_types + (size_t)t] : &r->total_stats[t];
                vals[m * n_cols + col] = b->mean_km;
                vals[m * n_cols + col + 1] = a->mean_km;
                vals[m * n_cols + col + 2] = b->mean_min;
                vals[m * n_cols + col + 3] = a->mean_min;
            }
            col += 4;
        }
        for (size_t m = 0; rc == PL_OK && m <= nm; m++) {
            const pl_access_stats *b0 = m < nm ? &base->muni_stats[m * (size_t)base->n_types] : &base->total_stats[0];
            const pl_access_stats *a0 = m < nm ? &r->muni_stats[m * (size_t)r->n_types] : &r->total_stats[0];
            if (m < nm && a0->n_cells == 0 && b0->n_cells == 0)
                continue;
            pl_gpkg_row_begin(l);
            pl_gpkg_set_text(l, 0, s->def->name);
            pl_gpkg_set_text(l, 1, m < nm ? in->munis->code[m] : "totalt");
            pl_gpkg_set_text(l, 2, m < nm ? in->munis->name[m] : "Alla analyserade");
            pl_gpkg_set_real(l, 3, pl_round_people(b0->pop));
            pl_gpkg_set_real(l, 4, pl_round_people(a0->pop));
            col = 5;
            for (int t = 0; t < base->n_types; t++) {
                const pl_access_type *at = &base->types[t];
                int nb = at->n_bands_min + at->n_bands_km;
                for (int i = 0; i < 4 * nb; i++, col++)
                    pl_gpkg_set_real(l, (int)col, pl_round_people(vals[m * n_cols + col]));
                pl_gpkg_set_real(l, (int)col, pl_round_km(vals[m * n_cols + col]));
                pl_gpkg_set_real(l, (int)col + 1, pl_round_km(vals[m * n_cols + col + 1]));
                pl_gpkg_set_real(l, (int)col + 2, pl_round_min(vals[m * n_cols + col + 2]));
                pl_gpkg_set_real(l, (int)col + 3, pl_round_min(vals[m * n_cols + col + 3]));
                col += 4;
            }
            rc = pl_gpkg_row_end(l, err);
        }
    }
    free(vals);
    free(bd);
    pl_fields_free(&fl);
    return rc;
}

/* Population beyond a bound from a result's summary (bands after it, then unreachable). */
static double beyond_from_stats(const pl_access_stats *st, const pl_access_type *at, int metric, int i)
{
    int nb = metric ? at->n_bands_min : at->n_bands_km;
    const double *band = metric ? st->pop_band_min : st->pop_band_km;
    double v = 0;
    for (int k = i + 1; k <= nb + 1; k++)
        v += band[k];
    return v;
}

static int write_summary(pl_gpkg *g, const pl_access_inputs *in, const pl_access_result *base, const scen *sc,
                         size_t n_sc, pl_error *err)
{
    pl_field_list fl = {0};
    pl_fields_add(&fl, "scenario", PL_FIELD_TEXT, "Scenario", NULL);
    pl_fields_add(&fl, "description", PL_FIELD_TEXT, "Beskrivning", NULL);
    pl_fields_add(&fl, "services_closed", PL_FIELD_INT, "Stängda servicepunkter", NULL);
    pl_fields_add(&fl, "services_added", PL_FIELD_INT, "Nya servicepunkter", NULL);
    pl_fields_add(&fl, "units_added", PL_FIELD_INT, "Ny bebyggelse (enheter)", NULL);
    pl_fields_add(&fl, "residents_added", PL_FIELD_REAL, "Nya invånare", NULL);
    pl_fields_add(&fl, "roads_removed", PL_FIELD_INT, "Borttagna vägar", NULL);
    pl_fields_add(&fl, "roads_added", PL_FIELD_INT, "Nya vägar", NULL);
    pl_fields_add(&fl, "method", PL_FIELD_TEXT, "Beräkning", "incremental or full re-run (road changes)");
    pl_fields_add(&fl, "units_searched", PL_FIELD_INT, "Rutor sökta på nytt", NULL);
    pl_fields_add(&fl, "pop", PL_FIELD_REAL, "Befolkning", NULL);
    char name[128], alias[256], tok[32];
    for (int t = 0; t < base->n_types; t++) {
        const pl_access_type *at = &base->types[t];
        const pl_service_type *ty = &in->types->t[at->type];
        snprintf(name, sizeof name, "%s_services", ty->key);
        snprintf(alias, sizeof alias, "%s: antal", ty->label_sv);
        pl_fields_add(&fl, name, PL_FIELD_INT, alias, NULL);
        snprintf(name, sizeof name, "%s_mean_km", ty->key);
        snprintf(alias, sizeof alias, "%s: medelavstånd (km)", ty->label_sv);
        pl_fields_add(&fl, name, PL_FIELD_REAL, alias, NULL);
        snprintf(name, sizeof name, "%s_mean_min", ty->key);
        snprintf(alias, sizeof alias, "%s: medelrestid (min)", ty->label_sv);
        pl_fields_add(&fl, name, PL_FIELD_REAL, alias, NULL);
        for (int metric = 0; metric < 2; metric++) {
            int nb = metric ? at->n_bands_min : at->n_bands_km;
            const double *bounds = metric ? at->bands_min : at->bands_km;
            const char *unit = metric ? "min" : "km";
            for (int i = 0; i < nb; i++) {
                pl_band_token(tok, sizeof tok, bounds[i]);
                snprintf(name, sizeof name, "%s_over_%s%s", ty->key, tok, unit);
                snprintf(alias, sizeof alias, "%s: befolkning över %g %s", ty->label_sv, bounds[i], unit);
                pl_fields_add(&fl, name, PL_FIELD_REAL, alias, "beyond the bound or without road connection");
                snprintf(name, sizeof name, "%s_d_over_%s%s", ty->key, tok, unit);
                snprintf(alias, sizeof alias, "%s: förändring över %g %s", ty->label_sv, bounds[i], unit);
                pl_fields_add(&fl, name, PL_FIELD_REAL, alias, "scenario - baseline");
            }
        }
    }
    pl_gpkg_layer *l = pl_gpkg_layer_add(g, "scenario_summary", 100, "Scenarier jämförda", fl.defs, fl.n, NULL, err);
    int rc = l ? PL_OK : PL_EINTERNAL;
    for (size_t k = 0; rc == PL_OK && k <= n_sc; k++) {
        const scen *s = k ? &sc[k - 1] : NULL;
        const pl_access_result *r = s ? s->r : base;
        pl_gpkg_row_begin(l);
        pl_gpkg_set_text(l, 0, s ? s->def->name : "baseline");
        pl_gpkg_set_text(l, 1, s ? s->def->description : "nuläge");
        if (s) {
            pl_gpkg_set_int(l, 2, (int64_t)s->n_closed);
            pl_gpkg_set_int(l, 3, (int64_t)s->n_added);
            pl_gpkg_set_int(l, 4, (int64_t)s->n_added_units);
            pl_gpkg_set_real(l, 5, pl_round_people(s->added_residents));
            pl_gpkg_set_int(l, 6, (int64_t)s->n_roads_removed);
            pl_gpkg_set_int(l, 7, (int64_t)s->n_roads_added);
            pl_gpkg_set_text(l, 8, s->full ? "full re-run (roads changed)" : "incremental");
            if (!s->full)
                pl_gpkg_set_int(l, 9, s->work.units_searched);
            /* Run times go to the log, not the table: the same inputs give the same table bytes. */
        }
        pl_gpkg_set_real(l, 10, pl_round_people(r->pop_total));
        int f = 11;
        for (int t = 0; t < r->n_types; t++) {
            const pl_access_type *at = &r->types[t];
            pl_gpkg_set_int(l, f++, at->n_services);
            pl_gpkg_set_real(l, f++, pl_round_km(r->total_stats[t].mean_km));
            pl_gpkg_set_real(l, f++, pl_round_min(r->total_stats[t].mean_min));
            for (int metric = 0; metric < 2; metric++) {
                int nb = metric ? at->n_bands_min : at->n_bands_km;
                for (int i = 0; i < nb; i++) {
                    double v = beyond_from_stats(&r->total_stats[t], at, metric, i);
                    double b = beyond_from_stats(&base->total_stats[t], &base->types[t], metric, i);
                    pl_gpkg_set_real(l, f++, pl_round_people(v));
                    pl_gpkg_set_real(l, f++, pl_round_people(v - b));
                }
            }
        }
        rc = pl_gpkg_row_end(l, err);
    }
    pl_fields_free(&fl);
    return rc;
}

/* ---------- run ---------- */

/* Splits "a; b; c" into trimmed fields (modifies buf); returns the count. */
static int split_fields(char *buf, char **f, int max)
{
    int n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ";", &save); tok && n < max; tok = strtok_r(NULL, ";", &save)) {
        while (*tok == ' ' || *tok == '\t')
            tok++;
        size_t l = strlen(tok);
        while (l > 0 && (tok[l - 1] == ' ' || tok[l - 1] == '\t'))
            tok[--l] = 0;
        f[n++] = tok;
    }
    return n;
}

static int number(const char *s, double *v)
{
    char *end = NULL;
    *v = strtod(s, &end);
    return end && end != s && *end == 0 && isfinite(*v);
}

/* Inline services of a scenario (add_service = ID; TYPE; X; Y[; NAME]). */
static int inline_services(pl_ctx *ctx, const pl_scenario_def *d, const pl_service_types *st, pl_services **out,
                           pl_error *err)
{
    *out = NULL;
    if (d->n_add_service == 0)
        return PL_OK;
    size_t n = d->n_add_service;
    pl_services *s = pl_calloc(1, sizeof *s);
    s->x = pl_malloc(n * sizeof *s->x);
    s->y = pl_malloc(n * sizeof *s->y);
    s->type = pl_malloc(n * sizeof *s->type);
    s->id = pl_malloc(n * sizeof *s->id);
    s->name = pl_malloc(n * sizeof *s->name);
    s->raw_type = pl_malloc(n * sizeof *s->raw_type);
    s->source = pl_strdup("add_service");
    for (size_t i = 0; i < n; i++) {
        char buf[1024], *f[5];
        snprintf(buf, sizeof buf, "%s", d->add_service[i]);
        int nf = split_fields(buf, f, 5);
        double x, y;
        int type = nf >= 4 ? pl_service_types_find(st, f[1]) : -1;
        if (nf >= 4 && type < 0)
            type = pl_service_types_match_value(st, f[1]);
        if (nf < 4 || type < 0 || !number(f[2], &x) || !number(f[3], &y)) {
            pl_services_free(s);
            return pl_error_set(err, PL_EINPUT,
                                "[scenario %s]: add_service = %s: give ID; TYPE; X; Y[; NAME] with a known service type "
                                "and coordinates in the working CRS",
                                d->name, d->add_service[i]);
        }
        char what[1200];
        snprintf(what, sizeof what, "[scenario %s]: add_service = %s", d->name, d->add_service[i]);
        if (pl_crs_check_work_point(ctx, x, y, what, err) != PL_OK) {
            pl_services_free(s);
            return err->code;
        }
        s->x[s->n] = x;
        s->y[s->n] = y;
        s->type[s->n] = type;
        s->id[s->n] = pl_strdup(f[0]);
        s->name[s->n] = pl_strdup(nf > 4 ? f[4] : "");
        s->raw_type[s->n] = pl_strdup(f[1]);
        s->n++;
    }
    *out = s;
    return PL_OK;
}

/* Added housing: the add_population file and the inline add_housing points, as one owned set. */
static int added_housing(pl_ctx *ctx, const pl_scenario_def *d, const pl_access_opts *b, int has_age,
                         int polygons, pl_population **out, pl_error *err)
{
    *out = NULL;
    pl_population *file = NULL;
    if (d->n_add_population > 1)
        return pl_error_set(err, PL_EINPUT, "[scenario %s]: give add_population once (one file per scenario)", d->name);
    if (d->n_add_population == 1) {
        pl_load_opts po = {.assume_crs = b->assume_crs, .value_field = b->pop_field, .age_field = b->age_field};
        file = pl_population_load(ctx, d->add_population[0], &po, err);
        if (!file)
            return err->code;
    }
    size_t n0 = file ? file->n : 0, n = n0 + d->n_add_housing;
    if (n == 0)
        return PL_OK;
    pl_population *p = pl_calloc(1, sizeof *p);
    p->n = n;
    p->id = pl_calloc(n, sizeof *p->id);
    p->x = pl_malloc(n * sizeof *p->x);
    p->y = pl_malloc(n * sizeof *p->y);
    p->pop = pl_malloc(n * sizeof *p->pop);
    p->age_pop = has_age ? pl_calloc(n, sizeof *p->age_pop) : NULL;
    p->muni_code = pl_calloc(n, sizeof *p->muni_code);
    p->geom = pl_calloc(n, sizeof *p->geom);
    p->source = pl_strdup(file ? file->source : "add_housing");
    for (size_t i = 0; i < n0; i++) {
        p->id[i] = pl_strdup(file->id[i]);
        p->x[i] = file->x[i];
        p->y[i] = file->y[i];
        p->pop[i] = file->pop[i];
        if (p->age_pop && file->age_pop)
            p->age_pop[i] = file->age_pop[i];
        p->muni_code[i] = file->muni_code && file->muni_code[i] ? pl_strdup(file->muni_code[i]) : NULL;
        if (file->is_polygon == polygons && file->geom[i])
            p->geom[i] = GEOSGeom_clone_r(ctx->geos, file->geom[i]);
        p->total_pop += p->pop[i];
    }
    pl_population_free(ctx, file);
    for (size_t k = 0; k < d->n_add_housing; k++) {
        size_t i = n0 + k;
        char buf[1024], *f[5];
        snprintf(buf, sizeof buf, "%s", d->add_housing[k]);
        int nf = split_fields(buf, f, 5);
        double res, x, y, age = 0;
        if (nf < 4 || !number(f[1], &res) || res < 0 || !number(f[2], &x) || !number(f[3], &y) ||
            (nf > 4 && !number(f[4], &age))) {
            p->n = i;
            pl_population_free(ctx, p);
            return pl_error_set(err, PL_EINPUT,
                                "[scenario %s]: add_housing = %s: give ID; RESIDENTS; X; Y[; AGE_GROUP] (numbers, "
                                "coordinates in the working CRS)",
                                d->name, d->add_housing[k]);
        }
        char what[1200];
        snprintf(what, sizeof what, "[scenario %s]: add_housing = %s", d->name, d->add_housing[k]);
        if (pl_crs_check_work_point(ctx, x, y, what, err) != PL_OK) {
            p->n = i;
            pl_population_free(ctx, p);
            return err->code;
        }
        p->id[i] = pl_strdup(f[0]);
        p->x[i] = x;
        p->y[i] = y;
        p->pop[i] = res;
        if (p->age_pop)
            p->age_pop[i] = age;
        p->total_pop += res;
    }
    /* Geometries the output layers take: the baseline's kind (a 50 m square for a point
     * added to grid squares, the representative point otherwise). */
    for (size_t i = 0; i < n; i++)
        if (!p->geom[i])
            p->geom[i] = polygons ? GEOSGeom_createRectangle_r(ctx->geos, p->x[i] - 25, p->y[i] - 25, p->x[i] + 25,
                                                                p->y[i] + 25)
                                  : GEOSGeom_createPointFromXY_r(ctx->geos, p->x[i], p->y[i]);
    p->is_polygon = polygons;
    *out = p;
    return PL_OK;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* remove_roads ids that no road has are refused, as close= refuses unknown services (they
 * used to be ignored: the scenario then changed nothing and said nothing). */
static int check_remove_roads(const pl_scenario_def *d, const pl_roads *roads, pl_error *err)
{
    size_t n = d->n_remove_roads;
    if (n == 0)
        return PL_OK;
    int64_t *ids = pl_malloc(n * sizeof *ids);
    memcpy(ids, d->remove_roads, n * sizeof *ids);
    qsort(ids, n, sizeof *ids, cmp_i64);
    uint8_t *found = pl_calloc(n, 1);
    for (size_t i = 0; i < roads->n; i++) {
        int64_t *hit = bsearch(&roads->id[i], ids, n, sizeof *ids, cmp_i64);
        if (hit)
            found[hit - ids] = 1;
    }
    char list[512] = "";
    size_t used = 0, missing = 0;
    for (size_t k = 0; k < n; k++) {
        if (found[k] || (k > 0 && ids[k] == ids[k - 1] && !found[k - 1]))
            continue;
        if (++missing <= 10 && used < sizeof list)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%lld", used ? ", " : "", (long long)ids[k]);
    }
    int rc = PL_OK;
    if (missing)
        rc = pl_error_set(err, PL_EINPUT, "[scenario %s]: remove_roads: no road with id %s%s in %s; use the ids of "
                          "the roads' id field", d->name, list, missing > 10 ? ", ..." : "",
                          roads->source ? roads->source : "the roads");
    free(found);
    free(ids);
    return rc;
}

/* inputs_only (a sweep's merge, without roads): the combined services and units alone; the
 * tasks checked remove_roads and computed the access. */
static int build_scenario(pl_ctx *ctx, const pl_scenario_file *file, const pl_access_inputs *in,
                          const pl_scenario_base *base, const pl_graph_opts *gopts, int inputs_only, scen *s,
                          pl_error *err)
{
    const pl_scenario_def *d = s->def;
    const pl_access_opts *b = &file->base;
    double t0 = pl_now_s();
    pl_load_opts lo = {.assume_crs = b->assume_crs};
    uint8_t *closed = pl_calloc(in->svc->n ? in->svc->n : 1, 1);
    for (size_t i = 0; i < d->n_close; i++) {
        int found = 0, one_place = 1;
        size_t first = 0;
        for (size_t k = 0; k < in->svc->n; k++)
            if (strcmp(in->svc->id[k], d->close[i]) == 0) {
                if (found++ == 0)
                    first = k;
                else if (in->svc->x[k] != in->svc->x[first] || in->svc->y[k] != in->svc->y[first])
                    one_place = 0;
                if (!closed[k])
                    s->n_closed++;
                closed[k] = 1;
            }
        /* One id, services at several places (files numbered alike): closing all of them is
         * not what close = ID says. One place with several types (import-osm's fuel station
         * with a shop) closes as a whole. */
        if (found > 1 && !one_place) {
            free(closed);
            return pl_error_set(err, PL_EINPUT, "[scenario %s]: close = %s matches %d services at different places in "
                                "%s; an id must name one place: give the services unique ids", d->name, d->close[i],
                                found, in->svc->source ? in->svc->source : "the services");
        }
        if (!found) {
            free(closed);
            return pl_error_set(err, PL_EINPUT, "[scenario %s]: close: no service with id '%s' in %s", d->name,
                                d->close[i], in->svc->source ? in->svc->source : "the services");
        }
    }
    if (in->roads && check_remove_roads(d, in->roads, err) != PL_OK) {
        free(closed);
        return err->code;
    }
    for (size_t i = 0; i < d->n_add; i++) {
        pl_load_opts so = lo;
        so.type_field = b->type_field;
        pl_services *a = pl_services_load(ctx, d->add[i], in->types, &so, err);
        if (!a) {
            free(closed);
            return err->code;
        }
        if (!s->added)
            s->added = a;
        else {
            pl_services_append(s->added, a);
            pl_services_free(a);
        }
    }
    pl_services *inl = NULL;
    int rc0 = inline_services(ctx, d, in->types, &inl, err);
    if (rc0 == PL_OK && inl) {
        if (!s->added)
            s->added = inl;
        else {
            pl_services_append(s->added, inl);
            pl_services_free(inl);
        }
    }
    s->n_added = s->added ? s->added->n : 0;
    if (rc0 == PL_OK)
        rc0 = added_housing(ctx, d, b, in->pop->age_pop != NULL, in->pop->is_polygon, &s->added_pop, err);
    if (rc0 != PL_OK) {
        free(closed);
        return rc0;
    }
    if (s->added_pop) {
        s->n_added_units = s->added_pop->n;
        for (size_t i = 0; i < s->added_pop->n; i++)
            s->added_residents += s->added_pop->pop[i];
    }
    uint32_t *o2n = pl_malloc((in->svc->n ? in->svc->n : 1) * sizeof *o2n);
    s->svc = pl_scenario_services(in->svc, closed, s->added, o2n);
    s->pop = pl_scenario_population(in->pop, s->added_pop);
    free(closed);
    int rc;
    if (inputs_only) {
        rc = PL_OK;
    } else if (d->n_remove_roads || d->n_add_roads) {
        s->full = 1;
        pl_roads *added_roads = NULL;
        for (size_t i = 0; i < d->n_add_roads; i++) {
            pl_roads *a = pl_roads_load(ctx, d->add_roads[i], &lo, err);
            if (a && (a->node_source != NULL) != (in->roads->node_source != NULL)) {
                /* One network, one joining rule: ids or positions, not both. */
                pl_error_set(err, PL_EINPUT, "%s: %s topology ids (source/target) and the network %s %s; give the "
                             "added roads ids of the network's nodes, or use neither", a->source,
                             a->node_source ? "has" : "has no", in->roads->source,
                             in->roads->node_source ? "has them" : "has none");
                pl_roads_free(a);
                a = NULL;
            }
            if (!a) {
                free(o2n);
                if (added_roads)
                    pl_roads_free(added_roads);
                return err->code;
            }
            s->n_roads_added += a->n;
            if (!added_roads) {
                added_roads = a;
            } else {
                pl_roads *both = pl_scenario_roads(added_roads, NULL, 0, a, NULL);
                pl_roads_free(added_roads);
                pl_roads_free(a);
                added_roads = both;
            }
        }
        s->roads = pl_scenario_roads(in->roads, d->remove_roads, d->n_remove_roads, added_roads, &s->n_roads_removed);
        if (added_roads)
            pl_roads_free(added_roads);
        pl_graph_opts go = *gopts;
        go.cache_path = NULL;
        s->graph = pl_graph_build(ctx, s->roads, &go, err);
        rc = s->graph ? PL_OK : err->code;
        if (rc == PL_OK)
            rc = pl_access_compute(ctx, s->pop, s->svc, in->types, in->munis, s->roads, s->graph, &base->params, &s->r,
                                   err);
    } else {
        rc = pl_scenario_apply(ctx, base, s->pop, in->svc, s->svc, o2n, in->types, in->munis, in->roads, in->graph,
                               &s->r, &s->work, err);
    }
    free(o2n);
    s->seconds = pl_now_s() - t0;
    return rc;
}

int pl_scen_open(pl_ctx *ctx, const char *path, const pl_scenario_opts *o, int no_roads, pl_scen_session *S,
                 pl_error *err)
{
    memset(S, 0, sizeof *S);
    int rc = pl_scenario_file_load(path, &S->file, err);
    if (rc != PL_OK)
        return rc;
    pl_scenario_file *file = &S->file;
    pl_access_opts *b = &file->base;
    if (o->output) {
        const char *inputs[] = {path, b->population, b->services, b->roads, b->municipalities, NULL};
        const char *twins[] = {"delta_municipalities", "scenario_summary", NULL};
        pl_gpkg_opts check = {.overwrite = o->overwrite, .csv = o->csv, .csv_style = o->csv_style, .inputs = inputs};
        if (pl_gpkg_check_output(o->output, &check, twins, err) != PL_OK)
            return err->code;
    }
    if (b->crs)
        snprintf(ctx->work_crs, sizeof ctx->work_crs, "%s", b->crs);
    pl_graph_opts_default(&S->gopts);
    if (pl_mode_from_name(b->mode, &S->gopts.mode) != PL_OK)
        return pl_error_set(err, PL_EINPUT, "%s: [baseline] mode '%s': use car, bike or walk", path, b->mode);
    S->gopts.cache_path = o->graph_cache;
    /* The cache may be none of the files: the scenario file, the baseline's, the scenarios' own. */
    size_t n_in = 7;
    for (size_t k = 0; k < file->n_sc; k++)
        n_in += file->sc[k].n_add + file->sc[k].n_add_population + file->sc[k].n_add_roads;
    const char **cache_inputs = pl_malloc(n_in * sizeof *cache_inputs);
    const char *base_files[] = {path, b->population, b->services, b->roads, b->municipalities, b->localities,
                                b->service_types_file};
    n_in = 0;
    for (size_t i = 0; i < sizeof base_files / sizeof *base_files; i++)
        cache_inputs[n_in++] = base_files[i];
    for (size_t k = 0; k < file->n_sc; k++) {
        const pl_scenario_def *d = &file->sc[k];
        for (size_t i = 0; i < d->n_add; i++)
            cache_inputs[n_in++] = d->add[i];
        for (size_t i = 0; i < d->n_add_population; i++)
            cache_inputs[n_in++] = d->add_population[i];
        for (size_t i = 0; i < d->n_add_roads; i++)
            cache_inputs[n_in++] = d->add_roads[i];
    }
    rc = pl_graph_cache_check_path(o->graph_cache, cache_inputs, n_in, &o->output, o->output ? 1 : 0, err);
    free(cache_inputs);
    if (rc != PL_OK)
        return rc;
    if (no_roads) {
        pl_access_opts light = *b;
        light.skip_roads = 1;
        rc = pl_access_load_inputs(ctx, &light, &S->in, err);
    } else {
        rc = pl_access_load_inputs_graph(ctx, b, &S->gopts, &S->in, err);
    }
    if (rc == PL_OK)
        rc = pl_access_resolve_types(b, &S->in, S->types, &S->n_types, err);
    S->sc = pl_calloc(file->n_sc ? file->n_sc : 1, sizeof *S->sc);
    for (size_t k = 0; k < file->n_sc; k++) {
        S->sc[k].def = &file->sc[k];
        make_layer_name(S->sc[k].layer, sizeof S->sc[k].layer, "scenario_cells", file->sc[k].name, S->sc, k);
    }
    return rc;
}

int pl_scen_baseline(pl_ctx *ctx, pl_scen_session *S, pl_error *err)
{
    const pl_access_opts *b = &S->file.base;
    double t0 = pl_now_s();
    pl_access_params p = {.types = S->types, .n_types = S->n_types, .mode = S->gopts.mode, .within_km = b->within_km,
                          .region = b->region, .max_snap_m = b->max_snap_m,
                          .max_service_snap_m = b->max_service_snap_m, .bands_km = &b->bands_km,
                          .bands_min = &b->bands_min};
    const pl_access_inputs *in = &S->in;
    int rc = pl_scenario_baseline(ctx, in->pop, in->svc, in->types, in->munis, in->roads, in->graph, &p, &S->base,
                                  err);
    S->t_base = pl_now_s() - t0;
    return rc;
}

int pl_scen_build(pl_ctx *ctx, pl_scen_session *S, size_t k, int inputs_only, pl_error *err)
{
    scen *s = &S->sc[k];
    int rc = build_scenario(ctx, &S->file, &S->in, S->base, &S->gopts, inputs_only, s, err);
    if (rc == PL_OK && !inputs_only)
        pl_info(ctx, "scenario %s: %zu closed, %zu added, %zu housing units; %s in %.3f s", s->def->name, s->n_closed,
                s->n_added, s->n_added_units, s->full ? "full re-run" : "incremental", s->seconds);
    return rc;
}

/* The metadata parameters, then every layer in the order a reader expects; one function
 * keeps the commit or abort of the one GeoPackage in one place. */
int pl_scen_write(pl_ctx *ctx, pl_scen_session *S, const pl_scenario_opts *o, const char *path,
                  const char *command_line, const char *const *params, const char *const *extra_inputs,
                  pl_error *err)
{
    const pl_access_opts *b = &S->file.base;
    const pl_access_inputs *in = &S->in;
    size_t n_sc = S->file.n_sc, n_extra = 0;
    while (extra_inputs && extra_inputs[n_extra])
        n_extra++;
    const char **inputs = pl_malloc((6 + n_extra) * sizeof *inputs);
    const char *base_inputs[] = {path, b->population, b->services, b->roads, b->municipalities};
    memcpy(inputs, base_inputs, sizeof base_inputs);
    for (size_t i = 0; i < n_extra; i++)
        inputs[5 + i] = extra_inputs[i];
    inputs[5 + n_extra] = NULL;
    pl_gpkg_opts go = {.overwrite = o->overwrite, .csv = o->csv, .csv_style = o->csv_style,
                       .command_line = command_line, .inputs = inputs, .graph_cache = o->graph_cache};
    pl_gpkg *g = pl_gpkg_create(ctx, o->output, &go, err);
    free(inputs);
    if (!g)
        return err->code;
    char v[64];
    pl_gpkg_add_parameter(g, "analysis", "scenario");
    pl_gpkg_add_parameter(g, "mode", b->mode);
    pl_gpkg_add_parameter(g, "region", b->region ? b->region : "");
    pl_gpkg_add_parameter(g, "crs", ctx->work_crs);
    snprintf(v, sizeof v, "%zu", n_sc);
    pl_gpkg_add_parameter(g, "scenarios", v);
    snprintf(v, sizeof v, "%.3f", S->t_base);
    pl_gpkg_add_parameter(g, "baseline_seconds", v);
    for (size_t i = 0; params && params[i] && params[i + 1]; i += 2)
        pl_gpkg_add_parameter(g, params[i], params[i + 1]);
    const pl_access_result *base = S->base->r;
    int rc = PL_OK;
    for (size_t k = 0; rc == PL_OK && !o->no_cells && k < n_sc; k++)
        rc = write_cells(g, in, &S->sc[k], err);
    if (rc == PL_OK)
        rc = write_delta_cells(g, in, base, S->sc, n_sc, err);
    if (rc == PL_OK)
        rc = write_delta_munis(g, in, base, S->sc, n_sc, err);
    if (rc == PL_OK)
        rc = write_summary(g, in, base, S->sc, n_sc, err);
    /* The baseline's: a scenario's added services left out are in its warnings. */
    if (rc == PL_OK)
        rc = pl_write_unattached_units(g, in->pop, base->cell_snap, base->cell_in_region, err);
    if (rc == PL_OK)
        rc = pl_write_unattached_services(g, in->svc, in->types, base->svc_snap, err);
    if (rc != PL_OK)
        pl_gpkg_abort(g);
    else
        rc = pl_gpkg_commit(g, err);
    return rc;
}

void pl_scen_close(pl_ctx *ctx, pl_scen_session *S)
{
    for (size_t k = 0; S->sc && k < S->file.n_sc; k++)
        pl_scen_free_one(ctx, &S->sc[k]);
    free(S->sc);
    pl_scenario_base_free(S->base);
    pl_access_free_inputs(ctx, &S->in);
    pl_scenario_file_free(&S->file);
    memset(S, 0, sizeof *S);
}

static int scenario_run(pl_ctx *ctx, const char *path, const pl_scenario_opts *o, const char *command_line,
                        pl_error *err)
{
    pl_scen_session S;
    int rc = pl_scen_open(ctx, path, o, 0, &S, err);
    if (rc == PL_OK)
        rc = pl_scen_baseline(ctx, &S, err);
    for (size_t k = 0; rc == PL_OK && k < S.file.n_sc; k++) {
        if (pl_progress(ctx, (double)k / S.file.n_sc, "scenarios")) {
            rc = pl_error_set(err, PL_EINPUT, "cancelled");
            break;
        }
        rc = pl_scen_build(ctx, &S, k, 0, err);
    }
    pl_progress(ctx, 1.0, "scenarios");
    if (rc == PL_OK)
        rc = pl_scen_write(ctx, &S, o, path, command_line, NULL, NULL, err);
    if (rc == PL_OK)
        pl_info(ctx, "platsa scenario: baseline and %zu scenarios -> %s", S.file.n_sc, o->output);
    pl_scen_close(ctx, &S);
    return rc;
}

int pl_scenario_opts_init(pl_scenario_opts *o)
{
    memset(o, 0, sizeof *o);
    return pl_options_defaults(pl_scenario_options, o, NULL);
}

void pl_scenario_opts_free(pl_scenario_opts *o)
{
    pl_options_free(pl_scenario_options, o);
}

typedef struct scenario_call {
    pl_ctx *ctx;
    const pl_scenario_opts *o;
    const char *path, *command_line;
    pl_error *err;
} scenario_call;

static int scenario_call_run(void *arg)
{
    scenario_call *c = arg;
    return scenario_run(c->ctx, c->path, c->o, c->command_line, c->err);
}

int pl_scenario_run(pl_ctx *ctx, const pl_scenario_opts *o, const char *path, const char *command_line,
                    pl_error *err)
{
    scenario_call c = {ctx, o, path, command_line, err};
    return pl_oom_guard(scenario_call_run, &c, pl_run_unwind, err);
}
