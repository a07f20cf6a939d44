/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A binary min-heap of (priority, vertex) pairs: the bounded Dijkstra searches of the
 * analyses (coverage candidates, scenario what-ifs) that stop early use it; the national
 * multi-source searches use the bucket engine in graph_search.c instead. */
#ifndef PLATSA_GIS_MIN_HEAP_H
#define PLATSA_GIS_MIN_HEAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct pl_heap_entry {
    double p;    /* priority: smallest first */
    uint32_t v;  /* vertex (or any id) */
} pl_heap_entry;

typedef struct pl_min_heap {
    pl_heap_entry *h;
    size_t n, cap;
} pl_min_heap;  /* zero-initialised = empty; free h when done */

void pl_heap_push(pl_min_heap *H, double p, uint32_t v);
/* Removes and returns the entry of smallest p (H must not be empty). */
pl_heap_entry pl_heap_pop(pl_min_heap *H);

#endif
