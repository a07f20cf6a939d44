/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Joins between population units and municipalities shared by the analyses. */
#ifndef PLATSA_ANALYSES_UNITS_H
#define PLATSA_ANALYSES_UNITS_H

#include "layers/layers.h"

/* Municipality index of every unit: the carried code when it names a known municipality
 * (SCB grid squares carry kn_kod, and the generalised polygons miss coastal squares), else
 * the containing polygon, else the nearest one (warning "cell-outside-municipality").
 * Returns how many units were outside every polygon. */
long pl_assign_municipalities(pl_ctx *ctx, const pl_population *pop, const pl_municipalities *munis,
                              long *muni_of_unit);

#endif
