/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "synth_styles.h"

const pl_style *pl_synth_style_population(pl_legend *lg)
{
    static const double breaks[] = {10, 50, 200, 1000, 5000};
    return pl_legend_bands(lg, "pop", breaks, 5, "inv.", PL_RAMP_GREEN, 0, "uppgift saknas",
                           "Befolkning per ruta");
}
