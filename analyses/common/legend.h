/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Map legends the analyses give their layers: classes from a list of band limits or a pass/fail
 * field, with the colour ramps platsa uses and labels a Swedish planner reads ("högst 1 km",
 * "1–2 km", "mer än 5 km", "25–50 %"). gis/ only writes the renderer (pl_style). */
#ifndef PLATSA_ANALYSES_LEGEND_H
#define PLATSA_ANALYSES_LEGEND_H

#include "gis/gpkg_writer.h"

#include <stddef.h>

#define PL_LEGEND_MAX 68   /* classes: service level has one per service type (64) and one more */
#define PL_LEGEND_LABEL 96

typedef enum {
    PL_RAMP_NEAR_FAR, /* green -> yellow -> red: the first class is the good one (distance, time) */
    PL_RAMP_GREEN,    /* light -> dark green: more is better (types reached, rules met, coverage) */
    PL_RAMP_ALERT     /* light orange -> dark red: every class needs attention (uncovered people) */
} pl_ramp;

enum {
    PL_LEGEND_PERCENT = 1,   /* values are shares 0..1: labels in percent ("25–50 %") */
    PL_LEGEND_OPEN_BELOW = 2 /* the first class is open downwards too (changes that can be negative) */
};

/* A legend and the style that points into it: use lg->style while lg lives. A caller may
 * rewrite lg->label[i] (class i's label) after building it. */
typedef struct pl_legend {
    pl_style style;
    pl_style_class cls[PL_LEGEND_MAX];
    char label[PL_LEGEND_MAX][PL_LEGEND_LABEL];
} pl_legend;

/* Graduated: one class up to each of `breaks` (ascending, at most PL_LEGEND_MAX - 1; more are
 * merged into the open last class) and an open last class, coloured along `ramp`. The first
 * class starts at min(0, breaks[0]): "högst 1 km", or "0 typer" when breaks[0] is 0; then
 * "1–2 km", ..., "mer än 5 km". null_label: the grey class for NULL (NULL: none). */
const pl_style *pl_legend_bands(pl_legend *lg, const char *field, const double *breaks, int n_breaks,
                                const char *unit, pl_ramp ramp, unsigned flags, const char *null_label,
                                const char *name);

/* Categorised on an integer 1/0 field: green `pass`, red `fail`, grey null_label. */
const pl_style *pl_legend_pass_fail(pl_legend *lg, const char *field, const char *pass, const char *fail,
                                    const char *null_label, const char *name);

/* A number as a Swedish legend writes it: decimal comma, at most 10 significant digits,
 * thousands grouped by a no-break space ("1 000", "0,5"). */
void pl_legend_number(char *buf, size_t size, double v);

#endif
