/* SPDX-License-Identifier: GPL-3.0-or-later */
/* GeoPackage writer: see gpkg_writer.h.
 *
 * Layers (tables, gpkg_contents, gpkg_geometry_columns, gpkg_spatial_ref_sys) are
 * created through GDAL/OGR (GPKG driver); rows are inserted with SQLite directly on
 * GDAL's own connection (one prepared INSERT per layer, geometry blobs from
 * gpkg_blob.c), which is several times faster than OGR features; the spatial indexes
 * are bulk-filled at commit (gpkg_rtree.c). GDAL also creates the
 * `layer_styles` table exactly the way QGIS's own QgsOgrProviderMetadata::saveStyle
 * does (an OGR attributes layer with FID "id" and the same fields), so QGIS finds the
 * styles with its loadStyle query:
 *   f_table_schema='' AND f_table_name=<layer> AND f_geometry_column=<geom column>
 *   ORDER BY CASE WHEN useAsDefault THEN 1 ELSE 2 END, update_time DESC LIMIT 1
 * After GDAL has closed the file, gpkg_data_columns (schema extension) and
 * gpkg_metadata (metadata extension), which GDAL 3.6 does not write the way we
 * need, are written with the sqlite3 API.
 *
 * Everything is written to a temporary file in the output folder and renamed into
 * place in pl_gpkg_commit. */
#include "gpkg_writer.h"
#include "gpkg_internal.h"
#include "geos_wkb.h"
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

/* ------------------------------------------------------------------ small helpers */

/* Numbers are always written with '.' whatever LC_NUMERIC the program runs under. */
static locale_t c_locale(void)
{
    static locale_t loc;
    if (!loc)
        loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    return loc;
}

/* Shortest "%.Ng" (N = 15..17) that reads back as exactly v. */
void pl_gw_fmt_double(char *buf, size_t size, double v)
{
    locale_t loc = c_locale();
    locale_t old = loc ? uselocale(loc) : (locale_t)0;
    for (int p = 15; p <= 17; p++) {
        snprintf(buf, size, "%.*g", p, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    if (loc)
        uselocale(old);
}

static char *dup_or_null(const char *s)
{
    return s ? pl_strdup(s) : NULL;
}

/* Reads a whole text file; NULL on failure (errno set). */
char *pl_gw_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    pl_strbuf b = {0};
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        pl_sb_add(&b, chunk, n);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(b.s);
        errno = EIO;
        return NULL;
    }
    if (!b.s)
        pl_sb_puts(&b, "");
    return b.s;
}

/* ------------------------------------------------------------------ timestamps */

/* Parses "YYYY-MM-DD[(T| )HH:MM[:SS[.fff]]][Z|(+|-)HH[:MM]]"; no zone means UTC. */
static int parse_iso8601(const char *s, time_t *out)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, k = 0;
    if (!s || sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &k) != 3 || k != 10)
        return -1;
    const char *p = s + k;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (!isdigit((unsigned char)p[0]) || sscanf(p, "%2d:%2d%n", &h, &mi, &k) != 2 || k != 5)
            return -1;
        p += k;
        if (*p == ':') {
            p++;
            if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
                return -1;
            sec = (p[0] - '0') * 10 + (p[1] - '0');
            p += 2;
            if (*p == '.' || *p == ',') {
                p++;
                if (!isdigit((unsigned char)*p))
                    return -1;
                while (isdigit((unsigned char)*p))
                    p++;  /* fractions of a second are dropped */
            }
        }
    }
    long offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1;
        p++;
        if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
            return -1;
        int oh = (p[0] - '0') * 10 + (p[1] - '0'), om = 0;
        p += 2;
        if (*p == ':')
            p++;
        if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1])) {
            om = (p[0] - '0') * 10 + (p[1] - '0');
            p += 2;
        }
        if (oh > 23 || om > 59)
            return -1;
        offset = sign * (oh * 3600L + om * 60L);
    }
    if (*p)
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || y < 1970)
        return -1;
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    struct tm back;
    if (t == (time_t)-1 || !gmtime_r(&t, &back) || back.tm_mday != d || back.tm_mon != mo - 1)
        return -1;  /* e.g. 2023-02-30 */
    *out = t - offset;
    return 0;
}

/* ------------------------------------------------------------------ GDAL plumbing */

void pl_gw_gdal_enter(const pl_gpkg *g)
{
    CPLPushErrorHandler(CPLQuietErrorHandler);
    CPLErrorReset();
    /* gpkg_contents.last_change and every other GDAL-written time. */
    CPLSetThreadLocalConfigOption("OGR_CURRENT_DATE", g->ts_gpkg);
}

void pl_gw_gdal_leave(void)
{
    CPLSetThreadLocalConfigOption("OGR_CURRENT_DATE", NULL);
    CPLPopErrorHandler();
}

const char *pl_gw_gdal_msg(void)
{
    const char *m = CPLGetLastErrorMsg();
    return m && *m ? m : "unknown GDAL error";
}

/* The likely cause of a write failure, as the fix the user needs: a full disk (less than
 * 1 MiB left in the output folder's file system) or the file size limit (ulimit -f) that a
 * temporary file has reached (to within 1 MiB). Appended to write errors, which SQLite
 * reports only as "disk I/O error", or worse as a table missing after a failed write. */
static void add_io_hint(const pl_gpkg *g, char *msg, size_t size)
{
    size_t used = strlen(msg);
    if (used + 1 >= size || strstr(msg, "; the disk") || strstr(msg, "; the file size limit"))
        return;
    struct statvfs vfs;
    if (statvfs(g->dir, &vfs) == 0 && (unsigned long long)vfs.f_bavail * vfs.f_frsize < 1024ULL * 1024ULL) {
        snprintf(msg + used, size - used, "; the disk holding '%s' is full (%llu kB free): free some space or "
                 "write the output to another folder", g->dir,
                 (unsigned long long)vfs.f_bavail * vfs.f_frsize / 1024ULL);
        return;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return;
    int n = (int)g->n_temps;
    for (int k = 0; k < n && k < MAX_TEMPS; k++) {
        struct stat st;
        if (stat(g->temps[k], &st) == 0 && (unsigned long long)st.st_size + 1024ULL * 1024ULL >=
                                               (unsigned long long)rl.rlim_cur) {
            snprintf(msg + used, size - used, "; the file size limit (ulimit -f) of %llu bytes was reached: "
                     "raise it or write a smaller output", (unsigned long long)rl.rlim_cur);
            return;
        }
    }
}

/* Records a sticky failure: later calls and commit report it, commit removes everything. */
int pl_gw_fail(pl_gpkg *g, pl_error *err, pl_status code, const char *fmt, ...)
{
    char msg[sizeof g->fail_err.msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (code == PL_EINTERNAL)
        add_io_hint(g, msg, sizeof msg);
    if (!g->failed) {
        g->failed = 1;
        pl_error_set(&g->fail_err, code, "%s", msg);
    }
    return pl_error_set(err, code, "%s", msg);
}

int pl_gw_sticky(const pl_gpkg *g, pl_error *err)
{
    return pl_error_set(err, g->fail_err.code, "%s", g->fail_err.msg);
}

int pl_gw_flat_kind(OGRwkbGeometryType t)
{
    switch (wkbFlatten(t)) {
    case wkbPoint:
    case wkbMultiPoint: return 0;
    case wkbLineString:
    case wkbMultiLineString: return 1;
    default: return 2;
    }
}

/* ------------------------------------------------------------------ create */
/* What to do when a CSV twin's path is a folder. */
#define TWIN_FOLDER_FIX "move that folder away or choose another output name (the CSV twins are named after it)"

/* The CSV twin of table `name`: OUT_DIR/<stem>_<name>.csv. */
static int twin_path(char *buf, size_t size, const char *dir, const char *stem, const char *name)
{
    int n = snprintf(buf, size, "%s/%s_%s.csv", dir, stem, name);
    return n > 0 && n < (int)size ? 0 : -1;
}

static void path_split(const char *path, char **dir, char **base)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        *dir = pl_strdup(".");
        *base = pl_strdup(path);
    } else if (slash == path) {
        *dir = pl_strdup("/");
        *base = pl_strdup(slash + 1);
    } else {
        size_t n = (size_t)(slash - path);
        *dir = pl_malloc(n + 1);
        memcpy(*dir, path, n);
        (*dir)[n] = '\0';
        *base = pl_strdup(slash + 1);
    }
}

/* Is `path` (existing) the same file as one of the inputs? Returns its index or -1. */
static int same_as_input(const pl_gpkg *g, const char *path)
{
    struct stat out;
    if (stat(path, &out) != 0)
        return -1;
    for (int i = 0; i < g->n_inputs; i++) {
        struct stat in;
        if (stat(g->inputs[i].file, &in) == 0 && in.st_dev == out.st_dev && in.st_ino == out.st_ino)
            return i;
    }
    return -1;
}

static void free_layer(pl_gpkg_layer *l)
{
    pl_rtree_plan *plan = NULL;
    pl_gw_index_finish(l, &plan);  /* the packing thread reads l->ahead */
    pl_rtree_plan_free(plan);
    sqlite3_finalize(l->ins);
    sqlite3_finalize(l->ins_multi);
    free(l->vals);
    pl_blob_free(&l->txt);
    pl_blob_free(&l->geom);
    pl_blob_free(&l->wkb);
    pl_blob_free(&l->poly_wkb);
    pl_rtree_list_free(&l->rtree);
    if (l->csv)
        fclose(l->csv);
    if (l->wkb_writer)
        GEOSWKBWriter_destroy_r(l->g->ctx->geos, l->wkb_writer);
    for (int f = 0; f < l->n_fields; f++) {
        free((char *)l->fields[f].name);
        free((char *)l->fields[f].alias_sv);
        free((char *)l->fields[f].description);
    }
    free(l->fields);
    free(l->name);
    free(l->title);
    free(l->style_name);
    free(l->qml);
    free(l->csv_final);
    free(l);
}

void pl_gw_free_gpkg(pl_gpkg *g)
{
    if (!g)
        return;
    if (g->writeback_fd >= 0)
        close(g->writeback_fd);
    for (int i = 0; i < g->n_layers; i++)
        free_layer(g->layers[i]);
    free(g->layers);
    pl_gpkg_hashes_free(g->hashes);
    for (int i = 0; i < g->n_params; i++) {
        free(g->params[i].name);
        free(g->params[i].value);
    }
    free(g->params);
    pl_gw_pool_free(g);
    if (g->srs)
        OSRDestroySpatialReference(g->srs);
    free(g->path);
    free(g->dir);
    free(g->stem);
    free(g->command_line);
    free(g);
}

/* Closes GDAL and CSV handles, removes every temporary file, frees g. */

void pl_gw_discard(pl_gpkg *g)
{
    if (!g)
        return;
    pl_gw_stop_worker(g, 1);
    for (int i = 0; i < g->n_layers; i++) {
        pl_gpkg_layer *l = g->layers[i];
        l->in_row = 0;
        sqlite3_finalize(l->ins);  /* before GDALClose: open statements keep SQLite from closing */
        sqlite3_finalize(l->ins_multi);
        l->ins = l->ins_multi = NULL;
        if (l->csv) {
            fclose(l->csv);
            l->csv = NULL;
        }
    }
    /* Unlinked first, so SQLite sees the file gone and closing writes nothing. */
    int n = (int)g->n_temps;
    for (int k = 0; k < n; k++)
        unlink(g->temps[k]);
    if (g->ds) {
        CPLPushErrorHandler(CPLQuietErrorHandler);
        if (g->in_tx)
            sqlite3_exec(g->db, "ROLLBACK", NULL, NULL, NULL);
        g->in_tx = 0;
        GDALClose(g->ds);
        CPLPopErrorHandler();
        g->ds = NULL;
    }
    for (int k = 0; k < n; k++)
        unlink(g->temps[k]);
    pl_gw_registry_remove(g);
    pl_gw_free_gpkg(g);
}

int pl_gpkg_check_output(const char *path, const pl_gpkg_opts *opts, const char *const *csv_tables, pl_error *err)
{
    if (!path || !*path)
        return pl_error_set(err, PL_EINPUT, "no output file given (-o FILE.gpkg)");
    int overwrite = opts && opts->overwrite;
    const char *const *inputs = opts ? opts->inputs : NULL;
    if (opts && opts->csv_style && strcmp(opts->csv_style, "default") != 0) {
        if (strcmp(opts->csv_style, "sv") != 0)
            return pl_error_set(err, PL_EINPUT, "--csv-style '%s': use default or sv", opts->csv_style);
        if (!opts->csv)
            return pl_error_set(err, PL_EINPUT,
                                "--csv-style sv: it says how the CSV tables are written; give --csv too");
    }
    if (strncmp(path, "PG:", 3) == 0)
        return pl_gw_pg_check(path, overwrite, opts && opts->csv, err);
    int rc = pl_commit_check_path(path, overwrite, inputs, "give a .gpkg file name", err);
    if (rc != PL_OK || !opts || !opts->csv || !csv_tables)
        return rc;
    char *dir = NULL, *base = NULL;
    path_split(path, &dir, &base);
    size_t bl = strlen(base);
    if (bl > 5 && strcasecmp(base + bl - 5, ".gpkg") == 0)
        base[bl - 5] = '\0';
    for (int i = 0; rc == PL_OK && csv_tables[i]; i++) {
        char twin[PATH_MAX];
        if (twin_path(twin, sizeof twin, dir, base, csv_tables[i]) != 0)
            rc = pl_error_set(err, PL_EINPUT, "%s:%s: CSV path too long", path, csv_tables[i]);
        else
            rc = pl_commit_check_path(twin, overwrite, inputs, TWIN_FOLDER_FIX, err);
    }
    free(dir);
    free(base);
    return rc;
}

/* The time stamp every table of the file gets: opts->timestamp, else SOURCE_DATE_EPOCH, else now. */
static int set_timestamp(pl_gpkg *g, const pl_gpkg_opts *opts, const char *path, pl_error *err)
{
    time_t t;
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (opts->timestamp) {
        if (parse_iso8601(opts->timestamp, &t) != 0) {
            pl_error_set(err, PL_EINPUT, "%s: timestamp '%s' is not an ISO 8601 time; use e.g. "
                         "2024-05-01T12:00:00Z", path, opts->timestamp);
            return PL_EINPUT;
        }
    } else if (sde && *sde) {
        char *end = NULL;
        errno = 0;
        long long v = strtoll(sde, &end, 10);
        if (errno || *end || v < 0) {
            pl_error_set(err, PL_EINPUT, "%s: SOURCE_DATE_EPOCH='%s' is not a number of seconds since 1970",
                         path, sde);
            return PL_EINPUT;
        }
        t = (time_t)v;
    } else {
        t = time(NULL);
    }
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(g->ts_gpkg, sizeof g->ts_gpkg, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
    strftime(g->ts_iso, sizeof g->ts_iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
    g->ts_y = tm.tm_year + 1900;
    g->ts_mo = tm.tm_mon + 1;
    g->ts_d = tm.tm_mday;
    g->ts_h = tm.tm_hour;
    g->ts_mi = tm.tm_min;
    g->ts_s = tm.tm_sec;
    return PL_OK;
}

/* The output's folder exists and is writable; the output is not an input, not a folder,
 * and exists only with overwrite. */
static int check_output_path(pl_gpkg *g, const char *path, pl_error *err)
{
    /* The folder. */
    struct stat st;
    if (stat(g->dir, &st) != 0) {
        pl_error_set(err, PL_EINPUT, "%s: folder '%s' does not exist (%s); create it first", path, g->dir,
                     strerror(errno));
        return PL_EINPUT;
    }
    if (!S_ISDIR(st.st_mode)) {
        pl_error_set(err, PL_EINPUT, "%s: '%s' is not a folder; give an output path in an existing folder", path,
                     g->dir);
        return PL_EINPUT;
    }
    if (access(g->dir, W_OK | X_OK) != 0) {
        pl_error_set(err, PL_EINPUT, "%s: folder '%s' is not writable (%s); choose another output folder",
                     path, g->dir, strerror(errno));
        return PL_EINPUT;
    }

    /* The output itself. */
    if (lstat(path, &st) == 0) {
        int in = same_as_input(g, path);
        if (in >= 0) {
            pl_error_set(err, PL_EINPUT, "%s: is also the input '%s'; choose another output file", path,
                         g->inputs[in].spec);
            return PL_EINPUT;
        }
        if (S_ISDIR(st.st_mode)) {
            pl_error_set(err, PL_EINPUT, "%s: is a folder; give a .gpkg file name", path);
            return PL_EINPUT;
        }
        if (!g->overwrite) {
            pl_error_set(err, PL_EINPUT, "%s: exists; use --overwrite to replace it", path);
            return PL_EINPUT;
        }
    }
    return PL_OK;
}

pl_gpkg *pl_gpkg_create(pl_ctx *ctx, const char *path, const pl_gpkg_opts *opts, pl_error *err)
{
    static const pl_gpkg_opts no_opts = {0};
    if (!opts)
        opts = &no_opts;
    if (!ctx || !path || !*path) {
        pl_gpkg_hashes_free(opts->hashes);
        pl_error_set(err, PL_EINTERNAL, "pl_gpkg_create: no output path given");
        return NULL;
    }
    pl_gpkg *g = pl_calloc(1, sizeof *g);
    /* Inputs: file part, size and SHA-256 (streamed), joined before the metadata is
     * written (pl_gpkg_commit) or the output dropped. */
    g->hashes = opts->hashes ? opts->hashes : pl_gpkg_hashes_start_cached(opts->inputs, opts->graph_cache);
    g->inputs = g->hashes->inputs;
    g->n_inputs = g->hashes->n;
    g->writeback_fd = -1;
    g->ctx = ctx;
    g->slot = -1;
    g->path = pl_strdup(path);
    g->overwrite = opts->overwrite;
    g->csv = opts->csv;
    g->csv_sv = opts->csv_style && strcmp(opts->csv_style, "sv") == 0;
    g->command_line = dup_or_null(opts->command_line);
    g->batch_rows = DEFAULT_BATCH_ROWS;
    char *base = NULL;
    g->pg = strncmp(path, "PG:", 3) == 0;
    if (g->pg) {  /* the GeoPackage is built in the temporary folder, then copied into the database */
        const char *td = getenv("TMPDIR");
        g->dir = pl_strdup(td && *td ? td : "/tmp");
        base = pl_strdup("platsa-pg.gpkg");
    } else {
        path_split(path, &g->dir, &base);
    }
    size_t bl = strlen(base);
    g->stem = pl_strdup(base);
    if (bl > 5 && strcasecmp(base + bl - 5, ".gpkg") == 0)
        g->stem[bl - 5] = '\0';

    if (set_timestamp(g, opts, path, err) != PL_OK ||
        (g->pg ? pl_gw_pg_check(path, g->overwrite, g->csv, err) : check_output_path(g, path, err)) != PL_OK)
        goto fail;

    long stale = pl_gw_remove_stale_temps(g->dir, base);
    if (stale > 0)
        pl_info(ctx, "%s: removed %ld temporary file%s left by an earlier run that was killed", path, stale,
                stale == 1 ? "" : "s");

    if (pl_gw_registry_add(g) != 0) {
        pl_error_set(err, PL_EINTERNAL, "%s: more than %d outputs open at once", path, MAX_OPEN_OUTPUTS);
        goto fail;
    }

    /* Temporary file (and SQLite's side files) beside the output. */
    char tmp[PATH_MAX];
    int len = pl_temp_path(tmp, sizeof tmp, g->dir, base, 0);
    for (int k = 1; len > 0 && len < (int)sizeof tmp && access(tmp, F_OK) == 0 && k < 1000; k++)
        len = pl_temp_path(tmp, sizeof tmp, g->dir, base, k);
    if (len <= 0 || len + 10 >= (int)sizeof tmp) {
        pl_error_set(err, PL_EINPUT, "%s: path too long", path);
        goto fail;
    }
    pl_gw_temp_add(g, tmp);
    static const char *const side[] = {"-journal", "-wal", "-shm"};
    for (int k = 0; k < 3; k++) {
        char sp[PATH_MAX];
        snprintf(sp, sizeof sp, "%s%s", tmp, side[k]);
        pl_gw_temp_add(g, sp);
    }

    g->srs = OSRNewSpatialReference(NULL);
    CPLPushErrorHandler(CPLQuietErrorHandler);
    OGRErr srs_rc = OSRSetFromUserInput(g->srs, ctx->work_crs);
    CPLPopErrorHandler();
    if (srs_rc != OGRERR_NONE) {
        pl_error_set(err, PL_EINPUT, "%s: working CRS '%s' is not a known CRS; use EPSG:n", path, ctx->work_crs);
        goto fail;
    }
    OSRSetAxisMappingStrategy(g->srs, OAMS_TRADITIONAL_GIS_ORDER);

    if (!GDALGetDriverByName("GPKG"))
        GDALAllRegister();
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    if (!drv) {
        pl_error_set(err, PL_EINTERNAL, "%s: this GDAL has no GPKG driver", path);
        goto fail;
    }
    pl_gw_gdal_enter(g);
    /* The page size must be set before GDAL creates the first table; GDAL runs the
     * pragmas of OGR_SQLITE_PRAGMA right after opening the new file (thread-local: readers
     * on other threads keep theirs). */
    int large = opts && opts->expected_rows >= PL_GPKG_LARGE_ROWS;
    if (large)
        CPLSetThreadLocalConfigOption("OGR_SQLITE_PRAGMA", "page_size=65536");
    g->ds = GDALCreate(drv, tmp, 0, 0, 0, GDT_Unknown, NULL);
    if (large)
        CPLSetThreadLocalConfigOption("OGR_SQLITE_PRAGMA", NULL);
    if (!g->ds) {
        char msg[sizeof err->msg];
        if (snprintf(msg, sizeof msg, "%s: cannot create temporary file %s: %s", path, tmp, pl_gw_gdal_msg()) >=
            (int)sizeof msg)
            msg[sizeof msg - 1] = '\0';  /* truncated: still one line */
        add_io_hint(g, msg, sizeof msg);
        pl_error_set(err, PL_EINTERNAL, "%s", msg);
    } else {
        /* The file is a temporary one, renamed into place only after a successful close and
         * an fsync (pl_gpkg_commit), and removed on any failure: a crash mid-write loses
         * nothing that a journal could save, so no rollback journal and no sync per commit.
         * A larger page cache (64 MiB) holds a batch of rows until its commit (the spatial
         * indexes are written at pl_gpkg_commit, on a connection of their own). */
        static const char *const pragmas[] = {"PRAGMA journal_mode = OFF", "PRAGMA synchronous = OFF",
                                              "PRAGMA cache_size = -65536"};
        for (size_t k = 0; k < sizeof pragmas / sizeof pragmas[0]; k++) {
            OGRLayerH res = GDALDatasetExecuteSQL(g->ds, pragmas[k], NULL, NULL);
            if (res)
                GDALDatasetReleaseResultSet(g->ds, res);
        }
        g->db = GDALGetInternalHandle(g->ds, "SQLITE_HANDLE");
        g->writeback_fd = open(tmp, O_RDONLY | O_CLOEXEC);  /* -1: no early write-back, no harm */
        if (!g->db) {
            pl_error_set(err, PL_EINTERNAL, "%s: this GDAL does not share its SQLite connection", path);
            GDALClose(g->ds);
            g->ds = NULL;
        }
    }
    pl_gw_gdal_leave();
    if (!g->ds)
        goto fail;
    free(base);
    return g;

fail:
    free(base);
    pl_gw_discard(g);
    return NULL;
}

void pl_gpkg_set_batch_rows(pl_gpkg *g, long n)
{
    if (g)
        g->batch_rows = n < 1 ? DEFAULT_BATCH_ROWS : n;
}

const char *pl_gpkg_temp_path(const pl_gpkg *g)
{
    /* Whoever asks is about to look into the file: the rows handed over so far are inserted
     * first (g is only const to the caller; the writer's queue is internal state). */
    if (g && g->worker_on)
        pl_gw_drain((pl_gpkg *)g, NULL);
    return g && g->n_temps > 0 ? g->temps[0] : NULL;
}

void pl_gpkg_add_parameter(pl_gpkg *g, const char *name, const char *value)
{
    if (!g || !name)
        return;
    for (int i = 0; i < g->n_params; i++) {
        if (strcmp(g->params[i].name, name) == 0) {
            free(g->params[i].value);
            g->params[i].value = dup_or_null(value);
            return;
        }
    }
    g->params = pl_realloc(g->params, ((size_t)g->n_params + 1) * sizeof *g->params);
    g->params[g->n_params].name = pl_strdup(name);
    g->params[g->n_params].value = dup_or_null(value);
    g->n_params++;
}

/* ------------------------------------------------------------------ layers */

/* Rows are inserted in our own transactions on GDAL's connection, always ended before
 * GDAL itself uses it again (layer creation, styles, close); triggers, off during ours
 * (insert_rows in gpkg_thread.c), are on again for GDAL. */
int pl_gw_end_transaction(pl_gpkg *g)
{
    if (!g->in_tx)
        return OGRERR_NONE;
    g->in_tx = 0;
    g->tx_rows = 0;
    int rc = sqlite3_exec(g->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? OGRERR_NONE : OGRERR_FAILURE;
    sqlite3_db_config(g->db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 1, NULL);
    return rc;
}

const char *pl_gw_db_msg(const pl_gpkg *g)
{
    return g->db ? sqlite3_errmsg(g->db) : "no database";
}

static int has_aliases(const pl_gpkg_layer *l)
{
    for (int i = 0; i < l->n_fields; i++)
        if (l->fields[i].alias_sv && *l->fields[i].alias_sv)
            return 1;
    return 0;
}

/* One CSV field, quoted (RFC 4180) when it holds the separator, a quote or a line break. */
static void csv_text(FILE *f, const char *s, char sep)
{
    const char special[] = {sep, '"', '\r', '\n', '\0'};
    if (strpbrk(s, special) == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* The table GDAL made exists, and (spatial layers) the srs_id GDAL gave it for the blobs. */
static int layer_check_table(pl_gpkg *g, pl_gpkg_layer *l, pl_error *err)
{
    sqlite3_stmt *st = NULL;
    int found = 0;
    const char *sql = l->gtype == wkbNone
        ? "SELECT 0 FROM gpkg_contents WHERE table_name = ?1 AND EXISTS "
          "(SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)"
        : "SELECT srs_id FROM gpkg_geometry_columns WHERE table_name = ?1 AND EXISTS "
          "(SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)";
    if (sqlite3_prepare_v2(g->db, sql, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, l->name, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) {
            l->srs_id = sqlite3_column_int(st, 0);
            found = 1;
        }
    }
    sqlite3_finalize(st);
    if (!found)
        return pl_gw_fail(g, err, PL_EINTERNAL, "%s:%s: GDAL did not create the table: %s", g->path, l->name, pl_gw_db_msg(g));
    return PL_OK;
}

/* The checks every new layer (table or view) passes: a free, allowed name and title,
 * named fields without duplicates, a style that fits the fields. */
int pl_gw_check_new_layer(pl_gpkg *g, const char *name, const char *title, int spatial,
                           const pl_field_def *fields, int n_fields, const pl_style *style, pl_error *err)
{
    if (g->failed) {
        pl_gw_sticky(g, err);
        return -1;
    }
    if (!name || !*name) {
        pl_error_set(err, PL_EINTERNAL, "%s: layer without a name", g->path);
        return -1;
    }
    for (const char *c = name; *c; c++) {
        if (*c == '/' || *c == '\\' || (unsigned char)*c < 0x20) {
            pl_error_set(err, PL_EINTERNAL, "%s: layer name '%s' has a slash or control character", g->path, name);
            return -1;
        }
    }
    if (strcasecmp(name, "layer_styles") == 0 || strncasecmp(name, "gpkg_", 5) == 0 ||
        strncasecmp(name, "rtree_", 6) == 0 || strncasecmp(name, "sqlite_", 7) == 0) {
        pl_error_set(err, PL_EINTERNAL, "%s: layer name '%s' is reserved", g->path, name);
        return -1;
    }
    for (int i = 0; i < g->n_layers; i++) {
        const pl_gpkg_layer *o = g->layers[i];
        if (strcasecmp(o->name, name) == 0 || (title && strcasecmp(o->name, title) == 0) ||
            (o->title && (strcasecmp(o->title, name) == 0 || (title && strcasecmp(o->title, title) == 0)))) {
            pl_error_set(err, PL_EINTERNAL, "%s: layer name or title '%s' used twice", g->path, name);
            return -1;
        }
    }
    if (n_fields < 0 || (n_fields > 0 && !fields)) {
        pl_error_set(err, PL_EINTERNAL, "%s:%s: bad field list", g->path, name);
        return -1;
    }
    for (int i = 0; i < n_fields; i++) {
        if (!fields[i].name || !*fields[i].name || strcasecmp(fields[i].name, "fid") == 0 ||
            strcasecmp(fields[i].name, "geom") == 0) {
            pl_error_set(err, PL_EINTERNAL, "%s:%s: field %d has no name or a reserved one (fid, geom)", g->path,
                         name, i);
            return -1;
        }
        for (int k = 0; k < i; k++) {
            if (strcasecmp(fields[k].name, fields[i].name) == 0) {
                pl_error_set(err, PL_EINTERNAL, "%s:%s: field '%s' defined twice", g->path, name, fields[i].name);
                return -1;
            }
        }
    }
    return pl_gw_check_style(g, name, spatial, fields, n_fields, style, err) == PL_OK ? 0 : -1;
}

/* A new layer's description: deep copies of its fields, its style name and QML; added to g. */
pl_gpkg_layer *pl_gw_new_layer(pl_gpkg *g, const char *name, const char *title, OGRwkbGeometryType gtype,
                                const pl_field_def *fields, int n_fields, const pl_style *style, pl_error *err)
{
    pl_gpkg_layer *l = pl_calloc(1, sizeof *l);
    l->g = g;
    l->name = pl_strdup(name);
    l->title = dup_or_null(title);
    l->gtype = gtype;
    l->csv_slot = -1;
    l->n_fields = n_fields;
    l->fields = pl_calloc((size_t)n_fields + 1, sizeof *l->fields);
    for (int i = 0; i < n_fields; i++) {
        l->fields[i].name = pl_strdup(fields[i].name);
        l->fields[i].type = fields[i].type;
        l->fields[i].alias_sv = dup_or_null(fields[i].alias_sv);
        l->fields[i].description = dup_or_null(fields[i].description);
    }
    l->style_kind = style ? style->kind : PL_STYLE_NONE;
    if (l->style_kind != PL_STYLE_NONE) {
        /* styleName is TEXT(30) in QGIS's schema: keep at most 30 characters (UTF-8 aware). */
        const char *sn = style->name && *style->name ? style->name : name;
        size_t bytes = 0;
        int chars = 0;
        while (sn[bytes] && chars < STYLE_NAME_MAX) {
            bytes++;
            while ((sn[bytes] & 0xC0) == 0x80)
                bytes++;
            chars++;
        }
        l->style_name = pl_malloc(bytes + 1);
        memcpy(l->style_name, sn, bytes);
        l->style_name[bytes] = '\0';
        if (pl_gw_make_qml(g, l, style, err) != PL_OK) {
            free_layer(l);
            return NULL;
        }
    } else if (gtype == wkbNone && has_aliases(l)) {
        /* Attribute tables: QGIS 3.22 with GDAL 3.6 ignores gpkg_data_columns, but it does load a
         * default layer_styles row with f_geometry_column '' (checked with QGIS 3.22.16), so an
         * alias-only style gives summary tables their Swedish column names too. */
        l->style_name = pl_strdup(name);
        l->style_name[strlen(l->style_name) > STYLE_NAME_MAX ? STYLE_NAME_MAX : strlen(l->style_name)] = '\0';
        char *aliases = pl_gw_make_aliases(l);
        pl_strbuf q = {0};
        pl_sb_puts(&q, "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
                       "<qgis version=\"3.22.16-Bia\xc5\x82owie\xc5\xbc" "a\" styleCategories=\"Fields\">\n"
                       "  <aliases>\n");
        pl_sb_puts(&q, aliases);
        pl_sb_puts(&q, "\n  </aliases>\n</qgis>\n");
        free(aliases);
        l->qml = q.s;
    }
    g->layers = pl_realloc(g->layers, ((size_t)g->n_layers + 1) * sizeof *g->layers);
    g->layers[g->n_layers++] = l;
    return l;
}

pl_gpkg_layer *pl_gpkg_layer_add(pl_gpkg *g, const char *name, int geom_type, const char *title,
                                 const pl_field_def *fields, int n_fields, const pl_style *style,
                                 pl_error *err)
{
    if (!g) {
        pl_error_set(err, PL_EINTERNAL, "pl_gpkg_layer_add: no output");
        return NULL;
    }
    int spatial = geom_type != wkbNone;
    if (pl_gw_check_new_layer(g, name, title, spatial, fields, n_fields, style, err) != 0)
        return NULL;
    if (!(geom_type == wkbNone || (geom_type >= wkbUnknown && geom_type <= wkbGeometryCollection))) {
        pl_error_set(err, PL_EINTERNAL, "%s:%s: unsupported geometry type %d", g->path, name, geom_type);
        return NULL;
    }
    pl_gpkg_layer *l = pl_gw_new_layer(g, name, title, (OGRwkbGeometryType)geom_type, fields, n_fields, style, err);
    if (!l)
        return NULL;

    /* CSV twin of an attribute table. */
    if (g->csv && !spatial) {
        char final[PATH_MAX], tmp[PATH_MAX];
        int n1 = twin_path(final, sizeof final, g->dir, g->stem, name);
        int n2 = snprintf(tmp, sizeof tmp, "%s-%s.csv", g->temps[0], name);  /* unique like the GeoPackage's */
        if (n1 != 0 || n2 <= 0 || n2 >= (int)sizeof tmp) {
            pl_error_set(err, PL_EINPUT, "%s:%s: CSV path too long", g->path, name);
            return NULL;
        }
        struct stat st;
        if (lstat(final, &st) == 0) {
            int in = same_as_input(g, final);
            if (in >= 0) {
                pl_gw_fail(g, err, PL_EINPUT, "%s: is also the input '%s'; choose another output file", final,
                     g->inputs[in].spec);
                return NULL;
            }
            if (S_ISDIR(st.st_mode)) {
                pl_gw_fail(g, err, PL_EINPUT, "%s: is a folder; %s", final, TWIN_FOLDER_FIX);
                return NULL;
            }
            if (!g->overwrite) {
                pl_gw_fail(g, err, PL_EINPUT, "%s: exists; use --overwrite to replace it", final);
                return NULL;
            }
        }
        l->csv_slot = pl_gw_temp_add(g, tmp);
        if (l->csv_slot < 0) {
            pl_gw_fail(g, err, PL_EINTERNAL, "%s: too many CSV tables", g->path);
            return NULL;
        }
        l->csv = fopen(tmp, "w");
        if (!l->csv) {
            pl_gw_fail(g, err, PL_EINTERNAL, "%s: cannot create %s: %s", g->path, tmp, strerror(errno));
            return NULL;
        }
        l->csv_final = pl_strdup(final);
        /* sv: the BOM tells Excel the file is UTF-8; headers are the aliases planners read. */
        if (g->csv_sv)
            fputs("\xEF\xBB\xBF", l->csv);
        for (int i = 0; i < n_fields; i++) {
            if (i)
                fputc(g->csv_sv ? ';' : ',', l->csv);
            const char *alias = l->fields[i].alias_sv;
            csv_text(l->csv, g->csv_sv && alias && *alias ? alias : l->fields[i].name, g->csv_sv ? ';' : ',');
        }
        fputc('\n', l->csv);
    }

    /* The GDAL layer (the writer thread idle first: only one thread uses the dataset). */
    if (pl_gw_drain(g, err) != PL_OK)
        return NULL;
    pl_gw_gdal_enter(g);
    int rc = PL_OK;
    if (pl_gw_end_transaction(g) != OGRERR_NONE)
        rc = pl_gw_fail(g, err, PL_EINTERNAL, "%s: cannot commit rows: %s", g->path, pl_gw_db_msg(g));
    char **lco = NULL;
    if (rc == PL_OK) {
        lco = CSLSetNameValue(lco, "FID", "fid");
        if (spatial) {
            lco = CSLSetNameValue(lco, "GEOMETRY_NAME", "geom");
            /* Built by pl_gpkg_commit from the rows' envelopes (gpkg_rtree.c). */
            lco = CSLSetNameValue(lco, "SPATIAL_INDEX", "NO");
        } else {
            lco = CSLSetNameValue(lco, "ASPATIAL_VARIANT", "GPKG_ATTRIBUTES");
        }
        if (title && *title)
            lco = CSLSetNameValue(lco, "IDENTIFIER", title);
        l->lyr = GDALDatasetCreateLayer(g->ds, name, spatial ? g->srs : NULL, l->gtype, lco);
        if (!l->lyr)
            rc = pl_gw_fail(g, err, PL_EINTERNAL, "%s:%s: cannot create layer: %s", g->path, name, pl_gw_gdal_msg());
    }
    CSLDestroy(lco);
    for (int i = 0; rc == PL_OK && i < n_fields; i++) {
        OGRFieldType ot = fields[i].type == PL_FIELD_INT     ? OFTInteger
                        : fields[i].type == PL_FIELD_INT64   ? OFTInteger64
                        : fields[i].type == PL_FIELD_REAL    ? OFTReal
                                                             : OFTString;
        OGRFieldDefnH fd = OGR_Fld_Create(fields[i].name, ot);
        if (OGR_L_CreateField(l->lyr, fd, FALSE) != OGRERR_NONE)
            rc = pl_gw_fail(g, err, PL_EINTERNAL, "%s:%s: cannot create field '%s': %s", g->path, name, fields[i].name,
                      pl_gw_gdal_msg());
        OGR_Fld_Destroy(fd);
    }
    /* GDAL creates the table lazily: make it exist now, since rows go in with SQLite. */
    if (rc == PL_OK && OGR_L_SyncToDisk(l->lyr) != OGRERR_NONE)
        rc = pl_gw_fail(g, err, PL_EINTERNAL, "%s:%s: cannot create layer: %s", g->path, name, pl_gw_gdal_msg());
    pl_gw_gdal_leave();
    if (rc == PL_OK)
        rc = layer_check_table(g, l, err);
    if (rc == PL_OK)
        l->vals = pl_calloc((size_t)n_fields + 1, sizeof *l->vals);
    return rc == PL_OK ? l : NULL;
}

/* ------------------------------------------------------------------ rows */

static void row_error(pl_gpkg_layer *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void row_error(pl_gpkg_layer *l, const char *fmt, ...)
{
    if (l->row_err[0])
        return;  /* keep the first */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->row_err, sizeof l->row_err, fmt, ap);
    va_end(ap);
}

void pl_gpkg_row_begin(pl_gpkg_layer *l)
{
    if (!l || !l->lyr)
        return;
    for (int i = 0; i < l->n_fields; i++)
        l->vals[i].kind = VAL_NULL;
    l->txt.n = 0;
    l->geom.n = 0;
    l->geom_empty = 0;
    l->in_row = 1;
    l->row_err[0] = '\0';
}

static int row_field_ok(pl_gpkg_layer *l, int field)
{
    if (!l)
        return 0;
    if (!l->in_row) {
        row_error(l, "value set outside pl_gpkg_row_begin/pl_gpkg_row_end");
        return 0;
    }
    if (field < 0 || field >= l->n_fields) {
        row_error(l, "field index %d out of range (the layer has %d fields)", field, l->n_fields);
        return 0;
    }
    return 1;
}

/* Values are stored as the field's type, the way OGR converts a value set on a field. */
static void store_int(pl_gpkg_layer *l, int field, int64_t v)
{
    row_val *rv = &l->vals[field];
    if (l->fields[field].type == PL_FIELD_REAL) {
        rv->kind = VAL_REAL;
        rv->d = (double)v;
    } else if (l->fields[field].type == PL_FIELD_TEXT) {
        char num[32];
        snprintf(num, sizeof num, "%lld", (long long)v);
        pl_gpkg_set_text(l, field, num);
    } else {
        rv->kind = VAL_INT;
        rv->i = v;
    }
}

void pl_gpkg_set_int(pl_gpkg_layer *l, int field, int64_t v)
{
    if (!row_field_ok(l, field))
        return;
    if (l->fields[field].type == PL_FIELD_INT && (v < INT32_MIN || v > INT32_MAX)) {
        row_error(l, "value %lld does not fit the 32-bit field '%s'", (long long)v, l->fields[field].name);
        return;
    }
    store_int(l, field, v);
}

void pl_gpkg_set_real(pl_gpkg_layer *l, int field, double v)
{
    if (!row_field_ok(l, field))
        return;
    row_val *rv = &l->vals[field];
    if (isnan(v)) {
        rv->kind = VAL_NULL;
    } else if (l->fields[field].type == PL_FIELD_REAL) {
        rv->kind = VAL_REAL;
        rv->d = v;
    } else if (l->fields[field].type == PL_FIELD_TEXT) {
        char num[64];
        locale_t loc = c_locale(), old = loc ? uselocale(loc) : (locale_t)0;
        snprintf(num, sizeof num, "%.16g", v);  /* OGR's format for a real set on a text field */
        if (loc)
            uselocale(old);
        pl_gpkg_set_text(l, field, num);
    } else {  /* OGR truncates (and clamps) a real set on an integer field */
        double lo = l->fields[field].type == PL_FIELD_INT ? INT32_MIN : -9.2233720368547758e18;
        double hi = l->fields[field].type == PL_FIELD_INT ? INT32_MAX : 9.2233720368547748e18;
        rv->kind = VAL_INT;
        rv->i = v < lo ? (int64_t)lo : v > hi ? (int64_t)hi : (int64_t)v;
    }
}

void pl_gpkg_set_text(pl_gpkg_layer *l, int field, const char *v)
{
    if (!row_field_ok(l, field))
        return;
    row_val *rv = &l->vals[field];
    if (!v) {
        rv->kind = VAL_NULL;
        return;
    }
    if (l->fields[field].type != PL_FIELD_TEXT) {  /* numbers given as text: as OGR parses them */
        if (l->fields[field].type == PL_FIELD_REAL) {
            rv->kind = VAL_REAL;
            rv->d = strtod(v, NULL);
        } else {
            rv->kind = VAL_INT;
            rv->i = strtoll(v, NULL, 10);
        }
        return;
    }
    size_t n = strlen(v) + 1;
    if (pl_blob_reserve(&l->txt, l->txt.n + n) != 0) {
        row_error(l, "out of memory");
        return;
    }
    memcpy(l->txt.b + l->txt.n, v, n);
    rv->kind = VAL_TEXT;
    rv->t.off = (uint32_t)l->txt.n;
    rv->t.len = (uint32_t)(n - 1);
    l->txt.n += n;
}

/* The WKB type a geometry of flat type `have` is written as in the layer: the layer's own
 * type, a promotion of a single to its multi type (or into a collection), or -1. */
static int target_type(const pl_gpkg_layer *l, int have)
{
    int want = (int)wkbFlatten(l->gtype);
    if (want == wkbUnknown || have == want)
        return have;
    if ((want == wkbMultiPoint && have == wkbPoint) || (want == wkbMultiLineString && have == wkbLineString) ||
        (want == wkbMultiPolygon && have == wkbPolygon) || want == wkbGeometryCollection)
        return want;
    return -1;
}

/* Encodes little-endian WKB as the row's geometry blob, promoting it to the layer's type. */
static void set_wkb(pl_gpkg_layer *l, const unsigned char *wkb, size_t n)
{
    int have = 0;
    if (pl_wkb_envelope(wkb, n, NULL, &have) < 0 || wkb[0] != 1) {
        row_error(l, "the geometry's WKB is malformed");
        return;
    }
    int want = target_type(l, have);
    if (want < 0) {
        row_error(l, "a %s geometry does not fit the layer's type %s", OGRGeometryTypeToName((OGRwkbGeometryType)have),
                  OGRGeometryTypeToName(wkbFlatten(l->gtype)));
        return;
    }
    int wrap = 0;
    if (want != have && have >= wkbMultiPoint) {
        /* A multi geometry into a collection: the same parts under the collection's code. */
        if (pl_blob_reserve(&l->wkb, n) != 0) {
            row_error(l, "out of memory");
            return;
        }
        memcpy(l->wkb.b, wkb, n);
        l->wkb.b[1] = wkbGeometryCollection;
        l->wkb.b[2] = l->wkb.b[3] = l->wkb.b[4] = 0;
        wkb = l->wkb.b;
    } else if (want != have) {
        wrap = want;
    }
    if (pl_gpkg_blob_from_wkb(&l->geom, wkb, n, l->srs_id, wrap, &l->env, &l->geom_empty) != 0) {
        l->geom.n = 0;
        row_error(l, "cannot encode the geometry");
    }
}

static int geometry_ok(pl_gpkg_layer *l)
{
    if (!l)
        return 0;
    if (!l->in_row) {
        row_error(l, "geometry set outside pl_gpkg_row_begin/pl_gpkg_row_end");
        return 0;
    }
    if (l->gtype == wkbNone) {
        row_error(l, "attribute table rows have no geometry");
        return 0;
    }
    return 1;
}

void pl_gpkg_set_geos(pl_gpkg_layer *l, const GEOSGeometry *geom)
{
    if (!geometry_ok(l))
        return;
    if (!geom) {
        l->geom.n = 0;  /* NULL geometry */
        return;
    }
    GEOSContextHandle_t h = l->g->ctx->geos;
    /* Polygons (every cell of a national grid) straight from their coordinates; the same
     * WKB as GEOS's writer's, in a buffer kept with the layer. */
    int direct = pl_geos_polygonal_wkb(h, geom, &l->poly_wkb);
    if (direct < 0) {
        row_error(l, "GEOS cannot give the geometry's coordinates");
        return;
    }
    if (direct == 0) {
        set_wkb(l, l->poly_wkb.b, l->poly_wkb.n);
        return;
    }
    if (!l->wkb_writer) {  /* one per layer, kept until the layer is freed */
        l->wkb_writer = GEOSWKBWriter_create_r(h);
        if (!l->wkb_writer) {
            row_error(l, "GEOS cannot create a WKB writer");
            return;
        }
        GEOSWKBWriter_setOutputDimension_r(h, l->wkb_writer, 2);
        GEOSWKBWriter_setByteOrder_r(h, l->wkb_writer, GEOS_WKB_NDR);
    }
    size_t size = 0;
    unsigned char *wkb = GEOSWKBWriter_write_r(h, l->wkb_writer, geom, &size);
    if (!wkb) {
        row_error(l, "GEOS cannot write the geometry as WKB");
        return;
    }
    set_wkb(l, wkb, size);
    GEOSFree_r(h, wkb);
}

static void put_le64(unsigned char *p, double v)
{
    memcpy(p, &v, 8);  /* little-endian host, as everywhere platsa runs (see gpkg_blob.c) */
}

void pl_gpkg_set_xy(pl_gpkg_layer *l, double x, double y)
{
    if (!geometry_ok(l))
        return;
    unsigned char wkb[21] = {1, wkbPoint, 0, 0, 0};
    put_le64(wkb + 5, x);
    put_le64(wkb + 13, y);
    set_wkb(l, wkb, sizeof wkb);
}

static void *plan_thread(void *arg)
{
    pl_gpkg_layer *l = arg;
    l->plan = pl_rtree_plan_new(&l->ahead, PL_RTREE_NODE_SIZE);  /* NULL: packed at the commit */
    return NULL;
}

void pl_gpkg_layer_index_ahead(pl_gpkg_layer *l, const pl_envelope *env, size_t n)
{
    /* Only into a new table: its rows get fids 1, 2, ... in order. */
    if (!l || l->base || l->gtype == wkbNone || l->n_rows != 0 || l->ahead_on || l->plan_running || l->g->failed)
        return;
    for (size_t i = 0; i < n; i++)
        if (env[i].minx <= env[i].maxx && env[i].miny <= env[i].maxy &&
            pl_rtree_list_add(&l->ahead, (int64_t)i + 1, &env[i]) != 0) {
            pl_rtree_list_free(&l->ahead);
            return;
        }
    if (l->ahead.n == 0)
        return;
    l->ahead_seen = 0;
    l->plan_running = pthread_create(&l->plan_thread, NULL, plan_thread, l) == 0;
    l->ahead_on = l->plan_running;
    if (!l->ahead_on)
        pl_rtree_list_free(&l->ahead);
}

static void csv_row(pl_gpkg_layer *l)
{
    int sv = l->g->csv_sv;
    char sep = sv ? ';' : ',';
    for (int i = 0; i < l->n_fields; i++) {
        if (i)
            fputc(sep, l->csv);
        const row_val *v = &l->vals[i];
        switch (v->kind) {
        case VAL_INT:
            fprintf(l->csv, "%lld", (long long)v->i);
            break;
        case VAL_REAL:
            if (isfinite(v->d)) {
                char num[64];
                pl_gw_fmt_double(num, sizeof num, v->d);
                char *dot = sv ? strchr(num, '.') : NULL;
                if (dot)
                    *dot = ',';  /* the same digits, decimal comma */
                fputs(num, l->csv);
            }
            break;
        case VAL_TEXT:
            csv_text(l->csv, (const char *)l->txt.b + v->t.off, sep);
            break;
        default:
            break;
        }
    }
    fputc('\n', l->csv);
}

/* The finished row as one allocation for the writer thread. */
static qrow *pack_row(pl_gpkg_layer *l)
{
    size_t vals = (size_t)l->n_fields * sizeof(row_val);
    size_t need = sizeof(qrow) + vals + l->txt.n + l->geom.n;
    qrow *r = pl_gw_pool_get(l->g);
    if (!r || r->cap < need) {
        size_t cap = need < 4096 ? 4096 : need + need / 4;
        r = pl_realloc(r, cap);
        r->cap = cap;
    }
    r->next = NULL;
    r->l = l;
    r->txt_n = l->txt.n;
    r->geom_n = l->geom.n;
    r->geom_empty = l->geom_empty;
    r->env = l->env;
    memcpy(r->v, l->vals, vals);
    char *data = (char *)(r->v + l->n_fields);
    if (l->txt.n)
        memcpy(data, l->txt.b, l->txt.n);
    if (l->geom.n)
        memcpy(data + l->txt.n, l->geom.b, l->geom.n);
    return r;
}

int pl_gpkg_row_end(pl_gpkg_layer *l, pl_error *err)
{
    if (!l)
        return pl_error_set(err, PL_EINTERNAL, "pl_gpkg_row_end: no layer");
    pl_gpkg *g = l->g;
    if (g->failed)
        return pl_gw_sticky(g, err);
    if (l->base)
        return pl_gw_fail(g, err, PL_EINTERNAL, "%s:%s: a view has no rows of its own", g->path, l->name);
    if (!l->in_row)
        return pl_gw_fail(g, err, PL_EINTERNAL, "%s:%s: pl_gpkg_row_end without pl_gpkg_row_begin", g->path, l->name);
    l->in_row = 0;
    if (l->row_err[0])
        return pl_gw_fail(g, err, PL_EINTERNAL, "%s:%s: feature %lld: %s", g->path, l->name, l->n_rows + 1, l->row_err);
    if (g->worker_on && g->n_stage == 0) {  /* a failure of rows inserted earlier fails this one too */
        pthread_mutex_lock(&g->mu);
        int failed = g->async_failed;
        pl_error e = g->async_err;
        pthread_mutex_unlock(&g->mu);
        if (failed)
            return pl_gw_fail(g, err, e.code, "%s", e.msg);
    }
    if (l->csv) {
        csv_row(l);
        if (ferror(l->csv))
            return pl_gw_fail(g, err, PL_EINTERNAL, "%s: cannot write %s: %s", g->path, l->csv_final, strerror(errno));
    }
    l->n_rows++;
    qrow *r = pack_row(l);
    /* The row goes to the writer thread, which inserts it while the caller builds the next
     * ones; a failure to insert is reported by a later pl_gpkg_row_end or by pl_gpkg_commit
     * (the output fails either way). Without a thread the row is inserted here. */
    pl_gw_start_worker(g);
    if (g->worker_on) {
        g->stage[g->n_stage++] = r;
        if (g->n_stage == STAGE_ROWS)
            pl_gw_flush_stage(g);
        /* Start writing what SQLite wrote so far to disk, here on the caller's thread (which
         * waits for the writer thread anyway), without waiting for it: the fsync before the
         * rename then finds little left to do (a national run writes ~800 MB). */
        if (g->writeback_fd >= 0 && l->n_rows % WRITEBACK_ROWS == 0)
            sync_file_range(g->writeback_fd, 0, 0, SYNC_FILE_RANGE_WRITE);
        return PL_OK;
    }
    pl_error e = {0};
    int bad = pl_gw_insert_row(g, r, &e) != 0;
    pl_gw_pool_put(g, r);
    return bad ? pl_gw_fail(g, err, e.code, "%s", e.msg) : PL_OK;
}
