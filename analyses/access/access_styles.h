/* SPDX-License-Identifier: GPL-3.0-or-later */
/* How the access layers look in QGIS: classes, Swedish legend labels, colours, style names.
 * Also used by the commands whose layers are access layers again (scenario). */
#ifndef PLATSA_ANALYSES_ACCESS_STYLES_H
#define PLATSA_ANALYSES_ACCESS_STYLES_H

#include "analyses/common/legend.h"

/* Distance to the nearest service per unit (`field` in km, the type's bands); municipal: the
 * municipalities' mean distance. */
const pl_style *pl_access_style_distance(pl_legend *lg, const char *field, const double *bands_km, int n_bands,
                                         int municipal);
/* Service types within reach per unit, 0..n_types: one class per count. */
const pl_style *pl_access_style_service_level(pl_legend *lg, int n_types);
/* Service-area rings by their upper time (to_min). */
const pl_style *pl_access_style_service_areas(pl_legend *lg, const double *bands_min, int n_bands);

#endif
