/* SPDX-License-Identifier: GPL-3.0-or-later */
/* How the green layers look in QGIS: classes, Swedish legend labels, colours, style names. */
#ifndef PLATSA_ANALYSES_GREEN_STYLES_H
#define PLATSA_ANALYSES_GREEN_STYLES_H

#include "analyses/common/legend.h"

/* green_buildings: how many of the three rules each home meets. */
const pl_style *pl_green_style_buildings(pl_legend *lg);
/* green_neighbourhoods: rule 30, canopy cover at least min_canopy_pct. */
const pl_style *pl_green_style_neighbourhoods(pl_legend *lg, double min_canopy_pct);

#endif
