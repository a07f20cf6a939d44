/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Roads + graph through the network cache (rules in network.h). */
#include "network.h"
#include "gis/vector.h"
#include "gis/util.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static uint64_t hash_str(uint64_t h, const char *s)
{
    if (!s)
        s = "\x01(none)";
    return pl_hash_bytes(h, s, strlen(s) + 1);
}

/* The first and last 64 KiB of the file (all of a small one). */
static int hash_ends(int fd, off_t size, uint64_t *h)
{
    enum { PART = 65536 };
    unsigned char *buf = pl_malloc(PART);
    off_t starts[2] = {0, size > PART ? size - PART : 0};
    int ok = 1;
    for (int i = 0; ok && i < (size > PART ? 2 : 1); i++) {
        size_t want = (size_t)(size - starts[i] < PART ? size - starts[i] : PART);
        ok = pread(fd, buf, want, starts[i]) == (ssize_t)want;
        if (ok)
            *h = pl_hash_bytes(*h, buf, want);
    }
    free(buf);
    return ok;
}

/* Identity of one file (size, modification time, inode, device, first and last 64 KiB);
 * a file that is not there hashes as absent. Returns 0 when it is there but unreadable. */
static int hash_file(const char *path, uint64_t *h)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        *h = hash_str(*h, "\x02" "absent");
        return 1;
    }
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 0;
    int64_t id[5] = {(int64_t)st.st_size, (int64_t)st.st_mtim.tv_sec, (int64_t)st.st_mtim.tv_nsec,
                     (int64_t)st.st_ino, (int64_t)st.st_dev};
    *h = pl_hash_bytes(*h, id, sizeof id);
    int ok = hash_ends(fd, st.st_size, h);
    close(fd);
    return ok;
}

/* The files beside the roads file that hold part of its data: a shapefile's attributes
 * (.dbf), index and CRS, and SQLite's write-ahead log and journal, where a GeoPackage open
 * in QGIS keeps its edits until the next checkpoint. Any of them changing renews the key. */
static int hash_sidecars(const char *real, uint64_t *h)
{
    static const char *const replace_ext[] = {".dbf", ".shx", ".prj", ".cpg", ".DBF", ".SHX", ".PRJ", ".CPG"};
    static const char *const append[] = {"-wal", "-journal"};
    char side[PATH_MAX + 16];
    const char *dot = strrchr(real, '.');
    const char *slash = strrchr(real, '/');
    size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - real) : strlen(real);
    int ok = 1;
    for (size_t i = 0; ok && i < sizeof replace_ext / sizeof *replace_ext; i++) {
        snprintf(side, sizeof side, "%.*s%s", (int)stem, real, replace_ext[i]);
        if (strcmp(side, real) != 0)
            ok = hash_file(side, h);
    }
    for (size_t i = 0; ok && i < sizeof append / sizeof *append; i++) {
        snprintf(side, sizeof side, "%s%s", real, append[i]);
        ok = hash_file(side, h);
    }
    return ok;
}

int pl_network_cache_key(const pl_ctx *ctx, const char *spec, const pl_load_opts *lo, const pl_graph_opts *go,
                         uint64_t *key)
{
    char file[PATH_MAX], layer[1024], real[PATH_MAX];
    pl_vector_split_spec(spec, file, sizeof file, layer, sizeof layer);
    struct stat st;
    if (!realpath(file, real) || stat(real, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    uint64_t h = 0x706c617473616e65ULL; /* "platsane" */
    uint32_t versions[3] = {PL_GRAPH_BUILD_VERSION, PL_ROADS_LOADER_VERSION, 2u};
    h = pl_hash_bytes(h, versions, sizeof versions);
    h = hash_str(h, PLATSA_VERSION);
    h = hash_str(h, real);
    if (!hash_file(real, &h) || !hash_sidecars(real, &h))
        return 0;
    h = hash_str(h, lo && lo->layer ? lo->layer : layer);
    h = hash_str(h, lo ? lo->assume_crs : NULL);
    h = hash_str(h, lo ? lo->id_field : NULL);
    h = pl_road_fields_hash(lo ? &lo->road : NULL, h);
    h = hash_str(h, lo ? lo->source_field : NULL);
    h = hash_str(h, lo ? lo->target_field : NULL);
    h = hash_str(h, ctx->work_crs);
    uint32_t g32[2] = {(uint32_t)go->mode, (uint32_t)(go->node_intersections != 0)};
    h = pl_hash_bytes(h, g32, sizeof g32);
    double gd[2] = {go->snap_tolerance_m, go->ferry_speed_kmh};
    h = pl_hash_bytes(h, gd, sizeof gd);
    *key = h;
    return 1;
}

int pl_network_load(pl_ctx *ctx, const char *spec, const pl_load_opts *lo, const pl_graph_opts *go,
                    pl_roads **roads, pl_graph **graph, pl_network_stats *stats, pl_error *err)
{
    pl_network_stats none;
    if (!stats)
        stats = &none;
    memset(stats, 0, sizeof *stats);
    *roads = NULL;
    *graph = NULL;
    pl_graph_opts o = *go;
    const char *cache = o.cache_path && *o.cache_path ? o.cache_path : NULL;
    uint64_t key = 0;
    int keyed = cache && pl_network_cache_key(ctx, spec, lo, &o, &key);
    double t0 = pl_now_s();
    if (keyed && pl_network_cache_read(ctx, cache, key, roads, graph)) {
        stats->from_cache = 1;
        stats->graph_s = pl_now_s() - t0;
        pl_info(ctx, "%s: %zu road lines and the %s graph read from the cache %s", (*roads)->source, (*roads)->n,
                pl_mode_name(o.mode), cache);
        pl_graph_info(ctx, *graph);
        return PL_OK;
    }
    /* The roads' own warnings are kept apart, to be saved with them in the cache. */
    pl_ctx *rctx = pl_ctx_new_child(ctx);
    rctx->progress = ctx->progress;
    rctx->progress_user = ctx->progress_user;
    *roads = pl_roads_load(rctx, spec, lo, err);
    pl_ctx_merge_warnings(ctx, rctx);
    stats->roads_s = pl_now_s() - t0;
    if (!*roads) {
        pl_ctx_free(rctx);
        return err && err->code ? (int)err->code : PL_EINPUT;
    }
    t0 = pl_now_s();
    o.cache_path = keyed ? NULL : cache;  /* without a file identity: the graph-only cache */
    if (cache)
        o.skip_forward_arcs = 0;  /* the cache file holds them */
    *graph = pl_graph_build(ctx, *roads, &o, err);
    stats->graph_s = pl_now_s() - t0;
    if (!*graph) {
        pl_ctx_free(rctx);
        pl_roads_free(*roads);
        *roads = NULL;
        return err && err->code ? (int)err->code : PL_EINTERNAL;
    }
    if (keyed) {
        pl_error cerr = {0};
        pl_graph_keep_snap_index(*graph, *roads);  /* stored with it: a warm run does not build it */
        if (pl_network_cache_write(ctx, cache, key, *roads, *graph, rctx, &cerr) != PL_OK)
            pl_warn(ctx, "graph-cache", "%s", cerr.msg);
    }
    pl_ctx_free(rctx);
    return PL_OK;
}
