/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "green_styles.h"

#include <stdio.h>

const pl_style *pl_green_style_buildings(pl_legend *lg)
{
    static const double breaks[] = {0, 1, 2};
    const pl_style *st = pl_legend_bands(lg, "rules_met", breaks, 3, NULL, PL_RAMP_GREEN, 0, "uppgift saknas",
                                         "3-30-300: uppfyllda regler");
    for (int i = 0; i <= 3; i++)
        snprintf(lg->label[i], sizeof lg->label[i], "regler uppfyllda: %d", i);
    return st;
}

const pl_style *pl_green_style_neighbourhoods(pl_legend *lg, double min_canopy_pct)
{
    char pass[PL_LEGEND_LABEL], fail[PL_LEGEND_LABEL], pct[48];
    pl_legend_number(pct, sizeof pct, min_canopy_pct);
    snprintf(pass, sizeof pass, "krontäckning minst %s %%", pct);
    snprintf(fail, sizeof fail, "krontäckning under %s %%", pct);
    return pl_legend_pass_fail(lg, "pass_30", pass, fail, "uppgift saknas", "Regel 30 (krontäckning)");
}
