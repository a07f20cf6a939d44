/* SPDX-License-Identifier: GPL-3.0-or-later */
/* GeoPackage writer: the metadata (JSON, gpkg_metadata, gpkg_data_columns, layer index and
 * counts) written after GDAL has closed the file, and the commit (rename into place). */
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

/* ------------------------------------------------------------------ metadata and commit */

/* Tests: rename number k of the next commits fails (pl_gpkg_fail_rename_at); -1 none. */
static int g_fail_rename_at = -1;

void pl_gpkg_fail_rename_at(int k)
{
    g_fail_rename_at = k;
}

/* Tests: spatial indexes written from a packing ahead (pl_gpkg_index_ahead_used). */
static long g_index_ahead_used;

long pl_gpkg_index_ahead_used(void)
{
    return g_index_ahead_used;
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
        if (pl_gw_input_layer_title(r, title, sizeof title)) {
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
        pl_gw_fail(g, err, PL_EINTERNAL, "%s: SQLite: %s", g->path, msg ? msg : sqlite3_errmsg(db));
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
        pl_gw_fail(g, err, PL_EINTERNAL, "%s: SQLite: %s", g->path, sqlite3_errmsg(db));
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
            pl_rtree_plan *plan = NULL;
            rc = pl_gw_index_finish(l, &plan);
            int has_extent = l->rtree.n > 0;  /* else GDAL leaves the extent NULL */
            pl_envelope e = l->rtree.extent;
            if (rc == 0)
                rc = pl_gpkg_rtree_build(db, l->name, "geom", &l->rtree, plan);
            if (rc == 0 && plan)
                g_index_ahead_used++;
            pl_rtree_plan_free(plan);
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
        pl_gw_fail(g, err, PL_EINTERNAL, "%s: cannot write the spatial index: %s", g->path, sqlite3_errmsg(db));
    sqlite3_finalize(ext);
    sqlite3_finalize(cnt);
    sqlite3_finalize(vext);
    return rc;
}

/* SQLite's progress handler while the spatial indexes are written: what SQLite wrote so far
 * starts going to disk (not waited for), so the fsync before the rename finds less to do. */
static int writeback_tick(void *arg)
{
    const pl_gpkg *g = arg;
    sync_file_range(g->writeback_fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    return 0;
}

/* gpkg_data_columns (schema extension) and gpkg_metadata (metadata extension). */
static int write_sqlite_extras(pl_gpkg *g, pl_error *err)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(g->temps[0], &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        pl_gw_fail(g, err, PL_EINTERNAL, "%s: cannot reopen %s: %s", g->path, g->temps[0],
             db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return -1;
    }
    /* The temporary file needs no journal (see pl_gpkg_create). The spatial indexes are
     * appended to their tables: a small page cache spills their pages to the file as they
     * are filled, and the progress handler starts writing them back meanwhile. */
    int rc = sql_exec(g, db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -4096; "
                      "BEGIN", err);
    if (g->writeback_fd >= 0)
        sqlite3_progress_handler(db, 200000, writeback_tick, g);
    if (rc == 0 && pl_gpkg_extensions_table(db) != 0) {
        pl_gw_fail(g, err, PL_EINTERNAL, "%s: SQLite: %s", g->path, sqlite3_errmsg(db));
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
            pl_gw_fail(g, err, PL_EINTERNAL, "%s: SQLite: %s", g->path, sqlite3_errmsg(db));
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
                    pl_gw_fail(g, err, PL_EINTERNAL, "%s: SQLite: %s", g->path, sqlite3_errmsg(db));
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
            pl_gw_fail(g, err, PL_EINTERNAL, "%s: cannot write run metadata: %s", g->path, sqlite3_errmsg(db));
    }
    if (rc == 0)
        rc = sql_exec(g, db, "COMMIT", err);
    else
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    if (sqlite3_close(db) != SQLITE_OK && rc == 0)
        rc = pl_gw_fail(g, err, PL_EINTERNAL, "%s: cannot close %s", g->path, g->temps[0]);
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
        int rc = pl_gw_sticky(g, err);
        pl_gw_discard(g);
        return rc;
    }
    int drc = pl_gw_drain(g, err);
    if (drc != PL_OK) {
        pl_gw_discard(g);
        return drc;
    }
    pl_gw_stop_worker(g, 0);
    pl_gw_gdal_enter(g);
    int rc = PL_OK;
    if (pl_gw_end_transaction(g) != OGRERR_NONE)
        rc = pl_gw_fail(g, err, PL_EINTERNAL, "%s: cannot commit rows: %s", g->path, pl_gw_db_msg(g));
    if (g->writeback_fd >= 0)  /* the last rows start going to disk while the indexes are written */
        sync_file_range(g->writeback_fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    for (int i = 0; i < g->n_layers; i++) {  /* before GDALClose, which cannot close with them open */
        g->layers[i]->in_row = 0;
        sqlite3_finalize(g->layers[i]->ins);
        sqlite3_finalize(g->layers[i]->ins_multi);
        g->layers[i]->ins = g->layers[i]->ins_multi = NULL;
    }
    if (rc == PL_OK)
        rc = pl_gw_write_layer_styles(g, err);
    if (rc == PL_OK) {
        CPLErrorReset();
        GDALClose(g->ds);
        g->ds = NULL;
        g->db = NULL;
        if (CPLGetLastErrorType() >= CE_Failure)
            rc = pl_gw_fail(g, err, PL_EINTERNAL, "%s: cannot finish the GeoPackage: %s", g->path, pl_gw_gdal_msg());
    }
    pl_gw_gdal_leave();
    pl_gw_hashes_join(g->hashes);  /* the metadata records the inputs' hashes */
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
            rc = pl_gw_fail(g, err, PL_EINTERNAL, "%s: cannot write %s: %s", g->path, l->csv_final, strerror(errno));
    }
    if (rc == PL_OK && fsync_path(g->temps[0], 0) != 0)
        rc = pl_gw_fail(g, err, PL_EINTERNAL, "%s: cannot flush %s: %s", g->path, g->temps[0], strerror(errno));
    if (rc == PL_OK && g->pg) {  /* into the database; the temporary GeoPackage goes either way */
        pl_error perr = {0};
        if (pl_gw_pg_publish(g->path, g->temps[0], g->overwrite, &perr) != PL_OK)
            rc = pl_gw_fail(g, err, perr.code, "%s", perr.msg);
        else
            unlink(g->temps[0]);
    }
    /* Every file of the output is complete and on disk: all are renamed into place, or none. */
    if (rc == PL_OK && !g->pg) {
        pl_commit *set = pl_commit_new();
        pl_commit_add(set, g->temps[0], g->path);
        for (int i = 0; i < g->n_layers; i++)
            if (g->layers[i]->csv_slot >= 0 && g->layers[i]->csv_final)
                pl_commit_add(set, g->temps[g->layers[i]->csv_slot], g->layers[i]->csv_final);
        if (g_fail_rename_at >= 0)
            pl_commit_fail_rename_at(set, g_fail_rename_at);
        pl_error cerr = {0};
        if (pl_commit_run(set, &cerr) != PL_OK)
            rc = pl_gw_fail(g, err, cerr.code, "%s", cerr.msg);
        pl_commit_free(set);
    }
    if (rc != PL_OK) {
        pl_gw_discard(g);
        return rc;
    }
    if (!g->pg)
        fsync_path(g->dir, 1);
    pl_info(g->ctx, "wrote %s", g->path);
    if (g->ctx->verbose)
        pl_info(g->ctx, "%s: the writer thread used %.2f s of CPU", g->path, g->writer_cpu_s);
    pl_gw_registry_remove(g);
    pl_gw_free_gpkg(g);
    pl_error_clear(err);
    return PL_OK;
}

void pl_gpkg_abort(pl_gpkg *g)
{
    pl_gw_discard(g);
}
