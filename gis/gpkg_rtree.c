/* GeoPackage R-tree spatial index: see gpkg_rtree.h. */
#include "gpkg_rtree.h"

#include <stdlib.h>
#include <string.h>

int pl_rtree_list_add(pl_rtree_list *l, int64_t fid, const pl_envelope *e)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 4096;
        pl_rtree_entry *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    if (l->n == 0) {
        l->extent = *e;
    } else {
        if (e->minx < l->extent.minx) l->extent.minx = e->minx;
        if (e->maxx > l->extent.maxx) l->extent.maxx = e->maxx;
        if (e->miny < l->extent.miny) l->extent.miny = e->miny;
        if (e->maxy > l->extent.maxy) l->extent.maxy = e->maxy;
    }
    l->v[l->n++] = (pl_rtree_entry){fid, *e};
    return 0;
}

void pl_rtree_list_free(pl_rtree_list *l)
{
    free(l->v);
    memset(l, 0, sizeof *l);
}

static int exec_owned(sqlite3 *db, char *sql)
{
    if (!sql)
        return -1;
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_free(sql);
    return rc == SQLITE_OK ? 0 : -1;
}

/* One INSERT reused for every entry; the R-tree module rounds the doubles outward to
 * its 32-bit floats itself, as it does for GDAL's trigger-fed inserts. */
static int fill(sqlite3 *db, const char *rt, const pl_rtree_list *l)
{
    char *sql = sqlite3_mprintf("INSERT INTO \"%w\" VALUES (?, ?, ?, ?, ?)", rt);
    sqlite3_stmt *st = NULL;
    int rc = sql && sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK ? 0 : -1;
    sqlite3_free(sql);
    for (size_t i = 0; rc == 0 && i < l->n; i++) {
        const pl_rtree_entry *e = &l->v[i];
        sqlite3_bind_int64(st, 1, e->fid);
        sqlite3_bind_double(st, 2, e->e.minx);
        sqlite3_bind_double(st, 3, e->e.maxx);
        sqlite3_bind_double(st, 4, e->e.miny);
        sqlite3_bind_double(st, 5, e->e.maxy);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = -1;
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc;
}

/* The triggers GDAL 3.6 creates (GeoPackage 1.2 Annex F.3), with fid column "fid". */
static int triggers(sqlite3 *db, const char *t, const char *c, const char *r)
{
    const char *i = "fid";
    int rc = exec_owned(db, sqlite3_mprintf(
        "CREATE TRIGGER \"%w_insert\" AFTER INSERT ON \"%w\" WHEN (new.\"%w\" NOT NULL AND NOT ST_IsEmpty(NEW.\"%w\")) "
        "BEGIN INSERT OR REPLACE INTO \"%w\" VALUES (NEW.\"%w\",ST_MinX(NEW.\"%w\"), ST_MaxX(NEW.\"%w\"),"
        "ST_MinY(NEW.\"%w\"), ST_MaxY(NEW.\"%w\")); END",
        r, t, c, c, r, i, c, c, c, c));
    if (rc == 0)
        rc = exec_owned(db, sqlite3_mprintf(
            "CREATE TRIGGER \"%w_update1\" AFTER UPDATE OF \"%w\" ON \"%w\" WHEN OLD.\"%w\" = NEW.\"%w\" AND "
            "(NEW.\"%w\" NOTNULL AND NOT ST_IsEmpty(NEW.\"%w\")) BEGIN INSERT OR REPLACE INTO \"%w\" VALUES "
            "(NEW.\"%w\",ST_MinX(NEW.\"%w\"), ST_MaxX(NEW.\"%w\"),ST_MinY(NEW.\"%w\"), ST_MaxY(NEW.\"%w\")); END",
            r, c, t, i, i, c, c, r, i, c, c, c, c));
    if (rc == 0)
        rc = exec_owned(db, sqlite3_mprintf(
            "CREATE TRIGGER \"%w_update2\" AFTER UPDATE OF \"%w\" ON \"%w\" WHEN OLD.\"%w\" = NEW.\"%w\" AND "
            "(NEW.\"%w\" ISNULL OR ST_IsEmpty(NEW.\"%w\")) BEGIN DELETE FROM \"%w\" WHERE id = OLD.\"%w\"; END",
            r, c, t, i, i, c, c, r, i));
    if (rc == 0)
        rc = exec_owned(db, sqlite3_mprintf(
            "CREATE TRIGGER \"%w_update3\" AFTER UPDATE ON \"%w\" WHEN OLD.\"%w\" != NEW.\"%w\" AND "
            "(NEW.\"%w\" NOTNULL AND NOT ST_IsEmpty(NEW.\"%w\")) BEGIN DELETE FROM \"%w\" WHERE id = OLD.\"%w\"; "
            "INSERT OR REPLACE INTO \"%w\" VALUES (NEW.\"%w\",ST_MinX(NEW.\"%w\"), ST_MaxX(NEW.\"%w\"),"
            "ST_MinY(NEW.\"%w\"), ST_MaxY(NEW.\"%w\")); END",
            r, t, i, i, c, c, r, i, r, i, c, c, c, c));
    if (rc == 0)
        rc = exec_owned(db, sqlite3_mprintf(
            "CREATE TRIGGER \"%w_update4\" AFTER UPDATE ON \"%w\" WHEN OLD.\"%w\" != NEW.\"%w\" AND "
            "(NEW.\"%w\" ISNULL OR ST_IsEmpty(NEW.\"%w\")) BEGIN DELETE FROM \"%w\" WHERE id IN "
            "(OLD.\"%w\", NEW.\"%w\"); END",
            r, t, i, i, c, c, r, i, i));
    if (rc == 0)
        rc = exec_owned(db, sqlite3_mprintf(
            "CREATE TRIGGER \"%w_delete\" AFTER DELETE ON \"%w\" WHEN old.\"%w\" NOT NULL BEGIN DELETE FROM \"%w\" "
            "WHERE id = OLD.\"%w\"; END",
            r, t, c, r, i));
    return rc;
}

int pl_gpkg_extensions_table(sqlite3 *db)
{
    return sqlite3_exec(db, "CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT,column_name TEXT,"
                            "extension_name TEXT NOT NULL,definition TEXT NOT NULL,scope TEXT NOT NULL,"
                            "CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))",
                        NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

int pl_gpkg_rtree_build(sqlite3 *db, const char *table, const char *geom_col, const pl_rtree_list *l)
{
    char *rt = sqlite3_mprintf("rtree_%s_%s", table, geom_col);
    if (!rt)
        return -1;
    int rc = exec_owned(db, sqlite3_mprintf("CREATE VIRTUAL TABLE \"%w\" USING rtree(id, minx, maxx, miny, maxy)",
                                            rt));
    if (rc == 0)
        rc = fill(db, rt, l);
    if (rc == 0)
        rc = triggers(db, table, geom_col, rt);
    if (rc == 0)
        rc = pl_gpkg_extensions_table(db);
    if (rc == 0)
        rc = exec_owned(db, sqlite3_mprintf(
            "INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) "
            "VALUES ('%q', '%q', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', "
            "'write-only')", table, geom_col));
    sqlite3_free(rt);
    return rc;
}
