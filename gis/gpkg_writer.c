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

#define DEFAULT_BATCH_ROWS 50000
#define QUEUE_ROWS 1024        /* rows handed to the writer thread and not yet inserted */
#define STAGE_ROWS 64          /* rows the caller hands over at once (one lock, one wake-up) */
#define WRITEBACK_ROWS 32768  /* rows between early write-back requests (pl_gpkg_row_end) */
#define MULTI_ROWS 16          /* rows per INSERT statement when a run of rows allows it */
#define MAX_OPEN_OUTPUTS 32
#define MAX_TEMPS 40           /* per output: the GeoPackage, its 3 SQLite side files, CSV twins */
#define OPEN_CLASS_UPPER 1e12  /* upper value of the open last graduated class */
#define STYLE_NAME_MAX 30      /* layer_styles.styleName is TEXT(30) in QGIS's schema */

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
static void fmt_double(char *buf, size_t size, double v)
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

/* A number for a Swedish legend label: at most 10 significant digits, decimal comma. */
static void fmt_label_number(char *buf, size_t size, double v)
{
    locale_t loc = c_locale();
    locale_t old = loc ? uselocale(loc) : (locale_t)0;
    snprintf(buf, size, "%.10g", v);
    if (loc)
        uselocale(old);
    for (char *p = buf; *p; p++)
        if (*p == '.')
            *p = ',';
}

static char *dup_or_null(const char *s)
{
    return s ? pl_strdup(s) : NULL;
}

/* Reads a whole text file; NULL on failure (errno set). */
static char *read_file(const char *path)
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

/* ------------------------------------------------------------------ types */

typedef struct input_rec {
    char *spec;       /* as given */
    char *file;       /* file part of the spec */
    long long size;   /* -1 when not a regular file */
    char sha256[65];  /* "" when not hashed */
    int same;         /* index of an earlier input that is the same file, or -1 */
} input_rec;

/* The inputs' sizes and hashes, computed on their own thread (see pl_gpkg_hashes_start). */
struct pl_gpkg_hashes {
    input_rec *inputs;
    int n;
    pthread_t thread;
    int on;             /* the thread runs (joined by hashes_join) */
};

typedef struct param_rec {
    char *name, *value;
} param_rec;

/* A field value of the row being built (16 bytes: rows of 70 values are copied once
 * more to the writer thread). */
enum { VAL_NULL, VAL_INT, VAL_REAL, VAL_TEXT };
typedef struct row_val {
    union {
        int64_t i;
        double d;
        struct {
            uint32_t off, len;  /* VAL_TEXT: offset and length of the NUL-terminated text */
        } t;
    };
    int kind;
} row_val;

/* A finished row handed to the writer thread: one allocation, values then texts then
 * the geometry blob. */
typedef struct qrow {
    struct qrow *next;  /* in the pool of free rows */
    size_t cap;         /* bytes allocated */
    pl_gpkg_layer *l;
    size_t txt_n, geom_n;
    int geom_empty;
    pl_envelope env;
    row_val v[];
} qrow;

static const char *qrow_text(const qrow *r, int n_fields)
{
    return (const char *)(r->v + n_fields);
}

struct pl_gpkg_layer {
    pl_gpkg *g;
    char *name, *title;
    OGRwkbGeometryType gtype;  /* wkbNone for attribute tables */
    OGRLayerH lyr;
    pl_field_def *fields;      /* deep copies */
    int n_fields;
    pl_style_kind style_kind;
    char *style_name;
    char *qml;                 /* generated at layer_add; NULL for PL_STYLE_NONE */
    int in_row;                /* between pl_gpkg_row_begin and pl_gpkg_row_end */
    struct row_val *vals;      /* the row being built: one value per field */
    pl_blob txt;               /* its text values, NUL-terminated, at vals[i].off */
    pl_blob geom;              /* its geometry blob (geom.n == 0: NULL geometry) */
    pl_blob wkb;               /* scratch WKB for promoted geometries */
    int geom_empty;
    pl_envelope env;
    GEOSWKBWriter *wkb_writer; /* pl_gpkg_set_geos's, created on first use */
    int srs_id;                /* gpkg_geometry_columns.srs_id GDAL chose */
    const pl_gpkg_layer *base; /* a view (pl_gpkg_view_add): the table it selects from; NULL: a table */
    /* Writer-thread state: */
    sqlite3_stmt *ins;         /* INSERT INTO the layer's table, prepared on first row */
    sqlite3_stmt *ins_multi;   /* the same for MULTI_ROWS rows at once (NULL: not possible) */
    int multi_tried;           /* ins_multi was prepared (or found impossible) */
    pl_rtree_list rtree;       /* envelopes of the inserted geometries, for the index */
    long long n_inserted;      /* rows the writer has inserted (its own count, for messages) */
    char row_err[512];
    long long n_rows;
    FILE *csv;
    int csv_slot;              /* index of the CSV temp in g->temps */
    char *csv_final;
};

struct pl_gpkg {
    pl_ctx *ctx;
    char *path;         /* as given, for messages */
    char *dir;          /* folder of the output */
    char *stem;         /* basename without .gpkg */
    GDALDatasetH ds;
    sqlite3 *db;        /* GDAL's connection to ds: rows are inserted on it (one writer at a time) */
    OGRSpatialReferenceH srs;
    int overwrite, csv;
    char *command_line;
    pl_gpkg_hashes *hashes;
    input_rec *inputs;  /* hashes->inputs */
    int n_inputs;
    param_rec *params;
    int n_params;
    char ts_gpkg[32];   /* 2024-05-01T12:00:00.000Z: GPKG DATETIME */
    char ts_iso[32];    /* 2024-05-01T12:00:00Z */
    int ts_y, ts_mo, ts_d, ts_h, ts_mi, ts_s;
    pl_gpkg_layer **layers;
    int n_layers;
    long batch_rows;
    long tx_rows;
    int in_tx;
    int failed;
    pl_error fail_err;
    int slot;           /* index in the registry, -1 when not registered */
    /* Rows are inserted by a writer thread (see pl_gpkg_row_end): a bounded queue of
     * finished features, guarded by mu. Only the writer touches ds while it runs; every
     * other use of ds first waits until the queue is empty and the writer idle (drain). */
    int worker_on;
    pthread_t worker;
    pthread_mutex_t mu;
    pthread_cond_t cv_put, cv_get;
    struct qrow *q[QUEUE_ROWS];
    struct qrow *pool;  /* inserted rows kept for reuse: no malloc/free per row across threads */
    struct qrow *free_rows;          /* the caller's share of the pool, taken all at once */
    struct qrow *stage[STAGE_ROWS];  /* finished rows not yet handed to the writer thread */
    int n_stage;
    int q_head, q_n, q_busy, q_stop, q_discard;
    int async_failed;   /* the writer's first failure, handed to fail() by drain */
    double writer_cpu_s;/* CPU seconds of the writer threads so far (for -v) */
    int writeback_fd;   /* read-only descriptor of the temporary file for early write-back,
                           closed only after every SQLite connection to it (-1: none) */
    pl_error async_err;
    /* Temporary files, unlinked by abort and by pl_gpkg_cleanup_all (signal path):
     * a path is complete before n_temps counts it. */
    volatile sig_atomic_t n_temps;
    char temps[MAX_TEMPS][PATH_MAX];
};

/* Tests: rename number k of the next commits fails (pl_gpkg_fail_rename_at); -1 none. */
static int g_fail_rename_at = -1;

void pl_gpkg_fail_rename_at(int k)
{
    g_fail_rename_at = k;
}

/* Open outputs, for pl_gpkg_cleanup_all. */
static pl_gpkg *volatile g_registry[MAX_OPEN_OUTPUTS];

/* ------------------------------------------------------------------ registry */

static int registry_add(pl_gpkg *g)
{
    for (int i = 0; i < MAX_OPEN_OUTPUTS; i++) {
        if (!g_registry[i]) {
            g_registry[i] = g;
            g->slot = i;
            return 0;
        }
    }
    return -1;
}

static void registry_remove(pl_gpkg *g)
{
    if (g->slot >= 0 && g->slot < MAX_OPEN_OUTPUTS && g_registry[g->slot] == g)
        g_registry[g->slot] = NULL;
    g->slot = -1;
}

static int temp_add(pl_gpkg *g, const char *path)
{
    int n = (int)g->n_temps;
    if (n >= MAX_TEMPS)
        return -1;
    snprintf(g->temps[n], sizeof g->temps[n], "%s", path);
    g->n_temps = n + 1;
    return n;
}

/* Temporary files of other writers (the graph cache), removed by pl_gpkg_cleanup_all too.
 * A slot's path is complete before its flag is set, and the flag is cleared before the
 * slot is reused. */
#define MAX_LOOSE_TEMPS 8
static char g_loose[MAX_LOOSE_TEMPS][PATH_MAX];
static volatile sig_atomic_t g_loose_on[MAX_LOOSE_TEMPS];

int pl_temp_register(const char *path)
{
    if (!path || strlen(path) >= PATH_MAX)
        return -1;
    for (int i = 0; i < MAX_LOOSE_TEMPS; i++) {
        if (!g_loose_on[i]) {
            snprintf(g_loose[i], sizeof g_loose[i], "%s", path);
            g_loose_on[i] = 1;
            return i;
        }
    }
    return -1;
}

void pl_temp_unregister(int slot)
{
    if (slot >= 0 && slot < MAX_LOOSE_TEMPS)
        g_loose_on[slot] = 0;
}

void pl_gpkg_cleanup_all(void)
{
    /* Only unlink() of precomputed paths: callable from a signal handler's exit path. */
    for (int i = 0; i < MAX_LOOSE_TEMPS; i++)
        if (g_loose_on[i])
            unlink(g_loose[i]);
    for (int i = 0; i < MAX_OPEN_OUTPUTS; i++) {
        pl_gpkg *g = g_registry[i];
        if (!g)
            continue;
        int n = (int)g->n_temps;
        for (int k = 0; k < n && k < MAX_TEMPS; k++)
            unlink(g->temps[k]);
    }
}

void pl_gpkg_abandon_all(void)
{
    pl_gpkg_cleanup_all();
    for (int i = 0; i < MAX_LOOSE_TEMPS; i++)
        g_loose_on[i] = 0;
    for (int i = 0; i < MAX_OPEN_OUTPUTS; i++)
        g_registry[i] = NULL;
}

/* ------------------------------------------------------------------ GDAL plumbing */

static void gdal_enter(const pl_gpkg *g)
{
    CPLPushErrorHandler(CPLQuietErrorHandler);
    CPLErrorReset();
    /* gpkg_contents.last_change and every other GDAL-written time. */
    CPLSetThreadLocalConfigOption("OGR_CURRENT_DATE", g->ts_gpkg);
}

static void gdal_leave(void)
{
    CPLSetThreadLocalConfigOption("OGR_CURRENT_DATE", NULL);
    CPLPopErrorHandler();
}

static const char *gdal_msg(void)
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
static int fail(pl_gpkg *g, pl_error *err, pl_status code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(pl_gpkg *g, pl_error *err, pl_status code, const char *fmt, ...)
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

static int sticky(const pl_gpkg *g, pl_error *err)
{
    return pl_error_set(err, g->fail_err.code, "%s", g->fail_err.msg);
}

static int flat_kind(OGRwkbGeometryType t)
{
    switch (wkbFlatten(t)) {
    case wkbPoint:
    case wkbMultiPoint: return 0;
    case wkbLineString:
    case wkbMultiLineString: return 1;
    default: return 2;
    }
}

/* ------------------------------------------------------------------ QML from templates */

/* Replaces @NAME@ tokens (NAME = [A-Z0-9_]+) with values; template-documentation
 * comments ("<!-- platsa ...-->") are dropped. Returns NULL and names the token in
 * `bad` when the template has a placeholder the code does not know. */
static char *subst(const char *tpl, const char *const *keys, const char *const *vals, int n,
                   char *bad, size_t bad_size)
{
    pl_strbuf b = {0};
    const char *p = tpl;
    while (*p) {
        if (strncmp(p, "<!-- platsa", 11) == 0) {
            const char *end = strstr(p, "-->");
            if (!end)
                break;
            p = end + 3;
            while (b.n > 0 && (b.s[b.n - 1] == ' ' || b.s[b.n - 1] == '\t'))
                b.s[--b.n] = '\0';
            if (*p == '\n' && (b.n == 0 || b.s[b.n - 1] == '\n'))
                p++;
            continue;
        }
        if (*p == '@') {
            const char *q = p + 1;
            while ((*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') || *q == '_')
                q++;
            if (q > p + 1 && *q == '@') {
                size_t len = (size_t)(q - p - 1);
                int found = -1;
                for (int i = 0; i < n; i++)
                    if (strlen(keys[i]) == len && strncmp(keys[i], p + 1, len) == 0)
                        found = i;
                if (found < 0) {
                    snprintf(bad, bad_size, "%.*s", (int)len, p + 1);
                    free(b.s);
                    return NULL;
                }
                pl_sb_puts(&b, vals[found]);
                p = q + 1;
                continue;
            }
        }
        pl_sb_add(&b, p, 1);
        p++;
    }
    if (!b.s)
        pl_sb_puts(&b, "");
    return b.s;
}

static int load_template(pl_gpkg *g, const char *layer, const char *name, char **out, pl_error *err)
{
    char rel[64], path[PATH_MAX];
    snprintf(rel, sizeof rel, "styles/%s", name);
    pl_share_path(path, sizeof path, rel);
    *out = read_file(path);
    if (!*out)
        return pl_error_set(err, PL_EINTERNAL, "%s:%s: cannot read style template %s (%s); "
                            "set PLATSA_SHARE to platsa's share folder", g->path, layer, path,
                            strerror(errno));
    return PL_OK;
}

typedef struct rgb {
    int r, g, b;
} rgb;

static const rgb RAMP_ACCESS[] = {{26, 150, 65}, {166, 217, 106}, {255, 255, 191}, {253, 174, 97}, {215, 25, 28}};
static const rgb RAMP_GREEN[] = {{237, 248, 233}, {186, 228, 179}, {116, 196, 118}, {49, 163, 84}, {0, 109, 44}};
static const rgb GREY = {190, 190, 190};
static const rgb PASS_GREEN = {26, 150, 65};
static const rgb FAIL_RED = {215, 25, 28};
static const rgb SINGLE_FILL = {120, 165, 205};
static const rgb SINGLE_MARK = {31, 120, 180};

static rgb ramp_at(const rgb *anchors, int n_anchors, double t)
{
    if (t <= 0)
        return anchors[0];
    if (t >= 1)
        return anchors[n_anchors - 1];
    double x = t * (n_anchors - 1);
    int i = (int)x;
    double f = x - i;
    rgb c;
    c.r = (int)lround(anchors[i].r + f * (anchors[i + 1].r - anchors[i].r));
    c.g = (int)lround(anchors[i].g + f * (anchors[i + 1].g - anchors[i].g));
    c.b = (int)lround(anchors[i].b + f * (anchors[i + 1].b - anchors[i].b));
    return c;
}

static char *make_symbol(const char *tpl, const char *name, rgb c, char *bad, size_t bad_size)
{
    char color[32];
    snprintf(color, sizeof color, "%d,%d,%d,255", c.r, c.g, c.b);
    const char *keys[] = {"NAME", "COLOR"};
    const char *vals[] = {name, color};
    return subst(tpl, keys, vals, 2, bad, bad_size);
}

/* "&quot;field&quot;" style quoting happens in pl_sb_xml; here the QGIS expression form. */
static void quoted_identifier(pl_strbuf *b, const char *name)
{
    pl_sb_puts(b, "\"");
    for (const char *p = name; *p; p++) {
        if (*p == '"')
            pl_sb_puts(b, "\"\"");
        else
            pl_sb_add(b, p, 1);
    }
    pl_sb_puts(b, "\"");
}

static char *make_aliases(const pl_gpkg_layer *l)
{
    pl_strbuf b = {0};
    /* QGIS's OGR provider shows the FID column "fid" as field 0. */
    pl_sb_puts(&b, "    <alias field=\"fid\" index=\"0\" name=\"\"/>");
    for (int i = 0; i < l->n_fields; i++) {
        pl_sb_printf(&b, "\n    <alias field=\"");
        pl_sb_xml(&b, l->fields[i].name);
        pl_sb_printf(&b, "\" index=\"%d\" name=\"", i + 1);
        pl_sb_xml(&b, l->fields[i].alias_sv ? l->fields[i].alias_sv : "");
        pl_sb_puts(&b, "\"/>");
    }
    return b.s;
}

static void label_range(char *buf, size_t size, double lo, double hi, const char *unit, int first)
{
    char a[64], c[64];
    fmt_label_number(a, sizeof a, lo);
    fmt_label_number(c, sizeof c, hi);
    const char *sp = unit && *unit ? " " : "";
    if (first && lo == hi)
        snprintf(buf, size, "\xe2\x89\xa4 %s%s%s", c, sp, unit ? unit : "");       /* ≤ */
    else
        snprintf(buf, size, "%s\xe2\x80\x93%s%s%s", a, c, sp, unit ? unit : "");  /* en dash */
}

/* Builds the QML of a layer from the templates. */
static int make_qml(pl_gpkg *g, pl_gpkg_layer *l, const pl_style *st, pl_error *err)
{
    if (st->kind == PL_STYLE_NONE)
        return PL_OK;
    int kind = flat_kind(l->gtype);
    const char *sym_name = kind == 0 ? "symbol_marker.qml" : kind == 1 ? "symbol_line.qml" : "symbol_fill.qml";
    const char *doc_name = st->kind == PL_STYLE_GRADUATED ? "graduated.qml"
                         : st->kind == PL_STYLE_PASS_FAIL ? "pass_fail.qml" : "single.qml";
    char *sym_tpl = NULL, *doc_tpl = NULL;
    int rc = load_template(g, l->name, sym_name, &sym_tpl, err);
    if (rc == PL_OK)
        rc = load_template(g, l->name, doc_name, &doc_tpl, err);
    if (rc != PL_OK) {
        free(sym_tpl);
        free(doc_tpl);
        return rc;
    }

    char bad[64] = "";
    char geom_type[8];
    snprintf(geom_type, sizeof geom_type, "%d", kind);
    char *aliases = make_aliases(l);
    pl_strbuf attr = {0}, ranges = {0}, symbols = {0};
    char *source = NULL, *qml = NULL;
    char *s0 = NULL, *s1 = NULL, *s2 = NULL;
    int ok = 1;

    if (st->kind == PL_STYLE_GRADUATED) {
        int k = st->n_breaks;
        int use_green = st->ramp && strcmp(st->ramp, "green") == 0;
        const rgb *anchors = use_green ? RAMP_GREEN : RAMP_ACCESS;
        const char *null_label = st->null_label ? st->null_label : use_green ? "uppgift saknas" : "ej n\xc3\xa5" "bar";
        double lower0 = st->breaks[0] < 0 ? st->breaks[0] : 0.0;
        double sentinel = lower0 - 1.0;   /* NULL is mapped here: below every class */
        double open_upper = OPEN_CLASS_UPPER;
        if (st->breaks[k - 1] >= open_upper)
            open_upper = st->breaks[k - 1] * 10.0;
        char sent[64];
        fmt_double(sent, sizeof sent, sentinel);
        pl_sb_puts(&attr, "coalesce(");
        quoted_identifier(&attr, st->field);
        pl_sb_printf(&attr, ", %s)", sent);

        int n_classes = k + 1;
        for (int i = 0; i <= k + 1 && ok; i++) {
            double lo, hi;
            char label[256];
            rgb c;
            if (i < k) {
                lo = i == 0 ? lower0 : st->breaks[i - 1];
                hi = st->breaks[i];
                label_range(label, sizeof label, lo, hi, st->unit, i == 0);
                c = ramp_at(anchors, 5, n_classes > 1 ? (double)i / (n_classes - 1) : 0.0);
            } else if (i == k) {
                lo = st->breaks[k - 1];
                hi = open_upper;
                char a[64];
                fmt_label_number(a, sizeof a, lo);
                snprintf(label, sizeof label, "> %s%s%s", a, st->unit && *st->unit ? " " : "",
                         st->unit ? st->unit : "");
                c = ramp_at(anchors, 5, 1.0);
            } else {
                lo = hi = sentinel;
                snprintf(label, sizeof label, "%s", null_label);
                c = GREY;
            }
            char los[64], his[64], name[16];
            fmt_double(los, sizeof los, lo);
            fmt_double(his, sizeof his, hi);
            snprintf(name, sizeof name, "%d", i);
            if (i > 0)
                pl_sb_puts(&ranges, "\n");
            pl_sb_printf(&ranges, "      <range symbol=\"%d\" lower=\"%s\" upper=\"%s\" label=\"", i, los, his);
            pl_sb_xml(&ranges, label);
            pl_sb_puts(&ranges, "\" render=\"true\"/>");
            char *sym = make_symbol(sym_tpl, name, c, bad, sizeof bad);
            if (!sym) {
                ok = 0;
                break;
            }
            pl_sb_puts(&symbols, sym);
            free(sym);
            if (i == 0)
                source = make_symbol(sym_tpl, "0", c, bad, sizeof bad);
        }
        if (ok && source) {
            const char *keys[] = {"ATTR", "RANGES", "SYMBOLS", "SOURCE_SYMBOL", "ALIASES", "GEOMETRY_TYPE"};
            pl_strbuf ax = {0};
            pl_sb_xml(&ax, attr.s);
            const char *vals[] = {ax.s, ranges.s, symbols.s, source, aliases, geom_type};
            qml = subst(doc_tpl, keys, vals, 6, bad, sizeof bad);
            free(ax.s);
        }
    } else if (st->kind == PL_STYLE_PASS_FAIL) {
        s0 = make_symbol(sym_tpl, "0", PASS_GREEN, bad, sizeof bad);
        s1 = s0 ? make_symbol(sym_tpl, "1", FAIL_RED, bad, sizeof bad) : NULL;
        s2 = s1 ? make_symbol(sym_tpl, "2", GREY, bad, sizeof bad) : NULL;
        source = s2 ? make_symbol(sym_tpl, "0", PASS_GREEN, bad, sizeof bad) : NULL;
        if (source) {
            pl_strbuf ax = {0};
            pl_sb_xml(&ax, st->field);
            const char *keys[] = {"ATTR", "SYMBOL_PASS", "SYMBOL_FAIL", "SYMBOL_NULL", "SOURCE_SYMBOL",
                                  "ALIASES", "GEOMETRY_TYPE"};
            const char *vals[] = {ax.s, s0, s1, s2, source, aliases, geom_type};
            qml = subst(doc_tpl, keys, vals, 7, bad, sizeof bad);
            free(ax.s);
        }
    } else {
        s0 = make_symbol(sym_tpl, "0", kind == 2 ? SINGLE_FILL : SINGLE_MARK, bad, sizeof bad);
        if (s0) {
            const char *keys[] = {"SYMBOL", "ALIASES", "GEOMETRY_TYPE"};
            const char *vals[] = {s0, aliases, geom_type};
            qml = subst(doc_tpl, keys, vals, 3, bad, sizeof bad);
        }
    }

    free(aliases);
    free(attr.s);
    free(ranges.s);
    free(symbols.s);
    free(source);
    free(s0);
    free(s1);
    free(s2);
    free(sym_tpl);
    free(doc_tpl);
    if (!qml)
        return pl_error_set(err, PL_EINTERNAL, "%s:%s: style template %s or %s has unknown placeholder @%s@",
                            g->path, l->name, doc_name, sym_name, bad);
    l->qml = qml;
    return PL_OK;
}

/* ------------------------------------------------------------------ create */

void pl_gpkg_process_init(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);  /* SQLITE_MISUSE once SQLite is in use: harmless */
}


/* Is `rest` (what follows ".BASE.tmp-PID[-K]" in a file name, without a commit's "-old") one
 * of the writer's own suffixes: "", "-journal", "-wal", "-shm" or "-TABLE.csv"? */
static int temp_suffix(const char *rest)
{
    if (!*rest || !strcmp(rest, "-journal") || !strcmp(rest, "-wal") || !strcmp(rest, "-shm"))
        return 1;
    size_t n = strlen(rest);
    return rest[0] == '-' && n > 5 && !strcmp(rest + n - 4, ".csv") && !memchr(rest, '.', n - 4) &&
           !strchr(rest, '/');
}

/* Removes the temporary files of earlier runs writing the same output that died without
 * cleaning up (SIGKILL, a crash, power loss): ".BASE.tmp-PID..." in the output folder whose
 * process PID no longer exists. Files of live processes (or of PIDs we cannot judge) are
 * left alone. Returns how many files were removed. */
static long remove_stale_temps(const char *dir, const char *base)
{
    return pl_commit_remove_stale(dir, base, temp_suffix, NULL);
}

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
    sqlite3_finalize(l->ins);
    sqlite3_finalize(l->ins_multi);
    free(l->vals);
    pl_blob_free(&l->txt);
    pl_blob_free(&l->geom);
    pl_blob_free(&l->wkb);
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

static void pool_free(pl_gpkg *g);

static void free_gpkg(pl_gpkg *g)
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
    pool_free(g);
    if (g->srs)
        OSRDestroySpatialReference(g->srs);
    free(g->path);
    free(g->dir);
    free(g->stem);
    free(g->command_line);
    free(g);
}

/* Closes GDAL and CSV handles, removes every temporary file, frees g. */
static void stop_worker(pl_gpkg *g, int discard);
static int drain(pl_gpkg *g, pl_error *err);

static void discard(pl_gpkg *g)
{
    if (!g)
        return;
    stop_worker(g, 1);
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
    registry_remove(g);
    free_gpkg(g);
}

/* Size and SHA-256 of every input (on the hashes' thread). */
/* The input layer's own title when it is a GeoPackage layer (gpkg_contents.identifier): a
 * layer made by platsa synth says there whether it is REAL or SYNTHETIC, and the run's
 * metadata carries that on to reports. Returns 1 with title set, else 0. */
static int input_layer_title(const input_rec *r, char *title, size_t size)
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

static void hashes_join(pl_gpkg_hashes *h)
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
    hashes_join(h);  /* it reads h->inputs */
    for (int i = 0; i < h->n; i++) {
        free(h->inputs[i].spec);
        free(h->inputs[i].file);
    }
    free(h->inputs);
    free(h);
}

int pl_gpkg_check_output(const char *path, const pl_gpkg_opts *opts, const char *const *csv_tables, pl_error *err)
{
    if (!path || !*path)
        return pl_error_set(err, PL_EINPUT, "no output file given (-o FILE.gpkg)");
    int overwrite = opts && opts->overwrite;
    const char *const *inputs = opts ? opts->inputs : NULL;
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
    g->hashes = opts->hashes ? opts->hashes : pl_gpkg_hashes_start(opts->inputs);
    g->inputs = g->hashes->inputs;
    g->n_inputs = g->hashes->n;
    g->writeback_fd = -1;
    g->ctx = ctx;
    g->slot = -1;
    g->path = pl_strdup(path);
    g->overwrite = opts->overwrite;
    g->csv = opts->csv;
    g->command_line = dup_or_null(opts->command_line);
    g->batch_rows = DEFAULT_BATCH_ROWS;
    char *base = NULL;
    path_split(path, &g->dir, &base);
    size_t bl = strlen(base);
    g->stem = pl_strdup(base);
    if (bl > 5 && strcasecmp(base + bl - 5, ".gpkg") == 0)
        g->stem[bl - 5] = '\0';

    /* Timestamp: opts, else SOURCE_DATE_EPOCH, else now. */
    time_t t;
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (opts->timestamp) {
        if (parse_iso8601(opts->timestamp, &t) != 0) {
            pl_error_set(err, PL_EINPUT, "%s: timestamp '%s' is not an ISO 8601 time; use e.g. "
                         "2024-05-01T12:00:00Z", path, opts->timestamp);
            goto fail;
        }
    } else if (sde && *sde) {
        char *end = NULL;
        errno = 0;
        long long v = strtoll(sde, &end, 10);
        if (errno || *end || v < 0) {
            pl_error_set(err, PL_EINPUT, "%s: SOURCE_DATE_EPOCH='%s' is not a number of seconds since 1970",
                         path, sde);
            goto fail;
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

    /* The folder. */
    struct stat st;
    if (stat(g->dir, &st) != 0) {
        pl_error_set(err, PL_EINPUT, "%s: folder '%s' does not exist (%s); create it first", path, g->dir,
                     strerror(errno));
        goto fail;
    }
    if (!S_ISDIR(st.st_mode)) {
        pl_error_set(err, PL_EINPUT, "%s: '%s' is not a folder; give an output path in an existing folder", path,
                     g->dir);
        goto fail;
    }
    if (access(g->dir, W_OK | X_OK) != 0) {
        pl_error_set(err, PL_EINPUT, "%s: folder '%s' is not writable (%s); choose another output folder",
                     path, g->dir, strerror(errno));
        goto fail;
    }

    /* The output itself. */
    if (lstat(path, &st) == 0) {
        int in = same_as_input(g, path);
        if (in >= 0) {
            pl_error_set(err, PL_EINPUT, "%s: is also the input '%s'; choose another output file", path,
                         g->inputs[in].spec);
            goto fail;
        }
        if (S_ISDIR(st.st_mode)) {
            pl_error_set(err, PL_EINPUT, "%s: is a folder; give a .gpkg file name", path);
            goto fail;
        }
        if (!g->overwrite) {
            pl_error_set(err, PL_EINPUT, "%s: exists; use --overwrite to replace it", path);
            goto fail;
        }
    }

    long stale = remove_stale_temps(g->dir, base);
    if (stale > 0)
        pl_info(ctx, "%s: removed %ld temporary file%s left by an earlier run that was killed", path, stale,
                stale == 1 ? "" : "s");

    if (registry_add(g) != 0) {
        pl_error_set(err, PL_EINTERNAL, "%s: more than %d outputs open at once", path, MAX_OPEN_OUTPUTS);
        goto fail;
    }

    /* Temporary file (and SQLite's side files) beside the output. */
    char tmp[PATH_MAX];
    int len = snprintf(tmp, sizeof tmp, "%s/.%s.tmp-%ld", g->dir, base, (long)getpid());
    for (int k = 1; len > 0 && len < (int)sizeof tmp && access(tmp, F_OK) == 0 && k < 1000; k++)
        len = snprintf(tmp, sizeof tmp, "%s/.%s.tmp-%ld-%d", g->dir, base, (long)getpid(), k);
    if (len <= 0 || len + 10 >= (int)sizeof tmp) {
        pl_error_set(err, PL_EINPUT, "%s: path too long", path);
        goto fail;
    }
    temp_add(g, tmp);
    static const char *const side[] = {"-journal", "-wal", "-shm"};
    for (int k = 0; k < 3; k++) {
        char sp[PATH_MAX];
        snprintf(sp, sizeof sp, "%s%s", tmp, side[k]);
        temp_add(g, sp);
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
    gdal_enter(g);
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
        if (snprintf(msg, sizeof msg, "%s: cannot create temporary file %s: %s", path, tmp, gdal_msg()) >=
            (int)sizeof msg)
            msg[sizeof msg - 1] = '\0';  /* truncated: still one line */
        add_io_hint(g, msg, sizeof msg);
        pl_error_set(err, PL_EINTERNAL, "%s", msg);
    } else {
        /* The file is a temporary one, renamed into place only after a successful close and
         * an fsync (pl_gpkg_commit), and removed on any failure: a crash mid-write loses
         * nothing that a journal could save, so no rollback journal and no sync per commit.
         * A larger page cache (64 MiB) keeps the spatial index build in memory. */
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
    gdal_leave();
    if (!g->ds)
        goto fail;
    free(base);
    return g;

fail:
    free(base);
    discard(g);
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
        drain((pl_gpkg *)g, NULL);
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
 * GDAL itself uses it again (layer creation, styles, close). */
static int end_transaction(pl_gpkg *g)
{
    if (!g->in_tx)
        return OGRERR_NONE;
    g->in_tx = 0;
    g->tx_rows = 0;
    return sqlite3_exec(g->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? OGRERR_NONE : OGRERR_FAILURE;
}

static const char *db_msg(const pl_gpkg *g)
{
    return g->db ? sqlite3_errmsg(g->db) : "no database";
}

/* ------------------------------------------------------------------ writer thread */

/* INSERT INTO "layer" ("geom", "f1", ...) VALUES (?, ...)[, (?, ...) ...] for n_rows rows
 * into *st: the fid is SQLite's rowid. */
static int prepare_insert_rows(pl_gpkg *g, pl_gpkg_layer *l, int n_rows, sqlite3_stmt **st)
{
    pl_strbuf b = {0};
    int spatial = l->gtype != wkbNone;
    pl_sb_puts(&b, "INSERT INTO ");
    quoted_identifier(&b, l->name);
    pl_sb_puts(&b, " (");
    if (spatial)
        pl_sb_puts(&b, "\"geom\"");
    for (int i = 0; i < l->n_fields; i++) {
        if (i || spatial)
            pl_sb_puts(&b, ", ");
        quoted_identifier(&b, l->fields[i].name);
    }
    pl_sb_puts(&b, ") VALUES (");
    for (int r = 0; r < n_rows; r++) {
        if (r)
            pl_sb_puts(&b, "), (");
        for (int i = 0; i < l->n_fields + spatial; i++)
            pl_sb_puts(&b, i ? ", ?" : "?");
    }
    if (!spatial && l->n_fields == 0) {  /* a table with only its fid */
        free(b.s);
        b = (pl_strbuf){0};
        pl_sb_puts(&b, "INSERT INTO ");
        quoted_identifier(&b, l->name);
        pl_sb_puts(&b, " DEFAULT VALUES");
    } else {
        pl_sb_puts(&b, ")");
    }
    int rc = sqlite3_prepare_v2(g->db, b.s, -1, st, NULL) == SQLITE_OK ? 0 : -1;
    free(b.s);
    return rc;
}

static int prepare_insert(pl_gpkg *g, pl_gpkg_layer *l)
{
    return prepare_insert_rows(g, l, 1, &l->ins);
}

/* The MULTI_ROWS statement, when the layer has fields and SQLite takes that many
 * parameters; NULL otherwise (rows then go one by one). */
static sqlite3_stmt *multi_insert(pl_gpkg *g, pl_gpkg_layer *l)
{
    if (!l->multi_tried) {
        l->multi_tried = 1;
        int per_row = l->n_fields + (l->gtype != wkbNone);
        if (per_row > 0 && (long)per_row * MULTI_ROWS <= sqlite3_limit(g->db, SQLITE_LIMIT_VARIABLE_NUMBER, -1) &&
            prepare_insert_rows(g, l, MULTI_ROWS, &l->ins_multi) != 0)
            l->ins_multi = NULL;
    }
    return l->ins_multi;
}

/* Binds row r from parameter k on; returns the next parameter. */
static int bind_row_at(pl_gpkg_layer *l, sqlite3_stmt *st, int k, const qrow *r)
{
    if (l->gtype != wkbNone) {
        const unsigned char *blob = (const unsigned char *)qrow_text(r, l->n_fields) + r->txt_n;
        if (r->geom_n)
            sqlite3_bind_blob(st, k, blob, (int)r->geom_n, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, k);
        k++;
    }
    const char *txt = qrow_text(r, l->n_fields);
    for (int i = 0; i < l->n_fields; i++, k++) {
        const row_val *v = &r->v[i];
        switch (v->kind) {
        case VAL_INT: sqlite3_bind_int64(st, k, v->i); break;
        case VAL_REAL: sqlite3_bind_double(st, k, v->d); break;
        case VAL_TEXT: sqlite3_bind_text(st, k, txt + v->t.off, (int)v->t.len, SQLITE_STATIC); break;
        default: sqlite3_bind_null(st, k); break;
        }
    }
    return k;
}

/* Inserts n finished rows of one layer (n = 1, or MULTI_ROWS in one statement when the
 * layer allows it). Runs on the writer thread (or on the caller's when no thread could be
 * started). 0 or -1 (e set). */
static int insert_rows(pl_gpkg *g, qrow *const *rows, int n, pl_error *e)
{
    pl_gpkg_layer *l = rows[0]->l;
    if (!g->in_tx) {
        if (sqlite3_exec(g->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
            return pl_error_set(e, PL_EINTERNAL, "%s: cannot start a transaction: %s", g->path, db_msg(g)), -1;
        g->in_tx = 1;
    }
    if (!l->ins && prepare_insert(g, l) != 0)
        return pl_error_set(e, PL_EINTERNAL, "%s:%s: cannot prepare the insert: %s", g->path, l->name, db_msg(g)), -1;
    sqlite3_stmt *st = n == 1 ? l->ins : multi_insert(g, l);
    if (!st) {  /* no multi-row statement for this layer: one by one */
        for (int i = 0; i < n; i++)
            if (insert_rows(g, rows + i, 1, e) != 0)
                return -1;
        return 0;
    }
    int k = 1;
    for (int i = 0; i < n; i++)
        k = bind_row_at(l, st, k, rows[i]);
    long long first = l->n_inserted + 1;
    l->n_inserted += n;
    int src = sqlite3_step(st);
    sqlite3_reset(st);
    if (src != SQLITE_DONE) {
        if (n == 1)
            pl_error_set(e, PL_EINTERNAL, "%s:%s: feature %lld: cannot write: %s", g->path, l->name, first, db_msg(g));
        else
            pl_error_set(e, PL_EINTERNAL, "%s:%s: features %lld to %lld: cannot write: %s", g->path, l->name, first,
                         l->n_inserted, db_msg(g));
        return -1;
    }
    /* The rows of one statement get consecutive rowids, the last one reported. */
    sqlite3_int64 last = sqlite3_last_insert_rowid(g->db);
    for (int i = 0; i < n; i++) {
        const qrow *r = rows[i];
        if (r->geom_n && !r->geom_empty && pl_rtree_list_add(&l->rtree, last - (n - 1 - i), &r->env) != 0)
            return pl_error_set(e, PL_EINTERNAL, "%s:%s: out of memory for the spatial index", g->path, l->name), -1;
    }
    g->tx_rows += n;
    if (g->tx_rows >= g->batch_rows && end_transaction(g) != OGRERR_NONE)
        return pl_error_set(e, PL_EINTERNAL, "%s: cannot commit rows: %s", g->path, db_msg(g)), -1;
    return 0;
}

static int insert_row(pl_gpkg *g, qrow *r, pl_error *e)
{
    return insert_rows(g, &r, 1, e);
}

/* Inserts a batch of rows: runs of MULTI_ROWS rows of one layer in one statement, unless
 * that would cross the end of a transaction (every batch_rows rows). */
static int insert_batch(pl_gpkg *g, qrow *const *rows, int n, pl_error *e)
{
    for (int i = 0; i < n;) {
        int run = 1;
        while (run < MULTI_ROWS && i + run < n && rows[i + run]->l == rows[i]->l &&
               g->tx_rows + run < g->batch_rows)
            run++;
        if (insert_rows(g, rows + i, run == MULTI_ROWS ? MULTI_ROWS : 1, e) != 0)
            return -1;
        i += run == MULTI_ROWS ? MULTI_ROWS : 1;
    }
    return 0;
}

/* Returns a row to the pool (no writer thread: nothing else touches it). */
static void pool_put(pl_gpkg *g, qrow *r)
{
    r->next = g->pool;
    g->pool = r;
}

static qrow *pool_get(pl_gpkg *g)
{
    if (!g->free_rows) {
        if (g->worker_on)
            pthread_mutex_lock(&g->mu);
        g->free_rows = g->pool;
        g->pool = NULL;
        if (g->worker_on)
            pthread_mutex_unlock(&g->mu);
    }
    qrow *r = g->free_rows;
    if (r)
        g->free_rows = r->next;
    return r;
}

static void free_chain(qrow *r)
{
    while (r) {
        qrow *next = r->next;
        free(r);
        r = next;
    }
}

static void pool_free(pl_gpkg *g)
{
    free_chain(g->pool);
    g->pool = NULL;
    free_chain(g->free_rows);
    g->free_rows = NULL;
    for (int i = 0; i < g->n_stage; i++)
        free(g->stage[i]);
    g->n_stage = 0;
}

/* Hands the staged rows to the writer thread (waiting while its queue is full). */
static void flush_stage(pl_gpkg *g)
{
    if (!g->worker_on || g->n_stage == 0)
        return;
    pthread_mutex_lock(&g->mu);
    for (int i = 0; i < g->n_stage; i++) {
        while (g->q_n == QUEUE_ROWS)
            pthread_cond_wait(&g->cv_put, &g->mu);
        g->q[(g->q_head + g->q_n) % QUEUE_ROWS] = g->stage[i];
        g->q_n++;
    }
    pthread_cond_signal(&g->cv_get);
    pthread_mutex_unlock(&g->mu);
    g->n_stage = 0;
}

/* The writer thread: takes all queued rows at once and inserts them, so building the next
 * rows (values, geometry conversion) overlaps with SQLite inserting these. */
static void *writer_main(void *arg)
{
    pl_gpkg *g = arg;
    qrow **batch = pl_malloc(QUEUE_ROWS * sizeof *batch);
    pthread_mutex_lock(&g->mu);
    for (;;) {
        while (g->q_n == 0 && !g->q_stop)
            pthread_cond_wait(&g->cv_get, &g->mu);
        if (g->q_n == 0)
            break;
        int n = g->q_n;
        for (int i = 0; i < n; i++)
            batch[i] = g->q[(g->q_head + i) % QUEUE_ROWS];
        g->q_head = (g->q_head + n) % QUEUE_ROWS;
        g->q_n = 0;
        g->q_busy = 1;
        int skip = g->async_failed || g->q_discard;
        pthread_cond_broadcast(&g->cv_put);
        pthread_mutex_unlock(&g->mu);
        pl_error e = {0};
        int bad = !skip && insert_batch(g, batch, n, &e) != 0;
        for (int i = 0; i < n; i++)
            batch[i]->next = i + 1 < n ? batch[i + 1] : NULL;
        pthread_mutex_lock(&g->mu);
        batch[n - 1]->next = g->pool;
        g->pool = batch[0];
        if (bad && !g->async_failed) {
            g->async_failed = 1;
            g->async_err = e;
        }
        g->q_busy = 0;
        pthread_cond_broadcast(&g->cv_put);
    }
    struct timespec cpu;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu) == 0)
        g->writer_cpu_s += (double)cpu.tv_sec + 1e-9 * (double)cpu.tv_nsec;  /* read after the join */
    pthread_mutex_unlock(&g->mu);
    free(batch);
    return NULL;
}

static void start_worker(pl_gpkg *g)
{
    if (g->worker_on)
        return;
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv_put, NULL);
    pthread_cond_init(&g->cv_get, NULL);
    g->q_head = g->q_n = g->q_busy = g->q_stop = g->q_discard = 0;
    if (pthread_create(&g->worker, NULL, writer_main, g) == 0) {
        g->worker_on = 1;
    } else {  /* no thread: rows are inserted by the caller */
        pthread_mutex_destroy(&g->mu);
        pthread_cond_destroy(&g->cv_put);
        pthread_cond_destroy(&g->cv_get);
    }
}

/* Waits until every queued row is inserted; hands a writer failure to fail(). */
static int drain(pl_gpkg *g, pl_error *err)
{
    if (!g->worker_on)
        return PL_OK;
    flush_stage(g);
    pthread_mutex_lock(&g->mu);
    while (g->q_n > 0 || g->q_busy)
        pthread_cond_wait(&g->cv_put, &g->mu);
    int failed = g->async_failed;
    pl_error e = g->async_err;
    pthread_mutex_unlock(&g->mu);
    if (failed && !g->failed)
        return fail(g, err, e.code, "%s", e.msg);
    return g->failed ? sticky(g, err) : PL_OK;
}

/* Ends the writer thread: after the queue is inserted, or (discard) dropping what is queued. */
static void stop_worker(pl_gpkg *g, int discard)
{
    if (!g->worker_on)
        return;
    if (!discard)
        flush_stage(g);  /* discarded: staged rows are freed with the pool */
    pthread_mutex_lock(&g->mu);
    g->q_stop = 1;
    if (discard)
        g->q_discard = 1;
    pthread_cond_broadcast(&g->cv_get);
    pthread_mutex_unlock(&g->mu);
    pthread_join(g->worker, NULL);
    g->worker_on = 0;
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->cv_put);
    pthread_cond_destroy(&g->cv_get);
}

static int has_aliases(const pl_gpkg_layer *l)
{
    for (int i = 0; i < l->n_fields; i++)
        if (l->fields[i].alias_sv && *l->fields[i].alias_sv)
            return 1;
    return 0;
}

static int check_style(const pl_gpkg *g, const char *name, int spatial, const pl_field_def *fields, int n_fields,
                       const pl_style *st, pl_error *err)
{
    if (!st || st->kind == PL_STYLE_NONE)
        return PL_OK;
    if (!spatial)
        return pl_error_set(err, PL_EINTERNAL, "%s:%s: attribute tables cannot have a map style", g->path, name);
    if (st->kind == PL_STYLE_SINGLE)
        return PL_OK;
    if (st->kind != PL_STYLE_GRADUATED && st->kind != PL_STYLE_PASS_FAIL)
        return pl_error_set(err, PL_EINTERNAL, "%s:%s: unknown style kind %d", g->path, name, (int)st->kind);
    int fi = -1;
    for (int i = 0; st->field && i < n_fields; i++)
        if (strcmp(fields[i].name, st->field) == 0)
            fi = i;
    if (fi < 0)
        return pl_error_set(err, PL_EINTERNAL, "%s:%s: style field '%s' is not a field of the layer", g->path,
                            name, st->field ? st->field : "(none)");
    pl_field_type ft = fields[fi].type;
    if (st->kind == PL_STYLE_PASS_FAIL && ft != PL_FIELD_INT && ft != PL_FIELD_INT64)
        return pl_error_set(err, PL_EINTERNAL, "%s:%s: pass/fail field '%s' must be an integer field", g->path,
                            name, st->field);
    if (st->kind == PL_STYLE_GRADUATED) {
        if (ft == PL_FIELD_TEXT)
            return pl_error_set(err, PL_EINTERNAL, "%s:%s: graduated field '%s' must be numeric", g->path, name,
                                st->field);
        if (!st->breaks || st->n_breaks < 1)
            return pl_error_set(err, PL_EINTERNAL, "%s:%s: graduated style needs at least one class break",
                                g->path, name);
        for (int i = 0; i < st->n_breaks; i++) {
            if (!isfinite(st->breaks[i]) || (i > 0 && st->breaks[i] <= st->breaks[i - 1]))
                return pl_error_set(err, PL_EINTERNAL, "%s:%s: class breaks must be finite and ascending",
                                    g->path, name);
        }
        if (st->ramp && strcmp(st->ramp, "access") != 0 && strcmp(st->ramp, "green") != 0)
            return pl_error_set(err, PL_EINTERNAL, "%s:%s: unknown colour ramp '%s'; use access or green", g->path,
                                name, st->ramp);
    }
    return PL_OK;
}

static void csv_text(FILE *f, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
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
        return fail(g, err, PL_EINTERNAL, "%s:%s: GDAL did not create the table: %s", g->path, l->name, db_msg(g));
    return PL_OK;
}

/* The checks every new layer (table or view) passes: a free, allowed name and title,
 * named fields without duplicates, a style that fits the fields. */
static int check_new_layer(pl_gpkg *g, const char *name, const char *title, int spatial,
                           const pl_field_def *fields, int n_fields, const pl_style *style, pl_error *err)
{
    if (g->failed) {
        sticky(g, err);
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
    return check_style(g, name, spatial, fields, n_fields, style, err) == PL_OK ? 0 : -1;
}

/* A new layer's description: deep copies of its fields, its style name and QML; added to g. */
static pl_gpkg_layer *new_layer(pl_gpkg *g, const char *name, const char *title, OGRwkbGeometryType gtype,
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
        if (make_qml(g, l, style, err) != PL_OK) {
            free_layer(l);
            return NULL;
        }
    } else if (gtype == wkbNone && has_aliases(l)) {
        /* Attribute tables: QGIS 3.22 with GDAL 3.6 ignores gpkg_data_columns, but it does load a
         * default layer_styles row with f_geometry_column '' (checked with QGIS 3.22.16), so an
         * alias-only style gives summary tables their Swedish column names too. */
        l->style_name = pl_strdup(name);
        l->style_name[strlen(l->style_name) > STYLE_NAME_MAX ? STYLE_NAME_MAX : strlen(l->style_name)] = '\0';
        char *aliases = make_aliases(l);
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
    if (check_new_layer(g, name, title, spatial, fields, n_fields, style, err) != 0)
        return NULL;
    if (!(geom_type == wkbNone || (geom_type >= wkbUnknown && geom_type <= wkbGeometryCollection))) {
        pl_error_set(err, PL_EINTERNAL, "%s:%s: unsupported geometry type %d", g->path, name, geom_type);
        return NULL;
    }
    pl_gpkg_layer *l = new_layer(g, name, title, (OGRwkbGeometryType)geom_type, fields, n_fields, style, err);
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
                fail(g, err, PL_EINPUT, "%s: is also the input '%s'; choose another output file", final,
                     g->inputs[in].spec);
                return NULL;
            }
            if (S_ISDIR(st.st_mode)) {
                fail(g, err, PL_EINPUT, "%s: is a folder; %s", final, TWIN_FOLDER_FIX);
                return NULL;
            }
            if (!g->overwrite) {
                fail(g, err, PL_EINPUT, "%s: exists; use --overwrite to replace it", final);
                return NULL;
            }
        }
        l->csv_slot = temp_add(g, tmp);
        if (l->csv_slot < 0) {
            fail(g, err, PL_EINTERNAL, "%s: too many CSV tables", g->path);
            return NULL;
        }
        l->csv = fopen(tmp, "w");
        if (!l->csv) {
            fail(g, err, PL_EINTERNAL, "%s: cannot create %s: %s", g->path, tmp, strerror(errno));
            return NULL;
        }
        l->csv_final = pl_strdup(final);
        for (int i = 0; i < n_fields; i++) {
            if (i)
                fputc(',', l->csv);
            csv_text(l->csv, l->fields[i].name);
        }
        fputc('\n', l->csv);
    }

    /* The GDAL layer (the writer thread idle first: only one thread uses the dataset). */
    if (drain(g, err) != PL_OK)
        return NULL;
    gdal_enter(g);
    int rc = PL_OK;
    if (end_transaction(g) != OGRERR_NONE)
        rc = fail(g, err, PL_EINTERNAL, "%s: cannot commit rows: %s", g->path, db_msg(g));
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
            rc = fail(g, err, PL_EINTERNAL, "%s:%s: cannot create layer: %s", g->path, name, gdal_msg());
    }
    CSLDestroy(lco);
    for (int i = 0; rc == PL_OK && i < n_fields; i++) {
        OGRFieldType ot = fields[i].type == PL_FIELD_INT     ? OFTInteger
                        : fields[i].type == PL_FIELD_INT64   ? OFTInteger64
                        : fields[i].type == PL_FIELD_REAL    ? OFTReal
                                                             : OFTString;
        OGRFieldDefnH fd = OGR_Fld_Create(fields[i].name, ot);
        if (OGR_L_CreateField(l->lyr, fd, FALSE) != OGRERR_NONE)
            rc = fail(g, err, PL_EINTERNAL, "%s:%s: cannot create field '%s': %s", g->path, name, fields[i].name,
                      gdal_msg());
        OGR_Fld_Destroy(fd);
    }
    /* GDAL creates the table lazily: make it exist now, since rows go in with SQLite. */
    if (rc == PL_OK && OGR_L_SyncToDisk(l->lyr) != OGRERR_NONE)
        rc = fail(g, err, PL_EINTERNAL, "%s:%s: cannot create layer: %s", g->path, name, gdal_msg());
    gdal_leave();
    if (rc == PL_OK)
        rc = layer_check_table(g, l, err);
    if (rc == PL_OK)
        l->vals = pl_calloc((size_t)n_fields + 1, sizeof *l->vals);
    return rc == PL_OK ? l : NULL;
}

/* ------------------------------------------------------------------ views */

/* The base column whose declared type a view column takes: for a plain column the base's
 * own, for a computed one any base column of the same field type. */
static const pl_field_def *type_donor(const pl_gpkg_layer *base, const pl_view_column *c)
{
    for (int i = 0; i < base->n_fields; i++) {
        const pl_field_def *f = &base->fields[i];
        if (c->sql ? f->type == c->field.type : strcmp(f->name, c->field.name) == 0)
            return f->type == c->field.type ? f : NULL;
    }
    return NULL;
}

/* CREATE VIEW "name" AS SELECT "fid", "geom", <columns> FROM "base".
 * GDAL 3.6 takes a view's field types from the declared types SQLite reports for its columns,
 * and SQLite 3.40 reports one only for a plain column (or a scalar subquery of one); a computed
 * column would read as String. So a computed column is a scalar subquery whose last SELECT,
 * the one SQLite types a compound by, is an empty SELECT of a base column of the same type:
 *   (SELECT <expr> UNION ALL SELECT "<donor>" FROM "<base>" WHERE 0)
 * which yields <expr> (its first row) with the donor's type. (A compound view, typed by an
 * empty first SELECT, reads the same, but SQLite materialises it for GDAL's join with the
 * R-tree: 2.3 s instead of 1 ms for a 10 km square of the 605,490-cell national grid.)
 * The first column, an integer from base's fid, is the view's fid for GDAL, and base's fid and
 * geometry let GDAL use base's R-tree for spatial filters on the view. */
static char *view_sql(const pl_gpkg_layer *v, const pl_gpkg_layer *base, const pl_view_column *cols, int n_cols)
{
    pl_strbuf b = {0};
    pl_sb_puts(&b, "CREATE VIEW ");
    quoted_identifier(&b, v->name);
    pl_sb_puts(&b, " AS SELECT \"fid\", \"geom\"");
    for (int i = 0; i < n_cols; i++) {
        pl_sb_puts(&b, ", ");
        if (cols[i].sql) {
            pl_sb_printf(&b, "(SELECT %s UNION ALL SELECT ", cols[i].sql);
            quoted_identifier(&b, type_donor(base, &cols[i])->name);
            pl_sb_puts(&b, " FROM ");
            quoted_identifier(&b, base->name);
            pl_sb_puts(&b, " WHERE 0) AS ");
        }
        quoted_identifier(&b, cols[i].field.name);
    }
    pl_sb_puts(&b, " FROM ");
    quoted_identifier(&b, base->name);
    return b.s;
}

/* Runs `sql` with ?1 = view name, ?2 = identifier, ?3 = base name; it must change one row. */
static int view_exec(pl_gpkg *g, const char *sql, const pl_gpkg_layer *v, pl_error *err)
{
    sqlite3_stmt *st = NULL;
    int ok = sqlite3_prepare_v2(g->db, sql, -1, &st, NULL) == SQLITE_OK;
    if (ok) {
        sqlite3_bind_text(st, 1, v->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, v->title ? v->title : v->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, v->base->name, -1, SQLITE_STATIC);
        ok = sqlite3_step(st) == SQLITE_DONE && sqlite3_changes(g->db) == 1;
    }
    int rc = ok ? PL_OK : fail(g, err, PL_EINTERNAL, "%s:%s: cannot register the view: %s", g->path, v->name,
                               db_msg(g));
    sqlite3_finalize(st);
    return rc;
}

/* The view and its gpkg_contents and gpkg_geometry_columns rows, as base's (srs, geometry type,
 * timestamp; the extent follows at commit). No gpkg_ogr_contents row: GDAL then counts the view's
 * rows (0.1 s for 605,490), which stays right if base is edited later. */
static int view_create(pl_gpkg *g, pl_gpkg_layer *v, const pl_view_column *cols, int n_cols, pl_error *err)
{
    if (drain(g, err) != PL_OK)
        return err->code;
    gdal_enter(g);
    int rc = PL_OK;
    if (end_transaction(g) != OGRERR_NONE)
        rc = fail(g, err, PL_EINTERNAL, "%s: cannot commit rows: %s", g->path, db_msg(g));
    /* A misspelt "column" would otherwise be taken for a string literal (SQLite's double-quoted
     * string fallback): refuse it here, where the view is made and first used. */
    int dqs_dml = 1, dqs_ddl = 1;
    sqlite3_db_config(g->db, SQLITE_DBCONFIG_DQS_DML, -1, &dqs_dml);
    sqlite3_db_config(g->db, SQLITE_DBCONFIG_DQS_DDL, -1, &dqs_ddl);
    sqlite3_db_config(g->db, SQLITE_DBCONFIG_DQS_DML, 0, NULL);
    sqlite3_db_config(g->db, SQLITE_DBCONFIG_DQS_DDL, 0, NULL);
    char *create = view_sql(v, v->base, cols, n_cols);
    if (rc == PL_OK && sqlite3_exec(g->db, create, NULL, NULL, NULL) != SQLITE_OK)
        rc = fail(g, err, PL_EINTERNAL, "%s:%s: cannot create the view: %s", g->path, v->name, db_msg(g));
    free(create);
    sqlite3_stmt *st = NULL;  /* SQLite resolves a view's columns only when it is used */
    char *use = sqlite3_mprintf("SELECT * FROM \"%w\"", v->name);
    if (rc == PL_OK && sqlite3_prepare_v2(g->db, use, -1, &st, NULL) != SQLITE_OK)
        rc = fail(g, err, PL_EINTERNAL, "%s:%s: cannot create the view: %s", g->path, v->name, db_msg(g));
    sqlite3_finalize(st);
    sqlite3_free(use);
    sqlite3_db_config(g->db, SQLITE_DBCONFIG_DQS_DML, dqs_dml, NULL);
    sqlite3_db_config(g->db, SQLITE_DBCONFIG_DQS_DDL, dqs_ddl, NULL);
    if (rc == PL_OK)
        rc = view_exec(g, "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, "
                          "srs_id) SELECT ?1, 'features', ?2, '', last_change, srs_id FROM gpkg_contents "
                          "WHERE table_name = ?3", v, err);
    if (rc == PL_OK)
        rc = view_exec(g, "INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, "
                          "z, m) SELECT ?1, column_name, geometry_type_name, srs_id, z, m FROM gpkg_geometry_columns "
                          "WHERE table_name = ?3", v, err);
    gdal_leave();
    return rc;
}

pl_gpkg_layer *pl_gpkg_view_add(pl_gpkg *g, const char *name, const char *title, const pl_gpkg_layer *base,
                                const pl_view_column *cols, int n_cols, const pl_style *style, pl_error *err)
{
    if (!g) {
        pl_error_set(err, PL_EINTERNAL, "pl_gpkg_view_add: no output");
        return NULL;
    }
    if (!base || base->g != g || base->base || base->gtype == wkbNone) {
        pl_error_set(err, PL_EINTERNAL, "%s:%s: a view needs a spatial table layer of the same output", g->path,
                     name ? name : "");
        return NULL;
    }
    if (n_cols < 0 || (n_cols > 0 && !cols)) {
        pl_error_set(err, PL_EINTERNAL, "%s:%s: bad column list", g->path, name ? name : "");
        return NULL;
    }
    pl_field_def *fields = pl_calloc((size_t)n_cols + 1, sizeof *fields);
    for (int i = 0; i < n_cols; i++)
        fields[i] = cols[i].field;
    pl_gpkg_layer *v = NULL;
    if (check_new_layer(g, name, title, 1, fields, n_cols, style, err) == 0) {
        int i = 0;
        while (i < n_cols && type_donor(base, &cols[i]))
            i++;
        if (i < n_cols)
            pl_error_set(err, PL_EINTERNAL, "%s:%s: column '%s': %s has no column of %s", g->path, name,
                         fields[i].name, base->name, cols[i].sql ? "its type" : "that name and type");
        else
            v = new_layer(g, name, title, base->gtype, fields, n_cols, style, err);
    }
    free(fields);
    if (!v)
        return NULL;
    v->base = base;
    return view_create(g, v, cols, n_cols, err) == PL_OK ? v : NULL;
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

static void csv_row(pl_gpkg_layer *l)
{
    for (int i = 0; i < l->n_fields; i++) {
        if (i)
            fputc(',', l->csv);
        const row_val *v = &l->vals[i];
        switch (v->kind) {
        case VAL_INT:
            fprintf(l->csv, "%lld", (long long)v->i);
            break;
        case VAL_REAL:
            if (isfinite(v->d)) {
                char num[64];
                fmt_double(num, sizeof num, v->d);
                fputs(num, l->csv);
            }
            break;
        case VAL_TEXT:
            csv_text(l->csv, (const char *)l->txt.b + v->t.off);
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
    qrow *r = pool_get(l->g);
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
        return sticky(g, err);
    if (l->base)
        return fail(g, err, PL_EINTERNAL, "%s:%s: a view has no rows of its own", g->path, l->name);
    if (!l->in_row)
        return fail(g, err, PL_EINTERNAL, "%s:%s: pl_gpkg_row_end without pl_gpkg_row_begin", g->path, l->name);
    l->in_row = 0;
    if (l->row_err[0])
        return fail(g, err, PL_EINTERNAL, "%s:%s: feature %lld: %s", g->path, l->name, l->n_rows + 1, l->row_err);
    if (g->worker_on && g->n_stage == 0) {  /* a failure of rows inserted earlier fails this one too */
        pthread_mutex_lock(&g->mu);
        int failed = g->async_failed;
        pl_error e = g->async_err;
        pthread_mutex_unlock(&g->mu);
        if (failed)
            return fail(g, err, e.code, "%s", e.msg);
    }
    if (l->csv) {
        csv_row(l);
        if (ferror(l->csv))
            return fail(g, err, PL_EINTERNAL, "%s: cannot write %s: %s", g->path, l->csv_final, strerror(errno));
    }
    l->n_rows++;
    qrow *r = pack_row(l);
    /* The row goes to the writer thread, which inserts it while the caller builds the next
     * ones; a failure to insert is reported by a later pl_gpkg_row_end or by pl_gpkg_commit
     * (the output fails either way). Without a thread the row is inserted here. */
    start_worker(g);
    if (g->worker_on) {
        g->stage[g->n_stage++] = r;
        if (g->n_stage == STAGE_ROWS)
            flush_stage(g);
        /* Start writing what SQLite wrote so far to disk, here on the caller's thread (which
         * waits for the writer thread anyway), without waiting for it: the fsync before the
         * rename then finds little left to do (a national run writes ~800 MB). */
        if (g->writeback_fd >= 0 && l->n_rows % WRITEBACK_ROWS == 0)
            sync_file_range(g->writeback_fd, 0, 0, SYNC_FILE_RANGE_WRITE);
        return PL_OK;
    }
    pl_error e = {0};
    int bad = insert_row(g, r, &e) != 0;
    pool_put(g, r);
    return bad ? fail(g, err, e.code, "%s", e.msg) : PL_OK;
}

/* ------------------------------------------------------------------ commit */

/* layer_styles exactly as QGIS's QgsOgrProviderMetadata::saveStyle creates it. */
static int write_layer_styles(pl_gpkg *g, pl_error *err)
{
    int any = 0;
    for (int i = 0; i < g->n_layers; i++)
        if (g->layers[i]->qml)
            any = 1;
    if (!any)
        return PL_OK;
    char **lco = CSLSetNameValue(NULL, "FID", "id");
    OGRLayerH ls = GDALDatasetCreateLayer(g->ds, "layer_styles", NULL, wkbNone, lco);
    CSLDestroy(lco);
    if (!ls)
        return fail(g, err, PL_EINTERNAL, "%s: cannot create layer_styles: %s", g->path, gdal_msg());
    static const struct {
        const char *name;
        OGRFieldType type;
        int width;
        int boolean;
        const char *deflt;
    } cols[] = {
        {"f_table_catalog", OFTString, 256, 0, NULL}, {"f_table_schema", OFTString, 256, 0, NULL},
        {"f_table_name", OFTString, 256, 0, NULL},    {"f_geometry_column", OFTString, 256, 0, NULL},
        {"styleName", OFTString, 30, 0, NULL},        {"styleQML", OFTString, 0, 0, NULL},
        {"styleSLD", OFTString, 0, 0, NULL},          {"useAsDefault", OFTInteger, 0, 1, NULL},
        {"description", OFTString, 0, 0, NULL},       {"owner", OFTString, 30, 0, NULL},
        {"ui", OFTString, 30, 0, NULL},               {"update_time", OFTDateTime, 0, 0, "CURRENT_TIMESTAMP"},
    };
    for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) {
        OGRFieldDefnH fd = OGR_Fld_Create(cols[c].name, cols[c].type);
        if (cols[c].width)
            OGR_Fld_SetWidth(fd, cols[c].width);
        if (cols[c].boolean)
            OGR_Fld_SetSubType(fd, OFSTBoolean);
        if (cols[c].deflt)
            OGR_Fld_SetDefault(fd, cols[c].deflt);
        OGRErr e = OGR_L_CreateField(ls, fd, TRUE);
        OGR_Fld_Destroy(fd);
        if (e != OGRERR_NONE)
            return fail(g, err, PL_EINTERNAL, "%s: cannot create layer_styles.%s: %s", g->path, cols[c].name,
                        gdal_msg());
    }
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(ls);
#define FI(n) OGR_FD_GetFieldIndex(defn, n)
    for (int i = 0; i < g->n_layers; i++) {
        pl_gpkg_layer *l = g->layers[i];
        if (!l->qml)
            continue;
        char desc[512];
        snprintf(desc, sizeof desc, "platsa %s default style for %s", PLATSA_VERSION,
                 l->title ? l->title : l->name);
        OGRFeatureH f = OGR_F_Create(defn);
        OGR_F_SetFieldString(f, FI("f_table_catalog"), "");
        OGR_F_SetFieldString(f, FI("f_table_schema"), "");
        OGR_F_SetFieldString(f, FI("f_table_name"), l->name);
        OGR_F_SetFieldString(f, FI("f_geometry_column"), l->lyr ? OGR_L_GetGeometryColumn(l->lyr) : "geom");
        OGR_F_SetFieldString(f, FI("styleName"), l->style_name);
        OGR_F_SetFieldString(f, FI("styleQML"), l->qml);
        OGR_F_SetFieldString(f, FI("styleSLD"), "");
        OGR_F_SetFieldInteger(f, FI("useAsDefault"), 1);
        OGR_F_SetFieldString(f, FI("description"), desc);
        OGR_F_SetFieldString(f, FI("owner"), "");
        OGR_F_SetFieldDateTimeEx(f, FI("update_time"), g->ts_y, g->ts_mo, g->ts_d, g->ts_h, g->ts_mi,
                                 (float)g->ts_s, 100);
        OGRErr e = OGR_L_CreateFeature(ls, f);
        OGR_F_Destroy(f);
        if (e != OGRERR_NONE)
            return fail(g, err, PL_EINTERNAL, "%s: cannot write the style of %s: %s", g->path, l->name,
                        gdal_msg());
    }
#undef FI
    return PL_OK;
}

static void metadata_json(const pl_gpkg *g, pl_strbuf *b)
{
    PJ_INFO pj = proj_info();
    pl_sb_puts(b, "{\n  \"tool\": \"platsa\",\n  \"version\": ");
    pl_sb_json(b, PLATSA_VERSION);
    pl_sb_puts(b, ",\n  \"created\": ");
    pl_sb_json(b, g->ts_iso);
    pl_sb_puts(b, ",\n  \"command_line\": ");
    pl_sb_json(b, g->command_line);
    pl_sb_puts(b, ",\n  \"libraries\": {\n    \"gdal\": ");
    pl_sb_json(b, GDALVersionInfo("RELEASE_NAME"));
    pl_sb_puts(b, ",\n    \"geos\": ");
    pl_sb_json(b, GEOSversion());
    pl_sb_puts(b, ",\n    \"proj\": ");
    pl_sb_json(b, pj.version);
    pl_sb_puts(b, ",\n    \"sqlite\": ");
    pl_sb_json(b, sqlite3_libversion());
    pl_sb_puts(b, "\n  },\n  \"work_crs\": ");
    pl_sb_json(b, g->ctx->work_crs);
    pl_sb_puts(b, ",\n  \"inputs\": [");
    for (int i = 0; i < g->n_inputs; i++) {
        const input_rec *r = &g->inputs[i];
        pl_sb_puts(b, i ? ",\n    {\"path\": " : "\n    {\"path\": ");
        pl_sb_json(b, r->spec);
        if (strcmp(r->file, r->spec) != 0) {
            pl_sb_puts(b, ", \"file\": ");
            pl_sb_json(b, r->file);
        }
        char title[512];
        if (input_layer_title(r, title, sizeof title)) {
            pl_sb_puts(b, ", \"title\": ");
            pl_sb_json(b, title);
            if (strstr(title, "SYNTHETIC"))
                pl_sb_puts(b, ", \"synthetic\": true");
        }
        if (r->size >= 0)
            pl_sb_printf(b, ", \"size_bytes\": %lld, \"sha256\": \"%s\"}", r->size, r->sha256);
        else
            pl_sb_puts(b, ", \"size_bytes\": null, \"sha256\": null}");
    }
    pl_sb_puts(b, g->n_inputs ? "\n  ],\n  \"parameters\": {" : "],\n  \"parameters\": {");
    for (int i = 0; i < g->n_params; i++) {
        pl_sb_puts(b, i ? ",\n    " : "\n    ");
        pl_sb_json(b, g->params[i].name);
        pl_sb_puts(b, ": ");
        pl_sb_json(b, g->params[i].value);
    }
    pl_sb_puts(b, g->n_params ? "\n  },\n  \"layers\": [" : "},\n  \"layers\": [");
    for (int i = 0; i < g->n_layers; i++) {
        const pl_gpkg_layer *l = g->layers[i];
        pl_sb_puts(b, i ? ",\n    {\"name\": " : "\n    {\"name\": ");
        pl_sb_json(b, l->name);
        if (l->base) {
            pl_sb_puts(b, ", \"view_of\": ");
            pl_sb_json(b, l->base->name);
        }
        pl_sb_printf(b, ", \"rows\": %lld}", l->base ? l->base->n_rows : l->n_rows);
    }
    pl_sb_puts(b, g->n_layers ? "\n  ]\n}\n" : "]\n}\n");
}

static int sql_exec(pl_gpkg *g, sqlite3 *db, const char *sql, pl_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fail(g, err, PL_EINTERNAL, "%s: SQLite: %s", g->path, msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* Adds a gpkg_extensions row unless present (NULL column names defeat UNIQUE). */
static int add_extension(pl_gpkg *g, sqlite3 *db, const char *table, const char *ext, const char *def,
                         pl_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db,
        "INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) "
        "SELECT ?1, NULL, ?2, ?3, 'read-write' WHERE NOT EXISTS (SELECT 1 FROM gpkg_extensions "
        "WHERE table_name = ?1 AND column_name IS NULL AND extension_name = ?2)", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, ext, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, def, -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
    }
    if (rc != SQLITE_OK)
        fail(g, err, PL_EINTERNAL, "%s: SQLite: %s", g->path, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? 0 : -1;
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

/* What GDAL would have written had it inserted the rows: per spatial layer the R-tree index
 * and the gpkg_contents extent, per layer the gpkg_ogr_contents feature count. A view gets
 * its base's extent (bases come first in g->layers). */
static int write_layer_index_and_counts(pl_gpkg *g, sqlite3 *db, pl_error *err)
{
    sqlite3_stmt *ext = NULL, *cnt = NULL, *vext = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(db, "UPDATE gpkg_contents SET min_x = ?, max_x = ?, min_y = ?, max_y = ? "
                               "WHERE lower(table_name) = lower(?)", -1, &ext, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "UPDATE gpkg_ogr_contents SET feature_count = ? WHERE lower(table_name) = lower(?)",
                           -1, &cnt, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "UPDATE gpkg_contents SET (min_x, max_x, min_y, max_y) = (SELECT min_x, max_x, "
                               "min_y, max_y FROM gpkg_contents WHERE table_name = ?2) WHERE table_name = ?1",
                           -1, &vext, NULL) != SQLITE_OK)
        rc = -1;
    for (int i = 0; rc == 0 && i < g->n_layers; i++) {
        pl_gpkg_layer *l = g->layers[i];
        if (l->base) {
            sqlite3_bind_text(vext, 1, l->name, -1, SQLITE_STATIC);
            sqlite3_bind_text(vext, 2, l->base->name, -1, SQLITE_STATIC);
            rc = sqlite3_step(vext) == SQLITE_DONE ? 0 : -1;
            sqlite3_reset(vext);
            continue;
        }
        if (l->gtype != wkbNone) {
            int has_extent = l->rtree.n > 0;  /* else GDAL leaves the extent NULL */
            pl_envelope e = l->rtree.extent;
            rc = pl_gpkg_rtree_build(db, l->name, "geom", &l->rtree);
            pl_rtree_list_free(&l->rtree);  /* memory back before the metadata */
            if (rc == 0 && has_extent) {
                /* As GDAL does: SQLite's "%.18g" text (16 significant digits), which the
                 * column's REAL affinity reads back, so the stored extent is GDAL's bit for bit. */
                const double v[4] = {e.minx, e.maxx, e.miny, e.maxy};
                for (int k = 0; k < 4; k++)
                    sqlite3_bind_text(ext, k + 1, sqlite3_mprintf("%.18g", v[k]), -1, sqlite3_free);
                sqlite3_bind_text(ext, 5, l->name, -1, SQLITE_STATIC);
                rc = sqlite3_step(ext) == SQLITE_DONE ? 0 : -1;
                sqlite3_reset(ext);
            }
        }
        if (rc == 0) {
            sqlite3_bind_int64(cnt, 1, l->n_inserted);
            sqlite3_bind_text(cnt, 2, l->name, -1, SQLITE_STATIC);
            rc = sqlite3_step(cnt) == SQLITE_DONE ? 0 : -1;
            sqlite3_reset(cnt);
        }
    }
    if (rc != 0)
        fail(g, err, PL_EINTERNAL, "%s: cannot write the spatial index: %s", g->path, sqlite3_errmsg(db));
    sqlite3_finalize(ext);
    sqlite3_finalize(cnt);
    sqlite3_finalize(vext);
    return rc;
}

/* gpkg_data_columns (schema extension) and gpkg_metadata (metadata extension). */
static int write_sqlite_extras(pl_gpkg *g, pl_error *err)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(g->temps[0], &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        fail(g, err, PL_EINTERNAL, "%s: cannot reopen %s: %s", g->path, g->temps[0],
             db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return -1;
    }
    /* The temporary file needs no journal (see pl_gpkg_create); the spatial index build
     * stays in a 64 MiB page cache. */
    int rc = sql_exec(g, db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -65536; "
                      "BEGIN", err);
    if (rc == 0 && pl_gpkg_extensions_table(db) != 0) {
        fail(g, err, PL_EINTERNAL, "%s: SQLite: %s", g->path, sqlite3_errmsg(db));
        rc = -1;
    }
    if (rc == 0)
        rc = write_layer_index_and_counts(g, db, err);

    int any_columns = 0;
    for (int i = 0; i < g->n_layers; i++)
        for (int f = 0; f < g->layers[i]->n_fields; f++)
            if (g->layers[i]->fields[f].alias_sv || g->layers[i]->fields[f].description)
                any_columns = 1;
    if (rc == 0 && any_columns) {
        /* DDL of GeoPackage 1.2 (schema extension, Annex F.9 / C.10). */
        rc = sql_exec(g, db,
            "CREATE TABLE IF NOT EXISTS gpkg_data_columns ("
            "table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT, title TEXT, "
            "description TEXT, mime_type TEXT, constraint_name TEXT, "
            "CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name), "
            "CONSTRAINT gdc_tn UNIQUE (table_name, name));"
            "CREATE TABLE IF NOT EXISTS gpkg_data_column_constraints ("
            "constraint_name TEXT NOT NULL, constraint_type TEXT NOT NULL, value TEXT, min NUMERIC, "
            "min_is_inclusive BOOLEAN, max NUMERIC, max_is_inclusive BOOLEAN, description TEXT, "
            "CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value));", err);
        if (rc == 0)
            rc = add_extension(g, db, "gpkg_data_columns", "gpkg_schema",
                               "http://www.geopackage.org/spec120/#extension_schema", err);
        if (rc == 0)
            rc = add_extension(g, db, "gpkg_data_column_constraints", "gpkg_schema",
                               "http://www.geopackage.org/spec120/#extension_schema", err);
        sqlite3_stmt *st = NULL;
        if (rc == 0 && sqlite3_prepare_v2(db,
                "INSERT OR REPLACE INTO gpkg_data_columns (table_name, column_name, name, title, description) "
                "VALUES (?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK) {
            fail(g, err, PL_EINTERNAL, "%s: SQLite: %s", g->path, sqlite3_errmsg(db));
            rc = -1;
        }
        for (int i = 0; rc == 0 && i < g->n_layers; i++) {
            const pl_gpkg_layer *l = g->layers[i];
            for (int f = 0; rc == 0 && f < l->n_fields; f++) {
                const pl_field_def *fd = &l->fields[f];
                if (!fd->alias_sv && !fd->description)
                    continue;
                sqlite3_reset(st);
                sqlite3_bind_text(st, 1, l->name, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 2, fd->name, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 3, fd->name, -1, SQLITE_STATIC);
                bind_text_or_null(st, 4, fd->alias_sv);
                bind_text_or_null(st, 5, fd->description);
                if (sqlite3_step(st) != SQLITE_DONE) {
                    fail(g, err, PL_EINTERNAL, "%s: SQLite: %s", g->path, sqlite3_errmsg(db));
                    rc = -1;
                }
            }
        }
        sqlite3_finalize(st);
    }

    if (rc == 0) {
        /* DDL of GeoPackage 1.2 (metadata extension, Annex F.8 / C.11-C.12). */
        rc = sql_exec(g, db,
            "CREATE TABLE IF NOT EXISTS gpkg_metadata ("
            "id INTEGER CONSTRAINT m_pk PRIMARY KEY ASC NOT NULL, "
            "md_scope TEXT NOT NULL DEFAULT 'dataset', md_standard_uri TEXT NOT NULL, "
            "mime_type TEXT NOT NULL DEFAULT 'text/xml', metadata TEXT NOT NULL DEFAULT '');"
            "CREATE TABLE IF NOT EXISTS gpkg_metadata_reference ("
            "reference_scope TEXT NOT NULL, table_name TEXT, column_name TEXT, row_id_value INTEGER, "
            "timestamp DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), "
            "md_file_id INTEGER NOT NULL, md_parent_id INTEGER, "
            "CONSTRAINT crmr_mfi_fk FOREIGN KEY (md_file_id) REFERENCES gpkg_metadata(id), "
            "CONSTRAINT crmr_mpi_fk FOREIGN KEY (md_parent_id) REFERENCES gpkg_metadata(id));", err);
        if (rc == 0)
            rc = add_extension(g, db, "gpkg_metadata", "gpkg_metadata",
                               "http://www.geopackage.org/spec120/#extension_metadata", err);
        if (rc == 0)
            rc = add_extension(g, db, "gpkg_metadata_reference", "gpkg_metadata",
                               "http://www.geopackage.org/spec120/#extension_metadata", err);
        pl_strbuf json = {0};
        metadata_json(g, &json);
        sqlite3_stmt *st = NULL;
        if (rc == 0 && sqlite3_prepare_v2(db,
                "INSERT INTO gpkg_metadata (md_scope, md_standard_uri, mime_type, metadata) "
                "VALUES ('dataset', 'urn:platsa:run-metadata:1', 'application/json', ?)", -1, &st, NULL) == SQLITE_OK) {
            sqlite3_bind_text(st, 1, json.s, -1, SQLITE_STATIC);
            if (sqlite3_step(st) != SQLITE_DONE)
                rc = -1;
        } else {
            rc = -1;
        }
        sqlite3_finalize(st);
        sqlite3_int64 md_id = sqlite3_last_insert_rowid(db);
        st = NULL;
        if (rc == 0 && sqlite3_prepare_v2(db,
                "INSERT INTO gpkg_metadata_reference (reference_scope, table_name, column_name, row_id_value, "
                "timestamp, md_file_id, md_parent_id) VALUES ('geopackage', NULL, NULL, NULL, ?, ?, NULL)",
                -1, &st, NULL) == SQLITE_OK) {
            sqlite3_bind_text(st, 1, g->ts_gpkg, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 2, md_id);
            if (sqlite3_step(st) != SQLITE_DONE)
                rc = -1;
        } else if (rc == 0) {
            rc = -1;
        }
        sqlite3_finalize(st);
        free(json.s);
        if (rc != 0 && !g->failed)
            fail(g, err, PL_EINTERNAL, "%s: cannot write run metadata: %s", g->path, sqlite3_errmsg(db));
    }
    if (rc == 0)
        rc = sql_exec(g, db, "COMMIT", err);
    else
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    if (sqlite3_close(db) != SQLITE_OK && rc == 0)
        rc = fail(g, err, PL_EINTERNAL, "%s: cannot close %s", g->path, g->temps[0]);
    return rc;
}

static int fsync_path(const char *path, int dir)
{
    int fd = open(path, dir ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int pl_gpkg_commit(pl_gpkg *g, pl_error *err)
{
    if (!g)
        return pl_error_set(err, PL_EINTERNAL, "pl_gpkg_commit: no output");
    if (g->failed) {
        int rc = sticky(g, err);
        discard(g);
        return rc;
    }
    int drc = drain(g, err);
    if (drc != PL_OK) {
        discard(g);
        return drc;
    }
    stop_worker(g, 0);
    gdal_enter(g);
    int rc = PL_OK;
    if (end_transaction(g) != OGRERR_NONE)
        rc = fail(g, err, PL_EINTERNAL, "%s: cannot commit rows: %s", g->path, db_msg(g));
    for (int i = 0; i < g->n_layers; i++) {  /* before GDALClose, which cannot close with them open */
        g->layers[i]->in_row = 0;
        sqlite3_finalize(g->layers[i]->ins);
        sqlite3_finalize(g->layers[i]->ins_multi);
        g->layers[i]->ins = g->layers[i]->ins_multi = NULL;
    }
    if (rc == PL_OK)
        rc = write_layer_styles(g, err);
    if (rc == PL_OK) {
        CPLErrorReset();
        GDALClose(g->ds);
        g->ds = NULL;
        g->db = NULL;
        if (CPLGetLastErrorType() >= CE_Failure)
            rc = fail(g, err, PL_EINTERNAL, "%s: cannot finish the GeoPackage: %s", g->path, gdal_msg());
    }
    gdal_leave();
    hashes_join(g->hashes);  /* the metadata records the inputs' hashes */
    if (rc == PL_OK && write_sqlite_extras(g, err) != 0)
        rc = g->fail_err.code ? g->fail_err.code : PL_EINTERNAL;
    for (int i = 0; rc == PL_OK && i < g->n_layers; i++) {
        pl_gpkg_layer *l = g->layers[i];
        if (!l->csv)
            continue;
        int bad = fflush(l->csv) != 0 || fsync(fileno(l->csv)) != 0;
        bad |= fclose(l->csv) != 0;
        l->csv = NULL;
        if (bad)
            rc = fail(g, err, PL_EINTERNAL, "%s: cannot write %s: %s", g->path, l->csv_final, strerror(errno));
    }
    if (rc == PL_OK && fsync_path(g->temps[0], 0) != 0)
        rc = fail(g, err, PL_EINTERNAL, "%s: cannot flush %s: %s", g->path, g->temps[0], strerror(errno));
    /* Every file of the output is complete and on disk: all are renamed into place, or none. */
    if (rc == PL_OK) {
        pl_commit *set = pl_commit_new();
        pl_commit_add(set, g->temps[0], g->path);
        for (int i = 0; i < g->n_layers; i++)
            if (g->layers[i]->csv_slot >= 0 && g->layers[i]->csv_final)
                pl_commit_add(set, g->temps[g->layers[i]->csv_slot], g->layers[i]->csv_final);
        if (g_fail_rename_at >= 0)
            pl_commit_fail_rename_at(set, g_fail_rename_at);
        pl_error cerr = {0};
        if (pl_commit_run(set, &cerr) != PL_OK)
            rc = fail(g, err, cerr.code, "%s", cerr.msg);
        pl_commit_free(set);
    }
    if (rc != PL_OK) {
        discard(g);
        return rc;
    }
    fsync_path(g->dir, 1);
    pl_info(g->ctx, "wrote %s", g->path);
    if (g->ctx->verbose)
        pl_info(g->ctx, "%s: the writer thread used %.2f s of CPU", g->path, g->writer_cpu_s);
    registry_remove(g);
    free_gpkg(g);
    pl_error_clear(err);
    return PL_OK;
}

void pl_gpkg_abort(pl_gpkg *g)
{
    discard(g);
}
