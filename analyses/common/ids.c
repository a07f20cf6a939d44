/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ids.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "gis/ctx.h"

static int is_integer(const char *s)
{
    if (*s == '-')
        s++;
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

/* Compares two integers of any length written in decimal, without overflow. */
static int compare_integers(const char *a, const char *b)
{
    int neg_a = *a == '-', neg_b = *b == '-';
    if (neg_a != neg_b)
        return neg_a ? -1 : 1;
    a += neg_a;
    b += neg_b;
    while (*a == '0' && a[1])
        a++;
    while (*b == '0' && b[1])
        b++;
    size_t la = strlen(a), lb = strlen(b);
    int c = la != lb ? (la < lb ? -1 : 1) : strcmp(a, b);
    if (c > 0)
        c = 1;
    else if (c < 0)
        c = -1;
    return neg_a ? -c : c;
}

int pl_id_compare(const char *a, const char *b)
{
    if (!a)
        a = "";
    if (!b)
        b = "";
    int na = is_integer(a), nb = is_integer(b);
    if (na && nb)
        return compare_integers(a, b);
    if (na != nb)
        return na ? -1 : 1;
    int c = strcmp(a, b);
    return (c > 0) - (c < 0);
}

typedef struct id_index {
    const char *id;
    uint32_t index;
} id_index;

static int cmp_id_index(const void *pa, const void *pb)
{
    const id_index *a = pa, *b = pb;
    int c = pl_id_compare(a->id, b->id);
    if (c)
        return c;
    return (a->index > b->index) - (a->index < b->index);
}

uint32_t *pl_ids_sorted_order(const char *const *ids, size_t n)
{
    id_index *tmp = pl_malloc((n ? n : 1) * sizeof *tmp);
    for (size_t i = 0; i < n; i++) {
        tmp[i].id = ids[i];
        tmp[i].index = (uint32_t)i;
    }
    qsort(tmp, n, sizeof *tmp, cmp_id_index);
    uint32_t *order = pl_malloc((n ? n : 1) * sizeof *order);
    for (size_t i = 0; i < n; i++)
        order[i] = tmp[i].index;
    free(tmp);
    return order;
}
