/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Building output field lists whose names depend on the data (service types, bands). */
#ifndef PLATSA_ANALYSES_FIELDS_H
#define PLATSA_ANALYSES_FIELDS_H

#include "gis/gpkg_writer.h"

typedef struct pl_field_list {
    pl_field_def *defs;
    int n, cap;
    char **strings;          /* owned names and aliases */
    int n_strings, cap_strings;
} pl_field_list;

/* Adds a field (name, alias and description are copied; alias and description may be
 * NULL); returns its index. */
int pl_fields_add(pl_field_list *fl, const char *name, pl_field_type type, const char *alias_sv,
                  const char *description);
void pl_fields_free(pl_field_list *fl);

/* "5" for 5, "2_5" for 2.5: a band bound usable inside a field name. */
void pl_band_token(char *buf, size_t size, double bound);
/* Human label of band i of n bounds, e.g. "0–5 km", "> 30 km"; i == n+1 gives "ej nåbar". */
void pl_band_label(char *buf, size_t size, const double *bounds, int n, int i, const char *unit);

/* Every label of a band list, made once (formatting them per row was a measurable part of
 * writing large outputs): get(i) is pl_band_label's text for band index i. */
typedef struct pl_band_labels {
    char **s;   /* n + 2 labels: bands 0..n, then "ej nåbar" */
    int n;
} pl_band_labels;

void pl_band_labels_init(pl_band_labels *bl, const double *bounds, int n, const char *unit);
const char *pl_band_labels_get(const pl_band_labels *bl, int i);
void pl_band_labels_free(pl_band_labels *bl);

#endif
