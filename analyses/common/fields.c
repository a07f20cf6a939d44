/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "fields.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *keep(pl_field_list *fl, const char *s)
{
    if (!s)
        return NULL;
    if (fl->n_strings == fl->cap_strings) {
        fl->cap_strings = fl->cap_strings ? 2 * fl->cap_strings : 64;
        fl->strings = pl_realloc(fl->strings, (size_t)fl->cap_strings * sizeof *fl->strings);
    }
    return fl->strings[fl->n_strings++] = pl_strdup(s);
}

int pl_fields_add(pl_field_list *fl, const char *name, pl_field_type type, const char *alias_sv,
                  const char *description)
{
    if (fl->n == fl->cap) {
        fl->cap = fl->cap ? 2 * fl->cap : 32;
        fl->defs = pl_realloc(fl->defs, (size_t)fl->cap * sizeof *fl->defs);
    }
    pl_field_def *d = &fl->defs[fl->n];
    d->name = keep(fl, name);
    d->type = type;
    d->alias_sv = keep(fl, alias_sv);
    d->description = keep(fl, description);
    return fl->n++;
}

void pl_fields_free(pl_field_list *fl)
{
    for (int i = 0; i < fl->n_strings; i++)
        free(fl->strings[i]);
    free(fl->strings);
    free(fl->defs);
    memset(fl, 0, sizeof *fl);
}

void pl_band_token(char *buf, size_t size, double bound)
{
    snprintf(buf, size, "%g", bound);
    for (char *p = buf; *p; p++)
        if (*p == '.')
            *p = '_';
}

void pl_band_label(char *buf, size_t size, const double *bounds, int n, int i, const char *unit)
{
    if (i < 0 || i > n)
        snprintf(buf, size, "ej nåbar");
    else if (i == n)
        snprintf(buf, size, "> %g %s", bounds[n - 1], unit);
    else
        snprintf(buf, size, "%g–%g %s", i ? bounds[i - 1] : 0.0, bounds[i], unit);
}

void pl_band_labels_init(pl_band_labels *bl, const double *bounds, int n, const char *unit)
{
    bl->n = n < 0 ? 0 : n;
    bl->s = pl_calloc((size_t)bl->n + 2, sizeof *bl->s);
    char buf[128];
    for (int i = 0; i <= bl->n + 1; i++) {
        if (bl->n == 0 && i == 0)
            buf[0] = '\0';  /* no bands: no "> last" label to make */
        else
            pl_band_label(buf, sizeof buf, bounds, bl->n, i, unit);
        bl->s[i] = pl_strdup(buf);
    }
}

const char *pl_band_labels_get(const pl_band_labels *bl, int i)
{
    return bl->s[i < 0 || i > bl->n ? bl->n + 1 : i];
}

void pl_band_labels_free(pl_band_labels *bl)
{
    for (int i = 0; bl->s && i <= bl->n + 1; i++)
        free(bl->s[i]);
    free(bl->s);
    bl->s = NULL;
}
