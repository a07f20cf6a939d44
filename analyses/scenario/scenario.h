/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What-if scenarios (platsa scenario FILE.ini): close services, add services, add housing,
 * remove or add roads; each scenario's access compared with the baseline.
 *
 * Scenario file (libinih; paths relative to the file):
 *
 *   [baseline]                      the inputs of an access run
 *   population = population.gpkg:population
 *   services = layers.gpkg:services
 *   roads = layers.gpkg:roads
 *   municipalities = kommuner.gpkg
 *   types = grocery, pharmacy       (default: every RSP type present)
 *   mode = car                      bands_km = 5,10,20,30   bands_min = 10,20,30,45
 *   region, pop_field, age_field, type_field, code_field, name_field, service_types,
 *   crs, assume_crs, max_snap, max_service_snap, id_field, within (as the access options)
 *
 *   [scenario Butiken i Ramsberg stänger]
 *   description = free text
 *   close = 123, 456                services by id
 *   add = new_stores.gpkg:stores    new services (FILE[:LAYER], type field as the baseline's)
 *   add_population = housing.gpkg   new housing with residents (population units)
 *   remove_roads = 1001, 1002       road ids
 *   add_roads = bypass.geojson      new road lines
 *   add_service = ID; TYPE; X; Y[; NAME]         one new service, coordinates in the working CRS
 *   add_housing = ID; RESIDENTS; X; Y[; AGE]     one new housing point with its residents
 *
 * Keys may repeat (add = a.gpkg, add = b.gpkg). Each scenario starts from the baseline.
 *
 * Incremental recomputation (no road change): the baseline keeps k = 3 labels per unit,
 * type and metric (nearest, second, third service). Closing services removes them from
 * the lists; a unit keeps an exact answer when at least two of its three remain (or its
 * list was short because fewer services are reachable at all). Only the other units (and
 * new housing) are searched again: a forward search from the unit until its two nearest
 * remaining services are settled. Each added service runs one bounded reverse search
 * (the residents travel to it) with cutoff = the largest current second-nearest value
 * among units in its road component that it could improve (straight-line lower bound), and
 * enters the lists where it is better. Labels are the doubles a full re-run gives (tests
 * compare every unit). Road changes rebuild the graph: that scenario is a full re-run. */
#ifndef PLATSA_ANALYSES_SCENARIO_H
#define PLATSA_ANALYSES_SCENARIO_H

#include <stdio.h>

#include "analyses/access/access.h"

typedef struct pl_scenario_def {
    char *name, *description;
    char **close;         size_t n_close;
    char **add;           size_t n_add;
    char **add_population; size_t n_add_population;
    int64_t *remove_roads; size_t n_remove_roads;
    char **add_roads;     size_t n_add_roads;
    char **add_service;   size_t n_add_service;   /* inline "ID; TYPE; X; Y[; NAME]" */
    char **add_housing;   size_t n_add_housing;   /* inline "ID; RESIDENTS; X; Y[; AGE_GROUP]" */
} pl_scenario_def;

typedef struct pl_scenario_file {
    pl_access_opts base;          /* strings point into `pool` */
    pl_scenario_def *sc;
    size_t n_sc;
    char **pool;                  /* owned strings */
    size_t n_pool, cap_pool;
} pl_scenario_file;

/* Parses the file; errors are "FILE:LINE: what; what to do". */
int pl_scenario_file_load(const char *path, pl_scenario_file *out, pl_error *err);
void pl_scenario_file_free(pl_scenario_file *f);

/* CLI options besides the file. */
typedef struct pl_scenario_opts {
    const char *output;
    int overwrite, csv;
    const char *csv_style;    /* --csv-style: default | sv */
    const char *graph_cache;
    int no_cells;                 /* skip the per-scenario access cell layers */
} pl_scenario_opts;

extern const pl_option pl_scenario_options[];
/* Zeroes o and sets the table's defaults (PL_OK; PL_EINTERNAL if a default does not parse). */
int pl_scenario_opts_init(pl_scenario_opts *o);
/* Frees the lists the options hold (after opts_init or parsing). */
void pl_scenario_opts_free(pl_scenario_opts *o);
extern const char pl_scenario_usage[];
extern const char pl_scenario_summary[];

/* ---------- compute on arrays ---------- */

/* The baseline: an access result (k = 2 labels, stats) and k = 3 labels per type. */
struct pl_scenario_cache;

typedef struct pl_scenario_base {
    pl_access_result *r;
    struct pl_scenario_cache *cache; /* node-sized work arrays, the units' node index and an edge
                                        grid for attaching new places, kept between scenarios */
    pl_label **lab3;              /* [t * 2 + metric]: n_cells * 3 labels (metric 0 distance, 1 time) */
    pl_access_params params;
    int types[PL_MAX_TYPES];
} pl_scenario_base;

int pl_scenario_baseline(pl_ctx *ctx, const pl_population *pop, const pl_services *svc, const pl_service_types *st,
                         const pl_municipalities *munis, const pl_roads *roads, const pl_graph *graph,
                         const pl_access_params *params, pl_scenario_base **out, pl_error *err);
void pl_scenario_base_free(pl_scenario_base *b);

/* The inputs of a scenario: the baseline services without the closed ones (in their
 * order) followed by the added ones; the baseline units followed by the added ones.
 * Arrays are owned, strings and geometries shared with the sources (free with the
 * functions below). old_to_new (may be NULL, size svc->n) gets each baseline service's
 * index in the result or UINT32_MAX when closed. */
pl_services *pl_scenario_services(const pl_services *svc, const uint8_t *closed, const pl_services *add,
                                  uint32_t *old_to_new);
void pl_scenario_services_free(pl_services *s);
pl_population *pl_scenario_population(const pl_population *pop, const pl_population *add);
void pl_scenario_population_free(pl_population *p);

/* Work done by an incremental scenario. */
typedef struct pl_scenario_work {
    long units_searched;          /* units searched again (closures, new housing), all types and metrics */
    long units_improved;          /* unit labels an added service entered */
    long added_searches;
    uint64_t nodes_settled;
    double seconds;
} pl_scenario_work;

/* Incremental access for services `svc_new` (from pl_scenario_services with old_to_new)
 * and units `pop_new` (from pl_scenario_population): the same result pl_access_compute
 * gives on them, without searching from every service again. */
int pl_scenario_apply(pl_ctx *ctx, const pl_scenario_base *base, const pl_population *pop_new,
                      const pl_services *svc_old, const pl_services *svc_new, const uint32_t *old_to_new,
                      const pl_service_types *st, const pl_municipalities *munis, const pl_roads *roads,
                      const pl_graph *graph, pl_access_result **out, pl_scenario_work *work, pl_error *err);

/* Roads without the listed ids, followed by the added lines (owned copy). */
pl_roads *pl_scenario_roads(const pl_roads *roads, const int64_t *remove, size_t n_remove, const pl_roads *add,
                            size_t *n_removed);

/* Residents crossing one bound, per municipality (index n_munis = all reported units):
 * out = within the bound before and beyond it after (or cut off), in = the reverse, new_beyond
 * = added housing beyond it; after_beyond - before_beyond = out - in + new_beyond. Type slot
 * t, metric 0 (km) or 1 (min), bound in km or min. */
typedef struct pl_band_delta {
    double out, in, new_beyond, before_beyond, after_beyond;
} pl_band_delta;

void pl_scenario_band_deltas(const pl_access_result *before, const pl_access_result *after, const pl_population *pop,
                             int t, int metric, double bound, size_t n_munis, pl_band_delta *out);

int pl_scenario_run(pl_ctx *ctx, const pl_scenario_opts *opts, const char *file, const char *command_line,
                    pl_error *err);

/* ---------- sweeps: many scenarios as a Slurm job array (scenario_slice.c) ---------- */

/* platsa sweep FILE.ini --slices N --job-dir D -o OUT.gpkg: the job folder; its tasks run through
 * platsa partition-task / partition-run and are joined by platsa merge (analyses/partition). */
typedef struct pl_sweep_opts {
    pl_scenario_opts s;           /* -o, --overwrite, --csv, --csv-style, --graph-cache, --no-cells */
    int slices;
    const char *job_dir;
} pl_sweep_opts;

extern const pl_option pl_sweep_options[];
extern const char pl_sweep_usage[];
extern const char pl_sweep_summary[];
int pl_sweep_opts_init(pl_sweep_opts *o);
void pl_sweep_opts_free(pl_sweep_opts *o);
/* Checks the file and inputs, builds the graph cache, writes D (plan.tsv, array.sbatch). */
int pl_sweep_run(pl_ctx *ctx, const pl_sweep_opts *o, const char *file, const char *self_exe, FILE *out,
                 pl_error *err);
/* Whether dir holds a sweep job (its platsa-sweep file). */
int pl_sweep_is_job(const char *dir);
/* Task K: the baseline and scenarios K, K+N, ... into D/tasks/NNNN/out.bin, then done. */
int pl_sweep_task_run(pl_ctx *ctx, const char *job_dir, long task, pl_error *err);
/* Every task without its done file, one after another, here. */
int pl_sweep_run_all(pl_ctx *ctx, const char *job_dir, FILE *out, pl_error *err);
/* The output of the single platsa scenario run (output NULL: the sweep's -o). PL_EINPUT with a
 * one-line message naming the sbatch command when a task is missing or damaged. */
int pl_sweep_merge(pl_ctx *ctx, const char *output, int overwrite, const char *job_dir, const char *command_line,
                   pl_error *err);

#endif
