/* SPDX-License-Identifier: GPL-3.0-or-later */
/* How the synth layers look in QGIS: classes, Swedish legend labels, colours, style names. */
#ifndef PLATSA_ANALYSES_SYNTH_STYLES_H
#define PLATSA_ANALYSES_SYNTH_STYLES_H

#include "analyses/common/legend.h"

/* population (grid squares): residents per square. */
const pl_style *pl_synth_style_population(pl_legend *lg);

#endif
