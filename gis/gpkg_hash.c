/* SPDX-License-Identifier: GPL-3.0-or-later */
/* GeoPackage writer: the SHA-256 of input files and the inputs' hashes for the metadata
 * (computed on a thread of their own; see gpkg_writer.h). */
#include "gpkg_internal.h"
#include "commit.h"
#include "gpkg_blob.h"
#include "gpkg_rtree.h"
#include "share.h"
#include "strbuf.h"
#include "vector.h"

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <sqlite3.h>
#include <proj.h>
#include <openssl/evp.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <dirent.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ SHA-256 */

static _Atomic long long g_sha256_bytes; /* bytes hashed in this process (for tests) */

long long pl_gpkg_sha256_bytes_read(void)
{
    return g_sha256_bytes;
}

int pl_gpkg_sha256_file(const char *path, char hex[65], long long *size)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    if (!S_ISREG(st.st_mode)) {
        errno = EISDIR;
        return -1;
    }
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(md);
        fclose(f);
        errno = ENOMEM;
        return -1;
    }
    unsigned char buf[65536];
    size_t n;
    long long total = 0;
    int ok = 1;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        if (EVP_DigestUpdate(md, buf, n) != 1)
            ok = 0;
        total += (long long)n;
        g_sha256_bytes += (long long)n;
    }
    if (ferror(f))
        ok = 0;
    fclose(f);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    if (EVP_DigestFinal_ex(md, digest, &dlen) != 1 || dlen != 32)
        ok = 0;
    EVP_MD_CTX_free(md);
    if (!ok) {
        errno = EIO;
        return -1;
    }
    for (unsigned i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    if (size)
        *size = total;
    return 0;
}

/* Size and SHA-256 of every input (on the hashes' thread). */
/* The input layer's own title when it is a GeoPackage layer (gpkg_contents.identifier): a
 * layer made by platsa synth says there whether it is REAL or SYNTHETIC, and the run's
 * metadata carries that on to reports. Returns 1 with title set, else 0. */
int pl_gw_input_layer_title(const input_rec *r, char *title, size_t size)
{
    size_t nf = strlen(r->file);
    const char *layer = strncmp(r->spec, r->file, nf) == 0 && r->spec[nf] == ':' ? r->spec + nf + 1 : NULL;
    sqlite3 *db = NULL;
    int found = 0;
    if (r->size < 0 || sqlite3_open_v2(r->file, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return 0;
    }
    sqlite3_stmt *st = NULL;
    const char *sql = layer ? "SELECT identifier FROM gpkg_contents WHERE table_name = ?1"
                            : "SELECT identifier FROM gpkg_contents WHERE data_type = 'features' "
                              "AND (SELECT count(*) FROM gpkg_contents WHERE data_type = 'features') = 1";
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        if (layer)
            sqlite3_bind_text(st, 1, layer, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
            snprintf(title, size, "%s", (const char *)sqlite3_column_text(st, 0));
            found = title[0] != '\0';
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return found;
}

/* ------------------------------------------------------------------ kept hashes */

/* Hashes kept beside a graph cache (CACHE.hashes), so that a warm run does not read its
 * unchanged inputs again: a text file, the magic line, then one line per file
 * "DEV INO SIZE MTIME_S MTIME_NS SHA256". A file whose device, inode, size or modification
 * time changed is hashed again. Written like every platsa file: complete in a temporary
 * (registered for the signal path, fsync'ed), then renamed. A file at that path that does
 * not start with the magic line is never read as a store nor replaced. */
#define STORE_MAGIC "platsa input hashes 1\n"
#define STORE_MAX 64    /* entries kept: the newest first (several commands share a cache) */
#define STORE_SETTLE_S 2 /* a file modified this recently may change again within its time stamp's
                            tick, unseen: its hash is used but not kept */

typedef struct hash_key {
    unsigned long long dev, ino;
    long long size, mtime_s;
    long mtime_ns;
} hash_key;

typedef struct kept_hash {
    hash_key k;
    char sha256[65];
} kept_hash;

static hash_key key_of(const struct stat *st)
{
    hash_key k = {(unsigned long long)st->st_dev, (unsigned long long)st->st_ino, (long long)st->st_size,
                  (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec};
    return k;
}

static int key_eq(const hash_key *a, const hash_key *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtime_s == b->mtime_s &&
           a->mtime_ns == b->mtime_ns;
}

static int is_sha256_hex(const char *s)
{
    size_t n = strspn(s, "0123456789abcdef");
    return n == 64 && s[64] == '\0';
}

/* Reads the store at path into *kept (*n entries). 1 when the file is a store or missing
 * (then none), 0 when something else is there or it cannot be read: it is left alone. */
static int store_read(const char *path, kept_hash **kept, int *n)
{
    *kept = NULL;
    *n = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return errno == ENOENT;
    char line[256];
    if (!fgets(line, sizeof line, f) || strcmp(line, STORE_MAGIC) != 0) {
        fclose(f);
        return 0;
    }
    *kept = pl_calloc(STORE_MAX, sizeof **kept);
    while (*n < STORE_MAX && fgets(line, sizeof line, f)) {
        kept_hash *e = &(*kept)[*n];
        if (sscanf(line, "%llu %llu %lld %lld %ld %64s", &e->k.dev, &e->k.ino, &e->k.size, &e->k.mtime_s,
                   &e->k.mtime_ns, e->sha256) == 6 && is_sha256_hex(e->sha256))
            (*n)++;
    }
    fclose(f);
    return 1;
}

static int store_temp_suffix(const char *rest)
{
    return rest[0] == '\0';
}

/* Removes PATH.tmpPID@HOST files of this machine's dead processes (a run killed while it wrote the store). */
static void store_remove_stale(const char *path)
{
    char dir[PATH_MAX], prefix[PATH_MAX];
    const char *slash = strrchr(path, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (slash == path ? 1 : (int)(slash - path)) : 1, slash ? path : ".");
    if (snprintf(prefix, sizeof prefix, "%s.tmp", slash ? slash + 1 : path) < (int)sizeof prefix)
        pl_temp_remove_stale(dir, prefix, store_temp_suffix, NULL);
}

/* Writes n entries to path through PATH.tmpPID@HOST. Best effort: the store only saves time, so
 * a failure leaves the old store (or none) and no temporary. */
static void store_write(const char *path, const kept_hash *kept, int n)
{
    char tmp[PATH_MAX];
    char owner[PL_TEMP_OWNER_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp%s", path, pl_temp_owner(owner)) >= (int)sizeof tmp)
        return;
    int slot = pl_temp_register(tmp);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        pl_temp_unregister(slot);
        return;
    }
    int ok = fputs(STORE_MAGIC, f) >= 0;
    for (int i = 0; ok && i < n; i++)
        ok = fprintf(f, "%llu %llu %lld %lld %ld %s\n", kept[i].k.dev, kept[i].k.ino, kept[i].k.size,
                     kept[i].k.mtime_s, kept[i].k.mtime_ns, kept[i].sha256) > 0;
    ok = ok && fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0)
        remove(tmp);
    pl_temp_unregister(slot);
}

/* The store's entries for this run's inputs first, then the others it held, at most STORE_MAX. */
static void store_update(const char *path, const kept_hash *fresh, int n_fresh, const kept_hash *kept, int n_kept)
{
    kept_hash *all = pl_calloc(STORE_MAX, sizeof *all);
    int n = 0;
    for (int i = 0; i < n_fresh && n < STORE_MAX; i++)
        all[n++] = fresh[i];
    for (int i = 0; i < n_kept && n < STORE_MAX; i++) {
        int dup = 0;
        for (int j = 0; j < n_fresh && !dup; j++)
            dup = kept[i].k.dev == fresh[j].k.dev && kept[i].k.ino == fresh[j].k.ino;
        if (!dup)
            all[n++] = kept[i];
    }
    store_write(path, all, n);
    free(all);
}

static const char *store_find(const kept_hash *kept, int n, const hash_key *k)
{
    for (int i = 0; i < n; i++)
        if (key_eq(&kept[i].k, k))
            return kept[i].sha256;
    return NULL;
}

/* Size and SHA-256 of one input; with a store, taken from it when the key matches. Adds
 * what the store should keep to fresh (*n_fresh); returns 1 when that is a new hash. */
static int hash_one(input_rec *r, const kept_hash *kept, int n_kept, int use_store, time_t t0, kept_hash *fresh,
                    int *n_fresh)
{
    struct stat st, st2;
    int have = use_store && stat(r->file, &st) == 0 && S_ISREG(st.st_mode);
    hash_key k = have ? key_of(&st) : (hash_key){0};
    const char *old = have ? store_find(kept, n_kept, &k) : NULL;
    if (old) {
        memcpy(r->sha256, old, 65);
        r->size = (long long)st.st_size;
        fresh[*n_fresh].k = k;
        memcpy(fresh[(*n_fresh)++].sha256, old, 65);
        return 0;
    }
    if (pl_gpkg_sha256_file(r->file, r->sha256, &r->size) != 0) {
        r->sha256[0] = '\0';
        r->size = -1;
        return 0;
    }
    /* Kept only when the file did not change while it was read and has settled. */
    if (have && stat(r->file, &st2) == 0) {
        hash_key k2 = key_of(&st2);
        if (key_eq(&k, &k2) && r->size == k.size && (time_t)k.mtime_s < t0 - STORE_SETTLE_S) {
            fresh[*n_fresh].k = k;
            memcpy(fresh[(*n_fresh)++].sha256, r->sha256, 65);
            return 1;
        }
    }
    return 0;
}

static void *hash_inputs(void *arg)
{
    pl_gpkg_hashes *h = arg;
    kept_hash *kept = NULL, *fresh = pl_calloc((size_t)h->n + 1, sizeof *fresh);
    int n_kept = 0, n_fresh = 0, n_new = 0;
    if (h->store)
        store_remove_stale(h->store);
    int use_store = h->store && store_read(h->store, &kept, &n_kept);
    time_t t0 = time(NULL);
    for (int i = 0; i < h->n; i++) {
        input_rec *r = &h->inputs[i];
        if (r->same >= 0) {
            memcpy(r->sha256, h->inputs[r->same].sha256, sizeof r->sha256);
            r->size = h->inputs[r->same].size;
        } else {
            n_new += hash_one(r, kept, n_kept, use_store, t0, fresh, &n_fresh);
        }
    }
    if (use_store && n_new > 0)
        store_update(h->store, fresh, n_fresh, kept, n_kept);
    free(kept);
    free(fresh);
    return NULL;
}

/* The hashing thread, at the lowest priority (nice 19, this thread only): it takes a core
 * when one would idle and yields it to the analysis otherwise. Not an idle-only class: that
 * could wait without end on a machine busy with other work. */
static void *hash_thread(void *arg)
{
    setpriority(PRIO_PROCESS, (id_t)gettid(), 19);
    return hash_inputs(arg);
}

void pl_gw_hashes_join(pl_gpkg_hashes *h)
{
    if (h && h->on)
        pthread_join(h->thread, NULL);
    if (h)
        h->on = 0;
}

pl_gpkg_hashes *pl_gpkg_hashes_start(const char *const *inputs)
{
    return pl_gpkg_hashes_start_cached(inputs, NULL);
}

pl_gpkg_hashes *pl_gpkg_hashes_start_cached(const char *const *inputs, const char *graph_cache)
{
    pl_gpkg_hashes *h = pl_calloc(1, sizeof *h);
    if (graph_cache && *graph_cache) {
        size_t n = strlen(graph_cache) + sizeof ".hashes";
        h->store = pl_malloc(n);
        snprintf(h->store, n, "%s.hashes", graph_cache);
    }
    int n_in = 0;
    while (inputs && inputs[n_in])
        n_in++;
    h->inputs = pl_calloc((size_t)n_in + 1, sizeof *h->inputs);
    for (int i = 0; i < n_in; i++) {
        input_rec *r = &h->inputs[h->n++];
        char file[4096], layer[1024];
        pl_vector_split_spec(inputs[i], file, sizeof file, layer, sizeof layer);
        r->spec = pl_strdup(inputs[i]);
        r->file = pl_strdup(file);
        r->size = -1;
        /* The same file given twice (one GeoPackage with several input layers) is hashed once. */
        r->same = -1;
        struct stat sa, sb;
        for (int k = 0; k < i && r->same < 0; k++)
            if (stat(h->inputs[k].file, &sa) == 0 && stat(file, &sb) == 0 && sa.st_dev == sb.st_dev &&
                sa.st_ino == sb.st_ino)
                r->same = k;
    }
    /* Hashing a large input takes seconds: it runs beside what the caller does next. */
    if (pthread_create(&h->thread, NULL, hash_thread, h) == 0)
        h->on = 1;
    else
        hash_inputs(h);
    return h;
}

void pl_gpkg_hashes_free(pl_gpkg_hashes *h)
{
    if (!h)
        return;
    pl_gw_hashes_join(h);  /* it reads h->inputs */
    for (int i = 0; i < h->n; i++) {
        free(h->inputs[i].spec);
        free(h->inputs[i].file);
    }
    free(h->inputs);
    free(h->store);
    free(h);
}

const char *pl_gpkg_hashes_sha256(pl_gpkg_hashes *h, int i, long long *size)
{
    pl_gw_hashes_join(h);
    if (!h || i < 0 || i >= h->n)
        return NULL;
    if (size)
        *size = h->inputs[i].size;
    return h->inputs[i].sha256;
}
