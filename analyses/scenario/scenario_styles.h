/* SPDX-License-Identifier: GPL-3.0-or-later */
/* How the scenario layers look in QGIS: classes, Swedish legend labels, colours, style names. */
#ifndef PLATSA_ANALYSES_SCENARIO_STYLES_H
#define PLATSA_ANALYSES_SCENARIO_STYLES_H

#include "analyses/common/legend.h"

/* delta_cells: the change in minutes (`field`, after - before; positive = longer). */
const pl_style *pl_scenario_style_delta(pl_legend *lg, const char *field);

#endif
