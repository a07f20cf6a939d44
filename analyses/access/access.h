/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Accessibility for the regional serviceprogram (RSP): along the roads, distance (km)
 * and travel time (min) from every population unit to the nearest and second-nearest
 * service of each type, summarised per municipality, with a combined service level.
 *
 * pl_access_compute works on loaded arrays (tests call it directly);
 * pl_access_write writes the GeoPackage; pl_access_run does load + compute + write
 * for the CLI. */
#ifndef PLATSA_ANALYSES_ACCESS_H
#define PLATSA_ANALYSES_ACCESS_H

#include "gis/ctx.h"
#include "gis/graph.h"
#include "gis/options.h"
#include "layers/layers.h"
#include "analyses/common/transit.h"

/* Everything `platsa access` takes; declared once in pl_access_options (gives --help). */
typedef struct pl_access_opts {
    const char *population, *services, *roads, *municipalities, *localities;
    const char *output;
    int overwrite, csv;
    const char *csv_style;    /* --csv-style: default | sv */
    pl_strings types;            /* service type keys; none = every RSP type present in the data */
    const char *mode;            /* car | bike | walk, or several separated by commas (pl_access_run) */
    pl_doubles bands_km, bands_min;
    double within_km;            /* threshold for the combined service level */
    const char *region;          /* municipality (4 digits) or county (2 digits) code; NULL = all */
    const char *pop_field, *age_field, *type_field, *muni_code_field, *muni_name_field;
    const char *locality_pop_field;   /* population field of --localities */
    const char *service_types_file;
    const char *crs, *assume_crs;
    double max_snap_m;           /* units: flagged and listed beyond it (analyses/attach.h) */
    double max_service_snap_m;   /* services: left out beyond it */
    const char *id_field;        /* the population units' id field; NULL = auto */
    const char *graph_cache;
    pl_road_fields road;      /* --road-profile, --class-field, --speed-field, --oneway-field */
    int classify;                /* also split summaries by territorial class (needs localities) */
    int service_areas;           /* --service-areas: the service_areas layer (access_areas.h) */
    double service_area_width_m; /* --service-area-width: walk-off width of the buffer around reached roads */
    pl_transit_opts transit;     /* --mode transit (analyses/common/transit.h) */
    /* Not options (no table entry): platsa partition's tasks and merge (analyses/partition). */
    const double *within_units;  /* NULL, or a rectangle (working CRS): only the units meeting it */
    const double *within_halo;   /* NULL, or a rectangle: only the roads and services meeting it */
    const double *within_services; /* NULL, or the services' own rectangle (else within_halo's) */
    int skip_roads;              /* pl_access_load_inputs reads no roads (in->roads stays NULL) */
} pl_access_opts;

extern const pl_option pl_access_options[];
/* Zeroes o and sets the table's defaults (PL_OK; PL_EINTERNAL if a default does not parse). */
int pl_access_opts_init(pl_access_opts *o);
/* Frees the lists the options hold (after opts_init or parsing). */
void pl_access_opts_free(pl_access_opts *o);
extern const char pl_access_usage[];
extern const char pl_access_summary[];

/* Per service type results; arrays are per cell (n_cells) or per cell x 2 (nearest, second). */
typedef struct pl_access_type {
    int type;                    /* index into the service type registry */
    double bands_km[PL_MAX_BANDS], bands_min[PL_MAX_BANDS];
    int n_bands_km, n_bands_min;
    uint32_t n_services;         /* services that count for this type */
    uint32_t *service_index;     /* label source -> index into pl_services (sorted by id) */
    pl_label *by_dist;           /* n_cells*2: nearest and second nearest by distance */
    pl_label *by_time;           /* n_cells*2: nearest and second nearest by time */
    /* A group type (e.g. grocery = grocery_full + grocery_partial) whose member types are
     * all analysed too: their indexes in the result's types. Its labels are then merged
     * from theirs instead of searched (the same answers: see merge_group_labels). */
    int n_members;
    int member[PL_MAX_INCLUDES];
    /* 1: by_dist came from a distance search that met no ties (pl_search_opts.ties), or is a
     * copy of such labels (pl_access_take_distances): their sources and distances follow from
     * the arcs' lengths and the places' attachment alone. 0: not known. */
    int dist_tie_free;
    /* Counted in the service level: not when an analysed group includes this type (grocery_full
     * and grocery_partial count once, as grocery, not three times). See pl_access_level_types. */
    int in_level;
} pl_access_type;

/* Summary of one municipality (or the whole region, or one territorial class) for one type. */
typedef struct pl_access_stats {
    long n_cells;                           /* units counted */
    double pop, pop_age;
    double pop_band_km[PL_MAX_BANDS + 2];   /* per band, then beyond the last, then unreachable */
    double pop_band_min[PL_MAX_BANDS + 2];
    double age_band_km[PL_MAX_BANDS + 2];
    double age_band_min[PL_MAX_BANDS + 2];
    double mean_km, median_km, mean_min, median_min;       /* population-weighted, reachable only */
    double age_mean_km, age_median_km, age_mean_min, age_median_min;
    long n_services;                        /* services of the type located in the municipality */
} pl_access_stats;

typedef struct pl_access_result {
    size_t n_cells;
    int n_types;
    pl_access_type *types;
    pl_snap *cell_snap;          /* how each cell attached to the roads */
    long *cell_muni;             /* municipality index of each cell */
    uint8_t *cell_in_region;     /* 1 if the cell is reported (region filter) */
    int *service_level;          /* per cell: number of types within within_km */
    long n_outside_muni;         /* cells outside every municipality polygon (nearest used) */
    double pop_total;            /* population of reported cells */
    double age_total;
    size_t n_munis;
    pl_access_stats *muni_stats; /* n_munis x n_types, [m * n_types + t]; only municipalities with
                                    reported cells have pop > 0 */
    pl_access_stats *total_stats;/* n_types: all reported cells */
    int has_age;
    size_t n_svc;                /* services given (all types) */
    pl_snap *svc_snap;           /* how each service (pl_services order) attached to the roads */
    long *svc_muni;              /* municipality of each service, -1 = none (-2 = not located yet) */
    double t_snap_s, t_search_s, t_stats_s; /* wall-clock seconds of the stages (platsa -v prints them) */
    double c_snap_s, c_search_s, c_stats_s; /* CPU seconds of the stages, all threads */
} pl_access_result;

typedef struct pl_access_params {
    const int *types;            /* type indexes to compute */
    int n_types;
    const pl_doubles *bands_km;  /* NULL or n == 0: each type's own bands from the registry */
    const pl_doubles *bands_min;
    pl_mode mode;
    double within_km;
    const char *region;
    double max_snap_m;
    double max_service_snap_m;   /* <= 0: PL_MAX_SERVICE_SNAP_DEFAULT */
    const pl_access_result *same_inputs; /* a result of another mode on the same population,
                                            services and municipalities: its units' and
                                            services' municipalities are reused; NULL = none */
    const uint8_t *cell_mask;    /* NULL, or per unit: 0 = not reported (as outside --region); a
                                    partition task's own units (analyses/partition) */
    pl_snap_picks *cell_picks, *svc_picks; /* NULL, or where the units' and the services' nearest
                                    roads are kept for another mode's run and read from
                                    (pl_snap_opts.picks) */
} pl_access_params;

/* Computes access for loaded inputs. graph must be built from roads for params->mode. */
int pl_access_compute(pl_ctx *ctx, const pl_population *pop, const pl_services *svc,
                      const pl_service_types *st, const pl_municipalities *munis, const pl_roads *roads,
                      const pl_graph *graph, const pl_access_params *params, pl_access_result **out,
                      pl_error *err);
void pl_access_result_free(pl_access_result *r);

/* ---- The steps of pl_access_compute, for analyses that build on its labels (store
 * vulnerability, scenarios, coverage). pl_access_compute = prepare, search every type, finish. ---- */

/* Everything before the searches: municipality of each cell, region filter, totals, the
 * snapping of cells (cell_snap) and services (svc_snap), each type's bands and
 * service_index. Labels (by_dist, by_time) are left NULL. */
int pl_access_prepare(pl_ctx *ctx, const pl_population *pop, const pl_services *svc,
                      const pl_service_types *st, const pl_municipalities *munis, const pl_roads *roads,
                      const pl_graph *graph, const pl_access_params *params, pl_access_result **out,
                      pl_error *err);
/* Every type's searches (on up to 2 threads), then pl_access_finish, timed into r: the rest
 * of pl_access_compute after pl_access_prepare. A type whose by_dist is already there
 * (pl_access_take_distances) gets its search by time only. The graph needs only what the searches read
 * (pl_graph_keep_search_only). On failure r is left to the caller to free. */
int pl_access_search_all(pl_ctx *ctx, const pl_population *pop, const pl_services *svc,
                         const pl_municipalities *munis, const pl_graph *graph, const pl_access_params *params,
                         pl_access_result *r, pl_error *err);
/* graph NULL: no attachment (cell_snap and svc_snap all PL_SNAP_NONE) and roads unused: the
 * result's arrays are then filled from elsewhere (platsa merge, from its tasks' outputs). */
/* Every type's labels allocated, all unreachable (source UINT32_MAX, INFINITY): for results
 * whose labels come from elsewhere (platsa merge). */
void pl_access_labels_unreachable(pl_access_result *r);
/* The k = 2 searches (distance and time) of type slot t, as pl_access_compute runs them. */
/* Worker threads for n_tasks independent tasks: PLATSA_THREADS if set (1 = serial), else the
 * online cores, at most 2; never more than the tasks. */
int pl_access_threads(int n_tasks);
int pl_access_search_type(pl_ctx *ctx, const pl_graph *graph, pl_access_result *r, int t, pl_error *err);
/* A run of several road modes on the same places (analyses/access/access_write.c): whether a
 * distance search on graph from r's attachment (pl_access_prepare) reads exactly what one on
 * first_graph from first's read: the same reverse arcs (tails and lengths, bit for bit), every
 * unit and service attached to the same edge and nodes with the same lengths, access leg and
 * directions, the same services per type. The modes' times may differ: a tie-free distance
 * search (pl_access_type.dist_tie_free) never reads them. */
int pl_access_same_distance_inputs(const pl_access_result *r, const pl_graph *graph, const pl_access_result *first,
                                   const pl_graph *first_graph);
/* Each searched type's labels by distance copied from `from` (a result whose distance inputs
 * are r's, pl_access_same_distance_inputs) where they are tie-free, so that
 * pl_access_search_all searches only the times of those types: the same sources and distances,
 * bit for bit, as the search gives. Their time_s (the time along the nearest path by distance,
 * which no output reads) is NaN. Returns how many types were copied. */
int pl_access_take_distances(pl_access_result *r, const pl_access_result *from);
/* Service level and summaries (muni_stats, total_stats) from the labels; replaces earlier ones. */
/* How many types the service level counts (types whose in_level is set). */
int pl_access_level_types(const pl_access_result *r);
void pl_access_finish(pl_ctx *ctx, const pl_population *pop, const pl_services *svc,
                      const pl_municipalities *munis, const pl_access_params *params, pl_access_result *r);

/* Statistics of reported cells grouped by group[cell] (0..n_groups-1; negative = skipped):
 * out has n_groups x n_types entries, [g * n_types + t]. n_services is left 0. */
void pl_access_group_stats(const pl_access_result *r, const pl_population *pop, const long *group, size_t n_groups,
                           pl_access_stats *out);

/* Band index of a value given ascending upper bounds: 0..n_bands-1 for value <= bound,
 * n_bands for beyond the last, -1 for unreachable (infinite/NaN). */
/* 1 if the label's distance, rounded to the metre as written, is at most within_km. */
int pl_access_within(const pl_label *l, double within_km);
/* A label's distance in km and time in minutes as the output writes them (to the metre, to
 * 0.01 min): the one rounding rule of the files, the counts and the views. */
double pl_access_km_written(const pl_label *l);
double pl_access_min_written(const pl_label *l);

int pl_band_index(double value, const double *bounds, int n_bounds);

/* Weighted median of values (NaN values skipped); order of values is not changed. */
double pl_weighted_median(const double *values, const double *weights, size_t n);

/* The loaded inputs of an access run (pl_access_run's pipeline, shared with the analyses
 * built on it). pl_access_load_inputs loads service types, municipalities, population,
 * services and roads as `platsa access` does (the graph is left to the caller);
 * pl_access_free_inputs frees whatever is set, graph included. */
typedef struct pl_access_inputs {
    pl_service_types *types;
    pl_municipalities *munis;
    pl_population *pop;
    pl_services *svc;
    pl_roads *roads;
    pl_graph *graph;
    pl_localities *localities;          /* --classify only */
    struct pl_classify_result *classes; /* --classify only */
} pl_access_inputs;

int pl_access_load_inputs(pl_ctx *ctx, const pl_access_opts *o, pl_access_inputs *in, pl_error *err);
/* The same, with the graph too (in->graph), through gopts->cache_path when set (see
 * layers/network.h: a warm cache skips reading the roads file and building the graph). */
int pl_access_load_inputs_graph(pl_ctx *ctx, const pl_access_opts *o, const pl_graph_opts *gopts,
                                pl_access_inputs *in, pl_error *err);
void pl_access_free_inputs(pl_ctx *ctx, pl_access_inputs *in);
/* The types to analyse: o->types, else every RSP type with at least one service. */
int pl_access_resolve_types(const pl_access_opts *o, const pl_access_inputs *in, int *types, int *n_types,
                            pl_error *err);

/* Writes o->output from a single-mode road result r as `platsa access` does (every layer,
 * style and summary; r's summaries must be finished, pl_access_finish). extra_inputs: more
 * files whose hashes the metadata lists (NULL-terminated, or NULL); extra_params: key, value
 * pairs for the parameters table (NULL-terminated, or NULL). platsa merge calls it. */
int pl_access_write(pl_ctx *ctx, const pl_access_opts *o, const char *command_line, const pl_access_inputs *in,
                    pl_access_result *r, const char *const *extra_inputs, const char *const *extra_params,
                    pl_error *err);

/* Load, compute and write: what the CLI calls. */
int pl_access_run(pl_ctx *ctx, const pl_access_opts *opts, const char *command_line, pl_error *err);

#endif
