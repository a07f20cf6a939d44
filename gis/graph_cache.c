/* Graph cache file: header (magic, format version, byte-order mark, key, counts), then
 * optionally the roads arrays, the graph arrays, optionally the graph's snap index (the
 * segment grids for the default options), the counted warnings of loading the roads,
 * the roads' source label, and a closing magic. Written to a temporary file and renamed, so
 * a reader never sees half a file.
 *
 * Two users: pl_graph_build (graph only, keyed on a hash of the roads arrays) and the
 * network cache (roads + graph, keyed by layers/network.c on the roads file's identity,
 * so that a warm run reads neither the roads file nor rebuilds the graph). */
#include "graph.h"
#include "graph_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define CACHE_MAGIC "PLGRAPH6"
#define CACHE_END "PLGREND6"
#define CACHE_VERSION 6u  /* 4: the snap index; 5: the roads' topology ids (has_roads = 2); 6: car index
                             without motorways (pl_road_attachable) */
#define SECTION_ALIGN 4096u  /* sections start on a page: each is mapped on its own */
#define ARRAY_ALIGN 64u

/* One segment set of the snap index and its grid. */
typedef struct snap_grid_header {
    double minx, miny, cell;
    int64_t nx, ny;
    uint64_t n_seg, n_cell_seg;
} snap_grid_header;

typedef struct cache_header {
    char magic[8];
    uint32_t version;
    uint32_t byte_order;  /* 0x01020304 as written */
    uint64_t key;         /* what the caller looks the file up by */
    uint64_t input_hash;  /* pl_graph.input_hash */
    uint32_t mode, n_nodes, n_arcs, n_edges, n_components, has_roads;
    uint64_t n_roads, n_vertices;
    uint32_t n_warnings, source_len;
    uint64_t roads_off, roads_len, graph_off, graph_len, tail_off, file_size;
    uint32_t has_snap, snap_min_component;
    snap_grid_header snap[2];  /* big, small; their arrays are in the graph's section */
} cache_header;

static uint64_t align_up(uint64_t v, uint64_t to)
{
    return (v + to - 1) / to * to;
}

typedef struct arr {
    void **ptr;
    size_t elem;
    size_t count;
    int cold; /* rarely used: mapped from the file, not read (see layout) */
} arr;

#define HOT 0
#define COLD 1

static size_t list_graph_arrays(pl_graph *g, arr *a)
{
    size_t n = g->n_nodes, m = g->n_arcs, e = g->n_edges, c = g->n_components, k = 0;
    a[k++] = (arr){(void **)&g->node_x, sizeof(double), n, COLD};
    a[k++] = (arr){(void **)&g->node_y, sizeof(double), n, COLD};
    a[k++] = (arr){(void **)&g->out_begin, sizeof(uint32_t), n + 1, COLD};
    a[k++] = (arr){(void **)&g->arc_head, sizeof(uint32_t), m, COLD};
    a[k++] = (arr){(void **)&g->arc_len_m, sizeof(float), m, COLD};
    a[k++] = (arr){(void **)&g->arc_time_s, sizeof(float), m, COLD};
    a[k++] = (arr){(void **)&g->arc_road, sizeof(uint32_t), m, COLD};
    a[k++] = (arr){(void **)&g->component, sizeof(uint32_t), n, HOT};
    a[k++] = (arr){(void **)&g->component_nodes, sizeof(uint32_t), c, HOT};
    a[k++] = (arr){(void **)&g->edge_a, sizeof(uint32_t), e, HOT};
    a[k++] = (arr){(void **)&g->edge_b, sizeof(uint32_t), e, HOT};
    a[k++] = (arr){(void **)&g->edge_road, sizeof(uint32_t), e, HOT};
    a[k++] = (arr){(void **)&g->edge_v0, sizeof(uint32_t), e, HOT};
    a[k++] = (arr){(void **)&g->edge_v1, sizeof(uint32_t), e, HOT};
    a[k++] = (arr){(void **)&g->edge_len_m, sizeof(float), e, HOT};
    a[k++] = (arr){(void **)&g->edge_time_s, sizeof(float), e, HOT};
    a[k++] = (arr){(void **)&g->edge_dir, sizeof(uint8_t), e, HOT};
    a[k++] = (arr){(void **)&g->in_begin, sizeof(uint32_t), n + 1, HOT};
    a[k++] = (arr){(void **)&g->in_arc, sizeof(pl_rev_arc), m, HOT};
    return k;
}

/* topo: the lines' topology ids are stored too (has_roads = 2 in the header). */
static size_t list_road_arrays(pl_roads *r, size_t n_vertices, int topo, arr *a)
{
    size_t n = r->n, k = 0;
    _Static_assert(sizeof(size_t) == 8, "the cache stores size_t offsets as 64-bit");
    a[k++] = (arr){(void **)&r->first_vertex, sizeof(size_t), n + 1, COLD};
    a[k++] = (arr){(void **)&r->vx, sizeof(double), n_vertices, HOT};
    a[k++] = (arr){(void **)&r->vy, sizeof(double), n_vertices, HOT};
    a[k++] = (arr){(void **)&r->id, sizeof(int64_t), n, COLD};
    a[k++] = (arr){(void **)&r->road_class, sizeof(uint8_t), n, HOT};
    a[k++] = (arr){(void **)&r->speed_kmh, sizeof(float), n, COLD};
    a[k++] = (arr){(void **)&r->oneway, sizeof(int8_t), n, COLD};
    a[k++] = (arr){(void **)&r->flags, sizeof(uint8_t), n, HOT};
    a[k++] = (arr){(void **)&r->layer, sizeof(int8_t), n, HOT};
    if (topo) {
        a[k++] = (arr){(void **)&r->node_source, sizeof(int64_t), n, COLD};
        a[k++] = (arr){(void **)&r->node_target, sizeof(int64_t), n, COLD};
    }
    return k;
}

static size_t grid_cells(const pl_seg_grid *G)
{
    return G->nseg ? (size_t)(G->nx * G->ny) + 1 : 0;
}

static size_t list_snap_arrays(pl_snap_index *ix, arr *a)
{
    size_t k = 0;
    pl_seg_set *S[2] = {&ix->big, &ix->small};
    pl_seg_grid *G[2] = {&ix->grid_big, &ix->grid_small};
    for (int i = 0; i < 2; i++) {
        size_t nc = grid_cells(G[i]);
        a[k++] = (arr){(void **)&S[i]->v, sizeof(uint32_t), S[i]->n, HOT};
        a[k++] = (arr){(void **)&S[i]->e, sizeof(uint32_t), S[i]->n, HOT};
        a[k++] = (arr){(void **)&G[i]->begin, sizeof(uint32_t), nc, HOT};
        /* The cell lists; begin is set when listing for writing, read back before placing. */
        a[k++] = (arr){(void **)&G[i]->seg, sizeof(uint32_t), nc && G[i]->begin ? G[i]->begin[nc - 1] : 0, HOT};
    }
    return k;
}

static void snap_to_header(const pl_snap_index *ix, cache_header *h)
{
    const pl_seg_set *S[2] = {&ix->big, &ix->small};
    const pl_seg_grid *G[2] = {&ix->grid_big, &ix->grid_small};
    h->has_snap = 1;
    h->snap_min_component = ix->min_component_nodes;
    for (int i = 0; i < 2; i++) {
        size_t nc = grid_cells(G[i]);
        h->snap[i] = (snap_grid_header){G[i]->minx, G[i]->miny, G[i]->cell, G[i]->nx, G[i]->ny, S[i]->n,
                                        nc ? G[i]->begin[nc - 1] : 0};
    }
}

/* An index with the header's sizes and no arrays yet; NULL when the sizes do not fit. */
static pl_snap_index *snap_from_header(const cache_header *h)
{
    pl_snap_index *ix = pl_calloc(1, sizeof *ix);
    ix->min_component_nodes = h->snap_min_component;
    ix->borrowed = 1; /* the arrays live in the graph's memory */
    pl_seg_set *S[2] = {&ix->big, &ix->small};
    pl_seg_grid *G[2] = {&ix->grid_big, &ix->grid_small};
    for (int i = 0; i < 2; i++) {
        const snap_grid_header *sh = &h->snap[i];
        if (sh->n_seg >= UINT32_MAX || sh->n_cell_seg >= UINT32_MAX || sh->nx < 0 || sh->ny < 0 ||
            (sh->n_seg && (sh->nx == 0 || sh->ny == 0 || sh->nx > (int64_t)UINT32_MAX / sh->ny))) {
            free(ix);
            return NULL;
        }
        S[i]->n = S[i]->cap = (uint32_t)sh->n_seg;
        G[i]->minx = sh->minx;
        G[i]->miny = sh->miny;
        G[i]->cell = sh->cell;
        G[i]->nx = sh->nx;
        G[i]->ny = sh->ny;
        G[i]->nseg = (uint32_t)sh->n_seg;
    }
    return ix;
}

/* The snap arrays as the header gives their sizes (the cell lists by n_cell_seg). */
static size_t list_snap_arrays_read(pl_snap_index *ix, const cache_header *h, arr *a)
{
    size_t k = list_snap_arrays(ix, a);
    a[3].count = (size_t)h->snap[0].n_cell_seg;
    a[7].count = (size_t)h->snap[1].n_cell_seg;
    return k;
}


/* Layout of a section: the hot arrays (those that snapping and searching walk at random)
 * first, each on ARRAY_ALIGN, then from the next page the cold ones (kept for other uses:
 * ids, out-arcs, coordinates of nodes). Calls visit(array, offset) in file order and
 * returns the section's length; *hot_len (optional) gets the page-aligned end of the hot part. */
static uint64_t layout(arr *a, size_t k, uint64_t *hot_len, void (*visit)(arr *, uint64_t, void *), void *user)
{
    uint64_t off = 0;
    for (int cold = 0; cold < 2; cold++) {
        if (cold) {
            off = align_up(off, SECTION_ALIGN);
            if (hot_len)
                *hot_len = off;
        }
        for (size_t i = 0; i < k; i++) {
            if (a[i].cold != cold)
                continue;
            off = align_up(off, ARRAY_ALIGN);
            if (visit)
                visit(&a[i], off, user);
            off += a[i].count * a[i].elem;
        }
    }
    return align_up(off, SECTION_ALIGN);
}

static uint64_t section_len(arr *a, size_t k)
{
    return layout(a, k, NULL, NULL, NULL);
}

static void place_one(arr *a, uint64_t off, void *base)
{
    *a->ptr = (unsigned char *)base + off;
}

/* Points the arrays into a mapped section. */
static void place_arrays(unsigned char *base, arr *a, size_t k)
{
    layout(a, k, NULL, place_one, base);
}

static int write_zeros(FILE *f, uint64_t n)
{
    static const unsigned char zeros[ARRAY_ALIGN];
    while (n > 0) {
        size_t step = n > sizeof zeros ? sizeof zeros : (size_t)n;
        if (fwrite(zeros, 1, step, f) != step)
            return 0;
        n -= step;
    }
    return 1;
}

typedef struct section_writer {
    FILE *f;
    uint64_t at; /* bytes of the section written so far */
    int ok;
} section_writer;

static void write_one(arr *a, uint64_t off, void *user)
{
    section_writer *w = user;
    w->ok = w->ok && write_zeros(w->f, off - w->at);
    w->ok = w->ok && (a->count == 0 || fwrite(*a->ptr, a->elem, a->count, w->f) == a->count);
    w->at = off + a->count * a->elem;
}

static int write_section(FILE *f, arr *a, size_t k)
{
    section_writer w = {f, 0, 1};
    uint64_t len = layout(a, k, NULL, write_one, &w);
    return w.ok && write_zeros(f, len - w.at);
}

/* Reads one section into memory: the hot part into fresh memory on 2 MiB pages, not a
 * mapping of the file (file pages are 4 KiB, and on this kind of virtual machine every
 * 4 KiB page touched costs a fault: snapping and searches of a warm run were 1.5-2 times
 * slower on mapped arrays); the cold part is a private mapping of the file in the same
 * range, read only where used (a warm routing run never touches most of it). Released with
 * one munmap. NULL on failure. */
static void *map_section(int fd, uint64_t off, uint64_t len, uint64_t hot_len)
{
    if (len == 0)
        len = hot_len = SECTION_ALIGN;  /* never happens with a header-checked file; keeps mmap valid */
    void *p = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    madvise(p, (size_t)hot_len, MADV_HUGEPAGE);
    for (uint64_t done = 0; done < hot_len;) {
        ssize_t got = pread(fd, (char *)p + done, (size_t)(hot_len - done), (off_t)(off + done));
        if (got <= 0) {
            munmap(p, (size_t)len);
            return NULL;
        }
        done += (uint64_t)got;
    }
    if (len > hot_len && mmap((char *)p + hot_len, (size_t)(len - hot_len), PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_FIXED, fd, (off_t)(off + hot_len)) == MAP_FAILED) {
        munmap(p, (size_t)len);
        return NULL;
    }
    return p;
}

/* A saved counted warning: key, count and first message, replayed on a hit. */
typedef struct saved_warning {
    char key[96];
    int64_t count;
    uint32_t msg_len;
} saved_warning;

static int read_warnings(FILE *f, uint32_t n, pl_ctx *replay_into)
{
    for (uint32_t i = 0; i < n; i++) {
        saved_warning w;
        if (fread(&w, sizeof w, 1, f) != 1 || w.msg_len >= 1024)
            return 0;
        char msg[1024];
        if (w.msg_len && fread(msg, 1, w.msg_len, f) != w.msg_len)
            return 0;
        msg[w.msg_len] = '\0';
        w.key[sizeof w.key - 1] = '\0';
        if (replay_into && w.count > 0)
            pl_warn_add(replay_into, w.key, (long)w.count, msg, 0);
    }
    return 1;
}

static int write_warnings(FILE *f, const pl_ctx *from)
{
    for (size_t i = 0; from && i < from->n_warnings; i++) {
        saved_warning w;
        memset(&w, 0, sizeof w);
        snprintf(w.key, sizeof w.key, "%s", from->warnings[i].key);
        w.count = from->warnings[i].count;
        w.msg_len = (uint32_t)strnlen(from->warnings[i].first_msg, sizeof from->warnings[i].first_msg - 1);
        if (fwrite(&w, sizeof w, 1, f) != 1 ||
            (w.msg_len && fwrite(from->warnings[i].first_msg, 1, w.msg_len, f) != w.msg_len))
            return 0;
    }
    return 1;
}

/* Opens path and checks magic, version and key; NULL (with an info line) when it does not fit. */
static FILE *open_checked(pl_ctx *ctx, const char *path, uint64_t key, cache_header *h)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    if (fread(h, sizeof *h, 1, f) != 1 || memcmp(h->magic, CACHE_MAGIC, 8) != 0 || h->version != CACHE_VERSION ||
        h->byte_order != 0x01020304u) {
        pl_info(ctx, "graph cache %s: not a platsa graph cache of this version; rebuilding", path);
        fclose(f);
        return NULL;
    }
    if (h->key != key) {
        pl_info(ctx, "graph cache %s: made from other roads or options; rebuilding", path);
        fclose(f);
        return NULL;
    }
    return f;
}

static pl_graph *graph_from_header(const cache_header *h)
{
    pl_graph *g = pl_calloc(1, sizeof *g);
    g->mode = (pl_mode)h->mode;
    g->n_nodes = h->n_nodes;
    g->n_arcs = h->n_arcs;
    g->n_edges = h->n_edges;
    g->n_components = h->n_components;
    g->input_hash = h->input_hash;
    return g;
}

/* The tail (warnings, source, end magic) is read first: a truncated or damaged file is
 * refused before anything is mapped. */
static int read_all(pl_ctx *ctx, const char *path, uint64_t key, int want_roads, pl_roads **roads_out,
                    pl_graph **graph_out, pl_ctx *replay_into)
{
    cache_header h;
    FILE *f = open_checked(ctx, path, key, &h);
    if (!f)
        return 0;
    if (want_roads && !h.has_roads) {
        pl_info(ctx, "graph cache %s: holds no roads; rebuilding", path);
        fclose(f);
        return 0;
    }
    struct stat st;
    int ok = fstat(fileno(f), &st) == 0 && (uint64_t)st.st_size == h.file_size &&
             fseeko(f, (off_t)h.tail_off, SEEK_SET) == 0;
    pl_ctx *scratch = pl_ctx_new_child(ctx);  /* warnings are replayed only once all is read */
    ok = ok && read_warnings(f, h.n_warnings, scratch);
    char *source = pl_malloc((size_t)h.source_len + 1);
    ok = ok && (h.source_len == 0 || fread(source, 1, h.source_len, f) == h.source_len);
    source[h.source_len] = '\0';
    char end[8];
    ok = ok && fread(end, 8, 1, f) == 1 && memcmp(end, CACHE_END, 8) == 0;
    pl_roads *r = NULL;
    pl_graph *g = NULL;
    arr a[32];
    if (ok && want_roads) {
        r = pl_calloc(1, sizeof *r);
        r->n = (size_t)h.n_roads;
        size_t k = list_road_arrays(r, (size_t)h.n_vertices, h.has_roads == 2, a);
        uint64_t hot = 0;
        ok = layout(a, k, &hot, NULL, NULL) == h.roads_len &&
             (r->cache_map = map_section(fileno(f), h.roads_off, h.roads_len, hot));
        if (ok) {
            r->cache_map_size = (size_t)h.roads_len;
            place_arrays(r->cache_map, a, k);
        }
    }
    if (ok) {
        /* The graph's section holds its snap index too (hot arrays of both first). */
        g = graph_from_header(&h);
        size_t k = list_graph_arrays(g, a);
        pl_snap_index *ix = NULL;
        if (h.has_snap) {
            ix = snap_from_header(&h);
            ok = ix != NULL;
            if (ok)
                k += list_snap_arrays_read(ix, &h, a + k);
        }
        uint64_t hot = 0;
        ok = ok && layout(a, k, &hot, NULL, NULL) == h.graph_len &&
             (g->cache_map = map_section(fileno(f), h.graph_off, h.graph_len, hot));
        if (ok) {
            g->cache_map_size = (size_t)h.graph_len;
            place_arrays(g->cache_map, a, k);
            if (ix) {
                ix->g = g;
                ix->roads = r;
                g->snap_index = ix;
                ix = NULL;
            }
        }
        free(ix);
    }
    fclose(f);
    if (!ok) {
        pl_info(ctx, "graph cache %s: truncated or damaged; rebuilding", path);
        pl_graph_free(g);
        pl_roads_free(r);
        free(source);
        pl_ctx_free(scratch);
        return 0;
    }
    if (replay_into)
        for (size_t i = 0; i < scratch->n_warnings; i++)
            pl_warn_add(replay_into, scratch->warnings[i].key, scratch->warnings[i].count,
                        scratch->warnings[i].first_msg, 1);
    pl_ctx_free(scratch);
    g->from_cache = 1;
    if (r) {
        r->source = source;
        *roads_out = r;
    } else {
        free(source);
    }
    *graph_out = g;
    return 1;
}

static int write_all(const char *path, uint64_t key, const pl_roads *roads, const pl_graph *gc,
                     const pl_ctx *warnings, pl_error *err)
{
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
    h.key = key;
    h.input_hash = gc->input_hash;
    h.mode = (uint32_t)gc->mode;
    h.n_nodes = gc->n_nodes;
    h.n_arcs = gc->n_arcs;
    h.n_edges = gc->n_edges;
    h.n_components = gc->n_components;
    const char *source = roads && roads->source ? roads->source : "";
    h.source_len = roads ? (uint32_t)strlen(source) : 0;
    h.n_warnings = roads && warnings ? (uint32_t)warnings->n_warnings : 0;
    arr ra[32], ga[32];
    size_t rk = 0;
    pl_roads r;
    if (roads) {
        h.has_roads = roads->node_source ? 2 : 1;
        h.n_roads = roads->n;
        h.n_vertices = roads->first_vertex[roads->n];
        r = *roads;  /* list_road_arrays takes addresses of the fields */
        rk = list_road_arrays(&r, (size_t)h.n_vertices, roads->node_source != NULL, ra);
    }
    pl_graph g = *gc;
    size_t gk = list_graph_arrays(&g, ga);
    pl_snap_index ix;
    if (gc->snap_index) {
        ix = *gc->snap_index;
        snap_to_header(&ix, &h);
        gk += list_snap_arrays(&ix, ga + gk);
    }
    h.roads_off = align_up(sizeof h, SECTION_ALIGN);
    h.roads_len = roads ? section_len(ra, rk) : 0;
    h.graph_off = h.roads_off + h.roads_len;
    h.graph_len = section_len(ga, gk);
    h.tail_off = h.graph_off + h.graph_len;
    h.file_size = h.tail_off + 8;
    for (size_t i = 0; i < h.n_warnings; i++)
        h.file_size += sizeof(saved_warning) +
                       strnlen(warnings->warnings[i].first_msg, sizeof warnings->warnings[i].first_msg - 1);
    h.file_size += h.source_len;
    int ok = fwrite(&h, sizeof h, 1, f) == 1 && write_zeros(f, h.roads_off - sizeof h);
    if (ok && roads)
        ok = write_section(f, ra, rk);
    ok = ok && write_section(f, ga, gk);
    ok = ok && write_warnings(f, h.n_warnings ? warnings : NULL);
    ok = ok && (h.source_len == 0 || fwrite(source, 1, h.source_len, f) == h.source_len);
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

pl_graph *pl_graph_cache_read(pl_ctx *ctx, const char *path, uint64_t hash)
{
    pl_graph *g = NULL;
    return read_all(ctx, path, hash, 0, NULL, &g, NULL) ? g : NULL;
}

int pl_graph_cache_write(pl_ctx *ctx, const pl_graph *g, const char *path, pl_error *err)
{
    (void)ctx;
    return write_all(path, g->input_hash, NULL, g, NULL, err);
}

int pl_network_cache_read(pl_ctx *ctx, const char *path, uint64_t key, pl_roads **roads, pl_graph **graph)
{
    *roads = NULL;
    *graph = NULL;
    return read_all(ctx, path, key, 1, roads, graph, ctx);
}

int pl_network_cache_write(pl_ctx *ctx, const char *path, uint64_t key, const pl_roads *roads,
                           const pl_graph *graph, const pl_ctx *roads_warnings, pl_error *err)
{
    (void)ctx;
    return write_all(path, key, roads, graph, roads_warnings, err);
}
