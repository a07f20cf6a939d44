/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Attachment options and the unattached_* layers (rules in attach.h). */
#include "attach.h"

#include <math.h>
#include <string.h>

#include "fields.h"
#include "layers/service_types.h"

int pl_attach_check(double max_snap_m, double max_service_snap_m, int check_service, pl_error *err)
{
    if (!(max_snap_m > 0))
        return pl_error_set(err, PL_EINPUT, "--max-snap %g: give a distance in metres above 0", max_snap_m);
    if (check_service && !(max_service_snap_m > 0))
        return pl_error_set(err, PL_EINPUT, "--max-service-snap %g: give a distance in metres above 0",
                            max_service_snap_m);
    return PL_OK;
}

void pl_attach_service_opts(pl_snap_opts *so, double max_service_snap_m)
{
    so->max_attach_m = max_service_snap_m > 0 ? max_service_snap_m : PL_MAX_SERVICE_SNAP_DEFAULT;
    so->what = "services";
    so->left_out_note = "(--max-service-snap): nobody's nearest, listed in the unattached_services layer";
}

size_t pl_attach_leave_out(pl_ctx *ctx, pl_snap *snap, size_t n, double max_m, pl_mode mode)
{
    pl_snap_opts so;
    pl_snap_opts_default(&so);
    pl_attach_service_opts(&so, max_m);
    size_t left = 0;
    for (size_t i = 0; i < n; i++) {
        if (snap[i].status == PL_SNAP_NONE || !(snap[i].access_m > so.max_attach_m))
            continue;
        float d = snap[i].access_m;
        memset(&snap[i], 0, sizeof snap[i]);
        snap[i].node_a = snap[i].node_b = snap[i].edge = snap[i].road = UINT32_MAX;
        snap[i].access_m = d;
        snap[i].access_s = INFINITY;
        snap[i].status = PL_SNAP_NONE;
        left++;
    }
    if (left)
        pl_warn(ctx, "snap-left-out", "%zu of %zu %s are more than %.0f m from every road a %s may attach to; left "
                "out, not attached %s", left, n, so.what, so.max_attach_m, pl_mode_name(mode), so.left_out_note);
    return left;
}

static double metres(float d)
{
    return isfinite(d) ? round((double)d * 10.0) / 10.0 : NAN;
}

int pl_write_unattached_services(pl_gpkg *g, const pl_services *svc, const pl_service_types *st,
                                 const pl_snap *snap, pl_error *err)
{
    return pl_write_unattached_services_as(g, "unattached_services", PL_UNATTACHED_SERVICES_TITLE, svc, st, snap, err);
}

int pl_write_unattached_services_as(pl_gpkg *g, const char *layer, const char *title, const pl_services *svc,
                                    const pl_service_types *st, const pl_snap *snap, pl_error *err)
{
    size_t n_left = 0;
    for (size_t i = 0; i < svc->n; i++)
        n_left += snap[i].status == PL_SNAP_NONE;
    if (!n_left)
        return PL_OK;
    pl_field_list fl = {0};
    pl_fields_add(&fl, "service_id", PL_FIELD_TEXT, "Service (id)", "the service's id");
    pl_fields_add(&fl, "name", PL_FIELD_TEXT, "Namn", NULL);
    pl_fields_add(&fl, "type", PL_FIELD_TEXT, "Servicetyp", "service type key");
    pl_fields_add(&fl, "raw_type", PL_FIELD_TEXT, "Typ i indata", "the value the type was mapped from");
    pl_fields_add(&fl, "road_m", PL_FIELD_REAL, "Avstånd till väg (m)",
                  "straight distance to the nearest road it may attach to; NULL = no road open to the mode");
    pl_style style = {.kind = PL_STYLE_SINGLE, .name = "Ej ansluten service"};
    pl_gpkg_layer *l = pl_gpkg_layer_add(g, layer, 1 /* wkbPoint */, title, fl.defs, fl.n, &style, err);
    int rc = l ? PL_OK : PL_EINTERNAL;
    for (size_t i = 0; rc == PL_OK && i < svc->n; i++) {
        if (snap[i].status != PL_SNAP_NONE)
            continue;
        pl_gpkg_row_begin(l);
        pl_gpkg_set_text(l, 0, svc->id[i]);
        pl_gpkg_set_text(l, 1, svc->name ? svc->name[i] : NULL);
        if (st && svc->type[i] >= 0 && svc->type[i] < st->n)
            pl_gpkg_set_text(l, 2, st->t[svc->type[i]].key);
        pl_gpkg_set_text(l, 3, svc->raw_type ? svc->raw_type[i] : NULL);
        pl_gpkg_set_real(l, 4, metres(snap[i].access_m));
        pl_gpkg_set_xy(l, svc->x[i], svc->y[i]);
        rc = pl_gpkg_row_end(l, err);
    }
    pl_fields_free(&fl);
    return rc;
}

int pl_write_unattached_units(pl_gpkg *g, const pl_population *pop, const pl_snap *snap, const uint8_t *in_region,
                              pl_error *err)
{
    return pl_write_unattached_units_as(g, "unattached_units", PL_UNATTACHED_UNITS_TITLE, pop, snap, in_region, err);
}

int pl_write_unattached_units_as(pl_gpkg *g, const char *layer, const char *title, const pl_population *pop,
                                 const pl_snap *snap, const uint8_t *in_region, pl_error *err)
{
    size_t n_far = 0;
    for (size_t c = 0; c < pop->n; c++)
        n_far += snap[c].status != PL_SNAP_OK && (!in_region || in_region[c]);
    if (!n_far)
        return PL_OK;
    pl_field_list fl = {0};
    pl_fields_add(&fl, "cell_id", PL_FIELD_TEXT, "Ruta/område", "population unit id");
    pl_fields_add(&fl, "pop", PL_FIELD_REAL, "Befolkning", "residents");
    pl_fields_add(&fl, "road_m", PL_FIELD_REAL, "Avstånd till väg (m)",
                  "straight distance to the nearest road it may attach to; NULL = no road open to the mode");
    pl_fields_add(&fl, "attached", PL_FIELD_INT, "Ansluten ändå",
                  "1 = attached across the long leg and counted with it; 0 = no road at all, counted as unreachable");
    pl_style style = {.kind = PL_STYLE_SINGLE, .name = "Långt från väg"};
    pl_gpkg_layer *l = pl_gpkg_layer_add(g, layer, 1 /* wkbPoint */, title, fl.defs, fl.n, &style, err);
    int rc = l ? PL_OK : PL_EINTERNAL;
    for (size_t c = 0; rc == PL_OK && c < pop->n; c++) {
        if (snap[c].status == PL_SNAP_OK || (in_region && !in_region[c]))
            continue;
        pl_gpkg_row_begin(l);
        pl_gpkg_set_text(l, 0, pop->id[c]);
        pl_gpkg_set_real(l, 1, pop->pop[c]);
        pl_gpkg_set_real(l, 2, metres(snap[c].access_m));
        pl_gpkg_set_int(l, 3, snap[c].status != PL_SNAP_NONE);
        pl_gpkg_set_xy(l, pop->x[c], pop->y[c]);
        rc = pl_gpkg_row_end(l, err);
    }
    pl_fields_free(&fl);
    return rc;
}
