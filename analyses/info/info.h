/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa info: each layer of the given files (geometry, CRS, count, fields, the roles it
 * fits), and the service types. */
#ifndef PLATSA_ANALYSES_INFO_H
#define PLATSA_ANALYSES_INFO_H

#include <stdio.h>

#include "gis/ctx.h"
#include "gis/options.h"

typedef struct pl_info_opts {
    int list_types;
    const char *service_types;
} pl_info_opts;

extern const pl_option pl_info_options[];
extern const char pl_info_usage[];
extern const char pl_info_summary[];

/* Zeroes o and sets the table's defaults (PL_OK; PL_EINTERNAL if a default does not parse). */
int pl_info_opts_init(pl_info_opts *o);
void pl_info_opts_free(pl_info_opts *o);

/* Called for a file that cannot be described; the run goes on with the next file. */
typedef void (*pl_info_file_error_fn)(const pl_error *err, void *user);

/* Describes files[0..n_files-1] (FILE[:LAYER]) to out, after the service types when asked.
 * A file that cannot be described goes to on_error (may be NULL) and the run goes on: the
 * result is then that file's error code, and err holds the last such error. */
int pl_info_run(pl_ctx *ctx, const pl_info_opts *o, char *const *files, int n_files, FILE *out,
                pl_info_file_error_fn on_error, void *user, pl_error *err);

#endif
