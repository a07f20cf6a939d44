/* SPDX-License-Identifier: GPL-3.0-or-later */
/* 3-30-300 (Region Skåne's model of urban green): every home sees at least 3 trees, every
 * neighbourhood has at least 30 % canopy cover, every resident has at most 300 m to a
 * public green area. pl_green_compute works on loaded arrays (tests and the benchmark call
 * it directly); pl_green_write writes the GeoPackage; pl_green_run loads, computes and
 * writes for the CLI.
 *
 * Homes: the buildings evaluated. A building is a home when its residential flag is set, it
 * has residents (population > 0) or dwellings (> 0); when the layer has none of these, every
 * building is a home (info message); --all-buildings evaluates every building. Every
 * building, home or not, blocks views. Residents come from the buildings' population field
 * or from population points (each point to the building containing it, else the nearest
 * within 50 m).
 *
 * Rule 3 (per home): trees seen from home.
 *   - trees_within: trees whose trunk point lies within tree_buffer_m (15) of the footprint
 *     (distance from the point to the polygon, 0 inside): Barcelona's count.
 *   - trees_visible: trees whose trunk point lies within view_distance_m (30) of the
 *     footprint AND whose sight line is clear. The sight line tested is the straight segment
 *     from the nearest point of the building's outline (any ring, courtyards included) to the
 *     trunk point; it is blocked when it passes through the interior of another building's
 *     footprint (touching a wall or corner does not block; buildings sharing a wall with the
 *     home do not block lines that leave away from them). The segment cannot enter the home's
 *     own footprint (its start is the outline point nearest to the tree). A tree on or inside
 *     the home's own footprint (atrium, courtyard drawn without a hole) counts as visible.
 *     One line per tree: a tree hidden from the nearest wall but visible from a window round
 *     the corner counts as hidden.
 *   - pass_3: trees_visible >= min_trees (3).
 * Rule 30 (per neighbourhood): canopy % = area of the union of canopy inside the
 *   neighbourhood's land / its land area, land = neighbourhood minus water polygons.
 *   Canopy is, in this order of preference: canopy polygons (exact GEOS overlay: each
 *   polygon intersected with the land, the pieces unioned, so overlaps count once); a raster (cells whose value is > canopy_threshold
 *   and not nodata, counted when their centre lies in the land; area = count x cell area);
 *   else tree points buffered by their crown radius (default_crown_m when unknown), the
 *   union of the disks integrated in 0.1 m rows (each row exact; see green_geom.h).
 *   A home takes its neighbourhood's canopy % and pass_30 (canopy % >= min_canopy_pct).
 *   Neighbourhoods: polygons, or squares of grid_m aligned to multiples of grid_m (SCB-style
 *   ids from the south-west corner) containing at least one building's representative point.
 * Rule 300 (per home): walking distance along the network to the nearest entry of a green
 *   area of at least min_green_ha (0.5 ha).
 *   - Green areas: public polygons (all with include_private), overlapping or touching ones
 *     dissolved into one area first (a park drawn as several polygons counts whole), then
 *     kept when area >= min_green_ha and, with min_green_width_m > 0, when a disk of that
 *     diameter fits (negative buffer of half the width not empty: Malmö's 30 m rule).
 *   - Entries: the points where walkable network lines (not tunnels, indoor corridors,
 *     ferries or lines below ground) cross or touch the area's boundary (where a line runs
 *     along the boundary: the ends of that stretch and points every entry_spacing_m on it);
 *     an area no line reaches gets points every entry_spacing_m (25 m) along its boundary
 *     instead. Each entry attaches to the walking network like any place (pl_graph_snap).
 *   - One multi-source search from all entries at once (pl_graph_nearest_k, k = 1, metric
 *     distance) gives every home its nearest entry. A home attaches from its representative
 *     point; its access leg is then measured from the footprint (the wall nearest to the
 *     point where it meets the road), not from the centroid.
 *   - green_euclid_m: straight-line distance from the footprint to the nearest kept area
 *     (0 when they touch or overlap); never more than the network distance.
 *   - pass_300: network distance <= max_green_m (300). Without roads, the Euclidean
 *     distance decides (info message; recorded in the metadata).
 * Canopy % is rounded to 0.01 and distances to 0.1 m before the thresholds apply, so the
 * values written and the pass flags agree.
 * A rule whose inputs are missing is left NULL (unknown) and is not counted in rules_met,
 * the shares or "all three" (all three is unknown unless every rule has its inputs; a home
 * failing one known rule fails all three).
 *
 * Shares (percent, 2 decimals) per neighbourhood, municipality, locality and in total: of
 * the homes whose result for the rule is known, those that meet it; of their residents,
 * those that do. A home belongs to the municipality/locality polygon containing its
 * representative point; homes outside every municipality count in the total only. The
 * canopy of a municipality or locality is that of the neighbourhoods whose point on
 * surface lies in it.
 *
 * Output (pl_green_write): green_buildings (homes: footprints with trees_visible,
 * trees_within, pass_3, canopy_pct, pass_30, green_net_m, green_euclid_m, green_area,
 * pass_300, rules_met, all_three; graduated on rules_met), green_neighbourhoods (land,
 * canopy, shares of homes and residents per rule; pass/fail on pass_30), green_areas (the
 * kept, dissolved areas with their entry counts), green_entries (points), and the table
 * green_summary (one row per municipality and locality with homes, then the total; CSV
 * twin with csv). Swedish aliases on every field; run parameters in the metadata. */
#ifndef PLATSA_ANALYSES_GREEN_H
#define PLATSA_ANALYSES_GREEN_H

#include <stdint.h>
#include "gis/ctx.h"
#include "gis/graph.h"
#include "gis/options.h"
#include "layers/buildings.h"
#include "layers/layers.h"

/* Everything `platsa green` takes; declared once in pl_green_options (gives --help). */
typedef struct pl_green_opts {
    const char *buildings, *population, *trees, *canopy, *green_areas, *neighbourhoods, *roads, *water;
    const char *municipalities, *localities;
    const char *output;
    int overwrite, csv;
    const char *csv_style;    /* --csv-style: default | sv */
    double grid_m;
    double view_distance_m, tree_buffer_m;
    int min_trees;
    double min_canopy_pct, canopy_threshold, default_crown_m;
    double min_green_ha, min_green_width_m, max_green_m, entry_spacing_m;
    int include_private, all_buildings;
    pl_strings green_kinds;
    const char *locality_pop_field;   /* population field of --localities */
    const char *id_field, *residential_field, *pop_field, *dwellings_field, *crown_field, *public_field,
        *kind_field, *nbh_id_field;
    const char *crs, *assume_crs;
    double max_snap_m;
    const char *graph_cache;
    pl_road_fields road;
} pl_green_opts;

extern const pl_option pl_green_options[];
/* Zeroes o and sets the table's defaults (PL_OK; PL_EINTERNAL if a default does not parse). */
int pl_green_opts_init(pl_green_opts *o);
/* Frees the lists the options hold (after opts_init or parsing). */
void pl_green_opts_free(pl_green_opts *o);
extern const char pl_green_usage[];
extern const char pl_green_summary[];

typedef struct pl_green_params {
    double view_distance_m;      /* 30 */
    double tree_buffer_m;        /* 15 */
    int min_trees;               /* 3 */
    double min_canopy_pct;       /* 30 */
    double canopy_threshold;     /* raster: cells with value > this are canopy (0) */
    double default_crown_m;      /* crown radius of trees without one (3) */
    double canopy_step_m;        /* row spacing for canopy from tree disks (0.1) */
    double grid_m;               /* neighbourhood squares when no neighbourhood polygons (250) */
    double min_green_ha;         /* 0.5 */
    double min_green_width_m;    /* 0 = no width rule */
    double max_green_m;          /* 300 */
    double entry_spacing_m;      /* 25 */
    int include_private;
    int all_buildings;
    const char *const *green_kinds; /* NULL-terminated kinds to keep; NULL = every kind */
    double max_snap_m;           /* 1000 */
} pl_green_params;

void pl_green_params_default(pl_green_params *p);

/* A canopy raster opened for counting (GDAL, reprojected to the working CRS on the fly
 * with nearest-neighbour sampling when it is in another CRS). */
typedef struct pl_canopy_raster pl_canopy_raster;
pl_canopy_raster *pl_canopy_raster_open(pl_ctx *ctx, const char *path, pl_error *err);
void pl_canopy_raster_close(pl_canopy_raster *r);
/* True when path opens as a raster and not as a vector source. */
int pl_is_raster(const char *path);

/* Inputs; everything but buildings is optional (NULL). */
typedef struct pl_green_inputs {
    const pl_buildings *buildings;
    const pl_population *population;      /* points whose pop goes to the building containing them */
    const pl_trees *trees;
    const pl_polygons *canopy;
    const pl_canopy_raster *canopy_raster;
    const pl_green_areas *green;
    const pl_polygons *neighbourhoods;    /* NULL: squares of params->grid_m */
    const pl_polygons *water;
    const pl_roads *roads;                /* with graph: network distances */
    const pl_graph *graph;                /* walking graph of roads */
    const pl_municipalities *munis;
    const pl_localities *localities;      /* polygons used */
} pl_green_inputs;

enum { PL_RULE_3 = 0, PL_RULE_30 = 1, PL_RULE_300 = 2, PL_RULE_ALL = 3, PL_N_RULES = 4 };

/* Counts of one group of homes: per rule, homes (and residents) with a known result and
 * those passing. */
typedef struct pl_green_stats {
    long homes;
    double pop;
    long known[PL_N_RULES], pass[PL_N_RULES];
    double pop_known[PL_N_RULES], pop_pass[PL_N_RULES];
} pl_green_stats;

/* One row of the summary: a municipality, a locality or the total. */
typedef struct pl_green_group {
    const char *level;           /* "kommun", "tätort", "totalt" */
    char *code, *name;
    pl_green_stats stats;
    double land_m2, canopy_m2;   /* neighbourhoods whose representative point lies in the group */
} pl_green_group;

typedef struct pl_green_result {
    /* per building (all buildings; only homes are reported) */
    size_t n_buildings;
    uint8_t *is_home;
    double *pop;                 /* residents; NAN when unknown */
    int32_t *trees_visible;      /* -1 when rule 3 is unknown */
    int32_t *trees_within;
    long *nbh;                   /* neighbourhood index, -1 when in none */
    double *green_net_m;         /* INFINITY unreachable, NAN unknown */
    double *green_euclid_m;      /* INFINITY no area, NAN unknown */
    long *green_area;            /* nearest kept area by network (else Euclidean), -1 none */
    int8_t *pass[PL_N_RULES];    /* 1 / 0 / -1 unknown; [PL_RULE_ALL] when all three known */
    int8_t *rules_met;           /* 0..3 among the known rules */
    long *muni;                  /* municipality index, -1 */
    long *locality;              /* locality index, -1 */
    double *rep_x, *rep_y;       /* representative points */
    int has_rule[3];             /* which rules had their inputs */
    int network;                 /* rule 300 measured along the network */
    const char *canopy_source;   /* "polygons", "raster", "trees" or NULL */

    /* neighbourhoods */
    size_t n_nbh;
    GEOSGeometry **nbh_geom;     /* borrowed from the inputs or owned (grid) */
    int nbh_owned;
    char **nbh_id;               /* owned copies */
    double *nbh_area_m2, *nbh_land_m2, *nbh_canopy_m2, *nbh_canopy_pct;
    int8_t *nbh_pass30;
    pl_green_stats *nbh_stats;

    /* kept green areas (dissolved) and their entries */
    size_t n_areas;
    GEOSGeometry **area_geom;    /* owned */
    double *area_ha;
    char **area_ids;             /* ids of the input polygons dissolved into it, comma separated */
    char **area_name;            /* first non-empty name */
    uint32_t *area_entries;      /* entries per area */
    uint8_t *area_sampled;       /* 1 when the entries are boundary samples */
    long n_areas_small, n_areas_narrow;  /* dissolved areas dropped by size / width */
    size_t n_entries;
    double *entry_x, *entry_y;
    uint32_t *entry_area;

    /* summary groups: municipalities, localities (with homes), then the total */
    size_t n_groups;
    pl_green_group *groups;
    pl_green_stats total;
} pl_green_result;

int pl_green_compute(pl_ctx *ctx, const pl_green_inputs *in, const pl_green_params *p, pl_green_result **out,
                     pl_error *err);
void pl_green_result_free(pl_ctx *ctx, pl_green_result *r);

/* Share of a rule in percent (0..100, 2 decimals) or NAN when nothing is known. */
double pl_green_share_bld(const pl_green_stats *s, int rule);
double pl_green_share_pop(const pl_green_stats *s, int rule);

/* Output layers: green_buildings, green_neighbourhoods, green_areas, green_entries and the
 * table green_summary (CSV twin with csv). */
typedef struct pl_green_write_opts {
    const char *output;
    int overwrite, csv;
    const char *csv_style;    /* --csv-style: default | sv */
    const char *command_line;
    const char *const *inputs;   /* NULL-terminated */
    const char *timestamp;       /* NULL: $SOURCE_DATE_EPOCH or now */
} pl_green_write_opts;

int pl_green_write(pl_ctx *ctx, const pl_green_inputs *in, const pl_green_params *p, const pl_green_result *r,
                   const pl_green_write_opts *wo, pl_error *err);

/* Load, compute and write: what the CLI calls. */
int pl_green_run(pl_ctx *ctx, const pl_green_opts *opts, const char *command_line, pl_error *err);

#endif
