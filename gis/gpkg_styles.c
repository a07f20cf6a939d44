/* SPDX-License-Identifier: GPL-3.0-or-later */
/* GeoPackage writer: QGIS styles (QML from the templates in share/styles) and the
 * layer_styles table. Only the renderers' machinery: the classes, labels and colours of
 * a layer's legend come from its analysis (pl_style). */
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

/* Generic renderer defaults: NULL's grey, and one symbol's colour per geometry. */
static const pl_rgb NULL_GREY = {190, 190, 190};
static const pl_rgb SINGLE_FILL = {120, 165, 205};
static const pl_rgb SINGLE_MARK = {31, 120, 180};

static char *make_symbol(const char *tpl, const char *name, pl_rgb c, char *bad, size_t bad_size)
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

/* The classes of a graduated or categorised style, the NULL class last when there is one:
 * one <range>/<category> line each in `items` and one symbol each in `symbols` (symbol i
 * for class i); the first class's symbol is the source symbol. 0 when a template
 * placeholder is unknown (named in bad). */
static int class_items(const pl_style *st, const char *sym_tpl, pl_strbuf *items, pl_strbuf *symbols,
                       char **source, char *bad, size_t bad_size)
{
    int graduated = st->kind == PL_STYLE_GRADUATED;
    double sentinel = st->classes[0].lower - 1.0;   /* NULL is mapped here: below every class */
    int n = st->n_classes + (st->null_label ? 1 : 0);
    for (int i = 0; i < n; i++) {
        int is_null = i == st->n_classes;
        const pl_style_class *c = is_null ? NULL : &st->classes[i];
        const char *label = is_null ? st->null_label : c->label;
        char name[16];
        snprintf(name, sizeof name, "%d", i);
        if (i > 0)
            pl_sb_puts(items, "\n");
        if (graduated) {
            char los[64], his[64];
            pl_gw_fmt_double(los, sizeof los, is_null ? sentinel : c->lower);
            pl_gw_fmt_double(his, sizeof his, is_null ? sentinel : c->upper);
            pl_sb_printf(items, "      <range symbol=\"%d\" lower=\"%s\" upper=\"%s\" label=\"", i, los, his);
        } else if (is_null) {
            pl_sb_printf(items, "      <category symbol=\"%d\" value=\"\" label=\"", i);
        } else {
            pl_sb_printf(items, "      <category symbol=\"%d\" value=\"%lld\" label=\"", i, c->value);
        }
        pl_sb_xml(items, label);
        pl_sb_puts(items, "\" render=\"true\"/>");
        char *sym = make_symbol(sym_tpl, name, is_null ? NULL_GREY : c->color, bad, bad_size);
        if (!sym)
            return 0;
        if (i > 0 && !graduated)
            pl_sb_puts(symbols, "\n");
        pl_sb_puts(symbols, sym);
        free(sym);
    }
    *source = make_symbol(sym_tpl, "0", st->classes[0].color, bad, bad_size);
    return *source != NULL;
}

/* Builds the QML of a layer from the templates. */
int pl_gw_make_qml(pl_gpkg *g, pl_gpkg_layer *l, const pl_style *st, pl_error *err)
{
    if (st->kind == PL_STYLE_NONE)
        return PL_OK;
    int kind = pl_gw_flat_kind(l->gtype);
    const char *sym_name = kind == 0 ? "symbol_marker.qml" : kind == 1 ? "symbol_line.qml" : "symbol_fill.qml";
    const char *doc_name = st->kind == PL_STYLE_GRADUATED     ? "graduated.qml"
                         : st->kind == PL_STYLE_CATEGORIZED ? "categorized.qml" : "single.qml";
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
    char *qml = NULL;
    if (st->kind == PL_STYLE_SINGLE) {
        char *s0 = make_symbol(sym_tpl, "0", kind == 2 ? SINGLE_FILL : SINGLE_MARK, bad, sizeof bad);
        if (s0) {
            const char *keys[] = {"SYMBOL", "ALIASES", "GEOMETRY_TYPE"};
            const char *vals[] = {s0, aliases, geom_type};
            qml = subst(doc_tpl, keys, vals, 3, bad, sizeof bad);
        }
        free(s0);
    } else {
        pl_strbuf attr = {0}, items = {0}, symbols = {0}, ax = {0};
        char *source = NULL;
        if (st->kind == PL_STYLE_GRADUATED && st->null_label) {
            char sent[64];
            pl_gw_fmt_double(sent, sizeof sent, st->classes[0].lower - 1.0);
            pl_sb_puts(&attr, "coalesce(");
            pl_gw_quoted_identifier(&attr, st->field);
            pl_sb_printf(&attr, ", %s)", sent);
        } else if (st->kind == PL_STYLE_GRADUATED) {
            pl_gw_quoted_identifier(&attr, st->field);
        } else {
            pl_sb_puts(&attr, st->field);
        }
        if (class_items(st, sym_tpl, &items, &symbols, &source, bad, sizeof bad)) {
            pl_sb_xml(&ax, attr.s);
            const char *keys[] = {"ATTR", st->kind == PL_STYLE_GRADUATED ? "RANGES" : "CATEGORIES", "SYMBOLS",
                                  "SOURCE_SYMBOL", "ALIASES", "GEOMETRY_TYPE"};
            const char *vals[] = {ax.s, items.s, symbols.s, source, aliases, geom_type};
            qml = subst(doc_tpl, keys, vals, 6, bad, sizeof bad);
        }
        free(attr.s);
        free(items.s);
        free(symbols.s);
        free(ax.s);
        free(source);
    }
    free(aliases);
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
    if (st->kind != PL_STYLE_GRADUATED && st->kind != PL_STYLE_CATEGORIZED)
        return pl_error_set(err, PL_EINTERNAL, "%s:%s: unknown style kind %d", g->path, name, (int)st->kind);
    int fi = -1;
    for (int i = 0; st->field && i < n_fields; i++)
        if (strcmp(fields[i].name, st->field) == 0)
            fi = i;
    if (fi < 0)
        return pl_error_set(err, PL_EINTERNAL, "%s:%s: style field '%s' is not a field of the layer", g->path,
                            name, st->field ? st->field : "(none)");
    pl_field_type ft = fields[fi].type;
    if (!st->classes || st->n_classes < 1)
        return pl_error_set(err, PL_EINTERNAL, "%s:%s: a graduated or categorised style needs at least one class",
                            g->path, name);
    for (int i = 0; i < st->n_classes; i++)
        if (!st->classes[i].label)
            return pl_error_set(err, PL_EINTERNAL, "%s:%s: style class %d has no label", g->path, name, i);
    if (st->kind == PL_STYLE_CATEGORIZED && ft != PL_FIELD_INT && ft != PL_FIELD_INT64)
        return pl_error_set(err, PL_EINTERNAL, "%s:%s: categorised field '%s' must be an integer field", g->path,
                            name, st->field);
    if (st->kind == PL_STYLE_GRADUATED) {
        if (ft == PL_FIELD_TEXT)
            return pl_error_set(err, PL_EINTERNAL, "%s:%s: graduated field '%s' must be numeric", g->path, name,
                                st->field);
        for (int i = 0; i < st->n_classes; i++) {
            const pl_style_class *c = &st->classes[i];
            if (!isfinite(c->lower) || !isfinite(c->upper) || c->upper < c->lower ||
                (i > 0 && c->lower < st->classes[i - 1].upper))
                return pl_error_set(err, PL_EINTERNAL, "%s:%s: class ranges must be finite, ascending and "
                                    "not overlap", g->path, name);
        }
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
