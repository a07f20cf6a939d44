/* SPDX-License-Identifier: GPL-3.0-or-later */
/* How the classify layers look in QGIS: classes, Swedish legend labels, colours, style names. */
#ifndef PLATSA_ANALYSES_CLASSIFY_STYLES_H
#define PLATSA_ANALYSES_CLASSIFY_STYLES_H

#include "analyses/common/legend.h"

/* classify_cells: one class per territorial class (1 tätort, 2, 3), named. */
const pl_style *pl_classify_style_cells(pl_legend *lg, int transit);
/* classify_municipalities: the share of residents in remote rural areas, in percent. */
const pl_style *pl_classify_style_municipalities(pl_legend *lg);

#endif
