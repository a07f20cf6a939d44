/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "population_styles.h"

const pl_style *pl_population_style_buildings(pl_legend *lg)
{
    static const double breaks[] = {1, 5, 10, 25, 50, 100};
    return pl_legend_bands(lg, "pop", breaks, 6, "inv.", PL_RAMP_GREEN, 0, "uppgift saknas",
                           "Befolkning per byggnad");
}
