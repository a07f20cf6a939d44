/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Map images drawn with cairo from a vector layer and its QGIS style.
 *
 * Generic: knows GDAL/OGR layers, QML styles (as stored in a GeoPackage's
 * `layer_styles`, the way QGIS loads them) and map furniture (legend, north arrow,
 * scale bar, attribution). Writes no files: a map is returned as PNG bytes, and
 * whoever writes the output decides where they go. */
#ifndef PLATSA_GIS_MAP_RENDER_H
#define PLATSA_GIS_MAP_RENDER_H

#include <stddef.h>
#include "ctx.h"

typedef struct pl_rgba {
    double r, g, b, a;          /* 0..1 */
} pl_rgba;

typedef enum { PL_SYM_MARKER, PL_SYM_LINE, PL_SYM_FILL } pl_symbol_kind;

/* The first symbol layer of a QGIS symbol, which is all platsa's styles use. */
typedef struct pl_map_symbol {
    pl_symbol_kind kind;
    pl_rgba color;              /* fill (polygons, markers) or line colour */
    pl_rgba outline;            /* outline of fills and markers */
    double outline_mm;          /* outline width in millimetres (0 = none) */
    double size_mm;             /* marker diameter / line width in millimetres */
} pl_map_symbol;

typedef struct pl_map_class {
    double lower, upper;        /* graduated: lower <= v <= upper, first class that matches wins */
    char *value;                /* categorized: the value as text; "" = every other value and NULL */
    char *label;                /* legend label (owned) */
    int render;                 /* drawn (QGIS's check box in the legend) */
    pl_map_symbol sym;
} pl_map_class;

typedef enum { PL_MAP_SINGLE, PL_MAP_GRADUATED, PL_MAP_CATEGORIZED } pl_map_kind;

typedef struct pl_map_style {
    pl_map_kind kind;
    char field[256];            /* the attribute the classes are on ("" for single) */
    int has_null_value;         /* the renderer's expression is coalesce("field", v): NULL counts as v */
    double null_value;
    double opacity;             /* layerOpacity, 0..1 */
    pl_map_class *classes;      /* single: one class */
    int n_classes;
    char renderer_type[64];     /* as stored: singleSymbol, graduatedSymbol, categorizedSymbol */
} pl_map_style;

/* Parses a QML document (singleSymbol, graduatedSymbol or categorizedSymbol renderer whose
 * attribute is a field name or coalesce("field", number)). PL_EINPUT when the QML is not
 * one platsa can draw. */
int pl_map_style_parse(const char *qml, pl_map_style *out, pl_error *err);

/* The default style QGIS would load for a layer of a GeoPackage: the `layer_styles` row
 * QGIS's OGR provider selects (f_table_schema '', f_table_name, f_geometry_column; default
 * first, newest first). Returns the QML (caller frees), or NULL with err set: PL_EINPUT
 * when the layer has no stored style. */
char *pl_map_style_qml(const char *gpkg, const char *layer, pl_error *err);

void pl_map_style_free(pl_map_style *s);

/* The class a value falls in (-1: none, the feature is not drawn). is_null for NULL values;
 * text is the value as text (for categorized styles), num its number (graduated). */
int pl_map_style_class_for(const pl_map_style *s, int is_null, double num, const char *text);

/* One layer drawn on a map, in order (first at the bottom). */
typedef struct pl_map_layer {
    const char *path;           /* OGR data source */
    const char *layer;          /* layer name */
    const pl_map_style *style;  /* NULL: outlines only (a context layer, e.g. boundaries) */
    const char *label_field;    /* optional: feature labels where they fit */
    int legend;                 /* list the style's classes in the legend (a context layer: one
                                   outline swatch labelled legend_label) */
    const char *legend_label;   /* context layers: legend text */
    int extent;                 /* the map shows the union of the layers with extent set
                                   (none set: the first layer) */
} pl_map_layer;

typedef struct pl_map_opts {
    int width, height;          /* pixels; 0 = 1100 x 800 */
    const char *title;          /* top line */
    const char *subtitle;       /* second line, smaller; may be NULL */
    const char *legend_title;   /* heading of the legend; may be NULL */
    const char *attribution;    /* bottom line, e.g. "© OpenStreetMap contributors, ODbL; SCB CC0" */
} pl_map_opts;

/* Statistics of a rendered map, for callers and tests. */
typedef struct pl_map_info {
    long features;              /* drawn features, all layers */
    long legend_features;       /* drawn features of the legend layer */
    long per_class[64];         /* features of the legend layer per class (first 64) */
    double metres_per_pixel;    /* 0 when the CRS is not projected in metres */
    int legend_x, legend_y;     /* top left of the first legend swatch (px) */
    int legend_step;            /* vertical distance between swatches (px) */
    int swatch_size;            /* swatch width and height (px) */
    int n_legend;               /* swatches drawn */
    int legend_class[64];       /* class index of each swatch */
    int frame_x, frame_y, frame_w, frame_h; /* the map frame */
} pl_map_info;

/* Draws the layers and map furniture (title, legend, north arrow, scale bar in metres/km
 * in the layers' CRS, attribution) into a PNG in memory (*png, caller frees; *png_len).
 * info may be NULL. */
int pl_map_render_png(pl_ctx *ctx, const pl_map_layer *layers, int n_layers, const pl_map_opts *opts,
                      unsigned char **png, size_t *png_len, pl_map_info *info, pl_error *err);

/* "1 000", "2,5": a number for a label, Swedish style (non-breaking space as thousands
 * separator, decimal comma), with at most `decimals` decimals and trailing zeros removed. */
void pl_map_format_number(char *buf, size_t size, double v, int decimals);

/* Releases cairo's and fontconfig's process-wide caches (fonts, patterns), so leak checkers
 * see only real leaks. Call once at exit, after the last rendering; harmless when nothing
 * was rendered. */
void pl_map_render_shutdown(void);

#endif
