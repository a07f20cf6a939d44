/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "testutil.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <math.h>
#include <sqlite3.h>
#include <string.h>

#include "gis/roads.h"

const char *real_data(const char *relative)
{
    static char path[4096];
    /* The tests run from the repository root; the compiled-in source folder is the fallback. */
    struct stat st;
    const char *root = stat("tests/data", &st) == 0 ? "." : PLATSA_SOURCE_DIR;
    snprintf(path, sizeof path, "%s/tests/data/%s", root, relative);
    return path;
}

const char *scratch_dir(const char *name)
{
    static char path[4096];
    snprintf(path, sizeof path, "build/test-tmp/%s", name);
    char cmd[8300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", path, path);
    if (system(cmd) != 0)
        fprintf(stderr, "scratch_dir: could not make %s\n", path);
    return path;
}

int run_cmd(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    if (rc == -1 || !WIFEXITED(rc))
        return -1;
    return WEXITSTATUS(rc);
}

int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

const char *write_text_file(const char *dir, const char *name, const char *text)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    return path;
}

void assert_same_roads(const pl_roads *a, const pl_roads *b)
{
    assert_int_equal(a->n, b->n);
    assert_memory_equal(a->first_vertex, b->first_vertex, (a->n + 1) * sizeof *a->first_vertex);
    size_t nv = a->first_vertex[a->n];
    assert_memory_equal(a->vx, b->vx, nv * sizeof *a->vx);
    assert_memory_equal(a->vy, b->vy, nv * sizeof *a->vy);
    assert_memory_equal(a->id, b->id, a->n * sizeof *a->id);
    assert_memory_equal(a->road_class, b->road_class, a->n);
    assert_memory_equal(a->speed_kmh, b->speed_kmh, a->n * sizeof *a->speed_kmh);
    assert_memory_equal(a->oneway, b->oneway, a->n);
    assert_memory_equal(a->flags, b->flags, a->n);
    assert_memory_equal(a->layer, b->layer, a->n);
    assert_int_equal(a->node_source != NULL, b->node_source != NULL);
    if (a->node_source) {
        assert_memory_equal(a->node_source, b->node_source, a->n * sizeof *a->node_source);
        assert_memory_equal(a->node_target, b->node_target, a->n * sizeof *a->node_target);
    }
    assert_string_equal(a->source, b->source);
}

/* Reads the next CSV record (RFC 4180: quoted fields may hold the separator, quotes, line
 * breaks) into fields (malloc'ed strings); returns the count, -1 at the end of the file. */
static int csv_record(FILE *f, char sep, char ***fields)
{
    int c = fgetc(f);
    if (c == EOF)
        return -1;
    int n = 0, cap = 16;
    *fields = malloc((size_t)cap * sizeof **fields);
    size_t len = 0, fcap = 64;
    char *buf = malloc(fcap);
    int quoted = 0;
    for (;; c = fgetc(f)) {
        if (len + 2 > fcap)
            buf = realloc(buf, fcap *= 2);
        if (quoted) {
            if (c == EOF)
                fail_msg("CSV: end of file inside quotes");
            if (c == '"') {
                int d = fgetc(f);
                if (d == '"') {
                    buf[len++] = '"';
                    continue;
                }
                quoted = 0;
                c = d;
            } else {
                buf[len++] = (char)c;
                continue;
            }
        }
        if (c == '"' && len == 0) {
            quoted = 1;
            continue;
        }
        if (c == sep || c == '\n' || c == EOF) {
            buf[len] = '\0';
            if (n == cap)
                *fields = realloc(*fields, (size_t)(cap *= 2) * sizeof **fields);
            (*fields)[n++] = strdup(buf);
            len = 0;
            if (c != sep)
                break;
            continue;
        }
        if (c != '\r')
            buf[len++] = (char)c;
    }
    free(buf);
    return n;
}

static void free_record(char **f, int n)
{
    for (int i = 0; i < n; i++)
        free(f[i]);
    free(f);
}

/* A whole field as a number ("" is not one). */
static int as_number(const char *s, double *v)
{
    char *end;
    if (!*s)
        return 0;
    *v = strtod(s, &end);
    return *end == '\0';
}

static char *alias_of(sqlite3 *db, const char *table, const char *column)
{
    sqlite3_stmt *st = NULL;
    char *out = strdup(column);
    if (sqlite3_prepare_v2(db, "SELECT title FROM gpkg_data_columns WHERE table_name = ?1 AND column_name = ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return out;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, column, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) && *sqlite3_column_text(st, 0)) {
        free(out);
        out = strdup((const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return out;
}

long assert_csv_sv_matches(const char *default_csv, const char *sv_csv, const char *gpkg, const char *table)
{
    FILE *a = fopen(default_csv, "r"), *b = fopen(sv_csv, "r");
    if (!a || !b)
        fail_msg("cannot open %s or %s", default_csv, sv_csv);
    unsigned char bom[3];
    if (fread(bom, 1, 3, b) != 3 || bom[0] != 0xEF || bom[1] != 0xBB || bom[2] != 0xBF)
        fail_msg("%s: no UTF-8 BOM", sv_csv);
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(gpkg, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        fail_msg("cannot open %s", gpkg);
    long compared = 0;
    char **fa, **fb;
    int na = csv_record(a, ',', &fa), nb = csv_record(b, ';', &fb);
    if (na <= 0 || na != nb)
        fail_msg("%s: %d header fields, %s: %d", default_csv, na, sv_csv, nb);
    for (int i = 0; i < na; i++) {
        char *alias = alias_of(db, table, fa[i]);
        if (strcmp(alias, fb[i]) != 0)
            fail_msg("%s: column %d is '%s', the alias of %s is '%s'", sv_csv, i + 1, fb[i], fa[i], alias);
        free(alias);
    }
    free_record(fa, na);
    free_record(fb, nb);
    for (int row = 2;; row++) {
        na = csv_record(a, ',', &fa);
        nb = csv_record(b, ';', &fb);
        if (na < 0 && nb < 0)
            break;
        if (na != nb)
            fail_msg("%s row %d: %d fields, %s: %d", default_csv, row, na, sv_csv, nb);
        for (int i = 0; i < na; i++) {
            double x, y;
            if (as_number(fa[i], &x) && strpbrk(fa[i], "0123456789")) {
                char *sw = strdup(fb[i]), *comma = strchr(sw, ',');
                if (strchr(sw, '.'))
                    fail_msg("%s row %d col %d: '%s' has a decimal point", sv_csv, row, i + 1, fb[i]);
                if (comma)
                    *comma = '.';
                if (!as_number(sw, &y) || !(x == y || (isnan(x) && isnan(y))))
                    fail_msg("%s row %d col %d: '%s' against '%s'", sv_csv, row, i + 1, fb[i], fa[i]);
                free(sw);
            } else if (strcmp(fa[i], fb[i]) != 0) {
                fail_msg("%s row %d col %d: '%s' against '%s'", sv_csv, row, i + 1, fb[i], fa[i]);
            }
            compared++;
        }
        if (na > 0)
            free_record(fa, na);
        if (nb > 0)
            free_record(fb, nb);
    }
    sqlite3_close(db);
    fclose(a);
    fclose(b);
    return compared;
}

void text_append(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(*buf + *len, *cap - *len, fmt, ap);
        va_end(ap);
        if (n >= 0 && *len + (size_t)n < *cap) {
            *len += (size_t)n;
            return;
        }
        *cap = *cap * 2 + 4096;
        *buf = realloc(*buf, *cap);
        assert_non_null(*buf);
    }
}

void csv_to_gpkg(const char *dir, const char *name, const char *csv, const char *nlt)
{
    write_text_file(dir, name, csv);
    assert_int_equal(run_cmd("cd %s && ogr2ogr -q -f GPKG -a_srs EPSG:3006 -nlt %s -nln %.*s %.*s.gpkg %s "
                             "-oo KEEP_GEOM_COLUMNS=NO -oo AUTODETECT_TYPE=YES", dir, nlt, (int)(strlen(name) - 4), name,
                             (int)(strlen(name) - 4), name, name), 0);
}

char *gpkg_table_dump(sqlite3 *db, const char *table)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT * FROM \"%s\"", table);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    out[0] = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        for (int c = 0; c < sqlite3_column_count(st); c++) {
            int type = sqlite3_column_type(st, c);
            if (type == SQLITE_FLOAT) {
                text_append(&out, &len, &cap, "%a|", sqlite3_column_double(st, c));
            } else if (type == SQLITE_BLOB) {
                const unsigned char *p = sqlite3_column_blob(st, c);
                int n = sqlite3_column_bytes(st, c);
                for (int i = 0; i < n; i++)
                    text_append(&out, &len, &cap, "%02x", p[i]);
                text_append(&out, &len, &cap, "|");
            } else {
                const unsigned char *t = sqlite3_column_text(st, c);
                text_append(&out, &len, &cap, "%d:%s|", type, t ? (const char *)t : "");
            }
        }
        text_append(&out, &len, &cap, "\n");
    }
    sqlite3_finalize(st);
    return out;
}
