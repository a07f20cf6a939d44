/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa info FILE...: layers, CRS, fields, and the roles each layer fits. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "gis/options.h"
#include "layers/layers.h"
#include "commands.h"

#define MAX_FILES 64

typedef struct info_opts {
    int list_types;
    const char *service_types;
} info_opts;

static const pl_option info_table[] = {
    {"types", 0, PL_OPT_FLAG, offsetof(info_opts, list_types), NULL, NULL,
     "list the service types (shipped, plus --service-types) with their values and bands", 0, PL_NO_RANGE},
    {"service-types", 0, PL_OPT_STRING, offsetof(info_opts, service_types), "FILE", NULL,
     "a region's service types file read over the shipped one (see share/service_types.ini)", 0, PL_NO_RANGE},
    PL_OPT_END,
};

static const char *USAGE = "platsa info [options] FILE[:LAYER]...";
static const char *SUMMARY =
    "Lists each layer of the given files: geometry type, CRS (EPSG code when identifiable),\n"
    "feature count, fields with their types, and the roles the layer fits (municipalities,\n"
    "population, localities, services, roads, green areas, trees, buildings...).\n"
    "Any GDAL vector format; a CSV gets points from x/y or lon/lat columns, or an SCB\n"
    "grid table (rut_id) is recognised as population squares.";

int cmd_info(pl_ctx *ctx, int argc, char **argv)
{
    info_opts o;
    memset(&o, 0, sizeof o);
    char *files[MAX_FILES];
    int n_files = 0;
    pl_error err = {0};
    int rc = pl_options_parse(info_table, &o, argc, argv, files, MAX_FILES, &n_files, &err);
    if (rc == -1) {
        pl_options_help(stdout, USAGE, SUMMARY, info_table);
        pl_options_free(info_table, &o);
        return PL_OK;
    }
    if (rc == PL_EINPUT && n_files == MAX_FILES && strncmp(err.msg, "unexpected argument", 19) == 0)
        pl_error_set(&err, PL_EINPUT, "too many files: at most %d at once; run platsa info again for the rest",
                     MAX_FILES);
    if (rc != PL_OK) {
        pl_options_free(info_table, &o);
        return cli_fail(argv[0], &err);
    }
    if (n_files == 0 && !o.list_types && !o.service_types) {
        pl_error_set(&err, PL_EINPUT, "give at least one FILE (or --types); see --help");
        return cli_fail(argv[0], &err);
    }
    int status = PL_OK;
    if (o.list_types || o.service_types) {
        pl_service_types *t = pl_service_types_load(ctx, o.service_types, &err);
        if (!t)
            return cli_fail(argv[0], &err);
        if (o.list_types || n_files == 0)
            pl_service_types_print(t, stdout);
        pl_service_types_free(t);
    }
    for (int i = 0; i < n_files; i++) {
        if (i || o.list_types)
            fputc('\n', stdout);
        pl_error_clear(&err);
        if (pl_info_describe(ctx, files[i], stdout, &err) != PL_OK) {
            fflush(stdout);
            status = cli_fail(argv[0], &err);
        }
    }
    pl_options_free(info_table, &o);
    return status;
}
