/* SPDX-License-Identifier: GPL-3.0-or-later */
/* How the coverage layers look in QGIS: classes, Swedish legend labels, colours, style names. */
#ifndef PLATSA_ANALYSES_COVERAGE_STYLES_H
#define PLATSA_ANALYSES_COVERAGE_STYLES_H

#include "analyses/common/legend.h"

/* coverage_cells: covered with the new hubs or not. */
const pl_style *pl_coverage_style_cells(pl_legend *lg);
/* uncovered_clusters: residents per cluster, all in warning colours (none of them is covered). */
const pl_style *pl_coverage_style_clusters(pl_legend *lg);
/* new_hubs: residents each new hub adds. */
const pl_style *pl_coverage_style_new_hubs(pl_legend *lg);
/* coverage_municipalities: the covered share today, in percent. */
const pl_style *pl_coverage_style_municipalities(pl_legend *lg);

#endif
