/* Graph cache file: header (magic, format version, byte-order mark, inputs hash, counts),
 * the arrays in a fixed order, and a closing magic. Written to a temporary file and
 * renamed, so a reader never sees half a file. */
#include "graph.h"
#include "graph_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CACHE_MAGIC "PLGRAPH1"
#define CACHE_END "PLGREND1"
#define CACHE_VERSION 1u

typedef struct cache_header {
    char magic[8];
    uint32_t version;
    uint32_t byte_order; /* 0x01020304 as written */
    uint64_t hash;
    uint32_t mode, n_nodes, n_arcs, n_edges, n_components, reserved;
} cache_header;

typedef struct arr {
    void **ptr;
    size_t elem;
    size_t count;
} arr;

static size_t list_arrays(pl_graph *g, arr *a)
{
    size_t n = g->n_nodes, m = g->n_arcs, e = g->n_edges, c = g->n_components, k = 0;
    a[k++] = (arr){(void **)&g->node_x, sizeof(double), n};
    a[k++] = (arr){(void **)&g->node_y, sizeof(double), n};
    a[k++] = (arr){(void **)&g->out_begin, sizeof(uint32_t), n + 1};
    a[k++] = (arr){(void **)&g->arc_head, sizeof(uint32_t), m};
    a[k++] = (arr){(void **)&g->arc_len_m, sizeof(float), m};
    a[k++] = (arr){(void **)&g->arc_time_s, sizeof(float), m};
    a[k++] = (arr){(void **)&g->arc_road, sizeof(uint32_t), m};
    a[k++] = (arr){(void **)&g->component, sizeof(uint32_t), n};
    a[k++] = (arr){(void **)&g->component_nodes, sizeof(uint32_t), c};
    a[k++] = (arr){(void **)&g->edge_a, sizeof(uint32_t), e};
    a[k++] = (arr){(void **)&g->edge_b, sizeof(uint32_t), e};
    a[k++] = (arr){(void **)&g->edge_road, sizeof(uint32_t), e};
    a[k++] = (arr){(void **)&g->edge_v0, sizeof(uint32_t), e};
    a[k++] = (arr){(void **)&g->edge_v1, sizeof(uint32_t), e};
    a[k++] = (arr){(void **)&g->edge_len_m, sizeof(float), e};
    a[k++] = (arr){(void **)&g->edge_time_s, sizeof(float), e};
    a[k++] = (arr){(void **)&g->edge_dir, sizeof(uint8_t), e};
    a[k++] = (arr){(void **)&g->in_begin, sizeof(uint32_t), n + 1};
    a[k++] = (arr){(void **)&g->in_arc, sizeof(pl_rev_arc), m};
    return k;
}

pl_graph *pl_graph_cache_read(pl_ctx *ctx, const char *path, uint64_t hash)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    cache_header h;
    if (fread(&h, sizeof h, 1, f) != 1 || memcmp(h.magic, CACHE_MAGIC, 8) != 0 || h.version != CACHE_VERSION ||
        h.byte_order != 0x01020304u) {
        pl_info(ctx, "graph cache %s: not a platsa graph cache of this version; rebuilding", path);
        fclose(f);
        return NULL;
    }
    if (h.hash != hash) {
        pl_info(ctx, "graph cache %s: made from other roads or options; rebuilding", path);
        fclose(f);
        return NULL;
    }
    pl_graph *g = pl_calloc(1, sizeof *g);
    g->mode = (pl_mode)h.mode;
    g->n_nodes = h.n_nodes;
    g->n_arcs = h.n_arcs;
    g->n_edges = h.n_edges;
    g->n_components = h.n_components;
    g->input_hash = h.hash;
    arr a[32];
    size_t k = list_arrays(g, a);
    int ok = 1;
    for (size_t i = 0; i < k; i++) {
        *a[i].ptr = pl_big_alloc(a[i].count ? a[i].count * a[i].elem : 1);
        if (a[i].count && fread(*a[i].ptr, a[i].elem, a[i].count, f) != a[i].count)
            ok = 0;
    }
    char end[8];
    if (!ok || fread(end, 8, 1, f) != 1 || memcmp(end, CACHE_END, 8) != 0) {
        pl_info(ctx, "graph cache %s: truncated or damaged; rebuilding", path);
        pl_graph_free(g);
        g = NULL;
    }
    fclose(f);
    return g;
}

int pl_graph_cache_write(pl_ctx *ctx, const pl_graph *gc, const char *path, pl_error *err)
{
    (void)ctx;
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return pl_error_set(err, PL_EINPUT, "graph cache %s: cannot write (%s); check the folder", path,
                            strerror(errno));
    cache_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, CACHE_MAGIC, 8);
    h.version = CACHE_VERSION;
    h.byte_order = 0x01020304u;
    h.hash = gc->input_hash;
    h.mode = (uint32_t)gc->mode;
    h.n_nodes = gc->n_nodes;
    h.n_arcs = gc->n_arcs;
    h.n_edges = gc->n_edges;
    h.n_components = gc->n_components;
    pl_graph g = *gc; /* list_arrays takes addresses of the fields */
    arr a[32];
    size_t k = list_arrays(&g, a);
    int ok = fwrite(&h, sizeof h, 1, f) == 1;
    for (size_t i = 0; ok && i < k; i++)
        if (a[i].count && fwrite(*a[i].ptr, a[i].elem, a[i].count, f) != a[i].count)
            ok = 0;
    ok = ok && fwrite(CACHE_END, 8, 1, f) == 1;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        return pl_error_set(err, PL_EINPUT, "graph cache %s: write failed (%s); check disk space", path,
                            strerror(e));
    }
    return PL_OK;
}
