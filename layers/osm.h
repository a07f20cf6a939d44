/* SPDX-License-Identifier: GPL-3.0-or-later */
/* OpenStreetMap import: an .osm.pbf / .osm extract into platsa's input layers. The roads (and
 * tree rows) are read with readosm keeping OSM node identity (layers/osm_roads.c); the other
 * layers through GDAL's OSM driver (with platsa's share/osmconf.ini, open option CONFIG_FILE).
 *
 *   pl_osm_read    reads and maps the extract into in-memory arrays (pl_osm_data), in the
 *                  working CRS (ctx->work_crs, a projected CRS in metres);
 *   pl_osm_write   writes those arrays as GeoPackage layers through the writer;
 *   pl_osm_import  does both (what `platsa import-osm` calls).
 *
 * Layers and fields (the names are what the loaders read):
 *   roads          LineString, one row per piece of a way: ways are split at every node used
 *                  by two or more road ways (or twice by one way) and at their ends, so ways
 *                  that share a node meet at a piece end and ways that only cross (a bridge
 *                  over a road) do not. source, target (Integer64): OSM ids of the first and
 *                  last node of the piece. osm_id (the way), name, highway (road class:
 *                  motorway ... steps, or 'ferry' for route=ferry ways), length_m (geodesic,
 *                  WGS84 ellipsoid),
 *                  maxspeed_kmh (parsed maxspeed; NULL = unknown, class default applies),
 *                  maxspeed_tag (the raw tag), oneway (1 along the way, -1 against, 0 both;
 *                  implied 1 for highway=motorway and junction=roundabout|circular), car, bike,
 *                  foot (0/1), bridge, tunnel, indoor (0/1), layer (integer, 0 default).
 *   services       Point. osm_id, osm_type (node/way/relation), name, type (service type key),
 *                  raw_tag (e.g. "shop=supermarket"). Areas become a point inside the area
 *                  (GEOSPointOnSurface). One row per (feature, type): a fuel station selling
 *                  biogas is a 'fuel' and a 'biogas' row.
 *   green_areas    MultiPolygon. osm_id, osm_type, kind (park, garden, playground,
 *                  nature_reserve, recreation_ground, village_green, grass, forest, meadow,
 *                  wood), name, area_ha, access (public/private/unknown), public (0 for
 *                  access=private|no, else 1; such areas are kept, not dropped).
 *   trees          Point. osm_id, source (node / tree_row), crown_radius_m, crown_from
 *                  (diameter_crown / height / default), height_m.
 *   canopy         MultiPolygon. osm_id, osm_type, source (wood / forest / tree / tree_row),
 *                  area_m2. Separate polygons, not unioned (analyses union them).
 *   buildings      MultiPolygon. osm_id, osm_type, building (tag value), levels, levels_from
 *                  (tag / height / default), residential (0/1), footprint_m2, floor_area_m2
 *                  (footprint x levels), height_m.
 *   municipalities MultiPolygon (only when the extract has them). osm_id, code (ref:scb, else
 *                  ref, else "R" + relation id), name, admin_level. */
#ifndef PLATSA_LAYERS_OSM_H
#define PLATSA_LAYERS_OSM_H

#include <stddef.h>
#include <stdint.h>
#include <geos_c.h>
#include "gis/ctx.h"
#include "service_types.h"

/* ---------- tag parsing: pure functions on tag text (NULL = tag absent) ---------- */

/* Result of pl_osm_parse_maxspeed. */
enum {
    PL_OSM_SPEED_BAD = -1,   /* not understood: caller leaves the speed NULL and counts a warning */
    PL_OSM_SPEED_OK = 0,     /* *kmh set */
    PL_OSM_SPEED_NONE = 1    /* understood but no number: absent, "none", "signals", "variable" */
};

/* Parses an OSM maxspeed value into km/h:
 *   "50", "50 km/h", "50 kmh", "50 kph"  -> 50
 *   "30 mph" -> 48.28, "10 knots" -> 18.52
 *   zone codes "SE:urban" 50, "SE:rural" 70, "SE:motorway" 110, "SE:living_street" 7,
 *   other Nordic/European codes (see the table in osm_tags.c), "XX:urban" 50 for any country,
 *   "walk" / "XX:walk" 7 (Swedish gångfart);
 *   "a;b" (several values) -> the lowest.
 * Values must lie in (0, 300] km/h. */
int pl_osm_parse_maxspeed(const char *text, double *kmh);

/* Parses oneway, applying the implied oneway of highway=motorway and junction=roundabout or
 * circular. *dir: 1 along the way, -1 against, 0 both ways ("reversible"/"alternating" -> 0).
 * Returns 0, or -1 when the oneway value is not understood (then *dir = 0). */
int pl_osm_parse_oneway(const char *oneway, const char *highway, const char *junction, int *dir);

/* Tags deciding who may use a way. */
typedef struct pl_osm_access_tags {
    const char *highway;       /* class; "ferry" for route=ferry */
    const char *access;
    const char *vehicle;
    const char *motor_vehicle;
    const char *motorcar;
    const char *bicycle;
    const char *foot;
    const char *motorroad;     /* Swedish motortrafikled: no bikes or pedestrians */
} pl_osm_access_tags;

/* car/bike/foot 0/1: the most specific tag that has a value wins (car: motorcar >
 * motor_vehicle > vehicle > access; bike: bicycle > vehicle > access; foot: foot > access),
 * else the class default. yes/designated/permissive/destination/private/customers/delivery/
 * permit/dismount allow; no/agricultural/forestry/use_sidepath/discouraged... see osm_tags.c. */
void pl_osm_access(const pl_osm_access_tags *t, int *car, int *bike, int *foot);

/* 1 if a way with this highway value belongs in the road network (not proposed,
 * construction, platform, abandoned, raceway, ...). */
int pl_osm_road_included(const char *highway);

/* Road class name written to `highway` (pl_road_class_name spelling): links map to their
 * road ("primary_link" -> "primary"), unknown routable values to "other". Static string. */
const char *pl_osm_road_class(const char *highway);

/* yes/true/1 -> 1, anything else 0. */
int pl_osm_is_yes(const char *v);

/* A length in metres: "12", "12.5 m", "12m", "40 ft", "6'6\"" -> metres. 0 or -1. */
int pl_osm_parse_length_m(const char *text, double *m);

/* building:levels: a number ("3", "2.5"), or "a;b" -> the highest. 0 or -1. */
int pl_osm_parse_levels(const char *text, double *levels);

/* OSM layer tag as an integer in [-5, 5]; 0 when absent or not understood. */
int pl_osm_parse_layer(const char *text);

/* Crown radius of a tree: diameter_crown / 2 when given, else 0.3 x height (clamped to
 * 1..10 m; a typical urban tree is about 0.6 x its height across), else default_m.
 * *from is "diameter_crown", "height" or "default". */
double pl_osm_crown_radius(const char *diameter_crown, const char *height, double default_m,
                           const char **from);

/* Service types an OSM feature maps to. With a service type registry (share/service_types.ini
 * plus a region's file), its `osm` selectors decide: "key=value", "key=*" for any value but
 * "no"; group types are skipped. Without one (reg NULL), this built-in table:
 *   grocery_full    shop=supermarket|grocery|hypermarket
 *   grocery_partial shop=convenience|general
 *   fuel            amenity=fuel
 *   pharmacy        amenity=pharmacy, healthcare=pharmacy
 *   parcel_post     amenity=post_office, post_office=post_partner, post_partner=* (not "no")
 *   parcel_locker   amenity=parcel_locker, amenity=vending_machine + vending=parcel_pickup...
 *   cash            amenity=atm, amenity=bank (one row even with both)
 *   ev_charging     amenity=charging_station
 *   biogas          fuel:biogas|fuel:cng|fuel:lbg=yes (on any feature; in Sweden CNG pumps sell
 *                   fordonsgas, mostly biogas)
 *   hydrogen        fuel:h2|fuel:hydrogen|fuel:h35|fuel:h70|fuel:lh2=yes
 * Tag values come through get(key, user) (NULL when absent). Fills up to max types and the
 * raw tag each came from ("shop=supermarket"); returns how many. */
#define PL_OSM_MAX_SERVICE_MATCHES 8
typedef const char *(*pl_osm_tag_getter)(const char *key, void *user);
int pl_osm_service_types(const pl_service_types *reg, pl_osm_tag_getter get, void *user, const char **types,
                         char raw[][64], int max);

/* ---------- the import ---------- */

typedef struct pl_osm_read_opts {
    double tree_row_spacing_m;   /* natural=tree_row sampled every N m (default 10) */
    double default_crown_m;      /* crown radius when neither diameter_crown nor height (default 3) */
    int admin_level;             /* municipalities: boundary=administrative at this level (default 7) */
    double default_levels;       /* levels of an untagged building that is not a house, shed or similar
                                    (default 3; see add_building in osm_read.c) */
    const char *osmconf;         /* NULL = share/osmconf.ini */
    const pl_service_types *service_types; /* NULL = the built-in mapping (pl_osm_service_types) */
} pl_osm_read_opts;

void pl_osm_read_opts_default(pl_osm_read_opts *o);

typedef enum { PL_OSM_NODE, PL_OSM_WAY, PL_OSM_RELATION } pl_osm_type;
const char *pl_osm_type_name(pl_osm_type t);

/* Road pieces keep their vertices in one array of the data (road_xy: x, y pairs in the
 * working CRS), not as GEOS geometries: a national import has millions of them. */
typedef struct pl_osm_road {
    size_t xy0;              /* first vertex: road_xy[2 * xy0], road_xy[2 * xy0 + 1] */
    uint32_t n_xy;           /* vertices (>= 2) */
    int64_t osm_id;          /* the way */
    int64_t source, target;  /* OSM ids of the first and last node */
    char *name;              /* may be NULL */
    const char *highway;     /* class name (static) */
    double length_m;
    double maxspeed_kmh;     /* NAN = unknown */
    char *maxspeed_tag;      /* raw, may be NULL */
    int8_t oneway, car, bike, foot, bridge, tunnel, indoor, layer;
} pl_osm_road;

typedef struct pl_osm_service {
    double x, y;
    int64_t osm_id;
    pl_osm_type osm_type;
    char *name;
    char type[32];           /* service type key */
    char raw_tag[64];
} pl_osm_service;

typedef struct pl_osm_green {
    GEOSGeometry *geom;      /* MultiPolygon */
    int64_t osm_id;
    pl_osm_type osm_type;
    const char *kind;        /* static */
    char *name;
    double area_ha;
    const char *access;      /* "public" / "private" / "unknown" */
    int is_public;
} pl_osm_green;

typedef struct pl_osm_tree {
    double x, y;
    int64_t osm_id;
    int from_row;            /* 0 node, 1 tree_row sample */
    double crown_radius_m;
    const char *crown_from;  /* static */
    double height_m;         /* NAN if unknown */
} pl_osm_tree;

typedef struct pl_osm_canopy {
    GEOSGeometry *geom;      /* MultiPolygon */
    int64_t osm_id;
    pl_osm_type osm_type;
    const char *source;      /* "wood", "forest", "tree", "tree_row" */
    double area_m2;
} pl_osm_canopy;

typedef struct pl_osm_building {
    GEOSGeometry *geom;      /* MultiPolygon */
    int64_t osm_id;
    pl_osm_type osm_type;
    char *building;          /* tag value */
    double levels;
    const char *levels_from; /* "tag", "height", "default" */
    int residential;
    double footprint_m2, floor_area_m2;
    double height_m;         /* NAN if unknown */
} pl_osm_building;

typedef struct pl_osm_municipality {
    GEOSGeometry *geom;      /* MultiPolygon */
    int64_t osm_id;
    char *code, *name;       /* code: ref:scb, else ref, else "R<relation id>" */
    int admin_level;
} pl_osm_municipality;

#define PL_OSM_ARRAY(T, name) T *name; size_t n_##name, cap_##name

typedef struct pl_osm_data {
    PL_OSM_ARRAY(pl_osm_road, roads);
    PL_OSM_ARRAY(double, road_xy);   /* vertices of the roads, x y x y ... (working CRS) */
    PL_OSM_ARRAY(pl_osm_service, services);
    PL_OSM_ARRAY(pl_osm_green, green);
    PL_OSM_ARRAY(pl_osm_tree, trees);
    PL_OSM_ARRAY(pl_osm_canopy, canopy);
    PL_OSM_ARRAY(pl_osm_building, buildings);
    PL_OSM_ARRAY(pl_osm_municipality, municipalities);
    long services_merged;    /* area services dropped because a node of the same type lies inside */
    char *source;            /* basename of the extract */
} pl_osm_data;

pl_osm_data *pl_osm_read(pl_ctx *ctx, const char *path, const pl_osm_read_opts *o, pl_error *err);
void pl_osm_data_free(pl_ctx *ctx, pl_osm_data *d);

/* Road i as a new GEOS LineString (the caller destroys it); NULL on failure. */
GEOSGeometry *pl_osm_road_geom(pl_ctx *ctx, const pl_osm_data *d, size_t i);

/* Services of one type key. */
size_t pl_osm_count_services(const pl_osm_data *d, const char *type);

typedef struct pl_osm_import_opts {
    const char *input;           /* .osm.pbf / .osm */
    const char *output;          /* .gpkg */
    int overwrite;
    const char *command_line;    /* for metadata; may be NULL */
    pl_osm_read_opts read;
} pl_osm_import_opts;

/* Writes the layers of d into a new GeoPackage (empty layers are written too, except
 * municipalities when there are none). */
int pl_osm_write(pl_ctx *ctx, const pl_osm_data *d, const pl_osm_import_opts *o, pl_error *err);

/* pl_osm_read + pl_osm_write. */
int pl_osm_import(pl_ctx *ctx, const pl_osm_import_opts *o, pl_error *err);

#endif
