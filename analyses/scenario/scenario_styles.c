/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "scenario_styles.h"

#include <stdio.h>

const pl_style *pl_scenario_style_delta(pl_legend *lg, const char *field)
{
    static const double breaks[] = {-5, -1, 0, 1, 5};
    static const char *labels[] = {"minst 5 min kortare", "1–5 min kortare", "högst 1 min kortare",
                                   "högst 1 min längre", "1–5 min längre", "mer än 5 min längre"};
    const pl_style *st = pl_legend_bands(lg, field, breaks, 5, "min", PL_RAMP_NEAR_FAR, PL_LEGEND_OPEN_BELOW,
                                         "ny eller ej nåbar", "Förändring av restid (min)");
    for (int i = 0; i < 6; i++)
        snprintf(lg->label[i], sizeof lg->label[i], "%s", labels[i]);
    return st;
}
