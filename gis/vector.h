/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reading any GDAL vector source, reprojected to the working CRS.
 * A spec is "FILE", "FILE:LAYER" or a GDAL connection string ("PG:..."); a layer
 * given in the options wins over one in the spec. */
#ifndef PLATSA_GIS_VECTOR_H
#define PLATSA_GIS_VECTOR_H

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include "ctx.h"

typedef struct pl_vector {
    GDALDatasetH ds;
    OGRLayerH layer;
    OGRCoordinateTransformationH to_work;  /* NULL when already in the working CRS */
    OGRSpatialReferenceH work_srs;
    char *path;                            /* file part of the spec */
    char *label;                           /* "file.gpkg:layer" for messages (basename) */
    char *role;                            /* "population", ... for messages */
    int crs_assumed;                       /* the source had no CRS and --assume-crs was used */
    OGRLayerH sql_result;                  /* pl_vector_opts.within on a GeoPackage: layer is this
                                              result set (released by pl_vector_close) */
} pl_vector;

typedef struct pl_vector_opts {
    const char *layer;       /* NULL: from the spec, else the only layer, else the first with geometry */
    const char *assume_crs;  /* used only when the source has no CRS; NULL = refuse such sources */
    const char *role;        /* for messages */
    const char *const *open_options;  /* GDAL open options; NULL = defaults (for CSV: X/Y/WKT columns) */
    const double *within;    /* minx, miny, maxx, maxy in the working CRS: read only the features
                                whose envelope meets this rectangle (in the layer's CRS its
                                transformed bounds), in the file's order: a GeoPackage through its
                                R-tree, ordered by feature id (OGR's spatial filter gives them in
                                R-tree order, and the graph's tie-breaks follow the roads' order);
                                other formats through OGR's spatial filter; NULL = every feature */
} pl_vector_opts;

/* Checks an input path before anything opens or reads it: it exists, is a regular file or
 * a folder (a FIFO, device or socket would block or never end), and a shapefile has its
 * .dbf and .shx beside it. role names the input in the message ("population", "OSM
 * extract"...). GDAL connection strings (PG:) and /vsi paths are left to GDAL.
 * PL_OK, or PL_EINPUT with a one-line message. */
int pl_input_path_check(const char *file, const char *role, pl_error *err);

/* The same for a text file platsa reads itself (service types, scenario): a folder is
 * refused too. */
int pl_input_text_file_check(const char *file, const char *role, pl_error *err);

pl_vector *pl_vector_open(pl_ctx *ctx, const char *spec, const pl_vector_opts *o, pl_error *err);
void pl_vector_close(pl_vector *v);

/* Splits "FILE:LAYER" when FILE exists and LAYER is a name (not a Windows drive or URL).
 * "PG:CONNINFO:LAYER" (e.g. "PG:dbname=gis host=/run/pg port=5432:roads" or ":myschema.roads"):
 * the layer is after the last ':' outside single quotes when it has no '=', quote, space, '/', '@';
 * quote a conninfo value that ends in ":name" (password='a:b'). */
void pl_vector_split_spec(const char *spec, char *file, size_t file_size, char *layer, size_t layer_size);

/* A CRS from user text ("EPSG:3006", WKT, PROJ), traditional GIS axis order (x = east),
 * or NULL when GDAL cannot read it; the caller destroys it. */
OGRSpatialReferenceH pl_srs_from_user(const char *text);

/* Field index by name (case-insensitive), -1 if absent. */
int pl_vector_field(const pl_vector *v, const char *name);
/* First field whose name matches one of the NULL-terminated candidates (case-insensitive). */
int pl_vector_field_auto(const pl_vector *v, const char *const *candidates);
/* Like pl_vector_field_auto, but `given` (a user's flag value) wins; when nothing is found
 * and required, fails with "LABEL: field 'X' not found; fields are: ...; use --FLAG". */
int pl_vector_field_pick(const pl_vector *v, const char *given, const char *const *candidates,
                         const char *flag, int required, pl_error *err);
/* Like pl_vector_field_pick; `what` names the field in the message ("population"). */
int pl_vector_field_find(const pl_vector *v, const char *given, const char *const *candidates, const char *what,
                         const char *flag, int required, pl_error *err);
/* "a, b, c" (static buffer). */
const char *pl_vector_field_list(const pl_vector *v);

/* Reads a feature's geometry reprojected to the working CRS (a new geometry the caller
 * destroys), or NULL for an empty/missing geometry or a failed transform. */
OGRGeometryH pl_vector_geometry(const pl_vector *v, OGRFeatureH f);

/* Converts an OGR geometry into GEOS in ctx's handle (NULL on failure). */
GEOSGeometry *pl_ogr_to_geos(pl_ctx *ctx, OGRGeometryH g);
/* Makes a GEOS geometry valid (returns the same pointer if already valid, else a new
 * geometry and destroys the input); NULL if it cannot be repaired. */
GEOSGeometry *pl_geos_make_valid(pl_ctx *ctx, GEOSGeometry *g, int *was_repaired);

/* Reads a numeric field; returns 0 and sets *out, or -1 when null/not numeric. */
int pl_vector_get_number(OGRFeatureH f, int field, double *out);

/* True if src equals work, or differs only by an unnamed datum on the same ellipsoid and
 * projection (SCB's "unnamed" SWEREF 99 TM .prj): no transformation needed. */
int pl_srs_equivalent(OGRSpatialReferenceH src, OGRSpatialReferenceH work);
/* "EPSG:3006 (SWEREF99 TM)", or "'unnamed', not an EPSG code but equivalent to EPSG:3006 (...)",
 * or "'NAME' (no EPSG code)", or "none". */
void pl_srs_describe(OGRSpatialReferenceH srs, const char *work_crs, char *buf, size_t size);

/* " (the coordinates look like ...: EPSG:n)" from a layer's extent, or "". */
const char *pl_vector_crs_hint(OGRLayerH layer);
/* The GDAL open options pl_vector_open uses for a file ("x/y, lon/lat, wkt" columns of a
 * CSV), NULL for other formats. */
const char *const *pl_vector_default_open_options(const char *file);

/* Basename of a path (static buffer). */
const char *pl_basename(const char *path);

#endif
