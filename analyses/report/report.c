/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Map report: see report.h.
 *
 * Reading: gpkg_contents, gpkg_data_columns and gpkg_metadata with sqlite3 (read-only);
 * geometries through GDAL/OGR in gis/map_render.c, styles as QGIS loads them.
 * Writing: everything goes into a temporary folder beside the target, which is renamed
 * into place at the end (exchanged atomically with an older report when --overwrite). */
#include "report.h"
#include "gis/vector.h"

#include "gis/commit.h"
#include "gis/map_render.h"
#include "gis/strbuf.h"

#include <gdal.h>
#include <ogr_api.h>
#include <cpl_error.h>
#include <json-c/json.h>
#include <sqlite3.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "analyses/common/run.h"

#define OPEN_UPPER 1e11      /* graduated classes with an upper bound above this are open ("> x") */
#define MAX_TABLE_COLS 40

const char pl_report_usage[] = "platsa report OUT.gpkg -o FOLDER [options]";
const char pl_report_summary[] =
    "Writes a self-contained HTML report (index.html and PNG maps in FOLDER) from a platsa\n"
    "GeoPackage: per analysis, maps of the key layers in their default styles with legend,\n"
    "north arrow and scale bar, the municipality tables with Swedish headings, and the run's\n"
    "parameters and inputs. Open FOLDER/index.html in any browser; no network is needed.";

const pl_option pl_report_options[] = {
    {"output", 'o', PL_OPT_STRING, offsetof(pl_report_opts, output), "FOLDER", NULL,
     "report folder to create (index.html + maps)", 1, PL_OUTPUT_PATH},
    {"overwrite", 0, PL_OPT_FLAG, offsetof(pl_report_opts, overwrite), NULL, NULL,
     "replace an existing report folder that platsa wrote", 0, PL_NO_RANGE},
    {"width", 0, PL_OPT_INT, offsetof(pl_report_opts, width), "PX", "1100", "map width in pixels", 0, PL_IN(100, 10000)},
    {"height", 0, PL_OPT_INT, offsetof(pl_report_opts, height), "PX", "800", "map height in pixels", 0, PL_IN(100, 10000)},
    {"title", 0, PL_OPT_STRING, offsetof(pl_report_opts, title), "TEXT", NULL,
     "page title [from the analyses]", 0, PL_NO_RANGE},
    {"attribution", 0, PL_OPT_STRING, offsetof(pl_report_opts, attribution), "TEXT", NULL,
     "data credit line on the maps [from the run's inputs]", 0, PL_NO_RANGE},
    {"max-rows", 0, PL_OPT_INT, offsetof(pl_report_opts, max_rows), "N", "0",
     "rows per table, 0 = all", 0, PL_GE(0)},
    {"goal-min", 0, PL_OPT_DOUBLE, offsetof(pl_report_opts, goal_min), "MIN", NULL,
     "the region's travel-time goal (e.g. 30: \"ingen mer än 30 minuter\"): headline share and a "
     "column of residents beyond it, counted from the cells [the last time band]", 0, PL_GT(0)},
    PL_OPT_END,
};

/* ------------------------------------------------------------------ strings */

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ------------------------------------------------------------------ model */

typedef struct column {
    char *name;
    char *alias;               /* gpkg_data_columns.title or NULL */
} column;

typedef struct layer_info {
    char *name;
    char *identifier;          /* gpkg_contents.identifier */
    int spatial;
    column *cols;
    int n_cols;
    int analysis;              /* index into analyses */
} layer_info;

typedef struct param {
    char *name, *value;
} param;

typedef struct input_info {
    char *path;
    long long size;            /* -1 unknown */
    char *sha256;
    char *title;               /* the input layer's own title (REAL / SYNTHETIC ...), or NULL */
    int synthetic;             /* made by platsa synth: said in headings, captions, credits */
} input_info;

typedef struct analysis {
    char *key;                 /* "access", "classify", ... or "" */
    char *created;
    char *command_line;
    char *version;
    char *work_crs;
    param *params;
    int n_params;
    input_info *inputs;
    int n_inputs;
    char **layer_names;        /* from the metadata */
    int n_layer_names;
    char *libraries;           /* "GDAL 3.6.2, GEOS ..." */
} analysis;

typedef struct report {
    pl_ctx *ctx;
    const pl_report_opts *o;
    sqlite3 *db;
    layer_info *layers;
    int n_layers;
    analysis *an;
    int n_an;
    char attribution[1024];
    /* output */
    char tmpdir[PATH_MAX];
    char **files;              /* written into tmpdir */
    int n_files;
    int map_seq;
    int goal_used;             /* --goal-min found travel times per cell somewhere */
} report;

static void free_report(report *r)
{
    for (int i = 0; i < r->n_layers; i++) {
        layer_info *l = &r->layers[i];
        free(l->name);
        free(l->identifier);
        for (int c = 0; c < l->n_cols; c++) {
            free(l->cols[c].name);
            free(l->cols[c].alias);
        }
        free(l->cols);
    }
    free(r->layers);
    for (int a = 0; a < r->n_an; a++) {
        analysis *x = &r->an[a];
        free(x->key);
        free(x->created);
        free(x->command_line);
        free(x->version);
        free(x->work_crs);
        free(x->libraries);
        for (int i = 0; i < x->n_params; i++) {
            free(x->params[i].name);
            free(x->params[i].value);
        }
        free(x->params);
        for (int i = 0; i < x->n_inputs; i++) {
            free(x->inputs[i].path);
            free(x->inputs[i].sha256);
            free(x->inputs[i].title);
        }
        free(x->inputs);
        for (int i = 0; i < x->n_layer_names; i++)
            free(x->layer_names[i]);
        free(x->layer_names);
    }
    free(r->an);
    for (int i = 0; i < r->n_files; i++)
        free(r->files[i]);
    free(r->files);
    if (r->db)
        sqlite3_close(r->db);
}

static const char *alias_of(const layer_info *l, const char *col)
{
    for (int c = 0; c < l->n_cols; c++)
        if (strcmp(l->cols[c].name, col) == 0)
            return l->cols[c].alias && *l->cols[c].alias ? l->cols[c].alias : l->cols[c].name;
    return col;
}

static int has_col(const layer_info *l, const char *col)
{
    for (int c = 0; c < l->n_cols; c++)
        if (strcmp(l->cols[c].name, col) == 0)
            return 1;
    return 0;
}

static const char *param_of(const analysis *a, const char *name)
{
    for (int i = 0; i < a->n_params; i++)
        if (strcmp(a->params[i].name, name) == 0)
            return a->params[i].value;
    return NULL;
}

/* ------------------------------------------------------------------ reading */

static char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? pl_strdup((const char *)t) : NULL;
}

static int table_exists(sqlite3 *db, const char *name)
{
    sqlite3_stmt *st = NULL;
    int found = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type IN ('table','view') AND name = ?", -1, &st,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        found = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    return found;
}

static void quote_ident(char *buf, size_t size, const char *name)
{
    size_t o = 0;
    buf[o++] = '"';
    for (const char *p = name; *p && o + 3 < size; p++) {
        if (*p == '"')
            buf[o++] = '"';
        buf[o++] = *p;
    }
    buf[o++] = '"';
    buf[o] = '\0';
}

static int read_layers(report *r, pl_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(r->db,
            "SELECT table_name, data_type, identifier FROM gpkg_contents "
            "WHERE data_type IN ('features', 'attributes') AND table_name <> 'layer_styles' ORDER BY rowid", -1, &st, NULL) != SQLITE_OK)
        return pl_error_set(err, PL_EINPUT, "%s: not a GeoPackage (no gpkg_contents): %s", r->o->input,
                            sqlite3_errmsg(r->db));
    while (sqlite3_step(st) == SQLITE_ROW) {
        r->layers = pl_realloc(r->layers, ((size_t)r->n_layers + 1) * sizeof *r->layers);
        layer_info *l = &r->layers[r->n_layers++];
        memset(l, 0, sizeof *l);
        l->name = col_text(st, 0);
        char *type = col_text(st, 1);
        l->spatial = type && strcmp(type, "features") == 0;
        free(type);
        l->identifier = col_text(st, 2);
        l->analysis = -1;
    }
    sqlite3_finalize(st);
    int have_dc = table_exists(r->db, "gpkg_data_columns");
    for (int i = 0; i < r->n_layers; i++) {
        layer_info *l = &r->layers[i];
        char q[600], sql[700];
        quote_ident(q, sizeof q, l->name);
        snprintf(sql, sizeof sql, "PRAGMA table_info(%s)", q);
        if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK)
            return pl_error_set(err, PL_EINPUT, "%s: cannot read the columns of %s: %s", r->o->input, l->name,
                                sqlite3_errmsg(r->db));
        while (sqlite3_step(st) == SQLITE_ROW) {
            char *name = col_text(st, 1);
            char *type = col_text(st, 2);
            int pk = sqlite3_column_int(st, 5);
            int geom = type && (strcasecmp(type, "GEOMETRY") == 0 || strcasecmp(type, "POINT") == 0 ||
                                strcasecmp(type, "MULTIPOLYGON") == 0 || strcasecmp(type, "POLYGON") == 0 ||
                                strcasecmp(type, "MULTIPOINT") == 0 || strcasecmp(type, "LINESTRING") == 0 ||
                                strcasecmp(type, "MULTILINESTRING") == 0);
            free(type);
            if (!name || pk || geom) {
                free(name);
                continue;
            }
            l->cols = pl_realloc(l->cols, ((size_t)l->n_cols + 1) * sizeof *l->cols);
            l->cols[l->n_cols].name = name;
            l->cols[l->n_cols].alias = NULL;
            l->n_cols++;
        }
        sqlite3_finalize(st);
        if (!have_dc)
            continue;
        if (sqlite3_prepare_v2(r->db, "SELECT column_name, title FROM gpkg_data_columns WHERE table_name = ?", -1, &st,
                               NULL) != SQLITE_OK)
            continue;
        sqlite3_bind_text(st, 1, l->name, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *cn = (const char *)sqlite3_column_text(st, 0);
            for (int c = 0; cn && c < l->n_cols; c++)
                if (strcmp(l->cols[c].name, cn) == 0 && !l->cols[c].alias)
                    l->cols[c].alias = col_text(st, 1);
        }
        sqlite3_finalize(st);
    }
    return PL_OK;
}

static char *json_str(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!o || !json_object_object_get_ex(o, key, &v) || !v || json_object_is_type(v, json_type_null))
        return NULL;
    return pl_strdup(json_object_get_string(v));
}

static void parse_metadata(analysis *a, const char *text)
{
    json_object *root = json_tokener_parse(text);
    if (!root)
        return;
    a->created = json_str(root, "created");
    a->command_line = json_str(root, "command_line");
    a->version = json_str(root, "version");
    a->work_crs = json_str(root, "work_crs");
    json_object *v = NULL;
    if (json_object_object_get_ex(root, "parameters", &v) && json_object_is_type(v, json_type_object)) {
        json_object_object_foreach(v, key, val)
        {
            a->params = pl_realloc(a->params, ((size_t)a->n_params + 1) * sizeof *a->params);
            a->params[a->n_params].name = pl_strdup(key);
            a->params[a->n_params].value = pl_strdup(val ? json_object_get_string(val) : "");
            a->n_params++;
        }
    }
    if (json_object_object_get_ex(root, "inputs", &v) && json_object_is_type(v, json_type_array)) {
        size_t n = json_object_array_length(v);
        a->inputs = pl_calloc(n + 1, sizeof *a->inputs);
        for (size_t i = 0; i < n; i++) {
            json_object *in = json_object_array_get_idx(v, i);
            input_info *ii = &a->inputs[a->n_inputs++];
            ii->path = json_str(in, "path");
            if (!ii->path)
                ii->path = pl_strdup("?");
            json_object *sz = NULL;
            ii->size = json_object_object_get_ex(in, "size_bytes", &sz) && sz && json_object_is_type(sz, json_type_int)
                           ? (long long)json_object_get_int64(sz)
                           : -1;
            ii->sha256 = json_str(in, "sha256");
            ii->title = json_str(in, "title");
            json_object *syn = NULL;
            ii->synthetic = json_object_object_get_ex(in, "synthetic", &syn) && syn && json_object_get_boolean(syn);
        }
    }
    if (json_object_object_get_ex(root, "layers", &v) && json_object_is_type(v, json_type_array)) {
        size_t n = json_object_array_length(v);
        a->layer_names = pl_calloc(n + 1, sizeof *a->layer_names);
        for (size_t i = 0; i < n; i++) {
            char *name = json_str(json_object_array_get_idx(v, i), "name");
            if (name)
                a->layer_names[a->n_layer_names++] = name;
        }
    }
    if (json_object_object_get_ex(root, "libraries", &v) && json_object_is_type(v, json_type_object)) {
        pl_strbuf b = {0};
        json_object_object_foreach(v, key, val)
        {
            pl_sb_printf(&b, "%s%s %s", b.n ? ", " : "", key, val ? json_object_get_string(val) : "?");
        }
        a->libraries = b.s;
    }
    a->key = NULL;
    for (int i = 0; i < a->n_params; i++)
        if (strcmp(a->params[i].name, "analysis") == 0)
            a->key = pl_strdup(a->params[i].value);
    json_object_put(root);
}

static int read_metadata(report *r)
{
    if (table_exists(r->db, "gpkg_metadata")) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(r->db,
                "SELECT metadata FROM gpkg_metadata WHERE md_standard_uri = 'urn:platsa:run-metadata:1' "
                "OR (mime_type = 'application/json' AND metadata LIKE '%\"tool\": \"platsa\"%') ORDER BY id",
                -1, &st, NULL) == SQLITE_OK) {
            while (sqlite3_step(st) == SQLITE_ROW) {
                const char *t = (const char *)sqlite3_column_text(st, 0);
                if (!t)
                    continue;
                r->an = pl_realloc(r->an, ((size_t)r->n_an + 1) * sizeof *r->an);
                analysis *a = &r->an[r->n_an++];
                memset(a, 0, sizeof *a);
                parse_metadata(a, t);
                if (!a->key)
                    a->key = pl_strdup("");
            }
        }
        sqlite3_finalize(st);
    }
    if (r->n_an == 0) {
        pl_warn(r->ctx, "report-no-metadata", "%s: has no platsa run metadata; the report shows its layers "
                "without run details", r->o->input);
        r->an = pl_calloc(1, sizeof *r->an);
        r->an[0].key = pl_strdup("");
        r->n_an = 1;
    }
    /* Layers to analyses: by the metadata's layer lists, the rest to the first analysis. */
    for (int i = 0; i < r->n_layers; i++) {
        for (int a = 0; a < r->n_an && r->layers[i].analysis < 0; a++)
            for (int k = 0; k < r->an[a].n_layer_names; k++)
                if (strcmp(r->an[a].layer_names[k], r->layers[i].name) == 0)
                    r->layers[i].analysis = a;
        if (r->layers[i].analysis < 0)
            r->layers[i].analysis = 0;
    }
    return PL_OK;
}

/* The layer names of an analysis's synthetic inputs ("roads, services"), "" when none. */
static void synthetic_inputs(const analysis *a, char *buf, size_t size)
{
    buf[0] = '\0';
    for (int i = 0; i < a->n_inputs; i++) {
        if (!a->inputs[i].synthetic)
            continue;
        const char *colon = strrchr(a->inputs[i].path, ':');
        const char *name = colon ? colon + 1 : pl_basename(a->inputs[i].path);
        if (strstr(buf, name))
            continue;
        size_t used = strlen(buf);
        snprintf(buf + used, size - used, "%s%s", used ? ", " : "", name);
    }
}

static int any_synthetic(const report *r)
{
    for (int a = 0; a < r->n_an; a++)
        for (int i = 0; i < r->an[a].n_inputs; i++)
            if (r->an[a].inputs[i].synthetic)
                return 1;
    return 0;
}

/* Credits from the run's inputs: OpenStreetMap data (ODbL) and SCB statistics (CC0), read from
 * the input layers' own titles where they have one (platsa synth's say REAL / SYNTHETIC and
 * the source), else guessed from the paths; synthetic inputs are named first. */
static void make_attribution(report *r)
{
    if (r->o->attribution) {
        snprintf(r->attribution, sizeof r->attribution, "%s", r->o->attribution);
        return;
    }
    int osm = 0, scb = 0, other = 0;
    char synthetic[512] = "";
    for (int a = 0; a < r->n_an; a++) {
        char names[256];
        synthetic_inputs(&r->an[a], names, sizeof names);
        if (names[0] && !strstr(synthetic, names)) {
            size_t used = strlen(synthetic);
            snprintf(synthetic + used, sizeof synthetic - used, "%s%s", used ? ", " : "", names);
        }
        for (int i = 0; i < r->an[a].n_inputs; i++) {
            const input_info *in = &r->an[a].inputs[i];
            if (in->title) {
                int t_osm = strstr(in->title, "OSM") || strstr(in->title, "OpenStreetMap");
                int t_scb = strstr(in->title, "SCB") != NULL;
                osm |= t_osm;
                scb |= t_scb;
                other |= !t_osm && !t_scb && !in->synthetic;
                continue;
            }
            char low[1024];
            snprintf(low, sizeof low, "%s", in->path);
            for (char *p = low; *p; p++)
                *p = (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
            int is_osm = strstr(low, "osm") || strstr(low, ".pbf") || strstr(low, "openstreetmap") ||
                         strstr(low, "roads") || strstr(low, "vag") || strstr(low, "services");
            int is_scb = strstr(low, "scb") || strstr(low, "deso") || strstr(low, "regso") ||
                         strstr(low, "kommun") || strstr(low, "befolkning") || strstr(low, "tatort") ||
                         strstr(low, "population") || strstr(low, "municipal") || strstr(low, "pop");
            osm |= is_osm;
            scb |= is_scb;
            other |= !is_osm && !is_scb;
        }
    }
    if (!osm && !scb && !synthetic[0]) {
        osm = scb = 1;  /* platsa's usual sources */
    }
    char real[700];
    snprintf(real, sizeof real, "%s%s%s%s",
             osm ? "\xc2\xa9 OpenStreetMap-bidragsgivare (ODbL)" : "",
             osm && scb ? "; " : "", scb ? "SCB (CC0)" : "",
             other ? "; övriga källor se indata" : "");
    if (synthetic[0])
        snprintf(r->attribution, sizeof r->attribution, "SYNTETISKA data (platsa synth, inte verkliga): %s%s%s",
                 synthetic, real[0] ? "; " : "", real);
    else
        snprintf(r->attribution, sizeof r->attribution, "%s", real);
}

/* ------------------------------------------------------------------ output files */

/* The files of the report being written, as complete paths, for pl_report_cleanup_all
 * (signal path: only unlink/rmdir of precomputed paths). A path is complete before the
 * count includes it. */
#define MAX_CLEANUP 160
static char g_clean_dir[PATH_MAX];
static char g_clean_files[MAX_CLEANUP][PATH_MAX + 256];
static volatile sig_atomic_t g_clean_n = 0;
static volatile sig_atomic_t g_clean_active = 0;

void pl_report_cleanup_all(void)
{
    if (!g_clean_active)
        return;
    int n = (int)g_clean_n;
    for (int i = 0; i < n && i < MAX_CLEANUP; i++)
        unlink(g_clean_files[i]);
    rmdir(g_clean_dir);
}

static void cleanup_track(const char *path)
{
    int n = (int)g_clean_n;
    if (n >= MAX_CLEANUP)
        return;
    snprintf(g_clean_files[n], sizeof g_clean_files[n], "%s", path);
    g_clean_n = n + 1;
}

static int write_file(report *r, const char *name, const void *data, size_t len, pl_error *err)
{
    char path[PATH_MAX + 256];
    snprintf(path, sizeof path, "%s/%s", r->tmpdir, name);
    cleanup_track(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return pl_error_set(err, PL_EINTERNAL, "%s: cannot create %s: %s", r->o->output, path, strerror(errno));
    r->files = pl_realloc(r->files, ((size_t)r->n_files + 1) * sizeof *r->files);
    r->files[r->n_files++] = pl_strdup(name);
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = errno;
            close(fd);
            return pl_error_set(err, PL_EINTERNAL, "%s: cannot write %s: %s", r->o->output, path, strerror(e));
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0)
        return pl_error_set(err, PL_EINTERNAL, "%s: cannot write %s: %s", r->o->output, path, strerror(errno));
    return PL_OK;
}

/* Removes the files of a flat folder, then the folder. Only for the report's own temporary
 * folder, which holds nothing but what write_file put there. */
static int remove_flat_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char p[PATH_MAX + 256];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    return rmdir(dir);
}

static int is_empty_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n == 0;
}

/* The marker is also the report's manifest: its first line says what the folder is, then
 * "files:" and the name of every file platsa wrote into it, one a line. --overwrite replaces
 * a folder only when it holds nothing else. */
#define MARKER_HEAD "platsa report folder: replaced as a whole by 'platsa report --overwrite'\n"
#define MARKER_FILES "files:\n"

/* The files the marker of `folder` lists (newline-separated, NUL-terminated; free it), or
 * NULL when it has none. A marker of an older platsa, without the list: NULL, and
 * *legacy = 1. */
static char *read_manifest(const char *folder, int *legacy)
{
    *legacy = 0;
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", folder, PL_REPORT_MARKER);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    pl_strbuf sb = {0};
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0 && sb.n < (1u << 20))
        pl_sb_add(&sb, buf, n);
    fclose(f);
    if (!sb.s || strncmp(sb.s, MARKER_HEAD, strlen(MARKER_HEAD)) != 0) {
        free(sb.s);
        return NULL;
    }
    const char *list = sb.s + strlen(MARKER_HEAD);
    if (strncmp(list, MARKER_FILES, strlen(MARKER_FILES)) != 0) {
        *legacy = 1;
        free(sb.s);
        return NULL;
    }
    char *out = pl_strdup(list + strlen(MARKER_FILES));
    free(sb.s);
    return out;
}

/* Is `name` one of the lines of `list`? */
static int listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0)
            return 1;
        p = nl ? nl + 1 : NULL;
    }
    return 0;
}

/* A name an older platsa's report (marker without a file list) had: index.html,
 * karta-NN-LAYER.png. */
static int legacy_name(const char *name)
{
    size_t n = strlen(name);
    return strcmp(name, "index.html") == 0 ||
           (strncmp(name, "karta-", 6) == 0 && n > 13 && name[6] >= '0' && name[6] <= '9' && name[7] >= '0' &&
            name[7] <= '9' && name[8] == '-' && strcmp(name + n - 4, ".png") == 0 && !strchr(name, '/'));
}

/* The first entry of `folder` that platsa did not write (a copy in `found`), or 0 when
 * every entry is the marker or listed in it (or, for a legacy marker, named as platsa
 * names its files). */
static int foreign_entry(const char *folder, const char *list, char *found, size_t size)
{
    DIR *d = opendir(folder);
    if (!d) {
        snprintf(found, size, "(unreadable folder: %s)", strerror(errno));
        return 1;
    }
    struct dirent *e;
    int bad = 0;
    while (!bad && (e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, PL_REPORT_MARKER))
            continue;
        char p[PATH_MAX + 256];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", folder, e->d_name);
        int ours = lstat(p, &st) == 0 && S_ISREG(st.st_mode) && (list ? listed(list, e->d_name) : legacy_name(e->d_name));
        if (!ours) {
            snprintf(found, size, "%s", e->d_name);
            bad = 1;
        }
    }
    closedir(d);
    return bad;
}

/* Checks the target before any work: returns PL_OK when it may be written. An existing
 * folder is replaced only with --overwrite and only when platsa made it and it holds
 * nothing platsa did not write: a user's file in it is never deleted. */
static int check_target(const pl_report_opts *o, pl_error *err)
{
    struct stat st;
    if (lstat(o->output, &st) != 0)
        return PL_OK;
    if (!S_ISDIR(st.st_mode))
        return pl_error_set(err, PL_EINPUT, "%s: exists and is not a folder; choose another output folder", o->output);
    if (is_empty_dir(o->output))
        return PL_OK;
    int legacy = 0;
    char *list = read_manifest(o->output, &legacy);
    if (!list && !legacy)
        return pl_error_set(err, PL_EINPUT, "%s: exists and is not a platsa report (no %s file in it); choose "
                            "another output folder", o->output, PL_REPORT_MARKER);
    int rc = PL_OK;
    char found[NAME_MAX + 64];
    if (!o->overwrite)
        rc = pl_error_set(err, PL_EINPUT, "%s: exists; use --overwrite to replace it", o->output);
    else if (foreign_entry(o->output, list, found, sizeof found))
        rc = pl_error_set(err, PL_EINPUT, "%s: holds '%s', which platsa did not write; move it out of the folder "
                          "or choose another output folder (--overwrite replaces only what platsa wrote)",
                          o->output, found);
    free(list);
    return rc;
}

/* The folder and name of the target (no trailing slashes). */
static void split_target(const char *output, char *parent, size_t psize, char *base, size_t bsize)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s", output);
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        path[--n] = '\0';
    char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(parent, psize, ".");
        snprintf(base, bsize, "%s", path);
    } else {
        snprintf(base, bsize, "%s", slash + 1);
        if (slash == path)
            snprintf(parent, psize, "/");
        else
            snprintf(parent, psize, "%.*s", (int)(slash - path), path);
    }
}

static int remove_report_dir(const char *old);

static int make_tmpdir(report *r, pl_error *err)
{
    char parent[PATH_MAX], base[NAME_MAX + 1];
    split_target(r->o->output, parent, sizeof parent, base, sizeof base);
    struct stat st;
    if (stat(parent, &st) != 0 || !S_ISDIR(st.st_mode))
        return pl_error_set(err, PL_EINPUT, "%s: folder '%s' does not exist; create it first", r->o->output, parent);
    if (access(parent, W_OK | X_OK) != 0)
        return pl_error_set(err, PL_EINPUT, "%s: folder '%s' is not writable (%s)", r->o->output, parent,
                            strerror(errno));
    /* ".BASE.tmp-PID@HOST" folders of reports whose process died (SIGKILL, a crash). */
    long stale = pl_commit_remove_stale(parent, base, NULL, remove_report_dir);
    if (stale > 0)
        pl_info(r->ctx, "%s: removed %ld temporary folder%s left by an earlier run that was killed", r->o->output,
                stale, stale == 1 ? "" : "s");
    for (int k = 0; k < 1000; k++) {
        int len = pl_temp_path(r->tmpdir, sizeof r->tmpdir, parent, base, k);
        if (len <= 0 || len >= (int)sizeof r->tmpdir - 64)
            return pl_error_set(err, PL_EINPUT, "%s: path too long", r->o->output);
        if (mkdir(r->tmpdir, 0755) == 0) {
            g_clean_n = 0;
            snprintf(g_clean_dir, sizeof g_clean_dir, "%s", r->tmpdir);
            g_clean_active = 1;
            return PL_OK;
        }
        if (errno != EEXIST)
            return pl_error_set(err, PL_EINTERNAL, "%s: cannot create %s: %s", r->o->output, r->tmpdir,
                                strerror(errno));
    }
    return pl_error_set(err, PL_EINTERNAL, "%s: no free temporary folder name", r->o->output);
}

static void fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Removes a report folder platsa wrote: the files its marker lists and the marker (a folder
 * without a marker, a report killed while written: files named as platsa names them), then
 * the folder. Whatever else is there stays, and so does the folder (-1). */
static int remove_report_dir(const char *old)
{
    int legacy = 0;
    char *list = read_manifest(old, &legacy);
    char marker[PATH_MAX + 64];
    snprintf(marker, sizeof marker, "%s/%s", old, PL_REPORT_MARKER);
    if (!list && access(marker, F_OK) != 0)
        legacy = 1;
    DIR *d = opendir(old);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        int ours = !strcmp(e->d_name, PL_REPORT_MARKER) || (list ? listed(list, e->d_name) : legacy && legacy_name(e->d_name));
        char p[PATH_MAX + 256];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", old, e->d_name);
        if (ours && lstat(p, &st) == 0 && S_ISREG(st.st_mode))
            unlink(p);
    }
    if (d)
        closedir(d);
    free(list);
    return rmdir(old);
}

/* The old report, moved to `old` by the swap. */
static void remove_old_report(report *r, const char *old)
{
    if (remove_report_dir(old) != 0)
        pl_warn(r->ctx, "report-old-left", "%s: the previous report's folder, now %s, still holds files platsa did "
                "not write; they were left there", r->o->output, old);
}

/* Renames the finished temporary folder into place. */
static int publish(report *r, pl_error *err)
{
    fsync_dir(r->tmpdir);
    struct stat st;
    if (lstat(r->o->output, &st) != 0) {
        if (rename(r->tmpdir, r->o->output) != 0)
            return pl_error_set(err, PL_EINTERNAL, "%s: cannot rename %s into place: %s", r->o->output, r->tmpdir,
                                strerror(errno));
        r->tmpdir[0] = '\0';
        return PL_OK;
    }
    int rc = check_target(r->o, err);  /* again: it may have changed meanwhile */
    if (rc != PL_OK)
        return rc;
    if (is_empty_dir(r->o->output) && rename(r->tmpdir, r->o->output) == 0) {
        r->tmpdir[0] = '\0';
        return PL_OK;
    }
    /* Swap atomically with the old report, then remove the old one (now at tmpdir). A file
     * system without RENAME_EXCHANGE: the old one is renamed away first, then the new one in
     * (and the old one back if that fails). */
    char old[PATH_MAX];
    if (renameat2(AT_FDCWD, r->tmpdir, AT_FDCWD, r->o->output, RENAME_EXCHANGE) == 0) {
        snprintf(old, sizeof old, "%s", r->tmpdir);
    } else if (errno == EINVAL || errno == ENOSYS || errno == ENOTSUP) {
        if (snprintf(old, sizeof old, "%s-old", r->tmpdir) >= (int)sizeof old)
            return pl_error_set(err, PL_EINPUT, "%s: path too long", r->o->output);
        if (rename(r->o->output, old) != 0)
            return pl_error_set(err, PL_EINTERNAL, "%s: cannot move the old report aside: %s", r->o->output,
                                strerror(errno));
        if (rename(r->tmpdir, r->o->output) != 0) {
            int e = errno;
            rename(old, r->o->output);
            return pl_error_set(err, PL_EINTERNAL, "%s: cannot rename %s into place: %s; the old report was kept",
                                r->o->output, r->tmpdir, strerror(e));
        }
    } else {
        return pl_error_set(err, PL_EINTERNAL, "%s: cannot replace the old report: %s", r->o->output, strerror(errno));
    }
    remove_old_report(r, old);
    r->tmpdir[0] = '\0';
    return PL_OK;
}

/* ------------------------------------------------------------------ presentation */

/* "2024-05-01T12:00:00Z" as "2024-05-01 kl. 12:00 UTC" (other forms as they are). */
static void time_text(char *buf, size_t size, const char *iso)
{
    int y, mo, d, h, mi, s, n = 0;
    if (iso && sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &s, &n) == 6 && iso[n] == '\0')
        snprintf(buf, size, "%04d-%02d-%02d kl. %02d:%02d UTC", y, mo, d, h, mi);
    else
        snprintf(buf, size, "%s", iso ? iso : "");
}

static const char *analysis_title(const char *key)
{
    if (starts_with(key, "green"))  /* "green (3-30-300)" */
        return "Grönska nära bostäder (3-30-300)";
    if (strcmp(key, "access") == 0)
        return "Tillgänglighet till service";
    if (strcmp(key, "classify") == 0)
        return "Territoriell klassificering (tätort – landsbygd)";
    if (strcmp(key, "stores") == 0)
        return "Butikernas sårbarhet";
    if (strcmp(key, "coverage") == 0)
        return "Servicepunkternas täckning";
    if (strcmp(key, "green") == 0)
        return "Grönska nära bostäder (3-30-300)";
    if (strcmp(key, "scenario") == 0)
        return "Scenarier";
    return key[0] ? key : "Resultat";
}

static const char *param_label(const char *name)
{
    static const struct {
        const char *k, *v;
    } t[] = {
        {"analysis", "Analys"},
        {"mode", "Färdsätt"},
        {"within_km", "Gräns för servicenivå (km)"},
        {"max_snap_m", "Längsta avstånd till väg (m)"},
        {"region", "Region (kod)"},
        {"crs", "Koordinatsystem"},
        {"population_total", "Befolkning i analysen"},
        {"urban_min", "Tätort: högst restid (min)"},
        {"remote_min", "Avlägset belägen: mer än (min)"},
        {"min_locality_pop", "Minsta tätort (invånare)"},
        {"max_service_snap_m", "Längsta avstånd från service till väg (m)"},
        {"population_covered", "Täckt befolkning"},
        {"threshold", "Gräns för täckning"},
        {"cluster_m", "Avstånd inom ett otäckt kluster (m)"},
        {"type", "Servicetyp"},
        {"beyond_km", "Gräns för avstånd (km)"},
        {"beyond_min", "Gräns för restid (min)"},
        {"stores", "Antal butiker"},
        {"method", "Metod"},
        {"baseline_seconds", "Beräkningstid för nuläget (s)"},
        {"scenarios", "Antal scenarier"},
        {"services_merged", "Sammanslagna servicepunkter"},
        {"admin_level", "Administrativ nivå (OSM)"},
        {"osmconf", "OSM-konfiguration"},
        {"service_types", "Servicetyper (fil)"},
        {"canopy_source", "Underlag för krontäckning"},
        {"default_crown_m", "Kronradie när uppgift saknas (m)"},
        {"default_levels", "Våningar när uppgift saknas"},
        {"entry_spacing_m", "Avstånd mellan entréer till grönområden (m)"},
        {"green_distance", "Avstånd till grönområde"},
        {"homes", "Antal bostadshus"},
        {"include_private", "Privata grönområden med"},
        {"max_green_m", "Längsta avstånd till grönområde (m)"},
        {"min_canopy_pct", "Minsta krontäckning (%)"},
        {"min_green_ha", "Minsta grönområde (ha)"},
        {"min_green_width_m", "Minsta bredd på grönområde (m)"},
        {"min_trees", "Minsta antal träd i sikte"},
        {"neighbourhoods", "Områden (statistikområden)"},
        {"rule_3", "Regel 3"},
        {"rule_30", "Regel 30"},
        {"rule_300", "Regel 300"},
        {"sight_line", "Siktlinje"},
        {"tree_buffer_m", "Träd inom (m)"},
        {"tree_row_spacing_m", "Avstånd i trädrad (m)"},
        {"view_distance_m", "Siktavstånd (m)"},
        {"water", "Vatten"},
        {"synth.cells", "Syntetiskt underlag: rutstorlek"},
        {"synth.islands_without_link", "Syntetiskt underlag: öar utan förbindelse"},
        {"synth.real", "Syntetiskt underlag: verkliga data"},
        {"synth.region", "Syntetiskt underlag: region"},
        {"synth.roads", "Syntetiskt underlag: vägnät"},
        {"synth.rules", "Syntetiskt underlag: regler"},
        {"synth.seed", "Syntetiskt underlag: slumpfrö"},
        {"synth.service_ratios", "Syntetiskt underlag: service per invånare"},
        {"synth.size", "Syntetiskt underlag: storlek"},
        {"synth.synthetic", "Syntetiskt underlag: syntetiska delar"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (strcmp(t[i].k, name) == 0)
            return t[i].v;
    return name;
}

static const char *mode_label(const char *v)
{
    if (!v)
        return "";
    if (strcmp(v, "car") == 0)
        return "bil";
    if (strcmp(v, "bike") == 0)
        return "cykel";
    if (strcmp(v, "walk") == 0)
        return "gång";
    return v;
}

/* Parameter values in Swedish words: yes/no, service type keys, plain numbers Swedish style. */
static void param_value_text(char *buf, size_t size, const char *name, const char *v)
{
    static const struct {
        const char *k, *v;
    } words[] = {
        {"yes", "ja"}, {"no", "nej"}, {"true", "ja"}, {"false", "nej"}, {"none", "inga"},
        {"computed", "beräknad"}, {"polygons", "polygoner"}, {"points", "punkter"},
        {"grocery", "dagligvaror (alla)"}, {"grocery_full", "dagligvaror, fullsortiment"},
        {"grocery_partial", "dagligvaror, delsortiment"}, {"fuel", "drivmedel"},
        {"pharmacy", "apotek och apoteksombud"}, {"parcel_post", "post- och paketombud"},
        {"parcel_locker", "paketskåp"}, {"cash", "grundläggande betaltjänster (kontanter)"},
        {"walking network (mode walk)", "längs vägnätet till fots"},
        {"segment from the nearest point of the home's outline to the tree; blocked when it passes through the "
         "interior of another building footprint",
         "rak linje från närmaste punkt på husets kontur till trädet; skymd om den går genom en annan byggnad"},
        {"one k=2 search per metric: if a store closes, its residents' new nearest store is their second-nearest",
         "om en butik stängs får dess invånare sin näst närmaste butik som ny närmaste (avstånd och restid var för "
         "sig)"},
    };
    if (!v)
        v = "";
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcmp(words[i].k, v) == 0) {
            snprintf(buf, size, "%s", words[i].v);
            return;
        }
    /* "15 min", "0.5", "307723": the number Swedish style, the unit kept. */
    char *end = NULL;
    double d = strtod(v, &end);
    if (end != v && *v != '\0' && strspn(v, "0123456789.-") == (size_t)(end - v) &&
        (*end == '\0' || *end == ' ') && strcmp(name, "synth.seed") != 0 && strcmp(name, "admin_level") != 0) {
        char n[64];
        pl_map_format_number(n, sizeof n, d, 3);
        snprintf(buf, size, "%s%s", n, end);
        return;
    }
    snprintf(buf, size, "%s", v);
}

static int is_share_col(const char *name)
{
    return starts_with(name, "share_") || strstr(name, "_share_") != NULL || ends_with(name, "_share");
}

static int is_pop_col(const char *name)
{
    return strcmp(name, "pop") == 0 || starts_with(name, "pop_") || strstr(name, "_pop_") != NULL ||
           strstr(name, "_age_km_") != NULL || strstr(name, "_age_min_") != NULL;
}

/* A table value in Swedish style; whole = the column holds whole numbers only ("1 674", not
 * "1 674,0"). */
static void format_value_w(char *buf, size_t size, sqlite3_stmt *st, int i, const char *col, int whole)
{
    int t = sqlite3_column_type(st, i);
    if (t == SQLITE_NULL) {
        snprintf(buf, size, "–");
        return;
    }
    if (t == SQLITE_TEXT || t == SQLITE_BLOB) {
        const unsigned char *s = sqlite3_column_text(st, i);
        if (s && (strcmp(col, "store_type") == 0 || strcmp(col, "type") == 0))
            param_value_text(buf, size, "type", (const char *)s);  /* "grocery_full": "dagligvaror, fullsortiment" */
        else
            snprintf(buf, size, "%s", s ? (const char *)s : "");
        return;
    }
    double v = sqlite3_column_double(st, i);
    if (is_share_col(col)) {
        char n[64];
        pl_map_format_number(n, sizeof n, v * 100.0, 1);
        /* one decimal always, for columns that line up */
        if (!strchr(n, ','))
            snprintf(n + strlen(n), sizeof n - strlen(n), ",0");
        snprintf(buf, size, "%s\xc2\xa0%%", n);
    } else if (t == SQLITE_INTEGER || is_pop_col(col) || whole) {
        pl_map_format_number(buf, size, v, 0);
    } else {
        pl_map_format_number(buf, size, v, 1);
        if (!strchr(buf, ',') && strcmp(buf, "–") != 0)
            snprintf(buf + strlen(buf), size - strlen(buf), ",0");
    }
}

static void format_value(char *buf, size_t size, sqlite3_stmt *st, int i, const char *col)
{
    format_value_w(buf, size, st, i, col, 0);
}

/* Legend labels planners read: class names from a companion "<field>_name" text column
 * (for GeoPackages whose style does not name the classes). */
static void relabel_style(pl_map_style *s, const char *gpkg, const char *layer_name)
{
    if (s->kind != PL_MAP_GRADUATED)
        return;
    char name_col[300];
    snprintf(name_col, sizeof name_col, "%s_name", s->field);
    int has_names = 0;
    {
        GDALDatasetH ds = GDALOpenEx(gpkg, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
        OGRLayerH ly = ds ? GDALDatasetGetLayerByName(ds, layer_name) : NULL;
        has_names = ly && OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(ly), name_col) >= 0;
        if (ds)
            GDALClose(ds);
    }
    if (has_names) {
        GDALDatasetH ds = GDALOpenEx(gpkg, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
        OGRLayerH ly = ds ? GDALDatasetGetLayerByName(ds, layer_name) : NULL;
        if (ly) {
            OGRFeatureDefnH d = OGR_L_GetLayerDefn(ly);
            int fv = OGR_FD_GetFieldIndex(d, s->field), fn = OGR_FD_GetFieldIndex(d, name_col);
            int *done = pl_calloc((size_t)s->n_classes, sizeof *done);
            int left = s->n_classes;
            OGR_L_ResetReading(ly);
            OGRFeatureH f;
            while (left > 0 && fv >= 0 && fn >= 0 && (f = OGR_L_GetNextFeature(ly)) != NULL) {
                if (OGR_F_IsFieldSetAndNotNull(f, fv) && OGR_F_IsFieldSetAndNotNull(f, fn)) {
                    int c = pl_map_style_class_for(s, 0, OGR_F_GetFieldAsDouble(f, fv), NULL);
                    if (c >= 0 && !done[c]) {
                        free(s->classes[c].label);
                        s->classes[c].label = pl_strdup(OGR_F_GetFieldAsString(f, fn));
                        done[c] = 1;
                        left--;
                    }
                }
                OGR_F_Destroy(f);
            }
            free(done);
        }
        if (ds)
            GDALClose(ds);
        return;
    }
    /* Otherwise the writer's labels are the planner's already ("högst 5 km", "25–50 %",
     * "regler uppfyllda: 2": analyses/common/legend.c). */
}

int pl_report_layer_style(const char *gpkg, const char *layer, pl_map_style *out, pl_error *err)
{
    char *qml = pl_map_style_qml(gpkg, layer, err);
    if (!qml)
        return err && err->code ? err->code : PL_EINPUT;
    int rc = pl_map_style_parse(qml, out, err);
    free(qml);
    if (rc == PL_OK)
        relabel_style(out, gpkg, layer);
    return rc;
}

/* ------------------------------------------------------------------ maps */

static const layer_info *muni_layer_of(const report *r, int an)
{
    for (int i = 0; i < r->n_layers; i++)
        if (r->layers[i].analysis == an && r->layers[i].spatial && ends_with(r->layers[i].name, "municipalities"))
            return &r->layers[i];
    return NULL;
}

static void file_name_for(char *buf, size_t size, int seq, const char *layer)
{
    size_t o = (size_t)snprintf(buf, size, "karta-%02d-", seq);
    for (const char *p = layer; *p && o + 6 < size; p++) {
        char c = *p;
        buf[o++] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'
                       ? c
                       : '_';
    }
    snprintf(buf + o, size - o, ".png");
}

/* One map figure: renders, writes the PNG, appends the <figure>. A layer without a stored
 * style is skipped with a note rather than failing the report. */
static int map_figure(report *r, const layer_info *l, pl_strbuf *html, pl_error *err)
{
    pl_error e2 = {0};
    pl_map_style style;
    if (pl_report_layer_style(r->o->input, l->name, &style, &e2) != PL_OK) {
        pl_warn(r->ctx, "report-unstyled-layer", "%s: %s; no map drawn for it", l->name, e2.msg);
        return PL_OK;
    }

    const analysis *an = &r->an[l->analysis];
    const layer_info *muni = muni_layer_of(r, l->analysis);
    int is_muni = muni == l;
    pl_map_layer ml[2];
    memset(ml, 0, sizeof ml);
    int n = 0;
    ml[n++] = (pl_map_layer){.path = r->o->input, .layer = l->name, .style = &style,
                             .label_field = is_muni && has_col(l, "namn") ? "namn" : NULL, .legend = 1, .extent = 1};
    if (muni && !is_muni) {
        /* Points are shown in their municipalities when those are not much larger than the
         * points' own extent (a study area inside a big municipality keeps its own extent). */
        OGRwkbGeometryType gt = wkbUnknown;
        OGREnvelope el = {0, 0, 0, 0}, em = {0, 0, 0, 0};
        int have_el = 0, have_em = 0;
        GDALDatasetH ds = GDALOpenEx(r->o->input, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
        OGRLayerH ly = ds ? GDALDatasetGetLayerByName(ds, l->name) : NULL;
        OGRLayerH lm = ds ? GDALDatasetGetLayerByName(ds, muni->name) : NULL;
        if (ly) {
            gt = wkbFlatten(OGR_L_GetGeomType(ly));
            have_el = OGR_L_GetExtent(ly, &el, TRUE) == OGRERR_NONE;
        }
        if (lm)
            have_em = OGR_L_GetExtent(lm, &em, TRUE) == OGRERR_NONE;
        if (ds)
            GDALClose(ds);
        double area_l = have_el ? fmax(el.MaxX - el.MinX, 1) * fmax(el.MaxY - el.MinY, 1) : 0;
        double area_m = have_em ? (em.MaxX - em.MinX) * (em.MaxY - em.MinY) : 0;
        int points = gt == wkbPoint || gt == wkbMultiPoint;
        int grow = points && have_el && have_em && area_m <= 4 * area_l;
        /* On a point map the kommuner are named too: points alone do not say where they are. */
        ml[n++] = (pl_map_layer){.path = r->o->input, .layer = muni->name, .style = NULL, .legend = 1,
                                 .legend_label = "Kommungräns", .extent = grow,
                                 .label_field = points && has_col(muni, "namn") ? "namn" : NULL};
        if (points) {  /* boundaries under the points */
            pl_map_layer t = ml[0];
            ml[0] = ml[1];
            ml[1] = t;
        }
    }
    const char *title = l->identifier && *l->identifier ? l->identifier : l->name;
    const char *field_alias = style.kind != PL_MAP_SINGLE ? alias_of(l, style.field) : NULL;
    char subtitle[512];
    snprintf(subtitle, sizeof subtitle, "%s%s%.10s", analysis_title(an->key), an->created ? " \xc2\xb7 körning " : "",
             an->created ? an->created : "");
    pl_map_opts mo = {.width = r->o->width, .height = r->o->height, .title = title, .subtitle = subtitle,
                      .legend_title = field_alias, .attribution = r->attribution};
    unsigned char *png = NULL;
    size_t png_len = 0;
    pl_map_info info;
    int rc = pl_map_render_png(r->ctx, ml, n, &mo, &png, &png_len, &info, err);
    if (rc == PL_OK) {
        char fname[300];
        file_name_for(fname, sizeof fname, ++r->map_seq, l->name);
        rc = write_file(r, fname, png, png_len, err);
        if (rc == PL_OK) {
            int w = r->o->width > 0 ? r->o->width : 1100, h = r->o->height > 0 ? r->o->height : 800;
            pl_sb_puts(html, "<figure class=\"map\">\n<img src=\"");
            pl_sb_html(html, fname);
            pl_sb_printf(html, "\" width=\"%d\" height=\"%d\" alt=\"", w, h);
            pl_sb_puts(html, "Karta: ");
            pl_sb_html(html, title);
            if (field_alias) {
                pl_sb_puts(html, " – ");
                pl_sb_html(html, field_alias);
            }
            pl_sb_puts(html, "\">\n<figcaption><strong>");
            pl_sb_html(html, title);
            pl_sb_puts(html, "</strong>");
            if (field_alias) {
                pl_sb_puts(html, " – ");
                pl_sb_html(html, field_alias);
            }
            char nf[64];
            pl_map_format_number(nf, sizeof nf, (double)info.legend_features, 0);
            pl_sb_printf(html, ". %s objekt i kartan. Färgerna följer lagrets standardstil i "
                               "GeoPackage-filen (samma som i QGIS). Lager: <code>", nf);
            pl_sb_html(html, l->name);
            pl_sb_puts(html, "</code>.");
            char syn[512];
            synthetic_inputs(&r->an[l->analysis], syn, sizeof syn);
            if (syn[0]) {
                pl_sb_puts(html, " <strong>SYNTETISKA indata</strong> (");
                pl_sb_html(html, syn);
                pl_sb_puts(html, "): inte verkliga förhållanden.");
            }
            pl_sb_puts(html, "</figcaption>\n</figure>\n");
        }
    }
    free(png);
    pl_map_style_free(&style);
    return rc;
}

/* ------------------------------------------------------------------ tables */

/* Residents beyond a travel time, counted from the cells (each cell's own time to the
 * nearest service), not by adding up bands: the goal need not be a band limit. */
typedef struct beyond_row {
    char kommun[64];
    double over, pop;
} beyond_row;

typedef struct beyond {
    double x;                  /* minutes */
    beyond_row *rows;
    int n;
    double total_over, total_pop;
} beyond;

static void beyond_free(beyond *b)
{
    free(b->rows);
    memset(b, 0, sizeof *b);
}

/* The cells layer of an analysis holding "<key>_min", "kommun" and "pop", or NULL. */
static const layer_info *cells_layer_of(const report *r, int an, const char *key)
{
    char col[300];
    snprintf(col, sizeof col, "%s_min", key);
    for (int i = 0; i < r->n_layers; i++) {
        const layer_info *l = &r->layers[i];
        if (l->analysis == an && l->spatial && ends_with(l->name, "cells") && has_col(l, col) &&
            has_col(l, "kommun") && has_col(l, "pop"))
            return l;
    }
    return NULL;
}

/* The last time band's limit from a table's "<key>_share_min_over_<N>" column, or 0. */
static double last_band_min(const layer_info *l, const char *key)
{
    char prefix[300];
    snprintf(prefix, sizeof prefix, "%s_share_min_over_", key);
    const char *c = NULL;
    for (int i = 0; i < l->n_cols && !c; i++)
        if (starts_with(l->cols[i].name, prefix))
            c = l->cols[i].name;
    if (!c)
        return 0;
    char num[64];
    snprintf(num, sizeof num, "%s", c + strlen(prefix));
    for (char *p = num; *p; p++)
        if (*p == '_')
            *p = '.';  /* "over_7_5": 7.5 min */
    char *end = NULL;
    double v = strtod(num, &end);
    return end && *end == '\0' && v > 0 ? v : 0;
}

/* The threshold of the headline and beyond columns: the region's goal, else the last band. */
static double goal_for(const report *r, const layer_info *table, const char *key)
{
    return r->o->goal_min > 0 ? r->o->goal_min : last_band_min(table, key);
}

/* Counts per kommun and in total (all cells, independently of the kommun rows). 0 when the
 * analysis has no cells layer with times for the type. */
static int beyond_compute(report *r, int an, const char *key, double x, beyond *b)
{
    memset(b, 0, sizeof *b);
    b->x = x;
    const layer_info *cells = x > 0 ? cells_layer_of(r, an, key) : NULL;
    if (!cells)
        return 0;
    char qt[600], qc[600], col[300], sql[4096];
    quote_ident(qt, sizeof qt, cells->name);
    snprintf(col, sizeof col, "%s_min", key);
    quote_ident(qc, sizeof qc, col);
    const char *sums = "SUM(CASE WHEN %s > ?1 THEN COALESCE(pop, 0) ELSE 0 END), SUM(COALESCE(pop, 0))";
    char sumexpr[1400];
    snprintf(sumexpr, sizeof sumexpr, sums, qc);
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 0)
            snprintf(sql, sizeof sql, "SELECT kommun, %s FROM %s WHERE kommun IS NOT NULL GROUP BY kommun", sumexpr,
                     qt);
        else
            snprintf(sql, sizeof sql, "SELECT '', %s FROM %s", sumexpr, qt);
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK) {
            pl_warn(r->ctx, "report-beyond", "%s: cannot count residents beyond %g min: %s", cells->name, x,
                    sqlite3_errmsg(r->db));
            beyond_free(b);
            return 0;
        }
        sqlite3_bind_double(st, 1, x);
        while (sqlite3_step(st) == SQLITE_ROW) {
            if (pass == 1) {
                b->total_over = sqlite3_column_double(st, 1);
                b->total_pop = sqlite3_column_double(st, 2);
                continue;
            }
            b->rows = pl_realloc(b->rows, ((size_t)b->n + 1) * sizeof *b->rows);
            beyond_row *row = &b->rows[b->n++];
            const unsigned char *k = sqlite3_column_text(st, 0);
            snprintf(row->kommun, sizeof row->kommun, "%s", k ? (const char *)k : "");
            row->over = sqlite3_column_double(st, 1);
            row->pop = sqlite3_column_double(st, 2);
        }
        sqlite3_finalize(st);
    }
    b->x = x;
    if (r->o->goal_min > 0 && x == r->o->goal_min)
        r->goal_used = 1;
    return 1;
}

/* The counts of a table row's kommun ("totalt": the whole area); 0 when it has none. */
static int beyond_lookup(const beyond *b, const char *kommun, double *over, double *pop)
{
    if (!kommun)
        return 0;
    if (strcmp(kommun, "totalt") == 0) {
        *over = b->total_over;
        *pop = b->total_pop;
        return 1;
    }
    for (int i = 0; i < b->n; i++)
        if (strcmp(b->rows[i].kommun, kommun) == 0) {
            *over = b->rows[i].over;
            *pop = b->rows[i].pop;
            return 1;
        }
    return 0;
}

/* "30" or "7,5": a threshold in minutes as headings say it. */
static void minutes_text(char *buf, size_t size, double x)
{
    pl_map_format_number(buf, size, x, 1);
}

/* A share as the tables print it: one decimal, "0,3 %". */
static void share_text(char *buf, size_t size, double share)
{
    char n[64];
    pl_map_format_number(n, sizeof n, share * 100.0, 1);
    if (!strchr(n, ',') && strcmp(n, "–") != 0)
        snprintf(n + strlen(n), sizeof n - strlen(n), ",0");
    snprintf(buf, size, "%s\xc2\xa0%%", n);
}

typedef struct table_spec {
    char caption[512];
    const char *cols[MAX_TABLE_COLS];
    char owned[MAX_TABLE_COLS][256];
    int n;
    char strip_prefix[300];    /* removed from the start of headings ("Apotek: ") */
    const beyond *bey;         /* residents beyond bey->x min, from the cells, or NULL */
    int bey_at;                /* its two columns go before column bey_at */
} table_spec;

static void spec_add(table_spec *t, const layer_info *l, const char *col)
{
    if (t->n >= MAX_TABLE_COLS || !has_col(l, col))
        return;
    snprintf(t->owned[t->n], sizeof t->owned[t->n], "%.255s", col);
    t->cols[t->n] = t->owned[t->n];
    t->n++;
}

/* Column of l starting with prefix (first one). */
static const char *col_with_prefix(const layer_info *l, const char *prefix)
{
    for (int c = 0; c < l->n_cols; c++)
        if (starts_with(l->cols[c].name, prefix))
            return l->cols[c].name;
    return NULL;
}

/* Sweden's counties by the first two digits of the kommun code, with their number of kommuner
 * (SCB, 2024): a table holding all of a county's kommuner is that county. */
static const struct {
    const char *code, *name;
    int n_kommuner;
} COUNTIES[] = {
    {"01", "Stockholms län", 26}, {"03", "Uppsala län", 8},        {"04", "Södermanlands län", 9},
    {"05", "Östergötlands län", 13}, {"06", "Jönköpings län", 13}, {"07", "Kronobergs län", 8},
    {"08", "Kalmar län", 12},     {"09", "Gotlands län", 1},       {"10", "Blekinge län", 5},
    {"12", "Skåne län", 33},      {"13", "Hallands län", 6},       {"14", "Västra Götalands län", 49},
    {"17", "Värmlands län", 16},  {"18", "Örebro län", 12},        {"19", "Västmanlands län", 10},
    {"20", "Dalarnas län", 15},   {"21", "Gävleborgs län", 10},    {"22", "Västernorrlands län", 7},
    {"23", "Jämtlands län", 8},   {"24", "Västerbottens län", 15}, {"25", "Norrbottens län", 14},
};

/* The county a per-kommun table covers whole ("Örebro län"), else "" (part of a county,
 * several counties, or codes that are not SCB's). */
static void county_of(report *r, const layer_info *l, char *buf, size_t size)
{
    buf[0] = '\0';
    if (!has_col(l, "kommun"))
        return;
    char qt[600], sql[800];
    quote_ident(qt, sizeof qt, l->name);
    snprintf(sql, sizeof sql, "SELECT DISTINCT kommun FROM %s WHERE kommun IS NOT NULL AND kommun <> 'totalt'", qt);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK)
        return;
    char prefix[3] = "";
    int n = 0, same = 1;
    while (same && sqlite3_step(st) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(st, 0);
        if (!k || strlen(k) != 4 || strspn(k, "0123456789") != 4 || (n > 0 && strncmp(prefix, k, 2) != 0)) {
            same = 0;
            break;
        }
        if (n == 0)
            snprintf(prefix, sizeof prefix, "%.2s", k);
        n++;
    }
    sqlite3_finalize(st);
    for (size_t i = 0; same && n > 0 && i < sizeof COUNTIES / sizeof COUNTIES[0]; i++)
        if (strcmp(COUNTIES[i].code, prefix) == 0 && COUNTIES[i].n_kommuner == n)
            snprintf(buf, size, "%s", COUNTIES[i].name);
}

/* The two computed headings: "Befolkning över 30 min", "Andel över 30 min". */
static void beyond_headings(pl_strbuf *html, const beyond *b)
{
    char x[64];
    minutes_text(x, sizeof x, b->x);
    pl_sb_printf(html, "<th scope=\"col\" class=\"goal\">Befolkning över %s\xc2\xa0min</th>"
                       "<th scope=\"col\" class=\"goal\">Andel över %s\xc2\xa0min</th>", x, x);
}

static void beyond_cells(pl_strbuf *dst, const beyond *b, const char *kommun)
{
    double over = 0, pop = 0;
    char a[64] = "–", c[64] = "–";
    if (beyond_lookup(b, kommun, &over, &pop)) {
        pl_map_format_number(a, sizeof a, over, 0);
        if (pop > 0)
            share_text(c, sizeof c, over / pop);
    }
    pl_sb_puts(dst, "<td class=\"num goal\">");
    pl_sb_html(dst, a);
    pl_sb_puts(dst, "</td><td class=\"num goal\">");
    pl_sb_html(dst, c);
    pl_sb_puts(dst, "</td>");
}

/* A count of people by its heading ("befolkning över 2 km", "hamnar över 1 km", "nya täckta
 * invånare"): printed as whole people even where a spread population makes it fractional. */
static int is_people_alias(const char *alias)
{
    if (strstr(alias, "andel") || strstr(alias, "Andel") || strchr(alias, '%'))
        return 0;
    return strstr(alias, "efolkning") || strstr(alias, "invånare") || strstr(alias, "hamnar över") ||
           strstr(alias, "kommer inom");
}

/* Which of a query's first n columns hold whole numbers only (a count stored as REAL):
 * those are printed without decimals. */
static void whole_columns(report *r, const char *sql, int n, int *whole)
{
    for (int i = 0; i < n; i++)
        whole[i] = 1;
    int any[MAX_TABLE_COLS] = {0};
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK) {
        for (int i = 0; i < n; i++)
            whole[i] = 0;
        return;
    }
    while (sqlite3_step(st) == SQLITE_ROW)
        for (int i = 0; i < n; i++) {
            int t = sqlite3_column_type(st, i);
            if (t == SQLITE_FLOAT) {
                double v = sqlite3_column_double(st, i);
                any[i] = 1;
                if (!isfinite(v) || v != floor(v))
                    whole[i] = 0;
            } else if (t == SQLITE_TEXT || t == SQLITE_BLOB) {
                whole[i] = 0;
            }
        }
    sqlite3_finalize(st);
    for (int i = 0; i < n; i++)
        whole[i] = whole[i] && any[i];  /* share columns are formatted as shares first */
}

static void html_table(report *r, const layer_info *l, const table_spec *t, pl_strbuf *html, const char *total_col)
{
    char sql[8192];
    size_t o = (size_t)snprintf(sql, sizeof sql, "SELECT ");
    for (int i = 0; i < t->n; i++) {
        char q[600];
        quote_ident(q, sizeof q, t->cols[i]);
        o += (size_t)snprintf(sql + o, sizeof sql - o, "%s%s", i ? ", " : "", q);
    }
    int hidden = -1;  /* the row's kommun, for the computed columns */
    if (t->bey && has_col(l, "kommun")) {
        hidden = t->n;
        o += (size_t)snprintf(sql + o, sizeof sql - o, ", \"kommun\"");
    }
    char qt[600];
    quote_ident(qt, sizeof qt, l->name);
    /* Ranked tables (stores: 1 = most vulnerable) by rank, so the top rows are the ones that
     * matter; municipalities in code order (as SCB lists them); other tables as written. */
    snprintf(sql + o, sizeof sql - o, " FROM %s ORDER BY %s", qt,
             has_col(l, "rank") ? "\"rank\" IS NULL, \"rank\", fid" : has_col(l, "kommun") ? "kommun, fid" : "fid");
    const beyond *bey = hidden >= 0 ? t->bey : NULL;
    char county[128];
    county_of(r, l, county, sizeof county);
    int whole[MAX_TABLE_COLS];
    whole_columns(r, sql, t->n, whole);
    for (int i = 0; i < t->n; i++)
        whole[i] |= is_people_alias(alias_of(l, t->cols[i]));
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK) {
        pl_warn(r->ctx, "report-table", "%s: cannot read: %s", l->name, sqlite3_errmsg(r->db));
        return;
    }
    pl_sb_puts(html, "<div class=\"tablewrap\"><table>\n<caption>");
    pl_sb_html(html, t->caption);
    pl_sb_puts(html, "</caption>\n<thead><tr>");
    for (int i = 0; i <= t->n; i++) {
        if (bey && i == t->bey_at)
            beyond_headings(html, bey);
        if (i == t->n)
            break;
        const char *h = alias_of(l, t->cols[i]);
        if (t->strip_prefix[0] && starts_with(h, t->strip_prefix))
            h += strlen(t->strip_prefix);
        pl_sb_printf(html, "<th scope=\"col\">");
        /* Capitalise the first letter after stripping (Swedish headings start so; å ä ö too), and a
         * decimal comma in the limits a heading names ("över 0.5 km" -> "över 0,5 km"). */
        char hd[512];
        snprintf(hd, sizeof hd, "%s", h);
        for (char *q = hd + 1; *q && q[1]; q++)
            if (*q == '.' && q[-1] >= '0' && q[-1] <= '9' && q[1] >= '0' && q[1] <= '9')
                *q = ',';
        if (hd[0] >= 'a' && hd[0] <= 'z') {
            hd[0] = (char)(hd[0] - 32);
        } else if ((unsigned char)hd[0] == 0xC3 && ((unsigned char)hd[1] == 0xA5 || (unsigned char)hd[1] == 0xA4 ||
                                                    (unsigned char)hd[1] == 0xB6)) {
            /* å ä ö -> Å Ä Ö (UTF-8: the second byte less 0x20), e.g. "Åldersgruppens andel". */
            hd[1] = (char)((unsigned char)hd[1] - 0x20);
        }
        pl_sb_html(html, hd);
        pl_sb_puts(html, "</th>");
    }
    pl_sb_puts(html, "</tr></thead>\n<tbody>\n");
    int rows = 0, shown = 0, totals = 0;
    pl_strbuf total = {0};
    while (sqlite3_step(st) == SQLITE_ROW) {
        rows++;
        int is_total = 0;
        if (total_col) {
            for (int i = 0; i < t->n; i++)
                if (strcmp(t->cols[i], total_col) == 0) {
                    const unsigned char *v = sqlite3_column_text(st, i);
                    is_total = v && (strcmp((const char *)v, "totalt") == 0 ||
                                     strcmp((const char *)v, "Alla analyserade") == 0);
                }
        }
        totals += is_total;
        if (!is_total && r->o->max_rows > 0 && shown >= r->o->max_rows)
            continue;
        pl_strbuf *dst = is_total ? &total : html;
        pl_sb_puts(dst, is_total ? "<tr class=\"total\">" : "<tr>");
        for (int i = 0; i <= t->n; i++) {
            if (bey && i == t->bey_at)
                beyond_cells(dst, bey, (const char *)sqlite3_column_text(st, hidden));
            if (i == t->n)
                break;
            char v[256];
            format_value_w(v, sizeof v, st, i, t->cols[i], whole[i]);
            /* The total row of a whole county is the county ("Örebro län"). */
            if (is_total && i == 0 && county[0] && strcmp(v, "Alla analyserade") == 0)
                snprintf(v, sizeof v, "%s", county);
            int num = sqlite3_column_type(st, i) == SQLITE_INTEGER || sqlite3_column_type(st, i) == SQLITE_FLOAT ||
                      sqlite3_column_type(st, i) == SQLITE_NULL;
            pl_sb_puts(dst, i == 0 ? "<th scope=\"row\">" : num ? "<td class=\"num\">" : "<td>");
            pl_sb_html(dst, v);
            pl_sb_puts(dst, i == 0 ? "</th>" : "</td>");
        }
        pl_sb_puts(dst, "</tr>\n");
        if (!is_total)
            shown++;
    }
    sqlite3_finalize(st);
    pl_sb_puts(html, "</tbody>\n");
    if (total.s) {
        pl_sb_puts(html, "<tfoot>\n");
        pl_sb_puts(html, total.s);
        pl_sb_puts(html, "</tfoot>\n");
        free(total.s);
    }
    pl_sb_puts(html, "</table></div>\n");
    if (shown < rows - totals)
        pl_sb_printf(html, "<p class=\"note\">Visar %d av %d rader%s; hela tabellen finns i GeoPackage-filen (lager "
                           "<code>%s</code>).</p>\n", shown, rows - totals,
                     has_col(l, "rank") ? " (de högst rankade)" : "", l->name);
}

/* The label of a service type: the alias prefix before ": " of one of its columns. */
static void type_label(const layer_info *l, const char *col, char *buf, size_t size)
{
    const char *a = alias_of(l, col);
    const char *colon = strstr(a, ": ");
    if (colon && a != col)
        snprintf(buf, size, "%.*s", (int)(colon - a), a);
    else
        snprintf(buf, size, "%s", col);
}

static void tables_for(report *r, const layer_info *l, pl_strbuf *html)
{
    const char *first = has_col(l, "namn") ? "namn" : has_col(l, "kommun") ? "kommun" : NULL;
    const char *total_col = first;
    const char *key = r->an[l->analysis].key;
    const char *title = l->identifier && *l->identifier ? l->identifier : l->name;
    int types = 0;
    for (int c = 0; c < l->n_cols; c++) {
        const char *name = l->cols[c].name;
        if (!ends_with(name, "_mean_km"))
            continue;
        /* One table per service type: access-style summaries. */
        char k[200];
        snprintf(k, sizeof k, "%.*s", (int)(strlen(name) - strlen("_mean_km")), name);
        table_spec t;
        memset(&t, 0, sizeof t);
        char lab[256];
        type_label(l, name, lab, sizeof lab);
        /* T_age_mean_km: the age group's table (--age-field), weighted by the age group. */
        int age = ends_with(k, "_age");
        snprintf(t.caption, sizeof t.caption, "%s: %s%s", title, lab, age ? " (åldersgruppen)" : "");
        snprintf(t.strip_prefix, sizeof t.strip_prefix, "%s: ", lab);
        if (first)
            spec_add(&t, l, first);
        spec_add(&t, l, age ? "pop_age" : "pop");
        char col[300];
        const char *suffixes[] = {"_services", "_mean_km", "_median_km", "_mean_min", "_median_min"};
        for (size_t s = 0; s < sizeof suffixes / sizeof suffixes[0]; s++) {
            snprintf(col, sizeof col, "%s%s", k, suffixes[s]);
            spec_add(&t, l, col);
        }
        /* Share beyond the last distance band, and without a road connection. */
        snprintf(col, sizeof col, "%s_share_km_over_", k);
        const char *over = col_with_prefix(l, col);
        if (over)
            spec_add(&t, l, over);
        /* Beyond the goal (or the last band): counted from the cells, in the band's place. */
        beyond bey;
        if (has_col(l, "kommun") && beyond_compute(r, l->analysis, k, goal_for(r, l, k), &bey)) {
            t.bey = &bey;
            t.bey_at = t.n;
        } else {
            snprintf(col, sizeof col, "%s_share_min_over_", k);
            over = col_with_prefix(l, col);
            if (over)
                spec_add(&t, l, over);
        }
        snprintf(col, sizeof col, "%s_share_km_unreachable", k);
        spec_add(&t, l, col);
        html_table(r, l, &t, html, total_col);
        if (t.bey)
            beyond_free(&bey);
        types++;
    }
    if (types > 0)
        return;
    table_spec t;
    memset(&t, 0, sizeof t);
    snprintf(t.caption, sizeof t.caption, "%s", title);
    if (has_col(l, "rank")) {  /* the rank leads a ranked table */
        first = "rank";
        total_col = NULL;
    }
    if (first)
        spec_add(&t, l, first);
    for (int c = 0; c < l->n_cols && t.n < MAX_TABLE_COLS; c++) {
        const char *name = l->cols[c].name;
        if ((first && strcmp(name, first) == 0) || (first && strcmp(first, "namn") == 0 && strcmp(name, "kommun") == 0))
            continue;
        if (strcmp(name, "kommun") == 0 && has_col(l, "kommun_namn"))
            continue;  /* the name says it */
        spec_add(&t, l, name);
    }
    (void)key;
    html_table(r, l, &t, html, total_col);
}

static int stmt_col(sqlite3_stmt *st, const char *name)
{
    for (int i = 0; i < sqlite3_column_count(st); i++)
        if (strcmp(sqlite3_column_name(st, i), name) == 0)
            return i;
    return -1;
}

/* A heading without the service type prefix, first letter capitalised (ASCII). */
static void short_heading(pl_strbuf *html, const layer_info *l, const char *col, const char *type_prefix)
{
    const char *h = alias_of(l, col);
    if (type_prefix[0] && starts_with(h, type_prefix))
        h += strlen(type_prefix);
    if (h[0] >= 'a' && h[0] <= 'z') {
        char c = (char)(h[0] - 32);
        pl_sb_add(html, &c, 1);
        pl_sb_html(html, h + 1);
    } else {
        pl_sb_html(html, h);
    }
}

/* ------------------------------------------------------------------ summary paragraph */

#define MAX_TYPES 32

/* One service type's figures as the summary table prints them. */
typedef struct type_figure {
    char key[200], label[256];
    char share[128];           /* "Andel över X min" of the whole area, as printed */
    char mean_min[128];        /* "Medelrestid (min)", as printed */
    double x;                  /* its threshold (min) */
    int have;
    char share_km[128];        /* "Andel över N km", as printed: when there is no time band */
    char over_km[64];          /* N */
} type_figure;

/* What the nearest one of a service type is called in a sentence. */
static const char *service_noun(const char *key, const char *label)
{
    static const struct {
        const char *k, *v;
    } t[] = {
        {"grocery", "dagligvarubutik"},
        {"grocery_full", "dagligvarubutik med fullsortiment"},
        {"grocery_partial", "dagligvarubutik med delsortiment"},
        {"fuel", "drivmedelsstation"},
        {"pharmacy", "apotek eller apoteksombud"},
        {"parcel_post", "post- eller paketombud"},
        {"parcel_locker", "paketskåp"},
        {"cash", "uttagsautomat eller annan betaltjänst"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (strcmp(t[i].k, key) == 0)
            return t[i].v;
    return label;
}

static const char *mode_phrase(const char *mode)
{
    if (mode && strcmp(mode, "walk") == 0)
        return "till fots";
    if (mode && strcmp(mode, "bike") == 0)
        return "med cykel";
    return "med bil";
}

/* "I Örebro län" or "I analysområdet". */
static void area_phrase(report *r, const layer_info *l, char *buf, size_t size, char *county, size_t csize)
{
    county_of(r, l, county, csize);
    snprintf(buf, size, "%s", county[0] ? county : "analysområdet");
}

/* The opening of every summary: "Sammanfattning." and, for synthetic inputs, SYNTETISKA DATA. */
static void summary_open(const report *r, int an, pl_strbuf *html)
{
    pl_sb_puts(html, "<p class=\"summary\"><strong>Sammanfattning.</strong> ");
    char syn[512];
    synthetic_inputs(&r->an[an], syn, sizeof syn);
    if (syn[0])
        pl_sb_puts(html, "<strong>SYNTETISKA DATA:</strong> ");
}

static void summary_close(const report *r, int an, pl_strbuf *html)
{
    char syn[512];
    synthetic_inputs(&r->an[an], syn, sizeof syn);
    if (syn[0]) {
        pl_sb_puts(html, " Siffrorna bygger på syntetiska indata (");
        pl_sb_html(html, syn);
        pl_sb_puts(html, ") och beskriver inte verkligheten.");
    }
    pl_sb_puts(html, "</p>\n");
}

/* The kommun name of a code in a per-kommun table. */
static void kommun_name(report *r, const layer_info *l, const char *code, char *buf, size_t size)
{
    snprintf(buf, size, "%s", code);
    if (!has_col(l, "namn"))
        return;
    char qt[600], sql[800];
    quote_ident(qt, sizeof qt, l->name);
    snprintf(sql, sizeof sql, "SELECT namn FROM %s WHERE kommun = ?1", qt);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            snprintf(buf, size, "%s", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
}

/* Tillväxtverket's national figures for grocery stores by car (the domain notes): beside the
 * area's own, counted from the cells the same way as the tables. */
static void national_grocery(report *r, const layer_info *l, const char *key, const char *area, pl_strbuf *para,
                             pl_strbuf *table)
{
    beyond b10, b20;
    if (!beyond_compute(r, l->analysis, key, 10, &b10))
        return;
    if (!beyond_compute(r, l->analysis, key, 20, &b20)) {
        beyond_free(&b10);
        return;
    }
    char s10[64] = "–", n20[64];
    if (b10.total_pop > 0)
        share_text(s10, sizeof s10, b10.total_over / b10.total_pop);
    pl_map_format_number(n20, sizeof n20, b20.total_over, 0);
    pl_sb_puts(para, " Som jämförelse har ");
    pl_sb_html(para, s10);
    pl_sb_puts(para, " av invånarna i ");
    pl_sb_html(para, area);
    pl_sb_puts(para, " mer än 10 minuter med bil till närmaste dagligvarubutik; i hela riket var andelen "
                     "cirka 1,5\xc2\xa0% (161\xc2\xa0" "000 personer) år 2021 enligt Tillväxtverket.");
    pl_sb_puts(table, "<div class=\"tablewrap\"><table class=\"reference\">\n<caption>Jämförelse med riket: "
                      "dagligvaror med bil</caption>\n<thead><tr><th scope=\"col\">Mått</th><th scope=\"col\">");
    char cap[256];
    snprintf(cap, sizeof cap, "%s", area);
    if (cap[0] >= 'a' && cap[0] <= 'z')
        cap[0] = (char)(cap[0] - 32);
    pl_sb_html(table, cap);
    pl_sb_puts(table, "</th><th scope=\"col\">Riket</th><th scope=\"col\">Källa</th></tr></thead>\n<tbody>\n"
                      "<tr><th scope=\"row\">Andel över 10 min</th><td class=\"num ref\">");
    pl_sb_html(table, s10);
    pl_sb_puts(table, "</td><td class=\"num\">cirka 1,5\xc2\xa0% (161\xc2\xa0" "000 personer)</td><td>Tillväxtverket, "
                      "2021</td></tr>\n<tr><th scope=\"row\">Befolkning över 20 min</th><td class=\"num ref\">");
    pl_sb_html(table, n20);
    pl_sb_puts(table, "</td><td class=\"num\">cirka 8\xc2\xa0" "500 personer</td><td>Tillväxtverket, 2018 (98\xc2\xa0% "
                      "hade högst 10 min)</td></tr>\n</tbody></table></div>\n");
    beyond_free(&b10);
    beyond_free(&b20);
}

/* Access without time bands: the share beyond the last distance band, per type. */
static void access_summary_km(report *r, const layer_info *l, const type_figure *tf, int n, const char *area,
                              pl_strbuf *html)
{
    pl_strbuf p = {0};
    int said = 0;
    for (int i = 0; i < n; i++) {
        if (!tf[i].share_km[0] || !tf[i].over_km[0] || strcmp(tf[i].share_km, "–") == 0)
            continue;
        if (!said++) {
            summary_open(r, l->analysis, &p);
            pl_sb_puts(&p, "I ");
            pl_sb_html(&p, area);
            pl_sb_puts(&p, " har ");
        } else {
            pl_sb_puts(&p, "; ");
        }
        char noun[256];
        snprintf(noun, sizeof noun, "%s", service_noun(tf[i].key, tf[i].label));
        if (noun[0] >= 'A' && noun[0] <= 'Z' && !(noun[1] >= 'A' && noun[1] <= 'Z'))
            noun[0] = (char)(noun[0] + 32);
        pl_sb_html(&p, tf[i].share_km);
        pl_sb_printf(&p, "%s mer än ", said == 1 ? " av invånarna" : "");
        pl_sb_html(&p, tf[i].over_km);
        pl_sb_puts(&p, " km längs vägnätet till närmaste ");
        pl_sb_html(&p, noun);
    }
    if (said) {
        pl_sb_puts(&p, ".");
        summary_close(r, l->analysis, &p);
        pl_sb_puts(html, p.s);
    }
    free(p.s);
}

/* Access: the main service type (groceries when there) beyond the goal or last band, the
 * kommun with the largest share, the other types in one sentence, and the national figure. */
static void access_summary(report *r, const layer_info *l, const type_figure *tf, int n, pl_strbuf *html)
{
    int main = -1;
    for (int i = 0; i < n && main < 0; i++)
        if (tf[i].have && strcmp(tf[i].key, "grocery") == 0)
            main = i;
    for (int i = 0; i < n && main < 0; i++)
        if (tf[i].have)
            main = i;
    const analysis *an = &r->an[l->analysis];
    const char *mode = param_of(an, "mode");
    char area[128], county[128], x[64];
    area_phrase(r, l, area, sizeof area, county, sizeof county);
    if (main < 0) {
        access_summary_km(r, l, tf, n, area, html);
        return;
    }
    const type_figure *m = &tf[main];
    minutes_text(x, sizeof x, m->x);
    pl_strbuf p = {0}, ref = {0};
    summary_open(r, l->analysis, &p);
    pl_sb_puts(&p, "I ");
    pl_sb_html(&p, area);
    pl_sb_puts(&p, " har ");
    pl_sb_html(&p, m->share);
    pl_sb_puts(&p, " av invånarna");
    /* The count and the kommun from the per-kommun table's beyond columns. */
    beyond b;
    int have_b = has_col(l, "kommun") && beyond_compute(r, l->analysis, m->key, m->x, &b);
    if (have_b) {
        char cnt[64];
        pl_map_format_number(cnt, sizeof cnt, b.total_over, 0);
        pl_sb_printf(&p, " (%s personer)", cnt);
    }
    pl_sb_printf(&p, " mer än %s minuter %s till närmaste ", x, mode_phrase(mode));
    char noun[256];
    snprintf(noun, sizeof noun, "%s", service_noun(m->key, m->label));
    if (noun[0] >= 'A' && noun[0] <= 'Z' && !(noun[1] >= 'A' && noun[1] <= 'Z'))
        noun[0] = (char)(noun[0] + 32);  /* "Apotek" -> "apotek"; an acronym stays */
    pl_sb_html(&p, noun);
    if (r->o->goal_min > 0 && m->x == r->o->goal_min)
        pl_sb_puts(&p, ", regionens mål");
    pl_sb_puts(&p, ". Medelrestiden är ");
    pl_sb_html(&p, m->mean_min);
    pl_sb_puts(&p, " minuter.");
    if (have_b) {
        int best = -1;
        double best_share = 0;
        for (int i = 0; i < b.n; i++)
            if (b.rows[i].pop > 0 && b.rows[i].over / b.rows[i].pop > best_share) {
                best_share = b.rows[i].over / b.rows[i].pop;
                best = i;
            }
        if (best >= 0 && b.n > 1) {
            char name[256], sh[64];
            kommun_name(r, l, b.rows[best].kommun, name, sizeof name);
            share_text(sh, sizeof sh, best_share);
            pl_sb_printf(&p, " Störst andel över %s minuter har ", x);
            pl_sb_html(&p, name);
            pl_sb_puts(&p, " (");
            pl_sb_html(&p, sh);
            pl_sb_puts(&p, ").");
        }
        beyond_free(&b);
    }
    int others = 0;
    for (int i = 0; i < n; i++) {
        if (i == main || !tf[i].have || tf[i].x != m->x)
            continue;
        pl_sb_printf(&p, others++ ? "; " : " Andelen över %s minuter för övriga servicetyper: ", x);
        char lab[256];
        snprintf(lab, sizeof lab, "%s", tf[i].label);
        if (lab[0] >= 'A' && lab[0] <= 'Z' && !(lab[1] >= 'A' && lab[1] <= 'Z'))
            lab[0] = (char)(lab[0] + 32);  /* mid-sentence: "drivmedel 1,1 %" */
        pl_sb_html(&p, lab);
        pl_sb_puts(&p, " ");
        pl_sb_html(&p, tf[i].share);
    }
    if (others)
        pl_sb_puts(&p, ".");
    if (strcmp(m->key, "grocery") == 0 && (!mode || strcmp(mode, "car") == 0))
        national_grocery(r, l, m->key, area, &p, &ref);
    summary_close(r, l->analysis, &p);
    pl_sb_puts(html, p.s);
    if (ref.s)
        pl_sb_puts(html, ref.s);
    free(p.s);
    free(ref.s);
}

/* The total row of a per-kommun table, formatted as its table prints it; "" when absent. */
static void total_value(report *r, const layer_info *l, const char *col, char *buf, size_t size)
{
    buf[0] = '\0';
    if (!has_col(l, col) || !has_col(l, "kommun"))
        return;
    char qt[600], qc[600], sql[1400];
    quote_ident(qt, sizeof qt, l->name);
    quote_ident(qc, sizeof qc, col);
    snprintf(sql, sizeof sql, "SELECT %s FROM %s WHERE kommun = 'totalt' LIMIT 1", qc, qt);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
        sqlite3_column_type(st, 0) != SQLITE_NULL)
        format_value(buf, size, st, 0, col);
    sqlite3_finalize(st);
}

/* The summary of the other analyses, from the total row (or rank 1) of their first table. */
static void other_summary(report *r, int an, pl_strbuf *html)
{
    const char *key = r->an[an].key;
    const layer_info *l = NULL;
    for (int i = 0; i < r->n_layers && !l; i++)
        if (r->layers[i].analysis == an && !r->layers[i].spatial &&
            (has_col(&r->layers[i], "kommun") || has_col(&r->layers[i], "rank")))
            l = &r->layers[i];
    if (!l)
        return;
    char area[128], county[128];
    area_phrase(r, l, area, sizeof area, county, sizeof county);
    pl_strbuf p = {0};
    if (strcmp(key, "classify") == 0) {
        char u[64], n[64], rr[64];
        total_value(r, l, "share_urban", u, sizeof u);
        total_value(r, l, "share_near_urban_rural", n, sizeof n);
        total_value(r, l, "share_remote_rural", rr, sizeof rr);
        const char *rem = param_of(&r->an[an], "remote_min");
        if (u[0] && n[0] && rr[0]) {
            summary_open(r, an, &p);
            pl_sb_puts(&p, "I ");
            pl_sb_html(&p, area);
            pl_sb_puts(&p, " bor ");
            pl_sb_html(&p, u);
            pl_sb_puts(&p, " av invånarna i tätort, ");
            pl_sb_html(&p, n);
            pl_sb_puts(&p, " i tätortsnära landsbygd och ");
            pl_sb_html(&p, rr);
            pl_sb_puts(&p, " i landsbygd avlägset belägen (mer än ");
            pl_sb_html(&p, rem ? rem : "45");
            pl_sb_puts(&p, " minuter med bil till en tätort).");
        }
    } else if (strcmp(key, "coverage") == 0) {
        char c[64], after[64], nh[64];
        total_value(r, l, "share_covered", c, sizeof c);
        total_value(r, l, "share_covered_after", after, sizeof after);
        total_value(r, l, "new_hubs", nh, sizeof nh);
        const char *thr = param_of(&r->an[an], "threshold");
        if (c[0]) {
            char t[128];
            param_value_text(t, sizeof t, "threshold", thr ? thr : "");
            summary_open(r, an, &p);
            pl_sb_puts(&p, "I ");
            pl_sb_html(&p, area);
            pl_sb_puts(&p, " har ");
            pl_sb_html(&p, c);
            pl_sb_puts(&p, " av invånarna ett servicenav inom ");
            pl_sb_html(&p, t);
            pl_sb_printf(&p, " %s", mode_phrase(param_of(&r->an[an], "mode")));
            if (after[0] && nh[0] && strcmp(nh, "0") != 0) {
                pl_sb_puts(&p, "; med ");
                pl_sb_html(&p, nh);
                pl_sb_puts(&p, " nya nav blir andelen ");
                pl_sb_html(&p, after);
            }
            pl_sb_puts(&p, ".");
        }
    } else if (strcmp(key, "stores") == 0 && has_col(l, "rank") && has_col(l, "name")) {
        char qt[600], sql[900];
        quote_ident(qt, sizeof qt, l->name);
        snprintf(sql, sizeof sql, "SELECT name, %s, pop_beyond_30min, pop_beyond_10km FROM %s WHERE rank = 1 LIMIT 1",
                 has_col(l, "kommun_namn") ? "kommun_namn" : "''", qt);
        sqlite3_stmt *st = NULL;
        if (has_col(l, "pop_beyond_30min") && has_col(l, "pop_beyond_10km") &&
            sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
            char m30[64], k10[64];
            format_value(m30, sizeof m30, st, 2, "pop_beyond_30min");
            format_value(k10, sizeof k10, st, 3, "pop_beyond_10km");
            const char *bm = param_of(&r->an[an], "beyond_min"), *bk = param_of(&r->an[an], "beyond_km");
            summary_open(r, an, &p);
            pl_sb_puts(&p, "Den mest sårbara butiken är ");
            pl_sb_html(&p, sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : "?");
            const char *k = (const char *)sqlite3_column_text(st, 1);
            if (k && *k) {
                pl_sb_puts(&p, " i ");
                pl_sb_html(&p, k);
            }
            pl_sb_puts(&p, ": stängs den får ");
            pl_sb_html(&p, m30);
            pl_sb_printf(&p, " invånare mer än %s minuter och ", bm ? bm : "30");
            pl_sb_html(&p, k10);
            pl_sb_printf(&p, " invånare mer än %s km till närmaste butik.", bk ? bk : "10");
        }
        sqlite3_finalize(st);
    }
    if (p.s) {
        summary_close(r, an, &p);
        pl_sb_puts(html, p.s);
    }
    free(p.s);
}

/* Key figures from a summary table's total row: the population, then one line per service
 * type (access) or one box per share (other analyses).
 * Long: the access lines and the share boxes read the same total row in one pass over its columns. */
static void key_figures(report *r, const layer_info *l, pl_strbuf *html)
{
    char qt[600];
    quote_ident(qt, sizeof qt, l->name);
    if (!has_col(l, "kommun"))
        return;
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT * FROM %s WHERE kommun = 'totalt' LIMIT 1", qt);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK)
        return;
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return;
    }
    pl_strbuf boxes = {0}, rows = {0};
    int n = sqlite3_column_count(st);
    char v[128];
    int pi = stmt_col(st, "pop");
    if (pi >= 0) {
        format_value(v, sizeof v, st, pi, "pop");
        pl_sb_printf(&boxes, "<div class=\"kf\"><span class=\"v\">%s</span><span class=\"k\">invånare i "
                             "analysen</span></div>\n", v);
    }
    /* Access: one row per service type. */
    const char *over_col = NULL, *over_min_col = NULL;
    char first_prefix[300] = "";
    int goal_heading = 0;
    type_figure tf[MAX_TYPES];
    int n_tf = 0;
    for (int i = 0; i < n; i++) {
        const char *name = sqlite3_column_name(st, i);
        if (!ends_with(name, "_mean_km"))
            continue;
        char k[200], col[300], lab[256];
        snprintf(k, sizeof k, "%.*s", (int)(strlen(name) - strlen("_mean_km")), name);
        type_label(l, name, lab, sizeof lab);
        pl_sb_puts(&rows, "<tr><th scope=\"row\">");
        pl_sb_html(&rows, lab);
        pl_sb_puts(&rows, "</th>");
        char prefix_km[300], prefix_min[300];
        snprintf(prefix_km, sizeof prefix_km, "%s_share_km_over_", k);
        snprintf(prefix_min, sizeof prefix_min, "%s_share_min_over_", k);
        const char *ok = col_with_prefix(l, prefix_km), *om = col_with_prefix(l, prefix_min);
        if (!first_prefix[0]) {
            snprintf(first_prefix, sizeof first_prefix, "%s: ", lab);
            over_col = ok;
            over_min_col = om;
        }
        const char *cols[5];
        char c0[300], c1[300], c2[300];
        snprintf(c0, sizeof c0, "%s_services", k);
        snprintf(c1, sizeof c1, "%s_mean_km", k);
        snprintf(c2, sizeof c2, "%s_mean_min", k);
        snprintf(col, sizeof col, "%s_share_km_unreachable", k);
        cols[0] = c0;
        cols[1] = c1;
        cols[2] = c2;
        cols[3] = ok ? ok : "";
        cols[4] = om ? om : "";
        /* The region's goal: the share beyond it from the cells, in place of the last band's. */
        beyond bey;
        int have_goal = r->o->goal_min > 0 && beyond_compute(r, l->analysis, k, r->o->goal_min, &bey);
        if (have_goal)
            goal_heading = 1;
        for (int c = 0; c < 5; c++) {
            int ci = cols[c][0] ? stmt_col(st, cols[c]) : -1;
            if (c == 4 && have_goal)
                share_text(v, sizeof v, bey.total_pop > 0 ? bey.total_over / bey.total_pop : NAN);
            else if (ci < 0)
                snprintf(v, sizeof v, "–");
            else
                format_value(v, sizeof v, st, ci, cols[c]);
            /* The summary paragraph quotes these very cells. */
            if (n_tf < MAX_TYPES && c == 2)
                snprintf(tf[n_tf].mean_min, sizeof tf[n_tf].mean_min, "%s", v);
            if (n_tf < MAX_TYPES && c == 3) {
                snprintf(tf[n_tf].share_km, sizeof tf[n_tf].share_km, "%s", ok && ci >= 0 ? v : "");
                snprintf(tf[n_tf].over_km, sizeof tf[n_tf].over_km, "%s", ok ? ok + strlen(prefix_km) : "");
                for (char *q = tf[n_tf].over_km; *q; q++)
                    if (*q == '_')
                        *q = ',';  /* "over_0_5": 0,5 km */
            }
            if (n_tf < MAX_TYPES && c == 4) {
                snprintf(tf[n_tf].key, sizeof tf[n_tf].key, "%s", k);
                snprintf(tf[n_tf].label, sizeof tf[n_tf].label, "%s", lab);
                snprintf(tf[n_tf].share, sizeof tf[n_tf].share, "%s", v);
                tf[n_tf].x = have_goal ? r->o->goal_min : last_band_min(l, k);
                tf[n_tf].have = strcmp(v, "–") != 0 && tf[n_tf].x > 0;
            }
            pl_sb_puts(&rows, "<td class=\"num\">");
            pl_sb_html(&rows, v);
            pl_sb_puts(&rows, "</td>");
        }
        int ui = stmt_col(st, col);
        if (ui >= 0)
            format_value(v, sizeof v, st, ui, col);
        else
            snprintf(v, sizeof v, "–");
        pl_sb_puts(&rows, "<td class=\"num\">");
        pl_sb_html(&rows, v);
        pl_sb_puts(&rows, "</td></tr>\n");
        if (have_goal)
            beyond_free(&bey);
        if (n_tf < MAX_TYPES)
            n_tf++;
    }
    if (!rows.s) {
        for (int i = 0; i < n; i++) {
            const char *name = sqlite3_column_name(st, i);
            if (!starts_with(name, "share_") || sqlite3_column_type(st, i) == SQLITE_NULL)
                continue;
            format_value(v, sizeof v, st, i, name);
            pl_sb_puts(&boxes, "<div class=\"kf\"><span class=\"v\">");
            pl_sb_html(&boxes, v);
            pl_sb_puts(&boxes, "</span><span class=\"k\">");
            pl_sb_html(&boxes, alias_of(l, name));
            pl_sb_puts(&boxes, "</span></div>\n");
        }
    }
    sqlite3_finalize(st);
    if (n_tf > 0)
        access_summary(r, l, tf, n_tf, html);
    if (boxes.s) {
        pl_sb_puts(html, "<div class=\"keyfigures\">\n");
        pl_sb_puts(html, boxes.s);
        pl_sb_puts(html, "</div>\n");
    }
    if (rows.s) {
        pl_sb_puts(html, "<div class=\"tablewrap\"><table class=\"summary\">\n<caption>Sammanfattning per "
                         "servicetyp, hela analysområdet</caption>\n<thead><tr><th scope=\"col\">Servicetyp</th>"
                         "<th scope=\"col\">Antal</th><th scope=\"col\">Medelavstånd (km)</th>"
                         "<th scope=\"col\">Medelrestid (min)</th><th scope=\"col\">");
        if (over_col)
            short_heading(html, l, over_col, first_prefix);
        else
            pl_sb_puts(html, "Andel längst bort (km)");
        pl_sb_puts(html, "</th><th scope=\"col\">");
        if (goal_heading) {
            char x[64];
            minutes_text(x, sizeof x, r->o->goal_min);
            pl_sb_printf(html, "Andel över %s\xc2\xa0min (mål)", x);
        } else if (over_min_col)
            short_heading(html, l, over_min_col, first_prefix);
        else
            pl_sb_puts(html, "Andel längst bort (min)");
        pl_sb_puts(html, "</th><th scope=\"col\">Ej nåbar</th></tr></thead>\n<tbody>\n");
        pl_sb_puts(html, rows.s);
        pl_sb_puts(html, "</tbody></table></div>\n");
    }
    free(boxes.s);
    free(rows.s);
}

/* ------------------------------------------------------------------ page */

static const char CSS[] =
    "body{font-family:'DejaVu Sans',Arial,Helvetica,sans-serif;color:#1a1d23;margin:0;background:#fff;"
    "line-height:1.45}\n"
    "main{max-width:1140px;margin:0 auto;padding:24px 20px 48px}\n"
    "header{border-bottom:3px solid #1a6e3a;margin-bottom:20px;padding-bottom:10px}\n"
    "h1{font-size:30px;margin:0 0 6px}h2{font-size:24px;margin:36px 0 10px;border-bottom:1px solid #ccd;"
    "padding-bottom:4px}h3{font-size:18px;margin:26px 0 8px}\n"
    ".lead{color:#4a4f58;margin:0}\n"
    "nav ul{margin:6px 0 0;padding-left:20px}\n"
    "figure.map{margin:18px 0 28px}figure.map img{max-width:100%;height:auto;border:1px solid #d5d9de}\n"
    "figcaption{font-size:14px;color:#4a4f58;margin-top:6px}\n"
    ".synthetic{background:#fff3cd;border:2px solid #b8860b;padding:8px 12px}\n"
    ".tablewrap{overflow-x:auto;margin:10px 0 22px}\n"
    "table{border-collapse:collapse;font-size:14px;min-width:60%}\n"
    "caption{text-align:left;font-weight:bold;padding:6px 0;font-size:15px}\n"
    "th,td{padding:4px 10px;border-bottom:1px solid #e2e5e9;vertical-align:bottom}\n"
    "thead th{background:#eef2f0;text-align:right;font-size:13px;white-space:normal;min-width:4.5em;"
    "hyphens:auto}thead th:first-child{text-align:left}\n"
    "th.goal,td.goal{background:#fff6df}\n"
    "p.summary{background:#f1f6f2;border-left:4px solid #1a6e3a;padding:10px 14px;max-width:900px}\n"
    "h1,h2,h3,caption,figcaption,.lead{overflow-wrap:break-word}\n"
    "tbody th,tfoot th{text-align:left;font-weight:normal;white-space:nowrap}\n"
    "td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    "td.path{word-break:break-all}\n"
    "tr.total th,tr.total td{font-weight:bold;border-top:2px solid #1a1d23}\n"
    "tbody tr:nth-child(even){background:#f8f9fa}\n"
    ".keyfigures{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0 18px}\n"
    ".kf{background:#f1f6f2;border-left:4px solid #1a6e3a;padding:8px 14px;min-width:170px;max-width:260px}\n"
    ".kf .v{display:block;font-size:24px;font-weight:bold}.kf .k{font-size:13px;color:#3a3f48}\n"
    "dl.params{display:grid;grid-template-columns:max-content 1fr;gap:4px 18px;font-size:14px}\n"
    "dl.params dt{color:#4a4f58}dl.params dd{margin:0}\n"
    "code{font-family:'DejaVu Sans Mono',monospace;font-size:13px;background:#f3f4f6;padding:0 3px}\n"
    ".note{font-size:13px;color:#4a4f58}\n"
    "footer{border-top:1px solid #ccd;margin-top:40px;padding-top:10px;font-size:13px;color:#4a4f58}\n"
    "@media print{main{max-width:none}figure.map{break-inside:avoid}.tablewrap{overflow:visible}"
    "table{font-size:10px;min-width:0}th,td{padding:2px 4px}thead{display:table-header-group}}\n";

static void size_text(char *buf, size_t size, long long bytes)
{
    char n[32];
    if (bytes < 0)
        snprintf(buf, size, "–");
    else if (bytes < 1024 * 1024) {
        pl_map_format_number(n, sizeof n, bytes / 1024.0, 1);
        snprintf(buf, size, "%s\xc2\xa0kB", n);
    } else {
        pl_map_format_number(n, sizeof n, bytes / (1024.0 * 1024.0), 1);
        snprintf(buf, size, "%s\xc2\xa0MB", n);
    }
}

static void run_section(const analysis *a, pl_strbuf *html)
{
    pl_sb_puts(html, "<h3>Parametrar</h3>\n<dl class=\"params\">\n");
    for (int i = 0; i < a->n_params; i++) {
        pl_sb_puts(html, "<dt>");
        pl_sb_html(html, param_label(a->params[i].name));
        pl_sb_puts(html, "</dt><dd>");
        const char *v = a->params[i].value;
        if (strcmp(a->params[i].name, "mode") == 0)
            v = mode_label(v);
        if (strcmp(a->params[i].name, "analysis") == 0)
            v = analysis_title(v);
        if (strcmp(a->params[i].name, "region") == 0 && (!v || !*v))
            v = "hela underlaget";
        if (v == a->params[i].value) {
            char text[2048];
            param_value_text(text, sizeof text, a->params[i].name, v);
            pl_sb_html(html, text);
        } else {
            pl_sb_html(html, v);
        }
        pl_sb_puts(html, "</dd>\n");
    }
    if (a->work_crs) {
        pl_sb_puts(html, "<dt>Arbetskoordinatsystem</dt><dd>");
        pl_sb_html(html, a->work_crs);
        pl_sb_puts(html, "</dd>\n");
    }
    pl_sb_puts(html, "</dl>\n");
    if (a->n_inputs > 0) {
        pl_sb_puts(html, "<h3>Indata</h3>\n<div class=\"tablewrap\"><table>\n<thead><tr><th scope=\"col\">Fil</th>"
                         "<th scope=\"col\">Storlek</th><th scope=\"col\" style=\"text-align:left\">SHA-256 "
                         "(kontrollsumma)</th></tr></thead>\n<tbody>\n");
        for (int i = 0; i < a->n_inputs; i++) {
            char sz[80];
            size_text(sz, sizeof sz, a->inputs[i].size);
            pl_sb_puts(html, "<tr><td class=\"path\"><code>");
            pl_sb_html(html, a->inputs[i].path);
            pl_sb_puts(html, "</code>");
            if (a->inputs[i].title) {
                pl_sb_puts(html, a->inputs[i].synthetic ? "<br><strong>" : "<br>");
                pl_sb_html(html, a->inputs[i].title);
                pl_sb_puts(html, a->inputs[i].synthetic ? "</strong>" : "");
            }
            pl_sb_puts(html, "</td><td class=\"num\">");
            pl_sb_html(html, sz);
            pl_sb_puts(html, "</td><td><code title=\"");
            pl_sb_html(html, a->inputs[i].sha256 ? a->inputs[i].sha256 : "");
            pl_sb_puts(html, "\">");
            if (a->inputs[i].sha256)
                pl_sb_printf(html, "%.16s…", a->inputs[i].sha256);
            else
                pl_sb_puts(html, "–");
            pl_sb_puts(html, "</code></td></tr>\n");
        }
        pl_sb_puts(html, "</tbody></table></div>\n");
    }
    pl_sb_puts(html, "<dl class=\"params\">\n");
    if (a->command_line) {
        pl_sb_puts(html, "<dt>Kommando</dt><dd><code>");
        pl_sb_html(html, a->command_line);
        pl_sb_puts(html, "</code></dd>\n");
    }
    if (a->created) {
        char t[128];
        time_text(t, sizeof t, a->created);
        pl_sb_puts(html, "<dt>Körd</dt><dd>");
        pl_sb_html(html, t);
        pl_sb_puts(html, "</dd>\n");
    }
    if (a->version) {
        pl_sb_puts(html, "<dt>Program</dt><dd>platsa ");
        pl_sb_html(html, a->version);
        if (a->libraries) {
            pl_sb_puts(html, " (");
            pl_sb_html(html, a->libraries);
            pl_sb_puts(html, ")");
        }
        pl_sb_puts(html, "</dd>\n");
    }
    pl_sb_puts(html, "</dl>\n");
}

/* The spatial layers of an analysis in map order: municipality maps first. */
static int map_order(const report *r, int an, const layer_info **out, int max)
{
    int n = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < r->n_layers && n < max; i++) {
            const layer_info *l = &r->layers[i];
            if (l->analysis != an || !l->spatial)
                continue;
            int muni = ends_with(l->name, "municipalities");
            if ((pass == 0) == muni)
                out[n++] = l;
        }
    return n;
}

static int build_page(report *r, pl_strbuf *html, pl_error *err)
{
    char title[512];
    if (r->o->title)
        snprintf(title, sizeof title, "%s", r->o->title);
    else if (r->n_an == 1)
        snprintf(title, sizeof title, "%s", analysis_title(r->an[0].key));
    else
        snprintf(title, sizeof title, "Resultat från platsa");
    const char *base = strrchr(r->o->input, '/');
    base = base ? base + 1 : r->o->input;

    pl_sb_puts(html, "<!DOCTYPE html>\n<html lang=\"sv\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    pl_sb_printf(html, "<meta name=\"generator\" content=\"platsa %s\">\n<title>", PLATSA_VERSION);
    pl_sb_html(html, title);
    pl_sb_puts(html, "</title>\n<style>\n");
    pl_sb_puts(html, CSS);
    pl_sb_puts(html, "</style>\n</head>\n<body>\n<main>\n<header>\n<h1>");
    if (any_synthetic(r))
        pl_sb_puts(html, "SYNTETISKA DATA \xe2\x80\x93 ");
    pl_sb_html(html, title);
    pl_sb_puts(html, "</h1>\n<p class=\"lead\">Underlag: <code>");
    pl_sb_html(html, base);
    pl_sb_puts(html, "</code>");
    if (r->an[0].created) {
        char t[128];
        time_text(t, sizeof t, r->an[0].created);
        pl_sb_puts(html, " \xc2\xb7 körd ");
        pl_sb_html(html, t);
    }
    pl_sb_puts(html, " \xc2\xb7 rapport skapad med platsa " PLATSA_VERSION "</p>\n");
    if (any_synthetic(r)) {
        pl_sb_puts(html, "<p class=\"synthetic\"><strong>SYNTETISKA DATA.</strong> Delar av underlaget är "
                         "syntetiska, skapade av platsa synth, och beskriver inte verkligheten: ");
        pl_sb_html(html, r->attribution);
        pl_sb_puts(html, ". Siffror och kartor visar metoden, inte faktiska avstånd.</p>\n");
    }
    pl_sb_puts(html, "</header>\n");

    pl_sb_puts(html, "<nav><strong>Innehåll</strong><ul>\n");
    for (int a = 0; a < r->n_an; a++) {
        pl_sb_printf(html, "<li><a href=\"#analys-%d\">", a + 1);
        pl_sb_html(html, analysis_title(r->an[a].key));
        pl_sb_puts(html, "</a></li>\n");
    }
    pl_sb_puts(html, "<li><a href=\"#korning\">Om körningen</a></li>\n</ul></nav>\n");

    for (int a = 0; a < r->n_an; a++) {
        pl_sb_printf(html, "<section id=\"analys-%d\">\n<h2>", a + 1);
        pl_sb_html(html, analysis_title(r->an[a].key));
        char syn[512];
        synthetic_inputs(&r->an[a], syn, sizeof syn);
        if (syn[0]) {
            pl_sb_puts(html, " (SYNTETISKA indata: ");
            pl_sb_html(html, syn);
            pl_sb_puts(html, ")");
        }
        pl_sb_puts(html, "</h2>\n");
        if (strcmp(r->an[a].key, "access") == 0) {
            const char *mode = param_of(&r->an[a], "mode");
            pl_sb_printf(html, "<p>Avstånd och restid längs vägnätet (%s) från "
                               "varje befolkningsruta till närmaste service. Kommunvärdena är "
                               "befolkningsviktade.</p>\n", mode_label(mode ? mode : "car"));
        } else if (strcmp(r->an[a].key, "classify") == 0) {
            pl_sb_puts(html, "<p>Tillväxtverkets indelning efter restid med bil till närmaste "
                             "tätort med minst 3&#160;000 invånare: tätort, tätortsnära "
                             "landsbygd och landsbygd avlägset belägen.</p>\n");
        }
        if (strcmp(r->an[a].key, "access") != 0)  /* access: from its key figures */
            other_summary(r, a, html);
        /* Key figures from the first attribute table with a total row. */
        for (int i = 0; i < r->n_layers; i++)
            if (r->layers[i].analysis == a && !r->layers[i].spatial) {
                key_figures(r, &r->layers[i], html);
                break;
            }
        const layer_info *maps[64];
        int n_maps = map_order(r, a, maps, 64);
        if (n_maps > 0)
            pl_sb_puts(html, "<h3>Kartor</h3>\n");
        for (int m = 0; m < n_maps; m++) {
            int rc = map_figure(r, maps[m], html, err);
            if (rc != PL_OK)
                return rc;
        }
        int any_table = 0;
        for (int i = 0; i < r->n_layers; i++) {
            const layer_info *l = &r->layers[i];
            if (l->analysis != a || l->spatial)
                continue;
            if (!any_table)
                pl_sb_puts(html, "<h3>Tabeller</h3>\n");
            any_table = 1;
            tables_for(r, l, html);
        }
        pl_sb_puts(html, "</section>\n");
    }

    pl_sb_puts(html, "<section id=\"korning\">\n<h2>Om körningen</h2>\n");
    for (int a = 0; a < r->n_an; a++) {
        if (r->n_an > 1) {
            pl_sb_puts(html, "<h3>");
            pl_sb_html(html, analysis_title(r->an[a].key));
            pl_sb_puts(html, "</h3>\n");
        }
        run_section(&r->an[a], html);
    }
    pl_sb_puts(html, "<p class=\"note\">Resultaten ligger i GeoPackage-filen med en standardstil per lager: "
                     "öppna den i QGIS så visas kartorna med samma färger och svenska "
                     "fältnamn.</p>\n</section>\n");
    pl_sb_puts(html, "<footer>Kartdata: ");
    pl_sb_html(html, r->attribution);
    pl_sb_puts(html, ". Rapporten är skapad med platsa " PLATSA_VERSION ".</footer>\n</main>\n</body>\n</html>\n");
    return PL_OK;
}

/* ------------------------------------------------------------------ entry */

static int report_run(pl_ctx *ctx, const pl_report_opts *o, pl_error *err)
{
    if (!o->input || !*o->input)
        return pl_error_set(err, PL_EINPUT, "no GeoPackage given; usage: %s", pl_report_usage);
    if (!o->output || !*o->output)
        return pl_error_set(err, PL_EINPUT, "no output folder given (-o FOLDER)");
    if (o->max_rows < 0)
        return pl_error_set(err, PL_EINPUT, "--max-rows must be 0 or more");
    struct stat st;
    if (stat(o->input, &st) != 0)
        return pl_error_set(err, PL_EINPUT, "%s: %s", o->input, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return pl_error_set(err, PL_EINPUT, "%s: not a file; give a platsa GeoPackage (.gpkg)", o->input);
    int rc = check_target(o, err);
    if (rc != PL_OK)
        return rc;

    report r;
    memset(&r, 0, sizeof r);
    r.ctx = ctx;
    r.o = o;
    if (sqlite3_open_v2(o->input, &r.db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        rc = pl_error_set(err, PL_EINPUT, "%s: cannot open: %s", o->input, r.db ? sqlite3_errmsg(r.db) : "");
        free_report(&r);
        return rc;
    }
    if (!table_exists(r.db, "gpkg_contents")) {
        rc = pl_error_set(err, PL_EINPUT, "%s: not a GeoPackage (no gpkg_contents table)", o->input);
        free_report(&r);
        return rc;
    }
    if (!GDALGetDriverByName("GPKG"))
        GDALAllRegister();
    rc = read_layers(&r, err);
    if (rc == PL_OK && r.n_layers == 0)
        rc = pl_error_set(err, PL_EINPUT, "%s: has no layers or tables to report", o->input);
    if (rc == PL_OK)
        rc = read_metadata(&r);
    if (rc == PL_OK) {
        make_attribution(&r);
        rc = make_tmpdir(&r, err);
    }
    pl_strbuf html = {0};
    if (rc == PL_OK) {
        pl_progress(ctx, 0.0, "report");
        rc = build_page(&r, &html, err);
    }
    if (rc == PL_OK && o->goal_min > 0 && !r.goal_used) {
        char x[64];
        minutes_text(x, sizeof x, o->goal_min);
        pl_warn(ctx, "report-goal-unused", "%s: --goal-min %s: no analysis in it has travel times per cell (the "
                "cells layer of platsa access); the report shows no goal", o->input, x);
    }
    if (rc == PL_OK)
        rc = write_file(&r, "index.html", html.s, html.n, err);
    if (rc == PL_OK) {  /* last: the manifest of everything written above */
        pl_strbuf marker = {0};
        pl_sb_puts(&marker, MARKER_HEAD MARKER_FILES);
        for (int i = 0; i < r.n_files; i++) {
            pl_sb_puts(&marker, r.files[i]);
            pl_sb_puts(&marker, "\n");
        }
        rc = write_file(&r, PL_REPORT_MARKER, marker.s, marker.n, err);
        free(marker.s);
    }
    if (rc == PL_OK)
        rc = publish(&r, err);
    if (r.tmpdir[0])
        remove_flat_dir(r.tmpdir);
    g_clean_active = 0;
    g_clean_n = 0;
    free(html.s);
    if (rc == PL_OK) {
        fsync_dir(".");
        pl_progress(ctx, 1.0, "report");
        pl_info(ctx, "wrote %s/index.html (%d maps)", o->output, r.map_seq);
    }
    free_report(&r);
    return rc;
}

int pl_report_opts_init(pl_report_opts *o)
{
    memset(o, 0, sizeof *o);
    return pl_options_defaults(pl_report_options, o, NULL);
}

void pl_report_opts_free(pl_report_opts *o)
{
    pl_options_free(pl_report_options, o);
}

typedef struct report_call {
    pl_ctx *ctx;
    const pl_report_opts *o;
    pl_error *err;
} report_call;

static int report_call_run(void *arg)
{
    report_call *c = arg;
    return report_run(c->ctx, c->o, c->err);
}

/* Unwound on out-of-memory: the report's temporary folder goes too. */
static void report_unwind(void)
{
    pl_report_cleanup_all();
    pl_run_unwind();
}

int pl_report_run(pl_ctx *ctx, const pl_report_opts *o, pl_error *err)
{
    report_call c = {ctx, o, err};
    return pl_oom_guard(report_call_run, &c, report_unwind, err);
}
