/* Building output field lists whose names depend on the data (service types, bands). */
#ifndef PLATSA_ANALYSES_FIELDS_H
#define PLATSA_ANALYSES_FIELDS_H

#include "../gis/gpkg_writer.h"

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

#endif
