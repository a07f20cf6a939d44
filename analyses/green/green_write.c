/* SPDX-License-Identifier: GPL-3.0-or-later */
/* 3-30-300: output layers and the load-compute-write pipeline the CLI calls. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gis/gpkg_writer.h"
#include "gis/vector.h"
#include "layers/network.h"
#include "analyses/common/fields.h"
#include "green_internal.h"
#include "green_styles.h"
#include "gis/util.h"
#include "analyses/common/run.h"


static void set_flag(pl_gpkg_layer *l, int f, int8_t v)
{
    if (v >= 0)
        pl_gpkg_set_int(l, f, v);
}

/* ---------- green_buildings ---------- */

static int write_buildings(pl_gpkg *g, const pl_green_inputs *in, const pl_green_params *p,
                           const pl_green_result *r, pl_error *err)
{
    pl_field_list fl = {0};
    char alias[256];
    pl_fields_add(&fl, "building_id", PL_FIELD_TEXT, "Byggnad (id)", "building id from the input");
    pl_fields_add(&fl, "pop", PL_FIELD_REAL, "Befolkning", "residents (input field or population points)");
    pl_fields_add(&fl, "dwellings", PL_FIELD_REAL, "Bostäder (lägenheter)", "dwellings, when the input has them");
    pl_fields_add(&fl, "nbh_id", PL_FIELD_TEXT, "Område (id)", "neighbourhood containing the building's point");
    pl_fields_add(&fl, "kommun", PL_FIELD_TEXT, "Kommunkod", "municipality code (with --municipalities)");
    snprintf(alias, sizeof alias, "Synliga träd inom %g m", p->view_distance_m);
    pl_fields_add(&fl, "trees_visible", PL_FIELD_INT, alias,
                  "trees within the view distance with a clear sight line from the nearest point of the outline");
    snprintf(alias, sizeof alias, "Träd inom %g m", p->tree_buffer_m);
    pl_fields_add(&fl, "trees_within", PL_FIELD_INT, alias, "trees within the buffer distance, no sight line");
    snprintf(alias, sizeof alias, "Regel 3 uppfylld (minst %d synliga träd)", p->min_trees);
    pl_fields_add(&fl, "pass_3", PL_FIELD_INT, alias, "1 if trees_visible >= min trees");
    pl_fields_add(&fl, "canopy_pct", PL_FIELD_REAL, "Krontäckning i området (%)",
                  "canopy cover of the neighbourhood's land, percent");
    snprintf(alias, sizeof alias, "Regel 30 uppfylld (minst %g %% krontäckning)", p->min_canopy_pct);
    pl_fields_add(&fl, "pass_30", PL_FIELD_INT, alias, "1 if the neighbourhood's canopy cover reaches the minimum");
    pl_fields_add(&fl, "green_net_m", PL_FIELD_REAL, "Gångavstånd till grönområde (m)",
                  "walking distance along paths and streets to the nearest green-area entry (NULL: no path)");
    pl_fields_add(&fl, "green_euclid_m", PL_FIELD_REAL, "Fågelvägen till grönområde (m)",
                  "straight-line distance from the footprint to the nearest kept green area");
    pl_fields_add(&fl, "green_area", PL_FIELD_TEXT, "Närmaste grönområde (id)",
                  "id of the nearest kept green area (first input polygon dissolved into it)");
    pl_fields_add(&fl, "green_area_name", PL_FIELD_TEXT, "Närmaste grönområde (namn)", NULL);
    snprintf(alias, sizeof alias, "Regel 300 uppfylld (högst %g m)", p->max_green_m);
    pl_fields_add(&fl, "pass_300", PL_FIELD_INT, alias,
                  r->network ? "1 if the walking distance is within the maximum"
                             : "1 if the straight-line distance is within the maximum (no roads given)");
    pl_fields_add(&fl, "rules_met", PL_FIELD_INT, "Antal uppfyllda regler (0–3)", "rules met among those computed");
    pl_fields_add(&fl, "all_three", PL_FIELD_INT, "Alla tre reglerna uppfyllda (3-30-300)",
                  "1 if all three rules are met, 0 if any fails, NULL if unknown");
    pl_legend lg;
    pl_gpkg_layer *l = pl_gpkg_layer_add(g, "green_buildings", 6, "3-30-300 per bostadshus", fl.defs, fl.n,
                                         pl_green_style_buildings(&lg), err);
    int rc = l ? PL_OK : PL_EINTERNAL;
    const pl_buildings *B = in->buildings;
    for (size_t b = 0; rc == PL_OK && b < r->n_buildings; b++) {
        if (!r->is_home[b])
            continue;
        pl_gpkg_row_begin(l);
        pl_gpkg_set_text(l, 0, B->id[b]);
        pl_gpkg_set_real(l, 1, pl_round_people(r->pop[b]));
        pl_gpkg_set_real(l, 2, B->dwellings[b]);
        if (r->nbh[b] >= 0)
            pl_gpkg_set_text(l, 3, r->nbh_id[r->nbh[b]]);
        if (r->muni[b] >= 0)
            pl_gpkg_set_text(l, 4, in->munis->code[r->muni[b]]);
        if (r->has_rule[0]) {
            pl_gpkg_set_int(l, 5, r->trees_visible[b]);
            pl_gpkg_set_int(l, 6, r->trees_within[b]);
        }
        set_flag(l, 7, r->pass[PL_RULE_3][b]);
        if (r->nbh[b] >= 0)
            pl_gpkg_set_real(l, 8, r->nbh_canopy_pct[r->nbh[b]]);
        set_flag(l, 9, r->pass[PL_RULE_30][b]);
        /* Unreachable (no path, no kept area): NULL, with pass_300 = 0. */
        if (isfinite(r->green_net_m[b]))
            pl_gpkg_set_real(l, 10, r->green_net_m[b]);
        if (isfinite(r->green_euclid_m[b]))
            pl_gpkg_set_real(l, 11, r->green_euclid_m[b]);
        if (r->green_area[b] >= 0) {
            size_t a = (size_t)r->green_area[b];
            char first[256];
            snprintf(first, sizeof first, "%s", r->area_ids[a]);
            char *comma = strchr(first, ',');
            if (comma)
                *comma = '\0';
            pl_gpkg_set_text(l, 12, first);
            pl_gpkg_set_text(l, 13, r->area_name[a]);
        }
        set_flag(l, 14, r->pass[PL_RULE_300][b]);
        pl_gpkg_set_int(l, 15, r->rules_met[b]);
        set_flag(l, 16, r->pass[PL_RULE_ALL][b]);
        pl_gpkg_set_geos(l, B->geom[b]);
        rc = pl_gpkg_row_end(l, err);
    }
    pl_fields_free(&fl);
    return rc;
}

/* ---------- shares (neighbourhoods and summary) ---------- */

static const char *const rule_token[PL_N_RULES] = {"3", "30", "300", "all"};
static const char *const rule_label[PL_N_RULES] = {"3", "30", "300", "alla tre"};

static void share_fields(pl_field_list *fl)
{
    char name[64], alias[160];
    for (int k = 0; k < PL_N_RULES; k++) {
        snprintf(name, sizeof name, "pct_bld_%s", rule_token[k]);
        snprintf(alias, sizeof alias, "Andel bostadshus som uppfyller %s (%%)", rule_label[k]);
        pl_fields_add(fl, name, PL_FIELD_REAL, alias, "percent of homes with a known result that meet the rule");
    }
    for (int k = 0; k < PL_N_RULES; k++) {
        snprintf(name, sizeof name, "pct_pop_%s", rule_token[k]);
        snprintf(alias, sizeof alias, "Andel invånare som uppfyller %s (%%)", rule_label[k]);
        pl_fields_add(fl, name, PL_FIELD_REAL, alias, "percent of residents (with a known result) meeting the rule");
    }
}

static void set_shares(pl_gpkg_layer *l, int f, const pl_green_stats *s)
{
    for (int k = 0; k < PL_N_RULES; k++)
        pl_gpkg_set_real(l, f++, pl_green_share_bld(s, k));
    for (int k = 0; k < PL_N_RULES; k++)
        pl_gpkg_set_real(l, f++, pl_green_share_pop(s, k));
}

static int write_neighbourhoods(pl_gpkg *g, const pl_green_result *r, const pl_green_params *p, pl_error *err)
{
    pl_field_list fl = {0};
    char alias[160];
    pl_fields_add(&fl, "nbh_id", PL_FIELD_TEXT, "Område (id)", "neighbourhood id (grid squares: SW corner)");
    pl_fields_add(&fl, "area_ha", PL_FIELD_REAL, "Area (ha)", NULL);
    pl_fields_add(&fl, "land_ha", PL_FIELD_REAL, "Landareal (ha)", "area minus water");
    pl_fields_add(&fl, "canopy_ha", PL_FIELD_REAL, "Krontäckt areal (ha)", "union of canopy inside the land");
    pl_fields_add(&fl, "canopy_pct", PL_FIELD_REAL, "Krontäckning (%)", "canopy / land, percent");
    snprintf(alias, sizeof alias, "Regel 30 uppfylld (minst %g %%)", p->min_canopy_pct);
    pl_fields_add(&fl, "pass_30", PL_FIELD_INT, alias, NULL);
    pl_fields_add(&fl, "homes", PL_FIELD_INT, "Antal bostadshus", NULL);
    pl_fields_add(&fl, "pop", PL_FIELD_REAL, "Befolkning", NULL);
    share_fields(&fl);
    pl_legend lg;
    pl_style single = {.kind = PL_STYLE_SINGLE, .name = "Områden"};
    pl_gpkg_layer *l = pl_gpkg_layer_add(g, "green_neighbourhoods", 6, "3-30-300 per område", fl.defs, fl.n,
                                         r->canopy_source ? pl_green_style_neighbourhoods(&lg, p->min_canopy_pct)
                                                          : &single, err);
    int rc = l ? PL_OK : PL_EINTERNAL;
    for (size_t k = 0; rc == PL_OK && k < r->n_nbh; k++) {
        pl_gpkg_row_begin(l);
        pl_gpkg_set_text(l, 0, r->nbh_id[k]);
        pl_gpkg_set_real(l, 1, pl_round_to(r->nbh_area_m2[k] / 10000.0, 10000));
        pl_gpkg_set_real(l, 2, pl_round_to(r->nbh_land_m2[k] / 10000.0, 10000));
        pl_gpkg_set_real(l, 3, pl_round_to(r->nbh_canopy_m2[k] / 10000.0, 10000));
        pl_gpkg_set_real(l, 4, r->nbh_canopy_pct[k]);
        set_flag(l, 5, r->nbh_pass30[k]);
        pl_gpkg_set_int(l, 6, r->nbh_stats[k].homes);
        pl_gpkg_set_real(l, 7, pl_round_people(r->nbh_stats[k].pop));
        set_shares(l, 8, &r->nbh_stats[k]);
        pl_gpkg_set_geos(l, r->nbh_geom[k]);
        rc = pl_gpkg_row_end(l, err);
    }
    pl_fields_free(&fl);
    return rc;
}

/* ---------- green areas and entries ---------- */

static void first_id(const char *ids, char *buf, size_t size)
{
    snprintf(buf, size, "%s", ids);
    char *comma = strchr(buf, ',');
    if (comma)
        *comma = '\0';
}

static int write_areas(pl_gpkg *g, const pl_green_result *r, pl_error *err)
{
    static const pl_field_def af[] = {
        {"area_id", PL_FIELD_TEXT, "Grönområde (id)", "id of the first input polygon dissolved into the area"},
        {"name", PL_FIELD_TEXT, "Namn", NULL},
        {"ids", PL_FIELD_TEXT, "Ingående ytor (id)", "ids of the input polygons dissolved into it"},
        {"area_ha", PL_FIELD_REAL, "Area (ha)", NULL},
        {"entries", PL_FIELD_INT, "Antal entréer", "entry points used for the walking distance"},
        {"entries_from", PL_FIELD_TEXT, "Entréer från",
         "paths (where paths cross or touch the boundary) or boundary (points along it, no path reaches it)"},
    };
    static const pl_field_def ef[] = {
        {"area_id", PL_FIELD_TEXT, "Grönområde (id)", NULL},
        {"kind", PL_FIELD_TEXT, "Typ av entré", "path: a path crosses the boundary; boundary: a boundary point"},
    };
    pl_style single = {.kind = PL_STYLE_SINGLE, .name = "Grönområden"};
    pl_style single_e = {.kind = PL_STYLE_SINGLE, .name = "Entréer till grönområden"};
    pl_gpkg_layer *la = pl_gpkg_layer_add(g, "green_areas", 6, "Grönområden som räknas (regel 300)", af, 6, &single,
                                          err);
    pl_gpkg_layer *le = la ? pl_gpkg_layer_add(g, "green_entries", 1, "Entréer till grönområden", ef, 2, &single_e,
                                               err)
                           : NULL;
    int rc = le ? PL_OK : PL_EINTERNAL;
    char id[256];
    for (size_t a = 0; rc == PL_OK && a < r->n_areas; a++) {
        first_id(r->area_ids[a], id, sizeof id);
        pl_gpkg_row_begin(la);
        pl_gpkg_set_text(la, 0, id);
        pl_gpkg_set_text(la, 1, r->area_name[a]);
        pl_gpkg_set_text(la, 2, r->area_ids[a]);
        pl_gpkg_set_real(la, 3, pl_round_to(r->area_ha[a], 10000));
        pl_gpkg_set_int(la, 4, r->area_entries[a]);
        pl_gpkg_set_text(la, 5, r->area_sampled[a] ? "boundary" : "paths");
        pl_gpkg_set_geos(la, r->area_geom[a]);
        rc = pl_gpkg_row_end(la, err);
    }
    for (size_t e = 0; rc == PL_OK && e < r->n_entries; e++) {
        uint32_t a = r->entry_area[e];
        first_id(r->area_ids[a], id, sizeof id);
        pl_gpkg_row_begin(le);
        pl_gpkg_set_text(le, 0, id);
        pl_gpkg_set_text(le, 1, r->area_sampled[a] ? "boundary" : "path");
        pl_gpkg_set_xy(le, r->entry_x[e], r->entry_y[e]);
        rc = pl_gpkg_row_end(le, err);
    }
    return rc;
}

/* ---------- summary table ---------- */

static int write_summary(pl_gpkg *g, const pl_green_result *r, pl_error *err)
{
    pl_field_list fl = {0};
    pl_fields_add(&fl, "level", PL_FIELD_TEXT, "Nivå", "kommun, tätort or totalt");
    pl_fields_add(&fl, "code", PL_FIELD_TEXT, "Kod", NULL);
    pl_fields_add(&fl, "name", PL_FIELD_TEXT, "Namn", NULL);
    pl_fields_add(&fl, "homes", PL_FIELD_INT, "Antal bostadshus", NULL);
    pl_fields_add(&fl, "pop", PL_FIELD_REAL, "Befolkning", NULL);
    pl_fields_add(&fl, "canopy_pct", PL_FIELD_REAL, "Krontäckning (%)",
                  "canopy / land of the neighbourhoods whose point lies in the municipality (all for the total)");
    share_fields(&fl);
    pl_gpkg_layer *l = pl_gpkg_layer_add(g, "green_summary", 100, "3-30-300: andelar per kommun och tätort", fl.defs,
                                         fl.n, NULL, err);
    int rc = l ? PL_OK : PL_EINTERNAL;
    for (size_t k = 0; rc == PL_OK && k < r->n_groups; k++) {
        const pl_green_group *G = &r->groups[k];
        pl_gpkg_row_begin(l);
        pl_gpkg_set_text(l, 0, G->level);
        pl_gpkg_set_text(l, 1, G->code);
        pl_gpkg_set_text(l, 2, G->name);
        pl_gpkg_set_int(l, 3, G->stats.homes);
        pl_gpkg_set_real(l, 4, pl_round_people(G->stats.pop));
        pl_gpkg_set_real(l, 5, G->land_m2 > 0 ? round(10000.0 * G->canopy_m2 / G->land_m2) / 100.0 : NAN);
        set_shares(l, 6, &G->stats);
        rc = pl_gpkg_row_end(l, err);
    }
    pl_fields_free(&fl);
    return rc;
}

int pl_green_write(pl_ctx *ctx, const pl_green_inputs *in, const pl_green_params *p, const pl_green_result *r,
                   const pl_green_write_opts *wo, pl_error *err)
{
    pl_gpkg_opts go = {.overwrite = wo->overwrite, .csv = wo->csv,
                       .csv_style = wo->csv_style, .command_line = wo->command_line,
                       .inputs = wo->inputs, .timestamp = wo->timestamp};
    pl_gpkg *g = pl_gpkg_create(ctx, wo->output, &go, err);
    if (!g)
        return err->code;
    char v[128];
#define PARAM(name, fmt, val)                  \
    do {                                       \
        snprintf(v, sizeof v, fmt, val);       \
        pl_gpkg_add_parameter(g, name, v);     \
    } while (0)
    pl_gpkg_add_parameter(g, "analysis", "green (3-30-300)");
    pl_gpkg_add_parameter(g, "crs", ctx->work_crs);
    pl_gpkg_add_parameter(g, "rule_3", r->has_rule[0] ? "computed" : "not computed (no trees)");
    pl_gpkg_add_parameter(g, "rule_30", r->has_rule[1] ? "computed" : "not computed (no canopy or trees)");
    pl_gpkg_add_parameter(g, "rule_300", r->has_rule[2] ? "computed" : "not computed (no green areas)");
    PARAM("view_distance_m", "%g", p->view_distance_m);
    PARAM("tree_buffer_m", "%g", p->tree_buffer_m);
    PARAM("min_trees", "%d", p->min_trees);
    pl_gpkg_add_parameter(g, "sight_line",
                          "segment from the nearest point of the home's outline to the tree; blocked when it "
                          "passes through the interior of another building footprint");
    PARAM("min_canopy_pct", "%g", p->min_canopy_pct);
    pl_gpkg_add_parameter(g, "canopy_source", r->canopy_source ? r->canopy_source : "none");
    if (in->canopy_raster)
        PARAM("canopy_threshold", "%g", p->canopy_threshold);
    if (r->canopy_source && !strcmp(r->canopy_source, "trees")) {
        PARAM("default_crown_m", "%g", p->default_crown_m);
        PARAM("canopy_row_step_m", "%g", p->canopy_step_m);
    }
    if (in->neighbourhoods)
        pl_gpkg_add_parameter(g, "neighbourhoods", in->neighbourhoods->source ? in->neighbourhoods->source : "");
    else
        PARAM("grid_m", "%g", p->grid_m);
    pl_gpkg_add_parameter(g, "water", in->water ? "excluded from land" : "none");
    PARAM("min_green_ha", "%g", p->min_green_ha);
    PARAM("min_green_width_m", "%g", p->min_green_width_m);
    PARAM("max_green_m", "%g", p->max_green_m);
    PARAM("entry_spacing_m", "%g", p->entry_spacing_m);
    pl_gpkg_add_parameter(g, "include_private", p->include_private ? "yes" : "no");
    pl_gpkg_add_parameter(g, "green_distance", r->network ? "walking network (mode walk)" : "straight line");
    PARAM("max_snap_m", "%g", p->max_snap_m);
    PARAM("homes", "%ld", r->total.homes);
    PARAM("population_total", "%.0f", r->total.pop);
#undef PARAM
    int rc = write_buildings(g, in, p, r, err);
    if (rc == PL_OK)
        rc = write_neighbourhoods(g, r, p, err);
    if (rc == PL_OK)
        rc = write_areas(g, r, err);
    if (rc == PL_OK)
        rc = write_summary(g, r, err);
    if (rc != PL_OK) {
        pl_gpkg_abort(g);
        return rc;
    }
    return pl_gpkg_commit(g, err);
}

/* ---------- pipeline ---------- */

typedef struct green_loaded {
    pl_buildings *buildings;
    pl_population *population;
    pl_trees *trees;
    pl_polygons *canopy, *neighbourhoods, *water;
    pl_canopy_raster *raster;
    pl_green_areas *green;
    pl_roads *roads;
    pl_graph *graph;
    pl_municipalities *munis;
    pl_localities *localities;
} green_loaded;

static void free_loaded(pl_ctx *ctx, green_loaded *L)
{
    pl_graph_free(L->graph);
    if (L->roads)
        pl_roads_free(L->roads);
    pl_buildings_free(ctx, L->buildings);
    pl_population_free(ctx, L->population);
    pl_trees_free(L->trees);
    pl_polygons_free(ctx, L->canopy);
    pl_polygons_free(ctx, L->neighbourhoods);
    pl_polygons_free(ctx, L->water);
    pl_canopy_raster_close(L->raster);
    pl_green_areas_free(ctx, L->green);
    pl_municipalities_free(ctx, L->munis);
    pl_localities_free(ctx, L->localities);
}

/* The neighbourhoods' id field when the user names none: pl_polygons_load only knows
 * generic names, and statistical areas carry theirs as nyckelkod, deso, rut_id... */
static char *neighbourhood_id_field(pl_ctx *ctx, const char *spec, const char *assume_crs)
{
    static const char *const cand[] = {"nbh_id", "id", "nyckelkod", "rut_id", "rutid", "deso", "regso", "kvarter",
                                       "block_id", "kod", "code", NULL};
    pl_vector_opts vo = {.assume_crs = assume_crs, .role = "neighbourhoods"};
    pl_error e = {0};
    pl_vector *v = pl_vector_open(ctx, spec, &vo, &e);
    if (!v)
        return NULL;
    int i = pl_vector_field_auto(v, cand);
    char *name = i >= 0 ? pl_strdup(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(OGR_L_GetLayerDefn(v->layer), i)))
                        : NULL;
    pl_vector_close(v);
    return name;
}

static int load_all(pl_ctx *ctx, const pl_green_opts *o, green_loaded *L, pl_error *err)
{
    pl_load_opts lo = {.assume_crs = o->assume_crs};
    pl_progress(ctx, 0.0, "loading inputs");
    pl_buildings_opts bo = {.id_field = o->id_field, .residential_field = o->residential_field,
                            .pop_field = o->pop_field, .dwellings_field = o->dwellings_field};
    if (!(L->buildings = pl_buildings_load(ctx, o->buildings, &lo, &bo, err)))
        return err->code;
    if (o->population) {
        pl_load_opts po = lo;
        po.value_field = o->pop_field;
        if (!(L->population = pl_population_load(ctx, o->population, &po, err)))
            return err->code;
        if (L->population->is_polygon)
            return pl_error_set(err, PL_EINPUT, "%s: --population takes points (one per building, from platsa "
                                "population); spread areal population over buildings with platsa population first",
                                L->population->source);
    }
    if (o->trees && !(L->trees = pl_trees_load(ctx, o->trees, &lo, o->crown_field, err)))
        return err->code;
    if (o->canopy) {
        if (pl_is_raster(o->canopy)) {
            if (!(L->raster = pl_canopy_raster_open(ctx, o->canopy, err)))
                return err->code;
        } else if (!(L->canopy = pl_polygons_load(ctx, o->canopy, "canopy", &lo, err))) {
            return err->code;
        }
    }
    if (o->green_areas && !(L->green = pl_green_areas_load(ctx, o->green_areas, &lo, o->public_field,
                                                           o->kind_field, err)))
        return err->code;
    if (o->neighbourhoods) {
        pl_load_opts no = lo;
        char *auto_id = o->nbh_id_field ? NULL : neighbourhood_id_field(ctx, o->neighbourhoods, o->assume_crs);
        no.id_field = o->nbh_id_field ? o->nbh_id_field : auto_id;
        L->neighbourhoods = pl_polygons_load(ctx, o->neighbourhoods, "neighbourhoods", &no, err);
        free(auto_id);
        if (!L->neighbourhoods)
            return err->code;
    }
    if (o->water && !(L->water = pl_polygons_load(ctx, o->water, "water", &lo, err)))
        return err->code;
    if (o->municipalities && !(L->munis = pl_municipalities_load(ctx, o->municipalities, &lo, err)))
        return err->code;
    pl_load_opts llo = lo;
    llo.value_field = o->locality_pop_field;
    if (o->localities && !(L->localities = pl_localities_load(ctx, o->localities, &llo, err)))
        return err->code;
    if (o->roads && !o->green_areas)
        pl_info(ctx, "--roads serve rule 300 only; without --green-areas they are not read");
    if (o->roads && o->green_areas) {
        pl_graph_opts go;
        pl_graph_opts_default(&go);
        go.mode = PL_MODE_WALK;
        go.cache_path = o->graph_cache;
        pl_progress(ctx, 0.0, "reading roads and building walking graph");
        pl_load_opts ro = lo;
        ro.road = o->road;
        if (pl_network_load(ctx, o->roads, &ro, &go, &L->roads, &L->graph, NULL, err) != PL_OK)
            return err->code;
    }
    pl_progress(ctx, 1.0, "loading inputs");
    return PL_OK;
}

static int green_run(pl_ctx *ctx, const pl_green_opts *o, const char *command_line, pl_error *err)
{
    if (o->crs)
        snprintf(ctx->work_crs, sizeof ctx->work_crs, "%s", o->crs);
    if (!o->trees && !o->canopy && !o->green_areas)
        return pl_error_set(err, PL_EINPUT, "nothing to measure: give --trees (rules 3 and 30), --canopy (30) "
                            "and/or --green-areas (300)");
    const char *cache_inputs[] = {o->buildings, o->population, o->trees, o->canopy, o->green_areas,
                                  o->neighbourhoods, o->roads, o->water, o->municipalities, o->localities};
    if (pl_graph_cache_check_path(o->graph_cache, cache_inputs, sizeof cache_inputs / sizeof *cache_inputs,
                                  &o->output, 1, err) != PL_OK)
        return err->code;
    pl_green_params p;
    pl_green_params_default(&p);
    p.view_distance_m = o->view_distance_m;
    p.tree_buffer_m = o->tree_buffer_m;
    p.min_trees = o->min_trees;
    p.min_canopy_pct = o->min_canopy_pct;
    p.canopy_threshold = o->canopy_threshold;
    p.default_crown_m = o->default_crown_m;
    p.grid_m = o->grid_m;
    p.min_green_ha = o->min_green_ha;
    p.min_green_width_m = o->min_green_width_m;
    p.max_green_m = o->max_green_m;
    p.entry_spacing_m = o->entry_spacing_m;
    p.include_private = o->include_private;
    p.all_buildings = o->all_buildings;
    p.max_snap_m = o->max_snap_m;
    const char *kinds[PL_MAX_LIST + 1];
    for (int i = 0; i < o->green_kinds.n; i++)
        kinds[i] = o->green_kinds.v[i];
    kinds[o->green_kinds.n] = NULL;
    p.green_kinds = o->green_kinds.n ? kinds : NULL;

    /* Every file of the run checked before the work (the CSV twin too). */
    const char *specs_in[] = {o->buildings, o->population, o->trees, o->canopy, o->green_areas,
                              o->neighbourhoods, o->roads, o->water, o->municipalities, o->localities};
    const char *check_inputs[sizeof specs_in / sizeof specs_in[0] + 1];
    int n_check = 0;
    for (size_t i = 0; i < sizeof specs_in / sizeof specs_in[0]; i++)
        if (specs_in[i])
            check_inputs[n_check++] = specs_in[i];
    check_inputs[n_check] = NULL;
    const char *twins[] = {"green_summary", NULL};
    pl_gpkg_opts check = {.overwrite = o->overwrite, .csv = o->csv, .csv_style = o->csv_style, .inputs = check_inputs};
    if (pl_gpkg_check_output(o->output, &check, twins, err) != PL_OK)
        return err->code;
    green_loaded L = {0};
    int rc = load_all(ctx, o, &L, err);
    pl_green_result *r = NULL;
    pl_green_inputs in = {.buildings = L.buildings, .population = L.population, .trees = L.trees,
                          .canopy = L.canopy, .canopy_raster = L.raster, .green = L.green,
                          .neighbourhoods = L.neighbourhoods, .water = L.water, .roads = L.roads,
                          .graph = L.graph, .munis = L.munis, .localities = L.localities};
    if (rc == PL_OK)
        rc = pl_green_compute(ctx, &in, &p, &r, err);
    if (rc == PL_OK) {
        const char *specs[] = {o->buildings, o->population, o->trees, o->canopy, o->green_areas,
                               o->neighbourhoods, o->roads, o->water, o->municipalities, o->localities};
        enum { N_SPECS = sizeof specs / sizeof specs[0] };
        char files[N_SPECS][4096], lname[512];
        const char *inputs[N_SPECS + 1];
        int n = 0;
        for (int i = 0; i < N_SPECS; i++) {
            if (!specs[i])
                continue;
            pl_vector_split_spec(specs[i], files[n], sizeof files[n], lname, sizeof lname);
            int dup = 0;
            for (int j = 0; j < n; j++)
                dup |= !strcmp(files[j], files[n]);
            if (!dup) {
                inputs[n] = files[n];
                n++;
            }
        }
        inputs[n] = NULL;
        pl_green_write_opts wo = {.output = o->output, .overwrite = o->overwrite, .csv = o->csv,
                                  .csv_style = o->csv_style,
                                  .command_line = command_line, .inputs = inputs};
        rc = pl_green_write(ctx, &in, &p, r, &wo, err);
    }
    if (rc == PL_OK) {
        const pl_green_stats *t = &r->total;
        char s3[32], s30[32], s300[32], sall[32];
        double v[4] = {pl_green_share_bld(t, 0), pl_green_share_bld(t, 1), pl_green_share_bld(t, 2),
                       pl_green_share_bld(t, 3)};
        char *dst[4] = {s3, s30, s300, sall};
        for (int k = 0; k < 4; k++)
            if (isfinite(v[k]))
                snprintf(dst[k], 32, "%.1f %%", v[k]);
            else
                snprintf(dst[k], 32, "-");
        pl_info(ctx, "platsa green: %ld homes; rule 3: %s, 30: %s, 300: %s, all three: %s of homes -> %s",
                t->homes, s3, s30, s300, sall, o->output);
    }
    pl_green_result_free(ctx, r);
    free_loaded(ctx, &L);
    return rc;
}

typedef struct green_call {
    pl_ctx *ctx;
    const pl_green_opts *o;
    const char *command_line;
    pl_error *err;
} green_call;

static int green_call_run(void *arg)
{
    green_call *c = arg;
    return green_run(c->ctx, c->o, c->command_line, c->err);
}

int pl_green_run(pl_ctx *ctx, const pl_green_opts *o, const char *command_line, pl_error *err)
{
    green_call c = {ctx, o, command_line, err};
    return pl_oom_guard(green_call_run, &c, pl_run_unwind, err);
}
