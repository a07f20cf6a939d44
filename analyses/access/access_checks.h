/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Data-completeness checks of an access run: municipalities whose service list looks
 * incomplete (no service of a type at all, or far fewer per resident than the median
 * municipality's). Written as the data_checks table and counted as warnings: the figures of
 * such a municipality measure the data, not the world. */
#ifndef PLATSA_ANALYSES_ACCESS_CHECKS_H
#define PLATSA_ANALYSES_ACCESS_CHECKS_H

#include "access.h"

typedef struct pl_access_check {
    char kind[32];     /* "none_in_kommun" | "few_for_population" */
    size_t muni;       /* municipality index */
    int type_slot;     /* index into the result's types */
    double value;      /* none: mean minutes to a neighbour's; few: residents per service */
    double reference;  /* few: the median municipality's residents per service; else NAN */
} pl_access_check;

typedef struct pl_access_checks {
    pl_access_check *rows;  /* municipality order within type order: deterministic */
    size_t n, cap;
} pl_access_checks;

/* Runs the checks on a finished result (summaries computed); counts a warning per row. */
pl_access_checks *pl_access_checks_run(pl_ctx *ctx, const pl_municipalities *munis, const pl_service_types *st,
                                       const pl_access_result *r);
void pl_access_checks_free(pl_access_checks *c);
/* The row's message in Swedish, for the table and the report. */
void pl_access_check_message(const pl_access_check *k, const pl_municipalities *munis, const pl_service_types *st,
                             const pl_access_result *r, char *buf, size_t size);

#endif
