/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Map images with cairo: see map_render.h.
 *
 * Styles are read from QML with libxml2; geometries and attributes through GDAL/OGR.
 * The map is drawn in the layers' own CRS with equal x and y scale (platsa's outputs are
 * in a projected working CRS in metres, so the scale bar is true). */
#include "map_render.h"

#include <fontconfig/fontconfig.h>
#include <cairo.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <cpl_error.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <ctype.h>
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PX_PER_MM 3.78     /* 96 dpi: how QGIS sizes millimetre symbols on screen */
#define FONT "DejaVu Sans"
#define MAX_CLASSES 64

/* ------------------------------------------------------------------ numbers */

static locale_t c_locale(void)
{
    static locale_t loc;
    if (!loc)
        loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    return loc;
}

static double parse_double(const char *s, int *ok)
{
    locale_t loc = c_locale();
    locale_t old = loc ? uselocale(loc) : (locale_t)0;
    char *end = NULL;
    errno = 0;
    double v = s ? strtod(s, &end) : 0.0;
    if (loc)
        uselocale(old);
    if (ok)
        *ok = s && end != s && errno == 0 && (!end || *end == '\0' || isspace((unsigned char)*end));
    return v;
}

void pl_map_format_number(char *buf, size_t size, double v, int decimals)
{
    if (!isfinite(v)) {
        snprintf(buf, size, "–");  /* en dash */
        return;
    }
    if (decimals < 0)
        decimals = 0;
    if (decimals > 6)
        decimals = 6;
    char raw[64];
    locale_t loc = c_locale();
    locale_t old = loc ? uselocale(loc) : (locale_t)0;
    snprintf(raw, sizeof raw, "%.*f", decimals, v);
    if (loc)
        uselocale(old);
    /* Trim trailing zeros of the fraction. */
    char *dot = strchr(raw, '.');
    if (dot) {
        char *e = raw + strlen(raw) - 1;
        while (e > dot && *e == '0')
            *e-- = '\0';
        if (e == dot)
            *e = '\0';
    }
    if (strcmp(raw, "-0") == 0)
        snprintf(raw, sizeof raw, "0");
    const char *p = raw;
    size_t o = 0;
    if (*p == '-') {
        if (o + 1 < size)
            buf[o++] = '-';
        p++;
    }
    size_t int_len = strcspn(p, ".");
    for (size_t i = 0; i < int_len; i++) {
        /* Thousands separator only from 10 000 up would be Swedish typesetting practice for
         * tables; platsa groups from 1 000 so columns line up. */
        if (i > 0 && (int_len - i) % 3 == 0 && o + 2 < size) {
            buf[o++] = (char)0xc2;  /* U+00A0 no-break space */
            buf[o++] = (char)0xa0;
        }
        if (o + 1 < size)
            buf[o++] = p[i];
    }
    if (p[int_len] == '.') {
        if (o + 1 < size)
            buf[o++] = ',';
        for (const char *q = p + int_len + 1; *q && o + 1 < size; q++)
            buf[o++] = *q;
    }
    buf[o < size ? o : size - 1] = '\0';
}

/* ------------------------------------------------------------------ QML */

static xmlNode *child(xmlNode *n, const char *name)
{
    for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
            return c;
    return NULL;
}

static char *attr(xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
    if (!v)
        return NULL;
    char *s = pl_strdup((const char *)v);
    xmlFree(v);
    return s;
}

static int parse_rgba(const char *s, pl_rgba *c)
{
    int r, g, b, a = 255;
    if (!s || sscanf(s, "%d,%d,%d,%d", &r, &g, &b, &a) < 3)
        return -1;
    c->r = r / 255.0;
    c->g = g / 255.0;
    c->b = b / 255.0;
    c->a = a / 255.0;
    return 0;
}

/* A symbol layer property: <Option name=K value=V> (QGIS >= 3.16) or <prop k=K v=V>. */
static char *sym_prop(xmlNode *layer, const char *key)
{
    xmlNode *opt = child(layer, "Option");
    for (xmlNode *c = opt ? opt->children : NULL; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "Option") != 0)
            continue;
        char *n = attr(c, "name");
        int hit = n && strcmp(n, key) == 0;
        free(n);
        if (hit)
            return attr(c, "value");
    }
    for (xmlNode *c = layer->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "prop") != 0)
            continue;
        char *k = attr(c, "k");
        int hit = k && strcmp(k, key) == 0;
        free(k);
        if (hit)
            return attr(c, "v");
    }
    return NULL;
}

static double unit_to_mm(const char *unit, double v)
{
    if (!unit || strcmp(unit, "MM") == 0)
        return v;
    if (strcmp(unit, "Pixel") == 0)
        return v / PX_PER_MM;
    if (strcmp(unit, "Point") == 0)
        return v * 25.4 / 72.0;
    if (strcmp(unit, "Inch") == 0)
        return v * 25.4;
    return v;  /* map units and others: drawn as millimetres */
}

static double sym_mm(xmlNode *layer, const char *key, const char *unit_key, double dflt)
{
    char *v = sym_prop(layer, key);
    if (!v)
        return dflt;
    int ok = 0;
    double d = parse_double(v, &ok);
    free(v);
    if (!ok)
        return dflt;
    char *u = sym_prop(layer, unit_key);
    d = unit_to_mm(u, d);
    free(u);
    return d;
}

static int parse_symbol(xmlNode *sym, pl_map_symbol *out)
{
    memset(out, 0, sizeof *out);
    char *type = attr(sym, "type");
    out->kind = type && strcmp(type, "marker") == 0 ? PL_SYM_MARKER
              : type && strcmp(type, "line") == 0   ? PL_SYM_LINE
                                                    : PL_SYM_FILL;
    free(type);
    double alpha = 1.0;
    char *a = attr(sym, "alpha");
    if (a) {
        int ok = 0;
        double v = parse_double(a, &ok);
        if (ok)
            alpha = v;
        free(a);
    }
    xmlNode *layer = child(sym, "layer");
    if (!layer)
        return -1;
    out->color = (pl_rgba){0.5, 0.5, 0.5, 1};
    out->outline = (pl_rgba){0.2, 0.2, 0.2, 1};
    char *col = sym_prop(layer, out->kind == PL_SYM_LINE ? "line_color" : "color");
    if (!col && out->kind == PL_SYM_LINE)
        col = sym_prop(layer, "color");
    int bad = parse_rgba(col, &out->color);
    free(col);
    if (bad)
        return -1;
    out->color.a *= alpha;
    char *oc = sym_prop(layer, "outline_color");
    if (oc && parse_rgba(oc, &out->outline) == 0)
        out->outline.a *= alpha;
    free(oc);
    char *os = sym_prop(layer, "outline_style");
    int no_outline = os && strcmp(os, "no") == 0;
    free(os);
    if (out->kind == PL_SYM_FILL) {
        out->outline_mm = no_outline ? 0 : sym_mm(layer, "outline_width", "outline_width_unit", 0.26);
    } else if (out->kind == PL_SYM_MARKER) {
        out->size_mm = sym_mm(layer, "size", "size_unit", 2.0);
        out->outline_mm = no_outline ? 0 : sym_mm(layer, "outline_width", "outline_width_unit", 0.0);
    } else {
        out->size_mm = sym_mm(layer, "line_width", "line_width_unit", 0.26);
    }
    return 0;
}

static xmlNode *find_symbol(xmlNode *symbols, const char *name)
{
    for (xmlNode *c = symbols ? symbols->children : NULL; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "symbol") != 0)
            continue;
        char *n = attr(c, "name");
        int hit = n && name && strcmp(n, name) == 0;
        free(n);
        if (hit)
            return c;
    }
    return NULL;
}

/* The renderer attribute: "field", field, or coalesce("field", number). */
static int parse_renderer_attr(const char *a, pl_map_style *s)
{
    while (isspace((unsigned char)*a))
        a++;
    const char *p = a;
    s->has_null_value = 0;
    if (strncasecmp(p, "coalesce", 8) == 0) {
        p += 8;
        while (isspace((unsigned char)*p))
            p++;
        if (*p != '(')
            return -1;
        p++;
        while (isspace((unsigned char)*p))
            p++;
        s->has_null_value = 1;
    }
    size_t n = 0;
    if (*p == '"') {
        p++;
        while (*p && n + 1 < sizeof s->field) {
            if (*p == '"' && p[1] == '"') {
                s->field[n++] = '"';
                p += 2;
            } else if (*p == '"') {
                break;
            } else {
                s->field[n++] = *p++;
            }
        }
        if (*p != '"')
            return -1;
        p++;
    } else {
        while ((isalnum((unsigned char)*p) || *p == '_' || (unsigned char)*p >= 0x80) && n + 1 < sizeof s->field)
            s->field[n++] = *p++;
    }
    s->field[n] = '\0';
    if (n == 0)
        return -1;
    while (isspace((unsigned char)*p))
        p++;
    if (!s->has_null_value)
        return *p == '\0' ? 0 : -1;
    if (*p != ',')
        return -1;
    p++;
    char num[64];
    size_t k = 0;
    while (*p && *p != ')' && k + 1 < sizeof num)
        num[k++] = *p++;
    num[k] = '\0';
    if (*p != ')')
        return -1;
    int ok = 0;
    s->null_value = parse_double(num, &ok);
    char *e = num + strlen(num);
    while (e > num && isspace((unsigned char)e[-1]))
        *--e = '\0';
    s->null_value = parse_double(num, &ok);
    if (!ok)
        return -1;
    p++;
    while (isspace((unsigned char)*p))
        p++;
    return *p == '\0' ? 0 : -1;
}

void pl_map_style_free(pl_map_style *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n_classes; i++) {
        free(s->classes[i].value);
        free(s->classes[i].label);
    }
    free(s->classes);
    s->classes = NULL;
    s->n_classes = 0;
}

static int add_class(pl_map_style *s, xmlNode *el, xmlNode *symbols, pl_error *err)
{
    char *sym_name = attr(el, "symbol");
    xmlNode *sym = find_symbol(symbols, sym_name);
    if (!sym) {
        pl_error_set(err, PL_EINPUT, "style: class refers to symbol '%s', which the style does not have",
                     sym_name ? sym_name : "");
        free(sym_name);
        return -1;
    }
    free(sym_name);
    if (s->n_classes >= MAX_CLASSES)
        return pl_error_set(err, PL_EINPUT, "style: more than %d classes", MAX_CLASSES), -1;
    pl_map_class *c = &s->classes[s->n_classes];
    memset(c, 0, sizeof *c);
    if (parse_symbol(sym, &c->sym) != 0)
        return pl_error_set(err, PL_EINPUT, "style: a symbol has no colour"), -1;
    c->label = attr(el, "label");
    if (!c->label)
        c->label = pl_strdup("");
    char *render = attr(el, "render");
    c->render = !render || strcmp(render, "false") != 0;
    free(render);
    s->n_classes++;
    return 0;
}

int pl_map_style_parse(const char *qml, pl_map_style *out, pl_error *err)
{
    memset(out, 0, sizeof *out);
    out->opacity = 1.0;
    if (!qml)
        return pl_error_set(err, PL_EINPUT, "style: no QML");
    xmlDoc *doc = xmlReadMemory(qml, (int)strlen(qml), "style.qml", "UTF-8",
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc)
        return pl_error_set(err, PL_EINPUT, "style: the QML is not well-formed XML");
    int rc = PL_OK;
    xmlNode *root = xmlDocGetRootElement(doc);
    xmlNode *r = root ? child(root, "renderer-v2") : NULL;
    char *type = r ? attr(r, "type") : NULL;
    xmlNode *symbols = r ? child(r, "symbols") : NULL;
    out->classes = pl_calloc(MAX_CLASSES, sizeof *out->classes);
    if (!root || strcmp((const char *)root->name, "qgis") != 0 || !r || !type) {
        rc = pl_error_set(err, PL_EINPUT, "style: not a QGIS layer style (no <qgis><renderer-v2 type=...>)");
        goto done;
    }
    snprintf(out->renderer_type, sizeof out->renderer_type, "%s", type);
    xmlNode *op = child(root, "layerOpacity");
    if (op) {
        xmlChar *t = xmlNodeGetContent(op);
        int ok = 0;
        double v = parse_double((const char *)t, &ok);
        if (ok && v >= 0 && v <= 1)
            out->opacity = v;
        xmlFree(t);
    }
    if (strcmp(type, "singleSymbol") == 0) {
        out->kind = PL_MAP_SINGLE;
        xmlNode *sym = child(symbols, "symbol");
        pl_map_class *c = &out->classes[0];
        if (!sym || parse_symbol(sym, &c->sym) != 0) {
            rc = pl_error_set(err, PL_EINPUT, "style: the single symbol has no colour");
            goto done;
        }
        c->label = pl_strdup("");
        c->render = 1;
        out->n_classes = 1;
        goto done;
    }
    int grad = strcmp(type, "graduatedSymbol") == 0;
    if (!grad && strcmp(type, "categorizedSymbol") != 0) {
        rc = pl_error_set(err, PL_EINPUT, "style: renderer '%s' is not supported (single, graduated, categorized)",
                          type);
        goto done;
    }
    out->kind = grad ? PL_MAP_GRADUATED : PL_MAP_CATEGORIZED;
    char *a = attr(r, "attr");
    if (!a || parse_renderer_attr(a, out) != 0) {
        rc = pl_error_set(err, PL_EINPUT, "style: renderer attribute '%s' is not a field or coalesce(field, number)",
                          a ? a : "");
        free(a);
        goto done;
    }
    free(a);
    xmlNode *list = child(r, grad ? "ranges" : "categories");
    for (xmlNode *c = list ? list->children : NULL; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, grad ? "range" : "category") != 0)
            continue;
        if (add_class(out, c, symbols, err) != 0) {
            rc = PL_EINPUT;
            goto done;
        }
        pl_map_class *k = &out->classes[out->n_classes - 1];
        if (grad) {
            char *lo = attr(c, "lower"), *hi = attr(c, "upper");
            int ok1 = 0, ok2 = 0;
            k->lower = parse_double(lo, &ok1);
            k->upper = parse_double(hi, &ok2);
            free(lo);
            free(hi);
            if (!ok1 || !ok2) {
                rc = pl_error_set(err, PL_EINPUT, "style: a range has no numeric lower/upper");
                goto done;
            }
        } else {
            k->value = attr(c, "value");
            if (!k->value)
                k->value = pl_strdup("");
        }
    }
    if (out->n_classes == 0)
        rc = pl_error_set(err, PL_EINPUT, "style: the renderer has no classes");
done:
    free(type);
    xmlFreeDoc(doc);
    if (rc != PL_OK)
        pl_map_style_free(out);
    return rc;
}

int pl_map_style_class_for(const pl_map_style *s, int is_null, double num, const char *text)
{
    if (s->kind == PL_MAP_SINGLE)
        return s->n_classes > 0 ? 0 : -1;
    if (s->kind == PL_MAP_GRADUATED) {
        if (is_null) {
            if (!s->has_null_value)
                return -1;  /* QGIS's graduated renderer does not draw NULL */
            num = s->null_value;
        }
        for (int i = 0; i < s->n_classes; i++)
            if (s->classes[i].lower <= num && num <= s->classes[i].upper)
                return s->classes[i].render ? i : -1;
        return -1;
    }
    int other = -1;
    for (int i = 0; i < s->n_classes; i++) {
        const char *v = s->classes[i].value;
        if (!v[0]) {
            if (other < 0)
                other = i;
            continue;
        }
        if (is_null)
            continue;
        int hit = text && strcmp(text, v) == 0;
        if (!hit) {
            int ok = 0;
            double cv = parse_double(v, &ok);
            hit = ok && isfinite(num) && cv == num;
        }
        if (hit)
            return s->classes[i].render ? i : -1;
    }
    return other >= 0 && s->classes[other].render ? other : -1;
}

/* ------------------------------------------------------------------ stored style */

char *pl_map_style_qml(const char *gpkg, const char *layer_name, pl_error *err)
{
    CPLPushErrorHandler(CPLQuietErrorHandler);
    GDALDatasetH ds = GDALOpenEx(gpkg, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    char *qml = NULL;
    if (!ds) {
        pl_error_set(err, PL_EINPUT, "%s: cannot open as a vector data source", gpkg);
        goto done;
    }
    OGRLayerH user = GDALDatasetGetLayerByName(ds, layer_name);
    if (!user) {
        pl_error_set(err, PL_EINPUT, "%s: has no layer '%s'", gpkg, layer_name);
        goto done;
    }
    OGRLayerH styles = GDALDatasetGetLayerByName(ds, "layer_styles");
    if (!styles) {
        pl_error_set(err, PL_EINPUT, "%s: has no layer_styles table, so '%s' has no stored style", gpkg, layer_name);
        goto done;
    }
    /* QgsOgrProviderMetadata::loadStyle's query, values quoted as SQL literals. */
    char q1[1024], q2[1024];
    const char *names[2] = {OGR_L_GetName(user), OGR_L_GetGeometryColumn(user)};
    char *outs[2] = {q1, q2};
    for (int k = 0; k < 2; k++) {
        size_t o = 0;
        outs[k][o++] = '\'';
        for (const char *p = names[k] ? names[k] : ""; *p && o + 3 < sizeof q1; p++) {
            if (*p == '\'')
                outs[k][o++] = '\'';
            outs[k][o++] = *p;
        }
        outs[k][o++] = '\'';
        outs[k][o] = '\0';
    }
    char filter[2600];
    snprintf(filter, sizeof filter,
             "f_table_schema='' AND f_table_name=%s AND f_geometry_column=%s"
             " ORDER BY CASE WHEN useAsDefault THEN 1 ELSE 2 END,update_time DESC LIMIT 1",
             q1, q2);
    if (OGR_L_SetAttributeFilter(styles, filter) != OGRERR_NONE) {
        pl_error_set(err, PL_EINPUT, "%s: layer_styles cannot be queried: %s", gpkg, CPLGetLastErrorMsg());
        goto done;
    }
    OGR_L_ResetReading(styles);
    OGRFeatureH f = OGR_L_GetNextFeature(styles);
    if (f) {
        int fi = OGR_F_GetFieldIndex(f, "styleQML");
        if (fi >= 0 && OGR_F_IsFieldSetAndNotNull(f, fi))
            qml = pl_strdup(OGR_F_GetFieldAsString(f, fi));
        OGR_F_Destroy(f);
    }
    if (!qml)
        pl_error_set(err, PL_EINPUT, "%s: layer '%s' has no stored default style", gpkg, layer_name);
done:
    if (ds)
        GDALClose(ds);
    CPLPopErrorHandler();
    return qml;
}

/* ------------------------------------------------------------------ drawing helpers */

typedef struct view {
    double minx, miny, maxx, maxy;  /* shown extent (map units) */
    double scale;                   /* px per map unit */
    double ox, oy;                  /* pixel of (minx, maxy) */
    double fx, fy, fw, fh;          /* frame */
} view;

static inline double vx(const view *v, double x) { return v->ox + (x - v->minx) * v->scale; }
static inline double vy(const view *v, double y) { return v->oy + (v->maxy - y) * v->scale; }

static void set_rgba(cairo_t *cr, pl_rgba c, double opacity)
{
    cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a * opacity);
}

/* Adds a ring/line to the path, skipping vertices closer than 0.4 px to the last one. */
static void path_points(cairo_t *cr, const view *v, OGRGeometryH g, int close)
{
    int n = OGR_G_GetPointCount(g);
    if (n <= 0)
        return;
    double lx = vx(v, OGR_G_GetX(g, 0)), ly = vy(v, OGR_G_GetY(g, 0));
    cairo_move_to(cr, lx, ly);
    for (int i = 1; i < n; i++) {
        double x = vx(v, OGR_G_GetX(g, i)), y = vy(v, OGR_G_GetY(g, i));
        if (i < n - 1 && fabs(x - lx) < 0.4 && fabs(y - ly) < 0.4)
            continue;
        cairo_line_to(cr, x, y);
        lx = x;
        ly = y;
    }
    if (close)
        cairo_close_path(cr);
}

typedef enum { G_POINT, G_LINE, G_POLY } gkind;

/* Builds the path of a geometry of kind k (points are handled by the caller). */
static void path_geometry(cairo_t *cr, const view *v, OGRGeometryH g)
{
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    switch (t) {
    case wkbPolygon:
        for (int r = 0; r < OGR_G_GetGeometryCount(g); r++)
            path_points(cr, v, OGR_G_GetGeometryRef(g, r), 1);
        break;
    case wkbLineString:
        path_points(cr, v, g, 0);
        break;
    case wkbMultiPolygon:
    case wkbMultiLineString:
    case wkbGeometryCollection:
        for (int i = 0; i < OGR_G_GetGeometryCount(g); i++)
            path_geometry(cr, v, OGR_G_GetGeometryRef(g, i));
        break;
    default:
        break;
    }
}

static void draw_points(cairo_t *cr, const view *v, OGRGeometryH g, const pl_map_symbol *s, double opacity)
{
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    if (t == wkbMultiPoint || t == wkbGeometryCollection) {
        for (int i = 0; i < OGR_G_GetGeometryCount(g); i++)
            draw_points(cr, v, OGR_G_GetGeometryRef(g, i), s, opacity);
        return;
    }
    if (t != wkbPoint)
        return;
    double r = s ? fmax(s->size_mm * PX_PER_MM / 2.0, 2.0) : 2.0;
    double x = vx(v, OGR_G_GetX(g, 0)), y = vy(v, OGR_G_GetY(g, 0));
    cairo_new_path(cr);
    cairo_arc(cr, x, y, r, 0, 2 * M_PI);
    if (s) {
        set_rgba(cr, s->color, opacity);
        cairo_fill_preserve(cr);
        if (s->outline_mm > 0) {
            set_rgba(cr, s->outline, opacity);
            cairo_set_line_width(cr, fmax(s->outline_mm * PX_PER_MM, 0.6));
            cairo_stroke_preserve(cr);
        }
    } else {
        cairo_set_source_rgba(cr, 0.15, 0.15, 0.15, 0.9);
        cairo_fill_preserve(cr);
    }
    cairo_new_path(cr);
}

static gkind geom_kind(OGRwkbGeometryType t)
{
    switch (wkbFlatten(t)) {
    case wkbPoint:
    case wkbMultiPoint: return G_POINT;
    case wkbLineString:
    case wkbMultiLineString: return G_LINE;
    default: return G_POLY;
    }
}

/* Draws one feature's geometry with a symbol (NULL: context outline). */
static void draw_feature(cairo_t *cr, const view *v, OGRGeometryH g, const pl_map_symbol *s, double opacity)
{
    gkind k = geom_kind(OGR_G_GetGeometryType(g));
    if (k == G_POINT) {
        draw_points(cr, v, g, s, opacity);
        return;
    }
    OGREnvelope e;
    OGR_G_GetEnvelope(g, &e);
    double wpx = (e.MaxX - e.MinX) * v->scale, hpx = (e.MaxY - e.MinY) * v->scale;
    cairo_new_path(cr);
    if (k == G_POLY && s && wpx < 1.2 && hpx < 1.2) {
        /* Smaller than a pixel: its bounding box is what shows. */
        double x0 = vx(v, e.MinX), y0 = vy(v, e.MaxY);
        cairo_rectangle(cr, x0, y0, fmax(wpx, 0.8), fmax(hpx, 0.8));
        set_rgba(cr, s->color, opacity);
        cairo_fill(cr);
        return;
    }
    path_geometry(cr, v, g);
    if (k == G_POLY) {
        cairo_set_fill_rule(cr, CAIRO_FILL_RULE_EVEN_ODD);
        if (s) {
            set_rgba(cr, s->color, opacity);
            cairo_fill_preserve(cr);
            if (s->outline_mm > 0 && wpx > 5 && hpx > 5) {
                pl_rgba oc = s->outline;
                double w = s->outline_mm * PX_PER_MM;
                if (wpx > 60 || hpx > 60) {
                    /* Large areas (municipalities): a boundary that reads on paper. */
                    w = fmax(w, 0.9);
                    oc.a = fmax(oc.a, 0.7);
                }
                set_rgba(cr, oc, opacity);
                cairo_set_line_width(cr, fmax(w, 0.35));
                cairo_stroke_preserve(cr);
            }
        } else {
            cairo_set_source_rgba(cr, 0.18, 0.18, 0.18, 0.85);
            cairo_set_line_width(cr, 1.1);
            cairo_stroke_preserve(cr);
        }
    } else {
        if (s) {
            set_rgba(cr, s->color, opacity);
            cairo_set_line_width(cr, fmax(s->size_mm * PX_PER_MM, 0.8));
        } else {
            cairo_set_source_rgba(cr, 0.3, 0.3, 0.3, 0.8);
            cairo_set_line_width(cr, 0.8);
        }
        cairo_stroke_preserve(cr);
    }
    cairo_new_path(cr);
}

/* ------------------------------------------------------------------ text */

static void font(cairo_t *cr, double size, int bold)
{
    cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

static double text_width(cairo_t *cr, const char *s)
{
    cairo_text_extents_t te;
    cairo_text_extents(cr, s, &te);
    return te.x_advance;
}

static void text_at(cairo_t *cr, double x, double y, const char *s)
{
    cairo_move_to(cr, x, y);
    cairo_show_text(cr, s);
}

/* Text with a white halo (labels on the map). */
static void text_halo(cairo_t *cr, double x, double y, const char *s)
{
    cairo_new_path(cr);
    cairo_move_to(cr, x, y);
    cairo_text_path(cr, s);
    cairo_set_source_rgba(cr, 1, 1, 1, 0.9);
    cairo_set_line_width(cr, 3.0);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_stroke_preserve(cr);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    cairo_fill(cr);
}

/* Draws s word-wrapped into width w from (x, y) (first baseline); returns the next baseline. */
static double text_wrapped(cairo_t *cr, double x, double y, double w, double line_h, const char *s)
{
    char line[512] = "";
    const char *p = s;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *e = p;
        while (*e && *e != ' ')
            e++;
        if (e == p)
            break;
        char cand[512];
        snprintf(cand, sizeof cand, "%s%s%.*s", line, line[0] ? " " : "", (int)(e - p), p);
        if (line[0] && text_width(cr, cand) > w) {
            text_at(cr, x, y, line);
            y += line_h;
            snprintf(line, sizeof line, "%.*s", (int)(e - p), p);
        } else {
            snprintf(line, sizeof line, "%s", cand);
        }
        p = e;
    }
    if (line[0]) {
        text_at(cr, x, y, line);
        y += line_h;
    }
    return y;
}

/* Lines text_wrapped would draw s on in width w, with the current font. */
static int wrapped_lines(cairo_t *cr, double w, const char *s)
{
    char line[512] = "";
    int n = 0;
    for (const char *p = s; *p;) {
        while (*p == ' ')
            p++;
        const char *e = p;
        while (*e && *e != ' ')
            e++;
        if (e == p)
            break;
        char cand[512];
        snprintf(cand, sizeof cand, "%s%s%.*s", line, line[0] ? " " : "", (int)(e - p), p);
        if (line[0] && text_width(cr, cand) > w) {
            n++;
            snprintf(line, sizeof line, "%.*s", (int)(e - p), p);
        } else {
            snprintf(line, sizeof line, "%s", cand);
        }
        p = e;
    }
    return n + (line[0] != '\0');
}

/* The title's font size and lines: 22 px on one line when it fits the width, else the largest
 * size down to 15 px that fits one line, else two lines (or more at 12 px): never cut. */
static int title_fit(const char *title, double avail, double *size)
{
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1);
    cairo_t *cr = cairo_create(surf);
    int lines = 1;
    *size = 22;
    font(cr, 22, 1);
    double tw = text_width(cr, title);
    if (tw > avail) {
        *size = floor(22 * avail / tw);
        if (*size < 15) {
            for (*size = 20; *size > 12; (*size)--) {
                font(cr, *size, 1);
                if (wrapped_lines(cr, avail, title) <= 2)
                    break;
            }
            font(cr, *size, 1);
            lines = wrapped_lines(cr, avail, title);
        }
    }
    cairo_destroy(cr);
    cairo_surface_destroy(surf);
    return lines < 1 ? 1 : lines;
}

/* ------------------------------------------------------------------ furniture */

static void north_arrow(cairo_t *cr, double cx, double top)
{
    double h = 34, w = 22;
    cairo_new_path(cr);
    cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
    cairo_arc(cr, cx, top + 26, 24, 0, 2 * M_PI);
    cairo_fill(cr);
    double y0 = top + 18;
    cairo_set_line_width(cr, 1.0);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER);
    /* left half dark, right half light */
    cairo_move_to(cr, cx, y0);
    cairo_line_to(cr, cx - w / 2, y0 + h);
    cairo_line_to(cr, cx, y0 + h * 0.72);
    cairo_close_path(cr);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    cairo_fill_preserve(cr);
    cairo_stroke(cr);
    cairo_move_to(cr, cx, y0);
    cairo_line_to(cr, cx + w / 2, y0 + h);
    cairo_line_to(cr, cx, y0 + h * 0.72);
    cairo_close_path(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    cairo_stroke(cr);
    font(cr, 15, 1);
    double tw = text_width(cr, "N");
    text_at(cr, cx - tw / 2, y0 - 3, "N");
}

/* A length of 1, 2 or 5 times a power of ten metres that is at most max_m. */
static double nice_length(double max_m)
{
    double p = pow(10, floor(log10(max_m)));
    if (5 * p <= max_m)
        return 5 * p;
    if (2 * p <= max_m)
        return 2 * p;
    return p;
}

static void scale_bar(cairo_t *cr, const view *v, double metres_per_unit)
{
    double px_per_m = v->scale / metres_per_unit;
    double len_m = nice_length(0.22 * v->fw / px_per_m);
    double len_px = len_m * px_per_m;
    int km = len_m >= 1000;
    double x0 = v->fx + 18, y0 = v->fy + v->fh - 30, bar_h = 7;
    cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
    cairo_rectangle(cr, x0 - 10, y0 - 22, len_px + 58, 44);
    cairo_fill(cr);
    int parts = 4;
    for (int i = 0; i < parts; i++) {
        cairo_rectangle(cr, x0 + i * len_px / parts, y0, len_px / parts, bar_h);
        if (i % 2 == 0)
            cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        else
            cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_fill_preserve(cr);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        cairo_set_line_width(cr, 1);
        cairo_stroke(cr);
    }
    font(cr, 12, 0);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    char a[64], b[64];
    double div = km ? 1000.0 : 1.0;
    pl_map_format_number(a, sizeof a, len_m / 2 / div, 1);
    pl_map_format_number(b, sizeof b, len_m / div, 1);
    char bl[80];
    snprintf(bl, sizeof bl, "%s %s", b, km ? "km" : "m");
    text_at(cr, x0 - text_width(cr, "0") / 2, y0 - 5, "0");
    text_at(cr, x0 + len_px / 2 - text_width(cr, a) / 2, y0 - 5, a);
    text_at(cr, x0 + len_px - text_width(cr, b) / 2, y0 - 5, bl);
}

static void legend_swatch(cairo_t *cr, double x, double y, int size, const pl_map_symbol *s, double opacity)
{
    cairo_new_path(cr);
    if (s->kind == PL_SYM_MARKER) {
        cairo_arc(cr, x + size / 2.0, y + size / 2.0, size * 0.35, 0, 2 * M_PI);
        set_rgba(cr, s->color, opacity);
        cairo_fill_preserve(cr);
        cairo_set_source_rgba(cr, 0.2, 0.2, 0.2, 0.9);
        cairo_set_line_width(cr, 0.8);
        cairo_stroke(cr);
    } else if (s->kind == PL_SYM_LINE) {
        cairo_move_to(cr, x, y + size / 2.0);
        cairo_line_to(cr, x + size * 1.4, y + size / 2.0);
        set_rgba(cr, s->color, opacity);
        cairo_set_line_width(cr, fmax(s->size_mm * PX_PER_MM, 2));
        cairo_stroke(cr);
    } else {
        cairo_rectangle(cr, x, y, size * 1.4, size);
        set_rgba(cr, s->color, opacity);
        cairo_fill_preserve(cr);
        cairo_set_source_rgba(cr, 0.25, 0.25, 0.25, 0.9);
        cairo_set_line_width(cr, 0.8);
        cairo_stroke(cr);
    }
}

/* ------------------------------------------------------------------ render */

typedef struct png_buf {
    unsigned char *data;
    size_t n, cap;
} png_buf;

static cairo_status_t png_write(void *closure, const unsigned char *data, unsigned int len)
{
    png_buf *b = closure;
    if (b->n + len > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 65536;
        while (cap < b->n + len)
            cap *= 2;
        b->data = pl_realloc(b->data, cap);
        b->cap = cap;
    }
    memcpy(b->data + b->n, data, len);
    b->n += len;
    return CAIRO_STATUS_SUCCESS;
}

typedef struct placed {
    double x0, y0, x1, y1;
} placed;

static int overlaps(const placed *p, int n, placed r)
{
    for (int i = 0; i < n; i++)
        if (r.x0 < p[i].x1 && p[i].x0 < r.x1 && r.y0 < p[i].y1 && p[i].y0 < r.y1)
            return 1;
    return 0;
}

/* CRS description for the map, e.g. "SWEREF99 TM (EPSG:3006)". */
static void crs_text(OGRSpatialReferenceH srs, char *buf, size_t size)
{
    buf[0] = '\0';
    if (!srs)
        return;
    const char *name = OSRGetName(srs);
    const char *auth = OSRGetAuthorityName(srs, NULL);
    const char *code = OSRGetAuthorityCode(srs, NULL);
    if (auth && code)
        snprintf(buf, size, "%s (%s:%s)", name ? name : "", auth, code);
    else
        snprintf(buf, size, "%s", name ? name : "");
}

/* Long: one cairo pass in page order (layout, frame, layers, labels, north arrow, scale bar, title,
 * legend, credits) sharing the layout's coordinates. */
int pl_map_render_png(pl_ctx *ctx, const pl_map_layer *layers, int n_layers, const pl_map_opts *o,
                      unsigned char **png, size_t *png_len, pl_map_info *info, pl_error *err)
{
    (void)ctx;
    static const pl_map_opts no_opts = {0};
    if (!o)
        o = &no_opts;
    *png = NULL;
    *png_len = 0;
    pl_map_info local;
    if (!info)
        info = &local;
    memset(info, 0, sizeof *info);
    if (n_layers < 1)
        return pl_error_set(err, PL_EINTERNAL, "map: no layers");
    int W = o->width > 0 ? o->width : 1100, H = o->height > 0 ? o->height : 800;
    if (W < 300 || H < 240 || W > 8000 || H > 8000)
        return pl_error_set(err, PL_EINPUT, "map: size %dx%d is outside 300x240 .. 8000x8000", W, H);

    GDALDatasetH *ds = pl_calloc((size_t)n_layers, sizeof *ds);
    OGRLayerH *ly = pl_calloc((size_t)n_layers, sizeof *ly);
    int rc = PL_OK;
    CPLPushErrorHandler(CPLQuietErrorHandler);
    OGREnvelope ext = {0, 0, 0, 0};
    int have_ext = 0, any_extent_flag = 0;
    for (int i = 0; i < n_layers; i++)
        any_extent_flag |= layers[i].extent;
    OGRSpatialReferenceH srs = NULL;
    for (int i = 0; rc == PL_OK && i < n_layers; i++) {
        ds[i] = GDALOpenEx(layers[i].path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
        if (!ds[i]) {
            rc = pl_error_set(err, PL_EINPUT, "%s: cannot open: %s", layers[i].path, CPLGetLastErrorMsg());
            break;
        }
        ly[i] = GDALDatasetGetLayerByName(ds[i], layers[i].layer);
        if (!ly[i]) {
            rc = pl_error_set(err, PL_EINPUT, "%s: has no layer '%s'", layers[i].path, layers[i].layer);
            break;
        }
        if (OGR_L_GetGeomType(ly[i]) == wkbNone) {
            rc = pl_error_set(err, PL_EINPUT, "%s:%s: is an attribute table; it has no map", layers[i].path,
                              layers[i].layer);
            break;
        }
        if (!srs)
            srs = OGR_L_GetSpatialRef(ly[i]);
        if (layers[i].extent || (!any_extent_flag && i == 0)) {
            OGREnvelope e;
            if (OGR_L_GetExtent(ly[i], &e, TRUE) == OGRERR_NONE) {
                if (!have_ext)
                    ext = e;
                else {
                    ext.MinX = fmin(ext.MinX, e.MinX);
                    ext.MinY = fmin(ext.MinY, e.MinY);
                    ext.MaxX = fmax(ext.MaxX, e.MaxX);
                    ext.MaxY = fmax(ext.MaxY, e.MaxY);
                }
                have_ext = 1;
            }
        }
        if (layers[i].style && layers[i].style->kind != PL_MAP_SINGLE &&
            OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(ly[i]), layers[i].style->field) < 0) {
            rc = pl_error_set(err, PL_EINPUT, "%s:%s: its style classifies on '%s', which the layer does not have",
                              layers[i].path, layers[i].layer, layers[i].style->field);
        }
    }
    if (rc == PL_OK && !have_ext)
        rc = pl_error_set(err, PL_EINPUT, "%s:%s: has no features to map", layers[0].path, layers[0].layer);
    if (rc != PL_OK)
        goto out;

    double metres_per_unit = 0;
    if (srs && OSRIsProjected(srs)) {
        double f = OSRGetLinearUnits(srs, NULL);
        if (f > 0)
            metres_per_unit = f;
    }

    /* Layout. */
    const int legend_w = W >= 800 ? 270 : 200;
    const int margin = 16, bottom = 30;
    const char *title = o->title ? o->title : layers[0].layer;
    double title_size = 22;
    int title_lines = title_fit(title, W - 2 * margin, &title_size);
    const int title_extra = (int)ceil((title_lines - 1) * (title_size + 4));
    const int top = (o->subtitle ? 74 : 54) + title_extra;
    view v;
    v.fx = margin;
    v.fy = top;
    v.fw = W - 2 * margin - legend_w;
    v.fh = H - top - bottom;
    double dx = ext.MaxX - ext.MinX, dy = ext.MaxY - ext.MinY;
    if (dx <= 0 && dy <= 0)
        dx = dy = 1000;  /* one point: a 1 km window */
    if (dx <= 0)
        dx = dy;
    if (dy <= 0)
        dy = dx;
    double pad = 0.04;
    v.scale = fmin(v.fw / (dx * (1 + 2 * pad)), v.fh / (dy * (1 + 2 * pad)));
    double cx = (ext.MinX + ext.MaxX) / 2, cy = (ext.MinY + ext.MaxY) / 2;
    v.minx = cx - v.fw / 2 / v.scale;
    v.maxx = cx + v.fw / 2 / v.scale;
    v.miny = cy - v.fh / 2 / v.scale;
    v.maxy = cy + v.fh / 2 / v.scale;
    v.ox = v.fx;
    v.oy = v.fy;
    info->frame_x = (int)v.fx;
    info->frame_y = (int)v.fy;
    info->frame_w = (int)v.fw;
    info->frame_h = (int)v.fh;
    info->metres_per_pixel = metres_per_unit > 0 ? metres_per_unit / v.scale : 0;

    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H);
    cairo_t *cr = cairo_create(surf);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);

    /* Map frame background: a very light tone so the data area reads as a map. */
    cairo_rectangle(cr, v.fx, v.fy, v.fw, v.fh);
    cairo_set_source_rgb(cr, 0.965, 0.972, 0.98);
    cairo_fill(cr);

    cairo_save(cr);
    cairo_rectangle(cr, v.fx, v.fy, v.fw, v.fh);
    cairo_clip(cr);
    int legend_layer = -1;
    for (int i = 0; i < n_layers; i++) {
        const pl_map_style *st = layers[i].style;
        if (layers[i].legend && st && legend_layer < 0)
            legend_layer = i;
        int fi = st && st->kind != PL_MAP_SINGLE ? OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(ly[i]), st->field) : -1;
        OGR_L_SetSpatialFilterRect(ly[i], v.minx, v.miny, v.maxx, v.maxy);
        OGR_L_ResetReading(ly[i]);
        OGRFeatureH f;
        while ((f = OGR_L_GetNextFeature(ly[i])) != NULL) {
            OGRGeometryH g = OGR_F_GetGeometryRef(f);
            if (g && !OGR_G_IsEmpty(g)) {
                if (!st) {
                    draw_feature(cr, &v, g, NULL, 1.0);
                    info->features++;
                } else {
                    int is_null = fi >= 0 ? !OGR_F_IsFieldSetAndNotNull(f, fi) : 1;
                    double num = is_null ? NAN : OGR_F_GetFieldAsDouble(f, fi);
                    const char *txt = is_null ? NULL : OGR_F_GetFieldAsString(f, fi);
                    int c = pl_map_style_class_for(st, is_null, num, txt);
                    if (c >= 0) {
                        draw_feature(cr, &v, g, &st->classes[c].sym, st->opacity);
                        info->features++;
                        if (i == legend_layer) {
                            info->legend_features++;
                            if (c < 64)
                                info->per_class[c]++;
                        }
                    }
                }
            }
            OGR_F_Destroy(f);
        }
        OGR_L_SetSpatialFilter(ly[i], NULL);
    }

    /* Labels. */
    placed *pl = NULL;
    int n_pl = 0, cap_pl = 0;
    font(cr, 12, 0);
    for (int i = 0; i < n_layers; i++) {
        if (!layers[i].label_field)
            continue;
        int fi = OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(ly[i]), layers[i].label_field);
        if (fi < 0)
            continue;
        OGR_L_ResetReading(ly[i]);
        OGRFeatureH f;
        while ((f = OGR_L_GetNextFeature(ly[i])) != NULL) {
            OGRGeometryH g = OGR_F_GetGeometryRef(f);
            if (g && !OGR_G_IsEmpty(g) && OGR_F_IsFieldSetAndNotNull(f, fi)) {
                const char *s = OGR_F_GetFieldAsString(f, fi);
                OGREnvelope e;
                OGR_G_GetEnvelope(g, &e);
                double tw = text_width(cr, s);
                double wpx = (e.MaxX - e.MinX) * v.scale, hpx = (e.MaxY - e.MinY) * v.scale;
                int is_point = geom_kind(OGR_G_GetGeometryType(g)) == G_POINT;
                if (is_point || (tw < wpx * 0.9 && hpx > 16)) {
                    OGRGeometryH pos = is_point ? NULL : OGR_G_PointOnSurface(g);
                    double px = vx(&v, pos ? OGR_G_GetX(pos, 0) : OGR_G_GetX(g, 0));
                    double py = vy(&v, pos ? OGR_G_GetY(pos, 0) : OGR_G_GetY(g, 0));
                    if (pos)
                        OGR_G_DestroyGeometry(pos);
                    double lx = is_point ? px + 6 : px - tw / 2, ly0 = is_point ? py + 4 : py + 4;
                    placed r = {lx - 2, ly0 - 12, lx + tw + 2, ly0 + 4};
                    if (!overlaps(pl, n_pl, r) && r.x0 > v.fx && r.x1 < v.fx + v.fw && r.y0 > v.fy &&
                        r.y1 < v.fy + v.fh) {
                        if (n_pl == cap_pl) {
                            cap_pl = cap_pl ? cap_pl * 2 : 64;
                            pl = pl_realloc(pl, (size_t)cap_pl * sizeof *pl);
                        }
                        pl[n_pl++] = r;
                        text_halo(cr, lx, ly0, s);
                    }
                }
            }
            OGR_F_Destroy(f);
        }
    }
    free(pl);

    /* North arrow and scale bar inside the frame. */
    north_arrow(cr, v.fx + v.fw - 34, v.fy + 8);
    if (metres_per_unit > 0)
        scale_bar(cr, &v, metres_per_unit);
    cairo_restore(cr);

    cairo_rectangle(cr, v.fx + 0.5, v.fy + 0.5, v.fw - 1, v.fh - 1);
    cairo_set_source_rgb(cr, 0.55, 0.58, 0.62);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);

    /* Title. */
    cairo_set_source_rgb(cr, 0.08, 0.1, 0.14);
    /* A long title is set smaller or on two lines (title_fit), never cut at the edge. */
    font(cr, title_size, 1);
    if (title_lines == 1)
        text_at(cr, margin, 34, title);
    else
        text_wrapped(cr, margin, 30, W - 2 * margin, title_size + 4, title);
    if (o->subtitle) {
        double avail = W - 2 * margin;
        font(cr, 14, 0);
        double tw = text_width(cr, o->subtitle);
        if (tw > avail)
            font(cr, fmax(8, floor(14 * avail / tw)), 0);
        cairo_set_source_rgb(cr, 0.3, 0.32, 0.36);
        text_at(cr, margin, 58 + title_extra, o->subtitle);
    }

    /* Legend. */
    double lx = v.fx + v.fw + 18, lw = legend_w - 18 - margin;
    double ly0 = v.fy + 6;
    cairo_set_source_rgb(cr, 0.08, 0.1, 0.14);
    font(cr, 14, 1);
    ly0 = text_wrapped(cr, lx, ly0 + 12, lw, 18, o->legend_title ? o->legend_title : "Teckenförklaring");
    ly0 += 6;
    if (legend_layer >= 0) {
        const pl_map_style *st = layers[legend_layer].style;
        const int sw = 18, step = 28;
        info->swatch_size = sw;
        info->legend_step = step;
        info->legend_x = (int)lx;
        info->legend_y = (int)ly0;
        font(cr, 13, 0);
        for (int c = 0; c < st->n_classes && info->n_legend < 64; c++) {
            if (!st->classes[c].render)
                continue;
            if (ly0 + sw > v.fy + v.fh - 40)
                break;  /* no room: the rest is left out rather than drawn over the attribution */
            legend_swatch(cr, lx, ly0, sw, &st->classes[c].sym, st->opacity);
            info->legend_class[info->n_legend++] = c;
            cairo_set_source_rgb(cr, 0.12, 0.12, 0.14);
            const char *lab = st->classes[c].label[0] ? st->classes[c].label : st->kind == PL_MAP_SINGLE ? layers[legend_layer].layer : "";
            text_wrapped(cr, lx + sw * 1.4 + 10, ly0 + sw - 4, lw - sw * 1.4 - 10, 16, lab);
            ly0 += step;
        }
    }
    /* Context layers in the legend: a line swatch. */
    for (int i = 0; i < n_layers; i++) {
        if (layers[i].style || !layers[i].legend || !layers[i].legend_label)
            continue;
        ly0 += 6;
        cairo_new_path(cr);
        cairo_rectangle(cr, lx, ly0, 18 * 1.4, 18);
        cairo_set_source_rgba(cr, 0.18, 0.18, 0.18, 0.85);
        cairo_set_line_width(cr, 1.1);
        cairo_stroke(cr);
        font(cr, 13, 0);
        cairo_set_source_rgb(cr, 0.12, 0.12, 0.14);
        text_wrapped(cr, lx + 18 * 1.4 + 10, ly0 + 14, lw - 18 * 1.4 - 10, 16, layers[i].legend_label);
        ly0 += 28;
    }

    /* CRS and attribution under the frame. */
    char crs[256];
    crs_text(srs, crs, sizeof crs);
    font(cr, 11, 0);
    cairo_set_source_rgb(cr, 0.35, 0.37, 0.4);
    double base = H - 10;
    if (crs[0]) {
        char line[300];
        snprintf(line, sizeof line, "Koordinatsystem: %s", crs);
        text_at(cr, margin, base, line);
    }
    if (o->attribution && *o->attribution) {
        double tw = text_width(cr, o->attribution);
        text_at(cr, fmax(W - margin - tw, margin + 300), base, o->attribution);
    }

    cairo_destroy(cr);
    cairo_surface_flush(surf);
    png_buf b = {0};
    cairo_status_t cs = cairo_surface_status(surf);
    if (cs == CAIRO_STATUS_SUCCESS)
        cs = cairo_surface_write_to_png_stream(surf, png_write, &b);
    cairo_surface_destroy(surf);
    if (cs != CAIRO_STATUS_SUCCESS) {
        free(b.data);
        rc = pl_error_set(err, PL_EINTERNAL, "map: cairo: %s", cairo_status_to_string(cs));
        goto out;
    }
    *png = b.data;
    *png_len = b.n;

out:
    for (int i = 0; i < n_layers; i++)
        if (ds[i])
            GDALClose(ds[i]);
    CPLPopErrorHandler();
    free(ds);
    free(ly);
    return rc;
}

void pl_map_render_shutdown(void)
{
    cairo_debug_reset_static_data();  /* first: cairo's font cache holds fontconfig patterns */
    FcFini();
}
