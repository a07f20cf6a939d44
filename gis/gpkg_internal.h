/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The GeoPackage writer's private types and the functions its files share (gpkg_writer.c,
 * gpkg_hash.c, gpkg_temps.c, gpkg_styles.c, gpkg_thread.c, gpkg_views.c, gpkg_commit.c).
 * Not for use outside them. */
#ifndef PLATSA_GIS_GPKG_INTERNAL_H
#define PLATSA_GIS_GPKG_INTERNAL_H

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
#define MULTI_ROWS 64          /* rows per INSERT statement when a run of rows allows it (16 -> 64:
                                  the national cells' inserts ~10% less CPU, one AUTOINCREMENT
                                  update per statement) */
#define MAX_OPEN_OUTPUTS 32
#define MAX_TEMPS 40           /* per output: the GeoPackage, its 3 SQLite side files, CSV twins */
#define STYLE_NAME_MAX 30      /* layer_styles.styleName is TEXT(30) in QGIS's schema */

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
    char *store;        /* the kept hashes beside the graph cache (CACHE.hashes), or NULL */
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

static inline const char *qrow_text(const qrow *r, int n_fields)
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
    pl_blob poly_wkb;          /* scratch WKB of polygons (pl_geos_polygonal_wkb) */
    int geom_empty;
    pl_envelope env;
    GEOSWKBWriter *wkb_writer; /* pl_gpkg_set_geos's, created on first use */
    int srs_id;                /* gpkg_geometry_columns.srs_id GDAL chose */
    const pl_gpkg_layer *base; /* a view (pl_gpkg_view_add): the table it selects from; NULL: a table */
    /* Writer-thread state: */
    sqlite3_stmt *ins;         /* INSERT INTO the layer's table, prepared on first row */
    sqlite3_stmt *ins_multi;   /* the same for MULTI_ROWS rows at once (NULL: not possible) */
    int multi_tried;           /* ins_multi was prepared (or found impossible) */
    int multi_n;               /* rows per ins_multi (multi_rows in gpkg_thread.c; 0: not known yet) */
    pl_rtree_list rtree;       /* envelopes of the inserted geometries, for the index */
    /* pl_gpkg_layer_index_ahead: the entries announced, the index packed from them on a thread
     * of its own (plan, once plan_thread is joined), and how many inserted rows matched them so
     * far (the writer thread's; while ahead_on, the rows' entries are not kept in rtree). */
    pl_rtree_list ahead;
    size_t ahead_seen;
    int ahead_on;
    int plan_running;
    pthread_t plan_thread;
    pl_rtree_plan *plan;
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
    int pg;             /* path is "PG:CONNINFO:SCHEMA": the GeoPackage is a temporary in $TMPDIR,
                           copied into the database at commit (gpkg_pg.c) */
    char *dir;          /* folder of the output */
    char *stem;         /* basename without .gpkg */
    GDALDatasetH ds;
    sqlite3 *db;        /* GDAL's connection to ds: rows are inserted on it (one writer at a time) */
    OGRSpatialReferenceH srs;
    int overwrite, csv;
    int csv_sv;         /* --csv-style sv: ';', decimal comma, BOM, alias headers */
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


/* gpkg_writer.c */
void pl_gw_fmt_double(char *buf, size_t size, double v);
char *pl_gw_read_file(const char *path);
void pl_gw_gdal_enter(const pl_gpkg *g);
void pl_gw_gdal_leave(void);
const char *pl_gw_gdal_msg(void);
int pl_gw_fail(pl_gpkg *g, pl_error *err, pl_status code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int pl_gw_sticky(const pl_gpkg *g, pl_error *err);
int pl_gw_flat_kind(OGRwkbGeometryType t);
void pl_gw_free_gpkg(pl_gpkg *g);
void pl_gw_discard(pl_gpkg *g);
int pl_gw_end_transaction(pl_gpkg *g);
const char *pl_gw_db_msg(const pl_gpkg *g);
int pl_gw_check_new_layer(pl_gpkg *g, const char *name, const char *title, int spatial,
                           const pl_field_def *fields, int n_fields, const pl_style *style, pl_error *err);
pl_gpkg_layer *pl_gw_new_layer(pl_gpkg *g, const char *name, const char *title, OGRwkbGeometryType gtype,
                                const pl_field_def *fields, int n_fields, const pl_style *style, pl_error *err);

/* gpkg_hash.c */
int pl_gw_input_layer_title(const input_rec *r, char *title, size_t size);
void pl_gw_hashes_join(pl_gpkg_hashes *h);

/* gpkg_temps.c */
int pl_gw_registry_add(pl_gpkg *g);
void pl_gw_registry_remove(pl_gpkg *g);
int pl_gw_temp_add(pl_gpkg *g, const char *path);
long pl_gw_remove_stale_temps(const char *dir, const char *base);

/* gpkg_styles.c */
void pl_gw_quoted_identifier(pl_strbuf *b, const char *name);
char *pl_gw_make_aliases(const pl_gpkg_layer *l);
int pl_gw_make_qml(pl_gpkg *g, pl_gpkg_layer *l, const pl_style *st, pl_error *err);
int pl_gw_check_style(const pl_gpkg *g, const char *name, int spatial, const pl_field_def *fields, int n_fields,
                       const pl_style *st, pl_error *err);
int pl_gw_write_layer_styles(pl_gpkg *g, pl_error *err);

/* gpkg_pg.c: output to PostGIS (-o "PG:CONNINFO:SCHEMA") */
int pl_gw_pg_split(const char *path, char *conn, size_t conn_size, char *schema, size_t schema_size);
int pl_gw_pg_check(const char *path, int overwrite, int csv, pl_error *err);
int pl_gw_pg_publish(const char *path, const char *gpkg, int overwrite, pl_error *err);

/* gpkg_thread.c */
int pl_gw_index_add(pl_gpkg_layer *l, int64_t fid, const pl_envelope *e);
int pl_gw_index_finish(pl_gpkg_layer *l, pl_rtree_plan **plan);
int pl_gw_insert_row(pl_gpkg *g, qrow *r, pl_error *e);
void pl_gw_pool_put(pl_gpkg *g, qrow *r);
qrow *pl_gw_pool_get(pl_gpkg *g);
void pl_gw_pool_free(pl_gpkg *g);
void pl_gw_flush_stage(pl_gpkg *g);
void pl_gw_start_worker(pl_gpkg *g);
int pl_gw_drain(pl_gpkg *g, pl_error *err);
void pl_gw_stop_worker(pl_gpkg *g, int discard);

#endif
