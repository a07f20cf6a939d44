/* SPDX-License-Identifier: GPL-3.0-or-later */
/* platsa synth: a deterministic synthetic region for benchmarks, anchored on real data.
 *
 * REAL (read from ../shared/real-data, see each folder's PROVENANCE.md):
 *   population    SCB 1 km squares 2024 (rut_id, pop, kn_kod, ln_kod)
 *   municipalities, lan  SCB generalised boundaries
 *   localities    SCB tätorter 2020 (points with population and area)
 *   pharmacies    OSM (HOT export 2020), type "pharmacy"
 * SYNTHETIC (generated here, from the seed):
 *   roads         inter-town network, town street grids, rural roads, bridges and ferries
 *   services      grocery_full/grocery_partial, fuel, parcel_post, parcel_locker, cash
 *   250 m cells   the split of each real 1 km square into 16 cells (--cells 250m)
 *
 * Everything is a pure function of (size, region, seed, cell size, input files): every random
 * draw comes from a splitmix64 stream keyed by the seed and the entity it is for (square id,
 * town code, road end points), never from rand() or the clock. The generation rules are
 * documented in analyses/synth.c (population, services) and analyses/synth_roads.c (roads). */
#ifndef PLATSA_ANALYSES_SYNTH_H
#define PLATSA_ANALYSES_SYNTH_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <geos_c.h>

#include "gis/ctx.h"
#include "gis/options.h"
#include "gis/roads.h"

typedef enum { PL_SYNTH_S = 0, PL_SYNTH_M = 1, PL_SYNTH_L = 2 } pl_synth_size;

/* Defaults of the region per size. S: Örebro kommun, M: Örebro län (the county whose RSP
 * targets are in the domain notes: a regional centre, small towns and sparse forest areas). */
#define PL_SYNTH_DEFAULT_KOMMUN "1880"
#define PL_SYNTH_DEFAULT_LAN "18"

/* Fixed timestamp written into every output: the reference date of the SCB grid. */
#define PL_SYNTH_TIMESTAMP "2024-12-31T00:00:00Z"

/* Distance guarantees the generator gives (and the tests check): the centre of every
 * populated cell lies within this many metres of a road vertex. */
#define PL_SYNTH_MAX_ROAD_DIST_1KM 300.0
#define PL_SYNTH_MAX_ROAD_DIST_250M 200.0

/* Residents per synthetic service (the stated ratios; counts are round(pop / ratio),
 * at least 1 when the region has people). */
#define PL_SYNTH_PEOPLE_PER_GROCERY 1750.0
#define PL_SYNTH_PEOPLE_PER_FUEL 4000.0
#define PL_SYNTH_PEOPLE_PER_PARCEL_POST 3000.0
#define PL_SYNTH_PEOPLE_PER_PARCEL_LOCKER 2000.0
#define PL_SYNTH_PEOPLE_PER_CASH 5500.0

typedef struct pl_synth_params {
    pl_synth_size size;
    uint64_t seed;
    int cell_m;              /* population cells: 1000 (the real squares) or 250 (synthetic split) */
    const char *data_dir;    /* folder with the real data sets; NULL = pl_synth_default_data_dir() */
    const char *region;      /* S: kommun code (default 1880), M: län code (default 18); L: ignored */
} pl_synth_params;

void pl_synth_params_default(pl_synth_params *o);
int pl_synth_size_from_name(const char *name, pl_synth_size *out);   /* "S", "M", "L" (any case) */
const char *pl_synth_size_name(pl_synth_size s);
/* $PLATSA_REAL_DATA, else $PLATSA_SHARED/real-data, else ../shared/real-data beside the
 * source tree (static string). */
const char *pl_synth_default_data_dir(void);

/* Service types generated (keys as in share/service_types.ini). */
enum {
    PL_SYNTH_GROCERY_FULL, PL_SYNTH_GROCERY_PARTIAL, PL_SYNTH_FUEL, PL_SYNTH_PHARMACY,
    PL_SYNTH_PARCEL_POST, PL_SYNTH_PARCEL_LOCKER, PL_SYNTH_CASH, PL_SYNTH_N_TYPES
};
const char *pl_synth_type_key(int type);

/* How a landmass or island group is linked to the main network. */
typedef enum { PL_SYNTH_LINK_MAIN = 0, PL_SYNTH_LINK_BRIDGE, PL_SYNTH_LINK_FERRY, PL_SYNTH_LINK_NONE } pl_synth_link;

typedef struct pl_synth_island {
    char name[96];           /* largest tätort on it, else "island near E N" */
    double x, y;             /* its most populated point */
    int n_squares;           /* populated 1 km squares on it */
    int64_t pop;
    int link;                /* pl_synth_link */
    double link_km;          /* bridge or ferry length; 0 for NONE */
} pl_synth_island;

typedef struct pl_synth_stats {
    size_t n_nodes, n_edges, n_vertices;
    double mean_degree;
    size_t n_components;           /* of the road graph (nodes joined by roads) */
    size_t nodes_off_main;         /* nodes outside the largest component */
    double km_by_class[PL_ROAD_N_CLASSES];
    size_t edges_by_class[PL_ROAD_N_CLASSES];
    size_t n_oneway, n_bridges, n_ferries;
    size_t n_urban_squares, n_towns_with_grid;
    size_t services_by_type[PL_SYNTH_N_TYPES];
    double seconds_total;
} pl_synth_stats;

typedef struct pl_synth_region {
    pl_synth_params opts;
    char region_code[8];           /* "1880", "18" or "SE" */
    char region_name[96];
    char *data_dir;                /* the real-data folder read */
    GEOSContextHandle_t geos;      /* owner of the geometries below */

    /* Real 1 km squares (the base, always present). */
    size_t n_squares;
    int32_t *sq_x, *sq_y;          /* south-west corner, EPSG:3006 metres */
    int32_t *sq_pop;
    int16_t *sq_muni;              /* index into muni_* */
    int32_t *sq_sub;               /* 16 per square: the 250 m split, row-major from the SW (k = 4*row + col) */

    /* Output population cells: the squares themselves (cell_m 1000) or the populated 250 m cells. */
    int cell_m;
    size_t n_cells;
    int32_t *cell_x, *cell_y;      /* south-west corner */
    int32_t *cell_pop;
    int16_t *cell_muni;
    int32_t *cell_square;          /* index of the 1 km square it lies in */
    int64_t total_pop;

    size_t n_munis;
    char (*muni_code)[8];
    char **muni_name;
    char (*muni_lan)[4];
    GEOSGeometry **muni_geom;

    size_t n_lans;
    char (*lan_code)[4];
    char **lan_name;
    GEOSGeometry **lan_geom;

    size_t n_localities;           /* real tätorter of the region */
    double *loc_x, *loc_y;
    int32_t *loc_pop, *loc_area_ha;
    char **loc_code, **loc_name;
    int16_t *loc_muni;
    int64_t *loc_node;             /* road node serving it (index into node ids), -1 if none */

    /* Synthetic roads: one line per edge between two junction nodes. */
    pl_roads roads;
    uint32_t *road_node_a, *road_node_b;  /* node ids (0..n_nodes-1) of the first/last vertex */
    uint8_t *road_is_link;         /* 1 for the one-way ramps (highway=motorway_link or trunk_link) */
    size_t n_nodes;

    size_t n_services;
    double *svc_x, *svc_y;
    uint8_t *svc_type;             /* PL_SYNTH_* type */
    uint8_t *svc_synthetic;        /* 1 generated, 0 real (OSM pharmacy) */
    char **svc_id, **svc_name;
    int16_t *svc_muni;

    size_t n_islands;              /* landmasses and island groups other than the main one */
    pl_synth_island *islands;

    pl_synth_stats stats;
} pl_synth_region;

/* Generates the region in memory. Reports progress through pl_progress. */
int pl_synth_generate(pl_ctx *ctx, const pl_synth_params *opts, pl_synth_region **out, pl_error *err);
void pl_synth_region_free(pl_synth_region *r);

/* "6730006582000": SCB-style id (6 digits easting, 7 digits northing of the SW corner). */
void pl_synth_cell_id(int32_t x_sw, int32_t y_sw, char out[16]);

typedef struct pl_synth_write_opts {
    int overwrite;
    const char *command_line;      /* recorded in the metadata; NULL = none */
    const char *timestamp;         /* NULL = PL_SYNTH_TIMESTAMP */
} pl_synth_write_opts;

/* Writes the GeoPackage: layers population, municipalities, lan, localities, roads, services,
 * each titled REAL or SYNTHETIC, with run parameters stating what is real and what is not. */
int pl_synth_write(pl_ctx *ctx, const pl_synth_region *r, const char *path, const pl_synth_write_opts *o,
                   pl_error *err);

/* The options of `platsa synth` as the table fills them (strings, checked by
 * pl_synth_params_from_opts); the typed generator settings are pl_synth_params. */
typedef struct pl_synth_opts {
    const char *size;
    const char *seed;
    const char *output;
    const char *cells;
    const char *data;
    const char *region;
    const char *gtfs;              /* NULL: no timetable */
    double gtfs_rural_spacing_m;
    int overwrite;
} pl_synth_opts;

extern const pl_option pl_synth_options[];
extern const char pl_synth_usage[];
extern const char pl_synth_summary[];

/* Zeroes o and sets the table's defaults (PL_OK; PL_EINTERNAL if a default does not parse). */
int pl_synth_opts_init(pl_synth_opts *o);
void pl_synth_opts_free(pl_synth_opts *o);

/* Checks the options and the output, generates the region, writes o->output and prints what
 * was generated (sizes, services, islands, times, peak memory) to out. */
int pl_synth_run(pl_ctx *ctx, const pl_synth_opts *o, const char *command_line, FILE *out, pl_error *err);

/* Turns parsed CLI options into pl_synth_params (PL_OK or PL_EINPUT with a message). */
int pl_synth_params_from_opts(const pl_synth_opts *c, pl_synth_params *o, pl_error *err);

#endif
