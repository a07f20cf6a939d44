/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa import-osm: an OpenStreetMap extract into platsa's input layers (the library call
 * behind the command; the reading and writing live in layers/osm.h). */
#ifndef PLATSA_ANALYSES_IMPORT_OSM_H
#define PLATSA_ANALYSES_IMPORT_OSM_H

#include "gis/ctx.h"
#include "gis/options.h"

typedef struct pl_import_osm_opts {
    const char *output;
    const char *crs;
    int overwrite;
    double tree_row_spacing;
    double default_crown;
    double default_levels;
    int admin_level;
    const char *service_types;
} pl_import_osm_opts;

extern const pl_option pl_import_osm_options[];
extern const char pl_import_osm_usage[];
extern const char pl_import_osm_summary[];

/* Zeroes o and sets the table's defaults (PL_OK; PL_EINTERNAL if a default does not parse). */
int pl_import_osm_opts_init(pl_import_osm_opts *o);
void pl_import_osm_opts_free(pl_import_osm_opts *o);

/* Imports the extract `input` (.osm.pbf or .osm) into o->output. Sets ctx->work_crs to o->crs.
 * command_line is recorded in the output's metadata (may be NULL). */
int pl_import_osm_run(pl_ctx *ctx, const pl_import_osm_opts *o, const char *input, const char *command_line,
                      pl_error *err);

#endif
