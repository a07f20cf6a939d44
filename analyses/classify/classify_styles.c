/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "classify_styles.h"
#include "classify.h"

#include <stdio.h>

const pl_style *pl_classify_style_cells(pl_legend *lg)
{
    static const double breaks[] = {PL_CLASS_URBAN, PL_CLASS_NEAR_URBAN_RURAL};
    const pl_style *st = pl_legend_bands(lg, "class", breaks, 2, NULL, PL_RAMP_NEAR_FAR, 0, "uppgift saknas",
                                         "Territoriell klass");
    for (int c = PL_CLASS_URBAN; c <= PL_N_CLASSES; c++)
        snprintf(lg->label[c - 1], sizeof lg->label[c - 1], "%s", pl_class_name_sv(c));
    return st;
}

const pl_style *pl_classify_style_municipalities(pl_legend *lg)
{
    static const double breaks[] = {0.05, 0.1, 0.25, 0.5};
    return pl_legend_bands(lg, "share_remote_rural", breaks, 4, NULL, PL_RAMP_NEAR_FAR, PL_LEGEND_PERCENT,
                           "uppgift saknas", "Andel avlägsen landsbygd (%)");
}
