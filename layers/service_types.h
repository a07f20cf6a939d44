/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Service types are data, not code: share/service_types.ini ships the RSP types
 * (grocery full/partial assortment, fuel, pharmacy incl. agents, parcel/post, cash)
 * plus EV charging, biogas and hydrogen; a region adds its own types and thresholds
 * with --service-types FILE (same format, merged over the shipped file). */
#ifndef PLATSA_LAYERS_SERVICE_TYPES_H
#define PLATSA_LAYERS_SERVICE_TYPES_H

#include <stdio.h>
#include "gis/ctx.h"

#define PL_MAX_TYPES 64
#define PL_MAX_INCLUDES 8
#define PL_MAX_BANDS 12

typedef struct pl_service_type {
    char key[32];                    /* "grocery_full" */
    char label_sv[96];               /* "Dagligvaror, fullsortiment" */
    char label_en[96];
    char *values;                    /* ';'-separated normalised input values that map here */
    char *osm;                       /* ';'-separated OSM selectors "key=value" (lower case) */
    int includes[PL_MAX_INCLUDES];   /* a group type: indexes of the types it counts */
    int n_includes;
    double bands_km[PL_MAX_BANDS];
    int n_bands_km;
    double bands_min[PL_MAX_BANDS];
    int n_bands_min;
    int rsp;                         /* part of the default RSP set */
} pl_service_type;

typedef struct pl_service_types {
    int n;
    pl_service_type t[PL_MAX_TYPES];
} pl_service_types;

/* Loads the shipped file, then (if extra != NULL) a user's file over it. */
pl_service_types *pl_service_types_load(pl_ctx *ctx, const char *extra, pl_error *err);
void pl_service_types_free(pl_service_types *t);
int pl_service_types_find(const pl_service_types *t, const char *key);         /* -1 if none */
/* Maps an input value (e.g. "Apoteksombud", "supermarket") to a type index, -1 if none. */
int pl_service_types_match_value(const pl_service_types *t, const char *value);
/* True if a service of base type `type` counts for type `query` (equal, or included). */
int pl_service_types_counts_for(const pl_service_types *t, int query, int type);

/* ---- additions (loaders branch) ----
 * File format: see share/service_types.ini (its header documents every key). A user file
 * adds types or replaces the keys it gives of an existing type; errors are one line
 * "FILE:LINE: what is wrong; what to do". */

/* Loads `base` (NULL = the shipped share/service_types.ini), then `extra` over it. */
pl_service_types *pl_service_types_load_from(pl_ctx *ctx, const char *base, const char *extra, pl_error *err);
/* Maps an OSM-style tag (key "amenity", value "pharmacy") to a type index via the osm
 * selectors, -1 if none. */
int pl_service_types_match_tag(const pl_service_types *t, const char *key, const char *value);
/* True for a group type (one with includes). */
int pl_service_types_is_group(const pl_service_types *t, int type);
/* The normalised form used for matching: lower case (ASCII and Å/Ä/Ö/É/Ü), '_', '-' and ','
 * as spaces, spaces collapsed and trimmed. */
void pl_service_value_normalize(const char *in, char *out, size_t size);
/* One line per type: key, labels, values, bands (for `platsa info --service-types`). */
void pl_service_types_print(const pl_service_types *t, FILE *out);


#endif
