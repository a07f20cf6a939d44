/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Output to PostGIS: -o "PG:CONNINFO:SCHEMA". The run writes its GeoPackage to a temporary
 * file as always; at commit every layer is copied (GDALVectorTranslate) into a new schema
 * SCHEMA__platsa_tmp_PID with the run's metadata (table platsa_metadata), then ONE
 * transaction drops the old schema (only with --overwrite), renames the new one into place
 * and puts the styles into public.layer_styles, where QGIS looks for a PostGIS layer's
 * default style. A failure leaves the old schema as it was and drops the temporary one. */
#include "gpkg_internal.h"

#include <gdal_utils.h>

#define PG_SCHEMA_MAX 40  /* + "__platsa_tmp_" + a pid stays within PostgreSQL's 63 bytes */

int pl_gw_pg_split(const char *path, char *conn, size_t conn_size, char *schema, size_t schema_size)
{
    if (!path || strncmp(path, "PG:", 3) != 0)
        return 0;
    pl_vector_split_spec(path, conn, conn_size, schema, schema_size);
    return 1;
}

/* Lower-case ASCII letters, digits and '_', not starting with a digit: no quoting needed,
 * and no name PostgreSQL would fold or reserve (pg_*). */
static int schema_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > PG_SCHEMA_MAX || isdigit((unsigned char)s[0]) || strncmp(s, "pg_", 3) == 0 ||
        strcmp(s, "public") == 0 || strcmp(s, "information_schema") == 0)
        return 0;
    for (const char *p = s; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_'))
            return 0;
    return 1;
}

static GDALDatasetH pg_open(const char *conn, const char *what, pl_error *err)
{
    static const char *const drivers[] = {"PostgreSQL", NULL};
    if (GDALGetDriverCount() == 0)
        GDALAllRegister();
    CPLPushErrorHandler(CPLQuietErrorHandler);
    CPLErrorReset();
    GDALDatasetH ds = GDALOpenEx(conn, GDAL_OF_VECTOR | GDAL_OF_UPDATE, drivers, NULL, NULL);
    CPLPopErrorHandler();
    if (!ds) {
        char why[400];
        snprintf(why, sizeof why, "%s", CPLGetLastErrorMsg());
        for (char *c = why; *c; c++)
            if (*c == '\n' || *c == '\r')
                *c = ' ';
        pl_error_set(err, PL_EINPUT, "%s: cannot connect to the database (%s); check the connection string "
                     "(PG:dbname=... host=... port=...:SCHEMA)", what, why[0] ? why : "no PostgreSQL driver");
    }
    return ds;
}

/* Runs SQL; returns 0, or -1 with the server's message in msg. */
static int pg_exec(GDALDatasetH ds, const char *sql, char *msg, size_t msg_size)
{
    CPLPushErrorHandler(CPLQuietErrorHandler);
    CPLErrorReset();
    OGRLayerH res = GDALDatasetExecuteSQL(ds, sql, NULL, NULL);
    if (res)
        GDALDatasetReleaseResultSet(ds, res);
    int bad = CPLGetLastErrorType() >= CE_Failure;
    if (bad && msg) {
        snprintf(msg, msg_size, "%s", CPLGetLastErrorMsg());
        for (char *c = msg; *c; c++)
            if (*c == '\n' || *c == '\r')
                *c = ' ';
    }
    CPLPopErrorHandler();
    return bad ? -1 : 0;
}

/* 1 when the schema exists, 0 when not, -1 on a failed query. */
static int pg_schema_exists(GDALDatasetH ds, const char *schema)
{
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM pg_namespace WHERE nspname = '%s'", schema);
    CPLPushErrorHandler(CPLQuietErrorHandler);
    OGRLayerH res = GDALDatasetExecuteSQL(ds, sql, NULL, NULL);
    CPLPopErrorHandler();
    if (!res)
        return -1;
    OGRFeatureH f = OGR_L_GetNextFeature(res);
    int n = f ? (int)OGR_F_GetFieldAsInteger64(f, 0) : -1;
    if (f)
        OGR_F_Destroy(f);
    GDALDatasetReleaseResultSet(ds, res);
    return n < 0 ? -1 : n > 0;
}

/* The checks before any work: a schema name, a database that answers, and an existing
 * schema only with --overwrite. */
int pl_gw_pg_check(const char *path, int overwrite, int csv, pl_error *err)
{
    char conn[4096], schema[512];
    pl_gw_pg_split(path, conn, sizeof conn, schema, sizeof schema);
    if (!schema[0])
        return pl_error_set(err, PL_EINPUT, "%s: no schema given; write -o \"PG:CONNINFO:SCHEMA\" (the layers go "
                            "into that schema)", path);
    if (!schema_name_ok(schema))
        return pl_error_set(err, PL_EINPUT, "%s: schema '%s' is not a plain name; use up to %d lower-case letters, "
                            "digits and '_' (not public or pg_*)", path, schema, PG_SCHEMA_MAX);
    if (csv)
        return pl_error_set(err, PL_EINPUT, "%s: --csv writes files beside a GeoPackage; drop --csv with a PG: "
                            "output", path);
    GDALDatasetH ds = pg_open(conn, path, err);
    if (!ds)
        return PL_EINPUT;
    int exists = pg_schema_exists(ds, schema);
    int has_postgis = 0;
    OGRLayerH res = GDALDatasetExecuteSQL(ds, "SELECT count(*) FROM pg_extension WHERE extname = 'postgis'",
                                          NULL, NULL);
    if (res) {
        OGRFeatureH f = OGR_L_GetNextFeature(res);
        has_postgis = f && OGR_F_GetFieldAsInteger64(f, 0) > 0;
        if (f)
            OGR_F_Destroy(f);
        GDALDatasetReleaseResultSet(ds, res);
    }
    GDALClose(ds);
    if (exists < 0)
        return pl_error_set(err, PL_EINPUT, "%s: cannot read the database's schemas; check the user's rights", path);
    if (!has_postgis)
        return pl_error_set(err, PL_EINPUT, "%s: the database has no PostGIS; run CREATE EXTENSION postgis in it "
                            "first", path);
    if (exists && !overwrite)
        return pl_error_set(err, PL_EINPUT, "%s: schema '%s' exists; use --overwrite to replace it", path, schema);
    return PL_OK;
}

/* The run's metadata JSON from the temporary GeoPackage (NULL when absent). */
static char *gpkg_metadata_json(const char *gpkg)
{
    sqlite3 *db = NULL;
    char *out = NULL;
    if (sqlite3_open_v2(gpkg, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, "SELECT metadata FROM gpkg_metadata ORDER BY id LIMIT 1", -1, &st, NULL) ==
                SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            out = pl_strdup((const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return out;
}

/* SQL string literal of s ('' doubled; standard_conforming_strings is on since 9.1). */
static void sql_literal(pl_strbuf *b, const char *s)
{
    pl_sb_puts(b, "'");
    for (const char *p = s; *p; p++)
        pl_sb_add(b, *p == '\'' ? "''" : p, *p == '\'' ? 2 : 1);
    pl_sb_puts(b, "'");
}

static int copy_layers(GDALDatasetH pg, const char *gpkg, const char *tmp, const char *path, pl_error *err)
{
    static const char *const only_gpkg[] = {"GPKG", NULL};
    CPLPushErrorHandler(CPLQuietErrorHandler);  /* "non conformant file extension": the temporary's name */
    GDALDatasetH src = GDALOpenEx(gpkg, GDAL_OF_VECTOR | GDAL_OF_READONLY, only_gpkg, NULL, NULL);
    CPLPopErrorHandler();
    if (!src)
        return pl_error_set(err, PL_EINTERNAL, "%s: cannot reopen the temporary GeoPackage %s", path, gpkg);
    char *argv[] = {"-lco", "GEOMETRY_NAME=geom", "-lco", "FID=fid", "-lco",
                    "SPATIAL_INDEX=GIST", "-preserve_fid", NULL};
    GDALVectorTranslateOptions *o = GDALVectorTranslateOptionsNew(argv, NULL);
    int usage = 0;
    CPLPushErrorHandler(CPLQuietErrorHandler);
    CPLErrorReset();
    GDALDatasetH out = o ? GDALVectorTranslate(NULL, pg, 1, &src, o, &usage) : NULL;
    char why[400];
    snprintf(why, sizeof why, "%s", CPLGetLastErrorMsg());
    CPLPopErrorHandler();
    GDALVectorTranslateOptionsFree(o);
    GDALClose(src);
    if (!out || usage)
        return pl_error_set(err, PL_EINTERNAL, "%s: copying the layers into the database failed: %s", path, why);
    char *json = gpkg_metadata_json(gpkg);
    pl_strbuf sql = {0};
    pl_sb_printf(&sql, "CREATE TABLE \"%s\".platsa_metadata (metadata text NOT NULL); "
                      "INSERT INTO \"%s\".platsa_metadata VALUES (", tmp, tmp);
    sql_literal(&sql, json ? json : "{}");
    pl_sb_puts(&sql, ")");
    free(json);
    int rc = pg_exec(pg, sql.s, why, sizeof why);
    free(sql.s);
    if (rc != 0)
        return pl_error_set(err, PL_EINTERNAL, "%s: writing the metadata into the database failed: %s", path, why);
    return PL_OK;
}

/* Copies every layer of the GeoPackage into tmp (new), plus the metadata. The database is
 * opened seeing tmp only (schemas=), so a public.layer_styles is not taken for the layer
 * layer_styles being copied. */
static int copy_into(const char *conn, const char *gpkg, const char *tmp, const char *path, pl_error *err)
{
    char tconn[4800];
    snprintf(tconn, sizeof tconn, "%s schemas=%s", conn, tmp);
    GDALDatasetH pg = pg_open(tconn, path, err);
    if (!pg)
        return PL_EINPUT;
    int rc = copy_layers(pg, gpkg, tmp, path, err);
    GDALClose(pg);
    return rc;
}

/* The swap, one multi-statement query (PostgreSQL runs it as a single transaction):
 * the styles move from tmp.layer_styles (copied from the GeoPackage) to
 * public.layer_styles with this schema and database; the old schema goes, tmp is renamed.
 * An attribute table's style (its Swedish aliases) has f_geometry_column '' in the
 * GeoPackage; QGIS's postgres provider looks a table's style up with
 * "f_geometry_column IS NULL", so it becomes NULL here (tests/qgis/check_pg.py). */
static char *swap_sql(const char *schema, const char *tmp, int had_styles)
{
    pl_strbuf b = {0};
    pl_sb_puts(&b,
        "CREATE TABLE IF NOT EXISTS public.layer_styles (id serial PRIMARY KEY, f_table_catalog varchar, "
        "f_table_schema varchar, f_table_name varchar, f_geometry_column varchar, stylename text, styleqml xml, "
        "stylesld xml, useasdefault boolean, description text, owner varchar(63) DEFAULT CURRENT_USER, ui xml, "
        "update_time timestamp DEFAULT CURRENT_TIMESTAMP); ");
    pl_sb_printf(&b, "DELETE FROM public.layer_styles WHERE f_table_catalog = current_database() AND "
                      "f_table_schema = '%s'; ", schema);
    if (had_styles) {
        pl_sb_printf(&b,
            "INSERT INTO public.layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
            "stylename, styleqml, stylesld, useasdefault, description, update_time) SELECT current_database(), "
            "'%s', f_table_name, nullif(f_geometry_column, ''), stylename, XMLPARSE(DOCUMENT styleqml), "
            "XMLPARSE(DOCUMENT nullif(stylesld, '')), useasdefault::int <> 0, description, "
            "update_time::timestamp FROM \"%s\".layer_styles ORDER BY fid; DROP TABLE \"%s\".layer_styles; ",
            schema, tmp, tmp);
    }
    pl_sb_printf(&b, "DROP SCHEMA IF EXISTS \"%s\" CASCADE; ALTER SCHEMA \"%s\" RENAME TO \"%s\"", schema, tmp,
                      schema);
    return b.s;
}

/* Does the copied schema hold a layer_styles table? */
static int has_styles_table(GDALDatasetH pg, const char *tmp)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM pg_tables WHERE schemaname = '%s' AND tablename = "
             "'layer_styles'", tmp);
    OGRLayerH res = GDALDatasetExecuteSQL(pg, sql, NULL, NULL);
    if (!res)
        return 0;
    OGRFeatureH f = OGR_L_GetNextFeature(res);
    int n = f ? (int)OGR_F_GetFieldAsInteger64(f, 0) : 0;
    if (f)
        OGR_F_Destroy(f);
    GDALDatasetReleaseResultSet(pg, res);
    return n > 0;
}

int pl_gw_pg_publish(const char *path, const char *gpkg, int overwrite, pl_error *err)
{
    char conn[4096], schema[512], tmp[128], why[400];
    pl_gw_pg_split(path, conn, sizeof conn, schema, sizeof schema);
    int rc = pl_gw_pg_check(path, overwrite, 0, err);
    if (rc != PL_OK)
        return rc;
    snprintf(tmp, sizeof tmp, "%.40s__platsa_tmp_%ld", schema, (long)getpid());
    GDALDatasetH pg = pg_open(conn, path, err);
    if (!pg)
        return PL_EINPUT;
    char sql[512];
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS \"%s\" CASCADE; CREATE SCHEMA \"%s\"", tmp, tmp);
    if (pg_exec(pg, sql, why, sizeof why) != 0) {
        GDALClose(pg);
        return pl_error_set(err, PL_EINPUT, "%s: cannot create schema %s (%s); the user needs CREATE on the database",
                            path, tmp, why);
    }
    rc = copy_into(conn, gpkg, tmp, path, err);
    if (rc == PL_OK) {
        char *swap = swap_sql(schema, tmp, has_styles_table(pg, tmp));
        if (pg_exec(pg, swap, why, sizeof why) != 0)
            rc = pl_error_set(err, PL_EINTERNAL, "%s: replacing schema %s failed (%s); it is as it was", path, schema,
                              why);
        free(swap);
    }
    if (rc != PL_OK) {
        snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS \"%s\" CASCADE", tmp);
        pg_exec(pg, sql, NULL, 0);
    }
    GDALClose(pg);
    return rc;
}
