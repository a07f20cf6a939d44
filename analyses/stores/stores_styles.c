/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "stores_styles.h"

#include <stdio.h>

const pl_style *pl_stores_style_priority(pl_legend *lg, const char *field)
{
    static const double breaks[] = {0, 10, 50, 200, 1000};
    const pl_style *st = pl_legend_bands(lg, field, breaks, 5, "inv.", PL_RAMP_NEAR_FAR, 0, "ingen uppgift",
                                         "Butikers sårbarhet (invånare)");
    snprintf(lg->label[0], sizeof lg->label[0], "ingen");
    snprintf(lg->label[1], sizeof lg->label[1], "högst 10 inv.");
    return st;
}

const pl_style *pl_stores_style_catchments(pl_legend *lg, const double *bands_min, int n_bands)
{
    return pl_legend_bands(lg, "min_if_closed", bands_min, n_bands, "min", PL_RAMP_NEAR_FAR, 0, "ej nåbar",
                           "Restid om butiken stängs (min)");
}
