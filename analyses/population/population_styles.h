/* SPDX-License-Identifier: GPL-3.0-or-later */
/* How the population layers look in QGIS: classes, Swedish legend labels, colours, style names. */
#ifndef PLATSA_ANALYSES_POPULATION_STYLES_H
#define PLATSA_ANALYSES_POPULATION_STYLES_H

#include "analyses/common/legend.h"

/* population (points per building): residents per building. */
const pl_style *pl_population_style_buildings(pl_legend *lg);

#endif
