/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa info: the option table and the library call. */
#include "analyses/info/info.h"

#include <stddef.h>
#include <string.h>

#include "analyses/common/run.h"
#include "layers/layers.h"

const pl_option pl_info_options[] = {
    {"types", 0, PL_OPT_FLAG, offsetof(pl_info_opts, list_types), NULL, NULL,
     "list the service types (shipped, plus --service-types) with their values and bands", 0, PL_NO_RANGE},
    {"service-types", 0, PL_OPT_STRING, offsetof(pl_info_opts, service_types), "FILE", NULL,
     "a region's service types file read over the shipped one (see share/service_types.ini)", 0, PL_NO_RANGE},
    PL_OPT_END,
};

const char pl_info_usage[] = "platsa info [options] FILE[:LAYER]...";
const char pl_info_summary[] =
    "Lists each layer of the given files: geometry type, CRS (EPSG code when identifiable),\n"
    "feature count, fields with their types, and the roles the layer fits (municipalities,\n"
    "population, localities, services, roads, green areas, trees, buildings...).\n"
    "Any GDAL vector format; a CSV gets points from x/y or lon/lat columns, or an SCB\n"
    "grid table (rut_id) is recognised as population squares.";

int pl_info_opts_init(pl_info_opts *o)
{
    memset(o, 0, sizeof *o);
    return pl_options_defaults(pl_info_options, o, NULL);
}

void pl_info_opts_free(pl_info_opts *o)
{
    pl_options_free(pl_info_options, o);
}

typedef struct info_call {
    pl_ctx *ctx;
    const pl_info_opts *o;
    char *const *files;
    int n_files;
    FILE *out;
    pl_info_file_error_fn on_error;
    void *user;
    pl_error *err;
} info_call;

static int info_run(const info_call *c)
{
    const pl_info_opts *o = c->o;
    if (c->n_files == 0 && !o->list_types && !o->service_types)
        return pl_error_set(c->err, PL_EINPUT, "give at least one FILE (or --types); see --help");
    if (o->list_types || o->service_types) {
        pl_service_types *t = pl_service_types_load(c->ctx, o->service_types, c->err);
        if (!t)
            return c->err->code;
        if (o->list_types || c->n_files == 0)
            pl_service_types_print(t, c->out);
        pl_service_types_free(t);
    }
    int status = PL_OK;
    for (int i = 0; i < c->n_files; i++) {
        if (i || o->list_types)
            fputc('\n', c->out);
        pl_error one = {0};
        if (pl_info_describe(c->ctx, c->files[i], c->out, &one) != PL_OK) {
            status = one.code == PL_OK ? PL_EINTERNAL : (int)one.code;
            *c->err = one;
            if (c->on_error)
                c->on_error(&one, c->user);
        }
    }
    return status;
}

static int info_call_run(void *arg)
{
    return info_run(arg);
}

int pl_info_run(pl_ctx *ctx, const pl_info_opts *o, char *const *files, int n_files, FILE *out,
                pl_info_file_error_fn on_error, void *user, pl_error *err)
{
    info_call c = {ctx, o, files, n_files, out, on_error, user, err};
    return pl_oom_guard(info_call_run, &c, pl_run_unwind, err);
}
