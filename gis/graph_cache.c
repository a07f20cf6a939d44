/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Graph cache file: header (magic, format version, byte-order mark, key, counts, checksums),
 * then optionally the roads arrays, the graph arrays, optionally the graph's snap index (the
 * segment grids for the default options), the counted warnings of loading the roads,
 * the roads' source label, and a closing magic. Written to a temporary file (PATH.tmpPID@HOST,
 * registered for removal on SIGINT/SIGTERM, fsync'ed) and renamed, so a reader never sees
 * half a file; temporaries of killed runs are removed by the next run on that path.
 *
 * A file is trusted only after every check: the header's own checksum and its counts and
 * offsets, the XXH3 checksum of everything after the header, and every array used as an
 * index (CSR offsets, node, edge, road, vertex and segment ids, grid cells). Any failure is
 * a counted warning (graph-cache-damaged) and a rebuild, never a crash or a wrong answer.
 *
 * Two users: pl_graph_build (graph only, keyed on a hash of the roads arrays) and the
 * network cache (roads + graph, keyed by layers/network.c on the roads file's identity,
 * so that a warm run reads neither the roads file nor rebuilds the graph). */
#include "graph.h"
#include "graph_internal.h"
#include "commit.h"
#include "gpkg_writer.h"
#include "vector.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#define CACHE_MAGIC "PLGRAPH7"
#define CACHE_MAGIC_FAMILY "PLGRAPH"  /* any version: a file platsa may replace */
#define CACHE_END "PLGREND7"
#define CACHE_VERSION 7u  /* 4: the snap index; 5: checksums, roads counts always; 6: the roads' topology
                              ids (has_roads = 2); 7: car index without motorways (pl_road_attachable) */
#define MAX_TAIL (64u << 20)  /* warnings and source label: far less in any real file */
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
    uint64_t body_sum;    /* XXH3-64 of the bytes roads_off .. file_size */
    uint64_t header_sum;  /* XXH3-64 of this header with header_sum 0 */
} cache_header;

static int verify_sums = 1;

void pl_graph_cache_verify_sums(int on)
{
    verify_sums = on;
}

static uint64_t header_sum(const cache_header *h)
{
    cache_header c = *h;
    c.header_sum = 0;
    return XXH3_64bits(&c, sizeof c);
}

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

/* ------------------------------------------------------------------ writing */

/* The file being written: every byte after the header also goes into the body checksum. */
typedef struct cache_out {
    FILE *f;
    XXH3_state_t *sum; /* NULL while writing the header */
    int ok;
} cache_out;

static void out_bytes(cache_out *o, const void *p, size_t n)
{
    if (!o->ok || n == 0)
        return;
    if (fwrite(p, 1, n, o->f) != n) {
        o->ok = 0;
        return;
    }
    if (o->sum)
        XXH3_64bits_update(o->sum, p, n);
}

static void out_zeros(cache_out *o, uint64_t n)
{
    static const unsigned char zeros[SECTION_ALIGN];
    while (n > 0 && o->ok) {
        size_t step = n > sizeof zeros ? sizeof zeros : (size_t)n;
        out_bytes(o, zeros, step);
        n -= step;
    }
}

typedef struct section_writer {
    cache_out *o;
    uint64_t at; /* bytes of the section written so far */
} section_writer;

static void write_one(arr *a, uint64_t off, void *user)
{
    section_writer *w = user;
    out_zeros(w->o, off - w->at);
    out_bytes(w->o, *a->ptr, a->count * a->elem);
    w->at = off + a->count * a->elem;
}

static void write_section(cache_out *o, arr *a, size_t k)
{
    section_writer w = {o, 0};
    uint64_t len = layout(a, k, NULL, write_one, &w);
    out_zeros(o, len - w.at);
}

/* A saved counted warning: key, count and first message, replayed on a hit. */
typedef struct saved_warning {
    char key[96];
    int64_t count;
    uint32_t msg_len;
} saved_warning;

static void write_warnings(cache_out *o, const pl_ctx *from)
{
    for (size_t i = 0; from && i < from->n_warnings; i++) {
        saved_warning w;
        memset(&w, 0, sizeof w);
        snprintf(w.key, sizeof w.key, "%s", from->warnings[i].key);
        w.count = from->warnings[i].count;
        w.msg_len = (uint32_t)strnlen(from->warnings[i].first_msg, sizeof from->warnings[i].first_msg - 1);
        out_bytes(o, &w, sizeof w);
        out_bytes(o, from->warnings[i].first_msg, w.msg_len);
    }
}

/* For tests of interrupted writes: PLATSA_CACHE_WRITE_PAUSE_MS pauses inside the write,
 * once the temporary file exists (a small cache is written too fast to be caught). */
static void test_pause(void)
{
    const char *env = getenv("PLATSA_CACHE_WRITE_PAUSE_MS");
    long ms = env ? strtol(env, NULL, 10) : 0;
    if (ms > 0 && ms <= 60000)
        usleep((useconds_t)(ms * 1000));
}

/* Accepts what follows "NAME.tmp<PID>@HOST": nothing (the cache writes one file). */
static int cache_temp_suffix(const char *rest)
{
    return rest[0] == '\0';
}

/* Removes NAME.tmpPID@HOST files of this machine's dead processes beside the cache (a run killed by SIGKILL). */
static void remove_stale_cache_temps(const pl_ctx *ctx, const char *path)
{
    char dir[PATH_MAX], prefix[PATH_MAX];
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    if (!*base)
        return;
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else if ((size_t)(slash - path) < sizeof dir)
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    else
        return;
    if (snprintf(prefix, sizeof prefix, "%s.tmp", base) >= (int)sizeof prefix)
        return;
    long n = pl_temp_remove_stale(dir, prefix, cache_temp_suffix, NULL);
    if (n > 0 && ctx)
        pl_info(ctx, "graph cache %s: removed %ld temporary file%s left by an earlier run that was killed", path, n,
                n == 1 ? "" : "s");
}

static int write_all(const char *path, uint64_t key, const pl_roads *roads, const pl_roads *counts,
                     const pl_graph *gc, const pl_ctx *warnings, pl_error *err)
{
    /* Library callers that did not check the path still never overwrite a foreign file. */
    if (pl_graph_cache_check_path(path, NULL, 0, NULL, 0, err) != PL_OK)
        return err ? err->code : PL_EINPUT;
    char tmp[PATH_MAX];
    char owner[PL_TEMP_OWNER_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp%s", path, pl_temp_owner(owner)) >= (int)sizeof tmp)
        return pl_error_set(err, PL_EINPUT, "graph cache %s: path too long; choose a shorter one", path);
    int slot = pl_temp_register(tmp); /* before it exists: a signal from now on removes it */
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        int e = errno;
        pl_temp_unregister(slot);
        return pl_error_set(err, PL_EINPUT, "graph cache %s: cannot write (%s); check the folder", path, strerror(e));
    }
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
    if (counts) {
        h.n_roads = counts->n;
        h.n_vertices = counts->first_vertex[counts->n];
    }
    if (roads) {
        h.has_roads = roads->node_source ? 2 : 1;
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
    cache_out o = {f, NULL, 1};
    out_bytes(&o, &h, sizeof h); /* rewritten with the checksums at the end */
    out_zeros(&o, h.roads_off - sizeof h);
    XXH3_state_t *sum = XXH3_createState();
    o.ok = o.ok && sum && XXH3_64bits_reset(sum) == XXH_OK;
    o.sum = sum;
    test_pause();
    if (roads)
        write_section(&o, ra, rk);
    write_section(&o, ga, gk);
    write_warnings(&o, h.n_warnings ? warnings : NULL);
    out_bytes(&o, source, h.source_len);
    out_bytes(&o, CACHE_END, 8);
    if (o.ok) {
        h.body_sum = XXH3_64bits_digest(sum);
        h.header_sum = header_sum(&h);
        o.sum = NULL;
        o.ok = fseeko(f, 0, SEEK_SET) == 0;
        out_bytes(&o, &h, sizeof h);
    }
    XXH3_freeState(sum);
    /* On disk before the rename: a crash never leaves a renamed file with unwritten pages. */
    int ok = o.ok && fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        pl_temp_unregister(slot);
        int space = e == ENOSPC || e == EDQUOT || e == EFBIG;
        return pl_error_set(err, PL_EINPUT, "graph cache %s: write failed (%s); %s", path, strerror(e),
                            space ? "check disk space" : "check the folder");
    }
    pl_temp_unregister(slot);
    return PL_OK;
}

/* ------------------------------------------------------------------ checking a path */

/* path made absolute without requiring it to exist: realpath of the file, else of its folder
 * plus the name, else the path as given. */
static void resolve_path(const char *path, char *out, size_t size)
{
    char buf[PATH_MAX], dir[PATH_MAX];
    if (realpath(path, buf)) {
        snprintf(out, size, "%s", buf);
        return;
    }
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    /* A name too long to resolve is compared as given (never equal to a resolved one). */
    size_t nd = 0, nb = strlen(base);
    if (realpath(dir, buf) && (nd = strcmp(buf, "/") ? strlen(buf) : 0) + nb + 2 <= size) {
        memcpy(out, buf, nd);
        out[nd] = '/';
        memcpy(out + nd + 1, base, nb + 1);
    } else {
        snprintf(out, size, "%s", path);
    }
}

/* Is other the file the cache path names (same device and inode when both exist, else the
 * same resolved path)? */
static int names_same_file(const char *other, int cache_exists, const struct stat *cst, const char *cache_real)
{
    if (!other || !*other)
        return 0;
    struct stat st;
    if (cache_exists)
        return stat(other, &st) == 0 && st.st_dev == cst->st_dev && st.st_ino == cst->st_ino;
    char real[PATH_MAX];
    resolve_path(other, real, sizeof real);
    return strcmp(real, cache_real) == 0;
}

/* An input spec may be FILE:LAYER: its file, or the spec itself when that is a file. */
static int input_is_cache(const char *spec, int cache_exists, const struct stat *cst, const char *cache_real)
{
    if (!spec || !*spec)
        return 0;
    if (names_same_file(spec, cache_exists, cst, cache_real))
        return 1;
    char file[PATH_MAX], layer[1024];
    pl_vector_split_spec(spec, file, sizeof file, layer, sizeof layer);
    return strcmp(file, spec) != 0 && names_same_file(file, cache_exists, cst, cache_real);
}

static const char *file_kind(mode_t m)
{
    return S_ISDIR(m) ? "a folder" : S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device"
         : S_ISFIFO(m) ? "a FIFO (named pipe)" : S_ISSOCK(m) ? "a socket" : "not a regular file";
}

/* Does the file start with a platsa graph cache's magic, of any format version? */
static int has_cache_magic(const char *path, int *read_errno)
{
    *read_errno = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        *read_errno = errno;
        return 0;
    }
    char m[8];
    ssize_t got = pread(fd, m, sizeof m, 0);
    if (got < 0)
        *read_errno = errno;
    close(fd);
    return got == (ssize_t)sizeof m && memcmp(m, CACHE_MAGIC_FAMILY, 7) == 0 && isdigit((unsigned char)m[7]);
}

int pl_graph_cache_check_path(const char *cache, const char *const *inputs, size_t n_inputs,
                              const char *const *outputs, size_t n_outputs, pl_error *err)
{
    if (!cache || !*cache)
        return PL_OK;
    struct stat st;
    int exists = stat(cache, &st) == 0;
    if (!exists && errno != ENOENT)
        return pl_error_set(err, PL_EINPUT, "graph cache %s: cannot be used (%s); give --graph-cache a file path in "
                            "an existing folder", cache, strerror(errno));
    if (exists && !S_ISREG(st.st_mode))
        return pl_error_set(err, PL_EINPUT, "graph cache %s: is %s, not a regular file; give --graph-cache a file "
                            "path (e.g. roads.plcache)", cache, file_kind(st.st_mode));
    char real[PATH_MAX];
    resolve_path(cache, real, sizeof real);
    for (size_t i = 0; i < n_inputs; i++)
        if (input_is_cache(inputs[i], exists, &st, real))
            return pl_error_set(err, PL_EINPUT, "graph cache %s: is also the input '%s'; give --graph-cache a file "
                                "of its own (e.g. roads.plcache)", cache, inputs[i]);
    for (size_t i = 0; i < n_outputs; i++)
        if (names_same_file(outputs[i], exists, &st, real))
            return pl_error_set(err, PL_EINPUT, "graph cache %s: is also the output '%s'; give --graph-cache a file "
                                "of its own (e.g. roads.plcache)", cache, outputs[i]);
    if (!exists) {
        char dir[PATH_MAX];
        const char *slash = strrchr(cache, '/');
        snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - cache) + (slash == cache) : 1, slash ? cache : ".");
        struct stat ds;
        if (stat(dir, &ds) != 0 || !S_ISDIR(ds.st_mode))
            return pl_error_set(err, PL_EINPUT, "graph cache %s: folder '%s' does not exist; create it first or give "
                                "--graph-cache another path", cache, dir);
        return PL_OK;
    }
    int e = 0;
    if (!has_cache_magic(cache, &e)) {
        if (e)
            return pl_error_set(err, PL_EINPUT, "graph cache %s: cannot be read (%s); give --graph-cache a file "
                                "platsa may read and replace", cache, strerror(e));
        return pl_error_set(err, PL_EINPUT, "graph cache %s: exists and is not a platsa graph cache, so it is left "
                            "untouched; give --graph-cache a new file name, or remove that file", cache);
    }
    return PL_OK;
}

/* ------------------------------------------------------------------ reading */

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22 /* Linux 5.14 */
#endif
#define PMD_BYTES (2u << 20)

static int copy_hot = 0;

void pl_graph_cache_copy_hot(int on)
{
    copy_hot = on;
}

/* Bytes of the mapping that starts at `start` that are mapped with 2 MiB entries (the
 * FilePmdMapped line of /proc/self/smaps), or -1 when not found. The mapping is new and
 * mappings are placed top-down, so few come before it in the file. */
static long long pmd_mapped(const void *start)
{
    FILE *f = fopen("/proc/self/smaps", "re");
    if (!f)
        return -1;
    char line[512];
    long long kb = -1;
    int in = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) { /* a mapping's first line */
            if (in)
                break;
            in = lo == (unsigned long)(uintptr_t)start;
        } else if (in && sscanf(line, "FilePmdMapped: %lld kB", &kb) == 1) {
            break;
        }
    }
    fclose(f);
    return kb < 0 ? -1 : kb * 1024;
}

/* A section as a private mapping of the file, at an address as aligned (mod 2 MiB) as its
 * offset, so that the page cache's 2 MiB folios (ext4 and XFS keep files in large folios)
 * are mapped with 2 MiB entries: no copy and no cleared pages (the copy was 0.2-0.7 s of
 * system CPU on the warm anchor). NULL (nothing left mapped) when the hot part did not get
 * 2 MiB entries for at least half of its whole 2 MiB blocks (a file system without large
 * folios), or when mapping fails: the caller copies then. With 68% and 81% of the anchor's
 * two hot parts in 2 MiB entries, snapping and searching took no longer than on copies. */
/* Reads [lo, hi) of the section mapped at p (file offset off) into fresh memory on 2 MiB
 * pages in its place, widened to whole 2 MiB blocks inside the section. 0 or -1. */
static int copy_blocks(int fd, uint64_t off, unsigned char *p, size_t n, uint64_t lo, uint64_t hi)
{
    uintptr_t v = (uintptr_t)p, a = (v + (uintptr_t)lo) / PMD_BYTES * PMD_BYTES;
    uintptr_t b = (v + (uintptr_t)hi + PMD_BYTES - 1) / PMD_BYTES * PMD_BYTES;
    a = a < v ? v : a;
    b = b > v + n ? v + n : b;
    if (b <= a)
        return 0;
    if (mmap((void *)a, b - a, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
        return -1;
    madvise((void *)a, b - a, MADV_HUGEPAGE);
    for (uintptr_t done = 0; done < b - a;) {
        ssize_t got = pread(fd, (void *)(a + done), b - a - done, (off_t)(off + (a - v) + done));
        if (got <= 0)
            return -1;
        done += (uintptr_t)got;
    }
    return 0;
}

static void *map_section(int fd, uint64_t off, size_t n, uint64_t hot_len, uint64_t copy_lo, uint64_t copy_hi)
{
    size_t slack = 2 * (size_t)PMD_BYTES;
    unsigned char *res = mmap(NULL, n + slack, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (res == MAP_FAILED)
        return NULL;
    uintptr_t r = (uintptr_t)res, v = (r + PMD_BYTES - 1) / PMD_BYTES * PMD_BYTES + (uintptr_t)(off % PMD_BYTES);
    if (v - r + n > n + slack)
        v -= PMD_BYTES;
    unsigned char *p = (unsigned char *)v;
    if (v > r)
        munmap(res, v - r);
    if (r + n + slack > v + n)
        munmap(p + n, r + n + slack - (v + n));
    /* Populated read-only (a writable private mapping would be populated by copying every
     * page), then made writable: a page is copied only if written. */
    if (mmap(p, n, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, (off_t)off) == MAP_FAILED) {
        munmap(p, n);
        return NULL;
    }
    if (hot_len)
        madvise(p, (size_t)hot_len, MADV_HUGEPAGE); /* also reads what is not cached in 2 MiB folios */
    if (madvise(p, n, MADV_POPULATE_READ) != 0 || mprotect(p, n, PROT_READ | PROT_WRITE) != 0) {
        munmap(p, n);
        return NULL;
    }
    uintptr_t b0 = (v + PMD_BYTES - 1) / PMD_BYTES * PMD_BYTES, b1 = (v + (uintptr_t)hot_len) / PMD_BYTES * PMD_BYTES;
    long long whole = b1 > b0 ? (long long)(b1 - b0) : 0;
    long long got = whole ? pmd_mapped(p) : 0;
    if (got < 0 || got < whole / 2 || (copy_hi > copy_lo && copy_blocks(fd, off, p, n, copy_lo, copy_hi) != 0)) {
        munmap(p, n);
        return NULL;
    }
    return p;
}

/* Reads a section: the hot part (the arrays snapping and searching walk at random) on 2 MiB
 * pages, as a mapping of the file when the page cache holds it in 2 MiB folios (map_section),
 * else copied into fresh memory on 2 MiB pages, not a 4 KiB mapping of the file (on this
 * kind of virtual machine every 4 KiB page touched costs a fault: snapping and searches of
 * a warm run were 1.5-2 times slower on mapped arrays); the cold part as a private mapping
 * of the file in the same range, populated at once (the checksum and the checks read every
 * byte: fresh memory for it would first be cleared, which took more time than the rest of
 * the read). The body checksum is fed in file order. Released with one munmap; *size gets
 * its size. NULL on failure. The caller has checked that the file is long enough. */
static void *read_section(int fd, uint64_t off, uint64_t len, uint64_t hot_len, uint64_t copy_lo, uint64_t copy_hi,
                          XXH3_state_t *sum, size_t *size)
{
    size_t n = len ? (size_t)len : SECTION_ALIGN; /* an empty section still gets a valid mapping */
    if (!len)
        hot_len = 0;
    void *p = len && !copy_hot ? map_section(fd, off, n, hot_len, copy_lo, copy_hi) : NULL;
    if (p) {
        XXH3_64bits_update(sum, p, n);
        *size = n;
        return p;
    }
    p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    madvise(p, (size_t)hot_len, MADV_HUGEPAGE);
    for (uint64_t done = 0; done < hot_len;) {
        uint64_t want = hot_len - done > (8u << 20) ? (8u << 20) : hot_len - done; /* summed while in cache */
        ssize_t got = pread(fd, (char *)p + done, (size_t)want, (off_t)(off + done));
        if (got <= 0) {
            munmap(p, n);
            return NULL;
        }
        XXH3_64bits_update(sum, (char *)p + done, (size_t)got);
        done += (uint64_t)got;
    }
    if (len > hot_len) {
        /* Populated read-only (a writable private mapping would be populated by copying every
         * page), then made writable like the rest: a page is copied only if written. */
        char *cold = (char *)p + hot_len;
        size_t cold_len = (size_t)(len - hot_len);
        if (mmap(cold, cold_len, PROT_READ, MAP_PRIVATE | MAP_FIXED | MAP_POPULATE, fd, (off_t)(off + hot_len)) ==
                MAP_FAILED ||
            mprotect(cold, cold_len, PROT_READ | PROT_WRITE) != 0) {
            munmap(p, n);
            return NULL;
        }
        XXH3_64bits_update(sum, cold, cold_len);
    }
    *size = n;
    return p;
}

/* The header's counts and offsets against each other and the file's size; NULL when they
 * fit, else what is wrong. The arrays' sizes follow from the counts, so once this passes,
 * every array lies inside the file. */
static const char *check_header(const cache_header *h, uint64_t file_size, int want_roads, const pl_roads *caller)
{
    if (h->mode > PL_MODE_WALK || h->has_roads > 2 || h->has_snap > 1)
        return "bad header flags";
    if (h->n_components > h->n_nodes || (h->n_nodes > 0 && h->n_components == 0))
        return "bad component count";
    if (h->n_roads >= UINT32_MAX || h->n_vertices >= UINT32_MAX)
        return "bad road counts";
    if (want_roads ? !h->has_roads : h->has_roads)
        return "roads section where none belongs";
    if (caller && (h->n_roads != caller->n || h->n_vertices != caller->first_vertex[caller->n]))
        return "made for other roads";
    if (h->roads_off != align_up(sizeof *h, SECTION_ALIGN) || h->file_size != file_size)
        return "truncated or bad offsets";
    if (h->graph_off != h->roads_off + h->roads_len || h->tail_off < h->graph_off ||
        h->tail_off - h->graph_off != h->graph_len || h->tail_off > file_size || file_size - h->tail_off < 8 ||
        file_size - h->tail_off > MAX_TAIL)
        return "truncated or bad offsets";
    uint64_t tail = file_size - h->tail_off;
    if (h->source_len > tail || h->n_warnings > tail / sizeof(saved_warning))
        return "bad tail sizes";
    for (int i = 0; h->has_snap && i < 2; i++) {
        const snap_grid_header *sh = &h->snap[i];
        if (sh->n_seg == 0 ? sh->n_cell_seg != 0
                           : !(isfinite(sh->minx) && isfinite(sh->miny) && isfinite(sh->cell) && sh->cell >= 1.0))
            return "bad snap grid";
    }
    return NULL;
}

/* The saved warnings, the source label and the end magic, from the tail's bytes. */
static const char *parse_tail(const unsigned char *t, size_t n, const cache_header *h, pl_ctx *into, char **source)
{
    size_t at = 0;
    for (uint32_t i = 0; i < h->n_warnings; i++) {
        saved_warning w;
        if (n - at < sizeof w)
            return "bad warnings";
        memcpy(&w, t + at, sizeof w);
        at += sizeof w;
        if (w.msg_len >= 1024 || n - at < w.msg_len)
            return "bad warnings";
        char msg[1024];
        memcpy(msg, t + at, w.msg_len);
        msg[w.msg_len] = '\0';
        at += w.msg_len;
        w.key[sizeof w.key - 1] = '\0';
        if (w.count > 0)
            pl_warn_add(into, w.key, (long)w.count, msg, 0);
    }
    if (n - at != (size_t)h->source_len + 8 || memcmp(t + n - 8, CACHE_END, 8) != 0)
        return "bad end";
    *source = pl_malloc((size_t)h->source_len + 1);
    memcpy(*source, t + at, h->source_len);
    (*source)[h->source_len] = '\0';
    return NULL;
}

static int csr_ok(const uint32_t *begin, uint32_t n, uint32_t total)
{
    if (begin[0] != 0 || begin[n] != total)
        return 0;
    for (uint32_t v = 0; v < n; v++)
        if (begin[v + 1] < begin[v])
            return 0;
    return 1;
}

/* A cost as the builder makes them: finite, not negative, and far below what a search's
 * sums and buckets could overflow on (1e12 s is 30,000 years). */
static int cost_ok(float c)
{
    return isfinite(c) && c >= 0 && c < 1e12f;
}

/* A coordinate as the loaders accept them (layers/roads.c: beyond 1e8 m a line is skipped). */
static int coord_ok(double v)
{
    return isfinite(v) && fabs(v) <= 1e8;
}

static const char *check_roads(const pl_roads *r, uint64_t n_vertices)
{
    if (r->first_vertex[0] != 0 || r->first_vertex[r->n] != n_vertices)
        return "bad road vertex offsets";
    for (size_t i = 0; i < r->n; i++) {
        if (r->first_vertex[i + 1] < r->first_vertex[i] + 2 || r->first_vertex[i + 1] > n_vertices)
            return "bad road vertex offsets";
        if (r->road_class[i] >= PL_ROAD_N_CLASSES || r->oneway[i] < -1 || r->oneway[i] > 1 ||
            !(r->speed_kmh[i] >= 0 && r->speed_kmh[i] <= 300)) /* the loader's range (road_values.h) */
            return "bad road attributes";
    }
    for (uint64_t v = 0; v < n_vertices; v++)
        if (!coord_ok(r->vx[v]) || !coord_ok(r->vy[v]))
            return "bad road vertices";
    return NULL;
}

/* Every array the graph's users index with: node, arc, edge, road and vertex ids in range,
 * CSR offsets monotonic and complete, costs finite and not negative. */
static const char *check_graph(const pl_graph *g, const pl_roads *r)
{
    uint32_t n = g->n_nodes, m = g->n_arcs;
    if (!csr_ok(g->out_begin, n, m) || !csr_ok(g->in_begin, n, m))
        return "bad arc offsets";
    for (uint32_t v = 0; v < n; v++)
        if (!coord_ok(g->node_x[v]) || !coord_ok(g->node_y[v]) || g->component[v] >= g->n_components)
            return "bad nodes";
    for (uint32_t c = 0; c < g->n_components; c++)
        if (g->component_nodes[c] > n)
            return "bad components";
    for (uint32_t a = 0; a < m; a++)
        if (g->arc_head[a] >= n || g->arc_road[a] >= r->n || !cost_ok(g->arc_len_m[a]) ||
            !cost_ok(g->arc_time_s[a]) || g->in_arc[a].tail >= n || !cost_ok(g->in_arc[a].len_m) ||
            !cost_ok(g->in_arc[a].time_s))
            return "bad arcs";
    for (uint32_t e = 0; e < g->n_edges; e++) {
        uint32_t road = g->edge_road[e];
        if (g->edge_a[e] >= n || g->edge_b[e] >= n || road >= r->n || g->edge_dir[e] > 3 ||
            !cost_ok(g->edge_len_m[e]) || !cost_ok(g->edge_time_s[e]))
            return "bad edges";
        if (g->edge_v0[e] < r->first_vertex[road] || g->edge_v0[e] >= g->edge_v1[e] ||
            g->edge_v1[e] >= r->first_vertex[road + 1])
            return "bad edge vertex ranges";
    }
    return NULL;
}

static const char *check_snap(const pl_snap_index *ix, const pl_graph *g, const pl_roads *r)
{
    const pl_seg_set *S[2] = {&ix->big, &ix->small};
    const pl_seg_grid *G[2] = {&ix->grid_big, &ix->grid_small};
    for (int i = 0; i < 2; i++) {
        double minx = INFINITY, miny = INFINITY, maxx = -INFINITY, maxy = -INFINITY;
        for (uint32_t s = 0; s < S[i]->n; s++) {
            uint32_t e = S[i]->e[s], v = S[i]->v[s];
            if (e >= g->n_edges || v < g->edge_v0[e] || v >= g->edge_v1[e])
                return "bad snap segments";
            /* Plain comparisons (the coordinates are finite): fmin/fmax are calls here. */
            for (uint32_t w = v; w <= v + 1; w++) {
                double x = r->vx[w], y = r->vy[w];
                minx = x < minx ? x : minx;
                maxx = x > maxx ? x : maxx;
                miny = y < miny ? y : miny;
                maxy = y > maxy ? y : maxy;
            }
        }
        size_t nc = grid_cells(G[i]);
        if (!nc)
            continue;
        /* The grid covers its segments exactly as built (graph_snap.c grid_build): a grid
         * moved away from them would send every search over rings of empty cells. */
        double qx = fmax(maxx - minx, 1.0) / G[i]->cell, qy = fmax(maxy - miny, 1.0) / G[i]->cell;
        if (G[i]->minx != minx || G[i]->miny != miny || !(qx < 1e15 && qy < 1e15) ||
            G[i]->nx != (int64_t)qx + 1 || G[i]->ny != (int64_t)qy + 1)
            return "bad snap grid";
        const uint32_t *b = G[i]->begin;
        if (b[0] != 0)
            return "bad snap grid cells";
        for (size_t c = 0; c + 1 < nc; c++)
            if (b[c + 1] < b[c])
                return "bad snap grid cells";
        for (uint32_t k = 0; k < b[nc - 1]; k++)
            if (G[i]->seg[k] >= S[i]->n)
                return "bad snap grid cells";
    }
    return NULL;
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

/* What a read found: 1 read, 0 missing or not for this key (info), -1 damaged (warning). */
typedef struct cache_read {
    pl_roads *roads;
    pl_graph *graph;
    char *source;
    pl_ctx *warnings;
    const char *why; /* damaged: what is wrong */
} cache_read;

static void cache_read_free(cache_read *c)
{
    pl_graph_free(c->graph);
    pl_roads_free(c->roads);
    free(c->source);
    pl_ctx_free(c->warnings);
    memset(c, 0, sizeof *c);
}

/* Where the arrays the searches walk (in_begin, in_arc) lie in the graph's section: those
 * are copied onto fresh 2 MiB pages even when the rest is mapped (read_section). */
typedef struct search_span {
    void **want[2];
    uint64_t lo, hi;
} search_span;

static void find_search_span(arr *a, uint64_t off, void *user)
{
    search_span *sp = user;
    for (int i = 0; i < 2; i++)
        if (a->ptr == sp->want[i]) {
            sp->lo = off < sp->lo ? off : sp->lo;
            sp->hi = off + a->count * a->elem > sp->hi ? off + a->count * a->elem : sp->hi;
        }
}

/* Reads and checks everything after a fitting header; NULL, or what is wrong. */
static const char *read_body(int fd, const cache_header *h, const pl_roads *caller, pl_ctx *ctx, cache_read *c)
{
    XXH3_state_t *sum = XXH3_createState();
    if (!sum || XXH3_64bits_reset(sum) != XXH_OK) {
        XXH3_freeState(sum);
        return "out of memory";
    }
    const char *why = NULL;
    arr a[32];
    if (h->has_roads) {
        c->roads = pl_calloc(1, sizeof *c->roads);
        c->roads->n = (size_t)h->n_roads;
        size_t k = list_road_arrays(c->roads, (size_t)h->n_vertices, h->has_roads == 2, a);
        uint64_t hot = 0;
        if (layout(a, k, &hot, NULL, NULL) != h->roads_len)
            why = "bad roads section size";
        else if (!(c->roads->cache_map = read_section(fd, h->roads_off, h->roads_len, hot, 0, 0, sum,
                                                      &c->roads->cache_map_size)))
            why = "cannot read the roads section";
        else
            place_arrays(c->roads->cache_map, a, k);
    }
    pl_snap_index *ix = NULL;
    if (!why) {
        /* The graph's section holds its snap index too (hot arrays of both first). */
        c->graph = graph_from_header(h);
        size_t k = list_graph_arrays(c->graph, a);
        if (h->has_snap) {
            ix = snap_from_header(h);
            if (ix)
                k += list_snap_arrays_read(ix, h, a + k);
            else
                why = "bad snap grid";
        }
        uint64_t hot = 0;
        search_span sp = {{(void **)&c->graph->in_begin, (void **)&c->graph->in_arc}, UINT64_MAX, 0};
        if (!why && layout(a, k, &hot, find_search_span, &sp) != h->graph_len)
            why = "bad graph section size";
        else if (!why && !(c->graph->cache_map = read_section(fd, h->graph_off, h->graph_len, hot, sp.lo, sp.hi, sum,
                                                               &c->graph->cache_map_size)))
            why = "cannot read the graph section";
        else if (!why)
            place_arrays(c->graph->cache_map, a, k);
    }
    unsigned char *tail = NULL;
    size_t tail_n = (size_t)(h->file_size - h->tail_off);
    if (!why) {
        tail = pl_malloc(tail_n);
        if (pread(fd, tail, tail_n, (off_t)h->tail_off) != (ssize_t)tail_n)
            why = "truncated";
        else
            XXH3_64bits_update(sum, tail, tail_n);
    }
    if (!why && verify_sums && XXH3_64bits_digest(sum) != h->body_sum)
        why = "checksum mismatch";
    XXH3_freeState(sum);
    c->warnings = pl_ctx_new_child(ctx);
    if (!why)
        why = parse_tail(tail, tail_n, h, c->warnings, &c->source);
    free(tail);
    const pl_roads *r = c->roads ? c->roads : caller;
    if (!why && c->roads)
        why = check_roads(c->roads, h->n_vertices);
    if (!why && !r)
        why = "no roads to check against";
    if (!why)
        why = check_graph(c->graph, r);
    if (!why && ix) {
        ix->g = c->graph;
        ix->roads = c->roads;
        why = check_snap(ix, c->graph, r);
    }
    if (ix && !why) {
        c->graph->snap_index = ix;
        ix = NULL;
    }
    free(ix);
    return why;
}

/* 1 with *c filled, 0 when the file is missing or not for this key (an info line says
 * which), -1 when it is damaged (c->why says how). */
static int read_checked(pl_ctx *ctx, const char *path, uint64_t key, int want_roads, const pl_roads *caller,
                        cache_read *c)
{
    memset(c, 0, sizeof *c);
    remove_stale_cache_temps(ctx, path);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return 0;
    struct stat st;
    cache_header h;
    int rc = -1;
    ssize_t got = 0;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        pl_info(ctx, "graph cache %s: not a regular file; not used", path);
        rc = 0;
    } else if ((got = pread(fd, &h, sizeof h, 0)) < 8 || memcmp(h.magic, CACHE_MAGIC_FAMILY, 7) != 0) {
        pl_info(ctx, "graph cache %s: not a platsa graph cache; not used", path);
        rc = 0;
    } else if (memcmp(h.magic, CACHE_MAGIC, 8) != 0) {
        pl_info(ctx, "graph cache %s: made by another version of platsa; rebuilding", path);
        rc = 0;
    } else if (got != (ssize_t)sizeof h) {
        c->why = "shorter than its header";
    } else if (h.version != CACHE_VERSION || h.byte_order != 0x01020304u ||
               (verify_sums && header_sum(&h) != h.header_sum)) {
        c->why = "header checksum mismatch";
    } else if (h.key != key) {
        pl_info(ctx, "graph cache %s: made from other roads or options; rebuilding", path);
        rc = 0;
    } else if (!(c->why = check_header(&h, (uint64_t)st.st_size, want_roads, want_roads ? NULL : caller)) &&
               !(c->why = read_body(fd, &h, caller, ctx, c))) {
        rc = 1;
    }
    close(fd);
    if (rc != 1) {
        const char *why = c->why;
        cache_read_free(c);
        c->why = why;
    }
    return rc;
}

/* Reads path; on damage, a counted warning naming the file (the caller rebuilds it). */
static int read_all(pl_ctx *ctx, const char *path, uint64_t key, int want_roads, const pl_roads *caller,
                    pl_roads **roads_out, pl_graph **graph_out, pl_ctx *replay_into)
{
    cache_read c;
    int rc = read_checked(ctx, path, key, want_roads, caller, &c);
    if (rc < 0)
        pl_warn(ctx, "graph-cache-damaged", "graph cache %s: damaged (%s); not used, rebuilt from the roads", path,
                c.why);
    if (rc != 1)
        return 0;
    /* Warnings are replayed only once all is read and checked. */
    if (replay_into)
        for (size_t i = 0; i < c.warnings->n_warnings; i++)
            pl_warn_add(replay_into, c.warnings->warnings[i].key, c.warnings->warnings[i].count,
                        c.warnings->warnings[i].first_msg, 1);
    c.graph->from_cache = 1;
    if (c.roads) {
        c.roads->source = c.source;
        c.source = NULL;
        *roads_out = c.roads;
        c.roads = NULL;
    }
    *graph_out = c.graph;
    c.graph = NULL;
    cache_read_free(&c);
    return 1;
}

pl_graph *pl_graph_cache_read(pl_ctx *ctx, const char *path, uint64_t hash, const pl_roads *roads)
{
    pl_graph *g = NULL;
    return read_all(ctx, path, hash, 0, roads, NULL, &g, NULL) ? g : NULL;
}

int pl_graph_cache_write(pl_ctx *ctx, const pl_graph *g, const pl_roads *roads, const char *path, pl_error *err)
{
    (void)ctx;
    return write_all(path, g->input_hash, NULL, roads, g, NULL, err);
}

int pl_network_cache_read(pl_ctx *ctx, const char *path, uint64_t key, pl_roads **roads, pl_graph **graph)
{
    *roads = NULL;
    *graph = NULL;
    return read_all(ctx, path, key, 1, NULL, roads, graph, ctx);
}

int pl_network_cache_write(pl_ctx *ctx, const char *path, uint64_t key, const pl_roads *roads,
                           const pl_graph *graph, const pl_ctx *roads_warnings, pl_error *err)
{
    (void)ctx;
    return write_all(path, key, roads, roads, graph, roads_warnings, err);
}
