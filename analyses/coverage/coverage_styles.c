/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "coverage_styles.h"

const pl_style *pl_coverage_style_cells(pl_legend *lg)
{
    return pl_legend_pass_fail(lg, "covered_after", "täckt", "ej täckt", "uppgift saknas", "Täckning med nya nav");
}

const pl_style *pl_coverage_style_clusters(pl_legend *lg)
{
    static const double breaks[] = {10, 50, 200, 1000};
    return pl_legend_bands(lg, "pop", breaks, 4, "inv.", PL_RAMP_ALERT, 0, "uppgift saknas",
                           "Otäckta kluster (invånare)");
}

const pl_style *pl_coverage_style_new_hubs(pl_legend *lg)
{
    static const double breaks[] = {50, 200, 1000, 5000};
    return pl_legend_bands(lg, "pop_added", breaks, 4, "inv.", PL_RAMP_GREEN, 0, "uppgift saknas",
                           "Nya nav (nytäckta invånare)");
}

const pl_style *pl_coverage_style_municipalities(pl_legend *lg)
{
    static const double breaks[] = {0.9, 0.95, 0.98, 0.99};
    return pl_legend_bands(lg, "share_covered", breaks, 4, NULL, PL_RAMP_GREEN, PL_LEGEND_PERCENT,
                           "uppgift saknas", "Täckt andel per kommun (%)");
}
