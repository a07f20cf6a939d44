/* SPDX-License-Identifier: GPL-3.0-or-later */
/* GeoPackage writer: the writer thread that inserts finished rows (a bounded queue, a pool
 * of rows for reuse, batched multi-row INSERTs). */
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

/* ------------------------------------------------------------------ writer thread */

/* INSERT INTO "layer" ("geom", "f1", ...) VALUES (?, ...)[, (?, ...) ...] for n_rows rows
 * into *st: the fid is SQLite's rowid. */
static int prepare_insert_rows(pl_gpkg *g, pl_gpkg_layer *l, int n_rows, sqlite3_stmt **st)
{
    pl_strbuf b = {0};
    int spatial = l->gtype != wkbNone;
    pl_sb_puts(&b, "INSERT INTO ");
    pl_gw_quoted_identifier(&b, l->name);
    pl_sb_puts(&b, " (");
    if (spatial)
        pl_sb_puts(&b, "\"geom\"");
    for (int i = 0; i < l->n_fields; i++) {
        if (i || spatial)
            pl_sb_puts(&b, ", ");
        pl_gw_quoted_identifier(&b, l->fields[i].name);
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
        pl_gw_quoted_identifier(&b, l->name);
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

/* Rows per multi-row INSERT of a layer: MULTI_ROWS, halved until SQLite takes that many
 * parameters (a wide table on an SQLite with a low limit); 1: rows go one by one. */
static int multi_rows(pl_gpkg *g, pl_gpkg_layer *l)
{
    if (!l->multi_n) {
        int per_row = l->n_fields + (l->gtype != wkbNone);
        long limit = sqlite3_limit(g->db, SQLITE_LIMIT_VARIABLE_NUMBER, -1);
        int m = per_row > 0 ? MULTI_ROWS : 1;
        while (m > 1 && (long)per_row * m > limit)
            m /= 2;
        l->multi_n = m;
    }
    return l->multi_n;
}

/* The multi_rows() statement, prepared on first use; NULL when it cannot be (rows then go
 * one by one). */
static sqlite3_stmt *multi_insert(pl_gpkg *g, pl_gpkg_layer *l)
{
    if (!l->multi_tried) {
        l->multi_tried = 1;
        if (multi_rows(g, l) > 1 && prepare_insert_rows(g, l, multi_rows(g, l), &l->ins_multi) != 0)
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

/* Inserts n finished rows of one layer (n = 1, or multi_rows() in one statement when the
 * layer allows it). Runs on the writer thread (or on the caller's when no thread could be
 * started). 0 or -1 (e set). */
static int insert_rows(pl_gpkg *g, qrow *const *rows, int n, pl_error *e)
{
    pl_gpkg_layer *l = rows[0]->l;
    if (!g->in_tx) {
        /* Our rows go in without GDAL's feature-count triggers (an UPDATE of gpkg_ogr_contents
         * per row, comparing lower(table_name): half of the writer thread's CPU on 400,000
         * rows); the commit writes every layer's count. On again at the end of the
         * transaction (pl_gw_end_transaction), before GDAL uses the connection. */
        if (sqlite3_exec(g->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
            return pl_error_set(e, PL_EINTERNAL, "%s: cannot start a transaction: %s", g->path, pl_gw_db_msg(g)), -1;
        g->in_tx = 1;
        sqlite3_db_config(g->db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
    }
    if (!l->ins && prepare_insert(g, l) != 0)
        return pl_error_set(e, PL_EINTERNAL, "%s:%s: cannot prepare the insert: %s", g->path, l->name, pl_gw_db_msg(g)), -1;
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
            pl_error_set(e, PL_EINTERNAL, "%s:%s: feature %lld: cannot write: %s", g->path, l->name, first, pl_gw_db_msg(g));
        else
            pl_error_set(e, PL_EINTERNAL, "%s:%s: features %lld to %lld: cannot write: %s", g->path, l->name, first,
                         l->n_inserted, pl_gw_db_msg(g));
        return -1;
    }
    /* The rows of one statement get consecutive rowids, the last one reported. */
    sqlite3_int64 last = sqlite3_last_insert_rowid(g->db);
    for (int i = 0; i < n; i++) {
        const qrow *r = rows[i];
        if (r->geom_n && !r->geom_empty && pl_gw_index_add(l, last - (n - 1 - i), &r->env) != 0)
            return pl_error_set(e, PL_EINTERNAL, "%s:%s: out of memory for the spatial index", g->path, l->name), -1;
    }
    g->tx_rows += n;
    if (g->tx_rows >= g->batch_rows && pl_gw_end_transaction(g) != OGRERR_NONE)
        return pl_error_set(e, PL_EINTERNAL, "%s: cannot commit rows: %s", g->path, pl_gw_db_msg(g)), -1;
    return 0;
}

/* The rows' entries announced ahead that matched so far go to l->rtree, and no more are
 * checked: the rows differ from what was announced (or stopped short). 0 or -1 (out of memory). */
static int index_drop_ahead(pl_gpkg_layer *l)
{
    l->ahead_on = 0;
    for (size_t i = 0; i < l->ahead_seen; i++)
        if (pl_rtree_list_add(&l->rtree, l->ahead.v[i].fid, &l->ahead.v[i].e) != 0)
            return -1;
    return 0;
}

/* An inserted row's entry for the spatial index: while the rows match the entries announced
 * ahead (pl_gpkg_layer_index_ahead) only counted, else kept in l->rtree. 0 or -1. */
int pl_gw_index_add(pl_gpkg_layer *l, int64_t fid, const pl_envelope *e)
{
    if (l->ahead_on) {
        const pl_rtree_entry *a = l->ahead.v + l->ahead_seen;
        if (l->ahead_seen < l->ahead.n && a->fid == fid && memcmp(&a->e, e, sizeof *e) == 0) {
            l->ahead_seen++;
            return 0;
        }
        if (index_drop_ahead(l) != 0)
            return -1;
    }
    return pl_rtree_list_add(&l->rtree, fid, e);
}

/* Once every row is inserted: waits for the index packed ahead, if any, and sets *plan to it
 * when the rows had exactly the entries announced (l->rtree then holds them, as if
 * collected); else *plan is NULL and l->rtree holds the rows' entries. 0, or -1 when out of
 * memory. */
int pl_gw_index_finish(pl_gpkg_layer *l, pl_rtree_plan **plan)
{
    if (l->plan_running) {
        pthread_join(l->plan_thread, NULL);
        l->plan_running = 0;
    }
    *plan = NULL;
    int rc = 0;
    if (l->ahead_on && l->ahead_seen == l->ahead.n && l->rtree.n == 0) {
        pl_rtree_list_free(&l->rtree);
        l->rtree = l->ahead;
        memset(&l->ahead, 0, sizeof l->ahead);
        *plan = l->plan;
        l->plan = NULL;
    } else if (l->ahead_on) {
        rc = index_drop_ahead(l);
    }
    l->ahead_on = 0;
    pl_rtree_list_free(&l->ahead);
    pl_rtree_plan_free(l->plan);
    l->plan = NULL;
    return rc;
}

int pl_gw_insert_row(pl_gpkg *g, qrow *r, pl_error *e)
{
    return insert_rows(g, &r, 1, e);
}

/* Inserts a batch of rows: runs of multi_rows() rows of one layer in one statement, unless
 * that would cross the end of a transaction (every batch_rows rows). */
static int insert_batch(pl_gpkg *g, qrow *const *rows, int n, pl_error *e)
{
    for (int i = 0; i < n;) {
        int m = multi_rows(g, rows[i]->l), run = 1;
        while (run < m && i + run < n && rows[i + run]->l == rows[i]->l && g->tx_rows + run < g->batch_rows)
            run++;
        int k = run == m ? m : 1;
        if (insert_rows(g, rows + i, k, e) != 0)
            return -1;
        i += k;
    }
    return 0;
}

/* Returns a row to the pool (no writer thread: nothing else touches it). */
void pl_gw_pool_put(pl_gpkg *g, qrow *r)
{
    r->next = g->pool;
    g->pool = r;
}

qrow *pl_gw_pool_get(pl_gpkg *g)
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

void pl_gw_pool_free(pl_gpkg *g)
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
void pl_gw_flush_stage(pl_gpkg *g)
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

void pl_gw_start_worker(pl_gpkg *g)
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

/* Waits until every queued row is inserted; hands a writer failure to pl_gw_fail(). */
int pl_gw_drain(pl_gpkg *g, pl_error *err)
{
    if (!g->worker_on)
        return PL_OK;
    pl_gw_flush_stage(g);
    pthread_mutex_lock(&g->mu);
    while (g->q_n > 0 || g->q_busy)
        pthread_cond_wait(&g->cv_put, &g->mu);
    int failed = g->async_failed;
    pl_error e = g->async_err;
    pthread_mutex_unlock(&g->mu);
    if (failed && !g->failed)
        return pl_gw_fail(g, err, e.code, "%s", e.msg);
    return g->failed ? pl_gw_sticky(g, err) : PL_OK;
}

/* Ends the writer thread: after the queue is inserted, or (discard) dropping what is queued. */
void pl_gw_stop_worker(pl_gpkg *g, int discard)
{
    if (!g->worker_on)
        return;
    if (!discard)
        pl_gw_flush_stage(g);  /* discarded: staged rows are freed with the pool */
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
