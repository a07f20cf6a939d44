/* SPDX-License-Identifier: GPL-3.0-or-later */
/* GeoPackage writer: views over a written table (pl_gpkg_view_add). */
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
    pl_gw_quoted_identifier(&b, v->name);
    pl_sb_puts(&b, " AS SELECT \"fid\", \"geom\"");
    for (int i = 0; i < n_cols; i++) {
        pl_sb_puts(&b, ", ");
        if (cols[i].sql) {
            pl_sb_printf(&b, "(SELECT %s UNION ALL SELECT ", cols[i].sql);
            pl_gw_quoted_identifier(&b, type_donor(base, &cols[i])->name);
            pl_sb_puts(&b, " FROM ");
            pl_gw_quoted_identifier(&b, base->name);
            pl_sb_puts(&b, " WHERE 0) AS ");
        }
        pl_gw_quoted_identifier(&b, cols[i].field.name);
    }
    pl_sb_puts(&b, " FROM ");
    pl_gw_quoted_identifier(&b, base->name);
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
    int rc = ok ? PL_OK : pl_gw_fail(g, err, PL_EINTERNAL, "%s:%s: cannot register the view: %s", g->path, v->name,
                               pl_gw_db_msg(g));
    sqlite3_finalize(st);
    return rc;
}

/* The view and its gpkg_contents and gpkg_geometry_columns rows, as base's (srs, geometry type,
 * timestamp; the extent follows at commit). No gpkg_ogr_contents row: GDAL then counts the view's
 * rows (0.1 s for 605,490), which stays right if base is edited later. */
static int view_create(pl_gpkg *g, pl_gpkg_layer *v, const pl_view_column *cols, int n_cols, pl_error *err)
{
    if (pl_gw_drain(g, err) != PL_OK)
        return err->code;
    pl_gw_gdal_enter(g);
    int rc = PL_OK;
    if (pl_gw_end_transaction(g) != OGRERR_NONE)
        rc = pl_gw_fail(g, err, PL_EINTERNAL, "%s: cannot commit rows: %s", g->path, pl_gw_db_msg(g));
    /* A misspelt "column" would otherwise be taken for a string literal (SQLite's double-quoted
     * string fallback): refuse it here, where the view is made and first used. */
    int dqs_dml = 1, dqs_ddl = 1;
    sqlite3_db_config(g->db, SQLITE_DBCONFIG_DQS_DML, -1, &dqs_dml);
    sqlite3_db_config(g->db, SQLITE_DBCONFIG_DQS_DDL, -1, &dqs_ddl);
    sqlite3_db_config(g->db, SQLITE_DBCONFIG_DQS_DML, 0, NULL);
    sqlite3_db_config(g->db, SQLITE_DBCONFIG_DQS_DDL, 0, NULL);
    char *create = view_sql(v, v->base, cols, n_cols);
    if (rc == PL_OK && sqlite3_exec(g->db, create, NULL, NULL, NULL) != SQLITE_OK)
        rc = pl_gw_fail(g, err, PL_EINTERNAL, "%s:%s: cannot create the view: %s", g->path, v->name, pl_gw_db_msg(g));
    free(create);
    sqlite3_stmt *st = NULL;  /* SQLite resolves a view's columns only when it is used */
    char *use = sqlite3_mprintf("SELECT * FROM \"%w\"", v->name);
    if (rc == PL_OK && sqlite3_prepare_v2(g->db, use, -1, &st, NULL) != SQLITE_OK)
        rc = pl_gw_fail(g, err, PL_EINTERNAL, "%s:%s: cannot create the view: %s", g->path, v->name, pl_gw_db_msg(g));
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
    pl_gw_gdal_leave();
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
    if (pl_gw_check_new_layer(g, name, title, 1, fields, n_cols, style, err) == 0) {
        int i = 0;
        while (i < n_cols && type_donor(base, &cols[i]))
            i++;
        if (i < n_cols)
            pl_error_set(err, PL_EINTERNAL, "%s:%s: column '%s': %s has no column of %s", g->path, name,
                         fields[i].name, base->name, cols[i].sql ? "its type" : "that name and type");
        else
            v = pl_gw_new_layer(g, name, title, base->gtype, fields, n_cols, style, err);
    }
    free(fields);
    if (!v)
        return NULL;
    v->base = base;
    return view_create(g, v, cols, n_cols, err) == PL_OK ? v : NULL;
}
