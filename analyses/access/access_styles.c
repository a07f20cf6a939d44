/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "access_styles.h"

#include <stdio.h>

const pl_style *pl_access_style_distance(pl_legend *lg, const char *field, const double *bands_km, int n_bands,
                                         int municipal)
{
    return pl_legend_bands(lg, field, bands_km, n_bands, "km", PL_RAMP_NEAR_FAR, 0, "ej nåbar",
                           municipal ? "Medelavstånd per kommun (km)" : "Avstånd till närmaste (km)");
}

const pl_style *pl_access_style_service_level(pl_legend *lg, int n_types)
{
    double breaks[PL_LEGEND_MAX] = {0};
    int n = n_types < PL_LEGEND_MAX - 1 ? n_types : PL_LEGEND_MAX - 1;
    for (int i = 0; i < n; i++)
        breaks[i] = i;  /* one class per count 0..n-1, then the open class: all n types */
    const pl_style *st = pl_legend_bands(lg, "service_level", breaks, n, NULL, PL_RAMP_GREEN, 0,
                                         "uppgift saknas", "Servicenivå (antal typer)");
    for (int i = 0; i <= n; i++) {
        if (i == n && n > 1)
            snprintf(lg->label[i], sizeof lg->label[i], "alla %d typer", n);
        else
            snprintf(lg->label[i], sizeof lg->label[i], "%d %s", i, i == 1 ? "typ" : "typer");
    }
    return st;
}

const pl_style *pl_access_style_service_areas(pl_legend *lg, const double *bands_min, int n_bands)
{
    return pl_legend_bands(lg, "to_min", bands_min, n_bands, "min", PL_RAMP_NEAR_FAR, 0, "ej nåbar",
                           "Serviceområden (restid)");
}
