/* SPDX-License-Identifier: GPL-3.0-or-later */
/* GeoPackage writer: QGIS styles (QML from the templates in share/, colour ramps, legend
 * labels in Swedish) and the layer_styles table. Kept in one file so that the analysis
 * styles can move out of gis/ as a whole. */
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
    *out = pl_gw_read_file(path);
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
void pl_gw_quoted_identifier(pl_strbuf *b, const char *name)
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

char *pl_gw_make_aliases(const pl_gpkg_layer *l)
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
    pl_gw_fmt_label_number(a, sizeof a, lo);
    pl_gw_fmt_label_number(c, sizeof c, hi);
    const char *sp = unit && *unit ? " " : "";
    if (first && lo == hi)
        snprintf(buf, size, "\xe2\x89\xa4 %s%s%s", c, sp, unit ? unit : "");       /* ≤ */
    else
        snprintf(buf, size, "%s\xe2\x80\x93%s%s%s", a, c, sp, unit ? unit : "");  /* en dash */
}

/* Builds the QML of a layer from the templates. */
int pl_gw_make_qml(pl_gpkg *g, pl_gpkg_layer *l, const pl_style *st, pl_error *err)
{
    if (st->kind == PL_STYLE_NONE)
        return PL_OK;
    int kind = pl_gw_flat_kind(l->gtype);
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
    char *aliases = pl_gw_make_aliases(l);
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
        pl_gw_fmt_double(sent, sizeof sent, sentinel);
        pl_sb_puts(&attr, "coalesce(");
        pl_gw_quoted_identifier(&attr, st->field);
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
                pl_gw_fmt_label_number(a, sizeof a, lo);
                snprintf(label, sizeof label, "> %s%s%s", a, st->unit && *st->unit ? " " : "",
                         st->unit ? st->unit : "");
                c = ramp_at(anchors, 5, 1.0);
            } else {
                lo = hi = sentinel;
                snprintf(label, sizeof label, "%s", null_label);
                c = GREY;
            }
            char los[64], his[64], name[16];
            pl_gw_fmt_double(los, sizeof los, lo);
            pl_gw_fmt_double(his, sizeof his, hi);
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

int pl_gw_check_style(const pl_gpkg *g, const char *name, int spatial, const pl_field_def *fields, int n_fields,
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

/* layer_styles exactly as QGIS's QgsOgrProviderMetadata::saveStyle creates it. */
int pl_gw_write_layer_styles(pl_gpkg *g, pl_error *err)
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
        return pl_gw_fail(g, err, PL_EINTERNAL, "%s: cannot create layer_styles: %s", g->path, pl_gw_gdal_msg());
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
            return pl_gw_fail(g, err, PL_EINTERNAL, "%s: cannot create layer_styles.%s: %s", g->path, cols[c].name,
                        pl_gw_gdal_msg());
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
            return pl_gw_fail(g, err, PL_EINTERNAL, "%s: cannot write the style of %s: %s", g->path, l->name,
                        pl_gw_gdal_msg());
    }
#undef FI
    return PL_OK;
}
