/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Map report: a self-contained HTML page (index.html + PNG maps in one folder, no network
 * needed to view it) from a platsa GeoPackage, for planners to show a committee.
 *
 * Per analysis found in the GeoPackage (gpkg_contents + the run metadata's `analysis`
 * parameter): a map per key layer drawn with cairo in the layer's default QGIS style
 * (legend, north arrow, scale bar, attribution), the municipality summary tables with
 * Swedish headings and Swedish number formatting, and the run's parameters and inputs.
 *
 * The folder is written to a temporary folder beside the target (".NAME.tmp-PID@HOST", removed
 * by the next run if the process is killed) and renamed into place, so a reader never sees
 * half a report. This module does all of the report's file writing. */
#ifndef PLATSA_ANALYSES_REPORT_H
#define PLATSA_ANALYSES_REPORT_H

#include "gis/ctx.h"
#include "gis/map_render.h"
#include "gis/options.h"

typedef struct pl_report_opts {
    const char *input;        /* platsa GeoPackage */
    const char *output;       /* report folder */
    int overwrite;            /* replace an existing report folder (only one platsa wrote) */
    int width, height;        /* map size in pixels */
    const char *title;        /* page title; NULL = from the analyses */
    const char *attribution;  /* map attribution line; NULL = from the run's inputs */
    int max_rows;             /* rows per table (0 = all) */
    double goal_min;          /* the region's travel-time goal ("nobody more than 30 min"): the
                               * headline threshold and the "beyond" column; 0 = the last time
                               * band of the analysis (45 min by default) */
} pl_report_opts;

extern const pl_option pl_report_options[];
/* Zeroes o and sets the table's defaults (PL_OK; PL_EINTERNAL if a default does not parse). */
int pl_report_opts_init(pl_report_opts *o);
/* Frees the lists the options hold (after opts_init or parsing). */
void pl_report_opts_free(pl_report_opts *o);
extern const char pl_report_usage[];
extern const char pl_report_summary[];

/* Writes the report folder. PL_EINPUT for a file that is not a platsa GeoPackage or an
 * output folder that exists (without overwrite, or not a platsa report). */
int pl_report_run(pl_ctx *ctx, const pl_report_opts *o, pl_error *err);

/* The stored default style of a layer as the report draws it, with legend labels for
 * planners: percentages for share fields ("5–10 %"), class names from a "<field>_name"
 * text column (classify's "tätort", ...), whole numbers for integer counts ("1–2 typer").
 * PL_EINPUT when the layer has no stored style. Free with pl_map_style_free. */
int pl_report_layer_style(const char *gpkg, const char *layer, pl_map_style *out, pl_error *err);

/* Removes the temporary folder of a report being written (for the CLI's SIGINT/SIGTERM
 * handler: only unlink/rmdir of precomputed paths). */
void pl_report_cleanup_all(void);

/* Name of the marker file a report folder carries: it lists every file platsa wrote into
 * the folder, and --overwrite replaces only a folder that has it and holds nothing else. */
#define PL_REPORT_MARKER ".platsa-report"

#endif
