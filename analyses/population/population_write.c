/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Output of `platsa population`: loads, distributes (population.c) and writes the GeoPackage. */
#include "population.h"
#include "population_styles.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gis/gpkg_writer.h"
#include "gis/vector.h"
#include "analyses/common/run.h"

static const pl_field_def point_fields[] = {
    {"pop", PL_FIELD_REAL, "Befolkning", "residents given to this building (or area point)"},
    {"area_id", PL_FIELD_TEXT, "Område", "id of the area the population came from"},
    {"method", PL_FIELD_TEXT, "Metod", "residential, all_buildings or area_point"},
    {"building_id", PL_FIELD_TEXT, "Byggnad", "building id (osm_id or feature id); empty for area points"},
    {"weight", PL_FIELD_REAL, "Vikt (m²)", "floor area (or footprint) used as weight"},
};

static const pl_field_def area_fields[] = {
    {"area_id", PL_FIELD_TEXT, "Område", "area id"},
    {"pop", PL_FIELD_REAL, "Befolkning", "population of the area (input)"},
    {"pop_assigned", PL_FIELD_REAL, "Fördelad befolkning", "population given out (equals pop)"},
    {"n_buildings", PL_FIELD_INT, "Antal byggnader", "buildings that received population"},
    {"method", PL_FIELD_TEXT, "Metod", "residential, all_buildings, area_point or none"},
};

static int population_run(pl_ctx *ctx, const pl_population_opts *o, const char *command_line, pl_error *err)
{
    if (o->crs)
        snprintf(ctx->work_crs, sizeof ctx->work_crs, "%s", o->crs);
    const char *check_inputs[] = {o->areas, o->buildings, NULL};
    pl_gpkg_opts check = {.overwrite = o->overwrite, .inputs = check_inputs};
    if (pl_gpkg_check_output(o->output, &check, NULL, err) != PL_OK)
        return err->code;
    pl_dasy_areas *a = pl_dasy_areas_load(ctx, o->areas, o->pop_field, o->id_field, o->assume_crs, err);
    if (!a)
        return err ? (int)err->code : PL_EINPUT;
    pl_dasy_buildings *b = pl_dasy_buildings_load(ctx, o->buildings, o->weight_field, o->residential_field,
                                                  o->assume_crs, err);
    if (!b) {
        pl_dasy_areas_free(ctx, a);
        return err ? (int)err->code : PL_EINPUT;
    }
    if (o->all_buildings)
        for (size_t k = 0; k < b->n; k++)
            b->residential[k] = 1;
    pl_dasy_result r;
    int rc = pl_dasymetric(ctx, a, b, &r, err);
    if (rc != PL_OK)
        goto done;
    if (o->all_buildings) {
        /* Every building counted as a home: say so in the method columns. */
        for (size_t i = 0; i < a->n; i++)
            if (r.method[i] == PL_DASY_RESIDENTIAL)
                r.method[i] = PL_DASY_ALL_BUILDINGS;
        for (size_t k = 0; k < b->n; k++)
            if (r.bmethod[k] == PL_DASY_RESIDENTIAL)
                r.bmethod[k] = PL_DASY_ALL_BUILDINGS;
    }
    size_t with_pop = 0;
    for (size_t k = 0; k < b->n; k++)
        with_pop += r.pop[k] > 0;
    pl_info(ctx, "%s: %.0f people in %zu areas spread over %zu of %zu buildings (%zu outside every area), "
            "%zu area points", a->source, a->total, a->n, with_pop, b->n, r.buildings_outside, r.n_points);

    const char *inputs[3] = {o->areas, o->buildings, NULL};
    char areas_file[4096], buildings_file[4096], lname[512];
    pl_vector_split_spec(o->areas, areas_file, sizeof areas_file, lname, sizeof lname);
    pl_vector_split_spec(o->buildings, buildings_file, sizeof buildings_file, lname, sizeof lname);
    inputs[0] = areas_file;
    inputs[1] = buildings_file;
    pl_gpkg_opts go = {.overwrite = o->overwrite, .command_line = command_line, .inputs = inputs};
    pl_gpkg *g = pl_gpkg_create(ctx, o->output, &go, err);
    if (!g) {
        rc = err ? (int)err->code : PL_EINPUT;
        goto done;
    }
    pl_gpkg_add_parameter(g, "areas", o->areas);
    pl_gpkg_add_parameter(g, "buildings", o->buildings);
    pl_gpkg_add_parameter(g, "crs", ctx->work_crs);
    pl_legend lg;
    const pl_style *graduated = pl_population_style_buildings(&lg);
    pl_style none = {.kind = PL_STYLE_NONE};
    int n_pf = (int)(sizeof point_fields / sizeof point_fields[0]);
    pl_gpkg_layer *lp = pl_gpkg_layer_add(g, "population", 1, "Befolkning per byggnad (dasymetrisk)", point_fields,
                                          n_pf, graduated, err);
    pl_gpkg_layer *lb = NULL;
    if (lp && o->polygons)
        lb = pl_gpkg_layer_add(g, "buildings", 6, "Byggnader med befolkning", point_fields, n_pf, graduated, err);
    pl_gpkg_layer *la = lp && (lb || !o->polygons)
                            ? pl_gpkg_layer_add(g, "areas", 100, "Områden: fördelad befolkning", area_fields,
                                                (int)(sizeof area_fields / sizeof area_fields[0]), &none, err)
                            : NULL;
    if (!la)
        goto fail;
    for (int pass = 0; pass < (o->polygons ? 2 : 1); pass++) {
        pl_gpkg_layer *l = pass == 0 ? lp : lb;
        for (size_t k = 0; k < b->n; k++) {
            if (r.area[k] < 0)
                continue;
            pl_gpkg_row_begin(l);
            pl_gpkg_set_real(l, 0, r.pop[k]);
            pl_gpkg_set_text(l, 1, a->id[r.area[k]]);
            pl_gpkg_set_text(l, 2, pl_dasy_method_name(r.bmethod[k]));
            pl_gpkg_set_text(l, 3, b->id[k]);
            pl_gpkg_set_real(l, 4, b->weight[k]);
            if (pass == 0)
                pl_gpkg_set_xy(l, r.x[k], r.y[k]);
            else
                pl_gpkg_set_geos(l, b->geom[k]);
            if (pl_gpkg_row_end(l, err) != PL_OK)
                goto fail;
        }
    }
    for (size_t j = 0; j < r.n_points; j++) {
        pl_gpkg_row_begin(lp);
        pl_gpkg_set_real(lp, 0, r.ppop[j]);
        pl_gpkg_set_text(lp, 1, a->id[r.parea[j]]);
        pl_gpkg_set_text(lp, 2, pl_dasy_method_name(PL_DASY_AREA_POINT));
        pl_gpkg_set_xy(lp, r.px[j], r.py[j]);
        if (pl_gpkg_row_end(lp, err) != PL_OK)
            goto fail;
    }
    for (size_t i = 0; i < a->n; i++) {
        pl_gpkg_row_begin(la);
        pl_gpkg_set_text(la, 0, a->id[i]);
        pl_gpkg_set_real(la, 1, a->pop[i]);
        pl_gpkg_set_real(la, 2, r.assigned[i]);
        pl_gpkg_set_int(la, 3, (int64_t)r.n_buildings[i]);
        pl_gpkg_set_text(la, 4, pl_dasy_method_name(r.method[i]));
        if (pl_gpkg_row_end(la, err) != PL_OK)
            goto fail;
    }
    rc = pl_gpkg_commit(g, err);
    goto done;
fail:
    pl_gpkg_abort(g);
    rc = err && err->code != PL_OK ? (int)err->code : PL_EINTERNAL;
done:
    pl_dasy_result_free(&r);
    pl_dasy_buildings_free(ctx, b);
    pl_dasy_areas_free(ctx, a);
    return rc;
}

typedef struct population_call {
    pl_ctx *ctx;
    const pl_population_opts *o;
    const char *command_line;
    pl_error *err;
} population_call;

static int population_call_run(void *arg)
{
    population_call *c = arg;
    return population_run(c->ctx, c->o, c->command_line, c->err);
}

int pl_population_run(pl_ctx *ctx, const pl_population_opts *o, const char *command_line, pl_error *err)
{
    population_call c = {ctx, o, command_line, err};
    return pl_oom_guard(population_call_run, &c, pl_run_unwind, err);
}
