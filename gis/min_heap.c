/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Binary min-heap (min_heap.h). */
#include "min_heap.h"
#include "ctx.h"

void pl_heap_push(pl_min_heap *H, double p, uint32_t v)
{
    if (H->n == H->cap) {
        H->cap = H->cap ? 2 * H->cap : 1024;
        H->h = pl_realloc(H->h, H->cap * sizeof *H->h);
    }
    size_t i = H->n++;
    while (i > 0 && H->h[(i - 1) / 2].p > p) {
        H->h[i] = H->h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    H->h[i] = (pl_heap_entry){p, v};
}

pl_heap_entry pl_heap_pop(pl_min_heap *H)
{
    pl_heap_entry top = H->h[0], last = H->h[--H->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= H->n)
            break;
        if (c + 1 < H->n && H->h[c + 1].p < H->h[c].p)
            c++;
        if (!(H->h[c].p < last.p))
            break;
        H->h[i] = H->h[c];
        i = c;
    }
    if (H->n)
        H->h[i] = last;
    return top;
}
