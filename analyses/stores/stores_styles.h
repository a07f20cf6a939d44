/* SPDX-License-Identifier: GPL-3.0-or-later */
/* How the stores layers look in QGIS: classes, Swedish legend labels, colours, style names. */
#ifndef PLATSA_ANALYSES_STORES_STYLES_H
#define PLATSA_ANALYSES_STORES_STYLES_H

#include "analyses/common/legend.h"

/* store_priority: residents beyond the limit if the store closes (field). */
const pl_style *pl_stores_style_priority(pl_legend *lg, const char *field);
/* store_catchments: minutes to the nearest other store (the type's time bands). */
const pl_style *pl_stores_style_catchments(pl_legend *lg, const double *bands_min, int n_bands);

#endif
