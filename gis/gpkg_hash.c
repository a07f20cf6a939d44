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

static void *hash_inputs(void *arg)
{
    pl_gpkg_hashes *h = arg;
    for (int i = 0; i < h->n; i++) {
        input_rec *r = &h->inputs[i];
        if (r->same >= 0) {
            memcpy(r->sha256, h->inputs[r->same].sha256, sizeof r->sha256);
            r->size = h->inputs[r->same].size;
        } else if (pl_gpkg_sha256_file(r->file, r->sha256, &r->size) != 0) {
            r->sha256[0] = '\0';
            r->size = -1;
        }
    }
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
    pl_gpkg_hashes *h = pl_calloc(1, sizeof *h);
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
    free(h);
}
