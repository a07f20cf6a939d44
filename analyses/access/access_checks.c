/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Data-completeness checks of an access run (access_checks.h): where the service list looks
 * incomplete, so a planner reads "the data has no pharmacy here", not "nobody has one". */
#include "access_checks.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A municipality with fewer services than this many times the median kommun's, per resident,
 * is flagged (5: a sparse rural kommun has about two to three times the median's residents
 * per store; five times is rarer than a real gap in the list). */
#define FEW_FACTOR 5.0
/* Municipalities smaller than this are not flagged for few services: one store more or less
 * moves their ratio by a factor. */
#define FEW_MIN_POP 5000.0

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median of residents per service over the reported municipalities that have one; NAN when
 * fewer than three have one (no reference to compare with). */
static double median_pop_per_service(const pl_access_result *r, int t)
{
    double *v = pl_malloc((r->n_munis ? r->n_munis : 1) * sizeof *v);
    size_t n = 0;
    for (size_t m = 0; m < r->n_munis; m++) {
        const pl_access_stats *s = &r->muni_stats[m * (size_t)r->n_types + (size_t)t];
        if (s->n_cells > 0 && s->n_services > 0 && s->pop > 0)
            v[n++] = s->pop / (double)s->n_services;
    }
    double med = NAN;
    if (n >= 3) {
        qsort(v, n, sizeof *v, cmp_double);
        med = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    }
    free(v);
    return med;
}

static void add_check(pl_access_checks *c, const char *kind, size_t muni, int t, double value, double reference)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 16;
        c->rows = pl_realloc(c->rows, c->cap * sizeof *c->rows);
    }
    pl_access_check *k = &c->rows[c->n++];
    memset(k, 0, sizeof *k);
    snprintf(k->kind, sizeof k->kind, "%s", kind);
    k->muni = muni;
    k->type_slot = t;
    k->value = value;
    k->reference = reference;
}

pl_access_checks *pl_access_checks_run(pl_ctx *ctx, const pl_municipalities *munis, const pl_service_types *st,
                                       const pl_access_result *r)
{
    pl_access_checks *c = pl_calloc(1, sizeof *c);
    for (int t = 0; t < r->n_types; t++) {
        if (!r->types[t].in_level)
            continue;  /* a member of an analysed group: its group is checked */
        const pl_service_type *ty = &st->t[r->types[t].type];
        double med = median_pop_per_service(r, t);
        for (size_t m = 0; m < r->n_munis; m++) {
            const pl_access_stats *s = &r->muni_stats[m * (size_t)r->n_types + (size_t)t];
            if (s->n_cells == 0 || s->pop <= 0)
                continue;
            if (s->n_services == 0) {
                add_check(c, "none_in_kommun", m, t, s->mean_min, NAN);
                pl_warn(ctx, "data-check-none-in-kommun", "%s (%s) has no %s in the service data, with %.0f "
                        "residents; its figures measure the distance to the neighbours' (median %.0f min): check "
                        "that the service list is complete (data_checks layer)", munis->name[m], munis->code[m],
                        ty->key, s->pop, s->median_min);
            } else if (isfinite(med) && s->pop >= FEW_MIN_POP &&
                       s->pop / (double)s->n_services > FEW_FACTOR * med) {
                add_check(c, "few_for_population", m, t, s->pop / (double)s->n_services, med);
                pl_warn(ctx, "data-check-few-services", "%s (%s) has %ld %s for %.0f residents, %.0f per service "
                        "where the median kommun has %.0f: the service list may be incomplete (data_checks layer)",
                        munis->name[m], munis->code[m], s->n_services, ty->key, s->pop,
                        s->pop / (double)s->n_services, med);
            }
        }
    }
    return c;
}

void pl_access_checks_free(pl_access_checks *c)
{
    if (!c)
        return;
    free(c->rows);
    free(c);
}

void pl_access_check_message(const pl_access_check *k, const pl_municipalities *munis, const pl_service_types *st,
                             const pl_access_result *r, char *buf, size_t size)
{
    const pl_service_type *ty = &st->t[r->types[k->type_slot].type];
    const pl_access_stats *s = &r->muni_stats[k->muni * (size_t)r->n_types + (size_t)k->type_slot];
    if (!strcmp(k->kind, "none_in_kommun"))
        snprintf(buf, size, "%s saknar %s i underlaget (%.0f invånare); avstånden gäller grannkommunernas. "
                 "Kontrollera att servicelistan är fullständig.", munis->name[k->muni], ty->label_sv, s->pop);
    else
        snprintf(buf, size, "%s har %ld st. %s för %.0f invånare (%.0f per st., mediankommunen %.0f): "
                 "listan kan vara ofullständig.", munis->name[k->muni], s->n_services, ty->label_sv, s->pop,
                 k->value, k->reference);
}
