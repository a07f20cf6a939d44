/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "classify_styles.h"
#include "classify.h"

#include <stdio.h>

const pl_style *pl_classify_style_cells(pl_legend *lg, int transit)
{
    /* By transit a fourth class, no connection within the window, follows the remote class. */
    static const double breaks[] = {PL_CLASS_URBAN, PL_CLASS_NEAR_URBAN_RURAL, PL_CLASS_REMOTE_RURAL};
    int n_classes = transit ? PL_N_CLASSES_TRANSIT : PL_N_CLASSES;
    const pl_style *st = pl_legend_bands(lg, "class", breaks, n_classes - 1, NULL, PL_RAMP_NEAR_FAR, 0,
                                         "uppgift saknas", "Territoriell klass");
    for (int c = PL_CLASS_URBAN; c <= n_classes; c++)
        snprintf(lg->label[c - 1], sizeof lg->label[c - 1], "%s", pl_class_name_sv(c));
    return st;
}

const pl_style *pl_classify_style_municipalities(pl_legend *lg)
{
    static const double breaks[] = {0.05, 0.1, 0.25, 0.5};
    return pl_legend_bands(lg, "share_remote_rural", breaks, 4, NULL, PL_RAMP_NEAR_FAR, PL_LEGEND_PERCENT,
                           "uppgift saknas", "Andel avlägsen landsbygd (%)");
}
